//! `cargo bench --bench stream` (or `./bench stream`): what `currency bump` costs for a large blob.
//! The GitHub stand-in offers nats-io/nats-server v2.10.20 and v2.10.22 (with SHA256SUMS); the
//! v2.10.22 asset is 1 GiB of xorshift bytes. `currency bump` moves the `big-blob-release` fixture
//! from v2.10.20 to v2.10.22 twice: once with a `local` blobstore, once with an `s3` one on
//! `s3s-fs` (multipart, 8 MiB parts). For each: wall time, throughput, CPU time, the phases (from
//! currency's log lines) and the peak RSS of the currency process (`ru_maxrss` from `wait4`, in a
//! small spawner process: see [`measure`]), held against the 64 MiB target; `sha256sum` of the
//! same file on disk is the baseline. With `--bench`, a peak over 64 MiB fails the bench (panic).
//! Everything (payload, clones, blobstores, HOME and TMPDIR of each run) lives in one temp dir,
//! removed at the end; s3s-fs keeps its data in its own, removed when it stops.
//!
//! Without `--bench` (`cargo test --benches`) one smoke run with a 32 MiB artifact checks that
//! the bench still works; it prints PASS/FAIL but does not fail on memory (debug builds differ).
//!
//! The wall times include the stand-in's own work before it sends the first byte: it clones the
//! asset and sha256-hashes it for its ETag. That latency is measured separately and printed.

#[path = "../tests/support/mod.rs"]
mod support;

use std::fs;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::blob_servers::S3Server;
use support::{Release, Upstream, fixtures};

const LIMIT_MIB: f64 = 64.0;
const UPSTREAM: &str = "nats-io/nats-server";
const OLD_ASSET: &str = "nats-server-v2.10.20-linux-amd64.tar.gz";
const ASSET: &str = "nats-server-v2.10.22-linux-amd64.tar.gz";
const NEW_BLOB: &str = "nats-server/nats-server-v2.10.22-linux-amd64.tar.gz";
const BUCKET: &str = "big-blob-fixture";
const ACCESS_KEY: &str = "BENCHACCESSKEY";
const SECRET_KEY: &str = "benchSECRETkey0123456789";
/// argv[1] of this binary run as the small process that spawns and reaps the measured ones.
const SPAWNER: &str = "--stream-bench-spawner";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(SPAWNER) {
        return spawner(&args[2..]);
    }
    // `cargo bench` passes --bench; under `cargo test --benches` one small run checks the bench works.
    let full = args.iter().any(|a| a == "--bench");
    let size: usize = if full { 1 << 30 } else { 32 << 20 };
    let mib = size as f64 / (1024.0 * 1024.0);

    let work = tempfile::Builder::new().prefix("currency-bench-stream-").tempdir().expect("temp dir");
    let t = Instant::now();
    let payload = pseudo_random(size);
    let payload_file = work.path().join(ASSET);
    fs::write(&payload_file, &payload).expect("write payload");
    let generated = t.elapsed();

    let up = Upstream::start();
    up.add_release(UPSTREAM, Release::new("v2.10.20").asset(OLD_ASSET, b"old nats-server".to_vec()).with_sha256sums());
    // No `digest` on the big asset: the stand-in would hash 1 GiB for every release listing.
    // The expected sum comes from SHA256SUMS (hashed once, here).
    up.add_release(UPSTREAM, Release::new("v2.10.22").asset_without_digest(ASSET, payload).with_sha256sums());
    let expected_sha = sums_line(&up);
    let bare = fixtures::release_repo("big-blob-release", work.path());

    println!(
        "stream cost: {mib:.0} MiB artifact ({}; xorshift bytes generated and written in {:.1} s), {} CPUs",
        match (full, cfg!(debug_assertions)) {
            (true, false) => "full run, optimized",
            (true, true) => "full run, debug build",
            (false, false) => "smoke run, optimized",
            (false, true) => "smoke run, debug build",
        },
        generated.as_secs_f64(),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    );

    // The stand-in's latency before its first byte (clone + ETag hash of the asset).
    let ttfb = time_to_first_byte(&up.url(), &format!("/download/{UPSTREAM}/v2.10.22/{ASSET}"));

    let path = path_var();
    let baseline = measure("sha256sum", &[payload_file.to_str().unwrap()], &[("PATH", &path)]);
    baseline.assert_success();
    let direct = measure_direct("sha256sum", &[payload_file.to_str().unwrap()], &[("PATH", &path)]);
    direct.assert_success();
    let baseline_sha = baseline.stdout.split_whitespace().next().unwrap_or_default().to_string();
    assert_eq!(baseline_sha, expected_sha, "sha256sum and SHA256SUMS disagree");
    println!(
        "{:>32}: {:>6.2} s {:>7.1} MiB/s   peak RSS {:>6.1} MiB   CPU {:.2} s",
        "baseline: sha256sum (page cache)",
        baseline.wall.as_secs_f64(),
        mib / baseline.wall.as_secs_f64(),
        baseline.max_rss_mib(),
        baseline.cpu.as_secs_f64(),
    );
    println!(
        "{:>32}: sha256sum reaped by this bench itself (VmHWM {:.0} MiB) shows {:.1} MiB: a child's ru_maxrss \
         counts the address space it exec'd from, so each measured process is spawned by a {:.1} MiB helper",
        "why a spawner",
        direct.floor_kib as f64 / 1024.0,
        direct.max_rss_mib(),
        baseline.floor_kib as f64 / 1024.0,
    );
    println!(
        "{:>32}: {:>6.2} s (it clones the asset and hashes it for its ETag; included below)",
        "stand-in time to first byte",
        ttfb.as_secs_f64()
    );

    let mut failed = Vec::new();

    // 1. local blobstore (the fixture's final.yml provider).
    {
        let checkout = clone(&bare, work.path(), "checkout-local");
        let blobstore = work.path().join("blobstore-local");
        fs::create_dir_all(&blobstore).unwrap();
        let source = source_json(&up, json!({"blobstore_path": blobstore.to_str().unwrap()}));
        let m = bump(work.path(), "local", &checkout, &source);
        let object_id = check_bump(&m, &checkout, &payload_file, &expected_sha, size);
        assert!(same_bytes(&blobstore.join(&object_id), &payload_file), "local object differs from the artifact");
        report("bump, local blobstore", &m, &baseline, mib, full, &mut failed);
    }

    // 2. s3 blobstore on s3s-fs: final.yml says s3, source.blobstore.options say where.
    {
        let s3 = S3Server::start(ACCESS_KEY, SECRET_KEY);
        s3.create_bucket(BUCKET);
        let checkout = clone(&bare, work.path(), "checkout-s3");
        fs::write(
            checkout.join("config/final.yml"),
            format!("name: big-blob-fixture\nblobstore:\n  provider: s3\n  options:\n    bucket_name: {BUCKET}\n"),
        )
        .unwrap();
        let source = source_json(
            &up,
            json!({"host": "127.0.0.1", "port": s3.port(), "use_ssl": false, "bucket_name": BUCKET,
                   "access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY}),
        );
        let m = bump(work.path(), "s3", &checkout, &source);
        assert!(!m.stderr.contains(SECRET_KEY) && !m.stdout.contains(SECRET_KEY), "secret printed");
        let object_id = check_bump(&m, &checkout, &payload_file, &expected_sha, size);
        assert!(
            same_bytes(&s3.object_file(BUCKET, &object_id), &payload_file),
            "s3 object differs from the artifact; s3s-fs log:\n{}",
            s3.log()
        );
        report("bump, s3 blobstore (s3s-fs)", &m, &baseline, mib, full, &mut failed);
    }

    drop(work);
    if full && !failed.is_empty() {
        panic!("peak RSS over {LIMIT_MIB} MiB: {}", failed.join("; "));
    }
}

/// `n` bytes of xorshift64 output: deterministic, incompressible enough, cheap.
fn pseudo_random(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for chunk in v.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    v
}

/// The sha256 SHA256SUMS lists for the big asset.
fn sums_line(up: &Upstream) -> String {
    let sums = up.asset_bytes(UPSTREAM, "v2.10.22", "SHA256SUMS").expect("SHA256SUMS");
    let text = String::from_utf8(sums).unwrap();
    let line = text.lines().find(|l| l.ends_with(ASSET)).expect("sums line");
    line.split_whitespace().next().unwrap().to_string()
}

fn path_var() -> String {
    std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".to_owned())
}

fn clone(bare: &Path, dir: &Path, name: &str) -> PathBuf {
    fixtures::git(dir, ["clone", "-q", bare.to_str().unwrap(), name]);
    dir.join(name)
}

fn source_json(up: &Upstream, options: Value) -> Value {
    json!({
        "repository": "cloudfoundry/big-blob-release",
        "github_api_url": up.url(),
        "vulndb": up.vulndb_url(),
        "upstream_api_url": up.url(),
        "blobstore": {"options": options},
    })
}

/// Runs `currency bump` on `checkout` with its own HOME and TMPDIR (a cold cache; its download
/// temp files land there too).
fn bump(work: &Path, name: &str, checkout: &Path, source: &Value) -> Measured {
    let run = work.join(format!("run-{name}"));
    let (home, tmp) = (run.join("home"), run.join("tmp"));
    fs::create_dir_all(&home).unwrap();
    fs::create_dir_all(&tmp).unwrap();
    let source_file = run.join("source.json");
    fs::write(&source_file, source.to_string()).unwrap();
    let path = path_var();
    let env = [
        ("PATH", path.as_str()),
        ("HOME", home.to_str().unwrap()),
        ("TMPDIR", tmp.to_str().unwrap()),
        ("CURRENCY_RETRY_BASE_MS", "5"),
    ];
    let m = measure(
        support::bin("currency"),
        &["bump", "--source", source_file.to_str().unwrap(), "--repo", checkout.to_str().unwrap()],
        &env,
    );
    m.assert_success();
    m
}

/// Checks what the bump left: the summary line, blobs.yml with the verified sum and size, the
/// blob under blobs/ byte for byte. Returns the new object id.
fn check_bump(m: &Measured, checkout: &Path, payload: &Path, sha: &str, size: usize) -> String {
    assert!(m.stdout.starts_with("nats-server: 2.10.20 -> 2.10.22"), "{}\n{}", m.stdout, m.stderr);
    let blobs = fs::read_to_string(checkout.join("config/blobs.yml")).unwrap();
    let entry = blobs.split(&format!("{NEW_BLOB}:\n")).nth(1).unwrap_or_else(|| panic!("no {NEW_BLOB} in:\n{blobs}"));
    assert!(entry.contains(&format!("size: {size}\n")), "{blobs}");
    assert!(entry.contains(&format!("sha: sha256:{sha}")), "{blobs}");
    let object_id = entry
        .lines()
        .find_map(|l| l.trim().strip_prefix("object_id: "))
        .unwrap_or_else(|| panic!("no object_id in:\n{blobs}"))
        .to_string();
    let placed = checkout.join("blobs").join(NEW_BLOB);
    assert!(same_bytes(&placed, payload), "blobs/{NEW_BLOB} differs from the artifact");
    object_id
}

fn report(what: &str, m: &Measured, baseline: &Measured, mib: f64, full: bool, failed: &mut Vec<String>) {
    let rss = m.max_rss_mib();
    let pass = rss < LIMIT_MIB;
    println!(
        "{what:>32}: {:>6.2} s {:>7.1} MiB/s   peak RSS {rss:>6.1} MiB   {:.2}x sha256sum   {} (< {LIMIT_MIB} MiB)   \
         CPU {:.2} s",
        m.wall.as_secs_f64(),
        mib / m.wall.as_secs_f64(),
        m.wall.as_secs_f64() / baseline.wall.as_secs_f64(),
        if pass { "PASS" } else { "FAIL" },
        m.cpu.as_secs_f64(),
    );
    // Phases from currency's log lines: look-ups, then download + verify, then upload, blobs/ and edits.
    if let (Some(dl), Some(ul)) = (m.logged(": downloading "), m.logged("uploading ")) {
        println!(
            "{:>32}  look-ups {:.2} s, download + sha256 {:.2} s, upload + blobs/ copy + edits {:.2} s",
            "",
            dl.as_secs_f64(),
            (ul - dl).as_secs_f64(),
            m.wall.saturating_sub(ul).as_secs_f64(),
        );
    }
    if !pass {
        failed.push(format!("{what}: {rss:.1} MiB"));
        if full {
            eprintln!("currency stderr:\n{}", m.stderr);
        }
    }
}

/// Whether two files hold the same bytes (streamed, 8 MiB at a time).
fn same_bytes(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (fs::metadata(a), fs::metadata(b)) else { return false };
    if ma.len() != mb.len() {
        return false;
    }
    let (mut fa, mut fb) = (fs::File::open(a).unwrap(), fs::File::open(b).unwrap());
    let (mut ba, mut bb) = (vec![0u8; 8 << 20], vec![0u8; 8 << 20]);
    let mut left = ma.len() as usize;
    while left > 0 {
        let n = left.min(ba.len());
        fa.read_exact(&mut ba[..n]).unwrap();
        fb.read_exact(&mut bb[..n]).unwrap();
        if ba[..n] != bb[..n] {
            return false;
        }
        left -= n;
    }
    true
}

/// Time from sending a GET to the first byte of the answer (the connection is then dropped).
fn time_to_first_byte(base: &str, path: &str) -> Duration {
    let authority = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(authority).expect("connect to the stand-in");
    let t = Instant::now();
    let accept = "Accept: application/octet-stream";
    write!(s, "GET {path} HTTP/1.1\r\nHost: {authority}\r\n{accept}\r\nConnection: close\r\n\r\n").unwrap();
    let mut first = [0u8; 1];
    s.read_exact(&mut first).expect("first byte");
    t.elapsed()
}

/// One finished process: its wall time and its peak RSS as the kernel accounts it.
struct Measured {
    what: String,
    wall: Duration,
    /// `ru_maxrss` from `wait4` (KiB on Linux): the largest of the process's own peak, the peak of
    /// the address space it exec'd from, and the peaks of the children it reaped.
    max_rss_kib: i64,
    /// The peak RSS (VmHWM) of the process that spawned it: no figure can be below this one.
    floor_kib: i64,
    /// User + system CPU time (its own and its reaped children's).
    cpu: Duration,
    status: i32,
    stdout: String,
    stderr: String,
    /// stderr lines with when this bench read them (from the spawn).
    stderr_lines: Vec<(Duration, String)>,
}

impl Measured {
    /// When the first stderr line containing `needle` arrived.
    fn logged(&self, needle: &str) -> Option<Duration> {
        self.stderr_lines.iter().find(|(_, l)| l.contains(needle)).map(|(t, _)| *t)
    }

    fn max_rss_mib(&self) -> f64 {
        self.max_rss_kib as f64 / 1024.0
    }

    #[track_caller]
    fn assert_success(&self) {
        let ok = libc::WIFEXITED(self.status) && libc::WEXITSTATUS(self.status) == 0;
        let (what, status, out, err) = (&self.what, self.status, &self.stdout, &self.stderr);
        assert!(ok, "{what} failed (wait status {status:#x})\nstdout:\n{out}\nstderr:\n{err}");
    }
}

/// Runs `bin` with exactly `env` through this binary in spawner mode: a fresh, small process that
/// spawns `bin`, reaps it with `wait4` and writes what it measured to a file.
///
/// Why not `wait4` (or `getrusage(RUSAGE_CHILDREN)`) here: Linux starts a process's `ru_maxrss`
/// at exec with the peak RSS of the address space it leaves, and a child spawned by this bench
/// (vfork or fork) leaves this bench's, which holds the whole artifact. RUSAGE_CHILDREN is also
/// a maximum over every child ever reaped (git, s3s-fs, …), not one process's figure.
fn measure(bin: &str, args: &[&str], env: &[(&str, &str)]) -> Measured {
    let report = tempfile::NamedTempFile::new().expect("report file");
    let me = std::env::current_exe().expect("current exe");
    let mut cmd = Command::new(&me);
    cmd.arg(SPAWNER).arg(report.path()).arg(bin).args(args);
    let m = run_and_reap(cmd, bin, env);
    let text = fs::read_to_string(report.path()).unwrap_or_default();
    let fields: Vec<i64> = text.split_whitespace().filter_map(|f| f.parse().ok()).collect();
    let [max_rss_kib, wall_ns, status, floor_kib, cpu_us] = fields[..] else {
        panic!("spawner for {bin} reported {text:?}\nstdout:\n{}\nstderr:\n{}", m.stdout, m.stderr)
    };
    Measured {
        wall: Duration::from_nanos(wall_ns as u64),
        max_rss_kib,
        floor_kib,
        cpu: Duration::from_micros(cpu_us as u64),
        status: status as i32,
        ..m
    }
}

/// Runs `bin` and reaps it from this (large) process: only to show why [`measure`] does not.
fn measure_direct(bin: &str, args: &[&str], env: &[(&str, &str)]) -> Measured {
    let mut cmd = Command::new(bin);
    cmd.args(args);
    run_and_reap(cmd, bin, env)
}

fn run_and_reap(mut cmd: Command, what: &str, env: &[(&str, &str)]) -> Measured {
    cmd.env_clear().envs(env.iter().copied()).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let floor_kib = vm_hwm_kib();
    let t = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    let drain = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = r.read_to_end(&mut b);
            String::from_utf8_lossy(&b).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = {
        let reader = std::io::BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            std::io::BufRead::lines(reader).map_while(Result::ok).map(|l| (t.elapsed(), l)).collect::<Vec<_>>()
        })
    };
    let (status, usage) = wait4(child.id() as libc::pid_t);
    let wall = t.elapsed();
    let stderr_lines = err.join().unwrap();
    // Reaped by wait4 already: `child` must not be waited on again (dropping it does not wait).
    drop(child);
    Measured {
        what: what.rsplit('/').next().unwrap_or(what).to_string(),
        wall,
        max_rss_kib: usage.ru_maxrss,
        floor_kib,
        cpu: cpu_time(&usage),
        status,
        stdout: out.join().unwrap(),
        stderr: stderr_lines.iter().map(|(_, l)| format!("{l}\n")).collect(),
        stderr_lines,
    }
}

fn wait4(pid: libc::pid_t) -> (i32, libc::rusage) {
    let mut status: libc::c_int = 0;
    // SAFETY: a zeroed rusage is a valid value; wait4 fills it for our own child `pid`.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            return (status, usage);
        }
        let e = std::io::Error::last_os_error();
        assert_eq!(e.kind(), std::io::ErrorKind::Interrupted, "wait4 {pid}: {e}");
    }
}

fn cpu_time(u: &libc::rusage) -> Duration {
    let tv = |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// This process's peak RSS so far, in KiB (`VmHWM` in /proc/self/status).
fn vm_hwm_kib() -> i64 {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Spawner mode (`<this binary> --stream-bench-spawner REPORT BIN ARGS...`): runs BIN with this
/// process's environment and stdio, reaps it with `wait4`, and writes
/// `<ru_maxrss KiB> <wall ns> <wait status> <own VmHWM KiB> <CPU µs>` to REPORT. This process is small
/// (it allocated nothing), so BIN's `ru_maxrss` is BIN's own peak.
fn spawner(args: &[String]) {
    let [report, bin, rest @ ..] = args else { panic!("usage: {SPAWNER} REPORT BIN ARGS...") };
    let floor = vm_hwm_kib();
    let t = Instant::now();
    let child = Command::new(bin).args(rest).spawn().unwrap_or_else(|e| panic!("spawn {bin}: {e}"));
    let (status, usage) = wait4(child.id() as libc::pid_t);
    let wall = t.elapsed();
    drop(child);
    let cpu = cpu_time(&usage).as_micros();
    let line = format!("{} {} {status} {floor} {cpu}\n", usage.ru_maxrss, wall.as_nanos());
    fs::write(report, line).expect("write report");
}
