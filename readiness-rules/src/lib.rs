//! The rules that `readiness-macros` applies at compile time and `readiness-core` at run time,
//! written once so that a name the macros accept is a name the builder accepts, and the other
//! way round (as `serde_derive_internals` serves serde).
//!
//! **Internal**: use these rules through `readiness-core`; this crate has no stable API.
//!
//! ```
//! use readiness_rules::{is_built_in_control, is_custom_id, is_valid_check_name, parse_duration};
//!
//! assert!(is_built_in_control("security.data.secrets"));
//! assert!(is_custom_id("x.orders.idempotency"));
//! assert!(is_valid_check_name("db:connections"));
//! assert_eq!(parse_duration("365d").unwrap().as_secs(), 365 * 86_400);
//! ```

#![deny(missing_docs)]

mod formats;
mod ids;
mod names;
pub mod seed;

pub use formats::{
    DATE_FORMAT_HINT, DEFAULT_MAX_ATTESTATION_VALIDITY, format_duration, parse_date, parse_duration, today_utc,
};
pub use ids::{CUSTOM_PREFIX, is_custom_id, is_slug_path};
pub use names::{CHECK_NAME_RULE, MAX_CHECK_NAME_LEN, is_valid_check_name};
pub use seed::{built_in_control_ids, is_built_in_control};
pub use time::Date;
