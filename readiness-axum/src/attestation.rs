//! The attestation: an in-toto statement of the running build and its checklist (a DSSE
//! envelope when a signing key is configured), and the JWK Set of the verifying key.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use ed25519_dalek::SigningKey;
use readiness_core::Report;
use readiness_core::output::{in_toto, jwks};

use crate::problem::Problem;
use crate::request::Format;

/// How long a statement may be believed after it is generated, unless configured.
pub(crate) const DEFAULT_VALIDITY: Duration = Duration::from_secs(600);

/// What the attestation routes need: the key, the rendered key set, the validity.
pub(crate) struct Attestation {
    signing: Option<SigningKey>,
    keys: Bytes,
    valid_for: Duration,
}

impl Attestation {
    /// Starts digesting the running executable (once per process, on a thread of its own).
    pub(crate) fn new(signing: Option<SigningKey>, valid_for: Duration) -> Self {
        ExecutableDigest::global().start();
        let keys = jwks::key_set(signing.iter().map(|key| key.verifying_key()).collect::<Vec<_>>().iter());
        Self { signing, keys: Bytes::from(keys.to_string()), valid_for }
    }

    /// The JWK Set of the verifying key: public parts only, for anyone (empty without a key).
    pub(crate) fn keys(&self) -> Bytes {
        self.keys.clone()
    }

    /// What the route can answer: a signed envelope is JSON too, so a client asking for either
    /// type gets it; an unsigned statement is no envelope, so a client asking for one alone is
    /// refused (406) rather than given something unsigned.
    pub(crate) fn formats(&self) -> &'static [Format] {
        if self.signing.is_some() { &[Format::Dsse, Format::Json] } else { &[Format::Json] }
    }

    /// The statement of `report`: enveloped and signed when a key is configured, plainly marked
    /// unsigned and served as plain JSON otherwise. `format` is the negotiated one of
    /// [`Attestation::formats`]: an envelope is labelled `application/json` for a client that
    /// asked for JSON rather than for the envelope's own type.
    pub(crate) fn render(
        &self,
        report: &Report,
        nonce: Option<&str>,
        format: Format,
    ) -> Result<(&'static str, Bytes), Problem> {
        let mut freshness = in_toto::Freshness::new(self.valid_for);
        if let Some(nonce) = nonce {
            freshness = freshness.nonce(nonce).map_err(|error| Problem::bad_request(error.to_string()))?;
        }
        let digest = ExecutableDigest::global().get()?;
        let subject = in_toto::Subject::new(report.service.name.clone(), digest);
        let mut statement = in_toto::statement(report, &subject, &freshness);
        Ok(match &self.signing {
            Some(key) => {
                let content_type =
                    if format == Format::Dsse { in_toto::ENVELOPE_CONTENT_TYPE } else { "application/json" };
                (content_type, Bytes::from(in_toto::envelope(&statement, key).to_string()))
            }
            None => {
                in_toto::mark_unsigned(&mut statement);
                (in_toto::STATEMENT_CONTENT_TYPE, Bytes::from(statement.to_string()))
            }
        })
    }
}

/// The SHA-256 of the running executable, read on a thread of its own when the routes are
/// built, so no request waits for (or blocks an async thread on) reading the binary. An error
/// is not kept: the next request starts another attempt.
struct ExecutableDigest {
    state: Arc<Mutex<Digest>>,
    /// How the digest is read: the running executable, or a stand-in in tests.
    read: fn() -> std::io::Result<String>,
}

fn running_executable_digest() -> std::io::Result<String> {
    in_toto::Subject::running_executable("").map(|subject| subject.sha256().to_owned())
}

#[derive(Clone)]
enum Digest {
    NotStarted,
    Computing,
    Ready(String),
    Failed,
}

impl ExecutableDigest {
    /// One per process: the executable is the process's.
    fn global() -> &'static Self {
        static DIGEST: OnceLock<ExecutableDigest> = OnceLock::new();
        DIGEST.get_or_init(|| Self::new(running_executable_digest))
    }

    fn new(read: fn() -> std::io::Result<String>) -> Self {
        Self { state: Arc::new(Mutex::new(Digest::NotStarted)), read }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Digest> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts a digest unless one is done or under way.
    fn start(&self) {
        let mut state = self.lock();
        if matches!(*state, Digest::Computing | Digest::Ready(_)) {
            return;
        }
        *state = Digest::Computing;
        drop(state);
        let shared = Arc::clone(&self.state);
        let read = self.read;
        let spawned = std::thread::Builder::new().name("readiness-exe-digest".into()).spawn(move || {
            let digest = match read() {
                Ok(digest) => Digest::Ready(digest),
                Err(error) => {
                    tracing::error!(%error, "cannot digest the running executable for the attestation");
                    Digest::Failed
                }
            };
            *shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = digest;
        });
        if spawned.is_err() {
            *self.lock() = Digest::Failed;
        }
    }

    /// The digest, or a 503 while it is computed or after it failed (starting another attempt).
    fn get(&self) -> Result<String, Problem> {
        let state = self.lock().clone();
        match state {
            Digest::Ready(digest) => Ok(digest),
            Digest::Computing => Err(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Unavailable",
                "the running executable is still being digested: retry in a moment",
            )),
            Digest::NotStarted | Digest::Failed => {
                self.start();
                Err(Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Unavailable",
                    "the running executable could not be read; another attempt has started: retry in a moment",
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    static READS: AtomicUsize = AtomicUsize::new(0);

    /// Fails the first read (the binary replaced mid-read, say), then succeeds.
    fn flaky() -> std::io::Result<String> {
        if READS.fetch_add(1, Ordering::SeqCst) == 0 {
            Err(std::io::Error::other("the executable could not be read"))
        } else {
            Ok("ab".repeat(32))
        }
    }

    fn settled(digest: &ExecutableDigest) {
        for _ in 0..500 {
            if !matches!(*digest.lock(), Digest::Computing) {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        panic!("the digest thread never finished");
    }

    #[test]
    fn a_failed_read_is_retried_on_the_next_request_not_kept() {
        let digest = ExecutableDigest::new(flaky);
        digest.start();
        settled(&digest);
        let first = digest.get().unwrap_err();
        assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE);
        settled(&digest);
        assert_eq!(digest.get().unwrap(), "ab".repeat(32));
        assert_eq!(READS.load(Ordering::SeqCst), 2, "read once more after the failure, then kept");
        assert_eq!(digest.get().unwrap(), "ab".repeat(32));
        assert_eq!(READS.load(Ordering::SeqCst), 2);
    }
}
