//! The report through the [`metrics`](https://docs.rs/metrics) facade: a service that already
//! exports `metrics` (with metrics-exporter-prometheus, say) gets readiness' gauges on its own
//! `/metrics`, beside its own.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let readiness = readiness_core::testing::builder().build().unwrap();
//! // Once, with the recorder of the service's choice installed:
//! readiness_core::output::facade::record(&readiness.snapshot().await);
//! // Or kept up to date from the cache, every 5 seconds:
//! let task = readiness_core::output::facade::spawn(readiness.clone(), std::time::Duration::from_secs(5));
//! # task.abort();
//! # }
//! ```
//!
//! The gauges are those of `/readiness/metrics` (`readiness_status`, `readiness_check_status`,
//! `readiness_check_duration_seconds`, `readiness_control_attestation`,
//! `readiness_profile_met`, `readiness_level_reached`, `readiness_shutting_down`), set from
//! cached results: recording never runs a check.

use std::time::Duration;

use super::samples::families;
use crate::readiness::Readiness;
use crate::report::Report;

/// Sets every gauge of `report` on the installed `metrics` recorder.
pub fn record(report: &Report) {
    for family in families(report) {
        metrics::describe_gauge!(family.name, family.help);
        for (labels, value) in family.samples {
            let labels: Vec<metrics::Label> =
                labels.into_iter().map(|(key, value)| metrics::Label::new(key, value)).collect();
            metrics::gauge!(family.name, labels).set(value);
        }
    }
}

/// Records the cached report now and then every `every`, until the task is aborted or the
/// readiness is gone (the task holds a clone: abort it to let the readiness go).
pub fn spawn(readiness: Readiness, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            record(&readiness.snapshot().await);
        }
    })
}
