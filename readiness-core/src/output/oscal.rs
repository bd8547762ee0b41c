//! The checklist as an [OSCAL 1.1](https://pages.nist.gov/OSCAL/) assessment-results document:
//! one result, and for each control an observation (how it was assessed, the evidence, where it
//! is declared) and a finding whose objective status follows its attestation.
//!
//! It renders the checklist's JSON document ([`super::checklist::json`]), the shape a service
//! publishes, so a saved checklist converts as well as a live report
//! (`readiness check --format oscal`).
//!
//! **UUIDs** are name-based (version 5) under one namespace of this project, so two runs of one
//! build are comparable: each control's observation and finding keep their UUIDs across runs of
//! the same build (service, version, commit), while the document's and the result's change with
//! every report.
//!
//! ```
//! use readiness_core::output::{checklist, oscal};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let readiness = readiness_core::testing::builder().service("orders", "1.0.0").build().unwrap();
//! let document = oscal::assessment_results(&checklist::json(&readiness.checklist().await));
//! let results = &document["assessment-results"];
//! assert_eq!(results["metadata"]["oscal-version"], oscal::OSCAL_VERSION);
//! let findings = results["results"][0]["findings"].as_array().unwrap();
//! let secrets = findings.iter().find(|f| f["target"]["target-id"] == "security.data.secrets").unwrap();
//! assert_eq!(secrets["target"]["status"]["state"], "not-satisfied");
//! # }
//! ```

use serde_json::{Value, json};
use uuid::Uuid;

/// The OSCAL version the documents follow.
pub const OSCAL_VERSION: &str = "1.1.2";

/// The media type of an OSCAL JSON document.
pub const CONTENT_TYPE: &str = "application/oscal+json";

/// The namespace of the name-based UUIDs (itself `uuid5(URL, "https://readiness.dev/oscal")`).
const NAMESPACE: Uuid = Uuid::from_u128(0xbe48_1ee4_c3e5_527e_ae3e_13ef_8fe7_e472);

/// The namespace of this project's OSCAL properties.
const PROPS_NS: &str = "https://readiness.dev/ns/oscal";

/// The assessment results of a checklist document.
pub fn assessment_results(checklist: &Value) -> Value {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let service = &checklist["service"];
    let (name, version) = (text(&service["name"]), text(&service["version"]));
    let commit = text(&service["build"]["commit"]);
    let generated_at = text(&checklist["generated_at"]);
    let build = format!("{name}\u{0}{version}\u{0}{commit}");
    let run = format!("{build}\u{0}{generated_at}\u{0}{}", text(&service["instance"]));
    let profile = text(&checklist["profile"]);
    let mut observations = Vec::new();
    let mut findings = Vec::new();
    for control in checklist["controls"].as_array().into_iter().flatten() {
        let id = text(&control["id"]);
        let state = text(&control["attestation"]);
        let observation = uuid(&format!("{build}\u{0}observation\u{0}{id}"));
        observations.push(observation_of(control, &id, &state, observation.clone(), &generated_at));
        let satisfied = matches!(state.as_str(), "verified" | "declared" | "attested");
        let reason = match state.as_str() {
            _ if satisfied => "pass",
            "waived" => "other",
            _ => "fail",
        };
        findings.push(json!({
            "uuid": uuid(&format!("{build}\u{0}finding\u{0}{id}")),
            "title": text(&control["title"]),
            "description": format!("{id} is {state}{}", control["evidence"].as_str().map(|e| format!(": {e}")).unwrap_or_default()),
            "props": [
                prop("attestation", &state),
                prop("required", if control["required"].as_bool() == Some(true) { "true" } else { "false" }),
                prop("catalog", &text(&control["catalog"])),
            ],
            "target": {
                "type": "objective-id",
                "target-id": id,
                "status": {"state": if satisfied { "satisfied" } else { "not-satisfied" }, "reason": reason},
            },
            "related-observations": [{"observation-uuid": observation}],
        }));
    }
    let verdict = checklist["verdict"]["profile"].as_str().map(|_| {
        let met = checklist["verdict"]["met"].as_bool() == Some(true);
        let level = checklist["verdict"]["level"].as_str().unwrap_or("none");
        format!("; profile `{profile}` {}, level {level}", if met { "met" } else { "not met" })
    });
    json!({
        "assessment-results": {
            "uuid": uuid(&format!("{run}\u{0}document")),
            "metadata": {
                "title": format!("Production readiness of {name} {version}"),
                "last-modified": generated_at,
                "version": version,
                "oscal-version": OSCAL_VERSION,
                "props": [prop("control-set", &text(&checklist["control_set"]))],
            },
            "import-ap": {"href": format!("urn:readiness:profile:{}", token(&profile))},
            "results": [{
                "uuid": uuid(&format!("{run}\u{0}result")),
                "title": format!("{name} {version} ({}) attests its own readiness", text(&service["instance"])),
                "description": format!(
                    "Status {}{}: what the running service verified, what its code declares, what operators attested.",
                    text(&checklist["status"]),
                    verdict.unwrap_or_default()
                ),
                "start": generated_at,
                "end": generated_at,
                "reviewed-controls": {"control-selections": [{"include-all": {}}]},
                "observations": observations,
                "findings": findings,
            }],
        }
    })
}

/// How one control was assessed, and the evidence.
fn observation_of(control: &Value, id: &str, state: &str, uuid: String, collected: &str) -> Value {
    let checks: Vec<&str> = control["checks"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let declarations = control["declarations"].as_array().map_or(0, Vec::len);
    let operator = control.get("operator").filter(|operator| !operator.is_null());
    let mut methods = Vec::new();
    if !checks.is_empty() {
        methods.push("TEST");
    }
    if declarations > 0 || methods.is_empty() {
        methods.push("EXAMINE");
    }
    if operator.is_some() {
        methods.push("INTERVIEW");
    }
    let mut evidence = Vec::new();
    for check in &checks {
        evidence.push(json!({
            "href": format!("readiness/{check}"),
            "description": format!("the runtime check `{check}`"),
        }));
    }
    if let Some(source) = control.get("source").filter(|source| !source.is_null()) {
        evidence.push(json!({
            "href": format!("{}#L{}", source["file"].as_str().unwrap_or_default(), source["line"]),
            "description": format!("declared in `{}`", source["module"].as_str().unwrap_or_default()),
        }));
    }
    if let Some(operator) = operator {
        let what = operator["evidence"].as_str().unwrap_or_default();
        evidence.push(json!({
            "href": if what.starts_with("https://") || what.starts_with("http://") { what.to_owned() } else { "#operator".to_owned() },
            "description": format!("attested by {} on {}: {what}", operator["by"].as_str().unwrap_or_default(), operator["on"].as_str().unwrap_or_default()),
        }));
    }
    let mut observation = json!({
        "uuid": uuid,
        "title": id,
        "description": control["evidence"].as_str().map_or_else(|| format!("nothing speaks for {id}"), str::to_owned),
        "props": [prop("attestation", state)],
        "methods": methods,
        "collected": collected,
    });
    if !evidence.is_empty() {
        observation["relevant-evidence"] = json!(evidence);
    }
    observation
}

fn prop(name: &str, value: &str) -> Value {
    // OSCAL requires a non-empty value.
    json!({"name": name, "ns": PROPS_NS, "value": if value.is_empty() { "unknown" } else { value }})
}

fn uuid(name: &str) -> String {
    Uuid::new_v5(&NAMESPACE, name.as_bytes()).to_string()
}

/// A profile name as a URN segment: characters outside `A-Z a-z 0-9 - . _` become `-`.
fn token(name: &str) -> String {
    let token: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') { c } else { '-' }).collect();
    if token.is_empty() { "none".to_owned() } else { token }
}
