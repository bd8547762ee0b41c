//! Validation shared by the macros: control ids, durations, dates, check names.

use std::time::Duration;

use syn::LitStr;

use crate::attr::closest;

/// The control ids of the built-in catalogs. `readiness-core` has a test proving this file
/// equals its catalogs.
const BUILT_IN_IDS: &str = include_str!("control_ids.txt");

/// The namespace for ad-hoc controls.
const CUSTOM_PREFIX: &str = "x.";

fn built_in_ids() -> Vec<&'static str> {
    BUILT_IN_IDS.lines().map(str::trim).filter(|line| !line.is_empty()).collect()
}

fn is_slug_path(id: &str) -> bool {
    !id.is_empty()
        && id.split('.').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// A control id must be built in, in the `x.` namespace, or (with `in_user_catalog`) any dotted
/// slug, which `build()` checks against the catalogs added to the builder.
pub(crate) fn control_id(lit: &LitStr, in_user_catalog: bool) -> syn::Result<String> {
    let id = lit.value();
    if built_in_ids().contains(&id.as_str()) {
        return Ok(id);
    }
    if let Some(rest) = id.strip_prefix(CUSTOM_PREFIX) {
        if is_slug_path(rest) {
            return Ok(id);
        }
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "invalid custom control id `{id}`: after `x.` use dotted lowercase slugs such as `x.orders.idempotency`"
            ),
        ));
    }
    if in_user_catalog {
        if is_slug_path(&id) {
            return Ok(id);
        }
        return Err(syn::Error::new(
            lit.span(),
            format!("invalid control id `{id}`: use dotted lowercase slugs such as `orders.api.idempotency`"),
        ));
    }
    let ids = built_in_ids();
    let hint = closest(&id, &ids).map_or_else(
        || {
            "; custom controls go in the `x.` namespace (`x.my.control`) or name their catalog with `catalog = \"…\"`"
                .to_owned()
        },
        |near| format!("; did you mean `{near}`?"),
    );
    Err(syn::Error::new(lit.span(), format!("unknown control id `{id}`: not in the built-in catalogs{hint}")))
}

/// A duration such as `500ms`, `10s` or `365d`, parsed as the runtime parses it.
pub(crate) fn duration(lit: &LitStr, key: &str) -> syn::Result<Duration> {
    let text = lit.value();
    match humantime::parse_duration(&text) {
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

/// A `YYYY-MM-DD` date.
pub(crate) fn date(lit: &LitStr, key: &str) -> syn::Result<time::Date> {
    let text = lit.value();
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(&text, &format).map_err(|error| {
        syn::Error::new(
            lit.span(),
            format!("invalid date `{text}` for `{key}`: {error}; write YYYY-MM-DD, for example \"2026-09-14\""),
        )
    })
}

/// A check name: 1 to 128 bytes of `a-z A-Z 0-9 : _ - . /`, as `build()` requires.
pub(crate) fn check_name(lit: &LitStr) -> syn::Result<String> {
    let name = lit.value();
    let valid = (1..=128).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-' | b'.' | b'/'));
    if valid {
        Ok(name)
    } else {
        Err(syn::Error::new(
            lit.span(),
            format!(
                "invalid check name `{}`: use `component:measurement` with letters, digits and `:_-./`, at most 128 bytes",
                name.escape_debug()
            ),
        ))
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
