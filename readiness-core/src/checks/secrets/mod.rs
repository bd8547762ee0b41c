//! Secrets: loaded from the environment or a `NAME_FILE`, judged, registered with the masker,
//! and proved at runtime for the `security.data.secrets` control.
//!
//! Two ways to use it:
//!
//! * `#[derive(Attest)]` on a configuration struct (see the macro's docs), which loads the
//!   struct with `from_env()` and registers a check for its control;
//! * [`SecretsCheck`], for services that read their secrets otherwise:
//!
//! ```
//! use readiness_core::checks::secrets::SecretsCheck;
//! use readiness_core::{Readiness, Status};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! # // SAFETY: the doctest is single-threaded up to here.
//! # unsafe { std::env::set_var("DOCTEST_API_KEY", "k3Y-9fQz2LmW8vRt5XpN1cJ7bHs4GdAe"); }
//! let readiness = Readiness::builder()
//!     .register(SecretsCheck::new().secret("DOCTEST_API_KEY").min_len(24))
//!     .build()
//!     .unwrap();
//! assert_eq!(readiness.readiness().await.status, Status::Pass);
//! # }
//! ```
//!
//! A secret passes when it came from the environment or from a file named by `NAME_FILE` that
//! others cannot read, is not empty, is not a placeholder (`changeme`, `secret`, `password`…),
//! is at least the minimum length, and has at least 3 bits of entropy per character (so
//! `aaaaaaaa…` or `passwordpassword…` fail however long they are). Values are held only in
//! [`SecretString`] and in the masker; no message ever contains one.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

// Re-exported because `#[derive(Attest)]` fields must be of this very `SecretString` (the
// loader returns it): one secrecy version for the user and the loader.
pub use secrecy::{ExposeSecret, SecretString};

use crate::check::check_fn;
use crate::masking;
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

/// For generated code only: reached through `__private`.
pub(crate) mod derive;

pub use derive::{AttestError, ConfigProblem};

/// The control that secrets prove.
pub const SECRETS_CONTROL: &str = "security.data.secrets";

/// Minimum Shannon entropy, in bits per character, of an acceptable secret.
pub const MIN_BITS_PER_CHAR: f64 = 3.0;

/// Values (compared case-insensitively) that are never acceptable secrets, and fragments that
/// mark a value as a placeholder wherever they appear.
const PLACEHOLDERS: &[&str] = &[
    "secret",
    "password",
    "passwd",
    "changeme",
    "change-me",
    "change_me",
    "changeit",
    "default",
    "example",
    "test",
    "testing",
    "admin",
    "token",
    "apikey",
    "api_key",
    "dummy",
    "sample",
    "placeholder",
    "todo",
    "xxx",
    "12345678",
];
const PLACEHOLDER_FRAGMENTS: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "replace-me",
    "replace_me",
    "your-secret",
    "your_secret",
    "<secret>",
    "xxxxxxxx",
];

/// Where a secret came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretSource {
    /// The environment variable itself.
    Env,
    /// The file named by `NAME_FILE`.
    File(PathBuf),
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Env => f.write_str("env"),
            SecretSource::File(path) => write!(f, "file {}", path.display()),
        }
    }
}

/// Reads the secret named `env`: from the variable, or, when `allow_file`, from the file that
/// `{env}_FILE` names. `Ok(None)` when neither is set. The value is registered with the masker.
///
/// # Errors
///
/// A message (never containing the value) when both are set, the file cannot be read, the file
/// is readable or writable by others, or the value is not UTF-8.
pub fn read_secret(env: &str, allow_file: bool) -> Result<Option<(SecretString, SecretSource)>, String> {
    let file_var = format!("{env}_FILE");
    let direct = std::env::var_os(env);
    let file = if allow_file { std::env::var_os(&file_var) } else { None };
    let (value, source) = match (direct, file) {
        (Some(_), Some(_)) => return Err(format!("both {env} and {file_var} are set: set only one")),
        (None, None) => return Ok(None),
        (Some(value), None) => {
            let value = value.into_string().map_err(|_| format!("{env} is not valid UTF-8"))?;
            (value, SecretSource::Env)
        }
        (None, Some(path)) => {
            let path = PathBuf::from(path);
            check_file_mode(&path).map_err(|problem| format!("{file_var}: {problem}"))?;
            let value = std::fs::read_to_string(&path)
                .map_err(|error| format!("{file_var}: cannot read {}: {}", path.display(), error.kind()))?;
            // Files usually end with a newline that is not part of the secret.
            (value.trim_end_matches(['\n', '\r']).to_owned(), SecretSource::File(path))
        }
    };
    masking::register_secret(&value);
    Ok(Some((SecretString::from(value), source)))
}

#[cfg(unix)]
fn check_file_mode(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let metadata =
        std::fs::metadata(path).map_err(|error| format!("cannot read {}: {}", path.display(), error.kind()))?;
    let mode = metadata.permissions().mode();
    if mode & 0o007 != 0 {
        return Err(format!(
            "{} is accessible to other users (mode {:o}): chmod o-rwx (0600 or 0400)",
            path.display(),
            mode & 0o777
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_file_mode(_path: &Path) -> Result<(), String> {
    Ok(())
}

/// Judges a secret value: not empty, not a placeholder, at least `min_len` characters, at
/// least [`MIN_BITS_PER_CHAR`] bits of entropy per character.
///
/// # Errors
///
/// What is wrong, without the value.
pub fn judge_secret(value: &str, min_len: usize) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err("is empty".to_owned());
    }
    let lowered = value.to_ascii_lowercase();
    if PLACEHOLDERS.contains(&lowered.as_str())
        || PLACEHOLDER_FRAGMENTS.iter().any(|fragment| lowered.contains(fragment))
    {
        return Err("is a placeholder value".to_owned());
    }
    let length = value.chars().count();
    if length < min_len {
        return Err(format!("is shorter than {min_len} characters ({length})"));
    }
    let bits = bits_per_char(value);
    if length >= 8 && bits < MIN_BITS_PER_CHAR {
        return Err(format!("is too predictable ({bits:.1} bits of entropy per character, want {MIN_BITS_PER_CHAR})"));
    }
    Ok(())
}

/// Shannon entropy of the value's characters, in bits per character.
fn bits_per_char(value: &str) -> f64 {
    let mut counts: HashMap<char, usize> = HashMap::new();
    for c in value.chars() {
        *counts.entry(c).or_default() += 1;
    }
    let total = value.chars().count() as f64;
    counts.values().map(|&n| n as f64 / total).map(|p| -p * p.log2()).sum()
}

/// One secret a [`SecretsCheck`] requires.
#[derive(Debug, Clone)]
struct Requirement {
    env: String,
    min_len: usize,
    allow_file: bool,
}

/// A check of secrets read from the environment, for services that do not use
/// `#[derive(Attest)]`. Each run reads and judges every secret again.
#[derive(Debug, Clone, Default)]
#[must_use = "call `.registration()` and give it to the builder"]
pub struct SecretsCheck {
    name: Option<String>,
    requirements: Vec<Requirement>,
}

impl SecretsCheck {
    /// A check named `secrets:env` for the `security.data.secrets` control.
    pub fn new() -> Self {
        Self::default()
    }

    /// Another name for the check.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Requires the secret in the environment variable `env` (or `{env}_FILE`), at least 16
    /// characters unless [`SecretsCheck::min_len`] says otherwise.
    pub fn secret(mut self, env: impl Into<String>) -> Self {
        self.requirements.push(Requirement { env: env.into(), min_len: 16, allow_file: true });
        self
    }

    /// The minimum length of the secret added last.
    pub fn min_len(mut self, min_len: usize) -> Self {
        if let Some(last) = self.requirements.last_mut() {
            last.min_len = min_len;
        }
        self
    }

    /// Refuses `{env}_FILE` for the secret added last: it must be in the environment.
    pub fn env_only(mut self) -> Self {
        if let Some(last) = self.requirements.last_mut() {
            last.allow_file = false;
        }
        self
    }

    /// The check, ready for [`crate::ReadinessBuilder::register`].
    pub fn registration(self) -> CheckRegistration {
        let spec =
            CheckSpec::new(self.name.unwrap_or_else(|| "secrets:env".to_owned())).control(SECRETS_CONTROL).critical();
        let requirements = self.requirements;
        CheckRegistration::new(
            spec,
            check_fn(move |_| {
                let outcome = judge_requirements(&requirements);
                async move { outcome }
            }),
        )
    }
}

impl From<SecretsCheck> for CheckRegistration {
    fn from(check: SecretsCheck) -> Self {
        check.registration()
    }
}

fn judge_requirements(requirements: &[Requirement]) -> Outcome {
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    for requirement in requirements {
        let env = &requirement.env;
        match read_secret(env, requirement.allow_file) {
            Ok(Some((value, source))) => {
                evidence.push((env.clone(), source.to_string()));
                if let Err(problem) = judge_secret(value.expose_secret(), requirement.min_len) {
                    problems.push(format!("{env} {problem}"));
                }
            }
            Ok(None) => {
                evidence.push((env.clone(), "not set".to_owned()));
                problems.push(format!("{env} is not set"));
            }
            Err(problem) => problems.push(problem),
        }
    }
    let mut outcome = if problems.is_empty() {
        Outcome::pass().with_output(format!("{} secret(s) loaded and judged strong", requirements.len()))
    } else {
        Outcome::fail(problems.join("; "))
    };
    for (var, source) in evidence {
        outcome = outcome.evidence(var, source);
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strong_secrets_pass_and_weak_ones_say_why() {
        assert_eq!(judge_secret("x7Qp2LzR9vKc4NwT8hYb3MdF6sJg1AeU", 32), Ok(()));
        assert_eq!(judge_secret("", 1).unwrap_err(), "is empty");
        assert_eq!(judge_secret("ChangeMe", 1).unwrap_err(), "is a placeholder value");
        assert_eq!(judge_secret("my-changeme-token-1234567890", 1).unwrap_err(), "is a placeholder value");
        assert!(judge_secret("short-but-ok", 32).unwrap_err().starts_with("is shorter than 32"));
        assert!(judge_secret(&"ab".repeat(20), 32).unwrap_err().starts_with("is too predictable"));
        assert!(judge_secret("passwordpasswordpasswordpassword", 32).is_err());
    }

    #[test]
    fn entropy_of_uniform_and_constant_strings() {
        assert!((bits_per_char("abcd") - 2.0).abs() < 1e-9);
        assert!(bits_per_char("aaaa").abs() < 1e-9);
    }
}
