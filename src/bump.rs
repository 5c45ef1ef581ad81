//! Doing bumps: `out` (branch, push, pull request) and `currency bump` (a local checkout).
//!
//! The order that keeps remote state whole:
//! 1. fetch the base branch and the existing bump branches; recompute the plan there;
//! 2. prove the token (the look-up of each bump branch's open PR) before anything is uploaded;
//! 3. per dependency (or once for the group): leave a branch alone when its head is someone
//!    else's; reuse a branch that already holds exactly this bump; else download and verify
//!    the artifact, compute the edits (a spec glob that would stop matching fails here, before
//!    any upload), upload the blob, commit on the base, push, then open or update the PR.
//!
//! A failure before the push leaves no branch and no PR; a blob uploaded before a failed push may
//! stay in the blobstore (bosh blobstores cannot delete) and is harmless. A PR that failed to
//! open after its push is opened by the next run, which finds the branch holding the bump.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::assess::{self, Assessment};
use crate::blobstore::{self, Blobstore};
use crate::cache::Cache;
use crate::concourse::{StepOutput, UP_TO_DATE, VersionMap};
use crate::download::{self, Artifact, Downloaded};
use crate::error::{Error, Result};
use crate::github::GitHub;
use crate::http::Http;
use crate::plan::PlannedDependency;
use crate::release::blob_bump::{self, BlobBump, Edits};
use crate::release::blobs::{BlobEntry, BlobsFile};
use crate::release::snapshot::{BLOBS_YML, DirFiles, RepoFiles, Snapshot};
use crate::report::{self, BumpSummary, MetadataField};
use crate::source::{Dependency, Source};
use crate::workspace::{self, GitRemote};

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

/// The dependencies to bump: behind, with a target, named by `only` when given.
fn select<'a>(a: &'a Assessment, only: &[String]) -> Result<Vec<(&'a Dependency, &'a PlannedDependency)>> {
    for name in only {
        if a.plan.get(name).is_none() {
            let known: Vec<&str> = a.plan.dependencies.iter().map(|d| d.name.as_str()).collect();
            return Err(Error::config(
                "params.only",
                format!("{name:?} is not a tracked dependency (tracked: {})", known.join(", ")),
            ));
        }
    }
    let mut out = Vec::new();
    for planned in &a.plan.dependencies {
        if planned.target.is_none() || (!only.is_empty() && !only.contains(&planned.name)) {
            continue;
        }
        let Some(dep) = a.dependency(&planned.name) else { continue };
        if dep.kind.blob().is_none() {
            crate::log!("{}: {} bumps are not supported yet; skipped", planned.name, dep.kind.name());
            continue;
        }
        out.push((dep, planned));
    }
    Ok(out)
}

/// One blob bump, artifact in hand.
struct Prepared {
    artifact: Artifact,
    downloaded: Downloaded,
    bump: BlobBump,
    release_notes: Option<String>,
}

impl Prepared {
    fn summary(&self, blobstore: &str) -> BumpSummary {
        BumpSummary {
            name: self.bump.dependency.clone(),
            from: self.bump.old_version.clone(),
            to: self.bump.new_version.clone(),
            release_notes: self.release_notes.clone(),
            artifact_url: self.artifact.display_url.clone(),
            sha256: self.downloaded.sha256.clone(),
            expected_from: self.artifact.expected.as_ref().map(|e| e.from.clone()),
            object_id: self.bump.entry.object_id.clone().unwrap_or_default(),
            blobstore: blobstore.to_string(),
            old_blob: self.bump.old_path.clone(),
            new_blob: self.bump.new_path.clone(),
        }
    }
}

fn new_blob_path(dep: &Dependency, target: &str) -> String {
    dep.kind.blob().expect("selected blob dependencies only").render(target)
}

async fn resolve(http: &Http, a: &Assessment, dep: &Dependency, planned: &PlannedDependency) -> Result<Artifact> {
    let target = planned.target.as_deref().expect("selected dependencies have a target");
    let offer = a.offer_for(dep).ok_or_else(|| Error::dependency(&dep.name, "no upstream answer"))?;
    download::resolve(http, &a.source, dep, offer, target).await
}

async fn prepare(
    http: &Http,
    a: &Assessment,
    dep: &Dependency,
    planned: &PlannedDependency,
    artifact: Artifact,
    dir: &Path,
) -> Result<Prepared> {
    let target = planned.target.clone().expect("selected dependencies have a target");
    crate::log!("{}: downloading {}", dep.name, artifact.display_url);
    let downloaded = download::fetch_verified(http, &a.source, &artifact, &dir.join(&dep.name)).await?;
    if !downloaded.verified {
        crate::log!("{}: upstream publishes no checksum for {}; not verified", dep.name, artifact.filename);
    }
    let bump = BlobBump {
        dependency: dep.name.clone(),
        old_path: planned.current_blob.clone().expect("blob dependencies have a current blob"),
        new_path: new_blob_path(dep, &target),
        old_version: planned.current.clone().unwrap_or_default(),
        new_version: target,
        entry: BlobEntry {
            size: downloaded.size,
            object_id: Some(blobstore::new_object_id()),
            sha: format!("sha256:{}", downloaded.sha256),
        },
    };
    Ok(Prepared { artifact, downloaded, bump, release_notes: planned.release_notes.clone() })
}

/// The release's blobstore: config/final.yml overlaid with `source.blobstore`.
fn configure_blobstore(a: &Assessment, release_dir: &Path) -> Result<Blobstore> {
    let final_yml = a.snapshot.final_yml.as_deref().ok_or_else(|| Error::Parse {
        file: "config/final.yml".into(),
        message: "missing: the blobstore is configured there".into(),
    })?;
    Blobstore::configure(final_yml, &a.source.blobstore, release_dir)
}

/// Prints a unified diff of `edits` against `repo` to stderr.
fn print_diff(repo: &dyn RepoFiles, edits: &Edits) -> Result<()> {
    for (path, new) in &edits.files {
        let old = repo.read(path)?.unwrap_or_default();
        let (old, new) = (String::from_utf8_lossy(&old), String::from_utf8_lossy(new));
        let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
        eprint!("{}", diff.unified_diff().context_radius(3).header(&format!("a/{path}"), &format!("b/{path}")));
    }
    Ok(())
}

/// Whether the branch tree already holds every new blob with the expected sha256.
fn branch_holds(repo: &git2::Repository, head: git2::Oid, wanted: &[(String, String)]) -> bool {
    let Ok(tree) = repo.find_commit(head).and_then(|c| c.tree()) else { return false };
    let Ok(entry) = tree.get_path(Path::new(BLOBS_YML)) else { return false };
    let Ok(blob) = repo.find_blob(entry.id()) else { return false };
    let Ok(blobs) = BlobsFile::parse(&String::from_utf8_lossy(blob.content())) else { return false };
    wanted.iter().all(|(path, sha)| blobs.entries.get(path).is_some_and(|e| e.sha.eq_ignore_ascii_case(sha)))
}

pub fn out(req: crate::concourse::Request, sources: &Path, params: OutParams) -> Result<StepOutput> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(out_async(req.source, sources, params))
}

async fn out_async(source: Source, sources: &Path, params: OutParams) -> Result<StepOutput> {
    let http = Http::new(source.skip_ssl_verification)?;
    let cache = Cache::open();
    if !params.dry_run && source.access_token.is_none() {
        return Err(Error::config("source.access_token", "required for put (push and pull requests)"));
    }
    let prefix = source.pull_request.branch_prefix.clone();
    let fetched = {
        let remote = GitRemote::of(&source);
        workspace::fetch_with_branches(&remote, source.branch.as_deref(), Some(&prefix), &cache)?
    };
    let base = fetched.base;
    let snapshot = Snapshot::read(&base.files()?)?;
    let a = assess::from_snapshot(source, snapshot, &base.branch, &base.commit.to_string(), &cache, &http).await?;
    let selected = select(&a, &params.only)?;
    if selected.is_empty() {
        crate::log!("nothing to bump on {} at {}", base.branch, base.commit);
        return Ok(StepOutput {
            version: BTreeMap::from([(UP_TO_DATE.to_string(), base.commit.to_string())]),
            metadata: vec![],
        });
    }
    let version: VersionMap =
        selected.iter().map(|(_, p)| (p.name.clone(), p.target.clone().unwrap_or_default())).collect();
    let groups: Vec<(String, Vec<(&Dependency, &PlannedDependency)>)> = if a.source.pull_request.group {
        vec![(format!("{prefix}all"), selected.clone())]
    } else {
        selected.iter().map(|s| (format!("{prefix}{}", s.0.name), vec![*s])).collect()
    };

    // Prove the token and find the open PRs before anything is uploaded or pushed.
    let github = if params.dry_run { None } else { Some(GitHub::new(&a.source)?) };
    let mut open_prs = Vec::new();
    for (branch, _) in &groups {
        open_prs.push(match &github {
            Some(gh) => gh.find_open(branch).await?,
            None => None,
        });
    }
    let store = if params.dry_run {
        None
    } else {
        Some(configure_blobstore(&a, sources)?)
    };
    let store_name = store.as_ref().map(|s| s.describe()).unwrap_or_else(|| "dry run: not uploaded".into());
    let work = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let files = base.files()?;
    let remote = GitRemote::of(&a.source);
    let mut metadata = Vec::new();

    for ((branch, deps), open_pr) in groups.iter().zip(open_prs) {
        let names: Vec<String> = deps.iter().map(|(d, _)| d.name.clone()).collect();
        let existing = fetched.branches.get(branch).copied();
        if let Some(head) = existing {
            let (author, committer) = workspace::commit_identity(&base.repo, head)?;
            let ours = &a.source.git_author.email;
            if &author != ours || &committer != ours {
                let why = format!("branch {branch} has commits by someone else ({author}); left alone");
                crate::log!("warning: {}: {why}", names.join(", "));
                for n in &names {
                    metadata.push(MetadataField { name: n.clone(), value: format!("skipped: {why}") });
                }
                continue;
            }
        }
        let mut artifacts = Vec::new();
        for (dep, planned) in deps {
            artifacts.push(resolve(&http, &a, dep, planned).await?);
        }
        // Reuse a branch that already holds exactly this bump (same blobs, same verified sums).
        let wanted: Option<Vec<(String, String)>> = deps
            .iter()
            .zip(&artifacts)
            .map(|((dep, planned), art)| {
                let exp = art.expected.as_ref()?;
                Some((new_blob_path(dep, planned.target.as_deref()?), format!("sha256:{}", exp.sha256)))
            })
            .collect();
        if let (Some(head), Some(wanted)) = (existing, &wanted)
            && branch_holds(&base.repo, head, wanted)
        {
            let summaries = summaries_from_branch(&base.repo, head, deps, &artifacts, &store_name);
            let url = ensure_pr(&a, github.as_ref(), branch, &base.branch, open_pr, &summaries).await?;
            crate::log!("{}: {branch} already holds this bump; reused", names.join(", "));
            for n in &names {
                metadata.push(MetadataField { name: n.clone(), value: url.clone() });
            }
            continue;
        }
        let mut prepared = Vec::new();
        for ((dep, planned), art) in deps.iter().zip(artifacts) {
            prepared.push(prepare(&http, &a, dep, planned, art, work.path()).await?);
        }
        if let Some(head) = existing {
            let wanted: Vec<(String, String)> =
                prepared.iter().map(|p| (p.bump.new_path.clone(), p.bump.entry.sha.clone())).collect();
            if branch_holds(&base.repo, head, &wanted) {
                let summaries: Vec<BumpSummary> = prepared.iter().map(|p| p.summary(&store_name)).collect();
                let url = ensure_pr(&a, github.as_ref(), branch, &base.branch, open_pr, &summaries).await?;
                for n in &names {
                    metadata.push(MetadataField { name: n.clone(), value: url.clone() });
                }
                continue;
            }
        }
        let bumps: Vec<BlobBump> = prepared.iter().map(|p| p.bump.clone()).collect();
        let all_edits = blob_bump::apply(&files, &bumps)?;
        if params.dry_run {
            crate::log!("dry run: {} would get:", branch);
            print_diff(&files, &all_edits)?;
            for n in &names {
                metadata.push(MetadataField { name: n.clone(), value: "dry run: nothing pushed".into() });
            }
            continue;
        }
        let store = store.as_ref().expect("configured unless dry run");
        for p in &prepared {
            let id = p.bump.entry.object_id.as_deref().unwrap_or_default();
            crate::log!("{}: uploading {} bytes as {id} to {}", p.bump.dependency, p.downloaded.size, store.describe());
            store.put_file(id, &p.downloaded.path).await?;
        }
        // One commit per dependency, each on top of the previous one.
        let mut parent = base.commit;
        for k in 1..=bumps.len() {
            let edits = blob_bump::apply(&files, &bumps[..k])?;
            let message = report::commit_message(&prepared[k - 1].summary(&store_name));
            parent = workspace::commit_files(&base.repo, parent, &edits.files, &a.source.git_author, &message)?;
        }
        workspace::push(&base.repo, &remote, parent, branch)?;
        crate::log!("pushed {branch}");
        let summaries: Vec<BumpSummary> = prepared.iter().map(|p| p.summary(&store_name)).collect();
        let changed: Vec<String> = all_edits.files.keys().cloned().collect();
        let title = report::pr_title(&summaries);
        let body = report::pr_body(&summaries, &changed, &all_edits.check_by_hand, report::build_url().as_deref());
        let gh = github.as_ref().expect("configured unless dry run");
        let pr = match open_pr {
            Some(pr) => gh.update(pr.number, &title, &body).await?,
            None => gh.open(branch, &base.branch, &title, &body, a.source.pull_request.draft).await?,
        };
        gh.add_labels(pr.number, &a.source.pull_request.labels).await?;
        gh.request_reviewers(pr.number, &a.source.pull_request.reviewers, &a.source.pull_request.team_reviewers).await?;
        crate::log!("{}: {}", names.join(", "), pr.url);
        for n in &names {
            metadata.push(MetadataField { name: n.clone(), value: pr.url.clone() });
        }
    }
    Ok(StepOutput { version, metadata })
}

/// The URL of the branch's open PR, opening one for `summaries` when there is none (its push
/// succeeded in an earlier run but the PR did not open).
async fn ensure_pr(
    a: &Assessment,
    github: Option<&GitHub>,
    branch: &str,
    base: &str,
    open_pr: Option<crate::github::PullRequest>,
    summaries: &[BumpSummary],
) -> Result<String> {
    if let Some(pr) = open_pr {
        return Ok(pr.url);
    }
    let Some(gh) = github else { return Ok("dry run: nothing pushed".into()) };
    let files = vec![BLOBS_YML.to_string()];
    let body = report::pr_body(summaries, &files, &[], report::build_url().as_deref());
    let pr = gh.open(branch, base, &report::pr_title(summaries), &body, a.source.pull_request.draft).await?;
    gh.add_labels(pr.number, &a.source.pull_request.labels).await?;
    gh.request_reviewers(pr.number, &a.source.pull_request.reviewers, &a.source.pull_request.team_reviewers).await?;
    Ok(pr.url)
}

/// Describes the bumps a branch already holds (for a PR lost after its push).
fn summaries_from_branch(
    repo: &git2::Repository,
    head: git2::Oid,
    deps: &[(&Dependency, &PlannedDependency)],
    artifacts: &[Artifact],
    store_name: &str,
) -> Vec<BumpSummary> {
    let blobs = repo
        .find_commit(head)
        .and_then(|c| c.tree())
        .ok()
        .and_then(|t| t.get_path(Path::new(BLOBS_YML)).ok().and_then(|e| repo.find_blob(e.id()).ok()))
        .and_then(|b| BlobsFile::parse(&String::from_utf8_lossy(b.content())).ok())
        .unwrap_or_default();
    deps.iter()
        .zip(artifacts)
        .map(|((dep, planned), art)| {
            let target = planned.target.clone().unwrap_or_default();
            let new_blob = new_blob_path(dep, &target);
            let entry = blobs.entries.get(&new_blob);
            BumpSummary {
                name: dep.name.clone(),
                from: planned.current.clone().unwrap_or_default(),
                to: target,
                release_notes: planned.release_notes.clone(),
                artifact_url: art.display_url.clone(),
                sha256: art.expected.as_ref().map(|e| e.sha256.clone()).unwrap_or_default(),
                expected_from: art.expected.as_ref().map(|e| e.from.clone()),
                object_id: entry.and_then(|e| e.object_id.clone()).unwrap_or_default(),
                blobstore: store_name.to_string(),
                old_blob: planned.current_blob.clone().unwrap_or_default(),
                new_blob,
            }
        })
        .collect()
}

/// `currency bump`: the same edits, on a local checkout: upload included, no git, no PR. The
/// new blob is also placed under `blobs/` (as `bosh add-blob` does) and the old one removed.
pub fn bump_local(source: Source, repo: &Path, only: &[String], dry_run: bool) -> Result<Vec<BumpSummary>> {
    let rt = tokio::runtime::Runtime::new().map_err(|e| Error::io("tokio runtime", e))?;
    rt.block_on(async {
        let http = Http::new(source.skip_ssl_verification)?;
        let cache = Cache::open();
        let a = assess::local(source, repo, &cache, &http).await?;
        let selected = select(&a, only)?;
        let store = if dry_run || selected.is_empty() {
            None
        } else {
            Some(configure_blobstore(&a, repo)?)
        };
        let store_name = store.as_ref().map(|s| s.describe()).unwrap_or_else(|| "dry run: not uploaded".into());
        let work = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
        let files = DirFiles::new(repo);
        let mut summaries = Vec::new();
        for (dep, planned) in selected {
            let artifact = resolve(&http, &a, dep, planned).await?;
            let p = prepare(&http, &a, dep, planned, artifact, work.path()).await?;
            let edits = blob_bump::apply(&files, std::slice::from_ref(&p.bump))?;
            if dry_run {
                print_diff(&files, &edits)?;
                summaries.push(p.summary(&store_name));
                continue;
            }
            let store = store.as_ref().expect("configured unless dry run");
            let id = p.bump.entry.object_id.clone().unwrap_or_default();
            store.put_file(&id, &p.downloaded.path).await?;
            place_blob(repo, &p)?;
            for (path, bytes) in &edits.files {
                write_atomically(&repo.join(path), bytes)?;
            }
            summaries.push(p.summary(&store_name));
        }
        Ok(summaries)
    })
}

fn place_blob(repo: &Path, p: &Prepared) -> Result<()> {
    let blobs = repo.join("blobs");
    let new: PathBuf = blobs.join(&p.bump.new_path);
    if let Some(dir) = new.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    std::fs::copy(&p.downloaded.path, &new).map_err(|e| Error::io(&new, e))?;
    let old = blobs.join(&p.bump.old_path);
    if old.is_file() {
        std::fs::remove_file(&old).map_err(|e| Error::io(&old, e))?;
    }
    Ok(())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(|e| Error::io(path, e))?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}
