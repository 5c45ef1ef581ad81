//! Files of a checkout: relative paths that stay inside it.

/// A relative path that stays inside the repository (or `blobs/`).
pub fn is_safe_relative_path(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.contains('\\')
        && !p.contains('\0')
        && p.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}
