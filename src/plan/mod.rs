//! The plan: (what the repository has, what upstream offers, constraints) → which dependencies
//! are behind and their targets. Pure: no I/O, so every rule here is unit-tested on values.
//!
//! Rules:
//! - a blob dependency's current version is the highest version among the `config/blobs.yml`
//!   keys matching its template *and* its constraint (so two lines of one upstream are two
//!   dependencies); a golang dependency with one template per platform is as current as its
//!   lowest platform, and a module as the lowest version required by the go.mod files it covers
//!   (the one that will move first);
//! - candidates are the upstream versions that parse, pass the prerelease rule (upstream's
//!   prerelease flag and the version's own prerelease part both count) and, for blobs, actually
//!   carry the artifact the blob is made from (for golang, every platform's file);
//! - `latest` is the highest candidate inside the constraint, `newest` the highest overall;
//! - the target is `latest` when it is higher than the current version;
//! - a held module ([`crate::detect::HeldModule`]: pinned by a `replace`, or required under a moved
//!   path) is a row with its current version and never a target, so never behind.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::detect::{Detected, HeldModule, Hold};
use crate::error::{Error, Result};
use crate::release::snapshot::Snapshot;
use crate::source::{Dependency, DependencyKind, Source, Template};
use crate::upstream::{Offer, UpstreamKey};
use crate::version::{Scheme, Version};

pub mod custom;
pub mod directives;
pub mod vendored;
pub mod vulns;

/// What kind of dependency a plan entry is; plan.json and fleet.json spell it in kebab case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A blob from a GitHub release's asset.
    GithubRelease,
    /// A Go toolchain blob from the Go downloads index.
    Golang,
    /// A module required by go.mod files.
    GoModule,
    /// A package vendored from a source release with `bosh vendor-package`.
    VendoredPackage,
}

impl Kind {
    pub fn of(kind: &DependencyKind) -> Kind {
        match kind {
            DependencyKind::GithubRelease { .. } => Kind::GithubRelease,
            DependencyKind::Golang { .. } => Kind::Golang,
            DependencyKind::GoModule { .. } => Kind::GoModule,
            DependencyKind::VendoredPackage { .. } => Kind::VendoredPackage,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::GithubRelease => "github-release",
            Kind::Golang => "golang",
            Kind::GoModule => "go-module",
            Kind::VendoredPackage => "vendored-package",
        }
    }

    /// How the kind's upstream spells versions.
    pub fn scheme(self) -> Scheme {
        match self {
            Kind::Golang | Kind::VendoredPackage => Scheme::Go,
            Kind::GithubRelease | Kind::GoModule => Scheme::Semver,
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One version an upstream offers for a dependency.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub version: Version,
    pub notes_url: Option<String>,
    pub published_at: Option<String>,
}

/// The plan of a release; plan.json is [`crate::report::PlanJson`] made from it.
#[derive(Debug, Clone)]
pub struct Plan {
    pub repository: String,
    pub branch: String,
    pub commit: String,
    pub dependencies: Vec<PlannedDependency>,
    /// Each go.mod's `go` and `toolchain` directives against the Go the release builds with.
    pub go_directives: Vec<directives::GoDirectives>,
    /// Why known vulnerabilities are missing from the plan: the database could not be read.
    pub vulndb_warning: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PlannedDependency {
    pub name: String,
    pub kind: Kind,
    /// The version the repository holds.
    pub current: Option<Version>,
    /// The highest candidate inside the constraint.
    pub latest: Option<Version>,
    /// `latest` when it is higher than `current`.
    pub target: Option<Version>,
    pub behind: bool,
    pub files: Vec<String>,
    /// Where versions come from: `nats-io/nats-server`, `Go downloads`, a module path.
    pub upstream: String,
    pub constraint: Option<String>,
    /// The newest version upstream offers, constraint or not.
    pub newest: Option<Version>,
    /// Release notes of the target (else of the latest version).
    pub release_notes: Option<String>,
    /// Why a dependency is reported but cannot be bumped, or other remarks.
    pub note: Option<String>,
    /// The blob path of the current version (blob dependencies).
    pub current_blob: Option<String>,
    /// Every usable version upstream offers, ascending.
    pub candidates: Vec<Candidate>,
    /// Vendored packages: every version their packages had in any final release of the source
    /// release, ascending (how many releases behind); empty for the other kinds.
    pub history: Vec<Version>,
    /// A custom build's base version (`2.2.0` of `2.2.0-tls1.2-patch`): behind is judged on it.
    pub custom_build_of: Option<Version>,
    /// A module requirement a `replace` overrides: reported, never bumped.
    pub pinned: Option<Pinned>,
    /// A module required under a path upstream renamed: reported, never bumped.
    pub moved: Option<Moved>,
    /// Known vulnerabilities of the current version and what the target fixes.
    pub security: vulns::Security,
}

/// Where and how a `replace` pins a module (plan.json's `pinned`, fleet.json's too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pinned {
    /// The go.mod holding the `replace`.
    pub go_mod: String,
    /// The directive's right side: `../gnatsd`, `github.com/nats-io/gnatsd v1.4.1`.
    pub replacement: String,
}

/// A module's old and new path (plan.json's `moved`, fleet.json's too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moved {
    /// The path the release requires.
    pub from: String,
    /// The path upstream moved it to.
    pub to: String,
}

impl PlannedDependency {
    /// A row of `kind` named `name` with nothing known yet, for tests to fill in what they need.
    #[cfg(test)]
    pub(crate) fn example(name: &str, kind: Kind) -> PlannedDependency {
        PlannedDependency {
            name: name.into(),
            kind,
            current: None,
            latest: None,
            target: None,
            behind: false,
            files: vec![],
            upstream: String::new(),
            constraint: None,
            newest: None,
            release_notes: None,
            note: None,
            current_blob: None,
            candidates: vec![],
            history: vec![],
            custom_build_of: None,
            pinned: None,
            moved: None,
            security: Default::default(),
        }
    }

    /// Whether the row is reported only and never bumped: pinned by a `replace`, or moved.
    pub fn held(&self) -> bool {
        self.pinned.is_some() || self.moved.is_some()
    }
}

impl Plan {
    /// The Concourse version: every dependency with a target, `{name: target}`.
    pub fn version(&self) -> BTreeMap<String, String> {
        self.dependencies.iter().filter_map(|d| Some((d.name.clone(), d.target.as_ref()?.to_string()))).collect()
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
            if dep.held() {
                return Err(Error::dependency_as(
                    crate::error::ErrorKind::Config,
                    name,
                    "is in the requested version but is reported only (pinned by replace, or moved), never bumped",
                ));
            }
            let cand = dep.candidates.iter().find(|c| c.version.as_str() == target).ok_or_else(|| {
                Error::dependency(name, format!("upstream {} does not offer version {target}", dep.upstream))
            })?;
            dep.behind = dep.current.as_ref().is_none_or(|c| &cand.version > c);
            dep.target = Some(cand.version.clone());
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
        (DependencyKind::Golang { blobs }, Offer::Go(releases)) => {
            let files: Vec<Template> = blobs.iter().map(Template::file_name).collect();
            for r in releases.iter() {
                let Some(v) = Version::parse(Scheme::Go, &r.version) else { continue };
                if (!r.stable || v.is_prerelease()) && !dep.prerelease {
                    continue;
                }
                // Every platform's file, or the platforms could not move together.
                if files.iter().any(|f| r.file(&f.render(v.as_str())).is_none()) {
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

/// The current blob of each of `dep`'s templates (one per platform for golang), in template
/// order: the highest version among the `config/blobs.yml` keys matching the template and the
/// constraint. A template no key matches is an error naming it; kinds without blobs have none.
pub fn current_blobs(dep: &Dependency, snapshot: &Snapshot) -> Result<Vec<(Version, String)>> {
    let scheme = Kind::of(&dep.kind).scheme();
    let mut out = Vec::new();
    for blob in dep.kind.blobs().unwrap_or_default() {
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
        out.push(best.ok_or_else(|| {
            Error::dependency(
                &dep.name,
                format!(
                    "no blob in config/blobs.yml matches {}{}",
                    blob.as_text(),
                    dep.constraint.as_ref().map(|c| format!(" within {c}")).unwrap_or_default()
                ),
            )
        })?);
    }
    Ok(out)
}

fn current(dep: &Dependency, snapshot: &Snapshot) -> Result<Current> {
    match &dep.kind {
        DependencyKind::GithubRelease { .. } | DependencyKind::Golang { .. } => {
            let blobs = current_blobs(dep, snapshot)?;
            // The lowest platform is the one that moves first; the first template wins a tie.
            let (v, path) = blobs.iter().min_by(|a, b| a.0.cmp(&b.0)).cloned().expect("a blob kind has a template");
            let mut files = vec!["config/blobs.yml".to_string()];
            for (_, blob) in &blobs {
                for spec in snapshot.specs_using_blob(blob) {
                    if !files.contains(&spec) {
                        files.push(spec);
                    }
                }
            }
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
        DependencyKind::VendoredPackage { .. } => unreachable!("planned by vendored::planned"),
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
        if let DependencyKind::VendoredPackage { .. } = dep.kind {
            dependencies.push(vendored::planned(dep, snapshot, &key, offers.get(&key))?);
            continue;
        }
        let cands = offers.get(&key).map(|o| candidates(dep, o)).unwrap_or_default();
        let cur = current(dep, snapshot)?;
        let inside = |c: &&Candidate| dep.constraint.as_ref().is_none_or(|k| k.matches(&c.version, dep.prerelease));
        let latest = cands.iter().rfind(inside);
        let newest = cands.last();
        let custom = cur.version.as_ref().and_then(|v| custom::base_of(dep, offers.get(&key), v));
        let reference = custom.as_ref().or(cur.version.as_ref());
        let ahead = latest.filter(|l| reference.is_none_or(|c| l.version > *c));
        let kept = custom.as_ref().filter(|_| ahead.is_some() && !dep.replace_custom_builds);
        let target = ahead.filter(|_| kept.is_none());
        let note = kept.map(|base| {
            format!("custom build of {base}: kept (custom_builds: replace lets currency replace it with upstream's)")
        });
        let note = note.or_else(|| incomplete_go_release(dep, offers.get(&key), latest.map(|c| &c.version))).or_else(
            || match (&latest, cands.is_empty()) {
                (_, true) => Some(format!("{} offers no usable version", key.describe())),
                (None, false) => Some("no upstream version inside the constraint".to_string()),
                _ => None,
            },
        );
        dependencies.push(PlannedDependency {
            name: dep.name.clone(),
            kind: Kind::of(&dep.kind),
            current: cur.version,
            latest: latest.map(|c| c.version.clone()),
            target: target.map(|c| c.version.clone()),
            behind: ahead.is_some(),
            files: cur.files,
            upstream: key.describe(),
            constraint: dep.constraint.as_ref().map(|c| c.to_string()),
            newest: newest.map(|c| c.version.clone()),
            release_notes: target.or(latest).and_then(|c| c.notes_url.clone()),
            note,
            current_blob: cur.blob,
            candidates: cands,
            history: vec![],
            custom_build_of: custom,
            pinned: None,
            moved: None,
            security: Default::default(),
        });
    }
    dependencies.extend(detected.held.iter().map(|h| held_row(source, h, offers)));
    let go_directives = directives::directives(snapshot, &go_packages(&detected.dependencies, &dependencies));
    Ok(Plan {
        repository: source.repository.to_string(),
        branch: branch.to_string(),
        commit: commit.to_string(),
        dependencies,
        go_directives,
        vulndb_warning: None,
    })
}

/// The Go each golang package provides: the current version of a golang blob row, for each package
/// built from its blobs, and of a vendored golang package row, for each package it covers.
fn go_packages(deps: &[Dependency], planned: &[PlannedDependency]) -> directives::GoPackages {
    let mut out = directives::GoPackages::new();
    for row in deps.iter().filter(|d| d.kind.is_go()).filter_map(|d| planned.iter().find(|p| p.name == d.name)) {
        let Some(current) = &row.current else { continue };
        for file in &row.files {
            let package =
                file.strip_prefix("packages/").and_then(|f| f.strip_suffix("/spec").or(f.strip_suffix("/spec.lock")));
            if let Some(package) = package {
                out.insert(package.to_string(), current.clone());
            }
        }
    }
    out
}

/// The row of a held module: its current version and why it is never bumped; for a moved module
/// the new path's newest version (upstream is the new path).
fn held_row(source: &Source, held: &HeldModule, offers: &BTreeMap<UpstreamKey, Offer>) -> PlannedDependency {
    let upstream = held.looked_up().unwrap_or(&held.module).to_string();
    let as_module = Dependency {
        name: held.name.clone(),
        constraint: None,
        prerelease: false,
        replace_custom_builds: false,
        security_only: None,
        vulndb_modules: None,
        kind: DependencyKind::GoModule { module: upstream.clone(), go_mod: None },
    };
    let key = UpstreamKey::for_dependency(source, &as_module);
    let cands = if held.looked_up().is_some() { offers.get(&key).map(|o| candidates(&as_module, o)) } else { None };
    let newest = cands.as_ref().and_then(|c| c.last());
    let mut files = Vec::new();
    for go_mod in &held.go_mods {
        files.push(go_mod.clone());
        files.push(format!("{}go.sum", go_mod.strip_suffix("go.mod").unwrap_or_default()));
    }
    let (pinned, moved, note) = match &held.hold {
        Hold::Pinned { replacement } => (
            Some(Pinned { go_mod: held.go_mods.join(", "), replacement: replacement.clone() }),
            None,
            format!(
                "pinned by replace in {}: `replace {} => {replacement}`; never bumped: the replacement decides what is built",
                held.go_mods.join(", "),
                held.module
            ),
        ),
        Hold::Moved { to } => (
            None,
            Some(Moved { from: held.module.clone(), to: to.clone() }),
            format!(
                "{} moved to {to}{}; never bumped: a new module path needs code changes (every import), so move by hand",
                held.module,
                match (&cands, newest) {
                    (_, Some(n)) => format!(" (newest {})", n.version),
                    (Some(_), None) => " (which offers no usable version)".to_string(),
                    (None, None) => String::new(),
                }
            ),
        ),
    };
    PlannedDependency {
        name: held.name.clone(),
        kind: Kind::GoModule,
        current: Some(held.version.clone()),
        latest: None,
        target: None,
        behind: false,
        files,
        upstream,
        constraint: None,
        newest: newest.map(|c| c.version.clone()),
        release_notes: newest.and_then(|c| c.notes_url.clone()),
        note: Some(note),
        current_blob: None,
        candidates: cands.unwrap_or_default(),
        history: vec![],
        custom_build_of: None,
        pinned,
        moved,
        security: Default::default(),
    }
}

/// Why a golang dependency stays behind a newer Go release inside its constraint: the newest
/// such release lacks one platform's file, and the platforms move only together.
fn incomplete_go_release(dep: &Dependency, offer: Option<&Offer>, latest: Option<&Version>) -> Option<String> {
    let (DependencyKind::Golang { blobs }, Some(Offer::Go(releases))) = (&dep.kind, offer) else { return None };
    let (v, missing) = releases
        .iter()
        .filter_map(|r| {
            let v = Version::parse(Scheme::Go, &r.version)?;
            let usable = (r.stable && !v.is_prerelease()) || dep.prerelease;
            let inside = dep.constraint.as_ref().is_none_or(|c| c.matches(&v, dep.prerelease));
            if !usable || !inside || latest.is_some_and(|l| v <= *l) {
                return None;
            }
            let missing = blobs.iter().map(|b| b.file_name().render(v.as_str())).find(|f| r.file(f).is_none())?;
            Some((v, missing))
        })
        .max_by(|a, b| a.0.cmp(&b.0))?;
    Some(format!("Go {v} is not a candidate: the Go downloads index has no {missing}, and the platforms move together"))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::release::snapshot::MemFiles;
    use crate::upstream::{github, golang, goproxy};

    pub(crate) fn snapshot(files: &[(&str, &str)]) -> Snapshot {
        Snapshot::read(&MemFiles::of(files)).unwrap()
    }

    pub(crate) fn blobs_yml(paths: &[&str]) -> String {
        paths.iter().map(|p| format!("{p}:\n  size: 1\n  object_id: x\n  sha: sha256:00\n")).collect()
    }

    pub(crate) fn source(dependencies: serde_json::Value) -> Source {
        Source::from_value(json!({"repository": "o/r", "dependencies": dependencies}), "source").unwrap()
    }

    /// An etcd release `v<version>` carrying its linux asset.
    pub(crate) fn etcd_release(version: &str, prerelease: bool) -> github::Release {
        let asset = format!("etcd-v{version}-linux-amd64.tar.gz");
        serde_json::from_value(json!({
            "tag_name": format!("v{version}"), "prerelease": prerelease,
            "html_url": format!("https://github.com/etcd-io/etcd/releases/tag/v{version}"),
            "assets": [{"id": 1, "name": asset, "url": "https://api.example/asset/1",
                        "browser_download_url": format!("https://example/{asset}"), "size": 1}]
        }))
        .unwrap()
    }

    pub(crate) fn go_release(version: &str, stable: bool) -> golang::GoRelease {
        let file = format!("go{version}.linux-amd64.tar.gz");
        serde_json::from_value(
            json!({"version": format!("go{version}"), "stable": stable, "files": [{"filename": file}]}),
        )
        .unwrap()
    }

    /// The one offer every dependency of `source` gets.
    pub(crate) fn offers(source: &Source, offer: Offer) -> BTreeMap<UpstreamKey, Offer> {
        let deps = source.dependencies.as_ref().unwrap();
        deps.iter().map(|d| (UpstreamKey::for_dependency(source, d), offer.clone())).collect()
    }

    pub(crate) fn planned(source: &Source, snapshot: &Snapshot, offers: &BTreeMap<UpstreamKey, Offer>) -> Plan {
        let detected = Detected::tracked(source.dependencies.clone().unwrap());
        plan(source, "main", "abc", snapshot, &detected, offers).unwrap()
    }

    fn text(v: &Option<Version>) -> Option<&str> {
        v.as_ref().map(Version::as_str)
    }

    const ETCD: &str = "etcd/etcd-v{version}-linux-amd64.tar.gz";

    fn etcd(constraint: Option<&str>, prerelease: bool) -> Source {
        let mut dep = json!({"name": "etcd", "kind": "github-release", "upstream": "etcd-io/etcd", "blob": ETCD});
        if let Some(c) = constraint {
            dep["constraint"] = json!(c);
        }
        if prerelease {
            dep["prerelease"] = json!(true);
        }
        source(json!([dep]))
    }

    #[test]
    fn a_blob_targets_the_highest_release_inside_its_constraint_and_reports_the_newest() {
        let source = etcd(Some("~3.3"), false);
        let snap = snapshot(&[("config/blobs.yml", &blobs_yml(&["etcd/etcd-v3.3.15-linux-amd64.tar.gz"]))]);
        let releases = ["3.3.15", "3.3.27", "3.4.34", "3.5.17"].map(|v| etcd_release(v, false));
        let p = planned(&source, &snap, &offers(&source, Offer::Github(Arc::new(releases.to_vec()))));
        let d = &p.dependencies[0];
        assert_eq!(d.kind, Kind::GithubRelease);
        assert_eq!(
            (text(&d.current), text(&d.latest), text(&d.target)),
            (Some("3.3.15"), Some("3.3.27"), Some("3.3.27"))
        );
        assert_eq!(text(&d.newest), Some("3.5.17"));
        assert!(d.behind);
        assert_eq!(d.current_blob.as_deref(), Some("etcd/etcd-v3.3.15-linux-amd64.tar.gz"));
        assert_eq!(p.version(), BTreeMap::from([("etcd".to_string(), "3.3.27".to_string())]));
    }

    #[test]
    fn a_release_without_the_asset_the_blob_is_made_from_is_no_candidate() {
        let source = etcd(None, false);
        let snap = snapshot(&[("config/blobs.yml", &blobs_yml(&["etcd/etcd-v3.3.15-linux-amd64.tar.gz"]))]);
        let mut bare = etcd_release("3.5.17", false);
        bare.assets.clear();
        let releases = vec![etcd_release("3.3.15", false), etcd_release("3.4.34", false), bare];
        let p = planned(&source, &snap, &offers(&source, Offer::Github(Arc::new(releases))));
        assert_eq!(text(&p.dependencies[0].target), Some("3.4.34"));
    }

    #[test]
    fn two_lines_of_one_upstream_are_two_dependencies_each_on_its_line() {
        let golang = |name: &str, c: &str| json!({"name": name, "kind": "golang", "constraint": c});
        let source = source(json!([golang("golang-1.22", "~1.22"), golang("golang-1.23", "~1.23")]));
        let blobs = blobs_yml(&["golang/go1.22.5.linux-amd64.tar.gz", "golang/go1.23.2.linux-amd64.tar.gz"]);
        let snap = snapshot(&[("config/blobs.yml", &blobs)]);
        let index = ["1.22.9", "1.23.4", "1.24.0"].map(|v| go_release(v, true));
        let p = planned(&source, &snap, &offers(&source, Offer::Go(Arc::new(index.to_vec()))));
        let lines: Vec<(Option<&str>, Option<&str>)> =
            p.dependencies.iter().map(|d| (text(&d.current), text(&d.target))).collect();
        assert_eq!(lines, [(Some("1.22.5"), Some("1.22.9")), (Some("1.23.2"), Some("1.23.4"))]);
        assert!(p.dependencies.iter().all(|d| text(&d.newest) == Some("1.24.0")));
    }

    /// A Go release offering the given files (`linux-amd64.tar.gz`, …) of its version.
    fn go_release_for(version: &str, suffixes: &[&str]) -> golang::GoRelease {
        let files: Vec<serde_json::Value> =
            suffixes.iter().map(|s| json!({"filename": format!("go{version}.{s}")})).collect();
        serde_json::from_value(json!({"version": format!("go{version}"), "stable": true, "files": files})).unwrap()
    }

    #[test]
    fn golang_on_every_platform_is_as_current_as_its_lowest_platform_and_moves_only_where_all_are_offered() {
        let platforms =
            ["go{version}.linux-amd64.tar.gz", "go{version}.darwin-amd64.tar.gz", "go{version}.windows-amd64.zip"];
        let source =
            source(json!([{"name": "golang-1.26", "kind": "golang", "constraint": "~1.26", "blob": platforms}]));
        let blobs = blobs_yml(&[
            "go1.26.7.linux-amd64.tar.gz",
            "go1.26.6.darwin-amd64.tar.gz",
            "go1.26.7.windows-amd64.zip",
            "go1.25.9.darwin-amd64.tar.gz",
        ]);
        let spec = |os: &str, ext: &str| format!("---\nname: golang-1.26-{os}\nfiles:\n- go1.26*.{os}-amd64.{ext}\n");
        let (linux, darwin) = (spec("linux", "tar.gz"), spec("darwin", "tar.gz"));
        let snap = snapshot(&[
            ("config/blobs.yml", &blobs),
            ("packages/golang-1.26-linux/spec", &linux),
            ("packages/golang-1.26-darwin/spec", &darwin),
        ]);
        let all = ["linux-amd64.tar.gz", "darwin-amd64.tar.gz", "windows-amd64.zip"];
        // 1.26.9 has no windows archive: not a candidate, though it is the newest.
        let index =
            vec![go_release_for("1.26.7", &all), go_release_for("1.26.8", &all), go_release_for("1.26.9", &all[..2])];
        let p = planned(&source, &snap, &offers(&source, Offer::Go(Arc::new(index))));
        let d = &p.dependencies[0];
        assert_eq!((text(&d.current), text(&d.target)), (Some("1.26.6"), Some("1.26.8")));
        assert_eq!(d.current_blob.as_deref(), Some("go1.26.6.darwin-amd64.tar.gz"));
        assert_eq!(
            d.files,
            ["config/blobs.yml", "packages/golang-1.26-linux/spec", "packages/golang-1.26-darwin/spec"]
        );
        let versions: Vec<&str> = d.candidates.iter().map(|c| c.version.as_str()).collect();
        assert_eq!(versions, ["1.26.7", "1.26.8"]);
        assert_eq!(
            d.note.as_deref(),
            Some(
                "Go 1.26.9 is not a candidate: the Go downloads index has no go1.26.9.windows-amd64.zip, and the platforms move together"
            )
        );
        let currents = current_blobs(&source.dependencies.as_ref().unwrap()[0], &snap).unwrap();
        let currents: Vec<(&str, &str)> = currents.iter().map(|(v, p)| (v.as_str(), p.as_str())).collect();
        assert_eq!(
            currents,
            [
                ("1.26.7", "go1.26.7.linux-amd64.tar.gz"),
                ("1.26.6", "go1.26.6.darwin-amd64.tar.gz"),
                ("1.26.7", "go1.26.7.windows-amd64.zip")
            ]
        );
    }

    #[test]
    fn a_platform_without_a_blob_on_the_line_is_an_error_naming_its_template() {
        let platforms = ["go{version}.linux-amd64.tar.gz", "go{version}.windows-amd64.zip"];
        let source = source(json!([{"name": "golang", "kind": "golang", "constraint": "~1.26", "blob": platforms}]));
        let snap = snapshot(&[(
            "config/blobs.yml",
            &blobs_yml(&["go1.26.7.linux-amd64.tar.gz", "go1.25.1.windows-amd64.zip"]),
        )]);
        let detected = Detected::tracked(source.dependencies.clone().unwrap());
        let e = plan(&source, "main", "abc", &snap, &detected, &BTreeMap::new()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "dependency golang: no blob in config/blobs.yml matches go{version}.windows-amd64.zip within ~1.26"
        );
    }

    #[test]
    fn prereleases_count_only_when_the_dependency_asks_for_them() {
        let snap = snapshot(&[("config/blobs.yml", &blobs_yml(&["etcd/etcd-v3.5.17-linux-amd64.tar.gz"]))]);
        // Flagged by upstream, and spelled as one: both are prereleases.
        let releases =
            vec![etcd_release("3.5.17", false), etcd_release("3.6.0", true), etcd_release("3.6.1-rc.0", false)];
        let stable = etcd(None, false);
        let p = planned(&stable, &snap, &offers(&stable, Offer::Github(Arc::new(releases.clone()))));
        assert_eq!((text(&p.dependencies[0].target), text(&p.dependencies[0].newest)), (None, Some("3.5.17")));
        assert!(!p.dependencies[0].behind);
        let pre = etcd(None, true);
        let p = planned(&pre, &snap, &offers(&pre, Offer::Github(Arc::new(releases))));
        assert_eq!(text(&p.dependencies[0].target), Some("3.6.1-rc.0"));
    }

    #[test]
    fn a_module_is_as_current_as_the_lowest_go_mod_requirement_and_replaced_ones_do_not_count() {
        let source = source(json!([{"name": "nats.go", "kind": "go-module", "module": "github.com/nats-io/nats.go"}]));
        let go_mod = |v: &str| format!("module example.com/a\n\ngo 1.22\n\nrequire github.com/nats-io/nats.go {v}\n");
        let replaced = format!("{}replace github.com/nats-io/nats.go => ../nats.go\n", go_mod("v1.20.0"));
        let snap = snapshot(&[
            ("src/a/go.mod", &go_mod("v1.38.0")),
            ("src/b/go.mod", &go_mod("v1.37.0")),
            ("src/c/go.mod", &replaced),
        ]);
        let list = goproxy::ModuleVersions { versions: ["v1.37.0", "v1.38.0", "v1.39.1"].map(String::from).to_vec() };
        let p = planned(&source, &snap, &offers(&source, Offer::Module(Arc::new(list))));
        let d = &p.dependencies[0];
        assert_eq!((text(&d.current), text(&d.target)), (Some("1.37.0"), Some("1.39.1")));
        assert_eq!(d.files, ["src/a/go.mod", "src/a/go.sum", "src/b/go.mod", "src/b/go.sum"]);
        assert_eq!(d.release_notes.as_deref(), Some("https://github.com/nats-io/nats.go/releases/tag/v1.39.1"));
    }

    #[test]
    fn a_pinned_version_becomes_the_target_when_upstream_offers_it() {
        let source = etcd(None, false);
        let snap = snapshot(&[("config/blobs.yml", &blobs_yml(&["etcd/etcd-v3.3.15-linux-amd64.tar.gz"]))]);
        let releases = ["3.3.15", "3.3.27", "3.5.17"].map(|v| etcd_release(v, false));
        let mut p = planned(&source, &snap, &offers(&source, Offer::Github(Arc::new(releases.to_vec()))));
        p.pin(&BTreeMap::from([("etcd".to_string(), "3.3.27".to_string())])).unwrap();
        assert_eq!(text(&p.dependencies[0].target), Some("3.3.27"));
        assert!(p.dependencies[0].behind);
        p.pin(&BTreeMap::from([("etcd".to_string(), "3.3.15".to_string())])).unwrap();
        assert!(!p.dependencies[0].behind, "pinned to what the release has");
        let missing = p.pin(&BTreeMap::from([("etcd".to_string(), "3.4.0".to_string())])).unwrap_err();
        assert_eq!(missing.to_string(), "dependency etcd: upstream etcd-io/etcd does not offer version 3.4.0");
        let unknown = p.pin(&BTreeMap::from([("nats".to_string(), "1.0.0".to_string())])).unwrap_err();
        assert_eq!(unknown.to_string(), "dependency nats: is in the requested version but not tracked");
    }

    #[test]
    fn no_version_inside_the_constraint_is_a_note_and_no_target() {
        let source = etcd(Some("~3.3"), false);
        let snap = snapshot(&[("config/blobs.yml", &blobs_yml(&["etcd/etcd-v3.3.15-linux-amd64.tar.gz"]))]);
        let releases = ["3.4.34", "3.5.17"].map(|v| etcd_release(v, false));
        let p = planned(&source, &snap, &offers(&source, Offer::Github(Arc::new(releases.to_vec()))));
        assert_eq!(p.dependencies[0].note.as_deref(), Some("no upstream version inside the constraint"));
        assert_eq!(p.dependencies[0].target, None);
        let none = planned(&source, &snap, &BTreeMap::new());
        assert_eq!(none.dependencies[0].note.as_deref(), Some("etcd-io/etcd offers no usable version"));
    }

    #[test]
    fn a_custom_build_is_judged_on_its_base_version_and_kept_unless_the_entry_says_replace() {
        let patched = "etcd/etcd-v2.2.0-tls1.2-patch-linux-amd64.tar.gz";
        let snap = snapshot(&[("config/blobs.yml", &blobs_yml(&[patched]))]);
        let releases = ["2.2.0", "2.3.8", "3.5.17"].map(|v| etcd_release(v, false));
        let offer = Offer::Github(Arc::new(releases.to_vec()));
        let kept = etcd(None, false);
        let p = planned(&kept, &snap, &offers(&kept, offer.clone()));
        let d = &p.dependencies[0];
        assert_eq!((text(&d.current), text(&d.custom_build_of)), (Some("2.2.0-tls1.2-patch"), Some("2.2.0")));
        assert!(d.behind, "behind on its base version");
        assert_eq!(d.target, None, "never bumped by default");
        assert!(d.note.as_deref().unwrap().starts_with("custom build of 2.2.0: kept"), "{:?}", d.note);
        assert!(p.version().is_empty(), "check does not trigger on it");
        let mut replace = etcd(None, false);
        replace.dependencies.as_mut().unwrap()[0].replace_custom_builds = true;
        let p = planned(&replace, &snap, &offers(&replace, offer));
        assert_eq!(text(&p.dependencies[0].target), Some("3.5.17"));
    }

    #[test]
    fn an_upstream_prerelease_or_a_suffix_on_an_unreleased_base_is_no_custom_build() {
        let source = etcd(None, true);
        let releases = ["3.5.17", "3.6.0-rc.1"].map(|v| etcd_release(v, false));
        let offer = Offer::Github(Arc::new(releases.to_vec()));
        for (blob, why) in [
            ("etcd/etcd-v3.6.0-rc.1-linux-amd64.tar.gz", "upstream released it"),
            ("etcd/etcd-v3.4.0-custom-linux-amd64.tar.gz", "upstream never released 3.4.0"),
        ] {
            let snap = snapshot(&[("config/blobs.yml", &blobs_yml(&[blob]))]);
            let p = planned(&source, &snap, &offers(&source, offer.clone()));
            assert_eq!(p.dependencies[0].custom_build_of, None, "{why}");
        }
    }

    #[test]
    fn held_modules_are_rows_with_their_current_version_never_a_target_and_a_moved_one_shows_the_new_newest() {
        let go_mod = "module code.cloudfoundry.org\n\ngo 1.22.0\n\n\
            replace github.com/nats-io/gnatsd => github.com/nats-io/gnatsd v1.4.1\n\n\
            require (\n\tgithub.com/nats-io/gnatsd v1.4.1\n\tgithub.com/nats-io/nats.go v1.37.0\n)\n\n\
            require github.com/nats-io/go-nats v1.7.2 // indirect\n";
        let snap = snapshot(&[("src/code.cloudfoundry.org/go.mod", go_mod)]);
        let source = Source::from_value(json!({"repository": "o/r"}), "source").unwrap();
        let detected = crate::detect::detect(&snap, &source.golang_release);
        let list =
            goproxy::ModuleVersions { versions: ["v1.37.0", "v1.39.1", "v1.40.0-RC.1"].map(String::from).to_vec() };
        let key = UpstreamKey::Module { proxy: source.go_proxy.clone(), path: "github.com/nats-io/nats.go".into() };
        let offers = BTreeMap::from([(key, Offer::Module(Arc::new(list)))]);
        let mut p = plan(&source, "main", "abc", &snap, &detected, &offers).unwrap();
        let names: Vec<&str> = p.dependencies.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["nats.go", "gnatsd", "go-nats"]);
        assert_eq!(p.version(), BTreeMap::from([("nats.go".to_string(), "1.39.1".to_string())]), "held rows never");

        let gnatsd = p.get("gnatsd").unwrap();
        assert_eq!((text(&gnatsd.current), text(&gnatsd.latest), text(&gnatsd.target)), (Some("1.4.1"), None, None));
        assert!(!gnatsd.behind);
        assert_eq!(gnatsd.kind, Kind::GoModule);
        assert_eq!(gnatsd.upstream, "github.com/nats-io/gnatsd");
        assert_eq!(
            gnatsd.pinned,
            Some(Pinned {
                go_mod: "src/code.cloudfoundry.org/go.mod".into(),
                replacement: "github.com/nats-io/gnatsd v1.4.1".into()
            })
        );
        assert_eq!(
            gnatsd.note.as_deref(),
            Some(
                "pinned by replace in src/code.cloudfoundry.org/go.mod: `replace github.com/nats-io/gnatsd => github.com/nats-io/gnatsd v1.4.1`; never bumped: the replacement decides what is built"
            )
        );

        let go_nats = p.get("go-nats").unwrap();
        assert_eq!((text(&go_nats.current), text(&go_nats.target)), (Some("1.7.2"), None));
        assert_eq!((text(&go_nats.latest), text(&go_nats.newest)), (None, Some("1.39.1")));
        assert!(!go_nats.behind);
        assert_eq!(go_nats.upstream, "github.com/nats-io/nats.go");
        assert_eq!(
            go_nats.moved,
            Some(Moved { from: "github.com/nats-io/go-nats".into(), to: "github.com/nats-io/nats.go".into() })
        );
        assert_eq!(
            go_nats.note.as_deref(),
            Some(
                "github.com/nats-io/go-nats moved to github.com/nats-io/nats.go (newest 1.39.1); never bumped: a new module path needs code changes (every import), so move by hand"
            )
        );
        assert_eq!(go_nats.release_notes.as_deref(), Some("https://github.com/nats-io/nats.go/releases/tag/v1.39.1"));

        // `in` cannot be asked to bump them either.
        let e = p.pin(&BTreeMap::from([("go-nats".to_string(), "1.39.1".to_string())])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "dependency go-nats: is in the requested version but is reported only (pinned by replace, or moved), never bumped"
        );
    }
}
