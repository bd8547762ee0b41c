//! The statement's predicate against its published JSON Schema
//! (`docs/predicate/checklist-v1.schema.json`): what the library renders validates, and what a
//! verifier must not accept does not.

use std::time::Duration;

use readiness_core::attestation::{Declaration, OperatorAttestation, SourceLocation, Waiver};
use readiness_core::output::in_toto;
use readiness_core::{CheckSpec, Outcome, Profile, testing};
use serde_json::{Value, json};

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(include_str!("../../docs/predicate/checklist-v1.schema.json")).unwrap();
    jsonschema::options().should_validate_formats(true).build(&schema).expect("the schema is a valid 2020-12 schema")
}

fn errors(predicate: &Value) -> Vec<String> {
    validator().iter_errors(predicate).map(|error| format!("{} at {}", error, error.instance_path())).collect()
}

/// A statement with every kind of control entry: verified, failing, declared in code, attested,
/// waived, missing; a ladder verdict; a nonce.
async fn predicate() -> Value {
    let mut declaration = Declaration::new("security.auth.rbac", "middleware on /admin");
    declaration.source =
        Some(SourceLocation { file: "src/api.rs".into(), line: 42, column: 1, module: "orders::api".into() });
    declaration.item = Some("fn admin".into());
    let readiness = testing::builder()
        .service("orders", "4.0.0")
        .profile(Profile::levels())
        .declare(declaration)
        .check_fn(CheckSpec::new("db:pool").control("performance.scalability.db-pooling"), |_| async {
            Outcome::pass()
        })
        .check_fn(CheckSpec::new("tls:cert").control("security.data.tls-in-transit"), |_| async {
            Outcome::fail("expired")
        })
        .attest(OperatorAttestation {
            control: "reliability.backup.restore-tested".into(),
            by: "ops".into(),
            on: time::OffsetDateTime::now_utc().date(),
            valid_for: Duration::from_secs(30 * 86_400),
            evidence: "https://wiki.example.com/drill".into(),
        })
        .waive(Waiver {
            control: "security.network.ddos".into(),
            reason: "CDN".into(),
            until: time::macros::date!(2099 - 12 - 31),
        })
        .build()
        .unwrap();
    let report = readiness.settled_checklist().await;
    let freshness = in_toto::Freshness::new(Duration::from_secs(600)).nonce("n-1").unwrap();
    in_toto::statement(&report, &in_toto::Subject::new("orders", "ab".repeat(32)), &freshness)["predicate"].clone()
}

#[tokio::test]
async fn the_rendered_predicate_validates_and_so_does_an_unsigned_one() {
    let predicate = predicate().await;
    assert_eq!(errors(&predicate), Vec::<String>::new());
    let waived = predicate["controls"].as_array().unwrap().iter().find(|c| c["id"] == "security.network.ddos").unwrap();
    assert_eq!(waived["waiver"]["until"], "2099-12-31", "days are calendar dates");
    let mut statement = json!({"predicate": predicate});
    in_toto::mark_unsigned(&mut statement);
    assert_eq!(errors(&statement["predicate"]), Vec::<String>::new());
}

/// One way to break a predicate.
type Break = fn(&mut Value);

#[tokio::test]
async fn a_predicate_a_verifier_must_not_accept_does_not_validate() {
    let good = predicate().await;
    let broken: [(&str, Break); 7] = [
        ("an unknown attestation state", |p| p["controls"][0]["attestation"] = json!("great")),
        ("no control-set hash", |p| {
            p.as_object_mut().unwrap().remove("control_set");
        }),
        ("no expiry", |p| {
            p.as_object_mut().unwrap().remove("expires_at");
        }),
        ("a nonce with a space", |p| p["nonce"] = json!("a b")),
        ("a date as time's default pair", |p| {
            let controls = p["controls"].as_array_mut().unwrap();
            let waived = controls.iter_mut().find(|c| c["id"] == "security.network.ddos").unwrap();
            waived["waiver"]["until"] = json!([2099, 365]);
        }),
        ("a generated_at that is no date-time", |p| p["generated_at"] = json!("yesterday")),
        ("an unmet control in a satisfying state", |p| p["verdict"]["unmet"][0]["state"] = json!("verified")),
    ];
    for (what, breaks) in broken {
        let mut predicate = good.clone();
        breaks(&mut predicate);
        assert!(!errors(&predicate).is_empty(), "{what} validated");
    }
}
