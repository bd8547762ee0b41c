//! `http:security-headers`: the answers of every probed path carry strong browser security
//! headers.
//!
//! **Passes** when every probed answer (any status but a `5xx`: error pages need the headers
//! too) carries `X-Content-Type-Options: nosniff`; a frame guard (a CSP `frame-ancestors` that
//! names no wildcard, or, without one, `X-Frame-Options: DENY`/`SAMEORIGIN`); an enforced
//! `Content-Security-Policy` that restricts scripts (`script-src`, or `default-src` without
//! one, with no `*`, `'unsafe-inline'` or `'unsafe-eval'`); a `Referrer-Policy` that does not
//! send full URLs to other sites; and `Strict-Transport-Security` with a long enough `max-age`
//! (or HSTS declared as set by the ingress).
//!
//! **Fails** listing every missing or weak header of every probed path (each path is probed,
//! even after one fails), and naming every path that answered with a server error or did not
//! answer. Every weakness fails; none is graded as a warning.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, header};
use readiness_core::{CheckRegistration, Outcome};

use super::{Common, common_methods, header_names, list, status_hint};

/// The shortest HSTS `max-age` accepted by default: 180 days (15,552,000 s), about six months.
pub const MIN_HSTS_MAX_AGE: Duration = Duration::from_secs(180 * 24 * 60 * 60);

/// The evidence (and the end of the output) when HSTS is declared as set by the ingress.
const HSTS_AT_INGRESS: &str = "HSTS set by the ingress (configured)";

/// Where `Strict-Transport-Security` comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hsts {
    /// The application sends it: a missing header fails.
    Required,
    /// The ingress in front sends it: a missing header is reported, not failed.
    AtIngress,
    /// Not required at all (plain HTTP inside a trusted network).
    NotRequired,
}

/// Probes `security.network.headers` (check `http:security-headers`): each probed answer must
/// carry
///
/// * `X-Content-Type-Options: nosniff`;
/// * a frame guard: a CSP `frame-ancestors` directive whose sources are all restrictive (no
///   `*`, no scheme alone such as `https:`, no wildcard host such as `https://*`; a sub-domain
///   wildcard such as `https://*.example.com` is accepted), or, when no enforced policy has
///   `frame-ancestors`, `X-Frame-Options: DENY` or `SAMEORIGIN` (browsers ignore
///   `X-Frame-Options` when `frame-ancestors` is present, and `ALLOW-FROM` altogether);
/// * an enforced `Content-Security-Policy` (a `-Report-Only` one alone does not count) that
///   restricts scripts: its `script-src`, or its `default-src` when it has no `script-src`,
///   exists and allows neither `'unsafe-eval'`, nor `'unsafe-inline'` (unless a nonce or a hash
///   is given, which makes browsers ignore it), nor any host (`*`, `https:`, `http:`, `data:`,
///   `https://*`; unless `'strict-dynamic'` is given, which makes browsers ignore host
///   sources). With several policies, browsers enforce them all, so one policy that restricts
///   scripts (or frames) is enough;
/// * a `Referrer-Policy` whose policy (the last one browsers know) is neither `unsafe-url` nor
///   `no-referrer-when-downgrade`, both of which send the full URL, path and query included, to
///   other sites;
/// * `Strict-Transport-Security` with `max-age` of at least [`MIN_HSTS_MAX_AGE`], unless
///   declared as set by the ingress in front ([`SecurityHeaders::hsts_at_ingress`]) or switched
///   off ([`SecurityHeaders::without_hsts`]) for a plain-HTTP internal service.
///
/// It sends `GET /` by default ([`SecurityHeaders::paths`] for more). Every path is probed, even
/// after one has failed: the output names each path that answered with a server error or did
/// not answer, then lists every missing or weak header per path. The evidence lists each
/// answer's status and header names, and where HSTS is expected from.
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
    min_hsts: Duration,
    hsts: Hsts,
}

impl SecurityHeaders {
    /// A probe of `GET /` on `router`, requiring HSTS.
    pub fn new(router: Router) -> Self {
        Self {
            common: Common::new(
                router,
                "http:security-headers",
                "security.network.headers",
                "answers carry nosniff, a frame guard, a CSP restricting scripts, a Referrer-Policy and HSTS",
                2,
            ),
            method: Method::GET,
            paths: vec!["/".to_owned()],
            min_hsts: MIN_HSTS_MAX_AGE,
            hsts: Hsts::Required,
        }
    }

    /// Probes this one path instead.
    pub fn path(self, path: impl Into<String>) -> Self {
        self.paths([path])
    }

    /// Probes these paths (each one is probed, and each must pass) instead.
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

    /// The shortest acceptable HSTS `max-age` (default [`MIN_HSTS_MAX_AGE`]). After
    /// [`SecurityHeaders::without_hsts`], requires HSTS again.
    pub fn min_hsts_max_age(mut self, min: Duration) -> Self {
        self.min_hsts = min;
        if self.hsts == Hsts::NotRequired {
            self.hsts = Hsts::Required;
        }
        self
    }

    /// Declares that the ingress (load balancer, reverse proxy) in front of the service sets
    /// `Strict-Transport-Security`, so the application's own answers need not: a missing header
    /// is then reported in the evidence as `HSTS set by the ingress (configured)` instead of
    /// failing. A header the application does send is still judged (its `max-age` must be long
    /// enough). Without this option a missing HSTS header fails.
    pub fn hsts_at_ingress(mut self) -> Self {
        self.hsts = Hsts::AtIngress;
        self
    }

    /// Does not require `Strict-Transport-Security`: for a service only ever reached over plain
    /// HTTP inside a trusted network (HSTS is ignored on plain HTTP anyway). The evidence says so.
    pub fn without_hsts(mut self) -> Self {
        self.hsts = Hsts::NotRequired;
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
        // What answered no judgeable answer (a 5xx, a timeout, a panic), and what was weak.
        let mut unanswered = Vec::new();
        let mut problems = Vec::new();
        let mut evidence = Vec::new();
        for path in &self.paths {
            let label = format!("{} {path}", self.method);
            let response = match self.common.exchange(&self.method, path, Body::empty()).await {
                Ok(response) => response,
                Err(error) => {
                    unanswered.push(error.to_string());
                    evidence.push((label, "no answer".to_owned()));
                    continue;
                }
            };
            let status = response.status();
            evidence
                .push((label.clone(), format!("{}; headers: {}", status.as_u16(), header_names(response.headers()))));
            if status.is_server_error() {
                unanswered.push(format!("{label} answered {}: {}", status.as_u16(), status_hint(status)));
                continue;
            }
            let found = judge(response.headers(), self.hsts, self.min_hsts);
            if !found.is_empty() {
                problems.push(format!("{label} ({}): {}", status.as_u16(), list(&found)));
            }
        }
        let count: usize = self.paths.len();
        let outcome = if unanswered.is_empty() && problems.is_empty() {
            let hsts = match self.hsts {
                Hsts::Required => format!("HSTS max-age at least {} s", self.min_hsts.as_secs()),
                Hsts::AtIngress => HSTS_AT_INGRESS.to_owned(),
                Hsts::NotRequired => "HSTS not required".to_owned(),
            };
            Outcome::pass().with_output(format!(
                "{count} answer(s) carry nosniff, a frame guard, a CSP restricting scripts and a Referrer-Policy; {hsts}"
            ))
        } else {
            let mut parts = unanswered.clone();
            if !problems.is_empty() {
                parts.push(format!("missing or weak security headers: {}", problems.join("; ")));
            }
            Outcome::fail(parts.join("; "))
        };
        let hsts_evidence = match self.hsts {
            Hsts::Required => format!("required, max-age >= {} s", self.min_hsts.as_secs()),
            Hsts::AtIngress => HSTS_AT_INGRESS.to_owned(),
            Hsts::NotRequired => "not required (without_hsts)".to_owned(),
        };
        evidence
            .into_iter()
            .fold(outcome, |outcome, (key, value)| outcome.evidence(key, value))
            .evidence("hsts", hsts_evidence)
            .observed(problems.len() + unanswered.len(), "answers with missing or weak headers")
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

/// One enforced CSP: its directives in order, names in lower case. A header value may hold
/// several policies separated by commas.
struct Policy<'a> {
    directives: Vec<(String, Vec<&'a str>)>,
}

impl<'a> Policy<'a> {
    /// Every policy of the `Content-Security-Policy` header values.
    fn all(values: &[&'a str]) -> Vec<Policy<'a>> {
        values
            .iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .filter(|policy| !policy.is_empty())
            .map(|policy| Policy {
                directives: policy
                    .split(';')
                    .filter_map(|part| {
                        let mut tokens = part.split_whitespace();
                        let name = tokens.next()?.to_ascii_lowercase();
                        Some((name, tokens.collect()))
                    })
                    .collect(),
            })
            .collect()
    }

    /// The sources of a directive (browsers use its first occurrence).
    fn directive(&self, name: &str) -> Option<&[&'a str]> {
        self.directives.iter().find(|(directive, _)| directive == name).map(|(_, sources)| sources.as_slice())
    }

    /// What makes this policy's script restriction weak (empty when scripts are restricted).
    fn script_weaknesses(&self) -> Vec<String> {
        let (directive, sources) = match (self.directive("script-src"), self.directive("default-src")) {
            (Some(sources), _) => ("script-src", sources),
            (None, Some(sources)) => ("default-src (no script-src)", sources),
            (None, None) => return vec!["CSP does not restrict scripts (no script-src or default-src)".to_owned()],
        };
        let lower: Vec<String> = sources.iter().map(|source| source.to_ascii_lowercase()).collect();
        let nonce_or_hash = lower.iter().any(|source| {
            ["'nonce-", "'sha256-", "'sha384-", "'sha512-"].iter().any(|prefix| source.starts_with(prefix))
        });
        let strict_dynamic = lower.iter().any(|source| source == "'strict-dynamic'");
        let mut weak = Vec::new();
        for source in &lower {
            let why = match source.as_str() {
                "'unsafe-eval'" => Some("'unsafe-eval'"),
                "'unsafe-inline'" if !nonce_or_hash => Some("'unsafe-inline'"),
                _ if !strict_dynamic && any_host(source) => Some(source.as_str()),
                _ => None,
            };
            if let Some(why) = why {
                weak.push(why.to_owned());
            }
        }
        if weak.is_empty() {
            Vec::new()
        } else {
            vec![format!("CSP {directive} allows {} (scripts are not restricted)", weak.join(" "))]
        }
    }
}

/// Whether a CSP source lets in any host: `*`, a scheme alone (`https:`, `data:`), or a
/// wildcard host (`https://*`, `*:443`). A sub-domain wildcard (`*.example.com`) is not.
fn any_host(source: &str) -> bool {
    if source == "*" || (source.ends_with(':') && !source.contains('/')) {
        return true;
    }
    let host = source.split_once("://").map_or(source, |(_, rest)| rest);
    let host = host.split(['/', ':']).next().unwrap_or(host);
    host == "*"
}

/// The Referrer-Policy tokens browsers know, in lower case.
const REFERRER_POLICIES: [&str; 8] = [
    "no-referrer",
    "no-referrer-when-downgrade",
    "origin",
    "origin-when-cross-origin",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
];

/// Every missing or weak header of one answer.
fn judge(headers: &HeaderMap, hsts: Hsts, min_hsts: Duration) -> Vec<String> {
    let mut problems = Vec::new();

    let nosniff = values(headers, &header::X_CONTENT_TYPE_OPTIONS);
    if nosniff.is_empty() {
        problems.push("X-Content-Type-Options missing".to_owned());
    } else if !nosniff.iter().any(|value| value.eq_ignore_ascii_case("nosniff")) {
        problems.push("X-Content-Type-Options is not `nosniff`".to_owned());
    }

    let enforced: Vec<&str> =
        values(headers, &header::CONTENT_SECURITY_POLICY).into_iter().filter(|value| !value.is_empty()).collect();
    let policies = Policy::all(&enforced);
    if policies.is_empty() {
        if headers.contains_key(header::CONTENT_SECURITY_POLICY_REPORT_ONLY) {
            problems.push("Content-Security-Policy only report-only (not enforced)".to_owned());
        } else {
            problems.push("Content-Security-Policy missing".to_owned());
        }
    } else {
        // Browsers enforce every policy: one that restricts scripts is enough.
        let weaknesses: Vec<Vec<String>> = policies.iter().map(Policy::script_weaknesses).collect();
        if weaknesses.iter().all(|weak| !weak.is_empty()) {
            problems.extend(weaknesses.into_iter().next().unwrap_or_default());
        }
    }

    let ancestors: Vec<&[&str]> = policies.iter().filter_map(|policy| policy.directive("frame-ancestors")).collect();
    if ancestors.is_empty() {
        let frame_options = values(headers, &header::X_FRAME_OPTIONS);
        let frame_options_ok = frame_options
            .iter()
            .any(|value| value.eq_ignore_ascii_case("DENY") || value.eq_ignore_ascii_case("SAMEORIGIN"));
        if !frame_options_ok {
            let why = if frame_options.is_empty() {
                "no frame guard (X-Frame-Options DENY/SAMEORIGIN or CSP frame-ancestors)"
            } else {
                "X-Frame-Options is neither DENY nor SAMEORIGIN (ALLOW-FROM is ignored) and no CSP frame-ancestors"
            };
            problems.push(why.to_owned());
        }
    } else {
        // Browsers ignore X-Frame-Options when frame-ancestors is present; an empty source list
        // matches nothing (as `'none'`).
        let restrictive = |sources: &&[&str]| !sources.iter().any(|source| any_host(&source.to_ascii_lowercase()));
        if !ancestors.iter().any(restrictive) {
            let wide: Vec<&str> = ancestors
                .iter()
                .flat_map(|sources| sources.iter().copied())
                .filter(|source| any_host(&source.to_ascii_lowercase()))
                .collect();
            problems.push(format!(
                "CSP frame-ancestors allows any site ({}; X-Frame-Options is ignored when frame-ancestors is set)",
                wide.join(" ")
            ));
        }
    }

    let referrer = values(headers, &header::REFERRER_POLICY);
    let tokens: Vec<&str> =
        referrer.iter().flat_map(|value| value.split(',')).map(str::trim).filter(|t| !t.is_empty()).collect();
    // With several policies, browsers use the last one they know.
    let known = tokens.iter().rfind(|token| REFERRER_POLICIES.iter().any(|known| token.eq_ignore_ascii_case(known)));
    match known {
        None if tokens.is_empty() => problems.push("Referrer-Policy missing".to_owned()),
        None => problems.push(format!("Referrer-Policy has no policy browsers know ({})", tokens.join(", "))),
        Some(policy) if policy.eq_ignore_ascii_case("unsafe-url") => {
            problems.push("Referrer-Policy `unsafe-url` sends full URLs to other sites".to_owned());
        }
        Some(policy) if policy.eq_ignore_ascii_case("no-referrer-when-downgrade") => {
            problems.push(
                "Referrer-Policy `no-referrer-when-downgrade` sends full URLs (path and query) to every HTTPS site"
                    .to_owned(),
            );
        }
        Some(_) => {}
    }

    if hsts != Hsts::NotRequired {
        // Browsers use the first HSTS header.
        match values(headers, &header::STRICT_TRANSPORT_SECURITY).first() {
            None if hsts == Hsts::AtIngress => {}
            None => problems.push("Strict-Transport-Security missing".to_owned()),
            Some(value) => match hsts_max_age(value) {
                None => problems.push("Strict-Transport-Security without a valid max-age".to_owned()),
                Some(age) if age < min_hsts.as_secs() => {
                    problems.push(format!("Strict-Transport-Security max-age={age} is under {} s", min_hsts.as_secs()))
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
        assert_eq!(judge(&complete, Hsts::Required, MIN_HSTS_MAX_AGE), Vec::<String>::new());
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
        let problems = judge(&weak, Hsts::Required, MIN_HSTS_MAX_AGE);
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(problems[0].contains("nosniff"));
        assert!(problems[1].contains("report-only"));
        assert!(problems[2].contains("ALLOW-FROM"));
        assert!(problems[3].contains("unsafe-url"));
        assert!(problems[4].contains("max-age=600"));
        let star = headers(&[("content-security-policy", "frame-ancestors *")]);
        assert!(judge(&star, Hsts::NotRequired, MIN_HSTS_MAX_AGE).iter().any(|p| p.contains("allows any site")));
        assert!(!judge(&star, Hsts::NotRequired, MIN_HSTS_MAX_AGE).iter().any(|p| p.contains("Strict-Transport")));
    }

    #[test]
    fn script_sources_are_judged() {
        let weak = |policy: &str| {
            let policies = Policy::all(&[policy]);
            !policies[0].script_weaknesses().is_empty()
        };
        for policy in [
            "default-src *",
            "default-src 'self' 'unsafe-inline'",
            "script-src 'self' 'unsafe-eval'",
            "script-src https:",
            "script-src https://*",
            "script-src data:",
            "default-src 'none'; script-src *",
            "frame-ancestors 'none'",
            "script-src 'nonce-r4nd0m' 'unsafe-eval'",
        ] {
            assert!(weak(policy), "{policy} is weak");
        }
        for policy in [
            "default-src 'none'",
            "default-src * ; script-src 'self'",
            "script-src 'self' https://cdn.example.com https://*.example.com",
            "script-src 'nonce-r4nd0m' 'unsafe-inline'",
            "script-src 'sha256-abc=' 'strict-dynamic' 'unsafe-inline' https: http:",
            "SCRIPT-SRC 'SELF'",
        ] {
            assert!(!weak(policy), "{policy} restricts scripts");
        }
    }

    #[test]
    fn frame_ancestors_wildcards_fail_even_with_x_frame_options() {
        for ancestors in ["frame-ancestors https://*", "frame-ancestors *", "frame-ancestors 'self' https:"] {
            let answer = headers(&[("x-frame-options", "DENY")]);
            let mut answer = answer;
            answer.append("content-security-policy", HeaderValue::from_str(ancestors).unwrap());
            let problems = judge(&answer, Hsts::NotRequired, MIN_HSTS_MAX_AGE);
            assert!(
                problems.iter().any(|p| p.contains("frame-ancestors allows any site")),
                "{ancestors}: {problems:?}"
            );
        }
        let sub_domains =
            headers(&[("content-security-policy", "default-src 'none'; frame-ancestors https://*.a.example")]);
        assert!(!judge(&sub_domains, Hsts::NotRequired, MIN_HSTS_MAX_AGE).iter().any(|p| p.contains("frame")));
    }

    #[test]
    fn the_last_known_referrer_policy_counts() {
        let problems = |value: &'static str| {
            judge(&headers(&[("referrer-policy", value)]), Hsts::NotRequired, MIN_HSTS_MAX_AGE)
                .into_iter()
                .filter(|p| p.contains("Referrer-Policy"))
                .collect::<Vec<_>>()
        };
        assert!(problems("no-referrer-when-downgrade")[0].contains("every HTTPS site"));
        assert!(problems("unsafe-url, a-future-policy")[0].contains("unsafe-url"));
        assert!(problems("no-referrer, a-future-policy").is_empty());
        assert!(problems("a-future-policy")[0].contains("no policy browsers know"));
        assert!(problems("unsafe-url, strict-origin").is_empty());
    }

    #[test]
    fn hsts_at_ingress_accepts_a_missing_header_but_not_a_short_one() {
        let none = headers(&[]);
        assert!(!judge(&none, Hsts::AtIngress, MIN_HSTS_MAX_AGE).iter().any(|p| p.contains("Strict-Transport")));
        assert!(judge(&none, Hsts::Required, MIN_HSTS_MAX_AGE).iter().any(|p| p.contains("Strict-Transport")));
        let short = headers(&[("strict-transport-security", "max-age=60")]);
        assert!(judge(&short, Hsts::AtIngress, MIN_HSTS_MAX_AGE).iter().any(|p| p.contains("max-age=60")));
    }
}
