//! `out` for go-module dependencies: the real binary and the real Go toolchain against a local
//! module proxy of fixture modules, a release shaped like nats-release (one module under
//! `src/code.cloudfoundry.org`, committed `vendor/`, a `# gosub` package spec), smart-HTTP git and
//! the GitHub stand-in.

mod support;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::{GitServer, Tmp, Upstream, fixtures};

const TOKEN: &str = "ghp_MODTESTTOKENneverPRINTED0000000001";
const REPO: &str = "cloudfoundry/nats-fixture";
const MODULE_DIR: &str = "src/code.cloudfoundry.org";

fn go() -> PathBuf {
    currency::go_toolchain::find_go()
        .and_then(|g| currency::go_toolchain::check_go(&g).map(|_| g))
        .unwrap_or_else(|e| panic!("these tests need Go 1.22 or newer ({e}); `bash .ci/run` installs it"))
}

struct World {
    up: Upstream,
    _repos: tempfile::TempDir,
    _git: GitServer,
    tmp: Tmp,
    bare: PathBuf,
    git_url: String,
}

impl World {
    fn new() -> World {
        World::with_extra(&[])
    }

    /// The vendored release plus `extra` files.
    fn with_extra(extra: &[(String, String)]) -> World {
        let up = Upstream::start();
        fixtures::load_fixture_modules(&up);
        let repos = tempfile::tempdir().unwrap();
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/modules/releases/vendored");
        let mut files: Vec<(&str, &str)> = vec![
            (
                "config/final.yml",
                "---\nfinal_name: nats-fixture\nblobstore:\n  provider: local\n  options:\n    blobstore_path: /tmp/unused\n",
            ),
            ("config/blobs.yml", "--- {}\n"),
        ];
        files.extend(extra.iter().map(|(p, c)| (p.as_str(), c.as_str())));
        let bare = fixtures::release_repo_from(&source, &files, "nats-fixture", repos.path());
        up.link_git(REPO, &bare);
        up.grant_push(REPO, TOKEN);
        let git = GitServer::start_token(repos.path(), TOKEN);
        let git_url = git.url_for("nats-fixture");
        World { up, _repos: repos, _git: git, tmp: Tmp::new(), bare, git_url }
    }

    fn source(&self, constraint: &str) -> Value {
        json!({
            "repository": REPO,
            "access_token": TOKEN,
            "git_url": self.git_url,
            "github_api_url": self.up.url(),
            "vulndb": self.up.vulndb_url(),
            "go_proxy": self.up.goproxy_url(),
            "go_sumdb": "off",
            "git_author": {"name": "currency-bot", "email": "bot@currency.invalid"},
            "dependencies": [{"name": "nats-server", "kind": "go-module",
                              "module": "github.com/nats-io/nats-server/v2", "constraint": constraint}],
        })
    }

    fn out(&self, source: &Value, params: Value) -> support::Output {
        let sources = self.tmp.path().join("sources");
        std::fs::create_dir_all(&sources).unwrap();
        let req = json!({"source": source, "params": params});
        let go = go();
        let out = self.tmp.run(
            support::bin("out"),
            &[sources.to_str().unwrap()],
            &req.to_string(),
            &[("CURRENCY_RETRY_BASE_MS", "5"), ("CURRENCY_GO", go.to_str().unwrap())],
        );
        assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN), "token printed:\n{out:#?}");
        out
    }

    fn file(&self, branch: &str, path: &str) -> String {
        fixtures::read_file(&self.bare, branch, &format!("{MODULE_DIR}/{path}"))
            .or_else(|| fixtures::read_file(&self.bare, branch, path))
            .unwrap_or_else(|| panic!("{branch}:{path} missing"))
    }
}

#[test]
fn a_module_bump_updates_go_mod_go_sum_vendor_and_the_gosub_spec_in_one_pr() {
    let w = World::new();
    let source = w.source(">=2.10, <2.10.25");
    let out = w.out(&source, json!({}));
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"nats-server": "2.10.24"}));
    let branch = "currency/nats-server";
    let go_mod = w.file(branch, "go.mod");
    assert!(go_mod.contains("github.com/nats-io/nats-server/v2 v2.10.24"), "{go_mod}");
    assert!(go_mod.contains("go 1.22.0\n"), "the go directive is not raised:\n{go_mod}");
    assert!(go_mod.contains("replace github.com/nats-io/nuid => ./local/nuid"), "the local replace stays:\n{go_mod}");
    let modules_txt = w.file(branch, "vendor/modules.txt");
    assert!(modules_txt.contains("# github.com/nats-io/nats-server/v2 v2.10.24"), "{modules_txt}");
    assert!(w.file(branch, "go.sum").contains("github.com/nats-io/nats-server/v2 v2.10.24 h1:"));
    // The spec follows the packages the server now builds: toml and stree in, avl out.
    let spec = w.file(branch, "packages/nats-server/spec");
    assert!(spec.contains("code.cloudfoundry.org/vendor/github.com/BurntSushi/toml/*.go # gosub"), "{spec}");
    assert!(!spec.contains("/server/avl/"), "{spec}");
    assert!(spec.contains("  - code.cloudfoundry.org/go.mod\n"), "other lines stay:\n{spec}");
    let log = fixtures::git(&w.bare, ["log", "--format=%s", "main..currency/nats-server"]);
    assert_eq!(log.trim(), "Bump nats-server from 2.10.22 to 2.10.24");
    let pulls = w.up.pulls(REPO);
    assert_eq!(pulls.len(), 1);
    let body = pulls[0]["body"].as_str().unwrap();
    assert!(body.contains("| `github.com/nats-io/nats.go` | v1.37.0 | v1.38.0 |"), "side effects are listed:\n{body}");
    assert!(body.contains("| `github.com/BurntSushi/toml` | (added) | v1.4.0 |"), "{body}");
    assert!(body.contains("packages/nats-server/spec"), "{body}");

    // A second run finds the branch holding the bump: no new commit, no PR edit.
    let head = fixtures::head_of(&w.bare, branch);
    let again = w.out(&source, json!({}));
    again.assert_success();
    assert_eq!(fixtures::head_of(&w.bare, branch), head);
    assert_eq!(w.up.pulls(REPO), pulls);
}

#[test]
fn a_module_needing_a_newer_go_fails_clearly_and_pushes_nothing() {
    let w = World::new();
    // v2.11.0 declares go 1.99.0, newer than any toolchain here.
    let out = w.out(&w.source("^2"), json!({}));
    out.assert_failure();
    assert_eq!(out.stdout, "");
    let errors: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{}", out.stderr);
    assert!(errors[0].contains("nats-server") && errors[0].contains("go"), "{}", errors[0]);
    assert_eq!(fixtures::branches(&w.bare), ["main"]);
    assert!(w.up.pulls(REPO).is_empty());
}

#[test]
fn dry_run_shows_the_go_mod_diff_and_pushes_nothing() {
    let w = World::new();
    let out = w.out(&w.source(">=2.10, <2.10.25"), json!({"dry_run": true}));
    out.assert_success();
    assert!(out.stderr.contains("+\tgithub.com/nats-io/nats-server/v2 v2.10.24"), "{}", out.stderr);
    assert!(out.stderr.contains("vendor/:"), "{}", out.stderr);
    assert_eq!(fixtures::branches(&w.bare), ["main"]);
    assert!(w.up.pulls(REPO).is_empty());
}

#[test]
fn every_go_mod_that_requires_the_module_is_bumped_in_the_same_commit() {
    // A second module without vendor/: the plain fixture release's module, as acceptance tests.
    let plain =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/modules/releases/plain/src/code.cloudfoundry.org");
    let mut extra = Vec::new();
    for file in support::files_under(&plain) {
        let rel = file.strip_prefix(&plain).unwrap().to_string_lossy().into_owned();
        extra.push((format!("src/acceptance-tests/{rel}"), std::fs::read_to_string(&file).unwrap()));
    }
    let w = World::with_extra(&extra);
    let out = w.out(&w.source(">=2.10, <2.10.25"), json!({}));
    out.assert_success();
    let branch = "currency/nats-server";
    for go_mod in [format!("{MODULE_DIR}/go.mod"), "src/acceptance-tests/go.mod".to_string()] {
        let text = fixtures::read_file(&w.bare, branch, &go_mod).unwrap();
        assert!(text.contains("github.com/nats-io/nats-server/v2 v2.10.24"), "{go_mod}:\n{text}");
    }
    assert!(
        fixtures::read_file(&w.bare, branch, "src/acceptance-tests/vendor/modules.txt").is_none(),
        "no vendor/ appears"
    );
    let log = fixtures::git(&w.bare, ["log", "--format=%s", "main..currency/nats-server"]);
    assert_eq!(log.lines().count(), 1, "{log}");
    let body = w.up.pulls(REPO)[0]["body"].as_str().unwrap().to_string();
    assert!(
        body.contains("`src/acceptance-tests/go.mod`") && body.contains("`src/code.cloudfoundry.org/go.mod`"),
        "{body}"
    );
}
