//! FLEET.yml: `defaults` merged key by key under each release's keys, `GITHUB_TOKEN` as the
//! `access_token` where none is set, and every release validated as a `source` — so a fleet entry
//! means exactly what the same keys mean in a pipeline's `source`.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::secrets;
use crate::source::Source;

/// Reads FLEET.yml into one validated `source` per release.
pub fn read_config(path: &Path, env_token: Option<&str>) -> Result<Vec<Source>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_config(&text, &path.display().to_string(), env_token)
}

/// Parses the text of FLEET.yml (`file` names it in errors). Every error is one line naming the
/// file and the key: `FLEET.yml: releases[2].acces_token: unknown key`.
pub fn parse_config(text: &str, file: &str, env_token: Option<&str>) -> Result<Vec<Source>> {
    let bad = |message: String| Error::Parse { file: file.to_string(), message };
    let env_token = env_token.map(str::trim).filter(|t| !t.is_empty());
    if let Some(t) = env_token {
        secrets::register(t);
    }
    crate::yaml::check_yaml_nesting(text).map_err(|e| bad(e.to_string()))?;
    let value: Value = yaml_serde::from_str(text).map_err(|e| {
        bad(match e.location() {
            Some(l) => format!("not valid YAML at line {}", l.line()),
            None => "not valid YAML".into(),
        })
    })?;
    let Value::Object(mut top) = value else {
        return Err(bad("not a mapping with `defaults` and `releases`".into()));
    };
    if let Some(key) = top.keys().find(|k| *k != "defaults" && *k != "releases") {
        return Err(bad(format!("{key}: unknown key (defaults, releases)")));
    }
    let defaults = match top.remove("defaults") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(bad("defaults: not a mapping of source keys".into())),
    };
    if defaults.contains_key("repository") {
        return Err(bad("defaults.repository: each release names its own repository".into()));
    }
    // The defaults on their own first, so that a typo there is named there.
    let mut probe = defaults.clone();
    probe.insert("repository".into(), Value::String("defaults/defaults".into()));
    Source::from_value(Value::Object(probe), "defaults").map_err(|e| bad(e.to_string()))?;
    let releases = match top.remove("releases") {
        Some(Value::Array(list)) if !list.is_empty() => list,
        Some(Value::Array(_)) => return Err(bad("releases: is empty; list the release repositories".into())),
        None | Some(Value::Null) => return Err(bad("releases: required key is missing".into())),
        Some(_) => return Err(bad("releases: not a list".into())),
    };
    releases
        .into_iter()
        .enumerate()
        .map(|(i, release)| {
            let Value::Object(release) = release else {
                return Err(bad(format!("releases[{i}]: not a mapping of source keys (repository at least)")));
            };
            let mut merged = merge(&defaults, release);
            if merged.get("access_token").is_none_or(Value::is_null)
                && let Some(t) = env_token
            {
                merged.insert("access_token".into(), Value::String(t.to_string()));
            }
            Source::from_value(Value::Object(merged), &format!("releases[{i}]")).map_err(|e| bad(e.to_string()))
        })
        .collect()
}

/// `defaults` under `release`, key by key: the release's value wins; `pull_request` and
/// `git_author` (small objects of independent keys) are merged one level down.
fn merge(defaults: &Map<String, Value>, mut release: Map<String, Value>) -> Map<String, Value> {
    for (key, default) in defaults {
        match (release.get_mut(key), default) {
            (None, _) => {
                release.insert(key.clone(), default.clone());
            }
            (Some(Value::Object(mine)), Value::Object(theirs)) if key == "pull_request" || key == "git_author" => {
                for (k, v) in theirs {
                    mine.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            _ => {}
        }
    }
    release
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_merge_key_by_key_and_the_release_wins() {
        let yml = r#"
defaults:
  access_token: tok-defaults-123
  go_proxy: http://127.0.0.1:1/goproxy
  pull_request: {branch_prefix: deps/, labels: [a]}
releases:
  - repository: o/one
  - repository: o/two
    access_token: tok-own-4567
    pull_request: {group: true}
"#;
        let s = parse_config(yml, "FLEET.yml", Some("tok-env-89012")).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].access_token.as_ref().unwrap().expose(), "tok-defaults-123");
        assert_eq!(s[1].access_token.as_ref().unwrap().expose(), "tok-own-4567");
        assert_eq!(s[1].go_proxy.as_str(), "http://127.0.0.1:1/goproxy/");
        assert_eq!(s[1].pull_request.branch_prefix, "deps/");
        assert!(s[1].pull_request.group);
        assert!(!s[0].pull_request.group);
    }

    #[test]
    fn the_readme_fleet_yml_is_valid() {
        let readme = include_str!("../../README.md");
        let start = readme.find("```yaml\n# FLEET.yml\n").expect("the README shows a FLEET.yml") + 8;
        let text = &readme[start..start + readme[start..].find("```").unwrap()];
        let s = parse_config(text, "README.md", Some("tok-env-89012")).unwrap();
        assert_eq!(s.len(), 4);
        assert_eq!(s[2].pull_request.branch_prefix, "currency/");
        assert!(s[2].pull_request.group);
        assert!(s.iter().all(|s| s.access_token.as_ref().unwrap().expose() == "tok-env-89012"));
    }

    #[test]
    fn github_token_is_the_access_token_only_where_none_is_set() {
        let s = parse_config(
            "releases: [{repository: o/a}, {repository: o/b, access_token: tok-own-4567}]",
            "f",
            Some("tok-env-89012"),
        )
        .unwrap();
        assert_eq!(s[0].access_token.as_ref().unwrap().expose(), "tok-env-89012");
        assert_eq!(s[1].access_token.as_ref().unwrap().expose(), "tok-own-4567");
        let s = parse_config("releases: [{repository: o/a}]", "f", Some("  ")).unwrap();
        assert!(s[0].access_token.is_none());
    }

    #[test]
    fn a_bad_fleet_yml_names_the_file_and_the_key() {
        let err = |t: &str| parse_config(t, "FLEET.yml", None).unwrap_err().to_string();
        assert_eq!(
            err("releases: [{repository: o/a, acces_token: x}]"),
            "FLEET.yml: releases[0].acces_token: unknown key"
        );
        assert_eq!(
            err("releases: [{repository: o/a}, {branch: main}]"),
            "FLEET.yml: releases[1].repository: required key is missing"
        );
        assert_eq!(
            err("defaults: {go_proxi: x}\nreleases: [{repository: o/a}]"),
            "FLEET.yml: defaults.go_proxi: unknown key"
        );
        assert_eq!(err("defaults: {}\n"), "FLEET.yml: releases: required key is missing");
        assert_eq!(err("releases: []"), "FLEET.yml: releases: is empty; list the release repositories");
        assert_eq!(err("release: []"), "FLEET.yml: release: unknown key (defaults, releases)");
        assert_eq!(
            err("releases: [o/a]"),
            "FLEET.yml: releases[0]: not a mapping of source keys (repository at least)"
        );
        assert!(err("releases: [").starts_with("FLEET.yml: not valid YAML"));
        assert_eq!(
            err("defaults: {repository: o/a}\nreleases: [{repository: o/b}]"),
            "FLEET.yml: defaults.repository: each release names its own repository"
        );
    }
}
