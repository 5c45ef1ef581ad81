//! Blobstore servers for the blobstore tests, on 127.0.0.1 and a free port, each in its own
//! process group killed on Drop:
//! - `S3Server`: `s3s-fs` (crates.io `s3s-fs@0.14.1`, built with `--features binary`): a real S3
//!   protocol implementation that checks SigV4 signatures against one access key / secret key (or,
//!   started without keys, answers unsigned requests like a public bucket) and stores objects as
//!   plain files under `<root>/<bucket>/<key>`. It creates a missing bucket
//!   silently, so tests create the bucket directory themselves (`create_bucket`).
//! - `GcsEmulator`: PyPI's `gcp-storage-emulator` (`gcp-storage-emulator start --host 127.0.0.1
//!   --port P --in-memory --default-bucket B`), which speaks the GCS JSON API (resumable uploads,
//!   `alt=media` downloads) and ignores credentials. Clients reach it through
//!   `STORAGE_EMULATOR_HOST=127.0.0.1:P`.
//!
//! A missing binary fails the test (never skips) with the command that installs it; `.ci/run`
//! installs both.

use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long `start` waits for a server to answer.
pub const STARTUP: Duration = Duration::from_secs(20);

pub const S3S_FS: &str = "s3s-fs";
pub const GCS_EMULATOR: &str = "gcp-storage-emulator";

/// A running `s3s-fs`.
pub struct S3Server {
    child: Child,
    port: u16,
    root: tempfile::TempDir,
    log: PathBuf,
    pub access_key: String,
    pub secret_key: String,
}

impl S3Server {
    /// Starts `s3s-fs` accepting only `access_key`/`secret_key`.
    pub fn start(access_key: &str, secret_key: &str) -> S3Server {
        Self::start_with(Some((access_key, secret_key)))
    }

    /// Starts `s3s-fs` without keys: it then answers unsigned requests, as a public bucket does
    /// (what a `credentials_source: none` client reads). `access_key` and `secret_key` are empty.
    pub fn start_anonymous() -> S3Server {
        Self::start_with(None)
    }

    fn start_with(keys: Option<(&str, &str)>) -> S3Server {
        let bin = which(S3S_FS).unwrap_or_else(|| {
            panic!(
                "`{S3S_FS}` is not on PATH: install it with `cargo install s3s-fs@0.14.1 --locked --features binary` \
                 (.ci/run does)"
            )
        });
        let root = tempfile::tempdir().expect("temp dir");
        let data = root.path().join("data");
        fs::create_dir(&data).expect("mkdir data");
        let log = root.path().join("s3s-fs.log");
        let port = free_port();
        let mut command = Command::new(&bin);
        command.args(["--host", "127.0.0.1", "--port", &port.to_string()]);
        if let Some((access_key, secret_key)) = keys {
            command.args(["--access-key", access_key, "--secret-key", secret_key]);
        }
        let child = spawn(command.arg(&data), &log);
        let (access_key, secret_key) = keys.unwrap_or_default();
        let mut server =
            S3Server { child, port, root, log, access_key: access_key.to_string(), secret_key: secret_key.to_string() };
        let log_path = server.log.clone();
        wait_until_listening(&mut server.child, port, &log_path, S3S_FS);
        server
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Where `s3s-fs` keeps its buckets.
    pub fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// Creates bucket `name` (a directory under the data dir).
    pub fn create_bucket(&self, name: &str) {
        fs::create_dir_all(self.data_dir().join(name)).expect("create bucket dir");
    }

    /// The file holding object `key` of `bucket`.
    pub fn object_file(&self, bucket: &str, key: &str) -> PathBuf {
        self.data_dir().join(bucket).join(key)
    }

    /// The server's log so far (for assertion messages).
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

/// A running `gcp-storage-emulator` with one bucket.
pub struct GcsEmulator {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
    log: PathBuf,
    pub bucket: String,
}

impl GcsEmulator {
    /// Starts the emulator in memory with bucket `bucket` created.
    pub fn start(bucket: &str) -> GcsEmulator {
        let bin = which(GCS_EMULATOR).unwrap_or_else(|| {
            panic!("`{GCS_EMULATOR}` is not on PATH: install it with `pip install gcp-storage-emulator` (.ci/run does)")
        });
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("emulator.log");
        let port = free_port();
        let child = spawn(
            Command::new(&bin)
                .args(["start", "--host", "127.0.0.1", "--port", &port.to_string(), "--in-memory"])
                .args(["--default-bucket", bucket])
                // Even in memory it may write under STORAGE_BASE: keep that in the temp dir.
                .env("STORAGE_BASE", dir.path())
                .current_dir(dir.path()),
            &log,
        );
        let mut emulator = GcsEmulator { child, port, _dir: dir, log, bucket: bucket.to_string() };
        let log_path = emulator.log.clone();
        wait_until_listening(&mut emulator.child, port, &log_path, GCS_EMULATOR);
        // Listening is not enough: wait until the default bucket answers.
        let deadline = Instant::now() + STARTUP;
        loop {
            if http_get_status(port, &format!("/storage/v1/b/{bucket}")) == Some(200) {
                break;
            }
            if Instant::now() > deadline {
                panic!("{GCS_EMULATOR} did not create bucket {bucket}; log:\n{}", emulator.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        emulator
    }

    /// `127.0.0.1:PORT`, the value for `STORAGE_EMULATOR_HOST`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The raw bytes of an object, read with a plain HTTP request (independent of the client under
    /// test); `None` on a non-200 answer.
    pub fn object(&self, name: &str) -> Option<Vec<u8>> {
        let path = format!("/download/storage/v1/b/{}/o/{}?alt=media", self.bucket, encode_segment(name));
        http_get(self.port, &path).filter(|(s, _)| *s == 200).map(|(_, b)| b)
    }
}

impl Drop for GcsEmulator {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

/// `name` on PATH, as an absolute path.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

fn spawn(cmd: &mut Command, log: &Path) -> Child {
    let out = fs::File::create(log).expect("create log");
    let err = out.try_clone().expect("clone log handle");
    cmd.stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"))
}

fn wait_until_listening(child: &mut Child, port: u16, log: &Path, what: &str) {
    let deadline = Instant::now() + STARTUP;
    loop {
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited ({status}) before listening on 127.0.0.1:{port}; log:\n{}", read(log));
        }
        if Instant::now() > deadline {
            kill_group(child);
            panic!("{what} did not listen on 127.0.0.1:{port} within {STARTUP:?}; log:\n{}", read(log));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_default()
}

fn kill_group(child: &mut Child) {
    let _ = Command::new("kill").args(["-TERM", "--", &format!("-{}", child.id())]).stderr(Stdio::null()).status();
    let _ = child.kill();
    let _ = child.wait();
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// Percent-encodes one URL path segment.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn http_get_status(port: u16, path: &str) -> Option<u16> {
    http_get(port, path).map(|(s, _)| s)
}

/// A minimal HTTP/1.0 GET (the emulator closes the connection after answering).
fn http_get(port: u16, path: &str) -> Option<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, buf[split + 4..].to_vec()))
}
