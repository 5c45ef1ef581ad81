//! The whole history of a remote's default branch, for reading a source release: its final
//! release manifests name the commit each release was made from by a short hash (`a501ec8`), and
//! the files there (`packages/<pkg>/version`) say what each package holds.
//!
//! One connection per look-up: the ref advertisement says where the default branch is; when the
//! caller already has the answer for that commit, nothing else is sent. Otherwise the branch is
//! fetched with its full history (never shallow: old commits are read) into a cached bare clone of
//! its own, apart from the shallow clone of a release's base branch, so only what is new arrives.
//! A damaged clone costs only time: it is removed and the work done once more from scratch. A
//! clone made by this very look-up (a cold cache) is not to blame: its first failure is the error.

use std::path::Path;

use git2::{Direction, FetchOptions, Oid, Repository};

use super::{
    BaseCommit, GitRemote, GitTreeFiles, holds_an_earlier_fetch, is_local_corruption, open_or_init, remove_clone,
    tree_files,
};
use crate::cache::Cache;
use crate::error::{Error, ErrorKind, Result};

/// Where the fetched default branch is kept in the cached clone.
const HISTORY_REF: &str = "refs/currency/history";

/// Reads the head of `remote`'s default branch with the whole history behind it.
///
/// `known(head)` is asked first, right after the ref advertisement: when it gives the answer (one
/// computed from this very commit before), nothing is fetched. Otherwise the branch is fetched —
/// only what the cached clone lacks — and `read` computes the answer from the fetched commit. A
/// fetch or a read that fails on the cached clone itself (missing or corrupt objects) removes the
/// clone and starts over once, when an earlier run left that clone; on a cold cache the first
/// failure is the error. Without a cache, a temporary clone is used and removed.
pub fn read_history<T>(
    remote: &GitRemote<'_>,
    cache: &Cache,
    known: impl Fn(Oid) -> Option<T>,
    read: impl Fn(&BaseCommit) -> Result<T>,
) -> Result<T> {
    let (dir, tmp) = match cache.git_dir(&format!("{}#history", remote.url)) {
        Some(dir) => (dir, None),
        None => {
            let t = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let warm = tmp.is_none() && Repository::open_bare(&dir).is_ok_and(|repo| holds_an_earlier_fetch(&repo));
    match attempt(&dir, remote, &known, &read) {
        Err(e) if warm && damaged(&e) => {
            crate::log!("git cache {} unusable ({e}); fetching afresh", dir.display());
            remove_clone(&dir);
            attempt(&dir, remote, &known, &read)
        }
        done => done,
    }
}

/// Whether `e` says the cached clone is damaged, not the remote or its contents.
fn damaged(e: &Error) -> bool {
    matches!(e, Error::LocalGit { .. }) || is_local_corruption(e)
}

fn attempt<T>(
    dir: &Path,
    remote: &GitRemote<'_>,
    known: &impl Fn(Oid) -> Option<T>,
    read: &impl Fn(&BaseCommit) -> Result<T>,
) -> Result<T> {
    let repo = open_or_init(dir)?;
    let (commit, branch) = match fetch_default_branch(&repo, remote, known)? {
        Head::Known(answer) => return Ok(answer),
        Head::Fetched { commit, branch } => (commit, branch),
    };
    read(&BaseCommit { repo, commit, branch, _tmp: None })
}

enum Head<T> {
    Known(T),
    Fetched { commit: Oid, branch: String },
}

/// Connects once, resolves the default branch from the advertisement, and — unless `known` has
/// the answer for its head — downloads what the clone lacks of its full history.
fn fetch_default_branch<T>(
    repo: &Repository,
    remote: &GitRemote<'_>,
    known: &impl Fn(Oid) -> Option<T>,
) -> Result<Head<T>> {
    let mut r = repo.remote_anonymous(remote.url).map_err(|e| remote.error(e))?;
    let mut conn = r.connect_auth(Direction::Fetch, Some(remote.callbacks()), None).map_err(|e| remote.error(e))?;
    let head = conn.default_branch().map_err(|e| remote.error(e))?;
    let head = head.as_str().unwrap_or_default().to_string();
    let commit = conn
        .list()
        .map_err(|e| remote.error(e))?
        .iter()
        .find(|h| h.name() == head)
        .map(|h| h.oid())
        .ok_or_else(|| Error::git(remote.display_url(), ErrorKind::NotFound, "has no default branch"))?;
    if let Some(answer) = known(commit) {
        return Ok(Head::Known(answer));
    }
    if repo.find_commit(commit).is_err() {
        let mut fo = FetchOptions::new();
        fo.remote_callbacks(remote.callbacks());
        let spec = format!("+{head}:{HISTORY_REF}");
        conn.remote().download(&[spec.as_str()], Some(&mut fo)).map_err(|e| remote.error(e))?;
        conn.remote()
            .update_tips(None, git2::RemoteUpdateFlags::empty(), git2::AutotagOption::None, None)
            .map_err(|e| remote.error(e))?;
        repo.find_commit(commit).map_err(|e| remote.error(e))?;
    }
    let branch = head.strip_prefix("refs/heads/").unwrap_or(&head).to_string();
    Ok(Head::Fetched { commit, branch })
}

/// The files of the commit whose hash starts with `short`: 4 to 40 hex digits, as a final release
/// manifest's `commit_hash` gives it. `None` when no commit of `repo` has that hash, or several
/// do; anything but hex digits (revision syntax such as `HEAD~1`) is never resolved.
pub fn files_at<'r>(repo: &'r Repository, short: &str) -> Result<Option<GitTreeFiles<'r>>> {
    if !(4..=40).contains(&short.len()) || !short.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let short = short.to_ascii_lowercase();
    let commit = match repo.find_object_by_prefix(&short, None) {
        Ok(object) => object.as_commit().map(|c| c.id()),
        Err(e) if e.code() == git2::ErrorCode::NotFound => None,
        // A short hash can also start another object's id (a blob, a tree): look among commits.
        Err(e) if e.code() == git2::ErrorCode::Ambiguous => unique_commit(repo, &short)?,
        Err(e) => return Err(Error::local_git(format!("commit {short}"), e)),
    };
    commit.map(|c| tree_files(repo, c)).transpose()
}

/// The one commit reachable from the clone's refs whose hash starts with `short`.
fn unique_commit(repo: &Repository, short: &str) -> Result<Option<Oid>> {
    let git = |e: git2::Error| Error::local_git(format!("commit {short}"), e);
    let mut walk = repo.revwalk().map_err(git)?;
    for reference in repo.references().map_err(git)? {
        if let Some(target) = reference.map_err(git)?.target() {
            walk.push(target).map_err(git)?;
        }
    }
    let mut found = None;
    for oid in walk {
        let oid = oid.map_err(git)?;
        if oid.to_string().starts_with(short) {
            if found.is_some() {
                return Ok(None);
            }
            found = Some(oid);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use git2::ObjectType;

    use crate::release::snapshot::RepoFiles;

    /// A repository whose one commit holds `packages/golang-1.26-linux/version`, kept by a ref.
    fn repo_with_version(dir: &Path) -> (Repository, Oid) {
        let repo = Repository::init_bare(dir).unwrap();
        let commit = {
            let dir = |entries: &[(&str, Oid, i32)]| {
                let mut b = repo.treebuilder(None).unwrap();
                for (name, oid, mode) in entries {
                    b.insert(name, *oid, *mode).unwrap();
                }
                b.write().unwrap()
            };
            let version = dir(&[("version", repo.blob(b"1.26.3").unwrap(), 0o100644)]);
            let packages = dir(&[("golang-1.26-linux", version, 0o040000)]);
            let root = dir(&[("packages", packages, 0o040000)]);
            let tree = repo.find_tree(root).unwrap();
            let sig = git2::Signature::now("t", "t@example.com").unwrap();
            repo.commit(Some(HISTORY_REF), &sig, &sig, "Final release 0.1.0", &tree, &[]).unwrap()
        };
        (repo, commit)
    }

    fn version_at(repo: &Repository, short: &str) -> Option<Vec<u8>> {
        files_at(repo, short).unwrap().map(|f| f.read("packages/golang-1.26-linux/version").unwrap().unwrap())
    }

    #[test]
    fn files_at_an_abbreviated_commit_hash_are_read_and_an_unknown_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let (repo, commit) = repo_with_version(dir.path());
        let hex = commit.to_string();
        assert_eq!(version_at(&repo, &hex[..7]).as_deref(), Some(&b"1.26.3"[..]));
        assert_eq!(version_at(&repo, &hex.to_uppercase()).as_deref(), Some(&b"1.26.3"[..]), "full, any case");
        let other = if hex.starts_with('0') { "1111111" } else { "0000000" };
        assert!(files_at(&repo, other).unwrap().is_none());
        assert!(files_at(&repo, "HEAD~1").unwrap().is_none(), "only hashes, never other revision syntax");
        assert!(files_at(&repo, &hex[..3]).unwrap().is_none(), "fewer than 4 digits");
        assert!(files_at(&repo, &format!("{hex}0")).unwrap().is_none(), "more than 40 digits");
        let tree = repo.find_commit(commit).unwrap().tree_id().to_string();
        assert!(files_at(&repo, &tree[..8]).unwrap().is_none(), "a tree's hash is not a commit's");
    }

    #[test]
    fn a_short_hash_that_also_starts_a_blob_id_still_finds_the_commit() {
        let dir = tempfile::tempdir().unwrap();
        let (repo, commit) = repo_with_version(dir.path());
        let prefix = &commit.to_string()[..4];
        // A blob whose id starts like the commit's: found by hashing, then written.
        let blob = (0u64..)
            .map(|i| format!("collision {i}"))
            .find(|data| Oid::hash_object(ObjectType::Blob, data.as_bytes()).unwrap().to_string().starts_with(prefix))
            .unwrap();
        repo.blob(blob.as_bytes()).unwrap();
        let e = repo.find_object_by_prefix(prefix, None).unwrap_err();
        assert_eq!(e.code(), git2::ErrorCode::Ambiguous, "the prefix is ambiguous among objects");
        assert_eq!(version_at(&repo, prefix).as_deref(), Some(&b"1.26.3"[..]));
    }
}
