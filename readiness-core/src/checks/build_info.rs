//! The build check, for `operations.deployment.ci-cd`: the running binary was built by a CI
//! system from a known commit, and from that commit alone. It reads nothing at run time, so it
//! needs no feature; the facts are a [`BuildInfo`], best captured while the service compiles
//! with `build_info!()` (feature `macros`), which reads the commit (`GIT_COMMIT`, `GITHUB_SHA`…
//! or `git rev-parse HEAD`), the CI marker (`GITHUB_ACTIONS`, `GITLAB_CI`… or `CI=true`), the
//! compiler version, and whether the working tree was dirty (`GIT_DIRTY`, or `git status
//! --porcelain --untracked-files=no` not empty).
//!
//! | check | control | passes when | warns when | fails when |
//! |---|---|---|---|---|
//! | [`build_info_check`] (`build:info`) | `operations.deployment.ci-cd` | a commit and a CI marker were captured at compile time and the working tree was clean; the commit, CI system, compiler, profile and tree state as evidence | "cannot tell": a CI build of a commit whose tree state is unknown (no `.git` in the build, no `GIT_DIRTY`); the output says how to record it | no commit or no CI marker was captured (a blank value counts as none): a local build of a commit, a CI build outside a git checkout, or neither; or the tree had uncommitted changes to tracked files (a **dirty** build is not a reproducible build of the commit it names, even from CI); the output says which and how to fix it |
//!
//! A dirty build fails rather than warns: the commit it reports is not what was compiled, so
//! nothing about the commit (its review, its pipeline) holds for the binary.
//!
//! ```
//! use readiness_core::{BuildInfo, Readiness, Status, checks::build_info::build_info_check};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // In a service: `let build = readiness_core::build_info!();`
//! let build = BuildInfo {
//!     commit: Some("3bf20240c0ffee3bf20240c0ffee3bf20240c0ff".into()),
//!     ci: Some("github-actions".into()),
//!     rustc: Some("rustc 1.85.0 (4d91de4e4 2025-02-17)".into()),
//!     profile: Some("release".into()),
//!     dirty: Some(false),
//! };
//! let readiness = readiness_core::testing::builder()
//!     .build_info(build.clone())
//!     .register(build_info_check(build.clone()))
//!     .build()?;
//! let report = readiness.readiness().await;
//! assert_eq!(report.status, Status::Pass);
//! assert_eq!(report.checks[0].outcome.evidence["ci"], "github-actions");
//!
//! let dirty = BuildInfo { dirty: Some(true), ..build };
//! let outcome = readiness_core::testing::run_check(build_info_check(dirty)).await.outcome;
//! assert_eq!(outcome.status, Status::Fail);
//!
//! let unknown = readiness_core::testing::builder()
//!     .register(build_info_check(BuildInfo::default()))
//!     .build()?;
//! let outcome = &unknown.readiness().await.checks[0].outcome;
//! assert_eq!(outcome.status, Status::Fail);
//! # Ok(()) }
//! ```

use std::time::Duration;

use crate::check::check_fn;
use crate::outcome::Outcome;
use crate::report::BuildInfo;
use crate::spec::{CheckRegistration, CheckSpec};

/// The build check (`build:info`): passes when `build` names a commit and a CI system and the
/// tree was clean, warns ("cannot tell") when the tree state is unknown, fails naming what is
/// missing or that the tree was dirty, and how to fix it. The evidence holds the commit, CI
/// system, compiler, profile (`none` for what is unknown) and `dirty` (`true`, `false` or
/// `unknown`). The facts never change while the process runs, so
/// the outcome is worked out once and cached for an hour between reports.
pub fn build_info_check(build: BuildInfo) -> CheckRegistration {
    let spec = CheckSpec::new("build:info")
        .control("operations.deployment.ci-cd")
        .component_type("component")
        .ttl(Duration::from_secs(3600))
        .description("the binary was built by CI from a known commit");
    let outcome = judge_build(&build);
    CheckRegistration::new(
        spec,
        check_fn(move |_| {
            let outcome = outcome.clone();
            async move { outcome }
        }),
    )
}

/// A value that is present and not blank.
fn present(value: Option<&String>) -> Option<&str> {
    value.map(|value| value.trim()).filter(|value| !value.is_empty())
}

fn judge_build(build: &BuildInfo) -> Outcome {
    let commit = present(build.commit.as_ref());
    let ci = present(build.ci.as_ref());
    let rustc = present(build.rustc.as_ref());
    let profile = present(build.profile.as_ref());
    const DIRTY: &str = "the working tree had uncommitted changes to tracked files at compile time";
    const CLEAN_FIX: &str = "commit or revert them and build from a clean checkout (`git status --porcelain` empty)";
    let dirty = |text: &str| match build.dirty {
        Some(true) => format!("{text}; and {DIRTY}"),
        _ => text.to_owned(),
    };
    let outcome = match (commit, ci) {
        (Some(commit), Some(ci)) => {
            let short = commit.get(..12).unwrap_or(commit);
            let mut text = format!("built by {ci} from commit {short}");
            if let Some(rustc) = rustc {
                text.push_str(&format!(" with {rustc}"));
            }
            if let Some(profile) = profile {
                text.push_str(&format!(" ({profile} profile)"));
            }
            match build.dirty {
                Some(false) => Outcome::pass().with_output(text),
                Some(true) => Outcome::fail(format!(
                    "{text}, but {DIRTY}: not a reproducible build of commit {short}; {CLEAN_FIX}"
                )),
                None => Outcome::cannot_tell(
                    format!("whether the working tree was clean when {text}"),
                    "build from the git checkout, or set GIT_DIRTY=false in the build environment when \
                     `git status --porcelain --untracked-files=no` is empty (GIT_DIRTY=true otherwise)",
                ),
            }
        }
        (None, None) => Outcome::fail(dirty(
            "not built by CI from a known commit: no CI marker and no commit at compile time; build in CI \
             (CI=true) from a git checkout, or set GIT_COMMIT",
        )),
        (Some(_), None) => {
            Outcome::fail(dirty("not built by CI: no CI marker at compile time; build in CI with CI=true"))
        }
        (None, Some(ci)) => Outcome::fail(dirty(&format!(
            "built by {ci} but no commit was captured at compile time; build from a git checkout or set GIT_COMMIT"
        ))),
    };
    let or_none = |value: Option<&str>| value.unwrap_or("none").to_owned();
    let dirty = match build.dirty {
        Some(dirty) => dirty.to_string(),
        None => "unknown".to_owned(),
    };
    outcome
        .evidence("commit", or_none(commit))
        .evidence("ci", or_none(ci))
        .evidence("rustc", or_none(rustc))
        .evidence("profile", or_none(profile))
        .evidence("dirty", dirty)
}
