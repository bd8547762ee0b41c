//! What the probe tests share: run a probe the way a service would, and read its result.

// Each test binary compiles this module and uses only what it needs.
#![allow(dead_code)]

use readiness_core::{CheckRegistration, CheckResult, Status};

/// Runs one probe through a real `Readiness` (the service's default timeouts) and returns its
/// result.
pub(crate) async fn run(registration: CheckRegistration) -> CheckResult {
    readiness_core::testing::run_check(registration).await
}

/// The probe's output, empty when it gave none.
pub(crate) fn output(result: &CheckResult) -> &str {
    result.outcome.output.as_deref().unwrap_or_default()
}

/// The probe's evidence, as one string to search.
pub(crate) fn evidence(result: &CheckResult) -> String {
    format!("{:?}", result.outcome.evidence)
}

/// Asserts the status, printing the output and evidence when it is not the one expected.
pub(crate) fn assert_status(result: &CheckResult, status: Status) {
    assert_eq!(
        result.status, status,
        "{}: {:?}\nevidence: {:#?}",
        result.name, result.outcome.output, result.outcome.evidence
    );
}
