//! "What is the newest?": what each upstream offers, fetched once per upstream however many
//! dependencies follow it.
//!
//! - [`github`]: GitHub releases (all pages, drafts dropped here; tags are interpreted later,
//!   per dependency, through its `tag` template);
//! - [`golang`]: the Go downloads index;
//! - [`goproxy`]: the Go module proxy protocol, retractions applied.
//!
//! Every request is conditional where the server supports it, so a repeated check of an
//! unchanged upstream costs one request answered 304.

pub mod github;
pub mod golang;
pub mod goproxy;
pub mod release;
pub mod vulndb;

use std::collections::BTreeMap;
use std::sync::Arc;

use url::Url;

use crate::cache::Cache;
use crate::error::Result;
use crate::http::Http;
use crate::secrets::Secret;
use crate::source::{Dependency, DependencyKind, RepoSlug, Source};

/// One upstream, as asked: its base URL (validated with the source) and what is asked there.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum UpstreamKey {
    Github {
        api: Url,
        repo: RepoSlug,
    },
    GoIndex {
        url: Url,
    },
    Module {
        proxy: Url,
        path: String,
    },
    /// A source release of vendored packages, by its git URL.
    Release {
        git_url: String,
        repository: RepoSlug,
    },
}

impl UpstreamKey {
    pub fn for_dependency(source: &Source, dep: &Dependency) -> UpstreamKey {
        match &dep.kind {
            DependencyKind::GithubRelease { upstream, .. } => {
                UpstreamKey::Github { api: source.upstream_api_url.clone(), repo: upstream.clone() }
            }
            DependencyKind::Golang { .. } => UpstreamKey::go_index(source),
            DependencyKind::GoModule { module, .. } => {
                UpstreamKey::Module { proxy: source.go_proxy.clone(), path: module.clone() }
            }
            DependencyKind::VendoredPackage { source: from, .. } => {
                UpstreamKey::Release { git_url: from.git_url.clone(), repository: from.repository.clone() }
            }
        }
    }

    pub fn go_index(source: &Source) -> UpstreamKey {
        UpstreamKey::GoIndex { url: source.go_downloads_url.clone() }
    }

    /// A short human name: `nats-io/nats-server`, `Go downloads`, `github.com/nats-io/nats.go`.
    pub fn describe(&self) -> String {
        match self {
            UpstreamKey::Github { repo, .. } => repo.to_string(),
            UpstreamKey::GoIndex { .. } => "Go downloads".into(),
            UpstreamKey::Module { path, .. } => path.clone(),
            UpstreamKey::Release { repository, .. } => repository.to_string(),
        }
    }
}

/// What one upstream offers.
#[derive(Debug, Clone)]
pub enum Offer {
    Github(Arc<Vec<github::Release>>),
    Go(Arc<Vec<golang::GoRelease>>),
    Module(Arc<goproxy::ModuleVersions>),
    Release(Arc<release::SourceRelease>),
}

/// Asks every upstream in `keys` once, concurrently. The first failure is returned.
pub async fn lookup_all(
    http: &Http,
    cache: &Cache,
    token: Option<&Secret>,
    keys: impl IntoIterator<Item = UpstreamKey>,
) -> Result<BTreeMap<UpstreamKey, Offer>> {
    let keys: Vec<UpstreamKey> = {
        let mut k: Vec<_> = keys.into_iter().collect();
        k.sort();
        k.dedup();
        k
    };
    let futures =
        keys.iter().map(|key| async move { lookup(http, cache, token, key).await.map_err(|e| name_upstream(e, key)) });
    let results = futures_util::future::join_all(futures).await;
    let mut out = BTreeMap::new();
    for (key, result) in keys.into_iter().zip(results) {
        out.insert(key, result?);
    }
    Ok(out)
}

/// Says which upstream a failed look-up was for: `… (upstream etcd-io/etcd)`.
fn name_upstream(e: crate::error::Error, key: &UpstreamKey) -> crate::error::Error {
    match e {
        crate::error::Error::Http { url, status, message, kind, source } => crate::error::Error::Http {
            url,
            status,
            message: format!("{message} (upstream {})", key.describe()),
            kind,
            source,
        },
        other => other,
    }
}

pub async fn lookup(http: &Http, cache: &Cache, token: Option<&Secret>, key: &UpstreamKey) -> Result<Offer> {
    Ok(match key {
        UpstreamKey::Github { api, repo } => {
            Offer::Github(Arc::new(github::list_releases(http, cache, api, repo, token).await?))
        }
        UpstreamKey::GoIndex { url } => Offer::Go(Arc::new(golang::list_releases(http, cache, url).await?)),
        UpstreamKey::Module { proxy, path } => {
            Offer::Module(Arc::new(goproxy::list_versions(http, cache, proxy, path).await?))
        }
        UpstreamKey::Release { git_url, .. } => {
            Offer::Release(Arc::new(release::lookup(cache, git_url, token, http.skip_ssl_verification()).await?))
        }
    })
}
