//! Source releases (contract §3, `vendored-package`, and §4, `source.golang_release`): where a
//! vendored package comes from — a BOSH release's git repository and the options of its
//! blobstore — and which of its packages a dependency follows (`package` names or `{line}`
//! templates, an optional `prefix` as `bosh vendor-package --prefix` takes it).

use serde::Deserialize;
use serde_json::{Map, Value as Json};
use url::Url;

use super::{RepoSlug, default_git_url, validate_git_url};
use crate::error::{Error, Result};

/// Where autodetected vendored golang packages come from, unless `source.golang_release` says.
pub const DEFAULT_GOLANG_RELEASE: &str = "cloudfoundry/bosh-package-golang-release";

/// A source release: its repository, the URL it is fetched from, and the options merged over its
/// `config/final.yml` blobstore options to download its package tarballs (anonymous when empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSource {
    pub repository: RepoSlug,
    pub git_url: String,
    /// Options merged key by key over the source release's own; may hold credentials.
    pub blobstore: Map<String, Json>,
}

/// `source.golang_release`, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPackageSource {
    repository: Option<String>,
    git_url: Option<String>,
    blobstore: Option<RawSourceBlobstore>,
}

/// A source release's blobstore: options only (its `config/final.yml` has the provider).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSourceBlobstore {
    options: Map<String, Json>,
}

/// One name or a list of names (`package`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// The keys of a `vendored-package` entry, as written.
pub(super) struct RawVendored<'a> {
    pub release: Option<&'a str>,
    pub package: Option<OneOrMany>,
    pub prefix: Option<&'a str>,
    pub git_url: Option<&'a str>,
    pub blobstore: Option<RawSourceBlobstore>,
}

/// `source.golang_release` (or its default), under key `p` (`source.golang_release`).
pub(super) fn golang_release(raw: Option<RawPackageSource>, api: &Url, p: &str) -> Result<PackageSource> {
    let raw = raw.unwrap_or(RawPackageSource { repository: None, git_url: None, blobstore: None });
    package_source(
        raw.repository.as_deref().unwrap_or(DEFAULT_GOLANG_RELEASE),
        raw.git_url.as_deref(),
        raw.blobstore,
        api,
        &format!("{p}.repository"),
        p,
    )
}

/// The source release at `repository` (`owner/repo`), its git URL (default: the GitHub host's).
fn package_source(
    repository: &str,
    git_url: Option<&str>,
    blobstore: Option<RawSourceBlobstore>,
    api: &Url,
    repository_key: &str,
    p: &str,
) -> Result<PackageSource> {
    let slug = RepoSlug::parse(repository)
        .ok_or_else(|| Error::config(repository_key, format!("{repository:?} is not owner/repo")))?;
    let git_url = match git_url {
        Some(u) => {
            validate_git_url(&format!("{p}.git_url"), u)?;
            u.to_string()
        }
        None => default_git_url(api, &slug),
    };
    Ok(PackageSource { repository: slug, git_url, blobstore: blobstore.map(|b| b.options).unwrap_or_default() })
}

/// The keys of a `vendored-package` entry at `key`: the source release, the package names or
/// `{line}` templates, the prefix.
pub(super) fn vendored_package(raw: RawVendored<'_>, api: &Url, key: &str) -> Result<super::DependencyKind> {
    let release = raw
        .release
        .ok_or_else(|| Error::config(format!("{key}.release"), "required key is missing (owner/repo)"))?;
    let source = package_source(release, raw.git_url, raw.blobstore, api, &format!("{key}.release"), key)?;
    let packages = raw
        .package
        .ok_or_else(|| Error::config(format!("{key}.package"), "required key is missing"))?
        .into_vec();
    if packages.is_empty() {
        return Err(Error::config(format!("{key}.package"), "lists no package"));
    }
    for (i, p) in packages.iter().enumerate() {
        let at = if packages.len() == 1 { format!("{key}.package") } else { format!("{key}.package[{i}]") };
        if p.matches("{line}").count() > 1 {
            return Err(Error::config(at, format!("{p:?} holds {{line}} more than once")));
        }
        if let Some(why) = package_name_problem(&p.replace("{line}", "1.0")) {
            return Err(Error::config(at, format!("{p:?} is not a BOSH package name: it {why}")));
        }
    }
    let prefix = match raw.prefix {
        Some(p) => match package_name_problem(p) {
            Some(why) => {
                return Err(Error::config(format!("{key}.prefix"), format!("{p:?} is not a package name prefix: it {why}")));
            }
            None => Some(p.to_string()),
        },
        None => None,
    };
    Ok(super::DependencyKind::VendoredPackage { source, packages, prefix })
}

/// Why `name` cannot name a BOSH package (a directory under `packages/`, a key of
/// `.final_builds/packages/`), as the end of "it …"; `None` when it can.
pub fn package_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("is empty")
    } else if name.len() > 200 {
        Some("is longer than 200 characters")
    } else if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
        Some("has a character other than A-Z, a-z, 0-9, '.', '_' and '-'")
    } else if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        Some("does not start with a letter or digit")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::source::{DependencyKind, Source};

    fn entry(extra: serde_json::Value) -> Result<DependencyKind, String> {
        let mut dep = json!({"name": "golang", "kind": "vendored-package"});
        dep.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        Source::from_value(json!({"repository": "o/r", "dependencies": [dep]}), "source")
            .map(|s| s.dependencies.unwrap().remove(0).kind)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_vendored_package_entry_names_its_source_release_packages_and_prefix() {
        let kind = entry(json!({
            "release": "cloudfoundry/bosh-package-golang-release",
            "package": ["golang-{line}-linux", "golang-{line}-windows"], "prefix": "routing",
            "blobstore": {"options": {"credentials_source": "none"}}
        }))
        .unwrap();
        let DependencyKind::VendoredPackage { source, packages, prefix } = kind else { panic!("{kind:?}") };
        assert_eq!(source.git_url, "https://github.com/cloudfoundry/bosh-package-golang-release.git");
        assert_eq!(packages, ["golang-{line}-linux", "golang-{line}-windows"]);
        assert_eq!(prefix.as_deref(), Some("routing"));
        assert_eq!(source.blobstore["credentials_source"], "none");
        let one = entry(json!({"release": "o/src", "package": "golang-1-linux", "git_url": "file:///tmp/src"})).unwrap();
        let DependencyKind::VendoredPackage { source, packages, prefix } = one else { panic!() };
        assert_eq!((source.git_url.as_str(), packages.len(), prefix), ("file:///tmp/src", 1, None));
    }

    #[test]
    fn bad_vendored_package_entries_name_the_key() {
        let cases = [
            (json!({"package": "golang-1-linux"}), "source.dependencies[0].release: required key is missing"),
            (json!({"release": "nope", "package": "x"}), "source.dependencies[0].release: \"nope\" is not owner/repo"),
            (json!({"release": "o/r"}), "source.dependencies[0].package: required key is missing"),
            (json!({"release": "o/r", "package": []}), "source.dependencies[0].package: lists no package"),
            (json!({"release": "o/r", "package": ["ok", "a b"]}), "source.dependencies[0].package[1]: \"a b\""),
            (json!({"release": "o/r", "package": "g-{line}-{line}"}), "holds {line} more than once"),
            (json!({"release": "o/r", "package": "x", "prefix": "../up"}), "source.dependencies[0].prefix"),
            (json!({"release": "o/r", "package": "x", "blob": "a"}), "source.dependencies[0].blob: is not a key"),
            (json!({"release": "o/r", "package": "x", "blobstore": {"private_yml": "x"}}), "private_yml"),
        ];
        for (extra, expected) in cases {
            let e = entry(extra.clone()).unwrap_err();
            assert!(e.contains(expected), "{extra}: {e}");
        }
    }

    #[test]
    fn golang_release_defaults_to_cloud_foundrys_and_follows_the_github_host() {
        let s = Source::from_value(json!({"repository": "o/r"}), "source").unwrap();
        assert_eq!(s.golang_release.repository.to_string(), "cloudfoundry/bosh-package-golang-release");
        assert_eq!(s.golang_release.git_url, "https://github.com/cloudfoundry/bosh-package-golang-release.git");
        let s = Source::from_value(
            json!({"repository": "o/r", "github_api_url": "https://ghe.example.com/api/v3",
                   "golang_release": {"repository": "me/golang-release"}}),
            "source",
        )
        .unwrap();
        assert_eq!(s.golang_release.git_url, "https://ghe.example.com/me/golang-release.git");
        let e = Source::from_value(json!({"repository": "o/r", "golang_release": {"repo": "x/y"}}), "source")
            .unwrap_err()
            .to_string();
        assert!(e.contains("source.golang_release.repo"), "{e}");
    }
}
