//! Helpers for testing checks and services: an isolated builder, one check run on its own, and
//! a test rerun in a child process (for what is process-wide: environment variables, the
//! global `tracing` subscriber).
//!
//! ```
//! use readiness_core::{CheckSpec, Outcome, Status, check_fn, testing};
//! use readiness_core::CheckRegistration;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let queue = CheckRegistration::new(CheckSpec::new("queue:depth"), check_fn(|_| async { Outcome::warn("12 000 waiting") }));
//! let result = testing::run_check(queue).await;
//! assert_eq!(result.status, Status::Warn);
//! assert_eq!(result.outcome.output.as_deref(), Some("12 000 waiting"));
//! # }
//! ```

use std::ffi::OsString;
use std::process::Command;

use crate::builder::ReadinessBuilder;
use crate::readiness::Readiness;
use crate::report::CheckResult;
use crate::spec::CheckRegistration;

/// The variable that marks a child process started by [`ChildTest`].
const CHILD_MARKER: &str = "READINESS_TEST_CHILD";

/// A builder that leaves out the items the macros registered in this binary: what a test that
/// builds its own set of checks wants, since every test (and doctest) of one binary sees every
/// registration.
pub fn builder() -> ReadinessBuilder {
    Readiness::builder().include_registered(false)
}

/// Runs `check` once, alone, with the settings a service gets by default (800 ms timeout, 900 ms
/// deadline), so a test also proves the check answers within a probe's budget.
///
/// # Panics
///
/// When the check cannot be built (an invalid name or control id): a test's mistake.
pub async fn run_check(check: impl Into<CheckRegistration>) -> CheckResult {
    run_check_in(builder(), check).await
}

/// Runs `check` once, alone, in `builder` (for other settings, such as room for a slow real
/// dependency: `testing::builder().deadline(Duration::from_secs(5))`).
///
/// # Panics
///
/// When the check cannot be built (an invalid name or control id): a test's mistake.
pub async fn run_check_in(builder: ReadinessBuilder, check: impl Into<CheckRegistration>) -> CheckResult {
    let check = check.into();
    let name = check.spec().name().to_owned();
    let readiness = builder.register(check).build().unwrap_or_else(|error| panic!("the check does not build: {error}"));
    // Every kind, so a liveness- or startup-only check is run too.
    let mut report = readiness.checklist().await;
    let index = report.checks.iter().position(|result| result.name == name);
    report.checks.swap_remove(index.unwrap_or_else(|| panic!("no result for `{name}`")))
}

/// Whether this process is a child started by [`ChildTest::run`]: a test that needs a process
/// of its own starts with `if !testing::is_child() { ChildTest::new("its_name").run(); return; }`.
pub fn is_child() -> bool {
    std::env::var_os(CHILD_MARKER).is_some()
}

/// One test of the running test binary, run again in a child process with its own environment.
///
/// ```no_run
/// use readiness_core::testing::{self, ChildTest};
///
/// #[test]
/// fn reads_its_port_from_the_environment() {
///     if !testing::is_child() {
///         ChildTest::new("reads_its_port_from_the_environment").env("PORT", "8080").run();
///         return;
///     }
///     assert_eq!(std::env::var("PORT").unwrap(), "8080");
/// }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a child test does nothing until `run()` is called"]
pub struct ChildTest {
    test: String,
    set: Vec<(OsString, OsString)>,
    removed: Vec<OsString>,
}

impl ChildTest {
    /// The test of this binary to run, by its full name (`module::name` in a nested module).
    pub fn new(test: impl Into<String>) -> Self {
        Self { test: test.into(), set: Vec::new(), removed: Vec::new() }
    }

    /// Sets a variable in the child.
    pub fn env(mut self, name: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.set.push((name.into(), value.into()));
        self
    }

    /// Sets several variables in the child.
    pub fn envs<K: Into<OsString>, V: Into<OsString>>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Self {
        self.set.extend(vars.into_iter().map(|(name, value)| (name.into(), value.into())));
        self
    }

    /// Unsets a variable in the child (one this process may have).
    pub fn env_remove(mut self, name: impl Into<OsString>) -> Self {
        self.removed.push(name.into());
        self
    }

    /// Runs the test in a child process and returns what it printed on stdout.
    ///
    /// # Panics
    ///
    /// When the child fails, or ran no test (a misspelt name), with both its outputs.
    pub fn run(self) -> String {
        let exe = std::env::current_exe().unwrap_or_else(|error| panic!("the test binary has no path: {error}"));
        let mut command = Command::new(exe);
        command.args(["--exact", self.test.as_str(), "--nocapture", "--test-threads=1"]).env(CHILD_MARKER, "1");
        for name in &self.removed {
            command.env_remove(name);
        }
        command.envs(self.set.iter().map(|(name, value)| (name, value)));
        let output = command.output().unwrap_or_else(|error| panic!("cannot start the child test: {error}"));
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "the child test `{}` failed:\n{stdout}\n{stderr}", self.test);
        assert!(stdout.contains("1 passed"), "the child ran no test named `{}`:\n{stdout}", self.test);
        stdout
    }
}
