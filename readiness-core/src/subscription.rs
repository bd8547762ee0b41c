//! [`Readiness::subscribe`](crate::Readiness::subscribe): the statuses for push consumers — gRPC
//! health's `Watch`, a dashboard, a load balancer's agent — as a stream of changes.
//!
//! A subscriber first gets the current state (every overall status and every check's), then each
//! change in the order it happened. A subscriber slower than the changes misses intermediate
//! states, never the latest: it always catches up to the state now (a `tokio::sync::watch`
//! underneath). When the last clone of the [`Readiness`](crate::Readiness) is dropped, the stream
//! ends after the final state.
//!
//! ```
//! use readiness_core::{CheckSpec, Outcome, Status};
//! use readiness_core::subscription::Change;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let readiness = readiness_core::testing::builder()
//!     .check_fn(CheckSpec::new("db:ping").critical(), |_| async { Outcome::pass() })
//!     .build()
//!     .unwrap();
//! let mut changes = readiness.subscribe();
//! // First the state now: nothing has run yet, so readiness fails.
//! let first = changes.next().await.unwrap();
//! assert_eq!(first, Change::Readiness { previous: None, current: Status::Fail });
//! readiness.readiness().await;
//! # let mut seen = Vec::new();
//! # while let Some(change) = changes.next().await {
//! #     let done = change == Change::Readiness { previous: Some(Status::Fail), current: Status::Pass };
//! #     seen.push(change);
//! #     if done { break; }
//! # }
//! # assert!(seen.contains(&Change::Check { name: "db:ping".into(), previous: None, current: Status::Pass }));
//! # }
//! ```

use std::collections::VecDeque;

use tokio::sync::watch;

use crate::outcome::Status;

/// One change a subscriber sees.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// One check's status (after flap damping). A check that has not run yet is not in the
    /// first state sent: it appears with its first result.
    Check {
        /// The check's name.
        name: String,
        /// The status before (`None` in the first state sent, or at its first result).
        previous: Option<Status>,
        /// The status now.
        current: Status,
    },
    /// The overall readiness: what `GET /readiness` answers (failing from the moment shutdown
    /// begins).
    Readiness {
        /// The status before (`None` in the first state sent).
        previous: Option<Status>,
        /// The status now.
        current: Status,
    },
    /// The overall liveness.
    Liveness {
        /// The status before (`None` in the first state sent).
        previous: Option<Status>,
        /// The status now.
        current: Status,
    },
    /// Startup: `fail` until every startup and critical check passed once, then `pass`.
    Startup {
        /// The status before (`None` in the first state sent).
        previous: Option<Status>,
        /// The status now.
        current: Status,
    },
    /// Shutdown began: readiness fails from now on.
    ShuttingDown,
}

/// Every status at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Statuses {
    pub(crate) readiness: Status,
    pub(crate) liveness: Status,
    pub(crate) startup: Status,
    /// Each check's reported status, in registration order; `None` until it first ran.
    pub(crate) checks: Vec<(String, Option<Status>)>,
    pub(crate) shutting_down: bool,
}

impl Statuses {
    /// What changed from `before` to `self` (everything, as the first state, when `before` is
    /// `None`): checks first, in registration order, then what follows from them.
    fn changes_since(&self, before: Option<&Statuses>) -> Vec<Change> {
        let mut changes = Vec::new();
        for (index, (name, current)) in self.checks.iter().enumerate() {
            let previous = before.and_then(|before| before.checks.get(index)).and_then(|(_, status)| *status);
            if let Some(current) = *current
                && (before.is_none() || previous != Some(current))
            {
                changes.push(Change::Check { name: name.clone(), previous, current });
            }
        }
        if before.is_some_and(|before| !before.shutting_down) && self.shutting_down {
            changes.push(Change::ShuttingDown);
        }
        let pairs = [
            (before.map(|b| b.readiness), self.readiness, 0),
            (before.map(|b| b.liveness), self.liveness, 1),
            (before.map(|b| b.startup), self.startup, 2),
        ];
        for (previous, current, which) in pairs {
            if previous == Some(current) {
                continue;
            }
            changes.push(match which {
                0 => Change::Readiness { previous, current },
                1 => Change::Liveness { previous, current },
                _ => Change::Startup { previous, current },
            });
        }
        changes
    }
}

/// A stream of [`Change`]s: see the [module](self).
#[derive(Debug)]
#[must_use = "a subscription does nothing until it is polled"]
pub struct Subscription {
    receiver: watch::Receiver<Statuses>,
    seen: Option<Statuses>,
    pending: VecDeque<Change>,
    ended: bool,
}

impl Subscription {
    pub(crate) fn new(receiver: watch::Receiver<Statuses>) -> Self {
        Self { receiver, seen: None, pending: VecDeque::new(), ended: false }
    }

    /// The next change: the current state first, then each change. `None` once the
    /// [`Readiness`](crate::Readiness) is gone and the final state was delivered.
    pub async fn next(&mut self) -> Option<Change> {
        loop {
            if let Some(change) = self.pending.pop_front() {
                return Some(change);
            }
            if self.ended {
                return None;
            }
            if self.seen.is_some() && self.receiver.changed().await.is_err() {
                // The sender is gone: deliver whatever the last state changed, then end.
                self.ended = true;
            }
            let now = self.receiver.borrow_and_update().clone();
            self.pending.extend(now.changes_since(self.seen.as_ref()));
            self.seen = Some(now);
        }
    }

    /// The subscription as a [`futures_util::Stream`].
    pub fn into_stream(self) -> impl futures_util::Stream<Item = Change> + Send + 'static {
        futures_util::stream::unfold(self, |mut subscription| async move {
            subscription.next().await.map(|change| (change, subscription))
        })
    }
}
