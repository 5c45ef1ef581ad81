//! Vendored golang packages end to end (contract §3 `vendored-package`, §4 autodetection, §6–8):
//! the real `check`, `in`, `out` and `currency bump` against consumer releases shaped like
//! nats-release and routing-release (tests/fixtures/releases/vendored-golang-release and
//! routing-vendored-release) and a source release shaped like bosh-package-golang-release
//! (tests/support/source_release.rs), both served over smart HTTP. Assertions are on what the
//! servers hold afterwards: the pushed branch's tree, the blobstore's objects, the pull request.

mod support;

use serde_json::{Value, json};
use std::path::Path;
use support::source_release::{FixturePackage, ReleaseSpec, golang_releases};
use support::vendored::{CONSUMER, ROUTING, SOURCE_REPO, World, index_entries, index_text};

use currency::blobstore::Blobstore;
use currency::source::BlobstoreSecrets;
use support::blob_servers::GcsEmulator;
use support::{Logged, fixtures};

const BRANCH: &str = "currency/golang";
const OSES: [&str; 2] = ["linux", "windows"];

/// Final release 0.4.0: the 1.24 line appears (linux and windows), golang-1 follows it.
fn with_go_1_24() -> ReleaseSpec {
    ReleaseSpec::new(
        "0.4.0",
        &[
            ("golang-1-linux", "1.24.0"),
            ("golang-1.23-linux", "1.23.4"),
            ("golang-1.23-windows", "1.23.4"),
            ("golang-1.24-linux", "1.24.0"),
            ("golang-1.24-windows", "1.24.0"),
        ],
    )
}

/// What `check` printed.
fn versions(w: &World, source: &Value, version: Option<Value>) -> Value {
    let out = w.check(source, version);
    out.assert_success();
    out.json()
}

fn source_requests(w: &World) -> Vec<Logged> {
    w.git.requests().into_iter().filter(|r| r.path_and_query.starts_with("/golang-release.git/")).collect()
}

/// Asserts that `branch` vendors `pkg` as `name`: its `spec.lock`, its index (`main`'s entries,
/// if any, plus one new entry with a fresh object id and the source's digest unchanged, written
/// as bosh-cli writes it) and its tarball in the blobstore, byte for byte. Returns the object id.
#[track_caller]
fn assert_vendored(w: &World, branch: &str, name: &str, pkg: &FixturePackage) -> String {
    let fp = &pkg.fingerprint;
    let lock = w.file(branch, &format!("packages/{name}/spec.lock"));
    assert_eq!(lock, format!("name: {name}\nfingerprint: {fp}\n"), "{name}");
    let index_path = format!(".final_builds/packages/{name}/index.yml");
    let before = fixtures::read_file(&w.bare, "main", &index_path).map(|t| index_entries(&t)).unwrap_or_default();
    let after = w.file(branch, &index_path);
    let added: Vec<_> = index_entries(&after).into_iter().filter(|e| !before.contains(e)).collect();
    assert_eq!(added.len(), 1, "one new entry in {index_path}:\n{after}");
    let (added_fp, id, sha1) = &added[0];
    assert_eq!((added_fp, sha1), (fp, &pkg.sha1), "{name}: the fingerprint, and the source's digest string unchanged");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{name}: object id {id} is a UUID");
    assert_ne!(*id, pkg.blobstore_id, "{name}: a fresh id, not the source's");
    let mut all: Vec<(&str, &str, &str)> =
        before.iter().map(|(f, i, s)| (f.as_str(), i.as_str(), s.as_str())).collect();
    all.push((fp, id, sha1));
    assert_eq!(after, index_text(&all), "{name}: the index as bosh-cli writes it");
    assert!(
        w.objects().contains(&(id.clone(), pkg.tarball.clone())),
        "{name}: its tarball is in the blobstore as {id}"
    );
    id.clone()
}

#[test]
fn check_emits_the_newest_go_once_the_source_release_has_it_and_an_unchanged_source_costs_one_ref_advertisement() {
    let mut w = World::new(CONSUMER, &golang_releases()[..2]);
    for os in OSES {
        w.assert_pinned(&format!("golang-1.23-{os}"), &format!("golang-1.23-{os}"), "0.2.0");
    }
    let source = w.source_json(json!({}));
    assert_eq!(versions(&w, &source, None), json!([]), "1.23.2 is the newest the source release offers");
    assert!(source_requests(&w).iter().any(|r| r.method == "POST"), "the cold check fetches the source release");

    w.git.clear_requests();
    assert_eq!(versions(&w, &source, None), json!([]));
    let requests = source_requests(&w);
    assert!(!requests.is_empty(), "the source release's head is asked for");
    for r in &requests {
        assert_eq!(
            (r.method.as_str(), r.path_and_query.as_str()),
            ("GET", "/golang-release.git/info/refs?service=git-upload-pack"),
            "a warm check reads only the source release's ref advertisement: {requests:?}"
        );
    }

    w.source.add_release(&golang_releases()[2]);
    let behind = json!([{"golang": "1.23.3"}]);
    assert_eq!(versions(&w, &source, None), behind, "final release 0.3.0 brings Go 1.23.3");
    assert_eq!(versions(&w, &source, Some(json!({"golang": "1.23.3"}))), behind, "the same version again: nothing new");
}

#[test]
fn in_plans_the_vendored_package_with_real_go_versions_and_an_unknown_fingerprint_as_behind() {
    let w = World::golang(CONSUMER);
    let source = w.source_json(json!({}));
    let plan_of = |dest: &str| {
        let dest = w.tmp.path().join(dest);
        let out = w.get(&dest, &source, json!({"golang": "1.23.3"}));
        out.assert_success();
        let printed = out.json();
        let plan: Value = serde_json::from_slice(&std::fs::read(dest.join("plan.json")).unwrap()).unwrap();
        assert_eq!(plan["dependencies"].as_array().unwrap().len(), 1, "{plan:#}");
        (printed, plan["dependencies"][0].clone())
    };
    let (printed, golang) = plan_of("known");
    assert_eq!(printed["metadata"], json!([{"name": "golang", "value": "1.23.2 -> 1.23.3"}]));
    assert_eq!(golang["name"], "golang");
    assert_eq!(golang["kind"], "vendored-package");
    assert_eq!(
        (&golang["current"], &golang["latest"], &golang["target"]),
        (&json!("1.23.2"), &json!("1.23.3"), &json!("1.23.3"))
    );
    assert_eq!(golang["behind"], true);
    let files: Vec<&str> = golang["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert_eq!(
        files,
        [
            "packages/golang-1.23-linux/spec.lock",
            ".final_builds/packages/golang-1.23-linux/index.yml",
            "packages/golang-1.23-windows/spec.lock",
            ".final_builds/packages/golang-1.23-windows/index.yml"
        ]
    );

    let unknown = support::sha256_hex(b"a package no final release lists");
    w.commit("packages/golang-1.23-linux/spec.lock", &format!("name: golang-1.23-linux\nfingerprint: {unknown}\n"));
    let (_, golang) = plan_of("unknown");
    assert_eq!(
        (&golang["current"], &golang["target"], &golang["behind"]),
        (&Value::Null, &json!("1.23.3"), &json!(true))
    );
    let note = golang["note"].as_str().unwrap_or_else(|| panic!("a note: {golang:#}"));
    assert!(note.contains(&format!("golang-1.23-linux has fingerprint {}, which", &unknown[..12])), "{note}");
    assert!(!note.contains(&unknown[..13]), "twelve hex digits only: {note}");
}

#[test]
fn out_vendors_the_new_patch_of_every_platform_in_one_commit_uploading_each_tarball_unchanged() {
    let w = World::golang(CONSUMER);
    let out = w.out(&w.source_json(json!({})));
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"golang": "1.23.3"}));
    let log = fixtures::git(&w.bare, ["log", "--format=%s", &format!("main..{BRANCH}")]);
    assert_eq!(log.lines().collect::<Vec<_>>(), ["Bump golang from 1.23.2 to 1.23.3"], "linux and windows together");
    assert_eq!(
        w.changes(BRANCH),
        [
            "M\t.final_builds/packages/golang-1.23-linux/index.yml",
            "M\t.final_builds/packages/golang-1.23-windows/index.yml",
            "M\tpackages/golang-1.23-linux/spec.lock",
            "M\tpackages/golang-1.23-windows/spec.lock"
        ]
    );
    assert_eq!(w.objects().len(), 2, "one upload per platform");
    let vendored: Vec<(&FixturePackage, String)> = OSES
        .iter()
        .map(|os| {
            let name = format!("golang-1.23-{os}");
            let pkg = w.source.package("0.3.0", &name);
            (pkg, assert_vendored(&w, BRANCH, &name, pkg))
        })
        .collect();

    let pulls = w.up.pulls(support::vendored::REPO);
    assert_eq!(pulls.len(), 1);
    assert_eq!(pulls[0]["title"], "Bump golang from 1.23.2 to 1.23.3");
    let body = pulls[0]["body"].as_str().unwrap();
    let page = format!("https://github.com/{SOURCE_REPO}/releases/tag/v0.3.0");
    assert!(body.contains(&format!("vendored from {SOURCE_REPO} [0.3.0]({page})")), "{body}");
    for (pkg, id) in &vendored {
        let row = format!("| `{}` | `{}` | `{}` | `{id}`", pkg.name, pkg.fingerprint, pkg.sha1);
        assert!(body.contains(&row), "{row}\n{body}");
    }

    // A second run finds the branch holding exactly this bump: no upload, no push, no PR edit.
    let head = fixtures::head_of(&w.bare, BRANCH);
    let objects = w.objects();
    let again = w.out(&w.source_json(json!({})));
    again.assert_success();
    assert!(again.stderr.contains("already holds this bump; reused"), "{}", again.stderr);
    assert_eq!(fixtures::head_of(&w.bare, BRANCH), head, "no new commit");
    assert_eq!(w.objects(), objects, "no second upload");
    assert_eq!(w.up.pulls(support::vendored::REPO), pulls, "no PR edit");
}

/// The files of the line change golang-1.23 → golang-1.24 on `rev`, relative to the consumer's
/// `main` as the fixture has it.
fn assert_renamed_everywhere(read: impl Fn(&str) -> Option<String>, w: &World) {
    for path in [
        "packages/vendored-server/spec",
        "packages/vendored-server-windows/spec",
        "packages/vendored-server-windows/packaging",
        "jobs/smoke-tests/spec",
        "jobs/smoke-tests/templates/run.erb",
    ] {
        let before = w.file("main", path);
        assert!(before.contains("golang-1.23-"), "{path} names the old package");
        let expected = before
            .replace("golang-1.23-linux", "golang-1.24-linux")
            .replace("golang-1.23-windows", "golang-1.24-windows");
        assert_eq!(read(path).as_deref(), Some(expected.as_str()), "{path}: the name replaced, nothing else");
    }
    for unchanged in ["packages/vendored-server/packaging", "jobs/vendored-server/spec"] {
        assert_eq!(read(unchanged), Some(w.file("main", unchanged)), "{unchanged} (a glob, or no golang)");
    }
}

#[test]
fn out_moves_to_the_newest_line_renaming_the_package_wherever_packages_and_jobs_name_it() {
    let mut w = World::golang(CONSUMER);
    w.source.add_release(&with_go_1_24());
    let out = w.out(&w.source_json(json!({})));
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"golang": "1.24.0"}));
    let log = fixtures::git(&w.bare, ["log", "--format=%s", &format!("main..{BRANCH}")]);
    assert_eq!(log.trim(), "Bump golang from 1.23.2 to 1.24.0");
    assert_eq!(
        w.changes(BRANCH),
        [
            "A\t.final_builds/packages/golang-1.24-linux/index.yml",
            "A\t.final_builds/packages/golang-1.24-windows/index.yml",
            "M\tjobs/smoke-tests/spec",
            "M\tjobs/smoke-tests/templates/run.erb",
            "D\tpackages/golang-1.23-linux/spec.lock",
            "D\tpackages/golang-1.23-windows/spec.lock",
            "A\tpackages/golang-1.24-linux/spec.lock",
            "A\tpackages/golang-1.24-windows/spec.lock",
            "M\tpackages/vendored-server-windows/packaging",
            "M\tpackages/vendored-server-windows/spec",
            "M\tpackages/vendored-server/spec"
        ],
        "the old .final_builds indices stay"
    );
    for os in OSES {
        let name = format!("golang-1.24-{os}");
        assert_vendored(&w, BRANCH, &name, w.source.package("0.4.0", &name));
    }
    assert_renamed_everywhere(|p| fixtures::read_file(&w.bare, BRANCH, p), &w);
    let tree = fixtures::git(&w.bare, ["ls-tree", "-r", "--name-only", BRANCH, "packages/"]);
    assert!(!tree.contains("packages/golang-1.23-"), "packages/golang-1.23-*/ removed:\n{tree}");
    let body = w.up.pulls(support::vendored::REPO)[0]["body"].as_str().unwrap().to_string();
    assert!(body.contains("package `golang-1.23-linux` is now `golang-1.24-linux`"), "{body}");
    assert!(body.contains("package `golang-1.23-windows` is now `golang-1.24-windows`"), "{body}");

    let (head, objects) = (fixtures::head_of(&w.bare, BRANCH), w.objects());
    let again = w.out(&w.source_json(json!({})));
    again.assert_success();
    assert!(again.stderr.contains("already holds this bump; reused"), "{}", again.stderr);
    assert_eq!((fixtures::head_of(&w.bare, BRANCH), w.objects()), (head, objects), "no push, no upload");
}

#[test]
fn a_fingerprint_already_in_the_index_is_neither_downloaded_nor_uploaded_and_the_index_stays() {
    let w = World::golang(CONSUMER);
    for os in OSES {
        let name = format!("golang-1.23-{os}");
        let path = format!(".final_builds/packages/{name}/index.yml");
        let mut entries = index_entries(&w.file("main", &path));
        let pkg = w.source.package("0.3.0", &name);
        entries.push((pkg.fingerprint.clone(), uuid::Uuid::new_v4().to_string(), pkg.sha1.clone()));
        let refs: Vec<(&str, &str, &str)> =
            entries.iter().map(|(f, i, s)| (f.as_str(), i.as_str(), s.as_str())).collect();
        w.commit(&path, &index_text(&refs));
    }
    // The source blobstore is emptied: anything downloaded would fail.
    for file in support::files_under(w.source.blobstore_dir()) {
        std::fs::remove_file(file).unwrap();
    }
    let out = w.out(&w.source_json(json!({})));
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"golang": "1.23.3"}));
    assert!(w.objects().is_empty(), "nothing uploaded");
    assert_eq!(
        w.changes(BRANCH),
        ["M\tpackages/golang-1.23-linux/spec.lock", "M\tpackages/golang-1.23-windows/spec.lock"],
        "the indices are left byte for byte"
    );
    let body = w.up.pulls(support::vendored::REPO)[0]["body"].as_str().unwrap().to_string();
    for os in OSES {
        let pkg = w.source.package("0.3.0", &format!("golang-1.23-{os}"));
        let row = format!("| `{}` | `{}` | `{}` | already in the index |", pkg.name, pkg.fingerprint, pkg.sha1);
        assert!(body.contains(&row), "{row}\n{body}");
    }
}

#[test]
fn a_sha1_era_source_release_is_verified_by_its_bare_sha1_digest_which_the_index_copies_unchanged() {
    let w = World::new(
        CONSUMER,
        &[
            ReleaseSpec::new("0.1.0", &[("golang-1.23-linux", "1.23.1"), ("golang-1.23-windows", "1.23.1")])
                .legacy_sha1(),
            ReleaseSpec::new("0.2.0", &[("golang-1.23-linux", "1.23.3"), ("golang-1.23-windows", "1.23.3")])
                .legacy_sha1(),
        ],
    );
    let out = w.out(&w.source_json(json!({})));
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"golang": "1.23.3"}));
    let log = fixtures::git(&w.bare, ["log", "--format=%s", &format!("main..{BRANCH}")]);
    assert_eq!(log.trim(), "Bump golang from unknown to 1.23.3", "no final release lists the consumer's fingerprint");
    for os in OSES {
        let name = format!("golang-1.23-{os}");
        let pkg = w.source.package("0.2.0", &name);
        assert!(pkg.sha1.len() == 40 && pkg.fingerprint.len() == 40, "SHA-1 era: {pkg:?}");
        assert_vendored(&w, BRANCH, &name, pkg);
    }
}

#[test]
fn out_downloads_the_tarballs_anonymously_from_the_source_releases_s3_bucket() {
    let w = World::with_s3(CONSUMER, &golang_releases());
    // Only the bucket has them.
    for file in support::files_under(w.source.blobstore_dir()) {
        std::fs::remove_file(file).unwrap();
    }
    let out = w.out(&w.source_json(json!({})));
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"golang": "1.23.3"}));
    for os in OSES {
        let name = format!("golang-1.23-{os}");
        assert_vendored(&w, BRANCH, &name, w.source.package("0.3.0", &name));
    }
}

#[test]
fn a_keyed_source_bucket_is_read_with_the_keys_the_entry_gives_and_refuses_without_them() {
    const AK: &str = "SOURCEACCESSKEY0001";
    const SK: &str = "sourceSECRETkeyNEVERprinted0001";
    let w = World::with_keyed_s3(CONSUMER, &golang_releases(), AK, SK);
    for file in support::files_under(w.source.blobstore_dir()) {
        std::fs::remove_file(file).unwrap();
    }
    let golang_release = |options: Value| {
        json!({"golang_release": {"repository": "cloudfoundry/bosh-package-golang-release",
                                  "git_url": w.source_url(), "blobstore": {"options": options}}})
    };
    // Anonymous: the server refuses, and nothing is pushed or uploaded.
    let out = w.out(&w.source_json(golang_release(json!({}))));
    let line = support::vendored::one_error_line(&out);
    let linux = w.source.package("0.3.0", "golang-1.23-linux");
    assert!(line.contains(&linux.blobstore_id), "names the object: {line}");
    assert!(w.branches().iter().all(|b| !b.starts_with("currency/")), "nothing pushed");
    assert!(w.objects().is_empty(), "nothing uploaded");
    // Keyed: read, verified, vendored; the secret is never printed.
    let keyed = w.source_json(golang_release(json!({"access_key_id": AK, "secret_access_key": SK})));
    let out = w.out(&keyed);
    out.assert_success();
    assert!(!out.stderr.contains(SK) && !out.stdout.contains(SK), "secret printed");
    for os in OSES {
        let name = format!("golang-1.23-{os}");
        assert_vendored(&w, BRANCH, &name, w.source.package("0.3.0", &name));
    }
}

#[test]
fn a_public_gcs_source_bucket_is_read_anonymously() {
    const BUCKET: &str = "bosh-packages-golang-release";
    let emulator = GcsEmulator::start(BUCKET);
    let w = World::golang(CONSUMER);
    // golang-release moved its blobs to a GCS bucket: its final.yml names it, nothing else.
    let final_yml = format!("---\nname: golang\nblobstore:\n  provider: gcs\n  options:\n    bucket_name: {BUCKET}\n");
    w.source.commit_change("config/final.yml", Some(&final_yml), "Reference bucket in gcloud");
    let env = |k: &str| (k == "STORAGE_EMULATOR_HOST").then(|| emulator.host());
    let store = Blobstore::configure_with_env(&final_yml, &BlobstoreSecrets::None, Path::new("/"), &env).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for file in support::files_under(w.source.blobstore_dir()) {
        let id = file.file_name().unwrap().to_str().unwrap().to_string();
        rt.block_on(store.put_file(&id, &file)).unwrap();
        std::fs::remove_file(&file).unwrap();
    }
    let out = w.out_env(&w.source_json(json!({})), json!({}), &[("STORAGE_EMULATOR_HOST", &emulator.host())]);
    out.assert_success();
    for os in OSES {
        let name = format!("golang-1.23-{os}");
        assert_vendored(&w, BRANCH, &name, w.source.package("0.3.0", &name));
    }
}

#[test]
fn a_dry_run_shows_the_vendoring_and_changes_nothing_remote() {
    let w = World::golang(CONSUMER);
    let out = w.out_with(&w.source_json(json!({})), json!({"dry_run": true}));
    out.assert_success();
    let linux = w.source.package("0.3.0", "golang-1.23-linux");
    assert!(out.stderr.contains(&format!("+fingerprint: {}", linux.fingerprint)), "the diff:\n{}", out.stderr);
    assert!(out.stderr.contains(&format!("+    sha1: {}", linux.sha1)), "the new index entry:\n{}", out.stderr);
    assert!(w.branches().iter().all(|b| !b.starts_with("currency/")), "nothing pushed");
    assert!(w.objects().is_empty(), "nothing uploaded");
    assert_eq!(out.json()["metadata"][0]["value"], "dry run: nothing pushed");
}

#[test]
fn a_prefixed_package_and_golang_1_linux_are_two_dependencies_each_vendored_under_its_own_name() {
    let w = World::golang(ROUTING);
    w.assert_pinned("golang-1-linux", "golang-1-linux", "0.2.0");
    w.assert_pinned("routing-golang-1.23-linux", "golang-1.23-linux", "0.2.0");
    let out = w.out(&w.source_json(json!({})));
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"golang": "1.23.3", "routing-golang": "1.23.3"}));
    assert_eq!(w.branches(), ["currency/golang", "currency/routing-golang", "main"]);

    assert_vendored(&w, "currency/golang", "golang-1-linux", w.source.package("0.3.0", "golang-1-linux"));
    assert_eq!(
        w.changes("currency/golang"),
        ["M\t.final_builds/packages/golang-1-linux/index.yml", "M\tpackages/golang-1-linux/spec.lock"]
    );
    let routing = "currency/routing-golang";
    let pkg = w.source.package("0.3.0", "golang-1.23-linux");
    assert_vendored(&w, routing, "routing-golang-1.23-linux", pkg);
    assert_eq!(
        w.changes(routing),
        [
            "M\t.final_builds/packages/routing-golang-1.23-linux/index.yml",
            "M\tpackages/routing-golang-1.23-linux/spec.lock"
        ],
        "routing-healthchecker, vendored from elsewhere, is left alone"
    );
    let titles: Vec<String> =
        w.up.pulls(support::vendored::REPO).iter().map(|p| p["title"].as_str().unwrap().to_string()).collect();
    assert_eq!(titles, ["Bump golang from 1.23.2 to 1.23.3", "Bump routing-golang from 1.23.2 to 1.23.3"]);
}

#[test]
fn currency_bump_makes_the_line_change_on_a_checkout_and_removes_the_old_package_directory() {
    let mut w = World::golang(CONSUMER);
    w.source.add_release(&with_go_1_24());
    let checkout = w.tmp.path().join("checkout");
    fixtures::git(w.tmp.path(), ["clone", "-q", w.bare.to_str().unwrap(), "checkout"]);
    let out = w.bump(&w.source_json(json!({})), &checkout);
    out.assert_success();
    assert!(out.stdout.contains("golang: 1.23.2 -> 1.24.0"), "{}", out.stdout);
    assert_eq!(w.branches(), ["main"], "bump pushes nothing");
    for os in OSES {
        assert!(!checkout.join(format!("packages/golang-1.23-{os}")).exists(), "packages/golang-1.23-{os}/ removed");
        let pkg = w.source.package("0.4.0", &format!("golang-1.24-{os}"));
        let lock = std::fs::read_to_string(checkout.join(format!("packages/golang-1.24-{os}/spec.lock"))).unwrap();
        assert_eq!(lock, format!("name: golang-1.24-{os}\nfingerprint: {}\n", pkg.fingerprint));
        let index = checkout.join(format!(".final_builds/packages/golang-1.24-{os}/index.yml"));
        let entries = index_entries(&std::fs::read_to_string(index).unwrap());
        assert_eq!(entries.len(), 1);
        assert!(w.objects().contains(&(entries[0].1.clone(), pkg.tarball.clone())), "uploaded");
    }
    assert_renamed_everywhere(|p| std::fs::read_to_string(checkout.join(p)).ok(), &w);
    let status = fixtures::git(&checkout, ["status", "--porcelain", "--untracked-files=all"]);
    let mut status: Vec<&str> = status.lines().collect();
    status.sort();
    assert_eq!(
        status,
        [
            " D packages/golang-1.23-linux/spec.lock",
            " D packages/golang-1.23-windows/spec.lock",
            " M jobs/smoke-tests/spec",
            " M jobs/smoke-tests/templates/run.erb",
            " M packages/vendored-server-windows/packaging",
            " M packages/vendored-server-windows/spec",
            " M packages/vendored-server/spec",
            "?? .final_builds/packages/golang-1.24-linux/index.yml",
            "?? .final_builds/packages/golang-1.24-windows/index.yml",
            "?? packages/golang-1.24-linux/spec.lock",
            "?? packages/golang-1.24-windows/spec.lock"
        ]
    );
}
