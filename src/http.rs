//! HTTP for upstream look-ups and downloads: one reqwest client with timeouts, bounded retries
//! with backoff (5xx, connection errors, 429 and 403 with `Retry-After` or an exhausted rate
//! limit whose reset is near), GitHub's headers, and conditional requests backed by an on-disk
//! cache of ETags and bodies (see [`crate::cache`]).
//!
//! Two mechanisms live here for the whole outside-world layer: [`Retry`], the one retry policy
//! (tries, backoff with jitter) that look-ups, downloads and the gcs blobstore share, each telling
//! per try what is worth another; and [`revalidate`]/[`remember`], the one conditional GET against
//! the cache (single answers through [`get_cached`], GitHub's paged release lists too).
//!
//! Bounds: at most [`ATTEMPTS`] tries per request; a look-up (an answer read whole, retried as a
//! whole when its body is cut off) takes at most the read timeout per try; downloads are bounded
//! by the read timeout between reads. Timeouts: [`timeouts`] (`CURRENCY_HTTP_TIMEOUT_SECS`);
//! backoff: `CURRENCY_RETRY_BASE_MS`; the longest rate-limit wait: `CURRENCY_MAX_RATE_LIMIT_WAIT_SECS`.
//!
//! Errors name the URL (never a credential: tokens travel in headers only) and the status, with
//! the `message` GitHub puts in its JSON error bodies.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::secrets::Secret;

const USER_AGENT: &str = concat!("currency/", env!("CARGO_PKG_VERSION"));
/// Tries per request: the first and three retries.
pub const ATTEMPTS: u32 = 4;
/// `CURRENCY_HTTP_TIMEOUT_SECS`: the longest wait for a read (default 60 s); connecting waits at
/// most 15 s or this, whichever is shorter; a look-up (an API answer read whole) takes at most
/// this per try. Fractions are allowed (`0.5`).
pub const TIMEOUT_VAR: &str = "CURRENCY_HTTP_TIMEOUT_SECS";
const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// The connect and read timeouts of every HTTP client (upstreams, downloads, blobstores):
/// 15 s and 60 s, or what `CURRENCY_HTTP_TIMEOUT_SECS` says.
pub fn timeouts() -> (Duration, Duration) {
    let read = std::env::var(TIMEOUT_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(DEFAULT_READ_TIMEOUT);
    (read.min(DEFAULT_CONNECT_TIMEOUT), read)
}

/// How a request authenticates.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    None,
    /// GitHub: `Authorization: Bearer <token>`.
    Bearer(&'a Secret),
}

#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    retry: Retry,
    max_wait: Duration,
    /// A look-up's whole answer (headers and body) must arrive within this, per try.
    read_timeout: Duration,
    skip_ssl_verification: bool,
}

/// A whole answer, read within the retry loop.
struct Fetched {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

enum Answer {
    /// Headers only; the caller streams the body.
    Streaming(reqwest::Response),
    Whole(Fetched),
}

/// The answer to a conditional GET.
enum Conditional {
    NotModified,
    Fresh { body: Vec<u8>, etag: Option<String>, headers: HeaderMap },
}

impl Http {
    pub fn new(skip_ssl_verification: bool) -> Result<Http> {
        let (connect_timeout, read_timeout) = timeouts();
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(connect_timeout)
            .read_timeout(read_timeout)
            .redirect(reqwest::redirect::Policy::limited(10))
            .tls_danger_accept_invalid_certs(skip_ssl_verification)
            .build()
            .map_err(|source| Error::HttpClient { source })?;
        let retry = Retry::from_env(ATTEMPTS, &|k| std::env::var(k).ok());
        let max_wait = std::env::var("CURRENCY_MAX_RATE_LIMIT_WAIT_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(60));
        Ok(Http { client, retry, max_wait, read_timeout, skip_ssl_verification })
    }

    /// Whether certificates go unchecked (`source.skip_ssl_verification`), for the other
    /// transports (git) that reach the same hosts.
    pub fn skip_ssl_verification(&self) -> bool {
        self.skip_ssl_verification
    }

    /// GET `url`, retried on transient failures until the headers arrive; any non-success status
    /// is an error naming the URL. The body is the caller's to stream (downloads): only the read
    /// timeout bounds it.
    pub async fn get(&self, url: &Url, auth: Auth<'_>, accept: &str) -> Result<reqwest::Response> {
        match self.send(url, auth, accept, None, false).await? {
            Answer::Streaming(resp) => Ok(resp),
            Answer::Whole(_) => unreachable!("a streaming request is answered streaming"),
        }
    }

    /// GET `url` and read the whole answer, retried as a whole when the body is cut off; each try
    /// takes at most the read timeout.
    pub async fn get_whole(&self, url: &Url, auth: Auth<'_>, accept: &str) -> Result<(HeaderMap, Vec<u8>)> {
        match self.send(url, auth, accept, None, true).await? {
            Answer::Whole(f) => Ok((f.headers, f.body)),
            Answer::Streaming(_) => unreachable!("a whole request is answered whole"),
        }
    }

    /// GET `url` and read the whole body as text.
    pub async fn get_text(&self, url: &Url, auth: Auth<'_>, accept: &str) -> Result<String> {
        let (_, body) = self.get_whole(url, auth, accept).await?;
        String::from_utf8(body)
            .map_err(|e| Error::garbage(url.as_str(), "the answer is not UTF-8 text", Some(Box::new(e))))
    }

    /// GET `url` with `If-None-Match: etag` when an ETag is known.
    async fn get_conditional(
        &self,
        url: &Url,
        auth: Auth<'_>,
        accept: &str,
        etag: Option<&str>,
    ) -> Result<Conditional> {
        let f = match self.send(url, auth, accept, etag, true).await? {
            Answer::Whole(f) => f,
            Answer::Streaming(_) => unreachable!("a whole request is answered whole"),
        };
        if f.status == StatusCode::NOT_MODIFIED {
            return Ok(Conditional::NotModified);
        }
        let etag = f.headers.get(header::ETAG).and_then(|v| v.to_str().ok()).map(String::from);
        Ok(Conditional::Fresh { body: f.body, etag, headers: f.headers })
    }

    fn request(
        &self,
        url: &Url,
        auth: Auth<'_>,
        accept: &str,
        etag: Option<&str>,
        whole: bool,
    ) -> Result<reqwest::RequestBuilder> {
        let mut req = self.client.get(url.clone()).header(header::ACCEPT, accept);
        if whole {
            req = req.timeout(self.read_timeout);
        }
        if let Auth::Bearer(token) = auth {
            let mut v = HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| Error::Http {
                url: url.to_string(),
                status: None,
                message: "the token holds characters that cannot go in a header".into(),
                kind: ErrorKind::Config,
                source: None,
            })?;
            v.set_sensitive(true);
            req = req.header(header::AUTHORIZATION, v).header("X-GitHub-Api-Version", "2022-11-28");
        }
        if let Some(e) = etag {
            req = req.header(header::IF_NONE_MATCH, e);
        }
        Ok(req)
    }

    /// One GET, retried: 5xx, 429, rate limits whose wait is within bounds, connection failures,
    /// timeouts and (`whole`) bodies cut off. At most [`ATTEMPTS`] tries; the last failure is the
    /// error, naming the URL and how many tries were made.
    async fn send(&self, url: &Url, auth: Auth<'_>, accept: &str, etag: Option<&str>, whole: bool) -> Result<Answer> {
        if url.scheme() == "file" {
            return Err(Error::Http {
                url: url.to_string(),
                status: None,
                message: "file:// URLs are not supported for HTTP look-ups".into(),
                kind: ErrorKind::Config,
                source: None,
            });
        }
        self.retry.run(move |attempt| self.try_once(url, auth, accept, etag, whole, attempt)).await
    }

    /// One try of [`Http::send`].
    async fn try_once(
        &self,
        url: &Url,
        auth: Auth<'_>,
        accept: &str,
        etag: Option<&str>,
        whole: bool,
        attempt: Attempt,
    ) -> Try<Result<Answer>> {
        let request = match self.request(url, auth, accept, etag, whole) {
            Ok(request) => request,
            Err(e) => return Try::Done(Err(e)),
        };
        let resp = match request.send().await {
            Ok(resp) => resp,
            // Connection refused is not going to change within seconds for a typo'd host, but
            // resets and timeouts do; retry both, boundedly.
            Err(e) if retryable(&e) && !attempt.last => {
                return Try::Again(Pause::after(format!("{url}: {}", describe(&e)), self.retry.backoff(attempt)));
            }
            Err(e) => return Try::Done(Err(transport_error_after(url, e, attempt.number))),
        };
        let wait = self.retry_wait(&resp, attempt);
        if let Some(wait) = wait
            && !attempt.last
        {
            return Try::Again(Pause::after(format!("{url}: {}", resp.status()), wait));
        }
        let not_modified = resp.status() == StatusCode::NOT_MODIFIED && etag.is_some();
        if !resp.status().is_success() && !not_modified {
            return Try::Done(Err(self.status_error(url, resp, wait.is_some().then_some(attempt.number)).await));
        }
        if !whole {
            return Try::Done(Ok(Answer::Streaming(resp)));
        }
        let (status, headers) = (resp.status(), resp.headers().clone());
        match resp.bytes().await {
            Ok(body) => Try::Done(Ok(Answer::Whole(Fetched { status, headers, body: body.to_vec() }))),
            Err(e) if !attempt.last => Try::Again(Pause::after(
                format!("{url}: the answer was cut off ({})", describe(&e)),
                self.retry.backoff(attempt),
            )),
            Err(e) => Try::Done(Err(transport_error_after(url, e, attempt.number))),
        }
    }

    /// How long to wait before retrying this response, if it is worth retrying at all.
    fn retry_wait(&self, resp: &reqwest::Response, attempt: Attempt) -> Option<Duration> {
        let status = resp.status();
        let h = resp.headers();
        let retry_after = h
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let exhausted = h.get("x-ratelimit-remaining").and_then(|v| v.to_str().ok()) == Some("0");
        if status.is_server_error() {
            return Some(retry_after.unwrap_or_else(|| self.retry.backoff(attempt)).min(self.max_wait));
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::FORBIDDEN {
            if let Some(wait) = retry_after {
                return (wait <= self.max_wait).then_some(wait);
            }
            if exhausted {
                let reset = h.get("x-ratelimit-reset").and_then(|v| v.to_str().ok())?.parse::<u64>().ok()?;
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
                let wait = Duration::from_secs(reset.saturating_sub(now) + 1);
                return (wait <= self.max_wait).then_some(wait);
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                return Some(self.retry.backoff(attempt));
            }
        }
        None
    }
}

/// How a transfer is tried again: at most `tries` tries, waiting between them an exponential
/// backoff from `base` with up to 25 % jitter (so that many resources retrying the same host do
/// not retry in step). The one policy of upstream look-ups ([`Http`]), downloads and the gcs
/// blobstore; each decides per try what is worth another ([`Try`]).
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    tries: u32,
    base: Duration,
}

/// Which try this is.
#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    /// 1 for the first.
    pub number: u32,
    /// No try follows this one: it must not ask for another.
    pub last: bool,
}

/// What one try came to.
pub enum Try<T> {
    /// The outcome, success or final failure.
    Done(T),
    /// Worth another try, after the pause.
    Again(Pause),
}

/// The wait before the next try, and the line logged about it.
pub struct Pause {
    line: String,
    wait: Duration,
}

impl Pause {
    /// Try again after `wait`, logging `<why>; retrying in 1.5s`.
    pub fn after(why: impl std::fmt::Display, wait: Duration) -> Pause {
        Pause { line: format!("{why}; retrying in {:.1}s", wait.as_secs_f32()), wait }
    }

    /// Try again at once, logging `line`.
    pub fn at_once(line: String) -> Pause {
        Pause { line, wait: Duration::ZERO }
    }
}

/// `CURRENCY_RETRY_BASE_MS`: the first wait of the backoff (default 500 ms, which suits
/// api.github.com); operators and tests may shorten it.
pub const RETRY_BASE_VAR: &str = "CURRENCY_RETRY_BASE_MS";

impl Retry {
    /// `tries` tries, backing off from `base`.
    pub const fn new(tries: u32, base: Duration) -> Retry {
        Retry { tries, base }
    }

    /// `tries` tries, backing off from [`RETRY_BASE_VAR`] as `env` gives it.
    pub fn from_env(tries: u32, env: &dyn Fn(&str) -> Option<String>) -> Retry {
        let base = env(RETRY_BASE_VAR)
            .and_then(|v| v.parse().ok())
            .map(Duration::from_millis)
            .unwrap_or(Duration::from_millis(500));
        Retry::new(tries, base)
    }

    /// The wait after failed try `attempt`: `base * 2^(n-1)`, plus up to 25 % jitter.
    pub fn backoff(&self, attempt: Attempt) -> Duration {
        let base = self.base * 2u32.pow(attempt.number.saturating_sub(1));
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        base + base.mul_f64(f64::from(nanos % 250) / 1000.0)
    }

    /// Runs `one` until it is [`Try::Done`], logging and waiting each [`Pause`] in between. `one`
    /// is told which try it is; on the last it must decide.
    pub async fn run<T, F>(&self, mut one: impl FnMut(Attempt) -> F) -> T
    where
        F: std::future::Future<Output = Try<T>>,
    {
        let mut number = 0;
        loop {
            number += 1;
            let attempt = Attempt { number, last: number >= self.tries };
            match one(attempt).await {
                Try::Done(outcome) => return outcome,
                Try::Again(pause) => {
                    debug_assert!(!attempt.last, "the last try asked for another");
                    crate::log!("{}", pause.line);
                    if !pause.wait.is_zero() {
                        tokio::time::sleep(pause.wait).await;
                    }
                }
            }
        }
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: &dyn std::error::Error = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// A failure to talk to `url` at all (DNS, refused, TLS, timeout, cut-off body).
pub fn transport_error(url: &Url, e: reqwest::Error) -> Error {
    let what = if e.is_connect() && e.is_timeout() {
        "timed out connecting".to_string()
    } else if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_body() || e.is_decode() {
        format!("the answer was cut off ({})", root_cause(&e))
    } else if e.is_connect() {
        format!("cannot connect ({})", root_cause(&e))
    } else {
        root_cause(&e)
    };
    Error::http(url.as_str(), None, what).caused_by(e)
}

/// Failures worth another try: the connection (refused, reset, closed early), a timeout, a
/// request that never got its answer. Not: too many redirects, a bad URL, TLS refused.
fn retryable(e: &reqwest::Error) -> bool {
    !e.is_redirect() && !e.is_builder() && (e.is_connect() || e.is_timeout() || e.is_request() || e.is_body())
}

/// What went wrong, shortly: `timed out`, or the innermost cause (`connection reset by peer`).
pub fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() { "timed out".to_string() } else { root_cause(e) }
}

/// [`transport_error`], saying how many tries failed when there were several.
fn transport_error_after(url: &Url, e: reqwest::Error, tries: u32) -> Error {
    let mut err = transport_error(url, e);
    if tries > 1
        && let Error::Http { message, .. } = &mut err
    {
        message.push_str(&format!("; gave up after {tries} tries"));
    }
    err
}

impl Http {
    /// The error for a non-success answer: the status, GitHub's `message`, a hint, and, when it
    /// was retried to the end (`tries`) or not retried because the wait would be too long, why.
    async fn status_error(&self, url: &Url, resp: reqwest::Response, tries: Option<u32>) -> Error {
        let status = resp.status();
        let h = resp.headers();
        let limited = h.get("x-ratelimit-remaining").and_then(|v| v.to_str().ok()) == Some("0");
        let reset = h.get("x-ratelimit-reset").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
        let retry_after =
            h.get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
        let body = resp.text().await.unwrap_or_default();
        let gh_message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(String::from));
        let mut message = status.to_string();
        if let Some(m) = gh_message {
            let m: String = m.chars().take(200).collect();
            message = format!("{message} ({m})");
        }
        let bound =
            format!("longer than the {} s currency waits (CURRENCY_MAX_RATE_LIMIT_WAIT_SECS)", self.max_wait.as_secs());
        let limit_status = matches!(status.as_u16(), 403 | 429);
        let hint = match status.as_u16() {
            _ if limit_status && retry_after.is_some() && tries.is_none() => {
                format!("; the server asks to retry after {} s, {bound}", retry_after.unwrap_or_default())
            }
            _ if limit_status && limited => match reset {
                Some(reset) if tries.is_none() => {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs())
                        .unwrap_or_default();
                    let at = time::OffsetDateTime::from_unix_timestamp(reset as i64)
                        .ok()
                        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
                        .unwrap_or_else(|| reset.to_string());
                    format!("; the rate limit is exhausted until {at} (in {} s), {bound}", reset.saturating_sub(now))
                }
                _ => "; the rate limit is exhausted".to_string(),
            },
            401 => "; check the token".into(),
            403 => "; the token lacks access".into(),
            404 => "; check the name, and that the token can see it".into(),
            _ => String::new(),
        };
        message.push_str(&hint);
        if let Some(tries) = tries {
            message.push_str(&format!("; gave up after {tries} tries"));
        }
        let kind = if limit_status && (limited || retry_after.is_some()) {
            ErrorKind::RateLimited
        } else {
            ErrorKind::of_status(Some(status.as_u16()))
        };
        Error::Http { url: url.to_string(), status: Some(status.as_u16()), message, kind, source: None }
    }
}

/// The URL of `rel="next"` in a `Link` header.
pub fn link_next(headers: &HeaderMap) -> Option<Url> {
    let link = headers.get(header::LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim();
            p == "rel=\"next\"" || p == "rel=next"
        });
        if !is_next {
            return None;
        }
        Url::parse(target.trim().trim_start_matches('<').trim_end_matches('>')).ok()
    })
}

/// What a conditional GET backed by the cache came to.
pub enum Revalidated<T> {
    /// 304: the cached body is still current; here it is, read.
    Unchanged(T),
    /// A full answer: nothing usable was cached, or the resource changed.
    Changed { body: Vec<u8>, etag: Option<String>, headers: HeaderMap },
}

/// The cache key of `url`: answers with and without a token may differ.
fn cache_key(url: &Url, auth: Auth<'_>) -> String {
    format!("{url}#{}", if matches!(auth, Auth::None) { "anon" } else { "auth" })
}

/// GET `url` with the ETag `cache` holds for it, if any. On 304 the cached body is read with
/// `read`; a cached body that no longer reads costs a second, unconditional request. What a
/// changed answer should be remembered as is the caller's to decide ([`remember`]), once it has
/// read it: an answer that was garbage once must not be served from the cache ever after.
pub async fn revalidate<T>(
    http: &Http,
    cache: &crate::cache::Cache,
    url: &Url,
    auth: Auth<'_>,
    accept: &str,
    read: impl Fn(&str) -> Option<T>,
) -> Result<Revalidated<T>> {
    let cached = cache.http_get(&cache_key(url, auth));
    let answer = match http.get_conditional(url, auth, accept, cached.as_ref().map(|c| c.etag.as_str())).await? {
        Conditional::NotModified => {
            let body = cached.expect("304 only answers a request that sent an ETag").body;
            if let Some(value) = read(&body) {
                return Ok(Revalidated::Unchanged(value));
            }
            http.get_conditional(url, auth, accept, None).await?
        }
        fresh => fresh,
    };
    let Conditional::Fresh { body, etag, headers } = answer else {
        unreachable!("no ETag was sent, so no 304");
    };
    Ok(Revalidated::Changed { body, etag, headers })
}

/// Stores `body` as what `url` answers with `etag`, for the next [`revalidate`]. Without an ETag
/// there is nothing to revalidate with: nothing is stored.
pub fn remember(cache: &crate::cache::Cache, url: &Url, auth: Auth<'_>, etag: Option<String>, body: String) {
    if let Some(etag) = etag {
        cache.http_put(&cache_key(url, auth), &crate::cache::HttpEntry { etag, body });
    }
}

/// GET `url` through [`revalidate`] and read the text with `parse`; the body is remembered with
/// its ETag only once it parses.
pub async fn get_cached<T>(
    http: &Http,
    cache: &crate::cache::Cache,
    url: &Url,
    auth: Auth<'_>,
    accept: &str,
    parse: impl Fn(&str) -> Result<T>,
) -> Result<T> {
    let (body, etag) = match revalidate(http, cache, url, auth, accept, |text| parse(text).ok()).await? {
        Revalidated::Unchanged(value) => return Ok(value),
        Revalidated::Changed { body, etag, .. } => (body, etag),
    };
    let text = String::from_utf8(body)
        .map_err(|e| Error::garbage(url.as_str(), "the answer is not UTF-8 text", Some(Box::new(e))))?;
    let value = parse(&text)?;
    remember(cache, url, auth, etag, text);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_comes_from_the_link_header() {
        let mut h = HeaderMap::new();
        h.insert(
            header::LINK,
            HeaderValue::from_static(
                "<https://api.github.com/repositories/1/releases?page=2>; rel=\"next\", \
                 <https://api.github.com/repositories/1/releases?page=5>; rel=\"last\"",
            ),
        );
        assert_eq!(link_next(&h).unwrap().as_str(), "https://api.github.com/repositories/1/releases?page=2");
        h.insert(header::LINK, HeaderValue::from_static("<https://x/?page=1>; rel=\"prev\""));
        assert!(link_next(&h).is_none());
    }
}
