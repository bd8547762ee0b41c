//! The service's public key, in every encoding a confused service could hand to HMAC as the
//! "secret": the PEM text as given, canonical PEM, SubjectPublicKeyInfo DER and the bare key.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey};

/// `rsaEncryption` (1.2.840.113549.1.1.1).
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// `id-RSASSA-PSS` (1.2.840.113549.1.1.10).
const OID_RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
/// `id-ecPublicKey` (1.2.840.10045.2.1).
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// `prime256v1` (1.2.840.10045.3.1.7).
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// `secp384r1` (1.3.132.0.34).
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
/// `id-Ed25519` (1.3.101.112).
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OID: u8 = 0x06;

/// The family of a public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyKind {
    Rsa,
    Ec,
    Ed,
}

impl KeyKind {
    /// Whether `algorithm` signs with a key of this family.
    pub(super) fn fits(self, algorithm: Algorithm) -> bool {
        use Algorithm::*;
        match self {
            KeyKind::Rsa => matches!(algorithm, RS256 | RS384 | RS512 | PS256 | PS384 | PS512),
            KeyKind::Ec => matches!(algorithm, ES256 | ES384),
            KeyKind::Ed => matches!(algorithm, EdDSA),
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyKind::Rsa => "RSA",
            KeyKind::Ec => "EC",
            KeyKind::Ed => "Ed25519",
        })
    }
}

/// A public key (not a secret: its `Debug` still shows only its kind).
#[derive(Clone, PartialEq, Eq)]
pub(super) struct PublicKey {
    pub(super) kind: KeyKind,
    /// The PEM text exactly as given, when it was given as PEM.
    given_pem: Option<String>,
    /// SubjectPublicKeyInfo DER.
    spki: Vec<u8>,
    /// The key inside: PKCS#1 `RSAPublicKey` (RSA), the SEC1 point (EC), the 32 bytes (Ed25519).
    inner: Vec<u8>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.kind)
    }
}

impl PublicKey {
    /// A `PUBLIC KEY` (SubjectPublicKeyInfo) or `RSA PUBLIC KEY` (PKCS#1) PEM block.
    pub(super) fn from_pem(text: &str) -> Result<Self, String> {
        let (label, der) = pem_decode(text)?;
        let mut key = match label.as_str() {
            "PUBLIC KEY" => Self::from_spki(&der)?,
            "RSA PUBLIC KEY" => Self::from_pkcs1(&der)?,
            "CERTIFICATE" => {
                return Err("a certificate, not a public key (extract it: openssl x509 -pubkey -noout)".to_owned());
            }
            label if label.contains("PRIVATE") => {
                return Err(format!(
                    "a {label}: give the public key (openssl pkey -pubout), or the private key to \
                     JwtValidation::with_key"
                ));
            }
            label => return Err(format!("a PEM block labelled {label:?}, not PUBLIC KEY or RSA PUBLIC KEY")),
        };
        key.given_pem = Some(text.to_owned());
        Ok(key)
    }

    /// SubjectPublicKeyInfo or PKCS#1 `RSAPublicKey` DER.
    pub(super) fn from_der(der: &[u8]) -> Result<Self, String> {
        let (tag, contents, rest) = element(der).ok_or("not DER")?;
        if tag != SEQUENCE || !rest.is_empty() {
            return Err("not a DER SEQUENCE".to_owned());
        }
        match element(contents) {
            Some((SEQUENCE, _, _)) => Self::from_spki(der),
            Some((INTEGER, _, _)) => Self::from_pkcs1(der),
            _ => Err("neither a SubjectPublicKeyInfo nor a PKCS#1 RSAPublicKey".to_owned()),
        }
    }

    /// A JWK's RSA (`n`, `e`), EC (`crv` P-256 or P-384, `x`, `y`) or OKP Ed25519 (`x`) parameters.
    pub(super) fn from_jwk(jwk: &Jwk) -> Result<Self, String> {
        let bytes = |name: &str, value: &str| {
            URL_SAFE_NO_PAD
                .decode(value.trim_end_matches('='))
                .map_err(|error| format!("the JWK's {name} is not base64url: {error}"))
        };
        match &jwk.algorithm {
            AlgorithmParameters::RSA(rsa) => {
                let pkcs1 = der(SEQUENCE, &[der_uint(&bytes("n", &rsa.n)?), der_uint(&bytes("e", &rsa.e)?)].concat());
                Self::from_pkcs1(&pkcs1)
            }
            AlgorithmParameters::EllipticCurve(ec) => {
                let curve = match ec.curve {
                    EllipticCurve::P256 => OID_P256,
                    EllipticCurve::P384 => OID_P384,
                    ref other => return Err(format!("an EC key on {other:?}, which no JWT library here verifies")),
                };
                let point = [&[0x04][..], &bytes("x", &ec.x)?, &bytes("y", &ec.y)?].concat();
                let algorithm = der(SEQUENCE, &[der(OID, OID_EC), der(OID, curve)].concat());
                Ok(Self::assemble(KeyKind::Ec, &algorithm, point))
            }
            AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
                let algorithm = der(SEQUENCE, &der(OID, OID_ED25519));
                Ok(Self::assemble(KeyKind::Ed, &algorithm, bytes("x", &okp.x)?))
            }
            AlgorithmParameters::OctetKeyPair(okp) => Err(format!("an OKP key on {:?}, not Ed25519", okp.curve)),
            AlgorithmParameters::OctetKey(_) => {
                Err("a symmetric key (kty oct), which has no public half: use JwtValidation::hs256".to_owned())
            }
        }
    }

    fn from_spki(spki: &[u8]) -> Result<Self, String> {
        let invalid = || "not a valid SubjectPublicKeyInfo".to_owned();
        let (tag, contents, rest) = element(spki).ok_or_else(invalid)?;
        if tag != SEQUENCE || !rest.is_empty() {
            return Err(invalid());
        }
        let (tag, algorithm, rest) = element(contents).ok_or_else(invalid)?;
        let (bit_tag, bits, after) = element(rest).ok_or_else(invalid)?;
        if tag != SEQUENCE || bit_tag != BIT_STRING || !after.is_empty() {
            return Err(invalid());
        }
        let Some((0, inner)) = bits.split_first() else { return Err(invalid()) };
        let (OID, oid, _) = element(algorithm).ok_or_else(invalid)? else { return Err(invalid()) };
        let kind = match oid {
            OID_RSA | OID_RSA_PSS => KeyKind::Rsa,
            OID_EC => KeyKind::Ec,
            OID_ED25519 => KeyKind::Ed,
            _ => return Err("a public key of an algorithm JWTs do not use".to_owned()),
        };
        Ok(Self { kind, given_pem: None, spki: spki.to_vec(), inner: inner.to_vec() })
    }

    fn from_pkcs1(pkcs1: &[u8]) -> Result<Self, String> {
        let invalid = || "not a valid PKCS#1 RSAPublicKey".to_owned();
        let (SEQUENCE, contents, []) = element(pkcs1).ok_or_else(invalid)? else { return Err(invalid()) };
        let (INTEGER, _, rest) = element(contents).ok_or_else(invalid)? else { return Err(invalid()) };
        let (INTEGER, _, []) = element(rest).ok_or_else(invalid)? else { return Err(invalid()) };
        // `rsaEncryption` with NULL parameters, as `openssl rsa -pubout` writes it.
        let algorithm = der(SEQUENCE, &[der(OID, OID_RSA), vec![0x05, 0x00]].concat());
        Ok(Self::assemble(KeyKind::Rsa, &algorithm, pkcs1.to_vec()))
    }

    fn assemble(kind: KeyKind, algorithm: &[u8], inner: Vec<u8>) -> Self {
        let bits = der(BIT_STRING, &[&[0][..], &inner].concat());
        let spki = der(SEQUENCE, &[algorithm, &bits].concat());
        Self { kind, given_pem: None, spki, inner }
    }

    /// The key as `jsonwebtoken` verifies with it.
    pub(super) fn decoding_key(&self) -> DecodingKey {
        match self.kind {
            KeyKind::Rsa => DecodingKey::from_rsa_der(&self.inner),
            KeyKind::Ec => DecodingKey::from_ec_der(&self.inner),
            KeyKind::Ed => DecodingKey::from_ed_der(&self.inner),
        }
    }

    /// The PEM texts a service may have read from its key file: the text as given (and with its
    /// final newline toggled), and the canonical `PUBLIC KEY` (and, for RSA, `RSA PUBLIC KEY`)
    /// blocks.
    pub(super) fn pem_secrets(&self) -> Vec<Vec<u8>> {
        let mut secrets = Vec::new();
        if let Some(given) = &self.given_pem {
            secrets.push(given.as_bytes().to_vec());
            match given.strip_suffix('\n') {
                Some(trimmed) => secrets.push(trimmed.trim_end_matches('\r').as_bytes().to_vec()),
                None => secrets.push(format!("{given}\n").into_bytes()),
            }
        }
        secrets.push(pem_encode("PUBLIC KEY", &self.spki).into_bytes());
        if self.kind == KeyKind::Rsa {
            secrets.push(pem_encode("RSA PUBLIC KEY", &self.inner).into_bytes());
        }
        dedup(secrets)
    }

    /// The DER a service may have loaded: SubjectPublicKeyInfo and the key inside it.
    pub(super) fn der_secrets(&self) -> Vec<Vec<u8>> {
        dedup(vec![self.spki.clone(), self.inner.clone()])
    }
}

fn dedup(items: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let mut unique: Vec<Vec<u8>> = Vec::with_capacity(items.len());
    for item in items {
        if !unique.contains(&item) {
            unique.push(item);
        }
    }
    unique
}

/// The label and bytes of the first PEM block of `text`.
fn pem_decode(text: &str) -> Result<(String, Vec<u8>), String> {
    let mut lines = text.lines().map(str::trim);
    let label = lines
        .by_ref()
        .find_map(|line| line.strip_prefix("-----BEGIN ").and_then(|rest| rest.strip_suffix("-----")))
        .ok_or("no -----BEGIN …----- line: not PEM")?
        .to_owned();
    let end = format!("-----END {label}-----");
    let mut body = String::new();
    let mut ended = false;
    for line in lines {
        if line == end {
            ended = true;
            break;
        }
        body.push_str(line);
    }
    if !ended {
        return Err(format!("the PEM block has no {end} line"));
    }
    let der = STANDARD.decode(body).map_err(|error| format!("the PEM body is not base64: {error}"))?;
    Ok((label, der))
}

/// `der` as a PEM block: 64 characters a line, a final newline.
fn pem_encode(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut text = format!("-----BEGIN {label}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        text.push_str(&String::from_utf8_lossy(chunk));
        text.push('\n');
    }
    text.push_str(&format!("-----END {label}-----\n"));
    text
}

/// One DER element of `input`: its tag, its contents and what follows it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let length = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (bytes, tail) = rest.split_at(count);
        rest = tail;
        bytes.iter().fold(0usize, |length, &byte| (length << 8) | usize::from(byte))
    };
    if rest.len() < length {
        return None;
    }
    let (contents, rest) = rest.split_at(length);
    Some((tag, contents, rest))
}

/// A DER element of `tag` around `contents`.
fn der(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let length = contents.len();
    match u8::try_from(length) {
        Ok(short) if short < 0x80 => out.push(short),
        _ => {
            let bytes = length.to_be_bytes();
            let significant = &bytes[bytes.iter().take_while(|&&byte| byte == 0).count()..];
            out.push(0x80 | u8::try_from(significant.len()).unwrap_or(8));
            out.extend_from_slice(significant);
        }
    }
    out.extend_from_slice(contents);
    out
}

/// An unsigned big-endian integer as a DER `INTEGER`.
fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let bytes = &bytes[bytes.iter().take_while(|&&byte| byte == 0).count()..];
    match bytes.first() {
        None => der(INTEGER, &[0]),
        Some(&first) if first >= 0x80 => der(INTEGER, &[&[0][..], bytes].concat()),
        Some(_) => der(INTEGER, bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `openssl ecparam -name prime256v1 -genkey | openssl ec -pubout` (a test key, nothing else).
    const EC_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEKqpvI3QSY3ZOAZ/YyeT1/6vrgHc1
4om8kfzQDE8zFw65D9FfAg6Zng05SmhbiRkQxh5ZB6buHoPl12z1G4xMxg==
-----END PUBLIC KEY-----
";

    #[test]
    fn der_round_trips() {
        assert_eq!(der(SEQUENCE, &[]), [0x30, 0x00]);
        assert_eq!(der(OID, &[1; 200])[..3], [0x06, 0x81, 200]);
        assert_eq!(der(OID, &[1; 300])[..4], [0x06, 0x82, 0x01, 0x2c]);
        assert_eq!(der_uint(&[0x00, 0x01, 0x00, 0x01]), [0x02, 0x03, 0x01, 0x00, 0x01]);
        assert_eq!(der_uint(&[0x80]), [0x02, 0x02, 0x00, 0x80]);
        let long = der(SEQUENCE, &[7; 300]);
        assert_eq!(element(&long), Some((SEQUENCE, &[7u8; 300][..], &[][..])));
        assert_eq!(element(&[0x30, 0x05, 0x00]), None, "a length past the end");
    }

    #[test]
    fn pem_spki_and_jwk_give_the_same_key() {
        let key = PublicKey::from_pem(EC_PUBLIC_PEM).unwrap();
        assert_eq!(key.kind, KeyKind::Ec);
        assert_eq!(key.inner.len(), 65);
        assert_eq!(pem_encode("PUBLIC KEY", &key.spki), EC_PUBLIC_PEM, "openssl's PEM is the canonical one");
        let secrets = key.pem_secrets();
        assert_eq!(secrets.len(), 2, "as given (= canonical) and without the final newline");
        assert_eq!(PublicKey::from_der(&key.spki).unwrap().spki, key.spki);
        let jwk: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "EC",
            "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(&key.inner[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&key.inner[33..]),
        }))
        .unwrap();
        assert_eq!(PublicKey::from_jwk(&jwk).unwrap().spki, key.spki);
    }

    #[test]
    fn rsa_pkcs1_is_wrapped_as_openssl_does() {
        let n = [&[0xc1][..], &[0x42; 255]].concat();
        let pkcs1 = der(SEQUENCE, &[der_uint(&n), der_uint(&[1, 0, 1])].concat());
        let key = PublicKey::from_der(&pkcs1).unwrap();
        assert_eq!(key.kind, KeyKind::Rsa);
        // The fixed 24-byte prefix of every 2048-bit RSA SubjectPublicKeyInfo.
        assert_eq!(
            key.spki[..24],
            [
                0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
                0x05, 0x00, 0x03, 0x82, 0x01, 0x0f, 0x00
            ]
        );
        assert_eq!(PublicKey::from_spki(&key.spki).unwrap().inner, pkcs1);
        assert_eq!(key.der_secrets().len(), 2);
        assert_eq!(key.pem_secrets().len(), 2, "no PEM given: the two canonical blocks");
    }

    #[test]
    fn other_inputs_are_named() {
        let private = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert!(PublicKey::from_pem(private).unwrap_err().contains("give the public key"));
        assert!(PublicKey::from_pem("hello").unwrap_err().contains("not PEM"));
        assert!(PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n").unwrap_err().contains("no -----END"));
        assert!(PublicKey::from_der(&[1, 2, 3]).is_err());
        let oct: Jwk = serde_json::from_value(serde_json::json!({"kty": "oct", "k": "AAAA"})).unwrap();
        assert!(PublicKey::from_jwk(&oct).unwrap_err().contains("hs256"));
    }
}
