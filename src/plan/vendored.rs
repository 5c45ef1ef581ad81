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
        let full = crate::release::vendor::local_name(prefix, template);
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
    let notes_url = release_page(&source.url, repository, &newest.manifest.version);
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

/// The release page of final release `version`: on the host of an `https://…/o/r.git` URL
/// (GitHub or GitHub Enterprise: `https://github.com/o/r/releases/tag/v0.204.0`), else — a mirror,
/// a `file://` or ssh URL — on github.com, by the source release's `owner/repo`.
pub fn release_page(git_url: &str, repository: &str, version: &str) -> Option<String> {
    let base = match git_url.strip_prefix("https://").and_then(|u| u.strip_suffix(".git")) {
        Some(base) => base.to_string(),
        None => format!("github.com/{repository}"),
    };
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
        custom_build_of: None,
        pinned: None,
        moved: None,
        security: Default::default(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::final_release::{ManifestPackage, ReleaseManifest};
    use crate::release::snapshot::MemFiles;

    fn fp(seed: u8) -> String {
        format!("{seed:02x}").repeat(32)
    }

    /// A final release: `(package, fingerprint seed, version file)`.
    fn release(version: &str, packages: &[(&str, u8, &str)]) -> FinalRelease {
        FinalRelease {
            manifest: ReleaseManifest {
                name: "golang".into(),
                version: version.into(),
                commit_hash: None,
                packages: packages
                    .iter()
                    .map(|(name, seed, _)| ManifestPackage {
                        name: name.to_string(),
                        fingerprint: fp(*seed),
                        sha1: format!("sha256:{}", fp(*seed)),
                        dependencies: vec![],
                    })
                    .collect(),
            },
            package_versions: packages.iter().map(|(n, _, v)| (n.to_string(), v.to_string())).collect(),
        }
    }

    fn golang_release() -> SourceRelease {
        SourceRelease {
            url: "https://github.com/cloudfoundry/bosh-package-golang-release.git".into(),
            commit: "c".repeat(40),
            name: "golang".into(),
            final_yml: String::new(),
            releases: vec![
                release("0.1.0", &[("golang-1.23-linux", 1, "1.23.2"), ("golang-1.23-windows", 2, "1.23.2")]),
                release(
                    "0.2.0",
                    &[
                        ("golang-1.23-linux", 3, "1.23.3"),
                        ("golang-1.23-windows", 4, "1.23.3"),
                        ("golang-1-linux", 3, "1.23.3"),
                    ],
                ),
                release(
                    "0.3.0",
                    &[
                        ("golang-1.24-linux", 5, "1.24.1"),
                        ("golang-1.24-windows", 6, "1.24.1"),
                        ("golang-1.25-linux", 7, "1.25.0"),
                        ("golang-1-linux", 7, "1.25.0"),
                    ],
                ),
            ],
            indices: Default::default(),
        }
    }

    fn snapshot(locks: &[(&str, u8)]) -> Snapshot {
        let files: Vec<(String, String)> = locks
            .iter()
            .map(|(name, seed)| {
                (format!("packages/{name}/spec.lock"), format!("name: {name}\nfingerprint: {}\n", fp(*seed)))
            })
            .collect();
        let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
        Snapshot::read(&MemFiles::of(&refs)).unwrap()
    }

    fn templates(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_fingerprint_gives_the_go_version_of_the_newest_release_listing_it_for_that_name() {
        let snap = snapshot(&[("golang-1.23-linux", 3), ("golang-1.23-windows", 2), ("golang-1-linux", 3)]);
        let cov =
            covered("golang", &templates(&["golang-{line}-linux", "golang-{line}-windows"]), None, &snap).unwrap();
        assert_eq!(
            cov.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["golang-1.23-linux", "golang-1.23-windows"]
        );
        let (current, note) = current(&cov, &golang_release());
        assert_eq!(current.unwrap().as_str(), "1.23.2", "the lowest of the platforms");
        assert_eq!(note.unwrap(), "packages disagree: golang-1.23-linux 1.23.3, golang-1.23-windows 1.23.2");
        let newest_line = covered("golang", &templates(&["golang-1-linux"]), None, &snap).unwrap();
        assert_eq!(current_of(&newest_line), Some("1.23.3".into()));
    }

    fn current_of(cov: &[Covered]) -> Option<String> {
        current(cov, &golang_release()).0.map(|v| v.to_string())
    }

    #[test]
    fn an_unknown_fingerprint_is_no_version_and_is_noted_with_twelve_hex_digits() {
        let snap = snapshot(&[("golang-1.23-linux", 9)]);
        let cov = covered("golang", &templates(&["golang-{line}-linux"]), None, &snap).unwrap();
        let (current, note) = current(&cov, &golang_release());
        assert_eq!(current, None);
        assert_eq!(note.unwrap(), "golang-1.23-linux has fingerprint 090909090909, which no final release lists");
    }

    #[test]
    fn a_prefix_is_left_out_when_the_source_release_is_asked() {
        let snap = snapshot(&[("routing-golang-1.23-linux", 1), ("golang-1.23-linux", 3)]);
        let cov = covered("routing-golang", &templates(&["golang-{line}-linux"]), Some("routing"), &snap).unwrap();
        assert_eq!(
            (cov[0].name.as_str(), cov[0].source_name.as_str()),
            ("routing-golang-1.23-linux", "golang-1.23-linux")
        );
        assert_eq!(current_of(&cov), Some("1.23.2".into()));
        let e = covered("x", &templates(&["golang-{line}-darwin"]), None, &snap).unwrap_err().to_string();
        assert_eq!(
            e,
            "dependency x: no vendored package matches golang-{line}-darwin (no packages/golang-{line}-darwin/spec.lock)"
        );
    }

    #[test]
    fn candidates_are_the_versions_every_template_offers_in_the_newest_release() {
        let source = golang_release();
        let both = candidates(&templates(&["golang-{line}-linux", "golang-{line}-windows"]), &source, "o/r").unwrap();
        assert_eq!(both.iter().map(|c| c.version.as_str()).collect::<Vec<_>>(), ["1.24.1"], "1.25 has no windows");
        let linux = candidates(&templates(&["golang-{line}-linux"]), &source, "o/r").unwrap();
        assert_eq!(linux.iter().map(|c| c.version.as_str()).collect::<Vec<_>>(), ["1.24.1", "1.25.0"]);
        assert_eq!(
            linux[0].notes_url.as_deref(),
            Some("https://github.com/cloudfoundry/bosh-package-golang-release/releases/tag/v0.3.0")
        );
        let gone = candidates(&templates(&["golang-1.23-linux"]), &source, "o/r").unwrap_err();
        assert!(
            gone.starts_with("golang-1.23-linux is not in final release 0.3.0 of o/r (it offers golang-1.24-linux,"),
            "{gone}"
        );
    }

    #[test]
    fn history_lists_every_version_a_template_ever_had() {
        let h: Vec<String> = history("golang-{line}-linux", &golang_release()).iter().map(|v| v.to_string()).collect();
        assert_eq!(h, ["1.23.2", "1.23.3", "1.24.1", "1.25.0"]);
    }
}
