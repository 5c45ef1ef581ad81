//! The test support itself, exercised end to end: the fake upstreams speak the documented wire
//! formats (read back with octocrab's models and client, and a zip reader), the git server works
//! with the git CLI and libgit2, and the process runner isolates what it runs.

mod support;

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;

use support::fixtures::{self, git, git_command};
use support::http::get;
use support::{GitServer, Release, Tmp, Upstream, sha256_hex};

const REPO: &str = "nats-io/nats-server";

fn releases_url(upstream: &Upstream, query: &str) -> String {
    format!("{}/repos/{REPO}/releases{query}", upstream.url())
}

fn tags(body: &serde_json::Value) -> Vec<String> {
    body.as_array()
        .expect("a JSON array")
        .iter()
        .map(|r| r["tag_name"].as_str().expect("tag_name").to_owned())
        .collect()
}

/// `rel` → URL from a `Link` header.
fn links(header: Option<&str>) -> BTreeMap<String, String> {
    header
        .unwrap_or_default()
        .split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let (url, rel) = part.split_once(';').expect("<url>; rel=…");
            let url = url.trim().trim_start_matches('<').trim_end_matches('>');
            let rel = rel.trim().trim_start_matches("rel=\"").trim_end_matches('"');
            (rel.to_owned(), url.to_owned())
        })
        .collect()
}

#[test]
fn releases_are_listed_newest_first_in_pages_linked_like_github() {
    let upstream = Upstream::start();
    // Added out of date order: the list follows created_at, not insertion.
    for (tag, created) in [
        ("v2.10.20", "2024-09-01T00:00:00Z"),
        ("v2.10.22", "2024-10-17T00:00:00Z"),
        ("v2.9.25", "2024-10-18T00:00:00Z"),
        ("v2.10.21", "2024-09-20T00:00:00Z"),
        ("v2.11.0-RC.1", "2024-11-01T00:00:00Z"),
    ] {
        let release = Release::new(tag).created(created).asset("nats-server.tar.gz", tag.as_bytes());
        upstream.add_release(REPO, if tag.contains("RC") { release.prerelease() } else { release });
    }

    let first = get(&releases_url(&upstream, "?per_page=2"), &[]);
    assert_eq!(first.status, 200);
    assert_eq!(tags(&first.json()), ["v2.11.0-RC.1", "v2.9.25"]);
    let first_links = links(first.header("link"));
    assert_eq!(first_links.keys().collect::<Vec<_>>(), ["last", "next"]);
    assert_eq!(first_links["next"], releases_url(&upstream, "?per_page=2&page=2"));
    assert_eq!(first_links["last"], releases_url(&upstream, "?per_page=2&page=3"));

    let second = get(&first_links["next"], &[]);
    assert_eq!(tags(&second.json()), ["v2.10.22", "v2.10.21"]);
    assert_eq!(links(second.header("link")).keys().collect::<Vec<_>>(), ["first", "last", "next", "prev"]);

    let last = get(&first_links["last"], &[]);
    assert_eq!(tags(&last.json()), ["v2.10.20"]);
    let last_links = links(last.header("link"));
    assert_eq!(last_links.keys().collect::<Vec<_>>(), ["first", "prev"]);
    assert_eq!(last_links["first"], releases_url(&upstream, "?per_page=2&page=1"));

    // One page: no Link header.
    assert_eq!(get(&releases_url(&upstream, ""), &[]).header("link"), None);

    // A real client reads the same answers: octocrab's models and its Link-following pager.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let all = runtime.block_on(async {
        let octocrab = octocrab::Octocrab::builder().base_uri(upstream.url()).unwrap().build().unwrap();
        let page = octocrab.repos("nats-io", "nats-server").releases().list().per_page(2u8).send().await.unwrap();
        assert_eq!(page.number_of_pages(), Some(3));
        octocrab.all_pages(page).await.unwrap()
    });
    let listed: Vec<&str> = all.iter().map(|r| r.tag_name.as_str()).collect();
    assert_eq!(listed, ["v2.11.0-RC.1", "v2.9.25", "v2.10.22", "v2.10.21", "v2.10.20"]);
    assert!(all[0].prerelease);
    assert_eq!(all[2].assets[0].digest.as_deref(), Some(format!("sha256:{}", sha256_hex(b"v2.10.22")).as_str()));
}

#[test]
fn the_default_page_holds_30_releases_and_per_page_stops_at_100() {
    let upstream = Upstream::start();
    for n in 0..101 {
        upstream.add_release(REPO, Release::new(&format!("v1.0.{n}")));
    }
    let default = get(&releases_url(&upstream, ""), &[]);
    assert_eq!(tags(&default.json()).len(), 30);
    assert_eq!(tags(&default.json())[0], "v1.0.100", "undated releases are a day apart, newest added last");
    let big = get(&releases_url(&upstream, "?per_page=500"), &[]);
    assert_eq!(tags(&big.json()).len(), 100);
    assert_eq!(links(big.header("link"))["last"], releases_url(&upstream, "?per_page=500&page=2"));
}

#[test]
fn drafts_are_seen_only_with_a_push_token() {
    let upstream = Upstream::start();
    upstream.add_release(REPO, Release::new("v2.10.21"));
    upstream.add_release(REPO, Release::new("v2.10.22").draft());
    upstream.add_release(REPO, Release::new("v2.11.0-RC.1").prerelease());
    upstream.grant_push(REPO, "push-token");
    upstream.grant_push("someone/else", "other-token");

    let anonymous = get(&releases_url(&upstream, ""), &[]);
    assert_eq!(tags(&anonymous.json()), ["v2.11.0-RC.1", "v2.10.21"]);
    let no_push = get(&releases_url(&upstream, ""), &[("authorization", "Bearer other-token")]);
    assert_eq!(tags(&no_push.json()), ["v2.11.0-RC.1", "v2.10.21"]);
    let pusher = get(&releases_url(&upstream, ""), &[("authorization", "token push-token")]);
    let body = pusher.json();
    assert_eq!(tags(&body), ["v2.11.0-RC.1", "v2.10.22", "v2.10.21"]);
    assert_eq!(body[1]["draft"], true);
    assert_eq!(body[1]["published_at"], serde_json::Value::Null);

    // latest skips drafts and prereleases; a draft is not found by its tag.
    let latest =
        get(&format!("{}/repos/{REPO}/releases/latest", upstream.url()), &[("authorization", "Bearer push-token")]);
    assert_eq!(latest.json()["tag_name"], "v2.10.21");
    let by_tag = get(&format!("{}/repos/{REPO}/releases/tags/v2.10.22", upstream.url()), &[]);
    assert_eq!(by_tag.status, 404);
    assert_eq!(get(&format!("{}/repos/{REPO}/releases/tags/v2.10.21", upstream.url()), &[]).status, 200);
}

#[test]
fn a_repeated_request_with_its_etag_is_answered_304_and_costs_no_rate_limit() {
    let upstream = Upstream::start();
    upstream.add_release(REPO, Release::new("v2.10.22"));
    let url = releases_url(&upstream, "?per_page=100");

    let first = get(&url, &[]);
    assert_eq!(first.status, 200);
    let etag = first.header("etag").expect("an ETag").to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "quoted: {etag}");
    let remaining: u64 = first.header("x-ratelimit-remaining").unwrap().parse().unwrap();
    for name in ["x-ratelimit-limit", "x-ratelimit-used", "x-ratelimit-reset", "x-ratelimit-resource"] {
        assert!(first.header(name).is_some(), "{name} missing");
    }

    let again = get(&url, &[("if-none-match", &etag)]);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    assert_eq!(again.header("x-ratelimit-remaining").unwrap().parse::<u64>().unwrap(), remaining);

    // A change upstream changes the ETag: the same conditional request gets the new list.
    upstream.add_release(REPO, Release::new("v2.10.23"));
    let changed = get(&url, &[("if-none-match", &etag)]);
    assert_eq!(changed.status, 200);
    assert_eq!(tags(&changed.json()), ["v2.10.23", "v2.10.22"]);
    assert_eq!(changed.header("x-ratelimit-remaining").unwrap().parse::<u64>().unwrap(), remaining - 1);

    let log: Vec<(u16, bool)> = upstream.requests().iter().map(|r| (r.status, r.if_none_match)).collect();
    assert_eq!(log, [(200, false), (304, true), (200, true)]);
    assert_eq!(upstream.requests()[0].path_and_query, "/repos/nats-io/nats-server/releases?per_page=100");
    upstream.clear_requests();
    assert!(upstream.requests().is_empty());
}

#[test]
fn a_required_token_rejects_wrong_and_missing_credentials() {
    let upstream = Upstream::start();
    upstream.add_release(REPO, Release::new("v2.10.22"));
    upstream.require_token("ghp_right");
    let url = releases_url(&upstream, "");

    for headers in [vec![("authorization", "Bearer ghp_wrong")], vec![]] {
        let rejected = get(&url, &headers);
        assert_eq!(rejected.status, 401);
        let body = rejected.json();
        assert_eq!(body["message"], "Bad credentials");
        assert_eq!(body["status"], "401");
        assert!(body["documentation_url"].is_string());
    }
    assert_eq!(get(&url, &[("authorization", "Bearer ghp_right")]).status, 200);
    assert_eq!(get(&url, &[("authorization", "token ghp_right")]).status, 200);
    assert_eq!(upstream.requests().last().unwrap().token.as_deref(), Some("ghp_right"));

    // Browser downloads are public on GitHub: no token needed, but a wrong one is refused.
    upstream.add_release(REPO, Release::new("v2.10.23").asset("SHA256SUMS", "sums"));
    let download = format!("{}/download/{REPO}/v2.10.23/SHA256SUMS", upstream.url());
    assert_eq!(get(&download, &[]).text(), "sums");
    assert_eq!(get(&download, &[("authorization", "Bearer ghp_wrong")]).status, 401);

    let unknown =
        get(&format!("{}/repos/nobody/nothing/releases", upstream.url()), &[("authorization", "Bearer ghp_right")]);
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["message"], "Not Found");
    // The Go hosts are not GitHub: no token needed there.
    assert_eq!(get(&format!("{}?mode=json", upstream.go_downloads_url()), &[]).status, 200);
}

#[test]
fn assets_are_served_as_json_and_bytes_with_digests_and_sha256sums() {
    let upstream = Upstream::start();
    let tarball = b"nats-server v2.10.22 linux amd64".to_vec();
    let zip = b"nats-server v2.10.22 linux amd64 zip".to_vec();
    upstream.add_release(
        REPO,
        Release::new("v2.10.22")
            .asset("nats-server-v2.10.22-linux-amd64.tar.gz", tarball.clone())
            .asset_without_digest("nats-server-v2.10.22-linux-amd64.zip", zip.clone())
            .with_sha256sums(),
    );
    let release = get(&format!("{}/repos/{REPO}/releases/tags/v2.10.22", upstream.url()), &[]).json();
    let assets = release["assets"].as_array().unwrap();
    assert_eq!(assets.len(), 3);
    assert_eq!(assets[0]["digest"], format!("sha256:{}", sha256_hex(&tarball)));
    assert_eq!(assets[1]["digest"], serde_json::Value::Null);
    assert_eq!(assets[0]["size"], tarball.len());
    assert_eq!(assets[0]["state"], "uploaded");

    // browser_download_url and the asset API with Accept: application/octet-stream give the bytes.
    let browser = get(assets[0]["browser_download_url"].as_str().unwrap(), &[]);
    assert_eq!(browser.body, tarball);
    let api_url = assets[1]["url"].as_str().unwrap();
    assert_eq!(get(api_url, &[("accept", "application/octet-stream")]).body, zip);
    assert_eq!(get(api_url, &[]).json()["name"], "nats-server-v2.10.22-linux-amd64.zip");

    let sums = get(assets[2]["browser_download_url"].as_str().unwrap(), &[]).text();
    assert_eq!(
        sums,
        format!(
            "{}  nats-server-v2.10.22-linux-amd64.tar.gz\n{}  nats-server-v2.10.22-linux-amd64.zip\n",
            sha256_hex(&tarball),
            sha256_hex(&zip)
        )
    );
    assert_eq!(upstream.asset_bytes(REPO, "v2.10.22", "SHA256SUMS"), Some(sums.into_bytes()));
    let counted = get(&format!("{}/repos/{REPO}/releases/tags/v2.10.22", upstream.url()), &[]).json();
    assert_eq!(counted["assets"][0]["download_count"], 1);
}

#[test]
fn injected_failures_hit_the_next_requests_only() {
    let upstream = Upstream::start();
    upstream.add_release(REPO, Release::new("v2.10.22"));
    upstream.fail_next("/repos/nats-io/", 500, 2);
    upstream.fail_next_retry_after("/dl/", 429, 1, 3);
    let url = releases_url(&upstream, "");
    assert_eq!(get(&url, &[]).status, 500);
    assert_eq!(get(&url, &[]).status, 500);
    assert_eq!(get(&url, &[]).status, 200);
    let limited = get(&upstream.go_downloads_url(), &[]);
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("3"));
    assert_eq!(get(&upstream.go_downloads_url(), &[]).status, 200);

    upstream.set_rate_limit(0, std::time::Duration::from_secs(600));
    let exhausted = get(&url, &[]);
    assert_eq!(exhausted.status, 403);
    assert_eq!(exhausted.header("x-ratelimit-remaining"), Some("0"));
}

#[test]
fn the_go_index_lists_versions_newest_first_with_sums_of_the_served_files() {
    let upstream = Upstream::start();
    for (version, stable) in [
        ("1.22.8", true),
        ("1.20rc1", false),
        ("1.23.2", true),
        ("1.21.0", true),
        ("1.24rc1", false),
        ("go1.23.10", true),
        ("1.20", true),
    ] {
        upstream.add_go_release(version, stable);
    }
    let index_url = format!("{}?mode=json&include=all", upstream.go_downloads_url());
    let index = get(&index_url, &[]);
    let all = index.json();
    let versions: Vec<&str> = all.as_array().unwrap().iter().map(|r| r["version"].as_str().unwrap()).collect();
    assert_eq!(versions, ["go1.24rc1", "go1.23.10", "go1.23.2", "go1.22.8", "go1.21.0", "go1.20", "go1.20rc1"]);
    assert_eq!(all[0]["stable"], false);

    let stable_only = get(&format!("{}?mode=json", upstream.go_downloads_url()), &[]).json();
    let stable: Vec<&str> = stable_only.as_array().unwrap().iter().map(|r| r["version"].as_str().unwrap()).collect();
    assert_eq!(stable, ["go1.23.10", "go1.22.8"]);

    let files = all[1]["files"].as_array().unwrap();
    let linux = files.iter().find(|f| f["os"] == "linux").expect("a linux file");
    assert_eq!(linux["filename"], "go1.23.10.linux-amd64.tar.gz");
    assert_eq!((linux["arch"].as_str(), linux["kind"].as_str()), (Some("amd64"), Some("archive")));
    assert!(files.iter().any(|f| f["kind"] == "source") && files.iter().any(|f| f["os"] == "darwin"));
    for file in files {
        let name = file["filename"].as_str().unwrap();
        let served = get(&format!("{}{name}", upstream.go_downloads_url()), &[]);
        assert_eq!(served.status, 200);
        assert_eq!(file["sha256"], sha256_hex(&served.body), "{name}");
        assert_eq!(file["size"], served.body.len());
        assert_eq!(upstream.go_file_bytes(name), served.body);
    }

    let etag = index.header("etag").unwrap().to_owned();
    assert_eq!(get(&index_url, &[("if-none-match", &etag)]).status, 304);
    assert_eq!(get(&format!("{}go9.9.9.linux-amd64.tar.gz", upstream.go_downloads_url()), &[]).status, 404);

    upstream.replace_go_file_bytes("go1.23.10.linux-amd64.tar.gz", b"tampered".to_vec());
    let tampered = get(&format!("{}go1.23.10.linux-amd64.tar.gz", upstream.go_downloads_url()), &[]);
    assert_eq!(tampered.body, b"tampered");
    assert_ne!(linux["sha256"], sha256_hex(&tampered.body));
}

#[test]
fn the_module_proxy_speaks_goproxy_with_case_escaped_paths() {
    let upstream = Upstream::start();
    let module = "github.com/Masterminds/semver/v3";
    let go_mod = "module github.com/Masterminds/semver/v3\n\ngo 1.21\n";
    for version in ["v3.3.0", "v3.2.1", "v3.4.0-rc.1"] {
        upstream.add_module(
            module,
            version,
            go_mod,
            "2024-08-27T10:00:00Z",
            &[("version.go", "package semver\n"), ("LICENSE.txt", "MIT\n")],
        );
    }
    let base = format!("{}/github.com/!masterminds/semver/v3", upstream.goproxy_url());

    let list = get(&format!("{base}/@v/list"), &[]);
    assert_eq!(list.status, 200);
    assert_eq!(list.text(), "v3.3.0\nv3.2.1\nv3.4.0-rc.1\n");
    let info = get(&format!("{base}/@v/v3.2.1.info"), &[]).json();
    assert_eq!(info, serde_json::json!({"Version": "v3.2.1", "Time": "2024-08-27T10:00:00Z"}));
    assert_eq!(get(&format!("{base}/@v/v3.2.1.mod"), &[]).text(), go_mod);
    assert_eq!(get(&format!("{base}/@latest"), &[]).json()["Version"], "v3.3.0");

    let zip_bytes = get(&format!("{base}/@v/v3.3.0.zip"), &[]).body;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).expect("a valid zip");
    let mut names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "github.com/Masterminds/semver/v3@v3.3.0/LICENSE.txt",
            "github.com/Masterminds/semver/v3@v3.3.0/go.mod",
            "github.com/Masterminds/semver/v3@v3.3.0/version.go",
        ]
    );
    let mut contents = String::new();
    archive.by_name("github.com/Masterminds/semver/v3@v3.3.0/go.mod").unwrap().read_to_string(&mut contents).unwrap();
    assert_eq!(contents, go_mod);

    // An unescaped upper-case path, an unknown version or module: 404.
    let unescaped = format!("{}/github.com/Masterminds/semver/v3/@v/list", upstream.goproxy_url());
    assert_eq!(get(&unescaped, &[]).status, 404);
    assert_eq!(get(&format!("{base}/@v/v9.9.9.info"), &[]).status, 404);
    assert_eq!(get(&format!("{}/example.com/nothing/@v/list", upstream.goproxy_url()), &[]).status, 404);
    assert_eq!(support::go_proxy::escape_path(module), "github.com/!masterminds/semver/v3");
}

#[test]
fn an_upstream_stops_listening_when_dropped() {
    let upstream = Upstream::start();
    let addr = format!("127.0.0.1:{}", upstream.port());
    assert!(std::net::TcpStream::connect(&addr).is_ok());
    drop(upstream);
    assert!(std::net::TcpStream::connect(&addr).is_err());
}

#[test]
fn fixture_repositories_are_bare_repos_with_main_and_fixed_commits() {
    let dir = tempfile::tempdir().unwrap();
    let bare = fixtures::release_repo("smoke", dir.path());
    assert_eq!(bare, dir.path().join("smoke.git"));
    assert_eq!(git(&bare, ["symbolic-ref", "HEAD"]).trim(), "refs/heads/main");
    let main = fixtures::head_of(&bare, "main");
    // Same fixture, same commit: author, committer and dates are fixed.
    let again = tempfile::tempdir().unwrap();
    assert_eq!(fixtures::head_of(&fixtures::release_repo("smoke", again.path()), "main"), main);
    assert_eq!(
        git(&bare, ["log", "-1", "--format=%an <%ae> %cn %ct"]).trim(),
        "Fixture <fixture@example.invalid> Fixture 1704067200"
    );
    assert_eq!(fixtures::read_file(&bare, "main", "config/blobs.yml").as_deref(), Some("--- {}\n"));

    let bumped = fixtures::commit_file(&bare, "currency/golang", "config/blobs.yml", "---\n", "Bump");
    assert_eq!(fixtures::head_of(&bare, "currency/golang"), bumped);
    assert_eq!(fixtures::head_of(&bare, "main"), main, "main is untouched");
    assert_eq!(git(&bare, ["rev-parse", &format!("{bumped}^")]).trim(), main);
    assert_eq!(fixtures::branches(&bare), ["currency/golang", "main"]);
    assert_eq!(fixtures::read_file(&bare, "currency/golang", "config/blobs.yml").as_deref(), Some("---\n"));
    assert_eq!(fixtures::read_file(&bare, "main", "no/such/file"), None);
}

#[test]
fn the_git_server_serves_clone_and_push_to_the_git_cli_with_basic_auth() {
    let dir = tempfile::tempdir().unwrap();
    let bare = fixtures::release_repo("smoke", dir.path());
    let server = GitServer::start(dir.path(), "ci", "s3cret-password");
    let url = server.url_for("smoke");
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let clone = work.path().join("clone");

    let cli = |cwd: &Path, args: &[&str], auth: bool| {
        let mut command = git_command(cwd, home.path());
        if auth {
            command.envs(server.git_auth_env());
        }
        command.args(args).output().unwrap()
    };

    let cloned = cli(work.path(), &["clone", "-q", &url, clone.to_str().unwrap()], true);
    assert!(cloned.status.success(), "clone: {}", String::from_utf8_lossy(&cloned.stderr));
    assert!(clone.join("README.md").is_file());
    assert_eq!(git(&clone, ["rev-parse", "HEAD"]).trim(), fixtures::head_of(&bare, "main"));

    std::fs::write(clone.join("NOTES.md"), "pushed over smart HTTP\n").unwrap();
    git(&clone, ["add", "NOTES.md"]);
    git(&clone, ["commit", "-q", "-m", "Add notes"]);
    let pushed = cli(&clone, &["push", "-q", "origin", "HEAD:refs/heads/feature"], true);
    assert!(pushed.status.success(), "push: {}", String::from_utf8_lossy(&pushed.stderr));
    assert_eq!(fixtures::head_of(&bare, "feature"), git(&clone, ["rev-parse", "HEAD"]).trim());
    assert!(server.requests().iter().any(|r| r.path_and_query == "/smoke.git/git-receive-pack" && r.status == 200));

    // Many local commits make the next fetch send a long list of haves, which git gzips.
    for n in 0..60 {
        git(&clone, ["commit", "-q", "--allow-empty", "-m", &format!("local {n}")]);
    }
    // Forget the remote-tracking refs, or their tips end the negotiation at once.
    git(&clone, ["update-ref", "-d", "refs/remotes/origin/main"]);
    git(&clone, ["update-ref", "-d", "refs/remotes/origin/feature"]);
    let upstream_commit = fixtures::commit_file(&bare, "main", "UPSTREAM.md", "new\n", "Upstream change");
    server.clear_requests();
    let fetched = cli(&clone, &["fetch", "-q", "origin", "main"], true);
    assert!(fetched.status.success(), "fetch: {}", String::from_utf8_lossy(&fetched.stderr));
    assert_eq!(git(&clone, ["rev-parse", "FETCH_HEAD"]).trim(), upstream_commit);
    assert!(server.requests().iter().all(|r| r.status == 200), "{:?}", server.requests());

    // Without credentials the CLI cannot clone, and the server said 401.
    server.clear_requests();
    let refused = cli(work.path(), &["clone", "-q", &url, "anonymous"], false);
    assert!(!refused.status.success());
    assert!(!work.path().join("anonymous").exists());
    assert_eq!(server.requests()[0].status, 401);
    // No password in anything git printed.
    assert!(!String::from_utf8_lossy(&cloned.stderr).contains("s3cret-password"));

    let info_refs = format!("{url}/info/refs?service=git-upload-pack");
    let anonymous = get(&info_refs, &[]);
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.header("www-authenticate"), Some("Basic realm=\"git\""));
    use base64::Engine as _;
    let wrong = base64::engine::general_purpose::STANDARD.encode("ci:wrong");
    assert_eq!(get(&info_refs, &[("authorization", &format!("Basic {wrong}"))]).status, 401);
    let right = base64::engine::general_purpose::STANDARD.encode("ci:s3cret-password");
    let advertised = get(&info_refs, &[("authorization", &format!("Basic {right}"))]);
    assert_eq!(advertised.status, 200);
    assert_eq!(advertised.header("content-type"), Some("application/x-git-upload-pack-advertisement"));
}

#[test]
fn the_git_server_takes_libgit2_clone_and_chunked_push() {
    let dir = tempfile::tempdir().unwrap();
    let bare = fixtures::release_repo("smoke", dir.path());
    let server = GitServer::start_token(dir.path(), "ghs_token");
    let work = tempfile::tempdir().unwrap();

    let callbacks = || {
        let mut attempts = 0;
        let mut callbacks = git2::RemoteCallbacks::new();
        callbacks.credentials(move |_, _, _| {
            attempts += 1;
            if attempts > 2 {
                return Err(git2::Error::from_str("credentials rejected"));
            }
            git2::Cred::userpass_plaintext("x-access-token", "ghs_token")
        });
        callbacks
    };
    let mut fetch = git2::FetchOptions::new();
    fetch.remote_callbacks(callbacks());
    let repo = git2::build::RepoBuilder::new()
        .fetch_options(fetch)
        .clone(&server.url_for("smoke"), &work.path().join("clone"))
        .expect("libgit2 clone");

    // A commit with a blob large enough that the pack is sent in many chunks.
    let big: Vec<u8> = (0..400_000u32).flat_map(|n| n.wrapping_mul(2_654_435_761).to_le_bytes()).collect();
    let blob = repo.blob(&big).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    let mut tree = repo.treebuilder(Some(&head.tree().unwrap())).unwrap();
    tree.insert("big.bin", blob, 0o100644).unwrap();
    let tree = repo.find_tree(tree.write().unwrap()).unwrap();
    let who = git2::Signature::new("Fixture", "fixture@example.invalid", &git2::Time::new(1_704_067_200, 0)).unwrap();
    let commit = repo.commit(Some("refs/heads/lg2"), &who, &who, "Add a big blob", &tree, &[&head]).unwrap();

    let mut rejected = Vec::new();
    {
        let mut callbacks = callbacks();
        callbacks.push_update_reference(|name, status| {
            if let Some(status) = status {
                rejected.push(format!("{name}: {status}"));
            }
            Ok(())
        });
        let mut push = git2::PushOptions::new();
        push.remote_callbacks(callbacks);
        repo.find_remote("origin")
            .unwrap()
            .push(&["refs/heads/lg2:refs/heads/lg2"], Some(&mut push))
            .expect("libgit2 push");
    }
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(fixtures::head_of(&bare, "lg2"), commit.to_string());
    assert_eq!(git(&bare, ["cat-file", "-s", "lg2:big.bin"]).trim(), big.len().to_string());
}

#[test]
fn runs_get_a_clean_environment_and_a_tmpdir_kept_by_tmp() {
    let script = concat!(
        r#"cat; printf '|%s|%s|%s|%s\n' "$HOME" "$TMPDIR" "$EXTRA" "${CARGO_MANIFEST_DIR:-unset}"; "#,
        "echo to-stderr >&2; exit 3"
    );
    let output = support::run("/bin/sh", &["-c", script], "from stdin", &[("EXTRA", "given")]);
    assert_eq!(output.status.code(), Some(3));
    output.assert_failure();
    let (echoed, env) = output.stdout.split_once('|').unwrap();
    assert_eq!(echoed, "from stdin");
    let fields: Vec<&str> = env.trim_end().split('|').collect();
    assert!(fields[0].ends_with("/home") && fields[1].ends_with("/tmp"), "{fields:?}");
    assert_eq!(&fields[2..], ["given", "unset"]);
    assert_eq!(output.stderr, "to-stderr\n");

    let t = Tmp::new();
    t.run("/bin/sh", &["-c", r#"echo cached > "$TMPDIR/cache""#], "", &[]).assert_success();
    let second = t.run("/bin/sh", &["-c", r#"cat "$TMPDIR/cache""#], "", &[]);
    assert_eq!(second.assert_success().stdout, "cached\n");
    assert!(t.tmpdir().join("cache").is_file());
    let bare =
        t.run_env_only("/bin/sh", &["-c", r#"echo "${HOME:-nohome} ${TMPDIR:-notmp} $ONLY""#], "", &[("ONLY", "this")]);
    assert_eq!(bare.stdout, "nohome notmp this\n");
    let json = t.run("/bin/sh", &["-c", r#"echo '[{"a":"1"}]'"#], "", &[]).json();
    assert_eq!(json[0]["a"], "1");
}

#[test]
fn a_run_that_hangs_is_killed_and_fails_the_test() {
    let t = Tmp::new().with_timeout(std::time::Duration::from_millis(300));
    let started = std::time::Instant::now();
    let outcome =
        std::panic::catch_unwind(|| t.run("/bin/sh", &["-c", "echo waiting >&2; sleep 30; echo never"], "", &[]));
    let message = *outcome.expect_err("the run must panic").downcast::<String>().unwrap();
    assert!(message.contains("did not finish within 300ms") && message.contains("waiting"), "{message}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "the child was not killed in time");
}
