//! The load script's server (`scripts/load.sh`): one process serving
//!
//! - `GET /readiness`: readiness-axum with two cached checks (TTL one hour), and
//! - `GET /bare`: a bare axum handler returning a static body of the same size,
//!
//! so that both are measured in the same process and the same run; and
//!
//! - `GET /hang/readiness`: a readiness whose only check never returns, to show the deadline.
//!
//! Prints
//! `listening on http://HOST:PORT` first. `ADDR` as for the example service.

use std::time::Duration;

use axum::Router;
use axum::http::header;
use axum::routing::get;
use readiness_core::{CheckSpec, Outcome};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let readiness = readiness_core::testing::builder()
        .service("bench-server", env!("CARGO_PKG_VERSION"))
        .default_ttl(Duration::from_secs(3600))
        .check_fn(CheckSpec::new("db:connections").critical(), |_| async { Outcome::pass() })
        .check_fn(CheckSpec::new("secrets:jwt").critical(), |_| async { Outcome::pass() })
        .build()?;
    // Warm the cache, then size the bare body to the real one.
    let body = readiness_core::output::health_json::render(
        &readiness.readiness().await,
        readiness_core::output::Disclosure::Minimal,
    )
    .to_string();
    let bare_body: &'static str = Box::leak(body.replace(|c: char| c.is_ascii_alphabetic(), "x").into_boxed_str());
    let hanging = readiness_core::testing::builder()
        .service("bench-server", env!("CARGO_PKG_VERSION"))
        .check_fn(CheckSpec::new("hang:forever").critical().timeout(Duration::from_secs(3600)), |_| {
            std::future::pending::<Outcome>()
        })
        .build()?;
    let app = Router::new()
        .nest("/hang", readiness_axum::routes(hanging))
        .route("/bare", get(move || async move { ([(header::CONTENT_TYPE, "application/health+json")], bare_body) }))
        .merge(readiness_axum::routes(readiness));
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:0".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
