//! The `currency` command line: `report`, `bump` and `fleet` for laptops and `fly execute` tasks, and the
//! three resource steps under their own names (`currency check|in|out`) for `docker run -i`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::cache::Cache;
use crate::concourse;
use crate::error::Result;
use crate::http::Http;
use crate::report;
use crate::source::Source;
use crate::steps::{self, assess};

#[derive(Parser)]
#[command(name = "currency", version, about = "Keep BOSH releases current with their upstream dependencies")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Report the tracked dependencies of a release: current, latest, behind.
    Report {
        /// The `source` keys, as YAML or JSON.
        #[arg(long, value_name = "FILE")]
        source: PathBuf,
        /// A local checkout of the release (default: a fresh clone of the source's git_url).
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
        /// Print plan.json instead of Markdown.
        #[arg(long)]
        json: bool,
    },
    /// Apply the bumps to a local checkout (upload included; no push, no PR).
    Bump {
        #[arg(long, value_name = "FILE")]
        source: PathBuf,
        #[arg(long, value_name = "DIR")]
        repo: PathBuf,
        /// Bump only this dependency (repeatable).
        #[arg(long, value_name = "NAME")]
        only: Vec<String>,
        #[arg(long)]
        dry_run: bool,
    },
    /// The fleet report: every release of FLEET.yml against its upstreams, written to DIR as
    /// fleet.json, fleet.md and a self-contained index.html.
    Fleet {
        /// FLEET.yml: `defaults` (source keys for every release) and `releases` (source keys each).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Where fleet.json, fleet.md and index.html are written (created when missing).
        #[arg(long, value_name = "DIR", default_value = "fleet-report")]
        out: PathBuf,
        /// Releases read at the same time.
        #[arg(long, value_name = "N", default_value_t = crate::fleet::CONCURRENCY)]
        parallel: usize,
    },
    /// The resource's check step: request on stdin.
    Check,
    /// The resource's in step: request on stdin, DEST as argument.
    In { dest: PathBuf },
    /// The resource's out step: request on stdin, SOURCES as argument.
    Out { sources: PathBuf },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check => concourse::check_main(),
        Command::In { dest } => concourse::in_main_with(Some(dest)),
        Command::Out { sources } => concourse::out_main_with(Some(sources)),
        Command::Report { source, repo, json } => finish(report_cmd(&source, repo.as_deref(), json)),
        Command::Bump { source, repo, only, dry_run } => finish(bump_cmd(&source, &repo, &only, dry_run)),
        Command::Fleet { config, out, parallel } => {
            finish(crate::fleet::main(&config, &out, parallel).map(|summary| println!("{summary}")))
        }
    }
}

fn finish(r: Result<()>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            crate::log!("error: {}", e.one_line());
            ExitCode::FAILURE
        }
    }
}

fn bump_cmd(source: &std::path::Path, repo: &std::path::Path, only: &[String], dry_run: bool) -> Result<()> {
    let source = Source::from_file(source)?;
    let kinds = steps::put::bump_local(source, repo, only, dry_run)?;
    let (done, modules) = (&kinds.blobs, &kinds.modules);
    if done.is_empty() && modules.is_empty() && kinds.vendored.is_empty() {
        println!("nothing to bump");
    }
    for m in modules {
        let side: Vec<String> = m
            .changes
            .iter()
            .filter(|(p, _, _)| p != &m.module)
            .map(|(p, f, t)| format!("{p} {} -> {}", f.as_deref().unwrap_or("none"), t.as_deref().unwrap_or("none")))
            .collect();
        println!(
            "{}: {} -> {} ({}){}",
            m.name,
            m.from,
            m.to,
            m.go_mods.join(", "),
            if side.is_empty() { String::new() } else { format!("; also {}", side.join(", ")) }
        );
        for n in &m.notes {
            println!("  note: {n}");
        }
    }
    for v in &kinds.vendored {
        println!("{}: {} -> {} (from {} {})", v.name, v.from, v.to, v.source_release, v.source_version);
        for p in &v.packages {
            let object = if dry_run { "-" } else { p.object_id.as_deref().unwrap_or("already in the index") };
            println!("  {} {} ({}, object {object})", p.name, p.fingerprint, p.digest);
        }
    }
    for (b, blob) in done.iter().flat_map(|b| b.blobs.iter().map(move |blob| (b, blob))) {
        println!(
            "{}: {} -> {} ({}, sha256 {}, object {}){}",
            b.name,
            b.from,
            b.to,
            blob.new_blob,
            blob.sha256,
            if dry_run { "-" } else { blob.object_id.as_str() },
            if blob.expected_from.is_none() { " NOT verified upstream" } else { "" }
        );
    }
    Ok(())
}

fn report_cmd(source: &std::path::Path, repo: Option<&std::path::Path>, json: bool) -> Result<()> {
    let source = Source::from_file(source)?;
    let http = Http::new(source.skip_ssl_verification)?;
    let cache = Cache::open();
    let rt = steps::runtime()?;
    let a = match repo {
        Some(dir) => rt.block_on(assess::local(source, dir, &cache, &http, assess::Vulns::All))?,
        None => rt.block_on(assess::remote(source, &cache, &http, assess::Vulns::All))?,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report::PlanJson::from(&a.plan)).expect("serialises"));
    } else {
        print!("{}", report::markdown(&a.plan));
    }
    Ok(())
}
