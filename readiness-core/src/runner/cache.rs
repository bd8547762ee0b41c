//! Each check's last result: reuse within its TTL, single-flight (concurrent reports join the
//! one run in flight), flap damping, and status-change notification.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;
use std::time::Duration;

use futures_util::FutureExt;
use time::OffsetDateTime;
use tokio::time::Instant;

use super::Engine;
use crate::attestation::format_duration;
use crate::check::{BoxFuture, Check, CheckKind};
use crate::outcome::{Outcome, Status};
use crate::report::{CheckResult, Freshness, Selection, StatusChange};
use crate::spec::CheckSpec;

pub(super) struct Completed {
    pub(super) outcome: Outcome,
    pub(super) time: OffsetDateTime,
    pub(super) duration: Duration,
}

#[derive(Default)]
pub(super) struct Slot {
    pub(super) last: Option<Completed>,
    pub(super) reported: Option<Status>,
    consecutive_failures: u32,
    consecutive_successes: u32,
    pub(super) ever_passed: bool,
    /// The number of the run in flight, if one is: reports arriving meanwhile wait for it to
    /// record (single-flight) instead of starting their own.
    pub(super) inflight: Option<u64>,
    /// How many runs were started: numbers them.
    runs: u64,
}

/// One check of the plan, with its resolved settings and its slot.
pub(super) struct Entry {
    pub(super) spec: CheckSpec,
    pub(super) name: Arc<str>,
    pub(super) check: Arc<dyn Check>,
    pub(super) timeout: Duration,
    pub(super) ttl: Duration,
    pub(super) slot: Mutex<Slot>,
    /// Woken whenever a run of this check records or is abandoned.
    pub(super) recorded: tokio::sync::Notify,
    /// Until when (nanoseconds after [`Engine::epoch`]) the last result is fresh, with no run in
    /// flight; 0 when not. Written under the slot's lock, read without it: asking whether a
    /// report would be served from the cache, on every probe, costs one clock read and a load
    /// per check instead of a lock and a clock read per check.
    pub(super) fresh_until: AtomicU64,
    /// Whether the last run finished at its first poll: see [`Engine::drive`].
    pub(super) finishes_at_once: AtomicBool,
}

impl Entry {
    pub(super) fn slot(&self) -> MutexGuard<'_, Slot> {
        // A poisoned slot only means a listener panicked while we held it; the data is intact.
        self.slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn is_background(&self) -> bool {
        self.spec.interval.is_some()
    }

    /// Whether a kind selection (not a single-check one) includes this check.
    pub(super) fn is_selected_by(&self, selection: &Selection) -> bool {
        let excluded = selection.exclude.iter().any(|excluded| **excluded == *self.name);
        let kind_matches = match selection.kind {
            None => true,
            Some(CheckKind::Startup) => self.spec.kinds().contains(CheckKind::Startup) || self.spec.critical,
            Some(kind) => self.spec.kinds().contains(kind),
        };
        !excluded && kind_matches
    }

    /// Whether a report at `now` (nanoseconds after the epoch) would use the last result as it
    /// is, waiting for nothing.
    fn is_cached(&self, now: u64) -> bool {
        self.is_background() || now < self.fresh_until.load(Ordering::Acquire)
    }
}

/// A run of a check not yet started: see [`Engine::start_run`].
pub(super) type Run = BoxFuture<'static, ()>;

/// Polls `run` once: whether it finished.
async fn poll_once(run: &mut Run) -> bool {
    std::future::poll_fn(|cx| Poll::Ready(run.as_mut().poll(cx).is_ready())).await
}

/// Clears the slot's run in flight when dropped while armed: see [`Engine::start_run`].
struct ClearInflight {
    entry: Arc<Entry>,
    armed: bool,
}

impl Drop for ClearInflight {
    fn drop(&mut self) {
        if self.armed {
            self.entry.slot().inflight = None;
            self.entry.recorded.notify_waiters();
        }
    }
}

impl Engine {
    /// Records in the slot a new run of `entry` as the one in flight, and returns the run for
    /// the caller to drive, with its number for [`Engine::wait_recorded`].
    ///
    /// The run is not spawned here: [`Engine::drive`] decides where it runs. A check answered from memory (most
    /// built-ins that read configuration) then costs no task, no cross-thread wake-up and no
    /// timer, which is what lets 10,000 of them answer in a few milliseconds; a check that waits
    /// on I/O gets its own task, so that a report giving up at its deadline, or dropped by a
    /// client hanging up, does not cancel it: the result still lands in the cache.
    pub(super) fn start_run(self: &Arc<Self>, entry: &Arc<Entry>, slot: &mut Slot) -> (Run, u64) {
        slot.runs += 1;
        let id = slot.runs;
        slot.inflight = Some(id);
        entry.fresh_until.store(0, Ordering::Release);
        let engine = Arc::clone(self);
        let running = Arc::clone(entry);
        // Made outside the run's body, so that dropping a run never polled clears the slot too.
        // Whatever ends the run (a panic around the check body, in a tracing layer, in the
        // masking; the runtime shutting down), the slot must not keep a run in flight that will
        // never record: every later report would join it and the check would never run again.
        let clear = ClearInflight { entry: Arc::clone(entry), armed: true };
        let run = async move {
            // The whole guard moves in (a closure would capture only the field it assigns).
            let mut clear = clear;
            let ran = AssertUnwindSafe(engine.run_once(&running.name, running.check.as_ref(), running.timeout))
                .catch_unwind()
                .await;
            let (outcome, duration, finished) = ran.unwrap_or_else(|panic| {
                let message = super::panic_message(panic.as_ref());
                // How long it ran is unknown: the panic took the start with it (reading the
                // clock up front for this rare case would cost every run).
                let outcome = Outcome::fail(format!("the runner panicked around this check: {message}"));
                (outcome, Duration::ZERO, Instant::now())
            });
            engine.record(&running, outcome, duration, finished);
            // Recorded: the slot is clear, and may already hold the next run, which is not ours
            // to clear.
            clear.armed = false;
        };
        (Box::pin(run), id)
    }

    /// Drives `run`, started by the caller: `true` when it finished (and recorded) here.
    ///
    /// A check whose last run finished at its first poll (one answered from memory) is polled
    /// once in the caller's task; if it finishes, that cost no task and no wake-up. Any other
    /// run, and a run that turns out to wait after all, is spawned, so that checks waiting on
    /// I/O (or doing work before their first `.await`) run in parallel, as before, and a report
    /// giving up at its deadline or dropped by a client hanging up does not cancel them. The
    /// first run of every check is spawned: nothing is known of it yet.
    pub(super) async fn drive(entry: &Arc<Entry>, run: Run) -> bool {
        let mut run = run;
        if entry.finishes_at_once.load(Ordering::Relaxed) {
            if poll_once(&mut run).await {
                return true;
            }
            entry.finishes_at_once.store(false, Ordering::Relaxed);
        }
        let entry = Arc::clone(entry);
        drop(tokio::spawn(async move {
            let done = poll_once(&mut run).await;
            if !done {
                run.await;
            }
            entry.finishes_at_once.store(done, Ordering::Relaxed);
        }));
        false
    }

    /// Waits until the run `id` of `entry` has recorded (or was abandoned).
    pub(super) async fn wait_recorded(entry: &Entry, id: u64) {
        loop {
            let recorded = entry.recorded.notified();
            let mut recorded = std::pin::pin!(recorded);
            // Registered before looking, so a record between the look and the wait still wakes.
            recorded.as_mut().enable();
            if entry.slot().inflight != Some(id) {
                return;
            }
            recorded.await;
        }
    }

    /// Records a run's outcome, applies flap damping, and tells the listeners of a change.
    pub(super) fn record(&self, entry: &Entry, outcome: Outcome, duration: Duration, finished: Instant) {
        let change = {
            let mut slot = entry.slot();
            slot.inflight = None;
            self.bump_version();
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
            slot.last = Some(Completed { outcome, time: OffsetDateTime::now_utc(), duration });
            // At least 1: 0 means "not fresh".
            let until = finished.checked_add(entry.ttl).map_or(u64::MAX, |until| self.nanos_since_epoch(until));
            entry.fresh_until.store(until.max(1), Ordering::Release);
            (previous != Some(current)).then(|| StatusChange {
                check: entry.name.to_string(),
                previous,
                current,
                output,
            })
        };
        entry.recorded.notify_waiters();
        if change.is_some() {
            self.publish_statuses();
        }
        if let Some(change) = change {
            tracing::info!(check = %change.check, previous = ?change.previous, current = %change.current, "readiness check status changed");
            for listener in &self.listeners {
                if std::panic::catch_unwind(AssertUnwindSafe(|| listener(&change))).is_err() {
                    tracing::error!(check = %change.check, "a readiness status-change listener panicked");
                }
            }
        }
    }

    /// What a report must wait for before taking `entry`'s result: nothing (`None`: cached, a
    /// background check, or `run == false`), the run already in flight, or a run it starts now
    /// and drives (see [`Engine::drive`]).
    pub(super) fn claim(self: &Arc<Self>, entry: &Arc<Entry>, run: bool) -> Option<(u64, Option<Run>)> {
        let mut slot = entry.slot();
        if !run || entry.is_cached(self.nanos_since_epoch(Instant::now())) {
            None
        } else if let Some(id) = slot.inflight {
            Some((id, None))
        } else {
            let (run, id) = self.start_run(entry, &mut slot);
            Some((id, Some(run)))
        }
    }

    pub(super) fn snapshot(&self, entry: &Entry, freshness: Freshness) -> CheckResult {
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
            // Not `to_string()`, which goes through `Display` and its padding logic: this runs
            // once per check per report.
            name: String::from(&*entry.name),
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

    /// See [`crate::Readiness::is_cached`].
    pub(crate) fn is_cached(&self, selection: &Selection) -> bool {
        if selection.kind == Some(CheckKind::Startup) && self.startup_complete.load(Ordering::Acquire) {
            return true;
        }
        let now = self.nanos_since_epoch(Instant::now());
        match &selection.only {
            Some(name) => self.by_name.get(name.as_str()).is_none_or(|index| self.entries[*index].is_cached(now)),
            None => match selection.kind.and_then(|kind| CheckKind::ALL.iter().position(|each| *each == kind)) {
                Some(slot) if selection.exclude.is_empty() => {
                    self.on_demand_by_kind[slot].iter().all(|entry| entry.is_cached(now))
                }
                _ => self
                    .entries
                    .iter()
                    .filter(|entry| entry.is_selected_by(selection))
                    .all(|entry| entry.is_cached(now)),
            },
        }
    }

    /// `instant` as nanoseconds after the engine's epoch (saturating: a TTL of years is fresh
    /// for ever).
    fn nanos_since_epoch(&self, instant: Instant) -> u64 {
        u64::try_from(instant.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }
}
