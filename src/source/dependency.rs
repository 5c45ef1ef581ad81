//! One entry of `source.dependencies`, validated into a [`Dependency`]: a name usable in branches,
//! a parsed constraint, and the keys of its kind (and only those): `github-release` (upstream
//! repository, blob, asset, tag and checksums templates), `golang` (the blob template, or one
//! per platform) and `go-module` (module path and go.mod files).

use std::collections::BTreeSet;

use url::Url;

use super::vendored::{RawVendored, vendored_package};
use super::{
    DEFAULT_GOLANG_BLOB, Dependency, DependencyKind, RawBlob, RawDependency, RepoSlug, Template, name_problem,
};
use crate::error::{Error, Result};
use crate::files::is_safe_relative_path;
use crate::version::Constraint;

/// The list under `<p>.dependencies`, each entry validated, no name twice.
pub(super) fn validate_dependencies(list: Vec<RawDependency>, api: &Url, p: &str) -> Result<Vec<Dependency>> {
    let mut names = BTreeSet::new();
    let mut deps = Vec::with_capacity(list.len());
    for (i, d) in list.into_iter().enumerate() {
        let key = format!("{p}.dependencies[{i}]");
        let dep = validate_dependency(d, api, &key)?;
        if !names.insert(dep.name.clone()) {
            return Err(Error::config(format!("{key}.name"), format!("{:?} is used twice", dep.name)));
        }
        deps.push(dep);
    }
    Ok(deps)
}

/// One entry, at `key` (`source.dependencies[0]`).
fn validate_dependency(mut d: RawDependency, api: &Url, key: &str) -> Result<Dependency> {
    if let Some(why) = name_problem(&d.name) {
        return Err(Error::config(
            format!("{key}.name"),
            format!("{:?} cannot be a dependency name: it {why}", d.name),
        ));
    }
    let constraint = match &d.constraint {
        Some(c) => Some(Constraint::parse(c).map_err(|e| Error::config(format!("{key}.constraint"), e))?),
        None => None,
    };
    only_keys_of_kind(&d, key)?;
    let kind = match d.kind.as_str() {
        "github-release" => github_release(&d, key)?,
        "golang" => golang(&d, key)?,
        "go-module" => go_module(&d, key)?,
        "vendored-package" => vendored(&mut d, api, key)?,
        other => {
            return Err(Error::config(
                format!("{key}.kind"),
                format!("unknown kind {other:?} (github-release, golang, go-module or vendored-package)"),
            ));
        }
    };
    let replace_custom_builds = match d.custom_builds.as_deref() {
        None | Some("keep") => false,
        Some("replace") => true,
        Some(other) => {
            return Err(Error::config(format!("{key}.custom_builds"), format!("{other:?} is not keep or replace")));
        }
    };
    let vulndb_modules = d.vulndb_modules.take().map(|m| vulndb_modules(m, key)).transpose()?;
    Ok(Dependency {
        name: d.name,
        constraint,
        prerelease: d.prerelease.unwrap_or(false),
        replace_custom_builds,
        security_only: d.security_only,
        vulndb_modules,
        kind,
    })
}

/// `<key>.vulndb_modules`: module paths of the vulnerability database (`stdlib` and `toolchain`
/// included), none empty.
fn vulndb_modules(modules: Vec<String>, key: &str) -> Result<Vec<String>> {
    for (i, m) in modules.iter().enumerate() {
        if m.trim().is_empty() || m.contains(char::is_whitespace) {
            return Err(Error::config(format!("{key}.vulndb_modules[{i}]"), format!("{m:?} is not a module path")));
        }
    }
    Ok(modules)
}

/// `kind: github-release`: an upstream repository, a blob template, and the asset, tag and
/// checksums templates (the asset defaults to the blob's file name, the tag to `v{version}`).
fn github_release(d: &RawDependency, key: &str) -> Result<DependencyKind> {
    let upstream = d
        .upstream
        .as_deref()
        .ok_or_else(|| Error::config(format!("{key}.upstream"), "required key is missing (owner/repo)"))?;
    let upstream = RepoSlug::parse(upstream)
        .ok_or_else(|| Error::config(format!("{key}.upstream"), format!("{upstream:?} is not owner/repo")))?;
    let blob = match &d.blob {
        Some(RawBlob::One(text)) => blob_template(&format!("{key}.blob"), text)?,
        Some(RawBlob::Many(_)) => {
            return Err(Error::config(format!("{key}.blob"), "a list of templates is for kind golang only"));
        }
        None => return Err(Error::config(format!("{key}.blob"), "required key is missing")),
    };
    let asset = match &d.asset {
        Some(a) => template(key, "asset", a, false)?,
        None => blob.file_name(),
    };
    if asset.as_text().contains('/') {
        return Err(Error::config(format!("{key}.asset"), "an asset name has no '/'"));
    }
    let tag = template(key, "tag", d.tag.as_deref().unwrap_or("v{version}"), true)?;
    let checksums = d.checksums.as_deref().map(|c| template(key, "checksums", c, false)).transpose()?;
    Ok(DependencyKind::GithubRelease { upstream, blob, asset, tag, checksums })
}

/// `kind: golang`: a blob template, by default [`DEFAULT_GOLANG_BLOB`], or a list of them, one
/// per platform: not empty, and no two naming the same file of the Go downloads.
fn golang(d: &RawDependency, key: &str) -> Result<DependencyKind> {
    let blobs = match &d.blob {
        None => vec![blob_template(&format!("{key}.blob"), DEFAULT_GOLANG_BLOB)?],
        Some(RawBlob::One(text)) => vec![blob_template(&format!("{key}.blob"), text)?],
        Some(RawBlob::Many(list)) if list.is_empty() => {
            return Err(Error::config(format!("{key}.blob"), "is an empty list; give one template per platform"));
        }
        Some(RawBlob::Many(list)) => {
            let mut blobs: Vec<Template> = Vec::with_capacity(list.len());
            for (i, text) in list.iter().enumerate() {
                let t = blob_template(&format!("{key}.blob[{i}]"), text)?;
                if let Some(j) = blobs.iter().position(|b| b.file_name() == t.file_name()) {
                    return Err(Error::config(
                        format!("{key}.blob[{i}]"),
                        format!("{text:?} names the same Go download as blob[{j}]"),
                    ));
                }
                blobs.push(t);
            }
            blobs
        }
    };
    Ok(DependencyKind::Golang { blobs })
}

/// `kind: go-module`: a module path `go get` can take, and go.mod paths inside the repository.
fn go_module(d: &RawDependency, key: &str) -> Result<DependencyKind> {
    let module = d.module.clone().ok_or_else(|| Error::config(format!("{key}.module"), "required key is missing"))?;
    // Go's rules for module path elements (letters, digits, '-', '.', '_', '~'), and no
    // leading '-': the path becomes an argument of `go get`.
    if module.is_empty()
        || module.contains("..")
        || module.split('/').any(|e| e.is_empty() || e.starts_with(['-', '.']) || e.ends_with('.'))
        || !module.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '/'))
    {
        return Err(Error::config(format!("{key}.module"), format!("{module:?} is not a module path")));
    }
    if let Some(paths) = &d.go_mod {
        for (j, path) in paths.iter().enumerate() {
            if !is_safe_relative_path(path) || !(path == "go.mod" || path.ends_with("/go.mod")) {
                return Err(Error::config(
                    format!("{key}.go_mod[{j}]"),
                    format!("{path:?} is not a go.mod path inside the repository"),
                ));
            }
        }
    }
    Ok(DependencyKind::GoModule { module, go_mod: d.go_mod.clone() })
}

/// `kind: vendored-package`: a source release and the packages followed there.
fn vendored(d: &mut RawDependency, api: &Url, key: &str) -> Result<DependencyKind> {
    let raw = RawVendored {
        release: d.release.as_deref(),
        package: d.package.take(),
        prefix: d.prefix.as_deref(),
        git_url: d.git_url.as_deref(),
        blobstore: d.blobstore.take(),
    };
    vendored_package(raw, api, key)
}

/// The keys each kind takes, besides the common `name`, `kind`, `constraint`, `prerelease` and
/// `security_only`.
const KIND_KEYS: &[(&str, &[&str])] = &[
    ("github-release", &["upstream", "blob", "asset", "tag", "checksums", "custom_builds", "vulndb_modules"]),
    ("golang", &["blob", "custom_builds"]),
    ("go-module", &["module", "go_mod"]),
    ("vendored-package", &["release", "package", "prefix", "git_url", "blobstore"]),
];

/// A key the entry's kind does not take is an error naming it (an unknown kind is left to the
/// caller, which names the kinds).
fn only_keys_of_kind(d: &RawDependency, key: &str) -> Result<()> {
    let Some((kind, allowed)) = KIND_KEYS.iter().find(|(k, _)| *k == d.kind) else { return Ok(()) };
    let present = [
        ("upstream", d.upstream.is_some()),
        ("blob", d.blob.is_some()),
        ("asset", d.asset.is_some()),
        ("tag", d.tag.is_some()),
        ("checksums", d.checksums.is_some()),
        ("module", d.module.is_some()),
        ("go_mod", d.go_mod.is_some()),
        ("release", d.release.is_some()),
        ("package", d.package.is_some()),
        ("prefix", d.prefix.is_some()),
        ("git_url", d.git_url.is_some()),
        ("blobstore", d.blobstore.is_some()),
        ("custom_builds", d.custom_builds.is_some()),
        ("vulndb_modules", d.vulndb_modules.is_some()),
    ];
    match present.iter().find(|(field, here)| *here && !allowed.contains(field)) {
        Some((field, _)) => Err(Error::config(format!("{key}.{field}"), format!("is not a key of kind {kind}"))),
        None => Ok(()),
    }
}

/// The template under `<key>.<field>`.
fn template(key: &str, field: &str, text: &str, required: bool) -> Result<Template> {
    Template::parse(text, required).map_err(|e| Error::config(format!("{key}.{field}"), e))
}

/// A blob template, at `field` (`source.dependencies[0].blob`, `….blob[1]`): it must render to a
/// path inside `blobs/`.
fn blob_template(field: &str, text: &str) -> Result<Template> {
    let t = Template::parse(text, true).map_err(|e| Error::config(field, e))?;
    if !is_safe_relative_path(&t.render("1.0.0")) {
        return Err(Error::config(field, format!("{text:?} leaves blobs/")));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::source::{DependencyKind, Source};

    fn golang(blob: serde_json::Value) -> Result<Vec<String>, String> {
        let source = json!({"repository": "o/r", "dependencies": [{"name": "golang", "kind": "golang", "blob": blob}]});
        let s = Source::from_value(source, "source").map_err(|e| e.to_string())?;
        let DependencyKind::Golang { blobs } = &s.dependencies.unwrap()[0].kind else { panic!("not golang") };
        Ok(blobs.iter().map(|t| t.as_text()).collect())
    }

    #[test]
    fn a_golang_blob_is_one_template_or_a_list_of_templates_one_per_platform() {
        assert_eq!(golang(json!("go{version}.linux-amd64.tar.gz")).unwrap(), ["go{version}.linux-amd64.tar.gz"]);
        let platforms =
            ["go{version}.linux-amd64.tar.gz", "go{version}.darwin-amd64.tar.gz", "go{version}.windows-amd64.zip"];
        assert_eq!(golang(json!(platforms)).unwrap(), platforms);
        let none = Source::from_value(
            json!({"repository": "o/r", "dependencies": [{"name": "golang", "kind": "golang"}]}),
            "source",
        )
        .unwrap();
        assert_eq!(none.dependencies.unwrap()[0].kind.blobs().unwrap()[0].as_text(), super::DEFAULT_GOLANG_BLOB);
    }

    #[test]
    fn a_template_list_that_is_empty_or_has_a_bad_template_is_an_error_naming_the_entry() {
        assert_eq!(
            golang(json!([])).unwrap_err(),
            "source.dependencies[0].blob: is an empty list; give one template per platform"
        );
        assert_eq!(
            golang(json!(["go{version}.linux-amd64.tar.gz", "go.darwin-amd64.tar.gz"])).unwrap_err(),
            "source.dependencies[0].blob[1]: template \"go.darwin-amd64.tar.gz\" must contain {version} exactly once"
        );
        assert_eq!(
            golang(json!(["go{version}.linux-amd64.tar.gz", "go{version}{version}.zip"])).unwrap_err(),
            "source.dependencies[0].blob[1]: template \"go{version}{version}.zip\" must contain {version} exactly once"
        );
        assert_eq!(
            golang(json!(["../go{version}.linux-amd64.tar.gz"])).unwrap_err(),
            "source.dependencies[0].blob[0]: \"../go{version}.linux-amd64.tar.gz\" leaves blobs/"
        );
        assert_eq!(
            golang(json!(["a/go{version}.linux-amd64.tar.gz", "b/go{version}.linux-amd64.tar.gz"])).unwrap_err(),
            "source.dependencies[0].blob[1]: \"b/go{version}.linux-amd64.tar.gz\" names the same Go download as blob[0]"
        );
        let e = golang(json!({"linux": "go{version}.linux-amd64.tar.gz"})).unwrap_err();
        assert!(
            e.starts_with("source.dependencies[0].blob: ") && e.contains("a template, or a list of templates"),
            "{e}"
        );
    }

    #[test]
    fn a_template_list_is_for_golang_only() {
        let e = Source::from_value(
            json!({"repository": "o/r", "dependencies": [{"name": "etcd", "kind": "github-release",
                "upstream": "etcd-io/etcd", "blob": ["etcd-v{version}-linux-amd64.tar.gz"]}]}),
            "source",
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "source.dependencies[0].blob: a list of templates is for kind golang only");
    }
}
