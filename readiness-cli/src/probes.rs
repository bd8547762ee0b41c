//! `readiness probes`: whether a Kubernetes manifest's probes fit the service they probe.
//!
//! Two budgets decide it. A probe that times out before the service answers counts a failure
//! the service did not have: its `timeoutSeconds` must exceed the time a report may take (the
//! runner's deadline, or the longest check timeout when that is shorter) by a margin. And after
//! SIGTERM the service fails readiness and keeps serving for its drain; the kubelet notices only
//! after the readiness probe's `periodSeconds × failureThreshold`, so a drain shorter than that
//! refuses traffic that is still being sent to it — and a drain that outlasts
//! `terminationGracePeriodSeconds` is cut by SIGKILL.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args as ClapArgs;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::document::Checklist;
use crate::source::{self, Connection};
use crate::{CannotEvaluate, Finding, Format};

/// The runner's defaults (DESIGN §4), used when the service's own figures are not given.
const DEFAULT_DEADLINE_MS: f64 = 900.0;
const DEFAULT_CHECK_TIMEOUT_MS: f64 = 800.0;
/// readiness-axum's `Shutdown::new()` drain.
const DEFAULT_DRAIN_MS: f64 = 5000.0;

/// The container variable holding how long requests may take after the drain (the example's
/// `SHUTDOWN_DEADLINE_MS`, readiness-axum's `Server::shutdown_deadline`).
const SHUTDOWN_DEADLINE_ENV: &str = "SHUTDOWN_DEADLINE_MS";

/// `readiness probes <MANIFEST.yaml>`.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// A Kubernetes manifest (YAML, several documents allowed).
    manifest: PathBuf,
    /// The running service: its deadline, check timeouts and drain are read from it, and each
    /// HTTP probe's path is asked for (a 404 is a finding).
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// The drain delay after SIGTERM, in ms (else the container's DRAIN_MS, the service's
    /// `shutdown:graceful` check, or readiness-axum's default of 5000).
    #[arg(long, value_name = "MS")]
    drain_ms: Option<f64>,
    /// The environment variable that holds the drain in ms.
    #[arg(long, value_name = "NAME", default_value = "DRAIN_MS")]
    drain_env: String,
    /// The report deadline in ms, when neither --url nor the default (900) applies.
    #[arg(long, value_name = "MS")]
    deadline_ms: Option<f64>,
    /// The longest check timeout in ms, when neither --url nor the default (800) applies.
    #[arg(long, value_name = "MS")]
    check_timeout_ms: Option<f64>,
    /// What a probe's timeout must leave beyond the report's own time, in ms: the network, the
    /// rendering, a busy node.
    #[arg(long, value_name = "MS", default_value_t = 100.0)]
    margin_ms: f64,
    /// How to write the result (text or json).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the result to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    #[command(flatten)]
    connection: Connection,
}

/// A figure and where it came from.
#[derive(Debug, Clone, Serialize)]
struct Figure {
    ms: f64,
    from: String,
}

/// What the service itself says, read with `--url`.
#[derive(Debug, Default)]
struct Published {
    deadline_ms: Option<f64>,
    longest_check_timeout_ms: Option<f64>,
    drain_ms: Option<f64>,
}

/// One line of the result.
#[derive(Debug, Serialize)]
struct Line {
    workload: String,
    container: String,
    probe: String,
    ok: bool,
    text: String,
}

#[derive(Debug, Serialize)]
struct Outcome {
    manifest: String,
    deadline: Figure,
    longest_check_timeout: Figure,
    lines: Vec<Line>,
    findings: usize,
}

pub(crate) fn run(args: &Args) -> Result<Finding, CannotEvaluate> {
    if matches!(args.format, Format::Junit | Format::Markdown | Format::Oscal) {
        return Err("probes writes text or json".into());
    }
    let text = std::fs::read_to_string(&args.manifest)
        .map_err(|error| format!("cannot read {}: {error}", args.manifest.display()))?;
    let manifest = args.manifest.display().to_string();
    let pods = pod_specs(&text, &manifest)?;
    if pods.is_empty() {
        return Err(
            format!("{manifest} holds no Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob").into()
        );
    }
    let published = match &args.url {
        Some(url) => published(url, &args.connection)?,
        None => Published::default(),
    };
    let figure = |given: Option<f64>, published: Option<f64>, default: f64, flag: &str| match (given, published) {
        (Some(ms), _) => Figure { ms, from: format!("--{flag}") },
        (None, Some(ms)) => Figure { ms, from: "the service".to_owned() },
        (None, None) => Figure { ms: default, from: "the default".to_owned() },
    };
    let deadline = figure(args.deadline_ms, published.deadline_ms, DEFAULT_DEADLINE_MS, "deadline-ms");
    let longest =
        figure(args.check_timeout_ms, published.longest_check_timeout_ms, DEFAULT_CHECK_TIMEOUT_MS, "check-timeout-ms");
    let budget = Budget { deadline: deadline.clone(), longest: longest.clone(), margin_ms: args.margin_ms };
    let mut lines = Vec::new();
    for pod in &pods {
        for container in &pod.containers {
            let drain = drain(args, &published, container);
            judge_container(pod, container, &budget, &drain, &mut lines);
            if let Some(url) = &args.url {
                ask_paths(url, &args.connection, pod, container, &mut lines)?;
            }
        }
    }
    let findings = lines.iter().filter(|line| !line.ok).count();
    let outcome = Outcome { manifest, deadline, longest_check_timeout: longest, lines, findings };
    let summary = format!(
        "{}: {} probe lines, {} finding{}",
        outcome.manifest,
        outcome.lines.len(),
        findings,
        if findings == 1 { "" } else { "s" }
    );
    let output = match args.format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&outcome).map_err(|error| error.to_string())?;
            text.push('\n');
            text
        }
        _ => render(&outcome, &summary),
    };
    Ok(Finding { output, satisfied: findings == 0, summary })
}

fn render(outcome: &Outcome, summary: &str) -> String {
    let mut out = format!(
        "{summary}\nA report may take {} ms (deadline {} ms from {}, longest check timeout {} ms from {}).\n",
        outcome.deadline.ms.min(outcome.longest_check_timeout.ms),
        outcome.deadline.ms,
        outcome.deadline.from,
        outcome.longest_check_timeout.ms,
        outcome.longest_check_timeout.from
    );
    let mut current = String::new();
    for line in &outcome.lines {
        let heading = format!("{}, container {}", line.workload, line.container);
        if heading != current {
            let _ = writeln!(out, "{heading}");
            current = heading;
        }
        let _ = writeln!(out, "  {:4}  {:14}  {}", if line.ok { "ok" } else { "FAIL" }, line.probe, line.text);
    }
    out
}

/// A pod template: where it is, its grace period and containers.
struct Pod {
    workload: String,
    grace_ms: f64,
    containers: Vec<Container>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Container {
    name: String,
    #[serde(default)]
    env: Vec<EnvVar>,
    #[serde(default)]
    ports: Vec<Value>,
    #[serde(default)]
    readiness_probe: Option<Probe>,
    #[serde(default)]
    liveness_probe: Option<Probe>,
    #[serde(default)]
    startup_probe: Option<Probe>,
    /// `Always` on an init container makes it a sidecar, which runs (and is probed) alongside.
    #[serde(default)]
    restart_policy: Option<String>,
}

#[derive(Deserialize)]
struct EnvVar {
    name: String,
    #[serde(default)]
    value: Option<String>,
}

/// A probe, with Kubernetes' defaults for what is left out.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    #[serde(default)]
    http_get: Option<HttpGet>,
    #[serde(default)]
    grpc: Option<Value>,
    #[serde(default)]
    tcp_socket: Option<Value>,
    #[serde(default)]
    exec: Option<Value>,
    #[serde(default = "one")]
    timeout_seconds: f64,
    #[serde(default = "ten")]
    period_seconds: f64,
    #[serde(default = "three")]
    failure_threshold: f64,
}

fn one() -> f64 {
    1.0
}
fn ten() -> f64 {
    10.0
}
fn three() -> f64 {
    3.0
}

#[derive(Deserialize)]
struct HttpGet {
    #[serde(default)]
    path: Option<String>,
}

impl Container {
    fn env(&self, name: &str) -> Option<&str> {
        self.env.iter().find(|var| var.name == name).and_then(|var| var.value.as_deref())
    }

    fn probes(&self) -> [(&'static str, Option<&Probe>); 3] {
        [
            ("startupProbe", self.startup_probe.as_ref()),
            ("readinessProbe", self.readiness_probe.as_ref()),
            ("livenessProbe", self.liveness_probe.as_ref()),
        ]
    }
}

/// Every pod template in the manifest's documents (`kind: List` included).
fn pod_specs(text: &str, manifest: &str) -> Result<Vec<Pod>, CannotEvaluate> {
    let mut pods = Vec::new();
    for (index, document) in serde_norway::Deserializer::from_str(text).enumerate() {
        let value = Value::deserialize(document)
            .map_err(|error| format!("{manifest}: document {} is not valid YAML: {error}", index + 1))?;
        collect(&value, manifest, &mut pods)?;
    }
    Ok(pods)
}

fn collect(object: &Value, manifest: &str, pods: &mut Vec<Pod>) -> Result<(), CannotEvaluate> {
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or_default();
    let name = object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("(unnamed)");
    let spec = match kind {
        "List" => {
            for item in object.get("items").and_then(Value::as_array).into_iter().flatten() {
                collect(item, manifest, pods)?;
            }
            return Ok(());
        }
        "Pod" => object.get("spec"),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "ReplicationController" | "Job" => {
            object.pointer("/spec/template/spec")
        }
        "CronJob" => object.pointer("/spec/jobTemplate/spec/template/spec"),
        "PodTemplate" => object.pointer("/template/spec"),
        _ => return Ok(()),
    };
    let workload = format!("{kind}/{name}");
    let Some(spec) = spec else {
        return Err(format!("{manifest}: {workload} has no pod template").into());
    };
    let read = |field: &str| -> Result<Vec<Container>, CannotEvaluate> {
        match spec.get(field) {
            None => Ok(Vec::new()),
            Some(list) => serde_json::from_value(list.clone())
                .map_err(|error| format!("{manifest}: {workload}: `{field}` cannot be read: {error}").into()),
        }
    };
    let mut containers = read("containers")?;
    containers.extend(read("initContainers")?.into_iter().filter(|c| c.restart_policy.as_deref() == Some("Always")));
    let grace_ms = spec.get("terminationGracePeriodSeconds").and_then(Value::as_f64).unwrap_or(30.0) * 1000.0;
    pods.push(Pod { workload, grace_ms, containers });
    Ok(())
}

/// How long a report may take, and the margin a probe must leave.
struct Budget {
    deadline: Figure,
    longest: Figure,
    margin_ms: f64,
}

impl Budget {
    /// A report answers when its checks are done or at the deadline, whichever comes first.
    fn answer_ms(&self) -> f64 {
        if self.longest.ms > 0.0 { self.deadline.ms.min(self.longest.ms) } else { self.deadline.ms }
    }
}

fn drain(args: &Args, published: &Published, container: &Container) -> Figure {
    if let Some(ms) = args.drain_ms {
        return Figure { ms, from: "--drain-ms".to_owned() };
    }
    if let Some(ms) = container.env(&args.drain_env).and_then(|value| value.trim().parse::<f64>().ok()) {
        return Figure { ms, from: format!("{} in the container's env", args.drain_env) };
    }
    if let Some(ms) = published.drain_ms {
        return Figure { ms, from: "the service's shutdown:graceful check".to_owned() };
    }
    Figure { ms: DEFAULT_DRAIN_MS, from: "readiness-axum's default".to_owned() }
}

fn judge_container(pod: &Pod, container: &Container, budget: &Budget, drain: &Figure, lines: &mut Vec<Line>) {
    let mut push = |probe: &str, ok: bool, text: String| {
        lines.push(Line {
            workload: pod.workload.clone(),
            container: container.name.clone(),
            probe: probe.to_owned(),
            ok,
            text,
        });
    };
    for (kind, probe) in container.probes() {
        let Some(probe) = probe else { continue };
        let handler = match (&probe.http_get, &probe.grpc, &probe.tcp_socket, &probe.exec) {
            (Some(get), ..) => format!("GET {}", get.path.as_deref().unwrap_or("/")),
            (_, Some(_), ..) => "gRPC health".to_owned(),
            (_, _, Some(_), _) => {
                push(kind, true, "a TCP probe: it does not wait for a report".to_owned());
                continue;
            }
            _ => {
                push(kind, true, "an exec probe: its time is the command's, not the service's".to_owned());
                continue;
            }
        };
        let timeout_ms = probe.timeout_seconds * 1000.0;
        let needed = budget.answer_ms() + budget.margin_ms;
        if timeout_ms >= needed {
            push(
                kind,
                true,
                format!(
                    "{handler}: timeout {timeout_ms} ms covers the {} ms a report may take, with {} ms to spare",
                    budget.answer_ms(),
                    timeout_ms - budget.answer_ms()
                ),
            );
        } else {
            push(
                kind,
                false,
                format!(
                    "{handler}: timeout {timeout_ms} ms is under the {} ms a report may take + {} ms margin: the kubelet \
                     gives up before the service answers and counts a failure it did not have; set timeoutSeconds \
                     to at least {}",
                    budget.answer_ms(),
                    budget.margin_ms,
                    (needed / 1000.0).ceil()
                ),
            );
        }
        if kind == "livenessProbe"
            && probe.http_get.as_ref().and_then(|get| get.path.as_deref()).is_some_and(is_readiness_path)
        {
            push(
                kind,
                false,
                format!(
                    "{handler}: the liveness probe asks for readiness, which includes dependencies: one database outage \
                     restarts every replica; probe /liveness"
                ),
            );
        }
    }
    let Some(readiness) = &container.readiness_probe else {
        if !container.ports.is_empty() {
            push(
                "readinessProbe",
                false,
                "none: the pod gets traffic before it is ready and while it shuts down".to_owned(),
            );
        }
        return;
    };
    let seen_ms = readiness.period_seconds * 1000.0 * readiness.failure_threshold;
    let what = format!(
        "period {} s × {} failures = {seen_ms} ms before the kubelet sees readiness fail",
        readiness.period_seconds, readiness.failure_threshold
    );
    if seen_ms <= drain.ms {
        push("drain", true, format!("{what}, within the {} ms drain ({})", drain.ms, drain.from));
    } else {
        push(
            "drain",
            false,
            format!(
                "{what}, but the service drains only {} ms ({}): traffic still arrives after it stops accepting; \
                 drain at least {seen_ms} ms or probe more often",
                drain.ms, drain.from
            ),
        );
    }
    // readiness-axum's `Server` bounds what follows the drain (SHUTDOWN_DEADLINE_MS in the
    // example's convention): the drain and that deadline must both fit in the grace period.
    let deadline_ms = container.env(SHUTDOWN_DEADLINE_ENV).and_then(|value| value.trim().parse::<f64>().ok());
    if let Some(deadline_ms) =
        deadline_ms.filter(|deadline_ms| drain.ms < pod.grace_ms && drain.ms + deadline_ms > pod.grace_ms)
    {
        push(
            "grace",
            false,
            format!(
                "terminationGracePeriodSeconds ({} ms) ends before the {} ms drain plus the {deadline_ms} ms shutdown \
                 deadline ({SHUTDOWN_DEADLINE_ENV}): SIGKILL cuts the requests still in flight; raise it above both",
                pod.grace_ms, drain.ms
            ),
        );
    } else if drain.ms < pod.grace_ms {
        let deadline = deadline_ms.map(|ms| format!(" and the {ms} ms shutdown deadline")).unwrap_or_default();
        push(
            "grace",
            true,
            format!(
                "the {} ms drain{deadline} end before terminationGracePeriodSeconds ({} ms)",
                drain.ms, pod.grace_ms
            ),
        );
    } else {
        push(
            "grace",
            false,
            format!(
                "terminationGracePeriodSeconds ({} ms) ends before the {} ms drain: SIGKILL cuts the drain and every \
                 request in flight; raise it above the drain plus the longest request",
                pod.grace_ms, drain.ms
            ),
        );
    }
    // The example's convention: the service is told the probe so its own shutdown check can
    // judge the drain. A manifest that changes the probe and not these makes that check lie.
    for (variable, expected) in [
        ("PROBE_PERIOD_MS", readiness.period_seconds * 1000.0),
        ("PROBE_FAILURE_THRESHOLD", readiness.failure_threshold),
    ] {
        if let Some(told) = container.env(variable).and_then(|value| value.trim().parse::<f64>().ok())
            && told != expected
        {
            push(
                "readinessProbe",
                false,
                format!(
                    "{variable} tells the service {told}, but the probe's figure is {expected}: its \
                     shutdown:graceful check judges the drain against a probe that does not exist"
                ),
            );
        }
    }
}

fn is_readiness_path(path: &str) -> bool {
    let path = path.split('?').next().unwrap_or_default().trim_end_matches('/');
    path.ends_with("/readiness") || path.ends_with("/readyz") || path.ends_with("/ready")
}

/// The service's deadline and longest check timeout (from its checklist) and its drain (the
/// observed value of its `shutdown:graceful` check, with the token).
fn published(url: &str, connection: &Connection) -> Result<Published, CannotEvaluate> {
    let origin = source::shown(&source::checklist_url(url));
    let checklist = Checklist::from_json(connection.get_json(&source::checklist_url(url))?, &origin)?;
    let timing = checklist
        .timing
        .ok_or_else(|| format!("{origin} publishes no `timing`: the service's readiness is older than this command"))?;
    let mut published = Published {
        deadline_ms: Some(timing.deadline_ms),
        longest_check_timeout_ms: Some(timing.longest_check_timeout_ms),
        drain_ms: None,
    };
    // Without the shutdown helper there is no such check, and the drain comes from elsewhere.
    if let Ok(health) = connection.get_health(&format!("{}/readiness/shutdown:graceful", source::base_url(url))) {
        published.drain_ms = health.pointer("/checks/shutdown:graceful/0/observedValue").and_then(Value::as_f64);
    }
    Ok(published)
}

/// Asks the service for each HTTP probe's path: a 404 means the probe can never pass.
fn ask_paths(
    url: &str,
    connection: &Connection,
    pod: &Pod,
    container: &Container,
    lines: &mut Vec<Line>,
) -> Result<(), CannotEvaluate> {
    let base = source::base_url(url);
    for (kind, probe) in container.probes() {
        let Some(path) = probe.and_then(|probe| probe.http_get.as_ref()).map(|get| get.path.as_deref().unwrap_or("/"))
        else {
            continue;
        };
        let status = connection.status(&format!("{base}{path}"))?;
        let ok = status != 404;
        let text = if ok {
            format!("GET {path}: the service answers {status}")
        } else {
            format!("GET {path}: the service has no such route (404): this probe can never pass")
        };
        lines.push(Line {
            workload: pod.workload.clone(),
            container: container.name.clone(),
            probe: kind.to_owned(),
            ok,
            text,
        });
    }
    Ok(())
}
