//! grpc.health.v1 over real gRPC on loopback: a tonic client against the service, Check and
//! Watch, unknown names per the protocol, NOT_SERVING before ready and from shutdown on.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use readiness_core::{CheckKind, CheckSpec, Outcome, Readiness, testing};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A critical check the test controls (not cached), and a liveness check that passes.
fn readiness(healthy: Arc<AtomicBool>) -> Readiness {
    testing::builder()
        .check_fn(CheckSpec::new("db:ping").critical().ttl(Duration::from_nanos(1)), move |_| {
            let healthy = healthy.load(Ordering::SeqCst);
            async move { if healthy { Outcome::pass() } else { Outcome::fail("refused") } }
        })
        .check_fn(CheckSpec::new("process:alive").kind(CheckKind::Liveness), |_| async { Outcome::pass() })
        .build()
        .unwrap()
}

/// Serves the health service on a free port; a connected client.
async fn serve(readiness: Readiness) -> HealthClient<tonic::transport::Channel> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let incoming = tonic::transport::server::TcpIncoming::from(listener);
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(readiness_tonic::health_service(readiness))
            .serve_with_incoming(incoming)
            .await
            .unwrap();
    });
    let channel =
        tonic::transport::Endpoint::from_shared(format!("http://{address}")).unwrap().connect().await.unwrap();
    HealthClient::new(channel)
}

async fn check(
    client: &mut HealthClient<tonic::transport::Channel>,
    service: &str,
) -> Result<ServingStatus, tonic::Code> {
    client
        .check(HealthCheckRequest { service: service.to_owned() })
        .await
        .map(|response| response.into_inner().status())
        .map_err(|status| status.code())
}

#[tokio::test]
async fn check_is_not_serving_until_ready_and_from_shutdown_on() {
    let healthy = Arc::new(AtomicBool::new(false));
    let readiness = readiness(Arc::clone(&healthy));
    let mut client = serve(readiness.clone()).await;
    assert_eq!(check(&mut client, "").await, Ok(ServingStatus::NotServing), "not ready: the critical check fails");
    assert_eq!(check(&mut client, "startup").await, Ok(ServingStatus::NotServing));
    assert_eq!(check(&mut client, "liveness").await, Ok(ServingStatus::Serving), "liveness has no dependency check");
    healthy.store(true, Ordering::SeqCst);
    assert_eq!(check(&mut client, "").await, Ok(ServingStatus::Serving));
    assert_eq!(check(&mut client, "readiness").await, Ok(ServingStatus::Serving));
    assert_eq!(check(&mut client, "startup").await, Ok(ServingStatus::Serving));
    readiness.begin_shutdown();
    assert_eq!(check(&mut client, "").await, Ok(ServingStatus::NotServing), "from the moment shutdown begins");
    assert_eq!(check(&mut client, "liveness").await, Ok(ServingStatus::Serving), "liveness stays as it is");
    assert_eq!(check(&mut client, "orders.v1.Orders").await, Err(tonic::Code::NotFound));
}

#[tokio::test]
async fn watch_sends_the_status_now_then_each_change() {
    let healthy = Arc::new(AtomicBool::new(false));
    let readiness = readiness(Arc::clone(&healthy));
    let mut client = serve(readiness.clone()).await;
    let mut watch = client.watch(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner();
    let mut next = async || {
        let message = tokio::time::timeout(Duration::from_secs(5), watch.message()).await.expect("a message in time");
        message.unwrap().expect("the stream goes on").status()
    };
    assert_eq!(next().await, ServingStatus::NotServing, "the status now, first");
    healthy.store(true, Ordering::SeqCst);
    readiness.readiness().await;
    assert_eq!(next().await, ServingStatus::Serving);
    healthy.store(false, Ordering::SeqCst);
    readiness.readiness().await;
    assert_eq!(next().await, ServingStatus::NotServing);
    healthy.store(true, Ordering::SeqCst);
    readiness.readiness().await;
    assert_eq!(next().await, ServingStatus::Serving);
    readiness.begin_shutdown();
    assert_eq!(next().await, ServingStatus::NotServing, "shutdown reaches watchers");
}

#[tokio::test]
async fn watching_an_unknown_service_says_so_and_keeps_the_call_open() {
    let mut client = serve(readiness(Arc::new(AtomicBool::new(true)))).await;
    let mut watch = client.watch(HealthCheckRequest { service: "nope".into() }).await.unwrap().into_inner();
    let first = watch.message().await.unwrap().unwrap();
    assert_eq!(first.status(), ServingStatus::ServiceUnknown);
    let more = tokio::time::timeout(Duration::from_millis(300), watch.message()).await;
    assert!(more.is_err(), "the call is not ended: {more:?}");
}
