//! The Go downloads index: `<go_downloads_url>?mode=json&include=all`, every release newest
//! first, each file with its sha256 (facts.md C.4). Files are served at `<url><filename>`.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::cache::Cache;
use crate::error::{Error, Result};
use crate::http::{Auth, Http, get_cached};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GoRelease {
    /// `go1.23.2`.
    pub version: String,
    pub stable: bool,
    #[serde(default)]
    pub files: Vec<GoFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GoFile {
    pub filename: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub arch: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub sha256: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub kind: String,
}

impl GoRelease {
    pub fn file(&self, filename: &str) -> Option<&GoFile> {
        self.files.iter().find(|f| f.filename == filename)
    }
}

pub fn index_url(base: &Url) -> Url {
    let mut u = base.clone();
    u.set_query(Some("mode=json&include=all"));
    u
}

pub fn file_url(base: &Url, filename: &str) -> Url {
    base.join(filename).unwrap_or_else(|_| base.clone())
}

pub async fn list_releases(http: &Http, cache: &Cache, base: &Url) -> Result<Vec<GoRelease>> {
    let url = index_url(base);
    get_cached(http, cache, &url, Auth::None, "application/json", |text| {
        serde_json::from_str(text)
            .map_err(|e| Error::garbage(url.as_str(), format!("not a Go downloads index: {e}"), Some(Box::new(e))))
    })
    .await
}
