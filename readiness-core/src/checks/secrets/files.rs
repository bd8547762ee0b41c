//! Reading a secret from its variable or its `NAME_FILE`, and deciding whether the file is
//! private enough: no permission for others, or, on an opt-in, a file on a memory filesystem
//! that the pod alone mounts (a Kubernetes secret volume, a directory the operator trusts).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::SecretSource;

/// The variable of the runtime opt-in: directories (separated like `PATH`) whose files may be
/// readable by others when they lie on a memory filesystem (`tmpfs`, `ramfs`).
pub const TRUSTED_SECRET_DIRS_ENV: &str = "READINESS_TRUSTED_SECRET_DIRS";

/// Which files readable by others are accepted.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileTrust {
    /// Files of a Kubernetes secret (or projected) volume: reached through the volume's `..data`
    /// symbolic link.
    pub(crate) kubernetes: bool,
    /// Files under these directories.
    pub(crate) dirs: Vec<PathBuf>,
}

impl FileTrust {
    /// This trust and the directories of [`TRUSTED_SECRET_DIRS_ENV`].
    pub(crate) fn with_env(&self) -> FileTrust {
        let mut trust = self.clone();
        if let Some(dirs) = std::env::var_os(TRUSTED_SECRET_DIRS_ENV) {
            trust.dirs.extend(std::env::split_paths(&dirs).filter(|dir| !dir.as_os_str().is_empty()));
        }
        trust
    }
}

/// A value as read, before it is judged.
pub(crate) struct RawSecret {
    /// The bytes (a file's trailing newline removed when the file is text).
    pub(crate) bytes: Vec<u8>,
    pub(crate) source: SecretSource,
    /// Why a file readable by others was accepted.
    pub(crate) note: Option<String>,
}

impl Drop for RawSecret {
    fn drop(&mut self) {
        // Best effort: the buffer does not outlive the value in memory.
        self.bytes.iter_mut().for_each(|byte| *byte = 0);
    }
}

/// Reads the secret named `env` from the variable, or, when `allow_file`, from the file that
/// `{env}_FILE` names, with `trust` for a file readable by others. `Ok(None)` when neither is set.
pub(crate) fn read_raw(env: &str, allow_file: bool, trust: &FileTrust) -> Result<Option<RawSecret>, String> {
    let file_var = format!("{env}_FILE");
    let direct = std::env::var_os(env);
    let file = if allow_file { std::env::var_os(&file_var) } else { None };
    match (direct, file) {
        (Some(_), Some(_)) => Err(format!("both {env} and {file_var} are set: set only one")),
        (None, None) => Ok(None),
        (Some(value), None) => {
            Ok(Some(RawSecret { bytes: os_bytes(value, env)?, source: SecretSource::Env, note: None }))
        }
        (None, Some(path)) => {
            let path = PathBuf::from(path);
            let note = check_file(&path, trust).map_err(|problem| format!("{file_var}: {problem}"))?;
            let mut bytes = std::fs::read(&path)
                .map_err(|error| format!("{file_var}: cannot read {}: {}", path.display(), error.kind()))?;
            // Files usually end with a newline that is not part of the secret; a binary file is
            // taken as it is.
            if std::str::from_utf8(&bytes).is_ok() {
                while bytes.last().is_some_and(|byte| matches!(byte, b'\n' | b'\r')) {
                    bytes.pop();
                }
            }
            Ok(Some(RawSecret { bytes, source: SecretSource::File(path), note }))
        }
    }
}

#[cfg(unix)]
fn os_bytes(value: OsString, _env: &str) -> Result<Vec<u8>, String> {
    Ok(std::os::unix::ffi::OsStringExt::into_vec(value))
}

#[cfg(not(unix))]
fn os_bytes(value: OsString, env: &str) -> Result<Vec<u8>, String> {
    value.into_string().map(String::into_bytes).map_err(|_| format!("{env} is not valid Unicode"))
}

/// Whether the file may hold a secret: `Ok(None)` when others have no permission on it,
/// `Ok(Some(why))` when they may read it and `trust` accepts it, else what is wrong.
#[cfg(unix)]
fn check_file(path: &Path, trust: &FileTrust) -> Result<Option<String>, String> {
    use std::os::unix::fs::PermissionsExt;
    let metadata =
        std::fs::metadata(path).map_err(|error| format!("cannot read {}: {}", path.display(), error.kind()))?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o007 == 0 {
        return Ok(None);
    }
    let exposed = format!("{} is accessible to other users (mode {mode:o})", path.display());
    if mode & 0o003 != 0 {
        return Err(format!("{exposed}: others may change it; chmod o-rwx (0600 or 0400)"));
    }
    let filesystem = filesystem_type(path);
    let in_memory = filesystem.as_deref().is_some_and(|fs| matches!(fs, "tmpfs" | "ramfs"));
    let kubernetes = kubernetes_volume(path);
    let trusted_dir = trusted_dir(path, &trust.dirs);
    let reason = match (trust.kubernetes && kubernetes, trusted_dir) {
        (true, _) => Some("a Kubernetes secret volume".to_owned()),
        (false, Some(dir)) => Some(format!("under the trusted directory {}", dir.display())),
        (false, None) => None,
    };
    // Where the file really is (a Kubernetes key resolves into the volume's timestamped
    // directory): others must not be able to put another file there.
    let parent = path.canonicalize().ok().and_then(|file| file.parent().map(Path::to_path_buf));
    let open_parent = parent.as_deref().and_then(|dir| {
        let mode = std::fs::metadata(dir).ok()?.permissions().mode();
        // Sticky or not: in a shared directory (`/dev/shm`, `/tmp`) any user can make a file
        // that reads like the secret, or a `..data` layout that looks like a secret volume.
        (mode & 0o002 != 0).then(|| dir.to_path_buf())
    });
    match (reason, in_memory) {
        (Some(_), true) if open_parent.is_some() => Err(format!(
            "{exposed}, in {}, a directory others may write to: keep the secret in a directory only its owner \
             may change",
            open_parent.unwrap_or_default().display()
        )),
        (Some(reason), true) => {
            let fs = filesystem.unwrap_or_default();
            Ok(Some(format!("readable by others (mode {mode:o}), accepted as {reason} on {fs}")))
        }
        (Some(reason), false) => Err(format!(
            "{exposed}; it is {reason}, but on {}, not on a memory filesystem (tmpfs) that only the pod mounts: \
             chmod o-rwx (0600 or 0400), or mount the secret as a secret volume or in-memory emptyDir",
            filesystem.map_or_else(|| "a filesystem that cannot be told".to_owned(), |fs| format!("a {fs} filesystem"))
        )),
        (None, _) => {
            let hint = if kubernetes || in_memory {
                format!(
                    ", or, for a secret volume or tmpfs that only the pod mounts, trust its directory \
                     ({TRUSTED_SECRET_DIRS_ENV}=<dir>, or SecretsCheck::trust_mounted_secret_dirs())"
                )
            } else {
                String::new()
            };
            Err(format!("{exposed}: chmod o-rwx (0600 or 0400){hint}"))
        }
    }
}

#[cfg(not(unix))]
fn check_file(_path: &Path, _trust: &FileTrust) -> Result<Option<String>, String> {
    Ok(None)
}

/// Whether `path` is a file of a Kubernetes atomic-writer volume (secret, projected): one of
/// its directories holds a `..data` symbolic link to a `..<timestamp>` directory beside it, and
/// the file resolves to a file inside that directory.
fn kubernetes_volume(path: &Path) -> bool {
    let Ok(file) = path.canonicalize() else { return false };
    path.ancestors().skip(1).take(8).any(|dir| {
        let data = dir.join("..data");
        let is_link = std::fs::symlink_metadata(&data).is_ok_and(|metadata| metadata.file_type().is_symlink());
        let (Ok(target), Ok(dir)) = (data.canonicalize(), dir.canonicalize()) else { return false };
        let beside = target.parent() == Some(dir.as_path())
            && target.file_name().is_some_and(|name| name.to_string_lossy().starts_with(".."));
        is_link && beside && file.starts_with(&target)
    })
}

/// The trusted directory that holds `path` (both with every link resolved).
fn trusted_dir<'a>(path: &Path, dirs: &'a [PathBuf]) -> Option<&'a PathBuf> {
    let file = path.canonicalize().ok()?;
    dirs.iter().find(|dir| dir.canonicalize().is_ok_and(|dir| file.starts_with(dir)))
}

/// The type of the filesystem that holds `path` (`tmpfs`, `ext4`…), from the mount table of
/// this process; `None` where it cannot be read (not Linux).
pub(crate) fn filesystem_type(path: &Path) -> Option<String> {
    let file = path.canonicalize().ok()?;
    let table = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    mount_of(&table, &file).map(str::to_owned)
}

/// The filesystem type of the mount, in a `mountinfo` table, that holds `path`: the deepest
/// mount point above it, the last mounted when several share it.
fn mount_of<'a>(table: &'a str, path: &Path) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for line in table.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let Some(mount_point) = fields.get(4) else { continue };
        let Some(separator) = fields.iter().position(|field| *field == "-") else { continue };
        let Some(fs_type) = fields.get(separator + 1) else { continue };
        let mount_point = PathBuf::from(unescape(mount_point));
        if path.starts_with(&mount_point) {
            let depth = mount_point.components().count();
            if best.is_none_or(|(known, _)| depth >= known) {
                best = Some((depth, fs_type));
            }
        }
    }
    best.map(|(_, fs_type)| fs_type)
}

/// A `mountinfo` field with its octal escapes (`\040` for a space) decoded.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'\\'
            && let Some(code) = field.get(index + 1..index + 4).and_then(|digits| u8::from_str_radix(digits, 8).ok())
        {
            out.push(code);
            index += 4;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda rw
30 22 0:26 / /dev/shm rw,nosuid shared:2 - tmpfs tmpfs rw
41 22 0:40 / /var/run/secrets/app rw,relatime - tmpfs tmpfs rw,size=1024k
42 22 0:41 / /mnt/my\\040secrets rw - ramfs none rw
43 41 0:42 / /var/run/secrets/app/sub rw - ext4 /dev/vdb rw
";

    #[test]
    fn the_deepest_mount_holds_a_path() {
        let fs = |path: &str| mount_of(TABLE, Path::new(path));
        assert_eq!(fs("/etc/app/key"), Some("ext4"));
        assert_eq!(fs("/dev/shm/key"), Some("tmpfs"));
        assert_eq!(fs("/var/run/secrets/app/..data/key"), Some("tmpfs"));
        assert_eq!(fs("/var/run/secrets/app/sub/key"), Some("ext4"));
        assert_eq!(fs("/var/run/secrets/application/key"), Some("ext4"));
        assert_eq!(fs("/mnt/my secrets/key"), Some("ramfs"));
    }
}
