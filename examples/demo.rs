//! The offline demo: `cargo run --release --example demo`.
//!
//! It plays one Concourse pipeline run of currency against the bundled sample release
//! `examples/demo-release/` (etcd 3.5.17, Go 1.24.3 and NATS server 2.11.4 blobs), with everything
//! it talks to stood in for on 127.0.0.1 by the integration tests' support code: GitHub (releases
//! of etcd-io/etcd and nats-io/nats-server with `SHA256SUMS`, and the pull requests of the sample
//! release), the Go downloads index, the Go vulnerability database (three reports Go 1.24.4 fixed),
//! a smart-HTTP git server holding the release, and a local blobstore directory. It then runs the real `check`, `in` and `out` binaries as Concourse does
//! (the request as JSON on stdin) and prints what each one produced.
//!
//! No credentials, no network beyond 127.0.0.1; every file it writes lives under one temporary
//! directory, removed at the end (also after a failure or Ctrl-C). Exits non-zero when a step
//! fails.
//!
//! The binaries are taken from next to this example (`target/release/{check,in,out}`) and built
//! with `cargo build --release --bins` when missing. After changing the crate, rebuild them the
//! same way: `cargo run --example demo` rebuilds the example, not the binaries.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use serde_json::{Value, json};
use support::vulndb::{ReportSpec, VulnDbFixture};
use support::{GitServer, Release, Tmp, Upstream, fixtures};

/// The sample release's name on the GitHub stand-in.
const REPO: &str = "example-org/demo-release";
/// What the stand-ins accept as a GitHub token; it opens nothing outside this process.
const TOKEN: &str = "demo-token-for-the-local-stand-ins";
/// A binary that takes longer than this is killed and the demo fails.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

fn main() -> ExitCode {
    let bins = match binaries() {
        Ok(bins) => bins,
        Err(e) => {
            eprintln!("demo failed: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    // Every temporary directory of the demo, the stand-ins and the binaries goes under this one.
    let scratch = match Scratch::new() {
        Ok(scratch) => scratch,
        Err(e) => {
            eprintln!("demo failed: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    let result = demo(&bins);
    drop(scratch);
    match result {
        Ok(()) => {
            println!(
                "\nDone in {:.1} s; the stand-ins are stopped and their files removed.",
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("\ndemo failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The crate's binaries, as paths.
struct Bins {
    check: String,
    r#in: String,
    out: String,
}

/// `check`, `in` and `out` next to this example's executable (`target/<profile>/examples/demo` →
/// `target/<profile>/`), built first when one is missing.
fn binaries() -> Result<Bins> {
    let exe = std::env::current_exe().context("where is this demo's executable")?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .with_context(|| format!("{} is not in target/<profile>/examples/", exe.display()))?
        .to_path_buf();
    let path = |name: &str| dir.join(name);
    let missing: Vec<&str> = ["check", "in", "out"].into_iter().filter(|n| !path(n).is_file()).collect();
    if !missing.is_empty() {
        let profile = dir.file_name().and_then(|n| n.to_str()).unwrap_or("debug").to_owned();
        let mut args = vec!["build".to_owned(), "--bins".to_owned()];
        match profile.as_str() {
            "debug" => {}
            "release" => args.push("--release".to_owned()),
            other => args.extend(["--profile".to_owned(), other.to_owned()]),
        }
        println!("The binaries {} are not built yet: running `cargo {}` first.\n", missing.join(", "), args.join(" "));
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args(&args)
            .arg("--manifest-path")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .status()
            .context("run cargo")?;
        ensure!(status.success(), "`cargo {}` failed ({status})", args.join(" "));
        for name in ["check", "in", "out"] {
            ensure!(path(name).is_file(), "`cargo {}` did not produce {}", args.join(" "), path(name).display());
        }
    }
    let utf8 = |name: &str| path(name).to_str().map(str::to_owned).context("the target directory's path is not UTF-8");
    Ok(Bins { check: utf8("check")?, r#in: utf8("in")?, out: utf8("out")? })
}

fn demo(bins: &Bins) -> Result<()> {
    heading("What this is");
    para(
        "currency keeps a BOSH release current with its upstreams. This demo runs it the way a \
         Concourse pipeline does — check, then get (in), then put (out) — against a sample release \
         and local stand-ins for GitHub, the Go downloads page, the git server and the blobstore. \
         Nothing leaves this machine and no credentials are needed.",
    );

    // --- The world -----------------------------------------------------------------------
    heading("Setting the stage: upstream releases, the release repository, a blobstore");
    let up = Upstream::start();
    for (tag, date) in [
        ("v3.4.37", "2025-04-15T10:00:00Z"),
        ("v3.5.17", "2024-11-12T10:00:00Z"),
        ("v3.5.21", "2025-03-27T10:00:00Z"),
        ("v3.6.1", "2025-06-06T10:00:00Z"),
    ] {
        up.add_release("etcd-io/etcd", stand_in_release(tag, date, "etcd", &format!("etcd-{tag}-linux-amd64.tar.gz")));
    }
    for (tag, date) in
        [("v2.10.29", "2025-05-20T10:00:00Z"), ("v2.11.3", "2025-05-06T10:00:00Z"), ("v2.11.4", "2025-05-22T10:00:00Z")]
    {
        up.add_release(
            "nats-io/nats-server",
            stand_in_release(tag, date, "NATS server", &format!("nats-server-{tag}-linux-amd64.tar.gz")),
        );
    }
    for version in ["1.23.9", "1.23.10", "1.24.3", "1.24.4"] {
        up.add_go_release(version, true);
    }
    // The Go vulnerability database, in its real format: three reports Go 1.24.4 fixed.
    let vulndb = tempfile::Builder::new().prefix("demo-vulndb-").tempdir().context("temporary directory")?;
    let go_1_24_4 = |id: &str, alias: &str, summary: &str, events: &[(&str, &str)]| {
        ReportSpec::new(id, summary).alias(alias).modified("2025-06-11T16:00:00Z").affects("stdlib", events)
    };
    let both_lines = [("introduced", "0"), ("fixed", "1.23.10"), ("introduced", "1.24.0-0"), ("fixed", "1.24.4")];
    VulnDbFixture::new()
        .report(go_1_24_4(
            "GO-2025-3749",
            "CVE-2025-22874",
            "Usage of ExtKeyUsageAny disables policy validation in crypto/x509",
            &[("introduced", "1.24.0-0"), ("fixed", "1.24.4")],
        ))
        .report(go_1_24_4(
            "GO-2025-3750",
            "CVE-2025-0913",
            "Inconsistent handling of O_CREATE|O_EXCL on Unix and Windows in os in syscall",
            &both_lines,
        ))
        .report(go_1_24_4(
            "GO-2025-3751",
            "CVE-2025-4673",
            "Sensitive headers not cleared on cross-origin redirect in net/http",
            &both_lines,
        ))
        .write(vulndb.path());
    up.set_vulndb(vulndb.path());
    println!("GitHub stand-in      {}", up.url());
    println!("  etcd-io/etcd         releases v3.4.37, v3.5.17, v3.5.21, v3.6.1 (each with SHA256SUMS)");
    println!("  nats-io/nats-server  releases v2.10.29, v2.11.3, v2.11.4 (each with SHA256SUMS)");
    println!("Go downloads index   {} — two lines: 1.23.9, 1.23.10 and 1.24.3, 1.24.4", up.go_downloads_url());
    println!("Go vulnerability db  {} — three stdlib reports fixed in Go 1.24.4", up.vulndb_url());

    let work = tempfile::Builder::new().prefix("demo-").tempdir().context("temporary directory")?;
    let repos = work.path().join("repos");
    std::fs::create_dir_all(&repos)?;
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-release");
    let bare = fixtures::release_repo_from(&sample, &[], "demo-release", &repos);
    let git = GitServer::start_token(&repos, TOKEN);
    up.link_git(REPO, &bare);
    up.grant_push(REPO, TOKEN);
    let blobstore = work.path().join("blobstore");
    std::fs::create_dir_all(&blobstore)?;
    println!("Git server           {} — {REPO}, branch main, from examples/demo-release/", git.url_for("demo-release"));
    println!("Blobstore            {} (config/final.yml's `local` provider, path overridden)", blobstore.display());
    println!("\nThe release's config/blobs.yml on main:");
    indent(&fixtures::read_file(&bare, "main", "config/blobs.yml").context("config/blobs.yml on main")?);

    let source = json!({
        "repository": REPO,
        "access_token": TOKEN,
        "git_url": git.url_for("demo-release"),
        "github_api_url": up.url(),
        "upstream_api_url": up.url(),
        "go_downloads_url": up.go_downloads_url(),
        "go_proxy": up.goproxy_url(),
        "vulndb": up.vulndb_url(),
        "blobstore": {"options": {"blobstore_path": blobstore.to_str().context("blobstore path is not UTF-8")?}},
        "pull_request": {"group": true},
        "dependencies": [
            {"name": "etcd", "kind": "github-release", "upstream": "etcd-io/etcd",
             "blob": "etcd/etcd-v{version}-linux-amd64.tar.gz", "constraint": "~3.5", "checksums": "SHA256SUMS"},
            {"name": "golang", "kind": "golang", "blob": "golang/go{version}.linux-amd64.tar.gz"},
            {"name": "nats-server", "kind": "github-release", "upstream": "nats-io/nats-server",
             "blob": "nats-server/nats-server-v{version}-linux-amd64.tar.gz", "checksums": "SHA256SUMS"},
        ],
    });
    println!("\nThe resource's `source` besides the repository, the token and the stand-ins' URLs (YAML):");
    indent(
        "- {name: etcd, kind: github-release, upstream: etcd-io/etcd, constraint: \"~3.5\", checksums: SHA256SUMS,\n   \
         blob: \"etcd/etcd-v{version}-linux-amd64.tar.gz\"}   # stay on the 3.5 line\n\
         - {name: golang, kind: golang, blob: \"golang/go{version}.linux-amd64.tar.gz\"}\n\
         - {name: nats-server, kind: github-release, upstream: nats-io/nats-server, checksums: SHA256SUMS,\n   \
         blob: \"nats-server/nats-server-v{version}-linux-amd64.tar.gz\"}\n\
         pull_request: {group: true}   # one PR for all bumps (default: one PR per dependency)",
    );

    // Concourse keeps check containers around: one TMPDIR for both checks (the cache lives there).
    let check_container = Tmp::new().with_timeout(STEP_TIMEOUT);
    let check_request = json!({"source": source}).to_string();

    // --- check ---------------------------------------------------------------------------
    heading("1. check — is anything behind? (Concourse runs this every minute)");
    let found = step("check", &check_container, &bins.check, &[], &check_request)?;
    let versions = parse_json("check", &found)?;
    let version = match versions.as_array().map(Vec::as_slice) {
        Some([version]) => version.clone(),
        Some([]) => bail!("check found nothing behind; the sample release should be behind"),
        _ => bail!("check printed {versions}, expected one version"),
    };
    println!("check printed: {versions}");
    para(
        "A new version: it names each dependency that is behind and its target. etcd stays on \
         3.5 (its constraint) although 3.6.1 exists; nats-server is current, so it is not in it. \
         Concourse triggers the jobs that `get` this resource with `trigger: true`.",
    );

    // --- in ------------------------------------------------------------------------------
    heading("2. in — the report a job's `get` step puts in front of you");
    let get_container = Tmp::new().with_timeout(STEP_TIMEOUT);
    let dest = get_container.path().join("get");
    let get_request = json!({"source": source, "version": version}).to_string();
    let got = step("in", &get_container, &bins.r#in, &[path_str(&dest)?], &get_request)?;
    let printed = parse_json("in", &got)?;
    println!("in printed the metadata Concourse shows on the build page:");
    for item in printed["metadata"].as_array().into_iter().flatten() {
        println!("  {:<12} {}", item["name"].as_str().unwrap_or("?"), item["value"].as_str().unwrap_or("?"));
    }
    let report = std::fs::read_to_string(dest.join("report.md")).context("in wrote no report.md")?;
    println!("\nreport.md (beside it: plan.json, the same as JSON, and version.json):");
    indent(&report);

    // --- out -----------------------------------------------------------------------------
    heading("3. out — the `put`: upload the new blobs, push a branch, open the pull request");
    let put_container = Tmp::new().with_timeout(STEP_TIMEOUT);
    let sources = put_container.path().join("sources");
    std::fs::create_dir_all(&sources)?;
    let put_request = json!({"source": source, "params": {}}).to_string();
    let put = step("out", &put_container, &bins.out, &[path_str(&sources)?], &put_request)?;
    let printed = parse_json("out", &put)?;
    ensure!(printed["version"] == version, "out pushed {} but check had found {version}", printed["version"]);
    println!("out printed: {printed}");
    if !put.stderr.trim().is_empty() {
        println!("\nIts build log (stderr):");
        indent(put.stderr.trim_end());
    }

    let pulls = up.pulls(REPO);
    let [pr] = pulls.as_slice() else {
        bail!("expected one pull request on {REPO}, the GitHub stand-in holds {}", pulls.len());
    };
    let branch = pr["head"]["ref"].as_str().context("the pull request has no head branch")?.to_owned();
    println!("\nThe pull request, as the GitHub stand-in stored it:");
    println!("  title:  {}", pr["title"].as_str().unwrap_or_default());
    println!("  url:    {}", pr["html_url"].as_str().unwrap_or_default());
    println!("  branch: {branch} -> {}", pr["base"]["ref"].as_str().unwrap_or_default());
    let labels: Vec<&str> = pr["labels"].as_array().into_iter().flatten().filter_map(|l| l["name"].as_str()).collect();
    println!("  labels: {}", labels.join(", "));
    println!("  body:");
    indent(pr["body"].as_str().unwrap_or_default());

    println!("\nThe commits on {branch} (git log main..{branch}):");
    indent(&fixtures::git(&bare, ["log", "--format=%h %s (%an)", &format!("main..{branch}")]));
    println!("\nThe branch's changes (git diff main {branch}):");
    indent(&fixtures::git(&bare, ["diff", "main", &branch]));

    println!("\nThe blobstore now holds the new blobs, named by their object ids:");
    let mut objects = Vec::new();
    for entry in walk(&blobstore)? {
        objects.push(format!(
            "{}  {} bytes",
            entry.strip_prefix(&blobstore)?.display(),
            std::fs::metadata(&entry)?.len()
        ));
    }
    ensure!(!objects.is_empty(), "out uploaded nothing to the blobstore");
    objects.sort();
    indent(&objects.join("\n"));

    // --- check again ---------------------------------------------------------------------
    heading("4. check again — the PR is open, main has not moved: nothing new for Concourse");
    up.clear_requests();
    let again = step("check", &check_container, &bins.check, &[], &check_request)?;
    let requests = up.requests();
    let not_modified = requests.iter().filter(|r| r.status == 304).count();
    let versions_again = parse_json("check", &again)?;
    println!("check printed: {versions_again}");
    ensure!(versions_again == versions, "the second check printed {versions_again}, the first {versions}");
    para(
        "The same version as before, so Concourse starts no new build: the next one comes when an \
         upstream publishes a newer release (then `out` updates this PR instead of opening another) \
         or when the PR is merged and something else falls behind.",
    );
    println!();
    para(&format!(
        "This check sent {} requests to the upstreams; {not_modified} of them were answered 304 Not \
         Modified thanks to the check's cache (GitHub does not count those against the rate limit).",
        requests.len()
    ));
    Ok(())
}

/// An upstream release carrying one linux-amd64 tarball (stand-in bytes) and its `SHA256SUMS`.
fn stand_in_release(tag: &str, date: &str, what: &str, asset: &str) -> Release {
    let bytes = format!("{what} {tag} for linux/amd64: a stand-in for the real tarball\n").repeat(64);
    Release::new(tag)
        .created(date)
        .body(&format!("{what} {tag}: release notes (stand-in)."))
        .asset(asset, bytes.into_bytes())
        .with_sha256sums()
}

/// Runs `bin` with `request` on stdin in `container` (its own HOME and TMPDIR); fails with the
/// binary's stderr when it exits non-zero.
fn step(name: &str, container: &Tmp, bin: &str, args: &[&str], request: &str) -> Result<support::Output> {
    let output = container.run(bin, args, request, &[]);
    if !output.success() {
        bail!("`{name}` exited with {}:\n{}", output.status, output.stderr.trim_end());
    }
    Ok(output)
}

fn parse_json(name: &str, output: &support::Output) -> Result<Value> {
    serde_json::from_str(&output.stdout)
        .with_context(|| format!("`{name}` printed something that is not JSON: {:?}", output.stdout))
}

fn path_str(path: &Path) -> Result<&str> {
    path.to_str().with_context(|| format!("{} is not UTF-8", path.display()))
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("read {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(walk(&path)?);
        } else {
            files.push(path);
        }
    }
    Ok(files)
}

fn heading(text: &str) {
    println!("\n== {text}\n");
}

/// Prints a paragraph wrapped at 100 columns.
fn para(text: &str) {
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > 100 {
            println!("{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        println!("{line}");
    }
}

fn indent(text: &str) {
    for line in text.trim_end_matches('\n').lines() {
        println!("    {line}");
    }
}

/// One temporary directory that everything else goes under: `TMPDIR` points into it, so the
/// stand-ins' and the binaries' temporary files land there too. Removed on drop, and by a signal
/// handler on Ctrl-C / SIGTERM, so that an interrupted demo leaves nothing behind either.
struct Scratch {
    dir: PathBuf,
}

/// The write end of the pipe the signal handler wakes the cleaner thread through; -1 when unset.
static SIGNAL_PIPE: AtomicI32 = AtomicI32::new(-1);

impl Scratch {
    fn new() -> Result<Scratch> {
        let dir =
            tempfile::Builder::new().prefix("currency-demo-").tempdir().context("create a temporary directory")?.keep();
        // SAFETY: called from `main` before any other thread exists (the stand-ins start later).
        unsafe { std::env::set_var("TMPDIR", &dir) };
        install_signal_cleanup(dir.clone())?;
        Ok(Scratch { dir })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// On SIGINT or SIGTERM: remove `dir` and exit 130 (SIGINT) or 143 (SIGTERM). The handler only
/// writes the signal number to a pipe (all a handler may safely do); a thread does the rest.
fn install_signal_cleanup(dir: PathBuf) -> Result<()> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid two-element array for pipe(2).
    ensure!(unsafe { libc::pipe(fds.as_mut_ptr()) } == 0, "pipe: {}", std::io::Error::last_os_error());
    let [read_end, write_end] = fds;
    SIGNAL_PIPE.store(write_end, Ordering::SeqCst);
    std::thread::Builder::new()
        .name("demo-cleanup".into())
        .spawn(move || {
            let mut signal = [0u8; 1];
            // SAFETY: reading one byte into a one-byte buffer from the pipe this thread owns.
            let n = unsafe { libc::read(read_end, signal.as_mut_ptr().cast(), 1) };
            if n == 1 {
                let _ = std::fs::remove_dir_all(&dir);
                eprintln!("\ninterrupted: removed {}", dir.display());
                std::process::exit(128 + i32::from(signal[0]));
            }
        })
        .context("start the cleanup thread")?;
    extern "C" fn on_signal(signal: libc::c_int) {
        let fd = SIGNAL_PIPE.load(Ordering::SeqCst);
        let byte = signal as u8;
        // SAFETY: write(2) is async-signal-safe; `fd` is the pipe's open write end.
        unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
    }
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: installs a handler that only calls write(2).
        unsafe { libc::signal(signal, on_signal as *const () as libc::sighandler_t) };
    }
    Ok(())
}
