//! One value reused for two secrets: every secret the process reads (by a `SecretsCheck` or a
//! `#[derive(Attest)]` struct) leaves a keyed digest of its secret part under its variable's
//! name, never the value; two variables with the same digest hold the same value.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{LazyLock, Mutex, MutexGuard};

use sha2::{Digest as _, Sha256};

/// A keyed SHA-256 of a secret: equal for equal values, and, with a key drawn for this process
/// alone, no help to anyone guessing the value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Digest([u8; 32]);

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Digest(..)")
    }
}

static KEY: LazyLock<[u8; 32]> = LazyLock::new(|| {
    // `RandomState` is seeded from the operating system's randomness.
    let mut key = [0_u8; 32];
    for (index, chunk) in key.chunks_mut(8).enumerate() {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_usize(index);
        hasher.write_u64(fastrand::u64(..));
        chunk.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    key
});

static DIGESTS: LazyLock<Mutex<HashMap<String, Digest>>> = LazyLock::new(Mutex::default);

fn digests() -> MutexGuard<'static, HashMap<String, Digest>> {
    DIGESTS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The digest of `value`.
pub(crate) fn digest(value: &[u8]) -> Digest {
    let mut hasher = Sha256::new();
    hasher.update(*KEY);
    hasher.update(value);
    Digest(hasher.finalize().into())
}

/// Records what the variable `var` holds now: the digest of its secret part, or `None` when it
/// holds no secret (unset, empty, a URL without a password).
pub(crate) fn record(var: &str, digest: Option<Digest>) {
    let mut digests = digests();
    match digest {
        Some(digest) => digests.insert(var.to_owned(), digest),
        None => digests.remove(var),
    };
}

/// The other variables that hold the same value as `var`, sorted.
pub(crate) fn same_value_as(var: &str) -> Vec<String> {
    let digests = digests();
    let Some(mine) = digests.get(var) else { return Vec::new() };
    let mut others: Vec<String> = digests
        .iter()
        .filter(|(other, digest)| other.as_str() != var && *digest == mine)
        .map(|(other, _)| other.clone())
        .collect();
    others.sort();
    others
}

/// The reuse problems of `vars` (in order), each pair said once: `A has the same value as B`.
pub(crate) fn problems(vars: &[&str]) -> Vec<(String, String)> {
    let mut said: Vec<(String, String)> = Vec::new();
    let mut problems = Vec::new();
    for var in vars {
        let others: Vec<String> =
            same_value_as(var).into_iter().filter(|other| !said.iter().any(|(a, b)| a == other && b == var)).collect();
        if others.is_empty() {
            continue;
        }
        said.extend(others.iter().map(|other| ((*var).to_owned(), other.clone())));
        problems.push((
            (*var).to_owned(),
            format!("has the same value as {}: each secret needs a value of its own", others.join(" and ")),
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_are_found_by_digest_and_each_pair_said_once() {
        assert_eq!(digest(b"one value"), digest(b"one value"));
        assert_ne!(digest(b"one value"), digest(b"another value"));
        assert_eq!(format!("{:?}", digest(b"one value")), "Digest(..)");

        record("UNIT_REUSE_A", Some(digest(b"shared-unit-value")));
        record("UNIT_REUSE_B", Some(digest(b"shared-unit-value")));
        record("UNIT_REUSE_C", Some(digest(b"a value of its own")));
        assert_eq!(same_value_as("UNIT_REUSE_A"), ["UNIT_REUSE_B"]);
        assert!(same_value_as("UNIT_REUSE_C").is_empty());
        let found = problems(&["UNIT_REUSE_A", "UNIT_REUSE_B", "UNIT_REUSE_C"]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "UNIT_REUSE_A");
        assert!(found[0].1.starts_with("has the same value as UNIT_REUSE_B"));

        record("UNIT_REUSE_B", None);
        assert!(same_value_as("UNIT_REUSE_A").is_empty());
    }
}
