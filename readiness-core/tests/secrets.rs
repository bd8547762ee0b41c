//! `SecretsCheck` (DESIGN §7, `security.data.secrets`): passes on a correct setup, fails on each
//! seeded misconfiguration, and never shows the value. The environment is process-wide (and
//! changing it is `unsafe`), so each case runs this test binary again as a child with its own
//! environment; the child prints the check's status and output.

use std::os::unix::fs::PermissionsExt;

use readiness_core::Status;
use readiness_core::checks::secrets::SecretsCheck;
use readiness_core::testing::{self, ChildTest};

const STRONG: &str = "q7Vd2Kp9Lx4Zt8Wm3Rb6Nc1Hy5Jg0Fs";

/// In the child: judge `T_API_KEY` (at least 24 characters) and print what the check said.
#[tokio::test]
async fn child_judges_its_environment() {
    if !testing::is_child() {
        return;
    }
    let readiness = readiness_core::testing::builder()
        .register(SecretsCheck::new().secret("T_API_KEY").min_len(24).registration())
        .build()
        .unwrap();
    let report = readiness.readiness().await;
    let check = &report.checks[0];
    // A newline first: the test harness prints the test name on the same line.
    println!("\nSTATUS={}", check.status);
    println!("OUTPUT={}", check.outcome.output.clone().unwrap_or_default());
    println!("EVIDENCE={}", serde_json::to_string(&check.outcome.evidence).unwrap());
}

/// Runs the child with `env` set (and `T_API_KEY*` otherwise unset): (status, output, evidence).
fn judge(env: &[(&str, &str)]) -> (String, String, String) {
    let stdout = ChildTest::new("child_judges_its_environment")
        .env_remove("T_API_KEY")
        .env_remove("T_API_KEY_FILE")
        .envs(env.iter().copied())
        .run();
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in:\n{stdout}"))
            .to_owned()
    };
    (field("STATUS"), field("OUTPUT"), field("EVIDENCE"))
}

fn secret_file(name: &str, contents: &str, mode: u32) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("readiness-secrets-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn a_strong_secret_from_the_environment_passes() {
    let (status, output, evidence) = judge(&[("T_API_KEY", STRONG)]);
    assert_eq!((status.as_str(), output.as_str()), ("pass", "1 secret(s) loaded and judged strong"));
    assert_eq!(evidence, r#"{"T_API_KEY":"env"}"#);
}

#[test]
fn a_strong_secret_from_a_private_file_passes() {
    let path = secret_file("private", &format!("{STRONG}\n"), 0o600);
    let (status, output, evidence) = judge(&[("T_API_KEY_FILE", path.to_str().unwrap())]);
    assert_eq!(status, "pass", "{output}");
    assert!(evidence.contains(&format!("file {}", path.display())), "{evidence}");
}

#[test]
fn a_file_others_can_read_fails() {
    let path = secret_file("public", STRONG, 0o644);
    let (status, output, _) = judge(&[("T_API_KEY_FILE", path.to_str().unwrap())]);
    assert_eq!(status, "fail");
    assert!(
        output.starts_with("T_API_KEY_FILE: ") && output.contains("accessible to other users (mode 644)"),
        "{output}"
    );
    assert!(!output.contains(STRONG));
}

#[test]
fn a_missing_secret_fails() {
    let (status, output, evidence) = judge(&[]);
    assert_eq!((status.as_str(), output.as_str()), ("fail", "T_API_KEY is not set"));
    assert_eq!(evidence, r#"{"T_API_KEY":"not set"}"#);
}

#[test]
fn empty_placeholder_short_and_low_entropy_secrets_fail_without_showing_the_value() {
    for (value, reason) in [
        ("", "empty"),
        ("changeme", "placeholder"),
        ("please-changeme-before-production-now", "placeholder"),
        ("k3Y-9fQz2LmW", "24"),
        ("abababababababababababababababab", "entropy"),
    ] {
        let (status, output, _) = judge(&[("T_API_KEY", value)]);
        assert_eq!(status, "fail", "{value:?} passed: {output}");
        assert!(output.starts_with("T_API_KEY ") && output.contains(reason), "{value:?}: {output}");
        if !value.is_empty() {
            assert!(!output.contains(value), "the value leaked: {output}");
        }
    }
}

#[test]
fn both_the_variable_and_its_file_fail_as_ambiguous() {
    let path = secret_file("both", STRONG, 0o600);
    let (status, output, _) = judge(&[("T_API_KEY", STRONG), ("T_API_KEY_FILE", path.to_str().unwrap())]);
    assert_eq!((status.as_str(), output.as_str()), ("fail", "both T_API_KEY and T_API_KEY_FILE are set: set only one"));
}

#[test]
fn the_status_is_reported_in_the_report_type_too() {
    // The child prints `Status`'s Display: keep the two spellings tied.
    assert_eq!(Status::Pass.to_string(), "pass");
    assert_eq!(Status::Fail.to_string(), "fail");
}
