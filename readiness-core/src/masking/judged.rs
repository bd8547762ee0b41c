//! A per-thread memo of field-name judgements for the scanner: a service logs the same few field
//! names over and over, and judging a name by its words (splitting it, lower-casing each word,
//! a table lookup per word) costs several times a lookup here. Names are remembered by their
//! exact bytes, so a remembered judgement is the one [`sensitivity`] gives.

use std::cell::RefCell;

use super::fields::{Sensitive, sensitivity};

/// Slots of the memo (direct-mapped: a name that hashes to a taken slot replaces its name).
const SLOTS: usize = 64;
/// Longer names are judged every time: field names are short, and the memo stays small.
const LONGEST: usize = 32;

/// A remembered judgement: the name's length (0 for an empty slot), its bytes zero-padded, and
/// the judgement.
type Slot = (u8, [u8; LONGEST], Option<Sensitive>);

thread_local! {
    static MEMO: RefCell<[Slot; SLOTS]> = const { RefCell::new([(0, [0; LONGEST], None); SLOTS]) };
}

/// [`sensitivity`] of `name`, remembered on this thread.
pub(super) fn sensitivity_of(name: &[u8]) -> Option<Sensitive> {
    if name.is_empty() || name.len() > LONGEST {
        return sensitivity(name);
    }
    let mut padded = [0_u8; LONGEST];
    padded[..name.len()].copy_from_slice(name);
    let len = name.len() as u8;
    let slot = slot_of(&padded, len);
    let remembered = MEMO.try_with(|memo| {
        let Ok(mut memo) = memo.try_borrow_mut() else { return sensitivity(name) };
        let (known_len, known, judgement) = &memo[slot];
        if *known_len == len && *known == padded {
            return *judgement;
        }
        let judgement = sensitivity(name);
        memo[slot] = (len, padded, judgement);
        judgement
    });
    // During thread teardown the memo is gone: judge.
    remembered.unwrap_or_else(|_| sensitivity(name))
}

fn slot_of(padded: &[u8; LONGEST], len: u8) -> usize {
    let word = |at: usize| u64::from_le_bytes(padded[at..at + 8].try_into().unwrap_or_default());
    let mixed = word(0) ^ word(8).rotate_left(17) ^ word(16).rotate_left(31) ^ word(24).rotate_left(47);
    ((mixed ^ u64::from(len)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize & (SLOTS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_judgement_is_the_judgement_of_that_very_name() {
        // Names that differ in one byte, in case, in length, or by a zero byte; long names;
        // many names, so slots are taken over: each judged twice, the memo must agree with a
        // fresh judgement every time.
        let mut names: Vec<Vec<u8>> = [
            "password",
            "passwore",
            "Password",
            "api_key",
            "api_keys",
            "key_count",
            "token",
            "token_count",
            "sessionId",
            "session_id",
            "x-api-key",
            "secret_name",
            "",
            "a",
            "password\0",
            "password\0\0",
        ]
        .iter()
        .map(|name| name.as_bytes().to_vec())
        .collect();
        names.push(b"a_very_long_name_that_is_longer_than_the_memo_password".to_vec());
        names.extend((0..300).map(|index| format!("field_{index}_token").into_bytes()));
        names.extend((0..300).map(|index| format!("field_{index}_tokens_count").into_bytes()));
        for _ in 0..2 {
            for name in &names {
                assert_eq!(sensitivity_of(name), sensitivity(name), "{:?}", String::from_utf8_lossy(name));
            }
        }
        assert!(sensitivity_of(b"password").is_some() && sensitivity_of(b"password_policy").is_none());
    }
}
