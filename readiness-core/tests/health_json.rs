//! The health+json output and its detail gating.

use readiness_core::output::{Disclosure, health_json};
use readiness_core::{CheckSpec, Outcome, Status};

async fn report() -> readiness_core::Report {
    readiness_core::testing::builder()
        .service("orders", "2.3.4")
        .description("order intake")
        .check_fn(CheckSpec::new("db:connections").component_type("datastore").critical(), |_| async {
            Outcome::pass().observed(4, "connections").with_output("4 of 10 in use").evidence("max", 10)
        })
        .check_fn(CheckSpec::new("cache:ping"), |_| async { Outcome::fail("connection refused") })
        .build()
        .unwrap()
        .readiness()
        .await
}

#[tokio::test]
async fn full_detail_has_the_ietf_draft_fields() {
    let report = report().await;
    assert_eq!(report.status, Status::Warn);
    let body = health_json::render(&report, Disclosure::Full);
    assert_eq!(body["status"], "warn");
    assert_eq!(body["version"], "2");
    assert_eq!(body["releaseId"], "2.3.4");
    assert_eq!(body["serviceId"], "orders");
    assert_eq!(body["description"], "order intake");
    let db = &body["checks"]["db:connections"][0];
    assert_eq!(db["componentId"], "db");
    assert_eq!(db["componentType"], "datastore");
    assert_eq!(db["observedValue"], 4);
    assert_eq!(db["observedUnit"], "connections");
    assert_eq!(db["status"], "pass");
    assert_eq!(db["output"], "4 of 10 in use");
    assert_eq!(db["evidence"]["max"], "10");
    let time = db["time"].as_str().unwrap();
    assert!(time::OffsetDateTime::parse(time, &time::format_description::well_known::Rfc3339).is_ok(), "{time}");
    assert_eq!(body["checks"]["cache:ping"][0]["status"], "fail");
}

#[tokio::test]
async fn minimal_detail_shows_only_names_and_statuses() {
    let body = health_json::render(&report().await, Disclosure::Minimal);
    assert_eq!(body["checks"]["db:connections"][0], serde_json::json!({"status": "pass"}));
    assert_eq!(body["checks"]["cache:ping"][0], serde_json::json!({"status": "fail"}));
    let text = body.to_string();
    for hidden in ["connection refused", "4 of 10", "observedValue", "instance", "evidence"] {
        assert!(!text.contains(hidden), "`{hidden}` leaked to an anonymous caller: {text}");
    }
}
