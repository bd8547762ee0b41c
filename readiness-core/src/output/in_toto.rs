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
//! let statement = in_toto::statement(&report, &in_toto::Subject::new("orders", "ab12"));
//! assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
//!
//! let key = SigningKey::from_bytes(&[7; 32]);
//! let envelope = in_toto::envelope(&statement, &key, "release-key");
//! let payload = base64::engine::general_purpose::STANDARD.decode(envelope["payload"].as_str().unwrap()).unwrap();
//! let signature = base64::engine::general_purpose::STANDARD.decode(envelope["signatures"][0]["sig"].as_str().unwrap()).unwrap();
//! let signature = Signature::from_slice(&signature).unwrap();
//! let signed = in_toto::pae(in_toto::PAYLOAD_TYPE, &payload);
//! assert!(key.verifying_key().verify(&signed, &signature).is_ok());
//! # }
//! ```

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::checklist;
use crate::report::Report;

/// The statement's `_type`.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The predicate type: a readiness checklist, as [`checklist::json`] renders it.
pub const PREDICATE_TYPE: &str = "https://readiness.dev/checklist/v1";
/// The DSSE payload type of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// The media type of an unsigned statement.
pub const STATEMENT_CONTENT_TYPE: &str = "application/vnd.in-toto+json";
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

    /// The running executable, named `name`, digested once per process.
    ///
    /// # Errors
    ///
    /// When the executable cannot be read.
    pub fn running_executable(name: impl Into<String>) -> std::io::Result<Self> {
        static DIGEST: OnceLock<Result<String, String>> = OnceLock::new();
        let digest = DIGEST.get_or_init(|| {
            let path = std::env::current_exe().map_err(|error| error.to_string())?;
            let bytes = std::fs::read(path).map_err(|error| error.to_string())?;
            Ok(hex(&Sha256::digest(&bytes)))
        });
        match digest {
            Ok(digest) => Ok(Self::new(name, digest.clone())),
            Err(error) => Err(std::io::Error::other(error.clone())),
        }
    }

    /// The hex digest.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The statement: the subject, and the checklist as predicate.
pub fn statement(report: &Report, subject: &Subject) -> Value {
    json!({
        "_type": STATEMENT_TYPE,
        "subject": [{"name": subject.name, "digest": {"sha256": subject.sha256}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": checklist::json(report),
    })
}

/// DSSE's pre-authentication encoding: what is signed.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut encoded = format!("DSSEv1 {} {} {} ", payload_type.len(), payload_type, payload.len()).into_bytes();
    encoded.extend_from_slice(payload);
    encoded
}

/// A DSSE envelope of the statement, signed with `key` and labelled `keyid`.
pub fn envelope(statement: &Value, key: &SigningKey, keyid: &str) -> Value {
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
    }
}
