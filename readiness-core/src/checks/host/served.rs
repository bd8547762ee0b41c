//! The served-endpoint TLS check (`tls:served`): a TLS client connects to the service's public
//! endpoint, as a user's browser would, and the chain it is shown must verify for the hostname
//! and not be about to expire. The file check (`tls:certificate`) proves the file; this proves
//! what is actually served (an ingress serving another certificate, a missing intermediate, a
//! name that does not match).

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

use super::certificate::{judge_certificates, unix_now};
use crate::blocking::blocking_fn;
use crate::check::check_fn;
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

/// How long the connection and the handshake may take (the check's own timeout still bounds it).
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// The served-endpoint TLS check (`tls:served`): connects to `endpoint` (`host`, `host:port` or
/// `https://host[:port]/…`; port 443 by default), completes a TLS handshake that verifies the
/// chain against Mozilla's roots (webpki-roots) and the certificate against the hostname, then
/// judges the served chain like `tls:certificate` (valid now, more than `min_days` left).
///
/// Fails when the endpoint cannot be reached, the handshake fails (an unknown issuer, a name
/// mismatch, an expired or not yet valid certificate, a missing intermediate), or a served
/// certificate expires within `min_days`. For an endpoint under a private CA, use
/// [`tls_served_with_ca`].
pub fn tls_served(endpoint: impl Into<String>, min_days: u32) -> CheckRegistration {
    let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    served_check(endpoint.into(), roots, min_days, "Mozilla's roots")
}

/// [`tls_served`] trusting only the CA certificates in `ca_pem` (a private or internal CA).
/// A PEM without a usable certificate makes the check fail, saying so.
pub fn tls_served_with_ca(endpoint: impl Into<String>, ca_pem: &[u8], min_days: u32) -> CheckRegistration {
    let mut roots = RootCertStore::empty();
    let mut problem = None;
    for block in x509_parser::pem::Pem::iter_from_buffer(ca_pem) {
        match block {
            Ok(block) if block.label == "CERTIFICATE" => {
                if let Err(error) = roots.add(CertificateDer::from(block.contents)) {
                    problem = Some(format!("a CA certificate cannot be used: {error}"));
                }
            }
            Ok(_) => {}
            Err(error) => problem = Some(format!("the CA file is not valid PEM: {error}")),
        }
    }
    if roots.is_empty() {
        problem.get_or_insert_with(|| "the CA file holds no certificate".to_owned());
    }
    match problem {
        Some(problem) => CheckRegistration::new(
            served_spec(min_days),
            check_fn(move |_| {
                let problem = problem.clone();
                async move { Outcome::fail(problem) }
            }),
        ),
        None => served_check(endpoint.into(), roots, min_days, "the configured CA"),
    }
}

fn served_spec(min_days: u32) -> CheckSpec {
    CheckSpec::new("tls:served")
        .control("security.data.tls-in-transit")
        .component_type("system")
        .ttl(Duration::from_secs(60))
        .description(format!(
            "the endpoint serves a chain that verifies for its name, not within {min_days} days of expiry"
        ))
}

fn served_check(endpoint: String, roots: RootCertStore, min_days: u32, trusted: &'static str) -> CheckRegistration {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|builder| Arc::new(builder.with_root_certificates(roots).with_no_client_auth()));
    let endpoint = Arc::new(endpoint);
    CheckRegistration::new(
        served_spec(min_days),
        blocking_fn(move |_| match &config {
            Ok(config) => judge_endpoint(&endpoint, Arc::clone(config), min_days, trusted),
            Err(error) => Outcome::fail(format!("no TLS client can be made: {error}")),
        }),
    )
}

/// `host` and `port` of an endpoint written as `host`, `host:port`, `[v6]:port` or a URL.
fn host_and_port(endpoint: &str) -> Result<(String, u16), String> {
    let rest = endpoint.strip_prefix("https://").unwrap_or(endpoint);
    if rest.contains("://") {
        return Err(format!("`{endpoint}` is not an https:// endpoint"));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or_else(|| format!("`{endpoint}` has an unclosed `[`"))?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(format!("`{endpoint}` names no host"));
    }
    let port = match port {
        Some(port) => port.parse().map_err(|_| format!("`{endpoint}` has an invalid port"))?,
        None => 443,
    };
    Ok((host.to_owned(), port))
}

/// The endpoint as it may be shown: without user info (`user:password@`).
fn shown(endpoint: &str) -> String {
    let (scheme, rest) = endpoint.split_once("://").map_or(("", endpoint), |(scheme, rest)| (scheme, rest));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let rest = match rest[..end].rsplit_once('@') {
        Some((_, host)) => format!("{host}{}", &rest[end..]),
        None => rest.to_owned(),
    };
    if scheme.is_empty() { rest } else { format!("{scheme}://{rest}") }
}

fn judge_endpoint(endpoint: &str, config: Arc<ClientConfig>, min_days: u32, trusted: &str) -> Outcome {
    let endpoint = &shown(endpoint);
    let (host, port) = match host_and_port(endpoint) {
        Ok(parts) => parts,
        Err(problem) => return Outcome::fail(problem),
    };
    let fail = |problem: String| Outcome::fail(problem).evidence("endpoint", endpoint).evidence("trusted", trusted);
    let name = match ServerName::try_from(host.clone()) {
        Ok(name) => name,
        Err(error) => return fail(format!("`{host}` is not a valid server name: {error}")),
    };
    let address = match (host.as_str(), port).to_socket_addrs().map(|mut addresses| addresses.next()) {
        Ok(Some(address)) => address,
        Ok(None) | Err(_) => return fail(format!("`{host}` does not resolve")),
    };
    let socket = match TcpStream::connect_timeout(&address, IO_TIMEOUT) {
        Ok(socket) => socket,
        Err(error) => return fail(format!("cannot connect to {address}: {error}")),
    };
    let _ = socket.set_read_timeout(Some(IO_TIMEOUT));
    let _ = socket.set_write_timeout(Some(IO_TIMEOUT));
    let connection = match ClientConnection::new(config, name) {
        Ok(connection) => connection,
        Err(error) => return fail(format!("cannot start a TLS session: {error}")),
    };
    let mut stream = StreamOwned::new(connection, socket);
    // The handshake (the chain and the name verified on the way), and nothing more: a server
    // that sends nothing after it (TLS 1.2, no session tickets) must not make us wait.
    while stream.conn.is_handshaking() {
        if let Err(error) = stream.conn.complete_io(&mut stream.sock) {
            return fail(format!("the TLS handshake with {host}:{port} failed: {error}"));
        }
    }
    let Some(chain) = stream.conn.peer_certificates().filter(|chain| !chain.is_empty()) else {
        return fail(format!("{host}:{port} presented no certificate"));
    };
    // The served chain, judged as the file check judges a PEM (validity, days left, evidence).
    let engine = base64::engine::general_purpose::STANDARD;
    let pem: String = chain
        .iter()
        .map(|der| format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", engine.encode(der)))
        .collect();
    let protocol =
        stream.conn.protocol_version().map_or_else(|| "unknown".to_owned(), |version| format!("{version:?}"));
    judge_certificates(pem.as_bytes(), min_days, unix_now())
        .evidence("endpoint", endpoint)
        .evidence("verified_for", &host)
        .evidence("trusted", trusted)
        .evidence("protocol", protocol)
}

#[cfg(test)]
mod tests {
    use super::host_and_port;

    #[test]
    fn reads_hosts_ports_and_urls() {
        assert_eq!(host_and_port("orders.example.com").unwrap(), ("orders.example.com".into(), 443));
        assert_eq!(
            host_and_port("https://orders.example.com:8443/health").unwrap(),
            ("orders.example.com".into(), 8443)
        );
        assert_eq!(host_and_port("[::1]:9443").unwrap(), ("::1".into(), 9443));
        assert!(host_and_port("http://orders.example.com").is_err());
        assert!(host_and_port("https://:443").is_err());
        assert!(host_and_port("orders.example.com:https").is_err());
    }

    #[test]
    fn user_info_is_never_shown() {
        assert_eq!(super::shown("https://admin:hunter2@orders.example.com/x"), "https://orders.example.com/x");
        assert_eq!(super::shown("admin:hunter2@orders.example.com:443"), "orders.example.com:443");
        assert_eq!(super::shown("https://orders.example.com/a@b"), "https://orders.example.com/a@b");
    }
}
