//! The host checks against setups that used to pass while wrong: a read-only filesystem counted
//! as free space, and a memory limit above the container's own. Both are seeded for real: a
//! read-only tmpfs mounted here, a memory cgroup made here with a real limit (both need root,
//! which CI has; without it the tests say so and skip, never under `CI=true`).
#![cfg(all(feature = "host", target_os = "linux"))]

use std::path::{Path, PathBuf};
use std::process::Command;

use readiness_core::checks::host;
use readiness_core::testing::{self, ChildTest};
use readiness_core::{CheckRegistration, Status};

fn is_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    // `Uid:` real, effective, saved, filesystem.
    status.lines().find_map(|line| line.strip_prefix("Uid:")).and_then(|ids| ids.split_whitespace().nth(1)) == Some("0")
}

/// Whether a test that needs root may skip: only outside CI.
fn skip(why: &str) -> bool {
    assert!(std::env::var("CI").as_deref() != Ok("true"), "under CI=true this test must run: {why}");
    println!("SKIPPED: {why}");
    true
}

async fn run(check: CheckRegistration) -> (Status, String) {
    let result = testing::run_check(check).await;
    (result.outcome.status, result.outcome.output.unwrap_or_default())
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A tmpfs mounted at `dir` with `options`, unmounted on drop.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, options: &str) -> Self {
        let status = Command::new("mount").args(["-t", "tmpfs", "-o", options, "tmpfs"]).arg(dir).status().unwrap();
        assert!(status.success(), "mount -o {options} failed");
        Self(dir.to_owned())
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[tokio::test]
async fn a_read_only_filesystem_is_no_free_space() {
    if !is_root() && skip("mounting a read-only tmpfs needs root") {
        return;
    }
    let dir = fresh_dir("disk-ro");
    let _mount = Mount::tmpfs(&dir, "ro,size=16m");
    let (status, output) = run(host::disk_free(&dir, 1)).await;
    assert_eq!(status, Status::Fail, "{output}");
    assert!(output.contains("mounted read-only"), "{output}");
    let (status, output) = run(host::disk_free_percent(&dir, 1.0)).await;
    assert_eq!(status, Status::Fail, "{output}");
}

#[tokio::test]
async fn a_writable_filesystem_with_room_passes() {
    if !is_root() && skip("mounting a tmpfs needs root") {
        return;
    }
    let dir = fresh_dir("disk-rw");
    let _mount = Mount::tmpfs(&dir, "rw,size=16m");
    let (status, output) = run(host::disk_free(&dir, 1024 * 1024)).await;
    assert_eq!(status, Status::Pass, "{output}");
}

/// A memory cgroup (v1 or v2, whichever this machine has) with a real limit, made for one child
/// process: the child moves itself in, then runs `host:memory`.
fn make_memory_cgroup(limit: u64) -> Option<PathBuf> {
    // One cgroup per call: two tests sharing one would each see two processes in it.
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let next = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("readiness-test-{}-{next}", std::process::id());
    for (root, limit_file) in [("/sys/fs/cgroup/memory", "memory.limit_in_bytes"), ("/sys/fs/cgroup", "memory.max")] {
        let dir = Path::new(root).join(&name);
        if std::fs::create_dir_all(&dir).is_ok() && std::fs::write(dir.join(limit_file), limit.to_string()).is_ok() {
            return Some(dir);
        }
        let _ = std::fs::remove_dir(&dir);
    }
    None
}

const LIMIT: u64 = 256 * 1024 * 1024;

/// In the child: joins the cgroup named by `READINESS_TEST_CGROUP`, then judges `host:memory`
/// with the limit in `READINESS_TEST_MAX_RSS` and prints what it said.
#[tokio::test]
async fn child_judges_memory_in_a_cgroup() {
    if !testing::is_child() {
        return;
    }
    let cgroup = std::env::var("READINESS_TEST_CGROUP").unwrap();
    std::fs::write(Path::new(&cgroup).join("cgroup.procs"), std::process::id().to_string()).unwrap();
    // 96 MiB of page cache, charged to the cgroup and not to this process's RSS: what the
    // kernel counts against the container's limit.
    let cache = fresh_dir("memory-cache").join("cache.bin");
    std::fs::write(&cache, vec![7u8; 96 * 1024 * 1024]).unwrap();
    let max: u64 = std::env::var("READINESS_TEST_MAX_RSS").unwrap().parse().unwrap();
    let result = testing::run_check(host::memory(max)).await;
    let evidence = serde_json::to_string(&result.outcome.evidence).unwrap();
    println!(
        "\nSTATUS={}\nOUTPUT={}\nEVIDENCE={evidence}",
        result.outcome.status,
        result.outcome.output.unwrap_or_default()
    );
}

fn memory_in_a_cgroup(max_rss: u64) -> Option<(String, String)> {
    let cgroup = make_memory_cgroup(LIMIT)?;
    let stdout = ChildTest::new("child_judges_memory_in_a_cgroup")
        .env("READINESS_TEST_CGROUP", &cgroup)
        .env("READINESS_TEST_MAX_RSS", max_rss.to_string())
        .run();
    // The child has exited, so the cgroup is empty and can go.
    let _ = std::fs::remove_dir(&cgroup);
    let field = |name: &str| {
        stdout.lines().find_map(|line| line.strip_prefix(&format!("{name}="))).unwrap_or_default().to_owned()
    };
    Some((field("STATUS"), format!("{} (evidence {})", field("OUTPUT"), field("EVIDENCE"))))
}

#[test]
fn a_limit_above_the_containers_own_fails() {
    if !is_root() && skip("making a memory cgroup needs root") {
        return;
    }
    // 512 MiB configured, the container allows 256 MiB: the kernel kills first.
    let Some((status, output)) = memory_in_a_cgroup(2 * LIMIT) else {
        skip("no writable memory cgroup hierarchy");
        return;
    };
    assert_eq!(status, "fail", "{output}");
    assert!(output.contains("above the container's memory limit of 256.0 MiB"), "{output}");
}

#[test]
fn a_limit_under_the_containers_own_passes_and_counts_what_the_kernel_charges() {
    if !is_root() && skip("making a memory cgroup needs root") {
        return;
    }
    let Some((status, output)) = memory_in_a_cgroup(LIMIT - 1024 * 1024) else {
        skip("no writable memory cgroup hierarchy");
        return;
    };
    assert_eq!(status, "pass", "{output}");
    // The child has the cgroup to itself: its use is what the kernel charges the cgroup (its page
    // cache included), not its RSS alone.
    assert!(output.starts_with("memory charged to the container "), "{output}");
    assert!(output.contains(" is within the 255.0 MiB limit"), "{output}");
}
