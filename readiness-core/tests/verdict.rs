//! Verdicts and levels: a profile applied to a report, the ladder, `assert_ready!`, and the
//! level in every output.

use std::time::Duration;

use readiness_core::attestation::{AttestationState, Declaration, OperatorAttestation};
use readiness_core::output::{checklist, health_json, html, prometheus};
use readiness_core::{BuildProblem, CheckSpec, Outcome, Profile, Verdict, assert_ready, catalog};
use time::OffsetDateTime;

fn ladder() -> Profile {
    Profile::new("ladder")
        .level("bronze")
        .require_control("security.data.secrets")
        .require_control("security.data.tls-in-transit")
        .level("silver")
        .require_group("security.auth")
        .level("gold")
        .require_catalog("requirements")
}

#[tokio::test]
async fn a_failing_check_keeps_a_service_below_the_level_that_requires_it() {
    let readiness = readiness_core::testing::builder()
        .profile(ladder())
        .declare(Declaration::new("security.data.secrets", "env"))
        .check_fn(CheckSpec::new("db:tls").control("security.data.tls-in-transit"), |_| async {
            Outcome::fail("ssl is off for this session")
        })
        .build()
        .unwrap();
    let verdict = readiness.verdict().await;
    assert!(!verdict.met);
    assert_eq!(verdict.level, None, "bronze needs tls-in-transit, which fails");
    assert_eq!(verdict.next_level.as_deref(), Some("bronze"));
    let tls = &verdict.unmet[0];
    assert_eq!(
        (tls.control.as_str(), tls.state, tls.level.as_deref()),
        ("security.data.tls-in-transit", AttestationState::Failing, Some("bronze"))
    );
    assert!(tls.reason.contains("ssl is off for this session"), "{}", tls.reason);
    assert!(tls.fix.contains("`db:tls`"), "{}", tls.fix);
    // Lowest level first: bronze's unmet control before silver's and gold's.
    let levels: Vec<Option<&str>> = verdict.unmet.iter().map(|unmet| unmet.level.as_deref()).collect();
    let mut sorted = levels.clone();
    sorted.sort_by_key(|level| ["bronze", "silver", "gold"].iter().position(|name| Some(*name) == *level));
    assert_eq!(levels, sorted);
    assert_eq!(verdict.levels.iter().map(|level| level.reached).collect::<Vec<_>>(), [false, false, false]);
    // Reaching silver without bronze is not reaching silver.
    assert!(
        verdict.summary().contains("no level reached, bronze needs 1 more: security.data.tls-in-transit"),
        "{}",
        verdict.summary()
    );
}

#[tokio::test]
async fn each_level_is_reached_when_it_and_every_level_below_are_satisfied() {
    let mut builder = readiness_core::testing::builder()
        .profile(ladder())
        .declare(Declaration::new("security.data.secrets", "env"))
        .declare(Declaration::new("security.data.tls-in-transit", "rustls"));
    for control in catalog::built_in().iter().flat_map(|c| c.controls()).filter(|c| c.id.starts_with("security.auth."))
    {
        builder = builder.declare(Declaration::new(control.id.to_string(), "done"));
    }
    let readiness = builder.build().unwrap();
    let verdict = readiness.verdict().await;
    assert_eq!(verdict.level.as_deref(), Some("silver"));
    assert_eq!(verdict.next_level.as_deref(), Some("gold"));
    assert!(!verdict.met);
    assert!(
        verdict
            .unmet
            .iter()
            .all(|unmet| unmet.level.as_deref() == Some("gold") && unmet.state == AttestationState::Missing)
    );
    assert_eq!(verdict.next_level_needs().count(), 8, "the eight `requirements` steps");
    // The same service against the ladder cut at silver: met.
    let silver = ladder().up_to("silver").unwrap();
    let report = readiness.checklist().await;
    let cut = Verdict::of(&silver, &report);
    assert!(cut.met, "{cut}");
    assert_eq!(cut.profile, "ladder@silver");
    assert_eq!(cut.level.as_deref(), Some("silver"));
    assert_eq!(cut.next_level, None);
    // A served verdict cut at a level says what the cut profile says, without the profile.
    for level in ["bronze", "silver", "gold"] {
        let expected = Verdict::of(&ladder().up_to(level).unwrap(), &report);
        assert_eq!(verdict.up_to(level).unwrap(), expected, "cut at {level}");
    }
    let below = Verdict::of(
        &ladder(),
        &readiness_core::testing::builder().profile(ladder()).build().unwrap().checklist().await,
    );
    for level in ["bronze", "silver", "gold"] {
        let expected = Verdict::of(
            &ladder().up_to(level).unwrap(),
            &readiness_core::testing::builder().profile(ladder()).build().unwrap().checklist().await,
        );
        assert_eq!(below.up_to(level).unwrap(), expected, "nothing declared, cut at {level}");
    }
    assert_eq!(
        verdict.up_to("platinum").unwrap_err().to_string(),
        "profile `ladder` has no level `platinum` (its levels: bronze, silver, gold)"
    );
    let unknown = ladder().up_to("platinum").unwrap_err();
    assert_eq!(unknown.to_string(), "profile `ladder` has no level `platinum` (its levels: bronze, silver, gold)");
}

#[tokio::test]
async fn an_expired_attestation_is_unmet_with_a_renewal_hint() {
    let today = OffsetDateTime::now_utc().date();
    let readiness = readiness_core::testing::builder()
        .profile(Profile::new("qa").require_control("testing.qa.security"))
        .attest(OperatorAttestation {
            control: "testing.qa.security".into(),
            by: "AppSec".into(),
            on: today - time::Duration::days(380),
            valid_for: Duration::from_secs(365 * 86_400),
            evidence: "https://wiki.example/pentest".into(),
        })
        .build()
        .unwrap();
    let verdict = readiness.verdict().await;
    assert!(!verdict.met);
    assert_eq!(verdict.unmet[0].state, AttestationState::Expired);
    assert!(verdict.unmet[0].reason.contains("attestation by AppSec expired"), "{}", verdict.unmet[0].reason);
    assert!(verdict.unmet[0].fix.contains("renew"), "{}", verdict.unmet[0].fix);
    assert!(verdict.levels.is_empty() && verdict.level.is_none(), "a flat profile has no levels");
}

#[tokio::test]
async fn a_warning_does_not_make_a_control_unmet_but_shows_in_the_reason_when_unmet() {
    let readiness = readiness_core::testing::builder()
        .profile(Profile::new("p").require_control("security.data.secrets").require_control("security.network.ports"))
        .declare(Declaration::new("security.data.secrets", "env"))
        .check_fn(CheckSpec::new("secrets:env").control("security.data.secrets"), |_| async {
            Outcome::warn("one secret is short")
        })
        .check_fn(CheckSpec::new("net:ports").control("security.network.ports"), |_| async {
            Outcome::warn("cannot tell: no /proc")
        })
        .build()
        .unwrap();
    let verdict = readiness.verdict().await;
    assert_eq!(verdict.satisfied, 1, "declared with a warning still satisfies");
    assert_eq!(verdict.unmet.len(), 1);
    assert_eq!(verdict.unmet[0].control, "security.network.ports");
    assert!(verdict.unmet[0].reason.contains("cannot tell: no /proc"), "{}", verdict.unmet[0].reason);
}

#[test]
fn a_profile_naming_an_unknown_catalog_group_or_control_is_a_build_error() {
    let error = readiness_core::testing::builder()
        .profile(
            Profile::new("typo")
                .level("bronze")
                .require_catalog("osbg")
                .require_group("security.auht")
                .require_control("security.data.secretz"),
        )
        .build()
        .unwrap_err();
    let problems = error.problems();
    assert!(
        problems.iter().any(|p| matches!(p, BuildProblem::UnknownCatalog { id, .. } if id == "osbg")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| matches!(p, BuildProblem::UnknownGroup { group, .. } if group == "security.auht")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| matches!(p, BuildProblem::UnknownControl { id, .. } if id == "security.data.secretz")),
        "{problems:?}"
    );
    // A group must be a whole id segment: `security.au` is not `security.auth`.
    let error =
        readiness_core::testing::builder().profile(Profile::new("p").require_group("security.au")).build().unwrap_err();
    assert!(matches!(error.problems()[0], BuildProblem::UnknownGroup { .. }));
}

#[test]
fn a_profile_read_from_a_document_names_what_the_service_does_not_hold() {
    let profile: Profile = serde_json::from_value(serde_json::json!({
        "name": "team",
        "catalogs": ["nope"],
        "groups": ["security.nothing"],
        "controls": ["security.data.secrets", "security.data.secretz"],
        "levels": [{"name": "one", "controls": ["security.auth.rbac"]}],
    }))
    .unwrap();
    let controls: Vec<_> = catalog::built_in().iter().flat_map(|c| c.controls()).cloned().collect();
    assert_eq!(
        profile.unknown_names(&controls),
        ["catalog `nope`", "group `security.nothing`", "control `security.data.secretz`"]
    );
    assert!(Profile::levels().unknown_names(&controls).is_empty());
    // The built-in ladder survives a round trip through its written form.
    let written = serde_json::to_value(Profile::levels()).unwrap();
    assert_eq!(written["levels"][0]["name"], "bronze");
    assert_eq!(serde_json::from_value::<Profile>(written).unwrap(), Profile::levels());
    // Repeated levels and empty names are refused with the reason.
    let twice = serde_json::json!({"name": "t", "levels": [{"name": "a"}, {"name": "a"}]});
    let error = serde_json::from_value::<Profile>(twice).unwrap_err().to_string();
    assert!(error.contains("level `a` is given twice"), "{error}");
    assert!(serde_json::from_value::<Profile>(serde_json::json!({"name": " "})).is_err());
}

#[test]
fn the_built_in_ladder_is_nested_and_its_top_is_production() {
    let levels = Profile::levels();
    let production = Profile::production();
    let controls: Vec<_> = catalog::built_in().iter().flat_map(|c| c.controls().to_vec()).collect();
    for control in &controls {
        assert_eq!(levels.requires(control), production.requires(control), "{}", control.id);
    }
    let at = |name: &str| controls.iter().filter(|c| levels.level_of(c) == Some(name)).count();
    assert_eq!(at("bronze"), 10);
    assert!(at("silver") > 20, "{}", at("silver"));
    let bronze = levels.up_to("bronze").unwrap();
    assert_eq!(controls.iter().filter(|c| bronze.requires(c)).count(), 10);
    assert!(
        Profile::named("levels").is_some()
            && Profile::named("production").is_some()
            && Profile::named("gold").is_none()
    );
    readiness_core::testing::builder().profile(levels).build().expect("the built-in ladder names only known ids");
}

#[tokio::test]
async fn every_output_reports_the_level_and_what_the_next_one_needs() {
    let readiness = readiness_core::testing::builder()
        .profile(ladder())
        .declare(Declaration::new("security.data.secrets", "env"))
        .declare(Declaration::new("security.data.tls-in-transit", "rustls"))
        .build()
        .unwrap();
    let report = readiness.checklist().await;
    let json = checklist::json(&report);
    assert_eq!(json["verdict"]["level"], "bronze");
    assert_eq!(json["verdict"]["next_level"], "silver");
    assert_eq!(json["verdict"]["met"], false);
    assert_eq!(json["verdict"]["unmet"][0]["level"], "silver");
    // The document reads back as a verdict (what the CLI does).
    let back: Verdict = serde_json::from_value(json["verdict"].clone()).unwrap();
    assert_eq!(Some(&back), report.verdict.as_ref());
    let markdown = checklist::markdown(&report);
    assert!(markdown.contains("level bronze reached, silver needs 5 more: security.auth.jwt-validation"), "{markdown}");
    let page = html::render(&report);
    assert!(page.contains("level bronze reached, silver needs 5 more"), "{page}");
    let metrics = prometheus::render(&readiness.snapshot().await);
    assert!(metrics.contains(r#"readiness_level_reached{profile="ladder",level="bronze"} 1"#), "{metrics}");
    assert!(metrics.contains(r#"readiness_level_reached{profile="ladder",level="silver"} 0"#), "{metrics}");
    assert!(metrics.contains(r#"readiness_level_unmet_controls{profile="ladder",level="silver"} 5"#), "{metrics}");
    assert!(metrics.contains(r#"readiness_levels_reached{profile="ladder"} 1"#), "{metrics}");
    assert!(metrics.contains(r#"readiness_profile_met{profile="ladder"} 0"#), "{metrics}");
    // health+json: a note, for the person reading the readiness answer.
    let health = readiness.readiness().await;
    assert!(
        health.notes.iter().any(|note| note.contains("level bronze reached, silver needs 5 more")),
        "{:?}",
        health.notes
    );
    let body = health_json::render(&health, readiness_core::output::Disclosure::Minimal);
    assert!(body.to_string().contains("level bronze reached"), "{body}");
    // Liveness says nothing about the profile: it must stay cheap and independent.
    assert!(readiness.liveness().await.notes.is_empty());
}

#[tokio::test]
async fn assert_ready_passes_a_ready_service_and_prints_the_unmet_table_otherwise() {
    let readiness = readiness_core::testing::builder()
        .profile(Profile::new("secrets").require_control("security.data.secrets"))
        .declare(Declaration::new("security.data.secrets", "env"))
        .build()
        .unwrap();
    assert_ready!(readiness);
    assert_ready!(&readiness, Profile::new("none"));
    let failure = tokio::spawn(async move { assert_ready!(readiness, Profile::levels()) }).await.unwrap_err();
    let message = *failure.into_panic().downcast::<String>().unwrap();
    assert!(message.starts_with("service 0.0.0 is not ready\n"), "{message}");
    assert!(message.contains("profile `levels` not met: 1 of "), "{message}");
    assert!(message.contains("CONTROL"), "{message}");
    assert!(message.contains("security.data.log-masking"), "{message}");
    assert!(message.contains("fix: declare it on the code that implements it"), "{message}");
}

#[tokio::test]
async fn assert_ready_fails_a_service_whose_critical_check_fails_even_when_the_profile_is_met() {
    let readiness = readiness_core::testing::builder()
        .check_fn(CheckSpec::new("db:ping").critical(), |_| async { Outcome::fail("connection refused") })
        .build()
        .unwrap();
    let failure = tokio::spawn(async move { assert_ready!(readiness) }).await.unwrap_err();
    let message = *failure.into_panic().downcast::<String>().unwrap();
    assert!(message.contains("readiness fails:\n  db:ping: connection refused"), "{message}");
}

#[tokio::test(start_paused = false)]
async fn assert_ready_waits_for_a_background_checks_first_result() {
    let readiness = readiness_core::testing::builder()
        .profile(Profile::new("p").require_control("security.data.secrets"))
        .check_fn(
            CheckSpec::new("secrets:env")
                .control("security.data.secrets")
                .interval(Duration::from_secs(60))
                .initial_delay(Duration::from_millis(300)),
            |_| async { Outcome::pass() },
        )
        .build()
        .unwrap();
    // Right after start the check has not run: the control would be missing.
    assert_eq!(
        readiness.checklist().await.control("security.data.secrets").unwrap().attestation,
        AttestationState::Missing
    );
    assert_ready!(readiness);
}

#[tokio::test]
async fn the_page_says_what_is_next_and_pictures_each_section_in_words_too() {
    let readiness = readiness_core::testing::builder()
        .profile(ladder())
        .declare(Declaration::new("security.data.secrets", "env"))
        .check_fn(CheckSpec::new("db:tls").control("security.data.tls-in-transit"), |_| async {
            Outcome::fail("ssl is <off>")
        })
        .build()
        .unwrap();
    let page = html::render(&readiness.settled_checklist().await);
    let next = &page[page.find("<h2 id=\"next\">").unwrap()..page.find("<h2 id=\"by-section\">").unwrap()];
    assert!(next.contains("What&#39;s next: 1 more for bronze"), "{next}");
    assert!(next.contains("<a href=\"#security.data.tls-in-transit\">"), "{next}");
    assert!(
        next.contains("ssl is &lt;off&gt;") && next.contains("<strong>Fix:</strong> make the failing check pass"),
        "{next}"
    );
    let pictures = &page[page.find("<h2 id=\"by-section\">").unwrap()..];
    // Each bar has a text alternative, and the same counts are written beside it.
    let security = pictures.lines().find(|line| line.contains("<th scope=\"row\">osgb / Security</th>")).unwrap();
    assert!(security.contains("<title id=\"bar-0\">osgb / Security: 1 declared, 1 failing,"), "{security}");
    assert!(security.contains("</svg></td><td>1 declared, 1 failing,"), "{security}");
    assert_eq!(security.matches("<rect ").count(), 3, "declared, failing, missing: {security}");
}
