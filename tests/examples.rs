//! The YAML under `ci/` is what users paste: the project's pipeline, the example pipelines and the
//! `fly execute` task configs. Every file parses; every `source` of a currency resource goes
//! through the real parser (`Source::from_value`) once its `((var))` placeholders hold plausible
//! values; every `put` and `get` of a currency resource uses only params the steps accept; the
//! image name is the same everywhere. Finding no example fails.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use currency::blobstore::Blobstore;
use currency::source::{BlobstoreSecrets, Source};
use currency::steps::OutParams;
use serde_json::Value;

/// The pipelines that must exist (each holds a currency resource, a triggered get and a put).
const EXAMPLES: &[&str] = &["examples/nats-release.yml", "examples/etcd-release.yml", "examples/golang-release.yml"];
/// The `fly execute` task configs that must exist.
const TASKS: &[&str] = &["tasks/bump.yml", "tasks/report.yml"];

/// A plausible GitHub token for `((…-token))` and other placeholders.
const TOKEN: &str = "ghp_EXAMPLEexampleEXAMPLEexample012345";
/// A plausible config/private.yml (S3 credentials), for `((…-private-yml))`.
const PRIVATE_YML: &str = "---\nblobstore:\n  options:\n    access_key_id: AKIAEXAMPLEEXAMPLE00\n    secret_access_key: example/SECRET/access/key/0123456789abcdef\n";
/// A PEM-ish SSH key, for `((…-private-key))` / `((…ssh-key))`.
const PEM: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACBleGFtcGxlZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZQ==\n-----END OPENSSH PRIVATE KEY-----\n";
/// config/final.yml of a release with an S3 blobstore (the examples' private.yml completes it).
const S3_FINAL_YML: &str =
    "---\nname: example\nblobstore:\n  provider: s3\n  options:\n    bucket_name: example-release-blobs\n";

use currency::steps::InParams;

fn ci() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ci")
}

/// Every `*.yml` / `*.yaml` under `dir`, recursively, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let value: Value =
        yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("{}: not valid YAML: {e}", path.display()));
    assert!(value.is_object(), "{}: not a YAML mapping", path.display());
    value
}

fn rel(path: &Path) -> String {
    path.strip_prefix(ci()).unwrap_or(path).display().to_string()
}

/// The pipelines: ci/pipeline.yml and ci/examples/*.yml.
fn pipelines() -> Vec<PathBuf> {
    let mut files = yaml_files(&ci().join("examples"));
    files.push(ci().join("pipeline.yml"));
    files
}

/// What a `((name))` credential would hold, guessed from its name.
fn credential(name: &str) -> &'static str {
    let n = name.to_ascii_lowercase().replace('_', "-");
    if n.contains("private-yml") {
        PRIVATE_YML
    } else if n.contains("private-key") || n.contains("ssh-key") {
        PEM
    } else {
        TOKEN
    }
}

/// Replaces every `((var))` in the strings of `value` by [`credential`]; returns the names seen.
fn fill_vars(value: &mut Value, seen: &mut BTreeSet<String>) {
    match value {
        Value::String(s) => {
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(start) = rest.find("((") {
                let Some(len) = rest[start..].find("))") else {
                    break;
                };
                let name = rest[start + 2..start + len].trim().to_string();
                out.push_str(&rest[..start]);
                out.push_str(credential(&name));
                seen.insert(name);
                rest = &rest[start + len + 2..];
            }
            out.push_str(rest);
            *s = out;
        }
        Value::Array(items) => items.iter_mut().for_each(|v| fill_vars(v, seen)),
        Value::Object(map) => map.values_mut().for_each(|v| fill_vars(v, seen)),
        _ => {}
    }
}

/// The names of the resource types that are currency: registry-image types of a `…/currency` image.
fn currency_types(pipeline: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for t in pipeline["resource_types"].as_array().into_iter().flatten() {
        let image = t["source"]["repository"].as_str().unwrap_or_default();
        if image.ends_with("/currency") {
            names.insert(t["name"].as_str().expect("resource type name").to_string());
        }
    }
    names
}

/// The currency resources of a pipeline: name → `source` (placeholders still in).
fn currency_resources(pipeline: &Value) -> BTreeMap<String, Value> {
    let types = currency_types(pipeline);
    let mut found = BTreeMap::new();
    for r in pipeline["resources"].as_array().into_iter().flatten() {
        if r["type"].as_str().is_some_and(|t| types.contains(t)) {
            found.insert(r["name"].as_str().expect("resource name").to_string(), r["source"].clone());
        }
    }
    found
}

/// Every step object under `plan` (steps nest in do, in_parallel, try, hooks, across…).
fn steps<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::Object(map) => {
            if map.contains_key("get") || map.contains_key("put") || map.contains_key("task") {
                out.push(value);
            }
            map.values().for_each(|v| steps(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| steps(v, out)),
        _ => {}
    }
}

/// The resource a get or put step uses: `resource:`, else the step's name.
fn step_resource<'a>(step: &'a Value, kind: &str) -> &'a str {
    step["resource"].as_str().or_else(|| step[kind].as_str()).expect("step name")
}

fn parsed_source(file: &str, name: &str, source: &Value) -> (Source, BTreeSet<String>) {
    let mut filled = source.clone();
    let mut vars = BTreeSet::new();
    fill_vars(&mut filled, &mut vars);
    let parsed = Source::from_value(filled, "source")
        .unwrap_or_else(|e| panic!("{file}: resource {name}: the parser rejects its source: {e}"));
    (parsed, vars)
}

#[test]
fn every_yaml_under_ci_parses() {
    let files = yaml_files(&ci());
    let names: BTreeSet<String> = files.iter().map(|p| rel(p)).collect();
    for expected in EXAMPLES.iter().chain(TASKS).chain(&["pipeline.yml"]) {
        assert!(names.contains(*expected), "ci/{expected} is missing (found: {names:?})");
    }
    for file in &files {
        load(file);
    }
}

#[test]
fn example_sources_pass_the_real_parser() {
    let mut resources = 0;
    for file in pipelines() {
        let name = rel(&file);
        let pipeline = load(&file);
        let found = currency_resources(&pipeline);
        if name.starts_with("examples/") {
            assert!(!found.is_empty(), "{name}: no resource of a currency resource type");
        }
        for (resource, source) in &found {
            // Secrets come from credentials, never inline.
            for key in ["access_token", "upstream_access_token", "private_key"] {
                if let Some(v) = source.get(key) {
                    let v = v.as_str().unwrap_or_default();
                    assert!(
                        v.starts_with("((") && v.ends_with("))"),
                        "{name}: {resource}: source.{key} is not a ((var))"
                    );
                }
            }
            if let Some(y) = source.get("blobstore").and_then(|b| b.get("private_yml")) {
                let y = y.as_str().unwrap_or_default();
                assert!(y.starts_with("((") && y.ends_with("))"), "{name}: {resource}: private_yml is not a ((var))");
            }
            let (parsed, _) = parsed_source(&name, resource, source);
            // The blobstore credentials fit a release's S3 config/final.yml as bosh-cli merges them.
            if !matches!(parsed.blobstore, BlobstoreSecrets::None) {
                let dir = tempfile::tempdir().unwrap();
                Blobstore::configure_with_env(S3_FINAL_YML, &parsed.blobstore, dir.path(), &|_| None)
                    .unwrap_or_else(|e| panic!("{name}: {resource}: blobstore: {e}"));
            }
            resources += 1;
        }
    }
    assert!(resources >= EXAMPLES.len(), "found {resources} currency resources in ci/");
}

/// Each example is the pipeline its file name promises.
#[test]
fn examples_track_what_their_users_need() {
    let kinds = |file: &str| -> Vec<(String, String, Option<String>, usize)> {
        let pipeline = load(&ci().join(file));
        let sources = currency_resources(&pipeline);
        assert_eq!(sources.len(), 1, "{file}: one currency resource");
        let (name, source) = sources.iter().next().unwrap();
        let (parsed, _) = parsed_source(file, name, source);
        let deps = parsed.dependencies.unwrap_or_else(|| panic!("{file}: no dependencies listed"));
        deps.iter()
            .map(|d| {
                let constraint = d.constraint.as_ref().map(|c| c.as_str().to_string());
                (d.name.clone(), d.kind.name().to_string(), constraint, d.kind.blobs().map_or(0, <[_]>::len))
            })
            .collect()
    };
    let nats = kinds("examples/nats-release.yml");
    let names: Vec<&str> = nats.iter().map(|(n, _, _, _)| n.as_str()).collect();
    assert_eq!(names, ["nats-server", "nats.go", "golang"]);
    let kinds_of: Vec<&str> = nats.iter().map(|(_, k, _, _)| k.as_str()).collect();
    assert_eq!(kinds_of, ["go-module", "go-module", "vendored-package"]);

    let etcd = kinds("examples/etcd-release.yml");
    assert_eq!(etcd.len(), 1);
    assert_eq!((etcd[0].0.as_str(), etcd[0].1.as_str()), ("etcd", "github-release"));

    let golang = kinds("examples/golang-release.yml");
    assert_eq!(golang.len(), 2, "{golang:?}");
    assert!(golang.iter().all(|(_, k, _, _)| k == "golang"), "{golang:?}");
    assert!(golang.iter().all(|(_, _, _, platforms)| *platforms == 3), "linux, darwin and windows: {golang:?}");
    assert!(golang[0].2.as_deref().is_some_and(|c| c == "~1.22"), "{golang:?}");
    assert!(golang[1].2.as_deref().is_some_and(|c| c == "~1.23"), "{golang:?}");

    for file in ["examples/etcd-release.yml", "examples/golang-release.yml"] {
        let pipeline = load(&ci().join(file));
        let (name, source) = currency_resources(&pipeline).into_iter().next().unwrap();
        let (parsed, vars) = parsed_source(file, &name, &source);
        assert!(matches!(parsed.blobstore, BlobstoreSecrets::PrivateYml(_)), "{file}: private_yml");
        assert!(vars.iter().any(|v| v.contains("private-yml")), "{file}: private_yml from credentials: {vars:?}");
    }
}

#[test]
fn steps_use_only_params_the_code_accepts() {
    let mut puts = 0;
    for file in pipelines() {
        let name = rel(&file);
        let pipeline = load(&file);
        let sources = currency_resources(&pipeline);
        let mut all = Vec::new();
        steps(&pipeline["jobs"], &mut all);
        let (mut triggered_get, mut put) = (false, false);
        for step in all {
            if step.get("get").is_some() {
                let resource = step_resource(step, "get");
                if !sources.contains_key(resource) {
                    continue;
                }
                triggered_get |= step["trigger"] == Value::Bool(true);
                let params = step.get("params").cloned().unwrap_or(Value::Null);
                if !params.is_null() {
                    serde_json::from_value::<InParams>(params.clone())
                        .unwrap_or_else(|e| panic!("{name}: get {resource}: params {params}: {e}"));
                }
            } else if step.get("put").is_some() {
                let resource = step_resource(step, "put");
                let Some(source) = sources.get(resource) else {
                    continue;
                };
                put = true;
                puts += 1;
                let params = step.get("params").cloned().unwrap_or(Value::Object(Default::default()));
                let out: OutParams = serde_json::from_value(params.clone())
                    .unwrap_or_else(|e| panic!("{name}: put {resource}: params {params}: {e}"));
                // `only` names dependencies of that resource.
                let (parsed, _) = parsed_source(&name, resource, source);
                if let Some(deps) = &parsed.dependencies {
                    let known: BTreeSet<&str> = deps.iter().map(|d| d.name.as_str()).collect();
                    for n in &out.only {
                        assert!(
                            known.contains(n.as_str()),
                            "{name}: put {resource}: only names {n:?}, not in {known:?}"
                        );
                    }
                }
                if let Some(p) = step.get("get_params") {
                    serde_json::from_value::<InParams>(p.clone())
                        .unwrap_or_else(|e| panic!("{name}: put {resource}: get_params {p}: {e}"));
                }
            }
        }
        if name.starts_with("examples/") {
            assert!(triggered_get, "{name}: no get of the currency resource with trigger: true");
            assert!(put, "{name}: no put of the currency resource");
        }
    }
    assert!(puts >= EXAMPLES.len(), "found {puts} puts of currency resources in ci/");
}

/// One image name everywhere: the examples' resource type, the task configs and the image the
/// project's pipeline pushes.
#[test]
fn one_image_name_everywhere() {
    let mut images = BTreeMap::new();
    for file in EXAMPLES {
        let pipeline = load(&ci().join(file));
        let types = pipeline["resource_types"].as_array().unwrap_or_else(|| panic!("{file}: no resource_types"));
        let currency = types
            .iter()
            .find(|t| t["name"] == "currency")
            .unwrap_or_else(|| panic!("{file}: no resource type named currency"));
        assert_eq!(currency["type"], "registry-image", "{file}");
        images.insert(file.to_string(), currency["source"]["repository"].as_str().unwrap().to_string());
    }
    for file in TASKS {
        let task = load(&ci().join(file));
        images.insert(file.to_string(), task["image_resource"]["source"]["repository"].as_str().unwrap().to_string());
    }
    let pipeline = load(&ci().join("pipeline.yml"));
    let pushed = pipeline["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "registry-image")
        .expect("pipeline.yml: the registry-image resource the image is pushed to");
    images.insert("pipeline.yml".into(), pushed["source"]["repository"].as_str().unwrap().to_string());
    let distinct: BTreeSet<&String> = images.values().collect();
    assert_eq!(distinct.len(), 1, "image names differ: {images:#?}");
}

/// The `fly execute` tasks: an input named `release`, the source as a param, the command lines
/// in their header comment.
#[test]
fn fly_execute_tasks_take_release_and_source() {
    for file in TASKS {
        let path = ci().join(file);
        let task = load(&path);
        assert_eq!(task["platform"], "linux", "{file}");
        let inputs: Vec<&str> =
            task["inputs"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
        assert!(inputs.contains(&"release"), "{file}: inputs {inputs:?}");
        assert_eq!(task["params"]["SOURCE"], "((source))", "{file}");
        let script = task["run"]["args"].to_string();
        assert!(script.contains("currency ") && script.contains("--repo"), "{file}: does not run currency: {script}");
        let text = std::fs::read_to_string(&path).unwrap();
        let header: String = text.lines().take_while(|l| l.starts_with('#')).collect::<Vec<_>>().join("\n");
        assert!(
            header.contains(&format!("execute -c ci/{file}")) && header.contains("-i release="),
            "{file}: the fly execute command line is not in the header comment"
        );
    }
}

/// The placeholders stand for credentials, so a test of the test: each kind of value is filled.
#[test]
fn placeholders_are_filled() {
    let mut v = serde_json::json!({"a": "((github-access-token))", "b": ["x ((etcd-release-private-yml)) y"], "c": "((deploy_private_key))"});
    let mut seen = BTreeSet::new();
    fill_vars(&mut v, &mut seen);
    assert_eq!(v["a"], TOKEN);
    assert_eq!(v["b"][0], format!("x {PRIVATE_YML} y"));
    assert_eq!(v["c"], PEM);
    assert_eq!(seen.len(), 3);
}
