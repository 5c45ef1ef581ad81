//! The steps: what `check`, `in` (get) and `out` (put) do once the request is parsed, and the
//! assessment all of them (and the fleet report) start from. Nothing here reads stdin or writes
//! stdout: [`crate::concourse`] and [`crate::cli`] do.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::report::MetadataField;

pub(crate) mod assess;
pub(crate) mod check;
pub(crate) mod get;
pub(crate) mod put;

/// A Concourse version: `{name: target}`, or `{"up-to-date": commit}`.
pub type VersionMap = BTreeMap<String, String>;

/// What `in` and `out` print: the version and the metadata Concourse shows.
#[derive(Debug, Serialize)]
pub struct StepOutput {
    pub version: VersionMap,
    pub metadata: Vec<MetadataField>,
}

/// `params` of `in`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InParams {
    #[serde(default)]
    pub download: bool,
}

/// `params` of `out`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutParams {
    /// Dependency names to bump (default: every one behind).
    #[serde(default)]
    pub only: Vec<String>,
    /// Change nothing remote; print the diff to stderr.
    #[serde(default)]
    pub dry_run: bool,
}

/// The one tokio runtime of a process: two workers (the machines Concourse runs steps on are
/// small, and the work is I/O).
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io("tokio runtime", e))
}

/// `value` as pretty JSON with a trailing newline.
pub fn json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(value).expect("serialises");
    text.push('\n');
    text.into_bytes()
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    std::fs::write(path, json_bytes(value)).map_err(|e| Error::io(path, e))
}
