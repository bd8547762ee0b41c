#[derive(readiness_core::Attest)]
struct Config(u16);

fn main() {}
