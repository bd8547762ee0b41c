#[derive(readiness_core::Attest)]
#[attest("security.data.secrets")]
struct Config {
    #[attest(env = "PORT")]
    port: u16,
}

fn main() {}
