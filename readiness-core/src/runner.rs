//! The runner: runs checks concurrently with timeouts, a deadline, panic isolation, caching,
//! single-flight, background schedules and flap damping, and turns results into reports.

use std::collections::HashMap;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::{Shared, join_all};
use time::OffsetDateTime;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tracing::Instrument;

use crate::attestation::{AttestationState, Declaration, OperatorAttestation, Waiver, format_duration};
use crate::catalog::Control;
use crate::check::{BoxFuture, Check, CheckContext, CheckKind, CheckRegistration, CheckSpec, Outcome, Status};
use crate::masking;
use crate::profile::Profile;
use crate::registry::ReadinessBuilder;
use crate::report::{CheckResult, ControlReport, Coverage, Freshness, Report, Selection, ServiceInfo};
use crate::state::StateMap;

/// Timing and size settings of the runner.
#[derive(Debug, Clone)]
pub(crate) struct RunnerSettings {
    pub(crate) max_concurrency: usize,
    pub(crate) default_timeout: Duration,
    pub(crate) deadline: Duration,
    pub(crate) default_ttl: Duration,
    pub(crate) max_output_bytes: usize,
    pub(crate) max_jitter: Duration,
}

impl Default for RunnerSettings {
    fn default() -> Self {
        Self {
            max_concurrency: 64,
            default_timeout: Duration::from_millis(800),
            deadline: Duration::from_millis(900),
            default_ttl: Duration::from_secs(1),
            max_output_bytes: 1024,
            max_jitter: Duration::from_millis(250),
        }
    }
}

/// A check's reported status changed (after flap damping).
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    /// The check's name.
    pub check: String,
    /// The status before, `None` on the first result.
    pub previous: Option<Status>,
    /// The status now.
    pub current: Status,
    /// The output of the run that caused the change (masked).
    pub output: Option<String>,
}

/// The named check does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no check is named `{0}`")]
pub struct UnknownCheck(pub String);

pub(crate) type Listener = Arc<dyn Fn(&StatusChange) + Send + Sync>;
type Inflight = Shared<BoxFuture<'static, ()>>;

struct Completed {
    outcome: Outcome,
    at: Instant,
    time: OffsetDateTime,
    duration: Duration,
}

#[derive(Default)]
struct Slot {
    last: Option<Completed>,
    reported: Option<Status>,
    consecutive_failures: u32,
    consecutive_successes: u32,
    ever_passed: bool,
    inflight: Option<Inflight>,
}

struct Entry {
    spec: CheckSpec,
    name: Arc<str>,
    check: Arc<dyn Check>,
    timeout: Duration,
    ttl: Duration,
    slot: Mutex<Slot>,
}

impl Entry {
    fn slot(&self) -> MutexGuard<'_, Slot> {
        // A poisoned slot only means a listener panicked while we held it; the data is intact.
        self.slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn is_background(&self) -> bool {
        self.spec.interval.is_some()
    }
}

pub(crate) struct Inner {
    service: ServiceInfo,
    state: Arc<StateMap>,
    entries: Vec<Arc<Entry>>,
    by_name: HashMap<Arc<str>, usize>,
    controls: Vec<Control>,
    checks_by_control: HashMap<String, Vec<usize>>,
    declarations: HashMap<String, Vec<Declaration>>,
    attestations: HashMap<String, OperatorAttestation>,
    waivers: HashMap<String, Waiver>,
    profile: Profile,
    settings: RunnerSettings,
    listeners: Vec<Listener>,
    permits: Semaphore,
    shutting_down: AtomicBool,
    background_started: AtomicBool,
    startup_complete: AtomicBool,
    /// Bumped whenever anything a report shows may have changed: a check result, shutdown,
    /// startup completing. Lets callers reuse what they rendered from an earlier report.
    version: AtomicU64,
}

impl Inner {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        service: ServiceInfo,
        state: Arc<StateMap>,
        checks: Vec<CheckRegistration>,
        controls: Vec<Control>,
        declarations: Vec<Declaration>,
        attestations: Vec<OperatorAttestation>,
        waivers: Vec<Waiver>,
        profile: Profile,
        settings: RunnerSettings,
        listeners: Vec<Listener>,
    ) -> Self {
        let entries: Vec<Arc<Entry>> = checks
            .into_iter()
            .map(|CheckRegistration { spec, check }| {
                Arc::new(Entry {
                    name: Arc::from(spec.name.as_str()),
                    timeout: spec.timeout.unwrap_or(settings.default_timeout),
                    ttl: spec.ttl.unwrap_or(settings.default_ttl),
                    spec,
                    check,
                    slot: Mutex::default(),
                })
            })
            .collect();
        let by_name = entries.iter().enumerate().map(|(index, entry)| (Arc::clone(&entry.name), index)).collect();
        let mut checks_by_control: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            for control in &entry.spec.controls {
                checks_by_control.entry(control.clone()).or_default().push(index);
            }
        }
        let mut by_control: HashMap<String, Vec<Declaration>> = HashMap::new();
        for declaration in declarations {
            by_control.entry(declaration.control.clone()).or_default().push(declaration);
        }
        Self {
            service,
            state,
            entries,
            by_name,
            controls,
            checks_by_control,
            declarations: by_control,
            attestations: attestations.into_iter().map(|a| (a.control.clone(), a)).collect(),
            waivers: waivers.into_iter().map(|w| (w.control.clone(), w)).collect(),
            profile,
            permits: Semaphore::new(settings.max_concurrency),
            settings,
            listeners,
            shutting_down: AtomicBool::new(false),
            background_started: AtomicBool::new(false),
            startup_complete: AtomicBool::new(false),
            version: AtomicU64::new(0),
        }
    }

    /// Starts a run of `entry` and records it in the slot as the one in flight.
    fn start_run(self: &Arc<Self>, entry: &Arc<Entry>, slot: &mut Slot) -> Inflight {
        let inner = Arc::clone(self);
        let running = Arc::clone(entry);
        // Spawned, so that a report giving up at its deadline does not cancel the run: the
        // result still lands in the cache for the next report.
        let handle = tokio::spawn(async move { inner.execute(&running).await });
        let done: BoxFuture<'static, ()> = Box::pin(handle.map(drop));
        let shared = done.shared();
        slot.inflight = Some(shared.clone());
        shared
    }

    async fn execute(&self, entry: &Entry) {
        let span = tracing::info_span!(
            "readiness.check",
            check = %entry.name,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let outcome = async {
            // The semaphore is never closed, so acquiring only waits.
            let _permit = self.permits.acquire().await;
            let started = Instant::now();
            let context = CheckContext::new(Arc::clone(&entry.name), Arc::clone(&self.state));
            // The check may panic while making its future or while it runs: catch both.
            let run = AssertUnwindSafe(async { entry.check.run(context).await }).catch_unwind();
            let outcome = match tokio::time::timeout(entry.timeout, run).await {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(panic)) => Outcome::fail(format!("panicked: {}", panic_message(panic.as_ref()))),
                Err(_) => Outcome::fail(format!("timed out after {}", format_duration(entry.timeout))),
            };
            (outcome, started.elapsed())
        }
        .instrument(span.clone())
        .await;
        let (outcome, duration) = outcome;
        let outcome = self.sanitize(outcome);
        span.record("status", outcome.status.as_str());
        span.record("duration_ms", duration.as_secs_f64() * 1000.0);
        self.record(entry, outcome, duration);
    }

    /// Masks registered secrets and bounds the size of everything a check wrote.
    fn sanitize(&self, mut outcome: Outcome) -> Outcome {
        let limit = self.settings.max_output_bytes;
        let clean = |text: &str| masking::bound(&masking::mask(text), limit).into_owned();
        outcome.output = outcome.output.as_deref().map(clean);
        outcome.observed_unit = outcome.observed_unit.as_deref().map(clean);
        if let Some(serde_json::Value::String(text)) = &outcome.observed_value {
            outcome.observed_value = Some(serde_json::Value::String(clean(text)));
        }
        outcome.evidence = outcome.evidence.iter().map(|(key, value)| (clean(key), clean(value))).collect();
        outcome
    }

    fn record(&self, entry: &Entry, outcome: Outcome, duration: Duration) {
        let change = {
            let mut slot = entry.slot();
            slot.inflight = None;
            self.version.fetch_add(1, Ordering::AcqRel);
            let raw = outcome.status;
            if raw == Status::Fail {
                slot.consecutive_failures += 1;
                slot.consecutive_successes = 0;
            } else {
                slot.consecutive_successes += 1;
                slot.consecutive_failures = 0;
            }
            let previous = slot.reported;
            let current =
                match previous {
                    // The first result is taken as it is: there is no known-good state to hold on to.
                    None => raw,
                    Some(Status::Fail) if raw != Status::Fail => {
                        if slot.consecutive_successes >= entry.spec.pass_after { raw } else { Status::Fail }
                    }
                    Some(held) if raw == Status::Fail => {
                        if slot.consecutive_failures >= entry.spec.fail_after {
                            Status::Fail
                        } else {
                            held
                        }
                    }
                    Some(_) => raw,
                };
            slot.reported = Some(current);
            slot.ever_passed |= current != Status::Fail;
            let output = outcome.output.clone();
            slot.last = Some(Completed { outcome, at: Instant::now(), time: OffsetDateTime::now_utc(), duration });
            (previous != Some(current)).then(|| StatusChange {
                check: entry.name.to_string(),
                previous,
                current,
                output,
            })
        };
        if let Some(change) = change {
            tracing::info!(check = %change.check, previous = ?change.previous, current = %change.current, "readiness check status changed");
            for listener in &self.listeners {
                if std::panic::catch_unwind(AssertUnwindSafe(|| listener(&change))).is_err() {
                    tracing::error!(check = %change.check, "a readiness status-change listener panicked");
                }
            }
        }
    }

    /// The check's result for a report: cached, joined to a run in flight, or run now.
    async fn result_for(self: &Arc<Self>, entry: &Arc<Entry>, deadline: Instant, run: bool) -> CheckResult {
        let waiting = {
            let mut slot = entry.slot();
            let fresh = slot.last.as_ref().is_some_and(|last| last.at.elapsed() < entry.ttl);
            if !run || entry.is_background() || fresh {
                None
            } else if let Some(inflight) = &slot.inflight {
                Some(inflight.clone())
            } else {
                Some(self.start_run(entry, &mut slot))
            }
        };
        let freshness = match waiting {
            None => Freshness::Cached,
            Some(inflight) => match tokio::time::timeout_at(deadline, inflight).await {
                Ok(()) => Freshness::Fresh,
                Err(_) => Freshness::DeadlineExceeded,
            },
        };
        self.snapshot(entry, freshness)
    }

    fn snapshot(&self, entry: &Entry, freshness: Freshness) -> CheckResult {
        let slot = entry.slot();
        let (status, outcome, time, duration, freshness) = match (&slot.last, slot.reported, freshness) {
            (_, _, Freshness::DeadlineExceeded) => {
                let output = format!("timed out after {} (report deadline)", format_duration(self.settings.deadline));
                (Status::Fail, Outcome::fail(output), None, self.settings.deadline, Freshness::DeadlineExceeded)
            }
            (Some(last), Some(reported), freshness) => {
                (reported, last.outcome.clone(), Some(last.time), last.duration, freshness)
            }
            _ => (Status::Fail, Outcome::fail("not yet checked"), None, Duration::ZERO, Freshness::NotYetChecked),
        };
        CheckResult {
            name: entry.name.to_string(),
            component: entry.spec.component().to_owned(),
            component_type: entry.spec.component_type.clone().unwrap_or_else(|| "component".to_owned()),
            kinds: entry.spec.kinds(),
            critical: entry.spec.critical,
            controls: entry.spec.controls.clone(),
            status,
            outcome,
            time,
            duration,
            freshness,
        }
    }

    async fn evaluate(self: &Arc<Self>, selection: &Selection, run: bool) -> Result<Report, UnknownCheck> {
        let deadline = Instant::now() + self.settings.deadline;
        let mut notes = Vec::new();
        let selected: Vec<&Arc<Entry>> = match &selection.only {
            Some(name) => {
                let index = self.by_name.get(name.as_str()).ok_or_else(|| UnknownCheck(name.clone()))?;
                vec![&self.entries[*index]]
            }
            None => {
                for excluded in &selection.exclude {
                    if !self.by_name.contains_key(excluded.as_str()) {
                        notes.push(format!("excluded check `{excluded}` does not exist"));
                    }
                }
                self.entries.iter().filter(|entry| selects(selection, entry)).collect()
            }
        };
        let startup_done = selection.kind == Some(CheckKind::Startup) && self.startup_complete.load(Ordering::Acquire);
        let run = run && !startup_done;
        let checks = join_all(selected.iter().map(|entry| self.result_for(entry, deadline, run))).await;

        let shutting_down = self.shutting_down.load(Ordering::Acquire);
        let status = if selection.only.is_some() {
            checks.first().map_or(Status::Fail, |check| check.status)
        } else if selection.kind == Some(CheckKind::Startup) {
            let all_passed_once = startup_done || selected.iter().all(|entry| entry.slot().ever_passed);
            if all_passed_once && run && !self.startup_complete.swap(true, Ordering::AcqRel) {
                self.version.fetch_add(1, Ordering::AcqRel);
            }
            if all_passed_once { Status::Pass } else { Status::Fail }
        } else {
            checks
                .iter()
                .map(|check| match check.status {
                    Status::Fail if !check.critical => Status::Warn,
                    status => status,
                })
                .max()
                .unwrap_or(Status::Pass)
        };
        let fails_on_shutdown = matches!(selection.kind, None | Some(CheckKind::Readiness)) && selection.only.is_none();
        let status = if shutting_down && fails_on_shutdown {
            notes.push("the service is shutting down".to_owned());
            Status::Fail
        } else {
            status
        };
        Ok(Report {
            service: self.service.clone(),
            status,
            kind: selection.kind,
            generated_at: OffsetDateTime::now_utc(),
            checks,
            controls: Vec::new(),
            coverage: None,
            profile: self.profile.name().to_owned(),
            shutting_down,
            notes,
        })
    }

    fn control_reports(&self, now: OffsetDateTime) -> (Vec<ControlReport>, Coverage) {
        let mut coverage = Coverage::default();
        let reports = self
            .controls
            .iter()
            .map(|control| {
                let report = self.control_report(control, now);
                coverage.count(report.attestation, report.required);
                report
            })
            .collect();
        (reports, coverage)
    }

    fn control_report(&self, control: &Control, now: OffsetDateTime) -> ControlReport {
        let bound: Vec<&Arc<Entry>> = self
            .checks_by_control
            .get(control.id.as_ref())
            .map(|indexes| indexes.iter().map(|index| &self.entries[*index]).collect())
            .unwrap_or_default();
        let mut failing = None;
        let mut passing = None;
        let mut last_checked = None;
        for entry in &bound {
            let slot = entry.slot();
            let Some(last) = &slot.last else { continue };
            last_checked = last_checked.max(Some(last.time));
            let line = match &last.outcome.output {
                Some(output) => format!("check `{}`: {output}", entry.name),
                None => format!("check `{}` passes", entry.name),
            };
            match slot.reported {
                Some(Status::Fail) => failing = failing.or(Some(line)),
                Some(_) => passing = passing.or(Some(line)),
                None => {}
            }
        }
        let declarations = self.declarations.get(control.id.as_ref()).cloned().unwrap_or_default();
        let operator = self.attestations.get(control.id.as_ref()).cloned();
        let waiver = self.waivers.get(control.id.as_ref()).cloned();
        let (attestation, evidence) = if let Some(line) = failing {
            (AttestationState::Failing, Some(line))
        } else if let Some(line) = passing {
            (AttestationState::Verified, Some(line))
        } else if let Some(first) = declarations.first() {
            (AttestationState::Declared, Some(first.evidence.clone()))
        } else if let Some(record) = operator.as_ref().filter(|record| record.is_valid_at(now)) {
            (
                AttestationState::Attested,
                Some(format!("attested by {} on {}: {}", record.by, record.on, record.evidence)),
            )
        } else if let Some(waiver) = waiver.as_ref().filter(|waiver| waiver.is_valid_at(now)) {
            (AttestationState::Waived, Some(format!("waived until {}: {}", waiver.until, waiver.reason)))
        } else if let Some(record) = &operator {
            let expired = record.expires_at().date();
            (AttestationState::Expired, Some(format!("attestation by {} expired on {expired}", record.by)))
        } else if let Some(waiver) = &waiver {
            (AttestationState::Expired, Some(format!("waiver expired after {}: {}", waiver.until, waiver.reason)))
        } else {
            (AttestationState::Missing, None)
        };
        ControlReport {
            required: self.profile.requires(control),
            checks: bound.iter().map(|entry| entry.name.to_string()).collect(),
            source: declarations.first().and_then(|declaration| declaration.source.clone()),
            control: control.clone(),
            attestation,
            declarations,
            operator,
            waiver,
            evidence,
            last_checked,
        }
    }
}

/// A service's readiness: its checks, controls and attestations, and the runner that evaluates
/// them. Cheap to clone; every clone shares the same state.
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
    inner: Arc<Inner>,
}

impl Readiness {
    /// A builder for a new `Readiness`.
    pub fn builder() -> ReadinessBuilder {
        ReadinessBuilder::new()
    }

    pub(crate) fn from_inner(inner: Arc<Inner>) -> Self {
        Self { inner }
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
        self.inner.evaluate(selection, true).await
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

    /// Like [`Readiness::checklist`], but from cached results only: never runs a check. For
    /// metrics scrapes.
    pub async fn snapshot(&self) -> Report {
        self.start_background();
        let mut report = match self.inner.evaluate(&Selection::all(), false).await {
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
        let (controls, coverage) = self.inner.control_reports(report.generated_at);
        report.controls = controls;
        report.coverage = Some(coverage);
    }

    /// A number that changes whenever a report could come out different: a check recorded a
    /// result, shutdown began, startup completed. Together with [`Readiness::is_cached`] it lets
    /// an endpoint reuse the body it rendered for an earlier report.
    pub fn version(&self) -> u64 {
        self.inner.version.load(Ordering::Acquire)
    }

    /// Whether a report of `selection` would be served entirely from cached results right now,
    /// running and waiting for nothing. Unknown single-check names count as cached.
    pub fn is_cached(&self, selection: &Selection) -> bool {
        let inner = &self.inner;
        if selection.kind == Some(CheckKind::Startup) && inner.startup_complete.load(Ordering::Acquire) {
            return true;
        }
        let cached = |entry: &Arc<Entry>| {
            entry.is_background() || {
                let slot = entry.slot();
                slot.inflight.is_none() && slot.last.as_ref().is_some_and(|last| last.at.elapsed() < entry.ttl)
            }
        };
        match &selection.only {
            Some(name) => inner.by_name.get(name.as_str()).is_none_or(|index| cached(&inner.entries[*index])),
            None => inner.entries.iter().filter(|entry| selects(selection, entry)).all(cached),
        }
    }

    /// Makes readiness fail from now on while liveness stays as it is: the first step of a
    /// graceful shutdown.
    pub fn begin_shutdown(&self) {
        if !self.inner.shutting_down.swap(true, Ordering::AcqRel) {
            self.inner.version.fetch_add(1, Ordering::AcqRel);
            tracing::info!(service = %self.inner.service.name, "readiness: shutting down, readiness now fails");
        }
    }

    /// Whether [`Readiness::begin_shutdown`] was called.
    pub fn is_shutting_down(&self) -> bool {
        self.inner.shutting_down.load(Ordering::Acquire)
    }

    /// The service's identity.
    pub fn service(&self) -> &ServiceInfo {
        &self.inner.service
    }

    /// The profile in force.
    pub fn profile(&self) -> &Profile {
        &self.inner.profile
    }

    /// Every control the reports list, in order.
    pub fn controls(&self) -> &[Control] {
        &self.inner.controls
    }

    /// The names of every check, in registration order.
    pub fn check_names(&self) -> impl Iterator<Item = &str> {
        self.inner.entries.iter().map(|entry| &*entry.name)
    }

    /// The settings of a check by name.
    pub fn check_spec(&self, name: &str) -> Option<&CheckSpec> {
        self.inner.by_name.get(name).map(|index| &self.inner.entries[*index].spec)
    }

    /// The report deadline.
    pub fn deadline(&self) -> Duration {
        self.inner.settings.deadline
    }

    /// Starts the background checks (those with an interval). Idempotent; called by
    /// [`ReadinessBuilder::build`] inside a Tokio runtime and by every report otherwise.
    /// Background tasks stop when the last clone of this `Readiness` is dropped.
    pub fn start_background(&self) {
        if self.inner.background_started.load(Ordering::Acquire)
            || self.inner.background_started.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let max_jitter = self.inner.settings.max_jitter;
        for entry in self.inner.entries.iter().filter(|entry| entry.is_background()) {
            let interval = entry.spec.interval.unwrap_or(Duration::from_secs(10));
            let jitter_cap = max_jitter.min(interval / 2);
            let first_delay = entry.spec.initial_delay.unwrap_or(Duration::ZERO) + jitter(jitter_cap);
            let weak = Arc::downgrade(&self.inner);
            let entry = Arc::clone(entry);
            tokio::spawn(async move {
                tokio::time::sleep(first_delay).await;
                loop {
                    let running = {
                        let Some(inner) = weak.upgrade() else { break };
                        let mut slot = entry.slot();
                        match &slot.inflight {
                            Some(inflight) => inflight.clone(),
                            None => inner.start_run(&entry, &mut slot),
                        }
                    };
                    running.await;
                    tokio::time::sleep(interval + jitter(jitter_cap)).await;
                }
            });
        }
    }
}

impl fmt::Debug for Readiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Readiness")
            .field("service", &self.inner.service.name)
            .field("checks", &self.check_names().collect::<Vec<_>>())
            .field("shutting_down", &self.is_shutting_down())
            .finish_non_exhaustive()
    }
}

/// Whether a kind selection (not a single-check one) includes `entry`.
fn selects(selection: &Selection, entry: &Entry) -> bool {
    let excluded = selection.exclude.iter().any(|excluded| **excluded == *entry.name);
    let kind_matches = match selection.kind {
        None => true,
        Some(CheckKind::Startup) => entry.spec.kinds().contains(CheckKind::Startup) || entry.spec.critical,
        Some(kind) => entry.spec.kinds().contains(kind),
    };
    !excluded && kind_matches
}

fn jitter(cap: Duration) -> Duration {
    if cap.is_zero() {
        return Duration::ZERO;
    }
    let cap_micros = u64::try_from(cap.as_micros()).unwrap_or(u64::MAX);
    Duration::from_micros(fastrand::u64(0..=cap_micros))
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "a non-string payload".to_owned()
    }
}
