//! `readiness verify`: whether a signed statement is genuine, fresh and about this binary.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use clap::Args as ClapArgs;
use ed25519_dalek::{Signature, Verifier};
use readiness_core::output::{in_toto, jwks};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::document::Checklist;
use crate::source::{self, Connection};
use crate::{CannotEvaluate, Finding, Format};

/// How far in the future a statement's `generated_at` may be: clocks differ a little.
const CLOCK_SKEW: Duration = Duration::from_secs(60);

/// `readiness verify <ENVELOPE_FILE|URL> --key <JWKS_FILE|URL>`.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// The DSSE envelope: a file, or a URL (a service's base URL reads /readiness/attestation
    /// with the detail token, asking for --nonce).
    #[arg(value_name = "ENVELOPE_FILE|URL")]
    envelope: String,
    /// The verifying keys: a JWK Set file, or a URL (a service's base URL reads
    /// /readiness/attestation/keys, without the token). Get it from a source you trust.
    #[arg(long, value_name = "JWKS_FILE|URL")]
    key: String,
    /// The binary the statement must be about: its SHA-256 must be the subject's.
    #[arg(long, value_name = "PATH")]
    binary: Option<PathBuf>,
    /// The nonce the statement must echo (sent with the request when ENVELOPE is a URL).
    #[arg(long, value_name = "N")]
    nonce: Option<String>,
    /// The oldest statement to believe, after its `generated_at` (e.g. `5m`, `1h`).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    max_age: Option<Duration>,
    /// How to write the result (text or json).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the result to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    #[command(flatten)]
    connection: Connection,
}

/// One thing verified.
#[derive(Debug, Serialize)]
struct Step {
    what: &'static str,
    ok: bool,
    text: String,
}

#[derive(Debug, Default, Serialize)]
struct Verification {
    valid: bool,
    steps: Vec<Step>,
    /// Who the statement is about and its verdict, once the signature holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    about: Option<String>,
}

impl Verification {
    fn step(&mut self, what: &'static str, ok: bool, text: impl Into<String>) {
        self.steps.push(Step { what, ok, text: text.into() });
    }

    /// Records a failed step and stops: what follows depends on it.
    fn stop(mut self, what: &'static str, text: impl Into<String>) -> Self {
        self.step(what, false, text);
        self
    }
}

pub(crate) fn run(args: &Args) -> Result<Finding, CannotEvaluate> {
    if matches!(args.format, Format::Junit | Format::Markdown | Format::Oscal) {
        return Err("verify writes text or json".into());
    }
    if let Some(nonce) = &args.nonce {
        let _valid = in_toto::Freshness::new(Duration::ZERO)
            .nonce(nonce.as_str())
            .map_err(|error| format!("--nonce: {error}"))?;
    }
    let envelope = if source::is_url(&args.envelope) {
        args.connection.get_json(&attestation_url(&args.envelope, args.nonce.as_deref()))?
    } else {
        source::read_json(std::path::Path::new(&args.envelope))?
    };
    let keys = if source::is_url(&args.key) {
        args.connection.get_json_anonymous(&keys_url(&args.key))?
    } else {
        source::read_json(std::path::Path::new(&args.key))?
    };
    let binary_digest = match &args.binary {
        Some(path) => Some(digest_file(path)?),
        None => None,
    };
    let verification = verify(&envelope, &keys, args, binary_digest.as_deref())?;
    let summary = format!("{}: {}", args.envelope, if verification.valid { "valid" } else { "INVALID" });
    let output = match args.format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&verification).map_err(|error| error.to_string())?;
            text.push('\n');
            text
        }
        _ => {
            let mut text = format!("{summary}\n");
            for step in &verification.steps {
                let _ = writeln!(text, "  {:4}  {:9}  {}", if step.ok { "ok" } else { "FAIL" }, step.what, step.text);
            }
            if let Some(about) = &verification.about {
                let _ = writeln!(text, "{about}");
            }
            text
        }
    };
    Ok(Finding { output, satisfied: verification.valid, summary })
}

/// The attestation URL of a service, asking for `nonce`.
fn attestation_url(url: &str, nonce: Option<&str>) -> String {
    let mut url = if url.trim_end_matches('/') == source::base_url(url) {
        format!("{}/readiness/attestation", source::base_url(url))
    } else {
        url.to_owned()
    };
    if let Some(nonce) = nonce {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str("nonce=");
        url.push_str(nonce);
    }
    url
}

/// The key set URL of a service.
fn keys_url(url: &str) -> String {
    if url.trim_end_matches('/') == source::base_url(url) {
        format!("{}/readiness/attestation/keys", source::base_url(url))
    } else {
        url.to_owned()
    }
}

fn digest_file(path: &std::path::Path) -> Result<String, CannotEvaluate> {
    let bytes = std::fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    Ok(Sha256::digest(&bytes).iter().map(|byte| format!("{byte:02x}")).collect())
}

fn verify(envelope: &Value, keys: &Value, args: &Args, binary: Option<&str>) -> Result<Verification, CannotEvaluate> {
    let key_list = keys
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{} is not a JWK Set (no `keys` array)", args.key))?;
    let mut result = Verification::default();
    if envelope.get("_type").is_some() && envelope.get("payload").is_none() {
        return Ok(result.stop(
            "signature",
            "a bare statement, not a DSSE envelope: it is unsigned, and nothing proves who made it",
        ));
    }
    let (Some(payload_type), Some(payload), Some(signatures)) = (
        envelope.get("payloadType").and_then(Value::as_str),
        envelope.get("payload").and_then(Value::as_str),
        envelope.get("signatures").and_then(Value::as_array),
    ) else {
        return Ok(result.stop("envelope", "not a DSSE envelope (payloadType, payload, signatures)"));
    };
    if payload_type != in_toto::PAYLOAD_TYPE {
        return Ok(result.stop("envelope", format!("payloadType is `{payload_type}`, not `{}`", in_toto::PAYLOAD_TYPE)));
    }
    let Ok(payload) = STANDARD.decode(payload) else {
        return Ok(result.stop("envelope", "the payload is not base64"));
    };
    let signed = in_toto::pae(payload_type, &payload);
    let mut verified_by = None;
    let mut problems = Vec::new();
    for signature in signatures {
        let keyid = signature.get("keyid").and_then(Value::as_str).unwrap_or_default();
        let Some(jwk) = key_list.iter().find(|jwk| jwk.get("kid").and_then(Value::as_str) == Some(keyid)) else {
            problems.push(format!("no key in the key set has the id `{keyid}`"));
            continue;
        };
        let key = match jwks::verifying_key(jwk) {
            Ok(key) => key,
            Err(error) => {
                problems.push(format!("key `{keyid}`: {error}"));
                continue;
            }
        };
        // The id is the key's own thumbprint: a key set that labels another key with it lies.
        if jwks::key_id(&key) != keyid {
            problems.push(format!("key `{keyid}` in the key set is not the key that id derives from"));
            continue;
        }
        let sig = signature
            .get("sig")
            .and_then(Value::as_str)
            .and_then(|sig| STANDARD.decode(sig).ok())
            .and_then(|bytes| Signature::from_slice(&bytes).ok());
        match sig {
            Some(sig) if key.verify(&signed, &sig).is_ok() => {
                verified_by = Some(keyid.to_owned());
                break;
            }
            Some(_) => problems.push(format!(
                "the signature by `{keyid}` does not verify: the payload was changed or signed by another key"
            )),
            None => problems.push(format!("the signature by `{keyid}` is not a base64 Ed25519 signature")),
        }
    }
    match verified_by {
        Some(keyid) => result.step("signature", true, format!("Ed25519 over the DSSE PAE, by key `{keyid}`")),
        None if problems.is_empty() => return Ok(result.stop("signature", "the envelope has no signature")),
        None => return Ok(result.stop("signature", problems.join("; "))),
    }
    let Ok(statement) = serde_json::from_slice::<Value>(&payload) else {
        return Ok(result.stop("statement", "the signed payload is not JSON"));
    };
    let statement_type = statement.get("_type").and_then(Value::as_str).unwrap_or_default();
    let predicate_type = statement.get("predicateType").and_then(Value::as_str).unwrap_or_default();
    if statement_type != in_toto::STATEMENT_TYPE || predicate_type != in_toto::PREDICATE_TYPE {
        return Ok(result.stop(
            "statement",
            format!("_type `{statement_type}`, predicateType `{predicate_type}`: not a readiness statement"),
        ));
    }
    result.step("statement", true, format!("an in-toto statement of predicate {predicate_type}"));
    let predicate = &statement["predicate"];
    freshness(&mut result, predicate, args);
    match binary {
        None => {}
        Some(digest) => {
            let subject = statement.pointer("/subject/0/digest/sha256").and_then(Value::as_str).unwrap_or_default();
            let path = args.binary.as_ref().map(|path| path.display().to_string()).unwrap_or_default();
            if subject.eq_ignore_ascii_case(digest) {
                result.step("binary", true, format!("{path} is the subject (sha256 {digest})"));
            } else {
                result.step("binary", false, format!("{path} has sha256 {digest}, the statement is about {subject}"));
            }
        }
    }
    if let Ok(checklist) = Checklist::from_json(predicate.clone(), "the predicate") {
        let verdict = checklist.verdict.as_ref().map(readiness_core::Verdict::summary).unwrap_or_default();
        result.about = Some(format!("{}: {verdict}", checklist.who()));
    }
    result.valid = result.steps.iter().all(|step| step.ok);
    Ok(result)
}

/// The nonce, the age and the expiry.
fn freshness(result: &mut Verification, predicate: &Value, args: &Args) {
    let echoed = predicate.get("nonce").and_then(Value::as_str);
    match (&args.nonce, echoed) {
        (Some(asked), Some(echoed)) if asked == echoed => result.step("nonce", true, format!("`{asked}` echoed")),
        (Some(asked), Some(echoed)) => {
            result.step("nonce", false, format!("asked `{asked}`, the statement echoes `{echoed}`: a replay"));
        }
        (Some(asked), None) => {
            result.step("nonce", false, format!("asked `{asked}`, the statement echoes none: a replay"))
        }
        (None, _) => result.step("nonce", true, "none asked: give --nonce to rule out a replayed statement"),
    }
    let now = OffsetDateTime::now_utc();
    let time_of = |field: &str| {
        predicate.get(field).and_then(Value::as_str).and_then(|text| OffsetDateTime::parse(text, &Rfc3339).ok())
    };
    match time_of("generated_at") {
        None => result.step("age", false, "no readable generated_at"),
        Some(generated) if generated > now + CLOCK_SKEW => {
            result.step("age", false, format!("generated_at {generated} is in the future"));
        }
        Some(generated) => {
            let age = (now - generated).max(time::Duration::ZERO);
            let age_text = humantime::format_duration(Duration::from_secs(age.whole_seconds().unsigned_abs()));
            match args.max_age {
                Some(max) if age > max => {
                    result.step(
                        "age",
                        false,
                        format!("generated {age_text} ago, older than --max-age {}", humantime::format_duration(max)),
                    );
                }
                Some(max) => result.step(
                    "age",
                    true,
                    format!("generated {age_text} ago, within {}", humantime::format_duration(max)),
                ),
                None => result.step("age", true, format!("generated {age_text} ago")),
            }
        }
    }
    match time_of("expires_at") {
        None => {
            result.step("expiry", false, "no readable expires_at: the statement says nothing of how long to believe it")
        }
        Some(expires) if expires <= now => result.step("expiry", false, format!("expired at {expires}")),
        Some(expires) => result.step("expiry", true, format!("valid until {expires}")),
    }
}
