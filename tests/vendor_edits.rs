//! In/out fixture cases for the vendored-package editor, `release::vendor::apply`
//! (`tests/vendor_edits/<case>/{in,out,case.json}`): the editor runs on `in/`, its files are
//! written and its removals made over a copy, and the copy must equal `out/` byte for byte —
//! `out/` holding what `bosh vendor-package` (and, on a line change, the rename of the old
//! package name) leaves. `case.json` gives the vendoring (`packages`, `renames`), or the expected
//! error in `error`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use currency::release::snapshot::DirFiles;
use currency::release::vendor::{VendoredPackage, Vendoring, apply, in_index};
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

fn vendoring(case: &Value) -> Vendoring {
    let text = |v: &Value| v.as_str().unwrap().to_string();
    let packages = case["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| VendoredPackage {
            name: text(&p["name"]),
            fingerprint: text(&p["fingerprint"]),
            sha1: text(&p["sha1"]),
            dependencies: p["dependencies"].as_array().unwrap().iter().map(text).collect(),
            blobstore_id: p["blobstore_id"].as_str().map(String::from),
        })
        .collect();
    let renames =
        case["renames"].as_array().unwrap().iter().map(|r| (text(&r[0]), text(&r[1]))).collect::<Vec<(_, _)>>();
    Vendoring { packages, renames }
}

fn run_case(dir: &Path) {
    let case: Value = serde_json::from_slice(&std::fs::read(dir.join("case.json")).unwrap()).unwrap();
    let v = vendoring(&case);
    let result = apply(&DirFiles::new(&dir.join("in")), &v);
    if let Some(expected) = case["error"].as_str() {
        let err = result.expect_err("an error was expected").to_string();
        assert!(err.contains(expected), "{}: error {err:?} should contain {expected:?}", dir.display());
        return;
    }
    let edit = result.unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut got = files(&dir.join("in"));
    for (path, bytes) in &edit.files {
        assert_ne!(got.get(path), Some(bytes), "{}: {path} is listed but unchanged", dir.display());
        assert!(!edit.removed.contains(path), "{}: {path} is both written and removed", dir.display());
        got.insert(path.clone(), bytes.clone());
    }
    for path in &edit.removed {
        assert!(got.remove(path).is_some(), "{}: {path} is removed but was not there", dir.display());
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
    // Afterwards every vendored package is in its index, as `bosh create-release` needs it.
    for p in &v.packages {
        assert!(in_index(&DirFiles::new(&dir.join("out")), &p.name, &p.fingerprint).unwrap(), "{}", p.name);
    }
}

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vendor_edits");
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    v.sort();
    v
}

/// One `#[test]` per case directory of `tests/vendor_edits`, named as the directory, so one
/// failing case does not hide the others; [`every_case_directory_has_a_test`] catches a directory
/// left out.
macro_rules! vendor_cases {
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

vendor_cases! {
    already_vendored_changes_nothing,
    indexed_fingerprint_leaves_the_index_byte_for_byte,
    line_change_renames_references_and_preserves_the_rest,
    linux_and_windows_lines_move_together,
    malformed_index_is_an_error_naming_it,
    malformed_spec_lock_is_an_error_naming_it,
    patch_bump_sorts_the_new_build_before_the_old,
    prefixed_package_and_its_dependency_move_together,
    ruby_era_index_is_normalised_when_a_build_is_added,
}

fn case_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vendor_edits").join(name)
}

#[test]
fn every_case_directory_has_a_test() {
    let all = cases();
    assert!(all.len() >= 9, "the cases are missing");
    let names: Vec<String> = all.iter().map(|d| d.file_name().unwrap().to_string_lossy().into_owned()).collect();
    let missing: Vec<&String> = names.iter().filter(|n| !CASES.contains(&n.as_str())).collect();
    assert!(
        missing.is_empty(),
        "case directories under tests/vendor_edits without a test in vendor_cases!: {missing:?}"
    );
}
