//! `http:rate-limit`: a burst from one client gets `429 Too Many Requests`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, StatusCode};
use readiness_core::{CheckRegistration, Outcome};

use super::{Common, RequestTemplate, common_methods, list, request_methods, status_hint};

/// Probes `security.auth.rate-limiting` (check `http:rate-limit`).
///
/// It sends a burst of requests (100 by default, one after the other) from one client address
/// (`192.0.2.1`, see below) to a path (`GET /` by default) and passes at the first
/// `429 Too Many Requests`; the observed value is that request's number. It fails when no
/// request of the burst was refused, when one answers a `5xx`, and when one does not answer
/// within the request timeout: a limiter that queues requests instead of refusing them (tower's
/// `RateLimitLayer`) delays every client rather than protecting the service.
///
/// **Keying.** In process there is no TCP peer, so the burst carries the client identity of the
/// module docs: `ConnectInfo<SocketAddr>` (and a plain `SocketAddr`) in the extensions for a
/// limiter keyed on the peer address (`tower_governor`'s `PeerIpKeyExtractor`), and
/// `X-Forwarded-For` for one keyed on proxy headers (`SmartIpKeyExtractor`), both
/// `192.0.2.1`, an address no real client has, so the burst only spends the probe's own quota.
/// Without either, such limiters cannot key the request and answer `500`, which this probe
/// reports as such. For a limiter keyed on something else (an API key, a user), give that with
/// [`RateLimit::header`].
///
/// **Per client.** After the `429`, one more request comes from another address
/// (`198.51.100.1`); if it is refused too, the limit is global (or keyed on something the probe
/// did not change) and every run of this probe starves real clients: the probe then warns.
/// Switch that off with [`RateLimit::per_client`] when the limiter is keyed on a header you set.
///
/// ```
/// # let app = axum::Router::new();
/// use readiness_axum::probes::RateLimit;
///
/// let check = RateLimit::new(app)
///     .request(axum::http::Method::POST, "/login")
///     .json(&serde_json::json!({"username": "readiness-probe", "password": "not-the-password"}))
///     .burst(20)
///     .check();
/// assert_eq!(check.spec().name(), "http:rate-limit");
/// ```
#[derive(Clone)]
#[must_use]
pub struct RateLimit {
    common: Common,
    request: RequestTemplate,
    burst: u32,
    per_client: bool,
    other_ip: IpAddr,
}

impl RateLimit {
    /// A probe sending 100 `GET /` to `router`.
    pub fn new(router: Router) -> Self {
        Self {
            common: Common::new(
                router,
                "http:rate-limit",
                "security.auth.rate-limiting",
                "a burst from one client gets 429 Too Many Requests",
                1,
            ),
            request: RequestTemplate::new(Method::GET, "/"),
            burst: 100,
            per_client: true,
            other_ip: IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)),
        }
    }

    request_methods!("of the burst", "GET /");

    /// How many requests the burst has at most (default 100): more than the limiter's burst size.
    pub fn burst(mut self, requests: u32) -> Self {
        self.burst = requests;
        self
    }

    /// Whether to check, after the `429`, that another client address is still served
    /// (default `true`).
    pub fn per_client(mut self, check: bool) -> Self {
        self.per_client = check;
        self
    }

    /// The address of that other client (default `198.51.100.1`).
    pub fn other_client_ip(mut self, ip: IpAddr) -> Self {
        self.other_ip = ip;
        self
    }

    common_methods!("http:rate-limit");

    /// The check, ready for [`readiness_core::ReadinessBuilder::register`].
    pub fn check(&self) -> CheckRegistration {
        self.common.register(self.clone(), |probe| async move { probe.run().await })
    }

    async fn send_from(&self, ip: IpAddr) -> Result<axum::http::Response<Body>, Outcome> {
        let request = self.request.build(&self.common, ip).map_err(Outcome::from)?;
        self.common.send(request).await.map_err(Outcome::from)
    }

    async fn run(&self) -> Outcome {
        let label = self.request.label();
        let mut statuses = Runs::default();
        let mut limited: Option<(u32, HeaderMap)> = None;
        for number in 1..=self.burst {
            let response = match self.send_from(self.common.client_ip).await {
                Ok(response) => response,
                Err(outcome) => {
                    let output = outcome.output.unwrap_or_default();
                    return Outcome::fail(format!("request {number} of the burst: {output}"))
                        .evidence("request", &label)
                        .evidence("statuses", statuses.describe());
                }
            };
            let status = response.status();
            statuses.push(number, status);
            if status == StatusCode::TOO_MANY_REQUESTS {
                limited = Some((number, response.headers().clone()));
                break;
            }
            if status.is_server_error() {
                return Outcome::fail(format!(
                    "request {number} of the burst answered {}: {}",
                    status.as_u16(),
                    status_hint(status)
                ))
                .evidence("request", &label)
                .evidence("client", self.common.client_ip)
                .evidence("statuses", statuses.describe());
            }
        }
        let Some((number, headers)) = limited else {
            return Outcome::fail(format!(
                "none of {} requests {label} from one client was refused with 429: no rate limit applies",
                self.burst
            ))
            .observed(self.burst, "requests")
            .evidence("request", &label)
            .evidence("client", self.common.client_ip)
            .evidence("statuses", statuses.describe());
        };
        let signals = limit_headers(&headers);
        let mut outcome = Outcome::pass().with_output(if number == 1 {
            format!(
                "the first request {label} was already refused with 429 (a previous burst's quota is not replenished \
                 yet)"
            )
        } else {
            format!("request {number} of a burst {label} was refused with 429")
        });
        if self.per_client {
            match self.send_from(self.other_ip).await {
                Ok(response) if response.status() == StatusCode::TOO_MANY_REQUESTS => {
                    outcome = Outcome::warn(format!(
                        "request {number} of a burst {label} was refused with 429, but so was a request from another \
                         client ({}): the limit is global, so this probe's burst starves real clients (key the \
                         limiter per client, or turn this off with per_client(false) if it is keyed on a header)",
                        self.other_ip
                    ));
                }
                Ok(response) => {
                    outcome =
                        outcome.evidence("other client", format!("{}: {}", self.other_ip, response.status().as_u16()));
                }
                Err(other) => {
                    let output = other.output.unwrap_or_default();
                    return Outcome::fail(format!("the request from another client {}: {output}", self.other_ip));
                }
            }
        }
        outcome
            .observed(number, "requests")
            .evidence("request", &label)
            .evidence("client", self.common.client_ip)
            .evidence("statuses", statuses.describe())
            .evidence("limit headers", signals)
    }
}

impl fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A body sent to a login route may hold credentials: only its content type is shown.
        f.debug_struct("RateLimit")
            .field("common", &self.common)
            .field("request", &self.request)
            .field("burst", &self.burst)
            .field("per_client", &self.per_client)
            .field("other_ip", &self.other_ip)
            .finish()
    }
}

impl From<RateLimit> for CheckRegistration {
    fn from(probe: RateLimit) -> Self {
        probe.check()
    }
}

/// The statuses of a burst as runs: `1-30: 200, 31: 429`.
#[derive(Default)]
struct Runs(Vec<(u32, u32, StatusCode)>);

impl Runs {
    fn push(&mut self, number: u32, status: StatusCode) {
        match self.0.last_mut() {
            Some((_, last, previous)) if *previous == status && *last + 1 == number => *last = number,
            _ => self.0.push((number, number, status)),
        }
    }

    fn describe(&self) -> String {
        list(self.0.iter().map(|(first, last, status)| {
            if first == last {
                format!("{first}: {}", status.as_u16())
            } else {
                format!("{first}-{last}: {}", status.as_u16())
            }
        }))
    }
}

/// The names of the rate-limit headers of a `429` answer, for evidence.
fn limit_headers(headers: &HeaderMap) -> String {
    let mut names: Vec<&str> = headers
        .keys()
        .map(axum::http::HeaderName::as_str)
        .filter(|name| *name == "retry-after" || name.contains("ratelimit") || name.contains("rate-limit"))
        .collect();
    names.sort_unstable();
    if names.is_empty() { "none (no Retry-After)".to_owned() } else { names.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_summarised_as_runs() {
        let mut runs = Runs::default();
        for number in 1..=30 {
            runs.push(number, StatusCode::OK);
        }
        runs.push(31, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(runs.describe(), "1-30: 200, 31: 429");
    }
}
