//! The memory check (`host:memory`): the process's resident memory is at most a limit.

use super::{KIB, human};
#[cfg(any(target_os = "linux", target_os = "android"))]
use super::{MIB, float, rounded};
use crate::blocking::blocking_fn;
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

/// The memory check (`host:memory`): the process's resident set size (`VmRSS` in
/// `/proc/self/status`) is at most `max_rss_bytes`.
///
/// In a container (a memory cgroup holding only this process) the use is what the kernel
/// charges the cgroup (`memory.current`, v1 `memory.usage_in_bytes`) when that is larger than
/// the RSS; in a cgroup shared with other processes, the RSS alone. It fails when
/// `max_rss_bytes` is above the cgroup's own limit (`memory.max`, v1
/// `memory.limit_in_bytes`): the kernel would kill the process before this check could fail.
///
/// The observed value is the use in MiB; the evidence adds the host's `MemAvailable` and
/// `MemTotal` (`/proc/meminfo`) and the cgroup's limit, usage and process count, when they can
/// be read. Where `/proc` cannot be read (another OS) it says it cannot tell.
pub fn memory(max_rss_bytes: u64) -> CheckRegistration {
    let spec = CheckSpec::new("host:memory")
        .control("performance.scalability.resource-utilization")
        .component_type("system")
        .description(format!("the process's resident memory is at most {}", human(max_rss_bytes)));
    CheckRegistration::new(spec, blocking_fn(move |_| judge_memory(max_rss_bytes)))
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

/// The memory cgroup this process is charged to: its limit (`None` when unlimited), what the
/// kernel charges it now (RSS and page cache of every process in it), and how many processes
/// share it.
#[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cgroup {
    limit: Option<u64>,
    current: u64,
    processes: usize,
}

/// A limit this large means "no limit" (cgroup v1 writes `PAGE_COUNTER_MAX` pages in bytes).
const UNLIMITED: u64 = 1 << 62;

/// Reads the cgroup v2 (`0::/path`: `memory.max`, `memory.current`) or v1 (`N:memory:/path`:
/// `memory.limit_in_bytes`, `memory.usage_in_bytes`) memory cgroup of this process.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn cgroup_memory() -> Option<Cgroup> {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let read = |dir: &str, file: &str| std::fs::read_to_string(format!("{dir}/{file}")).ok();
    let parse_limit = |text: String| match text.trim() {
        "max" => Some(None),
        limit => limit.parse::<u64>().ok().map(|limit| (limit < UNLIMITED).then_some(limit)),
    };
    let count = |dir: &str| read(dir, "cgroup.procs").map_or(0, |procs| procs.lines().count());
    let v1 = cgroups.lines().find_map(|line| {
        let (_, rest) = line.split_once(':')?;
        let (controllers, path) = rest.split_once(':')?;
        controllers.split(',').any(|controller| controller == "memory").then(|| path.trim_end_matches('/').to_owned())
    });
    if let Some(path) = v1 {
        let dir = format!("/sys/fs/cgroup/memory{path}");
        if let (Some(limit), Some(current)) = (read(&dir, "memory.limit_in_bytes"), read(&dir, "memory.usage_in_bytes"))
        {
            return Some(Cgroup {
                limit: parse_limit(limit)?,
                current: current.trim().parse().ok()?,
                processes: count(&dir),
            });
        }
    }
    let path = cgroups.lines().find_map(|line| line.strip_prefix("0::"))?;
    let dir = format!("/sys/fs/cgroup{}", path.trim_end_matches('/'));
    Some(Cgroup {
        limit: parse_limit(read(&dir, "memory.max")?)?,
        current: read(&dir, "memory.current")?.trim().parse().ok()?,
        processes: count(&dir),
    })
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn judge_memory(max_rss_bytes: u64) -> Outcome {
    let status = match std::fs::read_to_string("/proc/self/status") {
        Ok(status) => status,
        Err(error) => {
            return Outcome::cannot_tell(format!("/proc/self/status cannot be read ({error})"), "mount /proc");
        }
    };
    let Some(rss) = proc_kib_field(&status, "VmRSS") else {
        return Outcome::cannot_tell("/proc/self/status has no VmRSS line", "run on a Linux kernel with /proc");
    };
    judge_usage(max_rss_bytes, rss, cgroup_memory(), std::fs::read_to_string("/proc/meminfo").ok().as_deref())
}

/// Judges the process's memory against the configured limit: RSS, or what the kernel charges
/// the cgroup when the process has it to itself (a container), whichever is larger; and the
/// configured limit against the cgroup's own, which the kernel enforces first.
#[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
fn judge_usage(max_rss_bytes: u64, rss: u64, cgroup: Option<Cgroup>, meminfo: Option<&str>) -> Outcome {
    let mut host = String::new();
    let mut evidence = vec![("rss_bytes", rss.to_string()), ("max_rss_bytes", max_rss_bytes.to_string())];
    if let Some(meminfo) = meminfo {
        let available = proc_kib_field(meminfo, "MemAvailable");
        let total = proc_kib_field(meminfo, "MemTotal");
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
    // A cgroup shared with other processes (a dev machine, a sandbox) charges their memory
    // too: only the process's own RSS is its use then.
    let own_cgroup = cgroup.filter(|cgroup| cgroup.processes == 1);
    if let Some(cgroup) = cgroup {
        evidence.push(("cgroup_memory_current_bytes", cgroup.current.to_string()));
        evidence.push((
            "cgroup_memory_max_bytes",
            cgroup.limit.map_or_else(|| "max".to_owned(), |limit| limit.to_string()),
        ));
        evidence.push(("cgroup_processes", cgroup.processes.to_string()));
    }
    let used = own_cgroup.map_or(rss, |cgroup| cgroup.current.max(rss));
    let what = if used > rss { "memory charged to the container" } else { "resident memory" };
    let outcome = if let Some(limit) = cgroup.and_then(|cgroup| cgroup.limit).filter(|limit| max_rss_bytes > *limit) {
        Outcome::fail(format!(
            "the configured limit of {} is above the container's memory limit of {}: the kernel kills the process before this check can fail; set the limit under {}",
            human(max_rss_bytes),
            human(limit),
            human(limit)
        ))
    } else if used <= max_rss_bytes {
        Outcome::pass().with_output(format!(
            "{what} {} is within the {} limit{host}",
            human(used),
            human(max_rss_bytes)
        ))
    } else {
        Outcome::fail(format!(
            "{what} {} ({used} bytes) is over the limit of {} ({max_rss_bytes} bytes){host}",
            human(used),
            human(max_rss_bytes)
        ))
    };
    evidence.into_iter().fold(outcome.observed(rounded(float(used) / MIB, 1), "MiB"), |outcome, (key, value)| {
        outcome.evidence(key, value)
    })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn judge_memory(max_rss_bytes: u64) -> Outcome {
    Outcome::cannot_tell("the resident memory cannot be read on this OS", "the check reads Linux /proc")
        .evidence("max_rss_bytes", max_rss_bytes)
}
