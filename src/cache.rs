//! The check cache. Concourse reuses check containers, so a directory under the system temp dir
//! (or `$CURRENCY_CACHE_DIR`) keeps what makes the next check cheap: the ETag and body of every
//! conditional GET, immutable upstream files (a module's `.mod`), the git clones, and JSON values
//! computed from an immutable input (a source release read at one commit).
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

    fn json_path(&self, key: &str) -> Option<PathBuf> {
        Some(self.root.as_ref()?.join("json").join(format!("{}.json", hash(key))))
    }

    /// A value stored by [`Cache::json_put`] under `key`; `None` when absent, unreadable or not a
    /// `T` (a corrupt entry costs only the work of computing it again).
    pub fn json_get<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        let bytes = std::fs::read(self.json_path(key)?).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Stores `value` under `key`, atomically (a concurrent reader sees the old entry or the new
    /// one, never half of one). A failure is only a missed optimisation.
    pub fn json_put<T: Serialize>(&self, key: &str, value: &T) {
        let Some(path) = self.json_path(key) else { return };
        if let (Some(dir), Ok(bytes)) = (path.parent(), serde_json::to_vec(value))
            && std::fs::create_dir_all(dir).is_ok()
        {
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

    #[test]
    fn json_values_round_trip_and_corrupt_or_foreign_ones_are_absent() {
        let dir = tempfile::tempdir().unwrap();
        let c = Cache::at(dir.path());
        assert_eq!(c.json_get::<Vec<String>>("k"), None);
        c.json_put("k", &vec!["a".to_string()]);
        assert_eq!(c.json_get::<Vec<String>>("k"), Some(vec!["a".to_string()]));
        assert_eq!(c.json_get::<u32>("k"), None, "another type is absent");
        assert_eq!(c.json_get::<Vec<String>>("other"), None);
        std::fs::write(c.json_path("k").unwrap(), b"[\"a\"").unwrap();
        assert_eq!(c.json_get::<Vec<String>>("k"), None, "a truncated entry is absent");
        let disabled = Cache { root: None };
        disabled.json_put("k", &1u32);
        assert_eq!(disabled.json_get::<u32>("k"), None);
    }
}
