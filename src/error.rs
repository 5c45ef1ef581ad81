//! Errors that users see. Every variant names what went wrong *where*: the `source` key, the file
//! (and line), the URL or the dependency. The binaries print the chain on one line
//! (`error: …`) after secrets have been redacted (see [`crate::secrets`]).
//!
//! "Upstream is broken" (HTTP, git) stays distinct from "your input is wrong" (config, parse).

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

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request or `source` is wrong: names the key (`source.dependencies[1].blob`).
    #[error("{key}: {message}")]
    Config { key: String, message: String },
    /// A file of the release (or a file the user gave) does not parse.
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    /// An HTTP exchange failed; `url` never carries credentials.
    #[error("{url}: {message}")]
    Http { url: String, status: Option<u16>, message: String },
    /// A git operation failed against `url` (credentials stripped).
    #[error("git {url}: {message}")]
    Git { url: String, message: String },
    /// Something about one dependency (upstream lacks the target, checksum mismatch, …).
    #[error("dependency {name}: {message}")]
    Dependency { name: String, message: String },
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
    pub fn dependency(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Dependency { name: name.into(), message: message.into() }
    }
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io { path: path.as_ref().display().to_string(), source }
    }

    /// The error and its causes on one line.
    pub fn one_line(&self) -> String {
        let mut s = self.to_string();
        let mut cur = std::error::Error::source(self);
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
