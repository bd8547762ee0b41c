//! `build_info!()`: the commit, CI marker, compiler and working-tree state of the build,
//! captured while the user's crate compiles, as a `BuildInfo` expression.
//!
//! The values are read here, at expansion time, from the environment, `git` and `rustc`. So
//! that cargo compiles the crate again when they change, the expansion also names every
//! variable it read with `option_env!` and the git files behind `HEAD` with `include_bytes!`
//! (in unused constants): rustc then lists them as dependencies of the crate.
//!
//! The tree is **dirty** when any source says so: `GIT_DIRTY` (`true`/`1`/`yes`/`dirty`;
//! `false`/`0`/`no`/`clean` says clean, for a CI system that exports it or a build without the
//! `.git` directory, but never cleans a tree git sees dirty), `git status --porcelain
//! --untracked-files=no` in the crate's checkout listing a change to a tracked file (untracked files, such as a `Cargo.lock` a library does not
//! commit, do not count), or, without git, `cargo package` having recorded `"dirty": true`; unknown
//! otherwise. `git status` runs with `--no-optional-locks`, so that it never rewrites the index
//! (which would make cargo compile again). The state is the one of the last compilation of the
//! crate: cargo compiles it again when its sources, a dependency or `HEAD` change, not when a
//! file outside the build changes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Token};

/// Variables that name the commit, in order of precedence: a generic override first, then
/// what CI systems set.
const COMMIT_VARS: &[&str] = &[
    "GIT_COMMIT",
    "GITHUB_SHA",
    "CI_COMMIT_SHA",
    "BUILDKITE_COMMIT",
    "CIRCLE_SHA1",
    "TRAVIS_COMMIT",
    "BUILD_SOURCEVERSION",
    "BITBUCKET_COMMIT",
    "DRONE_COMMIT_SHA",
    "CODEBUILD_RESOLVED_SOURCE_VERSION",
    "APPVEYOR_REPO_COMMIT",
    "SOURCE_VERSION",
];

/// The variable that says whether the working tree is dirty, over `git status`.
const DIRTY_VAR: &str = "GIT_DIRTY";

/// Variables that mark a CI build, and the marker each gives; the generic `CI` last.
const CI_VARS: &[(&str, &str)] = &[
    ("GITHUB_ACTIONS", "github-actions"),
    ("GITLAB_CI", "gitlab"),
    ("BUILDKITE", "buildkite"),
    ("CIRCLECI", "circleci"),
    ("TRAVIS", "travis"),
    ("JENKINS_URL", "jenkins"),
    ("TF_BUILD", "azure-pipelines"),
    ("TEAMCITY_VERSION", "teamcity"),
    ("BITBUCKET_BUILD_NUMBER", "bitbucket"),
    ("DRONE", "drone"),
    ("WOODPECKER", "woodpecker"),
    ("CODEBUILD_BUILD_ID", "aws-codebuild"),
    ("APPVEYOR", "appveyor"),
    ("CI", "ci"),
];

/// `crate = path` (optional, for a renamed dependency); nothing else.
struct Input {
    krate: Option<syn::Path>,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Ok(Input { krate: None });
        }
        if !(input.peek(Token![crate]) && input.peek2(Token![=])) {
            let all: TokenStream = input.parse()?;
            return Err(syn::Error::new_spanned(
                all,
                "`build_info!()` takes no arguments: it reads the commit, CI marker and compiler version \
                 itself at compile time (to set them by hand, build a `BuildInfo`; for a renamed dependency, \
                 write `build_info!(crate = path)`)",
            ));
        }
        input.parse::<Token![crate]>()?;
        input.parse::<Token![=]>()?;
        let krate = input
            .parse()
            .map_err(|error| syn::Error::new(error.span(), "`crate` takes a path: `build_info!(crate = my_core)`"))?;
        input.parse::<Option<Token![,]>>()?;
        if !input.is_empty() {
            let rest: TokenStream = input.parse()?;
            return Err(syn::Error::new_spanned(rest, "unexpected tokens: `build_info!` takes only `crate = path`"));
        }
        Ok(Input { krate: Some(krate) })
    }
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    match syn::parse2::<Input>(input) {
        Ok(Input { krate }) => generate(&krate.unwrap_or_else(|| syn::parse_quote!(::readiness_core)), &capture()),
        Err(error) => error.to_compile_error(),
    }
}

/// What the build looked like at expansion time.
struct Captured {
    commit: Option<String>,
    ci: Option<String>,
    rustc: Option<String>,
    /// Whether tracked files had uncommitted changes; `None` when unknown.
    dirty: Option<bool>,
    /// Files whose change means another commit (git's `HEAD`, the branch ref, `packed-refs`).
    tracked: Vec<String>,
}

fn generate(krate: &syn::Path, captured: &Captured) -> TokenStream {
    let private = quote!(#krate::__private);
    let text = |value: &Option<String>| match value {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    };
    let (commit, ci, rustc) = (text(&captured.commit), text(&captured.ci), text(&captured.rustc));
    let dirty = match captured.dirty {
        Some(dirty) => quote!(::core::option::Option::Some(#dirty)),
        None => quote!(::core::option::Option::None),
    };
    let vars: Vec<LitStr> = COMMIT_VARS
        .iter()
        .copied()
        .chain(CI_VARS.iter().map(|(var, _)| *var))
        .chain([DIRTY_VAR, "RUSTC"])
        .map(|var| LitStr::new(var, proc_macro2::Span::call_site()))
        .collect();
    let count = vars.len();
    let files = captured.tracked.iter().map(|file| LitStr::new(file, proc_macro2::Span::call_site()));
    quote! {
        {
            // Dependencies for cargo: a change of any of these compiles the crate again.
            const _: [::core::option::Option<&str>; #count] = [#(::core::option_env!(#vars)),*];
            #(const _: &[u8] = ::core::include_bytes!(#files);)*
            #private::build_info(#commit, #ci, #rustc, #dirty, ::core::cfg!(debug_assertions))
        }
    }
}

fn capture() -> Captured {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let mut tracked = Vec::new();
    let commit = COMMIT_VARS.iter().find_map(|var| non_empty_var(var)).or_else(|| {
        let dir = manifest_dir.as_deref()?;
        git_commit(dir, &mut tracked).or_else(|| vcs_info_commit(dir))
    });
    let ci = CI_VARS
        .iter()
        .find(|(var, _)| {
            non_empty_var(var).is_some_and(|value| !matches!(value.to_ascii_lowercase().as_str(), "false" | "0" | "no"))
        })
        .map(|(_, marker)| (*marker).to_owned());
    // Dirty when any source says so: `GIT_DIRTY=false` cannot clean a tree git sees dirty.
    let from_env = non_empty_var(DIRTY_VAR).and_then(|value| parse_dirty(&value));
    let from_tree = manifest_dir.as_deref().and_then(|dir| git_dirty(dir).or_else(|| vcs_info_dirty(dir)));
    let dirty = match (from_env, from_tree) {
        (Some(env), Some(tree)) => Some(env || tree),
        (env, tree) => env.or(tree),
    };
    Captured { commit, ci, rustc: rustc_version(), dirty, tracked }
}

/// `GIT_DIRTY`'s value: `Some(true)` for `true`/`1`/`yes`/`dirty`, `Some(false)` for
/// `false`/`0`/`no`/`clean`, `None` (ignored) for anything else.
fn parse_dirty(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "dirty" => Some(true),
        "false" | "0" | "no" | "clean" => Some(false),
        _ => None,
    }
}

/// Whether `git status` lists a change to a tracked file of the checkout that holds `dir`;
/// `None` without git or outside a checkout.
fn git_dirty(dir: &Path) -> Option<bool> {
    let status = run("git", &["--no-optional-locks", "status", "--porcelain", "--untracked-files=no"], Some(dir))?;
    Some(!status.trim().is_empty())
}

/// The `"dirty": true` that `cargo package --allow-dirty` records in `.cargo_vcs_info.json`
/// (a package of a clean tree has no such field): for a crate built from a registry.
fn vcs_info_dirty(dir: &Path) -> Option<bool> {
    let text = std::fs::read_to_string(dir.join(".cargo_vcs_info.json")).ok()?;
    let Some(at) = text.find("\"dirty\"") else { return Some(false) };
    let value = text[at + "\"dirty\"".len()..].trim_start().strip_prefix(':')?.trim_start();
    Some(value.starts_with("true"))
}

fn non_empty_var(var: &str) -> Option<String> {
    let value = std::env::var(var).ok()?;
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// Runs a program with no input, and returns its standard output when it succeeds.
fn run(program: impl AsRef<std::ffi::OsStr>, args: &[&str], dir: Option<&Path>) -> Option<String> {
    let mut command = Command::new(program);
    command.args(args).stdin(Stdio::null()).stderr(Stdio::null()).env("GIT_TERMINAL_PROMPT", "0");
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let output = command.output().ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()
}

fn is_object_id(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// `git rev-parse HEAD` in the crate's directory; the files behind `HEAD` go to `tracked`.
/// `None` without git, outside a checkout, or before the first commit.
fn git_commit(dir: &Path, tracked: &mut Vec<String>) -> Option<String> {
    let output = run("git", &["rev-parse", "HEAD", "--symbolic-full-name", "HEAD"], Some(dir))?;
    let mut lines = output.lines();
    let commit = lines.next()?.trim().to_owned();
    if !is_object_id(&commit) {
        return None;
    }
    let reference = lines.next().map(str::trim).filter(|reference| reference.starts_with("refs/"));
    let mut args = vec!["rev-parse", "--git-path", "HEAD"];
    let log;
    if let Some(reference) = reference {
        log = format!("logs/{reference}");
        args.extend(["--git-path", reference, "--git-path", "packed-refs", "--git-path", &log]);
    }
    if let Some(paths) = run("git", &args, Some(dir)) {
        let paths: Vec<PathBuf> = paths.lines().map(|path| dir.join(path.trim())).collect();
        // HEAD, and the loose ref when there is one; else packed-refs, which holds the ref, and
        // the ref's log, which grows when a commit makes the ref loose again.
        let wanted: Vec<&PathBuf> = match paths.as_slice() {
            [head, loose, ..] if loose.is_file() => vec![head, loose],
            [head, _, packed, log] => vec![head, packed, log],
            paths => paths.iter().take(1).collect(),
        };
        tracked.extend(
            wanted
                .into_iter()
                .filter(|path| path.is_file())
                .filter_map(|path| path.canonicalize().ok()?.to_str().map(str::to_owned)),
        );
    }
    Some(commit)
}

/// The commit `cargo package` recorded in `.cargo_vcs_info.json`, for a crate built from a
/// registry.
fn vcs_info_commit(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(".cargo_vcs_info.json")).ok()?;
    let after = &text[text.find("\"sha1\"")? + "\"sha1\"".len()..];
    let value = after.trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    let commit = &value[..value.find('"')?];
    is_object_id(commit).then(|| commit.to_owned())
}

/// The version line of the compiler running this macro: the `rustc` process itself when it is
/// one (not rust-analyzer's or clippy's driver), else `$RUSTC`, else `rustc` on the `PATH`.
fn rustc_version() -> Option<String> {
    let version = |program: &std::ffi::OsStr| {
        run(program, &["--version"], None)
            .map(|output| output.trim().to_owned())
            .filter(|line| line.starts_with("rustc "))
    };
    let current = std::env::current_exe()
        .ok()
        .filter(|exe| exe.file_stem().is_some_and(|stem| stem == "rustc"))
        .and_then(|exe| version(exe.as_os_str()));
    current
        .or_else(|| std::env::var_os("RUSTC").and_then(|rustc| version(&rustc)))
        .or_else(|| version(std::ffi::OsStr::new("rustc")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_dirty_values() {
        for value in ["true", "1", "yes", "dirty", " TRUE "] {
            assert_eq!(parse_dirty(value), Some(true), "{value}");
        }
        for value in ["false", "0", "no", "clean", "False"] {
            assert_eq!(parse_dirty(value), Some(false), "{value}");
        }
        assert_eq!(parse_dirty("maybe"), None);
    }

    #[test]
    fn a_dirty_or_clean_tree_in_a_real_checkout() {
        let dir = std::env::temp_dir().join(format!("readiness-macros-dirty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let git = |args: &[&str]| run("git", args, Some(&dir));
        if git(&["init", "-q"]).is_none() {
            println!("SKIPPED: git cannot run here");
            return;
        }
        git(&["config", "user.email", "t@example.com"]).unwrap();
        git(&["config", "user.name", "t"]).unwrap();
        std::fs::write(dir.join("tracked.rs"), "fn main() {}\n").unwrap();
        git(&["add", "tracked.rs"]).unwrap();
        git(&["-c", "commit.gpgsign=false", "commit", "-q", "-m", "one"]).unwrap();
        assert_eq!(git_dirty(&dir), Some(false));
        // An untracked file (a `Cargo.lock` a library does not commit) is not a change.
        std::fs::write(dir.join("Cargo.lock"), "# generated\n").unwrap();
        assert_eq!(git_dirty(&dir), Some(false));
        std::fs::write(dir.join("tracked.rs"), "fn main() { changed() }\n").unwrap();
        assert_eq!(git_dirty(&dir), Some(true));
        let mut tracked = Vec::new();
        assert!(git_commit(&dir, &mut tracked).is_some_and(|commit| is_object_id(&commit)));
        std::fs::remove_dir_all(&dir).unwrap();

        let outside = std::env::temp_dir().join(format!("readiness-macros-no-git-{}", std::process::id()));
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join(".cargo_vcs_info.json"), r#"{"git": {"sha1": "x", "dirty": true}}"#).unwrap();
        assert_eq!(vcs_info_dirty(&outside), Some(true));
        std::fs::write(outside.join(".cargo_vcs_info.json"), r#"{"git": {"sha1": "x"}}"#).unwrap();
        assert_eq!(vcs_info_dirty(&outside), Some(false));
        std::fs::remove_dir_all(&outside).unwrap();
    }
}
