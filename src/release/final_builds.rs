//! `.final_builds/packages/<name>/index.yml`: where each final build of a package sits in the
//! release's blobstore — fingerprint → `{version, blobstore_id, sha1}` — and `spec.lock`'s
//! sibling when a package is vendored (`bosh vendor-package`).
//!
//! Written back exactly as bosh-cli writes it on every add: `builds:` with the keys in byte order,
//! each entry's fields `version`, `blobstore_id` (left out when empty), `sha1`, then
//! `format-version: "2"`; values styled as yaml.v2 styles strings. An old Ruby-era file (`---`
//! header, flow style, `'2'`) reads the same and is normalised by the first add, as bosh-cli does.
//!
//! Invariants: keys, versions, blob ids and digests are single words (no spaces, no line breaks),
//! so no value is ever folded; a `sha1` is the digest string as the source index holds it
//! (`sha256:<hex>` today, bare sha1 hex in old entries), never recomputed.

use std::collections::BTreeMap;

use yaml_serde::Value;

use crate::error::ParseError;
use crate::release::yaml_v2::Writer;
use crate::yaml::check_yaml_nesting;

/// One final build of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalBuild {
    /// The fingerprint (bosh-cli matches entries on it, not on the key).
    pub version: String,
    /// The object in the release's blobstore; final builds always have one.
    pub blobstore_id: Option<String>,
    /// The digest string of the package tarball: `sha256:<hex>`, or bare sha1 hex.
    pub sha1: String,
}

/// The index of one package's final builds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FinalIndex {
    /// Key (the fingerprint) → build; a `BTreeMap<String, _>` iterates in byte order, the order
    /// bosh-cli writes.
    pub builds: BTreeMap<String, FinalBuild>,
}

impl FinalIndex {
    pub fn parse(text: &str) -> Result<FinalIndex, ParseError> {
        check_yaml_nesting(text)?;
        let root: Value = yaml_serde::from_str(text).map_err(|e| ParseError::new(format!("not valid YAML: {e}")))?;
        let root = match root {
            Value::Mapping(m) => m,
            Value::Null => return Ok(FinalIndex::default()),
            _ => return Err(ParseError::new("expected a map with `builds` and `format-version`")),
        };
        match root.get("format-version") {
            Some(Value::String(v)) if v == "2" => {}
            Some(Value::Number(n)) if n.as_u64() == Some(2) => {}
            None => {}
            Some(_) => return Err(ParseError::new("format-version: only \"2\" is known")),
        }
        let mut builds = BTreeMap::new();
        match root.get("builds") {
            None | Some(Value::Null) => {}
            Some(Value::Mapping(m)) => {
                for (key, entry) in m {
                    let key = word(key).ok_or_else(|| ParseError::new("builds: a key is not a fingerprint"))?;
                    let build = build(&key, entry).map_err(|m| ParseError::new(format!("builds.{key}: {m}")))?;
                    builds.insert(key, build);
                }
            }
            Some(_) => return Err(ParseError::new("builds: expected a map of fingerprints")),
        }
        Ok(FinalIndex { builds })
    }

    /// The build whose `version` is `fingerprint`.
    pub fn find(&self, fingerprint: &str) -> Option<&FinalBuild> {
        self.builds.values().find(|b| b.version == fingerprint)
    }

    /// Adds the build of `fingerprint`, as bosh-cli's `FSIndex.Add`: refused when a value is
    /// empty or not one word, and when the fingerprint is already there.
    pub fn add(&mut self, fingerprint: &str, blobstore_id: &str, sha1: &str) -> Result<(), String> {
        for (what, value) in [("fingerprint", fingerprint), ("blobstore_id", blobstore_id), ("sha1", sha1)] {
            if value.is_empty() || value.contains(char::is_whitespace) {
                return Err(format!("{what} {value:?} is not a single word"));
            }
        }
        if self.find(fingerprint).is_some() || self.builds.contains_key(fingerprint) {
            return Err(format!("fingerprint {fingerprint} is already in the index"));
        }
        let build =
            FinalBuild { version: fingerprint.into(), blobstore_id: Some(blobstore_id.into()), sha1: sha1.into() };
        self.builds.insert(fingerprint.into(), build);
        Ok(())
    }

    /// The file as bosh-cli writes it.
    pub fn to_bosh_yaml(&self) -> String {
        if self.builds.is_empty() {
            return "builds: {}\nformat-version: \"2\"\n".into();
        }
        let mut w = Writer::default();
        for (key, b) in &self.builds {
            w.entry(key);
            w.str_field("version", &b.version);
            if let Some(id) = b.blobstore_id.as_deref().filter(|id| !id.is_empty()) {
                w.str_field("blobstore_id", id);
            }
            w.str_field("sha1", &b.sha1);
        }
        let mut out = String::from("builds:\n");
        for line in w.finish().lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
        out.push_str("format-version: \"2\"\n");
        out
    }
}

/// A scalar that is one word: a string, or a number as written (old files have bare-digit keys
/// only in theory; a float would have lost digits, so it is refused).
fn word(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_u64() => n.to_string(),
        _ => return None,
    };
    (!s.is_empty() && !s.contains(char::is_whitespace)).then_some(s)
}

fn build(key: &str, entry: &Value) -> Result<FinalBuild, String> {
    let Value::Mapping(m) = entry else { return Err("expected a map with version and sha1".into()) };
    let field = |name: &str| m.get(name).map(|v| word(v).ok_or(format!("{name} is not a single word")));
    let version = field("version").unwrap_or_else(|| Ok(key.to_string()))?;
    let blobstore_id = field("blobstore_id").transpose()?;
    let sha1 = field("sha1").ok_or("sha1 is missing")??;
    Ok(FinalBuild { version, blobstore_id, sha1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP_A: &str = "1f0e6c2a4b7d9e8f00112233445566778899aabbccddeeff0011223344556677";
    const FP_B: &str = "8c3b5a0d2e4f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d";

    fn two() -> String {
        format!(
            "builds:\n  {FP_A}:\n    version: {FP_A}\n    blobstore_id: 0b6f1c2e-7a3d-4e5f-6a7b-8c9d0e1f2a3b\n    \
             sha1: sha256:aa11\n  {FP_B}:\n    version: {FP_B}\n    blobstore_id: 5d4c3b2a-1f0e-4d9c-4b8a-796857463524\n    \
             sha1: sha256:bb22\nformat-version: \"2\"\n"
        )
    }

    #[test]
    fn an_index_bosh_wrote_reads_and_writes_back_byte_for_byte() {
        let index = FinalIndex::parse(&two()).unwrap();
        assert_eq!(index.builds.len(), 2);
        assert_eq!(index.find(FP_B).unwrap().blobstore_id.as_deref(), Some("5d4c3b2a-1f0e-4d9c-4b8a-796857463524"));
        assert_eq!(index.to_bosh_yaml(), two());
    }

    #[test]
    fn an_added_build_takes_its_place_in_byte_order_with_the_digest_as_given() {
        let mut index = FinalIndex::parse(&two()).unwrap();
        let fp = "3ebf8d2b96ce770b0017661484a557e3d44b4508";
        index.add(fp, "d3934416-0ac8-428a-5675-0dba195d86f3", "2baa73e173490135011eb2f29c9d2f240e68664b").unwrap();
        let text = index.to_bosh_yaml();
        let keys: Vec<&str> = text.lines().filter(|l| l.starts_with("  ") && !l.starts_with("    ")).collect();
        assert_eq!(keys, [format!("  {FP_A}:"), format!("  {fp}:"), format!("  {FP_B}:")]);
        assert!(text.contains("    sha1: 2baa73e173490135011eb2f29c9d2f240e68664b\n"), "{text}");
        assert!(index.add(fp, "x", "y").unwrap_err().contains("already in the index"));
        assert!(index.add("f", "an id", "y").unwrap_err().contains("blobstore_id"));
    }

    #[test]
    fn a_ruby_era_index_is_read_and_normalised_on_write() {
        let ruby = format!(
            "---\nbuilds:\n  {FP_A}:\n    version: {FP_A}\n    sha1: sha256:aa11\n    blobstore_id: 0b6f\nformat-version: '2'\n"
        );
        let index = FinalIndex::parse(&ruby).unwrap();
        assert_eq!(
            index.to_bosh_yaml(),
            format!(
                "builds:\n  {FP_A}:\n    version: {FP_A}\n    blobstore_id: 0b6f\n    sha1: sha256:aa11\nformat-version: \"2\"\n"
            )
        );
        let flow = format!(
            "--- {{builds: {{{FP_A}: {{version: {FP_A}, sha1: sha256:aa11, blobstore_id: 0b6f}}}}, format-version: '2'}}\n"
        );
        assert_eq!(FinalIndex::parse(&flow).unwrap(), index);
    }

    #[test]
    fn a_digest_that_would_read_as_a_number_is_double_quoted_as_yaml_v2_does() {
        let mut index = FinalIndex::default();
        index.add("1234567890", "0b6f", "1e10").unwrap();
        assert!(
            index.to_bosh_yaml().contains("  \"1234567890\":\n    version: \"1234567890\"\n"),
            "{}",
            index.to_bosh_yaml()
        );
        assert!(index.to_bosh_yaml().contains("    sha1: \"1e10\"\n"));
    }

    #[test]
    fn a_broken_index_is_an_error_naming_the_entry() {
        let e = FinalIndex::parse(&format!("builds:\n  {FP_A}:\n    version: {FP_A}\n")).unwrap_err();
        assert_eq!(e.to_string(), format!("builds.{FP_A}: sha1 is missing"));
        assert!(FinalIndex::parse("builds: [a]\n").is_err());
        assert!(FinalIndex::parse("builds: {}\nformat-version: \"3\"\n").is_err());
        assert_eq!(FinalIndex::parse("").unwrap(), FinalIndex::default());
    }
}
