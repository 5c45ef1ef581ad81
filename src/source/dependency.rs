//! One entry of `source.dependencies`, validated into a [`Dependency`]: a name usable in branches,
//! a parsed constraint, and the keys of its kind (and only those): `github-release` (upstream
//! repository, blob, asset, tag and checksums templates), `golang` (the blob template) and
//! `go-module` (module path and go.mod files).

use std::collections::BTreeSet;

use url::Url;

use super::vendored::{RawVendored, vendored_package};
use super::{DEFAULT_GOLANG_BLOB, Dependency, DependencyKind, RawDependency, RepoSlug, Template, name_problem};
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
    let kind = match d.kind.as_str() {
        "github-release" => github_release(&d, key)?,
        "golang" => golang(&d, key)?,
        "go-module" => go_module(&d, key)?,
        "vendored-package" => vendored("vendored-package", &mut d, api, key)?,
        other => {
            return Err(Error::config(
                format!("{key}.kind"),
                format!("unknown kind {other:?} (github-release, golang, go-module or vendored-package)"),
            ));
        }
    };
    if !matches!(kind, DependencyKind::VendoredPackage { .. }) {
        for (field, present) in [
            ("release", d.release.is_some()),
            ("package", d.package.is_some()),
            ("prefix", d.prefix.is_some()),
            ("git_url", d.git_url.is_some()),
            ("blobstore", d.blobstore.is_some()),
        ] {
            forbid(key, field, present, kind.name())?;
        }
    }
    Ok(Dependency { name: d.name, constraint, prerelease: d.prerelease.unwrap_or(false), kind })
}

/// `kind: github-release`: an upstream repository, a blob template, and the asset, tag and
/// checksums templates (the asset defaults to the blob's file name, the tag to `v{version}`).
fn github_release(d: &RawDependency, key: &str) -> Result<DependencyKind> {
    forbid(key, "module", d.module.is_some(), "github-release")?;
    forbid(key, "go_mod", d.go_mod.is_some(), "github-release")?;
    let upstream = d
        .upstream
        .as_deref()
        .ok_or_else(|| Error::config(format!("{key}.upstream"), "required key is missing (owner/repo)"))?;
    let upstream = RepoSlug::parse(upstream)
        .ok_or_else(|| Error::config(format!("{key}.upstream"), format!("{upstream:?} is not owner/repo")))?;
    let blob = blob_template(
        key,
        d.blob.as_deref().ok_or_else(|| Error::config(format!("{key}.blob"), "required key is missing"))?,
    )?;
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

/// `kind: golang`: only a blob template, by default [`DEFAULT_GOLANG_BLOB`].
fn golang(d: &RawDependency, key: &str) -> Result<DependencyKind> {
    for (field, present) in [
        ("upstream", d.upstream.is_some()),
        ("asset", d.asset.is_some()),
        ("tag", d.tag.is_some()),
        ("checksums", d.checksums.is_some()),
        ("module", d.module.is_some()),
        ("go_mod", d.go_mod.is_some()),
    ] {
        forbid(key, field, present, "golang")?;
    }
    Ok(DependencyKind::Golang { blob: blob_template(key, d.blob.as_deref().unwrap_or(DEFAULT_GOLANG_BLOB))? })
}

/// `kind: go-module`: a module path `go get` can take, and go.mod paths inside the repository.
fn go_module(d: &RawDependency, key: &str) -> Result<DependencyKind> {
    for (field, present) in [
        ("upstream", d.upstream.is_some()),
        ("blob", d.blob.is_some()),
        ("asset", d.asset.is_some()),
        ("tag", d.tag.is_some()),
        ("checksums", d.checksums.is_some()),
    ] {
        forbid(key, field, present, "go-module")?;
    }
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
fn vendored(kind: &str, d: &mut RawDependency, api: &Url, key: &str) -> Result<DependencyKind> {
    for (field, present) in [
        ("upstream", d.upstream.is_some()),
        ("blob", d.blob.is_some()),
        ("asset", d.asset.is_some()),
        ("tag", d.tag.is_some()),
        ("checksums", d.checksums.is_some()),
        ("module", d.module.is_some()),
        ("go_mod", d.go_mod.is_some()),
    ] {
        forbid(key, field, present, kind)?;
    }
    let raw = RawVendored {
        release: d.release.as_deref(),
        package: d.package.take(),
        prefix: d.prefix.as_deref(),
        git_url: d.git_url.as_deref(),
        blobstore: d.blobstore.take(),
    };
    vendored_package(raw, api, key)
}

/// A key the dependency's kind does not have is an error naming it.
fn forbid(key: &str, field: &str, present: bool, kind: &str) -> Result<()> {
    if present { Err(Error::config(format!("{key}.{field}"), format!("is not a key of kind {kind}"))) } else { Ok(()) }
}

/// The template under `<key>.<field>`.
fn template(key: &str, field: &str, text: &str, required: bool) -> Result<Template> {
    Template::parse(text, required).map_err(|e| Error::config(format!("{key}.{field}"), e))
}

/// The blob template under `<key>.blob`: it must render to a path inside `blobs/`.
fn blob_template(key: &str, text: &str) -> Result<Template> {
    let t = template(key, "blob", text, true)?;
    if !is_safe_relative_path(&t.render("1.0.0")) {
        return Err(Error::config(format!("{key}.blob"), format!("{text:?} leaves blobs/")));
    }
    Ok(t)
}
