//! The example service's binary: logging through the masking writer, then the service assembled
//! by the library (see its docs for the configuration) served until SIGTERM.

use std::io::Write as _;
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
    // Whether READINESS_TOKEN was given (else a token is made for this run and printed below).
    let details_token = settings.has_readiness_token();
    let service = example_service::assemble(&settings).await?;
    let example_service::Service {
        listener,
        local,
        readiness,
        app,
        shutdown,
        database_kind,
        jwt_configured,
        generated_token,
        grpc,
    } = service;
    // The first stdout line is a contract: tests and scripts read the address from it.
    println!("listening on http://{local}");
    if let Some(token) = &generated_token {
        // Once, on stdout, never through the log: the newcomer's way in to the checklist page.
        // Not println!: a reader that closed stdout after the first line must not stop the service.
        let _ = writeln!(
            std::io::stdout(),
            "checklist: http://{local}/readiness/checklist (in a browser, sign in with any user name and the password {}; \
             a token made for this run: set READINESS_TOKEN to choose one)",
            readiness_core::checks::secrets::ExposeSecret::expose_secret(token)
        );
    }
    if let Some((listener, grpc_local)) = grpc {
        let _ = writeln!(std::io::stdout(), "grpc health on {grpc_local}");
        let health = readiness_tonic::health_service(readiness.clone());
        tokio::spawn(async move {
            let incoming = tonic::transport::server::TcpIncoming::from(listener);
            if let Err(error) =
                tonic::transport::Server::builder().add_service(health).serve_with_incoming(incoming).await
            {
                tracing::error!(%error, "gRPC health stopped");
            }
        });
    }
    tracing::info!(
        %local,
        database = database_kind,
        jwt_configured,
        details_token,
        "example-service started"
    );
    // Header-read and idle timeouts, a connection cap, and a shutdown that cannot hang: the
    // drain, then at most the deadline; a second SIGTERM exits at once. Each request carries its
    // peer address, which keys the rate limiter.
    example_service::server(&settings, listener, app).shutdown(shutdown, readiness).run().await?;
    tracing::info!("example-service stopped");
    Ok(())
}
