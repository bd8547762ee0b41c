readiness_core::attestations! {
    testing_qa_security => { by: "AppSec", on: "2026-09-14", valid_for: "365d", evidence: "https://a" },
}

fn main() {}
