//! Host checks against the real thing: certificates made here with rcgen and written to disk,
//! this test process's own listening sockets, its memory, the filesystem of the target dir and
//! the host's load. Every check passes on a correct setup and fails on a seeded
//! misconfiguration.
#![cfg(feature = "host")]

mod support;

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use readiness_core::checks::host;
use readiness_core::{CheckRegistration, Status};
use time::OffsetDateTime;

async fn run(registration: CheckRegistration) -> (Status, String, serde_json::Value, serde_json::Value) {
    let ran = support::run_one(registration).await;
    (ran.status, ran.output, ran.observed, ran.evidence)
}

// ---------------------------------------------------------------------------------------------
// tls:certificate
// ---------------------------------------------------------------------------------------------

/// A fresh path under cargo's per-test-target temporary directory.
fn temp_path(name: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("host-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{}-{name}", NEXT.fetch_add(1, Ordering::Relaxed)))
}

fn write(name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = temp_path(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// A certificate for `name`, valid from `now + from_days` to `now + to_days` (half days keep
/// the whole days left clear of the second the test runs in): self-signed, or signed by
/// `issuer`; a CA when `ca`. Returns the certificate and its key.
fn certificate(
    name: &str,
    from_days: f64,
    to_days: f64,
    ca: bool,
    issuer: Option<(&rcgen::Certificate, &KeyPair)>,
) -> (rcgen::Certificate, KeyPair) {
    let mut params = CertificateParams::new(vec![name.to_owned()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    let now = OffsetDateTime::now_utc();
    params.not_before = now + time::Duration::seconds_f64(from_days * 86_400.0);
    params.not_after = now + time::Duration::seconds_f64(to_days * 86_400.0);
    if ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    }
    let key = KeyPair::generate().unwrap();
    let certificate = match issuer {
        Some((issuer, issuer_key)) => params.signed_by(&key, issuer, issuer_key).unwrap(),
        None => params.self_signed(&key).unwrap(),
    };
    (certificate, key)
}

#[tokio::test]
async fn tls_certificate_passes_on_a_valid_chain_and_reports_what_it_read() {
    let (ca, ca_key) = certificate("Test Root CA", -30.0, 3650.0, true, None);
    let (leaf, leaf_key) = certificate("orders.example", -1.0, 90.5, false, Some((&ca, &ca_key)));
    // A key block before the chain, as in a combined key + certificate file.
    let pem = format!("{}{}{}", leaf_key.serialize_pem(), leaf.pem(), ca.pem());
    let path = write("chain.pem", &pem);

    let (status, output, observed, evidence) = run(host::tls_certificate(&path, 30)).await;
    assert_eq!(status, Status::Pass, "{output}");
    assert!(output.starts_with("the certificate of CN=orders.example is valid until "), "{output}");
    assert!(output.ends_with("(90 days left, minimum 30)"), "{output}");
    assert_eq!(observed, 90);
    assert_eq!(evidence["subject"], "CN=orders.example");
    assert_eq!(evidence["issuer"], "CN=Test Root CA");
    assert_eq!(evidence["chain_length"], "2");
    assert_eq!(evidence["names"], "orders.example");
    assert_eq!(evidence["path"], path.display().to_string());
    let not_after =
        OffsetDateTime::parse(evidence["not_after"].as_str().unwrap(), &time::format_description::well_known::Rfc3339)
            .unwrap();
    assert!(
        (not_after - OffsetDateTime::now_utc() - time::Duration::hours(90 * 24 + 12)).abs()
            < time::Duration::minutes(5)
    );

    // The same PEM held in memory.
    let (status, output, observed, _) = run(host::tls_certificate_pem(pem, 30)).await;
    assert_eq!(status, Status::Pass, "{output}");
    assert_eq!(observed, 90);
}

#[tokio::test]
async fn tls_certificate_fails_expired_expiring_not_yet_valid_garbage_and_missing() {
    let (expired, _) = certificate("expired.example", -100.0, -10.5, false, None);
    let (status, output, observed, _) = run(host::tls_certificate(write("expired.pem", expired.pem()), 30)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.starts_with("the certificate of CN=expired.example expired on "), "{output}");
    assert!(output.ends_with("(10 days ago)"), "{output}");
    assert_eq!(observed, -10);

    let (expiring, _) = certificate("soon.example", -60.0, 3.5, false, None);
    let (status, output, observed, _) = run(host::tls_certificate(write("soon.pem", expiring.pem()), 30)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.contains("in 3 days: under the 30-day minimum; renew it"), "{output}");
    assert_eq!(observed, 3);
    // The same certificate passes a 1-day minimum: the failure was the 30-day one.
    let (status, output, _, _) = run(host::tls_certificate_pem(expiring.pem(), 1)).await;
    assert_eq!(status, Status::Pass, "{output}");

    let (future, _) = certificate("future.example", 2.0, 365.0, false, None);
    let (status, output, _, _) = run(host::tls_certificate_pem(future.pem(), 30)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.starts_with("the certificate of CN=future.example is not valid before "), "{output}");

    let (status, output, _, _) =
        run(host::tls_certificate(write("garbage.pem", "this is not a certificate\n"), 30)).await;
    assert_eq!(status, Status::Fail);
    assert_eq!(output, "no certificate: the data holds no PEM block (expected -----BEGIN CERTIFICATE-----)");

    let key_only = KeyPair::generate().unwrap().serialize_pem();
    let (status, output, _, _) = run(host::tls_certificate_pem(key_only, 30)).await;
    assert_eq!(status, Status::Fail);
    assert_eq!(output, "no certificate among the PEM blocks (PRIVATE KEY)");

    let corrupt = "-----BEGIN CERTIFICATE-----\nTUlJQm9yZ3Vz\n-----END CERTIFICATE-----\n";
    let (status, output, _, _) = run(host::tls_certificate_pem(corrupt, 30)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.starts_with("certificate #1 in the PEM data is not a valid X.509 certificate"), "{output}");

    let truncated = "-----BEGIN CERTIFICATE-----\nTUlJQm9yZ3Vz\n";
    let (status, output, _, _) = run(host::tls_certificate_pem(truncated, 30)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.starts_with("not a valid PEM file"), "{output}");

    let missing = temp_path("missing.pem");
    let (status, output, _, _) = run(host::tls_certificate(&missing, 30)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.starts_with(&format!("cannot read the certificate file {}: ", missing.display())), "{output}");
}

#[tokio::test]
async fn tls_certificate_fails_on_an_expired_intermediate() {
    let (ca, ca_key) = certificate("Old Intermediate", -400.0, -5.0, true, None);
    let (leaf, _) = certificate("orders.example", -1.0, 90.5, false, Some((&ca, &ca_key)));
    let (status, output, observed, _) = run(host::tls_certificate_pem(format!("{}{}", leaf.pem(), ca.pem()), 30)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.starts_with("chain certificate #2 (CN=Old Intermediate) expired on "), "{output}");
    // The observed value is still the leaf's.
    assert_eq!(observed, 90);
}

// ---------------------------------------------------------------------------------------------
// host:ports
// ---------------------------------------------------------------------------------------------

/// One test for both cases: every listener of the process is seen by every run, so tests that
/// bind sockets must not run side by side.
#[tokio::test]
async fn listening_ports_pass_when_declared_and_fail_naming_an_undeclared_port() {
    if !cfg!(target_os = "linux") {
        let (status, output, _, _) = run(host::listening_ports([])).await;
        assert_eq!(status, Status::Warn);
        assert!(output.starts_with("cannot tell: the listening ports cannot be read on this OS"), "{output}");
        return;
    }
    // Nothing listens yet, nothing is declared.
    let (status, output, observed, _) = run(host::listening_ports([])).await;
    assert_eq!(status, Status::Pass, "{output}");
    assert_eq!(observed, 0);

    let v4 = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = v4.local_addr().unwrap().port();
    let (status, output, observed, evidence) = run(host::listening_ports([port])).await;
    assert_eq!(status, Status::Pass, "{output}");
    assert_eq!(output, format!("listening only on declared port(s): 127.0.0.1:{port}"));
    assert_eq!(observed, 1);
    assert_eq!(evidence["listening"], format!("127.0.0.1:{port}"));

    let declared = if port == 1 { 2 } else { port - 1 };
    let (status, output, _, _) = run(host::listening_ports([declared])).await;
    assert_eq!(status, Status::Fail);
    assert_eq!(output, format!("listening on undeclared port(s) {port} (127.0.0.1:{port}); declared: {declared}"));

    // A port declared but not listening (yet) warns.
    let (status, output, _, _) = run(host::listening_ports([port, declared])).await;
    assert_eq!(status, Status::Warn);
    assert_eq!(output, format!("declared port(s) {declared} not listening; listening on: {port}"));

    // IPv6 sockets come from /proc/net/tcp6.
    if let Ok(v6) = TcpListener::bind("[::1]:0") {
        let port6 = v6.local_addr().unwrap().port();
        let (status, output, _, _) = run(host::listening_ports([port])).await;
        assert_eq!(status, Status::Fail);
        assert!(output.contains(&format!("{port6} ([::1]:{port6})")), "{output}");
        let (status, output, observed, _) = run(host::listening_ports([port, port6])).await;
        assert_eq!(status, Status::Pass, "{output}");
        assert_eq!(observed, 2);
    } else {
        println!("no IPv6 loopback here: the tcp6 case is not exercised");
    }

    // A closed listener is gone at the next run.
    drop(v4);
    let (status, output, _, _) = run(host::listening_ports([])).await;
    assert_eq!(status, Status::Pass, "{output}");
}

// ---------------------------------------------------------------------------------------------
// host:memory
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn memory_passes_under_a_generous_limit() {
    let (status, output, observed, evidence) = run(host::memory(64 * 1024 * 1024 * 1024)).await;
    if !cfg!(target_os = "linux") {
        assert_eq!(status, Status::Warn, "{output}");
        return;
    }
    assert_eq!(status, Status::Pass, "{output}");
    assert!(output.starts_with("resident memory "), "{output}");
    assert!(output.contains(" is within the 64.0 GiB limit; host: "), "{output}");
    let mib = observed.as_f64().unwrap();
    assert!(mib > 0.5 && mib < 4096.0, "{mib}");
    let rss: u64 = evidence["rss_bytes"].as_str().unwrap().parse().unwrap();
    assert!((rss as f64 / 1048576.0 - mib).abs() < 0.1, "{rss} vs {mib}");
    let available: u64 = evidence["mem_available_bytes"].as_str().unwrap().parse().unwrap();
    let total: u64 = evidence["mem_total_bytes"].as_str().unwrap().parse().unwrap();
    assert!(available > 0 && available <= total);
}

#[tokio::test]
async fn memory_fails_over_a_one_byte_limit() {
    let (status, output, _, _) = run(host::memory(1)).await;
    if !cfg!(target_os = "linux") {
        assert_eq!(status, Status::Warn, "{output}");
        return;
    }
    assert_eq!(status, Status::Fail);
    assert!(output.starts_with("resident memory "), "{output}");
    assert!(output.contains(" bytes) is over the limit of 1 B (1 bytes)"), "{output}");
}

// ---------------------------------------------------------------------------------------------
// host:disk
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn disk_free_passes_with_room_to_spare() {
    let dir = env!("CARGO_TARGET_TMPDIR");
    let (status, output, observed, evidence) = run(host::disk_free(dir, 1)).await;
    assert_eq!(status, Status::Pass, "{output}");
    assert!(output.contains(&format!("on the filesystem of {dir}; floor 1 B (1 bytes)")), "{output}");
    assert!(observed.as_f64().unwrap() > 0.0);
    let available: u64 = evidence["available_bytes"].as_str().unwrap().parse().unwrap();
    let total: u64 = evidence["total_bytes"].as_str().unwrap().parse().unwrap();
    assert!(available > 0 && available <= total, "{evidence}");

    let (status, output, observed, _) = run(host::disk_free_percent(dir, 0.0)).await;
    assert_eq!(status, Status::Pass, "{output}");
    let percent = observed.as_f64().unwrap();
    assert!(percent > 0.0 && percent <= 100.0, "{percent}");
}

#[tokio::test]
async fn disk_free_fails_over_the_disk_size_and_on_a_missing_path() {
    let dir = env!("CARGO_TARGET_TMPDIR");
    let (status, output, _, _) = run(host::disk_free(dir, u64::MAX)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.ends_with(": under the floor of 17179869184.0 GiB (18446744073709551615 bytes)"), "{output}");

    let (status, output, _, _) = run(host::disk_free_percent(dir, 100.0)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.ends_with(": under the floor of 100%"), "{output}");

    let (status, output, _, _) = run(host::disk_free_percent(dir, 150.0)).await;
    assert_eq!(status, Status::Fail);
    assert_eq!(output, "the free-space floor 150% is not between 0 and 100");

    let missing = temp_path("no-such-dir").join("deeper");
    let (status, output, _, _) = run(host::disk_free(&missing, 1)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.starts_with(&format!("cannot read the filesystem of {}: ", missing.display())), "{output}");
}

// ---------------------------------------------------------------------------------------------
// host:load
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn load_passes_under_a_generous_limit() {
    let (status, output, observed, evidence) = run(host::load(1_000_000.0)).await;
    if !cfg!(target_os = "linux") {
        assert_eq!(status, Status::Warn, "{output}");
        return;
    }
    assert_eq!(status, Status::Pass, "{output}");
    assert!(output.starts_with("1-minute load "), "{output}");
    assert!(output.ends_with(", below 1000000"), "{output}");
    assert!(observed.as_f64().unwrap() >= 0.0);
    let cores: usize = evidence["cores"].as_str().unwrap().parse().unwrap();
    assert_eq!(cores, std::thread::available_parallelism().unwrap().get());
}

#[tokio::test]
async fn load_fails_under_a_zero_limit() {
    let (status, output, _, _) = run(host::load(0.0)).await;
    if !cfg!(target_os = "linux") {
        assert_eq!(status, Status::Warn, "{output}");
        return;
    }
    assert_eq!(status, Status::Fail);
    assert!(output.ends_with(", not below the limit of 0"), "{output}");
}
