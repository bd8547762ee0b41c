//! What the probe tests share: run a probe the way a service would, and read its result.

// Each test binary compiles this module and uses only what it needs.
#![allow(dead_code)]

use readiness_core::{CheckRegistration, CheckResult, Status};

/// Runs one probe through a real `Readiness` (the service's default timeouts) and returns its
/// result.
pub(crate) async fn run(registration: CheckRegistration) -> CheckResult {
    readiness_core::testing::run_check(registration).await
}

/// The probe's output, empty when it gave none.
pub(crate) fn output(result: &CheckResult) -> &str {
    result.outcome.output.as_deref().unwrap_or_default()
}

/// The probe's evidence, as one string to search.
pub(crate) fn evidence(result: &CheckResult) -> String {
    format!("{:?}", result.outcome.evidence)
}

/// Asserts the status, printing the output and evidence when it is not the one expected.
pub(crate) fn assert_status(result: &CheckResult, status: Status) {
    assert_eq!(
        result.status, status,
        "{}: {:?}\nevidence: {:#?}",
        result.name, result.outcome.output, result.outcome.evidence
    );
}

/// Serves `router` over real HTTP on a loopback port of its own; its `127.0.0.1:PORT`.
pub(crate) async fn serve(router: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    address
}

/// An answer read off the wire.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    /// Each header as sent, names in lower case, in order.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Answer {
    /// The first value of the header `name` (lower case), empty when absent.
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers.iter().find(|(key, _)| key == name).map_or("", |(_, value)| value.as_str())
    }
}

/// Sends one HTTP/1.1 request with exactly these header lines (no client adds its own, so a
/// missing `Accept` is really missing) and reads the answer to the end.
pub(crate) async fn exchange(
    address: std::net::SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> Answer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut request = format!("{method} {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8(raw).expect("a UTF-8 answer");
    let (head, body) = raw.split_once("\r\n\r\n").expect("a complete answer");
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    let chunked = headers.iter().any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
    let body = if chunked { dechunk(body) } else { body.to_owned() };
    Answer { status, headers, body }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}
