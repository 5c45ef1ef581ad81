//! `fleet.md`: the matrix as a Markdown table (a column per upstream, a row per release), then
//! the releases that could not be read, or only in part. Table text is escaped with the one
//! Markdown escaper, [`crate::report::escape_markdown`].

use super::matrix::{columns, notes, short};
use super::report::{DependencyRow, FleetReport};
use super::severity::Severity;
use crate::report::escape_markdown;

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

/// What a cell says and what its marks mean.
const LEGEND: &str = "Each cell: dependency, current version (→ latest on its line when behind), upstream releases behind, \
         days since the current version was published; ✓ up to date, ↑ a newer line exists outside the \
         constraint, ⚠ a release that could not be read; \"pinned by replace\" (a go.mod `replace` decides the \
         version) and \"moved to <path>\" (upstream renamed the module: code changes) are shown, never bumped; \
         \"custom build of <version>\" is a release team's own build of that upstream version, judged on it and \
         bumped only with `custom_builds: replace`.\n\n";

/// `fleet.md`: the matrix as a Markdown table, then the unreadable releases.
pub fn markdown(report: &FleetReport) -> String {
    let cols = columns(report);
    let (behind, total) = report.behind();
    let mut out = format!(
        "# Fleet report\n\nGenerated {}: {} releases ({} unreadable), {behind} of {total} dependencies behind.\n\n",
        report.generated_at,
        report.releases.len(),
        report.unreadable()
    );
    out.push_str(LEGEND);
    out.push_str("| Release | Behind |");
    for c in &cols {
        match &c.newest {
            Some(n) => out.push_str(&format!(" {} (newest {}) |", escape_markdown(&c.upstream), escape_markdown(n))),
            None => out.push_str(&format!(" {} |", escape_markdown(&c.upstream))),
        }
    }
    out.push_str("\n|---|---|");
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
            out.push_str(&format!(" ⚠ | ⚠ unreadable: {} |", escape_markdown(e)));
            out.push_str(&" |".repeat(cols.len().saturating_sub(1)));
            out.push('\n');
            continue;
        }
        out.push_str(&format!(" {} |", r.dependencies.iter().filter(|d| d.behind).count()));
        for c in &cols {
            let cell: Vec<String> = r
                .dependencies
                .iter()
                .filter(|d| d.upstream == c.upstream)
                .map(|d| {
                    let mark = match Severity::of(d) {
                        Severity::Current => " ✓",
                        Severity::NewerLine => " ↑",
                        Severity::Unknown => " ?",
                        _ => "",
                    };
                    let text = format!("{} {}{mark}", d.name, summary(d));
                    let text =
                        if d.behind { format!("**{}**", escape_markdown(&text)) } else { escape_markdown(&text) };
                    match &d.pull_request {
                        Some(url) => format!("{text} [PR]({url})"),
                        None => text,
                    }
                })
                .collect();
            out.push_str(&format!(" {} |", cell.join("<br>")));
        }
        out.push('\n');
    }
    out.push_str(&footer(report));
    out
}

/// The lists below the matrix: releases that will not build, and those not read or read in part.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::report::tests::sample;

    #[test]
    fn the_markdown_matrix_has_a_column_per_upstream_and_marks_unreadable_releases() {
        let md = markdown(&sample());
        assert!(
            md.contains("| Release | Behind | etcd-io/etcd (newest 3.5.17) | Go downloads (newest 1.24.0) |"),
            "{md}"
        );
        assert!(md.contains("| o/etcd-release (`main` @ `0123456`) | 2 | **etcd 3.3.15 → 3.5.17 (3 behind, 12 d old)** [PR](https://github.com/o/etcd-release/pull/7) | **golang-1.22 1.22.4 → 1.22.5 (1 behind, 12 d old)** |"), "{md}");
        assert!(
            md.contains("| o/<script> | ⚠ | ⚠ unreadable: git https://x/o/r.git: authentication failed \\| <b> | |"),
            "{md}"
        );
        assert!(md.contains("- ⚠ o/<script>: git https://x/o/r.git"), "{md}");
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
