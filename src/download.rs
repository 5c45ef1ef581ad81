//! Artifacts of blob dependencies: where each target version's file is, what its sha256 must
//! be, and a streaming download that hashes while it writes (constant memory, whatever the size).
//!
//! The expected sum comes from, in order: the dependency's `checksums` asset; a sums asset the
//! release carries (`SHA256SUMS`, `sha256sums.txt`, `<asset>.sha256`); the asset's `digest`; the
//! Go downloads index for golang. A file that fails verification never reaches its destination.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::http::{Auth, Http, Pause, Retry, Try};
use crate::secrets::Secret;
use crate::source::{Dependency, DependencyKind, Source};
use crate::upstream::{Offer, golang};

/// The artifact of one version of a blob dependency.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub dependency: String,
    pub url: Url,
    /// The public URL shown to people (browser download URL).
    pub display_url: String,
    pub filename: String,
    pub size: Option<u64>,
    pub expected: Option<Expected>,
    /// Whether the upstream token goes with the request (GitHub API asset URLs).
    pub authenticated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub sha256: String,
    /// Where the expected sum came from, for the PR body: `SHA256SUMS (url)`.
    pub from: String,
}

#[derive(Debug, Clone)]
pub struct Downloaded {
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
    pub verified: bool,
}

const SUMS_ASSETS: &[&str] = &["SHA256SUMS", "sha256sums.txt", "SHA256SUMS.txt", "checksums.txt"];

/// Finds the artifacts of `version` of `dep` in `offer`, one per blob template (a golang
/// dependency has one per platform), each with its expected sha256 (fetching a sums asset when
/// that is where the sum is).
pub async fn resolve(
    http: &Http,
    source: &Source,
    dep: &Dependency,
    offer: &Offer,
    version: &str,
) -> Result<Vec<Artifact>> {
    let token = source.upstream_token();
    match (&dep.kind, offer) {
        (DependencyKind::GithubRelease { tag, asset, checksums, upstream, .. }, Offer::Github(releases)) => {
            let tag_name = tag.render(version);
            let release = releases
                .iter()
                .find(|r| r.tag_name == tag_name)
                .ok_or_else(|| Error::dependency(&dep.name, format!("{upstream} has no release {tag_name}")))?;
            let name = asset.render(version);
            let a = release
                .asset(&name)
                .ok_or_else(|| Error::dependency(&dep.name, format!("release {tag_name} has no asset {name}")))?;
            let (url, authenticated) = asset_url(a, token);
            let sums_names: Vec<String> = match checksums {
                Some(t) => vec![t.render(version)],
                None => SUMS_ASSETS
                    .iter()
                    .map(|s| s.to_string())
                    .chain([format!("{name}.sha256"), format!("{name}.sha256sum")])
                    .collect(),
            };
            let mut expected = None;
            for sums_name in &sums_names {
                let Some(sums) = release.asset(sums_name) else { continue };
                let (sums_url, _) = asset_url(sums, token);
                let text = http.get_text(&sums_url, auth(token, &sums_url), "application/octet-stream").await?;
                let sha = find_sum(&text, &name).ok_or_else(|| {
                    Error::dependency(&dep.name, format!("{} does not list {name}", sums.browser_download_url))
                })?;
                expected = Some(Expected { sha256: sha, from: format!("{sums_name} ({})", sums.browser_download_url) });
                break;
            }
            if expected.is_none() && checksums.is_some() {
                return Err(Error::dependency(
                    &dep.name,
                    format!("release {tag_name} has no checksums asset {}", sums_names[0]),
                ));
            }
            if expected.is_none()
                && let Some(d) = a.digest.as_deref().and_then(|d| d.strip_prefix("sha256:"))
            {
                expected = Some(Expected { sha256: d.to_ascii_lowercase(), from: "the GitHub asset digest".into() });
            }
            Ok(vec![Artifact {
                dependency: dep.name.clone(),
                url,
                display_url: a.browser_download_url.clone(),
                filename: name,
                size: Some(a.size),
                expected,
                authenticated,
            }])
        }
        (DependencyKind::Golang { blobs }, Offer::Go(releases)) => {
            blobs.iter().map(|blob| go_artifact(source, dep, releases, &blob.file_name().render(version))).collect()
        }
        _ => Err(Error::dependency(&dep.name, "has no artifact to download (not a blob dependency)")),
    }
}

/// The Go download `filename`, with the sha256 the index gives it; missing from the index, an
/// error naming the dependency and the file.
fn go_artifact(source: &Source, dep: &Dependency, releases: &[golang::GoRelease], filename: &str) -> Result<Artifact> {
    let file = releases
        .iter()
        .find_map(|r| r.file(filename))
        .ok_or_else(|| Error::dependency(&dep.name, format!("the Go downloads index has no {filename}")))?;
    let url = golang::file_url(&source.go_downloads_url, filename);
    Ok(Artifact {
        dependency: dep.name.clone(),
        display_url: url.to_string(),
        url,
        filename: filename.to_string(),
        size: Some(file.size),
        expected: (!file.sha256.is_empty()).then(|| Expected {
            sha256: file.sha256.to_ascii_lowercase(),
            from: format!("the Go downloads index ({})", golang::index_url(&source.go_downloads_url)),
        }),
        authenticated: false,
    })
}

fn asset_url(a: &crate::upstream::github::Asset, token: Option<&Secret>) -> (Url, bool) {
    // With a token, the API URL works for private repositories too; without one, the browser
    // URL costs no API quota.
    if token.is_some()
        && let Ok(u) = Url::parse(&a.url)
    {
        return (u, true);
    }
    (Url::parse(&a.browser_download_url).unwrap_or_else(|_| Url::parse("http://invalid./").unwrap()), false)
}

fn auth<'a>(token: Option<&'a Secret>, url: &Url) -> Auth<'a> {
    match token {
        Some(t) if url.path().contains("/releases/assets/") => Auth::Bearer(t),
        _ => Auth::None,
    }
}

/// The sha256 of `name` in a sums file (`<hex>  <name>`, `<hex> *<name>`, or a lone `<hex>`).
pub fn find_sum(text: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    for line in &lines {
        let mut parts = line.split_whitespace();
        let (Some(hex), Some(file)) = (parts.next(), parts.next()) else { continue };
        let file = file.trim_start_matches('*').trim_start_matches("./");
        if (file == name || file.rsplit('/').next() == Some(name)) && is_sha256(hex) {
            return Some(hex.to_ascii_lowercase());
        }
    }
    match lines.as_slice() {
        [single] if is_sha256(single) => Some(single.to_ascii_lowercase()),
        _ => None,
    }
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Streams `artifact` into `dest_dir/<filename>`, hashing as it writes. On a checksum mismatch
/// or any failure nothing is left in `dest_dir`.
pub async fn fetch_verified(http: &Http, source: &Source, artifact: &Artifact, dest_dir: &Path) -> Result<Downloaded> {
    std::fs::create_dir_all(dest_dir).map_err(|e| Error::io(dest_dir, e))?;
    let token = source.upstream_token();
    let auth = if artifact.authenticated { token.map(Auth::Bearer).unwrap_or(Auth::None) } else { Auth::None };
    // A transfer cut off half-way starts again from scratch, at once; what was written is
    // discarded.
    let retry = Retry::new(DOWNLOAD_ATTEMPTS, Duration::ZERO);
    let (tmp, sha256, size) = retry
        .run(move |attempt| async move {
            match stream_once(http, artifact, auth, dest_dir).await {
                Ok(done) => Try::Done(Ok(done)),
                Err(Failed::Cut(e)) if !attempt.last => Try::Again(Pause::at_once(format!(
                    "{}: {e}; downloading again from the start",
                    artifact.dependency
                ))),
                Err(Failed::Cut(e)) => Try::Done(Err(Error::dependency_because(
                    &artifact.dependency,
                    format!("downloading {} failed {} times; the last: {e}", artifact.filename, attempt.number),
                    e,
                ))),
                Err(Failed::Final(e)) => Try::Done(Err(e)),
            }
        })
        .await?;
    if let Some(exp) = &artifact.expected
        && exp.sha256 != sha256
    {
        return Err(Error::dependency_as(
            ErrorKind::ChecksumMismatch,
            &artifact.dependency,
            format!(
                "checksum mismatch for {}: expected sha256 {} (from {}), got {}",
                artifact.display_url, exp.sha256, exp.from, sha256
            ),
        ));
    }
    let path = dest_dir.join(&artifact.filename);
    crate::files::persist(tmp, &path)?;
    Ok(Downloaded { path, sha256, size, verified: artifact.expected.is_some() })
}

const DOWNLOAD_ATTEMPTS: u32 = 3;

/// Why one transfer failed.
enum Failed {
    /// Cut off, or never answered: worth another attempt from scratch.
    Cut(Error),
    /// The answer itself is wrong (more bytes than the release declares, a disk error): final.
    Final(Error),
}

/// One download into a temporary file beside the destination, hashing as it writes. A file
/// larger than the size the upstream declares (GitHub's asset `size`, the Go index's `size`) is
/// refused as soon as the announced length or the bytes received pass it: nothing more is read.
async fn stream_once(
    http: &Http,
    artifact: &Artifact,
    auth: Auth<'_>,
    dest_dir: &Path,
) -> std::result::Result<(tempfile::NamedTempFile, String, u64), Failed> {
    // Errors before the body starts (status, connect) were already retried by `Http`: final.
    let resp = http.get(&artifact.url, auth, "application/octet-stream").await.map_err(Failed::Final)?;
    let declared = artifact.size.filter(|s| *s > 0);
    let too_large = |what: String, declared: u64| {
        Failed::Final(Error::dependency_as(
            ErrorKind::UpstreamBroken,
            &artifact.dependency,
            format!(
                "{} {what}, more than the {declared} bytes upstream declares for {}; refused, nothing kept",
                artifact.display_url, artifact.filename
            ),
        ))
    };
    let announced = resp.content_length();
    if let (Some(a), Some(d)) = (announced, declared)
        && a > d
    {
        return Err(too_large(format!("announces {a} bytes"), d));
    }
    let io = |e: std::io::Error, path: &Path| Failed::Final(Error::io(path, e));
    let mut tmp = crate::files::temp_in(dest_dir).map_err(Failed::Final)?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let total = announced.or(declared);
    let mut progress =
        crate::progress::Progress::new(format!("{}: downloading {}", artifact.dependency, artifact.filename), total);
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            let of = total.map(|t| format!(" of {t}")).unwrap_or_default();
            let message = format!("the transfer stopped after {size}{of} bytes ({})", crate::http::describe(&e));
            Failed::Cut(Error::http(artifact.url.as_str(), None, message).caused_by(e))
        })?;
        size += chunk.len() as u64;
        if let Some(d) = declared
            && size > d
        {
            // Stop reading: dropping the stream closes the connection.
            return Err(too_large(format!("sent {size} bytes and was stopped there"), d));
        }
        hasher.update(&chunk);
        tmp.write_all(&chunk).map_err(|e| io(e, tmp.path()))?;
        progress.advance(chunk.len() as u64);
    }
    if let Some(t) = total
        && size < t
    {
        return Err(Failed::Cut(Error::http(
            artifact.url.as_str(),
            None,
            format!("the transfer stopped after {size} of {t} bytes"),
        )));
    }
    progress.finish();
    tmp.flush().map_err(|e| io(e, tmp.path()))?;
    Ok((tmp, hex::encode(hasher.finalize()), size))
}

/// Checks the file at `path` against a BOSH digest string, as bosh-cli verifies a package
/// tarball: the strongest algorithm the string names (`sha512:`, `sha256:`, `sha1:`, or bare hex,
/// which is sha1; several may be `;`-separated). Streams the file: constant memory.
pub fn check_bosh_digest(path: &Path, digest: &str) -> Result<(), String> {
    let mut best: Option<(u8, &str, &str)> = None;
    for part in digest.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (rank, algo, hex) = match part.split_once(':') {
            Some(("sha512", h)) => (3, "sha512", h),
            Some(("sha256", h)) => (2, "sha256", h),
            Some(("sha1", h)) => (1, "sha1", h),
            Some((other, _)) => return Err(format!("digest algorithm {other:?} is not known")),
            None => (1, "sha1", part),
        };
        if best.is_none_or(|b| rank > b.0) {
            best = Some((rank, algo, hex));
        }
    }
    let (_, algo, expected) = best.ok_or_else(|| "the digest is empty".to_string())?;
    let got = match algo {
        "sha512" => hash_file::<sha2::Sha512>(path),
        "sha256" => hash_file::<Sha256>(path),
        _ => hash_file::<sha1::Sha1>(path),
    }
    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if got.eq_ignore_ascii_case(expected) { Ok(()) } else { Err(format!("{algo} is {got}, expected {expected}")) }
}

fn hash_file<D: Digest>(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = D::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_files_in_goreleaser_and_shasum_forms() {
        let a = "a".repeat(64);
        let b = "B".repeat(64);
        let text = format!("{a}  nats-server-v2.10.22-linux-amd64.zip\n{b} *nats-server-v2.10.22-linux-amd64.tar.gz\n");
        assert_eq!(find_sum(&text, "nats-server-v2.10.22-linux-amd64.tar.gz"), Some("b".repeat(64)));
        assert_eq!(find_sum(&text, "missing.tar.gz"), None);
        assert_eq!(find_sum(&format!("{a}\n"), "x.tar.gz"), Some(a));
    }

    /// A server on 127.0.0.1 whose first answer is cut off half-way and whose second is whole.
    fn flaky_server(body: Vec<u8>) -> (String, std::thread::JoinHandle<usize>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/artifact.tgz", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let mut served = 0;
            for (i, conn) in listener.incoming().take(2).enumerate() {
                let mut conn = conn.unwrap();
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf);
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                conn.write_all(head.as_bytes()).unwrap();
                let part = if i == 0 { &body[..body.len() / 2] } else { &body[..] };
                conn.write_all(part).unwrap();
                served += 1;
            }
            served
        });
        (url, handle)
    }

    #[test]
    fn a_download_cut_off_half_way_starts_again_and_keeps_only_the_whole_file() {
        let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let (url, server) = flaky_server(body.clone());
        let source = Source::from_value(serde_json::json!({"repository": "o/r"}), "source").unwrap();
        let artifact = Artifact {
            dependency: "etcd".into(),
            url: Url::parse(&url).unwrap(),
            display_url: url.clone(),
            filename: "artifact.tgz".into(),
            size: Some(body.len() as u64),
            expected: Some(Expected { sha256: hex::encode(Sha256::digest(&body)), from: "test".into() }),
            authenticated: false,
        };
        let dir = tempfile::tempdir().unwrap();
        let http = Http::new(false).unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let got = rt.block_on(fetch_verified(&http, &source, &artifact, dir.path())).unwrap();
        assert_eq!(server.join().unwrap(), 2, "the first transfer was cut and retried");
        assert_eq!(std::fs::read(&got.path).unwrap(), body);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["artifact.tgz"], "no partial file is left");
    }

    #[test]
    fn bosh_digests_are_checked_with_their_strongest_algorithm() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pkg.tgz");
        std::fs::write(&path, b"package").unwrap();
        let sha1 = "a1a8d8e1a6f4e5c3d0a3a0f9b94f8b1e7d16f0de";
        let sha256 = hex::encode(Sha256::digest(b"package"));
        let real_sha1 = hex::encode(<sha1::Sha1 as Digest>::digest(b"package"));
        assert_eq!(check_bosh_digest(&path, &real_sha1), Ok(()), "bare hex is sha1");
        assert_eq!(check_bosh_digest(&path, &format!("sha256:{sha256}")), Ok(()));
        assert_eq!(check_bosh_digest(&path, &format!("sha1:{sha1};sha256:{sha256}")), Ok(()), "sha256 wins");
        let e = check_bosh_digest(&path, &format!("sha256:{}", "0".repeat(64))).unwrap_err();
        assert!(e.starts_with(&format!("sha256 is {sha256}, expected 000")), "{e}");
        assert!(check_bosh_digest(&path, sha1).is_err());
        assert!(check_bosh_digest(&path, "md5:abc").unwrap_err().contains("md5"));
    }
}
