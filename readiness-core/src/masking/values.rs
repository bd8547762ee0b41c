//! The value registry: the secrets the service loaded, and the index that finds them.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, RwLock};

use aho_corasick::{AhoCorasick, MatchKind};

use super::{url, variants};

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
pub struct Masker {
    compiled: RwLock<Arc<Compiled>>,
    /// Told apart from every other masker of the process, for [`CACHED`].
    id: u64,
    /// Bumped after each change of `compiled`: a thread's cached index is current while this
    /// has not moved.
    generation: AtomicU64,
}

impl Default for Masker {
    fn default() -> Self {
        static IDS: AtomicU64 = AtomicU64::new(0);
        Self { compiled: RwLock::default(), id: IDS.fetch_add(1, Ordering::Relaxed), generation: AtomicU64::new(0) }
    }
}

thread_local! {
    /// The index a thread last used, with the masker and generation it came from. Taking the
    /// read lock costs two atomic read-modify-writes on a line shared by every logging thread;
    /// checking the generation costs one plain load.
    static CACHED: RefCell<Option<(u64, u64, Arc<Compiled>)>> = const { RefCell::new(None) };
}

/// Byte length of the grams that index long values.
const GRAM: usize = 4;
/// Values at least this long are found by sampling the text (see [`Sampled`]); shorter ones by
/// an Aho-Corasick automaton.
const LONG_VALUE: usize = 12;

/// Finds values of at least [`LONG_VALUE`] bytes without looking at every position of the text.
/// When the shortest value is `m` bytes long, any occurrence of a value contains a whole 4-byte
/// gram starting at one of the positions `0, s, 2s, …` of the text with `s = m - 3`, and within
/// its own first `s` bytes; so only those grams of each value are indexed, only those positions
/// are looked up (a filter of two bits per gram first, then the exact gram), and each candidate
/// is verified byte for byte. Values are random-looking, so
/// lookups rarely pass the filter: masking costs a few nanoseconds per line, not per byte.
struct Sampled {
    step: usize,
    filter: Box<[u64]>,
    grams: GramTable,
}

/// The exact grams behind the filter: an open-addressed table of the distinct grams (at most
/// half full), each with its run of `(value, offset)` places. Written by hand rather than a
/// `HashMap` of `Vec`s: a lookup is a multiplication and a compare of 4-byte keys in one array,
/// where a hashbrown probe and then its `Vec` were two cache misses on a large index for each
/// sampled gram that passed the filter (`mask_bytes` over the benchmark's events 894 → 621 ns,
/// the index 274 → 183 instructions an event).
struct GramTable {
    slots: Box<[GramSlot]>,
    places: Box<[(u32, u32)]>,
}

/// A slot of [`GramTable`]: `len == 0` is empty.
#[derive(Clone, Copy, Default)]
struct GramSlot {
    gram: u32,
    start: u32,
    len: u32,
}

impl GramTable {
    /// The table of `(gram, value, offset)` triples, in any order.
    fn new(mut grams: Vec<(u32, u32, u32)>) -> Self {
        grams.sort_unstable();
        let distinct = grams.chunk_by(|one, other| one.0 == other.0).count();
        let mut slots = vec![GramSlot::default(); (distinct * 2).next_power_of_two().max(2)].into_boxed_slice();
        let mut next = 0;
        for run in grams.chunk_by(|one, other| one.0 == other.0) {
            let gram = run[0].0;
            let mut slot = Self::slot_of(gram, slots.len());
            while slots[slot].len != 0 {
                slot = (slot + 1) & (slots.len() - 1);
            }
            // Counts fit `u32` (see `Sampled::new`).
            slots[slot] = GramSlot { gram, start: next as u32, len: run.len() as u32 };
            next += run.len();
        }
        let places = grams.into_iter().map(|(_, value, offset)| (value, offset)).collect();
        Self { slots, places }
    }

    fn slot_of(gram: u32, slots: usize) -> usize {
        // Another multiplier than the filter's, so the grams that pass the filter spread.
        (u64::from(gram).wrapping_mul(0xD6E8_FEB8_6659_FD93) >> 32) as usize & (slots - 1)
    }

    /// The `(value, offset)` places of `gram`.
    fn places(&self, gram: u32) -> &[(u32, u32)] {
        let mut slot = Self::slot_of(gram, self.slots.len());
        // At most half full, so an empty slot ends every probe.
        loop {
            let GramSlot { gram: known, start, len } = self.slots[slot];
            if len == 0 {
                return &[];
            }
            if known == gram {
                return self.places.get(start as usize..start as usize + len as usize).unwrap_or_default();
            }
            slot = (slot + 1) & (self.slots.len() - 1);
        }
    }
}

fn gram_at(bytes: &[u8], at: usize) -> u32 {
    debug_assert!(at + GRAM <= bytes.len(), "a gram past the end");
    // One bounds check for the four bytes, not four: this runs at every sampled position.
    bytes.get(at..at + GRAM).and_then(|gram| gram.try_into().ok()).map_or(0, u32::from_le_bytes)
}

/// The word and the two bits of `gram` in a filter of `words` words (a power of two): two bits
/// in one word take one memory access and let through far fewer grams than one bit.
fn filter_slot(gram: u32, words: usize) -> (usize, u64) {
    let hash = u64::from(gram).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let word = (hash >> 40) as usize & (words - 1);
    (word, (1 << (hash & 63)) | (1 << ((hash >> 6) & 63)))
}

impl Sampled {
    fn new(values: &[String]) -> Option<Self> {
        let shortest = values.iter().map(String::len).filter(|len| *len >= LONG_VALUE).min()?;
        let step = shortest - GRAM + 1;
        // An occurrence of a value holds a sampled position within its first `step` bytes, so
        // only the grams starting there need indexing.
        let indexed = |value: &String| (value.len() - GRAM + 1).min(step);
        let gram_count: usize = values.iter().filter(|value| value.len() >= LONG_VALUE).map(indexed).sum();
        // Two bits per gram, so that most sampled grams of ordinary text need no exact lookup
        // (about one in five does with 20,000 grams), and small enough to stay in the first-level cache between log lines (a
        // write system call evicts much of it; a 64 KiB filter cost a tenth of the throughput of
        // a formatter writing to a file): 8 to 128 KiB.
        let words = (gram_count * 2 / 64).next_power_of_two().clamp(1024, 16 * 1024);
        let mut filter = vec![0_u64; words].into_boxed_slice();
        let mut grams = Vec::with_capacity(gram_count);
        for (index, value) in values.iter().enumerate().filter(|(_, value)| value.len() >= LONG_VALUE) {
            for offset in 0..indexed(value) {
                let gram = gram_at(value.as_bytes(), offset);
                let (word, bit) = filter_slot(gram, words);
                filter[word] |= bit;
                // Every count of the index fits `u32`: it would take four billion grams, some
                // 16 GB of secret values, to overflow one.
                grams.push((gram, index as u32, offset as u32));
            }
        }
        Some(Self { step, filter, grams: GramTable::new(grams) })
    }

    fn find(&self, values: &[String], text: &[u8], ranges: &mut Vec<Range<usize>>) {
        let mut at = 0;
        while at + GRAM <= text.len() {
            let gram = gram_at(text, at);
            let (word, bit) = filter_slot(gram, self.filter.len());
            if self.filter[word] & bit == bit {
                for &(index, offset) in self.grams.places(gram) {
                    let value = values[index as usize].as_bytes();
                    let Some(start) = at.checked_sub(offset as usize) else { continue };
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
    /// The values as registered.
    registered: Vec<String>,
    /// The registered values and every other form they take in text (see [`super::variants`]).
    values: Vec<String>,
    /// The values shorter than [`LONG_VALUE`].
    short: Option<AhoCorasick>,
    long: Option<Sampled>,
}

impl Compiled {
    fn new(registered: Vec<String>) -> Self {
        let (mut values, mut seen) = (Vec::new(), HashSet::new());
        for value in &registered {
            push_with_forms(&mut values, &mut seen, value);
            // A URL's password is masked on its own too: a URL is often logged in parts.
            if let Some(password) = url::password(value) {
                push_with_forms(&mut values, &mut seen, password);
                if let Ok(decoded) = percent_encoding::percent_decode_str(password).decode_utf8() {
                    push_with_forms(&mut values, &mut seen, &decoded);
                }
            }
        }
        let short_values = values.iter().filter(|value| value.len() < LONG_VALUE).collect::<Vec<_>>();
        let short = (!short_values.is_empty())
            .then(|| AhoCorasick::builder().match_kind(MatchKind::Standard).build(short_values).ok())
            .flatten();
        let long = Sampled::new(&values);
        Self { registered, values, short, long }
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

/// Adds `value` and its other forms to `values`, each once, none shorter than [`MIN_SECRET_LEN`].
fn push_with_forms(values: &mut Vec<String>, seen: &mut HashSet<String>, value: &str) {
    for form in std::iter::once(value.to_owned()).chain(variants::encoded_forms(value)) {
        if form.len() >= MIN_SECRET_LEN && seen.insert(form.clone()) {
            values.push(form);
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
        if guard.registered.iter().any(|known| known == value) {
            return;
        }
        let mut registered = guard.registered.clone();
        registered.push(value.to_owned());
        *guard = Arc::new(Compiled::new(registered));
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// How many values are registered.
    pub fn len(&self) -> usize {
        self.snapshot().registered.len()
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
        let generation = self.generation.load(Ordering::Acquire);
        let done = CACHED.try_with(|cached| {
            let Ok(mut cached) = cached.try_borrow_mut() else { return false };
            match &*cached {
                Some((id, seen, compiled)) if *id == self.id && *seen == generation => {
                    compiled.find_ranges(haystack, ranges);
                }
                _ => {
                    let compiled = self.snapshot();
                    compiled.find_ranges(haystack, ranges);
                    *cached = Some((self.id, generation, compiled));
                }
            }
            true
        });
        // During thread teardown the cache is gone: read under the lock.
        if done != Ok(true) {
            self.snapshot().find_ranges(haystack, ranges);
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
    fn the_gram_table_finds_each_gram_with_all_its_places_and_nothing_else() {
        // Three grams of one slot, the last, so that probes collide and wrap round.
        let slots = 8;
        let mut last = (0_u32..).filter(|gram| GramTable::slot_of(*gram, slots) == slots - 1);
        let (one, two, three, missing) =
            (last.next().unwrap(), last.next().unwrap(), last.next().unwrap(), last.next().unwrap());
        let table = GramTable::new(vec![(two, 2, 5), (one, 0, 0), (three, 3, 1), (two, 1, 3)]);
        assert_eq!(table.slots.len(), slots);
        assert_eq!(table.places(one), [(0, 0)]);
        assert_eq!(table.places(two), [(1, 3), (2, 5)]);
        assert_eq!(table.places(three), [(3, 1)]);
        assert!(table.places(missing).is_empty(), "a gram of the same cluster that is not there");
        assert!(GramTable::new(Vec::new()).places(one).is_empty());

        // Many grams against a plain map.
        let mut rng = fastrand::Rng::with_seed(7);
        let triples: Vec<(u32, u32, u32)> =
            (0..20_000).map(|_| (rng.u32(..5_000), rng.u32(..100), rng.u32(..40))).collect();
        let table = GramTable::new(triples.clone());
        let mut expected: std::collections::BTreeMap<u32, Vec<(u32, u32)>> = Default::default();
        for (gram, value, offset) in triples {
            expected.entry(gram).or_default().push((value, offset));
        }
        for gram in 0..6_000 {
            let mut found = table.places(gram).to_vec();
            found.sort_unstable();
            let mut wanted = expected.get(&gram).cloned().unwrap_or_default();
            wanted.sort_unstable();
            assert_eq!(found, wanted, "gram {gram}");
        }
    }

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
