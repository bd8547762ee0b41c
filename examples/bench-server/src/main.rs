//! The load script's server (`scripts/load.sh`): one process serving
//!
//! - `GET /readiness`: readiness-axum with ten checks at the default settings (TTL 1 s, so each
//!   runs again every second under load, single-flight), and
//! - `GET /bare`: a bare axum handler returning a static body of the same size,
//!
//! so that both are measured in the same process and the same run; and
//!
//! - `GET /hang/readiness`: a readiness whose only check never returns, to show the deadline.
//!
//! served by `readiness_axum::Server` with its defaults, as a service is. Prints
//! `listening on http://HOST:PORT` first. `ADDR` as for the example service.

use std::time::Duration;

use axum::Router;
use axum::http::header;
use axum::routing::get;
use readiness_core::{CheckSpec, Outcome};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Ten checks as a service has them, at the default TTL: a database round trip's worth of
    // waiting for the dependencies, nothing for the rest.
    let mut builder = readiness_core::testing::builder().service("bench-server", env!("CARGO_PKG_VERSION"));
    for name in ["db:connections", "db:pool", "cache:ping", "queue:ping", "upstream:payments"] {
        builder = builder.check_fn(CheckSpec::new(name).critical(), |_| async {
            tokio::time::sleep(Duration::from_millis(1)).await;
            Outcome::pass()
        });
    }
    for name in ["secrets:jwt", "secrets:settings", "config:flags", "build:info", "shutdown:graceful"] {
        builder = builder.check_fn(CheckSpec::new(name), |_| async { Outcome::pass() });
    }
    let readiness = builder.build()?;
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
    readiness_axum::Server::new(listener, app).run().await?;
    Ok(())
}
