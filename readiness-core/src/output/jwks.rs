//! The verifying keys of signed statements as a [JWK Set](https://www.rfc-editor.org/rfc/rfc7517)
//! (RFC 8037 `OKP` / `Ed25519` keys), each key's id its
//! [RFC 7638 thumbprint](https://www.rfc-editor.org/rfc/rfc7638): derived from the key, so a
//! verifier recomputes it and a label cannot point at another key.
//!
//! ```
//! use ed25519_dalek::SigningKey;
//! use readiness_core::output::jwks;
//!
//! let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
//! let set = jwks::key_set([&key]);
//! assert_eq!(set["keys"][0]["kty"], "OKP");
//! assert_eq!(set["keys"][0]["crv"], "Ed25519");
//! assert_eq!(set["keys"][0]["kid"], jwks::key_id(&key));
//! assert_eq!(jwks::verifying_key(&set["keys"][0]).unwrap(), key);
//! ```

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::VerifyingKey;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The media type of a JWK Set (RFC 7517 §8.5).
pub const CONTENT_TYPE: &str = "application/jwk-set+json";

/// The key id of `key`: the base64url SHA-256 thumbprint of its JWK (RFC 7638 §3), over the
/// required members in lexicographic order: `{"crv":"Ed25519","kty":"OKP","x":"…"}`.
pub fn key_id(key: &VerifyingKey) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, URL_SAFE_NO_PAD.encode(key.as_bytes()));
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// One key as a JWK: `kty`, `crv`, `x`, `kid`, `use: sig`, `alg: EdDSA`. Public parts only.
pub fn jwk(key: &VerifyingKey) -> Value {
    json!({
        "kty": "OKP",
        "crv": "Ed25519",
        "x": URL_SAFE_NO_PAD.encode(key.as_bytes()),
        "kid": key_id(key),
        "use": "sig",
        "alg": "EdDSA",
    })
}

/// The keys as a JWK Set: `{"keys": [...]}`.
pub fn key_set<'a>(keys: impl IntoIterator<Item = &'a VerifyingKey>) -> Value {
    json!({ "keys": keys.into_iter().map(jwk).collect::<Vec<_>>() })
}

/// Why a JWK is not an Ed25519 verifying key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwkError {
    /// `kty` is not `OKP` or `crv` is not `Ed25519`.
    #[error("not an Ed25519 key (kty OKP, crv Ed25519)")]
    NotEd25519,
    /// `x` is missing, not base64url, or not 32 bytes.
    #[error("`x` is not a base64url 32-byte Ed25519 public key")]
    BadPublicKey,
    /// `x` is not a point on the curve.
    #[error("`x` is not a valid Ed25519 public key")]
    InvalidKey,
}

/// The verifying key a JWK holds.
///
/// # Errors
///
/// [`JwkError`] when it is not an RFC 8037 Ed25519 public key.
pub fn verifying_key(jwk: &Value) -> Result<VerifyingKey, JwkError> {
    if jwk.get("kty").and_then(Value::as_str) != Some("OKP")
        || jwk.get("crv").and_then(Value::as_str) != Some("Ed25519")
    {
        return Err(JwkError::NotEd25519);
    }
    let bytes = jwk
        .get("x")
        .and_then(Value::as_str)
        .and_then(|x| URL_SAFE_NO_PAD.decode(x).ok())
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or(JwkError::BadPublicKey)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| JwkError::InvalidKey)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_id_is_the_rfc_7638_thumbprint() {
        // RFC 8037 appendix A.3: the thumbprint of the example Ed25519 key.
        let x = URL_SAFE_NO_PAD.decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").unwrap();
        let key = VerifyingKey::from_bytes(&x.try_into().unwrap()).unwrap();
        assert_eq!(key_id(&key), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }

    #[test]
    fn a_jwk_that_is_not_an_ed25519_public_key_is_refused() {
        assert_eq!(verifying_key(&json!({"kty": "RSA"})), Err(JwkError::NotEd25519));
        assert_eq!(verifying_key(&json!({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"})), Err(JwkError::BadPublicKey));
        assert_eq!(verifying_key(&json!({"kty": "OKP", "crv": "X25519", "x": "AAAA"})), Err(JwkError::NotEd25519));
    }
}
