//! Masking: secrets never leave the library, and never reach the logs.
//!
//! Two parts, one registry:
//!
//! * the **value registry** (always on): secret values the service loaded, replaced by
//!   [`MARKER`] wherever text leaves the library (check outputs, evidence, every output format).
//!   Values are registered once (by `#[derive(Attest)]`, the built-in secret checks, or by hand
//!   with [`register_secret`]) and matched all at once, so the cost of masking hardly grows with
//!   the number of secrets: values of 12 bytes or more through an index of their 4-byte grams
//!   that is looked up only every few positions of the text, shorter ones with Aho-Corasick.
//!   Overlapping values are masked together.
//! * **log masking** for `tracing` (feature `log-masking`): a `MakeWriter` wrapper that masks
//!   every line a formatter writes (`MaskingWriter`), a ready-made `fmt` layer using it
//!   (`masked_fmt_layer`), and the canary check that proves masking is in place in the
//!   **installed** subscriber (`canary_check`, `security.data.log-masking`).
//!
//! ```
//! use readiness_core::masking;
//!
//! masking::register_secret("hunter2-but-longer");
//! assert_eq!(masking::mask("password is hunter2-but-longer!"), "password is [REDACTED]!");
//! ```
//!
//! # Log masking
//!
//! Masking happens in the order of DESIGN §8:
//!
//! 1. values of fields whose **names** are sensitive (`password`, `token`, `authorization`,
//!    `secret`, `api_key`, `cookie`, …), in `key=value`, `key="value"`, `key: 'value'`,
//!    `"key":"value"` and `key: Some("value")` forms; an unquoted value runs to the next field
//!    (`password=correct horse battery user=bob` masks the three words), header-like values
//!    (`cookie`, `authorization`) to the end of the line;
//! 2. the **exact values** of every secret registered with [`register_secret`];
//! 3. default **patterns**: JWTs, AWS access key ids, PEM private keys, bearer tokens, GitHub,
//!    Slack and Stripe tokens, passwords in connection strings (`scheme://user:pass@host`, the
//!    password may hold `@`, `?` or `#`) — each matched only where one of its literal anchors
//!    was found by one SIMD search, so lines without an anchor run no regex.
//!
//! See `MaskingWriter` for an example.

/// `Redacted` in it is for generated code only, reached through `__private`.
pub(crate) mod values;
pub use values::{MARKER, MIN_SECRET_LEN, Masker, bound, global, mask, register_secret};

#[cfg(feature = "log-masking")]
mod canary;
#[cfg(feature = "log-masking")]
mod panic;
#[cfg(feature = "log-masking")]
mod patterns;
#[cfg(feature = "log-masking")]
mod writer;

#[cfg(feature = "log-masking")]
pub use canary::{canary_check, canary_check_every};
#[cfg(feature = "log-masking")]
pub use panic::install_panic_hook;
#[cfg(feature = "log-masking")]
pub use patterns::{SENSITIVE_FIELDS, mask_bytes, mask_line};
#[cfg(feature = "log-masking")]
pub use writer::{MaskedFmtLayer, MaskedWrite, MaskingWriter, masked_fmt_layer};
