//! `out` for a Go toolchain shipped on every platform, as bosh-package-golang-release ships it:
//! `go<version>.linux-amd64.tar.gz`, `.darwin-amd64.tar.gz` and `.windows-amd64.zip` blobs per
//! minor line, one package per platform whose spec globs its blob and whose `version` file holds
//! the Go version. The platforms move together: one commit, each blob verified against its own
//! sha256 from the Go downloads index and uploaded to the blobstore, the version files rewritten.
//! The real binary runs against a release served over smart HTTP, the local Go downloads server
//! and a local blobstore directory.

mod support;

use std::path::PathBuf;

use serde_json::{Value, json};
use support::{GitServer, Tmp, Upstream, fixtures};

const TOKEN: &str = "ghp_GOPLATFORMStokenNEVERprinted00001";
const REPO: &str = "cloudfoundry/bosh-package-golang-release";
const FIXTURE: &str = "golang-platforms-release";
const BRANCH: &str = "currency/golang-1.26";
const PLATFORMS: [&str; 3] = ["darwin-amd64.tar.gz", "linux-amd64.tar.gz", "windows-amd64.zip"];

struct World {
    up: Upstream,
    _repos: tempfile::TempDir,
    tmp: Tmp,
    git: GitServer,
    blobstore: PathBuf,
    bare: PathBuf,
}

impl World {
    /// The fixture release (1.25.9 and 1.26.6 on three platforms) and a Go index offering
    /// 1.25.9, 1.26.6 and 1.26.7 on every platform.
    fn new() -> World {
        let up = Upstream::start();
        let repos = tempfile::tempdir().unwrap();
        let git = GitServer::start_token(repos.path(), TOKEN);
        let bare = fixtures::release_repo(FIXTURE, repos.path());
        up.link_git(REPO, &bare);
        up.grant_push(REPO, TOKEN);
        for v in ["1.25.9", "1.26.6", "1.26.7"] {
            up.add_go_release(v, true);
        }
        let tmp = Tmp::new();
        let blobstore = tmp.path().join("blobstore");
        std::fs::create_dir_all(&blobstore).unwrap();
        World { up, _repos: repos, tmp, git, blobstore, bare }
    }

    fn source(&self) -> Value {
        json!({
            "repository": REPO,
            "access_token": TOKEN,
            "git_url": self.git.url_for(FIXTURE),
            "github_api_url": self.up.url(),
            "vulndb": self.up.vulndb_url(),
            "upstream_api_url": self.up.url(),
            "go_downloads_url": self.up.go_downloads_url(),
            "blobstore": {"options": {"blobstore_path": self.blobstore.to_str().unwrap()}},
            "git_author": {"name": "currency-bot", "email": "bot@currency.invalid"},
        })
    }

    fn out(&self, source: &Value) -> support::Output {
        let sources = self.tmp.path().join("sources");
        std::fs::create_dir_all(&sources).unwrap();
        let req = json!({"source": source, "params": {}});
        let out = self.tmp.run(
            support::bin("out"),
            &[sources.to_str().unwrap()],
            &req.to_string(),
            &[("CURRENCY_RETRY_BASE_MS", "5")],
        );
        assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN), "token printed:\n{out:#?}");
        out
    }

    /// The blobstore's objects: file name (the object id) → bytes.
    fn objects(&self) -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<(String, Vec<u8>)> = support::files_under(&self.blobstore)
            .into_iter()
            .map(|p| (p.file_name().unwrap().to_str().unwrap().to_string(), std::fs::read(&p).unwrap()))
            .collect();
        v.sort();
        v
    }

    fn branch_file(&self, path: &str) -> String {
        fixtures::read_file(&self.bare, BRANCH, path).unwrap_or_else(|| panic!("{BRANCH} has no {path}"))
    }
}

/// The entry config/blobs.yml gives `key`: (size, object id, sha).
fn entry(blobs_yml: &str, key: &str) -> (u64, String, String) {
    let all: serde_json::Map<String, Value> = yaml_serde::from_str(blobs_yml).unwrap();
    let e = all.get(key).unwrap_or_else(|| panic!("no {key} in\n{blobs_yml}"));
    (e["size"].as_u64().unwrap(), e["object_id"].as_str().unwrap().into(), e["sha"].as_str().unwrap().into())
}

#[test]
fn every_platforms_blob_moves_in_one_commit_each_verified_uploaded_and_the_version_files_follow() {
    let w = World::new();
    // 1.26.8 is out for linux and darwin only: not a target, the platforms could not move together.
    w.up.add_go_release("1.26.8", true);
    w.up.withdraw_go_file("go1.26.8.windows-amd64.zip");
    let out = w.out(&w.source());
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"golang-1.26": "1.26.7"}));

    // One commit holds every platform.
    let log = fixtures::git(&w.bare, ["log", "--format=%s", &format!("main..{BRANCH}")]);
    assert_eq!(log.lines().collect::<Vec<_>>(), ["Bump golang-1.26 from 1.26.6 to 1.26.7"]);
    assert_eq!(fixtures::branches(&w.bare), [BRANCH, "main"], "golang-1.25 is current");

    // Each new blob has its own entry, with the sha256 the index gives that file and an object
    // in the blobstore holding exactly the bytes served; the old 1.26 entries are gone, 1.25's stay.
    let blobs = w.branch_file("config/blobs.yml");
    let objects = w.objects();
    assert_eq!(objects.len(), 3, "one upload per platform");
    for platform in PLATFORMS {
        let name = format!("go1.26.7.{platform}");
        let served = w.up.go_file_bytes(&name);
        let (size, object_id, sha) = entry(&blobs, &name);
        assert_eq!(sha, format!("sha256:{}", support::sha256_hex(&served)), "{name}");
        assert_eq!(size, served.len() as u64, "{name}");
        assert!(objects.contains(&(object_id, served)), "{name}: its object is in the blobstore");
        assert!(!blobs.contains(&format!("go1.26.6.{platform}")), "{name}: the old blob is replaced");
        assert!(blobs.contains(&format!("go1.25.9.{platform}")), "{name}: the other line stays");
    }
    let shas: std::collections::BTreeSet<String> =
        PLATFORMS.iter().map(|p| entry(&blobs, &format!("go1.26.7.{p}")).2).collect();
    assert_eq!(shas.len(), 3, "each platform has its own sum");

    // The version files of the 1.26 packages hold the new version, still without a newline; the
    // specs' globs match the new blobs and stay as they were.
    for os in ["linux", "darwin", "windows"] {
        assert_eq!(w.branch_file(&format!("packages/golang-1.26-{os}/version")), "1.26.7");
        assert_eq!(w.branch_file(&format!("packages/golang-1.25-{os}/version")), "1.25.9");
    }
    let changed = fixtures::git(&w.bare, ["diff", "--name-only", "main", BRANCH]);
    assert_eq!(
        changed.lines().collect::<Vec<_>>(),
        [
            "config/blobs.yml",
            "packages/golang-1.26-darwin/version",
            "packages/golang-1.26-linux/version",
            "packages/golang-1.26-windows/version"
        ]
    );

    // The pull request names every blob with its sum, its object and the blob it replaces.
    let pulls = w.up.pulls(REPO);
    assert_eq!(pulls.len(), 1);
    assert_eq!(pulls[0]["title"], "Bump golang-1.26 from 1.26.6 to 1.26.7");
    let body = pulls[0]["body"].as_str().unwrap();
    for platform in PLATFORMS {
        let (_, object_id, sha) = entry(&blobs, &format!("go1.26.7.{platform}"));
        assert!(body.contains(&format!("**golang-1.26** `go1.26.7.{platform}`")), "{body}");
        assert!(body.contains(&format!("- sha256: `{}`", sha.trim_start_matches("sha256:"))), "{body}");
        assert!(body.contains(&format!("- blobstore object: `{object_id}`")), "{body}");
        assert!(body.contains(&format!("- replaces: `go1.26.6.{platform}`")), "{body}");
        assert!(body.contains(&format!("{}/dl/go1.26.7.{platform}", w.up.url())), "{body}");
    }

    // A second run finds the branch holding exactly this bump: no upload, no push, no PR edit.
    let head = fixtures::head_of(&w.bare, BRANCH);
    let again = w.out(&w.source());
    again.assert_success();
    assert!(again.stderr.contains("already holds this bump; reused"), "{}", again.stderr);
    assert_eq!(fixtures::head_of(&w.bare, BRANCH), head, "no new commit");
    assert_eq!(w.objects(), objects, "no second upload");
    assert_eq!(w.up.pulls(REPO), pulls, "no second PR, no edit");
}

#[test]
fn a_platform_lagging_behind_makes_the_line_current_at_its_version_and_it_catches_up_alone() {
    let w = World::new();
    // linux and windows were moved to 1.26.7 by hand; darwin stayed on 1.26.6.
    let blobs = fixtures::read_file(&w.bare, "main", "config/blobs.yml").unwrap();
    let moved = blobs
        .replace("go1.26.6.linux-amd64.tar.gz", "go1.26.7.linux-amd64.tar.gz")
        .replace("go1.26.6.windows-amd64.zip", "go1.26.7.windows-amd64.zip");
    fixtures::commit_file(&w.bare, "main", "config/blobs.yml", &moved, "Bump linux and windows by hand");
    let out = w.out(&w.source());
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"golang-1.26": "1.26.7"}));
    let log = fixtures::git(&w.bare, ["log", "--format=%s", &format!("main..{BRANCH}")]);
    assert_eq!(log.trim(), "Bump golang-1.26 from 1.26.6 to 1.26.7");
    let objects = w.objects();
    assert_eq!(objects.len(), 1, "only darwin is downloaded and uploaded");
    let served = w.up.go_file_bytes("go1.26.7.darwin-amd64.tar.gz");
    let branch_blobs = w.branch_file("config/blobs.yml");
    let (_, object_id, sha) = entry(&branch_blobs, "go1.26.7.darwin-amd64.tar.gz");
    assert_eq!(objects[0], (object_id, served.clone()));
    assert_eq!(sha, format!("sha256:{}", support::sha256_hex(&served)));
    assert_eq!(
        entry(&branch_blobs, "go1.26.7.linux-amd64.tar.gz"),
        entry(&moved, "go1.26.7.linux-amd64.tar.gz"),
        "the platform already there is left as it is"
    );
}

#[test]
fn a_version_missing_a_platforms_file_in_the_go_index_is_no_target_and_the_plan_names_the_file() {
    let w = World::new();
    w.up.withdraw_go_file("go1.26.7.windows-amd64.zip");
    let run_in = |dest: &std::path::Path, version: Value| {
        std::fs::create_dir_all(dest).unwrap();
        let req = json!({"source": w.source(), "version": version, "params": {"download": true}});
        w.tmp.run(support::bin("in"), &[dest.to_str().unwrap()], &req.to_string(), &[])
    };
    // `in` asked for that version fails with one line naming the dependency; nothing is written.
    let dest = w.tmp.path().join("pinned");
    let out = run_in(&dest, json!({"golang-1.26": "1.26.7"}));
    out.assert_failure();
    let errors: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors, ["error: dependency golang-1.26: upstream Go downloads does not offer version 1.26.7"]);
    assert!(!dest.join("artifacts").exists());
    // `out` has nothing to do: linux and darwin alone would split the platforms.
    let out = w.out(&w.source());
    out.assert_success();
    let base = fixtures::head_of(&w.bare, "main");
    assert_eq!(out.json()["version"], json!({"up-to-date": base}));
    assert!(w.objects().is_empty());
    // The plan says why.
    let dest = w.tmp.path().join("plan");
    run_in(&dest, json!({"up-to-date": base})).assert_success();
    let plan: Value = serde_json::from_slice(&std::fs::read(dest.join("plan.json")).unwrap()).unwrap();
    let golang = plan["dependencies"].as_array().unwrap().iter().find(|d| d["name"] == "golang-1.26").unwrap();
    assert_eq!(golang["behind"], false);
    assert_eq!(
        golang["note"],
        "Go 1.26.7 is not a candidate: the Go downloads index has no go1.26.7.windows-amd64.zip, and the platforms move together"
    );
}
