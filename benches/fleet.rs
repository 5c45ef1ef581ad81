//! `cargo bench --bench fleet`: the cost of `currency fleet` for a fleet of 50 releases — five
//! fixture repositories (go.mod modules with a vendored golang package, an etcd blob, two golang
//! lines, a nats-server blob, a mix of everything) each pushed under ten names and served over
//! smart-HTTP git with basic auth — against the local GitHub, Go downloads and module proxy
//! stand-ins. Times a cold run (empty cache: a fresh TMPDIR) and a warm one (the cache of the
//! previous run), and counts the requests each sends: upstreams, pull request lists, git.

#[path = "../tests/support/mod.rs"]
mod support;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use support::source_release::{REPO, SourceReleaseFixture};
use support::{GitServer, Logged, Release, Tmp, Upstream, fixtures};

const TOKEN: &str = "bench-fleet-token-0123456789";
const FIXTURES: &[&str] =
    &["nats-release", "etcd-release", "golang-release", "nats-blob-release", "fleet-mixed-release"];
const RELEASES: usize = 50;

fn main() {
    // `cargo bench` passes --bench; under `cargo test --all-targets` one run checks the bench still works.
    let runs = if std::env::args().any(|a| a == "--bench") { 5 } else { 1 };
    let up = Upstream::start();
    for (i, v) in ["2.10.20", "2.10.21", "2.10.22", "2.10.23", "2.11.0"].iter().enumerate() {
        let tag = format!("v{v}");
        up.add_release(
            "nats-io/nats-server",
            Release::new(&tag)
                .created(&format!("2024-{:02}-01T00:00:00Z", i + 1))
                .asset(&format!("nats-server-{tag}-linux-amd64.tar.gz"), vec![0u8; 16]),
        );
    }
    for i in 0..300 {
        let tag = format!("v3.{}.{}", 3 + i / 100, i % 100);
        up.add_release(
            "etcd-io/etcd",
            Release::new(&tag).asset(&format!("etcd-{tag}-linux-amd64.tar.gz"), vec![0u8; 16]),
        );
    }
    for v in ["1.22.4", "1.22.5", "1.23.1", "1.23.3", "1.24.0"] {
        up.add_go_release(v, true);
    }
    let t = "2024-10-01T00:00:00Z";
    for v in ["v2.10.22", "v2.10.23"] {
        up.add_module("github.com/nats-io/nats-server/v2", v, "module github.com/nats-io/nats-server/v2\n", t, &[]);
    }
    for v in ["v1.37.0", "v1.38.0"] {
        up.add_module("github.com/nats-io/nats.go", v, "module github.com/nats-io/nats.go\n", t, &[]);
    }
    for v in ["v3.5.10", "v3.5.17"] {
        up.add_module("go.etcd.io/etcd/client/v3", v, "module go.etcd.io/etcd/client/v3\n", t, &[]);
    }
    up.require_token(TOKEN);

    let vulndb = tempfile::tempdir().unwrap();
    support::vulndb::VulnDbFixture::standard().write(vulndb.path());
    up.set_vulndb(vulndb.path());
    let repos = tempfile::tempdir().unwrap();
    let git = GitServer::start_token(repos.path(), TOKEN);
    // The source release of the vendored golang packages (nats-release, fleet-mixed-release).
    SourceReleaseFixture::golang(repos.path());
    let mut yml = format!(
        "defaults:\n  github_api_url: {api}\n  upstream_api_url: {api}\n  go_proxy: {proxy}\n  go_downloads_url: {dl}\n  \
         vulndb: {vulndb}\n  golang_release: {{repository: cloudfoundry/bosh-package-golang-release, git_url: '{golang}'}}\nreleases:\n",
        api = up.url(),
        proxy = up.goproxy_url(),
        dl = up.go_downloads_url(),
        vulndb = up.vulndb_url(),
        golang = git.url_for(REPO),
    );
    for i in 0..RELEASES {
        let fixture = FIXTURES[i % FIXTURES.len()];
        let name = format!("{fixture}-{i:02}");
        fixtures::release_repo_from(&fixtures::fixtures_dir().join(fixture), &[], &name, repos.path());
        up.add_repo(&format!("cloudfoundry/{name}"));
        writeln!(yml, "  - repository: cloudfoundry/{name}\n    git_url: {}", git.url_for(&name)).unwrap();
    }
    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("FLEET.yml");
    std::fs::write(&config, &yml).unwrap();

    println!(
        "fleet cost: {RELEASES} releases ({} fixtures × {}), smart-HTTP git with basic auth on 127.0.0.1, \
         4 releases at a time; {runs} run(s) each",
        FIXTURES.len(),
        RELEASES / FIXTURES.len()
    );
    let shared = Tmp::new();
    let fleet = |tmp: &Tmp| {
        let out = tmp.path().join("report");
        let t = Instant::now();
        let o = tmp.run(
            support::bin("currency"),
            &["fleet", "--config", config.to_str().unwrap(), "--out", out.to_str().unwrap()],
            "",
            &[("GITHUB_TOKEN", TOKEN)],
        );
        let took = t.elapsed();
        o.assert_success();
        assert!(o.stdout.contains(&format!("{RELEASES} releases (0 unreadable)")), "{}\n{}", o.stdout, o.stderr);
        took
    };
    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    let (mut cold_counts, mut warm_counts) = (Counts::default(), Counts::default());
    for i in 0..runs {
        // Cold: a machine that never ran the report.
        let fresh = Tmp::new();
        up.clear_requests();
        git.clear_requests();
        cold.push(fleet(&fresh));
        cold_counts.add(&up.requests(), git.requests().len());
        // Warm: the same machine again (the first run primes it).
        if i == 0 {
            fleet(&shared);
        }
        up.clear_requests();
        git.clear_requests();
        warm.push(fleet(&shared));
        warm_counts.add(&up.requests(), git.requests().len());
    }
    println!("  cold: {} ms median; {}", median(&mut cold).as_millis(), cold_counts.per_run(runs));
    println!("  warm: {} ms median; {}", median(&mut warm).as_millis(), warm_counts.per_run(runs));
}

#[derive(Default)]
struct Counts {
    releases: usize,
    go_index: usize,
    module: usize,
    pulls: usize,
    /// Requests to the vulnerability database, and how many of them were answered 304.
    vulndb: usize,
    vulndb_304: usize,
    not_modified: usize,
    git: usize,
}

impl Counts {
    fn add(&mut self, log: &[Logged], git: usize) {
        for r in log {
            let p = r.path();
            if p.ends_with("/releases") {
                self.releases += 1;
            } else if p.starts_with("/dl") {
                self.go_index += 1;
            } else if p.starts_with("/goproxy/") {
                self.module += 1;
            } else if p.ends_with("/pulls") {
                self.pulls += 1;
            } else if p.starts_with("/vulndb/") {
                self.vulndb += 1;
                self.vulndb_304 += usize::from(r.status == 304);
            }
            if r.status == 304 {
                self.not_modified += 1;
            }
        }
        self.git += git;
    }

    fn per_run(&self, runs: usize) -> String {
        let n = |v: usize| v as f64 / runs as f64;
        format!(
            "{:.0} HTTP requests ({:.0} GitHub release pages, {:.0} Go index, {:.0} module proxy, {:.0} PR lists, \
             {:.0} vulnerability database ({:.0} of them 304); {:.0} answered 304), {:.0} git requests",
            n(self.releases + self.go_index + self.module + self.pulls + self.vulndb),
            n(self.releases),
            n(self.go_index),
            n(self.module),
            n(self.pulls),
            n(self.vulndb),
            n(self.vulndb_304),
            n(self.not_modified),
            n(self.git)
        )
    }
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}
