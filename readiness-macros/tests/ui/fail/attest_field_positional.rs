#[derive(readiness_core::Attest)]
struct Config {
    #[attest("PORT")]
    port: u16,
}

fn main() {}
