fn main() {
    let _ = readiness_core::build_info!(crate = renamed extra);
    let _ = readiness_core::build_info!(crate = "renamed");
}
