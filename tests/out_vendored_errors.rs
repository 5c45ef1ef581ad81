//! Vendored golang packages given bad input (contract §10): a source release that does not
//! exist, a package tarball that does not match its digest or is missing from the source
//! release's blobstore, a malformed `spec.lock`, a package the newest final release lacks, a
//! prefix that cannot name a package. Each `out` ends with one clear line on stderr and a
//! non-zero exit, and nothing is pushed, uploaded or opened. The world is the one of
//! tests/out_vendored.rs.

mod support;

use serde_json::{Value, json};
use support::source_release::golang_releases;
use support::vendored::{CONSUMER, REPO, SOURCE_REPO, World, one_error_line};

/// `out` failed with one error line (returned), and left no branch, no object and no PR.
#[track_caller]
fn failed_cleanly(w: &World, source: &Value) -> String {
    let out = w.out(source);
    let line = one_error_line(&out);
    assert_eq!(w.branches(), ["main"], "nothing pushed");
    assert!(w.objects().is_empty(), "nothing uploaded");
    assert!(w.up.pulls(REPO).is_empty(), "no pull request");
    line
}

/// The object id and local file of `name`'s tarball in the source release's newest final
/// release.
fn source_object(w: &World, name: &str) -> (String, std::path::PathBuf) {
    let id = w.source.newest().package(name).blobstore_id.clone();
    let file = w.source.blobstore_dir().join(&id);
    assert!(file.is_file(), "the source blobstore holds {id}");
    (id, file)
}

#[test]
fn a_source_release_that_does_not_exist_is_one_line_naming_its_url() {
    let w = World::golang(CONSUMER);
    let missing = w.git.url_for("no-such-golang-release");
    let source = w.source_json(json!({"golang_release": {"repository": SOURCE_REPO, "git_url": missing}}));
    let line = failed_cleanly(&w, &source);
    assert!(line.contains(&missing), "names the URL: {line}");
    assert!(line.contains("not found"), "says what is wrong: {line}");
}

#[test]
fn a_tarball_that_does_not_match_its_digest_is_refused_before_anything_is_uploaded() {
    let w = World::golang(CONSUMER);
    // windows is fetched after linux: linux's good download must not be uploaded either.
    let (id, file) = source_object(&w, "golang-1.23-windows");
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&file, bytes).unwrap();
    let line = failed_cleanly(&w, &w.source_json(json!({})));
    assert!(line.starts_with("error: dependency golang: "), "{line}");
    assert!(line.contains(&format!("package golang-1.23-windows (object {id}) does not match its digest")), "{line}");
    let digest = &w.source.newest().package("golang-1.23-windows").sha1;
    assert!(line.contains(digest.trim_start_matches("sha256:")), "names the expected digest: {line}");
}

#[test]
fn a_tarball_missing_from_the_source_blobstore_is_one_line_naming_the_object() {
    let w = World::golang(CONSUMER);
    let (id, file) = source_object(&w, "golang-1.23-windows");
    std::fs::remove_file(file).unwrap();
    let line = failed_cleanly(&w, &w.source_json(json!({})));
    assert!(line.starts_with("error: dependency golang: "), "{line}");
    assert!(line.contains(&format!("object {id}")), "names the object: {line}");
    assert!(line.contains(SOURCE_REPO), "names the source release: {line}");
}

#[test]
fn a_tarball_missing_from_the_source_releases_s3_bucket_is_one_line_naming_the_object() {
    let w = World::with_s3(CONSUMER, &golang_releases());
    let id = w.source.newest().package("golang-1.23-linux").blobstore_id.clone();
    let s3 = w.s3.as_ref().unwrap();
    std::fs::remove_file(s3.object_file("golang-release-blobs", &id)).unwrap();
    let line = failed_cleanly(&w, &w.source_json(json!({})));
    assert!(line.starts_with("error: dependency golang: "), "{line}");
    assert!(line.contains(&format!("object {id}")), "names the object: {line}");
    assert!(!line.contains("signature") && !line.contains("Access Denied"), "read anonymously: {line}");
}

#[test]
fn a_malformed_spec_lock_is_one_line_naming_the_file() {
    let w = World::golang(CONSUMER);
    w.commit("packages/golang-1.23-linux/spec.lock", "name: golang-1.23-linux\nfingerprint: [unclosed\n");
    let line = failed_cleanly(&w, &w.source_json(json!({})));
    assert!(line.contains("packages/golang-1.23-linux/spec.lock"), "names the file: {line}");
}

#[test]
fn a_package_the_newest_final_release_lacks_is_one_line_listing_what_it_offers() {
    let w = World::golang(CONSUMER);
    let fingerprint = support::sha256_hex(b"go 1.19.13 as vendored long ago");
    w.commit("packages/golang-1.19-linux/spec.lock", &format!("name: golang-1.19-linux\nfingerprint: {fingerprint}\n"));
    let dependency = json!({"name": "golang", "kind": "vendored-package", "release": SOURCE_REPO,
                            "git_url": w.source_url(), "package": "golang-1.19-linux"});
    let line = failed_cleanly(&w, &w.source_json(json!({"dependencies": [dependency]})));
    assert_eq!(
        line,
        format!(
            "error: dependency golang: golang-1.19-linux is not in final release 0.3.0 of {SOURCE_REPO} (it offers \
             golang-1-linux, golang-1.22-linux, golang-1.22-windows, golang-1.23-linux, golang-1.23-windows)"
        )
    );
}

#[test]
fn a_prefix_that_cannot_name_a_package_is_one_line_naming_the_key() {
    let w = World::golang(CONSUMER);
    for prefix in ["routing team", "-routing", "../routing"] {
        let dependency = json!({"name": "routing-golang", "kind": "vendored-package", "release": SOURCE_REPO,
                                "git_url": w.source_url(), "package": "golang-{line}-linux", "prefix": prefix});
        let line = failed_cleanly(&w, &w.source_json(json!({"dependencies": [dependency]})));
        assert!(
            line.contains(&format!("source.dependencies[0].prefix: {prefix:?} is not a package name prefix")),
            "{line}"
        );
    }
}
