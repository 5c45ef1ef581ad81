//! The fleet report (contract §11): `currency fleet --config FLEET.yml --out DIR` reads many
//! releases at once and writes `DIR/fleet.json`, `DIR/fleet.md` and a self-contained
//! `DIR/index.html` — every release × dependency: current, latest on its line, newest overall, how
//! many upstream releases behind, the age of the current version, the open bump PR.
//!
//! How it runs:
//! 1. `config.rs`, [`parse_config`]: FLEET.yml's `defaults` are merged key by key under each
//!    release's keys (the release wins; `pull_request` and `git_author` merge one level down),
//!    `GITHUB_TOKEN` becomes `access_token` where none is set, and each release is validated as a
//!    `source`;
//! 2. `collect.rs`, [`collect()`]: releases are read [`CONCURRENCY`] at a time (git through the
//!    check cache, on the blocking pool; two entries with the same `git_url` take turns on its clone).
//!    Upstreams are asked through a memo shared by the whole fleet: each upstream once (once per
//!    GitHub credential: a release with a token of its own asks with its own), and a module
//!    version's `.info` (the publication date) at most once, kept in the cache for good since it
//!    never changes. With a token, one request lists a release's open pull requests (through
//!    [`crate::github`]), matched to the bump branches by head ref;
//! 3. a release that cannot be read — git, an upstream it needs, its plan — is a row with the
//!    error on one line; the report is still written;
//! 4. `markdown.rs` ([`markdown()`]) and `html.rs` ([`html()`]) are pure renderers of the
//!    [`FleetReport`] (`report.rs`), sharing the matrix's columns (`matrix.rs`) and how far behind
//!    a dependency is ([`Severity`]).

mod collect;
mod config;
mod html;
mod markdown;
mod matrix;
mod report;
mod severity;

use std::path::Path;

use time::OffsetDateTime;

use crate::cache::Cache;
use crate::error::{Error, Result};
use crate::secrets;

pub use collect::collect;
pub use config::read_config;
pub use html::html;
pub use markdown::markdown;
pub use report::FleetReport;

/// Releases read at the same time.
pub const CONCURRENCY: usize = 4;
/// The environment variable whose token is every release's `access_token` when none is set.
pub const TOKEN_VAR: &str = "GITHUB_TOKEN";

/// `currency fleet`: reads FLEET.yml, collects, writes the three files. The returned summary is
/// one line for stdout.
pub fn main(config: &Path, out: &Path, concurrency: usize) -> Result<String> {
    let env_token = std::env::var(TOKEN_VAR).ok();
    let sources = read_config(config, env_token.as_deref())?;
    let rt = crate::steps::runtime()?;
    let now = OffsetDateTime::now_utc();
    let report = rt.block_on(collect(sources, Cache::open(), concurrency, now))?;
    for r in &report.releases {
        if let Some(e) = &r.error {
            crate::log!("warning: {}: not read: {e}", r.repository);
        }
    }
    write(&report, out)?;
    let (behind, total) = report.behind();
    Ok(format!(
        "{}: {} releases ({} unreadable), {behind} of {total} dependencies behind",
        out.display(),
        report.releases.len(),
        report.unreadable()
    ))
}

/// Writes `fleet.json`, `fleet.md` and `index.html` into `dir` (created when missing).
pub fn write(report: &FleetReport, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let json = serde_json::to_string_pretty(report).expect("the report serialises") + "\n";
    // The second net: no registered secret reaches a file, whatever a library put in an error.
    for (name, text) in [("fleet.json", json), ("fleet.md", markdown(report)), ("index.html", html(report))] {
        let path = dir.join(name);
        std::fs::write(&path, secrets::redact(&text)).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}
