//! `config/final.yml` and `config/private.yml`: the release's name and its blobstore.
//!
//! Invariants:
//! - a [`FinalConfig`] never has both `name` and `final_name` (bosh-cli refuses that file);
//! - parsing does not judge the provider: [`FinalConfig::validate_provider`] does, for the callers
//!   that talk to the blobstore (a report does not need one);
//! - only `blobstore.options` is read from `private.yml`, and **no error from
//!   [`parse_private_options`] quotes anything from that file** (it holds credentials): messages
//!   carry at most a line number and the name of the offending structural key;
//! - option values are converted to JSON values as they are (bosh-cli JSON-marshals them into the
//!   s3/gcs client config); merging is key by key with `private.yml` winning ([`merge_options`]).

use serde_json::{Map, Value as Json};
use yaml_serde::Value;

use crate::error::ParseError;
use crate::yaml::check_yaml_nesting;

/// The providers bosh-cli v2 accepts for a release blobstore.
pub const PROVIDERS: [&str; 3] = ["local", "s3", "gcs"];

/// `config/final.yml`.
#[derive(Debug, Clone, PartialEq)]
pub struct FinalConfig {
    pub name: Option<String>,
    /// The legacy spelling of `name` (nats-release still uses it).
    pub final_name: Option<String>,
    pub blobstore: BlobstoreConfig,
    pub no_compression: bool,
}

/// `blobstore:` of `final.yml`. A file without a blobstore yields an empty provider, which
/// [`FinalConfig::validate_provider`] rejects.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlobstoreConfig {
    pub provider: String,
    pub options: Map<String, Json>,
}

impl FinalConfig {
    /// Parse `config/final.yml`. Unknown top-level keys are ignored, as bosh-cli ignores them.
    pub fn parse(text: &str) -> Result<FinalConfig, ParseError> {
        check_yaml_nesting(text)?;
        let root: Value = yaml_serde::from_str(text).map_err(|e| {
            let msg = format!("not valid YAML: {e}");
            match e.location() {
                Some(l) => ParseError::at(l.line(), msg),
                None => ParseError::new(msg),
            }
        })?;
        let root = match root {
            Value::Null => yaml_serde::Mapping::new(),
            Value::Mapping(m) => m,
            _ => return Err(ParseError::new("expected a map at the top level")),
        };
        let name = optional_string(&root, "name")?;
        let final_name = optional_string(&root, "final_name")?;
        if name.is_some() && final_name.is_some() {
            return Err(ParseError::new("both name and final_name are set; keep only name"));
        }
        let no_compression = match root.get("no_compression") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(ParseError::new("no_compression must be true or false")),
        };
        let blobstore = match root.get("blobstore") {
            None | Some(Value::Null) => BlobstoreConfig::default(),
            Some(Value::Mapping(b)) => {
                let provider = optional_string(b, "provider")
                    .map_err(|_| ParseError::new("blobstore.provider must be a string"))?
                    .unwrap_or_default();
                let options = match b.get("options") {
                    None | Some(Value::Null) => Map::new(),
                    Some(Value::Mapping(o)) => {
                        mapping_to_json(o).map_err(|e| ParseError::new(format!("blobstore.options{e}")))?
                    }
                    Some(_) => return Err(ParseError::new("blobstore.options must be a map")),
                };
                BlobstoreConfig { provider, options }
            }
            Some(_) => return Err(ParseError::new("blobstore must be a map")),
        };
        Ok(FinalConfig { name, final_name, blobstore, no_compression })
    }

    /// The release's name: `name`, or else the legacy `final_name`.
    pub fn release_name(&self) -> Option<&str> {
        self.name.as_deref().or(self.final_name.as_deref())
    }

    /// bosh-cli v2 accepts only `local`, `s3` and `gcs` for a release blobstore.
    pub fn validate_provider(&self) -> Result<(), ParseError> {
        let p = self.blobstore.provider.as_str();
        if PROVIDERS.contains(&p) {
            Ok(())
        } else if p.is_empty() {
            Err(ParseError::new("blobstore.provider is not set (expected local, s3 or gcs)"))
        } else {
            Err(ParseError::new(format!(
                "blobstore.provider {p:?} is not supported by bosh-cli (expected local, s3 or gcs)"
            )))
        }
    }
}

fn optional_string(map: &yaml_serde::Mapping, key: &str) -> Result<Option<String>, ParseError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ParseError::new(format!("{key} must be a string"))),
    }
}

/// Read `blobstore.options` from `config/private.yml`. A file without them yields an empty map.
///
/// Errors never quote the file: a YAML syntax error reports only its line ("not valid YAML"), and
/// structural errors name only the structural key (`blobstore`, `blobstore.options`).
pub fn parse_private_options(text: &str) -> Result<Map<String, Json>, ParseError> {
    check_yaml_nesting(text)?;
    // yaml_serde's messages can quote the input; keep only the position.
    let root: Value = yaml_serde::from_str(text).map_err(|e| match e.location() {
        Some(l) => ParseError::at(l.line(), "not valid YAML"),
        None => ParseError::new("not valid YAML"),
    })?;
    let root = match root {
        Value::Null => return Ok(Map::new()),
        Value::Mapping(m) => m,
        _ => return Err(ParseError::new("expected a map at the top level")),
    };
    let options = match root.get("blobstore") {
        None | Some(Value::Null) => return Ok(Map::new()),
        Some(Value::Mapping(b)) => b.get("options"),
        Some(_) => return Err(ParseError::new("blobstore must be a map")),
    };
    match options {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Mapping(o)) => mapping_to_json(o).map_err(|_| {
            ParseError::new(
                "blobstore.options holds a value that cannot be used (a non-string key, a tagged \
                 value or a non-finite number)",
            )
        }),
        Some(_) => Err(ParseError::new("blobstore.options must be a map")),
    }
}

/// `final` overlaid key by key with `private`; `private` wins on a clash.
pub fn merge_options(final_options: &Map<String, Json>, private: &Map<String, Json>) -> Map<String, Json> {
    let mut merged = final_options.clone();
    for (k, v) in private {
        merged.insert(k.clone(), v.clone());
    }
    merged
}

/// Convert a YAML map to a JSON object. The error is a path suffix (`.key`, `[2]`) plus a reason;
/// it never contains a value.
fn mapping_to_json(m: &yaml_serde::Mapping) -> Result<Map<String, Json>, String> {
    let mut out = Map::new();
    for (k, v) in m {
        let key = match k {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(": a key is not a string".to_string()),
        };
        let value = yaml_to_json(v).map_err(|e| format!(".{key}{e}"))?;
        out.insert(key, value);
    }
    Ok(out)
}

fn yaml_to_json(v: &Value) -> Result<Json, String> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Json::from(u)
            } else if let Some(i) = n.as_i64() {
                Json::from(i)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                Json::Number(serde_json::Number::from_f64(f).ok_or(": not a finite number".to_string())?)
            }
        }
        Value::String(s) => Json::String(s.clone()),
        Value::Sequence(seq) => Json::Array(
            seq.iter()
                .enumerate()
                .map(|(i, x)| yaml_to_json(x).map_err(|e| format!("[{i}]{e}")))
                .collect::<Result<_, _>>()?,
        ),
        Value::Mapping(m) => Json::Object(mapping_to_json(m)?),
        Value::Tagged(_) => return Err(": tagged values are not supported".to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const GCS_FINAL: &str = "\
---
final_name: nats-like
blobstore:
  provider: gcs
  options:
    bucket_name: some-release-blobs
";

    const S3_FINAL: &str = "\
name: etcd-like
blobstore:
  provider: s3
  options:
    bucket_name: some-bucket
    region: us-east1
    host: storage.googleapis.com
    port: 443
    use_ssl: true
no_compression: true
";

    #[test]
    fn a_legacy_final_name_is_the_release_name() {
        let c = FinalConfig::parse(GCS_FINAL).unwrap();
        assert_eq!(c.name, None);
        assert_eq!(c.release_name(), Some("nats-like"));
        assert_eq!(c.blobstore.provider, "gcs");
        assert_eq!(c.blobstore.options["bucket_name"], json!("some-release-blobs"));
        assert!(!c.no_compression);
        c.validate_provider().unwrap();
    }

    #[test]
    fn s3_options_keep_their_types() {
        let c = FinalConfig::parse(S3_FINAL).unwrap();
        assert_eq!(c.release_name(), Some("etcd-like"));
        assert_eq!(c.blobstore.options["port"], json!(443));
        assert_eq!(c.blobstore.options["use_ssl"], json!(true));
        assert!(c.no_compression);
    }

    #[test]
    fn name_and_final_name_together_are_an_error() {
        let err = FinalConfig::parse("name: a\nfinal_name: b\nblobstore: {provider: s3}\n").unwrap_err();
        assert!(err.message.contains("both name and final_name"));
    }

    #[test]
    fn an_unsupported_provider_parses_but_does_not_validate() {
        let c = FinalConfig::parse("name: x\nblobstore:\n  provider: dav\n").unwrap();
        assert_eq!(c.blobstore.provider, "dav");
        let err = c.validate_provider().unwrap_err();
        assert!(err.message.contains("\"dav\""), "{}", err.message);
    }

    #[test]
    fn a_missing_blobstore_parses_but_does_not_validate() {
        let c = FinalConfig::parse("name: x\n").unwrap();
        assert_eq!(c.blobstore, BlobstoreConfig::default());
        assert!(c.validate_provider().is_err());
    }

    #[test]
    fn every_supported_provider_validates() {
        for p in PROVIDERS {
            let c = FinalConfig::parse(&format!("name: x\nblobstore: {{provider: {p}}}\n")).unwrap();
            c.validate_provider().unwrap();
        }
    }

    #[test]
    fn private_options_are_read_and_win_over_final_ones() {
        let private = "\
blobstore:
  provider: ignored
  options:
    credentials_source: static
    json_key: '{\"type\": \"service_account\"}'
    bucket_name: override
";
        let p = parse_private_options(private).unwrap();
        assert_eq!(p.len(), 3);
        let f = FinalConfig::parse(GCS_FINAL).unwrap();
        let merged = merge_options(&f.blobstore.options, &p);
        assert_eq!(merged["bucket_name"], json!("override"));
        assert_eq!(merged["credentials_source"], json!("static"));
        assert_eq!(merged.len(), 3);
    }

    #[test]
    fn merging_keeps_final_options_private_does_not_set() {
        let f = FinalConfig::parse(S3_FINAL).unwrap();
        let p = parse_private_options("blobstore:\n  options:\n    access_key_id: k\n").unwrap();
        let merged = merge_options(&f.blobstore.options, &p);
        assert_eq!(merged["host"], json!("storage.googleapis.com"));
        assert_eq!(merged["access_key_id"], json!("k"));
    }

    #[test]
    fn a_private_file_without_options_yields_nothing() {
        for text in ["", "# nothing\n", "blobstore:\n", "blobstore:\n  provider: s3\n", "other: 1\n"] {
            assert!(parse_private_options(text).unwrap().is_empty(), "{text:?}");
        }
    }

    #[test]
    fn private_yaml_errors_give_a_line_and_never_the_content() {
        let secret = "hunter2-SECRET";
        let text = format!("blobstore:\n  options:\n    secret_access_key: {secret}\n  - \"{secret}\n");
        let err = parse_private_options(&text).unwrap_err();
        assert!(err.line.is_some());
        assert_eq!(err.message, "not valid YAML");
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn deep_flow_nesting_is_refused_before_parsing() {
        let deep = format!("blobstore:\n  options: {}", "{a: ".repeat(100_000));
        let started = std::time::Instant::now();
        let err = FinalConfig::parse(&deep).unwrap_err();
        assert!(err.message.contains("nested too deeply"), "{}", err.message);
        assert!(parse_private_options(&deep).is_err());
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        // A few hundred are fine (yaml_serde itself stops at 128 levels).
        let err = FinalConfig::parse(&format!("name: {}", "[".repeat(500))).unwrap_err();
        assert!(!err.message.contains("nested too deeply"), "{}", err.message);
    }

    #[test]
    fn private_structural_errors_never_quote_values() {
        let cases = [
            "blobstore: hunter2-SECRET\n",
            "blobstore:\n  options: hunter2-SECRET\n",
            "blobstore:\n  options:\n    json_key: !secret hunter2-SECRET\n",
            "- hunter2-SECRET\n",
        ];
        for text in cases {
            let err = parse_private_options(text).unwrap_err();
            assert!(!err.to_string().contains("hunter2"), "{text:?}: {err}");
        }
    }
}
