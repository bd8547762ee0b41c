//! What a check found: a [`Status`] and an [`Outcome`], and what a check function may return.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The result of a check, and of a whole report.
///
/// Ordered from best to worst, so `a.max(b)` is the worse of two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Healthy.
    Pass,
    /// Healthy, with a concern worth a look.
    Warn,
    /// Unhealthy.
    Fail,
}

impl Status {
    /// The HTTP status code of a response carrying this status: 200 for pass and warn, 503 for
    /// fail. Every endpoint maps status to code through this one function.
    pub const fn http_code(self) -> u16 {
        match self {
            Status::Pass | Status::Warn => 200,
            Status::Fail => 503,
        }
    }

    /// The lowercase name used in every output format.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one run of a check found.
///
/// ```
/// use readiness_core::{Outcome, Status};
///
/// let outcome = Outcome::pass()
///     .with_output("pool healthy")
///     .observed(3, "connections")
///     .evidence("max_connections", "10");
/// assert_eq!(outcome.status, Status::Pass);
/// assert_eq!(outcome.observed_value, Some(3.into()));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Pass, warn or fail.
    pub status: Status,
    /// Human-readable text: why it failed, what it saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// The measured value, if the check measures one (a number, a duration, a count…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_value: Option<serde_json::Value>,
    /// The unit of [`Outcome::observed_value`] (`ms`, `connections`, `days`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_unit: Option<String>,
    /// Key/value facts that back the result up, shown to authorised callers and auditors.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub evidence: BTreeMap<String, String>,
}

impl Outcome {
    /// An outcome with the given status and nothing else.
    pub fn new(status: Status) -> Self {
        Self { status, output: None, observed_value: None, observed_unit: None, evidence: BTreeMap::new() }
    }

    /// A passing outcome.
    pub fn pass() -> Self {
        Self::new(Status::Pass)
    }

    /// A warning with an explanation.
    pub fn warn(output: impl Into<String>) -> Self {
        Self::new(Status::Warn).with_output(output)
    }

    /// The check could not observe what it needs (an unsupported OS, no traffic yet, a missing
    /// permission, logging filtered out): a warning reading `cannot tell: <what>; <fix>`. Never a
    /// pass, so the control is not verified, and never a failure, since nothing was found wrong.
    ///
    /// ```
    /// use readiness_core::{Outcome, Status};
    ///
    /// let outcome = Outcome::cannot_tell("no request seen yet", "send traffic, or wait for the first request");
    /// assert_eq!(outcome.status, Status::Warn);
    /// assert_eq!(
    ///     outcome.output.as_deref(),
    ///     Some("cannot tell: no request seen yet; send traffic, or wait for the first request")
    /// );
    /// ```
    pub fn cannot_tell(what: impl fmt::Display, fix: impl fmt::Display) -> Self {
        Self::warn(format!("cannot tell: {what}; {fix}"))
    }

    /// A failure with an explanation.
    pub fn fail(output: impl Into<String>) -> Self {
        Self::new(Status::Fail).with_output(output)
    }

    /// Sets the human-readable output.
    #[must_use]
    pub fn with_output(mut self, output: impl Into<String>) -> Self {
        self.output = Some(output.into());
        self
    }

    /// Sets the observed value and its unit.
    #[must_use]
    pub fn observed(mut self, value: impl Into<serde_json::Value>, unit: impl Into<String>) -> Self {
        self.observed_value = Some(value.into());
        self.observed_unit = Some(unit.into());
        self
    }

    /// Adds one piece of evidence.
    #[must_use]
    pub fn evidence(mut self, key: impl Into<String>, value: impl fmt::Display) -> Self {
        self.evidence.insert(key.into(), value.to_string());
        self
    }
}

/// Conversion of what a check function returns into an [`Outcome`].
///
/// Implemented for `Outcome` itself and for `Result<Outcome, E>` where `E: Display`: an error
/// becomes a failing outcome whose output is the error's message.
#[diagnostic::on_unimplemented(
    message = "a check must return `Outcome` or `Result<Outcome, E>` where `E: Display`, not `{Self}`",
    label = "not an outcome"
)]
pub trait IntoOutcome {
    /// Converts `self` into an outcome.
    fn into_outcome(self) -> Outcome;
}

impl IntoOutcome for Outcome {
    fn into_outcome(self) -> Outcome {
        self
    }
}

impl<E: fmt::Display> IntoOutcome for Result<Outcome, E> {
    fn into_outcome(self) -> Outcome {
        self.unwrap_or_else(|error| Outcome::fail(error.to_string()))
    }
}

/// Converts what a `#[check]` fn returned; fails to compile, at the fn's return type, unless
/// `T` can be a check's outcome. For generated code.
#[doc(hidden)]
pub fn into_outcome<T: IntoOutcome>(value: T) -> Outcome {
    value.into_outcome()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_maps_to_http_code_and_orders_worst_last() {
        assert_eq!(Status::Pass.http_code(), 200);
        assert_eq!(Status::Warn.http_code(), 200);
        assert_eq!(Status::Fail.http_code(), 503);
        assert_eq!(Status::Pass.max(Status::Warn).max(Status::Pass), Status::Warn);
        assert_eq!(serde_json::to_string(&Status::Fail).unwrap(), "\"fail\"");
    }

    #[test]
    fn an_error_result_becomes_a_failing_outcome() {
        let result: Result<Outcome, String> = Err("pool closed".into());
        let outcome = result.into_outcome();
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(outcome.output.as_deref(), Some("pool closed"));
    }

    #[test]
    fn outcome_serializes_without_empty_fields() {
        let json = serde_json::to_value(Outcome::pass().observed(2.5, "ms")).unwrap();
        assert_eq!(json, serde_json::json!({"status": "pass", "observed_value": 2.5, "observed_unit": "ms"}));
    }
}
