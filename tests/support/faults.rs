//! `FaultProxy`: an HTTP/1.1 server on 127.0.0.1 that stands in front of another test server
//! (usually `Upstream`) and forwards every request to it, except those a rule picks: for the next
//! N requests whose path (with query) starts with a prefix, or for all of them, it injects a
//! fault instead. Some faults are below HTTP, which is why this is raw TCP (tokio) and not a
//! router: a server that accepts and never answers, a reset after the headers, a
//! `Content-Length` the body never reaches, a body longer than announced.
//!
//! Answers forwarded from the upstream have the upstream's base URL (`http://127.0.0.1:PORT`)
//! replaced by the proxy's in their bodies and in `Link` / `Location`, so the URLs a client finds
//! in them (asset downloads, next pages) lead back through the proxy.
//!
//! Every request is logged ([`Seen`]) with the fault it met and how many bytes of the answer were
//! written, so a test can count tries and see that a client stopped reading early.
//! [`Blackhole`] is a listener that never completes a TCP handshake, for connect timeouts.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};

use super::server::lock;

/// What the proxy does to a request instead of forwarding it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Read the request, then never answer (the connection stays open until the proxy stops).
    Hang,
    /// Answer this status with a small JSON `message`, without asking the upstream.
    Status(u16),
    /// Read the request, then reset the connection (RST) before a byte of answer.
    Reset,
    /// The upstream's status and headers, with `Content-Length`, then half the body, then RST.
    ResetMidBody,
    /// The upstream's status and headers, with `Content-Length`, then half the body, then a clean
    /// close (FIN): a truncated body.
    Truncated,
    /// `200 OK` with an HTML page in place of the answer (a captive portal, a broken CDN).
    Garbage,
    /// `302 Found` to the very same URL.
    RedirectLoop,
    /// The upstream's answer followed by `extra` more bytes. With `announce`, `Content-Length`
    /// counts them; without, the body ends when the connection closes (no length at all).
    Oversize { extra: u64, announce: bool },
}

impl Fault {
    fn name(&self) -> &'static str {
        match self {
            Fault::Hang => "hang",
            Fault::Status(_) => "status",
            Fault::Reset => "reset",
            Fault::ResetMidBody => "reset-mid-body",
            Fault::Truncated => "truncated",
            Fault::Garbage => "garbage",
            Fault::RedirectLoop => "redirect-loop",
            Fault::Oversize { .. } => "oversize",
        }
    }
}

/// One request the proxy received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    /// The request target as sent: `/repos/o/r/releases?per_page=100`.
    pub path_and_query: String,
    /// The fault injected, or `None` when the request was forwarded untouched.
    pub fault: Option<Fault>,
    /// The status line's code that was sent, if any.
    pub status: Option<u16>,
    /// Bytes of the answer's body the proxy managed to write before it stopped or the client
    /// went away.
    pub body_bytes: u64,
    /// Whether the request carried an `Authorization` header (the value is not kept).
    pub authorized: bool,
}

struct Rule {
    prefix: String,
    fault: Fault,
    /// `None`: every matching request.
    times: Option<u32>,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    log: Vec<Seen>,
}

impl State {
    fn take(&mut self, target: &str) -> Option<Fault> {
        let index = self.rules.iter().position(|r| target.starts_with(&r.prefix))?;
        let fault = self.rules[index].fault.clone();
        if let Some(times) = &mut self.rules[index].times {
            *times -= 1;
            if *times == 0 {
                self.rules.remove(index);
            }
        }
        Some(fault)
    }
}

type Shared = Arc<Mutex<State>>;

/// The proxy; dropping it stops it (hanging connections included) and joins its thread.
pub struct FaultProxy {
    addr: SocketAddr,
    state: Shared,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts a proxy on 127.0.0.1:<random port> forwarding to `upstream`
    /// (`http://127.0.0.1:PORT`, no trailing slash).
    pub fn start(upstream: &str) -> FaultProxy {
        let upstream = upstream.trim_end_matches('/').to_owned();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let state: Shared = Arc::default();
        let (stop, stopped) = oneshot::channel::<()>();
        let shared = state.clone();
        let thread = std::thread::Builder::new()
            .name(format!("fault-proxy-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("proxy runtime");
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("listener");
                    let (closing, closed) = watch::channel(false);
                    let ctx = Arc::new(Ctx {
                        state: shared,
                        upstream,
                        base: format!("http://{addr}"),
                        client: reqwest::Client::builder()
                            .no_proxy()
                            .redirect(reqwest::redirect::Policy::none())
                            .build()
                            .expect("forwarding client"),
                    });
                    let accept = async {
                        loop {
                            let Ok((conn, _)) = listener.accept().await else { continue };
                            let ctx = ctx.clone();
                            let mut closed = closed.clone();
                            tokio::spawn(async move {
                                tokio::select! {
                                    _ = serve(conn, &ctx) => {}
                                    _ = closed.changed() => {}
                                }
                            });
                        }
                    };
                    tokio::select! {
                        _ = accept => {}
                        _ = stopped => {}
                    }
                    let _ = closing.send(true);
                });
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .expect("spawn proxy thread");
        FaultProxy { addr, state, stop: Some(stop), thread: Some(thread) }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The next `times` requests whose target (path and query) starts with `prefix` meet `fault`.
    /// Rules are tried in the order added; a spent rule is dropped.
    pub fn inject(&self, prefix: &str, fault: Fault, times: u32) {
        if times > 0 {
            lock(&self.state).rules.push(Rule { prefix: prefix.to_owned(), fault, times: Some(times) });
        }
    }

    /// Every request whose target starts with `prefix` meets `fault`, until `clear`.
    pub fn always(&self, prefix: &str, fault: Fault) {
        lock(&self.state).rules.push(Rule { prefix: prefix.to_owned(), fault, times: None });
    }

    /// Drops every rule: from now on everything is forwarded.
    pub fn clear(&self) {
        lock(&self.state).rules.clear();
    }

    /// Every request received so far, oldest first.
    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.state).log.clone()
    }

    /// The requests whose target starts with `prefix`.
    pub fn seen_under(&self, prefix: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path_and_query.starts_with(prefix)).collect()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Ctx {
    state: Shared,
    upstream: String,
    /// The proxy's own base URL.
    base: String,
    client: reqwest::Client,
}

struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    close: bool,
}

/// An answer to write: status, headers (without `Content-Length`), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// One connection: requests one after another (keep-alive) until the client closes, a request
/// does not parse, or a fault ends the connection.
async fn serve(mut conn: TcpStream, ctx: &Ctx) {
    let mut buf = Vec::new();
    while let Some(req) = read_request(&mut conn, &mut buf).await {
        let fault = lock(&ctx.state).take(&req.target);
        let index = {
            let mut state = lock(&ctx.state);
            state.log.push(Seen {
                method: req.method.clone(),
                path_and_query: req.target.clone(),
                fault: fault.clone(),
                status: None,
                body_bytes: 0,
                authorized: req.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("authorization")),
            });
            state.log.len() - 1
        };
        let record = |status: Option<u16>, bytes: u64| {
            let mut state = lock(&ctx.state);
            state.log[index].status = status;
            state.log[index].body_bytes = bytes;
        };
        let keep_going = match fault {
            None => {
                let answer = forward(ctx, &req).await;
                let status = answer.status;
                let n = answer.body.len() as u64;
                let ok = write_answer(&mut conn, &answer, req.close).await.is_ok();
                record(Some(status), if ok { n } else { 0 });
                ok && !req.close
            }
            Some(Fault::Hang) => {
                // Until the proxy stops (the task is dropped with the connection).
                std::future::pending::<()>().await;
                false
            }
            Some(Fault::Status(code)) => {
                let answer = Answer {
                    status: code,
                    headers: vec![("Content-Type".into(), "application/json; charset=utf-8".into())],
                    body: format!("{{\"message\":\"injected fault: {code}\"}}").into_bytes(),
                };
                let ok = write_answer(&mut conn, &answer, req.close).await.is_ok();
                record(Some(code), answer.body.len() as u64);
                ok && !req.close
            }
            Some(Fault::Reset) => {
                let _ = conn.set_zero_linger();
                false
            }
            Some(cut @ (Fault::ResetMidBody | Fault::Truncated)) => {
                let reset = cut == Fault::ResetMidBody;
                let answer = forward(ctx, &req).await;
                let half = answer.body.len() / 2;
                let head = head(&answer, Some(answer.body.len() as u64), false);
                let _ = conn.write_all(head.as_bytes()).await;
                let _ = conn.write_all(&answer.body[..half]).await;
                let _ = conn.flush().await;
                record(Some(answer.status), half as u64);
                // Let the half arrive before the connection goes.
                tokio::time::sleep(Duration::from_millis(50)).await;
                if reset {
                    let _ = conn.set_zero_linger();
                } else {
                    let _ = conn.shutdown().await;
                }
                false
            }
            Some(Fault::Garbage) => {
                let answer = Answer {
                    status: 200,
                    headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
                    body: b"<!DOCTYPE html>\n<html><head><title>Bad Gateway</title></head>\
                            <body><h1>502 Bad Gateway</h1><p>The proxy could not reach the origin.</p></body></html>\n"
                        .to_vec(),
                };
                let ok = write_answer(&mut conn, &answer, req.close).await.is_ok();
                record(Some(200), answer.body.len() as u64);
                ok && !req.close
            }
            Some(Fault::RedirectLoop) => {
                let answer = Answer {
                    status: 302,
                    headers: vec![("Location".into(), format!("{}{}", ctx.base, req.target))],
                    body: Vec::new(),
                };
                let ok = write_answer(&mut conn, &answer, req.close).await.is_ok();
                record(Some(302), 0);
                ok && !req.close
            }
            Some(Fault::Oversize { extra, announce }) => {
                let answer = forward(ctx, &req).await;
                let total = answer.body.len() as u64 + extra;
                let head = head(&answer, announce.then_some(total), !announce);
                let mut sent = 0u64;
                if conn.write_all(head.as_bytes()).await.is_ok() && conn.write_all(&answer.body).await.is_ok() {
                    sent = answer.body.len() as u64;
                    let filler = vec![b'x'; 64 * 1024];
                    let mut left = extra;
                    while left > 0 {
                        let n = left.min(filler.len() as u64) as usize;
                        if conn.write_all(&filler[..n]).await.is_err() {
                            break;
                        }
                        sent += n as u64;
                        left -= n as u64;
                        record(Some(answer.status), sent);
                    }
                }
                record(Some(answer.status), sent);
                let _ = conn.shutdown().await;
                false
            }
        };
        if !keep_going {
            return;
        }
    }
}

/// Reads one request (head and `Content-Length` body); `None` at EOF or on anything malformed.
async fn read_request(conn: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Request> {
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let mut chunk = [0u8; 8192];
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..end].to_vec()).ok()?;
    buf.drain(..end + 4);
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target, version) = (first.next()?.to_owned(), first.next()?.to_owned(), first.next()?.to_owned());
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())).collect();
    let header = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let length: usize = header("content-length").map(|v| v.parse().ok()).unwrap_or(Some(0))?;
    while buf.len() < length {
        let mut chunk = [0u8; 8192];
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body: Vec<u8> = buf.drain(..length).collect();
    let close = header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close")) || version == "HTTP/1.0";
    Some(Request { method, target, headers, body, close })
}

/// Asks the upstream; an unreachable upstream is a 502 naming it.
async fn forward(ctx: &Ctx, req: &Request) -> Answer {
    const HOP: &[&str] = &["host", "connection", "content-length", "transfer-encoding", "keep-alive", "te", "upgrade"];
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut out = ctx.client.request(method, format!("{}{}", ctx.upstream, req.target));
    for (k, v) in &req.headers {
        if !HOP.iter().any(|h| k.eq_ignore_ascii_case(h)) {
            out = out.header(k.as_str(), v.as_str());
        }
    }
    if !req.body.is_empty() {
        out = out.body(req.body.clone());
    }
    let resp = match out.send().await {
        Ok(resp) => resp,
        Err(e) => {
            return Answer {
                status: 502,
                headers: vec![("Content-Type".into(), "text/plain".into())],
                body: format!("fault proxy: upstream {}: {e}", ctx.upstream).into_bytes(),
            };
        }
    };
    let status = resp.status().as_u16();
    let headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        .filter(|(k, _)| !HOP.iter().any(|h| k.as_str().eq_ignore_ascii_case(h)))
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.replace(&ctx.upstream, &ctx.base))))
        .collect();
    let body = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    Answer { status, headers, body: replace_bytes(&body, ctx.upstream.as_bytes(), ctx.base.as_bytes()) }
}

fn replace_bytes(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

/// The status line and headers; `length` becomes `Content-Length`, `close` adds
/// `Connection: close`.
fn head(answer: &Answer, length: Option<u64>, close: bool) -> String {
    let reason =
        reqwest::StatusCode::from_u16(answer.status).ok().and_then(|s| s.canonical_reason()).unwrap_or("Unknown");
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", answer.status);
    for (k, v) in &answer.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(n) = length {
        head.push_str(&format!("Content-Length: {n}\r\n"));
    }
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    head
}

async fn write_answer(conn: &mut TcpStream, answer: &Answer, close: bool) -> std::io::Result<()> {
    conn.write_all(head(answer, Some(answer.body.len() as u64), close).as_bytes()).await?;
    conn.write_all(&answer.body).await?;
    conn.flush().await
}

/// A TCP listener on 127.0.0.1 whose accept queue is full: a client's SYN goes unanswered, so
/// connecting hangs until the client's connect timeout.
pub struct Blackhole {
    fd: libc::c_int,
    port: u16,
    _fillers: Vec<std::net::TcpStream>,
}

impl Blackhole {
    pub fn start() -> Blackhole {
        // SAFETY: plain socket calls on a descriptor this function owns; every result is checked.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
            assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
            let mut addr: libc::sockaddr_in = std::mem::zeroed();
            addr.sin_family = libc::AF_INET as libc::sa_family_t;
            addr.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
            addr.sin_port = 0;
            let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            let rc = libc::bind(fd, &addr as *const libc::sockaddr_in as *const libc::sockaddr, len);
            assert_eq!(rc, 0, "bind: {}", std::io::Error::last_os_error());
            // A backlog of 0: one connection fills the queue; nothing is ever accepted.
            assert_eq!(libc::listen(fd, 0), 0, "listen: {}", std::io::Error::last_os_error());
            let mut bound: libc::sockaddr_in = std::mem::zeroed();
            let mut blen = len;
            let rc = libc::getsockname(fd, &mut bound as *mut libc::sockaddr_in as *mut libc::sockaddr, &mut blen);
            assert_eq!(rc, 0, "getsockname: {}", std::io::Error::last_os_error());
            let port = u16::from_be(bound.sin_port);
            let target = SocketAddr::from(([127, 0, 0, 1], port));
            let mut fillers = Vec::new();
            for _ in 0..4 {
                match std::net::TcpStream::connect_timeout(&target, Duration::from_millis(200)) {
                    Ok(s) => fillers.push(s),
                    Err(_) => break,
                }
            }
            Blackhole { fd, port, _fillers: fillers }
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Whether a connection attempt now hangs (what a test should check before relying on it).
    pub fn swallows_connections(&self) -> bool {
        let target = SocketAddr::from(([127, 0, 0, 1], self.port));
        std::net::TcpStream::connect_timeout(&target, Duration::from_millis(300)).is_err()
    }
}

impl Drop for Blackhole {
    fn drop(&mut self) {
        // SAFETY: the descriptor was opened by `start` and is closed once.
        unsafe {
            libc::close(self.fd);
        }
    }
}
