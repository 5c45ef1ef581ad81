//! One commit of a release, read once: `config/blobs.yml`, `config/final.yml`, every
//! `packages/*/spec` and `spec.lock`, and every `go.mod` outside vendored trees.
//!
//! Files come through [`RepoFiles`], so the same reader serves a git tree (check/in read the
//! fetched commit straight from the object database, without a checkout) and a directory
//! (`currency report --repo DIR`). Any file that does not parse is an error naming it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::gomod::modfile::{self, GoMod};
use crate::release::blobs::BlobsFile;
use crate::release::spec::{PackageSpec, SpecLock};

/// Directories never walked: blob payloads, vendored code, build output, test data.
pub const PRUNED_DIRS: &[&str] =
    &[".git", "blobs", ".blobs", "vendor", "testdata", "node_modules", ".final_builds", ".dev_builds", "dev_releases"];

/// Read access to the files of one revision of a repository.
pub trait RepoFiles {
    /// Every file's path (relative, `/`-separated), outside [`PRUNED_DIRS`].
    fn paths(&self) -> Result<Vec<String>>;
    /// A file's bytes; `None` when there is no such file.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>>;
    /// Fails when a directory the release's files are read from or written to (`config`,
    /// `packages`, `blobs` and the directories below `blobs`) is a symbolic link: a bump would
    /// write through it, out of the checkout. A git tree has nothing to check (its symlinks are
    /// never followed).
    fn refuse_linked_dirs(&self) -> Result<()> {
        Ok(())
    }
}

/// The largest file of a release that is parsed (a large release's blobs.yml is ~100 KB).
pub const MAX_FILE: usize = 8 * 1024 * 1024;

fn symlink_error(path: &str) -> Error {
    Error::Parse { file: path.into(), message: "is a symbolic link; refusing to follow it".into() }
}

/// A checkout on disk.
pub struct DirFiles {
    root: PathBuf,
}

impl DirFiles {
    pub fn new(root: &Path) -> DirFiles {
        DirFiles { root: root.to_path_buf() }
    }
}

impl RepoFiles for DirFiles {
    fn paths(&self) -> Result<Vec<String>> {
        fn walk(root: &Path, rel: &str, out: &mut Vec<String>) -> Result<()> {
            let dir = if rel.is_empty() { root.to_path_buf() } else { root.join(rel) };
            let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| Error::io(&dir, e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
                // Symlinks are neither followed nor read: they could point out of the checkout.
                let ft = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
                if ft.is_dir() {
                    if !PRUNED_DIRS.contains(&name.as_str()) {
                        walk(root, &path, out)?;
                    }
                } else if ft.is_file() {
                    out.push(path);
                }
            }
            Ok(())
        }
        let mut out = Vec::new();
        walk(&self.root, "", &mut out)?;
        out.sort();
        Ok(out)
    }

    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        if !crate::files::is_safe_relative_path(path) {
            return Err(Error::Parse { file: path.into(), message: "path leaves the repository".into() });
        }
        // Every component, not only the last: `config -> /elsewhere` leaves the checkout too.
        let mut prefix = String::new();
        for segment in path.split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(segment);
            let full = self.root.join(&prefix);
            match std::fs::symlink_metadata(&full) {
                Ok(m) if m.file_type().is_symlink() => return Err(symlink_error(&prefix)),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(Error::io(&full, e)),
            }
        }
        let full = self.root.join(path);
        std::fs::read(&full).map(Some).map_err(|e| Error::io(&full, e))
    }

    fn refuse_linked_dirs(&self) -> Result<()> {
        fn walk(root: &Path, rel: &str) -> Result<()> {
            let full = root.join(rel);
            match std::fs::symlink_metadata(&full) {
                Ok(m) if m.file_type().is_symlink() => return Err(symlink_error(rel)),
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(Error::io(&full, e)),
            }
            if rel != "blobs" && !rel.starts_with("blobs/") {
                return Ok(());
            }
            // Blob files may be links (bosh-cli links them into its .blobs cache); directories may not.
            for entry in std::fs::read_dir(&full).map_err(|e| Error::io(&full, e))? {
                let entry = entry.map_err(|e| Error::io(&full, e))?;
                let ft = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
                let name = format!("{rel}/{}", entry.file_name().to_string_lossy());
                if ft.is_dir() {
                    walk(root, &name)?;
                } else if ft.is_symlink() && entry.path().is_dir() {
                    return Err(symlink_error(&name));
                } else if ft.is_symlink() && !link_stays_inside(root, &entry.path()) {
                    return Err(Error::Parse {
                        file: name,
                        message: "is a symbolic link out of the checkout; refusing to follow it".into(),
                    });
                }
            }
            Ok(())
        }
        for top in ["config", "packages", "blobs"] {
            walk(&self.root, top)?;
        }
        Ok(())
    }
}

/// Whether the symbolic link `link` (under `root`) resolves inside `root`: by the real paths when
/// its target exists, else lexically (a dangling link is written through by a copy).
fn link_stays_inside(root: &Path, link: &Path) -> bool {
    if let (Ok(target), Ok(root)) = (std::fs::canonicalize(link), std::fs::canonicalize(root)) {
        return target.starts_with(root);
    }
    let Ok(target) = std::fs::read_link(link) else { return false };
    let Some(dir) = link.parent() else { return false };
    let (Ok(target), Ok(root)) = (std::path::absolute(dir.join(target)), std::path::absolute(root)) else {
        return false;
    };
    let normal = |p: &Path| {
        let mut out = PathBuf::new();
        for c in p.components() {
            match c {
                std::path::Component::ParentDir => {
                    out.pop();
                }
                std::path::Component::CurDir => {}
                other => out.push(other),
            }
        }
        out
    };
    normal(&target).starts_with(normal(&root))
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub blobs: BlobsFile,
    /// The text of config/final.yml (parsed only by steps that need the blobstore).
    pub final_yml: Option<String>,
    /// Package directory name → spec.
    pub specs: BTreeMap<String, PackageSpec>,
    /// Package directory name → spec.lock (vendored packages).
    pub spec_locks: BTreeMap<String, SpecLock>,
    /// go.mod path → parsed go.mod.
    pub go_mods: BTreeMap<String, GoMod>,
}

/// A release's files in memory, for the unit tests of what reads them.
#[cfg(test)]
pub(crate) struct MemFiles(pub Vec<(String, String)>);

#[cfg(test)]
impl MemFiles {
    pub fn of(files: &[(&str, &str)]) -> MemFiles {
        MemFiles(files.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect())
    }
}

#[cfg(test)]
impl RepoFiles for MemFiles {
    fn paths(&self) -> Result<Vec<String>> {
        Ok(self.0.iter().map(|(p, _)| p.clone()).collect())
    }
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.0.iter().find(|(p, _)| p == path).map(|(_, t)| t.clone().into_bytes()))
    }
}

pub const BLOBS_YML: &str = "config/blobs.yml";
pub const FINAL_YML: &str = "config/final.yml";

fn text(path: &str, bytes: Vec<u8>) -> Result<String> {
    if bytes.len() > MAX_FILE {
        return Err(Error::Parse { file: path.into(), message: "is larger than 8 MiB; refusing to parse it".into() });
    }
    String::from_utf8(bytes).map_err(|_| Error::Parse { file: path.into(), message: "is not UTF-8 text".into() })
}

/// [`text`] for a YAML file: also refuses nesting the YAML parser would take minutes over.
fn yaml_text(path: &str, bytes: Vec<u8>) -> Result<String> {
    let t = text(path, bytes)?;
    crate::yaml::check_yaml_nesting(&t).map_err(|e| e.in_file(path))?;
    Ok(t)
}

impl Snapshot {
    pub fn read(files: &dyn RepoFiles) -> Result<Snapshot> {
        let mut snap = Snapshot::default();
        files.refuse_linked_dirs()?;
        if let Some(bytes) = files.read(BLOBS_YML)? {
            snap.blobs = BlobsFile::parse(&yaml_text(BLOBS_YML, bytes)?).map_err(|e| e.in_file(BLOBS_YML))?;
        }
        if let Some(bytes) = files.read(FINAL_YML)? {
            // Parsed (and its nesting checked) only by the steps that need the blobstore.
            snap.final_yml = Some(text(FINAL_YML, bytes)?);
        }
        let paths = files.paths()?;
        // A package whose spec is not a regular file (a symlink) is refused, not skipped: `paths`
        // lists regular files only, so ask for the spec of every package directory seen.
        let packages: std::collections::BTreeSet<&str> =
            paths.iter().filter_map(|p| p.strip_prefix("packages/")?.split_once('/').map(|(pkg, _)| pkg)).collect();
        for pkg in packages {
            let spec = format!("packages/{pkg}/spec");
            if !paths.contains(&spec) {
                files.read(&spec)?;
            }
        }
        for path in paths {
            let segments: Vec<&str> = path.split('/').collect();
            match segments.as_slice() {
                ["packages", pkg, "spec"] => {
                    let t = yaml_text(&path, files.read(&path)?.unwrap_or_default())?;
                    snap.specs.insert(pkg.to_string(), PackageSpec::parse(&t).map_err(|e| e.in_file(&path))?);
                }
                ["packages", pkg, "spec.lock"] => {
                    let t = yaml_text(&path, files.read(&path)?.unwrap_or_default())?;
                    snap.spec_locks.insert(pkg.to_string(), SpecLock::parse(&t).map_err(|e| e.in_file(&path))?);
                }
                [.., "go.mod"] => {
                    let t = text(&path, files.read(&path)?.unwrap_or_default())?;
                    snap.go_mods.insert(path.clone(), modfile::parse(&t).map_err(|e| e.in_file(&path))?);
                }
                _ => {}
            }
        }
        Ok(snap)
    }

    /// Package specs whose `files` name `blob_path` exactly or by a glob that matches it.
    pub fn specs_using_blob(&self, blob_path: &str) -> Vec<String> {
        self.specs
            .iter()
            .filter(|(_, spec)| spec.files.iter().any(|f| crate::release::glob::glob_matches(&f.pattern, blob_path)))
            .map(|(pkg, _)| format!("packages/{pkg}/spec"))
            .collect()
    }
}
