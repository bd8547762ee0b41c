//! [`Server`]: `axum::serve` with the limits a pod needs against slow and idle clients — a
//! header-read timeout, an idle keep-alive timeout, a connection cap — and a shutdown that
//! cannot hang: the drain of [`Shutdown`], then at most a deadline for the requests in flight,
//! and a second signal exits at once.
//!
//! ```no_run
//! use std::time::Duration;
//! use readiness_axum::{Server, Shutdown};
//! use readiness_core::Readiness;
//!
//! # #[tokio::main] async fn main() -> std::io::Result<()> {
//! let shutdown = Shutdown::new().drain(Duration::from_secs(12)).probe(Duration::from_secs(10), 1);
//! let readiness = Readiness::builder().register(shutdown.check()).build().unwrap();
//! let app = readiness_axum::routes(readiness.clone());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! Server::new(listener, app)
//!     .header_read_timeout(Duration::from_secs(5))
//!     .idle_timeout(Duration::from_secs(60))
//!     .max_connections(1024)
//!     .shutdown(shutdown, readiness)
//!     .run()
//!     .await
//! # }
//! ```
//!
//! Why by hand: hyper's own `header_read_timeout` starts whenever a connection waits for a
//! request head, idle keep-alive included, so it cannot give idle connections a longer leash
//! than a half-sent head; `axum::serve` offers neither limit nor a connection cap. Each
//! connection here has a watchdog that knows, from the bytes it reads and the requests it
//! serves, whether it is idle, reading a head, or busy with a request.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::TokioIo;
use readiness_core::Readiness;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::shutdown::Shutdown;

/// Default [`Server::header_read_timeout`]: 10 s.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`Server::idle_timeout`]: 60 s.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Default [`Server::max_connections`]: 1024.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Default [`Server::shutdown_deadline`]: 10 s.
pub const DEFAULT_SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);

/// Serves a [`Router`] on a listener with connection limits and a bounded shutdown. Every
/// request carries [`ConnectInfo<SocketAddr>`] (the peer), as with
/// `into_make_service_with_connect_info`.
#[must_use = "a server does nothing until `run` is awaited"]
pub struct Server {
    listener: TcpListener,
    app: Router,
    header_read_timeout: Duration,
    idle_timeout: Duration,
    max_connections: usize,
    shutdown_deadline: Duration,
    shutdown: Option<(Shutdown, Readiness)>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.listener.local_addr().ok())
            .field("header_read_timeout", &self.header_read_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_connections", &self.max_connections)
            .field("shutdown_deadline", &self.shutdown_deadline)
            .field("shutdown", &self.shutdown.as_ref().map(|(shutdown, _)| shutdown))
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Serves `app` on `listener` with the defaults: a 10 s header-read timeout, a 60 s idle
    /// timeout, at most 1024 connections, and no shutdown until [`Server::shutdown`] gives one.
    pub fn new(listener: TcpListener, app: Router) -> Self {
        Self {
            listener,
            app,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            shutdown_deadline: DEFAULT_SHUTDOWN_DEADLINE,
            shutdown: None,
        }
    }

    /// How long a client may take to send a request head once it has sent its first byte: a
    /// connection still sending its head past it is closed (slowloris).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long a connection may sit between requests (or before its first) without sending a
    /// byte: past it, it is closed. A request being served is never idle.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// How many connections are served at once. Past it, new connections wait in the
    /// listener's backlog until one closes; those already open, and so `/liveness` on them and
    /// on the next freed one, keep being served.
    pub fn max_connections(mut self, limit: usize) -> Self {
        self.max_connections = limit.max(1);
        self
    }

    /// How long the requests in flight may take once the drain is over; then the server
    /// returns anyway, closing what is left. Keep drain + deadline under the pod's
    /// `terminationGracePeriodSeconds`.
    pub fn shutdown_deadline(mut self, deadline: Duration) -> Self {
        self.shutdown_deadline = deadline;
        self
    }

    /// Shuts down on SIGTERM or Ctrl-C as `shutdown` says: readiness fails at once, the drain,
    /// then the requests in flight get [`Server::shutdown_deadline`]. A second signal, at any
    /// point of that, makes [`Server::run`] return at once.
    pub fn shutdown(mut self, shutdown: Shutdown, readiness: Readiness) -> Self {
        self.shutdown = Some((shutdown, readiness));
        self
    }

    /// Serves until the shutdown is over (or for ever without one).
    ///
    /// # Errors
    ///
    /// Only when the listener's address cannot be read; a failed `accept` (too many open files,
    /// a connection reset before it was accepted) is logged and serving goes on.
    pub async fn run(self) -> io::Result<()> {
        let Server { listener, app, header_read_timeout, idle_timeout, max_connections, shutdown_deadline, shutdown } =
            self;
        let local = listener.local_addr()?;
        let limits = Limits { header_read_timeout, idle_timeout };
        let (forced, drained): (Pin<Box<dyn Future<Output = ()> + Send>>, _) = match shutdown {
            Some((shutdown, readiness)) => {
                let forced = shutdown.forced();
                (Box::pin(forced), Box::pin(shutdown.signal(readiness)) as Pin<Box<dyn Future<Output = ()> + Send>>)
            }
            None => (Box::pin(std::future::pending()), Box::pin(std::future::pending())),
        };
        let mut drained = drained;
        let permits = Arc::new(Semaphore::new(max_connections));
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        loop {
            let permit = tokio::select! {
                permit = Arc::clone(&permits).acquire_owned() => permit.expect("the semaphore is never closed"),
                () = &mut drained => break,
            };
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = &mut drained => break,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // EMFILE and the like: back off a little rather than spin.
                    tracing::warn!(%error, %local, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let connection = serve_connection(stream, peer, app.clone(), limits);
            let watched = graceful.watch(connection.http);
            let watchdog = connection.watchdog;
            tokio::spawn(async move {
                let _permit = permit;
                tokio::select! {
                    result = watched => {
                        if let Err(error) = result {
                            tracing::debug!(%error, %peer, "connection ended with an error");
                        }
                    }
                    reason = watchdog => tracing::debug!(%peer, reason, "connection closed"),
                }
            });
        }
        drop(listener);
        tokio::select! {
            () = graceful.shutdown() => tracing::info!("every connection finished"),
            () = tokio::time::sleep(shutdown_deadline) => tracing::warn!(
                deadline_ms = shutdown_deadline.as_millis() as u64,
                "shutdown deadline reached: closing the connections still open"
            ),
            () = forced => tracing::warn!("second shutdown signal: exiting now"),
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
struct Limits {
    header_read_timeout: Duration,
    idle_timeout: Duration,
}

/// Where a connection is, for its watchdog.
const IDLE: u8 = 0;
const HEAD: u8 = 1;
const BUSY: u8 = 2;

/// What a connection's IO and its service tell its watchdog.
struct Activity {
    phase: AtomicU8,
    /// When the phase began: the last byte moved while idle, the first byte of a head.
    since: Mutex<Instant>,
    /// Requests being served (pipelining can overlap the next head with a response).
    in_flight: std::sync::atomic::AtomicUsize,
    /// Wakes the watchdog when the phase changes: its limit changes with it.
    changed: tokio::sync::Notify,
}

impl Activity {
    fn mark(&self, phase: u8) {
        *self.since.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Instant::now();
        if self.phase.swap(phase, Ordering::AcqRel) != phase {
            self.changed.notify_one();
        }
    }

    fn since(&self) -> Instant {
        *self.since.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

struct Connection<H> {
    http: H,
    watchdog: Pin<Box<dyn Future<Output = &'static str> + Send>>,
}

fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: Limits,
) -> Connection<impl hyper_util::server::graceful::GracefulConnection<Error = hyper::Error>> {
    let activity = Arc::new(Activity {
        phase: AtomicU8::new(IDLE),
        since: Mutex::new(Instant::now()),
        in_flight: 0.into(),
        changed: tokio::sync::Notify::new(),
    });
    let io = TokioIo::new(Watched { inner: stream, activity: Arc::clone(&activity) });
    let service_activity = Arc::clone(&activity);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let activity = Arc::clone(&service_activity);
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        activity.mark(BUSY);
        let response = tower::ServiceExt::oneshot(app.clone(), request.map(axum::body::Body::new));
        async move {
            let response = response.await;
            if activity.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
                activity.mark(IDLE);
            }
            response
        }
    });
    let http = hyper::server::conn::http1::Builder::new()
        // The watchdog bounds the head; hyper's own timer would also cut idle connections.
        .header_read_timeout(None)
        .serve_connection(io, service);
    Connection { http, watchdog: Box::pin(watchdog(activity, limits)) }
}

/// Resolves, with the reason, when the connection has been idle or sending a head too long.
async fn watchdog(activity: Arc<Activity>, limits: Limits) -> &'static str {
    loop {
        let (limit, reason) = match activity.phase.load(Ordering::Acquire) {
            IDLE => (limits.idle_timeout, "idle timeout"),
            HEAD => (limits.header_read_timeout, "header read timeout"),
            // A request's own time is its handler's business (and the readiness deadline's).
            _ => (limits.idle_timeout, ""),
        };
        let deadline = activity.since() + limit;
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => {}
            // A new phase, a new limit: look again.
            () = activity.changed.notified() => continue,
        }
        let phase = activity.phase.load(Ordering::Acquire);
        if phase != BUSY && activity.since() + limit <= Instant::now() && !reason.is_empty() {
            return reason;
        }
    }
}

/// A stream that tells the watchdog when bytes move: the first byte read while idle starts a
/// head; any byte written while idle (the end of a response) restarts the idle time.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before && self.activity.phase.load(Ordering::Acquire) == IDLE {
            self.activity.mark(HEAD);
        }
        result
    }
}

impl Watched {
    /// A response byte written while idle (the end of a response) restarts the idle time.
    fn wrote(&self, result: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if matches!(result, Poll::Ready(Ok(written)) if written > 0)
            && self.activity.phase.load(Ordering::Acquire) == IDLE
        {
            self.activity.mark(IDLE);
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, bytes);
        self.wrote(result)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.wrote(result)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
