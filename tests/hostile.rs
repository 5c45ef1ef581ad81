//! Hostile input, through the real binaries: blob templates and go.mod paths that leave `blobs/`
//! or the repository, symbolic links in the release repository and in a local checkout,
//! dependency and branch names git cannot take, enormous and deeply nested JSON and YAML, files
//! of the release that do not parse.
//!
//! Each case must end with a non-zero exit, nothing on stdout, exactly one line on stderr — the
//! `error: …` line, naming the key, file or dependency — and no side effect: the bare repository's
//! refs are unchanged, the blobstore holds no object, the GitHub stand-in holds no pull request,
//! the `in` destination stays empty, a local checkout is not modified and nothing is written
//! outside it.

mod support;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::{GitServer, Output, Tmp, Upstream, fixtures};

const TOKEN: &str = "ghp_HOSTILEtokenNEVERprinted0000000001";
const REPO: &str = "cloudfoundry/hostile-release";
const FAST: (&str, &str) = ("CURRENCY_RETRY_BASE_MS", "5");

/// What to change in a fixture before it is committed.
enum Edit<'a> {
    /// Write (or overwrite) a file.
    File(&'a str, String),
    /// Replace the path by a symbolic link to the target.
    Link(&'a str, &'a str),
}

/// `tests/fixtures/releases/<fixture>/` with `edits` applied, committed and pushed to
/// `<dir>/hostile-release.git`.
fn release_repo(fixture: &str, edits: &[Edit<'_>], dir: &Path) -> PathBuf {
    let work = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", fixtures::fixtures_dir().join(fixture).display()))
        .arg(work.path())
        .status()
        .unwrap();
    assert!(status.success(), "copy fixture {fixture}");
    for edit in edits {
        let (path, link) = match edit {
            Edit::File(p, _) => (*p, None),
            Edit::Link(p, t) => (*p, Some(*t)),
        };
        let full = work.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        if std::fs::symlink_metadata(&full).is_ok_and(|m| m.is_dir()) {
            std::fs::remove_dir_all(&full).unwrap();
        } else {
            let _ = std::fs::remove_file(&full);
        }
        match (edit, link) {
            (Edit::File(_, text), _) => std::fs::write(&full, text).unwrap(),
            (_, Some(target)) => std::os::unix::fs::symlink(target, &full).unwrap(),
            _ => unreachable!(),
        }
    }
    fixtures::git(work.path(), ["init", "-q", "-b", "main"]);
    fixtures::git(work.path(), ["add", "-A"]);
    fixtures::git(work.path(), ["commit", "-q", "-m", "hostile fixture"]);
    let bare = dir.join("hostile-release.git");
    fixtures::init_bare(&bare);
    fixtures::git(work.path(), ["push", "-q", bare.to_str().unwrap(), "main:refs/heads/main"]);
    bare
}

/// One test's world: the GitHub stand-in (Go 1.9.7 and 1.10.3 on its downloads page), the
/// release over smart HTTP with the token, a local blobstore directory and an empty `in`
/// destination.
struct World {
    up: Upstream,
    _repos: tempfile::TempDir,
    tmp: Tmp,
    git: GitServer,
    bare: PathBuf,
    blobstore: PathBuf,
    dest: PathBuf,
    refs: String,
}

impl World {
    fn new(fixture: &str, edits: &[Edit<'_>]) -> World {
        let up = Upstream::start();
        up.add_go_release("1.9.7", true);
        up.add_go_release("1.10.3", true);
        let repos = tempfile::tempdir().unwrap();
        let git = GitServer::start_token(repos.path(), TOKEN);
        let bare = release_repo(fixture, edits, repos.path());
        up.link_git(REPO, &bare);
        up.grant_push(REPO, TOKEN);
        let tmp = Tmp::new();
        let blobstore = tmp.path().join("blobstore");
        std::fs::create_dir_all(&blobstore).unwrap();
        let dest = tmp.path().join("dest");
        std::fs::create_dir_all(&dest).unwrap();
        let refs = all_refs(&bare);
        World { up, _repos: repos, tmp, git, bare, blobstore, dest, refs }
    }

    fn golang() -> World {
        World::new("golang-old-release", &[])
    }

    fn source(&self, extra: Value) -> Value {
        let mut s = json!({
            "repository": REPO,
            "access_token": TOKEN,
            "git_url": self.git.url_for("hostile-release"),
            "github_api_url": self.up.url(),
            "vulndb": self.up.vulndb_url(),
            "upstream_api_url": self.up.url(),
            "go_proxy": self.up.goproxy_url(),
            "go_downloads_url": self.up.go_downloads_url(),
            "blobstore": {"options": {"blobstore_path": self.blobstore.to_str().unwrap()}},
            "git_author": {"name": "currency-bot", "email": "bot@currency.invalid"},
            "golang_release": support::fixture_golang_release(),
        });
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    }

    fn run(&self, bin: &str, args: &[&str], stdin: &str) -> Output {
        let out = self.tmp.run(support::bin(bin), args, stdin, &[FAST]);
        assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN), "token printed:\n{out:#?}");
        out
    }

    fn check(&self, source: &Value) -> Output {
        self.run("check", &[], &json!({"source": source}).to_string())
    }

    fn get(&self, source: &Value, version: Value, params: Value) -> Output {
        let req = json!({"source": source, "version": version, "params": params});
        self.run("in", &[self.dest.to_str().unwrap()], &req.to_string())
    }

    fn put(&self, source: &Value, params: Value) -> Output {
        let sources = self.tmp.path().join("sources");
        std::fs::create_dir_all(&sources).unwrap();
        let req = json!({"source": source, "params": params});
        self.run("out", &[sources.to_str().unwrap()], &req.to_string())
    }

    /// `source` written as a `--source` file.
    fn source_file(&self, source: &Value) -> PathBuf {
        let file = self.tmp.path().join("source.yml");
        std::fs::write(&file, serde_json::to_string_pretty(source).unwrap()).unwrap();
        file
    }

    /// A fresh clone of the release for `currency report|bump --repo`.
    fn checkout(&self) -> PathBuf {
        let dir = self.tmp.path().join("checkout");
        let _ = std::fs::remove_dir_all(&dir);
        fixtures::git(self.tmp.path(), ["clone", "-q", self.bare.to_str().unwrap(), dir.to_str().unwrap()]);
        dir
    }

    fn report(&self, source: &Value, repo: Option<&Path>) -> Output {
        let file = self.source_file(source);
        let mut args = vec!["report", "--source", file.to_str().unwrap()];
        if let Some(r) = repo {
            args.extend(["--repo", r.to_str().unwrap()]);
        }
        self.run("currency", &args, "")
    }

    fn bump(&self, source: &Value, repo: &Path) -> Output {
        let file = self.source_file(source);
        self.run("currency", &["bump", "--source", file.to_str().unwrap(), "--repo", repo.to_str().unwrap()], "")
    }

    /// Nothing changed anywhere: refs, blobstore, pull requests, `in` destination.
    #[track_caller]
    fn assert_untouched(&self) {
        assert_eq!(all_refs(&self.bare), self.refs, "the bare repository's refs changed");
        assert_eq!(support::files_under(&self.blobstore), Vec::<PathBuf>::new(), "objects in the blobstore");
        assert!(self.up.pulls(REPO).is_empty(), "a pull request was opened: {:?}", self.up.pulls(REPO));
        assert_eq!(support::files_under(&self.dest), Vec::<PathBuf>::new(), "files in the in destination");
    }

    /// Runs check, in, out, `currency report` (clone and checkout) and `currency bump` with
    /// `source`; each must fail with exactly `expected` and leave everything as it was.
    #[track_caller]
    fn assert_every_step_refuses(&self, source: &Value, expected: &str) {
        let checkout = self.checkout();
        let before = tree_listing(&checkout);
        for (step, out) in [
            ("check", self.check(source)),
            ("in", self.get(source, json!({"golang": "1.10.3"}), json!({"download": true}))),
            ("out", self.put(source, json!({}))),
            ("currency report", self.report(source, None)),
            ("currency report --repo", self.report(source, Some(&checkout))),
            ("currency bump", self.bump(source, &checkout)),
        ] {
            assert_refused(step, &out, expected);
            self.assert_untouched();
            assert_eq!(tree_listing(&checkout), before, "{step} changed the checkout");
        }
    }
}

/// Every ref of `bare` with its commit.
fn all_refs(bare: &Path) -> String {
    fixtures::git(bare, ["for-each-ref", "--format=%(refname) %(objectname)"])
}

/// Every path under a checkout with its size (or link target), `.git` left out.
fn tree_listing(dir: &Path) -> Vec<String> {
    support::files_under(dir)
        .into_iter()
        .filter(|p| !p.strip_prefix(dir).unwrap().starts_with(".git"))
        .map(|p| {
            let m = std::fs::symlink_metadata(&p).unwrap();
            let what = if m.file_type().is_symlink() {
                format!("-> {}", std::fs::read_link(&p).unwrap().display())
            } else {
                format!("{} bytes {:?}", m.len(), std::fs::read(&p).map(|b| support::sha256_hex(&b)).ok())
            };
            format!("{} {what}", p.strip_prefix(dir).unwrap().display())
        })
        .collect()
}

/// The `error:` lines of stderr; also checks that the error is the last line and that no other
/// line looks like an error (the only other lines are progress, such as the commit read).
#[track_caller]
fn error_lines<'a>(step: &str, out: &'a Output) -> Vec<&'a str> {
    assert!(!out.success(), "{step} succeeded:\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "", "{step}: stdout must stay empty on failure");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(
        lines.last().is_some_and(|l| l.starts_with("error: ")),
        "{step}: the last line is not the error:\n{}",
        out.stderr
    );
    for l in &lines[..lines.len() - 1] {
        assert!(!l.to_lowercase().contains("error") && !l.starts_with("warning"), "{step}: a second error line {l:?}");
    }
    lines.into_iter().filter(|l| l.starts_with("error: ")).collect()
}

/// Non-zero exit, empty stdout, and one error line on stderr: exactly `expected`.
#[track_caller]
fn assert_refused(step: &str, out: &Output, expected: &str) {
    assert_eq!(error_lines(step, out), [expected], "{step}: stderr:\n{}", out.stderr);
}

/// Like [`assert_refused`], for messages whose tail is a parser's own wording: the one error line
/// starts with `prefix`.
#[track_caller]
fn assert_refused_starting(step: &str, out: &Output, prefix: &str) {
    let errors = error_lines(step, out);
    assert_eq!(errors.len(), 1, "{step}: one error line expected:\n{}", out.stderr);
    assert!(errors[0].starts_with(prefix), "{step}: {:?} does not start with {prefix:?}", errors[0]);
}

// ---------------------------------------------------------------------------------------------
// Paths that leave blobs/ or the repository
// ---------------------------------------------------------------------------------------------

#[test]
fn blob_templates_that_leave_blobs_are_refused_by_every_step() {
    let w = World::golang();
    for blob in [
        "../go{version}.linux-amd64.tar.gz",
        "/etc/go{version}.linux-amd64.tar.gz",
        "blobs/../go{version}.linux-amd64.tar.gz",
        "golang/../../go{version}.linux-amd64.tar.gz",
        "./go{version}.linux-amd64.tar.gz",
        "golang//go{version}.linux-amd64.tar.gz",
        "golang/go{version}/..",
        "golang\\..\\go{version}.tar.gz",
    ] {
        let source = w.source(json!({"dependencies": [{"name": "golang", "kind": "golang", "blob": blob}]}));
        let expected = format!("error: source.dependencies[0].blob: {blob:?} leaves blobs/");
        if blob.starts_with("../") || blob.starts_with('/') || blob.starts_with("blobs/") {
            w.assert_every_step_refuses(&source, &expected);
        } else {
            assert_refused("check", &w.check(&source), &expected);
            w.assert_untouched();
        }
    }
}

#[test]
fn go_mod_paths_outside_the_repository_are_refused() {
    let w = World::golang();
    for path in ["../go.mod", "/etc/go.mod", "src/../../go.mod", "src/go.mod/../../../x/go.mod", "go.mod.evil"] {
        let source = w.source(json!({"dependencies": [{"name": "nats.go", "kind": "go-module",
            "module": "github.com/nats-io/nats.go", "go_mod": [path]}]}));
        let expected =
            format!("error: source.dependencies[0].go_mod[0]: {path:?} is not a go.mod path inside the repository");
        if path.starts_with("..") || path.starts_with('/') {
            w.assert_every_step_refuses(&source, &expected);
        } else {
            assert_refused("check", &w.check(&source), &expected);
            w.assert_untouched();
        }
    }
}

#[test]
fn module_paths_and_upstreams_that_are_not_names_are_refused() {
    let w = World::golang();
    let out = w.check(&w.source(json!({"git_url": "--upload-pack=touch /tmp/x@h:r"})));
    assert_refused("check", &out, "error: source.git_url: is not a git URL");
    let out = w.check(&w.source(json!({"git_url": "-oProxyCommand=x@h:r"})));
    assert_refused("check", &out, "error: source.git_url: is not a git URL");
    for (dep, key, expected) in [
        (
            json!({"name": "m", "kind": "go-module", "module": "../../etc"}),
            "module",
            "\"../../etc\" is not a module path",
        ),
        (
            json!({"name": "m", "kind": "go-module", "module": "/etc/passwd"}),
            "module",
            "\"/etc/passwd\" is not a module path",
        ),
        (
            json!({"name": "m", "kind": "go-module", "module": "-modfile=/tmp/x"}),
            "module",
            "\"-modfile=/tmp/x\" is not a module path",
        ),
        (
            json!({"name": "m", "kind": "go-module", "module": "github.com/nats-io/-x"}),
            "module",
            "\"github.com/nats-io/-x\" is not a module path",
        ),
        (
            json!({"name": "m", "kind": "go-module", "module": "github.com/nats-io/nats.go;rm"}),
            "module",
            "\"github.com/nats-io/nats.go;rm\" is not a module path",
        ),
        (
            json!({"name": "e", "kind": "github-release", "upstream": "../etcd", "blob": "e{version}.tgz"}),
            "upstream",
            "\"../etcd\" is not owner/repo",
        ),
        (
            json!({"name": "e", "kind": "github-release", "upstream": "etcd-io/etcd", "blob": "e{version}.tgz",
                   "asset": "../../x{version}"}),
            "asset",
            "an asset name has no '/'",
        ),
    ] {
        let source = w.source(json!({"dependencies": [dep]}));
        let out = w.check(&source);
        assert_refused("check", &out, &format!("error: source.dependencies[0].{key}: {expected}"));
        w.assert_untouched();
    }
}

// ---------------------------------------------------------------------------------------------
// Names git cannot take
// ---------------------------------------------------------------------------------------------

#[test]
fn dependency_names_that_are_not_branch_names_are_refused() {
    let w = World::golang();
    for (name, why) in [
        ("nats server", "has a character other than a-z, 0-9, '.', '_' and '-'"),
        ("a..b", "contains \"..\""),
        ("go~1", "has a character other than a-z, 0-9, '.', '_' and '-'"),
        ("go^2", "has a character other than a-z, 0-9, '.', '_' and '-'"),
        ("go:lang", "has a character other than a-z, 0-9, '.', '_' and '-'"),
        ("golang.lock", "ends with \".lock\""),
        ("-golang", "does not start with a letter or digit"),
        (".golang", "does not start with a letter or digit"),
        ("golang.", "ends with \".\""),
        ("a/b", "has a character other than a-z, 0-9, '.', '_' and '-'"),
        ("Golang", "has a character other than a-z, 0-9, '.', '_' and '-'"),
        ("go@{1}", "has a character other than a-z, 0-9, '.', '_' and '-'"),
        ("", "is empty"),
        ("up-to-date", "is reserved for the version of a release with nothing behind"),
    ] {
        let source = w.source(json!({"dependencies": [{"name": name, "kind": "golang"}]}));
        let expected = format!("error: source.dependencies[0].name: {name:?} cannot be a dependency name: it {why}");
        let out = w.check(&source);
        assert_refused(&format!("check with {name:?}"), &out, &expected);
        let out = w.put(&source, json!({}));
        assert_refused(&format!("out with {name:?}"), &out, &expected);
        w.assert_untouched();
    }
    // 101 characters: too long for a branch name that humans read.
    let long = "a".repeat(101);
    let source = w.source(json!({"dependencies": [{"name": long, "kind": "golang"}]}));
    assert_refused(
        "check",
        &w.check(&source),
        &format!(
            "error: source.dependencies[0].name: {long:?} cannot be a dependency name: it is longer than 100 characters"
        ),
    );
}

#[test]
fn base_branches_and_branch_prefixes_git_cannot_take_are_refused() {
    let w = World::golang();
    for branch in [
        "a b",
        "a..b",
        "a~1",
        "a^2",
        "a:b",
        "main.lock",
        "-main",
        "a\\b",
        "a?",
        "a*",
        "a[b",
        "@",
        "a@{1}",
        "a//b",
        "/main",
        "main/",
        "a/.b",
    ] {
        let source = w.source(json!({"branch": branch}));
        let out = w.check(&source);
        assert_refused_starting(
            &format!("branch {branch:?}"),
            &out,
            &format!("error: source.branch: {branch:?} is not a branch name"),
        );
        let out = w.put(&source, json!({}));
        assert_refused_starting(
            &format!("branch {branch:?}"),
            &out,
            &format!("error: source.branch: {branch:?} is not a branch name"),
        );
        w.assert_untouched();
    }
    for prefix in
        ["a b/", "a..b/", "x~", "x^", "x:", "/x", "-x/", "x\\", "x?", "x*", "x[", "x@{", "x//", "x/.y", "x.lock/"]
    {
        let source = w.source(json!({"pull_request": {"branch_prefix": prefix}}));
        let out = w.put(&source, json!({}));
        assert_refused_starting(
            &format!("prefix {prefix:?}"),
            &out,
            &format!("error: source.pull_request.branch_prefix: {prefix:?} cannot start a branch name"),
        );
        w.assert_untouched();
    }
    // What out is asked to do names only tracked dependencies.
    let out = w.put(&w.source(json!({})), json!({"only": ["../../etc/passwd"]}));
    assert_refused_starting("only", &out, "error: params.only: \"../../etc/passwd\" is not a tracked dependency");
    w.assert_untouched();
}

#[test]
fn versions_naming_what_is_not_tracked_or_not_offered_are_refused_by_in() {
    let w = World::golang();
    let source = w.source(json!({}));
    for (version, expected) in [
        (json!({"../../x": "1.10.3"}), "error: dependency ../../x: is in the requested version but not tracked"),
        (json!({"golang": "../../../etc/passwd"}), "error: dependency golang: upstream "),
        (json!({"golang": 1}), "error: version.golang: must be a string"),
        (json!(["golang"]), "error: version: must be an object of strings"),
    ] {
        let out = w.get(&source, version.clone(), json!({"download": true}));
        assert_refused_starting(&format!("in {version}"), &out, expected);
        w.assert_untouched();
    }
}

// ---------------------------------------------------------------------------------------------
// Symbolic links
// ---------------------------------------------------------------------------------------------

#[test]
fn a_blobs_yml_that_is_a_symlink_is_never_read() {
    for target in ["/etc/passwd", "../../../../../../etc/passwd", "final.yml"] {
        let w = World::new("golang-old-release", &[Edit::Link("config/blobs.yml", target)]);
        let source = w.source(json!({}));
        for (step, out) in [
            ("check", w.check(&source)),
            ("in", w.get(&source, json!({"golang": "1.10.3"}), json!({}))),
            ("out", w.put(&source, json!({}))),
            ("currency report", w.report(&source, None)),
        ] {
            assert_refused(step, &out, "error: config/blobs.yml: is not a regular file (symlink?)");
            w.assert_untouched();
        }
        let checkout = w.checkout();
        let before = tree_listing(&checkout);
        for (step, out) in [
            ("currency report --repo", w.report(&source, Some(&checkout))),
            ("currency bump", w.bump(&source, &checkout)),
        ] {
            assert_refused(step, &out, "error: config/blobs.yml: is a symbolic link; refusing to follow it");
            assert_eq!(tree_listing(&checkout), before, "{step} changed the checkout");
            w.assert_untouched();
        }
    }
}

#[test]
fn a_package_spec_that_is_a_symlink_is_refused() {
    let w = World::new("golang-old-release", &[Edit::Link("packages/golang/spec", "/etc/passwd")]);
    let source = w.source(json!({}));
    for (step, out) in [
        ("check", w.check(&source)),
        ("in", w.get(&source, json!({"golang": "1.10.3"}), json!({}))),
        ("out", w.put(&source, json!({}))),
    ] {
        assert_refused(step, &out, "error: packages/golang/spec: is not a regular file (symlink?)");
        w.assert_untouched();
    }
    let checkout = w.checkout();
    let before = tree_listing(&checkout);
    for (step, out) in
        [("currency report --repo", w.report(&source, Some(&checkout))), ("currency bump", w.bump(&source, &checkout))]
    {
        assert_refused(step, &out, "error: packages/golang/spec: is a symbolic link; refusing to follow it");
        assert_eq!(tree_listing(&checkout), before, "{step} changed the checkout");
        w.assert_untouched();
    }
}

#[test]
fn a_checkout_whose_config_or_blobs_directory_is_a_symlink_is_refused() {
    let w = World::golang();
    let outside = w.tmp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let source = w.source(json!({}));

    // config/ itself points outside the checkout (with a blobs.yml there).
    let checkout = w.checkout();
    let config = outside.join("config");
    std::fs::rename(checkout.join("config"), &config).unwrap();
    std::os::unix::fs::symlink(&config, checkout.join("config")).unwrap();
    let before = tree_listing(&config);
    for (step, out) in
        [("currency report --repo", w.report(&source, Some(&checkout))), ("currency bump", w.bump(&source, &checkout))]
    {
        assert_refused(step, &out, "error: config: is a symbolic link; refusing to follow it");
        assert_eq!(tree_listing(&config), before, "{step} wrote outside the checkout");
        w.assert_untouched();
    }

    // blobs/ points outside: a bump would place the new blob there.
    let checkout = w.checkout();
    let blobs = outside.join("blobs");
    std::fs::create_dir_all(&blobs).unwrap();
    std::os::unix::fs::symlink(&blobs, checkout.join("blobs")).unwrap();
    let out = w.bump(&source, &checkout);
    assert_refused("currency bump", &out, "error: blobs: is a symbolic link; refusing to follow it");
    assert_eq!(support::files_under(&blobs), Vec::<PathBuf>::new(), "a blob was written outside the checkout");
    w.assert_untouched();

    // A blob that is a link out of the checkout: a bump would copy the new blob over its target.
    let checkout = w.checkout();
    let victim = outside.join("victim");
    std::fs::write(&victim, "precious").unwrap();
    std::fs::create_dir_all(checkout.join("blobs/golang")).unwrap();
    std::os::unix::fs::symlink(&victim, checkout.join("blobs/golang/go1.10.3.linux-amd64.tar.gz")).unwrap();
    let out = w.bump(&source, &checkout);
    assert_refused(
        "currency bump",
        &out,
        "error: blobs/golang/go1.10.3.linux-amd64.tar.gz: is a symbolic link out of the checkout; refusing to follow it",
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    w.assert_untouched();
    // A dangling one, whose target a copy would create.
    std::fs::remove_file(&victim).unwrap();
    let out = w.bump(&source, &checkout);
    assert_refused(
        "currency bump",
        &out,
        "error: blobs/golang/go1.10.3.linux-amd64.tar.gz: is a symbolic link out of the checkout; refusing to follow it",
    );
    assert!(!victim.exists(), "the dangling link's target was created");
    w.assert_untouched();

    // A directory inside blobs/ points outside.
    let checkout = w.checkout();
    std::fs::create_dir_all(checkout.join("blobs")).unwrap();
    std::os::unix::fs::symlink(&blobs, checkout.join("blobs/golang")).unwrap();
    let out = w.bump(&source, &checkout);
    assert_refused("currency bump", &out, "error: blobs/golang: is a symbolic link; refusing to follow it");
    assert_eq!(support::files_under(&blobs), Vec::<PathBuf>::new(), "a blob was written outside the checkout");
    w.assert_untouched();

    // Links inside the checkout, as bosh-cli makes them into its .blobs cache, are fine.
    let checkout = w.checkout();
    std::fs::create_dir_all(checkout.join(".blobs")).unwrap();
    std::fs::write(checkout.join(".blobs/0123abcd"), "old go").unwrap();
    std::fs::create_dir_all(checkout.join("blobs/golang")).unwrap();
    std::os::unix::fs::symlink(
        checkout.join(".blobs/0123abcd"),
        checkout.join("blobs/golang/go1.9.7.linux-amd64.tar.gz"),
    )
    .unwrap();
    let out = w.bump(&source, &checkout);
    out.assert_success();
    assert!(checkout.join("blobs/golang/go1.10.3.linux-amd64.tar.gz").is_file(), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(checkout.join(".blobs/0123abcd")).unwrap(), "old go", "the cache is left alone");
    assert_eq!(support::files_under(&w.blobstore).len(), 2, "one upload per platform to the local blobstore");
}

// ---------------------------------------------------------------------------------------------
// Enormous and deeply nested input
// ---------------------------------------------------------------------------------------------

#[test]
fn an_enormous_request_is_refused_without_reading_it_all() {
    let w = World::golang();
    let pad = "x".repeat(50 * 1024 * 1024);
    let req = format!("{{\"source\": {}, \"pad\": \"{pad}\"}}", w.source(json!({})));
    for (bin, args) in
        [("check", vec![]), ("in", vec![w.dest.to_str().unwrap()]), ("out", vec![w.tmp.path().to_str().unwrap()])]
    {
        let started = std::time::Instant::now();
        let out = w.run(bin, &args, &req);
        assert_refused(
            bin,
            &out,
            "error: request: is larger than 8 MiB; a request holds only source, version and params",
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "{bin} took {:?}", started.elapsed());
        w.assert_untouched();
    }
    // The same for a --source file.
    let file = w.tmp.path().join("big.yml");
    std::fs::write(&file, format!("repository: {REPO}\n# {pad}\n")).unwrap();
    let out = w.run("currency", &["report", "--source", file.to_str().unwrap()], "");
    assert_refused(
        "currency report",
        &out,
        &format!("error: {}: is larger than 8 MiB; refusing to read it", file.display()),
    );
}

#[test]
fn deeply_nested_requests_and_source_files_are_refused() {
    let w = World::golang();
    let deep = "[".repeat(100_000);
    for (bin, args) in
        [("check", vec![]), ("in", vec![w.dest.to_str().unwrap()]), ("out", vec![w.tmp.path().to_str().unwrap()])]
    {
        let out = w.run(bin, &args, &deep);
        assert_refused(bin, &out, "error: request: not valid JSON (recursion limit exceeded)");
        // Nested inside the source, under a key that exists.
        let req = format!("{{\"source\": {{\"repository\": \"{REPO}\", \"dependencies\": {deep}");
        let out = w.run(bin, &args, &req);
        assert_refused(bin, &out, "error: request: not valid JSON (recursion limit exceeded)");
        w.assert_untouched();
    }
    let too_deep = "has more than 1000 '[' and '{' (nested too deeply?); refusing to parse it as YAML";
    for (name, text, expected) in [
        ("deep-seq.yml", deep.clone(), too_deep),
        ("deep-map.yml", format!("repository: {REPO}\ndependencies: {}", "{a: ".repeat(100_000)), too_deep),
        (
            "deep-200.yml",
            format!("repository: {REPO}\ndependencies: {}", "[".repeat(200)),
            "not valid YAML or JSON at line 2 (nested too deeply)",
        ),
        (
            "laughs.yml",
            billion_laughs(&format!("repository: {REPO}\n")),
            "not valid YAML or JSON (aliases expand too far)",
        ),
    ] {
        let file = w.tmp.path().join(name);
        std::fs::write(&file, text).unwrap();
        let started = std::time::Instant::now();
        let out = w.run("currency", &["report", "--source", file.to_str().unwrap()], "");
        assert_refused(name, &out, &format!("error: {}: {expected}", file.display()));
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{name} took {:?}", started.elapsed());
    }
}

/// YAML whose aliases expand to 9^9 strings (about 2 GB as a value tree).
fn billion_laughs(tail: &str) -> String {
    let mut text = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let refs = vec![format!("*{}", pair[0]); 9].join(",");
        text.push_str(&format!("{}: &{} [{refs}]\n", pair[1], pair[1]));
    }
    text.push_str(tail);
    text
}

#[test]
fn blobs_yml_that_is_huge_deep_or_explosive_is_refused() {
    let huge = format!("# {}\n", "x".repeat(80)).repeat(200_000); // 16.6 MB of comments
    for (what, text, expected) in [
        ("huge", huge, "error: config/blobs.yml: is larger than 8 MiB; refusing to parse it"),
        (
            "deep",
            "[".repeat(100_000),
            "error: config/blobs.yml: has more than 1000 '[' and '{' (nested too deeply?); refusing to parse it as YAML",
        ),
        ("deep map", "a:\n  ".to_string() + &"{b: ".repeat(100_000), "error: config/blobs.yml: has more than 1000 '['"),
        ("deep 200", "a:\n  ".to_string() + &"{b: ".repeat(200), "error: config/blobs.yml:2: "),
        ("laughs", billion_laughs(""), "error: config/blobs.yml:"),
        ("garbage", "golang/go1.9.7.linux-amd64.tar.gz:\n  size: [1\n  sha: \"\n".into(), "error: config/blobs.yml:"),
        ("not a map", "- just\n- a list\n".into(), "error: config/blobs.yml:"),
        (
            "escaping key",
            "../../etc/passwd:\n  size: 1\n  object_id: x\n  sha: abc\n".into(),
            "error: config/blobs.yml:1: ",
        ),
        ("absolute key", "/etc/passwd:\n  size: 1\n  object_id: x\n  sha: abc\n".into(), "error: config/blobs.yml:1: "),
    ] {
        let w = World::new("golang-old-release", &[Edit::File("config/blobs.yml", text)]);
        let source = w.source(json!({}));
        let mut runs = vec![("check", w.check(&source))];
        if matches!(what, "huge" | "deep" | "escaping key") {
            runs.push(("in", w.get(&source, json!({"golang": "1.10.3"}), json!({}))));
            runs.push(("out", w.put(&source, json!({}))));
        }
        for (step, out) in runs {
            let step = format!("{step} ({what} blobs.yml)");
            if expected.ends_with("it") || expected.ends_with("YAML") {
                assert_refused(&step, &out, expected);
            } else {
                assert_refused_starting(&step, &out, expected);
            }
            w.assert_untouched();
        }
    }
}

#[test]
fn a_package_spec_that_is_deep_or_huge_is_refused() {
    for (text, expected) in [
        (
            format!("name: golang\nfiles: {}", "{a: ".repeat(100_000)),
            "error: packages/golang/spec: has more than 1000 '[' and '{' (nested too deeply?); refusing to parse it as YAML",
        ),
        (
            format!("name: golang\n# {}\n", "x".repeat(9 * 1024 * 1024)),
            "error: packages/golang/spec: is larger than 8 MiB; refusing to parse it",
        ),
    ] {
        let w = World::new("golang-old-release", &[Edit::File("packages/golang/spec", text)]);
        let started = std::time::Instant::now();
        assert_refused("check", &w.check(&w.source(json!({}))), expected);
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
        w.assert_untouched();
    }
}

#[test]
fn a_final_yml_that_is_deep_or_explosive_fails_the_bump_before_anything_is_uploaded() {
    for (what, text) in [
        ("deep", "[".repeat(100_000)),
        ("deep map", "blobstore:\n  options: ".to_string() + &"{a: ".repeat(100_000)),
        ("laughs", billion_laughs("blobstore: {provider: local, options: *i}\n")),
        ("garbage", "blobstore:\n  provider: [local\n".into()),
    ] {
        let w = World::new("golang-old-release", &[Edit::File("config/final.yml", text)]);
        let source = w.source(json!({}));
        let started = std::time::Instant::now();
        let out = w.put(&source, json!({}));
        assert_refused_starting(&format!("out ({what} final.yml)"), &out, "error: config/final.yml");
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{what}: out took {:?}", started.elapsed());
        w.assert_untouched();
        // check and in do not need the blobstore: the report is still written.
        w.check(&source).assert_success();
    }
}

// ---------------------------------------------------------------------------------------------
// Files that do not parse
// ---------------------------------------------------------------------------------------------

#[test]
fn an_unparseable_go_mod_is_named_with_its_line() {
    let w = World::new(
        "nats-release",
        &[Edit::File(
            "src/code.cloudfoundry.org/go.mod",
            "module code.cloudfoundry.org\n\ngo 1.23\n\nrequire (\n\tgithub.com/nats-io/nats.go v1.37.0\n".into(),
        )],
    );
    let source = w.source(
        json!({"dependencies": [{"name": "nats.go", "kind": "go-module", "module": "github.com/nats-io/nats.go"}]}),
    );
    for (step, out) in [
        ("check", w.check(&source)),
        ("in", w.get(&source, json!({"nats.go": "1.38.0"}), json!({}))),
        ("out", w.put(&source, json!({}))),
        ("currency report", w.report(&source, None)),
    ] {
        assert_refused_starting(step, &out, "error: src/code.cloudfoundry.org/go.mod:");
        w.assert_untouched();
    }
    // Deeply nested blocks and an enormous go.mod are refused the same way.
    for (what, text) in [
        ("deep", "module x\n".to_string() + &"require (\n".repeat(100_000)),
        ("huge", "module x\n".to_string() + &format!("// {}\n", "y".repeat(100)).repeat(100_000)),
    ] {
        let w = World::new("nats-release", &[Edit::File("src/code.cloudfoundry.org/go.mod", text)]);
        let out = w.check(&source);
        assert_refused_starting(what, &out, "error: src/code.cloudfoundry.org/go.mod");
        w.assert_untouched();
    }
}

#[test]
fn a_go_mod_that_is_a_symlink_is_never_read() {
    let w = World::new("nats-release", &[Edit::Link("src/code.cloudfoundry.org/go.mod", "/etc/passwd")]);
    fixtures::load_fixture_modules(&w.up);
    let source = w.source(json!({"dependencies": [{"name": "nats.go", "kind": "go-module",
        "module": "github.com/nats-io/nats.go", "go_mod": ["src/code.cloudfoundry.org/go.mod"]}]}));
    let expected = "error: dependency nats.go: src/code.cloudfoundry.org/go.mod is not a go.mod of the repository \
                    (missing, or not a regular file: a symbolic link is never read)";
    for (step, out) in [
        ("check", w.check(&source)),
        ("in", w.get(&source, json!({"nats.go": "1.38.0"}), json!({}))),
        ("out", w.put(&source, json!({}))),
    ] {
        assert_refused(step, &out, expected);
        w.assert_untouched();
    }
    // Autodetection never reads it, so it finds nothing to track.
    let out = w.check(&w.source(json!({})));
    out.assert_success();
    assert_eq!(out.json(), json!([]));
    let out = w.get(&w.source(json!({})), json!({"up-to-date": "x"}), json!({}));
    out.assert_success();
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(w.dest.join("plan.json")).unwrap()).unwrap();
    assert!(!plan.to_string().contains("nats.go"), "{plan}");
}

#[test]
fn in_takes_back_the_first_artifact_when_the_second_fails() {
    let blobs = fixtures::read_file(
        &fixtures::release_repo("golang-old-release", tempfile::tempdir().unwrap().path()),
        "main",
        "config/blobs.yml",
    )
    .unwrap()
        + "zz-etcd/etcd-v3.5.16-linux-amd64.tar.gz:\n  size: 10\n  object_id: 1b0e5e0c-1c2d-4e3f-5a6b-7c8d9e0f1a2b\n  sha: sha256:2222222222222222222222222222222222222222222222222222222222222222\n";
    let w = World::new("golang-old-release", &[Edit::File("config/blobs.yml", blobs)]);
    for tag in ["v3.5.16", "v3.5.17"] {
        let name = format!("etcd-{tag}-linux-amd64.tar.gz");
        w.up.add_release("etcd-io/etcd", support::Release::new(tag).asset(&name, format!("etcd {tag}").into_bytes()));
    }
    let source = w.source(json!({"dependencies": [
        {"name": "golang", "kind": "golang"},
        {"name": "zz-etcd", "kind": "github-release", "upstream": "etcd-io/etcd",
         "blob": "zz-etcd/etcd-v{version}-linux-amd64.tar.gz"}]}));
    // golang downloads (it sorts first); every way to etcd's asset then fails.
    w.up.fail_next("/download/etcd-io", 404, 50);
    w.up.fail_next("/repos/etcd-io/etcd/releases/assets", 404, 50);
    let out = w.get(&source, json!({"golang": "1.10.3", "zz-etcd": "3.5.17"}), json!({"download": true}));
    assert_refused_starting("in", &out, "error: ");
    assert!(out.stderr.contains("golang: go1.10.3.linux-amd64.tar.gz"), "golang was downloaded first:\n{}", out.stderr);
    assert_eq!(support::files_under(&w.dest), Vec::<PathBuf>::new(), "in left files behind");
    assert_eq!(std::fs::read_dir(&w.dest).unwrap().count(), 0, "in left directories behind");
    w.assert_untouched();
}
