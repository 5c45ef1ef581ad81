//! `SshServer`: the real OpenSSH daemon (`/usr/sbin/sshd`, Debian's `openssh-server`) on
//! 127.0.0.1 and a free port, serving the bare repositories under one directory to the current
//! user with public-key authentication only. git over ssh runs `git-upload-pack '<path>'` through
//! the user's login shell (as on any git host reached over ssh), so the whole libgit2/libssh2
//! transport is exercised: key exchange, host key callback, `Cred::ssh_key_from_memory`, channel, pack.
//!
//! Everything lives in a temp dir: a fresh ed25519 host key, the client key pairs, the
//! `authorized_keys` file, the generated `sshd_config` and sshd's log (`-e`, LogLevel VERBOSE).
//! sshd runs in the foreground (`-D`) in its own process group, which is killed on Drop.
//!
//! sshd run as the test user can only log in that user; as root it needs `/run/sshd` for
//! privilege separation (created here when missing). With `UsePAM no`, sshd refuses an account
//! whose password field starts with `!` (locked); Debian's root in containers has `*`, which is
//! fine. When sshd is not installed the test fails (it never skips): install `openssh-server`.
//!
//! Key formats accepted by git2's `Cred::ssh_key_from_memory` (the crate's vendored libssh2
//! 1.11 on OpenSSL 3, with no public key given, so libssh2 derives it from the private key) —
//! checked by `tests/ssh_transport.rs`:
//! - OpenSSH format (`-----BEGIN OPENSSH PRIVATE KEY-----`, ssh-keygen's default) for ed25519,
//!   ECDSA and RSA; RSA signs with rsa-sha2-256/512, which OpenSSH 8.8+ requires.
//! - PEM (`ssh-keygen -m PEM`: `-----BEGIN RSA PRIVATE KEY-----`, `-----BEGIN EC PRIVATE KEY-----`)
//!   and, tested for RSA, PKCS#8 (`-m PKCS8`: `-----BEGIN PRIVATE KEY-----`).
//!
//! Encrypted keys need a passphrase, which `source` has no field for.

use std::fmt;
use std::fs;
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's `openssh-server` installs the daemon. sshd must be started by absolute path
/// (it re-executes itself for every connection).
pub const SSHD: &str = "/usr/sbin/sshd";

/// How long `start` waits for sshd to accept connections.
pub const STARTUP: Duration = Duration::from_secs(10);

/// The kinds of key `keygen` makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// `ssh-keygen -t ed25519` (OpenSSH private key format).
    Ed25519,
    /// `ssh-keygen -t rsa -b 2048` (OpenSSH private key format).
    Rsa,
    /// `ssh-keygen -t rsa -b 2048 -m PEM` (`-----BEGIN RSA PRIVATE KEY-----`).
    RsaPem,
    /// `ssh-keygen -t ecdsa -b 256` (OpenSSH private key format).
    Ecdsa,
    /// `ssh-keygen -t ecdsa -b 256 -m PEM` (`-----BEGIN EC PRIVATE KEY-----`).
    EcdsaPem,
    /// `ssh-keygen -t rsa -b 2048 -m PKCS8` (`-----BEGIN PRIVATE KEY-----`).
    RsaPkcs8,
}

impl KeyType {
    fn args(self) -> &'static [&'static str] {
        match self {
            KeyType::Ed25519 => &["-t", "ed25519"],
            KeyType::Rsa => &["-t", "rsa", "-b", "2048"],
            KeyType::RsaPem => &["-t", "rsa", "-b", "2048", "-m", "PEM"],
            KeyType::Ecdsa => &["-t", "ecdsa", "-b", "256"],
            KeyType::EcdsaPem => &["-t", "ecdsa", "-b", "256", "-m", "PEM"],
            KeyType::RsaPkcs8 => &["-t", "rsa", "-b", "2048", "-m", "PKCS8"],
        }
    }
}

/// A client key pair: the private key text (what goes into `source.private_key`) and the public
/// key line (what goes into `authorized_keys`).
#[derive(Clone)]
pub struct KeyPair {
    pub kind: KeyType,
    pub private: String,
    pub public: String,
}

impl fmt::Debug for KeyPair {
    // Never print key material, not even in a failing assertion.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyPair({:?}, {})", self.kind, self.public.trim())
    }
}

impl KeyPair {
    /// The lines of the private key, armour lines included, for "never printed" assertions.
    pub fn private_lines(&self) -> impl Iterator<Item = &str> {
        self.private.lines().map(str::trim).filter(|l| !l.is_empty())
    }
}

/// A new unencrypted key pair of `kind` (ssh-keygen in a throw-away dir).
pub fn keygen(kind: KeyType) -> KeyPair {
    let dir = tempfile::tempdir().expect("keygen dir");
    let path = dir.path().join("key");
    ssh_keygen(&path, kind.args(), "currency-test-client");
    KeyPair {
        kind,
        private: fs::read_to_string(&path).expect("private key"),
        public: fs::read_to_string(path.with_extension("pub")).expect("public key"),
    }
}

fn ssh_keygen(path: &Path, args: &[&str], comment: &str) {
    let out = Command::new("ssh-keygen")
        .args(args)
        .args(["-q", "-N", "", "-C", comment, "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("ssh-keygen (openssh-client) could not run: {e}"));
    assert!(out.status.success(), "ssh-keygen {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// A running sshd serving `<repos_root>/<name>.git` over `ssh://`; killed on Drop.
pub struct SshServer {
    child: Child,
    port: u16,
    user: String,
    repos_root: PathBuf,
    key: KeyPair,
    dir: tempfile::TempDir,
}

impl SshServer {
    /// Starts sshd for the current user, authorizing one freshly generated ed25519 client key
    /// (`private_key()`). Panics, with sshd's own words, when sshd is missing or will not start.
    pub fn start(repos_root: &Path) -> SshServer {
        Self::start_with_key(repos_root, KeyType::Ed25519)
    }

    /// Like `start`, with a client key of `kind`.
    pub fn start_with_key(repos_root: &Path, kind: KeyType) -> SshServer {
        assert!(
            Path::new(SSHD).is_file(),
            "{SSHD} not found: the ssh transport tests need the OpenSSH server \
             (Debian: `apt-get install -y --no-install-recommends openssh-server`; .ci/run does this)"
        );
        let repos_root =
            repos_root.canonicalize().unwrap_or_else(|e| panic!("repos root {}: {e}", repos_root.display()));
        let dir = tempfile::Builder::new().prefix("currency-sshd-").tempdir().expect("sshd dir");
        let user = current_user();
        if is_root() {
            // Privilege separation chroots into /run/sshd when sshd runs as root.
            let run = Path::new("/run/sshd");
            if !run.is_dir() {
                fs::create_dir_all(run).expect("create /run/sshd");
                fs::set_permissions(run, fs::Permissions::from_mode(0o755)).expect("chmod /run/sshd");
            }
        }

        let host_key = dir.path().join("ssh_host_ed25519_key");
        ssh_keygen(&host_key, &["-t", "ed25519"], "currency-test-host");
        let key = keygen(kind);
        let authorized = dir.path().join("authorized_keys");
        fs::write(&authorized, &key.public).expect("authorized_keys");

        let config = dir.path().join("sshd_config");
        let mut last_error = String::new();
        // A port picked by binding :0 may be taken by someone else before sshd binds it: then
        // sshd exits with "Address already in use" and another port is tried.
        for _ in 0..5 {
            let port = free_port();
            fs::write(&config, sshd_config(port, &host_key, &authorized)).expect("sshd_config");
            check_config(&config);
            let log_path = dir.path().join(format!("sshd-{port}.log"));
            let mut child = spawn_sshd(&config, &log_path);
            match wait_until_listening(&mut child, port, &log_path) {
                Ok(()) => {
                    return SshServer { child, port, user, repos_root, key, dir };
                }
                Err(e) => {
                    kill_group(&mut child);
                    if !e.contains("Address already in use") {
                        panic!("sshd did not start on 127.0.0.1:{port}: {e}");
                    }
                    last_error = e;
                }
            }
        }
        panic!("sshd did not start: {last_error}");
    }

    /// The authorized client key, as `source.private_key` takes it.
    pub fn private_key(&self) -> &str {
        &self.key.private
    }

    /// The authorized client key pair.
    pub fn key(&self) -> &KeyPair {
        &self.key
    }

    /// Also accepts `key` from now on (sshd reads `authorized_keys` at every login).
    pub fn authorize(&self, key: &KeyPair) {
        let mut f =
            fs::OpenOptions::new().append(true).open(self.dir.path().join("authorized_keys")).expect("authorized_keys");
        f.write_all(key.public.as_bytes()).expect("append authorized_keys");
    }

    /// `ssh://<user>@127.0.0.1:<port><repos_root>/<name>.git`. There is no scp-like form
    /// (`user@host:path`): scp syntax cannot carry a port. With the user in the URL, libgit2 asks
    /// the credential callback for an ssh key straight away (without one it first asks for a
    /// user name).
    pub fn url_for(&self, name: &str) -> String {
        format!("ssh://{}@127.0.0.1:{}{}/{name}.git", self.user, self.port, self.repos_root.display())
    }

    /// The user sshd logs in (the current user).
    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Everything sshd has logged so far (connections, accepted and failed keys); for failure
    /// messages.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join(format!("sshd-{}.log", self.port))).unwrap_or_default()
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

/// `sshd -D -e -f <config>` in its own process group, its log (stderr) to `log`.
fn spawn_sshd(config: &Path, log: &Path) -> Child {
    let log = fs::File::create(log).expect("sshd log");
    Command::new(SSHD)
        .arg("-D")
        .arg("-e")
        .arg("-f")
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {SSHD}: {e}"))
}

/// Polls the port until it accepts a connection (sshd has bound it and serves), or until sshd
/// exits or `STARTUP` passes; `Err` carries sshd's log.
fn wait_until_listening(child: &mut Child, port: u16, log: &Path) -> Result<(), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + STARTUP;
    loop {
        if let Some(status) = child.try_wait().expect("wait for sshd") {
            return Err(format!(
                "sshd exited with {status}; its log:\n{}",
                fs::read_to_string(log).unwrap_or_default()
            ));
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "sshd did not accept connections on {addr} within {STARTUP:?}; its log:\n{}",
                fs::read_to_string(log).unwrap_or_default()
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kills sshd's process group: the listener and any per-connection sshd still running.
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill").args(["-TERM", "--", &format!("-{}", child.id())]).stderr(Stdio::null()).status();
    let _ = child.kill();
    let _ = child.wait();
}

fn sshd_config(port: u16, host_key: &Path, authorized: &Path) -> String {
    format!(
        "# Generated by tests/support/ssh_server.rs
ListenAddress 127.0.0.1
Port {port}
HostKey {host_key}
PidFile none
UsePAM no
StrictModes no
AuthorizedKeysFile {authorized}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
LogLevel VERBOSE
",
        host_key = host_key.display(),
        authorized = authorized.display(),
    )
}

/// `sshd -t`: a config sshd will not take fails here with its own message.
fn check_config(config: &Path) {
    let out = Command::new(SSHD)
        .arg("-t")
        .arg("-f")
        .arg(config)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {SSHD} -t: {e}"));
    assert!(
        out.status.success(),
        "sshd rejects the generated config {}:\n{}",
        config.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// The login name sshd will check against: `id -un` (what `whoami` prints), else `$USER`.
fn current_user() -> String {
    let from_id = Command::new("id")
        .arg("-un")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|u| !u.is_empty());
    from_id
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .expect("cannot tell the current user (`id -un` failed and $USER is unset)")
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}
