//! The `gcs` provider, with bosh-gcscli's option keys, over the GCS **JSON API**: resumable
//! uploads in chunks of [`PART_SIZE`] (`POST /upload/storage/v1/b/{bucket}/o?uploadType=resumable`,
//! then `PUT` chunks with `Content-Range`), `GET …/o/{name}?alt=media` streamed to a file, and
//! `GET …/o/{name}` (metadata) for existence.
//!
//! Why not `object_store`'s GCS client (used for s3): it speaks the XML API (`PUT /{bucket}/{name}`,
//! XML multipart uploads, `HEAD`). The JSON API is what bosh-gcscli (Go client library) uses and
//! what emulators implement: the `gcp-storage-emulator` the tests run answers neither `HEAD` nor
//! XML multipart uploads. So the transfer is written here on the crate's reqwest (native-tls), and
//! only authentication is borrowed from `object_store::gcp`, which turns the service-account
//! `json_key` into self-signed RS256 JWT bearer tokens (signed with `ring`) and handles application
//! default credentials — no extra dependency, no hand-written crypto.
//!
//! Options:
//! - `bucket_name` (required); the object name is the object id (bosh-gcscli has no folder).
//! - `credentials_source`: `static` needs `json_key` (the service-account JSON *contents*);
//!   `none` means read-only (unauthenticated requests: public buckets only); empty means `static`
//!   when `json_key` is set, else application default credentials when
//!   `GOOGLE_APPLICATION_CREDENTIALS` names a file, else read-only.
//! - `storage_class`: sent as the new object's `storageClass`.
//! - `encryption_key` (customer-supplied keys): refused with a "not supported yet" error.
//! - `STORAGE_EMULATOR_HOST` (the Google client libraries' convention; `host:port` or a URL)
//!   replaces `https://storage.googleapis.com`. As in the Go library, requests to an emulator
//!   are unauthenticated unless a `json_key` is given.

use std::path::Path;

use futures_util::StreamExt as _;
use object_store::gcp::{GcpCredentialProvider, GoogleCloudStorageBuilder};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};
use url::Url;

use super::s3::error_chain;
use super::{Options, PART_SIZE, temp_beside, truncate};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Attempt, Pause, Retry, Try};
use crate::secrets::Redactor;

const DEFAULT_BASE: &str = "https://storage.googleapis.com";
const USER_AGENT: &str = concat!("currency/", env!("CARGO_PKG_VERSION"));
/// Tries per request on connection errors, 429 and 5xx (and stalled uploads): as many as
/// [`Http`](crate::http::Http) makes.
const ATTEMPTS: u32 = crate::http::ATTEMPTS;

pub struct Gcs {
    client: reqwest::Client,
    base: Url,
    bucket: String,
    storage_class: Option<String>,
    /// `None`: unauthenticated (read-only unless talking to an emulator).
    credentials: Option<GcpCredentialProvider>,
    emulator: bool,
    redactor: Redactor,
    retry: Retry,
}

impl std::fmt::Debug for Gcs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gcs")
            .field("base", &self.base.as_str())
            .field("bucket", &self.bucket)
            .field("storage_class", &self.storage_class)
            .field("authenticated", &self.credentials.is_some())
            .field("emulator", &self.emulator)
            .finish()
    }
}

impl Gcs {
    pub(crate) fn configure(options: &Options<'_>, env: &dyn Fn(&str) -> Option<String>) -> Result<Gcs> {
        let bucket = options.required_string("bucket_name")?;
        options
            .unsupported("encryption_key", "(customer-supplied encryption keys) is not supported yet by currency")?;
        let storage_class = options.string("storage_class")?;
        let json_key = options.string("json_key")?;
        let mut redactor = Redactor::for_credentials();
        if let Some(k) = &json_key {
            redactor.add_credential(k);
        }
        let source = options.string("credentials_source")?;
        let emulator_host = env("STORAGE_EMULATOR_HOST").filter(|h| !h.trim().is_empty());
        let base = base_url(emulator_host.as_deref())?;
        let credentials =
            credentials(&bucket, source.as_deref(), json_key.as_deref(), emulator_host.is_some(), env, &redactor)?;
        Ok(Gcs {
            client: http_client(&base)?,
            base,
            bucket,
            storage_class,
            credentials,
            emulator: emulator_host.is_some(),
            redactor,
            retry: Retry::from_env(ATTEMPTS, env),
        })
    }

    pub(crate) fn writable(&self) -> bool {
        self.credentials.is_some() || self.emulator
    }

    pub(crate) fn describe(&self) -> String {
        if self.emulator {
            format!("gcs bucket {} (emulator {})", self.bucket, self.base.as_str().trim_end_matches('/'))
        } else {
            format!("gcs bucket {}", self.bucket)
        }
    }

    /// `{base}/{prefix}/b/{bucket}/o[/{name}]`, each segment percent-encoded.
    fn url(&self, prefix: &[&str], name: Option<&str>) -> Url {
        let mut u = self.base.clone();
        {
            let mut segs = u.path_segments_mut().expect("http URL");
            segs.pop_if_empty();
            segs.extend(prefix);
            segs.extend(["b", self.bucket.as_str(), "o"]);
            if let Some(n) = name {
                segs.push(n);
            }
        }
        u
    }

    /// The object's JSON-API URL, for error messages.
    fn object_url(&self, name: &str) -> Url {
        self.url(&["storage", "v1"], Some(name))
    }

    async fn bearer(&self, name: &str) -> Result<Option<String>> {
        let Some(c) = &self.credentials else { return Ok(None) };
        // The credential library's error is not kept: its text is told here redacted.
        let token = c.get_credential().await.map_err(|e| Error::Http {
            url: self.object_url(name).to_string(),
            status: None,
            message: format!(
                "cannot get a token for {}: {}",
                self.describe(),
                truncate(&self.redactor.redact(&error_chain(&e)), 300)
            ),
            kind: ErrorKind::Unauthorized,
            source: None,
        })?;
        Ok(Some(token.bearer.clone()).filter(|b| !b.is_empty()))
    }

    /// Sends the request `make` builds, again on connection errors, 429 and 5xx (with the
    /// backoff of [`Retry`]). Any other answer is returned as it is, and so is the last try's.
    async fn send(
        &self,
        what: &str,
        name: &str,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response> {
        let bearer = self.bearer(name).await?;
        let (bearer, make) = (bearer.as_deref(), &make);
        self.retry
            .run(move |attempt| async move {
                let mut req = make();
                if let Some(b) = bearer {
                    req = req.bearer_auth(b);
                }
                match req.send().await {
                    Ok(r)
                        if (r.status() == StatusCode::TOO_MANY_REQUESTS || r.status().is_server_error())
                            && !attempt.last =>
                    {
                        Try::Again(self.pause(what, &format!("HTTP {}", r.status().as_u16()), attempt))
                    }
                    Ok(r) => Try::Done(Ok(r)),
                    Err(e) if !attempt.last => Try::Again(self.pause(what, &e.to_string(), attempt)),
                    Err(e) => Try::Done(Err(self.transport_error(what, name, &e))),
                }
            })
            .await
    }

    /// The pause after a transient failure of `what`; `transient` is redacted.
    fn pause(&self, what: &str, transient: &str, attempt: Attempt) -> Pause {
        let why = format!("{what} to {} failed ({})", self.describe(), self.redactor.redact(transient));
        Pause::after(why, self.retry.backoff(attempt))
    }

    fn transport_error(&self, what: &str, name: &str, e: &reqwest::Error) -> Error {
        let detail = if e.is_timeout() { "timed out".to_string() } else { error_chain(e) };
        Error::http(
            self.object_url(name),
            None,
            format!("{what} to {} failed: {}", self.describe(), truncate(&self.redactor.redact(&detail), 300)),
        )
    }

    async fn status_error(&self, what: &str, name: &str, resp: reqwest::Response) -> Error {
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.pointer("/error/message").and_then(|m| m.as_str()).map(String::from))
            .unwrap_or(body);
        let hint = match status.as_u16() {
            401 | 403 if self.credentials.is_none() => {
                "; no credentials are configured (set credentials_source static and json_key)"
            }
            401 | 403 => "; check json_key and the service account's access to the bucket",
            404 => "; no such object (or no such bucket: check bucket_name)",
            _ => "",
        };
        let detail = truncate(&self.redactor.redact(&message), 300);
        let detail = if detail.is_empty() { String::new() } else { format!(" ({detail})") };
        Error::http(
            self.object_url(name),
            Some(status.as_u16()),
            format!("{what} to {} failed: HTTP {}{detail}{hint}", self.describe(), status.as_u16()),
        )
    }

    pub(crate) async fn exists(&self, name: &str) -> Result<bool> {
        let mut url = self.object_url(name);
        url.query_pairs_mut().append_pair("fields", "name");
        let resp = self.send("GET (metadata)", name, || self.client.get(url.clone())).await?;
        match resp.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(self.status_error("GET (metadata)", name, resp).await),
        }
    }

    pub(crate) async fn get_to_file(&self, name: &str, dest: &Path) -> Result<()> {
        let mut url = self.object_url(name);
        url.query_pairs_mut().append_pair("alt", "media");
        let resp = self.send("GET", name, || self.client.get(url.clone())).await?;
        if !resp.status().is_success() {
            return Err(self.status_error("GET", name, resp).await);
        }
        let tmp = temp_beside(dest)?;
        let mut out = tokio::fs::File::from_std(tmp.reopen().map_err(|e| Error::io(dest, e))?);
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.transport_error("GET", name, &e))?;
            out.write_all(&chunk).await.map_err(|e| Error::io(dest, e))?;
        }
        out.flush().await.map_err(|e| Error::io(dest, e))?;
        out.sync_all().await.map_err(|e| Error::io(dest, e))?;
        drop(out);
        crate::files::persist(tmp, dest)
    }

    pub(crate) async fn put_file(&self, name: &str, file: &Path, size: u64) -> Result<()> {
        if !self.writable() {
            return Err(Error::config(
                Options::key("credentials_source"),
                format!(
                    "{} is read-only without credentials (credentials_source none or empty, no json_key): set \
                     credentials_source static and json_key in config/private.yml or source.blobstore to upload",
                    self.describe()
                ),
            ));
        }
        let session = self.start_upload(name, size).await?;
        self.upload_chunks(name, file, size, &session).await
    }

    /// Starts a resumable upload session for `size` bytes as object `name`: its URL.
    async fn start_upload(&self, name: &str, size: u64) -> Result<Url> {
        let mut start_url = self.url(&["upload", "storage", "v1"], None);
        start_url.query_pairs_mut().append_pair("uploadType", "resumable").append_pair("name", name);
        let mut metadata = serde_json::json!({ "name": name });
        if let Some(c) = &self.storage_class {
            metadata["storageClass"] = serde_json::Value::String(c.clone());
        }
        let resp = self
            .send("POST (resumable upload)", name, || {
                self.client
                    .post(start_url.clone())
                    .header("X-Upload-Content-Type", "application/octet-stream")
                    .header("X-Upload-Content-Length", size.to_string())
                    .json(&metadata)
            })
            .await?;
        if !resp.status().is_success() {
            return Err(self.status_error("POST (resumable upload)", name, resp).await);
        }
        resp.headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| Url::parse(l).ok())
            .ok_or_else(|| Error::Http {
                url: start_url.to_string(),
                status: Some(resp.status().as_u16()),
                message: format!("{} started a resumable upload without a session URL", self.describe()),
                kind: ErrorKind::UpstreamBroken,
                source: None,
            })
    }

    /// Sends `file` to the upload `session` in chunks of [`PART_SIZE`] (a multiple of 256 KiB, as
    /// GCS requires), resuming from what the server says it holds after each chunk.
    async fn upload_chunks(&self, name: &str, file: &Path, size: u64, session: &Url) -> Result<()> {
        let mut input = tokio::fs::File::open(file).await.map_err(|e| Error::io(file, e))?;
        let mut offset: u64 = 0;
        let mut buf = vec![0u8; PART_SIZE];
        let mut stalls = 0;
        loop {
            let filled = read_chunk(&mut input, file, offset, size, &mut buf).await?;
            let chunk = bytes::Bytes::copy_from_slice(&buf[..filled]);
            let range = if size == 0 {
                "bytes */0".to_string()
            } else {
                format!("bytes {}-{}/{size}", offset, offset + filled as u64 - 1)
            };
            let resp = self
                .send("PUT (upload chunk)", name, || {
                    self.client
                        .put(session.clone())
                        .header(reqwest::header::CONTENT_RANGE, range.as_str())
                        .body(chunk.clone())
                })
                .await?;
            let status = resp.status().as_u16();
            if resp.status().is_success() {
                if offset + filled as u64 != size {
                    return Err(Error::Http {
                        url: self.object_url(name).to_string(),
                        status: Some(status),
                        message: format!("{} completed the upload before all bytes were sent", self.describe()),
                        kind: ErrorKind::UpstreamBroken,
                        source: None,
                    });
                }
                return Ok(());
            }
            if status != 308 {
                return Err(self.status_error("PUT (upload chunk)", name, resp).await);
            }
            let held = held_bytes(&resp);
            if held <= offset {
                stalls += 1;
                if stalls >= ATTEMPTS {
                    return Err(Error::Http {
                        url: self.object_url(name).to_string(),
                        status: Some(status),
                        message: format!("{} accepts no more bytes of the upload (held {held})", self.describe()),
                        kind: ErrorKind::UpstreamBroken,
                        source: None,
                    });
                }
            } else {
                stalls = 0;
            }
            if held >= size && size > 0 {
                return self.finish_upload(name, size, session).await;
            }
            offset = held;
        }
    }

    /// Everything is there but the server wants the closing request: the status query
    /// (`Content-Range: bytes */size`).
    async fn finish_upload(&self, name: &str, size: u64, session: &Url) -> Result<()> {
        let resp = self
            .send("PUT (finish upload)", name, || {
                self.client.put(session.clone()).header(reqwest::header::CONTENT_RANGE, format!("bytes */{size}"))
            })
            .await?;
        if resp.status().is_success() {
            return Ok(());
        }
        Err(self.status_error("PUT (finish upload)", name, resp).await)
    }
}

/// Reads the chunk of `file` that starts at `offset` into `buf`: up to [`PART_SIZE`] bytes, fewer
/// at the end of its `size`. A file shorter than `size` is an error.
async fn read_chunk(input: &mut tokio::fs::File, file: &Path, offset: u64, size: u64, buf: &mut [u8]) -> Result<usize> {
    input.seek(std::io::SeekFrom::Start(offset)).await.map_err(|e| Error::io(file, e))?;
    let want = (size - offset).min(PART_SIZE as u64) as usize;
    let mut filled = 0;
    while filled < want {
        let n = input.read(&mut buf[filled..want]).await.map_err(|e| Error::io(file, e))?;
        if n == 0 {
            return Err(Error::io(file, std::io::Error::other("the file shrank during the upload")));
        }
        filled += n;
    }
    Ok(filled)
}

/// How many bytes the server holds after a 308 "Resume Incomplete": `Range: bytes=0-N` says
/// N + 1; no `Range`, none.
fn held_bytes(resp: &reqwest::Response) -> u64 {
    resp.headers()
        .get(reqwest::header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.strip_prefix("bytes=0-"))
        .and_then(|n| n.parse::<u64>().ok())
        .map(|n| n + 1)
        .unwrap_or(0)
}

/// `https://storage.googleapis.com`, or the emulator `STORAGE_EMULATOR_HOST` names (`host:port`
/// or a URL).
fn base_url(emulator_host: Option<&str>) -> Result<Url> {
    match emulator_host {
        Some(h) => {
            let h = h.trim().trim_end_matches('/');
            let u = if h.contains("://") { h.to_string() } else { format!("http://{h}") };
            Url::parse(&u).map_err(|_| Error::config("STORAGE_EMULATOR_HOST", "must be host:port or an http(s) URL"))
        }
        None => Ok(Url::parse(DEFAULT_BASE).expect("valid URL")),
    }
}

/// The token source `credentials_source` and `json_key` ask for (`None`: unauthenticated):
/// the service-account key; nothing for `none`; when both are empty, application default
/// credentials if `GOOGLE_APPLICATION_CREDENTIALS` names a file and no emulator is used.
fn credentials(
    bucket: &str,
    source: Option<&str>,
    json_key: Option<&str>,
    emulator: bool,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &Redactor,
) -> Result<Option<GcpCredentialProvider>> {
    let builder = || GoogleCloudStorageBuilder::new().with_bucket_name(bucket);
    let key_error = |m: &str| Error::config(Options::key("json_key"), m.to_string());
    match (source, json_key) {
        (Some("static") | None, Some(key)) => {
            check_json_key(key).map_err(key_error)?;
            let store = builder().with_service_account_key(key).build().map_err(|e| {
                key_error(&format!("cannot be used: {}", truncate(&redactor.redact(&error_chain(&e)), 200)))
            })?;
            Ok(Some(store.credentials().clone()))
        }
        (Some("static"), None) => Err(Error::config(
            Options::key("json_key"),
            "is required with credentials_source static (the service-account JSON key's contents)",
        )),
        (Some("none"), Some(_)) => {
            Err(Error::config(Options::key("credentials_source"), "is none: json_key must not be set (use static)"))
        }
        (Some("none"), None) => Ok(None),
        (None, None) => match env("GOOGLE_APPLICATION_CREDENTIALS").filter(|p| !p.is_empty()) {
            Some(path) if !emulator => {
                let store = builder().with_application_credentials(path).build().map_err(|e| {
                    Error::config(
                        "GOOGLE_APPLICATION_CREDENTIALS",
                        format!(
                            "application default credentials cannot be used: {}",
                            truncate(&redactor.redact(&error_chain(&e)), 200)
                        ),
                    )
                })?;
                Ok(Some(store.credentials().clone()))
            }
            _ => Ok(None),
        },
        (Some(_), _) => Err(Error::config(Options::key("credentials_source"), "must be static, none or empty")),
    }
}

/// The HTTP client of the JSON API: the timeouts of every client (15 s and 60 s, or
/// `CURRENCY_HTTP_TIMEOUT_SECS`), and no redirects: a resumable upload answers 308 "Resume
/// Incomplete", never a redirect to follow.
fn http_client(base: &Url) -> Result<reqwest::Client> {
    let (connect_timeout, read_timeout) = crate::http::timeouts();
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(connect_timeout)
        .read_timeout(read_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Error::Http {
            url: base.to_string(),
            status: None,
            message: format!("HTTP client: {e}"),
            kind: ErrorKind::Local,
            source: Some(Box::new(e)),
        })
}

/// A service-account key must be a JSON object with `client_email` and `private_key` strings.
/// The message names the missing fields only, never a value.
fn check_json_key(key: &str) -> std::result::Result<(), &'static str> {
    let v: serde_json::Value = serde_json::from_str(key)
        .map_err(|_| "is not JSON (it must hold the contents of the service-account key file)")?;
    let has = |f: &str| v.get(f).and_then(|x| x.as_str()).is_some_and(|s| !s.is_empty());
    if !v.is_object() || !has("client_email") || !has("private_key") {
        return Err("is not a service-account key (expected the fields client_email and private_key)");
    }
    Ok(())
}
