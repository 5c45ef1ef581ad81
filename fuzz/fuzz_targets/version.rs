//! Versions and constraints: any text parses as a version of either scheme or not, as a constraint
//! or not; matching answers; ordering is consistent; a version is inside its own `same_major` and
//! `same_minor` constraints. Input: a constraint, a line feed, versions separated by line feeds.
#![no_main]

use std::cmp::Ordering;

use currency::version::{Constraint, Scheme, Version};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.split('\n');
    let constraint = Constraint::parse(lines.next().unwrap_or(""));
    let mut versions = Vec::new();
    for line in lines.chain(std::iter::once(text)) {
        for scheme in [Scheme::Semver, Scheme::Go] {
            let Some(v) = Version::parse(scheme, line) else {
                continue;
            };
            assert_eq!(v.cmp(&v), Ordering::Equal);
            let _ = (v.as_str(), v.is_prerelease(), v.major(), v.minor());
            for own in [Constraint::same_major(&v), Constraint::same_minor(&v)] {
                assert!(own.matches(&v, true), "{v} outside {own}");
                // Its own text reads back as the same constraint.
                let again = Constraint::parse(own.as_str()).expect("reparses");
                assert_eq!(again.matches(&v, false), own.matches(&v, false));
            }
            if let Ok(c) = &constraint {
                let _ = (c.matches(&v, false), c.matches(&v, true));
            }
            versions.push(v);
        }
    }
    for a in &versions {
        for b in &versions {
            assert_eq!(a.cmp(b), b.cmp(a).reverse(), "{a} vs {b}");
        }
    }
});
