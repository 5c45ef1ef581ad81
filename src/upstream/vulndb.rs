//! The Go vulnerability database: the types the plan reads. (The client that fetches them is
//! being built on its own branch; this file is replaced by it.)

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::version::{Scheme, Version};

/// The reports of the asked modules (withdrawn ones dropped), by id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VulnDb {
    pub reports: BTreeMap<String, Report>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: String,
    pub url: String,
    pub affected: Vec<Affected>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    pub module: String,
    pub ranges: Vec<Vec<Event>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
}

impl VulnDb {
    /// The reports affecting `module` at `version`, ordered by id.
    pub fn affecting(&self, module: &str, version: &Version) -> Vec<&Report> {
        self.reports.values().filter(|r| r.affects(module, version)).collect()
    }
}

impl Report {
    pub fn affects(&self, module: &str, version: &Version) -> bool {
        self.range_of(module, version).is_some()
    }

    pub fn fixed_after(&self, module: &str, version: &Version) -> Option<String> {
        self.range_of(module, version)?
    }

    /// The range of `module` holding `version`: `Some(fixed)` of it.
    fn range_of(&self, module: &str, version: &Version) -> Option<Option<String>> {
        let v = |t: &str| {
            if t == "0" { Version::parse(Scheme::Semver, "0.0.0-0") } else { Version::parse(Scheme::Semver, t) }
        };
        for a in self.affected.iter().filter(|a| a.module == module) {
            for range in &a.ranges {
                let mut inside: Option<Option<String>> = None;
                for e in range {
                    match e {
                        Event::Introduced(t) if v(t).is_some_and(|i| *version >= i) => inside = Some(None),
                        Event::Fixed(t) if v(t).is_some_and(|f| *version >= f) => inside = None,
                        Event::Fixed(t) if inside.is_some() => return Some(Some(t.clone())),
                        Event::LastAffected(t) if v(t).is_some_and(|l| *version > l) => inside = None,
                        _ => {}
                    }
                }
                if inside.is_some() {
                    return inside;
                }
            }
        }
        None
    }
}
