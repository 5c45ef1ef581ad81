//! `index.html`: one self-contained page (inline CSS and JS, no external asset): the matrix of
//! releases × upstreams coloured by how far behind ([`Severity`]), each dependency's known
//! vulnerabilities marked and linked, sortable by clicking a header (or with `#sort=N` /
//! `#sort=-N` in the URL), a legend and the time of the report. The style and
//! the sorting script are `page.css` and `page.js` beside this file, inlined as they are.

use super::matrix::{Column, columns, notes, short};
use super::report::{DependencyRow, FleetReport, ReleaseRow};
use super::severity::Severity;

/// The page's style.
const CSS: &str = include_str!("page.css");
/// The page's script: sorting by a column.
const JS: &str = include_str!("page.js");

/// `s` escaped for HTML text and attribute values.
fn h(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Only http(s) links become anchors.
fn safe_href(url: &str) -> Option<String> {
    (url.starts_with("https://") || url.starts_with("http://")).then(|| h(url))
}

/// `index.html`: one self-contained page (inline CSS and JS, no external asset): the matrix of
/// releases × upstreams coloured by how far behind, sortable by clicking a header (or with
/// `#sort=N` / `#sort=-N` in the URL), a legend and the time of the report.
pub fn html(report: &FleetReport) -> String {
    let cols = columns(report);
    let mut out = head(report);
    out.push_str(&legend());
    out.push_str(&table_head(&cols));
    for r in &report.releases {
        out.push_str(&release_row(r, &cols));
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
    out.push_str(&format!("<script>\n{JS}</script>\n</body>\n</html>\n"));
    out
}

/// The document's head (title, style) and the page's heading: when, how many releases, how many
/// dependencies behind.
fn head(report: &FleetReport) -> String {
    let (behind, total) = report.behind();
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<title>Fleet report {}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n",
        h(&report.generated_at)
    ));
    out.push_str("<h1>Fleet report</h1>\n");
    let (vulnerable, reports) = report.vulnerable();
    out.push_str(&format!(
        "<p class=\"meta\">Generated <time datetime=\"{0}\">{0}</time> · {1} releases · {2} unreadable · {behind} of {total} dependencies behind · {vulnerable} with known vulnerabilities ({reports} reports)</p>\n",
        h(&report.generated_at),
        report.releases.len(),
        report.unreadable()
    ));
    if let Some(w) = &report.vulndb_warning {
        out.push_str(&format!(
            "<p class=\"vulndb-warning\" role=\"status\">⚠ Known vulnerabilities unknown: the Go vulnerability database could not be read: {}</p>\n",
            h(w)
        ));
    }
    out
}

/// What the colours and a cell's text mean.
fn legend() -> String {
    let mut out = String::from("<ul class=\"legend\" aria-label=\"legend\">\n");
    for (sev, label) in Severity::LEGEND {
        out.push_str(&format!("<li><span class=\"swatch {}\"></span>{}</li>\n", sev.class(), h(label)));
    }
    out.push_str("<li><span class=\"swatch\" style=\"background:#f9d6d2\"></span>release could not be read</li>\n");
    out.push_str("<li>cell: current → latest · releases behind · days since the current version was published</li>\n");
    out.push_str("<li>✗ Go: a go.mod asks for a newer Go than the golang package that compiles it</li>\n");
    out.push_str(
        "<li>custom build of &lt;version&gt;: the release team's own build of that upstream version, judged on it, \
         bumped only with <code>custom_builds: replace</code></li>\n",
    );
    out.push_str(
        "<li><span class=\"vuln-mark\">⚠ N vulnerabilities</span> known reports of the Go vulnerability database \
         affecting the current version: open it for each report, linked; Vulns: the distinct reports of a \
         release</li>\n",
    );
    out.push_str(
        "<li><span class=\"nosupport\">Go out of security support</span> a Go line with two newer lines: Go \
         fixes it no more</li>\n",
    );
    out.push_str("</ul>\n");
    out
}

/// The table up to its body: a sortable header per column (release, behind, known
/// vulnerabilities, each upstream with its newest version).
fn table_head(cols: &[Column]) -> String {
    let mut out = String::from("<div class=\"wrap\">\n<table id=\"fleet\">\n<thead><tr>");
    out.push_str("<th data-type=\"text\" aria-sort=\"none\"><button type=\"button\">Release</button></th>");
    out.push_str("<th data-type=\"num\" aria-sort=\"none\"><button type=\"button\">Behind<span class=\"newest\">dependencies</span></button></th>");
    out.push_str("<th data-type=\"num\" aria-sort=\"none\"><button type=\"button\">Vulns<span class=\"newest\">known reports</span></button></th>");
    for c in cols {
        let newest =
            c.newest.as_deref().map(|n| format!("<span class=\"newest\">newest {}</span>", h(n))).unwrap_or_default();
        out.push_str(&format!(
            "<th data-type=\"num\" aria-sort=\"none\" data-upstream=\"{0}\"><button type=\"button\">{0}{newest}</button></th>",
            h(&c.upstream)
        ));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    out
}

/// One release's row: its name, branch and commit, then how many dependencies are behind and a
/// cell per upstream; a release that could not be read shows its error across the row.
fn release_row(r: &ReleaseRow, cols: &[Column]) -> String {
    let sub = match (&r.branch, &r.commit) {
        (Some(b), Some(c)) => format!("{} @ {}", h(b), h(short(c))),
        (Some(b), None) => h(b),
        _ => String::new(),
    };
    let mut warn =
        r.warning.as_ref().map(|w| format!(" <span class=\"warn\" title=\"{}\">⚠</span>", h(w))).unwrap_or_default();
    if !r.will_not_build.is_empty() {
        let title = format!("will not build: {}", r.will_not_build.join("; "));
        warn.push_str(&format!(" <span class=\"nobuild\" title=\"{}\">✗ Go</span>", h(&title)));
    }
    let head = format!(
        "<th scope=\"row\" data-col=\"0\" data-sort=\"{0}\">{0}{warn}<span class=\"sub\">{sub}</span></th>",
        h(&r.repository)
    );
    if let Some(e) = &r.error {
        return format!(
            "<tr class=\"unreadable\" data-repository=\"{}\">{head}<td class=\"error\" colspan=\"{}\">⚠ unreadable: {}</td></tr>\n",
            h(&r.repository),
            cols.len() + 2,
            h(e)
        );
    }
    let mut out = format!("<tr data-repository=\"{}\">{head}", h(&r.repository));
    let n = r.dependencies.iter().filter(|d| d.behind).count();
    out.push_str(&format!("<td class=\"num\" data-col=\"1\" data-sort=\"{n}\">{n}</td>"));
    out.push_str(&vulns_cell(r.vulnerabilities.unwrap_or(0)));
    for (i, c) in cols.iter().enumerate() {
        let deps: Vec<&DependencyRow> = r.dependencies.iter().filter(|d| d.upstream == c.upstream).collect();
        out.push_str(&cell(&deps, i + FIRST_UPSTREAM));
    }
    out.push_str("</tr>\n");
    out
}

/// The column of the first upstream: 0 is the release, 1 the number behind, 2 the known
/// vulnerabilities (`index.html#sort=N` counts the same way).
const FIRST_UPSTREAM: usize = 3;

/// A release's count of distinct known vulnerabilities, sorting by it; marked when not 0.
fn vulns_cell(n: usize) -> String {
    let text = match n {
        0 => "0".to_string(),
        n => format!("<span class=\"vuln-mark\">⚠ {n}</span>"),
    };
    format!("<td class=\"num\" data-col=\"2\" data-sort=\"{n}\">{text}</td>")
}

/// The cell of column `col`: the dependencies on its upstream, each in its own colour; the cell
/// takes the colour of its worst one and sorts by it, then by releases behind.
fn cell(deps: &[&DependencyRow], col: usize) -> String {
    if deps.is_empty() {
        return format!("<td class=\"cell\" data-col=\"{col}\"></td>");
    }
    let worst = deps.iter().map(|d| Severity::of(d)).max().unwrap_or(Severity::Unknown);
    let score = deps
        .iter()
        .map(|d| Severity::of(d) as u64 * 10_000 + d.releases_behind.unwrap_or(0).min(9_999))
        .max()
        .unwrap_or(0);
    let mut out = format!("<td class=\"cell {}\" data-col=\"{col}\" data-sort=\"{score}\">", worst.class());
    for d in deps {
        out.push_str(&dep_html(d));
    }
    out.push_str("</td>");
    out
}

/// One dependency in a cell: its name, versions, pull request and notes, coloured by its
/// [`Severity`], with everything known about it in the tooltip.
fn dep_html(d: &DependencyRow) -> String {
    let sev = Severity::of(d);
    let mut title = vec![format!("{} ({}, {})", d.name, d.kind, d.upstream)];
    title.push(format!("current {}", d.current.as_deref().unwrap_or("unknown")));
    title.push(format!("latest on its line {}", d.latest.as_deref().unwrap_or("unknown")));
    title.push(format!("newest {}", d.newest.as_deref().unwrap_or("unknown")));
    if let Some(n) = d.releases_behind {
        title.push(format!("{n} releases behind"));
    }
    if let Some(a) = d.age_days {
        title.push(format!("current published {a} days ago"));
    }
    let vulns = &d.security.vulnerabilities;
    if !vulns.is_empty() {
        let ids: Vec<&str> = vulns.iter().map(|v| v.id.as_str()).collect();
        title.push(format!("{} known {}: {}", vulns.len(), plural(vulns.len()), ids.join(", ")));
    }
    if d.security.out_of_security_support {
        title.push("Go out of security support".into());
    }
    let ver = match (&d.latest, d.behind) {
        (Some(l), true) => format!("{} → {}", h(d.current.as_deref().unwrap_or("?")), h(l)),
        _ => {
            let mark = match sev {
                Severity::Current => " ✓",
                Severity::NewerLine => " ↑",
                _ => "",
            };
            format!("{}{mark}", h(d.current.as_deref().unwrap_or("?")))
        }
    };
    let info = notes(d);
    let info =
        if info.is_empty() { String::new() } else { format!("<span class=\"info\">{}</span>", info.join(" · ")) };
    let pr =
        d.pull_request.as_deref().and_then(safe_href).map(|u| format!("<a href=\"{u}\">PR</a>")).unwrap_or_default();
    format!(
        "<div class=\"dep {}\" data-dependency=\"{}\" title=\"{}\"><span class=\"name\">{}</span><span class=\"ver\">{ver}</span>{pr}{info}{}</div>",
        sev.class(),
        h(&d.name),
        h(&title.join("; ")),
        h(&d.name),
        security_html(d)
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "vulnerability" } else { "vulnerabilities" }
}

/// A dependency's known vulnerabilities: `⚠ 2 vulnerabilities`, opening to each report linked
/// (its aliases, what fixes it, whether the bump does), and "Go out of security support".
fn security_html(d: &DependencyRow) -> String {
    let s = &d.security;
    let mut out = String::new();
    if !s.vulnerabilities.is_empty() {
        let n = s.vulnerabilities.len();
        out.push_str(&format!(
            "<details class=\"vuln\"><summary><span class=\"vuln-mark\">⚠ {n} {}</span></summary><ul>",
            plural(n)
        ));
        for v in &s.vulnerabilities {
            let id = match safe_href(&v.url) {
                Some(u) => format!("<a href=\"{u}\" title=\"{}\">{}</a>", h(&v.summary), h(&v.id)),
                None => format!("<span title=\"{}\">{}</span>", h(&v.summary), h(&v.id)),
            };
            let aliases = if v.aliases.is_empty() { String::new() } else { format!(" {}", h(&v.aliases.join(", "))) };
            let fix = match (&v.fixed, s.fixed_by_target.contains(&v.id)) {
                (Some(f), true) => format!(" · fixed in {}, by the bump", h(f)),
                (None, true) => " · fixed by the bump".to_string(),
                (Some(f), false) => format!(" · fixed in {}", h(f)),
                (None, false) => " · no fix yet".to_string(),
            };
            out.push_str(&format!("<li>{id}{aliases}{fix}</li>"));
        }
        out.push_str("</ul>");
        if !s.still_affected.is_empty() {
            out.push_str(&format!("<p>still affected after the bump: {}</p>", h(&s.still_affected.join(", "))));
        }
        out.push_str("</details>");
    }
    if s.out_of_security_support {
        out.push_str("<span class=\"nosupport\">Go out of security support</span>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::report::tests::{sample, vulnerable_sample};

    #[test]
    fn the_page_is_self_contained_and_escapes_what_it_shows() {
        let page = html(&sample());
        for external in ["<link", " src=", "@import", "url(", "http://", "//fonts", "<img"] {
            assert!(!page.contains(external), "{external} in the page");
        }
        assert!(page.contains("o/&lt;script&gt;"));
        assert!(!page.contains("o/<script>"));
        assert!(page.contains(
            "class=\"error\" colspan=\"4\">⚠ unreadable: git https://x/o/r.git: authentication failed | &lt;b&gt;"
        ));
        assert!(page.contains("<a href=\"https://github.com/o/etcd-release/pull/7\">PR</a>"));
        assert!(
            page.contains("class=\"cell sev-some\" data-col=\"3\" data-sort=\"50003\""),
            "etcd: Some (5) * 10000 + 3"
        );
        assert!(page.contains("<time datetime=\"2025-01-02T03:04:05Z\">"));
    }

    /// The cells of `page`'s header, in order: what `#sort=N` counts.
    fn headers(page: &str) -> Vec<String> {
        let head = page.split("<thead>").nth(1).unwrap().split("</thead>").next().unwrap();
        head.split("<button type=\"button\">").skip(1).map(|b| b.split('<').next().unwrap().to_string()).collect()
    }

    #[test]
    fn the_columns_are_release_behind_vulns_then_the_upstreams_and_sort_by_their_numbers() {
        let page = html(&vulnerable_sample());
        assert_eq!(headers(&page), ["Release", "Behind", "Vulns", "etcd-io/etcd", "Go downloads"]);
        assert!(page.contains("<th data-type=\"num\" aria-sort=\"none\"><button type=\"button\">Vulns<"));
        // Each row's cells carry the number of their header, the release's count its sort key.
        assert!(page.contains(
            "<td class=\"num\" data-col=\"1\" data-sort=\"2\">2</td><td class=\"num\" data-col=\"2\" \
             data-sort=\"3\"><span class=\"vuln-mark\">⚠ 3</span></td><td class=\"cell sev-some\" data-col=\"3\""
        ));
        assert!(page.contains("data-col=\"4\" data-sort=\"40001\""), "golang-1.22: One (4) * 10000 + 1");
        let none = html(&sample());
        assert!(none.contains("<td class=\"num\" data-col=\"2\" data-sort=\"0\">0</td>"), "0 is a count too");
        // An unreadable release has no count: it sorts last, whichever way.
        let unreadable = page.split("<tr class=\"unreadable\"").nth(1).unwrap().split("</tr>").next().unwrap();
        assert!(!unreadable.contains("data-col=\"2\""), "{unreadable}");
        // The script sorts by the header's position and a cell's data-col: the same numbers.
        assert!(JS.contains("'[data-col=\"' + col + '\"]'") && JS.contains("heads[col]"));
    }

    #[test]
    fn a_vulnerable_dependency_is_marked_in_words_with_each_report_linked() {
        let page = html(&vulnerable_sample());
        let golang = page.split("data-dependency=\"golang-1.22\"").nth(1).unwrap().split("</div>").next().unwrap();
        assert!(golang.contains("2 known vulnerabilities: GO-2024-2687, GO-2024-2963; Go out of security support\""));
        assert!(golang.contains(
            "<details class=\"vuln\"><summary><span class=\"vuln-mark\">⚠ 2 vulnerabilities</span></summary><ul>"
        ));
        assert!(golang.contains(
            "<li><a href=\"https://pkg.go.dev/vuln/GO-2024-2687\" title=\"Summary of GO-2024-2687\">GO-2024-2687</a> \
             CVE-2023-45288 · fixed in 1.22.2</li>"
        ));
        assert!(golang.contains(">GO-2024-2963</a> CVE-2024-24791 · fixed in 1.22.5, by the bump</li>"));
        assert!(golang.contains("<span class=\"nosupport\">Go out of security support</span>"));
        let etcd = page.split("data-dependency=\"etcd\"").nth(1).unwrap().split("</div>").next().unwrap();
        assert!(etcd.contains("⚠ 1 vulnerability</span>") && !etcd.contains("nosupport"), "{etcd}");
        let clean = html(&sample());
        let tbody = clean.split("<tbody>").nth(1).unwrap();
        assert!(!tbody.contains("<details") && !tbody.contains("class=\"nosupport\""), "nothing known, no mark");
        assert!(!tbody.contains("vuln-mark"), "nor a count marked");
    }

    #[test]
    fn a_report_link_is_only_ever_http_and_escaped() {
        let mut report = vulnerable_sample();
        let v = &mut report.releases[0].dependencies[0].security.vulnerabilities[0];
        (v.url, v.summary) = ("javascript:alert(1)".into(), "<b>\"x\"</b>".into());
        let page = html(&report);
        assert!(!page.contains("javascript:"), "no link");
        assert!(page.contains("<span title=\"&lt;b&gt;&quot;x&quot;&lt;/b&gt;\">GO-2023-2001</span>"));
    }

    #[test]
    fn the_legend_explains_the_vulnerability_marks_and_an_unread_database_is_said() {
        let mut report = vulnerable_sample();
        let page = html(&report);
        let legend = page.split("class=\"legend\"").nth(1).unwrap().split("</ul>").next().unwrap();
        assert!(legend.contains("<span class=\"vuln-mark\">⚠ N vulnerabilities</span> known reports of the Go"));
        assert!(legend.contains("<span class=\"nosupport\">Go out of security support</span> a Go line"));
        assert!(page.contains("2 with known vulnerabilities (3 reports)</p>"));
        assert!(!page.contains("<p class=\"vulndb-warning\""));
        report.vulndb_warning = Some("https://vuln.go.dev/index/modules.json: 503 <x>".into());
        assert!(html(&report).contains(
            "<p class=\"vulndb-warning\" role=\"status\">⚠ Known vulnerabilities unknown: the Go vulnerability \
             database could not be read: https://vuln.go.dev/index/modules.json: 503 &lt;x&gt;</p>"
        ));
    }
}
