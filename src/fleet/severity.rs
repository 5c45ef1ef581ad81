//! How far behind a dependency is: one [`Severity`] drives the colours and the sorting of the
//! page, the marks of fleet.md and the page's legend.

use super::report::DependencyRow;
use crate::version::Version;

/// How far behind a dependency is, for colours and sorting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// No current or no latest version known.
    Unknown,
    /// Reported, never bumped: pinned by a `replace`, or required under a moved module path.
    Held,
    Current,
    /// Current on its line, but upstream has a newer line outside the constraint.
    NewerLine,
    /// One release behind.
    One,
    /// Two to four releases behind.
    Some,
    /// Five or more.
    Far,
}

impl Severity {
    pub fn of(d: &DependencyRow) -> Severity {
        let n = d.releases_behind.unwrap_or(u64::from(d.behind));
        if d.pinned.is_some() || d.moved.is_some() {
            Severity::Held
        } else if d.current.is_none() || d.latest.is_none() {
            Severity::Unknown
        } else if d.behind || n > 0 {
            match n {
                0 | 1 => Severity::One,
                2..=4 => Severity::Some,
                _ => Severity::Far,
            }
        } else if newer_line_outside(d) {
            Severity::NewerLine
        } else {
            Severity::Current
        }
    }

    /// The page's CSS class for this colour.
    pub(super) fn class(self) -> &'static str {
        match self {
            Severity::Unknown => "sev-unknown",
            Severity::Held => "sev-held",
            Severity::Current => "sev-current",
            Severity::NewerLine => "sev-line",
            Severity::One => "sev-one",
            Severity::Some => "sev-some",
            Severity::Far => "sev-far",
        }
    }

    /// Each colour of the page and what it means, in the order the legend shows them.
    pub(super) const LEGEND: [(Severity, &'static str); 7] = [
        (Severity::Current, "up to date"),
        (Severity::NewerLine, "up to date on its line; a newer line exists outside the constraint"),
        (Severity::One, "1 release behind"),
        (Severity::Some, "2–4 releases behind"),
        (Severity::Far, "5 or more releases behind"),
        (Severity::Unknown, "unknown: no current or no upstream version"),
        (Severity::Held, "never bumped: pinned by a replace in go.mod, or a module path that moved (code changes)"),
    ];
}

/// Whether upstream's newest version is beyond what the dependency may move to (outside its
/// constraint): a release already on the newest version its constraint allows, which is also
/// upstream's newest, gets no mark.
fn newer_line_outside(d: &DependencyRow) -> bool {
    let scheme = d.kind.scheme();
    let parse = |v: &Option<String>| v.as_deref().and_then(|v| Version::parse(scheme, v));
    let (Some(newest), Some(latest)) = (parse(&d.newest), parse(&d.latest)) else { return false };
    newest > latest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::report::tests::dep;
    use crate::plan::Kind;

    #[test]
    fn severity_follows_releases_behind() {
        let s = |n| Severity::of(&dep("a", "u", "1.0.0", "1.0.5", "1.0.5", n));
        assert_eq!((s(0), s(1), s(3), s(5)), (Severity::Current, Severity::One, Severity::Some, Severity::Far));
        assert_eq!(Severity::of(&dep("a", "u", "1.0.0", "1.0.0", "2.0.0", 0)), Severity::NewerLine);
        let mut v = dep("golang", "cloudfoundry/bosh-package-golang-release", "1.23.2", "1.26.8", "1.26.8", 6);
        v.kind = Kind::VendoredPackage;
        assert_eq!(Severity::of(&v), Severity::Far);
        v.latest = None;
        assert_eq!(Severity::of(&v), Severity::Unknown);
    }

    #[test]
    fn a_vendored_go_package_on_the_newest_line_has_no_newer_line_mark() {
        let mut v = dep("golang", "cloudfoundry/bosh-package-golang-release", "1.26.8", "1.26.8", "1.26.8", 0);
        v.kind = Kind::VendoredPackage;
        assert_eq!(Severity::of(&v), Severity::Current);
        let mut major = dep("golang", "cloudfoundry/bosh-package-golang-release", "1.26.8", "1.26.8", "2.0.1", 0);
        major.kind = Kind::VendoredPackage;
        assert_eq!(Severity::of(&major), Severity::NewerLine, "a newer line outside its major");
    }
}
