//! The Concourse resource protocol: stdin JSON, argv, stdout JSON, stderr logs, exit codes.
//!
//! stdout carries exactly one JSON document on success and nothing on failure; every log line
//! and the one-line error go to stderr with secrets redacted.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::{Deserialize, Serialize};

use crate::assess;
use crate::cache::Cache;
use crate::error::{Error, Result};
use crate::http::Http;
use crate::report::{self, MetadataField};
use crate::source::Source;

/// A Concourse version: `{name: target}`, or `{"up-to-date": commit}`.
pub type VersionMap = BTreeMap<String, String>;

pub const UP_TO_DATE: &str = "up-to-date";

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
    let source = Source::from_value(
        raw.source.ok_or_else(|| Error::config("source", "required key is missing"))?,
        "source",
    )?;
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InParams {
    #[serde(default)]
    pub download: bool,
}

pub fn parse_params<T: for<'de> Deserialize<'de> + Default>(v: serde_json::Value) -> Result<T> {
    if v.is_null() {
        return Ok(T::default());
    }
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        match inner.strip_prefix("unknown field `") {
            Some(rest) => Error::config(format!("params.{}", rest.split('`').next().unwrap_or_default()), "unknown key"),
            None => Error::config(format!("params.{path}"), inner),
        }
    })
}

#[derive(Debug, Serialize)]
pub struct StepOutput {
    pub version: VersionMap,
    pub metadata: Vec<MetadataField>,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime starts")
}

/// Runs `f`, printing its JSON result on stdout or its error on stderr.
fn run<T: Serialize>(f: impl FnOnce() -> Result<T>) -> ExitCode {
    match f() {
        Ok(out) => {
            println!("{}", serde_json::to_string(&out).expect("output serialises"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            crate::log!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line.
pub fn one_line(e: &Error) -> String {
    let mut s = e.to_string();
    let mut cur = std::error::Error::source(e);
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s = format!("{s}: {m}");
        }
        cur = c.source();
    }
    s.replace('\n', " ")
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
    input
        .take(MAX_REQUEST + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("stdin", e))?;
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
        check(req)
    })
}

pub fn check(req: Request) -> Result<Vec<VersionMap>> {
    let http = Http::new(req.source.skip_ssl_verification)?;
    let cache = Cache::open();
    let a = runtime().block_on(assess::remote(req.source, &cache, &http))?;
    let version = a.plan.version();
    for d in a.plan.dependencies.iter().filter(|d| d.behind) {
        crate::log!(
            "{}: {} -> {}",
            d.name,
            d.current.as_deref().unwrap_or("?"),
            d.target.as_deref().or(d.latest.as_deref()).unwrap_or("?")
        );
    }
    Ok(if version.is_empty() { vec![] } else { vec![version] })
}

/// `in DEST`: plan.json, report.md, version.json (and artifacts with `params.download`).
pub fn in_main() -> ExitCode {
    in_main_with(std::env::args_os().nth(1).map(PathBuf::from))
}

pub fn in_main_with(dest: Option<PathBuf>) -> ExitCode {
    run(|| {
        let dest = dest.ok_or_else(|| Error::config("argv[1]", "the destination directory is missing"))?;
        let req = parse_request(&read_stdin()?)?;
        get(req, &dest)
    })
}

pub fn get(req: Request, dest: &Path) -> Result<StepOutput> {
    let params: InParams = parse_params(req.params)?;
    let requested = req.version.ok_or_else(|| Error::config("version", "required key is missing"))?;
    let http = Http::new(req.source.skip_ssl_verification)?;
    let cache = Cache::open();
    let rt = runtime();
    let mut a = rt.block_on(assess::remote(req.source, &cache, &http))?;
    let up_to_date = requested.contains_key(UP_TO_DATE);
    if up_to_date && requested.len() > 1 {
        return Err(Error::config("version", "\"up-to-date\" cannot be combined with dependency names"));
    }
    if !up_to_date {
        a.plan.pin(&requested)?;
    }
    std::fs::create_dir_all(dest).map_err(|e| Error::io(dest, e))?;
    // All or nothing: a failure half-way (the second artifact of two) takes back what this run
    // wrote, so the destination never holds a partial result.
    let mut written: Vec<PathBuf> = Vec::new();
    let artifacts = dest.join("artifacts");
    let artifacts_existed = artifacts.exists();
    let result = (|| -> Result<()> {
        if params.download && !up_to_date {
            for (name, target) in &requested {
                let dep = a.dependency(name).ok_or_else(|| Error::dependency(name, "is not tracked"))?;
                if dep.kind.blob().is_none() {
                    continue;
                }
                let offer = a.offer_for(dep).ok_or_else(|| Error::dependency(name, "no upstream answer"))?;
                let artifact = rt.block_on(crate::download::resolve(&http, &a.source, dep, offer, target))?;
                let dir = artifacts.join(name);
                if !dir.exists() {
                    written.push(dir.clone());
                }
                let got = rt.block_on(crate::download::fetch_verified(&http, &a.source, &artifact, &dir))?;
                crate::log!(
                    "{name}: {} ({} bytes, sha256 {}{})",
                    artifact.filename,
                    got.size,
                    got.sha256,
                    if got.verified { ", verified" } else { ", NOT verified: upstream publishes no checksum" }
                );
            }
        }
        for (file, bytes) in [
            ("plan.json", json_bytes(&a.plan)),
            ("report.md", report::markdown(&a.plan).into_bytes()),
            ("version.json", json_bytes(&requested)),
        ] {
            let path = dest.join(file);
            if !path.exists() {
                written.push(path.clone());
            }
            write_file(&path, &bytes)?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        for path in written.iter().rev() {
            let _ = if path.is_dir() { std::fs::remove_dir_all(path) } else { std::fs::remove_file(path) };
        }
        if !artifacts_existed {
            let _ = std::fs::remove_dir(&artifacts);
        }
        return Err(e);
    }
    let metadata = if up_to_date {
        vec![MetadataField { name: "commit".into(), value: a.plan.commit.clone() }]
    } else {
        report::in_metadata(&a.plan, &requested)
    };
    Ok(StepOutput { version: requested, metadata })
}

/// `out SOURCES`: bump, push, open or update pull requests.
pub fn out_main() -> ExitCode {
    out_main_with(std::env::args_os().nth(1).map(PathBuf::from))
}

pub fn out_main_with(sources: Option<PathBuf>) -> ExitCode {
    run(|| {
        let sources = sources.ok_or_else(|| Error::config("argv[1]", "the sources directory is missing"))?;
        let mut req = parse_request(&read_stdin()?)?;
        let params: crate::bump::OutParams = parse_params(std::mem::take(&mut req.params))?;
        crate::bump::out(req, &sources, params)
    })
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    write_file(path, &json_bytes(value))
}

fn json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(value).expect("serialises");
    text.push('\n');
    text.into_bytes()
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
}
