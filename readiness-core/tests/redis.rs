//! `redis:ping` against real Redis servers: the one on this machine (127.0.0.1:6379) and
//! servers each test starts on a free port (a primary with a replica, one with AOF on), and the
//! ways it must fail: a closed port, a server that never answers, a wrong password, a replica
//! where a primary is required, too few replicas, nothing persisted.
#![cfg(feature = "redis")]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use readiness_core::Status;
use readiness_core::checks::redis::RedisCheck;
use readiness_core::checks::secrets::SecretString;
use readiness_core::testing;

fn url(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

/// The machine's Redis, or `None` after a skip line (never under `CI=true`).
fn machine_redis() -> Option<&'static str> {
    match std::net::TcpStream::connect_timeout(&"127.0.0.1:6379".parse().unwrap(), Duration::from_secs(1)) {
        Ok(_) => Some("redis://127.0.0.1:6379"),
        Err(error) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true: Redis on 127.0.0.1:6379 is required ({error})"
            );
            println!("SKIPPED: no Redis on 127.0.0.1:6379 ({error})");
            None
        }
    }
}

/// A `redis-server` of the test's own, killed when dropped.
struct Server {
    child: Child,
    port: u16,
    _dir: Option<std::path::PathBuf>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self._dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts `redis-server` with `args` on a free port; `None` after a skip line without the binary.
fn server(args: &[&str]) -> Option<Server> {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("readiness-redis-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spawned = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--dir", dir.to_str().unwrap(), "--save", ""])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = match spawned {
        Ok(child) => child,
        Err(error) => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true: redis-server is required ({error})");
            println!("SKIPPED: redis-server cannot be started ({error})");
            return None;
        }
    };
    let server = Server { child, port, _dir: Some(dir) };
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(server);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("redis-server did not listen on {port}");
}

async fn run(check: RedisCheck) -> readiness_core::CheckResult {
    testing::run_check(check).await
}

fn output(result: &readiness_core::CheckResult) -> String {
    result.outcome.output.clone().unwrap_or_default()
}

#[tokio::test]
async fn the_machines_redis_answers_as_a_primary_and_says_it_persists_nothing() {
    let Some(address) = machine_redis() else { return };
    let result = run(RedisCheck::new(&url(address)).unwrap().require_primary()).await;
    assert_eq!(result.status, Status::Pass, "{}", output(&result));
    let text = output(&result);
    assert!(text.starts_with("127.0.0.1:6379: PONG in ") && text.contains("a primary"), "{text}");
    assert_eq!(result.outcome.observed_unit.as_deref(), Some("ms"));
    // This machine's Redis keeps nothing on disk: required persistence fails and says so.
    let result = run(RedisCheck::new(&url(address)).unwrap().require_persistence()).await;
    assert_eq!(result.status, Status::Fail);
    assert!(output(&result).contains("persistence is required: a restart loses what it holds"), "{}", output(&result));
}

#[tokio::test]
async fn a_closed_port_and_a_server_that_never_answers_fail_in_time() {
    let closed = free_port();
    let result = run(RedisCheck::new(&url(&format!("redis://127.0.0.1:{closed}"))).unwrap()).await;
    assert_eq!(result.status, Status::Fail);
    assert!(output(&result).contains("connection refused"), "{}", output(&result));

    // A listener that accepts and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let held: Vec<_> = silent.incoming().take(4).collect();
        std::thread::sleep(Duration::from_secs(5));
        drop(held);
    });
    let started = std::time::Instant::now();
    let check =
        RedisCheck::new(&url(&format!("redis://127.0.0.1:{port}"))).unwrap().timeout(Duration::from_millis(200));
    let result = run(check).await;
    assert_eq!(result.status, Status::Fail);
    assert!(started.elapsed() < Duration::from_millis(900), "{:?}", started.elapsed());
    let text = output(&result);
    assert!(text.contains("did not answer within 200ms") || text.contains("no answer in time"), "{text}");
}

#[tokio::test]
async fn a_wrong_password_fails_without_showing_it() {
    let Some(protected) = server(&["--requirepass", "the-right-password-9f8e"]) else { return };
    let port = protected.port;
    let right =
        run(RedisCheck::new(&url(&format!("redis://:the-right-password-9f8e@127.0.0.1:{port}"))).unwrap()).await;
    assert_eq!(right.status, Status::Pass, "{}", output(&right));
    let wrong = run(RedisCheck::new(&url(&format!("redis://:wrong-password-1a2b3c@127.0.0.1:{port}"))).unwrap()).await;
    assert_eq!(wrong.status, Status::Fail);
    assert!(output(&wrong).contains("authentication refused"), "{}", output(&wrong));
    let none = run(RedisCheck::new(&url(&format!("redis://127.0.0.1:{port}"))).unwrap()).await;
    assert_eq!(none.status, Status::Fail);
    assert!(output(&none).contains("requires a password"), "{}", output(&none));
    let check = RedisCheck::new(&url(&format!("redis://:wrong-password-1a2b3c@127.0.0.1:{port}"))).unwrap();
    for text in [output(&wrong), format!("{check:?}"), serde_json::to_string(&wrong).unwrap()] {
        assert!(!text.contains("wrong-password-1a2b3c") && !text.contains("the-right-password"), "{text}");
    }
}

#[tokio::test]
async fn a_replica_where_a_primary_is_required_and_too_few_replicas_fail() {
    let Some(primary) = server(&[]) else { return };
    let primary_url = url(&format!("redis://127.0.0.1:{}", primary.port));
    let few = run(RedisCheck::new(&primary_url).unwrap().min_replicas(1)).await;
    assert_eq!(few.status, Status::Fail);
    assert!(output(&few).contains("0 of the 1 replicas required are connected"), "{}", output(&few));

    let Some(replica) = server(&["--replicaof", "127.0.0.1", &primary.port.to_string()]) else { return };
    let replica_url = url(&format!("redis://127.0.0.1:{}", replica.port));
    let as_primary = run(RedisCheck::new(&replica_url).unwrap().require_primary()).await;
    assert_eq!(as_primary.status, Status::Fail);
    assert!(output(&as_primary).contains("a replica where a primary is required"), "{}", output(&as_primary));
    // A replica is fine for a service that only reads.
    assert_eq!(run(RedisCheck::new(&replica_url).unwrap()).await.status, Status::Pass);
    // The primary sees its replica once it has synchronised.
    let mut enough = run(RedisCheck::new(&primary_url).unwrap().min_replicas(1)).await;
    for _ in 0..100 {
        if enough.status == Status::Pass {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        enough = run(RedisCheck::new(&primary_url).unwrap().min_replicas(1)).await;
    }
    assert_eq!(enough.status, Status::Pass, "{}", output(&enough));
    assert!(output(&enough).contains("with 1 connected replica;"), "{}", output(&enough));
}

#[tokio::test]
async fn a_server_with_aof_on_passes_required_persistence_as_backup_evidence() {
    let Some(durable) = server(&["--appendonly", "yes"]) else { return };
    let check = RedisCheck::new(&url(&format!("redis://127.0.0.1:{}", durable.port))).unwrap().require_persistence();
    let result = run(check).await;
    assert_eq!(result.status, Status::Pass, "{}", output(&result));
    assert!(output(&result).contains("persists AOF on"), "{}", output(&result));
    let evidence = serde_json::to_value(&result.outcome).unwrap();
    assert_eq!(evidence["evidence"]["aof_enabled"], "true", "{evidence}");
    // Required persistence makes the check evidence for automated backups too.
    assert!(result.controls.iter().any(|control| control == "reliability.backup.automated"), "{:?}", result.controls);
    assert!(result.controls.iter().any(|control| control == "performance.scalability.caching"));
}

#[tokio::test]
async fn a_server_that_answers_ping_with_anything_but_pong_fails() {
    // Not Redis: it answers every command with `+OK`, PING included.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = vec![0; 4096];
                while let Ok(read) = stream.read(&mut buffer).await {
                    if read == 0 {
                        break;
                    }
                    // One reply per command: each command is a RESP array, a line starting `*`.
                    let text = String::from_utf8_lossy(&buffer[..read]).into_owned();
                    let commands = text.split("\r\n").filter(|line| line.starts_with('*')).count();
                    if stream.write_all(&b"+OK\r\n".repeat(commands)).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let result = run(RedisCheck::new(&url(&format!("redis://127.0.0.1:{port}"))).unwrap()).await;
    assert_eq!(result.status, Status::Fail, "{}", output(&result));
    assert!(output(&result).contains("answered PING with \"OK\""), "{}", output(&result));
}
