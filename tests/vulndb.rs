//! The Go vulnerability database client (contract §12) against a database in the real format
//! (`support::vulndb`), served over HTTP by the upstream stand-in and read as a `file://`
//! directory: the same reports either way, withdrawn ones dropped; only the asked modules'
//! reports fetched, each once; a warm look-up of an unchanged database costs one request answered
//! 304, a changed report is the only one fetched again; garbage is one line naming its URL, and
//! HTTP failures are retried, then the HTTP client's errors.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use currency::error::{Error, ErrorKind};
use currency::version::{Scheme, Version};
use currency::{Cache, Http, VulnDb, lookup_vulndb};
use support::vulndb::{
    ETCD_SERVER_V3, ETCD_V3_3, GO_STDLIB, NATS_GO, NATS_SERVER_FIXED, NATS_SERVER_UNFIXED, STDLIB_WITHDRAWN,
    VulnDbFixture,
};
use support::{Logged, Upstream};
use url::Url;

const NATS_SERVER: &str = "github.com/nats-io/nats-server/v2";

/// A database written from the standard reports, served by a stand-in, and a cache of its own.
struct World {
    up: Upstream,
    dir: tempfile::TempDir,
    cache_dir: tempfile::TempDir,
    http: Http,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        VulnDbFixture::standard().write(dir.path());
        let up = Upstream::start();
        up.set_vulndb(dir.path());
        World { up, dir, cache_dir: tempfile::tempdir().unwrap(), http: Http::new(false).unwrap() }
    }

    fn http_url(&self) -> Url {
        Url::parse(&self.up.vulndb_url()).unwrap()
    }

    /// `file:///…/dir` without a trailing slash.
    fn file_url(&self) -> Url {
        Url::parse(Url::from_directory_path(self.dir.path()).unwrap().as_str().trim_end_matches('/')).unwrap()
    }

    async fn lookup(&self, base: &Url, modules: &[&str]) -> Result<VulnDb, Error> {
        let modules: BTreeSet<String> = modules.iter().map(|m| m.to_string()).collect();
        lookup_vulndb(&self.http, &Cache::at(self.cache_dir.path()), base, &modules).await
    }

    /// The `/vulndb/` requests answered so far: (path, status, conditional), sorted.
    fn requests(&self) -> Vec<(String, u16, bool)> {
        let mut seen: Vec<(String, u16, bool)> = self
            .up
            .requests()
            .iter()
            .filter(|r: &&Logged| r.path().starts_with("/vulndb/"))
            .map(|r| (r.path().to_string(), r.status, r.if_none_match))
            .collect();
        seen.sort();
        seen
    }

    fn write(&self, relative: &str, text: &str) {
        std::fs::write(self.dir.path().join(relative), text).unwrap();
    }
}

fn ids(db: &VulnDb) -> Vec<&str> {
    db.reports.keys().map(String::as_str).collect()
}

fn sv(v: &str) -> Version {
    Version::parse(Scheme::Semver, v).unwrap()
}

fn go(v: &str) -> Version {
    Version::parse(Scheme::Go, v).unwrap()
}

fn affecting<'a>(db: &'a VulnDb, module: &str, version: &Version) -> Vec<(&'a str, Option<String>)> {
    db.affecting(module, version).into_iter().map(|r| (r.id.as_str(), r.fixed_after(module, version))).collect()
}

fn request(path: &str, status: u16, conditional: bool) -> (String, u16, bool) {
    (path.to_string(), status, conditional)
}

#[tokio::test]
async fn http_and_file_directories_give_the_same_reports_without_the_withdrawn_one() {
    let w = World::new();
    let asked = ["stdlib", "toolchain", "github.com/nats-io/nats.go", NATS_SERVER];
    let over_http = w.lookup(&w.http_url(), &asked).await.unwrap();
    assert_eq!(ids(&over_http), [GO_STDLIB, NATS_GO, NATS_SERVER_UNFIXED, NATS_SERVER_FIXED]);
    assert!(!over_http.reports.contains_key(STDLIB_WITHDRAWN), "withdrawn: dropped");

    let from_file = w.lookup(&w.file_url(), &asked).await.unwrap();
    assert_eq!(from_file, over_http);
    let with_slash = Url::from_directory_path(w.dir.path()).unwrap();
    assert!(with_slash.as_str().ends_with('/'));
    assert_eq!(w.lookup(&with_slash, &asked).await.unwrap(), over_http);
    let http_with_slash = Url::parse(&format!("{}/", w.up.vulndb_url())).unwrap();
    assert_eq!(w.lookup(&http_with_slash, &asked).await.unwrap(), over_http);

    let flood = &over_http.reports[GO_STDLIB];
    assert_eq!(flood.aliases, ["CVE-2023-45288", "GHSA-4v7x-pqxf-cx7m"]);
    assert_eq!(flood.summary, "HTTP/2 CONTINUATION flood in net/http");
    assert_eq!(flood.url, "https://pkg.go.dev/vuln/GO-2024-2687");
    let modules: Vec<&str> = flood.affected.iter().map(|a| a.module.as_str()).collect();
    assert_eq!(modules, ["stdlib", "toolchain", "golang.org/x/net"], "a report keeps every module it affects");
}

#[tokio::test]
async fn the_standard_reports_tell_which_versions_are_affected_and_what_fixes_them() {
    let w = World::new();
    let asked = [
        "stdlib",
        "toolchain",
        "github.com/nats-io/nats.go",
        NATS_SERVER,
        "go.etcd.io/etcd/server/v3",
        "go.etcd.io/etcd/v3",
    ];
    let db = w.lookup(&w.http_url(), &asked).await.unwrap();
    let fix = |v: &str| Some(v.to_string());

    assert_eq!(affecting(&db, "stdlib", &go("1.22.1")), [(GO_STDLIB, fix("1.22.2"))]);
    assert_eq!(affecting(&db, "stdlib", &go("1.21.8")), [(GO_STDLIB, fix("1.21.9"))]);
    assert_eq!(affecting(&db, "toolchain", &go("1.22rc1")), [(GO_STDLIB, fix("1.22.2"))]);
    assert!(affecting(&db, "stdlib", &go("1.21.13")).is_empty(), "fixed, and the withdrawn report counts for nothing");
    assert!(affecting(&db, "stdlib", &go("1.22.2")).is_empty());

    assert_eq!(affecting(&db, "github.com/nats-io/nats.go", &sv("v1.37.0")), [(NATS_GO, fix("1.38.0"))]);
    assert!(affecting(&db, "github.com/nats-io/nats.go", &sv("v1.38.0")).is_empty());

    assert_eq!(
        affecting(&db, NATS_SERVER, &sv("2.10.22")),
        [(NATS_SERVER_UNFIXED, None), (NATS_SERVER_FIXED, fix("2.10.23"))]
    );
    assert_eq!(affecting(&db, NATS_SERVER, &sv("v2.10.23")), [(NATS_SERVER_UNFIXED, None)], "still affected");
    assert!(affecting(&db, NATS_SERVER, &sv("2.9.25")).is_empty());

    assert_eq!(affecting(&db, "go.etcd.io/etcd/server/v3", &sv("v3.5.16")), [(ETCD_SERVER_V3, fix("3.5.17"))]);
    assert!(affecting(&db, "go.etcd.io/etcd/server/v3", &sv("3.4.30")).is_empty());
    assert_eq!(affecting(&db, "go.etcd.io/etcd/v3", &sv("v3.3.22+incompatible")), [(ETCD_V3_3, fix("3.3.23"))]);
    assert_eq!(affecting(&db, "go.etcd.io/etcd/v3", &sv("3.3.13")), [(ETCD_V3_3, fix("3.3.23"))]);
    assert!(affecting(&db, "go.etcd.io/etcd/v3", &sv("3.3.23")).is_empty());
}

#[tokio::test]
async fn only_the_asked_modules_reports_are_requested_each_once() {
    let w = World::new();
    let db = w.lookup(&w.http_url(), &["stdlib", "toolchain"]).await.unwrap();
    assert_eq!(ids(&db), [GO_STDLIB]);
    assert_eq!(
        w.requests(),
        [
            request("/vulndb/ID/GO-2024-2687.json", 200, false),
            request("/vulndb/ID/GO-2024-9186.json", 200, false),
            request("/vulndb/index/modules.json", 200, false),
        ],
        "GO-2024-2687, under stdlib and toolchain, once; the withdrawn report read to learn it is withdrawn"
    );
}

#[tokio::test]
async fn a_module_the_database_does_not_list_costs_only_the_index_and_no_module_nothing() {
    let w = World::new();
    let db = w.lookup(&w.http_url(), &["example.com/clean/module"]).await.unwrap();
    assert_eq!(db, VulnDb::default());
    assert_eq!(w.requests(), [request("/vulndb/index/modules.json", 200, false)]);

    w.up.clear_requests();
    assert_eq!(w.lookup(&w.http_url(), &[]).await.unwrap(), VulnDb::default());
    assert_eq!(w.requests(), [], "no module asked: nothing read");
}

#[tokio::test]
async fn a_warm_lookup_of_an_unchanged_database_costs_one_request_answered_304() {
    let w = World::new();
    let asked = ["stdlib", "toolchain", NATS_SERVER];
    let cold = w.lookup(&w.http_url(), &asked).await.unwrap();
    assert_eq!(w.requests().len(), 5, "{:?}", w.requests());
    w.up.clear_requests();

    let warm = w.lookup(&w.http_url(), &asked).await.unwrap();
    assert_eq!(warm, cold);
    assert_eq!(w.requests(), [request("/vulndb/index/modules.json", 304, true)]);
}

#[tokio::test]
async fn a_report_the_index_gives_a_new_modified_time_is_the_only_one_fetched_again() {
    let w = World::new();
    let asked = ["github.com/nats-io/nats.go", NATS_SERVER];
    let cold = w.lookup(&w.http_url(), &asked).await.unwrap();
    let fixture = VulnDbFixture::standard();
    let updated = fixture
        .get(NATS_SERVER_FIXED)
        .summary("Authorization bypass through leafnode and websocket connections")
        .modified("2025-01-10T08:00:00Z");
    fixture.report(updated).write(w.dir.path());
    w.up.clear_requests();

    let warm = w.lookup(&w.http_url(), &asked).await.unwrap();
    assert_eq!(
        w.requests(),
        [request("/vulndb/ID/GO-2024-9191.json", 200, false), request("/vulndb/index/modules.json", 200, true)]
    );
    assert_eq!(
        warm.reports[NATS_SERVER_FIXED].summary,
        "Authorization bypass through leafnode and websocket connections"
    );
    assert_eq!(warm.reports[NATS_GO], cold.reports[NATS_GO]);
    assert_eq!(warm.reports[NATS_SERVER_UNFIXED], cold.reports[NATS_SERVER_UNFIXED]);
}

/// The error of a look-up of `modules` at `base`, which must fail.
async fn failure(w: &World, base: &Url, modules: &[&str]) -> Error {
    match w.lookup(base, modules).await {
        Ok(db) => panic!("look-up at {base} succeeded with {:?}", ids(&db)),
        Err(e) => e,
    }
}

#[tokio::test]
async fn an_index_that_is_not_one_is_an_error_naming_its_url_and_is_not_kept() {
    let w = World::new();
    w.write("index/modules.json", r#"<!DOCTYPE html><html><body>Service Unavailable</body></html>"#);
    for base in [w.http_url(), w.file_url()] {
        let e = failure(&w, &base, &["stdlib"]).await;
        let line = e.one_line();
        let url = format!("{}/index/modules.json", base.as_str().trim_end_matches('/'));
        assert!(line.starts_with(&format!("{url}: not a Go vulnerability database index: expected value")), "{line}");
        assert!(!line.contains('\n'));
        assert_eq!(e.kind(), ErrorKind::UpstreamBroken);
    }
    w.write("index/modules.json", r#"[{"path": "stdlib", "vulns": {"id": "GO-2024-2687"}}]"#);
    let line = failure(&w, &w.http_url(), &["stdlib"]).await.one_line();
    assert!(line.contains("index/modules.json: not a Go vulnerability database index: invalid type: map"), "{line}");
    assert!(w.requests().iter().all(|(path, ..)| path == "/vulndb/index/modules.json"), "no report asked for");

    VulnDbFixture::standard().write(w.dir.path());
    w.up.clear_requests();
    let db = w.lookup(&w.http_url(), &["stdlib"]).await.unwrap();
    assert_eq!(ids(&db), [GO_STDLIB]);
    let index: Vec<_> = w.requests().into_iter().filter(|(path, ..)| path == "/vulndb/index/modules.json").collect();
    assert_eq!(index, [request("/vulndb/index/modules.json", 200, false)], "the garbage was not kept: no ETag to send");
}

#[tokio::test]
async fn a_report_that_is_not_one_is_an_error_naming_its_url_and_is_not_kept() {
    let w = World::new();
    w.write("ID/GO-2024-9180.json", r#"{"schema_version": "1.3.1", "id": "GO-2024-9180", "affected": [{"#);
    for base in [w.http_url(), w.file_url()] {
        let e = failure(&w, &base, &["github.com/nats-io/nats.go"]).await;
        let line = e.one_line();
        let url = format!("{}/ID/GO-2024-9180.json", base.as_str().trim_end_matches('/'));
        assert!(line.starts_with(&format!("{url}: not a Go vulnerability report: EOF while parsing")), "{line}");
        assert_eq!(e.kind(), ErrorKind::UpstreamBroken);
    }
    VulnDbFixture::standard().write(w.dir.path());
    w.up.clear_requests();
    let db = w.lookup(&w.http_url(), &["github.com/nats-io/nats.go"]).await.unwrap();
    assert_eq!(ids(&db), [NATS_GO]);
    assert!(w.requests().contains(&request("/vulndb/ID/GO-2024-9180.json", 200, false)), "garbage was not kept");
}

#[tokio::test]
async fn a_missing_database_is_an_error_naming_where_it_was_looked_for() {
    let w = World::new();
    let empty = tempfile::tempdir().unwrap();
    let base = Url::from_directory_path(empty.path()).unwrap();
    let line = failure(&w, &base, &["stdlib"]).await.one_line();
    let index = empty.path().join("index").join("modules.json");
    assert!(line.starts_with(&format!("{}: ", index.display())), "{line}");
    assert!(line.contains("No such file"), "{line}");

    std::fs::remove_file(w.dir.path().join("ID/GO-2024-2687.json")).unwrap();
    let line = failure(&w, &w.file_url(), &["stdlib"]).await.one_line();
    assert!(
        line.starts_with(&format!("{}: ", Path::new(w.dir.path()).join("ID/GO-2024-2687.json").display())),
        "{line}"
    );
    let e = failure(&w, &w.http_url(), &["stdlib"]).await;
    assert_eq!(e.status(), Some(404));
    assert!(e.one_line().starts_with(&format!("{}/ID/GO-2024-2687.json: 404", w.up.vulndb_url())), "{}", e.one_line());
}

#[tokio::test]
async fn one_503_is_retried_and_the_lookup_succeeds() {
    let w = World::new();
    w.up.fail_next("/vulndb/index/modules.json", 503, 1);
    w.up.fail_next("/vulndb/ID/GO-2024-9180.json", 503, 1);
    let db = w.lookup(&w.http_url(), &["github.com/nats-io/nats.go"]).await.unwrap();
    assert_eq!(ids(&db), [NATS_GO]);
    assert_eq!(
        w.requests(),
        [
            request("/vulndb/ID/GO-2024-9180.json", 200, false),
            request("/vulndb/ID/GO-2024-9180.json", 503, false),
            request("/vulndb/index/modules.json", 200, false),
            request("/vulndb/index/modules.json", 503, false),
        ]
    );
}

#[tokio::test]
async fn a_503_that_persists_is_the_http_clients_error() {
    let w = World::new();
    w.up.fail_next("/vulndb/index/", 503, 10);
    let e = failure(&w, &w.http_url(), &["stdlib"]).await;
    assert_eq!(e.status(), Some(503));
    assert_eq!(e.kind(), ErrorKind::UpstreamBroken);
    let line = e.one_line();
    assert!(line.starts_with(&format!("{}/index/modules.json: 503 Service Unavailable", w.up.vulndb_url())), "{line}");
    assert!(line.ends_with("gave up after 4 tries"), "{line}");
    assert_eq!(w.requests().len(), 4);
}

#[test]
fn the_fixture_writes_the_databases_real_format() {
    let dir = tempfile::tempdir().unwrap();
    VulnDbFixture::standard().write(dir.path());
    let read = |rel: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(dir.path().join(rel)).unwrap()).unwrap()
    };
    assert_eq!(read("index/db.json"), serde_json::json!({"modified": "2024-06-02T12:00:00Z"}));
    let modules = read("index/modules.json");
    let module = |path: &str| modules.as_array().unwrap().iter().find(|m| m["path"] == path).unwrap()["vulns"].clone();
    assert_eq!(
        module("stdlib"),
        serde_json::json!([
            {"id": "GO-2024-2687", "modified": "2024-04-18T20:31:29Z", "fixed": "1.22.2"},
            {"id": "GO-2024-9186", "modified": "2024-06-02T12:00:00Z", "fixed": "1.24.0"},
        ]),
        "the highest fix per module; withdrawn reports stay listed"
    );
    assert_eq!(
        module(NATS_SERVER),
        serde_json::json!([
            {"id": "GO-2024-9184", "modified": "2024-06-02T12:00:00Z"},
            {"id": "GO-2024-9191", "modified": "2024-06-02T12:00:00Z", "fixed": "2.10.23"},
        ]),
        "no `fixed` when there is no fix"
    );
    let osv = read("ID/GO-2024-2687.json");
    assert_eq!(osv["schema_version"], "1.3.1");
    assert_eq!(osv["affected"][0]["package"], serde_json::json!({"name": "stdlib", "ecosystem": "Go"}));
    assert_eq!(
        osv["affected"][0]["ranges"],
        serde_json::json!([{"type": "SEMVER", "events": [
            {"introduced": "0"}, {"fixed": "1.21.9"}, {"introduced": "1.22.0-0"}, {"fixed": "1.22.2"}]}])
    );
    assert_eq!(osv["affected"][0]["ecosystem_specific"]["imports"][0]["path"], "net/http");
    assert_eq!(osv["database_specific"]["url"], "https://pkg.go.dev/vuln/GO-2024-2687");
    assert!(osv.get("withdrawn").is_none());
    assert_eq!(read("ID/GO-2024-9186.json")["withdrawn"], "2024-06-02T12:00:00Z");
}
