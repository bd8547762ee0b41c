//! `RateLimit` against real `tower_governor` limiters keyed on what a client controls: after the
//! `429`, the same client claiming other addresses in `X-Forwarded-For`, `X-Real-IP` or
//! `Forwarded` must still be refused. Limiters keyed on one of those headers fail, naming it; one
//! keyed on the peer address, and one that trusts `X-Forwarded-For` only from its proxies'
//! addresses, pass.

mod support;

use std::net::{IpAddr, SocketAddr};
use support::{assert_status, output};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::routing::get;
use readiness_axum::probes::RateLimit;
use readiness_core::{CheckResult, Status};
use tower_governor::GovernorLayer;
use tower_governor::errors::GovernorError;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::{KeyExtractor, PeerIpKeyExtractor, SmartIpKeyExtractor};

/// The limiter's burst per client; one request comes back every 60 s, so no test sees the
/// quota refilled in the middle.
const BURST: u32 = 30;

fn limited<K>(key: K) -> Router
where
    K: KeyExtractor + Send + Sync + 'static,
    K::Key: Send + Sync + 'static,
{
    let config = GovernorConfigBuilder::default().per_second(60).burst_size(BURST).key_extractor(key).finish().unwrap();
    Router::new().route("/", get(|| async { "orders" })).layer(GovernorLayer::new(config))
}

fn peer<T>(request: &Request<T>) -> Option<IpAddr> {
    request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| peer.ip())
}

fn header<'a, T>(request: &'a Request<T>, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|value| value.to_str().ok())
}

/// `X-Real-IP` when a request has one (as nginx's `real_ip` module is often set up), else the
/// peer.
#[derive(Clone)]
struct RealIpOrPeer;

impl KeyExtractor for RealIpOrPeer {
    type Key = IpAddr;

    fn extract<T>(&self, request: &Request<T>) -> Result<IpAddr, GovernorError> {
        header(request, "x-real-ip")
            .and_then(|value| value.trim().parse().ok())
            .or_else(|| peer(request))
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

/// The `for=` of a `Forwarded` header when a request has one, else the peer.
#[derive(Clone)]
struct ForwardedOrPeer;

impl KeyExtractor for ForwardedOrPeer {
    type Key = IpAddr;

    fn extract<T>(&self, request: &Request<T>) -> Result<IpAddr, GovernorError> {
        header(request, "forwarded")
            .and_then(|value| value.split(';').find_map(|pair| pair.trim().strip_prefix("for=")))
            .map(|value| value.trim_matches('"').trim_start_matches('[').trim_end_matches(']'))
            .and_then(|value| value.parse().ok())
            .or_else(|| peer(request))
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

/// The right-most `X-Forwarded-For` entry: right behind one proxy that appends the address it
/// saw, wrong for a service clients reach directly (the old `TRUSTED_PROXY_HOPS=1` without an
/// ingress), where that entry is the client's own claim.
#[derive(Clone)]
struct RightMostForwardedFor;

impl KeyExtractor for RightMostForwardedFor {
    type Key = IpAddr;

    fn extract<T>(&self, request: &Request<T>) -> Result<IpAddr, GovernorError> {
        header(request, "x-forwarded-for")
            .and_then(|value| value.rsplit(',').next())
            .and_then(|value| value.trim().parse().ok())
            .or_else(|| peer(request))
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

/// The right-most `X-Forwarded-For` entry only when the peer is one of the proxies
/// (`10.0.0.0/8`), else the peer: what a client sends itself is never trusted.
#[derive(Clone)]
struct TrustedProxiesOnly;

impl KeyExtractor for TrustedProxiesOnly {
    type Key = IpAddr;

    fn extract<T>(&self, request: &Request<T>) -> Result<IpAddr, GovernorError> {
        let peer = peer(request).ok_or(GovernorError::UnableToExtractKey)?;
        let from_proxy = matches!(peer, IpAddr::V4(v4) if v4.octets()[0] == 10);
        if !from_proxy {
            return Ok(peer);
        }
        Ok(header(request, "x-forwarded-for")
            .and_then(|value| value.rsplit(',').next())
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(peer))
    }
}

async fn run(probe: RateLimit) -> CheckResult {
    readiness_core::testing::run_check(probe.check()).await
}

/// The failure for a limiter that `header` (or `headers`) lets a client out of.
fn escaped_through(headers: &str) -> String {
    format!(
        "after the 429 at request {} of a burst GET /, the same client (192.0.2.1) was no longer refused once it \
         claimed other addresses in {headers}: the limiter keys on a header any client sets",
        BURST + 1
    )
}

#[tokio::test]
async fn a_limiter_keyed_on_forwarded_headers_fails() {
    // tower_governor's SmartIpKeyExtractor: X-Forwarded-For, else X-Real-IP, else Forwarded,
    // else the peer. The probe's burst carries X-Forwarded-For, so that is what it keys on.
    let result = run(RateLimit::new(limited(SmartIpKeyExtractor))).await;
    assert_status(&result, Status::Fail);
    assert!(output(&result).starts_with(&escaped_through("X-Forwarded-For (4 × 200)")), "{}", output(&result));
    assert!(output(&result).contains("trust X-Forwarded-For only when the peer is one of your proxies"));
    assert_eq!(
        result.outcome.evidence["claimed addresses"],
        "X-Forwarded-For: 4 × 200, X-Real-IP: 4 × 429, Forwarded: 4 × 429"
    );
    assert_eq!(result.outcome.observed_value, Some((BURST + 1).into()));

    // Without a forwarding header in the burst (keyed on the peer then), every one of the three
    // headers gets the client out.
    let bare = run(RateLimit::new(limited(SmartIpKeyExtractor)).identity_header(None)).await;
    assert_status(&bare, Status::Fail);
    assert!(
        output(&bare)
            .starts_with(&escaped_through("X-Forwarded-For (4 × 200) and X-Real-IP (4 × 200) and Forwarded (4 × 200)")),
        "{}",
        output(&bare)
    );
}

#[tokio::test]
async fn a_limiter_keyed_on_x_real_ip_fails() {
    let result = run(RateLimit::new(limited(RealIpOrPeer))).await;
    assert_status(&result, Status::Fail);
    assert!(output(&result).starts_with(&escaped_through("X-Real-IP (4 × 200)")), "{}", output(&result));
}

#[tokio::test]
async fn a_limiter_keyed_on_forwarded_fails() {
    let result = run(RateLimit::new(limited(ForwardedOrPeer))).await;
    assert_status(&result, Status::Fail);
    assert!(output(&result).starts_with(&escaped_through("Forwarded (4 × 200)")), "{}", output(&result));
}

#[tokio::test]
async fn a_limiter_trusting_the_last_hop_without_a_proxy_in_front_fails() {
    let result = run(RateLimit::new(limited(RightMostForwardedFor))).await;
    assert_status(&result, Status::Fail);
    assert!(output(&result).starts_with(&escaped_through("X-Forwarded-For (4 × 200)")), "{}", output(&result));
}

#[tokio::test]
async fn a_limiter_keyed_on_the_peer_address_passes() {
    let result = run(RateLimit::new(limited(PeerIpKeyExtractor))).await;
    assert_status(&result, Status::Pass);
    assert_eq!(output(&result), format!("request {} of a burst GET / was refused with 429", BURST + 1));
    let evidence = &result.outcome.evidence;
    assert_eq!(evidence["claimed addresses"], "X-Forwarded-For: 4 × 429, X-Real-IP: 4 × 429, Forwarded: 4 × 429");
    assert_eq!(evidence["other client"], "198.51.100.1: 200");
}

#[tokio::test]
async fn a_limiter_trusting_forwarded_for_only_from_its_proxies_passes() {
    let result = run(RateLimit::new(limited(TrustedProxiesOnly))).await;
    assert_status(&result, Status::Pass);
    assert_eq!(result.outcome.observed_value, Some((BURST + 1).into()));
    assert_eq!(
        result.outcome.evidence["claimed addresses"],
        "X-Forwarded-For: 4 × 429, X-Real-IP: 4 × 429, Forwarded: 4 × 429"
    );
}
