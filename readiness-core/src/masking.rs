//! The masking registry: secret values the service loaded, replaced by a fixed marker wherever
//! text leaves the library (check outputs, evidence, every output format).
//!
//! Values are registered once (by `#[derive(Attest)]`, the built-in secret checks, or by hand with
//! [`register_secret`]) and matched all at once with Aho-Corasick, so the cost of masking does not
//! grow with the number of secrets.
//!
//! ```
//! use readiness_core::masking;
//!
//! masking::register_secret("hunter2-but-longer");
//! assert_eq!(masking::mask("password is hunter2-but-longer!"), "password is [REDACTED]!");
//! ```

use std::borrow::Cow;
use std::sync::{Arc, LazyLock, RwLock};

use aho_corasick::{AhoCorasick, MatchKind};

/// What every masked value is replaced with.
pub const MARKER: &str = "[REDACTED]";

/// Values shorter than this are not registered: masking every `a` in every log line would hide
/// more than it protects, and such values fail the secret-strength checks anyway.
pub const MIN_SECRET_LEN: usize = 4;

/// A set of secret values and the automaton that finds them.
#[derive(Default)]
pub struct Masker {
    compiled: RwLock<Arc<Compiled>>,
}

#[derive(Default)]
struct Compiled {
    values: Vec<String>,
    automaton: Option<AhoCorasick>,
}

impl Masker {
    /// An empty masker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a secret value. Values shorter than [`MIN_SECRET_LEN`] bytes are ignored;
    /// registering a value twice is harmless.
    pub fn register(&self, value: &str) {
        if value.len() < MIN_SECRET_LEN {
            return;
        }
        let mut guard = self.compiled.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if guard.values.iter().any(|known| known == value) {
            return;
        }
        let mut values = guard.values.clone();
        values.push(value.to_owned());
        // Longest match first, so a secret that contains another is masked whole.
        let automaton = AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&values).ok();
        *guard = Arc::new(Compiled { values, automaton });
    }

    /// How many values are registered.
    pub fn len(&self) -> usize {
        self.snapshot().values.len()
    }

    /// Whether no value is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `text` contains a registered value.
    pub fn contains_secret(&self, text: &str) -> bool {
        self.snapshot().automaton.as_ref().is_some_and(|automaton| automaton.is_match(text))
    }

    /// `text` with every registered value replaced by [`MARKER`]; borrowed when nothing matched.
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let compiled = self.snapshot();
        match &compiled.automaton {
            Some(automaton) if automaton.is_match(text) => {
                let mut masked = String::with_capacity(text.len());
                automaton.replace_all_with(text, &mut masked, |_, _, out| {
                    out.push_str(MARKER);
                    true
                });
                Cow::Owned(masked)
            }
            _ => Cow::Borrowed(text),
        }
    }

    fn snapshot(&self) -> Arc<Compiled> {
        Arc::clone(&self.compiled.read().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the values themselves.
        f.debug_struct("Masker").field("secrets", &self.len()).finish()
    }
}

static GLOBAL: LazyLock<Masker> = LazyLock::new(Masker::new);

/// The process-wide masker that the runner, the output formats and the log-masking layer use.
pub fn global() -> &'static Masker {
    &GLOBAL
}

/// Registers a secret value with the process-wide masker.
pub fn register_secret(value: &str) {
    global().register(value);
}

/// Masks `text` with the process-wide masker.
pub fn mask(text: &str) -> Cow<'_, str> {
    global().mask(text)
}

/// Cuts `text` to at most `max_bytes` bytes on a character boundary, marking the cut with `…`.
pub fn bound(text: &str, max_bytes: usize) -> Cow<'_, str> {
    if text.len() <= max_bytes {
        return Cow::Borrowed(text);
    }
    const ELLIPSIS: &str = "…";
    let mut end = max_bytes.saturating_sub(ELLIPSIS.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}{ELLIPSIS}", &text[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_registered_value_and_the_longest_first() {
        let masker = Masker::new();
        masker.register("abcd1234");
        masker.register("abcd1234-extended");
        masker.register("abc");
        assert_eq!(masker.len(), 2);
        assert_eq!(masker.mask("x abcd1234-extended y abcd1234 abc"), "x [REDACTED] y [REDACTED] abc");
        assert!(matches!(masker.mask("nothing here"), Cow::Borrowed(_)));
        assert_eq!(format!("{masker:?}"), "Masker { secrets: 2 }");
    }

    #[test]
    fn bounds_on_a_char_boundary() {
        assert_eq!(bound("short", 10), "short");
        let cut = bound("ééééé", 6);
        assert!(cut.len() <= 6, "{cut}");
        assert!(cut.ends_with('…'));
    }
}
