//! Inputs that once crashed, hung or exhausted memory under `./fuzz.sh`, kept as regression tests:
//! `tests/fuzz_regressions/<target>/<name>` holds the bytes the fuzz target `<target>` was given,
//! and each is fed to the same function here. It must return — any answer, `Ok` or a clear
//! `Err` — on an ordinary 2 MiB thread stack, within a time generous for a debug build.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use currency::gomod::modfile;
use currency::release::blobs::BlobsFile;
use currency::release::config::{FinalConfig, parse_private_options};
use currency::release::spec::{PackageSpec, SpecLock, glob_matches};
use currency::version::{Constraint, Scheme, Version};

const LIMIT: Duration = Duration::from_secs(60);

/// The function fuzz target `target` drives, applied to one input.
fn drive(target: &str, text: &str) {
    match target {
        "blobs_yml" => {
            if let Ok(file) = BlobsFile::parse(text) {
                let _ = BlobsFile::parse(&file.to_bosh_yaml());
            }
        }
        "spec" => {
            let _ = PackageSpec::parse(text);
            let _ = SpecLock::parse(text);
        }
        "glob" => {
            let (pattern, path) = text.split_once('\n').unwrap_or((text, ""));
            let _ = glob_matches(pattern, path);
        }
        "go_mod" => {
            let _ = modfile::parse(text);
            let _ = modfile::parse_lax(text);
        }
        "version" => {
            let _ = Constraint::parse(text.lines().next().unwrap_or(""));
            for line in text.lines() {
                let _ = Version::parse(Scheme::Semver, line);
                let _ = Version::parse(Scheme::Go, line);
            }
        }
        "release_config" => {
            let _ = FinalConfig::parse(text);
            let _ = parse_private_options(text);
        }
        other => panic!("tests/fuzz_regressions/{other}: no fuzz target of that name"),
    }
}

fn inputs() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut found = Vec::new();
    for dir in std::fs::read_dir(&root).expect("tests/fuzz_regressions") {
        let dir = dir.expect("a directory entry").path();
        let target = dir.file_name().expect("a name").to_string_lossy().into_owned();
        for file in std::fs::read_dir(&dir).expect("a target directory") {
            found.push((target.clone(), file.expect("a directory entry").path()));
        }
    }
    found.sort();
    found
}

#[test]
fn every_input_that_once_crashed_a_fuzz_target_now_gets_an_answer() {
    let inputs = inputs();
    assert!(!inputs.is_empty(), "no regression inputs found");
    for (target, path) in inputs {
        let bytes = std::fs::read(&path).expect("a regression input");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let (done, answered) = mpsc::channel();
        let name = path.display().to_string();
        let worker = thread::Builder::new()
            .name(name.clone())
            .stack_size(2 << 20)
            .spawn(move || {
                drive(&target, &text);
                let _ = done.send(());
            })
            .expect("a thread");
        match answered.recv_timeout(LIMIT) {
            Ok(()) => worker.join().expect("no panic"),
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("{name}: no answer within {LIMIT:?}"),
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{name}: panicked"),
        }
    }
}
