//! `check` and `in` as Concourse runs them: the real binaries, JSON on stdin, against release
//! repositories built from fixtures (bare repos over file:// and smart HTTP with basic auth) and a
//! local stand-in for GitHub's releases API, the Go downloads index and the module proxy.

mod support;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::{GitServer, Release, Tmp, Upstream, fixtures};

const TOKEN: &str = "ghp_TESTTOKENshouldNEVERbePRINTED0001";
const FAST: &[(&str, &str)] = &[("CURRENCY_RETRY_BASE_MS", "5")];

/// One test's world: upstream stand-in, bare repositories, and a TMPDIR kept across runs.
struct World {
    up: Upstream,
    repos: tempfile::TempDir,
    tmp: Tmp,
}

impl World {
    fn new() -> World {
        World { up: Upstream::start(), repos: tempfile::tempdir().unwrap(), tmp: Tmp::new() }
    }

    fn repo(&self, fixture: &str) -> PathBuf {
        fixtures::release_repo(fixture, self.repos.path())
    }

    /// A source for `bare` with every upstream pointed at the stand-in.
    fn source(&self, bare: &Path, extra: Value) -> Value {
        let mut s = json!({
            "repository": "cloudfoundry/fixture-release",
            "git_url": format!("file://{}", bare.display()),
            "github_api_url": self.up.github_api_url(),
            "vulndb": self.up.vulndb_url(),
            "upstream_api_url": self.up.github_api_url(),
            "go_proxy": self.up.goproxy_url(),
            "go_downloads_url": self.up.go_downloads_url(),
            "golang_release": support::fixture_golang_release(),
        });
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    }

    fn check(&self, source: &Value, version: Option<Value>) -> support::Output {
        let mut req = json!({ "source": source });
        if let Some(v) = version {
            req["version"] = v;
        }
        self.tmp.run(support::bin("check"), &[], &req.to_string(), FAST)
    }

    fn get(&self, dest: &Path, source: &Value, version: Value, params: Value) -> support::Output {
        let req = json!({ "source": source, "version": version, "params": params });
        self.tmp.run(support::bin("in"), &[dest.to_str().unwrap()], &req.to_string(), FAST)
    }
}

fn etcd_upstream(up: &Upstream) {
    for tag in ["v3.3.15", "v3.3.27", "v3.4.34", "v3.5.17"] {
        let name = format!("etcd-{tag}-linux-amd64.tar.gz");
        up.add_release(
            "etcd-io/etcd",
            Release::new(tag).asset(&name, format!("etcd {tag} linux tarball").into_bytes()).with_sha256sums(),
        );
    }
    up.add_release(
        "etcd-io/etcd",
        Release::new("v3.6.0-rc.1").prerelease().asset("etcd-v3.6.0-rc.1-linux-amd64.tar.gz", b"rc".to_vec()),
    );
    up.add_release(
        "etcd-io/etcd",
        Release::new("v3.5.18").draft().asset("etcd-v3.5.18-linux-amd64.tar.gz", b"draft".to_vec()),
    );
}

fn go_upstream(up: &Upstream) {
    for v in ["1.22.4", "1.22.5", "1.23.1", "1.23.3", "1.24.0"] {
        up.add_go_release(v, true);
    }
    up.add_go_release("1.25rc1", false);
}

fn module_upstream(up: &Upstream) {
    let t = "2024-10-01T00:00:00Z";
    for v in ["v2.10.22", "v2.10.23", "v2.11.0-RC.1"] {
        up.add_module(
            "github.com/nats-io/nats-server/v2",
            v,
            "module github.com/nats-io/nats-server/v2\n\ngo 1.21.0\n",
            t,
            &[],
        );
    }
    for v in ["v1.37.0", "v1.38.0"] {
        up.add_module("github.com/nats-io/nats.go", v, "module github.com/nats-io/nats.go\n\ngo 1.20\n", t, &[]);
    }
    up.add_module(
        "github.com/nats-io/nats.go",
        "v1.39.0",
        "module github.com/nats-io/nats.go\n\ngo 1.20\n\n// published by mistake\nretract v1.39.0\n",
        t,
        &[],
    );
}

fn versions(out: &support::Output) -> Value {
    out.assert_success();
    out.json()
}

#[track_caller]
fn assert_one_line_error(out: &support::Output, needle: &str) {
    out.assert_failure();
    assert_eq!(out.stdout, "", "stdout must stay empty on failure");
    let err_lines: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(err_lines.len(), 1, "exactly one error line expected:\n{}", out.stderr);
    assert!(err_lines[0].contains(needle), "error line should name {needle:?}: {}", err_lines[0]);
    assert!(!out.stderr.contains(TOKEN), "the token leaked:\n{}", out.stderr);
}

#[test]
fn check_prints_nothing_when_every_dependency_is_current() {
    let w = World::new();
    for v in ["1.22.4", "1.23.1"] {
        w.up.add_go_release(v, true);
    }
    w.up.add_go_release("1.24rc1", false);
    let bare = w.repo("golang-release");
    assert_eq!(versions(&w.check(&w.source(&bare, json!({})), None)), json!([]));
}

#[test]
fn check_reports_a_blob_behind_ignoring_drafts_and_prereleases() {
    let w = World::new();
    etcd_upstream(&w.up);
    w.up.grant_push("etcd-io/etcd", TOKEN);
    let bare = w.repo("etcd-release");
    // The token sees the draft v3.5.18; drafts never count. v3.6.0-rc.1 is a prerelease.
    let out = w.check(&w.source(&bare, json!({"access_token": TOKEN})), None);
    assert_eq!(versions(&out), json!([{"etcd": "3.5.17"}]));
    assert!(!out.stderr.contains(TOKEN));
}

#[test]
fn a_custom_build_is_reported_as_one_and_check_leaves_it_unless_told_to_replace_it() {
    let w = World::new();
    etcd_upstream(&w.up);
    let blobs = "etcd/etcd-v3.3.15-tls1.2-patch-linux-amd64.tar.gz:\n  size: 14194932\n  \
                 object_id: 5a1c26e2-35fa-4c6b-4f7d-2ce1b0c0e3d1\n  sha: 0d3c2f8a9e4b1c6d7e8f9a0b1c2d3e4f5a6b7c8d\n";
    let bare = fixtures::release_repo_from(
        &fixtures::fixtures_dir().join("etcd-release"),
        &[("config/blobs.yml", blobs)],
        "patched-etcd-release",
        w.repos.path(),
    );
    let source = w.source(&bare, json!({}));
    assert_eq!(versions(&w.check(&source, None)), json!([]), "a kept custom build never triggers");
    let dest = w.tmp.path().join("get");
    let commit = fixtures::head_of(&bare, "main");
    w.get(&dest, &source, json!({"up-to-date": commit}), json!({})).assert_success();
    let plan: Value = serde_json::from_slice(&std::fs::read(dest.join("plan.json")).unwrap()).unwrap();
    let etcd = &plan["dependencies"][0];
    assert_eq!((&etcd["current"], &etcd["custom_build_of"]), (&json!("3.3.15-tls1.2-patch"), &json!("3.3.15")));
    assert_eq!((&etcd["behind"], &etcd["target"]), (&json!(true), &Value::Null));
    let report = std::fs::read_to_string(dest.join("report.md")).unwrap();
    assert!(
        report.contains(
            "| etcd | github-release | 3.3.15-tls1.2-patch (custom build of 3.3.15) | 3.5.17 | – | **yes** |"
        ),
        "{report}"
    );
    assert!(report.contains("custom build of 3.3.15: kept"), "{report}");
    let replace = w.source(
        &bare,
        json!({"dependencies": [{"name": "etcd", "kind": "github-release", "upstream": "etcd-io/etcd",
               "blob": "etcd/etcd-v{version}-linux-amd64.tar.gz", "custom_builds": "replace"}]}),
    );
    assert_eq!(versions(&w.check(&replace, None)), json!([{"etcd": "3.5.17"}]));
}

#[test]
fn a_constraint_holds_a_dependency_back() {
    let w = World::new();
    etcd_upstream(&w.up);
    let bare = w.repo("etcd-release");
    let source = w.source(
        &bare,
        json!({"dependencies": [{"name": "etcd", "kind": "github-release", "upstream": "etcd-io/etcd",
               "blob": "etcd/etcd-v{version}-linux-amd64.tar.gz", "constraint": "~3.3"}]}),
    );
    assert_eq!(versions(&w.check(&source, None)), json!([{"etcd": "3.3.27"}]));
}

#[test]
fn prereleases_count_when_a_dependency_asks_for_them() {
    let w = World::new();
    etcd_upstream(&w.up);
    let bare = w.repo("etcd-release");
    let source = w.source(
        &bare,
        json!({"dependencies": [{"name": "etcd", "kind": "github-release", "upstream": "etcd-io/etcd",
               "blob": "etcd/etcd-v{version}-linux-amd64.tar.gz", "prerelease": true}]}),
    );
    assert_eq!(versions(&w.check(&source, None)), json!([{"etcd": "3.6.0-rc.1"}]));
}

#[test]
fn releases_are_read_across_pages_and_ordered_by_version_not_date() {
    let w = World::new();
    // The 3.3 line's newest patch is the oldest release: on page 2 of 100-per-page listings.
    w.up.add_release(
        "etcd-io/etcd",
        Release::new("v3.3.27").created("2020-01-01T00:00:00Z").asset("etcd-v3.3.27-linux-amd64.tar.gz", b"x".to_vec()),
    );
    for i in 0..110 {
        let tag = format!("v3.4.{i}");
        w.up.add_release(
            "etcd-io/etcd",
            Release::new(&tag)
                .created(&format!("2024-01-01T00:{:02}:{:02}Z", i / 60, i % 60))
                .asset(&format!("etcd-{tag}-linux-amd64.tar.gz"), b"x".to_vec()),
        );
    }
    let bare = w.repo("etcd-release");
    let source = w.source(
        &bare,
        json!({"dependencies": [{"name": "etcd", "kind": "github-release", "upstream": "etcd-io/etcd",
               "blob": "etcd/etcd-v{version}-linux-amd64.tar.gz", "constraint": ">=3.3, <3.4"}]}),
    );
    assert_eq!(versions(&w.check(&source, None)), json!([{"etcd": "3.3.27"}]));
    let pages = w.up.requests().iter().filter(|r| r.path().ends_with("/releases")).count();
    assert_eq!(pages, 2, "both pages are read");
}

#[test]
fn two_golang_lines_are_two_dependencies() {
    let w = World::new();
    go_upstream(&w.up);
    let bare = w.repo("golang-release");
    let out = w.check(&w.source(&bare, json!({})), None);
    assert_eq!(versions(&out), json!([{"golang-1.22": "1.22.5", "golang-1.23": "1.23.3"}]));
    // The same with the lines configured by hand.
    let source = w.source(
        &bare,
        json!({"dependencies": [
            {"name": "go-old", "kind": "golang", "blob": "go{version}.linux-amd64.tar.gz", "constraint": "~1.22"},
            {"name": "go-new", "kind": "golang", "blob": "go{version}.linux-amd64.tar.gz", "constraint": "~1.23"}]}),
    );
    assert_eq!(versions(&w.check(&source, None)), json!([{"go-new": "1.23.3", "go-old": "1.22.5"}]));
}

#[test]
fn go_mod_requirements_behind_are_reported_and_retractions_skipped() {
    let w = World::new();
    module_upstream(&w.up);
    go_upstream(&w.up);
    let bare = w.repo("nats-release");
    // nats-server: v2.11.0-RC.1 is a prerelease; nats.go: v1.39.0 retracts itself;
    // gnatsd is pinned by a replace directive and go-nats moved to nats.go: reported, never in a version.
    let out = w.check(&w.source(&bare, json!({})), None);
    assert_eq!(versions(&out), json!([{"nats-server": "2.10.23", "nats.go": "1.38.0"}]));
}

#[test]
fn legacy_blobs_yml_is_read() {
    let w = World::new();
    go_upstream(&w.up);
    let bare = w.repo("legacy-release");
    assert_eq!(versions(&w.check(&w.source(&bare, json!({})), None)), json!([{"golang": "1.24.0"}]));
}

#[test]
fn in_writes_the_plan_the_report_and_the_version() {
    let w = World::new();
    etcd_upstream(&w.up);
    go_upstream(&w.up);
    module_upstream(&w.up);
    let bare = w.repo("nats-release");
    let source = w.source(&bare, json!({}));
    let version = versions(&w.check(&source, None))[0].clone();
    let dest = w.tmp.path().join("get");
    let out = w.get(&dest, &source, version.clone(), json!({}));
    out.assert_success();
    let printed = out.json();
    assert_eq!(printed["version"], version);
    assert_eq!(
        printed["metadata"],
        json!([{"name": "nats-server", "value": "2.10.22 -> 2.10.23"}, {"name": "nats.go", "value": "1.37.0 -> 1.38.0"}])
    );
    let plan: Value = serde_json::from_slice(&std::fs::read(dest.join("plan.json")).unwrap()).unwrap();
    assert_eq!(plan["repository"], "cloudfoundry/fixture-release");
    assert_eq!(plan["branch"], "main");
    assert_eq!(plan["commit"], fixtures::head_of(&bare, "main"));
    let deps = plan["dependencies"].as_array().unwrap();
    let nats = deps.iter().find(|d| d["name"] == "nats-server").unwrap();
    assert_eq!(nats["kind"], "go-module");
    assert_eq!(nats["current"], "2.10.22");
    assert_eq!(nats["latest"], "2.10.23");
    assert_eq!(nats["target"], "2.10.23");
    assert_eq!(nats["behind"], true);
    assert_eq!(nats["files"], json!(["src/code.cloudfoundry.org/go.mod", "src/code.cloudfoundry.org/go.sum"]));
    // The vendored golang package: its Go version read from the source release, up to date.
    let golang = deps.iter().find(|d| d["name"] == "golang").unwrap();
    assert_eq!(golang["kind"], "vendored-package");
    assert_eq!(golang["current"], "1.23.2");
    assert_eq!(golang["latest"], "1.23.2");
    assert_eq!(golang["behind"], false);
    assert_eq!(golang["target"], Value::Null);
    assert_eq!(golang["upstream"], "cloudfoundry/bosh-package-golang-release");
    assert_eq!(
        golang["files"],
        json!(["packages/golang-1.23-linux/spec.lock", ".final_builds/packages/golang-1.23-linux/index.yml"])
    );
    // Its code asks for Go 1.22 (toolchain go1.22.3) and is built by a package depending on the
    // vendored golang-1.23-linux, at 1.23.2: fine.
    assert_eq!(
        plan["go_directives"],
        json!([{"go_mod": "src/code.cloudfoundry.org/go.mod", "go": "1.22.0", "toolchain": "go1.22.3",
                "builds_with": "1.23.2", "built_by": "golang-1.23-linux", "status": "ok"}])
    );
    // gnatsd, pinned by the go.mod's replace: a row of its own, never bumped.
    let gnatsd = deps.iter().find(|d| d["name"] == "gnatsd").unwrap();
    assert_eq!(
        (&gnatsd["kind"], &gnatsd["current"], &gnatsd["latest"], &gnatsd["target"], &gnatsd["behind"]),
        (&json!("go-module"), &json!("1.4.1"), &Value::Null, &Value::Null, &json!(false))
    );
    assert_eq!(
        gnatsd["pinned"],
        json!({"go_mod": "src/code.cloudfoundry.org/go.mod", "replacement": "github.com/nats-io/gnatsd v1.4.1"})
    );
    // go-nats, the old path of nats.go: its current version and nats.go's newest, never bumped.
    let go_nats = deps.iter().find(|d| d["name"] == "go-nats").unwrap();
    assert_eq!(
        (&go_nats["current"], &go_nats["newest"], &go_nats["target"], &go_nats["behind"]),
        (&json!("1.7.2"), &json!("1.38.0"), &Value::Null, &json!(false))
    );
    assert_eq!(go_nats["moved"], json!({"from": "github.com/nats-io/go-nats", "to": "github.com/nats-io/nats.go"}));
    assert_eq!(go_nats["upstream"], "github.com/nats-io/nats.go");
    assert!(go_nats.get("pinned").is_none() && gnatsd.get("moved").is_none(), "{plan}");
    assert!(nats.get("pinned").is_none() && nats.get("moved").is_none(), "tracked rows have neither: {plan}");
    let report = std::fs::read_to_string(dest.join("report.md")).unwrap();
    assert!(
        report
            .contains("| `src/code.cloudfoundry.org/go.mod` | 1.22.0 | go1.22.3 | 1.23.2 (`golang-1.23-linux`) | ok |"),
        "{report}"
    );
    assert!(
        report.contains("| nats-server | go-module | 2.10.22 | 2.10.23 | 2.10.23 | **yes** |"),
        "report.md:\n{report}"
    );
    assert!(report.contains("2 of 5 tracked dependencies behind"), "{report}");
    assert!(
        report
            .contains("| gnatsd | go-module | 1.4.1 | – | – | **pinned by replace** | github.com/nats-io/gnatsd | – |"),
        "{report}"
    );
    assert!(report.contains("- gnatsd: pinned by replace in src/code.cloudfoundry.org/go.mod: `replace github.com/nats-io/gnatsd => github.com/nats-io/gnatsd v1.4.1`; never bumped"), "{report}");
    assert!(
        report.contains("| go-nats | go-module | 1.7.2 | – | – | **moved to github.com/nats-io/nats.go** | github.com/nats-io/nats.go |"),
        "{report}"
    );
    assert!(report.contains("- go-nats: github.com/nats-io/go-nats moved to github.com/nats-io/nats.go (newest 1.38.0); never bumped: a new module path needs code changes"), "{report}");
    assert!(report.contains("(https://github.com/nats-io/nats-server/releases/tag/v2.10.23)"), "{report}");
    let written: Value = serde_json::from_slice(&std::fs::read(dest.join("version.json")).unwrap()).unwrap();
    assert_eq!(written, version);
}

#[test]
fn in_downloads_and_verifies_the_target_artifact() {
    let w = World::new();
    etcd_upstream(&w.up);
    let bare = w.repo("etcd-release");
    let source = w.source(&bare, json!({}));
    let dest = w.tmp.path().join("get");
    let out = w.get(&dest, &source, json!({"etcd": "3.5.17"}), json!({"download": true}));
    out.assert_success();
    let got = std::fs::read(dest.join("artifacts/etcd/etcd-v3.5.17-linux-amd64.tar.gz")).unwrap();
    assert_eq!(got, w.up.asset_bytes("etcd-io/etcd", "v3.5.17", "etcd-v3.5.17-linux-amd64.tar.gz").unwrap());
    assert!(out.stderr.contains("verified"), "{}", out.stderr);
}

#[test]
fn a_checksum_mismatch_fails_in_and_leaves_no_artifact() {
    let w = World::new();
    go_upstream(&w.up);
    w.up.replace_go_file_bytes("go1.22.5.linux-amd64.tar.gz", b"tampered".to_vec());
    let bare = w.repo("golang-release");
    let source = w.source(&bare, json!({}));
    let dest = w.tmp.path().join("get");
    let out = w.get(&dest, &source, json!({"golang-1.22": "1.22.5"}), json!({"download": true}));
    assert_one_line_error(&out, "checksum mismatch");
    assert!(out.stderr.contains("go1.22.5.linux-amd64.tar.gz"), "{}", out.stderr);
    let dir = dest.join("artifacts/golang-1.22");
    let left: Vec<_> = std::fs::read_dir(&dir).map(|d| d.collect()).unwrap_or_default();
    assert!(left.is_empty(), "nothing may be left in {}", dir.display());
}

#[test]
fn in_fails_for_a_target_upstream_does_not_have() {
    let w = World::new();
    etcd_upstream(&w.up);
    let bare = w.repo("etcd-release");
    let out = w.get(&w.tmp.path().join("get"), &w.source(&bare, json!({})), json!({"etcd": "3.9.9"}), json!({}));
    assert_one_line_error(&out, "dependency etcd");
}

#[test]
fn in_accepts_the_up_to_date_version() {
    let w = World::new();
    go_upstream(&w.up);
    let bare = w.repo("golang-release");
    let commit = fixtures::head_of(&bare, "main");
    let dest = w.tmp.path().join("get");
    let out = w.get(&dest, &w.source(&bare, json!({})), json!({"up-to-date": commit}), json!({}));
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"up-to-date": commit}));
    assert!(dest.join("report.md").exists());
}

#[test]
fn a_repeated_check_costs_one_conditional_request_per_upstream_and_no_download() {
    let w = World::new();
    etcd_upstream(&w.up);
    go_upstream(&w.up);
    module_upstream(&w.up);
    let git = GitServer::start_token(w.repos.path(), TOKEN);
    w.repo("nats-release");
    let source = w.source(Path::new("unused"), json!({"git_url": git.url_for("nats-release"), "access_token": TOKEN}));
    let first = versions(&w.check(&source, None));
    w.up.clear_requests();
    git.clear_requests();
    let second = w.check(&source, first[0].as_object().map(|_| first[0].clone()));
    assert_eq!(versions(&second), first);
    let reqs = w.up.requests();
    // Two modules (list each); the vendored golang package's source release is read over git
    // (file://), its answer cached for its unchanged head.
    assert_eq!(reqs.len(), 2, "one request per upstream: {reqs:#?}");
    for r in &reqs {
        assert!(r.if_none_match && r.status == 304, "conditional and unchanged: {r:?}");
    }
    let git_reqs = git.requests();
    assert!(
        git_reqs.iter().all(|r| r.method == "GET"),
        "an unchanged branch needs only the ref advertisement: {git_reqs:#?}"
    );
}

#[test]
fn a_new_commit_on_the_base_branch_is_fetched_over_smart_http() {
    let w = World::new();
    go_upstream(&w.up);
    let git = GitServer::start_token(w.repos.path(), TOKEN);
    let bare = w.repo("golang-release");
    let source = w.source(&bare, json!({"git_url": git.url_for("golang-release"), "access_token": TOKEN}));
    assert_eq!(versions(&w.check(&source, None)), json!([{"golang-1.22": "1.22.5", "golang-1.23": "1.23.3"}]));
    let blobs = fixtures::read_file(&bare, "main", "config/blobs.yml").unwrap();
    fixtures::commit_file(&bare, "main", "config/blobs.yml", &blobs.replace("go1.23.1", "go1.23.3"), "Bump go");
    assert_eq!(versions(&w.check(&source, None)), json!([{"golang-1.22": "1.22.5"}]));
}

#[test]
fn a_rejected_git_token_is_one_line_without_the_token() {
    let w = World::new();
    go_upstream(&w.up);
    let git = GitServer::start_token(w.repos.path(), "the-right-token-123");
    w.repo("golang-release");
    let source = w.source(Path::new("x"), json!({"git_url": git.url_for("golang-release"), "access_token": TOKEN}));
    let out = w.check(&source, None);
    assert_one_line_error(&out, &git.url_for("golang-release"));
    assert!(out.stderr.contains("access_token"), "{}", out.stderr);
}

#[test]
fn a_corrupt_cache_only_costs_time() {
    let w = World::new();
    go_upstream(&w.up);
    let bare = w.repo("golang-release");
    let source = w.source(&bare, json!({}));
    let first = versions(&w.check(&source, None));
    let cache = w.tmp.tmpdir().join("currency-cache");
    for entry in support::files_under(&cache) {
        std::fs::write(&entry, b"\0garbage").unwrap();
    }
    assert_eq!(versions(&w.check(&source, None)), first);
}

#[test]
fn check_runs_without_path_or_home_as_concourse_runs_it() {
    let w = World::new();
    go_upstream(&w.up);
    let bare = w.repo("golang-release");
    let req = json!({"source": w.source(&bare, json!({})), "version": null});
    let tmp = w.tmp.tmpdir();
    let out = w.tmp.run_env_only(support::bin("check"), &[], &req.to_string(), &[("TMPDIR", tmp.to_str().unwrap())]);
    assert_eq!(versions(&out), json!([{"golang-1.22": "1.22.5", "golang-1.23": "1.23.3"}]));
}

// --- bad input: one clear line, non-zero exit, nothing on stdout, no token -----------------------

#[test]
fn bad_json_is_one_line() {
    let w = World::new();
    let out = w.tmp.run(support::bin("check"), &[], "{\"source\": ", FAST);
    assert_one_line_error(&out, "not valid JSON");
}

#[test]
fn an_unknown_key_is_named() {
    let w = World::new();
    let bare = w.repo("etcd-release");
    let out = w.check(&w.source(&bare, json!({"acess_token": TOKEN})), None);
    assert_one_line_error(&out, "source.acess_token: unknown key");
}

#[test]
fn a_bad_template_is_named() {
    let w = World::new();
    let bare = w.repo("etcd-release");
    let source = w.source(
        &bare,
        json!({"access_token": TOKEN, "dependencies": [{"name": "etcd", "kind": "github-release",
               "upstream": "etcd-io/etcd", "blob": "etcd/etcd-linux-amd64.tar.gz"}]}),
    );
    assert_one_line_error(&w.check(&source, None), "source.dependencies[0].blob");
}

#[test]
fn a_bad_constraint_is_named() {
    let w = World::new();
    let bare = w.repo("etcd-release");
    let source = w.source(
        &bare,
        json!({"dependencies": [{"name": "etcd", "kind": "github-release", "upstream": "etcd-io/etcd",
               "blob": "etcd/etcd-v{version}-linux-amd64.tar.gz", "constraint": "three-ish"}]}),
    );
    assert_one_line_error(&w.check(&source, None), "source.dependencies[0].constraint");
}

#[test]
fn an_unreachable_host_is_named() {
    let w = World::new();
    let bare = w.repo("etcd-release");
    let source = w.source(&bare, json!({"upstream_api_url": "http://127.0.0.1:9", "access_token": TOKEN}));
    assert_one_line_error(&w.check(&source, None), "http://127.0.0.1:9/repos/etcd-io/etcd/releases");
}

#[test]
fn a_rejected_upstream_token_is_a_401_naming_the_url() {
    let w = World::new();
    etcd_upstream(&w.up);
    w.up.require_token("another-token-entirely");
    let bare = w.repo("etcd-release");
    let out = w.check(&w.source(&bare, json!({"access_token": TOKEN})), None);
    assert_one_line_error(&out, "401");
    assert!(out.stderr.contains("/repos/etcd-io/etcd/releases"), "{}", out.stderr);
}

#[test]
fn an_unknown_upstream_is_a_404_naming_the_url() {
    let w = World::new();
    let bare = w.repo("etcd-release");
    let out = w.check(&w.source(&bare, json!({})), None);
    assert_one_line_error(&out, "404");
    assert!(out.stderr.contains("/repos/etcd-io/etcd/releases"), "{}", out.stderr);
}

#[test]
fn a_missing_branch_is_named() {
    let w = World::new();
    let bare = w.repo("etcd-release");
    assert_one_line_error(&w.check(&w.source(&bare, json!({"branch": "develop"})), None), "\"develop\" not found");
}

// --- the CLI --------------------------------------------------------------------------------------

#[test]
fn currency_report_reads_a_local_checkout() {
    let w = World::new();
    etcd_upstream(&w.up);
    let checkout = w.tmp.path().join("checkout");
    support::fixtures::git(w.tmp.path(), ["clone", "-q", w.repo("etcd-release").to_str().unwrap(), "checkout"]);
    let source_file = w.tmp.path().join("source.yml");
    let source = w.source(Path::new("unused"), json!({}));
    std::fs::write(&source_file, serde_json::to_string(&source).unwrap()).unwrap();
    let out = w.tmp.run(
        support::bin("currency"),
        &["report", "--source", source_file.to_str().unwrap(), "--repo", checkout.to_str().unwrap()],
        "",
        FAST,
    );
    out.assert_success();
    assert!(out.stdout.contains("| etcd | github-release | 3.3.15 | 3.5.17 | 3.5.17 | **yes** |"), "{}", out.stdout);
    let json_out = w.tmp.run(
        support::bin("currency"),
        &["report", "--source", source_file.to_str().unwrap(), "--repo", checkout.to_str().unwrap(), "--json"],
        "",
        FAST,
    );
    let plan = json_out.json();
    assert_eq!(plan["dependencies"][0]["files"], json!(["config/blobs.yml", "packages/etcd/spec"]));
}

#[test]
fn the_token_appears_in_no_output_and_no_written_file() {
    let w = World::new();
    etcd_upstream(&w.up);
    let git = GitServer::start_token(w.repos.path(), TOKEN);
    w.repo("etcd-release");
    let source = w.source(Path::new("x"), json!({"git_url": git.url_for("etcd-release"), "access_token": TOKEN}));
    let dest = w.tmp.path().join("get");
    let mut outputs = vec![
        w.check(&source, None),
        w.get(&dest, &source, json!({"etcd": "3.5.17"}), json!({"download": true})),
        // Failures: a version upstream lacks, a bad key, a rejected token.
        w.get(&dest, &source, json!({"etcd": "9.9.9"}), json!({})),
        w.check(
            &w.source(
                Path::new("x"),
                json!({"git_url": git.url_for("etcd-release"), "access_token": TOKEN, "bogus": 1}),
            ),
            None,
        ),
    ];
    w.up.require_token("a-different-token-000");
    outputs.push(w.check(&source, None));
    assert!(outputs[0].success() && outputs[1].success(), "{outputs:#?}");
    assert!(outputs[2..].iter().all(|o| !o.success()), "{outputs:#?}");
    // The token did reach the servers, so it was in play on every run.
    assert!(git.requests().iter().any(|r| r.token.as_deref() == Some(TOKEN)));
    for o in &outputs {
        assert!(!o.stdout.contains(TOKEN) && !o.stderr.contains(TOKEN), "token printed: {o:#?}");
    }
    for file in support::files_under(&dest).into_iter().chain(support::files_under(&w.tmp.tmpdir())) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(!bytes.windows(TOKEN.len()).any(|win| win == TOKEN.as_bytes()), "token written to {}", file.display());
    }
}

/// Two Go lines in separate blob packages: each go.mod is held against the golang package its own
/// package depends on. acceptance-tests asks for go 1.23.0 but is compiled with golang-1.22-linux
/// (Go 1.22.4), so it will not build, although the release also carries Go 1.23.
#[test]
fn each_go_mod_is_held_against_the_go_line_that_compiles_it() {
    let w = World::new();
    go_upstream(&w.up);
    let bare = w.repo("go-lines-release");
    let source = w.source(&bare, json!({}));
    let version = versions(&w.check(&source, None))[0].clone();
    assert_eq!(version, json!({"golang-1.22": "1.22.5", "golang-1.23": "1.23.3"}));
    let dest = w.tmp.path().join("get");
    w.get(&dest, &source, version, json!({})).assert_success();
    let plan: Value = serde_json::from_slice(&std::fs::read(dest.join("plan.json")).unwrap()).unwrap();
    assert_eq!(
        plan["go_directives"],
        json!([
            {"go_mod": "src/acceptance-tests/go.mod", "go": "1.23.0", "toolchain": null,
             "builds_with": "1.22.4", "built_by": "golang-1.22-linux", "status": "will not build"},
            {"go_mod": "src/github.com/nats-io/nats-server/go.mod", "go": "1.23.0", "toolchain": "go1.23.1",
             "builds_with": "1.23.1", "built_by": "golang-1.23-linux", "status": "ok"}
        ])
    );
    let report = std::fs::read_to_string(dest.join("report.md")).unwrap();
    let line = "| `src/acceptance-tests/go.mod` | 1.23.0 | – | 1.22.4 (`golang-1.22-linux`) | **will not build**";
    assert!(report.contains(line), "{report}");
}
