#[readiness_core::control("x.Orders.Idempotency", evidence = "Idempotency-Key header")]
fn orders() {}

fn main() {}
