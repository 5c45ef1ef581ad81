//! The fleet report (contract §11): `currency fleet --config FLEET.yml --out DIR` reads many
//! releases at once and writes `DIR/fleet.json`, `DIR/fleet.md` and a self-contained
//! `DIR/index.html` — every release × dependency: current, latest on its line, newest overall, how
//! many upstream releases behind, the age of the current version, the open bump PR.
//!
//! How it runs:
//! 1. [`parse_config`]: FLEET.yml's `defaults` are merged key by key under each release's keys
//!    (the release wins; `pull_request` and `git_author` merge one level down), `GITHUB_TOKEN`
//!    becomes `access_token` where none is set, and each release is validated as a `source`;
//! 2. [`collect`]: releases are read [`CONCURRENCY`] at a time (git through the check cache, on
//!    the blocking pool; two entries with the same `git_url` take turns on its clone). Upstreams
//!    are asked through a memo shared by the whole fleet: each upstream once (once per GitHub
//!    credential: a release with a token of its own asks with its own), and a module version's
//!    `.info` (the publication date) at most once, kept in the cache for good since it never
//!    changes. With a token, one request lists a release's open pull requests, matched to the
//!    bump branches by head ref;
//! 3. a release that cannot be read — git, an upstream it needs, its plan — is a row with the
//!    error on one line; the report is still written;
//! 4. [`markdown`] and [`html`] are pure renderers of the [`FleetReport`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use futures_util::future::{BoxFuture, FutureExt, Shared};
use futures_util::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use url::Url;

use crate::cache::{Cache, HttpEntry};
use crate::error::{Error, Result};
use crate::gomod::modfile;
use crate::http::{Auth, Http, link_next};
use crate::plan::PlannedDependency;
use crate::secrets::{self, Secret};
use crate::source::{DependencyKind, Source};
use crate::steps::assess;
use crate::upstream::{self, Offer, UpstreamKey, goproxy};
use crate::version::{Scheme, Version};

/// Releases read at the same time.
pub const CONCURRENCY: usize = 4;
/// The environment variable whose token is every release's `access_token` when none is set.
pub const TOKEN_VAR: &str = "GITHUB_TOKEN";
/// Pages of open pull requests read per release (100 each).
const MAX_PULL_PAGES: usize = 10;

// ---------------------------------------------------------------------------------------------
// FLEET.yml
// ---------------------------------------------------------------------------------------------

/// Reads FLEET.yml into one validated `source` per release.
pub fn read_config(path: &Path, env_token: Option<&str>) -> Result<Vec<Source>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_config(&text, &path.display().to_string(), env_token)
}

/// Parses the text of FLEET.yml (`file` names it in errors). Every error is one line naming the
/// file and the key: `FLEET.yml: releases[2].acces_token: unknown key`.
pub fn parse_config(text: &str, file: &str, env_token: Option<&str>) -> Result<Vec<Source>> {
    let bad = |message: String| Error::Parse { file: file.to_string(), message };
    let env_token = env_token.map(str::trim).filter(|t| !t.is_empty());
    if let Some(t) = env_token {
        secrets::register(t);
    }
    crate::yaml::check_yaml_nesting(text).map_err(|e| bad(e.to_string()))?;
    let value: Value = yaml_serde::from_str(text).map_err(|e| {
        bad(match e.location() {
            Some(l) => format!("not valid YAML at line {}", l.line()),
            None => "not valid YAML".into(),
        })
    })?;
    let Value::Object(mut top) = value else {
        return Err(bad("not a mapping with `defaults` and `releases`".into()));
    };
    if let Some(key) = top.keys().find(|k| *k != "defaults" && *k != "releases") {
        return Err(bad(format!("{key}: unknown key (defaults, releases)")));
    }
    let defaults = match top.remove("defaults") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(bad("defaults: not a mapping of source keys".into())),
    };
    if defaults.contains_key("repository") {
        return Err(bad("defaults.repository: each release names its own repository".into()));
    }
    // The defaults on their own first, so that a typo there is named there.
    let mut probe = defaults.clone();
    probe.insert("repository".into(), Value::String("defaults/defaults".into()));
    Source::from_value(Value::Object(probe), "defaults").map_err(|e| bad(e.to_string()))?;
    let releases = match top.remove("releases") {
        Some(Value::Array(list)) if !list.is_empty() => list,
        Some(Value::Array(_)) => return Err(bad("releases: is empty; list the release repositories".into())),
        None | Some(Value::Null) => return Err(bad("releases: required key is missing".into())),
        Some(_) => return Err(bad("releases: not a list".into())),
    };
    releases
        .into_iter()
        .enumerate()
        .map(|(i, release)| {
            let Value::Object(release) = release else {
                return Err(bad(format!("releases[{i}]: not a mapping of source keys (repository at least)")));
            };
            let mut merged = merge(&defaults, release);
            if merged.get("access_token").is_none_or(Value::is_null)
                && let Some(t) = env_token
            {
                merged.insert("access_token".into(), Value::String(t.to_string()));
            }
            Source::from_value(Value::Object(merged), &format!("releases[{i}]")).map_err(|e| bad(e.to_string()))
        })
        .collect()
}

/// `defaults` under `release`, key by key: the release's value wins; `pull_request` and
/// `git_author` (small objects of independent keys) are merged one level down.
fn merge(defaults: &Map<String, Value>, mut release: Map<String, Value>) -> Map<String, Value> {
    for (key, default) in defaults {
        match (release.get_mut(key), default) {
            (None, _) => {
                release.insert(key.clone(), default.clone());
            }
            (Some(Value::Object(mine)), Value::Object(theirs)) if key == "pull_request" || key == "git_author" => {
                for (k, v) in theirs {
                    mine.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            _ => {}
        }
    }
    release
}

// ---------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------

/// `fleet.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FleetReport {
    /// RFC 3339, UTC, whole seconds.
    pub generated_at: String,
    pub releases: Vec<ReleaseRow>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReleaseRow {
    pub repository: String,
    /// The base branch read (the configured one when the release could not be read).
    pub branch: Option<String>,
    pub commit: Option<String>,
    /// Why the release could not be read, on one line; `null` when it was.
    pub error: Option<String>,
    /// Something that did not stop the release from being read (its pull requests could not be
    /// listed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    pub dependencies: Vec<DependencyRow>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DependencyRow {
    pub name: String,
    pub kind: String,
    pub current: Option<String>,
    /// The newest upstream version inside the dependency's constraint.
    pub latest: Option<String>,
    /// The newest upstream version, constraint or not.
    pub newest: Option<String>,
    pub behind: bool,
    /// Upstream versions above `current`, up to `latest` (for a vendored Go package: Go lines).
    pub releases_behind: Option<u64>,
    /// Whole days since upstream published `current` (GitHub `published_at`, the module proxy's
    /// `.info` time; the Go downloads index has no dates).
    pub age_days: Option<i64>,
    /// The open bump pull request (`<branch_prefix><name>`, or `<branch_prefix>all` grouped).
    pub pull_request: Option<String>,
    /// Where versions come from: `nats-io/nats-server`, `Go downloads`, a module path.
    pub upstream: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_notes: Option<String>,
}

impl FleetReport {
    pub fn unreadable(&self) -> usize {
        self.releases.iter().filter(|r| r.error.is_some()).count()
    }

    /// (dependencies behind, dependencies) over the readable releases.
    pub fn behind(&self) -> (usize, usize) {
        let all = self.releases.iter().flat_map(|r| &r.dependencies);
        let total = all.clone().count();
        (all.filter(|d| d.behind).count(), total)
    }
}

// ---------------------------------------------------------------------------------------------
// Collecting
// ---------------------------------------------------------------------------------------------

/// `currency fleet`: reads FLEET.yml, collects, writes the three files. The returned summary is
/// one line for stdout.
pub fn main(config: &Path, out: &Path, concurrency: usize) -> Result<String> {
    let env_token = std::env::var(TOKEN_VAR).ok();
    let sources = read_config(config, env_token.as_deref())?;
    let rt = crate::steps::runtime()?;
    let now = OffsetDateTime::now_utc();
    let report = rt.block_on(collect(sources, Cache::open(), concurrency, now))?;
    for r in &report.releases {
        if let Some(e) = &r.error {
            crate::log!("warning: {}: not read: {e}", r.repository);
        }
    }
    write(&report, out)?;
    let (behind, total) = report.behind();
    Ok(format!(
        "{}: {} releases ({} unreadable), {behind} of {total} dependencies behind",
        out.display(),
        report.releases.len(),
        report.unreadable()
    ))
}

/// Writes `fleet.json`, `fleet.md` and `index.html` into `dir` (created when missing).
pub fn write(report: &FleetReport, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let json = serde_json::to_string_pretty(report).expect("the report serialises") + "\n";
    // The second net: no registered secret reaches a file, whatever a library put in an error.
    for (name, text) in [("fleet.json", json), ("fleet.md", markdown(report)), ("index.html", html(report))] {
        let path = dir.join(name);
        std::fs::write(&path, secrets::redact(&text)).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}

/// Reads every release (`concurrency` at a time) and assesses it against upstream offers shared
/// by the whole fleet. Never fails for one release: its row carries the error.
pub async fn collect(
    sources: Vec<Source>,
    cache: Cache,
    concurrency: usize,
    now: OffsetDateTime,
) -> Result<FleetReport> {
    let now = now.replace_nanosecond(0).unwrap_or(now);
    let secure = Http::new(false)?;
    let insecure = match sources.iter().any(|s| s.skip_ssl_verification) {
        true => Some(Http::new(true)?),
        false => None,
    };
    let fleet = Arc::new(Fleet { cache, secure, insecure, memo: Memo::default(), git_locks: Mutex::default(), now });
    let rows = stream::iter(sources)
        .map(|source| {
            let fleet = fleet.clone();
            async move { fleet.release(source).await }
        })
        .buffered(concurrency.max(1))
        .collect::<Vec<ReleaseRow>>()
        .await;
    Ok(FleetReport { generated_at: now.format(&Rfc3339).expect("UTC formats as RFC 3339"), releases: rows })
}

struct Fleet {
    cache: Cache,
    secure: Http,
    insecure: Option<Http>,
    memo: Memo,
    /// One lock per git URL: its clone in the cache is one repository.
    git_locks: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    now: OffsetDateTime,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// An error on one line, secrets redacted.
fn line(e: &Error) -> String {
    secrets::redact(&e.one_line())
}

impl Fleet {
    fn http(&self, source: &Source) -> &Http {
        match (&self.insecure, source.skip_ssl_verification) {
            (Some(h), true) => h,
            _ => &self.secure,
        }
    }

    async fn release(&self, source: Source) -> ReleaseRow {
        let repository = source.repository.to_string();
        let unreadable = |branch: Option<String>, commit: Option<String>, error: String| ReleaseRow {
            repository: repository.clone(),
            branch,
            commit,
            error: Some(error),
            warning: None,
            dependencies: vec![],
        };
        let git_lock = lock(&self.git_locks).entry(source.git_url.clone()).or_default().clone();
        let read = {
            let (source, cache) = (source.clone(), self.cache.clone());
            tokio::task::spawn_blocking(move || {
                let _turn = lock(&git_lock);
                assess::read_base(&source, &cache)
            })
            .await
        };
        let (snapshot, branch, commit) = match read {
            Ok(Ok(read)) => read,
            Ok(Err(e)) => return unreadable(source.branch.clone(), None, line(&e)),
            Err(e) => return unreadable(source.branch.clone(), None, format!("reading the release failed: {e}")),
        };
        let http = self.http(&source);
        let detected = assess::tracked(&source, &snapshot);
        let keys = assess::upstream_keys(&source, &detected);
        let offers = match self.memo.offers(http, &self.cache, source.upstream_token(), &keys).await {
            Ok(o) => o,
            Err(e) => return unreadable(Some(branch), Some(commit), e),
        };
        let a = match assess::with_offers(source, snapshot, detected, &branch, &commit, offers) {
            Ok(a) => a,
            Err(e) => return unreadable(Some(branch), Some(commit), line(&e)),
        };
        let (pulls, warning) = match &a.source.access_token {
            None => (BTreeMap::new(), None),
            Some(token) => match open_pulls(http, &a.source, token).await {
                Ok(p) => (p, None),
                Err(e) => {
                    let w = format!("open pull requests not listed: {}", line(&e));
                    crate::log!("warning: {repository}: {w}");
                    (BTreeMap::new(), Some(w))
                }
            },
        };
        let go_index = a.offers.get(&UpstreamKey::go_index(&a.source));
        let prefix = &a.source.pull_request.branch_prefix;
        let mut dependencies = Vec::with_capacity(a.plan.dependencies.len());
        for d in &a.plan.dependencies {
            let pull_request = match (d.kind.as_str(), a.source.pull_request.group) {
                ("golang-package", _) => None,
                (_, true) if d.behind => pulls.get(&format!("{prefix}all")).cloned(),
                (_, true) => None,
                (_, false) => pulls.get(&format!("{prefix}{}", d.name)).cloned(),
            };
            let published = match a.dependency(&d.name).map(|dep| &dep.kind) {
                Some(DependencyKind::GithubRelease { .. }) => current_candidate(d).and_then(|c| c.published_at.clone()),
                Some(DependencyKind::GoModule { module, .. }) => match &d.current {
                    Some(v) => self.memo.module_time(http, &self.cache, &a.source.go_proxy, module, v).await,
                    None => None,
                },
                _ => None,
            };
            dependencies.push(DependencyRow {
                name: d.name.clone(),
                kind: d.kind.clone(),
                current: d.current.clone(),
                latest: d.latest.clone(),
                newest: d.newest.clone(),
                behind: d.behind,
                releases_behind: releases_behind(d, go_index),
                age_days: published.as_deref().and_then(|p| days_since(p, self.now)),
                pull_request,
                upstream: d.upstream.clone(),
                release_notes: d.release_notes.clone(),
            });
        }
        ReleaseRow {
            repository,
            branch: Some(a.plan.branch.clone()),
            commit: Some(a.plan.commit.clone()),
            error: None,
            warning,
            dependencies,
        }
    }
}

/// The upstream candidate that is the dependency's current version.
fn current_candidate(d: &PlannedDependency) -> Option<&crate::plan::Candidate> {
    let current = d.current_version.as_ref()?;
    d.candidates.iter().find(|c| &c.version == current)
}

/// Upstream versions above the current one, up to `latest`. A vendored Go package counts the Go
/// lines (1.N) above its own, up to the newest stable one.
pub fn releases_behind(d: &PlannedDependency, go_index: Option<&Offer>) -> Option<u64> {
    let current = d.current_version.as_ref()?;
    if d.kind == "golang-package" {
        let Some(Offer::Go(list)) = go_index else { return None };
        let lines: BTreeSet<u64> = list
            .iter()
            .filter(|r| r.stable)
            .filter_map(|r| Version::parse(Scheme::Go, &r.version))
            .filter(|v| !v.is_prerelease() && v.major() == current.major() && v.minor() > current.minor())
            .map(|v| v.minor())
            .collect();
        return Some(lines.len() as u64);
    }
    let latest = d.latest.as_deref()?;
    let latest = d.candidates.iter().find(|c| c.version.as_str() == latest)?;
    Some(d.candidates.iter().filter(|c| c.version > *current && c.version <= latest.version).count() as u64)
}

/// Whole days from `published` (RFC 3339) to `now`; never negative.
pub fn days_since(published: &str, now: OffsetDateTime) -> Option<i64> {
    let at = OffsetDateTime::parse(published.trim(), &Rfc3339).ok()?;
    Some((now - at).whole_days().max(0))
}

// ---------------------------------------------------------------------------------------------
// Asking each upstream once
// ---------------------------------------------------------------------------------------------

type OfferFuture = Shared<BoxFuture<'static, std::result::Result<Offer, String>>>;
type TimeFuture = Shared<BoxFuture<'static, Option<String>>>;

/// Look-ups shared by every release of the fleet: the first release that needs an upstream
/// starts the request, the others wait for the same answer.
#[derive(Default)]
struct Memo {
    /// By upstream and, for GitHub, a fingerprint of the token that asks.
    offers: Mutex<BTreeMap<(UpstreamKey, Option<String>), OfferFuture>>,
    /// By `.info` URL.
    times: Mutex<HashMap<String, TimeFuture>>,
}

fn fingerprint(token: &Secret) -> String {
    hex::encode(Sha256::digest(token.expose().as_bytes()))
}

impl Memo {
    async fn offers(
        &self,
        http: &Http,
        cache: &Cache,
        token: Option<&Secret>,
        keys: &[UpstreamKey],
    ) -> std::result::Result<BTreeMap<UpstreamKey, Offer>, String> {
        let futures: Vec<OfferFuture> = keys.iter().map(|k| self.offer(http, cache, token, k)).collect();
        let results = futures_util::future::join_all(futures).await;
        keys.iter().cloned().zip(results).map(|(k, r)| r.map(|o| (k, o))).collect()
    }

    fn offer(&self, http: &Http, cache: &Cache, token: Option<&Secret>, key: &UpstreamKey) -> OfferFuture {
        // Only GitHub looks at the token.
        let token = matches!(key, UpstreamKey::Github { .. }).then_some(token).flatten().cloned();
        let who = token.as_ref().map(fingerprint);
        lock(&self.offers)
            .entry((key.clone(), who))
            .or_insert_with(|| {
                let (http, cache, key) = (http.clone(), cache.clone(), key.clone());
                async move { upstream::lookup(&http, &cache, token.as_ref(), &key).await.map_err(|e| line(&e)) }
                    .boxed()
                    .shared()
            })
            .clone()
    }

    /// When the module proxy says `module@version` was published (`.info`'s `Time`), asked at
    /// most once per version and kept in the cache for good.
    async fn module_time(
        &self,
        http: &Http,
        cache: &Cache,
        proxy: &Url,
        module: &str,
        version: &str,
    ) -> Option<String> {
        let v = if version.starts_with('v') { version.to_string() } else { format!("v{version}") };
        let url = goproxy::module_url(proxy, module, &format!("@v/{}.info", modfile::escape_version(&v)));
        let future = lock(&self.times)
            .entry(url.to_string())
            .or_insert_with(|| {
                let (http, cache) = (http.clone(), cache.clone());
                async move { info_time(&http, &cache, &url).await }.boxed().shared()
            })
            .clone();
        future.await
    }
}

#[derive(Deserialize)]
struct Info {
    #[serde(rename = "Time")]
    time: Option<String>,
}

async fn info_time(http: &Http, cache: &Cache, url: &Url) -> Option<String> {
    let key = format!("immutable:{url}");
    let body = match cache.http_get(&key) {
        Some(entry) => entry.body,
        None => match http.get_text(url, Auth::None, "application/json").await {
            Ok(text) => {
                if serde_json::from_str::<Info>(&text).is_ok() {
                    cache.http_put(&key, &HttpEntry { etag: String::new(), body: text.clone() });
                }
                text
            }
            Err(e) => {
                crate::log!("warning: no publication date: {}", line(&e));
                return None;
            }
        },
    };
    serde_json::from_str::<Info>(&body).ok()?.time
}

#[derive(Deserialize)]
struct PullItem {
    html_url: String,
    head: PullHead,
}

#[derive(Deserialize)]
struct PullHead {
    #[serde(rename = "ref")]
    branch: String,
    #[serde(default)]
    repo: Option<PullRepo>,
}

#[derive(Deserialize)]
struct PullRepo {
    full_name: String,
}

/// The open pull requests of the release whose head is a branch of the release itself: head
/// ref → URL. One request (and one per further page of 100).
async fn open_pulls(http: &Http, source: &Source, token: &Secret) -> Result<BTreeMap<String, String>> {
    let api = source.github_api_url.as_str().trim_end_matches('/');
    let repo = &source.repository;
    let mut next = Some(
        Url::parse(&format!("{api}/repos/{}/{}/pulls?state=open&per_page=100", repo.owner, repo.name))
            .map_err(|e| Error::config("source.github_api_url", e.to_string()))?,
    );
    let mut out = BTreeMap::new();
    let mut pages = 0;
    while let Some(url) = next.take() {
        // Read whole inside the retry loop, so a page cut off half-way is asked for again.
        let (headers, body) = http.get_whole(&url, Auth::Bearer(token), "application/vnd.github+json").await?;
        next = link_next(&headers).filter(|_| pages + 1 < MAX_PULL_PAGES);
        let items: Vec<PullItem> = serde_json::from_slice(&body).map_err(|e| Error::Http {
            url: url.to_string(),
            status: None,
            message: format!("not a list of pull requests: {e}"),
        })?;
        let full = repo.to_string();
        for p in items {
            if p.head.repo.as_ref().is_some_and(|r| r.full_name.eq_ignore_ascii_case(&full)) {
                out.entry(p.head.branch).or_insert(p.html_url);
            }
        }
        pages += 1;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/// How far behind a dependency is, for colours and sorting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// No current or no latest version known.
    Unknown,
    Current,
    /// Current on its line, but upstream has a newer line outside the constraint.
    NewerLine,
    /// One release behind.
    One,
    /// Two to four releases behind (or one Go line, for a vendored Go package).
    Some,
    /// Five or more (or two Go lines or more).
    Far,
}

impl Severity {
    pub fn of(d: &DependencyRow) -> Severity {
        let n = d.releases_behind.unwrap_or(u64::from(d.behind));
        if d.current.is_none() || d.latest.is_none() {
            Severity::Unknown
        } else if d.kind == "golang-package" && n > 0 {
            if n >= 2 { Severity::Far } else { Severity::Some }
        } else if d.behind || n > 0 {
            match n {
                0 | 1 => Severity::One,
                2..=4 => Severity::Some,
                _ => Severity::Far,
            }
        } else if d.newest.is_some() && d.newest != d.latest {
            Severity::NewerLine
        } else {
            Severity::Current
        }
    }

    fn class(self) -> &'static str {
        match self {
            Severity::Unknown => "sev-unknown",
            Severity::Current => "sev-current",
            Severity::NewerLine => "sev-line",
            Severity::One => "sev-one",
            Severity::Some => "sev-some",
            Severity::Far => "sev-far",
        }
    }

    const LEGEND: [(Severity, &'static str); 6] = [
        (Severity::Current, "up to date"),
        (Severity::NewerLine, "up to date on its line; a newer line exists outside the constraint"),
        (Severity::One, "1 release behind"),
        (Severity::Some, "2–4 releases behind (a vendored Go package: 1 Go line)"),
        (Severity::Far, "5 or more releases behind (a vendored Go package: 2 Go lines or more)"),
        (Severity::Unknown, "unknown: no current or no upstream version"),
    ];
}

/// One column of the matrix: an upstream.
struct Column {
    upstream: String,
    /// The newest version any release's dependency on it sees.
    newest: Option<String>,
}

fn kind_rank(kind: &str) -> u8 {
    match kind {
        "github-release" => 0,
        "golang" | "golang-package" => 1,
        _ => 2,
    }
}

/// Columns in a fixed order: GitHub releases, Go, modules; each by name.
fn columns(report: &FleetReport) -> Vec<Column> {
    let mut by: BTreeMap<(u8, String), Option<String>> = BTreeMap::new();
    for d in report.releases.iter().flat_map(|r| &r.dependencies) {
        let scheme = if d.upstream == "Go downloads" { Scheme::Go } else { Scheme::Semver };
        let newest = by.entry((kind_rank(&d.kind), d.upstream.clone())).or_default();
        if let Some(n) = &d.newest {
            let higher = match newest.as_deref() {
                None => true,
                Some(old) => match (Version::parse(scheme, n), Version::parse(scheme, old)) {
                    (Some(a), Some(b)) => a > b,
                    _ => false,
                },
            };
            if higher {
                *newest = Some(n.clone());
            }
        }
    }
    by.into_iter().map(|((_, upstream), newest)| Column { upstream, newest }).collect()
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(7)]
}

fn md_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// What one dependency's cell says in words: `1.22.4 → 1.22.5 (1 behind, 230 d)`.
fn summary(d: &DependencyRow) -> String {
    let current = d.current.as_deref().unwrap_or("?");
    let mut s = match (&d.latest, d.behind) {
        (Some(latest), true) => format!("{current} → {latest}"),
        _ => current.to_string(),
    };
    let mut notes = Vec::new();
    match (d.releases_behind, d.kind.as_str()) {
        (Some(n), "golang-package") if n > 0 => {
            notes.push(format!("{n} Go line{} behind", if n == 1 { "" } else { "s" }))
        }
        (Some(n), _) if n > 0 => notes.push(format!("{n} behind")),
        _ => {}
    }
    if let Some(age) = d.age_days {
        notes.push(format!("{age} d old"));
    }
    if !notes.is_empty() {
        s.push_str(&format!(" ({})", notes.join(", ")));
    }
    s
}

/// `fleet.md`: the matrix as a Markdown table, then the unreadable releases.
pub fn markdown(report: &FleetReport) -> String {
    let cols = columns(report);
    let (behind, total) = report.behind();
    let mut out = format!(
        "# Fleet report\n\nGenerated {}: {} releases ({} unreadable), {behind} of {total} dependencies behind.\n\n",
        report.generated_at,
        report.releases.len(),
        report.unreadable()
    );
    out.push_str(
        "Each cell: dependency, current version (→ latest on its line when behind), upstream releases behind, \
         days since the current version was published; ✓ up to date, ↑ a newer line exists outside the \
         constraint, ⚠ a release that could not be read.\n\n",
    );
    out.push_str("| Release | Behind |");
    for c in &cols {
        match &c.newest {
            Some(n) => out.push_str(&format!(" {} (newest {}) |", md_escape(&c.upstream), md_escape(n))),
            None => out.push_str(&format!(" {} |", md_escape(&c.upstream))),
        }
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(cols.len()));
    out.push('\n');
    for r in &report.releases {
        let place = match (&r.branch, &r.commit) {
            (Some(b), Some(c)) => format!(" (`{}` @ `{}`)", md_escape(b), short(c)),
            (Some(b), None) => format!(" (`{}`)", md_escape(b)),
            _ => String::new(),
        };
        out.push_str(&format!("| {}{place} |", md_escape(&r.repository)));
        if let Some(e) = &r.error {
            out.push_str(&format!(" ⚠ | ⚠ unreadable: {} |", md_escape(e)));
            out.push_str(&" |".repeat(cols.len().saturating_sub(1)));
            out.push('\n');
            continue;
        }
        out.push_str(&format!(" {} |", r.dependencies.iter().filter(|d| d.behind).count()));
        for c in &cols {
            let cell: Vec<String> = r
                .dependencies
                .iter()
                .filter(|d| d.upstream == c.upstream)
                .map(|d| {
                    let mark = match Severity::of(d) {
                        Severity::Current => " ✓",
                        Severity::NewerLine => " ↑",
                        Severity::Unknown => " ?",
                        _ => "",
                    };
                    let text = format!("{} {}{mark}", d.name, summary(d));
                    let text = if d.behind { format!("**{}**", md_escape(&text)) } else { md_escape(&text) };
                    match &d.pull_request {
                        Some(url) => format!("{text} [PR]({url})"),
                        None => text,
                    }
                })
                .collect();
            out.push_str(&format!(" {} |", cell.join("<br>")));
        }
        out.push('\n');
    }
    let problems: Vec<String> = report
        .releases
        .iter()
        .filter_map(|r| {
            r.error
                .as_ref()
                .map(|e| format!("- ⚠ {}: {}", md_escape(&r.repository), md_escape(e)))
                .or_else(|| r.warning.as_ref().map(|w| format!("- {}: {}", md_escape(&r.repository), md_escape(w))))
        })
        .collect();
    if !problems.is_empty() {
        out.push_str("\nNot read, or read in part:\n\n");
        out.push_str(&problems.join("\n"));
        out.push('\n');
    }
    out
}

fn h(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Only http(s) links become anchors.
fn safe_href(url: &str) -> Option<String> {
    (url.starts_with("https://") || url.starts_with("http://")).then(|| h(url))
}

const CSS: &str = r#"
:root { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1b1f24; }
body { margin: 24px; background: #fafafa; }
h1 { font-size: 22px; margin: 0 0 4px; }
.meta { color: #555; margin: 0 0 12px; font-size: 14px; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 12px; margin: 0 0 14px; padding: 0; list-style: none; }
.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 14px; height: 14px; border: 1px solid #0002; border-radius: 3px; }
.wrap { overflow-x: auto; }
table { border-collapse: collapse; background: #fff; font-size: 13px; }
th, td { border: 1px solid #d0d7de; vertical-align: top; text-align: left; }
thead th { position: sticky; top: 0; background: #f0f3f6; padding: 0; }
thead th button { all: unset; cursor: pointer; display: block; padding: 6px 20px 6px 8px; position: relative; font-weight: 600; }
thead th button::after { content: "↕"; position: absolute; right: 6px; top: 6px; color: #999; }
thead th[aria-sort="ascending"] button::after { content: "▲"; color: #1b1f24; }
thead th[aria-sort="descending"] button::after { content: "▼"; color: #1b1f24; }
thead .newest { display: block; font-weight: 400; color: #555; font-size: 11px; }
tbody th { padding: 6px 8px; font-weight: 600; white-space: nowrap; }
tbody th .sub, .dep .info { display: block; font-weight: 400; color: #444; font-size: 11px; }
td.num { text-align: right; padding: 6px 8px; }
td.cell { padding: 0; min-width: 130px; }
.dep { padding: 4px 8px; border-bottom: 1px solid #fff; }
.dep:last-child { border-bottom: 0; }
.dep .name { font-size: 11px; color: #333; display: block; }
.dep .ver { font-weight: 600; font-variant-numeric: tabular-nums; white-space: nowrap; }
.dep a { font-size: 11px; margin-left: 4px; }
.sev-current { background: #c8e6c9; }
.sev-line { background: #dcedc8; }
.sev-one { background: #fff59d; }
.sev-some { background: #ffcc80; }
.sev-far { background: #ef9a9a; }
.sev-unknown { background: #eeeeee; }
tr.unreadable th, tr.unreadable td { background: repeating-linear-gradient(135deg, #fdecea, #fdecea 8px, #f9d6d2 8px, #f9d6d2 16px); }
td.error { padding: 6px 8px; color: #8a1c12; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
.warn { color: #8a5a00; }
"#;

const JS: &str = r#"
(function () {
  var table = document.getElementById("fleet");
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  function value(row, col) {
    var cell = row.querySelector('[data-col="' + col + '"]');
    return cell && cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : null;
  }
  function sort(col, dir) {
    var numeric = heads[col].getAttribute("data-type") === "num";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, col), y = value(b, col);
      if (x === null || y === null) return x === y ? 0 : (x === null ? 1 : -1);
      return dir * (numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y));
    });
    rows.forEach(function (r) { body.appendChild(r); });
    for (var i = 0; i < heads.length; i++) {
      heads[i].setAttribute("aria-sort", i === col ? (dir > 0 ? "ascending" : "descending") : "none");
    }
  }
  Array.prototype.forEach.call(heads, function (th, i) {
    th.querySelector("button").addEventListener("click", function () {
      var now = th.getAttribute("aria-sort");
      var numeric = th.getAttribute("data-type") === "num";
      sort(i, now === "ascending" ? -1 : now === "descending" ? 1 : (numeric ? -1 : 1));
    });
  });
  var m = /^#sort=(-?)(\d+)$/.exec(location.hash);
  if (m && +m[2] < heads.length) sort(+m[2], m[1] ? -1 : 1);
  document.documentElement.setAttribute("data-sortable", "yes");
})();
"#;

/// `index.html`: one self-contained page (inline CSS and JS, no external asset): the matrix of
/// releases × upstreams coloured by how far behind, sortable by clicking a header (or with
/// `#sort=N` / `#sort=-N` in the URL), a legend and the time of the report.
pub fn html(report: &FleetReport) -> String {
    let cols = columns(report);
    let (behind, total) = report.behind();
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<title>Fleet report {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        h(&report.generated_at)
    ));
    out.push_str("<h1>Fleet report</h1>\n");
    out.push_str(&format!(
        "<p class=\"meta\">Generated <time datetime=\"{0}\">{0}</time> · {1} releases · {2} unreadable · {behind} of {total} dependencies behind</p>\n",
        h(&report.generated_at),
        report.releases.len(),
        report.unreadable()
    ));
    out.push_str("<ul class=\"legend\" aria-label=\"legend\">\n");
    for (sev, label) in Severity::LEGEND {
        out.push_str(&format!("<li><span class=\"swatch {}\"></span>{}</li>\n", sev.class(), h(label)));
    }
    out.push_str("<li><span class=\"swatch\" style=\"background:#f9d6d2\"></span>release could not be read</li>\n");
    out.push_str("<li>cell: current → latest · releases behind · days since the current version was published</li>\n");
    out.push_str("</ul>\n<div class=\"wrap\">\n<table id=\"fleet\">\n<thead><tr>");
    out.push_str("<th data-type=\"text\" aria-sort=\"none\"><button type=\"button\">Release</button></th>");
    out.push_str("<th data-type=\"num\" aria-sort=\"none\"><button type=\"button\">Behind<span class=\"newest\">dependencies</span></button></th>");
    for c in &cols {
        let newest =
            c.newest.as_deref().map(|n| format!("<span class=\"newest\">newest {}</span>", h(n))).unwrap_or_default();
        out.push_str(&format!(
            "<th data-type=\"num\" aria-sort=\"none\" data-upstream=\"{0}\"><button type=\"button\">{0}{newest}</button></th>",
            h(&c.upstream)
        ));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in &report.releases {
        let sub = match (&r.branch, &r.commit) {
            (Some(b), Some(c)) => format!("{} @ {}", h(b), h(short(c))),
            (Some(b), None) => h(b),
            _ => String::new(),
        };
        let warn = r
            .warning
            .as_ref()
            .map(|w| format!(" <span class=\"warn\" title=\"{}\">⚠</span>", h(w)))
            .unwrap_or_default();
        let head = format!(
            "<th scope=\"row\" data-col=\"0\" data-sort=\"{0}\">{0}{warn}<span class=\"sub\">{sub}</span></th>",
            h(&r.repository)
        );
        if let Some(e) = &r.error {
            out.push_str(&format!(
                "<tr class=\"unreadable\" data-repository=\"{}\">{head}<td class=\"error\" colspan=\"{}\">⚠ unreadable: {}</td></tr>\n",
                h(&r.repository),
                cols.len() + 1,
                h(e)
            ));
            continue;
        }
        out.push_str(&format!("<tr data-repository=\"{}\">{head}", h(&r.repository)));
        let n = r.dependencies.iter().filter(|d| d.behind).count();
        out.push_str(&format!("<td class=\"num\" data-col=\"1\" data-sort=\"{n}\">{n}</td>"));
        for (i, c) in cols.iter().enumerate() {
            let deps: Vec<&DependencyRow> = r.dependencies.iter().filter(|d| d.upstream == c.upstream).collect();
            if deps.is_empty() {
                out.push_str(&format!("<td class=\"cell\" data-col=\"{}\"></td>", i + 2));
                continue;
            }
            // The cell takes the colour of its worst dependency; each dependency shows its own.
            let worst = deps.iter().map(|d| Severity::of(d)).max().unwrap_or(Severity::Unknown);
            let score = deps
                .iter()
                .map(|d| Severity::of(d) as u64 * 10_000 + d.releases_behind.unwrap_or(0).min(9_999))
                .max()
                .unwrap_or(0);
            out.push_str(&format!(
                "<td class=\"cell {}\" data-col=\"{}\" data-sort=\"{score}\">",
                worst.class(),
                i + 2
            ));
            for d in deps {
                out.push_str(&dep_html(d));
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
    out.push_str(&format!("<script>{JS}</script>\n</body>\n</html>\n"));
    out
}

fn dep_html(d: &DependencyRow) -> String {
    let sev = Severity::of(d);
    let mut title = vec![format!("{} ({}, {})", d.name, d.kind, d.upstream)];
    title.push(format!("current {}", d.current.as_deref().unwrap_or("unknown")));
    title.push(format!("latest on its line {}", d.latest.as_deref().unwrap_or("unknown")));
    title.push(format!("newest {}", d.newest.as_deref().unwrap_or("unknown")));
    if let Some(n) = d.releases_behind {
        title.push(format!("{n} {} behind", if d.kind == "golang-package" { "Go lines" } else { "releases" }));
    }
    if let Some(a) = d.age_days {
        title.push(format!("current published {a} days ago"));
    }
    let ver = match (&d.latest, d.behind) {
        (Some(l), true) => format!("{} → {}", h(d.current.as_deref().unwrap_or("?")), h(l)),
        _ => {
            let mark = match sev {
                Severity::Current => " ✓",
                Severity::NewerLine => " ↑",
                _ => "",
            };
            format!("{}{mark}", h(d.current.as_deref().unwrap_or("?")))
        }
    };
    let mut info = Vec::new();
    match (d.releases_behind, d.kind.as_str()) {
        (Some(n), "golang-package") if n > 0 => {
            info.push(format!("{n} Go line{} behind", if n == 1 { "" } else { "s" }))
        }
        (Some(n), _) if n > 0 => info.push(format!("{n} behind")),
        _ => {}
    }
    if let Some(a) = d.age_days {
        info.push(format!("{a} d old"));
    }
    let info =
        if info.is_empty() { String::new() } else { format!("<span class=\"info\">{}</span>", info.join(" · ")) };
    let pr =
        d.pull_request.as_deref().and_then(safe_href).map(|u| format!("<a href=\"{u}\">PR</a>")).unwrap_or_default();
    format!(
        "<div class=\"dep {}\" data-dependency=\"{}\" title=\"{}\"><span class=\"name\">{}</span><span class=\"ver\">{ver}</span>{pr}{info}</div>",
        sev.class(),
        h(&d.name),
        h(&title.join("; ")),
        h(&d.name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dep(name: &str, upstream: &str, current: &str, latest: &str, newest: &str, n: u64) -> DependencyRow {
        DependencyRow {
            name: name.into(),
            kind: if upstream == "Go downloads" { "golang".into() } else { "github-release".into() },
            current: Some(current.into()),
            latest: Some(latest.into()),
            newest: Some(newest.into()),
            behind: n > 0,
            releases_behind: Some(n),
            age_days: Some(12),
            pull_request: None,
            upstream: upstream.into(),
            release_notes: None,
        }
    }

    fn sample() -> FleetReport {
        let mut pr = dep("etcd", "etcd-io/etcd", "3.3.15", "3.5.17", "3.5.17", 3);
        pr.pull_request = Some("https://github.com/o/etcd-release/pull/7".into());
        FleetReport {
            generated_at: "2025-01-02T03:04:05Z".into(),
            releases: vec![
                ReleaseRow {
                    repository: "o/etcd-release".into(),
                    branch: Some("main".into()),
                    commit: Some("0123456789abcdef".into()),
                    error: None,
                    warning: None,
                    dependencies: vec![pr, dep("golang-1.22", "Go downloads", "1.22.4", "1.22.5", "1.24.0", 1)],
                },
                ReleaseRow {
                    repository: "o/<script>".into(),
                    branch: None,
                    commit: None,
                    error: Some("git https://x/o/r.git: authentication failed | <b>".into()),
                    warning: None,
                    dependencies: vec![],
                },
            ],
        }
    }

    #[test]
    fn defaults_merge_key_by_key_and_the_release_wins() {
        let yml = r#"
defaults:
  access_token: tok-defaults-123
  go_proxy: http://127.0.0.1:1/goproxy
  pull_request: {branch_prefix: deps/, labels: [a]}
releases:
  - repository: o/one
  - repository: o/two
    access_token: tok-own-4567
    pull_request: {group: true}
"#;
        let s = parse_config(yml, "FLEET.yml", Some("tok-env-89012")).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].access_token.as_ref().unwrap().expose(), "tok-defaults-123");
        assert_eq!(s[1].access_token.as_ref().unwrap().expose(), "tok-own-4567");
        assert_eq!(s[1].go_proxy.as_str(), "http://127.0.0.1:1/goproxy/");
        assert_eq!(s[1].pull_request.branch_prefix, "deps/");
        assert!(s[1].pull_request.group);
        assert!(!s[0].pull_request.group);
    }

    #[test]
    fn the_readme_fleet_yml_is_valid() {
        let readme = include_str!("../README.md");
        let start = readme.find("```yaml\n# FLEET.yml\n").expect("the README shows a FLEET.yml") + 8;
        let text = &readme[start..start + readme[start..].find("```").unwrap()];
        let s = parse_config(text, "README.md", Some("tok-env-89012")).unwrap();
        assert_eq!(s.len(), 4);
        assert_eq!(s[2].pull_request.branch_prefix, "currency/");
        assert!(s[2].pull_request.group);
        assert!(s.iter().all(|s| s.access_token.as_ref().unwrap().expose() == "tok-env-89012"));
    }

    #[test]
    fn github_token_is_the_access_token_only_where_none_is_set() {
        let s = parse_config(
            "releases: [{repository: o/a}, {repository: o/b, access_token: tok-own-4567}]",
            "f",
            Some("tok-env-89012"),
        )
        .unwrap();
        assert_eq!(s[0].access_token.as_ref().unwrap().expose(), "tok-env-89012");
        assert_eq!(s[1].access_token.as_ref().unwrap().expose(), "tok-own-4567");
        let s = parse_config("releases: [{repository: o/a}]", "f", Some("  ")).unwrap();
        assert!(s[0].access_token.is_none());
    }

    #[test]
    fn a_bad_fleet_yml_names_the_file_and_the_key() {
        let err = |t: &str| parse_config(t, "FLEET.yml", None).unwrap_err().to_string();
        assert_eq!(
            err("releases: [{repository: o/a, acces_token: x}]"),
            "FLEET.yml: releases[0].acces_token: unknown key"
        );
        assert_eq!(
            err("releases: [{repository: o/a}, {branch: main}]"),
            "FLEET.yml: releases[1].repository: required key is missing"
        );
        assert_eq!(
            err("defaults: {go_proxi: x}\nreleases: [{repository: o/a}]"),
            "FLEET.yml: defaults.go_proxi: unknown key"
        );
        assert_eq!(err("defaults: {}\n"), "FLEET.yml: releases: required key is missing");
        assert_eq!(err("releases: []"), "FLEET.yml: releases: is empty; list the release repositories");
        assert_eq!(err("release: []"), "FLEET.yml: release: unknown key (defaults, releases)");
        assert_eq!(
            err("releases: [o/a]"),
            "FLEET.yml: releases[0]: not a mapping of source keys (repository at least)"
        );
        assert!(err("releases: [").starts_with("FLEET.yml: not valid YAML"));
        assert_eq!(
            err("defaults: {repository: o/a}\nreleases: [{repository: o/b}]"),
            "FLEET.yml: defaults.repository: each release names its own repository"
        );
    }

    #[test]
    fn ages_are_whole_days_and_never_negative() {
        let now = OffsetDateTime::parse("2025-01-11T12:00:00Z", &Rfc3339).unwrap();
        assert_eq!(days_since("2025-01-01T12:00:01Z", now), Some(9));
        assert_eq!(days_since("2025-01-01T12:00:00Z", now), Some(10));
        assert_eq!(days_since("2026-01-01T00:00:00Z", now), Some(0));
        assert_eq!(days_since("yesterday", now), None);
    }

    fn planned(kind: &str, current: &str, latest: Option<&str>, candidates: &[&str]) -> PlannedDependency {
        let scheme = if kind == "github-release" { Scheme::Semver } else { Scheme::Go };
        PlannedDependency {
            name: "x".into(),
            kind: kind.into(),
            current: Some(current.into()),
            latest: latest.map(String::from),
            target: None,
            behind: false,
            files: vec![],
            upstream: "u".into(),
            constraint: None,
            newest: None,
            release_notes: None,
            note: None,
            current_blob: None,
            candidates: candidates
                .iter()
                .map(|v| crate::plan::Candidate {
                    version: Version::parse(scheme, v).unwrap(),
                    notes_url: None,
                    published_at: None,
                })
                .collect(),
            current_version: Version::parse(scheme, current),
        }
    }

    #[test]
    fn releases_behind_counts_candidates_above_current_up_to_latest() {
        let d = planned("github-release", "3.3.15", Some("3.5.17"), &["3.3.15", "3.3.27", "3.4.34", "3.5.17", "3.6.0"]);
        assert_eq!(releases_behind(&d, None), Some(3));
        let d = planned("github-release", "3.5.17", Some("3.5.17"), &["3.3.15", "3.5.17"]);
        assert_eq!(releases_behind(&d, None), Some(0));
        let d = planned("github-release", "3.5.17", None, &["4.0.0"]);
        assert_eq!(releases_behind(&d, None), None);
    }

    #[test]
    fn a_vendored_go_package_counts_newer_go_lines() {
        let go =
            |v: &str, stable: bool| upstream::golang::GoRelease { version: format!("go{v}"), stable, files: vec![] };
        let offer =
            Offer::Go(Arc::new(vec![go("1.25rc1", false), go("1.24.1", true), go("1.24.0", true), go("1.23.3", true)]));
        let d = planned("golang-package", "1.22", Some("1.24"), &[]);
        assert_eq!(releases_behind(&d, Some(&offer)), Some(2));
        let d = planned("golang-package", "1.24", Some("1.24"), &[]);
        assert_eq!(releases_behind(&d, Some(&offer)), Some(0));
    }

    #[test]
    fn severity_follows_releases_behind() {
        let s = |n| Severity::of(&dep("a", "u", "1.0.0", "1.0.5", "1.0.5", n));
        assert_eq!((s(0), s(1), s(3), s(5)), (Severity::Current, Severity::One, Severity::Some, Severity::Far));
        assert_eq!(Severity::of(&dep("a", "u", "1.0.0", "1.0.0", "2.0.0", 0)), Severity::NewerLine);
        let mut v = dep("golang-1.22-linux", "Go downloads", "1.22", "1.24", "1.24.0", 2);
        v.kind = "golang-package".into();
        assert_eq!(Severity::of(&v), Severity::Far);
        v.latest = None;
        assert_eq!(Severity::of(&v), Severity::Unknown);
    }

    #[test]
    fn the_markdown_matrix_has_a_column_per_upstream_and_marks_unreadable_releases() {
        let md = markdown(&sample());
        assert!(
            md.contains("| Release | Behind | etcd-io/etcd (newest 3.5.17) | Go downloads (newest 1.24.0) |"),
            "{md}"
        );
        assert!(md.contains("| o/etcd-release (`main` @ `0123456`) | 2 | **etcd 3.3.15 → 3.5.17 (3 behind, 12 d old)** [PR](https://github.com/o/etcd-release/pull/7) | **golang-1.22 1.22.4 → 1.22.5 (1 behind, 12 d old)** |"), "{md}");
        assert!(
            md.contains("| o/<script> | ⚠ | ⚠ unreadable: git https://x/o/r.git: authentication failed \\| <b> | |"),
            "{md}"
        );
        assert!(md.contains("- ⚠ o/<script>: git https://x/o/r.git"), "{md}");
    }

    #[test]
    fn the_page_is_self_contained_and_escapes_what_it_shows() {
        let page = html(&sample());
        for external in ["<link", " src=", "@import", "url(", "http://", "//fonts", "<img"] {
            assert!(!page.contains(external), "{external} in the page");
        }
        assert!(page.contains("o/&lt;script&gt;"));
        assert!(!page.contains("o/<script>"));
        assert!(page.contains(
            "class=\"error\" colspan=\"3\">⚠ unreadable: git https://x/o/r.git: authentication failed | &lt;b&gt;"
        ));
        assert!(page.contains("<a href=\"https://github.com/o/etcd-release/pull/7\">PR</a>"));
        assert!(
            page.contains("class=\"cell sev-some\" data-col=\"2\" data-sort=\"40003\""),
            "etcd: Some (4) * 10000 + 3"
        );
        assert!(page.contains("<time datetime=\"2025-01-02T03:04:05Z\">"));
    }

    #[test]
    fn the_report_round_trips_as_the_contract_shapes_it() {
        let v = serde_json::to_value(sample()).unwrap();
        assert_eq!(
            v["releases"][1],
            json!({"repository": "o/<script>", "branch": null, "commit": null,
                   "error": "git https://x/o/r.git: authentication failed | <b>", "dependencies": []})
        );
        let keys: Vec<&String> = v["releases"][0]["dependencies"][0].as_object().unwrap().keys().collect();
        for k in
            ["name", "kind", "current", "latest", "newest", "behind", "releases_behind", "age_days", "pull_request"]
        {
            assert!(keys.iter().any(|x| *x == k), "{k} missing");
        }
    }
}
