//! The Go module proxy protocol (facts.md C.1): `$proxy/$module/@v/list`, falling back to
//! `@latest` when the list is empty, with module paths and versions case-escaped (`!m` for `M`).
//!
//! Retractions come from the go.mod of the module's latest version (the highest release, else
//! the highest prerelease), as the go command reads them; a `.mod` never changes once published,
//! so it is cached forever and a repeated check costs only the conditional `@v/list`.

use serde::Deserialize;
use url::Url;

use crate::cache::{Cache, HttpEntry};
use crate::error::{Error, Result};
use crate::gomod::modfile;
use crate::http::{Auth, Http, get_cached};
use crate::version::{Scheme, Version};

#[derive(Debug, Clone)]
pub struct ModuleVersions {
    /// Versions as the proxy spells them (`v1.37.0`), retracted ones removed, pseudo-versions dropped.
    pub versions: Vec<String>,
}

#[derive(Deserialize)]
struct Info {
    #[serde(rename = "Version")]
    version: String,
}

/// `$proxy/<escaped path>/@v/<escaped rest>`.
pub fn module_url(proxy: &Url, path: &str, rest: &str) -> Url {
    let base = proxy.as_str().trim_end_matches('/');
    Url::parse(&format!("{base}/{}/{rest}", modfile::escape_module_path(path)))
        .expect("a proxy URL joined with an escaped module path is a URL")
}

fn is_pseudo(v: &str) -> bool {
    // vX.Y.Z-yyyymmddhhmmss-abcdefabcdef, or the -0. / .0. forms: a 14-digit timestamp then a 12-hex rev.
    let parts: Vec<&str> = v.rsplitn(2, '-').collect();
    if parts.len() != 2 || parts[0].len() != 12 || !parts[0].bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    let head = parts[1];
    head.len() >= 14 && head[head.len() - 14..].bytes().all(|b| b.is_ascii_digit())
}

/// The lines of a `@v/list` answer, or an error when it is not one (an HTML error page, JSON):
/// a proxy lists one `v…` version per line and nothing else.
fn parse_list(url: &Url, text: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().map(str::trim).enumerate() {
        if line.is_empty() {
            continue;
        }
        if !line.starts_with('v') || line.contains(char::is_whitespace) || line.len() > 200 {
            let shown: String = line.chars().take(40).collect();
            return Err(Error::garbage(
                url.as_str(),
                format!("not a module version list: line {} is {shown:?}", i + 1),
                None,
            ));
        }
        out.push(line.to_string());
    }
    Ok(out)
}

pub async fn list_versions(http: &Http, cache: &Cache, proxy: &Url, path: &str) -> Result<ModuleVersions> {
    let list_url = module_url(proxy, path, "@v/list");
    let listed =
        get_cached(http, cache, &list_url, Auth::None, "text/plain", |text| parse_list(&list_url, text)).await?;
    let mut versions: Vec<String> =
        listed.into_iter().filter(|v| !is_pseudo(v) && Version::parse(Scheme::Semver, v).is_some()).collect();
    if versions.is_empty() {
        let latest_url = module_url(proxy, path, "@latest");
        let text = http.get_text(&latest_url, Auth::None, "application/json").await?;
        let info: Info = serde_json::from_str(&text).map_err(|e| {
            Error::garbage(latest_url.as_str(), format!("not a module version info: {e}"), Some(Box::new(e)))
        })?;
        versions.push(info.version);
    }
    let latest = versions
        .iter()
        .filter_map(|v| Version::parse(Scheme::Semver, v).map(|p| (p, v)))
        .max_by(|(a, _), (b, _)| (!a.is_prerelease(), a).cmp(&(!b.is_prerelease(), b)))
        .map(|(_, v)| v.clone());
    if let Some(latest) = latest {
        let escaped = modfile::escape_version(&latest);
        let mod_url = module_url(proxy, path, &format!("@v/{escaped}.mod"));
        let parsed = fetch_immutable(http, cache, &mod_url, |text| {
            modfile::parse_lax(text)
                .map_err(|e| Error::garbage(mod_url.as_str(), format!("go.mod does not parse: {e}"), Some(Box::new(e))))
        })
        .await?;
        versions.retain(|v| !parsed.retracted(v));
    }
    Ok(ModuleVersions { versions })
}

/// A file that never changes once published: served from the cache without any request. It is
/// stored only once `parse` accepts it, so garbage served once is not kept forever.
async fn fetch_immutable<T>(http: &Http, cache: &Cache, url: &Url, parse: impl Fn(&str) -> Result<T>) -> Result<T> {
    let key = format!("immutable:{url}");
    if let Some(entry) = cache.http_get(&key)
        && let Ok(v) = parse(&entry.body)
    {
        return Ok(v);
    }
    let text = http.get_text(url, Auth::None, "text/plain").await?;
    let value = parse(&text)?;
    cache.http_put(&key, &HttpEntry { etag: String::new(), body: text });
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_versions_are_recognised() {
        assert!(is_pseudo("v0.0.0-20230516164442-7862c310ad26"));
        assert!(is_pseudo("v1.2.4-0.20191109021931-daa7c04131f5"));
        assert!(!is_pseudo("v1.37.0"));
        assert!(!is_pseudo("v2.11.0-RC.1"));
    }

    #[test]
    fn module_urls_are_case_escaped() {
        let proxy = Url::parse("http://127.0.0.1:1/goproxy/").unwrap();
        assert_eq!(
            module_url(&proxy, "github.com/Azure/go", "@v/list").as_str(),
            "http://127.0.0.1:1/goproxy/github.com/!azure/go/@v/list"
        );
    }
}
