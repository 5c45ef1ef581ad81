//! HTTP for upstream look-ups and downloads: one reqwest client with timeouts, bounded retries
//! with backoff (5xx, connection errors, 429 and 403 with `Retry-After` or an exhausted rate
//! limit whose reset is near), GitHub's headers, and conditional requests backed by an on-disk
//! cache of ETags and bodies (see [`crate::cache`]).
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
const ATTEMPTS: u32 = 4;

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
}

/// The answer to a conditional GET.
pub enum Conditional {
    NotModified,
    Fresh { body: Vec<u8>, etag: Option<String>, headers: HeaderMap },
}

impl Http {
    pub fn new(skip_ssl_verification: bool) -> Result<Http> {
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(Duration::from_secs(15))
            .read_timeout(Duration::from_secs(60))
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
        Ok(Http { client, retry_base, max_wait })
    }

    /// GET `url`, retried on transient failures; any non-success status is an error naming the URL.
    pub async fn get(&self, url: &Url, auth: Auth<'_>, accept: &str) -> Result<reqwest::Response> {
        let resp = self.send(url, auth, accept, None).await?;
        if resp.status().is_success() {
            Ok(resp)
        } else {
            Err(status_error(url, resp).await)
        }
    }

    /// GET `url` and read the whole body as text.
    pub async fn get_text(&self, url: &Url, auth: Auth<'_>, accept: &str) -> Result<String> {
        let resp = self.get(url, auth, accept).await?;
        resp.text().await.map_err(|e| transport_error(url, &e))
    }

    /// GET `url` with `If-None-Match: etag` when an ETag is known.
    pub async fn get_conditional(
        &self,
        url: &Url,
        auth: Auth<'_>,
        accept: &str,
        etag: Option<&str>,
    ) -> Result<Conditional> {
        let resp = self.send(url, auth, accept, etag).await?;
        if resp.status() == StatusCode::NOT_MODIFIED && etag.is_some() {
            return Ok(Conditional::NotModified);
        }
        if !resp.status().is_success() {
            return Err(status_error(url, resp).await);
        }
        let headers = resp.headers().clone();
        let etag = headers.get(header::ETAG).and_then(|v| v.to_str().ok()).map(String::from);
        let body = resp.bytes().await.map_err(|e| transport_error(url, &e))?.to_vec();
        Ok(Conditional::Fresh { body, etag, headers })
    }

    async fn send(&self, url: &Url, auth: Auth<'_>, accept: &str, etag: Option<&str>) -> Result<reqwest::Response> {
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
            let mut req = self.client.get(url.clone()).header(header::ACCEPT, accept);
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
            let outcome = req.send().await;
            let wait = match &outcome {
                Ok(resp) => self.retry_wait(resp, attempt),
                Err(e) if e.is_connect() || e.is_timeout() || e.is_request() => {
                    // Connection refused is not going to change within seconds for a typo'd
                    // host, but resets and timeouts do; retry both, boundedly.
                    Some(self.backoff(attempt))
                }
                Err(_) => None,
            };
            match (outcome, wait) {
                (outcome, Some(wait)) if attempt < ATTEMPTS => {
                    let what = match &outcome {
                        Ok(r) => r.status().to_string(),
                        Err(e) => root_cause(e),
                    };
                    crate::log!("{url}: {what}; retrying in {:.1}s", wait.as_secs_f32());
                    tokio::time::sleep(wait).await;
                }
                (Ok(resp), _) => return Ok(resp),
                (Err(e), _) => return Err(transport_error(url, &e)),
            }
        }
    }

    /// Exponential backoff with up to 25 % jitter, so that many resources retrying the same host
    /// do not retry in step.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.retry_base * 2u32.pow(attempt.saturating_sub(1));
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
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
    let what = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        format!("cannot connect ({})", root_cause(e))
    } else {
        root_cause(e)
    };
    Error::Http { url: url.to_string(), status: None, message: what }
}

async fn status_error(url: &Url, resp: reqwest::Response) -> Error {
    let status = resp.status();
    let limited = resp.headers().get("x-ratelimit-remaining").and_then(|v| v.to_str().ok()) == Some("0");
    let body = resp.text().await.unwrap_or_default();
    let gh_message = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(String::from));
    let mut message = status.to_string();
    if let Some(m) = gh_message {
        let m: String = m.chars().take(200).collect();
        message = format!("{message} ({m})");
    }
    let hint = match status.as_u16() {
        401 => "; check the token",
        403 if limited => "; the rate limit is exhausted",
        403 => "; the token lacks access",
        404 => "; check the name, and that the token can see it",
        _ => "",
    };
    message.push_str(hint);
    Error::Http { url: url.to_string(), status: Some(status.as_u16()), message }
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

/// GET `url` conditionally, answering from `cache` on 304; the body is stored with its ETag.
/// A corrupt entry costs a second, unconditional request.
pub async fn get_cached(
    http: &Http,
    cache: &crate::cache::Cache,
    url: &Url,
    auth: Auth<'_>,
    accept: &str,
) -> Result<String> {
    let key = format!("{url}#{}", if matches!(auth, Auth::None) { "anon" } else { "auth" });
    let cached = cache.http_get(&key);
    match http.get_conditional(url, auth, accept, cached.as_ref().map(|c| c.etag.as_str())).await? {
        Conditional::NotModified => Ok(cached.expect("304 only answers a request that sent an ETag").body),
        Conditional::Fresh { body, etag, .. } => {
            let text = String::from_utf8(body).map_err(|_| Error::Http {
                url: url.to_string(),
                status: None,
                message: "the answer is not UTF-8 text".into(),
            })?;
            if let Some(etag) = etag {
                cache.http_put(&key, &crate::cache::HttpEntry { etag, body: text.clone() });
            }
            Ok(text)
        }
    }
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

