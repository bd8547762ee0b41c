//! Masking: secrets never leave the library, and never reach the logs.
//!
//! Two parts, one registry:
//!
//! * the **value registry** (always on): secret values the service loaded, replaced by
//!   [`MARKER`] wherever text leaves the library (check outputs, evidence, every output format).
//!   Values are registered once (by `#[derive(Attest)]`, the built-in secret checks, or by hand
//!   with [`register_secret`]) together with the other forms they take in text — JSON- and
//!   `Debug`-escaped, percent-encoded (upper- and lower-case hex, form encoding), base64 in the
//!   standard and URL-safe alphabets at each of the three positions a value can take inside a
//!   longer blob, and, for a URL, its password alone, as written and decoded — and matched all at
//!   once, so the cost of masking hardly grows with the number of secrets: values of 12 bytes or
//!   more through an index of their 4-byte grams that is looked up only every few positions of
//!   the text, shorter ones with Aho-Corasick. Overlapping values are masked together.
//! * **log masking** for `tracing` (feature `log-masking`): a `MakeWriter` wrapper that masks
//!   every event a formatter writes (`MaskingWriter`), a ready-made `fmt` layer using it
//!   (`masked_fmt_layer`), a panic hook that masks panic messages (`install_panic_hook`), and
//!   the canary check that proves masking is in place in the **installed** subscriber
//!   (`canary_check`, `security.data.log-masking`).
//!
//! ```
//! use readiness_core::masking;
//!
//! masking::register_secret("hunter2-but-longer");
//! assert_eq!(masking::mask("password is hunter2-but-longer!"), "password is [REDACTED]!");
//! // JSON-escaped, percent-encoded, base64: the same secret.
//! masking::register_secret(r#"pa"ss/wo+rd-long"#);
//! assert_eq!(masking::mask(r#"{"v":"pa\"ss/wo+rd-long"}"#), r#"{"v":"[REDACTED]"}"#);
//! assert_eq!(masking::mask("?p=pa%22ss%2Fwo%2Brd-long"), "?p=[REDACTED]");
//! ```
//!
//! # Log masking
//!
//! Masking happens in the order of DESIGN §8:
//!
//! 1. values of fields whose **names** are sensitive, judged by their words
//!    (`is_sensitive_field`): `password`, `db_password`, `secret_key`, `aws_secret_access_key`,
//!    `passphrase`, `x-api-key`, `clientSecret`, `private_key`, `credentials`, `set-cookie`, …
//!    but not `token_count`, `password_policy` or `secret_name`; in `key=value`, `key="value"`,
//!    `key: 'value'`, `"key":"value"` and `key: Some("value")` forms, with colour codes anywhere
//!    between the key and its value; an unquoted value runs to the next field
//!    (`password=correct horse battery user=bob` masks the three words), header-like values
//!    (`cookie`, `authorization`) to the end of the line; `true`, `false`, `None` and `null` are
//!    no secret and stay;
//! 2. the **exact values** of every secret registered with [`register_secret`], in every form
//!    above;
//! 3. default **patterns**: JWTs, AWS access key ids, PEM private keys, bearer tokens, GitHub,
//!    Slack and Stripe tokens, passwords in connection strings (`scheme://user:pass@host`, the
//!    password may hold `@`, `?` or `#`).
//!
//! One SIMD search finds every place where one of these may start (the stems of sensitive
//! words, the patterns' anchors, `://`); each is judged where it is, reading no byte twice for
//! the same purpose, so a line costs time linear in its length whatever it repeats
//! (`tests/masking_linear.rs`), and a line with nothing to mask costs the search and a few index
//! lookups. `MaskingWriter` masks each event as a whole, however many `write` calls the
//! formatter made.
//!
//! See `MaskingWriter` for an example.

mod url;
/// `Redacted` in it is for generated code only, reached through `__private`.
pub(crate) mod values;
mod variants;
pub use values::{MARKER, MIN_SECRET_LEN, Masker, bound, global, mask, register_secret};

#[cfg(feature = "log-masking")]
mod canary;
#[cfg(feature = "log-masking")]
mod fields;
#[cfg(feature = "log-masking")]
mod judged;
#[cfg(feature = "log-masking")]
mod panic;
#[cfg(feature = "log-masking")]
mod patterns;
#[cfg(feature = "log-masking")]
mod scan;
#[cfg(feature = "log-masking")]
mod writer;

#[cfg(feature = "log-masking")]
pub use canary::{canary_check, canary_check_every};
#[cfg(feature = "log-masking")]
pub use fields::is_sensitive_field;
#[cfg(feature = "log-masking")]
pub use panic::install_panic_hook;
#[cfg(feature = "log-masking")]
pub use scan::{mask_bytes, mask_line};
#[cfg(feature = "log-masking")]
pub use writer::{MaskedFmtLayer, MaskedWrite, MaskingWriter, masked_fmt_layer};
