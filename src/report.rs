//! Pure renderers of what users read: `report.md`, the step metadata, and (later) PR titles and
//! bodies. Snapshot-tested.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::plan::Plan;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MetadataField {
    pub name: String,
    pub value: String,
}

fn cell(v: &Option<String>) -> String {
    v.as_deref().map(escape).unwrap_or_else(|| "–".into())
}

fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// report.md: every tracked dependency, behind or not, with links to the release notes.
pub fn markdown(plan: &Plan) -> String {
    let short = &plan.commit[..plan.commit.len().min(12)];
    let behind = plan.dependencies.iter().filter(|d| d.behind).count();
    let mut out = format!(
        "# Dependencies of {}\n\nBranch `{}` at `{}`: {} of {} tracked dependencies behind.\n\n",
        plan.repository,
        plan.branch,
        short,
        behind,
        plan.dependencies.len()
    );
    if plan.dependencies.is_empty() {
        out.push_str("No dependencies are tracked.\n");
        return out;
    }
    out.push_str("| Dependency | Kind | Current | Latest | Target | Behind | Upstream | Release notes |\n");
    out.push_str("|---|---|---|---|---|---|---|---|\n");
    for d in &plan.dependencies {
        let notes = match (&d.release_notes, d.target.as_ref().or(d.latest.as_ref())) {
            (Some(url), Some(v)) => format!("[{v}]({url})"),
            (Some(url), None) => format!("[notes]({url})"),
            _ => "–".into(),
        };
        let behind = if d.behind { "**yes**" } else { "no" };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            escape(&d.name),
            d.kind,
            cell(&d.current),
            cell(&d.latest),
            cell(&d.target),
            behind,
            escape(&d.upstream),
            notes
        ));
    }
    let notes: Vec<String> = plan
        .dependencies
        .iter()
        .filter_map(|d| d.note.as_ref().map(|n| format!("- {}: {}", d.name, escape(n))))
        .collect();
    if !notes.is_empty() {
        out.push_str("\nNotes:\n\n");
        out.push_str(&notes.join("\n"));
        out.push('\n');
    }
    out
}

/// `in` metadata: `<current> -> <target>` for each dependency of the version.
pub fn in_metadata(plan: &Plan, version: &BTreeMap<String, String>) -> Vec<MetadataField> {
    version
        .iter()
        .map(|(name, target)| {
            let current = plan.get(name).and_then(|d| d.current.clone()).unwrap_or_else(|| "?".into());
            MetadataField { name: name.clone(), value: format!("{current} -> {target}") }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::PlannedDependency;

    fn dep(name: &str, kind: &str, current: &str, latest: &str, target: Option<&str>) -> PlannedDependency {
        PlannedDependency {
            name: name.into(),
            kind: kind.into(),
            current: Some(current.into()),
            latest: Some(latest.into()),
            target: target.map(String::from),
            behind: target.is_some(),
            files: vec!["config/blobs.yml".into()],
            upstream: "etcd-io/etcd".into(),
            constraint: Some("^3".into()),
            newest: Some(latest.into()),
            release_notes: Some(format!("https://github.com/etcd-io/etcd/releases/tag/v{latest}")),
            note: None,
            current_blob: None,
            candidates: vec![],
            current_version: None,
        }
    }

    fn plan() -> Plan {
        let mut golang = dep("golang-1.23-linux", "golang-package", "1.23", "1.24", None);
        golang.behind = true;
        golang.upstream = "Go downloads".into();
        golang.release_notes = Some("https://go.dev/doc/devel/release#go1.24.0".into());
        golang.note = Some("vendored with bosh vendor-package: reported, not bumped".into());
        Plan {
            repository: "cloudfoundry/etcd-release".into(),
            branch: "main".into(),
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
            dependencies: vec![
                dep("etcd", "github-release", "3.3.15", "3.5.17", Some("3.5.17")),
                dep("etcd-client-v3", "go-module", "3.5.17", "3.5.17", None),
                golang,
            ],
        }
    }

    #[test]
    fn report_md_lists_every_dependency_with_release_notes() {
        insta::assert_snapshot!(markdown(&plan()));
    }

    #[test]
    fn in_metadata_shows_current_and_target() {
        let version = BTreeMap::from([("etcd".to_string(), "3.5.17".to_string())]);
        insta::assert_json_snapshot!(in_metadata(&plan(), &version));
    }
}
