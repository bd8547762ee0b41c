//! The counts behind the request metrics: totals since the start (for the Prometheus
//! exposition) and a ring of time slices (for the checks), updated under one lock.
//!
//! The ring holds [`SLICES`] + 1 slices of `window / SLICES` each; a read sums the slices of the
//! last `window`, the current partial slice included, so a request stays visible for at least the
//! window and at most one slice longer. Reading never changes anything: however often a check
//! runs, it sees the same requests.
//!
//! For each latency limit a check registered, every slice also counts the requests over that
//! limit exactly (`Beyond`), so the p99 verdict does not depend on where the histogram's bucket
//! edges fall. A slice that began before the limit was registered falls back to the histogram.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{LATENCY_BUCKETS, MetricsSnapshot};

/// How many slices make up the window.
pub(super) const SLICES: u64 = 60;
/// How many latency limits are counted exactly; further ones use the histogram alone.
const MAX_LIMITS: usize = 8;

/// How one request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ending {
    /// Answered with a status below 500 (other than 408 and 429).
    Answered,
    /// Answered 5xx, or the service returned an error.
    ServerError,
    /// Answered 408 (what a timeout layer answers for a handler that ran too long).
    Timeout,
    /// Answered 429: counted on its own, outside the requests, errors and latencies.
    RateLimited,
    /// The response future was dropped before it completed (client gone, outer timeout, panic).
    Cancelled,
}

/// Requests over (and possibly over) one latency limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Beyond {
    /// Requests known to have taken longer than the limit.
    pub(super) over: u64,
    /// Requests that may have: cancelled before the limit, or in a histogram bucket that
    /// straddles it.
    pub(super) unknown: u64,
}

#[derive(Debug, Default)]
struct Slice {
    /// The slice's index plus one; 0 for a slot never used.
    epoch: u64,
    counts: MetricsSnapshot,
    /// `beyond[i]` counts limit `i` exactly; limits registered after the slice began have no entry.
    beyond: Vec<Beyond>,
}

#[derive(Debug)]
struct State {
    totals: MetricsSnapshot,
    sum_micros: u64,
    limits: Vec<Duration>,
    ring: Vec<Slice>,
}

/// The shared counts.
#[derive(Debug)]
pub(super) struct Counts {
    origin: Instant,
    slice_nanos: u128,
    window: Duration,
    state: Mutex<State>,
}

impl Counts {
    /// Counts over a window of `window` (at least [`SLICES`] ms).
    pub(super) fn new(window: Duration) -> Self {
        let window = window.max(Duration::from_millis(SLICES));
        let ring = (0..=SLICES).map(|_| Slice::default()).collect();
        Self {
            origin: Instant::now(),
            slice_nanos: window.as_nanos() / u128::from(SLICES),
            window,
            state: Mutex::new(State { totals: MetricsSnapshot::default(), sum_micros: 0, limits: Vec::new(), ring }),
        }
    }

    /// The window the checks judge.
    pub(super) fn window(&self) -> Duration {
        self.window
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Counting goes on after a panic elsewhere: the counts are plain numbers.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn epoch_now(&self) -> u64 {
        let elapsed = Instant::now().saturating_duration_since(self.origin).as_nanos();
        u64::try_from(elapsed / self.slice_nanos).unwrap_or(u64::MAX - 1) + 1
    }

    /// Registers a latency limit to count exactly; `None` once [`MAX_LIMITS`] are registered.
    pub(super) fn register_limit(&self, limit: Duration) -> Option<usize> {
        let mut state = self.lock();
        if let Some(index) = state.limits.iter().position(|known| *known == limit) {
            return Some(index);
        }
        if state.limits.len() == MAX_LIMITS {
            return None;
        }
        state.limits.push(limit);
        Some(state.limits.len() - 1)
    }

    /// Counts one request that ended `ending` after `latency`.
    pub(super) fn record(&self, latency: Duration, ending: Ending) {
        let epoch = self.epoch_now();
        let mut state = self.lock();
        let State { totals, sum_micros, limits, ring } = &mut *state;
        add(totals, latency, ending);
        if counts_latency(ending) {
            *sum_micros = sum_micros.saturating_add(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
        }
        let slot = &mut ring[(epoch % (SLICES + 1)) as usize];
        if slot.epoch != epoch {
            slot.epoch = epoch;
            slot.counts = MetricsSnapshot::default();
            slot.beyond.clear();
            slot.beyond.resize(limits.len(), Beyond::default());
        }
        add(&mut slot.counts, latency, ending);
        if ending == Ending::RateLimited {
            return;
        }
        for (beyond, limit) in slot.beyond.iter_mut().zip(limits.iter()) {
            if latency > *limit {
                beyond.over += 1;
            } else if ending == Ending::Cancelled {
                // Dropped before the limit: it might have finished in time, or not.
                beyond.unknown += 1;
            }
        }
    }

    /// The totals since the start, and the sum of the latencies in seconds.
    pub(super) fn totals(&self) -> (MetricsSnapshot, f64) {
        let state = self.lock();
        (state.totals, state.sum_micros as f64 / 1e6)
    }

    /// The counts of the window, and, for `limit` (as registered at `index`), the requests over it.
    pub(super) fn recent(&self, limit: Option<(Duration, Option<usize>)>) -> (MetricsSnapshot, Beyond) {
        let now = self.epoch_now();
        let state = self.lock();
        let mut counts = MetricsSnapshot::default();
        let mut beyond = Beyond::default();
        let live = state.ring.iter().filter(|slot| slot.epoch != 0 && slot.epoch <= now && slot.epoch + SLICES >= now);
        for slot in live {
            counts = counts.plus(&slot.counts);
            let Some((limit, index)) = limit else { continue };
            match index.and_then(|index| slot.beyond.get(index)) {
                Some(exact) => {
                    beyond.over += exact.over;
                    beyond.unknown += exact.unknown;
                }
                None => {
                    let estimate = by_buckets(&slot.counts, limit);
                    beyond.over += estimate.over;
                    beyond.unknown += estimate.unknown;
                }
            }
        }
        (counts, beyond)
    }
}

/// Whether a request of this ending has a latency in the histogram.
fn counts_latency(ending: Ending) -> bool {
    matches!(ending, Ending::Answered | Ending::ServerError | Ending::Timeout)
}

fn add(counts: &mut MetricsSnapshot, latency: Duration, ending: Ending) {
    match ending {
        Ending::RateLimited => {
            counts.rate_limited += 1;
            return;
        }
        Ending::Cancelled => counts.cancelled += 1,
        Ending::ServerError => counts.server_errors += 1,
        Ending::Timeout => counts.timeouts += 1,
        Ending::Answered => {}
    }
    counts.requests += 1;
    if counts_latency(ending) {
        let seconds = latency.as_secs_f64();
        let slot = LATENCY_BUCKETS.iter().position(|bound| seconds <= *bound).unwrap_or(LATENCY_BUCKETS.len());
        counts.buckets[slot] += 1;
    }
}

/// The requests over `limit` as far as the histogram tells: a bucket whose lower edge is at or
/// above the limit is over, one whose upper edge is at or under it is not, one straddling it and
/// every cancelled request are unknown.
fn by_buckets(counts: &MetricsSnapshot, limit: Duration) -> Beyond {
    let limit = limit.as_secs_f64();
    let mut beyond = Beyond { over: 0, unknown: counts.cancelled };
    for (index, count) in counts.buckets.iter().enumerate() {
        let lower = if index == 0 { 0.0 } else { LATENCY_BUCKETS[index - 1] };
        let upper = LATENCY_BUCKETS.get(index).copied().unwrap_or(f64::INFINITY);
        if lower >= limit {
            beyond.over += count;
        } else if upper > limit {
            beyond.unknown += count;
        }
    }
    beyond
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_between_bucket_edges_is_counted_exactly() {
        let counts = Counts::new(Duration::from_secs(60));
        let index = counts.register_limit(Duration::from_millis(200));
        assert_eq!(index, Some(0));
        assert_eq!(counts.register_limit(Duration::from_millis(200)), Some(0), "the same limit is shared");
        counts.record(Duration::from_millis(120), Ending::Answered);
        counts.record(Duration::from_millis(220), Ending::Answered);
        counts.record(Duration::from_millis(150), Ending::Cancelled);
        counts.record(Duration::from_millis(900), Ending::Cancelled);
        counts.record(Duration::from_millis(900), Ending::RateLimited);
        let (recent, beyond) = counts.recent(Some((Duration::from_millis(200), index)));
        assert_eq!(beyond, Beyond { over: 2, unknown: 1 });
        assert_eq!((recent.requests, recent.cancelled, recent.rate_limited), (4, 2, 1));
        // Without exact counts, both answered requests fall in the 100–250 ms bucket.
        let (_, estimate) = counts.recent(Some((Duration::from_millis(200), None)));
        assert_eq!(estimate, Beyond { over: 0, unknown: 4 });
    }

    #[test]
    fn the_registry_of_exact_limits_is_bounded() {
        let counts = Counts::new(Duration::from_secs(60));
        for millis in 1..=MAX_LIMITS as u64 {
            assert!(counts.register_limit(Duration::from_millis(millis)).is_some());
        }
        assert_eq!(counts.register_limit(Duration::from_secs(9)), None);
    }
}
