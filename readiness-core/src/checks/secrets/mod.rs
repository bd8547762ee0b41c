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
//! # What passes
//!
//! A secret passes when it came from the environment or from a file named by `NAME_FILE`, is not
//! empty, is not a placeholder (`changeme`, `secret`, `password`…), is at least the minimum
//! length, and is not predictable: at least [`MIN_BITS_PER_CHAR`] bits of Shannon entropy per
//! character, and at least two thirds of its characters not part of a repeat or a run. Entropy
//! alone misses long values made of sequences or of one unit repeated, such as
//! `0123456789abcdef0123…`, `abcdefghijklmnop…`, `qwertyuiop…` or `Summer2024!Summer2024!`:
//! those fail. Values of fewer than 8 characters are judged by length only.
//!
//! A URL with credentials (`postgres://user:password@host/db`, any `scheme://`) is judged by
//! its password, percent-decoded, not by the whole URL (whose length and entropy would hide a
//! weak password): it fails without a password (`postgres://app@db/orders`,
//! `redis://cache:6379`), and its password must pass the rules above with at least
//! [`MIN_URL_PASSWORD_LEN`] characters. The minimum length of the secret still applies to the
//! whole URL. A URL of a local file (`sqlite:…`, `file:…`, `unix:…`) holds no credentials:
//! only its length is judged, and it is never compared for reuse.
//!
//! # What fails besides a weak value
//!
//! * the variable and its `NAME_FILE` both set, a file that cannot be read, a text secret that
//!   is not UTF-8;
//! * a file that others may read or change (mode `0644`, `0666`…): `chmod 0600` or `0400`;
//! * **one value reused for two secrets**: two variables holding the same secret part fail
//!   (`JWT_SECRET has the same value as READINESS_TOKEN`), whether they are two secrets of one
//!   [`SecretsCheck`], two fields of one `#[derive(Attest)]` struct, or secrets of different
//!   checks and structs of the process. Only a keyed digest of each value is kept (its key
//!   drawn for the process), never the value, and no message shows either.
//!
//! # Opt-ins for correct setups
//!
//! * **Mounted secret volumes.** Kubernetes mounts a secret volume with mode `0644` unless told
//!   otherwise, and an injector (Vault agent, a CSI driver) may write `0644` files into a
//!   directory only the pod mounts. Such a file is accepted, never by default, when it is not
//!   writable by others, the directory it resolves into is not writable by others (sticky or
//!   not: a shared `/dev/shm` is refused), it lies on a memory filesystem (`tmpfs`, `ramfs`: a secret volume is one; a
//!   ConfigMap volume or a disk is not), and either
//!   - the check trusts Kubernetes volumes ([`SecretsCheck::trust_mounted_secret_dirs`]) and
//!     the file is reached through the volume's `..data` symbolic link, or
//!   - it lies under a trusted directory: [`SecretsCheck::trust_secret_dir`], or, for every
//!     check and every `#[derive(Attest)]` struct of the process, the directories listed in
//!     [`TRUSTED_SECRET_DIRS_ENV`] (`READINESS_TRUSTED_SECRET_DIRS=/var/run/secrets/app:/vault/secrets`,
//!     separated like `PATH`).
//!
//!   The evidence says why such a file was accepted.
//! * **Binary keys.** A secret declared binary ([`SecretsCheck::binary`]) may hold any bytes (a
//!   raw key file): it is judged by its bytes (length in bytes, entropy per byte, repeats and
//!   runs of bytes) and masked in logs in its hexadecimal and base64 forms.
//!
//! Values are held only in [`SecretString`] (or [`SecretSlice`]) and in the masker; no message
//! ever contains one.

use std::fmt;
use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
// Re-exported because `#[derive(Attest)]` fields must be of this very `SecretString` (the
// loader returns it): one secrecy version for the user and the loader.
pub use secrecy::{ExposeSecret, SecretSlice, SecretString};

use crate::check::check_fn;
use crate::masking;
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

/// For generated code only: reached through `__private`.
pub(crate) mod derive;
mod files;
mod reuse;
mod strength;

pub use derive::{AttestError, ConfigProblem};
pub use files::TRUSTED_SECRET_DIRS_ENV;
pub use strength::{MIN_BITS_PER_CHAR, MIN_URL_PASSWORD_LEN};

use files::{FileTrust, RawSecret};
use strength::SecretPart;

/// The control that secrets prove.
pub const SECRETS_CONTROL: &str = "security.data.secrets";

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

/// Reads the text secret named `env`: from the variable, or, when `allow_file`, from the file
/// that `{env}_FILE` names. `Ok(None)` when neither is set. The value is registered with the
/// masker. A file readable by others is accepted only under a directory of
/// [`TRUSTED_SECRET_DIRS_ENV`] on a memory filesystem.
///
/// # Errors
///
/// A message (never containing the value) when both are set, the file cannot be read, the file
/// is accessible to others (and not trusted), or the value is not UTF-8.
pub fn read_secret(env: &str, allow_file: bool) -> Result<Option<(SecretString, SecretSource)>, String> {
    let Some(raw) = read_registered(env, allow_file, &FileTrust::default().with_env())? else { return Ok(None) };
    let text = text_of(env, &raw)?;
    Ok(Some((SecretString::from(text), raw.source.clone())))
}

/// Reads the binary secret named `env` (any bytes, such as a raw key file) as
/// [`read_secret`] reads a text one.
///
/// # Errors
///
/// As [`read_secret`], except that any bytes are accepted.
pub fn read_secret_bytes(env: &str, allow_file: bool) -> Result<Option<(SecretSlice<u8>, SecretSource)>, String> {
    let Some(raw) = read_registered(env, allow_file, &FileTrust::default().with_env())? else { return Ok(None) };
    Ok(Some((SecretSlice::from(raw.bytes.clone()), raw.source.clone())))
}

fn read_registered(env: &str, allow_file: bool, trust: &FileTrust) -> Result<Option<RawSecret>, String> {
    let raw = files::read_raw(env, allow_file, trust)?;
    if let Some(raw) = &raw {
        register_with_masker(&raw.bytes);
    }
    Ok(raw)
}

fn text_of(env: &str, raw: &RawSecret) -> Result<String, String> {
    String::from_utf8(raw.bytes.clone())
        .map_err(|_| format!("{env} is not valid UTF-8 (a binary key must be declared binary)"))
}

/// Registers a value with the masker: the text itself, or, for bytes that are not UTF-8, the
/// forms a log line can carry them in (hexadecimal, base64).
fn register_with_masker(bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => masking::register_secret(text),
        Err(_) => {
            let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
            masking::register_secret(&hex);
            masking::register_secret(&hex.to_ascii_uppercase());
            masking::register_secret(&STANDARD.encode(bytes));
            masking::register_secret(&URL_SAFE_NO_PAD.encode(bytes));
        }
    }
}

/// Judges a secret value: not empty, not a placeholder, at least `min_len` characters, not
/// predictable (entropy, repeats and runs); a URL with credentials by its password (see the
/// module's docs).
///
/// # Errors
///
/// What is wrong, without the value.
pub fn judge_secret(value: &str, min_len: usize) -> Result<(), String> {
    strength::judge_text(value, min_len)
}

/// Judges a binary secret by its bytes: not empty, at least `min_len` bytes, not predictable.
/// Bytes that are UTF-8 are judged as [`judge_secret`] judges text.
///
/// # Errors
///
/// What is wrong, without the value.
pub fn judge_secret_bytes(value: &[u8], min_len: usize) -> Result<(), String> {
    strength::judge_bytes(value, min_len)
}

/// One secret read, judged and recorded for reuse.
pub(crate) enum Loaded {
    /// Neither the variable nor its file is set.
    Unset,
    /// It could not be read (the message names the variable).
    Unreadable(String),
    /// It was read: the value, and what is wrong with it (without the variable's name).
    Read { raw: RawSecret, problem: Option<String> },
}

/// Reads the secret `env`, registers it with the masker, judges it, and records the digest of
/// its secret part for the reuse check.
pub(crate) fn load(env: &str, allow_file: bool, binary: bool, min_len: usize, trust: &FileTrust) -> Loaded {
    let raw = match read_registered(env, allow_file, trust) {
        Ok(Some(raw)) => raw,
        Ok(None) => {
            reuse::record(env, None);
            return Loaded::Unset;
        }
        Err(problem) => {
            reuse::record(env, None);
            return Loaded::Unreadable(problem);
        }
    };
    let judged = if binary {
        strength::judge_bytes(&raw.bytes, min_len)
    } else {
        match std::str::from_utf8(&raw.bytes) {
            Ok(text) => strength::judge_text(text, min_len),
            Err(_) => Err("is not valid UTF-8 (a binary key must be declared binary)".to_owned()),
        }
    };
    let digest = match strength::secret_part(&raw.bytes) {
        SecretPart::Whole(bytes) if !bytes.iter().all(u8::is_ascii_whitespace) => Some(reuse::digest(bytes)),
        SecretPart::UrlPassword(password) if !password.is_empty() => Some(reuse::digest(&password)),
        _ => None,
    };
    reuse::record(env, digest);
    Loaded::Read { raw, problem: judged.err() }
}

/// The evidence for a secret read from `source`, with why a file readable by others was
/// accepted.
fn evidence_of(raw: &RawSecret) -> String {
    match &raw.note {
        Some(note) => format!("{}; {note}", raw.source),
        None => raw.source.to_string(),
    }
}

/// One secret a [`SecretsCheck`] requires.
#[derive(Debug, Clone)]
struct Requirement {
    env: String,
    min_len: usize,
    allow_file: bool,
    binary: bool,
}

/// A check of secrets read from the environment, for services that do not use
/// `#[derive(Attest)]`. Each run reads and judges every secret again.
#[derive(Debug, Clone, Default)]
#[must_use = "call `.registration()` and give it to the builder"]
pub struct SecretsCheck {
    name: Option<String>,
    requirements: Vec<Requirement>,
    trust: FileTrust,
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
        self.requirements.push(Requirement { env: env.into(), min_len: 16, allow_file: true, binary: false });
        self
    }

    /// The minimum length of the secret added last (in bytes for a [binary](Self::binary) one).
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

    /// Declares the secret added last binary: any bytes (a raw key file), judged by its bytes.
    pub fn binary(mut self) -> Self {
        if let Some(last) = self.requirements.last_mut() {
            last.binary = true;
        }
        self
    }

    /// Accepts a file that others may read (not change) when it belongs to a Kubernetes secret
    /// or projected volume (reached through the volume's `..data` link) on a memory filesystem:
    /// the volume is private to the pod. Off by default: such a file fails.
    pub fn trust_mounted_secret_dirs(mut self) -> Self {
        self.trust.kubernetes = true;
        self
    }

    /// Accepts a file that others may read (not change) under `dir` when it lies on a memory
    /// filesystem: a directory that only the pod mounts (an in-memory `emptyDir` an injector
    /// writes to). [`TRUSTED_SECRET_DIRS_ENV`] adds directories at run time.
    pub fn trust_secret_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.trust.dirs.push(dir.into());
        self
    }

    /// The check, ready for [`crate::ReadinessBuilder::register`]. Each secret is read once
    /// now too, so that a value reused by another check is found from the first report.
    pub fn registration(self) -> CheckRegistration {
        let spec =
            CheckSpec::new(self.name.unwrap_or_else(|| "secrets:env".to_owned())).control(SECRETS_CONTROL).critical();
        let requirements = self.requirements;
        let trust = self.trust;
        for requirement in &requirements {
            let trust = trust.with_env();
            let _ = load(&requirement.env, requirement.allow_file, requirement.binary, requirement.min_len, &trust);
        }
        CheckRegistration::new(
            spec,
            check_fn(move |_| {
                let outcome = judge_requirements(&requirements, &trust.with_env());
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

fn judge_requirements(requirements: &[Requirement], trust: &FileTrust) -> Outcome {
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    let mut read = Vec::new();
    for requirement in requirements {
        let env = requirement.env.as_str();
        match load(env, requirement.allow_file, requirement.binary, requirement.min_len, trust) {
            Loaded::Read { raw, problem } => {
                evidence.push((env.to_owned(), evidence_of(&raw)));
                if let Some(problem) = problem {
                    problems.push(format!("{env} {problem}"));
                }
                if !read.contains(&env) {
                    read.push(env);
                }
            }
            Loaded::Unset => {
                evidence.push((env.to_owned(), "not set".to_owned()));
                problems.push(format!("{env} is not set"));
            }
            Loaded::Unreadable(problem) => problems.push(problem),
        }
    }
    problems.extend(reuse::problems(&read).into_iter().map(|(var, problem)| format!("{var} {problem}")));
    let mut outcome = if requirements.is_empty() {
        Outcome::cannot_tell("no secret is declared to this check", "add each secret with `SecretsCheck::secret`")
    } else if problems.is_empty() {
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
        let units = |text: &str| text.chars().map(u32::from).collect::<Vec<_>>();
        assert!((strength::bits_per_unit(&units("abcd")) - 2.0).abs() < 1e-9);
        assert!(strength::bits_per_unit(&units("aaaa")).abs() < 1e-9);
    }
}
