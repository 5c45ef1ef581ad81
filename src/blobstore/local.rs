//! The `local` provider: objects are files `<blobstore_path>/<object_id>` (bosh-cli's local
//! blobstore). A relative `blobstore_path` is joined to the release directory. Writes go through a
//! temp file in the same directory and a rename, so a reader never sees a half-written object.

use std::path::{Path, PathBuf};

use super::{Options, temp_beside};
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
            copy_atomically(&src, &dest)
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

/// Copies `src` to `dest` through a temp file beside `dest` (streamed by `io::copy`).
fn copy_atomically(src: &Path, dest: &Path) -> Result<()> {
    let mut input = std::fs::File::open(src).map_err(|e| Error::io(src, e))?;
    let mut tmp = temp_beside(dest)?;
    std::io::copy(&mut input, tmp.as_file_mut()).map_err(|e| Error::io(dest, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(dest, e))?;
    crate::files::persist(tmp, dest)
}
