//! `fleet.json`: the fleet report as data — one row per release, one per dependency of it. The
//! renderers (`markdown.rs`, `html.rs`) read only this, so the three files always agree.

use serde::{Deserialize, Serialize};

use std::collections::BTreeSet;

use crate::plan::{Kind, Moved, Pinned};
use crate::report::security::SecurityJson;

/// `fleet.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FleetReport {
    /// RFC 3339, UTC, whole seconds.
    pub generated_at: String,
    /// Set when the Go vulnerability database could not be read (one look-up for the whole
    /// fleet): the known vulnerabilities are then unknown, not absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulndb_warning: Option<String>,
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
    /// The distinct reports affecting the current versions of its dependencies (a report of Go's
    /// standard library on two golang blobs counts once); absent when the release was not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerabilities: Option<usize>,
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
    /// Known vulnerabilities, as in plan.json: `vulnerabilities` (the reports affecting
    /// `current`), `fixed_by_target`, `still_affected`, `out_of_security_support`.
    #[serde(flatten)]
    pub security: SecurityJson,
}

/// The number of distinct report ids affecting the current versions of `deps`: a release's
/// `vulnerabilities`.
pub fn distinct_vulnerabilities(deps: &[DependencyRow]) -> usize {
    deps.iter().flat_map(|d| &d.security.vulnerabilities).map(|v| v.id.as_str()).collect::<BTreeSet<_>>().len()
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

    /// (dependencies with known vulnerabilities, distinct reports) over the readable releases.
    pub fn vulnerable(&self) -> (usize, usize) {
        let all = self.releases.iter().flat_map(|r| &r.dependencies);
        let ids: BTreeSet<&str> =
            all.clone().flat_map(|d| &d.security.vulnerabilities).map(|v| v.id.as_str()).collect();
        (all.filter(|d| !d.security.vulnerabilities.is_empty()).count(), ids.len())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::report::security::VulnerabilityJson;
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
            security: SecurityJson::default(),
        }
    }

    /// A report as the database has it, at pkg.go.dev.
    pub(in crate::fleet) fn vuln(id: &str, alias: Option<&str>, fixed: &str) -> VulnerabilityJson {
        VulnerabilityJson {
            id: id.into(),
            aliases: alias.into_iter().map(String::from).collect(),
            summary: format!("Summary of {id}"),
            url: format!("https://pkg.go.dev/vuln/{id}"),
            fixed: Some(fixed.into()),
        }
    }

    /// [`sample`] with known vulnerabilities: etcd affected by one report, golang-1.22 by two (one
    /// fixed by its bump) on a Go line out of security support.
    pub(in crate::fleet) fn vulnerable_sample() -> FleetReport {
        let mut report = sample();
        let deps = &mut report.releases[0].dependencies;
        deps[0].security.vulnerabilities = vec![vuln("GO-2023-2001", None, "3.4.28")];
        deps[1].security = SecurityJson {
            vulnerabilities: vec![
                vuln("GO-2024-2687", Some("CVE-2023-45288"), "1.22.2"),
                vuln("GO-2024-2963", Some("CVE-2024-24791"), "1.22.5"),
            ],
            fixed_by_target: vec!["GO-2024-2963".into()],
            still_affected: vec![],
            out_of_security_support: true,
        };
        report.releases[0].vulnerabilities = Some(3);
        report
    }

    /// Two releases: one read (a PR, two upstreams), one not (an error with `|` and HTML in it).
    pub(in crate::fleet) fn sample() -> FleetReport {
        let mut pr = dep("etcd", "etcd-io/etcd", "3.3.15", "3.5.17", "3.5.17", 3);
        pr.pull_request = Some("https://github.com/o/etcd-release/pull/7".into());
        FleetReport {
            generated_at: "2025-01-02T03:04:05Z".into(),
            vulndb_warning: None,
            releases: vec![
                ReleaseRow {
                    repository: "o/etcd-release".into(),
                    branch: Some("main".into()),
                    commit: Some("0123456789abcdef".into()),
                    error: None,
                    warning: None,
                    will_not_build: vec![],
                    vulnerabilities: Some(0),
                    dependencies: vec![pr, dep("golang-1.22", "Go downloads", "1.22.4", "1.22.5", "1.24.0", 1)],
                },
                ReleaseRow {
                    repository: "o/<script>".into(),
                    branch: None,
                    commit: None,
                    error: Some("git https://x/o/r.git: authentication failed | <b>".into()),
                    warning: None,
                    will_not_build: vec![],
                    vulnerabilities: None,
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
        assert_eq!(v["releases"][0]["vulnerabilities"], json!(0), "a readable release says 0");
        assert!(v.get("vulndb_warning").is_none(), "no warning, no key");
        let d = &v["releases"][0]["dependencies"][1];
        assert_eq!(
            (&d["vulnerabilities"], &d["fixed_by_target"], &d["still_affected"]),
            (&json!([]), &json!([]), &json!([]))
        );
        assert!(d.get("out_of_security_support").is_none(), "said only when true");
    }

    #[test]
    fn known_vulnerabilities_are_in_fleet_json_as_in_plan_json_and_round_trip() {
        let mut report = vulnerable_sample();
        report.vulndb_warning = Some("https://vuln.go.dev/index/modules.json: 503 Service Unavailable".into());
        let v = serde_json::to_value(&report).unwrap();
        assert_eq!(v["vulndb_warning"], json!("https://vuln.go.dev/index/modules.json: 503 Service Unavailable"));
        assert_eq!(v["releases"][0]["vulnerabilities"], json!(3));
        let golang = &v["releases"][0]["dependencies"][1];
        assert_eq!(
            golang["vulnerabilities"][0],
            json!({"id": "GO-2024-2687", "aliases": ["CVE-2023-45288"], "summary": "Summary of GO-2024-2687",
                   "url": "https://pkg.go.dev/vuln/GO-2024-2687", "fixed": "1.22.2"})
        );
        assert_eq!(
            (&golang["fixed_by_target"], &golang["still_affected"], &golang["out_of_security_support"]),
            (&json!(["GO-2024-2963"]), &json!([]), &json!(true))
        );
        let back: FleetReport = serde_json::from_value(v).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn a_release_counts_each_report_once_however_many_dependencies_it_affects() {
        let report = vulnerable_sample();
        let mut deps = report.releases[0].dependencies.clone();
        assert_eq!(distinct_vulnerabilities(&deps), 3);
        let mut other_go = deps[1].clone();
        other_go.name = "golang-1.23".into();
        other_go.security.vulnerabilities.truncate(1);
        deps.push(other_go);
        assert_eq!(distinct_vulnerabilities(&deps), 3, "GO-2024-2687 of the standard library counts once");
        assert_eq!(distinct_vulnerabilities(&[]), 0);
        assert_eq!(report.vulnerable(), (2, 3));
    }
}
