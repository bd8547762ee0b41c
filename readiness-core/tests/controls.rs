//! Control attestation, coverage, profiles and builder validation.

use std::time::Duration;

use readiness_core::attestation::{AttestationState, Declaration, OperatorAttestation, Waiver, parse_date};
use readiness_core::catalog::Catalog;
use readiness_core::{BuildProblem, CheckSpec, Outcome, Profile};
use time::OffsetDateTime;

fn days(n: u64) -> Duration {
    Duration::from_secs(n * 86_400)
}

#[tokio::test]
async fn each_attestation_state_is_reached_and_counted() {
    let today = OffsetDateTime::now_utc().date();
    let readiness = readiness_core::testing::builder()
        .profile(Profile::production())
        .check_fn(CheckSpec::new("secrets:env").control("security.data.secrets"), |_| async { Outcome::pass() })
        .check_fn(CheckSpec::new("db:tls").control("security.data.tls-in-transit"), |_| async {
            Outcome::fail("ssl off")
        })
        .declare(Declaration::new("security.auth.rate-limiting", "GovernorLayer 50 req/s"))
        // A declaration does not beat a failing check.
        .declare(Declaration::new("security.data.tls-in-transit", "rustls"))
        .attest(OperatorAttestation {
            control: "testing.qa.security".into(),
            by: "AppSec".into(),
            on: today - time::Duration::days(10),
            valid_for: days(365),
            evidence: "https://wiki.example/pentest".into(),
        })
        .attest(OperatorAttestation {
            control: "testing.qa.performance".into(),
            by: "Perf".into(),
            on: today - time::Duration::days(400),
            valid_for: days(365),
            evidence: "https://wiki.example/load".into(),
        })
        .waive(Waiver {
            control: "security.network.ddos".into(),
            reason: "internal-only service".into(),
            until: today + time::Duration::days(30),
        })
        .build()
        .unwrap();
    let report = readiness.checklist().await;
    let state = |id: &str| report.control(id).unwrap().attestation;
    assert_eq!(state("security.data.secrets"), AttestationState::Verified);
    assert_eq!(state("security.data.tls-in-transit"), AttestationState::Failing);
    assert_eq!(state("security.auth.rate-limiting"), AttestationState::Declared);
    assert_eq!(state("testing.qa.security"), AttestationState::Attested);
    assert_eq!(state("testing.qa.performance"), AttestationState::Expired);
    assert_eq!(state("security.network.ddos"), AttestationState::Waived);
    assert_eq!(state("security.auth.rbac"), AttestationState::Missing);

    let coverage = report.coverage.clone().unwrap();
    assert_eq!(coverage.total, 83);
    assert_eq!(coverage.required, 83);
    assert_eq!((coverage.verified, coverage.failing, coverage.declared), (1, 1, 1));
    assert_eq!((coverage.attested, coverage.expired, coverage.waived), (1, 1, 1));
    assert_eq!(coverage.missing, 77);
    assert_eq!(coverage.satisfied, 4);
    assert!(!coverage.profile_satisfied());

    let tls = report.control("security.data.tls-in-transit").unwrap();
    assert_eq!(tls.checks, ["db:tls"]);
    assert_eq!(tls.evidence.as_deref(), Some("check `db:tls`: ssl off"));
    assert!(tls.last_checked.is_some());
}

#[tokio::test]
async fn user_catalogs_and_the_x_namespace_are_accepted() {
    let readiness = readiness_core::testing::builder()
        .catalog(Catalog::new("orders", "Orders team").control(
            "orders.idempotency",
            "Idempotent writes",
            "Orders",
            "API",
        ))
        .profile(Profile::new("orders").require_catalog("orders"))
        .declare(Declaration::new("orders.idempotency", "Idempotency-Key header"))
        .check_fn(CheckSpec::new("queue:depth").control("x.orders.queue-depth"), |_| async { Outcome::pass() })
        .build()
        .unwrap();
    let report = readiness.checklist().await;
    let own = report.control("orders.idempotency").unwrap();
    assert_eq!(own.attestation, AttestationState::Declared);
    assert!(own.required);
    assert_eq!(report.control("x.orders.queue-depth").unwrap().attestation, AttestationState::Verified);
    assert!(!report.control("security.data.secrets").unwrap().required);
    assert!(report.coverage.unwrap().profile_satisfied());
}

#[test]
fn build_reports_every_problem_at_once() {
    let today = parse_date("2026-01-01").unwrap();
    let record = |control: &str| OperatorAttestation {
        control: control.into(),
        by: "me".into(),
        on: today,
        valid_for: days(1),
        evidence: "e".into(),
    };
    let error = readiness_core::testing::builder()
        .check_fn(CheckSpec::new("db:ping"), |_| async { Outcome::pass() })
        .check_fn(CheckSpec::new("db:ping"), |_| async { Outcome::pass() })
        .check_fn(CheckSpec::new("bad name\n"), |_| async { Outcome::pass() })
        .check_fn(CheckSpec::new("x:y").control("security.auth.jwt").timeout(Duration::ZERO).fail_after(0), |_| async {
            Outcome::pass()
        })
        .attest(record("testing.qa.e2e"))
        .attest(record("testing.qa.e2e"))
        .max_concurrency(0)
        .build()
        .unwrap_err();
    let problems = error.problems();
    assert!(problems.contains(&BuildProblem::DuplicateCheck { name: "db:ping".into() }), "{error}");
    assert!(problems.contains(&BuildProblem::InvalidCheckName { name: "bad name\\n".into() }), "{error}");
    assert!(
        problems
            .contains(&BuildProblem::UnknownControl { id: "security.auth.jwt".into(), used_by: "check `x:y`".into() }),
        "{error}"
    );
    assert!(
        problems.iter().any(|p| matches!(p, BuildProblem::InvalidSetting { setting, .. } if setting == "x:y.timeout"))
    );
    assert!(
        problems
            .iter()
            .any(|p| matches!(p, BuildProblem::InvalidSetting { setting, .. } if setting == "x:y.fail_after"))
    );
    assert!(
        problems
            .iter()
            .any(|p| matches!(p, BuildProblem::InvalidSetting { setting, .. } if setting == "max_concurrency"))
    );
    assert!(
        problems.contains(&BuildProblem::DuplicateAttestation {
            id: "testing.qa.e2e".into(),
            what: "operator attestation"
        })
    );
    assert_eq!(problems.len(), 7, "{error}");
    let message = error.to_string();
    assert!(message.starts_with("invalid readiness configuration (7 problems):"), "{message}");
}

#[tokio::test]
async fn the_snapshot_never_runs_a_check() {
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&runs);
    let readiness = readiness_core::testing::builder()
        .check_fn(CheckSpec::new("db:ping").critical(), move |_| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { Outcome::pass() }
        })
        .build()
        .unwrap();
    let snapshot = readiness.snapshot().await;
    assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(snapshot.checks[0].outcome.output.as_deref(), Some("not yet checked"));
    assert!(snapshot.coverage.is_some());
    readiness.readiness().await;
    assert_eq!(readiness.snapshot().await.checks[0].status, readiness_core::Status::Pass);
    assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);
}
