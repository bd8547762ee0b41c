readiness_core::attestations! {
    "security.network.ddos" => waived { reason: "internal only", until: "next year" },
}

fn main() {}
