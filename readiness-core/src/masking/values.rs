//! The value registry: the secrets the service loaded, and the index that finds them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, LazyLock, RwLock};

use aho_corasick::{AhoCorasick, MatchKind};

/// What every masked value is replaced with.
pub const MARKER: &str = "[REDACTED]";

/// Values shorter than this are not registered: masking every `a` in every log line would hide
/// more than it protects, and such values fail the secret-strength checks anyway.
pub const MIN_SECRET_LEN: usize = 4;

/// Prints [`MARKER`] in a derived `Debug`: what `#[derive(Attest)]` shows for a secret field.
#[doc(hidden)]
pub struct Redacted;

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(MARKER)
    }
}

/// A set of secret values and the index that finds them.
#[derive(Default)]
pub struct Masker {
    compiled: RwLock<Arc<Compiled>>,
}

/// Byte length of the grams that index long values.
const GRAM: usize = 4;
/// Values at least this long are found by sampling the text (see [`Sampled`]); shorter ones by
/// an Aho-Corasick automaton.
const LONG_VALUE: usize = 12;

/// Finds values of at least [`LONG_VALUE`] bytes without looking at every position of the text.
/// Every 4-byte gram of every value is indexed; when the shortest value is `m` bytes long, any
/// occurrence of a value contains a whole gram starting at one of the positions `0, s, 2s, …`
/// with `s = m - 3`. So only those positions are looked up (a 64 Ki-bit filter first, then the
/// exact gram), and each candidate is verified byte for byte. Values are random-looking, so
/// lookups rarely pass the filter: masking costs a few nanoseconds per line, not per byte.
struct Sampled {
    step: usize,
    filter: Box<[u64]>,
    grams: HashMap<u32, Vec<(usize, usize)>>,
}

fn gram_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn filter_slot(gram: u32) -> (usize, u64) {
    let hash = (gram.wrapping_mul(0x9E37_79B1) >> 16) as usize;
    (hash / 64, 1 << (hash % 64))
}

impl Sampled {
    fn new(values: &[String]) -> Option<Self> {
        let shortest = values.iter().map(String::len).filter(|len| *len >= LONG_VALUE).min()?;
        let mut filter = vec![0_u64; 1024].into_boxed_slice();
        let mut grams: HashMap<u32, Vec<(usize, usize)>> = HashMap::new();
        for (index, value) in values.iter().enumerate().filter(|(_, value)| value.len() >= LONG_VALUE) {
            for offset in 0..=value.len() - GRAM {
                let gram = gram_at(value.as_bytes(), offset);
                let (word, bit) = filter_slot(gram);
                filter[word] |= bit;
                grams.entry(gram).or_default().push((index, offset));
            }
        }
        Some(Self { step: shortest - GRAM + 1, filter, grams })
    }

    fn find(&self, values: &[String], text: &[u8], ranges: &mut Vec<Range<usize>>) {
        let mut at = 0;
        while at + GRAM <= text.len() {
            let gram = gram_at(text, at);
            let (word, bit) = filter_slot(gram);
            if self.filter[word] & bit != 0 {
                for &(index, offset) in self.grams.get(&gram).into_iter().flatten() {
                    let value = values[index].as_bytes();
                    let Some(start) = at.checked_sub(offset) else { continue };
                    if text.get(start..start + value.len()) == Some(value) {
                        ranges.push(start..start + value.len());
                    }
                }
            }
            at += self.step;
        }
    }
}

#[derive(Default)]
struct Compiled {
    values: Vec<String>,
    /// The values shorter than [`LONG_VALUE`].
    short: Option<AhoCorasick>,
    long: Option<Sampled>,
}

impl Compiled {
    fn new(values: Vec<String>) -> Self {
        let short_values = values.iter().filter(|value| value.len() < LONG_VALUE).collect::<Vec<_>>();
        let short = (!short_values.is_empty())
            .then(|| AhoCorasick::builder().match_kind(MatchKind::Standard).build(short_values).ok())
            .flatten();
        let long = Sampled::new(&values);
        Self { values, short, long }
    }

    fn find_ranges(&self, text: &[u8], ranges: &mut Vec<Range<usize>>) {
        if let Some(short) = &self.short {
            // Overlapping matches too: `abcd1234` and `1234wxyz` in `abcd1234wxyz` are both masked.
            ranges.extend(short.find_overlapping_iter(text).map(|found| found.range()));
        }
        if let Some(long) = &self.long {
            long.find(&self.values, text, ranges);
        }
    }
}

/// `text` with every range replaced by [`MARKER`] (overlapping and touching ranges become one
/// marker); `None` when there is no range. `ranges` is sorted in place.
pub(crate) fn replace_ranges(text: &[u8], ranges: &mut [Range<usize>]) -> Option<Vec<u8>> {
    if ranges.is_empty() {
        return None;
    }
    ranges.sort_unstable_by_key(|range| range.start);
    let mut masked = Vec::with_capacity(text.len());
    let mut cursor = 0;
    let mut index = 0;
    while index < ranges.len() {
        let start = ranges[index].start.max(cursor);
        let mut end = ranges[index].end;
        index += 1;
        while index < ranges.len() && ranges[index].start <= end {
            end = end.max(ranges[index].end);
            index += 1;
        }
        if end <= cursor {
            continue;
        }
        masked.extend_from_slice(&text[cursor..start]);
        masked.extend_from_slice(MARKER.as_bytes());
        cursor = end;
    }
    masked.extend_from_slice(&text[cursor..]);
    Some(masked)
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
        *guard = Arc::new(Compiled::new(values));
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
        let mut ranges = Vec::new();
        self.find_ranges(text.as_bytes(), &mut ranges);
        !ranges.is_empty()
    }

    /// `text` with every registered value replaced by [`MARKER`]; borrowed when nothing matched.
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut ranges = Vec::new();
        self.find_ranges(text.as_bytes(), &mut ranges);
        match replace_ranges(text.as_bytes(), &mut ranges) {
            None => Cow::Borrowed(text),
            // Ranges are whole registered (UTF-8) values, so cutting them out keeps UTF-8.
            Some(masked) => Cow::Owned(
                String::from_utf8(masked)
                    .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned()),
            ),
        }
    }

    /// Appends the byte ranges of every registered value in `haystack` to `ranges`. Reads under
    /// the lock rather than cloning the `Arc`: this is the log masker's hot path.
    pub(crate) fn find_ranges(&self, haystack: &[u8], ranges: &mut Vec<Range<usize>>) {
        self.compiled.read().unwrap_or_else(|poisoned| poisoned.into_inner()).find_ranges(haystack, ranges);
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
    fn overlapping_values_are_masked_together() {
        let masker = Masker::new();
        masker.register("abcd1234");
        masker.register("1234wxyz");
        masker.register("0123456789abcdefXYZ");
        masker.register("cdefXYZ-and-more-of-it");
        assert_eq!(masker.mask("<abcd1234wxyz>"), "<[REDACTED]>");
        assert_eq!(masker.mask("<0123456789abcdefXYZ-and-more-of-it>"), "<[REDACTED]>");
    }

    #[test]
    fn long_values_are_found_at_every_offset_of_the_text_and_next_to_each_other() {
        let masker = Masker::new();
        let long = "0123456789abcdefXYZ"; // 19 bytes: sampled every 16 positions
        let longer = "k9Qe2Lm7Zt4Vw8Rb1Nc6Hy3Jp5Gd0Fs"; // 32 bytes
        masker.register(long);
        masker.register(longer);
        masker.register("short-1"); // 7 bytes: the automaton
        for prefix in 0..40 {
            let text = format!("{}{long}|{longer}short-1{long}{long}", "-".repeat(prefix));
            let masked = masker.mask(&text);
            assert_eq!(masked, format!("{}{MARKER}|{MARKER}", "-".repeat(prefix)), "prefix {prefix}");
        }
        // Near misses stay: one byte off at the start, the end or the middle.
        for near in ["123456789abcdefXYZ", "0123456789abcdefXY", "0123456789abXdefXYZ", "x0123456789abcdefXY"] {
            assert_eq!(masker.mask(near), near);
        }
        assert!(masker.contains_secret(&format!("a{longer}b")));
        assert!(!masker.contains_secret("nothing to see"));
    }

    #[test]
    fn every_registered_value_is_masked_wherever_it_lands_in_random_text() {
        // Lowercase values: they cannot occur inside the marker itself.
        let mut rng = fastrand::Rng::with_seed(0x00ba_5eed);
        let word = |rng: &mut fastrand::Rng, len: usize| -> String {
            (0..len).map(|_| if rng.bool() { rng.lowercase() } else { rng.digit(10) }).collect()
        };
        let masker = Masker::new();
        let values: Vec<String> = (0..60)
            .map(|_| {
                let len = MIN_SECRET_LEN + rng.usize(..40);
                word(&mut rng, len)
            })
            .collect();
        for value in &values {
            masker.register(value);
        }
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..rng.usize(1..5) {
                let noise = rng.usize(..24);
                text.push_str(&word(&mut rng, noise));
                if rng.bool() {
                    text.push_str(" é ");
                }
                text.push_str(&values[rng.usize(..values.len())]);
            }
            let tail = rng.usize(..8);
            text.push_str(&word(&mut rng, tail));
            let masked = masker.mask(&text);
            for value in &values {
                assert!(!masked.contains(value.as_str()), "{value:?} survived in {text:?} -> {masked:?}");
            }
            assert!(masked.contains(MARKER), "{text:?}");
        }
    }

    #[test]
    fn bounds_on_a_char_boundary() {
        assert_eq!(bound("short", 10), "short");
        let cut = bound("ééééé", 6);
        assert!(cut.len() <= 6, "{cut}");
        assert!(cut.ends_with('…'));
    }
}
