//! The forged (or missing) tokens, and how each is made.

use std::fmt;

use jsonwebtoken::Algorithm;
use readiness_core::Outcome;
use serde_json::{Map, Value, json};

use super::JwtValidation;
use super::token::{self, alg_name};

/// The HMAC key of [`Forgery::WrongKey`] when no other key is given: a key the service cannot
/// have (it says so).
const FOREIGN_HMAC_KEY: &[u8] = b"readiness-probe: a key that is not the service's key, 256 bits+";

/// How far in the past or future the time-based forgeries are: beyond any sensible leeway.
const SKEW: u64 = 60 * 60;

/// The `kid` of [`Forgery::KidTraversal`]: enough `../` to reach `/dev/null` from any key
/// directory up to eight levels deep (`/etc/keys/` + `kid` needs two).
pub(super) const KID_TRAVERSAL: &str = "../../../../../../../../dev/null";

/// The `kid` of [`Forgery::KidDevNull`].
pub(super) const KID_DEV_NULL: &str = "/dev/null";

/// The `kid` of [`Forgery::KidSql`]: pasted into `… WHERE kid = '<kid>'`, it makes the query
/// return [`KID_INJECTED_KEY`].
pub(super) const KID_SQL: &str = "readiness-probe' UNION SELECT 'readiness-probe-injected-key' -- ";

/// The `kid` of [`Forgery::KidCommand`]: pasted into a shell command (`cat keys/<kid>`), it
/// makes the command print [`KID_INJECTED_KEY`].
pub(super) const KID_COMMAND: &str = "readiness-probe|printf readiness-probe-injected-key";

/// The HMAC key the injected `kid`s make a vulnerable service use.
pub(super) const KID_INJECTED_KEY: &[u8] = b"readiness-probe-injected-key";

/// The unknown critical header parameter of [`Forgery::UnknownCrit`].
const CRIT_PARAMETER: &str = "readiness-probe-unknown-extension";

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
    /// `{"alg": "None"}` and no signature: a validator that refuses `none` but compares
    /// algorithm names without case lets it through.
    AlgNoneCapitalized,
    /// `{"alg": "NONE"}` and no signature.
    AlgNoneUppercase,
    /// `{"alg": "nOnE"}` and no signature.
    AlgNoneMixedCase,
    /// The service's own `alg`, the valid claims, and an empty signature (`header.payload.`).
    EmptySignature,
    /// For an RSA, EC or Ed25519 key: HS256 with the public key's PEM text as the HMAC secret
    /// (key confusion: a service that picks the verifier from the token's `alg` and hands it the
    /// key it has). The text as given, without its final newline, and the canonical blocks.
    KeyConfusionPem,
    /// HS256 with the public key's DER bytes (SubjectPublicKeyInfo, and the key inside it) as
    /// the HMAC secret.
    KeyConfusionDer,
    /// `kid: "../../../../../../../../dev/null"`, HMAC-signed with an empty key: a service that
    /// reads the key from a file named by `kid` reads nothing.
    KidTraversal,
    /// `kid: "/dev/null"`, HMAC-signed with an empty key.
    KidDevNull,
    /// A `kid` carrying SQL (`x' UNION SELECT '<key>' -- `), HMAC-signed with the key that
    /// query returns.
    KidSql,
    /// A `kid` carrying a shell pipe (`x|printf <key>`), HMAC-signed with the key it prints.
    KidCommand,
    /// A valid token whose header lists an unknown extension in `crit`, which RFC 7515
    /// §4.1.11 requires a recipient to refuse.
    UnknownCrit,
}

impl Forgery {
    /// Every forgery, in the order they are sent.
    pub const ALL: [Forgery; 21] = [
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
        Forgery::AlgNoneCapitalized,
        Forgery::AlgNoneUppercase,
        Forgery::AlgNoneMixedCase,
        Forgery::EmptySignature,
        Forgery::KeyConfusionPem,
        Forgery::KeyConfusionDer,
        Forgery::KidTraversal,
        Forgery::KidDevNull,
        Forgery::KidSql,
        Forgery::KidCommand,
        Forgery::UnknownCrit,
    ];

    /// The forgery's name in outputs and evidence (`alg-none`, `key-confusion-pem`…).
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
            Forgery::AlgNoneCapitalized => "alg-None",
            Forgery::AlgNoneUppercase => "alg-NONE",
            Forgery::AlgNoneMixedCase => "alg-nOnE",
            Forgery::EmptySignature => "empty-signature",
            Forgery::KeyConfusionPem => "key-confusion-pem",
            Forgery::KeyConfusionDer => "key-confusion-der",
            Forgery::KidTraversal => "kid-traversal",
            Forgery::KidDevNull => "kid-dev-null",
            Forgery::KidSql => "kid-sql",
            Forgery::KidCommand => "kid-command",
            Forgery::UnknownCrit => "unknown-crit",
        }
    }

    /// Whether making it takes the service's signing key (a valid signature): a probe built
    /// from the public key alone ([`JwtValidation::public_key`]) cannot tell on these.
    pub const fn needs_signing_key(self) -> bool {
        matches!(
            self,
            Forgery::Expired
                | Forgery::NotYetValid
                | Forgery::NoExpiry
                | Forgery::Tampered
                | Forgery::WrongAudience
                | Forgery::WrongIssuer
                | Forgery::UnknownCrit
        )
    }
}

impl fmt::Display for Forgery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the probe does with one forgery.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Forged {
    /// Send each of these tokens (`None`: no `Authorization` header); each must be refused.
    Send(Vec<Option<String>>),
    /// It does not apply to this setup (key confusion with an HMAC key): not sent, not missed.
    NotApplicable(&'static str),
    /// It needs something the probe was not given (why): not sent, and the probe warns.
    Unconfigured(&'static str),
}

impl JwtValidation {
    /// The claims of the valid token at `now`.
    pub(super) fn claims(&self, now: u64) -> Map<String, Value> {
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

    /// The header of the service's own tokens: its `alg`, and the `kid` if given.
    fn own_header(&self) -> Map<String, Value> {
        token::header(&alg_name(self.algorithm), self.kid.as_deref())
    }

    /// A token with the service's header and `claims`, signed with the service's key (`None`
    /// for a probe holding only the public key).
    pub(super) fn sign(&self, claims: &Map<String, Value>) -> Option<Result<String, Outcome>> {
        self.key.as_ref().map(|key| token::signed(&self.own_header(), claims, key, self.algorithm))
    }

    /// The HMAC algorithm of the `kid` forgeries: the service's own if it is one, else HS256.
    fn hmac_algorithm(&self) -> Algorithm {
        match self.algorithm {
            algorithm @ (Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) => algorithm,
            _ => Algorithm::HS256,
        }
    }

    /// The tokens of `forgery` at `now`; `valid` is the probe's valid token, if it could make
    /// one. A forgery that [`Forgery::needs_signing_key`] is never asked of a probe without one.
    pub(super) fn forge(&self, forgery: Forgery, now: u64, valid: Option<&str>) -> Result<Forged, Outcome> {
        let mut claims = self.claims(now);
        let signed = |claims: &Map<String, Value>| match self.sign(claims) {
            Some(token) => token,
            None => Err(Outcome::fail(format!("{forgery} needs the service's signing key, which the probe lacks"))),
        };
        let unsigned_as = |alg: &str| token::unsigned(&token::header(alg, self.kid.as_deref()), &self.claims(now));
        let kid_trick = |kid: &str, key: &[u8]| {
            token::hmac(
                &token::header(&alg_name(self.hmac_algorithm()), Some(kid)),
                &self.claims(now),
                key,
                self.hmac_algorithm(),
            )
        };
        let token = match forgery {
            Forgery::Missing => return Ok(Forged::Send(vec![None])),
            Forgery::Garbage => "readiness-probe.not-a.jwt".to_owned(),
            Forgery::AlgNone => unsigned_as("none"),
            Forgery::AlgNoneCapitalized => unsigned_as("None"),
            Forgery::AlgNoneUppercase => unsigned_as("NONE"),
            Forgery::AlgNoneMixedCase => unsigned_as("nOnE"),
            Forgery::EmptySignature => unsigned_as(&alg_name(self.algorithm)),
            Forgery::Expired => {
                claims.insert("iat".into(), json!(now.saturating_sub(2 * SKEW)));
                claims.insert("nbf".into(), json!(now.saturating_sub(2 * SKEW)));
                claims.insert("exp".into(), json!(now.saturating_sub(SKEW)));
                signed(&claims)?
            }
            Forgery::NotYetValid => {
                claims.insert("nbf".into(), json!(now + SKEW));
                claims.insert("exp".into(), json!(now + 2 * SKEW));
                signed(&claims)?
            }
            Forgery::NoExpiry => {
                claims.remove("exp");
                signed(&claims)?
            }
            Forgery::WrongKey => match &self.foreign {
                Some((key, algorithm)) => {
                    token::signed(&token::header(&alg_name(*algorithm), self.kid.as_deref()), &claims, key, *algorithm)?
                }
                None => token::hmac(
                    &token::header("HS256", self.kid.as_deref()),
                    &claims,
                    FOREIGN_HMAC_KEY,
                    Algorithm::HS256,
                )?,
            },
            Forgery::Tampered => {
                claims.insert("sub".into(), json!(format!("{}-tampered", self.subject)));
                claims.insert("admin".into(), json!(true));
                let mut parts = valid.unwrap_or_default().split('.');
                let (Some(header), Some(_payload), Some(signature)) = (parts.next(), parts.next(), parts.next()) else {
                    return Err(Outcome::fail("the probe's valid token is not a three-part JWT"));
                };
                format!("{header}.{}.{signature}", token::part(&claims))
            }
            Forgery::WrongAudience => {
                if self.audience.is_none() {
                    return Ok(Forged::Unconfigured("no expected audience was given (JwtValidation::audience)"));
                }
                claims.insert("aud".into(), json!("readiness-probe.invalid"));
                signed(&claims)?
            }
            Forgery::WrongIssuer => {
                if self.issuer.is_none() {
                    return Ok(Forged::Unconfigured("no expected issuer was given (JwtValidation::issuer)"));
                }
                claims.insert("iss".into(), json!("https://readiness-probe.invalid"));
                signed(&claims)?
            }
            Forgery::KeyConfusionPem | Forgery::KeyConfusionDer => return self.key_confusion(forgery, &claims),
            Forgery::KidTraversal => kid_trick(KID_TRAVERSAL, b"")?,
            Forgery::KidDevNull => kid_trick(KID_DEV_NULL, b"")?,
            Forgery::KidSql => kid_trick(KID_SQL, KID_INJECTED_KEY)?,
            Forgery::KidCommand => kid_trick(KID_COMMAND, KID_INJECTED_KEY)?,
            Forgery::UnknownCrit => {
                let mut header = self.own_header();
                header.insert("crit".into(), json!([CRIT_PARAMETER]));
                header.insert(CRIT_PARAMETER.into(), json!(true));
                match &self.key {
                    Some(key) => token::signed(&header, &claims, key, self.algorithm)?,
                    None => signed(&claims)?,
                }
            }
        };
        Ok(Forged::Send(vec![Some(token)]))
    }

    /// The HS256 tokens keyed with the public key's PEM text or DER bytes.
    fn key_confusion(&self, forgery: Forgery, claims: &Map<String, Value>) -> Result<Forged, Outcome> {
        if matches!(self.algorithm, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
            return Ok(Forged::NotApplicable("an HMAC key has no public half to confuse"));
        }
        let public = match &self.public {
            Some(Ok(public)) => public,
            // An unreadable public key fails the check before any forgery is made.
            Some(Err(_)) | None => {
                return Ok(Forged::Unconfigured(
                    "the service's public key was not given (JwtValidation::with_public_key)",
                ));
            }
        };
        let secrets = if forgery == Forgery::KeyConfusionPem { public.pem_secrets() } else { public.der_secrets() };
        let header = token::header("HS256", self.kid.as_deref());
        let tokens = secrets
            .iter()
            .map(|secret| token::hmac(&header, claims, secret, Algorithm::HS256).map(Some))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Forged::Send(tokens))
    }
}
