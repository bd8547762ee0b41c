//! The control-set hash: equal for builds that declare and check the same things in the same
//! places, different when a control, a check, a binding or a declaration changed, and in every
//! output that a fleet or an auditor compares.

use readiness_core::attestation::{Declaration, SourceLocation};
use readiness_core::output::{Disclosure, checklist, health_json, in_toto, prometheus};
use readiness_core::{CheckSpec, Outcome, ReadinessBuilder, testing};

fn base() -> ReadinessBuilder {
    testing::builder()
        .declare(Declaration::new("security.data.secrets", "from the environment"))
        .check_fn(CheckSpec::new("db:pool").control("performance.scalability.db-pooling"), |_| async {
            Outcome::pass()
        })
        .check_fn(CheckSpec::new("cache:ping"), |_| async { Outcome::pass() })
}

/// The hash a service built from `builder` reports.
fn hash(builder: ReadinessBuilder) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async { builder.build().unwrap().checklist().await.control_set.to_string() })
}

fn declared_at(line: u32) -> Declaration {
    let mut declaration = Declaration::new("security.auth.rbac", "middleware");
    declaration.source =
        Some(SourceLocation { file: "src/api.rs".into(), line, column: 1, module: "orders::api".into() });
    declaration
}

#[test]
fn the_same_declarations_and_checks_hash_the_same_and_any_change_shows() {
    let same = hash(base());
    assert!(same.starts_with("sha256:") && same.len() == 7 + 64, "{same}");
    assert_eq!(same, hash(base()), "two builds of the same service agree");
    let changed = [
        (
            "a check dropped",
            hash(
                testing::builder()
                    .declare(Declaration::new("security.data.secrets", "from the environment"))
                    .check_fn(CheckSpec::new("db:pool").control("performance.scalability.db-pooling"), |_| async {
                        Outcome::pass()
                    }),
            ),
        ),
        (
            "a check bound elsewhere",
            hash(
                testing::builder()
                    .declare(Declaration::new("security.data.secrets", "from the environment"))
                    .check_fn(CheckSpec::new("db:pool").control("performance.monitoring.db-monitoring"), |_| async {
                        Outcome::pass()
                    })
                    .check_fn(CheckSpec::new("cache:ping"), |_| async { Outcome::pass() }),
            ),
        ),
        (
            "a declaration dropped",
            hash(
                testing::builder()
                    .check_fn(CheckSpec::new("db:pool").control("performance.scalability.db-pooling"), |_| async {
                        Outcome::pass()
                    })
                    .check_fn(CheckSpec::new("cache:ping"), |_| async { Outcome::pass() }),
            ),
        ),
        ("a declaration added", hash(base().declare(declared_at(10)))),
    ];
    for (what, hash) in &changed {
        assert_ne!(*hash, same, "{what}");
    }
    assert_ne!(hash(base().declare(declared_at(10))), hash(base().declare(declared_at(11))), "a declaration moved");
}

#[tokio::test]
async fn the_hash_is_in_the_checklist_the_statement_health_json_and_the_metrics() {
    let readiness = base().build().unwrap();
    let report = readiness.checklist().await;
    let hash = report.control_set.to_string();
    assert_eq!(checklist::json(&report)["control_set"], hash.as_str());
    let statement = in_toto::statement(
        &report,
        &in_toto::Subject::new("orders", "00".repeat(32)),
        &in_toto::Freshness::new(std::time::Duration::from_secs(60)),
    );
    assert_eq!(statement["predicate"]["control_set"], hash.as_str());
    let health = health_json::render(&readiness.readiness().await, Disclosure::Minimal);
    assert_eq!(health["controlSet"], hash.as_str(), "anonymous callers see it: it names nothing");
    let mut metrics = prometheus::MetricsWriter::new();
    prometheus::write_report(&mut metrics, &readiness.snapshot().await);
    let text = metrics.finish();
    assert!(text.contains(&format!("readiness_control_set_info{{hash=\"{hash}\"}} 1")), "{text}");
}
