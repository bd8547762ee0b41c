//! A check's settings ([`CheckSpec`]) and a check paired with them ([`CheckRegistration`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::check::{Check, CheckKind, Kinds, check_fn};
use crate::outcome::Outcome;

/// The settings of one check: its name, the controls it proves, its kinds, criticality,
/// timing and flap damping.
///
/// ```
/// use std::time::Duration;
/// use readiness_core::{CheckKind, CheckSpec};
///
/// let spec = CheckSpec::new("db:connections")
///     .control("performance.scalability.db-pooling")
///     .kind(CheckKind::Readiness)
///     .critical()
///     .timeout(Duration::from_millis(500))
///     .interval(Duration::from_secs(10));
/// assert_eq!(spec.name(), "db:connections");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CheckSpec {
    pub(crate) name: String,
    pub(crate) controls: Vec<String>,
    pub(crate) kinds: Kinds,
    pub(crate) critical: bool,
    pub(crate) timeout: Option<Duration>,
    pub(crate) interval: Option<Duration>,
    pub(crate) initial_delay: Option<Duration>,
    pub(crate) ttl: Option<Duration>,
    pub(crate) fail_after: u32,
    pub(crate) pass_after: u32,
    pub(crate) component_type: Option<String>,
    pub(crate) description: Option<String>,
}

impl CheckSpec {
    /// A check named `component:measurement` (for example `db:connections`), of kind readiness,
    /// not critical, with the runner's default timing.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            controls: Vec::new(),
            kinds: Kinds::EMPTY,
            critical: false,
            timeout: None,
            interval: None,
            initial_delay: None,
            ttl: None,
            fail_after: 1,
            pass_after: 1,
            component_type: None,
            description: None,
        }
    }

    /// Another name, `component:measurement`: for a second instance of a built-in check (two
    /// certificates, two pools).
    #[must_use]
    pub fn rename(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Binds the check to a control it proves. May be called several times.
    #[must_use]
    pub fn control(mut self, id: impl Into<String>) -> Self {
        self.controls.push(id.into());
        self
    }

    /// Adds a kind. Without any, a check is of kind readiness only.
    #[must_use]
    pub fn kind(mut self, kind: CheckKind) -> Self {
        self.kinds = self.kinds.with(kind);
        self
    }

    /// Makes the check critical: when it fails, readiness fails. A non-critical failing check
    /// only makes the report warn.
    #[must_use]
    pub fn critical(mut self) -> Self {
        self.critical = true;
        self
    }

    /// Sets whether the check is critical.
    #[must_use]
    pub fn set_critical(mut self, critical: bool) -> Self {
        self.critical = critical;
        self
    }

    /// The longest one run may take before it counts as failed.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Runs the check in the background every `interval` instead of on demand; requests read
    /// its last result and never wait for it.
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = Some(interval);
        self
    }

    /// How long a background check waits before its first run (default: none, plus jitter).
    #[must_use]
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = Some(delay);
        self
    }

    /// How long an on-demand result is reused before the check runs again.
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// How many consecutive failures it takes before the check reports `fail` (default 1).
    #[must_use]
    pub fn fail_after(mut self, runs: u32) -> Self {
        self.fail_after = runs;
        self
    }

    /// How many consecutive successes it takes before a failing check reports healthy again
    /// (default 1).
    #[must_use]
    pub fn pass_after(mut self, runs: u32) -> Self {
        self.pass_after = runs;
        self
    }

    /// The `componentType` of the health+json output (`datastore`, `system`, `component`…).
    #[must_use]
    pub fn component_type(mut self, component_type: impl Into<String>) -> Self {
        self.component_type = Some(component_type.into());
        self
    }

    /// A one-line description of what the check proves.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The check's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The controls the check proves.
    pub fn controls(&self) -> &[String] {
        &self.controls
    }

    /// The check's kinds (readiness when none was set).
    pub fn kinds(&self) -> Kinds {
        if self.kinds.is_empty() { Kinds::READINESS } else { self.kinds }
    }

    /// Whether the check is critical.
    pub fn is_critical(&self) -> bool {
        self.critical
    }

    /// The background interval, if the check runs in the background.
    pub fn run_interval(&self) -> Option<Duration> {
        self.interval
    }

    /// The component part of the name (before the first `:`).
    pub fn component(&self) -> &str {
        self.name.split_once(':').map_or(self.name.as_str(), |(component, _)| component)
    }
}

/// A check with its settings, ready to be added to a builder.
#[derive(Clone)]
pub struct CheckRegistration {
    pub(crate) spec: CheckSpec,
    pub(crate) check: Arc<dyn Check>,
}

impl CheckRegistration {
    /// Pairs settings with a check.
    pub fn new(spec: CheckSpec, check: impl Check) -> Self {
        Self { spec, check: Arc::new(check) }
    }

    /// A check that cannot run because the service is not configured for it: it fails with
    /// `not configured: <fix>`, where `fix` says what to set. For a built-in whose input (a
    /// secret, a file, a URL) is missing, so the checklist shows the gap and how to close it
    /// instead of leaving the control silently unproven.
    ///
    /// ```
    /// use readiness_core::{CheckRegistration, CheckSpec, Readiness, Status};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let tls = CheckRegistration::not_configured(
    ///     CheckSpec::new("tls:certificate").control("security.data.tls-in-transit"),
    ///     "set TLS_CERT_FILE to the PEM file served in front of this service",
    /// );
    /// let readiness = readiness_core::testing::builder().register(tls).build().unwrap();
    /// let check = &readiness.checklist().await.checks[0];
    /// assert_eq!(check.outcome.status, Status::Fail);
    /// assert_eq!(
    ///     check.outcome.output.as_deref(),
    ///     Some("not configured: set TLS_CERT_FILE to the PEM file served in front of this service")
    /// );
    /// # }
    /// ```
    pub fn not_configured(spec: CheckSpec, fix: impl Into<String>) -> Self {
        let outcome = Outcome::fail(format!("not configured: {}", fix.into()));
        Self::new(
            spec,
            check_fn(move |_| {
                let outcome = outcome.clone();
                async move { outcome }
            }),
        )
    }

    /// The settings.
    pub fn spec(&self) -> &CheckSpec {
        &self.spec
    }

    /// Changes the settings of a ready-made check, such as a built-in: make it critical, give it
    /// an interval, rename a second instance. The check itself is unchanged.
    ///
    /// ```
    /// use std::time::Duration;
    /// use readiness_core::{CheckRegistration, CheckSpec, Outcome, check_fn};
    ///
    /// let builtin = CheckRegistration::new(CheckSpec::new("tls:certificate"), check_fn(|_| async { Outcome::pass() }));
    /// let api_cert = builtin.map_spec(|spec| spec.rename("tls:api-certificate").critical().interval(Duration::from_secs(3600)));
    /// assert_eq!(api_cert.spec().name(), "tls:api-certificate");
    /// assert!(api_cert.spec().is_critical());
    /// ```
    #[must_use]
    pub fn map_spec(mut self, change: impl FnOnce(CheckSpec) -> CheckSpec) -> Self {
        self.spec = change(self.spec);
        self
    }
}

impl fmt::Debug for CheckRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckRegistration").field("spec", &self.spec).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_default_to_readiness_and_serialize_as_a_list() {
        let spec = CheckSpec::new("a:b");
        assert_eq!(spec.kinds(), Kinds::READINESS);
        let spec = spec.kind(CheckKind::Liveness).kind(CheckKind::Startup);
        assert!(!spec.kinds().contains(CheckKind::Readiness));
        assert_eq!(serde_json::to_string(&spec.kinds()).unwrap(), r#"["liveness","startup"]"#);
        assert_eq!(spec.component(), "a");
    }
}
