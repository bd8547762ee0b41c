readiness_core::attestations! {
    "security.network.ddos" => waived { until: "2027-03-01" },
}

fn main() {}
