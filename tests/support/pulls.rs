//! Pull requests on `Upstream`'s GitHub, answered in GitHub's documented JSON (the shapes
//! octocrab's `models::pulls::PullRequest`, `models::Label` and `models::Repository` read).
//!
//! Endpoints, all under the API base and behind the same middleware as releases (injected
//! failures, tokens, rate limit, ETags, request log):
//! - `GET /repos/{o}/{r}`: the repository, with `permissions` for the caller when a token is sent;
//!   `default_branch` is the HEAD of the linked git repository (`main` when none is linked).
//! - `GET /repos/{o}/{r}/pulls?state&head&base&sort&direction&per_page&page`: GitHub's "simple"
//!   form (no `merged`, `mergeable`, `commits`, `additions`, … — those only come with one pull
//!   request). `state` defaults to `open`; `head` filters only in the form `owner:branch` — a bare
//!   branch name is silently ignored, as GitHub does; `Link` paging like the releases list.
//! - `POST /repos/{o}/{r}/pulls` → `201` and the full object; `GET` / `PATCH
//!   /repos/{o}/{r}/pulls/{n}`.
//! - `GET` / `POST` (add) / `PUT` (replace) `/repos/{o}/{r}/issues/{n}/labels`: label objects;
//!   unknown label names are created in the repository, as GitHub does.
//! - `POST /repos/{o}/{r}/pulls/{n}/requested_reviewers` → `201` and the pull request.
//!
//! Writes (POST/PATCH/PUT) need a token with push access (`grant_push` or `require_token`):
//! without a token `401 "Requires authentication"`, with a known token lacking push access (e.g.
//! `grant_read`) `403 "Resource not accessible by personal access token"`; an unknown token is
//! already `401 "Bad credentials"` in the middleware once any token is registered.
//!
//! Branches live in the bare git repository given to `Upstream::link_git`: the head branch must
//! exist there (else `422`), `sha`s are read there with the git CLI (live while the pull request is
//! open, frozen when it closes), and so are `commits`, `additions`, `deletions` and
//! `changed_files` (`base..head` and `git diff --numstat base...head`). Without a linked
//! repository no branch exists, so no pull request can be created.
//!
//! Every pull request is authored by `BOT_LOGIN`, whatever the token. Not modelled: forks
//! (`head` must be a branch of the same repository), merging, issues that are not pull requests,
//! comments, reviews, milestones, assignees, reopening checks other than the duplicate one.

// Handlers answer early with a ready `Response`; boxing it would only add noise here.
#![allow(clippy::result_large_err)]

use std::path::{Path as FsPath, PathBuf};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{LINK, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::fixtures::git_output;
use super::github::{Repo, error, format_time, link_header, user_json_for};
use super::server::{credential, lock};
use super::upstream::{Inner, Shared};

/// The login every pull request is opened by (the user behind any token).
pub const BOT_LOGIN: &str = "currency-bot";

const DOCS_CREATE: &str = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request";
const DOCS_UPDATE: &str = "https://docs.github.com/rest/pulls/pulls#update-a-pull-request";
const DOCS_LABELS: &str = "https://docs.github.com/rest/issues/labels";
const DOCS_REVIEWERS: &str = "https://docs.github.com/rest/pulls/review-requests#request-reviewers-for-a-pull-request";

/// One repository's pull requests, labels and linked git repository.
#[derive(Default)]
pub(crate) struct RepoPulls {
    git: Option<PathBuf>,
    /// By number: `list[n - 1]` is pull request `n`.
    list: Vec<StoredPull>,
    /// The repository's labels, created on first use.
    labels: Vec<StoredLabel>,
}

struct StoredLabel {
    id: u64,
    name: String,
    color: String,
}

struct StoredPull {
    number: u64,
    title: String,
    body: Option<String>,
    open: bool,
    draft: bool,
    maintainer_can_modify: bool,
    head_ref: String,
    base_ref: String,
    /// The last commits seen; used when the branch no longer resolves or the pull is closed.
    head_sha: String,
    base_sha: String,
    user: String,
    /// Names as stored in `RepoPulls::labels`.
    labels: Vec<String>,
    reviewers: Vec<String>,
    teams: Vec<String>,
    created: OffsetDateTime,
    updated: OffsetDateTime,
    closed: Option<OffsetDateTime>,
}

/// An error answer decided by the pull request logic: a status and GitHub's JSON body.
pub(crate) struct Rejection {
    status: StatusCode,
    body: Value,
}

impl Rejection {
    fn new(status: StatusCode, message: &str, docs: &str, errors: Option<Vec<Value>>) -> Rejection {
        let mut body = json!({
            "message": message,
            "documentation_url": docs,
            "status": status.as_u16().to_string(),
        });
        if let Some(errors) = errors {
            body["errors"] = Value::Array(errors);
        }
        Rejection { status, body }
    }

    /// `422 {"message": "Validation Failed", "errors": [...]}`.
    fn validation(docs: &str, errors: Vec<Value>) -> Rejection {
        Rejection::new(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed", docs, Some(errors))
    }

    fn problems_parsing_json(docs: &str) -> Rejection {
        Rejection::new(StatusCode::BAD_REQUEST, "Problems parsing JSON", docs, None)
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.body)
    }
}

fn field_error(resource: &str, field: &str, code: &str) -> Value {
    json!({"resource": resource, "field": field, "code": code})
}

fn custom_error(message: &str) -> Value {
    json!({"resource": "PullRequest", "code": "custom", "message": message})
}

// --- git -------------------------------------------------------------------------------------

fn git_text(bare: &FsPath, args: &[&str]) -> Option<String> {
    let output = git_output(bare, args);
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The commit `refs/heads/<branch>` points at, if the repository is linked and has the branch.
fn resolve(git: Option<&FsPath>, branch: &str) -> Option<String> {
    let bare = git?;
    if branch.is_empty() {
        return None;
    }
    git_text(bare, &["rev-parse", "--verify", "-q", &format!("refs/heads/{branch}^{{commit}}")])
}

fn default_branch(git: Option<&FsPath>) -> String {
    git.and_then(|bare| git_text(bare, &["symbolic-ref", "--short", "HEAD"])).unwrap_or_else(|| "main".to_owned())
}

fn merge_base(git: &FsPath, a: &str, b: &str) -> Option<String> {
    git_text(git, &["merge-base", a, b])
}

/// `commits` (`base..head`), then `additions`, `deletions`, `changed_files` of `base...head`.
fn stats(git: Option<&FsPath>, base_sha: &str, head_sha: &str) -> (u64, u64, u64, u64) {
    let Some(bare) = git else {
        return (0, 0, 0, 0);
    };
    let commits = git_text(bare, &["rev-list", "--count", &format!("{base_sha}..{head_sha}")])
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let numstat = git_text(bare, &["diff", "--numstat", &format!("{base_sha}...{head_sha}")]).unwrap_or_default();
    let (mut additions, mut deletions, mut files) = (0, 0, 0);
    for line in numstat.lines().filter(|l| !l.is_empty()) {
        let mut parts = line.split('\t');
        additions += parts.next().and_then(|n| n.parse().ok()).unwrap_or(0u64);
        deletions += parts.next().and_then(|n| n.parse().ok()).unwrap_or(0u64);
        files += 1;
    }
    (commits, additions, deletions, files)
}

// --- ids and small objects -------------------------------------------------------------------

/// A stable id for a login or team slug (FNV-1a, folded into 8 digits).
fn stable_id(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.to_ascii_lowercase().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    10_000_000 + hash % 90_000_000
}

fn user(base: &str, login: &str, kind: &str) -> Value {
    let id = stable_id(login);
    user_json_for(base, login, id, &format!("U_kgDO{id:08}"), kind)
}

fn owner_of(full_name: &str) -> &str {
    full_name.split('/').next().unwrap_or_default()
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc().replace_nanosecond(0).expect("zero nanoseconds")
}

/// Percent-encodes a path segment (label names may hold spaces and slashes).
fn encode_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn label_json(base: &str, full: &str, label: &StoredLabel) -> Value {
    json!({
        "id": label.id,
        "node_id": format!("LA_kwDO{:010}", label.id),
        "url": format!("{base}/repos/{full}/labels/{}", encode_segment(&label.name)),
        "name": label.name,
        "description": null,
        "color": label.color,
        "default": false,
    })
}

fn team_json(base: &str, full: &str, slug: &str) -> Value {
    let id = stable_id(&format!("team:{slug}"));
    let org_id = stable_id(owner_of(full));
    let team = format!("{base}/organizations/{org_id}/team/{id}");
    json!({
        "id": id,
        "node_id": format!("T_kwDO{id:08}"),
        "url": team,
        "html_url": format!("{base}/orgs/{}/teams/{slug}", owner_of(full)),
        "name": slug,
        "slug": slug,
        "description": null,
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "permission": "pull",
        "members_url": format!("{team}/members{{/member}}"),
        "repositories_url": format!("{team}/repos"),
        "parent": null,
    })
}

/// The `*_url` fields of a repository: (field, suffix of the repository's API URL).
const REPO_URLS: &[(&str, &str)] = &[
    ("forks_url", "/forks"),
    ("keys_url", "/keys{/key_id}"),
    ("collaborators_url", "/collaborators{/collaborator}"),
    ("teams_url", "/teams"),
    ("hooks_url", "/hooks"),
    ("issue_events_url", "/issues/events{/number}"),
    ("events_url", "/events"),
    ("assignees_url", "/assignees{/user}"),
    ("branches_url", "/branches{/branch}"),
    ("tags_url", "/tags"),
    ("blobs_url", "/git/blobs{/sha}"),
    ("git_tags_url", "/git/tags{/sha}"),
    ("git_refs_url", "/git/refs{/sha}"),
    ("trees_url", "/git/trees{/sha}"),
    ("statuses_url", "/statuses/{sha}"),
    ("languages_url", "/languages"),
    ("stargazers_url", "/stargazers"),
    ("contributors_url", "/contributors"),
    ("subscribers_url", "/subscribers"),
    ("subscription_url", "/subscription"),
    ("commits_url", "/commits{/sha}"),
    ("git_commits_url", "/git/commits{/sha}"),
    ("comments_url", "/comments{/number}"),
    ("issue_comment_url", "/issues/comments{/number}"),
    ("contents_url", "/contents/{+path}"),
    ("compare_url", "/compare/{base}...{head}"),
    ("merges_url", "/merges"),
    ("archive_url", "/{archive_format}{/ref}"),
    ("downloads_url", "/downloads"),
    ("issues_url", "/issues{/number}"),
    ("pulls_url", "/pulls{/number}"),
    ("milestones_url", "/milestones{/number}"),
    ("notifications_url", "/notifications{?since,all,participating}"),
    ("labels_url", "/labels{/name}"),
    ("releases_url", "/releases{/id}"),
    ("deployments_url", "/deployments"),
];

/// GitHub's full repository object; `permissions` (the caller's) only when given.
fn repo_json(base: &str, repo: &Repo, permissions: Option<Value>) -> Value {
    let full = &repo.full_name;
    let (owner, name) = full.split_once('/').unwrap_or((full, full));
    let api = format!("{base}/repos/{full}");
    let host = base.trim_start_matches("http://").trim_start_matches("https://");
    let open_issues = repo.pulls.list.iter().filter(|p| p.open).count();
    let created = "2024-01-01T00:00:00Z";
    let mut value = json!({
        "id": repo.id,
        "node_id": format!("R_kgDO{:08}", repo.id),
        "name": name,
        "full_name": full,
        "private": false,
        "owner": user(base, owner, "Organization"),
        "html_url": format!("{base}/{full}"),
        "description": null,
        "fork": false,
        "url": api,
    });
    for (field, suffix) in REPO_URLS {
        value[*field] = json!(format!("{api}{suffix}"));
    }
    let rest = json!({
        "created_at": created,
        "updated_at": created,
        "pushed_at": created,
        "git_url": format!("git://{host}/{full}.git"),
        "ssh_url": format!("git@{host}:{full}.git"),
        "clone_url": format!("{base}/{full}.git"),
        "svn_url": format!("{base}/{full}"),
        "homepage": null,
        "size": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "language": null,
        "has_issues": true,
        "has_projects": true,
        "has_downloads": true,
        "has_wiki": true,
        "has_pages": false,
        "has_discussions": false,
        "forks_count": 0,
        "mirror_url": null,
        "archived": false,
        "disabled": false,
        "open_issues_count": open_issues,
        "license": null,
        "allow_forking": true,
        "is_template": false,
        "web_commit_signoff_required": false,
        "topics": [],
        "visibility": "public",
        "forks": 0,
        "open_issues": open_issues,
        "watchers": 0,
        "default_branch": default_branch(repo.pulls.git.as_deref()),
    });
    if let (Some(object), Value::Object(rest)) = (value.as_object_mut(), rest) {
        object.extend(rest);
    }
    if let Some(permissions) = permissions {
        value["permissions"] = permissions;
        value["network_count"] = json!(0);
        value["subscribers_count"] = json!(0);
    }
    value
}

/// The commits a pull request's head and base point at now: the branches' while open (when they
/// still resolve), the last seen ones otherwise.
fn current_shas(repo: &Repo, p: &StoredPull) -> (String, String) {
    let git = repo.pulls.git.as_deref();
    if !p.open {
        return (p.head_sha.clone(), p.base_sha.clone());
    }
    (
        resolve(git, &p.head_ref).unwrap_or_else(|| p.head_sha.clone()),
        resolve(git, &p.base_ref).unwrap_or_else(|| p.base_sha.clone()),
    )
}

/// A pull request as GitHub answers it: `full` for one pull request (GET/POST/PATCH), otherwise
/// the "simple" form of the list. `repo_value` is `repo_json(base, repo, None)`.
fn pull_json(base: &str, repo: &Repo, repo_value: &Value, p: &StoredPull, full: bool) -> Value {
    let name = &repo.full_name;
    let owner = owner_of(name);
    let api = format!("{base}/repos/{name}");
    let n = p.number;
    let id = repo.id * 1_000_000 + n;
    let url = format!("{api}/pulls/{n}");
    let html_url = format!("{base}/{name}/pull/{n}");
    let issue_url = format!("{api}/issues/{n}");
    let comments_url = format!("{issue_url}/comments");
    let review_comments_url = format!("{url}/comments");
    let review_comment_url = format!("{api}/pulls/comments{{/number}}");
    let commits_url = format!("{url}/commits");
    let (head_sha, base_sha) = current_shas(repo, p);
    let statuses_url = format!("{api}/statuses/{head_sha}");
    let labels: Vec<Value> = p
        .labels
        .iter()
        .filter_map(|l| repo.pulls.labels.iter().find(|s| &s.name == l))
        .map(|l| label_json(base, name, l))
        .collect();
    let branch = |r: &str, sha: &str| {
        json!({
            "label": format!("{owner}:{r}"),
            "ref": r,
            "sha": sha,
            "user": user(base, owner, "Organization"),
            "repo": repo_value,
        })
    };
    let links = json!({
        "self": {"href": url},
        "html": {"href": html_url},
        "issue": {"href": issue_url},
        "comments": {"href": comments_url},
        "review_comments": {"href": review_comments_url},
        "review_comment": {"href": review_comment_url},
        "commits": {"href": commits_url},
        "statuses": {"href": statuses_url},
    });
    let mut value = json!({
        "url": url,
        "id": id,
        "node_id": format!("PR_kwDO{id:012}"),
        "html_url": html_url,
        "diff_url": format!("{html_url}.diff"),
        "patch_url": format!("{html_url}.patch"),
        "issue_url": issue_url,
        "commits_url": commits_url,
        "review_comments_url": review_comments_url,
        "review_comment_url": review_comment_url,
        "comments_url": comments_url,
        "statuses_url": statuses_url,
    });
    let rest = json!({
        "number": n,
        "state": if p.open { "open" } else { "closed" },
        "locked": false,
        "title": p.title,
        "user": user(base, &p.user, "User"),
        "body": p.body,
        "labels": labels,
        "milestone": null,
        "active_lock_reason": null,
        "created_at": format_time(p.created),
        "updated_at": format_time(p.updated),
        "closed_at": p.closed.map(format_time),
        "merged_at": null,
        "merge_commit_sha": null,
        "assignee": null,
        "assignees": [],
        "requested_reviewers": p.reviewers.iter().map(|r| user(base, r, "User")).collect::<Vec<_>>(),
        "requested_teams": p.teams.iter().map(|t| team_json(base, name, t)).collect::<Vec<_>>(),
        "head": branch(&p.head_ref, &head_sha),
        "base": branch(&p.base_ref, &base_sha),
        "_links": links,
        "author_association": "MEMBER",
        "auto_merge": null,
        "draft": p.draft,
    });
    if let (Some(object), Value::Object(rest)) = (value.as_object_mut(), rest) {
        object.extend(rest);
    }
    if full {
        let (commits, additions, deletions, changed_files) = stats(repo.pulls.git.as_deref(), &base_sha, &head_sha);
        let extra = json!({
            "merged": false,
            "mergeable": null,
            "rebaseable": null,
            "mergeable_state": "unknown",
            "merged_by": null,
            "comments": 0,
            "review_comments": 0,
            "maintainer_can_modify": p.maintainer_can_modify,
            "commits": commits,
            "additions": additions,
            "deletions": deletions,
            "changed_files": changed_files,
        });
        if let (Some(object), Value::Object(extra)) = (value.as_object_mut(), extra) {
            object.extend(extra);
        }
    }
    value
}

fn render(base: &str, repo: &Repo, number: u64) -> Option<Value> {
    let p = repo.pulls.list.get(usize::try_from(number).ok()?.checked_sub(1)?)?;
    Some(pull_json(base, repo, &repo_json(base, repo, None), p, true))
}

// --- the logic -------------------------------------------------------------------------------

/// A JSON request body that must be an object (`400 Problems parsing JSON` otherwise).
fn object_body(body: &[u8], docs: &str) -> Result<Map<String, Value>, Rejection> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Rejection::problems_parsing_json(docs)),
    }
}

/// A string field: `Ok(None)` when absent or null, an `invalid` error when of another type.
fn string_field(fields: &Map<String, Value>, name: &str, errors: &mut Vec<Value>) -> Option<String> {
    match fields.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push(field_error("PullRequest", name, "invalid"));
            None
        }
    }
}

fn bool_field(fields: &Map<String, Value>, name: &str, errors: &mut Vec<Value>) -> Option<bool> {
    match fields.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            errors.push(field_error("PullRequest", name, "invalid"));
            None
        }
    }
}

fn duplicate(repo: &Repo, except: Option<u64>, head: &str, base: &str) -> Option<Rejection> {
    repo.pulls.list.iter().any(|p| p.open && Some(p.number) != except && p.head_ref == head && p.base_ref == base).then(
        || {
            let owner = owner_of(&repo.full_name);
            Rejection::validation(
                DOCS_CREATE,
                vec![custom_error(&format!("A pull request already exists for {owner}:{head}."))],
            )
        },
    )
}

/// `POST /pulls` with the request's fields; returns the new number.
fn create(repo: &mut Repo, fields: &Map<String, Value>, user: &str) -> Result<u64, Rejection> {
    let mut errors = Vec::new();
    let required = |name: &str, errors: &mut Vec<Value>| match fields.get(name) {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            errors.push(field_error("PullRequest", name, "missing_field"));
            String::new()
        }
        Some(_) => {
            errors.push(field_error("PullRequest", name, "invalid"));
            String::new()
        }
    };
    let title = required("title", &mut errors);
    let head = required("head", &mut errors);
    let base = required("base", &mut errors);
    let body = string_field(fields, "body", &mut errors);
    let draft = bool_field(fields, "draft", &mut errors).unwrap_or(false);
    let maintainer_can_modify = bool_field(fields, "maintainer_can_modify", &mut errors).unwrap_or(false);
    if !errors.is_empty() {
        return Err(Rejection::validation(DOCS_CREATE, errors));
    }

    // `head` is `branch` or `owner:branch`; only branches of this repository exist here.
    let owner = owner_of(&repo.full_name).to_owned();
    let head_ref = match head.split_once(':') {
        Some((o, branch)) if o.eq_ignore_ascii_case(&owner) => branch.to_owned(),
        Some(_) => String::new(),
        None => head.clone(),
    };
    let git = repo.pulls.git.as_deref();
    let head_sha = resolve(git, &head_ref);
    let base_sha = resolve(git, &base);
    if head_sha.is_none() {
        errors.push(field_error("PullRequest", "head", "invalid"));
    }
    if base_sha.is_none() {
        errors.push(field_error("PullRequest", "base", "invalid"));
    }
    let (Some(head_sha), Some(base_sha)) = (head_sha, base_sha) else {
        return Err(Rejection::validation(DOCS_CREATE, errors));
    };
    if let Some(rejection) = duplicate(repo, None, &head_ref, &base) {
        return Err(rejection);
    }
    let bare = git.expect("branches resolved, so a repository is linked");
    if merge_base(bare, &base_sha, &head_sha).is_none() {
        // The wording of this message is unverified.
        return Err(Rejection::validation(
            DOCS_CREATE,
            vec![custom_error(&format!("The {head_ref} branch has no history in common with {base}"))],
        ));
    }
    if stats(git, &base_sha, &head_sha).0 == 0 {
        return Err(Rejection::validation(
            DOCS_CREATE,
            vec![custom_error(&format!("No commits between {base} and {head_ref}"))],
        ));
    }

    let number = repo.pulls.list.len() as u64 + 1;
    let at = now();
    repo.pulls.list.push(StoredPull {
        number,
        title,
        body,
        open: true,
        draft,
        maintainer_can_modify,
        head_ref,
        base_ref: base,
        head_sha,
        base_sha,
        user: user.to_owned(),
        labels: Vec::new(),
        reviewers: Vec::new(),
        teams: Vec::new(),
        created: at,
        updated: at,
        closed: None,
    });
    Ok(number)
}

fn pull_mut(repo: &mut Repo, number: u64) -> Option<&mut StoredPull> {
    let index = usize::try_from(number).ok()?.checked_sub(1)?;
    repo.pulls.list.get_mut(index)
}

/// Closes pull request `index` (0-based), freezing its commits.
fn close(repo: &mut Repo, index: usize, at: OffsetDateTime) {
    let git = repo.pulls.git.clone();
    let p = &mut repo.pulls.list[index];
    if let Some(sha) = resolve(git.as_deref(), &p.head_ref) {
        p.head_sha = sha;
    }
    if let Some(sha) = resolve(git.as_deref(), &p.base_ref) {
        p.base_sha = sha;
    }
    p.open = false;
    p.closed = Some(at);
    p.updated = at;
}

/// `PATCH /pulls/{n}` with the request's fields.
fn update(repo: &mut Repo, number: u64, fields: &Map<String, Value>) -> Result<(), Rejection> {
    let mut errors = Vec::new();
    let title = string_field(fields, "title", &mut errors);
    let body = match fields.get("body") {
        Some(Value::Null) => Some(None),
        _ => string_field(fields, "body", &mut errors).map(Some),
    };
    let state = string_field(fields, "state", &mut errors);
    let base = string_field(fields, "base", &mut errors);
    let maintainer_can_modify = bool_field(fields, "maintainer_can_modify", &mut errors);
    let open = match state.as_deref() {
        None => None,
        Some("open") => Some(true),
        Some("closed") => Some(false),
        Some(_) => {
            errors.push(field_error("PullRequest", "state", "invalid"));
            None
        }
    };
    let base_sha = base.as_deref().map(|b| resolve(repo.pulls.git.as_deref(), b));
    if base_sha == Some(None) {
        errors.push(field_error("PullRequest", "base", "invalid"));
    }
    if !errors.is_empty() {
        return Err(Rejection::validation(DOCS_UPDATE, errors));
    }
    let index = usize::try_from(number - 1).expect("index");
    let (was_open, head_ref, old_base) = {
        let p = &repo.pulls.list[index];
        (p.open, p.head_ref.clone(), p.base_ref.clone())
    };
    let will_be_open = open.unwrap_or(was_open);
    let new_base = base.clone().unwrap_or(old_base);
    if will_be_open && let Some(rejection) = duplicate(repo, Some(number), &head_ref, &new_base) {
        return Err(rejection);
    }

    let at = now();
    if was_open && !will_be_open {
        close(repo, index, at);
    }
    let p = &mut repo.pulls.list[index];
    if let Some(title) = title {
        p.title = title;
    }
    if let Some(body) = body {
        p.body = body;
    }
    if let (Some(base), Some(Some(sha))) = (base, base_sha) {
        p.base_ref = base;
        p.base_sha = sha;
    }
    if let Some(m) = maintainer_can_modify {
        p.maintainer_can_modify = m;
    }
    if !was_open && will_be_open {
        p.open = true;
        p.closed = None;
    }
    p.updated = at;
    Ok(())
}

/// Label names from `{"labels": [...]}` or a bare array, items strings or `{"name": ...}`.
fn label_names(body: &[u8]) -> Result<Vec<String>, Rejection> {
    let value: Value = serde_json::from_slice(body).map_err(|_| Rejection::problems_parsing_json(DOCS_LABELS))?;
    let items = match &value {
        Value::Array(items) => Some(items),
        Value::Object(map) => map.get("labels").and_then(Value::as_array),
        _ => None,
    };
    let invalid = || Rejection::validation(DOCS_LABELS, vec![field_error("Label", "labels", "invalid")]);
    let Some(items) = items else {
        return Err(invalid());
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
            Value::Object(o) => o
                .get("name")
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned)
                .ok_or_else(invalid),
            _ => Err(invalid()),
        })
        .collect()
}

/// Adds (or with `replace`, sets) labels on pull request `number`, creating unknown labels in the
/// repository (color `ededed`). Names match case-insensitively; no duplicates.
fn set_labels(repo: &mut Repo, number: u64, names: &[String], replace: bool) {
    let base_id = repo.id * 1_000_000 + 500_000;
    let mut resolved = Vec::new();
    for name in names {
        let labels = &mut repo.pulls.labels;
        let stored = match labels.iter().find(|l| l.name.eq_ignore_ascii_case(name)) {
            Some(l) => l.name.clone(),
            None => {
                let id = base_id + labels.len() as u64 + 1;
                labels.push(StoredLabel { id, name: name.clone(), color: "ededed".to_owned() });
                name.clone()
            }
        };
        resolved.push(stored);
    }
    let p = pull_mut(repo, number).expect("pull request checked");
    if replace {
        p.labels.clear();
    }
    for name in resolved {
        if !p.labels.contains(&name) {
            p.labels.push(name);
        }
    }
    p.updated = now();
}

fn labels_value(base: &str, repo: &Repo, number: u64) -> Value {
    let p = &repo.pulls.list[usize::try_from(number - 1).expect("index")];
    Value::Array(
        p.labels
            .iter()
            .filter_map(|l| repo.pulls.labels.iter().find(|s| &s.name == l))
            .map(|l| label_json(base, &repo.full_name, l))
            .collect(),
    )
}

fn string_list(fields: &Map<String, Value>, name: &str, errors: &mut Vec<Value>) -> Vec<String> {
    match fields.get(name) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).map(str::to_owned).collect()
        }
        Some(_) => {
            errors.push(field_error("PullRequest", name, "invalid"));
            Vec::new()
        }
    }
}

fn request_reviewers(repo: &mut Repo, number: u64, fields: &Map<String, Value>) -> Result<(), Rejection> {
    let mut errors = Vec::new();
    let reviewers = string_list(fields, "reviewers", &mut errors);
    let teams = string_list(fields, "team_reviewers", &mut errors);
    if !errors.is_empty() {
        return Err(Rejection::validation(DOCS_REVIEWERS, errors));
    }
    let p = pull_mut(repo, number).expect("pull request checked");
    if reviewers.iter().any(|r| r.eq_ignore_ascii_case(&p.user)) {
        return Err(Rejection::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Review cannot be requested from pull request author.",
            DOCS_REVIEWERS,
            None,
        ));
    }
    for r in reviewers {
        if !p.reviewers.iter().any(|have| have.eq_ignore_ascii_case(&r)) {
            p.reviewers.push(r);
        }
    }
    for t in teams {
        if !p.teams.iter().any(|have| have.eq_ignore_ascii_case(&t)) {
            p.teams.push(t);
        }
    }
    p.updated = now();
    Ok(())
}

// --- handlers --------------------------------------------------------------------------------

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/repos/{owner}/{repo}", get(get_repo))
        .route("/repos/{owner}/{repo}/pulls", get(list_pulls).post(create_pull))
        .route("/repos/{owner}/{repo}/pulls/{number}", get(get_pull).patch(update_pull))
        .route("/repos/{owner}/{repo}/pulls/{number}/requested_reviewers", post(post_reviewers))
        .route("/repos/{owner}/{repo}/issues/{number}/labels", get(get_labels).post(add_labels).put(replace_labels))
}

fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not Found")
}

/// The stored `owner/name` of a known repository, or 404.
fn known(state: &Inner, owner: &str, name: &str) -> Result<String, Response> {
    state.github.repo(owner, name).map(|r| r.full_name.clone()).ok_or_else(not_found)
}

/// Like `known`, and the request may write there: 401 without a token, 403 without push access.
fn writable(state: &Inner, owner: &str, name: &str, headers: &HeaderMap) -> Result<String, Response> {
    let full = known(state, owner, name)?;
    let Some(token) = credential(headers) else {
        return Err(error(StatusCode::UNAUTHORIZED, "Requires authentication"));
    };
    if !state.can_push(&full, Some(&token)) {
        return Err(error(StatusCode::FORBIDDEN, "Resource not accessible by personal access token"));
    }
    Ok(full)
}

/// `number` as a pull request of `repo`, or 404.
fn existing_number(state: &Inner, full: &str, number: &str) -> Result<u64, Response> {
    let (owner, name) = full.split_once('/').expect("owner/name");
    let repo = state.github.repo(owner, name).ok_or_else(not_found)?;
    number.parse::<u64>().ok().filter(|n| *n >= 1 && *n <= repo.pulls.list.len() as u64).ok_or_else(not_found)
}

async fn get_repo(
    State(shared): State<Shared>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let state = lock(&shared);
    let Some(repo) = state.github.repo(&owner, &name) else {
        return not_found();
    };
    let permissions = credential(&headers).map(|token| {
        let push = state.can_push(&repo.full_name, Some(&token));
        json!({"admin": false, "maintain": false, "push": push, "triage": push, "pull": true})
    });
    Json(repo_json(&state.base, repo, permissions)).into_response()
}

async fn list_pulls(State(shared): State<Shared>, Path((owner, name)): Path<(String, String)>, uri: Uri) -> Response {
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect();
    let param = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let number = |key: &str| param(key).and_then(|v| v.parse::<usize>().ok()).filter(|n| *n > 0);
    let per_page = number("per_page").unwrap_or(30).min(100);
    let page = number("page").unwrap_or(1);
    let state_filter = param("state").unwrap_or("open");
    let sort_updated = param("sort") == Some("updated");
    let descending = match param("direction") {
        Some("asc") => false,
        Some("desc") => true,
        _ => matches!(param("sort"), None | Some("created")),
    };

    let state = lock(&shared);
    let Some(repo) = state.github.repo(&owner, &name) else {
        return not_found();
    };
    // `owner:branch` filters; a bare branch name is ignored, as on GitHub.
    let head_filter = param("head").and_then(|h| h.split_once(':'));
    let repo_owner = owner_of(&repo.full_name);
    let mut selected: Vec<&StoredPull> = repo
        .pulls
        .list
        .iter()
        .filter(|p| match state_filter {
            "closed" => !p.open,
            "all" => true,
            _ => p.open,
        })
        .filter(|p| head_filter.is_none_or(|(o, b)| o.eq_ignore_ascii_case(repo_owner) && p.head_ref == b))
        .filter(|p| param("base").is_none_or(|b| p.base_ref == b))
        .collect();
    selected.sort_by_key(|p| (if sort_updated { p.updated } else { p.created }, p.number));
    if descending {
        selected.reverse();
    }
    let last = selected.len().div_ceil(per_page);
    let repo_value = repo_json(&state.base, repo, None);
    let items: Vec<Value> = selected
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(|p| pull_json(&state.base, repo, &repo_value, p, false))
        .collect();
    let mut response = Json(items).into_response();
    if last > 1 {
        let link = link_header(&state.base, uri.path(), &query, page, last);
        response.headers_mut().insert(LINK, HeaderValue::from_str(&link).expect("link header"));
    }
    response
}

async fn create_pull(
    State(shared): State<Shared>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = lock(&shared);
    let full = match writable(&state, &owner, &name, &headers) {
        Ok(full) => full,
        Err(response) => return response,
    };
    let fields = match object_body(&body, DOCS_CREATE) {
        Ok(fields) => fields,
        Err(rejection) => return rejection.into_response(),
    };
    let base = state.base.clone();
    let repo = state.github.existing_mut(&full).expect("known repository");
    match create(repo, &fields, BOT_LOGIN) {
        Ok(number) => {
            let value = render(&base, repo, number).expect("just created");
            let location = value["url"].as_str().unwrap_or_default().to_owned();
            let mut response = (StatusCode::CREATED, Json(value)).into_response();
            if let Ok(location) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(LOCATION, location);
            }
            response
        }
        Err(rejection) => rejection.into_response(),
    }
}

async fn get_pull(
    State(shared): State<Shared>,
    Path((owner, name, number)): Path<(String, String, String)>,
) -> Response {
    let state = lock(&shared);
    let Some(repo) = state.github.repo(&owner, &name) else {
        return not_found();
    };
    match number.parse().ok().and_then(|n| render(&state.base, repo, n)) {
        Some(value) => Json(value).into_response(),
        None => not_found(),
    }
}

/// The common start of a write to one pull request: the repository (404), the token (401/403),
/// the number (404), then the body as a JSON object (400).
fn start_write(
    state: &Inner,
    owner: &str,
    name: &str,
    number: &str,
    headers: &HeaderMap,
) -> Result<(String, u64), Response> {
    let full = writable(state, owner, name, headers)?;
    let number = existing_number(state, &full, number)?;
    Ok((full, number))
}

async fn update_pull(
    State(shared): State<Shared>,
    Path((owner, name, number)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = lock(&shared);
    let (full, number) = match start_write(&state, &owner, &name, &number, &headers) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let fields = match object_body(&body, DOCS_UPDATE) {
        Ok(fields) => fields,
        Err(rejection) => return rejection.into_response(),
    };
    let base = state.base.clone();
    let repo = state.github.existing_mut(&full).expect("known repository");
    match update(repo, number, &fields) {
        Ok(()) => Json(render(&base, repo, number).expect("exists")).into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

async fn post_reviewers(
    State(shared): State<Shared>,
    Path((owner, name, number)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = lock(&shared);
    let (full, number) = match start_write(&state, &owner, &name, &number, &headers) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let fields = match object_body(&body, DOCS_REVIEWERS) {
        Ok(fields) => fields,
        Err(rejection) => return rejection.into_response(),
    };
    let base = state.base.clone();
    let repo = state.github.existing_mut(&full).expect("known repository");
    match request_reviewers(repo, number, &fields) {
        Ok(()) => (StatusCode::CREATED, Json(render(&base, repo, number).expect("exists"))).into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

async fn get_labels(
    State(shared): State<Shared>,
    Path((owner, name, number)): Path<(String, String, String)>,
) -> Response {
    let state = lock(&shared);
    let full = match known(&state, &owner, &name) {
        Ok(full) => full,
        Err(response) => return response,
    };
    let number = match existing_number(&state, &full, &number) {
        Ok(number) => number,
        Err(response) => return response,
    };
    let repo = state.github.repo(&owner, &name).expect("known repository");
    Json(labels_value(&state.base, repo, number)).into_response()
}

async fn write_labels(
    shared: Shared,
    (owner, name, number): (String, String, String),
    headers: HeaderMap,
    body: Bytes,
    replace: bool,
) -> Response {
    let mut state = lock(&shared);
    let (full, number) = match start_write(&state, &owner, &name, &number, &headers) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let names = match label_names(&body) {
        Ok(names) => names,
        Err(rejection) => return rejection.into_response(),
    };
    let base = state.base.clone();
    let repo = state.github.existing_mut(&full).expect("known repository");
    set_labels(repo, number, &names, replace);
    Json(labels_value(&base, repo, number)).into_response()
}

async fn add_labels(
    State(shared): State<Shared>,
    Path(path): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    write_labels(shared, path, headers, body, false).await
}

async fn replace_labels(
    State(shared): State<Shared>,
    Path(path): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    write_labels(shared, path, headers, body, true).await
}

// --- the test API behind `Upstream` ----------------------------------------------------------

pub(crate) fn link_git(state: &mut Inner, repo: &str, bare: &FsPath) {
    let bare = bare.canonicalize().unwrap_or_else(|e| panic!("git repository {}: {e}", bare.display()));
    state.github.repo_mut(repo).pulls.git = Some(bare);
}

#[track_caller]
fn stored<'a>(state: &'a Inner, repo: &str) -> &'a Repo {
    let (owner, name) = repo.split_once('/').unwrap_or_else(|| panic!("repository must be owner/name, got {repo:?}"));
    state.github.repo(owner, name).unwrap_or_else(|| panic!("no repository {repo}"))
}

#[track_caller]
fn stored_pull<'a>(state: &'a Inner, repo: &str, number: u64) -> &'a StoredPull {
    let r = stored(state, repo);
    usize::try_from(number)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| r.pulls.list.get(i))
        .unwrap_or_else(|| panic!("{repo} has no pull request #{number}"))
}

pub(crate) fn pulls(state: &Inner, repo: &str) -> Vec<Value> {
    let (owner, name) = repo.split_once('/').unwrap_or((repo, ""));
    let Some(r) = state.github.repo(owner, name) else {
        return Vec::new();
    };
    let repo_value = repo_json(&state.base, r, None);
    r.pulls.list.iter().map(|p| pull_json(&state.base, r, &repo_value, p, true)).collect()
}

pub(crate) fn pull(state: &Inner, repo: &str, number: u64) -> Option<Value> {
    let (owner, name) = repo.split_once('/')?;
    render(&state.base, state.github.repo(owner, name)?, number)
}

#[track_caller]
pub(crate) fn open_pull(state: &mut Inner, repo: &str, head: &str, base: &str, title: &str) -> u64 {
    let fields = json!({"title": title, "head": head, "base": base});
    let Value::Object(fields) = fields else { unreachable!() };
    let r = state.github.existing_mut(repo).unwrap_or_else(|| panic!("no repository {repo}: link_git first"));
    create(r, &fields, BOT_LOGIN).unwrap_or_else(|rejection| panic!("cannot open a pull request: {rejection}"))
}

#[track_caller]
pub(crate) fn close_pull(state: &mut Inner, repo: &str, number: u64) {
    stored_pull(state, repo, number);
    let r = state.github.existing_mut(repo).expect("known repository");
    let index = usize::try_from(number - 1).expect("index");
    if r.pulls.list[index].open {
        close(r, index, now());
    }
}

#[track_caller]
pub(crate) fn labels_of(state: &Inner, repo: &str, number: u64) -> Vec<String> {
    stored_pull(state, repo, number).labels.clone()
}

#[track_caller]
pub(crate) fn reviewers_of(state: &Inner, repo: &str, number: u64) -> (Vec<String>, Vec<String>) {
    let p = stored_pull(state, repo, number);
    (p.reviewers.clone(), p.teams.clone())
}
