//! Known vulnerabilities (contract §12): which modules of the Go vulnerability database a
//! dependency is built from, which reports affect its current version, which of them its target
//! fixes and which still affect the target; whether its Go line still gets security fixes; and
//! `security_only`, which keeps a bump only when the target fixes something.
//!
//! - a `go-module` is its module path;
//! - a golang blob and a vendored golang package are `stdlib` and `toolchain` at their Go version;
//! - a `github-release` blob is its entry's `vulndb_modules`, else [`BLOB_MODULES`] by upstream and
//!   version (etcd's module paths changed at 3.5).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{Plan, PlannedDependency};
use crate::source::{Dependency, DependencyKind, Source};
use crate::upstream::vulndb::VulnDb;
use crate::version::{Scheme, Version};

/// One report affecting a dependency's current version (plan.json's `vulnerabilities`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vulnerability {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: String,
    pub url: String,
    /// The version that fixes it on the current version's range (`None`: no fix yet).
    pub fixed: Option<String>,
}

/// What the database says of one dependency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Security {
    /// The reports affecting the current version, by id.
    pub vulnerabilities: Vec<Vulnerability>,
    /// The ids of `vulnerabilities` the target no longer has.
    pub fixed_by_target: Vec<String>,
    /// The ids of reports that affect the target too.
    pub still_affected: Vec<String>,
    /// A Go line with two newer lines: Go no longer fixes it.
    pub out_of_security_support: bool,
}

/// The modules a known upstream's blob is built from, for the versions in `[from, below)`.
pub struct BlobModules {
    pub upstream: &'static str,
    pub from: Option<&'static str>,
    pub below: Option<&'static str>,
    pub modules: &'static [&'static str],
}

/// The database's module paths for the NATS and etcd servers that releases ship as blobs, as its
/// reports name them (checked against golang/vulndb's `data/osv`, December 2026):
/// - NATS server 2 is `github.com/nats-io/nats-server/v2`; the v1 line (gnatsd, renamed) is
///   `github.com/nats-io/nats-server` — whose reports say "every version", as v1 gets no fixes —
///   and `github.com/nats-io/gnatsd`;
/// - etcd reports give the release versions under `go.etcd.io/etcd/v3`, 3.4 and older included;
///   from 3.5 etcd is a family of `/v3` modules, of which the tarball carries the server, etcdctl,
///   etcdutl and what they link. `go.etcd.io/etcd` and `github.com/coreos/etcd` are left out: the
///   former's ranges are in pseudo-versions of commits, not release versions, and the latter has
///   no reports.
pub const BLOB_MODULES: &[BlobModules] = &[
    BlobModules {
        upstream: "nats-io/nats-server",
        from: Some("2.0.0"),
        below: None,
        modules: &["github.com/nats-io/nats-server/v2"],
    },
    BlobModules {
        upstream: "nats-io/nats-server",
        from: None,
        below: Some("2.0.0"),
        modules: &["github.com/nats-io/nats-server", "github.com/nats-io/gnatsd"],
    },
    BlobModules {
        upstream: "nats-io/gnatsd",
        from: None,
        below: None,
        modules: &["github.com/nats-io/nats-server", "github.com/nats-io/gnatsd"],
    },
    BlobModules { upstream: "etcd-io/etcd", from: None, below: None, modules: &["go.etcd.io/etcd/v3"] },
    BlobModules { upstream: "etcd-io/etcd", from: Some("3.5.0"), below: None, modules: ETCD_3_5 },
    BlobModules { upstream: "coreos/etcd", from: None, below: None, modules: &["go.etcd.io/etcd/v3"] },
    BlobModules { upstream: "coreos/etcd", from: Some("3.5.0"), below: None, modules: ETCD_3_5 },
];

/// The modules of the etcd 3.5 family a release tarball carries, besides `go.etcd.io/etcd/v3`.
const ETCD_3_5: &[&str] = &[
    "go.etcd.io/etcd/server/v3",
    "go.etcd.io/etcd/api/v3",
    "go.etcd.io/etcd/client/v3",
    "go.etcd.io/etcd/client/pkg/v3",
    "go.etcd.io/etcd/pkg/v3",
    "go.etcd.io/etcd/etcdctl/v3",
    "go.etcd.io/etcd/etcdutl/v3",
];

/// Go's own modules in the database: the standard library and the go command.
pub const GO_MODULES: &[&str] = &["stdlib", "toolchain"];

/// The database modules `dep` is built from at `version`; empty when none is known.
pub fn modules_of(dep: &Dependency, version: &Version) -> Vec<String> {
    match &dep.kind {
        _ if dep.kind.is_go() => GO_MODULES.iter().map(|m| m.to_string()).collect(),
        DependencyKind::GoModule { module, .. } => vec![module.clone()],
        DependencyKind::Golang { .. } | DependencyKind::VendoredPackage { .. } => vec![],
        DependencyKind::GithubRelease { upstream, .. } => match &dep.vulndb_modules {
            Some(own) => own.clone(),
            None => {
                let bound = |b: Option<&str>| b.and_then(|b| Version::parse(Scheme::Semver, b));
                BLOB_MODULES
                    .iter()
                    .filter(|t| t.upstream == upstream.to_string())
                    .filter(|t| bound(t.from).is_none_or(|f| *version >= f))
                    .filter(|t| bound(t.below).is_none_or(|b| *version < b))
                    .flat_map(|t| t.modules.iter().map(|m| m.to_string()))
                    .collect()
            }
        },
    }
}

/// Whether `dep` is bumped only for a fix: its entry's `security_only`, else the source's.
pub fn security_only(source: &Source, dep: &Dependency) -> bool {
    dep.security_only.unwrap_or(source.security_only)
}

/// The database modules the rows of `plan` need, at their current and target versions: all of
/// them, or (`check`) only those of `security_only` dependencies.
pub fn modules_needed(source: &Source, deps: &[Dependency], plan: &Plan, only_security: bool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (dep, row) in rows(deps, plan) {
        if only_security && !security_only(source, dep) {
            continue;
        }
        for v in [judged(row), row.target.as_ref(), row.latest.as_ref()].into_iter().flatten() {
            out.extend(modules_of(dep, v));
        }
    }
    out
}

/// Each tracked dependency with its row (held rows, never bumped, have no entry).
fn rows<'a>(deps: &'a [Dependency], plan: &'a Plan) -> impl Iterator<Item = (&'a Dependency, &'a PlannedDependency)> {
    deps.iter().filter_map(|d| Some((d, plan.get(&d.name)?)))
}

/// The version the database is asked about: a custom build's base (its patches are unknown).
fn judged(row: &PlannedDependency) -> Option<&Version> {
    row.custom_build_of.as_ref().or(row.current.as_ref())
}

/// Fills each row's [`Security`] from `db`. Run again after the targets change (`in` pins them).
pub fn annotate(plan: &mut Plan, deps: &[Dependency], db: &VulnDb) {
    for row in plan.dependencies.iter_mut() {
        let Some(dep) = deps.iter().find(|d| d.name == row.name) else { continue };
        let mut security = Security { out_of_security_support: out_of_support(dep, row), ..Security::default() };
        if let Some(current) = judged(row) {
            security.vulnerabilities = affecting(dep, current, db);
        }
        if let Some(target) = &row.target {
            let at_target: BTreeSet<String> = affecting(dep, target, db).into_iter().map(|v| v.id).collect();
            security.fixed_by_target =
                security.vulnerabilities.iter().filter(|v| !at_target.contains(&v.id)).map(|v| v.id.clone()).collect();
            security.still_affected = at_target.into_iter().collect();
        }
        row.security = security;
    }
}

/// The reports affecting `dep` at `version`, each once, by id.
fn affecting(dep: &Dependency, version: &Version, db: &VulnDb) -> Vec<Vulnerability> {
    let mut by_id = BTreeMap::new();
    for module in modules_of(dep, version) {
        for report in db.affecting(&module, version) {
            by_id.entry(report.id.clone()).or_insert_with(|| Vulnerability {
                id: report.id.clone(),
                aliases: report.aliases.clone(),
                summary: report.summary.clone(),
                url: report.url.clone(),
                fixed: report.fixed_after(&module, version),
            });
        }
    }
    by_id.into_values().collect()
}

/// A golang dependency on a Go line with two newer lines (Go supports the newest two).
fn out_of_support(dep: &Dependency, row: &PlannedDependency) -> bool {
    if !dep.kind.is_go() {
        return false;
    }
    match (&row.current, &row.newest) {
        (Some(c), Some(n)) => n.major() == c.major() && n.minor() >= c.minor() + 2,
        _ => false,
    }
}

/// `security_only`: a dependency bumped only for a fix keeps its target only when the target
/// fixes a report affecting the current version; otherwise the target is dropped, with a note.
pub fn keep_security_bumps_only(plan: &mut Plan, source: &Source, deps: &[Dependency]) {
    for row in plan.dependencies.iter_mut() {
        let Some(dep) = deps.iter().find(|d| d.name == row.name) else { continue };
        if !security_only(source, dep) || row.target.is_none() || !row.security.fixed_by_target.is_empty() {
            continue;
        }
        let target = row.target.take().map(|t| t.to_string()).unwrap_or_default();
        let why = format!("security_only: {target} fixes no known vulnerability of the current version");
        row.note = Some(match row.note.take() {
            Some(n) => format!("{n}; {why}"),
            None => why,
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::plan::tests::{blobs_yml, etcd_release, go_release, offers, planned, snapshot, source};
    use crate::upstream::Offer;
    use crate::upstream::vulndb::{Affected, Event, Report};

    fn report(id: &str, modules: &[&str], events: &[(&str, &str)]) -> Report {
        let events: Vec<Event> = events
            .iter()
            .map(|(k, v)| match *k {
                "introduced" => Event::Introduced(v.to_string()),
                "fixed" => Event::Fixed(v.to_string()),
                _ => Event::LastAffected(v.to_string()),
            })
            .collect();
        Report {
            id: id.into(),
            aliases: vec![format!("CVE-2099-{}", &id[8..])],
            summary: format!("summary of {id}"),
            url: format!("https://pkg.go.dev/vuln/{id}"),
            affected: modules
                .iter()
                .map(|m| Affected { module: m.to_string(), ranges: vec![events.clone()] })
                .collect(),
        }
    }

    fn db(reports: Vec<Report>) -> VulnDb {
        VulnDb { reports: reports.into_iter().map(|r| (r.id.clone(), r)).collect() }
    }

    /// etcd 3.3.15 (old module paths) bumped to 3.5.17 (the /v3 family): what 3.3.15 has is
    /// fixed, and what 3.5.17 has is listed as still affecting the target.
    fn etcd_plan(extra: serde_json::Value) -> (Source, Plan) {
        let mut dep = json!({"name": "etcd", "kind": "github-release", "upstream": "etcd-io/etcd",
                             "blob": "etcd/etcd-v{version}-linux-amd64.tar.gz"});
        for (k, v) in extra.as_object().unwrap() {
            dep[k] = v.clone();
        }
        let source = source(json!([dep]));
        let snap = snapshot(&[("config/blobs.yml", &blobs_yml(&["etcd/etcd-v3.3.15-linux-amd64.tar.gz"]))]);
        let releases = ["3.3.15", "3.3.27", "3.5.17"].map(|v| etcd_release(v, false));
        let plan = planned(&source, &snap, &offers(&source, Offer::Github(Arc::new(releases.to_vec()))));
        (source, plan)
    }

    fn etcd_db() -> VulnDb {
        db(vec![
            report("GO-2020-0005", &["go.etcd.io/etcd/v3"], &[("introduced", "3.3.0"), ("fixed", "3.3.23")]),
            // The old path's pseudo-version ranges are not asked about.
            report("GO-2024-2528", &["go.etcd.io/etcd"], &[("introduced", "0")]),
            report("GO-2023-2001", &["go.etcd.io/etcd/server/v3"], &[("introduced", "3.5.0")]),
            report("GO-2024-2529", &["go.etcd.io/etcd/server/v3"], &[("introduced", "3.5.0"), ("fixed", "3.5.10")]),
        ])
    }

    #[test]
    fn the_reports_of_the_current_version_are_fixed_by_the_target_or_still_affect_it() {
        let (source, mut plan) = etcd_plan(json!({}));
        let deps = source.dependencies.clone().unwrap();
        annotate(&mut plan, &deps, &etcd_db());
        let s = &plan.dependencies[0].security;
        let ids: Vec<&str> = s.vulnerabilities.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, ["GO-2020-0005"]);
        assert_eq!(s.vulnerabilities[0].fixed.as_deref(), Some("3.3.23"));
        assert_eq!(s.vulnerabilities[0].aliases, ["CVE-2099-0005"]);
        assert_eq!(s.fixed_by_target, ["GO-2020-0005"]);
        assert_eq!(s.still_affected, ["GO-2023-2001"], "no fix yet for 3.5; 2529 is fixed in 3.5.10");
        assert!(!s.out_of_security_support);
        let needed = modules_needed(&source, &deps, &plan, false);
        assert!(needed.contains("go.etcd.io/etcd/v3") && needed.contains("go.etcd.io/etcd/server/v3"), "{needed:?}");
        assert!(modules_needed(&source, &deps, &plan, true).is_empty(), "check asks only for security_only");
    }

    #[test]
    fn security_only_keeps_a_target_only_when_it_fixes_something() {
        let (source, mut plan) = etcd_plan(json!({"security_only": true, "constraint": "~3.3"}));
        let deps = source.dependencies.clone().unwrap();
        assert_eq!(modules_needed(&source, &deps, &plan, true), BTreeSet::from(["go.etcd.io/etcd/v3".to_string()]));
        let mut unaffected = plan.clone();
        annotate(&mut unaffected, &deps, &db(vec![]));
        keep_security_bumps_only(&mut unaffected, &source, &deps);
        let d = &unaffected.dependencies[0];
        assert_eq!((d.target.as_ref(), d.behind), (None, true));
        assert!(
            d.note.as_deref().unwrap().contains("security_only: 3.3.27 fixes no known vulnerability"),
            "{:?}",
            d.note
        );
        assert!(unaffected.version().is_empty());
        annotate(&mut plan, &deps, &etcd_db());
        keep_security_bumps_only(&mut plan, &source, &deps);
        assert_eq!(plan.version(), BTreeMap::from([("etcd".to_string(), "3.3.27".to_string())]));
    }

    #[test]
    fn an_entry_names_its_own_modules_and_the_source_wide_switch_applies_to_every_entry() {
        let (_, plan) = etcd_plan(json!({}));
        let own = source(json!([{"name": "etcd", "kind": "github-release", "upstream": "etcd-io/etcd",
                                 "blob": "etcd/etcd-v{version}-linux-amd64.tar.gz", "vulndb_modules": ["example.com/etcd-fork"]}]));
        let deps = own.dependencies.clone().unwrap();
        assert_eq!(modules_needed(&own, &deps, &plan, false), BTreeSet::from(["example.com/etcd-fork".to_string()]));
        let mut wide = own.clone();
        wide.security_only = true;
        assert!(security_only(&wide, &deps[0]));
        let mut entry = deps[0].clone();
        entry.security_only = Some(false);
        assert!(!security_only(&wide, &entry), "the entry's own word wins");
    }

    #[test]
    fn a_go_line_with_two_newer_lines_is_out_of_security_support_and_go_versions_meet_db_versions() {
        let source =
            source(json!([{"name": "golang", "kind": "golang", "blob": "golang/go{version}.linux-amd64.tar.gz"}]));
        let deps = source.dependencies.clone().unwrap();
        let snap = snapshot(&[("config/blobs.yml", &blobs_yml(&["golang/go1.22.4.linux-amd64.tar.gz"]))]);
        let releases = ["1.22.4", "1.22.5", "1.23.1", "1.24.0"].map(|v| go_release(v, true));
        let offer = Offer::Go(Arc::new(releases.to_vec()));
        let constrained = |c: &str| {
            let mut s = source.clone();
            s.dependencies.as_mut().unwrap()[0].constraint = Some(crate::version::Constraint::parse(c).unwrap());
            s
        };
        let db = db(vec![
            report(
                "GO-2024-2687",
                &["stdlib"],
                &[("introduced", "0"), ("fixed", "1.21.9"), ("introduced", "1.22.0-0"), ("fixed", "1.22.5")],
            ),
            report("GO-2024-2963", &["toolchain"], &[("introduced", "1.23.0-0"), ("fixed", "1.23.2")]),
        ]);
        let on_line = constrained("~1.22");
        let mut plan = planned(&on_line, &snap, &offers(&on_line, offer.clone()));
        annotate(&mut plan, &deps, &db);
        let s = &plan.dependencies[0].security;
        assert_eq!(s.vulnerabilities.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(), ["GO-2024-2687"]);
        assert_eq!((s.fixed_by_target.len(), s.out_of_security_support), (1, true), "1.24 and 1.23 are newer");
        let mut plan = planned(&source, &snap, &offers(&source, offer));
        annotate(&mut plan, &deps, &db);
        assert!(plan.dependencies[0].security.still_affected.is_empty(), "1.24.0 has neither");
    }

    /// A vendored golang package is Go too: its line's support and `stdlib`/`toolchain` reports; a
    /// vendored package of another kind maps to no module.
    #[test]
    fn a_vendored_golang_package_is_judged_as_go() {
        let entry = |package: &str| {
            let s = source(json!([{"name": "pkg", "kind": "vendored-package",
                                   "release": "cloudfoundry/bosh-package-golang-release", "package": package}]));
            s.dependencies.unwrap().remove(0)
        };
        let (golang, other) = (entry("golang-{line}-linux"), entry("postgres-13"));
        let v = |t: &str| Version::parse(Scheme::Go, t).unwrap();
        assert_eq!(modules_of(&golang, &v("1.22.7")), ["stdlib", "toolchain"]);
        assert!(modules_of(&other, &v("1.22.7")).is_empty());
        let (_, plan) = etcd_plan(json!({}));
        let mut row = plan.dependencies[0].clone();
        (row.current, row.newest) = (Some(v("1.22.7")), Some(v("1.24.2")));
        assert!(out_of_support(&golang, &row));
        assert!(!out_of_support(&other, &row), "not Go");
        row.newest = Some(v("1.23.2"));
        assert!(!out_of_support(&golang, &row), "one newer line: still supported");
    }
}
