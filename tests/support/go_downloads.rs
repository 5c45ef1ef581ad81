//! The Go downloads page part of `Upstream`, under `/dl/`: the JSON index of golang/website
//! (`?mode=json` — the newest patch of the two newest stable minor lines — and
//! `?mode=json&include=all` — every release), newest Go version first, and the files themselves
//! at `/dl/<filename>`.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::github::sha256_hex;
use super::server::lock;
use super::upstream::Shared;

#[derive(Default)]
pub(crate) struct GoDownloads {
    /// Newest Go version first.
    releases: Vec<GoRelease>,
    /// What `/dl/<filename>` serves; normally the bytes the index describes.
    served: BTreeMap<String, Vec<u8>>,
}

struct GoRelease {
    /// Without the `go` prefix: `1.23.2`, `1.24rc1`.
    version: String,
    stable: bool,
    files: Vec<GoFile>,
}

struct GoFile {
    filename: String,
    os: &'static str,
    arch: &'static str,
    kind: &'static str,
    sha256: String,
    size: usize,
}

impl GoDownloads {
    pub(crate) fn add(&mut self, version: &str, stable: bool) {
        let version = version.strip_prefix("go").unwrap_or(version).to_owned();
        assert!(version.starts_with(|c: char| c.is_ascii_digit()), "Go version must look like 1.23.2, got {version:?}");
        self.releases.retain(|r| r.version != version);
        let mut files = Vec::new();
        for (suffix, os, arch, kind) in [
            ("src.tar.gz", "", "", "source"),
            ("darwin-amd64.tar.gz", "darwin", "amd64", "archive"),
            ("linux-amd64.tar.gz", "linux", "amd64", "archive"),
            ("windows-amd64.zip", "windows", "amd64", "archive"),
        ] {
            let filename = format!("go{version}.{suffix}");
            let bytes = format!("go{version} {kind} for {os}/{arch}: currency test download\n").repeat(8).into_bytes();
            files.push(GoFile {
                filename: filename.clone(),
                os,
                arch,
                kind,
                sha256: sha256_hex(&bytes),
                size: bytes.len(),
            });
            self.served.insert(filename, bytes);
        }
        self.releases.push(GoRelease { version, stable, files });
        self.releases.sort_by(|a, b| compare_go_versions(&b.version, &a.version));
    }

    /// Takes `filename` out of the index and off the server, as if Go had not published it.
    pub(crate) fn withdraw(&mut self, filename: &str) {
        assert!(self.served.remove(filename).is_some(), "no Go download named {filename}");
        for r in &mut self.releases {
            r.files.retain(|f| f.filename != filename);
        }
    }

    pub(crate) fn served(&self, filename: &str) -> Option<Vec<u8>> {
        self.served.get(filename).cloned()
    }

    pub(crate) fn replace_served(&mut self, filename: &str, bytes: Vec<u8>) {
        let slot = self.served.get_mut(filename).unwrap_or_else(|| panic!("no Go download named {filename}"));
        *slot = bytes;
    }

    fn index(&self, include_all: bool) -> Vec<Value> {
        let mut lines_seen: Vec<(u64, u64)> = Vec::new();
        self.releases
            .iter()
            .filter(|r| {
                if include_all {
                    return true;
                }
                let key = go_version_key(&r.version);
                let line = (key.0, key.1);
                if !r.stable || lines_seen.contains(&line) || lines_seen.len() == 2 {
                    return false;
                }
                lines_seen.push(line);
                true
            })
            .map(|r| {
                let files: Vec<Value> = r
                    .files
                    .iter()
                    .map(|f| {
                        json!({
                            "filename": f.filename,
                            "os": f.os,
                            "arch": f.arch,
                            "version": format!("go{}", r.version),
                            "sha256": f.sha256,
                            "size": f.size,
                            "kind": f.kind,
                        })
                    })
                    .collect();
                json!({ "version": format!("go{}", r.version), "stable": r.stable, "files": files })
            })
            .collect()
    }
}

/// Orders Go versions as the toolchain does: `1.20rc1 < 1.20 < 1.20.1`, `1.21rc1 < 1.21.0`,
/// betas before release candidates.
pub fn compare_go_versions(a: &str, b: &str) -> Ordering {
    go_version_key(a).cmp(&go_version_key(b))
}

/// (major, minor, stage, patch, pre-release number); stage: beta 0, rc 1, release 2.
fn go_version_key(version: &str) -> (u64, u64, u8, u64, u64) {
    let version = version.strip_prefix("go").unwrap_or(version);
    let number = |s: &str| s.parse::<u64>().unwrap_or(0);
    let mut parts = version.splitn(3, '.');
    let major = number(parts.next().unwrap_or("0"));
    let second = parts.next().unwrap_or("0");
    let patch = parts.next();
    for (marker, stage) in [("beta", 0u8), ("rc", 1u8)] {
        if let Some((minor, n)) = second.split_once(marker) {
            return (major, number(minor), stage, 0, number(n));
        }
    }
    (major, number(second), 2, patch.map(number).unwrap_or(0), 0)
}

pub(crate) fn routes() -> Router<Shared> {
    Router::new().route("/dl/", get(index)).route("/dl/{filename}", get(file))
}

async fn index(State(shared): State<Shared>, Query(query): Query<BTreeMap<String, String>>) -> Response {
    if query.get("mode").map(String::as_str) != Some("json") {
        return ([(CONTENT_TYPE, "text/html; charset=utf-8")], "<html><body>Go downloads</body></html>")
            .into_response();
    }
    let include_all = query.get("include").map(String::as_str) == Some("all");
    Json(lock(&shared).go_downloads.index(include_all)).into_response()
}

async fn file(State(shared): State<Shared>, Path(filename): Path<String>) -> Response {
    match lock(&shared).go_downloads.served(&filename) {
        Some(bytes) => ([(CONTENT_TYPE, "application/octet-stream")], bytes).into_response(),
        None => (StatusCode::NOT_FOUND, "Not Found\n").into_response(),
    }
}
