//! A release's final releases, as a source release for vendored packages is read:
//! `releases/<name>/index.yml` (which versions exist) and `releases/<name>/<name>-<version>.yml`
//! (each package's fingerprint, digest and dependencies in that version).
//!
//! The index's keys are random ids in byte order, not versions in order: the newest final
//! release is the highest version by semver ([`ReleaseIndex::newest`]), as bosh-cli finds it.

use yaml_serde::{Mapping, Value};

use crate::error::ParseError;
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestPackage {
    pub name: String,
    pub fingerprint: String,
    /// The digest string of the package tarball (`sha256:<hex>`, or bare sha1 hex).
    pub sha1: String,
    pub dependencies: Vec<String>,
}

/// `releases/<name>/<name>-<version>.yml`.
#[derive(Debug, Clone, PartialEq, Eq)]
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
        Ok(ReleaseManifest { name, version, commit_hash: root.get("commit_hash").and_then(text_of), packages })
    }

    pub fn package(&self, name: &str) -> Option<&ManifestPackage> {
        self.packages.iter().find(|p| p.name == name)
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

#[cfg(test)]
mod tests {
    use super::*;

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
