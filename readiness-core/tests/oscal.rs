//! The OSCAL assessment results: each attestation state maps to its objective status, the
//! observation names how it was assessed, and the UUIDs are stable for a build. (The document's
//! validity against OSCAL 1.1 is judged by compliance-trestle in `tests/tests/interop.rs`.)

use readiness_core::attestation::{Declaration, OperatorAttestation, Waiver};
use readiness_core::output::{checklist, oscal};
use readiness_core::{CheckSpec, Outcome, testing};
use serde_json::Value;

async fn document() -> Value {
    let readiness = testing::builder()
        .service("orders", "3.1.0")
        .declare(Declaration::new("security.data.secrets", "from the environment"))
        .check_fn(CheckSpec::new("db:pool").control("performance.scalability.db-pooling"), |_| async {
            Outcome::pass()
        })
        .check_fn(CheckSpec::new("tls:cert").control("security.data.tls-in-transit"), |_| async {
            Outcome::fail("expired")
        })
        .attest(OperatorAttestation {
            control: "reliability.backup.restore-tested".into(),
            by: "ops@example.com".into(),
            on: time::OffsetDateTime::now_utc().date(),
            valid_for: std::time::Duration::from_secs(90 * 86_400),
            evidence: "https://wiki.example.com/restore-drill".into(),
        })
        .waive(Waiver {
            control: "security.network.ddos".into(),
            reason: "the CDN absorbs it".into(),
            until: time::macros::date!(2099 - 01 - 01),
        })
        .build()
        .unwrap();
    oscal::assessment_results(&checklist::json(&readiness.settled_checklist().await))
}

fn finding<'a>(document: &'a Value, id: &str) -> &'a Value {
    document["assessment-results"]["results"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["target"]["target-id"] == id)
        .unwrap()
}

fn observation<'a>(document: &'a Value, finding: &Value) -> &'a Value {
    let uuid = &finding["related-observations"][0]["observation-uuid"];
    document["assessment-results"]["results"][0]["observations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|observation| observation["uuid"] == *uuid)
        .unwrap()
}

#[tokio::test]
async fn each_attestation_maps_to_its_objective_status_and_method() {
    let document = document().await;
    for (id, state, status, reason, method) in [
        ("performance.scalability.db-pooling", "verified", "satisfied", "pass", "TEST"),
        ("security.data.secrets", "declared", "satisfied", "pass", "EXAMINE"),
        ("reliability.backup.restore-tested", "attested", "satisfied", "pass", "INTERVIEW"),
        ("security.data.tls-in-transit", "failing", "not-satisfied", "fail", "TEST"),
        ("security.network.ddos", "waived", "not-satisfied", "other", "EXAMINE"),
        ("compliance.privacy.gdpr", "missing", "not-satisfied", "fail", "EXAMINE"),
    ] {
        let finding = finding(&document, id);
        assert_eq!(finding["target"]["status"]["state"], status, "{id}");
        assert_eq!(finding["target"]["status"]["reason"], reason, "{id}");
        assert!(
            finding["props"].as_array().unwrap().iter().any(|p| p["name"] == "attestation" && p["value"] == state),
            "{id}"
        );
        let observation = observation(&document, finding);
        assert!(observation["methods"].as_array().unwrap().iter().any(|m| m == method), "{id}: {observation}");
    }
    let restore = observation(&document, finding(&document, "reliability.backup.restore-tested"));
    assert_eq!(restore["relevant-evidence"][0]["href"], "https://wiki.example.com/restore-drill");
    let tls = observation(&document, finding(&document, "security.data.tls-in-transit"));
    assert_eq!(tls["relevant-evidence"][0]["href"], "readiness/tls:cert");
}

#[tokio::test]
async fn finding_uuids_are_stable_for_a_build_and_differ_between_builds() {
    let (first, second) = (document().await, document().await);
    let uuid = |document: &Value| finding(document, "security.data.secrets")["uuid"].clone();
    assert_eq!(uuid(&first), uuid(&second));
    let mut other_build = checklist_of_version("3.2.0").await;
    let other = oscal::assessment_results(&std::mem::take(&mut other_build));
    assert_ne!(uuid(&first), uuid(&other));
    let v5 = uuid(&first);
    assert_eq!(v5.as_str().unwrap().as_bytes()[14], b'5', "name-based: {v5}");
}

async fn checklist_of_version(version: &str) -> Value {
    let readiness = testing::builder().service("orders", version).build().unwrap();
    checklist::json(&readiness.checklist().await)
}
