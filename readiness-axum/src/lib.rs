//! axum integration of [`readiness_core`]: serves a service's readiness on `/readiness`,
//! `/liveness` and `/startup`.
//!
//! ```
//! use axum::Router;
//! use readiness_core::{CheckSpec, Outcome, Readiness};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let readiness = Readiness::builder()
//!     .service("orders", "1.0.0")
//!     .check_fn(CheckSpec::new("db:ping").critical(), |_| async { Outcome::pass() })
//!     .build()
//!     .unwrap();
//! let app: Router = Router::new().merge(readiness_axum::routes(readiness));
//! # let _ = app;
//! # }
//! ```
//!
//! | request | answer |
//! |---|---|
//! | `GET /readiness` | `application/health+json`, 200 for pass and warn, 503 for fail |
//! | `GET /liveness` | the liveness checks only |
//! | `GET /startup` | the startup and critical checks, until each passed once |
//! | `GET /readiness?verbose&format=text` (or `Accept: text/plain`) | Kubernetes-style lines |
//! | `GET /readiness?exclude=NAME` (repeatable) | without those checks; unknown names in `notes` |
//! | `GET /readiness/{check}` | one check; 404 problem for an unknown name |
//! | `GET /readiness/checklist` | every control: JSON, `text/html`, `text/markdown` or an OSCAL 1.1 assessment-results document (`?format=oscal`, `application/oscal+json`); needs details |
//! | `GET /readiness/metrics` | Prometheus text 0.0.4 from cached results only, or OpenMetrics 1.0.0 when the scraper's `Accept` prefers it (`?format=openmetrics`) |
//! | `GET /readiness/attestation[?nonce=N]` | an in-toto Statement with the nonce echoed and an `expires_at` (a signed DSSE envelope with [`Routes::signing_key`], else plain JSON marked `unsigned`); needs details |
//! | `GET /readiness/attestation/keys` | the verifying key as a JWK Set (RFC 8037), `kid` = the envelope's `keyid`; public, to anyone |
//! | anything malformed | 400 (406 for an unmet `Accept`) with `application/problem+json` |
//!
//! Every answer carries `Cache-Control: no-store`, `X-Content-Type-Options: nosniff` and
//! `Vary: Accept, Authorization`. Every rejection is an `application/problem+json` body, the
//! framework's own included: another method than `GET` or `HEAD` is a 405 (with `Allow`)
//! whatever the path; a `GET` of a path under the readiness path with a bad percent-encoding or
//! not UTF-8 is a 400, of an unknown path under it a 404.
//!
//! `Accept` is negotiated per RFC 9110 §12.5.1: each format takes the q-value of the most
//! specific range that matches it (so `text/*, text/plain;q=0` refuses text), the highest wins,
//! ties go to the server's order (health+json first on the probes, JSON on the checklist,
//! Prometheus text on the metrics); real clients' odd headers (Java's bare `*` and
//! `q=.2`, `Q=`, spaces, empty elements) are accepted, a malformed one is a 400. Unknown query
//! parameters, such as monitors' cache-busters (`?_=1733221234`), are ignored and noted in the
//! report's `notes` ("ignored unknown query parameter `_`", the name only when it is a short
//! plain word); a known one with a bad or empty value, `exclude` or `nonce` where the endpoint
//! does not take it, a bad percent-encoding or a query over 2048 bytes is a 400.
//!
//! Anonymous callers see statuses only; outputs, observed values, evidence and the checklist
//! need `Authorization: Bearer <token>` (see [`Routes::token`] and [`Details`]).
//!
//! Serve with [`Server`] rather than `axum::serve`: a header-read timeout, an idle keep-alive
//! timeout and a connection cap keep slow and idle clients from exhausting the pod, and its
//! shutdown (the drain of [`Shutdown`], then a deadline; a second signal exits at once) cannot
//! hang until SIGKILL.
//!
//! Built-in checks of this crate: [`Shutdown::check`] (graceful shutdown),
//! [`RequestMetrics::error_rate_check`] and [`RequestMetrics::response_time_check`], and the
//! in-process HTTP self-probes of [`probes`], which drive the application's own `Router`
//! without a network:
//!
//! | probe | check | control |
//! |---|---|---|
//! | [`probes::SecurityHeaders`] | `http:security-headers` | `security.network.headers` |
//! | [`probes::Cors`] | `http:cors` | `security.network.cors` |
//! | [`probes::RateLimit`] | `http:rate-limit` | `security.auth.rate-limiting` |
//! | [`probes::SessionCookie`] | `http:session-cookie` | `security.auth.session-management` |
//! | [`probes::JwtValidation`] | `http:jwt` | `security.auth.jwt-validation` |
//! | [`probes::PasswordPolicy`] | `http:password-policy` | `security.auth.password-strength` |

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[doc(hidden)]
pub mod __fuzz;
mod attestation;
mod metrics;
pub mod probes;
mod problem;
mod rejection;
mod request;
mod routes;
pub mod serve;
mod shutdown;

pub use metrics::{LATENCY_BUCKETS, MetricsSnapshot, RequestMetrics, RequestMetricsLayer, RequestMetricsService};
pub use problem::{CONTENT_TYPE as PROBLEM_CONTENT_TYPE, Problem};
pub use routes::{Details, Routes, RoutesError};
pub use serve::Server;
pub use shutdown::Shutdown;

use axum::Router;
use readiness_core::Readiness;

/// The readiness routes with the defaults: every path of the table above, details for nobody
/// (no token is configured). Use [`Routes`] for a token, other paths or request metrics.
pub fn routes<S>(readiness: Readiness) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    match Routes::new(readiness).build() {
        Ok(router) => router,
        Err(error) => unreachable!("the default routes are valid: {error}"),
    }
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
