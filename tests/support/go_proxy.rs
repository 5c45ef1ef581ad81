//! The Go module proxy part of `Upstream`, under `/goproxy/`: the GOPROXY protocol
//! (`<module>/@v/list`, `@v/<v>.info`, `@v/<v>.mod`, `@v/<v>.zip`, `<module>/@latest`) with
//! case-escaped module paths and versions (`!` + lower case for an upper-case letter). Anything
//! unknown, or a path that is not validly escaped, is 404.

use std::collections::BTreeMap;
use std::io::Write as _;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::server::lock;
use super::upstream::Shared;

#[derive(Default)]
pub(crate) struct GoProxy {
    /// By (unescaped) module path; versions in the order they were added.
    modules: BTreeMap<String, Vec<ModuleVersion>>,
}

struct ModuleVersion {
    version: String,
    time: String,
    go_mod: String,
    zip: Vec<u8>,
}

impl GoProxy {
    pub(crate) fn add(&mut self, path: &str, version: &str, go_mod: &str, time: &str, files: &[(&str, &str)]) {
        let version = if version.starts_with('v') { version.to_owned() } else { format!("v{version}") };
        let zip = module_zip(path, &version, go_mod, files);
        let versions = self.modules.entry(path.to_owned()).or_default();
        versions.retain(|v| v.version != version);
        versions.push(ModuleVersion { version, time: time.to_owned(), go_mod: go_mod.to_owned(), zip });
    }

    fn version(&self, module: &str, version: &str) -> Option<&ModuleVersion> {
        self.modules.get(module)?.iter().find(|v| v.version == version)
    }

    /// The highest release version, else the highest pre-release (by semver).
    fn latest(&self, module: &str) -> Option<&ModuleVersion> {
        let versions = self.modules.get(module)?;
        let parsed = |v: &ModuleVersion| semver::Version::parse(v.version.strip_prefix('v')?).ok();
        let newest = |release: bool| {
            versions
                .iter()
                .filter_map(|v| Some((parsed(v)?, v)))
                .filter(|(s, _)| s.pre.is_empty() == release)
                .max_by(|a, b| a.0.cmp(&b.0))
                .map(|(_, v)| v)
        };
        newest(true).or_else(|| newest(false))
    }
}

/// A module zip as `golang.org/x/mod/zip` lays it out: every entry under `<path>@<version>/`
/// (the path unescaped), `go.mod` included, entries sorted, stored without compression.
pub fn module_zip(path: &str, version: &str, go_mod: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let mut entries: BTreeMap<&str, &str> = files.iter().copied().collect();
    entries.insert("go.mod", go_mod);
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, contents) in entries {
        writer.start_file(format!("{path}@{version}/{name}"), options).expect("zip entry");
        writer.write_all(contents.as_bytes()).expect("zip write");
    }
    writer.finish().expect("zip finish").into_inner()
}

/// `golang.org/x/mod/module.EscapePath`: each upper-case letter becomes `!` + its lower case.
pub fn escape_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The inverse of `escape_path`; `None` for an upper-case letter or a `!` not followed by a
/// lower-case letter.
pub fn unescape_path(escaped: &str) -> Option<String> {
    let mut out = String::with_capacity(escaped.len());
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        match c {
            '!' => match chars.next() {
                Some(l) if l.is_ascii_lowercase() => out.push(l.to_ascii_uppercase()),
                _ => return None,
            },
            c if c.is_ascii_uppercase() => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

pub(crate) fn routes() -> Router<Shared> {
    Router::new().route("/goproxy/{*rest}", get(proxy))
}

fn not_found(what: &str) -> Response {
    (StatusCode::NOT_FOUND, format!("not found: {what}\n")).into_response()
}

fn info_json(v: &ModuleVersion) -> Response {
    let body = json!({ "Version": v.version, "Time": v.time }).to_string();
    ([(CONTENT_TYPE, "application/json")], body).into_response()
}

async fn proxy(State(shared): State<Shared>, Path(rest): Path<String>) -> Response {
    let state = lock(&shared);
    let proxy = &state.go_proxy;
    if let Some(module) = rest.strip_suffix("/@latest") {
        let Some(module) = unescape_path(module) else {
            return not_found(&rest);
        };
        return match proxy.latest(&module) {
            Some(v) => info_json(v),
            None => not_found(&format!("{module}@latest")),
        };
    }
    let Some((module, file)) = rest.rsplit_once("/@v/") else {
        return not_found(&rest);
    };
    let Some(module) = unescape_path(module) else {
        return not_found(&rest);
    };
    let Some(versions) = proxy.modules.get(&module) else {
        return not_found(&format!("module {module}: no matching versions"));
    };
    if file == "list" {
        let list: String = versions.iter().map(|v| format!("{}\n", v.version)).collect();
        return ([(CONTENT_TYPE, "text/plain; charset=utf-8")], list).into_response();
    }
    let Some((escaped_version, ext)) = file.rsplit_once('.') else {
        return not_found(&rest);
    };
    let Some(version) = unescape_path(escaped_version) else {
        return not_found(&rest);
    };
    let Some(v) = proxy.version(&module, &version) else {
        return not_found(&format!("{module}@{version}: unknown revision {version}"));
    };
    match ext {
        "info" => info_json(v),
        "mod" => ([(CONTENT_TYPE, "text/plain; charset=utf-8")], v.go_mod.clone()).into_response(),
        "zip" => ([(CONTENT_TYPE, "application/zip")], v.zip.clone()).into_response(),
        _ => not_found(&rest),
    }
}
