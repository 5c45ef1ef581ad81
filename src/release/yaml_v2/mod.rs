//! A writer of YAML byte-identical to gopkg.in/yaml.v2 v2.4.0 (the library bosh-cli marshals
//! `config/blobs.yml` with): its key order ([`yaml_v2_key_cmp`]), and for each string the style
//! yaml.v2 picks (plain, single- or double-quoted, `|` literal) and where libyaml folds it.
//! Kept apart from the blobs.yml model because it knows YAML and Go, not blobs.

mod key_order;
mod resolve;

pub use key_order::{sort_keys, yaml_v2_key_cmp};
use resolve::{is_base60_float, yaml_v2_resolves_to_str};

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

/// Writes a block map of block maps (a Go map of structs) as yaml.v2's `Marshal` does: the caller
/// gives the keys in order ([`sort_keys`]) and the fields of each entry.
#[derive(Default)]
pub struct Writer {
    out: String,
    /// Column in characters, as libyaml counts it.
    column: usize,
    /// Whether the next field is the first of its entry (written right after the key).
    first_field: bool,
}

impl Writer {
    /// Starts one entry of the top-level map: `key:` with its first field on the next line, or
    /// yaml.v2's explicit `? key` / `: ` form for a key longer than 128 bytes or holding a line
    /// break.
    pub fn entry(&mut self, key: &str) {
        if key.len() > SIMPLE_KEY_MAX || key.chars().any(is_break) {
            self.push_str("? ");
            self.scalar(key, Context::LongKey);
            self.end_line();
            self.push_str(": ");
        } else {
            self.scalar(key, Context::SimpleKey);
            self.push_str(":\n  ");
        }
        self.first_field = true;
    }

    /// One `name: value` field of the current entry, the value written as yaml.v2 writes an
    /// integer.
    pub fn int_field(&mut self, name: &str, value: u64) {
        self.field_name(name);
        self.push_str(&value.to_string());
        self.end_line();
    }

    /// One `name: value` field of the current entry, the value styled as yaml.v2 styles a string.
    pub fn str_field(&mut self, name: &str, value: &str) {
        self.field_name(name);
        self.scalar(value, Context::Value);
        self.end_line();
    }

    /// A field value of a single line, styled as yaml.v2 styles a string (plain, or quoted when
    /// plain would read as another type). Only for values without spaces or line breaks: those
    /// are never folded, wherever they stand.
    pub fn value(s: &str) -> String {
        let mut w = Writer::default();
        w.scalar(s, Context::Value);
        w.out
    }

    /// The document: `{}` for a map without entries.
    pub fn finish(self) -> String {
        if self.out.is_empty() { "{}\n".to_string() } else { self.out }
    }

    /// `name: `, indented below the key unless it is the entry's first field.
    fn field_name(&mut self, name: &str) {
        if !self.first_field {
            self.push_str("  ");
        }
        self.first_field = false;
        self.push_str(name);
        self.push_str(": ");
    }

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

/// A YAML line break: line feed, carriage return, NEL, LS or PS.
pub fn is_break(c: char) -> bool {
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
