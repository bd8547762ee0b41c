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
//! // The readiness probe: `periodSeconds: 10`, `failureThreshold: 1`.
//! let shutdown = Shutdown::new().drain(Duration::from_secs(12)).probe(Duration::from_secs(10), 1);
//! let readiness = Readiness::builder().register(shutdown.check()).build().unwrap();
//! let app = readiness_axum::routes(readiness.clone());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).with_graceful_shutdown(shutdown.signal(readiness)).await
//! # }
//! ```
//!
//! After the signal, the orchestrator stops routing to the instance only once its readiness
//! probe has failed `failureThreshold` times in a row, `periodSeconds` apart: up to period ×
//! threshold after the signal. A drain shorter than that stops accepting connections while
//! traffic still arrives. The check `shutdown:graceful` ([`Shutdown::check`]):
//!
//! | passes | cannot tell (a warn) | fails |
//! |---|---|---|
//! | the hook is installed and the drain is at least the probe's period × failure threshold | no probe was given ([`Shutdown::probe`]), or a probe with a zero period or threshold | no hook ([`Shutdown::signal`] not awaited); a zero drain; a drain shorter than period × threshold |
//!
//! Keep the drain, plus the time in-flight requests need, under the pod's
//! `terminationGracePeriodSeconds`, or the process is killed mid-request.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use readiness_core::{CheckRegistration, CheckSpec, Outcome, Readiness, check_fn};

/// The shutdown helper. Cheap to clone.
#[derive(Clone, Debug)]
#[must_use]
pub struct Shutdown {
    drain: Duration,
    probe: Option<Probe>,
    installed: Arc<AtomicBool>,
    /// Fired by a second signal after the first: stop waiting for anything.
    forced: Arc<Forced>,
}

/// A second signal, told to whoever waits for it.
#[derive(Debug, Default)]
struct Forced {
    fired: AtomicBool,
    notify: tokio::sync::Notify,
}

impl Forced {
    fn fire(&self) {
        self.fired.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            if self.fired.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }
}

/// The readiness probe the drain must outlast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Probe {
    period: Duration,
    failure_threshold: u32,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    /// A helper with a drain delay of 5 s and no probe given: set [`Shutdown::drain`] to cover
    /// the readiness probe and tell the check which one with [`Shutdown::probe`].
    pub fn new() -> Self {
        Self { drain: Duration::from_secs(5), probe: None, installed: Arc::default(), forced: Arc::default() }
    }

    /// How long to keep serving after the signal, with readiness failing.
    pub fn drain(mut self, drain: Duration) -> Self {
        self.drain = drain;
        self
    }

    /// The readiness probe the orchestrator runs: its period (Kubernetes `periodSeconds`) and
    /// how many failures in a row take the instance out (`failureThreshold`). The check fails a
    /// drain shorter than `period × failure_threshold`.
    pub fn probe(mut self, period: Duration, failure_threshold: u32) -> Self {
        self.probe = Some(Probe { period, failure_threshold });
        self
    }

    /// The drain delay.
    pub fn drain_delay(&self) -> Duration {
        self.drain
    }

    /// The shortest drain the given probe needs (period × failure threshold); `None` without a
    /// probe.
    pub fn probe_budget(&self) -> Option<Duration> {
        self.probe.map(|probe| probe.budget())
    }

    /// A check of `operations.deployment.zero-downtime`: passes once [`Shutdown::signal`] is
    /// being awaited (the hook is installed) and the drain covers the readiness probe given to
    /// [`Shutdown::probe`]; without a probe it cannot tell. Not critical.
    pub fn check(&self) -> CheckRegistration {
        let installed = Arc::clone(&self.installed);
        let drain = self.drain;
        let probe = self.probe;
        let spec = CheckSpec::new("shutdown:graceful")
            .control("operations.deployment.zero-downtime")
            .description("SIGTERM fails readiness, drains past the readiness probe, then finishes in-flight requests");
        CheckRegistration::new(
            spec,
            check_fn(move |_| {
                let outcome = judge(installed.load(Ordering::Acquire), drain, probe);
                async move { outcome }
            }),
        )
    }

    /// Waits for SIGTERM or Ctrl-C, makes readiness fail, waits the drain delay, and returns:
    /// give it to `axum::serve(..).with_graceful_shutdown`, or let
    /// [`Server::shutdown`](crate::Server::shutdown) await it, which also bounds what follows the drain. A second
    /// signal ends the drain at once.
    pub async fn signal(self, readiness: Readiness) {
        self.installed.store(true, Ordering::Release);
        let mut signals = Signals::new();
        signals.next().await;
        readiness.begin_shutdown();
        tracing::info!(drain_ms = self.drain.as_millis() as u64, "shutdown signal received: readiness fails, draining");
        // The same listeners hear the second signal: one sent between the two could be lost
        // by listeners made afresh.
        let forced = Arc::clone(&self.forced);
        tokio::spawn(async move {
            signals.next().await;
            forced.fire();
        });
        tokio::select! {
            () = tokio::time::sleep(self.drain) => tracing::info!("drain over: finishing in-flight requests"),
            () = self.forced.wait() => tracing::warn!("second shutdown signal: the drain ends now"),
        }
    }

    /// Resolves on a second SIGTERM or Ctrl-C after the one [`Shutdown::signal`] acted on.
    pub(crate) fn forced(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let forced = Arc::clone(&self.forced);
        async move { forced.wait().await }
    }
}

/// SIGTERM and Ctrl-C, listened for from creation on.
struct Signals {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            let terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => Some(signal),
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C will shut down");
                    None
                }
            };
            Self { terminate }
        }
        #[cfg(not(unix))]
        Self {}
    }

    /// The next SIGTERM or Ctrl-C.
    async fn next(&mut self) {
        #[cfg(unix)]
        let terminate = async {
            match &mut self.terminate {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
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
}

impl Probe {
    fn budget(self) -> Duration {
        self.period.saturating_mul(self.failure_threshold)
    }
}

fn judge(installed: bool, drain: Duration, probe: Option<Probe>) -> Outcome {
    let drain_ms = drain.as_millis();
    let outcome = if !installed {
        Outcome::fail("no shutdown hook: pass Shutdown::signal() to axum::serve(..).with_graceful_shutdown")
    } else if drain.is_zero() {
        Outcome::fail("the drain delay is zero: load balancers would still send traffic while the process stops")
    } else {
        match probe {
            None => Outcome::cannot_tell(
                format!("whether the {drain_ms} ms drain outlasts the readiness probe, which was not given"),
                "give the probe's period and failure threshold: Shutdown::new().drain(..).probe(period, threshold)",
            ),
            Some(Probe { period, failure_threshold }) if period.is_zero() || failure_threshold == 0 => {
                Outcome::cannot_tell(
                    format!(
                        "whether the drain outlasts a probe every {} ms with a failure threshold of \
                         {failure_threshold}: no orchestrator probes so",
                        period.as_millis()
                    ),
                    "give the readiness probe's real period and failure threshold (each at least 1)",
                )
            }
            Some(probe) if drain < probe.budget() => Outcome::fail(format!(
                "the {drain_ms} ms drain is shorter than the readiness probe's {} ms period × {} failures = {} ms: \
                 traffic still arrives after the process stops accepting it; drain at least {} ms",
                probe.period.as_millis(),
                probe.failure_threshold,
                probe.budget().as_millis(),
                probe.budget().as_millis()
            )),
            Some(probe) => Outcome::pass().with_output(format!(
                "graceful shutdown with a {drain_ms} ms drain, covering the readiness probe's {} ms period × {} \
                 failures = {} ms",
                probe.period.as_millis(),
                probe.failure_threshold,
                probe.budget().as_millis()
            )),
        }
    };
    let outcome = outcome.observed(drain_ms as f64, "ms");
    match probe {
        Some(probe) => outcome
            .evidence("probe_period_ms", probe.period.as_millis())
            .evidence("failure_threshold", probe.failure_threshold)
            .evidence("probe_budget_ms", probe.budget().as_millis()),
        None => outcome,
    }
}
