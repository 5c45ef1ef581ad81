//! Reading a source release of vendored packages (contract §3 `vendored-package`, §6 cost) from a
//! real git repository shaped like golang-release (`support::source_release`): every final
//! release, the Go version each package holds, one git connection per look-up and no fetch while
//! the head has not moved, one-line errors naming the URL, and the package tarballs readable from
//! the source release's blobstore without credentials.

mod support;

use std::path::Path;

use currency::blobstore::Blobstore;
use currency::release::final_builds::FinalIndex;
use currency::secrets::Secret;
use currency::source::BlobstoreSecrets;
use currency::{Cache, SourceRelease, lookup_source_release};
use support::GitServer;
use support::blob_servers::S3Server;
use support::fixtures::release_repo_from;
use support::source_release::{
    FixtureBlobstore, REPO, ReleaseSpec, SourceReleaseFixture, golang_releases, sha1_hex, sha256_hex,
};

const TOKEN: &str = "source-release-token-0123456789";

async fn lookup(cache: &Cache, url: &str, token: Option<&Secret>) -> SourceRelease {
    lookup_source_release(cache, url, token, false).await.unwrap_or_else(|e| panic!("look-up of {url}: {e}"))
}

async fn lookup_error(url: &str) -> String {
    let cache_dir = tempfile::tempdir().unwrap();
    match lookup_source_release(&Cache::at(cache_dir.path()), url, None, false).await {
        Ok(r) => panic!("look-up of {url} succeeded with {} releases", r.releases.len()),
        Err(e) => e.to_string(),
    }
}

/// `found` lists the fixture's releases oldest first, each package with the fixture's
/// fingerprint, digest and Go version, the manifest's commit hash that of the bump commit.
fn assert_same_releases(found: &SourceRelease, fixture: &SourceReleaseFixture) {
    let versions: Vec<&str> = found.releases.iter().map(|r| r.manifest.version.as_str()).collect();
    let built: Vec<&str> = fixture.releases().iter().map(|r| r.version.as_str()).collect();
    assert_eq!(versions, built, "every final release, oldest first");
    for (release, built) in found.releases.iter().zip(fixture.releases()) {
        assert_eq!(release.manifest.commit_hash.as_deref(), Some(built.commit_hash.as_str()));
        let seen: Vec<(&str, &str, &str, &str)> = release
            .manifest
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.fingerprint.as_str(), p.sha1.as_str(), release.package_version(&p.name)))
            .collect();
        let expected: Vec<(&str, &str, &str, &str)> = built
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.fingerprint.as_str(), p.sha1.as_str(), p.go_version.as_str()))
            .collect();
        assert_eq!(seen, expected, "release {}", built.version);
    }
}

fn posts(git: &GitServer) -> usize {
    git.requests().iter().filter(|r| r.method == "POST").count()
}

#[tokio::test]
async fn every_final_release_is_read_oldest_first_with_the_go_version_of_each_package() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = SourceReleaseFixture::golang(dir.path());
    let cache_dir = tempfile::tempdir().unwrap();
    let found = lookup(&Cache::at(cache_dir.path()), &fixture.git_url(), None).await;

    assert_same_releases(&found, &fixture);
    let go = |version: &str, package: &str| {
        let release = found.releases.iter().find(|r| r.manifest.version == version).unwrap();
        release.package_version(package).to_string()
    };
    assert_eq!(go("0.1.0", "golang-1-linux"), "1.22.7");
    assert_eq!(go("0.2.0", "golang-1-linux"), "1.23.2", "golang-1 follows the newest line");
    assert_eq!(go("0.2.0", "golang-1.22-windows"), "1.22.8");
    assert_eq!(go("0.3.0", "golang-1.23-linux"), "1.23.3");
    assert_eq!(go("0.3.0", "golang-1.22-linux"), "1.22.8", "an unchanged package keeps its version");
    assert_eq!((found.name.as_str(), found.url.as_str()), ("golang", fixture.git_url().as_str()));
    assert_eq!(found.commit, fixture.head());
    assert_eq!(found.final_yml, fixture.final_yml());
    assert_eq!(found.newest().unwrap().manifest.version, "0.3.0");

    // The .final_builds index of every package of the newest release, as committed.
    let newest: Vec<&str> = fixture.newest().packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(found.indices.keys().map(String::as_str).collect::<Vec<_>>(), newest);
    for (name, text) in &found.indices {
        assert_eq!(*text, fixture.final_builds_index(name), "{name}");
        let package = fixture.package("0.3.0", name);
        let entry = FinalIndex::parse(text).unwrap();
        let entry = entry.find(&package.fingerprint).expect("the newest fingerprint is indexed");
        assert_eq!(entry.blobstore_id.as_deref(), Some(package.blobstore_id.as_str()));
        assert_eq!(entry.sha1, package.sha1);
    }
    let legacy = FinalIndex::parse(&found.indices["golang-1.22-linux"]).unwrap();
    let old = fixture.package("0.1.0", "golang-1.22-linux");
    assert_eq!(legacy.find(&old.fingerprint).unwrap().sha1, old.sha1, "the legacy bare-sha1 entry is kept");
}

#[tokio::test]
async fn a_repeated_look_up_of_an_unchanged_head_sends_only_the_ref_advertisement() {
    let root = tempfile::tempdir().unwrap();
    let mut fixture = SourceReleaseFixture::golang(root.path());
    let git = GitServer::start_token(root.path(), TOKEN);
    let url = git.url_for(REPO);
    let token = Secret::new(TOKEN);
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = Cache::at(cache_dir.path());

    let cold = lookup(&cache, &url, Some(&token)).await;
    assert_same_releases(&cold, &fixture);
    assert!(posts(&git) >= 1, "a cold look-up fetches: {:?}", git.requests());
    assert!(git.requests().iter().any(|r| r.token.as_deref() == Some(TOKEN)), "the token is offered");

    git.clear_requests();
    let warm = lookup(&cache, &url, Some(&token)).await;
    assert_same_releases(&warm, &fixture);
    assert_eq!(warm.commit, cold.commit);
    let requests = git.requests();
    assert!(!requests.is_empty(), "the head is asked for");
    for r in &requests {
        assert_eq!(
            (r.method.as_str(), r.path_and_query.as_str()),
            ("GET", "/golang-release.git/info/refs?service=git-upload-pack"),
            "a warm look-up reads the ref advertisement only: {requests:?}"
        );
    }

    // A new final release moves the head: fetched, and seen.
    fixture.add_release(&ReleaseSpec::new(
        "0.4.0",
        &[("golang-1-linux", "1.24.0"), ("golang-1.23-linux", "1.23.4"), ("golang-1.24-linux", "1.24.0")],
    ));
    git.clear_requests();
    let moved = lookup(&cache, &url, Some(&token)).await;
    assert!(posts(&git) >= 1, "a moved head is fetched: {:?}", git.requests());
    assert_eq!(moved.commit, fixture.head());
    assert_same_releases(&moved, &fixture);
    let newest = moved.newest().unwrap();
    assert_eq!(newest.manifest.version, "0.4.0");
    assert_eq!(newest.package_version("golang-1.24-linux"), "1.24.0");
    assert!(moved.indices.contains_key("golang-1.24-linux") && !moved.indices.contains_key("golang-1.22-linux"));

    let answers = support::files_under(&cache_dir.path().join("json"));
    assert_eq!(answers.len(), 1, "one cached answer per source release, however often it moved: {answers:?}");

    git.clear_requests();
    assert_eq!(lookup(&cache, &url, Some(&token)).await.commit, moved.commit);
    assert_eq!(posts(&git), 0, "warm again: {:?}", git.requests());
}

#[tokio::test]
async fn a_damaged_cache_costs_only_time() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = SourceReleaseFixture::golang(dir.path());
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = Cache::at(cache_dir.path());
    let url = fixture.git_url();
    lookup(&cache, &url, None).await;

    // Cached answers that are not JSON any more: computed again from the clone.
    let answers = support::files_under(&cache_dir.path().join("json"));
    assert!(!answers.is_empty(), "the answer was cached");
    for file in &answers {
        std::fs::write(file, b"{\"url\": tru").unwrap();
    }
    assert_same_releases(&lookup(&cache, &url, None).await, &fixture);

    // A clone whose object database is garbage, and no cached answer: fetched afresh.
    support::damage_git_objects(&cache_dir.path().join("git"));
    std::fs::remove_dir_all(cache_dir.path().join("json")).unwrap();
    assert_same_releases(&lookup(&cache, &url, None).await, &fixture);

    // A clone that is not a repository at all.
    for dir in std::fs::read_dir(cache_dir.path().join("git")).unwrap() {
        let dir = dir.unwrap().path();
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::write(&dir, b"not a directory").unwrap();
    }
    std::fs::remove_dir_all(cache_dir.path().join("json")).unwrap();
    assert_same_releases(&lookup(&cache, &url, None).await, &fixture);
}

/// One line, naming the URL (never a credential), and saying what is wrong.
fn assert_one_line(e: &str, url: &str, says: &str) {
    assert!(!e.contains('\n'), "one line: {e}");
    assert!(e.contains(url), "names {url}: {e}");
    assert!(e.contains(says), "says {says:?}: {e}");
}

#[tokio::test]
async fn a_repository_that_does_not_exist_is_one_line_naming_the_url_without_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("file://{}/nothing-here.git", dir.path().display());
    let e = lookup_error(&missing).await;
    assert_one_line(&e, &missing, "repository not found");

    let git = GitServer::start_token(dir.path(), TOKEN);
    let url = git.url_for("nothing-here");
    let with_credentials = url.replacen("http://", &format!("http://x-access-token:{TOKEN}@"), 1);
    let e = lookup_error(&with_credentials).await;
    assert_one_line(&e, &url, "repository not found (unexpected http status code: 404)");
    assert!(!e.contains(TOKEN), "no credential in: {e}");
}

#[tokio::test]
async fn a_repository_without_final_releases_or_a_manifest_is_one_line_naming_the_url_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let repo = |name: &str, files: &[(&str, &str)]| {
        format!("file://{}", release_repo_from(empty.path(), files, name, dir.path()).display())
    };

    let url = repo("not-a-release", &[("README.md", "# not a BOSH release\n")]);
    assert_one_line(&lookup_error(&url).await, &url, "config/final.yml: is missing");

    let final_yml = "---\nname: golang\nblobstore:\n  provider: local\n  options:\n    blobstore_path: /tmp/x\n";
    let url = repo("no-final-release", &[("config/final.yml", final_yml)]);
    assert_one_line(&lookup_error(&url).await, &url, "releases/golang/index.yml: lists no final release");
    let url = repo(
        "empty-index",
        &[("config/final.yml", final_yml), ("releases/golang/index.yml", "builds: {}\nformat-version: \"2\"\n")],
    );
    assert_one_line(&lookup_error(&url).await, &url, "releases/golang/index.yml: lists no final release");

    let releases = tempfile::tempdir().unwrap();
    let fixture = SourceReleaseFixture::golang(releases.path());
    fixture.commit_change("releases/golang/golang-0.2.0.yml", None, "Lose a manifest");
    let url = fixture.git_url();
    assert_one_line(&lookup_error(&url).await, &url, "releases/golang/golang-0.2.0.yml: is missing");
}

#[tokio::test]
async fn package_tarballs_are_read_anonymously_from_the_source_releases_s3_bucket() {
    let s3 = S3Server::start_anonymous();
    let dir = tempfile::tempdir().unwrap();
    let store = FixtureBlobstore::S3 { server: &s3, bucket: "golang-release-blobs" };
    let fixture = SourceReleaseFixture::build_with(dir.path(), &golang_releases(), store);
    let cache_dir = tempfile::tempdir().unwrap();
    let found = lookup(&Cache::at(cache_dir.path()), &fixture.git_url(), None).await;
    assert!(found.final_yml.contains("provider: s3"), "{}", found.final_yml);

    let explicit = format!("{}    credentials_source: none\n", found.final_yml);
    let scratch = tempfile::tempdir().unwrap();
    for final_yml in [found.final_yml.as_str(), explicit.as_str()] {
        let blobstore = Blobstore::configure(final_yml, &BlobstoreSecrets::None, Path::new("/nonexistent-release"))
            .unwrap_or_else(|e| panic!("configure: {e}\n{}", s3.log()));
        assert!(!blobstore.writable(), "no keys: read-only");
        for package in &found.newest().unwrap().manifest.packages {
            let index = FinalIndex::parse(&found.indices[&package.name]).unwrap();
            let entry = index.find(&package.fingerprint).unwrap();
            let id = entry.blobstore_id.as_deref().unwrap();
            let dest = scratch.path().join(id);
            blobstore.get_to_file(id, &dest).await.unwrap_or_else(|e| panic!("get {id}: {e}\n{}", s3.log()));
            let bytes = std::fs::read(&dest).unwrap();
            assert_eq!(bytes, fixture.package("0.3.0", &package.name).tarball, "{}", package.name);
            assert_eq!(entry.sha1, format!("sha256:{}", sha256_hex(&bytes)), "{}", package.name);
        }
        // The legacy entry's bare digest is the sha1 of its tarball.
        let old = fixture.package("0.1.0", "golang-1.22-windows");
        let dest = scratch.path().join("legacy");
        blobstore.get_to_file(&old.blobstore_id, &dest).await.unwrap();
        assert_eq!(sha1_hex(&std::fs::read(&dest).unwrap()), old.sha1);
    }
}

#[test]
fn the_fixture_is_shaped_like_golang_release() {
    use support::fixtures::git;
    let dir = tempfile::tempdir().unwrap();
    let fixture = SourceReleaseFixture::golang(dir.path());
    let bare = fixture.bare();
    let tags = git(bare, ["tag", "--list"]);
    assert_eq!(tags.lines().collect::<Vec<_>>(), ["v0.1.0", "v0.2.0", "v0.3.0"]);
    for release in fixture.releases() {
        let message = git(bare, ["log", "-1", "--format=%s", &release.commit_hash]);
        assert!(message.starts_with("Bump to golang "), "{message}");
        let message = git(bare, ["log", "-1", "--format=%s", &format!("v{}", release.version)]);
        assert_eq!(message.trim(), format!("Final release {}", release.version));
        for p in &release.packages {
            let version = git(bare, ["show", &format!("{}:packages/{}/version", release.commit_hash, p.name)]);
            assert_eq!(version, p.go_version, "no trailing newline");
            assert_eq!(&p.tarball[..2], &[0x1f, 0x8b], "a gzip file");
            let stored = std::fs::read(fixture.blobstore_dir().join(&p.blobstore_id)).unwrap();
            assert_eq!(stored, p.tarball);
        }
    }
    let legacy = fixture.package("0.1.0", "golang-1.22-linux");
    assert_eq!((legacy.fingerprint.len(), legacy.sha1.len()), (40, 40), "SHA-1 era: bare hex");
    let current = fixture.package("0.2.0", "golang-1.22-linux");
    assert!(current.sha1.starts_with("sha256:") && current.fingerprint.len() == 64);
    assert_eq!(
        fixture.package("0.2.0", "golang-1-linux").fingerprint,
        fixture.package("0.2.0", "golang-1.23-linux").fingerprint,
        "the package name is no input of the fingerprint"
    );
    assert_eq!(fixture.package("0.3.0", "golang-1.22-linux"), current, "an unchanged package keeps its entry");
    let index = git(bare, ["show", "main:releases/golang/index.yml"]);
    assert!(index.starts_with("builds:\n") && index.ends_with("format-version: \"2\"\n"), "{index}");
}
