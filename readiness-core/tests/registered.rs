//! The collection point for statically registered items: what the macros submit through
//! `__private` reaches every built `Readiness`, unless the builder opts out.

use readiness_core::__private::{
    CheckRegistration, CheckSpec, Outcome, StaticAttestation, StaticCheck, StaticControl, StaticItem, StaticSource,
    StaticWaiver, inventory,
};
use readiness_core::attestation::AttestationState;
use readiness_core::{Readiness, Status, check_fn};

const HERE: StaticSource = StaticSource { file: file!(), line: line!(), column: 1, module: module_path!() };

inventory::submit! {
    StaticItem::Control(StaticControl {
        id: "security.auth.rbac",
        evidence: "roles checked in the auth middleware",
        item: "fn require_role",
        source: HERE,
    })
}

fn registered_check() -> CheckRegistration {
    CheckRegistration::new(
        CheckSpec::new("registered:check").control("security.network.firewall"),
        check_fn(|_| async { Outcome::pass() }),
    )
}

inventory::submit! {
    StaticItem::Check(StaticCheck { name: "registered:check", register: registered_check, source: HERE })
}

inventory::submit! {
    StaticItem::Attestation(StaticAttestation {
        control: "testing.qa.e2e",
        by: "QA",
        on: "2026-01-10",
        valid_for: "100000d",
        evidence: "https://ci.example/e2e",
        source: HERE,
    })
}

inventory::submit! {
    StaticItem::Waiver(StaticWaiver {
        control: "security.network.ddos",
        reason: "internal only",
        until: "2020-01-01",
        source: HERE,
    })
}

#[tokio::test]
async fn statically_registered_items_reach_the_report() {
    // The attestation above holds for 100,000 days so the test never expires: over the
    // 400-day default cap, which this builder raises.
    let readiness = Readiness::builder()
        .max_attestation_validity(std::time::Duration::from_secs(100_000 * 86_400))
        .build()
        .unwrap();
    let report = readiness.checklist().await;
    assert_eq!(report.check("registered:check").unwrap().status, Status::Pass);

    let rbac = report.control("security.auth.rbac").unwrap();
    assert_eq!(rbac.attestation, AttestationState::Declared);
    let source = rbac.source.as_ref().unwrap();
    assert_eq!(source.file, file!());
    assert_eq!(source.module, "registered");
    assert_eq!(rbac.declarations[0].item.as_deref(), Some("fn require_role"));

    assert_eq!(report.control("security.network.firewall").unwrap().attestation, AttestationState::Verified);
    assert_eq!(report.control("testing.qa.e2e").unwrap().attestation, AttestationState::Attested);
    assert_eq!(report.control("security.network.ddos").unwrap().attestation, AttestationState::Expired);
}

#[tokio::test]
async fn a_builder_can_leave_registered_items_out() {
    let readiness = readiness_core::testing::builder().build().unwrap();
    let report = readiness.checklist().await;
    assert!(report.checks.is_empty());
    assert_eq!(report.control("security.auth.rbac").unwrap().attestation, AttestationState::Missing);
}

#[test]
fn a_registered_check_clashing_with_a_builder_check_is_a_build_error() {
    let error = Readiness::builder()
        .check_fn(CheckSpec::new("registered:check"), |_| async { Outcome::pass() })
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("two checks are named `registered:check`"), "{error}");
}
