readiness_core::attestations! {
    "testing.qa.security" => { by: "AppSec", by: "QA", on: "2026-09-14", valid_for: "365d", evidence: "https://a" },
}

fn main() {}
