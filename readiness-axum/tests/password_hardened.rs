//! `PasswordPolicy` against real sign-up routes: each seeded policy that only counts characters
//! (or character classes) fails, naming the weak password it let in; a sign-up judged by zxcvbn
//! passes and leaves exactly one account per run, whose password nobody knows; a sign-up whose
//! database is down cannot be told from one that refuses everything.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use support::{assert_status, output};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use readiness_axum::probes::{DEFAULT_WEAK_PASSWORDS, PasswordPolicy};
use readiness_core::{CheckResult, Status};
use serde_json::{Value, json};

/// A strong password of 25 characters (zxcvbn score 4).
const STRONG: &str = "vT7#qL9!mZ2@wX4$kP-orders";

/// The long weak passwords the issue names: each passes a length rule of 16.
const LONG_WEAK: [&str; 5] =
    ["aaaaaaaaaaaaaaaaaaaa", "passwordpassword", "1234567890123456", "qwertyuiopasdfgh", "1qaz2wsx3edc4rfv"];

/// What the sign-up route judges a password by.
#[derive(Clone, Copy)]
enum Rule {
    /// At least 12 characters and a zxcvbn score of at least 3, the user name taken into account.
    Zxcvbn,
    /// At least this many characters, nothing else.
    Length(usize),
    /// At least 12 characters with an upper-case letter, a lower-case one, a digit and a symbol.
    Composition,
}

impl Rule {
    fn accepts(self, username: &str, password: &str) -> bool {
        let length = password.chars().count();
        match self {
            Rule::Zxcvbn => length >= 12 && zxcvbn::zxcvbn(password, &[username]).score() >= zxcvbn::Score::Three,
            Rule::Length(minimum) => length >= minimum,
            Rule::Composition => {
                length >= 12
                    && password.chars().any(char::is_uppercase)
                    && password.chars().any(char::is_lowercase)
                    && password.chars().any(|c| c.is_ascii_digit())
                    && password.chars().any(|c| !c.is_alphanumeric())
            }
        }
    }
}

/// The accounts a sign-up created: user name → password (a real service stores a hash; the test
/// keeps the password to show which one each account got).
#[derive(Clone, Default)]
struct Accounts(Arc<Mutex<HashMap<String, String>>>);

impl Accounts {
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.0.lock().unwrap().keys().cloned().collect();
        names.sort();
        names
    }

    fn passwords(&self) -> Vec<String> {
        self.0.lock().unwrap().values().cloned().collect()
    }
}

#[derive(Clone)]
struct SignUp {
    rule: Rule,
    accounts: Accounts,
    database_up: bool,
}

/// `POST /api/signup`: 422 for a weak password (judged before anything is stored), 409 for a
/// taken name, 503 when the database is down, 201 with the account created.
async fn sign_up(State(signup): State<SignUp>, Json(body): Json<Value>) -> (StatusCode, &'static str) {
    let username = body["username"].as_str().unwrap_or_default();
    let password = body["password"].as_str().unwrap_or_default();
    if username.is_empty() || !signup.rule.accepts(username, password) {
        return (StatusCode::UNPROCESSABLE_ENTITY, "password too weak");
    }
    if !signup.database_up {
        return (StatusCode::SERVICE_UNAVAILABLE, "the database is unavailable");
    }
    let mut accounts = signup.accounts.0.lock().unwrap();
    if accounts.contains_key(username) {
        return (StatusCode::CONFLICT, "taken");
    }
    accounts.insert(username.to_owned(), password.to_owned());
    (StatusCode::CREATED, "account created")
}

fn app(rule: Rule, database_up: bool) -> (Router, Accounts) {
    let accounts = Accounts::default();
    let state = SignUp { rule, accounts: accounts.clone(), database_up };
    (Router::new().route("/api/signup", post(sign_up)).with_state(state), accounts)
}

/// The probe as the example configures it: unique probe user names, a new random-looking
/// strong password on every run.
fn probe(router: Router) -> PasswordPolicy {
    static RUN: AtomicU64 = AtomicU64::new(0);
    PasswordPolicy::new(router)
        .path("/api/signup")
        .template(json!({"username": "readiness-probe-<id>", "password": "<pw>"}))
        .strong_password_with(|| {
            // A test stand-in for a random source: distinct and strong on each run.
            let run = RUN.fetch_add(1, Ordering::Relaxed);
            format!("Kx9#vQ2!{run:04}-mW7$tR4@zL")
        })
}

async fn run(probe: PasswordPolicy) -> CheckResult {
    readiness_core::testing::run_check(probe.check()).await
}

#[tokio::test]
async fn a_length_rule_of_sixteen_fails_naming_every_long_weak_password() {
    let (router, accounts) = app(Rule::Length(16), true);
    let result = run(probe(router)).await;
    assert_status(&result, Status::Fail);
    let output = output(&result);
    assert!(output.starts_with("POST /api/signup: weak passwords accepted: "), "{output}");
    for weak in LONG_WEAK {
        assert!(output.contains(&format!("{weak:?} (201)")), "{weak} not named in {output}");
    }
    assert_eq!(result.outcome.observed_value, Some(5.into()), "{output}");
    // Those accounts exist now, with public passwords: the output named each one.
    assert_eq!(accounts.names().len(), 5 + 2, "five weak, the strong one and its twin: {:?}", accounts.names());
}

#[tokio::test]
async fn a_length_rule_longer_than_every_listed_password_fails_on_the_same_length_twin() {
    // 21 characters: longer than every default weak password, shorter than the strong one.
    let (router, _) = app(Rule::Length(21), true);
    let probe = PasswordPolicy::new(router)
        .path("/api/signup")
        .template(json!({"username": "readiness-probe-<id>", "password": "<pw>"}))
        .strong_password(STRONG);
    let result = run(probe).await;
    assert_status(&result, Status::Fail);
    let output = output(&result);
    assert!(
        output.contains(
            "a weak password as long as the strong one was accepted: \"P@ssw0rdP@ssw0rdP@ssw0rdP\" (201, 25 characters)"
        ),
        "{output}"
    );
    assert!(!output.contains("weak passwords accepted"), "the listed ones were refused: {output}");
    assert_eq!(result.outcome.evidence["as long as the strong one"], "accepted (201)");
    assert!(!format!("{:?}", result.outcome).contains(STRONG), "the strong password is never shown");
}

#[tokio::test]
async fn a_composition_rule_fails_on_the_same_length_twin() {
    let (router, _) = app(Rule::Composition, true);
    let result = run(probe(router)).await;
    assert_status(&result, Status::Fail);
    let output = output(&result);
    assert!(output.contains("a weak password as long as the strong one was accepted"), "{output}");
    assert!(output.contains("counts characters (or character classes)"), "{output}");
}

#[tokio::test]
async fn a_sign_up_judged_by_zxcvbn_passes_and_leaves_one_account_per_run_with_an_unknown_password() {
    let (router, accounts) = app(Rule::Zxcvbn, true);
    for weak in LONG_WEAK {
        assert!(DEFAULT_WEAK_PASSWORDS.contains(&weak), "{weak} is sent by default");
        assert!(!Rule::Zxcvbn.accepts("readiness-probe-1", weak), "zxcvbn refuses {weak}");
    }
    let first = run(probe(router.clone())).await;
    assert_status(&first, Status::Pass);
    let tried = DEFAULT_WEAK_PASSWORDS.len();
    assert_eq!(
        output(&first),
        format!("POST /api/signup refused all {tried} weak passwords, and accepted a strong one")
    );
    assert_eq!(first.outcome.evidence["strong password"], "accepted (201)");
    assert_eq!(first.outcome.evidence["as long as the strong one"], "refused (422)");
    let second = run(probe(router)).await;
    assert_status(&second, Status::Pass);

    // Each run left one account: the probe's, under a probe name, with a password of its own.
    let names = accounts.names();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().all(|name| name.starts_with("readiness-probe-")), "{names:?}");
    let passwords = accounts.passwords();
    assert_ne!(passwords[0], passwords[1], "every run's account has another password");
    for result in [&first, &second] {
        let shown = format!("{:?}", result.outcome);
        for password in &passwords {
            assert!(!shown.contains(password.as_str()), "the strong password is never shown: {shown}");
        }
    }
}

#[tokio::test]
async fn a_sign_up_whose_database_is_down_cannot_tell() {
    let (router, accounts) = app(Rule::Zxcvbn, false);
    let result = run(probe(router)).await;
    assert_status(&result, Status::Warn);
    let output = output(&result);
    assert!(
        output.starts_with(&format!(
            "cannot tell: POST /api/signup refused all {} weak passwords, but the strong password answered 503",
            DEFAULT_WEAK_PASSWORDS.len()
        )),
        "{output}"
    );
    assert_eq!(result.outcome.evidence["strong password"], "not judged (503)");
    assert!(accounts.names().is_empty());
}

#[tokio::test]
async fn a_fixed_user_name_is_taken_after_the_first_run_and_fails_with_the_fix() {
    let (router, accounts) = app(Rule::Zxcvbn, true);
    let fixed = || {
        PasswordPolicy::new(router.clone())
            .path("/api/signup")
            .template(json!({"username": "readiness-probe", "password": "<pw>"}))
            .strong_password(STRONG)
    };
    assert_status(&run(fixed()).await, Status::Pass);
    let again = run(fixed()).await;
    assert_status(&again, Status::Fail);
    assert!(output(&again).contains("the strong password answered 409 (the account exists"), "{}", output(&again));
    assert!(output(&again).contains("put <id> in the user name"), "{}", output(&again));
    assert_eq!(accounts.names(), ["readiness-probe"]);
}
