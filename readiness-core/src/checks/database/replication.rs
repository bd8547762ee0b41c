//! `db:replication`: a primary has enough physical standbys streaming and replaying close behind
//! it, or the server is a standby itself.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use readiness_rules::format_duration;

use super::session::{PostgresPool, bool_column, column, number_column, one_row};

use crate::check::check_fn;
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

/// How far behind the primary a standby may replay and still count as a replica unless
/// [`ReplicationCheck::max_replay_lag`] sets another limit: 30 s (`pg_stat_replication.replay_lag`).
pub const DEFAULT_MAX_REPLAY_LAG: Duration = Duration::from_secs(30);

/// The replication check (`db:replication`) with its options; [`postgres_replication`] builds it
/// with the default replay-lag limit. Register it as it is:
/// `builder.register(ReplicationCheck::new(pool, 1).max_replay_lag(Duration::from_secs(5)))`.
///
/// A replica is a row of `pg_stat_replication` that streams (`state = 'streaming'`), is physical
/// (not a logical-decoding walsender: no database, no logical slot), replays what it receives (a
/// `replay_lsn`: `pg_receivewal` and `pg_basebackup` only store WAL) and replays at most
/// `max_replay_lag` behind. Every other row is listed as not counted, with the reason.
///
/// [`postgres_replication`]: super::postgres_replication
pub struct ReplicationCheck {
    /// Reads the replication state through the pool given to [`ReplicationCheck::new`].
    observe: Arc<dyn Fn() -> BoxFuture<'static, Result<Facts, String>> + Send + Sync>,
    min_replicas: u32,
    max_replay_lag: Duration,
}

impl ReplicationCheck {
    /// At least `min_replicas` replicas, replaying at most [`DEFAULT_MAX_REPLAY_LAG`] behind,
    /// read through `pool` (any [`PostgresPool`]).
    pub fn new(pool: impl PostgresPool, min_replicas: u32) -> Self {
        let observe = Arc::new(move || -> BoxFuture<'static, Result<Facts, String>> {
            let pool = pool.clone();
            Box::pin(async move { observe(&pool).await })
        });
        Self { observe, min_replicas, max_replay_lag: DEFAULT_MAX_REPLAY_LAG }
    }

    /// How far behind a standby may replay (`pg_stat_replication.replay_lag`) and still count.
    #[must_use]
    pub fn max_replay_lag(mut self, lag: Duration) -> Self {
        self.max_replay_lag = lag;
        self
    }
}

impl fmt::Debug for ReplicationCheck {
    /// The settings only: the pool's connect options may hold a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplicationCheck")
            .field("min_replicas", &self.min_replicas)
            .field("max_replay_lag", &self.max_replay_lag)
            .finish_non_exhaustive()
    }
}

/// One row of `pg_stat_replication`, as the check reads it.
struct Sender {
    application_name: Option<String>,
    state: Option<String>,
    logical: bool,
    replays: bool,
    lag_seconds: Option<f64>,
    lag_bytes: Option<f64>,
}

/// Every walsender with what tells a replica from a WAL receiver or a logical decoder.
const SENDERS: &str = "SELECT r.application_name::text, r.state::text, \
     (a.datid IS NOT NULL OR coalesce(s.slot_type = 'logical', false))::text, \
     (r.replay_lsn IS NOT NULL)::text, \
     extract(epoch FROM r.replay_lag)::float8::text, \
     pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn)::float8::text \
     FROM pg_stat_replication r \
     LEFT JOIN pg_stat_activity a ON a.pid = r.pid \
     LEFT JOIN pg_replication_slots s ON s.active_pid = r.pid \
     ORDER BY r.pid";

enum Facts {
    Standby,
    /// The role cannot see the details of `pg_stat_replication`.
    Hidden(String),
    Primary(Vec<Sender>),
}

async fn observe(pool: &impl PostgresPool) -> Result<Facts, String> {
    let row = one_row(
        pool.text_rows(
            "SELECT pg_is_in_recovery()::text, current_user::text, pg_has_role('pg_read_all_stats', 'USAGE')::text",
            &[],
        )
        .await,
        "pg_is_in_recovery()",
    )?;
    let role = column(&row, 1).unwrap_or_default().to_owned();
    if bool_column(&row, 0) {
        return Ok(Facts::Standby);
    }
    if !bool_column(&row, 2) {
        return Ok(Facts::Hidden(role));
    }
    let senders: Vec<Sender> = pool
        .text_rows(SENDERS, &[])
        .await?
        .iter()
        .map(|row| Sender {
            application_name: column(row, 0).map(str::to_owned),
            state: column(row, 1).map(str::to_owned),
            logical: bool_column(row, 2),
            replays: bool_column(row, 3),
            lag_seconds: number_column(row, 4),
            lag_bytes: number_column(row, 5),
        })
        .collect();
    // Rows whose details are hidden (a permission this role lost after the first query).
    if senders.iter().any(|sender| sender.state.is_none()) {
        return Ok(Facts::Hidden(role));
    }
    Ok(Facts::Primary(senders))
}

fn judge(facts: Result<Facts, String>, min_replicas: u32, max_replay_lag: Duration) -> Outcome {
    if min_replicas == 0 {
        // Zero replicas is always enough: such a check proves no replication at all.
        return Outcome::cannot_tell(
            "a minimum of 0 replicas is met by any server",
            "ask for at least 1 replica (`postgres_replication(pool, 1)`)",
        );
    }
    let senders = match facts {
        Err(error) => return Outcome::fail(format!("cannot read the replication state: {error}")),
        Ok(Facts::Standby) => {
            return Outcome::pass().with_output("this server is a standby replica").evidence("role", "standby");
        }
        Ok(Facts::Hidden(role)) if min_replicas > 0 => {
            return Outcome::cannot_tell(
                format!(
                    "the role `{role}` cannot see the replication state (pg_stat_replication shows the details of \
                     other sessions only to members of pg_read_all_stats)"
                ),
                format!("grant pg_monitor to {role}"),
            )
            .evidence("role", "primary");
        }
        Ok(Facts::Hidden(_)) => Vec::new(),
        Ok(Facts::Primary(senders)) => senders,
    };
    let limit = max_replay_lag.as_secs_f64();
    let mut counted = 0_i64;
    let mut worst_lag = 0.0_f64;
    let mut worst_bytes = 0.0_f64;
    let mut not_counted = Vec::new();
    for sender in &senders {
        let name =
            sender.application_name.as_deref().filter(|name| !name.is_empty()).unwrap_or("(no application_name)");
        let lag = sender.lag_seconds.unwrap_or(0.0);
        let state = sender.state.as_deref().unwrap_or("unknown");
        let reason = if state != "streaming" {
            Some(format!("state {state}"))
        } else if sender.logical {
            Some("logical decoding, not a copy of this server".to_owned())
        } else if !sender.replays {
            Some("receives WAL but replays none, as pg_receivewal does".to_owned())
        } else if lag > limit {
            Some(format!("replays {lag:.1} s behind, over the {} limit", format_duration(max_replay_lag)))
        } else {
            None
        };
        match reason {
            Some(reason) => not_counted.push(format!("`{name}` ({reason})")),
            None => {
                counted += 1;
                worst_lag = worst_lag.max(lag);
                worst_bytes = worst_bytes.max(sender.lag_bytes.unwrap_or(0.0));
            }
        }
    }
    let mut output = format!("{counted} streaming replica(s)");
    let enough = counted >= i64::from(min_replicas);
    if !enough {
        output.push_str(&format!(", want at least {min_replicas}"));
    }
    if !not_counted.is_empty() {
        output.push_str(&format!("; not counted: {}", not_counted.join(", ")));
    }
    let outcome = if enough { Outcome::pass().with_output(output) } else { Outcome::fail(output) };
    outcome
        .observed(counted, "replicas")
        .evidence("role", "primary")
        .evidence("not_counted", not_counted.len())
        .evidence("max_replay_lag", format_duration(max_replay_lag))
        .evidence("replay_lag_s", format!("{worst_lag:.3}"))
        .evidence("replay_lag_bytes", format!("{worst_bytes:.0}"))
}

impl From<ReplicationCheck> for CheckRegistration {
    fn from(check: ReplicationCheck) -> Self {
        let ReplicationCheck { observe, min_replicas, max_replay_lag } = check;
        let spec = CheckSpec::new("db:replication")
            .control("reliability.availability.db-replication")
            .component_type("datastore")
            .description(format!(
                "at least {min_replicas} streaming replica(s) replaying within {}, or a standby",
                format_duration(max_replay_lag)
            ));
        CheckRegistration::new(
            spec,
            check_fn(move |_| {
                let facts = observe();
                async move { judge(facts.await, min_replicas, max_replay_lag) }
            }),
        )
    }
}

/// The replication check (`db:replication`): at least `min_replicas` physical standbys streaming
/// and replaying within [`DEFAULT_MAX_REPLAY_LAG`], or the server is a standby itself. See
/// [`ReplicationCheck`] and the [module docs](super).
pub fn postgres_replication(pool: impl PostgresPool, min_replicas: u32) -> CheckRegistration {
    ReplicationCheck::new(pool, min_replicas).into()
}
