//! The statuses a subscriber watches, recomputed from the cache whenever a check records a
//! result, startup completes or shutdown begins: never by running a check.

use std::sync::atomic::Ordering;

use super::Engine;
use crate::outcome::Status;
use crate::report::Selection;
use crate::subscription::Statuses;

/// The overall status of checks given as `(status, critical)`: a failing non-critical check
/// only warns. Shared by reports and subscriptions so that the two cannot disagree.
pub(super) fn overall(checks: impl Iterator<Item = (Status, bool)>) -> Status {
    checks
        .map(|(status, critical)| match status {
            Status::Fail if !critical => Status::Warn,
            status => status,
        })
        .max()
        .unwrap_or(Status::Pass)
}

impl Engine {
    /// The statuses as the cache has them now; a check not yet run counts as failing, as in a
    /// report.
    pub(super) fn current_statuses(&self) -> Statuses {
        let shutting_down = self.is_shutting_down();
        let of_kind = |selection: Selection| {
            overall(
                self.entries
                    .iter()
                    .filter(|entry| entry.is_selected_by(&selection))
                    .map(|entry| (entry.slot().reported.unwrap_or(Status::Fail), entry.spec.critical)),
            )
        };
        let readiness = if shutting_down { Status::Fail } else { of_kind(Selection::readiness()) };
        let startup_selection = Selection::startup();
        let started = self.startup_complete.load(Ordering::Acquire)
            || self
                .entries
                .iter()
                .filter(|entry| entry.is_selected_by(&startup_selection))
                .all(|entry| entry.slot().ever_passed);
        Statuses {
            readiness,
            liveness: of_kind(Selection::liveness()),
            startup: if started { Status::Pass } else { Status::Fail },
            checks: self.entries.iter().map(|entry| (entry.name.to_string(), entry.slot().reported)).collect(),
            shutting_down,
        }
    }

    /// Publishes the current statuses to subscribers when they changed. The computation runs
    /// under the channel's lock, so concurrent publishers leave the last state published.
    ///
    /// Without a subscriber it does nothing: recomputing every check's status on each change
    /// made the first report of 10,000 checks quadratic (about a second). [`Engine::subscribe`]
    /// brings the value up to date for a new subscriber.
    pub(super) fn publish_statuses(&self) {
        if self.statuses.receiver_count() == 0 {
            return;
        }
        self.refresh_statuses();
    }

    /// Recomputes the published statuses, whoever watches.
    pub(super) fn refresh_statuses(&self) {
        self.statuses.send_if_modified(|published| {
            let current = self.current_statuses();
            let changed = *published != current;
            *published = current;
            changed
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_non_critical_check_only_warns() {
        assert_eq!(overall([(Status::Pass, true), (Status::Fail, false)].into_iter()), Status::Warn);
        assert_eq!(overall([(Status::Warn, false), (Status::Fail, true)].into_iter()), Status::Fail);
        assert_eq!(overall(std::iter::empty()), Status::Pass);
    }
}
