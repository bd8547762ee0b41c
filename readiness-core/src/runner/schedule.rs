//! Background checks: those with an `interval` run on their own schedule, after an initial
//! delay, with jitter so that many instances do not probe a dependency in lockstep. Reports
//! only read their last result.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::Engine;

impl Engine {
    /// Starts the background checks once; the tasks stop when the engine is dropped.
    pub(crate) fn start_background(self: &Arc<Self>) {
        if self.background_started.load(Ordering::Acquire) || self.background_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let max_jitter = self.settings.max_jitter;
        for entry in self.entries.iter().filter(|entry| entry.is_background()) {
            let interval = entry.spec.interval.unwrap_or(Duration::from_secs(10));
            let jitter_cap = max_jitter.min(interval / 2);
            let first_delay = entry.spec.initial_delay.unwrap_or(Duration::ZERO) + jitter(jitter_cap);
            let weak = Arc::downgrade(self);
            let entry = Arc::clone(entry);
            tokio::spawn(async move {
                tokio::time::sleep(first_delay).await;
                loop {
                    let running = {
                        let Some(engine) = weak.upgrade() else { break };
                        let mut slot = entry.slot();
                        match slot.inflight {
                            Some(id) => Err(id),
                            None => Ok(engine.start_run(&entry, &mut slot).0),
                        }
                    };
                    match running {
                        // This task is the check's own: the run needs no other.
                        Ok(run) => run.await,
                        Err(id) => Engine::wait_recorded(&entry, id).await,
                    }
                    tokio::time::sleep(interval + jitter(jitter_cap)).await;
                }
            });
        }
    }
}

fn jitter(cap: Duration) -> Duration {
    if cap.is_zero() {
        return Duration::ZERO;
    }
    let cap_micros = u64::try_from(cap.as_micros()).unwrap_or(u64::MAX);
    Duration::from_micros(fastrand::u64(0..=cap_micros))
}
