//! In/out fixture cases for the blob-bump editor (`tests/edits/<case>/{in,out,case.json}`): the
//! editor runs on `in/`, its changes are written over a copy, and the copy must equal `out/`
//! byte for byte. `case.json` names the bumps and the expected "check by hand" lines, or the
//! expected error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use currency::release::blob_bump::{BlobBump, apply};
use currency::release::blobs::BlobEntry;
use currency::release::snapshot::DirFiles;
use serde_json::Value;

fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn run_case(dir: &Path) {
    let case: Value = serde_json::from_slice(&std::fs::read(dir.join("case.json")).unwrap()).unwrap();
    let bumps: Vec<BlobBump> = case["bumps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| BlobBump {
            dependency: b["dependency"].as_str().unwrap().into(),
            old_path: b["old_path"].as_str().unwrap().into(),
            new_path: b["new_path"].as_str().unwrap().into(),
            old_version: b["old_version"].as_str().unwrap().into(),
            new_version: b["new_version"].as_str().unwrap().into(),
            entry: BlobEntry {
                size: b["size"].as_u64().unwrap(),
                object_id: Some(b["object_id"].as_str().unwrap().into()),
                sha: b["sha"].as_str().unwrap().into(),
            },
            rewrite_version_files: b["rewrite_version_files"].as_bool().unwrap_or(false),
        })
        .collect();
    let result = apply(&DirFiles::new(&dir.join("in")), &bumps);
    if let Some(expected) = case["error"].as_str() {
        let err = result.expect_err("an error was expected").to_string();
        assert!(err.contains(expected), "{}: error {err:?} should contain {expected:?}", dir.display());
        return;
    }
    let edits = result.unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut got = files(&dir.join("in"));
    for (path, bytes) in &edits.files {
        got.insert(path.clone(), bytes.clone());
    }
    let want = files(&dir.join("out"));
    assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "{}", dir.display());
    for (path, bytes) in &want {
        assert_eq!(
            String::from_utf8_lossy(&got[path]),
            String::from_utf8_lossy(bytes),
            "{}: {path} differs",
            dir.display()
        );
    }
    let hand: Vec<String> = edits.check_by_hand.iter().map(|h| format!("{}:{}", h.path, h.line)).collect();
    let want_hand: Vec<String> =
        case["check_by_hand"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(hand, want_hand, "{}: check by hand", dir.display());
}

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/edits");
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    v.sort();
    v
}

/// One `#[test]` per case directory of `tests/edits`, named as the directory, so one failing case
/// does not hide the others; [`every_case_directory_has_a_test`] catches a directory left out.
macro_rules! edit_cases {
    ($($name:ident),* $(,)?) => {
        mod case {
            $(
                #[test]
                fn $name() {
                    super::run_case(&super::case_dir(stringify!($name)));
                }
            )*
        }

        /// The cases that have a test.
        const CASES: &[&str] = &[$(stringify!($name)),*];
    };
}

edit_cases! {
    already_current_changes_nothing,
    etcd_sha1_entry_becomes_sha256_and_glob_stays,
    glob_that_would_stop_matching_is_an_error,
    golang_go1_9_sorts_before_go1_10_and_exact_refs_move,
    golang_platforms_move_together_and_version_files_keep_their_newline,
    preserves_spec_comments_and_rewrites_packaging_stem_in_a_legacy_file,
}

fn case_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/edits").join(name)
}

#[test]
fn every_case_directory_has_a_test() {
    let all = cases();
    assert!(all.len() >= 5, "the cases are missing");
    let names: Vec<String> = all.iter().map(|d| d.file_name().unwrap().to_string_lossy().into_owned()).collect();
    let missing: Vec<&String> = names.iter().filter(|n| !CASES.contains(&n.as_str())).collect();
    assert!(missing.is_empty(), "case directories under tests/edits without a test in edit_cases!: {missing:?}");
}
