//! `http:session-cookie`: the session cookie is `Secure`, `HttpOnly` and `SameSite`, its value
//! is a fresh, unguessable id for each session, and it is neither scoped nor kept too widely.
//!
//! **Passes** when each judged cookie of a first login has all three flags (`SameSite=Lax` or
//! `Strict`) and a value that is random enough (about 64 bits or more by estimate,
//! configurable), a second login got a different value that differs by at least half as many
//! bits, `Domain` is absent or the host itself, and the cookie lives at most 24 hours
//! (configurable) or only for the browser session.
//!
//! **Fails** on a missing flag, a broken `__Host-`/`__Secure-` prefix, no session cookie, two
//! logins sharing one value, a low-entropy value (`1`, `aaaaaaaa…`), two values that differ
//! like a counter or a clock, or a `Domain` that does not cover the host.
//! **Warns** on `SameSite=None`, a public-suffix-like or parent `Domain`, a `Max-Age` or
//! `Expires` beyond the lifetime, and ("cannot tell") when the second login sets no such
//! cookie.

use std::fmt;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, Method, header};
use readiness_core::{CheckRegistration, Outcome, Status};

use super::{Common, RequestTemplate, common_methods, list, request_methods, status_hint, unix_now};

/// How long a session cookie may live by default before it warns: 24 hours.
const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// The estimated randomness a session value needs by default, in bits (OWASP's minimum).
const DEFAULT_MIN_ENTROPY_BITS: u32 = 64;

/// Domains under which anyone can register a site: a cookie scoped to one is sent to all of
/// them (browsers that know the public suffix list refuse it). One label (`com`), a generic
/// second level under a country code (`co.uk`), and these shared hosting suffixes.
const SHARED_SUFFIXES: [&str; 16] = [
    "github.io",
    "gitlab.io",
    "herokuapp.com",
    "vercel.app",
    "netlify.app",
    "pages.dev",
    "workers.dev",
    "web.app",
    "firebaseapp.com",
    "appspot.com",
    "azurewebsites.net",
    "cloudfront.net",
    "amazonaws.com",
    "onrender.com",
    "fly.dev",
    "blogspot.com",
];

/// Probes `security.auth.session-management` (check `http:session-cookie`).
///
/// It sends the request that should set a session cookie **twice**, as two logins (`POST
/// /login` by default; give the route and a body that logs in with [`SessionCookie::request`]
/// and [`SessionCookie::json`]), and judges every `Set-Cookie` of the answers, or only the one
/// named with [`SessionCookie::cookie`] (name it when the login sets other cookies too):
///
/// * it fails when there is no `Set-Cookie` (or none with that name), when a cookie lacks
///   `Secure`, lacks `HttpOnly`, lacks `SameSite` or has a value other than `Lax`, `Strict` or
///   `None`, and when a `__Host-`/`__Secure-` prefixed cookie breaks its prefix's rules (browsers
///   drop such cookies);
/// * it fails when the two logins got the **same value** (a fixed or shared session id, or a
///   token without anything unique in it), when a value is **guessable**: its estimated
///   randomness (its length times the bits of its alphabet, after dropping a repeated block and
///   the rest of a run such as `aaaaaa`, `abcdef` or `000000`) is under 64 bits ([`SessionCookie::min_entropy_bits`]),
///   so `session=1`, `aaaaaaaa…`, a counter or a timestamp fail while a 128-bit random id (32
///   hex digits, 22 base64url characters, a UUIDv4) passes, and when the two values differ by
///   less than half that (a counter or a clock behind a constant prefix);
/// * it fails when `Domain` does not cover the host given with [`SessionCookie::host`] (browsers
///   reject the cookie), and **warns** when `Domain` is public-suffix-like (`.com`, `co.uk`,
///   `github.io`: sent to every site under it) or a parent of that host (`Domain=example.com`
///   for `app.example.com`: every sibling sub-domain receives the session). Without a host (none
///   given and no `Host` header set with [`SessionCookie::header`]), only the first is judged;
/// * it **warns** on `SameSite=None` with `Secure`: legal, and needed for cross-site embedding,
///   but the cookie then rides along on cross-site requests and CSRF protection rests on the
///   application alone;
/// * it **warns** when `Max-Age` (or, without it, `Expires`) keeps the cookie longer than 24
///   hours ([`SessionCookie::max_lifetime`]): a stolen cookie stays usable that long;
/// * when the second login sets no such cookie, it cannot compare two sessions and says
///   "cannot tell" (a warning) next to what it found in the first;
/// * deletion cookies (`Max-Age=0` or less, or an `Expires` in the past) are not judged.
///
/// A `5xx` fails. Cookie values are never put into the outcome: the evidence lists each cookie
/// by name with its attribute names (and its `SameSite`, `Path`, `Max-Age` and `Domain`); the
/// request body (it holds a password) is redacted from `Debug`. The two logins are real: each
/// opens a session. A login that hashes passwords with a deliberately slow function may need a
/// longer [`SessionCookie::request_timeout`] (and check timeout) than the 250 ms default, above
/// all in debug builds.
///
/// ```
/// # let app = axum::Router::new();
/// use std::time::Duration;
/// use readiness_axum::probes::SessionCookie;
///
/// let check = SessionCookie::new(app)
///     .request(axum::http::Method::POST, "/login")
///     .json(&serde_json::json!({"username": "probe", "password": "probe-password-from-config"}))
///     .cookie("session")
///     .host("app.example.com")
///     .max_lifetime(Duration::from_secs(8 * 60 * 60))
///     .check();
/// assert_eq!(check.spec().name(), "http:session-cookie");
/// ```
#[derive(Clone)]
#[must_use]
pub struct SessionCookie {
    common: Common,
    request: RequestTemplate,
    cookie: Option<String>,
    host: Option<String>,
    max_lifetime: Duration,
    min_entropy_bits: u32,
}

impl SessionCookie {
    /// A probe sending `POST /login` without a body to `router`, judging every cookie set.
    pub fn new(router: Router) -> Self {
        Self {
            common: Common::new(
                router,
                "http:session-cookie",
                "security.auth.session-management",
                "the session cookie is Secure, HttpOnly, SameSite=Lax or Strict, and a fresh random id",
                4,
            ),
            request: RequestTemplate::new(Method::POST, "/login"),
            cookie: None,
            host: None,
            max_lifetime: DEFAULT_MAX_LIFETIME,
            min_entropy_bits: DEFAULT_MIN_ENTROPY_BITS,
        }
    }

    request_methods!("that sets the cookie", "POST /login");

    /// Judges only the cookie of this name (which must be set); by default every cookie is.
    pub fn cookie(mut self, name: impl Into<String>) -> Self {
        self.cookie = Some(name.into());
        self
    }

    /// The host the application is served at (`app.example.com`): sent as the `Host` header of
    /// the logins (unless one is set with [`SessionCookie::header`]), and the host a cookie's
    /// `Domain` is judged against.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// The longest a session cookie may live (its `Max-Age`, or its `Expires` from now) before
    /// the check warns (default 24 hours). A cookie without either ends with the browser session.
    pub fn max_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_lifetime = lifetime;
        self
    }

    /// The estimated randomness a session value needs, in bits (default 64). Two values must
    /// also differ by at least half of it.
    pub fn min_entropy_bits(mut self, bits: u32) -> Self {
        self.min_entropy_bits = bits;
        self
    }

    common_methods!("http:session-cookie");

    /// The check, ready for [`readiness_core::ReadinessBuilder::register`].
    pub fn check(&self) -> CheckRegistration {
        self.common.register(self.clone(), |probe| async move { probe.run().await })
    }

    /// The host a `Domain` is judged against: the one given, else a `Host` header given.
    fn judged_host(&self) -> Option<String> {
        let host = self.host.clone().or_else(|| {
            self.common.headers.get(header::HOST).and_then(|value| value.to_str().ok()).map(str::to_owned)
        })?;
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        // Without a port (`app.example.com:8443`), and without brackets for IPv6.
        let host = match host.strip_prefix('[') {
            Some(rest) => rest.split(']').next().unwrap_or(rest).to_owned(),
            None => host.split(':').next().unwrap_or(&host).to_owned(),
        };
        (!host.is_empty()).then_some(host)
    }

    /// One login: its status and the cookies it set, or the outcome that ends the check.
    async fn login(&self, label: &str) -> Result<(u16, Vec<Cookie>), Outcome> {
        let mut request = self.request.build(&self.common, self.common.client_ip).map_err(Outcome::from)?;
        if let Some(host) = &self.host
            && !request.headers().contains_key(header::HOST)
        {
            let value = HeaderValue::from_str(host)
                .map_err(|_| Outcome::fail(format!("the host {host:?} is not a valid header value")))?;
            request.headers_mut().insert(header::HOST, value);
        }
        let response = self.common.send(request).await.map_err(Outcome::from)?;
        let status = response.status();
        if status.is_server_error() {
            return Err(Outcome::fail(format!("{label} answered {}: {}", status.as_u16(), status_hint(status)))
                .evidence("request", label)
                .evidence("status", status.as_u16()));
        }
        let cookies: Vec<Cookie> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .filter_map(Cookie::parse)
            .collect();
        // Only a login that succeeded hands out a session: a cookie set on a refused login (an
        // anonymous tracking id, say) proves nothing about sessions.
        let refused = !(status.is_success() || status.is_redirection());
        if refused && !cookies.is_empty() {
            return Err(Outcome::fail(format!(
                "{label} answered {} and set a cookie anyway: a cookie on a refused login is no session; give the probe credentials the login accepts",
                status.as_u16()
            ))
            .evidence("request", label)
            .evidence("status", status.as_u16()));
        }
        Ok((status.as_u16(), cookies))
    }

    async fn run(&self) -> Outcome {
        let label = self.request.label();
        let (status, cookies) = match self.login(&label).await {
            Ok(answer) => answer,
            Err(outcome) => return outcome,
        };
        let judged = match self.select(&label, status, &cookies) {
            Ok(judged) => judged,
            Err(outcome) => {
                return outcome
                    .evidence("request", &label)
                    .evidence("status", status)
                    .evidence("cookies", list(cookies.iter().map(Cookie::describe)));
            }
        };
        let mut findings: Vec<(Status, String)> = Vec::new();
        let host = self.judged_host();
        for cookie in &judged {
            let problems = cookie
                .problems()
                .into_iter()
                .chain(self.value_problems(cookie))
                .chain(domain_problems(cookie, host.as_deref()))
                .chain(self.lifetime_problems(cookie));
            findings.extend(problems.map(|(status, text)| (status, format!("{}: {text}", cookie.name))));
        }

        // The second session.
        let second_label = format!("a second {label}");
        let (second_status, second) = match self.login(&second_label).await {
            Ok(answer) => answer,
            Err(outcome) => return outcome,
        };
        for cookie in &judged {
            let other = second.iter().find(|other| other.name == cookie.name && !other.is_deletion());
            match other {
                None => findings.push((
                    Status::Warn,
                    format!(
                        "cannot tell: {second_label} (answered {second_status}) set no {} cookie, so two sessions \
                         could not be compared; let the probe log in twice",
                        cookie.name
                    ),
                )),
                Some(other) => {
                    if let Some(problem) = self.compare(cookie, other) {
                        findings.push((Status::Fail, format!("{}: {problem}", cookie.name)));
                    }
                }
            }
        }

        let worst = findings.iter().map(|(status, _)| *status).max().unwrap_or(Status::Pass);
        let text: Vec<&str> = findings.iter().map(|(_, text)| text.as_str()).collect();
        let outcome = match worst {
            Status::Pass => Outcome::pass().with_output(format!(
                "the cookie(s) set by {label} ({}) are Secure, HttpOnly and SameSite=Lax or Strict",
                list(judged.iter().map(|cookie| &cookie.name))
            )),
            Status::Warn => Outcome::warn(text.join("; ")),
            Status::Fail => Outcome::fail(format!("weak session cookie: {}", text.join("; "))),
        };
        let lifetime = format!("at most {} s", self.max_lifetime.as_secs());
        outcome
            .observed(judged.len(), "cookies")
            .evidence("request", &label)
            .evidence("status", status)
            .evidence("cookies", list(cookies.iter().map(Cookie::describe)))
            .evidence("second login", format!("{second_status}; cookies: {}", list(second.iter().map(|c| &c.name))))
            .evidence("values", format!("judged for at least {} bits, never shown", self.min_entropy_bits))
            .evidence("lifetime", lifetime)
            .evidence("host", host.as_deref().unwrap_or("not given (Domain judged for public suffixes only)"))
    }

    /// The cookies to judge, or the failing outcome when there is none.
    fn select<'a>(&self, label: &str, status: u16, cookies: &'a [Cookie]) -> Result<Vec<&'a Cookie>, Outcome> {
        if cookies.is_empty() {
            return Err(Outcome::fail(format!(
                "{label} answered {status} without Set-Cookie: did the request log in? (give SessionCookie::request \
                 and a body that does)"
            ))
            .observed(0, "cookies"));
        }
        let judged: Vec<&Cookie> = match &self.cookie {
            Some(name) => cookies.iter().filter(|cookie| &cookie.name == name).collect(),
            None => cookies.iter().filter(|cookie| !cookie.is_deletion()).collect(),
        };
        if judged.is_empty() {
            let why = match &self.cookie {
                Some(name) => {
                    format!("{label} set no cookie named {name} (it set {})", list(cookies.iter().map(|c| &c.name)))
                }
                None => format!("{label} only deleted cookies ({})", list(cookies.iter().map(|c| &c.name))),
            };
            return Err(Outcome::fail(why).observed(0, "cookies"));
        }
        Ok(judged)
    }

    /// A guessable value (never shown).
    fn value_problems(&self, cookie: &Cookie) -> Vec<(Status, String)> {
        let bits = entropy_bits(cookie.value.get());
        if bits < f64::from(self.min_entropy_bits) {
            vec![(
                Status::Fail,
                format!(
                    "low-entropy value (about {bits:.0} bits, under {}): a session id an attacker can guess",
                    self.min_entropy_bits
                ),
            )]
        } else {
            Vec::new()
        }
    }

    /// A `Max-Age` or `Expires` beyond the lifetime.
    fn lifetime_problems(&self, cookie: &Cookie) -> Vec<(Status, String)> {
        let Some((lifetime, from)) = cookie.lifetime() else {
            return Vec::new();
        };
        if lifetime <= self.max_lifetime.as_secs() {
            return Vec::new();
        }
        let days = lifetime as f64 / 86_400.0;
        vec![(
            Status::Warn,
            format!(
                "{from} keeps the session {lifetime} s ({days:.1} days), over {} s: a stolen cookie stays usable that \
                 long",
                self.max_lifetime.as_secs()
            ),
        )]
    }

    /// What is wrong with two sessions' values, if anything (never showing them).
    fn compare(&self, first: &Cookie, second: &Cookie) -> Option<String> {
        let (a, b) = (first.value.get(), second.value.get());
        if a == b {
            return Some(
                "two logins got the same value: the session id is fixed, shared or holds nothing unique".to_owned(),
            );
        }
        let bits = difference_bits(a, b);
        let needed = f64::from(self.min_entropy_bits) / 2.0;
        (bits < needed).then(|| {
            format!(
                "two logins got values that differ by about {bits:.0} bits (under {needed:.0}): a counter or a clock, \
                 not a random id"
            )
        })
    }
}

impl fmt::Debug for SessionCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body logs in: it holds a password, so only its content type is shown.
        f.debug_struct("SessionCookie")
            .field("common", &self.common)
            .field("request", &self.request)
            .field("cookie", &self.cookie)
            .field("host", &self.host)
            .field("max_lifetime", &self.max_lifetime)
            .field("min_entropy_bits", &self.min_entropy_bits)
            .finish()
    }
}

impl From<SessionCookie> for CheckRegistration {
    fn from(probe: SessionCookie) -> Self {
        probe.check()
    }
}

/// A cookie value: kept to compare two sessions and estimate its randomness, never shown.
#[derive(Clone, PartialEq, Eq)]
struct Value(String);

impl Value {
    fn get(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// One `Set-Cookie`: its name, its value (never shown) and its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cookie {
    name: String,
    value: Value,
    /// Attribute names in lower case, with their values (empty for flags).
    attributes: Vec<(String, String)>,
}

impl Cookie {
    fn parse(header: &str) -> Option<Cookie> {
        let mut parts = header.split(';');
        let (name, value) = parts.next()?.split_once('=')?;
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        let value = value.trim();
        let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
        let attributes = parts
            .map(|part| match part.split_once('=') {
                Some((key, value)) => (key.trim().to_ascii_lowercase(), value.trim().to_owned()),
                None => (part.trim().to_ascii_lowercase(), String::new()),
            })
            .filter(|(key, _)| !key.is_empty())
            .collect();
        Some(Cookie { name: name.to_owned(), value: Value(value.to_owned()), attributes })
    }

    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    fn has(&self, name: &str) -> bool {
        self.attribute(name).is_some()
    }

    fn max_age(&self) -> Option<i64> {
        self.attribute("max-age").and_then(|age| age.parse::<i64>().ok())
    }

    fn expires(&self) -> Option<i64> {
        self.attribute("expires").and_then(http_date)
    }

    fn is_deletion(&self) -> bool {
        let now = i64::try_from(unix_now()).unwrap_or(i64::MAX);
        match self.max_age() {
            Some(age) => age <= 0,
            None => {
                self.attribute("expires").is_some_and(|date| date.contains("1970"))
                    || self.expires().is_some_and(|at| at <= now)
            }
        }
    }

    /// How long the cookie lives, in seconds, and the attribute saying so (`Max-Age` wins over
    /// `Expires`); `None` for a cookie that ends with the browser session.
    fn lifetime(&self) -> Option<(u64, String)> {
        if let Some(age) = self.max_age() {
            return Some((u64::try_from(age).unwrap_or(0), format!("Max-Age={age}")));
        }
        let now = i64::try_from(unix_now()).unwrap_or(i64::MAX);
        let at = self.expires()?;
        Some((u64::try_from(at.saturating_sub(now)).unwrap_or(0), "Expires".to_owned()))
    }

    fn problems(&self) -> Vec<(Status, String)> {
        let mut problems = Vec::new();
        let secure = self.has("secure");
        if !secure {
            problems.push((Status::Fail, "no Secure (sent over plain HTTP)".to_owned()));
        }
        if !self.has("httponly") {
            problems.push((Status::Fail, "no HttpOnly (readable by scripts)".to_owned()));
        }
        match self.attribute("samesite") {
            None => problems.push((Status::Fail, "no SameSite".to_owned())),
            Some(value) if value.eq_ignore_ascii_case("strict") || value.eq_ignore_ascii_case("lax") => {}
            Some(value) if value.eq_ignore_ascii_case("none") => {
                if secure {
                    problems.push((Status::Warn, "SameSite=None: sent on cross-site requests".to_owned()));
                } else {
                    problems.push((Status::Fail, "SameSite=None without Secure (rejected by browsers)".to_owned()));
                }
            }
            Some(_) => problems.push((Status::Fail, "SameSite is not Lax, Strict or None".to_owned())),
        }
        if self.name.starts_with("__Host-")
            && (!secure || self.has("domain") || self.attribute("path").is_none_or(|path| path != "/"))
        {
            problems.push((Status::Fail, "__Host- prefix needs Secure, Path=/ and no Domain".to_owned()));
        }
        if self.name.starts_with("__Secure-") && !secure {
            problems.push((Status::Fail, "__Secure- prefix needs Secure".to_owned()));
        }
        problems
    }

    /// The name and the attribute names (never the value).
    fn describe(&self) -> String {
        let attributes: Vec<String> = self
            .attributes
            .iter()
            .map(|(key, value)| match key.as_str() {
                "samesite" | "path" | "max-age" | "domain" => format!("{key}={value}"),
                _ => key.clone(),
            })
            .collect();
        if attributes.is_empty() {
            format!("{} (no attributes)", self.name)
        } else {
            format!("{} ({})", self.name, attributes.join(" "))
        }
    }
}

/// What is wrong with a cookie's `Domain` for `host`.
fn domain_problems(cookie: &Cookie, host: Option<&str>) -> Vec<(Status, String)> {
    let Some(written) = cookie.attribute("domain") else {
        return Vec::new();
    };
    let domain = written.trim().trim_start_matches('.').trim_end_matches('.').to_ascii_lowercase();
    if domain.is_empty() {
        // Browsers ignore an empty Domain: a host-only cookie.
        return Vec::new();
    }
    if public_suffix_like(&domain) {
        return vec![(
            Status::Warn,
            format!(
                "Domain={written} is a public suffix: the session would go to every site under it (browsers refuse \
                 it); leave Domain out"
            ),
        )];
    }
    let Some(host) = host else {
        return Vec::new();
    };
    if host == domain {
        Vec::new()
    } else if host.ends_with(&format!(".{domain}")) {
        vec![(
            Status::Warn,
            format!(
                "Domain={written} is a parent of {host}: every other sub-domain of {domain} receives the session; \
                 leave Domain out"
            ),
        )]
    } else {
        vec![(Status::Fail, format!("Domain={written} does not cover the host {host}: browsers reject the cookie"))]
    }
}

/// One label (`com`), a generic second level under a country code (`co.uk`, `com.au`), or a
/// shared hosting suffix.
fn public_suffix_like(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    match labels.as_slice() {
        [_] => true,
        [second, country] => {
            (country.len() == 2
                && ["co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "gob", "mil"].contains(second))
                || SHARED_SUFFIXES.contains(&domain)
        }
        _ => SHARED_SUFFIXES.contains(&domain),
    }
}

/// The size of the alphabet a value is drawn from, judged by the kinds of characters in it:
/// hex digits, digits, lower- and upper-case letters, and each other character seen.
fn alphabet(value: &str) -> f64 {
    let hex = value.bytes().all(|byte| byte.is_ascii_hexdigit() || !byte.is_ascii_alphanumeric())
        && (value.bytes().all(|b| !b.is_ascii_uppercase()) || value.bytes().all(|b| !b.is_ascii_lowercase()));
    let others = {
        let mut seen: Vec<char> = value.chars().filter(|c| !c.is_ascii_alphanumeric()).collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    };
    let letters_and_digits = if hex && value.bytes().any(|b| b.is_ascii_alphabetic()) {
        16
    } else {
        let mut size = 0;
        if value.bytes().any(|b| b.is_ascii_digit()) {
            size += 10;
        }
        if value.bytes().any(|b| b.is_ascii_lowercase()) {
            size += 26;
        }
        if value.bytes().any(|b| b.is_ascii_uppercase()) {
            size += 26;
        }
        size
    };
    (letters_and_digits + others).max(1) as f64
}

/// A conservative estimate of a value's randomness in bits: the characters that are not
/// predictable from what came before (a repeated block counts once; in a run of characters
/// that keep one step, such as `aaaaaa`, `abcdef` or `000000`, only the first four count),
/// times the bits of the alphabet.
fn entropy_bits(value: &str) -> f64 {
    let chars: Vec<u32> = value.chars().map(u32::from).collect();
    // The shortest block the whole value repeats (`Summer2024!Summer2024!` is one block).
    let period = (1..=chars.len()).find(|&p| (p..chars.len()).all(|i| chars[i] == chars[i - p])).unwrap_or(0);
    let core = &chars[..period];
    let mut surprising = 0usize;
    for i in 0..core.len() {
        let in_run = i >= 4
            && (1..=4).all(|back| {
                let step = |at: usize| i64::from(core[at]) - i64::from(core[at - 1]);
                step(i - back + 1) == step(i)
            });
        if !in_run {
            surprising += 1;
        }
    }
    surprising as f64 * alphabet(value).log2()
}

/// How much two values differ, in bits: the characters between their common prefix and
/// common suffix that differ, times the bits of their alphabet.
fn difference_bits(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let rest = |v: &[char]| v[prefix..].to_vec();
    let (a_rest, b_rest) = (rest(&a), rest(&b));
    let suffix = a_rest.iter().rev().zip(b_rest.iter().rev()).take_while(|(x, y)| x == y).count();
    let a_mid = &a_rest[..a_rest.len() - suffix];
    let b_mid = &b_rest[..b_rest.len() - suffix];
    let differing = if a_mid.len() == b_mid.len() {
        a_mid.iter().zip(b_mid).filter(|(x, y)| x != y).count()
    } else {
        a_mid.len().max(b_mid.len())
    };
    let both: String = a.iter().chain(&b).collect();
    differing as f64 * alphabet(&both).log2()
}

/// Seconds since the Unix epoch of an HTTP date as cookies carry it (`Wdy, DD Mon YYYY
/// HH:MM:SS GMT`, also with dashes and two-digit years, as RFC 6265 parses them).
fn http_date(text: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let (mut day, mut month, mut year, mut time) = (None, None, None, None);
    for token in text.split([' ', ',', '-']).filter(|token| !token.is_empty()) {
        let lower = token.to_ascii_lowercase();
        if time.is_none() && token.contains(':') {
            let parts: Vec<i64> = token.split(':').filter_map(|part| part.parse().ok()).collect();
            if let [hours, minutes, seconds] = parts[..] {
                time = Some(hours * 3600 + minutes * 60 + seconds);
            }
        } else if month.is_none() && lower.len() >= 3 && MONTHS.contains(&&lower[..3]) {
            month = MONTHS.iter().position(|m| *m == &lower[..3]).map(|index| index as i64 + 1);
        } else if let Ok(number) = token.parse::<i64>() {
            if day.is_none() && token.len() <= 2 && (1..=31).contains(&number) {
                day = Some(number);
            } else if year.is_none() {
                year = Some(match number {
                    0..=69 => number + 2000,
                    70..=99 => number + 1900,
                    _ => number,
                });
            }
        }
    }
    let (day, month, year, time) = (day?, month?, year?, time?);
    Some(days_from_civil(year, month, day) * 86_400 + time)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_parsed_without_their_values() {
        let cookie = Cookie::parse("sid=s3cr3t-value; Path=/; Secure; HttpOnly; SameSite=Strict").unwrap();
        assert_eq!(cookie.name, "sid");
        assert!(cookie.problems().is_empty());
        assert!(!cookie.describe().contains("s3cr3t"), "{}", cookie.describe());
        assert!(!format!("{cookie:?}").contains("s3cr3t"), "{cookie:?}");
        assert!(Cookie::parse("no-equals-sign").is_none());
    }

    #[test]
    fn weaknesses_are_graded() {
        let bare = Cookie::parse("sid=x").unwrap();
        assert_eq!(bare.problems().len(), 3);
        let none = Cookie::parse("sid=x; Secure; HttpOnly; SameSite=None").unwrap();
        assert_eq!(none.problems(), vec![(Status::Warn, "SameSite=None: sent on cross-site requests".to_owned())]);
        let host = Cookie::parse("__Host-sid=x; Secure; HttpOnly; SameSite=Lax; Path=/app").unwrap();
        assert_eq!(host.problems().len(), 1);
        assert!(Cookie::parse("sid=; Max-Age=0").unwrap().is_deletion());
        assert!(Cookie::parse("sid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT").unwrap().is_deletion());
        assert!(Cookie::parse("sid=; Expires=Wed, 21-Oct-15 07:28:00 GMT").unwrap().is_deletion());
    }

    #[test]
    fn entropy_is_estimated_conservatively() {
        for weak in [
            "1",
            "42",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "abcdefghijklmnopqrstuvwxyz0123456789",
            "00000000000000000000000000000001",
            "Secret1!Secret1!Secret1!Secret1!",
            "abababababababababababababababab",
            "1700000000123",
            "user-0001",
        ] {
            assert!(entropy_bits(weak) < 64.0, "{weak}: {}", entropy_bits(weak));
        }
        for strong in [
            "9f86d081884c7d659a2feaa0c55ad015",
            "b7Jq0Xn2LpZs9VtKe4RfWg",
            "3f2c8a4e-9b1d-4c7e-8f6a-2d5b1e9c0a7f",
            "s%3AQmXr7tL2vKp9ZnW4yH8jF1cB6dG0eS3u",
        ] {
            assert!(entropy_bits(strong) >= 64.0, "{strong}: {}", entropy_bits(strong));
        }
    }

    #[test]
    fn counters_and_clocks_differ_by_little() {
        assert!(difference_bits("sess-000000000000000000000041", "sess-000000000000000000000042") < 32.0);
        assert!(difference_bits("999", "1000") < 32.0);
        assert!(difference_bits("1700000000123456", "1700000000123987") < 32.0);
        assert!(
            difference_bits("prefix-9f86d081884c7d659a2feaa0c55ad015", "prefix-1b4f0e9851971998e732078544c96b36")
                >= 32.0
        );
    }

    #[test]
    fn domains_are_judged_against_the_host() {
        let judge = |domain: &str, host: Option<&str>| {
            let cookie = Cookie::parse(&format!("sid=x; Domain={domain}")).unwrap();
            domain_problems(&cookie, host).into_iter().map(|(status, _)| status).collect::<Vec<_>>()
        };
        for public in [".com", "com", "co.uk", ".github.io"] {
            assert_eq!(judge(public, None), [Status::Warn], "{public}");
        }
        assert_eq!(judge("example.com", Some("app.example.com")), [Status::Warn]);
        assert_eq!(judge(".app.example.com", Some("app.example.com")), []);
        assert_eq!(judge("other.example", Some("app.example.com")), [Status::Fail]);
        assert_eq!(judge("example.com", None), []);
    }

    #[test]
    fn http_dates_are_parsed() {
        assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(http_date("not a date"), None);
    }
}
