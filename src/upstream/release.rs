//! Source releases of vendored packages (contract §3 `vendored-package`, §6 cost): a BOSH
//! release's git repository, read at the head of its default branch.
//!
//! What a look-up gives ([`SourceRelease`]): every final release (`releases/<name>/index.yml` and
//! the per-version manifests), the `packages/<pkg>/version` file of each package at the commit
//! each final release was made from (golang-release keeps the Go version there), the source's
//! `config/final.yml` (its blobstore) and the `.final_builds` index of every package of the newest
//! final release (where each package tarball sits, and its digest).
//!
//! Cost: one git connection per look-up (the ref advertisement); objects are fetched only when
//! the default branch moved (full history, into a cached clone of their own: old commits are
//! read), and the whole answer is cached with the commit it was read at, so a warm check of an
//! unchanged source release reads one file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use git2::Oid;

use crate::cache::Cache;
use crate::error::{Error, ErrorKind, Result};
use crate::release::final_release::{FinalRelease, is_plain_name, read_final_releases, release_name};
use crate::release::snapshot::RepoFiles;
use crate::secrets::{Secret, strip_url_credentials};
use crate::workspace::{self, BaseCommit, GitRemote};

/// A source release at one commit of its default branch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceRelease {
    /// The git URL it was read from, without credentials.
    pub url: String,
    /// The head commit of its default branch (full hex).
    pub commit: String,
    /// The release's name (`config/final.yml` `name` or `final_name`).
    pub name: String,
    /// `config/final.yml` at that commit: the blobstore its package tarballs are in.
    pub final_yml: String,
    /// Every final release, oldest first (by semver).
    pub releases: Vec<FinalRelease>,
    /// Package name → the text of `.final_builds/packages/<name>/index.yml`, for every package of
    /// the newest final release that has one.
    pub indices: BTreeMap<String, String>,
}

impl SourceRelease {
    /// The newest final release (by semver): the one `bosh vendor-package` vendors from.
    pub fn newest(&self) -> Option<&FinalRelease> {
        self.releases.last()
    }
}

/// Reads the source release at `url` (token offered as the password of `x-access-token` over
/// https, as for the release itself), from the cache when its default branch has not moved.
///
/// Errors are one line naming the URL (never a credential): a repository that cannot be reached
/// or does not exist, no `config/final.yml`, no final release, a manifest missing.
pub async fn lookup(
    cache: &Cache,
    url: &str,
    token: Option<&Secret>,
    skip_ssl_verification: bool,
) -> Result<SourceRelease> {
    let (cache, owned, token) = (cache.clone(), url.to_string(), token.cloned());
    // git is blocking: it runs off the async workers.
    tokio::task::spawn_blocking(move || read(&cache, &owned, token.as_ref(), skip_ssl_verification))
        .await
        .unwrap_or_else(|e| {
            Err(Error::git(strip_url_credentials(url), ErrorKind::Local, format!("look-up stopped: {e}")))
        })
}

/// The cache key of the answer for `url`: one entry per source release, holding the commit it
/// was read at (checked against the head before use), so entries do not pile up as it moves. The
/// format's version is in the key: a new layout of [`SourceRelease`] never reads an old entry.
fn cache_key(url: &str) -> String {
    format!("source-release/1\n{url}")
}

fn read(cache: &Cache, url: &str, token: Option<&Secret>, skip_ssl_verification: bool) -> Result<SourceRelease> {
    let remote = GitRemote::new(url, token, skip_ssl_verification);
    let shown = remote.display_url();
    let known = |head: Oid| {
        cache.json_get::<SourceRelease>(&cache_key(&shown)).filter(|r| r.url == shown && r.commit == head.to_string())
    };
    let fetched = |base: &BaseCommit| {
        let release = at_commit(base, &shown)?;
        cache.json_put(&cache_key(&shown), &release);
        Ok(release)
    };
    workspace::read_history(&remote, cache, known, fetched).map_err(|e| match e {
        // What the source release holds, or a local git failure that starting over did not
        // cure: said about this URL.
        Error::Parse { file, message } => Error::git(shown.clone(), ErrorKind::Invalid, format!("{file}: {message}")),
        Error::LocalGit { what, source } => Error::Git {
            url: shown.clone(),
            message: format!("{what}: {}", source.message()),
            kind: ErrorKind::Local,
            source: Some(source),
        },
        other => other,
    })
}

/// The source release at the fetched head of its default branch.
fn at_commit(base: &BaseCommit, url: &str) -> Result<SourceRelease> {
    let head = base.files()?;
    let at = |hash: &str| -> Result<Option<Box<dyn RepoFiles + '_>>> {
        Ok(workspace::files_at(&base.repo, hash)?.map(|f| Box::new(f) as Box<dyn RepoFiles>))
    };
    let name = release_name(&head)?;
    let releases = read_final_releases(&head, &at)?;
    let final_yml = text(&head, "config/final.yml")?.unwrap_or_default();
    let mut indices = BTreeMap::new();
    let newest = releases.last().map(|r| r.manifest.packages.as_slice()).unwrap_or_default();
    for package in newest.iter().filter(|p| is_plain_name(&p.name)) {
        if let Some(index) = text(&head, &format!(".final_builds/packages/{}/index.yml", package.name))? {
            indices.insert(package.name.clone(), index);
        }
    }
    Ok(SourceRelease { url: url.to_string(), commit: base.commit.to_string(), name, final_yml, releases, indices })
}

fn text(files: &dyn RepoFiles, path: &str) -> Result<Option<String>> {
    files
        .read(path)?
        .map(|bytes| {
            String::from_utf8(bytes)
                .map_err(|_| Error::Parse { file: path.into(), message: "is not UTF-8 text".into() })
        })
        .transpose()
}
