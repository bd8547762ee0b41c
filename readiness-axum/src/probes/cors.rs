//! `http:cors`: a foreign origin is refused.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use readiness_core::{CheckRegistration, Outcome, Status};

use super::{Common, common_methods, list, status_hint};

/// The origins [`Cors`] sends by default, which no CORS policy should allow: a site that cannot
/// exist (`.invalid`, RFC 2606) and `null` (sandboxed frames, `file:` pages, some redirects),
/// which a policy that mirrors or allow-lists `null` lets any site borrow.
pub const DEFAULT_FOREIGN_ORIGINS: [&str; 2] = ["https://readiness-probe.invalid", "null"];

/// Probes `security.network.cors` (check `http:cors`).
///
/// For each foreign origin ([`DEFAULT_FOREIGN_ORIGINS`] unless changed) it sends a preflight
/// (`OPTIONS` with `Origin`, `Access-Control-Request-Method` and
/// `Access-Control-Request-Headers: content-type`) and a simple `GET` with `Origin` to the path
/// (`/` by default), and fails when an answer allows the origin: `Access-Control-Allow-Origin`
/// echoing it, or `*` (unless [`Cors::allow_wildcard`] says the API is public). `*` together with
/// `Access-Control-Allow-Credentials: true` always fails, on any answer. When an allowed origin
/// is given ([`Cors::allowed_origin`]), its preflight and `GET` must be allowed (so a route that
/// simply has no CORS at all does not pass as a well-configured one), and two look-alikes of it
/// join the foreign origins (`<allowed>.readiness-probe.invalid` and
/// `<scheme>://readiness-probe-<host>`), which a prefix or suffix match in a hand-written origin
/// check would let in; an allowed origin echoed
/// without `Vary: Origin` warns, since a shared cache could then serve one origin's answer to
/// another. A `5xx` fails. The evidence lists each request's status and its
/// `Access-Control-Allow-Origin`/`-Credentials` answer.
///
/// ```
/// # let app = axum::Router::new();
/// use readiness_axum::probes::Cors;
///
/// let check = Cors::new(app).path("/api/orders").allowed_origin("https://app.example").check();
/// assert_eq!(check.spec().name(), "http:cors");
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct Cors {
    common: Common,
    path: String,
    preflight_method: Method,
    foreign: Vec<String>,
    allowed: Option<String>,
    allow_wildcard: bool,
}

impl Cors {
    /// A probe of `/` on `router` with the default foreign origins.
    pub fn new(router: Router) -> Self {
        Self {
            common: Common::new(
                router,
                "http:cors",
                "security.network.cors",
                "a foreign origin is refused by the CORS policy; never * with credentials",
                3,
            ),
            path: "/".to_owned(),
            preflight_method: Method::POST,
            foreign: DEFAULT_FOREIGN_ORIGINS.iter().map(|origin| (*origin).to_owned()).collect(),
            allowed: None,
            allow_wildcard: false,
        }
    }

    /// The path to probe (default `/`): one behind the CORS layer.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The method the preflight asks for (default `POST`).
    pub fn preflight_method(mut self, method: Method) -> Self {
        self.preflight_method = method;
        self
    }

    /// Adds a foreign origin that must be refused.
    pub fn foreign_origin(mut self, origin: impl Into<String>) -> Self {
        self.foreign.push(origin.into());
        self
    }

    /// Replaces the foreign origins that must be refused.
    pub fn foreign_origins<I>(mut self, origins: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.foreign = origins.into_iter().map(Into::into).collect();
        self
    }

    /// An origin the policy allows, which must be accepted (preflight and `GET`).
    pub fn allowed_origin(mut self, origin: impl Into<String>) -> Self {
        self.allowed = Some(origin.into());
        self
    }

    /// Accepts `Access-Control-Allow-Origin: *` without credentials, for a public API that any
    /// site may read. `*` with `Access-Control-Allow-Credentials: true` still fails.
    pub fn allow_wildcard(mut self) -> Self {
        self.allow_wildcard = true;
        self
    }

    common_methods!("http:cors");

    /// The check, ready for [`readiness_core::ReadinessBuilder::register`].
    pub fn check(&self) -> CheckRegistration {
        self.common.register(self.clone(), |probe| async move { probe.run().await })
    }

    async fn run(&self) -> Outcome {
        if self.foreign.is_empty() {
            return Outcome::fail("no foreign origin to probe: give Cors::foreign_origins at least one");
        }
        let mut findings: Vec<(Status, String)> = Vec::new();
        let mut evidence: Vec<(String, String)> = Vec::new();
        let foreign: Vec<String> =
            self.foreign.iter().cloned().chain(self.allowed.iter().flat_map(|origin| look_alikes(origin))).collect();
        let origins = foreign.iter().map(|origin| (origin, false)).chain(self.allowed.iter().map(|o| (o, true)));
        for (origin, allowed) in origins {
            let Ok(value) = HeaderValue::from_str(origin) else {
                return Outcome::fail(format!("the origin {origin:?} is not a valid header value"));
            };
            for preflight in [true, false] {
                let (label, answer) = match self.send(&value, preflight).await {
                    Ok(sent) => sent,
                    Err(outcome) => return outcome,
                };
                let status = answer.status;
                evidence.push((format!("{label} from {origin}"), answer.describe()));
                if status.is_server_error() {
                    return Outcome::fail(format!(
                        "{label} from {origin} answered {}: {}",
                        status.as_u16(),
                        status_hint(status)
                    ))
                    .evidence(format!("{label} from {origin}"), answer.describe());
                }
                findings.extend(self.judge(&label, origin, allowed, &answer.headers));
            }
        }
        // The same answer to several origins (`*` with credentials) is told once.
        let mut seen = std::collections::HashSet::new();
        findings.retain(|(_, text)| seen.insert(text.clone()));
        let worst = findings.iter().map(|(status, _)| *status).max().unwrap_or(Status::Pass);
        let text: Vec<&str> = findings.iter().map(|(_, text)| text.as_str()).collect();
        let outcome = match worst {
            Status::Pass => Outcome::pass().with_output(format!(
                "the foreign origin(s) {} were refused{}",
                list(&foreign),
                self.allowed.as_ref().map(|origin| format!("; {origin} was allowed")).unwrap_or_default()
            )),
            Status::Warn => Outcome::warn(text.join("; ")),
            Status::Fail => Outcome::fail(format!("CORS misconfigured: {}", text.join("; "))),
        };
        let failed = findings.iter().filter(|(status, _)| *status == Status::Fail).count();
        evidence
            .into_iter()
            .fold(outcome, |outcome, (key, value)| outcome.evidence(key, value))
            .observed(failed, "problems")
    }

    async fn send(&self, origin: &HeaderValue, preflight: bool) -> Result<(String, Answer), Outcome> {
        let method = if preflight { Method::OPTIONS } else { Method::GET };
        let mut request = self.common.request(&method, &self.path, Body::empty()).map_err(Outcome::from)?;
        let headers = request.headers_mut();
        headers.insert(header::ORIGIN, origin.clone());
        if preflight {
            let asked = HeaderValue::from_str(self.preflight_method.as_str())
                .unwrap_or_else(|_| HeaderValue::from_static("POST"));
            headers.insert(header::ACCESS_CONTROL_REQUEST_METHOD, asked);
            headers.insert(header::ACCESS_CONTROL_REQUEST_HEADERS, HeaderValue::from_static("content-type"));
        }
        let label = if preflight {
            format!("preflight OPTIONS {} ({})", self.path, self.preflight_method)
        } else {
            format!("GET {}", self.path)
        };
        let response = self.common.send(request).await.map_err(Outcome::from)?;
        Ok((label, Answer { status: response.status(), headers: response.headers().clone() }))
    }

    fn judge(&self, label: &str, origin: &str, allowed: bool, headers: &HeaderMap) -> Vec<(Status, String)> {
        let mut findings = Vec::new();
        let allow_origin: Vec<&str> = headers
            .get_all(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .iter()
            .map(|value| value.to_str().map(str::trim).unwrap_or("(not text)"))
            .collect();
        let credentials = headers
            .get_all(header::ACCESS_CONTROL_ALLOW_CREDENTIALS)
            .iter()
            .any(|value| value.to_str().is_ok_and(|text| text.trim().eq_ignore_ascii_case("true")));
        let wildcard = allow_origin.contains(&"*");
        let echoed = allow_origin.iter().any(|value| value.eq_ignore_ascii_case(origin));
        if wildcard && credentials {
            findings.push((Status::Fail, format!("{label} answers `*` with Access-Control-Allow-Credentials: true")));
        }
        if allowed {
            let accepted = echoed || (wildcard && self.allow_wildcard && !credentials);
            if !accepted {
                findings.push((
                    Status::Fail,
                    format!("{label} refused the allowed origin {origin} (is the CORS layer on this path?)"),
                ));
            } else if echoed && !varies_by_origin(headers) {
                findings.push((
                    Status::Warn,
                    format!("{label} echoes {origin} without `Vary: Origin`: shared caches may mix origins"),
                ));
            }
        } else if echoed {
            let with = if credentials { " with credentials: any site can read signed-in answers" } else { "" };
            findings.push((Status::Fail, format!("{label} allows the foreign origin {origin}{with}")));
        } else if wildcard && !credentials && !self.allow_wildcard {
            findings.push((Status::Fail, format!("{label} allows any origin (`*`) for {origin}")));
        }
        findings
    }
}

impl From<Cors> for CheckRegistration {
    fn from(probe: Cors) -> Self {
        probe.check()
    }
}

struct Answer {
    status: axum::http::StatusCode,
    headers: HeaderMap,
}

impl Answer {
    /// The status and the CORS verdict headers, for evidence.
    fn describe(&self) -> String {
        let show = |name: &header::HeaderName| {
            let values: Vec<&str> =
                self.headers.get_all(name).iter().map(|value| value.to_str().unwrap_or("(not text)")).collect();
            if values.is_empty() { "none".to_owned() } else { values.join(", ") }
        };
        format!(
            "{}; allow-origin: {}; allow-credentials: {}",
            self.status.as_u16(),
            show(&header::ACCESS_CONTROL_ALLOW_ORIGIN),
            show(&header::ACCESS_CONTROL_ALLOW_CREDENTIALS)
        )
    }
}

fn varies_by_origin(headers: &HeaderMap) -> bool {
    headers.get_all(header::VARY).iter().filter_map(|value| value.to_str().ok()).flat_map(|v| v.split(',')).any(
        |name| {
            let name = name.trim();
            name == "*" || name.eq_ignore_ascii_case("origin")
        },
    )
}

/// Foreign origins that look like `allowed`: a prefix match (`https://app.example.com` accepting
/// `https://app.example.com.readiness-probe.invalid`) or a suffix match (accepting
/// `https://readiness-probe-app.example.com`) in a hand-written origin check lets them in.
fn look_alikes(allowed: &str) -> Vec<String> {
    let mut origins = vec![format!("{allowed}.readiness-probe.invalid")];
    if let Some((scheme, host)) = allowed.split_once("://") {
        origins.push(format!("{scheme}://readiness-probe-{host}"));
    }
    origins
}
