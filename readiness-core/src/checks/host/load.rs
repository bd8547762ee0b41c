//! The load check (`host:load`): the 1-minute load average per available core is below a limit.

#[cfg(any(target_os = "linux", target_os = "android"))]
use super::rounded;
use crate::blocking::blocking_fn;
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

/// The load check (`host:load`): the 1-minute load average (`/proc/loadavg`) divided by the
/// cores available to this process (`std::thread::available_parallelism`, which honours CPU
/// affinity and cgroup quotas) is below `max_per_core`.
///
/// The observed value is the load per core; the evidence adds the 1, 5 and 15-minute averages
/// and the core count. Off Linux it cannot tell (a warning, never a pass).
pub fn load(max_per_core: f64) -> CheckRegistration {
    let spec = CheckSpec::new("host:load")
        .control("performance.monitoring.system-resources")
        .component_type("system")
        .description(format!("the 1-minute load average per core is below {max_per_core}"));
    CheckRegistration::new(spec, blocking_fn(move |_| judge_load(max_per_core)))
}

/// The three load averages of `/proc/loadavg`.
#[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
pub(super) fn parse_loadavg(text: &str) -> Option<[f64; 3]> {
    let mut fields = text.split_whitespace().map(str::parse::<f64>);
    Some([fields.next()?.ok()?, fields.next()?.ok()?, fields.next()?.ok()?])
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn judge_load(max_per_core: f64) -> Outcome {
    let text = match std::fs::read_to_string("/proc/loadavg") {
        Ok(text) => text,
        Err(error) => return Outcome::cannot_tell(format!("/proc/loadavg cannot be read ({error})"), "mount /proc"),
    };
    let Some([one, five, fifteen]) = parse_loadavg(&text) else {
        return Outcome::fail(format!("cannot parse /proc/loadavg: {:?}", text.trim()));
    };
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let per_core = one / f64::from(u32::try_from(cores).unwrap_or(u32::MAX));
    let summary = format!("1-minute load {one:.2} on {cores} core(s): {per_core:.2} per core");
    let outcome = if per_core < max_per_core {
        Outcome::pass().with_output(format!("{summary}, below {max_per_core}"))
    } else {
        Outcome::fail(format!("{summary}, not below the limit of {max_per_core}"))
    };
    outcome
        .observed(rounded(per_core, 2), "load/core")
        .evidence("load1", one)
        .evidence("load5", five)
        .evidence("load15", fifteen)
        .evidence("cores", cores)
        .evidence("max_per_core", max_per_core)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn judge_load(max_per_core: f64) -> Outcome {
    Outcome::cannot_tell("the load average cannot be read on this OS", "the check reads Linux /proc")
        .evidence("max_per_core", max_per_core)
}
