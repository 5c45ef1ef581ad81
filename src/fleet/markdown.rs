//! `fleet.md`: the matrix as a Markdown table (a column per upstream, a row per release, each
//! dependency's known vulnerabilities after it), then the releases that will not build, the known
//! vulnerabilities with their links, and the releases that could not be read, or only in part. Table text is escaped with the one
//! Markdown escaper, [`crate::report::escape_markdown`].

use super::matrix::{columns, notes, short};
use super::report::{DependencyRow, FleetReport};
use super::severity::Severity;
use crate::report::escape_markdown;
use crate::report::security::VulnerabilityJson;

/// What one dependency's cell says in words: `1.22.4 → 1.22.5 (1 behind, 230 d)`.
fn summary(d: &DependencyRow) -> String {
    let current = d.current.as_deref().unwrap_or("?");
    let mut s = match (&d.latest, d.behind) {
        (Some(latest), true) => format!("{current} → {latest}"),
        _ => current.to_string(),
    };
    let notes = notes(d);
    if !notes.is_empty() {
        s.push_str(&format!(" ({})", notes.join(", ")));
    }
    s
}

/// How many report ids a cell names; the list below the table names them all.
const IDS_IN_CELL: usize = 3;

/// A dependency's known vulnerabilities in its cell: `⚠ GO-2024-2687, GO-2024-2963`, the first
/// [`IDS_IN_CELL`] ids and how many more; "Go out of security support". Empty when neither.
fn security_mark(d: &DependencyRow) -> String {
    let s = &d.security;
    let mut out = String::new();
    if !s.vulnerabilities.is_empty() {
        let ids: Vec<&str> = s.vulnerabilities.iter().take(IDS_IN_CELL).map(|v| v.id.as_str()).collect();
        out.push_str(&format!(" ⚠ {}", ids.join(", ")));
        let more = s.vulnerabilities.len().saturating_sub(IDS_IN_CELL);
        if more > 0 {
            out.push_str(&format!(" and {more} more"));
        }
    }
    if s.out_of_security_support {
        out.push_str(" (Go out of security support)");
    }
    out
}

/// What a cell says and what its marks mean.
const LEGEND: &str = "Each cell: dependency, current version (→ latest on its line when behind), upstream releases behind, \
         days since the current version was published; ✓ up to date, ↑ a newer line exists outside the \
         constraint, ⚠ a release that could not be read; \"pinned by replace\" (a go.mod `replace` decides the \
         version) and \"moved to <path>\" (upstream renamed the module: code changes) are shown, never bumped; \
         \"custom build of <version>\" is a release team's own build of that upstream version, judged on it and \
         bumped only with `custom_builds: replace`. ⚠ GO-… after a dependency: reports of the Go vulnerability \
         database affecting its current version (all of them, linked, under \"Known vulnerabilities\"); Vulns: the \
         distinct reports of a release; \"Go out of security support\": a Go line with two newer lines, which Go \
         fixes no more.\n\n";

/// The title and the sentence under it: when, how many releases, how many dependencies behind
/// and with known vulnerabilities; a warning when the vulnerability database could not be read.
fn heading(report: &FleetReport) -> String {
    let (behind, total) = report.behind();
    let mut out = format!(
        "# Fleet report\n\nGenerated {}: {} releases ({} unreadable), {behind} of {total} dependencies behind.",
        report.generated_at,
        report.releases.len(),
        report.unreadable()
    );
    if let (vulnerable @ 1.., reports) = report.vulnerable() {
        out.push_str(&format!(" {vulnerable} with known vulnerabilities ({reports} distinct reports)."));
    }
    out.push_str("\n\n");
    if let Some(w) = &report.vulndb_warning {
        out.push_str(&format!(
            "**Known vulnerabilities unknown**: the Go vulnerability database could not be read: {}\n\n",
            escape_markdown(w)
        ));
    }
    out
}

/// One dependency in its cell: its words (bold when behind), its mark, its known
/// vulnerabilities and its pull request.
fn dependency(d: &DependencyRow) -> String {
    let mark = match Severity::of(d) {
        Severity::Current => " ✓",
        Severity::NewerLine => " ↑",
        Severity::Unknown => " ?",
        _ => "",
    };
    let text = format!("{} {}{mark}", d.name, summary(d));
    let text = if d.behind { format!("**{}**", escape_markdown(&text)) } else { escape_markdown(&text) };
    let text = text + &escape_markdown(&security_mark(d));
    match &d.pull_request {
        Some(url) => format!("{text} [PR]({url})"),
        None => text,
    }
}

/// `fleet.md`: the matrix as a Markdown table, then the lists below it.
pub fn markdown(report: &FleetReport) -> String {
    let cols = columns(report);
    let mut out = heading(report);
    out.push_str(LEGEND);
    out.push_str("| Release | Behind | Vulns |");
    for c in &cols {
        match &c.newest {
            Some(n) => out.push_str(&format!(" {} (newest {}) |", escape_markdown(&c.upstream), escape_markdown(n))),
            None => out.push_str(&format!(" {} |", escape_markdown(&c.upstream))),
        }
    }
    out.push_str("\n|---|---|---|");
    out.push_str(&"---|".repeat(cols.len()));
    out.push('\n');
    for r in &report.releases {
        let place = match (&r.branch, &r.commit) {
            (Some(b), Some(c)) => format!(" (`{}` @ `{}`)", escape_markdown(b), short(c)),
            (Some(b), None) => format!(" (`{}`)", escape_markdown(b)),
            _ => String::new(),
        };
        let mark = if r.will_not_build.is_empty() { "" } else { " ✗" };
        out.push_str(&format!("| {}{place}{mark} |", escape_markdown(&r.repository)));
        if let Some(e) = &r.error {
            out.push_str(&format!(" ⚠ | | ⚠ unreadable: {} |", escape_markdown(e)));
            out.push_str(&" |".repeat(cols.len().saturating_sub(1)));
            out.push('\n');
            continue;
        }
        out.push_str(&format!(" {} |", r.dependencies.iter().filter(|d| d.behind).count()));
        match r.vulnerabilities.unwrap_or(0) {
            0 => out.push_str(" 0 |"),
            n => out.push_str(&format!(" **⚠ {n}** |")),
        }
        for c in &cols {
            let cell: Vec<String> =
                r.dependencies.iter().filter(|d| d.upstream == c.upstream).map(dependency).collect();
            out.push_str(&format!(" {} |", cell.join("<br>")));
        }
        out.push('\n');
    }
    out.push_str(&footer(report));
    out
}

/// The lists below the matrix: releases that will not build, known vulnerabilities, and releases
/// not read or read in part.
fn footer(report: &FleetReport) -> String {
    let mut out = String::new();
    let nobuild: Vec<String> = report
        .releases
        .iter()
        .flat_map(|r| {
            r.will_not_build.iter().map(|l| format!("- ✗ {}: {}", escape_markdown(&r.repository), escape_markdown(l)))
        })
        .collect();
    if !nobuild.is_empty() {
        out.push_str("\nWill not build (a go.mod asks for a newer Go than the one that builds it):\n\n");
        out.push_str(&nobuild.join("\n"));
        out.push('\n');
    }
    out.push_str(&known_vulnerabilities(report));
    let problems: Vec<String> = report
        .releases
        .iter()
        .filter_map(|r| {
            r.error.as_ref().map(|e| format!("- ⚠ {}: {}", escape_markdown(&r.repository), escape_markdown(e))).or_else(
                || r.warning.as_ref().map(|w| format!("- {}: {}", escape_markdown(&r.repository), escape_markdown(w))),
            )
        })
        .collect();
    if !problems.is_empty() {
        out.push_str("\nNot read, or read in part:\n\n");
        out.push_str(&problems.join("\n"));
        out.push('\n');
    }
    out
}

/// A report's id linked to its page (only an http(s) URL becomes a link), with its aliases:
/// `[GO-2024-2687](https://pkg.go.dev/vuln/GO-2024-2687) (CVE-2023-45288)`.
fn linked(v: &VulnerabilityJson) -> String {
    let id = escape_markdown(&v.id);
    let id = match v.url.starts_with("https://") || v.url.starts_with("http://") {
        true => format!("[{id}]({})", v.url.replace(' ', "%20").replace(')', "%29")),
        false => id,
    };
    match v.aliases.is_empty() {
        true => id,
        false => format!("{id} ({})", escape_markdown(&v.aliases.join(", "))),
    }
}

/// The "Known vulnerabilities" list: a line per dependency of a release with reports against its
/// current version (each linked, and which of them its bump fixes) or on a Go line out of
/// security support.
fn known_vulnerabilities(report: &FleetReport) -> String {
    let mut lines = Vec::new();
    for r in &report.releases {
        for d in r
            .dependencies
            .iter()
            .filter(|d| !d.security.vulnerabilities.is_empty() || d.security.out_of_security_support)
        {
            let s = &d.security;
            let mut line = format!("- ⚠ {}: {}", escape_markdown(&r.repository), escape_markdown(&d.name));
            if let Some(c) = &d.current {
                line.push_str(&format!(" {}", escape_markdown(c)));
            }
            line.push(':');
            if !s.vulnerabilities.is_empty() {
                let ids: Vec<String> = s.vulnerabilities.iter().map(linked).collect();
                line.push_str(&format!(" {}", ids.join(", ")));
            }
            if !s.fixed_by_target.is_empty() {
                line.push_str(&format!("; the bump fixes {}", escape_markdown(&s.fixed_by_target.join(", "))));
            }
            if !s.still_affected.is_empty() {
                line.push_str(&format!("; still affected after it: {}", escape_markdown(&s.still_affected.join(", "))));
            }
            if s.out_of_security_support {
                line.push_str(if s.vulnerabilities.is_empty() { " " } else { "; " });
                line.push_str("Go out of security support");
            }
            lines.push(line);
        }
    }
    if lines.is_empty() {
        return String::new();
    }
    format!("\nKnown vulnerabilities (Go vulnerability database, of the current versions):\n\n{}\n", lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::report::tests::{sample, vulnerable_sample};

    #[test]
    fn the_markdown_matrix_has_a_column_per_upstream_and_marks_unreadable_releases() {
        let md = markdown(&sample());
        assert!(
            md.contains("| Release | Behind | Vulns | etcd-io/etcd (newest 3.5.17) | Go downloads (newest 1.24.0) |"),
            "{md}"
        );
        assert!(md.contains("| o/etcd-release (`main` @ `0123456`) | 2 | 0 | **etcd 3.3.15 → 3.5.17 (3 behind, 12 d old)** [PR](https://github.com/o/etcd-release/pull/7) | **golang-1.22 1.22.4 → 1.22.5 (1 behind, 12 d old)** |"), "{md}");
        assert!(
            md.contains("| o/<script> | ⚠ | | ⚠ unreadable: git https://x/o/r.git: authentication failed \\| <b> | |"),
            "{md}"
        );
        assert!(md.contains("- ⚠ o/<script>: git https://x/o/r.git"), "{md}");
    }

    #[test]
    fn known_vulnerabilities_are_marked_counted_and_listed_with_links() {
        let md = markdown(&vulnerable_sample());
        assert!(md.contains("dependencies behind. 2 with known vulnerabilities (3 distinct reports).\n"), "{md}");
        assert!(
            md.contains(
                "| o/etcd-release (`main` @ `0123456`) | 2 | **⚠ 3** | **etcd 3.3.15 → 3.5.17 (3 behind, 12 d old)** ⚠ \
             GO-2023-2001 [PR](https://github.com/o/etcd-release/pull/7) | **golang-1.22 1.22.4 → 1.22.5 (1 behind, \
             12 d old)** ⚠ GO-2024-2687, GO-2024-2963 (Go out of security support) |"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "\nKnown vulnerabilities (Go vulnerability database, of the current versions):\n\n\
             - ⚠ o/etcd-release: etcd 3.3.15: [GO-2023-2001](https://pkg.go.dev/vuln/GO-2023-2001)\n\
             - ⚠ o/etcd-release: golang-1.22 1.22.4: [GO-2024-2687](https://pkg.go.dev/vuln/GO-2024-2687) \
             (CVE-2023-45288), [GO-2024-2963](https://pkg.go.dev/vuln/GO-2024-2963) (CVE-2024-24791); the bump \
             fixes GO-2024-2963; Go out of security support\n"
            ),
            "{md}"
        );
        assert!(md.contains("⚠ GO-… after a dependency: reports of the Go vulnerability database"), "the legend");
        let clean = markdown(&sample());
        assert!(
            !clean.contains("\nKnown vulnerabilities (") && !clean.contains("with known vulnerabilities"),
            "{clean}"
        );
    }

    #[test]
    fn a_cell_names_three_reports_and_how_many_more_the_list_names_them_all() {
        let mut report = vulnerable_sample();
        let v = &mut report.releases[0].dependencies[1].security.vulnerabilities;
        let template = v[0].clone();
        v.extend((0..3).map(|i| VulnerabilityJson { id: format!("GO-2025-000{i}"), ..template.clone() }));
        let md = markdown(&report);
        assert!(
            md.contains("⚠ GO-2024-2687, GO-2024-2963, GO-2025-0000 and 2 more (Go out of security support) |"),
            "{md}"
        );
        assert!(md.contains("[GO-2025-0002](https://pkg.go.dev/vuln/GO-2024-2687)"), "{md}");
    }

    #[test]
    fn a_go_line_out_of_security_support_without_reports_is_listed_and_an_unread_database_is_said() {
        let mut report = sample();
        report.releases[0].dependencies[1].security.out_of_security_support = true;
        report.vulndb_warning = Some("https://vuln.go.dev/index/modules.json: 503 | down".into());
        let md = markdown(&report);
        assert!(md.contains("- ⚠ o/etcd-release: golang-1.22 1.22.4: Go out of security support\n"), "{md}");
        assert!(md.contains("12 d old)** (Go out of security support) |"), "{md}");
        assert!(
            md.contains(
                "**Known vulnerabilities unknown**: the Go vulnerability database could not be read: \
             https://vuln.go.dev/index/modules.json: 503 \\| down\n"
            ),
            "{md}"
        );
    }

    #[test]
    fn a_release_whose_go_mod_will_not_build_is_marked_and_said_why() {
        let mut report = sample();
        let line = "src/a/go.mod asks for go 1.24.0, toolchain go1.26.1; it builds with Go 1.25.3 (golang-1.25-linux)";
        report.releases[0].will_not_build = vec![line.into()];
        let md = markdown(&report);
        assert!(md.contains("| o/etcd-release (`main` @ `0123456`) ✗ |"), "{md}");
        assert!(md.contains(&format!("- ✗ o/etcd-release: {line}")), "{md}");
        assert!(!markdown(&sample()).contains("Will not build"));
        let page = crate::fleet::html::html(&report);
        assert!(
            page.contains("<span class=\"nobuild\" title=\"will not build: src/a/go.mod asks for"),
            "marked on the page"
        );
    }

    #[test]
    fn pinned_and_moved_modules_are_shown_with_why_they_are_never_bumped() {
        let mut report = sample();
        let mut pinned = crate::fleet::report::tests::dep("gnatsd", "github.com/nats-io/gnatsd", "1.4.1", "", "", 0);
        (pinned.kind, pinned.latest, pinned.newest, pinned.releases_behind, pinned.age_days) =
            (crate::plan::Kind::GoModule, None, None, None, None);
        pinned.pinned = Some(crate::plan::Pinned { go_mod: "src/go.mod".into(), replacement: "../gnatsd".into() });
        let mut moved = pinned.clone();
        (moved.name, moved.upstream, moved.current, moved.newest, moved.pinned) =
            ("go-nats".into(), "github.com/nats-io/nats.go".into(), Some("1.7.2".into()), Some("1.39.1".into()), None);
        moved.moved = Some(crate::plan::Moved {
            from: "github.com/nats-io/go-nats".into(),
            to: "github.com/nats-io/nats.go".into(),
        });
        report.releases[0].dependencies.extend([pinned, moved]);
        let md = markdown(&report);
        assert!(md.contains(" | gnatsd 1.4.1 (pinned by replace) |"), "{md}");
        assert!(md.contains(" | go-nats 1.7.2 (moved to github.com/nats-io/nats.go) |"), "{md}");
        assert!(md.contains("github.com/nats-io/nats.go (newest 1.39.1)"), "{md}");
        assert!(md.contains("2 of 4 dependencies behind"), "held rows are never behind: {md}");
        let html = crate::fleet::html::html(&report);
        assert!(html.contains("class=\"dep sev-held\" data-dependency=\"gnatsd\""), "{html}");
        assert!(html.contains("<span class=\"info\">moved to github.com/nats-io/nats.go</span>"), "{html}");
    }
}
