//! The world of the `vendored-package` end-to-end tests (tests/out_vendored.rs,
//! tests/out_vendored_errors.rs): a consumer release built from a fixture under
//! `tests/fixtures/releases/` and a [`SourceReleaseFixture`] (golang-release in miniature), both
//! bare repositories under one root served by one [`GitServer`]; the GitHub stand-in holding the
//! consumer's pull requests; the consumer's `local` blobstore directory; and the real binaries.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::blob_servers::S3Server;
use super::source_release::{FixtureBlobstore, ReleaseSpec, SourceReleaseFixture, golang_releases};
use super::{GitServer, Output, Tmp, Upstream, fixtures};

pub const TOKEN: &str = "ghp_VENDOREDtokenNEVERprinted00000001";
/// The consumer's repository on the GitHub stand-in.
pub const REPO: &str = "cloudfoundry/vendored-fixture-release";
/// The source release's repository, as `source.golang_release.repository` names it.
pub const SOURCE_REPO: &str = "cloudfoundry/bosh-package-golang-release";
/// nats-release's shape: golang-1.23-linux and golang-1.23-windows at Go 1.23.2 (release 0.2.0).
pub const CONSUMER: &str = "vendored-golang-release";
/// routing-release's shape: golang-1-linux and routing-golang-1.23-linux at Go 1.23.2.
pub const ROUTING: &str = "routing-vendored-release";
pub const FAST: (&str, &str) = ("CURRENCY_RETRY_BASE_MS", "5");

pub struct World {
    pub up: Upstream,
    pub repos: tempfile::TempDir,
    pub tmp: Tmp,
    pub git: GitServer,
    /// The consumer's `local` blobstore.
    pub blobstore: PathBuf,
    /// The consumer's bare repository.
    pub bare: PathBuf,
    pub fixture: String,
    pub source: SourceReleaseFixture,
    /// The source release's S3 server, when its blobstore is S3.
    pub s3: Option<S3Server>,
}

impl World {
    /// `fixture` as the consumer, the source release built from `releases` with a local blobstore.
    pub fn new(fixture: &str, releases: &[ReleaseSpec]) -> World {
        Self::build(fixture, releases, None)
    }

    /// `fixture` against [`golang_releases`] (newest: Go 1.23.3 on the 1.23 line).
    pub fn golang(fixture: &str) -> World {
        Self::new(fixture, &golang_releases())
    }

    /// The same, the source release's tarballs in an anonymous S3 bucket its final.yml names.
    pub fn with_s3(fixture: &str, releases: &[ReleaseSpec]) -> World {
        Self::build(fixture, releases, Some(S3Server::start_anonymous()))
    }

    /// The same, the bucket on an S3 server that takes only signed requests (`access_key`,
    /// `secret_key`): the source release's final.yml names no keys, the entry must give them.
    pub fn with_keyed_s3(fixture: &str, releases: &[ReleaseSpec], access_key: &str, secret_key: &str) -> World {
        Self::build(fixture, releases, Some(S3Server::start(access_key, secret_key)))
    }

    fn build(fixture: &str, releases: &[ReleaseSpec], s3: Option<S3Server>) -> World {
        let up = Upstream::start();
        let repos = tempfile::tempdir().unwrap();
        let store = match &s3 {
            Some(server) => FixtureBlobstore::S3 { server, bucket: "golang-release-blobs" },
            None => FixtureBlobstore::Local,
        };
        let source = SourceReleaseFixture::build_with(repos.path(), releases, store);
        let git = GitServer::start_token(repos.path(), TOKEN);
        let bare = fixtures::release_repo(fixture, repos.path());
        up.link_git(REPO, &bare);
        up.grant_push(REPO, TOKEN);
        let tmp = Tmp::new();
        let blobstore = tmp.path().join("blobstore");
        std::fs::create_dir_all(&blobstore).unwrap();
        World { up, repos, tmp, git, blobstore, bare, fixture: fixture.into(), source, s3 }
    }

    /// The source: the consumer over smart HTTP, its blobstore, and `golang_release` served by
    /// the same git server; `extra` keys replace the defaults.
    pub fn source_json(&self, extra: Value) -> Value {
        let mut s = json!({
            "repository": REPO,
            "access_token": TOKEN,
            "git_url": self.git.url_for(&self.fixture),
            "github_api_url": self.up.url(),
            "vulndb": self.up.vulndb_url(),
            "upstream_api_url": self.up.url(),
            "blobstore": {"options": {"blobstore_path": self.blobstore.to_str().unwrap()}},
            "git_author": {"name": "currency-bot", "email": "bot@currency.invalid"},
            "golang_release": {"repository": SOURCE_REPO, "git_url": self.source_url()},
        });
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    }

    /// The source release's URL on the git server.
    pub fn source_url(&self) -> String {
        self.git.url_for(super::source_release::REPO)
    }

    fn run(&self, bin: &str, args: &[&str], stdin: &str) -> Output {
        self.run_with(bin, args, stdin, &[])
    }

    fn run_with(&self, bin: &str, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
        let mut env = env.to_vec();
        env.push(FAST);
        let out = self.tmp.run(super::bin(bin), args, stdin, &env);
        assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN), "token printed:\n{out:#?}");
        out
    }

    pub fn check(&self, source: &Value, version: Option<Value>) -> Output {
        let mut req = json!({ "source": source });
        if let Some(v) = version {
            req["version"] = v;
        }
        self.run("check", &[], &req.to_string())
    }

    pub fn get(&self, dest: &Path, source: &Value, version: Value) -> Output {
        let req = json!({ "source": source, "version": version, "params": {} });
        self.run("in", &[dest.to_str().unwrap()], &req.to_string())
    }

    pub fn out(&self, source: &Value) -> Output {
        self.out_with(source, json!({}))
    }

    pub fn out_with(&self, source: &Value, params: Value) -> Output {
        self.out_env(source, params, &[])
    }

    /// `out` with more environment (`STORAGE_EMULATOR_HOST`).
    pub fn out_env(&self, source: &Value, params: Value, env: &[(&str, &str)]) -> Output {
        let sources = self.tmp.path().join("sources");
        std::fs::create_dir_all(&sources).unwrap();
        let req = json!({"source": source, "params": params});
        self.run_with("out", &[sources.to_str().unwrap()], &req.to_string(), env)
    }

    /// `currency bump --source <source as a file> --repo <checkout>`.
    pub fn bump(&self, source: &Value, checkout: &Path) -> Output {
        let file = self.tmp.path().join("source.json");
        std::fs::write(&file, source.to_string()).unwrap();
        self.run("currency", &["bump", "--source", file.to_str().unwrap(), "--repo", checkout.to_str().unwrap()], "")
    }

    /// The consumer's blobstore: object id → bytes, by id.
    pub fn objects(&self) -> Vec<(String, Vec<u8>)> {
        super::files_under(&self.blobstore)
            .into_iter()
            .map(|p| (p.file_name().unwrap().to_str().unwrap().to_string(), std::fs::read(&p).unwrap()))
            .collect()
    }

    /// `path` on `rev` of the consumer, or a panic naming both.
    pub fn file(&self, rev: &str, path: &str) -> String {
        fixtures::read_file(&self.bare, rev, path).unwrap_or_else(|| panic!("{rev} has no {path}"))
    }

    /// Commits `contents` at `path` on the consumer's `main`.
    pub fn commit(&self, path: &str, contents: &str) {
        fixtures::commit_file(&self.bare, "main", path, contents, &format!("Change {path}"));
    }

    /// Asserts that the consumer's `package` holds the fingerprint the source release's
    /// `source_name` has in final release `version` (the fixture files were written from it).
    #[track_caller]
    pub fn assert_pinned(&self, package: &str, source_name: &str, version: &str) {
        let lock = self.file("main", &format!("packages/{package}/spec.lock"));
        let fingerprint = &self.source.package(version, source_name).fingerprint;
        assert_eq!(lock, format!("name: {package}\nfingerprint: {fingerprint}\n"), "fixture {}", self.fixture);
    }

    /// The pushed branches of the consumer.
    pub fn branches(&self) -> Vec<String> {
        fixtures::branches(&self.bare)
    }

    /// `git diff --name-status main <branch>` of the consumer, one `<status>\t<path>` per line.
    pub fn changes(&self, branch: &str) -> Vec<String> {
        let diff = fixtures::git(&self.bare, ["diff", "--no-renames", "--name-status", "main", branch]);
        diff.lines().map(str::to_string).collect()
    }
}

/// `.final_builds/packages/<pkg>/index.yml` as bosh-cli writes it: `(fingerprint, blobstore id,
/// digest)` entries in byte order of their fingerprint.
pub fn index_text(entries: &[(&str, &str, &str)]) -> String {
    let mut sorted = entries.to_vec();
    sorted.sort();
    let mut out = String::from("builds:\n");
    for (fp, id, sha1) in sorted {
        out.push_str(&format!("  {fp}:\n    version: {fp}\n    blobstore_id: {id}\n    sha1: {sha1}\n"));
    }
    out.push_str("format-version: \"2\"\n");
    out
}

/// The `(fingerprint, blobstore id, digest)` entries of an index text.
pub fn index_entries(text: &str) -> Vec<(String, String, String)> {
    let v: Value = yaml_serde::from_str(text).unwrap_or_else(|e| panic!("index does not parse ({e}):\n{text}"));
    let builds = v["builds"].as_object().unwrap_or_else(|| panic!("no builds in\n{text}"));
    builds
        .iter()
        .map(|(fp, b)| {
            assert_eq!(b["version"].as_str(), Some(fp.as_str()), "{text}");
            (fp.clone(), b["blobstore_id"].as_str().unwrap().into(), b["sha1"].as_str().unwrap().into())
        })
        .collect()
}

/// The one `error: ` line of a failed run, with nothing on stdout.
#[track_caller]
pub fn one_error_line(out: &Output) -> String {
    out.assert_failure();
    assert_eq!(out.stdout, "", "stdout stays empty on failure");
    let lines: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(lines.len(), 1, "exactly one error line:\n{}", out.stderr);
    lines[0].to_string()
}
