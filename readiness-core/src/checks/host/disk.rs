//! The disk check (`host:disk`): the filesystem holding a path has enough free space and free
//! inodes.

use std::path::PathBuf;
use std::sync::Arc;

use super::{GIB, float, human, rounded};
use crate::blocking::blocking_fn;
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

/// A free-space floor.
#[derive(Debug, Clone, Copy)]
enum Floor {
    Bytes(u64),
    Percent(f64),
}

/// The disk check (`host:disk`): the filesystem holding `path` has at least `min_free_bytes`
/// available to the service's user (`statvfs`: `f_bavail × f_frsize`, so space reserved for
/// root does not count), and free inodes.
///
/// The observed value is the available space in GiB; the evidence adds the total size, the free
/// percentage and the free inodes. A path that does not exist fails, and so does a filesystem
/// mounted read-only (nothing can be written there, whatever it has free).
pub fn disk_free(path: impl Into<PathBuf>, min_free_bytes: u64) -> CheckRegistration {
    disk_check(path.into(), Floor::Bytes(min_free_bytes))
}

/// The disk check (`host:disk`) with a floor in percent of the filesystem's size (`0.0` to
/// `100.0`): as [`disk_free`], with the free percentage as the observed value. A floor outside
/// that range fails, naming it.
pub fn disk_free_percent(path: impl Into<PathBuf>, min_free_percent: f64) -> CheckRegistration {
    disk_check(path.into(), Floor::Percent(min_free_percent))
}

fn disk_check(path: PathBuf, floor: Floor) -> CheckRegistration {
    let wanted = match floor {
        Floor::Bytes(bytes) => human(bytes),
        Floor::Percent(percent) => format!("{percent}%"),
    };
    let spec = CheckSpec::new("host:disk")
        .control("performance.monitoring.system-resources")
        .component_type("system")
        .description(format!("at least {wanted} free on the filesystem of {}", path.display()));
    let path = Arc::new(path);
    CheckRegistration::new(spec, blocking_fn(move |_| judge_disk(&path, floor)))
}

/// What `statvfs` says about a filesystem.
#[cfg_attr(not(unix), allow(dead_code))]
struct DiskFacts {
    available: u64,
    total: u64,
    inodes: u64,
    inodes_available: u64,
    /// Mounted read-only: whatever `statvfs` counts as free, nothing can be written.
    read_only: bool,
}

#[cfg(unix)]
fn disk_facts(path: &std::path::Path) -> std::io::Result<DiskFacts> {
    let stats = rustix::fs::statvfs(path)?;
    let fragment = if stats.f_frsize > 0 { stats.f_frsize } else { stats.f_bsize };
    Ok(DiskFacts {
        available: stats.f_bavail.saturating_mul(fragment),
        total: stats.f_blocks.saturating_mul(fragment),
        inodes: stats.f_files,
        inodes_available: stats.f_favail,
        read_only: stats.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY),
    })
}

#[cfg(unix)]
fn judge_disk(path: &std::path::Path, floor: Floor) -> Outcome {
    if let Floor::Percent(percent) = floor
        && !(0.0..=100.0).contains(&percent)
    {
        return Outcome::fail(format!("the free-space floor {percent}% is not between 0 and 100"));
    }
    match disk_facts(path) {
        Ok(facts) => judge_disk_facts(&facts, floor, &path.display().to_string()),
        Err(error) => Outcome::fail(format!("cannot read the filesystem of {}: {error}", path.display()))
            .evidence("path", path.display()),
    }
}

#[cfg(not(unix))]
fn judge_disk(path: &std::path::Path, _floor: Floor) -> Outcome {
    Outcome::cannot_tell("the free disk space cannot be read on this OS", "the check uses statvfs")
        .evidence("path", path.display())
}

#[cfg_attr(not(unix), allow(dead_code))]
fn judge_disk_facts(facts: &DiskFacts, floor: Floor, path: &str) -> Outcome {
    let percent = if facts.total == 0 { 0.0 } else { float(facts.available) / float(facts.total) * 100.0 };
    let summary = format!(
        "{} free of {} ({percent:.1}%) on the filesystem of {path}",
        human(facts.available),
        human(facts.total)
    );
    let (enough, wanted) = match floor {
        Floor::Bytes(bytes) => (facts.available >= bytes, format!("{} ({bytes} bytes)", human(bytes))),
        Floor::Percent(min) => (percent >= min, format!("{min}%")),
    };
    let outcome = if facts.read_only {
        Outcome::fail(format!(
            "the filesystem of {path} is mounted read-only: nothing can be written, whatever is free"
        ))
    } else if !enough {
        Outcome::fail(format!("{summary}: under the floor of {wanted}"))
    } else if facts.inodes > 0 && facts.inodes_available == 0 {
        Outcome::fail(format!(
            "no free inodes on the filesystem of {path} ({} in all): no file can be created",
            facts.inodes
        ))
    } else {
        Outcome::pass().with_output(format!("{summary}; floor {wanted}"))
    };
    let outcome = match floor {
        Floor::Bytes(_) => outcome.observed(rounded(float(facts.available) / GIB, 2), "GiB"),
        Floor::Percent(_) => outcome.observed(rounded(percent, 1), "%"),
    };
    let mut outcome = outcome
        .evidence("path", path)
        .evidence("available_bytes", facts.available)
        .evidence("total_bytes", facts.total)
        .evidence("free_percent", format!("{percent:.1}"))
        .evidence("floor", wanted);
    if facts.inodes > 0 {
        outcome = outcome.evidence("inodes_available", facts.inodes_available).evidence("inodes", facts.inodes);
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Status;

    #[test]
    fn judges_disk_facts_in_bytes_percent_and_inodes() {
        let facts = DiskFacts {
            read_only: false,
            available: 10 * 1024 * 1024 * 1024,
            total: 40 * 1024 * 1024 * 1024,
            inodes: 100,
            inodes_available: 5,
        };
        let outcome = judge_disk_facts(&facts, Floor::Bytes(1024), "/data");
        assert_eq!(outcome.status, Status::Pass);
        assert_eq!(outcome.observed_value, Some(serde_json::json!(10.0)));
        let outcome = judge_disk_facts(&facts, Floor::Percent(30.0), "/data");
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(
            outcome.output.as_deref(),
            Some("10.0 GiB free of 40.0 GiB (25.0%) on the filesystem of /data: under the floor of 30%")
        );
        let full = DiskFacts { inodes_available: 0, ..facts };
        let outcome = judge_disk_facts(&full, Floor::Bytes(0), "/data");
        assert_eq!(outcome.status, Status::Fail);
        assert!(outcome.output.unwrap().starts_with("no free inodes"));
    }
}
