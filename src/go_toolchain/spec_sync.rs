//! Package spec sync: regenerate the `# gosub` lines of a `packages/<p>/spec` whose files list the
//! vendored Go packages of a module, from what the package really builds.
//!
//! A spec concerns a module when its `# gosub` lines point into `<prefix>/vendor/…`: `<prefix>`
//! (e.g. `code.cloudfoundry.org`) is the module's directory relative to the release's `src/`,
//! which must hold `go.mod` and `vendor/modules.txt`.
//!
//! The packages listed are `go list -deps` (vendor mode, no network) of the roots:
//! - the `go build` / `go install` targets of the packaging script: import paths, or relative
//!   paths resolved against the directory the script `cd`/`pushd`s to (`${BOSH_COMPILE_TARGET}`
//!   is the release's `src/`, where a package's files land); targets belonging neither to the
//!   module nor to its vendored packages (another module's) are left out;
//! - the module's own packages that the spec names (`<prefix>/<dir>/*.go`, or `<dir>/...` for a
//!   `**` pattern).
//!
//! Platforms: GOOS=linux (GOARCH=amd64, CGO_ENABLED=1) always; windows and then darwin as well
//! when the current spec lists a package that only their dependency graph adds (CF specs list
//! e.g. `golang.org/x/sys/windows` for servers that also build on Windows).
//!
//! Lines, in the shape CF's sync scripts write: one `<dir>/*.go # gosub` per package directory,
//! then `<dir>/*.s` when the directory holds assembly files, `<dir>/*.c` when the package builds C
//! files (cgo) on one of the platforms, `<dir>/*.h` when it holds header files. Directories are
//! sorted component by component (a package's sub-packages follow it). The new lines take the
//! place of the first old `# gosub` line, with its indentation and marker; every other line
//! (comments, other files, other keys) stays as it was, in order.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, ParseError, Result};
use crate::go_toolchain::packaging::{BuildTarget, build_targets, normalize};
use crate::go_toolchain::{COMMAND_TIMEOUT, GoEnv, GoSettings};
use crate::gomod::modfile;
use crate::release::spec::{PackageSpec, SpecFile};

/// Platforms tried after linux, in order.
const OTHER_GOOS: &[&str] = &["windows", "darwin"];

/// The module directory (relative to `src/`) that the spec's `# gosub` lines point into
/// (`<prefix>/vendor/…`), or `None` when it lists no vendored package. Several modules' vendor
/// trees in one spec are an error.
pub fn gosub_module_prefix(spec_text: &str) -> Result<Option<String>, ParseError> {
    let spec = PackageSpec::parse(spec_text)?;
    let mut prefixes = BTreeSet::new();
    for f in spec.files.iter().filter(|f| f.gosub) {
        if let Some(p) = vendor_prefix(&f.pattern) {
            prefixes.insert(p.to_owned());
        }
    }
    match prefixes.len() {
        0 => Ok(None),
        1 => Ok(prefixes.into_iter().next()),
        _ => Err(ParseError::new(format!(
            "`# gosub` lines point into the vendor trees of several modules ({}); only one is supported",
            prefixes.into_iter().collect::<Vec<_>>().join(", ")
        ))),
    }
}

fn vendor_prefix(pattern: &str) -> Option<&str> {
    if pattern.starts_with("vendor/") {
        return Some("");
    }
    pattern.find("/vendor/").map(|i| &pattern[..i])
}

/// Regenerates the `# gosub` lines of one package spec. `src_dir` is the release's `src/`
/// (after the bump: go.mod and vendor/ as Go left them). `None` when the spec lists no vendored
/// package or is already current.
pub fn sync_spec(
    settings: &GoSettings,
    src_dir: &Path,
    spec_text: &str,
    packaging_text: &str,
) -> Result<Option<String>> {
    let spec = PackageSpec::parse(spec_text).map_err(|e| e.in_file("spec"))?;
    let spec_file = format!("packages/{}/spec", spec.name);
    let packaging_file = format!("packages/{}/packaging", spec.name);
    let Some(prefix) = gosub_module_prefix(spec_text).map_err(|e| e.in_file(&spec_file))? else {
        return Ok(None);
    };
    let gosub: Vec<&SpecFile> = spec.files.iter().filter(|f| f.gosub).collect();
    check_inside_module(&gosub, &prefix, &spec_file)?;
    let module = Module::read(src_dir, prefix, &spec_file)?;
    let roots = module.roots(&spec, packaging_text, src_dir, &spec_file, &packaging_file)?;

    // The old listing, by directory.
    let old_dirs: BTreeSet<String> = gosub.iter().map(|f| parent_dir(&f.pattern).to_owned()).collect();
    let env = GoEnv::new(settings, &[("GOFLAGS", "-mod=vendor"), ("GOPROXY", "off")])?;
    let src_canon = std::fs::canonicalize(src_dir).map_err(|e| Error::io(src_dir, e))?;
    let included = included_packages(&env, &module.dir, &src_canon, &roots, &old_dirs, &spec_file)?;

    let block = gosub_block(spec_text, gosub[0], &included, &src_canon);
    let out = splice(spec_text, &gosub, &block);
    if out == spec_text {
        return Ok(None);
    }
    PackageSpec::parse(&out)
        .map_err(|e| Error::Parse { file: spec_file, message: format!("the regenerated spec does not parse ({e})") })?;
    Ok(Some(out))
}

/// Every `# gosub` line must point into the module at `src/<prefix>`.
fn check_inside_module(gosub: &[&SpecFile], prefix: &str, spec_file: &str) -> Result<()> {
    let under_prefix = |p: &str| prefix.is_empty() || p.starts_with(&format!("{prefix}/"));
    match gosub.iter().find(|f| !under_prefix(&f.pattern)) {
        Some(f) => Err(Error::Parse {
            file: format!("{spec_file}:{}", f.line),
            message: format!(
                "`# gosub` line {:?} is outside the module at src/{prefix}, whose vendored packages the spec lists",
                f.pattern
            ),
        }),
        None => Ok(()),
    }
}

/// The module whose vendored packages a spec lists: `src/<prefix>`, with its go.mod and
/// `vendor/modules.txt`.
struct Module {
    /// Its directory relative to `src/`.
    prefix: String,
    /// Its directory on disk.
    dir: PathBuf,
    /// Its module path (go.mod's `module`).
    path: String,
    vendored: VendoredPackages,
}

impl Module {
    fn read(src_dir: &Path, prefix: String, spec_file: &str) -> Result<Module> {
        let dir = src_dir.join(&prefix);
        let go_mod_path = dir.join("go.mod");
        let modules_txt = dir.join("vendor").join("modules.txt");
        if !modules_txt.is_file() {
            return Err(Error::Parse {
                file: spec_file.to_owned(),
                message: format!(
                    "lists vendored packages under {prefix}/vendor, but src/{prefix}/vendor/modules.txt does not exist"
                ),
            });
        }
        let go_mod_text = std::fs::read_to_string(&go_mod_path).map_err(|e| Error::io(&go_mod_path, e))?;
        let path = modfile::parse(&go_mod_text).map_err(|e| e.in_file(format!("src/{prefix}/go.mod")))?.module;
        let modules_txt_text = std::fs::read_to_string(&modules_txt).map_err(|e| Error::io(&modules_txt, e))?;
        let vendored = VendoredPackages::parse(&modules_txt_text);
        Ok(Module { prefix, dir, path, vendored })
    }

    /// What the package builds of this module: the packaging script's build targets in it, and
    /// the module's own packages the spec names. None is an error.
    fn roots(
        &self,
        spec: &PackageSpec,
        packaging_text: &str,
        src_dir: &Path,
        spec_file: &str,
        packaging_file: &str,
    ) -> Result<Vec<String>> {
        let prefix = &self.prefix;
        let mut roots: Vec<String> = Vec::new();
        for target in build_targets(packaging_text) {
            let resolved = resolve_target(&target, prefix, &self.path, &self.vendored, src_dir)
                .map_err(|m| Error::Parse { file: format!("{packaging_file}:{}", target.line), message: m })?;
            match resolved {
                Some(r) => {
                    if !roots.contains(&r) {
                        roots.push(r)
                    }
                }
                None => crate::log!(
                    "{packaging_file}:{}: `go {}` target {} is not in the module at src/{prefix}; not listed in the spec",
                    target.line,
                    target.verb,
                    target.arg
                ),
            }
        }
        for f in &spec.files {
            if let Some(r) = own_package_root(&f.pattern, prefix, &self.path, &self.dir)
                && !roots.contains(&r)
            {
                roots.push(r);
            }
        }
        if roots.is_empty() {
            return Err(Error::Parse {
                file: spec_file.to_owned(),
                message: format!(
                    "cannot tell what the package builds: {packaging_file} has no `go build`/`go install` target in the module at src/{prefix}, and the spec names none of its own packages"
                ),
            });
        }
        Ok(roots)
    }
}

/// The package directories (relative to `src/`, each with whether it builds C files) that
/// `roots` depend on: linux's, plus windows's and then darwin's when they add a directory the
/// spec listed before (`old_dirs`).
fn included_packages(
    env: &GoEnv,
    module_dir: &Path,
    src_canon: &Path,
    roots: &[String],
    old_dirs: &BTreeSet<String>,
    spec_file: &str,
) -> Result<BTreeMap<String, bool>> {
    let mut included = list_deps(env, module_dir, src_canon, roots, "linux", true, spec_file)?;
    for goos in OTHER_GOOS {
        let deps = list_deps(env, module_dir, src_canon, roots, goos, false, spec_file)?;
        let adds_listed = deps.keys().any(|d| !included.contains_key(d) && old_dirs.contains(d));
        if adds_listed {
            for (d, c) in deps {
                *included.entry(d).or_insert(false) |= c;
            }
        }
    }
    Ok(included)
}

/// The new `# gosub` lines, in the shape of the `first` old one: per directory (sorted component
/// by component) `*.go`, then `*.s`, `*.c` and `*.h` as the directory needs.
fn gosub_block(spec_text: &str, first: &SpecFile, included: &BTreeMap<String, bool>, src_canon: &Path) -> String {
    let first_line = spec_text.split_inclusive('\n').nth(first.line - 1).unwrap_or_default();
    let (lead, marker) = line_shape(first_line, &first.pattern);
    let eol = if first_line.ends_with("\r\n") { "\r\n" } else { "\n" };
    let mut dirs: Vec<&String> = included.keys().collect();
    dirs.sort_by(|a, b| a.split('/').cmp(b.split('/')));
    let mut block = String::new();
    for dir in dirs {
        let abs = src_canon.join(dir);
        let mut exts = vec!["go"];
        if has_file_with_ext(&abs, "s") {
            exts.push("s");
        }
        if included[dir] {
            exts.push("c");
        }
        if has_file_with_ext(&abs, "h") {
            exts.push("h");
        }
        for ext in exts {
            block.push_str(&format!("{lead}{dir}/*.{ext}{marker}{eol}"));
        }
    }
    block
}

/// `spec_text` with `block` in place of the first `# gosub` line and the other `gosub` lines
/// dropped; every other line stays as it was.
fn splice(spec_text: &str, gosub: &[&SpecFile], block: &str) -> String {
    let gosub_lines: BTreeSet<usize> = gosub.iter().map(|f| f.line).collect();
    let mut out = String::with_capacity(spec_text.len() + block.len());
    for (i, line) in spec_text.split_inclusive('\n').enumerate() {
        let n = i + 1;
        if n == gosub[0].line {
            out.push_str(block);
        }
        if !gosub_lines.contains(&n) {
            out.push_str(line);
        }
    }
    // A spec that ended without a newline keeps doing so.
    if !spec_text.ends_with('\n') && out.ends_with('\n') && !spec_text.is_empty() {
        let trimmed = out.trim_end_matches(['\n', '\r']).len();
        out.truncate(trimmed);
    }
    out
}

/// `(text before the pattern, text after it without the line end)` of a `# gosub` line, e.g.
/// `("  - ", " # gosub")`.
fn line_shape<'a>(line: &'a str, pattern: &str) -> (&'a str, &'a str) {
    let body = line.trim_end_matches(['\n', '\r']);
    if let Some(i) = body.find(pattern) {
        let lead = &body[..i];
        let mut rest = &body[i + pattern.len()..];
        // A quoted pattern: drop the closing quote with the opening one.
        let lead = lead.trim_end_matches(['\'', '"']);
        rest = rest.trim_start_matches(['\'', '"']);
        (lead, rest)
    } else {
        let dash = body.find("- ").map_or(0, |i| i + 2);
        let hash = body.find(" #").unwrap_or(body.len());
        (&body[..dash], &body[hash..])
    }
}

/// The directory part of a `dir/*.go` pattern.
fn parent_dir(pattern: &str) -> &str {
    pattern.rsplit_once('/').map_or("", |(d, _)| d)
}

fn has_file_with_ext(dir: &Path, ext: &str) -> bool {
    std::fs::read_dir(dir).into_iter().flatten().flatten().any(|e| {
        e.file_type().is_ok_and(|t| t.is_file()) && Path::new(&e.file_name()).extension().is_some_and(|x| x == ext)
    })
}

#[derive(Deserialize)]
struct Listed {
    #[serde(rename = "ImportPath", default)]
    import_path: String,
    #[serde(rename = "Dir", default)]
    dir: String,
    #[serde(rename = "Standard", default)]
    standard: bool,
    #[serde(rename = "CFiles", default)]
    c_files: Vec<String>,
    #[serde(rename = "Error", default)]
    error: Option<ListError>,
}

#[derive(Deserialize)]
struct ListError {
    #[serde(rename = "Err", default)]
    err: String,
}

/// `go list -deps` of `roots` for one GOOS: the non-standard packages' directories relative to
/// `src/`, each with whether it builds C files. `strict`: a package error fails.
fn list_deps(
    env: &GoEnv,
    module_dir: &Path,
    src_canon: &Path,
    roots: &[String],
    goos: &str,
    strict: bool,
    spec_file: &str,
) -> Result<BTreeMap<String, bool>> {
    let mut args = vec!["list", "-e", "-deps", "-json=ImportPath,Dir,Standard,CFiles,Error"];
    args.extend(roots.iter().map(String::as_str));
    let extra = [("GOOS", goos), ("GOARCH", "amd64"), ("CGO_ENABLED", "1")];
    let out = env.run_with(module_dir, &args, &extra, COMMAND_TIMEOUT)?;
    let fail = |msg: String| Error::Parse { file: spec_file.to_owned(), message: msg };
    if out.timed_out {
        return Err(fail(format!("`go list -deps` (GOOS={goos}) did not finish in time")));
    }
    if !out.success {
        let last = out.stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output");
        return Err(fail(format!(
            "`go list -deps {}` (GOOS={goos}) failed: {}",
            roots.join(" "),
            crate::secrets::redact(last.trim().trim_start_matches("go: "))
        )));
    }
    let mut found = BTreeMap::new();
    for item in serde_json::Deserializer::from_str(&out.stdout).into_iter::<Listed>() {
        let p = item.map_err(|e| fail(format!("cannot read `go list` output: {e}")))?;
        if p.standard {
            continue;
        }
        if let Some(e) = &p.error {
            let benign = e.err.contains("build constraints exclude all Go files");
            if strict && !benign {
                let first = e.err.lines().next().unwrap_or("").trim();
                return Err(fail(format!("package {} (GOOS={goos}): {first}", p.import_path)));
            }
            if !benign || p.dir.is_empty() {
                continue;
            }
        }
        if p.dir.is_empty() {
            continue;
        }
        let dir = std::fs::canonicalize(&p.dir).unwrap_or_else(|_| PathBuf::from(&p.dir));
        let Ok(rel) = dir.strip_prefix(src_canon) else {
            return Err(fail(format!("package {} is in {}, outside the release's src/", p.import_path, p.dir)));
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        *found.entry(rel).or_insert(false) |= !p.c_files.is_empty();
    }
    Ok(found)
}

/// What `vendor/modules.txt` says is vendored.
struct VendoredPackages {
    packages: BTreeSet<String>,
    modules: BTreeSet<String>,
}

impl VendoredPackages {
    fn parse(text: &str) -> VendoredPackages {
        let mut packages = BTreeSet::new();
        let mut modules = BTreeSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# ") {
                if let Some(m) = rest.split_whitespace().next() {
                    modules.insert(m.to_owned());
                }
            } else if !line.starts_with('#') && !line.trim().is_empty() {
                packages.insert(line.trim().to_owned());
            }
        }
        VendoredPackages { packages, modules }
    }

    /// `path` (or the tree `path/...`) is provided by the vendor directory.
    fn provides(&self, path: &str) -> bool {
        match path.strip_suffix("/...") {
            Some(base) => self
                .modules
                .iter()
                .any(|m| m == base || base.starts_with(&format!("{m}/")) || m.starts_with(&format!("{base}/"))),
            None => self.packages.contains(path),
        }
    }
}

/// Turns a build target into an import path (or pattern) of the module, `Ok(None)` for a
/// target outside it, `Err` when it cannot be resolved.
fn resolve_target(
    t: &BuildTarget,
    prefix: &str,
    module_path: &str,
    vendored: &VendoredPackages,
    src_dir: &Path,
) -> std::result::Result<Option<String>, String> {
    let arg = t.arg.as_str();
    if arg.contains('$') || arg.contains('`') {
        return Err(format!("cannot resolve `go {} {arg}`: the target uses a shell variable", t.verb));
    }
    let is_relative = arg == "." || arg == ".." || arg.starts_with("./") || arg.starts_with("../");
    let is_file = arg.ends_with(".go");
    if is_relative || is_file {
        let Some(cwd) = &t.cwd else {
            return Err(format!(
                "cannot resolve `go {} {arg}`: the script's working directory is not known (use `cd ${{BOSH_COMPILE_TARGET}}/…`)",
                t.verb
            ));
        };
        let (path, recursive) = match arg.strip_suffix("/...") {
            Some(p) => (p, true),
            None => (arg, false),
        };
        let path = if is_file { Path::new(path).parent().unwrap_or(Path::new("")) } else { Path::new(path) };
        let Some(dir) = normalize(&cwd.join(path)) else {
            return Err(format!("cannot resolve `go {} {arg}`: it points outside src/", t.verb));
        };
        let Ok(rel) = dir.strip_prefix(prefix) else {
            return Ok(None);
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        // Inside the module's vendor tree (GOPATH-style builds of vendored commands).
        let import = if let Some(v) = rel.strip_prefix("vendor/") {
            v.to_owned()
        } else if rel == "vendor" {
            return Ok(None);
        } else if rel.is_empty() {
            module_path.to_owned()
        } else {
            format!("{module_path}/{rel}")
        };
        if !src_dir.join(&dir).is_dir() {
            return Err(format!("`go {} {arg}`: src/{} does not exist", t.verb, dir.display()));
        }
        return Ok(Some(if recursive { format!("{import}/...") } else { import }));
    }
    let base = arg.strip_suffix("/...").unwrap_or(arg);
    if base == module_path || base.starts_with(&format!("{module_path}/")) || vendored.provides(arg) {
        return Ok(Some(arg.to_owned()));
    }
    Ok(None)
}

/// A spec pattern naming the module's own package (`<prefix>/<dir>/*.go`): its import path
/// (`<dir>/...` for a `**` pattern), when that directory holds Go files.
fn own_package_root(pattern: &str, prefix: &str, module_path: &str, module_dir: &Path) -> Option<String> {
    let rel = if prefix.is_empty() { pattern } else { pattern.strip_prefix(prefix)?.strip_prefix('/')? };
    if rel.starts_with("vendor/") {
        return None;
    }
    let parts: Vec<&str> = rel.split('/').collect();
    let (dirs, file) = parts.split_at(parts.len().saturating_sub(1));
    // Only patterns that take Go files: `*.go`, `*`, `x.go` (not `go.mod`, `*.s`, …).
    let file = file.first().copied().unwrap_or("");
    if !(file == "*" || file.ends_with(".go")) {
        return None;
    }
    let globby = |s: &str| s.contains(['*', '?', '[', '{']);
    let literal: Vec<&str> = dirs.iter().copied().take_while(|d| !globby(d)).collect();
    let recursive = literal.len() < dirs.len();
    if literal.is_empty() && !recursive {
        // `<prefix>/go.mod`, `<prefix>/*.go`: the module root itself.
        if !has_file_with_ext(module_dir, "go") {
            return None;
        }
    }
    let dir = literal.join("/");
    let abs = module_dir.join(&dir);
    if !abs.is_dir() {
        return None;
    }
    if !recursive && !has_file_with_ext(&abs, "go") {
        return None;
    }
    if recursive && dir.is_empty() {
        // `<prefix>/**/*` would name the whole module, vendor included: too broad to be a root.
        return None;
    }
    let import = if dir.is_empty() { module_path.to_owned() } else { format!("{module_path}/{dir}") };
    Some(if recursive { format!("{import}/...") } else { import })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_of_gosub_lines() {
        let spec = "---\nname: x\nfiles:\n  - code.cloudfoundry.org/go.mod\n  - code.cloudfoundry.org/vendor/github.com/a/b/*.go # gosub\n";
        assert_eq!(gosub_module_prefix(spec).unwrap(), Some("code.cloudfoundry.org".into()));
        let none = "---\nname: x\nfiles:\n  - code.cloudfoundry.org/x/*.go # gosub\n";
        assert_eq!(gosub_module_prefix(none).unwrap(), None);
        let two = "---\nname: x\nfiles:\n  - a/vendor/x/*.go # gosub\n  - b/vendor/y/*.go # gosub\n";
        assert!(gosub_module_prefix(two).unwrap_err().message.contains("several modules (a, b)"));
    }

    #[test]
    fn line_shapes() {
        assert_eq!(line_shape("  - a/b/*.go # gosub\n", "a/b/*.go"), ("  - ", " # gosub"));
        assert_eq!(line_shape("- 'a/b/*.go' # gosub\n", "a/b/*.go"), ("- ", " # gosub"));
    }

    #[test]
    fn own_packages_named_by_the_spec() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path();
        std::fs::create_dir_all(m.join("cmd/x")).unwrap();
        std::fs::create_dir_all(m.join("lib")).unwrap();
        std::fs::write(m.join("tools.go"), "package tools\n").unwrap();
        std::fs::write(m.join("cmd/x/main.go"), "package main\n").unwrap();
        std::fs::write(m.join("lib/a.s"), "").unwrap();
        let root = |p: &str| own_package_root(p, "cf.org", "code.cf.org", m);
        assert_eq!(root("cf.org/go.mod"), None);
        assert_eq!(root("cf.org/*.go"), Some("code.cf.org".into()));
        assert_eq!(root("cf.org/cmd/x/*.go"), Some("code.cf.org/cmd/x".into()));
        assert_eq!(root("cf.org/cmd/**/*"), Some("code.cf.org/cmd/...".into()));
        assert_eq!(root("cf.org/lib/*.s"), None);
        assert_eq!(root("cf.org/lib/*.go"), None);
        assert_eq!(root("cf.org/vendor/a/b/*.go"), None);
        assert_eq!(root("other/cmd/x/*.go"), None);
    }

    #[test]
    fn vendored_packages_from_modules_txt() {
        let v = VendoredPackages::parse(
            "# github.com/a/b v1.0.0\n## explicit; go 1.20\ngithub.com/a/b\ngithub.com/a/b/c\n# github.com/x => ./x\n",
        );
        assert!(v.provides("github.com/a/b/c"));
        assert!(!v.provides("github.com/a/b/d"));
        assert!(v.provides("github.com/a/b/..."));
        assert!(!v.provides("github.com/q/..."));
    }
}
