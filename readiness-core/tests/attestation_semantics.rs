//! What an attestation means, against the bypasses that earned a false `verified` or a false
//! startup: only a pass verifies, a warning is shown everywhere, an expired record is never hidden,
//! nobody attests to the future or for ever, and a partial selection never completes startup.

use std::time::Duration;

use readiness_core::attestation::{AttestationState, Declaration, OperatorAttestation, Waiver};
use readiness_core::output::{Disclosure, checklist, health_json, html, in_toto, prometheus};
use readiness_core::{BuildProblem, CheckKind, CheckSpec, Outcome, Selection, Status, testing};
use time::OffsetDateTime;

fn days(n: u64) -> Duration {
    Duration::from_secs(n * 86_400)
}

fn record(control: &str, on: time::Date, valid_for: Duration) -> OperatorAttestation {
    OperatorAttestation {
        control: control.into(),
        by: "AppSec".into(),
        on,
        valid_for,
        evidence: "https://wiki.example/review".into(),
    }
}

#[tokio::test]
async fn a_warning_never_verifies_and_is_shown_in_every_output() {
    let readiness = testing::builder()
        // Declared, and its only check warns: declared, with the warning.
        .declare(Declaration::new("security.network.headers", "SetResponseHeaderLayer"))
        .check_fn(CheckSpec::new("http:security-headers").control("security.network.headers"), |_| async {
            Outcome::warn("Referrer-Policy is weak")
        })
        // Nothing but a warning: missing, with the warning.
        .check_fn(CheckSpec::new("host:load").control("performance.monitoring.system-resources"), |_| async {
            Outcome::cannot_tell("no /proc/loadavg", "run on Linux")
        })
        // One check passes, another warns: not verified either.
        .check_fn(CheckSpec::new("secrets:settings").control("security.data.secrets"), |_| async { Outcome::pass() })
        .check_fn(CheckSpec::new("secrets:jwt").control("security.data.secrets"), |_| async {
            Outcome::warn("JWT_SECRET is shorter than advised")
        })
        // Every check passes: verified.
        .check_fn(CheckSpec::new("db:pool").control("performance.scalability.db-pooling"), |_| async {
            Outcome::pass()
        })
        .build()
        .unwrap();
    let report = readiness.checklist().await;
    let control = |id: &str| report.control(id).unwrap();
    assert_eq!(control("security.network.headers").attestation, AttestationState::Declared);
    assert_eq!(
        control("security.network.headers").warnings,
        ["check `http:security-headers`: Referrer-Policy is weak"]
    );
    assert_eq!(control("performance.monitoring.system-resources").attestation, AttestationState::Missing);
    assert_eq!(control("security.data.secrets").attestation, AttestationState::Missing);
    assert_eq!(control("security.data.secrets").warnings.len(), 1);
    assert_eq!(control("performance.scalability.db-pooling").attestation, AttestationState::Verified);
    assert!(control("performance.scalability.db-pooling").warnings.is_empty());
    assert_eq!(report.coverage.as_ref().unwrap().verified, 1);

    let json = checklist::json(&report);
    let headers = json["controls"].as_array().unwrap().iter().find(|c| c["id"] == "security.network.headers").unwrap();
    assert_eq!(headers["attestation"], "declared");
    assert_eq!(headers["warnings"][0], "check `http:security-headers`: Referrer-Policy is weak");

    let markdown = checklist::markdown(&report);
    let line = markdown.lines().find(|line| line.contains("Security headers implemented")).unwrap();
    assert!(
        line.contains("**declared**")
            && line.contains("warning: check 'http:security-headers': Referrer-Policy is weak"),
        "{line}"
    );

    let page = html::render(&report);
    assert!(
        page.contains("warning: check `http:security-headers`: Referrer-Policy is weak"),
        "the page hides the warning"
    );

    let mut metrics = prometheus::MetricsWriter::new();
    prometheus::write_report(&mut metrics, &report);
    let metrics = metrics.finish();
    assert!(
        metrics.contains(r#"readiness_control_warnings{control="security.network.headers",catalog="osgb"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics
            .contains(r#"readiness_control_warnings{control="performance.scalability.db-pooling",catalog="osgb"} 0"#)
    );
    assert!(metrics.contains(r#"readiness_control_attestation{control="security.network.headers",catalog="osgb",required="false",attestation="verified"} 0"#));

    let subject = in_toto::Subject::new("orders", "00".repeat(32));
    let statement = in_toto::statement(&report, &subject, &in_toto::Freshness::new(std::time::Duration::from_secs(60)));
    let controls = statement["predicate"]["controls"].as_array().unwrap();
    let headers = controls.iter().find(|c| c["id"] == "security.network.headers").unwrap();
    assert_eq!(headers["attestation"], "declared");
    assert!(headers["warnings"][0].as_str().unwrap().contains("Referrer-Policy"));

    // The report itself still says warn: the orchestrator sees the warning as before.
    let health = health_json::render(&readiness.readiness().await, Disclosure::Minimal);
    assert_eq!(health["status"], "warn");
}

#[tokio::test]
async fn a_bound_check_not_yet_run_keeps_a_control_from_verifying() {
    let readiness = testing::builder()
        .check_fn(CheckSpec::new("db:pool").control("performance.scalability.db-pooling"), |_| async {
            Outcome::pass()
        })
        // A background check that has not run yet (an hour away).
        .check_fn(
            CheckSpec::new("db:replication")
                .control("performance.scalability.db-pooling")
                .interval(Duration::from_secs(3600))
                .initial_delay(Duration::from_secs(3600)),
            |_| async { Outcome::pass() },
        )
        .build()
        .unwrap();
    let report = readiness.checklist().await;
    assert_eq!(report.control("performance.scalability.db-pooling").unwrap().attestation, AttestationState::Missing);
}

#[tokio::test]
async fn an_expired_attestation_shows_even_when_a_declaration_exists() {
    let today = OffsetDateTime::now_utc().date();
    let readiness = testing::builder()
        .declare(Declaration::new("testing.qa.security", "a pentest every year"))
        .attest(record("testing.qa.security", today - time::Duration::days(100), days(30)))
        // A valid record with a declaration: declared, as before.
        .declare(Declaration::new("testing.qa.performance", "k6 in CI"))
        .attest(record("testing.qa.performance", today - time::Duration::days(1), days(30)))
        .build()
        .unwrap();
    let report = readiness.checklist().await;
    let security = report.control("testing.qa.security").unwrap();
    assert_eq!(security.attestation, AttestationState::Expired);
    assert!(security.evidence.as_deref().unwrap().contains("expired on"), "{:?}", security.evidence);
    assert_eq!(report.control("testing.qa.performance").unwrap().attestation, AttestationState::Declared);
}

#[test]
fn an_attestation_dated_in_the_future_is_refused() {
    let tomorrow = OffsetDateTime::now_utc().date() + time::Duration::days(1);
    let error = testing::builder().attest(record("testing.qa.security", tomorrow, days(30))).build().unwrap_err();
    assert!(
        matches!(&error.problems()[0], BuildProblem::FutureAttestation { id, .. } if id == "testing.qa.security"),
        "{error}"
    );
    assert!(error.to_string().contains("after today"), "{error}");
}

#[test]
fn validity_is_capped_at_400_days_unless_configured() {
    let today = OffsetDateTime::now_utc().date();
    let error = testing::builder().attest(record("testing.qa.security", today, days(401))).build().unwrap_err();
    assert!(matches!(&error.problems()[0], BuildProblem::AttestationTooLong { .. }), "{error}");
    assert!(error.to_string().contains("401d") && error.to_string().contains("400d"), "{error}");

    assert!(testing::builder().attest(record("testing.qa.security", today, days(400))).build().is_ok());
    let configured = testing::builder()
        .max_attestation_validity(days(800))
        .attest(record("testing.qa.security", today, days(730)))
        .build();
    assert!(configured.is_ok());
}

/// Found by the `attestation_expiry` fuzz target: a validity that reaches past the last instant
/// `time` represents (year 9999) made `expires_at`, and so every report, panic. Such a record
/// holds until that last instant.
#[tokio::test]
async fn a_validity_past_the_end_of_time_holds_and_never_panics() {
    let today = OffsetDateTime::now_utc().date();
    let valid_for = readiness_core::attestation::parse_duration("1000000years").unwrap();
    let readiness = testing::builder()
        .max_attestation_validity(Duration::MAX)
        .attest(record("testing.qa.security", today, valid_for))
        .build()
        .unwrap();
    let report = readiness.checklist().await;
    assert_eq!(report.control("testing.qa.security").unwrap().attestation, AttestationState::Attested);

    let last = time::PrimitiveDateTime::MAX.assume_utc();
    for (on, valid_for) in [(today, Duration::MAX), (time::Date::MAX, days(1)), (time::Date::MIN, Duration::MAX)] {
        let far = record("testing.qa.security", on, valid_for);
        assert_eq!(far.expires_at(), last, "{far:?}");
        assert!(far.is_valid_at(OffsetDateTime::now_utc()));
    }
    // Within range, nothing changes: the first instant after the last day.
    let near = record("testing.qa.security", time::Date::MAX, Duration::ZERO);
    assert_eq!(near.expires_at(), time::Date::MAX.midnight().assume_utc());
}

#[tokio::test]
async fn startup_is_never_completed_from_a_partial_selection() {
    let readiness = testing::builder()
        .check_fn(CheckSpec::new("db:ping").critical(), |_| async { Outcome::fail("connection refused") })
        .check_fn(CheckSpec::new("cache:warm").kind(CheckKind::Startup), |_| async { Outcome::pass() })
        .build()
        .unwrap();
    // An anonymous caller leaves every failing check out.
    let partial = readiness.report(&Selection::startup().exclude("db:ping")).await.unwrap();
    assert_eq!(partial.status, Status::Pass, "the partial selection itself passes");
    // Startup is not complete for everyone: the full selection still fails.
    assert_eq!(readiness.startup().await.status, Status::Fail);
    assert_eq!(readiness.startup().await.status, Status::Fail);
}

#[tokio::test]
async fn the_markdown_keeps_the_seed_text_and_ticks_only_what_is_implemented() {
    let today = OffsetDateTime::now_utc().date();
    let readiness = testing::builder()
        .declare(Declaration::new("testing.qa.unit-coverage", "cargo llvm-cov <gate> 80%"))
        .waive(Waiver {
            control: "security.network.ddos".into(),
            reason: "internal-only service".into(),
            until: today + time::Duration::days(30),
        })
        .build()
        .unwrap();
    let markdown = checklist::markdown(&readiness.checklist().await);
    let coverage = markdown.lines().find(|line| line.contains("Unit test coverage")).unwrap();
    // The seed's words verbatim; the service's own evidence still escaped.
    assert!(coverage.starts_with("- [x] Unit test coverage >80% — **declared**"), "{coverage}");
    assert!(coverage.contains("cargo llvm-cov &lt;gate&gt; 80%"), "{coverage}");
    let ddos = markdown.lines().find(|line| line.contains("DDoS protection in place")).unwrap();
    assert!(ddos.starts_with("- [ ] DDoS protection in place — **waived** — waived until"), "{ddos}");
    assert!(ddos.contains("internal-only service"), "{ddos}");
}
