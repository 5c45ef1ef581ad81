//! Assessing a release: read the base branch (or a local checkout), decide what to track, ask
//! the upstreams, plan. Shared by `check`, `in`, `currency report`, `out` and the fleet report
//! (which reads the base branch with [`read_base`], asks the upstreams itself, once for the whole
//! fleet, and plans with [`with_offers`]).

use std::collections::BTreeMap;
use std::path::Path;

use crate::cache::Cache;
use crate::detect::{self, Detected};
use crate::error::{Error, Result};
use crate::http::Http;
use crate::plan::{self, Plan};
use crate::release::snapshot::{DirFiles, RepoFiles, Snapshot};
use crate::source::Source;
use crate::upstream::vulndb::{self, VulnDb};
use crate::upstream::{self, Offer, UpstreamKey};
use crate::workspace::{self, GitRemote};

pub struct Assessment {
    pub source: Source,
    pub snapshot: Snapshot,
    pub detected: Detected,
    pub offers: BTreeMap<UpstreamKey, Offer>,
    pub plan: Plan,
    /// What the vulnerability database said, kept for `in` to re-annotate pinned targets (`None`:
    /// not asked, off, unreachable, or a fleet, which shares one answer among its releases).
    pub vulndb: Option<VulnDb>,
}

/// Which dependencies the vulnerability database is read for: all of them (`in`, `out`, the
/// reports), or only those bumped for security alone (`check`, which must stay cheap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vulns {
    All,
    SecurityOnly,
}

impl Assessment {
    pub fn dependency(&self, name: &str) -> Option<&crate::source::Dependency> {
        self.detected.dependencies.iter().find(|d| d.name == name)
    }

    pub fn offer_for(&self, dep: &crate::source::Dependency) -> Option<&Offer> {
        self.offers.get(&UpstreamKey::for_dependency(&self.source, dep))
    }
}

/// Fetches the base branch through the cache and assesses it.
pub async fn remote(source: Source, cache: &Cache, http: &Http, vulns: Vulns) -> Result<Assessment> {
    let (snapshot, branch, commit) = read_base(&source, cache)?;
    from_snapshot(source, snapshot, &branch, &commit, (cache, http), vulns).await
}

/// Fetches the base branch through the cache and reads what the release holds: the snapshot,
/// the branch name and the commit. Blocking (git); `remote` and the fleet report share it.
pub fn read_base(source: &Source, cache: &Cache) -> Result<(Snapshot, String, String)> {
    let remote = GitRemote::of(source);
    let base = workspace::fetch_base(&remote, source.branch.as_deref(), cache)?;
    crate::log!("{} {} at {}", remote.display_url(), base.branch, base.commit);
    let files = base.files()?;
    let snapshot = Snapshot::read(&files)?;
    let (branch, commit) = (base.branch.clone(), base.commit.to_string());
    drop(files);
    drop(base);
    Ok((snapshot, branch, commit))
}

/// Assesses a local checkout (`currency report --repo DIR`).
pub async fn local(source: Source, dir: &Path, cache: &Cache, http: &Http, vulns: Vulns) -> Result<Assessment> {
    if !dir.is_dir() {
        return Err(Error::Io {
            path: dir.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
        });
    }
    let files = DirFiles::new(dir);
    let snapshot = Snapshot::read(&files as &dyn RepoFiles)?;
    let (branch, commit) = match git2::Repository::open(dir) {
        Ok(repo) => {
            let head = repo.head().ok();
            let branch =
                head.as_ref().and_then(|h| h.shorthand().ok().map(String::from)).unwrap_or_else(|| "HEAD".into());
            let commit = head.and_then(|h| h.target()).map(|o| o.to_string()).unwrap_or_default();
            (branch, commit)
        }
        Err(_) => ("-".into(), String::new()),
    };
    from_snapshot(source, snapshot, &branch, &commit, (cache, http), vulns).await
}

/// Assesses what the release holds: the upstreams, the plan, then the vulnerability database.
pub async fn from_snapshot(
    source: Source,
    snapshot: Snapshot,
    branch: &str,
    commit: &str,
    (cache, http): (&Cache, &Http),
    vulns: Vulns,
) -> Result<Assessment> {
    let detected = tracked(&source, &snapshot);
    let keys = upstream_keys(&source, &detected);
    let offers = upstream::lookup_all(http, cache, source.upstream_token(), keys).await?;
    let mut a = with_offers(source, snapshot, detected, branch, commit, offers)?;
    let modules =
        plan::vulns::modules_needed(&a.source, &a.detected.dependencies, &a.plan, vulns == Vulns::SecurityOnly);
    let db = match &a.source.vulndb {
        Some(base) if !modules.is_empty() => Some(vulndb::lookup(http, cache, base, &modules).await),
        _ => None,
    };
    apply_vulndb(&mut a, db)?;
    Ok(a)
}

/// Applies what the database said: each row's known vulnerabilities, then `security_only`. A
/// database that could not be read is a warning in the plan, or the error when a dependency is
/// bumped for security alone (it cannot be decided without the database).
pub fn apply_vulndb(a: &mut Assessment, db: Option<Result<VulnDb>>) -> Result<()> {
    let db = match db {
        Some(Err(e)) => {
            if let Some(d) = a.detected.dependencies.iter().find(|d| plan::vulns::security_only(&a.source, d)) {
                crate::log!("{}: security_only needs the vulnerability database", d.name);
                return Err(e);
            }
            let line = format!("the vulnerability database could not be read: {e}");
            crate::log!("warning: {line}");
            a.plan.vulndb_warning = Some(crate::secrets::redact(&line));
            None
        }
        Some(Ok(db)) => Some(db),
        None => None,
    };
    apply_known(a, db.as_ref());
    a.vulndb = db;
    Ok(())
}

/// Applies what is known of the vulnerabilities (`None`: nothing): each row's reports, then
/// `security_only`, which without a database keeps no target.
pub fn apply_known(a: &mut Assessment, db: Option<&VulnDb>) {
    let deps = &a.detected.dependencies;
    if let Some(db) = db {
        plan::vulns::annotate(&mut a.plan, deps, db);
    }
    plan::vulns::keep_security_bumps_only(&mut a.plan, &a.source, deps);
}

/// What `source` tracks in `snapshot`: its `dependencies`, or what autodetection finds.
pub fn tracked(source: &Source, snapshot: &Snapshot) -> Detected {
    match &source.dependencies {
        Some(deps) => Detected::tracked(deps.clone()),
        None => detect::detect(snapshot, &source.golang_release),
    }
}

/// Every upstream the tracked dependencies need, each once.
pub fn upstream_keys(source: &Source, detected: &Detected) -> Vec<UpstreamKey> {
    let mut keys: Vec<UpstreamKey> =
        detected.dependencies.iter().map(|d| UpstreamKey::for_dependency(source, d)).collect();
    // A moved module's new path: the report shows its newest version.
    keys.extend(
        detected
            .held
            .iter()
            .filter_map(|h| h.looked_up())
            .map(|path| UpstreamKey::Module { proxy: source.go_proxy.clone(), path: path.to_string() }),
    );
    keys.sort();
    keys.dedup();
    keys
}

/// Plans against offers fetched elsewhere: the fleet report asks each upstream once for all of
/// its releases and hands every release what it needs.
pub fn with_offers(
    source: Source,
    snapshot: Snapshot,
    detected: Detected,
    branch: &str,
    commit: &str,
    offers: BTreeMap<UpstreamKey, Offer>,
) -> Result<Assessment> {
    let plan = plan::plan(&source, branch, commit, &snapshot, &detected, &offers)?;
    Ok(Assessment { source, snapshot, detected, offers, plan, vulndb: None })
}
