//! The TLS certificate check (`tls:certificate`): the served certificate and its chain are valid
//! and not about to expire.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::pem::Pem;
use x509_parser::time::ASN1Time;

use crate::blocking::blocking_fn;
use crate::check::check_fn;
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

const DAY: i64 = 86_400;

/// Seconds since the Unix epoch, now.
pub(super) fn unix_now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

fn tls_spec(min_days: u32) -> CheckSpec {
    CheckSpec::new("tls:certificate")
        .control("security.data.tls-in-transit")
        .component_type("system")
        .ttl(Duration::from_secs(60))
        .description(format!("the served TLS certificate is valid and not within {min_days} days of expiry"))
}

/// The TLS certificate check (`tls:certificate`) of a PEM file, read again on each run (so a
/// rotated certificate is seen): the first certificate in the file is the leaf the service
/// serves; any further ones (the chain) must be valid too.
///
/// Fails when the file cannot be read, holds no certificate or a malformed one, or when a
/// certificate is not yet valid, expired, or expires in fewer than `min_days` days. The
/// observed value is the leaf's whole days to expiry (rounded toward zero; negative once expired); the evidence
/// holds its subject, issuer, serial, DNS names and validity, and the chain length.
pub fn tls_certificate(path: impl Into<PathBuf>, min_days: u32) -> CheckRegistration {
    let path: Arc<PathBuf> = Arc::new(path.into());
    let spec = tls_spec(min_days);
    CheckRegistration::new(
        spec,
        blocking_fn(move |_| match std::fs::read(&*path) {
            Ok(pem) => judge_certificates(&pem, min_days, unix_now()).evidence("path", path.display()),
            Err(error) => Outcome::fail(format!("cannot read the certificate file {}: {error}", path.display()))
                .evidence("path", path.display()),
        }),
    )
}

/// The TLS certificate check (`tls:certificate`) of PEM data held in memory (a certificate
/// loaded once at startup, or embedded): the same judgement as [`tls_certificate`], against the
/// clock of each run.
pub fn tls_certificate_pem(pem: impl Into<Vec<u8>>, min_days: u32) -> CheckRegistration {
    let pem: Arc<[u8]> = pem.into().into();
    CheckRegistration::new(
        tls_spec(min_days),
        check_fn(move |_| {
            let pem = Arc::clone(&pem);
            async move { judge_certificates(&pem, min_days, unix_now()) }
        }),
    )
}

/// What is wrong with one certificate at `now`, if anything: `None` when it is valid for at
/// least `min_days` more days.
fn certificate_problem(certificate: &X509Certificate<'_>, min_days: u32, now: i64) -> Option<String> {
    let validity = certificate.validity();
    let not_before = validity.not_before.timestamp();
    let not_after = validity.not_after.timestamp();
    let days_left = (not_after - now) / DAY;
    if now < not_before {
        Some(format!("is not valid before {}", rfc3339(validity.not_before)))
    } else if now > not_after {
        Some(format!("expired on {} ({} days ago)", rfc3339(validity.not_after), -days_left))
    } else if not_after - now < i64::from(min_days) * DAY {
        Some(format!(
            "expires on {}, in {days_left} days: under the {min_days}-day minimum; renew it",
            rfc3339(validity.not_after)
        ))
    } else {
        None
    }
}

fn rfc3339(time: ASN1Time) -> String {
    time.to_datetime().format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| time.to_string())
}

fn subject_of(certificate: &X509Certificate<'_>) -> String {
    let subject = certificate.subject().to_string();
    if subject.is_empty() { "(empty subject)".to_owned() } else { subject }
}

/// Judges PEM data at `now`: the leaf (first certificate) gives the observed value and evidence;
/// a problem with any certificate fails.
pub(super) fn judge_certificates(pem: &[u8], min_days: u32, now: i64) -> Outcome {
    let mut blocks = Vec::new();
    for block in Pem::iter_from_buffer(pem) {
        match block {
            Ok(block) => blocks.push(block),
            Err(error) => return Outcome::fail(format!("not a valid PEM file: {error}")),
        }
    }
    let labels: Vec<&str> = blocks.iter().map(|block| block.label.as_str()).collect();
    let mut certificates = Vec::new();
    for (index, block) in blocks.iter().filter(|block| block.label == "CERTIFICATE").enumerate() {
        match block.parse_x509() {
            Ok(certificate) => certificates.push(certificate),
            Err(error) => {
                return Outcome::fail(format!(
                    "certificate #{} in the PEM data is not a valid X.509 certificate: {error}",
                    index + 1
                ));
            }
        }
    }
    let Some(leaf) = certificates.first() else {
        return if labels.is_empty() {
            Outcome::fail("no certificate: the data holds no PEM block (expected -----BEGIN CERTIFICATE-----)")
        } else {
            Outcome::fail(format!("no certificate among the PEM blocks ({})", labels.join(", ")))
        };
    };

    let subject = subject_of(leaf);
    let validity = leaf.validity();
    let days_left = (validity.not_after.timestamp() - now) / DAY;
    let mut problems = Vec::new();
    if let Some(problem) = certificate_problem(leaf, min_days, now) {
        problems.push(format!("the certificate of {subject} {problem}"));
    }
    for (index, certificate) in certificates.iter().enumerate().skip(1) {
        if let Some(problem) = certificate_problem(certificate, min_days, now) {
            problems.push(format!("chain certificate #{} ({}) {problem}", index + 1, subject_of(certificate)));
        }
    }
    let outcome = if problems.is_empty() {
        Outcome::pass().with_output(format!(
            "the certificate of {subject} is valid until {} ({days_left} days left, minimum {min_days})",
            rfc3339(validity.not_after)
        ))
    } else {
        Outcome::fail(problems.join("; "))
    };
    let dns_names: Vec<String> = match leaf.subject_alternative_name() {
        Ok(Some(names)) => names
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                GeneralName::IPAddress(bytes) => ip_from_bytes(bytes),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut outcome = outcome
        .observed(days_left, "days")
        .evidence("subject", &subject)
        .evidence("issuer", leaf.issuer())
        .evidence("serial", leaf.raw_serial_as_string())
        .evidence("not_before", rfc3339(validity.not_before))
        .evidence("not_after", rfc3339(validity.not_after))
        .evidence("chain_length", certificates.len())
        .evidence("min_days", min_days);
    if !dns_names.is_empty() {
        outcome = outcome.evidence("names", dns_names.join(", "));
    }
    outcome
}

fn ip_from_bytes(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(|octets| std::net::Ipv4Addr::from(octets).to_string()),
        16 => <[u8; 16]>::try_from(bytes).ok().map(|octets| std::net::Ipv6Addr::from(octets).to_string()),
        _ => None,
    }
}
