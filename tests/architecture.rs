//! The shape of `src/`, checked on every test run: the layers `src/lib.rs` declares (no module
//! imports one of a higher layer, no cycles among top-level modules), files of at most 700 lines
//! outside their `#[cfg(test)]` module, and functions of at most 80 lines.
//!
//! `cargo test --test architecture -- --nocapture` also prints the figures the limits are about:
//! the largest files, the longest functions and the module graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::spanned::Spanned;
use syn::visit::Visit;

const MAX_FILE_LINES: usize = 700;
const MAX_FN_LINES: usize = 80;

/// `src/` of this package, or the `src/` given in `ARCHITECTURE_SRC` (to measure another
/// checkout: `ARCHITECTURE_SRC=/tmp/old/src cargo test --test architecture -- --nocapture`).
fn src_dir() -> PathBuf {
    match std::env::var_os("ARCHITECTURE_SRC") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

struct SourceFile {
    /// Path below `src/`, with `/`.
    rel: String,
    /// The top-level module the file belongs to (`release` for `src/release/blobs.rs`); `None` for
    /// `lib.rs` and the binaries.
    module: Option<String>,
    syntax: syn::File,
    lines: usize,
}

fn source_files() -> Vec<SourceFile> {
    let mut paths = Vec::new();
    rust_files(&src_dir(), &mut paths);
    paths
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(src_dir()).unwrap().to_string_lossy().replace('\\', "/");
            let text = std::fs::read_to_string(&path).unwrap();
            let syntax = syn::parse_file(&text).unwrap_or_else(|e| panic!("src/{rel}: {e}"));
            let first = rel.split('/').next().unwrap();
            let module = match first {
                "lib.rs" | "bin" => None,
                _ => Some(first.trim_end_matches(".rs").to_string()),
            };
            SourceFile { rel, module, syntax, lines: text.lines().count() }
        })
        .collect()
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| a.path().is_ident("cfg") && a.meta.require_list().is_ok_and(|l| l.tokens.to_string() == "test"))
}

/// Lines of a file outside its `#[cfg(test)]` modules.
fn lines_outside_tests(file: &SourceFile) -> usize {
    let test_lines: usize = file
        .syntax
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m) if is_cfg_test(&m.attrs) => {
                let span = m.span();
                Some(span.end().line - span.start().line + 1)
            }
            _ => None,
        })
        .sum();
    file.lines - test_lines
}

/// Every function (free, in an impl or a trait, nested) with its length in lines.
#[derive(Default)]
struct Functions {
    found: Vec<(String, usize, usize)>,
    in_tests: bool,
}

impl Functions {
    fn record(&mut self, name: &syn::Ident, span: proc_macro2::Span) {
        if !self.in_tests {
            let lines = span.end().line - span.start().line + 1;
            self.found.push((name.to_string(), span.start().line, lines));
        }
    }
}

impl<'ast> Visit<'ast> for Functions {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let was = self.in_tests;
        self.in_tests |= is_cfg_test(&m.attrs);
        syn::visit::visit_item_mod(self, m);
        self.in_tests = was;
    }
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.record(&f.sig.ident, f.span());
        syn::visit::visit_item_fn(self, f);
    }
    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.record(&f.sig.ident, f.span());
        syn::visit::visit_impl_item_fn(self, f);
    }
    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if f.default.is_some() {
            self.record(&f.sig.ident, f.span());
        }
        syn::visit::visit_trait_item_fn(self, f);
    }
}

/// The top-level modules a file names through `crate::…` (in `use` trees and paths), outside its
/// `#[cfg(test)]` modules.
#[derive(Default)]
struct CrateRefs {
    modules: BTreeSet<String>,
    in_tests: bool,
}

impl CrateRefs {
    fn use_tree(&mut self, tree: &syn::UseTree, under_crate: bool) {
        match tree {
            syn::UseTree::Path(p) if !under_crate && p.ident == "crate" => self.use_tree(&p.tree, true),
            syn::UseTree::Path(_) if !under_crate => {}
            syn::UseTree::Path(p) => {
                self.modules.insert(p.ident.to_string());
            }
            syn::UseTree::Name(n) if under_crate => {
                self.modules.insert(n.ident.to_string());
            }
            syn::UseTree::Rename(r) if under_crate => {
                self.modules.insert(r.ident.to_string());
            }
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| self.use_tree(t, under_crate)),
            _ => {}
        }
    }
}

impl<'ast> Visit<'ast> for CrateRefs {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let was = self.in_tests;
        self.in_tests |= is_cfg_test(&m.attrs);
        syn::visit::visit_item_mod(self, m);
        self.in_tests = was;
    }
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        if !self.in_tests {
            self.use_tree(&u.tree, false);
        }
    }
    fn visit_path(&mut self, p: &'ast syn::Path) {
        let mut segments = p.segments.iter();
        if !self.in_tests
            && let (Some(first), Some(second)) = (segments.next(), segments.next())
            && first.ident == "crate"
        {
            self.modules.insert(second.ident.to_string());
        }
        syn::visit::visit_path(self, p);
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        // `crate::log!` and friends expand to paths inside the macro's own module; a path written
        // in a macro's arguments (`format!("{}", crate::x::y())`) is seen in its tokens.
        let tokens: Vec<String> = m.tokens.clone().into_iter().map(|t| t.to_string()).collect();
        for w in tokens.windows(4) {
            if !self.in_tests && w[0] == "crate" && w[1] == ":" && w[2] == ":" {
                self.modules.insert(w[3].clone());
            }
        }
        syn::visit::visit_macro(self, m);
    }
}

/// The layers `src/lib.rs` declares, one doc line each: `//! - layer N, name: a, b, c`.
fn declared_layers(lib: &str) -> BTreeMap<String, usize> {
    let mut layers = BTreeMap::new();
    for line in lib.lines() {
        let Some(rest) = line.strip_prefix("//! - layer ") else { continue };
        let (number, rest) = rest.split_once(',').expect("`//! - layer N, name: modules`");
        let number: usize = number.trim().parse().expect("a layer number");
        let (_, modules) = rest.split_once(':').expect("`//! - layer N, name: modules`");
        for m in modules.split(',') {
            let m = m.trim().trim_matches('`').trim_end_matches('.');
            if !m.is_empty() {
                layers.insert(m.to_string(), number);
            }
        }
    }
    layers
}

fn declared_modules(lib: &syn::File) -> BTreeSet<String> {
    lib.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m) => Some(m.ident.to_string()),
            _ => None,
        })
        .collect()
}

/// Edges between top-level modules: `from` names `to` (a module never counts as naming itself).
fn module_graph(files: &[SourceFile], modules: &BTreeSet<String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = modules.iter().map(|m| (m.clone(), BTreeSet::new())).collect();
    for file in files {
        let Some(from) = &file.module else { continue };
        let mut refs = CrateRefs::default();
        refs.visit_file(&file.syntax);
        for to in refs.modules {
            if &to != from && modules.contains(&to) {
                graph.get_mut(from).unwrap().insert(to);
            }
        }
    }
    graph
}

/// Strongly connected components with more than one module (Tarjan's algorithm).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn connect<'a>(s: &mut State<'a>, v: &'a str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in &s.graph[v] {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                connect(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            connect(&mut s, v);
        }
    }
    s.found
}

#[test]
fn every_src_file_has_at_most_700_lines_outside_its_tests() {
    let files = source_files();
    let mut sizes: Vec<(usize, &str)> = files.iter().map(|f| (lines_outside_tests(f), f.rel.as_str())).collect();
    sizes.sort_by(|a, b| b.cmp(a));
    println!("largest files (lines outside #[cfg(test)]):");
    for (lines, rel) in sizes.iter().take(8) {
        println!("  {lines:5}  src/{rel}");
    }
    let over: Vec<String> =
        sizes.iter().filter(|(lines, _)| *lines > MAX_FILE_LINES).map(|(_, rel)| rel.to_string()).collect();
    assert!(over.is_empty(), "files over {MAX_FILE_LINES} lines: {over:?}");
}

#[test]
fn every_function_in_src_has_at_most_80_lines() {
    let mut all = Vec::new();
    for file in source_files() {
        let mut fns = Functions::default();
        fns.visit_file(&file.syntax);
        all.extend(fns.found.into_iter().map(|(name, line, lines)| {
            (lines, format!("src/{}:{line} {name}", file.rel), format!("src/{} {name}", file.rel))
        }));
    }
    all.sort_by(|a, b| b.cmp(a));
    let over: Vec<String> =
        all.iter().filter(|(lines, ..)| *lines > MAX_FN_LINES).map(|(_, _, name)| name.clone()).collect();
    println!("longest functions (outside #[cfg(test)]), {} over {MAX_FN_LINES} lines:", over.len());
    for (lines, place, _) in all.iter().take(10) {
        println!("  {lines:5}  {place}");
    }
    assert!(over.is_empty(), "functions over {MAX_FN_LINES} lines: {over:#?}");
}

#[test]
fn top_level_modules_form_no_cycle() {
    let files = source_files();
    let lib = files.iter().find(|f| f.rel == "lib.rs").unwrap();
    let modules = declared_modules(&lib.syntax);
    let graph = module_graph(&files, &modules);
    let found = cycles(&graph);
    for component in &found {
        println!("cycle of {} modules: {}", component.len(), component.join(", "));
    }
    assert!(found.is_empty(), "module cycles: {found:?}");
}

#[test]
fn every_module_imports_only_its_own_layer_or_lower_ones() {
    let files = source_files();
    let lib = files.iter().find(|f| f.rel == "lib.rs").unwrap();
    let modules = declared_modules(&lib.syntax);
    let layers = declared_layers(&std::fs::read_to_string(src_dir().join("lib.rs")).unwrap());
    let undeclared: Vec<_> = modules.iter().filter(|m| !layers.contains_key(*m)).collect();
    assert!(undeclared.is_empty(), "modules src/lib.rs gives no layer: {undeclared:?}");
    let stale: Vec<_> = layers.keys().filter(|m| !modules.contains(*m)).collect();
    assert!(stale.is_empty(), "src/lib.rs gives a layer to modules that do not exist: {stale:?}");
    let mut upward = Vec::new();
    for (from, tos) in module_graph(&files, &modules) {
        for to in tos {
            if layers[&to] > layers[&from] {
                upward.push(format!("{from} (layer {}) → {to} (layer {})", layers[&from], layers[&to]));
            }
        }
    }
    assert!(upward.is_empty(), "imports of a higher layer: {upward:#?}");
}
