//! The built-in checks, one module per family. Each is a [`CheckRegistration`] factory that
//! [`ReadinessBuilder::register`] takes; none is special to the engine.
//!
//! [`CheckRegistration`]: crate::CheckRegistration
//! [`ReadinessBuilder::register`]: crate::ReadinessBuilder::register

pub mod build_info;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub mod database;
#[cfg(feature = "host")]
pub mod host;
#[cfg(feature = "redis")]
pub mod redis;
pub mod secrets;
#[cfg(feature = "upstream")]
pub mod upstream;
