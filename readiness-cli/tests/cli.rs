//! The `readiness` binary against real services on loopback: readiness-axum's routes with a
//! detail token, the binary run as a CI job runs it, its exit code, stdout and stderr read.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use readiness_core::attestation::Declaration;
use readiness_core::{CheckSpec, Outcome, Profile, Readiness};

const TOKEN: &str = "cli-test-detail-token-0123456789";

/// The ladder the test service declares: bronze is reached, silver is not.
fn team() -> Profile {
    Profile::new("team")
        .level("bronze")
        .require_control("security.data.secrets")
        .level("silver")
        .require_control("security.auth.rbac")
}

fn service(rbac_enforced: bool) -> readiness_core::ReadinessBuilder {
    readiness_core::testing::builder()
        .service("orders", "1.4.2")
        .profile(team())
        .declare(Declaration::new("security.data.secrets", "from the environment, see config.rs"))
        .check_fn(CheckSpec::new("authz:roles").control("security.auth.rbac"), move |_| async move {
            if rbac_enforced { Outcome::pass() } else { Outcome::fail("roles are not enforced on /admin") }
        })
}

/// Serves `router` on a free loopback port from a runtime of its own; returns the base URL.
fn serve(make: impl FnOnce() -> axum::Router + Send + 'static) -> String {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            sender.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, make()).await.unwrap();
        });
    });
    format!("http://{}", receiver.recv_timeout(Duration::from_secs(10)).unwrap())
}

fn routes(readiness: Readiness) -> axum::Router {
    readiness_axum::Routes::new(readiness).token(TOKEN).build().unwrap()
}

/// The test service, rbac not enforced.
fn gate_service() -> String {
    serve(|| routes(service(false).build().unwrap()))
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], token: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_readiness"));
    command.args(args).env_remove("READINESS_TOKEN");
    if let Some(token) = token {
        command.env("READINESS_TOKEN", token);
    }
    let Output { status, stdout, stderr } = command.output().unwrap();
    let run = Run {
        code: status.code().expect("the binary exits, it is not killed"),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    };
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains(TOKEN), "the token is never printed: {text}");
        assert!(!text.contains("panicked"), "{text}");
    }
    run
}

/// A fresh directory for one call: tests run in parallel, and one clearing a directory another
/// is writing into made them fail at random.
fn temp_dir(name: &str) -> PathBuf {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("readiness-cli-{name}-{}-{call}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn check_fails_the_job_with_a_table_of_the_unmet_controls() {
    let url = gate_service();
    let run = run(&["check", &url], Some(TOKEN));
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.starts_with("orders 1.4.2"), "{}", run.stdout);
    assert!(run.stdout.contains("profile `team` not met: 1 of 2 required controls satisfied"), "{}", run.stdout);
    assert!(run.stdout.contains("level bronze reached, silver needs 1 more: security.auth.rbac"), "{}", run.stdout);
    let row = run.stdout.lines().find(|line| line.trim_start().starts_with("security.auth.rbac")).unwrap();
    assert!(row.contains("failing") && row.contains("silver") && row.contains("roles are not enforced"), "{row}");
    assert!(run.stdout.contains("fix: make the failing check pass (`authz:roles`)"), "{}", run.stdout);
    // Progress goes to stderr, never into the result.
    assert!(run.stderr.contains("fetching") && !run.stdout.contains("fetching"), "{}", run.stderr);
}

#[test]
fn check_passes_at_a_level_the_service_reaches_and_refuses_an_unknown_level() {
    let url = gate_service();
    let bronze = run(&["check", &url, "--level", "bronze"], Some(TOKEN));
    assert_eq!(bronze.code, 0, "{}{}", bronze.stdout, bronze.stderr);
    assert!(bronze.stdout.contains("profile `team@bronze` met: 1 of 1"), "{}", bronze.stdout);
    let silver = run(&["check", &url, "--level", "silver"], Some(TOKEN));
    assert_eq!(silver.code, 1, "{}", silver.stdout);
    let gold = run(&["check", &url, "--level", "gold"], Some(TOKEN));
    assert_eq!(gold.code, 2);
    assert!(gold.stderr.contains("profile `team` has no level `gold` (its levels: bronze, silver)"), "{}", gold.stderr);
    assert!(gold.stdout.is_empty());
}

#[test]
fn check_applies_a_built_in_profile_or_a_profile_file_checked_against_the_service() {
    let url = gate_service();
    let production = run(&["check", &url, "--profile", "production"], Some(TOKEN));
    assert_eq!(production.code, 1);
    assert!(production.stdout.contains("profile `production` not met"), "{}", production.stdout);
    let dir = temp_dir("profiles");
    let secrets = write(&dir, "secrets.yaml", "name: secrets-only\ncontrols: [security.data.secrets]\n");
    let met = run(&["check", &url, "--profile", &secrets], Some(TOKEN));
    assert_eq!(met.code, 0, "{}{}", met.stdout, met.stderr);
    assert!(met.stdout.contains("profile `secrets-only` met: 1 of 1"), "{}", met.stdout);
    let json = write(&dir, "ladder.json", r#"{"name":"j","levels":[{"name":"a","controls":["security.auth.rbac"]}]}"#);
    let ladder = run(&["check", &url, "--profile", &json, "--level", "a"], Some(TOKEN));
    assert_eq!(ladder.code, 1, "{}", ladder.stderr);
    assert!(ladder.stdout.contains("profile `j@a` not met"), "{}", ladder.stdout);
    let unknown = write(&dir, "unknown.yaml", "name: typo\ncontrols: [security.data.secretz]\ngroups: [nope]\n");
    let refused = run(&["check", &url, "--profile", &unknown], Some(TOKEN));
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains(
            "profile `typo` names what the service does not list: group `nope`, control `security.data.secretz`"
        ),
        "{}",
        refused.stderr
    );
    let malformed = write(&dir, "malformed.yaml", "name: x\ncontrol: [a]\n");
    let malformed = run(&["check", &url, "--profile", &malformed], Some(TOKEN));
    assert_eq!(malformed.code, 2);
    assert!(
        malformed.stderr.contains("is not a profile") && malformed.stderr.contains("unknown field `control`"),
        "{}",
        malformed.stderr
    );
    let missing = run(&["check", &url, "--profile", "platinum"], Some(TOKEN));
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("no profile `platinum`"), "{}", missing.stderr);
}

#[test]
fn check_writes_json_and_markdown() {
    let url = gate_service();
    let json = run(&["check", &url, "--format", "json", "-q"], Some(TOKEN));
    assert_eq!(json.code, 1);
    assert!(json.stderr.is_empty(), "--quiet: {}", json.stderr);
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(document["satisfied"], false);
    assert_eq!(document["service"]["name"], "orders");
    assert_eq!(document["verdict"]["level"], "bronze");
    assert_eq!(document["verdict"]["unmet"][0]["control"], "security.auth.rbac");
    let markdown = run(&["check", &url, "--format", "markdown"], Some(TOKEN));
    assert_eq!(markdown.code, 1);
    assert!(markdown.stdout.starts_with("## ❌ Readiness of orders 1.4.2"), "{}", markdown.stdout);
    assert!(markdown.stdout.contains("| bronze | yes | 1 | 0 |"), "{}", markdown.stdout);
    assert!(markdown.stdout.contains("| `security.auth.rbac` "), "{}", markdown.stdout);
}

#[test]
fn check_writes_junit_that_a_junit_reader_reads_one_case_per_control() {
    let url = gate_service();
    let dir = temp_dir("junit");
    let file = dir.join("readiness.xml");
    let run = run(&["check", &url, "--format", "junit", "--output", file.to_str().unwrap()], Some(TOKEN));
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty(), "with --output, nothing on stdout: {}", run.stdout);
    assert!(run.stderr.contains("profile `team` not met"), "the summary on stderr: {}", run.stderr);
    let xml = std::fs::read_to_string(&file).unwrap();
    let cases = junit::read(&xml);
    let controls = readiness_core::catalog::built_in().iter().map(|catalog| catalog.controls().len()).sum::<usize>();
    assert_eq!(cases.len(), controls, "one test case per control");
    let failed: Vec<&junit::Case> = cases.iter().filter(|case| case.failure.is_some()).collect();
    assert_eq!(failed.len(), 1, "only the unmet required control fails: {failed:?}");
    assert_eq!((failed[0].name.as_str(), failed[0].classname.as_str()), ("security.auth.rbac", "security.auth"));
    assert!(failed[0].failure.as_deref().unwrap().contains("roles are not enforced on /admin"), "{failed:?}");
    let secrets = cases.iter().find(|case| case.name == "security.data.secrets").unwrap();
    assert!(secrets.failure.is_none() && !secrets.skipped, "a satisfied control passes");
    let gdpr = cases.iter().find(|case| case.name == "compliance.privacy.gdpr").unwrap();
    assert!(gdpr.skipped, "a control the profile does not require is skipped");
}

#[test]
fn check_cannot_evaluate_without_the_token_with_a_wrong_one_or_a_closed_port() {
    let url = gate_service();
    let anonymous = run(&["check", &url], None);
    assert_eq!(anonymous.code, 2);
    assert!(anonymous.stderr.contains("needs the detail token (401)"), "{}", anonymous.stderr);
    let wrong = run(&["check", &url], Some("not-the-token"));
    assert_eq!(wrong.code, 2);
    assert!(wrong.stderr.contains("refused the token (401)"), "{}", wrong.stderr);
    assert!(!wrong.stderr.contains("not-the-token"), "{}", wrong.stderr);
    let dir = temp_dir("token");
    let token_file = write(&dir, "token", &format!("{TOKEN}\n"));
    let from_file = run(&["check", &url, "--token-file", &token_file], None);
    assert_eq!(from_file.code, 1, "{}", from_file.stderr);
    let empty = write(&dir, "empty", "\n");
    let empty = run(&["check", &url, "--token-file", &empty], None);
    assert_eq!(empty.code, 2);
    assert!(empty.stderr.contains("the detail token is empty"), "{}", empty.stderr);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let closed = run(&["check", &format!("http://{closed}")], Some(TOKEN));
    assert_eq!(closed.code, 2);
    assert!(closed.stderr.contains("cannot be reached"), "{}", closed.stderr);
    assert!(closed.stdout.is_empty());
}

#[test]
fn check_cannot_evaluate_a_malformed_answer_or_document() {
    let html = serve(|| {
        axum::Router::new().route("/readiness/checklist", axum::routing::get(|| async { "<html>login</html>" }))
    });
    let run_html = run(&["check", &html], Some(TOKEN));
    assert_eq!(run_html.code, 2);
    assert!(run_html.stderr.contains("did not answer JSON"), "{}", run_html.stderr);
    let dir = temp_dir("malformed");
    let not_a_checklist = write(&dir, "other.json", r#"{"status":"pass"}"#);
    let other = run(&["check", &not_a_checklist], None);
    assert_eq!(other.code, 2);
    assert!(other.stderr.contains("is not a readiness checklist document"), "{}", other.stderr);
    let missing = run(&["check", dir.join("absent.json").to_str().unwrap()], None);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("cannot read"), "{}", missing.stderr);
}

#[test]
fn bad_arguments_exit_2_and_help_shows_examples() {
    let bad = run(&["check"], None);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("<URL>"), "{}", bad.stderr);
    let format = run(&["check", "x.json", "--format", "pdf"], None);
    assert_eq!(format.code, 2);
    let token_argument = run(&["check", "x.json", "--token", TOKEN], None);
    assert_eq!(token_argument.code, 2, "there is no way to give the token as an argument");
    let help = run(&["--help"], None);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("Examples:") && help.stdout.contains("Exit codes: 0 satisfied"), "{}", help.stdout);
    let check_help = run(&["check", "--help"], None);
    assert!(check_help.stdout.contains("--token-file") && check_help.stdout.contains("READINESS_TOKEN"));
}

/// A checklist document of the test service, as `/readiness/checklist` serves it.
fn checklist_document(rbac_enforced: bool) -> serde_json::Value {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let readiness = service(rbac_enforced).build().unwrap();
        readiness_core::output::checklist::json(&readiness.settled_checklist().await)
    })
}

#[test]
fn diff_reports_regressions_with_exit_1_and_improvements_with_exit_0() {
    let dir = temp_dir("diff");
    let good = checklist_document(true);
    let bad = checklist_document(false);
    let before = write(&dir, "before.json", &good.to_string());
    let after = write(&dir, "after.json", &bad.to_string());
    let regressed = run(&["diff", &before, &after], None);
    assert_eq!(regressed.code, 1, "{}{}", regressed.stdout, regressed.stderr);
    let row = regressed.stdout.lines().find(|line| line.contains("REGRESSED")).unwrap();
    assert!(row.contains("security.auth.rbac") && row.contains("verified → failing"), "{row}");
    assert!(
        regressed.stdout.contains("FELL") && regressed.stdout.contains("profile `team` met, level silver"),
        "{}",
        regressed.stdout
    );
    let improved = run(&["diff", &after, &before], None);
    assert_eq!(improved.code, 0, "{}", improved.stdout);
    assert!(
        improved.stdout.contains("improved") && improved.stdout.contains("failing → verified"),
        "{}",
        improved.stdout
    );
    let same = run(&["diff", &before, &before], None);
    assert_eq!(same.code, 0);
    assert!(
        same.stdout.contains("0 regressed, 0 removed, 0 with checks dropped, 0 improved, 0 added, 0 build changes"),
        "{}",
        same.stdout
    );

    // A control the new build no longer lists, and a new commit.
    let mut dropped = good.clone();
    dropped["controls"].as_array_mut().unwrap().retain(|control| control["id"] != "security.data.secrets");
    dropped["service"]["build"]["commit"] = "0123abc".into();
    dropped["service"]["version"] = "1.5.0".into();
    let dropped = write(&dir, "dropped.json", &dropped.to_string());
    let removed = run(&["diff", &before, &dropped, "--format", "json"], None);
    assert_eq!(removed.code, 1);
    let changes: serde_json::Value = serde_json::from_str(&removed.stdout).unwrap();
    assert_eq!(changes["regression"], true);
    assert_eq!(changes["removed"][0]["control"], "security.data.secrets");
    let fields: Vec<&str> = changes["build"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"commit") && fields.contains(&"version"), "{fields:?}");

    // A deploy that dropped the check behind a control: the control set changed, and the
    // control lost its check even where its state did not move.
    let mut unbound = good.clone();
    for control in unbound["controls"].as_array_mut().unwrap() {
        if control["id"] == "security.auth.rbac" {
            control["checks"] = serde_json::json!([]);
            control["attestation"] = "verified".into();
        }
    }
    unbound["control_set"] = "sha256:another".into();
    let unbound = write(&dir, "unbound.json", &unbound.to_string());
    let drift = run(&["diff", &before, &unbound], None);
    assert_eq!(drift.code, 1, "{}", drift.stdout);
    assert!(
        drift.stdout.contains("UNBOUND") && drift.stdout.contains("`authz:roles` no longer bound to it"),
        "{}",
        drift.stdout
    );
    assert!(drift.stdout.contains("build      control_set: sha256:"), "{}", drift.stdout);

    // One side from a running service; the other an in-toto statement of the same document.
    let url = gate_service();
    let against_service = run(&["diff", &before, &url], Some(TOKEN));
    assert_eq!(against_service.code, 1, "{}", against_service.stderr);
    assert!(against_service.stdout.contains("security.auth.rbac"), "{}", against_service.stdout);
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [],
        "predicateType": "https://example.invalid/readiness/checklist/v1",
        "predicate": bad,
    });
    let statement = write(&dir, "statement.json", &statement.to_string());
    let from_statement = run(&["diff", &before, &statement], None);
    assert_eq!(from_statement.code, 1, "{}", from_statement.stderr);

    let unreadable = run(&["diff", &before, dir.join("absent.json").to_str().unwrap()], None);
    assert_eq!(unreadable.code, 2);
}

const FITTING: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders}
spec:
  template:
    spec:
      terminationGracePeriodSeconds: 30
      containers:
        - name: orders
          ports: [{containerPort: 3000}]
          env: [{name: DRAIN_MS, value: \"12000\"}]
          readinessProbe: {httpGet: {path: /readiness, port: 3000}, periodSeconds: 5, failureThreshold: 2}
          livenessProbe: {httpGet: {path: /liveness, port: 3000}}
";

fn probes(manifest: &str, extra: &[&str]) -> Run {
    let dir = temp_dir("probes");
    let file = write(&dir, &format!("m{}.yaml", fastrand_name(manifest)), manifest);
    let mut args = vec!["probes", file.as_str()];
    args.extend_from_slice(extra);
    run(&args, Some(TOKEN))
}

fn fastrand_name(text: &str) -> u64 {
    text.bytes().fold(1469598103934665603u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(1099511628211))
}

#[test]
fn probes_pass_the_repositorys_manifest_and_a_fitting_one() {
    let deploy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/kubernetes.yaml");
    let run_deploy = run(&["probes", deploy.to_str().unwrap()], None);
    assert_eq!(run_deploy.code, 0, "{}{}", run_deploy.stdout, run_deploy.stderr);
    assert!(run_deploy.stdout.contains("0 findings"), "{}", run_deploy.stdout);
    assert!(
        run_deploy.stdout.contains(
            "the 12000 ms drain and the 10000 ms shutdown deadline end before terminationGracePeriodSeconds (30000 ms)"
        ),
        "{}",
        run_deploy.stdout
    );
    let grpc = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/kubernetes-grpc.yaml");
    let run_grpc = run(&["probes", grpc.to_str().unwrap()], None);
    assert_eq!(run_grpc.code, 0, "{}{}", run_grpc.stdout, run_grpc.stderr);
    assert!(run_grpc.stdout.contains("readinessProbe  gRPC health: timeout 1000 ms"), "{}", run_grpc.stdout);
    let fitting = probes(FITTING, &[]);
    assert_eq!(fitting.code, 0, "{}", fitting.stdout);
    assert!(
        fitting.stdout.contains("10000 ms before the kubelet sees readiness fail, within the 12000 ms drain"),
        "{}",
        fitting.stdout
    );
}

#[test]
fn probes_find_each_misfit_with_exit_1() {
    let cases = [
        (
            FITTING.replace(
                "periodSeconds: 5, failureThreshold: 2",
                "periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 0.5",
            ),
            "timeout 500 ms is under the 800 ms a report may take",
        ),
        (FITTING.replace("failureThreshold: 2", "failureThreshold: 3"), "but the service drains only 12000 ms"),
        (FITTING.replace("\"12000\"", "\"4000\""), "drains only 4000 ms (DRAIN_MS in the container's env)"),
        (
            FITTING.replace("terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: 10"),
            "SIGKILL cuts the drain",
        ),
        (
            FITTING.replace("env: [", "env: [{name: SHUTDOWN_DEADLINE_MS, value: \"20000\"}, "),
            "ends before the 12000 ms drain plus the 20000 ms shutdown deadline",
        ),
        (FITTING.replace("path: /liveness", "path: /readiness"), "the liveness probe asks for readiness"),
        (FITTING.replace("readinessProbe:", "startupProbe:"), "none: the pod gets traffic before it is ready"),
        (
            FITTING.replace("env: [", "env: [{name: PROBE_PERIOD_MS, value: \"10000\"}, "),
            "PROBE_PERIOD_MS tells the service 10000",
        ),
    ];
    for (manifest, expected) in cases {
        let run = probes(&manifest, &[]);
        assert_eq!(run.code, 1, "{expected}: {}{}", run.stdout, run.stderr);
        let line = run.stdout.lines().find(|line| line.trim_start().starts_with("FAIL")).unwrap_or_default();
        assert!(run.stdout.contains(expected) && line.contains(expected), "{expected}:\n{}", run.stdout);
    }
    // Kubernetes' defaults for what is left out: period 10 s, threshold 3, against a 12 s drain.
    let defaults = FITTING.replace(", periodSeconds: 5, failureThreshold: 2", "");
    let run = probes(&defaults, &[]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("period 10 s × 3 failures = 30000 ms"), "{}", run.stdout);
    // --drain-ms overrides the environment.
    let longer_grace = defaults.replace("terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: 45");
    let overridden = probes(&longer_grace, &["--drain-ms", "30000"]);
    assert_eq!(overridden.code, 0, "{}", overridden.stdout);
}

#[test]
fn probes_read_the_services_own_deadline_drain_and_routes_with_url() {
    let url = serve(|| {
        let shutdown = readiness_axum::Shutdown::new().drain(Duration::from_millis(3000));
        let readiness = service(true)
            .deadline(Duration::from_millis(2000))
            .check_fn(CheckSpec::new("slow:upstream").timeout(Duration::from_millis(1500)), |_| async {
                Outcome::pass()
            })
            .register(shutdown.check())
            .build()
            .unwrap();
        routes(readiness)
    });
    let manifest = FITTING.replace(", value: \"12000\"", ", value: \"x\"").replace("path: /liveness", "path: /healthz");
    let run = probes(&manifest, &["--url", &url]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("deadline 2000 ms from the service, longest check timeout 1500 ms from the service"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("timeout 1000 ms is under the 1500 ms a report may take"), "{}", run.stdout);
    assert!(run.stdout.contains("drains only 3000 ms (the service's shutdown:graceful check)"), "{}", run.stdout);
    assert!(run.stdout.contains("GET /healthz: the service has no such route (404)"), "{}", run.stdout);
    assert!(run.stdout.contains("GET /readiness: the service answers 200"), "{}", run.stdout);
}

#[test]
fn probes_cannot_evaluate_bad_yaml_or_a_manifest_without_workloads() {
    let bad = probes("kind: Deployment\nspec: [unclosed\n", &[]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("is not valid YAML"), "{}", bad.stderr);
    let none = probes("apiVersion: v1\nkind: Service\nmetadata: {name: x}\n", &[]);
    assert_eq!(none.code, 2);
    assert!(none.stderr.contains("holds no Pod, Deployment"), "{}", none.stderr);
    let wrong_shape = probes(
        "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, readinessProbe: {periodSeconds: ten}}]}\n",
        &[],
    );
    assert_eq!(wrong_shape.code, 2);
    assert!(wrong_shape.stderr.contains("Pod/p: `containers` cannot be read"), "{}", wrong_shape.stderr);
}

/// Reads JUnit XML with quick-xml, independently of the writer.
mod junit {
    use quick_xml::Reader;
    use quick_xml::events::Event;

    #[derive(Debug, Default)]
    pub(super) struct Case {
        pub(super) name: String,
        pub(super) classname: String,
        pub(super) failure: Option<String>,
        pub(super) skipped: bool,
    }

    pub(super) fn read(xml: &str) -> Vec<Case> {
        let mut reader = Reader::from_str(xml);
        let mut cases = Vec::new();
        let mut current: Option<Case> = None;
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(element) | Event::Empty(element) if element.name().as_ref() == b"testcase" => {
                    let mut case = Case::default();
                    for attribute in element.attributes() {
                        let attribute = attribute.unwrap();
                        let value = attribute.unescape_value().unwrap().into_owned();
                        match attribute.key.as_ref() {
                            b"name" => case.name = value,
                            b"classname" => case.classname = value,
                            _ => {}
                        }
                    }
                    if let Some(done) = current.replace(case) {
                        cases.push(done);
                    }
                }
                Event::Start(element) | Event::Empty(element) if element.name().as_ref() == b"failure" => {
                    let message = element
                        .attributes()
                        .map(Result::unwrap)
                        .find(|attribute| attribute.key.as_ref() == b"message")
                        .map(|attribute| attribute.unescape_value().unwrap().into_owned());
                    current.as_mut().unwrap().failure = Some(message.unwrap_or_default());
                }
                Event::Start(element) | Event::Empty(element) if element.name().as_ref() == b"skipped" => {
                    current.as_mut().unwrap().skipped = true;
                }
                Event::Eof => break,
                _ => {}
            }
        }
        cases.extend(current);
        cases
    }
}
