//! `Upstream`: one HTTP server on 127.0.0.1 that plays every upstream the crate talks to — the
//! GitHub REST API (at the root, so `url()` is the API base), the Go downloads page under `/dl/`,
//! a Go module proxy under `/goproxy/` and the Go vulnerability database under `/vulndb/`. Its state sits behind a mutex and can be changed while
//! the server runs.
//!
//! Cross-cutting behaviour lives in one middleware, in this order: injected failures
//! (`fail_next`), GitHub authentication, the GitHub rate limit, the handler, `ETag` / `304 Not
//! Modified` for every `GET` answered 200, the `x-ratelimit-*` headers on GitHub API answers,
//! and the request log.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::github::{self, GitHub, Release};
use super::go_downloads::{self, GoDownloads};
use super::go_proxy::{self, GoProxy};
use super::pulls;
use super::server::{Logged, Server, credential, lock};
use super::vulndb;

pub(crate) type Shared = Arc<Mutex<Inner>>;

/// Everything the fake upstreams know; one lock for all of it.
pub(crate) struct Inner {
    /// `http://127.0.0.1:PORT`, for absolute URLs in answers.
    pub(crate) base: String,
    pub(crate) github: GitHub,
    pub(crate) go_downloads: GoDownloads,
    pub(crate) go_proxy: GoProxy,
    /// The directory `/vulndb/` serves (`set_vulndb`); none: an empty database.
    pub(crate) vulndb: Option<std::path::PathBuf>,
    /// Set by `require_token`: GitHub requests without it are rejected.
    pub(crate) required_token: Option<String>,
    rate: RateLimit,
    failures: Vec<Failure>,
    log: Vec<Logged>,
}

impl Inner {
    /// Whether `token` may see `repo`'s drafts: the required token and the repository's push
    /// tokens have push access.
    pub(crate) fn can_push(&self, repo_key: &str, token: Option<&str>) -> bool {
        let Some(token) = token else { return false };
        self.required_token.as_deref() == Some(token) || self.github.has_push_token(repo_key, token)
    }

    /// GitHub's answer to a request's credentials, or `None` to go on. With no token registered at
    /// all (neither `require_token` nor `grant_push` / `grant_read`) any token passes; otherwise an
    /// unknown token is "Bad credentials", as GitHub answers every invalid token. A missing token
    /// is refused after `require_token`, except where `anonymous_ok` (browser downloads).
    fn reject_credentials(&self, token: Option<&str>, anonymous_ok: bool) -> Option<Response> {
        let known = |t: &str| self.required_token.as_deref() == Some(t) || self.github.knows_token(t);
        let registered = self.required_token.is_some() || self.github.has_any_token();
        let ok = match (token, &self.required_token) {
            (None, Some(_)) => anonymous_ok,
            (None, None) => true,
            (Some(t), _) => !registered || known(t),
        };
        (!ok).then(|| github::error(StatusCode::UNAUTHORIZED, "Bad credentials"))
    }

    fn take_failure(&mut self, path: &str) -> Option<Failure> {
        let index = self.failures.iter().position(|f| path.starts_with(&f.prefix))?;
        let failure = self.failures[index].clone();
        self.failures[index].times -= 1;
        if self.failures[index].times == 0 {
            self.failures.remove(index);
        }
        Some(failure)
    }
}

/// A stand-in for GitHub, the Go downloads page and the Go module proxy; see the module docs.
pub struct Upstream {
    server: Server,
    state: Shared,
}

impl Upstream {
    /// Starts the server on 127.0.0.1:<random port>. Empty: every repository and module is unknown
    /// (404) until added.
    pub fn start() -> Upstream {
        let mut shared = None;
        let server = Server::start("upstream", |base| {
            let state: Shared = Arc::new(Mutex::new(Inner {
                base,
                github: GitHub::default(),
                go_downloads: GoDownloads::default(),
                go_proxy: GoProxy::default(),
                vulndb: None,
                required_token: None,
                rate: RateLimit::new(),
                failures: Vec::new(),
                log: Vec::new(),
            }));
            shared = Some(state.clone());
            Router::new()
                .merge(github::routes())
                .merge(go_downloads::routes())
                .merge(go_proxy::routes())
                .merge(vulndb::routes())
                .fallback(|| async { github::error(StatusCode::NOT_FOUND, "Not Found") })
                .layer(middleware::from_fn_with_state(state.clone(), front))
                .with_state(state)
        });
        Upstream { server, state: shared.expect("router built") }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash): the GitHub API base, for `github_api_url` and
    /// `upstream_api_url`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The same as `url()`, named for readability at call sites.
    pub fn github_api_url(&self) -> String {
        self.url()
    }

    /// `http://127.0.0.1:PORT/dl/`, for `go_downloads_url`: the index is at
    /// `<this>?mode=json&include=all`, files at `<this><filename>`.
    pub fn go_downloads_url(&self) -> String {
        format!("{}/dl/", self.url())
    }

    /// `http://127.0.0.1:PORT/goproxy`, for `go_proxy` / `GOPROXY`.
    pub fn goproxy_url(&self) -> String {
        format!("{}/goproxy", self.url())
    }

    pub fn port(&self) -> u16 {
        self.server.addr().port()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Inner> {
        lock(&self.state)
    }

    // --- GitHub ---------------------------------------------------------------------------

    /// From now on every GitHub API request must carry `Authorization: Bearer <token>` (or
    /// `token <token>`); others get 401 "Bad credentials". This token also has push access to
    /// every repository (it sees drafts). Browser downloads (`/download/…`, public on GitHub)
    /// still work without a token, and the Go hosts never look at tokens.
    pub fn require_token(&self, token: &str) {
        self.state().required_token = Some(token.to_owned());
    }

    /// Gives `token` push access to `repo` (`owner/name`): requests carrying it see drafts.
    /// Does not make authentication mandatory, but once any token is registered an unknown token
    /// is answered 401, as GitHub answers every invalid token.
    pub fn grant_push(&self, repo: &str, token: &str) {
        self.state().github.grant_push(repo, token);
    }

    /// Makes `repo` (`owner/name`) known with no releases (its list is `[]`, not 404).
    pub fn add_repo(&self, repo: &str) {
        self.state().github.repo_mut(repo);
    }

    /// Adds a release to `repo` (created on first use) and returns its id. A release without
    /// `created_at` is dated 2024-01-01T00:00:00Z plus one day per release already in the repo.
    pub fn add_release(&self, repo: &str, release: Release) -> u64 {
        self.state().github.add_release(repo, release)
    }

    /// Deletes the release tagged `tag` from `repo`; returns whether there was one.
    pub fn remove_release(&self, repo: &str, tag: &str) -> bool {
        self.state().github.remove_release(repo, tag)
    }

    /// The bytes served for an asset, e.g. to compare a downloaded artifact.
    pub fn asset_bytes(&self, repo: &str, tag: &str, name: &str) -> Option<Vec<u8>> {
        self.state().github.asset_bytes(repo, tag, name)
    }

    /// Sets the primary rate limit: `remaining` requests until `reset_in` from now. At 0 every
    /// GitHub request is answered 403 "API rate limit exceeded" until the reset passes.
    pub fn set_rate_limit(&self, remaining: u64, reset_in: Duration) {
        let mut state = self.state();
        state.rate.remaining = remaining;
        state.rate.reset = now_epoch() + reset_in.as_secs();
    }

    // --- GitHub pull requests (see `pulls.rs`) ---------------------------------------------

    /// Links `repo` (`owner/name`, created on first use) to the bare git repository `bare`: pull
    /// request branches are resolved there with the git CLI (the head must exist to open one;
    /// `sha`s, `commits`, `additions`, … are read there), and `default_branch` is its HEAD.
    pub fn link_git(&self, repo: &str, bare: &std::path::Path) {
        pulls::link_git(&mut self.state(), repo, bare);
    }

    /// Makes `token` known with read but no push access to `repo`: it authenticates (no 401), sees
    /// `permissions.push == false`, and its writes are answered 403 "Resource not accessible by
    /// personal access token".
    pub fn grant_read(&self, repo: &str, token: &str) {
        self.state().github.grant_read(repo, token);
    }

    /// Every pull request of `repo`, open and closed, by number, as `GET /pulls/{n}` answers it
    /// (the full object); `[]` for an unknown repository.
    pub fn pulls(&self, repo: &str) -> Vec<serde_json::Value> {
        pulls::pulls(&self.state(), repo)
    }

    /// Pull request `number` of `repo` as `GET /pulls/{n}` answers it, or `None`.
    pub fn pull(&self, repo: &str, number: u64) -> Option<serde_json::Value> {
        pulls::pull(&self.state(), repo, number)
    }

    /// Opens a pull request from `head` (`branch` or `owner:branch`) into `base` as
    /// `pulls::BOT_LOGIN`, with GitHub's validation (panics with the 422 it would answer); returns
    /// its number. For a pull request left open by an earlier build.
    #[track_caller]
    pub fn open_pull(&self, repo: &str, head: &str, base: &str, title: &str) -> u64 {
        pulls::open_pull(&mut self.state(), repo, head, base, title)
    }

    /// A human closes pull request `number` of `repo` (panics when there is none; closing a closed
    /// one changes nothing).
    #[track_caller]
    pub fn close_pull(&self, repo: &str, number: u64) {
        pulls::close_pull(&mut self.state(), repo, number);
    }

    /// The label names on pull request `number` of `repo`, in the order added (panics when there
    /// is no such pull request).
    #[track_caller]
    pub fn labels_of(&self, repo: &str, number: u64) -> Vec<String> {
        pulls::labels_of(&self.state(), repo, number)
    }

    /// The requested reviewers of pull request `number` of `repo`: (user logins, team slugs), in
    /// the order requested (panics when there is no such pull request).
    #[track_caller]
    pub fn reviewers_of(&self, repo: &str, number: u64) -> (Vec<String>, Vec<String>) {
        pulls::reviewers_of(&self.state(), repo, number)
    }

    // --- Go downloads ---------------------------------------------------------------------

    /// Adds Go `version` (`1.23.2`, `1.24rc1`; a `go` prefix is accepted) to the downloads index,
    /// with linux-amd64, darwin-amd64 and windows-amd64 archives and a source archive of small
    /// deterministic content. Adding a version again replaces it.
    pub fn add_go_release(&self, version: &str, stable: bool) {
        self.state().go_downloads.add(version, stable);
    }

    /// Takes the Go download `filename` (`go1.26.8.windows-amd64.zip`) out of the index and off
    /// the server: a release Go did not publish for that platform.
    pub fn withdraw_go_file(&self, filename: &str) {
        self.state().go_downloads.withdraw(filename);
    }

    /// The bytes served at `/dl/<filename>` (panics for an unknown file).
    pub fn go_file_bytes(&self, filename: &str) -> Vec<u8> {
        self.state().go_downloads.served(filename).unwrap_or_else(|| panic!("no Go download named {filename}"))
    }

    /// Serves other bytes at `/dl/<filename>` while the index keeps the old sha256 and size: a
    /// checksum mismatch.
    pub fn replace_go_file_bytes(&self, filename: &str, bytes: impl Into<Vec<u8>>) {
        self.state().go_downloads.replace_served(filename, bytes.into());
    }

    // --- Go module proxy ------------------------------------------------------------------

    /// Adds `path@version` to the module proxy. `version` should carry its `v` (one is added when
    /// missing); `go_mod` is served as `.mod` and is the zip's `go.mod`; `files` are further
    /// `(relative path, contents)` entries of the zip; `time` is the RFC 3339 `Time` of `.info`.
    /// Versions are listed in the order they were added, like a real proxy (unsorted).
    pub fn add_module(&self, path: &str, version: &str, go_mod: &str, time: &str, files: &[(&str, &str)]) {
        self.state().go_proxy.add(path, version, go_mod, time, files);
    }

    // --- Go vulnerability database --------------------------------------------------------

    /// `http://127.0.0.1:PORT/vulndb` (no trailing slash), for the `vulndb` source key: the index
    /// is at `<this>/index/modules.json`, reports at `<this>/ID/<id>.json`.
    pub fn vulndb_url(&self) -> String {
        format!("{}/vulndb", self.url())
    }

    /// Serves the database directory `dir` (as `VulnDbFixture::write` lays it out) under `/vulndb/`,
    /// read at each request: rewriting the directory updates the database.
    pub fn set_vulndb(&self, dir: &std::path::Path) {
        self.state().vulndb = Some(dir.to_path_buf());
    }

    // --- requests and failures ------------------------------------------------------------

    /// Every request answered so far, oldest first.
    pub fn requests(&self) -> Vec<Logged> {
        self.state().log.clone()
    }

    pub fn clear_requests(&self) {
        self.state().log.clear();
    }

    /// The next `times` requests whose path starts with `path_prefix` are answered `status`
    /// (with a GitHub-style JSON message) before reaching their handler.
    pub fn fail_next(&self, path_prefix: &str, status: u16, times: u32) {
        self.push_failure(path_prefix, status, times, None);
    }

    /// Like `fail_next`, with a `Retry-After: <secs>` header (a secondary rate limit when the
    /// status is 403 or 429).
    pub fn fail_next_retry_after(&self, path_prefix: &str, status: u16, times: u32, secs: u64) {
        self.push_failure(path_prefix, status, times, Some(secs));
    }

    fn push_failure(&self, prefix: &str, status: u16, times: u32, retry_after: Option<u64>) {
        if times > 0 {
            self.state().failures.push(Failure { prefix: prefix.to_owned(), status, times, retry_after });
        }
    }
}

#[derive(Clone)]
struct Failure {
    prefix: String,
    status: u16,
    times: u32,
    retry_after: Option<u64>,
}

impl Failure {
    fn response(&self) -> Response {
        let status = StatusCode::from_u16(self.status).expect("valid status");
        let message = match (self.status, self.retry_after) {
            (403 | 429, Some(_)) => "You have exceeded a secondary rate limit",
            _ => status.canonical_reason().unwrap_or("Error"),
        };
        let mut response = github::error(status, message);
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert("retry-after", HeaderValue::from(secs));
        }
        response
    }
}

/// GitHub's primary rate limit, counted for every API answer except 304.
struct RateLimit {
    limit: u64,
    remaining: u64,
    reset: u64,
}

impl RateLimit {
    fn new() -> RateLimit {
        RateLimit { limit: 5000, remaining: 5000, reset: now_epoch() + 3600 }
    }

    fn refresh(&mut self) {
        let now = now_epoch();
        if now >= self.reset {
            self.remaining = self.limit;
            self.reset = now + 3600;
        }
    }

    fn exhausted(&mut self) -> Option<Response> {
        self.refresh();
        (self.remaining == 0).then(|| github::error(StatusCode::FORBIDDEN, "API rate limit exceeded for 127.0.0.1."))
    }

    fn count(&mut self, response: &mut Response) {
        self.refresh();
        if response.status() != StatusCode::NOT_MODIFIED {
            self.remaining = self.remaining.saturating_sub(1);
        }
        let headers = response.headers_mut();
        headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-ratelimit-used", HeaderValue::from(self.limit - self.remaining.min(self.limit)));
        headers.insert("x-ratelimit-reset", HeaderValue::from(self.reset));
        headers.insert("x-ratelimit-resource", HeaderValue::from_static("core"));
    }
}

fn now_epoch() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// Which host a path belongs to: rules for tokens and the rate limit differ.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Host {
    /// The GitHub REST API: tokens checked, rate limit counted.
    Api,
    /// `browser_download_url`s (github.com in real life): no API quota, and a public download needs
    /// no token, even after `require_token`; a wrong token is still refused.
    Download,
    /// The Go downloads page, the module proxy and the vulnerability database: no GitHub rules at all.
    Go,
}

fn host_of(path: &str) -> Host {
    if path == "/dl" || path.starts_with("/dl/") || path.starts_with("/goproxy/") || path.starts_with("/vulndb/") {
        Host::Go
    } else if path.starts_with("/download/") {
        Host::Download
    } else {
        Host::Api
    }
}

/// The middleware described in the module docs.
async fn front(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let path_and_query = request.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| path.clone());
    let if_none_match = request.headers().get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let token = credential(request.headers());
    let host = host_of(&path);

    let early = {
        let mut state = lock(&shared);
        match state.take_failure(&path) {
            Some(failure) => Some(failure.response()),
            None => match host {
                Host::Api => state.reject_credentials(token.as_deref(), false).or_else(|| state.rate.exhausted()),
                Host::Download => state.reject_credentials(token.as_deref(), true),
                Host::Go => None,
            },
        }
    };
    let mut response = match early {
        Some(response) => response,
        None => next.run(request).await,
    };
    if method == "GET" && response.status() == StatusCode::OK {
        response = with_etag(response, if_none_match.as_deref()).await;
    }

    let mut state = lock(&shared);
    if host == Host::Api {
        state.rate.count(&mut response);
    }
    state.log.push(Logged {
        method,
        path_and_query,
        status: response.status().as_u16(),
        if_none_match: if_none_match.is_some(),
        token,
    });
    response
}

/// Adds `ETag: "<sha256 of the body>"`, and turns the answer into an empty 304 when the request's
/// `If-None-Match` names that tag (or `*`).
async fn with_etag(response: Response, if_none_match: Option<&str>) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let tag = format!("\"{}\"", hex::encode(Sha256::digest(&bytes)));
    parts.headers.insert(ETAG, HeaderValue::from_str(&tag).expect("hex etag"));
    let matches = if_none_match
        .is_some_and(|value| value.split(',').map(|t| t.trim()).any(|t| t == "*" || t.trim_start_matches("W/") == tag));
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(CONTENT_LENGTH);
        parts.headers.remove(CONTENT_TYPE);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}
