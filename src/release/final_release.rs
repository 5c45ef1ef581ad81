//! A release's final releases, as a source release for vendored packages is read:
//! `releases/<name>/index.yml` (which versions exist) and `releases/<name>/<name>-<version>.yml`
//! (each package's fingerprint, digest and dependencies in that version).
//!
//! The index's keys are random ids in byte order, not versions in order: the newest final
//! release is the highest version by semver ([`ReleaseIndex::newest`]), as bosh-cli finds it.

use yaml_serde::{Mapping, Value};

use crate::error::{Error, ParseError, Result};
use crate::release::config::FinalConfig;
use crate::release::snapshot::RepoFiles;
use crate::version::{Scheme, Version};
use crate::yaml::check_yaml_nesting;

/// `releases/<name>/index.yml`: the versions of the final releases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseIndex {
    pub versions: Vec<String>,
}

impl ReleaseIndex {
    pub fn parse(text: &str) -> Result<ReleaseIndex, ParseError> {
        let root = mapping(text)?;
        let mut versions = Vec::new();
        match root.get("builds") {
            None | Some(Value::Null) => {}
            Some(Value::Mapping(builds)) => {
                for (key, entry) in builds {
                    let version = match entry {
                        Value::Mapping(m) => m.get("version").and_then(text_of),
                        _ => None,
                    };
                    let key = text_of(key).unwrap_or_default();
                    versions.push(version.ok_or_else(|| ParseError::new(format!("builds.{key}: version is missing")))?);
                }
            }
            Some(_) => return Err(ParseError::new("builds: expected a map")),
        }
        Ok(ReleaseIndex { versions })
    }

    /// The highest version by semver (versions that do not parse are passed over).
    pub fn newest(&self) -> Option<&str> {
        self.versions
            .iter()
            .filter_map(|v| Version::parse(Scheme::Semver, v).map(|parsed| (parsed, v)))
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, v)| v.as_str())
    }
}

/// One package of a final release manifest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ManifestPackage {
    pub name: String,
    pub fingerprint: String,
    /// The digest string of the package tarball (`sha256:<hex>`, or bare sha1 hex).
    pub sha1: String,
    pub dependencies: Vec<String>,
}

/// `releases/<name>/<name>-<version>.yml`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReleaseManifest {
    pub name: String,
    pub version: String,
    pub commit_hash: Option<String>,
    pub packages: Vec<ManifestPackage>,
}

impl ReleaseManifest {
    pub fn parse(text: &str) -> Result<ReleaseManifest, ParseError> {
        let root = mapping(text)?;
        let required =
            |key: &str| root.get(key).and_then(text_of).ok_or_else(|| ParseError::new(format!("{key} is missing")));
        let (name, version) = (required("name")?, required("version")?);
        let packages = match root.get("packages") {
            None | Some(Value::Null) => vec![],
            Some(Value::Sequence(items)) => {
                items.iter().enumerate().map(|(i, p)| package(i, p)).collect::<Result<_, _>>()?
            }
            Some(_) => return Err(ParseError::new("packages: expected a list")),
        };
        Ok(ReleaseManifest { name, version, commit_hash: commit_hash(&root, text), packages })
    }

    pub fn package(&self, name: &str) -> Option<&ManifestPackage> {
        self.packages.iter().find(|p| p.name == name)
    }
}

/// `commit_hash` as written. YAML reads an unquoted short hash of digits (`0012345`) or of digits
/// around one `e` (`78692e0`) as a number, whose text is no longer the hash: then the top-level
/// line itself is read.
fn commit_hash(root: &Mapping, text: &str) -> Option<String> {
    match root.get("commit_hash")? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(_) => text
            .lines()
            .find_map(|line| line.strip_prefix("commit_hash:"))
            .map(|value| value.split(" #").next().unwrap_or_default().trim().to_string())
            .filter(|value| !value.is_empty()),
        _ => None,
    }
}

fn package(i: usize, value: &Value) -> Result<ManifestPackage, ParseError> {
    let bad = |m: &str| ParseError::new(format!("packages[{i}]: {m}"));
    let Value::Mapping(m) = value else { return Err(bad("expected a map")) };
    let field = |key: &str| m.get(key).and_then(text_of).ok_or_else(|| bad(&format!("{key} is missing")));
    let dependencies = match m.get("dependencies") {
        None | Some(Value::Null) => vec![],
        Some(Value::Sequence(d)) => {
            d.iter().map(|v| text_of(v).ok_or_else(|| bad("dependencies: not a name"))).collect::<Result<_, _>>()?
        }
        Some(_) => return Err(bad("dependencies: expected a list")),
    };
    Ok(ManifestPackage { name: field("name")?, fingerprint: field("fingerprint")?, sha1: field("sha1")?, dependencies })
}

fn mapping(text: &str) -> Result<Mapping, ParseError> {
    check_yaml_nesting(text)?;
    match yaml_serde::from_str(text).map_err(|e| ParseError::new(format!("not valid YAML: {e}")))? {
        Value::Mapping(m) => Ok(m),
        _ => Err(ParseError::new("expected a map at the top level")),
    }
}

/// A scalar as text: a string, or a number as YAML read it (`version: 2` in old indexes).
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// One final release of a source release, as the vendored-package kind reads it: its manifest,
/// and the `packages/<name>/version` files at its commit (golang-release keeps the Go version
/// there).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FinalRelease {
    pub manifest: ReleaseManifest,
    /// Package name → the text of its `version` file at the release's commit (trimmed).
    pub package_versions: std::collections::BTreeMap<String, String>,
}

impl FinalRelease {
    /// The version of `package` in this release: its `version` file's text where there is one
    /// (`1.23.2`), else the release's own version (`0.204.0`).
    pub fn package_version(&self, package: &str) -> &str {
        self.package_versions.get(package).map(String::as_str).unwrap_or(&self.manifest.version)
    }
}

/// What [`read_final_releases`] asks for the files of a commit: `Ok(None)` when the repository
/// does not hold a commit with that (abbreviated) hash.
pub type FilesAt<'a> = dyn Fn(&str) -> Result<Option<Box<dyn RepoFiles + 'a>>> + 'a;

/// Every final release of the source release whose default branch is `head`, oldest first, with
/// the `version` file of every package of each release's manifest, read at the commit the release
/// was made from (its `commit_hash`, through `at`; a release whose commit is not there has no
/// version files).
pub fn read_final_releases(head: &dyn RepoFiles, at: &FilesAt<'_>) -> Result<Vec<FinalRelease>> {
    let name = release_name(head)?;
    let index_path = format!("releases/{name}/index.yml");
    let index = match head.read(&index_path)? {
        Some(bytes) => ReleaseIndex::parse(&text(&index_path, bytes)?).map_err(|e| e.in_file(&index_path))?,
        None => ReleaseIndex::default(),
    };
    if index.versions.is_empty() {
        return Err(Error::Parse { file: index_path, message: "lists no final release".into() });
    }
    let mut releases = Vec::new();
    for version in &index.versions {
        let path = format!("releases/{name}/{name}-{version}.yml");
        let bytes =
            head.read(&path)?.ok_or_else(|| Error::Parse { file: path.clone(), message: "is missing".into() })?;
        let manifest = ReleaseManifest::parse(&text(&path, bytes)?).map_err(|e| e.in_file(&path))?;
        let files = match &manifest.commit_hash {
            Some(hash) => at(hash)?,
            None => None,
        };
        let mut package_versions = std::collections::BTreeMap::new();
        for package in manifest.packages.iter().filter(|p| is_plain_name(&p.name)) {
            let file = format!("packages/{}/version", package.name);
            if let Some(bytes) = files.as_ref().map(|f| f.read(&file)).transpose()?.flatten() {
                package_versions.insert(package.name.clone(), text(&file, bytes)?.trim().to_string());
            }
        }
        releases.push(FinalRelease { manifest, package_versions });
    }
    releases.sort_by_key(|r| Version::parse(Scheme::Semver, &r.manifest.version));
    Ok(releases)
}

/// A package name that is one path segment (`golang-1.23-linux`): what a manifest names may only
/// be looked up under `packages/` and `.final_builds/packages/` when it is one.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// The release's name: `config/final.yml`'s `name` (or `final_name`).
pub fn release_name(head: &dyn RepoFiles) -> Result<String> {
    const FINAL_YML: &str = "config/final.yml";
    let bytes = head
        .read(FINAL_YML)?
        .ok_or_else(|| Error::Parse { file: FINAL_YML.into(), message: "is missing: not a BOSH release".into() })?;
    let config = FinalConfig::parse(&text(FINAL_YML, bytes)?).map_err(|e| e.in_file(FINAL_YML))?;
    let name =
        config.release_name().ok_or_else(|| Error::Parse { file: FINAL_YML.into(), message: "has no name".into() })?;
    if name.contains('/') || name.contains("..") {
        return Err(Error::Parse { file: FINAL_YML.into(), message: format!("name {name:?} is not a release name") });
    }
    Ok(name.to_string())
}

fn text(path: &str, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| Error::Parse { file: path.into(), message: "is not UTF-8 text".into() })
}

/// The newest final release (by semver) whose manifest lists `package` with `fingerprint`: the
/// current version of a vendored package (its `spec.lock` holds only the fingerprint, which
/// `--prefix` leaves unchanged, so `package` is the source release's own name).
pub fn release_with<'a>(releases: &'a [FinalRelease], package: &str, fingerprint: &str) -> Option<&'a FinalRelease> {
    releases
        .iter()
        .filter(|r| r.manifest.package(package).is_some_and(|p| p.fingerprint == fingerprint))
        .filter_map(|r| Version::parse(Scheme::Semver, &r.manifest.version).map(|v| (v, r)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, r)| r)
}

/// The packages of `manifest` matching `template`: a package name, or one with `{line}`, which
/// matches a numbered Go line `1.N` (never the bare `1` of `golang-1-linux`). Each match with its
/// line (`None` without `{line}`), in the manifest's order.
pub fn matching<'a>(manifest: &'a ReleaseManifest, template: &str) -> Vec<(Option<&'a str>, &'a ManifestPackage)> {
    let Some((head, tail)) = template.split_once("{line}") else {
        return manifest.package(template).map(|p| vec![(None, p)]).unwrap_or_default();
    };
    manifest
        .packages
        .iter()
        .filter_map(|p| {
            let line = p.name.strip_prefix(head)?.strip_suffix(tail)?;
            let minor = line.strip_prefix("1.")?;
            let numbered = !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit());
            numbered.then_some((Some(line), p))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::snapshot::MemFiles;

    fn release(version: &str, packages: &[(&str, &str)], go: &[(&str, &str)]) -> FinalRelease {
        let packages = packages
            .iter()
            .map(|(name, fp)| ManifestPackage {
                name: name.to_string(),
                fingerprint: fp.to_string(),
                sha1: format!("sha256:{fp}"),
                dependencies: vec![],
            })
            .collect();
        FinalRelease {
            manifest: ReleaseManifest { name: "golang".into(), version: version.into(), commit_hash: None, packages },
            package_versions: go.iter().map(|(p, v)| (p.to_string(), v.to_string())).collect(),
        }
    }

    #[test]
    fn a_fingerprint_maps_to_the_newest_final_release_listing_it_for_that_package() {
        let releases = [
            release(
                "0.9.0",
                &[("golang-1.25-linux", "aa"), ("golang-1-linux", "aa")],
                &[("golang-1.25-linux", "1.25.3")],
            ),
            release(
                "0.10.0",
                &[("golang-1.25-linux", "aa"), ("golang-1-linux", "bb")],
                &[("golang-1.25-linux", "1.25.3")],
            ),
            release("0.11.0", &[("golang-1.25-linux", "cc")], &[]),
        ];
        let found = release_with(&releases, "golang-1.25-linux", "aa").unwrap();
        assert_eq!(found.manifest.version, "0.10.0");
        assert_eq!(found.package_version("golang-1.25-linux"), "1.25.3");
        assert_eq!(release_with(&releases, "golang-1-linux", "aa").unwrap().manifest.version, "0.9.0");
        assert!(release_with(&releases, "golang-1.25-linux", "dd").is_none(), "unknown fingerprint");
        let no_file = release_with(&releases, "golang-1.25-linux", "cc").unwrap();
        assert_eq!(no_file.package_version("golang-1.25-linux"), "0.11.0", "no version file: the release's version");
    }

    fn manifest(version: &str, commit: &str, fp: &str) -> String {
        format!(
            "name: golang\nversion: {version}\ncommit_hash: {commit}\npackages:\n\
             - name: golang-1.26-linux\n  version: {fp}\n  fingerprint: {fp}\n  sha1: sha256:{fp}\n  dependencies: []\n\
             - name: golang-1.26-windows\n  version: w{fp}\n  fingerprint: w{fp}\n  sha1: w{fp}\n  dependencies: []\n"
        )
    }

    fn source_release() -> MemFiles {
        let f = |p: &str, t: String| (p.to_string(), t);
        MemFiles(vec![
            f(
                "config/final.yml",
                "name: golang\nblobstore:\n  provider: gcs\n  options: {bucket_name: golang-blobs}\n".into(),
            ),
            f(
                "releases/golang/index.yml",
                "builds:\n  9f1e:\n    version: 0.10.0\n  1a2b:\n    version: 0.9.0\nformat-version: \"2\"\n".into(),
            ),
            f("releases/golang/golang-0.9.0.yml", manifest("0.9.0", "c0ffee1", "aa")),
            f("releases/golang/golang-0.10.0.yml", manifest("0.10.0", "d00d002", "bb")),
        ])
    }

    #[test]
    fn final_releases_are_read_oldest_first_with_each_package_version_at_the_release_commit() {
        let head = source_release();
        let at = |commit: &str| -> Result<Option<Box<dyn RepoFiles>>> {
            let version = match commit {
                "c0ffee1" => "1.26.1",
                "d00d002" => "1.26.3\n",
                _ => return Ok(None),
            };
            Ok(Some(Box::new(MemFiles(vec![
                ("packages/golang-1.26-linux/version".into(), version.into()),
                ("packages/golang-1.26-windows/version".into(), format!("{}-w", version.trim())),
                ("packages/golang-1.27-linux/version".into(), "1.27.0".into()),
            ]))))
        };
        let releases = read_final_releases(&head, &at).unwrap();
        let seen: Vec<(&str, &str, &str)> = releases
            .iter()
            .map(|r| {
                let v = |p| r.package_version(p);
                (r.manifest.version.as_str(), v("golang-1.26-linux"), v("golang-1.26-windows"))
            })
            .collect();
        assert_eq!(seen, [("0.9.0", "1.26.1", "1.26.1-w"), ("0.10.0", "1.26.3", "1.26.3-w")]);
        let read: Vec<&String> = releases[0].package_versions.keys().collect();
        assert_eq!(read, ["golang-1.26-linux", "golang-1.26-windows"], "every package of the manifest, no other");
        assert_eq!(
            release_with(&releases, "golang-1.26-linux", "aa").unwrap().package_version("golang-1.26-linux"),
            "1.26.1"
        );
        let no_commits = |_: &str| -> Result<Option<Box<dyn RepoFiles>>> { Ok(None) };
        let releases = read_final_releases(&head, &no_commits).unwrap();
        assert_eq!(
            releases[1].package_version("golang-1.26-linux"),
            "0.10.0",
            "no version file: the release's version"
        );
    }

    #[test]
    fn a_commit_hash_that_yaml_reads_as_a_number_keeps_its_digits() {
        for hash in ["78692e0", "0012345", "1234567", "a501ec8"] {
            for written in [hash.to_string(), format!("\"{hash}\""), format!("{hash} # the bump commit")] {
                let m = ReleaseManifest::parse(&format!("name: g\nversion: 1.0.0\ncommit_hash: {written}\n")).unwrap();
                assert_eq!(m.commit_hash.as_deref(), Some(hash), "{written}");
            }
        }
    }

    #[test]
    fn only_one_segment_package_names_are_looked_up_as_paths() {
        assert!(is_plain_name("golang-1.23-linux"));
        for bad in ["", ".", "..", "../../etc", "a/b", "a b", "a\\b"] {
            assert!(!is_plain_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_repository_without_final_releases_says_so() {
        let none = |_: &str| -> Result<Option<Box<dyn RepoFiles>>> { Ok(None) };
        let mut head = source_release();
        head.0.retain(|(p, _)| !p.starts_with("releases/"));
        let e = read_final_releases(&head, &none).unwrap_err();
        assert_eq!(e.to_string(), "releases/golang/index.yml: lists no final release");
        let e = read_final_releases(&MemFiles(vec![]), &none).unwrap_err();
        assert_eq!(e.to_string(), "config/final.yml: is missing: not a BOSH release");
        let mut head = source_release();
        head.0.retain(|(p, _)| p != "releases/golang/golang-0.9.0.yml");
        let e = read_final_releases(&head, &none).unwrap_err();
        assert_eq!(e.to_string(), "releases/golang/golang-0.9.0.yml: is missing");
    }

    #[test]
    fn a_line_template_matches_numbered_lines_only() {
        let r = release(
            "1.0.0",
            &[
                ("golang-1-linux", "a"),
                ("golang-1.25-linux", "b"),
                ("golang-1.26-linux", "c"),
                ("golang-1.26-windows", "d"),
            ],
            &[],
        );
        let lines: Vec<_> =
            matching(&r.manifest, "golang-{line}-linux").into_iter().map(|(l, p)| (l, p.name.as_str())).collect();
        assert_eq!(lines, [(Some("1.25"), "golang-1.25-linux"), (Some("1.26"), "golang-1.26-linux")]);
        assert_eq!(matching(&r.manifest, "golang-1-linux").len(), 1);
        assert!(matching(&r.manifest, "golang-1.24-linux").is_empty());
    }

    #[test]
    fn the_newest_final_release_is_the_highest_version_not_the_last_key() {
        let index = ReleaseIndex::parse(
            "builds:\n  0a5e-1:\n    version: 0.99.0\n  3c1d-2:\n    version: 0.207.0\n  f7b2-3:\n    version: 0.100.0\nformat-version: \"2\"\n",
        )
        .unwrap();
        assert_eq!(index.versions, ["0.99.0", "0.207.0", "0.100.0"]);
        assert_eq!(index.newest(), Some("0.207.0"));
        assert_eq!(ReleaseIndex::parse("builds: {}\n").unwrap().newest(), None);
        assert_eq!(ReleaseIndex::parse("builds:\n  a: {}\n").unwrap_err().to_string(), "builds.a: version is missing");
    }

    #[test]
    fn a_manifest_gives_each_package_its_fingerprint_digest_and_dependencies() {
        let text = "name: golang\nversion: 0.207.0\ncommit_hash: 4f2e1d0\nuncommitted_changes: false\njobs: []\npackages:\n\
            - name: golang-1.26-linux\n  version: 6d1f\n  fingerprint: 6d1f\n  sha1: sha256:9a8b\n  dependencies: []\n\
            - name: golang-1.26-linux-test\n  version: 2c3d\n  fingerprint: 2c3d\n  sha1: 7e6f\n  dependencies:\n  - golang-1.26-linux\n\
            license:\n  version: x\n";
        let m = ReleaseManifest::parse(text).unwrap();
        assert_eq!(
            (m.name.as_str(), m.version.as_str(), m.commit_hash.as_deref()),
            ("golang", "0.207.0", Some("4f2e1d0"))
        );
        let go = m.package("golang-1.26-linux").unwrap();
        assert_eq!((go.fingerprint.as_str(), go.sha1.as_str(), go.dependencies.len()), ("6d1f", "sha256:9a8b", 0));
        assert_eq!(m.package("golang-1.26-linux-test").unwrap().dependencies, ["golang-1.26-linux"]);
        let e = ReleaseManifest::parse("name: g\nversion: 1\npackages:\n- name: p\n  fingerprint: f\n").unwrap_err();
        assert_eq!(e.to_string(), "packages[0]: sha1 is missing");
    }
}
