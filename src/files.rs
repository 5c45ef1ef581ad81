//! Files on disk, the two rules every writer follows:
//! - paths taken from a checkout are relative and stay inside it ([`is_safe_relative_path`]);
//! - a file appears whole or not at all: it is written to a temporary file in the destination's
//!   directory (same filesystem) and renamed over the destination ([`write_atomically`],
//!   [`temp_beside`] and [`persist`]), so a reader or a crash never sees half a file.

use std::path::Path;

use tempfile::NamedTempFile;

use crate::error::{Error, Result};

/// The first rule a relative path breaks, in the order they are checked: on the whole path first,
/// then component by component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathProblem {
    Empty,
    Nul,
    Backslash,
    Absolute,
    EmptyComponent,
    /// A `..` component: the path leaves the directory it is relative to.
    ParentComponent,
    /// A `.` component: a second spelling of the same path.
    DotComponent,
}

/// Why `p` is not a relative path that stays inside the repository (or `blobs/`); `None` when it
/// is one.
pub fn relative_path_problem(p: &str) -> Option<PathProblem> {
    if p.is_empty() {
        return Some(PathProblem::Empty);
    }
    if p.contains('\0') {
        return Some(PathProblem::Nul);
    }
    if p.contains('\\') {
        return Some(PathProblem::Backslash);
    }
    if p.starts_with('/') {
        return Some(PathProblem::Absolute);
    }
    p.split('/').find_map(|component| match component {
        "" => Some(PathProblem::EmptyComponent),
        ".." => Some(PathProblem::ParentComponent),
        "." => Some(PathProblem::DotComponent),
        _ => None,
    })
}

/// A relative path that stays inside the repository (or `blobs/`).
pub fn is_safe_relative_path(p: &str) -> bool {
    relative_path_problem(p).is_none()
}

/// The directory `path` is in (`.` for a bare file name).
fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// A new temporary file in `dir`, removed when dropped unless [`persist`]ed.
pub fn temp_in(dir: &Path) -> Result<NamedTempFile> {
    NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))
}

/// A new temporary file beside `dest` whose name starts with `prefix`, to be [`persist`]ed as
/// `dest` once complete.
pub fn temp_beside(dest: &Path, prefix: &str) -> Result<NamedTempFile> {
    let dir = dir_of(dest);
    tempfile::Builder::new().prefix(prefix).tempfile_in(dir).map_err(|e| Error::io(dir, e))
}

/// Moves a finished temporary file to `dest` (a rename: atomic, replacing what was there; a link
/// at `dest` is replaced, never written through).
pub fn persist(tmp: NamedTempFile, dest: &Path) -> Result<()> {
    tmp.persist(dest).map_err(|e| Error::io(dest, e.error))?;
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file beside it. A file already at `path` keeps
/// its permissions; a new one gets the temporary file's (owner read and write).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = temp_in(dir_of(path))?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(|e| Error::io(path, e))?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    persist(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_replace_the_file_and_keep_its_permissions() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_atomically(&path, b"one").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o755);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["f"], "no temporary file is left");
    }
}
