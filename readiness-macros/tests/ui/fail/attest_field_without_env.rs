#[derive(readiness_core::Attest)]
struct Config {
    port: u16,
}

fn main() {}
