//! Graceful shutdown: on SIGTERM or Ctrl-C, readiness fails at once (liveness does not), the
//! service keeps serving for a drain delay so load balancers notice, then axum's graceful
//! shutdown finishes the requests in flight.
//!
//! ```no_run
//! use std::time::Duration;
//! use readiness_axum::Shutdown;
//! use readiness_core::Readiness;
//!
//! # #[tokio::main] async fn main() -> std::io::Result<()> {
//! let shutdown = Shutdown::new().drain(Duration::from_secs(5));
//! let readiness = Readiness::builder().register(shutdown.check()).build().unwrap();
//! let app = readiness_axum::routes(readiness.clone());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).with_graceful_shutdown(shutdown.signal(readiness)).await
//! # }
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use readiness_core::{CheckRegistration, CheckSpec, Outcome, Readiness, check_fn};

/// The shutdown helper. Cheap to clone.
#[derive(Clone, Debug)]
#[must_use]
pub struct Shutdown {
    drain: Duration,
    installed: Arc<AtomicBool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    /// A helper with a drain delay of 5 s: half a Kubernetes probe period, so the endpoint is
    /// seen failing before the process stops accepting connections.
    pub fn new() -> Self {
        Self { drain: Duration::from_secs(5), installed: Arc::default() }
    }

    /// How long to keep serving after the signal, with readiness failing.
    pub fn drain(mut self, drain: Duration) -> Self {
        self.drain = drain;
        self
    }

    /// The drain delay.
    pub fn drain_delay(&self) -> Duration {
        self.drain
    }

    /// A check of `operations.deployment.zero-downtime`: passes once [`Shutdown::signal`] is
    /// being awaited (the hook is installed) and the drain delay is above zero.
    pub fn check(&self) -> CheckRegistration {
        let installed = Arc::clone(&self.installed);
        let drain = self.drain;
        let spec = CheckSpec::new("shutdown:graceful")
            .control("operations.deployment.zero-downtime")
            .description("SIGTERM fails readiness, drains, then finishes in-flight requests");
        CheckRegistration::new(
            spec,
            check_fn(move |_| {
                let outcome = if !installed.load(Ordering::Acquire) {
                    Outcome::fail("no shutdown hook: pass Shutdown::signal() to axum::serve(..).with_graceful_shutdown")
                } else if drain.is_zero() {
                    Outcome::fail(
                        "the drain delay is zero: load balancers would still send traffic while the process stops",
                    )
                } else {
                    Outcome::pass().with_output(format!("graceful shutdown with a {} ms drain", drain.as_millis()))
                };
                async move { outcome.observed(drain.as_millis() as f64, "ms") }
            }),
        )
    }

    /// Waits for SIGTERM or Ctrl-C, makes readiness fail, waits the drain delay, and returns:
    /// give it to `axum::serve(..).with_graceful_shutdown`.
    pub async fn signal(self, readiness: Readiness) {
        self.installed.store(true, Ordering::Release);
        wait_for_signal().await;
        readiness.begin_shutdown();
        tracing::info!(drain_ms = self.drain.as_millis() as u64, "shutdown signal received: readiness fails, draining");
        tokio::time::sleep(self.drain).await;
        tracing::info!("drain over: finishing in-flight requests");
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C will shut down");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        result = tokio::signal::ctrl_c() => {
            if let Err(error) = result {
                tracing::warn!(%error, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
        () = terminate => {}
    }
}
