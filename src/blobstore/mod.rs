//! The release blobstore: where `bosh upload-blobs` (and so a bump) puts new blobs, with bosh-cli's
//! semantics for `config/final.yml` and `config/private.yml`.
//!
//! [`Blobstore::configure`] reads the provider from `final.yml` and the options from `final.yml`
//! merged key by key with `private.yml`'s (or `source.blobstore.options`), private winning. The
//! three providers bosh-cli v2 accepts:
//! - `local` ([`local`]): `blobstore_path`, relative to the release directory; a file is
//!   hard-linked (copied only across filesystems) under a temp name and renamed into place.
//! - `s3` ([`s3`]): AWS S3 and S3-compatible servers (GCS interoperability through
//!   `host: storage.googleapis.com` included), through the `object_store` crate.
//! - `gcs` ([`gcs`]): the GCS JSON API (resumable uploads), spoken directly with reqwest; tokens
//!   come from `object_store`'s GCP credential code. [`gcs`] explains why.
//!
//! Object keys follow bosh: the key is the object id, or `folder_name/object_id` for s3.
//!
//! Invariants:
//! - uploads and downloads stream: memory stays bounded (a few parts of [`PART_SIZE`]) whatever the
//!   size of the file (measured, dev build: a 300 MiB s3 upload and download peaked at 38 MB RSS,
//!   a 100 MiB gcs one at 36 MB);
//! - a download lands in a temp file next to the destination and is renamed into place only when
//!   complete, so a failed transfer never leaves a partial file under the final name;
//! - **no error text carries a credential**: messages never quote option values, and text that
//!   comes from outside (server answers, library errors) goes through a [`Redactor`](crate::secrets::Redactor)
//!   holding this blobstore's own secrets before it is used. [`crate::secrets::redact`] remains a second net.
//! - read-only configurations (`credentials_source: none`, gcs without credentials) can check and
//!   download public objects; [`Blobstore::put_file`] fails naming the option.

use std::path::Path;

use serde_json::{Map, Value as Json};

use crate::error::{Error, Result};
use crate::release::config::{FinalConfig, merge_options, parse_private_options};
use crate::source::BlobstoreSecrets;

pub mod gcs;
pub mod local;
pub mod s3;

/// The part size of multipart (s3) and resumable (gcs) uploads, and the size above which an
/// upload stops being a single request. A multiple of 256 KiB (GCS) and above 5 MiB (S3's minimum).
pub const PART_SIZE: usize = 8 * 1024 * 1024;

/// How many parts an s3 upload keeps in flight at once (memory ≈ `(MAX_IN_FLIGHT + 1) * PART_SIZE`).
pub const MAX_IN_FLIGHT: usize = 2;

/// A configured release blobstore.
#[derive(Debug)]
pub struct Blobstore {
    inner: Provider,
}

#[derive(Debug)]
enum Provider {
    Local(local::Local),
    S3(s3::S3),
    Gcs(gcs::Gcs),
}

impl Blobstore {
    /// bosh-cli semantics: the provider comes from `final_yml`; the options are `final_yml`'s merged
    /// with the private ones (`private.yml`'s `blobstore.options`, or `source.blobstore.options`),
    /// private winning. A relative `local` `blobstore_path` is joined to `release_dir`. The
    /// environment is read for `env_or_profile` (AWS_*) and `STORAGE_EMULATOR_HOST` (gcs).
    pub fn configure(final_yml: &str, secrets: &BlobstoreSecrets, release_dir: &Path) -> Result<Blobstore> {
        Self::configure_with_env(final_yml, secrets, release_dir, &|k| std::env::var(k).ok())
    }

    /// [`Blobstore::configure`] with the environment given as a function (tests; callers that
    /// must not read the process environment).
    pub fn configure_with_env(
        final_yml: &str,
        secrets: &BlobstoreSecrets,
        release_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Blobstore> {
        let config = FinalConfig::parse(final_yml).map_err(|e| e.in_file("config/final.yml"))?;
        config.validate_provider().map_err(|e| e.in_file("config/final.yml"))?;
        let private = match secrets {
            BlobstoreSecrets::None => Map::new(),
            BlobstoreSecrets::PrivateYml(text) => {
                parse_private_options(text.expose()).map_err(|e| e.in_file("config/private.yml"))?
            }
            BlobstoreSecrets::Options(options) => options.clone(),
        };
        let options = merge_options(&config.blobstore.options, &private);
        Self::from_options(&config.blobstore.provider, &options, release_dir, env)
    }

    /// A blobstore from a provider name and already merged options.
    pub fn from_options(
        provider: &str,
        options: &Map<String, Json>,
        release_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Blobstore> {
        let options = Options::new(provider, options);
        let inner = match provider {
            "local" => Provider::Local(local::Local::configure(&options, release_dir)?),
            "s3" => Provider::S3(s3::S3::configure(&options, env)?),
            "gcs" => Provider::Gcs(gcs::Gcs::configure(&options, env)?),
            other => {
                return Err(Error::Parse {
                    file: "config/final.yml".into(),
                    message: format!(
                        "blobstore.provider {other:?} is not supported by bosh-cli (expected local, s3 or gcs)"
                    ),
                });
            }
        };
        Ok(Blobstore { inner })
    }

    /// Uploads the file at `path` as object `object_id` (key `object_id`, or
    /// `folder_name/object_id` for s3), streaming: large files go in parts of [`PART_SIZE`].
    pub async fn put_file(&self, object_id: &str, path: &Path) -> Result<()> {
        check_object_id(object_id)?;
        // The caller logs the upload, naming the dependency.
        let size = tokio::fs::metadata(path).await.map_err(|e| Error::io(path, e))?.len();
        match &self.inner {
            Provider::Local(l) => l.put_file(object_id, path).await,
            Provider::S3(s) => s.put_file(object_id, path, size).await,
            Provider::Gcs(g) => g.put_file(object_id, path, size).await,
        }
    }

    /// Whether object `object_id` exists (for reusing an upload).
    pub async fn exists(&self, object_id: &str) -> Result<bool> {
        check_object_id(object_id)?;
        match &self.inner {
            Provider::Local(l) => l.exists(object_id).await,
            Provider::S3(s) => s.exists(object_id).await,
            Provider::Gcs(g) => g.exists(object_id).await,
        }
    }

    /// Downloads object `object_id` to `dest`, streaming into a temp file beside it that is renamed
    /// into place once complete.
    pub async fn get_to_file(&self, object_id: &str, dest: &Path) -> Result<()> {
        check_object_id(object_id)?;
        match &self.inner {
            Provider::Local(l) => l.get_to_file(object_id, dest).await,
            Provider::S3(s) => s.get_to_file(object_id, dest).await,
            Provider::Gcs(g) => g.get_to_file(object_id, dest).await,
        }
    }

    /// `s3 bucket my-bucket (folder f)`, `gcs bucket b`, `local /path`: for PR bodies and logs;
    /// never a credential.
    pub fn describe(&self) -> String {
        match &self.inner {
            Provider::Local(l) => l.describe(),
            Provider::S3(s) => s.describe(),
            Provider::Gcs(g) => g.describe(),
        }
    }

    /// `local`, `s3` or `gcs`.
    pub fn provider(&self) -> &'static str {
        match &self.inner {
            Provider::Local(_) => "local",
            Provider::S3(_) => "s3",
            Provider::Gcs(_) => "gcs",
        }
    }

    /// Whether this configuration can upload (false for `credentials_source: none` and for gcs
    /// without credentials).
    pub fn writable(&self) -> bool {
        match &self.inner {
            Provider::Local(_) => true,
            Provider::S3(s) => s.writable(),
            Provider::Gcs(g) => g.writable(),
        }
    }
}

/// A fresh object id: a random UUID v4, as bosh-cli uses.
pub fn new_object_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Object ids are single path segments (bosh uses UUIDs): no `/`, no `..`, nothing that could
/// leave the blobstore directory or folder.
fn check_object_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id != "."
        && id != ".."
        && id.len() <= 512
        && !id.chars().any(|c| c == '/' || c == '\\' || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(Error::config("blobstore object id", format!("{id:?} is not a valid object id (one path segment)")))
    }
}

/// Typed access to merged blobstore options. Errors name the key (`blobstore.options.bucket_name`)
/// and never quote a value.
pub(crate) struct Options<'a> {
    provider: &'a str,
    map: &'a Map<String, Json>,
}

impl<'a> Options<'a> {
    pub(crate) fn new(provider: &'a str, map: &'a Map<String, Json>) -> Options<'a> {
        Options { provider, map }
    }

    pub(crate) fn key(name: &str) -> String {
        format!("blobstore.options.{name}")
    }

    fn err(&self, name: &str, message: impl Into<String>) -> Error {
        Error::config(Self::key(name), message)
    }

    /// A string option; absent, `null` and `""` are `None`.
    pub(crate) fn string(&self, name: &str) -> Result<Option<String>> {
        match self.map.get(name) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) if s.is_empty() => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.err(name, "must be a string")),
        }
    }

    pub(crate) fn required_string(&self, name: &str) -> Result<String> {
        self.string(name)?.ok_or_else(|| {
            self.err(
                name,
                format!(
                    "is required for the {} blobstore (set it under blobstore.options in config/final.yml or \
                     config/private.yml)",
                    self.provider
                ),
            )
        })
    }

    /// A boolean option: `true`/`false`, or those words as strings.
    pub(crate) fn bool(&self, name: &str, default: bool) -> Result<bool> {
        match self.map.get(name) {
            None | Some(Json::Null) => Ok(default),
            Some(Json::Bool(b)) => Ok(*b),
            Some(Json::String(s)) if s == "true" => Ok(true),
            Some(Json::String(s)) if s == "false" => Ok(false),
            Some(_) => Err(self.err(name, "must be true or false")),
        }
    }

    /// A TCP port: an integer or a string of digits.
    pub(crate) fn port(&self, name: &str) -> Result<Option<u16>> {
        let bad = || self.err(name, "must be a port number (1-65535)");
        match self.map.get(name) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Number(n)) => match n.as_u64() {
                Some(0) => Ok(None),
                Some(p) => u16::try_from(p).map(Some).map_err(|_| bad()),
                None => Err(bad()),
            },
            Some(Json::String(s)) if s.is_empty() => Ok(None),
            Some(Json::String(s)) => s.parse::<u16>().ok().filter(|p| *p > 0).map(Some).ok_or_else(bad),
            Some(_) => Err(bad()),
        }
    }

    /// Fails, naming the key, when option `name` is set (for options this crate does not support).
    pub(crate) fn unsupported(&self, name: &str, message: &str) -> Result<()> {
        match self.map.get(name) {
            None | Some(Json::Null) => Ok(()),
            Some(Json::String(s)) if s.is_empty() => Ok(()),
            Some(_) => Err(self.err(name, message.to_string())),
        }
    }
}

/// `text` cut to `max` characters (server bodies can be long).
pub(crate) fn truncate(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max).collect();
        s.push('…');
        s
    }
}

/// A temp file beside `dest` (same filesystem, so the final rename is atomic), to be
/// [`crate::files::persist`]ed once complete.
pub(crate) fn temp_beside(dest: &Path) -> Result<tempfile::NamedTempFile> {
    crate::files::temp_beside(dest, TEMP_PREFIX)
}

/// The prefix of the temp names objects are written under before their rename.
pub(crate) const TEMP_PREFIX: &str = ".currency-blob-";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Secret;
    use serde_json::json;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn opts(v: Json) -> Map<String, Json> {
        v.as_object().unwrap().clone()
    }

    fn err_of(provider: &str, options: Json) -> String {
        Blobstore::from_options(provider, &opts(options), Path::new("/release"), &no_env).unwrap_err().to_string()
    }

    const SECRET: &str = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYSECRET";

    #[test]
    fn object_ids_are_fresh_uuids() {
        let a = new_object_id();
        let b = new_object_id();
        assert_ne!(a, b);
        let u = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(u.get_version_num(), 4);
        assert_eq!(a.len(), 36);
    }

    #[test]
    fn a_missing_bucket_name_names_the_key() {
        for provider in ["s3", "gcs"] {
            let e = err_of(provider, json!({}));
            assert!(e.contains("blobstore.options.bucket_name"), "{e}");
            assert!(e.contains("required"), "{e}");
        }
        let e = err_of("local", json!({}));
        assert!(e.contains("blobstore.options.blobstore_path"), "{e}");
    }

    #[test]
    fn an_unknown_provider_names_final_yml() {
        let e = Blobstore::configure("name: x\nblobstore: {provider: dav}\n", &BlobstoreSecrets::None, Path::new("/r"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("config/final.yml"), "{e}");
        assert!(e.contains("\"dav\""), "{e}");
        let e = Blobstore::configure("name: x\n", &BlobstoreSecrets::None, Path::new("/r")).unwrap_err().to_string();
        assert!(e.starts_with("config/final.yml"), "{e}");
    }

    #[test]
    fn private_options_win_over_final_ones() {
        let final_yml =
            "name: r\nblobstore:\n  provider: s3\n  options:\n    bucket_name: from-final\n    folder_name: f\n";
        let private = BlobstoreSecrets::PrivateYml(Secret::new(
            "blobstore:\n  options:\n    bucket_name: from-private\n    access_key_id: AKIDEXAMPLE\n    secret_access_key: s3cr3t-value\n",
        ));
        let b = Blobstore::configure_with_env(final_yml, &private, Path::new("/r"), &no_env).unwrap();
        assert_eq!(b.describe(), "s3 bucket from-private (folder f)");
        assert!(b.writable());
        let b = Blobstore::configure_with_env(
            final_yml,
            &BlobstoreSecrets::Options(opts(json!({"bucket_name": "from-source"}))),
            Path::new("/r"),
            &no_env,
        )
        .unwrap();
        assert_eq!(b.describe(), "s3 bucket from-source (folder f)");
        assert!(!b.writable(), "no keys: read-only");
    }

    #[test]
    fn s3_credentials_source_rules() {
        let base = json!({"bucket_name": "b"});
        let with = |extra: Json| {
            let mut m = opts(base.clone());
            m.extend(opts(extra));
            Blobstore::from_options("s3", &m, Path::new("/r"), &no_env)
        };
        // Empty: static when both keys, none when neither, an error for one.
        assert!(with(json!({"access_key_id": "AKID", "secret_access_key": SECRET})).unwrap().writable());
        assert!(!with(json!({})).unwrap().writable());
        let e = with(json!({"access_key_id": "AKID"})).unwrap_err().to_string();
        assert!(e.contains("blobstore.options.secret_access_key"), "{e}");
        let e = with(json!({"secret_access_key": SECRET})).unwrap_err().to_string();
        assert!(e.contains("blobstore.options.access_key_id"), "{e}");
        assert!(!e.contains(SECRET), "{e}");
        // static needs both.
        let e = with(json!({"credentials_source": "static"})).unwrap_err().to_string();
        assert!(e.contains("access_key_id"), "{e}");
        // none and env_or_profile refuse keys.
        for source in ["none", "env_or_profile"] {
            let e = with(json!({"credentials_source": source, "access_key_id": "AKID", "secret_access_key": SECRET}))
                .unwrap_err()
                .to_string();
            assert!(e.contains("blobstore.options.credentials_source"), "{e}");
            assert!(!e.contains(SECRET), "{e}");
        }
        assert!(!with(json!({"credentials_source": "none"})).unwrap().writable());
        let e = with(json!({"credentials_source": "sometimes"})).unwrap_err().to_string();
        assert!(e.contains("blobstore.options.credentials_source") && e.contains("static"), "{e}");
    }

    #[test]
    fn env_or_profile_reads_the_aws_environment() {
        let env = |k: &str| match k {
            "AWS_ACCESS_KEY_ID" => Some("AKIDENV".to_string()),
            "AWS_SECRET_ACCESS_KEY" => Some(SECRET.to_string()),
            _ => None,
        };
        let m = opts(json!({"bucket_name": "b", "credentials_source": "env_or_profile"}));
        let b = Blobstore::from_options("s3", &m, Path::new("/r"), &env).unwrap();
        assert!(b.writable());
        assert!(!format!("{b:?}").contains(SECRET));
    }

    #[test]
    fn option_types_are_checked_without_quoting_values() {
        let cases = [
            json!({"bucket_name": "b", "use_ssl": SECRET}),
            json!({"bucket_name": "b", "port": SECRET}),
            json!({"bucket_name": "b", "secret_access_key": [SECRET], "access_key_id": "AKID"}),
            json!({"bucket_name": {"x": SECRET}}),
            json!({"bucket_name": "b", "assume_role_arn": SECRET}),
        ];
        for c in cases {
            let e = err_of("s3", c.clone());
            assert!(e.contains("blobstore.options."), "{e}");
            assert!(!e.contains(SECRET), "{c}: {e}");
        }
    }

    #[test]
    fn gcs_options_are_validated_without_quoting_secrets() {
        // static without json_key.
        let e = err_of("gcs", json!({"bucket_name": "b", "credentials_source": "static"}));
        assert!(e.contains("blobstore.options.json_key"), "{e}");
        // a json_key that is not JSON, or lacks fields.
        for key in [format!("not json {SECRET}"), format!("{{\"private_key\": \"{SECRET}\"}}")] {
            let e = err_of("gcs", json!({"bucket_name": "b", "credentials_source": "static", "json_key": key}));
            assert!(e.contains("blobstore.options.json_key"), "{e}");
            assert!(!e.contains(SECRET), "{e}");
        }
        // a private key that does not parse.
        let key = json!({"type": "service_account", "client_email": "a@b.iam", "private_key_id": "k",
            "private_key": format!("-----BEGIN PRIVATE KEY-----\n{SECRET}\n-----END PRIVATE KEY-----\n")})
        .to_string();
        let e = err_of("gcs", json!({"bucket_name": "b", "credentials_source": "static", "json_key": key}));
        assert!(e.contains("blobstore.options.json_key"), "{e}");
        assert!(!e.contains(SECRET), "{e}");
        // encryption_key is refused, naming the key only.
        let e = err_of("gcs", json!({"bucket_name": "b", "encryption_key": SECRET}));
        assert!(e.contains("blobstore.options.encryption_key") && e.contains("not supported"), "{e}");
        assert!(!e.contains(SECRET), "{e}");
        // none with a json_key is a contradiction.
        let e = err_of("gcs", json!({"bucket_name": "b", "credentials_source": "none", "json_key": SECRET}));
        assert!(e.contains("blobstore.options.credentials_source"), "{e}");
        assert!(!e.contains(SECRET), "{e}");
        // read-only without credentials.
        let b = Blobstore::from_options("gcs", &opts(json!({"bucket_name": "b"})), Path::new("/r"), &no_env).unwrap();
        assert!(!b.writable());
        assert_eq!(b.describe(), "gcs bucket b");
    }

    #[test]
    fn local_paths_are_joined_to_the_release_dir() {
        let b = Blobstore::from_options("local", &opts(json!({"blobstore_path": "blobs"})), Path::new("/rel"), &no_env)
            .unwrap();
        assert_eq!(b.describe(), "local /rel/blobs");
        let b = Blobstore::from_options("local", &opts(json!({"blobstore_path": "/abs"})), Path::new("/rel"), &no_env)
            .unwrap();
        assert_eq!(b.describe(), "local /abs");
    }

    #[test]
    fn s3_descriptions_name_custom_hosts_and_never_keys() {
        let m = opts(json!({"bucket_name": "b", "host": "storage.googleapis.com", "access_key_id": "AKIDVISIBLE",
            "secret_access_key": SECRET}));
        let b = Blobstore::from_options("s3", &m, Path::new("/r"), &no_env).unwrap();
        assert_eq!(b.describe(), "s3 bucket b on storage.googleapis.com");
        let dbg = format!("{b:?}");
        assert!(!dbg.contains(SECRET), "{dbg}");
    }

    #[test]
    fn object_ids_are_single_segments() {
        for bad in ["", ".", "..", "a/b", "../x", "a\\b", "a\nb"] {
            assert!(check_object_id(bad).is_err(), "{bad:?}");
        }
        check_object_id(&new_object_id()).unwrap();
    }
}
