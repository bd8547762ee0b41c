//! `http:session-cookie`: the session cookie is `Secure`, `HttpOnly` and `SameSite`.

use std::fmt;

use axum::Router;
use axum::http::{Method, header};
use readiness_core::{CheckRegistration, Outcome, Status};

use super::{Common, RequestTemplate, common_methods, list, request_methods, status_hint};

/// Probes `security.auth.session-management` (check `http:session-cookie`).
///
/// It sends one request that should set a session cookie (`POST /login` by default; give the
/// route and a body that logs in with [`SessionCookie::request`] and [`SessionCookie::json`])
/// and judges every `Set-Cookie` of the answer, or only the one named with
/// [`SessionCookie::cookie`]:
///
/// * it fails when there is no `Set-Cookie` (or none with that name), when a cookie lacks
///   `Secure`, lacks `HttpOnly`, lacks `SameSite` or has a value other than `Lax`, `Strict` or
///   `None`, and when a `__Host-`/`__Secure-` prefixed cookie breaks its prefix's rules (browsers
///   drop such cookies);
/// * it **warns** on `SameSite=None` with `Secure`: legal, and needed for cross-site embedding,
///   but the cookie then rides along on cross-site requests and CSRF protection rests on the
///   application alone;
/// * deletion cookies (`Max-Age=0` or less, or an `Expires` in 1970) are not judged.
///
/// A `5xx` fails. Cookie values are never read into the outcome: the evidence lists each cookie
/// by name with its attribute names; the request body (it holds a password) is redacted from
/// `Debug`. A login that hashes passwords with a deliberately slow function may need a longer
/// [`SessionCookie::request_timeout`] (and check timeout) than the 250 ms default, above all in
/// debug builds.
///
/// ```
/// # let app = axum::Router::new();
/// use readiness_axum::probes::SessionCookie;
///
/// let check = SessionCookie::new(app)
///     .request(axum::http::Method::POST, "/login")
///     .json(&serde_json::json!({"username": "probe", "password": "probe-password-from-config"}))
///     .cookie("session")
///     .check();
/// assert_eq!(check.spec().name(), "http:session-cookie");
/// ```
#[derive(Clone)]
#[must_use]
pub struct SessionCookie {
    common: Common,
    request: RequestTemplate,
    cookie: Option<String>,
}

impl SessionCookie {
    /// A probe sending `POST /login` without a body to `router`, judging every cookie set.
    pub fn new(router: Router) -> Self {
        Self {
            common: Common::new(
                router,
                "http:session-cookie",
                "security.auth.session-management",
                "the session cookie is Secure, HttpOnly and SameSite=Lax or Strict",
                4,
            ),
            request: RequestTemplate::new(Method::POST, "/login"),
            cookie: None,
        }
    }

    request_methods!("that sets the cookie", "POST /login");

    /// Judges only the cookie of this name (which must be set); by default every cookie is.
    pub fn cookie(mut self, name: impl Into<String>) -> Self {
        self.cookie = Some(name.into());
        self
    }

    common_methods!("http:session-cookie");

    /// The check, ready for [`readiness_core::ReadinessBuilder::register`].
    pub fn check(&self) -> CheckRegistration {
        self.common.register(self.clone(), |probe| async move { probe.run().await })
    }

    async fn run(&self) -> Outcome {
        let label = self.request.label();
        let request = match self.request.build(&self.common, self.common.client_ip) {
            Ok(request) => request,
            Err(error) => return error.into(),
        };
        let response = match self.common.send(request).await {
            Ok(response) => response,
            Err(error) => return error.into(),
        };
        let status = response.status();
        if status.is_server_error() {
            return Outcome::fail(format!("{label} answered {}: {}", status.as_u16(), status_hint(status)))
                .evidence("request", &label)
                .evidence("status", status.as_u16());
        }
        let cookies: Vec<Cookie> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .filter_map(Cookie::parse)
            .collect();
        let outcome = self.judge(&label, status.as_u16(), &cookies);
        let described = list(cookies.iter().map(Cookie::describe));
        outcome.evidence("request", label).evidence("status", status.as_u16()).evidence("cookies", described)
    }

    fn judge(&self, label: &str, status: u16, cookies: &[Cookie]) -> Outcome {
        if cookies.is_empty() {
            return Outcome::fail(format!(
                "{label} answered {status} without Set-Cookie: did the request log in? (give SessionCookie::request \
                 and a body that does)"
            ))
            .observed(0, "cookies");
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
            return Outcome::fail(why).observed(0, "cookies");
        }
        let mut findings: Vec<(Status, String)> = Vec::new();
        for cookie in &judged {
            findings.extend(
                cookie.problems().into_iter().map(|(status, text)| (status, format!("{}: {text}", cookie.name))),
            );
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
        outcome.observed(judged.len(), "cookies")
    }
}

impl fmt::Debug for SessionCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body logs in: it holds a password, so only its content type is shown.
        f.debug_struct("SessionCookie")
            .field("common", &self.common)
            .field("request", &self.request)
            .field("cookie", &self.cookie)
            .finish()
    }
}

impl From<SessionCookie> for CheckRegistration {
    fn from(probe: SessionCookie) -> Self {
        probe.check()
    }
}

/// One `Set-Cookie`: its name and attributes. The value is deliberately not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cookie {
    name: String,
    /// Attribute names in lower case, with their values (empty for flags).
    attributes: Vec<(String, String)>,
}

impl Cookie {
    fn parse(header: &str) -> Option<Cookie> {
        let mut parts = header.split(';');
        let (name, _value) = parts.next()?.split_once('=')?;
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        let attributes = parts
            .map(|part| match part.split_once('=') {
                Some((key, value)) => (key.trim().to_ascii_lowercase(), value.trim().to_owned()),
                None => (part.trim().to_ascii_lowercase(), String::new()),
            })
            .filter(|(key, _)| !key.is_empty())
            .collect();
        Some(Cookie { name: name.to_owned(), attributes })
    }

    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    fn has(&self, name: &str) -> bool {
        self.attribute(name).is_some()
    }

    fn is_deletion(&self) -> bool {
        let max_age_gone =
            self.attribute("max-age").and_then(|age| age.parse::<i64>().ok()).is_some_and(|age| age <= 0);
        let expired = self.attribute("expires").is_some_and(|date| date.contains("1970"));
        max_age_gone || expired
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
                "samesite" | "path" | "max-age" => format!("{key}={value}"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_parsed_without_their_values() {
        let cookie = Cookie::parse("sid=s3cr3t-value; Path=/; Secure; HttpOnly; SameSite=Strict").unwrap();
        assert_eq!(cookie.name, "sid");
        assert!(cookie.problems().is_empty());
        assert!(!cookie.describe().contains("s3cr3t"), "{}", cookie.describe());
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
    }
}
