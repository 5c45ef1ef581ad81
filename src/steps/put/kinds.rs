//! The one interface between the executor and a kind of bump. A kind (a blob from an upstream
//! release, a Go module, …) is a module of its own implementing [`Bump`]; the executor never
//! looks inside one. Adding a kind is adding such a module and one line in
//! [`crate::steps::put::bumps_of`].
//!
//! What a kind does: say what a branch holding it must have ([`Bump::want`]), name the artifacts
//! the executor must download and upload first ([`Bump::artifacts`]), and compute its edit of a
//! tree ([`Bump::edit`]). What it never does: download, upload, commit, push or open a pull
//! request — the executor does those, and honours `dry_run` there.

use std::path::Path;

use futures_util::future::BoxFuture;

use crate::download::{Artifact, Downloaded};
use crate::error::Result;
use crate::release::blob_bump::BlobBump;
use crate::release::blobs::BlobsFile;
use crate::report::{BumpSummary, Line, ModuleSummary, VendoredSummary};
use crate::steps::put::plan::Want;
/// Files a bump changes: new contents, and paths removed (the tree changes git commits).
pub(crate) use crate::workspace::TreeChanges as Change;

/// Where an edit applies.
pub(crate) enum Site<'a> {
    /// On top of a commit of the release's repository (`out`): the edit is returned as a change
    /// to commit.
    Commit { repo: &'a git2::Repository, parent: git2::Oid },
    /// In a checkout on disk (`currency bump`): what the kind cannot write itself is returned as
    /// a change to write; `dry_run` asks for no change on disk at all.
    Checkout { dir: &'a Path, dry_run: bool },
}

/// What a bump did, for commit messages and the pull request.
#[derive(Debug, Clone)]
pub(crate) enum Summary {
    Blob(BumpSummary),
    Module(ModuleSummary),
    Vendored(VendoredSummary),
}

impl Summary {
    pub fn line(&self) -> Line<'_> {
        match self {
            Summary::Blob(b) => b.line(),
            Summary::Module(m) => m.line(),
            Summary::Vendored(v) => v.line(),
        }
    }
}

/// The summaries of each kind, each list in order.
#[derive(Debug, Clone, Default)]
pub struct Split {
    pub blobs: Vec<BumpSummary>,
    pub modules: Vec<ModuleSummary>,
    pub vendored: Vec<VendoredSummary>,
}

pub(crate) fn split(summaries: &[Summary]) -> Split {
    let mut out = Split::default();
    for s in summaries {
        match s {
            Summary::Blob(b) => out.blobs.push(b.clone()),
            Summary::Module(m) => out.modules.push(m.clone()),
            Summary::Vendored(v) => out.vendored.push(v.clone()),
        }
    }
    out
}

/// One dependency's bump, as the executor drives it.
pub(crate) trait Bump {
    fn name(&self) -> &str;

    /// The artifacts to download, verify and upload before the edit, if the kind ships any (a
    /// golang dependency ships one per platform).
    fn artifacts(&self) -> &[Artifact] {
        &[]
    }

    /// Hands over the artifact `index` of [`Bump::artifacts`], downloaded and verified, with the
    /// object id it is uploaded as.
    fn downloaded(&mut self, _index: usize, _download: Downloaded, _object_id: String) {}

    /// The object id and the downloaded file of each artifact to upload, once they are in hand.
    fn uploads(&self) -> Vec<(&str, &Downloaded)> {
        Vec::new()
    }

    /// Fetches what the kind ships from a blobstore rather than from an upstream URL (a vendored
    /// package's tarball, from its source release), verified, into `work`; before any upload.
    fn fetch<'s>(&'s mut self, _work: &'s Path) -> BoxFuture<'s, Result<()>> {
        Box::pin(async { Ok(()) })
    }

    /// Files to upload besides [`Bump::uploads`]': object id and path.
    fn package_uploads(&self) -> Vec<(&str, &Path)> {
        vec![]
    }

    /// The `config/blobs.yml` changes, once the artifacts are in hand: bumps of this form are
    /// checked together against the base before anything is uploaded.
    fn blob_bumps(&self) -> Vec<&BlobBump> {
        Vec::new()
    }

    /// What a branch that already holds this bump has.
    fn want(&self) -> Want;

    /// The bump applied at `site`, and what it did.
    fn edit(&self, site: &Site<'_>) -> Result<(Change, Summary)>;

    /// The bump described without applying it, as a branch that already holds it has it
    /// (`held`: that branch's `config/blobs.yml`).
    fn describe(&self, held: Option<&BlobsFile>) -> Summary;
}
