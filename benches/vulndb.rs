//! `cargo bench --bench vulndb` (or `./bench vulndb`): what reading the Go vulnerability database
//! costs, and that it stays within 64 MiB. A database of realistic size is generated in a temp dir:
//! `index/modules.json` with 20 000 modules of 1–6 vulnerabilities each (≈ 5 MB; the real one is a
//! few MB) and the OSV reports of the modules looked up — `stdlib` (150 reports, as many as the real
//! database holds), `toolchain`, nats-server, nats.go and the etcd server — written by the tests'
//! `VulnDbFixture` code, in the real format.
//!
//! Each look-up runs in a fresh process (this binary, re-run with [`CHILD`]) that reports its wall
//! time and its peak RSS (`VmHWM` of `/proc/self/status`) before and after: through `file://`, then
//! over HTTP from the upstream stand-in (which runs in this process, so its memory is not counted)
//! with a cold cache, and again with the warm cache (one request answered 304). With `--bench`, a
//! peak over 64 MiB fails the bench (panic).
//!
//! Without `--bench` (`cargo test --benches`) a small database (2 000 modules) checks the bench
//! still works; it does not fail on memory.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde_json::{Value, json};
use support::Upstream;
use support::vulndb::ReportSpec;

const LIMIT_MIB: f64 = 64.0;
/// argv[1] of this binary run as the measured process.
const CHILD: &str = "--vulndb-bench-child";
/// The modules looked up, and how many reports each has (`toolchain`'s are its own).
const ASKED: &[(&str, usize)] = &[
    ("stdlib", 150),
    ("toolchain", 12),
    ("github.com/nats-io/nats-server/v2", 6),
    ("github.com/nats-io/nats.go", 2),
    ("go.etcd.io/etcd/server/v3", 3),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(CHILD) {
        return child(&args[2], &args[3]);
    }
    let full = args.iter().any(|a| a == "--bench");
    let modules = if full { 20_000 } else { 2_000 };

    let work = tempfile::Builder::new().prefix("currency-bench-vulndb-").tempdir().expect("temp dir");
    let db = work.path().join("db");
    let t = Instant::now();
    let (index_bytes, listed) = generate(&db, modules);
    println!(
        "vulndb cost: index/modules.json of {modules} modules, {listed} vulnerabilities, {:.1} MB ({}; generated in {:.1} s), \
         {} modules looked up ({} reports), {} CPUs",
        index_bytes as f64 / 1e6,
        match (full, cfg!(debug_assertions)) {
            (true, false) => "full run, optimized",
            (true, true) => "full run, debug build",
            (false, false) => "smoke run, optimized",
            (false, true) => "smoke run, debug build",
        },
        t.elapsed().as_secs_f64(),
        ASKED.len(),
        ASKED.iter().map(|(_, n)| n).sum::<usize>(),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    );

    let up = Upstream::start();
    up.set_vulndb(&db);
    let cache = work.path().join("cache");
    let file_url = url::Url::from_directory_path(&db).expect("file URL").to_string();
    let http_url = up.vulndb_url();
    let mut failed = Vec::new();
    for (what, base, cache) in [
        ("file://", &file_url, work.path().join("unused-cache")),
        ("http, cold cache", &http_url, cache.clone()),
        ("http, warm cache", &http_url, cache),
    ] {
        up.clear_requests();
        let m = measure(base, &cache);
        let requests = up.requests();
        let not_modified = requests.iter().filter(|r| r.status == 304).count();
        let verdict = if m.peak_mib() < LIMIT_MIB { "PASS" } else { "FAIL" };
        println!(
            "{what:>18}: {:>7.1} ms   {} reports   peak RSS {:>5.1} MiB (idle process {:>4.1} MiB)   {:>3} requests ({not_modified} answered 304)   {verdict} (< {LIMIT_MIB} MiB)",
            m.millis,
            m.reports,
            m.peak_mib(),
            m.idle_kib as f64 / 1024.0,
            requests.len(),
        );
        if m.peak_mib() >= LIMIT_MIB {
            failed.push(format!("{what}: {:.1} MiB", m.peak_mib()));
        }
    }
    drop(up);
    drop(work);
    if full && !failed.is_empty() {
        panic!("peak RSS over {LIMIT_MIB} MiB: {}", failed.join("; "));
    }
}

/// What one measured process said.
struct Measured {
    millis: f64,
    reports: usize,
    /// VmHWM once the runtime and the HTTP client exist, before the look-up.
    idle_kib: u64,
    /// VmHWM after the look-up.
    peak_kib: u64,
}

impl Measured {
    fn peak_mib(&self) -> f64 {
        self.peak_kib as f64 / 1024.0
    }
}

/// Runs the look-up of [`ASKED`] at `base` in a fresh process with `cache` as its cache.
fn measure(base: &str, cache: &Path) -> Measured {
    let exe = std::env::current_exe().expect("this bench's path");
    let out = Command::new(exe).args([CHILD, base, cache.to_str().expect("utf-8 path")]).output().expect("run child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "look-up at {base} failed: {}{}", stdout, String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("child said {stdout:?}: {e}"));
    Measured {
        millis: v["millis"].as_f64().unwrap(),
        reports: v["reports"].as_u64().unwrap() as usize,
        idle_kib: v["idle_kib"].as_u64().unwrap(),
        peak_kib: v["peak_kib"].as_u64().unwrap(),
    }
}

/// The measured process: one look-up, then a JSON line with the numbers.
fn child(base: &str, cache: &str) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let http = currency::Http::new(false).expect("HTTP client");
    let cache = currency::Cache::at(Path::new(cache));
    let base = url::Url::parse(base).expect("base URL");
    let modules: BTreeSet<String> = ASKED.iter().map(|(m, _)| m.to_string()).collect();
    let idle_kib = vm_hwm_kib();
    let t = Instant::now();
    let db = rt.block_on(currency::lookup_vulndb(&http, &cache, &base, &modules)).unwrap_or_else(|e| {
        eprintln!("error: {}", e.one_line());
        std::process::exit(1)
    });
    let millis = t.elapsed().as_secs_f64() * 1000.0;
    let peak_kib = vm_hwm_kib();
    println!("{}", json!({"millis": millis, "reports": db.reports.len(), "idle_kib": idle_kib, "peak_kib": peak_kib}));
}

/// The peak resident set of this process so far (KiB).
fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

/// xorshift64: deterministic and cheap.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Writes the database under `dir`: `index/modules.json` of `modules` modules (the asked ones
/// among them, spread out), streamed to disk, and the reports of the asked modules. Returns the
/// index's size and the number of vulnerabilities it lists.
fn generate(dir: &Path, modules: usize) -> (u64, usize) {
    std::fs::create_dir_all(dir.join("index")).expect("index dir");
    std::fs::create_dir_all(dir.join("ID")).expect("ID dir");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut next_id = 0usize;
    let mut id = |year: u64| {
        next_id += 1;
        format!("GO-{year}-{next_id:04}")
    };
    let file = std::fs::File::create(dir.join("index/modules.json")).expect("create index");
    let mut out = std::io::BufWriter::new(file);
    out.write_all(b"[").unwrap();
    let mut listed = 0;
    let spread = modules / ASKED.len();
    for i in 0..modules {
        let asked = (i % spread == spread / 2).then(|| ASKED.get(i / spread)).flatten();
        let (path, vulns) = match asked {
            Some((path, n)) => (path.to_string(), asked_reports(dir, path, *n, &mut rng, &mut id)),
            None => {
                let path = format!("github.com/org{}/project-{i}{}", rng.below(5000), ["", "/v2", "/v3"][i % 3]);
                let n = 1 + rng.below(6) as usize;
                let vulns = (0..n).map(|_| index_entry(&id(2019 + rng.below(7)), &mut rng, None)).collect();
                (path, vulns)
            }
        };
        listed += vulns.len();
        if i > 0 {
            out.write_all(b",").unwrap();
        }
        serde_json::to_writer(&mut out, &json!({"path": path, "vulns": vulns})).unwrap();
    }
    out.write_all(b"]").unwrap();
    out.flush().unwrap();
    drop(out);
    std::fs::write(dir.join("index/db.json"), json!({"modified": "2025-01-10T08:00:00Z"}).to_string()).unwrap();
    (std::fs::metadata(dir.join("index/modules.json")).unwrap().len(), listed)
}

/// One `vulns` entry of the index; `fixed` as given, else made up (absent one time in five).
fn index_entry(id: &str, rng: &mut Rng, fixed: Option<&str>) -> Value {
    let modified = format!(
        "20{:02}-{:02}-{:02}T{:02}:00:00Z",
        20 + rng.below(5),
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(24)
    );
    let fixed = fixed
        .map(String::from)
        .or_else(|| (rng.below(5) != 0).then(|| format!("{}.{}.{}", rng.below(3), rng.below(40), rng.below(20))));
    match fixed {
        Some(fixed) => json!({"id": id, "modified": modified, "fixed": fixed}),
        None => json!({"id": id, "modified": modified}),
    }
}

/// `n` reports on the asked module `path`, written as `ID/<id>.json`; their index entries.
fn asked_reports(dir: &Path, path: &str, n: usize, rng: &mut Rng, id: &mut impl FnMut(u64) -> String) -> Vec<Value> {
    (0..n)
        .map(|k| {
            let id = id(2020 + (k as u64 % 6));
            let line = if path == "stdlib" || path == "toolchain" { 20 + k as u64 % 5 } else { 1 + k as u64 % 10 };
            let fixed = format!("1.{line}.{}", 1 + rng.below(12));
            let entry = index_entry(&id, rng, Some(&fixed));
            let spec = ReportSpec::new(&id, &format!("Denial of service in {path} (report {k})"))
                .alias(&format!("CVE-2024-9{:04}", rng.below(10_000)))
                .modified(entry["modified"].as_str().unwrap())
                .affects(path, &[("introduced", "0"), ("fixed", &fixed)]);
            std::fs::write(dir.join(format!("ID/{id}.json")), spec.osv().to_string()).unwrap();
            entry
        })
        .collect()
}
