//! Files of a checkout: relative paths that stay inside it.

/// The first rule a relative path breaks, in the order they are checked: on the whole path first,
/// then component by component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathProblem {
    Empty,
    Nul,
    Backslash,
    Absolute,
    EmptyComponent,
    /// A `..` component: the path leaves the directory it is relative to.
    ParentComponent,
    /// A `.` component: a second spelling of the same path.
    DotComponent,
}

/// Why `p` is not a relative path that stays inside the repository (or `blobs/`); `None` when it
/// is one.
pub fn relative_path_problem(p: &str) -> Option<PathProblem> {
    if p.is_empty() {
        return Some(PathProblem::Empty);
    }
    if p.contains('\0') {
        return Some(PathProblem::Nul);
    }
    if p.contains('\\') {
        return Some(PathProblem::Backslash);
    }
    if p.starts_with('/') {
        return Some(PathProblem::Absolute);
    }
    p.split('/').find_map(|component| match component {
        "" => Some(PathProblem::EmptyComponent),
        ".." => Some(PathProblem::ParentComponent),
        "." => Some(PathProblem::DotComponent),
        _ => None,
    })
}

/// A relative path that stays inside the repository (or `blobs/`).
pub fn is_safe_relative_path(p: &str) -> bool {
    relative_path_problem(p).is_none()
}
