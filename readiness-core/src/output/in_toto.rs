//! An [in-toto Statement](https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md)
//! about this service build and its checklist, and a
//! [DSSE envelope](https://github.com/secure-systems-lab/dsse/blob/master/envelope.md) signed
//! with ed25519 when a key is configured: a record an auditor can verify offline.
//!
//! ```
//! use base64::Engine;
//! use ed25519_dalek::{Signature, SigningKey, Verifier};
//! use readiness_core::Readiness;
//! use readiness_core::output::in_toto;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let readiness = readiness_core::testing::builder().service("orders", "1.0.0").build().unwrap();
//! let report = readiness.checklist().await;
//! let freshness = in_toto::Freshness::new(std::time::Duration::from_secs(600)).nonce("n-42").unwrap();
//! let statement = in_toto::statement(&report, &in_toto::Subject::new("orders", "ab12"), &freshness);
//! assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
//! assert_eq!(statement["predicate"]["nonce"], "n-42");
//!
//! let key = SigningKey::from_bytes(&[7; 32]);
//! let envelope = in_toto::envelope(&statement, &key);
//! assert_eq!(envelope["signatures"][0]["keyid"], readiness_core::output::jwks::key_id(&key.verifying_key()));
//! let payload = base64::engine::general_purpose::STANDARD.decode(envelope["payload"].as_str().unwrap()).unwrap();
//! let signature = base64::engine::general_purpose::STANDARD.decode(envelope["signatures"][0]["sig"].as_str().unwrap()).unwrap();
//! let signature = Signature::from_slice(&signature).unwrap();
//! let signed = in_toto::pae(in_toto::PAYLOAD_TYPE, &payload);
//! assert!(key.verifying_key().verify(&signed, &signature).is_ok());
//! # }
//! ```

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{checklist, jwks};
use crate::report::Report;

/// The statement's `_type`.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The predicate type: a readiness checklist, as [`checklist::json`] renders it, with `expires_at`,
/// the `nonce` and, unsigned, `unsigned`. Documented in the project's docs at
/// `docs/predicate/checklist-v1.md`, with its JSON Schema beside it
/// (`docs/predicate/checklist-v1.schema.json`), which the tests validate every predicate against.
pub const PREDICATE_TYPE: &str = "https://readiness.dev/checklist/v1";
/// The DSSE payload type of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// The media type of an unsigned statement: plain JSON, so nothing takes it for a signed
/// attestation (in-toto's own media type is the payload type of the signed envelope).
pub const STATEMENT_CONTENT_TYPE: &str = "application/json";
/// The longest nonce a verifier may ask to have echoed.
pub const MAX_NONCE_LEN: usize = 64;
/// The media type of a DSSE envelope.
pub const ENVELOPE_CONTENT_TYPE: &str = "application/vnd.dsse.envelope.v1+json";

/// What the statement is about: an artifact name and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    name: String,
    sha256: String,
}

impl Subject {
    /// A subject with a hex SHA-256 digest.
    pub fn new(name: impl Into<String>, sha256_hex: impl Into<String>) -> Self {
        Self { name: name.into(), sha256: sha256_hex.into() }
    }

    /// The running executable, named `name`: the SHA-256 of `/proc/self/exe` (the file the
    /// process was started from, even if it has since been replaced on disk), or of
    /// [`std::env::current_exe`] where there is no `/proc`.
    ///
    /// This reads the whole binary: call it once, off the async threads (readiness-axum does,
    /// at startup), and again after an error rather than keeping it.
    ///
    /// # Errors
    ///
    /// When the executable cannot be read.
    pub fn running_executable(name: impl Into<String>) -> std::io::Result<Self> {
        let bytes = match std::fs::read("/proc/self/exe") {
            Ok(bytes) => bytes,
            Err(_) => std::fs::read(std::env::current_exe()?)?,
        };
        Ok(Self::new(name, hex(&Sha256::digest(&bytes))))
    }

    /// The artifact's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The hex digest.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// How fresh a statement is: the nonce a verifier sent, echoed so a captured statement cannot
/// be replayed to it, and how long after `generated_at` the statement may be believed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Freshness {
    valid_for: Duration,
    nonce: Option<String>,
}

/// A nonce that is empty, longer than [`MAX_NONCE_LEN`] or not URL-safe (`A-Z a-z 0-9 - _`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a nonce is 1 to {MAX_NONCE_LEN} URL-safe characters (A-Z, a-z, 0-9, `-`, `_`)")]
pub struct InvalidNonce;

impl Freshness {
    /// Valid for `valid_for` after it is generated, without a nonce.
    pub fn new(valid_for: Duration) -> Self {
        Self { valid_for, nonce: None }
    }

    /// Echoes `nonce` in the predicate.
    ///
    /// # Errors
    ///
    /// [`InvalidNonce`] unless it is 1 to 64 URL-safe characters.
    pub fn nonce(mut self, nonce: impl Into<String>) -> Result<Self, InvalidNonce> {
        let nonce = nonce.into();
        let valid = !nonce.is_empty()
            && nonce.len() <= MAX_NONCE_LEN
            && nonce.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(InvalidNonce);
        }
        self.nonce = Some(nonce);
        Ok(self)
    }

    /// How long the statement may be believed.
    pub fn valid_for(&self) -> Duration {
        self.valid_for
    }
}

/// The statement: the subject, and the checklist as predicate with `nonce` (when given) and
/// `expires_at` beside its `generated_at`.
pub fn statement(report: &Report, subject: &Subject, freshness: &Freshness) -> Value {
    let mut predicate = checklist::json(report);
    let expires = report.generated_at + freshness.valid_for;
    predicate["expires_at"] = json!(expires.format(&time::format_description::well_known::Rfc3339).ok());
    if let Some(nonce) = &freshness.nonce {
        predicate["nonce"] = json!(nonce);
    }
    json!({
        "_type": STATEMENT_TYPE,
        "subject": [{"name": subject.name, "digest": {"sha256": subject.sha256}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    })
}

/// Marks a statement served without a signature as such, in its predicate: `"unsigned"` says
/// why, so a copy passed on cannot be mistaken for a signed attestation.
pub fn mark_unsigned(statement: &mut Value) {
    statement["predicate"]["unsigned"] = json!("no signing key is configured: nothing proves who made this statement");
}

/// DSSE's pre-authentication encoding: what is signed.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut encoded = format!("DSSEv1 {} {} {} ", payload_type.len(), payload_type, payload.len()).into_bytes();
    encoded.extend_from_slice(payload);
    encoded
}

/// A DSSE envelope of the statement signed with `key`; its `keyid` is the key's thumbprint
/// ([`jwks::key_id`]), the `kid` of the key in the JWK Set.
pub fn envelope(statement: &Value, key: &SigningKey) -> Value {
    let keyid = jwks::key_id(&key.verifying_key());
    let payload = statement.to_string().into_bytes();
    let signature = key.sign(&pae(PAYLOAD_TYPE, &payload));
    json!({
        "payloadType": PAYLOAD_TYPE,
        "payload": STANDARD.encode(&payload),
        "signatures": [{"keyid": keyid, "sig": STANDARD.encode(signature.to_bytes())}],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_follows_the_dsse_spec() {
        // The example of the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
    }

    #[test]
    fn the_running_executable_has_a_stable_digest() {
        let first = Subject::running_executable("tests").unwrap();
        assert_eq!(first.sha256().len(), 64);
        assert_eq!(first, Subject::running_executable("tests").unwrap());
        let on_disk = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(first.sha256(), hex(&Sha256::digest(&on_disk)));
    }

    #[test]
    fn a_nonce_is_short_and_url_safe() {
        let fresh = Freshness::new(Duration::from_secs(60));
        assert!(fresh.clone().nonce("a-Z_09").is_ok());
        assert!(fresh.clone().nonce("x".repeat(64)).is_ok());
        for bad in ["", "has space", "semi;colon", "<script>", "é"] {
            assert_eq!(fresh.clone().nonce(bad), Err(InvalidNonce), "{bad:?}");
        }
        assert_eq!(fresh.nonce("x".repeat(65)), Err(InvalidNonce));
    }
}
