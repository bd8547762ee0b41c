//! Host checks (feature `host`), each reading the real thing: the certificate file the service
//! serves, the process's own sockets in `/proc`, its memory, the filesystem it writes to.
//!
//! | check | control | proves | passes / fails (tests in `tests/host.rs`) |
//! |---|---|---|---|
//! | [`tls_certificate`], [`tls_certificate_pem`] (`tls:certificate`) | `security.data.tls-in-transit` | the served certificate (the leaf, first in the PEM; the rest of the chain too) is valid now and not within `min_days` of expiry; days left as the observed value | `tls_certificate_passes_on_a_valid_chain_and_reports_what_it_read` / `tls_certificate_fails_expired_expiring_not_yet_valid_garbage_and_missing` (also `tls_certificate_fails_on_an_expired_intermediate`) |
//! | [`listening_ports`] (`host:ports`) | `security.network.ports` | every TCP socket this process listens on (Linux: `/proc/net/tcp{,6}` matched to `/proc/self/fd`) is on a declared port | `listening_ports_pass_when_declared_and_fail_naming_an_undeclared_port` (one test: both cases share the process's sockets) |
//! | [`memory`] (`host:memory`) | `performance.scalability.resource-utilization` | the process's resident memory (`VmRSS`) is at most a limit; the host's `MemAvailable` and the cgroup's limit as evidence | `memory_passes_under_a_generous_limit` / `memory_fails_over_a_one_byte_limit` |
//! | [`disk_free`], [`disk_free_percent`] (`host:disk`) | `performance.monitoring.system-resources` | the filesystem holding a path has at least N bytes (or N %) free for the service's user, and free inodes | `disk_free_passes_with_room_to_spare` / `disk_free_fails_over_the_disk_size_and_on_a_missing_path` |
//! | [`load`] (`host:load`) | `performance.monitoring.system-resources` | the 1-minute load average per available core is below a limit | `load_passes_under_a_generous_limit` / `load_fails_under_a_zero_limit` |
//!
//! The build itself (`operations.deployment.ci-cd`) is proven by
//! [`build_info::build_info_check`](crate::build_info::build_info_check), which needs no OS
//! access and so no feature.
//!
//! Every check reads the system again on each run, off the async workers
//! (`spawn_blocking`), so a hung filesystem costs a blocking thread and the runner's timeout
//! still answers. None is critical: a failure makes the report warn. Where the system cannot
//! be read (another OS, no `/proc`), the check says so: a warning off Linux, a failure when a
//! Linux `/proc` file is missing or unreadable.
//!
//! ```no_run
//! # fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use readiness_core::{Readiness, host};
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

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::pem::Pem;
use x509_parser::time::ASN1Time;

use crate::check::{CheckRegistration, CheckSpec, Outcome, check_fn};

const DAY: i64 = 86_400;
const KIB: u64 = 1024;
const MIB: f64 = 1024.0 * 1024.0;
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Runs blocking work off the async workers: a hung file read or `statvfs` then costs one
/// blocking thread, and the runner's timeout still answers. Outside a tokio runtime it runs
/// inline. A panic in the work becomes a failing outcome.
async fn blocking(work: impl FnOnce() -> Outcome + Send + 'static) -> Outcome {
    if tokio::runtime::Handle::try_current().is_err() {
        return work();
    }
    match tokio::task::spawn_blocking(work).await {
        Ok(outcome) => outcome,
        Err(error) => Outcome::fail(format!("the check's blocking task failed: {error}")),
    }
}

/// Seconds since the Unix epoch, now.
fn unix_now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

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

// ---------------------------------------------------------------------------------------------
// tls:certificate
// ---------------------------------------------------------------------------------------------

fn tls_spec(min_days: u32) -> CheckSpec {
    CheckSpec::new("tls:certificate")
        .control("security.data.tls-in-transit")
        .component_type("system")
        .ttl(Duration::from_secs(60))
        .description(format!("the served TLS certificate is valid and not within {min_days} days of expiry"))
}

/// The TLS certificate check (`tls:certificate`) of a PEM file, read again on each run (so a
/// rotated certificate is seen): the first certificate in the file is the leaf the service
/// serves; any further ones (the chain) must be valid too.
///
/// Fails when the file cannot be read, holds no certificate or a malformed one, or when a
/// certificate is not yet valid, expired, or expires in fewer than `min_days` days. The
/// observed value is the leaf's whole days to expiry (rounded toward zero; negative once expired); the evidence
/// holds its subject, issuer, serial, DNS names and validity, and the chain length.
pub fn tls_certificate(path: impl Into<PathBuf>, min_days: u32) -> CheckRegistration {
    let path: Arc<PathBuf> = Arc::new(path.into());
    let spec = tls_spec(min_days);
    CheckRegistration::new(
        spec,
        check_fn(move |_| {
            let path = Arc::clone(&path);
            blocking(move || match std::fs::read(&*path) {
                Ok(pem) => judge_certificates(&pem, min_days, unix_now()).evidence("path", path.display()),
                Err(error) => Outcome::fail(format!("cannot read the certificate file {}: {error}", path.display()))
                    .evidence("path", path.display()),
            })
        }),
    )
}

/// The TLS certificate check (`tls:certificate`) of PEM data held in memory (a certificate
/// loaded once at startup, or embedded): the same judgement as [`tls_certificate`], against the
/// clock of each run.
pub fn tls_certificate_pem(pem: impl Into<Vec<u8>>, min_days: u32) -> CheckRegistration {
    let pem: Arc<[u8]> = pem.into().into();
    CheckRegistration::new(
        tls_spec(min_days),
        check_fn(move |_| {
            let pem = Arc::clone(&pem);
            async move { judge_certificates(&pem, min_days, unix_now()) }
        }),
    )
}

/// What is wrong with one certificate at `now`, if anything: `None` when it is valid for at
/// least `min_days` more days.
fn certificate_problem(certificate: &X509Certificate<'_>, min_days: u32, now: i64) -> Option<String> {
    let validity = certificate.validity();
    let not_before = validity.not_before.timestamp();
    let not_after = validity.not_after.timestamp();
    let days_left = (not_after - now) / DAY;
    if now < not_before {
        Some(format!("is not valid before {}", rfc3339(validity.not_before)))
    } else if now > not_after {
        Some(format!("expired on {} ({} days ago)", rfc3339(validity.not_after), -days_left))
    } else if not_after - now < i64::from(min_days) * DAY {
        Some(format!(
            "expires on {}, in {days_left} days: under the {min_days}-day minimum; renew it",
            rfc3339(validity.not_after)
        ))
    } else {
        None
    }
}

fn rfc3339(time: ASN1Time) -> String {
    time.to_datetime().format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| time.to_string())
}

fn subject_of(certificate: &X509Certificate<'_>) -> String {
    let subject = certificate.subject().to_string();
    if subject.is_empty() { "(empty subject)".to_owned() } else { subject }
}

/// Judges PEM data at `now`: the leaf (first certificate) gives the observed value and evidence;
/// a problem with any certificate fails.
fn judge_certificates(pem: &[u8], min_days: u32, now: i64) -> Outcome {
    let mut blocks = Vec::new();
    for block in Pem::iter_from_buffer(pem) {
        match block {
            Ok(block) => blocks.push(block),
            Err(error) => return Outcome::fail(format!("not a valid PEM file: {error}")),
        }
    }
    let labels: Vec<&str> = blocks.iter().map(|block| block.label.as_str()).collect();
    let mut certificates = Vec::new();
    for (index, block) in blocks.iter().filter(|block| block.label == "CERTIFICATE").enumerate() {
        match block.parse_x509() {
            Ok(certificate) => certificates.push(certificate),
            Err(error) => {
                return Outcome::fail(format!(
                    "certificate #{} in the PEM data is not a valid X.509 certificate: {error}",
                    index + 1
                ));
            }
        }
    }
    let Some(leaf) = certificates.first() else {
        return if labels.is_empty() {
            Outcome::fail("no certificate: the data holds no PEM block (expected -----BEGIN CERTIFICATE-----)")
        } else {
            Outcome::fail(format!("no certificate among the PEM blocks ({})", labels.join(", ")))
        };
    };

    let subject = subject_of(leaf);
    let validity = leaf.validity();
    let days_left = (validity.not_after.timestamp() - now) / DAY;
    let mut problems = Vec::new();
    if let Some(problem) = certificate_problem(leaf, min_days, now) {
        problems.push(format!("the certificate of {subject} {problem}"));
    }
    for (index, certificate) in certificates.iter().enumerate().skip(1) {
        if let Some(problem) = certificate_problem(certificate, min_days, now) {
            problems.push(format!("chain certificate #{} ({}) {problem}", index + 1, subject_of(certificate)));
        }
    }
    let outcome = if problems.is_empty() {
        Outcome::pass().with_output(format!(
            "the certificate of {subject} is valid until {} ({days_left} days left, minimum {min_days})",
            rfc3339(validity.not_after)
        ))
    } else {
        Outcome::fail(problems.join("; "))
    };
    let dns_names: Vec<String> = match leaf.subject_alternative_name() {
        Ok(Some(names)) => names
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                GeneralName::IPAddress(bytes) => ip_from_bytes(bytes),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut outcome = outcome
        .observed(days_left, "days")
        .evidence("subject", &subject)
        .evidence("issuer", leaf.issuer())
        .evidence("serial", leaf.raw_serial_as_string())
        .evidence("not_before", rfc3339(validity.not_before))
        .evidence("not_after", rfc3339(validity.not_after))
        .evidence("chain_length", certificates.len())
        .evidence("min_days", min_days);
    if !dns_names.is_empty() {
        outcome = outcome.evidence("names", dns_names.join(", "));
    }
    outcome
}

fn ip_from_bytes(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(|octets| std::net::Ipv4Addr::from(octets).to_string()),
        16 => <[u8; 16]>::try_from(bytes).ok().map(|octets| std::net::Ipv6Addr::from(octets).to_string()),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// host:ports
// ---------------------------------------------------------------------------------------------

/// The listening-ports check (`host:ports`): every TCP socket this process listens on is on one
/// of the `declared` ports.
///
/// On Linux it reads the listening sockets of the network namespace from `/proc/net/tcp` and
/// `/proc/net/tcp6` and keeps those whose inode is one of this process's file descriptors
/// (`/proc/self/fd/* -> socket:[inode]`), so sidecars sharing the namespace do not count; child
/// processes with their own descriptors do not either. It fails naming every undeclared port
/// (with its address), warns when a declared port is not listening (yet), and passes otherwise.
/// The observed value is the number of ports listened on; the evidence lists the listening
/// addresses and the declared ports. Off Linux it warns that it cannot check.
pub fn listening_ports(declared: impl IntoIterator<Item = u16>) -> CheckRegistration {
    let declared: Arc<BTreeSet<u16>> = Arc::new(declared.into_iter().collect());
    let spec = CheckSpec::new("host:ports")
        .control("security.network.ports")
        .component_type("system")
        .description(format!("the process listens only on the declared TCP ports ({})", join(declared.iter())));
    CheckRegistration::new(
        spec,
        check_fn(move |_| {
            let declared = Arc::clone(&declared);
            blocking(move || judge_ports(&declared))
        }),
    )
}

fn join<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let mut text = String::new();
    for (index, item) in items.into_iter().enumerate() {
        if index > 0 {
            text.push_str(", ");
        }
        let _ = write!(text, "{item}");
    }
    if text.is_empty() { "none".to_owned() } else { text }
}

/// A TCP socket in the LISTEN state, from `/proc/net/tcp{,6}`.
#[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listener {
    address: std::net::SocketAddr,
    inode: u64,
}

/// The listening sockets in one `/proc/net/tcp` or `/proc/net/tcp6` table. Lines that do not
/// parse are skipped (the header, and anything a future kernel adds).
#[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
fn parse_tcp_table(table: &str) -> Vec<Listener> {
    const LISTEN: &str = "0A";
    table
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
            if fields.len() < 10 || fields[3] != LISTEN {
                return None;
            }
            let address = parse_proc_address(fields[1])?;
            let inode = fields[9].parse().ok()?;
            Some(Listener { address, inode })
        })
        .collect()
}

/// `0100007F:1F90` or a 32-digit IPv6 form: the address as the kernel prints it (each 32-bit
/// word in native byte order), the port in hex.
#[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
fn parse_proc_address(text: &str) -> Option<std::net::SocketAddr> {
    let (host, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |hex: &str| u32::from_str_radix(hex, 16).ok().map(u32::to_ne_bytes);
    let ip = match host.len() {
        8 => std::net::IpAddr::from(word(host)?),
        32 => {
            let mut octets = [0u8; 16];
            for (index, chunk) in octets.chunks_exact_mut(4).enumerate() {
                chunk.copy_from_slice(&word(host.get(index * 8..index * 8 + 8)?)?);
            }
            let v6 = std::net::Ipv6Addr::from(octets);
            v6.to_ipv4_mapped().map_or(std::net::IpAddr::V6(v6), std::net::IpAddr::V4)
        }
        _ => return None,
    };
    Some(std::net::SocketAddr::new(ip, port))
}

/// The inode of every socket among this process's file descriptors.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn own_socket_inodes() -> std::io::Result<BTreeSet<u64>> {
    let mut inodes = BTreeSet::new();
    for entry in std::fs::read_dir("/proc/self/fd")? {
        // A descriptor closed while we look is simply gone.
        let Ok(entry) = entry else { continue };
        let Ok(target) = std::fs::read_link(entry.path()) else { continue };
        let target = target.to_string_lossy();
        if let Some(inode) = target.strip_prefix("socket:[").and_then(|rest| rest.strip_suffix(']')) {
            if let Ok(inode) = inode.parse() {
                inodes.insert(inode);
            }
        }
    }
    Ok(inodes)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn own_listeners() -> Result<Vec<Listener>, String> {
    let mut listeners = Vec::new();
    for (table, required) in [("/proc/net/tcp", true), ("/proc/net/tcp6", false)] {
        match std::fs::read_to_string(table) {
            Ok(text) => listeners.extend(parse_tcp_table(&text)),
            // No tcp6 table when the kernel has IPv6 disabled.
            Err(error) if !required && error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(format!("cannot read {table}: {error}")),
        }
    }
    let inodes = own_socket_inodes().map_err(|error| format!("cannot list /proc/self/fd: {error}"))?;
    listeners.retain(|listener| inodes.contains(&listener.inode));
    listeners.sort_by_key(|listener| (listener.address.port(), listener.address.is_ipv6(), listener.address));
    listeners.dedup();
    Ok(listeners)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn judge_ports(declared: &BTreeSet<u16>) -> Outcome {
    match own_listeners() {
        Ok(listeners) => judge_listeners(&listeners, declared),
        Err(problem) => Outcome::fail(problem).evidence("declared", join(declared.iter())),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn judge_ports(declared: &BTreeSet<u16>) -> Outcome {
    Outcome::warn("cannot check the listening ports on this OS: the check reads Linux /proc")
        .evidence("declared", join(declared.iter()))
}

#[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
fn judge_listeners(listeners: &[Listener], declared: &BTreeSet<u16>) -> Outcome {
    let ports: BTreeSet<u16> = listeners.iter().map(|listener| listener.address.port()).collect();
    let addresses_of = |port: u16| {
        join(listeners.iter().filter(|listener| listener.address.port() == port).map(|listener| listener.address))
    };
    let undeclared: Vec<String> =
        ports.difference(declared).map(|port| format!("{port} ({})", addresses_of(*port))).collect();
    let silent: Vec<&u16> = declared.difference(&ports).collect();
    let outcome = if !undeclared.is_empty() {
        Outcome::fail(format!(
            "listening on undeclared port(s) {}; declared: {}",
            undeclared.join(", "),
            join(declared.iter())
        ))
    } else if !silent.is_empty() {
        Outcome::warn(format!("declared port(s) {} not listening; listening on: {}", join(silent), join(ports.iter())))
    } else if ports.is_empty() {
        Outcome::pass().with_output("no listening TCP socket, none declared")
    } else {
        Outcome::pass().with_output(format!(
            "listening only on declared port(s): {}",
            join(listeners.iter().map(|listener| listener.address))
        ))
    };
    outcome
        .observed(ports.len(), "ports")
        .evidence("listening", join(listeners.iter().map(|listener| listener.address)))
        .evidence("declared", join(declared.iter()))
}

// ---------------------------------------------------------------------------------------------
// host:memory
// ---------------------------------------------------------------------------------------------

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
fn proc_kib_field(text: &str, key: &str) -> Option<u64> {
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

// ---------------------------------------------------------------------------------------------
// host:disk
// ---------------------------------------------------------------------------------------------

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
/// percentage and the free inodes. A path that does not exist fails.
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
    CheckRegistration::new(
        spec,
        check_fn(move |_| {
            let path = Arc::clone(&path);
            blocking(move || judge_disk(&path, floor))
        }),
    )
}

/// What `statvfs` says about a filesystem.
#[cfg_attr(not(unix), allow(dead_code))]
struct DiskFacts {
    available: u64,
    total: u64,
    inodes: u64,
    inodes_available: u64,
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
    })
}

#[cfg(unix)]
fn judge_disk(path: &std::path::Path, floor: Floor) -> Outcome {
    if let Floor::Percent(percent) = floor {
        if !(0.0..=100.0).contains(&percent) {
            return Outcome::fail(format!("the free-space floor {percent}% is not between 0 and 100"));
        }
    }
    match disk_facts(path) {
        Ok(facts) => judge_disk_facts(&facts, floor, &path.display().to_string()),
        Err(error) => Outcome::fail(format!("cannot read the filesystem of {}: {error}", path.display()))
            .evidence("path", path.display()),
    }
}

#[cfg(not(unix))]
fn judge_disk(path: &std::path::Path, _floor: Floor) -> Outcome {
    Outcome::warn("cannot check the free disk space on this OS: the check uses statvfs")
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
    let outcome = if !enough {
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

// ---------------------------------------------------------------------------------------------
// host:load
// ---------------------------------------------------------------------------------------------

/// The load check (`host:load`): the 1-minute load average (`/proc/loadavg`) divided by the
/// cores available to this process (`std::thread::available_parallelism`, which honours CPU
/// affinity and cgroup quotas) is below `max_per_core`.
///
/// The observed value is the load per core; the evidence adds the 1, 5 and 15-minute averages
/// and the core count. Off Linux it warns that it cannot check.
pub fn load(max_per_core: f64) -> CheckRegistration {
    let spec = CheckSpec::new("host:load")
        .control("performance.monitoring.system-resources")
        .component_type("system")
        .description(format!("the 1-minute load average per core is below {max_per_core}"));
    CheckRegistration::new(spec, check_fn(move |_| blocking(move || judge_load(max_per_core))))
}

/// The three load averages of `/proc/loadavg`.
#[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
fn parse_loadavg(text: &str) -> Option<[f64; 3]> {
    let mut fields = text.split_whitespace().map(str::parse::<f64>);
    Some([fields.next()?.ok()?, fields.next()?.ok()?, fields.next()?.ok()?])
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn judge_load(max_per_core: f64) -> Outcome {
    let text = match std::fs::read_to_string("/proc/loadavg") {
        Ok(text) => text,
        Err(error) => return Outcome::fail(format!("cannot read /proc/loadavg: {error}")),
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
    Outcome::warn("cannot check the load average on this OS: the check reads Linux /proc")
        .evidence("max_per_core", max_per_core)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;

    #[test]
    fn parses_listening_sockets_of_both_tables() {
        let v4 = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   \
                  0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0 100 0 0 10 0\n   \
                  1: 0100007F:1F91 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0 20 4 30 10 -1\n";
        let listeners = parse_tcp_table(v4);
        assert_eq!(listeners, vec![Listener { address: "127.0.0.1:8080".parse().unwrap(), inode: 4242 }]);
        let v6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   \
                  0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77 1 0 100 0 0 10 0\n   \
                  1: 0000000000000000FFFF00000100007F:0051 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 78 1 0 100 0 0 10 0\n";
        let listeners = parse_tcp_table(v6);
        if cfg!(target_endian = "little") {
            assert_eq!(listeners[0].address, "[::1]:80".parse().unwrap());
            assert_eq!(listeners[1].address, "127.0.0.1:81".parse().unwrap());
        }
        assert_eq!(listeners.len(), 2);
        assert_eq!(listeners[1].inode, 78);
    }

    #[test]
    fn judges_listeners_against_the_declared_ports() {
        let listeners = [
            Listener { address: "0.0.0.0:8080".parse().unwrap(), inode: 1 },
            Listener { address: "[::]:8080".parse().unwrap(), inode: 2 },
        ];
        let outcome = judge_listeners(&listeners, &BTreeSet::from([8080]));
        assert_eq!(outcome.status, Status::Pass, "{:?}", outcome.output);
        assert_eq!(outcome.observed_value, Some(1.into()));
        let outcome = judge_listeners(&listeners, &BTreeSet::from([8080, 9090]));
        assert_eq!(outcome.status, Status::Warn);
        assert_eq!(outcome.output.as_deref(), Some("declared port(s) 9090 not listening; listening on: 8080"));
        let outcome = judge_listeners(&listeners, &BTreeSet::from([9090]));
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(
            outcome.output.as_deref(),
            Some("listening on undeclared port(s) 8080 (0.0.0.0:8080, [::]:8080); declared: 9090")
        );
    }

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
    fn judges_disk_facts_in_bytes_percent_and_inodes() {
        let facts = DiskFacts {
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

    #[test]
    fn formats_sizes() {
        assert_eq!(human(512), "512 B");
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(3 * 1024 * 1024), "3.0 MiB");
        assert_eq!(human(u64::MAX), "17179869184.0 GiB");
    }
}
