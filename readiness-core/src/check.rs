//! Checks: asynchronous runtime self-checks, the kinds of probe they answer for, and what they
//! see while they run.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::outcome::{IntoOutcome, Outcome};
use crate::state::{State, StateMap};

/// A boxed, sendable future: what [`Check::run`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Which probe a check answers for. A check may be of several kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckKind {
    /// Is the process alive? Failing liveness makes an orchestrator restart the process, so it
    /// should never depend on anything outside the process.
    Liveness,
    /// Can the process take traffic now? The default kind.
    Readiness,
    /// Has the process finished starting?
    Startup,
}

impl CheckKind {
    /// Every kind, in a fixed order.
    pub const ALL: [CheckKind; 3] = [CheckKind::Liveness, CheckKind::Readiness, CheckKind::Startup];

    /// The lowercase name used in every output format.
    pub const fn as_str(self) -> &'static str {
        match self {
            CheckKind::Liveness => "liveness",
            CheckKind::Readiness => "readiness",
            CheckKind::Startup => "startup",
        }
    }

    const fn bit(self) -> u8 {
        match self {
            CheckKind::Liveness => 1,
            CheckKind::Readiness => 2,
            CheckKind::Startup => 4,
        }
    }
}

impl fmt::Display for CheckKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of [`CheckKind`]s.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Kinds(u8);

impl Kinds {
    /// No kind at all.
    pub const EMPTY: Kinds = Kinds(0);

    /// Only readiness: the default of a new check.
    pub const READINESS: Kinds = Kinds(2);

    /// Whether `kind` is in the set.
    pub const fn contains(self, kind: CheckKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// The set with `kind` added.
    #[must_use]
    pub const fn with(self, kind: CheckKind) -> Kinds {
        Kinds(self.0 | kind.bit())
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kinds in the set, in [`CheckKind::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = CheckKind> {
        CheckKind::ALL.into_iter().filter(move |kind| self.contains(*kind))
    }
}

impl FromIterator<CheckKind> for Kinds {
    fn from_iter<I: IntoIterator<Item = CheckKind>>(iter: I) -> Self {
        iter.into_iter().fold(Kinds::EMPTY, Kinds::with)
    }
}

impl fmt::Debug for Kinds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for Kinds {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// What a check can see while it runs: the builder's typed state, and its own name.
#[derive(Clone)]
pub struct CheckContext {
    name: Arc<str>,
    state: Arc<StateMap>,
}

impl CheckContext {
    pub(crate) fn new(name: Arc<str>, state: Arc<StateMap>) -> Self {
        Self { name, state }
    }

    /// The running check's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The state value of type `T` given to [`crate::ReadinessBuilder::state`].
    ///
    /// # Errors
    ///
    /// [`crate::MissingState`] when no value of that type was given; its message names the type.
    pub fn state<T: Send + Sync + 'static>(&self) -> Result<State<T>, crate::MissingState> {
        self.state.get::<T>()
    }
}

impl fmt::Debug for CheckContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckContext").field("name", &self.name).finish_non_exhaustive()
    }
}

/// An asynchronous runtime self-check.
///
/// The trait is object safe: the registry stores `Arc<dyn Check>`. Most checks are written with
/// [`check_fn`] or the `#[check]` attribute instead of implementing it by hand.
///
/// ```
/// use readiness_core::{BoxFuture, Check, CheckContext, Outcome};
///
/// struct AlwaysFine;
///
/// impl Check for AlwaysFine {
///     fn run(&self, _ctx: CheckContext) -> BoxFuture<'_, Outcome> {
///         Box::pin(async { Outcome::pass() })
///     }
/// }
/// ```
pub trait Check: Send + Sync + 'static {
    /// Runs the check once. The runner applies timeouts, catches panics and caches the result.
    fn run(&self, ctx: CheckContext) -> BoxFuture<'_, Outcome>;
}

impl<C: Check + ?Sized> Check for Arc<C> {
    fn run(&self, ctx: CheckContext) -> BoxFuture<'_, Outcome> {
        (**self).run(ctx)
    }
}

/// A check made from an async closure, see [`check_fn`].
pub struct FnCheck<F>(F);

impl<F> fmt::Debug for FnCheck<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnCheck")
    }
}

/// Makes a [`Check`] from an async closure that returns an [`Outcome`] or a
/// `Result<Outcome, E: Display>`.
///
/// ```
/// use readiness_core::{check_fn, CheckContext, Outcome};
///
/// let check = check_fn(|_ctx: CheckContext| async { Ok::<_, std::io::Error>(Outcome::pass()) });
/// # let _ = check;
/// ```
pub fn check_fn<F, Fut>(f: F) -> FnCheck<F>
where
    F: Fn(CheckContext) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
{
    FnCheck(f)
}

impl<F, Fut> Check for FnCheck<F>
where
    F: Fn(CheckContext) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
{
    fn run(&self, ctx: CheckContext) -> BoxFuture<'_, Outcome> {
        let future = (self.0)(ctx);
        Box::pin(async move { future.await.into_outcome() })
    }
}
