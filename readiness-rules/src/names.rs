//! Check names: `component:measurement`.

/// Longest accepted check name, in bytes.
pub const MAX_CHECK_NAME_LEN: usize = 128;

/// The rule, in the words both the compile-time and the run-time error use.
pub const CHECK_NAME_RULE: &str = "use `component:measurement` with letters, digits and `:_-./`, at most 128 bytes";

/// Whether a check name is acceptable: 1 to [`MAX_CHECK_NAME_LEN`] bytes of `a-z A-Z 0-9 : _ - . /`.
pub fn is_valid_check_name(name: &str) -> bool {
    (1..=MAX_CHECK_NAME_LEN).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-' | b'.' | b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_bounded_and_plain() {
        assert!(is_valid_check_name("db:connections"));
        assert!(is_valid_check_name(&"a".repeat(MAX_CHECK_NAME_LEN)));
        assert!(!is_valid_check_name(&"a".repeat(MAX_CHECK_NAME_LEN + 1)));
        assert!(!is_valid_check_name(""));
        assert!(!is_valid_check_name("db connections"));
        assert!(!is_valid_check_name("db:\u{e9}"));
        assert!(CHECK_NAME_RULE.contains(&MAX_CHECK_NAME_LEN.to_string()));
    }
}
