//! Which Go a release's code asks for, against the Go that builds it: each go.mod's `go` and
//! `toolchain` directives, held against the Go of the packages that compile it — the packages whose
//! spec `files` cover the go.mod, through their golang dependency (a vendored golang package, or a
//! package built from a golang blob; its current version). A go.mod no such package covers is held
//! against the newest Go the release carries.
//!
//! A directive above that Go **will not build** (under `GOTOOLCHAIN=local`, as BOSH compiles, Go
//! refuses a go.mod asking for a newer Go); one more than one minor line below it is **behind**.
//! Bumps never raise directives on their own.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::release::glob::glob_matches;
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
    /// The golang package that provides it to the packages compiling this go.mod (`None`: no
    /// package's spec covers the go.mod, so it is held against the newest Go carried).
    pub built_by: Option<String>,
    /// `ok`, `will not build`, `behind`, or `unknown` (no Go to hold it against, or no directive).
    pub status: &'static str,
}

/// Package name → the Go it provides: a vendored golang package, or a package built from a
/// golang blob (its current version).
pub type GoPackages = BTreeMap<String, Version>;

/// The directives of every go.mod in `snapshot`, each held against the Go that builds it.
pub fn directives(snapshot: &Snapshot, go_packages: &GoPackages) -> Vec<GoDirectives> {
    let newest = go_packages.values().max();
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
            let (built_by, builds_with) = match builder(snapshot, path, go_packages) {
                Some((package, go)) => (Some(package.to_string()), Some(go)),
                None => (None, newest),
            };
            GoDirectives {
                go_mod: path.clone(),
                go: go_mod.go.clone(),
                toolchain: go_mod.toolchain.clone(),
                builds_with: builds_with.map(Version::to_string),
                built_by,
                status: status(asked.as_ref(), builds_with),
            }
        })
        .collect()
}

/// The golang package, and its Go, that compiles `go_mod`: through the dependencies of each
/// package whose spec `files` (relative to `src/`) cover it; the lowest Go when several do, as
/// the go.mod must build with each.
fn builder<'a>(snapshot: &Snapshot, go_mod: &str, go_packages: &'a GoPackages) -> Option<(&'a str, &'a Version)> {
    let rel = go_mod.strip_prefix("src/")?;
    snapshot
        .specs
        .values()
        .filter(|spec| spec.files.iter().any(|f| glob_matches(&f.pattern, rel)))
        .flat_map(|spec| spec.dependencies.iter())
        .filter_map(|dep| go_packages.get_key_value(dep.as_str()))
        .min_by(|a, b| a.1.cmp(b.1))
        .map(|(package, go)| (package.as_str(), go))
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

    fn newest_only(go: &str) -> GoPackages {
        GoPackages::from([("golang-1.24-linux".to_string(), self::go(go))])
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
            directives(&snap, &newest_only("1.24.4")).into_iter().map(|d| (d.go_mod, d.status)).collect();
        let want = [
            ("src/a/go.mod", "behind"),
            ("src/b/go.mod", "ok"),
            ("src/c/go.mod", "will not build"),
            ("src/d/go.mod", "will not build"),
            ("src/e/go.mod", "unknown"),
        ];
        assert_eq!(got, want.map(|(p, s)| (p.to_string(), s)));
        let a = &directives(&snap, &GoPackages::new())[0];
        assert_eq!((a.go.as_deref(), a.toolchain.as_deref(), a.status), (Some("1.22.0"), Some("go1.22.3"), "unknown"));
        assert_eq!(a.built_by, None, "no package covers src/a");
    }

    /// Two Go lines in one release: each go.mod is held against the golang package its own
    /// packages depend on, not the newest Go carried.
    #[test]
    fn each_go_mod_is_held_against_the_golang_package_of_the_packages_that_compile_it() {
        let spec = |name: &str, dep: &str, files: &str| {
            format!("---\nname: {name}\n\ndependencies:\n- {dep}\n\nfiles:\n{files}\n")
        };
        let nats = spec("nats-server", "golang-1.23-linux", "- github.com/nats-io/nats-server/**/*");
        let acceptance = spec("acceptance-tests", "golang-1.22-linux", "- acceptance-tests/**/*");
        let windows = spec("healthchecker-windows", "golang-1.22-windows", "- code.cloudfoundry.org/**/*");
        let snap = Snapshot::read(&MemFiles::of(&[
            ("packages/nats-server/spec", &nats),
            ("packages/acceptance-tests/spec", &acceptance),
            ("packages/healthchecker-windows/spec", &windows),
            ("src/github.com/nats-io/nats-server/go.mod", "module github.com/nats-io/nats-server/v2\n\ngo 1.23.0\n"),
            ("src/acceptance-tests/go.mod", "module acceptance-tests\n\ngo 1.23.0\n"),
            ("src/code.cloudfoundry.org/go.mod", "module code.cloudfoundry.org\n\ngo 1.22.0\n\ntoolchain go1.22.3\n"),
            ("src/unpackaged/go.mod", "module unpackaged\n\ngo 1.21\n"),
        ]))
        .unwrap();
        let packages = GoPackages::from([
            ("golang-1.23-linux".to_string(), go("1.23.2")),
            ("golang-1.22-linux".to_string(), go("1.22.7")),
            ("golang-1.22-windows".to_string(), go("1.22.7")),
        ]);
        let got: Vec<(String, Option<String>, Option<String>, &str)> =
            directives(&snap, &packages).into_iter().map(|d| (d.go_mod, d.built_by, d.builds_with, d.status)).collect();
        let row = |m: &str, by: Option<&str>, with: &str, status| {
            (m.to_string(), by.map(String::from), Some(with.to_string()), status)
        };
        assert_eq!(
            got,
            [
                row("src/acceptance-tests/go.mod", Some("golang-1.22-linux"), "1.22.7", "will not build"),
                row("src/code.cloudfoundry.org/go.mod", Some("golang-1.22-windows"), "1.22.7", "ok"),
                row("src/github.com/nats-io/nats-server/go.mod", Some("golang-1.23-linux"), "1.23.2", "ok"),
                row("src/unpackaged/go.mod", None, "1.23.2", "behind"),
            ]
        );
    }
}
