//! Aggregation: a selection of checks into one [`Report`] within the report deadline (overall
//! status, startup latching, shutdown), and each control's attestation from what speaks for it.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use time::OffsetDateTime;
use tokio::time::Instant;

use super::Engine;
use super::cache::Entry;
use crate::attestation::{self, ControlEvidence};
use crate::catalog::Control;
use crate::check::CheckKind;
use crate::outcome::Status;
use crate::report::{ControlReport, Coverage, Freshness, Report, Selection};

/// The named check does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no check is named `{0}`")]
#[non_exhaustive]
pub struct UnknownCheck(pub String);

impl Engine {
    /// One report of `selection`; with `run == false`, from cached results only.
    pub(crate) async fn evaluate(self: &Arc<Self>, selection: &Selection, run: bool) -> Result<Report, UnknownCheck> {
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
                self.entries.iter().filter(|entry| entry.is_selected_by(selection)).collect()
            }
        };
        let startup_done = selection.kind == Some(CheckKind::Startup) && self.startup_complete.load(Ordering::Acquire);
        let run = run && !startup_done;
        let freshness = self.settle_all(&selected, deadline, run).await;
        let checks: Vec<_> =
            selected.iter().zip(freshness).map(|(entry, freshness)| self.snapshot(entry, freshness)).collect();

        let shutting_down = self.is_shutting_down();
        let status = if selection.only.is_some() {
            checks.first().map_or(Status::Fail, |check| check.status)
        } else if selection.kind == Some(CheckKind::Startup) {
            let all_passed_once = startup_done || selected.iter().all(|entry| entry.slot().ever_passed);
            // Only a full selection latches startup: a caller leaving checks out with
            // `exclude` must not complete it for everyone.
            let full = selection.exclude.is_empty();
            if all_passed_once && run && full && !self.startup_complete.swap(true, Ordering::AcqRel) {
                self.bump_version();
                self.publish_statuses();
            }
            if all_passed_once { Status::Pass } else { Status::Fail }
        } else {
            super::statuses::overall(checks.iter().map(|check| (check.status, check.critical)))
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
            verdict: None,
            timing: None,
            // Shared, not copied: every report of the process carries the same hash.
            control_set: std::sync::Arc::clone(self.control_set()),
            shutting_down,
            notes,
        })
    }

    /// Waits, until `deadline`, for every selected check that needs a run (see
    /// [`Engine::claim`]); each check's freshness for the report.
    ///
    /// A run this report starts is driven by [`Engine::drive`]: one that finishes right here
    /// costs no task, no waker and no timer. The others, and runs other reports started, are waited for
    /// together under one timer for the whole report, armed only when something is still
    /// running.
    async fn settle_all(self: &Arc<Self>, selected: &[&Arc<Entry>], deadline: Instant, run: bool) -> Vec<Freshness> {
        /// Inline runs between two yields to the scheduler, so that thousands of checks do not
        /// hold a worker thread in one poll (and each batch starts with a fresh cooperative
        /// budget: a run finding it spent would only be spawned, which is correct but slower).
        const INLINE_BATCH: usize = 32;
        let mut freshness = vec![Freshness::Cached; selected.len()];
        let mut waiting = FuturesUnordered::new();
        let mut inline = 0;
        for (index, entry) in selected.iter().enumerate() {
            let Some((id, started)) = self.claim(entry, run) else { continue };
            if let Some(started) = started {
                inline += 1;
                if inline % INLINE_BATCH == 0 {
                    tokio::task::yield_now().await;
                }
                if Engine::drive(entry, started).await {
                    freshness[index] = Freshness::Fresh;
                    continue;
                }
            }
            freshness[index] = Freshness::DeadlineExceeded;
            waiting.push(async move {
                Engine::wait_recorded(entry, id).await;
                index
            });
        }
        if waiting.is_empty() {
            return freshness;
        }
        let deadline = tokio::time::sleep_until(deadline);
        let mut deadline = std::pin::pin!(deadline);
        loop {
            tokio::select! {
                biased;
                settled = waiting.next() => match settled {
                    Some(index) => freshness[index] = Freshness::Fresh,
                    None => break,
                },
                () = &mut deadline => break,
            }
        }
        // What is still running goes on in its own task and counts as failed for this report.
        freshness
    }

    /// Every control's part of a report at `now`, and the coverage counts.
    pub(crate) fn control_reports(&self, now: OffsetDateTime) -> (Vec<ControlReport>, Coverage) {
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

    /// Gathers what speaks for `control`; [`attestation::decide`] picks the state.
    fn control_report(&self, control: &Control, now: OffsetDateTime) -> ControlReport {
        let bound: Vec<&Arc<Entry>> = self
            .checks_by_control
            .get(control.id.as_ref())
            .map(|indexes| indexes.iter().map(|index| &self.entries[*index]).collect())
            .unwrap_or_default();
        let mut failing = None;
        let mut passing = None;
        let mut warnings = Vec::new();
        let mut unchecked = false;
        let mut last_checked = None;
        for entry in &bound {
            let slot = entry.slot();
            let (Some(last), Some(reported)) = (&slot.last, slot.reported) else {
                unchecked = true;
                continue;
            };
            last_checked = last_checked.max(Some(last.time));
            let line = match &last.outcome.output {
                Some(output) => format!("check `{}`: {output}", entry.name),
                None => format!("check `{}` passes", entry.name),
            };
            match reported {
                Status::Fail => failing = failing.or(Some(line)),
                Status::Warn => warnings.push(line),
                Status::Pass => passing = passing.or(Some(line)),
            }
        }
        let declarations = self.declarations.get(control.id.as_ref()).cloned().unwrap_or_default();
        let operator = self.attestations.get(control.id.as_ref()).cloned();
        let waiver = self.waivers.get(control.id.as_ref()).cloned();
        let (attestation, evidence) = attestation::decide(
            ControlEvidence {
                failing,
                // Only a pass verifies, and only when every bound check has one.
                passing: passing.filter(|_| warnings.is_empty() && !unchecked),
                declaration: declarations.first(),
                operator: operator.as_ref(),
                waiver: waiver.as_ref(),
            },
            now,
        );
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
            warnings,
            last_checked,
        }
    }
}
