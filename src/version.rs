//! Versions and constraints.
//!
//! Upstreams spell versions in three ways: semver tags (`v2.10.22`, `3.5.17`), Go toolchain
//! versions (`go1.20`, `go1.21.0`, `go1.24rc1`) and Go module versions (`v1.37.0`,
//! `v2.0.0+incompatible`). A [`Version`] keeps the spelling the upstream uses (without the `v` or
//! `go` prefix: that is what versions, templates and reports show) next to a normalised
//! [`semver::Version`] used for every comparison:
//!
//! - missing components are zero: `1.20` is `1.20.0`, `v3.5` is `3.5.0`;
//! - Go prereleases become semver prereleases with a numeric part: `1.24rc1` is `1.24.0-rc.1`,
//!   `1.18beta2` is `1.18.0-beta.2` (so betas sort before rcs and `rc10` after `rc9`).
//!
//! Two versions with the same normalised key are equal for ordering, whatever their spelling.
//!
//! go.mod holds module versions in golang.org/x/mod/semver's strict form (a `v`, no leading
//! zeros): [`canonical_module_version`] and [`module_version_key`] read that form, as go.mod's
//! parser and retractions need it.

use std::cmp::Ordering;
use std::fmt;

/// How an upstream spells its versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Tags and module versions: an optional `v`, then `MAJOR[.MINOR[.PATCH]][-pre][+build]`.
    Semver,
    /// Go toolchains: an optional `go`, then `1.N[.P]` or `1.N(rc|beta)K`.
    Go,
}

#[derive(Debug, Clone)]
pub struct Version {
    raw: String,
    key: semver::Version,
}

impl Version {
    /// Parses `text` in `scheme`; `None` when it is not a version of that scheme.
    pub fn parse(scheme: Scheme, text: &str) -> Option<Version> {
        match scheme {
            Scheme::Semver => parse_semverish(text),
            Scheme::Go => parse_go(text),
        }
    }

    /// The upstream's spelling, without `v`/`go` prefix (`1.24rc1`, `3.5.17`).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The normalised key used for ordering and constraints.
    pub fn key(&self) -> &semver::Version {
        &self.key
    }

    pub fn is_prerelease(&self) -> bool {
        !self.key.pre.is_empty()
    }

    pub fn major(&self) -> u64 {
        self.key.major
    }

    pub fn minor(&self) -> u64 {
        self.key.minor
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Version {}
impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        // Build metadata does not take part in precedence (semver §10).
        self.key.cmp_precedence(&other.key)
    }
}

fn numbers(parts: &str) -> Option<(u64, u64, u64)> {
    let mut it = parts.split('.');
    let mut next = |required: bool| -> Option<Option<u64>> {
        match it.next() {
            None if required => None,
            None => Some(None),
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 18 => {
                Some(Some(p.parse().ok()?))
            }
            Some(_) => None,
        }
    };
    let major = next(true)??;
    let minor = next(false)?;
    let patch = if minor.is_some() { next(false)? } else { None };
    if it.next().is_some() {
        return None;
    }
    Some((major, minor.unwrap_or(0), patch.unwrap_or(0)))
}

fn parse_semverish(text: &str) -> Option<Version> {
    let raw = text.strip_prefix('v').unwrap_or(text);
    let (main, build) = match raw.split_once('+') {
        Some((m, b)) => (m, Some(b)),
        None => (raw, None),
    };
    let (nums, pre) = match main.split_once('-') {
        Some((n, p)) => (n, Some(p)),
        None => (main, None),
    };
    let (major, minor, patch) = numbers(nums)?;
    let mut key = semver::Version::new(major, minor, patch);
    if let Some(pre) = pre {
        key.pre = semver::Prerelease::new(pre).ok()?;
    }
    if let Some(build) = build {
        key.build = semver::BuildMetadata::new(build).ok()?;
    }
    Some(Version { raw: raw.to_string(), key })
}

fn parse_go(text: &str) -> Option<Version> {
    let raw = text.strip_prefix("go").unwrap_or(text);
    let split = raw.find(|c: char| c.is_ascii_alphabetic());
    let (nums, pre) = match split {
        Some(i) => (&raw[..i], Some(&raw[i..])),
        None => (raw, None),
    };
    let (major, minor, patch) = numbers(nums)?;
    let mut key = semver::Version::new(major, minor, patch);
    if let Some(pre) = pre {
        let word_end = pre.find(|c: char| c.is_ascii_digit())?;
        let (word, n) = pre.split_at(word_end);
        if !matches!(word, "rc" | "beta" | "alpha") || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u64 = n.parse().ok()?;
        key.pre = semver::Prerelease::new(&format!("{word}.{n}")).ok()?;
    }
    Some(Version { raw: raw.to_string(), key })
}

// ---------------------------------------------------------------------------------------------
// Go module versions as go.mod and the module proxy spell them (strict Go semver)

/// A version parsed the way golang.org/x/mod/semver parses it.
struct GoSemver<'a> {
    major: &'a str,
    minor: Option<&'a str>,
    patch: Option<&'a str>,
    prerelease: &'a str,
    build: &'a str,
}

fn parse_go_semver(v: &str) -> Option<GoSemver<'_>> {
    fn number(s: &str) -> Option<(&str, &str)> {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (n, rest) = s.split_at(end);
        (!n.is_empty() && (n == "0" || !n.starts_with('0'))).then_some((n, rest))
    }
    fn idents(s: &str, numeric_no_leading_zero: bool) -> bool {
        !s.is_empty()
            && s.split('.').all(|id| {
                !id.is_empty()
                    && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !(numeric_no_leading_zero
                        && id.len() > 1
                        && id.starts_with('0')
                        && id.bytes().all(|b| b.is_ascii_digit()))
            })
    }
    let rest = v.strip_prefix('v')?;
    let (major, rest) = number(rest)?;
    let mut out = GoSemver { major, minor: None, patch: None, prerelease: "", build: "" };
    if rest.is_empty() {
        return Some(out);
    }
    let (minor, rest) = number(rest.strip_prefix('.')?)?;
    out.minor = Some(minor);
    if rest.is_empty() {
        return Some(out);
    }
    let (patch, mut rest) = number(rest.strip_prefix('.')?)?;
    out.patch = Some(patch);
    if let Some(pre) = rest.strip_prefix('-') {
        let end = pre.find('+').unwrap_or(pre.len());
        if !idents(&pre[..end], true) {
            return None;
        }
        out.prerelease = &rest[..end + 1];
        rest = &pre[end..];
    }
    if let Some(build) = rest.strip_prefix('+') {
        if !idents(build, false) {
            return None;
        }
        out.build = rest;
        rest = "";
    }
    rest.is_empty().then_some(out)
}

/// golang.org/x/mod/module.CanonicalVersion: `v1.2` → `v1.2.0`, build metadata dropped except
/// `+incompatible`. `None` if `v` is not Go semver.
pub fn canonical_module_version(v: &str) -> Option<String> {
    let p = parse_go_semver(v)?;
    let mut out = format!("v{}.{}.{}{}", p.major, p.minor.unwrap_or("0"), p.patch.unwrap_or("0"), p.prerelease);
    if p.build == "+incompatible" {
        out.push_str(p.build);
    }
    Some(out)
}

/// The ordering key of a Go module version (golang.org/x/mod/semver's order): numeric major.minor.patch, semver prerelease rules,
/// build metadata (including `+incompatible`) ignored. `None` if `v` is not Go semver or a number
/// does not fit in 64 bits.
pub fn module_version_key(v: &str) -> Option<semver::Version> {
    let p = parse_go_semver(v)?;
    let pre = p.prerelease.strip_prefix('-').unwrap_or("");
    Some(semver::Version {
        major: p.major.parse().ok()?,
        minor: p.minor.unwrap_or("0").parse().ok()?,
        patch: p.patch.unwrap_or("0").parse().ok()?,
        pre: semver::Prerelease::new(pre).ok()?,
        build: semver::BuildMetadata::EMPTY,
    })
}

/// A semver requirement such as `~1.23` or `>=2.10, <2.11`.
#[derive(Debug, Clone)]
pub struct Constraint {
    text: String,
    req: semver::VersionReq,
}

impl Constraint {
    pub fn parse(text: &str) -> Result<Constraint, String> {
        let req = semver::VersionReq::parse(text.trim()).map_err(|e| format!("invalid constraint {text:?}: {e}"))?;
        Ok(Constraint { text: text.trim().to_string(), req })
    }

    /// The requirement `^MAJOR` (`^0.MINOR` below 1.0): "stay on this major version".
    pub fn same_major(v: &Version) -> Constraint {
        let text = if v.major() > 0 { format!("^{}", v.major()) } else { format!("^0.{}", v.minor()) };
        Constraint::parse(&text).expect("a caret requirement always parses")
    }

    /// The requirement `~MAJOR.MINOR`: "stay on this minor line".
    pub fn same_minor(v: &Version) -> Constraint {
        Constraint::parse(&format!("~{}.{}", v.major(), v.minor())).expect("a tilde requirement always parses")
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `v` satisfies the requirement. With `allow_prerelease`, a prerelease counts as
    /// the release it precedes, so `1.24.0-rc.1` is inside `~1.24`.
    pub fn matches(&self, v: &Version, allow_prerelease: bool) -> bool {
        if v.is_prerelease() && allow_prerelease {
            let mut release = v.key.clone();
            release.pre = semver::Prerelease::EMPTY;
            release.build = semver::BuildMetadata::EMPTY;
            return self.req.matches(&release) || self.req.matches(&v.key);
        }
        let mut key = v.key.clone();
        key.build = semver::BuildMetadata::EMPTY;
        self.req.matches(&key)
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(s: &str) -> Version {
        Version::parse(Scheme::Go, s).unwrap()
    }
    fn sv(s: &str) -> Version {
        Version::parse(Scheme::Semver, s).unwrap()
    }

    #[test]
    fn go_versions_without_a_patch_are_the_dot_zero_release() {
        assert_eq!(go("1.20"), go("1.20.0"));
        assert_eq!(go("go1.20").as_str(), "1.20");
        assert_eq!(go("1.20").key().to_string(), "1.20.0");
    }

    #[test]
    fn go_release_candidates_are_prereleases_in_go_order() {
        let mut vs = [go("1.21.1"), go("1.21.0"), go("1.21rc2"), go("1.21rc1"), go("1.18beta1"), go("1.18rc1")];
        vs.sort();
        let order: Vec<_> = vs.iter().map(|v| v.as_str().to_string()).collect();
        assert_eq!(order, ["1.18beta1", "1.18rc1", "1.21rc1", "1.21rc2", "1.21.0", "1.21.1"]);
        assert!(go("1.24rc1").is_prerelease());
        assert_eq!(go("1.24rc1").key().to_string(), "1.24.0-rc.1");
        assert!(go("1.20rc1") < go("1.20") && go("1.20") < go("1.20.1"));
    }

    #[test]
    fn go_minor_versions_compare_numerically() {
        assert!(go("1.9.7") < go("1.10.3"));
    }

    #[test]
    fn semver_tags_keep_their_spelling_without_the_v() {
        assert_eq!(sv("v2.10.22").as_str(), "2.10.22");
        assert_eq!(sv("v3.5"), sv("3.5.0"));
        assert!(sv("v2.11.0-RC.1").is_prerelease());
        assert!(sv("2.10.9") < sv("2.10.22"));
        assert!(Version::parse(Scheme::Semver, "release-2024").is_none());
        assert!(Version::parse(Scheme::Semver, "1.2.3.4").is_none());
        assert!(Version::parse(Scheme::Go, "1.21foo1").is_none());
    }

    #[test]
    fn incompatible_module_versions_order_by_their_release() {
        assert_eq!(sv("v3.3.27+incompatible"), sv("v3.3.27"));
        assert!(Constraint::parse("^3").unwrap().matches(&sv("v3.3.27+incompatible"), false));
    }

    #[test]
    fn constraints_hold_dependencies_to_their_line() {
        let c = Constraint::parse(">=2.10, <2.11").unwrap();
        assert!(c.matches(&sv("2.10.22"), false));
        assert!(!c.matches(&sv("2.11.0"), false));
        let tilde = Constraint::parse("~1.23").unwrap();
        assert!(tilde.matches(&go("1.23.4"), false));
        assert!(!tilde.matches(&go("1.24.0"), false));
        assert!(Constraint::parse("not a constraint").is_err());
    }

    #[test]
    fn prereleases_only_match_when_allowed() {
        let c = Constraint::parse("~1.24").unwrap();
        assert!(!c.matches(&go("1.24rc1"), false));
        assert!(c.matches(&go("1.24rc1"), true));
    }

    #[test]
    fn same_major_and_same_minor_constraints() {
        assert_eq!(Constraint::same_major(&sv("3.3.15")).as_str(), "^3");
        assert_eq!(Constraint::same_major(&sv("0.5.1")).as_str(), "^0.5");
        assert!(!Constraint::same_major(&sv("3.3.15")).matches(&sv("4.0.0"), false));
        assert_eq!(Constraint::same_minor(&go("1.22.3")).as_str(), "~1.22");
    }

    #[test]
    fn module_versions_are_canonical_go_semver() {
        assert_eq!(canonical_module_version("v1.2").as_deref(), Some("v1.2.0"));
        assert_eq!(canonical_module_version("v2.0.0+incompatible").as_deref(), Some("v2.0.0+incompatible"));
        assert_eq!(canonical_module_version("v1.2.3-rc.1+build").as_deref(), Some("v1.2.3-rc.1"));
        for bad in ["1.2.3", "v01.2.3", "v1.2.3-01", "v1.2-rc.1", "v1.2.3+"] {
            assert_eq!(canonical_module_version(bad), None, "{bad}");
        }
        assert!(module_version_key("v1.10.0") > module_version_key("v1.9.9"));
        assert!(module_version_key("v1.0.0-rc.1") < module_version_key("v1.0.0+incompatible"));
    }
}
