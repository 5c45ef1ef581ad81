//! The `s3` provider, with bosh-s3cli's option keys, through `object_store`'s S3 client
//! (SigV4 signing with `ring`, requests over the crate's reqwest with native-tls).
//!
//! - Endpoint: AWS (`https://s3.<region>.amazonaws.com/<bucket>`, or
//!   `https://<bucket>.s3.<region>.amazonaws.com` with `host_style: true`) unless `host` is set;
//!   then `http(s)://host[:port]` with path-style addressing unless `host_style: true`, which puts
//!   the bucket in the host name. `use_ssl` (default true) picks the scheme; `ssl_verify_peer: false`
//!   accepts any certificate. GCS's S3 interoperability (`host: storage.googleapis.com`) is the
//!   same code.
//! - `credentials_source`: `static` (both keys), `env_or_profile` (AWS_ACCESS_KEY_ID,
//!   AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the environment; without them, object_store's
//!   instance-metadata credentials; `~/.aws` profiles are not read), `none` (unsigned, read-only),
//!   or empty: static with both keys, none with neither, an error with one (bosh's rule).
//! - `server_side_encryption` (`AES256`, `aws:kms`, `aws:kms:dsse`) and `sse_kms_key_id`.
//! - Not supported (an error naming the key): `assume_role_arn`. The swift, checksum, concurrency
//!   and `multipart_upload` tuning keys are ignored: uploads above [`PART_SIZE`] always go
//!   multipart (AWS and GCS's XML API both support it), with at most [`MAX_IN_FLIGHT`] parts in
//!   flight, so memory stays bounded whatever the file size.

use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt as _;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::{ClientOptions, ObjectStoreExt as _, PutPayload, WriteMultipart};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::{MAX_IN_FLIGHT, Options, PART_SIZE, temp_beside, truncate};
use crate::error::{Error, Result};
use crate::secrets::Redactor;

/// How the requests are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Credentials {
    Static,
    EnvOrProfile,
    None,
}

/// The static keys of the options.
struct Keys {
    access_key_id: Option<String>,
    secret: Option<String>,
}

impl Credentials {
    /// bosh's rule: `credentials_source` static needs both keys, none and env_or_profile neither;
    /// empty is static with both keys, none with neither, an error with one.
    fn of(source: Option<&str>, keys: &Keys) -> Result<Credentials> {
        match (source, &keys.access_key_id, &keys.secret) {
            (None, Some(_), Some(_)) | (Some("static"), Some(_), Some(_)) => Ok(Credentials::Static),
            (None, None, None) => Ok(Credentials::None),
            (None | Some("static"), None, _) => Err(Error::config(
                Options::key("access_key_id"),
                "is required with secret_access_key (credentials_source static needs both keys)",
            )),
            (None | Some("static"), _, None) => Err(Error::config(
                Options::key("secret_access_key"),
                "is required with access_key_id (credentials_source static needs both keys)",
            )),
            (Some(s @ ("none" | "env_or_profile")), a, k) => {
                if a.is_some() || k.is_some() {
                    return Err(Error::config(
                        Options::key("credentials_source"),
                        format!("is {s}: access_key_id and secret_access_key must not be set"),
                    ));
                }
                Ok(if s == "none" { Credentials::None } else { Credentials::EnvOrProfile })
            }
            (Some(_), _, _) => Err(Error::config(
                Options::key("credentials_source"),
                "must be static, env_or_profile or none (or empty)",
            )),
        }
    }

    /// Gives `builder` these credentials: the static keys, no signature, or AWS_* from `env`
    /// (else object_store's instance-metadata credentials). Secrets read from `env` join
    /// `redactor`.
    fn sign(
        self,
        builder: AmazonS3Builder,
        keys: Keys,
        env: &dyn Fn(&str) -> Option<String>,
        redactor: &mut Redactor,
    ) -> Result<AmazonS3Builder> {
        match self {
            Credentials::Static => Ok(builder
                .with_access_key_id(keys.access_key_id.unwrap_or_default())
                .with_secret_access_key(keys.secret.unwrap_or_default())),
            Credentials::None => Ok(builder.with_skip_signature(true)),
            Credentials::EnvOrProfile => {
                let get = |k: &str| env(k).filter(|v| !v.is_empty());
                match (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")) {
                    (Some(id), Some(secret)) => {
                        redactor.add_credential(&secret);
                        let mut builder = builder.with_access_key_id(id).with_secret_access_key(secret);
                        if let Some(token) = get("AWS_SESSION_TOKEN") {
                            redactor.add_credential(&token);
                            builder = builder.with_token(token);
                        }
                        Ok(builder)
                    }
                    (None, None) => Ok(builder), // object_store's instance-metadata credentials
                    _ => Err(Error::config(
                        Options::key("credentials_source"),
                        "is env_or_profile: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither",
                    )),
                }
            }
        }
    }
}

/// Where the bucket is and how to talk to it: AWS, or `host` (with `port`, `use_ssl`,
/// `ssl_verify_peer`), path-style unless `host_style`.
struct Endpoint {
    region: String,
    use_ssl: bool,
    verify: bool,
    host_style: bool,
    port: Option<u16>,
    host: Option<String>,
}

impl Endpoint {
    /// An unsigned client builder for `bucket` at this endpoint, with the timeouts and retries of
    /// every client, and the bucket's base URL (for error messages).
    fn builder(&self, bucket: &str) -> Result<(AmazonS3Builder, String)> {
        // 15 s and 60 s, or CURRENCY_HTTP_TIMEOUT_SECS.
        let (connect_timeout, read_timeout) = crate::http::timeouts();
        let builder = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(&self.region)
            .with_virtual_hosted_style_request(self.host_style)
            .with_disable_tagging(true)
            .with_client_options(
                ClientOptions::new()
                    .with_allow_http(!self.use_ssl)
                    .with_allow_invalid_certificates(!self.verify)
                    .with_timeout_disabled()
                    .with_connect_timeout(connect_timeout)
                    .with_read_timeout(read_timeout),
            )
            .with_retry(object_store::RetryConfig {
                max_retries: 4,
                retry_timeout: Duration::from_secs(120),
                ..Default::default()
            });
        let region = &self.region;
        match &self.host {
            Some(h) => self.custom_host(builder, bucket, h),
            None if self.host_style => Ok((builder, format!("https://{bucket}.s3.{region}.amazonaws.com"))),
            None => Ok((builder, format!("https://s3.{region}.amazonaws.com/{bucket}"))),
        }
    }

    /// `builder` pointed at `host` (`[scheme://]name[:port]`), and the bucket's base URL there.
    fn custom_host(&self, mut builder: AmazonS3Builder, bucket: &str, host: &str) -> Result<(AmazonS3Builder, String)> {
        let scheme = if self.use_ssl { "https" } else { "http" };
        let h = host.trim_end_matches('/');
        let (scheme, bare) = match h.split_once("://") {
            Some((s, rest)) => (s.to_string(), rest.to_string()),
            None => (scheme.to_string(), h.to_string()),
        };
        if bare.is_empty() || bare.contains(['/', '@', ' ']) {
            return Err(Error::config(Options::key("host"), "must be a host name (with an optional scheme)"));
        }
        let authority = match self.port {
            Some(p) if !bare.contains(':') => format!("{bare}:{p}"),
            _ => bare,
        };
        if scheme == "http" {
            builder = builder.with_allow_http(true);
        }
        let endpoint = if self.host_style {
            format!("{scheme}://{bucket}.{authority}")
        } else {
            format!("{scheme}://{authority}")
        };
        builder = builder.with_endpoint(&endpoint);
        let bucket_url = if self.host_style { endpoint } else { format!("{endpoint}/{bucket}") };
        Ok((builder, bucket_url))
    }
}

/// `server_side_encryption` (`AES256`, `aws:kms`, `aws:kms:dsse`) and `sse_kms_key_id`.
fn encryption(mut builder: AmazonS3Builder, options: &Options<'_>) -> Result<AmazonS3Builder> {
    if let Some(sse) = options.string("server_side_encryption")? {
        if !matches!(sse.as_str(), "AES256" | "aws:kms" | "aws:kms:dsse") {
            return Err(Error::config(
                Options::key("server_side_encryption"),
                "must be AES256, aws:kms or aws:kms:dsse",
            ));
        }
        builder = builder.with_config(config_key("aws_server_side_encryption"), sse);
    }
    if let Some(kms) = options.string("sse_kms_key_id")? {
        builder = builder.with_config(config_key("aws_sse_kms_key_id"), kms);
    }
    Ok(builder)
}

pub struct S3 {
    store: AmazonS3,
    bucket: String,
    folder: Option<String>,
    /// `host` as given (for descriptions), when not AWS.
    host: Option<String>,
    /// The bucket's base URL, for error messages (no credentials in it).
    bucket_url: String,
    credentials: Credentials,
    redactor: Redactor,
}

/// Written by hand so that no credential can reach a `{:?}`, whatever object_store's own Debug does.
impl std::fmt::Debug for S3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3")
            .field("bucket", &self.bucket)
            .field("folder", &self.folder)
            .field("bucket_url", &self.bucket_url)
            .field("credentials", &self.credentials)
            .finish()
    }
}

impl S3 {
    pub(crate) fn configure(options: &Options<'_>, env: &dyn Fn(&str) -> Option<String>) -> Result<S3> {
        let bucket = options.required_string("bucket_name")?;
        let folder = options.string("folder_name")?.map(|f| f.trim_matches('/').to_string()).filter(|f| !f.is_empty());
        if let Some(f) = &folder {
            ObjectPath::parse(f)
                .map_err(|_| Error::config(Options::key("folder_name"), "is not a valid object key prefix"))?;
        }
        options.unsupported("assume_role_arn", "is not supported by currency yet; use static keys")?;

        let keys =
            Keys { access_key_id: options.string("access_key_id")?, secret: options.string("secret_access_key")? };
        let mut redactor = Redactor::for_credentials();
        if let Some(s) = &keys.secret {
            redactor.add_credential(s);
        }
        let credentials = Credentials::of(options.string("credentials_source")?.as_deref(), &keys)?;

        let endpoint = Endpoint {
            region: options.string("region")?.unwrap_or_else(|| "us-east-1".to_string()),
            use_ssl: options.bool("use_ssl", true)?,
            verify: options.bool("ssl_verify_peer", true)?,
            host_style: options.bool("host_style", false)?,
            port: options.port("port")?,
            host: options.string("host")?,
        };
        let (builder, bucket_url) = endpoint.builder(&bucket)?;
        let builder = credentials.sign(builder, keys, env, &mut redactor)?;
        let builder = encryption(builder, options)?;

        let store = builder.build().map_err(|e| {
            // Builder errors concern the configuration; they quote no credential, but redact anyway.
            Error::config("blobstore.options", format!("s3 client: {}", redactor.redact(&e.to_string())))
        })?;
        Ok(S3 { store, bucket, folder, host: endpoint.host, bucket_url, credentials, redactor })
    }

    pub(crate) fn writable(&self) -> bool {
        self.credentials != Credentials::None
    }

    pub(crate) fn describe(&self) -> String {
        let mut s = format!("s3 bucket {}", self.bucket);
        if let Some(h) = &self.host {
            s.push_str(&format!(" on {h}"));
        }
        if let Some(f) = &self.folder {
            s.push_str(&format!(" (folder {f})"));
        }
        s
    }

    /// bosh-s3cli's `key()`: `object_id`, or `folder_name/object_id`.
    fn key(&self, object_id: &str) -> String {
        match &self.folder {
            Some(f) => format!("{f}/{object_id}"),
            None => object_id.to_string(),
        }
    }

    fn path(&self, object_id: &str) -> Result<ObjectPath> {
        ObjectPath::parse(self.key(object_id))
            .map_err(|_| Error::config("blobstore object id", format!("{object_id:?} cannot be an s3 key")))
    }

    pub(crate) async fn put_file(&self, object_id: &str, file: &Path, size: u64) -> Result<()> {
        if !self.writable() {
            return Err(Error::config(
                Options::key("credentials_source"),
                format!(
                    "{} is read-only without credentials (credentials_source none, or no keys): set access_key_id \
                     and secret_access_key in config/private.yml or source.blobstore to upload",
                    self.describe()
                ),
            ));
        }
        let path = self.path(object_id)?;
        let key = self.key(object_id);
        let mut input = tokio::fs::File::open(file).await.map_err(|e| Error::io(file, e))?;
        if size <= PART_SIZE as u64 {
            let mut buf = Vec::with_capacity(size as usize);
            input.read_to_end(&mut buf).await.map_err(|e| Error::io(file, e))?;
            self.store.put(&path, PutPayload::from(buf)).await.map_err(|e| self.error("PUT", &key, e))?;
            return Ok(());
        }
        let upload = self.store.put_multipart(&path).await.map_err(|e| self.error("POST (multipart)", &key, e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        loop {
            if let Err(e) = writer.wait_for_capacity(MAX_IN_FLIGHT).await {
                let _ = writer.abort().await;
                return Err(self.error("PUT (part)", &key, e));
            }
            let part = match read_part(&mut input).await {
                Ok(part) => part,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(Error::io(file, e));
                }
            };
            if part.is_empty() {
                break;
            }
            // Handed over as it was read: no copy into the writer's buffer.
            writer.put(part);
        }
        writer.finish().await.map_err(|e| self.error("POST (complete multipart)", &key, e))?;
        Ok(())
    }

    pub(crate) async fn exists(&self, object_id: &str) -> Result<bool> {
        let path = self.path(object_id)?;
        match self.store.head(&path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.error("HEAD", &self.key(object_id), e)),
        }
    }

    pub(crate) async fn get_to_file(&self, object_id: &str, dest: &Path) -> Result<()> {
        let path = self.path(object_id)?;
        let key = self.key(object_id);
        let got = self.store.get(&path).await.map_err(|e| self.error("GET", &key, e))?;
        let tmp = temp_beside(dest)?;
        let mut out = tokio::fs::File::from_std(tmp.reopen().map_err(|e| Error::io(dest, e))?);
        let mut stream = got.into_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.error("GET", &key, e))?;
            out.write_all(&chunk).await.map_err(|e| Error::io(dest, e))?;
        }
        out.flush().await.map_err(|e| Error::io(dest, e))?;
        out.sync_all().await.map_err(|e| Error::io(dest, e))?;
        drop(out);
        crate::files::persist(tmp, dest)
    }

    /// An object_store error as [`Error::Http`]: the object's URL, the status when the server
    /// answered, and S3's `<Code>`/`<Message>` (or the library's text), scrubbed of this store's
    /// secrets.
    fn error(&self, method: &str, key: &str, e: object_store::Error) -> Error {
        let url = format!("{}/{key}", self.bucket_url);
        let text = self.redactor.redact(&error_chain(&e));
        let status = status_of(&e, &text);
        let detail = match (xml_tag(&text, "Code"), xml_tag(&text, "Message")) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(c), None) => c,
            _ => truncate(&text, 300),
        };
        let status_text = match status {
            Some(s) => format!("HTTP {s}"),
            None => "no answer".to_string(),
        };
        let hint = match status {
            Some(401 | 403) => "; check access_key_id/secret_access_key and the bucket's permissions",
            Some(301) => "; check region",
            _ => "",
        };
        // object_store's error is not kept as the source: its text may hold this store's
        // secrets, and is told here redacted.
        Error::http(
            url,
            status,
            format!("{method} to {} failed: {status_text} ({}){hint}", self.describe(), truncate(&detail, 300)),
        )
    }
}

/// An `AmazonS3ConfigKey` by its documented name (the encryption key enum is not exported).
/// The next part of an upload: up to [`PART_SIZE`] bytes read straight into the buffer the request
/// sends (empty at the end of the file).
async fn read_part(input: &mut tokio::fs::File) -> std::io::Result<bytes::Bytes> {
    let mut part = bytes::BytesMut::with_capacity(PART_SIZE);
    while part.len() < PART_SIZE {
        if input.read_buf(&mut part).await? == 0 {
            break;
        }
    }
    Ok(part.freeze())
}

fn config_key(name: &str) -> AmazonS3ConfigKey {
    name.parse().expect("a key object_store documents")
}

/// The error and its sources, joined.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !text.contains(&t) {
            text.push_str(": ");
            text.push_str(&t);
        }
        cur = s.source();
    }
    text
}

fn status_of(e: &object_store::Error, text: &str) -> Option<u16> {
    match e {
        object_store::Error::NotFound { .. } => return Some(404),
        object_store::Error::PermissionDenied { .. } => return Some(403),
        object_store::Error::Unauthenticated { .. } => return Some(401),
        object_store::Error::Precondition { .. } => return Some(412),
        object_store::Error::AlreadyExists { .. } => return Some(409),
        _ => {}
    }
    // RetryError is not public: read "status code: 400 Bad Request" from its text.
    let i = text.find("status code: ")? + "status code: ".len();
    text.get(i..i + 3)?.parse().ok()
}

fn xml_tag(text: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&close)? + start;
    Some(text[start..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_codes_and_statuses_are_read_from_error_text() {
        let t = "Error performing PUT http://h/b/k in 2ms - Server returned non-2xx status code: 403 Forbidden: \
                 <?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>nope</Message></Error>";
        assert_eq!(xml_tag(t, "Code").as_deref(), Some("SignatureDoesNotMatch"));
        assert_eq!(xml_tag(t, "Message").as_deref(), Some("nope"));
        let e = object_store::Error::Generic { store: "S3", source: t.into() };
        assert_eq!(status_of(&e, t), Some(403));
        assert_eq!(status_of(&e, "connection refused"), None);
    }
}
