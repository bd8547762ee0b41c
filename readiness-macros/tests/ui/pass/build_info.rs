//! `build_info!()` under the strictest lints a user may set, plain and with a renamed crate.
#![deny(warnings, missing_docs, unsafe_code)]

extern crate readiness_core as renamed;

fn main() {
    let build: readiness_core::BuildInfo = readiness_core::build_info!();
    assert!(build.rustc.is_some_and(|rustc| rustc.starts_with("rustc ")));
    let renamed_build = renamed::build_info!(crate = renamed);
    assert_eq!(renamed_build.profile, build.profile);
    let _ = renamed::build_info!(crate = renamed,);
}
