//! Errors that users see. Every variant names what went wrong *where*: the `source` key, the file
//! (and line), the URL or the dependency. The binaries print the chain on one line
//! (`error: …`) after secrets have been redacted (see [`crate::secrets`]).
//!
//! "Upstream is broken" (HTTP, git) stays distinct from "your input is wrong" (config, parse):
//! [`Error::kind`] tells callers whose fault an error is ([`ErrorKind`]) without reading its
//! text. The underlying error (reqwest, git2, octocrab, serde_json, I/O) is kept as the `source`;
//! the message already tells it in the words users read, so [`Error::one_line`] adds only what
//! the message does not say (an I/O error's chain).

use std::fmt;

/// A parse failure inside one file, before the caller knows the file's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line, when the parser knows it.
    pub line: Option<usize>,
    pub message: String,
}

impl ParseError {
    pub fn new(message: impl Into<String>) -> Self {
        ParseError { line: None, message: message.into() }
    }
    pub fn at(line: usize, message: impl Into<String>) -> Self {
        ParseError { line: Some(line), message: message.into() }
    }
    /// Attach the file name: `config/blobs.yml:3: message`.
    pub fn in_file(self, file: impl Into<String>) -> Error {
        let file = file.into();
        let file = match self.line {
            Some(l) => format!("{file}:{l}"),
            None => file,
        };
        Error::Parse { file, message: self.message }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ParseError {}

/// Whose fault an error is, for callers that decide on it (retry, report, exit) without reading
/// the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request, `source` or a setting is wrong: the user's to fix.
    Config,
    /// A file of the release (or a file the user gave) does not parse or says something impossible.
    Invalid,
    /// A credential was rejected, or lacks access.
    Unauthorized,
    /// What was asked for does not exist (a release, an asset, a version, an object, a branch).
    NotFound,
    /// A rate limit stopped the exchange.
    RateLimited,
    /// Upstream is broken: 5xx, the connection, an answer that is garbage.
    UpstreamBroken,
    /// A download's bytes are not the ones its checksum names.
    ChecksumMismatch,
    /// The repository kept moving, or a push or write was refused.
    Conflict,
    /// Local I/O or a local git operation failed.
    Local,
}

impl ErrorKind {
    /// What an HTTP answer's status says (none: no usable answer at all).
    pub fn of_status(status: Option<u16>) -> ErrorKind {
        match status {
            Some(401 | 403) => ErrorKind::Unauthorized,
            Some(404 | 410) => ErrorKind::NotFound,
            Some(429) => ErrorKind::RateLimited,
            Some(409 | 412) => ErrorKind::Conflict,
            Some(400..=499) => ErrorKind::Config,
            _ => ErrorKind::UpstreamBroken,
        }
    }
}

/// An underlying error kept as a cause.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request or `source` is wrong: names the key (`source.dependencies[1].blob`).
    #[error("{key}: {message}")]
    Config { key: String, message: String },
    /// A file of the release (or a file the user gave) does not parse.
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    /// An HTTP exchange with `url` failed; `url` never carries credentials. `message` already
    /// says what `source` says, in the words users read.
    #[error("{url}: {message}")]
    Http {
        url: String,
        status: Option<u16>,
        message: String,
        kind: ErrorKind,
        #[source]
        source: Option<Cause>,
    },
    /// No HTTP client could be built (TLS backend, system configuration).
    #[error("HTTP client: {source}")]
    HttpClient {
        #[source]
        source: reqwest::Error,
    },
    /// A git exchange with the repository at `url` failed (credentials stripped).
    #[error("git {url}: {message}")]
    Git {
        url: String,
        message: String,
        kind: ErrorKind,
        #[source]
        source: Option<git2::Error>,
    },
    /// A git operation on the local repository (`what`: the commit, the checkout, the cache, a
    /// path read from a tree) failed.
    #[error("git {what}: {}", .source.message())]
    LocalGit {
        what: String,
        #[source]
        source: git2::Error,
    },
    /// Something about one dependency (upstream lacks the target, checksum mismatch, …); `source`
    /// is the failure it came to, already told in `message`.
    #[error("dependency {name}: {message}")]
    Dependency {
        name: String,
        message: String,
        kind: ErrorKind,
        #[source]
        source: Option<Box<Error>>,
    },
    /// Local I/O on a named path.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub fn config(key: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config { key: key.into(), message: message.into() }
    }
    /// Something one dependency lacks (a release, an asset, a version, an entry): [`ErrorKind::NotFound`].
    pub fn dependency(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::dependency_as(ErrorKind::NotFound, name, message)
    }
    /// Something about one dependency, of the given kind.
    pub fn dependency_as(kind: ErrorKind, name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Dependency { name: name.into(), message: message.into(), kind, source: None }
    }
    /// One dependency's failure that `cause` brought about (told in `message`); of its kind.
    pub fn dependency_because(name: impl Into<String>, message: impl Into<String>, cause: Error) -> Self {
        Error::Dependency {
            name: name.into(),
            message: message.into(),
            kind: cause.kind(),
            source: Some(Box::new(cause)),
        }
    }
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io { path: path.as_ref().display().to_string(), source }
    }
    /// An HTTP failure at `url`; its kind follows the status ([`ErrorKind::of_status`]).
    pub fn http(url: impl Into<String>, status: Option<u16>, message: impl Into<String>) -> Self {
        Error::Http {
            url: url.into(),
            status,
            message: message.into(),
            kind: ErrorKind::of_status(status),
            source: None,
        }
    }
    /// An answer from `url` that is not what it should be (not JSON, not UTF-8, not a list):
    /// upstream is broken.
    pub fn garbage(url: impl Into<String>, message: impl Into<String>, source: Option<Cause>) -> Self {
        Error::Http { url: url.into(), status: None, message: message.into(), kind: ErrorKind::UpstreamBroken, source }
    }
    /// A git failure against `url` of the given kind.
    pub fn git(url: impl Into<String>, kind: ErrorKind, message: impl Into<String>) -> Self {
        Error::Git { url: url.into(), message: message.into(), kind, source: None }
    }
    /// A local git operation on `what` failed.
    pub fn local_git(what: impl Into<String>, source: git2::Error) -> Self {
        Error::LocalGit { what: what.into(), source }
    }

    /// Keeps `cause` as the source of an [`Error::Http`] (other variants are returned as they are).
    pub fn caused_by(mut self, cause: impl Into<Cause>) -> Self {
        if let Error::Http { source, .. } = &mut self {
            *source = Some(cause.into());
        }
        self
    }

    /// Whose fault it is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config { .. } => ErrorKind::Config,
            Error::Parse { .. } => ErrorKind::Invalid,
            Error::Http { kind, .. } | Error::Git { kind, .. } | Error::Dependency { kind, .. } => *kind,
            Error::HttpClient { .. } | Error::LocalGit { .. } | Error::Io { .. } => ErrorKind::Local,
        }
    }

    /// The HTTP status, when the error is an HTTP answer (also behind a dependency's failure).
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Http { status, .. } => *status,
            Error::Dependency { source: Some(cause), .. } => cause.status(),
            _ => None,
        }
    }

    /// The cause [`Error::one_line`] still has to tell: an I/O error's. Every other variant's
    /// message already tells its source in the words users read (git's message without its
    /// class and code, reqwest's innermost cause, the failure a dependency came to).
    fn untold_source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }

    /// The error and its causes on one line.
    pub fn one_line(&self) -> String {
        let mut s = self.to_string();
        let mut cur = self.untold_source();
        while let Some(c) = cur {
            let m = c.to_string();
            if !s.contains(&m) {
                s = format!("{s}: {m}");
            }
            cur = c.source();
        }
        s.replace('\n', " ")
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn each_failure_says_whose_fault_it_is() {
        assert_eq!(Error::config("source.branch", "bad").kind(), ErrorKind::Config);
        assert_eq!(ParseError::at(3, "no").in_file("config/blobs.yml").kind(), ErrorKind::Invalid);
        let url = "https://api.github.com/repos/o/r";
        assert_eq!(Error::http(url, Some(401), "401 Unauthorized").kind(), ErrorKind::Unauthorized);
        assert_eq!(Error::http(url, Some(403), "403 Forbidden").kind(), ErrorKind::Unauthorized);
        assert_eq!(Error::http(url, Some(404), "404 Not Found").kind(), ErrorKind::NotFound);
        assert_eq!(Error::http(url, Some(429), "429").kind(), ErrorKind::RateLimited);
        assert_eq!(Error::http(url, Some(412), "412").kind(), ErrorKind::Conflict);
        assert_eq!(Error::http(url, Some(502), "502 Bad Gateway").kind(), ErrorKind::UpstreamBroken);
        assert_eq!(Error::http(url, None, "timed out").kind(), ErrorKind::UpstreamBroken);
        assert_eq!(Error::garbage(url, "not JSON", None).kind(), ErrorKind::UpstreamBroken);
        assert_eq!(Error::dependency("etcd", "has no release v9").kind(), ErrorKind::NotFound);
        let mismatch = Error::dependency_as(ErrorKind::ChecksumMismatch, "etcd", "checksum mismatch for x");
        assert_eq!(mismatch.kind(), ErrorKind::ChecksumMismatch);
        assert_eq!(
            Error::git("https://github.com/o/r", ErrorKind::Conflict, "push rejected: x").kind(),
            ErrorKind::Conflict
        );
        let git = git2::Error::new(git2::ErrorCode::NotFound, git2::ErrorClass::Odb, "object not found");
        assert_eq!(Error::local_git("local commit", git).kind(), ErrorKind::Local);
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        assert_eq!(Error::io("/tmp/x", io).kind(), ErrorKind::Local);
    }

    #[test]
    fn a_dependency_failure_is_of_the_kind_and_status_of_its_cause() {
        let cut = Error::http("https://example.com/f.tgz", Some(503), "503 Service Unavailable");
        let e = Error::dependency_because("etcd", format!("downloading f.tgz failed 3 times; the last: {cut}"), cut);
        assert_eq!((e.kind(), e.status()), (ErrorKind::UpstreamBroken, Some(503)));
        assert!(e.source().is_some_and(|c| c.to_string().starts_with("https://example.com/f.tgz: 503")));
        assert_eq!(
            e.one_line(),
            "dependency etcd: downloading f.tgz failed 3 times; the last: https://example.com/f.tgz: 503 Service Unavailable"
        );
    }

    #[test]
    fn one_line_tells_a_kept_source_once_in_the_words_of_the_message() {
        // git2's Display adds its class and code; the line keeps libgit2's message alone.
        let git = git2::Error::new(git2::ErrorCode::NotFound, git2::ErrorClass::Odb, "object not found - no match");
        let e = Error::local_git("local checkout", git);
        assert!(e.source().is_some());
        assert_eq!(e.one_line(), "git local checkout: object not found - no match");
        // reqwest's chain (here an I/O cause) is told by the message's own summary.
        let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "connection reset by peer");
        let e =
            Error::http("https://example.com/x", None, "cannot connect (connection reset by peer)").caused_by(reset);
        assert!(e.source().is_some());
        assert_eq!(e.one_line(), "https://example.com/x: cannot connect (connection reset by peer)");
        let json = serde_json::from_str::<Vec<u8>>("{").unwrap_err();
        let text = json.to_string();
        let e = Error::garbage("https://example.com/j", format!("not a list: {json}"), Some(Box::new(json)));
        assert_eq!(e.one_line(), format!("https://example.com/j: not a list: {text}"));
    }

    #[test]
    fn one_line_joins_an_io_chain_and_folds_newlines() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone\naway");
        assert_eq!(Error::io("/tmp/x", io).one_line(), "/tmp/x: gone away");
        let e = Error::config("source", "line one\nline two");
        assert_eq!(e.one_line(), "source: line one line two");
    }
}
