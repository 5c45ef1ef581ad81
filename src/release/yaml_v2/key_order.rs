//! The order gopkg.in/yaml.v2 gives the string keys of a map when it marshals one: not byte
//! order, but digit runs read as numbers and letters after everything else. bosh-cli writes
//! `config/blobs.yml` through it, so a file written back must list its keys this way.

use std::cmp::Ordering;

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

/// Sorts the keys of a map the way yaml.v2 does for up to 12 keys (see [`sort_tolerant`]): a list
/// already in an order yaml.v2 could have written stays as it is.
pub fn sort_keys<K: AsRef<str>>(keys: &mut [K]) {
    sort_tolerant(keys, |a, b| yaml_v2_key_cmp(a.as_ref(), b.as_ref()));
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
