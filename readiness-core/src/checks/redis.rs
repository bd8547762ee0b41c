//! `redis:ping`: a Redis server answers `PING` within the timeout, has the role the service
//! needs (a primary, with enough connected replicas), and — as evidence for backups — says how
//! it persists what it holds (`INFO persistence`, `CONFIG GET save`).
//!
//! ```no_run
//! use readiness_core::checks::redis::RedisCheck;
//! use readiness_core::checks::secrets::SecretString;
//!
//! let url = SecretString::from("redis://:a-strong-password@cache:6379/0");
//! let check = RedisCheck::new(&url).unwrap().require_primary().min_replicas(1);
//! let readiness = readiness_core::Readiness::builder().register(check).build();
//! # let _ = readiness;
//! ```
//!
//! | passes | fails |
//! |---|---|
//! | `PONG` within the timeout; with [`RedisCheck::require_primary`], the server is a primary; with [`RedisCheck::min_replicas`], that many replicas are connected; with [`RedisCheck::require_persistence`], AOF is on or RDB snapshots are configured | no connection (refused, unreachable, no answer within the timeout); authentication refused or required; anything but `PONG`; a replica where a primary is required; fewer replicas; nothing persisted when persistence is required |
//!
//! The URL's password is registered with the masker: no output or log line can carry it.

use std::fmt;
use std::time::{Duration, Instant};

use readiness_rules::format_duration;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, ErrorKind, RedisError};
use secrecy::{ExposeSecret, SecretString};

use crate::check::check_fn;
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

/// The check's timeout unless [`RedisCheck::timeout`] sets another: the runner's default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(800);

/// The Redis check with its options; register it as it is (`builder.register(check)`).
#[must_use]
pub struct RedisCheck {
    client: Client,
    address: String,
    timeout: Duration,
    primary: bool,
    min_replicas: u32,
    persistence: bool,
}

/// A Redis URL that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("the Redis URL cannot be used: {reason}")]
pub struct InvalidRedisUrl {
    /// Why, without the URL (it may hold a password).
    pub reason: String,
}

impl RedisCheck {
    /// The check of the server at `url` (`redis://[user:password@]host:port[/db]`, or `rediss://`
    /// for TLS when the `redis` crate is built with it).
    ///
    /// # Errors
    ///
    /// [`InvalidRedisUrl`] when the URL cannot be parsed.
    pub fn new(url: &SecretString) -> Result<Self, InvalidRedisUrl> {
        let text = url.expose_secret();
        if let Some(password) = password_of(text) {
            crate::masking::register_secret(&password);
        }
        let client = Client::open(text).map_err(|error| InvalidRedisUrl { reason: error.category().to_owned() })?;
        let address = client.get_connection_info().addr().to_string();
        Ok(Self { client, address, timeout: DEFAULT_TIMEOUT, primary: false, min_replicas: 0, persistence: false })
    }

    /// The longest one run may take (connecting included); 800 ms unless set.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Fails on a replica: for a service that writes.
    pub fn require_primary(mut self) -> Self {
        self.primary = true;
        self
    }

    /// Fails unless at least `replicas` replicas are connected to the server (a primary).
    pub fn min_replicas(mut self, replicas: u32) -> Self {
        self.min_replicas = replicas;
        self
    }

    /// Fails unless the server persists what it holds (AOF on, or RDB snapshots configured), and
    /// binds the check to `reliability.backup.automated` too.
    pub fn require_persistence(mut self) -> Self {
        self.persistence = true;
        self
    }

    async fn run(&self) -> Outcome {
        let started = Instant::now();
        match tokio::time::timeout(self.timeout, self.probe(started)).await {
            Ok(outcome) => outcome,
            Err(_) => {
                Outcome::fail(format!("{} did not answer within {}", self.address, format_duration(self.timeout)))
            }
        }
    }

    async fn probe(&self, started: Instant) -> Outcome {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout));
        let mut connection = match self.client.get_multiplexed_async_connection_with_config(&config).await {
            Ok(connection) => connection,
            Err(error) => return Outcome::fail(format!("{}: {}", self.address, describe(&error))),
        };
        match query::<String>(&mut connection, &["PING"]).await {
            Ok(pong) if pong == "PONG" => {}
            Ok(other) => return Outcome::fail(format!("{} answered PING with {other:?}", self.address)),
            Err(error) => return Outcome::fail(format!("{}: PING: {}", self.address, describe(&error))),
        }
        let latency = started.elapsed();
        let replication = match query::<String>(&mut connection, &["INFO", "replication"]).await {
            Ok(text) => Info(text),
            Err(error) => return Outcome::fail(format!("{}: INFO replication: {}", self.address, describe(&error))),
        };
        let persistence = query::<String>(&mut connection, &["INFO", "persistence"]).await.map(Info).ok();
        // `CONFIG` is often renamed away on managed servers: then RDB's schedule is unknown.
        let save = query::<Vec<String>>(&mut connection, &["CONFIG", "GET", "save"])
            .await
            .ok()
            .and_then(|pair| pair.get(1).cloned());
        self.judge(latency, &replication, persistence.as_ref(), save.as_deref())
    }

    fn judge(&self, latency: Duration, replication: &Info, persistence: Option<&Info>, save: Option<&str>) -> Outcome {
        let role = match replication.get("role") {
            Some("master") => "primary",
            Some("slave") => "replica",
            _ => "of unknown role",
        };
        let replicas: u32 = replication.get("connected_slaves").and_then(|n| n.parse().ok()).unwrap_or(0);
        let aof = persistence.and_then(|info| info.get("aof_enabled")) == Some("1");
        let rdb = save.map(|save| !save.trim().is_empty());
        let persists = match (aof, rdb) {
            (true, _) => "AOF on".to_owned(),
            (false, Some(true)) => format!("RDB snapshots ({})", save.unwrap_or_default().trim()),
            (false, Some(false)) => "nothing: AOF off and no RDB snapshots".to_owned(),
            (false, None) => "AOF off; RDB snapshots unknown (CONFIG is not available)".to_owned(),
        };
        let summary = format!(
            "{}: PONG in {:.1} ms; a {role} with {replicas} connected replica{}; persists {persists}",
            self.address,
            latency.as_secs_f64() * 1000.0,
            if replicas == 1 { "" } else { "s" }
        );
        let outcome = if self.primary && role != "primary" {
            Outcome::fail(format!(
                "{summary} — a {role} where a primary is required: writes would be refused (READONLY)"
            ))
        } else if replicas < self.min_replicas {
            Outcome::fail(format!(
                "{summary} — {replicas} of the {} replicas required are connected",
                self.min_replicas
            ))
        } else if self.persistence && !aof && rdb != Some(true) {
            Outcome::fail(format!("{summary} — persistence is required: a restart loses what it holds"))
        } else {
            Outcome::pass().with_output(summary)
        };
        let mut outcome = outcome
            .observed((latency.as_secs_f64() * 1000.0 * 10.0).round() / 10.0, "ms")
            .evidence("role", role)
            .evidence("connected_replicas", replicas)
            .evidence("aof_enabled", aof);
        if let Some(save) = save {
            outcome = outcome.evidence("rdb_save", save.trim());
        }
        if let Some(status) = persistence.and_then(|info| info.get("rdb_last_bgsave_status")) {
            outcome = outcome.evidence("rdb_last_bgsave_status", status);
        }
        if let Some(time) = persistence.and_then(|info| info.get("rdb_last_save_time")) {
            outcome = outcome.evidence("rdb_last_save_time", time);
        }
        outcome
    }
}

impl fmt::Debug for RedisCheck {
    /// The address and settings: never the URL, which may hold a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCheck")
            .field("address", &self.address)
            .field("timeout", &self.timeout)
            .field("primary", &self.primary)
            .field("min_replicas", &self.min_replicas)
            .field("persistence", &self.persistence)
            .finish()
    }
}

impl From<RedisCheck> for CheckRegistration {
    fn from(check: RedisCheck) -> Self {
        let mut spec = CheckSpec::new("redis:ping")
            .control("performance.scalability.caching")
            .timeout(check.timeout + Duration::from_millis(50))
            .description("Redis answers PING in time, with the role, replicas and persistence the service needs");
        if check.persistence {
            spec = spec.control("reliability.backup.automated");
        }
        let check = std::sync::Arc::new(check);
        CheckRegistration::new(
            spec,
            check_fn(move |_| {
                let check = std::sync::Arc::clone(&check);
                async move { check.run().await }
            }),
        )
    }
}

async fn query<T: redis::FromRedisValue>(
    connection: &mut MultiplexedConnection,
    args: &[&str],
) -> redis::RedisResult<T> {
    let mut command = redis::cmd(args[0]);
    for arg in &args[1..] {
        command.arg(*arg);
    }
    command.query_async(connection).await
}

/// What went wrong, in words that say what to fix.
fn describe(error: &RedisError) -> String {
    if error.is_connection_refusal() {
        return "connection refused: is the server running, on that port?".to_owned();
    }
    if matches!(error.kind(), ErrorKind::AuthenticationFailed) || error.code() == Some("WRONGPASS") {
        return "authentication refused: the user or password in the URL is wrong".to_owned();
    }
    if error.code() == Some("NOAUTH") {
        return "the server requires a password the URL does not give".to_owned();
    }
    if error.detail().is_some_and(|detail| detail.contains("without any password configured")) {
        return "the URL gives a password, but the server has none configured: the server is not the one meant, or is unprotected".to_owned();
    }
    if error.is_timeout() {
        return "no answer in time".to_owned();
    }
    error.to_string()
}

/// The password of a `redis://user:password@host` URL.
fn password_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (info, _) = authority.rsplit_once('@')?;
    let (_, password) = info.split_once(':')?;
    let decoded = percent_encoding::percent_decode_str(password).decode_utf8_lossy().into_owned();
    (!decoded.is_empty()).then_some(decoded)
}

/// The `key:value` lines of an `INFO` section.
struct Info(String);

impl Info {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.lines().find_map(|line| line.trim_end().strip_prefix(key)?.strip_prefix(':'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_of_a_url_is_found_for_masking() {
        assert_eq!(password_of("redis://:s3cr%40t@h:6379/0").as_deref(), Some("s3cr@t"));
        assert_eq!(password_of("redis://app:pw@h").as_deref(), Some("pw"));
        assert_eq!(password_of("redis://h:6379"), None);
        assert_eq!(password_of("redis://app@h"), None);
    }

    #[test]
    fn info_lines_are_read_by_key() {
        let info = Info("# Replication\r\nrole:master\r\nconnected_slaves:2\r\n".to_owned());
        assert_eq!(info.get("role"), Some("master"));
        assert_eq!(info.get("connected_slaves"), Some("2"));
        assert_eq!(info.get("connected"), None);
    }
}
