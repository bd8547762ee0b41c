//! The memory check (`host:memory`): the process's resident memory is at most a limit.

use super::{KIB, blocking, human};
#[cfg(any(target_os = "linux", target_os = "android"))]
use super::{MIB, float, rounded};
use crate::check::check_fn;
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

/// The memory check (`host:memory`): the process's resident set size (`VmRSS` in
/// `/proc/self/status`) is at most `max_rss_bytes`.
///
/// The observed value is the RSS in MiB; the evidence adds the host's `MemAvailable` and
/// `MemTotal` (`/proc/meminfo`) and, under cgroup v2, the container's `memory.max` and
/// `memory.current`, when they can be read. Off Linux it warns that it cannot check.
pub fn memory(max_rss_bytes: u64) -> CheckRegistration {
    let spec = CheckSpec::new("host:memory")
        .control("performance.scalability.resource-utilization")
        .component_type("system")
        .description(format!("the process's resident memory is at most {}", human(max_rss_bytes)));
    CheckRegistration::new(spec, check_fn(move |_| blocking(move || judge_memory(max_rss_bytes))))
}

/// The value in bytes of a `Key:   123 kB` line of a `/proc` file.
#[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
pub(super) fn proc_kib_field(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        let mut parts = rest.split_whitespace();
        let value: u64 = parts.next()?.parse().ok()?;
        match parts.next() {
            Some("kB") => value.checked_mul(KIB),
            None => Some(value),
            Some(_) => None,
        }
    })
}

/// cgroup v2 `memory.max` (`None` for `max`) and `memory.current` of this process.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn cgroup_memory() -> Option<(Option<u64>, u64)> {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = cgroups.lines().find_map(|line| line.strip_prefix("0::"))?;
    let dir = format!("/sys/fs/cgroup{}", path.trim_end_matches('/'));
    let max = std::fs::read_to_string(format!("{dir}/memory.max")).ok()?;
    let current = std::fs::read_to_string(format!("{dir}/memory.current")).ok()?.trim().parse().ok()?;
    let max = match max.trim() {
        "max" => None,
        limit => Some(limit.parse().ok()?),
    };
    Some((max, current))
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn judge_memory(max_rss_bytes: u64) -> Outcome {
    let status = match std::fs::read_to_string("/proc/self/status") {
        Ok(status) => status,
        Err(error) => return Outcome::fail(format!("cannot read /proc/self/status: {error}")),
    };
    let Some(rss) = proc_kib_field(&status, "VmRSS") else {
        return Outcome::fail("/proc/self/status has no VmRSS line");
    };
    let mut host = String::new();
    let mut evidence = vec![("rss_bytes", rss.to_string()), ("max_rss_bytes", max_rss_bytes.to_string())];
    if let Ok(meminfo) = std::fs::read_to_string("/proc/meminfo") {
        let available = proc_kib_field(&meminfo, "MemAvailable");
        let total = proc_kib_field(&meminfo, "MemTotal");
        if let Some(available) = available {
            evidence.push(("mem_available_bytes", available.to_string()));
        }
        if let Some(total) = total {
            evidence.push(("mem_total_bytes", total.to_string()));
        }
        if let (Some(available), Some(total)) = (available, total) {
            host = format!("; host: {} of {} available", human(available), human(total));
        }
    }
    if let Some((limit, current)) = cgroup_memory() {
        evidence.push(("cgroup_memory_current_bytes", current.to_string()));
        evidence.push(("cgroup_memory_max_bytes", limit.map_or_else(|| "max".to_owned(), |limit| limit.to_string())));
    }
    let outcome = if rss <= max_rss_bytes {
        Outcome::pass().with_output(format!(
            "resident memory {} is within the {} limit{host}",
            human(rss),
            human(max_rss_bytes)
        ))
    } else {
        Outcome::fail(format!(
            "resident memory {} ({rss} bytes) is over the limit of {} ({max_rss_bytes} bytes){host}",
            human(rss),
            human(max_rss_bytes)
        ))
    };
    evidence.into_iter().fold(outcome.observed(rounded(float(rss) / MIB, 1), "MiB"), |outcome, (key, value)| {
        outcome.evidence(key, value)
    })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn judge_memory(max_rss_bytes: u64) -> Outcome {
    Outcome::warn("cannot check the resident memory on this OS: the check reads Linux /proc")
        .evidence("max_rss_bytes", max_rss_bytes)
}
