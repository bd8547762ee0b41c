#[derive(readiness_core::Attest)]
#[attest(control = "security.secrets")]
struct Config {
    #[attest(env = "PORT")]
    port: u16,
}

fn main() {}
