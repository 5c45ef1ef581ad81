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
//! | `packages/[P-]golang-<1\|1.N>-<linux\|darwin\|windows>/spec.lock` | `golang` (`P-golang`; `golang-package` beside a golang blob) | `source.golang_release` | `^1` |
//!
//! Vendored golang packages with one prefix form one `vendored-package` dependency whose
//! `package` lists one entry per package found: `golang-{line}-<os>` for a numbered line,
//! `golang-1-<os>` for the newest-line package; every platform moves to the same version.
//!
//! A requirement that a `replace` directive overrides in that go.mod is not tracked there: the
//! replacement, not the requirement, decides what is built.

use std::collections::BTreeMap;

use regex::Regex;

use crate::release::snapshot::Snapshot;
use crate::source::{Dependency, DependencyKind, PackageSource, RepoSlug, Template};
use crate::version::{Constraint, Scheme, Version};

#[derive(Debug, Clone, Default)]
pub struct Detected {
    pub dependencies: Vec<Dependency>,
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
    Detected { dependencies }
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
                crate::log!("{path}: {} is replaced; not tracked there", req.path);
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
            kind: DependencyKind::GoModule { module, go_mod: None },
        })
        .collect()
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
}
