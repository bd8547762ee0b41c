//! `http:security-headers`: the answers carry the browser security headers.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, header};
use readiness_core::{CheckRegistration, Outcome};

use super::{Common, common_methods, header_names, list, status_hint};

/// The shortest HSTS `max-age` accepted by default: 180 days (15,552,000 s), about six months.
pub const MIN_HSTS_MAX_AGE: Duration = Duration::from_secs(180 * 24 * 60 * 60);

/// Probes `security.network.headers` (check `http:security-headers`): each probed answer must
/// carry
///
/// * `X-Content-Type-Options: nosniff`;
/// * a frame guard: `X-Frame-Options: DENY` or `SAMEORIGIN`, or a CSP `frame-ancestors`
///   directive that is not `*` (`ALLOW-FROM` is obsolete and ignored by browsers);
/// * an enforced `Content-Security-Policy` (a `-Report-Only` one alone does not count);
/// * a `Referrer-Policy` (not `unsafe-url`);
/// * `Strict-Transport-Security` with `max-age` of at least [`MIN_HSTS_MAX_AGE`], unless
///   switched off with [`SecurityHeaders::without_hsts`] for a plain-HTTP internal service.
///
/// It sends `GET /` by default ([`SecurityHeaders::paths`] for more); any status but a `5xx`
/// is judged, since error pages need the headers too. It fails listing every missing or weak
/// header per path; the evidence lists each answer's status and header names.
///
/// ```
/// # let app = axum::Router::new();
/// use std::time::Duration;
/// use readiness_axum::probes::SecurityHeaders;
///
/// let check = SecurityHeaders::new(app)
///     .paths(["/", "/api/orders", "/no-such-page"])
///     .min_hsts_max_age(Duration::from_secs(365 * 24 * 60 * 60))
///     .check();
/// assert_eq!(check.spec().name(), "http:security-headers");
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct SecurityHeaders {
    common: Common,
    method: Method,
    paths: Vec<String>,
    min_hsts: Option<Duration>,
}

impl SecurityHeaders {
    /// A probe of `GET /` on `router`, requiring HSTS.
    pub fn new(router: Router) -> Self {
        Self {
            common: Common::new(
                router,
                "http:security-headers",
                "security.network.headers",
                "answers carry nosniff, a frame guard, a CSP, a Referrer-Policy and HSTS",
                2,
            ),
            method: Method::GET,
            paths: vec!["/".to_owned()],
            min_hsts: Some(MIN_HSTS_MAX_AGE),
        }
    }

    /// Probes this one path instead.
    pub fn path(self, path: impl Into<String>) -> Self {
        self.paths([path])
    }

    /// Probes these paths (each must pass) instead.
    pub fn paths<I>(mut self, paths: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.paths = paths.into_iter().map(Into::into).collect();
        self
    }

    /// The method of the probe requests (default `GET`).
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// The shortest acceptable HSTS `max-age` (default [`MIN_HSTS_MAX_AGE`]).
    pub fn min_hsts_max_age(mut self, min: Duration) -> Self {
        self.min_hsts = Some(min);
        self
    }

    /// Does not require `Strict-Transport-Security`: for a service only ever reached over plain
    /// HTTP inside a trusted network (HSTS is ignored on plain HTTP anyway). The evidence says so.
    pub fn without_hsts(mut self) -> Self {
        self.min_hsts = None;
        self
    }

    common_methods!("http:security-headers");

    /// The check, ready for [`readiness_core::ReadinessBuilder::register`].
    pub fn check(&self) -> CheckRegistration {
        self.common.register(self.clone(), |probe| async move { probe.run().await })
    }

    async fn run(&self) -> Outcome {
        if self.paths.is_empty() {
            return Outcome::fail("no path to probe: give SecurityHeaders::paths at least one");
        }
        let mut problems = Vec::new();
        let mut evidence = Vec::new();
        for path in &self.paths {
            let label = format!("{} {path}", self.method);
            let response = match self.common.exchange(&self.method, path, Body::empty()).await {
                Ok(response) => response,
                Err(error) => return error.into(),
            };
            let status = response.status();
            if status.is_server_error() {
                return Outcome::fail(format!("{label} answered {}: {}", status.as_u16(), status_hint(status)))
                    .evidence(label, status.as_u16());
            }
            let found = judge(response.headers(), self.min_hsts);
            evidence
                .push((label.clone(), format!("{}; headers: {}", status.as_u16(), header_names(response.headers()))));
            if !found.is_empty() {
                problems.push(format!("{label} ({}): {}", status.as_u16(), list(&found)));
            }
        }
        let count: usize = self.paths.len();
        let outcome = if problems.is_empty() {
            let hsts = match self.min_hsts {
                Some(min) => format!("HSTS max-age at least {} s", min.as_secs()),
                None => "HSTS not required".to_owned(),
            };
            Outcome::pass().with_output(format!(
                "{count} answer(s) carry nosniff, a frame guard, a CSP and a Referrer-Policy; {hsts}"
            ))
        } else {
            Outcome::fail(format!("missing or weak security headers: {}", problems.join("; ")))
        };
        let hsts_evidence = match self.min_hsts {
            Some(min) => format!("required, max-age >= {} s", min.as_secs()),
            None => "not required (without_hsts)".to_owned(),
        };
        evidence
            .into_iter()
            .fold(outcome, |outcome, (key, value)| outcome.evidence(key, value))
            .evidence("hsts", hsts_evidence)
            .observed(problems.len(), "answers with missing or weak headers")
    }
}

impl From<SecurityHeaders> for CheckRegistration {
    fn from(probe: SecurityHeaders) -> Self {
        probe.check()
    }
}

/// The values of one header, each trimmed, those that are not text skipped.
fn values<'a>(headers: &'a HeaderMap, name: &header::HeaderName) -> Vec<&'a str> {
    headers.get_all(name).iter().filter_map(|value| value.to_str().ok()).map(str::trim).collect()
}

/// The sources of a CSP directive, if any policy has it.
fn csp_directive<'a>(policies: &[&'a str], directive: &str) -> Option<Vec<&'a str>> {
    policies.iter().flat_map(|policy| policy.split(';')).find_map(|part| {
        let mut tokens = part.split_whitespace();
        let name = tokens.next()?;
        name.eq_ignore_ascii_case(directive).then(|| tokens.collect())
    })
}

/// Every missing or weak header of one answer.
fn judge(headers: &HeaderMap, min_hsts: Option<Duration>) -> Vec<String> {
    let mut problems = Vec::new();

    let nosniff = values(headers, &header::X_CONTENT_TYPE_OPTIONS);
    if nosniff.is_empty() {
        problems.push("X-Content-Type-Options missing".to_owned());
    } else if !nosniff.iter().any(|value| value.eq_ignore_ascii_case("nosniff")) {
        problems.push("X-Content-Type-Options is not `nosniff`".to_owned());
    }

    let policies: Vec<&str> =
        values(headers, &header::CONTENT_SECURITY_POLICY).into_iter().filter(|value| !value.is_empty()).collect();
    if policies.is_empty() {
        if headers.contains_key(header::CONTENT_SECURITY_POLICY_REPORT_ONLY) {
            problems.push("Content-Security-Policy only report-only (not enforced)".to_owned());
        } else {
            problems.push("Content-Security-Policy missing".to_owned());
        }
    }

    let frame_options = values(headers, &header::X_FRAME_OPTIONS);
    let frame_options_ok = frame_options
        .iter()
        .any(|value| value.eq_ignore_ascii_case("DENY") || value.eq_ignore_ascii_case("SAMEORIGIN"));
    let ancestors = csp_directive(&policies, "frame-ancestors");
    let ancestors_ok = ancestors.as_ref().is_some_and(|sources| {
        !sources.is_empty() && !sources.iter().any(|source| matches!(*source, "*" | "https:" | "http:"))
    });
    if !frame_options_ok && !ancestors_ok {
        let why = if ancestors.is_some() {
            "CSP frame-ancestors allows any site"
        } else if !frame_options.is_empty() {
            "X-Frame-Options is neither DENY nor SAMEORIGIN (ALLOW-FROM is ignored) and no CSP frame-ancestors"
        } else {
            "no frame guard (X-Frame-Options DENY/SAMEORIGIN or CSP frame-ancestors)"
        };
        problems.push(why.to_owned());
    }

    let referrer = values(headers, &header::REFERRER_POLICY);
    // With several policies, browsers use the last one they know.
    let last = referrer.iter().flat_map(|value| value.split(',')).map(str::trim).rfind(|t| !t.is_empty());
    match last {
        None => problems.push("Referrer-Policy missing".to_owned()),
        Some(policy) if policy.eq_ignore_ascii_case("unsafe-url") => {
            problems.push("Referrer-Policy `unsafe-url` sends full URLs to other sites".to_owned());
        }
        Some(_) => {}
    }

    if let Some(min) = min_hsts {
        let hsts = values(headers, &header::STRICT_TRANSPORT_SECURITY);
        match hsts.first() {
            None => problems.push("Strict-Transport-Security missing".to_owned()),
            Some(value) => match hsts_max_age(value) {
                None => problems.push("Strict-Transport-Security without a valid max-age".to_owned()),
                Some(age) if age < min.as_secs() => {
                    problems.push(format!("Strict-Transport-Security max-age={age} is under {} s", min.as_secs()))
                }
                Some(_) => {}
            },
        }
    }
    problems
}

/// The `max-age` of an HSTS value (`max-age=31536000; includeSubDomains`), quoted or not.
fn hsts_max_age(value: &str) -> Option<u64> {
    value.split(';').find_map(|directive| {
        let (name, age) = directive.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("max-age") {
            return None;
        }
        age.trim().trim_matches('"').parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn a_complete_set_passes_and_frame_ancestors_replaces_x_frame_options() {
        let complete = headers(&[
            ("x-content-type-options", "nosniff"),
            ("content-security-policy", "default-src 'self'; frame-ancestors 'none'"),
            ("referrer-policy", "no-referrer, strict-origin-when-cross-origin"),
            ("strict-transport-security", "max-age=\"31536000\"; includeSubDomains"),
        ]);
        assert_eq!(judge(&complete, Some(MIN_HSTS_MAX_AGE)), Vec::<String>::new());
    }

    #[test]
    fn every_weakness_is_named() {
        let weak = headers(&[
            ("x-content-type-options", "sniff-away"),
            ("content-security-policy-report-only", "default-src 'self'"),
            ("x-frame-options", "ALLOW-FROM https://a.example"),
            ("referrer-policy", "unsafe-url"),
            ("strict-transport-security", "max-age=600"),
        ]);
        let problems = judge(&weak, Some(MIN_HSTS_MAX_AGE));
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(problems[0].contains("nosniff"));
        assert!(problems[1].contains("report-only"));
        assert!(problems[2].contains("ALLOW-FROM"));
        assert!(problems[3].contains("unsafe-url"));
        assert!(problems[4].contains("max-age=600"));
        let star = headers(&[("content-security-policy", "frame-ancestors *")]);
        assert!(judge(&star, None).iter().any(|p| p.contains("allows any site")));
        assert!(!judge(&star, None).iter().any(|p| p.contains("Strict-Transport")));
    }
}
