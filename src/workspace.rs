//! git: fetch the base branch of the release repository (one shallow fetch, kept in the check
//! cache so the next check downloads only what is new, or nothing), and read its files straight
//! from the object database.
//!
//! Transports: `https://` (the token as the password of `x-access-token`), ssh (`private_key`;
//! host keys are not verified, as with Concourse's git resource), `file://` and plain paths
//! (full fetch: libgit2's local transport cannot fetch shallow). Credentials are offered once; a
//! rejected credential fails instead of looping. URLs in errors carry no credentials.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::Path;

use git2::{
    Cred, CredentialType, Direction, FetchOptions, Oid, RemoteCallbacks, Repository, TreeWalkMode, TreeWalkResult,
};

use crate::cache::Cache;
use crate::error::{Error, ErrorKind, Result};
use crate::release::snapshot::{PRUNED_DIRS, RepoFiles};
use crate::secrets::{Secret, strip_url_credentials};
use crate::source::Source;

mod history;
pub use history::{files_at, read_history};

/// How to reach the release repository.
#[derive(Clone, Copy)]
pub struct GitRemote<'a> {
    pub url: &'a str,
    pub token: Option<&'a Secret>,
    pub private_key: Option<&'a Secret>,
    pub skip_ssl_verification: bool,
}

/// Gives libgit2 the timeouts every HTTP client has (`crate::http::timeouts`): without them a
/// git server that accepts and never answers would hold a step for ever. Once per process.
fn set_git_timeouts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let (connect, read) = crate::http::timeouts();
        let ms = |d: std::time::Duration| d.as_millis().clamp(1, i32::MAX as u128) as std::ffi::c_int;
        // SAFETY: libgit2 global options, set once before this process opens any connection.
        unsafe {
            let _ = git2::opts::set_server_connect_timeout_in_milliseconds(ms(connect));
            let _ = git2::opts::set_server_timeout_in_milliseconds(ms(read));
        }
    });
}

impl<'a> GitRemote<'a> {
    pub fn of(source: &'a Source) -> GitRemote<'a> {
        set_git_timeouts();
        GitRemote {
            url: &source.git_url,
            token: source.access_token.as_ref(),
            private_key: source.private_key.as_ref(),
            skip_ssl_verification: source.skip_ssl_verification,
        }
    }

    /// A remote reached with `token` only (an upstream such as a source release: no ssh key).
    pub fn new(url: &'a str, token: Option<&'a Secret>, skip_ssl_verification: bool) -> GitRemote<'a> {
        set_git_timeouts();
        GitRemote { url, token, private_key: None, skip_ssl_verification }
    }

    fn is_local(&self) -> bool {
        self.url.starts_with("file://") || self.url.starts_with('/')
    }

    pub fn display_url(&self) -> String {
        strip_url_credentials(self.url)
    }

    /// libgit2's error as this remote's: a rejected credential (libgit2 says so by its code, or
    /// only in its message) is [`ErrorKind::Unauthorized`] and names the key to check; a
    /// repository that is not there (HTTP 404, a path that does not exist) says so.
    fn error(&self, e: git2::Error) -> Error {
        let mut message = e.message().to_string();
        let rejected = e.code() == git2::ErrorCode::Auth
            || message.contains("authentication")
            || e.class() == git2::ErrorClass::Http && message.contains("401");
        let kind = if rejected {
            message = format!(
                "authentication failed ({message}); check {}",
                if self.private_key.is_some() { "source.private_key" } else { "source.access_token" }
            );
            ErrorKind::Unauthorized
        } else if message.ends_with("status code: 404") || message.starts_with("failed to resolve path") {
            message = format!("repository not found ({message})");
            ErrorKind::NotFound
        } else if e.code() == git2::ErrorCode::NotFound {
            ErrorKind::NotFound
        } else {
            ErrorKind::UpstreamBroken
        };
        Error::Git { url: self.display_url(), message, kind, source: Some(e) }
    }

    /// Callbacks that offer each credential once and honour `skip_ssl_verification`.
    pub fn callbacks(&self) -> RemoteCallbacks<'a> {
        let mut cb = RemoteCallbacks::new();
        let tried = Cell::new(false);
        let token = self.token;
        let key = self.private_key;
        cb.credentials(move |_url, username, allowed| {
            // For an ssh URL without a user, libgit2 first asks for the user name alone; that
            // question is not a credential attempt.
            if allowed == CredentialType::USERNAME {
                return Cred::username(username.unwrap_or("git"));
            }
            if tried.replace(true) {
                return Err(git2::Error::new(git2::ErrorCode::Auth, git2::ErrorClass::Http, "authentication rejected"));
            }
            if allowed.contains(CredentialType::SSH_KEY)
                && let Some(k) = key
            {
                return Cred::ssh_key_from_memory(username.unwrap_or("git"), None, k.expose(), None);
            }
            if allowed.contains(CredentialType::USER_PASS_PLAINTEXT)
                && let Some(t) = token
            {
                return Cred::userpass_plaintext("x-access-token", t.expose());
            }
            if allowed.contains(CredentialType::USERNAME) {
                return Cred::username(username.unwrap_or("git"));
            }
            Err(git2::Error::new(
                git2::ErrorCode::Auth,
                git2::ErrorClass::Http,
                "authentication required and no credential configured",
            ))
        });
        let skip = self.skip_ssl_verification;
        cb.certificate_check(move |cert, _host| {
            if skip || cert.as_hostkey().is_some() {
                Ok(git2::CertificateCheckStatus::CertificateOk)
            } else {
                Ok(git2::CertificateCheckStatus::CertificatePassthrough)
            }
        });
        cb
    }
}

/// The base branch at the commit just fetched.
pub struct BaseCommit {
    pub repo: Repository,
    pub commit: Oid,
    pub branch: String,
    _tmp: Option<tempfile::TempDir>,
}

impl BaseCommit {
    pub fn files(&self) -> Result<GitTreeFiles<'_>> {
        let tree =
            self.repo.find_commit(self.commit).and_then(|c| c.tree()).map_err(|e| Error::local_git("cache", e))?;
        Ok(GitTreeFiles { repo: &self.repo, tree })
    }
}

/// The files of any commit in `repo`.
pub fn tree_files(repo: &Repository, commit: Oid) -> Result<GitTreeFiles<'_>> {
    let tree = repo.find_commit(commit).and_then(|c| c.tree()).map_err(|e| Error::local_git("local", e))?;
    Ok(GitTreeFiles { repo, tree })
}

/// Fetches `branch` (or the remote's default branch) into the cached bare repository.
pub fn fetch_base(remote: &GitRemote<'_>, branch: Option<&str>, cache: &Cache) -> Result<BaseCommit> {
    fetch_with_branches(remote, branch, None, cache).map(|f| f.base)
}

/// The base branch and the existing branches under a prefix, fetched in one connection.
pub struct Fetched {
    pub base: BaseCommit,
    /// Branch name (without `refs/heads/`) → commit, for every remote branch under the prefix.
    pub branches: BTreeMap<String, Oid>,
}

/// Fetches the base branch and, with a `prefix`, every branch starting with it (the bump
/// branches), so `out` can tell which bumps exist and who pushed them. A fetch that fails on a
/// cached clone an earlier run left damaged is done once more into a fresh one; into a clone made
/// by this run (a cold cache), the first failure is the error.
pub fn fetch_with_branches(
    remote: &GitRemote<'_>,
    branch: Option<&str>,
    prefix: Option<&str>,
    cache: &Cache,
) -> Result<Fetched> {
    let (dir, tmp) = match cache.git_dir(remote.url) {
        Some(d) => (d, None),
        None => {
            let t = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let repo = open_or_init(&dir)?;
    let warm = tmp.is_none() && holds_an_earlier_fetch(&repo);
    let (commit, branch, branches) = match fetch_into(&repo, remote, branch, prefix) {
        Ok(done) => done,
        Err(e) if warm && is_local_corruption(&e) => {
            // A damaged cache only costs time: start over with a fresh clone.
            crate::log!("git cache {} unusable; fetching afresh", dir.display());
            drop(repo);
            let _ = std::fs::remove_dir_all(&dir);
            let repo = open_or_init(&dir)?;
            let (commit, branch, branches) = fetch_into(&repo, remote, branch, prefix)?;
            return Ok(Fetched { base: BaseCommit { repo, commit, branch, _tmp: tmp }, branches });
        }
        Err(e) => return Err(e),
    };
    Ok(Fetched { base: BaseCommit { repo, commit, branch, _tmp: tmp }, branches })
}

/// Whether libgit2's error behind a failed fetch says the cached repository itself is damaged
/// (its objects or shallow state), judged on libgit2's message alone, not on the URL around it.
fn is_local_corruption(e: &Error) -> bool {
    let Error::Git { source: Some(git), .. } = e else { return false };
    let m = git.message();
    m.contains("object not found") || m.contains("corrupt") || m.contains("shallow") || m.contains("odb")
}

/// Whether a cached clone holds what an earlier run fetched (a ref or an object): only such a
/// clone can be to blame for a failed fetch. An empty one, just made, is a cold cache, and a fetch
/// into it that fails failed at the remote — trying it again would only repeat the error.
fn holds_an_earlier_fetch(repo: &Repository) -> bool {
    let has_ref = repo.references().map_or(true, |mut refs| refs.next().is_some());
    let has_object = repo.odb().map_or(true, |odb| {
        let mut any = false;
        // Stopped at the first object; an object database that cannot be listed holds something.
        let listed = odb.foreach(|_| {
            any = true;
            false
        });
        any || listed.is_err()
    });
    has_ref || has_object
}

/// Removes a cached clone, whatever is there (a directory, or a file where one should be).
fn remove_clone(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir).or_else(|_| std::fs::remove_file(dir));
}

fn open_or_init(dir: &Path) -> Result<Repository> {
    if let Ok(r) = Repository::open_bare(dir) {
        return Ok(r);
    }
    remove_clone(dir);
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    Repository::init_bare(dir).map_err(|e| Error::local_git(dir.display().to_string(), e))
}

/// Connects once, resolves the base branch (the remote's default branch when `branch` is
/// `None`), and downloads — shallow where the transport allows — the base and every branch
/// starting with `prefix` whose commit is not already here.
fn fetch_into(
    repo: &Repository,
    remote: &GitRemote<'_>,
    branch: Option<&str>,
    prefix: Option<&str>,
) -> Result<(Oid, String, BTreeMap<String, Oid>)> {
    let mut r = repo.remote_anonymous(remote.url).map_err(|e| remote.error(e))?;
    let mut conn = r.connect_auth(Direction::Fetch, Some(remote.callbacks()), None).map_err(|e| remote.error(e))?;
    let base_branch = match branch {
        Some(b) => b.to_string(),
        None => {
            let head = conn.default_branch().map_err(|e| remote.error(e))?;
            let head = head.as_str().unwrap_or_default();
            head.strip_prefix("refs/heads/").unwrap_or(head).to_string()
        }
    };
    let mut base_oid = None;
    let mut branches = BTreeMap::new();
    for h in conn.list().map_err(|e| remote.error(e))? {
        let Some(name) = h.name().strip_prefix("refs/heads/") else { continue };
        if name == base_branch {
            base_oid = Some(h.oid());
        } else if prefix.is_some_and(|p| name.starts_with(p)) {
            branches.insert(name.to_string(), h.oid());
        }
    }
    let base_oid = base_oid.ok_or_else(|| {
        Error::git(remote.display_url(), ErrorKind::NotFound, format!("branch {base_branch:?} not found"))
    })?;
    let mut specs = Vec::new();
    if repo.find_commit(base_oid).is_err() {
        specs.push(format!("+refs/heads/{base_branch}:refs/currency/base"));
    }
    for (name, oid) in &branches {
        if repo.find_commit(*oid).is_err() {
            specs.push(format!("+refs/heads/{name}:refs/currency/branches/{name}"));
        }
    }
    if !specs.is_empty() {
        let mut fo = FetchOptions::new();
        fo.remote_callbacks(remote.callbacks());
        if !remote.is_local() {
            fo.depth(1);
        }
        let refs: Vec<&str> = specs.iter().map(String::as_str).collect();
        conn.remote().download(&refs, Some(&mut fo)).map_err(|e| remote.error(e))?;
        conn.remote()
            .update_tips(None, git2::RemoteUpdateFlags::empty(), git2::AutotagOption::None, None)
            .map_err(|e| remote.error(e))?;
        repo.find_commit(base_oid).map_err(|e| remote.error(e))?;
    }
    Ok((base_oid, base_branch, branches))
}

/// The files of one commit, read from the object database.
pub struct GitTreeFiles<'r> {
    repo: &'r Repository,
    tree: git2::Tree<'r>,
}

impl RepoFiles for GitTreeFiles<'_> {
    fn paths(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        self.tree
            .walk(TreeWalkMode::PreOrder, |dir, entry| {
                let name = entry.name().unwrap_or_default();
                match entry.kind() {
                    Some(git2::ObjectType::Tree) if PRUNED_DIRS.contains(&name) => TreeWalkResult::Skip,
                    // Only regular files: symlinks (mode 120000) and submodules are not read.
                    Some(git2::ObjectType::Blob) if entry.filemode() & 0o170000 == 0o100000 => {
                        out.push(format!("{dir}{name}"));
                        TreeWalkResult::Ok
                    }
                    _ => TreeWalkResult::Ok,
                }
            })
            .map_err(|e| Error::local_git("tree", e))?;
        Ok(out)
    }

    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let entry = match self.tree.get_path(Path::new(path)) {
            Ok(e) => e,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(Error::local_git(path, e)),
        };
        if entry.filemode() & 0o170000 != 0o100000 {
            return Err(Error::Parse { file: path.into(), message: "is not a regular file (symlink?)".into() });
        }
        let blob = self.repo.find_blob(entry.id()).map_err(|e| Error::local_git(path, e))?;
        Ok(Some(blob.content().to_vec()))
    }
}

/// Commits `files` (path → new contents) on top of `parent`, removing `removed` paths, and
/// returns the new commit; the file modes of existing paths are kept. No ref is moved.
pub fn commit_changes(
    repo: &Repository,
    parent: Oid,
    files: &BTreeMap<String, Vec<u8>>,
    removed: &[String],
    author: &crate::source::GitAuthor,
    message: &str,
) -> Result<Oid> {
    let git = |e: git2::Error| Error::local_git("local commit", e);
    let parent = repo.find_commit(parent).map_err(git)?;
    let base_tree = parent.tree().map_err(git)?;
    let mut update = git2::build::TreeUpdateBuilder::new();
    for (path, bytes) in files {
        let mode = base_tree
            .get_path(Path::new(path))
            .ok()
            .map(|e| e.filemode())
            .filter(|m| *m == 0o100755)
            .map(|_| git2::FileMode::BlobExecutable)
            .unwrap_or(git2::FileMode::Blob);
        let oid = repo.blob(bytes).map_err(git)?;
        update.upsert(path.as_str(), oid, mode);
    }
    for path in removed {
        update.remove(path.as_str());
    }
    let tree_oid = update.create_updated(repo, &base_tree).map_err(git)?;
    let tree = repo.find_tree(tree_oid).map_err(git)?;
    let sig = git2::Signature::now(&author.name, &author.email).map_err(git)?;
    repo.commit(None, &sig, &sig, message, &tree, &[&parent]).map_err(git)
}

/// Author and committer e-mail of a commit.
pub fn commit_identity(repo: &Repository, oid: Oid) -> Result<(String, String)> {
    let c = repo.find_commit(oid).map_err(|e| Error::local_git("local", e))?;
    Ok((c.author().email().unwrap_or_default().to_string(), c.committer().email().unwrap_or_default().to_string()))
}

/// What a leased push found.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    /// The branch now points at the commit.
    Done,
    /// The remote moved since the fetch (another run pushed the branch, someone committed to it,
    /// or the base branch advanced); nothing was changed. The text says what moved.
    Moved(String),
}

fn short(oid: Option<Oid>) -> String {
    match oid {
        Some(o) => o.to_string()[..10].to_string(),
        None => "absent".to_string(),
    }
}

/// The remote's `refs/heads/<name>` for each of `names`, read in one connection.
fn remote_heads(repo: &Repository, remote: &GitRemote<'_>, names: &[&str]) -> Result<Vec<Option<Oid>>> {
    let mut r = repo.remote_anonymous(remote.url).map_err(|e| remote.error(e))?;
    let conn = r.connect_auth(Direction::Push, Some(remote.callbacks()), None).map_err(|e| remote.error(e))?;
    let heads = conn.list().map_err(|e| remote.error(e))?;
    Ok(names
        .iter()
        .map(|n| {
            let full = format!("refs/heads/{n}");
            heads.iter().find(|h| h.name() == full).map(|h| h.oid())
        })
        .collect())
}

/// Pushes `commit` to `refs/heads/<branch>` with force-with-lease semantics: only while the
/// remote branch is still at `expected` (`None`: the branch must not exist) and the base branch
/// is still at `base.1`, the commit the bump was planned on.
///
/// Three checks close the window: the refs are read just before the push; libgit2's
/// push negotiation compares the branch in the push's own advertisement; and the update sent to
/// `git receive-pack` names the old value, which the server checks under its ref lock. Any of
/// them finding a change yields `Moved` (nothing pushed) so the caller can plan again; a push
/// refused for another reason (a hook, branch protection) is an error naming the branch.
pub fn push_leased(
    repo: &Repository,
    remote: &GitRemote<'_>,
    commit: Oid,
    branch: &str,
    expected: Option<Oid>,
    base: (&str, Oid),
) -> Result<Pushed> {
    let now = remote_heads(repo, remote, &[base.0, branch])?;
    if now[0] != Some(base.1) {
        return Ok(Pushed::Moved(format!(
            "base branch {} moved from {} to {}",
            base.0,
            short(Some(base.1)),
            short(now[0])
        )));
    }
    if now[1] != expected {
        return Ok(Pushed::Moved(format!("branch {branch} moved from {} to {}", short(expected), short(now[1]))));
    }
    let local = format!("refs/currency/push/{branch}");
    repo.reference(&local, commit, true, "currency push").map_err(|e| Error::local_git("local", e))?;
    let target = format!("refs/heads/{branch}");
    let mut r = repo.remote_anonymous(remote.url).map_err(|e| remote.error(e))?;
    let rejected = std::cell::RefCell::new(None::<String>);
    let moved = std::cell::RefCell::new(None::<String>);
    let mut cb = remote.callbacks();
    cb.push_negotiation(|updates| {
        for u in updates {
            if u.dst_refname().ok() != Some(target.as_str()) {
                continue;
            }
            let found = (!u.src().is_zero()).then(|| u.src());
            if found != expected {
                *moved.borrow_mut() =
                    Some(format!("branch {branch} moved from {} to {}", short(expected), short(found)));
                return Err(git2::Error::from_str("remote branch moved"));
            }
        }
        Ok(())
    });
    cb.push_update_reference(|refname, status| {
        if let Some(msg) = status {
            *rejected.borrow_mut() = Some(format!("{refname}: {msg}"));
        }
        Ok(())
    });
    let mut po = git2::PushOptions::new();
    po.remote_callbacks(cb);
    let spec = format!("+{local}:{target}");
    let pushed = r.push(&[spec.as_str()], Some(&mut po));
    drop(po);
    if let Some(why) = moved.into_inner() {
        return Ok(Pushed::Moved(why));
    }
    pushed.map_err(|e| remote.error(e))?;
    if let Some(msg) = rejected.into_inner() {
        // receive-pack refuses a stale old value under its lock; tell that apart from a refusal
        // by policy by looking again.
        let now = remote_heads(repo, remote, &[branch])?;
        if now[0] != expected && now[0] != Some(commit) {
            return Ok(Pushed::Moved(format!("branch {branch} moved from {} to {}", short(expected), short(now[0]))));
        }
        return Err(Error::git(remote.display_url(), ErrorKind::Conflict, format!("push rejected: {msg}")));
    }
    Ok(Pushed::Done)
}

/// Writes the tree of `commit` into `dir` (a plain directory, no `.git`).
pub fn checkout_to(repo: &Repository, commit: Oid, dir: &Path) -> Result<()> {
    let git = |e: git2::Error| Error::local_git("local checkout", e);
    let tree = repo.find_commit(commit).and_then(|c| c.tree()).map_err(git)?;
    let mut co = git2::build::CheckoutBuilder::new();
    co.target_dir(dir).force().recreate_missing(true);
    repo.checkout_tree(tree.as_object(), Some(&mut co)).map_err(git)
}

/// Changes to a tree: changed or added path → contents, and removed paths.
#[derive(Debug, Clone, Default)]
pub struct TreeChanges {
    pub changed: BTreeMap<String, Vec<u8>>,
    pub removed: Vec<String>,
}

impl TreeChanges {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.removed.is_empty()
    }
}

/// Files under `subdir` of the checkout `dir` that differ from `commit`'s tree.
pub fn changes_under(repo: &Repository, commit: Oid, dir: &Path, subdir: &str) -> Result<TreeChanges> {
    let git = |e: git2::Error| Error::local_git("local checkout", e);
    let tree = repo.find_commit(commit).and_then(|c| c.tree()).map_err(git)?;
    let mut on_disk = Vec::new();
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
        for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let ft = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
            if ft.is_dir() {
                walk(root, &entry.path(), out)?;
            } else if ft.is_file() {
                let rel = entry.path().strip_prefix(root).expect("under root").to_string_lossy().replace('\\', "/");
                out.push(rel);
            }
        }
        Ok(())
    }
    let start = if subdir.is_empty() { dir.to_path_buf() } else { dir.join(subdir) };
    if start.is_dir() {
        walk(dir, &start, &mut on_disk)?;
    }
    let mut changed = BTreeMap::new();
    for rel in &on_disk {
        let full = dir.join(rel);
        let oid = Oid::hash_file(git2::ObjectType::Blob, &full).map_err(git)?;
        if tree.get_path(Path::new(rel)).map(|e| e.id()).ok() != Some(oid) {
            changed.insert(rel.clone(), std::fs::read(&full).map_err(|e| Error::io(&full, e))?);
        }
    }
    let mut removed = Vec::new();
    let prefix = if subdir.is_empty() { String::new() } else { format!("{}/", subdir.trim_end_matches('/')) };
    let present: std::collections::BTreeSet<&String> = on_disk.iter().collect();
    tree.walk(TreeWalkMode::PreOrder, |parent, entry| {
        if entry.kind() == Some(git2::ObjectType::Blob) {
            let path = format!("{parent}{}", entry.name().unwrap_or_default());
            if path.starts_with(&prefix) && !present.contains(&path) {
                removed.push(path);
            }
        }
        TreeWalkResult::Ok
    })
    .map_err(git)?;
    Ok(TreeChanges { changed, removed })
}
