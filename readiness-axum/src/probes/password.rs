//! `http:password-policy`: the route that creates accounts refuses weak passwords.
//!
//! The probe sends weak passwords to the route where the policy must hold (a sign-up, or a
//! password change), not to an endpoint that only judges passwords: what it proves is that no
//! account gets a weak password.
//!
//! * **Passes** when every weak password is refused with `400` or `422`, and, when a strong
//!   password is given, that one is accepted (`2xx`) while a weak password exactly as long as
//!   it (`P@ssw0rd` repeated) is refused. The weak passwords are the most common ones, ones that
//!   only meet composition rules (`P@ssw0rd`), and long ones a length rule lets in
//!   (`aaaaaaaaaaaaaaaaaaaa`, `passwordpassword`, `1234567890123456`, the keyboard walks
//!   `qwertyuiopasdfgh` and `1qaz2wsx3edc4rfv`); the same-length one defeats a length rule of any
//!   threshold the strong password meets, and a rule counting character classes.
//! * **Fails** naming each weak password that was accepted; when the strong password is refused
//!   (the route refuses more than weak passwords, or the body template is wrong); when an answer
//!   is neither a refusal nor an acceptance (`409`: the account exists and the password was never
//!   judged, so put [`ID_PLACEHOLDER`] in the user name; `404`, `405`, `415`; a weak password
//!   answered with a server error or `429`).
//! * **Warns** ("cannot tell") when every weak password was refused but the strong password, or
//!   its same-length twin, answered `429` or a server error: the route did not get to judge it
//!   (a database down behind a sign-up, a rate limiter), so the probe cannot tell a policy from
//!   a route that refuses everything.
//!
//! Without a strong password a route that refuses every body passes too: give one.
//!
//! **Side effects.** Every request is a real sign-up. A policy that works refuses the weak
//! passwords before anything is stored, so a run leaves one account: the strong password's,
//! under a user name made unique by [`ID_PLACEHOLDER`]. Give that account a password nobody
//! knows with [`PasswordPolicy::strong_password_with`] (a fresh random one each run), so it cannot
//! be logged into, and a user name that marks it as the probe's (`readiness-probe-<id>`) so it
//! can be cleaned up; the check's result is reused for its TTL, so a longer TTL creates fewer. A
//! missing policy lets the weak passwords in too: those accounts have public passwords, and the
//! failing output names each of them so they can be removed. Point the probe at a sandbox tenant
//! where even that matters. The weak passwords are public lists, not secrets, so outputs name
//! them; the strong password is never shown, and response bodies are never read.

use std::fmt;
use std::sync::Arc;
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
/// only meet naive composition rules, short ones and the empty one, and long ones that any
/// length rule up to 16 (or 20) characters lets in: repetitions, a sequence and keyboard walks.
pub const DEFAULT_WEAK_PASSWORDS: &[&str] = &[
    "password",
    "123456",
    "12345678",
    "qwerty",
    "letmein",
    "password1",
    "Password1",
    "P@ssw0rd",
    "admin",
    "aaaaaaaaaaaa",
    "abc",
    "a1B!",
    "",
    "aaaaaaaaaaaaaaaaaaaa",
    "passwordpassword",
    "1234567890123456",
    "qwertyuiopasdfgh",
    "1qaz2wsx3edc4rfv",
];

/// What the same-length weak password repeats: it has an upper-case letter, a lower-case one, a
/// digit and a symbol, so a rule counting character classes lets it in too.
const TWIN_PATTERN: &str = "P@ssw0rd";

static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// Where the strong password comes from.
#[derive(Clone)]
enum Strong {
    Fixed(String),
    Generated(Arc<dyn Fn() -> String + Send + Sync>),
}

impl Strong {
    fn password(&self) -> String {
        match self {
            Strong::Fixed(password) => password.clone(),
            Strong::Generated(generate) => generate(),
        }
    }
}

/// Probes `security.auth.password-strength` (check `http:password-policy`).
///
/// It sends each weak password ([`DEFAULT_WEAK_PASSWORDS`] and [`PasswordPolicy::weak_password`]s)
/// to the route that creates accounts (or changes passwords), `POST /register` by default, in a
/// JSON body made from a template (default `{"username": "readiness-probe", "password": "<pw>"}`:
/// every [`PASSWORD_PLACEHOLDER`] and [`ID_PLACEHOLDER`] inside its strings is replaced), and
/// expects each refused with `400` or `422`. With a strong password
/// ([`PasswordPolicy::strong_password`] or [`PasswordPolicy::strong_password_with`]) it also
/// expects that one accepted and a weak password of the same length refused. The module docs
/// say what passes, warns and fails, and which accounts a run leaves behind.
///
/// ```
/// # let app = axum::Router::new();
/// use readiness_axum::probes::PasswordPolicy;
///
/// let check = PasswordPolicy::new(app)
///     .path("/api/users")
///     .template(serde_json::json!({"email": "readiness-probe+<id>@example.invalid", "password": "<pw>"}))
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
    strong: Option<Strong>,
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

    /// The route's path (default `/register`): where accounts are created, so that the policy
    /// proven is the one every account gets.
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
    /// rather than refusing every body; a weak password as long as it must then be refused. It
    /// is never shown. The account it creates has this password on every run: prefer
    /// [`PasswordPolicy::strong_password_with`] where that account could be logged into.
    pub fn strong_password(mut self, password: impl Into<String>) -> Self {
        self.strong = Some(Strong::Fixed(password.into()));
        self
    }

    /// Like [`PasswordPolicy::strong_password`], with a new password from `generate` on every
    /// run (for example 32 random characters from the service's own random source), so the
    /// account the probe creates has a password nobody knows. It is never shown.
    pub fn strong_password_with(mut self, generate: impl Fn() -> String + Send + Sync + 'static) -> Self {
        self.strong = Some(Strong::Generated(Arc::new(generate)));
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
                409 => unexpected.push(format!("{password:?} answered 409 ({})", conflict_hint())),
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
        let mut untold: Option<String> = None;
        let mut strong_evidence = "not tried (PasswordPolicy::strong_password)".to_owned();
        let mut twin_evidence = "not tried (it follows an accepted strong password)".to_owned();
        if let Some(strong) = &self.strong {
            let password = strong.password();
            let status = match self.send(&password).await {
                Ok(status) => status,
                Err(outcome) => {
                    let output = outcome.output.unwrap_or_default();
                    return Outcome::fail(format!("the strong password: {output}")).evidence("request", &label);
                }
            };
            let code = status.as_u16();
            if status.is_success() {
                strong_evidence = format!("accepted ({code})");
                let twin = length_twin(password.chars().count());
                match self.send(&twin).await {
                    Ok(status) => {
                        let code = status.as_u16();
                        match code {
                            400 | 422 => twin_evidence = format!("refused ({code})"),
                            200..=299 => {
                                twin_evidence = format!("accepted ({code})");
                                failures.push(format!(
                                    "a weak password as long as the strong one was accepted: {twin:?} ({code}, {} \
                                     characters): the route counts characters (or character classes), it does not \
                                     judge how easy a password is to guess",
                                    twin.chars().count()
                                ));
                            }
                            429 | 500..=599 => {
                                twin_evidence = format!("not judged ({code})");
                                untold = Some(format!(
                                    "a weak password as long as the strong one answered {code} instead of being \
                                     judged"
                                ));
                            }
                            409 => {
                                twin_evidence = format!("not judged ({code})");
                                failures.push(format!(
                                    "a weak password as long as the strong one answered 409 ({})",
                                    conflict_hint()
                                ));
                            }
                            _ => {
                                twin_evidence = format!("answered {code}");
                                failures.push(format!(
                                    "a weak password as long as the strong one answered {code} ({})",
                                    status_hint(status)
                                ));
                            }
                        }
                    }
                    Err(outcome) => {
                        let output = outcome.output.unwrap_or_default();
                        return Outcome::fail(format!("a weak password as long as the strong one: {output}"))
                            .evidence("request", &label);
                    }
                }
            } else {
                strong_evidence = format!("refused ({code})");
                match code {
                    429 | 500..=599 => {
                        strong_evidence = format!("not judged ({code})");
                        untold = Some(format!("the strong password answered {code} instead of being judged"));
                    }
                    409 => failures.push(format!("the strong password answered 409 ({})", conflict_hint())),
                    _ => failures.push(format!(
                        "the strong password was refused with {code} ({}): the route refuses more than weak passwords",
                        if matches!(code, 400 | 422) {
                            "is the body template what the route expects?"
                        } else {
                            status_hint(status)
                        }
                    )),
                }
            }
        }
        let tried = self.weak.len();
        let outcome = if !failures.is_empty() {
            Outcome::fail(format!("{label}: {}", failures.join("; ")))
        } else if let Some(what) = untold {
            Outcome::cannot_tell(
                format!("{label} refused all {tried} weak passwords, but {what}"),
                "make the route's dependencies (its database, its rate limit) available to the probe, then it can \
                 tell a policy from a route that refuses everything",
            )
        } else if self.strong.is_none() {
            // A route that refuses everything (a wrong body template answers 422 to every
            // request) refuses weak passwords too: without a strong one accepted, nothing is proven.
            Outcome::cannot_tell(
                format!("{label} refused all {tried} weak passwords, but no strong password was tried"),
                "give the probe a strong password (`strong_password` or `strong_password_with`), so it can tell a policy from a route that refuses everything",
            )
        } else {
            Outcome::pass()
                .with_output(format!("{label} refused all {tried} weak passwords, and accepted a strong one"))
        };
        outcome
            .observed(accepted.len(), "weak passwords accepted")
            .evidence("request", label)
            .evidence("weak passwords", list(&statuses))
            .evidence("strong password", strong_evidence)
            .evidence("as long as the strong one", twin_evidence)
    }
}

/// Why a `409` proves nothing about the password.
fn conflict_hint() -> String {
    format!("the account exists, so the password was never judged: put {ID_PLACEHOLDER} in the user name")
}

/// A weak password of `length` characters: [`TWIN_PATTERN`] repeated.
fn length_twin(length: usize) -> String {
    TWIN_PATTERN.chars().cycle().take(length).collect()
}

impl fmt::Debug for PasswordPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let strong = self.strong.as_ref().map(|strong| match strong {
            Strong::Fixed(_) => "[REDACTED]",
            Strong::Generated(_) => "[generated each run]",
        });
        f.debug_struct("PasswordPolicy")
            .field("common", &self.common)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("template", &self.template)
            .field("form", &self.form)
            .field("weak", &self.weak)
            .field("strong", &strong)
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
        let generated = PasswordPolicy::new(Router::new()).strong_password_with(|| "generated-4711".to_owned());
        let shown = format!("{generated:?}");
        assert!(!shown.contains("generated-4711") && shown.contains("[generated each run]"), "{shown}");
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

    #[test]
    fn the_twin_has_the_length_and_every_character_class() {
        let twin = length_twin(21);
        assert_eq!(twin, "P@ssw0rdP@ssw0rdP@ssw");
        assert_eq!(length_twin(25).chars().count(), 25);
        let classes: [fn(char) -> bool; 4] =
            [char::is_uppercase, char::is_lowercase, |c| c.is_ascii_digit(), |c| c.is_ascii_punctuation()];
        for class in classes {
            assert!(length_twin(12).chars().any(class), "{}", length_twin(12));
        }
    }

    #[test]
    fn the_default_list_has_long_weak_passwords() {
        let long: Vec<&str> = DEFAULT_WEAK_PASSWORDS.iter().copied().filter(|password| password.len() >= 16).collect();
        assert_eq!(
            long,
            ["aaaaaaaaaaaaaaaaaaaa", "passwordpassword", "1234567890123456", "qwertyuiopasdfgh", "1qaz2wsx3edc4rfv"]
        );
    }
}
