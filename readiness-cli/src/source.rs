//! Where a document comes from: a file, or a service over HTTP with the detail token.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args as ClapArgs;
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::Value;

use crate::CannotEvaluate;

/// A checklist document is a few hundred kilobytes; anything past this is not one.
const MAX_DOCUMENT_BYTES: u64 = 16 * 1024 * 1024;

/// How to reach a service: the token and the time allowed.
#[derive(Debug, Clone, ClapArgs)]
pub(crate) struct Connection {
    /// A file holding the detail token (its first line). Without it, READINESS_TOKEN is read.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// How long to wait for the service, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    timeout: f64,
    /// Print nothing on stderr while fetching.
    #[arg(long, short)]
    quiet: bool,
}

/// The detail token: never from an argument, so it stays out of shell history and `ps`.
struct Token(String);

impl Connection {
    fn token(&self) -> Result<Option<Token>, CannotEvaluate> {
        let token = match &self.token_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|error| format!("cannot read the token file {}: {error}", path.display()))?;
                Some(text.lines().next().unwrap_or_default().trim().to_owned())
            }
            None => std::env::var("READINESS_TOKEN").ok().map(|token| token.trim().to_owned()),
        };
        match token {
            Some(token) if token.is_empty() => {
                Err("the detail token is empty (check --token-file or READINESS_TOKEN)".into())
            }
            Some(token) => Ok(Some(Token(token))),
            None => Ok(None),
        }
    }

    fn client(&self) -> Result<Client, CannotEvaluate> {
        if !(self.timeout.is_finite() && self.timeout > 0.0) {
            return Err(format!("--timeout must be a positive number of seconds, not {}", self.timeout).into());
        }
        Client::builder()
            .timeout(Duration::from_secs_f64(self.timeout))
            .user_agent(concat!("readiness-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| format!("cannot make an HTTP client: {error}").into())
    }

    /// Fetches JSON from `url` with the token, if there is one.
    pub(crate) fn get_json(&self, address: &str) -> Result<Value, CannotEvaluate> {
        self.fetch(address, false, self.token()?)
    }

    /// Fetches JSON without the token: for what is public (a key set), which may live elsewhere.
    pub(crate) fn get_json_anonymous(&self, address: &str) -> Result<Value, CannotEvaluate> {
        self.fetch(address, false, None)
    }

    /// Fetches a health+json report, which answers 503 when it fails and is read all the same.
    pub(crate) fn get_health(&self, address: &str) -> Result<Value, CannotEvaluate> {
        self.fetch(address, true, self.token()?)
    }

    fn fetch(&self, address: &str, failing_report: bool, token: Option<Token>) -> Result<Value, CannotEvaluate> {
        let url = &shown(address);
        if !self.quiet {
            eprintln!("readiness: fetching {url}");
        }
        let mut request = self.client()?.get(address).header(reqwest::header::ACCEPT, "application/json");
        if let Some(Token(token)) = &token {
            request = request.bearer_auth(token);
        }
        // The error's own chain names the URL and the cause (refused, timed out, DNS), never
        // the token: reqwest keeps headers out of its errors.
        let response =
            request.send().map_err(|error| format!("{url} cannot be reached: {}", chain(&error.without_url())))?;
        let status = response.status();
        let mut body = Vec::new();
        response
            .take(MAX_DOCUMENT_BYTES + 1)
            .read_to_end(&mut body)
            .map_err(|error| format!("{url}: the answer could not be read: {error}"))?;
        if body.len() as u64 > MAX_DOCUMENT_BYTES {
            return Err(format!("{url}: the answer is larger than {MAX_DOCUMENT_BYTES} bytes").into());
        }
        match status {
            StatusCode::OK => {}
            StatusCode::SERVICE_UNAVAILABLE if failing_report => {}
            StatusCode::UNAUTHORIZED if token.is_some() => {
                return Err(format!("{url} refused the token (401): it is not the service's detail token").into());
            }
            StatusCode::UNAUTHORIZED => {
                return Err(format!(
                    "{url} needs the detail token (401): give --token-file FILE or set READINESS_TOKEN"
                )
                .into());
            }
            StatusCode::FORBIDDEN => {
                return Err(format!("{url} refused (403): {}", problem_detail(&body)).into());
            }
            status => return Err(format!("{url} answered {status}: {}", problem_detail(&body)).into()),
        }
        serde_json::from_slice(&body).map_err(|error| format!("{url} did not answer JSON: {error}").into())
    }
}

impl Connection {
    /// The status `url` answers with, for a probe path (no token: the kubelet sends none).
    pub(crate) fn status(&self, address: &str) -> Result<u16, CannotEvaluate> {
        let response = self
            .client()?
            .get(address)
            .send()
            .map_err(|error| format!("{} cannot be reached: {}", shown(address), chain(&error.without_url())))?;
        Ok(response.status().as_u16())
    }
}

/// A URL as it may be printed: a password in it is replaced by `***`.
pub(crate) fn shown(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// An error and its causes, on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The `detail` of a problem+json body, or a short excerpt of whatever came back.
fn problem_detail(body: &[u8]) -> String {
    if let Ok(Value::Object(problem)) = serde_json::from_slice::<Value>(body)
        && let Some(Value::String(detail)) = problem.get("detail")
    {
        return detail.clone();
    }
    let text = String::from_utf8_lossy(body);
    let excerpt: String = text.chars().take(200).filter(|c| !c.is_control()).collect();
    if excerpt.is_empty() { "no explanation given".to_owned() } else { excerpt }
}

/// Whether `source` names a URL rather than a file.
pub(crate) fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

/// The checklist URL of a service: a base URL gets `/readiness/checklist`, a `/readiness`
/// URL gets `/checklist`; any other path is taken as given.
pub(crate) fn checklist_url(url: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(base, query)| (base, Some(query)));
    let trimmed = base.trim_end_matches('/');
    let path_start = trimmed.find("://").map_or(0, |scheme| scheme + 3);
    let has_path = trimmed[path_start..].contains('/');
    let mut full = if !has_path {
        format!("{trimmed}/readiness/checklist")
    } else if trimmed.ends_with("/readiness") {
        format!("{trimmed}/checklist")
    } else {
        trimmed.to_owned()
    };
    if let Some(query) = query {
        full.push('?');
        full.push_str(query);
    }
    full
}

/// The base URL of a service (scheme, host and port) from any of its URLs.
pub(crate) fn base_url(url: &str) -> String {
    let path_start = url.find("://").map_or(0, |scheme| scheme + 3);
    match url[path_start..].find(['/', '?']) {
        Some(index) => url[..path_start + index].to_owned(),
        None => url.to_owned(),
    }
}

/// Reads a JSON document from a file.
pub(crate) fn read_json(path: &Path) -> Result<Value, CannotEvaluate> {
    let text = std::fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    serde_json::from_slice(&text).map_err(|error| format!("{} is not JSON: {error}", path.display()).into())
}

/// A document from a file or a URL (a service's base URL reads its checklist).
pub(crate) fn load(source: &str, connection: &Connection) -> Result<Value, CannotEvaluate> {
    if is_url(source) { connection.get_json(&checklist_url(source)) } else { read_json(Path::new(source)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_reads_the_checklist_and_other_paths_are_kept() {
        assert_eq!(checklist_url("http://h:3000"), "http://h:3000/readiness/checklist");
        assert_eq!(checklist_url("http://h:3000/"), "http://h:3000/readiness/checklist");
        assert_eq!(checklist_url("http://h/svc/readiness"), "http://h/svc/readiness/checklist");
        assert_eq!(checklist_url("http://h/readiness/checklist"), "http://h/readiness/checklist");
        assert_eq!(checklist_url("http://h?x=1"), "http://h/readiness/checklist?x=1");
        assert_eq!(base_url("https://h:1/readiness/checklist?x"), "https://h:1");
        assert_eq!(base_url("http://h"), "http://h");
        assert_eq!(shown("http://me:hunter2@h/x"), "http://me:***@h/x");
    }

    #[test]
    fn a_problem_body_gives_its_detail_and_anything_else_an_excerpt() {
        assert_eq!(problem_detail(br#"{"detail":"details are disabled"}"#), "details are disabled");
        assert_eq!(problem_detail(b"oops\n"), "oops");
        assert_eq!(problem_detail(b""), "no explanation given");
    }
}
