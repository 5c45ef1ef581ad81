//! `cargo bench --bench check` (or `./bench`): the cost of `check` as Concourse runs it every
//! minute. Starts the local stand-ins (GitHub releases with 300 releases over three pages, the Go
//! downloads index, the module proxy, smart-HTTP git with basic auth), then times cold checks
//! (empty cache: a fresh TMPDIR) and warm checks (the cache of the previous run), and counts the
//! HTTP requests each kind of check sends and how many were answered 304.
//!
//! The vendored-package case: a source release shaped like golang-release (three final releases,
//! `support::source_release`) on the same smart-HTTP git server. Its look-up alone is timed cold
//! (empty cache: full history fetched), warm (head unchanged: the ref advertisement only) and
//! moved (one new final release: an incremental fetch), with the git requests of each; then
//! `check` of a release vendoring one of its packages, cold and warm, with the git requests per
//! repository.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use currency::secrets::Secret;
use currency::{Cache, lookup_source_release};
use serde_json::json;
use support::source_release::{REPO, ReleaseSpec, SourceReleaseFixture};
use support::{GitServer, Logged, Output, Release, Tmp, Upstream, fixtures};

const TOKEN: &str = "bench-token-0123456789";

fn main() {
    // `cargo bench` passes --bench; under `cargo test --all-targets` one run checks the bench still works.
    let runs = if std::env::args().any(|a| a == "--bench") { 10 } else { 1 };
    let up = Upstream::start();
    for i in 0..300 {
        let tag = format!("v3.{}.{}", 3 + i / 100, i % 100);
        up.add_release(
            "etcd-io/etcd",
            Release::new(&tag).asset(&format!("etcd-{tag}-linux-amd64.tar.gz"), vec![0u8; 16]).with_sha256sums(),
        );
    }
    for v in ["1.22.4", "1.22.5", "1.23.1", "1.23.3", "1.24.0"] {
        up.add_go_release(v, true);
    }
    for v in ["v2.10.22", "v2.10.23"] {
        up.add_module(
            "github.com/nats-io/nats-server/v2",
            v,
            "module github.com/nats-io/nats-server/v2\n",
            "2024-10-01T00:00:00Z",
            &[],
        );
    }
    for v in ["v1.37.0", "v1.38.0"] {
        up.add_module(
            "github.com/nats-io/nats.go",
            v,
            "module github.com/nats-io/nats.go\n",
            "2024-10-01T00:00:00Z",
            &[],
        );
    }
    let vulndb = tempfile::tempdir().unwrap();
    support::vulndb::VulnDbFixture::standard().write(vulndb.path());
    up.set_vulndb(vulndb.path());
    let repos = tempfile::tempdir().unwrap();
    let git = GitServer::start_token(repos.path(), TOKEN);
    fixtures::release_repo("etcd-release", repos.path());
    fixtures::release_repo("nats-release", repos.path());
    let mut golang_release = SourceReleaseFixture::golang(repos.path());
    vendoring_release(&golang_release, repos.path());
    println!("check cost: {runs} runs each, smart-HTTP git with basic auth on 127.0.0.1");
    // The last: every dependency `security_only`, so check reads the vulnerability database.
    for (label, fixture, security_only) in [
        ("etcd-release", "etcd-release", false),
        ("nats-release", "nats-release", false),
        ("security_only", "nats-release", true),
    ] {
        let mut source = source(fixture, &up, &git);
        source["security_only"] = json!(security_only);
        let req = json!({ "source": source }).to_string();
        let c = check_costs(runs, &req, &up, &git, &|o| {
            o.assert_success();
        });
        println!(
            "{label:>14}: cold {} ms median ({:.1} HTTP requests, {:.1} git requests per check); \
             warm {} ms median ({:.1} HTTP requests, {:.1} of them 304; {:.1} git requests); \
             vulnerability database: cold {:.1} requests, warm {:.1} ({:.1} of them 304)",
            median(&mut c.cold.clone()).as_millis(),
            c.per_run(c.cold_http),
            c.per_run(c.cold_git.len()),
            median(&mut c.warm.clone()).as_millis(),
            c.per_run(c.warm_http),
            c.per_run(c.warm_304),
            c.per_run(c.warm_git.len()),
            c.per_run(c.cold_vulndb),
            c.per_run(c.warm_vulndb),
            c.per_run(c.warm_vulndb_304),
        );
    }
    source_release_lookups(runs, &mut golang_release, &git);
    vendored_check(runs, &up, &git);
}

/// The `source` of a check of `fixture` against the stand-ins.
fn source(fixture: &str, up: &Upstream, git: &GitServer) -> serde_json::Value {
    json!({
        "repository": format!("cloudfoundry/{fixture}"),
        "git_url": git.url_for(fixture),
        "access_token": TOKEN,
        "github_api_url": up.url(),
        "vulndb": up.vulndb_url(),
        "upstream_api_url": up.url(),
        "go_proxy": up.goproxy_url(),
        "go_downloads_url": up.go_downloads_url(),
        // nats-release vendors golang-1.23-linux: its source release is served here too.
        "golang_release": {"repository": "cloudfoundry/bosh-package-golang-release", "git_url": git.url_for(REPO)},
    })
}

/// What `runs` cold and `runs` warm checks cost.
struct Costs {
    runs: usize,
    cold: Vec<Duration>,
    warm: Vec<Duration>,
    cold_http: usize,
    warm_http: usize,
    warm_304: usize,
    cold_git: Vec<Logged>,
    warm_git: Vec<Logged>,
    /// The requests to the vulnerability database (`/vulndb/`), cold and warm.
    cold_vulndb: usize,
    warm_vulndb: usize,
    warm_vulndb_304: usize,
}

impl Costs {
    fn per_run(&self, n: usize) -> f64 {
        n as f64 / self.runs as f64
    }
}

/// Runs `check` with `req` cold (a container that never ran a check) and warm (the reused check
/// container, primed by a first run) `runs` times each; `accept` panics on an output that is not
/// the expected one.
fn check_costs(runs: usize, req: &str, up: &Upstream, git: &GitServer, accept: &dyn Fn(&Output)) -> Costs {
    let mut c = Costs {
        runs,
        cold: vec![],
        warm: vec![],
        cold_http: 0,
        warm_http: 0,
        warm_304: 0,
        cold_git: vec![],
        warm_git: vec![],
        cold_vulndb: 0,
        warm_vulndb: 0,
        warm_vulndb_304: 0,
    };
    let vulndb = |reqs: &[Logged]| reqs.iter().filter(|r| r.path().starts_with("/vulndb/")).count();
    let shared = Tmp::new();
    for i in 0..runs {
        let fresh = Tmp::new();
        up.clear_requests();
        git.clear_requests();
        let t = Instant::now();
        accept(&fresh.run(support::bin("check"), &[], req, &[]));
        c.cold.push(t.elapsed());
        c.cold_http += up.requests().len();
        c.cold_vulndb += vulndb(&up.requests());
        c.cold_git.extend(git.requests());
        if i == 0 {
            accept(&shared.run(support::bin("check"), &[], req, &[]));
        }
        up.clear_requests();
        git.clear_requests();
        let t = Instant::now();
        accept(&shared.run(support::bin("check"), &[], req, &[]));
        c.warm.push(t.elapsed());
        let reqs = up.requests();
        c.warm_http += reqs.len();
        c.warm_304 += reqs.iter().filter(|r| r.status == 304).count();
        c.warm_vulndb += vulndb(&reqs);
        c.warm_vulndb_304 += reqs.iter().filter(|r| r.path().starts_with("/vulndb/") && r.status == 304).count();
        c.warm_git.extend(git.requests());
    }
    c
}

/// `check` of a release vendoring a golang-release package: cold and warm, with the git requests
/// to the release and to the source release.
fn vendored_check(runs: usize, up: &Upstream, git: &GitServer) {
    let mut source = source("vendoring-release", up, git);
    source["dependencies"] = json!([{
        "name": "golang",
        "kind": "vendored-package",
        "release": "cloudfoundry/bosh-package-golang-release",
        "package": "golang-{line}-linux",
        "git_url": git.url_for(REPO),
    }]);
    let req = json!({"source": source}).to_string();
    let c = check_costs(runs, &req, up, git, &|o| {
        o.assert_success();
    });
    let of = |requests: &[Logged], name| {
        let (all, posts) = git_counts(requests, name);
        format!("{:.1}/{:.1}", c.per_run(all), c.per_run(posts))
    };
    println!(
        "vendoring-release: cold {} ms median ({:.1} HTTP requests; git requests/fetches: release {}, source \
         release {}); warm {} ms median ({:.1} HTTP requests; git requests/fetches: release {}, source release {})",
        median(&mut c.cold.clone()).as_millis(),
        c.per_run(c.cold_http),
        of(&c.cold_git, "vendoring-release"),
        of(&c.cold_git, REPO),
        median(&mut c.warm.clone()).as_millis(),
        c.per_run(c.warm_http),
        of(&c.warm_git, "vendoring-release"),
        of(&c.warm_git, REPO),
    );
}

/// A release vendoring `golang-1.23-linux` of `golang_release`'s 0.2.0 (behind: 0.3.0 has a newer
/// Go), pushed as `<repos>/vendoring-release.git`.
fn vendoring_release(golang_release: &SourceReleaseFixture, repos: &std::path::Path) {
    let vendored = golang_release.package("0.2.0", "golang-1.23-linux");
    let spec_lock = format!("name: golang-1.23-linux\nfingerprint: {}\n", vendored.fingerprint);
    let index = format!(
        "builds:\n  {fp}:\n    version: {fp}\n    blobstore_id: {}\n    sha1: {}\nformat-version: \"2\"\n",
        vendored.blobstore_id,
        vendored.sha1,
        fp = vendored.fingerprint
    );
    let base = fixtures::fixtures_dir().join("etcd-release");
    let extra = [
        ("packages/golang-1.23-linux/spec.lock", spec_lock.as_str()),
        (".final_builds/packages/golang-1.23-linux/index.yml", index.as_str()),
    ];
    fixtures::release_repo_from(&base, &extra, "vendoring-release", repos);
}

/// How many of `requests` went to repository `name`, and how many of those fetched objects.
fn git_counts(requests: &[Logged], name: &str) -> (usize, usize) {
    let prefix = format!("/{name}.git/");
    let to: Vec<_> = requests.iter().filter(|r| r.path_and_query.starts_with(&prefix)).collect();
    (to.len(), to.iter().filter(|r| r.method == "POST").count())
}

/// The source release look-up alone, through the library: cold, warm and after one new final
/// release.
fn source_release_lookups(runs: usize, golang_release: &mut SourceReleaseFixture, git: &GitServer) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = git.url_for(REPO);
    let token = Secret::new(TOKEN);
    let lookup = |cache: &Cache| {
        let t = Instant::now();
        let found = rt.block_on(lookup_source_release(cache, &url, Some(&token), false)).unwrap();
        (t.elapsed(), found.releases.len())
    };
    let (mut cold, mut warm, mut moved) = (Vec::new(), Vec::new(), Vec::new());
    let (mut cold_git, mut warm_git, mut moved_git) = ((0, 0), (0, 0), (0, 0));
    let add = |total: &mut (usize, usize), (requests, posts): (usize, usize)| {
        total.0 += requests;
        total.1 += posts;
    };
    let shared = tempfile::tempdir().unwrap();
    let shared = Cache::at(shared.path());
    for i in 0..runs {
        let fresh = tempfile::tempdir().unwrap();
        git.clear_requests();
        cold.push(lookup(&Cache::at(fresh.path())).0);
        add(&mut cold_git, git_counts(&git.requests(), REPO));
        if i == 0 {
            lookup(&shared);
        }
        git.clear_requests();
        warm.push(lookup(&shared).0);
        add(&mut warm_git, git_counts(&git.requests(), REPO));
        golang_release.add_release(&ReleaseSpec::new(
            &format!("0.{}.0", 4 + i),
            &[("golang-1-linux", &format!("1.24.{i}")), ("golang-1.24-linux", &format!("1.24.{i}"))],
        ));
        git.clear_requests();
        let (elapsed, releases) = lookup(&shared);
        assert_eq!(releases, 4 + i, "the new final release is seen");
        moved.push(elapsed);
        add(&mut moved_git, git_counts(&git.requests(), REPO));
    }
    let per = |(requests, posts): (usize, usize)| (requests as f64 / runs as f64, posts as f64 / runs as f64);
    let ((cr, cp), (wr, wp), (mr, mp)) = (per(cold_git), per(warm_git), per(moved_git));
    println!(
        "source release look-up: cold {} ms median ({cr:.1} git requests, {cp:.1} fetches); warm {} ms median \
         ({wr:.1} git requests, {wp:.1} fetches); after a new final release {} ms median ({mr:.1} git requests, \
         {mp:.1} fetches)",
        median(&mut cold).as_millis(),
        median(&mut warm).as_millis(),
        median(&mut moved).as_millis(),
    );
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}
