//! `out` for blob dependencies, as Concourse runs it: the real binary, JSON on stdin, a release
//! repository served over smart HTTP with basic auth, the GitHub stand-in holding the PRs, and a
//! real blobstore (a local directory here; S3 in tests/out_s3.rs). Assertions are on what the
//! servers hold afterwards: branches and their trees, PRs, blobstore objects.

mod support;

use std::path::PathBuf;

use serde_json::{Value, json};
use support::{GitServer, Release, Tmp, Upstream, fixtures};

const TOKEN: &str = "ghp_OUTTESTTOKENneverPRINTED000000001";
const REPO: &str = "cloudfoundry/fixture-release";

struct World {
    up: Upstream,
    repos: tempfile::TempDir,
    tmp: Tmp,
    git: GitServer,
    blobstore: PathBuf,
    bare: PathBuf,
    fixture: String,
}

impl World {
    fn new(fixture: &str) -> World {
        let up = Upstream::start();
        let repos = tempfile::tempdir().unwrap();
        let git = GitServer::start_token(repos.path(), TOKEN);
        let bare = fixtures::release_repo(fixture, repos.path());
        up.link_git(REPO, &bare);
        up.grant_push(REPO, TOKEN);
        let tmp = Tmp::new();
        let blobstore = tmp.path().join("blobstore");
        std::fs::create_dir_all(&blobstore).unwrap();
        World { up, repos, tmp, git, blobstore, bare, fixture: fixture.into() }
    }

    fn source(&self, extra: Value) -> Value {
        let mut s = json!({
            "repository": REPO,
            "access_token": TOKEN,
            "git_url": self.git.url_for(&self.fixture),
            "github_api_url": self.up.url(),
            "vulndb": self.up.vulndb_url(),
            "upstream_api_url": self.up.url(),
            "go_proxy": self.up.goproxy_url(),
            "go_downloads_url": self.up.go_downloads_url(),
            "blobstore": {"options": {"blobstore_path": self.blobstore.to_str().unwrap()}},
            "git_author": {"name": "currency-bot", "email": "bot@currency.invalid"},
        });
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    }

    fn out(&self, source: &Value, params: Value) -> support::Output {
        self.out_env(source, params, &[])
    }

    fn out_env(&self, source: &Value, params: Value, env: &[(&str, &str)]) -> support::Output {
        let sources = self.tmp.path().join("sources");
        std::fs::create_dir_all(&sources).unwrap();
        let req = json!({"source": source, "params": params});
        let mut all = vec![("CURRENCY_RETRY_BASE_MS", "5")];
        all.extend_from_slice(env);
        let out = self.tmp.run(support::bin("out"), &[sources.to_str().unwrap()], &req.to_string(), &all);
        assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN), "token printed:\n{out:#?}");
        out
    }

    fn objects(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = support::files_under(&self.blobstore);
        v.sort();
        v
    }

    fn branch_file(&self, branch: &str, path: &str) -> Option<String> {
        fixtures::read_file(&self.bare, branch, path)
    }

    fn pulls(&self) -> Vec<Value> {
        self.up.pulls(REPO)
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    support::sha256_hex(bytes)
}

fn go_upstream(up: &Upstream, versions: &[&str]) {
    for v in versions {
        up.add_go_release(v, true);
    }
}

#[test]
fn a_golang_bump_uploads_the_blob_pushes_a_branch_and_opens_a_pr() {
    let w = World::new("golang-old-release");
    go_upstream(&w.up, &["1.9.7", "1.10.3"]);
    let source = w.source(json!({"pull_request": {"labels": ["dependencies", "golang"], "reviewers": ["alice"],
                                  "team_reviewers": ["release-team"]}}));
    let out = w.out_env(&source, json!({}), &[("ATC_EXTERNAL_URL", "https://ci.example.com"), ("BUILD_ID", "4242")]);
    out.assert_success();
    let printed = out.json();
    assert_eq!(printed["version"], json!({"golang": "1.10.3"}));
    let pr_url = printed["metadata"][0]["value"].as_str().unwrap().to_string();
    assert_eq!(printed["metadata"][0]["name"], "golang");

    // Both platforms' blobs are in the blobstore, byte for byte: darwin moves with linux.
    let objects = w.objects();
    assert_eq!(objects.len(), 2, "{objects:?}");
    let object_of = |filename: &str| {
        let served = w.up.go_file_bytes(filename);
        let object = objects.iter().find(|o| std::fs::read(o).unwrap() == served).expect("uploaded");
        (served, object.file_name().unwrap().to_str().unwrap().to_string())
    };
    let (linux, linux_id) = object_of("go1.10.3.linux-amd64.tar.gz");
    let (darwin, darwin_id) = object_of("go1.10.3.darwin-amd64.tar.gz");

    // The branch holds blobs.yml in bosh-cli's form and order (go1.10 of each platform replacing
    // go1.9), the spec and the packaging script moved to the new blob, and nothing else changed.
    let blobs = w.branch_file("currency/golang", "config/blobs.yml").unwrap();
    assert_eq!(
        blobs,
        format!(
            "golang/go1.10.3.darwin-amd64.tar.gz:\n  size: {}\n  object_id: {darwin_id}\n  sha: sha256:{}\n\
             golang/go1.10.3.linux-amd64.tar.gz:\n  size: {}\n  object_id: {linux_id}\n  sha: sha256:{}\n",
            darwin.len(),
            sha256_hex(&darwin),
            linux.len(),
            sha256_hex(&linux)
        )
    );
    assert!(
        w.branch_file("currency/golang", "packages/golang/spec")
            .unwrap()
            .contains("- golang/go1.10.3.linux-amd64.tar.gz\n")
    );
    assert!(
        w.branch_file("currency/golang", "packages/golang/packaging")
            .unwrap()
            .contains("tar xzf golang/go1.10.3.linux-amd64.tar.gz")
    );
    let changed = fixtures::git(&w.bare, ["diff", "--name-only", "main", "currency/golang"]);
    assert_eq!(
        changed.lines().collect::<Vec<_>>(),
        ["config/blobs.yml", "packages/golang/packaging", "packages/golang/spec"]
    );
    let log = fixtures::git(&w.bare, ["log", "--format=%an <%ae>|%s", "main..currency/golang"]);
    assert_eq!(log.trim(), "currency-bot <bot@currency.invalid>|Bump golang from 1.9.7 to 1.10.3");

    // One PR, against main, with labels, reviewers, the verification and the build link.
    let pulls = w.pulls();
    assert_eq!(pulls.len(), 1);
    let pr = &pulls[0];
    assert_eq!(pr["html_url"], pr_url);
    assert_eq!(pr["title"], "Bump golang from 1.9.7 to 1.10.3");
    assert_eq!(pr["head"]["ref"], "currency/golang");
    assert_eq!(pr["base"]["ref"], "main");
    let body = pr["body"].as_str().unwrap();
    for (bytes, id) in [(&linux, &linux_id), (&darwin, &darwin_id)] {
        assert!(body.contains(&sha256_hex(bytes)), "{body}");
        assert!(body.contains(id.as_str()), "{body}");
    }
    assert!(body.contains("the Go downloads index"), "{body}");
    assert!(body.contains("https://ci.example.com/builds/4242"), "{body}");
    let number = pr["number"].as_u64().unwrap();
    assert_eq!(w.up.labels_of(REPO, number), ["dependencies", "golang"]);
    assert_eq!(w.up.reviewers_of(REPO, number), (vec!["alice".to_string()], vec!["release-team".to_string()]));
}

#[test]
fn running_out_twice_with_nothing_new_changes_nothing() {
    let w = World::new("golang-old-release");
    go_upstream(&w.up, &["1.9.7", "1.10.3"]);
    let source = w.source(json!({}));
    w.out(&source, json!({})).assert_success();
    let head = fixtures::head_of(&w.bare, "currency/golang");
    let objects = w.objects();
    let pr = w.pulls()[0].clone();
    let again = w.out(&source, json!({}));
    again.assert_success();
    assert_eq!(fixtures::head_of(&w.bare, "currency/golang"), head, "no new commit");
    assert_eq!(w.objects(), objects, "no second upload");
    assert_eq!(w.pulls(), vec![pr.clone()], "no second PR, no edit");
    assert_eq!(again.json()["metadata"][0]["value"], pr["html_url"]);
}

#[test]
fn a_newer_upstream_updates_the_open_pr_instead_of_opening_another() {
    let w = World::new("golang-old-release");
    go_upstream(&w.up, &["1.9.7", "1.10.3"]);
    let source = w.source(json!({}));
    w.out(&source, json!({})).assert_success();
    w.up.add_go_release("1.10.4", true);
    let out = w.out(&source, json!({}));
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"golang": "1.10.4"}));
    let pulls = w.pulls();
    assert_eq!(pulls.len(), 1, "the PR is updated, not duplicated");
    assert_eq!(pulls[0]["title"], "Bump golang from 1.9.7 to 1.10.4");
    assert!(w.branch_file("currency/golang", "config/blobs.yml").unwrap().contains("go1.10.4.linux-amd64.tar.gz"));
    let log = fixtures::git(&w.bare, ["log", "--format=%s", "main..currency/golang"]);
    assert_eq!(log.trim(), "Bump golang from 1.9.7 to 1.10.4", "one commit on the base, not a stack");
}

#[test]
fn a_human_commit_on_the_branch_is_left_alone() {
    let w = World::new("golang-old-release");
    go_upstream(&w.up, &["1.9.7", "1.10.3"]);
    let source = w.source(json!({}));
    w.out(&source, json!({})).assert_success();
    let human = fixtures::commit_file(&w.bare, "currency/golang", "NOTES.md", "tested by hand\n", "Add notes");
    w.up.add_go_release("1.10.4", true);
    let out = w.out(&source, json!({}));
    out.assert_success();
    assert_eq!(fixtures::head_of(&w.bare, "currency/golang"), human, "the branch is untouched");
    let value = out.json()["metadata"][0]["value"].as_str().unwrap().to_string();
    assert!(value.starts_with("skipped:"), "{value}");
    assert!(
        out.stderr.contains("warning: golang: branch currency/golang has commits by someone else"),
        "{}",
        out.stderr
    );
    assert_eq!(w.pulls()[0]["title"], "Bump golang from 1.9.7 to 1.10.3", "its PR is left as it is");
}

#[test]
fn grouped_bumps_share_one_branch_and_one_pr() {
    let w = World::new("golang-release");
    go_upstream(&w.up, &["1.22.4", "1.22.5", "1.23.1", "1.23.3"]);
    let source = w.source(json!({"pull_request": {"group": true}}));
    let out = w.out(&source, json!({}));
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"golang-1.22": "1.22.5", "golang-1.23": "1.23.3"}));
    let pulls = w.pulls();
    assert_eq!(pulls.len(), 1);
    assert_eq!(pulls[0]["head"]["ref"], "currency/all");
    assert_eq!(pulls[0]["title"], "Bump 2 dependencies: golang-1.22, golang-1.23");
    let log = fixtures::git(&w.bare, ["log", "--format=%s", "main..currency/all"]);
    assert_eq!(
        log.lines().collect::<Vec<_>>(),
        ["Bump golang-1.23 from 1.23.1 to 1.23.3", "Bump golang-1.22 from 1.22.4 to 1.22.5"]
    );
    let blobs = w.branch_file("currency/all", "config/blobs.yml").unwrap();
    assert!(blobs.contains("go1.22.5.linux-amd64.tar.gz") && blobs.contains("go1.23.3.linux-amd64.tar.gz"));
    assert!(blobs.contains("go1.23.3.windows-amd64.zip"), "1.23's windows blob moves with its linux one");
    assert!(!blobs.contains("go1.23.1"), "{blobs}");
    assert_eq!(w.objects().len(), 3);
}

#[test]
fn a_checksum_mismatch_pushes_nothing_and_uploads_nothing() {
    let w = World::new("golang-old-release");
    go_upstream(&w.up, &["1.9.7", "1.10.3"]);
    w.up.replace_go_file_bytes("go1.10.3.linux-amd64.tar.gz", b"not the real toolchain".to_vec());
    let out = w.out(&w.source(json!({})), json!({}));
    out.assert_failure();
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("checksum mismatch"), "{}", out.stderr);
    assert_eq!(fixtures::branches(&w.bare), ["main"]);
    assert!(w.pulls().is_empty());
    assert!(w.objects().is_empty());
}

#[test]
fn dry_run_prints_the_diff_and_changes_nothing_remote() {
    let w = World::new("golang-old-release");
    go_upstream(&w.up, &["1.9.7", "1.10.3"]);
    let out = w.out(&w.source(json!({})), json!({"dry_run": true}));
    out.assert_success();
    assert!(out.stderr.contains("+++ b/config/blobs.yml"), "{}", out.stderr);
    assert!(
        out.stderr.contains("-- golang/go1.9.7.linux-amd64.tar.gz") || out.stderr.contains("-- golang/go1.9.7"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("+- golang/go1.10.3.linux-amd64.tar.gz"), "{}", out.stderr);
    assert_eq!(fixtures::branches(&w.bare), ["main"]);
    assert!(w.pulls().is_empty());
    assert!(w.objects().is_empty());
}

#[test]
fn a_pr_that_failed_to_open_after_the_push_is_opened_by_the_next_run() {
    let w = World::new("golang-old-release");
    go_upstream(&w.up, &["1.9.7", "1.10.3"]);
    let source = w.source(json!({}));
    // A token that may push (to a second git server that takes it) and read pull requests, but
    // not open them: the push succeeds, the PR does not.
    let reader = "ghp_READONLYtoken0000000000000000001";
    w.up.grant_read(REPO, reader);
    let git2 = GitServer::start_token(w.repos.path(), reader);
    let first = w.source(json!({"access_token": reader, "git_url": git2.url_for("golang-old-release")}));
    let out = w.out(&first, json!({}));
    out.assert_failure();
    assert!(out.stderr.contains("403"), "{}", out.stderr);
    assert_eq!(fixtures::branches(&w.bare), ["currency/golang", "main"]);
    assert!(w.pulls().is_empty());
    let head = fixtures::head_of(&w.bare, "currency/golang");
    let objects = w.objects();
    // The next run, with a token that may open PRs, opens it without pushing or uploading again.
    let out = w.out(&source, json!({}));
    out.assert_success();
    assert_eq!(fixtures::head_of(&w.bare, "currency/golang"), head);
    assert_eq!(w.objects(), objects);
    let pulls = w.pulls();
    assert_eq!(pulls.len(), 1);
    assert_eq!(pulls[0]["title"], "Bump golang from 1.9.7 to 1.10.3");
    assert!(pulls[0]["body"].as_str().unwrap().contains(objects[0].file_name().unwrap().to_str().unwrap()));
}

#[test]
fn a_rejected_token_fails_before_anything_is_written() {
    let w = World::new("golang-old-release");
    go_upstream(&w.up, &["1.9.7", "1.10.3"]);
    // git takes this token, GitHub does not know it.
    let stranger = "ghp_UNKNOWNtoGITHUB00000000000000000001";
    let git = GitServer::start_token(w.repos.path(), stranger);
    let out =
        w.out(&w.source(json!({"access_token": stranger, "git_url": git.url_for("golang-old-release")})), json!({}));
    assert!(!out.stderr.contains(stranger));
    out.assert_failure();
    assert_eq!(out.stdout, "");
    let errors: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{}", out.stderr);
    assert!(errors[0].contains("401"), "{}", errors[0]);
    assert_eq!(fixtures::branches(&w.bare), ["main"]);
    assert!(w.objects().is_empty());
}

#[test]
fn a_rejected_push_leaves_no_pr() {
    let w = World::new("golang-old-release");
    go_upstream(&w.up, &["1.9.7", "1.10.3"]);
    let hook = w.bare.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho 'protected by policy' >&2\nexit 1\n").unwrap();
    let mut perms = std::fs::metadata(&hook).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&hook, perms).unwrap();
    let out = w.out(&w.source(json!({})), json!({}));
    out.assert_failure();
    assert!(out.stderr.contains("push rejected") || out.stderr.contains("pre-receive"), "{}", out.stderr);
    assert_eq!(fixtures::branches(&w.bare), ["main"]);
    assert!(w.pulls().is_empty());
}

#[test]
fn nothing_behind_prints_the_up_to_date_version() {
    let w = World::new("golang-old-release");
    go_upstream(&w.up, &["1.9.7"]);
    let out = w.out(&w.source(json!({})), json!({}));
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"up-to-date": fixtures::head_of(&w.bare, "main")}));
    assert!(w.pulls().is_empty());
}

#[test]
fn only_limits_the_bumps_and_unknown_names_are_errors() {
    let w = World::new("golang-release");
    go_upstream(&w.up, &["1.22.4", "1.22.5", "1.23.1", "1.23.3"]);
    let source = w.source(json!({}));
    let out = w.out(&source, json!({"only": ["golang-1.23"]}));
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"golang-1.23": "1.23.3"}));
    assert_eq!(fixtures::branches(&w.bare), ["currency/golang-1.23", "main"]);
    let bad = w.out(&source, json!({"only": ["golang-2"]}));
    bad.assert_failure();
    assert!(bad.stderr.contains("params.only"), "{}", bad.stderr);
}

#[test]
fn a_spec_glob_that_would_stop_matching_fails_naming_the_file_and_line() {
    let w = World::new("etcd-release");
    for tag in ["v3.3.15", "v3.5.17"] {
        let name = format!("etcd-{tag}-linux-amd64.tar.gz");
        w.up.add_release(
            "etcd-io/etcd",
            Release::new(tag).asset(&name, format!("etcd {tag}").into_bytes()).with_sha256sums(),
        );
    }
    let source = w.source(json!({"blobstore": {"options": {"host": "127.0.0.1", "port": 9, "use_ssl": false,
                                   "access_key_id": "AK", "secret_access_key": "SECRETkey123"}}}));
    let out = w.out(&source, json!({}));
    out.assert_failure();
    assert!(out.stderr.contains("packages/etcd/spec:5"), "{}", out.stderr);
    assert!(!out.stderr.contains("SECRETkey123"));
    assert_eq!(fixtures::branches(&w.bare), ["main"]);
}

#[test]
fn currency_bump_edits_a_local_checkout_and_uploads() {
    let w = World::new("golang-old-release");
    go_upstream(&w.up, &["1.9.7", "1.10.3"]);
    let checkout = w.tmp.path().join("checkout");
    fixtures::git(w.tmp.path(), ["clone", "-q", w.bare.to_str().unwrap(), "checkout"]);
    let source_file = w.tmp.path().join("source.json");
    std::fs::write(&source_file, w.source(json!({})).to_string()).unwrap();
    let out = w.tmp.run(
        support::bin("currency"),
        &["bump", "--source", source_file.to_str().unwrap(), "--repo", checkout.to_str().unwrap()],
        "",
        &[("CURRENCY_RETRY_BASE_MS", "5")],
    );
    out.assert_success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "one line per platform's blob: {}", out.stdout);
    assert!(lines[0].starts_with("golang: 1.9.7 -> 1.10.3 (golang/go1.10.3.linux-amd64.tar.gz"), "{}", out.stdout);
    assert!(lines[1].starts_with("golang: 1.9.7 -> 1.10.3 (golang/go1.10.3.darwin-amd64.tar.gz"), "{}", out.stdout);
    let blobs = std::fs::read_to_string(checkout.join("config/blobs.yml")).unwrap();
    assert!(blobs.contains("golang/go1.10.3.linux-amd64.tar.gz"));
    for platform in ["linux-amd64.tar.gz", "darwin-amd64.tar.gz"] {
        let name = format!("go1.10.3.{platform}");
        assert_eq!(std::fs::read(checkout.join("blobs/golang").join(&name)).unwrap(), w.up.go_file_bytes(&name));
    }
    assert_eq!(w.objects().len(), 2);
    assert_eq!(fixtures::branches(&w.bare), ["main"], "bump pushes nothing");
    let status = fixtures::git(&checkout, ["status", "--porcelain"]);
    assert_eq!(
        status.lines().collect::<Vec<_>>(),
        [" M config/blobs.yml", " M packages/golang/packaging", " M packages/golang/spec"]
    );
}
