//! The glob semantics of a package spec's `files` patterns, as bosh-cli matches them: it uses
//! github.com/bmatcuk/doublestar v1 (`RecursiveGlob` in bosh-utils), so `*` and `?` never match
//! `/`, `**` spans directories, `{a,b}` are alternatives, and a malformed pattern matches nothing.
//! Checked against doublestar v1.3.4 (the version bosh-cli vendors) on generated patterns.

/// Whether `path` (relative, `/`-separated) matches the spec pattern `pattern`, as doublestar v1
/// `Match` decides:
///
/// - `*` matches any run of characters other than `/`, `?` exactly one such character;
/// - `[abc]`, `[a-z]`, `[^a-z]` are character classes (`!` is not a negation: neither Go's
///   `filepath.Match` nor doublestar v1 treat it as one); `\` escapes the next character;
/// - a whole `**` path segment matches zero or more segments when more pattern follows
///   (`a/**/b` matches `a/b` and `a/x/y/b`) and one or more as the last segment (`a/**` matches
///   `a/b/c`, not `a`);
/// - `{x,y}` matches either alternative;
/// - doublestar's quirk is kept: once the path segment is used up, what is left of the pattern
///   segment must be empty, `*` or `**` (`a***` does not match `a`).
///
/// A malformed pattern (unclosed `[` or `{`, empty class, trailing `\`) matches nothing, as Go
/// returns `ErrBadPattern`. So does a pattern whose `{…}` alternatives expand to more than
/// [`BRACE_EXPANSION_LIMIT`] characters (`{a,b}` twenty times over is a million alternatives;
/// doublestar would try each of them in turn).
pub fn glob_matches(pattern: &str, path: &str) -> bool {
    let mut budget = BRACE_EXPANSION_LIMIT;
    let Some(alternatives) = expand_braces(pattern, &mut budget) else {
        return false;
    };
    let parts: Vec<Vec<char>> = path.split('/').map(|s| s.chars().collect()).collect();
    alternatives.iter().any(|alt| {
        let segments: Vec<Vec<char>> = alt.split('/').map(|s| s.chars().collect()).collect();
        if segments.iter().any(|seg| !segment_is_well_formed(seg)) {
            return false;
        }
        match_segments(&segments, &parts)
    })
}

/// The most characters brace expansion may produce for one pattern.
pub const BRACE_EXPANSION_LIMIT: usize = 1 << 16;

fn is_double_star(segment: &[char]) -> bool {
    segment == ['*', '*']
}

/// Whole pattern segments against path segments: `**` spans directories. A table over (pattern
/// segment, path position) filled from the end, one row at a time — time in the product of the two
/// lengths, no recursion — where trying every way `**/a/**/a/…` can split the path is exponential.
fn match_segments(pattern: &[Vec<char>], path: &[Vec<char>]) -> bool {
    let n = path.len();
    // next[s]: the pattern after the current segment matches path[s..].
    let mut next: Vec<bool> = (0..=n).map(|s| s == n).collect();
    for (i, segment) in pattern.iter().enumerate().rev() {
        let mut row = vec![false; n + 1];
        if is_double_star(segment) {
            // Last: any remaining segments, at least one. Otherwise: the rest from any later
            // segment (the path left non-empty).
            let last = i + 1 == pattern.len();
            let mut any_later = false;
            for s in (0..n).rev() {
                any_later |= next[s];
                row[s] = last || any_later;
            }
        } else {
            for s in 0..n {
                row[s] = next[s + 1] && segment_matches(segment, &path[s]);
            }
        }
        next = row;
    }
    next[0]
}

/// Expand `{a,b}` alternatives (nested allowed). `None` for an unbalanced pattern, or once the
/// expansions made so far exceed `budget` characters.
fn expand_braces(pattern: &str, budget: &mut usize) -> Option<Vec<String>> {
    let chars: Vec<char> = pattern.chars().collect();
    // Find the first `{` that is not escaped and not inside a class.
    let mut i = 0;
    let mut open = None;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' => {
                while i < chars.len() && chars[i] != ']' {
                    i += 1;
                }
            }
            '{' => {
                open = Some(i);
                break;
            }
            '}' => return None,
            _ => {}
        }
        i += 1;
    }
    let Some(open) = open else {
        return Some(vec![pattern.to_string()]);
    };
    let mut depth = 0;
    let mut alternatives = Vec::new();
    let mut current = String::new();
    let mut j = open + 1;
    let close = loop {
        let c = *chars.get(j)?;
        match c {
            '\\' => {
                current.push(c);
                current.push(*chars.get(j + 1)?);
                j += 1;
            }
            '{' => {
                depth += 1;
                current.push(c);
            }
            '}' if depth > 0 => {
                depth -= 1;
                current.push(c);
            }
            '}' => {
                alternatives.push(std::mem::take(&mut current));
                break j;
            }
            ',' if depth == 0 => alternatives.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
        j += 1;
    };
    let prefix: String = chars[..open].iter().collect();
    let suffix: String = chars[close + 1..].iter().collect();
    let mut out = Vec::new();
    for alt in alternatives {
        let expanded = format!("{prefix}{alt}{suffix}");
        *budget = budget.checked_sub(expanded.len())?;
        out.extend(expand_braces(&expanded, budget)?);
    }
    Some(out)
}

/// Every class closes and no `\` ends the segment.
fn segment_is_well_formed(p: &[char]) -> bool {
    let mut k = 0;
    while k < p.len() {
        k = match p[k] {
            '[' => match class_end(p, k) {
                Some(end) => end,
                None => return false,
            },
            '\\' if k + 1 >= p.len() => return false,
            '\\' => k + 2,
            _ => k + 1,
        };
    }
    true
}

/// One element of a pattern segment.
enum Token<'a> {
    Star,
    AnyChar,
    Class(&'a [char]),
    Char(char),
}

/// One well-formed pattern segment against one path segment, as doublestar v1's recursion decides
/// (a `*` followed by more pattern takes a part of the name that leaves a non-empty tail; a name
/// used up leaves only an empty, `*` or `**` pattern rest). A table over (token, name position)
/// filled from the end, one row at a time: time in pattern length times name length, no recursion.
fn segment_matches(p: &[char], name: &[char]) -> bool {
    let mut tokens = Vec::new();
    let mut starts = Vec::new();
    let mut i = 0;
    while i < p.len() {
        starts.push(i);
        let (token, len) = match p[i] {
            '\\' => (Token::Char(p[i + 1]), 2),
            '*' => (Token::Star, 1),
            '?' => (Token::AnyChar, 1),
            '[' => {
                let end = class_end(p, i).unwrap_or(p.len());
                (Token::Class(&p[i + 1..end - 1]), end - i)
            }
            c => (Token::Char(c), 1),
        };
        tokens.push(token);
        i += len;
    }
    let n = name.len();
    // next[k]: the tokens after the current one match name[k..].
    let mut next: Vec<bool> = (0..=n).map(|k| k == n).collect();
    for (t, token) in tokens.iter().enumerate().rev() {
        let rest = &p[starts[t]..];
        let mut row = vec![false; n + 1];
        row[n] = rest == ['*'] || rest == ['*', '*'];
        match token {
            Token::Star if t + 1 == tokens.len() => row[..n].fill(true),
            Token::Star => {
                let mut any_later = false;
                for k in (0..n).rev() {
                    any_later |= next[k];
                    row[k] = any_later;
                }
            }
            _ => {
                for k in 0..n {
                    let one = match token {
                        Token::AnyChar => true,
                        Token::Class(body) => class_matches(body, name[k]),
                        Token::Char(c) => *c == name[k],
                        Token::Star => unreachable!("handled above"),
                    };
                    row[k] = one && next[k + 1];
                }
            }
        }
        next = row;
    }
    next[0]
}

/// Index just past the `]` closing the class that opens at `p[start] == '['`; `None` if malformed.
fn class_end(p: &[char], start: usize) -> Option<usize> {
    let mut i = start + 1;
    if p.get(i) == Some(&'^') {
        i += 1;
    }
    let mut ranges = 0;
    loop {
        match p.get(i)? {
            ']' if ranges > 0 => return Some(i + 1),
            ']' | '-' => return None,
            _ => {}
        }
        i = escaped_char_end(p, i)?;
        if p.get(i) == Some(&'-') {
            match p.get(i + 1)? {
                ']' | '-' => return None,
                _ => i = escaped_char_end(p, i + 1)?,
            }
        }
        ranges += 1;
    }
}

/// Index past one (possibly `\`-escaped) class character at `p[i]`.
fn escaped_char_end(p: &[char], i: usize) -> Option<usize> {
    if p[i] == '\\' {
        p.get(i + 1)?;
        Some(i + 2)
    } else {
        Some(i + 1)
    }
}

/// `body` is the class between `[` and `]`, already validated.
fn class_matches(body: &[char], c: char) -> bool {
    let (negated, body) = match body.first() {
        Some('^') => (true, &body[1..]),
        _ => (false, body),
    };
    let mut matched = false;
    let mut i = 0;
    while i < body.len() {
        let (lo, next) = if body[i] == '\\' { (body[i + 1], i + 2) } else { (body[i], i + 1) };
        i = next;
        let mut hi = lo;
        if body.get(i) == Some(&'-') {
            let (h, next) = if body[i + 1] == '\\' { (body[i + 2], i + 3) } else { (body[i + 1], i + 2) };
            hi = h;
            i = next;
        }
        if lo <= c && c <= hi {
            matched = true;
        }
    }
    matched != negated
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_matches_within_one_segment_only() {
        let p = "etcd/etcd-v3.3.*-linux-amd64.tar.gz";
        assert!(glob_matches(p, "etcd/etcd-v3.3.15-linux-amd64.tar.gz"));
        assert!(!glob_matches(p, "etcd/etcd-v3.4.1-linux-amd64.tar.gz"));
        assert!(!glob_matches(p, "etcd/etcd-v3.3.1/x-linux-amd64.tar.gz"));
        assert!(glob_matches("go1.13*.linux-amd64.tar.gz", "go1.13.15.linux-amd64.tar.gz"));
        assert!(glob_matches("go1.13*.linux-amd64.tar.gz", "go1.13.linux-amd64.tar.gz"));
        assert!(!glob_matches("go1.13*.linux-amd64.tar.gz", "go1.14.linux-amd64.tar.gz"));
        assert!(!glob_matches("go1.13*.linux-amd64.tar.gz", "golang/go1.13.linux-amd64.tar.gz"));
        assert!(!glob_matches("*", "a/b"));
        assert!(glob_matches("*", ".hidden"));
    }

    #[test]
    fn question_marks_and_classes_match_one_character() {
        assert!(glob_matches("a?c", "abc"));
        assert!(!glob_matches("a?c", "a/c"));
        assert!(!glob_matches("a?c", "ac"));
        assert!(glob_matches("v[0-9].tgz", "v7.tgz"));
        assert!(!glob_matches("v[0-9].tgz", "vx.tgz"));
        assert!(glob_matches("v[^0-9].tgz", "vx.tgz"));
        // `!` is an ordinary class member, as in Go and doublestar v1.
        assert!(!glob_matches("v[!0-9].tgz", "vx.tgz"));
        assert!(glob_matches("v[!0-9].tgz", "v!.tgz"));
        assert!(glob_matches("[ab][cd]", "bd"));
        assert!(glob_matches("a\\*b", "a*b"));
        assert!(!glob_matches("a\\*b", "axb"));
    }

    #[test]
    fn double_star_matches_any_number_of_directories() {
        assert!(glob_matches("src/**/*.go", "src/a.go"));
        assert!(glob_matches("src/**/*.go", "src/x/y/z/a.go"));
        assert!(!glob_matches("src/**/*.go", "other/a.go"));
        assert!(glob_matches("**/modules.txt", "code/vendor/modules.txt"));
        assert!(glob_matches("a/**", "a/b/c"));
        assert!(!glob_matches("a/**", "a"));
        assert!(glob_matches("a/**/b", "a/b"));
    }

    #[test]
    fn a_run_of_three_stars_cannot_end_on_an_exhausted_name() {
        // doublestar v1: `*` and `**` may be left over at the end of a name, `***` may not.
        assert!(glob_matches("a*", "a"));
        assert!(glob_matches("a**", "a"));
        assert!(!glob_matches("a***", "a"));
        assert!(glob_matches("a***", "ab"));
        assert!(glob_matches("*", ""));
    }

    #[test]
    fn braces_match_either_alternative() {
        assert!(glob_matches("go.{mod,sum}", "go.mod"));
        assert!(glob_matches("go.{mod,sum}", "go.sum"));
        assert!(!glob_matches("go.{mod,sum}", "go.work"));
        assert!(glob_matches("{a,b/c}/x", "b/c/x"));
    }

    #[test]
    fn malformed_patterns_match_nothing() {
        for p in ["a[", "a[]", "a[-z]", "a\\", "{a,b", "a}", "x[a-]"] {
            assert!(!glob_matches(p, "a"), "{p}");
            assert!(!glob_matches(p, "a["), "{p}");
        }
    }

    #[test]
    fn star_backtracks_over_repeated_text() {
        assert!(glob_matches("*a*b*c", "xxaxbxxbyc"));
        assert!(!glob_matches("*a*b*c", "xxaxbxxbyd"));
        assert!(glob_matches("**.go", "a.go"));
    }
}
