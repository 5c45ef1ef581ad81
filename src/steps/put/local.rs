//! `currency bump`: the bumps of `out` applied to a local checkout — the same selection and the
//! same kinds of bump, uploads included, but no git, no branch and no pull request. Each new
//! blob is also placed under `blobs/` (as `bosh add-blob` does) and the old one removed; files are
//! written creating the directories they need (never through a link) and a directory a removal
//! empties goes too, so the checkout ends as the commit `out` would push.

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
        let a = assess::local(source, repo, &cache, &http, assess::Vulns::All).await?;
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
                    write_in_checkout(repo, path, bytes)?;
                }
                for path in &change.removed {
                    remove_from_checkout(repo, path)?;
                }
            }
            summaries.push(summary);
        }
        Ok(split(&summaries))
    })
}

/// Writes `bytes` at `path` of the checkout, creating the directories it needs (a line change
/// brings `packages/<new>/` and `.final_builds/packages/<new>/`), never through a symbolic link:
/// a linked directory on the way is an error naming it.
fn write_in_checkout(repo: &Path, path: &str, bytes: &[u8]) -> Result<()> {
    let mut dir = repo.to_path_buf();
    let parents: Vec<&str> = path.split('/').collect();
    for (i, part) in parents[..parents.len() - 1].iter().enumerate() {
        dir.push(part);
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(Error::Parse {
                    file: parents[..=i].join("/"),
                    message: "is not a directory (a symbolic link is never followed); refusing to write there".into(),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir(&dir).map_err(|e| Error::io(&dir, e))?;
            }
            Err(e) => return Err(Error::io(&dir, e)),
        }
    }
    crate::files::write_atomically(&repo.join(path), bytes)
}

/// Removes the file at `path` of the checkout, then each directory it leaves empty up to the
/// checkout's root: as in the commit `out` pushes, `packages/<old>/` of a line change is gone.
fn remove_from_checkout(repo: &Path, path: &str) -> Result<()> {
    let file = repo.join(path);
    if std::fs::symlink_metadata(&file).is_ok_and(|m| m.is_file()) {
        std::fs::remove_file(&file).map_err(|e| Error::io(&file, e))?;
    }
    let mut dir = file.parent();
    while let Some(d) = dir.filter(|d| *d != repo && d.starts_with(repo)) {
        // Only an empty directory goes; a non-empty or missing one ends the walk.
        if std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_creates_the_directories_it_needs_and_a_removal_takes_the_emptied_ones() {
        let repo = tempfile::tempdir().unwrap();
        let root = repo.path();
        std::fs::create_dir_all(root.join("packages/golang-1.23-linux")).unwrap();
        std::fs::write(root.join("packages/golang-1.23-linux/spec.lock"), "old").unwrap();
        std::fs::write(root.join("packages/README"), "kept").unwrap();

        write_in_checkout(root, ".final_builds/packages/golang-1.24-linux/index.yml", b"index").unwrap();
        assert_eq!(std::fs::read(root.join(".final_builds/packages/golang-1.24-linux/index.yml")).unwrap(), b"index");
        remove_from_checkout(root, "packages/golang-1.23-linux/spec.lock").unwrap();
        assert!(!root.join("packages/golang-1.23-linux").exists(), "the emptied directory is gone");
        assert!(root.join("packages/README").is_file(), "a directory still holding files stays");
        remove_from_checkout(root, "packages/never-there/spec.lock").unwrap();
    }

    #[test]
    fn a_write_never_goes_through_a_linked_directory() {
        let repo = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), repo.path().join(".final_builds")).unwrap();
        let e = write_in_checkout(repo.path(), ".final_builds/packages/x/index.yml", b"index").unwrap_err();
        assert!(e.to_string().contains(".final_builds: is not a directory"), "{e}");
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0, "nothing written outside");
    }
}
