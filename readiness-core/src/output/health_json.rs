//! `application/health+json`, the shape of the IETF "Health Check Response Format for HTTP APIs"
//! draft.
//!
//! ```
//! use readiness_core::output::{Disclosure, health_json};
//! use readiness_core::{CheckSpec, Outcome, Readiness};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let readiness = Readiness::builder()
//!     .service("orders", "1.4.2")
//!     .check_fn(CheckSpec::new("db:connections"), |_| async { Outcome::pass().observed(3, "connections") })
//!     .build()
//!     .unwrap();
//! let body = health_json::render(&readiness.readiness().await, Disclosure::Full);
//! assert_eq!(body["status"], "pass");
//! assert_eq!(body["releaseId"], "1.4.2");
//! assert_eq!(body["checks"]["db:connections"][0]["observedValue"], 3);
//! # }
//! ```

use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;

use super::Disclosure;
use crate::report::{CheckResult, Report};

/// The media type.
pub const CONTENT_TYPE: &str = "application/health+json";

/// Renders a report. With [`Disclosure::Minimal`], each check shows only its status.
pub fn render(report: &Report, disclosure: Disclosure) -> Value {
    let mut checks = Map::new();
    for check in &report.checks {
        let entry = checks.entry(check.name.clone()).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = entry {
            items.push(render_check(check, disclosure));
        }
    }
    let mut body = Map::new();
    body.insert("status".into(), json!(report.status.as_str()));
    body.insert("version".into(), json!(major_version(&report.service.version)));
    body.insert("releaseId".into(), json!(report.service.version));
    body.insert("serviceId".into(), json!(report.service.name));
    if let Some(description) = &report.service.description {
        body.insert("description".into(), json!(description));
    }
    if disclosure == Disclosure::Full {
        body.insert("instance".into(), json!(report.service.instance));
    }
    // Not a detail: it names no control and no check, and a fleet compares it across replicas.
    body.insert("controlSet".into(), json!(report.control_set));
    body.insert("checks".into(), Value::Object(checks));
    body.insert("notes".into(), json!(report.notes));
    Value::Object(body)
}

fn render_check(check: &CheckResult, disclosure: Disclosure) -> Value {
    let mut item = Map::new();
    item.insert("status".into(), json!(check.status.as_str()));
    if disclosure == Disclosure::Minimal {
        return Value::Object(item);
    }
    item.insert("componentId".into(), json!(check.component));
    item.insert("componentType".into(), json!(check.component_type));
    if let Some(value) = &check.outcome.observed_value {
        item.insert("observedValue".into(), value.clone());
    }
    if let Some(unit) = &check.outcome.observed_unit {
        item.insert("observedUnit".into(), json!(unit));
    }
    if let Some(time) = check.time.and_then(|time| time.format(&Rfc3339).ok()) {
        item.insert("time".into(), json!(time));
    }
    if let Some(output) = &check.outcome.output {
        item.insert("output".into(), json!(output));
    }
    item.insert("critical".into(), json!(check.critical));
    item.insert("durationMs".into(), json!(check.duration.as_secs_f64() * 1000.0));
    if !check.controls.is_empty() {
        item.insert("controls".into(), json!(check.controls));
    }
    if !check.outcome.evidence.is_empty() {
        item.insert("evidence".into(), json!(check.outcome.evidence));
    }
    Value::Object(item)
}

/// The public version: the major part of a semantic version (`1` of `1.4.2`, `0.3` of `0.3.1`).
fn major_version(version: &str) -> String {
    let mut parts = version.split('.');
    match (parts.next(), parts.next()) {
        (Some("0"), Some(minor)) => format!("0.{minor}"),
        (Some(major), _) => major.to_owned(),
        (None, _) => version.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::major_version;

    #[test]
    fn the_public_version_is_the_compatibility_part() {
        assert_eq!(major_version("1.4.2"), "1");
        assert_eq!(major_version("0.3.1"), "0.3");
        assert_eq!(major_version("dev"), "dev");
    }
}
