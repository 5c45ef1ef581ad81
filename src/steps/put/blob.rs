//! The blob kind: a dependency shipped as blobs of `config/blobs.yml` (an upstream release's
//! asset, a Go toolchain from the downloads index — one blob per platform). Its artifacts are
//! downloaded and uploaded by the executor; its edit is [`crate::release::blob_bump`]'s: the new
//! entries in `config/blobs.yml`, the specs and packaging scripts that name the old blobs, and for
//! a Go toolchain the `packages/` files that hold just the old version.
//!
//! Every blob moves in the same edit, so one commit holds them all. A platform whose blob is
//! already at the target is left as it is (nothing downloaded for it).

use crate::download::{Artifact, Downloaded};
use crate::error::Result;
use crate::release::blob_bump::{self, BlobBump};
use crate::release::blobs::{BlobEntry, BlobsFile};
use crate::release::snapshot::DirFiles;
use crate::report::{BlobSummary, BumpSummary};
use crate::source::DependencyKind;
use crate::steps::put::kinds::{Bump, Change, Site, Summary};
use crate::steps::put::plan::{Selected, Want};
use crate::version::Version;
use crate::workspace;

/// One blob of the bump: the one the release holds and the one replacing it.
struct Blob {
    old_path: String,
    new_path: String,
    /// The version of the old blob (platforms may lag behind one another).
    from: String,
}

pub(crate) struct BlobKind {
    name: String,
    from: String,
    to: String,
    release_notes: Option<String>,
    /// The blobs to replace, each with its artifact at the same index.
    blobs: Vec<Blob>,
    artifacts: Vec<Artifact>,
    /// Go toolchains: `packages/` files holding just the old version move too.
    rewrite_version_files: bool,
    /// Where the artifacts are uploaded, as the pull request names it.
    blobstore: String,
    /// The base version when the release holds a custom build this bump replaces.
    custom_build_of: Option<String>,
    /// Each artifact's download and the bump it makes, once the executor has it.
    ready: Vec<Option<(Downloaded, BlobBump)>>,
}

impl BlobKind {
    /// The bump of `selected` to its target, uploaded to `blobstore`: `currents` are the current
    /// blobs of its templates and `artifacts` their targets' artifacts, both in template order.
    pub fn new(
        selected: Selected<'_>,
        currents: Vec<(Version, String)>,
        artifacts: Vec<Artifact>,
        blobstore: &str,
    ) -> BlobKind {
        let target = selected.planned.target.clone().expect("selected dependencies have a target");
        let templates = selected.dep.kind.blobs().expect("blob dependencies have blob templates");
        let mut blobs = Vec::new();
        let mut kept = Vec::new();
        for ((template, (version, old_path)), artifact) in templates.iter().zip(currents).zip(artifacts) {
            if version >= target {
                continue;
            }
            blobs.push(Blob { old_path, new_path: template.render(target.as_str()), from: version.to_string() });
            kept.push(artifact);
        }
        BlobKind {
            name: selected.name().to_string(),
            from: selected.planned.current.as_ref().map(|v| v.to_string()).unwrap_or_default(),
            to: target.to_string(),
            release_notes: selected.planned.release_notes.clone(),
            ready: kept.iter().map(|_| None).collect(),
            blobs,
            artifacts: kept,
            rewrite_version_files: matches!(selected.dep.kind, DependencyKind::Golang { .. }),
            blobstore: blobstore.to_string(),
            custom_build_of: selected.planned.custom_build_of.as_ref().map(|v| v.to_string()),
        }
    }

    /// The summary, with each blob's sum and object id as `sum_and_id` gives them.
    fn summary(&self, sum_and_id: impl Fn(usize) -> (String, String)) -> BumpSummary {
        let blobs = self
            .blobs
            .iter()
            .zip(&self.artifacts)
            .enumerate()
            .map(|(i, (blob, artifact))| {
                let (sha256, object_id) = sum_and_id(i);
                BlobSummary {
                    artifact_url: artifact.display_url.clone(),
                    sha256,
                    expected_from: artifact.expected.as_ref().map(|e| e.from.clone()),
                    object_id,
                    old_blob: blob.old_path.clone(),
                    new_blob: blob.new_path.clone(),
                }
            })
            .collect();
        BumpSummary {
            replaces_custom_build_of: self.custom_build_of.clone(),
            name: self.name.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            release_notes: self.release_notes.clone(),
            blobstore: self.blobstore.clone(),
            blobs,
        }
    }

    /// The verified sum of blob `i`; before its download, the sum upstream publishes.
    fn sha256(&self, i: usize) -> Option<String> {
        match &self.ready[i] {
            Some((download, _)) => Some(download.sha256.clone()),
            None => self.artifacts[i].expected.as_ref().map(|e| e.sha256.clone()),
        }
    }
}

impl Bump for BlobKind {
    fn name(&self) -> &str {
        &self.name
    }

    fn artifacts(&self) -> &[Artifact] {
        &self.artifacts
    }

    fn downloaded(&mut self, index: usize, download: Downloaded, object_id: String) {
        let blob = &self.blobs[index];
        let bump = BlobBump {
            dependency: self.name.clone(),
            old_path: blob.old_path.clone(),
            new_path: blob.new_path.clone(),
            old_version: blob.from.clone(),
            new_version: self.to.clone(),
            entry: BlobEntry {
                size: download.size,
                object_id: Some(object_id),
                sha: format!("sha256:{}", download.sha256),
            },
            rewrite_version_files: self.rewrite_version_files,
        };
        self.ready[index] = Some((download, bump));
    }

    fn uploads(&self) -> Vec<(&str, &Downloaded)> {
        self.ready.iter().flatten().map(|(d, b)| (b.entry.object_id.as_deref().unwrap_or_default(), d)).collect()
    }

    fn blob_bumps(&self) -> Vec<&BlobBump> {
        self.ready.iter().flatten().map(|(_, b)| b).collect()
    }

    /// Each new blob with its verified sum; before the download, with the sum upstream publishes.
    fn want(&self) -> Want {
        let mut wants: Vec<Want> = (0..self.blobs.len())
            .map(|i| Want::Blob {
                path: self.blobs[i].new_path.clone(),
                sha: self.sha256(i).map(|sha| format!("sha256:{sha}")),
            })
            .collect();
        if wants.len() == 1 { wants.remove(0) } else { Want::All(wants) }
    }

    fn edit(&self, site: &Site<'_>) -> Result<(Change, Summary)> {
        assert!(self.ready.iter().all(Option::is_some), "the executor downloads every blob before editing");
        let bumps: Vec<BlobBump> = self.blob_bumps().into_iter().cloned().collect();
        let edits = match site {
            Site::Commit { repo, parent } => blob_bump::apply(&workspace::tree_files(repo, *parent)?, &bumps)?,
            Site::Checkout { dir, .. } => blob_bump::apply(&DirFiles::new(dir), &bumps)?,
        };
        let summary = self.summary(|i| {
            let (download, bump) = self.ready[i].as_ref().expect("checked above");
            (download.sha256.clone(), bump.entry.object_id.clone().unwrap_or_default())
        });
        Ok((Change { changed: edits.files, removed: vec![] }, Summary::Blob(summary)))
    }

    /// Read from the branch: the object id its `config/blobs.yml` gives each new blob.
    fn describe(&self, held: Option<&BlobsFile>) -> Summary {
        Summary::Blob(self.summary(|i| {
            let object_id = held.and_then(|b| b.entries.get(&self.blobs[i].new_path)).and_then(|e| e.object_id.clone());
            (self.sha256(i).unwrap_or_default(), object_id.unwrap_or_default())
        }))
    }
}
