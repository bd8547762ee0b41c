//! `upstream:<name>`: an upstream HTTP service this one depends on is reachable and healthy, as
//! its own health+json report (`GET /readiness` of a service using readiness, or any IETF
//! health-check endpoint) says.
//!
//! ```no_run
//! use readiness_core::checks::upstream::UpstreamCheck;
//!
//! let payments = UpstreamCheck::new("payments", "https://payments.internal/readiness").unwrap();
//! let readiness = readiness_core::Readiness::builder().register(payments).build();
//! # let _ = readiness;
//! ```
//!
//! **No cascade.** When every service fails as soon as one of its dependencies does, one
//! database outage fails the readiness of every service in the call graph, and the orchestrator
//! takes them all out of service at once. So, by default:
//!
//! * the check is **not critical**: a failing upstream makes this service's readiness *warn*,
//!   not fail ([`UpstreamCheck::critical`] to change that);
//! * an upstream that answers and reports `fail` itself — its own dependency failing, as far as
//!   this service can tell — is a **warn** here, with its failing checks named
//!   ([`UpstreamCheck::propagate_failure`] to fail instead);
//! * `warn` stays `warn`, `pass` passes.
//!
//! It fails when the upstream cannot be asked: refused, unreachable, no answer within the
//! timeout (800 ms unless set), a server error without a health report, or an answer that is no
//! health report at all.

use std::fmt;
use std::time::{Duration, Instant};

use readiness_rules::format_duration;
use serde_json::Value;

use crate::check::check_fn;
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

/// The timeout unless [`UpstreamCheck::timeout`] sets another: the runner's default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(800);

/// The largest report read from an upstream.
const MAX_BODY: usize = 256 * 1024;

/// The upstream check with its options; register it as it is.
#[must_use]
pub struct UpstreamCheck {
    name: String,
    url: reqwest::Url,
    timeout: Duration,
    critical: bool,
    propagate: bool,
    client: reqwest::Client,
}

/// An upstream check that cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidUpstream {
    /// The URL is not an `http` or `https` URL.
    #[error("the upstream URL is not an http(s) URL")]
    Url,
    /// `upstream:<name>` is not a valid check name.
    #[error("`upstream:{0}` is not a valid check name")]
    Name(String),
    /// No HTTP client could be made (its TLS backend failed to start).
    #[error("no HTTP client could be made: {0}")]
    Client(String),
}

impl UpstreamCheck {
    /// The check `upstream:<name>` of the health report at `url`.
    ///
    /// # Errors
    ///
    /// [`InvalidUpstream`] for a URL that is not http(s), or a name that makes no check name.
    pub fn new(name: &str, url: &str) -> Result<Self, InvalidUpstream> {
        let check_name = format!("upstream:{name}");
        if !readiness_rules::is_valid_check_name(&check_name) {
            return Err(InvalidUpstream::Name(name.to_owned()));
        }
        let url = reqwest::Url::parse(url).map_err(|_| InvalidUpstream::Url)?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(InvalidUpstream::Url);
        }
        if let Some(password) = url.password() {
            crate::masking::register_secret(password);
        }
        let client = reqwest::Client::builder().build().map_err(|error| InvalidUpstream::Client(error.to_string()))?;
        Ok(Self { name: check_name, url, timeout: DEFAULT_TIMEOUT, critical: false, propagate: false, client })
    }

    /// The longest one run may take, connecting included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Makes the check critical: a failing upstream fails this service's readiness.
    pub fn critical(mut self) -> Self {
        self.critical = true;
        self
    }

    /// An upstream that reports `fail` itself fails this check too, instead of warning.
    pub fn propagate_failure(mut self) -> Self {
        self.propagate = true;
        self
    }

    /// The HTTP client to ask with (its TLS roots, proxy, headers); a default one otherwise.
    pub fn client(mut self, client: reqwest::Client) -> Self {
        self.client = client;
        self
    }

    /// The URL as it may be shown: without user and password.
    fn shown(&self) -> String {
        let mut url = self.url.clone();
        let _ = url.set_username("");
        let _ = url.set_password(None);
        url.to_string()
    }

    async fn run(&self) -> Outcome {
        let client = &self.client;
        let started = Instant::now();
        let shown = self.shown();
        let request = client
            .get(self.url.clone())
            .header(reqwest::header::ACCEPT, "application/health+json, application/json;q=0.9");
        let response = match tokio::time::timeout(self.timeout, request.send()).await {
            Err(_) => return Outcome::fail(format!("{shown} did not answer within {}", format_duration(self.timeout))),
            Ok(Err(error)) if error.is_connect() => {
                return Outcome::fail(format!("{shown} cannot be reached: {}", cause(&error)));
            }
            Ok(Err(error)) => return Outcome::fail(format!("{shown}: {}", cause(&error))),
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        let remaining = self.timeout.saturating_sub(started.elapsed());
        let body = match tokio::time::timeout(remaining, response.bytes()).await {
            Err(_) => {
                return Outcome::fail(format!(
                    "{shown} did not finish its answer within {}",
                    format_duration(self.timeout)
                ));
            }
            Ok(Err(error)) => {
                return Outcome::fail(format!("{shown}: the answer could not be read: {}", cause(&error)));
            }
            Ok(Ok(body)) => body,
        };
        let elapsed_ms = (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
        let report: Option<Value> = (body.len() <= MAX_BODY).then(|| serde_json::from_slice(&body).ok()).flatten();
        let reported = report.as_ref().and_then(|report| report.get("status")).and_then(Value::as_str);
        let outcome = match reported {
            Some("pass" | "ok" | "up") => Outcome::pass().with_output(format!("{shown}: pass ({status})")),
            Some("warn") => Outcome::warn(format!("{shown}: warn{}", detail(report.as_ref(), "warn"))),
            Some("fail" | "error" | "down") if self.propagate => {
                Outcome::fail(format!("{shown}: fail{}", detail(report.as_ref(), "fail")))
            }
            Some("fail" | "error" | "down") => Outcome::warn(format!(
                "{shown}: the upstream reports fail{} — a warning here, so one dependency's outage does not take every service that calls it out of service",
                detail(report.as_ref(), "fail")
            )),
            Some(other) => Outcome::fail(format!(
                "{shown} answered {status} with an unknown status {:?}",
                other.chars().take(32).collect::<String>()
            )),
            None if status.is_server_error() => {
                Outcome::fail(format!("{shown} answered {status} without a health report"))
            }
            None => Outcome::fail(format!("{shown} answered {status}, and no health report (application/health+json)")),
        };
        outcome.observed(elapsed_ms, "ms").evidence("http_status", status.as_u16())
    }
}

/// The upstream's checks in `state`, named (at most five).
fn detail(report: Option<&Value>, state: &str) -> String {
    let Some(checks) = report.and_then(|report| report.get("checks")).and_then(Value::as_object) else {
        return String::new();
    };
    let named: Vec<&str> = checks
        .iter()
        .filter(|(_, results)| {
            results.as_array().is_some_and(|results| {
                results.iter().any(|result| result.get("status").and_then(Value::as_str) == Some(state))
            })
        })
        .map(|(name, _)| name.as_str())
        .collect();
    if named.is_empty() {
        return String::new();
    }
    let mut listed: Vec<String> =
        named.iter().take(5).map(|name| format!("`{}`", name.chars().take(64).collect::<String>())).collect();
    if named.len() > 5 {
        listed.push(format!("and {} more", named.len() - 5));
    }
    format!(" ({} of its checks {state}: {})", named.len(), listed.join(", "))
}

/// The innermost cause of an HTTP error: what actually went wrong, without the URL.
fn cause(error: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = error;
    while let Some(inner) = source.source() {
        source = inner;
    }
    source.to_string()
}

impl fmt::Debug for UpstreamCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamCheck")
            .field("name", &self.name)
            .field("url", &self.shown())
            .field("timeout", &self.timeout)
            .field("critical", &self.critical)
            .field("propagate", &self.propagate)
            .finish_non_exhaustive()
    }
}

impl From<UpstreamCheck> for CheckRegistration {
    fn from(check: UpstreamCheck) -> Self {
        let mut spec = CheckSpec::new(check.name.clone())
            .timeout(check.timeout + Duration::from_millis(50))
            .description(format!("the upstream {} answers healthy", check.shown()));
        if check.critical {
            spec = spec.critical();
        }
        let check = std::sync::Arc::new(check);
        CheckRegistration::new(
            spec,
            check_fn(move |_| {
                let check = std::sync::Arc::clone(&check);
                async move { check.run().await }
            }),
        )
    }
}
