//! What users read of known vulnerabilities (contract §12): plan.json's fields, report.md's
//! column and section, the `in` metadata lines and the PR body's "Security" section.

use serde::Serialize;

use super::escape_markdown;
use crate::plan::vulns::{Security, Vulnerability};
use crate::plan::{Plan, PlannedDependency};

/// The security fields of a dependency in plan.json and fleet.json.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct SecurityJson {
    pub vulnerabilities: Vec<VulnerabilityJson>,
    pub fixed_by_target: Vec<String>,
    pub still_affected: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub out_of_security_support: bool,
}

/// One report, as plan.json shows it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct VulnerabilityJson {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: String,
    pub url: String,
    pub fixed: Option<String>,
}

impl From<&Vulnerability> for VulnerabilityJson {
    fn from(v: &Vulnerability) -> Self {
        VulnerabilityJson {
            id: v.id.clone(),
            aliases: v.aliases.clone(),
            summary: v.summary.clone(),
            url: v.url.clone(),
            fixed: v.fixed.clone(),
        }
    }
}

impl From<&Security> for SecurityJson {
    fn from(s: &Security) -> Self {
        SecurityJson {
            vulnerabilities: s.vulnerabilities.iter().map(VulnerabilityJson::from).collect(),
            fixed_by_target: s.fixed_by_target.clone(),
            still_affected: s.still_affected.clone(),
            out_of_security_support: s.out_of_security_support,
        }
    }
}

/// A report's id linked, with its first alias: `[GO-2024-2687](url) (CVE-2023-45288)`.
fn linked(v: &Vulnerability) -> String {
    let alias = v.aliases.first().map(|a| format!(" ({})", escape_markdown(a))).unwrap_or_default();
    format!("[{}]({}){alias}", escape_markdown(&v.id), v.url)
}

/// report.md's Vulnerabilities cell: the count and the ids, linked; `–` when none.
pub fn cell(d: &PlannedDependency) -> String {
    let s = &d.security;
    let mut out = match s.vulnerabilities.len() {
        0 => "–".to_string(),
        n => {
            let ids: Vec<String> =
                s.vulnerabilities.iter().map(|v| format!("[{}]({})", escape_markdown(&v.id), v.url)).collect();
            format!("**{n}**: {}", ids.join(", "))
        }
    };
    if s.out_of_security_support {
        out.push_str(" · **Go line out of security support**");
    }
    out
}

/// report.md's section: each dependency's reports, what fixes them, and what the target fixes.
pub fn section(plan: &Plan) -> String {
    let mut out = String::new();
    if let Some(w) = &plan.vulndb_warning {
        out.push_str(&format!("\n**Known vulnerabilities unknown**: {}\n", escape_markdown(w)));
    }
    let affected: Vec<&PlannedDependency> =
        plan.dependencies.iter().filter(|d| !d.security.vulnerabilities.is_empty()).collect();
    let unsupported: Vec<&PlannedDependency> =
        plan.dependencies.iter().filter(|d| d.security.out_of_security_support).collect();
    if affected.is_empty() && unsupported.is_empty() {
        return out;
    }
    out.push_str("\n## Known vulnerabilities\n\nFrom the Go vulnerability database, for the current versions.\n");
    for d in affected {
        out.push_str(&format!("\n### {}\n\n", escape_markdown(&d.name)));
        for v in &d.security.vulnerabilities {
            out.push_str(&format!("- {}: {}{}\n", linked(v), escape_markdown(&v.summary), fate(d, v)));
        }
    }
    for d in unsupported {
        let current = d.current.as_ref().map(|c| format!("{}.{}", c.major(), c.minor())).unwrap_or_default();
        out.push_str(&format!(
            "\n**{}**: Go {current} is out of security support (Go fixes only the newest two lines).\n",
            escape_markdown(&d.name)
        ));
    }
    out
}

/// What becomes of report `v` of `d`: fixed by the target, still there at the target, or unfixed.
fn fate(d: &PlannedDependency, v: &Vulnerability) -> String {
    let fixed_in = v.fixed.as_deref().map(|f| format!("fixed in {f}")).unwrap_or_else(|| "no fix yet".into());
    match &d.target {
        Some(t) if d.security.fixed_by_target.contains(&v.id) => format!(" — {fixed_in}; **fixed by {t}**"),
        Some(t) => format!(" — {fixed_in}; {t} is still affected"),
        None => format!(" — {fixed_in}"),
    }
}

/// The `in` metadata line of `d` when its current version has known vulnerabilities:
/// `GO-2024-2687 (CVE-2023-45288), GO-2024-2599; 2 fixed by 1.22.2`.
pub fn metadata_value(d: &PlannedDependency) -> Option<String> {
    let s = &d.security;
    if s.vulnerabilities.is_empty() {
        return None;
    }
    let ids: Vec<String> = s
        .vulnerabilities
        .iter()
        .map(|v| match v.aliases.first() {
            Some(a) => format!("{} ({a})", v.id),
            None => v.id.clone(),
        })
        .collect();
    let mut value = ids.join(", ");
    if let Some(t) = &d.target {
        value.push_str(&format!("; {} fixed by {t}", s.fixed_by_target.len()));
    }
    Some(value)
}

/// One bumped dependency's fixes, for the PR body.
#[derive(Debug, Clone, Serialize)]
pub struct SecurityFix {
    pub name: String,
    pub to: String,
    /// The reports of the current version that `to` fixes.
    pub fixed: Vec<Vulnerability>,
    /// The ids of reports that still affect `to`.
    pub still_affected: Vec<String>,
}

impl SecurityFix {
    /// The fixes a bump of `d` to its target brings; `None` when it fixes nothing and nothing
    /// remains.
    pub fn of(d: &PlannedDependency) -> Option<SecurityFix> {
        let s = &d.security;
        let fixed: Vec<Vulnerability> =
            s.vulnerabilities.iter().filter(|v| s.fixed_by_target.contains(&v.id)).cloned().collect();
        if fixed.is_empty() && s.still_affected.is_empty() {
            return None;
        }
        Some(SecurityFix {
            name: d.name.clone(),
            to: d.target.as_ref().map(|t| t.to_string()).unwrap_or_default(),
            fixed,
            still_affected: s.still_affected.clone(),
        })
    }
}

/// The PR body's "Security" section: each fix under its dependency (id, aliases, summary, link),
/// then what the new versions are still affected by. Empty when there is nothing to say.
pub fn pr_section(fixes: &[SecurityFix]) -> String {
    if fixes.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n### Security\n");
    for f in fixes {
        out.push_str(&format!("\n**{}** {}", escape_markdown(&f.name), f.to));
        match f.fixed.len() {
            0 => out.push_str(" fixes no known vulnerability.\n\n"),
            n => out.push_str(&format!(
                " fixes {n} known {}:\n\n",
                if n == 1 { "vulnerability" } else { "vulnerabilities" }
            )),
        }
        for v in &f.fixed {
            let aliases = if v.aliases.is_empty() {
                String::new()
            } else {
                format!(" ({})", v.aliases.iter().map(|a| escape_markdown(a)).collect::<Vec<_>>().join(", "))
            };
            out.push_str(&format!(
                "- [{}]({}){aliases}: {}\n",
                escape_markdown(&v.id),
                v.url,
                escape_markdown(&v.summary)
            ));
        }
        if !f.still_affected.is_empty() {
            out.push_str(&format!("\nStill affected at {}: {}\n", f.to, f.still_affected.join(", ")));
        }
    }
    out
}

/// Whether a PR with these fixes takes the security labels: it fixes at least one report.
pub fn fixes_any(fixes: &[SecurityFix]) -> bool {
    fixes.iter().any(|f| !f.fixed.is_empty())
}
