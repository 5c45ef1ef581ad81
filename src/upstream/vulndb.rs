//! The Go vulnerability database (contract §12; the API of <https://go.dev/security/vulndb/api>):
//! which known vulnerabilities affect a module at a version.
//!
//! A look-up reads `index/modules.json` once — conditionally, through the same cache as every
//! other upstream — keeping only the modules asked about (the index is several MB; it is read as a
//! stream of modules, never held as a tree), then `ID/<id>.json` (an OSV report) for each id listed
//! under one of them, a few at a time. Reports are cached under the `modified` time the index gives
//! them, so a warm look-up of an unchanged database costs one request answered 304; a report that
//! changed is the only one fetched again. The database may also be a `file://` directory holding the
//! same files (as unpacked from `vulndb.zip`): read from disk, never cached.
//!
//! Ranges are evaluated as OSV says (only `SEMVER` ranges; `introduced`, `fixed`, `last_affected`
//! events; `introduced: "0"` is the beginning) with the project's one version scheme, so Go's
//! `1.21rc2` is the database's `1.21.0-rc.2`, and a module's `v1.22.3` is `1.22.3`. A withdrawn
//! report counts for nothing: it is dropped. An answer that is not what the API describes is a
//! one-line error naming its URL.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

use futures_util::{StreamExt, TryStreamExt, stream};
use serde::de::{DeserializeSeed, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

use crate::cache::Cache;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Auth, Http, get_cached};
use crate::version::{Scheme, Version};

/// How many reports are fetched at once.
const CONCURRENT_REPORTS: usize = 4;

/// The reports of the asked modules (withdrawn ones dropped), by id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VulnDb {
    pub reports: BTreeMap<String, Report>,
}

/// One OSV report, reduced to what plans and pull requests show and what ranges need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub id: String,
    pub aliases: Vec<String>,
    /// OSV `summary`, else the first line of `details`, else "".
    pub summary: String,
    /// `database_specific.url` when it is a plain http(s) link (it goes into Markdown and HTML
    /// links as it is), else `https://pkg.go.dev/vuln/<id>`.
    pub url: String,
    /// Only the SEMVER ranges, per affected module.
    pub affected: Vec<Affected>,
}

/// The ranges of one module a report affects; each range is its events, as the report lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    pub module: String,
    pub ranges: Vec<Vec<Event>>,
}

/// One OSV range event; versions as the database spells them (no `v`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
}

impl Event {
    /// The version the event names.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) => v,
        }
    }
}

impl VulnDb {
    /// The reports affecting `module` at `version`, ordered by id.
    pub fn affecting(&self, module: &str, version: &Version) -> Vec<&Report> {
        self.reports.values().filter(|r| r.affects(module, version)).collect()
    }
}

impl Report {
    /// Whether one of the report's ranges for `module` contains `version`.
    pub fn affects(&self, module: &str, version: &Version) -> bool {
        self.containing_ranges(module, version).next().is_some()
    }

    /// The `fixed` version ending the range of `module` that contains `version` (None: no fix, or
    /// not affected). When several ranges contain it, the highest of their fixes, and None when one
    /// of them has none: a version below that fix is still affected.
    pub fn fixed_after(&self, module: &str, version: &Version) -> Option<String> {
        let mut highest: Option<(Version, String)> = None;
        for fix in self.containing_ranges(module, version) {
            let fix = fix?;
            let parsed = Version::parse(Scheme::Semver, &fix)?;
            if highest.as_ref().is_none_or(|(v, _)| parsed > *v) {
                highest = Some((parsed, fix));
            }
        }
        highest.map(|(_, fix)| fix)
    }

    /// For each range of `module` containing `version`: its fix, if it has one.
    fn containing_ranges<'a>(
        &'a self,
        module: &'a str,
        version: &'a Version,
    ) -> impl Iterator<Item = Option<String>> + 'a {
        self.affected
            .iter()
            .filter(move |a| a.module == module)
            .flat_map(|a| &a.ranges)
            .filter_map(move |events| evaluate(events, version))
    }
}

/// Where an event sits: `introduced: "0"` is before every version, prereleases of 0.0.0 included.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Bound {
    Zero,
    At(Version),
}

impl Bound {
    fn of(event: &Event) -> Option<Bound> {
        match event {
            Event::Introduced(v) if v == "0" => Some(Bound::Zero),
            _ => Version::parse(Scheme::Semver, event.version()).map(Bound::At),
        }
    }

    /// How this bound compares with `v`.
    fn cmp_version(&self, v: &Version) -> Ordering {
        match self {
            Bound::Zero => Ordering::Less,
            Bound::At(at) => at.cmp(v),
        }
    }
}

/// OSV's evaluation of one range: `None` when `version` is outside it, else `Some(the fix)` —
/// the `fixed` event ending the stretch that holds `version` (`None` inside: no fix, or it ends with
/// `last_affected`).
fn evaluate(events: &[Event], version: &Version) -> Option<Option<String>> {
    let mut sorted: Vec<(Bound, &Event)> = events.iter().filter_map(|e| Some((Bound::of(e)?, e))).collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut affected = false;
    for (at, event) in &sorted {
        let order = at.cmp_version(version);
        match event {
            Event::Introduced(_) if order != Ordering::Greater => affected = true,
            Event::Fixed(_) if order != Ordering::Greater => affected = false,
            Event::LastAffected(_) if order == Ordering::Less => affected = false,
            _ => {}
        }
    }
    if !affected {
        return None;
    }
    let end = sorted.iter().find(|(at, event)| match event {
        Event::Fixed(_) => at.cmp_version(version) == Ordering::Greater,
        Event::LastAffected(_) => at.cmp_version(version) != Ordering::Less,
        Event::Introduced(_) => false,
    });
    Some(match end {
        Some((_, Event::Fixed(fix))) => Some(fix.clone()),
        _ => None,
    })
}

// ---------------------------------------------------------------------------------------------
// The look-up

/// Reads the database at `base` (http(s) URL, or a `file://` directory holding the same files as
/// unpacked from vulndb.zip) for `modules`: `index/modules.json` once (conditionally, through the
/// cache, for http), then `ID/<id>.json` only for ids listed under one of `modules`, each at most once,
/// concurrently (a few at a time), and kept in the cache keyed by base URL + id + the index's `modified`
/// (so a warm run with an unchanged index costs exactly one request answered 304 and no ID request).
/// No module asked: nothing is read.
pub async fn lookup(http: &Http, cache: &Cache, base: &Url, modules: &BTreeSet<String>) -> Result<VulnDb> {
    if modules.is_empty() {
        return Ok(VulnDb::default());
    }
    let db = Database::at(base);
    let listed = db.index(http, cache, modules).await?;
    let reports: Vec<(String, Option<Report>)> = stream::iter(&listed)
        .map(|(id, modified)| db.report(http, cache, id, modified))
        .buffer_unordered(CONCURRENT_REPORTS)
        .try_collect()
        .await?;
    let reports = reports.into_iter().filter_map(|(id, report)| Some((id, report?))).collect();
    Ok(VulnDb { reports })
}

/// The database's base URL, always ending in `/` so that relative paths join below it.
struct Database {
    base: Url,
}

impl Database {
    fn at(base: &Url) -> Database {
        let mut base = base.clone();
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Database { base }
    }

    fn is_file(&self) -> bool {
        self.base.scheme() == "file"
    }

    fn url(&self, relative: &str) -> Url {
        self.base.join(relative).expect("a relative path below a base URL is a URL")
    }

    /// The ids listed under `modules`, each with its `modified` time.
    async fn index(&self, http: &Http, cache: &Cache, modules: &BTreeSet<String>) -> Result<BTreeMap<String, String>> {
        let url = self.url("index/modules.json");
        if !self.is_file() {
            return get_cached(http, cache, &url, Auth::None, "application/json", |text| {
                let mut de = serde_json::Deserializer::from_str(text);
                read_index(&url, &mut de, modules)
            })
            .await;
        }
        let path = file_path(&url)?;
        let (modules, owned_url) = (modules.clone(), url.clone());
        // A file read as a stream (constant memory) blocks: it runs off the async workers.
        tokio::task::spawn_blocking(move || {
            let file = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
            let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(file));
            read_index(&owned_url, &mut de, &modules)
        })
        .await
        .unwrap_or_else(|e| Err(Error::http(url.as_str(), None, format!("reading stopped: {e}"))))
    }

    /// The report `id`, `None` when withdrawn; from the cache when the index still gives it the
    /// `modified` time it was stored under.
    async fn report(&self, http: &Http, cache: &Cache, id: &str, modified: &str) -> Result<(String, Option<Report>)> {
        let url = self.url(&format!("ID/{id}.json"));
        if self.is_file() {
            let path = file_path(&url)?;
            let text = tokio::fs::read_to_string(&path).await.map_err(|e| Error::io(&path, e))?;
            return Ok((id.to_string(), parse_report(&url, id, &text)?));
        }
        let key = format!("vulndb-report/1\n{url}\n{modified}");
        if let Some(report) = cache.json_get::<Option<Report>>(&key) {
            return Ok((id.to_string(), report));
        }
        let text = http.get_text(&url, Auth::None, "application/json").await?;
        let report = parse_report(&url, id, &text)?;
        cache.json_put(&key, &report);
        Ok((id.to_string(), report))
    }
}

/// The local path of a `file://` URL.
fn file_path(url: &Url) -> Result<PathBuf> {
    url.to_file_path().map_err(|()| Error::Http {
        url: url.to_string(),
        status: None,
        message: "not a local file: a file:// database is a directory on this machine".into(),
        kind: ErrorKind::Config,
        source: None,
    })
}

// ---------------------------------------------------------------------------------------------
// index/modules.json

/// One entry of `index/modules.json`; `fixed` and unknown fields are not needed here.
#[derive(Deserialize)]
struct IndexModule {
    path: String,
    #[serde(default)]
    vulns: Option<Vec<IndexVuln>>,
}

#[derive(Deserialize)]
struct IndexVuln {
    id: String,
    modified: String,
}

/// Reads the index as a sequence of modules, one at a time, keeping the vulnerabilities of the
/// asked modules only: memory does not grow with the index.
struct AskedModules<'a> {
    modules: &'a BTreeSet<String>,
}

impl<'de> DeserializeSeed<'de> for AskedModules<'_> {
    type Value = BTreeMap<String, String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for AskedModules<'_> {
    type Value = BTreeMap<String, String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of modules, each with its path and vulnerabilities")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut listed: BTreeMap<String, String> = BTreeMap::new();
        while let Some(module) = seq.next_element::<IndexModule>()? {
            if !self.modules.contains(&module.path) {
                continue;
            }
            for vuln in module.vulns.unwrap_or_default() {
                if !is_report_id(&vuln.id) {
                    let shown: String = vuln.id.chars().take(40).collect();
                    return Err(serde::de::Error::custom(format!(
                        "{shown:?} under {} is not a report id",
                        module.path
                    )));
                }
                // The same report under two modules (stdlib and toolchain): one fetch, at its newest.
                let newest = listed.entry(vuln.id).or_default();
                if vuln.modified > *newest {
                    *newest = vuln.modified;
                }
            }
        }
        Ok(listed)
    }
}

/// `GO-2024-2687`: letters, digits and dashes (an id becomes a path on the server or the disk).
fn is_report_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn read_index<'de, R: serde_json::de::Read<'de>>(
    url: &Url,
    de: &mut serde_json::Deserializer<R>,
    modules: &BTreeSet<String>,
) -> Result<BTreeMap<String, String>> {
    let garbage = |e: serde_json::Error| {
        Error::garbage(url.as_str(), format!("not a Go vulnerability database index: {e}"), Some(Box::new(e)))
    };
    let listed = AskedModules { modules }.deserialize(&mut *de).map_err(garbage)?;
    de.end().map_err(garbage)?;
    Ok(listed)
}

// ---------------------------------------------------------------------------------------------
// ID/<id>.json: an OSV report

#[derive(Deserialize)]
struct Osv {
    id: String,
    #[serde(default)]
    withdrawn: Option<IgnoredAny>,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    affected: Option<Vec<OsvAffected>>,
    #[serde(default)]
    database_specific: Option<OsvDatabaseSpecific>,
}

#[derive(Deserialize)]
struct OsvAffected {
    package: OsvPackage,
    #[serde(default)]
    ranges: Option<Vec<OsvRange>>,
}

#[derive(Deserialize)]
struct OsvPackage {
    name: String,
}

#[derive(Deserialize)]
struct OsvRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Option<Vec<OsvEvent>>,
}

/// One event: an object with one of these keys (`limit`, which the Go database never writes, is
/// not one of them and is skipped).
#[derive(Deserialize)]
struct OsvEvent {
    introduced: Option<String>,
    fixed: Option<String>,
    last_affected: Option<String>,
}

#[derive(Deserialize)]
struct OsvDatabaseSpecific {
    #[serde(default)]
    url: Option<String>,
}

/// The report `id` read from `text` (fetched from `url`); `None` when withdrawn.
fn parse_report(url: &Url, id: &str, text: &str) -> Result<Option<Report>> {
    let garbage =
        |message: String| Error::garbage(url.as_str(), format!("not a Go vulnerability report: {message}"), None);
    let osv: Osv = serde_json::from_str(text)
        .map_err(|e| Error::garbage(url.as_str(), format!("not a Go vulnerability report: {e}"), Some(Box::new(e))))?;
    if osv.id != id {
        let shown: String = osv.id.chars().take(40).collect();
        return Err(garbage(format!("it holds report {shown:?}, not {id}")));
    }
    if osv.withdrawn.is_some() {
        return Ok(None);
    }
    let mut affected = Vec::new();
    for entry in osv.affected.unwrap_or_default() {
        let mut ranges = Vec::new();
        for range in entry.ranges.unwrap_or_default().into_iter().filter(|r| r.kind == "SEMVER") {
            let events: Vec<Event> = range.events.unwrap_or_default().into_iter().filter_map(event).collect();
            if let Some(bad) = events.iter().find(|e| Bound::of(e).is_none()) {
                let shown: String = bad.version().chars().take(40).collect();
                return Err(garbage(format!("version {shown:?} of {} is not a semver version", entry.package.name)));
            }
            ranges.push(events);
        }
        affected.push(Affected { module: entry.package.name, ranges });
    }
    let summary = osv
        .summary
        .filter(|s| !s.trim().is_empty())
        .or_else(|| osv.details.as_deref().and_then(|d| d.lines().find(|l| !l.trim().is_empty())).map(String::from))
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let url = osv
        .database_specific
        .and_then(|d| d.url)
        .filter(|u| is_plain_link(u))
        .unwrap_or_else(|| format!("https://pkg.go.dev/vuln/{id}"));
    Ok(Some(Report { id: osv.id, aliases: osv.aliases.unwrap_or_default(), summary, url, affected }))
}

fn event(raw: OsvEvent) -> Option<Event> {
    raw.introduced.map(Event::Introduced).or(raw.fixed.map(Event::Fixed)).or(raw.last_affected.map(Event::LastAffected))
}

/// An http(s) URL with nothing in it that could end a Markdown or HTML link early.
fn is_plain_link(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control() || "()<>\"'`[]\\".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sv(s: &str) -> Version {
        Version::parse(Scheme::Semver, s).unwrap()
    }
    fn go(s: &str) -> Version {
        Version::parse(Scheme::Go, s).unwrap()
    }

    fn events(list: &[(&str, &str)]) -> Vec<Event> {
        list.iter()
            .map(|(kind, v)| match *kind {
                "introduced" => Event::Introduced(v.to_string()),
                "fixed" => Event::Fixed(v.to_string()),
                "last_affected" => Event::LastAffected(v.to_string()),
                other => panic!("no event {other}"),
            })
            .collect()
    }

    fn report(module: &str, ranges: &[&[(&str, &str)]]) -> Report {
        Report {
            id: "GO-2024-0001".into(),
            aliases: vec![],
            summary: String::new(),
            url: String::new(),
            affected: vec![Affected { module: module.into(), ranges: ranges.iter().map(|r| events(r)).collect() }],
        }
    }

    fn url() -> Url {
        Url::parse("https://vuln.example/ID/GO-2024-2687.json").unwrap()
    }

    const STDLIB_2687: &str = r#"{
      "schema_version": "1.3.1",
      "id": "GO-2024-2687",
      "modified": "2024-04-04T21:05:17Z",
      "published": "2024-04-03T21:12:01Z",
      "aliases": ["CVE-2023-45288", "GHSA-4v7x-pqxf-cx7m"],
      "summary": "HTTP/2 CONTINUATION flood in net/http",
      "details": "An attacker may cause an HTTP/2 endpoint to read arbitrary amounts of header data.",
      "affected": [
        {"package": {"name": "stdlib", "ecosystem": "Go"},
         "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.21.9"},
                                                  {"introduced": "1.22.0-0"}, {"fixed": "1.22.2"}]}],
         "ecosystem_specific": {"imports": [{"path": "net/http", "symbols": ["http2serverConn.processHeaders"]}]}},
        {"package": {"name": "golang.org/x/net", "ecosystem": "Go"},
         "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.23.0"}]},
                    {"type": "GIT", "repo": "https://go.googlesource.com/net", "events": [{"introduced": "0"}]}]}
      ],
      "references": [{"type": "REPORT", "url": "https://go.dev/issue/65051"}],
      "database_specific": {"url": "https://pkg.go.dev/vuln/GO-2024-2687", "review_status": "REVIEWED"}
    }"#;

    #[test]
    fn introduced_zero_is_the_beginning_and_fixed_ends_the_range() {
        let r = report("github.com/nats-io/nats.go", &[&[("introduced", "0"), ("fixed", "1.38.0")]]);
        let m = "github.com/nats-io/nats.go";
        assert!(r.affects(m, &sv("0.0.1")));
        assert!(r.affects(m, &sv("0.0.0-20200101000000-abcdefabcdef")), "a pseudo-version of 0.0.0 too");
        assert!(r.affects(m, &sv("1.37.9")));
        assert!(!r.affects(m, &sv("1.38.0")));
        assert!(!r.affects(m, &sv("1.39.0")));
        assert!(!r.affects("github.com/nats-io/nats-server/v2", &sv("1.0.0")), "another module");
    }

    #[test]
    fn several_ranges_leave_the_gaps_between_them_unaffected() {
        let r = report(
            "stdlib",
            &[&[("introduced", "0"), ("fixed", "1.21.9"), ("introduced", "1.22.0-0"), ("fixed", "1.22.2")]],
        );
        assert!(r.affects("stdlib", &sv("1.21.8")));
        assert!(!r.affects("stdlib", &sv("1.21.9")));
        assert!(!r.affects("stdlib", &sv("1.21.13")));
        assert!(r.affects("stdlib", &sv("1.22.0")));
        assert!(r.affects("stdlib", &sv("1.22.1")));
        assert!(!r.affects("stdlib", &sv("1.22.2")));
        assert_eq!(r.fixed_after("stdlib", &sv("1.21.3")).as_deref(), Some("1.21.9"));
        assert_eq!(r.fixed_after("stdlib", &sv("1.22.1")).as_deref(), Some("1.22.2"));
        assert_eq!(r.fixed_after("stdlib", &sv("1.22.2")), None, "not affected: no fix to name");
    }

    #[test]
    fn events_out_of_order_are_sorted_first() {
        let r = report(
            "m",
            &[&[("fixed", "1.22.2"), ("introduced", "1.22.0-0"), ("fixed", "1.21.9"), ("introduced", "0")]],
        );
        assert!(r.affects("m", &sv("1.21.0")) && !r.affects("m", &sv("1.21.10")) && r.affects("m", &sv("1.22.1")));
    }

    #[test]
    fn the_zero_prerelease_of_a_minor_is_below_its_release_candidates() {
        assert!(sv("1.22.0-0") < go("1.22rc1"));
        let r = report("toolchain", &[&[("introduced", "1.22.0-0"), ("fixed", "1.22.2")]]);
        assert!(r.affects("toolchain", &go("1.22rc1")));
        assert!(r.affects("toolchain", &go("1.22.0")));
        assert!(!r.affects("toolchain", &go("1.21.13")));
    }

    #[test]
    fn last_affected_includes_its_own_version() {
        let r = report("m", &[&[("introduced", "2.10.0"), ("last_affected", "2.10.5")]]);
        assert!(!r.affects("m", &sv("2.9.9")));
        assert!(r.affects("m", &sv("2.10.0")));
        assert!(r.affects("m", &sv("2.10.5")));
        assert!(!r.affects("m", &sv("2.10.6")));
        assert_eq!(r.fixed_after("m", &sv("2.10.5")), None, "last_affected names no fix");
    }

    #[test]
    fn module_v_forms_and_plain_forms_compare_equal() {
        let r = report("go.etcd.io/etcd/server/v3", &[&[("introduced", "3.5.0"), ("fixed", "3.5.17")]]);
        let m = "go.etcd.io/etcd/server/v3";
        assert!(r.affects(m, &sv("v3.5.16")) && r.affects(m, &sv("3.5.16")));
        assert!(!r.affects(m, &sv("v3.5.17")) && !r.affects(m, &sv("3.5.17")));
        assert!(r.affects(m, &sv("v3.5.0")), "introduced is inclusive");
        assert_eq!(r.fixed_after(m, &sv("v3.5.3")).as_deref(), Some("3.5.17"));
    }

    #[test]
    fn go_release_candidates_match_the_database_spelling() {
        assert_eq!(go("1.21rc2"), sv("1.21.0-rc.2"));
        let r = report("toolchain", &[&[("introduced", "1.21.0-rc.2"), ("fixed", "1.21.0-rc.4")]]);
        assert!(!r.affects("toolchain", &go("1.21rc1")));
        assert!(r.affects("toolchain", &go("1.21rc2")));
        assert!(r.affects("toolchain", &go("go1.21rc3")));
        assert!(!r.affects("toolchain", &go("1.21rc4")));
        assert!(!r.affects("toolchain", &go("1.21.0")));
        assert_eq!(r.fixed_after("toolchain", &go("1.21rc3")).as_deref(), Some("1.21.0-rc.4"));
    }

    #[test]
    fn a_range_without_a_fix_affects_everything_after_it_and_names_no_fix() {
        let r = report("github.com/nats-io/nats-server/v2", &[&[("introduced", "2.10.0")]]);
        let m = "github.com/nats-io/nats-server/v2";
        assert!(!r.affects(m, &sv("2.9.25")));
        assert!(r.affects(m, &sv("2.10.0")) && r.affects(m, &sv("2.11.4")));
        assert_eq!(r.fixed_after(m, &sv("2.10.22")), None);
    }

    #[test]
    fn two_ranges_holding_a_version_need_both_fixes() {
        let r = report(
            "m",
            &[&[("introduced", "1.0.0"), ("fixed", "1.5.0")], &[("introduced", "1.2.0"), ("fixed", "1.6.0")]],
        );
        assert_eq!(r.fixed_after("m", &sv("1.3.0")).as_deref(), Some("1.6.0"));
        assert_eq!(r.fixed_after("m", &sv("1.1.0")).as_deref(), Some("1.5.0"));
        let open = report("m", &[&[("introduced", "1.0.0"), ("fixed", "1.5.0")], &[("introduced", "1.2.0")]]);
        assert_eq!(open.fixed_after("m", &sv("1.3.0")), None, "the second range has no fix");
    }

    #[test]
    fn an_osv_report_keeps_only_semver_ranges_per_module() {
        let r = parse_report(&url(), "GO-2024-2687", STDLIB_2687).unwrap().expect("not withdrawn");
        assert_eq!(r.aliases, ["CVE-2023-45288", "GHSA-4v7x-pqxf-cx7m"]);
        assert_eq!(r.summary, "HTTP/2 CONTINUATION flood in net/http");
        assert_eq!(r.url, "https://pkg.go.dev/vuln/GO-2024-2687");
        let modules: Vec<(&str, usize)> = r.affected.iter().map(|a| (a.module.as_str(), a.ranges.len())).collect();
        assert_eq!(modules, [("stdlib", 1), ("golang.org/x/net", 1)], "the GIT range is ignored");
        assert_eq!(r.affected[1].ranges[0], events(&[("introduced", "0"), ("fixed", "0.23.0")]));
        assert!(r.affects("golang.org/x/net", &sv("v0.22.0")));
        assert_eq!(r.fixed_after("stdlib", &go("1.22.1")).as_deref(), Some("1.22.2"));
        assert_eq!(r.fixed_after("stdlib", &go("1.21.0")).as_deref(), Some("1.21.9"));
    }

    #[test]
    fn non_semver_ranges_alone_affect_nothing() {
        let text = r#"{"id": "GO-2022-0001", "affected": [{"package": {"name": "m"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]},
                       {"type": "GIT", "events": [{"introduced": "0"}, {"fixed": "abcdef"}]}]}]}"#;
        let r = parse_report(&url(), "GO-2022-0001", text).unwrap().unwrap();
        assert_eq!(r.affected, [Affected { module: "m".into(), ranges: vec![] }]);
        assert!(!r.affects("m", &sv("1.0.0")));
    }

    #[test]
    fn a_withdrawn_report_counts_for_nothing() {
        let text = r#"{"id": "GO-2024-0002", "withdrawn": "2024-05-01T00:00:00Z", "summary": "x",
            "affected": [{"package": {"name": "stdlib"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}"#;
        assert_eq!(parse_report(&url(), "GO-2024-0002", text).unwrap(), None);
        let null = text.replace("\"2024-05-01T00:00:00Z\"", "null");
        assert!(parse_report(&url(), "GO-2024-0002", &null).unwrap().is_some(), "withdrawn: null is not set");
    }

    #[test]
    fn the_summary_falls_back_to_the_first_line_of_the_details_and_the_url_to_pkg_go_dev() {
        let details = r#"{"id": "GO-2023-0003", "details": "\n  Improper handling of frames.\nMore text.", "database_specific": {}}"#;
        let r = parse_report(&url(), "GO-2023-0003", details).unwrap().unwrap();
        assert_eq!(r.summary, "Improper handling of frames.");
        assert_eq!(r.url, "https://pkg.go.dev/vuln/GO-2023-0003");
        let bare = parse_report(&url(), "GO-2023-0004", r#"{"id": "GO-2023-0004", "summary": " "}"#).unwrap().unwrap();
        assert_eq!((bare.summary.as_str(), bare.aliases.len(), bare.affected.len()), ("", 0, 0));
        let own = r#"{"id": "GO-2023-0005", "summary": "s", "database_specific": {"url": "https://example.test/5"}}"#;
        assert_eq!(parse_report(&url(), "GO-2023-0005", own).unwrap().unwrap().url, "https://example.test/5");
        for hostile in ["javascript:alert(1)", "https://x.test/a) [b](https://y.test", "https://x.test/\"><b>"] {
            let text = serde_json::json!({"id": "GO-2023-0006", "database_specific": {"url": hostile}}).to_string();
            let r = parse_report(&url(), "GO-2023-0006", &text).unwrap().unwrap();
            assert_eq!(r.url, "https://pkg.go.dev/vuln/GO-2023-0006", "{hostile}");
        }
    }

    #[test]
    fn a_report_that_is_not_one_is_an_error_naming_the_url() {
        for (text, says) in [
            ("<html>Not Found</html>", "expected value"),
            (r#"{"id": "GO-2024-2687", "affected": {"package": "stdlib"}}"#, "invalid type"),
            (r#"{"id": "GO-2024-9999"}"#, "holds report \"GO-2024-9999\", not GO-2024-2687"),
            (
                r#"{"id": "GO-2024-2687", "affected": [{"package": {"name": "stdlib"},
                    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "v1.x"}]}]}]}"#,
                "version \"v1.x\" of stdlib is not a semver version",
            ),
        ] {
            let e = parse_report(&url(), "GO-2024-2687", text).unwrap_err();
            let line = e.one_line();
            assert!(
                line.starts_with("https://vuln.example/ID/GO-2024-2687.json: not a Go vulnerability report"),
                "{line}"
            );
            assert!(line.contains(says), "{line}");
            assert!(!line.contains('\n'));
            assert_eq!(e.kind(), ErrorKind::UpstreamBroken);
        }
    }

    fn index(text: &str, modules: &[&str]) -> Result<BTreeMap<String, String>> {
        let url = Url::parse("https://vuln.example/index/modules.json").unwrap();
        let modules: BTreeSet<String> = modules.iter().map(|m| m.to_string()).collect();
        read_index(&url, &mut serde_json::Deserializer::from_str(text), &modules)
    }

    #[test]
    fn the_index_keeps_only_the_asked_modules_ids_each_once() {
        let text = r#"[
          {"path": "github.com/a/b", "vulns": [{"id": "GO-2021-0001", "modified": "2021-01-01T00:00:00Z"}]},
          {"path": "stdlib", "vulns": [{"id": "GO-2024-2687", "modified": "2024-04-04T21:05:17Z", "fixed": "1.22.2"},
                                       {"id": "GO-2024-2600", "modified": "2024-03-01T00:00:00Z", "fixed": "1.22.1"}]},
          {"path": "toolchain", "vulns": [{"id": "GO-2024-2687", "modified": "2024-04-04T21:05:17Z", "fixed": "1.22.2"},
                                          {"id": "GO-2023-1000", "modified": "2023-01-01T00:00:00Z"}]}
        ]"#;
        let listed = index(text, &["stdlib", "toolchain", "not.listed/module"]).unwrap();
        let ids: Vec<(&str, &str)> = listed.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            ids,
            [
                ("GO-2023-1000", "2023-01-01T00:00:00Z"),
                ("GO-2024-2600", "2024-03-01T00:00:00Z"),
                ("GO-2024-2687", "2024-04-04T21:05:17Z"),
            ]
        );
        assert!(index(text, &[]).unwrap().is_empty());
    }

    #[test]
    fn an_index_that_is_not_one_is_an_error_naming_the_url() {
        for (text, says) in [
            (r#"{"modified": "2024-01-01T00:00:00Z"}"#, "expected a list of modules"),
            (r#"[{"path": "stdlib", "vulns": [{"id": "GO-1"}]}]"#, "missing field `modified`"),
            (r#"[{"vulns": []}]"#, "missing field `path`"),
            (r#"[{"path": "stdlib", "vulns": [{"id": "../../etc/passwd", "modified": "x"}]}]"#, "is not a report id"),
            (r#"[] trailing"#, "trailing characters"),
            (r#"[{"path": "stdlib""#, "EOF"),
        ] {
            let line = index(text, &["stdlib"]).unwrap_err().one_line();
            assert!(
                line.starts_with("https://vuln.example/index/modules.json: not a Go vulnerability database index: "),
                "{line}"
            );
            assert!(line.contains(says), "{says}: {line}");
        }
    }

    #[test]
    fn affecting_lists_the_reports_in_id_order() {
        let mut a = report("m", &[&[("introduced", "0"), ("fixed", "2.0.0")]]);
        a.id = "GO-2024-0002".into();
        let mut b = report("m", &[&[("introduced", "1.0.0")]]);
        b.id = "GO-2023-0001".into();
        let mut c = report("m", &[&[("introduced", "3.0.0")]]);
        c.id = "GO-2022-0001".into();
        let db = VulnDb { reports: [a, b, c].into_iter().map(|r| (r.id.clone(), r)).collect() };
        let ids: Vec<&str> = db.affecting("m", &sv("1.5.0")).iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["GO-2023-0001", "GO-2024-0002"]);
        assert!(db.affecting("other", &sv("1.5.0")).is_empty());
    }

    #[test]
    fn base_urls_with_and_without_a_slash_join_the_same() {
        for base in ["https://vuln.go.dev", "https://vuln.go.dev/", "file:///srv/vulndb", "file:///srv/vulndb/"] {
            let db = Database::at(&Url::parse(base).unwrap());
            let want = format!("{}/ID/GO-2024-2687.json", base.trim_end_matches('/'));
            assert_eq!(db.url("ID/GO-2024-2687.json").as_str(), want);
        }
        let mirror = Database::at(&Url::parse("https://mirror.example/go/vulndb").unwrap());
        assert_eq!(mirror.url("index/modules.json").as_str(), "https://mirror.example/go/vulndb/index/modules.json");
    }

    #[test]
    fn reports_round_trip_through_the_cache_format() {
        let r = parse_report(&url(), "GO-2024-2687", STDLIB_2687).unwrap();
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains(r#"{"introduced":"1.22.0-0"}"#), "{json}");
        assert_eq!(serde_json::from_str::<Option<Report>>(&json).unwrap(), r);
        assert_eq!(serde_json::from_str::<Option<Report>>("null").unwrap(), None);
    }
}
