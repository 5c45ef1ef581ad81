//! `GitServer`: smart-HTTP git on 127.0.0.1 with HTTP basic auth, for the bare repositories under
//! one directory. Each request runs the real `git http-backend` (from `git --exec-path`) as a CGI
//! program: the request body is read whole first (libgit2 sends chunked bodies, and the CGI needs
//! `CONTENT_LENGTH`), gzip bodies are left to http-backend through `HTTP_CONTENT_ENCODING`, push is
//! enabled (`http.receivepack`), and the CGI's `Status:` and headers become the response while its
//! output is streamed back.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::WWW_AUTHENTICATE;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::server::{Logged, Server, basic_credentials, credential, lock};

/// A smart-HTTP git server for the bare repositories `<root>/<name>.git`; stopped on Drop.
pub struct GitServer {
    server: Server,
    config: Arc<Config>,
    _home: tempfile::TempDir,
}

struct Config {
    root: PathBuf,
    /// `None`: any user name, as GitHub accepts any user name with a token as password.
    user: Option<String>,
    password: String,
    backend: PathBuf,
    home: PathBuf,
    log: Mutex<Vec<Logged>>,
    /// Run once, before the first request that matches (method, path-and-query prefix after the
    /// repository), then dropped: how a test moves the repository at an exact point of a push.
    hooks: Mutex<Vec<Hook>>,
}

type Hook = (String, String, Box<dyn FnOnce() + Send>);

impl GitServer {
    /// Serves `root`'s bare repositories to `user` with `password`; anything else is 401.
    pub fn start(root: &Path, user: &str, password: &str) -> GitServer {
        Self::start_with(root, Some(user), password)
    }

    /// Serves `root`'s bare repositories to any user name with `token` as the password (how
    /// GitHub takes a token over HTTPS).
    pub fn start_token(root: &Path, token: &str) -> GitServer {
        Self::start_with(root, None, token)
    }

    fn start_with(root: &Path, user: Option<&str>, password: &str) -> GitServer {
        let home = tempfile::tempdir().expect("git server home");
        let config = Arc::new(Config {
            root: root.canonicalize().unwrap_or_else(|e| panic!("git root {}: {e}", root.display())),
            user: user.map(str::to_owned),
            password: password.to_owned(),
            backend: git_exec_path().join("git-http-backend"),
            home: home.path().to_owned(),
            log: Mutex::new(Vec::new()),
            hooks: Mutex::new(Vec::new()),
        });
        assert!(config.backend.exists(), "{} not found", config.backend.display());
        let state = config.clone();
        let server = Server::start("git", move |_| Router::new().fallback(handle).with_state(state));
        GitServer { server, config, _home: home }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// `http://127.0.0.1:PORT/<name>.git`, the repository `<root>/<name>.git`.
    pub fn url_for(&self, name: &str) -> String {
        format!("{}/{name}.git", self.url())
    }

    /// Environment for the git CLI that sends this server's credentials as an
    /// `http.extraHeader` (through `GIT_CONFIG_COUNT`, so the password is in no URL and no argv).
    pub fn git_auth_env(&self) -> Vec<(String, String)> {
        use base64::Engine as _;
        let user = self.config.user.clone().unwrap_or_else(|| "x-access-token".to_owned());
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", self.config.password));
        vec![
            ("GIT_CONFIG_COUNT".to_owned(), "1".to_owned()),
            ("GIT_CONFIG_KEY_0".to_owned(), "http.extraHeader".to_owned()),
            ("GIT_CONFIG_VALUE_0".to_owned(), format!("Authorization: Basic {basic}")),
        ]
    }

    /// Every request answered so far (the `info/refs` advertisement and the
    /// `git-upload-pack`/`git-receive-pack` POSTs), oldest first.
    pub fn requests(&self) -> Vec<Logged> {
        lock(&self.config.log).clone()
    }

    /// Runs `f` (blocking is fine: it runs off the server's threads) just before the server
    /// answers the next authorized request whose method is `method` and whose path and query end with
    /// `suffix`, e.g. `("GET", "/info/refs?service=git-receive-pack")` (the advertisement a push
    /// starts with) or `("POST", "/git-receive-pack")` (the update itself). Once only.
    pub fn before_next(&self, method: &str, suffix: &str, f: impl FnOnce() + Send + 'static) {
        lock(&self.config.hooks).push((method.to_owned(), suffix.to_owned(), Box::new(f)));
    }

    pub fn clear_requests(&self) {
        lock(&self.config.log).clear();
    }
}

/// The directory `git --exec-path` prints.
fn git_exec_path() -> PathBuf {
    let output = std::process::Command::new("git").arg("--exec-path").output().expect("run git --exec-path");
    assert!(output.status.success(), "git --exec-path failed");
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
}

async fn handle(State(config): State<Arc<Config>>, request: Request) -> Response {
    let method = request.method().to_string();
    let path_and_query = request.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let token = credential(request.headers());
    let response = match authorize(&config, &request) {
        Some(user) => {
            // Hooks wait for an authorized request: the 401 challenge each connection starts
            // with is not the answer they are placed before.
            let hook = {
                let mut hooks = lock(&config.hooks);
                hooks
                    .iter()
                    .position(|(m, suffix, _)| *m == method && path_and_query.ends_with(suffix.as_str()))
                    .map(|i| hooks.remove(i).2)
            };
            if let Some(f) = hook {
                tokio::task::spawn_blocking(f).await.expect("git server hook panicked");
            }
            cgi(&config, user, request).await
        }
        None => (
            StatusCode::UNAUTHORIZED,
            [(WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"git\""))],
            "Authentication required\n",
        )
            .into_response(),
    };
    lock(&config.log).push(Logged {
        method,
        path_and_query,
        status: response.status().as_u16(),
        if_none_match: false,
        token,
    });
    response
}

/// The user name, when the request's basic credentials are right.
fn authorize(config: &Config, request: &Request) -> Option<String> {
    let value = request.headers().get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, payload) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let (user, password) = basic_credentials(payload)?;
    let user_ok = config.user.as_ref().is_none_or(|u| *u == user);
    (user_ok && password == config.password).then_some(user)
}

fn bad_gateway(message: String) -> Response {
    eprintln!("git server: {message}");
    (StatusCode::BAD_GATEWAY, message).into_response()
}

async fn cgi(config: &Config, user: String, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(e) => return bad_gateway(format!("reading the request body: {e}")),
    };
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);

    let mut command = tokio::process::Command::new(&config.backend);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &config.home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_COUNT", "2")
        .env("GIT_CONFIG_KEY_0", "http.receivepack")
        .env("GIT_CONFIG_VALUE_0", "true")
        .env("GIT_CONFIG_KEY_1", "safe.directory")
        .env("GIT_CONFIG_VALUE_1", "*")
        .env("GIT_PROJECT_ROOT", &config.root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .env("SERVER_PROTOCOL", "HTTP/1.1")
        .env("REQUEST_METHOD", parts.method.as_str())
        .env("PATH_INFO", parts.uri.path())
        .env("QUERY_STRING", parts.uri.query().unwrap_or(""))
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("REMOTE_USER", user)
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (header_name, variable) in [
        ("content-type", "CONTENT_TYPE"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
        ("git-protocol", "HTTP_GIT_PROTOCOL"),
    ] {
        if let Some(value) = header(header_name) {
            command.env(variable, value);
        }
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return bad_gateway(format!("starting {}: {e}", config.backend.display())),
    };
    let mut stdin = child.stdin.take().expect("piped stdin");
    tokio::spawn(async move {
        let _ = stdin.write_all(&body).await;
    });
    let mut stderr = child.stderr.take().expect("piped stderr");
    tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        for line in text.lines() {
            eprintln!("git-http-backend: {line}");
        }
    });
    let mut stdout = child.stdout.take().expect("piped stdout");

    // The CGI header block ends at the first empty line.
    let mut buffer = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let (head_end, body_start) = loop {
        let crlf = find(&buffer, b"\r\n\r\n").map(|i| (i, i + 4));
        let lf = find(&buffer, b"\n\n").map(|i| (i, i + 2));
        if let Some(found) = [crlf, lf].into_iter().flatten().min() {
            break found;
        }
        match stdout.read(&mut chunk).await {
            Ok(0) => return bad_gateway("git http-backend ended before its headers".to_owned()),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e) => return bad_gateway(format!("reading git http-backend: {e}")),
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let rest = buffer.split_off(body_start);

    let mut builder = Response::builder().status(StatusCode::OK);
    for line in head.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().and_then(|c| c.parse::<u16>().ok()).unwrap_or(500);
            builder = builder.status(code);
        } else if let (Ok(name), Ok(value)) = (HeaderName::try_from(name.trim()), HeaderValue::from_str(value)) {
            builder = builder.header(name, value);
        }
    }

    // Stream the rest of stdout; reap the child when it is done.
    let stream = futures_util::stream::unfold(
        (Some(rest), stdout, Some(child), chunk),
        |(first, mut stdout, mut child, mut chunk)| async move {
            if let Some(first) = first.filter(|f| !f.is_empty()) {
                return Some((Ok::<Bytes, std::io::Error>(Bytes::from(first)), (None, stdout, child, chunk)));
            }
            match stdout.read(&mut chunk).await {
                Ok(0) | Err(_) => {
                    if let Some(mut child) = child.take() {
                        let _ = child.wait().await;
                    }
                    None
                }
                Ok(n) => Some((Ok(Bytes::copy_from_slice(&chunk[..n])), (None, stdout, child, chunk))),
            }
        },
    );
    builder.body(Body::from_stream(stream)).unwrap_or_else(|e| bad_gateway(format!("building the response: {e}")))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
