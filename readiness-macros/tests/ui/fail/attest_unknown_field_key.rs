#[derive(readiness_core::Attest)]
struct Config {
    #[attest(env = "PORT", defualt = "80")]
    port: u16,
}

fn main() {}
