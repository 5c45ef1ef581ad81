//! `SourceReleaseFixture`: a source release of vendored packages shaped like
//! cloudfoundry/bosh-package-golang-release, built for real with the git CLI, for the tests (and
//! benches) of the `vendored-package` kind.
//!
//! What it builds, under one directory `dir`:
//! - `dir/golang-release.git`: a bare repository (HEAD `main`; serve `dir` with
//!   `GitServer::start_token(dir, …)` and use `url_for("golang-release")`, or use
//!   [`SourceReleaseFixture::git_url`], a `file://` URL) whose history is, per final release,
//!   two commits as golang-release's CI makes them:
//!   1. `Bump to golang <go versions>`: `packages/<pkg>/{spec,packaging,version}` for the packages of
//!      the release (`version` holds the Go version, `1.23.2`, no trailing newline), packages no
//!      longer offered removed;
//!   2. `Final release <version>`: `releases/golang/golang-<version>.yml` (its `commit_hash` is the
//!      7-digit short hash of commit 1), `releases/golang/index.yml` (keys are random UUIDs,
//!      `format-version: "2"`) and `.final_builds/packages/<pkg>/index.yml` for every package whose
//!      fingerprint is new; tagged `v<version>`.
//! - `dir/golang-release-blobs/`: the `local` blobstore holding each package tarball (a small real
//!   `.tgz` with the package's `packaging` and a stand-in Go archive) under its blobstore id; with
//!   [`FixtureBlobstore::S3`] each tarball is also put into the bucket of an [`S3Server`] and
//!   `config/final.yml` names that bucket (no keys: anonymous, read-only, as golang-release's
//!   bucket is read).
//!
//! Fingerprints follow bosh's algorithm over the package's files (`packaging` and the Go archive;
//! never the package name), so `golang-1-linux` and `golang-1.N-linux` holding the same Go
//! version share a fingerprint, as they do upstream; a package whose fingerprint a previous
//! release already has keeps that release's index entry, tarball and digest. A release built with
//! [`ReleaseSpec::legacy_sha1`] is from the SHA-1 era: 40-digit fingerprints and bare sha1
//! digests in its manifest and `.final_builds` entries.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use super::blob_servers::S3Server;
use super::fixtures::{git, init_bare};

/// The release's name (`config/final.yml` `name`).
pub const NAME: &str = "golang";
/// The bare repository is `<dir>/<REPO>.git`.
pub const REPO: &str = "golang-release";

/// One final release to build: its version and the Go version each of its packages holds.
#[derive(Debug, Clone)]
pub struct ReleaseSpec {
    pub version: String,
    /// (package name, Go version), e.g. `("golang-1.23-linux", "1.23.2")`. The platform is the
    /// name's last part: `linux`, `darwin` or `windows`.
    pub packages: Vec<(String, String)>,
    /// SHA-1 era: bare sha1 digests and 40-digit fingerprints.
    pub legacy_sha1: bool,
}

impl ReleaseSpec {
    pub fn new(version: &str, packages: &[(&str, &str)]) -> ReleaseSpec {
        let packages = packages.iter().map(|(p, go)| (p.to_string(), go.to_string())).collect();
        ReleaseSpec { version: version.to_string(), packages, legacy_sha1: false }
    }

    /// This release from the SHA-1 era (see the module doc).
    pub fn legacy_sha1(mut self) -> ReleaseSpec {
        self.legacy_sha1 = true;
        self
    }
}

/// golang-release in miniature, oldest first:
/// - `0.1.0` (SHA-1 era): golang-1.22-linux, golang-1.22-windows and golang-1-linux at 1.22.7;
/// - `0.2.0`: golang-1.22-* at 1.22.8, golang-1.23-* and golang-1-linux at 1.23.2;
/// - `0.3.0`: golang-1.22-* unchanged (1.22.8: same fingerprints, same index entries),
///   golang-1.23-* and golang-1-linux at 1.23.3.
pub fn golang_releases() -> Vec<ReleaseSpec> {
    vec![
        ReleaseSpec::new(
            "0.1.0",
            &[("golang-1-linux", "1.22.7"), ("golang-1.22-linux", "1.22.7"), ("golang-1.22-windows", "1.22.7")],
        )
        .legacy_sha1(),
        ReleaseSpec::new(
            "0.2.0",
            &[
                ("golang-1-linux", "1.23.2"),
                ("golang-1.22-linux", "1.22.8"),
                ("golang-1.22-windows", "1.22.8"),
                ("golang-1.23-linux", "1.23.2"),
                ("golang-1.23-windows", "1.23.2"),
            ],
        ),
        ReleaseSpec::new(
            "0.3.0",
            &[
                ("golang-1-linux", "1.23.3"),
                ("golang-1.22-linux", "1.22.8"),
                ("golang-1.22-windows", "1.22.8"),
                ("golang-1.23-linux", "1.23.3"),
                ("golang-1.23-windows", "1.23.3"),
            ],
        ),
    ]
}

/// Where the package tarballs go besides the local blobstore directory, and what
/// `config/final.yml` names.
pub enum FixtureBlobstore<'a> {
    /// `provider: local` with the absolute `blobstore_path` of [`SourceReleaseFixture::blobstore_dir`].
    Local,
    /// `provider: s3` on `server` (path style, plain HTTP, no keys), bucket `bucket`.
    S3 { server: &'a S3Server, bucket: &'a str },
}

/// One package of a built final release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixturePackage {
    pub name: String,
    /// The Go version its `version` file holds at the release's commit.
    pub go_version: String,
    pub fingerprint: String,
    /// The digest string of the tarball, as the manifest and `.final_builds` give it:
    /// `sha256:<hex>`, or bare sha1 hex for a legacy entry.
    pub sha1: String,
    /// The tarball's object id in the blobstore.
    pub blobstore_id: String,
    /// The package tarball (`.tgz`) bytes.
    pub tarball: Vec<u8>,
}

/// One built final release.
#[derive(Debug, Clone)]
pub struct FixtureRelease {
    pub version: String,
    /// The manifest's `commit_hash`: the 7-digit short hash of the release's bump commit.
    pub commit_hash: String,
    /// The full hash of the `Final release <version>` commit (tagged `v<version>`).
    pub release_commit: String,
    /// In the manifest's order (by name).
    pub packages: Vec<FixturePackage>,
}

impl FixtureRelease {
    pub fn package(&self, name: &str) -> &FixturePackage {
        self.packages
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("release {} has no package {name}", self.version))
    }
}

/// A built source release; see the module doc.
pub struct SourceReleaseFixture {
    dir: PathBuf,
    bare: PathBuf,
    work: tempfile::TempDir,
    blobstore_dir: PathBuf,
    /// `<s3 data dir>/<bucket>`, where `s3s-fs` keeps the bucket's objects as plain files.
    s3_bucket_dir: Option<PathBuf>,
    final_yml: String,
    releases: Vec<FixtureRelease>,
    /// Package name → fingerprint → its `.final_builds` entry (as a package of a release).
    index: BTreeMap<String, BTreeMap<String, FixturePackage>>,
    /// Release index key (a UUID) → version.
    release_index: BTreeMap<String, String>,
}

impl SourceReleaseFixture {
    /// [`golang_releases`] built in `dir` with a local blobstore.
    pub fn golang(dir: &Path) -> SourceReleaseFixture {
        Self::build(dir, &golang_releases())
    }

    /// `releases` (oldest first) built in `dir` with a local blobstore.
    pub fn build(dir: &Path, releases: &[ReleaseSpec]) -> SourceReleaseFixture {
        Self::build_with(dir, releases, FixtureBlobstore::Local)
    }

    /// `releases` (oldest first) built in `dir`, the tarballs also put into `blobstore`.
    pub fn build_with(dir: &Path, releases: &[ReleaseSpec], blobstore: FixtureBlobstore<'_>) -> SourceReleaseFixture {
        let dir = dir.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let blobstore_dir = dir.join(format!("{REPO}-blobs"));
        fs::create_dir_all(&blobstore_dir).expect("blobstore dir");
        let (final_yml, s3_bucket_dir) = match blobstore {
            FixtureBlobstore::Local => (
                format!(
                    "---\nname: {NAME}\nblobstore:\n  provider: local\n  options:\n    blobstore_path: {}\n",
                    blobstore_dir.display()
                ),
                None,
            ),
            FixtureBlobstore::S3 { server, bucket } => {
                server.create_bucket(bucket);
                let yml = format!(
                    "---\nname: {NAME}\nblobstore:\n  provider: s3\n  options:\n    bucket_name: {bucket}\n    \
                     host: 127.0.0.1\n    port: {}\n    use_ssl: false\n    region: us-east-1\n",
                    server.port()
                );
                (yml, Some(server.data_dir().join(bucket)))
            }
        };
        let bare = dir.join(format!("{REPO}.git"));
        init_bare(&bare);
        let work = tempfile::tempdir().expect("work tree");
        let w = work.path();
        git(w, ["init", "-q", "-b", "main"]);
        git(w, [std::ffi::OsStr::new("remote"), "add".as_ref(), "origin".as_ref(), bare.as_os_str()]);
        write(w, "config/final.yml", &final_yml);
        write(w, "README.md", "# golang-release (test fixture)\n\nGo toolchains as BOSH packages.\n");
        git(w, ["add", "-A"]);
        git(w, ["commit", "-q", "-m", "Initial commit"]);
        git(w, ["push", "-q", "origin", "main"]);
        let mut fixture = SourceReleaseFixture {
            dir,
            bare,
            work,
            blobstore_dir,
            s3_bucket_dir,
            final_yml,
            releases: Vec::new(),
            index: BTreeMap::new(),
            release_index: BTreeMap::new(),
        };
        for spec in releases {
            fixture.add_release(spec);
        }
        fixture
    }

    /// Builds one more final release on top (two commits and a tag, pushed) and returns it.
    pub fn add_release(&mut self, spec: &ReleaseSpec) -> &FixtureRelease {
        let commit_hash = self.bump_commit(spec);
        let mut packages: Vec<FixturePackage> =
            spec.packages.iter().map(|(name, go)| self.package_for(name, go, spec.legacy_sha1)).collect();
        packages.sort_by(|a, b| a.name.cmp(&b.name));
        let w = self.work.path().to_path_buf();
        for p in &packages {
            if !self.index.get(&p.name).is_some_and(|e| e.contains_key(&p.fingerprint)) {
                self.store(p);
                self.index.entry(p.name.clone()).or_default().insert(p.fingerprint.clone(), p.clone());
                write(&w, &format!(".final_builds/packages/{}/index.yml", p.name), &self.final_builds_index(&p.name));
            }
        }
        self.release_index.insert(uuid::Uuid::new_v4().to_string(), spec.version.clone());
        write(&w, &format!("releases/{NAME}/index.yml"), &release_index(&self.release_index));
        write(&w, &format!("releases/{NAME}/{NAME}-{}.yml", spec.version), &manifest(spec, &commit_hash, &packages));
        git(&w, ["add", "-A"]);
        git(&w, ["commit", "-q", "-m", &format!("Final release {}", spec.version)]);
        git(&w, ["tag", &format!("v{}", spec.version)]);
        git(&w, ["push", "-q", "origin", "main", "--tags"]);
        let release_commit = git(&w, ["rev-parse", "HEAD"]).trim().to_string();
        self.releases.push(FixtureRelease { version: spec.version.clone(), commit_hash, release_commit, packages });
        self.releases.last().expect("just pushed")
    }

    /// Commits `contents` at `path` (`None`: removes it) on `main` with `message`, pushes, and
    /// returns the new head: how a test breaks the release (a manifest removed) or moves its head
    /// without a new final release.
    pub fn commit_change(&self, path: &str, contents: Option<&str>, message: &str) -> String {
        let w = self.work.path();
        match contents {
            Some(text) => write(w, path, text),
            None => {
                git(w, ["rm", "-q", "--", path]);
            }
        }
        git(w, ["add", "-A"]);
        git(w, ["commit", "-q", "--allow-empty", "-m", message]);
        git(w, ["push", "-q", "origin", "main"]);
        self.head()
    }

    /// `file://` URL of the bare repository.
    pub fn git_url(&self) -> String {
        format!("file://{}", self.bare.display())
    }

    /// The bare repository, `<dir>/golang-release.git`.
    pub fn bare(&self) -> &Path {
        &self.bare
    }

    /// The directory it was built in (the root to serve with `GitServer`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The local blobstore directory: `<dir>/golang-release-blobs/<blobstore_id>` is each tarball.
    pub fn blobstore_dir(&self) -> &Path {
        &self.blobstore_dir
    }

    /// `config/final.yml` as committed.
    pub fn final_yml(&self) -> &str {
        &self.final_yml
    }

    /// The head of `main` (full hash).
    pub fn head(&self) -> String {
        git(&self.bare, ["rev-parse", "refs/heads/main"]).trim().to_string()
    }

    /// Every release built, oldest first.
    pub fn releases(&self) -> &[FixtureRelease] {
        &self.releases
    }

    pub fn newest(&self) -> &FixtureRelease {
        self.releases.last().expect("no release built")
    }

    pub fn release(&self, version: &str) -> &FixtureRelease {
        self.releases.iter().find(|r| r.version == version).unwrap_or_else(|| panic!("no release {version}"))
    }

    /// Package `name` of release `version`.
    pub fn package(&self, version: &str, name: &str) -> &FixturePackage {
        self.release(version).package(name)
    }

    /// The `.final_builds/packages/<name>/index.yml` text as last committed.
    pub fn final_builds_index(&self, name: &str) -> String {
        final_builds_index(self.index.get(name).unwrap_or_else(|| panic!("no index for {name}")))
    }

    /// Commit 1 of a release: the packages' files as the spec says; returns its short hash.
    fn bump_commit(&self, spec: &ReleaseSpec) -> String {
        let w = self.work.path();
        let packages = w.join("packages");
        if packages.is_dir() {
            for entry in fs::read_dir(&packages).expect("read packages") {
                let entry = entry.expect("dir entry");
                let name = entry.file_name().to_string_lossy().into_owned();
                if !spec.packages.iter().any(|(p, _)| *p == name) {
                    fs::remove_dir_all(entry.path()).expect("remove package");
                }
            }
        }
        let mut versions: Vec<&str> = Vec::new();
        for (name, go) in &spec.packages {
            let archive = archive_name(name, go);
            write(w, &format!("packages/{name}/spec"), &format!("---\nname: {name}\n\nfiles:\n- {archive}\n"));
            write(w, &format!("packages/{name}/packaging"), &packaging());
            write(w, &format!("packages/{name}/version"), go);
            if !versions.contains(&go.as_str()) {
                versions.push(go);
            }
        }
        versions.sort();
        git(w, ["add", "-A"]);
        git(w, ["commit", "-q", "--allow-empty", "-m", &format!("Bump to golang {}", versions.join(", "))]);
        git(w, ["rev-parse", "--short=7", "HEAD"]).trim().to_string()
    }

    /// The package `name` holding Go `go`: the index entry it already has for that fingerprint,
    /// or a new one (tarball built, fresh blobstore id).
    fn package_for(&self, name: &str, go: &str, legacy: bool) -> FixturePackage {
        let archive = archive_name(name, go);
        let archive_bytes = format!("stand-in for {archive}\n").into_bytes();
        let packaging = packaging();
        let digest = |bytes: &[u8]| if legacy { sha1_hex(bytes) } else { format!("sha256:{}", sha256_hex(bytes)) };
        let input = format!("v2{archive}{}100644packaging{}", digest(&archive_bytes), digest(packaging.as_bytes()));
        let fingerprint = if legacy { sha1_hex(input.as_bytes()) } else { sha256_hex(input.as_bytes()) };
        if let Some(known) = self.index.get(name).and_then(|e| e.get(&fingerprint)) {
            return FixturePackage { go_version: go.to_string(), ..known.clone() };
        }
        let tarball = tgz(&[("packaging", packaging.as_bytes()), (archive.as_str(), &archive_bytes)]);
        FixturePackage {
            name: name.to_string(),
            go_version: go.to_string(),
            sha1: digest(&tarball),
            fingerprint,
            blobstore_id: uuid::Uuid::new_v4().to_string(),
            tarball,
        }
    }

    /// Puts a package's tarball into the blobstore(s).
    fn store(&self, p: &FixturePackage) {
        fs::write(self.blobstore_dir.join(&p.blobstore_id), &p.tarball).expect("write blob");
        if let Some(bucket) = &self.s3_bucket_dir {
            // s3s-fs serves the files under its bucket directory as the bucket's objects.
            fs::write(bucket.join(&p.blobstore_id), &p.tarball).expect("write s3 object");
        }
    }
}

/// `go1.23.2.linux-amd64.tar.gz`, or `.zip` for windows.
fn archive_name(package: &str, go: &str) -> String {
    let os = package.rsplit('-').next().unwrap_or("linux");
    let ext = if os == "windows" { "zip" } else { "tar.gz" };
    format!("go{go}.{os}-amd64.{ext}")
}

/// The same for every package (as upstream's differ only by platform): the package name is no
/// input of the fingerprint, so `golang-1-linux` and `golang-1.N-linux` can share one.
fn packaging() -> String {
    "set -e\ntar xzf go*.tar.gz -C ${BOSH_INSTALL_TARGET} || cp go* ${BOSH_INSTALL_TARGET}/\n".to_string()
}

/// `.final_builds/packages/<pkg>/index.yml` as bosh-cli writes it: keys in byte order.
fn final_builds_index(entries: &BTreeMap<String, FixturePackage>) -> String {
    let mut out = String::from("builds:\n");
    for (fp, p) in entries {
        out.push_str(&format!(
            "  {fp}:\n    version: {fp}\n    blobstore_id: {}\n    sha1: {}\n",
            p.blobstore_id, p.sha1
        ));
    }
    out.push_str("format-version: \"2\"\n");
    out
}

/// `releases/<name>/index.yml`: UUID keys in byte order.
fn release_index(entries: &BTreeMap<String, String>) -> String {
    let mut out = String::from("builds:\n");
    for (id, version) in entries {
        out.push_str(&format!("  {id}:\n    version: {version}\n"));
    }
    out.push_str("format-version: \"2\"\n");
    out
}

/// `releases/<name>/<name>-<version>.yml`.
fn manifest(spec: &ReleaseSpec, commit_hash: &str, packages: &[FixturePackage]) -> String {
    // yaml.v2 (bosh-cli's writer) quotes a string that would read back as a number.
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let number = digits(commit_hash) || commit_hash.split_once(['e', 'E']).is_some_and(|(a, b)| digits(a) && digits(b));
    let commit_hash = if number { format!("\"{commit_hash}\"") } else { commit_hash.to_string() };
    let mut out = format!(
        "name: {NAME}\nversion: {}\ncommit_hash: {commit_hash}\nuncommitted_changes: false\njobs: []\npackages:\n",
        spec.version
    );
    for p in packages {
        out.push_str(&format!(
            "- name: {}\n  version: {fp}\n  fingerprint: {fp}\n  sha1: {}\n  dependencies: []\n",
            p.name,
            p.sha1,
            fp = p.fingerprint
        ));
    }
    let license = sha256_hex(format!("license {}", spec.version).as_bytes());
    out.push_str(&format!("license:\n  version: {license}\n  fingerprint: {license}\n  sha1: sha256:{license}\n"));
    out
}

fn write(root: &Path, path: &str, text: &str) {
    let file = root.join(path);
    fs::create_dir_all(file.parent().expect("has a parent")).expect("create parents");
    fs::write(file, text).expect("write fixture file");
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Bare sha1 hex, from coreutils' `sha1sum` (the crate has no sha1 dependency).
pub fn sha1_hex(bytes: &[u8]) -> String {
    let mut child =
        Command::new("sha1sum").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("run sha1sum (coreutils)");
    child.stdin.take().expect("stdin").write_all(bytes).expect("feed sha1sum");
    let out = child.wait_with_output().expect("sha1sum output");
    assert!(out.status.success(), "sha1sum failed");
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().expect("sha1sum prints a digest").to_string()
}

/// A small real gzip-compressed tarball of `files`, byte-for-byte reproducible.
pub fn tgz(files: &[(&str, &[u8])]) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tarball dir");
    for (name, bytes) in files {
        fs::write(dir.path().join(name), bytes).expect("write tarball file");
    }
    let out = dir.path().join("package.tgz");
    let status = Command::new("tar")
        .args(["--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@1704067200"])
        .args(["--use-compress-program=gzip -n", "-cf"])
        .arg(&out)
        .arg("-C")
        .arg(dir.path())
        .args(files.iter().map(|(name, _)| *name))
        .status()
        .expect("run tar");
    assert!(status.success(), "tar failed");
    fs::read(out).expect("read tarball")
}
