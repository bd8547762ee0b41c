//! **readiness**: a service attests its own production readiness.
//!
//! A production-readiness checklist is usually a document someone ticks by hand once. Here the
//! service carries it: it **declares** in code which items it implements, **verifies** at run
//! time what a program can verify, records **attestations** by people for the rest, and
//! **serves** the result to orchestrators, people and auditors (HTTP in `readiness-axum`).
//!
//! ```
//! use std::time::Duration;
//! use readiness_core::output::{Disclosure, health_json};
//! use readiness_core::{CheckSpec, MissingState, Outcome, Readiness, control};
//!
//! // 1. Declare: this item implements a control; the checklist links the control to it.
//! #[control("security.network.headers", evidence = "SetResponseHeaderLayer: HSTS, CSP, nosniff")]
//! fn security_layers() {}
//!
//! // 3. Attest: what only people can prove, with evidence and a validity (checked at compile time).
//! readiness_core::attestations! {
//!     "testing.qa.performance" => { by: "Perf team", on: "2026-11-01", valid_for: "365d",
//!                                   evidence: "https://wiki.example/load-test-2026" },
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! struct Pool { max: u32 }
//!
//! // 2. Verify: a runtime self-check bound to a control, given the state it needs.
//! let readiness = Readiness::builder()
//!     .service("orders", "1.4.2")
//!     .state(Pool { max: 10 })
//!     .check_fn(
//!         CheckSpec::new("db:connections")
//!             .control("performance.scalability.db-pooling")
//!             .critical()
//!             .timeout(Duration::from_millis(500)),
//!         |ctx| async move {
//!             let pool = ctx.state::<Pool>()?;
//!             Ok::<_, MissingState>(Outcome::pass().observed(pool.max, "connections"))
//!         },
//!     )
//!     .build()?;
//!
//! // 4. Serve: an orchestrator reads the status, people and auditors the checklist.
//! let report = readiness.readiness().await;
//! assert_eq!(report.status.http_code(), 200);
//! assert_eq!(health_json::render(&report, Disclosure::Minimal)["status"], "pass");
//!
//! let checklist = readiness.checklist().await;
//! let state = |id: &str| checklist.control(id).unwrap().attestation.as_str();
//! assert_eq!(state("performance.scalability.db-pooling"), "verified");
//! assert_eq!(state("security.network.headers"), "declared");
//! // Attested for the 365 days after `on`, expired after.
//! assert!(matches!(state("testing.qa.performance"), "attested" | "expired"));
//! # security_layers();
//! # Ok(()) }
//! ```
//!
//! # The four steps, and where each lives
//!
//! | step | how | where |
//! |---|---|---|
//! | declare | `#[control]` on the implementing item, or [`ReadinessBuilder::declare`] | [`attestation::Declaration`] |
//! | verify | `#[check]`, [`ReadinessBuilder::check_fn`], [`blocking_fn`] for a body that blocks, or a built-in from [`checks`] via [`ReadinessBuilder::register`] | [`Check`], [`CheckSpec`], [`Outcome`] |
//! | attest | `attestations!`, [`ReadinessBuilder::attest`] and [`ReadinessBuilder::waive`] | [`attestation::OperatorAttestation`], [`attestation::Waiver`] |
//! | serve | [`Readiness::readiness`], [`Readiness::checklist`]… rendered by [`output`] | [`Report`], [`output`] |
//!
//! Each control of a [`catalog`] (`osgb` and `requirements` are built in, `x.` ids need none)
//! gets one [`attestation::AttestationState`]; [`Profile`] says which are required. Secrets
//! never leave the library: every output passes through [`masking`]. Tests of checks and
//! services use [`testing`].
//!
//! # Built-in checks
//!
//! | check | control | made by | feature |
//! |---|---|---|---|
//! | `db:pool` | `performance.scalability.db-pooling` | `checks::database::postgres_pool`, `sqlite_pool` | `postgres`, `sqlite` |
//! | `db:tls` | `security.data.tls-in-transit` | `checks::database::postgres_tls` | `postgres` |
//! | `db:replication` | `reliability.availability.db-replication` | `checks::database::postgres_replication` | `postgres` |
//! | `db:archiving` | `reliability.backup.automated` | `checks::database::postgres_archiving` | `postgres` |
//! | `upstream:<name>` | none (bind one with `map_spec`) | `checks::upstream::UpstreamCheck` | `upstream` |
//! | `redis:ping` | `performance.scalability.caching` (and `reliability.backup.automated`) | `checks::redis::RedisCheck` | `redis` |
//! | `tls:certificate` | `security.data.tls-in-transit` | `checks::host::tls_certificate` | `host` |
//! | `tls:served` | `security.data.tls-in-transit` | `checks::host::tls_served`, `tls_served_with_ca` | `host` |
//! | `host:ports` | `security.network.ports` | `checks::host::listening_ports` | `host` |
//! | `host:memory` | `performance.scalability.resource-utilization` | `checks::host::memory` | `host` |
//! | `host:disk`, `host:load` | `performance.monitoring.system-resources` | `checks::host::disk_free`, `load` | `host` |
//! | `secrets:env` (`attest:<Struct>` for a derive) | `security.data.secrets` | [`checks::secrets::SecretsCheck`], `#[derive(Attest)]` | —, `macros` for the derive |
//! | `build:info` | `operations.deployment.ci-cd` | [`checks::build_info::build_info_check`] with `build_info!()` | —, `macros` for `build_info!()` |
//! | `logs:masking` | `security.data.log-masking` | `masking::canary_check` | `log-masking` |
//!
//! `readiness-axum` adds the HTTP self-probes (headers, CORS, rate limit, session cookie, JWT,
//! password policy), the request-metrics checks and the shutdown check.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `macros` | yes | `#[control]`, `#[check]`, `#[derive(Attest)]`, `attestations!`, `build_info!()` |
//! | `log-masking` | no | the `tracing` masking writer and layer, and the canary check |
//! | `postgres` | no | the PostgreSQL checks (sqlx 0.8) |
//! | `sqlite` | no | the SQLite pool check (sqlx 0.8) |
//! | `host` | no | certificate, ports, memory, disk and load checks |
//!
//! # Runner semantics
//!
//! Checks run concurrently (at most 64 at once by default), each with a timeout (800 ms) inside a
//! report deadline (900 ms), so a report always answers within the deadline. A panicking check
//! fails alone. Results are cached for a TTL (1 s) and concurrent reports share one run. Checks
//! with an `interval` run in the background, with jitter, and reports only read their last
//! result. `fail_after`/`pass_after` damp flapping. A critical check that has not completed once
//! makes readiness fail ("not yet checked"). [`Readiness::begin_shutdown`] makes readiness fail
//! while liveness goes on passing. Every output is masked ([`masking`]) and bounded (1 KiB).

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The model.
mod assert;
pub mod attestation;
mod blocking;
pub mod catalog;
mod check;
mod outcome;
mod profile;
mod report;
mod state;

// Declaring, building and running.
mod builder;
mod plan;
mod readiness;
mod registered;
mod runner;
mod spec;

// What it produces and protects.
pub mod masking;
pub mod output;
pub mod subscription;

// The built-in checks, apart from the engine.
pub mod checks;

// For tests of checks and services.
pub mod testing;

#[doc(hidden)]
pub mod __private;

pub use blocking::{BlockingFn, blocking_fn};
pub use builder::{BuildError, BuildProblem, ReadinessBuilder};
pub use check::{BoxFuture, Check, CheckContext, CheckKind, FnCheck, Kinds, check_fn};
pub use outcome::{IntoOutcome, Outcome, Status};
pub use profile::{Profile, Standing, UnknownLevel, Unmet, Verdict, VerdictLevel};
pub use readiness::Readiness;
pub use readiness_rules::{MAX_CHECK_NAME_LEN, is_valid_check_name};
pub use report::{
    BuildInfo, CheckResult, ControlReport, Coverage, Freshness, Report, Selection, ServiceInfo, StatusChange, Timing,
};
pub use runner::UnknownCheck;
pub use spec::{CheckRegistration, CheckSpec};
pub use state::{MissingState, State};

#[cfg(feature = "macros")]
pub use readiness_macros::{Attest, attestations, build_info, check, control};

/// Asserts that a service is ready: its readiness report does not fail, and a profile — its
/// own, or the one given — is met. On failure it panics with a readable table of every unmet
/// required control (state, reason, fix) and every failing critical check.
///
/// It evaluates in process with [`Readiness::settled_checklist`], so background checks have
/// had their first run. Use it in an async test:
///
/// ```
/// use readiness_core::{Profile, assert_ready};
/// use readiness_core::attestation::Declaration;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let readiness = readiness_core::testing::builder()
///     .declare(Declaration::new("security.data.secrets", "from the environment, see config.rs"))
///     .profile(Profile::new("secrets").require_control("security.data.secrets"))
///     .build()
///     .unwrap();
/// assert_ready!(readiness);
///
/// let stricter = Profile::new("stricter").require_group("security.data");
/// let failure = tokio::spawn(async move { assert_ready!(readiness, stricter) }).await.unwrap_err();
/// let message = failure.into_panic().downcast::<String>().unwrap();
/// assert!(message.contains("profile `stricter` not met: 1 of 5 required controls satisfied"), "{message}");
/// assert!(message.contains("security.data.log-masking"), "{message}");
/// # }
/// ```
#[macro_export]
macro_rules! assert_ready {
    ($readiness:expr $(,)?) => {
        if let ::core::result::Result::Err(unready) = $crate::__private::evaluate_ready(
            <_ as ::core::borrow::Borrow<$crate::Readiness>>::borrow(&$readiness),
            ::core::option::Option::None,
        )
        .await
        {
            ::core::panic!("{}", unready);
        }
    };
    ($readiness:expr, $profile:expr $(,)?) => {
        if let ::core::result::Result::Err(unready) = $crate::__private::evaluate_ready(
            <_ as ::core::borrow::Borrow<$crate::Readiness>>::borrow(&$readiness),
            ::core::option::Option::Some(<_ as ::core::borrow::Borrow<$crate::Profile>>::borrow(&$profile)),
        )
        .await
        {
            ::core::panic!("{}", unready);
        }
    };
}
