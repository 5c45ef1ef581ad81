//! HTTP for upstream look-ups and downloads: one reqwest client with timeouts, bounded retries
//! with backoff (5xx, connection errors, 429 and 403 with `Retry-After` or an exhausted rate
//! limit whose reset is near), GitHub's headers, and conditional requests backed by an on-disk
//! cache of ETags and bodies (see [`crate::cache`]).
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

use crate::error::{Error, Result};
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
    retry_base: Duration,
    max_wait: Duration,
    /// A look-up's whole answer (headers and body) must arrive within this, per try.
    read_timeout: Duration,
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
pub enum Conditional {
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
            .map_err(|e| Error::Http { url: "-".into(), status: None, message: format!("HTTP client: {e}") })?;
        // Operators (and tests) may shorten the backoff; the default suits api.github.com.
        let retry_base = std::env::var("CURRENCY_RETRY_BASE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_millis)
            .unwrap_or(Duration::from_millis(500));
        let max_wait = std::env::var("CURRENCY_MAX_RATE_LIMIT_WAIT_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(60));
        Ok(Http { client, retry_base, max_wait, read_timeout })
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
        String::from_utf8(body).map_err(|_| Error::Http {
            url: url.to_string(),
            status: None,
            message: "the answer is not UTF-8 text".into(),
        })
    }

    /// GET `url` with `If-None-Match: etag` when an ETag is known.
    pub async fn get_conditional(
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
            });
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= ATTEMPTS;
            let outcome = self.request(url, auth, accept, etag, whole)?.send().await;
            let resp = match outcome {
                Ok(resp) => resp,
                // Connection refused is not going to change within seconds for a typo'd host, but
                // resets and timeouts do; retry both, boundedly.
                Err(e) if retryable(&e) && !last => {
                    self.pause(url, &describe(&e), self.backoff(attempt)).await;
                    continue;
                }
                Err(e) => return Err(transport_error_after(url, &e, attempt)),
            };
            let wait = self.retry_wait(&resp, attempt);
            if let Some(wait) = wait
                && !last
            {
                self.pause(url, &resp.status().to_string(), wait).await;
                continue;
            }
            let not_modified = resp.status() == StatusCode::NOT_MODIFIED && etag.is_some();
            if !resp.status().is_success() && !not_modified {
                return Err(self.status_error(url, resp, wait.is_some().then_some(attempt)).await);
            }
            if !whole {
                return Ok(Answer::Streaming(resp));
            }
            let (status, headers) = (resp.status(), resp.headers().clone());
            match resp.bytes().await {
                Ok(body) => return Ok(Answer::Whole(Fetched { status, headers, body: body.to_vec() })),
                Err(e) if !last => {
                    self.pause(url, &format!("the answer was cut off ({})", describe(&e)), self.backoff(attempt)).await;
                }
                Err(e) => return Err(transport_error_after(url, &e, attempt)),
            }
        }
    }

    async fn pause(&self, url: &Url, what: &str, wait: Duration) {
        crate::log!("{url}: {what}; retrying in {:.1}s", wait.as_secs_f32());
        tokio::time::sleep(wait).await;
    }

    /// Exponential backoff with up to 25 % jitter, so that many resources retrying the same host
    /// do not retry in step.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.retry_base * 2u32.pow(attempt.saturating_sub(1));
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        base + base.mul_f64(f64::from(nanos % 250) / 1000.0)
    }

    /// How long to wait before retrying this response, if it is worth retrying at all.
    fn retry_wait(&self, resp: &reqwest::Response, attempt: u32) -> Option<Duration> {
        let status = resp.status();
        let h = resp.headers();
        let retry_after = h
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let exhausted = h.get("x-ratelimit-remaining").and_then(|v| v.to_str().ok()) == Some("0");
        if status.is_server_error() {
            return Some(retry_after.unwrap_or_else(|| self.backoff(attempt)).min(self.max_wait));
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
                return Some(self.backoff(attempt));
            }
        }
        None
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
pub fn transport_error(url: &Url, e: &reqwest::Error) -> Error {
    let what = if e.is_connect() && e.is_timeout() {
        "timed out connecting".to_string()
    } else if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_body() || e.is_decode() {
        format!("the answer was cut off ({})", root_cause(e))
    } else if e.is_connect() {
        format!("cannot connect ({})", root_cause(e))
    } else {
        root_cause(e)
    };
    Error::Http { url: url.to_string(), status: None, message: what }
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
fn transport_error_after(url: &Url, e: &reqwest::Error, tries: u32) -> Error {
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
        Error::Http { url: url.to_string(), status: Some(status.as_u16()), message }
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

/// GET `url` conditionally, answering from `cache` on 304, and reads the text with `parse`. The
/// body is stored with its ETag only once it parses, so an answer that was garbage once is not
/// served from the cache ever after; a cached entry that no longer parses costs a second,
/// unconditional request.
pub async fn get_cached<T>(
    http: &Http,
    cache: &crate::cache::Cache,
    url: &Url,
    auth: Auth<'_>,
    accept: &str,
    parse: impl Fn(&str) -> Result<T>,
) -> Result<T> {
    let key = format!("{url}#{}", if matches!(auth, Auth::None) { "anon" } else { "auth" });
    let cached = cache.http_get(&key);
    let answer = match http.get_conditional(url, auth, accept, cached.as_ref().map(|c| c.etag.as_str())).await? {
        Conditional::NotModified => {
            let body = cached.expect("304 only answers a request that sent an ETag").body;
            match parse(&body) {
                Ok(v) => return Ok(v),
                Err(_) => http.get_conditional(url, auth, accept, None).await?,
            }
        }
        fresh => fresh,
    };
    let Conditional::Fresh { body, etag, .. } = answer else {
        unreachable!("no ETag was sent, so no 304");
    };
    let text = String::from_utf8(body).map_err(|_| Error::Http {
        url: url.to_string(),
        status: None,
        message: "the answer is not UTF-8 text".into(),
    })?;
    let value = parse(&text)?;
    if let Some(etag) = etag {
        cache.http_put(&key, &crate::cache::HttpEntry { etag, body: text });
    }
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
