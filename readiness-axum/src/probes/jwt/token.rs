//! Assembling JWTs by hand: any header (an `alg` no library writes, a `crit`, a `kid`), signed
//! with any key, or not at all.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use readiness_core::Outcome;
use serde_json::{Map, Value, json};

/// `alg` as JWTs spell it (`RS256`, `EdDSA`).
pub(super) fn alg_name(algorithm: Algorithm) -> String {
    format!("{algorithm:?}")
}

/// A protected header: `alg` (any spelling), `typ: JWT`, and `kid` when given.
pub(super) fn header(alg: &str, kid: Option<&str>) -> Map<String, Value> {
    let mut header = Map::new();
    header.insert("alg".into(), json!(alg));
    header.insert("typ".into(), json!("JWT"));
    if let Some(kid) = kid {
        header.insert("kid".into(), json!(kid));
    }
    header
}

/// One base64url part of a token.
pub(super) fn part(value: &Map<String, Value>) -> String {
    URL_SAFE_NO_PAD.encode(Value::Object(value.clone()).to_string())
}

/// `header.payload.` with an empty signature.
pub(super) fn unsigned(header: &Map<String, Value>, claims: &Map<String, Value>) -> String {
    format!("{}.{}.", part(header), part(claims))
}

/// `header.payload.signature`, signed with `key` and `algorithm`.
pub(super) fn signed(
    header: &Map<String, Value>,
    claims: &Map<String, Value>,
    key: &EncodingKey,
    algorithm: Algorithm,
) -> Result<String, Outcome> {
    let message = format!("{}.{}", part(header), part(claims));
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), key, algorithm).map_err(|error| {
        // The error names the kind of problem (say, a key that does not fit the algorithm),
        // never the key.
        Outcome::fail(format!("cannot sign the probe's token with {algorithm:?}: {error}"))
    })?;
    Ok(format!("{message}.{signature}"))
}

/// `token` signed with HMAC-`algorithm` and `secret` as the key (which may be empty).
pub(super) fn hmac(
    header: &Map<String, Value>,
    claims: &Map<String, Value>,
    secret: &[u8],
    algorithm: Algorithm,
) -> Result<String, Outcome> {
    signed(header, claims, &EncodingKey::from_secret(secret), algorithm)
}
