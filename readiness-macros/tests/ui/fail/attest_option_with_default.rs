#[derive(readiness_core::Attest)]
struct Config {
    #[attest(env = "PORT", default = "80")]
    port: Option<u16>,
}

fn main() {}
