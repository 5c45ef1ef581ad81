//! `out` against an S3-compatible blobstore (s3s-fs, which checks SigV4 signatures), with the
//! credentials given as private.yml, on fixtures shaped like cfcr-etcd-release (a sha1 entry
//! and a glob spec) and a nats-server blob release (exact references, SHA256SUMS).

mod support;

use std::path::PathBuf;

use serde_json::{Value, json};
use support::blob_servers::S3Server;
use support::{GitServer, Release, Tmp, Upstream, fixtures};

const TOKEN: &str = "ghp_S3TESTTOKENneverPRINTED00000000001";
const REPO: &str = "cloudfoundry/fixture-release";
const AK: &str = "AKIDFIXTURE0001";
const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRET01";

struct World {
    up: Upstream,
    _repos: tempfile::TempDir,
    tmp: Tmp,
    git: GitServer,
    s3: S3Server,
    bare: PathBuf,
    fixture: String,
}

impl World {
    fn new(fixture: &str, bucket: &str) -> World {
        Self::with_files(fixture, &[], bucket)
    }

    /// `fixture` with some files replaced (`overrides`), as a repository of the same name.
    fn with_files(fixture: &str, overrides: &[(&str, &str)], bucket: &str) -> World {
        let up = Upstream::start();
        let repos = tempfile::tempdir().unwrap();
        let git = GitServer::start_token(repos.path(), TOKEN);
        let dir = fixtures::fixtures_dir().join(fixture);
        let bare = fixtures::release_repo_from(&dir, overrides, fixture, repos.path());
        up.link_git(REPO, &bare);
        up.grant_push(REPO, TOKEN);
        let s3 = S3Server::start(AK, SK);
        s3.create_bucket(bucket);
        World { up, _repos: repos, tmp: Tmp::new(), git, s3, bare, fixture: fixture.into() }
    }

    fn private_yml(&self, folder: Option<&str>) -> String {
        let folder = folder.map(|f| format!("    folder_name: {f}\n")).unwrap_or_default();
        format!(
            "---\nblobstore:\n  options:\n    host: 127.0.0.1\n    port: {}\n    use_ssl: false\n    access_key_id: {AK}\n    secret_access_key: '{SK}'\n{folder}",
            self.s3.port()
        )
    }

    fn source(&self, extra: Value) -> Value {
        let mut s = json!({
            "repository": REPO,
            "access_token": TOKEN,
            "git_url": self.git.url_for(&self.fixture),
            "github_api_url": self.up.url(),
            "vulndb": self.up.vulndb_url(),
            "upstream_api_url": self.up.url(),
            "git_author": {"name": "currency-bot", "email": "bot@currency.invalid"},
        });
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
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
        for secret in [TOKEN, SK, AK] {
            assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret), "{secret} printed:\n{out:#?}");
        }
        out
    }
}

fn release(up: &Upstream, repo: &str, tag: &str, asset: &str) -> Vec<u8> {
    let bytes = format!("{repo} {tag} {asset} payload").repeat(1000).into_bytes();
    up.add_release(repo, Release::new(tag).asset_without_digest(asset, bytes.clone()).with_sha256sums());
    bytes
}

#[test]
fn an_etcd_bump_replaces_the_sha1_entry_and_uploads_to_s3_under_the_folder() {
    let w = World::new("etcd-release", "etcd-fixture-blobs");
    release(&w.up, "etcd-io/etcd", "v3.3.15", "etcd-v3.3.15-linux-amd64.tar.gz");
    let bytes = release(&w.up, "etcd-io/etcd", "v3.3.27", "etcd-v3.3.27-linux-amd64.tar.gz");
    release(&w.up, "etcd-io/etcd", "v3.5.17", "etcd-v3.5.17-linux-amd64.tar.gz");
    let source = w.source(json!({
        "blobstore": {"private_yml": w.private_yml(Some("blobs"))},
        "dependencies": [{"name": "etcd", "kind": "github-release", "upstream": "etcd-io/etcd",
                          "blob": "etcd/etcd-v{version}-linux-amd64.tar.gz", "constraint": "~3.3"}],
    }));
    let out = w.out(&source);
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"etcd": "3.3.27"}));

    let blobs = fixtures::read_file(&w.bare, "currency/etcd", "config/blobs.yml").unwrap();
    let sha = support::sha256_hex(&bytes);
    let id = blobs.lines().find_map(|l| l.strip_prefix("  object_id: ")).expect("an object id").to_string();
    assert_eq!(
        blobs,
        format!(
            "etcd/etcd-v3.3.27-linux-amd64.tar.gz:\n  size: {}\n  object_id: {id}\n  sha: sha256:{sha}\n",
            bytes.len()
        )
    );
    // The object is under folder_name, byte for byte.
    let stored = std::fs::read(w.s3.object_file("etcd-fixture-blobs", &format!("blobs/{id}"))).unwrap();
    assert_eq!(stored, bytes);
    // The glob spec still matches 3.3.27 and is left alone.
    let changed = fixtures::git(&w.bare, ["diff", "--name-only", "main", "currency/etcd"]);
    assert_eq!(changed.trim(), "config/blobs.yml");
    let pr = &w.up.pulls(REPO)[0];
    let body = pr["body"].as_str().unwrap();
    assert!(body.contains("verified against: SHA256SUMS"), "{body}");
    assert!(body.contains(&id) && body.contains("s3 bucket etcd-fixture-blobs"), "{body}");
    for secret in [SK, AK, TOKEN] {
        assert!(!body.contains(secret));
        let log = fixtures::git(&w.bare, ["log", "-p", "--all"]);
        assert!(!log.contains(secret), "{secret} in the git history");
    }
}

#[test]
fn a_nats_server_bump_rewrites_exact_references_and_checks_sha256sums() {
    let w = World::new("nats-blob-release", "nats-blob-fixture");
    release(&w.up, "nats-io/nats-server", "v2.10.20", "nats-server-v2.10.20-linux-amd64.tar.gz");
    let bytes = release(&w.up, "nats-io/nats-server", "v2.10.22", "nats-server-v2.10.22-linux-amd64.tar.gz");
    let source = w.source(json!({"blobstore": {"private_yml": w.private_yml(None)}}));
    let out = w.out(&source);
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"nats-server": "2.10.22"}));
    let spec = fixtures::read_file(&w.bare, "currency/nats-server", "packages/nats-server/spec").unwrap();
    assert!(spec.contains("- nats-server/nats-server-v2.10.22-linux-amd64.tar.gz\n"), "{spec}");
    let packaging = fixtures::read_file(&w.bare, "currency/nats-server", "packages/nats-server/packaging").unwrap();
    assert_eq!(
        packaging,
        "set -e\ntar xzf nats-server/nats-server-v2.10.22-linux-amd64.tar.gz\ncp nats-server-v2.10.22-linux-amd64/nats-server ${BOSH_INSTALL_TARGET}/\n"
    );
    let blobs = fixtures::read_file(&w.bare, "currency/nats-server", "config/blobs.yml").unwrap();
    let id = blobs.lines().find_map(|l| l.strip_prefix("  object_id: ")).unwrap().to_string();
    assert_eq!(std::fs::read(w.s3.object_file("nats-blob-fixture", &id)).unwrap(), bytes);
    assert_eq!(w.up.pulls(REPO)[0]["title"], "Bump nats-server from 2.10.20 to 2.10.22");
}

#[test]
fn a_wrong_s3_secret_fails_the_upload_and_pushes_nothing() {
    let w = World::new("nats-blob-release", "nats-blob-fixture");
    release(&w.up, "nats-io/nats-server", "v2.10.20", "nats-server-v2.10.20-linux-amd64.tar.gz");
    release(&w.up, "nats-io/nats-server", "v2.10.22", "nats-server-v2.10.22-linux-amd64.tar.gz");
    let wrong = w.private_yml(None).replace(SK, "wrongSECRETvalue000000000000000000000001");
    let out = w.out(&w.source(json!({"blobstore": {"private_yml": wrong}})));
    out.assert_failure();
    assert!(!out.stderr.contains("wrongSECRETvalue"), "{}", out.stderr);
    assert!(out.stderr.contains("nats-blob-fixture"), "{}", out.stderr);
    assert_eq!(fixtures::branches(&w.bare), ["main"]);
    assert!(w.up.pulls(REPO).is_empty());
}

/// A release team's patched etcd (`3.3.15-tls1.2-patch`): kept by default, so `out` opens nothing;
/// with `custom_builds: replace` it is bumped to plain upstream and the PR says so in its first line.
#[test]
fn a_custom_build_is_replaced_only_when_the_entry_says_so_and_the_pr_says_it_first() {
    let patched = "etcd/etcd-v3.3.15-tls1.2-patch-linux-amd64.tar.gz:\n  size: 14194932\n  \
                   object_id: 5a1c26e2-35fa-4c6b-4f7d-2ce1b0c0e3d1\n  sha: 0d3c2f8a9e4b1c6d7e8f9a0b1c2d3e4f5a6b7c8d\n";
    let w = World::with_files("etcd-release", &[("config/blobs.yml", patched)], "etcd-fixture-blobs");
    release(&w.up, "etcd-io/etcd", "v3.3.15", "etcd-v3.3.15-linux-amd64.tar.gz");
    let bytes = release(&w.up, "etcd-io/etcd", "v3.3.27", "etcd-v3.3.27-linux-amd64.tar.gz");
    let entry = |custom: Option<&str>| {
        let mut e = json!({"name": "etcd", "kind": "github-release", "upstream": "etcd-io/etcd",
                           "blob": "etcd/etcd-v{version}-linux-amd64.tar.gz", "constraint": "~3.3"});
        if let Some(c) = custom {
            e["custom_builds"] = json!(c);
        }
        w.source(json!({"blobstore": {"private_yml": w.private_yml(None)}, "dependencies": [e]}))
    };
    for kept in [entry(None), entry(Some("keep"))] {
        let out = w.out(&kept);
        out.assert_success();
        assert_eq!(out.json()["version"], json!({"up-to-date": fixtures::head_of(&w.bare, "main")}));
        assert_eq!(fixtures::branches(&w.bare), ["main"], "a kept custom build is never bumped");
        assert!(w.up.pulls(REPO).is_empty());
    }

    let out = w.out(&entry(Some("replace")));
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"etcd": "3.3.27"}));
    let blobs = fixtures::read_file(&w.bare, "currency/etcd", "config/blobs.yml").unwrap();
    assert!(blobs.starts_with("etcd/etcd-v3.3.27-linux-amd64.tar.gz:\n"), "{blobs}");
    assert!(!blobs.contains("tls1.2-patch"), "the patched build's entry is gone: {blobs}");
    assert!(blobs.contains(&format!("sha: sha256:{}", support::sha256_hex(&bytes))), "{blobs}");
    let pulls = w.up.pulls(REPO);
    assert_eq!(pulls.len(), 1);
    assert_eq!(pulls[0]["title"], "Bump etcd from 3.3.15-tls1.2-patch to 3.3.27");
    let body = pulls[0]["body"].as_str().unwrap();
    let first = body.lines().next().unwrap();
    assert!(
        first.starts_with("**This replaces a custom build**: etcd 3.3.15-tls1.2-patch is a build of 3.3.15"),
        "{body}"
    );
}
