//! Races: two `out` runs for one repository at once (Concourse can run them), someone pushing to
//! the bump branch while `out` runs, and the base branch moving under it. The git server moves
//! the repository at an exact point of the push (`GitServer::before_next`): before the
//! advertisement a push starts with, or before the update that `git receive-pack` applies under
//! its ref lock. Every case must end with one branch, one PR and one blob referenced, and no
//! commit of anyone else overwritten.

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use support::{GitServer, Tmp, Upstream, fixtures};

const TOKEN: &str = "ghp_RACETESTTOKENneverPRINTED00000001";
const REPO: &str = "cloudfoundry/fixture-release";
const BRANCH: &str = "currency/golang";
const ADVERTISEMENT: (&str, &str) = ("GET", "/info/refs?service=git-receive-pack");
const UPDATE: (&str, &str) = ("POST", "/git-receive-pack");

struct World {
    up: Upstream,
    _repos: tempfile::TempDir,
    git: GitServer,
    blobstore: PathBuf,
    bare: PathBuf,
    tmp: Tmp,
}

impl World {
    fn new() -> World {
        let up = Upstream::start();
        let repos = tempfile::tempdir().unwrap();
        let git = GitServer::start_token(repos.path(), TOKEN);
        let bare = fixtures::release_repo("golang-old-release", repos.path());
        up.link_git(REPO, &bare);
        up.grant_push(REPO, TOKEN);
        up.add_go_release("1.9.7", true);
        up.add_go_release("1.10.3", true);
        let tmp = Tmp::new();
        let blobstore = tmp.path().join("blobstore");
        std::fs::create_dir_all(&blobstore).unwrap();
        World { up, _repos: repos, git, blobstore, bare, tmp }
    }

    fn request(&self) -> String {
        json!({"source": {
            "repository": REPO,
            "access_token": TOKEN,
            "git_url": self.git.url_for("golang-old-release"),
            "github_api_url": self.up.url(),
            "vulndb": self.up.vulndb_url(),
            "go_downloads_url": self.up.go_downloads_url(),
            "blobstore": {"options": {"blobstore_path": self.blobstore.to_str().unwrap()}},
            "git_author": {"name": "currency-bot", "email": "bot@currency.invalid"},
        }, "params": {}})
        .to_string()
    }

    /// A complete `put`, as its own container would run it: own TMPDIR (so its own cache).
    fn out(&self) -> support::Output {
        put(&self.request())
    }

    /// Runs a whole other `put` to completion the next time the git server sees `at`.
    fn another_put_at(&self, at: (&str, &str)) -> Arc<Mutex<Option<support::Output>>> {
        let done = Arc::new(Mutex::new(None));
        let (request, slot) = (self.request(), done.clone());
        self.git.before_next(at.0, at.1, move || {
            *slot.lock().unwrap() = Some(put(&request));
        });
        done
    }

    fn pulls(&self) -> Vec<Value> {
        self.up.pulls(REPO)
    }

    /// Asserts the end state every race must reach: the branch, one open PR for it, and the
    /// branch's blobs.yml naming one object for each new blob (linux and darwin move together),
    /// present in the blobstore with the bytes upstream served.
    fn assert_one_branch_one_pr_one_blob(&self) {
        assert_eq!(fixtures::branches(&self.bare), [BRANCH, "main"]);
        let pulls = self.pulls();
        assert_eq!(pulls.len(), 1, "{pulls:#?}");
        assert_eq!(pulls[0]["head"]["ref"], BRANCH);
        assert_eq!(pulls[0]["title"], "Bump golang from 1.9.7 to 1.10.3");
        let blobs = fixtures::read_file(&self.bare, BRANCH, "config/blobs.yml").unwrap();
        let entries: Vec<&str> = blobs.lines().filter(|l| l.starts_with("golang/go1.10.3")).collect();
        assert_eq!(entries.len(), 2, "{blobs}");
        for file in ["go1.10.3.linux-amd64.tar.gz", "go1.10.3.darwin-amd64.tar.gz"] {
            let object_id = blobs
                .split(&format!("golang/{file}:\n"))
                .nth(1)
                .and_then(|rest| rest.lines().find_map(|l| l.trim().strip_prefix("object_id: ")))
                .unwrap_or_else(|| panic!("no object_id for the new blob {file}:\n{blobs}"))
                .to_string();
            let served = self.up.go_file_bytes(file);
            let object = self.blobstore.join(&object_id);
            assert_eq!(std::fs::read(&object).unwrap_or_default(), served, "object {object_id} is the blob {file}");
        }
        let log = fixtures::git(&self.bare, ["log", "--format=%s", &format!("main..{BRANCH}")]);
        assert_eq!(log.trim(), "Bump golang from 1.9.7 to 1.10.3", "one commit on the base");
    }
}

fn put(request: &str) -> support::Output {
    let tmp = Tmp::new();
    let sources = tmp.path().join("sources");
    std::fs::create_dir_all(&sources).unwrap();
    let out = tmp.run(support::bin("out"), &[sources.to_str().unwrap()], request, &[("CURRENCY_RETRY_BASE_MS", "5")]);
    assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN), "token printed:\n{out:#?}");
    out
}

fn finished(slot: &Arc<Mutex<Option<support::Output>>>) -> support::Output {
    let out = slot.lock().unwrap().take();
    let out = out.expect("the other put ran");
    out.assert_success();
    out
}

fn pr_url(out: &support::Output) -> String {
    out.json()["metadata"][0]["value"].as_str().unwrap().to_string()
}

fn parent_of(bare: &Path, rev: &str) -> String {
    fixtures::git(bare, ["rev-parse", &format!("{rev}^")]).trim().to_string()
}

#[test]
fn a_put_that_pushes_first_wins_and_the_other_reuses_its_branch() {
    let w = World::new();
    let other = w.another_put_at(ADVERTISEMENT);
    let out = w.out();
    out.assert_success();
    let other = finished(&other);
    assert!(out.stderr.contains("branch currency/golang moved from absent to"), "{}", out.stderr);
    assert!(out.stderr.contains("planning again (1/3)"), "{}", out.stderr);
    assert!(out.stderr.contains("already holds this bump; reused"), "{}", out.stderr);
    w.assert_one_branch_one_pr_one_blob();
    assert_eq!(pr_url(&out), pr_url(&other), "both name the same PR");
}

#[test]
fn an_update_refused_under_the_servers_ref_lock_is_planned_again() {
    // The other put lands between this put's advertisement and its update: only receive-pack's
    // check of the old value can see it.
    let w = World::new();
    let other = w.another_put_at(UPDATE);
    let out = w.out();
    out.assert_success();
    finished(&other);
    assert!(out.stderr.contains("branch currency/golang moved from absent to"), "{}", out.stderr);
    w.assert_one_branch_one_pr_one_blob();
}

fn human_commit_during_the_put_is_kept(at: (&str, &str)) {
    let w = World::new();
    w.out().assert_success();
    let bot_head = fixtures::head_of(&w.bare, BRANCH);
    w.up.add_go_release("1.10.4", true);
    let human = Arc::new(Mutex::new(String::new()));
    let (bare, slot) = (w.bare.clone(), human.clone());
    w.git.before_next(at.0, at.1, move || {
        *slot.lock().unwrap() = fixtures::commit_file(&bare, BRANCH, "NOTES.md", "tested by hand\n", "Add notes");
    });
    let out = w.out();
    out.assert_success();
    let human = human.lock().unwrap().clone();
    assert!(!human.is_empty(), "the human commit was made");
    assert_eq!(fixtures::head_of(&w.bare, BRANCH), human, "the human commit is not overwritten");
    assert_eq!(parent_of(&w.bare, BRANCH), bot_head);
    assert!(out.stderr.contains(&format!("branch {BRANCH} moved from {}", &bot_head[..10])), "{}", out.stderr);
    let value = out.json()["metadata"][0]["value"].as_str().unwrap().to_string();
    assert!(value.starts_with("skipped: branch currency/golang has commits by someone else"), "{value}");
    let pulls = w.pulls();
    assert_eq!(pulls.len(), 1);
    assert_eq!(pulls[0]["title"], "Bump golang from 1.9.7 to 1.10.3", "its PR is left as it is");
}

#[test]
fn a_human_commit_pushed_before_the_push_is_not_overwritten() {
    human_commit_during_the_put_is_kept(ADVERTISEMENT);
}

#[test]
fn a_human_commit_landing_under_the_push_is_not_overwritten() {
    human_commit_during_the_put_is_kept(UPDATE);
}

#[test]
fn the_base_branch_moving_during_the_put_is_planned_again() {
    let w = World::new();
    let planned_on = fixtures::head_of(&w.bare, "main");
    let moved = Arc::new(Mutex::new(String::new()));
    let (bare, slot) = (w.bare.clone(), moved.clone());
    w.git.before_next(ADVERTISEMENT.0, ADVERTISEMENT.1, move || {
        *slot.lock().unwrap() = fixtures::commit_file(&bare, "main", "NOTES.md", "unrelated\n", "Unrelated change");
    });
    let out = w.out();
    out.assert_success();
    let new_base = moved.lock().unwrap().clone();
    assert_ne!(new_base, planned_on);
    assert_eq!(fixtures::head_of(&w.bare, "main"), new_base);
    assert!(
        out.stderr.contains(&format!("base branch main moved from {} to {}", &planned_on[..10], &new_base[..10])),
        "{}",
        out.stderr
    );
    assert_eq!(parent_of(&w.bare, BRANCH), new_base, "the bump sits on the base as it is now");
    w.assert_one_branch_one_pr_one_blob();
}

#[test]
fn a_repository_that_keeps_moving_fails_after_three_attempts_with_nothing_pushed() {
    let w = World::new();
    for i in 0..3 {
        let bare = w.bare.clone();
        w.git.before_next(ADVERTISEMENT.0, ADVERTISEMENT.1, move || {
            fixtures::commit_file(&bare, "main", "NOTES.md", &format!("change {i}\n"), "Busy base");
        });
    }
    let out = w.out();
    out.assert_failure();
    let last = out.stderr.trim_end().lines().last().unwrap_or_default().to_string();
    assert!(last.contains("kept moving") && last.contains("gave up after 3 attempts"), "{}", out.stderr);
    assert!(last.contains("golang-old-release.git"), "names the repository: {last}");
    assert_eq!(fixtures::branches(&w.bare), ["main"], "nothing pushed");
    assert!(w.pulls().is_empty(), "no PR");
}

#[test]
fn two_puts_at_once_end_with_one_branch_one_pr_and_one_blob_referenced() {
    let w = World::new();
    let request = w.request();
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| put(&request));
        let b = s.spawn(|| put(&request));
        (a.join().unwrap(), b.join().unwrap())
    });
    a.assert_success();
    b.assert_success();
    w.assert_one_branch_one_pr_one_blob();
    assert_eq!(pr_url(&a), pr_url(&b), "both name the same PR");
    drop(w.tmp);
}
