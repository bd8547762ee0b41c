readiness_core::attestations! {
    "testing.qa.security" => { by: "AppSec", on: "2026-09-14", valid_for: "365d", evidence: "https://a" },
    "testing.qa.security" => waived { reason: "later", until: "2027-01-01" },
}

fn main() {}
