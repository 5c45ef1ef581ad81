//! `currency fleet` against the local stand-ins: seven releases — go.mod modules with a vendored
//! golang package, an etcd blob over smart HTTP, two golang lines with a grouped bump PR, a
//! nats-server blob, a mix of everything, and two that cannot be read (a wrong token, a deleted
//! repository). Checks fleet.json cell by cell, that each upstream was asked once, that no token
//! reaches any output, and that index.html renders in headless Chromium.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use support::{GitServer, Release, Tmp, Upstream, fixtures};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const TOKEN: &str = "ghp_FLEETtokenNEVERinANYoutput000001";
const WRONG: &str = "ghp_WRONGtokenNEVERinANYoutput00002";
const FAST: (&str, &str) = ("CURRENCY_RETRY_BASE_MS", "5");

const NATS_SERVER: &[(&str, &str)] = &[
    ("v2.10.20", "2024-08-01T00:00:00Z"),
    ("v2.10.21", "2024-09-01T00:00:00Z"),
    ("v2.10.22", "2024-10-01T00:00:00Z"),
    ("v2.10.23", "2024-11-01T00:00:00Z"),
    ("v2.11.0", "2025-01-15T00:00:00Z"),
];
const ETCD: &[(&str, &str)] = &[
    ("v3.3.15", "2019-08-19T00:00:00Z"),
    ("v3.3.27", "2021-12-09T00:00:00Z"),
    ("v3.4.34", "2024-09-13T00:00:00Z"),
    ("v3.5.17", "2024-11-12T00:00:00Z"),
];
const NATS_SERVER_MODULE: &[(&str, &str)] = &[
    ("v2.10.22", "2024-10-01T12:00:00Z"),
    ("v2.10.23", "2024-11-01T12:00:00Z"),
    ("v2.11.0-RC.1", "2025-01-01T12:00:00Z"),
];
const NATS_GO: &[(&str, &str)] = &[("v1.37.0", "2024-08-13T10:00:00Z"), ("v1.38.0", "2024-12-20T10:00:00Z")];
const ETCD_CLIENT: &[(&str, &str)] =
    &[("v3.5.10", "2023-10-27T09:00:00Z"), ("v3.5.16", "2024-09-10T09:00:00Z"), ("v3.5.17", "2024-11-12T09:00:00Z")];

/// The stand-ins, the bare repositories and the fleet's output.
struct World {
    up: Upstream,
    git: GitServer,
    repos: tempfile::TempDir,
    tmp: Tmp,
    /// The open bump PRs: nats-release's `currency/nats.go`, golang-release's `currency/all`.
    nats_go_pr: String,
    golang_all_pr: String,
    /// The vulnerability database the stand-in serves: the standard reports.
    _vulndb: tempfile::TempDir,
}

fn upstreams(up: &Upstream) {
    for (tag, date) in NATS_SERVER {
        let asset = format!("nats-server-{tag}-linux-amd64.tar.gz");
        up.add_release("nats-io/nats-server", Release::new(tag).created(date).asset(&asset, tag.as_bytes().to_vec()));
    }
    for (tag, date) in ETCD {
        let asset = format!("etcd-{tag}-linux-amd64.tar.gz");
        up.add_release("etcd-io/etcd", Release::new(tag).created(date).asset(&asset, tag.as_bytes().to_vec()));
    }
    for v in ["1.22.4", "1.22.5", "1.23.1", "1.23.2", "1.23.3", "1.24.0"] {
        up.add_go_release(v, true);
    }
    up.add_go_release("1.25rc1", false);
    let module = |path: &str, versions: &[(&str, &str)], extra: &str| {
        for (v, t) in versions {
            up.add_module(path, v, &format!("module {path}\n\ngo 1.21\n{extra}"), t, &[]);
        }
    };
    module("github.com/nats-io/nats-server/v2", NATS_SERVER_MODULE, "");
    module("github.com/nats-io/nats.go", NATS_GO, "");
    // Published by mistake and retracted: never a candidate.
    module("github.com/nats-io/nats.go", &[("v1.39.0", "2025-01-10T10:00:00Z")], "\nretract v1.39.0\n");
    module("go.etcd.io/etcd/client/v3", ETCD_CLIENT, "");
}

/// An open pull request from `branch` of `bare`, as an earlier `out` left it; returns its URL.
fn open_pull(up: &Upstream, repo: &str, bare: &Path, branch: &str, title: &str) -> (u64, String) {
    fixtures::commit_file(bare, branch, "NOTES.md", title, title);
    up.link_git(repo, bare);
    let n = up.open_pull(repo, branch, "main", title);
    let url = up.pull(repo, n).expect("the pull request just opened")["html_url"].as_str().unwrap().to_owned();
    (n, url)
}

fn world() -> World {
    let up = Upstream::start();
    upstreams(&up);
    up.require_token(TOKEN);
    let repos = tempfile::tempdir().unwrap();
    let git = GitServer::start_token(repos.path(), TOKEN);
    let nats = fixtures::release_repo("nats-release", repos.path());
    let etcd = fixtures::release_repo("etcd-release", repos.path());
    let golang = fixtures::release_repo("golang-release", repos.path());
    fixtures::release_repo("nats-blob-release", repos.path());
    fixtures::release_repo("fleet-mixed-release", repos.path());
    fixtures::release_repo_from(
        &fixtures::fixtures_dir().join("nats-blob-release"),
        &[],
        "locked-release",
        repos.path(),
    );
    for r in ["nats-release", "etcd-release", "golang-release", "nats-blob-release", "fleet-mixed-release"] {
        up.add_repo(&format!("cloudfoundry/{r}"));
    }
    let (_, nats_go_pr) =
        open_pull(&up, "cloudfoundry/nats-release", &nats, "currency/nats.go", "Bump nats.go from 1.37.0 to 1.38.0");
    // Someone's own branch: no bump PR.
    open_pull(&up, "cloudfoundry/nats-release", &nats, "feature/nats-server", "Try nats-server 2.11");
    let (_, golang_all_pr) = open_pull(&up, "cloudfoundry/golang-release", &golang, "currency/all", "Bump golang");
    // A closed bump PR is no link.
    let (closed, _) =
        open_pull(&up, "cloudfoundry/etcd-release", &etcd, "currency/etcd", "Bump etcd from 3.3.15 to 3.5.17");
    up.close_pull("cloudfoundry/etcd-release", closed);
    let vulndb = tempfile::tempdir().unwrap();
    support::vulndb::VulnDbFixture::standard().write(vulndb.path());
    up.set_vulndb(vulndb.path());
    up.clear_requests();
    World { up, git, repos, tmp: Tmp::new(), nats_go_pr, golang_all_pr, _vulndb: vulndb }
}

impl World {
    fn file_url(&self, name: &str) -> String {
        format!("file://{}", self.repos.path().join(format!("{name}.git")).display())
    }

    fn fleet_yml(&self) -> String {
        format!(
            r#"# The fleet of the tests: the token comes from GITHUB_TOKEN.
defaults:
  github_api_url: {api}
  upstream_api_url: {api}
  go_proxy: {proxy}
  go_downloads_url: {dl}
  vulndb: {vulndb}
  golang_release: {golang_release}
releases:
  - repository: cloudfoundry/nats-release
    git_url: {nats}
  - repository: cloudfoundry/etcd-release
    git_url: {etcd}
  - repository: cloudfoundry/golang-release
    git_url: {golang}
    pull_request: {{group: true}}
  - repository: cloudfoundry/locked-release
    git_url: {locked}
    access_token: {WRONG}
  - repository: cloudfoundry/nats-blob-release
    git_url: {nats_blob}
    branch: main
  - repository: cloudfoundry/deleted-release
    git_url: {deleted}
  - repository: cloudfoundry/fleet-mixed-release
    git_url: {mixed}
"#,
            api = self.up.github_api_url(),
            proxy = self.up.goproxy_url(),
            dl = self.up.go_downloads_url(),
            vulndb = self.up.vulndb_url(),
            golang_release = support::fixture_golang_release(),
            nats = self.file_url("nats-release"),
            etcd = self.git.url_for("etcd-release"),
            golang = self.file_url("golang-release"),
            locked = self.git.url_for("locked-release"),
            nats_blob = self.file_url("nats-blob-release"),
            deleted = self.git.url_for("deleted-release"),
            mixed = self.file_url("fleet-mixed-release"),
        )
    }

    fn out_dir(&self) -> PathBuf {
        self.tmp.path().join("report")
    }

    /// `currency fleet --config FLEET.yml --out DIR` with GITHUB_TOKEN set.
    fn run(&self, config_text: &str) -> support::Output {
        let config = self.tmp.path().join("FLEET.yml");
        std::fs::write(&config, config_text).unwrap();
        let out = self.out_dir();
        self.tmp.run(
            support::bin("currency"),
            &["fleet", "--config", config.to_str().unwrap(), "--out", out.to_str().unwrap()],
            "",
            &[("GITHUB_TOKEN", TOKEN), FAST],
        )
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.out_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
}

/// A fleet built and reported; the output checked for success and for tokens.
fn reported() -> (World, support::Output) {
    let w = world();
    let out = w.run(&w.fleet_yml());
    out.assert_success();
    for (what, text) in [
        ("stdout", out.stdout.clone()),
        ("stderr", out.stderr.clone()),
        ("fleet.json", w.read("fleet.json")),
        ("fleet.md", w.read("fleet.md")),
        ("index.html", w.read("index.html")),
    ] {
        assert!(!text.contains(TOKEN) && !text.contains(WRONG), "a token leaked into {what}:\n{text}");
    }
    (w, out)
}

fn days(published: &str, generated_at: &str) -> i64 {
    let p = OffsetDateTime::parse(published, &Rfc3339).unwrap();
    let g = OffsetDateTime::parse(generated_at, &Rfc3339).unwrap();
    (g - p).whole_days()
}

#[allow(clippy::too_many_arguments)]
fn cell(
    name: &str,
    kind: &str,
    current: &str,
    latest: &str,
    newest: &str,
    releases_behind: u64,
    published: Option<&str>,
    pull_request: Option<&str>,
    generated_at: &str,
) -> Value {
    json!({
        "name": name, "kind": kind, "current": current, "latest": latest, "newest": newest,
        "behind": releases_behind > 0, "releases_behind": releases_behind,
        "age_days": published.map(|p| days(p, generated_at)), "pull_request": pull_request,
    })
}

/// The cell of a module reported but never bumped (pinned by replace, or moved): no latest, never
/// behind; `newest` is a moved module's new path's newest.
fn held(name: &str, current: &str, newest: Option<&str>) -> Value {
    json!({
        "name": name, "kind": "go-module", "current": current, "latest": null, "newest": newest,
        "behind": false, "releases_behind": null, "age_days": null, "pull_request": null,
    })
}

fn date(list: &'static [(&'static str, &'static str)], version: &str) -> Option<&'static str> {
    list.iter().find(|(v, _)| *v == version).map(|(_, d)| *d)
}

/// The contract's fields of each dependency (fleet.json carries `upstream` and `release_notes`
/// too; `upstream` is checked on its own).
fn contract_fields(deps: &Value) -> Vec<Value> {
    deps.as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let keep = [
                "name",
                "kind",
                "current",
                "latest",
                "newest",
                "behind",
                "releases_behind",
                "age_days",
                "pull_request",
            ];
            Value::Object(
                d.as_object()
                    .unwrap()
                    .iter()
                    .filter(|(k, _)| keep.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn fleet_json_is_right_cell_by_cell_and_each_upstream_is_asked_once() {
    let (w, out) = reported();
    assert!(
        out.stdout.trim_end().ends_with("7 releases (2 unreadable), 10 of 15 dependencies behind"),
        "summary line: {}",
        out.stdout
    );
    let report: Value = serde_json::from_str(&w.read("fleet.json")).unwrap();
    let g = report["generated_at"].as_str().unwrap().to_owned();
    let generated = OffsetDateTime::parse(&g, &Rfc3339).expect("generated_at is RFC 3339");
    assert!((OffsetDateTime::now_utc() - generated).whole_minutes().abs() < 10, "generated_at is now: {g}");
    let releases = report["releases"].as_array().unwrap();
    let repos: Vec<&str> = releases.iter().map(|r| r["repository"].as_str().unwrap()).collect();
    assert_eq!(
        repos,
        [
            "cloudfoundry/nats-release",
            "cloudfoundry/etcd-release",
            "cloudfoundry/golang-release",
            "cloudfoundry/locked-release",
            "cloudfoundry/nats-blob-release",
            "cloudfoundry/deleted-release",
            "cloudfoundry/fleet-mixed-release",
        ],
        "in FLEET.yml's order"
    );
    let row = |repo: &str| releases.iter().find(|r| r["repository"] == format!("cloudfoundry/{repo}")).unwrap();
    for readable in ["nats-release", "etcd-release", "golang-release", "nats-blob-release", "fleet-mixed-release"] {
        let r = row(readable);
        assert_eq!(r["error"], Value::Null, "{readable}");
        assert_eq!(r["branch"], "main", "{readable}");
        let bare = w.repos.path().join(format!("{readable}.git"));
        assert_eq!(r["commit"], fixtures::head_of(&bare, "main"), "{readable}");
    }
    let gh = date;
    let expected = [
        (
            "nats-release",
            vec![
                cell(
                    "nats-server",
                    "go-module",
                    "2.10.22",
                    "2.10.23",
                    "2.10.23",
                    1,
                    gh(NATS_SERVER_MODULE, "v2.10.22"),
                    None,
                    &g,
                ),
                cell(
                    "nats.go",
                    "go-module",
                    "1.37.0",
                    "1.38.0",
                    "1.38.0",
                    1,
                    gh(NATS_GO, "v1.37.0"),
                    Some(&w.nats_go_pr),
                    &g,
                ),
                cell("golang", "vendored-package", "1.23.2", "1.23.2", "1.23.2", 0, None, None, &g),
                held("gnatsd", "1.4.1", None),
                held("go-nats", "1.7.2", Some("1.38.0")),
            ],
        ),
        (
            "etcd-release",
            vec![cell("etcd", "github-release", "3.3.15", "3.5.17", "3.5.17", 3, gh(ETCD, "v3.3.15"), None, &g)],
        ),
        (
            "golang-release",
            vec![
                cell("golang-1.22", "golang", "1.22.4", "1.22.5", "1.24.0", 1, None, Some(&w.golang_all_pr), &g),
                cell("golang-1.23", "golang", "1.23.1", "1.23.3", "1.24.0", 2, None, Some(&w.golang_all_pr), &g),
            ],
        ),
        (
            "nats-blob-release",
            vec![cell(
                "nats-server",
                "github-release",
                "2.10.20",
                "2.11.0",
                "2.11.0",
                4,
                gh(NATS_SERVER, "v2.10.20"),
                None,
                &g,
            )],
        ),
        (
            "fleet-mixed-release",
            vec![
                cell("etcd", "github-release", "3.5.17", "3.5.17", "3.5.17", 0, gh(ETCD, "v3.5.17"), None, &g),
                cell("golang", "golang", "1.23.3", "1.24.0", "1.24.0", 1, None, None, &g),
                cell("nats.go", "go-module", "1.37.0", "1.38.0", "1.38.0", 1, gh(NATS_GO, "v1.37.0"), None, &g),
                cell(
                    "etcd-client-v3",
                    "go-module",
                    "3.5.10",
                    "3.5.17",
                    "3.5.17",
                    2,
                    gh(ETCD_CLIENT, "v3.5.10"),
                    None,
                    &g,
                ),
                cell("golang-package", "vendored-package", "1.22.7", "1.23.2", "1.23.2", 2, None, None, &g),
                held("coreos-etcd", "3.3.27+incompatible", Some("3.5.17")),
            ],
        ),
    ];
    for (repo, cells) in expected {
        let got = contract_fields(&row(repo)["dependencies"]);
        assert_eq!(got.len(), cells.len(), "{repo}: {got:#?}");
        for (got, want) in got.iter().zip(&cells) {
            assert_eq!(got, want, "{repo}: cell {}", want["name"]);
        }
    }
    // Every age is a real number of days (no dependency with a date is left without one).
    assert!(days("2024-08-13T10:00:00Z", &g) > 100);
    let upstream_of = |repo: &str, name: &str| {
        row(repo)["dependencies"].as_array().unwrap().iter().find(|d| d["name"] == name).unwrap()["upstream"].clone()
    };
    assert_eq!(upstream_of("nats-blob-release", "nats-server"), "nats-io/nats-server");
    assert_eq!(upstream_of("nats-release", "nats-server"), "github.com/nats-io/nats-server/v2");
    assert_eq!(upstream_of("fleet-mixed-release", "golang-package"), "cloudfoundry/bosh-package-golang-release");
    // Held modules say why they are never bumped; a moved one sits in its new path's column.
    let field_of = |repo: &str, name: &str, field: &str| {
        row(repo)["dependencies"].as_array().unwrap().iter().find(|d| d["name"] == name).unwrap()[field].clone()
    };
    assert_eq!(
        field_of("nats-release", "gnatsd", "pinned"),
        json!({"go_mod": "src/code.cloudfoundry.org/go.mod", "replacement": "github.com/nats-io/gnatsd v1.4.1"})
    );
    assert_eq!(
        field_of("nats-release", "go-nats", "moved"),
        json!({"from": "github.com/nats-io/go-nats", "to": "github.com/nats-io/nats.go"})
    );
    assert_eq!(upstream_of("nats-release", "go-nats"), "github.com/nats-io/nats.go");
    assert_eq!(
        field_of("fleet-mixed-release", "coreos-etcd", "moved"),
        json!({"from": "github.com/coreos/etcd", "to": "go.etcd.io/etcd/client/v3"})
    );
    assert_eq!(upstream_of("fleet-mixed-release", "coreos-etcd"), "go.etcd.io/etcd/client/v3");

    // The unreadable releases: a row with one line of error, no dependencies, and the report
    // goes on.
    let locked = row("locked-release");
    let e = locked["error"].as_str().unwrap();
    assert!(e.contains(&w.git.url_for("locked-release")) && e.contains("authentication failed"), "{e}");
    assert!(!e.contains('\n'));
    assert_eq!(
        (locked["branch"].clone(), locked["commit"].clone(), locked["dependencies"].clone()),
        (Value::Null, Value::Null, json!([]))
    );
    let deleted = row("deleted-release");
    let e = deleted["error"].as_str().unwrap();
    assert!(e.contains(&w.git.url_for("deleted-release")) && e.contains("404"), "{e}");
    assert!(out.stderr.contains("warning: cloudfoundry/locked-release: not read: git "), "{}", out.stderr);

    // Each upstream once for the whole fleet, and nothing asked twice: etcd-io/etcd serves two
    // releases, the Go index three, nats.go two (its v1.37.0 `.info` too).
    let log = w.up.requests();
    let paths: Vec<&str> = log.iter().map(|r| r.path_and_query.as_str()).collect();
    let mut unique = paths.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), paths.len(), "something was asked twice: {paths:#?}");
    let count = |p: &str| log.iter().filter(|r| r.path() == p).count();
    for once in [
        "/repos/etcd-io/etcd/releases",
        "/repos/nats-io/nats-server/releases",
        "/dl/",
        "/goproxy/github.com/nats-io/nats.go/@v/list",
        "/goproxy/github.com/nats-io/nats-server/v2/@v/list",
        "/goproxy/go.etcd.io/etcd/client/v3/@v/list",
        "/goproxy/github.com/nats-io/nats.go/@v/v1.37.0.info",
        "/vulndb/index/modules.json",
    ] {
        assert_eq!(count(once), 1, "{once}: {paths:#?}");
    }
    // Known vulnerabilities, one database look-up for the fleet: nats-release's nats.go and
    // nats-server module, the nats-server blob, etcd 3.3.15, fleet-mixed's nats.go; the Go lines
    // are past the fix, and etcd 3.5.17 is the version that fixes its report.
    let counts: Vec<(&str, Option<u64>)> = report["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["repository"].as_str().unwrap(), r["vulnerabilities"].as_u64()))
        .collect();
    assert_eq!(
        counts,
        [
            ("cloudfoundry/nats-release", Some(3)),
            ("cloudfoundry/etcd-release", Some(1)),
            ("cloudfoundry/golang-release", Some(0)),
            ("cloudfoundry/locked-release", None),
            ("cloudfoundry/nats-blob-release", Some(2)),
            ("cloudfoundry/deleted-release", None),
            ("cloudfoundry/fleet-mixed-release", Some(1)),
        ]
    );
    let etcd_cell = &report["releases"][1]["dependencies"][0];
    assert_eq!(etcd_cell["vulnerabilities"][0]["id"], support::vulndb::ETCD_V3_3);
    assert_eq!(etcd_cell["fixed_by_target"], json!([support::vulndb::ETCD_V3_3]));
    assert!(report.get("vulndb_warning").is_none());
    // One pull request list per readable release, none for the unreadable ones.
    for repo in ["nats-release", "etcd-release", "golang-release", "nats-blob-release", "fleet-mixed-release"] {
        assert_eq!(count(&format!("/repos/cloudfoundry/{repo}/pulls")), 1, "{repo}: {paths:#?}");
    }
    assert!(!paths.iter().any(|p| p.contains("locked-release") || p.contains("deleted-release")), "{paths:#?}");
    let sent: Vec<&Option<String>> = log.iter().filter(|r| r.path().starts_with("/repos/")).map(|r| &r.token).collect();
    assert!(sent.iter().all(|t| t.as_deref() == Some(TOKEN)), "GITHUB_TOKEN on every GitHub request: {sent:?}");
    assert!(!w.git.requests().iter().any(|r| r.token.as_deref() == Some(TOKEN) && r.path_and_query.contains("locked")));

    // fleet.md: the same matrix.
    let md = w.read("fleet.md");
    assert!(md.starts_with("# Fleet report\n"), "{md}");
    assert!(md.contains(&format!("Generated {g}: 7 releases (2 unreadable), 10 of 15 dependencies behind.")), "{md}");
    assert!(md.contains("| Release | Behind | Vulns | etcd-io/etcd (newest 3.5.17) | nats-io/nats-server (newest 2.11.0) | Go downloads (newest 1.24.0) | cloudfoundry/bosh-package-golang-release (newest 1.23.2) | github.com/nats-io/gnatsd | github.com/nats-io/nats-server/v2 (newest 2.10.23) | github.com/nats-io/nats.go (newest 1.38.0) | go.etcd.io/etcd/client/v3 (newest 3.5.17) |"), "{md}");
    assert!(md.contains(" | gnatsd 1.4.1 (pinned by replace) |"), "{md}");
    assert!(md.contains("<br>go-nats 1.7.2 (moved to github.com/nats-io/nats.go) |"), "{md}");
    assert!(md.contains("<br>coreos-etcd 3.3.27+incompatible (moved to go.etcd.io/etcd/client/v3) |"), "{md}");
    assert!(
        md.contains(&format!(
            "**nats.go 1.37.0 → 1.38.0 (1 behind, {} d old)** ⚠ GO-2024-9180 [PR]({})",
            days("2024-08-13T10:00:00Z", &g),
            w.nats_go_pr
        )),
        "{md}"
    );
    assert!(md.contains("| cloudfoundry/locked-release | ⚠ | | ⚠ unreadable: git "), "{md}");
}

#[test]
fn a_second_run_asks_again_conditionally_and_module_dates_come_from_the_cache() {
    let (w, _) = reported();
    w.up.clear_requests();
    w.run(&w.fleet_yml()).assert_success();
    let log = w.up.requests();
    assert!(
        !log.iter().any(|r| r.path().ends_with(".info") || r.path().ends_with(".mod")),
        "immutable files come from the cache"
    );
    assert!(!log.iter().any(|r| r.path().starts_with("/vulndb/ID/")), "reports come from the cache");
    for r in log.iter().filter(|r| {
        r.path().ends_with("/releases")
            || r.path().ends_with("/@v/list")
            || r.path() == "/dl/"
            || r.path() == "/vulndb/index/modules.json"
    }) {
        assert_eq!(r.status, 304, "{} is asked conditionally and unchanged", r.path_and_query);
    }
}

#[test]
fn an_upstream_that_fails_marks_only_the_releases_that_need_it() {
    let w = world();
    // Only fleet-mixed-release requires go.etcd.io/etcd/client/v3; etcd-release's pull requests
    // cannot be listed.
    w.up.fail_next("/goproxy/go.etcd.io/etcd/client/v3/@v/list", 404, 1);
    w.up.fail_next("/repos/cloudfoundry/etcd-release/pulls", 403, 1);
    let out = w.run(&w.fleet_yml());
    out.assert_success();
    assert!(out.stdout.contains("7 releases (3 unreadable)"), "{}", out.stdout);
    let report: Value = serde_json::from_str(&w.read("fleet.json")).unwrap();
    let row = |repo: &str| {
        report["releases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["repository"] == format!("cloudfoundry/{repo}"))
            .unwrap()
            .clone()
    };
    let mixed = row("fleet-mixed-release");
    let e = mixed["error"].as_str().unwrap();
    assert!(e.contains("/goproxy/go.etcd.io/etcd/client/v3/@v/list") && e.contains("404"), "{e}");
    assert_eq!(mixed["branch"], "main", "the release itself was read");
    assert_eq!(mixed["dependencies"], json!([]));
    let etcd = row("etcd-release");
    assert_eq!(etcd["error"], Value::Null);
    assert_eq!(etcd["dependencies"][0]["current"], "3.3.15");
    assert_eq!(etcd["dependencies"][0]["pull_request"], Value::Null);
    let warning = etcd["warning"].as_str().unwrap();
    assert!(warning.starts_with("open pull requests not listed: ") && warning.contains("403"), "{warning}");
    // The others are whole: nats.go's answer (shared with fleet-mixed-release) still counts.
    assert_eq!(row("nats-release")["dependencies"][1]["latest"], "1.38.0");
    assert!(w.read("index.html").contains("unreadable: "));
    assert!(w.read("fleet.md").contains("- cloudfoundry/etcd-release: open pull requests not listed: "));
}

#[test]
fn a_bad_fleet_yml_is_one_line_naming_the_file_and_the_key() {
    let w = world();
    for (text, needle) in [
        (
            "releases:\n  - repository: cloudfoundry/nats-release\n    acces_token: x\n",
            "FLEET.yml: releases[0].acces_token: unknown key",
        ),
        (
            "defaults: {go_proxy: 'ftp://x'}\nreleases: [{repository: o/r}]\n",
            "FLEET.yml: defaults.go_proxy: unsupported URL scheme",
        ),
        (
            "releases: [{repository: o/r}, {branch: main}]\n",
            "FLEET.yml: releases[1].repository: required key is missing",
        ),
        ("release: []\n", "FLEET.yml: release: unknown key"),
    ] {
        let out = w.run(text);
        out.assert_failure();
        assert_eq!(out.stdout, "", "nothing on stdout");
        let errors: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("error: ")).collect();
        assert_eq!(errors.len(), 1, "{}", out.stderr);
        assert!(errors[0].contains(needle), "{needle:?} in {:?}", errors[0]);
        assert!(!w.out_dir().exists(), "no report for a bad FLEET.yml");
    }
}

// ---------------------------------------------------------------------------------------------
// The page in a browser
// ---------------------------------------------------------------------------------------------

/// Headless Chromium, or a failure that says how to install it.
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("CURRENCY_CHROMIUM").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "headless Chromium is needed to render index.html and none was found on PATH (chromium, chromium-browser, \
         google-chrome): install it with `apt-get install -y chromium` (Debian; .ci/run does), or name the binary \
         with CURRENCY_CHROMIUM=/path/to/chrome"
    );
}

/// Runs Chromium headless on `url` with `extra` flags (a throw-away profile, no network
/// services, no sandbox: tests run as root in containers).
fn browse(tmp: &Tmp, url: &str, extra: &[&str]) -> support::Output {
    let browser = chromium();
    let profile = tempfile::tempdir().unwrap();
    let profile_flag = format!("--user-data-dir={}", profile.path().display());
    let mut args = vec![
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--no-first-run",
        profile_flag.as_str(),
    ];
    args.extend_from_slice(extra);
    args.push(url);
    let out = tmp.run(browser.to_str().unwrap(), &args, "", &[]);
    assert!(out.success(), "{} failed: {}\n{}", browser.display(), out.status, out.stderr);
    out
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let n = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (n(16), n(20))
}

/// The releases of a page's table, top to bottom.
fn repositories_in_order(dom: &str) -> Vec<String> {
    dom.split("<tr")
        .skip(2)
        .filter_map(|r| r.split("data-repository=\"").nth(1)?.split('"').next().map(String::from))
        .collect()
}

#[test]
fn index_html_renders_in_headless_chromium() {
    let (w, _) = reported();
    let page = w.read("index.html");
    for external in ["<link", " src=", "@import", "url(", "<img", "<iframe"] {
        assert!(!page.contains(external), "index.html loads something ({external})");
    }
    let browser_tmp = Tmp::new().with_timeout(Duration::from_secs(120));
    let index = w.out_dir().join("index.html");
    let url = format!("file://{}", index.display());

    // The DOM after the scripts ran, sorted by "Behind", most first (`#sort=-1`).
    let dom = browse(&browser_tmp, &format!("{url}#sort=-1"), &["--dump-dom"]).stdout;
    assert!(dom.contains("data-sortable=\"yes\""), "the page's script ran:\n{dom}");
    assert!(dom.contains("Fleet report") && dom.contains("<time datetime="), "title and report time");
    assert!(dom.contains("class=\"legend\""), "a legend");
    let rows: Vec<&str> = dom.split("<tr").skip(2).collect();
    let order = repositories_in_order(&dom);
    assert_eq!(
        order,
        [
            "cloudfoundry/fleet-mixed-release",
            "cloudfoundry/nats-release",
            "cloudfoundry/golang-release",
            "cloudfoundry/etcd-release",
            "cloudfoundry/nats-blob-release",
            "cloudfoundry/locked-release",
            "cloudfoundry/deleted-release",
        ],
        "sorted by dependencies behind, the unreadable last"
    );
    let report: Value = serde_json::from_str(&w.read("fleet.json")).unwrap();
    for r in report["releases"].as_array().unwrap() {
        let repo = r["repository"].as_str().unwrap();
        let row = rows.iter().find(|row| row.contains(&format!("data-repository=\"{repo}\""))).unwrap();
        if r["error"].is_null() {
            for d in r["dependencies"].as_array().unwrap() {
                let name = d["name"].as_str().unwrap();
                assert!(row.contains(&format!("data-dependency=\"{name}\"")), "{repo}: {name} in its row");
                assert!(row.contains(d["current"].as_str().unwrap()), "{repo}: {name}'s version");
            }
        } else {
            assert!(
                row.contains("class=\"unreadable\"") && row.contains("unreadable: git "),
                "{repo} is marked:\n{row}"
            );
        }
    }
    // Sorted by known vulnerabilities, most first (`#sort=-2`): each release's count from
    // fleet.json is its cell's sort key, the counts never increase, the unreadable come last.
    let by_vulns = browse(&browser_tmp, &format!("{url}#sort=-2"), &["--dump-dom"]).stdout;
    let vulns_header = by_vulns.split("<th ").nth(3).unwrap();
    assert!(vulns_header.contains("aria-sort=\"descending\"") && vulns_header.contains(">Vulns<"), "{vulns_header}");
    let counts: Vec<Option<u64>> = repositories_in_order(&by_vulns)
        .iter()
        .map(|repo| {
            let release = report["releases"].as_array().unwrap().iter().find(|r| r["repository"] == *repo).unwrap();
            let row = by_vulns.split(&format!("data-repository=\"{repo}\"")).nth(1).unwrap().split("</tr>").next();
            let key = row.unwrap().split("data-col=\"2\" data-sort=\"").nth(1).map(|k| k.split('"').next().unwrap());
            assert_eq!(key.map(|k| k.parse::<u64>().unwrap()), release["vulnerabilities"].as_u64(), "{repo}");
            release["vulnerabilities"].as_u64()
        })
        .collect();
    assert_eq!(counts.iter().filter(|c| c.is_none()).count(), 2, "the unreadable have no count: {counts:?}");
    assert!(
        counts.windows(2).all(|w| match (w[0], w[1]) {
            (Some(a), Some(b)) => a >= b,
            (_, None) => true,
            (None, Some(_)) => false,
        }),
        "most first, the unreadable last: {counts:?}"
    );
    for upstream in [
        "etcd-io/etcd",
        "nats-io/nats-server",
        "Go downloads",
        "github.com/nats-io/nats.go",
        "go.etcd.io/etcd/client/v3",
    ] {
        assert!(dom.contains(&format!("data-upstream=\"{upstream}\"")), "a column for {upstream}");
    }

    // A screenshot, kept with the test output (CURRENCY_UPDATE_SCREENSHOT=1 also refreshes the
    // README's docs/fleet.png).
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fleet-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    let flag = format!("--screenshot={}", shot.display());
    browse(&browser_tmp, &url, &[&flag, "--window-size=1400,900", "--hide-scrollbars"]);
    let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", shot.display()));
    assert_eq!(png_size(&png), (1400, 900));
    assert!(png.len() > 20_000, "a page, not a blank: {} bytes", png.len());
    println!("screenshot: {}", shot.display());
    if std::env::var_os("CURRENCY_UPDATE_SCREENSHOT").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/fleet.png");
        std::fs::create_dir_all(docs.parent().unwrap()).unwrap();
        std::fs::copy(&shot, &docs).unwrap();
    }
}
