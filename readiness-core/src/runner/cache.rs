//! Each check's last result: reuse within its TTL, single-flight (concurrent reports join the
//! one run in flight), flap damping, and status-change notification.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::Shared;
use time::OffsetDateTime;
use tokio::time::Instant;

use super::Engine;
use crate::attestation::format_duration;
use crate::check::{BoxFuture, Check, CheckKind};
use crate::outcome::{Outcome, Status};
use crate::report::{CheckResult, Freshness, Selection, StatusChange};
use crate::spec::CheckSpec;

/// A run in flight, which every waiting report shares.
pub(super) type Inflight = Shared<BoxFuture<'static, ()>>;

pub(super) struct Completed {
    pub(super) outcome: Outcome,
    pub(super) at: Instant,
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
    pub(super) inflight: Option<Inflight>,
}

/// One check of the plan, with its resolved settings and its slot.
pub(super) struct Entry {
    pub(super) spec: CheckSpec,
    pub(super) name: Arc<str>,
    pub(super) check: Arc<dyn Check>,
    pub(super) timeout: Duration,
    pub(super) ttl: Duration,
    pub(super) slot: Mutex<Slot>,
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

    /// Whether a report would use the last result as it is, waiting for nothing.
    fn is_cached(&self) -> bool {
        self.is_background() || {
            let slot = self.slot();
            slot.inflight.is_none() && slot.last.as_ref().is_some_and(|last| last.at.elapsed() < self.ttl)
        }
    }
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
        }
    }
}

impl Engine {
    /// Starts a run of `entry` and records it in the slot as the one in flight.
    pub(super) fn start_run(self: &Arc<Self>, entry: &Arc<Entry>, slot: &mut Slot) -> Inflight {
        let engine = Arc::clone(self);
        let running = Arc::clone(entry);
        // Spawned, so that a report giving up at its deadline does not cancel the run: the
        // result still lands in the cache for the next report.
        let handle = tokio::spawn(async move {
            // Whatever ends this task (a panic around the check body, in a tracing layer, in the
            // masking; the runtime shutting down), the slot must not keep a run in flight that
            // will never record: every later report would join it and the check would never
            // run again.
            let mut clear = ClearInflight { entry: Arc::clone(&running), armed: true };
            let started = Instant::now();
            let ran = AssertUnwindSafe(engine.run_once(&running.name, running.check.as_ref(), running.timeout))
                .catch_unwind()
                .await;
            let (outcome, duration) = ran.unwrap_or_else(|panic| {
                let message = super::panic_message(panic.as_ref());
                (Outcome::fail(format!("the runner panicked around this check: {message}")), started.elapsed())
            });
            engine.record(&running, outcome, duration);
            // Recorded: the slot is clear, and may already hold the next run, which is not ours
            // to clear.
            clear.armed = false;
        });
        let done: BoxFuture<'static, ()> = Box::pin(handle.map(drop));
        let shared = done.shared();
        slot.inflight = Some(shared.clone());
        shared
    }

    /// Records a run's outcome, applies flap damping, and tells the listeners of a change.
    pub(super) fn record(&self, entry: &Entry, outcome: Outcome, duration: Duration) {
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
            slot.last = Some(Completed { outcome, at: Instant::now(), time: OffsetDateTime::now_utc(), duration });
            (previous != Some(current)).then(|| StatusChange {
                check: entry.name.to_string(),
                previous,
                current,
                output,
            })
        };
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

    /// The check's result for a report: cached, joined to a run in flight, or run now; a run
    /// still going at `deadline` counts as failed for this report and goes on in the background.
    pub(super) async fn result_for(self: &Arc<Self>, entry: &Arc<Entry>, deadline: Instant, run: bool) -> CheckResult {
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

    /// See [`crate::Readiness::is_cached`].
    pub(crate) fn is_cached(&self, selection: &Selection) -> bool {
        if selection.kind == Some(CheckKind::Startup) && self.startup_complete.load(Ordering::Acquire) {
            return true;
        }
        match &selection.only {
            Some(name) => self.by_name.get(name.as_str()).is_none_or(|index| self.entries[*index].is_cached()),
            None => self.entries.iter().filter(|entry| entry.is_selected_by(selection)).all(|entry| entry.is_cached()),
        }
    }
}
