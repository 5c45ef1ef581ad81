//! The resource's `source` (and the CLI's `--source FILE`): raw serde types that mirror the JSON
//! exactly (`deny_unknown_fields`, so a typo is an error naming the key), validated into typed
//! configuration in which invalid states cannot be expressed: templates hold `{version}` once,
//! constraints are parsed, names are unique and usable as branch names, URLs parse, blob paths
//! stay inside `blobs/`.
//!
//! Every secret (`access_token`, `upstream_access_token`, `private_key`, `blobstore`) becomes a
//! [`Secret`] and is registered for redaction as soon as it is read.
//!
//! The rules for names and branch names are in `names`, those for one dependency entry in
//! `dependency`.

use serde::Deserialize;
use url::Url;

use crate::error::{Error, Result};
use crate::secrets::{self, Secret};
use crate::version::Constraint;

mod dependency;
mod names;
mod vendored;

use dependency::validate_dependencies;
pub use names::{branch_problem, is_valid_name, name_problem};
pub use vendored::{DEFAULT_GOLANG_RELEASE, PackageSource, package_name_problem};

pub const DEFAULT_API_URL: &str = "https://api.github.com";
pub const DEFAULT_GO_PROXY: &str = "https://proxy.golang.org";
pub const DEFAULT_GO_SUMDB: &str = "sum.golang.org";
pub const DEFAULT_GO_DOWNLOADS_URL: &str = "https://go.dev/dl/";
pub const DEFAULT_VULNDB: &str = "https://vuln.go.dev";
/// The largest `--source` file read (a source is a few kilobytes).
pub const MAX_SOURCE_FILE: u64 = 8 * 1024 * 1024;
/// The Concourse version of a release with nothing behind: `{"up-to-date": <commit>}`. No
/// dependency may take this name.
pub const UP_TO_DATE: &str = "up-to-date";

pub const DEFAULT_GOLANG_BLOB: &str = "golang/go{version}.linux-amd64.tar.gz";

// ---------------------------------------------------------------------------------------------
// Raw input
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    repository: String,
    access_token: Option<String>,
    branch: Option<String>,
    github_api_url: Option<String>,
    git_url: Option<String>,
    private_key: Option<String>,
    upstream_api_url: Option<String>,
    upstream_access_token: Option<String>,
    go_proxy: Option<String>,
    go_sumdb: Option<String>,
    go_downloads_url: Option<String>,
    dependencies: Option<Vec<RawDependency>>,
    blobstore: Option<RawBlobstore>,
    pull_request: Option<RawPullRequest>,
    git_author: Option<RawAuthor>,
    skip_ssl_verification: Option<bool>,
    golang_release: Option<vendored::RawPackageSource>,
    vulndb: Option<String>,
    security_only: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDependency {
    name: String,
    kind: String,
    constraint: Option<String>,
    prerelease: Option<bool>,
    custom_builds: Option<String>,
    upstream: Option<String>,
    blob: Option<RawBlob>,
    asset: Option<String>,
    tag: Option<String>,
    checksums: Option<String>,
    module: Option<String>,
    go_mod: Option<Vec<String>>,
    release: Option<String>,
    package: Option<vendored::OneOrMany>,
    prefix: Option<String>,
    git_url: Option<String>,
    blobstore: Option<vendored::RawSourceBlobstore>,
    security_only: Option<bool>,
    vulndb_modules: Option<Vec<String>>,
}

/// A dependency's `blob`: one template, or (kind `golang`) a list of templates, one per platform.
#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "a template, or a list of templates")]
enum RawBlob {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBlobstore {
    private_yml: Option<String>,
    options: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPullRequest {
    branch_prefix: Option<String>,
    labels: Option<Vec<String>>,
    reviewers: Option<Vec<String>>,
    team_reviewers: Option<Vec<String>>,
    draft: Option<bool>,
    group: Option<bool>,
    security_labels: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuthor {
    name: String,
    email: String,
}

// ---------------------------------------------------------------------------------------------
// Validated configuration
// ---------------------------------------------------------------------------------------------

/// `owner/name` of a GitHub repository.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoSlug {
    pub owner: String,
    pub name: String,
}

impl RepoSlug {
    pub fn parse(text: &str) -> Option<RepoSlug> {
        let (owner, name) = text.split_once('/')?;
        let ok = |s: &str| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        (ok(owner) && ok(name)).then(|| RepoSlug { owner: owner.into(), name: name.into() })
    }
}

impl std::fmt::Display for RepoSlug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// A file-name template with `{version}` in it (`nats-server-v{version}-linux-amd64.tar.gz`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    before: String,
    after: Option<String>,
}

impl Template {
    /// `required`: the template must hold `{version}` exactly once; otherwise at most once.
    pub fn parse(text: &str, required: bool) -> std::result::Result<Template, String> {
        let count = text.matches("{version}").count();
        if count > 1 || (required && count == 0) {
            return Err(format!("template {text:?} must contain {{version}} exactly once"));
        }
        if text.is_empty() {
            return Err("template is empty".into());
        }
        Ok(match text.split_once("{version}") {
            Some((b, a)) => Template { before: b.into(), after: Some(a.into()) },
            None => Template { before: text.into(), after: None },
        })
    }

    pub fn render(&self, version: &str) -> String {
        match &self.after {
            Some(a) => format!("{}{version}{a}", self.before),
            None => self.before.clone(),
        }
    }

    /// The `{version}` part of `text` when `text` has the template's shape.
    pub fn extract<'a>(&self, text: &'a str) -> Option<&'a str> {
        let after = self.after.as_deref()?;
        let v = text.strip_prefix(self.before.as_str())?.strip_suffix(after)?;
        (!v.is_empty() && !v.contains('/')).then_some(v)
    }

    /// The last path segment of the template, as a template (the default `asset` of a blob).
    pub fn file_name(&self) -> Template {
        let full = self.render("{version}");
        let name = full.rsplit('/').next().unwrap_or(&full);
        Template::parse(name, false).expect("a segment of a valid template is valid")
    }

    pub fn as_text(&self) -> String {
        self.render("{version}")
    }
}

#[derive(Debug, Clone)]
pub struct Dependency {
    pub name: String,
    pub constraint: Option<Constraint>,
    pub prerelease: bool,
    /// `custom_builds: replace`: a custom build (a version upstream never released, of one it
    /// did) may be bumped to upstream's; by default it is reported and kept.
    pub replace_custom_builds: bool,
    /// `security_only` of the entry (`None`: the source's).
    pub security_only: Option<bool>,
    /// `vulndb_modules` of a `github-release` entry: the vulnerability database's modules its
    /// blob is built from (`None`: the known table, by upstream).
    pub vulndb_modules: Option<Vec<String>>,
    pub kind: DependencyKind,
}

/// A dependency's kind and its keys. A golang dependency's `blobs` hold one template per platform
/// (`go{version}.linux-amd64.tar.gz`, `…darwin-amd64.tar.gz`, …), never empty and no file name
/// twice: the platforms move together.
#[derive(Debug, Clone)]
pub enum DependencyKind {
    GithubRelease {
        upstream: RepoSlug,
        blob: Template,
        asset: Template,
        tag: Template,
        checksums: Option<Template>,
    },
    Golang {
        blobs: Vec<Template>,
    },
    GoModule {
        module: String,
        go_mod: Option<Vec<String>>,
    },
    /// Packages of a source release vendored with `bosh vendor-package`: names or `{line}`
    /// templates (several move together), and the `--prefix` they were vendored with.
    VendoredPackage {
        source: PackageSource,
        packages: Vec<String>,
        prefix: Option<String>,
    },
}

impl DependencyKind {
    pub fn name(&self) -> &'static str {
        match self {
            DependencyKind::GithubRelease { .. } => "github-release",
            DependencyKind::Golang { .. } => "golang",
            DependencyKind::GoModule { .. } => "go-module",
            DependencyKind::VendoredPackage { .. } => "vendored-package",
        }
    }

    /// Whether the dependency is the Go toolchain: golang blobs, or vendored golang packages.
    pub fn is_go(&self) -> bool {
        match self {
            DependencyKind::Golang { .. } => true,
            DependencyKind::VendoredPackage { packages, .. } => packages.iter().any(|p| p.starts_with("golang-")),
            DependencyKind::GithubRelease { .. } | DependencyKind::GoModule { .. } => false,
        }
    }

    /// The blob templates of a blob dependency: one for a GitHub release's asset, one per
    /// platform for a Go toolchain; `None` for kinds that ship no blob.
    pub fn blobs(&self) -> Option<&[Template]> {
        match self {
            DependencyKind::GithubRelease { blob, .. } => Some(std::slice::from_ref(blob)),
            DependencyKind::Golang { blobs } => Some(blobs),
            DependencyKind::GoModule { .. } | DependencyKind::VendoredPackage { .. } => None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub enum BlobstoreSecrets {
    #[default]
    None,
    /// The text of config/private.yml.
    PrivateYml(Secret),
    /// `blobstore.options` given directly (values may be credentials).
    Options(serde_json::Map<String, serde_json::Value>),
}

#[derive(Debug, Clone)]
pub struct PullRequestConfig {
    pub branch_prefix: String,
    pub labels: Vec<String>,
    pub reviewers: Vec<String>,
    pub team_reviewers: Vec<String>,
    pub draft: bool,
    pub group: bool,
    /// Added to `labels` on a pull request whose bumps fix known vulnerabilities.
    pub security_labels: Vec<String>,
}

impl Default for PullRequestConfig {
    fn default() -> Self {
        PullRequestConfig {
            branch_prefix: "currency/".into(),
            labels: vec!["dependencies".into()],
            reviewers: vec![],
            team_reviewers: vec![],
            draft: false,
            group: false,
            security_labels: vec!["security".into()],
        }
    }
}

#[derive(Debug, Clone)]
pub struct GitAuthor {
    pub name: String,
    pub email: String,
}

impl Default for GitAuthor {
    fn default() -> Self {
        GitAuthor { name: "currency".into(), email: "currency@users.noreply.github.com".into() }
    }
}

#[derive(Debug, Clone)]
pub struct Source {
    pub repository: RepoSlug,
    pub access_token: Option<Secret>,
    pub branch: Option<String>,
    pub github_api_url: Url,
    pub git_url: String,
    pub private_key: Option<Secret>,
    pub upstream_api_url: Url,
    pub upstream_access_token: Option<Secret>,
    pub go_proxy: Url,
    pub go_sumdb: String,
    pub go_downloads_url: Url,
    /// `None`: autodetect from the repository.
    pub dependencies: Option<Vec<Dependency>>,
    pub blobstore: BlobstoreSecrets,
    pub pull_request: PullRequestConfig,
    pub git_author: GitAuthor,
    pub skip_ssl_verification: bool,
    /// Where autodetected vendored golang packages come from.
    pub golang_release: PackageSource,
    /// The Go vulnerability database (`None`: `vulndb: off`).
    pub vulndb: Option<Url>,
    /// `security_only` for every dependency whose entry does not say.
    pub security_only: bool,
}

impl Source {
    /// Parses the `source` object of a request. `prefix` names it in errors (`source`).
    pub fn from_value(value: serde_json::Value, prefix: &str) -> Result<Source> {
        register_secrets(&value);
        let raw: RawSource = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            serde_error(prefix, &path, &inner)
        })?;
        validate(raw, prefix)
    }

    /// Parses a `--source FILE`: YAML or JSON holding the `source` keys.
    pub fn from_file(path: &std::path::Path) -> Result<Source> {
        let file = path.display().to_string();
        let size = std::fs::metadata(path).map_err(|e| Error::io(path, e))?.len();
        if size > MAX_SOURCE_FILE {
            return Err(Error::Parse { file, message: "is larger than 8 MiB; refusing to read it".into() });
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        crate::yaml::check_yaml_nesting(&text).map_err(|e| Error::Parse { file: file.clone(), message: e.message })?;
        let value: serde_json::Value = yaml_serde::from_str(&text).map_err(|e| {
            // The file holds tokens: say where and, for the parser's limits, why; never quote it.
            let shown = e.to_string();
            let why = if shown.contains("recursion limit exceeded") {
                " (nested too deeply)"
            } else if shown.contains("repetition limit exceeded") {
                " (aliases expand too far)"
            } else {
                ""
            };
            Error::Parse {
                file,
                message: match e.location() {
                    Some(l) => format!("not valid YAML or JSON at line {}{why}", l.line()),
                    None => format!("not valid YAML or JSON{why}"),
                },
            }
        })?;
        Source::from_value(value, "source")
    }

    /// The token for upstream look-ups: `upstream_access_token`, else `access_token` when the
    /// upstream API is the repository's own GitHub.
    pub fn upstream_token(&self) -> Option<&Secret> {
        self.upstream_access_token.as_ref().or_else(|| {
            (self.upstream_api_url.host_str() == self.github_api_url.host_str())
                .then_some(self.access_token.as_ref())
                .flatten()
        })
    }
}

fn register_secrets(value: &serde_json::Value) {
    let Some(obj) = value.as_object() else { return };
    for key in ["access_token", "upstream_access_token", "private_key"] {
        if let Some(s) = obj.get(key).and_then(|v| v.as_str()) {
            secrets::register(s);
        }
    }
    // The release's blobstore, and those of source releases (`golang_release`, vendored-package
    // entries), whose options may hold keys too.
    let entries = obj.get("dependencies").and_then(|d| d.as_array()).into_iter().flatten();
    let stores = std::iter::once(obj.get("blobstore"))
        .chain(std::iter::once(obj.get("golang_release").and_then(|g| g.get("blobstore"))))
        .chain(entries.map(|d| d.get("blobstore")));
    for b in stores.flatten().filter_map(|b| b.as_object()) {
        if let Some(y) = b.get("private_yml").and_then(|v| v.as_str()) {
            // The whole file, and each line and value but those saying where the blobstore is.
            secrets::register_private_yml(y);
        }
        for (k, v) in b.get("options").and_then(|v| v.as_object()).into_iter().flatten() {
            if let Some(s) = v.as_str()
                && SECRET_OPTIONS.contains(&k.as_str())
            {
                secrets::register(s);
            }
        }
    }
}

/// Blobstore option keys whose values are credentials (bosh-s3cli, bosh-gcscli).
pub const SECRET_OPTIONS: &[&str] =
    &["access_key_id", "secret_access_key", "session_token", "json_key", "encryption_key", "sse_kms_key_id"];

/// One line from a serde error: `source.dependencies[0].nmae: unknown key`.
fn serde_error(prefix: &str, path: &str, inner: &str) -> Error {
    let mut key = if path.is_empty() || path == "." { prefix.to_string() } else { format!("{prefix}.{path}") };
    let message = if let Some(rest) = inner.strip_prefix("unknown field `") {
        let field = rest.split('`').next().unwrap_or_default();
        if !key.ends_with(field) {
            key = format!("{key}.{field}");
        }
        "unknown key".to_string()
    } else if let Some(rest) = inner.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or_default();
        key = format!("{key}.{field}");
        "required key is missing".to_string()
    } else {
        // serde_json messages end with " at line L column C" only for text input; values have none.
        inner.to_string()
    };
    Error::config(key, message)
}

fn parse_url(key: &str, text: &str, dir: bool) -> Result<Url> {
    let mut u = Url::parse(text).map_err(|e| Error::config(key, format!("invalid URL: {e}")))?;
    if !matches!(u.scheme(), "http" | "https" | "file") {
        return Err(Error::config(key, format!("unsupported URL scheme {:?}", u.scheme())));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(Error::config(key, "credentials do not belong in the URL; use the token keys"));
    }
    if dir && !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    Ok(u)
}

fn validate(raw: RawSource, p: &str) -> Result<Source> {
    let repository = RepoSlug::parse(&raw.repository)
        .ok_or_else(|| Error::config(format!("{p}.repository"), format!("{:?} is not owner/name", raw.repository)))?;
    let github_api_url =
        parse_url(&format!("{p}.github_api_url"), raw.github_api_url.as_deref().unwrap_or(DEFAULT_API_URL), false)?;
    let upstream_api_url =
        parse_url(&format!("{p}.upstream_api_url"), raw.upstream_api_url.as_deref().unwrap_or(DEFAULT_API_URL), false)?;
    let go_proxy = parse_url(&format!("{p}.go_proxy"), raw.go_proxy.as_deref().unwrap_or(DEFAULT_GO_PROXY), true)?;
    let go_downloads_url = parse_url(
        &format!("{p}.go_downloads_url"),
        raw.go_downloads_url.as_deref().unwrap_or(DEFAULT_GO_DOWNLOADS_URL),
        true,
    )?;
    let git_url = match raw.git_url {
        Some(u) => {
            validate_git_url(&format!("{p}.git_url"), &u)?;
            u
        }
        None => default_git_url(&github_api_url, &repository),
    };
    if let Some(b) = &raw.branch
        && let Some(why) = branch_problem(b)
    {
        return Err(Error::config(format!("{p}.branch"), format!("{b:?} is not a branch name: it {why}")));
    }
    let non_empty = |key: &str, v: Option<String>| -> Result<Option<Secret>> {
        match v {
            Some(s) if s.trim().is_empty() => Err(Error::config(format!("{p}.{key}"), "is empty")),
            Some(s) => Ok(Some(Secret::new(s))),
            None => Ok(None),
        }
    };
    let dependencies = raw.dependencies.map(|list| validate_dependencies(list, &github_api_url, p)).transpose()?;
    let golang_release = vendored::golang_release(raw.golang_release, &github_api_url, &format!("{p}.golang_release"))?;
    let blobstore = validate_blobstore(raw.blobstore, p)?;
    let pull_request = validate_pull_request(raw.pull_request, p)?;
    let git_author = validate_git_author(raw.git_author, p)?;
    let vulndb = vulndb_url(raw.vulndb.as_deref(), p)?;
    if vulndb.is_none() {
        // `security_only` is decided by the database: without it nothing could ever be bumped.
        let entry = dependencies.iter().flatten().position(|d| d.security_only == Some(true));
        let key = match (raw.security_only, entry) {
            (Some(true), _) => Some(format!("{p}.security_only")),
            (_, Some(i)) => Some(format!("{p}.dependencies[{i}].security_only")),
            _ => None,
        };
        if let Some(key) = key {
            return Err(Error::config(key, "needs the vulnerability database, but vulndb is off"));
        }
    }
    Ok(Source {
        repository,
        access_token: non_empty("access_token", raw.access_token)?,
        branch: raw.branch,
        github_api_url,
        git_url,
        private_key: non_empty("private_key", raw.private_key)?,
        upstream_api_url,
        upstream_access_token: non_empty("upstream_access_token", raw.upstream_access_token)?,
        go_proxy,
        go_sumdb: raw.go_sumdb.unwrap_or_else(|| DEFAULT_GO_SUMDB.into()),
        go_downloads_url,
        dependencies,
        blobstore,
        pull_request,
        git_author,
        skip_ssl_verification: raw.skip_ssl_verification.unwrap_or(false),
        golang_release,
        vulndb,
        security_only: raw.security_only.unwrap_or(false),
    })
}

/// `<p>.vulndb`: the database's base URL (a directory: http(s), or `file://` for an unpacked
/// vulndb.zip), [`DEFAULT_VULNDB`] when absent, `None` for `off`.
fn vulndb_url(text: Option<&str>, p: &str) -> Result<Option<Url>> {
    match text {
        Some("off") => Ok(None),
        other => parse_url(&format!("{p}.vulndb"), other.unwrap_or(DEFAULT_VULNDB), true).map(Some),
    }
}

/// `<p>.blobstore`: the credentials as a private.yml or as blobstore options, not both.
fn validate_blobstore(blobstore: Option<RawBlobstore>, p: &str) -> Result<BlobstoreSecrets> {
    Ok(match blobstore {
        None => BlobstoreSecrets::None,
        Some(RawBlobstore { private_yml: Some(_), options: Some(_) }) => {
            return Err(Error::config(format!("{p}.blobstore"), "give private_yml or options, not both"));
        }
        Some(RawBlobstore { private_yml: Some(y), .. }) => BlobstoreSecrets::PrivateYml(Secret::private_yml(y)),
        Some(RawBlobstore { options: Some(o), .. }) => BlobstoreSecrets::Options(o),
        Some(_) => BlobstoreSecrets::None,
    })
}

/// `<p>.pull_request`, with the defaults for what it leaves out.
fn validate_pull_request(pull_request: Option<RawPullRequest>, p: &str) -> Result<PullRequestConfig> {
    Ok(match pull_request {
        None => PullRequestConfig::default(),
        Some(r) => {
            let d = PullRequestConfig::default();
            let branch_prefix = r.branch_prefix.unwrap_or(d.branch_prefix);
            // Checked as the start of a real branch name (`<prefix>golang`): a prefix may end in
            // '/', a branch may not.
            if let Some(why) = branch_problem(&format!("{branch_prefix}x")) {
                return Err(Error::config(
                    format!("{p}.pull_request.branch_prefix"),
                    format!("{branch_prefix:?} cannot start a branch name: the branch {why}"),
                ));
            }
            PullRequestConfig {
                branch_prefix,
                labels: r.labels.unwrap_or(d.labels),
                reviewers: r.reviewers.unwrap_or_default(),
                team_reviewers: r.team_reviewers.unwrap_or_default(),
                draft: r.draft.unwrap_or(false),
                group: r.group.unwrap_or(false),
                security_labels: r.security_labels.unwrap_or(d.security_labels),
            }
        }
    })
}

/// `<p>.git_author`: a name and an email address, or the default author.
fn validate_git_author(git_author: Option<RawAuthor>, p: &str) -> Result<GitAuthor> {
    Ok(match git_author {
        None => GitAuthor::default(),
        Some(a) if a.name.trim().is_empty() || !a.email.contains('@') => {
            return Err(Error::config(format!("{p}.git_author"), "needs a name and an email address"));
        }
        Some(a) => GitAuthor { name: a.name, email: a.email },
    })
}

pub(super) fn default_git_url(api: &Url, repo: &RepoSlug) -> String {
    match api.host_str() {
        Some("api.github.com") | None => format!("https://github.com/{repo}.git"),
        Some(host) => {
            let port = api.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{}://{host}{port}/{repo}.git", api.scheme())
        }
    }
}

pub(super) fn validate_git_url(key: &str, u: &str) -> Result<()> {
    if u.contains(char::is_whitespace) || u.is_empty() || u.starts_with('-') {
        return Err(Error::config(key, "is not a git URL"));
    }
    if let Some(rest) = u.split_once("://").map(|(_, r)| r) {
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.contains('@') && (u.starts_with("http://") || u.starts_with("https://")) {
            return Err(Error::config(key, "credentials do not belong in the URL; use access_token"));
        }
        if !(u.starts_with("https://")
            || u.starts_with("http://")
            || u.starts_with("ssh://")
            || u.starts_with("file://"))
        {
            return Err(Error::config(key, "supported schemes are https://, http://, ssh:// and file://"));
        }
        return Ok(());
    }
    // scp-like ssh (`git@host:o/r.git`) or an absolute local path.
    if u.starts_with('/') || (u.contains('@') && u.contains(':')) {
        return Ok(());
    }
    Err(Error::config(key, format!("{:?} is not a git URL", secrets::strip_url_credentials(u))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(v: serde_json::Value) -> String {
        Source::from_value(v, "source").unwrap_err().to_string()
    }

    #[test]
    fn a_minimal_source_gets_the_documented_defaults() {
        let s = Source::from_value(json!({"repository": "cloudfoundry/nats-release"}), "source").unwrap();
        assert_eq!(s.git_url, "https://github.com/cloudfoundry/nats-release.git");
        assert_eq!(s.github_api_url.as_str(), "https://api.github.com/");
        assert_eq!(s.go_downloads_url.as_str(), "https://go.dev/dl/");
        assert_eq!(s.pull_request.branch_prefix, "currency/");
        assert!(s.dependencies.is_none());
    }

    #[test]
    fn enterprise_api_urls_give_the_enterprise_git_url() {
        let s = Source::from_value(
            json!({"repository": "o/r", "github_api_url": "https://ghe.example.com/api/v3"}),
            "source",
        )
        .unwrap();
        assert_eq!(s.git_url, "https://ghe.example.com/o/r.git");
    }

    #[test]
    fn unknown_keys_are_named() {
        assert_eq!(err(json!({"repository": "o/r", "acces_token": "x"})), "source.acces_token: unknown key");
        let e = err(json!({"repository": "o/r", "dependencies": [{"name": "a", "kind": "golang", "blb": "x"}]}));
        assert_eq!(e, "source.dependencies[0].blb: unknown key");
    }

    #[test]
    fn missing_repository_is_named() {
        assert_eq!(err(json!({})), "source.repository: required key is missing");
    }

    #[test]
    fn templates_need_version_exactly_once() {
        let e = err(json!({"repository": "o/r", "dependencies": [
            {"name": "etcd", "kind": "github-release", "upstream": "etcd-io/etcd", "blob": "etcd/etcd.tar.gz"}]}));
        assert!(e.starts_with("source.dependencies[0].blob: "), "{e}");
        let e = err(json!({"repository": "o/r", "dependencies": [
            {"name": "etcd", "kind": "golang", "blob": "go{version}{version}"}]}));
        assert!(e.contains("exactly once"), "{e}");
    }

    #[test]
    fn blob_templates_cannot_leave_blobs() {
        let e = err(json!({"repository": "o/r", "dependencies": [
            {"name": "go", "kind": "golang", "blob": "../go{version}.tgz"}]}));
        assert_eq!(e, "source.dependencies[0].blob: \"../go{version}.tgz\" leaves blobs/");
    }

    #[test]
    fn bad_constraints_and_duplicate_names_are_named() {
        let e = err(json!({"repository": "o/r", "dependencies": [
            {"name": "go", "kind": "golang", "constraint": "about 1.2"}]}));
        assert!(e.starts_with("source.dependencies[0].constraint: invalid constraint"), "{e}");
        let e = err(json!({"repository": "o/r", "dependencies": [
            {"name": "go", "kind": "golang"}, {"name": "go", "kind": "golang"}]}));
        assert_eq!(e, "source.dependencies[1].name: \"go\" is used twice");
    }

    #[test]
    fn branch_names_follow_git_check_ref_format() {
        for bad in [
            "", "-x", "@", "a b", "a~1", "a^1", "a:b", "a?", "a*", "a[b", "a\\b", "a..b", "a@{1}", "x.", "/a", "a/",
            "a//b", "a/.b", "a.lock", "a.lock/b", "a\u{7f}",
        ] {
            assert!(branch_problem(bad).is_some(), "{bad:?}");
        }
        for good in ["main", "release/1.2", "currency/golang-1.23", "a@b", "v1.0", "x-y_z"] {
            assert_eq!(branch_problem(good), None, "{good:?}");
        }
        let e = err(json!({"repository": "o/r", "branch": "a:b"}));
        assert_eq!(
            e,
            "source.branch: \"a:b\" is not a branch name: it has a space, a control character or one of ~ ^ : ? * [ \\"
        );
        let e = err(json!({"repository": "o/r", "pull_request": {"branch_prefix": "x~"}}));
        assert!(e.starts_with("source.pull_request.branch_prefix: \"x~\" cannot start a branch name"), "{e}");
        let e = err(json!({"repository": "o/r", "dependencies": [{"name": "a..b", "kind": "golang"}]}));
        assert_eq!(e, "source.dependencies[0].name: \"a..b\" cannot be a dependency name: it contains \"..\"");
    }

    #[test]
    fn kind_specific_keys_are_checked() {
        let e = err(json!({"repository": "o/r", "dependencies": [
            {"name": "n", "kind": "go-module", "module": "github.com/nats-io/nats.go", "blob": "x{version}"}]}));
        assert_eq!(e, "source.dependencies[0].blob: is not a key of kind go-module");
        let e = err(json!({"repository": "o/r", "dependencies": [{"name": "n", "kind": "helm"}]}));
        assert!(e.starts_with("source.dependencies[0].kind: unknown kind"), "{e}");
    }

    #[test]
    fn the_default_asset_is_the_blob_file_name() {
        let s = Source::from_value(
            json!({"repository": "o/r", "dependencies": [{"name": "nats-server", "kind": "github-release",
              "upstream": "nats-io/nats-server", "blob": "nats/nats-server-v{version}-linux-amd64.tar.gz"}]}),
            "source",
        )
        .unwrap();
        let DependencyKind::GithubRelease { asset, tag, .. } = &s.dependencies.unwrap()[0].kind else { panic!() };
        assert_eq!(asset.render("2.10.22"), "nats-server-v2.10.22-linux-amd64.tar.gz");
        assert_eq!(tag.render("2.10.22"), "v2.10.22");
    }

    #[test]
    fn templates_extract_the_version() {
        let t = Template::parse("etcd/etcd-v{version}-linux-amd64.tar.gz", true).unwrap();
        assert_eq!(t.extract("etcd/etcd-v3.3.15-linux-amd64.tar.gz"), Some("3.3.15"));
        assert_eq!(t.extract("etcd/etcd-v3.3.15-linux-arm64.tar.gz"), None);
    }

    #[test]
    fn upstream_token_falls_back_to_access_token_on_the_same_host() {
        let s = Source::from_value(json!({"repository": "o/r", "access_token": "tok-123456"}), "source").unwrap();
        assert_eq!(s.upstream_token().map(|t| t.expose()), Some("tok-123456"));
        let s = Source::from_value(
            json!({"repository": "o/r", "access_token": "tok-123456", "github_api_url": "https://ghe.example.com/api/v3"}),
            "source",
        )
        .unwrap();
        assert!(s.upstream_token().is_none());
    }
}
