//! GitHub releases: `GET /repos/{owner}/{repo}/releases`, every page (up to [`MAX_PAGES`]),
//! drafts dropped. Ordering by version happens in the plan, not here: GitHub orders by date,
//! and repositories that maintain several lines (etcd 3.4/3.5/3.6) publish old lines late.
//!
//! Cost: page 1 is a conditional request. When it answers 304 nothing changed, and the whole
//! list stored with page 1's ETag is reused: one request, not counted against the rate limit.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::cache::Cache;
use crate::error::{Error, Result};
use crate::http::{Auth, Http, Revalidated, link_next, remember, revalidate};
use crate::secrets::Secret;
use crate::source::RepoSlug;

pub const MAX_PAGES: usize = 10;
const ACCEPT: &str = "application/vnd.github+json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Release {
    pub tag_name: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub prerelease: bool,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub published_at: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub assets: Vec<Asset>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Asset {
    pub id: u64,
    pub name: String,
    /// The API URL; with `Accept: application/octet-stream` it serves the bytes.
    pub url: String,
    pub browser_download_url: String,
    #[serde(default)]
    pub size: u64,
    /// `sha256:<hex>` on releases made since GitHub started computing digests.
    #[serde(default)]
    pub digest: Option<String>,
}

impl Release {
    pub fn asset(&self, name: &str) -> Option<&Asset> {
        self.assets.iter().find(|a| a.name == name)
    }
}

pub fn releases_url(api: &Url, repo: &RepoSlug) -> Url {
    let base = api.as_str().trim_end_matches('/');
    Url::parse(&format!("{base}/repos/{}/{}/releases?per_page=100", repo.owner, repo.name))
        .expect("an API URL joined with a slug is a URL")
}

pub async fn list_releases(
    http: &Http,
    cache: &Cache,
    api: &Url,
    repo: &RepoSlug,
    token: Option<&Secret>,
) -> Result<Vec<Release>> {
    let first = releases_url(api, repo);
    let auth = token.map(Auth::Bearer).unwrap_or(Auth::None);
    let (body, etag, headers) =
        match revalidate(http, cache, &first, auth, ACCEPT, |cached| serde_json::from_str(cached).ok()).await? {
            Revalidated::Unchanged(list) => return Ok(list),
            Revalidated::Changed { body, etag, headers } => (body, etag, headers),
        };
    let mut all: Vec<Release> = parse_page(&first, &body)?;
    let mut next = link_next(&headers);
    let mut pages = 1;
    while let Some(url) = next.take() {
        if pages >= MAX_PAGES {
            crate::log!("{repo}: more than {} releases; the oldest are not considered", MAX_PAGES * 100);
            break;
        }
        let (headers, body) = http.get_whole(&url, auth, ACCEPT).await?;
        next = link_next(&headers);
        all.extend(parse_page(&url, &body)?);
        pages += 1;
    }
    all.retain(|r| !r.draft);
    // The whole list is remembered under page 1's ETag: a 304 on page 1 answers for all pages.
    if let Ok(body) = serde_json::to_string(&all) {
        remember(cache, &first, auth, etag, body);
    }
    Ok(all)
}

fn parse_page(url: &Url, body: &[u8]) -> Result<Vec<Release>> {
    serde_json::from_slice(body)
        .map_err(|e| Error::garbage(url.as_str(), format!("not a list of GitHub releases: {e}"), Some(Box::new(e))))
}
