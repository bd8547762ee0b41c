//! Registrations from a library crate reach the binary when it is referenced.

// The remedy the self-check names: reference the crate so the linker keeps its registrations.
use registered_lib as _;

use readiness_core::attestation::AttestationState;
use readiness_core::{Readiness, Status};

#[tokio::test]
async fn a_referenced_library_registers_its_control_and_check() {
    let readiness = Readiness::builder().expect_registrations_from("registered_lib").build().unwrap();
    let report = readiness.checklist().await;
    let self_check = report.check("readiness:registrations").unwrap();
    assert_eq!(self_check.status, Status::Pass, "{:?}", self_check.outcome);
    assert_eq!(self_check.outcome.evidence["registered_lib"], "2 item(s)");
    assert_eq!(report.check("audit:sink").unwrap().status, Status::Pass);
    let audit = report.control("compliance.audit.audit-logging").unwrap();
    assert_eq!(audit.attestation, AttestationState::Verified);
    assert_eq!(audit.declarations[0].item.as_deref(), Some("fn audit_event"));
    assert_eq!(readiness.startup().await.status, Status::Pass);
}
