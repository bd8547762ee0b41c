//! The one place every answer of the readiness routes passes through: it gets the headers all of
//! them carry, and the framework's own rejections (a 405, a path that fails to extract) become
//! problems like the handlers' own, instead of axum's plain-text bodies.

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use futures_util::future::{Either, Map, Ready};

use crate::problem::Problem;
use crate::request::path_is_well_formed;

/// Marks an error response as made by the readiness routes themselves (a handler's answer or a
/// [`Problem`]): one without it is the framework's. Only error responses need it (see [`finish`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Answered;

/// The middleware of the readiness routes, as a [`tower::Layer`].
///
/// Written as a service rather than with `axum::middleware::from_fn`, which boxes the inner
/// route and the middleware's future on every request: on the probe's hot path (a cached body)
/// that was a tenth of the request's cost.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GuardLayer;

impl<S> tower::Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Guard<S> {
        Guard { inner }
    }
}

/// See [`GuardLayer`].
#[derive(Debug, Clone)]
pub(crate) struct Guard<S> {
    inner: S,
}

type Finish = fn(Result<Response, Infallible>) -> Result<Response, Infallible>;

impl<S> tower::Service<Request> for Guard<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, Map<S::Future, Finish>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // Before routing extracts `{check}`: axum would answer a bad encoding in plain text.
        if path_is_well_formed(request.uri().path()) {
            Either::Right(self.inner.call(request).map(|answer| answer.map(finish)))
        } else {
            let problem = Problem::bad_request("the path has a malformed percent-encoding or is not UTF-8");
            Either::Left(futures_util::future::ready(Ok(finish(problem.into_response()))))
        }
    }
}

/// What every answer of the readiness routes gets on its way out.
fn finish(mut response: Response) -> Response {
    let status = response.status();
    if (status.is_client_error() || status.is_server_error()) && response.extensions().get::<Answered>().is_none() {
        response = as_problem(response);
    }
    let headers = response.headers_mut();
    // Every answer depends on both: a shared cache must not give one caller's to another.
    headers.insert(header::VARY, HeaderValue::from_static("Accept, Authorization"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// A framework rejection as a problem of the same status; its body, which may quote the
/// request, is dropped, and `Allow` (of a 405) is kept.
fn as_problem(rejection: Response) -> Response {
    let status = rejection.status();
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => "the readiness routes answer GET and HEAD only",
        StatusCode::NOT_FOUND => "no readiness resource has that path",
        StatusCode::PAYLOAD_TOO_LARGE => "the readiness routes take no request body",
        StatusCode::BAD_REQUEST => "the request is malformed",
        _ => "the request was refused",
    };
    let mut problem = Problem::new(status, status.canonical_reason().unwrap_or("Error"), detail).into_response();
    if let Some(allow) = rejection.headers().get(header::ALLOW) {
        problem.headers_mut().insert(header::ALLOW, allow.clone());
    }
    problem
}
