//! Pull requests on the release's GitHub, the one client of its pull-request API (base URL from
//! `github_api_url`):
//! - for `out`, through octocrab ([`GitHub`]): find the open PR of a bump branch, open one, update
//!   its title and body, add labels and request reviewers. The first call (the look-up of the open
//!   PR) also proves the token before anything is uploaded or pushed;
//! - for the fleet report, [`open_pulls`]: every open PR of a release by head branch, through the
//!   project's [`Http`] so that the fleet's retries, timeouts and error lines apply and each page
//!   is read whole inside the retry loop (a page cut off half-way is asked for again).

use std::collections::BTreeMap;

use octocrab::Octocrab;
use octocrab::params::State;
use serde::Deserialize;
use url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::http::{Auth, Http, link_next};
use crate::secrets::Secret;
use crate::source::Source;

/// Pages of open pull requests read per release by [`open_pulls`] (100 each).
const MAX_PULL_PAGES: usize = 10;

/// A pull request, as much of it as currency needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    pub url: String,
    pub title: String,
    pub body: String,
}

pub struct GitHub {
    crab: Octocrab,
    api: String,
    owner: String,
    repo: String,
}

fn to_pr(p: octocrab::models::pulls::PullRequest) -> PullRequest {
    PullRequest {
        number: p.number,
        url: p.html_url.map(|u| u.to_string()).unwrap_or_default(),
        title: p.title.unwrap_or_default(),
        body: p.body.unwrap_or_default(),
    }
}

/// GitHub's `422` for a second open PR from the same head.
fn already_exists(e: &octocrab::Error) -> bool {
    let octocrab::Error::GitHub { source, .. } = e else { return false };
    source.status_code.as_u16() == 422
        && source
            .errors
            .iter()
            .flatten()
            .any(|v| v.get("message").and_then(|m| m.as_str()).is_some_and(|m| m.contains("already exists")))
}

impl GitHub {
    pub fn new(source: &Source) -> Result<GitHub> {
        let token = source
            .access_token
            .as_ref()
            .ok_or_else(|| Error::config("source.access_token", "required to push and open pull requests"))?;
        let api = source.github_api_url.as_str().trim_end_matches('/').to_string();
        let (connect_timeout, read_timeout) = crate::http::timeouts();
        let crab = Octocrab::builder()
            .personal_token(token.expose().to_string())
            .set_connect_timeout(Some(connect_timeout))
            .set_read_timeout(Some(read_timeout))
            .set_write_timeout(Some(read_timeout))
            .base_uri(api.as_str())
            .map_err(|e| Error::config("source.github_api_url", format!("not usable: {e}")))?
            .build()
            .map_err(|e| Error::config("source.github_api_url", format!("not usable: {e}")))?;
        Ok(GitHub { crab, api, owner: source.repository.owner.clone(), repo: source.repository.name.clone() })
    }

    fn error(&self, route: &str, e: octocrab::Error) -> Error {
        let url = format!("{}/repos/{}/{}{route}", self.api, self.owner, self.repo);
        let (status, message, kind) = match &e {
            octocrab::Error::GitHub { source, .. } => {
                let status = source.status_code.as_u16();
                let hint = match status {
                    401 => "; check source.access_token",
                    403 | 404 => "; the token needs push access to the repository",
                    _ => "",
                };
                // GitHub answers an exhausted rate limit with 403 and says so in its message.
                let limited = status == 403 && source.message.to_ascii_lowercase().contains("rate limit");
                let kind = if limited { ErrorKind::RateLimited } else { ErrorKind::of_status(Some(status)) };
                (Some(status), format!("{} ({}){hint}", source.status_code, source.message), kind)
            }
            other => (None, crate::secrets::redact(&other.to_string()), ErrorKind::UpstreamBroken),
        };
        Error::Http { url, status, message, kind, source: Some(Box::new(e)) }
    }

    /// The open PR whose head is `branch` of this repository.
    pub async fn find_open(&self, branch: &str) -> Result<Option<PullRequest>> {
        let page = self
            .crab
            .pulls(&self.owner, &self.repo)
            .list()
            .state(State::Open)
            .head(format!("{}:{branch}", self.owner))
            .per_page(100)
            .send()
            .await
            .map_err(|e| self.error("/pulls", e))?;
        Ok(page.items.into_iter().find(|p| p.head.ref_field == branch).map(to_pr))
    }

    /// Opens a PR from `branch`. When GitHub answers that one already exists (another run for
    /// the same repository opened it after this run looked), that PR is updated instead.
    pub async fn open(&self, branch: &str, base: &str, title: &str, body: &str, draft: bool) -> Result<PullRequest> {
        let created = self
            .crab
            .pulls(&self.owner, &self.repo)
            .create(title, branch, base)
            .body(body)
            .draft(draft)
            .maintainer_can_modify(true)
            .send()
            .await;
        match created {
            Ok(pr) => Ok(to_pr(pr)),
            Err(e) if already_exists(&e) => match self.find_open(branch).await? {
                Some(pr) => {
                    crate::log!("{branch}: a pull request was opened meanwhile (#{}); updating it", pr.number);
                    self.update(pr.number, title, body).await
                }
                None => Err(self.error("/pulls", e)),
            },
            Err(e) => Err(self.error("/pulls", e)),
        }
    }

    pub async fn update(&self, number: u64, title: &str, body: &str) -> Result<PullRequest> {
        self.crab
            .pulls(&self.owner, &self.repo)
            .update(number)
            .title(title)
            .body(body)
            .send()
            .await
            .map(to_pr)
            .map_err(|e| self.error(&format!("/pulls/{number}"), e))
    }

    pub async fn add_labels(&self, number: u64, labels: &[String]) -> Result<()> {
        if labels.is_empty() {
            return Ok(());
        }
        self.crab
            .issues(&self.owner, &self.repo)
            .add_labels(number, labels)
            .await
            .map(|_| ())
            .map_err(|e| self.error(&format!("/issues/{number}/labels"), e))
    }

    pub async fn request_reviewers(&self, number: u64, reviewers: &[String], teams: &[String]) -> Result<()> {
        if reviewers.is_empty() && teams.is_empty() {
            return Ok(());
        }
        self.crab
            .pulls(&self.owner, &self.repo)
            .request_reviews(number, reviewers.to_vec(), teams.to_vec())
            .await
            .map(|_| ())
            .map_err(|e| self.error(&format!("/pulls/{number}/requested_reviewers"), e))
    }
}

/// An open pull request as [`open_pulls`] reads it.
#[derive(Deserialize)]
struct PullItem {
    html_url: String,
    head: PullHead,
}

#[derive(Deserialize)]
struct PullHead {
    #[serde(rename = "ref")]
    branch: String,
    /// `null` when the head's repository was deleted.
    #[serde(default)]
    repo: Option<PullRepo>,
}

#[derive(Deserialize)]
struct PullRepo {
    full_name: String,
}

/// The open pull requests of the release whose head is a branch of the release itself: head
/// ref → URL. One request (and one per further page of 100, at most `MAX_PULL_PAGES` in all).
pub async fn open_pulls(http: &Http, source: &Source, token: &Secret) -> Result<BTreeMap<String, String>> {
    let api = source.github_api_url.as_str().trim_end_matches('/');
    let repo = &source.repository;
    let mut next = Some(
        Url::parse(&format!("{api}/repos/{}/{}/pulls?state=open&per_page=100", repo.owner, repo.name))
            .map_err(|e| Error::config("source.github_api_url", e.to_string()))?,
    );
    let mut out = BTreeMap::new();
    let mut pages = 0;
    while let Some(url) = next.take() {
        // Read whole inside the retry loop, so a page cut off half-way is asked for again.
        let (headers, body) = http.get_whole(&url, Auth::Bearer(token), "application/vnd.github+json").await?;
        next = link_next(&headers).filter(|_| pages + 1 < MAX_PULL_PAGES);
        let items: Vec<PullItem> = serde_json::from_slice(&body).map_err(|e| {
            Error::garbage(url.as_str(), format!("not a list of pull requests: {e}"), Some(Box::new(e)))
        })?;
        let full = repo.to_string();
        for p in items {
            if p.head.repo.as_ref().is_some_and(|r| r.full_name.eq_ignore_ascii_case(&full)) {
                out.entry(p.head.branch).or_insert(p.html_url);
            }
        }
        pages += 1;
    }
    Ok(out)
}
