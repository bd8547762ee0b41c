//! `http:cors`: a foreign origin is refused, and the allow-list holds only secure, public
//! origins.
//!
//! **Passes** when every foreign origin (the defaults, `null`, and look-alikes of each allowed
//! origin), the `http://` downgrade of each allowed origin and a set of local development
//! origins are refused, each allowed origin given to the probe is accepted, and those allowed
//! origins are all `https://` on a public host.
//!
//! **Fails** when any of those is let in (echoed, or `*` without [`Cors::allow_wildcard`]),
//! `*` comes with credentials, an allowed origin is refused, or an allowed origin is plain
//! `http://` or a localhost, loopback, private or link-local address. Under
//! [`Cors::allow_insecure_origins_for_development`], plain-HTTP and local origins **warn**
//! instead. An allowed origin echoed without `Vary: Origin` warns.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use readiness_core::{CheckRegistration, Outcome, Status};

use super::{Common, common_methods, list, status_hint};

/// The origins [`Cors`] sends by default, which no CORS policy should allow: a site that cannot
/// exist (`.invalid`, RFC 2606) and `null` (sandboxed frames, `file:` pages, some redirects),
/// which a policy that mirrors or allow-lists `null` lets any site borrow.
pub const DEFAULT_FOREIGN_ORIGINS: [&str; 2] = ["https://readiness-probe.invalid", "null"];

/// Development origins left in production allow-lists: the usual local ports of front-end dev
/// servers, on `localhost`, IPv4 and IPv6 loopback.
const LOCAL_ORIGINS: [&str; 10] = [
    "http://localhost",
    "http://localhost:3000",
    "http://localhost:4200",
    "http://localhost:5173",
    "http://localhost:8000",
    "http://localhost:8080",
    "http://127.0.0.1:3000",
    "http://127.0.0.1:8080",
    "http://[::1]:3000",
    "https://localhost",
];

/// Why an origin is sent, which decides how its being allowed is graded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A foreign origin or a look-alike of an allowed one: must be refused.
    Foreign,
    /// The `http://` downgrade of an allowed `https://` origin: must be refused.
    Downgrade,
    /// A local development origin: must be refused.
    Local,
    /// An allowed origin: must be accepted.
    Allowed,
}

/// Probes `security.network.cors` (check `http:cors`).
///
/// For each origin it tries, it sends a preflight (`OPTIONS` with `Origin`,
/// `Access-Control-Request-Method` and `Access-Control-Request-Headers: content-type`) and a
/// simple `GET` with `Origin` to the path (`/` by default), and judges
/// `Access-Control-Allow-Origin` and `-Credentials`. `*` together with
/// `Access-Control-Allow-Credentials: true` always fails, on any answer; `*` alone fails unless
/// [`Cors::allow_wildcard`] says the API is public. A `5xx` fails.
///
/// It tries, in this order:
///
/// 1. the foreign origins ([`DEFAULT_FOREIGN_ORIGINS`] unless changed), and, for **every**
///    allowed origin given ([`Cors::allowed_origin`], [`Cors::allowed_origins`]), two look-alikes
///    (`<allowed>.readiness-probe.invalid` and `<scheme>://readiness-probe-<host>`), which a
///    prefix or suffix match in a hand-written origin check lets in: each must be refused;
/// 2. each allowed origin: its preflight and `GET` must be allowed (so a route that simply has
///    no CORS at all does not pass as a well-configured one); one echoed without
///    `Vary: Origin` warns, since a shared cache could then serve one origin's answer to another;
/// 3. when nothing above has failed (otherwise the policy is already known to be broken and the
///    evidence says these were not tried): for every allowed origin, a sub-domain
///    (`<scheme>://readiness-probe.<host>`, let in by a policy that trusts every sub-domain),
///    the host with its first dot replaced by `-` (let in by a regular expression with an
///    unescaped `.`) and, for an `https://` origin, its `http://` downgrade; then the local
///    development origins `http://localhost` (and ports 3000, 4200, 5173, 8000, 8080),
///    `http://127.0.0.1:3000`, `http://127.0.0.1:8080`, `http://[::1]:3000` and
///    `https://localhost` (those not given as allowed). Each must be refused; a downgrade or a
///    local origin let in fails (a development origin left in the allow-list).
///
/// Each allowed origin given is also judged as written: a plain `http://` origin fails (anyone
/// on its network path can run script as that origin and read the API), and so does a
/// localhost, loopback (`127.0.0.0/8`, `::1`), private (`10/8`, `172.16/12`, `192.168/16`,
/// `fc00::/7`), link-local (`169.254/16`, `fe80::/10`) or unspecified address, or a private
/// name (`*.localhost`, `*.local`, `*.internal`, `*.home.arpa`): any page on that machine or
/// network can claim it. [`Cors::allow_insecure_origins_for_development`] turns these
/// failures, and those of a downgrade or local origin let in, into warnings.
///
/// The evidence lists each request's status and its `Access-Control-Allow-Origin`/`-Credentials`
/// answer (for the origins of step 3, only those not refused, with the list of those tried).
///
/// ```
/// # let app = axum::Router::new();
/// use readiness_axum::probes::Cors;
///
/// let check = Cors::new(app)
///     .path("/api/orders")
///     .allowed_origins(["https://app.example", "https://admin.example"])
///     .check();
/// assert_eq!(check.spec().name(), "http:cors");
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct Cors {
    common: Common,
    path: String,
    preflight_method: Method,
    foreign: Vec<String>,
    allowed: Vec<String>,
    allow_wildcard: bool,
    development: bool,
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
            allowed: Vec::new(),
            allow_wildcard: false,
            development: false,
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

    /// Adds an origin the policy allows, which must be accepted (preflight and `GET`); its
    /// look-alikes and its `http://` downgrade must be refused. Give every origin of the
    /// allow-list (each call adds one), so each is judged.
    pub fn allowed_origin(mut self, origin: impl Into<String>) -> Self {
        self.allowed.push(origin.into());
        self
    }

    /// Replaces the allowed origins with these (the whole allow-list of the service).
    pub fn allowed_origins<I>(mut self, origins: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.allowed = origins.into_iter().map(Into::into).collect();
        self
    }

    /// Accepts `Access-Control-Allow-Origin: *` without credentials, for a public API that any
    /// site may read. `*` with `Access-Control-Allow-Credentials: true` still fails.
    pub fn allow_wildcard(mut self) -> Self {
        self.allow_wildcard = true;
        self
    }

    /// For a development setup only: a plain-`http://` or local allowed origin (a front end on
    /// `http://localhost:3000`), and such an origin let in, warn instead of failing. The check
    /// then never passes with them, so the control is not verified by a development setup.
    pub fn allow_insecure_origins_for_development(mut self) -> Self {
        self.development = true;
        self
    }

    common_methods!("http:cors");

    /// The check, ready for [`readiness_core::ReadinessBuilder::register`].
    pub fn check(&self) -> CheckRegistration {
        self.common.register(self.clone(), |probe| async move { probe.run().await })
    }

    /// How an insecure (plain-HTTP or local) origin is graded.
    fn insecure(&self) -> Status {
        if self.development { Status::Warn } else { Status::Fail }
    }

    fn is_allowed(&self, origin: &str) -> bool {
        self.allowed.iter().any(|allowed| allowed.eq_ignore_ascii_case(origin))
    }

    async fn run(&self) -> Outcome {
        if self.foreign.is_empty() {
            return Outcome::fail("no foreign origin to probe: give Cors::foreign_origins at least one");
        }
        let mut findings: Vec<(Status, String)> = self.allowed.iter().flat_map(|o| self.judge_allowed(o)).collect();
        let mut evidence: Vec<(String, String)> = Vec::new();

        // Steps 1 and 2: foreign origins and look-alikes, then the allowed origins.
        let foreign: Vec<String> =
            self.foreign.iter().cloned().chain(self.allowed.iter().flat_map(|origin| look_alikes(origin))).collect();
        let first: Vec<(&str, Kind)> = foreign
            .iter()
            .map(|origin| (origin.as_str(), Kind::Foreign))
            .chain(self.allowed.iter().map(|origin| (origin.as_str(), Kind::Allowed)))
            .collect();
        let mut request_findings = Vec::new();
        for (origin, kind) in first {
            match self.try_origin(origin, kind, &mut evidence, true).await {
                Ok(found) => request_findings.extend(found),
                Err(outcome) => return outcome,
            }
        }

        // Step 3: only while the policy has not shown itself broken.
        let broken = request_findings.iter().any(|(status, _)| *status == Status::Fail);
        let mut further: Vec<(String, Kind)> = Vec::new();
        for allowed in &self.allowed {
            further.extend(further_look_alikes(allowed).into_iter().map(|origin| (origin, Kind::Foreign)));
            if let Some(rest) = allowed.strip_prefix("https://") {
                further.push((format!("http://{rest}"), Kind::Downgrade));
            }
        }
        further.extend(LOCAL_ORIGINS.iter().map(|origin| ((*origin).to_owned(), Kind::Local)));
        let mut seen: Vec<String> = foreign.iter().map(|origin| origin.to_ascii_lowercase()).collect();
        further.retain(|(origin, _)| {
            let lower = origin.to_ascii_lowercase();
            let new = !self.is_allowed(origin) && !seen.contains(&lower);
            seen.push(lower);
            new
        });
        if broken {
            evidence.push((
                "further origins".to_owned(),
                format!("not tried (the policy already failed): {}", list(further.iter().map(|(origin, _)| origin))),
            ));
        } else {
            for (origin, kind) in &further {
                match self.try_origin(origin, *kind, &mut evidence, false).await {
                    Ok(found) => request_findings.extend(found),
                    Err(outcome) => return outcome,
                }
            }
            evidence.push(("further origins".to_owned(), format!("tried: {}", list(further.iter().map(|(o, _)| o)))));
        }
        findings.extend(request_findings);

        // The same answer to several origins (`*` with credentials) is told once.
        let mut told = std::collections::HashSet::new();
        findings.retain(|(_, text)| told.insert(text.clone()));
        let worst = findings.iter().map(|(status, _)| *status).max().unwrap_or(Status::Pass);
        let text: Vec<&str> = findings.iter().map(|(_, text)| text.as_str()).collect();
        let public = if self.allow_wildcard { " (or given `*` without credentials: a public API)" } else { "" };
        let outcome = match worst {
            Status::Pass => Outcome::pass().with_output(format!(
                "the foreign origin(s) {} were refused{public}; so were {} further origin(s) (sub-domains and \
                 look-alikes, http:// downgrades, local development origins){}",
                list(&foreign),
                further.len(),
                if self.allowed.is_empty() { String::new() } else { format!("; {} allowed", list(&self.allowed)) }
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

    /// Sends the preflight and the `GET` from `origin` and judges both answers. With `record`,
    /// both answers go into the evidence; without, only those that are not refusals.
    async fn try_origin(
        &self,
        origin: &str,
        kind: Kind,
        evidence: &mut Vec<(String, String)>,
        record: bool,
    ) -> Result<Vec<(Status, String)>, Outcome> {
        let Ok(value) = HeaderValue::from_str(origin) else {
            return Err(Outcome::fail(format!("the origin {origin:?} is not a valid header value")));
        };
        let mut findings = Vec::new();
        for preflight in [true, false] {
            let (label, answer) = self.send(&value, preflight).await?;
            let status = answer.status;
            let key = format!("{label} from {origin}");
            if status.is_server_error() {
                return Err(Outcome::fail(format!("{key} answered {}: {}", status.as_u16(), status_hint(status)))
                    .evidence(key, answer.describe()));
            }
            if record || answer.headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
                evidence.push((key, answer.describe()));
            }
            findings.extend(self.judge(&label, origin, kind, &answer.headers));
        }
        Ok(findings)
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

    /// What is wrong with an allowed origin as written (plain HTTP, a local address).
    fn judge_allowed(&self, origin: &str) -> Vec<(Status, String)> {
        let mut findings = Vec::new();
        let development = if self.development { " (allowed for development: not a production setup)" } else { "" };
        if origin.eq_ignore_ascii_case("null") {
            findings.push((
                Status::Fail,
                "the allowed origin null is sent by sandboxed frames and file: pages of any site".to_owned(),
            ));
            return findings;
        }
        let Some((scheme, _, host)) = split_origin(origin) else {
            findings
                .push((Status::Fail, format!("the allowed origin {origin} is not an origin (scheme://host[:port])")));
            return findings;
        };
        if scheme.eq_ignore_ascii_case("http") {
            findings.push((
                self.insecure(),
                format!(
                    "the allowed origin {origin} is plain HTTP: anyone on its network path can run script as it and \
                     read the API{development}"
                ),
            ));
        }
        if let Some(what) = local_host(host) {
            findings.push((
                self.insecure(),
                format!(
                    "the allowed origin {origin} is {what}: any page on that machine or network can claim it{development}"
                ),
            ));
        }
        findings
    }

    fn judge(&self, label: &str, origin: &str, kind: Kind, headers: &HeaderMap) -> Vec<(Status, String)> {
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
        let with = if credentials { " with credentials: any site can read signed-in answers" } else { "" };
        let development = if self.development { " (allowed for development: not a production setup)" } else { "" };
        match kind {
            Kind::Allowed => {
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
            }
            Kind::Foreign if echoed => {
                findings.push((Status::Fail, format!("{label} allows the foreign origin {origin}{with}")));
            }
            Kind::Downgrade if echoed => findings.push((
                self.insecure(),
                format!("{label} allows {origin}, the plain-HTTP downgrade of an allowed origin{with}{development}"),
            )),
            Kind::Local if echoed => findings.push((
                self.insecure(),
                format!(
                    "{label} allows the local origin {origin}{with} (a development origin left in the allow-list){development}"
                ),
            )),
            _ if wildcard && !credentials && !self.allow_wildcard => {
                findings.push((Status::Fail, format!("{label} allows any origin (`*`) for {origin}")));
            }
            _ => {}
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

/// An origin's scheme, `host[:port]` and host (without brackets for IPv6).
fn split_origin(origin: &str) -> Option<(&str, &str, &str)> {
    let (scheme, host_port) = origin.split_once("://")?;
    if scheme.is_empty() || host_port.is_empty() || host_port.contains('/') {
        return None;
    }
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split_once(']')?.0
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|byte| byte.is_ascii_digit()) => host,
            _ => host_port,
        }
    };
    (!host.is_empty()).then_some((scheme, host_port, host))
}

/// What makes a host local or private, if it is.
fn local_host(host: &str) -> Option<&'static str> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return Some("localhost");
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return local_ip(ip);
    }
    [".local", ".internal", ".home.arpa"]
        .iter()
        .any(|suffix| host.ends_with(suffix))
        .then_some("a private name (.local, .internal, .home.arpa)")
}

fn local_ip(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => local_ipv4(ip),
        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(mapped) => local_ipv4(mapped),
            None => local_ipv6(ip),
        },
    }
}

fn local_ipv4(ip: Ipv4Addr) -> Option<&'static str> {
    if ip.is_loopback() {
        Some("a loopback address (127.0.0.0/8)")
    } else if ip.is_private() {
        Some("a private address (10/8, 172.16/12, 192.168/16)")
    } else if ip.is_link_local() {
        Some("a link-local address (169.254/16)")
    } else if ip.is_unspecified() {
        Some("the unspecified address")
    } else {
        None
    }
}

fn local_ipv6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("the loopback address (::1)")
    } else if first & 0xfe00 == 0xfc00 {
        Some("a unique local address (fc00::/7)")
    } else if first & 0xffc0 == 0xfe80 {
        Some("a link-local address (fe80::/10)")
    } else if ip.is_unspecified() {
        Some("the unspecified address")
    } else {
        None
    }
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

/// More look-alikes, tried once the policy has passed the first ones: a sub-domain (a policy
/// that trusts every sub-domain) and the host with its first dot replaced (a regular expression
/// with an unescaped `.`). None for an IP address.
fn further_look_alikes(allowed: &str) -> Vec<String> {
    let Some((scheme, host_port, host)) = split_origin(allowed) else {
        return Vec::new();
    };
    if host.parse::<IpAddr>().is_ok() {
        return Vec::new();
    }
    let mut origins = vec![format!("{scheme}://readiness-probe.{host_port}")];
    if host.contains('.') {
        origins.push(format!("{scheme}://{}", host_port.replacen('.', "-", 1)));
    }
    origins
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_split_and_local_hosts_found() {
        assert_eq!(split_origin("https://app.example:8443"), Some(("https", "app.example:8443", "app.example")));
        assert_eq!(split_origin("http://[::1]:3000"), Some(("http", "[::1]:3000", "::1")));
        assert_eq!(split_origin("null"), None);
        for local in [
            "localhost",
            "dev.localhost",
            "127.0.0.2",
            "::1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.0.1",
            "fd00::1",
            "fc00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "0.0.0.0",
            "printer.local",
            "admin.corp.internal",
        ] {
            assert!(local_host(local).is_some(), "{local} is local");
        }
        for public in ["app.example.com", "172.32.0.1", "11.0.0.1", "2001:db8::1", "localhost.example.com"] {
            assert!(local_host(public).is_none(), "{public} is not local");
        }
    }

    #[test]
    fn further_look_alikes_are_sub_domains_and_unescaped_dots() {
        assert_eq!(
            further_look_alikes("https://app.orders.example"),
            ["https://readiness-probe.app.orders.example", "https://app-orders.example"]
        );
        assert_eq!(further_look_alikes("http://localhost:3000"), ["http://readiness-probe.localhost:3000"]);
        assert!(further_look_alikes("https://10.0.0.1").is_empty());
    }
}
