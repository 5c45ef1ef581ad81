//! The pull request endpoints of the GitHub stand-in, driven through octocrab (so its models
//! must read every answer) and through raw HTTP where octocrab cannot send what is tested
//! (missing fields, no token, a 502 it would retry).

mod support;

use std::path::PathBuf;

use octocrab::models::pulls::{MergeableState, PullRequest};
use octocrab::models::{IssueState, Label, Repository};
use octocrab::{Octocrab, params};
use serde_json::{Value, json};
use support::Upstream;
use support::fixtures::{self, commit_file, head_of};
use support::pulls::BOT_LOGIN;

const REPO: &str = "cloudfoundry/nats-release";
const OWNER: &str = "cloudfoundry";
const NAME: &str = "nats-release";
const TOKEN: &str = "push-token";
const BRANCH: &str = "currency/nats-server-v2.10.22";

/// An upstream whose `REPO` is linked to the `smoke` fixture with one commit on `BRANCH`, and
/// `TOKEN` has push access.
struct World {
    upstream: Upstream,
    bare: PathBuf,
    _dir: tempfile::TempDir,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let bare = fixtures::release_repo("smoke", dir.path());
    commit_file(
        &bare,
        BRANCH,
        "packages/nats-server/spec.lock",
        "name: nats-server\nfingerprint: abc\n",
        "Bump nats-server to v2.10.22",
    );
    let upstream = Upstream::start();
    upstream.link_git(REPO, &bare);
    upstream.grant_push(REPO, TOKEN);
    World { upstream, bare, _dir: dir }
}

/// An octocrab client on `rt` (its buffer task needs a runtime when built).
fn octocrab(rt: &tokio::runtime::Runtime, upstream: &Upstream, token: Option<&str>) -> Octocrab {
    let _entered = rt.enter();
    let builder = Octocrab::builder();
    let builder = match token {
        Some(token) => builder.personal_token(token.to_owned()),
        None => builder,
    };
    builder.base_uri(upstream.url()).unwrap().build().unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

/// The GitHub error inside an octocrab error: (status, message, errors).
#[track_caller]
fn github_error<T: std::fmt::Debug>(result: octocrab::Result<T>) -> (u16, String, Vec<Value>) {
    match result {
        Err(octocrab::Error::GitHub { source, .. }) => {
            (source.status_code.as_u16(), source.message.clone(), source.errors.clone().unwrap_or_default())
        }
        other => panic!("expected a GitHub error, got {other:?}"),
    }
}

/// A request with a JSON body (or none), answered whole: (status, body as JSON or `null`).
fn send(method: &str, url: &str, token: Option<&str>, body: Option<&str>) -> (u16, Value, reqwest::header::HeaderMap) {
    runtime().block_on(async {
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let mut request = client.request(method.parse().unwrap(), url);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_owned());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value, headers)
    })
}

fn api(upstream: &Upstream, path: &str) -> String {
    format!("{}/repos/{REPO}{path}", upstream.url())
}

/// Every key of `value` named in `keys` is present (null counts as present).
#[track_caller]
fn assert_keys(value: &Value, keys: &[&str]) {
    let object = value.as_object().unwrap_or_else(|| panic!("not an object: {value}"));
    let missing: Vec<&&str> = keys.iter().filter(|k| !object.contains_key(**k)).collect();
    assert!(missing.is_empty(), "missing {missing:?} in {value:#}");
}

const PULL_KEYS: &[&str] = &[
    "url",
    "id",
    "node_id",
    "html_url",
    "diff_url",
    "patch_url",
    "issue_url",
    "commits_url",
    "review_comments_url",
    "review_comment_url",
    "comments_url",
    "statuses_url",
    "number",
    "state",
    "locked",
    "title",
    "user",
    "body",
    "labels",
    "milestone",
    "active_lock_reason",
    "created_at",
    "updated_at",
    "closed_at",
    "merged_at",
    "merge_commit_sha",
    "assignee",
    "assignees",
    "requested_reviewers",
    "requested_teams",
    "head",
    "base",
    "_links",
    "author_association",
    "auto_merge",
    "draft",
];

/// Only in the answer about one pull request, not in the list.
const FULL_ONLY_KEYS: &[&str] = &[
    "merged",
    "mergeable",
    "rebaseable",
    "mergeable_state",
    "merged_by",
    "comments",
    "review_comments",
    "maintainer_can_modify",
    "commits",
    "additions",
    "deletions",
    "changed_files",
];

const USER_KEYS: &[&str] = &[
    "login",
    "id",
    "node_id",
    "avatar_url",
    "gravatar_id",
    "url",
    "html_url",
    "followers_url",
    "following_url",
    "gists_url",
    "starred_url",
    "subscriptions_url",
    "organizations_url",
    "repos_url",
    "events_url",
    "received_events_url",
    "type",
    "site_admin",
];

#[test]
fn a_pull_request_goes_through_its_life_with_octocrab() {
    let rt = runtime();
    let w = world();
    let head_sha = head_of(&w.bare, BRANCH);
    let main_sha = head_of(&w.bare, "main");
    let github = octocrab(&rt, &w.upstream, Some(TOKEN));
    let pulls = github.pulls(OWNER, NAME);
    let head = format!("{OWNER}:{BRANCH}");

    rt.block_on(async {
        let repo: Repository = github.repos(OWNER, NAME).get().await.unwrap();
        assert_eq!(repo.full_name.as_deref(), Some(REPO));
        assert_eq!(repo.default_branch.as_deref(), Some("main"));
        assert_eq!(repo.owner.as_ref().unwrap().login, OWNER);
        let permissions = repo.permissions.unwrap();
        assert!(permissions.push && permissions.pull && !permissions.admin);

        let none = pulls.list().state(params::State::Open).head(head.clone()).send().await.unwrap();
        assert!(none.items.is_empty());

        let created: PullRequest = pulls
            .create("Bump nats-server to v2.10.22", BRANCH, "main")
            .body("Upstream released v2.10.22.")
            .draft(false)
            .maintainer_can_modify(true)
            .send()
            .await
            .unwrap();
        assert_eq!(created.number, 1);
        assert_eq!(created.state, Some(IssueState::Open));
        assert_eq!(created.title.as_deref(), Some("Bump nats-server to v2.10.22"));
        assert_eq!(created.body.as_deref(), Some("Upstream released v2.10.22."));
        assert_eq!(created.draft, Some(false));
        assert_eq!(created.user.as_ref().unwrap().login, BOT_LOGIN);
        assert_eq!(created.head.ref_field, BRANCH);
        assert_eq!(created.head.label.as_deref(), Some(head.as_str()));
        assert_eq!(created.head.sha, head_sha);
        assert_eq!(created.base.ref_field, "main");
        assert_eq!(created.base.sha, main_sha);
        assert_eq!(created.base.repo.as_ref().unwrap().full_name.as_deref(), Some(REPO));
        assert_eq!(created.commits, Some(1));
        assert_eq!(created.additions, Some(2));
        assert_eq!(created.deletions, Some(0));
        assert_eq!(created.changed_files, Some(1));
        assert_eq!(created.merged, Some(false));
        assert_eq!(created.mergeable, None);
        assert_eq!(created.mergeable_state, Some(MergeableState::Unknown));
        assert_eq!(created.maintainer_can_modify, Some(true));
        assert!(created.created_at.is_some() && created.closed_at.is_none());
        assert_eq!(created.html_url.as_ref().unwrap().as_str(), format!("{}/{REPO}/pull/1", w.upstream.url()));

        let found = pulls.list().state(params::State::Open).head(head.clone()).base("main").send().await.unwrap();
        assert_eq!(found.items.iter().map(|p| p.number).collect::<Vec<_>>(), [1]);
        // The list has GitHub's simple form: no `commits`.
        assert_eq!(found.items[0].commits, None);

        let updated = pulls
            .update(1)
            .title("Bump nats-server to v2.10.23")
            .body("Upstream released v2.10.23.")
            .send()
            .await
            .unwrap();
        assert_eq!(updated.title.as_deref(), Some("Bump nats-server to v2.10.23"));
        assert_eq!(updated.body.as_deref(), Some("Upstream released v2.10.23."));
        assert!(updated.updated_at >= created.updated_at);

        let issues = github.issues(OWNER, NAME);
        let labels: Vec<Label> = issues.add_labels(1, &["dependencies".to_owned(), "bosh".to_owned()]).await.unwrap();
        assert_eq!(names(&labels), ["dependencies", "bosh"]);
        let labels = issues.add_labels(1, &["Dependencies".to_owned(), "automated".to_owned()]).await.unwrap();
        assert_eq!(names(&labels), ["dependencies", "bosh", "automated"]);
        assert_ne!(labels[0].id, labels[1].id);
        assert!(labels[0].url.as_str().ends_with("/labels/dependencies"));
        let labels = issues.replace_all_labels(1, &["release".to_owned(), "bosh".to_owned()]).await.unwrap();
        assert_eq!(names(&labels), ["release", "bosh"]);

        // Typed as a Review by octocrab, although GitHub answers with the pull request.
        let review = pulls.request_reviews(1, vec!["alice".to_owned()], vec!["release-team".to_owned()]).await.unwrap();
        assert_eq!(review.user.as_ref().unwrap().login, BOT_LOGIN);
        pulls.request_reviews(1, vec!["Alice".to_owned(), "bob".to_owned()], Vec::<String>::new()).await.unwrap();

        let got = pulls.get(1).await.unwrap();
        let reviewers: Vec<&str> = got.requested_reviewers.as_ref().unwrap().iter().map(|u| u.login.as_str()).collect();
        assert_eq!(reviewers, ["alice", "bob"]);
        let teams = got.requested_teams.as_ref().unwrap();
        assert_eq!(teams.len(), 1);
        assert_eq!(teams[0].slug, "release-team");
        assert_eq!(names(got.labels.as_deref().unwrap()), ["release", "bosh"]);
    });

    assert_eq!(w.upstream.labels_of(REPO, 1), ["release", "bosh"]);
    assert_eq!(
        w.upstream.reviewers_of(REPO, 1),
        (vec!["alice".to_owned(), "bob".to_owned()], vec!["release-team".to_owned()])
    );

    // A push to the branch moves the open pull request's head.
    let pushed = commit_file(&w.bare, BRANCH, "README.md", "more\n", "Another commit");
    let stored = w.upstream.pull(REPO, 1).unwrap();
    assert_eq!(stored["head"]["sha"], pushed.as_str());
    assert_eq!(stored["commits"], 2);

    // A human closes it: gone from the open list, kept in closed and all, head frozen.
    w.upstream.close_pull(REPO, 1);
    commit_file(&w.bare, BRANCH, "README.md", "later\n", "After closing");
    rt.block_on(async {
        let open = pulls.list().state(params::State::Open).head(head.clone()).send().await.unwrap();
        assert!(open.items.is_empty());
        let closed = pulls.list().state(params::State::Closed).send().await.unwrap();
        assert_eq!(closed.items.len(), 1);
        assert_eq!(closed.items[0].state, Some(IssueState::Closed));
        assert!(closed.items[0].closed_at.is_some());
        assert_eq!(closed.items[0].head.sha, pushed);
        let all = pulls.list().state(params::State::All).send().await.unwrap();
        assert_eq!(all.items.len(), 1);

        // The branch can get a new pull request now, numbered on.
        let again = pulls.create("Bump nats-server to v2.10.24", head.clone(), "main").send().await.unwrap();
        assert_eq!(again.number, 2);
        assert_eq!(again.body, None);
        // Reopening the first would make two open pull requests for one branch.
        let reopen = pulls.update(1).state(params::pulls::State::Open).send().await;
        let (status, _, errors) = github_error(reopen);
        assert_eq!(status, 422);
        assert_eq!(errors[0]["message"], format!("A pull request already exists for {OWNER}:{BRANCH}."));
        let closed = pulls.update(2).state(params::pulls::State::Closed).send().await.unwrap();
        assert_eq!(closed.state, Some(IssueState::Closed));
    });
    let stored = w.upstream.pulls(REPO);
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|p| p["state"] == "closed"));
}

fn names(labels: &[Label]) -> Vec<&str> {
    labels.iter().map(|l| l.name.as_str()).collect()
}

#[test]
fn every_answer_carries_github_documented_fields() {
    let w = world();
    let number = w.upstream.open_pull(REPO, BRANCH, "main", "Bump");
    assert_eq!(number, 1);
    let token = Some(TOKEN);
    let (status, labels, _) =
        send("POST", &api(&w.upstream, "/issues/1/labels"), token, Some(r#"{"labels": ["dependencies"]}"#));
    assert_eq!(status, 200);
    assert_keys(&labels[0], &["id", "node_id", "url", "name", "description", "color", "default"]);
    serde_json::from_value::<Vec<Label>>(labels).unwrap();
    let (status, _, _) = send(
        "POST",
        &api(&w.upstream, "/pulls/1/requested_reviewers"),
        token,
        Some(r#"{"reviewers": ["alice"], "team_reviewers": ["release-team"]}"#),
    );
    assert_eq!(status, 201);

    let (status, full, _) = send("GET", &api(&w.upstream, "/pulls/1"), token, None);
    assert_eq!(status, 200);
    assert_keys(&full, PULL_KEYS);
    assert_keys(&full, FULL_ONLY_KEYS);
    assert_keys(&full["user"], USER_KEYS);
    assert_keys(&full["requested_reviewers"][0], USER_KEYS);
    assert_keys(
        &full["requested_teams"][0],
        &[
            "id",
            "node_id",
            "url",
            "html_url",
            "name",
            "slug",
            "description",
            "privacy",
            "permission",
            "members_url",
            "repositories_url",
            "parent",
        ],
    );
    for side in ["head", "base"] {
        assert_keys(&full[side], &["label", "ref", "sha", "user", "repo"]);
        assert_keys(
            &full[side]["repo"],
            &["id", "name", "full_name", "owner", "private", "html_url", "url", "default_branch"],
        );
    }
    assert_keys(
        &full["_links"],
        &["self", "html", "issue", "comments", "review_comments", "review_comment", "commits", "statuses"],
    );
    assert_eq!(full["state"], "open");
    assert_eq!(full["mergeable_state"], "unknown");
    assert_eq!(full["milestone"], Value::Null);
    assert_eq!(full["auto_merge"], Value::Null);
    assert_eq!(full["assignees"], json!([]));
    for stamp in ["created_at", "updated_at"] {
        let text = full[stamp].as_str().unwrap();
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("{stamp} {text:?} is not RFC 3339: {e}"));
    }
    assert_eq!(w.upstream.pull(REPO, 1).unwrap(), full);
    serde_json::from_value::<PullRequest>(full).unwrap();

    let (_, list, _) = send("GET", &api(&w.upstream, "/pulls"), token, None);
    assert_keys(&list[0], PULL_KEYS);
    for key in FULL_ONLY_KEYS {
        assert!(list[0].get(key).is_none(), "{key} is not in GitHub's list");
    }
    serde_json::from_value::<Vec<PullRequest>>(list).unwrap();

    let (status, repo, _) = send("GET", &api(&w.upstream, ""), token, None);
    assert_eq!(status, 200);
    assert_keys(
        &repo,
        &["id", "name", "full_name", "owner", "private", "html_url", "url", "default_branch", "permissions"],
    );
    assert_eq!(
        repo["permissions"],
        json!({"admin": false, "maintain": false, "push": true, "triage": true, "pull": true})
    );
    assert_eq!(repo["open_issues_count"], 1);
    serde_json::from_value::<Repository>(repo).unwrap();
    let (_, anonymous, _) = send("GET", &api(&w.upstream, ""), None, None);
    assert!(anonymous.get("permissions").is_none());
}

#[test]
fn creation_is_validated_like_github() {
    let rt = runtime();
    let w = world();
    let url = api(&w.upstream, "/pulls");
    let token = Some(TOKEN);

    let (status, body, _) = send("POST", &url, token, Some(r#"{"body": "no title"}"#));
    assert_eq!(status, 422);
    assert_eq!(body["message"], "Validation Failed");
    let missing: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["code"] == "missing_field")
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(missing, ["title", "head", "base"]);

    let (status, body, _) = send("POST", &url, token, Some("{not json"));
    assert_eq!((status, body["message"].as_str()), (400, Some("Problems parsing JSON")));

    let github = octocrab(&rt, &w.upstream, Some(TOKEN));
    let pulls = github.pulls(OWNER, NAME);
    rt.block_on(async {
        let (status, message, errors) = github_error(pulls.create("t", "no-such-branch", "main").send().await);
        assert_eq!((status, message.as_str()), (422, "Validation Failed"));
        assert_eq!(errors, [json!({"resource": "PullRequest", "field": "head", "code": "invalid"})]);
        let (_, _, errors) = github_error(pulls.create("t", BRANCH, "no-such-base").send().await);
        assert_eq!(errors[0]["field"], "base");
        // A fork's branch: not modelled, so not found.
        let (status, _, _) = github_error(pulls.create("t", format!("someone:{BRANCH}"), "main").send().await);
        assert_eq!(status, 422);
        let (_, _, errors) = github_error(pulls.create("t", "main", "main").send().await);
        assert_eq!(errors[0]["message"], "No commits between main and main");

        pulls.create("first", BRANCH, "main").send().await.unwrap();
        for head in [BRANCH.to_owned(), format!("{OWNER}:{BRANCH}")] {
            let (status, message, errors) = github_error(pulls.create("second", head, "main").send().await);
            assert_eq!((status, message.as_str()), (422, "Validation Failed"));
            assert_eq!(
                errors,
                [json!({
                    "resource": "PullRequest",
                    "code": "custom",
                    "message": format!("A pull request already exists for {OWNER}:{BRANCH}."),
                })]
            );
        }
        let (status, _, _) = github_error(pulls.get(7).await);
        assert_eq!(status, 404);
        let (status, _, _) = github_error(github.pulls(OWNER, "unknown").get(1).await);
        assert_eq!(status, 404);
    });
    assert_eq!(w.upstream.pulls(REPO).len(), 1);

    // Without a linked git repository no branch exists.
    let upstream = Upstream::start();
    upstream.grant_push(REPO, TOKEN);
    let (status, body, _) = send(
        "POST",
        &api(&upstream, "/pulls"),
        token,
        Some(&json!({"title": "t", "head": BRANCH, "base": "main"}).to_string()),
    );
    assert_eq!(status, 422, "{body}");
    assert!(upstream.pulls(REPO).is_empty());
}

#[test]
fn writes_need_a_token_with_push_access() {
    let rt = runtime();
    let w = world();
    w.upstream.grant_read(REPO, "read-token");
    let number = w.upstream.open_pull(REPO, BRANCH, "main", "Bump");
    let writes = [
        ("POST", "/pulls", r#"{"title": "t", "head": "x", "base": "main"}"#),
        ("PATCH", "/pulls/1", r#"{"title": "t"}"#),
        ("POST", "/issues/1/labels", r#"{"labels": ["a"]}"#),
        ("PUT", "/issues/1/labels", r#"{"labels": ["a"]}"#),
        ("POST", "/pulls/1/requested_reviewers", r#"{"reviewers": ["alice"]}"#),
    ];
    for (method, path, body) in writes {
        let url = api(&w.upstream, path);
        let (status, answer, _) = send(method, &url, Some("read-token"), Some(body));
        assert_eq!(
            (status, answer["message"].as_str()),
            (403, Some("Resource not accessible by personal access token")),
            "{method} {path}"
        );
        let (status, answer, _) = send(method, &url, Some("stolen-token"), Some(body));
        assert_eq!((status, answer["message"].as_str()), (401, Some("Bad credentials")), "{method} {path}");
        let (status, answer, _) = send(method, &url, None, Some(body));
        assert_eq!((status, answer["message"].as_str()), (401, Some("Requires authentication")), "{method} {path}");
    }
    let pull = w.upstream.pull(REPO, number).unwrap();
    assert_eq!(pull["title"], "Bump");
    assert_eq!(pull["labels"], json!([]));
    assert_eq!(w.upstream.pulls(REPO).len(), 1);

    // Reads work with the read token, which proves itself without push.
    let reader = octocrab(&rt, &w.upstream, Some("read-token"));
    rt.block_on(async {
        let repo = reader.repos(OWNER, NAME).get().await.unwrap();
        assert!(!repo.permissions.unwrap().push);
        let listed = reader.pulls(OWNER, NAME).list().send().await.unwrap();
        assert_eq!(listed.items.len(), 1);
        let (status, message, _) = github_error(reader.issues(OWNER, NAME).add_labels(1, &["a".to_owned()]).await);
        assert_eq!((status, message.as_str()), (403, "Resource not accessible by personal access token"));
    });
    // The author cannot be asked to review.
    let (status, body, _) = send(
        "POST",
        &api(&w.upstream, "/pulls/1/requested_reviewers"),
        Some(TOKEN),
        Some(&json!({"reviewers": [BOT_LOGIN]}).to_string()),
    );
    assert_eq!(status, 422);
    assert_eq!(body["message"], "Review cannot be requested from pull request author.");
}

#[test]
fn the_list_filters_pages_and_sorts_like_github() {
    let rt = runtime();
    let w = world();
    for n in 2..=4 {
        commit_file(&w.bare, &format!("branch-{n}"), "notes.txt", &n.to_string(), "change");
    }
    commit_file(&w.bare, "develop", "notes.txt", "develop", "develop");
    assert_eq!(w.upstream.open_pull(REPO, BRANCH, "main", "one"), 1);
    for n in 2..=4 {
        let base = if n == 4 { "develop" } else { "main" };
        let head = format!("branch-{n}");
        assert_eq!(w.upstream.open_pull(REPO, &head, base, &format!("pr {n}")), n);
    }
    let numbers = |query: &str| -> Vec<u64> {
        let (status, body, _) = send("GET", &api(&w.upstream, &format!("/pulls{query}")), None, None);
        assert_eq!(status, 200, "{query}: {body}");
        body.as_array().unwrap().iter().map(|p| p["number"].as_u64().unwrap()).collect()
    };
    // Newest first by default; oldest first when asked.
    assert_eq!(numbers(""), [4, 3, 2, 1]);
    assert_eq!(numbers("?direction=asc"), [1, 2, 3, 4]);
    assert_eq!(numbers("?base=develop"), [4]);
    assert_eq!(numbers(&format!("?head={OWNER}:branch-2")), [2]);
    assert_eq!(numbers(&format!("?head={}:branch-2", OWNER.to_uppercase())), [2]);
    assert_eq!(numbers("?head=someone-else:branch-2"), Vec::<u64>::new());
    // A bare branch name does not filter at all, as on GitHub.
    assert_eq!(numbers("?head=branch-2"), [4, 3, 2, 1]);

    w.upstream.close_pull(REPO, 3);
    assert_eq!(numbers(""), [4, 2, 1]);
    assert_eq!(numbers("?state=closed"), [3]);
    assert_eq!(numbers("?state=all&per_page=3"), [4, 3, 2]);

    let (_, _, headers) = send("GET", &api(&w.upstream, "/pulls?state=all&per_page=3"), None, None);
    let link = headers.get("link").unwrap().to_str().unwrap();
    assert!(
        link.contains(&format!("<{}>; rel=\"next\"", api(&w.upstream, "/pulls?state=all&per_page=3&page=2"))),
        "{link}"
    );
    assert_eq!(numbers("?state=all&per_page=3&page=2"), [1]);

    // octocrab follows the Link header.
    let github = octocrab(&rt, &w.upstream, None);
    let all = rt.block_on(async {
        let page = github.pulls(OWNER, NAME).list().state(params::State::All).per_page(2).send().await.unwrap();
        assert_eq!(page.number_of_pages(), Some(2));
        github.all_pages(page).await.unwrap()
    });
    assert_eq!(all.iter().map(|p| p.number).collect::<Vec<_>>(), [4, 3, 2, 1]);

    // Numbers count per repository.
    let dir = tempfile::tempdir().unwrap();
    let other = fixtures::release_repo("smoke", dir.path());
    commit_file(&other, "feature", "x.txt", "x", "x");
    w.upstream.link_git("cloudfoundry/other-release", &other);
    assert_eq!(w.upstream.open_pull("cloudfoundry/other-release", "feature", "main", "x"), 1);
}

#[test]
fn injected_failures_reach_the_pull_endpoints() {
    let rt = runtime();
    let w = world();
    let path = format!("/repos/{REPO}/pulls");
    let body = json!({"title": "t", "head": BRANCH, "base": "main"}).to_string();

    w.upstream.fail_next(&path, 502, 1);
    let (status, _, _) = send("POST", &api(&w.upstream, "/pulls"), Some(TOKEN), Some(&body));
    assert_eq!(status, 502);
    assert!(w.upstream.pulls(REPO).is_empty(), "a failed request changes nothing");

    // octocrab's default client retries a 5xx, POST included: one pull request results.
    w.upstream.fail_next(&path, 502, 1);
    w.upstream.clear_requests();
    let github = octocrab(&rt, &w.upstream, Some(TOKEN));
    let created = rt.block_on(github.pulls(OWNER, NAME).create("t", BRANCH, "main").send()).unwrap();
    assert_eq!(created.number, 1);
    let statuses: Vec<(String, u16)> = w.upstream.requests().iter().map(|r| (r.method.clone(), r.status)).collect();
    assert_eq!(statuses, [("POST".to_owned(), 502), ("POST".to_owned(), 201)]);
    assert_eq!(w.upstream.pulls(REPO).len(), 1);

    // Label and reviewer writes fail the same way; a GET failure is not confused with 404.
    w.upstream.fail_next(&format!("/repos/{REPO}/issues/1/labels"), 500, 1);
    let (status, _, _) = send("POST", &api(&w.upstream, "/issues/1/labels"), Some(TOKEN), Some(r#"{"labels": ["a"]}"#));
    assert_eq!(status, 500);
    assert!(w.upstream.labels_of(REPO, 1).is_empty());
    w.upstream.fail_next(&format!("/repos/{REPO}/pulls/1"), 503, 1);
    let (status, _, _) = send("GET", &api(&w.upstream, "/pulls/1"), Some(TOKEN), None);
    assert_eq!(status, 503);
    let (status, _, _) = send("GET", &api(&w.upstream, "/pulls/1"), Some(TOKEN), None);
    assert_eq!(status, 200);
}
