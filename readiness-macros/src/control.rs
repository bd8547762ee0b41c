//! `#[control("id", evidence = "…")]`: parse → validate → expand.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::{Item, LitStr};

use crate::attr::{Args, Errors, crate_path};
use crate::{emit, valid};

/// The validated attribute.
struct Control {
    id: String,
    evidence: String,
    item: String,
    krate: syn::Path,
}

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    match parse(args, &item) {
        Ok(control) => {
            let registration = register(&control);
            quote! { #item #registration }
        }
        // The item is emitted unchanged, so one mistake in the attribute gives one error.
        Err(error) => {
            let error = error.to_compile_error();
            quote! { #error #item }
        }
    }
}

fn parse(args: TokenStream, item: &TokenStream) -> syn::Result<Control> {
    let args: Args = syn::parse2(args)?;
    let mut errors = Errors::default();
    let keys = args.keys("#[control]", &["evidence", "catalog", "crate"], &mut errors);
    let get = |name: &str| keys.iter().find(|(key, _)| key == name).map(|(_, arg)| *arg);

    let catalog = get("catalog").and_then(|arg| errors.ok(arg.expect_str("\"orders\"")));
    let id = match args.positional.as_slice() {
        [] => {
            errors.spanned(
                Span::call_site(),
                "missing control id: write #[control(\"security.auth.rate-limiting\", evidence = \"…\")]",
            );
            None
        }
        [id, rest @ ..] => {
            for extra in rest {
                errors.spanned(extra.span(), "one control per attribute: repeat #[control(…)] for another control");
            }
            errors.ok(valid::control_id(id, catalog.is_some()))
        }
    };
    let evidence = match get("evidence") {
        Some(arg) => errors.ok(arg.expect_str("\"GovernorLayer: 50 req/s per client IP\"")).and_then(|lit: LitStr| {
            errors.ok(valid::non_empty(&lit, "evidence", "say how this item implements the control"))
        }),
        None => {
            errors.missing(Span::call_site(), "missing `evidence = \"…\"`: say how this item implements the control");
            None
        }
    };
    let krate = crate_path(get("crate"), &mut errors);
    let item = syn::parse2::<Item>(item.clone()).ok().as_ref().and_then(describe);
    if item.is_none() {
        errors.spanned(
            Span::call_site(),
            "#[control] goes on an item: a fn, struct, enum, union, trait, impl, mod, const, static or type alias",
        );
    }
    errors.finish()?;
    match (id, evidence, item) {
        (Some(id), Some(evidence), Some(item)) => Ok(Control { id, evidence, item, krate }),
        _ => Err(syn::Error::new(Span::call_site(), "invalid #[control] attribute")),
    }
}

/// `fn api_routes`, `struct Secrets`, `impl Display for Order`…
fn describe(item: &Item) -> Option<String> {
    let named = |kind: &str, ident: &syn::Ident| Some(format!("{kind} {ident}"));
    match item {
        Item::Fn(item) => named("fn", &item.sig.ident),
        Item::Struct(item) => named("struct", &item.ident),
        Item::Enum(item) => named("enum", &item.ident),
        Item::Union(item) => named("union", &item.ident),
        Item::Trait(item) => named("trait", &item.ident),
        Item::Mod(item) => named("mod", &item.ident),
        Item::Const(item) => named("const", &item.ident),
        Item::Static(item) => named("static", &item.ident),
        Item::Type(item) => named("type", &item.ident),
        Item::Impl(item) => {
            let self_ty = item.self_ty.to_token_stream().to_string();
            Some(match &item.trait_ {
                Some((_, path, _)) => format!("impl {} for {self_ty}", path.to_token_stream()),
                None => format!("impl {self_ty}"),
            })
        }
        _ => None,
    }
}

/// A name for the registration's const. Unnamed `const _` is not allowed among associated items,
/// so the const is named after the item, control and evidence, which keeps it unique in its scope.
fn const_name(control: &Control) -> syn::Ident {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (&control.id, &control.evidence, &control.item).hash(&mut hasher);
    let slug: String = control.item.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    quote::format_ident!("__readiness_control_{}_{:x}", slug, hasher.finish())
}

fn register(control: &Control) -> TokenStream {
    let Control { id, evidence, item, krate } = control;
    let private = quote!(#krate::__private);
    let name = const_name(control);
    let source = emit::static_source(&private);
    quote! {
        #[doc(hidden)]
        #[allow(dead_code, non_upper_case_globals)]
        const #name: () = {
            #private::inventory::submit! {
                #private::StaticItem::Control(#private::StaticControl {
                    id: #id,
                    evidence: #evidence,
                    item: #item,
                    source: #source,
                })
            }
        };
    }
}
