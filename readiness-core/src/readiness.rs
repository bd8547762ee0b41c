//! The public handle: [`Readiness`], what every integration (HTTP, gRPC, tests) holds.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::catalog::Control;
use crate::check::CheckKind;
use crate::plan::Plan;
use crate::profile::{Profile, Standing, Verdict};
use crate::report::{Freshness, Report, Selection, ServiceInfo};

/// How long [`Readiness::settled_checklist`] waits for every check's first result: longer than
/// the runner's start-up jitter, short enough for a test to fail rather than hang.
const SETTLE_LIMIT: Duration = Duration::from_secs(15);
use crate::runner::{Engine, UnknownCheck};
use crate::spec::CheckSpec;

/// A service's readiness: its checks, controls and attestations, and the runner that evaluates
/// them. Made by [`Readiness::builder`]; cheap to clone, and every clone shares the same state.
///
/// ```
/// use readiness_core::{CheckSpec, Outcome, Readiness, Status};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let readiness = Readiness::builder()
///     .service("orders", "1.4.2")
///     .check_fn(CheckSpec::new("queue:depth").critical(), |_| async { Outcome::pass() })
///     .build()
///     .unwrap();
/// let report = readiness.readiness().await;
/// assert_eq!(report.status, Status::Pass);
/// # }
/// ```
#[derive(Clone)]
pub struct Readiness {
    engine: Arc<Engine>,
}

impl Readiness {
    /// Starts the runner for a validated plan; background checks start at once inside a Tokio
    /// runtime, otherwise on the first report.
    pub(crate) fn start(plan: Plan) -> Self {
        let readiness = Self { engine: Arc::new(Engine::new(plan)) };
        if tokio::runtime::Handle::try_current().is_ok() {
            readiness.start_background();
        }
        readiness
    }

    /// Evaluates the selected checks: runs on-demand checks whose cached result expired (one run
    /// shared by every concurrent caller), reads background checks' last results, and answers
    /// within the deadline.
    ///
    /// # Errors
    ///
    /// [`UnknownCheck`] when the selection names a single check that does not exist.
    pub async fn report(&self, selection: &Selection) -> Result<Report, UnknownCheck> {
        self.start_background();
        let mut report = self.engine.evaluate(selection, true).await?;
        // A readiness report says where the service stands against its profile, in a note:
        // the orchestrator ignores it, the person reading health+json sees the level.
        let about_readiness = matches!(report.kind, None | Some(CheckKind::Readiness)) && selection.only.is_none();
        if about_readiness && self.engine.profile().requires_anything() {
            let (controls, _) = self.engine.control_reports(report.generated_at);
            let verdict = Verdict::evaluate(self.engine.profile(), controls.iter().map(Standing::from));
            report.notes.push(verdict.summary());
        }
        Ok(report)
    }

    /// The readiness report: can the service take traffic?
    pub async fn readiness(&self) -> Report {
        self.report_infallible(&Selection::readiness()).await
    }

    /// The liveness report: is the process alive?
    pub async fn liveness(&self) -> Report {
        self.report_infallible(&Selection::liveness()).await
    }

    /// The startup report: has the service started?
    pub async fn startup(&self) -> Report {
        self.report_infallible(&Selection::startup()).await
    }

    /// Every check and every control with its attestation and the coverage counts.
    pub async fn checklist(&self) -> Report {
        let mut report = self.report_infallible(&Selection::all()).await;
        self.add_controls(&mut report);
        report
    }

    /// Like [`Readiness::checklist`], but first waits (at most 15 s) until every
    /// check has completed once, so a background check that has not had its first run yet
    /// counts with its result rather than as "not yet checked". For tests and one-shot tools.
    pub async fn settled_checklist(&self) -> Report {
        let started = std::time::Instant::now();
        loop {
            let report = self.checklist().await;
            let settled = report.checks.iter().all(|check| check.freshness != Freshness::NotYetChecked);
            if settled || started.elapsed() >= SETTLE_LIMIT {
                return report;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The service's profile applied to a [settled checklist](Readiness::settled_checklist):
    /// met or not, the level reached and every unmet required control. [`assert_ready!`]
    /// panics on it; [`Verdict::of`] applies another profile to a report.
    ///
    /// [`assert_ready!`]: crate::assert_ready
    pub async fn verdict(&self) -> Verdict {
        Verdict::of(self.profile(), &self.settled_checklist().await)
    }

    /// Like [`Readiness::checklist`], but from cached results only: never runs a check. For
    /// metrics scrapes.
    pub async fn snapshot(&self) -> Report {
        self.start_background();
        let mut report = match self.engine.evaluate(&Selection::all(), false).await {
            Ok(report) => report,
            Err(unknown) => unreachable!("selecting every check names none: {unknown}"),
        };
        self.add_controls(&mut report);
        report
    }

    async fn report_infallible(&self, selection: &Selection) -> Report {
        debug_assert!(selection.only.is_none());
        match self.report(selection).await {
            Ok(report) => report,
            Err(unknown) => unreachable!("a kind selection names no single check: {unknown}"),
        }
    }

    fn add_controls(&self, report: &mut Report) {
        let (controls, coverage) = self.engine.control_reports(report.generated_at);
        report.controls = controls;
        report.coverage = Some(coverage);
        report.verdict = Some(Verdict::of(self.engine.profile(), report));
        report.timing = Some(self.engine.timing());
    }

    /// A number that changes whenever a report could come out different: a check recorded a
    /// result, shutdown began, startup completed. Together with [`Readiness::is_cached`] it lets
    /// an endpoint reuse the body it rendered for an earlier report.
    pub fn version(&self) -> u64 {
        self.engine.version()
    }

    /// Whether a report of `selection` would be served entirely from cached results right now,
    /// running and waiting for nothing. Unknown single-check names count as cached.
    pub fn is_cached(&self, selection: &Selection) -> bool {
        self.engine.is_cached(selection)
    }

    /// The statuses as a stream of changes, for push consumers (gRPC health's `Watch`, say): the
    /// current state first, then each change; see [`crate::subscription`]. Never runs a check.
    pub fn subscribe(&self) -> crate::subscription::Subscription {
        self.engine.subscribe()
    }

    /// Makes readiness fail from now on while liveness stays as it is: the first step of a
    /// graceful shutdown.
    pub fn begin_shutdown(&self) {
        if self.engine.begin_shutdown() {
            tracing::info!(service = %self.engine.service().name, "readiness: shutting down, readiness now fails");
        }
    }

    /// Whether [`Readiness::begin_shutdown`] was called.
    pub fn is_shutting_down(&self) -> bool {
        self.engine.is_shutting_down()
    }

    /// The service's identity.
    pub fn service(&self) -> &ServiceInfo {
        self.engine.service()
    }

    /// The profile in force.
    pub fn profile(&self) -> &Profile {
        self.engine.profile()
    }

    /// Every control the reports list, in order.
    pub fn controls(&self) -> &[Control] {
        self.engine.controls()
    }

    /// The names of every check, in registration order.
    pub fn check_names(&self) -> impl Iterator<Item = &str> {
        self.engine.check_names()
    }

    /// The settings of a check by name.
    pub fn check_spec(&self, name: &str) -> Option<&CheckSpec> {
        self.engine.check_spec(name)
    }

    /// The report deadline.
    pub fn deadline(&self) -> Duration {
        self.engine.settings().deadline
    }

    /// Starts the background checks (those with an interval). Idempotent; called by
    /// [`ReadinessBuilder::build`](crate::ReadinessBuilder::build) inside a Tokio runtime and by
    /// every report otherwise. Background tasks stop when the last clone of this `Readiness` is
    /// dropped.
    pub fn start_background(&self) {
        self.engine.start_background();
    }
}

impl fmt::Debug for Readiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Readiness")
            .field("service", &self.service().name)
            .field("checks", &self.check_names().collect::<Vec<_>>())
            .field("shutting_down", &self.is_shutting_down())
            .finish_non_exhaustive()
    }
}
