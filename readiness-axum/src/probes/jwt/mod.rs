//! `http:jwt`: forged tokens are refused on every protected route, a valid one is accepted.
//!
//! * `forgery`: the [`Forgery`] kinds and how each token is made;
//! * `token`: JWTs assembled by hand (any `alg`, `crit`, `kid`; signed or not);
//! * `key`: the service's public key in every encoding a confused service might use as an
//!   HMAC secret (PEM as given, canonical PEM, SubjectPublicKeyInfo and bare DER, from a JWK);
//! * `run`: sending everything to every route and judging the answers.

mod forgery;
mod key;
mod run;
mod token;

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use axum::Router;
use axum::http::Method;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, EncodingKey};
use readiness_core::CheckRegistration;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

pub use forgery::Forgery;
use key::PublicKey;

use super::{Common, common_methods};

/// Probes `security.auth.jwt-validation` (check `http:jwt`).
///
/// Given one or more protected routes and the service's key, it sends a valid token and one
/// request per [`Forgery`] to every route. Tokens go in `Authorization: Bearer …`. The valid
/// token (`sub`, `iat`, `nbf`, `exp` five minutes ahead, `aud`, `iss`, plus
/// [`JwtValidation::claim`]s, and the [`JwtValidation::kid`] if given) must be accepted (`2xx`);
/// each forgery must be refused with `401` or `403`:
///
/// * no token, garbage, and a token that is not signed: alg `none`, `None`, `NONE`, `nOnE`,
///   or the service's own `alg` with an empty signature;
/// * expired, not yet valid, without expiry, for another audience or issuer;
/// * signed with another key, or the valid token with its payload changed;
/// * for an RSA, EC or Ed25519 key, **key confusion**: HS256 with the public key's PEM text or
///   DER bytes as the HMAC secret;
/// * `kid` tricks: `../../../../../../../../dev/null` and `/dev/null` signed with an empty key,
///   and a `kid` carrying SQL (`' UNION SELECT '…' -- `) or a shell pipe (`|printf …`) signed
///   with the key it would make a vulnerable lookup return;
/// * a valid token whose header lists an unknown extension in `crit` (RFC 7515 §4.1.11). Note
///   that `jsonwebtoken` 9 ignores `crit`: a service built on it must refuse a header carrying
///   `crit` itself (it understands no extension), or this forgery fails the check:
///
/// ```
/// use base64::Engine;
/// use base64::engine::general_purpose::URL_SAFE_NO_PAD;
///
/// /// Whether to refuse `token` before `jsonwebtoken::decode`: its header lists a critical
/// /// extension (this service understands none), or is not JSON at all.
/// fn lists_crit(token: &str) -> bool {
///     let header = token.split('.').next().and_then(|part| URL_SAFE_NO_PAD.decode(part).ok());
///     header
///         .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
///         .is_none_or(|header| header.get("crit").is_some())
/// }
///
/// assert!(lists_crit("eyJjcml0IjpbIngiXX0.e30.")); // {"crit":["x"]}
/// assert!(!lists_crit("eyJhbGciOiJIUzI1NiJ9.e30.")); // {"alg":"HS256"}
/// ```
///
/// **Fails** naming each route and each forgery it accepted; when the valid token is refused
/// (the probe's key, audience, issuer or `kid` differ from the service's, and nothing is
/// proven); on any other status (a `5xx`, a `404`, a `429`…), naming the request; and when the
/// key given cannot be used (an unreadable public key, one that is not the private key's, or a
/// key that does not fit the algorithm). **Warns** when a forgery could not be made for want of
/// configuration: no [`JwtValidation::audience`] or [`JwtValidation::issuer`], or, for an
/// asymmetric key given to [`JwtValidation::with_key`], no [`JwtValidation::with_public_key`] for
/// the key-confusion forgeries. Skip a forgery deliberately with [`JwtValidation::skip`] (the
/// evidence says so).
///
/// # The keys
///
/// * [`JwtValidation::hs256`]: the service's HMAC secret. Every forgery but key confusion
///   (an HMAC key has no public half) is made.
/// * [`JwtValidation::with_key`]: the service's signing key (for RS/PS/ES/EdDSA, the private
///   key), with [`JwtValidation::with_public_key`] (or `_der`) giving the public key the
///   service verifies with: the probe checks it verifies its own tokens, then forges with it.
/// * [`JwtValidation::public_key`], [`JwtValidation::public_key_der`],
///   [`JwtValidation::public_jwk`]: the public key alone, for a service whose tokens come from
///   an external identity provider. The probe sends every forgery that needs no private key
///   (no token, garbage, the four `none` spellings, an empty signature, another key, key
///   confusion, the `kid` tricks) and passes when all are refused. It **cannot tell** on the
///   rest — whether a valid token is accepted at all, and the expired, not-yet-valid,
///   no-expiry, tampered, wrong-audience, wrong-issuer and unknown-crit forgeries (see
///   [`Forgery::needs_signing_key`]) — and says so in the output and the evidence (`cannot
///   tell (needs the private key)`); its pass never claims them. Without an audience and an
///   issuer its forgeries lack what the service requires anyway, so a refusal proves nothing
///   about the forgery: the probe then warns (cannot tell). Give it the key the service
///   actually verifies with (with another, the key-confusion forgeries prove nothing, and
///   without a token of the identity provider the probe cannot check which key it was given).
///
/// # Several routes
///
/// [`JwtValidation::path`], [`JwtValidation::paths`] and [`JwtValidation::route`] add protected
/// routes: every one gets the valid token and every forgery, and the output names each route
/// that accepted a forgery. With one route the evidence reads `valid` and `forged <name>`; with
/// several, each key starts with the route (`GET /api/orders forged alg-none`).
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
/// let check = JwtValidation::hs256(app.clone(), "/api/me", &secret)
///     .paths(["/api/orders", "/api/invoices"])
///     .audience("orders-api")
///     .issuer("https://auth.example")
///     .claim("role", "reader")
///     .check();
/// assert_eq!(check.spec().name(), "http:jwt");
///
/// // A service that only verifies the tokens of an identity provider.
/// let pem = "-----BEGIN PUBLIC KEY-----
/// MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEKqpvI3QSY3ZOAZ/YyeT1/6vrgHc1
/// 4om8kfzQDE8zFw65D9FfAg6Zng05SmhbiRkQxh5ZB6buHoPl12z1G4xMxg==
/// -----END PUBLIC KEY-----
/// ";
/// let check = JwtValidation::public_key(app, "/api/me", pem, jsonwebtoken::Algorithm::ES256)
///     .audience("orders-api")
///     .issuer("https://idp.example")
///     .name("http:jwt-idp")
///     .check();
/// assert_eq!(check.spec().name(), "http:jwt-idp");
/// ```
#[derive(Clone)]
#[must_use]
pub struct JwtValidation {
    common: Common,
    method: Method,
    /// The protected routes; a route without a method takes [`JwtValidation::method`].
    routes: Vec<(Option<Method>, String)>,
    /// The service's signing key; `None` for a probe holding only the public key.
    key: Option<EncodingKey>,
    algorithm: Algorithm,
    /// The service's public key (or why it could not be read).
    public: Option<Result<PublicKey, String>>,
    foreign: Option<(EncodingKey, Algorithm)>,
    kid: Option<String>,
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
            .field("routes", &self.routes)
            .field("key", &self.key.as_ref().map(|_| "[REDACTED]"))
            .field("algorithm", &self.algorithm)
            .field("public_key", &self.public.as_ref().map(|public| public.as_ref().map(|key| key.kind)))
            .field("foreign_key", &self.foreign.as_ref().map(|(_, algorithm)| ("[REDACTED]", algorithm)))
            .field("kid", &self.kid)
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
    /// and `algorithm` (for RS/PS/ES/EdDSA, the private key matching the service's public key:
    /// give that public key with [`JwtValidation::with_public_key`] for the key-confusion
    /// forgeries). For an asymmetric algorithm, [`Forgery::WrongKey`] is signed with an HMAC
    /// key unless [`JwtValidation::foreign_key`] gives another key of the same kind.
    pub fn with_key(router: Router, path: impl Into<String>, key: EncodingKey, algorithm: Algorithm) -> Self {
        Self::new(router, path.into(), Some(key), algorithm, None)
    }

    /// A probe of `GET path` for a service that holds only the public key of an identity
    /// provider, as PEM (`PUBLIC KEY`, or `RSA PUBLIC KEY`), verifying `algorithm` (RS*, PS*,
    /// ES256/384 or EdDSA). It sends only the forgeries that need no private key (see the type's
    /// docs). A key that cannot be read fails the check, naming why.
    pub fn public_key(router: Router, path: impl Into<String>, pem: &str, algorithm: Algorithm) -> Self {
        Self::new(router, path.into(), None, algorithm, Some(PublicKey::from_pem(pem)))
    }

    /// [`JwtValidation::public_key`] with the key as DER (SubjectPublicKeyInfo, or PKCS#1
    /// `RSAPublicKey`).
    pub fn public_key_der(router: Router, path: impl Into<String>, der: &[u8], algorithm: Algorithm) -> Self {
        Self::new(router, path.into(), None, algorithm, Some(PublicKey::from_der(der)))
    }

    /// [`JwtValidation::public_key`] with the key as a JWK (one entry of the identity provider's
    /// JWKS: RSA, EC P-256/P-384 or Ed25519). Its `alg` is the algorithm (RS256, ES256, ES384 or
    /// EdDSA by key type when absent), and its `kid`, if any, goes in the header of every token,
    /// so a service that looks keys up by `kid` reaches the check being probed.
    pub fn public_jwk(router: Router, path: impl Into<String>, jwk: &Jwk) -> Self {
        let algorithm = match (jwk.common.key_algorithm, &jwk.algorithm) {
            (Some(algorithm), _) => algorithm.to_string().parse::<Algorithm>().map_err(|_| algorithm.to_string()),
            (None, AlgorithmParameters::EllipticCurve(ec)) if ec.curve == EllipticCurve::P384 => Ok(Algorithm::ES384),
            (None, AlgorithmParameters::EllipticCurve(_)) => Ok(Algorithm::ES256),
            (None, AlgorithmParameters::OctetKeyPair(_)) => Ok(Algorithm::EdDSA),
            (None, _) => Ok(Algorithm::RS256),
        };
        let public = match &algorithm {
            Ok(_) => PublicKey::from_jwk(jwk),
            Err(name) => Err(format!("the JWK's alg {name} is not a signature algorithm of JWTs")),
        };
        let mut probe = Self::new(router, path.into(), None, algorithm.unwrap_or_default(), Some(public));
        probe.kid = jwk.common.key_id.clone();
        probe
    }

    fn new(
        router: Router,
        path: String,
        key: Option<EncodingKey>,
        algorithm: Algorithm,
        public: Option<Result<PublicKey, String>>,
    ) -> Self {
        Self {
            common: Common::new(
                router,
                "http:jwt",
                "security.auth.jwt-validation",
                "forged JWTs (alg none, key confusion, kid tricks, expired, bad signature, wrong audience…) are \
                 refused on every protected route, a valid one accepted",
                5,
            ),
            method: Method::GET,
            routes: vec![(None, path)],
            key,
            algorithm,
            public,
            foreign: None,
            kid: None,
            audience: None,
            issuer: None,
            subject: "readiness-probe".to_owned(),
            claims: Map::new(),
            lifetime: Duration::from_secs(300),
            skip: BTreeSet::new(),
        }
    }

    /// The method of the protected routes added without one (default `GET`).
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Another protected route (with [`JwtValidation::method`]), probed like the first.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.routes.push((None, path.into()));
        self
    }

    /// More protected routes (with [`JwtValidation::method`]), each probed like the first.
    pub fn paths<I>(mut self, paths: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.routes.extend(paths.into_iter().map(|path| (None, path.into())));
        self
    }

    /// Another protected route with a method of its own.
    pub fn route(mut self, method: Method, path: impl Into<String>) -> Self {
        self.routes.push((Some(method), path.into()));
        self
    }

    /// The public key the service verifies with, as PEM, for the key-confusion forgeries of a
    /// probe built with [`JwtValidation::with_key`] from the private key. The probe checks that
    /// it verifies its own tokens (a key that does not fails the check).
    pub fn with_public_key(mut self, pem: &str) -> Self {
        self.public = Some(PublicKey::from_pem(pem));
        self
    }

    /// [`JwtValidation::with_public_key`] with the key as DER (SubjectPublicKeyInfo or PKCS#1).
    pub fn with_public_key_der(mut self, der: &[u8]) -> Self {
        self.public = Some(PublicKey::from_der(der));
        self
    }

    /// The `kid` of the service's key: put in the header of the valid token and of every
    /// forgery except the `kid` tricks, so a service that looks keys up by `kid` gets as far as
    /// the check each forgery is aimed at.
    pub fn kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
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
}

impl From<JwtValidation> for CheckRegistration {
    fn from(probe: JwtValidation) -> Self {
        probe.check()
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::forgery::Forged;
    use super::*;

    fn decode_part(part: &str) -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    fn one(forged: Forged) -> String {
        match forged {
            Forged::Send(tokens) if tokens.len() == 1 => tokens.into_iter().next().flatten().unwrap(),
            other => panic!("one token expected, got {other:?}"),
        }
    }

    #[test]
    fn forgeries_are_what_they_say() {
        let secret = SecretString::from("unit-test-secret-0123456789abcdef");
        let probe =
            JwtValidation::hs256(Router::new(), "/me", &secret).audience("api").issuer("https://iss").kid("main");
        let now = 1_700_000_000;
        let valid = probe.sign(&probe.claims(now)).unwrap().unwrap();
        let token = |forgery| one(probe.forge(forgery, now, Some(&valid)).unwrap());
        for (forgery, alg) in [
            (Forgery::AlgNone, "none"),
            (Forgery::AlgNoneCapitalized, "None"),
            (Forgery::AlgNoneUppercase, "NONE"),
            (Forgery::AlgNoneMixedCase, "nOnE"),
            (Forgery::EmptySignature, "HS256"),
        ] {
            let forged = token(forgery);
            assert!(forged.ends_with('.'), "{forgery} has an empty signature");
            let header = decode_part(forged.split('.').next().unwrap());
            assert_eq!(header["alg"], alg);
            assert_eq!(header["kid"], "main", "{forgery} carries the service's kid");
        }
        let expired = token(Forgery::Expired);
        assert!(decode_part(expired.split('.').nth(1).unwrap())["exp"].as_u64().unwrap() < now);
        let tampered = token(Forgery::Tampered);
        assert_eq!(tampered.rsplit('.').next(), valid.rsplit('.').next(), "the signature is the valid one's");
        assert_ne!(tampered, valid);
        for (forgery, kid) in [
            (Forgery::KidTraversal, forgery::KID_TRAVERSAL),
            (Forgery::KidDevNull, forgery::KID_DEV_NULL),
            (Forgery::KidSql, forgery::KID_SQL),
            (Forgery::KidCommand, forgery::KID_COMMAND),
        ] {
            assert_eq!(decode_part(token(forgery).split('.').next().unwrap())["kid"], kid);
        }
        let crit = decode_part(token(Forgery::UnknownCrit).split('.').next().unwrap());
        assert_eq!(crit["crit"][0], "readiness-probe-unknown-extension");
        assert_eq!(crit["readiness-probe-unknown-extension"], true);
        assert_eq!(probe.forge(Forgery::Missing, now, Some(&valid)).unwrap(), Forged::Send(vec![None]));
        assert!(matches!(probe.forge(Forgery::KeyConfusionPem, now, Some(&valid)), Ok(Forged::NotApplicable(_))));
        let unconfigured = JwtValidation::hs256(Router::new(), "/me", &secret);
        assert!(matches!(unconfigured.forge(Forgery::WrongAudience, now, Some(&valid)), Ok(Forged::Unconfigured(_))));
    }

    #[test]
    fn every_forgery_has_its_own_name() {
        let names: BTreeSet<&str> = Forgery::ALL.iter().map(|forgery| forgery.as_str()).collect();
        assert_eq!(names.len(), Forgery::ALL.len());
        let needing: Vec<&str> =
            Forgery::ALL.iter().filter(|forgery| forgery.needs_signing_key()).map(|forgery| forgery.as_str()).collect();
        assert_eq!(
            needing,
            ["expired", "not-yet-valid", "no-expiry", "tampered", "wrong-audience", "wrong-issuer", "unknown-crit"]
        );
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
