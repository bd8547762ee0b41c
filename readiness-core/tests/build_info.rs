//! The build check (`build:info`, `operations.deployment.ci-cd`) passing on a clean CI build
//! of a commit, failing on what is missing and on a dirty tree, warning when the tree state is
//! unknown, and `build_info!()` capturing this very checkout, its tree state and compiler while
//! this test crate compiled.

mod support;

use readiness_core::checks::build_info::build_info_check;
use readiness_core::{BuildInfo, CheckRegistration, Status};

async fn run(registration: CheckRegistration) -> (Status, String, serde_json::Value) {
    let ran = support::run_one(registration).await;
    assert_eq!(ran.name, "build:info");
    (ran.status, ran.output, ran.evidence)
}

fn full() -> BuildInfo {
    BuildInfo {
        commit: Some("98145454ba784376f1956d3c4e10d70dfc83192b".into()),
        ci: Some("github-actions".into()),
        rustc: Some("rustc 1.85.0 (4d91de4e4 2025-02-17)".into()),
        profile: Some("release".into()),
        dirty: Some(false),
    }
}

#[tokio::test]
async fn build_info_check_passes_for_a_ci_build_of_a_commit() {
    let (status, output, evidence) = run(build_info_check(full())).await;
    assert_eq!(status, Status::Pass, "{output}");
    assert_eq!(
        output,
        "built by github-actions from commit 98145454ba78 with rustc 1.85.0 (4d91de4e4 2025-02-17) (release profile)"
    );
    assert_eq!(
        evidence,
        serde_json::json!({
            "commit": "98145454ba784376f1956d3c4e10d70dfc83192b",
            "ci": "github-actions",
            "rustc": "rustc 1.85.0 (4d91de4e4 2025-02-17)",
            "profile": "release",
            "dirty": "false",
        })
    );
}

#[tokio::test]
async fn build_info_check_fails_without_commit_or_ci_marker() {
    let (status, output, evidence) = run(build_info_check(BuildInfo::default())).await;
    assert_eq!(status, Status::Fail);
    assert_eq!(
        output,
        "not built by CI from a known commit: no CI marker and no commit at compile time; build in CI (CI=true) \
         from a git checkout, or set GIT_COMMIT"
    );
    assert_eq!(
        evidence,
        serde_json::json!({"commit": "none", "ci": "none", "rustc": "none", "profile": "none", "dirty": "unknown"})
    );

    // Blank values are as good as none.
    let blank = BuildInfo { commit: Some("  ".into()), ci: Some(String::new()), ..full() };
    let (status, output, _) = run(build_info_check(blank)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.starts_with("not built by CI from a known commit"), "{output}");

    let no_commit = BuildInfo { commit: None, ..full() };
    let (status, output, _) = run(build_info_check(no_commit)).await;
    assert_eq!(status, Status::Fail);
    assert_eq!(
        output,
        "built by github-actions but no commit was captured at compile time; build from a git checkout or set GIT_COMMIT"
    );
}

#[tokio::test]
async fn build_info_check_fails_for_a_commit_built_outside_ci() {
    let local = BuildInfo { ci: None, ..full() };
    let (status, output, evidence) = run(build_info_check(local)).await;
    assert_eq!(status, Status::Fail);
    assert_eq!(output, "not built by CI: no CI marker at compile time; build in CI with CI=true");
    assert_eq!(evidence["commit"], "98145454ba784376f1956d3c4e10d70dfc83192b");
    assert_eq!(evidence["ci"], "none");
}

#[tokio::test]
async fn build_info_check_fails_for_a_dirty_build_even_from_ci() {
    let dirty = BuildInfo { dirty: Some(true), ..full() };
    let (status, output, evidence) = run(build_info_check(dirty)).await;
    assert_eq!(status, Status::Fail, "{output}");
    assert_eq!(
        output,
        "built by github-actions from commit 98145454ba78 with rustc 1.85.0 (4d91de4e4 2025-02-17) (release profile), \
         but the working tree had uncommitted changes to tracked files at compile time: not a reproducible build of \
         commit 98145454ba78; commit or revert them and build from a clean checkout (`git status --porcelain` empty)"
    );
    assert_eq!(evidence["dirty"], "true");

    // A dirty local build says both what is missing and that the tree was dirty.
    let local = BuildInfo { ci: None, dirty: Some(true), ..full() };
    let (status, output, _) = run(build_info_check(local)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.starts_with("not built by CI: no CI marker") && output.contains("uncommitted changes"), "{output}");
}

#[tokio::test]
async fn build_info_check_cannot_tell_when_the_tree_state_is_unknown() {
    let unknown = BuildInfo { dirty: None, ..full() };
    let (status, output, evidence) = run(build_info_check(unknown)).await;
    assert_eq!(status, Status::Warn, "{output}");
    assert!(
        output.starts_with(
            "cannot tell: whether the working tree was clean when built by github-actions from commit 98145454ba78"
        ) && output.contains("GIT_DIRTY=false"),
        "{output}"
    );
    assert_eq!(evidence["dirty"], "unknown");
}

/// The commit variables `build_info!()` prefers to git, as they were while this crate compiled.
#[cfg(feature = "macros")]
const COMPILE_TIME_COMMIT: [Option<&str>; 12] = [
    option_env!("GIT_COMMIT"),
    option_env!("GITHUB_SHA"),
    option_env!("CI_COMMIT_SHA"),
    option_env!("BUILDKITE_COMMIT"),
    option_env!("CIRCLE_SHA1"),
    option_env!("TRAVIS_COMMIT"),
    option_env!("BUILD_SOURCEVERSION"),
    option_env!("BITBUCKET_COMMIT"),
    option_env!("DRONE_COMMIT_SHA"),
    option_env!("CODEBUILD_RESOLVED_SOURCE_VERSION"),
    option_env!("APPVEYOR_REPO_COMMIT"),
    option_env!("SOURCE_VERSION"),
];

#[cfg(feature = "macros")]
#[tokio::test]
async fn build_info_macro_captures_this_checkout_and_compiler() {
    let build = readiness_core::build_info!();

    let rustc = build.rustc.as_deref().expect("the compiler version is captured");
    assert!(rustc.starts_with("rustc "), "{rustc}");
    let running = std::process::Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("--version")
        .output()
        .ok()
        .filter(|output| output.status.success());
    if let Some(output) = running {
        let version = String::from_utf8_lossy(&output.stdout);
        // `rustc 1.85.0 (…)`: the same release as the rustc on the PATH (the toolchain running the
        // tests).
        let release = |line: &str| line.split_whitespace().nth(1).map(str::to_owned);
        assert_eq!(release(rustc), release(version.trim()), "{rustc} vs {version}");
    }

    assert_eq!(build.profile.as_deref(), Some(if cfg!(debug_assertions) { "debug" } else { "release" }));

    // The marker comes from the first CI variable set; none set means none.
    let ci_variables = [
        option_env!("GITHUB_ACTIONS"),
        option_env!("GITLAB_CI"),
        option_env!("BUILDKITE"),
        option_env!("CIRCLECI"),
        option_env!("TRAVIS"),
        option_env!("JENKINS_URL"),
        option_env!("TF_BUILD"),
        option_env!("TEAMCITY_VERSION"),
        option_env!("BITBUCKET_BUILD_NUMBER"),
        option_env!("DRONE"),
        option_env!("WOODPECKER"),
        option_env!("CODEBUILD_BUILD_ID"),
        option_env!("APPVEYOR"),
        option_env!("CI"),
    ];
    if ci_variables.iter().all(Option::is_none) {
        assert_eq!(build.ci, None);
    }
    if option_env!("GITHUB_ACTIONS") == Some("true") {
        assert_eq!(build.ci.as_deref(), Some("github-actions"));
    }
    if option_env!("CI") == Some("true") {
        assert!(build.ci.is_some(), "CI=true at compile time must give a CI marker");
    }

    // The tree state: `GIT_DIRTY` at compile time wins; else what `git status` says of this
    // checkout (the same now as when this crate compiled, unless a tracked file was edited or
    // committed since).
    match option_env!("GIT_DIRTY").map(|value| value.trim().to_ascii_lowercase()) {
        Some(value) if ["true", "1", "yes", "dirty"].contains(&value.as_str()) => assert_eq!(build.dirty, Some(true)),
        Some(value) if ["false", "0", "no", "clean"].contains(&value.as_str()) => assert_eq!(build.dirty, Some(false)),
        _ => {
            let status = std::process::Command::new("git")
                .args(["--no-optional-locks", "status", "--porcelain", "--untracked-files=no"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .stderr(std::process::Stdio::null())
                .output();
            match status {
                Ok(output) if output.status.success() => {
                    let dirty = !String::from_utf8_lossy(&output.stdout).trim().is_empty();
                    assert_eq!(build.dirty, Some(dirty), "build_info!() captures whether `git status` lists changes");
                }
                _ => {
                    assert!(std::env::var("CI").as_deref() != Ok("true"), "under CI=true this must not be skipped");
                    println!("SKIPPED: no git checkout to compare the tree state with; captured {:?}", build.dirty)
                }
            }
        }
    }

    let commit = build.commit.as_deref();
    if let Some(variable) =
        COMPILE_TIME_COMMIT.iter().flatten().map(|value| value.trim()).find(|value| !value.is_empty())
    {
        assert_eq!(commit, Some(variable), "a commit variable set at compile time wins over git");
        return;
    }
    let git = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(std::process::Stdio::null())
        .output();
    match git {
        Err(error) => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "under CI=true this must not be skipped");
            println!("SKIPPED: git cannot run here ({error}); captured commit {commit:?}");
        }
        Ok(output) if !output.status.success() => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "under CI=true this must not be skipped");
            println!("SKIPPED: {} is not a git checkout; captured commit {commit:?}", env!("CARGO_MANIFEST_DIR"));
        }
        Ok(output) => {
            let head = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            assert_eq!(commit, Some(head.as_str()), "build_info!() captures `git rev-parse HEAD`");
        }
    }
}
