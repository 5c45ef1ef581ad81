//! `fleet.json`: the fleet report as data — one row per release, one per dependency of it. The
//! renderers (`markdown.rs`, `html.rs`) read only this, so the three files always agree.

use serde::{Deserialize, Serialize};

use crate::plan::{Kind, Moved, Pinned};

/// `fleet.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FleetReport {
    /// RFC 3339, UTC, whole seconds.
    pub generated_at: String,
    pub releases: Vec<ReleaseRow>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReleaseRow {
    pub repository: String,
    /// The base branch read (the configured one when the release could not be read).
    pub branch: Option<String>,
    pub commit: Option<String>,
    /// Why the release could not be read, on one line; `null` when it was.
    pub error: Option<String>,
    /// Something that did not stop the release from being read (its pull requests could not be
    /// listed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// The go.mod files whose `go` or `toolchain` directive asks for a newer Go than the release
    /// builds with, each said in a line: they will not build.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub will_not_build: Vec<String>,
    pub dependencies: Vec<DependencyRow>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DependencyRow {
    pub name: String,
    pub kind: Kind,
    pub current: Option<String>,
    /// The newest upstream version inside the dependency's constraint.
    pub latest: Option<String>,
    /// The newest upstream version, constraint or not.
    pub newest: Option<String>,
    pub behind: bool,
    /// Upstream versions above `current`, up to `latest` (for a vendored Go package: Go lines).
    pub releases_behind: Option<u64>,
    /// Whole days since upstream published `current` (GitHub `published_at`, the module proxy's
    /// `.info` time; the Go downloads index has no dates).
    pub age_days: Option<i64>,
    /// The open bump pull request (`<branch_prefix><name>`, or `<branch_prefix>all` grouped).
    pub pull_request: Option<String>,
    /// Where versions come from: `nats-io/nats-server`, `Go downloads`, a module path.
    pub upstream: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_notes: Option<String>,
    /// Set when a `replace` pins the module: shown, never bumped, never behind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<Pinned>,
    /// Set when the module path moved: shown, never bumped, never behind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved: Option<Moved>,
    /// The upstream version `current` is a release team's own build of (`3.3.15` of
    /// `3.3.15-tls1.2-patch`): behind is judged on it; bumped only with `custom_builds: replace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_build_of: Option<String>,
}

impl FleetReport {
    pub fn unreadable(&self) -> usize {
        self.releases.iter().filter(|r| r.error.is_some()).count()
    }

    /// (dependencies behind, dependencies) over the readable releases.
    pub fn behind(&self) -> (usize, usize) {
        let all = self.releases.iter().flat_map(|r| &r.dependencies);
        let total = all.clone().count();
        (all.filter(|d| d.behind).count(), total)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use serde_json::json;

    /// A row as the renderers' tests want it: GitHub unless the upstream is `Go downloads`.
    pub(in crate::fleet) fn dep(
        name: &str,
        upstream: &str,
        current: &str,
        latest: &str,
        newest: &str,
        n: u64,
    ) -> DependencyRow {
        DependencyRow {
            name: name.into(),
            kind: if upstream == "Go downloads" { Kind::Golang } else { Kind::GithubRelease },
            current: Some(current.into()),
            latest: Some(latest.into()),
            newest: Some(newest.into()),
            behind: n > 0,
            releases_behind: Some(n),
            age_days: Some(12),
            pull_request: None,
            upstream: upstream.into(),
            release_notes: None,
            pinned: None,
            moved: None,
            custom_build_of: None,
        }
    }

    /// Two releases: one read (a PR, two upstreams), one not (an error with `|` and HTML in it).
    pub(in crate::fleet) fn sample() -> FleetReport {
        let mut pr = dep("etcd", "etcd-io/etcd", "3.3.15", "3.5.17", "3.5.17", 3);
        pr.pull_request = Some("https://github.com/o/etcd-release/pull/7".into());
        FleetReport {
            generated_at: "2025-01-02T03:04:05Z".into(),
            releases: vec![
                ReleaseRow {
                    repository: "o/etcd-release".into(),
                    branch: Some("main".into()),
                    commit: Some("0123456789abcdef".into()),
                    error: None,
                    warning: None,
                    will_not_build: vec![],
                    dependencies: vec![pr, dep("golang-1.22", "Go downloads", "1.22.4", "1.22.5", "1.24.0", 1)],
                },
                ReleaseRow {
                    repository: "o/<script>".into(),
                    branch: None,
                    commit: None,
                    error: Some("git https://x/o/r.git: authentication failed | <b>".into()),
                    warning: None,
                    will_not_build: vec![],
                    dependencies: vec![],
                },
            ],
        }
    }

    #[test]
    fn the_report_round_trips_as_the_contract_shapes_it() {
        let v = serde_json::to_value(sample()).unwrap();
        assert_eq!(
            v["releases"][1],
            json!({"repository": "o/<script>", "branch": null, "commit": null,
                   "error": "git https://x/o/r.git: authentication failed | <b>", "dependencies": []})
        );
        let keys: Vec<&String> = v["releases"][0]["dependencies"][0].as_object().unwrap().keys().collect();
        for k in
            ["name", "kind", "current", "latest", "newest", "behind", "releases_behind", "age_days", "pull_request"]
        {
            assert!(keys.iter().any(|x| *x == k), "{k} missing");
        }
    }
}
