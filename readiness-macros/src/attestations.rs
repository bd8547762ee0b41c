//! `attestations! { "id" => { by, on, valid_for, evidence }, "id" => waived { reason, until } }`:
//! parse → validate → expand.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitStr, Token};

use crate::attr::{Errors, closest};
use crate::{emit, valid};

/// `key: "value"`.
struct Field {
    key: Ident,
    value: LitStr,
}

impl Parse for Field {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key = input.call(Ident::parse_any)?;
        input.parse::<Token![:]>()?;
        let value = input
            .parse()
            .map_err(|error| syn::Error::new(error.span(), format!("`{key}` takes a string: `{key}: \"…\"`")))?;
        Ok(Field { key, value })
    }
}

/// `"id" => [waived] { fields }`.
struct Entry {
    id: LitStr,
    waived: Option<Ident>,
    brace: Span,
    fields: Vec<Field>,
}

impl Parse for Entry {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let id: LitStr = input.parse().map_err(|error| {
            syn::Error::new(error.span(), "expected a control id string: `\"testing.qa.security\" => { … }`")
        })?;
        input.parse::<Token![=>]>()?;
        let waived = if input.peek(Ident) {
            let word: Ident = input.parse()?;
            if word != "waived" {
                return Err(syn::Error::new(
                    word.span(),
                    "expected `{ by: …, on: …, valid_for: …, evidence: … }` or `waived { reason: …, until: … }`",
                ));
            }
            Some(word)
        } else {
            None
        };
        let content;
        let brace = syn::braced!(content in input);
        let fields = Punctuated::<Field, Token![,]>::parse_terminated(&content)?.into_iter().collect();
        Ok(Entry { id, waived, brace: brace.span.join(), fields })
    }
}

/// `crate = path;` (optional) then the entries.
struct Input {
    krate: Option<syn::Path>,
    entries: Vec<Entry>,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let krate = if input.peek(Token![crate]) && input.peek2(Token![=]) {
            input.parse::<Token![crate]>()?;
            input.parse::<Token![=]>()?;
            let path = input.parse()?;
            input.parse::<Token![;]>()?;
            Some(path)
        } else {
            None
        };
        let entries = Punctuated::<Entry, Token![,]>::parse_terminated(input)?.into_iter().collect();
        Ok(Input { krate, entries })
    }
}

enum Record {
    Attested { id: String, by: String, on: String, valid_for: String, evidence: String },
    Waived { id: String, reason: String, until: String },
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    match parse(input) {
        Ok((krate, records)) => generate(&krate, &records),
        Err(error) => error.to_compile_error(),
    }
}

fn parse(input: TokenStream) -> syn::Result<(syn::Path, Vec<Record>)> {
    let Input { krate, entries } = syn::parse2(input)?;
    let mut errors = Errors::default();
    let mut seen: Vec<String> = Vec::new();
    let mut records = Vec::new();
    for entry in &entries {
        let id = errors.ok(valid::control_id(&entry.id, false));
        if let Some(id) = &id {
            if seen.contains(id) {
                errors.spanned(entry.id.span(), format!("control `{id}` is listed twice"));
            }
            seen.push(id.clone());
        }
        let allowed: &[&str] =
            if entry.waived.is_some() { &["reason", "until"] } else { &["by", "on", "valid_for", "evidence"] };
        let mut values: Vec<(String, &LitStr)> = Vec::new();
        for field in &entry.fields {
            let key = field.key.unraw().to_string();
            if !allowed.contains(&key.as_str()) {
                errors.saw_unknown_key();
                let hint = closest(&key, allowed).map_or_else(String::new, |near| format!(" (did you mean `{near}`?)"));
                errors.spanned(
                    field.key.span(),
                    format!("unknown key `{key}`{hint}; expected one of: {}", allowed.join(", ")),
                );
            } else if values.iter().any(|(known, _)| *known == key) {
                errors.spanned(field.key.span(), format!("duplicate key `{key}`"));
            } else {
                values.push((key, &field.value));
            }
        }
        let mut take = |key: &str, what: &str| -> Option<String> {
            match values.iter().find(|(known, _)| known == key) {
                Some((_, lit)) => errors.ok(valid::non_empty(lit, key, what)),
                None => {
                    errors.missing(entry.brace, format!("missing `{key}`: {what}"));
                    None
                }
            }
        };
        let record = if entry.waived.is_some() {
            let reason = take("reason", "say why the control is not needed");
            let until = take("until", "the last day the waiver holds, YYYY-MM-DD");
            let until_ok = values
                .iter()
                .find(|(key, _)| key == "until")
                .and_then(|(_, lit)| errors.ok(valid::date(lit, "until").map(drop)));
            match (id, reason, until, until_ok) {
                (Some(id), Some(reason), Some(until), Some(_)) => Some(Record::Waived { id, reason, until }),
                _ => None,
            }
        } else {
            let by = take("by", "who attests (a person or a team)");
            let on = take("on", "the day of the attestation, YYYY-MM-DD");
            let valid_for = take("valid_for", "how long it holds, for example \"365d\"");
            let evidence = take("evidence", "a link or reference to the evidence");
            let on_ok =
                values.iter().find(|(key, _)| key == "on").and_then(|(_, lit)| errors.ok(valid::attestation_day(lit)));
            let valid_ok = values
                .iter()
                .find(|(key, _)| key == "valid_for")
                .and_then(|(_, lit)| errors.ok(valid::duration(lit, "valid_for")));
            match (id, by, on, valid_for, evidence, on_ok, valid_ok) {
                (Some(id), Some(by), Some(on), Some(valid_for), Some(evidence), Some(_), Some(_)) => {
                    Some(Record::Attested { id, by, on, valid_for, evidence })
                }
                _ => None,
            }
        };
        records.extend(record);
    }
    errors.finish()?;
    Ok((krate.unwrap_or_else(|| syn::parse_quote!(::readiness_core)), records))
}

fn generate(krate: &syn::Path, records: &[Record]) -> TokenStream {
    let private = quote!(#krate::__private);
    let source = emit::static_source(&private);
    let items = records.iter().map(|record| match record {
        Record::Attested { id, by, on, valid_for, evidence } => quote! {
            #private::inventory::submit! {
                #private::StaticItem::Attestation(#private::StaticAttestation {
                    control: #id, by: #by, on: #on, valid_for: #valid_for, evidence: #evidence, source: #source,
                })
            }
        },
        Record::Waived { id, reason, until } => quote! {
            #private::inventory::submit! {
                #private::StaticItem::Waiver(#private::StaticWaiver {
                    control: #id, reason: #reason, until: #until, source: #source,
                })
            }
        },
    });
    quote! { const _: () = { #(#items)* }; }
}
