//! `http:rate-limit`: a burst from one client gets `429 Too Many Requests`, and the client cannot
//! get out of it by claiming another address.
//!
//! * **Passes** when a burst from one client is refused with `429` before its end, the same
//!   client is still refused when it then claims other addresses in `X-Forwarded-For`,
//!   `X-Real-IP` and `Forwarded`, and another client is still served.
//! * **Fails** when no request of the burst is refused; when the limiter cannot key the request
//!   and answers a server error; when it queues requests instead of refusing them (a request does
//!   not answer within the request timeout: tower's `RateLimitLayer` delays every client rather
//!   than protecting the service); and when, after the `429`, the same client is no longer refused
//!   once it claims other addresses in one of those headers: the limiter keys on a header any
//!   client sets (`tower_governor`'s `SmartIpKeyExtractor`, or one that trusts the right-most
//!   `X-Forwarded-For` hop while no proxy stands in front), so every request can claim a fresh
//!   allowance.
//! * **Warns** when a request from another client is refused too: the limit is global (or keyed
//!   on something the probe did not change), and every run of the probe starves real clients.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU32, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use readiness_core::{CheckRegistration, Outcome};

use super::{Common, RequestTemplate, common_methods, list, request_methods, status_hint};

/// The headers a client can set to claim another address, with the names outputs use.
const FORWARDING_HEADERS: [(HeaderName, &str); 3] = [
    (HeaderName::from_static("x-forwarded-for"), "X-Forwarded-For"),
    (HeaderName::from_static("x-real-ip"), "X-Real-IP"),
    (HeaderName::from_static("forwarded"), "Forwarded"),
];

/// How many requests claim another address in each header after the `429`, each a new one. A
/// limiter keyed on the header serves every one (each is a new client to it); a limiter keyed
/// on the peer refuses them, and would have to refill once between each two (a few
/// microseconds apart in process) to serve them all.
const CLAIMS_PER_HEADER: usize = 4;

/// Numbers the claimed addresses, so that each request (and each run) claims another one.
static CLAIMED: AtomicU32 = AtomicU32::new(0);

/// Probes `security.auth.rate-limiting` (check `http:rate-limit`).
///
/// It sends a burst of requests (100 by default, one after the other) from one client address
/// (`192.0.2.1`, see below) to a path (`GET /` by default) until the first
/// `429 Too Many Requests`; the observed value is that request's number. The module docs say
/// what passes, warns and fails.
///
/// **Keying.** In process there is no TCP peer, so the burst carries the client identity of the
/// probes' module docs: `ConnectInfo<SocketAddr>` (and a plain `SocketAddr`) in the extensions,
/// as a real connection has, and `X-Forwarded-For`, both `192.0.2.1`, an address no real client
/// has, so the burst only spends the probe's own quota. A limiter keyed on the peer address
/// (`tower_governor`'s `PeerIpKeyExtractor`, or one that trusts forwarded headers only from its
/// proxies' addresses, which `192.0.2.1` is not) passes. Without the extension such a limiter
/// cannot key the request and answers `500`, which this probe reports as such. For a limiter
/// keyed on something else (an API key, a user), give that with [`RateLimit::header`].
///
/// **Claimed addresses.** After the `429`, the same client (the same peer, the same other
/// headers) sends four requests claiming a new address in `X-Forwarded-For`, four in
/// `X-Real-IP` and four in `Forwarded` (`for=…`), each from `203.0.113.0/24`. If none of the
/// four of a header is refused, the limiter keys on that header, which any client sets: the
/// probe fails naming it. Behind a proxy, trust the header only when the peer is the proxy.
///
/// **Per client.** Then one more request comes from another address (`198.51.100.1`); if it is
/// refused too, the limit is global (or keyed on something the probe did not change) and every
/// run of this probe starves real clients: the probe then warns. Switch that off with
/// [`RateLimit::per_client`] when the limiter is keyed on a header you set.
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

    /// A request of the probe's client that claims `claimed` in `header`.
    async fn send_claiming(&self, header: &HeaderName, claimed: IpAddr) -> Result<StatusCode, Outcome> {
        let mut request = self.request.build(&self.common, self.common.client_ip).map_err(Outcome::from)?;
        request.headers_mut().insert(header.clone(), claim(header, claimed));
        self.common.send(request).await.map(|response| response.status()).map_err(Outcome::from)
    }

    async fn run(&self) -> Outcome {
        let label = self.request.label();
        let client = self.common.client_ip;
        let mut statuses = Runs::default();
        let mut limited: Option<(u32, HeaderMap)> = None;
        for number in 1..=self.burst {
            let response = match self.send_from(client).await {
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
                .evidence("client", client)
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
            .evidence("client", client)
            .evidence("statuses", statuses.describe());
        };

        // The same client, claiming a new address in each request.
        let mut claims = Vec::new();
        let mut escaped = Vec::new();
        for (header, shown) in &FORWARDING_HEADERS {
            let mut answers = Vec::with_capacity(CLAIMS_PER_HEADER);
            for _ in 0..CLAIMS_PER_HEADER {
                match self.send_claiming(header, claimed_address()).await {
                    Ok(status) => answers.push(status),
                    Err(outcome) => {
                        let output = outcome.output.unwrap_or_default();
                        return Outcome::fail(format!("a request claiming another address in {shown}: {output}"))
                            .evidence("request", &label)
                            .evidence("client", client)
                            .evidence("statuses", statuses.describe());
                    }
                }
            }
            let summary = summarise(&answers);
            if answers.iter().all(|status| *status != StatusCode::TOO_MANY_REQUESTS) {
                escaped.push(format!("{shown} ({summary})"));
            }
            claims.push(format!("{shown}: {summary}"));
        }
        let claims = claims.join(", ");
        if !escaped.is_empty() {
            return Outcome::fail(format!(
                "after the 429 at request {number} of a burst {label}, the same client ({client}) was no longer \
                 refused once it claimed other addresses in {}: the limiter keys on a header any client sets, so \
                 every request can claim a fresh allowance (key on the peer address, and trust X-Forwarded-For \
                 only when the peer is one of your proxies)",
                escaped.join(" and ")
            ))
            .observed(number, "requests")
            .evidence("request", &label)
            .evidence("client", client)
            .evidence("statuses", statuses.describe())
            .evidence("claimed addresses", claims);
        }

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
            .evidence("client", client)
            .evidence("statuses", statuses.describe())
            .evidence("claimed addresses", claims)
            .evidence("limit headers", signals)
    }
}

/// A new address of `203.0.113.0/24` (RFC 5737) for a client to claim.
fn claimed_address() -> IpAddr {
    let number = CLAIMED.fetch_add(1, Ordering::Relaxed) % 254;
    IpAddr::V4(Ipv4Addr::new(203, 0, 113, u8::try_from(number + 1).unwrap_or(1)))
}

/// The value claiming `ip` in `header`: the address itself, or `for=…` in `Forwarded`.
fn claim(header: &HeaderName, ip: IpAddr) -> HeaderValue {
    let text = match (header.as_str(), ip) {
        ("forwarded", IpAddr::V6(v6)) => format!("for=\"[{v6}]\""),
        ("forwarded", ip) => format!("for={ip}"),
        (_, ip) => ip.to_string(),
    };
    // Digits, dots, colons, brackets, quotes and `for=`: always a valid header value.
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("203.0.113.1"))
}

/// Statuses as counted runs: `4 × 429`, `1 × 200, 3 × 429`.
fn summarise(statuses: &[StatusCode]) -> String {
    let mut runs: Vec<(usize, StatusCode)> = Vec::new();
    for status in statuses {
        match runs.last_mut() {
            Some((count, last)) if last == status => *count += 1,
            _ => runs.push((1, *status)),
        }
    }
    runs.iter().map(|(count, status)| format!("{count} × {}", status.as_u16())).collect::<Vec<_>>().join(", ")
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

    #[test]
    fn claims_are_new_documentation_addresses_in_each_header_form() {
        let first = claimed_address();
        assert_ne!(first, claimed_address());
        assert!(first.to_string().starts_with("203.0.113."), "{first}");
        let v4 = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9));
        let v6: IpAddr = "2001:db8::9".parse().unwrap();
        let [(forwarded_for, _), (real_ip, _), (forwarded, _)] = FORWARDING_HEADERS;
        assert_eq!(claim(&forwarded_for, v4), "203.0.113.9");
        assert_eq!(claim(&real_ip, v4), "203.0.113.9");
        assert_eq!(claim(&forwarded, v4), "for=203.0.113.9");
        assert_eq!(claim(&forwarded, v6), "for=\"[2001:db8::9]\"");
    }

    #[test]
    fn claim_answers_are_counted() {
        let limited = StatusCode::TOO_MANY_REQUESTS;
        assert_eq!(summarise(&[limited; 4]), "4 × 429");
        assert_eq!(summarise(&[StatusCode::OK, limited, limited]), "1 × 200, 2 × 429");
    }
}
