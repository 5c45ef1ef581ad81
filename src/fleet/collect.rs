//! Collecting the fleet: every release read and assessed, [`CONCURRENCY`](super::CONCURRENCY) at a
//! time, against upstream offers asked once for the whole fleet (the [`Memo`]), with its open bump
//! pull requests and the age of each current version. One release that cannot be read is a row
//! with the error; it never stops the others.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use futures_util::future::{BoxFuture, FutureExt, Shared};
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use url::Url;

use super::report::{self, DependencyRow, FleetReport, ReleaseRow};
use crate::cache::{Cache, HttpEntry};
use crate::error::{Error, Result};
use crate::github;
use crate::gomod::modfile;
use crate::http::{Auth, Http};
use crate::plan::{Kind, PlannedDependency};
use crate::release::snapshot::Snapshot;
use crate::report::security::SecurityJson;
use crate::secrets::{self, Secret};
use crate::source::{DependencyKind, Source};
use crate::steps::assess::{self, Assessment};
use crate::upstream::{self, Offer, UpstreamKey, goproxy};
use crate::version::Version;

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
    let mut assessed = stream::iter(sources)
        .map(|source| {
            let fleet = fleet.clone();
            async move {
                let repository = source.repository.to_string();
                (repository, fleet.assess(fleet.http(&source), source).await)
            }
        })
        .buffered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await;
    let vulndb_warning = fleet.vulnerabilities(&mut assessed).await;
    let rows = stream::iter(assessed)
        .map(|(repository, a)| {
            let fleet = fleet.clone();
            async move {
                match a {
                    Ok(a) => fleet.release(a).await,
                    Err(unread) => unread.row(repository),
                }
            }
        })
        .buffered(concurrency.max(1))
        .collect::<Vec<ReleaseRow>>()
        .await;
    Ok(FleetReport {
        generated_at: now.format(&Rfc3339).expect("UTC formats as RFC 3339"),
        vulndb_warning,
        releases: rows,
    })
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

    /// The release's row: its open pull requests and a [`DependencyRow`] per planned dependency.
    async fn release(&self, a: Assessment) -> ReleaseRow {
        let repository = a.source.repository.to_string();
        let http = self.http(&a.source);
        let (pulls, warning) = open_pulls(http, &a.source, &repository).await;
        let mut dependencies = Vec::with_capacity(a.plan.dependencies.len());
        for d in &a.plan.dependencies {
            dependencies.push(self.dependency_row(http, &a, d, &pulls).await);
        }
        ReleaseRow {
            repository,
            branch: Some(a.plan.branch.clone()),
            commit: Some(a.plan.commit.clone()),
            error: None,
            warning,
            will_not_build: will_not_build(&a.plan),
            vulnerabilities: Some(report::distinct_vulnerabilities(&dependencies)),
            dependencies,
        }
    }

    /// Asks each vulnerability database the releases name once, for every module any of them
    /// needs, and applies the answer to each release. A database that cannot be read is a warning
    /// on each release it concerns, never an unreadable release; the first such warning is the
    /// fleet's.
    async fn vulnerabilities(
        &self,
        assessed: &mut [(String, std::result::Result<Assessment, Unread>)],
    ) -> Option<String> {
        let mut needed: BTreeMap<Url, std::collections::BTreeSet<String>> = BTreeMap::new();
        for a in assessed.iter().filter_map(|(_, a)| a.as_ref().ok()) {
            if let Some(base) = &a.source.vulndb {
                let modules = crate::plan::vulns::modules_needed(&a.source, &a.detected.dependencies, &a.plan, false);
                needed.entry(base.clone()).or_default().extend(modules);
            }
        }
        let mut answers = BTreeMap::new();
        for (base, modules) in needed.into_iter().filter(|(_, m)| !m.is_empty()) {
            let answer = crate::upstream::vulndb::lookup(&self.secure, &self.cache, &base, &modules).await;
            answers.insert(base, answer.map_err(|e| line(&e)));
        }
        let warning = answers
            .values()
            .find_map(|a| a.as_ref().err())
            .map(|e| format!("the vulnerability database could not be read: {e}"));
        for a in assessed.iter_mut().filter_map(|(_, a)| a.as_mut().ok()) {
            let answer = a.source.vulndb.as_ref().and_then(|base| answers.get(base));
            let db = match answer {
                Some(Ok(db)) => Some(db),
                Some(Err(e)) => {
                    // security_only cannot be decided then: the fleet reports, it does not bump.
                    a.plan.vulndb_warning = Some(format!("the vulnerability database could not be read: {e}"));
                    None
                }
                None => None,
            };
            assess::apply_known(a, db);
        }
        warning
    }

    /// Reads the release's base branch and plans it against the offers the fleet shares.
    async fn assess(&self, http: &Http, source: Source) -> std::result::Result<Assessment, Unread> {
        let (snapshot, branch, commit) = self.read_base(&source).await.map_err(|error| Unread {
            branch: source.branch.clone(),
            commit: None,
            error,
        })?;
        let unread = |error| Unread { branch: Some(branch.clone()), commit: Some(commit.clone()), error };
        let detected = assess::tracked(&source, &snapshot);
        let keys = assess::upstream_keys(&source, &detected);
        let offers = self.memo.offers(http, &self.cache, source.upstream_token(), &keys).await.map_err(unread)?;
        assess::with_offers(source, snapshot, detected, &branch, &commit, offers).map_err(|e| unread(line(&e)))
    }

    /// The base branch through the check cache (git, on the blocking pool), taking turns with the
    /// other entries of the same `git_url`: the snapshot, the branch and the commit, or the error
    /// on one line.
    async fn read_base(&self, source: &Source) -> std::result::Result<(Snapshot, String, String), String> {
        let git_lock = lock(&self.git_locks).entry(source.git_url.clone()).or_default().clone();
        let (source, cache) = (source.clone(), self.cache.clone());
        let read = tokio::task::spawn_blocking(move || {
            let _turn = lock(&git_lock);
            assess::read_base(&source, &cache)
        })
        .await;
        match read {
            Ok(Ok(read)) => Ok(read),
            Ok(Err(e)) => Err(line(&e)),
            Err(e) => Err(format!("reading the release failed: {e}")),
        }
    }

    /// One dependency's row: the plan's versions, how far behind, the age of the current version
    /// and its open bump pull request.
    async fn dependency_row(
        &self,
        http: &Http,
        a: &Assessment,
        d: &PlannedDependency,
        pulls: &BTreeMap<String, String>,
    ) -> DependencyRow {
        let pull_request = bump_pull(d, &a.source, pulls);
        let published = self.published(http, a, d).await;
        DependencyRow {
            name: d.name.clone(),
            kind: d.kind,
            current: d.current.as_ref().map(Version::to_string),
            latest: d.latest.as_ref().map(Version::to_string),
            newest: d.newest.as_ref().map(Version::to_string),
            behind: d.behind,
            releases_behind: releases_behind(d),
            age_days: published.as_deref().and_then(|p| days_since(p, self.now)),
            pull_request,
            upstream: d.upstream.clone(),
            release_notes: d.release_notes.clone(),
            pinned: d.pinned.clone(),
            moved: d.moved.clone(),
            custom_build_of: d.custom_build_of.as_ref().map(|v| v.to_string()),
            security: SecurityJson::from(&d.security),
        }
    }

    /// When upstream published the dependency's current version: GitHub's `published_at`, the
    /// module proxy's `.info` time (the Go downloads index has no dates).
    async fn published(&self, http: &Http, a: &Assessment, d: &PlannedDependency) -> Option<String> {
        match a.dependency(&d.name).map(|dep| &dep.kind) {
            Some(DependencyKind::GithubRelease { .. }) => current_candidate(d).and_then(|c| c.published_at.clone()),
            Some(DependencyKind::GoModule { module, .. }) => match &d.current {
                Some(v) => self.memo.module_time(http, &self.cache, &a.source.go_proxy, module, v.as_str()).await,
                None => None,
            },
            _ => None,
        }
    }
}

/// Why a release could not be read, and how far reading it got.
struct Unread {
    branch: Option<String>,
    commit: Option<String>,
    error: String,
}

impl Unread {
    fn row(self, repository: String) -> ReleaseRow {
        let Unread { branch, commit, error } = self;
        ReleaseRow {
            repository,
            branch,
            commit,
            error: Some(error),
            warning: None,
            will_not_build: vec![],
            vulnerabilities: None,
            dependencies: vec![],
        }
    }
}

/// A line per go.mod of `plan` that will not build: `src/x/go.mod asks for go 1.24.0, toolchain
/// go1.26.1; it builds with Go 1.25.3 (golang-1.25-linux)`.
fn will_not_build(plan: &crate::plan::Plan) -> Vec<String> {
    plan.go_directives
        .iter()
        .filter(|d| d.status == "will not build")
        .map(|d| {
            let asked: Vec<String> = [("go", &d.go), ("toolchain", &d.toolchain)]
                .into_iter()
                .filter_map(|(k, v)| Some(format!("{k} {}", v.as_deref()?)))
                .collect();
            let go = d.builds_with.as_deref().unwrap_or("?");
            let by = d.built_by.as_deref().map(|p| format!(" ({p})")).unwrap_or_default();
            format!("{} asks for {}; it builds with Go {go}{by}", d.go_mod, asked.join(", "))
        })
        .collect()
}

/// The release's open pull requests by head branch (none without a token). When they cannot be
/// listed: none, and the warning for the row.
async fn open_pulls(http: &Http, source: &Source, repository: &str) -> (BTreeMap<String, String>, Option<String>) {
    let Some(token) = &source.access_token else { return (BTreeMap::new(), None) };
    match github::open_pulls(http, source, token).await {
        Ok(p) => (p, None),
        Err(e) => {
            let w = format!("open pull requests not listed: {}", line(&e));
            crate::log!("warning: {repository}: {w}");
            (BTreeMap::new(), Some(w))
        }
    }
}

/// The open bump pull request of `d`: the one from `<branch_prefix><name>`, or grouped, from
/// `<branch_prefix>all` while `d` is behind.
fn bump_pull(d: &PlannedDependency, source: &Source, pulls: &BTreeMap<String, String>) -> Option<String> {
    let prefix = &source.pull_request.branch_prefix;
    match (d.kind, source.pull_request.group) {
        (_, true) if d.behind => pulls.get(&format!("{prefix}all")).cloned(),
        (_, true) => None,
        (_, false) => pulls.get(&format!("{prefix}{}", d.name)).cloned(),
    }
}

/// The upstream candidate that is the dependency's current version.
fn current_candidate(d: &PlannedDependency) -> Option<&crate::plan::Candidate> {
    let current = d.current.as_ref()?;
    d.candidates.iter().find(|c| &c.version == current)
}

/// Upstream versions above the current one, up to `latest`. A vendored package counts the
/// versions its source release shipped ([`PlannedDependency::history`]).
pub fn releases_behind(d: &PlannedDependency) -> Option<u64> {
    // A custom build counts from the version it is a build of.
    let current = d.custom_build_of.as_ref().or(d.current.as_ref())?;
    if d.kind == Kind::VendoredPackage {
        let latest = d.latest.as_ref()?;
        return Some(d.history.iter().filter(|v| *v > current && *v <= latest).count() as u64);
    }
    let latest = d.latest.as_ref()?;
    let latest = d.candidates.iter().find(|c| c.version.as_str() == latest.as_str())?;
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
        // GitHub's API and source releases' git look at the token; the Go index and proxy do not.
        let token =
            matches!(key, UpstreamKey::Github { .. } | UpstreamKey::Release { .. }).then_some(token).flatten().cloned();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_whole_days_and_never_negative() {
        let now = OffsetDateTime::parse("2025-01-11T12:00:00Z", &Rfc3339).unwrap();
        assert_eq!(days_since("2025-01-01T12:00:01Z", now), Some(9));
        assert_eq!(days_since("2025-01-01T12:00:00Z", now), Some(10));
        assert_eq!(days_since("2026-01-01T00:00:00Z", now), Some(0));
        assert_eq!(days_since("yesterday", now), None);
    }

    fn planned(kind: &str, current: &str, latest: Option<&str>, candidates: &[&str]) -> PlannedDependency {
        let kind: Kind = serde_json::from_value(serde_json::json!(kind)).unwrap();
        let scheme = kind.scheme();
        PlannedDependency {
            current: Version::parse(scheme, current),
            latest: latest.and_then(|l| Version::parse(scheme, l)),
            upstream: "u".into(),
            candidates: candidates
                .iter()
                .map(|v| crate::plan::Candidate {
                    version: Version::parse(scheme, v).unwrap(),
                    notes_url: None,
                    published_at: None,
                })
                .collect(),
            ..PlannedDependency::example("x", kind)
        }
    }

    #[test]
    fn releases_behind_counts_candidates_above_current_up_to_latest() {
        let d = planned("github-release", "3.3.15", Some("3.5.17"), &["3.3.15", "3.3.27", "3.4.34", "3.5.17", "3.6.0"]);
        assert_eq!(releases_behind(&d), Some(3));
        let d = planned("github-release", "3.5.17", Some("3.5.17"), &["3.3.15", "3.5.17"]);
        assert_eq!(releases_behind(&d), Some(0));
        let d = planned("github-release", "3.5.17", None, &["4.0.0"]);
        assert_eq!(releases_behind(&d), None);
    }

    #[test]
    fn a_vendored_package_counts_the_versions_its_source_release_shipped_in_between() {
        let mut d = planned("vendored-package", "1.23.2", Some("1.26.8"), &["1.26.8"]);
        d.history = ["1.23.1", "1.23.2", "1.23.3", "1.25.9", "1.26.8", "1.27.0"]
            .iter()
            .map(|v| Version::parse(crate::version::Scheme::Go, v).unwrap())
            .collect();
        assert_eq!(releases_behind(&d), Some(3));
        d.current = Version::parse(crate::version::Scheme::Go, "1.26.8");
        assert_eq!(releases_behind(&d), Some(0));
        d.current = None;
        assert_eq!(releases_behind(&d), None, "an unknown fingerprint: nothing to count from");
    }
}
