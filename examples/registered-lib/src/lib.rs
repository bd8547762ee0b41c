//! A library crate whose controls and checks are registered by the macros. A binary that
//! depends on it but never names it loses them at link time; `use registered_lib as _;` keeps
//! them, and `ReadinessBuilder::expect_registrations_from("registered_lib")` proves it.

use readiness_core::{Outcome, check, control};

/// Writes an audit event.
#[control("compliance.audit.audit-logging", evidence = "every write goes through audit_event")]
pub fn audit_event(what: &str) -> String {
    format!("audit: {what}")
}

#[check(name = "audit:sink", controls("compliance.audit.audit-logging"))]
async fn audit_sink() -> Outcome {
    Outcome::pass().with_output("the audit sink accepts events")
}
