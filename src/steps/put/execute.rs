//! The executor of `out`: carries out one branch's plan. It alone has effects — download,
//! upload, commit, push, pull request — and honours `dry_run` at each one that reaches outside
//! (no upload, no push, no pull request; the diff goes to stderr instead).
//!
//! Per branch, in this order, so that remote state stays whole:
//! 1. a branch whose head is someone else's is left alone;
//! 2. the artifacts are resolved; a branch already holding exactly this bump is reused (its pull
//!    request opened when an earlier run's push succeeded but the PR did not open);
//! 3. the artifacts are downloaded once each, verified while streaming, and the reuse question is
//!    asked again for sums only known now;
//! 4. every blob edit is checked against the base (a spec glob that would stop matching fails
//!    here, before any upload);
//! 5. the artifacts are uploaded, one commit per dependency (all its blobs) is made on the base, the branch is
//!    pushed with a lease (a remote that moved makes the whole put plan again), and the pull
//!    request is opened or updated.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::blobstore::{self, Blobstore};
use crate::error::Result;
use crate::github::{GitHub, PullRequest};
use crate::http::Http;
use crate::release::blob_bump::{self, BlobBump, Edits};
use crate::release::blobs::BlobsFile;
use crate::release::snapshot::{BLOBS_YML, RepoFiles};
use crate::report::security::{self, SecurityFix};
use crate::report::{self, MetadataField};
use crate::source::Source;
use crate::steps::put::kinds::{Bump, Change, Site, Summary, split};
use crate::steps::put::plan::{self, Action, Group, Head};
use crate::workspace::{self, GitRemote, Pushed};

/// What carrying out a branch came to.
pub(crate) enum Outcome {
    /// Done with this branch (whatever was recorded in the metadata).
    Done,
    /// The remote moved before the push: nothing was pushed; plan again.
    Moved(String),
}

/// The commits of one branch: the head, what each bump did, and the paths changed.
struct Committed {
    head: git2::Oid,
    summaries: Vec<Summary>,
    files: Vec<String>,
}

/// Everything the branches of one put share.
pub(crate) struct Executor<'a> {
    pub source: &'a Source,
    pub http: &'a Http,
    pub repo: &'a git2::Repository,
    pub remote: GitRemote<'a>,
    /// The base branch and the commit the put was planned on.
    pub base: (&'a str, git2::Oid),
    /// `None` in a dry run.
    pub github: Option<GitHub>,
    /// `None` in a dry run.
    pub store: Option<Blobstore>,
    /// Where downloads go.
    pub work: &'a Path,
    pub dry_run: bool,
    /// `{name: outcome}` for every dependency, the metadata of the step.
    pub metadata: Vec<MetadataField>,
    /// What each dependency's bump fixes of the known vulnerabilities (the PR's Security section).
    pub fixes: Vec<SecurityFix>,
}

impl Executor<'_> {
    /// The fixes of the dependencies in `summaries` (one branch's bumps).
    fn fixes_of(&self, summaries: &[Summary]) -> Vec<SecurityFix> {
        let names: BTreeSet<&str> = summaries.iter().map(|s| s.line().name).collect();
        self.fixes.iter().filter(|f| names.contains(f.name.as_str())).cloned().collect()
    }

    /// The name the pull request gives the blobstore.
    pub fn store_name(&self) -> String {
        self.store.as_ref().map(|s| s.describe()).unwrap_or_else(|| "dry run: not uploaded".into())
    }

    /// The same metadata `value` for every dependency of `group` (one branch's outcome).
    fn record(&mut self, group: &Group<'_>, value: &str) {
        self.metadata.extend(group.names().into_iter().map(|name| MetadataField { name, value: value.to_string() }));
    }

    /// Leaves `group`'s branch alone when someone else committed on it; `true` when it did.
    pub fn skip_if_not_ours(&mut self, group: &Group<'_>, head: Option<&Head>) -> bool {
        let Some(why) = head.and_then(|h| plan::not_ours(&group.branch, h, &self.source.git_author.email)) else {
            return false;
        };
        crate::log!("warning: {}: {why}", group.names().join(", "));
        self.record(group, &format!("skipped: {why}"));
        true
    }

    /// Carries out one branch: reuse, or download, check, upload, commit, push and PR.
    pub async fn branch(
        &mut self,
        group: &Group<'_>,
        head: Option<(git2::Oid, &Head)>,
        open_pr: Option<PullRequest>,
        bumps: &mut [Box<dyn Bump + '_>],
    ) -> Result<Outcome> {
        let ours = self.source.git_author.email.clone();
        let wants: Vec<_> = bumps.iter().map(|b| b.want()).collect();
        if plan::decide(&group.branch, head.map(|h| h.1), &ours, &wants) == Action::Reuse {
            return self.reuse(group, head.map(|h| h.1), open_pr, bumps).await;
        }
        self.download(bumps).await?;
        let wants: Vec<_> = bumps.iter().map(|b| b.want()).collect();
        if plan::decide(&group.branch, head.map(|h| h.1), &ours, &wants) == Action::Reuse {
            return self.reuse(group, head.map(|h| h.1), open_pr, bumps).await;
        }
        // Every blob edit is checked against the base before anything is uploaded.
        let blob_bumps: Vec<BlobBump> = bumps.iter().flat_map(|b| b.blob_bumps()).cloned().collect();
        let checked = blob_bump::apply(&workspace::tree_files(self.repo, self.base.1)?, &blob_bumps)?;
        // So is every edit of a kind that uploads what it fetched itself (vendored packages).
        for bump in bumps.iter().filter(|b| !b.package_uploads().is_empty()) {
            bump.edit(&Site::Commit { repo: self.repo, parent: self.base.1 })?;
        }
        if self.dry_run {
            self.print_dry_run(group, bumps, &checked)?;
            return Ok(Outcome::Done);
        }
        self.upload(bumps).await?;
        let Some(Committed { head: commit, summaries, files }) = self.commit_all(bumps)? else {
            crate::log!("{}: nothing to commit", group.names().join(", "));
            return Ok(Outcome::Done);
        };
        let pushed =
            workspace::push_leased(self.repo, &self.remote, commit, &group.branch, head.map(|h| h.0), self.base)?;
        if let Pushed::Moved(why) = pushed {
            return Ok(Outcome::Moved(why));
        }
        crate::log!("pushed {}", group.branch);
        let url = self.publish(group, open_pr, &summaries, &files, &checked).await?;
        crate::log!("{}: {url}", group.names().join(", "));
        self.record(group, &url);
        Ok(Outcome::Done)
    }

    /// The branch already holds this bump: make sure its pull request is open.
    async fn reuse(
        &mut self,
        group: &Group<'_>,
        head: Option<&Head>,
        open_pr: Option<PullRequest>,
        bumps: &[Box<dyn Bump + '_>],
    ) -> Result<Outcome> {
        let summaries: Vec<Summary> = bumps.iter().map(|b| b.describe(head.and_then(|h| h.blobs.as_ref()))).collect();
        let url = self.ensure_pr(&group.branch, open_pr, &summaries).await?;
        crate::log!("{}: {} already holds this bump; reused", group.names().join(", "), group.branch);
        self.record(group, &url);
        Ok(Outcome::Done)
    }

    /// Downloads and verifies each artifact once, streaming; each gets a new object id.
    async fn download(&self, bumps: &mut [Box<dyn Bump + '_>]) -> Result<()> {
        for bump in bumps.iter_mut() {
            download(self.http, self.source, self.work, bump.as_mut()).await?;
            bump.fetch(self.work).await?;
        }
        Ok(())
    }

    /// Uploads every downloaded artifact to the release's blobstore, under its object id.
    async fn upload(&self, bumps: &[Box<dyn Bump + '_>]) -> Result<()> {
        let store = self.store.as_ref().expect("configured unless dry run");
        for bump in bumps {
            for (id, path) in bump.package_uploads() {
                crate::log!("{}: uploading {} as {id} to {}", bump.name(), path.display(), store.describe());
                store.put_file(id, path).await?;
            }
            for (id, download) in bump.uploads() {
                let started = std::time::Instant::now();
                crate::log!("{}: uploading {} bytes as {id} to {}", bump.name(), download.size, store.describe());
                store.put_file(id, &download.path).await?;
                let secs = started.elapsed().as_secs_f64();
                let rate = download.size as f64 / 1048576.0 / secs.max(0.001);
                crate::log!("{}: uploaded in {secs:.1}s ({rate:.1} MiB/s)", bump.name());
            }
        }
        Ok(())
    }

    /// One commit per dependency, in order, each on top of the previous one; `None` when no bump
    /// changed anything.
    fn commit_all(&self, bumps: &[Box<dyn Bump + '_>]) -> Result<Option<Committed>> {
        let mut parent = self.base.1;
        let mut files = BTreeSet::new();
        let mut summaries = Vec::new();
        for bump in bumps {
            let (change, summary) = bump.edit(&Site::Commit { repo: self.repo, parent })?;
            let message = report::commit_message(&summary.line());
            summaries.push(summary);
            if change.is_empty() {
                crate::log!("{}: nothing changed", bump.name());
                continue;
            }
            files.extend(change.changed.keys().cloned());
            files.extend(change.removed.iter().cloned());
            let author = &self.source.git_author;
            parent = workspace::commit_changes(self.repo, parent, &change.changed, &change.removed, author, &message)?;
        }
        Ok((parent != self.base.1).then(|| Committed { head: parent, summaries, files: files.into_iter().collect() }))
    }

    /// Opens the branch's pull request, or updates the open one, with labels and reviewers.
    async fn publish(
        &self,
        group: &Group<'_>,
        open_pr: Option<PullRequest>,
        summaries: &[Summary],
        files: &[String],
        checked: &Edits,
    ) -> Result<String> {
        let lines: Vec<report::Line> = summaries.iter().map(Summary::line).collect();
        let title = report::pr_title(&lines);
        let kinds = split(summaries);
        let build = report::build_url();
        let fixes = self.fixes_of(summaries);
        let body = report::pr_body(
            &kinds.blobs,
            &kinds.modules,
            &kinds.vendored,
            &fixes,
            files,
            &checked.check_by_hand,
            build.as_deref(),
        );
        let gh = self.github.as_ref().expect("configured unless dry run");
        let pr = match open_pr {
            Some(pr) => gh.update(pr.number, &title, &body).await?,
            None => gh.open(&group.branch, self.base.0, &title, &body, self.source.pull_request.draft).await?,
        };
        self.label_and_request_reviews(gh, pr.number, &fixes).await?;
        Ok(pr.url)
    }

    /// The configured labels (and, when the bumps fix a known vulnerability, the security
    /// labels) and reviewers.
    async fn label_and_request_reviews(&self, gh: &GitHub, number: u64, fixes: &[SecurityFix]) -> Result<()> {
        let pr = &self.source.pull_request;
        let mut labels = pr.labels.clone();
        if security::fixes_any(fixes) {
            labels.extend(pr.security_labels.iter().filter(|l| !pr.labels.contains(l)).cloned());
        }
        gh.add_labels(number, &labels).await?;
        gh.request_reviewers(number, &pr.reviewers, &pr.team_reviewers).await
    }

    /// The URL of the branch's open PR, opening one for `summaries` when there is none (its push
    /// succeeded in an earlier run but the PR did not open).
    async fn ensure_pr(&self, branch: &str, open_pr: Option<PullRequest>, summaries: &[Summary]) -> Result<String> {
        if let Some(pr) = open_pr {
            return Ok(pr.url);
        }
        let Some(gh) = &self.github else { return Ok("dry run: nothing pushed".into()) };
        let k = split(summaries);
        let mut files: Vec<String> = if k.blobs.is_empty() { vec![] } else { vec![BLOBS_YML.to_string()] };
        files.extend(k.modules.iter().flat_map(|m| m.go_mods.iter().cloned()));
        let fixes = self.fixes_of(summaries);
        let build = report::build_url();
        let body = report::pr_body(&k.blobs, &k.modules, &k.vendored, &fixes, &files, &[], build.as_deref());
        let lines: Vec<report::Line> = summaries.iter().map(Summary::line).collect();
        let pr = gh.open(branch, self.base.0, &report::pr_title(&lines), &body, self.source.pull_request.draft).await?;
        self.label_and_request_reviews(gh, pr.number, &fixes).await?;
        Ok(pr.url)
    }

    /// A dry run prints what the branch would get: the blob edits together, then each other
    /// bump's change on the base.
    fn print_dry_run(&mut self, group: &Group<'_>, bumps: &[Box<dyn Bump + '_>], checked: &Edits) -> Result<()> {
        crate::log!("dry run: {} would get:", group.branch);
        let base = workspace::tree_files(self.repo, self.base.1)?;
        print_diff(&base, &checked.files)?;
        for bump in bumps.iter().filter(|b| b.blob_bumps().is_empty()) {
            let (change, _) = bump.edit(&Site::Commit { repo: self.repo, parent: self.base.1 })?;
            print_change(&base, &change)?;
        }
        self.record(group, "dry run: nothing pushed");
        Ok(())
    }
}

/// Downloads and verifies each artifact `bump` ships into `work/<name>/`, and hands each over
/// with a new object id. `out` and `currency bump` both download through here.
pub(crate) async fn download(http: &Http, source: &Source, work: &Path, bump: &mut (dyn Bump + '_)) -> Result<()> {
    let artifacts = bump.artifacts().to_vec();
    for (index, artifact) in artifacts.iter().enumerate() {
        crate::log!("{}: {}", bump.name(), artifact.display_url);
        let got = crate::download::fetch_verified(http, source, artifact, &work.join(bump.name())).await?;
        if !got.verified {
            crate::log!("{}: upstream publishes no checksum for {}; not verified", bump.name(), artifact.filename);
        }
        bump.downloaded(index, got, blobstore::new_object_id());
    }
    Ok(())
}

/// Prints a unified diff of `files` against `base` to stderr.
pub(crate) fn print_diff(base: &dyn RepoFiles, files: &BTreeMap<String, Vec<u8>>) -> Result<()> {
    for (path, new) in files {
        let old = base.read(path)?.unwrap_or_default();
        let (old, new) = (String::from_utf8_lossy(&old), String::from_utf8_lossy(new));
        let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
        eprint!("{}", diff.unified_diff().context_radius(3).header(&format!("a/{path}"), &format!("b/{path}")));
    }
    Ok(())
}

/// Prints a change to stderr: go.mod, go.sum and specs in full, vendored files as a count.
fn print_change(base: &dyn RepoFiles, change: &Change) -> Result<()> {
    let is_vendored = |p: &String| p.contains("/vendor/") || p.starts_with("vendor/");
    let shown: BTreeMap<String, Vec<u8>> =
        change.changed.iter().filter(|(p, _)| !is_vendored(p)).map(|(p, b)| (p.clone(), b.clone())).collect();
    print_diff(base, &shown)?;
    let vendored = change.changed.keys().filter(|p| is_vendored(p)).count();
    if vendored > 0 || !change.removed.is_empty() {
        eprintln!("(vendor/: {vendored} files changed or added, {} removed)", change.removed.len());
    }
    Ok(())
}

/// What the bump branch at `head` holds: its head's author and committer, its
/// `config/blobs.yml`, and what its go.mod files among `go_mods` require.
pub(crate) fn read_head(repo: &git2::Repository, head: git2::Oid, go_mods: &[String]) -> Result<Head> {
    let (author, committer) = workspace::commit_identity(repo, head)?;
    let mut requires = BTreeMap::new();
    if let Ok(files) = workspace::tree_files(repo, head) {
        for path in go_mods {
            let Ok(Some(bytes)) = files.read(path) else { continue };
            let Ok(go_mod) = crate::gomod::modfile::parse_lax(&String::from_utf8_lossy(&bytes)) else { continue };
            let versions = go_mod.requires.iter().rev().map(|r| (r.path.clone(), r.version.clone())).collect();
            requires.insert(path.clone(), versions);
        }
    }
    Ok(Head { author, committer, blobs: blobs_at(repo, head), requires, locks: locks_at(repo, head) })
}

/// The fingerprint of every `packages/<name>/spec.lock` at `commit` that parses.
fn locks_at(repo: &git2::Repository, commit: git2::Oid) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(files) = workspace::tree_files(repo, commit) else { return out };
    let Ok(paths) = files.paths() else { return out };
    for path in paths {
        let Some(name) = path.strip_prefix("packages/").and_then(|p| p.strip_suffix("/spec.lock")) else { continue };
        let Ok(Some(bytes)) = files.read(&path) else { continue };
        if let Ok(lock) = crate::release::spec::SpecLock::parse(&String::from_utf8_lossy(&bytes)) {
            out.insert(name.to_string(), lock.fingerprint);
        }
    }
    out
}

/// `config/blobs.yml` at `commit`, when it is there and parses.
fn blobs_at(repo: &git2::Repository, commit: git2::Oid) -> Option<BlobsFile> {
    let tree = repo.find_commit(commit).and_then(|c| c.tree()).ok()?;
    let entry = tree.get_path(Path::new(BLOBS_YML)).ok()?;
    let blob = repo.find_blob(entry.id()).ok()?;
    let text = String::from_utf8_lossy(blob.content());
    crate::yaml::check_yaml_nesting(&text).ok()?;
    BlobsFile::parse(&text).ok()
}
