//! `packages/<name>/spec` and `spec.lock`: any text either parses or is refused with an error; the
//! `files` and `excluded_files` patterns of a spec that parses are matched (bosh-cli's globs)
//! against every path the same file names.
#![no_main]

use currency::release::spec::{PackageSpec, SpecLock, glob_matches};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = SpecLock::parse(text);
    let Ok(spec) = PackageSpec::parse(text) else {
        return;
    };
    let lines = text.lines().count().max(1);
    let patterns: Vec<&str> = spec
        .files
        .iter()
        .map(|f| {
            assert!(f.line >= 1 && f.line <= lines, "line {} of {lines}", f.line);
            f.pattern.as_str()
        })
        .chain(spec.excluded_files.iter().map(String::as_str))
        .collect();
    let paths: Vec<&str> = std::iter::once(spec.name.as_str())
        .chain(spec.dependencies.iter().map(String::as_str))
        .chain(spec.excluded_files.iter().map(String::as_str))
        .collect();
    for pattern in &patterns {
        for path in &paths {
            let _ = glob_matches(pattern, path);
        }
    }
});
