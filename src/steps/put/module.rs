//! The Go-module kind: a module required by go.mod files. Its edit is the real Go toolchain's
//! (`go get`, `go mod tidy`, `go mod vendor`) in every go.mod of the bump, and the `# gosub`
//! package specs regenerated for the vendored packages; it ships no artifact.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::go_toolchain::{self, GoSettings, spec_sync};
use crate::release::blobs::BlobsFile;
use crate::report::ModuleSummary;
use crate::source::{DependencyKind, Source};
use crate::steps::put::kinds::{Bump, Change, Site, Summary};
use crate::steps::put::plan::{Selected, Want};
use crate::workspace;

/// The Go toolchain settings, found on first use (only go-module bumps need Go).
pub(crate) struct GoOnce {
    proxy: String,
    sumdb: String,
    settings: OnceLock<GoSettings>,
}

impl GoOnce {
    pub fn new(source: &Source) -> GoOnce {
        GoOnce {
            proxy: source.go_proxy.as_str().trim_end_matches('/').to_string(),
            sumdb: source.go_sumdb.clone(),
            settings: OnceLock::new(),
        }
    }

    fn get(&self) -> Result<&GoSettings> {
        if let Some(s) = self.settings.get() {
            return Ok(s);
        }
        let settings = GoSettings::from_env(self.proxy.clone(), self.sumdb.clone())?;
        go_toolchain::check_go(&settings.go)?;
        Ok(self.settings.get_or_init(|| settings))
    }
}

pub(crate) struct ModuleKind<'a> {
    name: String,
    module: String,
    from: String,
    to: String,
    release_notes: Option<String>,
    upstream: String,
    /// The go.mod files the bump rewrites.
    go_mods: Vec<String>,
    go: &'a GoOnce,
}

impl<'a> ModuleKind<'a> {
    pub fn new(selected: Selected<'_>, go: &'a GoOnce) -> ModuleKind<'a> {
        let module = match &selected.dep.kind {
            DependencyKind::GoModule { module, .. } => module.clone(),
            _ => String::new(),
        };
        let planned = selected.planned;
        ModuleKind {
            name: selected.name().to_string(),
            module,
            from: planned.current.as_ref().map(|v| v.to_string()).unwrap_or_default(),
            to: selected.target().to_string(),
            release_notes: planned.release_notes.clone(),
            upstream: planned.upstream.clone(),
            go_mods: planned.files.iter().filter(|f| f.ends_with("go.mod")).cloned().collect(),
            go,
        }
    }

    /// The bump described from the plan alone: the module from the current to the target.
    fn summary(&self) -> ModuleSummary {
        ModuleSummary {
            name: self.name.clone(),
            changes: vec![(self.module.clone(), Some(format!("v{}", self.from)), Some(format!("v{}", self.to)))],
            from: self.from.clone(),
            to: self.to.clone(),
            release_notes: self.release_notes.clone(),
            module: self.module.clone(),
            go_mods: self.go_mods.clone(),
            notes: vec![],
        }
    }

    /// Runs Go in a checkout of `parent` and returns what changed in the tree.
    fn edit_commit(&self, repo: &git2::Repository, parent: git2::Oid) -> Result<(Change, ModuleSummary)> {
        let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
        workspace::checkout_to(repo, parent, dir.path())?;
        let (summary, module_dirs) = self.run_go(dir.path())?;
        let mut all = Change::default();
        for module_dir in &module_dirs {
            let c = workspace::changes_under(repo, parent, dir.path(), module_dir)?;
            all.changed.extend(c.changed);
            all.removed.extend(c.removed);
        }
        all.changed.extend(sync_specs(dir.path(), &module_dirs, self.go.get()?)?);
        Ok((all, summary))
    }

    /// `go get`, `go mod tidy` (and `go mod vendor`) in every go.mod directory of the bump under
    /// `root`; returns the summary (requirement changes, notes) and the module directories.
    fn run_go(&self, root: &Path) -> Result<(ModuleSummary, Vec<String>)> {
        let go = self.go.get()?;
        let target = format!("v{}", self.to);
        let mut summary = self.summary();
        summary.changes.clear();
        let mut dirs = Vec::new();
        for go_mod in &self.go_mods {
            let module_dir = go_mod.strip_suffix("go.mod").unwrap_or_default().trim_end_matches('/').to_string();
            let shown = if module_dir.is_empty() { "." } else { &module_dir };
            crate::log!("{}: go get {}@{target} in {shown}", self.name, self.module);
            let outcome = go_toolchain::bump(go, &root.join(&module_dir), &self.module, &target)
                .map_err(|e| Error::dependency(&self.name, format!("{go_mod}: {e}")))?;
            for c in outcome.changes {
                if !summary.changes.iter().any(|(p, f, t)| p == &c.path && f == &c.from && t == &c.to) {
                    summary.changes.push((c.path, c.from, c.to));
                }
            }
            summary.notes.extend(directive_notes(go_mod, &outcome.go_directive, &outcome.toolchain_directive));
            summary.notes.extend(outcome.warnings.into_iter().map(|w| format!("go: {w}")));
            dirs.push(module_dir);
        }
        Ok((summary, dirs))
    }
}

type Directive = Option<(String, String)>;
type ToolchainDirective = Option<(Option<String>, Option<String>)>;

/// The PR notes for the `go` and `toolchain` directives Go changed in `go_mod`.
fn directive_notes(go_mod: &str, go: &Directive, toolchain: &ToolchainDirective) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some((old, new)) = go {
        notes.push(format!(
            "Go raised the `go` directive of `{go_mod}` from {old} to {new}: the new requirement needs it."
        ));
    }
    if let Some((old, new)) = toolchain {
        notes.push(format!(
            "Go changed the `toolchain` directive of `{go_mod}` from {} to {}.",
            old.as_deref().unwrap_or("none"),
            new.as_deref().unwrap_or("none")
        ));
    }
    notes
}

impl Bump for ModuleKind<'_> {
    fn name(&self) -> &str {
        &self.name
    }

    fn want(&self) -> Want {
        Want::Module { go_mods: self.go_mods.clone(), module: self.module.clone(), version: self.to.clone() }
    }

    fn edit(&self, site: &Site<'_>) -> Result<(Change, Summary)> {
        match site {
            Site::Commit { repo, parent } => {
                let (changes, summary) = self.edit_commit(repo, *parent)?;
                Ok((changes, Summary::Module(summary)))
            }
            Site::Checkout { dir: _, dry_run: true } => {
                crate::log!("dry run: would run go get {}@v{} in {}", self.upstream, self.to, self.go_mods.join(", "));
                Ok((Change::default(), Summary::Module(self.summary())))
            }
            Site::Checkout { dir, dry_run: false } => {
                let (summary, dirs) = self.run_go(dir)?;
                sync_specs(dir, &dirs, self.go.get()?)?;
                Ok((Change::default(), Summary::Module(summary)))
            }
        }
    }

    fn describe(&self, _held: Option<&BlobsFile>) -> Summary {
        Summary::Module(self.summary())
    }
}

/// Regenerated `packages/*/spec` files whose `# gosub` lines point into one of `module_dirs`,
/// written under `root` and returned.
fn sync_specs(root: &Path, module_dirs: &[String], go: &GoSettings) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(root.join("packages")) else { return Ok(out) };
    let mut names: Vec<String> =
        entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    for name in names {
        let spec_path = format!("packages/{name}/spec");
        let Ok(spec) = std::fs::read_to_string(root.join(&spec_path)) else { continue };
        let prefix = spec_sync::gosub_module_prefix(&spec).map_err(|e| e.in_file(&spec_path))?;
        let Some(prefix) = prefix else { continue };
        if !module_dirs.iter().any(|d| d == &format!("src/{prefix}")) {
            continue;
        }
        let packaging = std::fs::read_to_string(root.join(format!("packages/{name}/packaging"))).unwrap_or_default();
        if let Some(new) = spec_sync::sync_spec(go, &root.join("src"), &spec, &packaging)? {
            std::fs::write(root.join(&spec_path), &new).map_err(|e| Error::io(root.join(&spec_path), e))?;
            out.insert(spec_path, new.into_bytes());
        }
    }
    Ok(out)
}
