//! `tls:served` against real TLS servers on loopback, each with its own CA made here: what a
//! client is actually served must verify for the name and not be about to expire.
#![cfg(feature = "host")]

use std::net::TcpListener;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use readiness_core::checks::host;
use readiness_core::{CheckRegistration, Status, testing};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use time::OffsetDateTime;

/// A certificate for `name` valid from `now + from` to `now + to` days, self-signed or signed
/// by `issuer`, a CA when `ca`.
fn certificate(
    name: &str,
    from: i64,
    to: i64,
    ca: bool,
    issuer: Option<(&rcgen::Certificate, &KeyPair)>,
) -> (rcgen::Certificate, KeyPair) {
    let mut params = CertificateParams::new(vec![name.to_owned()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    let now = OffsetDateTime::now_utc();
    params.not_before = now + time::Duration::days(from);
    params.not_after = now + time::Duration::days(to) + time::Duration::hours(12);
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

/// Serves `chain` with `key` over TLS on a free loopback port, for a few connections; returns
/// the port.
fn serve(chain: &[&rcgen::Certificate], key: &KeyPair) -> u16 {
    serve_with(chain, key, false)
}

/// [`serve`], with only TLS 1.2 when `tls12_only` (a server that sends nothing after the
/// handshake: no session tickets).
fn serve_with(chain: &[&rcgen::Certificate], key: &KeyPair, tls12_only: bool) -> u16 {
    let chain: Vec<CertificateDer<'static>> = chain.iter().map(|certificate| certificate.der().clone()).collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider);
    let builder = if tls12_only {
        builder.with_protocol_versions(&[&rustls::version::TLS12])
    } else {
        builder.with_safe_default_protocol_versions()
    };
    let config = builder.unwrap().with_no_client_auth().with_single_cert(chain, key).unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        // Bounded: each test connects once or twice.
        for socket in listener.incoming().take(4) {
            let Ok(socket) = socket else { continue };
            let Ok(connection) = ServerConnection::new(Arc::clone(&config)) else { continue };
            let mut stream = StreamOwned::new(connection, socket);
            let _ = stream.conn.complete_io(&mut stream.sock);
        }
    });
    port
}

async fn run(check: CheckRegistration) -> (Status, String, serde_json::Value) {
    let result = testing::run_check_in(
        testing::builder()
            .default_timeout(std::time::Duration::from_secs(4))
            .deadline(std::time::Duration::from_secs(5)),
        check,
    )
    .await;
    let evidence = serde_json::to_value(&result.outcome.evidence).unwrap();
    (result.outcome.status, result.outcome.output.unwrap_or_default(), evidence)
}

#[tokio::test]
async fn a_chain_that_verifies_for_the_name_passes() {
    let (ca, ca_key) = certificate("Served Test CA", -30, 3650, true, None);
    let (leaf, leaf_key) = certificate("localhost", -1, 90, false, Some((&ca, &ca_key)));
    let port = serve(&[&leaf], &leaf_key);
    let (status, output, evidence) =
        run(host::tls_served_with_ca(format!("https://localhost:{port}/health"), ca.pem().as_bytes(), 30)).await;
    assert_eq!(status, Status::Pass, "{output}");
    assert!(output.contains("(90 days left, minimum 30)"), "{output}");
    assert_eq!(evidence["verified_for"], "localhost");
    assert_eq!(evidence["subject"], "CN=localhost");
}

#[tokio::test]
async fn a_certificate_for_another_name_fails() {
    let (ca, ca_key) = certificate("Served Test CA", -30, 3650, true, None);
    let (leaf, leaf_key) = certificate("orders.example", -1, 90, false, Some((&ca, &ca_key)));
    let port = serve(&[&leaf], &leaf_key);
    let (status, output, _) = run(host::tls_served_with_ca(format!("localhost:{port}"), ca.pem().as_bytes(), 30)).await;
    assert_eq!(status, Status::Fail, "{output}");
    assert!(output.contains("handshake") && output.contains("not valid for name \"localhost\""), "{output}");
}

#[tokio::test]
async fn an_unknown_issuer_and_a_missing_intermediate_fail() {
    let (ca, ca_key) = certificate("Served Test CA", -30, 3650, true, None);
    let (intermediate, intermediate_key) = certificate("Served Intermediate", -30, 1000, true, Some((&ca, &ca_key)));
    let (leaf, leaf_key) = certificate("localhost", -1, 90, false, Some((&intermediate, &intermediate_key)));

    // Mozilla's roots do not know this CA.
    let port = serve(&[&leaf, &intermediate], &leaf_key);
    let (status, output, _) = run(host::tls_served(format!("localhost:{port}"), 30)).await;
    assert_eq!(status, Status::Fail, "{output}");
    assert!(output.contains("UnknownIssuer"), "{output}");

    // The server forgets the intermediate: a client cannot build the chain.
    let port = serve(&[&leaf], &leaf_key);
    let (status, output, _) = run(host::tls_served_with_ca(format!("localhost:{port}"), ca.pem().as_bytes(), 30)).await;
    assert_eq!(status, Status::Fail, "{output}");
    assert!(output.contains("UnknownIssuer"), "{output}");

    // With it, the same chain passes.
    let port = serve(&[&leaf, &intermediate], &leaf_key);
    let (status, output, evidence) =
        run(host::tls_served_with_ca(format!("localhost:{port}"), ca.pem().as_bytes(), 30)).await;
    assert_eq!(status, Status::Pass, "{output}");
    assert_eq!(evidence["chain_length"], "2");
}

#[tokio::test]
async fn an_expired_or_expiring_certificate_fails() {
    let (ca, ca_key) = certificate("Served Test CA", -30, 3650, true, None);
    let (expired, expired_key) = certificate("localhost", -60, -2, false, Some((&ca, &ca_key)));
    let port = serve(&[&expired], &expired_key);
    let (status, output, _) = run(host::tls_served_with_ca(format!("localhost:{port}"), ca.pem().as_bytes(), 30)).await;
    assert_eq!(status, Status::Fail, "{output}");
    assert!(output.contains("handshake") && output.contains("certificate expired"), "{output}");

    // Valid today, but inside the renewal window.
    let (soon, soon_key) = certificate("localhost", -60, 10, false, Some((&ca, &ca_key)));
    let port = serve(&[&soon], &soon_key);
    let (status, output, _) = run(host::tls_served_with_ca(format!("localhost:{port}"), ca.pem().as_bytes(), 30)).await;
    assert_eq!(status, Status::Fail, "{output}");
    assert!(output.contains("in 10 days: under the 30-day minimum"), "{output}");
}

#[tokio::test]
async fn an_unreachable_endpoint_or_an_unusable_ca_fails() {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (ca, _) = certificate("Served Test CA", -30, 3650, true, None);
    let (status, output, _) =
        run(host::tls_served_with_ca(format!("localhost:{closed}"), ca.pem().as_bytes(), 30)).await;
    assert_eq!(status, Status::Fail, "{output}");
    assert!(output.contains("cannot connect"), "{output}");

    let (status, output, _) = run(host::tls_served_with_ca("localhost:443", b"not a certificate", 30)).await;
    assert_eq!(status, Status::Fail, "{output}");
    assert!(output.contains("holds no certificate"), "{output}");

    let (status, output, _) = run(host::tls_served("http://localhost", 30)).await;
    assert_eq!(status, Status::Fail, "{output}");
    assert!(output.contains("not an https:// endpoint"), "{output}");
}

#[tokio::test]
async fn a_tls12_server_that_sends_nothing_after_the_handshake_is_judged_at_once() {
    let (ca, ca_key) = certificate("Served Test CA", -30, 3650, true, None);
    let (leaf, leaf_key) = certificate("localhost", -1, 90, false, Some((&ca, &ca_key)));
    let port = serve_with(&[&leaf], &leaf_key, true);
    let started = std::time::Instant::now();
    let (status, output, evidence) =
        run(host::tls_served_with_ca(format!("localhost:{port}"), ca.pem().as_bytes(), 30)).await;
    assert_eq!(status, Status::Pass, "{output}");
    assert_eq!(evidence["protocol"], "TLSv1_2");
    // Waiting for data after the handshake would take the 5 s read timeout, past the check's own.
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "{:?}", started.elapsed());
}
