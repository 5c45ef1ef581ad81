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

use crate::blobstore::{self, Blobstore};
use crate::cache::Cache;
use crate::download::{self, Artifact, Downloaded};
use crate::error::{Error, Result};
use crate::github::GitHub;
use crate::go_toolchain::spec_sync;
use crate::go_toolchain::{self, GoSettings};
use crate::http::Http;
use crate::plan::PlannedDependency;
use crate::release::blob_bump::{self, BlobBump, Edits};
use crate::release::blobs::{BlobEntry, BlobsFile};
use crate::release::snapshot::{BLOBS_YML, DirFiles, RepoFiles, Snapshot};
use crate::report::{self, BumpSummary, MetadataField, ModuleSummary};
use crate::source::DependencyKind;
use crate::source::UP_TO_DATE;
use crate::source::{Dependency, Source};
use crate::steps::assess::{self, Assessment};
use crate::steps::{OutParams, StepOutput, VersionMap, runtime};
use crate::workspace::{self, GitRemote};

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
    crate::log!("{}: {}", dep.name, artifact.display_url);
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
    let text = String::from_utf8_lossy(blob.content());
    if crate::yaml::check_yaml_nesting(&text).is_err() {
        return false;
    }
    let Ok(blobs) = BlobsFile::parse(&text) else { return false };
    wanted.iter().all(|(path, sha)| blobs.entries.get(path).is_some_and(|e| e.sha.eq_ignore_ascii_case(sha)))
}

pub fn out(source: Source, sources: &Path, params: OutParams) -> Result<StepOutput> {
    runtime()?.block_on(out_async(source, sources, params))
}

/// How many times `out` plans again when the remote moves under it before giving up.
const ATTEMPTS: usize = 3;

/// One pass of `out`: done, or stopped before a push because the remote moved.
enum Attempt {
    Done(StepOutput),
    Moved(String),
}

async fn out_async(source: Source, sources: &Path, params: OutParams) -> Result<StepOutput> {
    let mut last = String::new();
    for attempt in 1..=ATTEMPTS {
        match out_attempt(source.clone(), sources, &params).await? {
            Attempt::Done(output) => return Ok(output),
            Attempt::Moved(why) => {
                crate::log!("{why} while this put ran; planning again ({attempt}/{ATTEMPTS})");
                last = why;
            }
        }
    }
    Err(Error::Git {
        url: crate::secrets::strip_url_credentials(&source.git_url),
        message: format!("the repository kept moving while this put ran ({last}); gave up after {ATTEMPTS} attempts"),
    })
}

async fn out_attempt(source: Source, sources: &Path, params: &OutParams) -> Result<Attempt> {
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
        return Ok(Attempt::Done(StepOutput {
            version: BTreeMap::from([(UP_TO_DATE.to_string(), base.commit.to_string())]),
            metadata: vec![],
        }));
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
    let store = if params.dry_run { None } else { Some(configure_blobstore(&a, sources)?) };
    let store_name = store.as_ref().map(|s| s.describe()).unwrap_or_else(|| "dry run: not uploaded".into());
    let work = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let files = base.files()?;
    let remote = GitRemote::of(&a.source);
    let mut metadata = Vec::new();
    let go = GoOnce::default();

    for ((branch, deps), open_pr) in groups.iter().zip(open_prs) {
        let names: Vec<String> = deps.iter().map(|(d, _)| d.name.clone()).collect();
        let existing = fetched.branches.get(branch).copied();
        if let Some(head) = existing {
            let (author, committer) = workspace::commit_identity(&base.repo, head)?;
            let ours = &a.source.git_author.email;
            if &author != ours || &committer != ours {
                let why = format!("branch {branch} has commits by someone else ({author}); left alone");
                crate::log!("warning: {}: {why}", names.join(", "));
                record(&mut metadata, &names, &format!("skipped: {why}"));
                continue;
            }
        }
        let (blob_deps, module_deps): (Vec<_>, Vec<_>) = deps.iter().partition(|(d, _)| d.kind.blob().is_some());
        let mut artifacts = Vec::new();
        for (dep, planned) in &blob_deps {
            artifacts.push(resolve(&http, &a, dep, planned).await?);
        }
        // Reuse a branch that already holds exactly this bump (same blobs and verified sums, same
        // module requirements).
        let modules_held =
            existing.is_some_and(|head| module_deps.iter().all(|(d, p)| branch_requires(&base.repo, head, d, p)));
        let wanted: Option<Vec<(String, String)>> = blob_deps
            .iter()
            .zip(&artifacts)
            .map(|((dep, planned), art)| {
                let exp = art.expected.as_ref()?;
                Some((new_blob_path(dep, planned.target.as_deref()?), format!("sha256:{}", exp.sha256)))
            })
            .collect();
        if let (Some(head), Some(wanted)) = (existing, &wanted)
            && modules_held
            && branch_holds(&base.repo, head, wanted)
        {
            let blobs = summaries_from_branch(&base.repo, head, &blob_deps, &artifacts, &store_name);
            let modules: Vec<ModuleSummary> = module_deps.iter().map(|(d, p)| module_summary(d, p)).collect();
            let url = ensure_pr(&a, github.as_ref(), branch, &base.branch, open_pr, &blobs, &modules).await?;
            crate::log!("{}: {branch} already holds this bump; reused", names.join(", "));
            record(&mut metadata, &names, &url);
            continue;
        }
        let mut prepared = Vec::new();
        for ((dep, planned), art) in blob_deps.iter().zip(artifacts) {
            prepared.push(prepare(&http, &a, dep, planned, art, work.path()).await?);
        }
        if let Some(head) = existing
            && modules_held
        {
            let wanted: Vec<(String, String)> =
                prepared.iter().map(|p| (p.bump.new_path.clone(), p.bump.entry.sha.clone())).collect();
            if branch_holds(&base.repo, head, &wanted) {
                let blobs: Vec<BumpSummary> = prepared.iter().map(|p| p.summary(&store_name)).collect();
                let modules: Vec<ModuleSummary> = module_deps.iter().map(|(d, p)| module_summary(d, p)).collect();
                let url = ensure_pr(&a, github.as_ref(), branch, &base.branch, open_pr, &blobs, &modules).await?;
                record(&mut metadata, &names, &url);
                continue;
            }
        }
        // Every blob edit is checked against the base before anything is uploaded.
        let bumps: Vec<BlobBump> = prepared.iter().map(|p| p.bump.clone()).collect();
        let blob_edits = blob_bump::apply(&files, &bumps)?;
        if params.dry_run {
            crate::log!("dry run: {} would get:", branch);
            print_diff(&files, &blob_edits)?;
            for (dep, planned) in &module_deps {
                let (changes, _) = module_bump(&base.repo, base.commit, dep, planned, go.get_or_init(&a)?)?;
                print_module_diff(&files, &changes)?;
            }
            record(&mut metadata, &names, "dry run: nothing pushed");
            continue;
        }
        let store = store.as_ref().expect("configured unless dry run");
        for p in &prepared {
            let id = p.bump.entry.object_id.as_deref().unwrap_or_default();
            let started = std::time::Instant::now();
            crate::log!("{}: uploading {} bytes as {id} to {}", p.bump.dependency, p.downloaded.size, store.describe());
            store.put_file(id, &p.downloaded.path).await?;
            let secs = started.elapsed().as_secs_f64();
            crate::log!(
                "{}: uploaded in {secs:.1}s ({:.1} MiB/s)",
                p.bump.dependency,
                p.downloaded.size as f64 / 1048576.0 / secs.max(0.001)
            );
        }
        // One commit per dependency, in order, each on top of the previous one.
        let mut parent = base.commit;
        let mut changed_files = std::collections::BTreeSet::new();
        let mut blob_summaries = Vec::new();
        let mut module_summaries = Vec::new();
        let mut lines_order = Vec::new();
        for (dep, planned) in deps {
            let (changed, removed, message) = if let Some(p) = prepared.iter().find(|p| p.bump.dependency == dep.name) {
                let tree = workspace::tree_files(&base.repo, parent)?;
                let edits = blob_bump::apply(&tree, std::slice::from_ref(&p.bump))?;
                let summary = p.summary(&store_name);
                let message = report::commit_message(&summary.line());
                blob_summaries.push(summary);
                lines_order.push(dep.name.clone());
                (edits.files, Vec::new(), message)
            } else {
                let (changes, summary) = module_bump(&base.repo, parent, dep, planned, go.get_or_init(&a)?)?;
                let message = report::commit_message(&summary.line());
                module_summaries.push(summary);
                lines_order.push(dep.name.clone());
                (changes.changed, changes.removed, message)
            };
            if changed.is_empty() && removed.is_empty() {
                crate::log!("{}: nothing changed", dep.name);
                continue;
            }
            changed_files.extend(changed.keys().cloned());
            changed_files.extend(removed.iter().cloned());
            parent = workspace::commit_changes(&base.repo, parent, &changed, &removed, &a.source.git_author, &message)?;
        }
        if parent == base.commit {
            crate::log!("{}: nothing to commit", names.join(", "));
            continue;
        }
        match workspace::push_leased(&base.repo, &remote, parent, branch, existing, (&base.branch, base.commit))? {
            workspace::Pushed::Done => crate::log!("pushed {branch}"),
            workspace::Pushed::Moved(why) => return Ok(Attempt::Moved(why)),
        }
        let changed: Vec<String> = changed_files.into_iter().collect();
        let title = title_in_order(&lines_order, &blob_summaries, &module_summaries);
        let body = report::pr_body(
            &blob_summaries,
            &module_summaries,
            &changed,
            &blob_edits.check_by_hand,
            report::build_url().as_deref(),
        );
        let gh = github.as_ref().expect("configured unless dry run");
        let pr = match open_pr {
            Some(pr) => gh.update(pr.number, &title, &body).await?,
            None => gh.open(branch, &base.branch, &title, &body, a.source.pull_request.draft).await?,
        };
        gh.add_labels(pr.number, &a.source.pull_request.labels).await?;
        gh.request_reviewers(pr.number, &a.source.pull_request.reviewers, &a.source.pull_request.team_reviewers)
            .await?;
        crate::log!("{}: {}", names.join(", "), pr.url);
        record(&mut metadata, &names, &pr.url);
    }
    Ok(Attempt::Done(StepOutput { version, metadata }))
}

/// The same metadata `value` for every dependency in `names` (one branch's outcome).
fn record(metadata: &mut Vec<MetadataField>, names: &[String], value: &str) {
    metadata.extend(names.iter().map(|n| MetadataField { name: n.clone(), value: value.to_string() }));
}

/// The URL of the branch's open PR, opening one for `summaries` when there is none (its push
/// succeeded in an earlier run but the PR did not open).
async fn ensure_pr(
    a: &Assessment,
    github: Option<&GitHub>,
    branch: &str,
    base: &str,
    open_pr: Option<crate::github::PullRequest>,
    blobs: &[BumpSummary],
    modules: &[ModuleSummary],
) -> Result<String> {
    if let Some(pr) = open_pr {
        return Ok(pr.url);
    }
    let Some(gh) = github else { return Ok("dry run: nothing pushed".into()) };
    let mut files: Vec<String> = if blobs.is_empty() { vec![] } else { vec![BLOBS_YML.to_string()] };
    files.extend(modules.iter().flat_map(|m| m.go_mods.iter().cloned()));
    let body = report::pr_body(blobs, modules, &files, &[], report::build_url().as_deref());
    let lines: Vec<report::Line> =
        blobs.iter().map(BumpSummary::line).chain(modules.iter().map(ModuleSummary::line)).collect();
    let pr = gh.open(branch, base, &report::pr_title(&lines), &body, a.source.pull_request.draft).await?;
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

/// The Go toolchain settings, found on first use (only go-module bumps need Go).
#[derive(Default)]
struct GoOnce(std::sync::OnceLock<GoSettings>);

impl GoOnce {
    fn get_or_init(&self, a: &Assessment) -> Result<&GoSettings> {
        if let Some(s) = self.0.get() {
            return Ok(s);
        }
        let settings =
            GoSettings::from_env(a.source.go_proxy.as_str().trim_end_matches('/'), a.source.go_sumdb.clone())?;
        go_toolchain::check_go(&settings.go)?;
        Ok(self.0.get_or_init(|| settings))
    }
}

/// The go.mod files a module bump rewrites (from the plan's files).
fn go_mod_paths(planned: &PlannedDependency) -> Vec<String> {
    planned.files.iter().filter(|f| f.ends_with("go.mod")).cloned().collect()
}

/// Whether every go.mod of the bump already requires the target on the branch.
fn branch_requires(repo: &git2::Repository, head: git2::Oid, dep: &Dependency, planned: &PlannedDependency) -> bool {
    let DependencyKind::GoModule { module, .. } = &dep.kind else { return false };
    let Some(target) = planned.target.as_deref() else { return false };
    let Ok(files) = workspace::tree_files(repo, head) else { return false };
    go_mod_paths(planned).iter().all(|path| {
        let Ok(Some(bytes)) = files.read(path) else { return false };
        crate::gomod::modfile::parse_lax(&String::from_utf8_lossy(&bytes))
            .ok()
            .and_then(|m| m.requires.iter().find(|r| &r.path == module).map(|r| r.version.clone()))
            .is_some_and(|v| v.trim_start_matches('v') == target)
    })
}

/// A module bump described from the plan alone (for a branch reused from an earlier run).
fn module_summary(dep: &Dependency, planned: &PlannedDependency) -> ModuleSummary {
    let module = match &dep.kind {
        DependencyKind::GoModule { module, .. } => module.clone(),
        _ => String::new(),
    };
    let from = planned.current.clone().unwrap_or_default();
    let to = planned.target.clone().unwrap_or_default();
    ModuleSummary {
        name: dep.name.clone(),
        changes: vec![(module.clone(), Some(format!("v{from}")), Some(format!("v{to}")))],
        from,
        to,
        release_notes: planned.release_notes.clone(),
        module,
        go_mods: go_mod_paths(planned),
        notes: vec![],
    }
}

/// Runs the Go toolchain for one module bump in a checkout of `parent`, regenerates the
/// package specs that list the module's vendored packages, and returns what changed.
fn module_bump(
    repo: &git2::Repository,
    parent: git2::Oid,
    dep: &Dependency,
    planned: &PlannedDependency,
    go: &GoSettings,
) -> Result<(workspace::TreeChanges, ModuleSummary)> {
    let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    workspace::checkout_to(repo, parent, dir.path())?;
    let (changes, notes, module_dirs) = run_go(dir.path(), dep, planned, go)?;
    let mut all = workspace::TreeChanges::default();
    for module_dir in &module_dirs {
        let c = workspace::changes_under(repo, parent, dir.path(), module_dir)?;
        all.changed.extend(c.changed);
        all.removed.extend(c.removed);
    }
    all.changed.extend(sync_specs(dir.path(), &module_dirs, go)?);
    let mut summary = module_summary(dep, planned);
    summary.changes = changes;
    summary.notes = notes;
    Ok((all, summary))
}

type ModuleChanges = Vec<(String, Option<String>, Option<String>)>;

/// `go get`, `go mod tidy` (and `go mod vendor`) in every go.mod directory of the bump under
/// `root`; returns the requirement changes, notes for the PR, and the module directories.
fn run_go(
    root: &Path,
    dep: &Dependency,
    planned: &PlannedDependency,
    go: &GoSettings,
) -> Result<(ModuleChanges, Vec<String>, Vec<String>)> {
    let DependencyKind::GoModule { module, .. } = &dep.kind else {
        return Err(Error::dependency(&dep.name, "is not a go-module dependency"));
    };
    let target = format!("v{}", planned.target.as_deref().unwrap_or_default());
    let mut changes: ModuleChanges = Vec::new();
    let mut notes = Vec::new();
    let mut dirs = Vec::new();
    for go_mod in go_mod_paths(planned) {
        let module_dir = go_mod.strip_suffix("go.mod").unwrap_or_default().trim_end_matches('/').to_string();
        crate::log!(
            "{}: go get {module}@{target} in {}",
            dep.name,
            if module_dir.is_empty() { "." } else { &module_dir }
        );
        let outcome = go_toolchain::bump(go, &root.join(&module_dir), module, &target)
            .map_err(|e| Error::dependency(&dep.name, format!("{go_mod}: {e}")))?;
        for c in outcome.changes {
            if !changes.iter().any(|(p, f, t)| p == &c.path && f == &c.from && t == &c.to) {
                changes.push((c.path, c.from, c.to));
            }
        }
        if let Some((old, new)) = outcome.go_directive {
            notes.push(format!(
                "Go raised the `go` directive of `{go_mod}` from {old} to {new}: the new requirement needs it."
            ));
        }
        if let Some((old, new)) = outcome.toolchain_directive {
            notes.push(format!(
                "Go changed the `toolchain` directive of `{go_mod}` from {} to {}.",
                old.as_deref().unwrap_or("none"),
                new.as_deref().unwrap_or("none")
            ));
        }
        notes.extend(outcome.warnings.into_iter().map(|w| format!("go: {w}")));
        dirs.push(module_dir);
    }
    Ok((changes, notes, dirs))
}

/// Regenerated `packages/*/spec` files whose `# gosub` lines point into one of `module_dirs`.
fn sync_specs(root: &Path, module_dirs: &[String], go: &GoSettings) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    let packages = root.join("packages");
    let Ok(entries) = std::fs::read_dir(&packages) else { return Ok(out) };
    let mut names: Vec<String> =
        entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    for name in names {
        let spec_path = format!("packages/{name}/spec");
        let Ok(spec) = std::fs::read_to_string(root.join(&spec_path)) else { continue };
        let prefix = spec_sync::gosub_module_prefix(&spec).map_err(|e| e.in_file(&spec_path))?;
        let Some(prefix) = prefix else { continue };
        if !module_dirs.iter().any(|d| d == &format!("src/{prefix}")) {
            continue;
        }
        let packaging = std::fs::read_to_string(root.join(format!("packages/{name}/packaging"))).unwrap_or_default();
        if let Some(new) = spec_sync::sync_spec(go, &root.join("src"), &spec, &packaging)? {
            std::fs::write(root.join(&spec_path), &new).map_err(|e| Error::io(root.join(&spec_path), e))?;
            out.insert(spec_path, new.into_bytes());
        }
    }
    Ok(out)
}

/// Prints the diff of a module bump to stderr: go.mod, go.sum and specs in full, vendored files
/// as a count.
fn print_module_diff(base: &dyn RepoFiles, changes: &workspace::TreeChanges) -> Result<()> {
    let removed = &changes.removed;
    let (vendored, shown): (Vec<_>, Vec<_>) =
        changes.changed.iter().partition(|(p, _)| p.contains("/vendor/") || p.starts_with("vendor/"));
    let edits =
        Edits { files: shown.into_iter().map(|(p, b)| (p.clone(), b.clone())).collect(), check_by_hand: vec![] };
    print_diff(base, &edits)?;
    if !vendored.is_empty() || !removed.is_empty() {
        eprintln!("(vendor/: {} files changed or added, {} removed)", vendored.len(), removed.len());
    }
    Ok(())
}

/// The PR title with the dependencies in the order they were bumped.
fn title_in_order(order: &[String], blobs: &[BumpSummary], modules: &[ModuleSummary]) -> String {
    let lines: Vec<report::Line> = order
        .iter()
        .filter_map(|n| {
            blobs
                .iter()
                .find(|b| &b.name == n)
                .map(BumpSummary::line)
                .or_else(|| modules.iter().find(|m| &m.name == n).map(ModuleSummary::line))
        })
        .collect();
    report::pr_title(&lines)
}

/// `currency bump`: the same edits, on a local checkout: upload included, no git, no PR. The
/// new blob is also placed under `blobs/` (as `bosh add-blob` does) and the old one removed.
pub fn bump_local(
    source: Source,
    repo: &Path,
    only: &[String],
    dry_run: bool,
) -> Result<(Vec<BumpSummary>, Vec<ModuleSummary>)> {
    runtime()?.block_on(async {
        let http = Http::new(source.skip_ssl_verification)?;
        let cache = Cache::open();
        let a = assess::local(source, repo, &cache, &http).await?;
        let selected = select(&a, only)?;
        let store = if dry_run || selected.is_empty() { None } else { Some(configure_blobstore(&a, repo)?) };
        let store_name = store.as_ref().map(|s| s.describe()).unwrap_or_else(|| "dry run: not uploaded".into());
        let work = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
        let files = DirFiles::new(repo);
        let mut summaries = Vec::new();
        let mut modules = Vec::new();
        let go = GoOnce::default();
        for (dep, planned) in selected {
            if dep.kind.blob().is_none() {
                let target = planned.target.as_deref().unwrap_or_default();
                if dry_run {
                    crate::log!(
                        "dry run: would run go get {}@v{target} in {}",
                        planned.upstream,
                        go_mod_paths(planned).join(", ")
                    );
                    modules.push(module_summary(dep, planned));
                    continue;
                }
                let (changes, notes, dirs) = run_go(repo, dep, planned, go.get_or_init(&a)?)?;
                sync_specs(repo, &dirs, go.get_or_init(&a)?)?;
                let mut summary = module_summary(dep, planned);
                summary.changes = changes;
                summary.notes = notes;
                modules.push(summary);
                continue;
            }
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
        Ok((summaries, modules))
    })
}

fn place_blob(repo: &Path, p: &Prepared) -> Result<()> {
    let blobs = repo.join("blobs");
    let new: PathBuf = blobs.join(&p.bump.new_path);
    if let Some(dir) = new.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    // Copied beside the destination and renamed over it: a link already at `new` is replaced,
    // never written through.
    let dir = new.parent().unwrap_or(&blobs);
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    std::fs::copy(&p.downloaded.path, tmp.path()).map_err(|e| Error::io(&new, e))?;
    tmp.persist(&new).map_err(|e| Error::io(&new, e.error))?;
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
