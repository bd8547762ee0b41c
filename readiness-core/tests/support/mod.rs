//! What the built-in checks' tests share: run one check the way a service would, with room for
//! slow real dependencies, and read what it said as plain values.

// Each test binary compiles this module and reads only the fields it needs.
#![allow(dead_code)]

use std::time::Duration;

use readiness_core::{CheckRegistration, Status, testing};

/// What one run of a check said.
pub(crate) struct Ran {
    pub(crate) name: String,
    pub(crate) status: Status,
    pub(crate) output: String,
    pub(crate) observed: serde_json::Value,
    pub(crate) evidence: serde_json::Value,
}

/// Runs `registration` alone, once, with room for a slow real dependency: a 4 s check timeout
/// inside a 5 s report deadline.
pub(crate) async fn run_one(registration: CheckRegistration) -> Ran {
    let builder = testing::builder().deadline(Duration::from_secs(5)).default_timeout(Duration::from_secs(4));
    let check = testing::run_check_in(builder, registration).await;
    Ran {
        name: check.name.clone(),
        status: check.outcome.status,
        output: check.outcome.output.clone().unwrap_or_default(),
        observed: check.outcome.observed_value.clone().unwrap_or_default(),
        evidence: serde_json::to_value(&check.outcome.evidence).expect("evidence serializes"),
    }
}
