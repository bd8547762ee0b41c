//! Control ids: dotted lowercase slugs, and the `x.` namespace for ad-hoc controls.

/// The namespace prefix for ad-hoc controls that need no catalog.
pub const CUSTOM_PREFIX: &str = "x.";

/// Whether `id` is dotted lowercase slugs (`a-z`, `0-9`, `-`), for example `orders.api.idempotency`.
pub fn is_slug_path(id: &str) -> bool {
    !id.is_empty()
        && id.split('.').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// Whether `id` is in the reserved namespace for ad-hoc controls (`x.` followed by a slug path).
pub fn is_custom_id(id: &str) -> bool {
    id.strip_prefix(CUSTOM_PREFIX).is_some_and(is_slug_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_dotted_lowercase_words() {
        // The `x.` ids are tested where users meet them, in readiness-core's catalog tests.
        assert!(!is_slug_path("a..b"));
        assert!(!is_slug_path(""));
        assert!(is_slug_path("a-1.b"));
    }
}
