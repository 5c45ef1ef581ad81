//! Reading `go.mod` (never writing it: the Go toolchain writes go.mod, and `go mod vendor` must
//! follow any change).
//!
//! The grammar is golang.org/x/mod/modfile's: one directive per line, or a block
//! `verb ( … )` for `module`, `require`, `exclude`, `replace`, `retract`, `godebug`, `tool` and
//! `ignore`; `//` comments only; paths and versions may be `"quoted"` (Go escapes); `=>` in
//! `replace`, `[ , ]` in `retract`. As in modfile, tokens are plain strings: a `(` that does not
//! end a line is an ordinary token, the lexer knows `` `raw` `` strings but a directive refuses
//! them, and any other token holding a quote character is refused too.
//!
//! Invariants:
//! - [`parse`] either returns a [`GoMod`] with a module path or fails; every failure inside the
//!   file carries its 1-based line;
//! - versions are stored canonical as modfile stores them (`v1.2` → `v1.2.0`, build metadata
//!   other than `+incompatible` dropped); a version that is not Go semver is an error;
//! - `godebug`, `tool` and `ignore` are checked for shape and otherwise not kept;
//! - [`parse`] reads a main module's go.mod (modfile `Parse`); [`parse_lax`] reads a dependency's
//!   (modfile `ParseLax`, what the go command uses for other modules' go.mod, e.g. to find their
//!   retractions): only `module`, `go`, `require`, `retract` and `ignore` count, everything else
//!   (unknown directives and blocks included) is skipped, a malformed `retract` is dropped, and a
//!   missing module path is an empty string;
//! - checked against golang.org/x/mod's `Parse` and `ParseLax` on hand-written and mutated files
//!   (only where an older x/mod predates today's grammar do they differ: `go 1.22rc1` and `.` /
//!   `..` replacement targets are accepted here, as current x/mod accepts them);
//! - a retraction's rationale is the comment lines directly above it plus its line comment, or,
//!   when it has none, the comment lines above its `retract (` block (modfile's rule). At the top
//!   level a blank line detaches the comments above it; inside a block it does not.

use crate::error::ParseError;
use crate::version::{canonical_module_version, module_version_key};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoMod {
    pub module: String,
    pub go: Option<String>,
    pub toolchain: Option<String>,
    pub requires: Vec<Require>,
    pub replaces: Vec<Replace>,
    /// `(path, version)` pairs.
    pub excludes: Vec<(String, String)>,
    pub retracts: Vec<Retract>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Require {
    pub path: String,
    pub version: String,
    /// Marked `// indirect` (or `// indirect; …`).
    pub indirect: bool,
    /// 1-based line of the requirement.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replace {
    pub old_path: String,
    pub old_version: Option<String>,
    pub new_path: String,
    /// `None` for a local directory.
    pub new_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retract {
    pub low: String,
    /// Equal to `low` for a single version.
    pub high: String,
    /// Comment text without `//`, one line per comment, joined with `\n`.
    pub rationale: String,
}

impl GoMod {
    /// Whether `version` falls in one of the `retract` intervals (bounds included). A version that
    /// is not Go semver is never retracted.
    pub fn retracted(&self, version: &str) -> bool {
        let Some(v) = module_version_key(version) else {
            return false;
        };
        self.retracts.iter().any(|r| match (module_version_key(&r.low), module_version_key(&r.high)) {
            (Some(low), Some(high)) => low <= v && v <= high,
            _ => false,
        })
    }

    /// The first `require` of `path`.
    pub fn require(&self, path: &str) -> Option<&Require> {
        self.requires.iter().find(|r| r.path == path)
    }
}

/// Parse the main module's go.mod: every directive is checked, unknown ones are errors.
pub fn parse(text: &str) -> Result<GoMod, ParseError> {
    parse_mode(text, true)
}

/// Parse a dependency's go.mod as the go command does (modfile `ParseLax`): directives a
/// dependency's go.mod does not need are skipped unchecked, so newer syntax upstream does not
/// break the read. `module` is empty if the file has none; `replaces`, `excludes` and
/// `toolchain` are always empty.
pub fn parse_lax(text: &str) -> Result<GoMod, ParseError> {
    parse_mode(text, false)
}

fn parse_mode(text: &str, strict: bool) -> Result<GoMod, ParseError> {
    let lines = lex(text)?;
    let mut m = Builder { strict, ..Builder::default() };
    let mut before: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        i += 1;
        match line.kind {
            LineKind::Blank => {
                before.clear();
                continue;
            }
            LineKind::Comment(ref c) => {
                before.push(c.clone());
                continue;
            }
            LineKind::Tokens => {}
        }
        // modfile's parseStmt: the first token is the verb (even a parenthesis); `(` ending the
        // line opens a block, `( )` ending it is an empty block; elsewhere parens are plain tokens.
        let tokens = &line.tokens;
        let verb = tokens[0].as_str();
        let own = Comments { before: std::mem::take(&mut before), suffix: line.suffix.clone() };
        let n = tokens.len();
        let opens_block = n >= 2 && tokens[n - 1] == "(";
        let empty_block = n >= 3 && tokens[n - 2] == "(" && tokens[n - 1] == ")";
        if !opens_block && !empty_block {
            m.directive(verb, &tokens[1..], line.number, &own, None)?;
            continue;
        }
        let head_len = if opens_block { n - 1 } else { n - 2 };
        let known_block = head_len == 1 && BLOCK_VERBS.contains(&verb);
        if !known_block && strict {
            return Err(ParseError::at(line.number, format!("unknown block type: {}", tokens[..head_len].join(" "))));
        }
        if empty_block {
            continue;
        }
        // A block's own comments are those above it: modfile attaches a comment after `(` to the
        // parenthesis, not to the block.
        let block_comments = Comments { before: own.before.clone(), suffix: None };
        // Block body up to the line starting with `)`.
        let mut inner_before: Vec<String> = Vec::new();
        loop {
            let Some(inner) = lines.get(i) else {
                return Err(ParseError::at(line.number, format!("{verb} block is not closed")));
            };
            i += 1;
            match inner.kind {
                LineKind::Blank => continue,
                LineKind::Comment(ref c) => {
                    inner_before.push(c.clone());
                    continue;
                }
                LineKind::Tokens => {}
            }
            if inner.tokens[0] == ")" {
                if inner.tokens.len() > 1 {
                    return Err(ParseError::at(inner.number, "syntax error (expected newline after closing paren)"));
                }
                break;
            }
            let c = Comments { before: std::mem::take(&mut inner_before), suffix: inner.suffix.clone() };
            if !known_block {
                continue; // lax: an unknown block is skipped
            }
            m.directive(verb, &inner.tokens, inner.number, &c, Some(&block_comments))?;
        }
    }
    m.finish()
}

const BLOCK_VERBS: [&str; 8] = ["module", "godebug", "require", "exclude", "replace", "retract", "tool", "ignore"];

#[derive(Default)]
struct Builder {
    /// Main module (modfile `Parse`) rather than a dependency (`ParseLax`).
    strict: bool,
    module: Option<String>,
    go: Option<String>,
    toolchain: Option<String>,
    requires: Vec<Require>,
    replaces: Vec<Replace>,
    excludes: Vec<(String, String)>,
    retracts: Vec<Retract>,
}

struct Comments {
    /// Comment lines directly above, each with its `//`.
    before: Vec<String>,
    /// The line's own trailing comment, with its `//`.
    suffix: Option<String>,
}

impl Comments {
    fn is_empty(&self) -> bool {
        self.before.is_empty() && self.suffix.is_none()
    }

    fn text(&self) -> String {
        self.before
            .iter()
            .chain(self.suffix.iter())
            .map(|c| c.strip_prefix("//").unwrap_or(c).trim())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Builder {
    /// One directive, on its own line or inside a `verb ( … )` block (`block` holds the block's
    /// comments then).
    fn directive(
        &mut self,
        verb: &str,
        args: &[String],
        line: usize,
        comments: &Comments,
        block: Option<&Comments>,
    ) -> Result<(), ParseError> {
        if !self.strict && !matches!(verb, "go" | "module" | "retract" | "require" | "ignore") {
            return Ok(());
        }
        let done = match verb {
            "module" => self.module(args),
            "go" => self.go(args),
            "toolchain" => self.toolchain(args),
            "godebug" => match args {
                [kv] if !kv.contains(['"', '`', '\'', ',']) && kv.contains('=') => Ok(()),
                _ => Err("usage: godebug key=value".into()),
            },
            "require" | "exclude" => self.require_or_exclude(verb, args, line, comments),
            "replace" => parse_replace(args).map(|r| self.replaces.push(r)),
            "retract" => self.retract(args, comments, block),
            "tool" | "ignore" => match args {
                [path] => word(path).map(drop),
                _ => Err(format!("usage: {verb} path")),
            },
            other => Err(format!("unknown directive: {other}")),
        };
        done.map_err(|msg| ParseError::at(line, msg))
    }

    /// `module path`: once, not empty.
    fn module(&mut self, args: &[String]) -> Result<(), String> {
        let [path] = args else {
            return Err("usage: module module/path".into());
        };
        if self.module.is_some() {
            return Err("repeated module statement".into());
        }
        let path = word(path)?;
        if path.is_empty() {
            return Err("empty module path".into());
        }
        self.module = Some(path);
        Ok(())
    }

    /// `go 1.23.0`: once; a dependency's go.mod may use the lax form.
    fn go(&mut self, args: &[String]) -> Result<(), String> {
        let [v] = args else {
            return Err("usage: go 1.23".into());
        };
        if self.go.is_some() {
            return Err("repeated go statement".into());
        }
        let mut v = word(v)?;
        if !is_go_version(&v) {
            match lax_go_version(&v).filter(|_| !self.strict) {
                Some(fixed) => v = fixed,
                None => return Err(format!("invalid go version {v:?}: must match format 1.23.0")),
            }
        }
        self.go = Some(v);
        Ok(())
    }

    /// `toolchain go1.23.0` or `toolchain default`: once.
    fn toolchain(&mut self, args: &[String]) -> Result<(), String> {
        let [v] = args else {
            return Err("usage: toolchain go1.23.0".into());
        };
        if self.toolchain.is_some() {
            return Err("repeated toolchain statement".into());
        }
        let v = word(v)?;
        let valid = v == "default" || v.strip_prefix("go").is_some_and(|rest| rest == "1" || rest.starts_with("1."));
        if !valid {
            return Err(format!("invalid toolchain {v:?}: must match format go1.23.0 or default"));
        }
        self.toolchain = Some(v);
        Ok(())
    }

    /// `require path version` (indirect when its comment says so) or `exclude path version`.
    fn require_or_exclude(
        &mut self,
        verb: &str,
        args: &[String],
        line: usize,
        comments: &Comments,
    ) -> Result<(), String> {
        let [path, version] = args else {
            return Err(format!("usage: {verb} module/path v1.2.3"));
        };
        let path = word(path)?;
        let version = version_arg(verb, version)?;
        if verb == "require" {
            let indirect = comments.suffix.as_deref().is_some_and(is_indirect);
            self.requires.push(Require { path, version, indirect, line });
        } else {
            self.excludes.push((path, version));
        }
        Ok(())
    }

    /// `retract version` or `retract [low, high]`, with its rationale (its own comments, else the
    /// block's). A dependency's go.mod drops a retraction it cannot read.
    fn retract(&mut self, args: &[String], comments: &Comments, block: Option<&Comments>) -> Result<(), String> {
        let (low, high) = match parse_interval(args, self.strict) {
            Ok(interval) => interval,
            Err(e) if self.strict => return Err(e),
            Err(_) => return Ok(()),
        };
        let source = match block {
            Some(b) if comments.is_empty() => b,
            _ => comments,
        };
        self.retracts.push(Retract { low, high, rationale: source.text() });
        Ok(())
    }

    fn finish(self) -> Result<GoMod, ParseError> {
        let module = match self.module {
            Some(m) => m,
            None if !self.strict => String::new(),
            None => return Err(ParseError::new("missing module directive")),
        };
        Ok(GoMod {
            module,
            go: self.go,
            toolchain: self.toolchain,
            requires: self.requires,
            replaces: self.replaces,
            excludes: self.excludes,
            retracts: self.retracts,
        })
    }
}

/// modfile's `isIndirect`: the comment is `indirect` or starts with `indirect;`.
fn is_indirect(suffix: &str) -> bool {
    let f = suffix.strip_prefix("//").unwrap_or(suffix).trim();
    f == "indirect" || f.starts_with("indirect;")
}

fn parse_replace(args: &[String]) -> Result<Replace, String> {
    const USAGE: &str = concat!(
        "usage: replace module/path [v1.2.3] => other/module v1.4\n",
        "\t or replace module/path [v1.2.3] => ../local/directory"
    );
    let is_arrow = |t: &String| t == "=>";
    let arrow = if args.len() >= 2 && is_arrow(&args[1]) { 1 } else { 2 };
    if args.len() < arrow + 2 || args.len() > arrow + 3 || !is_arrow(&args[arrow]) {
        return Err(USAGE.to_string());
    }
    let old_path = word(&args[0])?;
    let old_version = if arrow == 2 { Some(version_arg("replace", &args[1])?) } else { None };
    let new_path = word(&args[arrow + 1])?;
    let new_version = match args.get(arrow + 2) {
        None => {
            if !is_directory_path(&new_path) {
                if new_path.contains('@') {
                    return Err("replacement module must match format 'path version', not 'path@version'".into());
                }
                return Err(concat!(
                    "replacement module without version must be directory path ",
                    "(rooted or starting with . or ..)"
                )
                .into());
            }
            // The Go toolchain on Linux (where currency runs) refuses these.
            if new_path.contains('\\') {
                return Err("replacement directory appears to be Windows path (on a non-windows system)".into());
            }
            None
        }
        Some(v) => {
            if is_directory_path(&new_path) {
                return Err(format!("replacement module directory path {new_path:?} cannot have version"));
            }
            Some(version_arg("replace", v)?)
        }
    };
    Ok(Replace { old_path, old_version, new_path, new_version })
}

/// modfile's `IsDirectoryPath`: Unix and Windows spellings of a local path.
fn is_directory_path(p: &str) -> bool {
    let b = p.as_bytes();
    p == "."
        || p == ".."
        || ["./", ".\\", "../", "..\\", "/", "\\"].iter().any(|pre| p.starts_with(pre))
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

/// `v` or `[low, high]`, and (strict) nothing after it.
fn parse_interval(args: &[String], strict: bool) -> Result<(String, String), String> {
    let toks: Vec<&str> = args.iter().map(String::as_str).collect();
    let (low, high, rest) = match toks.as_slice() {
        [] | ["(", ..] => return Err("expected '[' or version".into()),
        ["[", rest @ ..] => {
            let [low, rest @ ..] = rest else {
                return Err("expected version after '['".into());
            };
            let low = version_arg("retract", low)?;
            let [",", rest @ ..] = rest else {
                return Err("expected ',' after version".into());
            };
            let [high, rest @ ..] = rest else {
                return Err("expected version after ','".into());
            };
            let high = version_arg("retract", high)?;
            let ["]", rest @ ..] = rest else {
                return Err("expected ']' after version".into());
            };
            (low, high, rest)
        }
        [v, rest @ ..] => {
            let v = version_arg("retract", v)?;
            (v.clone(), v, rest)
        }
    };
    if let Some(t) = rest.first().filter(|_| strict) {
        return Err(format!("unexpected token after version: {t:?}"));
    }
    Ok((low, high))
}

/// modfile's `parseString`: a `"…"` token is unquoted; any other token holding a quote
/// character (including a `` `raw` `` string) is refused; anything else, even `(`, is taken as is.
fn word(t: &str) -> Result<String, String> {
    if t.starts_with('"') {
        unquote(t)
    } else if t.contains(['"', '\'', '`']) {
        Err(format!("invalid quoted string {t}: unquoted string cannot contain quote"))
    } else {
        Ok(t.to_string())
    }
}

fn version_arg(verb: &str, t: &str) -> Result<String, String> {
    let v = word(t)?;
    canonical_module_version(&v).ok_or_else(|| format!("{verb}: invalid version {v:?}: must be of the form v1.2.3"))
}

/// `^([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?$` (modfile's `GoVersionRE`).
fn is_go_version(v: &str) -> bool {
    fn number(s: &str) -> Option<&str> {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (n, rest) = s.split_at(end);
        (!n.is_empty() && (n == "0" || !n.starts_with('0'))).then_some(rest)
    }
    let Some(rest) = number(v).filter(|_| !v.starts_with('0')) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix('.').and_then(number) else {
        return false;
    };
    let rest = match rest.strip_prefix('.') {
        Some(r) => match number(r) {
            Some(r) => r,
            None => return false,
        },
        None => rest,
    };
    if rest.is_empty() {
        return true;
    }
    let letters = rest.find(|c: char| !c.is_ascii_lowercase()).unwrap_or(rest.len());
    let digits = &rest[letters..];
    letters > 0 && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// modfile's `laxGoVersionRE` (`^v?(([1-9][0-9]*)\.(0|[1-9][0-9]*))([^0-9].*)$`), accepted in a
/// dependency's go.mod: `1.22.0.1` and `v1.22x` read as `1.22`.
fn lax_go_version(v: &str) -> Option<String> {
    let rest = v.strip_prefix('v').unwrap_or(v);
    let major_end = rest.find(|c: char| !c.is_ascii_digit())?;
    let (major, after) = rest.split_at(major_end);
    if major.is_empty() || major.starts_with('0') {
        return None;
    }
    let after = after.strip_prefix('.')?;
    let minor_end = after.find(|c: char| !c.is_ascii_digit())?;
    let minor = &after[..minor_end];
    if minor.is_empty() || (minor.len() > 1 && minor.starts_with('0')) {
        return None;
    }
    Some(format!("{major}.{minor}"))
}

// ---------------------------------------------------------------------------------------------
// Module proxy escaping

/// golang.org/x/mod/module.EscapePath's case encoding: every upper-case ASCII letter becomes `!`
/// followed by its lower-case form (`github.com/Azure/x` → `github.com/!azure/x`). The path is
/// not validated here.
pub fn escape_module_path(path: &str) -> String {
    escape_case(path)
}

/// golang.org/x/mod/module.EscapeVersion's case encoding, as [`escape_module_path`].
pub fn escape_version(version: &str) -> String {
    escape_case(version)
}

fn escape_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Lexer

enum LineKind {
    Blank,
    /// A line holding only a comment (with its `//`).
    Comment(String),
    Tokens,
}

struct LexLine {
    number: usize,
    kind: LineKind,
    /// modfile's token texts: punctuation as itself, quoted strings with their quotes.
    tokens: Vec<String>,
    suffix: Option<String>,
}

fn lex(text: &str) -> Result<Vec<LexLine>, ParseError> {
    let mut out = Vec::new();
    for (idx, raw) in text.split('\n').enumerate() {
        let number = idx + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let (tokens, suffix) = lex_line(line).map_err(|m| ParseError::at(number, m))?;
        let kind = match (&tokens[..], &suffix) {
            ([], None) => LineKind::Blank,
            ([], Some(c)) => LineKind::Comment(c.clone()),
            _ => LineKind::Tokens,
        };
        let suffix = if matches!(kind, LineKind::Tokens) { suffix } else { None };
        out.push(LexLine { number, kind, tokens, suffix });
    }
    Ok(out)
}

fn lex_line(line: &str) -> Result<(Vec<String>, Option<String>), String> {
    let chars: Vec<char> = line.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            return Ok((tokens, Some(chars[i..].iter().collect::<String>().trim_end().to_string())));
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            return Err("mod files must use // comments, not /* comments".into());
        }
        if matches!(c, '(' | ')' | '[' | ']' | '{' | '}' | ',') {
            tokens.push(c.to_string());
            i += 1;
            continue;
        }
        if c == '"' || c == '`' {
            let start = i;
            i += 1;
            loop {
                let Some(&d) = chars.get(i) else {
                    return Err("unexpected newline in string".into());
                };
                i += 1;
                if d == c {
                    break;
                }
                if d == '\\' && c == '"' {
                    if chars.get(i).is_none() {
                        return Err("unexpected newline in string".into());
                    }
                    i += 1;
                }
            }
            tokens.push(chars[start..i].iter().collect());
            continue;
        }
        if !is_ident(c) {
            return Err(format!("unexpected input character {c:?}"));
        }
        let start = i;
        while i < chars.len() && is_ident(chars[i]) {
            if chars[i] == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            }
            if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                return Err("mod files must use // comments, not /* comments".into());
            }
            i += 1;
        }
        tokens.push(chars[start..i].iter().collect());
    }
    Ok((tokens, None))
}

fn is_ident(c: char) -> bool {
    !matches!(c, '(' | ')' | '[' | ']' | '{' | '}' | ',') && !c.is_whitespace() && !c.is_control()
}

/// Go's `strconv.Unquote` for a `"…"` token.
fn unquote(s: &str) -> Result<String, String> {
    let inner =
        s.strip_prefix('"').and_then(|r| r.strip_suffix('"')).ok_or_else(|| format!("invalid quoted string {s}"))?;
    let bad = || format!("invalid quoted string {s}");
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next().ok_or_else(bad)?;
        let hex = |chars: &mut std::str::Chars<'_>, n: usize| -> Result<u32, String> {
            let digits: String = chars.by_ref().take(n).collect();
            if digits.len() != n {
                return Err(bad());
            }
            u32::from_str_radix(&digits, 16).map_err(|_| bad())
        };
        match e {
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{C}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{B}'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            'x' => out.push(char::from_u32(hex(&mut chars, 2)?).ok_or_else(bad)?),
            'u' => out.push(char::from_u32(hex(&mut chars, 4)?).ok_or_else(bad)?),
            'U' => out.push(char::from_u32(hex(&mut chars, 8)?).ok_or_else(bad)?),
            '0'..='7' => {
                let rest: String = chars.by_ref().take(2).collect();
                let digits = format!("{e}{rest}");
                let v = u32::from_str_radix(&digits, 8).map_err(|_| bad())?;
                if digits.len() != 3 || v > 0xFF {
                    return Err(bad());
                }
                out.push(char::from_u32(v).ok_or_else(bad)?);
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped like a CF release's go.mod: go + toolchain, a replace with a comment above it, a
    /// direct and an indirect require block.
    const RELEASE_GO_MOD: &str = "\
module code.example.org

go 1.22.0

toolchain go1.22.3

// Pin the old server for v1 compatibility
replace github.com/example/oldserver => github.com/example/oldserver v1.4.1

require (
\tcode.example.org/helpers v0.20.0
\tgithub.com/example/oldserver v1.4.1
\tgithub.com/example/server/v2 v2.10.22
\tgithub.com/example/client v1.37.0
\tgithub.com/example/ifrit v0.0.0-20230516164442-7862c310ad26
)

require (
\tfilippo.io/edwards25519 v1.1.0 // indirect
\tgithub.com/example/compress v1.17.11 // indirect
\tgolang.org/x/crypto v0.28.0 // indirect; needed by server
\tgopkg.in/yaml.v3 v3.0.1 // indirect
)
";

    #[test]
    fn a_release_go_mod_is_read_completely() {
        let m = parse(RELEASE_GO_MOD).unwrap();
        assert_eq!(m.module, "code.example.org");
        assert_eq!(m.go.as_deref(), Some("1.22.0"));
        assert_eq!(m.toolchain.as_deref(), Some("go1.22.3"));
        assert_eq!(m.requires.len(), 9);
        assert_eq!(m.requires.iter().filter(|r| r.indirect).count(), 4);
        let server = m.require("github.com/example/server/v2").unwrap();
        assert_eq!((server.version.as_str(), server.indirect, server.line), ("v2.10.22", false, 13));
        let crypto = m.require("golang.org/x/crypto").unwrap();
        assert!(crypto.indirect);
        assert_eq!(crypto.line, 21);
        assert_eq!(m.require("github.com/example/ifrit").unwrap().version, "v0.0.0-20230516164442-7862c310ad26");
        assert_eq!(
            m.replaces,
            [Replace {
                old_path: "github.com/example/oldserver".into(),
                old_version: None,
                new_path: "github.com/example/oldserver".into(),
                new_version: Some("v1.4.1".into()),
            }]
        );
        assert!(m.excludes.is_empty() && m.retracts.is_empty());
    }

    #[test]
    fn single_line_forms_and_quoted_paths_are_read() {
        let m = parse(
            "module \"example.com/m\"\n\
             go 1.21\n\
             require \"example.com/a\" \"v1.2.3\"\n\
             require example.com/b v1.0.0 // indirect\n\
             exclude example.com/a v1.2.2\n\
             replace example.com/a v1.2.3 => example.com/fork v1.2.4\n\
             godebug default=go1.21\n\
             tool example.com/a/cmd/gen\n\
             ignore ./testdata\n",
        )
        .unwrap();
        assert_eq!(m.module, "example.com/m");
        assert_eq!(m.go.as_deref(), Some("1.21"));
        assert_eq!(m.toolchain, None);
        assert_eq!(m.requires[0].path, "example.com/a");
        assert_eq!(m.requires[0].line, 3);
        assert!(m.requires[1].indirect);
        assert_eq!(m.excludes, [("example.com/a".to_string(), "v1.2.2".to_string())]);
        assert_eq!(m.replaces[0].old_version.as_deref(), Some("v1.2.3"));
        assert_eq!(m.replaces[0].new_version.as_deref(), Some("v1.2.4"));
    }

    #[test]
    fn a_local_directory_replacement_has_no_version() {
        let m = parse("module m\nreplace (\n\texample.com/a => ../a\n\texample.com/b v1.0.0 => ./b\n)\n").unwrap();
        assert_eq!(m.replaces[0].new_path, "../a");
        assert_eq!(m.replaces[0].new_version, None);
        assert_eq!(m.replaces[1].old_version.as_deref(), Some("v1.0.0"));
        assert!(parse("module m\nreplace example.com/a => ../a v1.0.0\n").is_err());
        assert!(parse("module m\nreplace example.com/a => example.com/b\n").is_err());
        assert!(parse("module m\nreplace example.com/a => example.com/b@v1.0.0\n").is_err());
    }

    #[test]
    fn retractions_keep_ranges_and_rationales() {
        let m = parse(
            "module example.com/m\n\
             \n\
             // Published by mistake.\n\
             retract v1.0.0\n\
             \n\
             retract [v1.1.0, v1.1.5] // data loss bug\n\
             \n\
             // Broken builds.\n\
             retract (\n\
             \t// Wrong module path.\n\
             \tv0.9.0\n\
             \tv0.9.1\n\
             )\n",
        )
        .unwrap();
        let r: Vec<(&str, &str, &str)> =
            m.retracts.iter().map(|r| (r.low.as_str(), r.high.as_str(), r.rationale.as_str())).collect();
        assert_eq!(
            r,
            [
                ("v1.0.0", "v1.0.0", "Published by mistake."),
                ("v1.1.0", "v1.1.5", "data loss bug"),
                ("v0.9.0", "v0.9.0", "Wrong module path."),
                ("v0.9.1", "v0.9.1", "Broken builds."),
            ]
        );
    }

    #[test]
    fn inside_a_block_comments_above_a_blank_line_still_count() {
        let m = parse("module m\nretract ( // not a rationale\n\tv1.0.0\n\t// inner\n\n\tv1.0.1\n)\n").unwrap();
        assert_eq!(m.retracts[0].rationale, "");
        assert_eq!(m.retracts[1].rationale, "inner");
    }

    #[test]
    fn backquoted_and_stray_quoted_tokens_are_refused_as_modfile_does() {
        for text in [
            "module m\nrequire `example.com/a` v1.2.3\n",
            "module m\nrequire 'example.com/a' v1.2.3\n",
            "module m\nrequire example.com/a\"b v1.2.3\n",
            "module m\ngodebug \"a=b\"\n",
        ] {
            assert_eq!(parse(text).unwrap_err().line, Some(2), "{text:?}");
        }
    }

    #[test]
    fn a_windows_style_local_replacement_is_refused() {
        for target in ["C:\\src\\a", ".\\a", "..\\a"] {
            let err = parse(&format!("module m\nreplace example.com/a => {target}\n")).unwrap_err();
            assert!(err.message.contains("Windows path"), "{target}: {err}");
        }
        assert_eq!(parse("module m\nreplace example.com/a => ..\n").unwrap().replaces[0].new_path, "..");
    }

    #[test]
    fn a_dependency_go_mod_skips_what_it_does_not_need() {
        let text = "\
module example.com/dep
go 1.22.0.1
toolchain bogus
frobnicate whatever ( x
replace example.com/a => example.com/b
exclude example.com/a not-a-version
future (
\tanything goes here
)
require example.com/a v1.2.3 // indirect
retract [v1.0.0, v1.0.5] // broken
retract [v2.0.0, oops
retract v1.1.0 and more
";
        assert!(parse(text).is_err());
        let m = parse_lax(text).unwrap();
        assert_eq!(m.module, "example.com/dep");
        assert_eq!(m.go.as_deref(), Some("1.22"));
        assert_eq!(m.toolchain, None);
        assert!(m.replaces.is_empty() && m.excludes.is_empty());
        assert_eq!(m.requires.len(), 1);
        let r: Vec<(&str, &str)> = m.retracts.iter().map(|r| (r.low.as_str(), r.high.as_str())).collect();
        assert_eq!(r, [("v1.0.0", "v1.0.5"), ("v1.1.0", "v1.1.0")]);
        assert!(m.retracted("v1.0.3"));
    }

    #[test]
    fn a_dependency_go_mod_still_needs_sound_syntax() {
        assert!(parse_lax("module m\nrequire (\n").is_err());
        assert!(parse_lax("module m\nrequire example.com/a master\n").is_err());
        assert_eq!(parse_lax("require example.com/a v1.0.0\n").unwrap().module, "");
    }

    #[test]
    fn retracted_versions_are_recognised_by_semver_order() {
        let m =
            parse("module m\nretract [v1.1.0, v1.1.5]\nretract v2.0.0+incompatible\nretract v1.3.0-rc.1\n").unwrap();
        for v in ["v1.1.0", "v1.1.3", "v1.1.5", "v1.1.5-pre", "v2.0.0+incompatible", "v2.0.0", "v1.3.0-rc.1"] {
            assert!(m.retracted(v), "{v}");
        }
        for v in ["v1.0.9", "v1.1.6", "v1.1.0-rc.1", "v1.3.0", "v1.3.0-rc.2", "not-a-version", "v1.1.10"] {
            assert!(!m.retracted(v), "{v}");
        }
    }

    #[test]
    fn versions_are_stored_canonical_and_invalid_ones_rejected() {
        let m = parse("module m\nrequire example.com/a v1.2\nrequire example.com/b v2.0.0+incompatible\nrequire example.com/c v1.0.0+meta\n").unwrap();
        assert_eq!(m.requires[0].version, "v1.2.0");
        assert_eq!(m.requires[1].version, "v2.0.0+incompatible");
        assert_eq!(m.requires[2].version, "v1.0.0");
        for bad in ["1.2.3", "v1.02.3", "master", "v1.2-pre", "v1.2.3-01"] {
            let err = parse(&format!("module m\nrequire example.com/a {bad}\n")).unwrap_err();
            assert_eq!(err.line, Some(2), "{bad}");
        }
    }

    #[test]
    fn an_unknown_directive_is_an_error_with_its_line() {
        let err = parse("module m\n\ngo 1.22\nfrobnicate x\n").unwrap_err();
        assert_eq!(err.line, Some(4));
        assert!(err.message.contains("unknown directive: frobnicate"));
        let err = parse("module m\ngo (\n1.22\n)\n").unwrap_err();
        assert_eq!(err.line, Some(2));
    }

    #[test]
    fn a_missing_module_is_an_error() {
        assert!(parse("go 1.22\n").unwrap_err().message.contains("missing module"));
        assert!(parse("").is_err());
    }

    #[test]
    fn syntax_errors_are_reported_with_lines() {
        for (text, line) in [
            ("module m\nrequire (\n\texample.com/a v1.0.0\n", 2),
            ("module m\nrequire example.com/a\n", 2),
            ("module m\n/* c */\n", 2),
            ("module m\nrequire \"example.com/a v1.0.0\n", 2),
            ("module m\nmodule n\n", 2),
            ("module m\ngo 1.22\ngo 1.23\n", 3),
            ("module m\ngo 01.22\n", 2),
            ("module m\nretract [v1.0.0 v1.2.0]\n", 2),
            ("module m\nrequire (\n) x\n", 3),
        ] {
            let err = parse(text).unwrap_err();
            assert_eq!(err.line, Some(line), "{text:?}: {err}");
        }
    }

    #[test]
    fn an_empty_block_and_comments_everywhere_are_fine() {
        let m = parse("// header\nmodule m // the module\nrequire ()\nrequire (\n\t// nothing\n)\n").unwrap();
        assert!(m.requires.is_empty());
    }

    #[test]
    fn go_versions_follow_modfile_syntax() {
        for ok in ["1.22", "1.22.0", "1.21rc1", "1.18beta2", "1.0"] {
            assert!(is_go_version(ok), "{ok}");
        }
        for bad in ["1", "1.22.", "v1.22", "1.022", "0.1", "1.22rc", "1.22.0.1"] {
            assert!(!is_go_version(bad), "{bad}");
        }
    }

    #[test]
    fn upper_case_letters_are_escaped_for_the_proxy() {
        assert_eq!(escape_module_path("github.com/Azure/azure-sdk"), "github.com/!azure/azure-sdk");
        assert_eq!(escape_module_path("github.com/BurntSushi/toml"), "github.com/!burnt!sushi/toml");
        assert_eq!(escape_module_path("golang.org/x/mod"), "golang.org/x/mod");
        assert_eq!(escape_version("v1.0.0-RC1"), "v1.0.0-!r!c1");
    }

    #[test]
    fn quoted_strings_unquote_like_go() {
        assert_eq!(unquote("\"a\\tb\\x41\\u00e9\\101\"").unwrap(), "a\tbAéA");
        assert!(unquote("\"bad\\q\"").is_err());
    }
}
