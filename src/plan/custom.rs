//! Custom builds: a blob whose version upstream never released, of a version it did — a release
//! team's own patched build, such as `etcd-v2.2.0-tls1.2-patch-linux-amd64.tar.gz`. Its suffix is
//! no prerelease: the build is judged on its base version (`2.2.0`) and kept unless the entry says
//! `custom_builds: replace`, so a bump never silently swaps the patched build for plain upstream.

use crate::source::{Dependency, DependencyKind};
use crate::upstream::Offer;
use crate::version::{Scheme, Version};

/// The base version `current` is a custom build of, when it is one: upstream never released
/// `current` itself, but released its `major.minor.patch`.
pub fn base_of(dep: &Dependency, offer: Option<&Offer>, current: &Version) -> Option<Version> {
    if !current.is_prerelease() {
        return None;
    }
    let offer = offer?;
    let scheme = super::Kind::of(&dep.kind).scheme();
    let k = current.key();
    let base = Version::parse(scheme, &format!("{}.{}.{}", k.major, k.minor, k.patch))?;
    (!released(dep, offer, current) && released(dep, offer, &base)).then_some(base)
}

/// Whether upstream released exactly `version`.
fn released(dep: &Dependency, offer: &Offer, version: &Version) -> bool {
    match (&dep.kind, offer) {
        (DependencyKind::GithubRelease { tag, .. }, Offer::Github(releases)) => releases.iter().any(|r| {
            tag.extract(&r.tag_name).and_then(|raw| Version::parse(Scheme::Semver, raw)).as_ref() == Some(version)
        }),
        (DependencyKind::Golang { .. }, Offer::Go(releases)) => {
            releases.iter().any(|r| Version::parse(Scheme::Go, &r.version).as_ref() == Some(version))
        }
        _ => false,
    }
}
