//! The scan that finds what to mask in log text, in one pass over the line.
//!
//! One SIMD multi-literal search (Teddy, from `aho-corasick`) finds every place where something
//! may need masking: the word stems of sensitive field names (`pass`, `secret`, `token`, `key`, …
//! in three casings), the anchors of the default patterns, and `://`. Each hit is judged where it
//! is, with work bounded by what it reads for the first time, so a line costs time linear in its
//! length however it repeats a trigger; a line without a hit (most lines) costs the search and
//! the registered-value index lookups (see [`super::values`]) and nothing else.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind, packed};

use super::fields::{name_around, separator_after, value_after};
use super::judged::sensitivity_of;
use super::patterns::{ANCHORS, Pattern, Progress};
use super::{url, values};

/// What a search hit is.
#[derive(Clone, Copy)]
enum Trigger {
    /// A word stem of a sensitive field name.
    Name,
    /// The anchor of a default pattern.
    Pattern(Pattern),
    /// `://`: a URL's user-info may follow.
    Url,
}

/// The stems every sensitive name contains (see [`super::fields`]), each searched lowercase,
/// capitalised and upper-case: `password`, `dbPassword`, `PASSWORD`.
#[cfg(test)]
const NAME_STEMS: &[&str] = &["pass", "pwd", "secret", "token", "auth", "cookie", "cred", "key", "session", "jwt"];

/// Either Teddy itself or, on a CPU without the SIMD it needs, an automaton.
enum Searcher {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

struct Scanner {
    searcher: Searcher,
    triggers: Vec<Trigger>,
    literals: Vec<String>,
    /// For each literal, the other literals that can start inside it: `(offset, literal)`.
    /// The search reports matches that do not overlap, so in `AKIAuthorization` the anchor
    /// `AKIA` hides the stem `Auth` that starts at its last byte, and a sensitive name went
    /// unjudged (found by the `sensitive_field` fuzz target). Each such hidden start is
    /// checked directly after its literal matched: a comparison, not a second search.
    overlaps: Vec<Vec<(usize, usize)>>,
}

/// Where other literals can begin inside each literal (see [`Scanner::overlaps`]).
fn overlaps_of(literals: &[String]) -> Vec<Vec<(usize, usize)>> {
    literals
        .iter()
        .map(|outer| {
            let outer = outer.as_bytes();
            let mut found = Vec::new();
            for offset in 1..outer.len() {
                let tail = &outer[offset..];
                for (index, inner) in literals.iter().enumerate() {
                    let inner = inner.as_bytes();
                    if inner.starts_with(tail) || tail.starts_with(inner) {
                        found.push((offset, index));
                    }
                }
            }
            found
        })
        .collect()
}

/// Every trigger literal: each stem of `NAME_STEMS` in its three casings, each anchor of
/// [`ANCHORS`], and `://`, in an order chosen for Teddy's buckets. Teddy has 16 buckets (fat,
/// as `aho-corasick` picks for this many literals) for these 24 groups of literals (a group
/// shares the low nibbles of its first three bytes, as the casings of a stem do), and puts a
/// group in a bucket by the id of its first literal (`15 - id % 16`), so the order decides which
/// groups share a bucket and merge their fingerprints. This one keeps `key`, `auth` and `://`
/// alone and puts the rare anchors beside each other or beside a stem whose fingerprint they
/// hardly widen: on the benchmark's ten events, 5 candidate
/// positions instead of 9, and the search about 420 instructions an event instead of 490.
/// (Slim Teddy, 32 bytes a step but 8 buckets, cost more even in its best order: 540.)
/// The order changes no match: no two literals can match at one position (tested below).
const LITERALS: [&str; 47] = [
    "auth",
    "cred",
    "github_pat_",
    "secret",
    "cookie",
    "pass",
    "pwd",
    "key", //
    "Auth",
    "bearer",
    "://",
    "token",
    "AKIA",
    "gho_",
    "jwt",
    "AUTH", //
    "Cred",
    "CRED",
    "Secret",
    "xox",
    "ASIA",
    "ghu_",
    "-----BEGIN ",
    "SECRET", //
    "session",
    "Session",
    "SESSION",
    "Cookie",
    "ghp_",
    "COOKIE",
    "eyJ",
    "Pass", //
    "PASS",
    "Pwd",
    "PWD",
    "Key",
    "ghs_",
    "KEY",
    "k_live_",
    "Bearer", //
    "BEARER",
    "Token",
    "TOKEN",
    "Jwt",
    "ghr_",
    "JWT",
    "k_test_",
];

/// What the literal `literal` of [`LITERALS`] triggers.
fn trigger_of(literal: &str) -> Trigger {
    match ANCHORS.iter().find(|(anchor, _)| *anchor == literal) {
        Some((_, pattern)) => Trigger::Pattern(*pattern),
        None if literal == "://" => Trigger::Url,
        None => Trigger::Name,
    }
}

static SCANNER: LazyLock<Scanner> = LazyLock::new(|| {
    let literals: Vec<String> = LITERALS.iter().map(|literal| (*literal).to_owned()).collect();
    let triggers = LITERALS.iter().map(|literal| trigger_of(literal)).collect();
    let packed = packed::Config::new().match_kind(packed::MatchKind::LeftmostFirst).builder().extend(&literals).build();
    let searcher = match packed {
        Some(searcher) => Searcher::Packed(searcher),
        None => Searcher::Automaton(
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(&literals)
                .expect("the masking triggers are valid literals"),
        ),
    };
    let overlaps = overlaps_of(&literals);
    Scanner { searcher, triggers, literals, overlaps }
});

impl Scanner {
    fn for_each_hit(&self, text: &[u8], mut hit: impl FnMut(Trigger, Range<usize>)) {
        let mut found_at = |literal: usize, range: Range<usize>| {
            let start = range.start;
            hit(self.triggers[literal], range);
            for &(offset, inner) in &self.overlaps[literal] {
                let inner_text = self.literals[inner].as_bytes();
                if text[start + offset..].starts_with(inner_text) {
                    hit(self.triggers[inner], start + offset..start + offset + inner_text.len());
                }
            }
        };
        match &self.searcher {
            Searcher::Packed(searcher) => {
                for found in searcher.find_iter(text) {
                    found_at(found.pattern().as_usize(), found.range());
                }
            }
            Searcher::Automaton(automaton) => {
                for found in automaton.find_iter(text) {
                    found_at(found.pattern().as_usize(), found.range());
                }
            }
        }
    }
}

/// What the scan of one text has read so far: each judgement starts where the last one of its
/// kind stopped reading, so no byte is read twice for the same purpose.
#[derive(Default)]
struct Scan {
    patterns: Progress,
    /// The end of the last field name judged.
    names_until: usize,
    /// The end of the last sensitive value found: a field named inside it is part of it.
    values_until: usize,
    /// The last authority read after a `://`: its start, end, and the end of its user-info.
    authority: Option<(usize, usize, Option<usize>)>,
}

impl Scan {
    fn field(&mut self, text: &[u8], stem: Range<usize>) -> Option<Range<usize>> {
        if stem.start < self.names_until || stem.start < self.values_until {
            return None;
        }
        let name = match name_around(text, stem) {
            Ok(name) => name,
            // A run of name bytes too long to be a name: a stem inside it would read it again.
            Err(read_until) => {
                self.names_until = read_until;
                return None;
            }
        };
        self.names_until = name.end;
        // The separator first: most stems stand in prose, not before one, and it costs less.
        let separator = separator_after(text, name.end)?;
        let how = sensitivity_of(&text[name.clone()])?;
        let value = value_after(text, separator, how)?;
        self.values_until = value.end;
        Some(value)
    }

    fn url_password(&mut self, text: &[u8], at: usize) -> Option<Range<usize>> {
        // Every `://` inside one authority shares its end and its last `@`: read them once.
        let info_end = match self.authority {
            Some((start, end, info_end)) if start <= at && at <= end => info_end.filter(|info_end| *info_end >= at),
            _ => {
                let end = url::authority_end(text, at);
                let info_end = url::user_info_end(text, at, end);
                self.authority = Some((at, end, info_end));
                info_end
            }
        }?;
        url::password_in(text, at, info_end)
    }
}

/// The byte ranges of `text` to mask: sensitive field values, URL passwords, default patterns
/// and registered secrets (in any order, possibly overlapping).
fn find_ranges(text: &[u8], ranges: &mut Vec<Range<usize>>) {
    let mut scan = Scan::default();
    SCANNER.for_each_hit(text, |trigger, found| {
        let range = match trigger {
            Trigger::Name => scan.field(text, found),
            Trigger::Pattern(pattern) => scan.patterns.find(text, pattern, found),
            Trigger::Url => scan.url_password(text, found.end),
        };
        ranges.extend(range);
    });
    values::global().find_ranges(text, ranges);
}

/// Masks a piece of log output given as bytes (it need not be UTF-8): sensitive field values,
/// registered secrets and default patterns are each replaced by [`MARKER`](super::MARKER).
/// Borrowed when nothing matched, which is the common case and allocates nothing.
pub fn mask_bytes(text: &[u8]) -> Cow<'_, [u8]> {
    let mut ranges = Vec::new();
    find_ranges(text, &mut ranges);
    match values::replace_ranges(text, &mut ranges) {
        None => Cow::Borrowed(text),
        Some(masked) => Cow::Owned(masked),
    }
}

/// Masks one piece of log text: sensitive field values, registered secrets, default patterns.
pub fn mask_line(text: &str) -> Cow<'_, str> {
    match mask_bytes(text.as_bytes()) {
        Cow::Borrowed(_) => Cow::Borrowed(text),
        // Every range starts and ends at an ASCII byte or a registered (UTF-8) value, so the
        // result is UTF-8; the lossy path is only a guard.
        Cow::Owned(bytes) => Cow::Owned(
            String::from_utf8(bytes).unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_literals_are_every_stem_in_three_casings_every_anchor_and_the_url_separator() {
        let mut expected: Vec<String> = Vec::new();
        for stem in NAME_STEMS {
            let capitalised = format!("{}{}", stem[..1].to_ascii_uppercase(), &stem[1..]);
            expected.extend([stem.to_string(), capitalised, stem.to_ascii_uppercase()]);
        }
        expected.extend(ANCHORS.iter().map(|(anchor, _)| (*anchor).to_owned()));
        expected.push("://".to_owned());
        let mut literals: Vec<String> = LITERALS.iter().map(|literal| (*literal).to_owned()).collect();
        expected.sort();
        literals.sort();
        assert_eq!(literals, expected);
        for literal in LITERALS {
            let is_stem = NAME_STEMS.iter().any(|stem| stem.eq_ignore_ascii_case(literal));
            assert_eq!(matches!(trigger_of(literal), Trigger::Name), is_stem, "{literal}");
        }
    }

    #[test]
    fn no_two_literals_match_at_one_position() {
        // With leftmost-first matching the order of the literals would otherwise decide which
        // one is reported, and reordering them for speed could hide a trigger.
        for (index, one) in LITERALS.iter().enumerate() {
            for other in &LITERALS[index + 1..] {
                assert!(!one.starts_with(other) && !other.starts_with(one), "{one} {other}");
            }
        }
    }
}
