//! The Concourse resource protocol: stdin JSON, argv, stdout JSON, stderr logs, exit codes.
//!
//! stdout carries exactly one JSON document on success and nothing on failure; every log line
//! and the one-line error go to stderr with secrets redacted.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::source::Source;
use crate::steps::{self, InParams, OutParams, VersionMap};

#[derive(Debug, Deserialize)]
struct RawRequest {
    source: Option<serde_json::Value>,
    #[serde(default)]
    version: Option<serde_json::Value>,
    #[serde(default)]
    params: Option<serde_json::Value>,
}

pub struct Request {
    pub source: Source,
    pub version: Option<VersionMap>,
    pub params: serde_json::Value,
}

/// Parses a request from stdin text.
pub fn parse_request(text: &str) -> Result<Request> {
    let raw: RawRequest = serde_json::from_str(text).map_err(|e| Error::Parse {
        file: "request".into(),
        message: format!("not valid JSON ({})", strip_location(&e.to_string())),
    })?;
    let source =
        Source::from_value(raw.source.ok_or_else(|| Error::config("source", "required key is missing"))?, "source")?;
    let version = match raw.version {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => Some(parse_version(v)?),
    };
    Ok(Request { source, version, params: raw.params.unwrap_or(serde_json::Value::Null) })
}

fn strip_location(s: &str) -> String {
    s.split(" at line ").next().unwrap_or(s).to_string()
}

fn parse_version(v: serde_json::Value) -> Result<VersionMap> {
    let obj = v.as_object().ok_or_else(|| Error::config("version", "must be an object of strings"))?;
    obj.iter()
        .map(|(k, v)| match v.as_str() {
            Some(s) => Ok((k.clone(), s.to_string())),
            None => Err(Error::config(format!("version.{k}"), "must be a string")),
        })
        .collect()
}

pub fn parse_params<T: for<'de> Deserialize<'de> + Default>(v: serde_json::Value) -> Result<T> {
    if v.is_null() {
        return Ok(T::default());
    }
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        match inner.strip_prefix("unknown field `") {
            Some(rest) => {
                Error::config(format!("params.{}", rest.split('`').next().unwrap_or_default()), "unknown key")
            }
            None => Error::config(format!("params.{path}"), inner),
        }
    })
}

/// Runs `f`, printing its JSON result on stdout or its error on stderr.
fn run<T: Serialize>(f: impl FnOnce() -> Result<T>) -> ExitCode {
    match f() {
        Ok(out) => {
            println!("{}", serde_json::to_string(&out).expect("output serialises"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            crate::log!("error: {}", e.one_line());
            ExitCode::FAILURE
        }
    }
}

/// The largest request read from stdin. A request is `source`, `version` and `params`: a few
/// kilobytes, tens with a service-account key; anything near this is not a request.
pub const MAX_REQUEST: u64 = 8 * 1024 * 1024;

/// stdin, at most [`MAX_REQUEST`] bytes: a larger request is refused without reading the rest.
fn read_stdin() -> Result<String> {
    read_request(std::io::stdin())
}

fn read_request(input: impl Read) -> Result<String> {
    let mut bytes = Vec::new();
    input.take(MAX_REQUEST + 1).read_to_end(&mut bytes).map_err(|e| Error::io("stdin", e))?;
    if bytes.len() as u64 > MAX_REQUEST {
        return Err(Error::Parse {
            file: "request".into(),
            message: "is larger than 8 MiB; a request holds only source, version and params".into(),
        });
    }
    String::from_utf8(bytes).map_err(|_| Error::Parse { file: "request".into(), message: "is not UTF-8 text".into() })
}

/// `check`: `[]` when nothing is behind, else `[<current version>]`.
pub fn check_main() -> ExitCode {
    run(|| {
        let req = parse_request(&read_stdin()?)?;
        steps::check::check(req.source)
    })
}

/// `in DEST`: plan.json, report.md, version.json (and artifacts with `params.download`).
pub fn in_main() -> ExitCode {
    in_main_with(std::env::args_os().nth(1).map(PathBuf::from))
}

pub fn in_main_with(dest: Option<PathBuf>) -> ExitCode {
    run(|| {
        let dest = dest.ok_or_else(|| Error::config("argv[1]", "the destination directory is missing"))?;
        let req = parse_request(&read_stdin()?)?;
        let params: InParams = parse_params(req.params)?;
        steps::get::get(req.source, req.version, params, &dest)
    })
}

/// `out SOURCES`: bump, push, open or update pull requests.
pub fn out_main() -> ExitCode {
    out_main_with(std::env::args_os().nth(1).map(PathBuf::from))
}

pub fn out_main_with(sources: Option<PathBuf>) -> ExitCode {
    run(|| {
        let sources = sources.ok_or_else(|| Error::config("argv[1]", "the sources directory is missing"))?;
        let req = parse_request(&read_stdin()?)?;
        let params: OutParams = parse_params(req.params)?;
        steps::put::out(req.source, &sources, params)
    })
}
