//! **readiness**: a service attests its own production readiness.
//!
//! The service declares in code which items of a production-readiness checklist it implements,
//! registers runtime self-checks that prove what a program can prove, records operator
//! attestations for what only people can prove, and serves the result for orchestrators, people
//! and auditors (see `readiness-axum` for the HTTP side).
//!
//! ```
//! use std::time::Duration;
//! use readiness_core::{CheckKind, CheckSpec, Outcome, Readiness, Selection, Status};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! struct Pool { max: u32 }
//!
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
//!             Ok::<_, readiness_core::MissingState>(Outcome::pass().observed(pool.max, "connections"))
//!         },
//!     )
//!     .build()?;
//!
//! let report = readiness.readiness().await;
//! assert_eq!(report.status, Status::Pass);
//! assert_eq!(report.status.http_code(), 200);
//!
//! let checklist = readiness.checklist().await;
//! let pooling = checklist.control("performance.scalability.db-pooling").unwrap();
//! assert_eq!(pooling.attestation.as_str(), "verified");
//! # Ok(()) }
//! ```
//!
//! # Concepts
//!
//! * A [`catalog`] is a checklist of [`Control`]s; `osgb` and `requirements` are built in.
//! * A [`Check`] proves controls at runtime and produces an [`Outcome`].
//! * Each control gets an [`AttestationState`]: verified, failing, declared, attested, expired,
//!   waived or missing.
//! * A [`Profile`] says which controls are required.
//! * A [`Report`] is one evaluation; [`output`] renders it.
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
pub mod attestation;
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

// The built-in checks, apart from the engine.
pub mod checks;

// For tests of checks and services.
pub mod testing;

#[doc(hidden)]
pub mod __private;

pub use builder::{BuildError, BuildProblem, ReadinessBuilder};
pub use check::{BoxFuture, Check, CheckContext, CheckKind, FnCheck, Kinds, check_fn};
pub use outcome::{IntoOutcome, Outcome, Status};
pub use profile::Profile;
pub use readiness::Readiness;
pub use readiness_rules::{MAX_CHECK_NAME_LEN, is_valid_check_name};
pub use report::{
    BuildInfo, CheckResult, ControlReport, Coverage, Freshness, Report, Selection, ServiceInfo, StatusChange,
};
pub use runner::UnknownCheck;
pub use spec::{CheckRegistration, CheckSpec};
pub use state::{MissingState, State};

#[cfg(feature = "macros")]
pub use readiness_macros::{Attest, attestations, build_info, check, control};
