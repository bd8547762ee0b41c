//! `db:tls`: the PostgreSQL session is encrypted, and the client verifies whom it talks to.

use super::session::{ClientTls, PostgresPool, bool_column, column, one_row};
use crate::check::check_fn;
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

/// What a client in `sslmode` leaves unchecked, when it is weaker than `verify-full`.
fn weakness(mode: &str) -> Option<&'static str> {
    match mode {
        "verify-full" => None,
        "verify-ca" => {
            Some("verifies the server's certificate chain but not its hostname: any certificate of that CA is accepted")
        }
        "require" => Some(
            "does not verify the server's certificate: anyone between this service and the database can pose as it",
        ),
        _ => Some(
            "does not verify the server's certificate and falls back to clear text when the server (or anyone posing \
             as it) declines TLS",
        ),
    }
}

const FIX: &str = "connect with sslmode=verify-full and sslrootcert set to the CA of the server's certificate";

/// The TLS check (`db:tls`): the PostgreSQL session of a pooled connection is encrypted
/// (`pg_stat_ssl`), and the client verifies the server's certificate and hostname. See the
/// [module docs](super).
///
/// A sqlx pool's `sslmode` is read from its connect options, and only `verify-full` passes. A
/// deadpool-postgres or bb8-postgres pool leaves verification to its TLS connector, which the
/// check cannot look into: an encrypted session is "cannot tell" (a warning, never a pass), a
/// session in clear fails.
pub fn postgres_tls(pool: impl PostgresPool) -> CheckRegistration {
    let spec = CheckSpec::new("db:tls")
        .control("security.data.tls-in-transit")
        .component_type("datastore")
        .description("the database session is encrypted and the server's certificate verified (sslmode=verify-full)");
    CheckRegistration::new(
        spec,
        check_fn(move |_| {
            let pool = pool.clone();
            async move {
                let client = pool.client_tls();
                let row = one_row(
                    pool.text_rows(
                        "SELECT ssl::text, version::text, cipher::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                        &[],
                    )
                    .await,
                    "pg_stat_ssl",
                );
                judge(&client, row).evidence("pool", pool.pool_kind())
            }
        }),
    )
}

fn judge(client: &ClientTls, row: Result<Vec<Option<String>>, String>) -> Outcome {
    let shown_client = match client {
        ClientTls::SslMode(mode) => format!("sslmode={mode}"),
        ClientTls::Connector(connector) => format!("connector {connector}"),
    };
    let outcome = match row {
        Ok(row) if bool_column(&row, 0) => {
            let version = column(&row, 1).unwrap_or_default().to_owned();
            let cipher = column(&row, 2).unwrap_or_default().to_owned();
            let shown = if version.is_empty() { "TLS" } else { version.as_str() };
            let outcome = match client {
                ClientTls::SslMode(mode) => match weakness(mode) {
                    None => Outcome::pass().with_output(format!(
                        "the session is encrypted ({shown}) and the server's certificate and hostname are verified \
                         (sslmode=verify-full)"
                    )),
                    Some(weakness) => Outcome::warn(format!(
                        "the session is encrypted ({shown}), but sslmode={mode} {weakness}: {FIX}"
                    )),
                },
                ClientTls::Connector(connector) => Outcome::cannot_tell(
                    format!(
                        "the session is encrypted ({shown}), but whether the server's certificate and hostname are \
                         verified is up to {connector}, which this check cannot look into"
                    ),
                    "use a connector that verifies both (tokio-postgres-rustls or postgres-openssl with the \
                     server's CA and hostname checks on), then attest it; or check through a sqlx pool with \
                     sslmode=verify-full",
                ),
            };
            outcome.evidence("tls_version", version).evidence("cipher", cipher)
        }
        Ok(_) => Outcome::fail(format!("the database session is not encrypted ({shown_client}): {FIX}")),
        Err(error) => Outcome::fail(format!("cannot read pg_stat_ssl: {error}")),
    };
    match client {
        ClientTls::SslMode(mode) => outcome.evidence("sslmode", *mode),
        ClientTls::Connector(_) => outcome.evidence("sslmode", "set by the TLS connector"),
    }
}
