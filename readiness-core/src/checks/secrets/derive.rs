//! What `#[derive(Attest)]`'s generated `from_env()` and check use: a loader that collects
//! every problem of one struct's load, the process-wide record of each struct's last load, and
//! the check that judges it.
//!
//! A secret field is read and judged as a [`SecretsCheck`](super::SecretsCheck) secret is (see
//! the parent module): with the runtime opt-in of [`TRUSTED_SECRET_DIRS_ENV`](super::TRUSTED_SECRET_DIRS_ENV)
//! for files on a pod's secret volume, and with reuse found by digest. `from_env()` fails when a
//! secret has the value of one read before it (in this struct or another, or by a check); the
//! struct's check also fails when a secret read later has its value.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{LazyLock, Mutex};

use secrecy::{SecretSlice, SecretString};

use super::files::FileTrust;
use super::{Loaded as Read, SecretSource, evidence_of, load, reuse, text_of};
use crate::check::check_fn;
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

/// One configuration problem: which variable, and what is wrong (never the value).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigProblem {
    /// The environment variable.
    pub var: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.var, self.message)
    }
}

/// Everything wrong with a configuration struct loaded by `#[derive(Attest)]`'s `from_env()`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttestError {
    /// The struct's name.
    pub type_name: &'static str,
    /// Every problem found.
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for AttestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} cannot be loaded from the environment:", self.type_name)?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AttestError {}

/// What a load found about one variable, kept for the struct's check.
#[derive(Debug, Clone)]
struct Loaded {
    var: String,
    source: Option<SecretSource>,
    /// The evidence: the source, and why a file readable by others was accepted.
    evidence: Option<String>,
    secret: bool,
}

/// The outcome of the last `from_env()` of one struct.
#[derive(Debug, Clone)]
struct LoadRecord {
    loaded: Vec<Loaded>,
    /// Every problem but reuse, which the check finds again when it runs.
    problems: Vec<ConfigProblem>,
}

static LOADS: LazyLock<Mutex<HashMap<&'static str, LoadRecord>>> = LazyLock::new(Mutex::default);

fn loads() -> std::sync::MutexGuard<'static, HashMap<&'static str, LoadRecord>> {
    LOADS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Loads the fields of a `#[derive(Attest)]` struct, collecting every problem. Used by generated
/// code; not meant to be called by hand.
#[doc(hidden)]
#[derive(Debug)]
pub struct AttestLoader {
    path: &'static str,
    type_name: &'static str,
    loaded: Vec<Loaded>,
    problems: Vec<ConfigProblem>,
    /// Secrets whose value another secret read before holds.
    reused: Vec<ConfigProblem>,
    trust: FileTrust,
}

impl AttestLoader {
    /// Starts loading the struct at `path` (`module_path!()::Name`): the path, not the bare
    /// name, keys the load record, so two `Config` structs of different modules or crates never
    /// judge each other's load.
    pub fn new(path: &'static str) -> Self {
        Self {
            path,
            type_name: bare_name(path),
            loaded: Vec::new(),
            problems: Vec::new(),
            reused: Vec::new(),
            trust: FileTrust::default().with_env(),
        }
    }

    fn problem(&mut self, var: &str, message: impl Into<String>) {
        self.problems.push(ConfigProblem { var: var.to_owned(), message: message.into() });
    }

    /// A secret field; `None` when it is absent (a problem if `required`) or unusable.
    pub fn secret(&mut self, env: &str, allow_file: bool, min_len: usize, required: bool) -> Option<SecretString> {
        let raw = self.read(env, allow_file, false, min_len, required)?;
        match text_of(env, &raw) {
            Ok(text) => Some(SecretString::from(text)),
            Err(problem) => {
                self.problem(env, problem);
                None
            }
        }
    }

    /// A binary secret field (any bytes, such as a raw key file), judged by its bytes; `None`
    /// when it is absent (a problem if `required`) or unusable.
    pub fn secret_bytes(
        &mut self,
        env: &str,
        allow_file: bool,
        min_len: usize,
        required: bool,
    ) -> Option<SecretSlice<u8>> {
        let raw = self.read(env, allow_file, true, min_len, required)?;
        Some(SecretSlice::from(raw.bytes.clone()))
    }

    fn read(
        &mut self,
        env: &str,
        allow_file: bool,
        binary: bool,
        min_len: usize,
        required: bool,
    ) -> Option<super::RawSecret> {
        match load(env, allow_file, binary, min_len, &self.trust) {
            Read::Read { raw, problem } => {
                self.loaded.push(Loaded {
                    var: env.to_owned(),
                    source: Some(raw.source.clone()),
                    evidence: Some(evidence_of(&raw)),
                    secret: true,
                });
                let others = reuse::same_value_as(env);
                if !others.is_empty() {
                    let message =
                        format!("has the same value as {}: each secret needs a value of its own", others.join(" and "));
                    self.reused.push(ConfigProblem { var: env.to_owned(), message });
                }
                match problem {
                    None if others.is_empty() => Some(raw),
                    None => None,
                    Some(problem) => {
                        self.problem(env, problem);
                        None
                    }
                }
            }
            Read::Unset => {
                self.loaded.push(Loaded { var: env.to_owned(), source: None, evidence: None, secret: true });
                if required {
                    let hint = if allow_file { format!(" (or {env}_FILE)") } else { String::new() };
                    self.problem(env, format!("is not set{hint}"));
                }
                None
            }
            Read::Unreadable(problem) => {
                self.problems.push(ConfigProblem { var: env.to_owned(), message: problem });
                None
            }
        }
    }

    /// A plain field parsed with `FromStr`; `default` when absent; `None` when absent without a
    /// default (a problem if `required`) or unparsable.
    pub fn value<T: FromStr>(&mut self, env: &str, allow_file: bool, default: Option<&str>, required: bool) -> Option<T>
    where
        T::Err: fmt::Display,
    {
        let text = match read_plain(env, allow_file) {
            Ok(Some((text, source))) => {
                let evidence = Some(source.to_string());
                self.loaded.push(Loaded { var: env.to_owned(), source: Some(source), evidence, secret: false });
                text
            }
            Ok(None) => {
                self.loaded.push(Loaded { var: env.to_owned(), source: None, evidence: None, secret: false });
                match default {
                    Some(default) => default.to_owned(),
                    None => {
                        if required {
                            self.problem(env, "is not set");
                        }
                        return None;
                    }
                }
            }
            Err(problem) => {
                self.problem(env, problem);
                return None;
            }
        };
        match text.parse::<T>() {
            Ok(value) => Some(value),
            Err(error) => {
                // The parser's message, never the text itself: a misplaced secret may be in it.
                self.problem(env, format!("cannot be parsed as {}: {error}", std::any::type_name::<T>()));
                None
            }
        }
    }

    /// Records the load for the struct's check, and fails with every problem found.
    ///
    /// # Errors
    ///
    /// [`AttestError`] listing every problem.
    pub fn finish(self) -> Result<(), AttestError> {
        let record = LoadRecord { loaded: self.loaded, problems: self.problems.clone() };
        loads().insert(self.path, record);
        let mut problems = self.problems;
        problems.extend(self.reused);
        if problems.is_empty() { Ok(()) } else { Err(AttestError { type_name: self.type_name, problems }) }
    }

    /// The error for a field that vanished between loading and building (never expected).
    pub fn incomplete(path: &'static str) -> AttestError {
        let type_name = bare_name(path);
        AttestError {
            type_name,
            problems: vec![ConfigProblem { var: type_name.to_owned(), message: "could not be assembled".to_owned() }],
        }
    }
}

fn read_plain(env: &str, allow_file: bool) -> Result<Option<(String, SecretSource)>, String> {
    if let Some(value) = std::env::var_os(env) {
        return value
            .into_string()
            .map(|text| Some((text, SecretSource::Env)))
            .map_err(|_| "is not valid UTF-8".to_owned());
    }
    let file_var = format!("{env}_FILE");
    match std::env::var_os(&file_var).filter(|_| allow_file) {
        Some(path) => {
            let path = PathBuf::from(path);
            std::fs::read_to_string(&path)
                .map(|text| Some((text.trim_end_matches(['\n', '\r']).to_owned(), SecretSource::File(path))))
                .map_err(|error| format!("{file_var} cannot be read: {}", error.kind()))
        }
        None => Ok(None),
    }
}

/// The check registered by `#[derive(Attest)]` for a struct: passes when the struct's last
/// `from_env()` found no problem.
#[doc(hidden)]
pub fn attest_check(path: &'static str, name: &str, control: &str) -> CheckRegistration {
    let type_name = bare_name(path);
    let spec = CheckSpec::new(name)
        .control(control)
        .critical()
        .description(format!("{type_name} loaded from the environment"));
    CheckRegistration::new(
        spec,
        check_fn(move |_| {
            let record = loads().get(path).cloned();
            async move { judge_load(type_name, record) }
        }),
    )
}

/// The struct's name without its module path.
fn bare_name(path: &'static str) -> &'static str {
    path.rsplit("::").next().unwrap_or(path)
}

fn judge_load(type_name: &str, record: Option<LoadRecord>) -> Outcome {
    let Some(record) = record else {
        return Outcome::fail(format!("{type_name}::from_env() has not been called"));
    };
    let secrets: Vec<&str> = record
        .loaded
        .iter()
        .filter(|loaded| loaded.secret && loaded.source.is_some())
        .map(|loaded| loaded.var.as_str())
        .collect();
    // Reuse is found again now: a secret read after this load may hold one of its values.
    let mut problems: Vec<String> = record.problems.iter().map(ToString::to_string).collect();
    problems.extend(reuse::problems(&secrets).into_iter().map(|(var, problem)| format!("{var} {problem}")));
    let mut outcome = if problems.is_empty() {
        Outcome::pass().with_output(format!("{type_name}: {} secret(s) loaded and judged strong", secrets.len()))
    } else {
        Outcome::fail(format!("{type_name}: {}", problems.join("; ")))
    };
    for loaded in &record.loaded {
        let evidence = loaded.evidence.clone().unwrap_or_else(|| "not set".to_owned());
        outcome = outcome.evidence(&loaded.var, evidence);
    }
    outcome
}
