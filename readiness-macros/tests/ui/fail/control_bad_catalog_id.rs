#[readiness_core::control("Orders/Idempotency", catalog = "orders", evidence = "Idempotency-Key header")]
fn orders() {}

fn main() {}
