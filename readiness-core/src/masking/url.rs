//! The password in a URL's user-info (`scheme://user:password@host`): what the log masker hides
//! after every `://`, and what registering a URL as a secret also registers on its own.

use std::ops::Range;

/// Where the authority starting at `at` ends: the first blank, `/`, or quote. A password may
/// hold `@`, `?` or `#` as logged connection strings carry them unencoded, so those do not end it.
pub(crate) fn authority_end(text: &[u8], at: usize) -> usize {
    text[at..]
        .iter()
        .position(|&byte| byte.is_ascii_whitespace() || matches!(byte, b'/' | b'"' | b'\''))
        .map_or(text.len(), |offset| at + offset)
}

/// The end of the user-info of an authority: its last `@`.
pub(crate) fn user_info_end(text: &[u8], at: usize, authority_end: usize) -> Option<usize> {
    memchr::memrchr(b'@', &text[at..authority_end]).map(|offset| at + offset)
}

/// The password of the user-info from `at` (just after `://`) to `info_end` (its `@`): after
/// the first `:`.
pub(crate) fn password_in(text: &[u8], at: usize, info_end: usize) -> Option<Range<usize>> {
    let colon = at + memchr::memchr(b':', &text[at..info_end])?;
    (colon + 1 < info_end).then_some(colon + 1..info_end)
}

/// The password of the first `scheme://user:password@host` in `text`, if any.
pub(crate) fn password(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let at = text.find("://")? + 3;
    let range = password_in(bytes, at, user_info_end(bytes, at, authority_end(bytes, at))?)?;
    text.get(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_password_between_the_first_colon_and_the_last_at() {
        assert_eq!(password("postgres://app:s3cr3t@db/app"), Some("s3cr3t"));
        assert_eq!(password("amqp://app:p@ss@rabbit/vhost"), Some("p@ss"));
        assert_eq!(password("redis://:pa?ss@cache:6379"), Some("pa?ss"));
        assert_eq!(password("postgres://app@db/app"), None);
        assert_eq!(password("postgres://app:@db/app"), None);
        assert_eq!(password("postgres://db:5432/app"), None);
        assert_eq!(password("no url here"), None);
    }
}
