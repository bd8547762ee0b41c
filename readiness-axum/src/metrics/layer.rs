//! The tower layer that counts each request once: when its response future completes, or, if
//! the future is dropped first, as cancelled.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::http::{Request, Response};
use tower::{Layer, Service};

use super::window::Ending;
use super::{RequestMetrics, ending_of};

/// A [`Layer`] that counts requests into a [`RequestMetrics`].
#[derive(Clone, Debug)]
#[must_use]
pub struct RequestMetricsLayer {
    metrics: RequestMetrics,
}

impl RequestMetricsLayer {
    pub(super) fn new(metrics: RequestMetrics) -> Self {
        Self { metrics }
    }
}

impl<S> Layer<S> for RequestMetricsLayer {
    type Service = RequestMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestMetricsService { inner, metrics: self.metrics.clone() }
    }
}

/// The [`Service`] of [`RequestMetricsLayer`].
#[derive(Clone, Debug)]
pub struct RequestMetricsService<S> {
    inner: S,
    metrics: RequestMetrics,
}

/// Counts its request as cancelled when dropped before [`InFlight::finish`].
struct InFlight {
    metrics: RequestMetrics,
    started: Instant,
    finished: bool,
}

impl InFlight {
    fn finish(&mut self, ending: Ending) {
        self.finished = true;
        self.metrics.finish(self.elapsed(), ending);
    }

    fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if !self.finished {
            self.metrics.finish(self.elapsed(), Ending::Cancelled);
        }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequestMetricsService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: 'static,
    ResBody: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        if request.extensions().get::<crate::probes::ProbeRequest>().is_some() {
            // An in-process probe of this service: not traffic.
            let future = self.inner.call(request);
            return Box::pin(future);
        }
        // Armed before the inner call: a future dropped unpolled, or a panic inside the inner
        // service, still counts the request.
        let mut in_flight = InFlight { metrics: self.metrics.clone(), started: Instant::now(), finished: false };
        let future = self.inner.call(request);
        Box::pin(async move {
            let result = future.await;
            let ending = result.as_ref().map_or(Ending::ServerError, |response| ending_of(response.status()));
            in_flight.finish(ending);
            result
        })
    }
}
