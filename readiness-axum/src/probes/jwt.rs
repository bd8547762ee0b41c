//! `http:jwt`: forged tokens are refused, a valid one is accepted.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use readiness_core::{CheckRegistration, Outcome};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};

use super::{Common, common_methods, list, status_hint, unix_now};

/// The HMAC key of [`Forgery::WrongKey`] when no other key is given: a key the service cannot
/// have (it says so).
const FOREIGN_HMAC_KEY: &[u8] = b"readiness-probe: a key that is not the service's key, 256 bits+";

/// How far in the past or future the time-based forgeries are: beyond any sensible leeway.
const SKEW: u64 = 60 * 60;

/// One kind of forged (or missing) token [`JwtValidation`] sends; each must be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Forgery {
    /// No `Authorization` header at all.
    Missing,
    /// `Bearer` and something that is not a JWT.
    Garbage,
    /// `{"alg": "none"}` and no signature (built by hand: no library signs it).
    AlgNone,
    /// Expired an hour ago.
    Expired,
    /// Valid only from an hour from now (`nbf`).
    NotYetValid,
    /// No `exp` claim: a token valid forever.
    NoExpiry,
    /// Signed with another key (an HMAC key the service cannot have, or
    /// [`JwtValidation::foreign_key`]).
    WrongKey,
    /// A valid token whose payload was changed after signing.
    Tampered,
    /// Another audience than [`JwtValidation::audience`].
    WrongAudience,
    /// Another issuer than [`JwtValidation::issuer`].
    WrongIssuer,
}

impl Forgery {
    /// Every forgery, in the order they are sent.
    pub const ALL: [Forgery; 10] = [
        Forgery::Missing,
        Forgery::Garbage,
        Forgery::AlgNone,
        Forgery::Expired,
        Forgery::NotYetValid,
        Forgery::NoExpiry,
        Forgery::WrongKey,
        Forgery::Tampered,
        Forgery::WrongAudience,
        Forgery::WrongIssuer,
    ];

    /// The forgery's name in outputs and evidence (`alg-none`, `expired`…).
    pub const fn as_str(self) -> &'static str {
        match self {
            Forgery::Missing => "no-token",
            Forgery::Garbage => "garbage",
            Forgery::AlgNone => "alg-none",
            Forgery::Expired => "expired",
            Forgery::NotYetValid => "not-yet-valid",
            Forgery::NoExpiry => "no-expiry",
            Forgery::WrongKey => "wrong-key",
            Forgery::Tampered => "tampered",
            Forgery::WrongAudience => "wrong-audience",
            Forgery::WrongIssuer => "wrong-issuer",
        }
    }
}

impl fmt::Display for Forgery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Probes `security.auth.jwt-validation` (check `http:jwt`).
///
/// Given a protected path, the service's signing key, and the audience and issuer it expects,
/// it mints a valid token (`sub`, `iat`, `nbf`, `exp` five minutes ahead, `aud`, `iss`, plus
/// [`JwtValidation::claim`]s), which must be accepted (`2xx`), and one request per
/// [`Forgery`] — no token, garbage, alg `none`, expired, not yet valid, no expiry, signed with
/// another key, a tampered payload, the wrong audience, the wrong issuer — each of which must
/// be refused with `401` or `403`. Tokens go in `Authorization: Bearer …`.
///
/// It fails naming every forgery that was accepted, when the valid token is refused (then the
/// probe's key, audience or issuer differ from the service's, and nothing is proven), and on any
/// other status (a `5xx`, a `404`, a `429`…), naming the request. Without an audience or issuer,
/// those two forgeries cannot be made and the probe warns. Skip a forgery deliberately with
/// [`JwtValidation::skip`] (the evidence says so).
///
/// The key never leaves the probe: `Debug` redacts it, and neither the key nor any token appears
/// in outputs or evidence (only forgery names and statuses). Note that the HMAC secret is copied
/// into the [`EncodingKey`], which does not zero its memory.
///
/// ```
/// # let app = axum::Router::new();
/// use readiness_axum::probes::JwtValidation;
/// use secrecy::SecretString;
///
/// let secret = SecretString::from("a-32-byte-or-longer-hs256-secret-from-config");
/// let check = JwtValidation::hs256(app, "/api/me", &secret)
///     .audience("orders-api")
///     .issuer("https://auth.example")
///     .claim("role", "reader")
///     .check();
/// assert_eq!(check.spec().name(), "http:jwt");
/// ```
#[derive(Clone)]
#[must_use]
pub struct JwtValidation {
    common: Common,
    method: Method,
    path: String,
    key: EncodingKey,
    algorithm: Algorithm,
    foreign: Option<(EncodingKey, Algorithm)>,
    audience: Option<String>,
    issuer: Option<String>,
    subject: String,
    claims: Map<String, Value>,
    lifetime: Duration,
    skip: BTreeSet<Forgery>,
}

impl fmt::Debug for JwtValidation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtValidation")
            .field("common", &self.common)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("key", &"[REDACTED]")
            .field("algorithm", &self.algorithm)
            .field("foreign_key", &self.foreign.as_ref().map(|(_, algorithm)| ("[REDACTED]", algorithm)))
            .field("audience", &self.audience)
            .field("issuer", &self.issuer)
            .field("subject", &self.subject)
            .field("claims", &self.claims.keys().collect::<Vec<_>>())
            .field("lifetime", &self.lifetime)
            .field("skip", &self.skip)
            .finish()
    }
}

impl JwtValidation {
    /// A probe of `GET path` on `router` for a service that verifies HS256 tokens with `secret`.
    pub fn hs256(router: Router, path: impl Into<String>, secret: &SecretString) -> Self {
        Self::with_key(router, path, EncodingKey::from_secret(secret.expose_secret().as_bytes()), Algorithm::HS256)
    }

    /// A probe of `GET path` on `router` for a service that verifies tokens signed with `key`
    /// and `algorithm` (for RS256 or ES256, the private key matching the service's public key).
    /// For an asymmetric algorithm, [`Forgery::WrongKey`] is signed with an HMAC key unless
    /// [`JwtValidation::foreign_key`] gives another key of the same kind.
    pub fn with_key(router: Router, path: impl Into<String>, key: EncodingKey, algorithm: Algorithm) -> Self {
        Self {
            common: Common::new(
                router,
                "http:jwt",
                "security.auth.jwt-validation",
                "forged JWTs (alg none, expired, bad signature, wrong audience…) are refused, a valid one accepted",
                5,
            ),
            method: Method::GET,
            path: path.into(),
            key,
            algorithm,
            foreign: None,
            audience: None,
            issuer: None,
            subject: "readiness-probe".to_owned(),
            claims: Map::new(),
            lifetime: Duration::from_secs(300),
            skip: BTreeSet::new(),
        }
    }

    /// The method of the protected route (default `GET`).
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// The `aud` the service expects.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The `iss` the service expects.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The `sub` of the probe's tokens (default `readiness-probe`).
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = subject.into();
        self
    }

    /// Another claim every token carries (a role, a scope, a tenant), overriding the defaults.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// How long the valid token is valid (default 5 minutes).
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// The key and algorithm [`Forgery::WrongKey`] is signed with.
    pub fn foreign_key(mut self, key: EncodingKey, algorithm: Algorithm) -> Self {
        self.foreign = Some((key, algorithm));
        self
    }

    /// Does not send this forgery; the evidence records it as skipped.
    pub fn skip(mut self, forgery: Forgery) -> Self {
        self.skip.insert(forgery);
        self
    }

    common_methods!("http:jwt");

    /// The check, ready for [`readiness_core::ReadinessBuilder::register`].
    pub fn check(&self) -> CheckRegistration {
        self.common.register(self.clone(), |probe| async move { probe.run().await })
    }

    /// The claims of the valid token at `now`.
    fn claims(&self, now: u64) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(self.subject));
        claims.insert("iat".into(), json!(now));
        claims.insert("nbf".into(), json!(now));
        claims.insert("exp".into(), json!(now + self.lifetime.as_secs()));
        if let Some(audience) = &self.audience {
            claims.insert("aud".into(), json!(audience));
        }
        if let Some(issuer) = &self.issuer {
            claims.insert("iss".into(), json!(issuer));
        }
        claims.extend(self.claims.clone());
        claims
    }

    fn sign(&self, claims: &Map<String, Value>) -> Result<String, Outcome> {
        sign(claims, &self.key, self.algorithm)
    }

    /// The `Authorization` value of a forgery (`None` for [`Forgery::Missing`]), or why it cannot
    /// be made (`Err(None)` when it does not apply).
    fn forge(&self, forgery: Forgery, now: u64, valid: &str) -> Result<Option<String>, Result<&'static str, Outcome>> {
        let mut claims = self.claims(now);
        let token = match forgery {
            Forgery::Missing => return Ok(None),
            Forgery::Garbage => "readiness-probe.not-a.jwt".to_owned(),
            Forgery::AlgNone => {
                let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
                format!("{header}.{}.", encode_claims(&claims))
            }
            Forgery::Expired => {
                claims.insert("iat".into(), json!(now.saturating_sub(2 * SKEW)));
                claims.insert("nbf".into(), json!(now.saturating_sub(2 * SKEW)));
                claims.insert("exp".into(), json!(now.saturating_sub(SKEW)));
                self.sign(&claims).map_err(Err)?
            }
            Forgery::NotYetValid => {
                claims.insert("nbf".into(), json!(now + SKEW));
                claims.insert("exp".into(), json!(now + 2 * SKEW));
                self.sign(&claims).map_err(Err)?
            }
            Forgery::NoExpiry => {
                claims.remove("exp");
                self.sign(&claims).map_err(Err)?
            }
            Forgery::WrongKey => match &self.foreign {
                Some((key, algorithm)) => sign(&claims, key, *algorithm).map_err(Err)?,
                None => sign(&claims, &EncodingKey::from_secret(FOREIGN_HMAC_KEY), Algorithm::HS256).map_err(Err)?,
            },
            Forgery::Tampered => {
                claims.insert("sub".into(), json!(format!("{}-tampered", self.subject)));
                claims.insert("admin".into(), json!(true));
                let mut parts = valid.split('.');
                let (Some(header), Some(_payload), Some(signature)) = (parts.next(), parts.next(), parts.next()) else {
                    return Err(Err(Outcome::fail("the probe's valid token is not a three-part JWT")));
                };
                format!("{header}.{}.{signature}", encode_claims(&claims))
            }
            Forgery::WrongAudience => {
                if self.audience.is_none() {
                    return Err(Ok("no expected audience was given (JwtValidation::audience)"));
                }
                claims.insert("aud".into(), json!("readiness-probe.invalid"));
                self.sign(&claims).map_err(Err)?
            }
            Forgery::WrongIssuer => {
                if self.issuer.is_none() {
                    return Err(Ok("no expected issuer was given (JwtValidation::issuer)"));
                }
                claims.insert("iss".into(), json!("https://readiness-probe.invalid"));
                self.sign(&claims).map_err(Err)?
            }
        };
        Ok(Some(format!("Bearer {token}")))
    }

    /// Sends the protected request with this `Authorization` value; the status, or a failing
    /// outcome naming the request.
    async fn send(&self, authorization: Option<&str>, what: &str) -> Result<StatusCode, Outcome> {
        let mut request = self.common.request(&self.method, &self.path, Body::empty()).map_err(Outcome::from)?;
        if let Some(authorization) = authorization {
            let Ok(mut value) = HeaderValue::from_str(authorization) else {
                return Err(Outcome::fail(format!("the {what} token is not a valid header value")));
            };
            value.set_sensitive(true);
            request.headers_mut().insert(header::AUTHORIZATION, value);
        }
        match self.common.send(request).await {
            Ok(response) => Ok(response.status()),
            Err(error) => Err(Outcome::fail(format!("with the {what} token: {error}"))),
        }
    }

    async fn run(&self) -> Outcome {
        let label = format!("{} {}", self.method, self.path);
        let now = unix_now();
        let valid = match self.sign(&self.claims(now)) {
            Ok(token) => token,
            Err(outcome) => return outcome,
        };
        let valid_status = match self.send(Some(&format!("Bearer {valid}")), "valid").await {
            Ok(status) => status,
            Err(outcome) => return outcome.evidence("request", &label),
        };
        let mut evidence = vec![("valid".to_owned(), valid_status.as_u16().to_string())];
        let mut accepted = Vec::new();
        let mut unexpected = Vec::new();
        let mut skipped = Vec::new();
        let mut rejected = 0usize;
        for forgery in Forgery::ALL {
            if self.skip.contains(&forgery) {
                skipped.push(format!("{forgery} (skipped)"));
                continue;
            }
            let authorization = match self.forge(forgery, now, &valid) {
                Ok(authorization) => authorization,
                Err(Ok(reason)) => {
                    skipped.push(format!("{forgery} ({reason})"));
                    continue;
                }
                Err(Err(outcome)) => return outcome.evidence("request", &label),
            };
            let status = match self.send(authorization.as_deref(), forgery.as_str()).await {
                Ok(status) => status,
                Err(outcome) => return outcome.evidence("request", &label),
            };
            evidence.push((format!("forged {forgery}"), status.as_u16().to_string()));
            match status.as_u16() {
                401 | 403 => rejected += 1,
                200..=299 => accepted.push(format!("{forgery} ({})", status.as_u16())),
                code => unexpected.push(format!("{forgery} answered {code}: {}", status_hint(status))),
            }
        }
        let mut failures = Vec::new();
        if !valid_status.is_success() {
            failures.push(format!(
                "the valid token was refused with {} ({}; are the probe's key, audience and issuer the service's?)",
                valid_status.as_u16(),
                if matches!(valid_status.as_u16(), 401 | 403) {
                    "nothing is proven"
                } else {
                    status_hint(valid_status)
                }
            ));
        }
        if !accepted.is_empty() {
            failures.push(format!("forged tokens accepted: {}", list(&accepted)));
        }
        if !unexpected.is_empty() {
            failures.push(format!("neither 401 nor 403: {}", list(&unexpected)));
        }
        let not_configured: Vec<&String> = skipped.iter().filter(|text| !text.ends_with("(skipped)")).collect();
        let outcome = if !failures.is_empty() {
            Outcome::fail(format!("{label}: {}", failures.join("; ")))
        } else if !not_configured.is_empty() {
            Outcome::warn(format!(
                "{label} accepted the valid token and refused {rejected} forged ones, but could not try {}",
                list(&not_configured)
            ))
        } else {
            Outcome::pass()
                .with_output(format!("{label} accepted the valid token and refused all {rejected} forged ones"))
        };
        evidence
            .into_iter()
            .fold(outcome, |outcome, (key, value)| outcome.evidence(key, value))
            .evidence("request", &label)
            .evidence("algorithm", format!("{:?}", self.algorithm))
            .evidence("not sent", list(&skipped))
            .observed(accepted.len(), "forged tokens accepted")
    }
}

impl From<JwtValidation> for CheckRegistration {
    fn from(probe: JwtValidation) -> Self {
        probe.check()
    }
}

fn encode_claims(claims: &Map<String, Value>) -> String {
    URL_SAFE_NO_PAD.encode(Value::Object(claims.clone()).to_string())
}

fn sign(claims: &Map<String, Value>, key: &EncodingKey, algorithm: Algorithm) -> Result<String, Outcome> {
    jsonwebtoken::encode(&Header::new(algorithm), claims, key).map_err(|error| {
        // The error names the kind of problem (say, a key that does not fit the algorithm),
        // never the key.
        Outcome::fail(format!("cannot sign the probe's token with {algorithm:?}: {error}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_part(part: &str) -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn forgeries_are_what_they_say() {
        let secret = SecretString::from("unit-test-secret-0123456789abcdef");
        let probe = JwtValidation::hs256(Router::new(), "/me", &secret).audience("api").issuer("https://iss");
        let now = 1_700_000_000;
        let valid = probe.sign(&probe.claims(now)).unwrap();
        let bearer = |forgery| probe.forge(forgery, now, &valid).ok().flatten().unwrap();
        let none = bearer(Forgery::AlgNone);
        let token = none.strip_prefix("Bearer ").unwrap();
        assert!(token.ends_with('.'), "an alg none token has an empty signature");
        assert_eq!(decode_part(token.split('.').next().unwrap())["alg"], "none");
        let expired = bearer(Forgery::Expired);
        let claims = decode_part(expired.strip_prefix("Bearer ").unwrap().split('.').nth(1).unwrap());
        assert!(claims["exp"].as_u64().unwrap() < now);
        let tampered = bearer(Forgery::Tampered);
        assert_eq!(tampered.rsplit('.').next(), valid.rsplit('.').next(), "the signature is the valid one's");
        assert_ne!(tampered.strip_prefix("Bearer ").unwrap(), valid);
        assert_eq!(probe.forge(Forgery::Missing, now, &valid), Ok(None));
        let unconfigured = JwtValidation::hs256(Router::new(), "/me", &secret);
        assert!(matches!(unconfigured.forge(Forgery::WrongAudience, now, &valid), Err(Ok(_))));
    }

    #[test]
    fn debug_redacts_the_key() {
        let secret = SecretString::from("never-print-this-secret-0123456789");
        let probe = JwtValidation::hs256(Router::new(), "/me", &secret).claim("role", "admin");
        let shown = format!("{probe:?}");
        assert!(!shown.contains("never-print-this"), "{shown}");
        assert!(shown.contains("[REDACTED]"));
    }
}
