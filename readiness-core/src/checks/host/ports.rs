//! The listening-ports check (`host:ports`): every TCP socket this process listens on is on a
//! declared port.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

use crate::blocking::blocking_fn;
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

/// The listening-ports check (`host:ports`): every TCP socket this process listens on is on one
/// of the `declared` ports.
///
/// On Linux it reads the listening sockets of the network namespace from `/proc/net/tcp` and
/// `/proc/net/tcp6` and keeps those whose inode is one of this process's file descriptors
/// (`/proc/self/fd/* -> socket:[inode]`), so sidecars sharing the namespace do not count; child
/// processes with their own descriptors do not either. It fails naming every undeclared port
/// (with its address), warns when a declared port is not listening (yet), and passes otherwise.
/// The observed value is the number of ports listened on; the evidence lists the listening
/// addresses and the declared ports. Off Linux it cannot tell (a warning, never a pass).
pub fn listening_ports(declared: impl IntoIterator<Item = u16>) -> CheckRegistration {
    let declared: Arc<BTreeSet<u16>> = Arc::new(declared.into_iter().collect());
    let spec = CheckSpec::new("host:ports")
        .control("security.network.ports")
        .component_type("system")
        .description(format!("the process listens only on the declared TCP ports ({})", join(declared.iter())));
    CheckRegistration::new(spec, blocking_fn(move |_| judge_ports(&declared)))
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
        if let Some(inode) = target.strip_prefix("socket:[").and_then(|rest| rest.strip_suffix(']'))
            && let Ok(inode) = inode.parse()
        {
            inodes.insert(inode);
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
    Outcome::cannot_tell("the listening ports cannot be read on this OS", "the check reads Linux /proc")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Status;

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
}
