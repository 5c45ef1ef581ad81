//! The rename a vendored package's line change makes (`golang-1.23-linux` → `golang-1.24-linux`):
//! the old package name, as a whole name, becomes the new one wherever the release refers to a
//! package by name — `packages/*/spec` (`dependencies`), `packages/*/packaging`, `jobs/*/spec`
//! (`packages`) and every file under `jobs/*/templates/` — as Cloud Foundry's own bump tasks do.
//!
//! Rules:
//! - a whole name: the old name with no package-name character (`A-Z a-z 0-9 . _ -`) right before
//!   or after it, so `golang-1.23-linux-test` and `my-golang-1.23-linux` stay, while
//!   `/var/vcap/packages/golang-1.23-linux/bosh/compile.env` and `- golang-1.23-linux` change;
//! - a job's own `name:` (the top-level key of its spec) is never renamed: a job may be called
//!   after the package it tests;
//! - every other byte stays: indentation, comments, quoting, the trailing newline.
//!
//! Pure: the changed files are returned, nothing is written. Removing `packages/<old>/` and keeping
//! `.final_builds/packages/<old>/` are the bump's to do.

use std::collections::BTreeMap;

use crate::error::Result;
use crate::release::snapshot::RepoFiles;

/// Files larger than this are not rewritten (a template is a few kilobytes).
const MAX_FILE: usize = 1024 * 1024;

/// The files that refer to package `old`, with `old` renamed to `new`: path → new contents.
pub fn rename_package(repo: &dyn RepoFiles, old: &str, new: &str) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut changed = BTreeMap::new();
    for path in repo.paths()? {
        let Some(job_spec) = refers_by_name(&path) else { continue };
        let Some(bytes) = repo.read(&path)? else { continue };
        if bytes.len() > MAX_FILE {
            continue;
        }
        let Ok(text) = String::from_utf8(bytes) else { continue };
        let renamed = rename_in(&text, old, new, job_spec);
        if renamed != text {
            changed.insert(path, renamed.into_bytes());
        }
    }
    Ok(changed)
}

/// Whether the release refers to packages by name in `path`: `Some(true)` for a job spec (whose
/// own `name:` stays), `Some(false)` for the other such files.
fn refers_by_name(path: &str) -> Option<bool> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["packages", _, "spec" | "packaging"] => Some(false),
        ["jobs", _, "spec"] => Some(true),
        ["jobs", _, "templates", _, ..] => Some(false),
        _ => None,
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// `text` with every whole-name `old` replaced by `new`, line by line; in a job spec the
/// top-level `name:` line is kept.
fn rename_in(text: &str, old: &str, new: &str, job_spec: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if job_spec && line.starts_with("name:") {
            out.push_str(line);
        } else {
            out.push_str(&rename_line(line, old, new));
        }
    }
    out
}

fn rename_line(line: &str, old: &str, new: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    let mut before: Option<char> = None;
    while let Some(at) = rest.find(old) {
        let prev = rest[..at].chars().next_back().or(before);
        let next = rest[at + old.len()..].chars().next();
        out.push_str(&rest[..at]);
        if prev.is_some_and(is_name_char) || next.is_some_and(is_name_char) {
            out.push_str(old);
        } else {
            out.push_str(new);
        }
        before = old.chars().next_back();
        rest = &rest[at + old.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::snapshot::MemFiles;

    fn renamed(files: Vec<(&'static str, &'static str)>) -> BTreeMap<String, String> {
        rename_package(&MemFiles::of(&files), "golang-1.23-linux", "golang-1.24-linux")
            .unwrap()
            .into_iter()
            .map(|(p, b)| (p, String::from_utf8(b).unwrap()))
            .collect()
    }

    #[test]
    fn specs_jobs_and_templates_follow_the_new_line_keeping_every_other_byte() {
        let out = renamed(vec![
            (
                "packages/nats-server/spec",
                "---\nname: nats-server\n\ndependencies:\n  - golang-1.23-linux # go\n\nfiles: []\n",
            ),
            ("packages/nats-v2-migrate/spec", "name: nats-v2-migrate\ndependencies:\n    - golang-1.23-linux\n"),
            ("packages/gorouter/packaging", "source /var/vcap/packages/golang-1.23-linux/bosh/compile.env\n"),
            ("jobs/smoke_tests/spec", "---\nname: smoke_tests\npackages:\n- golang-1.23-linux\n- smoke\n"),
            ("jobs/smoke_tests/templates/run.erb", "export PATH=/var/vcap/packages/golang-1.23-linux/bin:$PATH"),
        ]);
        assert_eq!(
            out["packages/nats-server/spec"],
            "---\nname: nats-server\n\ndependencies:\n  - golang-1.24-linux # go\n\nfiles: []\n"
        );
        assert_eq!(
            out["packages/nats-v2-migrate/spec"],
            "name: nats-v2-migrate\ndependencies:\n    - golang-1.24-linux\n"
        );
        assert_eq!(
            out["packages/gorouter/packaging"],
            "source /var/vcap/packages/golang-1.24-linux/bosh/compile.env\n"
        );
        assert_eq!(out["jobs/smoke_tests/spec"], "---\nname: smoke_tests\npackages:\n- golang-1.24-linux\n- smoke\n");
        assert_eq!(
            out["jobs/smoke_tests/templates/run.erb"],
            "export PATH=/var/vcap/packages/golang-1.24-linux/bin:$PATH"
        );
    }

    #[test]
    fn only_whole_names_change_and_a_job_keeps_its_own_name() {
        let out = renamed(vec![
            (
                "packages/test/spec",
                "dependencies:\n- golang-1.23-linux-test\n- my-golang-1.23-linux\n- golang-1.23-linux\n",
            ),
            ("packages/glob/packaging", "source /var/vcap/packages/golang-*-linux/bosh/compile.env\n"),
            ("jobs/golang-1.23-linux/spec", "name: golang-1.23-linux\npackages:\n- golang-1.23-linux\n"),
            ("src/main.go", "// golang-1.23-linux\n"),
            ("README.md", "golang-1.23-linux\n"),
        ]);
        assert_eq!(
            out["packages/test/spec"],
            "dependencies:\n- golang-1.23-linux-test\n- my-golang-1.23-linux\n- golang-1.24-linux\n"
        );
        assert_eq!(out["jobs/golang-1.23-linux/spec"], "name: golang-1.23-linux\npackages:\n- golang-1.24-linux\n");
        assert_eq!(out.len(), 2, "the glob, src/ and the README stay: {out:?}");
    }

    #[test]
    fn a_name_next_to_itself_is_renamed_each_time() {
        assert_eq!(rename_line("golang-1.23-linux,golang-1.23-linux", "golang-1.23-linux", "g"), "g,g");
        assert_eq!(
            rename_line("golang-1.23-linuxgolang-1.23-linux", "golang-1.23-linux", "g"),
            "golang-1.23-linuxgolang-1.23-linux"
        );
    }
}
