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
        match probe {
            // Damping for shared dependencies: one failed probe is a blip, two in a row (10 s)
            // take the replica out, within the 12 s drain.
            "readinessProbe" => {
                assert_eq!(field(&block, "periodSeconds"), 5, "{probe}");
                assert_eq!(field(&block, "failureThreshold"), 2, "{probe}");
            }
            "livenessProbe" => assert_eq!(field(&block, "periodSeconds"), 10, "{probe}"),
            _ => {}
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

#[test]
fn the_recording_rules_are_valid_and_the_prometheus_rule_carries_the_same_rules() {
    if let Some(text) = promtool(&["check", "rules", "recording_rules.yml"]) {
        assert!(text.contains("SUCCESS: 5 rules found"), "{text}");
    }
    let read = |name: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(deploy_dir().join(name)).unwrap();
        serde_norway::from_str(&text).unwrap()
    };
    let (recording, alerts) = (read("recording_rules.yml"), read("alerts.yml"));
    let monitoring = std::fs::read_to_string(deploy_dir().join("monitoring.yaml")).unwrap();
    let documents: Vec<serde_json::Value> =
        monitoring.split("\n---\n").map(|document| serde_norway::from_str(document).unwrap()).collect();
    let rule = documents.iter().find(|document| document["kind"] == "PrometheusRule").unwrap();
    let groups = rule["spec"]["groups"].as_array().unwrap();
    assert_eq!(groups[0], recording["groups"][0], "the PrometheusRule's recording rules are recording_rules.yml's");
    assert_eq!(groups[1], alerts["groups"][0], "the PrometheusRule's alerts are alerts.yml's");
    // The ServiceMonitor scrapes the metrics with the token, from a secret.
    let monitor = documents.iter().find(|document| document["kind"] == "ServiceMonitor").unwrap();
    let endpoint = &monitor["spec"]["endpoints"][0];
    assert_eq!(endpoint["path"], "/readiness/metrics");
    assert_eq!(endpoint["authorization"]["type"], "Bearer");
    assert_eq!(endpoint["authorization"]["credentials"]["key"], "readiness-token");
}

#[test]
fn the_dashboard_queries_only_series_the_service_and_the_rules_make() {
    let text = std::fs::read_to_string(deploy_dir().join("grafana-dashboard.json")).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&text).unwrap();
    let recording = std::fs::read_to_string(deploy_dir().join("recording_rules.yml")).unwrap();
    let known = |name: &str| {
        recording.contains(&format!("record: {name}"))
            || ["readiness_info", "readiness_status", "readiness_check_status", "readiness_control_attestation"]
                .contains(&name)
    };
    let mut queried = 0;
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap();
            for name in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')) {
                if name.starts_with("readiness_") || name.starts_with("service:") {
                    assert!(known(name), "panel {:?} queries unknown series {name}", panel["title"]);
                    queried += 1;
                }
            }
        }
    }
    assert!(queried >= 6, "fleet, service and control panels");
    let titles: Vec<&str> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == "row")
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Fleet", "Service $service", "Controls of $service"]);
}

/// kubernetes-validate (PyPI, in the interop venv); `None` after a skip line without it.
fn kubernetes_validate(file: &std::path::Path) -> Option<(bool, String)> {
    let tool = deploy_dir().join("../target/interop-venv/bin/kubernetes-validate");
    if !tool.exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: run tests/interop/setup.sh for kubernetes-validate"
        );
        println!("SKIPPED: no kubernetes-validate; run `bash tests/interop/setup.sh`");
        return None;
    }
    let output = Command::new(tool).arg("--strict").arg(file).output().unwrap();
    Some((
        output.status.success(),
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)),
    ))
}

#[test]
fn the_manifests_pass_the_kubernetes_schema_and_a_broken_one_does_not() {
    for name in ["kubernetes.yaml", "kubernetes-grpc.yaml", "monitoring.yaml"] {
        let Some((ok, text)) = kubernetes_validate(&deploy_dir().join(name)) else { return };
        assert!(ok, "{name}: {text}");
        if name != "monitoring.yaml" {
            assert!(text.contains("passed for resource deployment/"), "{name}: {text}");
        }
    }
    // The judge judges: a probe with a string for a number, and an unknown field.
    let manifest = std::fs::read_to_string(deploy_dir().join("kubernetes.yaml")).unwrap();
    let broken = manifest.replacen("timeoutSeconds: 1", "timeoutSeconds: \"one\"", 1).replacen(
        "replicas: 2",
        "replicas: 2\n  replicaz: 3",
        1,
    );
    let path = std::env::temp_dir().join(format!("readiness-broken-{}.yaml", std::process::id()));
    std::fs::write(&path, broken).unwrap();
    let Some((ok, text)) = kubernetes_validate(&path) else { return };
    assert!(!ok, "{text}");
    let _ = std::fs::remove_file(path);
}

/// `tests/interop/crd_validate.mjs` (kubernetes-models' prometheus-operator schemas, from npm) on
/// `file`: its exit code and output; `None` after a skip line without Node or the npm packages.
fn crd_validate(file: &std::path::Path) -> Option<(i32, String)> {
    let interop = deploy_dir().join("../tests/interop");
    let installed = interop.join("node_modules/@kubernetes-models/prometheus-operator").exists();
    let node = Command::new("node").arg("--version").output().is_ok_and(|output| output.status.success());
    if !(installed && node) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: run tests/interop/setup.sh for the CRD schemas"
        );
        println!("SKIPPED: no Node or no tests/interop/node_modules; run `bash tests/interop/setup.sh`");
        return None;
    }
    let output = Command::new("node").arg(interop.join("crd_validate.mjs")).arg(file).output().unwrap();
    Some((
        output.status.code().unwrap_or(-1),
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)),
    ))
}

#[test]
fn the_service_monitor_and_prometheus_rule_pass_their_crd_schemas_and_broken_ones_do_not() {
    let Some((code, text)) = crd_validate(&deploy_dir().join("monitoring.yaml")) else { return };
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("valid ServiceMonitor/example-service"), "{text}");
    assert!(text.contains("valid PrometheusRule/readiness"), "{text}");
    // The judge judges: an interval Prometheus cannot parse, a port number where the CRD wants
    // the port's name, a rule without its expression, each on its own.
    let manifest = std::fs::read_to_string(deploy_dir().join("monitoring.yaml")).unwrap();
    let broken = [
        ("interval: 30s", "interval: 30 seconds", "interval must match pattern"),
        ("- port: http", "- port: 8080", "port must be string"),
        ("          expr: count by (service) (readiness_info)\n", "", "must have required property expr"),
    ];
    for (from, to, expected) in broken {
        assert!(manifest.contains(from), "monitoring.yaml no longer holds {from:?}");
        let path = std::env::temp_dir().join(format!("readiness-broken-monitoring-{}.yaml", std::process::id()));
        std::fs::write(&path, manifest.replacen(from, to, 1)).unwrap();
        let Some((code, text)) = crd_validate(&path) else { return };
        let _ = std::fs::remove_file(&path);
        assert_eq!(code, 1, "{from:?} → {to:?}: {text}");
        assert!(text.contains(expected), "{from:?} → {to:?}: {text}");
    }
    // A file without any such resource is no pass.
    let Some((code, text)) = crd_validate(&deploy_dir().join("kubernetes.yaml")) else { return };
    assert_eq!(code, 3, "{text}");
}
