//! The edits of a blob bump, computed without touching the repository: the new
//! `config/blobs.yml` (written as bosh-cli writes it), package specs that name the old blob
//! exactly, and packaging scripts that name its file or stem. Everything else that still mentions
//! the old version is listed for a human ("check by hand"), never rewritten.
//!
//! Rules:
//! - the old entry is removed and the new one added (`bosh remove-blob` + `add-blob` +
//!   `upload-blobs`), other entries untouched;
//! - a spec line equal to the old blob path becomes the new path, on that line only, keeping its
//!   quoting and comments; a glob that matches both stays; a glob that matched the old blob but
//!   would not match the new one is an error naming the spec file and line (the package would lose
//!   its tarball);
//! - in `packages/*/packaging` and `pre_packaging`, the old blob's stem (its file name without
//!   `.tar.gz`/`.tgz`/`.zip`, usually the archive's top directory) becomes the new stem — which
//!   also rewrites the file name and the path;
//! - with [`BlobBump::rewrite_version_files`] (Go toolchain blobs), a file under `packages/` whose
//!   whole content is the old version, with or without one trailing newline, holds the new one
//!   (golang-release keeps the Go version in `packages/<pkg>/version`); the newline stays as it
//!   was.
//!
//! Several bumps apply one after the other to an overlay, so a grouped PR holds them all.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::release::blobs::{BlobEntry, BlobsFile};
use crate::release::glob::glob_matches;
use crate::release::snapshot::{BLOBS_YML, RepoFiles};
use crate::release::spec::PackageSpec;

/// Files larger than this are not scanned for mentions of old versions.
const MAX_SCANNED: usize = 512 * 1024;

/// One blob to replace.
#[derive(Debug, Clone)]
pub struct BlobBump {
    pub dependency: String,
    pub old_path: String,
    pub new_path: String,
    pub old_version: String,
    pub new_version: String,
    /// The entry of the new blob: `{size, object_id, sha: sha256:<hex>}`.
    pub entry: BlobEntry,
    /// Whether files under `packages/` holding just the old version are rewritten to the new one.
    pub rewrite_version_files: bool,
}

/// A line that still mentions an old version after the edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandCheck {
    pub path: String,
    pub line: usize,
    pub text: String,
    pub version: String,
}

#[derive(Debug, Clone, Default)]
pub struct Edits {
    /// New contents of every changed file.
    pub files: BTreeMap<String, Vec<u8>>,
    pub check_by_hand: Vec<HandCheck>,
}

impl Edits {
    fn read(&self, repo: &dyn RepoFiles, path: &str) -> Result<Option<Vec<u8>>> {
        match self.files.get(path) {
            Some(b) => Ok(Some(b.clone())),
            None => repo.read(path),
        }
    }

    fn read_text(&self, repo: &dyn RepoFiles, path: &str) -> Result<Option<String>> {
        match self.read(repo, path)? {
            Some(b) => String::from_utf8(b)
                .map(Some)
                .map_err(|_| Error::Parse { file: path.into(), message: "is not UTF-8 text".into() }),
            None => Ok(None),
        }
    }
}

/// The file name without the archive extension: `etcd-v3.3.15-linux-amd64`.
pub fn stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    for ext in [".tar.gz", ".tgz", ".zip", ".tar.xz", ".tar.bz2", ".tar"] {
        if let Some(s) = name.strip_suffix(ext) {
            return s;
        }
    }
    name
}

/// Applies `bumps` in order; returns the changed files and what to check by hand.
pub fn apply(repo: &dyn RepoFiles, bumps: &[BlobBump]) -> Result<Edits> {
    let mut edits = Edits::default();
    let paths = repo.paths()?;
    for bump in bumps {
        apply_one(repo, &paths, bump, &mut edits)?;
    }
    // Mentions left anywhere, after all edits: of each old version once (a Go toolchain's
    // platforms usually share theirs).
    let mut old_versions: Vec<&str> = Vec::new();
    for bump in bumps {
        if !old_versions.contains(&bump.old_version.as_str()) {
            old_versions.push(&bump.old_version);
        }
    }
    for old_version in old_versions {
        for path in &paths {
            if path == BLOBS_YML || path.ends_with("go.sum") || path.starts_with("releases/") {
                continue;
            }
            let Ok(Some(bytes)) = edits.read(repo, path) else { continue };
            // Text files only, and not huge ones: a mention in a binary is nobody's to check.
            if bytes.len() > MAX_SCANNED || bytes.contains(&0) {
                continue;
            }
            let Ok(text) = String::from_utf8(bytes) else { continue };
            for (i, line) in text.lines().enumerate() {
                if mentions(line, old_version) {
                    edits.check_by_hand.push(HandCheck {
                        path: path.clone(),
                        line: i + 1,
                        text: line.trim().chars().take(160).collect(),
                        version: old_version.to_string(),
                    });
                }
            }
        }
    }
    Ok(edits)
}

fn apply_one(repo: &dyn RepoFiles, paths: &[String], bump: &BlobBump, edits: &mut Edits) -> Result<()> {
    // config/blobs.yml
    let text = edits.read_text(repo, BLOBS_YML)?.unwrap_or_default();
    let mut blobs = BlobsFile::parse(&text).map_err(|e| e.in_file(BLOBS_YML))?;
    if blobs.entries.remove(&bump.old_path).is_none() {
        return Err(Error::dependency(&bump.dependency, format!("{BLOBS_YML} has no entry {}", bump.old_path)));
    }
    blobs.entries.insert(bump.new_path.clone(), bump.entry.clone());
    edits.files.insert(BLOBS_YML.into(), blobs.to_bosh_yaml().into_bytes());

    for path in paths {
        let segments: Vec<&str> = path.split('/').collect();
        match segments.as_slice() {
            ["packages", _, "spec"] => {
                let Some(text) = edits.read_text(repo, path)? else { continue };
                if let Some(new) = edit_spec(path, &text, bump)? {
                    edits.files.insert(path.clone(), new.into_bytes());
                }
            }
            ["packages", _, "packaging" | "pre_packaging"] => {
                let Some(text) = edits.read_text(repo, path)? else { continue };
                let (old, new) = (stem(&bump.old_path), stem(&bump.new_path));
                if !old.is_empty() && old != new && text.contains(old) {
                    edits.files.insert(path.clone(), text.replace(old, new).into_bytes());
                }
            }
            ["packages", ..] if bump.rewrite_version_files => {
                let Some(bytes) = edits.read(repo, path)? else { continue };
                if let Some(new) = version_file(&bytes, &bump.old_version, &bump.new_version) {
                    edits.files.insert(path.clone(), new);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The spec with exact references rewritten, `None` when unchanged; an error for a glob that
/// would stop matching.
fn edit_spec(path: &str, text: &str, bump: &BlobBump) -> Result<Option<String>> {
    let spec = PackageSpec::parse(text).map_err(|e| e.in_file(path))?;
    let mut lines: Vec<String> = text.split_inclusive('\n').map(String::from).collect();
    let mut changed = false;
    for f in &spec.files {
        if f.pattern == bump.old_path {
            let Some(line) = lines.get_mut(f.line - 1) else { continue };
            if line.contains(&bump.old_path) {
                *line = line.replacen(&bump.old_path, &bump.new_path, 1);
                changed = true;
            }
        } else if glob_matches(&f.pattern, &bump.old_path) && !glob_matches(&f.pattern, &bump.new_path) {
            return Err(Error::Parse {
                file: format!("{path}:{}", f.line),
                message: format!(
                    "files pattern {:?} matches {} but would not match {} (dependency {}); widen the pattern or set a constraint",
                    f.pattern, bump.old_path, bump.new_path, bump.dependency
                ),
            });
        }
    }
    Ok(changed.then(|| lines.concat()))
}

/// The new content of a file that holds just `old` (with or without one trailing newline, which
/// is kept), `None` for any other file.
fn version_file(bytes: &[u8], old: &str, new: &str) -> Option<Vec<u8>> {
    let (body, newline) = match bytes.strip_suffix(b"\n") {
        Some(body) => (body, "\n"),
        None => (bytes, ""),
    };
    (!old.is_empty() && old != new && body == old.as_bytes()).then(|| format!("{new}{newline}").into_bytes())
}

/// Whether `line` mentions `version` as a whole version (not as part of a longer one).
fn mentions(line: &str, version: &str) -> bool {
    let mut start = 0;
    while let Some(i) = line[start..].find(version) {
        let at = start + i;
        let before = line[..at].chars().next_back();
        let after_str = &line[at + version.len()..];
        let mut after = after_str.chars();
        let a0 = after.next();
        let a1 = after.next();
        let bad_before = before.is_some_and(|c| c.is_ascii_digit() || c == '.');
        let bad_after =
            a0.is_some_and(|c| c.is_ascii_digit()) || (a0 == Some('.') && a1.is_some_and(|c| c.is_ascii_digit()));
        if !bad_before && !bad_after {
            return true;
        }
        start = at + version.len();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_drop_the_archive_extension() {
        assert_eq!(stem("etcd/etcd-v3.3.15-linux-amd64.tar.gz"), "etcd-v3.3.15-linux-amd64");
        assert_eq!(stem("gnatsd-v1.4.1-linux-amd64.zip"), "gnatsd-v1.4.1-linux-amd64");
        assert_eq!(stem("go1.9.7.linux-amd64.tgz"), "go1.9.7.linux-amd64");
    }

    #[test]
    fn a_version_file_holds_just_the_version_and_keeps_its_newline_or_its_lack_of_one() {
        assert_eq!(version_file(b"1.26.6", "1.26.6", "1.26.7"), Some(b"1.26.7".to_vec()));
        assert_eq!(version_file(b"1.26.6\n", "1.26.6", "1.26.7"), Some(b"1.26.7\n".to_vec()));
        assert_eq!(version_file(b"1.26.6\n\n", "1.26.6", "1.26.7"), None, "one newline only");
        assert_eq!(version_file(b"1.26.61", "1.26.6", "1.26.7"), None);
        assert_eq!(version_file(b"go 1.26.6\n", "1.26.6", "1.26.7"), None);
        assert_eq!(version_file(b" 1.26.6", "1.26.6", "1.26.7"), None);
    }

    #[test]
    fn mentions_are_whole_versions() {
        assert!(mentions("ETCD_VERSION=\"3.3.15\"", "3.3.15"));
        assert!(mentions("uses v3.3.15.", "3.3.15"));
        assert!(!mentions("3.3.150", "3.3.15"));
        assert!(!mentions("13.3.15", "3.3.15"));
        assert!(!mentions("3.3.15.1", "3.3.15"));
    }
}
