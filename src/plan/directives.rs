//! Which Go a release's code asks for, against the Go that builds it: each go.mod's `go` and
//! `toolchain` directives, held against the newest Go the release carries — a golang blob or a
//! vendored golang package (its current version).
//!
//! A directive above that Go **will not build** (under `GOTOOLCHAIN=local`, as BOSH compiles, Go
//! refuses a go.mod asking for a newer Go); one more than one minor line below it is **behind**.
//! Bumps never raise directives on their own.

use serde::Serialize;

use crate::release::snapshot::Snapshot;
use crate::version::{Scheme, Version};

/// One go.mod's directives and how they compare with the Go that builds the release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoDirectives {
    pub go_mod: String,
    pub go: Option<String>,
    pub toolchain: Option<String>,
    /// The Go the release builds with (`None`: it carries no Go toolchain currency knows).
    pub builds_with: Option<String>,
    /// `ok`, `will not build`, `behind`, or `unknown` (no Go to hold it against, or no directive).
    pub status: &'static str,
}

/// The directives of every go.mod in `snapshot`, held against `builds_with`.
pub fn directives(snapshot: &Snapshot, builds_with: Option<&Version>) -> Vec<GoDirectives> {
    snapshot
        .go_mods
        .iter()
        .map(|(path, go_mod)| {
            let toolchain = go_mod.toolchain.as_deref().map(|t| t.trim_start_matches("go").to_string());
            let asked = [go_mod.go.as_deref(), toolchain.as_deref()]
                .into_iter()
                .flatten()
                .filter_map(|v| Version::parse(Scheme::Go, v))
                .max();
            GoDirectives {
                go_mod: path.clone(),
                go: go_mod.go.clone(),
                toolchain: go_mod.toolchain.clone(),
                builds_with: builds_with.map(Version::to_string),
                status: status(asked.as_ref(), builds_with),
            }
        })
        .collect()
}

fn status(asked: Option<&Version>, builds_with: Option<&Version>) -> &'static str {
    let (Some(asked), Some(go)) = (asked, builds_with) else { return "unknown" };
    if asked > go {
        "will not build"
    } else if asked.major() == go.major() && go.minor() > asked.minor() + 1 || asked.major() < go.major() {
        "behind"
    } else {
        "ok"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::snapshot::MemFiles;

    fn go(v: &str) -> Version {
        Version::parse(Scheme::Go, v).unwrap()
    }

    #[test]
    fn directives_are_held_against_the_go_that_builds_the_release() {
        let snap = Snapshot::read(&MemFiles::of(&[
            ("src/a/go.mod", "module a\n\ngo 1.22.0\n\ntoolchain go1.22.3\n"),
            ("src/b/go.mod", "module b\n\ngo 1.23\n"),
            ("src/c/go.mod", "module c\n\ngo 1.25.0\n"),
            ("src/d/go.mod", "module d\n\ngo 1.24.0\n\ntoolchain go1.26.1\n"),
            ("src/e/go.mod", "module e\n"),
        ]))
        .unwrap();
        let got: Vec<(String, &str)> =
            directives(&snap, Some(&go("1.24.4"))).into_iter().map(|d| (d.go_mod, d.status)).collect();
        let want = [
            ("src/a/go.mod", "behind"),
            ("src/b/go.mod", "ok"),
            ("src/c/go.mod", "will not build"),
            ("src/d/go.mod", "will not build"),
            ("src/e/go.mod", "unknown"),
        ];
        assert_eq!(got, want.map(|(p, s)| (p.to_string(), s)));
        let a = &directives(&snap, None)[0];
        assert_eq!((a.go.as_deref(), a.toolchain.as_deref(), a.status), (Some("1.22.0"), Some("go1.22.3"), "unknown"));
    }
}
