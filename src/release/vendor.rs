//! The edit `bosh vendor-package` makes to a release (contract §8 step 3a;
//! `shared/reference/vendor-package.md` §1.3–1.5), pure: which packages a vendoring brings
//! ([`closure`]), whether one is already in this release's final index ([`in_index`]), and the
//! files it writes ([`apply`]): the index entries, each `packages/<name>/` emptied to a fresh
//! `spec.lock`, and on a line change the old name renamed and `packages/<old>/` removed.

use std::collections::BTreeMap;

use crate::error::Result;
use crate::release::final_release::{ManifestPackage, ReleaseManifest};
use crate::release::snapshot::RepoFiles;

/// One package as vendored into this release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendoredPackage {
    /// Its name here: `<prefix>-<source name>`, or the source name without a prefix.
    pub name: String,
    pub fingerprint: String,
    /// The source index's digest string, copied unchanged (`sha256:<hex>`, or bare sha1 hex).
    pub sha1: String,
    /// Its dependencies' names here (prefixed like it).
    pub dependencies: Vec<String>,
    /// The object id it was uploaded as; `None` when this release's index already lists the
    /// fingerprint (nothing uploaded, the index left as it is).
    pub blobstore_id: Option<String>,
}

/// One vendoring: the packages (a package and its dependencies), and the line changes it makes
/// (old name → new name, e.g. `golang-1.23-linux` → `golang-1.24-linux`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vendoring {
    pub packages: Vec<VendoredPackage>,
    pub renames: Vec<(String, String)>,
}

/// What a vendoring writes: path → new contents, and paths removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VendorEdit {
    pub files: BTreeMap<String, Vec<u8>>,
    pub removed: Vec<String>,
}

/// The packages `bosh vendor-package <package> [--prefix P]` vendors from `manifest`: `package`
/// and, recursively, its dependencies, each once, with its name in this release.
pub fn closure<'m>(
    manifest: &'m ReleaseManifest,
    package: &str,
    prefix: Option<&str>,
) -> Result<Vec<(&'m ManifestPackage, String)>> {
    let _ = (manifest, package, prefix);
    todo!("helper: vendor closure")
}

/// Whether `.final_builds/packages/<name>/index.yml` in `files` already lists `fingerprint`.
pub fn in_index(files: &dyn RepoFiles, name: &str, fingerprint: &str) -> Result<bool> {
    let _ = (files, name, fingerprint);
    todo!("helper: in_index")
}

/// The files `vendoring` writes over `files`, byte for byte as bosh-cli writes them.
pub fn apply(files: &dyn RepoFiles, vendoring: &Vendoring) -> Result<VendorEdit> {
    let _ = (files, vendoring);
    todo!("helper: apply")
}
