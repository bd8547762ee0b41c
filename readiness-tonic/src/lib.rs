//! The standard gRPC health protocol, [`grpc.health.v1.Health`], served from a service's
//! readiness: `Check` answers from the same reports as `GET /readiness`, `/liveness` and
//! `/startup`, and `Watch` streams [`Readiness::subscribe`]'s changes.
//!
//! ```
//! use readiness_core::{CheckSpec, Outcome};
//! use readiness_tonic::pb::health_server::Health;
//! use readiness_tonic::pb::{HealthCheckRequest, health_check_response::ServingStatus};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let readiness = readiness_core::testing::builder()
//!     .check_fn(CheckSpec::new("db:ping").critical(), |_| async { Outcome::pass() })
//!     .build()
//!     .unwrap();
//! let health = readiness_tonic::ReadinessHealth::new(readiness.clone());
//! let ask = |service: &str| tonic::Request::new(HealthCheckRequest { service: service.into() });
//! assert_eq!(health.check(ask("")).await.unwrap().into_inner().status(), ServingStatus::Serving);
//! readiness.begin_shutdown();
//! assert_eq!(health.check(ask("readiness")).await.unwrap().into_inner().status(), ServingStatus::NotServing);
//! assert_eq!(health.check(ask("orders.v1.Orders")).await.unwrap_err().code(), tonic::Code::NotFound);
//! # }
//! ```
//!
//! In a tonic server, beside the service's own:
//!
//! ```no_run
//! # async fn serve(readiness: readiness_core::Readiness) -> Result<(), Box<dyn std::error::Error>> {
//! tonic::transport::Server::builder()
//!     .add_service(readiness_tonic::health_service(readiness))
//!     .serve("127.0.0.1:50051".parse()?)
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! | service name | status from |
//! |---|---|
//! | `""` (the server as a whole), `readiness` | the readiness report: `SERVING` for pass and warn, `NOT_SERVING` for fail — so `NOT_SERVING` until the critical checks pass (tonic-health alone starts as `SERVING`) and from the moment shutdown begins |
//! | `liveness` | the liveness report |
//! | `startup` | the startup report: `NOT_SERVING` until every startup and critical check passed once |
//! | anything else | `Check`: `NOT_FOUND`; `Watch`: one `SERVICE_UNKNOWN`, the stream kept open, as the protocol says |
//!
//! `Check` runs what a report would run (stale checks, within the report deadline), so a
//! Kubernetes gRPC probe behaves as the HTTP one. `Watch` sends the current status first, then
//! each change of it; it never runs a check: checks run when something probes them (or on their
//! own interval, for background checks), and a slow watcher gets the latest status, not every
//! intermediate one.
//!
//! [`grpc.health.v1.Health`]: https://github.com/grpc/grpc/blob/master/doc/health-checking.md

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::pin::Pin;

use futures_util::{Stream, StreamExt};
use readiness_core::subscription::Change;
use readiness_core::{Readiness, Status};
use tonic_health::pb::health_server::{Health, HealthServer};
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse, health_check_response::ServingStatus};

/// The `grpc.health.v1` messages, server and client (tonic-health's), so that a service needs no
/// dependency of its own for them.
pub use tonic_health::pb;

/// The health service: give it to `tonic::transport::Server::add_service`.
pub fn health_service(readiness: Readiness) -> HealthServer<ReadinessHealth> {
    HealthServer::new(ReadinessHealth::new(readiness))
}

/// The `grpc.health.v1.Health` implementation behind [`health_service`].
#[derive(Debug, Clone)]
pub struct ReadinessHealth {
    readiness: Readiness,
}

impl ReadinessHealth {
    /// The health of `readiness`.
    pub fn new(readiness: Readiness) -> Self {
        Self { readiness }
    }
}

/// Which report a service name asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Readiness,
    Liveness,
    Startup,
}

impl Kind {
    fn of(service: &str) -> Option<Self> {
        match service {
            "" | "readiness" => Some(Self::Readiness),
            "liveness" => Some(Self::Liveness),
            "startup" => Some(Self::Startup),
            _ => None,
        }
    }

    /// The status this kind's change carries, if the change is about this kind.
    fn status_in(self, change: &Change) -> Option<Status> {
        match (self, change) {
            (Self::Readiness, Change::Readiness { current, .. })
            | (Self::Liveness, Change::Liveness { current, .. })
            | (Self::Startup, Change::Startup { current, .. }) => Some(*current),
            _ => None,
        }
    }
}

fn serving(status: Status) -> ServingStatus {
    match status {
        Status::Pass | Status::Warn => ServingStatus::Serving,
        Status::Fail => ServingStatus::NotServing,
    }
}

fn response(status: ServingStatus) -> HealthCheckResponse {
    HealthCheckResponse { status: status as i32 }
}

/// The stream type of `Watch`.
pub type WatchStream = Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, tonic::Status>> + Send + 'static>>;

#[tonic::async_trait]
impl Health for ReadinessHealth {
    async fn check(
        &self,
        request: tonic::Request<HealthCheckRequest>,
    ) -> Result<tonic::Response<HealthCheckResponse>, tonic::Status> {
        let Some(kind) = Kind::of(&request.get_ref().service) else {
            return Err(tonic::Status::not_found("unknown service: ask for \"\", readiness, liveness or startup"));
        };
        let report = match kind {
            Kind::Readiness => self.readiness.readiness().await,
            Kind::Liveness => self.readiness.liveness().await,
            Kind::Startup => self.readiness.startup().await,
        };
        Ok(tonic::Response::new(response(serving(report.status))))
    }

    type WatchStream = WatchStream;

    async fn watch(
        &self,
        request: tonic::Request<HealthCheckRequest>,
    ) -> Result<tonic::Response<Self::WatchStream>, tonic::Status> {
        let Some(kind) = Kind::of(&request.get_ref().service) else {
            // The protocol: SERVICE_UNKNOWN, and the call is not ended.
            let unknown = futures_util::stream::once(async { Ok(response(ServingStatus::ServiceUnknown)) })
                .chain(futures_util::stream::pending());
            return Ok(tonic::Response::new(Box::pin(unknown)));
        };
        let mut last = None;
        let statuses = self.readiness.subscribe().into_stream().filter_map(move |change| {
            // Pass and warn are both SERVING: a change between them is no change to a watcher.
            let next = kind.status_in(&change).map(serving).filter(|status| last != Some(*status));
            if next.is_some() {
                last = next;
            }
            std::future::ready(next.map(|status| Ok(response(status))))
        });
        Ok(tonic::Response::new(Box::pin(statuses)))
    }
}
