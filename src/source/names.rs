//! The names a source gives: dependency names (they end up in versions, branch names and
//! pull-request titles) and branch names (git's `check-ref-format` rules), each with the reason
//! it is refused, for the error line.

use super::UP_TO_DATE;

/// Dependency names appear in versions, branch names and PR titles.
pub fn is_valid_name(name: &str) -> bool {
    name_problem(name).is_none()
}

/// Why `name` cannot be a dependency name (it names versions, branches and PRs), as the end of
/// "it …"; `None` when it can.
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("is empty")
    } else if name.len() > 100 {
        Some("is longer than 100 characters")
    } else if name == UP_TO_DATE {
        Some("is reserved for the version of a release with nothing behind")
    } else if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')) {
        Some("has a character other than a-z, 0-9, '.', '_' and '-'")
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        Some("does not start with a letter or digit")
    } else if name.contains("..") {
        Some("contains \"..\"")
    } else if name.ends_with(".lock") {
        Some("ends with \".lock\"")
    } else if name.ends_with('.') {
        Some("ends with \".\"")
    } else {
        None
    }
}

/// Why git would refuse `refs/heads/<branch>` (the rules of `git check-ref-format --branch`), as
/// the end of "it …"; `None` when git takes it.
pub fn branch_problem(branch: &str) -> Option<&'static str> {
    if branch.is_empty() {
        return Some("is empty");
    }
    if branch.starts_with('-') {
        return Some("starts with '-'");
    }
    if branch == "@" {
        return Some("is \"@\"");
    }
    if branch.chars().any(|c| c.is_control() || c.is_whitespace() || "~^:?*[\\".contains(c)) {
        return Some("has a space, a control character or one of ~ ^ : ? * [ \\");
    }
    if branch.contains("..") {
        return Some("contains \"..\"");
    }
    if branch.contains("@{") {
        return Some("contains \"@{\"");
    }
    if branch.ends_with('.') {
        return Some("ends with '.'");
    }
    for component in branch.split('/') {
        if component.is_empty() {
            return Some("has an empty path component (a leading, trailing or double '/')");
        }
        if component.starts_with('.') {
            return Some("has a path component starting with '.'");
        }
        if component.ends_with(".lock") {
            return Some("has a path component ending with \".lock\"");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_usable_in_branches() {
        for bad in ["Go", "up-to-date", "-x", "a..b", "x.lock", "a/b", "", "a b", "a~1", "a^1", "a:b", "x."] {
            assert!(!is_valid_name(bad), "{bad}");
        }
        for good in ["golang-1.23", "nats.go", "etcd_3"] {
            assert!(is_valid_name(good), "{good}");
        }
    }
}
