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
//!   `Marshal` of a Go map): no `---`, keys in yaml.v2's key order ([`yaml_v2_key_cmp`]), fields in
//!   the order `size`, `object_id` (omitted when `None`), `sha`, `{}` for an empty index. So a file
//!   bosh-cli wrote parses and writes back byte-identical.
//! - yaml.v2's key order is not transitive (`go1.9 < go1.10.3 < go1.1rc1 < go1.9`), so for some
//!   key sets bosh-cli's own output depends on Go's random map order. Go sorts up to 12 keys by
//!   insertion sort; the writer does the same, starting from the order of the parsed file, so a
//!   file bosh-cli wrote is kept as it is and new keys are slotted in the way bosh-cli could have.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use yaml_serde::Value;

use crate::error::ParseError;

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
    /// writer sorts with [`yaml_v2_key_cmp`].
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
        if self.entries.is_empty() {
            return "{}\n".to_string();
        }
        let mut keys: Vec<&String> = self.file_order.iter().filter(|k| self.entries.contains_key(*k)).collect();
        let mut seen: std::collections::HashSet<&String> = keys.iter().copied().collect();
        keys.extend(self.entries.keys().filter(|k| seen.insert(*k)));
        sort_tolerant(&mut keys, |a, b| yaml_v2_key_cmp(a, b));
        let mut w = Writer::default();
        for key in keys {
            let entry = &self.entries[key];
            if key.len() > SIMPLE_KEY_MAX || key.chars().any(is_break) {
                w.push_str("? ");
                w.scalar(key, Context::LongKey);
                w.end_line();
                w.push_str(": ");
            } else {
                w.scalar(key, Context::SimpleKey);
                w.push_str(":\n  ");
            }
            w.push_str("size: ");
            w.push_str(&entry.size.to_string());
            w.end_line();
            if let Some(id) = entry.object_id.as_deref().filter(|id| !id.is_empty()) {
                w.push_str("  object_id: ");
                w.scalar(id, Context::Value);
                w.end_line();
            }
            w.push_str("  sha: ");
            w.scalar(&entry.sha, Context::Value);
            w.end_line();
        }
        w.out
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
    let bad = |why: &str| Err(ParseError::new(format!("invalid blob path {path:?}: {why}")));
    if path.is_empty() {
        return bad("empty");
    }
    if path.contains('\0') {
        return bad("contains NUL");
    }
    if path.contains('\\') {
        return bad("contains a backslash");
    }
    if path.chars().any(|c| c.is_control() || is_break(c)) {
        return bad("contains a control character or line break");
    }
    if path.starts_with('/') {
        return bad("absolute path");
    }
    for component in path.split('/') {
        match component {
            "" => return bad("empty path component"),
            ".." => return bad("leaves blobs/"),
            "." => return bad("contains a \".\" component"),
            _ => {}
        }
    }
    Ok(())
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

// ---------------------------------------------------------------------------------------------
// yaml.v2 key order

/// The order gopkg.in/yaml.v2 (v2.4.0, `sorter.go` `keyList.Less`) gives two string map keys.
///
/// Walking both strings rune by rune, at the first differing rune:
/// - two letters compare by code point;
/// - a letter against a non-letter: the non-letter comes first;
/// - otherwise the digit runs starting at that rune are read as numbers and compared (a run that
///   starts with `0` right after a non-zero digit is read as if that digit were still in front,
///   so `a100` sorts after `a19`); equal numbers: the shorter run first (`a1` before `a01`);
///   still equal (no digits at all): by code point (`-` before `/`).
///
/// A string that is a prefix of the other comes first. Letters and digits are judged as Go's
/// `unicode.IsLetter` / `unicode.IsDigit`; outside ASCII this uses Rust's `is_alphabetic` and
/// `is_numeric`, which differ from Go's categories for a few characters.
pub fn yaml_v2_key_cmp(a: &str, b: &str) -> Ordering {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    if key_less(&ar, &br) {
        Ordering::Less
    } else if key_less(&br, &ar) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

fn is_letter(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_alphabetic() } else { c.is_alphabetic() }
}

fn is_digit(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_digit() } else { c.is_numeric() }
}

/// Go's `int64(r - '0')` for a rune, as yaml.v2 accumulates digit runs.
fn digit_value(c: char) -> i64 {
    i64::from(c as u32) - i64::from('0' as u32)
}

fn key_less(ar: &[char], br: &[char]) -> bool {
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            continue;
        }
        let al = is_letter(ar[i]);
        let bl = is_letter(br[i]);
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && is_digit(ar[j - 1]) {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && is_digit(ar[ai]) {
            an = an.wrapping_mul(10).wrapping_add(digit_value(ar[ai]));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_digit(br[bi]) {
            bn = bn.wrapping_mul(10).wrapping_add(digit_value(br[bi]));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// Insertion sort, as Go's `sort.Sort` does for up to 12 elements: keeps a file bosh-cli wrote
/// unchanged even where yaml.v2's order is cyclic, and never panics (`slice::sort_by` may panic on
/// a comparator that is not a total order).
fn sort_tolerant<T>(items: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && cmp(&items[j], &items[j - 1]) == Ordering::Less {
            items.swap(j, j - 1);
            j -= 1;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// yaml.v2 scalar styling (encode.go `stringv`, resolve.go, emitterc.go)

/// yaml.v2 writes a key in the `? key` form when it is longer than this many bytes.
const SIMPLE_KEY_MAX: usize = 128;
/// libyaml's default preferred line width; plain and quoted scalars fold at spaces beyond it.
const BEST_WIDTH: usize = 80;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    /// A top-level key written as `key:`: never folded.
    SimpleKey,
    /// A top-level key written as `? key`: may fold, continuation indented by 2.
    LongKey,
    /// A field value of an entry: may fold, continuation indented by 4.
    Value,
}

impl Context {
    fn allow_breaks(self) -> bool {
        self != Context::SimpleKey
    }
    fn fold_indent(self) -> usize {
        match self {
            Context::SimpleKey | Context::LongKey => 2,
            Context::Value => 4,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

#[derive(Default)]
struct Writer {
    out: String,
    /// Column in characters, as libyaml counts it.
    column: usize,
}

impl Writer {
    fn push_str(&mut self, s: &str) {
        for c in s.chars() {
            self.push(c);
        }
    }

    fn push(&mut self, c: char) {
        if c == '\n' {
            self.column = 0;
        } else {
            self.column += 1;
        }
        self.out.push(c);
    }

    fn newline(&mut self) {
        self.push('\n');
    }

    /// libyaml's `write_indent` before the next key: a line break unless one was just written.
    fn end_line(&mut self) {
        if self.column > 0 {
            self.newline();
        }
    }

    fn fold(&mut self, indent: usize) {
        self.newline();
        for _ in 0..indent {
            self.push(' ');
        }
    }

    fn scalar(&mut self, s: &str, ctx: Context) {
        match choose_style(s, ctx) {
            Style::Plain => self.plain(s, ctx),
            Style::Single => self.single_quoted(s, ctx),
            Style::Double => self.double_quoted(s, ctx),
            Style::Literal => self.literal(s, ctx),
        }
    }

    /// A `|` block: chomping and indentation hints as libyaml writes them, lines at the fold
    /// indent.
    fn literal(&mut self, s: &str, ctx: Context) {
        let chars: Vec<char> = s.chars().collect();
        self.push('|');
        if chars.first().is_some_and(|&c| c == ' ' || is_break(c)) {
            self.push('2');
        }
        match chars.as_slice() {
            [] => self.push('-'),
            [.., last] if !is_break(*last) => self.push('-'),
            [_] => self.push('+'),
            [.., before, _] if is_break(*before) => self.push('+'),
            _ => {}
        }
        self.newline();
        let mut breaks = true;
        for &c in &chars {
            if is_break(c) {
                self.push_break(c);
                breaks = true;
            } else {
                if breaks {
                    self.pad_to(ctx.fold_indent());
                }
                self.push(c);
                breaks = false;
            }
        }
    }

    /// libyaml's `write_break`: a line feed ends the line; other breaks are copied and reset the
    /// column.
    fn push_break(&mut self, c: char) {
        self.out.push(c);
        self.column = 0;
    }

    fn pad_to(&mut self, indent: usize) {
        while self.column < indent {
            self.push(' ');
        }
    }

    fn plain(&mut self, s: &str, ctx: Context) {
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_is_space = chars.get(i + 1) == Some(&' ');
                if ctx.allow_breaks() && !spaces && self.column > BEST_WIDTH && !next_is_space {
                    self.fold(ctx.fold_indent());
                } else {
                    self.push(c);
                }
                spaces = true;
            } else {
                self.push(c);
                spaces = false;
            }
        }
    }

    fn single_quoted(&mut self, s: &str, ctx: Context) {
        let chars: Vec<char> = s.chars().collect();
        self.push('\'');
        let mut spaces = false;
        let mut breaks = false;
        for (i, &c) in chars.iter().enumerate() {
            if is_break(c) {
                // Only U+2028/U+2029 get here: other breaks force double quotes or a literal.
                self.push_break(c);
                breaks = true;
            } else if c == ' ' {
                let next_is_space = chars.get(i + 1) == Some(&' ');
                if ctx.allow_breaks()
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i + 1 < chars.len()
                    && !next_is_space
                {
                    self.fold(ctx.fold_indent());
                } else {
                    self.push(c);
                }
                spaces = true;
            } else {
                if breaks {
                    self.pad_to(ctx.fold_indent());
                }
                if c == '\'' {
                    self.push('\'');
                }
                self.push(c);
                spaces = false;
                breaks = false;
            }
        }
        self.push('\'');
    }

    fn double_quoted(&mut self, s: &str, ctx: Context) {
        let chars: Vec<char> = s.chars().collect();
        self.push('"');
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if !is_printable(c) || c == '\u{FEFF}' || is_break(c) || c == '"' || c == '\\' {
                self.push('\\');
                match c {
                    '\0' => self.push('0'),
                    '\u{7}' => self.push('a'),
                    '\u{8}' => self.push('b'),
                    '\t' => self.push('t'),
                    '\n' => self.push('n'),
                    '\u{B}' => self.push('v'),
                    '\u{C}' => self.push('f'),
                    '\r' => self.push('r'),
                    '\u{1B}' => self.push('e'),
                    '"' => self.push('"'),
                    '\\' => self.push('\\'),
                    '\u{85}' => self.push('N'),
                    '\u{A0}' => self.push('_'),
                    '\u{2028}' => self.push('L'),
                    '\u{2029}' => self.push('P'),
                    _ => {
                        let v = c as u32;
                        let (prefix, width) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.push(prefix);
                        self.push_str(&format!("{v:0width$X}"));
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if ctx.allow_breaks() && !spaces && self.column > BEST_WIDTH && i > 0 && i + 1 < chars.len() {
                    self.fold(ctx.fold_indent());
                    if chars.get(i + 1) == Some(&' ') {
                        self.push('\\');
                    }
                } else {
                    self.push(c);
                }
                spaces = true;
            } else {
                self.push(c);
                spaces = false;
            }
        }
        self.push('"');
    }
}

/// libyaml's `is_printable` (yaml.v2 `yamlprivateh.go`), by code point.
fn is_printable(c: char) -> bool {
    let v = c as u32;
    v == 0x0A
        || (0x20..=0x7E).contains(&v)
        || (0xA0..=0xD7FF).contains(&v)
        || ((0xE000..=0xFFFD).contains(&v) && v != 0xFEFF)
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// encode.go `stringv` picks literal (line feed), plain (reads back as the same string) or double;
/// then emitterc.go `select_scalar_style` downgrades what the scalar's content does not allow.
fn choose_style(s: &str, ctx: Context) -> Style {
    let a = analyze(s);
    let mut style = if s.contains('\n') {
        Style::Literal
    } else if !yaml_v2_resolves_to_str(s) || is_base60_float(s) {
        Style::Double
    } else {
        Style::Plain
    };
    let simple_key = ctx == Context::SimpleKey;
    if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && simple_key)) {
        style = Style::Single;
    }
    if style == Style::Single && !a.single_quoted_allowed {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block_allowed || simple_key) {
        style = Style::Double;
    }
    style
}

struct Analysis {
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

/// libyaml's `yaml_emitter_analyze_scalar`, reduced to what a block-context scalar needs.
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis { block_plain_allowed: true, single_quoted_allowed: true, block_allowed: false };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let mut line_breaks = false;
    let mut special = false;
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let n = chars.len();
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_whitespace = i + 1 >= n || is_blank(chars[i + 1]);
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%' | '@' | '`' => {
                    block_indicators = true
                }
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= i + 1 == n;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= i + 1 == n;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blank(c) || is_break(c) || c == '\0';
    }
    let mut block_plain_allowed = true;
    let mut single_quoted_allowed = true;
    let mut block_allowed = true;
    if leading_space || leading_break || trailing_space || trailing_break {
        block_plain_allowed = false;
    }
    if trailing_space {
        block_allowed = false;
    }
    if break_space {
        block_plain_allowed = false;
        single_quoted_allowed = false;
    }
    if space_break || special {
        block_plain_allowed = false;
        single_quoted_allowed = false;
        block_allowed = false;
    }
    if line_breaks || block_indicators {
        block_plain_allowed = false;
    }
    Analysis { block_plain_allowed, single_quoted_allowed, block_allowed }
}

/// Whether yaml.v2's resolver (YAML 1.1 flavoured) reads `s`, unquoted, back as a string.
fn yaml_v2_resolves_to_str(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no", "No", "NO", "false",
        "False", "FALSE", "off", "Off", "OFF", "", "~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf",
        ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
    ];
    let hint = match s.as_bytes().first() {
        None => return false, // null
        Some(b'+' | b'-' | b'0'..=b'9') => 'N',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => 'M',
        Some(b'.') => '.',
        Some(_) => return true,
    };
    if SPECIAL.contains(&s) {
        return false;
    }
    match hint {
        'M' => true,
        '.' => !(DOT_FLOAT.is_match(s) && finite_float(&s.replace('_', ""))),
        _ => {
            if looks_like_timestamp(s) {
                return false;
            }
            let plain = s.replace('_', "");
            if go_parse_int_base0(&plain) {
                return false;
            }
            !(YAML_FLOAT.is_match(&plain) && finite_float(&plain))
        }
    }
}

/// What Go's `strconv.ParseFloat` accepts after a leading `.`: underscores only between digits.
static DOT_FLOAT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\.[0-9](_?[0-9])*([eE][-+]?[0-9](_?[0-9])*)?$").expect("valid regex"));
static YAML_FLOAT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$").expect("valid regex"));
static BASE60_FLOAT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$").expect("valid regex"));
static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})",
        r"(?:(?:[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?(?:Z|[-+][0-9]{2}:[0-9]{2}))",
        r"|(?: ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?))?$"
    ))
    .expect("valid regex")
});

/// Go's `strconv.ParseFloat` fails (range error) where Rust returns infinity.
fn finite_float(s: &str) -> bool {
    s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// yaml.v2 quotes strings that YAML 1.1 would read as sexagesimal numbers (`1:20`).
fn is_base60_float(s: &str) -> bool {
    matches!(s.as_bytes().first(), Some(b'+' | b'-' | b'0'..=b'9')) && s.contains(':') && BASE60_FLOAT.is_match(s)
}

/// yaml.v2's timestamp formats (`2006-1-2`, `2006-1-2T15:4:5.999999999Z07:00`, its `t` variant
/// and `2006-1-2 15:4:5.999999999`), with Go's range checks on month, day and time.
fn looks_like_timestamp(s: &str) -> bool {
    let Some(c) = TIMESTAMP.captures(s) else {
        return false;
    };
    let num = |i: usize| c.get(i).map(|m| m.as_str().parse::<u32>().unwrap_or(u32::MAX));
    let (Some(year), Some(month), Some(day)) = (num(1), num(2), num(3)) else {
        return false;
    };
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return false;
    }
    let time = [num(4).or(num(7)), num(5).or(num(8)), num(6).or(num(9))];
    match time {
        [Some(h), Some(m), Some(sec)] => h < 24 && m < 60 && sec < 60,
        _ => true,
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Whether Go's `strconv.ParseInt(s, 0, 64)` or `ParseUint(s, 0, 64)` accepts `s`.
fn go_parse_int_base0(s: &str) -> bool {
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (Some('+'), &s[1..]),
        Some(b'-') => (Some('-'), &s[1..]),
        _ => (None, s),
    };
    let lower = rest.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() {
        return false;
    }
    let mut value: u128 = 0;
    for ch in digits.chars() {
        let Some(d) = ch.to_digit(radix) else {
            return false;
        };
        value = value * u128::from(radix) + u128::from(d);
        if value > u128::from(u64::MAX) {
            return false;
        }
    }
    match sign {
        None => true,
        Some('+') => value <= i64::MAX as u128,
        _ => value <= 1u128 << 63,
    }
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
    fn keys_sort_in_yaml_v2_order() {
        assert_eq!(
            yaml_v2_key_cmp("golang/go1.9.7.linux-amd64.tar.gz", "golang/go1.10.3.linux-amd64.tar.gz"),
            Ordering::Less
        );
        assert_eq!(yaml_v2_key_cmp("golang-darwin/x", "golang/x"), Ordering::Less);
        assert_eq!(yaml_v2_key_cmp("go1.24.0.tar.gz", "go1.24rc1.tar.gz"), Ordering::Less);
        assert_eq!(yaml_v2_key_cmp("a2", "a10"), Ordering::Less);
        assert_eq!(yaml_v2_key_cmp("a10", "a2"), Ordering::Greater);
        assert_eq!(yaml_v2_key_cmp("a", "ab"), Ordering::Less);
        assert_eq!(yaml_v2_key_cmp("B", "a"), Ordering::Less);
        assert_eq!(yaml_v2_key_cmp("abc", "abc"), Ordering::Equal);
    }

    #[test]
    fn a_non_letter_sorts_before_a_letter_even_after_digits() {
        // yaml.v3 would put "a1x" first; yaml.v2 always puts the non-letter first.
        assert_eq!(yaml_v2_key_cmp("a12", "a1x"), Ordering::Less);
        assert_eq!(yaml_v2_key_cmp("x-1", "xa"), Ordering::Less);
    }

    #[test]
    fn leading_zeros_make_a_longer_run_sort_after_an_equal_number() {
        assert_eq!(yaml_v2_key_cmp("a1", "a01"), Ordering::Less);
        assert_eq!(yaml_v2_key_cmp("a01", "a001"), Ordering::Less);
        assert_eq!(yaml_v2_key_cmp("a01", "a2"), Ordering::Less);
        // A run that starts with 0 inside a number keeps the number's magnitude.
        assert_eq!(yaml_v2_key_cmp("a19", "a100"), Ordering::Less);
        assert_eq!(yaml_v2_key_cmp("v1.09", "v1.10"), Ordering::Less);
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
