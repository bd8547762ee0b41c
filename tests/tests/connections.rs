//! Hostile and idle connections against the example service (issue 14): heads that never end do
//! not stop `/liveness` and are closed within the header-read timeout; idle connections within
//! the idle timeout; the connection cap holds; SIGTERM exits within drain + deadline whatever
//! the connections do, and a second SIGTERM exits at once.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use readiness_tests::ExampleService;

fn address(service: &ExampleService) -> String {
    service.base_url().trim_start_matches("http://").to_owned()
}

/// A connection that sent the start of a request head and never its end.
fn half_sent_head(address: &str) -> TcpStream {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.write_all(b"GET /readiness HTTP/1.1\r\nHost: slow\r\nX-Slow: ").unwrap();
    stream
}

/// `GET path` on a new connection, kept alive; the status line and the connection.
fn get_keep_alive(address: &str, path: &str) -> (String, TcpStream) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    let mut buffer = [0_u8; 4096];
    let read = stream.read(&mut buffer).unwrap();
    let text = String::from_utf8_lossy(&buffer[..read]).into_owned();
    (text.lines().next().unwrap_or_default().to_owned(), stream)
}

/// Whether the server closed `stream` (EOF or reset) within `limit`.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut byte = [0_u8; 1];
    match stream.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(error) => !matches!(error.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
    }
}

fn sigterm(service: &ExampleService) {
    let status = std::process::Command::new("kill").arg("-TERM").arg(service.pid().to_string()).status().unwrap();
    assert!(status.success());
}

#[test]
fn two_hundred_heads_that_never_end_do_not_stop_liveness_and_are_closed_in_time() {
    let service = ExampleService::start(&[("HEADER_READ_TIMEOUT_MS", "1000"), ("IDLE_TIMEOUT_MS", "30000")]);
    let address = address(&service);
    let opened = Instant::now();
    let mut slow: Vec<TcpStream> = (0..200).map(|_| half_sent_head(&address)).collect();
    // Liveness answers while they hang.
    let (status, _) = get_keep_alive(&address, "/liveness");
    assert_eq!(status, "HTTP/1.1 200 OK");
    // Each is closed by the server: after the 1 s timeout, well before the 30 s idle one.
    for (index, stream) in slow.iter_mut().enumerate() {
        let left = Duration::from_secs(4).saturating_sub(opened.elapsed());
        assert!(closed_within(stream, left.max(Duration::from_millis(1))), "slow connection {index} still open");
    }
    let took = opened.elapsed();
    assert!(took >= Duration::from_millis(900), "closed before the timeout: {took:?}");
    // And the service still serves.
    let (status, _) = get_keep_alive(&address, "/liveness");
    assert_eq!(status, "HTTP/1.1 200 OK");
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout_and_not_before() {
    let service = ExampleService::start(&[("HEADER_READ_TIMEOUT_MS", "300"), ("IDLE_TIMEOUT_MS", "1500")]);
    let address = address(&service);
    let (status, mut idle) = get_keep_alive(&address, "/liveness");
    assert_eq!(status, "HTTP/1.1 200 OK");
    let answered = Instant::now();
    // Idle is not a slow head: the 300 ms header timeout does not close it.
    assert!(!closed_within(&mut idle, Duration::from_millis(800)), "closed by the header-read timeout");
    // It is still usable, and the idle time starts again after this answer.
    write!(idle, "GET /liveness HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    let mut buffer = [0_u8; 4096];
    idle.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let read = idle.read(&mut buffer).unwrap();
    assert!(String::from_utf8_lossy(&buffer[..read]).starts_with("HTTP/1.1 200 OK"));
    let reused = Instant::now();
    assert!(closed_within(&mut idle, Duration::from_secs(4)), "an idle connection stayed open");
    let idle_for = reused.elapsed();
    assert!(idle_for >= Duration::from_millis(1300), "closed after {idle_for:?} idle, before the 1.5 s timeout");
    assert!(answered.elapsed() < Duration::from_secs(6));
}

#[test]
fn past_the_connection_cap_a_connection_waits_until_one_closes() {
    let service = ExampleService::start(&[("MAX_CONNECTIONS", "4"), ("IDLE_TIMEOUT_MS", "30000")]);
    let address = address(&service);
    let mut held: Vec<TcpStream> = (0..4).map(|_| get_keep_alive(&address, "/liveness").1).collect();
    // The fifth connects (the kernel's backlog takes it) but is not served.
    let mut fifth = TcpStream::connect(&address).unwrap();
    write!(fifth, "GET /liveness HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    fifth.set_read_timeout(Some(Duration::from_millis(700))).unwrap();
    let mut buffer = [0_u8; 4096];
    let waited = fifth.read(&mut buffer);
    assert!(
        waited.is_err(),
        "served past the cap: {:?}",
        waited.map(|read| String::from_utf8_lossy(&buffer[..read]).into_owned())
    );
    // One of the four leaves: the fifth is served.
    drop(held.pop());
    fifth.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let read = fifth.read(&mut buffer).unwrap();
    assert!(String::from_utf8_lossy(&buffer[..read]).starts_with("HTTP/1.1 200 OK"));
}

#[test]
fn sigterm_exits_within_drain_and_deadline_with_idle_and_stuck_connections() {
    // A header timeout longer than the test: only the shutdown deadline can end the stuck heads.
    let service = ExampleService::start(&[
        ("DRAIN_MS", "400"),
        ("SHUTDOWN_DEADLINE_MS", "1500"),
        ("HEADER_READ_TIMEOUT_MS", "60000"),
        ("IDLE_TIMEOUT_MS", "60000"),
    ]);
    let address = address(&service);
    let idle: Vec<TcpStream> = (0..100).map(|_| get_keep_alive(&address, "/liveness").1).collect();
    let stuck: Vec<TcpStream> = (0..20).map(|_| half_sent_head(&address)).collect();
    let signalled = Instant::now();
    sigterm(&service);
    // During the drain readiness fails and liveness still passes, on a kept-alive connection.
    std::thread::sleep(Duration::from_millis(100));
    let (readiness, _) = get_keep_alive(&address, "/readiness");
    assert_eq!(readiness, "HTTP/1.1 503 Service Unavailable");
    let (status, stderr) = service.wait_for_exit(Duration::from_secs(6)).expect("exits after SIGTERM");
    let took = signalled.elapsed();
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(took >= Duration::from_millis(400), "exited before the drain was over: {took:?}");
    // drain 0.4 s + deadline 1.5 s, with room for a loaded machine.
    assert!(took < Duration::from_millis(3400), "took {took:?} past drain + deadline: {stderr}");
    assert!(stderr.contains("shutdown deadline reached"), "{stderr}");
    drop((idle, stuck));
}

#[test]
fn a_second_sigterm_exits_at_once() {
    let service = ExampleService::start(&[("DRAIN_MS", "20000"), ("SHUTDOWN_DEADLINE_MS", "20000")]);
    let address = address(&service);
    let _stuck = half_sent_head(&address);
    sigterm(&service);
    std::thread::sleep(Duration::from_millis(300));
    let second = Instant::now();
    sigterm(&service);
    let (status, stderr) = service.wait_for_exit(Duration::from_secs(5)).expect("exits after a second SIGTERM");
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(second.elapsed() < Duration::from_secs(2), "took {:?} after the second SIGTERM", second.elapsed());
    assert!(stderr.contains("second shutdown signal"), "{stderr}");
}
