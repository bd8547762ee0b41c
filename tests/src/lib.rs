//! Helpers for end-to-end tests: start the example service as a real process on a free port and
//! talk to it over HTTP.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `example-service` process, killed when dropped.
#[derive(Debug)]
pub struct ExampleService {
    child: Child,
    base_url: String,
    /// The rest of stdout, kept open: the service may print more after its first line.
    stdout: BufReader<std::process::ChildStdout>,
    _data: Option<TempDir>,
}

/// A directory removed when dropped.
#[derive(Debug)]
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `example-service` binary. `cargo test --workspace` builds it (the example's own
/// integration test needs it); it sits next to the test binary's `deps` folder.
pub fn example_binary() -> PathBuf {
    workspace_binary("example-service", "example-service")
}

/// The `readiness` command, built by `cargo test --workspace` for readiness-cli's own tests.
pub fn cli_binary() -> PathBuf {
    workspace_binary("readiness", "readiness-cli")
}

fn workspace_binary(name: &str, package: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("test binaries live in target/<profile>/deps");
    let binary = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: run `cargo test --workspace` (or `cargo build -p {package}`) first",
        binary.display()
    );
    binary
}

impl ExampleService {
    /// Starts the service with `ADDR=127.0.0.1:0`, a fresh SQLite database unless `env` sets
    /// `DATABASE_URL`, and the given environment; waits for its `listening on` line.
    pub fn start(env: &[(&str, &str)]) -> Self {
        let data = TempDir(std::env::temp_dir().join(format!(
            "readiness-e2e-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
        )));
        std::fs::create_dir_all(&data.0).expect("temp dir");
        let mut command = Command::new(example_binary());
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("ADDR", "127.0.0.1:0")
            .env("DATABASE_URL", format!("sqlite:{}?mode=rwc", data.0.join("db.sqlite").display()))
            .env("RUST_LOG", "info")
            // Tests that do not look at shutdown should not wait for the default 5 s drain.
            .env("DRAIN_MS", "100")
            // ...and a probe that drain covers (50 ms × 2).
            .env("PROBE_PERIOD_MS", "50")
            .env("PROBE_FAILURE_THRESHOLD", "2")
            // A fully configured instance: the certificate served in front of it is valid.
            .env("TLS_CERT_FILE", write_certificate(&data.0))
            .current_dir(&data.0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start example-service");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut first_line = String::new();
        let mut stdout = BufReader::new(stdout);
        stdout.read_line(&mut first_line).expect("read the first stdout line");
        let base_url = first_line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the first stdout line should be `listening on …`, got {first_line:?}"))
            .to_owned();
        Self { child, base_url, stdout, _data: Some(data) }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The URL of `path` on the service.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The next line the service printed on stdout after `listening on` (empty at its end).
    pub fn next_stdout_line(&mut self) -> String {
        let mut line = String::new();
        let _ = self.stdout.read_line(&mut line);
        line
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `limit` for the process to exit, and returns its exit status and stderr.
    pub fn wait_for_exit(mut self, limit: Duration) -> Option<(std::process::ExitStatus, String)> {
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = self.child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
                }
                return Some((status, stderr));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for ExampleService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes a self-signed certificate for `localhost` (valid for decades) to `dir/tls.crt`.
pub fn write_certificate(dir: &std::path::Path) -> PathBuf {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("rcgen makes a certificate");
    let path = dir.join("tls.crt");
    std::fs::write(&path, certified.cert.pem()).expect("write the certificate");
    path
}

/// A JWT secret strong enough for the example's secret check.
pub const STRONG_JWT_SECRET: &str = "x7Qp2LzR9vKc4NwT8hYb3MdF6sJg1AeU5oZi0WnB";

/// The PostgreSQL URL for tests: `READINESS_TEST_DATABASE_URL`, by default
/// `postgres://postgres:Vq8Lm2Xz7Hq2Lx9Pz4Vb3Kd@127.0.0.1:5432/postgres` (a password trust authentication ignores and the example judges). `None`, after printing a skip line, when no
/// server answers — except under `CI=true`, where a missing server fails the test.
pub fn postgres_url() -> Option<String> {
    let url = std::env::var("READINESS_TEST_DATABASE_URL")
        // A strong password, though the server trusts loopback: the example judges the password
        // in DATABASE_URL, and a URL without one is rightly not a strong secret.
        .unwrap_or_else(|_| "postgres://postgres:Vq8Lm2Xz7Hq2Lx9Pz4Vb3Kd@127.0.0.1:5432/postgres".to_owned());
    let authority = url.split("://").nth(1).unwrap_or_default().split('/').next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let address = if host_port.contains(':') { host_port.to_owned() } else { format!("{host_port}:5432") };
    let reachable = std::net::ToSocketAddrs::to_socket_addrs(&address.as_str())
        .ok()
        .and_then(|mut addresses| addresses.next())
        .is_some_and(|socket| std::net::TcpStream::connect_timeout(&socket, Duration::from_secs(2)).is_ok());
    if reachable {
        return Some(url);
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true: PostgreSQL must answer at {address}");
    println!("SKIPPED: no PostgreSQL server answers at {address} (set READINESS_TEST_DATABASE_URL)");
    None
}
