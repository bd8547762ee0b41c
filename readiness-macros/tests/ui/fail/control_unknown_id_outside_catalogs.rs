#[readiness_core::control("orders.idempotency", evidence = "Idempotency-Key header")]
fn orders() {}

fn main() {}
