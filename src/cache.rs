//! The check cache. Concourse reuses check containers, so a directory under the system temp dir
//! (or `$CURRENCY_CACHE_DIR`) keeps what makes the next check cheap: the ETag and body of every
//! conditional GET, immutable upstream files (a module's `.mod`), and the git clones.
//!
//! The cache is an optimisation only: a missing, unwritable or corrupt entry is treated as absent
//! and costs one full request. Entries are written to a temporary file and renamed into place, so
//! concurrent checks never read half an entry. No credential is ever written here: keys are
//! hashes of URLs, and bodies are public API answers.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct Cache {
    root: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HttpEntry {
    pub etag: String,
    pub body: String,
}

fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))[..32].to_string()
}

impl Cache {
    /// The cache under `$CURRENCY_CACHE_DIR`, or `<temp dir>/currency-cache`.
    pub fn open() -> Cache {
        let root = std::env::var_os("CURRENCY_CACHE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("currency-cache"));
        Cache::at(&root)
    }

    pub fn at(root: &Path) -> Cache {
        match std::fs::create_dir_all(root.join("http")) {
            Ok(()) => Cache { root: Some(root.to_path_buf()) },
            Err(e) => {
                crate::log!("cache {} unusable ({e}); continuing without it", root.display());
                Cache { root: None }
            }
        }
    }

    fn http_path(&self, key: &str) -> Option<PathBuf> {
        Some(self.root.as_ref()?.join("http").join(format!("{}.json", hash(key))))
    }

    pub fn http_get(&self, key: &str) -> Option<HttpEntry> {
        let text = std::fs::read(self.http_path(key)?).ok()?;
        serde_json::from_slice(&text).ok()
    }

    pub fn http_put(&self, key: &str, entry: &HttpEntry) {
        if let Some(path) = self.http_path(key)
            && let Ok(bytes) = serde_json::to_vec(entry)
        {
            // An entry that cannot be written is only a missed optimisation.
            let _ = crate::files::write_atomically(&path, &bytes);
        }
    }

    /// Where the clone of `git_url` lives (`None` when the cache is disabled).
    pub fn git_dir(&self, git_url: &str) -> Option<PathBuf> {
        Some(self.root.as_ref()?.join("git").join(hash(git_url)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_corrupt_ones_are_absent() {
        let dir = tempfile::tempdir().unwrap();
        let c = Cache::at(dir.path());
        assert!(c.http_get("u").is_none());
        c.http_put("u", &HttpEntry { etag: "\"e\"".into(), body: "[]".into() });
        assert_eq!(c.http_get("u").unwrap().etag, "\"e\"");
        std::fs::write(c.http_path("u").unwrap(), b"{not json").unwrap();
        assert!(c.http_get("u").is_none());
    }
}
