//! Network faults and hostile upstream answers, end to end: the real `check`, `in` and `out`
//! binaries talk to the upstream stand-in through `FaultProxy`, which injects faults below and
//! above HTTP (hangs, resets, truncated and oversized bodies, 5xx, garbage, redirect loops); rate
//! limits come from the stand-in itself. Every case asserts what the user sees (one `error:` line
//! naming the URL or dependency, no token) and what the servers hold afterwards (tries made,
//! blobstore objects, branches, pull requests). Backoff is shortened with
//! `CURRENCY_RETRY_BASE_MS` and timeouts with `CURRENCY_HTTP_TIMEOUT_SECS`.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::faults::{Blackhole, Fault, FaultProxy};
use support::{GitServer, Release, Tmp, Upstream, fixtures};

const TOKEN: &str = "ghp_FAULTSTOKENmustNEVERbePRINTED00001";
const REPO: &str = "cloudfoundry/fixture-release";
const RELEASES: &str = "/repos/etcd-io/etcd/releases";
const GO_INDEX: &str = "/dl/?mode=json";
const RETRY: (&str, &str) = ("CURRENCY_RETRY_BASE_MS", "5");

/// The upstream stand-in, the proxy in front of it, a release repository and a TMPDIR.
struct World {
    up: Upstream,
    proxy: FaultProxy,
    repos: tempfile::TempDir,
    tmp: Tmp,
}

impl World {
    fn new() -> World {
        let up = Upstream::start();
        let proxy = FaultProxy::start(&up.url());
        World { up, proxy, repos: tempfile::tempdir().unwrap(), tmp: Tmp::new().with_timeout(Duration::from_secs(60)) }
    }

    fn repo(&self, fixture: &str) -> PathBuf {
        fixtures::release_repo(fixture, self.repos.path())
    }

    /// Every upstream through the proxy; the token goes with upstream look-ups.
    fn source(&self, bare: &Path, extra: Value) -> Value {
        let p = self.proxy.url();
        let mut s = json!({
            "repository": REPO,
            "git_url": format!("file://{}", bare.display()),
            "github_api_url": self.up.url(),
            "vulndb": self.up.vulndb_url(),
            "upstream_api_url": p,
            "upstream_access_token": TOKEN,
            "go_proxy": format!("{p}/goproxy"),
            "go_downloads_url": format!("{p}/dl/"),
            "golang_release": support::fixture_golang_release(),
        });
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    }

    fn run(&self, bin: &str, args: &[&str], req: &Value, env: &[(&str, &str)]) -> support::Output {
        let mut all = vec![RETRY];
        all.extend_from_slice(env);
        let out = self.tmp.run(support::bin(bin), args, &req.to_string(), &all);
        assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN), "the token was printed:\n{out:#?}");
        out
    }

    fn check(&self, source: &Value, env: &[(&str, &str)]) -> support::Output {
        self.run("check", &[], &json!({ "source": source }), env)
    }

    fn get(&self, dest: &Path, source: &Value, version: Value, params: Value) -> support::Output {
        let req = json!({ "source": source, "version": version, "params": params });
        self.run("in", &[dest.to_str().unwrap()], &req, &[])
    }
}

fn etcd_upstream(up: &Upstream) {
    for tag in ["v3.3.15", "v3.3.27", "v3.5.17"] {
        let name = format!("etcd-{tag}-linux-amd64.tar.gz");
        up.add_release(
            "etcd-io/etcd",
            Release::new(tag).asset(&name, format!("etcd {tag}").into_bytes()).with_sha256sums(),
        );
    }
}

fn etcd_source(w: &World) -> Value {
    let bare = w.repo("etcd-release");
    w.source(
        &bare,
        json!({"dependencies": [{"name": "etcd", "kind": "github-release", "upstream": "etcd-io/etcd",
               "blob": "etcd/etcd-v{version}-linux-amd64.tar.gz", "constraint": "~3.3"}]}),
    )
}

/// The single `error: ` line of a failed run with nothing on stdout.
#[track_caller]
fn error_line(out: &support::Output) -> String {
    out.assert_failure();
    assert_eq!(out.stdout, "", "stdout must stay empty on failure");
    let lines: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(lines.len(), 1, "exactly one error line expected:\n{}", out.stderr);
    eprintln!("{}", lines[0]);
    lines[0].to_string()
}

#[track_caller]
fn assert_names(line: &str, needles: &[&str]) {
    for n in needles {
        assert!(line.contains(n), "the error line should name {n:?}: {line}");
    }
}

fn statuses(seen: &[support::faults::Seen]) -> Vec<Option<u16>> {
    seen.iter().map(|s| s.status).collect()
}

// --- 5xx --------------------------------------------------------------------------------------

#[test]
fn two_5xx_answers_then_ok_are_retried_and_check_succeeds() {
    let w = World::new();
    etcd_upstream(&w.up);
    w.proxy.inject(RELEASES, Fault::Status(503), 1);
    w.proxy.inject(RELEASES, Fault::Status(502), 1);
    let out = w.check(&etcd_source(&w), &[]);
    out.assert_success();
    assert_eq!(out.json(), json!([{"etcd": "3.3.27"}]));
    let seen = w.proxy.seen_under(RELEASES);
    assert_eq!(statuses(&seen), [Some(503), Some(502), Some(200)], "{seen:#?}");
    assert!(seen.iter().all(|s| s.authorized), "every try carries the token");
    let retries: Vec<&str> = out.stderr.lines().filter(|l| l.contains("retrying in")).collect();
    assert_eq!(retries.len(), 2, "{}", out.stderr);
    assert!(
        retries[0].contains(&format!("{}{RELEASES}", w.proxy.url())) && retries[0].contains("503"),
        "{}",
        retries[0]
    );
}

#[test]
fn a_5xx_on_every_try_fails_after_four_tries_naming_the_url() {
    let w = World::new();
    etcd_upstream(&w.up);
    w.proxy.always(RELEASES, Fault::Status(502));
    let started = Instant::now();
    let out = w.check(&etcd_source(&w), &[]);
    let line = error_line(&out);
    assert_names(&line, &[&format!("{}{RELEASES}", w.proxy.url()), "502", "4 tries", "upstream etcd-io/etcd"]);
    assert_eq!(w.proxy.seen_under(RELEASES).len(), 4, "bounded: the first try and three retries");
    assert!(started.elapsed() < Duration::from_secs(20));
}

// --- resets and truncated bodies on look-ups ---------------------------------------------------

#[test]
fn a_reset_or_a_truncated_json_answer_is_retried_and_check_succeeds() {
    let w = World::new();
    etcd_upstream(&w.up);
    w.up.add_go_release("1.9.7", true);
    w.up.add_go_release("1.10.3", true);
    w.proxy.inject(RELEASES, Fault::ResetMidBody, 1);
    w.proxy.inject(RELEASES, Fault::Truncated, 1);
    w.proxy.inject(GO_INDEX, Fault::Reset, 1);
    w.proxy.inject(GO_INDEX, Fault::Truncated, 1);
    let etcd = etcd_source(&w);
    let out = w.check(&etcd, &[]);
    out.assert_success();
    assert_eq!(out.json(), json!([{"etcd": "3.3.27"}]));
    let seen = w.proxy.seen_under(RELEASES);
    assert_eq!(
        seen.iter().map(|s| s.fault.clone()).collect::<Vec<_>>(),
        [Some(Fault::ResetMidBody), Some(Fault::Truncated), None],
        "{seen:#?}"
    );
    assert!(seen[0].body_bytes > 0, "the cut answer had begun");

    let bare = w.repo("golang-old-release");
    let out = w.check(&w.source(&bare, json!({})), &[]);
    out.assert_success();
    assert_eq!(out.json(), json!([{"golang": "1.10.3"}]));
    assert_eq!(w.proxy.seen_under(GO_INDEX).len(), 3);
}

#[test]
fn a_json_answer_cut_on_every_try_is_a_clear_error() {
    let w = World::new();
    etcd_upstream(&w.up);
    w.proxy.always(RELEASES, Fault::Truncated);
    let line = error_line(&w.check(&etcd_source(&w), &[]));
    assert_names(&line, &[&format!("{}{RELEASES}", w.proxy.url()), "4 tries", "upstream etcd-io/etcd"]);
    assert_eq!(w.proxy.seen_under(RELEASES).len(), 4);
}

// --- timeouts ----------------------------------------------------------------------------------

#[test]
fn a_server_that_never_answers_times_out_naming_the_url() {
    let w = World::new();
    etcd_upstream(&w.up);
    w.proxy.always(RELEASES, Fault::Hang);
    let started = Instant::now();
    let out = w.check(&etcd_source(&w), &[("CURRENCY_HTTP_TIMEOUT_SECS", "1")]);
    let took = started.elapsed();
    let line = error_line(&out);
    assert_names(&line, &[&format!("{}{RELEASES}", w.proxy.url()), "timed out", "4 tries"]);
    assert_eq!(w.proxy.seen_under(RELEASES).len(), 4);
    // Four tries of one second each, plus short backoffs: bounded.
    assert!(took >= Duration::from_secs(4) && took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn a_host_that_never_accepts_times_out_connecting() {
    let hole = Blackhole::start();
    if !hole.swallows_connections() {
        eprintln!("skipped: this kernel completes handshakes beyond the accept queue");
        return;
    }
    let w = World::new();
    let bare = w.repo("golang-old-release");
    let source = w.source(&bare, json!({"go_downloads_url": format!("{}/dl/", hole.url())}));
    let started = Instant::now();
    let out = w.check(&source, &[("CURRENCY_HTTP_TIMEOUT_SECS", "1")]);
    let took = started.elapsed();
    let line = error_line(&out);
    assert_names(&line, &[&format!("{}/dl/?mode=json&include=all", hole.url()), "4 tries", "upstream Go downloads"]);
    assert!(took < Duration::from_secs(20), "{took:?}");
}

// --- rate limits (the stand-in's own headers, no proxy needed) ---------------------------------

#[test]
fn an_exhausted_rate_limit_resetting_soon_is_waited_for() {
    let w = World::new();
    etcd_upstream(&w.up);
    // The reset is 2 s after this line (whole epoch seconds, so at least 1 s): the clock starts
    // here, not after the source is built, which can take a second on a loaded machine.
    let started = Instant::now();
    w.up.set_rate_limit(0, Duration::from_secs(2));
    let source = direct(&w, etcd_source(&w));
    let out = w.check(&source, &[("CURRENCY_MAX_RATE_LIMIT_WAIT_SECS", "10")]);
    out.assert_success();
    assert_eq!(out.json(), json!([{"etcd": "3.3.27"}]));
    assert!(started.elapsed() >= Duration::from_secs(1), "it waited for the reset");
    let tries: Vec<u16> = w.up.requests().iter().filter(|r| r.path() == RELEASES).map(|r| r.status).collect();
    assert_eq!(tries.first(), Some(&403));
    assert_eq!(tries.last(), Some(&200));
    assert!(out.stderr.contains("403 Forbidden; retrying in"), "{}", out.stderr);
}

#[test]
fn an_exhausted_rate_limit_resetting_late_fails_at_once() {
    let w = World::new();
    etcd_upstream(&w.up);
    w.up.set_rate_limit(0, Duration::from_secs(3600));
    let source = direct(&w, etcd_source(&w));
    let started = Instant::now();
    let out = w.check(&source, &[("CURRENCY_MAX_RATE_LIMIT_WAIT_SECS", "10")]);
    let line = error_line(&out);
    assert_names(&line, &[&format!("{}{RELEASES}", w.up.url()), "403", "rate limit is exhausted until", "10 s"]);
    assert!(started.elapsed() < Duration::from_secs(5), "no waiting: {:?}", started.elapsed());
    assert_eq!(w.up.requests().iter().filter(|r| r.path() == RELEASES).count(), 1, "asked once");
}

#[test]
fn a_secondary_rate_limit_retry_after_is_honoured() {
    let w = World::new();
    etcd_upstream(&w.up);
    w.up.fail_next_retry_after(RELEASES, 429, 1, 1);
    w.up.fail_next_retry_after(RELEASES, 403, 1, 1);
    let source = direct(&w, etcd_source(&w));
    let started = Instant::now();
    let out = w.check(&source, &[]);
    out.assert_success();
    assert_eq!(out.json(), json!([{"etcd": "3.3.27"}]));
    assert!(started.elapsed() >= Duration::from_secs(2), "two waits of one second");
    let tries: Vec<u16> = w.up.requests().iter().filter(|r| r.path() == RELEASES).map(|r| r.status).collect();
    assert_eq!(tries, [429, 403, 200]);

    // A Retry-After beyond the bound is not waited for.
    w.up.fail_next_retry_after(RELEASES, 429, 1, 3600);
    let fresh = Tmp::new();
    let req = json!({"source": source});
    let out = fresh.run(support::bin("check"), &[], &req.to_string(), &[RETRY]);
    let line = error_line(&out);
    assert_names(&line, &["429", "retry after 3600 s", "CURRENCY_MAX_RATE_LIMIT_WAIT_SECS"]);
}

/// `source` with GitHub look-ups going straight to the stand-in, not through the proxy.
fn direct(w: &World, mut source: Value) -> Value {
    source["upstream_api_url"] = json!(w.up.url());
    source
}

// --- hostile answers ---------------------------------------------------------------------------

#[test]
fn garbage_instead_of_json_is_one_line_naming_the_url_and_the_upstream() {
    let w = World::new();
    etcd_upstream(&w.up);
    w.up.add_go_release("1.10.3", true);
    let t = "2024-10-01T00:00:00Z";
    for v in ["v1.37.0", "v1.38.0"] {
        w.up.add_module("github.com/nats-io/nats.go", v, "module github.com/nats-io/nats.go\n\ngo 1.20\n", t, &[]);
    }
    for v in ["v2.10.22", "v2.10.23"] {
        w.up.add_module(
            "github.com/nats-io/nats-server/v2",
            v,
            "module github.com/nats-io/nats-server/v2\n\ngo 1.21.0\n",
            t,
            &[],
        );
    }

    w.proxy.always(RELEASES, Fault::Garbage);
    let line = error_line(&w.check(&etcd_source(&w), &[]));
    assert_names(
        &line,
        &[&format!("{}{RELEASES}", w.proxy.url()), "not a list of GitHub releases", "upstream etcd-io/etcd"],
    );
    assert_eq!(w.proxy.seen_under(RELEASES).len(), 1, "a 200 is not retried");

    w.proxy.always(GO_INDEX, Fault::Garbage);
    let golang = w.source(&w.repo("golang-old-release"), json!({}));
    let line = error_line(&w.check(&golang, &[]));
    assert_names(
        &line,
        &[&format!("{}/dl/?mode=json&include=all", w.proxy.url()), "not a Go downloads index", "upstream Go downloads"],
    );

    w.proxy.clear();
    let module = "/goproxy/github.com/nats-io/nats.go/@v/list";
    w.proxy.always(module, Fault::Garbage);
    let nats = w.source(&w.repo("nats-release"), json!({}));
    let line = error_line(&w.check(&nats, &[]));
    assert_names(
        &line,
        &[&format!("{}{module}", w.proxy.url()), "not a module version list", "upstream github.com/nats-io/nats.go"],
    );

    // Once the upstreams answer properly, nothing bad was kept in the cache.
    w.proxy.clear();
    w.check(&golang, &[]).assert_success();
    let out = w.check(&nats, &[]);
    out.assert_success();
    assert_eq!(out.json(), json!([{"nats-server": "2.10.23", "nats.go": "1.38.0"}]));
}

#[test]
fn a_redirect_loop_is_a_clear_bounded_error() {
    let w = World::new();
    etcd_upstream(&w.up);
    w.proxy.always(RELEASES, Fault::RedirectLoop);
    let started = Instant::now();
    let line = error_line(&w.check(&etcd_source(&w), &[]));
    assert_names(&line, &[&format!("{}{RELEASES}", w.proxy.url()), "redirect"]);
    let n = w.proxy.seen_under(RELEASES).len();
    assert!((2..=11).contains(&n), "{n} requests");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn in_reports_garbage_from_the_go_index_and_writes_no_plan() {
    let w = World::new();
    w.up.add_go_release("1.9.7", true);
    w.up.add_go_release("1.10.3", true);
    w.proxy.always(GO_INDEX, Fault::Garbage);
    let source = w.source(&w.repo("golang-old-release"), json!({}));
    let dest = w.tmp.path().join("get");
    std::fs::create_dir_all(&dest).unwrap();
    let out = w.get(&dest, &source, json!({"golang": "1.10.3"}), json!({"download": true}));
    let line = error_line(&out);
    assert_names(&line, &["/dl/?mode=json&include=all", "not a Go downloads index"]);
    assert!(!dest.join("plan.json").exists() && !dest.join("artifacts").exists());
}

// --- downloads during `out` ----------------------------------------------------------------------

/// `out` of a github-release blob dependency (tracking `golang/go` releases in the
/// golang-old-release fixture) with a local blobstore, the git server and the PR stand-in.
struct OutWorld {
    w: World,
    git: GitServer,
    bare: PathBuf,
    blobstore: PathBuf,
    bytes: Vec<u8>,
}

const ASSET: &str = "go1.10.3.linux-amd64.tar.gz";

impl OutWorld {
    /// `sums`: the SHA256SUMS asset's text, or `None` for one listing the asset properly.
    fn new(sums: Option<&str>) -> OutWorld {
        let w = World::new();
        let git = GitServer::start_token(w.repos.path(), TOKEN);
        let bare = fixtures::release_repo("golang-old-release", w.repos.path());
        w.up.link_git(REPO, &bare);
        w.up.grant_push(REPO, TOKEN);
        // 2 MiB of a repeating but not constant pattern.
        let bytes: Vec<u8> = (0..2u32 << 20).map(|i| (i % 251) as u8).collect();
        let mut release = Release::new("go1.10.3").asset_without_digest(ASSET, bytes.clone());
        release = match sums {
            None => release.with_sha256sums(),
            Some(text) => release.asset("SHA256SUMS", text.as_bytes().to_vec()),
        };
        w.up.add_release(
            "golang/go",
            Release::new("go1.9.7").asset("go1.9.7.linux-amd64.tar.gz", b"old".to_vec()).with_sha256sums(),
        );
        w.up.add_release("golang/go", release);
        let blobstore = w.tmp.path().join("blobstore");
        std::fs::create_dir_all(&blobstore).unwrap();
        OutWorld { w, git, bare, blobstore, bytes }
    }

    fn source(&self) -> Value {
        let bare = self.bare.clone();
        let mut s = self.w.source(
            &bare,
            json!({
                "access_token": TOKEN,
                "git_url": self.git.url_for("golang-old-release"),
                "blobstore": {"options": {"blobstore_path": self.blobstore.to_str().unwrap()}},
                "git_author": {"name": "currency-bot", "email": "bot@currency.invalid"},
                "dependencies": [{"name": "golang", "kind": "github-release", "upstream": "golang/go",
                                  "blob": "golang/go{version}.linux-amd64.tar.gz", "tag": "go{version}",
                                  "checksums": "SHA256SUMS"}],
            }),
        );
        s["github_api_url"] = json!(self.w.up.url());
        s
    }

    fn out(&self) -> support::Output {
        self.out_with(self.source(), &[])
    }

    fn out_with(&self, source: Value, env: &[(&str, &str)]) -> support::Output {
        let sources = self.w.tmp.path().join("sources");
        std::fs::create_dir_all(&sources).unwrap();
        let req = json!({"source": source, "params": {}});
        self.w.run("out", &[sources.to_str().unwrap()], &req, env)
    }

    /// The path of the asset's bytes through the API (the token goes with upstream requests).
    fn asset_path(&self) -> String {
        let release =
            support::http::get(&format!("{}/repos/golang/go/releases/tags/go1.10.3", self.w.up.url()), &[]).json();
        let asset = release["assets"].as_array().unwrap().iter().find(|a| a["name"] == ASSET).unwrap().clone();
        let url = asset["url"].as_str().unwrap();
        url.strip_prefix(&self.w.up.url()).unwrap().to_string()
    }

    fn objects(&self) -> Vec<PathBuf> {
        let mut v = support::files_under(&self.blobstore);
        v.sort();
        v
    }

    #[track_caller]
    fn assert_nothing_written(&self) {
        assert!(self.objects().is_empty(), "nothing uploaded: {:?}", self.objects());
        assert_eq!(fixtures::branches(&self.bare), ["main"], "no branch pushed");
        assert!(self.w.up.pulls(REPO).is_empty(), "no pull request");
    }
}

#[test]
fn a_download_cut_half_way_is_fetched_again_and_uploaded_once() {
    let o = OutWorld::new(None);
    let asset = o.asset_path();
    o.w.proxy.inject(&asset, Fault::ResetMidBody, 1);
    let out = o.out();
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"golang": "1.10.3"}));
    assert!(
        out.stderr.contains("golang: ") && out.stderr.contains("downloading again from the start"),
        "{}",
        out.stderr
    );
    let seen = o.w.proxy.seen_under(&asset);
    assert_eq!(seen.len(), 2, "{seen:#?}");
    assert_eq!(seen[0].fault, Some(Fault::ResetMidBody));
    assert!(seen[0].body_bytes >= (o.bytes.len() / 2) as u64);
    let objects = o.objects();
    assert_eq!(objects.len(), 1, "uploaded once: {objects:?}");
    assert_eq!(std::fs::read(&objects[0]).unwrap(), o.bytes);
    let blobs = fixtures::read_file(&o.bare, "currency/golang", "config/blobs.yml").unwrap();
    assert!(blobs.contains(&format!("sha: sha256:{}", support::sha256_hex(&o.bytes))), "{blobs}");
    assert!(blobs.contains(&format!("size: {}", o.bytes.len())), "{blobs}");
    assert_eq!(o.w.up.pulls(REPO).len(), 1);
}

#[test]
fn a_download_cut_on_every_try_uploads_pushes_and_opens_nothing() {
    let o = OutWorld::new(None);
    let asset = o.asset_path();
    o.w.proxy.always(&asset, Fault::Truncated);
    let line = error_line(&o.out());
    assert_names(&line, &["dependency golang", ASSET, "3 times", "stopped after"]);
    assert_eq!(o.w.proxy.seen_under(&asset).len(), 3, "three downloads from scratch, then it gives up");
    o.assert_nothing_written();
}

#[test]
fn a_sha256sums_without_the_asset_fails_before_anything_is_written() {
    let other = format!("{}  go1.10.3.darwin-amd64.tar.gz\n", "ab".repeat(32));
    let o = OutWorld::new(Some(&other));
    let line = error_line(&o.out());
    assert_names(&line, &["dependency golang", "SHA256SUMS", &format!("does not list {ASSET}")]);
    assert!(o.w.proxy.seen_under(&o.asset_path()).is_empty(), "the archive was never downloaded");
    o.assert_nothing_written();
}

#[test]
fn an_archive_larger_than_the_release_declares_is_refused_without_reading_it_all() {
    let o = OutWorld::new(None);
    let asset = o.asset_path();
    let extra = 512u64 << 20;
    // No length announced: the download must stop itself once past the declared size.
    o.w.proxy.always(&asset, Fault::Oversize { extra, announce: false });
    let started = Instant::now();
    let line = error_line(&o.out());
    assert_names(&line, &["dependency golang", "more than the 2097152 bytes upstream declares", "stopped there"]);
    let seen = o.w.proxy.seen_under(&asset);
    assert_eq!(seen.len(), 1, "not retried: {seen:#?}");
    assert!(seen[0].body_bytes < 64 << 20, "the client stopped reading: {} bytes written", seen[0].body_bytes);
    assert!(started.elapsed() < Duration::from_secs(30));
    o.assert_nothing_written();

    // Announced: refused on the headers.
    o.w.proxy.clear();
    o.w.proxy.always(&asset, Fault::Oversize { extra, announce: true });
    let line = error_line(&o.out());
    assert_names(&line, &["dependency golang", &format!("announces {} bytes", (2u64 << 20) + extra)]);
    o.assert_nothing_written();
}

#[test]
fn a_hanging_pull_request_api_times_out_before_anything_is_written() {
    let o = OutWorld::new(None);
    let pulls = format!("/repos/{REPO}/pulls");
    o.w.proxy.always(&pulls, Fault::Hang);
    let mut source = o.source();
    source["github_api_url"] = json!(o.w.proxy.url());
    let started = Instant::now();
    let line = error_line(&o.out_with(source, &[("CURRENCY_HTTP_TIMEOUT_SECS", "1")]));
    assert_names(&line, &[&format!("{}{pulls}", o.w.proxy.url())]);
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
    o.assert_nothing_written();
}

#[test]
fn a_hanging_git_server_times_out() {
    let w = World::new();
    etcd_upstream(&w.up);
    let git = GitServer::start_token(w.repos.path(), TOKEN);
    fixtures::release_repo("etcd-release", w.repos.path());
    let git_proxy = FaultProxy::start(&git.url());
    git_proxy.always("/", Fault::Hang);
    let mut source = etcd_source(&w);
    source["access_token"] = json!(TOKEN);
    source["git_url"] = json!(git.url_for("etcd-release").replace(&git.url(), &git_proxy.url()));
    let started = Instant::now();
    let line = error_line(&w.check(&source, &[("CURRENCY_HTTP_TIMEOUT_SECS", "1")]));
    assert_names(&line, &[&git_proxy.url()]);
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
}

#[test]
fn in_downloads_again_after_a_cut_and_keeps_nothing_of_an_oversized_archive() {
    let o = OutWorld::new(None);
    let asset = o.asset_path();
    let dest = o.w.tmp.path().join("get");
    std::fs::create_dir_all(&dest).unwrap();
    let version = json!({"golang": "1.10.3"});
    o.w.proxy.inject(&asset, Fault::Truncated, 1);
    let out = o.w.get(&dest, &o.source(), version.clone(), json!({"download": true}));
    out.assert_success();
    assert_eq!(std::fs::read(dest.join("artifacts/golang").join(ASSET)).unwrap(), o.bytes);
    assert_eq!(o.w.proxy.seen_under(&asset).len(), 2);

    let dest = o.w.tmp.path().join("get-again");
    std::fs::create_dir_all(&dest).unwrap();
    o.w.proxy.always(&asset, Fault::Oversize { extra: 256 << 20, announce: false });
    let line = error_line(&o.w.get(&dest, &o.source(), version, json!({"download": true})));
    assert_names(&line, &["dependency golang", "more than the 2097152 bytes upstream declares"]);
    assert!(support::files_under(&dest.join("artifacts")).is_empty(), "{:?}", support::files_under(&dest));
}

// --- git fetches: a cold cache fails once, a damaged warm cache is fetched afresh ------------

/// Deletes the object of the commit at `bare`'s HEAD: the repository still advertises its branch but
/// cannot send it, as a server whose object store lost a commit.
fn lose_the_head_commit(bare: &Path) {
    let out = std::process::Command::new("git").arg("-C").arg(bare).args(["rev-parse", "HEAD"]).output().unwrap();
    let oid = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let loose = bare.join("objects").join(&oid[..2]).join(&oid[2..]);
    std::fs::remove_file(&loose)
        .unwrap_or_else(|e| panic!("the fixture's commit is a loose object {}: {e}", loose.display()));
}

/// The git clones in the check cache of `w`'s runs.
fn cached_clones(w: &World) -> PathBuf {
    w.tmp.tmpdir().join("currency-cache/git")
}

#[test]
fn a_failed_first_fetch_over_http_is_the_error_after_one_try() {
    let w = World::new();
    etcd_upstream(&w.up);
    let git = GitServer::start_token(w.repos.path(), TOKEN);
    let mut source = etcd_source(&w);
    lose_the_head_commit(&w.repos.path().join("etcd-release.git"));
    source["access_token"] = json!(TOKEN);
    source["git_url"] = json!(git.url_for("etcd-release"));
    assert!(!cached_clones(&w).exists(), "the cache starts cold");
    let out = w.check(&source, &[]);
    let line = error_line(&out);
    assert_names(&line, &[&git.url_for("etcd-release")]);
    assert!(!out.stderr.contains("fetching afresh"), "a cold cache is not retried:\n{}", out.stderr);
    let fetches = git.requests().iter().filter(|r| r.method == "POST").count();
    assert_eq!(fetches, 1, "one fetch: {:?}", git.requests());
}

#[test]
fn a_failed_first_fetch_from_a_path_is_the_error_after_one_try() {
    let w = World::new();
    etcd_upstream(&w.up);
    let source = etcd_source(&w);
    let bare = w.repos.path().join("etcd-release.git");
    lose_the_head_commit(&bare);
    let out = w.check(&source, &[]);
    let line = error_line(&out);
    assert_names(&line, &[&bare.display().to_string()]);
    assert!(!out.stderr.contains("fetching afresh"), "a cold cache is not retried:\n{}", out.stderr);
}

#[test]
fn a_warm_cache_whose_objects_are_damaged_is_fetched_afresh() {
    let w = World::new();
    etcd_upstream(&w.up);
    let source = etcd_source(&w);
    let first = w.check(&source, &[]);
    first.assert_success();
    support::damage_git_objects(&cached_clones(&w));
    let again = w.check(&source, &[]);
    again.assert_success();
    assert!(again.stderr.contains("unusable; fetching afresh"), "{}", again.stderr);
    assert_eq!(again.stdout, first.stdout, "the same versions as before the damage");
}

#[test]
fn a_failed_first_fetch_of_a_source_release_is_the_error_after_one_try() {
    let w = World::new();
    let fixture = support::source_release::SourceReleaseFixture::golang(w.repos.path());
    lose_the_head_commit(fixture.bare());
    let source = w.source(
        &w.repo("nats-release"),
        json!({"dependencies": [{"name": "golang", "kind": "vendored-package",
               "release": "cloudfoundry/bosh-package-golang-release", "package": "golang-1.23-linux",
               "git_url": fixture.git_url()}]}),
    );
    let out = w.check(&source, &[]);
    let line = error_line(&out);
    assert_names(&line, &[&fixture.git_url(), "object not found"]);
    assert!(!out.stderr.contains("fetching afresh"), "a cold cache is not retried:\n{}", out.stderr);
}
