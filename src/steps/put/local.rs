//! `currency bump`: the bumps of `out` applied to a local checkout — the same selection and the
//! same kinds of bump, uploads included, but no git, no branch and no pull request. Each new
//! blob is also placed under `blobs/` (as `bosh add-blob` does) and the old one removed.

use std::path::{Path, PathBuf};

use crate::blobstore;
use crate::cache::Cache;
use crate::error::{Error, Result};
use crate::http::Http;
use crate::release::blob_bump::BlobBump;
use crate::release::snapshot::DirFiles;
use crate::source::Source;
use crate::steps::assess;
use crate::steps::put::kinds::{Site, Split, split};
use crate::steps::put::module::GoOnce;
use crate::steps::put::{bumps_of, configure_blobstore, execute, plan};
use crate::steps::runtime;

/// Applies every bump (or those named in `only`) to the checkout `repo`, one after the other;
/// `dry_run` prints the blob diffs and uploads and writes nothing.
pub fn bump_local(source: Source, repo: &Path, only: &[String], dry_run: bool) -> Result<Split> {
    runtime()?.block_on(async {
        let http = Http::new(source.skip_ssl_verification)?;
        let cache = Cache::open();
        let a = assess::local(source, repo, &cache, &http).await?;
        let selected = plan::select(&a, only)?;
        let store = if dry_run || selected.is_empty() { None } else { Some(configure_blobstore(&a, repo)?) };
        let store_name = store.as_ref().map(|s| s.describe()).unwrap_or_else(|| "dry run: not uploaded".into());
        let work = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
        let go = GoOnce::new(&a.source);
        let mut summaries = Vec::new();
        for selected in &selected {
            let files = DirFiles::new(repo);
            let mut bumps = bumps_of(&http, &a, &files, std::slice::from_ref(selected), &store_name, &go).await?;
            let bump = &mut bumps[0];
            execute::download(&http, &a.source, work.path(), bump.as_mut()).await?;
            bump.fetch(work.path()).await?;
            let (change, summary) = bump.edit(&Site::Checkout { dir: repo, dry_run })?;
            if dry_run {
                execute::print_diff(&DirFiles::new(repo), &change.changed)?;
            } else {
                if let Some(store) = &store {
                    for (id, download) in bump.uploads() {
                        store.put_file(id, &download.path).await?;
                    }
                    for blob in bump.blob_bumps() {
                        let id = blob.entry.object_id.as_deref();
                        let upload = bump.uploads().into_iter().find(|(up, _)| Some(*up) == id);
                        let (_, download) = upload.expect("each blob bump's object is uploaded");
                        place_blob(repo, blob, &download.path)?;
                    }
                }
                for (id, path) in bump.package_uploads() {
                    store.as_ref().expect("configured unless dry run").put_file(id, path).await?;
                }
                for (path, bytes) in &change.changed {
                    crate::files::write_atomically(&repo.join(path), bytes)?;
                }
                for path in &change.removed {
                    let file = repo.join(path);
                    if file.is_file() {
                        std::fs::remove_file(&file).map_err(|e| Error::io(&file, e))?;
                    }
                }
            }
            summaries.push(summary);
        }
        Ok(split(&summaries))
    })
}

/// Places the new blob under `blobs/` (the download itself, hard-linked: no copy on one
/// filesystem) and removes the old one.
fn place_blob(repo: &Path, bump: &BlobBump, downloaded: &Path) -> Result<()> {
    let blobs = repo.join("blobs");
    let new: PathBuf = blobs.join(&bump.new_path);
    if let Some(dir) = new.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    // Copied, not linked: the checkout's file is the user's to replace or edit, and must not
    // share its bytes with the blobstore's object.
    blobstore::local::copy_atomically(downloaded, &new)?;
    let old = blobs.join(&bump.old_path);
    if old.is_file() {
        std::fs::remove_file(&old).map_err(|e| Error::io(&old, e))?;
    }
    Ok(())
}
