//! Secrets: tokens, SSH keys, blobstore credentials and private.yml contents.
//!
//! [`Secret`] wraps a value so that `Debug`/`Display` never show it. Every secret that a request
//! carries is also registered here when the `source` is parsed, and [`redact`] replaces each of
//! them in any text about to leave the process (logs, errors). That second net catches secrets
//! that a library echoes back inside an error message (a URL with credentials, a YAML error that
//! quotes a line).

use std::fmt;
use std::sync::Mutex;

/// Every secret of this process, for [`redact`].
static REGISTERED: Mutex<Redactor> = Mutex::new(Redactor::new(MIN_LEN));

/// The shortest value that is redacted: shorter strings (`true`, `us-east-1`) would make logs
/// unreadable and are not credentials.
const MIN_LEN: usize = 6;

/// The shortest value a [`Redactor::for_credentials`] replaces: its values are known to be
/// credentials (a blobstore's own keys), so shorter ones are still worth hiding.
const CREDENTIAL_MIN_LEN: usize = 4;

/// A set of secret values, each replaced by `***` wherever it appears in a text. The process-wide
/// set behind [`redact`] is one; a blobstore keeps its own ([`Redactor::for_credentials`]) for the
/// server answers and library errors it quotes.
#[derive(Clone)]
pub struct Redactor {
    /// Longest first, so that a secret containing another is replaced whole.
    values: Vec<String>,
    min_len: usize,
}

impl Redactor {
    const fn new(min_len: usize) -> Redactor {
        Redactor { values: Vec::new(), min_len }
    }

    /// An empty set for credentials: values of four characters or more.
    pub fn for_credentials() -> Redactor {
        Redactor::new(CREDENTIAL_MIN_LEN)
    }

    /// Adds `value` as it is, when it is long enough and not already there.
    fn insert(&mut self, value: &str) {
        if value.len() >= self.min_len && !self.values.iter().any(|v| v == value) {
            self.values.push(value.to_string());
            self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
    }

    /// Adds a credential: the value, each of its lines (keys), and each part between the `\n`
    /// escapes of a JSON-escaped multi-line value (`json_key`), each trimmed of whitespace.
    pub fn add_credential(&mut self, value: &str) {
        self.insert(value.trim());
        for line in value.lines() {
            self.insert(line.trim());
        }
        for part in value.split("\\n") {
            self.insert(part.trim());
        }
    }

    /// `text` with every value replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for v in &self.values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), "***");
            }
        }
        out
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} values)", self.values.len())
    }
}

/// A value as registered: trimmed of whitespace and of the quotes YAML may put around it.
fn unquoted(value: &str) -> &str {
    value.trim().trim_matches(|c| c == '\'' || c == '"')
}

fn registered() -> std::sync::MutexGuard<'static, Redactor> {
    REGISTERED.lock().unwrap_or_else(|e| e.into_inner())
}

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
    let mut list = registered();
    list.insert(unquoted(value));
    if value.contains('\n') {
        for line in value.lines() {
            list.insert(unquoted(line));
            if let Some((_, v)) = line.split_once(": ") {
                list.insert(unquoted(v));
            }
        }
    }
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
    registered().insert(unquoted(value));
}

/// `text` with every registered secret replaced by `***`, and the user-info part of URLs
/// (`https://user:pass@host`) removed.
pub fn redact(text: &str) -> String {
    registered().redact(&strip_url_credentials(text))
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

    #[test]
    fn a_credential_redactor_replaces_whole_values_and_key_lines() {
        const SECRET: &str = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYSECRET";
        let mut r = Redactor::for_credentials();
        r.add_credential(SECRET);
        r.add_credential(
            "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n",
        );
        let out = r.redact(&format!("bad {SECRET} and MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"));
        assert_eq!(out, "bad *** and ***");
        // Four characters are enough for a credential; the process-wide set wants six.
        r.add_credential("abcd");
        assert_eq!(r.redact("key abcd"), "key ***");
    }
}
