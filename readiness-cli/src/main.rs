//! `readiness`: the command line of the readiness library. It gates a CI job on a running
//! service's verdict (`check`), compares two checklists (`diff`), checks that Kubernetes
//! probes fit the service's report deadline and shutdown drain (`probes`), and verifies a signed
//! statement (`verify`).
//!
//! Exit codes (DESIGN §11): **0** satisfied, **1** not satisfied / regressed / a probe that does
//! not fit, **2** cannot evaluate (unreachable, a malformed answer, a refused token, bad
//! arguments). Only the result goes to stdout; progress and errors go to stderr.

mod check;
mod diff;
mod document;
mod junit;
mod markdown;
mod probes;
mod source;
mod verify;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  # Fail the job unless the service meets its own profile (token from the environment):
  READINESS_TOKEN=… readiness check https://orders.internal:3000

  # The same at a level of the built-in ladder, as JUnit for GitLab or Jenkins:
  readiness check http://127.0.0.1:3000 --token-file token --profile levels --level bronze \\
      --format junit --output readiness.xml

  # What changed between the last release and this one:
  readiness diff released-checklist.json http://127.0.0.1:3000

  # Whether the manifests' probes fit the service's deadline and drain:
  readiness probes deploy/kubernetes.yaml

  # Whether a fresh signed statement is genuine, with the key from a source you trust:
  readiness verify http://127.0.0.1:3000 --key release-keys.json --nonce n-2f9c --max-age 5m

Exit codes: 0 satisfied, 1 not satisfied (or regressed, or a probe does not fit), 2 cannot evaluate.";

/// Gate CI on a service's production readiness.
#[derive(Debug, Parser)]
#[command(name = "readiness", version, about, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Fetch a service's checklist and apply a profile: exit 0 when met, 1 when not.
    #[command(after_help = "\
Examples:
  readiness check http://127.0.0.1:3000                       # the service's own profile
  readiness check http://127.0.0.1:3000 --level bronze         # its ladder, up to bronze
  readiness check http://127.0.0.1:3000 --profile team.yaml    # a profile kept in the repo
  readiness check checklist.json --format markdown             # a saved checklist document

URL: a service's base URL (the checklist is at /readiness/checklist), the checklist URL itself,
or a file holding a checklist JSON document, an in-toto statement or a DSSE envelope.
The detail token comes from --token-file or READINESS_TOKEN, never from an argument.")]
    Check(check::Args),
    /// Compare two checklists (files or URLs): exit 1 when a control regressed or was dropped.
    #[command(after_help = "\
Examples:
  readiness diff before.json after.json
  readiness diff before.json http://127.0.0.1:3000 --format json

A control regresses when its attestation moves down: verified > declared > attested > waived >
missing > expired > failing. A control the new side no longer lists, or a verdict that fell
(met to not met, a lower level), is a regression too.")]
    Diff(diff::Args),
    /// Check each probe of a Kubernetes manifest against the service's deadline and drain.
    #[command(after_help = "\
Examples:
  readiness probes deploy/kubernetes.yaml
  readiness probes deploy/kubernetes.yaml --url http://127.0.0.1:3000   # the service's own figures

Each HTTP and gRPC probe's timeoutSeconds must exceed the time a report may take (the deadline
and the longest check timeout, read from --url or the defaults, 900 ms and 800 ms) by a margin;
the readiness probe's periodSeconds x failureThreshold must not exceed the drain (DRAIN_MS in the
container's env, --drain-ms, or the service's shutdown check); the drain must end before
terminationGracePeriodSeconds.")]
    Probes(probes::Args),
    /// Verify a signed statement: signature, key id, nonce, age, expiry and optionally the binary.
    #[command(after_help = "\
Examples:
  readiness verify https://orders.internal:3000 --key keys.json --nonce \"$(uuidgen | tr -d -)\" --max-age 5m
  readiness verify envelope.json --key https://orders.internal:3000 --binary target/release/orders

ENVELOPE is a DSSE envelope file, or a URL (a service's base URL reads /readiness/attestation with
the detail token and sends --nonce). --key is a JWK Set file or URL (a base URL reads
/readiness/attestation/keys, without the token); fetch it from a source you trust, not from the
service under audit alone. Exit 0 valid, 1 invalid (a bare unsigned statement is invalid), 2 cannot
evaluate.")]
    Verify(verify::Args),
}

/// How the result is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// A table for people.
    Text,
    /// JSON for programs.
    Json,
    /// JUnit XML: one test case per control (`check` only).
    Junit,
    /// Markdown, for a merge-request comment or a job summary (`check` only).
    Markdown,
    /// An OSCAL 1.1 assessment-results document of the checklist (`check` only).
    Oscal,
}

/// Why a command cannot evaluate: exit code 2, with this sentence on stderr.
#[derive(Debug)]
pub(crate) struct CannotEvaluate(pub(crate) String);

impl From<String> for CannotEvaluate {
    fn from(message: String) -> Self {
        Self(message)
    }
}

impl From<&str> for CannotEvaluate {
    fn from(message: &str) -> Self {
        Self(message.to_owned())
    }
}

/// What a command found: the text for stdout and whether it is satisfied.
pub(crate) struct Finding {
    pub(crate) output: String,
    pub(crate) satisfied: bool,
    /// A one-line summary for stderr when the output goes to a file.
    pub(crate) summary: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (result, output_file) = match cli.command {
        Command::Check(args) => {
            let file = args.output.clone();
            (check::run(&args), file)
        }
        Command::Diff(args) => {
            let file = args.output.clone();
            (diff::run(&args), file)
        }
        Command::Probes(args) => {
            let file = args.output.clone();
            (probes::run(&args), file)
        }
        Command::Verify(args) => {
            let file = args.output.clone();
            (verify::run(&args), file)
        }
    };
    match result.and_then(|finding| write(&finding, output_file.as_ref()).map(|()| finding.satisfied)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(CannotEvaluate(message)) => {
            eprintln!("readiness: cannot evaluate: {message}");
            ExitCode::from(2)
        }
    }
}

/// Writes the result to `file`, or to stdout; with a file, the summary goes to stderr.
fn write(finding: &Finding, file: Option<&PathBuf>) -> Result<(), CannotEvaluate> {
    match file {
        Some(path) => {
            std::fs::write(path, &finding.output)
                .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
            eprintln!("{}", finding.summary);
            Ok(())
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(finding.output.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|error| format!("cannot write to stdout: {error}").into())
        }
    }
}
