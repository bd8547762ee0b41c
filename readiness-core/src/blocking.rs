//! [`blocking_fn`]: a check whose body blocks (a file read, `statvfs`, a synchronous client),
//! run off the async workers, with at most one run outstanding however long one hangs.

use std::fmt;
use std::sync::{Arc, Mutex};

use tokio::time::Instant;

use crate::attestation::format_duration;
use crate::check::{BoxFuture, Check, CheckContext};
use crate::outcome::{IntoOutcome, Outcome};

/// A check made from a blocking closure, see [`blocking_fn`].
pub struct BlockingFn<F> {
    body: Arc<F>,
    /// When the run still holding a blocking thread started, if one does.
    outstanding: Arc<Mutex<Option<Instant>>>,
}

impl<F> fmt::Debug for BlockingFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlockingFn")
    }
}

/// Makes a [`Check`] from a closure that blocks, returning an [`Outcome`] or a
/// `Result<Outcome, E: Display>`. It runs on tokio's blocking threads, so it never stalls the
/// async workers, and the runner's timeout still answers while it hangs.
///
/// Rust cannot stop a thread, so a run that outlives its timeout keeps its thread until it
/// returns. Until then, later runs start **no** second thread: they fail at once with "the
/// previous run is still blocked (for …)". A hung filesystem or a dead synchronous client then
/// costs one thread, not one more on every probe. Outside a tokio runtime the closure runs
/// inline.
///
/// ```
/// use readiness_core::{CheckContext, CheckRegistration, CheckSpec, Outcome, blocking_fn};
///
/// let registration = CheckRegistration::new(
///     CheckSpec::new("files:config"),
///     blocking_fn(|_ctx: CheckContext| match std::fs::metadata("/etc/hostname") {
///         Ok(_) => Outcome::pass(),
///         Err(error) => Outcome::fail(format!("cannot read /etc/hostname: {error}")),
///     }),
/// );
/// # let _ = registration;
/// ```
pub fn blocking_fn<F, O>(body: F) -> BlockingFn<F>
where
    F: Fn(CheckContext) -> O + Send + Sync + 'static,
    O: IntoOutcome,
{
    BlockingFn { body: Arc::new(body), outstanding: Arc::default() }
}

/// Clears the outstanding mark when the blocking run ends, even by a panic.
struct Finished(Arc<Mutex<Option<Instant>>>);

impl Drop for Finished {
    fn drop(&mut self) {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }
}

impl<F, O> Check for BlockingFn<F>
where
    F: Fn(CheckContext) -> O + Send + Sync + 'static,
    O: IntoOutcome,
{
    fn run(&self, ctx: CheckContext) -> BoxFuture<'_, Outcome> {
        if tokio::runtime::Handle::try_current().is_err() {
            let outcome = (self.body)(ctx).into_outcome();
            return Box::pin(async move { outcome });
        }
        {
            let mut outstanding = self.outstanding.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(started) = *outstanding {
                let blocked = format_duration(started.elapsed());
                return Box::pin(async move {
                    Outcome::fail(format!(
                        "the previous run is still blocked (for {blocked}); no second one is started until it returns"
                    ))
                });
            }
            *outstanding = Some(Instant::now());
        }
        let body = Arc::clone(&self.body);
        let finished = Finished(Arc::clone(&self.outstanding));
        let task = tokio::task::spawn_blocking(move || {
            let _finished = finished;
            body(ctx).into_outcome()
        });
        Box::pin(async move {
            match task.await {
                Ok(outcome) => outcome,
                Err(error) if error.is_panic() => {
                    Outcome::fail(format!("panicked: {}", crate::runner::panic_message(error.into_panic().as_ref())))
                }
                Err(error) => Outcome::fail(format!("the check's blocking task failed: {error}")),
            }
        })
    }
}
