//! Known vulnerabilities end to end (contract §12), as Concourse runs the steps: `check`, `in` and
//! `out` against release repositories built from fixtures, the GitHub, Go downloads and module
//! proxy stand-ins, and the Go vulnerability database in its real format (`support::vulndb`),
//! served over HTTP with ETags or read as a `file://` directory.

mod support;

use std::path::PathBuf;

use serde_json::{Value, json};
use support::vulndb::{NATS_GO, NATS_SERVER_FIXED, NATS_SERVER_UNFIXED, ReportSpec, VulnDbFixture};
use support::{GitServer, Tmp, Upstream, fixtures};

const TOKEN: &str = "ghp_SECURITYtokenNEVERprinted00000001";
const REPO: &str = "cloudfoundry/fixture-release";
const FAST: &[(&str, &str)] = &[("CURRENCY_RETRY_BASE_MS", "5")];
/// A stdlib report fixed in a patch of the 1.22 line (1.22.5), and one on the 1.23 line fixed in
/// 1.23.3: golang-release's 1.22.4 and 1.23.1 blobs are affected, and their bumps fix them.
const GO_122: &str = "GO-2024-9301";
const GO_123: &str = "GO-2024-9302";

/// The stand-ins, a database directory served by them, repositories (file:// and smart HTTP).
struct World {
    up: Upstream,
    db: tempfile::TempDir,
    repos: tempfile::TempDir,
    git: GitServer,
    tmp: Tmp,
}

impl World {
    fn new(reports: VulnDbFixture) -> World {
        let up = Upstream::start();
        for v in ["1.22.4", "1.22.5", "1.23.1", "1.23.3"] {
            up.add_go_release(v, true);
        }
        let t = "2024-10-01T00:00:00Z";
        for v in ["v2.10.22", "v2.10.23"] {
            let go_mod = "module github.com/nats-io/nats-server/v2\n\ngo 1.21.0\n";
            up.add_module("github.com/nats-io/nats-server/v2", v, go_mod, t, &[]);
        }
        for v in ["v1.37.0", "v1.38.0"] {
            up.add_module("github.com/nats-io/nats.go", v, "module github.com/nats-io/nats.go\n\ngo 1.20\n", t, &[]);
        }
        let db = tempfile::tempdir().unwrap();
        reports.write(db.path());
        up.set_vulndb(db.path());
        let repos = tempfile::tempdir().unwrap();
        let git = GitServer::start_token(repos.path(), TOKEN);
        let tmp = Tmp::new();
        std::fs::create_dir_all(tmp.path().join("blobstore")).unwrap();
        World { up, db, repos, git, tmp }
    }

    /// The standard reports, and the two on golang-release's Go lines.
    fn standard() -> World {
        let go = |id: &str, from: &str, fixed: &str| {
            ReportSpec::new(id, &format!("Excessive memory use in net/textproto before {fixed}"))
                .alias(&format!("CVE-2024-9{}", &id[8..]))
                .affects("stdlib", &[("introduced", from), ("fixed", fixed)])
        };
        let mut fixture = VulnDbFixture::standard();
        fixture = fixture.report(go(GO_122, "1.22.0-0", "1.22.5")).report(go(GO_123, "1.23.0-0", "1.23.3"));
        World::new(fixture)
    }

    fn repo(&self, fixture: &str) -> PathBuf {
        let bare = fixtures::release_repo(fixture, self.repos.path());
        self.up.link_git(REPO, &bare);
        self.up.grant_push(REPO, TOKEN);
        bare
    }

    fn source(&self, fixture: &str, extra: Value) -> Value {
        let mut s = json!({
            "repository": REPO,
            "access_token": TOKEN,
            "git_url": self.git.url_for(fixture),
            "github_api_url": self.up.url(),
            "vulndb": self.up.vulndb_url(),
            "upstream_api_url": self.up.url(),
            "go_proxy": self.up.goproxy_url(),
            "go_downloads_url": self.up.go_downloads_url(),
            "golang_release": support::fixture_golang_release(),
            "blobstore": {"options": {"blobstore_path": self.tmp.path().join("blobstore").to_str().unwrap()}},
            "git_author": {"name": "currency-bot", "email": "bot@currency.invalid"},
        });
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    }

    fn run(&self, step: &str, args: &[&str], request: Value) -> support::Output {
        let out = self.tmp.run(support::bin(step), args, &request.to_string(), FAST);
        assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN), "the token leaked:\n{out:#?}");
        out
    }

    fn check(&self, source: &Value) -> support::Output {
        self.run("check", &[], json!({ "source": source }))
    }

    /// `in` of the version `check` gives, into a fresh directory: (output, plan.json, report.md).
    fn get(&self, source: &Value, dest: &str) -> (support::Output, Value, String) {
        let version = self.check(source).json()[0].clone();
        let dest = self.tmp.path().join(dest);
        let out = self.run("in", &[dest.to_str().unwrap()], json!({"source": source, "version": version}));
        out.assert_success();
        let plan = serde_json::from_slice(&std::fs::read(dest.join("plan.json")).unwrap()).unwrap();
        (out, plan, std::fs::read_to_string(dest.join("report.md")).unwrap())
    }

    /// The `/vulndb/` requests since the last clear: (path, status, conditional).
    fn vulndb_requests(&self) -> Vec<(String, u16, bool)> {
        let log = self.up.requests();
        let mut seen: Vec<_> = log
            .iter()
            .filter(|r| r.path().starts_with("/vulndb/"))
            .map(|r| (r.path().to_string(), r.status, r.if_none_match))
            .collect();
        seen.sort();
        seen
    }

    fn db_file(&self, relative: &str) -> PathBuf {
        self.db.path().join(relative)
    }
}

fn row<'a>(plan: &'a Value, name: &str) -> &'a Value {
    plan["dependencies"].as_array().unwrap().iter().find(|d| d["name"] == name).unwrap()
}

fn ids(v: &Value) -> Vec<&str> {
    v.as_array().unwrap().iter().map(|x| x.as_str().or_else(|| x["id"].as_str()).unwrap()).collect()
}

#[test]
fn in_reports_what_each_current_version_is_affected_by_and_what_its_target_fixes() {
    let w = World::standard();
    w.repo("nats-release");
    let (out, plan, report) = w.get(&w.source("nats-release", json!({})), "get");
    // nats.go 1.37.0: fixed only in the next minor, 1.38.0, the target.
    let nats_go = row(&plan, "nats.go");
    assert_eq!(ids(&nats_go["vulnerabilities"]), [NATS_GO]);
    assert_eq!(nats_go["vulnerabilities"][0]["fixed"], "1.38.0");
    assert_eq!(nats_go["vulnerabilities"][0]["aliases"], json!(["CVE-2024-91011", "GHSA-7f3w-r6mq-9qpc"]));
    assert_eq!(nats_go["vulnerabilities"][0]["url"], format!("https://pkg.go.dev/vuln/{NATS_GO}"));
    assert_eq!((ids(&nats_go["fixed_by_target"]), ids(&nats_go["still_affected"])), (vec![NATS_GO], vec![]));
    // nats-server 2.10.22: one report fixed by 2.10.23, one with no fix that 2.10.23 still has.
    let server = row(&plan, "nats-server");
    assert_eq!(ids(&server["vulnerabilities"]), [NATS_SERVER_UNFIXED, NATS_SERVER_FIXED]);
    assert_eq!(server["vulnerabilities"][0]["fixed"], Value::Null);
    assert_eq!(ids(&server["fixed_by_target"]), [NATS_SERVER_FIXED]);
    assert_eq!(ids(&server["still_affected"]), [NATS_SERVER_UNFIXED]);
    // The vendored Go 1.23.2: past the CONTINUATION flood fix (a withdrawn report counts for
    // nothing), but affected by the 1.23 line's report, fixed in 1.23.3, which the source release
    // has not shipped yet: no target fixes it.
    let golang = row(&plan, "golang");
    assert_eq!(ids(&golang["vulnerabilities"]), [GO_123]);
    assert_eq!(golang["vulnerabilities"][0]["fixed"], "1.23.3");
    assert_eq!((&golang["target"], &golang["fixed_by_target"]), (&Value::Null, &json!([])));
    assert!(plan.get("vulndb_warning").is_none(), "{plan}");
    let metadata = out.json()["metadata"].clone();
    assert!(
        metadata.as_array().unwrap().contains(&json!({"name": "nats.go vulnerabilities",
            "value": format!("{NATS_GO} (CVE-2024-91011); 1 fixed by 1.38.0")})),
        "{metadata}"
    );
    let line = format!("| **1**: [{NATS_GO}](https://pkg.go.dev/vuln/{NATS_GO}) |");
    assert!(report.contains(&line), "{report}");
    assert!(report.contains("## Known vulnerabilities"), "{report}");
    let unfixed = "(CVE-2024-91022): Unbounded memory use on JetStream consumer replay in \
                   github.com/nats-io/nats-server/v2 — no fix yet; 2.10.23 is still affected";
    assert!(report.contains(unfixed), "{report}");
}

#[test]
fn a_file_url_database_gives_the_same_answer_and_a_database_that_is_down_is_a_warning() {
    let w = World::standard();
    w.repo("nats-release");
    let (_, over_http, _) = w.get(&w.source("nats-release", json!({})), "http");
    let file = url::Url::from_directory_path(w.db.path()).unwrap().to_string();
    let (_, from_file, _) = w.get(&w.source("nats-release", json!({"vulndb": file})), "file");
    let both = |p: &Value| {
        p["dependencies"].as_array().unwrap().iter().map(|d| d["vulnerabilities"].clone()).collect::<Vec<_>>()
    };
    assert_eq!(both(&over_http), both(&from_file));

    w.up.fail_next("/vulndb/", 503, 1000);
    let (out, plan, report) =
        w.get(&w.source("nats-release", json!({"vulndb": format!("{}/down", w.up.vulndb_url())})), "down");
    let warning = plan["vulndb_warning"].as_str().unwrap();
    assert!(warning.contains("/vulndb/down/index/modules.json") && warning.contains("503"), "{warning}");
    assert!(out.stderr.contains("warning: the vulnerability database could not be read"), "{}", out.stderr);
    assert!(report.contains("**Known vulnerabilities unknown**"), "{report}");
    assert_eq!(row(&plan, "nats.go")["target"], "1.38.0", "the report goes on without it");
}

#[test]
fn a_malformed_database_is_one_line_naming_the_url_and_never_a_panic() {
    let w = World::standard();
    w.repo("nats-release");
    std::fs::write(w.db_file("index/modules.json"), b"{\"not\": \"a list\"").unwrap();
    let (_, plan, _) = w.get(&w.source("nats-release", json!({})), "get");
    let warning = plan["vulndb_warning"].as_str().unwrap();
    assert!(warning.contains(&format!("{}/index/modules.json", w.up.vulndb_url())), "{warning}");
    let strict = w.check(&w.source("nats-release", json!({"security_only": true})));
    strict.assert_failure();
    assert_eq!(strict.stdout, "");
    let errors: Vec<&str> = strict.stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{}", strict.stderr);
    assert!(errors[0].contains(&format!("{}/index/modules.json", w.up.vulndb_url())), "{}", errors[0]);
    assert!(!strict.stderr.contains("panicked"), "{}", strict.stderr);
}

#[test]
fn security_only_bumps_only_what_fixes_something_and_a_warm_check_costs_one_304() {
    let w = World::standard();
    w.repo("golang-release");
    let plain = w.source("golang-release", json!({}));
    assert_eq!(w.check(&plain).json(), json!([{"golang-1.22": "1.22.5", "golang-1.23": "1.23.3"}]));
    assert!(
        w.vulndb_requests().is_empty(),
        "check reads the database only for security_only: {:?}",
        w.vulndb_requests()
    );

    // 1.23's report is taken away: only the 1.22 bump fixes something.
    let only_122 = VulnDbFixture::standard().report(
        ReportSpec::new(GO_122, "Excessive memory use in net/textproto")
            .affects("stdlib", &[("introduced", "1.22.0-0"), ("fixed", "1.22.5")]),
    );
    only_122.write(w.db.path());
    let strict = w.source("golang-release", json!({"security_only": true}));
    assert_eq!(w.check(&strict).json(), json!([{"golang-1.22": "1.22.5"}]));
    let cold = w.vulndb_requests();
    assert!(cold.iter().any(|(p, s, _)| p == "/vulndb/index/modules.json" && *s == 200), "{cold:?}");
    assert!(cold.iter().any(|(p, _, _)| p == &format!("/vulndb/ID/{GO_122}.json")), "{cold:?}");
    assert!(!cold.iter().any(|(p, _, _)| p.contains(NATS_GO)), "only reports on asked modules: {cold:?}");
    w.up.clear_requests();
    assert_eq!(w.check(&strict).json(), json!([{"golang-1.22": "1.22.5"}]));
    assert_eq!(w.vulndb_requests(), [("/vulndb/index/modules.json".to_string(), 304, true)]);

    // An entry's own word wins over the source's.
    let entry = w.source("golang-release", json!({"dependencies": [
        {"name": "go-new", "kind": "golang", "blob": "go{version}.linux-amd64.tar.gz", "constraint": "~1.23", "security_only": true},
        {"name": "go-old", "kind": "golang", "blob": "go{version}.linux-amd64.tar.gz", "constraint": "~1.22"}]}));
    assert_eq!(w.check(&entry).json(), json!([{"go-old": "1.22.5"}]));
    let (_, plan, _) = w.get(&w.source("golang-release", json!({"security_only": true})), "strict");
    let kept = row(&plan, "golang-1.23");
    assert_eq!((&kept["target"], &kept["behind"]), (&Value::Null, &json!(true)));
    assert!(kept["note"].as_str().unwrap().contains("security_only: 1.23.3 fixes no known vulnerability"), "{kept}");

    w.up.fail_next("/vulndb/", 503, 1000);
    let down = w.check(&strict);
    down.assert_failure();
    assert!(down.stderr.contains("security_only needs the vulnerability database"), "{}", down.stderr);
    assert!(
        down.stderr.lines().any(|l| l.starts_with("error: ") && l.contains("/vulndb/index/modules.json")),
        "{}",
        down.stderr
    );
}

#[test]
fn security_only_without_a_database_is_a_config_error() {
    let w = World::standard();
    w.repo("golang-release");
    let out = w.check(&w.source("golang-release", json!({"vulndb": "off", "security_only": true})));
    out.assert_failure();
    assert!(
        out.stderr.contains("error: source.security_only: needs the vulnerability database, but vulndb is off"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_grouped_pr_lists_each_fix_under_its_dependency_and_takes_the_security_labels() {
    let w = World::standard();
    let bare = w.repo("golang-release");
    let source = w.source(
        "golang-release",
        json!({"pull_request": {"group": true, "labels": ["dependencies"], "security_labels": ["security", "cve"]}}),
    );
    let out = w.run("out", &[w.tmp.path().to_str().unwrap()], json!({"source": source, "params": {}}));
    out.assert_success();
    let pulls = w.up.pulls(REPO);
    assert_eq!(pulls.len(), 1);
    let body = pulls[0]["body"].as_str().unwrap();
    let security = body.split("### Security").nth(1).expect("a Security section");
    let (first, second) = (
        security.find("**golang-1.22** 1.22.5 fixes 1 known vulnerability").unwrap(),
        security.find("**golang-1.23** 1.23.3 fixes 1 known vulnerability").unwrap(),
    );
    assert!(first < second, "{body}");
    assert!(
        security.contains(&format!(
            "- [{GO_122}](https://pkg.go.dev/vuln/{GO_122}) (CVE-2024-99301): Excessive memory use"
        )),
        "{body}"
    );
    let number = pulls[0]["number"].as_u64().unwrap();
    assert_eq!(w.up.labels_of(REPO, number), ["dependencies", "security", "cve"]);
    assert!(fixtures::branches(&bare).contains(&"currency/all".to_string()));
}

/// `out` and `currency bump` honour `security_only` as `check` does: only the Go line whose bump
/// fixes a report is bumped.
#[test]
fn out_and_currency_bump_bump_only_what_fixes_something_under_security_only() {
    let w = World::new(
        VulnDbFixture::standard().report(
            ReportSpec::new(GO_122, "Excessive memory use in net/textproto")
                .alias("CVE-2024-99301")
                .affects("stdlib", &[("introduced", "1.22.0-0"), ("fixed", "1.22.5")]),
        ),
    );
    let bare = w.repo("golang-release");
    let source = w.source("golang-release", json!({"security_only": true}));
    let out = w.run("out", &[w.tmp.path().to_str().unwrap()], json!({"source": source, "params": {}}));
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"golang-1.22": "1.22.5"}));
    let mut branches = fixtures::branches(&bare);
    branches.sort();
    assert_eq!(branches, ["currency/golang-1.22", "main"]);
    let pulls = w.up.pulls(REPO);
    assert_eq!(pulls.len(), 1);
    let number = pulls[0]["number"].as_u64().unwrap();
    assert_eq!(w.up.labels_of(REPO, number), ["dependencies", "security"]);

    let checkout = w.tmp.path().join("checkout");
    fixtures::git(w.tmp.path(), ["clone", "-q", bare.to_str().unwrap(), "checkout"]);
    let file = w.tmp.path().join("source.json");
    std::fs::write(&file, source.to_string()).unwrap();
    let bumped = w.tmp.run(
        support::bin("currency"),
        &["bump", "--source", file.to_str().unwrap(), "--repo", checkout.to_str().unwrap()],
        "",
        FAST,
    );
    bumped.assert_success();
    let blobs = std::fs::read_to_string(checkout.join("config/blobs.yml")).unwrap();
    assert!(blobs.contains("go1.22.5.linux-amd64.tar.gz") && blobs.contains("go1.23.1.linux-amd64.tar.gz"), "{blobs}");
}
