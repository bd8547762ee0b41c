//! Validation shared by the macros: control ids, durations, dates, check names. The rules
//! themselves live in `readiness-rules`, which the runtime applies too; this module only turns
//! a broken rule into a compile error at the offending literal.

use std::time::Duration;

use readiness_rules::{CHECK_NAME_RULE, CUSTOM_PREFIX, DATE_FORMAT_HINT};
use syn::LitStr;

use crate::attr::closest;

/// A control id must be built in, in the `x.` namespace, or (with `in_user_catalog`) any dotted
/// slug, which `build()` checks against the catalogs added to the builder.
pub(crate) fn control_id(lit: &LitStr, in_user_catalog: bool) -> syn::Result<String> {
    let id = lit.value();
    if readiness_rules::is_built_in_control(&id) || readiness_rules::is_custom_id(&id) {
        return Ok(id);
    }
    if id.starts_with(CUSTOM_PREFIX) {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "invalid custom control id `{id}`: after `{CUSTOM_PREFIX}` use dotted lowercase slugs such as `{CUSTOM_PREFIX}orders.idempotency`"
            ),
        ));
    }
    if in_user_catalog {
        if readiness_rules::is_slug_path(&id) {
            return Ok(id);
        }
        return Err(syn::Error::new(
            lit.span(),
            format!("invalid control id `{id}`: use dotted lowercase slugs such as `orders.api.idempotency`"),
        ));
    }
    let owned: Vec<String> = readiness_rules::built_in_control_ids().collect();
    let ids: Vec<&str> = owned.iter().map(String::as_str).collect();
    let hint = closest(&id, &ids).map_or_else(
        || {
            format!(
                "; custom controls go in the `{CUSTOM_PREFIX}` namespace (`{CUSTOM_PREFIX}my.control`) or name their catalog with `catalog = \"…\"`"
            )
        },
        |near| format!("; did you mean `{near}`?"),
    );
    Err(syn::Error::new(lit.span(), format!("unknown control id `{id}`: not in the built-in catalogs{hint}")))
}

/// A duration such as `500ms`, `10s` or `365d`, parsed as the runtime parses it.
pub(crate) fn duration(lit: &LitStr, key: &str) -> syn::Result<Duration> {
    let text = lit.value();
    match readiness_rules::parse_duration(&text) {
        Ok(duration) if duration.is_zero() => Err(syn::Error::new(lit.span(), format!("`{key}` must be above zero"))),
        Ok(duration) => Ok(duration),
        Err(error) => Err(syn::Error::new(
            lit.span(),
            format!(
                "invalid duration `{text}` for `{key}`: {error}; write for example \"500ms\", \"10s\", \"2h\" or \"365d\""
            ),
        )),
    }
}

/// A `YYYY-MM-DD` date, parsed as the runtime parses it. Only its validity matters here: the
/// expansion passes the text on.
pub(crate) fn date(lit: &LitStr, key: &str) -> syn::Result<readiness_rules::Date> {
    let text = lit.value();
    readiness_rules::parse_date(&text).map_err(|error| {
        syn::Error::new(lit.span(), format!("invalid date `{text}` for `{key}`: {error}; write {DATE_FORMAT_HINT}"))
    })
}

/// The day of an attestation: a date, and not after today (UTC) when the macro expands, as
/// `build()` requires at run time.
pub(crate) fn attestation_day(lit: &LitStr) -> syn::Result<()> {
    let day = date(lit, "on")?;
    let today = readiness_rules::today_utc();
    if day > today {
        return Err(syn::Error::new(
            lit.span(),
            // Today's date stays out of the message: it would change the error every day.
            format!("the attestation is dated {day}, after today: attest what has been done, on the day it was"),
        ));
    }
    Ok(())
}

/// A check name, by the rule `build()` applies.
pub(crate) fn check_name(lit: &LitStr) -> syn::Result<String> {
    let name = lit.value();
    if readiness_rules::is_valid_check_name(&name) {
        Ok(name)
    } else {
        Err(syn::Error::new(lit.span(), format!("invalid check name `{}`: {CHECK_NAME_RULE}", name.escape_debug())))
    }
}

/// A non-empty string.
pub(crate) fn non_empty(lit: &LitStr, key: &str, what: &str) -> syn::Result<String> {
    let value = lit.value();
    if value.trim().is_empty() {
        Err(syn::Error::new(lit.span(), format!("`{key}` must not be empty: {what}")))
    } else {
        Ok(value)
    }
}
