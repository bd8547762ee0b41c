#[derive(readiness_core::Attest)]
struct Config {
    #[attest(env = "PORT")]
    port: u16,
    #[attest(env = "PORT")]
    other_port: u16,
}

fn main() {}
