//! The `local` provider: objects are files `<blobstore_path>/<object_id>` (bosh-cli's local
//! blobstore). A relative `blobstore_path` is joined to the release directory. Writes go through a
//! temp name in the same directory and a rename, so a reader never sees a half-written object.
//!
//! An upload does not copy the bytes when it does not have to: the file is hard-linked under the
//! temp name ([`place`]), and copied only when the blobstore is on another filesystem. Nothing
//! reads the file again (its sum was taken while it was downloaded).

use std::path::{Path, PathBuf};

use super::{Options, TEMP_PREFIX, temp_beside};
use crate::error::{Error, Result};

#[derive(Debug)]
pub struct Local {
    root: PathBuf,
}

impl Local {
    pub(crate) fn configure(options: &Options<'_>, release_dir: &Path) -> Result<Local> {
        let path = PathBuf::from(options.required_string("blobstore_path")?);
        let root = if path.is_absolute() { path } else { release_dir.join(path) };
        Ok(Local { root })
    }

    fn object(&self, object_id: &str) -> PathBuf {
        self.root.join(object_id)
    }

    pub(crate) async fn put_file(&self, object_id: &str, path: &Path) -> Result<()> {
        let dest = self.object(object_id);
        let root = self.root.clone();
        let src = path.to_path_buf();
        tokio::task::spawn_blocking(move || -> Result<()> {
            std::fs::create_dir_all(&root).map_err(|e| Error::io(&root, e))?;
            place(&src, &dest)
        })
        .await
        .map_err(|e| Error::io(path, std::io::Error::other(e)))?
    }

    pub(crate) async fn exists(&self, object_id: &str) -> Result<bool> {
        let p = self.object(object_id);
        match tokio::fs::metadata(&p).await {
            Ok(m) => Ok(m.is_file()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io(&p, e)),
        }
    }

    pub(crate) async fn get_to_file(&self, object_id: &str, dest: &Path) -> Result<()> {
        let src = self.object(object_id);
        let dest = dest.to_path_buf();
        tokio::task::spawn_blocking(move || copy_atomically(&src, &dest))
            .await
            .map_err(|e| Error::io(object_id, std::io::Error::other(e)))?
    }

    pub(crate) fn describe(&self) -> String {
        format!("local {}", self.root.display())
    }
}

/// Puts the file at `src` in place as `dest`, durably (synced before the rename), leaving `src`
/// where it is: a hard link under a temp name beside `dest`, renamed over it, so no byte is
/// copied; across filesystems (or where links are refused), a copy through a temp file. Either
/// way a link already at `dest` is replaced, never written through. Only for a `src` nothing
/// writes to afterwards (a verified download): the two names share their bytes.
pub(crate) fn place(src: &Path, dest: &Path) -> Result<()> {
    let dir = match dest.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let linked = tempfile::Builder::new().prefix(TEMP_PREFIX).make_in(dir, |tmp| std::fs::hard_link(src, tmp));
    let Ok(linked) = linked else { return copy_atomically(src, dest) };
    std::fs::File::open(linked.path()).and_then(|f| f.sync_all()).map_err(|e| Error::io(dest, e))?;
    linked.persist(dest).map_err(|e| Error::io(dest, e.error))?;
    Ok(())
}

/// Copies `src` to `dest` through a temp file beside `dest` (streamed by `io::copy`, which the
/// kernel does on Linux), durably; a link already at `dest` is replaced, never written through.
pub(crate) fn copy_atomically(src: &Path, dest: &Path) -> Result<()> {
    let mut input = std::fs::File::open(src).map_err(|e| Error::io(src, e))?;
    let mut tmp = temp_beside(dest)?;
    std::io::copy(&mut input, tmp.as_file_mut()).map_err(|e| Error::io(dest, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(dest, e))?;
    crate::files::persist(tmp, dest)
}
