//! Procedural macros of [readiness](https://docs.rs/readiness-core): declare controls, checks,
//! self-attesting configuration and operator attestations in code.
//!
//! Use them through `readiness-core` (its default `macros` feature re-exports them):
//!
//! ```
//! use readiness_core::{Outcome, Readiness, State, check, control};
//!
//! #[control("security.auth.rate-limiting", evidence = "GovernorLayer: 50 req/s per client IP")]
//! fn api_routes() {}
//!
//! struct Pool { size: u32 }
//!
//! #[check(name = "db:pool", controls("performance.scalability.db-pooling"), critical, timeout = "500ms")]
//! async fn db_pool(pool: State<Pool>) -> Outcome {
//!     Outcome::pass().observed(pool.size, "connections")
//! }
//!
//! readiness_core::attestations! {
//!     "testing.qa.performance" => { by: "Perf team", on: "2026-10-01", valid_for: "180d",
//!                                   evidence: "https://wiki.example/load-test-2026" },
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let readiness = Readiness::builder().state(Pool { size: 8 }).build().unwrap();
//! let report = readiness.checklist().await;
//! assert_eq!(report.check("db:pool").unwrap().outcome.observed_value, Some(8.into()));
//! assert_eq!(report.control("security.auth.rate-limiting").unwrap().attestation.as_str(), "declared");
//! # api_routes();
//! # }
//! ```
//!
//! Every mistake is a compile error pointing at the offending token, and every mistake of an
//! invocation is reported at once; the item itself is still emitted, so one mistake gives one
//! error. Generated code names only `::readiness_core::__private`; for a renamed dependency,
//! pass `crate = "path"` (`#[control(…, crate = "core2")]`, `#[check(…, crate = "core2")]`,
//! `#[attest(crate = "core2")]`, `attestations! { crate = core2; … }`).
//!
//! # Control ids
//!
//! Ids are checked against the built-in catalogs (`osgb`, `requirements`). Ad-hoc controls go in
//! the `x.` namespace (`x.orders.idempotency`), accepted everywhere without a catalog. Controls
//! of a catalog the service adds at runtime are named with `catalog = "…"` on `#[control]`;
//! `Readiness::builder().build()` then checks them against the catalogs given to it.

mod attest;
mod attestations;
mod attr;
mod build_info;
mod check;
mod control;
mod emit;
mod valid;

use proc_macro::TokenStream;

/// Declares that the item implements a control. The item is left unchanged; the declaration is
/// registered with its file, line, column and module path, so the checklist links the control
/// to this code (attestation `declared`, unless a bound check decides).
///
/// Keys:
/// - the control id, first (required): a built-in id, an `x.` id, or an id of a user catalog
///   together with `catalog = "name"`;
/// - `evidence = "…"` (required): how this item implements the control;
/// - `catalog = "name"`: the id belongs to a catalog added with `ReadinessBuilder::catalog`;
/// - `crate = "path"`: where `readiness_core` is, when renamed.
///
/// It works on items and on the associated fns of inherent impls (`impl Db { #[control(…)] fn
/// connect() … }`); on a method of a trait impl, put it on the `impl` block instead.
///
/// Repeat the attribute for several controls:
///
/// ```
/// use readiness_core::control;
///
/// #[control("security.network.headers", evidence = "SetResponseHeaderLayer: HSTS, CSP, nosniff")]
/// #[control("security.network.cors", evidence = "CorsLayer with an allow-list of origins")]
/// pub fn layers() {}
///
/// #[control("x.orders.idempotency", evidence = "Idempotency-Key header, 24 h window")]
/// pub struct IdempotencyStore;
/// # fn main() {}
/// ```
///
/// Mistakes are compile errors:
///
/// ```compile_fail
/// #[readiness_core::control("security.auth.jwt", evidence = "jsonwebtoken")] // unknown id
/// fn verify() {}
/// # fn main() {}
/// ```
///
/// ```compile_fail
/// #[readiness_core::control("security.auth.rbac")] // missing evidence
/// fn authorize() {}
/// # fn main() {}
/// ```
#[proc_macro_attribute]
pub fn control(args: TokenStream, item: TokenStream) -> TokenStream {
    control::expand(args.into(), item.into()).into()
}

/// Registers an `async fn` as a runtime self-check.
///
/// The function returns `Outcome` or `Result<Outcome, E>` with `E: Display` (an error is a
/// failing outcome). Its arguments are `State<T>`, looked up by type in the builder's state
/// (`ReadinessBuilder::state`), or `CheckContext`. A missing state value makes the check fail
/// with a message naming the type; it never panics. The function itself is left unchanged.
///
/// Keys:
/// - `name = "component:measurement"` (required);
/// - `controls("id", …)`: the controls the check proves;
/// - `kinds(readiness, liveness, startup)`: default `readiness`;
/// - `critical`: a failure fails readiness (otherwise it only warns);
/// - `timeout = "500ms"`, `ttl = "5s"`: per-run timeout and cache lifetime;
/// - `interval = "10s"`, `initial_delay = "2s"`: run in the background;
/// - `fail_after = 3`, `pass_after = 2`: flap damping;
/// - `component_type = "datastore"`, `description = "…"`;
/// - `crate = "path"`.
///
/// ```
/// use readiness_core::{CheckContext, Outcome, State, check};
///
/// pub struct Queue { depth: usize }
///
/// #[check(name = "queue:depth", controls("x.orders.queue"), kinds(readiness, startup),
///         critical, timeout = "200ms", interval = "10s", fail_after = 3)]
/// async fn queue_depth(queue: State<Queue>, ctx: CheckContext) -> Result<Outcome, String> {
///     if queue.depth > 1000 {
///         return Err(format!("{}: {} messages waiting", ctx.name(), queue.depth));
///     }
///     Ok(Outcome::pass().observed(queue.depth, "messages"))
/// }
/// # fn main() {}
/// ```
///
/// ```compile_fail
/// #[readiness_core::check(name = "db:ping")]
/// fn not_async() -> readiness_core::Outcome { readiness_core::Outcome::pass() }
/// # fn main() {}
/// ```
///
/// ```compile_fail
/// #[readiness_core::check(name = "db:ping", timeout = "soon")] // bad duration
/// async fn ping() -> readiness_core::Outcome { readiness_core::Outcome::pass() }
/// # fn main() {}
/// ```
#[proc_macro_attribute]
pub fn check(args: TokenStream, item: TokenStream) -> TokenStream {
    check::expand(args.into(), item.into()).into()
}

/// Configuration that attests itself.
///
/// Generates `from_env()`, which loads every field from the environment and returns an error
/// listing every problem at once; a `Debug` that prints `[REDACTED]` for secrets; registration
/// of every loaded secret with the log masker; and a critical check (named `attest:<Struct>`
/// unless `name` says otherwise) that proves the struct's control — `security.data.secrets`
/// unless `control` says otherwise — from the last load: each secret present, from the
/// environment or a `NAME_FILE` others cannot read, not a placeholder, long and random enough.
///
/// Struct keys (`#[attest(…)]` on the struct): `control = "id"`, `name = "check:name"`,
/// `crate = "path"`.
///
/// Field keys (`#[attest(…)]` on each field):
/// - `env = "NAME"` (required): the variable;
/// - `secret`: the field is `SecretString` (or `Option<SecretString>` when optional);
/// - `file`: `NAME_FILE` may name a file holding the value instead;
/// - `min_len = 32`: minimum length of a secret;
/// - `default = "…"`: used when the variable is unset (not allowed with `secret`).
///
/// Other fields are parsed with `FromStr`; `Option<T>` fields are optional.
///
/// ```
/// use readiness_core::Attest;
/// use readiness_core::checks::secrets::SecretString;
///
/// #[derive(Attest)]
/// #[attest(control = "security.data.secrets", name = "secrets:config")]
/// pub struct Config {
///     #[attest(env = "DOC_JWT_SECRET", secret, file, min_len = 32)]
///     jwt_secret: SecretString,
///     #[attest(env = "DOC_PORT", default = "8080")]
///     port: u16,
///     #[attest(env = "DOC_API_TOKEN", secret)]
///     api_token: Option<SecretString>,
/// }
///
/// let error = Config::from_env().unwrap_err();
/// assert_eq!(error.problems.len(), 1);
/// assert!(error.to_string().contains("DOC_JWT_SECRET is not set"));
/// ```
///
/// ```compile_fail
/// #[derive(readiness_core::Attest)]
/// struct Config {
///     #[attest(env = "TOKEN", secret, default = "abc")] // a secret with a default
///     token: readiness_core::checks::secrets::SecretString,
/// }
/// # fn main() {}
/// ```
#[proc_macro_derive(Attest, attributes(attest))]
pub fn derive_attest(input: TokenStream) -> TokenStream {
    attest::expand(input.into()).into()
}

/// Operator attestations and waivers: what only people can prove, with evidence and expiry,
/// validated at compile time.
///
/// Each entry is `"control id" => { by: "…", on: "YYYY-MM-DD", valid_for: "365d", evidence:
/// "…" }` (attested until `on + valid_for`, then `expired`) or `"control id" => waived {
/// reason: "…", until: "YYYY-MM-DD" }` (waived through `until`, then `expired`). Unknown ids,
/// malformed dates or durations, an attestation dated after today, unknown, duplicate or missing
/// keys, and a control listed twice are compile errors. At run time `build()` also refuses a
/// validity over 400 days (`ReadinessBuilder::max_attestation_validity` changes the cap). Start
/// with `crate = path;` for a renamed dependency.
///
/// ```
/// readiness_core::attestations! {
///     "testing.qa.security" => { by: "AppSec", on: "2026-09-14", valid_for: "365d",
///                                evidence: "https://wiki.example/pentest-2026" },
///     "security.network.ddos" => waived { reason: "internal-only service", until: "2027-03-01" },
/// }
/// # fn main() {}
/// ```
///
/// ```compile_fail
/// readiness_core::attestations! {
///     "testing.qa.security" => { by: "AppSec", on: "2026-13-01", valid_for: "365d", evidence: "…" },
/// }
/// # fn main() {}
/// ```
#[proc_macro]
pub fn attestations(input: TokenStream) -> TokenStream {
    attestations::expand(input.into()).into()
}

/// The build's facts, captured while the calling crate compiles: a
/// `readiness_core::BuildInfo` for `ReadinessBuilder::build_info` and for the
/// `operations.deployment.ci-cd` check (`readiness_core::checks::build_info::build_info_check`).
///
/// - `commit`: the first non-empty of `GIT_COMMIT`, `GITHUB_SHA`, `CI_COMMIT_SHA`,
///   `BUILDKITE_COMMIT`, `CIRCLE_SHA1`, `TRAVIS_COMMIT`, `BUILD_SOURCEVERSION`,
///   `BITBUCKET_COMMIT`, `DRONE_COMMIT_SHA`, `CODEBUILD_RESOLVED_SOURCE_VERSION`,
///   `APPVEYOR_REPO_COMMIT`, `SOURCE_VERSION`; else `git rev-parse HEAD` in the crate's
///   directory; else the commit `cargo package` recorded; else `None` (never an error).
/// - `ci`: the CI system, from the first of its variables set to something other than
///   `false`/`0`/`no`: `GITHUB_ACTIONS` → `github-actions`, `GITLAB_CI` → `gitlab`,
///   `BUILDKITE`, `CIRCLECI`, `TRAVIS`, `JENKINS_URL` → `jenkins`, `TF_BUILD` →
///   `azure-pipelines`, `TEAMCITY_VERSION` → `teamcity`, `BITBUCKET_BUILD_NUMBER` → `bitbucket`,
///   `DRONE`, `WOODPECKER`, `CODEBUILD_BUILD_ID` → `aws-codebuild`, `APPVEYOR`, and last the
///   generic `CI` (`CI=true`) → `ci`.
/// - `rustc`: the compiler's `--version` line (`rustc 1.85.0 (…)`).
/// - `profile`: `debug` when the crate is compiled with debug assertions, else `release`.
/// - `dirty`: whether the working tree had uncommitted changes to tracked files.
///   `GIT_DIRTY` decides when set (`true`/`1`/`yes`/`dirty` → `Some(true)`,
///   `false`/`0`/`no`/`clean` → `Some(false)`; for a CI system that exports it, or a build
///   without the `.git` directory); else `git status --porcelain --untracked-files=no` in the
///   crate's checkout (`Some(true)` when it lists anything; untracked files do not count, and it
///   runs with `--no-optional-locks` so it never rewrites the index); else the `"dirty": true`
///   that `cargo package --allow-dirty` records in `.cargo_vcs_info.json`; else `None` (unknown).
///
/// `build:info` (`build_info_check`) **fails a dirty build**, even one from CI: the commit it
/// names is not what was compiled. An unknown tree state (`dirty: None`) is "cannot tell", a
/// warning, never a pass.
///
/// Cargo compiles the crate again when one of those variables changes or the git `HEAD` moves,
/// so the values never go stale; the tree state is the one of the crate's last compilation
/// (an edit that makes cargo compile the crate again is seen, a change elsewhere in the
/// checkout is not). No argument is taken, except `crate = path` for a renamed dependency.
///
/// ```
/// let build = readiness_core::build_info!();
/// assert!(build.rustc.as_deref().is_some_and(|rustc| rustc.starts_with("rustc ")));
/// assert_eq!(build.profile.as_deref(), Some(if cfg!(debug_assertions) { "debug" } else { "release" }));
/// // Some(false) for a clean checkout, Some(true) for a dirty one, None when it cannot be known.
/// let _dirty: Option<bool> = build.dirty;
///
/// let readiness = readiness_core::Readiness::builder()
///     .build_info(build.clone())
///     .register(readiness_core::checks::build_info::build_info_check(build))
///     .build()
///     .unwrap();
/// # let _ = readiness;
/// ```
///
/// ```compile_fail
/// let build = readiness_core::build_info!(commit = "abc"); // no arguments
/// ```
#[proc_macro]
pub fn build_info(input: TokenStream) -> TokenStream {
    build_info::expand(input.into()).into()
}
