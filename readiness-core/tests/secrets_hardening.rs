//! `SecretsCheck` (DESIGN §7, `security.data.secrets`) against the setups that passed although
//! wrong: a URL whose password is missing or weak, long values made of sequences or repeats, one
//! value reused for two secrets; and against correct setups that failed: a Kubernetes secret
//! volume or an injected file readable by the pod on a memory filesystem (accepted only on an
//! opt-in), a binary key file. Each case runs this binary again as a child with its own
//! environment and real files; the child runs the checks described by `T_CHECKS` and prints
//! what each said.

use std::collections::HashMap;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use readiness_core::checks::secrets::{SecretsCheck, TRUSTED_SECRET_DIRS_ENV};
use readiness_core::masking;
use readiness_core::testing::{self, ChildTest};

const STRONG: &str = "q7Vd2Kp9Lx4Zt8Wm3Rb6Nc1Hy5Jg0Fs";
const OTHER_STRONG: &str = "H4sT9wLq2Xv7Kd3Pz8Rm1Ny6Bc5Jf0Ga";

/// In the child: the checks of `T_CHECKS` (`|` between checks, `;` between a check's items:
/// `name=…`, `secret=VAR`, `min_len=N`, `binary`, `trust_mounted`, `trust_dir=DIR`), run once;
/// one tab-separated `CHECK` line per check. With `T_MASKED`, whether the masker hides it.
#[tokio::test]
async fn child_runs_the_described_checks() {
    if !testing::is_child() {
        return;
    }
    let mut builder = testing::builder();
    for description in std::env::var("T_CHECKS").unwrap().split('|') {
        let mut check = SecretsCheck::new();
        for item in description.split(';') {
            let (key, value) = item.split_once('=').unwrap_or((item, ""));
            check = match key {
                "name" => check.name(value),
                "secret" => check.secret(value),
                "min_len" => check.min_len(value.parse().unwrap()),
                "binary" => check.binary(),
                "trust_mounted" => check.trust_mounted_secret_dirs(),
                "trust_dir" => check.trust_secret_dir(value),
                other => panic!("unknown item {other}"),
            };
        }
        builder = builder.register(check);
    }
    let report = builder.build().unwrap().readiness().await;
    for check in &report.checks {
        let output = check.outcome.output.clone().unwrap_or_default();
        let evidence = serde_json::to_string(&check.outcome.evidence).unwrap();
        // A newline first: the test harness prints the test name on the same line.
        println!("\nCHECK\t{}\t{}\t{output}\t{evidence}", check.name, check.status);
    }
    if let Ok(value) = std::env::var("T_MASKED") {
        println!("\nMASKED\t{}", masking::mask(&value));
    }
}

/// What one check said.
#[derive(Debug)]
struct Said {
    status: String,
    output: String,
    evidence: String,
}

/// Runs the child with `checks` and `env` (and no trusted directories unless `env` sets them).
fn run(checks: &[&str], env: &[(&str, &str)]) -> (HashMap<String, Said>, Option<String>) {
    let stdout = ChildTest::new("child_runs_the_described_checks")
        .env_remove(TRUSTED_SECRET_DIRS_ENV)
        .env("T_CHECKS", checks.join("|"))
        .envs(env.iter().copied())
        .run();
    let mut said = HashMap::new();
    let mut masked = None;
    for line in stdout.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["CHECK", name, status, output, evidence] => {
                let said_now = Said {
                    status: (*status).to_owned(),
                    output: (*output).to_owned(),
                    evidence: (*evidence).to_owned(),
                };
                said.insert((*name).to_owned(), said_now);
            }
            ["MASKED", text] => masked = Some((*text).to_owned()),
            _ => {}
        }
    }
    assert!(!said.is_empty(), "no CHECK line in:\n{stdout}");
    (said, masked)
}

/// The one check `secrets:env` of a child.
fn one(checks: &[&str], env: &[(&str, &str)]) -> Said {
    run(checks, env).0.remove("secrets:env").expect("secrets:env ran")
}

#[test]
fn a_url_without_a_password_or_with_a_weak_one_fails_and_a_strong_one_passes() {
    for (url, reason) in [
        ("postgres://app@db.internal:5432/orders", "is a URL without a password"),
        ("postgres://db.internal:5432/orders?sslmode=verify-full", "is a URL without a password"),
        ("redis://default:@cache.internal:6379/0", "is a URL without a password"),
        ("postgres://app:s3cr3t@db.internal:5432/orders", "has a weak password in its URL: it is shorter than 16"),
        (
            "mysql://app:Summer2024!Summer2024!@db.internal/orders",
            "has a weak password in its URL: it is too predictable",
        ),
        (
            "postgres://app:changeme-changeme-changeme@db.internal/orders",
            "has a weak password in its URL: it is a placeholder",
        ),
    ] {
        let said = one(&["secret=T_DATABASE_URL"], &[("T_DATABASE_URL", url)]);
        assert_eq!(said.status, "fail", "{url} passed: {said:?}");
        assert!(said.output.starts_with(&format!("T_DATABASE_URL {reason}")), "{url}: {}", said.output);
        for part in ["s3cr3t", "Summer2024!", "changeme-changeme"] {
            assert!(!said.output.contains(part), "the password leaked: {}", said.output);
        }
    }
    let strong = format!("postgres://app:{STRONG}@db.internal:5432/orders?sslmode=verify-full");
    let said = one(&["secret=T_DATABASE_URL"], &[("T_DATABASE_URL", &strong)]);
    assert_eq!(said.status, "pass", "{said:?}");
    // A percent-encoded password is judged decoded.
    let encoded = "postgres://app:q7Vd2Kp9Lx4Zt8Wm%403Rb6Nc1Hy5@db.internal/orders";
    assert_eq!(one(&["secret=T_DATABASE_URL"], &[("T_DATABASE_URL", encoded)]).status, "pass");
}

#[test]
fn long_high_entropy_sequences_and_repeats_fail() {
    for value in [
        "0123456789abcdef0123456789abcdef",
        "abcdefghijklmnopqrstuvwxyz012345",
        "qwertyuiopasdfghjklzxcvbnm123456",
        "Summer2024!Summer2024!Summer2024!",
        "9fQz2L-9fQz2L-9fQz2L-9fQz2L-9fQz2L-",
    ] {
        let said = one(&["secret=T_API_KEY;min_len=24"], &[("T_API_KEY", value)]);
        assert_eq!(said.status, "fail", "{value} passed: {said:?}");
        assert!(said.output.starts_with("T_API_KEY is too predictable"), "{value}: {}", said.output);
        assert!(!said.output.contains(value));
    }
}

#[test]
fn one_value_for_two_secrets_of_one_check_fails() {
    let checks = ["secret=T_JWT_SECRET;secret=T_API_KEY"];
    let said = one(&checks, &[("T_JWT_SECRET", STRONG), ("T_API_KEY", STRONG)]);
    assert_eq!(said.status, "fail", "{said:?}");
    assert_eq!(said.output, "T_JWT_SECRET has the same value as T_API_KEY: each secret needs a value of its own");
    assert!(!said.output.contains(STRONG) && !said.evidence.contains(STRONG));

    // The password of a URL is its secret: the same password in a URL is reuse too.
    let url = format!("postgres://app:{STRONG}@db.internal/orders");
    let checks = ["secret=T_JWT_SECRET;secret=T_DATABASE_URL"];
    let said = one(&checks, &[("T_JWT_SECRET", STRONG), ("T_DATABASE_URL", &url)]);
    assert_eq!(said.status, "fail", "{said:?}");
    assert!(said.output.contains("T_JWT_SECRET has the same value as T_DATABASE_URL"), "{}", said.output);

    let said = one(&["secret=T_JWT_SECRET;secret=T_API_KEY"], &[("T_JWT_SECRET", STRONG), ("T_API_KEY", OTHER_STRONG)]);
    assert_eq!(said.status, "pass", "{said:?}");
}

#[test]
fn one_value_for_two_secrets_of_two_checks_fails_both_from_the_first_report() {
    let checks = ["name=secrets:signing;secret=T_JWT_SECRET", "name=secrets:api;secret=T_API_KEY"];
    let (said, _) = run(&checks, &[("T_JWT_SECRET", STRONG), ("T_API_KEY", STRONG)]);
    for (name, var, other) in
        [("secrets:signing", "T_JWT_SECRET", "T_API_KEY"), ("secrets:api", "T_API_KEY", "T_JWT_SECRET")]
    {
        let check = &said[name];
        assert_eq!(check.status, "fail", "{name}: {check:?}");
        assert_eq!(check.output, format!("{var} has the same value as {other}: each secret needs a value of its own"));
    }
    let (said, _) = run(&checks, &[("T_JWT_SECRET", STRONG), ("T_API_KEY", OTHER_STRONG)]);
    assert!(said.values().all(|check| check.status == "pass"), "{said:?}");
}

/// A directory of its own under `root`, removed at the end of the test.
struct Scratch(PathBuf);

impl Scratch {
    fn new(root: &Path, test: &str) -> Scratch {
        let dir = root.join(format!("readiness-secrets-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, contents: &[u8], mode: u32) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    /// A Kubernetes secret volume as the kubelet writes it: the files in a timestamped
    /// directory, `..data` linking to it, and each key linking to `..data/<key>`.
    fn kubernetes_volume(&self, key: &str, contents: &[u8], mode: u32) -> PathBuf {
        let stamp = "..2025_01_31_10_00_00.123456789";
        std::fs::create_dir_all(self.0.join(stamp)).unwrap();
        let file = self.0.join(stamp).join(key);
        std::fs::write(&file, contents).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        symlink(stamp, self.0.join("..data")).unwrap();
        symlink(format!("..data/{key}"), self.0.join(key)).unwrap();
        self.0.join(key)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The filesystem type of `path` (`stat -f`), if it can be told.
fn filesystem_of(path: &Path) -> Option<String> {
    let output = std::process::Command::new("stat").args(["-f", "-c", "%T"]).arg(path).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `/dev/shm` when it is a tmpfs (as in a pod), else `None` after a skip line.
fn tmpfs() -> Option<PathBuf> {
    let shm = PathBuf::from("/dev/shm");
    if filesystem_of(&shm).as_deref() == Some("tmpfs") {
        Some(shm)
    } else {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "under CI=true this must not be skipped");
        println!("SKIPPED: /dev/shm is not a tmpfs here");
        None
    }
}

/// A directory on disk (the target directory), or `None` after a skip line when it is in memory.
fn disk() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&dir).unwrap();
    match filesystem_of(&dir).as_deref() {
        Some("tmpfs" | "ramfs") | None => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "under CI=true this must not be skipped");
            println!("SKIPPED: {} is not on a disk filesystem", dir.display());
            None
        }
        Some(_) => Some(dir),
    }
}

#[test]
fn a_kubernetes_secret_volume_readable_by_the_pod_passes_only_on_the_opt_in() {
    let Some(shm) = tmpfs() else { return };
    let volume = Scratch::new(&shm, "kubernetes");
    let path = volume.kubernetes_volume("api-key", STRONG.as_bytes(), 0o644);
    let env = [("T_API_KEY_FILE", path.to_str().unwrap())];

    // By default a file others can read fails, whatever holds it, and says how to trust it.
    let said = one(&["secret=T_API_KEY"], &env);
    assert_eq!(said.status, "fail", "{said:?}");
    assert!(said.output.contains("accessible to other users (mode 644)"), "{}", said.output);
    assert!(said.output.contains(TRUSTED_SECRET_DIRS_ENV), "{}", said.output);

    let said = one(&["secret=T_API_KEY;trust_mounted"], &env);
    assert_eq!(said.status, "pass", "{said:?}");
    assert!(said.evidence.contains("accepted as a Kubernetes secret volume on tmpfs"), "{}", said.evidence);

    // The runtime opt-in: the volume's directory in READINESS_TRUSTED_SECRET_DIRS.
    let trusted = format!("/nonexistent:{}", volume.0.display());
    let said = one(&["secret=T_API_KEY"], &[env[0], (TRUSTED_SECRET_DIRS_ENV, &trusted)]);
    assert_eq!(said.status, "pass", "{said:?}");
    assert!(said.evidence.contains("under the trusted directory"), "{}", said.evidence);

    // Writable by others is never accepted.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let said = one(&["secret=T_API_KEY;trust_mounted"], &env);
    assert_eq!(said.status, "fail", "{said:?}");
    assert!(said.output.contains("others may change it"), "{}", said.output);
}

#[test]
fn a_trusted_layout_on_disk_still_fails() {
    // A ConfigMap volume has the same `..data` layout, on the node's disk.
    let Some(disk) = disk() else { return };
    let volume = Scratch::new(&disk, "configmap");
    let path = volume.kubernetes_volume("api-key", STRONG.as_bytes(), 0o644);
    let trusted = volume.0.display().to_string();
    let env = [("T_API_KEY_FILE", path.to_str().unwrap()), (TRUSTED_SECRET_DIRS_ENV, trusted.as_str())];
    let said = one(&["secret=T_API_KEY;trust_mounted"], &env);
    assert_eq!(said.status, "fail", "{said:?}");
    assert!(said.output.contains("not on a memory filesystem (tmpfs)"), "{}", said.output);
}

#[test]
fn an_injected_file_on_a_private_tmpfs_passes_only_in_a_trusted_directory() {
    let Some(shm) = tmpfs() else { return };
    let injected = Scratch::new(&shm, "injected");
    let path = injected.file("api-key", format!("{STRONG}\n").as_bytes(), 0o644);
    let env = [("T_API_KEY_FILE", path.to_str().unwrap())];
    assert_eq!(one(&["secret=T_API_KEY"], &env).status, "fail");
    // Not a Kubernetes volume: trusting those is not enough.
    assert_eq!(one(&["secret=T_API_KEY;trust_mounted"], &env).status, "fail");
    let dir = injected.0.display().to_string();
    let said = one(&[&format!("secret=T_API_KEY;trust_dir={dir}")], &env);
    assert_eq!(said.status, "pass", "{said:?}");
    // A directory beside it is not trusted.
    let said = one(&[&format!("secret=T_API_KEY;trust_dir={dir}-other")], &env);
    assert_eq!(said.status, "fail", "{said:?}");
    // Nor a directory where others could put another file in its place.
    std::fs::set_permissions(&injected.0, std::fs::Permissions::from_mode(0o777)).unwrap();
    let said = one(&[&format!("secret=T_API_KEY;trust_dir={dir}")], &env);
    assert_eq!(said.status, "fail", "{said:?}");
    assert!(said.output.contains("a directory others may write to"), "{}", said.output);
    // A shared directory with the sticky bit (as `/dev/shm` itself) is no better.
    std::fs::set_permissions(&injected.0, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let said = one(&[&format!("secret=T_API_KEY;trust_dir={dir}")], &env);
    assert_eq!(said.status, "fail", "{said:?}");
    assert!(said.output.contains("a directory others may write to"), "{}", said.output);
}

fn random_key(len: usize) -> Vec<u8> {
    use std::io::Read;
    let mut urandom = std::fs::File::open("/dev/urandom").unwrap();
    loop {
        let mut key = vec![0_u8; len];
        urandom.read_exact(&mut key).unwrap();
        if std::str::from_utf8(&key).is_err() && readiness_core::checks::secrets::judge_secret_bytes(&key, len).is_ok()
        {
            return key;
        }
    }
}

#[test]
fn a_binary_key_file_passes_when_declared_binary_and_is_judged_by_its_bytes() {
    let Some(disk) = disk().or_else(|| Some(std::env::temp_dir())) else { return };
    let files = Scratch::new(&disk, "binary");
    let key = random_key(32);
    let path = files.file("signing.key", &key, 0o600);
    let env = [("T_SIGNING_KEY_FILE", path.to_str().unwrap())];

    let said = one(&["secret=T_SIGNING_KEY;min_len=32"], &env);
    assert_eq!(said.status, "fail", "{said:?}");
    assert!(said.output.starts_with("T_SIGNING_KEY is not valid UTF-8"), "{}", said.output);

    let hex: String = key.iter().map(|byte| format!("{byte:02x}")).collect();
    let (said, masked) =
        run(&["secret=T_SIGNING_KEY;min_len=32;binary"], &[env[0], ("T_MASKED", &format!("key={hex}"))]);
    assert_eq!(said["secrets:env"].status, "pass", "{said:?}");
    assert_eq!(masked.as_deref(), Some("key=[REDACTED]"), "the key's hex form is masked");

    for (name, weak, reason) in [
        ("short.key", key[..16].to_vec(), "is shorter than 32 bytes (16)"),
        ("zero.key", vec![0xff; 64], "is too predictable"),
        ("counting.key", (0x80..=0xff).collect(), "is too predictable"),
    ] {
        let path = files.file(name, &weak, 0o600);
        let said = one(&["secret=T_SIGNING_KEY;min_len=32;binary"], &[("T_SIGNING_KEY_FILE", path.to_str().unwrap())]);
        assert_eq!(said.status, "fail", "{name}: {said:?}");
        assert!(said.output.starts_with(&format!("T_SIGNING_KEY {reason}")), "{name}: {}", said.output);
    }
}
