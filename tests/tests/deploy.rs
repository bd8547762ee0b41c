//! `deploy/`: the alert rules pass `promtool check rules` and their unit tests, and the
//! Kubernetes probes fit the runner's defaults and the routes.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

fn deploy_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

/// Runs promtool; `None` (after a skip line) when it is missing, except under `CI=true`.
fn promtool(args: &[&str]) -> Option<String> {
    match Command::new("promtool").args(args).current_dir(deploy_dir()).output() {
        Ok(output) => {
            let text =
                format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
            assert!(output.status.success(), "promtool {args:?} failed:\n{text}");
            Some(text)
        }
        Err(error) => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true: promtool is required ({error})");
            println!("SKIPPED: promtool is not installed ({error})");
            None
        }
    }
}

#[test]
fn the_alert_rules_are_valid_and_fire_when_they_should() {
    if let Some(text) = promtool(&["check", "rules", "alerts.yml"]) {
        assert!(text.contains("SUCCESS: 3 rules found"), "{text}");
    }
    if let Some(text) = promtool(&["test", "rules", "alerts_test.yml"]) {
        assert!(text.contains("SUCCESS"), "{text}");
    }
}

#[test]
fn the_probes_fit_the_defaults_and_the_routes() {
    let manifest = std::fs::read_to_string(deploy_dir().join("kubernetes.yaml")).unwrap();
    let readiness = readiness_core::testing::builder().build().unwrap();
    for (probe, path) in
        [("startupProbe", "/startup"), ("readinessProbe", "/readiness"), ("livenessProbe", "/liveness")]
    {
        let start = manifest.find(&format!("{probe}:")).unwrap_or_else(|| panic!("no {probe}"));
        let block: String = manifest[start..]
            .lines()
            .skip(1)
            .take_while(|line| line.starts_with("            "))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(block.contains(&format!("path: {path}")), "{probe} should probe {path}:\n{block}");
        let timeout: u64 = field(&block, "timeoutSeconds");
        assert!(
            Duration::from_secs(timeout) > readiness.deadline(),
            "{probe}: the report deadline must fit the timeout"
        );
        if probe != "startupProbe" {
            assert_eq!(field(&block, "periodSeconds"), 10, "{probe}");
        }
    }
    assert!(manifest.contains("prometheus.io/path: /readiness/metrics"));
}

fn field(block: &str, name: &str) -> u64 {
    block
        .lines()
        .find_map(|line| line.trim().strip_prefix(&format!("{name}: ")))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{block}"))
}
