//! `db:archiving`: WAL archiving is on, recent, not failing, and stores something: where the
//! `archive_command` copies into a directory on the database server, the last archived segment
//! is there.

use std::time::Duration;

use super::session::{PostgresPool, column, number_column, one_row};
use crate::check::check_fn;
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

/// Where an `archive_command` puts WAL, as far as its text tells.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// The empty command: without an `archive_library`, nothing is archived.
    Empty,
    /// Only programs that store nothing (`true`, `:`, `exit 0`…, a copy into `/dev/null`), or no
    /// `%p`/`%f` at all: why, as a clause.
    Nothing(String),
    /// A copy (`cp`, `install`, `rsync`) into this directory of the database server.
    LocalDir(String),
    /// A program whose storage this check cannot look into.
    Elsewhere(String),
}

/// Programs that store nothing, whatever their arguments.
const NO_OPS: &[&str] = &["true", ":", "exit", "echo", "printf", "test", "[", "[[", "sleep"];

/// Words that run the next word as the program.
const PREFIXES: &[&str] = &["env", "exec", "nice", "nohup", "command"];

/// A shell command split into simple commands (at `;`, `&`, `|` and new lines) of words (quotes
/// removed), each without leading variable assignments or prefixes, and without redirections.
fn simple_commands(command: &str) -> Vec<Vec<String>> {
    fn finish_word(word: &mut String, in_word: &mut bool, words: &mut Vec<String>) {
        if std::mem::take(in_word) {
            words.push(std::mem::take(word));
        }
    }
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote = None;
    let mut chars = command.chars().peekable();
    let mut previous = ' ';
    while let Some(c) = chars.next() {
        // `2>&1` and `&>file` are redirections, not separators.
        let redirection = c == '&' && (matches!(previous, '<' | '>') || chars.peek() == Some(&'>'));
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, ';' | '&' | '|' | '\n') if !redirection => {
                finish_word(&mut word, &mut in_word, &mut words);
                if !words.is_empty() {
                    commands.push(std::mem::take(&mut words));
                }
            }
            (None, c) if c.is_whitespace() => finish_word(&mut word, &mut in_word, &mut words),
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
        previous = c;
    }
    finish_word(&mut word, &mut in_word, &mut words);
    if !words.is_empty() {
        commands.push(words);
    }
    commands
        .into_iter()
        .map(|words| {
            let mut kept = Vec::new();
            let mut redirect_target = false;
            for word in words {
                if std::mem::take(&mut redirect_target) {
                    continue;
                }
                let bare = word.trim_start_matches(|c: char| c.is_ascii_digit() || c == '&');
                if bare.starts_with('<') || bare.starts_with('>') {
                    // `> file` takes the next word; `>file` and `2>&1` do not.
                    redirect_target = bare.trim_start_matches(['<', '>']).is_empty();
                    continue;
                }
                let name = word.rsplit('/').next().unwrap_or(&word);
                if kept.is_empty() && (is_assignment(&word) || PREFIXES.contains(&name)) {
                    continue;
                }
                kept.push(word);
            }
            kept
        })
        .filter(|words| !words.is_empty())
        .collect()
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The program's name without its directory: `/bin/true` is `true`.
fn program(words: &[String]) -> &str {
    let first = words[0].as_str();
    first.rsplit('/').next().filter(|name| !name.is_empty()).unwrap_or(first)
}

/// The directory a copy command writes `%f` into, when it is a local absolute path.
fn local_destination(words: &[String]) -> Option<String> {
    if !matches!(program(words), "cp" | "install" | "rsync") {
        return None;
    }
    let operands: Vec<&String> = words[1..].iter().filter(|word| !word.starts_with('-')).collect();
    let (destination, sources) = operands.split_last()?;
    if !sources.iter().any(|source| source.contains("%p")) || !destination.starts_with('/') {
        return None;
    }
    let directory = match destination.strip_suffix("/%f") {
        Some(directory) => directory,
        None if destination.contains('%') => return None,
        None => destination.trim_end_matches('/'),
    };
    (!directory.contains('%')).then(|| if directory.is_empty() { "/".to_owned() } else { directory.to_owned() })
}

/// What `command` (an `archive_command`) does with a segment, as far as its text tells.
fn classify(command: &str) -> Target {
    if command.trim().is_empty() {
        return Target::Empty;
    }
    let commands = simple_commands(command);
    // `sh -c '…'`: what the shell runs.
    if let [words] = commands.as_slice()
        && matches!(program(words), "sh" | "bash" | "dash")
        && words.get(1).is_some_and(|flag| flag == "-c")
        && let Some(script) = words.get(2)
    {
        return classify(script);
    }
    let stores_nothing =
        |words: &Vec<String>| NO_OPS.contains(&program(words)) || words.last().map(String::as_str) == Some("/dev/null");
    let storing: Vec<&Vec<String>> = commands.iter().filter(|words| !stores_nothing(words)).collect();
    if storing.is_empty() {
        let runs: Vec<String> = commands
            .iter()
            .map(|words| {
                let into = if NO_OPS.contains(&program(words)) { "" } else { " into /dev/null" };
                format!("`{}`{into}", words[0])
            })
            .collect();
        return Target::Nothing(format!("it runs only {}", runs.join(", ")));
    }
    if !(command.contains("%p") || command.contains("%f")) {
        return Target::Nothing("it names neither %p nor %f, so no segment reaches it".to_owned());
    }
    storing
        .iter()
        .find_map(|words| local_destination(words))
        .map_or_else(|| Target::Elsewhere(storing[0][0].clone()), Target::LocalDir)
}

/// What `pg_stat_archiver` and the settings say.
struct Facts {
    mode: String,
    archived: i64,
    since_archive: Option<f64>,
    since_failure: Option<f64>,
    last_wal: Option<String>,
    /// `archive_command`, `archive_library`, the role and `wal_segment_size`; `Err` when the
    /// role cannot read them.
    settings: Result<(String, String, String, Option<i64>), String>,
}

async fn observe(pool: &impl PostgresPool) -> Result<Facts, String> {
    let row = one_row(
        pool.text_rows(
            "SELECT current_setting('archive_mode'), archived_count::text, \
             extract(epoch FROM now() - last_archived_time)::float8::text, \
             extract(epoch FROM now() - last_failed_time)::float8::text, last_archived_wal::text \
             FROM pg_stat_archiver",
            &[],
        )
        .await,
        "pg_stat_archiver",
    )?;
    let settings = one_row(
        pool.text_rows(
            "SELECT current_setting('archive_command'), coalesce(current_setting('archive_library', true), ''), \
             current_user::text, (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size')",
            &[],
        )
        .await,
        "the archive settings",
    )
    .map(|settings| {
        let text = |index| column(&settings, index).unwrap_or_default().to_owned();
        (text(0), text(1), text(2), number_column(&settings, 3))
    });
    Ok(Facts {
        mode: column(&row, 0).unwrap_or_default().to_owned(),
        archived: number_column(&row, 1).unwrap_or(0),
        since_archive: number_column(&row, 2),
        since_failure: number_column(&row, 3),
        last_wal: column(&row, 4).map(str::to_owned),
        settings,
    })
}

/// Whether `name` is a WAL segment (24 hex digits), not a `.history` or `.backup` file.
fn is_segment(name: &str) -> bool {
    name.len() == 24 && name.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// The verdict on the archive directory: `None` when the last segment is there and whole.
async fn look_in(
    pool: &impl PostgresPool,
    directory: &str,
    wal: &str,
    role: &str,
    segment: Option<i64>,
) -> Option<Outcome> {
    let path = format!("{}/{wal}", directory.trim_end_matches('/'));
    let size = one_row(pool.text_rows("SELECT (pg_stat_file($1, true)).size::text", &[&path]).await, "pg_stat_file")
        .map(|row| number_column::<i64>(&row, 0));
    match size {
        Err(error) => Some(Outcome::cannot_tell(
            format!(
                "the role `{role}` cannot look into the archive directory {directory} on the database server ({error})"
            ),
            format!(
                "GRANT pg_read_server_files TO {role}; GRANT EXECUTE ON FUNCTION pg_stat_file(text, boolean) TO {role}"
            ),
        )),
        Ok(None) => Some(Outcome::fail(format!(
            "the last archived segment {wal} is not in {directory}: archive_command reported it stored, the archive \
             does not hold it"
        ))),
        Ok(Some(size)) => match segment {
            Some(segment) if is_segment(wal) && size < segment => Some(Outcome::fail(format!(
                "the last archived segment {path} holds {size} bytes, not the {segment} of a whole segment"
            ))),
            _ => None,
        },
    }
}

/// The WAL-archiving check (`db:archiving`): `archive_mode` is on, the `archive_command` stores
/// something, a segment was archived within `max_age` with no failure after it, and where the
/// command copies into a local directory of the database server the last archived segment is
/// there. See the [module docs](super).
pub fn postgres_archiving(pool: impl PostgresPool, max_age: Duration) -> CheckRegistration {
    let spec = CheckSpec::new("db:archiving")
        .control("reliability.backup.automated")
        .component_type("datastore")
        .description("WAL archiving is on, stores the segments, recent and not failing");
    CheckRegistration::new(
        spec,
        check_fn(move |_| {
            let pool = pool.clone();
            async move {
                let facts = match observe(&pool).await {
                    Ok(facts) => facts,
                    Err(error) => return Outcome::fail(format!("cannot read pg_stat_archiver: {error}")),
                };
                judge(&pool, facts, max_age).await
            }
        }),
    )
}

async fn judge(pool: &impl PostgresPool, facts: Facts, max_age: Duration) -> Outcome {
    let Facts { mode, archived, since_archive, since_failure, last_wal, settings } = facts;
    if mode != "on" && mode != "always" {
        return Outcome::fail(format!("WAL archiving is off (archive_mode = {mode})")).evidence("archive_mode", mode);
    }
    let with_facts = |outcome: Outcome| {
        outcome
            .evidence("archive_mode", &mode)
            .evidence("archived_count", archived)
            .evidence("last_archived_wal", last_wal.as_deref().unwrap_or(""))
    };
    // The archive_command first: one that stores nothing fails whatever the statistics say,
    // since PostgreSQL counts each of its "archives" as a success.
    let target = settings.map(|(command, library, role, segment)| {
        let target = if library.is_empty() {
            classify(&command)
        } else {
            Target::Elsewhere(format!("archive_library {library}"))
        };
        (target, role, segment)
    });
    match &target {
        Ok((Target::Empty, _, _)) => {
            return with_facts(Outcome::fail(
                "archive_mode is on but archive_command is empty: WAL is kept, not archived; set an archive_command \
                 that stores %p in the backup",
            ));
        }
        Ok((Target::Nothing(why), _, _)) => {
            return with_facts(Outcome::fail(format!(
                "archive_command stores nothing ({why}): PostgreSQL counts each segment as \
                 archived and recycles it; set an archive_command that stores %p in the backup"
            )));
        }
        Ok((Target::LocalDir(_) | Target::Elsewhere(_), _, _)) | Err(_) => {}
    }
    let Some(age) = since_archive else {
        return with_facts(Outcome::fail("WAL archiving is on but nothing was archived yet"));
    };
    let with_age = |outcome: Outcome| with_facts(outcome).observed(age, "s");
    if let Some(failure) = since_failure.filter(|failure| *failure < age) {
        return with_age(Outcome::fail(format!(
            "the last archiving attempt failed {failure:.0} s ago, after the last success {age:.0} s ago"
        )));
    }
    if age > max_age.as_secs_f64() {
        return with_age(Outcome::fail(format!(
            "the last WAL archive is {age:.0} s old, over {} s",
            max_age.as_secs()
        )));
    }
    let summary = format!("last WAL archive {age:.0} s ago, {archived} archived");
    let wal = last_wal.clone().unwrap_or_default();
    let outcome = match target {
        Ok((Target::LocalDir(directory), role, segment)) => match look_in(pool, &directory, &wal, &role, segment).await
        {
            Some(outcome) => outcome,
            None => Outcome::pass().with_output(format!("{summary}; {wal} is in {directory}")),
        }
        .evidence("archive_directory", directory),
        Ok((Target::Elsewhere(program), _, _)) => Outcome::cannot_tell(
            format!(
                "{summary}, but `{program}` stores WAL where this check cannot look, so whether {wal} is in the \
                 backup is not checked"
            ),
            "prove a restore from that archive, or archive with `cp %p /dir/%f` into a directory of the database \
             server",
        )
        .evidence("archive_target", "not checked"),
        // Returned above.
        Ok((Target::Empty | Target::Nothing(_), _, _)) => Outcome::fail("archive_command stores nothing"),
        Err(error) => Outcome::cannot_tell(
            format!("{summary}, but this role cannot read archive_command ({error}), so what it stores is not checked"),
            "grant pg_read_all_settings (or pg_monitor) to the pool's role",
        ),
    };
    with_age(outcome)
}
