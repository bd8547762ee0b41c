fn main() {
    let _ = readiness_core::build_info!(commit = "abc123", ci = "github-actions");
}
