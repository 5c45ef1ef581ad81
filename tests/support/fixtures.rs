//! Git fixtures: BOSH release repositories made from `tests/fixtures/releases/<name>/`, pushed to
//! bare repositories, and small helpers to change and read them. Everything goes through the git
//! CLI with an isolated environment (a throw-away HOME, no system config, fixed identity and dates)
//! so a developer's git config cannot leak in and commit ids are reproducible.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Author and committer of every fixture commit.
pub const AUTHOR_NAME: &str = "Fixture";
pub const AUTHOR_EMAIL: &str = "fixture@example.invalid";
/// 2024-01-01T00:00:00Z, git's raw date format.
pub const DATE: &str = "1704067200 +0000";

/// `tests/fixtures/releases/`
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/releases")
}

/// Copies `tests/fixtures/releases/<fixture>/` into a throw-away work tree, commits it on `main`
/// as one commit by `Fixture <fixture@example.invalid>` dated 2024-01-01, and pushes it to the
/// bare repository `<dir>/<fixture>.git` (HEAD `refs/heads/main`), which is returned.
pub fn release_repo(fixture: &str, dir: &Path) -> PathBuf {
    let source = fixtures_dir().join(fixture);
    assert!(source.is_dir(), "no fixture {}", source.display());
    let work = tempfile::tempdir().expect("work tree");
    copy_tree(&source, work.path());
    git(work.path(), ["init", "-q", "-b", "main"]);
    git(work.path(), ["add", "-A"]);
    git(work.path(), ["commit", "-q", "-m", &format!("Fixture {fixture}")]);
    let bare = dir.join(format!("{fixture}.git"));
    init_bare(&bare);
    git(work.path(), [OsStr::new("push"), OsStr::new("-q"), bare.as_os_str(), OsStr::new("main:refs/heads/main")]);
    bare
}

/// An empty bare repository whose HEAD is `refs/heads/main`.
pub fn init_bare(bare: &Path) {
    fs::create_dir_all(bare).expect("bare dir");
    git(bare, ["init", "-q", "--bare", "-b", "main"]);
}

/// Commits `contents` at `path` on `branch` of `bare` (the branch is created from HEAD when it does
/// not exist) and pushes; returns the new commit id.
pub fn commit_file(bare: &Path, branch: &str, path: &str, contents: &str, message: &str) -> String {
    let work = tempfile::tempdir().expect("clone dir");
    let clone = work.path().join("clone");
    git(work.path(), [OsStr::new("clone"), OsStr::new("-q"), bare.as_os_str(), clone.as_os_str()]);
    let exists =
        git_output(&clone, ["rev-parse", "--verify", "-q", &format!("refs/remotes/origin/{branch}")]).status.success();
    if exists {
        git(&clone, ["checkout", "-q", "-B", branch, &format!("origin/{branch}")]);
    } else {
        git(&clone, ["checkout", "-q", "-b", branch]);
    }
    let file = clone.join(path);
    fs::create_dir_all(file.parent().expect("file has a parent")).expect("create parents");
    fs::write(&file, contents).expect("write file");
    git(&clone, ["add", "--", path]);
    git(&clone, ["commit", "-q", "--allow-empty", "-m", message]);
    git(&clone, ["push", "-q", "origin", &format!("HEAD:refs/heads/{branch}")]);
    git(&clone, ["rev-parse", "HEAD"]).trim().to_owned()
}

/// The commit `branch` of `bare` points at.
pub fn head_of(bare: &Path, branch: &str) -> String {
    git(bare, ["rev-parse", &format!("refs/heads/{branch}")]).trim().to_owned()
}

/// The branches of `bare`, sorted.
pub fn branches(bare: &Path) -> Vec<String> {
    git(bare, ["for-each-ref", "--format=%(refname:short)", "refs/heads/"]).lines().map(str::to_owned).collect()
}

/// The contents of `path` on `rev` (a branch or commit) of `bare`, or `None` when it is absent.
pub fn read_file(bare: &Path, rev: &str, path: &str) -> Option<String> {
    let output = git_output(bare, ["show", &format!("{rev}:{path}")]);
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs the git CLI in `cwd` with the isolated environment; panics with its stderr on failure and
/// returns its stdout.
pub fn git<I, S>(cwd: &Path, args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<S> = args.into_iter().collect();
    let output = git_output(cwd, &args);
    let shown: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy()).collect();
    assert!(
        output.status.success(),
        "git {} (in {}) failed: {}",
        shown.join(" "),
        cwd.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Like `git`, returning the output whatever the exit status.
pub fn git_output<I, S>(cwd: &Path, args: I) -> std::process::Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let home = tempfile::tempdir().expect("git home");
    git_command(cwd, home.path()).args(args).output().expect("run git")
}

/// A git command in `cwd` with the isolated environment: only PATH survives; HOME is `home` (give
/// it an empty temporary directory), no system config, fixed author/committer and dates, no
/// prompts.
pub fn git_command(cwd: &Path, home: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .env("GIT_AUTHOR_NAME", AUTHOR_NAME)
        .env("GIT_AUTHOR_EMAIL", AUTHOR_EMAIL)
        .env("GIT_AUTHOR_DATE", DATE)
        .env("GIT_COMMITTER_NAME", AUTHOR_NAME)
        .env("GIT_COMMITTER_EMAIL", AUTHOR_EMAIL)
        .env("GIT_COMMITTER_DATE", DATE)
        .args(["-c", "commit.gpgsign=false", "-c", "core.autocrlf=false", "-c", "protocol.file.allow=always"]);
    command
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create dir");
    for entry in fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display())) {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(entry.path()).expect("read link"), &target).expect("symlink");
        } else {
            fs::copy(entry.path(), &target).expect("copy file"); // keeps the executable bit
        }
    }
}

/// A release repository made from a directory outside `tests/fixtures/releases/` (for example a
/// module tree of `tests/fixtures/modules/releases/`), with `extra` files added on top, pushed to
/// `<dir>/<name>.git`.
pub fn release_repo_from(source: &Path, extra: &[(&str, &str)], name: &str, dir: &Path) -> PathBuf {
    let work = tempfile::tempdir().expect("work tree");
    copy_tree(source, work.path());
    for (path, contents) in extra {
        let file = work.path().join(path);
        fs::create_dir_all(file.parent().expect("file has a parent")).expect("create parents");
        fs::write(file, contents).expect("write extra file");
    }
    git(work.path(), ["init", "-q", "-b", "main"]);
    git(work.path(), ["add", "-A"]);
    git(work.path(), ["commit", "-q", "-m", &format!("Fixture {name}")]);
    let bare = dir.join(format!("{name}.git"));
    init_bare(&bare);
    git(work.path(), [OsStr::new("push"), OsStr::new("-q"), bare.as_os_str(), OsStr::new("main:refs/heads/main")]);
    bare
}

/// Loads every module under `tests/fixtures/modules/proxy/<path>@<version>/` into the stand-in's
/// module proxy.
pub fn load_fixture_modules(up: &super::Upstream) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/modules/proxy");
    fn walk(root: &Path, dir: &Path, up: &super::Upstream) {
        for entry in fs::read_dir(dir).expect("read fixture modules") {
            let path = entry.expect("dir entry").path();
            if !path.is_dir() {
                continue;
            }
            let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            match rel.rsplit_once('@') {
                Some((module, version)) => {
                    let go_mod = fs::read_to_string(path.join("go.mod")).expect("fixture go.mod");
                    let mut files = Vec::new();
                    collect(&path, &path, &mut files);
                    let refs: Vec<(&str, &str)> =
                        files.iter().filter(|(n, _)| n != "go.mod").map(|(n, c)| (n.as_str(), c.as_str())).collect();
                    up.add_module(module, version, &go_mod, "2024-10-01T00:00:00Z", &refs);
                }
                None => walk(root, &path, up),
            }
        }
    }
    fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<PathBuf> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                collect(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.push((rel, fs::read_to_string(&p).expect("fixture module files are text")));
            }
        }
    }
    walk(&root, &root, up);
}
