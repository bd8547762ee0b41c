//! `#[derive(Attest)]` structs (DESIGN §7, `security.data.secrets`) judged like `SecretsCheck`:
//! one value reused for two fields of one struct, for fields of two structs, or for a field and
//! a `SecretsCheck` secret fails; a URL without a password fails; a Kubernetes secret volume
//! readable by the pod passes only with the runtime opt-in (`READINESS_TRUSTED_SECRET_DIRS`).
//! Each case runs this binary again as a child with its own environment.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::PathBuf;

use readiness_core::checks::secrets::{SecretString, SecretsCheck, TRUSTED_SECRET_DIRS_ENV};
use readiness_core::testing::{self, ChildTest};
use readiness_core::{Attest, Readiness};

const STRONG: &str = "q7Vd2Kp9Lx4Zt8Wm3Rb6Nc1Hy5Jg0FsE";
const OTHER_STRONG: &str = "H4sT9wLq2Xv7Kd3Pz8Rm1Ny6Bc5Jf0Ga";
const THIRD_STRONG: &str = "Zc8Nq1Vt6Lw3Hp9Kx2Rd7Mb4Fg0Js5Ya";

/// The service's settings.
#[derive(Attest)]
#[attest(control = "security.data.secrets", name = "secrets:settings")]
#[allow(dead_code)]
struct Settings {
    /// A database URL: its password is the secret.
    #[attest(env = "T_DATABASE_URL", secret, file)]
    database_url: Option<SecretString>,
    /// A token.
    #[attest(env = "T_TOKEN", secret, file, min_len = 16)]
    token: Option<SecretString>,
}

/// The signing secret, in a struct of its own.
#[derive(Attest)]
#[attest(control = "security.data.secrets", name = "secrets:signing")]
#[allow(dead_code)]
struct Signing {
    /// Signs tokens.
    #[attest(env = "T_JWT_SECRET", secret, file, min_len = 32)]
    jwt_secret: SecretString,
}

/// In the child: loads `Settings` then `Signing`, registers a `SecretsCheck` for `T_API_KEY`
/// when it is set, runs every check once, and prints each load's error and each check's result.
#[tokio::test]
async fn child_loads_the_structs() {
    if !testing::is_child() {
        return;
    }
    let settings = Settings::from_env().map(|_| ()).map_err(|error| error.to_string().replace('\n', " "));
    let signing = Signing::from_env().map(|_| ()).map_err(|error| error.to_string().replace('\n', " "));
    println!("\nLOAD\tSettings\t{settings:?}");
    println!("\nLOAD\tSigning\t{signing:?}");
    let mut builder = Readiness::builder();
    if std::env::var_os("T_API_KEY").is_some() {
        builder = builder.register(SecretsCheck::new().secret("T_API_KEY"));
    }
    let report = builder.build().unwrap().readiness().await;
    for check in report.checks.iter().filter(|check| check.name.starts_with("secrets:")) {
        let output = check.outcome.output.clone().unwrap_or_default();
        let evidence = serde_json::to_string(&check.outcome.evidence).unwrap();
        println!("\nCHECK\t{}\t{}\t{output}\t{evidence}", check.name, check.status);
    }
}

/// What the child said: each struct's load, and each check's (status, output, evidence).
struct Child {
    stdout: String,
}

impl Child {
    fn run(env: &[(&str, &str)]) -> Child {
        let stdout = ChildTest::new("child_loads_the_structs")
            .env_remove(TRUSTED_SECRET_DIRS_ENV)
            .envs(env.iter().copied())
            .run();
        Child { stdout }
    }

    fn load(&self, name: &str) -> String {
        let prefix = format!("LOAD\t{name}\t");
        self.stdout.lines().find_map(|line| line.strip_prefix(&prefix)).expect("the load is printed").to_owned()
    }

    fn check(&self, name: &str) -> (String, String, String) {
        let prefix = format!("CHECK\t{name}\t");
        let line = self.stdout.lines().find_map(|line| line.strip_prefix(&prefix)).expect("the check ran");
        let fields: Vec<&str> = line.split('\t').collect();
        (fields[0].to_owned(), fields[1].to_owned(), fields[2].to_owned())
    }

    fn assert_no_value(&self) {
        for value in [STRONG, OTHER_STRONG, THIRD_STRONG] {
            assert!(!self.stdout.contains(value), "a value leaked:\n{}", self.stdout);
        }
    }
}

#[test]
fn distinct_strong_secrets_load_and_every_check_passes() {
    let url = format!("postgres://app:{THIRD_STRONG}@db.internal/orders");
    let child = Child::run(&[
        ("T_DATABASE_URL", &url),
        ("T_TOKEN", OTHER_STRONG),
        ("T_JWT_SECRET", STRONG),
        ("T_API_KEY", "Yb2Kx7Wq4Nd9Lt1Rv6Mz3Hc8Pf5Js0Ga"),
    ]);
    assert_eq!(child.load("Settings"), "Ok(())");
    assert_eq!(child.load("Signing"), "Ok(())");
    for check in ["secrets:settings", "secrets:signing", "secrets:env"] {
        assert_eq!(child.check(check).0, "pass", "{check}: {:?}", child.check(check));
    }
}

#[test]
fn one_value_for_two_fields_of_one_struct_fails_its_load_and_its_check() {
    let child = Child::run(&[("T_DATABASE_URL", STRONG), ("T_TOKEN", STRONG), ("T_JWT_SECRET", OTHER_STRONG)]);
    let load = child.load("Settings");
    assert!(
        load.contains("T_TOKEN has the same value as T_DATABASE_URL: each secret needs a value of its own"),
        "{load}"
    );
    let (status, output, _) = child.check("secrets:settings");
    assert_eq!(status, "fail");
    assert_eq!(output, "Settings: T_DATABASE_URL has the same value as T_TOKEN: each secret needs a value of its own");
    assert_eq!(child.check("secrets:signing").0, "pass");
    child.assert_no_value();
}

#[test]
fn one_value_for_fields_of_two_structs_fails_both_checks() {
    let child = Child::run(&[("T_TOKEN", STRONG), ("T_JWT_SECRET", STRONG)]);
    // `Settings` loaded first: its load saw no reuse yet; its check, run later, does.
    assert_eq!(child.load("Settings"), "Ok(())");
    assert!(child.load("Signing").contains("T_JWT_SECRET has the same value as T_TOKEN"), "{}", child.load("Signing"));
    let (status, output, _) = child.check("secrets:settings");
    assert_eq!(
        (status.as_str(), output.as_str()),
        ("fail", "Settings: T_TOKEN has the same value as T_JWT_SECRET: each secret needs a value of its own")
    );
    let (status, output, _) = child.check("secrets:signing");
    assert_eq!(status, "fail", "{output}");
    child.assert_no_value();
}

#[test]
fn one_value_for_a_field_and_a_secrets_check_fails_both() {
    let child = Child::run(&[("T_TOKEN", OTHER_STRONG), ("T_JWT_SECRET", STRONG), ("T_API_KEY", STRONG)]);
    let (status, output, _) = child.check("secrets:env");
    assert_eq!(
        (status.as_str(), output.as_str()),
        ("fail", "T_API_KEY has the same value as T_JWT_SECRET: each secret needs a value of its own")
    );
    let (status, output, _) = child.check("secrets:signing");
    assert_eq!(
        (status.as_str(), output.as_str()),
        ("fail", "Signing: T_JWT_SECRET has the same value as T_API_KEY: each secret needs a value of its own")
    );
    child.assert_no_value();
}

#[test]
fn a_database_url_without_a_password_fails_the_load() {
    let child = Child::run(&[("T_DATABASE_URL", "postgres://app@db.internal:5432/orders"), ("T_JWT_SECRET", STRONG)]);
    let load = child.load("Settings");
    assert!(load.contains("T_DATABASE_URL is a URL without a password"), "{load}");
    assert_eq!(child.check("secrets:settings").0, "fail");
    // A local SQLite URL holds no credentials: judged as a whole, as before.
    let child =
        Child::run(&[("T_DATABASE_URL", "sqlite:/var/lib/orders/orders.sqlite?mode=rwc"), ("T_JWT_SECRET", STRONG)]);
    assert_eq!(child.load("Settings"), "Ok(())");
}

#[test]
fn a_kubernetes_secret_volume_passes_the_derive_only_with_the_runtime_opt_in() {
    let shm = PathBuf::from("/dev/shm");
    let fs = std::process::Command::new("stat").args(["-f", "-c", "%T"]).arg(&shm).output();
    if !fs.is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "tmpfs") {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "under CI=true this must not be skipped");
        println!("SKIPPED: /dev/shm is not a tmpfs here");
        return;
    }
    let volume = shm.join(format!("readiness-secrets-derive-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&volume);
    let stamp = volume.join("..2025_01_31_10_00_00.000000001");
    std::fs::create_dir_all(&stamp).unwrap();
    std::fs::write(stamp.join("jwt-secret"), format!("{STRONG}\n")).unwrap();
    std::fs::set_permissions(stamp.join("jwt-secret"), std::fs::Permissions::from_mode(0o644)).unwrap();
    symlink("..2025_01_31_10_00_00.000000001", volume.join("..data")).unwrap();
    symlink("..data/jwt-secret", volume.join("jwt-secret")).unwrap();
    let file = volume.join("jwt-secret");
    let file = file.to_str().unwrap();

    let child = Child::run(&[("T_JWT_SECRET_FILE", file)]);
    let load = child.load("Signing");
    assert!(load.contains("accessible to other users (mode 644)"), "{load}");
    assert_eq!(child.check("secrets:signing").0, "fail");

    let trusted = volume.to_str().unwrap();
    let child = Child::run(&[("T_JWT_SECRET_FILE", file), (TRUSTED_SECRET_DIRS_ENV, trusted)]);
    assert_eq!(child.load("Signing"), "Ok(())");
    let (status, _, evidence) = child.check("secrets:signing");
    assert_eq!(status, "pass", "{evidence}");
    assert!(evidence.contains("under the trusted directory"), "{evidence}");
    std::fs::remove_dir_all(&volume).unwrap();
}
