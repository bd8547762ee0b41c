readiness_core::attestations! {
    "testing.qa.security" => { by: "AppSec", on: "2026-09-14", valid_for: "365d", evidence: "" },
}

fn main() {}
