//! Running the crate's binaries the way Concourse does: JSON on stdin, a clean environment, and a
//! time limit. `Tmp` keeps one HOME and one TMPDIR across several runs, so a test can watch a cache
//! under the system temp dir survive from one `check` to the next; plain `run` gets fresh ones.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

/// Names the directory of an assembled image layout (`ci/assemble-resource DEST`): with it set,
/// [`bin`] runs the binaries from there instead of the ones cargo built for this test.
pub const RESOURCE_DIR_VAR: &str = "CURRENCY_RESOURCE_DIR";

/// The path of one of the crate's binaries, `check`, `in`, `out` or `currency`, as the tests run
/// it. With `CURRENCY_RESOURCE_DIR` set: `$CURRENCY_RESOURCE_DIR/opt/resource/{check,in,out}` or
/// `$CURRENCY_RESOURCE_DIR/usr/local/bin/currency` — the layout the image ships — made absolute,
/// and it must exist. Otherwise the binary cargo built (`CARGO_BIN_EXE_<name>`, set for tests and
/// benches; code that includes this module elsewhere, such as an example, gets the binary beside
/// its own executable's `target/<profile>/`).
pub fn bin(name: &str) -> &'static str {
    static CHECK: OnceLock<String> = OnceLock::new();
    static IN: OnceLock<String> = OnceLock::new();
    static OUT: OnceLock<String> = OnceLock::new();
    static CURRENCY: OnceLock<String> = OnceLock::new();
    let (cell, built, in_image) = match name {
        "check" => (&CHECK, option_env!("CARGO_BIN_EXE_check"), "opt/resource/check"),
        "in" => (&IN, option_env!("CARGO_BIN_EXE_in"), "opt/resource/in"),
        "out" => (&OUT, option_env!("CARGO_BIN_EXE_out"), "opt/resource/out"),
        "currency" => (&CURRENCY, option_env!("CARGO_BIN_EXE_currency"), "usr/local/bin/currency"),
        other => panic!("no binary {other:?}: check, in, out or currency"),
    };
    cell.get_or_init(|| match std::env::var_os(RESOURCE_DIR_VAR) {
        Some(dir) if !dir.is_empty() => {
            let dir = Path::new(&dir);
            let dir = std::path::absolute(dir).unwrap_or_else(|e| panic!("{RESOURCE_DIR_VAR}={}: {e}", dir.display()));
            let path = dir.join(in_image);
            assert!(
                path.is_file(),
                "{RESOURCE_DIR_VAR}={} has no {in_image} (lay it out with ci/assemble-resource)",
                dir.display()
            );
            path.into_os_string().into_string().unwrap_or_else(|p| panic!("{RESOURCE_DIR_VAR}: not UTF-8: {p:?}"))
        }
        _ => match built {
            Some(path) => path.to_owned(),
            None => beside_target_profile(name),
        },
    })
}

/// `target/<profile>/<name>` for an executable in `target/<profile>/` or one directory below it
/// (`deps/`, `examples/`).
fn beside_target_profile(name: &str) -> String {
    let exe = std::env::current_exe().expect("this executable's path");
    let mut dir = exe.parent().expect("executable directory").to_path_buf();
    if dir.file_name().is_some_and(|d| d == "deps" || d == "examples") {
        dir.pop();
    }
    dir.join(name).into_os_string().into_string().expect("UTF-8 target path")
}

/// A run is killed, and the test fails, after this long (`Tmp::with_timeout` changes it).
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Panics, showing stdout and stderr, unless the run exited 0.
    #[track_caller]
    pub fn assert_success(&self) -> &Output {
        assert!(
            self.success(),
            "expected success, got {}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Panics, showing stdout and stderr, unless the run exited non-zero.
    #[track_caller]
    pub fn assert_failure(&self) -> &Output {
        assert!(
            !self.success(),
            "expected failure, got {}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// stdout parsed as JSON (panics with both streams when it is not).
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}); status {}\nstdout:\n{}\nstderr:\n{}",
                self.status, self.stdout, self.stderr
            )
        })
    }
}

/// Runs `bin` once with its own fresh HOME and TMPDIR; see `Tmp::run`.
pub fn run(bin: &str, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    Tmp::new().run(bin, args, stdin, env)
}

/// A per-test directory with `home/` and `tmp/`, removed on Drop.
pub struct Tmp {
    dir: tempfile::TempDir,
    timeout: Duration,
}

impl Default for Tmp {
    fn default() -> Self {
        Self::new()
    }
}

impl Tmp {
    pub fn new() -> Tmp {
        let dir = tempfile::Builder::new().prefix("currency-test-").tempdir().expect("test temp dir");
        std::fs::create_dir(dir.path().join("home")).expect("home dir");
        std::fs::create_dir(dir.path().join("tmp")).expect("tmp dir");
        Tmp { dir, timeout: TIMEOUT }
    }

    /// Kills a run, and fails the test, after `timeout` instead of `TIMEOUT`.
    pub fn with_timeout(mut self, timeout: Duration) -> Tmp {
        self.timeout = timeout;
        self
    }

    /// The directory itself; free for the test's own files beside `home/` and `tmp/`.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The TMPDIR every run sees; caches under the system temp dir land here.
    pub fn tmpdir(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    /// Runs `bin` with `args`, writes `stdin` and closes it, and waits (at most `TIMEOUT`, then the
    /// child is killed and the test panics). The environment is cleared except PATH, plus HOME and
    /// TMPDIR pointing into this directory, plus `env` (which may override them).
    pub fn run(&self, bin: &str, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
        let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".to_owned());
        let home = self.home();
        let tmpdir = self.tmpdir();
        let mut full: Vec<(&str, &str)> = vec![
            ("PATH", path.as_str()),
            ("HOME", home.to_str().expect("utf-8 temp path")),
            ("TMPDIR", tmpdir.to_str().expect("utf-8 temp path")),
        ];
        full.extend_from_slice(env);
        self.run_env_only(bin, args, stdin, &full)
    }

    /// Like `run`, but the environment is exactly `env` — nothing else, not even PATH or HOME, as
    /// Concourse runs `check`.
    pub fn run_env_only(&self, bin: &str, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(bin);
        command
            .args(args)
            .env_clear()
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        run_with_timeout(command, stdin, bin, self.timeout)
    }
}

fn run_with_timeout(mut command: Command, stdin: &str, bin: &str, timeout: Duration) -> Output {
    // Its own process group, so that a timeout also kills whatever it started (git, go, …).
    command.process_group(0);
    let mut child = command.spawn().unwrap_or_else(|e| panic!("spawn {bin}: {e}"));
    let mut input = child.stdin.take().expect("piped stdin");
    let stdin = stdin.to_owned();
    // A binary that exits without reading stdin closes the pipe: ignore the write error.
    std::thread::spawn(move || {
        let _ = input.write_all(stdin.as_bytes());
    });
    let reader = |mut source: Box<dyn Read + Send>| {
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = source.read_to_end(&mut bytes);
            let _ = sender.send(String::from_utf8_lossy(&bytes).into_owned());
        });
        receiver
    };
    let stdout = reader(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = reader(Box::new(child.stderr.take().expect("piped stderr")));

    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
            let _ = child.kill();
            let _ = child.wait();
            let stderr = stderr.recv_timeout(Duration::from_secs(2)).unwrap_or_default();
            panic!("{bin} did not finish within {timeout:?}; killed. stderr:\n{stderr}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // Something the binary left running may still hold the pipes: wait no longer than the deadline.
    let collect = |receiver: mpsc::Receiver<String>, name: &str| {
        let wait = deadline.saturating_duration_since(Instant::now()).max(Duration::from_secs(1));
        receiver
            .recv_timeout(wait)
            .unwrap_or_else(|_| panic!("{bin} exited, but a process it started still holds its {name}"))
    };
    Output { status, stdout: collect(stdout, "stdout"), stderr: collect(stderr, "stderr") }
}
