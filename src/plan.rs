//! The plan: (what the repository has, what upstream offers, constraints) → which dependencies
//! are behind and their targets. Pure: no I/O, so every rule here is unit-tested on values.
//!
//! Rules:
//! - a blob dependency's current version is the highest version among the `config/blobs.yml`
//!   keys matching its template *and* its constraint (so two lines of one upstream are two
//!   dependencies); a module's is the lowest version required by the go.mod files it covers
//!   (the one that will move first);
//! - candidates are the upstream versions that parse, pass the prerelease rule (upstream's
//!   prerelease flag and the version's own prerelease part both count) and, for blobs, actually
//!   carry the artifact the blob is made from;
//! - `latest` is the highest candidate inside the constraint, `newest` the highest overall;
//! - the target is `latest` when it is higher than the current version.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::detect::{Detected, VendoredGolang};
use crate::error::{Error, Result};
use crate::release::snapshot::Snapshot;
use crate::source::{Dependency, DependencyKind, Source};
use crate::upstream::{Offer, UpstreamKey};
use crate::version::{Scheme, Version};

/// One version an upstream offers for a dependency.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub version: Version,
    pub notes_url: Option<String>,
    pub published_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub repository: String,
    pub branch: String,
    pub commit: String,
    pub dependencies: Vec<PlannedDependency>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedDependency {
    pub name: String,
    pub kind: String,
    pub current: Option<String>,
    pub latest: Option<String>,
    pub target: Option<String>,
    pub behind: bool,
    pub files: Vec<String>,
    /// Where versions come from: `nats-io/nats-server`, `Go downloads`, a module path.
    pub upstream: String,
    pub constraint: Option<String>,
    /// The newest version upstream offers, constraint or not.
    pub newest: Option<String>,
    /// Release notes of the target (else of the latest version).
    pub release_notes: Option<String>,
    /// Why a dependency is reported but cannot be bumped, or other remarks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The blob path of the current version (blob dependencies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_blob: Option<String>,
    #[serde(skip)]
    pub candidates: Vec<Candidate>,
    #[serde(skip)]
    pub current_version: Option<Version>,
}

impl Plan {
    /// The Concourse version: every dependency with a target, `{name: target}`.
    pub fn version(&self) -> BTreeMap<String, String> {
        self.dependencies.iter().filter_map(|d| Some((d.name.clone(), d.target.clone()?))).collect()
    }

    pub fn get(&self, name: &str) -> Option<&PlannedDependency> {
        self.dependencies.iter().find(|d| d.name == name)
    }

    /// Pins the targets of a requested version (`in`): each named dependency must exist and its
    /// upstream must offer the requested version.
    pub fn pin(&mut self, requested: &BTreeMap<String, String>) -> Result<()> {
        for (name, target) in requested {
            let dep = self.dependencies.iter_mut().find(|d| &d.name == name).ok_or_else(|| {
                Error::dependency_as(
                    crate::error::ErrorKind::Config,
                    name,
                    "is in the requested version but not tracked",
                )
            })?;
            let cand = dep.candidates.iter().find(|c| c.version.as_str() == target).ok_or_else(|| {
                Error::dependency(name, format!("upstream {} does not offer version {target}", dep.upstream))
            })?;
            dep.behind = dep.current_version.as_ref().is_none_or(|c| &cand.version > c);
            dep.target = Some(target.clone());
            dep.release_notes = cand.notes_url.clone();
        }
        Ok(())
    }
}

/// Interprets what `offer` holds for `dep`: its candidate versions, ascending.
pub fn candidates(dep: &Dependency, offer: &Offer) -> Vec<Candidate> {
    let mut out = Vec::new();
    match (&dep.kind, offer) {
        (DependencyKind::GithubRelease { tag, asset, .. }, Offer::Github(releases)) => {
            for r in releases.iter() {
                let Some(raw) = tag.extract(&r.tag_name) else { continue };
                let Some(v) = Version::parse(Scheme::Semver, raw) else { continue };
                if (r.prerelease || v.is_prerelease()) && !dep.prerelease {
                    continue;
                }
                if r.asset(&asset.render(v.as_str())).is_none() {
                    continue;
                }
                out.push(Candidate { version: v, notes_url: r.html_url.clone(), published_at: r.published_at.clone() });
            }
        }
        (DependencyKind::Golang { blob }, Offer::Go(releases)) => {
            let file = blob.file_name();
            for r in releases.iter() {
                let Some(v) = Version::parse(Scheme::Go, &r.version) else { continue };
                if (!r.stable || v.is_prerelease()) && !dep.prerelease {
                    continue;
                }
                if r.file(&file.render(v.as_str())).is_none() {
                    continue;
                }
                out.push(Candidate {
                    notes_url: Some(format!("https://go.dev/doc/devel/release#go{v}")),
                    version: v,
                    published_at: None,
                });
            }
        }
        (DependencyKind::GoModule { module, .. }, Offer::Module(list)) => {
            for raw in &list.versions {
                let Some(v) = Version::parse(Scheme::Semver, raw) else { continue };
                if v.is_prerelease() && !dep.prerelease {
                    continue;
                }
                out.push(Candidate { notes_url: module_notes_url(module, raw), version: v, published_at: None });
            }
        }
        _ => {}
    }
    out.sort_by(|a, b| a.version.cmp(&b.version));
    out.dedup_by(|a, b| a.version == b.version);
    out
}

/// Release notes of a module version: the GitHub release for GitHub-hosted modules (and etcd),
/// else pkg.go.dev.
pub fn module_notes_url(module: &str, version: &str) -> Option<String> {
    let v = if version.starts_with('v') { version.to_string() } else { format!("v{version}") };
    let v = v.trim_end_matches("+incompatible");
    if let Some(rest) = module.strip_prefix("github.com/") {
        let mut parts = rest.split('/');
        if let (Some(o), Some(r)) = (parts.next(), parts.next()) {
            return Some(format!("https://github.com/{o}/{r}/releases/tag/{v}"));
        }
    }
    if module == "go.etcd.io/etcd" || module.starts_with("go.etcd.io/etcd/") {
        return Some(format!("https://github.com/etcd-io/etcd/releases/tag/{v}"));
    }
    Some(format!("https://pkg.go.dev/{module}@{v}"))
}

/// What the repository holds of `dep`.
struct Current {
    version: Option<Version>,
    blob: Option<String>,
    files: Vec<String>,
}

fn current(dep: &Dependency, snapshot: &Snapshot) -> Result<Current> {
    match &dep.kind {
        DependencyKind::GithubRelease { blob, .. } | DependencyKind::Golang { blob } => {
            let scheme = if matches!(dep.kind, DependencyKind::Golang { .. }) { Scheme::Go } else { Scheme::Semver };
            let best = snapshot
                .blobs
                .entries
                .keys()
                .filter_map(|path| {
                    let v = Version::parse(scheme, blob.extract(path)?)?;
                    let inside = dep.constraint.as_ref().is_none_or(|c| c.matches(&v, true));
                    inside.then(|| (v, path.clone()))
                })
                .max_by(|a, b| a.0.cmp(&b.0));
            let Some((v, path)) = best else {
                return Err(Error::dependency(
                    &dep.name,
                    format!(
                        "no blob in config/blobs.yml matches {}{}",
                        blob.as_text(),
                        dep.constraint.as_ref().map(|c| format!(" within {c}")).unwrap_or_default()
                    ),
                ));
            };
            let mut files = vec!["config/blobs.yml".to_string()];
            files.extend(snapshot.specs_using_blob(&path));
            Ok(Current { version: Some(v), blob: Some(path), files })
        }
        DependencyKind::GoModule { module, go_mod } => {
            let mut lowest: Option<Version> = None;
            let mut files = Vec::new();
            for (path, gomod) in &snapshot.go_mods {
                if let Some(only) = go_mod
                    && !only.contains(path)
                {
                    continue;
                }
                let Some(req) = gomod.requires.iter().find(|r| &r.path == module) else { continue };
                if gomod.replaces.iter().any(|r| &r.old_path == module) {
                    continue;
                }
                let Some(v) = Version::parse(Scheme::Semver, &req.version) else { continue };
                if lowest.as_ref().is_none_or(|l| v < *l) {
                    lowest = Some(v);
                }
                files.push(path.clone());
                files.push(format!("{}go.sum", path.strip_suffix("go.mod").unwrap_or_default()));
            }
            if let Some(only) = go_mod {
                for p in only {
                    if !snapshot.go_mods.contains_key(p) {
                        return Err(Error::dependency(
                            &dep.name,
                            format!(
                                "{p} is not a go.mod of the repository (missing, or not a regular file: a symbolic link is never read)"
                            ),
                        ));
                    }
                }
            }
            if lowest.is_none() {
                return Err(Error::dependency(&dep.name, format!("no go.mod requires {module} (without a replace)")));
            }
            Ok(Current { version: lowest, blob: None, files })
        }
    }
}

/// Computes the plan of `detected` against `offers`.
pub fn plan(
    source: &Source,
    branch: &str,
    commit: &str,
    snapshot: &Snapshot,
    detected: &Detected,
    offers: &BTreeMap<UpstreamKey, Offer>,
) -> Result<Plan> {
    let mut dependencies = Vec::new();
    for dep in &detected.dependencies {
        let key = UpstreamKey::for_dependency(source, dep);
        let cands = offers.get(&key).map(|o| candidates(dep, o)).unwrap_or_default();
        let cur = current(dep, snapshot)?;
        let inside = |c: &&Candidate| dep.constraint.as_ref().is_none_or(|k| k.matches(&c.version, dep.prerelease));
        let latest = cands.iter().rfind(inside);
        let newest = cands.last();
        let target = latest.filter(|l| cur.version.as_ref().is_none_or(|c| l.version > *c));
        let note = match (&latest, cands.is_empty()) {
            (_, true) => Some(format!("{} offers no usable version", key.describe())),
            (None, false) => Some("no upstream version inside the constraint".to_string()),
            _ => None,
        };
        dependencies.push(PlannedDependency {
            name: dep.name.clone(),
            kind: dep.kind.name().to_string(),
            current: cur.version.as_ref().map(|v| v.to_string()),
            latest: latest.map(|c| c.version.to_string()),
            target: target.map(|c| c.version.to_string()),
            behind: target.is_some(),
            files: cur.files,
            upstream: key.describe(),
            constraint: dep.constraint.as_ref().map(|c| c.to_string()),
            newest: newest.map(|c| c.version.to_string()),
            release_notes: target.or(latest).and_then(|c| c.notes_url.clone()),
            note,
            current_blob: cur.blob,
            current_version: cur.version,
            candidates: cands,
        });
    }
    for v in &detected.vendored_golang {
        dependencies.push(vendored(source, v, offers));
    }
    Ok(Plan {
        repository: source.repository.to_string(),
        branch: branch.to_string(),
        commit: commit.to_string(),
        dependencies,
    })
}

fn vendored(source: &Source, v: &VendoredGolang, offers: &BTreeMap<UpstreamKey, Offer>) -> PlannedDependency {
    let key = UpstreamKey::go_index(source);
    let newest = match offers.get(&key) {
        Some(Offer::Go(list)) => list
            .iter()
            .filter(|r| r.stable)
            .filter_map(|r| Version::parse(Scheme::Go, &r.version))
            .filter(|x| x.major() == v.line.major())
            .max(),
        _ => None,
    };
    let newest_line = newest.as_ref().map(|n| format!("{}.{}", n.major(), n.minor()));
    let behind = newest.as_ref().is_some_and(|n| n.minor() > v.line.minor());
    PlannedDependency {
        name: v.package.clone(),
        kind: "golang-package".into(),
        current: Some(v.line.to_string()),
        latest: newest_line,
        target: None,
        behind,
        files: vec![format!("packages/{}/spec.lock", v.package)],
        upstream: key.describe(),
        constraint: None,
        newest: newest.as_ref().map(|n| n.to_string()),
        release_notes: newest.as_ref().map(|n| format!("https://go.dev/doc/devel/release#go{n}")),
        note: Some("vendored with bosh vendor-package: reported, not bumped".into()),
        current_blob: None,
        candidates: vec![],
        current_version: Some(v.line.clone()),
    }
}
