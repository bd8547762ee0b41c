#[derive(readiness_core::Attest)]
struct Config<T> {
    #[attest(env = "PORT")]
    port: T,
}

fn main() {}
