readiness_core::attestations! {
    "testing.qa.security" => { by: "AppSec", on: "2026-09-14", valid_for: "a year", evidence: "https://wiki.example/pentest" },
}

fn main() {}
