//! What a check returns is masked and bounded before any report shows it, whatever its shape:
//! strings and keys nested in an observed JSON value, numbers holding a secret's digits, a huge
//! value, a flood of evidence. Through a real `Readiness`, as every output format reads it.

use readiness_core::{CheckSpec, Outcome, ReadinessBuilder, Status, masking, testing};
use serde_json::{Value, json};

const SECRET: &str = "sanitize-secret-51c0ffee";
/// A secret made of digits, as a PIN or an account number is.
const NUMERIC_SECRET: &str = "8675309112233";

/// The outcome a check returning `outcome` shows in a report of `builder`.
async fn reported_in(builder: ReadinessBuilder, outcome: Outcome) -> Outcome {
    masking::register_secret(SECRET);
    masking::register_secret(NUMERIC_SECRET);
    let readiness = builder
        .check_fn(CheckSpec::new("probe:shape"), move |_| {
            let outcome = outcome.clone();
            async move { outcome }
        })
        .build()
        .unwrap();
    let report = readiness.checklist().await;
    let check = report.checks.into_iter().find(|check| check.name == "probe:shape").unwrap();
    assert_eq!(check.status, Status::Pass);
    check.outcome
}

async fn reported(outcome: Outcome) -> Outcome {
    reported_in(testing::builder(), outcome).await
}

/// Every form the report can leave in: the JSON of the outcome.
fn shown(outcome: &Outcome) -> String {
    serde_json::to_string(outcome).unwrap()
}

#[tokio::test]
async fn a_secret_nested_in_an_observed_value_is_masked() {
    let value = json!({
        "pools": [
            { "url": format!("postgres://db/app?token-ish={SECRET}"), "size": 5 },
            [1, 2, [format!("deep {SECRET} deeper")]],
        ],
        SECRET: "a key",
        "plain": "kept",
    });
    let outcome = reported(Outcome::pass().observed(value, "pools")).await;
    let text = shown(&outcome);
    assert!(!text.contains(SECRET), "{text}");
    let value = outcome.observed_value.unwrap();
    // The shape is kept: only the secret is replaced.
    assert_eq!(value["pools"][0]["url"], json!("postgres://db/app?token-ish=[REDACTED]"));
    assert_eq!(value["pools"][0]["size"], json!(5));
    assert_eq!(value["pools"][1][2][0], json!("deep [REDACTED] deeper"));
    assert_eq!(value[masking::MARKER], json!("a key"));
    assert_eq!(value["plain"], json!("kept"));
}

#[tokio::test]
async fn a_number_holding_a_secret_becomes_the_marker() {
    let numeric: u64 = NUMERIC_SECRET.parse().unwrap();
    let outcome = reported(Outcome::pass().observed(json!([numeric, numeric * 10 + 7, 42]), "accounts")).await;
    assert!(!shown(&outcome).contains(NUMERIC_SECRET), "{}", shown(&outcome));
    assert_eq!(outcome.observed_value, Some(json!([masking::MARKER, masking::MARKER, 42])));

    let outcome = reported(Outcome::pass().observed(numeric, "account")).await;
    assert_eq!(outcome.observed_value, Some(json!(masking::MARKER)));
}

#[tokio::test]
async fn a_huge_observed_value_is_bounded_to_its_json_cut_short() {
    let huge: Vec<u32> = (0..200_000).collect();
    let outcome = reported(Outcome::pass().observed(huge, "rows")).await;
    let Some(Value::String(text)) = outcome.observed_value else {
        panic!("a value too large is replaced by a string: {:?}", outcome.observed_value);
    };
    assert!(text.len() <= 1024, "{} bytes", text.len());
    assert!(text.starts_with("[0,1,2,3,") && text.ends_with('…'), "{text}");

    // The limit is the builder's.
    let outcome = reported_in(
        testing::builder().max_output_bytes(64),
        Outcome::pass().observed(json!({"a": "b".repeat(100)}), "x"),
    )
    .await;
    let Some(Value::String(text)) = outcome.observed_value else { panic!("{:?}", outcome.observed_value) };
    assert!(text.len() <= 64 && text.starts_with(r#"{"a":"bbb"#), "{text}");

    // A value that fits is left as it is.
    let small = json!({"p50_ms": 3, "p99_ms": [12, 40]});
    assert_eq!(reported(Outcome::pass().observed(small.clone(), "ms")).await.observed_value, Some(small));
}

#[tokio::test]
async fn a_value_is_masked_before_it_is_cut() {
    // Cut first, the limit could fall inside the secret and leave its start in the report.
    for padding in 1000..1030 {
        let value = json!([format!("{}{SECRET}", "a".repeat(padding))]);
        let outcome = reported(Outcome::pass().observed(value, "x")).await;
        let text = shown(&outcome);
        assert!(!text.contains(&SECRET[..12]), "padding {padding}: {text}");
    }
}

#[tokio::test]
async fn evidence_is_capped_with_an_entry_saying_how_many_were_left_out() {
    let mut outcome = Outcome::pass();
    for index in 0..1000 {
        outcome = outcome.evidence(format!("row_{index:04}"), format!("value {index} {SECRET}"));
    }
    let outcome = reported(outcome).await;
    assert_eq!(outcome.evidence.len(), 128, "{:?}", outcome.evidence.keys().collect::<Vec<_>>());
    assert_eq!(
        outcome.evidence.get("evidence_left_out").map(String::as_str),
        Some("873 more entries left out (at most 128 are kept)")
    );
    assert_eq!(outcome.evidence.get("row_0000").map(String::as_str), Some("value 0 [REDACTED]"));
    assert!(!shown(&outcome).contains(SECRET));

    // Up to the cap, every entry stays and no note is added.
    let mut outcome = Outcome::pass();
    for index in 0..32 {
        outcome = outcome.evidence(format!("row_{index:02}"), index);
    }
    let outcome = reported(outcome).await;
    assert_eq!(outcome.evidence.len(), 32);
    assert!(!outcome.evidence.contains_key("evidence_left_out"));
}
