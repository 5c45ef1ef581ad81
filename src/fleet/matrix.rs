//! What fleet.md and index.html both show: the matrix's columns (one per upstream, in a fixed
//! order, each with the newest version any release sees), a commit's short form and the notes of
//! a dependency's cell.

use std::collections::BTreeMap;

use super::report::{DependencyRow, FleetReport};
use crate::plan::Kind;
use crate::version::Version;

/// One column of the matrix: an upstream.
pub(super) struct Column {
    pub(super) upstream: String,
    /// The newest version any release's dependency on it sees.
    pub(super) newest: Option<String>,
}

/// The order of the columns by kind: GitHub releases, then Go, then modules.
fn kind_rank(kind: Kind) -> u8 {
    match kind {
        Kind::GithubRelease => 0,
        Kind::Golang | Kind::VendoredPackage => 1,
        Kind::GoModule => 2,
    }
}

/// Columns in a fixed order: GitHub releases, Go, modules; each by name.
pub(super) fn columns(report: &FleetReport) -> Vec<Column> {
    let mut by: BTreeMap<(u8, String), Option<String>> = BTreeMap::new();
    for d in report.releases.iter().flat_map(|r| &r.dependencies) {
        let scheme = d.kind.scheme();
        let newest = by.entry((kind_rank(d.kind), d.upstream.clone())).or_default();
        if let Some(n) = &d.newest {
            let higher = match newest.as_deref() {
                None => true,
                Some(old) => match (Version::parse(scheme, n), Version::parse(scheme, old)) {
                    (Some(a), Some(b)) => a > b,
                    _ => false,
                },
            };
            if higher {
                *newest = Some(n.clone());
            }
        }
    }
    by.into_iter().map(|((_, upstream), newest)| Column { upstream, newest }).collect()
}

/// The first seven characters of a commit.
pub(super) fn short(commit: &str) -> &str {
    &commit[..commit.len().min(7)]
}

/// The notes of a dependency's cell: why it is never bumped, how many releases behind, and how old
/// the current version is: `["3 behind", "230 d old"]`, `["pinned by replace"]`,
/// `["moved to github.com/nats-io/nats.go"]`, `["custom build of 3.3.15", "3 behind"]`.
pub(super) fn notes(d: &DependencyRow) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(base) = &d.custom_build_of {
        notes.push(format!("custom build of {base}"));
    }
    if d.pinned.is_some() {
        notes.push("pinned by replace".to_string());
    }
    if let Some(m) = &d.moved {
        notes.push(format!("moved to {}", m.to));
    }
    match (d.releases_behind, d.kind) {
        (Some(n), _) if n > 0 => notes.push(format!("{n} behind")),
        _ => {}
    }
    if let Some(age) = d.age_days {
        notes.push(format!("{age} d old"));
    }
    notes
}
