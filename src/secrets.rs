//! Secrets: tokens, SSH keys, blobstore credentials and private.yml contents.
//!
//! [`Secret`] wraps a value so that `Debug`/`Display` never show it. Every secret that a request
//! carries is also registered here when the `source` is parsed, and [`redact`] replaces each of
//! them in any text about to leave the process (logs, errors). That second net catches secrets
//! that a library echoes back inside an error message (a URL with credentials, a YAML error that
//! quotes a line).

use std::fmt;
use std::sync::Mutex;

static REGISTERED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The shortest value that is redacted: shorter strings (`true`, `us-east-1`) would make logs
/// unreadable and are not credentials.
const MIN_LEN: usize = 6;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps and registers `value` for redaction.
    pub fn new(value: impl Into<String>) -> Secret {
        let value = value.into();
        register(&value);
        Secret(value)
    }

    /// Wraps the text of a private.yml, registered by [`register_private_yml`].
    pub fn private_yml(text: impl Into<String>) -> Secret {
        let text = text.into();
        register_private_yml(&text);
        Secret(text)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Registers `value` (and, for multi-line values such as keys and private.yml, each of its
/// lines and each `key: value` value) for redaction.
pub fn register(value: &str) {
    let mut list = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
    let mut add = |s: &str| {
        let s = s.trim().trim_matches(|c| c == '\'' || c == '"');
        if s.len() >= MIN_LEN && !list.iter().any(|x| x == s) {
            list.push(s.to_string());
        }
    };
    add(value);
    if value.contains('\n') {
        for line in value.lines() {
            add(line);
            if let Some((_, v)) = line.split_once(": ") {
                add(v);
            }
        }
    }
    // Longest first, so that a secret containing another is replaced whole.
    list.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Keys of private.yml whose values are not credentials: where the blobstore is and how to talk
/// to it. Redacting them would blind every error that names the host, bucket or region.
const PRIVATE_YML_PLAIN_KEYS: &[&str] = &[
    "blobstore",
    "provider",
    "options",
    "host",
    "port",
    "region",
    "bucket_name",
    "folder_name",
    "use_ssl",
    "ssl_verify_peer",
    "host_style",
    "signature_version",
    "credentials_source",
    "storage_class",
    "server_side_encryption",
    "multipart_upload",
];

/// Registers the text of a private.yml: the whole text, and every line and value except the
/// structural lines (`blobstore:`, `options:`) and the values of [`PRIVATE_YML_PLAIN_KEYS`]. Lines
/// of a block scalar (a `json_key: |` body) are registered whole.
pub fn register_private_yml(text: &str) {
    register_one(text);
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed == "---" {
            continue;
        }
        let key_value = trimmed
            .split_once(':')
            .filter(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
        match key_value {
            Some((k, _)) if PRIVATE_YML_PLAIN_KEYS.contains(&k) => {}
            Some((_, v)) if v.trim().is_empty() || matches!(v.trim(), "|" | ">" | "|-" | ">-" | "|+" | ">+") => {}
            Some((_, v)) => {
                register_one(trimmed);
                register_one(v);
            }
            None => register_one(trimmed),
        }
    }
}

fn register_one(value: &str) {
    let mut list = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
    let s = value.trim().trim_matches(|c| c == '\'' || c == '"');
    if s.len() >= MIN_LEN && !list.iter().any(|x| x == s) {
        list.push(s.to_string());
        list.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// `text` with every registered secret replaced by `***`, and the user-info part of URLs
/// (`https://user:pass@host`) removed.
pub fn redact(text: &str) -> String {
    let mut out = strip_url_credentials(text);
    let list = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
    for s in list.iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "***");
        }
    }
    out
}

/// Removes `user:password@` after `scheme://` anywhere in `text`.
pub fn strip_url_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail.find(|c: char| c == '/' || c.is_whitespace() || c == '"' || c == '\'').unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(at) => rest = &tail[at + 1..],
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_replaced_everywhere() {
        let s = Secret::new("ghp_redactme_0123456789");
        assert_eq!(format!("{s} {s:?}"), "*** Secret(***)");
        assert_eq!(redact("token ghp_redactme_0123456789 rejected"), "token *** rejected");
    }

    #[test]
    fn private_yml_values_are_registered_line_by_line() {
        register("blobstore:\n  options:\n    secret_access_key: 'wJalrSECRETKEYvalue'\n");
        assert_eq!(redact("bad key wJalrSECRETKEYvalue"), "bad key ***");
    }

    #[test]
    fn private_yml_registers_credentials_but_not_where_the_blobstore_is() {
        register_private_yml(
            "---\nblobstore:\n  provider: s3\n  options:\n    host: 127.0.0.1\n    region: us-east-1\n    \
             bucket_name: my-release-blobs\n    access_key_id: AKIDprivateYML01\n    secret_access_key: 'pyml/SECRET+value'\n    \
             json_key: |\n      {\"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEpyml\"}\n",
        );
        // (The registry is global: other tests register "blobstore:" lines on purpose.)
        assert_eq!(
            redact("PUT http://127.0.0.1:9000/my-release-blobs in us-east-1 denied"),
            "PUT http://127.0.0.1:9000/my-release-blobs in us-east-1 denied"
        );
        assert_eq!(redact("key AKIDprivateYML01 secret pyml/SECRET+value"), "key *** secret ***");
        assert_eq!(redact("bad {\"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEpyml\"}"), "bad ***");
    }

    #[test]
    fn url_credentials_are_stripped() {
        assert_eq!(
            strip_url_credentials("fetch https://x-access-token:abc@github.com/o/r.git failed"),
            "fetch https://github.com/o/r.git failed"
        );
        assert_eq!(strip_url_credentials("git@github.com:o/r.git"), "git@github.com:o/r.git");
    }
}
