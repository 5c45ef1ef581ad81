//! A Go vulnerability database in the real format of <https://vuln.go.dev> (the API of
//! go.dev/security/vulndb/api), written to a directory — as `vulndb.zip` unpacks — from a list of
//! reports: `index/db.json` (`{"modified"}`: the newest report's), `index/modules.json` (each module
//! with its reports' `id`, `modified` and `fixed`, computed from the reports), `index/vulns.json`
//! and `ID/<id>.json` (full OSV 1.3.1: aliases, summary, details, `affected` with SEMVER ranges and
//! `ecosystem_specific.imports`, references, `database_specific.url`).
//!
//! `Upstream::set_vulndb(dir)` serves such a directory under `/vulndb/`; the same directory is a
//! `file://` database. `standard_reports()` is the set the end-to-end tests share.

use std::collections::BTreeMap;
use std::path::Path;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::server::lock;
use super::upstream::Shared;

/// One report to write. Built with [`ReportSpec::new`] and the methods after it.
#[derive(Clone, Debug)]
pub struct ReportSpec {
    /// `GO-2024-2687`.
    pub id: String,
    /// `CVE-…`, `GHSA-…`.
    pub aliases: Vec<String>,
    pub summary: String,
    pub details: String,
    /// RFC 3339.
    pub published: String,
    /// RFC 3339; the index lists it, and a client caches the report under it.
    pub modified: String,
    /// Written as `"withdrawn": <modified>`.
    pub withdrawn: bool,
    pub affected: Vec<AffectedSpec>,
}

/// One affected module of a report: its SEMVER events and the packages (imports) concerned.
#[derive(Clone, Debug)]
pub struct AffectedSpec {
    pub module: String,
    /// `("introduced", "0")`, `("fixed", "1.22.2")`, `("last_affected", "2.10.5")`, in order.
    pub events: Vec<(String, String)>,
    /// Import paths of `ecosystem_specific.imports` (`net/http`); each with one symbol.
    pub packages: Vec<String>,
}

impl ReportSpec {
    /// A report with no alias, details made from the summary, published and modified at the
    /// middle of the id's year, affecting nothing until [`ReportSpec::affects`].
    pub fn new(id: &str, summary: &str) -> ReportSpec {
        let year = id.split('-').nth(1).filter(|y| y.len() == 4).unwrap_or("2024");
        ReportSpec {
            id: id.to_owned(),
            aliases: Vec::new(),
            summary: summary.to_owned(),
            details: format!("{summary}.\n\nAn attacker may exploit this remotely; upgrade to a fixed version."),
            published: format!("{year}-06-01T12:00:00Z"),
            modified: format!("{year}-06-02T12:00:00Z"),
            withdrawn: false,
            affected: Vec::new(),
        }
    }

    pub fn alias(mut self, alias: &str) -> ReportSpec {
        self.aliases.push(alias.to_owned());
        self
    }

    pub fn details(mut self, details: &str) -> ReportSpec {
        self.details = details.to_owned();
        self
    }

    pub fn summary(mut self, summary: &str) -> ReportSpec {
        self.summary = summary.to_owned();
        self
    }

    pub fn modified(mut self, modified: &str) -> ReportSpec {
        self.modified = modified.to_owned();
        self
    }

    /// Marks the report withdrawn (at its `modified` time).
    pub fn withdrawn(mut self) -> ReportSpec {
        self.withdrawn = true;
        self
    }

    /// Adds an affected `module` with one SEMVER range of `events`; its package is the module's
    /// root (`net/http` for `stdlib`, `cmd/go` for `toolchain`).
    pub fn affects(self, module: &str, events: &[(&str, &str)]) -> ReportSpec {
        let package = match module {
            "stdlib" => "net/http",
            "toolchain" => "cmd/go",
            other => other,
        };
        self.affects_packages(module, events, &[package])
    }

    /// Adds an affected `module` with one SEMVER range of `events` and these imported packages.
    pub fn affects_packages(mut self, module: &str, events: &[(&str, &str)], packages: &[&str]) -> ReportSpec {
        for (kind, _) in events {
            assert!(matches!(*kind, "introduced" | "fixed" | "last_affected"), "no OSV event {kind:?}");
        }
        self.affected.push(AffectedSpec {
            module: module.to_owned(),
            events: events.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            packages: packages.iter().map(|p| p.to_string()).collect(),
        });
        self
    }

    /// `ID/<id>.json`: the OSV report as the Go database writes it.
    pub fn osv(&self) -> Value {
        let affected: Vec<Value> = self
            .affected
            .iter()
            .map(|a| {
                let events: Vec<Value> = a.events.iter().map(|(k, v)| json!({ k.as_str(): v })).collect();
                let imports: Vec<Value> = a
                    .packages
                    .iter()
                    .map(|p| json!({"path": p, "symbols": [format!("{}.Serve", last_element(p))]}))
                    .collect();
                json!({
                    "package": {"name": a.module, "ecosystem": "Go"},
                    "ranges": [{"type": "SEMVER", "events": events}],
                    "ecosystem_specific": {"imports": imports},
                })
            })
            .collect();
        let mut references = vec![json!({"type": "REPORT", "url": format!("https://go.dev/issue/{}", self.number())})];
        for alias in self.aliases.iter().filter(|a| a.starts_with("GHSA-")) {
            references.push(json!({"type": "ADVISORY", "url": format!("https://github.com/advisories/{alias}")}));
        }
        let mut osv = json!({
            "schema_version": "1.3.1",
            "id": self.id,
            "modified": self.modified,
            "published": self.published,
            "aliases": self.aliases,
            "summary": self.summary,
            "details": self.details,
            "affected": affected,
            "references": references,
            "database_specific": {"url": format!("https://pkg.go.dev/vuln/{}", self.id), "review_status": "REVIEWED"},
        });
        if self.withdrawn {
            osv["withdrawn"] = json!(self.modified);
        }
        osv
    }

    /// The id's number, for made-up issue links.
    fn number(&self) -> &str {
        self.id.rsplit('-').next().unwrap_or("0")
    }

    /// The highest `fixed` of `module`'s events, as the index lists it (absent: no fix).
    fn fixed_in(&self, module: &str) -> Option<String> {
        self.affected
            .iter()
            .filter(|a| a.module == module)
            .flat_map(|a| &a.events)
            .filter(|(k, _)| k == "fixed")
            .map(|(_, v)| v.clone())
            .max_by(|a, b| semver_of(a).cmp(&semver_of(b)))
    }
}

fn last_element(path: &str) -> &str {
    path.rsplit('/').find(|e| !e.starts_with('v') || e.len() > 3).unwrap_or(path)
}

fn semver_of(v: &str) -> semver::Version {
    semver::Version::parse(v).unwrap_or_else(|e| panic!("fixture version {v:?}: {e}"))
}

/// A database under construction; [`VulnDbFixture::write`] lays it out.
#[derive(Clone, Debug, Default)]
pub struct VulnDbFixture {
    reports: Vec<ReportSpec>,
}

impl VulnDbFixture {
    pub fn new() -> VulnDbFixture {
        VulnDbFixture::default()
    }

    /// The database of [`standard_reports`].
    pub fn standard() -> VulnDbFixture {
        standard_reports().into_iter().fold(VulnDbFixture::new(), VulnDbFixture::report)
    }

    /// Adds `spec`, replacing a report with the same id (an update of the database).
    pub fn report(mut self, spec: ReportSpec) -> VulnDbFixture {
        self.reports.retain(|r| r.id != spec.id);
        self.reports.push(spec);
        self
    }

    /// The report with id `id` (panics when there is none), to derive an update from.
    pub fn get(&self, id: &str) -> ReportSpec {
        self.reports.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("no report {id} in the fixture")).clone()
    }

    pub fn reports(&self) -> &[ReportSpec] {
        &self.reports
    }

    /// `index/modules.json`: every module any report affects (withdrawn reports included, as the
    /// real index keeps them), sorted by path, each report once, by id.
    pub fn modules_json(&self) -> Value {
        let mut modules: BTreeMap<&str, BTreeMap<&str, Value>> = BTreeMap::new();
        for report in &self.reports {
            for a in &report.affected {
                let mut entry = json!({"id": report.id, "modified": report.modified});
                if let Some(fixed) = report.fixed_in(&a.module) {
                    entry["fixed"] = json!(fixed);
                }
                modules.entry(&a.module).or_default().insert(&report.id, entry);
            }
        }
        let list: Vec<Value> = modules
            .into_iter()
            .map(|(path, vulns)| json!({"path": path, "vulns": vulns.into_values().collect::<Vec<_>>()}))
            .collect();
        json!(list)
    }

    /// Writes `index/db.json`, `index/modules.json`, `index/vulns.json` and `ID/<id>.json` under
    /// `dir` (created), replacing what an earlier `write` left there.
    pub fn write(&self, dir: &Path) {
        let _ = std::fs::remove_dir_all(dir.join("ID"));
        std::fs::create_dir_all(dir.join("index")).expect("index dir");
        std::fs::create_dir_all(dir.join("ID")).expect("ID dir");
        let newest = self.reports.iter().map(|r| r.modified.as_str()).max().unwrap_or("2024-01-01T00:00:00Z");
        let write = |rel: &str, value: &Value| {
            std::fs::write(dir.join(rel), serde_json::to_vec(value).expect("json")).expect("write vulndb file")
        };
        write("index/db.json", &json!({"modified": newest}));
        write("index/modules.json", &self.modules_json());
        let mut sorted: Vec<&ReportSpec> = self.reports.iter().collect();
        sorted.sort_by(|a, b| a.id.cmp(&b.id));
        let vulns: Vec<Value> =
            sorted.iter().map(|r| json!({"id": r.id, "modified": r.modified, "aliases": r.aliases})).collect();
        write("index/vulns.json", &json!(vulns));
        for report in sorted {
            write(&format!("ID/{}.json", report.id), &report.osv());
        }
    }
}

/// The Go lines' HTTP/2 CONTINUATION flood, on `stdlib` and `toolchain` (fixed in 1.21.9 and
/// 1.22.2; the 1.22 line from `1.22.0-0`) and golang.org/x/net (0.23.0).
pub const GO_STDLIB: &str = "GO-2024-2687";
/// github.com/nats-io/nats.go, fixed only in 1.38.0 (a later minor than 1.37.x).
pub const NATS_GO: &str = "GO-2024-9180";
/// github.com/nats-io/nats-server/v2 from 2.10.0, no fix.
pub const NATS_SERVER_UNFIXED: &str = "GO-2024-9184";
/// A withdrawn report on `stdlib` (every version below 1.24.0): counts for nothing.
pub const STDLIB_WITHDRAWN: &str = "GO-2024-9186";
/// github.com/nats-io/nats-server/v2 from 2.10.0, fixed in 2.10.23 (a 2.10.22 blob is affected).
pub const NATS_SERVER_FIXED: &str = "GO-2024-9191";
/// go.etcd.io/etcd/server/v3 from 3.5.0, fixed in 3.5.17.
pub const ETCD_SERVER_V3: &str = "GO-2024-9197";
/// go.etcd.io/etcd/v3 (the database's path for etcd's release versions, 3.4 and older
/// included) from 3.3.0, fixed in 3.3.23.
pub const ETCD_V3_3: &str = "GO-2020-9915";

/// The reports the end-to-end tests share; ids are the constants above. All but GO-2024-2687 (a
/// real report: id, aliases and summary; here on `toolchain` too) are made up, in the real shape: ids numbered from 9000 and CVE
/// numbers from 91000, so that none is mistaken for a real report.
pub fn standard_reports() -> Vec<ReportSpec> {
    let go_flood = [("introduced", "0"), ("fixed", "1.21.9"), ("introduced", "1.22.0-0"), ("fixed", "1.22.2")];
    vec![
        ReportSpec::new(GO_STDLIB, "HTTP/2 CONTINUATION flood in net/http")
            .alias("CVE-2023-45288")
            .alias("GHSA-4v7x-pqxf-cx7m")
            .details(
                "An attacker may cause an HTTP/2 endpoint to read arbitrary amounts of header data by sending an \
                 excessive number of CONTINUATION frames.",
            )
            .modified("2024-04-18T20:31:29Z")
            .affects("stdlib", &go_flood)
            .affects("toolchain", &go_flood)
            .affects_packages(
                "golang.org/x/net",
                &[("introduced", "0"), ("fixed", "0.23.0")],
                &["golang.org/x/net/http2"],
            ),
        ReportSpec::new(NATS_GO, "Credentials leaked in reconnect URLs in github.com/nats-io/nats.go")
            .alias("CVE-2024-91011")
            .alias("GHSA-7f3w-r6mq-9qpc")
            .affects("github.com/nats-io/nats.go", &[("introduced", "0"), ("fixed", "1.38.0")]),
        ReportSpec::new(
            NATS_SERVER_UNFIXED,
            "Unbounded memory use on JetStream consumer replay in github.com/nats-io/nats-server/v2",
        )
        .alias("CVE-2024-91022")
        .affects_packages(
            "github.com/nats-io/nats-server/v2",
            &[("introduced", "2.10.0")],
            &["github.com/nats-io/nats-server/v2/server"],
        ),
        ReportSpec::new(STDLIB_WITHDRAWN, "Incorrect parsing of IPv6 zone identifiers in net/netip")
            .alias("CVE-2024-91033")
            .withdrawn()
            .affects_packages("stdlib", &[("introduced", "0"), ("fixed", "1.24.0")], &["net/netip"]),
        ReportSpec::new(
            NATS_SERVER_FIXED,
            "Authorization bypass through leafnode connections in github.com/nats-io/nats-server/v2",
        )
        .alias("CVE-2024-91044")
        .alias("GHSA-2c9j-x5q8-mh4v")
        .affects_packages(
            "github.com/nats-io/nats-server/v2",
            &[("introduced", "2.10.0"), ("fixed", "2.10.23")],
            &["github.com/nats-io/nats-server/v2/server"],
        ),
        ReportSpec::new(ETCD_SERVER_V3, "Lease revocation race in go.etcd.io/etcd/server/v3")
            .alias("CVE-2024-91055")
            .alias("GHSA-r6qh-8wv4-c3fx")
            .affects_packages(
                "go.etcd.io/etcd/server/v3",
                &[("introduced", "3.5.0"), ("fixed", "3.5.17")],
                &["go.etcd.io/etcd/server/v3/lease"],
            ),
        ReportSpec::new(ETCD_V3_3, "Improper validation of WAL entries in go.etcd.io/etcd")
            .alias("CVE-2020-91106")
            .alias("GHSA-g8vp-4wq2-x7c9")
            .affects_packages(
                "go.etcd.io/etcd/v3",
                &[("introduced", "3.3.0"), ("fixed", "3.3.23")],
                &["go.etcd.io/etcd/v3/wal"],
            ),
    ]
}

// ---------------------------------------------------------------------------------------------
// The `/vulndb/` part of `Upstream`

pub(crate) fn routes() -> Router<Shared> {
    Router::new().route("/vulndb/{*rest}", get(file))
}

/// A file of the served directory, as a static host (vuln.go.dev is one) serves it; ETag and 304
/// come from `Upstream`'s middleware. A path that leaves the directory is 404.
async fn file(State(shared): State<Shared>, UrlPath(rest): UrlPath<String>) -> Response {
    let Some(dir) = lock(&shared).vulndb.clone() else {
        // Until one is set, an empty database: no module has a report.
        return match rest.as_str() {
            "index/modules.json" => ([(CONTENT_TYPE, "application/json")], "[]").into_response(),
            "index/db.json" => {
                ([(CONTENT_TYPE, "application/json")], r#"{"modified":"2024-01-01T00:00:00Z"}"#).into_response()
            }
            _ => (StatusCode::NOT_FOUND, format!("not found: {rest}\n")).into_response(),
        };
    };
    let relative = Path::new(&rest);
    let not_found = || (StatusCode::NOT_FOUND, format!("not found: {rest}\n")).into_response();
    if !relative.components().all(|c| matches!(c, std::path::Component::Normal(_))) {
        return not_found();
    }
    match std::fs::read(dir.join(relative)) {
        Ok(bytes) => ([(CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(_) => not_found(),
    }
}
