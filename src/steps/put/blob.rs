//! The blob kind: a dependency shipped as a blob of `config/blobs.yml` (an upstream release's
//! asset, a Go toolchain from the downloads index). Its artifact is downloaded and uploaded by
//! the executor; its edit is [`crate::release::blob_bump`]'s: the new entry in
//! `config/blobs.yml`, and the specs and packaging scripts that name the old blob.

use crate::download::{Artifact, Downloaded};
use crate::error::Result;
use crate::release::blob_bump::{self, BlobBump};
use crate::release::blobs::{BlobEntry, BlobsFile};
use crate::release::snapshot::DirFiles;
use crate::report::BumpSummary;
use crate::steps::put::kinds::{Bump, Change, Site, Summary};
use crate::steps::put::plan::{Selected, Want};
use crate::workspace;

pub(crate) struct BlobKind {
    name: String,
    old_path: String,
    new_path: String,
    from: String,
    to: String,
    release_notes: Option<String>,
    artifact: Artifact,
    /// Where the artifact is uploaded, as the pull request names it.
    blobstore: String,
    /// The download and the bump it makes, once the executor has the artifact.
    ready: Option<(Downloaded, BlobBump)>,
}

impl BlobKind {
    /// The bump of `selected` to its target, whose artifact is `artifact`, uploaded to `blobstore`.
    pub fn new(selected: Selected<'_>, artifact: Artifact, blobstore: &str) -> BlobKind {
        let target = selected.target().to_string();
        let template = selected.dep.kind.blob().expect("blob dependencies have a blob template");
        BlobKind {
            name: selected.name().to_string(),
            old_path: selected.planned.current_blob.clone().expect("blob dependencies have a current blob"),
            new_path: template.render(&target),
            from: selected.planned.current.as_ref().map(|v| v.to_string()).unwrap_or_default(),
            to: target,
            release_notes: selected.planned.release_notes.clone(),
            artifact,
            blobstore: blobstore.to_string(),
            ready: None,
        }
    }

    fn summary(&self, sha256: String, object_id: String) -> BumpSummary {
        BumpSummary {
            name: self.name.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            release_notes: self.release_notes.clone(),
            artifact_url: self.artifact.display_url.clone(),
            sha256,
            expected_from: self.artifact.expected.as_ref().map(|e| e.from.clone()),
            object_id,
            blobstore: self.blobstore.clone(),
            old_blob: self.old_path.clone(),
            new_blob: self.new_path.clone(),
        }
    }
}

impl Bump for BlobKind {
    fn name(&self) -> &str {
        &self.name
    }

    fn artifact(&self) -> Option<&Artifact> {
        Some(&self.artifact)
    }

    fn downloaded(&mut self, download: Downloaded, object_id: String) {
        let bump = BlobBump {
            dependency: self.name.clone(),
            old_path: self.old_path.clone(),
            new_path: self.new_path.clone(),
            old_version: self.from.clone(),
            new_version: self.to.clone(),
            entry: BlobEntry {
                size: download.size,
                object_id: Some(object_id),
                sha: format!("sha256:{}", download.sha256),
            },
        };
        self.ready = Some((download, bump));
    }

    fn upload(&self) -> Option<(&str, &Downloaded)> {
        self.ready.as_ref().map(|(d, b)| (b.entry.object_id.as_deref().unwrap_or_default(), d))
    }

    fn blob_bump(&self) -> Option<&BlobBump> {
        self.ready.as_ref().map(|(_, b)| b)
    }

    /// The new blob with its verified sum; before the download, with the sum upstream publishes.
    fn want(&self) -> Want {
        let sha = match &self.ready {
            Some((_, bump)) => Some(bump.entry.sha.clone()),
            None => self.artifact.expected.as_ref().map(|e| format!("sha256:{}", e.sha256)),
        };
        Want::Blob { path: self.new_path.clone(), sha }
    }

    fn edit(&self, site: &Site<'_>) -> Result<(Change, Summary)> {
        let (download, bump) = self.ready.as_ref().expect("the executor downloads a blob before editing");
        let edits = match site {
            Site::Commit { repo, parent } => {
                blob_bump::apply(&workspace::tree_files(repo, *parent)?, std::slice::from_ref(bump))?
            }
            Site::Checkout { dir, .. } => blob_bump::apply(&DirFiles::new(dir), std::slice::from_ref(bump))?,
        };
        let object_id = bump.entry.object_id.clone().unwrap_or_default();
        let summary = self.summary(download.sha256.clone(), object_id);
        Ok((Change { changed: edits.files, removed: vec![] }, Summary::Blob(summary)))
    }

    /// Read from the branch: the object id its `config/blobs.yml` gives the new blob.
    fn describe(&self, held: Option<&BlobsFile>) -> Summary {
        let sha256 = match &self.ready {
            Some((download, _)) => download.sha256.clone(),
            None => self.artifact.expected.as_ref().map(|e| e.sha256.clone()).unwrap_or_default(),
        };
        let object_id = held.and_then(|b| b.entries.get(&self.new_path)).and_then(|e| e.object_id.clone());
        Summary::Blob(self.summary(sha256, object_id.unwrap_or_default()))
    }
}
