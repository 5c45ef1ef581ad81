//! `currency fleet` on releases a release engineer must read right (issue 13): a go.mod compiled
//! by an older golang line than it asks for (marked ✗ Go, though the release also carries a newer
//! Go), and a release team's patched etcd (a custom build, judged on the version it is a build of).
//! Real bare repositories over file://, the GitHub and Go downloads stand-ins on loopback.

mod support;

use serde_json::{Value, json};
use support::{Release, Tmp, Upstream, fixtures};

const TOKEN: &str = "ghp_FLEETreadingTOKENneverPRINTED0001";
const PATCHED: &str = "etcd/etcd-v3.3.15-tls1.2-patch-linux-amd64.tar.gz:\n  size: 14194932\n  \
                       object_id: 5a1c26e2-35fa-4c6b-4f7d-2ce1b0c0e3d1\n  sha: 0d3c2f8a9e4b1c6d7e8f9a0b1c2d3e4f5a6b7c8d\n";

#[test]
fn a_go_mod_that_will_not_build_on_its_line_and_a_custom_build_are_shown_as_such() {
    let up = Upstream::start();
    for (tag, date) in
        [("v3.3.15", "2019-08-19T00:00:00Z"), ("v3.3.27", "2021-12-09T00:00:00Z"), ("v3.5.17", "2024-11-12T00:00:00Z")]
    {
        let asset = format!("etcd-{tag}-linux-amd64.tar.gz");
        up.add_release("etcd-io/etcd", Release::new(tag).created(date).asset(&asset, tag.as_bytes().to_vec()));
    }
    for v in ["1.22.4", "1.22.5", "1.23.1", "1.23.3"] {
        up.add_go_release(v, true);
    }
    let repos = tempfile::tempdir().unwrap();
    fixtures::release_repo("go-lines-release", repos.path());
    let etcd = fixtures::fixtures_dir().join("etcd-release");
    fixtures::release_repo_from(&etcd, &[("config/blobs.yml", PATCHED)], "patched-etcd-release", repos.path());
    for r in ["go-lines-release", "patched-etcd-release"] {
        up.add_repo(&format!("cloudfoundry/{r}"));
    }
    let url = |name: &str| format!("file://{}", repos.path().join(format!("{name}.git")).display());
    let tmp = Tmp::new();
    let config = tmp.path().join("fleet.yml");
    std::fs::write(
        &config,
        format!(
            "defaults:\n  github_api_url: {api}\n  upstream_api_url: {api}\n  go_downloads_url: {dl}\n  vulndb: {vulndb}\n\
             releases:\n  - repository: cloudfoundry/go-lines-release\n    git_url: {lines}\n\
             \x20 - repository: cloudfoundry/patched-etcd-release\n    git_url: {patched}\n",
            api = up.github_api_url(),
            dl = up.go_downloads_url(),
            vulndb = up.vulndb_url(),
            lines = url("go-lines-release"),
            patched = url("patched-etcd-release"),
        ),
    )
    .unwrap();
    let out_dir = tmp.path().join("report");
    let out = tmp.run(
        support::bin("currency"),
        &["fleet", "--config", config.to_str().unwrap(), "--out", out_dir.to_str().unwrap()],
        "",
        &[("GITHUB_TOKEN", TOKEN), ("CURRENCY_RETRY_BASE_MS", "5")],
    );
    out.assert_success();
    let read = |name: &str| std::fs::read_to_string(out_dir.join(name)).unwrap();
    let fleet: Value = serde_json::from_str(&read("fleet.json")).unwrap();
    let release =
        |name: &str| fleet["releases"].as_array().unwrap().iter().find(|r| r["repository"] == name).unwrap().clone();

    let lines = release("cloudfoundry/go-lines-release");
    assert_eq!(
        lines["will_not_build"],
        json!(["src/acceptance-tests/go.mod asks for go 1.23.0; it builds with Go 1.22.4 (golang-1.22-linux)"])
    );
    let patched = release("cloudfoundry/patched-etcd-release");
    assert!(patched.get("will_not_build").is_none(), "{patched}");
    let etcd = &patched["dependencies"][0];
    assert_eq!(
        (&etcd["current"], &etcd["custom_build_of"], &etcd["latest"], &etcd["releases_behind"], &etcd["behind"]),
        (&json!("3.3.15-tls1.2-patch"), &json!("3.3.15"), &json!("3.5.17"), &json!(2), &json!(true)),
        "behind is judged on 3.3.15: {etcd}"
    );

    let md = read("fleet.md");
    assert!(md.contains("| cloudfoundry/go-lines-release (`main` @ "), "{md}");
    assert!(md.contains(" ✗ |"), "the release is marked: {md}");
    assert!(md.contains("- ✗ cloudfoundry/go-lines-release: src/acceptance-tests/go.mod asks for go 1.23.0;"), "{md}");
    assert!(md.contains("etcd 3.3.15-tls1.2-patch → 3.5.17 (custom build of 3.3.15, 2 behind"), "{md}");
    let html = read("index.html");
    assert!(html.contains("✗ Go</span>") && html.contains("custom build of 3.3.15"), "{html}");
    for text in [&out.stdout, &out.stderr, &md, &html] {
        assert!(!text.contains(TOKEN), "the token leaked");
    }
}
