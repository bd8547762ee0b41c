//! Host checks (feature `host`), each reading the real thing: the certificate file the service
//! serves, the process's own sockets in `/proc`, its memory, the filesystem it writes to.
//!
//! | check | control | passes when | fails when |
//! |---|---|---|---|
//! | [`tls_certificate`], [`tls_certificate_pem`] (`tls:certificate`) | `security.data.tls-in-transit` | the served certificate (the leaf, first in the PEM; the rest of the chain too) is valid now and not within `min_days` of expiry; days left as the observed value | the file is missing or unreadable, holds no certificate or a malformed one, or a certificate of the chain (an intermediate too) is expired, not yet valid or expires within `min_days` |
//! | [`tls_served`], [`tls_served_with_ca`] (`tls:served`) | `security.data.tls-in-transit` | a TLS client connecting to the configured public endpoint verifies the served chain for its hostname (Mozilla's roots, or a given CA), and the served certificates are not within `min_days` of expiry | the endpoint is unreachable, the handshake fails (unknown issuer, a name mismatch, expired, missing intermediate), or a served certificate expires within `min_days` |
//! | [`listening_ports`] (`host:ports`) | `security.network.ports` | every TCP socket this process listens on (Linux: `/proc/net/tcp{,6}` matched to `/proc/self/fd`) is on a declared port | the process listens on an undeclared port (each is named with its address); a declared port not listening (yet) warns |
//! | [`memory`] (`host:memory`) | `performance.scalability.resource-utilization` | the memory in use is at most a limit: the resident memory (`VmRSS`), or, in a memory cgroup (v1 or v2) the process has to itself, what the kernel charges it when larger; the limit is not above the cgroup's own; the host's `MemAvailable` and the cgroup's limit, usage and process count as evidence | the use is over the limit, or the configured limit is above the cgroup's (the kernel kills the process first) |
//! | [`disk_free`], [`disk_free_percent`] (`host:disk`) | `performance.monitoring.system-resources` | the filesystem holding a path (give the data directory, not `.`) is writable and has at least N bytes (or N %) free for the service's user, and free inodes | the filesystem is mounted read-only, less is free than the floor, no inode is free, the path does not exist, or a percentage floor is outside 0–100 |
//! | [`load`] (`host:load`) | `performance.monitoring.system-resources` | the 1-minute load average per available core is below a limit | the load per core is at or over the limit |
//!
//! The build itself (`operations.deployment.ci-cd`) is proven by
//! [`build_info::build_info_check`](crate::checks::build_info::build_info_check), which needs no OS
//! access and so no feature.
//!
//! Every check reads the system again on each run, off the async workers
//! ([`blocking_fn`](crate::blocking_fn)), so a hung filesystem costs one blocking thread (never
//! one more per run: a run still blocked makes the next ones fail at once) and the runner's
//! timeout still answers. None is critical: a failure makes the report warn. Where the system cannot
//! be read (another OS, no `/proc`), the check says it cannot tell, never passes.
//!
//! ```no_run
//! # fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use readiness_core::{Readiness, checks::host};
//!
//! let readiness = Readiness::builder()
//!     .register(host::tls_certificate("/etc/tls/tls.crt", 30))
//!     .register(host::listening_ports([8443, 9090]))
//!     .register(host::memory(512 * 1024 * 1024))
//!     .register(host::disk_free("/var/lib/orders", 2 * 1024 * 1024 * 1024))
//!     .register(host::load(2.0))
//!     .build()?;
//! # let _ = readiness; Ok(()) }
//! ```

mod certificate;
mod disk;
mod load;
mod memory;
mod ports;
mod served;

pub use certificate::{tls_certificate, tls_certificate_pem};
pub use disk::{disk_free, disk_free_percent};
pub use load::load;
pub use memory::memory;
pub use ports::listening_ports;
pub use served::{tls_served, tls_served_with_ca};

const KIB: u64 = 1024;
const MIB: f64 = 1024.0 * 1024.0;
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// `12.3 MiB`, `4.0 GiB`, `512 B`.
fn human(bytes: u64) -> String {
    // Lossy above 2^53 bytes, which is fine for display.
    #[allow(clippy::cast_precision_loss)]
    let value = bytes as f64;
    if value >= GIB {
        format!("{:.1} GiB", value / GIB)
    } else if value >= MIB {
        format!("{:.1} MiB", value / MIB)
    } else if bytes >= KIB {
        format!("{:.1} KiB", value / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

/// `value` rounded to `places` decimals, as JSON (a number; `null` if not finite).
#[cfg_attr(not(unix), allow(dead_code))]
fn rounded(value: f64, places: i32) -> serde_json::Value {
    let scale = 10f64.powi(places);
    serde_json::Number::from_f64((value * scale).round() / scale).map_or(serde_json::Value::Null, Into::into)
}

/// Lossy `u64` → `f64` for ratios and display.
#[cfg_attr(not(unix), allow(dead_code))]
#[allow(clippy::cast_precision_loss)]
fn float(value: u64) -> f64 {
    value as f64
}

#[cfg(test)]
mod tests {
    use super::load::parse_loadavg;
    use super::memory::proc_kib_field;
    use super::*;

    #[test]
    fn reads_kib_fields_and_load_averages() {
        let status = "Name:\tx\nVmHWM:\t   2048 kB\nVmRSS:\t   1024 kB\n";
        assert_eq!(proc_kib_field(status, "VmRSS"), Some(1024 * 1024));
        assert_eq!(proc_kib_field(status, "VmRS"), None);
        assert_eq!(proc_kib_field("HugePages_Total:       0\n", "HugePages_Total"), Some(0));
        assert_eq!(parse_loadavg("0.52 0.58 0.59 1/467 12345\n"), Some([0.52, 0.58, 0.59]));
        assert_eq!(parse_loadavg("garbage"), None);
    }

    #[test]
    fn formats_sizes() {
        assert_eq!(human(512), "512 B");
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(3 * 1024 * 1024), "3.0 MiB");
        assert_eq!(human(u64::MAX), "17179869184.0 GiB");
    }
}
