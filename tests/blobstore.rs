//! The release blobstore (`currency::blobstore`) against real servers on 127.0.0.1:
//! - s3: `s3s-fs`, which checks SigV4 signatures (see `support::blob_servers::S3Server`);
//! - gcs: `gcp-storage-emulator`, reached through `STORAGE_EMULATOR_HOST`;
//! - local: plain directories.
//!
//! The servers are installed by `.ci/run`; without them these tests fail, they never skip.

mod support;

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use currency::blobstore::{Blobstore, PART_SIZE, new_object_id};
use currency::error::Error;
use currency::secrets::Secret;
use currency::source::BlobstoreSecrets;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use support::blob_servers::{GcsEmulator, S3Server};

const AK: &str = "AKIDCURRENCYTEST";
const SK: &str = "sk-currency-test-SECRET-0123456789";
const BUCKET: &str = "release-blobs";

fn sha256_file(p: &Path) -> String {
    let mut h = Sha256::new();
    let mut f = std::fs::File::open(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = std::io::Read::read(&mut f, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    hex::encode(h.finalize())
}

/// A file of `len` pseudo-random bytes (xorshift; incompressible enough, deterministic).
fn make_file(dir: &Path, name: &str, len: usize, seed: u64) -> PathBuf {
    let p = dir.join(name);
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    let mut x = seed | 1;
    let mut left = len;
    let mut block = [0u8; 8];
    while left > 0 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        block.copy_from_slice(&x.to_le_bytes());
        let n = left.min(8);
        f.write_all(&block[..n]).unwrap();
        left -= n;
    }
    f.flush().unwrap();
    p
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |k| map.get(k).cloned()
}

fn private_yml(text: &str) -> BlobstoreSecrets {
    BlobstoreSecrets::PrivateYml(Secret::new(text))
}

/// final.yml for the s3 server, with `extra` option lines.
fn s3_final(server: &S3Server, bucket: &str, extra: &str) -> String {
    format!(
        "---\nname: test-release\nblobstore:\n  provider: s3\n  options:\n    bucket_name: {bucket}\n    host: 127.0.0.1\n    \
         port: {}\n    use_ssl: false\n    region: us-east-1\n{extra}",
        server.port()
    )
}

fn s3_private(ak: &str, sk: &str) -> BlobstoreSecrets {
    private_yml(&format!("blobstore:\n  options:\n    access_key_id: {ak}\n    secret_access_key: '{sk}'\n"))
}

fn s3_store(server: &S3Server, final_yml: &str, secrets: &BlobstoreSecrets) -> Blobstore {
    Blobstore::configure_with_env(final_yml, secrets, Path::new("/nonexistent-release"), &env_of(&[]))
        .unwrap_or_else(|e| panic!("configure: {e}\nserver log:\n{}", server.log()))
}

/// Uploads `file`, checks existence, reads it back and compares digests; returns the object id.
async fn round_trip(store: &Blobstore, file: &Path, scratch: &Path) -> String {
    let id = new_object_id();
    assert!(!store.exists(&id).await.unwrap(), "fresh id must not exist yet");
    store.put_file(&id, file).await.unwrap_or_else(|e| panic!("put_file to {}: {e}", store.describe()));
    assert!(store.exists(&id).await.unwrap(), "uploaded object must exist");
    let back = scratch.join(format!("{id}.back"));
    store.get_to_file(&id, &back).await.unwrap();
    assert_eq!(sha256_file(&back), sha256_file(file), "object read back differs from the file");
    id
}

// ---------------------------------------------------------------- s3

#[tokio::test]
async fn s3_upload_with_static_credentials_reads_back_the_same_bytes() {
    let server = S3Server::start(AK, SK);
    server.create_bucket(BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let file = make_file(tmp.path(), "blob.tgz", 100_000, 1);
    let store = s3_store(&server, &s3_final(&server, BUCKET, ""), &s3_private(AK, SK));
    assert_eq!(store.describe(), "s3 bucket release-blobs on 127.0.0.1");
    let id = round_trip(&store, &file, tmp.path()).await;
    // The key is the object id itself, at the bucket's top.
    let stored = server.object_file(BUCKET, &id);
    assert_eq!(sha256_file(&stored), sha256_file(&file), "{} on the server", stored.display());
    // An object that is not there.
    assert!(!store.exists(&new_object_id()).await.unwrap());
    let e = store.get_to_file(&new_object_id(), &tmp.path().join("missing")).await.unwrap_err();
    assert!(matches!(e, Error::Http { status: Some(404), .. }), "{e:?}");
    assert!(!tmp.path().join("missing").exists());
}

#[tokio::test]
async fn s3_folder_name_prefixes_the_key() {
    let server = S3Server::start(AK, SK);
    server.create_bucket(BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let file = make_file(tmp.path(), "blob", 4096, 2);
    let store = s3_store(&server, &s3_final(&server, BUCKET, "    folder_name: some/folder\n"), &s3_private(AK, SK));
    assert_eq!(store.describe(), "s3 bucket release-blobs on 127.0.0.1 (folder some/folder)");
    let id = round_trip(&store, &file, tmp.path()).await;
    assert!(server.object_file(BUCKET, &format!("some/folder/{id}")).is_file());
    assert!(!server.object_file(BUCKET, &id).exists());
}

#[tokio::test]
async fn s3_a_wrong_secret_is_an_http_error_naming_bucket_host_and_status_without_the_secret() {
    let server = S3Server::start(AK, SK);
    server.create_bucket(BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let file = make_file(tmp.path(), "blob", 1000, 3);
    let wrong = "wrong-SECRET-value-9876543210";
    let store = s3_store(&server, &s3_final(&server, BUCKET, ""), &s3_private(AK, wrong));
    let e = store.put_file(&new_object_id(), &file).await.unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, Error::Http { status: Some(403), .. }), "{e:?}");
    assert!(text.contains(BUCKET), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{}", server.port())), "{text}");
    assert!(text.contains("403"), "{text}");
    assert!(!text.contains(wrong) && !text.contains(SK), "{text}");
    assert!(!format!("{e:?}").contains(wrong), "{e:?}");
    // HEAD answers 403 too, with the same care.
    let e = store.exists(&new_object_id()).await.unwrap_err();
    assert!(matches!(e, Error::Http { status: Some(403), .. }), "{e:?}");
    assert!(!e.to_string().contains(wrong));
}

#[tokio::test]
async fn s3_private_options_are_merged_over_final_ones() {
    let server = S3Server::start(AK, SK);
    server.create_bucket("private-bucket");
    let tmp = tempfile::tempdir().unwrap();
    let file = make_file(tmp.path(), "blob", 2048, 4);
    // final.yml names another bucket and a wrong port; private.yml fixes both and adds the keys.
    let final_yml = "name: r\nblobstore:\n  provider: s3\n  options:\n    bucket_name: final-bucket\n    host: 127.0.0.1\n    \
                     port: 1\n    use_ssl: false\n";
    let secrets = private_yml(&format!(
        "blobstore:\n  provider: ignored\n  options:\n    bucket_name: private-bucket\n    port: {}\n    \
         credentials_source: static\n    access_key_id: {AK}\n    secret_access_key: {SK}\n",
        server.port()
    ));
    let store = s3_store(&server, final_yml, &secrets);
    let id = round_trip(&store, &file, tmp.path()).await;
    assert!(server.object_file("private-bucket", &id).is_file());
    // The same with source.blobstore.options instead of a private.yml.
    let mut options = serde_json::Map::new();
    options.insert("bucket_name".into(), json!("private-bucket"));
    options.insert("port".into(), json!(server.port()));
    options.insert("access_key_id".into(), json!(AK));
    options.insert("secret_access_key".into(), json!(SK));
    let store = s3_store(&server, final_yml, &BlobstoreSecrets::Options(options));
    let id = round_trip(&store, &file, tmp.path()).await;
    assert!(server.object_file("private-bucket", &id).is_file());
}

#[tokio::test]
async fn s3_credentials_source_rules() {
    let server = S3Server::start(AK, SK);
    server.create_bucket(BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let file = make_file(tmp.path(), "blob", 512, 5);
    let dir = Path::new("/nonexistent-release");

    // env_or_profile: the keys come from the environment.
    let final_yml = s3_final(&server, BUCKET, "    credentials_source: env_or_profile\n");
    let env = env_of(&[("AWS_ACCESS_KEY_ID", AK), ("AWS_SECRET_ACCESS_KEY", SK)]);
    let store = Blobstore::configure_with_env(&final_yml, &BlobstoreSecrets::None, dir, &env).unwrap();
    round_trip(&store, &file, tmp.path()).await;
    // ... and refuses keys in the options.
    let e = Blobstore::configure_with_env(&final_yml, &s3_private(AK, SK), dir, &env).unwrap_err().to_string();
    assert!(e.contains("blobstore.options.credentials_source"), "{e}");
    assert!(!e.contains(SK), "{e}");

    // none: read-only; put_file fails naming the option, before any request.
    let final_yml = s3_final(&server, BUCKET, "    credentials_source: none\n");
    let store = Blobstore::configure_with_env(&final_yml, &BlobstoreSecrets::None, dir, &env_of(&[])).unwrap();
    assert!(!store.writable());
    let e = store.put_file(&new_object_id(), &file).await.unwrap_err().to_string();
    assert!(e.contains("blobstore.options.credentials_source") && e.contains("read-only"), "{e}");

    // empty: one key alone is an error naming the other.
    let e = Blobstore::configure_with_env(
        &s3_final(&server, BUCKET, ""),
        &private_yml(&format!("blobstore:\n  options:\n    secret_access_key: {SK}\n")),
        dir,
        &env_of(&[]),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("blobstore.options.access_key_id"), "{e}");
    assert!(!e.contains(SK), "{e}");
}

#[tokio::test]
async fn s3_a_20_mib_file_goes_up_in_parts_and_reads_back() {
    let server = S3Server::start(AK, SK);
    server.create_bucket(BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let len = 20 * 1024 * 1024 + 12345;
    assert!(len > 2 * PART_SIZE, "exercises several parts");
    let file = make_file(tmp.path(), "big.tgz", len, 6);
    let store = s3_store(&server, &s3_final(&server, BUCKET, "    folder_name: big\n"), &s3_private(AK, SK));
    let id = round_trip(&store, &file, tmp.path()).await;
    let stored = server.object_file(BUCKET, &format!("big/{id}"));
    assert_eq!(std::fs::metadata(&stored).unwrap().len(), len as u64);
}

// ---------------------------------------------------------------- gcs

fn gcs_final(bucket: &str, extra: &str) -> String {
    format!("final_name: test-release\nblobstore:\n  provider: gcs\n  options:\n    bucket_name: {bucket}\n{extra}")
}

#[tokio::test]
async fn gcs_upload_through_the_emulator_reads_back_the_same_bytes() {
    let emulator = GcsEmulator::start(BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let env = env_of(&[("STORAGE_EMULATOR_HOST", &emulator.host()), ("CURRENCY_RETRY_BASE_MS", "5")]);
    let store =
        Blobstore::configure_with_env(&gcs_final(BUCKET, ""), &BlobstoreSecrets::None, Path::new("/r"), &env).unwrap();
    assert!(store.describe().starts_with("gcs bucket release-blobs"), "{}", store.describe());
    for (name, len) in [("small", 70_000), ("empty", 0)] {
        let file = make_file(tmp.path(), name, len, 7);
        let id = round_trip(&store, &file, tmp.path()).await;
        let raw = emulator.object(&id).unwrap_or_else(|| panic!("emulator lacks {id}; log:\n{}", emulator.log()));
        assert_eq!(raw.len(), len);
    }
    // Missing objects: exists is false, a download is a 404 naming the bucket.
    let e = store.get_to_file(&new_object_id(), &tmp.path().join("missing")).await.unwrap_err();
    assert!(matches!(e, Error::Http { status: Some(404), .. }), "{e:?}");
    assert!(e.to_string().contains(BUCKET), "{e}");
}

#[tokio::test]
async fn gcs_a_20_mib_file_goes_up_in_resumable_chunks() {
    let emulator = GcsEmulator::start(BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let env = env_of(&[("STORAGE_EMULATOR_HOST", &emulator.host())]);
    let store = Blobstore::configure_with_env(
        &gcs_final(BUCKET, "    storage_class: NEARLINE\n"),
        &BlobstoreSecrets::None,
        Path::new("/r"),
        &env,
    )
    .unwrap();
    let len = 20 * 1024 * 1024 + 777;
    let file = make_file(tmp.path(), "big", len, 8);
    let id = round_trip(&store, &file, tmp.path()).await;
    assert_eq!(emulator.object(&id).map(|b| b.len()), Some(len));
}

#[tokio::test]
async fn gcs_static_json_key_signs_requests() {
    let emulator = GcsEmulator::start(BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let key = service_account_key(tmp.path());
    let secrets = private_yml(&format!(
        "blobstore:\n  options:\n    credentials_source: static\n    json_key: '{}'\n",
        key.replace('\'', "''")
    ));
    let env = env_of(&[("STORAGE_EMULATOR_HOST", &emulator.host())]);
    let store = Blobstore::configure_with_env(&gcs_final(BUCKET, ""), &secrets, Path::new("/r"), &env).unwrap();
    assert!(store.writable());
    let file = make_file(tmp.path(), "blob", 3000, 9);
    round_trip(&store, &file, tmp.path()).await;
    assert!(!format!("{store:?}").contains("PRIVATE KEY"));
}

#[tokio::test]
async fn gcs_without_credentials_is_read_only() {
    let tmp = tempfile::tempdir().unwrap();
    let file = make_file(tmp.path(), "blob", 10, 10);
    for source in ["", "    credentials_source: none\n"] {
        let store = Blobstore::configure_with_env(
            &gcs_final("public-bucket", source),
            &BlobstoreSecrets::None,
            Path::new("/r"),
            &env_of(&[]),
        )
        .unwrap();
        assert!(!store.writable());
        let e = store.put_file(&new_object_id(), &file).await.unwrap_err().to_string();
        assert!(e.contains("blobstore.options.credentials_source") && e.contains("read-only"), "{e}");
    }
}

/// A service-account JSON key around a fresh RSA key (`openssl genpkey`, PKCS#8 as Google issues).
fn service_account_key(dir: &Path) -> String {
    let pem = dir.join("key.pem");
    let out = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out"])
        .arg(&pem)
        .output()
        .unwrap_or_else(|e| panic!("openssl is needed to make a test key (Debian package openssl): {e}"));
    assert!(out.status.success(), "openssl genpkey: {}", String::from_utf8_lossy(&out.stderr));
    let private_key = std::fs::read_to_string(&pem).unwrap();
    json!({
        "type": "service_account",
        "project_id": "test-project",
        "private_key_id": "0123456789abcdef",
        "private_key": private_key,
        "client_email": "currency-test@test-project.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": "https://oauth2.googleapis.com/token"
    })
    .to_string()
}

// ---------------------------------------------------------------- local

fn local_final(path: &str) -> String {
    format!("name: r\nblobstore:\n  provider: local\n  options:\n    blobstore_path: {path}\n")
}

#[tokio::test]
async fn local_relative_path_is_joined_to_the_release_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let release = tmp.path().join("release");
    std::fs::create_dir(&release).unwrap();
    let file = make_file(tmp.path(), "blob", 50_000, 11);
    let store = Blobstore::configure(&local_final("tmp/blobs"), &BlobstoreSecrets::None, &release).unwrap();
    assert_eq!(store.describe(), format!("local {}", release.join("tmp/blobs").display()));
    let id = round_trip(&store, &file, tmp.path()).await;
    let stored = release.join("tmp/blobs").join(&id);
    assert_eq!(sha256_file(&stored), sha256_file(&file));
    // Only the object is left: no temp file from the atomic write.
    let names: Vec<_> = std::fs::read_dir(release.join("tmp/blobs")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from(&id)]);
}

#[tokio::test]
async fn local_absolute_path_is_used_as_is() {
    let tmp = tempfile::tempdir().unwrap();
    let blobs = tmp.path().join("abs-blobs");
    let file = make_file(tmp.path(), "blob", 1234, 12);
    let store = Blobstore::configure(
        &local_final(&blobs.display().to_string()),
        &BlobstoreSecrets::None,
        Path::new("/somewhere/else"),
    )
    .unwrap();
    assert_eq!(store.describe(), format!("local {}", blobs.display()));
    let id = round_trip(&store, &file, tmp.path()).await;
    assert!(blobs.join(&id).is_file());
    let e = store.get_to_file("no-such-object", &tmp.path().join("out")).await.unwrap_err();
    assert!(e.to_string().contains("no-such-object"), "{e}");
    assert!(!tmp.path().join("out").exists());
}
