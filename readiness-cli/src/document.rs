//! A checklist document as the CLI reads it: the JSON of `/readiness/checklist`, or the same
//! inside an in-toto statement (its predicate) or a DSSE envelope (its payload).

use base64::Engine as _;
use readiness_core::attestation::AttestationState;
use readiness_core::{Profile, Standing, Verdict};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::CannotEvaluate;

/// A checklist: the service, its profile's name and verdict, and each control's standing.
#[derive(Debug)]
pub(crate) struct Checklist {
    pub(crate) service: Service,
    /// The overall status: `pass`, `warn` or `fail`.
    pub(crate) status: String,
    pub(crate) profile: String,
    pub(crate) verdict: Option<Verdict>,
    pub(crate) timing: Option<Timing>,
    /// The control-set hash, when the service publishes one.
    pub(crate) control_set: Option<String>,
    pub(crate) controls: Vec<Entry>,
    /// The checklist document itself (unwrapped from an envelope or a statement).
    pub(crate) document: Value,
}

/// Who the checklist is about.
#[derive(Debug, Deserialize)]
pub(crate) struct Service {
    pub(crate) name: String,
    pub(crate) version: String,
    #[serde(default)]
    pub(crate) instance: String,
    #[serde(default)]
    pub(crate) build: Map<String, Value>,
}

/// How long a report may take, as the service publishes it.
#[derive(Debug, Clone, Copy, Deserialize)]
pub(crate) struct Timing {
    pub(crate) deadline_ms: f64,
    pub(crate) longest_check_timeout_ms: f64,
}

/// One control of the checklist.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) standing: Standing,
}

impl Entry {
    pub(crate) fn id(&self) -> &str {
        &self.standing.control.id
    }

    pub(crate) fn state(&self) -> AttestationState {
        self.standing.attestation
    }
}

#[derive(Deserialize)]
struct Raw {
    service: Service,
    #[serde(default)]
    status: String,
    #[serde(default)]
    profile: String,
    #[serde(default)]
    verdict: Option<Verdict>,
    #[serde(default)]
    timing: Option<Timing>,
    #[serde(default)]
    control_set: Option<String>,
    controls: Vec<Value>,
}

impl Checklist {
    /// Reads a checklist from `document`, unwrapping a DSSE envelope and an in-toto
    /// statement. `origin` names where it came from, for messages.
    pub(crate) fn from_json(document: Value, origin: &str) -> Result<Self, CannotEvaluate> {
        let document = unwrap(document, origin)?;
        let raw: Raw = serde_json::from_value(document.clone())
            .map_err(|error| format!("{origin} is not a readiness checklist document: {error}"))?;
        let mut controls = Vec::with_capacity(raw.controls.len());
        for (index, control) in raw.controls.into_iter().enumerate() {
            let standing: Standing = serde_json::from_value(control)
                .map_err(|error| format!("{origin}: control #{index} cannot be read: {error}"))?;
            controls.push(Entry { standing });
        }
        Ok(Self {
            service: raw.service,
            status: raw.status,
            profile: raw.profile,
            verdict: raw.verdict,
            timing: raw.timing,
            control_set: raw.control_set,
            controls,
            document,
        })
    }

    /// The controls as the catalog lists them, for checking a profile's names.
    pub(crate) fn catalog(&self) -> Vec<readiness_core::catalog::Control> {
        self.controls.iter().map(|entry| entry.standing.control.clone()).collect()
    }

    /// A profile applied to the controls.
    pub(crate) fn evaluate(&self, profile: &Profile) -> Verdict {
        Verdict::evaluate(profile, self.controls.iter().map(|entry| entry.standing.clone()))
    }

    /// `name version (instance)`.
    pub(crate) fn who(&self) -> String {
        let Service { name, version, instance, .. } = &self.service;
        if instance.is_empty() { format!("{name} {version}") } else { format!("{name} {version} ({instance})") }
    }
}

/// The checklist inside an envelope or a statement, or the document itself.
fn unwrap(document: Value, origin: &str) -> Result<Value, CannotEvaluate> {
    if let (Some(payload), Some(_)) = (document.get("payload"), document.get("payloadType")) {
        let payload = payload.as_str().ok_or_else(|| format!("{origin}: the envelope's payload is not a string"))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(payload)
            .map_err(|error| format!("{origin}: the envelope's payload is not base64: {error}"))?;
        let statement: Value = serde_json::from_slice(&bytes)
            .map_err(|error| format!("{origin}: the envelope's payload is not JSON: {error}"))?;
        return unwrap(statement, origin);
    }
    if document
        .get("_type")
        .and_then(Value::as_str)
        .is_some_and(|kind| kind.starts_with("https://in-toto.io/Statement"))
    {
        return document
            .get("predicate")
            .cloned()
            .ok_or_else(|| format!("{origin}: the statement has no predicate").into());
    }
    Ok(document)
}
