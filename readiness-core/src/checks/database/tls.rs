//! `db:tls`: the PostgreSQL session is encrypted, and the client verifies whom it talks to.

use sqlx::postgres::PgSslMode;

use crate::check::check_fn;
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

/// `sslmode` as written in a connection URL.
fn mode_name(mode: PgSslMode) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}

/// What a client in `mode` leaves unchecked, when it is weaker than `verify-full`.
fn weakness(mode: PgSslMode) -> Option<&'static str> {
    match mode {
        PgSslMode::VerifyFull => None,
        PgSslMode::VerifyCa => {
            Some("verifies the server's certificate chain but not its hostname: any certificate of that CA is accepted")
        }
        PgSslMode::Require => Some(
            "does not verify the server's certificate: anyone between this service and the database can pose as it",
        ),
        PgSslMode::Prefer | PgSslMode::Allow | PgSslMode::Disable => Some(
            "does not verify the server's certificate and falls back to clear text when the server (or anyone posing \
             as it) declines TLS",
        ),
    }
}

/// The TLS check (`db:tls`): the PostgreSQL session of a pooled connection is encrypted
/// (`pg_stat_ssl`), and the pool's `sslmode` (read from its connect options) verifies the
/// server's certificate and hostname. See the [module docs](super).
pub fn postgres_tls(pool: sqlx::PgPool) -> CheckRegistration {
    let spec = CheckSpec::new("db:tls")
        .control("security.data.tls-in-transit")
        .component_type("datastore")
        .description("the database session is encrypted and the server's certificate verified (sslmode=verify-full)");
    CheckRegistration::new(
        spec,
        check_fn(move |_| {
            let pool = pool.clone();
            async move {
                let mode = pool.connect_options().get_ssl_mode();
                let row: Result<(bool, Option<String>, Option<String>), _> =
                    sqlx::query_as("SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                        .fetch_one(&pool)
                        .await;
                let outcome = match row {
                    Ok((true, version, cipher)) => {
                        let version = version.unwrap_or_default();
                        let shown = if version.is_empty() { "TLS" } else { version.as_str() };
                        let outcome = match weakness(mode) {
                            None => Outcome::pass().with_output(format!(
                                "the session is encrypted ({shown}) and the server's certificate and hostname are \
                                 verified (sslmode=verify-full)"
                            )),
                            Some(weakness) => Outcome::warn(format!(
                                "the session is encrypted ({shown}), but sslmode={} {weakness}: connect with \
                                 sslmode=verify-full and sslrootcert set to the CA of the server's certificate",
                                mode_name(mode)
                            )),
                        };
                        outcome.evidence("tls_version", version).evidence("cipher", cipher.unwrap_or_default())
                    }
                    Ok((false, _, _)) => Outcome::fail(format!(
                        "the database session is not encrypted (sslmode={}): connect with sslmode=verify-full and \
                         sslrootcert set to the CA of the server's certificate",
                        mode_name(mode)
                    )),
                    Err(error) => Outcome::fail(format!("cannot read pg_stat_ssl: {error}")),
                };
                outcome.evidence("sslmode", mode_name(mode))
            }
        }),
    )
}
