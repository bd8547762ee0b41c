//! `#[check(…)]` on an `async fn`: parse → validate → expand.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, ItemFn, PathArguments, ReturnType, Type};

use crate::attr::{Args, Errors, ListItem, crate_path};
use crate::{emit, valid};

const KEYS: &[&str] = &[
    "name",
    "controls",
    "kinds",
    "critical",
    "timeout",
    "interval",
    "initial_delay",
    "ttl",
    "fail_after",
    "pass_after",
    "component_type",
    "description",
    "crate",
];

/// How an argument of the function is supplied.
enum Injected {
    /// `State<T>`: the builder's state of type `T`.
    State(Box<Type>),
    /// `CheckContext`: the context itself.
    Context,
}

/// The validated attribute and function.
struct Check {
    name: String,
    controls: Vec<String>,
    kinds: Vec<syn::Ident>,
    critical: bool,
    durations: Vec<(&'static str, u64)>,
    counts: Vec<(&'static str, u32)>,
    texts: Vec<(&'static str, String)>,
    krate: syn::Path,
    function: syn::Ident,
    arguments: Vec<Injected>,
    output: Type,
}

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let function = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            let error = syn::Error::new(
                Span::call_site(),
                "#[check] goes on an `async fn` returning `Outcome` or `Result<Outcome, E>`",
            )
            .to_compile_error();
            return quote! { #error #item };
        }
    };
    match parse(args, &function) {
        Ok(check) => {
            let registration = register(&check);
            quote! { #function #registration }
        }
        Err(error) => {
            let error = error.to_compile_error();
            quote! { #error #function }
        }
    }
}

fn parse(args: TokenStream, function: &ItemFn) -> syn::Result<Check> {
    let args: Args = syn::parse2(args)?;
    let mut errors = Errors::default();
    for extra in &args.positional {
        errors.spanned(extra.span(), "write the check's name as `name = \"component:measurement\"`");
    }
    let keys = args.keys("#[check]", KEYS, &mut errors);
    let get = |name: &str| keys.iter().find(|(key, _)| key == name).map(|(_, arg)| *arg);

    let name = match get("name") {
        Some(arg) => errors.ok(arg.expect_str("\"db:connections\"")).and_then(|lit| errors.ok(valid::check_name(&lit))),
        None => {
            // A positional name was already reported with its fix.
            if args.positional.is_empty() {
                errors.missing(
                    Span::call_site(),
                    "missing `name = \"component:measurement\"`, for example `name = \"db:connections\"`",
                );
            }
            None
        }
    };
    let mut controls = Vec::new();
    if let Some(arg) = get("controls") {
        for item in errors.ok(arg.expect_list("controls(\"security.data.secrets\")")).unwrap_or_default() {
            match item {
                ListItem::Str(lit) => {
                    if let Some(id) = errors.ok(valid::control_id(&lit, false)) {
                        if controls.contains(&id) {
                            errors.spanned(lit.span(), format!("control `{id}` is listed twice"));
                        }
                        controls.push(id);
                    }
                }
                ListItem::Ident(ident) => {
                    errors.spanned(ident.span(), "control ids are strings: `controls(\"security.data.secrets\")`")
                }
            }
        }
    }
    let mut kinds = Vec::new();
    if let Some(arg) = get("kinds") {
        for item in errors.ok(arg.expect_list("kinds(readiness, startup)")).unwrap_or_default() {
            let known = ["liveness", "readiness", "startup"];
            match item {
                ListItem::Ident(ident) if known.contains(&ident.to_string().as_str()) => {
                    let variant = match ident.to_string().as_str() {
                        "liveness" => "Liveness",
                        "startup" => "Startup",
                        _ => "Readiness",
                    };
                    kinds.push(syn::Ident::new(variant, ident.span()));
                }
                other => errors.spanned(other.span(), "unknown kind: use `liveness`, `readiness` or `startup`"),
            }
        }
    }
    let critical = get("critical").and_then(|arg| errors.ok(arg.expect_bool_or_flag())).unwrap_or(false);
    let mut durations = Vec::new();
    for key in ["timeout", "interval", "initial_delay", "ttl"] {
        if let Some(arg) = get(key)
            && let Some(lit) = errors.ok(arg.expect_str("\"500ms\""))
            && let Some(duration) = errors.ok(valid::duration(&lit, key))
        {
            let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
            durations.push((key, nanos));
        }
    }
    if get("initial_delay").is_some() && get("interval").is_none() {
        errors.spanned(
            get("initial_delay").map_or(Span::call_site(), |arg| arg.key.span()),
            "`initial_delay` only applies to background checks: add `interval = \"…\"`",
        );
    }
    let mut counts = Vec::new();
    for key in ["fail_after", "pass_after"] {
        if let Some((value, _)) = get(key).and_then(|arg| errors.ok(arg.expect_u32())) {
            counts.push((key, value));
        }
    }
    let mut texts = Vec::new();
    for key in ["component_type", "description"] {
        if let Some(lit) = get(key).and_then(|arg| errors.ok(arg.expect_str("\"datastore\""))) {
            texts.push((key, lit.value()));
        }
    }
    let krate = crate_path(get("crate"), &mut errors);

    let signature = &function.sig;
    if signature.asyncness.is_none() {
        errors.spanned(signature.fn_token.span, "#[check] needs an `async fn`");
    }
    if !signature.generics.params.is_empty() || signature.generics.where_clause.is_some() {
        errors
            .spanned(signature.generics.span(), "a #[check] fn cannot be generic: its arguments are looked up by type");
    }
    if let Some(variadic) = &signature.variadic {
        errors.spanned(variadic.span(), "a #[check] fn cannot be variadic");
    }
    let mut arguments = Vec::new();
    for input in &signature.inputs {
        match input {
            FnArg::Receiver(receiver) => errors.spanned(
                receiver.span(),
                "a #[check] fn cannot take `self`: write a free function and give it state with `State<T>`",
            ),
            FnArg::Typed(typed) => match injected(&typed.ty) {
                Some(injected) => arguments.push(injected),
                None => errors.spanned(
                    typed.ty.span(),
                    "a #[check] argument must be `State<T>` (the builder's state of type T) or `CheckContext`",
                ),
            },
        }
    }
    let output = match &signature.output {
        ReturnType::Type(_, ty) => Some((**ty).clone()),
        ReturnType::Default => {
            errors.spanned(
                signature.ident.span(),
                "a #[check] fn must return `Outcome` or `Result<Outcome, E>` where `E: Display`",
            );
            None
        }
    };
    errors.finish()?;
    match (name, output) {
        (Some(name), Some(output)) => Ok(Check {
            name,
            controls,
            kinds,
            critical,
            durations,
            counts,
            texts,
            krate,
            function: signature.ident.clone(),
            arguments,
            output,
        }),
        _ => Err(syn::Error::new(Span::call_site(), "invalid #[check]")),
    }
}

/// `State<T>` (by its last path segment) or `CheckContext`.
fn injected(ty: &Type) -> Option<Injected> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident == "CheckContext" && last.arguments.is_none() {
        return Some(Injected::Context);
    }
    if last.ident != "State" {
        return None;
    }
    let PathArguments::AngleBracketed(generics) = &last.arguments else { return None };
    match generics.args.iter().collect::<Vec<_>>().as_slice() {
        [GenericArgument::Type(inner)] => Some(Injected::State(Box::new(inner.clone()))),
        _ => None,
    }
}

fn register(check: &Check) -> TokenStream {
    let Check { name, controls, kinds, critical, durations, counts, texts, krate, function, arguments, output } = check;
    let private = quote!(#krate::__private);
    let durations = durations.iter().map(|(key, nanos)| {
        let method = format_ident!("{key}");
        quote!(.#method(::core::time::Duration::from_nanos(#nanos)))
    });
    let counts = counts.iter().map(|(key, value)| {
        let method = format_ident!("{key}");
        quote!(.#method(#value))
    });
    let texts = texts.iter().map(|(key, value)| {
        let method = format_ident!("{key}");
        quote!(.#method(#value))
    });
    let critical = critical.then(|| quote!(.critical()));
    let source = emit::static_source(&private);
    let names: Vec<_> = (0..arguments.len()).map(|index| format_ident!("__readiness_arg{index}")).collect();
    let lookups = arguments.iter().zip(&names).map(|(argument, name)| match argument {
        Injected::State(ty) => quote_spanned! {ty.span()=>
            let #name = match __readiness_ctx.state::<#ty>() {
                ::core::result::Result::Ok(value) => value,
                ::core::result::Result::Err(missing) => {
                    return #private::Outcome::fail(::std::string::ToString::to_string(&missing));
                }
            };
        },
        Injected::Context => quote!(let #name = ::core::clone::Clone::clone(&__readiness_ctx);),
    });
    // Converted where the user wrote the return type, so a wrong one is reported there, once.
    let convert = quote_spanned! {output.span()=>
        #private::into_outcome::<#output>(__readiness_value)
    };
    quote! {
        const _: () = {
            fn __readiness_registration() -> #private::CheckRegistration {
                let spec = #private::CheckSpec::new(#name)
                    #(.control(#controls))*
                    #(.kind(#private::CheckKind::#kinds))*
                    #critical
                    #(#durations)*
                    #(#counts)*
                    #(#texts)*;
                #private::CheckRegistration::new(
                    spec,
                    #private::check_fn(|__readiness_ctx: #private::CheckContext| async move {
                        #(#lookups)*
                        let __readiness_value: #output = #function(#(#names),*).await;
                        #convert
                    }),
                )
            }
            #private::inventory::submit! {
                #private::StaticItem::Check(#private::StaticCheck {
                    name: #name,
                    register: __readiness_registration,
                    source: #source,
                })
            }
        };
    }
}
