//! The build check (`build:info`, `operations.deployment.ci-cd`) passing on a CI build of a
//! commit and failing on what is missing, and `build_info!()` capturing this very checkout and
//! compiler while this test crate compiled.

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
    assert_eq!(evidence, serde_json::json!({"commit": "none", "ci": "none", "rustc": "none", "profile": "none"}));

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
            println!("SKIPPED: git cannot run here ({error}); captured commit {commit:?}");
        }
        Ok(output) if !output.status.success() => {
            println!("SKIPPED: {} is not a git checkout; captured commit {commit:?}", env!("CARGO_MANIFEST_DIR"));
        }
        Ok(output) => {
            let head = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            assert_eq!(commit, Some(head.as_str()), "build_info!() captures `git rev-parse HEAD`");
        }
    }
}
