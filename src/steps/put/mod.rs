//! `out` (put): bump branches and pull requests, as a plan and then its execution; and `currency
//! bump`, the same bumps applied to a local checkout ([`local`]).
//!
//! 1. fetch the base branch and the existing bump branches; assess the base there;
//! 2. plan, without I/O ([`plan`]): the dependencies to bump and their branches;
//! 3. prove the token (the look-up of each branch's open PR) and configure the blobstore before
//!    anything is uploaded;
//! 4. execute each branch ([`execute`]), with one [`kinds::Bump`] per dependency — [`blob`] or
//!    [`module`] — preparing its edits.
//!
//! A failure before the push leaves no branch and no PR; a blob uploaded before a failed push may
//! stay in the blobstore (bosh blobstores cannot delete) and is harmless. A PR that failed to
//! open after its push is opened by the next run, which finds the branch holding the bump. When
//! the repository moves under a put, the put plans again from a fresh fetch, [`ATTEMPTS`] times.

use std::collections::BTreeMap;
use std::path::Path;

use crate::blobstore::Blobstore;
use crate::cache::Cache;
use crate::download::{self, Artifact};
use crate::error::{Error, ErrorKind, Result};
use crate::github::GitHub;
use crate::http::Http;
use crate::release::snapshot::Snapshot;
use crate::source::{Source, UP_TO_DATE};
use crate::steps::assess::{self, Assessment};
use crate::steps::{OutParams, StepOutput, VersionMap, runtime};
use crate::workspace::{self, GitRemote};

mod blob;
mod execute;
mod kinds;
mod local;
mod module;
mod plan;
mod vendored;

pub use local::bump_local;

use blob::BlobKind;
use execute::{Executor, Outcome};
use kinds::Bump;
use module::{GoOnce, ModuleKind};
use plan::Selected;
use vendored::VendoredKind;

/// How many times `out` plans again when the remote moves under it before giving up.
const ATTEMPTS: usize = 3;

pub fn out(source: Source, sources: &Path, params: OutParams) -> Result<StepOutput> {
    runtime()?.block_on(out_async(source, sources, params))
}

async fn out_async(source: Source, sources: &Path, params: OutParams) -> Result<StepOutput> {
    let mut last = String::new();
    for attempt in 1..=ATTEMPTS {
        match out_attempt(source.clone(), sources, &params).await? {
            Ok(output) => return Ok(output),
            Err(why) => {
                crate::log!("{why} while this put ran; planning again ({attempt}/{ATTEMPTS})");
                last = why;
            }
        }
    }
    Err(Error::git(
        crate::secrets::strip_url_credentials(&source.git_url),
        ErrorKind::Conflict,
        format!("the repository kept moving while this put ran ({last}); gave up after {ATTEMPTS} attempts"),
    ))
}

/// One pass of `out`: the step's output, or why the remote moved before a push (nothing pushed).
async fn out_attempt(source: Source, sources: &Path, params: &OutParams) -> Result<Result<StepOutput, String>> {
    let http = Http::new(source.skip_ssl_verification)?;
    let cache = Cache::open();
    if !params.dry_run && source.access_token.is_none() {
        return Err(Error::config("source.access_token", "required for put (push and pull requests)"));
    }
    let prefix = source.pull_request.branch_prefix.clone();
    let fetched =
        workspace::fetch_with_branches(&GitRemote::of(&source), source.branch.as_deref(), Some(&prefix), &cache)?;
    let base = &fetched.base;
    let snapshot = Snapshot::read(&base.files()?)?;
    let commit = base.commit.to_string();
    let a = assess::from_snapshot(source, snapshot, &base.branch, &commit, (&cache, &http), assess::Vulns::All).await?;
    let selected = plan::select(&a, &params.only)?;
    if selected.is_empty() {
        crate::log!("nothing to bump on {} at {}", base.branch, base.commit);
        let version = BTreeMap::from([(UP_TO_DATE.to_string(), commit)]);
        return Ok(Ok(StepOutput { version, metadata: vec![] }));
    }
    let version: VersionMap = selected.iter().map(|s| (s.name().to_string(), s.target().to_string())).collect();
    let groups = plan::groups(&selected, &prefix, a.source.pull_request.group);
    // Prove the token and find the open PRs before anything is uploaded or pushed.
    let github = if params.dry_run { None } else { Some(GitHub::new(&a.source)?) };
    let mut open_prs = Vec::new();
    for group in &groups {
        open_prs.push(match &github {
            Some(gh) => gh.find_open(&group.branch).await?,
            None => None,
        });
    }
    let store = if params.dry_run { None } else { Some(configure_blobstore(&a, sources)?) };
    let work = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let mut executor = Executor {
        source: &a.source,
        http: &http,
        repo: &base.repo,
        remote: GitRemote::of(&a.source),
        base: (&base.branch, base.commit),
        github,
        store,
        work: work.path(),
        dry_run: params.dry_run,
        metadata: Vec::new(),
        fixes: a.plan.dependencies.iter().filter_map(crate::report::security::SecurityFix::of).collect(),
    };
    let go = GoOnce::new(&a.source);
    for (group, open_pr) in groups.iter().zip(open_prs) {
        let head = match fetched.branches.get(&group.branch) {
            Some(oid) => Some((*oid, execute::read_head(&base.repo, *oid, &go_mods(&group.deps))?)),
            None => None,
        };
        if executor.skip_if_not_ours(group, head.as_ref().map(|h| &h.1)) {
            continue;
        }
        let base_files = base.files()?;
        let mut bumps = bumps_of(&http, &a, &base_files, &group.deps, &executor.store_name(), &go).await?;
        let head = head.as_ref().map(|(oid, h)| (*oid, h));
        if let Outcome::Moved(why) = executor.branch(group, head, open_pr, &mut bumps).await? {
            return Ok(Err(why));
        }
    }
    Ok(Ok(StepOutput { version, metadata: executor.metadata }))
}

/// The go.mod files the module bumps among `deps` rewrite.
fn go_mods(deps: &[Selected<'_>]) -> Vec<String> {
    deps.iter().flat_map(|s| s.planned.files.iter().filter(|f| f.ends_with("go.mod")).cloned()).collect()
}

/// One [`Bump`] per dependency, by kind: a blob (its artifacts resolved upstream, one per
/// platform for golang, with the sums upstream publishes) or a Go module. A new kind of bump is one more arm here.
async fn bumps_of<'a>(
    http: &Http,
    a: &Assessment,
    base: &dyn crate::release::snapshot::RepoFiles,
    deps: &[Selected<'_>],
    blobstore: &str,
    go: &'a GoOnce,
) -> Result<Vec<Box<dyn Bump + 'a>>> {
    let mut bumps: Vec<Box<dyn Bump + 'a>> = Vec::new();
    for selected in deps {
        if let Some(crate::upstream::Offer::Release(release)) = a.offer_for(selected.dep)
            && matches!(selected.dep.kind, crate::source::DependencyKind::VendoredPackage { .. })
        {
            bumps.push(Box::new(VendoredKind::new(*selected, release.clone(), &a.snapshot, base, blobstore)?));
        } else if selected.dep.kind.blobs().is_some() {
            let currents = crate::plan::current_blobs(selected.dep, &a.snapshot)?;
            let artifacts = resolve(http, a, *selected).await?;
            bumps.push(Box::new(BlobKind::new(*selected, currents, artifacts, blobstore)));
        } else {
            bumps.push(Box::new(ModuleKind::new(*selected, go)));
        }
    }
    Ok(bumps)
}

/// The artifacts of `selected`'s target (one per blob template), and the sums upstream publishes.
async fn resolve(http: &Http, a: &Assessment, selected: Selected<'_>) -> Result<Vec<Artifact>> {
    let offer = a.offer_for(selected.dep).ok_or_else(|| Error::dependency(selected.name(), "no upstream answer"))?;
    download::resolve(http, &a.source, selected.dep, offer, selected.target()).await
}

/// The release's blobstore: config/final.yml overlaid with `source.blobstore`.
fn configure_blobstore(a: &Assessment, release_dir: &Path) -> Result<Blobstore> {
    let final_yml = a.snapshot.final_yml.as_deref().ok_or_else(|| Error::Parse {
        file: "config/final.yml".into(),
        message: "missing: the blobstore is configured there".into(),
    })?;
    Blobstore::configure(final_yml, &a.source.blobstore, release_dir)
}
