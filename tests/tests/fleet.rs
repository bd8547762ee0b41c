//! The fleet on a real Prometheus (Debian's `prometheus`): three example instances scraped with
//! the detail token, every target up, the recording rules of `deploy/recording_rules.yml`
//! computing what the instances say, and `ReadinessCriticalCheckFailing` of `deploy/alerts.yml`
//! pending for the one instance whose critical check fails. Without the server the test prints
//! a skip line, except under `CI=true`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use readiness_tests::{ExampleService, STRONG_JWT_SECRET};

const TOKEN: &str = "fleet-token-Wq3Zr8Lm5Xv2";

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

/// A Prometheus server of the test's own, killed when dropped.
struct Prometheus {
    child: Child,
    url: String,
    dir: PathBuf,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start_prometheus(targets: &[String]) -> Option<Prometheus> {
    let dir = std::env::temp_dir().join(format!("readiness-fleet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let token = dir.join("token");
    std::fs::write(&token, TOKEN).unwrap();
    let targets: Vec<String> = targets.iter().map(|target| format!("'{target}'")).collect();
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - '{}'\n  - '{}'\nscrape_configs:\n  - job_name: example-service\n    metrics_path: /readiness/metrics\n    authorization:\n      type: Bearer\n      credentials_file: '{}'\n    static_configs:\n      - targets: [{}]\n",
        deploy().join("recording_rules.yml").display(),
        deploy().join("alerts.yml").display(),
        token.display(),
        targets.join(", ")
    );
    std::fs::write(dir.join("prometheus.yml"), config).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let spawned = Command::new("prometheus")
        .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = match spawned {
        Ok(child) => child,
        Err(error) => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true: prometheus is required ({error})");
            println!("SKIPPED: the prometheus server cannot be started ({error})");
            return None;
        }
    };
    Some(Prometheus { child, url: format!("http://127.0.0.1:{port}"), dir })
}

/// Polls `path` of the Prometheus API until `done` accepts its `data`, or 60 s pass.
async fn wait_for(prometheus: &Prometheus, path: &str, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(response) = client.get(format!("{}{path}", prometheus.url)).send().await
            && let Ok(body) = response.json::<serde_json::Value>().await
            && done(&body["data"])
        {
            return body["data"].clone();
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{path} never became what the test waits for");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The value of an instant query with one series per service, for `service`.
fn value_of(data: &serde_json::Value, service: &str) -> Option<f64> {
    data["result"]
        .as_array()?
        .iter()
        .find(|series| series["metric"]["service"] == service)
        .and_then(|series| series["value"][1].as_str())
        .and_then(|value| value.parse().ok())
}

fn query(expr: &str) -> String {
    format!(
        "/api/v1/query?query={}",
        expr.replace(' ', "%20").replace('"', "%22").replace('{', "%7B").replace('}', "%7D")
    )
}

#[tokio::test]
async fn prometheus_scrapes_three_instances_with_the_token_and_the_rules_compute_the_fleet() {
    let healthy = [
        ExampleService::start(&[("JWT_SECRET", STRONG_JWT_SECRET), ("READINESS_TOKEN", TOKEN)]),
        ExampleService::start(&[("JWT_SECRET", STRONG_JWT_SECRET), ("READINESS_TOKEN", TOKEN)]),
    ];
    // The third one's critical `secrets:jwt` check fails: a weak secret.
    let failing = ExampleService::start(&[("JWT_SECRET", "changeme"), ("READINESS_TOKEN", TOKEN)]);
    let targets: Vec<String> = healthy
        .iter()
        .chain(std::iter::once(&failing))
        .map(|service| service.base_url().trim_start_matches("http://").to_owned())
        .collect();
    // Checks run when probed: probe each instance once, as the kubelet would.
    for service in healthy.iter().chain(std::iter::once(&failing)) {
        let _ = reqwest::get(service.url("/readiness")).await.unwrap();
    }
    let Some(prometheus) = start_prometheus(&targets) else { return };

    let targets_up = wait_for(&prometheus, "/api/v1/targets", |data| {
        data["activeTargets"]
            .as_array()
            .is_some_and(|targets| targets.len() == 3 && targets.iter().all(|target| target["health"] == "up"))
    })
    .await;
    assert_eq!(targets_up["activeTargets"].as_array().unwrap().len(), 3);

    let instances = wait_for(&prometheus, &query("service:readiness_instances:count"), |data| {
        value_of(data, "example-service") == Some(3.0)
    })
    .await;
    assert_eq!(value_of(&instances, "example-service"), Some(3.0));
    let ready = wait_for(&prometheus, &query("service:readiness_instances_ready:count"), |data| {
        value_of(data, "example-service").is_some()
    })
    .await;
    assert_eq!(value_of(&ready, "example-service"), Some(2.0), "two of three pass or warn: {ready}");
    // The details came with the token: controls, and the failing ones on the worst instance.
    let failing_controls = wait_for(&prometheus, &query("service:readiness_failing_controls:max"), |data| {
        value_of(data, "example-service").is_some()
    })
    .await;
    assert!(value_of(&failing_controls, "example-service").unwrap() >= 1.0, "{failing_controls}");

    // The critical check failing on one instance: the page alert is pending for it alone.
    let failing_target = targets[2].clone();
    let alerts = wait_for(&prometheus, "/api/v1/alerts", |data| {
        data["alerts"].as_array().is_some_and(|alerts| {
            alerts.iter().any(|alert| {
                alert["labels"]["alertname"] == "ReadinessCriticalCheckFailing" && alert["state"] == "pending"
            })
        })
    })
    .await;
    let pending: Vec<&serde_json::Value> = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|alert| alert["labels"]["alertname"] == "ReadinessCriticalCheckFailing")
        .collect();
    assert!(pending.iter().all(|alert| alert["labels"]["instance"] == failing_target.as_str()), "{pending:?}");
    assert!(pending.iter().any(|alert| alert["labels"]["check"] == "secrets:jwt"), "{pending:?}");
    drop(failing);
}
