//! Test support shared by the integration tests (`mod support;`).
//!
//! - `Upstream`: one local HTTP server playing GitHub's REST API (releases and assets), the Go
//!   downloads page (`/dl/`) and a Go module proxy (`/goproxy/`); stateful, with ETags, rate-limit
//!   headers, a request log and injectable failures; it also serves a Go vulnerability database
//!   (`/vulndb/`) written by `vulndb::VulnDbFixture`.
//! - `GitServer`: smart-HTTP git with basic auth, the real `git http-backend` behind it.
//! - `fixtures`: BOSH release repositories from `tests/fixtures/releases/<name>/` as bare repos.
//! - `source_release`: a source release of vendored packages shaped like golang-release (final
//!   releases over real commits, package tarballs in a local or S3 blobstore); `vendored`: the
//!   world of the vendored-package end-to-end tests.
//! - `run` / `Tmp`: spawn the crate's binaries with JSON on stdin, a clean environment and a
//!   time limit; `bin("check")` locates them (cargo's, or an assembled image layout named by
//!   `CURRENCY_RESOURCE_DIR`).
//!
//! Everything listens on 127.0.0.1 only, is started by the test itself and stops when dropped.
#![allow(dead_code, unused_imports)]

pub mod blob_servers;
pub mod faults;
pub mod fixtures;
pub mod git_server;
pub mod github;
pub mod go_downloads;
pub mod go_proxy;
pub mod http;
pub mod process;
pub mod pulls;
mod server;
pub mod source_release;
pub mod ssh_server;
pub mod upstream;
pub mod vendored;
pub mod vulndb;

pub use git_server::GitServer;
pub use github::{Asset, Release, sha256_hex, sha256sums};
pub use process::{Output, Tmp, bin, run};
pub use server::Logged;
pub use upstream::Upstream;

/// Every file below `dir` (none when it does not exist), sorted. Symbolic links are listed, never
/// followed: a hostile checkout may link to `/`.
/// Overwrites every object file of the git clones under `dir` with garbage, as a damaged cache
/// holds them; panics when there is none (the test would prove nothing).
pub fn damage_git_objects(dir: &std::path::Path) {
    let objects: Vec<std::path::PathBuf> =
        files_under(dir).into_iter().filter(|f| f.to_string_lossy().contains("/objects/")).collect();
    assert!(!objects.is_empty(), "the clone is in the cache");
    for file in &objects {
        std::fs::remove_file(file).unwrap();
        std::fs::write(file, b"garbage").unwrap();
    }
}

pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries {
            let e = e.expect("directory entry");
            if e.file_type().expect("file type").is_dir() {
                pending.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// The golang source release the release fixtures that vendor golang packages are read against,
/// built once per test process under cargo's test temp dir: `0.1.0` offers golang-1.22-linux and
/// golang-1.23-linux at 1.22.7 and 1.23.1, `0.2.0` (the newest) golang-1.23-linux at 1.23.2.
/// `nats-release` vendors golang-1.23-linux at 1.23.2 (up to date); `fleet-mixed-release`
/// golang-1.22-linux at 1.22.7 (behind: a line change to 1.23.2).
pub fn fixture_golang_release() -> serde_json::Value {
    use source_release::{ReleaseSpec, SourceReleaseFixture};
    static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let url = URL.get_or_init(|| {
        let dir = option_env!("CARGO_TARGET_TMPDIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(std::env::temp_dir)
            .join(format!("golang-source-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("fixture dir");
        let releases = [
            ReleaseSpec::new("0.1.0", &[("golang-1.22-linux", "1.22.7"), ("golang-1.23-linux", "1.23.1")]),
            ReleaseSpec::new("0.2.0", &[("golang-1.23-linux", "1.23.2")]),
        ];
        let fixture = SourceReleaseFixture::build(&dir, &releases);
        let url = fixture.git_url();
        // The bare repository and blobstore stay for the whole process; its work tree goes.
        drop(fixture);
        url
    });
    serde_json::json!({"repository": "cloudfoundry/bosh-package-golang-release", "git_url": url})
}
