//! The example service's binary: logging through the masking writer, then the service assembled
//! by the library (see its docs for the configuration) served until SIGTERM.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // Every log line goes through the masking writer; the `logs:masking` check proves it.
    tracing_subscriber::fmt()
        .with_writer(readiness_core::masking::MaskingWriter::new(std::io::stderr))
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    // A panic message goes to stderr past the subscriber: mask it too.
    readiness_core::masking::install_panic_hook();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("example-service: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let settings = example_service::Settings::from_env()?;
    let details_token = settings.has_readiness_token();
    let service = example_service::assemble(&settings).await?;
    let example_service::Service { listener, local, readiness, app, shutdown, database_kind, jwt_configured } = service;
    // The first stdout line is a contract: tests and scripts read the address from it.
    println!("listening on http://{local}");
    tracing::info!(
        %local,
        database = database_kind,
        jwt_configured,
        details_token,
        "example-service started"
    );
    // The peer address keys the rate limiter.
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown.signal(readiness))
        .await?;
    tracing::info!("example-service stopped");
    Ok(())
}
