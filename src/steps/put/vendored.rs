//! The vendored-package kind (contract §8 step 3a): what `bosh vendor-package <package> <source
//! release at its newest final release> [--prefix P]` does, natively, for every package of one
//! dependency (linux, windows, … move together).
//!
//! Per package and, recursively, its dependencies: when this release's final index already lists
//! the fingerprint, nothing is fetched or uploaded; otherwise the tarball is downloaded from the
//! source release's blobstore (its `config/final.yml`, the entry's `blobstore.options` merged
//! over, anonymous without credentials), verified against the source index's digest, and uploaded
//! to this release's blobstore under a fresh id by the executor. The edit
//! ([`crate::release::vendor::apply`]) writes the index entries and `spec.lock` files, and on a line
//! change renames the package and removes its old directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::blobstore::{self, Blobstore};
use crate::error::{Error, ErrorKind, Result};
use crate::plan::vendored::{Covered, covered};
use crate::release::final_builds::FinalIndex;
use crate::release::final_release::{FinalRelease, matching};
use crate::release::snapshot::{DirFiles, RepoFiles, Snapshot};
use crate::release::vendor::local_name;
use crate::release::vendor::{self, VendoredPackage, Vendoring};
use crate::report::{VendoredPackageSummary, VendoredSummary};
use crate::source::{BlobstoreSecrets, DependencyKind};
use crate::steps::put::kinds::{Bump, Change, Site, Summary};
use crate::steps::put::plan::{Selected, Want};
use crate::upstream::release::SourceRelease;
use crate::version::{Scheme, Version};
use crate::workspace;

/// One package to bring, and where its tarball is.
struct Package {
    /// As this release will hold it (`blobstore_id` set once fetched, when not in the index).
    vendored: VendoredPackage,
    /// The object in the source release's blobstore; `None`: already in this release's index.
    source_object: Option<String>,
    /// The verified download, once fetched.
    fetched: Option<PathBuf>,
}

pub(crate) struct VendoredKind {
    name: String,
    from: String,
    to: String,
    release_notes: Option<String>,
    repository: String,
    source: Arc<SourceRelease>,
    /// The options merged over the source release's own blobstore options.
    source_options: serde_json::Map<String, serde_json::Value>,
    packages: Vec<Package>,
    renames: Vec<(String, String)>,
    /// Where uploads go, as the pull request names it.
    blobstore: String,
}

impl VendoredKind {
    /// The bump of `selected` to its target from `source`, against this release's files `base`.
    pub fn new(
        selected: Selected<'_>,
        source: Arc<SourceRelease>,
        snapshot: &Snapshot,
        base: &dyn RepoFiles,
        blobstore: &str,
    ) -> Result<VendoredKind> {
        let DependencyKind::VendoredPackage { source: from, packages: templates, prefix } = &selected.dep.kind else {
            unreachable!("vendored-package dependencies only")
        };
        let name = selected.name();
        let target = Version::parse(Scheme::Go, selected.target())
            .ok_or_else(|| Error::dependency(name, format!("{} is not a version", selected.target())))?;
        let newest =
            source.newest().ok_or_else(|| Error::dependency(name, "the source release has no final release"))?;
        let mut kind = VendoredKind {
            name: name.to_string(),
            from: selected.planned.current.as_ref().map(|v| v.to_string()).unwrap_or_else(|| "unknown".into()),
            to: target.to_string(),
            release_notes: selected.planned.release_notes.clone(),
            repository: from.repository.to_string(),
            source_options: from.blobstore.clone(),
            packages: vec![],
            renames: vec![],
            blobstore: blobstore.to_string(),
            source: source.clone(),
        };
        for c in covered(name, templates, prefix.as_deref(), snapshot)? {
            let package = offered(name, &c, newest, &target)?;
            let new_name = local_name(prefix.as_deref(), &package);
            if new_name != c.name {
                kind.renames.push((c.name.clone(), new_name));
            }
            kind.add(&package, prefix.as_deref(), base)?;
        }
        Ok(kind)
    }

    /// Adds `package` of the newest final release and its dependencies, each once.
    fn add(&mut self, package: &str, prefix: Option<&str>, base: &dyn RepoFiles) -> Result<()> {
        let newest = self.source.newest().expect("checked in new");
        let closure = vendor::closure(&newest.manifest, package, prefix)?;
        for (source_package, dest) in closure {
            if self.packages.iter().any(|p| p.vendored.name == dest) {
                continue;
            }
            let known = vendor::in_index(base, &dest, &source_package.fingerprint)?;
            let (sha1, source_object) = if known {
                (source_package.sha1.clone(), None)
            } else {
                let entry = self.source_entry(&source_package.name, &source_package.fingerprint)?;
                (entry.sha1, Some(entry.blobstore_id.unwrap_or_default()))
            };
            let dependencies = source_package.dependencies.iter().map(|d| local_name(prefix, d)).collect();
            self.packages.push(Package {
                vendored: VendoredPackage {
                    name: dest,
                    fingerprint: source_package.fingerprint.clone(),
                    sha1,
                    dependencies,
                    blobstore_id: None,
                },
                source_object,
                fetched: None,
            });
        }
        Ok(())
    }

    /// The source index's entry for `package` at `fingerprint`: its object and digest.
    fn source_entry(&self, package: &str, fingerprint: &str) -> Result<crate::release::final_builds::FinalBuild> {
        let path = format!(".final_builds/packages/{package}/index.yml");
        let missing =
            || Error::dependency(&self.name, format!("{path} of {} does not list {fingerprint}", self.repository));
        let text = self.source.indices.get(package).ok_or_else(missing)?;
        let index = FinalIndex::parse(text).map_err(|e| {
            Error::dependency(&self.name, format!("{path} of {} does not parse: {}", self.repository, e.message))
        })?;
        let entry = index.find(fingerprint).cloned().ok_or_else(missing)?;
        if entry.blobstore_id.as_deref().is_none_or(str::is_empty) {
            return Err(Error::dependency(
                &self.name,
                format!("{path} of {}: {fingerprint} has no blobstore_id", self.repository),
            ));
        }
        Ok(entry)
    }

    /// The source release's blobstore, read-only unless the entry gives credentials.
    fn source_store(&self, work: &Path) -> Result<Blobstore> {
        let secrets = BlobstoreSecrets::Options(self.source_options.clone());
        Blobstore::configure(&self.source.final_yml, &secrets, work).map_err(|e| {
            Error::dependency(
                &self.name,
                format!("the blobstore of source release {}: {}", self.repository, e.one_line()),
            )
        })
    }

    /// Downloads and verifies every package not in this release's index yet.
    async fn fetch_all(&mut self, work: &Path) -> Result<()> {
        if self.packages.iter().all(|p| p.source_object.is_none()) {
            return Ok(());
        }
        let store = self.source_store(work)?;
        let dir = work.join(&self.name);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        for p in &mut self.packages {
            let Some(object) = &p.source_object else { continue };
            let dest = dir.join(&p.vendored.fingerprint);
            crate::log!(
                "{}: downloading {}/{} (object {object}) from {}",
                self.name,
                p.vendored.name,
                p.vendored.fingerprint,
                store.describe()
            );
            store.get_to_file(object, &dest).await.map_err(|e| {
                Error::dependency(
                    &self.name,
                    format!("source release {} object {object}: {}", self.repository, e.one_line()),
                )
            })?;
            if let Err(why) = crate::download::check_bosh_digest(&dest, &p.vendored.sha1) {
                let _ = std::fs::remove_file(&dest);
                return Err(Error::dependency_as(
                    ErrorKind::ChecksumMismatch,
                    &self.name,
                    format!("package {} (object {object}) does not match its digest: {why}", p.vendored.name),
                ));
            }
            p.vendored.blobstore_id = Some(blobstore::new_object_id());
            p.fetched = Some(dest);
        }
        Ok(())
    }

    fn summary(&self) -> VendoredSummary {
        VendoredSummary {
            name: self.name.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            release_notes: self.release_notes.clone(),
            source_release: self.repository.clone(),
            source_version: self.source.newest().map(|r| r.manifest.version.clone()).unwrap_or_default(),
            packages: self
                .packages
                .iter()
                .map(|p| VendoredPackageSummary {
                    name: p.vendored.name.clone(),
                    fingerprint: p.vendored.fingerprint.clone(),
                    digest: p.vendored.sha1.clone(),
                    object_id: p.vendored.blobstore_id.clone(),
                    on_branch: p.source_object.is_some() && p.vendored.blobstore_id.is_none(),
                })
                .collect(),
            renames: self.renames.clone(),
            blobstore: self.blobstore.clone(),
        }
    }
}

/// The package of the newest final release that `covered`'s template offers at `target`.
fn offered(dep: &str, covered: &Covered, newest: &FinalRelease, target: &Version) -> Result<String> {
    matching(&newest.manifest, &covered.template)
        .into_iter()
        .find(|(_, p)| Version::parse(Scheme::Go, newest.package_version(&p.name)).as_ref() == Some(target))
        .map(|(_, p)| p.name.clone())
        .ok_or_else(|| {
            Error::dependency(
                dep,
                format!(
                    "final release {} offers no {} at {target} (for {})",
                    newest.manifest.version, covered.template, covered.name
                ),
            )
        })
}

impl Bump for VendoredKind {
    fn name(&self) -> &str {
        &self.name
    }

    fn fetch<'s>(&'s mut self, work: &'s Path) -> BoxFuture<'s, Result<()>> {
        Box::pin(self.fetch_all(work))
    }

    fn package_uploads(&self) -> Vec<(&str, &Path)> {
        self.packages
            .iter()
            .filter_map(|p| Some((p.vendored.blobstore_id.as_deref()?, p.fetched.as_deref()?)))
            .collect()
    }

    /// Every package's `spec.lock` with its new fingerprint.
    fn want(&self) -> Want {
        Want::Locks(self.packages.iter().map(|p| (p.vendored.name.clone(), p.vendored.fingerprint.clone())).collect())
    }

    fn edit(&self, site: &Site<'_>) -> Result<(Change, Summary)> {
        let vendoring = Vendoring {
            packages: self.packages.iter().map(|p| p.vendored.clone()).collect(),
            renames: self.renames.clone(),
        };
        let edit = match site {
            Site::Commit { repo, parent } => vendor::apply(&workspace::tree_files(repo, *parent)?, &vendoring)?,
            Site::Checkout { dir, .. } => vendor::apply(&DirFiles::new(dir), &vendoring)?,
        };
        Ok((Change { changed: edit.files, removed: edit.removed }, Summary::Vendored(self.summary())))
    }

    fn describe(&self, _held: Option<&crate::release::blobs::BlobsFile>) -> Summary {
        Summary::Vendored(self.summary())
    }
}
