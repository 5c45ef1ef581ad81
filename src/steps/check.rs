//! `check`: the version of what is behind, or nothing.

use crate::cache::Cache;
use crate::error::Result;
use crate::http::Http;
use crate::source::Source;
use crate::steps::{VersionMap, assess, runtime};

/// `[]` when nothing is behind, else `[<current version>]`; each dependency behind is logged.
pub fn check(source: Source) -> Result<Vec<VersionMap>> {
    let http = Http::new(source.skip_ssl_verification)?;
    let cache = Cache::open();
    let a = runtime()?.block_on(assess::remote(source, &cache, &http, assess::Vulns::SecurityOnly))?;
    let version = a.plan.version();
    for d in a.plan.dependencies.iter().filter(|d| d.behind) {
        crate::log!(
            "{}: {} -> {}",
            d.name,
            d.current.as_ref().map_or("?", |v| v.as_str()),
            d.target.as_ref().or(d.latest.as_ref()).map_or("?", |v| v.as_str())
        );
    }
    Ok(if version.is_empty() { vec![] } else { vec![version] })
}
