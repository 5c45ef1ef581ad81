//! Autodetection (contract §4): which dependencies a release tracks when `source.dependencies`
//! is omitted. Pure: it looks only at the [`Snapshot`].
//!
//! Names are stable and documented in the README:
//!
//! | what is found | name | upstream | constraint |
//! |---|---|---|---|
//! | blob `…/nats-server-v{v}-linux-amd64.tar.gz` | `nats-server` | nats-io/nats-server | same major |
//! | blob `…/gnatsd-v{v}-linux-amd64.zip` | `gnatsd` | nats-io/gnatsd | same major |
//! | blob `…/etcd-v{v}-linux-amd64.tar.gz` | `etcd` | etcd-io/etcd | same major |
//! | blobs `…/go{v}.<os>-<arch>.tar.gz` or `.zip`, one minor line | `golang`, every platform's blob | Go downloads | same major |
//! | the same, several minor lines | `golang-1.N` each, every platform's blob of its line | Go downloads | `~1.N` |
//! | go.mod requires `github.com/nats-io/nats-server/v2` | `nats-server` (`nats-server-module` beside a nats-server blob) | proxy | same major |
//! | go.mod requires `github.com/nats-io/nats.go` | `nats.go` | proxy | same major |
//! | go.mod requires `github.com/nats-io/gnatsd` | `gnatsd` (`gnatsd-module` beside a gnatsd blob) | proxy | same major |
//! | go.mod requires `go.etcd.io/etcd/X/vN` | `etcd-X-vN` (`/` → `-`) | proxy | same major |
//! | go.mod requires `go.etcd.io/etcd` | `etcd` (`etcd-module` beside an etcd blob) | proxy | same major |
//! | go.mod requires a module above (or a moved one) and `replace`s it | its name (`<name>-pinned` when taken), **pinned** | – | – |
//! | go.mod requires a [`MOVED_MODULES`] old path | its `name` there, **moved** | proxy (the new path) | – |
//! | `packages/[P-]golang-<1\|1.N>-<linux\|darwin\|windows>/spec.lock` | `golang` (`P-golang`; `golang-package` beside a golang blob) | `source.golang_release` | `^1` |
//!
//! Vendored golang packages with one prefix form one `vendored-package` dependency whose
//! `package` lists one entry per package found: `golang-{line}-<os>` for a numbered line,
//! `golang-1-<os>` for the newest-line package; every platform moves to the same version.
//!
//! Two kinds of go.mod requirement are reported but never bumped ([`HeldModule`]):
//! - **pinned by replace**: a requirement of a module above that a `replace` directive overrides in
//!   that go.mod; the replacement, not the requirement, decides what is built, so it is not
//!   tracked there. One row per go.mod, with the replacement.
//! - **moved**: a requirement of a module path upstream renamed ([`MOVED_MODULES`]); the new path's
//!   newest version is looked up, but moving means changing every import, which is code work.

use std::collections::BTreeMap;

use regex::Regex;

use crate::release::snapshot::Snapshot;
use crate::source::{Dependency, DependencyKind, PackageSource, RepoSlug, Template};
use crate::version::{Constraint, Scheme, Version};

#[derive(Debug, Clone, Default)]
pub struct Detected {
    pub dependencies: Vec<Dependency>,
    /// Modules reported but never bumped: pinned by a `replace`, or required under a moved path.
    pub held: Vec<HeldModule>,
}

impl Detected {
    /// The configured dependencies, tracked as they are: nothing is held.
    pub fn tracked(dependencies: Vec<Dependency>) -> Detected {
        Detected { dependencies, held: Vec::new() }
    }
}

/// A module path upstream renamed. Releases still require the old path; currency reports it and
/// the new path's newest version, and never bumps it: the new path means new imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MovedModule {
    /// The path releases still require.
    pub old: &'static str,
    /// Where the module lives now: its newest version is asked from the module proxy.
    pub new: &'static str,
    /// The dependency name of the report row.
    pub name: &'static str,
}

/// Every module move currency knows, in one place (the README lists them).
///
/// `github.com/coreos/etcd` was the whole etcd repository; from 3.5 on etcd is a family of
/// modules under `go.etcd.io/etcd/` released together. What BOSH releases import of it is the client
/// (`github.com/coreos/etcd/clientv3`), now `go.etcd.io/etcd/client/v3`: that is the new path reported,
/// and its newest version is the family's.
pub const MOVED_MODULES: &[MovedModule] = &[
    MovedModule { old: "github.com/nats-io/go-nats", new: "github.com/nats-io/nats.go", name: "go-nats" },
    MovedModule { old: "github.com/coreos/etcd", new: "go.etcd.io/etcd/client/v3", name: "coreos-etcd" },
];

/// The move of `module`, when it is a known old path.
pub fn moved(module: &str) -> Option<&'static MovedModule> {
    MOVED_MODULES.iter().find(|m| m.old == module)
}

/// A go.mod requirement reported but never bumped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldModule {
    /// The row's name, unique among the release's dependencies.
    pub name: String,
    /// The module path required.
    pub module: String,
    /// The version required (for a replacement by the same module at a version: that version).
    pub version: Version,
    /// The go.mod files requiring it.
    pub go_mods: Vec<String>,
    pub hold: Hold,
}

/// Why a [`HeldModule`] is never bumped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// A `replace` in its go.mod overrides the requirement; `replacement` is the directive's right
    /// side: `../gnatsd`, `github.com/nats-io/gnatsd v1.4.1`.
    Pinned { replacement: String },
    /// The module moved to this path.
    Moved { to: String },
}

impl HeldModule {
    /// The module whose versions the report shows beside it: the new path of a moved module.
    pub fn looked_up(&self) -> Option<&str> {
        match &self.hold {
            Hold::Moved { to } => Some(to),
            Hold::Pinned { .. } => None,
        }
    }
}

struct BlobRule {
    name: &'static str,
    upstream: &'static str,
    pattern: &'static str,
    stem: &'static str,
    suffix: &'static str,
}

const BLOB_RULES: &[BlobRule] = &[
    BlobRule {
        name: "nats-server",
        upstream: "nats-io/nats-server",
        pattern: r"^((?:[^/]+/)*)nats-server-v([^/]+)-linux-amd64\.tar\.gz$",
        stem: "nats-server-v",
        suffix: "-linux-amd64.tar.gz",
    },
    BlobRule {
        name: "gnatsd",
        upstream: "nats-io/gnatsd",
        pattern: r"^((?:[^/]+/)*)gnatsd-v([^/]+)-linux-amd64\.zip$",
        stem: "gnatsd-v",
        suffix: "-linux-amd64.zip",
    },
    BlobRule {
        name: "etcd",
        upstream: "etcd-io/etcd",
        pattern: r"^((?:[^/]+/)*)etcd-v([^/]+)-linux-amd64\.tar\.gz$",
        stem: "etcd-v",
        suffix: "-linux-amd64.tar.gz",
    },
];

/// A Go toolchain archive of any platform: `go1.26.7.linux-amd64.tar.gz`, `go1.26.7.windows-amd64.zip`
/// (directory, version, `<os>-<arch>`, extension); the source archive (`go1.26.7.src.tar.gz`) is not one.
const GOLANG_PATTERN: &str =
    r"^((?:[^/]+/)*)go([0-9]+(?:\.[0-9]+)*(?:(?:rc|beta)[0-9]+)?)\.([a-z0-9]+-[a-z0-9]+)\.(tar\.gz|zip)$";

/// What the release tracks: its known upstream blobs, its Go toolchain blobs, the modules its
/// go.mod files require, and the vendored golang packages it holds (from `golang_release`).
pub fn detect(snapshot: &Snapshot, golang_release: &PackageSource) -> Detected {
    let blob_paths: Vec<&String> = snapshot.blobs.entries.keys().collect();
    let mut dependencies = upstream_blob_dependencies(&blob_paths);
    dependencies.extend(golang_dependencies(&blob_paths));
    let blob_names: Vec<String> = dependencies.iter().map(|d| d.name.clone()).collect();
    dependencies.extend(module_dependencies(snapshot, &blob_names));
    let taken: Vec<String> = dependencies.iter().map(|d| d.name.clone()).collect();
    dependencies.extend(vendored_golang(snapshot, golang_release, &taken));
    let mut taken: Vec<String> = dependencies.iter().map(|d| d.name.clone()).collect();
    let held = held_modules(snapshot, &blob_names, &mut taken);
    Detected { dependencies, held }
}

/// One `github-release` dependency per [`BLOB_RULES`] entry a blob matches.
fn upstream_blob_dependencies(blob_paths: &[&String]) -> Vec<Dependency> {
    let mut out = Vec::new();
    for rule in BLOB_RULES {
        let re = Regex::new(rule.pattern).expect("static pattern");
        // The template holding the highest version wins; other directories are logged.
        let mut best: Option<(Version, String)> = None;
        for path in blob_paths {
            let Some(c) = re.captures(path) else { continue };
            let Some(v) = Version::parse(Scheme::Semver, &c[2]) else { continue };
            let template = format!("{}{}{{version}}{}", &c[1], rule.stem, rule.suffix);
            if best.as_ref().is_none_or(|(b, _)| v > *b) {
                best = Some((v, template));
            }
        }
        if let Some((v, template)) = best {
            let blob = Template::parse(&template, true).expect("built with {version} once");
            out.push(Dependency {
                name: rule.name.into(),
                constraint: Some(Constraint::same_major(&v)),
                prerelease: false,
                replace_custom_builds: false,
                security_only: None,
                vulndb_modules: None,
                kind: DependencyKind::GithubRelease {
                    upstream: RepoSlug::parse(rule.upstream).expect("static slug"),
                    asset: blob.file_name(),
                    blob,
                    tag: Template::parse("v{version}", true).expect("static template"),
                    checksums: None,
                },
            });
        }
    }
    out
}

/// Go toolchain blobs: one dependency per minor line, or one `golang` when there is one line,
/// each with one template per platform the line has a blob for (linux first), so that every
/// platform moves together.
fn golang_dependencies(blob_paths: &[&String]) -> Vec<Dependency> {
    let re = Regex::new(GOLANG_PATTERN).expect("static pattern");
    // (major, minor) → (whether not linux, template) → the platform's highest version there.
    let mut lines: BTreeMap<(u64, u64), BTreeMap<(bool, String), Version>> = BTreeMap::new();
    for path in blob_paths {
        let Some(c) = re.captures(path) else { continue };
        let Some(v) = Version::parse(Scheme::Go, &c[2]) else { continue };
        let template = format!("{}go{{version}}.{}.{}", &c[1], &c[3], &c[4]);
        let platforms = lines.entry((v.major(), v.minor())).or_default();
        let highest = platforms.entry((!c[3].starts_with("linux-"), template)).or_insert_with(|| v.clone());
        if v > *highest {
            *highest = v;
        }
    }
    let several = lines.len() > 1;
    lines
        .iter()
        .map(|((major, minor), platforms)| {
            let blobs: Vec<Template> =
                platforms.keys().map(|(_, t)| Template::parse(t, true).expect("built with {version} once")).collect();
            let v = platforms.values().max().expect("a line has a blob");
            let (name, constraint) = if several {
                (format!("golang-{major}.{minor}"), Constraint::same_minor(v))
            } else {
                ("golang".to_string(), Constraint::same_major(v))
            };
            Dependency {
                name,
                constraint: Some(constraint),
                prerelease: false,
                replace_custom_builds: false,
                security_only: None,
                vulndb_modules: None,
                kind: DependencyKind::Golang { blobs },
            }
        })
        .collect()
}

/// go.mod requirements of the modules [`module_name`] knows, each at the highest version any
/// go.mod requires; `blob_names` are the names blob dependencies already took.
fn module_dependencies(snapshot: &Snapshot, blob_names: &[String]) -> Vec<Dependency> {
    let mut modules: BTreeMap<String, Version> = BTreeMap::new();
    for (path, gomod) in &snapshot.go_mods {
        for req in &gomod.requires {
            if module_name(&req.path, &[]).is_none() {
                continue;
            }
            if gomod.replaces.iter().any(|r| r.old_path == req.path) {
                crate::log!("{path}: {} is pinned by a replace; reported, not tracked there", req.path);
                continue;
            }
            let Some(v) = Version::parse(Scheme::Semver, &req.version) else { continue };
            let e = modules.entry(req.path.clone()).or_insert_with(|| v.clone());
            if v > *e {
                *e = v;
            }
        }
    }
    modules
        .into_iter()
        .map(|(module, highest)| Dependency {
            name: module_name(&module, blob_names).expect("filtered above"),
            constraint: Some(Constraint::same_major(&highest)),
            prerelease: false,
            replace_custom_builds: false,
            security_only: None,
            vulndb_modules: None,
            kind: DependencyKind::GoModule { module, go_mod: None },
        })
        .collect()
}

/// Requirements reported but never bumped: of a module [`module_name`] knows or a moved one, pinned
/// by a `replace` in its go.mod (one row per go.mod); of a moved module without one (one row per
/// module, at the lowest version required, as a tracked module's current version). Names are
/// added to `taken`.
fn held_modules(snapshot: &Snapshot, blob_names: &[String], taken: &mut Vec<String>) -> Vec<HeldModule> {
    let mut pinned = Vec::new();
    let mut moved_reqs: BTreeMap<&'static str, (Version, Vec<String>)> = BTreeMap::new();
    for (path, gomod) in &snapshot.go_mods {
        for req in &gomod.requires {
            let moved = moved(&req.path);
            let Some(base) = module_name(&req.path, blob_names).or_else(|| moved.map(|m| m.name.to_string())) else {
                continue;
            };
            let Some(version) = Version::parse(Scheme::Semver, &req.version) else { continue };
            if let Some(r) = gomod.replaces.iter().find(|r| r.old_path == req.path) {
                let replacement = match &r.new_version {
                    Some(v) => format!("{} {v}", r.new_path),
                    None => r.new_path.clone(),
                };
                let built = r.new_version.as_deref().filter(|_| r.new_path == req.path);
                let version = built.and_then(|v| Version::parse(Scheme::Semver, v)).unwrap_or(version);
                let hold = Hold::Pinned { replacement };
                pinned.push((base, req.path.clone(), version, vec![path.clone()], hold));
            } else if let Some(m) = moved {
                let (lowest, go_mods) = moved_reqs.entry(m.old).or_insert_with(|| (version.clone(), Vec::new()));
                if version < *lowest {
                    *lowest = version;
                }
                go_mods.push(path.clone());
            }
        }
    }
    let moved_rows = moved_reqs.into_iter().map(|(old, (version, go_mods))| {
        let m = moved(old).expect("a known move");
        (m.name.to_string(), old.to_string(), version, go_mods, Hold::Moved { to: m.new.to_string() })
    });
    pinned
        .into_iter()
        .chain(moved_rows)
        .map(|(base, module, version, go_mods, hold)| {
            let suffix = if matches!(hold, Hold::Pinned { .. }) { "pinned" } else { "moved" };
            let name = unique_name(&base, suffix, taken);
            taken.push(name.clone());
            HeldModule { name, module, version, go_mods, hold }
        })
        .collect()
}

/// `base`, or when a dependency already has that name `<base>-<suffix>`, `<base>-<suffix>-2`, …
fn unique_name(base: &str, suffix: &str, taken: &[String]) -> String {
    let free = |n: &String| !taken.contains(n);
    std::iter::once(base.to_string())
        .chain((1..).map(|i| if i == 1 { format!("{base}-{suffix}") } else { format!("{base}-{suffix}-{i}") }))
        .find(free)
        .expect("an unbounded sequence has a free name")
}

/// Vendored golang packages (`packages/[<prefix>-]golang-<line>-<os>/spec.lock`): one
/// dependency per prefix, covering every platform and line found; `taken` holds names already
/// used.
fn vendored_golang(snapshot: &Snapshot, golang_release: &PackageSource, taken: &[String]) -> Vec<Dependency> {
    let re = Regex::new(r"^(?:([A-Za-z0-9][A-Za-z0-9._-]*)-)?golang-(1|1\.[0-9]+)-(linux|darwin|windows)$")
        .expect("static pattern");
    let mut by_prefix: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
    for package in snapshot.spec_locks.keys() {
        let Some(c) = re.captures(package) else { continue };
        let template = if &c[2] == "1" { format!("golang-1-{}", &c[3]) } else { format!("golang-{{line}}-{}", &c[3]) };
        let templates = by_prefix.entry(c.get(1).map(|p| p.as_str().to_string())).or_default();
        if !templates.contains(&template) {
            templates.push(template);
        }
    }
    by_prefix
        .into_iter()
        .filter_map(|(prefix, mut packages)| {
            // linux first, as the one most releases have; then darwin, windows.
            packages.sort_by_key(|t| (!t.ends_with("-linux"), !t.ends_with("-darwin"), t.clone()));
            let name = match &prefix {
                Some(p) => format!("{}-golang", p.to_ascii_lowercase()),
                None if taken.iter().any(|t| t == "golang") => "golang-package".to_string(),
                None => "golang".to_string(),
            };
            if !crate::source::is_valid_name(&name) {
                crate::log!(
                    "vendored golang packages with prefix {prefix:?}: {name:?} is no dependency name; not tracked"
                );
                return None;
            }
            Some(Dependency {
                name,
                constraint: Some(Constraint::parse("^1").expect("static constraint")),
                prerelease: false,
                replace_custom_builds: false,
                security_only: None,
                vulndb_modules: None,
                kind: DependencyKind::VendoredPackage { source: golang_release.clone(), packages, prefix },
            })
        })
        .collect()
}

/// The stable name of a tracked module, `None` for modules autodetection does not track.
/// `taken` holds names already used by blob dependencies.
fn module_name(module: &str, taken: &[String]) -> Option<String> {
    let or_module = |n: &str| {
        if taken.iter().any(|t| t == n) { format!("{n}-module") } else { n.to_string() }
    };
    match module {
        "github.com/nats-io/nats-server/v2" => Some(or_module("nats-server")),
        "github.com/nats-io/nats.go" => Some("nats.go".into()),
        "github.com/nats-io/gnatsd" => Some(or_module("gnatsd")),
        "go.etcd.io/etcd" => Some(or_module("etcd")),
        m => {
            let rest = m.strip_prefix("go.etcd.io/etcd/")?;
            let name = format!("etcd-{}", rest.replace('/', "-")).to_ascii_lowercase();
            crate::source::is_valid_name(&name).then_some(name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn golang_templates(d: &Dependency) -> Vec<String> {
        d.kind.blobs().unwrap().iter().map(Template::as_text).collect()
    }

    #[test]
    fn every_platforms_golang_blob_of_a_line_joins_that_lines_dependency() {
        // Shaped like bosh-package-golang-release's config/blobs.yml: two lines, three platforms.
        let mut paths: Vec<String> = Vec::new();
        for v in ["1.25.14", "1.26.7"] {
            for platform in ["darwin-amd64.tar.gz", "linux-amd64.tar.gz", "windows-amd64.zip"] {
                paths.push(format!("go{v}.{platform}"));
            }
        }
        paths.push("go1.26.7.src.tar.gz".into());
        let refs: Vec<&String> = paths.iter().collect();
        let deps = golang_dependencies(&refs);
        let names: Vec<&str> = deps.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["golang-1.25", "golang-1.26"]);
        for d in &deps {
            assert_eq!(
                golang_templates(d),
                ["go{version}.linux-amd64.tar.gz", "go{version}.darwin-amd64.tar.gz", "go{version}.windows-amd64.zip"]
            );
        }
        let constraints: Vec<String> = deps.iter().map(|d| d.constraint.as_ref().unwrap().to_string()).collect();
        assert_eq!(constraints, ["~1.25", "~1.26"]);
    }

    #[test]
    fn one_line_is_golang_and_each_platform_keeps_its_directory_and_arch() {
        let paths: Vec<String> = [
            "golang/go1.22.5.linux-amd64.tar.gz",
            "golang/go1.22.4.linux-arm64.tar.gz",
            "golang/go1.22.3.darwin-arm64.tar.gz",
            "golang/go1.22.2.linux-amd64.tar.gz",
            "nats/nats-server-v2.10.0-linux-amd64.tar.gz",
        ]
        .map(String::from)
        .to_vec();
        let refs: Vec<&String> = paths.iter().collect();
        let deps = golang_dependencies(&refs);
        assert_eq!(deps.len(), 1);
        assert_eq!(deps[0].name, "golang");
        assert_eq!(
            golang_templates(&deps[0]),
            [
                "golang/go{version}.linux-amd64.tar.gz",
                "golang/go{version}.linux-arm64.tar.gz",
                "golang/go{version}.darwin-arm64.tar.gz"
            ]
        );
    }

    #[test]
    fn module_names_are_stable() {
        assert_eq!(module_name("github.com/nats-io/nats-server/v2", &[]).unwrap(), "nats-server");
        assert_eq!(
            module_name("github.com/nats-io/nats-server/v2", &["nats-server".into()]).unwrap(),
            "nats-server-module"
        );
        assert_eq!(module_name("go.etcd.io/etcd/client/v3", &[]).unwrap(), "etcd-client-v3");
        assert_eq!(module_name("go.etcd.io/etcd/client/pkg/v3", &[]).unwrap(), "etcd-client-pkg-v3");
        assert!(module_name("github.com/onsi/ginkgo/v2", &[]).is_none());
    }

    fn vendored(locks: &[&str], blobs: &[&str]) -> Vec<Dependency> {
        let mut files: Vec<(String, String)> = locks
            .iter()
            .map(|name| {
                (format!("packages/{name}/spec.lock"), format!("name: {name}\nfingerprint: {}\n", "a".repeat(64)))
            })
            .collect();
        let blobs_yml: String =
            blobs.iter().map(|p| format!("{p}:\n  size: 1\n  object_id: x\n  sha: sha256:00\n")).collect();
        files.push(("config/blobs.yml".into(), blobs_yml));
        files.push(("packages/golang-1.23-linux-test/spec".into(), "---\nname: golang-1.23-linux-test\n".into()));
        let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
        let snapshot = Snapshot::read(&crate::release::snapshot::MemFiles::of(&refs)).unwrap();
        let source = crate::source::Source::from_value(serde_json::json!({"repository": "o/r"}), "source").unwrap();
        detect(&snapshot, &source.golang_release)
            .dependencies
            .into_iter()
            .filter(|d| matches!(d.kind, DependencyKind::VendoredPackage { .. }))
            .collect()
    }

    fn described(d: &Dependency) -> (String, Vec<String>, Option<String>) {
        let DependencyKind::VendoredPackage { packages, prefix, source } = &d.kind else { panic!("{d:?}") };
        assert_eq!(source.repository.to_string(), "cloudfoundry/bosh-package-golang-release");
        assert_eq!(d.constraint.as_ref().unwrap().to_string(), "^1");
        (d.name.clone(), packages.clone(), prefix.clone())
    }

    #[test]
    fn vendored_golang_packages_form_one_dependency_per_prefix_covering_every_platform() {
        let deps = vendored(
            &[
                "golang-1.23-windows",
                "golang-1.23-linux",
                "golang-1-linux",
                "golang-1.23-darwin",
                "routing-golang-1.23-linux",
                "routing-healthchecker",
                "golang-1.23",
            ],
            &[],
        );
        let got: Vec<_> = deps.iter().map(described).collect();
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            got,
            [
                (
                    "golang".to_string(),
                    owned(&["golang-1-linux", "golang-{line}-linux", "golang-{line}-darwin", "golang-{line}-windows"]),
                    None
                ),
                ("routing-golang".to_string(), owned(&["golang-{line}-linux"]), Some("routing".to_string())),
            ]
        );
    }

    #[test]
    fn a_vendored_golang_beside_a_golang_blob_is_golang_package() {
        let deps = vendored(&["golang-1.22-linux"], &["golang/go1.22.5.linux-amd64.tar.gz"]);
        assert_eq!(deps.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(), ["golang-package"]);
    }

    fn detected_from_go_mods(go_mods: &[(&str, &str)]) -> Detected {
        let snapshot = Snapshot::read(&crate::release::snapshot::MemFiles::of(go_mods)).unwrap();
        let source = crate::source::Source::from_value(serde_json::json!({"repository": "o/r"}), "source").unwrap();
        detect(&snapshot, &source.golang_release)
    }

    /// nats-release's go.mod as it is: gnatsd pinned by a version replace, go-nats still required.
    const NATS_RELEASE_GO_MOD: &str = "module code.cloudfoundry.org\n\ngo 1.22.0\n\ntoolchain go1.22.3\n\n\
        // Pin gnatsd to keep NATS v1 clients working\n\
        replace github.com/nats-io/gnatsd => github.com/nats-io/gnatsd v1.4.1\n\n\
        require (\n\tgithub.com/nats-io/gnatsd v1.4.1\n\tgithub.com/nats-io/nats.go v1.37.0\n)\n\n\
        require (\n\tgithub.com/nats-io/go-nats v1.7.2 // indirect\n\tgithub.com/nats-io/nuid v1.0.1 // indirect\n)\n";

    fn held_names(d: &Detected) -> Vec<(&str, &str, &str, Vec<&str>, &Hold)> {
        d.held
            .iter()
            .map(|h| {
                let go_mods = h.go_mods.iter().map(String::as_str).collect();
                (h.name.as_str(), h.module.as_str(), h.version.as_str(), go_mods, &h.hold)
            })
            .collect()
    }

    #[test]
    fn a_requirement_pinned_by_replace_is_held_with_its_go_mod_and_replacement_and_not_tracked() {
        let d = detected_from_go_mods(&[("src/code.cloudfoundry.org/go.mod", NATS_RELEASE_GO_MOD)]);
        let tracked: Vec<&str> = d.dependencies.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(tracked, ["nats.go"]);
        let pinned = Hold::Pinned { replacement: "github.com/nats-io/gnatsd v1.4.1".into() };
        let moved = Hold::Moved { to: "github.com/nats-io/nats.go".into() };
        assert_eq!(
            held_names(&d),
            [
                ("gnatsd", "github.com/nats-io/gnatsd", "1.4.1", vec!["src/code.cloudfoundry.org/go.mod"], &pinned),
                ("go-nats", "github.com/nats-io/go-nats", "1.7.2", vec!["src/code.cloudfoundry.org/go.mod"], &moved),
            ]
        );
        assert_eq!(d.held[0].looked_up(), None, "a pinned module asks no upstream");
        assert_eq!(d.held[1].looked_up(), Some("github.com/nats-io/nats.go"));
    }

    #[test]
    fn a_local_replace_is_the_replacement_and_the_requirement_stays_the_current_version() {
        let go_mod =
            "module x\n\nrequire github.com/nats-io/gnatsd v1.4.1\n\nreplace github.com/nats-io/gnatsd => ../gnatsd\n";
        let d = detected_from_go_mods(&[("src/x/go.mod", go_mod)]);
        assert_eq!(d.held[0].hold, Hold::Pinned { replacement: "../gnatsd".into() });
        assert_eq!(d.held[0].version.as_str(), "1.4.1");
        // A replacement by the same module at another version is the version built.
        let go_mod = go_mod.replace("=> ../gnatsd", "=> github.com/nats-io/gnatsd v1.3.0");
        let d = detected_from_go_mods(&[("src/x/go.mod", &go_mod)]);
        assert_eq!(d.held[0].version.as_str(), "1.3.0");
    }

    #[test]
    fn a_module_pinned_in_one_go_mod_and_tracked_in_another_gets_a_name_of_its_own() {
        let plain = "module a\n\nrequire github.com/nats-io/gnatsd v1.4.0\n";
        let pinned =
            "module b\n\nrequire github.com/nats-io/gnatsd v1.4.1\n\nreplace github.com/nats-io/gnatsd => ../gnatsd\n";
        let d = detected_from_go_mods(&[("a/go.mod", plain), ("b/go.mod", pinned), ("c/go.mod", pinned)]);
        assert_eq!(d.dependencies.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(), ["gnatsd"]);
        let names: Vec<(&str, &str)> = d.held.iter().map(|h| (h.name.as_str(), h.go_mods[0].as_str())).collect();
        assert_eq!(names, [("gnatsd-pinned", "b/go.mod"), ("gnatsd-pinned-2", "c/go.mod")]);
    }

    #[test]
    fn modules_autodetection_does_not_know_are_not_held_even_when_replaced() {
        let go_mod =
            "module x\n\nrequire github.com/onsi/ginkgo/v2 v2.1.0\n\nreplace github.com/onsi/ginkgo/v2 => ../ginkgo\n";
        assert!(detected_from_go_mods(&[("go.mod", go_mod)]).held.is_empty());
    }

    #[test]
    fn every_known_move_is_detected_at_its_lowest_requirement_and_points_at_its_new_path() {
        // One case per MOVED_MODULES entry, as releases require the old path.
        let cases = [
            ("github.com/nats-io/go-nats", "v1.7.2", "v1.5.0", "go-nats", "github.com/nats-io/nats.go"),
            (
                "github.com/coreos/etcd",
                "v3.3.27+incompatible",
                "v3.3.13+incompatible",
                "coreos-etcd",
                "go.etcd.io/etcd/client/v3",
            ),
        ];
        assert_eq!(cases.len(), MOVED_MODULES.len(), "a case per known move");
        for (old, high, low, name, new) in cases {
            let m = moved(old).unwrap_or_else(|| panic!("{old} is a known move"));
            assert_eq!((m.name, m.new), (name, new));
            let a = format!("module a\n\nrequire {old} {high} // indirect\n");
            let b = format!("module b\n\nrequire {old} {low}\n");
            let d = detected_from_go_mods(&[("a/go.mod", &a), ("b/go.mod", &b)]);
            assert!(d.dependencies.is_empty(), "{old} is never tracked");
            let want_low = low.trim_start_matches('v');
            assert_eq!(
                held_names(&d),
                [(name, old, want_low, vec!["a/go.mod", "b/go.mod"], &Hold::Moved { to: new.into() })]
            );
        }
        assert!(moved("github.com/nats-io/nats.go").is_none(), "a new path is not a move");
    }
}
