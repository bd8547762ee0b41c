//! Checks: asynchronous runtime self-checks, their outcomes and their settings.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::state::{State, StateMap};

/// A boxed, sendable future: what [`Check::run`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

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

/// Which probe a check answers for. A check may be of several kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckKind {
    /// Is the process alive? Failing liveness makes an orchestrator restart the process, so it
    /// should never depend on anything outside the process.
    Liveness,
    /// Can the process take traffic now? The default kind.
    Readiness,
    /// Has the process finished starting?
    Startup,
}

impl CheckKind {
    /// Every kind, in a fixed order.
    pub const ALL: [CheckKind; 3] = [CheckKind::Liveness, CheckKind::Readiness, CheckKind::Startup];

    /// The lowercase name used in every output format.
    pub const fn as_str(self) -> &'static str {
        match self {
            CheckKind::Liveness => "liveness",
            CheckKind::Readiness => "readiness",
            CheckKind::Startup => "startup",
        }
    }

    const fn bit(self) -> u8 {
        match self {
            CheckKind::Liveness => 1,
            CheckKind::Readiness => 2,
            CheckKind::Startup => 4,
        }
    }
}

impl fmt::Display for CheckKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of [`CheckKind`]s.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Kinds(u8);

impl Kinds {
    /// No kind at all.
    pub const EMPTY: Kinds = Kinds(0);

    /// Only readiness: the default of a new check.
    pub const READINESS: Kinds = Kinds(2);

    /// Whether `kind` is in the set.
    pub const fn contains(self, kind: CheckKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// The set with `kind` added.
    #[must_use]
    pub const fn with(self, kind: CheckKind) -> Kinds {
        Kinds(self.0 | kind.bit())
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kinds in the set, in [`CheckKind::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = CheckKind> {
        CheckKind::ALL.into_iter().filter(move |kind| self.contains(*kind))
    }
}

impl FromIterator<CheckKind> for Kinds {
    fn from_iter<I: IntoIterator<Item = CheckKind>>(iter: I) -> Self {
        iter.into_iter().fold(Kinds::EMPTY, Kinds::with)
    }
}

impl fmt::Debug for Kinds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for Kinds {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
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

/// What a check can see while it runs: the builder's typed state, and its own name.
#[derive(Clone)]
pub struct CheckContext {
    name: Arc<str>,
    state: Arc<StateMap>,
}

impl CheckContext {
    pub(crate) fn new(name: Arc<str>, state: Arc<StateMap>) -> Self {
        Self { name, state }
    }

    /// The running check's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The state value of type `T` given to [`crate::ReadinessBuilder::state`].
    ///
    /// # Errors
    ///
    /// [`crate::MissingState`] when no value of that type was given; its message names the type.
    pub fn state<T: Send + Sync + 'static>(&self) -> Result<State<T>, crate::MissingState> {
        self.state.get::<T>()
    }
}

impl fmt::Debug for CheckContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckContext").field("name", &self.name).finish_non_exhaustive()
    }
}

/// An asynchronous runtime self-check.
///
/// The trait is object safe: the registry stores `Arc<dyn Check>`. Most checks are written with
/// [`check_fn`] or the `#[check]` attribute instead of implementing it by hand.
///
/// ```
/// use readiness_core::{BoxFuture, Check, CheckContext, Outcome};
///
/// struct AlwaysFine;
///
/// impl Check for AlwaysFine {
///     fn run(&self, _ctx: CheckContext) -> BoxFuture<'_, Outcome> {
///         Box::pin(async { Outcome::pass() })
///     }
/// }
/// ```
pub trait Check: Send + Sync + 'static {
    /// Runs the check once. The runner applies timeouts, catches panics and caches the result.
    fn run(&self, ctx: CheckContext) -> BoxFuture<'_, Outcome>;
}

impl<C: Check + ?Sized> Check for Arc<C> {
    fn run(&self, ctx: CheckContext) -> BoxFuture<'_, Outcome> {
        (**self).run(ctx)
    }
}

/// A check made from an async closure, see [`check_fn`].
pub struct FnCheck<F>(F);

impl<F> fmt::Debug for FnCheck<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnCheck")
    }
}

/// Makes a [`Check`] from an async closure that returns an [`Outcome`] or a
/// `Result<Outcome, E: Display>`.
///
/// ```
/// use readiness_core::{check_fn, CheckContext, Outcome};
///
/// let check = check_fn(|_ctx: CheckContext| async { Ok::<_, std::io::Error>(Outcome::pass()) });
/// # let _ = check;
/// ```
pub fn check_fn<F, Fut>(f: F) -> FnCheck<F>
where
    F: Fn(CheckContext) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
{
    FnCheck(f)
}

impl<F, Fut> Check for FnCheck<F>
where
    F: Fn(CheckContext) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
{
    fn run(&self, ctx: CheckContext) -> BoxFuture<'_, Outcome> {
        let future = (self.0)(ctx);
        Box::pin(async move { future.await.into_outcome() })
    }
}

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
    fn status_maps_to_http_code_and_orders_worst_last() {
        assert_eq!(Status::Pass.http_code(), 200);
        assert_eq!(Status::Warn.http_code(), 200);
        assert_eq!(Status::Fail.http_code(), 503);
        assert_eq!(Status::Pass.max(Status::Warn).max(Status::Pass), Status::Warn);
        assert_eq!(serde_json::to_string(&Status::Fail).unwrap(), "\"fail\"");
    }

    #[test]
    fn kinds_default_to_readiness_and_serialize_as_a_list() {
        let spec = CheckSpec::new("a:b");
        assert_eq!(spec.kinds(), Kinds::READINESS);
        let spec = spec.kind(CheckKind::Liveness).kind(CheckKind::Startup);
        assert!(!spec.kinds().contains(CheckKind::Readiness));
        assert_eq!(serde_json::to_string(&spec.kinds()).unwrap(), r#"["liveness","startup"]"#);
        assert_eq!(spec.component(), "a");
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
