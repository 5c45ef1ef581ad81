//! yaml.v2's resolver, as far as the writer needs it: whether a string written plain would read
//! back as something else (a bool, null, an integer in any of Go's bases, a float, a YAML 1.1
//! sexagesimal number or a timestamp, with Go's calendar checks), so that it must be quoted.

use std::sync::LazyLock;

use regex::Regex;

/// Whether yaml.v2's resolver (YAML 1.1 flavoured) reads `s`, unquoted, back as a string.
pub(super) fn yaml_v2_resolves_to_str(s: &str) -> bool {
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
pub(super) fn is_base60_float(s: &str) -> bool {
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
