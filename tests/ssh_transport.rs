//! `check` reading the release repository over ssh: the real OpenSSH daemon on 127.0.0.1 (see
//! `support::ssh_server`), git2/libssh2 in the binary, `source.private_key` as the only
//! credential. The GitHub stand-in (`support::Upstream`) serves etcd's releases.
//!
//! These tests need `/usr/sbin/sshd` (Debian's `openssh-server`, which `.ci/run` installs); without
//! it they fail, they never skip.

mod support;

use std::path::PathBuf;

use serde_json::{Value, json};
use support::ssh_server::{KeyPair, KeyType, SshServer, keygen};
use support::{Release, Tmp, Upstream, fixtures};

const FAST: &[(&str, &str)] = &[("CURRENCY_RETRY_BASE_MS", "5")];

/// One test's world: the GitHub stand-in, the bare repositories and sshd serving them.
struct World {
    up: Upstream,
    _repos: tempfile::TempDir,
    ssh: SshServer,
    tmp: Tmp,
}

impl World {
    /// sshd with an ed25519 client key, `etcd-release` served as `etcd-release.git`, and etcd
    /// v3.3.15 and v3.5.17 upstream.
    fn new() -> World {
        Self::with_key(KeyType::Ed25519)
    }

    fn with_key(kind: KeyType) -> World {
        let up = Upstream::start();
        for tag in ["v3.3.15", "v3.5.17"] {
            let name = format!("etcd-{tag}-linux-amd64.tar.gz");
            up.add_release(
                "etcd-io/etcd",
                Release::new(tag).asset(&name, format!("etcd {tag} linux tarball").into_bytes()).with_sha256sums(),
            );
        }
        let repos = tempfile::tempdir().unwrap();
        let bare: PathBuf = fixtures::release_repo("etcd-release", repos.path());
        assert!(bare.ends_with("etcd-release.git"));
        let ssh = SshServer::start_with_key(repos.path(), kind);
        World { up, _repos: repos, ssh, tmp: Tmp::new() }
    }

    /// A source reading `etcd-release` over ssh with `key`, every upstream the stand-in.
    fn source(&self, key: &str) -> Value {
        json!({
            "repository": "cloudfoundry/etcd-release",
            "git_url": self.ssh.url_for("etcd-release"),
            "private_key": key,
            "github_api_url": self.up.github_api_url(),
            "vulndb": self.up.vulndb_url(),
            "upstream_api_url": self.up.github_api_url(),
            "go_proxy": self.up.goproxy_url(),
            "go_downloads_url": self.up.go_downloads_url(),
        })
    }

    fn check(&self, source: &Value) -> support::Output {
        let req = json!({ "source": source });
        self.tmp.run(support::bin("check"), &[], &req.to_string(), FAST)
    }
}

/// Neither stream shows `key`, whole or any line of it.
#[track_caller]
fn assert_no_key_material(out: &support::Output, key: &KeyPair) {
    for (name, stream) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(!stream.contains(key.private.trim()), "{name} shows the private key");
        for line in key.private_lines() {
            assert!(!stream.contains(line), "{name} shows a line of the private key: {line:?}");
        }
    }
}

#[track_caller]
fn assert_reports_etcd(w: &World, out: &support::Output) {
    assert!(
        out.success(),
        "check over ssh failed: {}\nstdout:\n{}\nstderr:\n{}\nsshd log:\n{}",
        out.status,
        out.stdout,
        out.stderr,
        w.ssh.log()
    );
    assert_eq!(out.json(), json!([{"etcd": "3.5.17"}]), "stderr:\n{}", out.stderr);
}

#[test]
fn check_reads_the_base_branch_over_ssh_with_a_private_key() {
    let w = World::new();
    let out = w.check(&w.source(w.ssh.private_key()));
    assert_reports_etcd(&w, &out);
    assert_no_key_material(&out, w.ssh.key());
    // sshd saw the key, so this went over ssh rather than some fallback.
    let log = w.ssh.log();
    assert!(log.contains("Accepted publickey for"), "sshd log:\n{log}");
}

#[test]
fn a_wrong_private_key_is_one_line_naming_private_key() {
    let w = World::new();
    let wrong = keygen(KeyType::Ed25519);
    let out = w.check(&w.source(&wrong.private));
    assert!(!out.success(), "a key sshd does not know was accepted:\n{}", out.stderr);
    assert_eq!(out.stdout, "", "stdout must stay empty on failure");
    let errors: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "exactly one error line expected:\n{}", out.stderr);
    assert!(errors[0].contains("source.private_key"), "the error should name source.private_key: {}", errors[0]);
    assert_no_key_material(&out, &wrong);
    assert_no_key_material(&out, w.ssh.key());
}

/// The formats `Cred::ssh_key_from_memory` (vendored libssh2 on OpenSSL) takes besides ed25519 in
/// OpenSSH format: RSA (rsa-sha2 signatures) and ECDSA, in OpenSSH, PEM and PKCS#8 encodings.
#[test]
fn rsa_and_ecdsa_keys_in_openssh_pem_and_pkcs8_formats_work() {
    let w = World::new();
    for kind in [KeyType::Rsa, KeyType::RsaPem, KeyType::RsaPkcs8, KeyType::Ecdsa, KeyType::EcdsaPem] {
        let key = keygen(kind);
        w.ssh.authorize(&key);
        let out = w.check(&w.source(&key.private));
        assert!(
            out.success(),
            "{kind:?} key ({}) rejected: {}\nstderr:\n{}\nsshd log:\n{}",
            key.private.lines().next().unwrap_or_default(),
            out.status,
            out.stderr,
            w.ssh.log()
        );
        assert_eq!(out.json(), json!([{"etcd": "3.5.17"}]), "{kind:?}");
        assert_no_key_material(&out, &key);
    }
}
