//! Pure renderers of what users read: plan.json, `report.md`, the step metadata, PR titles and
//! bodies. Snapshot-tested. Each file format has an output type of its own ([`PlanJson`],
//! [`MetadataField`]), made from the typed plan, so the plan can change without changing a byte
//! users read.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::plan::{Kind, Moved, Pinned, Plan, PlannedDependency};
use crate::version::Version;

pub mod security;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MetadataField {
    pub name: String,
    pub value: String,
}

/// `plan.json`: the plan as `in` writes it and `currency report --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanJson {
    pub repository: String,
    pub branch: String,
    pub commit: String,
    pub dependencies: Vec<PlannedJson>,
    /// Each go.mod's `go` and `toolchain` directives against the Go the release builds with.
    pub go_directives: Vec<crate::plan::directives::GoDirectives>,
    /// Set when the vulnerability database could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vulndb_warning: Option<String>,
}

/// One dependency of [`PlanJson`].
#[derive(Debug, Clone, Serialize)]
pub struct PlannedJson {
    pub name: String,
    pub kind: Kind,
    pub current: Option<String>,
    pub latest: Option<String>,
    pub target: Option<String>,
    pub behind: bool,
    pub files: Vec<String>,
    pub upstream: String,
    pub constraint: Option<String>,
    pub newest: Option<String>,
    pub release_notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_blob: Option<String>,
    /// The base version of a custom build (`2.2.0` of `2.2.0-tls1.2-patch`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_build_of: Option<String>,
    /// Set when a `replace` pins the module: reported, never bumped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned: Option<Pinned>,
    /// Set when the module path moved: reported, never bumped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved: Option<Moved>,
    /// Known vulnerabilities: `vulnerabilities`, `fixed_by_target`, `still_affected`.
    #[serde(flatten)]
    pub security: security::SecurityJson,
}

fn text(v: &Option<Version>) -> Option<String> {
    v.as_ref().map(Version::to_string)
}

impl From<&PlannedDependency> for PlannedJson {
    fn from(d: &PlannedDependency) -> PlannedJson {
        PlannedJson {
            name: d.name.clone(),
            kind: d.kind,
            current: text(&d.current),
            latest: text(&d.latest),
            target: text(&d.target),
            behind: d.behind,
            files: d.files.clone(),
            upstream: d.upstream.clone(),
            constraint: d.constraint.clone(),
            newest: text(&d.newest),
            release_notes: d.release_notes.clone(),
            note: d.note.clone(),
            current_blob: d.current_blob.clone(),
            custom_build_of: text(&d.custom_build_of),
            pinned: d.pinned.clone(),
            moved: d.moved.clone(),
            security: security::SecurityJson::from(&d.security),
        }
    }
}

impl From<&Plan> for PlanJson {
    fn from(p: &Plan) -> PlanJson {
        PlanJson {
            repository: p.repository.clone(),
            branch: p.branch.clone(),
            commit: p.commit.clone(),
            dependencies: p.dependencies.iter().map(PlannedJson::from).collect(),
            go_directives: p.go_directives.clone(),
            vulndb_warning: p.vulndb_warning.clone(),
        }
    }
}

/// The current version, and what a custom build is a build of: `2.2.0-tls1.2-patch (custom build
/// of 2.2.0)`.
pub fn current_text(d: &PlannedDependency) -> Option<String> {
    let current = text(&d.current)?;
    Some(match &d.custom_build_of {
        Some(base) => format!("{current} (custom build of {base})"),
        None => current,
    })
}

fn current_cell(d: &PlannedDependency) -> String {
    current_text(d).map(|t| escape_markdown(&t)).unwrap_or_else(|| "–".into())
}

fn cell(v: &Option<Version>) -> String {
    v.as_ref().map(|v| escape_markdown(v.as_str())).unwrap_or_else(|| "–".into())
}

/// Text for a Markdown table cell (report.md, PR bodies, fleet.md): `\` and `|` escaped, line
/// breaks as spaces, so the text stays in its cell and shows as written.
pub fn escape_markdown(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|").replace(['\n', '\r'], " ")
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
    out.push_str(
        "| Dependency | Kind | Current | Latest | Target | Behind | Upstream | Release notes | Vulnerabilities |\n",
    );
    out.push_str("|---|---|---|---|---|---|---|---|---|\n");
    for d in &plan.dependencies {
        let notes = match (&d.release_notes, d.target.as_ref().or(d.latest.as_ref())) {
            (Some(url), Some(v)) => format!("[{v}]({url})"),
            (Some(url), None) => format!("[notes]({url})"),
            _ => "–".into(),
        };
        let behind = match (&d.pinned, &d.moved) {
            (Some(_), _) => "**pinned by replace**".to_string(),
            (None, Some(m)) => format!("**moved to {}**", escape_markdown(&m.to)),
            _ if d.behind => "**yes**".to_string(),
            _ => "no".to_string(),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            escape_markdown(&d.name),
            d.kind,
            current_cell(d),
            cell(&d.latest),
            cell(&d.target),
            behind,
            escape_markdown(&d.upstream),
            notes,
            security::cell(d)
        ));
    }
    out.push_str(&directives_section(plan));
    out.push_str(&security::section(plan));
    let notes: Vec<String> = plan
        .dependencies
        .iter()
        .filter_map(|d| d.note.as_ref().map(|n| format!("- {}: {}", d.name, escape_markdown(n))))
        .collect();
    if !notes.is_empty() {
        out.push_str("\nNotes:\n\n");
        out.push_str(&notes.join("\n"));
        out.push('\n');
    }
    out
}

/// report.md's section on the go.mod directives, when the release has go.mod files.
fn directives_section(plan: &Plan) -> String {
    if plan.go_directives.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nGo asked for by each go.mod, against the Go the release builds with:\n\n");
    out.push_str("| go.mod | go | toolchain | builds with | |\n|---|---|---|---|---|\n");
    for d in &plan.go_directives {
        let status = match d.status {
            "will not build" => "**will not build**: asks for a newer Go than the one that builds it",
            "behind" => "**behind**: more than one minor line below the Go that builds it",
            other => other,
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {status} |\n",
            escape_markdown(&d.go_mod),
            d.go.as_deref().map(escape_markdown).unwrap_or_else(|| "–".into()),
            d.toolchain.as_deref().map(escape_markdown).unwrap_or_else(|| "–".into()),
            builds_with(d),
        ));
    }
    out
}

/// The Go a go.mod is held against, and the golang package giving it (none: the newest carried).
fn builds_with(d: &crate::plan::directives::GoDirectives) -> String {
    match (&d.builds_with, &d.built_by) {
        (Some(go), Some(package)) => format!("{go} (`{}`)", escape_markdown(package)),
        (Some(go), None) => format!("{go} (newest carried)"),
        (None, _) => "–".into(),
    }
}

/// `in` metadata: `<current> -> <target>` for each dependency of the version.
pub fn in_metadata(plan: &Plan, version: &BTreeMap<String, String>) -> Vec<MetadataField> {
    let mut out: Vec<MetadataField> = version
        .iter()
        .map(|(name, target)| {
            let current = plan.get(name).and_then(|d| text(&d.current)).unwrap_or_else(|| "unknown".into());
            MetadataField { name: name.clone(), value: format!("{current} -> {target}") }
        })
        .collect();
    out.extend(plan.dependencies.iter().filter_map(|d| {
        Some(MetadataField { name: format!("{} vulnerabilities", d.name), value: security::metadata_value(d)? })
    }));
    out
}

/// At most this many "check by hand" lines are listed in a PR body.
const MAX_HAND_CHECKS: usize = 30;

/// What one blob bump did, for commit messages and PR bodies.
#[derive(Debug, Clone, Serialize)]
pub struct BumpSummary {
    pub name: String,
    pub from: String,
    pub to: String,
    pub release_notes: Option<String>,
    pub blobstore: String,
    /// Each blob the bump replaced: one, or one per platform for golang.
    pub blobs: Vec<BlobSummary>,
    /// The base version when `from` is a custom build this bump replaces (`custom_builds: replace`).
    pub replaces_custom_build_of: Option<String>,
}

/// One blob of a [`BumpSummary`]: where it came from, how it was verified, where it went.
#[derive(Debug, Clone, Serialize)]
pub struct BlobSummary {
    pub artifact_url: String,
    pub sha256: String,
    /// Where the expected sum came from; `None`: upstream publishes none.
    pub expected_from: Option<String>,
    pub object_id: String,
    pub old_blob: String,
    pub new_blob: String,
}

/// What one go-module bump did.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleSummary {
    pub name: String,
    pub from: String,
    pub to: String,
    pub release_notes: Option<String>,
    pub module: String,
    /// The go.mod files bumped.
    pub go_mods: Vec<String>,
    /// Every requirement that moved (the target and MVS's side effects): path, from, to.
    pub changes: Vec<(String, Option<String>, Option<String>)>,
    /// Directive changes Go made, and Go's warnings.
    pub notes: Vec<String>,
}

/// What one vendored-package bump did: the source release and the final release it vendored
/// from, and each package it brought.
#[derive(Debug, Clone, Serialize)]
pub struct VendoredSummary {
    pub name: String,
    pub from: String,
    pub to: String,
    /// The final release's page (linked from the version).
    pub release_notes: Option<String>,
    /// `owner/repo` of the source release and the final release's version (`0.210.0`).
    pub source_release: String,
    pub source_version: String,
    pub packages: Vec<VendoredPackageSummary>,
    /// Line changes: old package name → new.
    pub renames: Vec<(String, String)>,
    pub blobstore: String,
}

/// One package a vendored-package bump brought.
#[derive(Debug, Clone, Serialize)]
pub struct VendoredPackageSummary {
    pub name: String,
    pub fingerprint: String,
    /// The source index's digest string (`sha256:<hex>`).
    pub digest: String,
    /// The object it was uploaded as; `None`: already in the index, nothing uploaded.
    pub object_id: Option<String>,
    /// Uploaded by an earlier run whose branch is reused: its object id is in the branch's index.
    pub on_branch: bool,
}

/// The row of one bump: name, from, to, release notes.
pub struct Line<'a> {
    pub name: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub release_notes: Option<&'a str>,
}

impl BumpSummary {
    pub fn line(&self) -> Line<'_> {
        Line { name: &self.name, from: &self.from, to: &self.to, release_notes: self.release_notes.as_deref() }
    }
}

impl VendoredSummary {
    pub fn line(&self) -> Line<'_> {
        Line { name: &self.name, from: &self.from, to: &self.to, release_notes: self.release_notes.as_deref() }
    }

    /// The PR body's section of this bump.
    pub fn section(&self) -> String {
        let link = match &self.release_notes {
            Some(url) => format!("[{}]({url})", self.source_version),
            None => self.source_version.clone(),
        };
        let mut out = format!(
            "\n### {} (vendored from {} {link})\n\nAs `bosh vendor-package` does, from final release {} of `{}`.\n\n",
            escape_markdown(&self.name),
            self.source_release,
            self.source_version,
            self.source_release
        );
        for (old, new) in &self.renames {
            out.push_str(&format!("Line change: package `{old}` is now `{new}` wherever packages and jobs name it; `packages/{old}/` is removed, its `.final_builds` index kept.\n\n"));
        }
        out.push_str("| Package | Fingerprint | Digest | Blobstore object |\n|---|---|---|---|\n");
        for p in &self.packages {
            let object = match &p.object_id {
                Some(id) => format!("`{id}` ({})", self.blobstore),
                None if p.on_branch => {
                    format!("uploaded earlier: see the branch's `.final_builds` ({})", self.blobstore)
                }
                None => "already in the index".into(),
            };
            out.push_str(&format!("| `{}` | `{}` | `{}` | {object} |\n", p.name, p.fingerprint, p.digest));
        }
        out
    }
}

impl ModuleSummary {
    pub fn line(&self) -> Line<'_> {
        Line { name: &self.name, from: &self.from, to: &self.to, release_notes: self.release_notes.as_deref() }
    }
}

pub fn commit_message(b: &Line<'_>) -> String {
    format!("Bump {} from {} to {}", b.name, b.from, b.to)
}

pub fn pr_title(lines: &[Line<'_>]) -> String {
    match lines {
        [one] => commit_message(one),
        many => {
            format!("Bump {} dependencies: {}", many.len(), many.iter().map(|b| b.name).collect::<Vec<_>>().join(", "))
        }
    }
}

/// `$ATC_EXTERNAL_URL/builds/$BUILD_ID` when Concourse set both.
pub fn build_url() -> Option<String> {
    let base = std::env::var("ATC_EXTERNAL_URL").ok().filter(|s| !s.is_empty())?;
    let id = std::env::var("BUILD_ID").ok().filter(|s| !s.is_empty())?;
    Some(format!("{}/builds/{id}", base.trim_end_matches('/')))
}

/// The PR body: the bumps, how each artifact was verified, the blobstore objects, the files
/// changed, what to check by hand, and the build.
#[allow(clippy::too_many_arguments)]
pub fn pr_body(
    bumps: &[BumpSummary],
    modules: &[ModuleSummary],
    vendored: &[VendoredSummary],
    fixes: &[security::SecurityFix],
    files: &[String],
    check_by_hand: &[crate::release::blob_bump::HandCheck],
    build: Option<&str>,
) -> String {
    let mut out = String::new();
    for b in bumps {
        if let Some(base) = &b.replaces_custom_build_of {
            out.push_str(&format!(
                "**This replaces a custom build**: {} {} is a build of {base} that upstream never released; \
                 this PR puts upstream's {} in its place.\n\n",
                escape_markdown(&b.name),
                b.from,
                b.to
            ));
        }
    }
    out.push_str("| Dependency | From | To | Release notes |\n|---|---|---|---|\n");
    let lines = bumps.iter().map(BumpSummary::line).chain(modules.iter().map(ModuleSummary::line));
    for b in lines.chain(vendored.iter().map(VendoredSummary::line)) {
        let notes = b.release_notes.map(|u| format!("[{}]({u})", b.to)).unwrap_or_else(|| "–".into());
        out.push_str(&format!("| {} | {} | {} | {} |\n", escape_markdown(b.name), b.from, b.to, notes));
    }
    out.push_str(&security::pr_section(fixes));
    for m in modules {
        out.push_str(&format!("\n### {} (`{}`)\n\n", escape_markdown(&m.name), m.module));
        out.push_str(&format!(
            "`go get {}@v{}`, `go mod tidy` and, where vendored, `go mod vendor` in {}.\n\n",
            m.module,
            m.to,
            m.go_mods.iter().map(|g| format!("`{g}`")).collect::<Vec<_>>().join(", ")
        ));
        if !m.changes.is_empty() {
            out.push_str("| Module | From | To |\n|---|---|---|\n");
            for (path, from, to) in &m.changes {
                out.push_str(&format!(
                    "| `{path}` | {} | {} |\n",
                    from.as_deref().unwrap_or("(added)"),
                    to.as_deref().unwrap_or("(removed)")
                ));
            }
        }
        for n in &m.notes {
            out.push_str(&format!("\n**Note:** {n}\n"));
        }
    }
    for v in vendored {
        out.push_str(&v.section());
    }
    if bumps.is_empty() {
        return finish_body(out, files, check_by_hand, build);
    }
    out.push_str("\n### Verification\n\n");
    let blobs = bumps.iter().flat_map(|b| b.blobs.iter().map(move |blob| (b, blob)));
    for (i, (b, blob)) in blobs.enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("**{}** `{}`\n\n", escape_markdown(&b.name), blob.new_blob));
        out.push_str(&format!("- artifact: {}\n", blob.artifact_url));
        out.push_str(&format!("- sha256: `{}`\n", blob.sha256));
        match &blob.expected_from {
            Some(from) => out.push_str(&format!("- verified against: {from}\n")),
            None => out.push_str(
                "- **not verified upstream**: the release publishes no checksum for this file; the sha256 above is what was downloaded\n",
            ),
        }
        out.push_str(&format!("- blobstore object: `{}` ({})\n", blob.object_id, b.blobstore));
        out.push_str(&format!("- replaces: `{}`\n", blob.old_blob));
    }
    finish_body(out, files, check_by_hand, build)
}

fn finish_body(
    mut out: String,
    files: &[String],
    check_by_hand: &[crate::release::blob_bump::HandCheck],
    build: Option<&str>,
) -> String {
    out.push_str("\n### Files changed\n\n");
    const MAX_FILES: usize = 50;
    let shown = files.len().min(MAX_FILES);
    for f in &files[..shown] {
        out.push_str(&format!("- `{f}`\n"));
    }
    if files.len() > shown {
        out.push_str(&format!("- … and {} more\n", files.len() - shown));
    }
    if !check_by_hand.is_empty() {
        out.push_str("\n### Check by hand\n\nThese lines still mention an old version and were left alone:\n\n");
        for h in check_by_hand.iter().take(MAX_HAND_CHECKS) {
            out.push_str(&format!("- `{}:{}` ({}): `{}`\n", h.path, h.line, h.version, h.text.replace('`', "'")));
        }
        if check_by_hand.len() > MAX_HAND_CHECKS {
            out.push_str(&format!("- … and {} more\n", check_by_hand.len() - MAX_HAND_CHECKS));
        }
    }
    if let Some(url) = build {
        out.push_str(&format!("\nOpened by [this build]({url}).\n"));
    }
    out.push_str("\n<sub>Opened by currency. Pushing to this branch yourself stops currency from updating it.</sub>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::PlannedDependency;

    fn dep(name: &str, kind: &str, current: &str, latest: &str, target: Option<&str>) -> PlannedDependency {
        let kind: Kind = serde_json::from_value(serde_json::json!(kind)).unwrap();
        let v = |text: &str| Version::parse(kind.scheme(), text);
        PlannedDependency {
            current: v(current),
            latest: v(latest),
            target: target.and_then(v),
            behind: target.is_some(),
            files: vec!["config/blobs.yml".into()],
            upstream: "etcd-io/etcd".into(),
            constraint: Some("^3".into()),
            newest: v(latest),
            release_notes: Some(format!("https://github.com/etcd-io/etcd/releases/tag/v{latest}")),
            ..PlannedDependency::example(name, kind)
        }
    }

    fn plan() -> Plan {
        let mut golang = dep("golang", "vendored-package", "1.23.2", "1.26.8", Some("1.26.8"));
        golang.upstream = "cloudfoundry/bosh-package-golang-release".into();
        golang.release_notes =
            Some("https://github.com/cloudfoundry/bosh-package-golang-release/releases/tag/v0.210.0".into());
        golang.note = Some("packages disagree: golang-1.23-linux 1.23.2, golang-1.23-windows 1.23.3".into());
        Plan {
            repository: "cloudfoundry/etcd-release".into(),
            branch: "main".into(),
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
            vulndb_warning: None,
            go_directives: vec![crate::plan::directives::GoDirectives {
                go_mod: "src/etcd-release/go.mod".into(),
                go: Some("1.24.0".into()),
                toolchain: Some("go1.26.1".into()),
                builds_with: Some("1.23.2".into()),
                built_by: Some("golang-1.23-linux".into()),
                status: "will not build",
            }],
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

    /// etcd 3.3.15 with one report fixed by its target and one that still affects the target; a
    /// Go line out of security support.
    fn vulnerable_plan() -> Plan {
        use crate::plan::vulns::{Security, Vulnerability};
        let mut p = plan();
        let vuln = |id: &str, alias: &str, fixed: Option<&str>| Vulnerability {
            id: id.into(),
            aliases: vec![alias.into()],
            summary: format!("Denial of service | in {id}"),
            url: format!("https://pkg.go.dev/vuln/{id}"),
            fixed: fixed.map(String::from),
        };
        p.dependencies[0].security = Security {
            vulnerabilities: vec![
                vuln("GO-2020-0005", "CVE-2020-15106", Some("3.3.23")),
                vuln("GO-2023-2001", "GHSA-xxxx-yyyy-zzzz", None),
            ],
            fixed_by_target: vec!["GO-2020-0005".into()],
            still_affected: vec!["GO-2023-2001".into()],
            out_of_security_support: false,
        };
        p.dependencies[2].security.out_of_security_support = true;
        p
    }

    #[test]
    fn known_vulnerabilities_show_in_report_md_metadata_and_plan_json() {
        let p = vulnerable_plan();
        let md = markdown(&p);
        assert!(
            md.contains("| **2**: [GO-2020-0005](https://pkg.go.dev/vuln/GO-2020-0005), [GO-2023-2001](https://pkg.go.dev/vuln/GO-2023-2001) |"),
            "{md}"
        );
        assert!(md.contains("\n## Known vulnerabilities\n"), "{md}");
        assert!(
            md.contains("- [GO-2020-0005](https://pkg.go.dev/vuln/GO-2020-0005) (CVE-2020-15106): Denial of service \\| in GO-2020-0005 — fixed in 3.3.23; **fixed by 3.5.17**"),
            "{md}"
        );
        assert!(
            md.contains(
                "(GHSA-xxxx-yyyy-zzzz): Denial of service \\| in GO-2023-2001 — no fix yet; 3.5.17 is still affected"
            ),
            "{md}"
        );
        assert!(md.contains("**golang**: Go 1.23 is out of security support"), "{md}");
        let version = BTreeMap::from([("etcd".to_string(), "3.5.17".to_string())]);
        let meta = in_metadata(&p, &version);
        assert_eq!(
            meta[1],
            MetadataField {
                name: "etcd vulnerabilities".into(),
                value: "GO-2020-0005 (CVE-2020-15106), GO-2023-2001 (GHSA-xxxx-yyyy-zzzz); 1 fixed by 3.5.17".into()
            }
        );
        assert_eq!(meta.len(), 2, "one line per dependency with known vulnerabilities: {meta:?}");
        let json = serde_json::to_value(PlanJson::from(&p)).unwrap();
        let etcd = &json["dependencies"][0];
        assert_eq!(etcd["fixed_by_target"], serde_json::json!(["GO-2020-0005"]));
        assert_eq!(etcd["still_affected"], serde_json::json!(["GO-2023-2001"]));
        assert_eq!(etcd["vulnerabilities"][0]["fixed"], "3.3.23");
        assert_eq!(etcd["vulnerabilities"][1]["fixed"], serde_json::Value::Null);
        assert!(etcd.get("out_of_security_support").is_none());
        assert_eq!(json["dependencies"][2]["out_of_security_support"], true);
        assert_eq!(json["dependencies"][1]["vulnerabilities"], serde_json::json!([]));
        let mut warned = p.clone();
        warned.vulndb_warning = Some("https://vuln.go.dev/index/modules.json: 503".into());
        assert!(markdown(&warned).contains("**Known vulnerabilities unknown**: https://vuln.go.dev"));
    }

    #[test]
    fn a_pr_fixing_vulnerabilities_has_a_security_section_listing_each_fix_under_its_dependency() {
        let p = vulnerable_plan();
        let fixes: Vec<security::SecurityFix> = p.dependencies.iter().filter_map(security::SecurityFix::of).collect();
        assert_eq!(fixes.len(), 1, "only etcd has something to say");
        assert!(security::fixes_any(&fixes));
        insta::assert_snapshot!(pr_body(
            &[summary("etcd", "3.3.15", "3.5.17", true)],
            &[],
            &[],
            &fixes,
            &[],
            &[],
            None
        ));
    }

    fn summary(name: &str, from: &str, to: &str, verified: bool) -> BumpSummary {
        BumpSummary {
            replaces_custom_build_of: None,
            name: name.into(),
            from: from.into(),
            to: to.into(),
            release_notes: Some(format!("https://github.com/etcd-io/etcd/releases/tag/v{to}")),
            blobstore: "s3 bucket etcd-release-blobs".into(),
            blobs: vec![BlobSummary {
                artifact_url: format!(
                    "https://github.com/etcd-io/etcd/releases/download/v{to}/etcd-v{to}-linux-amd64.tar.gz"
                ),
                sha256: "ab".repeat(32),
                expected_from: verified.then(|| {
                    format!("SHA256SUMS (https://github.com/etcd-io/etcd/releases/download/v{to}/SHA256SUMS)")
                }),
                object_id: "11111111-2222-4333-8444-555555555555".into(),
                old_blob: format!("etcd/etcd-v{from}-linux-amd64.tar.gz"),
                new_blob: format!("etcd/etcd-v{to}-linux-amd64.tar.gz"),
            }],
        }
    }

    #[test]
    fn pr_body_shows_bumps_verification_objects_and_hand_checks() {
        let hand = vec![crate::release::blob_bump::HandCheck {
            path: "packages/etcd/packaging".into(),
            line: 4,
            text: "ETCDCTL_VERSION=\"3.3.15\"".into(),
            version: "3.3.15".into(),
        }];
        let body = pr_body(
            &[summary("etcd", "3.3.15", "3.3.27", true)],
            &[],
            &[],
            &[],
            &["config/blobs.yml".into()],
            &hand,
            Some("https://ci.example.com/builds/42"),
        );
        insta::assert_snapshot!(body);
    }

    #[test]
    fn an_unverified_artifact_is_said_plainly_and_groups_get_one_title() {
        let bumps = [summary("etcd", "3.3.15", "3.3.27", false), summary("nats-server", "2.10.20", "2.10.22", true)];
        let lines: Vec<Line> = bumps.iter().map(BumpSummary::line).collect();
        assert_eq!(pr_title(&lines), "Bump 2 dependencies: etcd, nats-server");
        assert_eq!(pr_title(&lines[..1]), "Bump etcd from 3.3.15 to 3.3.27");
        let body = pr_body(&bumps, &[], &[], &[], &[], &[], None);
        assert!(body.contains("**not verified upstream**"));
        assert!(!body.contains("this build"));
    }

    #[test]
    fn a_golang_bump_on_every_platform_is_one_row_and_lists_each_blob_with_its_own_sum_and_object() {
        let blob = |platform: &str, n: char| BlobSummary {
            artifact_url: format!("https://go.dev/dl/go1.26.7.{platform}"),
            sha256: n.to_string().repeat(64),
            expected_from: Some("the Go downloads index (https://go.dev/dl/?mode=json&include=all)".into()),
            object_id: format!("{n}{n}{n}{n}{n}{n}{n}{n}-2222-4333-8444-555555555555"),
            old_blob: format!("go1.26.6.{platform}"),
            new_blob: format!("go1.26.7.{platform}"),
        };
        let golang = BumpSummary {
            replaces_custom_build_of: None,
            name: "golang-1.26".into(),
            from: "1.26.6".into(),
            to: "1.26.7".into(),
            release_notes: Some("https://go.dev/doc/devel/release#go1.26.7".into()),
            blobstore: "local blobstore".into(),
            blobs: vec![
                blob("linux-amd64.tar.gz", 'a'),
                blob("darwin-amd64.tar.gz", 'b'),
                blob("windows-amd64.zip", 'c'),
            ],
        };
        insta::assert_snapshot!(pr_body(&[golang], &[], &[], &[], &["config/blobs.yml".into()], &[], None));
    }

    #[test]
    fn in_metadata_shows_current_and_target() {
        let version = BTreeMap::from([("etcd".to_string(), "3.5.17".to_string())]);
        insta::assert_json_snapshot!(in_metadata(&plan(), &version));
    }

    #[test]
    fn table_text_keeps_to_its_cell_and_shows_as_written() {
        assert_eq!(escape_markdown("a|b\\c\r\nd"), "a\\|b\\\\c  d");
    }

    #[test]
    fn a_vendored_line_change_names_its_source_release_packages_and_objects() {
        let fp = |c: char| c.to_string().repeat(64);
        let package = |name: &str, c: char, d: char, object: Option<&str>| VendoredPackageSummary {
            name: name.into(),
            fingerprint: fp(c),
            digest: format!("sha256:{}", fp(d)),
            object_id: object.map(String::from),
            on_branch: false,
        };
        let golang = VendoredSummary {
            name: "golang".into(),
            from: "1.23.2".into(),
            to: "1.26.8".into(),
            release_notes: Some(
                "https://github.com/cloudfoundry/bosh-package-golang-release/releases/tag/v0.210.0".into(),
            ),
            source_release: "cloudfoundry/bosh-package-golang-release".into(),
            source_version: "0.210.0".into(),
            packages: vec![
                package("golang-1.26-linux", 'a', 'c', Some("3a4cea9b-1fe4-4415-5c8c-eb862ba19999")),
                package("golang-1.26-windows", 'b', 'd', None),
            ],
            renames: vec![
                ("golang-1.23-linux".into(), "golang-1.26-linux".into()),
                ("golang-1.23-windows".into(), "golang-1.26-windows".into()),
            ],
            blobstore: "gcs bucket nats-release-blobs".into(),
        };
        assert_eq!(pr_title(&[golang.line()]), "Bump golang from 1.23.2 to 1.26.8");
        let files = [
            ".final_builds/packages/golang-1.26-linux/index.yml",
            "jobs/nats/spec",
            "packages/golang-1.23-linux/spec.lock",
            "packages/golang-1.26-linux/spec.lock",
            "packages/nats-server/spec",
        ]
        .map(String::from);
        insta::assert_snapshot!(pr_body(&[], &[], &[golang], &[], &files, &[], None));
    }

    #[test]
    fn a_pr_replacing_a_custom_build_says_so_in_its_first_line() {
        let mut bump = summary("etcd", "2.2.0-tls1.2-patch", "2.3.8", true);
        bump.replaces_custom_build_of = Some("2.2.0".into());
        let body = pr_body(&[bump], &[], &[], &[], &[], &[], None);
        assert_eq!(
            body.lines().next().unwrap(),
            "**This replaces a custom build**: etcd 2.2.0-tls1.2-patch is a build of 2.2.0 that upstream never \
             released; this PR puts upstream's 2.3.8 in its place."
        );
        let plain = pr_body(&[summary("etcd", "2.2.0", "2.3.8", true)], &[], &[], &[], &[], &[], None);
        assert!(plain.starts_with("| Dependency |"), "{plain}");
    }
}
