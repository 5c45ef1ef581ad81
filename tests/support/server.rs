//! The plumbing every test server shares: bind 127.0.0.1 on a random port, run an axum router on
//! a thread of its own with its own tokio runtime (tests are plain `#[test]` functions that spawn
//! the crate's binaries), and stop it when the owner is dropped. Also the request log entry both
//! servers keep.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use tokio::sync::oneshot;

/// One request as a server answered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    pub method: String,
    /// The request target as sent, e.g. `/repos/o/r/releases?per_page=100`.
    pub path_and_query: String,
    /// The status the server answered with.
    pub status: u16,
    /// Whether the request carried `If-None-Match`.
    pub if_none_match: bool,
    /// The token or password the request carried (`Authorization: Bearer|token <t>`, or the
    /// password of `Basic`), so a test can check which credential reached which host.
    pub token: Option<String>,
}

impl Logged {
    /// The path without the query string.
    pub fn path(&self) -> &str {
        self.path_and_query.split('?').next().unwrap_or_default()
    }
}

/// A running server; dropping it stops the server and joins its thread.
pub(crate) struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds 127.0.0.1:0, then builds the router from the base URL (`http://127.0.0.1:PORT`, no
    /// trailing slash) so that handlers can write absolute URLs into their answers.
    pub(crate) fn start(name: &str, make_router: impl FnOnce(String) -> Router) -> Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let router = make_router(format!("http://{addr}"));
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("{name}-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("server runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                    let (drain, draining) = oneshot::channel::<()>();
                    let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
                        let _ = draining.await;
                    });
                    let task = tokio::spawn(serve.into_future());
                    let _ = stopped.await;
                    let _ = drain.send(());
                    // A client that keeps a request open must not hang the test's Drop.
                    let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
                });
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .expect("spawn server thread");
        Server { addr, stop: Some(stop), thread: Some(thread) }
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Locks a mutex, shrugging off poisoning: a handler that panicked must not hide the test's own
/// assertion behind a `PoisonError`.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The credential an `Authorization` header carries: `Bearer <t>`, `token <t>`, or the password of
/// `Basic base64(user:password)`.
pub(crate) fn credential(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    match scheme.to_ascii_lowercase().as_str() {
        "bearer" | "token" => Some(rest.to_owned()),
        "basic" => basic_credentials(rest).map(|(_, password)| password),
        _ => None,
    }
}

/// Decodes the payload of `Authorization: Basic …` into (user, password).
pub(crate) fn basic_credentials(payload: &str) -> Option<(String, String)> {
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD.decode(payload.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}
