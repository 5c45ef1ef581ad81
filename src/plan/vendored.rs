//! Vendored packages in the plan (contract §3 `vendored-package`): which packages of this release
//! a dependency covers, the version each holds (the newest final release of the source release
//! listing its fingerprint), and the versions the source's newest final release offers.
//!
//! Rules:
//! - a `package` entry (`golang-{line}-linux`, `golang-1-linux`, with the `prefix` in front)
//!   covers the package of this release with that name; with `{line}` (a numbered line `1.N`,
//!   never the bare `1`), the highest line present;
//! - a package's version is looked up by its source name (the name without the prefix: the
//!   fingerprint survives `--prefix`, and `golang-1-linux` shares fingerprints with a numbered
//!   line, so the name matters); a fingerprint no final release lists is unknown and counts as
//!   behind; the dependency's current version is the lowest of its packages';
//! - a candidate is a version every `package` entry offers in the newest final release (with
//!   `{line}`, each line it offers is one candidate).

use crate::error::{Error, Result};
use crate::plan::Candidate;
use crate::release::final_release::{FinalRelease, matching, release_with};
use crate::release::snapshot::Snapshot;
use crate::upstream::release::SourceRelease;
use crate::version::{Scheme, Version};

/// One package of this release a vendored-package dependency covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Covered {
    /// The `package` entry it is covered by (`golang-{line}-linux`).
    pub template: String,
    /// Its name here (`routing-golang-1.23-linux`).
    pub name: String,
    /// Its name in the source release (`golang-1.23-linux`).
    pub source_name: String,
    pub fingerprint: String,
}

/// `name` with the prefix in front, as `bosh vendor-package --prefix` names it.
pub fn prefixed(prefix: Option<&str>, name: &str) -> String {
    match prefix {
        Some(p) => format!("{p}-{name}"),
        None => name.to_string(),
    }
}

/// The numbered line (`1.23`) `name` holds where `template` has `{line}`.
fn line_of<'n>(template: &str, name: &'n str) -> Option<&'n str> {
    let (head, tail) = template.split_once("{line}")?;
    let line = name.strip_prefix(head)?.strip_suffix(tail)?;
    let minor = line.strip_prefix("1.")?;
    (!minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit())).then_some(line)
}

/// The packages of `snapshot` that `templates` (with `prefix`) cover, one per template.
pub fn covered(dep: &str, templates: &[String], prefix: Option<&str>, snapshot: &Snapshot) -> Result<Vec<Covered>> {
    let mut out = Vec::new();
    for template in templates {
        let full = prefixed(prefix, template);
        let found = if full.contains("{line}") {
            snapshot
                .spec_locks
                .iter()
                .filter_map(|(name, lock)| {
                    let line = line_of(&full, name)?;
                    Some((Version::parse(Scheme::Go, line)?, name, lock))
                })
                .max_by(|a, b| a.0.cmp(&b.0))
                .map(|(_, name, lock)| (name, lock))
        } else {
            snapshot.spec_locks.get_key_value(&full)
        };
        let Some((name, lock)) = found else {
            return Err(Error::dependency(
                dep,
                format!("no vendored package matches {full} (no packages/{full}/spec.lock)"),
            ));
        };
        let source_name = match prefix {
            Some(p) => name.strip_prefix(&format!("{p}-")).unwrap_or(name).to_string(),
            None => name.clone(),
        };
        out.push(Covered {
            template: template.clone(),
            name: name.clone(),
            source_name,
            fingerprint: lock.fingerprint.clone(),
        });
    }
    Ok(out)
}

/// What this release holds of a vendored dependency: the lowest version of its packages
/// (`None` when a fingerprint is unknown), and a note for unknown fingerprints and for packages
/// that disagree.
pub fn current(covered: &[Covered], source: &SourceRelease) -> (Option<Version>, Option<String>) {
    let mut lowest: Option<Version> = None;
    let mut unknown = Vec::new();
    let mut seen = Vec::new();
    for c in covered {
        let version = release_with(&source.releases, &c.source_name, &c.fingerprint)
            .and_then(|r| Version::parse(Scheme::Go, r.package_version(&c.source_name)));
        match version {
            Some(v) => {
                seen.push(format!("{} {v}", c.name));
                if lowest.as_ref().is_none_or(|l| v < *l) {
                    lowest = Some(v);
                }
            }
            None => {
                let short = c.fingerprint.get(..12).unwrap_or(&c.fingerprint);
                unknown.push(format!("{} has fingerprint {short}, which no final release lists", c.name));
                seen.push(format!("{} unknown ({short})", c.name));
            }
        }
    }
    let mut notes = unknown;
    let distinct: std::collections::BTreeSet<&str> =
        seen.iter().map(|s| s.rsplit_once(' ').map(|x| x.1).unwrap_or(s)).collect();
    if distinct.len() > 1 {
        notes.push(format!("packages disagree: {}", seen.join(", ")));
    }
    let current = if notes.iter().any(|n| n.contains("no final release lists")) { None } else { lowest };
    (current, (!notes.is_empty()).then(|| notes.join("; ")))
}

/// The versions the newest final release offers for every template at once, ascending, or why
/// it offers none (a package it lacks, naming what it has).
pub fn candidates(templates: &[String], source: &SourceRelease, repository: &str) -> Result<Vec<Candidate>, String> {
    let Some(newest) = source.newest() else { return Err(format!("{repository} has no final release")) };
    let mut per_template = Vec::new();
    for t in templates {
        let offered: Vec<(Option<String>, Version)> = matching(&newest.manifest, t)
            .into_iter()
            .filter_map(|(line, p)| {
                Some((line.map(String::from), Version::parse(Scheme::Go, newest.package_version(&p.name))?))
            })
            .collect();
        if offered.is_empty() {
            return Err(format!(
                "{t} is not in final release {} of {repository} (it offers {})",
                newest.manifest.version,
                offered_names(newest)
            ));
        }
        per_template.push(offered);
    }
    let (first, rest) = per_template.split_first().expect("templates are never empty");
    let notes_url = release_page(&source.url, &newest.manifest.version);
    let mut out: Vec<Candidate> = first
        .iter()
        .filter(|(_, v)| rest.iter().all(|offers| offers.iter().any(|(_, w)| w == v)))
        .map(|(_, v)| Candidate { version: v.clone(), notes_url: notes_url.clone(), published_at: None })
        .collect();
    out.sort_by(|a, b| a.version.cmp(&b.version));
    out.dedup_by(|a, b| a.version == b.version);
    Ok(out)
}

/// The package names of a final release, for "it offers …".
fn offered_names(release: &FinalRelease) -> String {
    let names: Vec<&str> = release.manifest.packages.iter().map(|p| p.name.as_str()).collect();
    names.join(", ")
}

/// The release page of final release `version` when the source release is on a GitHub host
/// (`https://github.com/o/r.git` → `https://github.com/o/r/releases/tag/v0.204.0`).
pub fn release_page(git_url: &str, version: &str) -> Option<String> {
    let base = git_url.strip_prefix("https://")?.strip_suffix(".git")?;
    Some(format!("https://{base}/releases/tag/v{version}"))
}

/// The plan entry of a vendored-package dependency, against its source release's offer.
pub(super) fn planned(
    dep: &crate::source::Dependency,
    snapshot: &Snapshot,
    key: &crate::upstream::UpstreamKey,
    offer: Option<&crate::upstream::Offer>,
) -> Result<super::PlannedDependency> {
    let crate::source::DependencyKind::VendoredPackage { packages, prefix, .. } = &dep.kind else {
        unreachable!("called for vendored packages only")
    };
    let covered = covered(&dep.name, packages, prefix.as_deref(), snapshot)?;
    let Some(crate::upstream::Offer::Release(source)) = offer else {
        return Err(Error::dependency(&dep.name, format!("no answer from source release {}", key.describe())));
    };
    let cands = candidates(packages, source, &key.describe()).map_err(|why| Error::dependency(&dep.name, why))?;
    let (current, mut note) = current(&covered, source);
    let inside = |c: &&Candidate| dep.constraint.as_ref().is_none_or(|k| k.matches(&c.version, dep.prerelease));
    let latest = cands.iter().rfind(inside);
    let target = latest.filter(|l| current.as_ref().is_none_or(|c| l.version > *c));
    if latest.is_none() {
        let why =
            if cands.is_empty() { "no version offered by every package" } else { "no version inside the constraint" };
        note = Some(note.map(|n| format!("{n}; {why}")).unwrap_or_else(|| why.to_string()));
    }
    let files = covered
        .iter()
        .flat_map(|c| {
            [format!("packages/{}/spec.lock", c.name), format!(".final_builds/packages/{}/index.yml", c.name)]
        })
        .collect();
    Ok(super::PlannedDependency {
        name: dep.name.clone(),
        kind: super::Kind::VendoredPackage,
        current,
        latest: latest.map(|c| c.version.clone()),
        target: target.map(|c| c.version.clone()),
        behind: target.is_some(),
        files,
        upstream: key.describe(),
        constraint: dep.constraint.as_ref().map(|c| c.to_string()),
        newest: cands.last().map(|c| c.version.clone()),
        release_notes: target.or(latest).and_then(|c| c.notes_url.clone()),
        note,
        current_blob: None,
        candidates: cands,
        history: history(packages.first().expect("never empty"), source),
    })
}

/// Every version the packages matching `template` had in any final release, ascending.
fn history(template: &str, source: &SourceRelease) -> Vec<Version> {
    let mut out: Vec<Version> = source
        .releases
        .iter()
        .flat_map(|r| {
            matching(&r.manifest, template)
                .into_iter()
                .filter_map(|(_, p)| Version::parse(Scheme::Go, r.package_version(&p.name)))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}
