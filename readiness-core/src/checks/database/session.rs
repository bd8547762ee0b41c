//! [`PostgresPool`]: the pools the TLS, replication and archiving checks query. Each check reads
//! a few rows of system views; every column is cast to `text` in its SQL, so one way of reading
//! rows (text or NULL) serves sqlx 0.8 and 0.9, deadpool-postgres and bb8-postgres alike, and
//! the judgement of each check is the same code whatever the pool.

use futures_util::future::BoxFuture;

/// Rows of text columns (`None` for SQL NULL), or why the query failed.
pub(super) type TextRows = Result<Vec<Vec<Option<String>>>, String>;

/// How the pool's client protects its sessions, as far as the pool lets the check see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientTls {
    /// The `sslmode` of the connect options (sqlx), as written in a connection URL.
    SslMode(&'static str),
    /// A tokio-postgres pool: its TLS connector, not a setting, decides whether the server's
    /// certificate and hostname are verified, and the pool does not show its configuration.
    Connector(&'static str),
}

pub(super) mod sealed {
    use super::{ClientTls, TextRows};

    /// The queries the checks need; implemented only in this crate.
    pub trait Sealed: Clone + Send + Sync + 'static {
        /// What kind of pool it is, for the output.
        fn pool_kind(&self) -> &'static str;
        /// How the client protects its sessions.
        fn client_tls(&self) -> ClientTls;
        /// Runs `sql` (a constant of the checks, whose columns are all `text`) with `params`
        /// bound as text, on one pooled connection.
        fn text_rows<'a>(
            &'a self,
            sql: &'static str,
            params: &'a [&'a str],
        ) -> futures_util::future::BoxFuture<'a, TextRows>;
    }
}

/// A PostgreSQL pool that [`postgres_tls`](super::postgres_tls),
/// [`ReplicationCheck`](super::ReplicationCheck) and [`postgres_archiving`](super::postgres_archiving)
/// accept: sqlx 0.8's `PgPool` (feature `postgres`), sqlx 0.9's (feature `sqlx09`),
/// deadpool-postgres' `Pool` (feature `deadpool`) and bb8-postgres' `Pool` (feature `bb8`).
/// Sealed: the checks rely on how each pool is read.
pub trait PostgresPool: sealed::Sealed {}

impl<P: sealed::Sealed> PostgresPool for P {}

/// The text of column `index` of `row`; `None` for NULL or a missing column.
pub(super) fn column(row: &[Option<String>], index: usize) -> Option<&str> {
    row.get(index).and_then(Option::as_deref)
}

/// Column `index` of `row` as a boolean (`true`/`false`, as `bool::text` writes them).
pub(super) fn bool_column(row: &[Option<String>], index: usize) -> bool {
    column(row, index) == Some("true")
}

/// Column `index` of `row` as a number, `None` for NULL or a value that is not one.
pub(super) fn number_column<T: std::str::FromStr>(row: &[Option<String>], index: usize) -> Option<T> {
    column(row, index).and_then(|text| text.parse().ok())
}

/// The one row a query returns, or an error naming what was read.
pub(super) fn one_row(rows: TextRows, what: &str) -> Result<Vec<Option<String>>, String> {
    rows?.into_iter().next().ok_or_else(|| format!("{what} returned no row"))
}

fn sqlx08_mode(mode: sqlx::postgres::PgSslMode) -> &'static str {
    use sqlx::postgres::PgSslMode;
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}

impl sealed::Sealed for sqlx::PgPool {
    fn pool_kind(&self) -> &'static str {
        "sqlx 0.8"
    }

    fn client_tls(&self) -> ClientTls {
        ClientTls::SslMode(sqlx08_mode(self.connect_options().get_ssl_mode()))
    }

    fn text_rows<'a>(&'a self, sql: &'static str, params: &'a [&'a str]) -> BoxFuture<'a, TextRows> {
        Box::pin(async move {
            use sqlx::Row as _;
            let mut query = sqlx::query(sql);
            for param in params {
                query = query.bind(*param);
            }
            let rows = query.fetch_all(self).await.map_err(|error| error.to_string())?;
            rows.iter()
                .map(|row| {
                    (0..row.len())
                        .map(|index| row.try_get::<Option<String>, _>(index).map_err(|error| error.to_string()))
                        .collect()
                })
                .collect()
        })
    }
}

#[cfg(feature = "sqlx09")]
impl sealed::Sealed for sqlx09::PgPool {
    fn pool_kind(&self) -> &'static str {
        "sqlx 0.9"
    }

    fn client_tls(&self) -> ClientTls {
        use sqlx09::postgres::PgSslMode;
        ClientTls::SslMode(match self.connect_options().get_ssl_mode() {
            PgSslMode::Disable => "disable",
            PgSslMode::Allow => "allow",
            PgSslMode::Prefer => "prefer",
            PgSslMode::Require => "require",
            PgSslMode::VerifyCa => "verify-ca",
            PgSslMode::VerifyFull => "verify-full",
        })
    }

    fn text_rows<'a>(&'a self, sql: &'static str, params: &'a [&'a str]) -> BoxFuture<'a, TextRows> {
        Box::pin(async move {
            use sqlx09::Row as _;
            let mut query = sqlx09::query(sql);
            for param in params {
                query = query.bind(param.to_string());
            }
            let rows = query.fetch_all(self).await.map_err(|error| error.to_string())?;
            rows.iter()
                .map(|row| {
                    (0..row.len())
                        .map(|index| row.try_get::<Option<String>, _>(index).map_err(|error| error.to_string()))
                        .collect()
                })
                .collect()
        })
    }
}

/// Runs `sql` on a tokio-postgres client: the rows as text.
#[cfg(any(feature = "deadpool", feature = "bb8"))]
async fn client_text_rows(client: &tokio_postgres::Client, sql: &str, params: &[&str]) -> TextRows {
    let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
        params.iter().map(|param| param as &(dyn tokio_postgres::types::ToSql + Sync)).collect();
    let rows = client.query(sql, &params).await.map_err(|error| error.to_string())?;
    rows.iter()
        .map(|row| {
            (0..row.len())
                .map(|index| row.try_get::<_, Option<String>>(index).map_err(|error| error.to_string()))
                .collect()
        })
        .collect()
}

#[cfg(feature = "deadpool")]
impl sealed::Sealed for deadpool_postgres::Pool {
    fn pool_kind(&self) -> &'static str {
        "deadpool-postgres"
    }

    fn client_tls(&self) -> ClientTls {
        // deadpool erases the connector's type along with the rest of the manager.
        ClientTls::Connector("the pool's TLS connector")
    }

    fn text_rows<'a>(&'a self, sql: &'static str, params: &'a [&'a str]) -> BoxFuture<'a, TextRows> {
        Box::pin(async move {
            let client = self.get().await.map_err(|error| format!("cannot acquire a connection: {error}"))?;
            client_text_rows(&client, sql, params).await
        })
    }
}

#[cfg(feature = "bb8")]
impl<Tls> sealed::Sealed for bb8::Pool<bb8_postgres::PostgresConnectionManager<Tls>>
where
    Tls: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket> + Clone + Send + Sync + 'static,
    <Tls as tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>>::Stream: Send + Sync,
    <Tls as tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>>::TlsConnect: Send,
    <<Tls as tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>>::TlsConnect as tokio_postgres::tls::TlsConnect<tokio_postgres::Socket>>::Future: Send,
{
    fn pool_kind(&self) -> &'static str {
        "bb8-postgres"
    }

    fn client_tls(&self) -> ClientTls {
        ClientTls::Connector(std::any::type_name::<Tls>())
    }

    fn text_rows<'a>(&'a self, sql: &'static str, params: &'a [&'a str]) -> BoxFuture<'a, TextRows> {
        Box::pin(async move {
            let client = self.get().await.map_err(|error| format!("cannot acquire a connection: {error}"))?;
            client_text_rows(&client, sql, params).await
        })
    }
}
