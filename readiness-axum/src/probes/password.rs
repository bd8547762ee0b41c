//! `http:password-policy`: weak passwords are refused.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use readiness_core::{CheckRegistration, Outcome};
use serde_json::{Value, json};

use super::{Common, common_methods, list, status_hint, unix_now};

/// The placeholder replaced by the password in the body template's strings.
pub const PASSWORD_PLACEHOLDER: &str = "<pw>";

/// The placeholder replaced by a value unique to each request (`1718000000-7`) in the body
/// template's strings: put it in the user name when a registration must be new each time.
pub const ID_PLACEHOLDER: &str = "<id>";

/// The weak passwords [`PasswordPolicy`] sends by default: the most common passwords, ones that
/// only meet naive composition rules, a repeated character, short ones and the empty one.
pub const DEFAULT_WEAK_PASSWORDS: &[&str] = &[
    "password",
    "123456",
    "12345678",
    "123456789",
    "qwerty",
    "qwerty123",
    "letmein",
    "password1",
    "Password1",
    "P@ssw0rd",
    "admin",
    "changeme",
    "welcome1",
    "iloveyou",
    "aaaaaaaaaaaa",
    "abc",
    "a1B!",
    "",
];

static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// Probes `security.auth.password-strength` (check `http:password-policy`).
///
/// It sends each weak password ([`DEFAULT_WEAK_PASSWORDS`] and [`PasswordPolicy::weak_password`]s)
/// to the registration (or password-change) route, `POST /register` by default, in a JSON body
/// made from a template (default `{"username": "readiness-probe", "password": "<pw>"}`: every
/// [`PASSWORD_PLACEHOLDER`] and [`ID_PLACEHOLDER`] inside its strings is replaced), and expects
/// each refused with `400` or `422`. It fails listing the weak passwords that were accepted
/// (`2xx`), and on any other status, naming the password and the likely cause (a `409` means the
/// account exists and the password was never judged: put `<id>` in the user name; a `429` means
/// the route's rate limiter stopped the probe).
///
/// A route that refuses every body (a wrong template) would pass too, so give a strong password
/// with [`PasswordPolicy::strong_password`]: it must be accepted (`2xx`). That registers a real
/// account on every run (and so does every weak password a missing policy lets through): use an
/// `<id>` user name and a sandbox where that matters. The passwords sent here are public lists,
/// not secrets, so outputs name them; response bodies are never read.
///
/// ```
/// # let app = axum::Router::new();
/// use readiness_axum::probes::PasswordPolicy;
///
/// let check = PasswordPolicy::new(app)
///     .path("/api/users")
///     .template(serde_json::json!({"email": "probe+<id>@example.invalid", "password": "<pw>"}))
///     .weak_password("orders2024")
///     .strong_password("vT7#qL9!mZ2@wX4$ probe")
///     .check();
/// assert_eq!(check.spec().name(), "http:password-policy");
/// ```
#[derive(Clone)]
#[must_use]
pub struct PasswordPolicy {
    common: Common,
    method: Method,
    path: String,
    template: Value,
    form: bool,
    weak: Vec<String>,
    strong: Option<String>,
}

impl PasswordPolicy {
    /// A probe of `POST /register` on `router` with the default template and weak passwords.
    pub fn new(router: Router) -> Self {
        Self {
            common: Common::new(
                router,
                "http:password-policy",
                "security.auth.password-strength",
                "weak passwords are refused at registration",
                6,
            ),
            method: Method::POST,
            path: "/register".to_owned(),
            template: json!({"username": "readiness-probe", "password": PASSWORD_PLACEHOLDER}),
            form: false,
            weak: DEFAULT_WEAK_PASSWORDS.iter().map(|password| (*password).to_owned()).collect(),
            strong: None,
        }
    }

    /// The route's path (default `/register`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The route's method (default `POST`).
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// The body template: any JSON value whose strings may hold [`PASSWORD_PLACEHOLDER`] (the
    /// password, for example twice for a confirmation field) and [`ID_PLACEHOLDER`].
    pub fn template(mut self, template: Value) -> Self {
        self.template = template;
        self
    }

    /// Sends the template as a form (`application/x-www-form-urlencoded`) instead of JSON; the
    /// template must then be an object of strings, numbers or booleans.
    pub fn form(mut self) -> Self {
        self.form = true;
        self
    }

    /// Adds a weak password that must be refused (the service's name, a local favourite).
    pub fn weak_password(mut self, password: impl Into<String>) -> Self {
        self.weak.push(password.into());
        self
    }

    /// Replaces the weak passwords (the defaults included) with these.
    pub fn weak_passwords<I>(mut self, passwords: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.weak = passwords.into_iter().map(Into::into).collect();
        self
    }

    /// A strong password that must be accepted (`2xx`), proving the route judges passwords
    /// rather than refusing every body. It is never shown.
    pub fn strong_password(mut self, password: impl Into<String>) -> Self {
        self.strong = Some(password.into());
        self
    }

    common_methods!("http:password-policy");

    /// The check, ready for [`readiness_core::ReadinessBuilder::register`].
    pub fn check(&self) -> CheckRegistration {
        self.common.register(self.clone(), |probe| async move { probe.run().await })
    }

    /// The request body with `password`, and its content type.
    fn body(&self, password: &str) -> Result<(HeaderValue, String), String> {
        let id = format!("{}-{}", unix_now(), REQUESTS.fetch_add(1, Ordering::Relaxed));
        let filled = fill(&self.template, password, &id);
        if !self.form {
            return Ok((HeaderValue::from_static("application/json"), filled.to_string()));
        }
        let Value::Object(fields) = filled else {
            return Err("a form template must be a JSON object".to_owned());
        };
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &fields {
            let value = match value {
                Value::String(text) => text.clone(),
                Value::Number(number) => number.to_string(),
                Value::Bool(flag) => flag.to_string(),
                _ => return Err(format!("the form field {name} is not a string, number or boolean")),
            };
            form.append_pair(name, &value);
        }
        Ok((HeaderValue::from_static("application/x-www-form-urlencoded"), form.finish()))
    }

    async fn send(&self, password: &str) -> Result<StatusCode, Outcome> {
        let (content_type, body) = self.body(password).map_err(Outcome::fail)?;
        let mut request = self.common.request(&self.method, &self.path, Body::from(body)).map_err(Outcome::from)?;
        request.headers_mut().insert(header::CONTENT_TYPE, content_type);
        self.common.send(request).await.map(|response| response.status()).map_err(Outcome::from)
    }

    async fn run(&self) -> Outcome {
        let label = format!("{} {}", self.method, self.path);
        if self.weak.is_empty() {
            return Outcome::fail("no weak password to try: give PasswordPolicy::weak_passwords at least one");
        }
        let mut accepted = Vec::new();
        let mut unexpected = Vec::new();
        let mut statuses = Vec::new();
        for password in &self.weak {
            let status = match self.send(password).await {
                Ok(status) => status,
                Err(outcome) => {
                    let output = outcome.output.unwrap_or_default();
                    return Outcome::fail(format!("weak password {password:?}: {output}")).evidence("request", &label);
                }
            };
            statuses.push(format!("{password:?}: {}", status.as_u16()));
            match status.as_u16() {
                400 | 422 => {}
                200..=299 => accepted.push(format!("{password:?} ({})", status.as_u16())),
                409 => unexpected.push(format!(
                    "{password:?} answered 409 (the account exists, so the password was never judged: put {ID_PLACEHOLDER} \
                     in the user name)"
                )),
                code => unexpected.push(format!("{password:?} answered {code} ({})", status_hint(status))),
            }
        }
        let mut failures = Vec::new();
        if !accepted.is_empty() {
            failures.push(format!("weak passwords accepted: {}", list(&accepted)));
        }
        if !unexpected.is_empty() {
            failures.push(format!("neither 400 nor 422: {}", list(&unexpected)));
        }
        let mut strong_evidence = "not tried (PasswordPolicy::strong_password)".to_owned();
        if let Some(strong) = &self.strong {
            match self.send(strong).await {
                Ok(status) if status.is_success() => strong_evidence = format!("accepted ({})", status.as_u16()),
                Ok(status) => {
                    strong_evidence = format!("refused ({})", status.as_u16());
                    failures.push(format!(
                        "the strong password was refused with {} ({}): the route refuses more than weak passwords",
                        status.as_u16(),
                        if matches!(status.as_u16(), 400 | 422) {
                            "is the body template what the route expects?"
                        } else {
                            status_hint(status)
                        }
                    ));
                }
                Err(outcome) => {
                    let output = outcome.output.unwrap_or_default();
                    return Outcome::fail(format!("the strong password: {output}")).evidence("request", &label);
                }
            }
        }
        let tried = self.weak.len();
        let outcome = if failures.is_empty() {
            let strong = if self.strong.is_some() { ", and accepted a strong one" } else { "" };
            Outcome::pass().with_output(format!("{label} refused all {tried} weak passwords{strong}"))
        } else {
            Outcome::fail(format!("{label}: {}", failures.join("; ")))
        };
        outcome
            .observed(accepted.len(), "weak passwords accepted")
            .evidence("request", label)
            .evidence("weak passwords", list(&statuses))
            .evidence("strong password", strong_evidence)
    }
}

impl fmt::Debug for PasswordPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordPolicy")
            .field("common", &self.common)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("template", &self.template)
            .field("form", &self.form)
            .field("weak", &self.weak)
            .field("strong", &self.strong.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

impl From<PasswordPolicy> for CheckRegistration {
    fn from(probe: PasswordPolicy) -> Self {
        probe.check()
    }
}

/// The template with the placeholders of every string replaced.
fn fill(template: &Value, password: &str, id: &str) -> Value {
    match template {
        Value::String(text) => Value::String(text.replace(ID_PLACEHOLDER, id).replace(PASSWORD_PLACEHOLDER, password)),
        Value::Array(items) => Value::Array(items.iter().map(|item| fill(item, password, id)).collect()),
        Value::Object(fields) => {
            Value::Object(fields.iter().map(|(name, value)| (name.clone(), fill(value, password, id))).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_everywhere_and_escaped_by_json() {
        let template = json!({"user": {"name": "p-<id>", "pw": ["<pw>", "<pw>"]}, "n": 1});
        let filled = fill(&template, "a\"b", "7");
        assert_eq!(filled, json!({"user": {"name": "p-7", "pw": ["a\"b", "a\"b"]}, "n": 1}));
    }

    #[test]
    fn debug_redacts_the_strong_password() {
        let probe = PasswordPolicy::new(Router::new()).strong_password("not-for-the-logs-4711");
        let shown = format!("{probe:?}");
        assert!(!shown.contains("not-for-the-logs") && shown.contains("[REDACTED]"), "{shown}");
    }

    #[test]
    fn forms_need_a_flat_object() {
        let probe = PasswordPolicy::new(Router::new()).form();
        let (content_type, body) = probe.body("p w").unwrap();
        assert_eq!(content_type, "application/x-www-form-urlencoded");
        let mut pairs: Vec<&str> = body.split('&').collect();
        pairs.sort_unstable();
        assert_eq!(pairs, ["password=p+w", "username=readiness-probe"]);
        let nested = PasswordPolicy::new(Router::new()).form().template(json!({"a": {"b": 1}}));
        assert!(nested.body("x").is_err());
    }
}
