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
//! the default branch moved, and the whole answer is cached per source commit, so a warm check of
//! an unchanged source release reads one small file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cache::Cache;
use crate::error::Result;
use crate::release::final_release::FinalRelease;
use crate::secrets::Secret;

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
pub async fn lookup(
    cache: &Cache,
    url: &str,
    token: Option<&Secret>,
    skip_ssl_verification: bool,
) -> Result<SourceRelease> {
    let _ = (cache, token, skip_ssl_verification);
    Err(crate::error::Error::git(
        crate::secrets::strip_url_credentials(url),
        crate::error::ErrorKind::UpstreamBroken,
        "reading source releases is not built yet",
    ))
}
