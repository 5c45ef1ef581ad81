//! Secrets never leave where they belong. One world holds a recognisable GitHub token (also the
//! git password over smart HTTP), an SSH private key (sshd serving the same repository) and a
//! private.yml whose `secret_access_key` the S3 stand-in (s3s-fs, SigV4) checks. Every step runs —
//! check, in (report and download), out (dry run, success over https and over ssh, reuse), `currency
//! report` and `currency bump` — and so does every error path we can provoke: a wrong token, a
//! rejected SSH key, a wrong S3 secret, an unparseable private.yml, an unreachable upstream, bad
//! params.
//!
//! After each run, none of the secrets — nor the base64 of the basic-auth pair, nor any line of
//! the key or of private.yml — may appear in stdout, stderr, the `in` destination, the sources
//! directory, the checkout, the run's TMPDIR and HOME (each run gets fresh ones, scanned after it
//! exits: what the product writes there must be gone), the check cache, any object or ref of the
//! bare repository (`git cat-file --batch-all-objects` and `git log -p --all`), the pull
//! requests, the request URLs the servers saw, or the S3 bucket's object keys.

mod support;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{Value, json};
use support::blob_servers::S3Server;
use support::ssh_server::{KeyPair, KeyType, SshServer, keygen};
use support::{GitServer, Output, Release, Tmp, Upstream, fixtures};

const TOKEN: &str = "ghp_SECRETtoken0123456789";
const WRONG_TOKEN: &str = "ghp_WRONGsecretTOKEN987654321";
const REPO: &str = "cloudfoundry/nats-blob-release";
const AK: &str = "AKIDsecretACCESSkey0001";
const SK: &str = "s3SECRETaccessKEYvalue/0123456789abcdef";
const WRONG_SK: &str = "s3WRONGsecretKEYvalue/9876543210fedcba";
const BUCKET: &str = "nats-blob-fixture";

struct World {
    up: Upstream,
    _repos: tempfile::TempDir,
    git: GitServer,
    ssh: SshServer,
    s3: S3Server,
    tmp: Tmp,
    bare: PathBuf,
    /// Every secret string the world knows, with a label for failure messages.
    secrets: Vec<(String, String)>,
    runs: std::cell::Cell<u32>,
}

impl World {
    fn new() -> World {
        let up = Upstream::start();
        for tag in ["v2.10.20", "v2.10.22"] {
            let name = format!("nats-server-{tag}-linux-amd64.tar.gz");
            let bytes = format!("nats-server {tag} payload ").repeat(500).into_bytes();
            up.add_release(
                "nats-io/nats-server",
                Release::new(tag).asset_without_digest(&name, bytes).with_sha256sums(),
            );
        }
        let repos = tempfile::tempdir().unwrap();
        let git = GitServer::start_token(repos.path(), TOKEN);
        let bare = fixtures::release_repo("nats-blob-release", repos.path());
        up.link_git(REPO, &bare);
        up.grant_push(REPO, TOKEN);
        let ssh = SshServer::start_with_key(repos.path(), KeyType::Ed25519);
        let s3 = S3Server::start(AK, SK);
        s3.create_bucket(BUCKET);
        let tmp = Tmp::new();
        let mut w = World { up, _repos: repos, git, ssh, s3, tmp, bare, secrets: vec![], runs: 0.into() };
        let key = w.ssh.key().clone();
        w.add_token(TOKEN);
        w.add_token(WRONG_TOKEN);
        w.add_key("ssh key", &key);
        for (label, s) in [("access key id", AK), ("secret access key", SK), ("wrong secret access key", WRONG_SK)] {
            w.secrets.push((label.into(), s.into()));
        }
        w.secrets.push(("private.yml".into(), w.private_yml(SK)));
        w
    }

    /// A token, and the basic-auth forms it travels in.
    fn add_token(&mut self, token: &str) {
        let b64 = |s: String| base64::engine::general_purpose::STANDARD.encode(s);
        self.secrets.push((format!("token {token}"), token.into()));
        for pair in [format!("x-access-token:{token}"), format!(":{token}"), token.to_string()] {
            self.secrets.push((format!("base64 of {pair}"), b64(pair.clone())));
        }
    }

    fn add_key(&mut self, label: &str, key: &KeyPair) {
        self.secrets.push((label.into(), key.private.trim().into()));
        for (i, line) in key.private_lines().enumerate() {
            if !line.starts_with("-----") {
                self.secrets.push((format!("{label} line {i}"), line.into()));
            }
        }
    }

    fn private_yml(&self, secret: &str) -> String {
        format!(
            "---\nblobstore:\n  options:\n    host: 127.0.0.1\n    port: {}\n    use_ssl: false\n    access_key_id: {AK}\n    secret_access_key: '{secret}'\n",
            self.s3.port()
        )
    }

    /// A source reading the release over smart HTTP with the token.
    fn https(&self) -> Value {
        json!({
            "repository": REPO,
            "access_token": TOKEN,
            "git_url": self.git.url_for("nats-blob-release"),
            "github_api_url": self.up.url(),
            "vulndb": self.up.vulndb_url(),
            "upstream_api_url": self.up.url(),
            "go_proxy": self.up.goproxy_url(),
            "go_downloads_url": self.up.go_downloads_url(),
            "blobstore": {"private_yml": self.private_yml(SK)},
            "git_author": {"name": "currency-bot", "email": "bot@currency.invalid"},
        })
    }

    /// The same over ssh with the private key (the token still talks to the API).
    fn ssh(&self) -> Value {
        let mut s = self.https();
        s["git_url"] = json!(self.ssh.url_for("nats-blob-release"));
        s["private_key"] = json!(self.ssh.private_key());
        s
    }

    fn dir(&self, name: &str) -> PathBuf {
        let d = self.tmp.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// Runs `bin` with a fresh TMPDIR and HOME, the shared cache, then scans everything.
    fn run(&self, what: &str, bin: &str, args: &[&str], stdin: &str) -> Output {
        let n = self.runs.get() + 1;
        self.runs.set(n);
        let tmpdir = self.dir(&format!("run{n}/tmp"));
        let home = self.dir(&format!("run{n}/home"));
        let cache = self.dir("cache");
        let out = self.tmp.run(
            support::bin(bin),
            args,
            stdin,
            &[
                ("TMPDIR", tmpdir.to_str().unwrap()),
                ("HOME", home.to_str().unwrap()),
                ("CURRENCY_CACHE_DIR", cache.to_str().unwrap()),
                ("CURRENCY_RETRY_BASE_MS", "5"),
            ],
        );
        let what = format!("{what} (run {n})");
        self.assert_clean_text(&format!("{what}: stdout"), &out.stdout);
        self.assert_clean_text(&format!("{what}: stderr"), &out.stderr);
        for dir in [&tmpdir, &home, &cache, &self.dir("dest"), &self.dir("sources"), &self.dir("checkout")] {
            self.assert_clean_dir(&what, dir);
        }
        // Nothing the product wrote under TMPDIR or HOME is left but the cache's own files.
        assert_eq!(files_under(&tmpdir), Vec::<PathBuf>::new(), "{what}: files left in TMPDIR");
        self.assert_clean_remote(&what);
        out
    }

    fn check(&self, what: &str, source: &Value) -> Output {
        self.run(what, "check", &[], &json!({"source": source}).to_string())
    }

    fn get(&self, what: &str, source: &Value, params: Value) -> Output {
        let dest = self.dir("dest");
        let req = json!({"source": source, "version": {"nats-server": "2.10.22"}, "params": params});
        self.run(what, "in", &[dest.to_str().unwrap()], &req.to_string())
    }

    fn put(&self, what: &str, source: &Value, params: Value) -> Output {
        let sources = self.dir("sources");
        let req = json!({"source": source, "params": params});
        self.run(what, "out", &[sources.to_str().unwrap()], &req.to_string())
    }

    fn cli(&self, what: &str, source: &Value, args: &[&str]) -> Output {
        // The source file lives beside the checkout, not in it.
        let file = self.tmp.path().join("source.yml");
        std::fs::write(&file, serde_json::to_string_pretty(source).unwrap()).unwrap();
        let mut all = args.to_vec();
        all.extend(["--source", file.to_str().unwrap()]);
        self.run(what, "currency", &all, "")
    }

    #[track_caller]
    fn assert_clean_text(&self, what: &str, text: &str) {
        self.assert_clean_bytes(what, text.as_bytes());
    }

    #[track_caller]
    fn assert_clean_bytes(&self, what: &str, bytes: &[u8]) {
        for (label, secret) in &self.secrets {
            assert!(
                !contains(bytes, secret.as_bytes()),
                "{what} holds the {label}:\n{}",
                String::from_utf8_lossy(bytes).replace(secret.as_str(), "<<<SECRET HERE>>>")
            );
        }
    }

    /// No file under `dir` holds a secret in its name or contents, and no file is a private.yml.
    #[track_caller]
    fn assert_clean_dir(&self, what: &str, dir: &Path) {
        for file in files_under(dir) {
            let shown = file.display().to_string();
            self.assert_clean_text(&format!("{what}: the name {shown}"), &shown);
            assert_ne!(file.file_name().unwrap(), "private.yml", "{what}: {shown} was written");
            if let Ok(bytes) = std::fs::read(&file) {
                self.assert_clean_bytes(&format!("{what}: {shown}"), &bytes);
            }
        }
    }

    /// The bare repository (every object, reachable or not, and every ref), the pull requests,
    /// the URLs the servers were asked for and the S3 bucket's keys.
    #[track_caller]
    fn assert_clean_remote(&self, what: &str) {
        let objects = fixtures::git_output(&self.bare, ["cat-file", "--batch-all-objects", "--batch"]);
        assert!(objects.status.success());
        self.assert_clean_bytes(&format!("{what}: git objects"), &objects.stdout);
        let log = fixtures::git(&self.bare, ["log", "-p", "--all", "--format=%H %an <%ae> %cn <%ce>%n%B"]);
        self.assert_clean_text(&format!("{what}: git log -p --all"), &log);
        let refs = fixtures::git(&self.bare, ["for-each-ref"]);
        self.assert_clean_text(&format!("{what}: refs"), &refs);
        let pulls = serde_json::to_string(&self.up.pulls(REPO)).unwrap();
        self.assert_clean_text(&format!("{what}: pull requests"), &pulls);
        for r in self.up.requests().iter().chain(self.git.requests().iter()) {
            self.assert_clean_text(&format!("{what}: request URL"), &r.path_and_query);
        }
        for key in files_under(&self.s3.data_dir()) {
            self.assert_clean_text(&format!("{what}: S3 object key"), &key.display().to_string());
        }
    }

    fn objects(&self) -> Vec<PathBuf> {
        files_under(&self.s3.data_dir().join(BUCKET))
            .into_iter()
            .filter(|p| !p.to_string_lossy().contains(".s3s"))
            .collect()
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Every file (not directory) under `dir`, symlinks included, not followed.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            out.extend(files_under(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out.sort();
    out
}

/// One `error:` line, and it is the last line of stderr.
#[track_caller]
fn assert_one_error(what: &str, out: &Output, needle: &str) {
    assert!(!out.success(), "{what} succeeded:\n{}", out.stderr);
    assert_eq!(out.stdout, "", "{what}: stdout on failure");
    let errors: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{what}: one error line expected:\n{}", out.stderr);
    assert_eq!(out.stderr.lines().last(), Some(errors[0]), "{what}: the error is the last line");
    assert!(errors[0].contains(needle), "{what}: {:?} does not name {needle:?}", errors[0]);
}

#[test]
fn every_step_keeps_the_token_the_key_and_private_yml_to_itself() {
    let w = World::new();
    let https = w.https();
    let ssh = w.ssh();

    let out = w.check("check over https", &https);
    out.assert_success();
    assert_eq!(out.json(), json!([{"nats-server": "2.10.22"}]));
    let out = w.check("check over ssh", &ssh);
    out.assert_success();
    assert_eq!(out.json(), json!([{"nats-server": "2.10.22"}]));

    // in: the report and the verified artifact.
    let out = w.get("in with download", &https, json!({"download": true}));
    out.assert_success();
    let dest = w.dir("dest");
    assert!(dest.join("report.md").is_file() && dest.join("plan.json").is_file());
    assert_eq!(files_under(&dest.join("artifacts/nats-server")).len(), 1, "{:?}", files_under(&dest));
    let out = w.get("in over ssh", &ssh, json!({}));
    out.assert_success();

    // out: a dry run changes nothing remote.
    let out = w.put("out dry run", &https, json!({"dry_run": true}));
    out.assert_success();
    assert!(w.up.pulls(REPO).is_empty() && w.objects().is_empty());
    assert_eq!(fixtures::branches(&w.bare), ["main"]);

    // out over ssh: the blob goes to S3, the branch is pushed with the key, the PR opened.
    let out = w.put("out over ssh", &ssh, json!({}));
    out.assert_success();
    assert_eq!(out.json()["version"], json!({"nats-server": "2.10.22"}));
    assert_eq!(w.objects().len(), 1, "one object in the bucket");
    assert_eq!(fixtures::branches(&w.bare), ["currency/nats-server", "main"]);
    assert_eq!(w.up.pulls(REPO).len(), 1);
    assert!(w.ssh.log().contains("Accepted publickey"), "the push went over ssh");

    // out again over https: the branch holds the bump; reused.
    let out = w.put("out over https, reuse", &https, json!({}));
    out.assert_success();
    assert_eq!(w.objects().len(), 1, "no second upload");

    // The CLI: a report of a fresh clone and of a checkout, a dry-run bump and a real one.
    let checkout = w.tmp.path().join("checkout");
    let _ = std::fs::remove_dir_all(&checkout);
    fixtures::git(w.tmp.path(), ["clone", "-q", w.bare.to_str().unwrap(), checkout.to_str().unwrap()]);
    let repo = checkout.to_str().unwrap();
    w.cli("currency report", &https, &["report", "--json"]).assert_success();
    w.cli("currency report over ssh", &ssh, &["report"]).assert_success();
    w.cli("currency report --repo", &https, &["report", "--repo", repo]).assert_success();
    w.cli("currency bump --dry-run", &https, &["bump", "--repo", repo, "--dry-run"]).assert_success();
    let out = w.cli("currency bump", &https, &["bump", "--repo", repo]);
    out.assert_success();
    assert_eq!(w.objects().len(), 2, "currency bump uploaded the blob:\n{}", out.stderr);
    let blobs = std::fs::read_to_string(checkout.join("config/blobs.yml")).unwrap();
    assert!(blobs.contains("nats-server-v2.10.22"), "{blobs}");

    // The nets hold what they should, so a clean scan means something.
    let objects = fixtures::git_output(&w.bare, ["cat-file", "--batch-all-objects", "--batch"]).stdout;
    assert!(contains(&objects, b"Bump nats-server from 2.10.20 to 2.10.22"), "the bump commit is scanned");
    assert!(contains(&objects, b"nats-server/nats-server-v2.10.22-linux-amd64.tar.gz"), "the new blobs.yml is scanned");
    assert!(serde_json::to_string(&w.up.pulls(REPO)).unwrap().contains("Bump nats-server"));
    assert!(!w.up.requests().is_empty() && !w.git.requests().is_empty());
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        w.assert_clean_text(
            "self-test",
            &format!(
                "Authorization: Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{TOKEN}"))
            ),
        );
    }));
    assert!(caught.is_err(), "the scan must catch a base64 basic-auth pair");
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        w.assert_clean_text("self-test", w.ssh.key().private_lines().nth(1).unwrap());
    }));
    assert!(caught.is_err(), "the scan must catch one line of the key");
}

#[test]
fn every_error_path_keeps_the_secrets_too() {
    let mut w = World::new();
    let rejected = keygen(KeyType::Ed25519);
    w.add_key("rejected ssh key", &rejected);
    let https = w.https();

    // A token GitHub does not know: out fails before anything is uploaded or pushed.
    let mut source = https.clone();
    source["access_token"] = json!(WRONG_TOKEN);
    let out = w.put("out with a wrong token", &source, json!({}));
    assert_one_error("out with a wrong token", &out, "source.access_token");
    let out = w.check("check with a wrong token", &source);
    assert!(!out.success(), "{}", out.stderr);

    // An SSH key sshd does not accept.
    let mut source = w.ssh();
    source["private_key"] = json!(rejected.private);
    for (what, out) in [
        ("check with a rejected key", w.check("check with a rejected key", &source)),
        ("out with a rejected key", w.put("out with a rejected key", &source, json!({}))),
    ] {
        assert_one_error(what, &out, "source.private_key");
    }
    // Not a key at all, but a secret-looking text.
    source["private_key"] = json!(format!("not a key {TOKEN}"));
    let out = w.check("check with a garbage key", &source);
    assert!(!out.success());

    // The wrong S3 secret: the upload fails, nothing is pushed.
    let mut source = https.clone();
    source["blobstore"] = json!({"private_yml": w.private_yml(WRONG_SK)});
    let out = w.put("out with a wrong S3 secret", &source, json!({}));
    assert_one_error("out with a wrong S3 secret", &out, BUCKET);
    let checkout = w.tmp.path().join("checkout");
    let _ = std::fs::remove_dir_all(&checkout);
    fixtures::git(w.tmp.path(), ["clone", "-q", w.bare.to_str().unwrap(), checkout.to_str().unwrap()]);
    let out = w.cli("currency bump with a wrong S3 secret", &source, &["bump", "--repo", checkout.to_str().unwrap()]);
    assert_one_error("currency bump with a wrong S3 secret", &out, BUCKET);

    // A private.yml that does not parse, with the secret on the broken line.
    let mut source = https.clone();
    source["blobstore"] =
        json!({"private_yml": format!("blobstore:\n  options:\n    secret_access_key: {SK}\n  - \"{SK}\n")});
    let out = w.put("out with a broken private.yml", &source, json!({}));
    assert_one_error("out with a broken private.yml", &out, "config/private.yml");

    // The same credentials given as blobstore.options, wrong.
    let mut source = https.clone();
    source["blobstore"] = json!({"options": {"host": "127.0.0.1", "port": w.s3.port(), "use_ssl": false,
                                             "access_key_id": AK, "secret_access_key": WRONG_SK}});
    let out = w.put("out with wrong options", &source, json!({}));
    assert_one_error("out with wrong options", &out, BUCKET);

    // An upstream that does not answer.
    let mut source = https.clone();
    source["upstream_api_url"] = json!("http://127.0.0.1:1");
    for (what, out) in [
        ("check, upstream down", w.check("check, upstream down", &source)),
        ("in, upstream down", w.get("in, upstream down", &source, json!({"download": true}))),
        ("out, upstream down", w.put("out, upstream down", &source, json!({}))),
        ("currency report, upstream down", w.cli("currency report, upstream down", &source, &["report"])),
    ] {
        assert_one_error(what, &out, "127.0.0.1:1");
    }

    // Bad params and a bad source: named, never echoing the secrets around them.
    let out = w.put("out with an unknown param", &https, json!({"dry_rn": true}));
    assert_one_error("out with an unknown param", &out, "params.dry_rn");
    let out = w.put("out with an untracked name", &https, json!({"only": [TOKEN]}));
    assert!(!out.success());
    let mut source = https.clone();
    source["acces_token"] = json!(TOKEN);
    let out = w.check("check with a misspelt key", &source);
    assert_one_error("check with a misspelt key", &out, "source.acces_token: unknown key");
    let mut source = https.clone();
    source["git_url"] = json!(format!("http://x-access-token:{TOKEN}@127.0.0.1:1/r.git"));
    let out = w.check("check with a token in the URL", &source);
    assert_one_error("check with a token in the URL", &out, "source.git_url");
    let out = w.run("check with broken JSON", "check", &[], &format!("{{\"source\": {{\"access_token\": \"{TOKEN}\""));
    assert_one_error("check with broken JSON", &out, "request");

    // None of it left anything behind.
    assert_eq!(fixtures::branches(&w.bare), ["main"]);
    assert!(w.up.pulls(REPO).is_empty());
    assert!(w.objects().is_empty(), "{:?}", w.objects());
}
