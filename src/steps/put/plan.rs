//! The branch plan of `out`, decided without I/O: which dependencies to bump, on which branches,
//! and for each branch what to do — leave it alone (someone else's commits are on it), reuse it
//! (it already holds exactly this bump) or bump (commit the targets and push).
//!
//! The facts come in as values ([`Head`], [`Want`]): the executor reads them from git and the
//! upstreams, then asks [`decide`] — once before downloading anything, and once more after, for
//! the artifacts whose sum upstream does not publish (their sum is known only then).

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::plan::PlannedDependency;
use crate::release::blobs::BlobsFile;
use crate::source::Dependency;
use crate::steps::assess::Assessment;

/// A dependency to bump: its configuration and its plan (which has a target).
#[derive(Clone, Copy)]
pub(crate) struct Selected<'a> {
    pub dep: &'a Dependency,
    pub planned: &'a PlannedDependency,
}

impl Selected<'_> {
    pub fn name(&self) -> &str {
        &self.dep.name
    }

    pub fn target(&self) -> &str {
        self.planned.target.as_ref().expect("selected dependencies have a target").as_str()
    }
}

/// The dependencies to bump: behind, with a target, named by `only` when given (a name that is
/// not tracked is an error naming `params.only`).
pub(crate) fn select<'a>(a: &'a Assessment, only: &[String]) -> Result<Vec<Selected<'a>>> {
    for name in only {
        if a.plan.get(name).is_none() {
            let known: Vec<&str> = a.plan.dependencies.iter().map(|d| d.name.as_str()).collect();
            return Err(Error::config(
                "params.only",
                format!("{name:?} is not a tracked dependency (tracked: {})", known.join(", ")),
            ));
        }
    }
    Ok(a.plan
        .dependencies
        .iter()
        .filter(|p| p.target.is_some() && (only.is_empty() || only.contains(&p.name)))
        .filter_map(|planned| Some(Selected { dep: a.dependency(&planned.name)?, planned }))
        .collect())
}

/// The dependencies of one branch, in the order of the plan.
pub(crate) struct Group<'a> {
    pub branch: String,
    pub deps: Vec<Selected<'a>>,
}

impl Group<'_> {
    pub fn names(&self) -> Vec<String> {
        self.deps.iter().map(|s| s.name().to_string()).collect()
    }
}

/// One branch per dependency (`<prefix><name>`), or one for all of them (`<prefix>all`) when
/// `pull_request.group` is set.
pub(crate) fn groups<'a>(selected: &[Selected<'a>], prefix: &str, group: bool) -> Vec<Group<'a>> {
    if group {
        return vec![Group { branch: format!("{prefix}all"), deps: selected.to_vec() }];
    }
    selected.iter().map(|s| Group { branch: format!("{prefix}{}", s.name()), deps: vec![*s] }).collect()
}

/// What a bump branch that already exists holds, read at its head.
pub(crate) struct Head {
    /// Author and committer e-mail of the head commit.
    pub author: String,
    pub committer: String,
    /// `config/blobs.yml` at the head; `None` when it is missing or does not parse.
    pub blobs: Option<BlobsFile>,
    /// The version each go.mod at the head requires of each module: go.mod path → module → version.
    pub requires: BTreeMap<String, BTreeMap<String, String>>,
    /// The fingerprint in each `packages/<name>/spec.lock` at the head: name → fingerprint.
    pub locks: BTreeMap<String, String>,
}

/// What a branch holding a bump must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Want {
    /// This blob in `config/blobs.yml` with this sum (`sha256:<hex>`); `sha: None` when the sum
    /// is known only once the artifact is downloaded.
    Blob { path: String, sha: Option<String> },
    /// Every one of these go.mod files requiring `module` at `version` (without the `v`).
    Module { go_mods: Vec<String>, module: String, version: String },
    /// Each `packages/<package>/spec.lock` holding its fingerprint (vendored packages).
    Locks(Vec<(String, String)>),
    /// Every one of these: a bump that changes several things at once (a Go toolchain's blob
    /// on every platform).
    All(Vec<Want>),
}

/// What to do with one branch.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Someone else committed on it: never overwritten.
    Skip { why: String },
    /// It already holds exactly this bump: only make sure its pull request is open.
    Reuse,
    /// Commit the targets on the base and push.
    Bump,
}

/// Why `branch` must be left alone: someone other than `ours` (the e-mail of currency's commits)
/// authored or committed its head.
pub(crate) fn not_ours(branch: &str, head: &Head, ours: &str) -> Option<String> {
    (head.author != ours || head.committer != ours)
        .then(|| format!("branch {branch} has commits by someone else ({}); left alone", head.author))
}

/// Decides what to do with `branch`, whose head (when it exists) is `head`.
pub(crate) fn decide(branch: &str, head: Option<&Head>, ours: &str, wants: &[Want]) -> Action {
    let Some(head) = head else { return Action::Bump };
    if let Some(why) = not_ours(branch, head, ours) {
        return Action::Skip { why };
    }
    if holds(head, wants) { Action::Reuse } else { Action::Bump }
}

/// Whether `head` holds every want. A blob whose sum is not known yet is not held, and nothing
/// is held on a branch whose `config/blobs.yml` cannot be read.
fn holds(head: &Head, wants: &[Want]) -> bool {
    head.blobs.is_some() && wants.iter().all(|want| held(head, want))
}

fn held(head: &Head, want: &Want) -> bool {
    match want {
        Want::Blob { sha: None, .. } => false,
        Want::Blob { path, sha: Some(sha) } => {
            head.blobs.as_ref().and_then(|b| b.entries.get(path)).is_some_and(|e| e.sha.eq_ignore_ascii_case(sha))
        }
        Want::Locks(locks) => locks.iter().all(|(package, fp)| head.locks.get(package) == Some(fp)),
        Want::Module { go_mods, module, version } => go_mods.iter().all(|go_mod| {
            head.requires.get(go_mod).and_then(|r| r.get(module)).is_some_and(|v| v.trim_start_matches('v') == version)
        }),
        Want::All(wants) => wants.iter().all(|w| held(head, w)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::blobs::BlobEntry;
    use crate::version::{Scheme, Version};

    const OURS: &str = "currency@users.noreply.github.com";

    fn head(author: &str, blobs: &[(&str, &str)], requires: &[(&str, &str, &str)]) -> Head {
        let mut file = BlobsFile::default();
        for (path, sha) in blobs {
            file.entries.insert(path.to_string(), BlobEntry { size: 1, object_id: None, sha: sha.to_string() });
        }
        let mut req: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (go_mod, module, version) in requires {
            req.entry(go_mod.to_string()).or_default().insert(module.to_string(), version.to_string());
        }
        Head {
            author: author.into(),
            committer: author.into(),
            blobs: Some(file),
            requires: req,
            locks: BTreeMap::new(),
        }
    }

    fn blob(path: &str, sha: Option<&str>) -> Want {
        Want::Blob { path: path.into(), sha: sha.map(String::from) }
    }

    #[test]
    fn a_branch_that_does_not_exist_is_bumped() {
        assert_eq!(decide("currency/etcd", None, OURS, &[blob("etcd/x.tgz", Some("sha256:aa"))]), Action::Bump);
    }

    #[test]
    fn a_branch_with_someone_elses_head_is_left_alone_naming_the_author() {
        let h = head("dev@example.com", &[], &[]);
        let Action::Skip { why } = decide("currency/etcd", Some(&h), OURS, &[]) else { panic!("not skipped") };
        assert_eq!(why, "branch currency/etcd has commits by someone else (dev@example.com); left alone");
        let mut committed = head(OURS, &[], &[]);
        committed.committer = "dev@example.com".into();
        assert!(matches!(decide("b", Some(&committed), OURS, &[]), Action::Skip { .. }));
    }

    #[test]
    fn a_branch_holding_the_blob_with_its_sum_is_reused_in_any_case_of_hex() {
        let h = head(OURS, &[("etcd/etcd-v3.5.17.tgz", "sha256:ABCD")], &[]);
        assert_eq!(decide("b", Some(&h), OURS, &[blob("etcd/etcd-v3.5.17.tgz", Some("sha256:abcd"))]), Action::Reuse);
    }

    #[test]
    fn another_sum_or_an_unknown_sum_is_bumped_again() {
        let h = head(OURS, &[("etcd/etcd-v3.5.17.tgz", "sha256:abcd")], &[]);
        assert_eq!(decide("b", Some(&h), OURS, &[blob("etcd/etcd-v3.5.17.tgz", Some("sha256:ffff"))]), Action::Bump);
        assert_eq!(decide("b", Some(&h), OURS, &[blob("etcd/etcd-v3.5.17.tgz", None)]), Action::Bump);
        assert_eq!(decide("b", Some(&h), OURS, &[blob("etcd/etcd-v3.5.18.tgz", Some("sha256:abcd"))]), Action::Bump);
    }

    #[test]
    fn a_bump_of_every_platform_is_held_only_when_every_platforms_blob_is_there_with_its_sum() {
        let want = Want::All(vec![
            blob("go1.26.7.linux-amd64.tar.gz", Some("sha256:aa")),
            blob("go1.26.7.darwin-amd64.tar.gz", Some("sha256:bb")),
            blob("go1.26.7.windows-amd64.zip", Some("sha256:cc")),
        ]);
        let all = [
            ("go1.26.7.linux-amd64.tar.gz", "sha256:aa"),
            ("go1.26.7.darwin-amd64.tar.gz", "sha256:bb"),
            ("go1.26.7.windows-amd64.zip", "sha256:cc"),
        ];
        assert_eq!(decide("b", Some(&head(OURS, &all, &[])), OURS, std::slice::from_ref(&want)), Action::Reuse);
        let linux_only = head(OURS, &all[..1], &[]);
        assert_eq!(decide("b", Some(&linux_only), OURS, std::slice::from_ref(&want)), Action::Bump);
        let other_sum = head(OURS, &[all[0], all[1], ("go1.26.7.windows-amd64.zip", "sha256:dd")], &[]);
        assert_eq!(decide("b", Some(&other_sum), OURS, &[want]), Action::Bump);
    }

    #[test]
    fn a_module_bump_is_held_only_when_every_go_mod_requires_the_target() {
        let want = Want::Module {
            go_mods: vec!["src/a/go.mod".into(), "src/b/go.mod".into()],
            module: "github.com/nats-io/nats.go".into(),
            version: "1.38.0".into(),
        };
        let both = head(
            OURS,
            &[],
            &[
                ("src/a/go.mod", "github.com/nats-io/nats.go", "v1.38.0"),
                ("src/b/go.mod", "github.com/nats-io/nats.go", "v1.38.0"),
            ],
        );
        assert_eq!(decide("b", Some(&both), OURS, std::slice::from_ref(&want)), Action::Reuse);
        let one = head(OURS, &[], &[("src/a/go.mod", "github.com/nats-io/nats.go", "v1.38.0")]);
        assert_eq!(decide("b", Some(&one), OURS, &[want]), Action::Bump);
    }

    #[test]
    fn nothing_is_held_on_a_branch_whose_blobs_yml_cannot_be_read() {
        let mut h = head(OURS, &[], &[]);
        h.blobs = None;
        assert_eq!(decide("b", Some(&h), OURS, &[]), Action::Bump);
    }

    fn planned(name: &str) -> (Dependency, PlannedDependency) {
        let dep = Dependency {
            name: name.into(),
            constraint: None,
            prerelease: false,
            replace_custom_builds: false,
            security_only: None,
            vulndb_modules: None,
            kind: crate::source::DependencyKind::GoModule { module: format!("example.com/{name}"), go_mod: None },
        };
        let planned = PlannedDependency {
            current: Version::parse(Scheme::Semver, "1.0.0"),
            latest: Version::parse(Scheme::Semver, "1.1.0"),
            target: Version::parse(Scheme::Semver, "1.1.0"),
            behind: true,
            upstream: format!("example.com/{name}"),
            newest: Version::parse(Scheme::Semver, "1.1.0"),
            ..PlannedDependency::example(name, crate::plan::Kind::GoModule)
        };
        (dep, planned)
    }

    #[test]
    fn grouping_gives_one_branch_per_dependency_or_one_for_all() {
        let (a, pa) = planned("etcd");
        let (b, pb) = planned("nats.go");
        let selected = [Selected { dep: &a, planned: &pa }, Selected { dep: &b, planned: &pb }];
        let each = groups(&selected, "currency/", false);
        let branches: Vec<&str> = each.iter().map(|g| g.branch.as_str()).collect();
        assert_eq!(branches, ["currency/etcd", "currency/nats.go"]);
        assert_eq!(each[1].names(), ["nats.go"]);
        let all = groups(&selected, "deps/", true);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].branch, "deps/all");
        assert_eq!(all[0].names(), ["etcd", "nats.go"]);
    }
}
