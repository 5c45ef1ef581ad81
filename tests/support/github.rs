//! The GitHub REST API part of `Upstream`: repositories with releases and assets, answered in
//! GitHub's documented JSON (the shapes octocrab's `models::repos::{Release, Asset}` read).
//!
//! Endpoints: `GET /repos/{o}/{r}/releases` (paged, `Link` header), `/releases/{id}`,
//! `/releases/tags/{tag}`, `/releases/latest`, `/releases/assets/{id}` (JSON, or the bytes with
//! `Accept: application/octet-stream`), and `GET /download/{o}/{r}/{tag}/{name}` (what
//! `browser_download_url` points at). Drafts are seen only with a token that has push access.
//!
//! Repository names are case-insensitive, as on GitHub. Each `Repo` also holds its pull requests,
//! labels and linked git repository; their endpoints live in `pulls.rs` and are merged into
//! `routes()` here.

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header::{ACCEPT, CONTENT_TYPE, LINK};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::server::{credential, lock};
use super::upstream::Shared;

/// A release to add with `Upstream::add_release`. `Release::new("v1.2.3")` is a published,
/// non-prerelease release named after its tag, with no assets.
#[derive(Clone, Debug)]
pub struct Release {
    pub tag: String,
    /// `None` serialises as `"name": null`.
    pub name: Option<String>,
    pub draft: bool,
    pub prerelease: bool,
    /// RFC 3339; `None`: dated by `add_release` (see there).
    pub created_at: Option<String>,
    pub body: String,
    pub target_commitish: String,
    pub assets: Vec<Asset>,
}

/// A release asset. With `digest`, its JSON carries `"digest": "sha256:<hex>"`, as GitHub gives for
/// assets uploaded since mid-2025; without, `null`, as for older ones.
#[derive(Clone, Debug)]
pub struct Asset {
    pub name: String,
    pub bytes: Vec<u8>,
    pub digest: bool,
}

impl Release {
    pub fn new(tag: &str) -> Release {
        Release {
            tag: tag.to_owned(),
            name: Some(tag.to_owned()),
            draft: false,
            prerelease: false,
            created_at: None,
            body: format!("Release notes for {tag}."),
            target_commitish: "main".to_owned(),
            assets: Vec::new(),
        }
    }

    pub fn name(mut self, name: Option<&str>) -> Release {
        self.name = name.map(str::to_owned);
        self
    }

    pub fn draft(mut self) -> Release {
        self.draft = true;
        self
    }

    pub fn prerelease(mut self) -> Release {
        self.prerelease = true;
        self
    }

    /// Sets `created_at` (RFC 3339, e.g. `2024-10-01T12:00:00Z`).
    pub fn created(mut self, rfc3339: &str) -> Release {
        self.created_at = Some(rfc3339.to_owned());
        self
    }

    pub fn body(mut self, body: &str) -> Release {
        self.body = body.to_owned();
        self
    }

    /// Adds an asset whose JSON carries its sha256 `digest`.
    pub fn asset(mut self, name: &str, bytes: impl Into<Vec<u8>>) -> Release {
        self.assets.push(Asset { name: name.to_owned(), bytes: bytes.into(), digest: true });
        self
    }

    /// Adds an asset whose `digest` is `null`.
    pub fn asset_without_digest(mut self, name: &str, bytes: impl Into<Vec<u8>>) -> Release {
        self.assets.push(Asset { name: name.to_owned(), bytes: bytes.into(), digest: false });
        self
    }

    /// Adds a `SHA256SUMS` asset (goreleaser's `<hex>  <filename>` lines) for the assets added so
    /// far.
    pub fn with_sha256sums(self) -> Release {
        self.with_sums_file("SHA256SUMS")
    }

    /// Like `with_sha256sums`, under another name (`sha256sums.txt`, …).
    pub fn with_sums_file(self, file_name: &str) -> Release {
        let sums = sha256sums(self.assets.iter().map(|a| (a.name.as_str(), a.bytes.as_slice())));
        self.asset(file_name, sums)
    }
}

/// goreleaser / `shasum -a 256` format: one `<hex>  <name>\n` line per file.
pub fn sha256sums<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    files.into_iter().map(|(name, bytes)| format!("{}  {name}\n", sha256_hex(bytes))).collect()
}

/// Lower-case hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The GitHub state: repositories by lower-cased `owner/name`.
#[derive(Default)]
pub(crate) struct GitHub {
    repos: BTreeMap<String, Repo>,
    next_id: u64,
}

/// One repository: its releases, the tokens that know it, and its pull requests.
pub(crate) struct Repo {
    /// The repository id in JSON (100001, 100002, … in order of first use).
    pub(super) id: u64,
    /// `owner/name` as first added, used in URLs.
    pub(super) full_name: String,
    /// Newest `created_at` first (ties: the later added first), as GitHub lists them.
    releases: Vec<StoredRelease>,
    push_tokens: BTreeSet<String>,
    /// Known tokens without push access (`grant_read`).
    read_tokens: BTreeSet<String>,
    /// Pull requests, labels and the linked bare git repository (see `pulls.rs`).
    pub(super) pulls: super::pulls::RepoPulls,
}

struct StoredRelease {
    id: u64,
    release: Release,
    created: OffsetDateTime,
    assets: Vec<StoredAsset>,
}

struct StoredAsset {
    id: u64,
    download_count: u64,
}

impl GitHub {
    pub(super) fn key(repo: &str) -> String {
        repo.to_ascii_lowercase()
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        1000 + self.next_id
    }

    pub(crate) fn repo_mut(&mut self, repo: &str) -> &mut Repo {
        assert!(repo.split('/').count() == 2, "repository must be owner/name, got {repo:?}");
        let id = 100_001 + self.repos.len() as u64;
        self.repos.entry(Self::key(repo)).or_insert_with(|| Repo {
            id,
            full_name: repo.to_owned(),
            releases: Vec::new(),
            push_tokens: BTreeSet::new(),
            read_tokens: BTreeSet::new(),
            pulls: Default::default(),
        })
    }

    pub(super) fn repo(&self, owner: &str, name: &str) -> Option<&Repo> {
        self.repos.get(&Self::key(&format!("{owner}/{name}")))
    }

    /// The repository `owner/name` if it is known (no creation, unlike `repo_mut`).
    pub(super) fn existing_mut(&mut self, full_name: &str) -> Option<&mut Repo> {
        self.repos.get_mut(&Self::key(full_name))
    }

    pub(crate) fn grant_read(&mut self, repo: &str, token: &str) {
        self.repo_mut(repo).read_tokens.insert(token.to_owned());
    }

    /// Whether `token` was registered for any repository, with push access or without.
    pub(crate) fn knows_token(&self, token: &str) -> bool {
        self.repos.values().any(|r| r.push_tokens.contains(token) || r.read_tokens.contains(token))
    }

    /// Whether any token at all was registered (`grant_push` or `grant_read`).
    pub(crate) fn has_any_token(&self) -> bool {
        self.repos.values().any(|r| !r.push_tokens.is_empty() || !r.read_tokens.is_empty())
    }

    pub(crate) fn grant_push(&mut self, repo: &str, token: &str) {
        self.repo_mut(repo).push_tokens.insert(token.to_owned());
    }

    pub(crate) fn has_push_token(&self, repo_key: &str, token: &str) -> bool {
        self.repos.get(&Self::key(repo_key)).is_some_and(|r| r.push_tokens.contains(token))
    }

    pub(crate) fn add_release(&mut self, repo: &str, release: Release) -> u64 {
        let id = self.next_id();
        let asset_ids: Vec<u64> = release.assets.iter().map(|_| self.next_id()).collect();
        let r = self.repo_mut(repo);
        assert!(
            !r.releases.iter().any(|s| s.release.tag == release.tag),
            "{repo} already has a release tagged {}",
            release.tag
        );
        let created = match &release.created_at {
            Some(text) => OffsetDateTime::parse(text, &Rfc3339)
                .unwrap_or_else(|e| panic!("created_at {text:?} is not RFC 3339: {e}")),
            None => {
                OffsetDateTime::from_unix_timestamp(1_704_067_200).expect("2024-01-01")
                    + time::Duration::days(r.releases.len() as i64)
            }
        };
        let assets = asset_ids.into_iter().map(|id| StoredAsset { id, download_count: 0 }).collect();
        r.releases.push(StoredRelease { id, release, created, assets });
        r.releases.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
        id
    }

    pub(crate) fn remove_release(&mut self, repo: &str, tag: &str) -> bool {
        let Some(r) = self.repos.get_mut(&Self::key(repo)) else {
            return false;
        };
        let before = r.releases.len();
        r.releases.retain(|s| s.release.tag != tag);
        r.releases.len() != before
    }

    pub(crate) fn asset_bytes(&self, repo: &str, tag: &str, name: &str) -> Option<Vec<u8>> {
        let r = self.repos.get(&Self::key(repo))?;
        let release = r.releases.iter().find(|s| s.release.tag == tag)?;
        release.release.assets.iter().find(|a| a.name == name).map(|a| a.bytes.clone())
    }
}

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/repos/{owner}/{repo}/releases", get(list_releases))
        .route("/repos/{owner}/{repo}/releases/latest", get(latest_release))
        .route("/repos/{owner}/{repo}/releases/tags/{tag}", get(release_by_tag))
        .route("/repos/{owner}/{repo}/releases/assets/{id}", get(asset))
        .route("/repos/{owner}/{repo}/releases/{id}", get(release_by_id))
        .route("/download/{owner}/{repo}/{tag}/{name}", get(browser_download))
        .merge(super::pulls::routes())
}

/// GitHub's error body: `{"message", "documentation_url", "status"}`.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": status.as_u16().to_string(),
    });
    (status, Json(body)).into_response()
}

fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not Found")
}

/// What a request may see of one repository: its releases, drafts only with push access.
struct View<'a> {
    base: &'a str,
    repo: &'a Repo,
    drafts: bool,
}

impl<'a> View<'a> {
    fn visible(&self) -> impl Iterator<Item = &'a StoredRelease> + 'a {
        let drafts = self.drafts;
        self.repo.releases.iter().filter(move |s| drafts || !s.release.draft)
    }

    fn release_json(&self, s: &StoredRelease) -> Value {
        let base = self.base;
        let full = &self.repo.full_name;
        let r = &s.release;
        let created = format_time(s.created);
        let assets: Vec<Value> = r
            .assets
            .iter()
            .zip(&s.assets)
            .map(|(a, stored)| {
                json!({
                    "url": format!("{base}/repos/{full}/releases/assets/{}", stored.id),
                    "id": stored.id,
                    "node_id": format!("RA_kwDO{:08}", stored.id),
                    "name": a.name,
                    "label": "",
                    "uploader": user_json(base),
                    "content_type": content_type(&a.name),
                    "state": "uploaded",
                    "size": a.bytes.len(),
                    "digest": a.digest.then(|| format!("sha256:{}", sha256_hex(&a.bytes))),
                    "download_count": stored.download_count,
                    "created_at": created,
                    "updated_at": created,
                    "browser_download_url": format!("{base}/download/{full}/{}/{}", r.tag, a.name),
                })
            })
            .collect();
        json!({
            "url": format!("{base}/repos/{full}/releases/{}", s.id),
            "assets_url": format!("{base}/repos/{full}/releases/{}/assets", s.id),
            "upload_url": format!("{base}/repos/{full}/releases/{}/assets{{?name,label}}", s.id),
            "html_url": format!("{base}/{full}/releases/tag/{}", r.tag),
            "id": s.id,
            "author": user_json(base),
            "node_id": format!("RE_kwDO{:08}", s.id),
            "tag_name": r.tag,
            "target_commitish": r.target_commitish,
            "name": r.name,
            "draft": r.draft,
            "prerelease": r.prerelease,
            "created_at": created,
            "published_at": if r.draft { Value::Null } else { Value::String(created.clone()) },
            "assets": assets,
            "tarball_url": format!("{base}/repos/{full}/tarball/{}", r.tag),
            "zipball_url": format!("{base}/repos/{full}/zipball/{}", r.tag),
            "body": r.body,
        })
    }
}

/// Runs `f` with the view of `owner/repo` this request may have, or answers 404.
fn with_view(
    shared: &Shared,
    owner: &str,
    repo: &str,
    headers: &HeaderMap,
    f: impl FnOnce(&View) -> Response,
) -> Response {
    let state = lock(shared);
    let Some(r) = state.github.repo(owner, repo) else {
        return not_found();
    };
    let token = credential(headers);
    let drafts = state.can_push(&format!("{owner}/{repo}"), token.as_deref());
    f(&View { base: &state.base, repo: r, drafts })
}

async fn list_releases(
    State(shared): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect();
    let number =
        |key: &str| query.iter().find(|(k, _)| k == key).and_then(|(_, v)| v.parse::<usize>().ok()).filter(|n| *n > 0);
    let per_page = number("per_page").unwrap_or(30).min(100);
    let page = number("page").unwrap_or(1);

    with_view(&shared, &owner, &repo, &headers, |view| {
        let all: Vec<&StoredRelease> = view.visible().collect();
        let last = all.len().div_ceil(per_page);
        let items: Vec<Value> =
            all.iter().skip((page - 1).saturating_mul(per_page)).take(per_page).map(|s| view.release_json(s)).collect();
        let mut response = Json(items).into_response();
        if last > 1 {
            let link = link_header(view.base, uri.path(), &query, page, last);
            response.headers_mut().insert(LINK, HeaderValue::from_str(&link).expect("link header"));
        }
        response
    })
}

/// GitHub's `Link` header: `<url>; rel="prev", <url>; rel="next", <url>; rel="last", <url>;
/// rel="first"`, each URL the request's own with `page` replaced.
pub(super) fn link_header(base: &str, path: &str, query: &[(String, String)], page: usize, last: usize) -> String {
    let page_url = |p: usize| {
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in query.iter().filter(|(k, _)| k != "page") {
            serializer.append_pair(k, v);
        }
        serializer.append_pair("page", &p.to_string());
        format!("{base}{path}?{}", serializer.finish())
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(format!("<{}>; rel=\"prev\"", page_url((page - 1).min(last))));
    }
    if page < last {
        links.push(format!("<{}>; rel=\"next\"", page_url(page + 1)));
        links.push(format!("<{}>; rel=\"last\"", page_url(last)));
    }
    if page > 1 {
        links.push(format!("<{}>; rel=\"first\"", page_url(1)));
    }
    links.join(", ")
}

async fn latest_release(
    State(shared): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    with_view(&shared, &owner, &repo, &headers, |view| {
        // Drafts never count, whoever asks.
        match view.repo.releases.iter().find(|s| !s.release.draft && !s.release.prerelease) {
            Some(s) => Json(view.release_json(s)).into_response(),
            None => not_found(),
        }
    })
}

async fn release_by_tag(
    State(shared): State<Shared>,
    Path((owner, repo, tag)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    with_view(&shared, &owner, &repo, &headers, |view| {
        // "Get a published release with the specified tag name": drafts are not found by tag.
        match view.repo.releases.iter().find(|s| !s.release.draft && s.release.tag == tag) {
            Some(s) => Json(view.release_json(s)).into_response(),
            None => not_found(),
        }
    })
}

async fn release_by_id(
    State(shared): State<Shared>,
    Path((owner, repo, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    with_view(&shared, &owner, &repo, &headers, |view| match view.visible().find(|s| Some(s.id) == id.parse().ok()) {
        Some(s) => Json(view.release_json(s)).into_response(),
        None => not_found(),
    })
}

async fn asset(
    State(shared): State<Shared>,
    Path((owner, repo, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    let wants_bytes =
        headers.get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/octet-stream"));
    let mut state = lock(&shared);
    let token = credential(&headers);
    let drafts = state.can_push(&format!("{owner}/{repo}"), token.as_deref());
    let base = state.base.clone();
    let Some(r) = state.github.repos.get_mut(&GitHub::key(&format!("{owner}/{repo}"))) else {
        return not_found();
    };
    let Some((ri, ai)) = r.releases.iter().enumerate().find_map(|(ri, s)| {
        let ai = s.assets.iter().position(|a| a.id == id)?;
        (drafts || !s.release.draft).then_some((ri, ai))
    }) else {
        return not_found();
    };
    if wants_bytes {
        r.releases[ri].assets[ai].download_count += 1;
        return octet_stream(r.releases[ri].release.assets[ai].bytes.clone());
    }
    let view = View { base: &base, repo: r, drafts };
    let mut release = view.release_json(&r.releases[ri]);
    Json(release["assets"][ai].take()).into_response()
}

async fn browser_download(
    State(shared): State<Shared>,
    Path((owner, repo, tag, name)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut state = lock(&shared);
    let token = credential(&headers);
    let drafts = state.can_push(&format!("{owner}/{repo}"), token.as_deref());
    let Some(r) = state.github.repos.get_mut(&GitHub::key(&format!("{owner}/{repo}"))) else {
        return not_found();
    };
    let Some(s) = r.releases.iter_mut().find(|s| s.release.tag == tag && (drafts || !s.release.draft)) else {
        return not_found();
    };
    let Some(ai) = s.release.assets.iter().position(|a| a.name == name) else {
        return not_found();
    };
    s.assets[ai].download_count += 1;
    octet_stream(s.release.assets[ai].bytes.clone())
}

fn octet_stream(bytes: Vec<u8>) -> Response {
    ([(CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
}

fn content_type(name: &str) -> &'static str {
    if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        "application/gzip"
    } else if name.ends_with(".zip") {
        "application/zip"
    } else if name.ends_with(".txt") || name.contains("SUMS") || name.ends_with(".sha256") {
        "text/plain"
    } else {
        "application/octet-stream"
    }
}

pub(super) fn format_time(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC).format(&Rfc3339).expect("RFC 3339 time")
}

/// GitHub's "simple user" object of the release uploader, every URL on this server.
fn user_json(base: &str) -> Value {
    user_json_for(base, "release-bot", 1, "MDQ6VXNlcjE=", "User")
}

/// GitHub's "simple user" object for `login` (`kind`: `User`, `Organization` or `Bot`).
pub(super) fn user_json_for(base: &str, login: &str, id: u64, node_id: &str, kind: &str) -> Value {
    let user = format!("{base}/users/{login}");
    json!({
        "login": login,
        "id": id,
        "node_id": node_id,
        "avatar_url": format!("{base}/avatars/u/1?v=4"),
        "gravatar_id": "",
        "url": user,
        "html_url": format!("{base}/{login}"),
        "followers_url": format!("{user}/followers"),
        "following_url": format!("{user}/following{{/other_user}}"),
        "gists_url": format!("{user}/gists{{/gist_id}}"),
        "starred_url": format!("{user}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{user}/subscriptions"),
        "organizations_url": format!("{user}/orgs"),
        "repos_url": format!("{user}/repos"),
        "events_url": format!("{user}/events{{/privacy}}"),
        "received_events_url": format!("{user}/received_events"),
        "type": kind,
        "user_view_type": "public",
        "site_admin": false,
    })
}
