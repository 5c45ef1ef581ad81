//! `config/blobs.yml`: the index of a release's blobs, from blob path (relative to `blobs/`) to
//! `{size, object_id, sha}`.
//!
//! Reading accepts both spellings found in real repositories: the bosh-cli v2 form (no `---`,
//! fields `size`, `object_id`, `sha`) and the legacy Ruby CLI form (`---` first, fields
//! `object_id`, `sha`, `size`), plus `--- {}`, an empty file and a file holding only comments.
//!
//! Invariants:
//! - every key of [`BlobsFile::entries`] is a safe relative path below `blobs/`
//!   ([`validate_blob_path`]); parsing rejects anything else, naming the key;
//! - `sha` is kept verbatim (sha1 hex, `sha256:<hex>`, `sha512:<hex>` or several joined by `;`);
//!   [`parse_digests`] interprets it on demand;
//! - an absent or empty `object_id` is `None` (a blob added but not uploaded yet);
//! - [`BlobsFile::to_bosh_yaml`] writes exactly the bytes bosh-cli v2 writes (gopkg.in/yaml.v2
//!   `Marshal` of a Go map, through [`yaml_v2`]): no `---`, keys in yaml.v2's key order
//!   ([`yaml_v2::yaml_v2_key_cmp`]), fields in the order `size`, `object_id` (omitted when
//!   `None`), `sha`, `{}` for an empty index. So a file bosh-cli wrote parses and writes back
//!   byte-identical.
//! - yaml.v2's key order is not transitive (`go1.9 < go1.10.3 < go1.1rc1 < go1.9`), so for some
//!   key sets bosh-cli's own output depends on Go's random map order. Go sorts up to 12 keys by
//!   insertion sort; the writer does the same, starting from the order of the parsed file, so a
//!   file bosh-cli wrote is kept as it is and new keys are slotted in the way bosh-cli could have.

use std::collections::BTreeMap;
use std::fmt;

use yaml_serde::Value;

use crate::error::ParseError;
use crate::files::{PathProblem, relative_path_problem};
use crate::release::yaml_v2::{self, is_break};

/// One blob of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobEntry {
    /// Size in bytes.
    pub size: u64,
    /// The blobstore object id (a UUID); `None` until `bosh upload-blobs` ran.
    pub object_id: Option<String>,
    /// The digest(s) exactly as written in the file.
    pub sha: String,
}

/// The whole `config/blobs.yml`.
#[derive(Debug, Clone, Default)]
pub struct BlobsFile {
    /// Blob path (relative to `blobs/`) to entry. The map's byte order is only for storage; the
    /// writer sorts with [`yaml_v2::yaml_v2_key_cmp`].
    pub entries: BTreeMap<String, BlobEntry>,
    /// Keys in the order the parsed file listed them: where the writer's sort starts.
    file_order: Vec<String>,
}

/// Two indexes are equal when their entries are; the order the file listed them in does not count.
impl PartialEq for BlobsFile {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl Eq for BlobsFile {}

impl BlobsFile {
    /// Parse `config/blobs.yml` in either the bosh-cli v2 or the legacy Ruby form.
    pub fn parse(text: &str) -> Result<BlobsFile, ParseError> {
        let value: Value = yaml_serde::from_str(text).map_err(|e| {
            let line = e.location().map(|l| l.line());
            let msg = format!("not valid YAML: {e}");
            match line {
                Some(l) => ParseError::at(l, msg),
                None => ParseError::new(msg),
            }
        })?;
        let mapping = match value {
            Value::Null => return Ok(BlobsFile::default()),
            Value::Mapping(m) => m,
            _ => {
                return Err(ParseError::new("expected a map from blob path to blob entry"));
            }
        };
        let mut entries = BTreeMap::new();
        let mut file_order = Vec::new();
        for (key, entry) in mapping {
            let Value::String(path) = key else {
                return Err(ParseError::new(format!("blob path {} is not a string", describe_key(&key))));
            };
            let at = |msg: String| match top_level_key_line(text, &path) {
                Some(l) => ParseError::at(l, msg),
                None => ParseError::new(msg),
            };
            validate_blob_path(&path).map_err(|e| at(e.message))?;
            let entry = parse_entry(&path, entry).map_err(at)?;
            file_order.push(path.clone());
            entries.insert(path, entry);
        }
        Ok(BlobsFile { entries, file_order })
    }

    /// The file as bosh-cli v2 writes it (see the module doc).
    ///
    /// Scalars are styled the way yaml.v2 styles strings:
    /// - plain when the text would read back as the same string;
    /// - double-quoted when, unquoted, it would read back as something else under yaml.v2's
    ///   YAML 1.1 resolver (`true`, `yes`, `1.5`, `0x1F`, `2024-01-02`, `1:20`, empty, …);
    /// - single-quoted when yaml.v2's emitter refuses a plain scalar (leading indicator such as
    ///   `*`, `&`, `!`, `-␠`, a `: ` or ` #` inside, leading or trailing space);
    /// - double-quoted with escapes for control characters and characters outside the BMP.
    ///
    /// Long values with spaces fold at column 80 as yaml.v2 does; a value with a line feed is a
    /// `|` literal block. A key longer than 128 bytes or holding a line break is written in
    /// yaml.v2's explicit `? key` / `: ` form.
    ///
    /// Checked against gopkg.in/yaml.v2 v2.4.0 (`yaml.Marshal` of bosh-cli's blob struct) on
    /// thousands of generated keys and values. Known gap: a literal value ending in two or more
    /// line breaks (`|+`) as the very last scalar, after which yaml.v2 also writes a `...` line.
    pub fn to_bosh_yaml(&self) -> String {
        let mut keys: Vec<&String> = self.file_order.iter().filter(|k| self.entries.contains_key(*k)).collect();
        let mut seen: std::collections::HashSet<&String> = keys.iter().copied().collect();
        keys.extend(self.entries.keys().filter(|k| seen.insert(*k)));
        yaml_v2::sort_keys(&mut keys);
        let mut w = yaml_v2::Writer::default();
        for key in keys {
            let entry = &self.entries[key];
            w.entry(key);
            w.int_field("size", entry.size);
            if let Some(id) = entry.object_id.as_deref().filter(|id| !id.is_empty()) {
                w.str_field("object_id", id);
            }
            w.str_field("sha", &entry.sha);
        }
        w.finish()
    }
}

impl BlobEntry {
    /// Every digest the `sha` field carries.
    pub fn digests(&self) -> Result<Vec<Digest>, ParseError> {
        parse_digests(&self.sha)
    }

    /// The digest bosh verifies against: sha512 over sha256 over sha1.
    pub fn strongest_digest(&self) -> Result<Digest, ParseError> {
        let digests = self.digests()?;
        // parse_digests never returns an empty list.
        let mut best = digests[0].clone();
        for d in digests.into_iter().skip(1) {
            if d.strength() > best.strength() {
                best = d;
            }
        }
        Ok(best)
    }
}

fn parse_entry(path: &str, value: Value) -> Result<BlobEntry, String> {
    let Value::Mapping(fields) = value else {
        return Err(format!("blob {path:?}: entry is not a map"));
    };
    let mut size = None;
    let mut object_id = None;
    let mut sha = None;
    let mut unknown = Vec::new();
    for (k, v) in fields {
        let name = match &k {
            Value::String(s) => s.as_str(),
            other => {
                unknown.push(describe_key(other));
                continue;
            }
        };
        match name {
            "size" => {
                size = Some(match &v {
                    Value::Number(n) => n
                        .as_u64()
                        .ok_or_else(|| format!("blob {path:?}: size must be a non-negative integer, got {n}"))?,
                    _ => {
                        return Err(format!("blob {path:?}: size must be a non-negative integer"));
                    }
                });
            }
            "object_id" => {
                object_id = match v {
                    Value::Null => None,
                    Value::String(s) if s.is_empty() => None,
                    Value::String(s) => Some(s),
                    _ => return Err(format!("blob {path:?}: object_id must be a string")),
                };
            }
            "sha" => {
                sha = match v {
                    Value::String(s) if !s.is_empty() => Some(s),
                    Value::Number(_) => {
                        return Err(format!(
                            "blob {path:?}: sha must be a string (quote a digest made only of \
                             digits)"
                        ));
                    }
                    _ => return Err(format!("blob {path:?}: sha must be a non-empty string")),
                };
            }
            other => unknown.push(format!("{other:?}")),
        }
    }
    if !unknown.is_empty() {
        let s = if unknown.len() == 1 { "" } else { "s" };
        return Err(format!("blob {path:?}: unknown field{s} {}", unknown.join(", ")));
    }
    Ok(BlobEntry {
        size: size.ok_or_else(|| format!("blob {path:?}: missing size"))?,
        object_id,
        sha: sha.ok_or_else(|| format!("blob {path:?}: missing sha"))?,
    })
}

fn describe_key(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_string(),
        _ => "(a collection)".to_string(),
    }
}

/// 1-based line of a top-level key (plain or quoted) in `text`, for error messages. Best effort.
fn top_level_key_line(text: &str, key: &str) -> Option<usize> {
    let candidates = [format!("{key}:"), format!("\"{key}\":"), format!("'{key}':")];
    text.lines().position(|line| candidates.iter().any(|c| line.starts_with(c.as_str()))).map(|i| i + 1)
}

/// Check that `path` names a file strictly below `blobs/`: relative, no `..`, `.` or empty
/// component, no backslash, NUL, other control character or line break.
///
/// bosh-cli only rejects paths that escape `blobs/`; `.` components and control characters are
/// rejected here as well because they make two spellings of one blob possible or cannot be written
/// back as a simple YAML key.
pub fn validate_blob_path(path: &str) -> Result<(), ParseError> {
    let why = match relative_path_problem(path) {
        Some(p @ (PathProblem::Empty | PathProblem::Nul | PathProblem::Backslash)) => blob_path_problem(p),
        _ if path.chars().any(|c| c.is_control() || is_break(c)) => "contains a control character or line break",
        Some(p) => blob_path_problem(p),
        None => return Ok(()),
    };
    Err(ParseError::new(format!("invalid blob path {path:?}: {why}")))
}

/// How [`validate_blob_path`] words a broken rule of [`crate::files::is_safe_relative_path`].
fn blob_path_problem(problem: PathProblem) -> &'static str {
    match problem {
        PathProblem::Empty => "empty",
        PathProblem::Nul => "contains NUL",
        PathProblem::Backslash => "contains a backslash",
        PathProblem::Absolute => "absolute path",
        PathProblem::EmptyComponent => "empty path component",
        PathProblem::ParentComponent => "leaves blobs/",
        PathProblem::DotComponent => "contains a \".\" component",
    }
}

// ---------------------------------------------------------------------------------------------
// Digests

/// One digest of a blob, hex in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Digest {
    Sha1(String),
    Sha256(String),
    Sha512(String),
}

impl Digest {
    /// `sha1`, `sha256` or `sha512`.
    pub fn algorithm(&self) -> &'static str {
        match self {
            Digest::Sha1(_) => "sha1",
            Digest::Sha256(_) => "sha256",
            Digest::Sha512(_) => "sha512",
        }
    }

    /// The lower-case hex digest.
    pub fn hex(&self) -> &str {
        match self {
            Digest::Sha1(h) | Digest::Sha256(h) | Digest::Sha512(h) => h,
        }
    }

    fn strength(&self) -> u8 {
        match self {
            Digest::Sha1(_) => 1,
            Digest::Sha256(_) => 2,
            Digest::Sha512(_) => 3,
        }
    }
}

/// bosh's spelling: bare hex for sha1, `<algo>:<hex>` otherwise.
impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Digest::Sha1(h) => f.write_str(h),
            other => write!(f, "{}:{}", other.algorithm(), other.hex()),
        }
    }
}

/// Parse a `sha` field: one or more digests joined by `;`, each bare 40-hex (sha1) or
/// `sha1:`/`sha256:`/`sha512:` followed by hex of the right length. Upper-case hex is accepted
/// and returned in lower case. Never returns an empty list.
pub fn parse_digests(sha: &str) -> Result<Vec<Digest>, ParseError> {
    if sha.is_empty() {
        return Err(ParseError::new("empty digest"));
    }
    sha.split(';').map(parse_one_digest).collect()
}

fn parse_one_digest(s: &str) -> Result<Digest, ParseError> {
    let (algo, hex) = match s.split_once(':') {
        Some((a, h)) => (a, h),
        None => ("sha1", s),
    };
    let (len, make): (usize, fn(String) -> Digest) = match algo {
        "sha1" => (40, Digest::Sha1),
        "sha256" => (64, Digest::Sha256),
        "sha512" => (128, Digest::Sha512),
        _ => {
            return Err(ParseError::new(format!(
                "digest {s:?}: unknown algorithm {algo:?} (expected sha1, sha256 or sha512)"
            )));
        }
    };
    if hex.len() != len || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ParseError::new(format!("digest {s:?}: expected {len} hex digits for {algo}")));
    }
    Ok(make(hex.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const V2: &str = "\
etcd/etcd-v3.3.15-linux-amd64.tar.gz:
  size: 14194932
  object_id: 0b6c1a52-8f0e-4c1e-5a7d-1f2e3d4c5b6a
  sha: 6c8fa2fb13d01c6c2a4b0a7e3f0e1f59a3c1c6d1
golang-darwin/go1.22.0.darwin-amd64.tar.gz:
  size: 70336967
  object_id: 9d1e2f3a-4b5c-4d6e-7f80-91a2b3c4d5e6
  sha: sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0
golang/go1.9.7.linux-amd64.tar.gz:
  size: 119000000
  object_id: 11111111-2222-4333-8444-555555555555
  sha: a94a8fe5ccb19ba61c4c0873d391e987982fbbd3
golang/go1.10.3.linux-amd64.tar.gz:
  size: 120000000
  sha: sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
";

    const LEGACY: &str = "\
---
golang/go1.4.2.linux-amd64.tar.gz:
  object_id: a0b1c2d3-e4f5-4a6b-9c8d-7e6f5a4b3c2d
  sha: 0123456789abcdef0123456789abcdef01234567
  size: 62000000
";

    const LEGACY_AS_V2: &str = "\
golang/go1.4.2.linux-amd64.tar.gz:
  size: 62000000
  object_id: a0b1c2d3-e4f5-4a6b-9c8d-7e6f5a4b3c2d
  sha: 0123456789abcdef0123456789abcdef01234567
";

    fn entry(size: u64, object_id: Option<&str>, sha: &str) -> BlobEntry {
        BlobEntry { size, object_id: object_id.map(str::to_string), sha: sha.to_string() }
    }

    fn single(key: &str) -> BlobsFile {
        let mut f = BlobsFile::default();
        f.entries.insert(key.to_string(), entry(1, None, "sha256:ab"));
        f
    }

    #[test]
    fn a_v2_file_is_read_with_every_field() {
        let f = BlobsFile::parse(V2).unwrap();
        assert_eq!(f.entries.len(), 4);
        assert_eq!(
            f.entries["etcd/etcd-v3.3.15-linux-amd64.tar.gz"],
            entry(14194932, Some("0b6c1a52-8f0e-4c1e-5a7d-1f2e3d4c5b6a"), "6c8fa2fb13d01c6c2a4b0a7e3f0e1f59a3c1c6d1")
        );
    }

    #[test]
    fn a_v2_file_writes_back_byte_identical() {
        let f = BlobsFile::parse(V2).unwrap();
        assert_eq!(f.to_bosh_yaml(), V2);
    }

    #[test]
    fn a_legacy_ruby_file_is_read_and_written_in_v2_form() {
        let f = BlobsFile::parse(LEGACY).unwrap();
        assert_eq!(
            f.entries["golang/go1.4.2.linux-amd64.tar.gz"].object_id.as_deref(),
            Some("a0b1c2d3-e4f5-4a6b-9c8d-7e6f5a4b3c2d")
        );
        assert_eq!(f.to_bosh_yaml(), LEGACY_AS_V2);
    }

    #[test]
    fn an_entry_without_object_id_is_valid_and_written_without_it() {
        let text = "go1.22.0.linux-amd64.tar.gz:\n  size: 5\n  sha: sha256:abcd\n";
        let f = BlobsFile::parse(text).unwrap();
        assert_eq!(f.entries["go1.22.0.linux-amd64.tar.gz"].object_id, None);
        assert_eq!(f.to_bosh_yaml(), text);
    }

    #[test]
    fn an_empty_or_null_object_id_reads_as_none() {
        let f = BlobsFile::parse("a:\n  size: 1\n  object_id: ''\n  sha: x\nb:\n  size: 1\n  object_id:\n  sha: y\n")
            .unwrap();
        assert_eq!(f.entries["a"].object_id, None);
        assert_eq!(f.entries["b"].object_id, None);
    }

    #[test]
    fn empty_indexes_in_every_spelling_parse_to_nothing() {
        for text in ["", "--- {}\n", "{}\n", "# no blobs yet\n", "---\n", "\n\n# a\n# b\n"] {
            let f = BlobsFile::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert!(f.entries.is_empty(), "{text:?}");
        }
    }

    #[test]
    fn an_empty_index_is_written_as_an_empty_flow_map() {
        assert_eq!(BlobsFile::default().to_bosh_yaml(), "{}\n");
        assert_eq!(BlobsFile::parse("--- {}\n").unwrap().to_bosh_yaml(), "{}\n");
    }

    #[test]
    fn a_path_leaving_blobs_is_rejected_naming_the_key() {
        let err = BlobsFile::parse("../x:\n  size: 1\n  sha: abc\n").unwrap_err();
        assert_eq!(err.message, "invalid blob path \"../x\": leaves blobs/");
        assert_eq!(err.line, Some(1));
    }

    #[test]
    fn unsafe_paths_are_rejected() {
        for bad in ["/etc/passwd", "a/../../x", "a//b", "a/", "a\\b", "a\0b", "", "./a", "a/./b"] {
            let err = validate_blob_path(bad).unwrap_err();
            assert!(err.message.starts_with("invalid blob path"), "{bad:?}: {}", err.message);
        }
        for good in ["a", "golang/go1.22.0.linux-amd64.tar.gz", "a..b/c", ".hidden/x"] {
            validate_blob_path(good).unwrap();
        }
    }

    #[test]
    fn an_unknown_field_is_an_error_naming_it() {
        let err = BlobsFile::parse("a:\n  size: 1\n  sha: abc\n  sha1: abc\n  colour: red\n").unwrap_err();
        assert!(err.message.contains("unknown fields \"sha1\", \"colour\""), "{}", err.message);
        assert!(err.message.contains("blob \"a\""), "{}", err.message);
    }

    #[test]
    fn a_negative_or_fractional_size_is_rejected() {
        for size in ["-1", "1.5", "\"12\"", "~"] {
            let text = format!("a:\n  size: {size}\n  sha: abc\n");
            let err = BlobsFile::parse(&text).unwrap_err();
            assert!(err.message.contains("size must be a non-negative integer"), "{size}");
        }
    }

    #[test]
    fn an_unquoted_all_digit_sha_asks_for_quotes() {
        let text = "a:\n  size: 1\n  sha: 1234567890123456789012345678901234567890\n";
        let err = BlobsFile::parse(text).unwrap_err();
        assert!(err.message.contains("quote"), "{}", err.message);
        let quoted = "a:\n  size: 1\n  sha: \"1234567890123456789012345678901234567890\"\n";
        assert_eq!(BlobsFile::parse(quoted).unwrap().to_bosh_yaml(), quoted);
    }

    #[test]
    fn missing_size_or_sha_is_an_error() {
        assert!(BlobsFile::parse("a:\n  sha: abc\n").unwrap_err().message.contains("missing size"));
        assert!(BlobsFile::parse("a:\n  size: 3\n").unwrap_err().message.contains("missing sha"));
    }

    #[test]
    fn a_document_that_is_not_a_map_is_rejected() {
        assert!(BlobsFile::parse("- a\n- b\n").is_err());
        assert!(BlobsFile::parse("a: [1\n").is_err());
    }

    #[test]
    fn the_writer_orders_entries_like_bosh_not_by_bytes() {
        let mut f = BlobsFile::default();
        for k in ["golang/go1.10.3.tgz", "golang/go1.9.7.tgz", "golang-darwin/go1.9.tgz", "a"] {
            f.entries.insert(k.to_string(), entry(1, None, "sha256:ab"));
        }
        let out = f.to_bosh_yaml();
        let keys: Vec<&str> = out.lines().filter(|l| !l.starts_with(' ')).map(|l| l.trim_end_matches(':')).collect();
        assert_eq!(keys, ["a", "golang-darwin/go1.9.tgz", "golang/go1.9.7.tgz", "golang/go1.10.3.tgz"]);
    }

    #[test]
    fn keys_that_read_as_other_types_are_double_quoted() {
        for (key, written) in [
            ("true", "\"true\":"),
            ("yes", "\"yes\":"),
            ("1.5", "\"1.5\":"),
            ("0x1F", "\"0x1F\":"),
            ("2024-01-02", "\"2024-01-02\":"),
            ("1:20", "\"1:20\":"),
            ("123", "\"123\":"),
        ] {
            let out = single(key).to_bosh_yaml();
            assert!(out.starts_with(written), "{key}: {out}");
        }
        // Not numbers or dates for yaml.v2: plain.
        for key in ["1.2.3.tgz", "2024-13-01", "v1.5", "go1.22", "yesterday", "0x"] {
            let out = single(key).to_bosh_yaml();
            assert!(out.starts_with(&format!("{key}:")), "{key}: {out}");
        }
    }

    #[test]
    fn keys_the_emitter_cannot_write_plain_are_single_quoted() {
        for (key, written) in [
            ("a: b", "'a: b':"),
            ("a #b", "'a #b':"),
            ("*star", "'*star':"),
            ("it's: x", "'it''s: x':"),
            ("- x", "'- x':"),
        ] {
            let out = single(key).to_bosh_yaml();
            assert!(out.starts_with(written), "{key}: {out}");
        }
        // `#` not after a space and `:` not before one are fine.
        assert!(single("a#b:c").to_bosh_yaml().starts_with("a#b:c:\n"));
    }

    #[test]
    fn values_that_read_as_numbers_are_double_quoted() {
        let mut f = BlobsFile::default();
        f.entries.insert("a".into(), entry(1, Some("1234"), "1234567890123456789012345678901234567890"));
        assert_eq!(
            f.to_bosh_yaml(),
            "a:\n  size: 1\n  object_id: \"1234\"\n  sha: \"1234567890123456789012345678901234567890\"\n"
        );
    }

    #[test]
    fn a_key_longer_than_128_bytes_uses_the_explicit_key_form() {
        let key = format!("dir/{}.tgz", "x".repeat(130));
        let mut f = BlobsFile::default();
        f.entries.insert(key.clone(), entry(7, None, "sha256:ab"));
        assert_eq!(f.to_bosh_yaml(), format!("? {key}\n: size: 7\n  sha: sha256:ab\n"));
    }

    #[test]
    fn double_quoted_values_escape_control_characters() {
        let mut f = BlobsFile::default();
        f.entries.insert("a".into(), entry(1, None, "x\ty\u{1}"));
        assert_eq!(f.to_bosh_yaml(), "a:\n  size: 1\n  sha: \"x\\ty\\x01\"\n");
    }

    #[test]
    fn a_cyclic_key_set_keeps_the_order_bosh_wrote() {
        // go1.9 < go1.10.3 < go1.1rc1 < go1.9 in yaml.v2's order: bosh-cli may write any rotation.
        let keys = ["go1.9.tgz", "go1.10.3.tgz", "go1.1rc1.tgz"];
        for start in 0..3 {
            let mut text = String::new();
            for i in 0..3 {
                text.push_str(&format!("{}:\n  size: 1\n  sha: sha256:ab\n", keys[(start + i) % 3]));
            }
            assert_eq!(BlobsFile::parse(&text).unwrap().to_bosh_yaml(), text, "rotation {start}");
        }
    }

    #[test]
    fn a_new_key_is_slotted_into_the_order_of_the_file() {
        let mut f = BlobsFile::parse(V2).unwrap();
        f.entries.insert("golang/go1.9.8.linux-amd64.tar.gz".into(), entry(2, None, "sha256:cd"));
        f.entries.remove("etcd/etcd-v3.3.15-linux-amd64.tar.gz");
        let out = f.to_bosh_yaml();
        let keys: Vec<&str> = out.lines().filter(|l| !l.starts_with(' ')).map(|l| l.trim_end_matches(':')).collect();
        assert_eq!(
            keys,
            [
                "golang-darwin/go1.22.0.darwin-amd64.tar.gz",
                "golang/go1.9.7.linux-amd64.tar.gz",
                "golang/go1.9.8.linux-amd64.tar.gz",
                "golang/go1.10.3.linux-amd64.tar.gz"
            ]
        );
    }

    #[test]
    fn equality_ignores_the_order_of_the_file() {
        assert_eq!(BlobsFile::parse(LEGACY).unwrap(), BlobsFile::parse(LEGACY_AS_V2).unwrap());
    }

    #[test]
    fn a_dot_float_with_underscores_is_double_quoted() {
        assert!(single(".9_190").to_bosh_yaml().starts_with("\".9_190\":"));
        assert!(single("._9").to_bosh_yaml().starts_with("._9:"));
    }

    #[test]
    fn values_with_line_breaks_are_written_as_yaml_v2_does() {
        let mut f = BlobsFile::default();
        f.entries.insert("a".into(), entry(1, Some("x\ny"), "p\u{2028}q"));
        assert_eq!(f.to_bosh_yaml(), "a:\n  size: 1\n  object_id: |-\n    x\n    y\n  sha: 'p\u{2028}    q'\n");
    }

    #[test]
    fn long_values_with_spaces_fold_past_column_80() {
        let words: Vec<String> = (0..30).map(|i| format!("w{i}")).collect();
        let mut f = BlobsFile::default();
        f.entries.insert("a".into(), entry(1, None, &words.join(" ")));
        let out = f.to_bosh_yaml();
        let sha_lines: Vec<&str> = out.lines().skip(2).collect();
        assert_eq!(sha_lines.len(), 2, "{out}");
        assert!(sha_lines[1].starts_with("    w"), "{out}");
        assert_eq!(out.replace("\n    ", " "), format!("a:\n  size: 1\n  sha: {}\n", words.join(" ")));
    }

    #[test]
    fn digests_of_every_spelling_parse() {
        let sha1 = "441cd763c9c59fea754786d3a7ed3d67487a8307";
        let sha256 = "f6c8a87aa03b92c4b0bf3d558e28ea03006eb29db78917daec5cfb6ec1046265";
        let sha512 = "ab".repeat(64);
        assert_eq!(parse_digests(sha1).unwrap(), vec![Digest::Sha1(sha1.into())]);
        assert_eq!(parse_digests(&format!("sha256:{sha256}")).unwrap(), vec![Digest::Sha256(sha256.into())]);
        let multi = format!("{sha1};sha256:{sha256};sha512:{sha512}");
        let all = parse_digests(&multi).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[2], Digest::Sha512(sha512.clone()));
        let e = entry(1, None, &multi);
        assert_eq!(e.strongest_digest().unwrap(), Digest::Sha512(sha512));
        assert_eq!(all[1].to_string(), format!("sha256:{sha256}"));
        assert_eq!(all[0].to_string(), sha1);
    }

    #[test]
    fn upper_case_hex_is_returned_in_lower_case() {
        let d = parse_digests("sha256:F6C8A87AA03B92C4B0BF3D558E28EA03006EB29DB78917DAEC5CFB6EC1046265").unwrap();
        assert_eq!(d[0].hex(), "f6c8a87aa03b92c4b0bf3d558e28ea03006eb29db78917daec5cfb6ec1046265");
    }

    #[test]
    fn malformed_digests_are_rejected() {
        for bad in ["", "abc", "md5:abcd", "sha256:xyz", "sha1:12", &format!("{};", "a".repeat(40))] {
            assert!(parse_digests(bad).is_err(), "{bad:?}");
        }
    }
}
