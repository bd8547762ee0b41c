//! `#[derive(Attest)]`: parse → validate → expand.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, LitStr, PathArguments, Type};

use crate::attr::{Args, Errors, crate_path};
use crate::{emit, valid};

const STRUCT_KEYS: &[&str] = &["control", "name", "crate"];
const FIELD_KEYS: &[&str] = &["env", "secret", "file", "min_len", "default"];

struct Field {
    ident: Ident,
    env: String,
    secret: bool,
    file: bool,
    min_len: u32,
    default: Option<String>,
    /// `Some(T)` for `Option<T>`: the field is optional.
    optional: Option<Type>,
    ty: Type,
}

struct Attest {
    ident: Ident,
    control: String,
    check_name: String,
    krate: syn::Path,
    fields: Vec<Field>,
}

/// A derive whose attributes are wrong: its errors, and where `readiness_core` is, for the
/// fallback.
struct Rejected {
    error: syn::Error,
    krate: syn::Path,
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    match parse(&input) {
        Ok(attest) => generate(&attest),
        // With the errors, `from_env()` and `Debug` still exist, so code using them compiles on:
        // one mistake in the attributes gives one error.
        Err(Rejected { error, krate }) => {
            let error = error.to_compile_error();
            let fallback = fallback(&input, &krate);
            quote! { #error #fallback }
        }
    }
}

/// `"<module path>::<Name>"`, the struct's path: it keys the struct's load record, so two
/// structs of the same name in different modules or crates never judge each other's load.
fn type_path(ident: &Ident) -> TokenStream {
    let name = ident.to_string();
    quote!(::core::concat!(::core::module_path!(), "::", #name))
}

fn attest_args(attrs: &[syn::Attribute], errors: &mut Errors) -> Vec<Args> {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("attest"))
        .filter_map(|attr| errors.ok(attr.parse_args::<Args>()))
        .collect()
}

fn parse(input: &DeriveInput) -> Result<Attest, Rejected> {
    let mut errors = Errors::default();
    let struct_args = attest_args(&input.attrs, &mut errors);
    let merged =
        Args { positional: Vec::new(), keyed: struct_args.iter().flat_map(|args| args.keyed.clone()).collect() };
    for args in &struct_args {
        for extra in &args.positional {
            errors.spanned(extra.span(), "write `#[attest(control = \"…\")]`");
        }
    }
    let keys = merged.keys("#[attest] on a struct", STRUCT_KEYS, &mut errors);
    let get = |name: &str| keys.iter().find(|(key, _)| key == name).map(|(_, arg)| *arg);
    let control = match get("control") {
        Some(arg) => errors
            .ok(arg.expect_str("\"security.data.secrets\""))
            .and_then(|lit| errors.ok(valid::control_id(&lit, false))),
        None => Some("security.data.secrets".to_owned()),
    };
    let check_name = match get("name") {
        Some(arg) => errors.ok(arg.expect_str("\"secrets:env\"")).and_then(|lit| errors.ok(valid::check_name(&lit))),
        None => Some(format!("attest:{}", input.ident)),
    };
    let krate = crate_path(get("crate"), &mut errors);
    if !input.generics.params.is_empty() {
        errors.spanned(input.generics.span(), "#[derive(Attest)] does not support generic structs");
    }

    let mut fields = Vec::new();
    match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => {
                for field in &named.named {
                    if let Some(parsed) = parse_field(field, &mut errors) {
                        if fields.iter().any(|known: &Field| known.env == parsed.env) {
                            errors.spanned(field.span(), format!("`{}` is read by two fields", parsed.env));
                        }
                        fields.push(parsed);
                    }
                }
            }
            _ => errors.spanned(input.ident.span(), "#[derive(Attest)] needs a struct with named fields"),
        },
        _ => errors.spanned(input.ident.span(), "#[derive(Attest)] needs a struct with named fields"),
    }
    if let Err(error) = errors.finish() {
        return Err(Rejected { error, krate });
    }
    match (control, check_name) {
        (Some(control), Some(check_name)) => {
            Ok(Attest { ident: input.ident.clone(), control, check_name, krate, fields })
        }
        _ => Err(Rejected { error: syn::Error::new(Span::call_site(), "invalid #[derive(Attest)]"), krate }),
    }
}

fn parse_field(field: &syn::Field, errors: &mut Errors) -> Option<Field> {
    let ident = field.ident.clone()?;
    let args = attest_args(&field.attrs, errors);
    if args.is_empty() {
        errors.spanned(ident.span(), format!("field `{ident}` needs `#[attest(env = \"NAME\")]`"));
        return None;
    }
    let merged = Args { positional: Vec::new(), keyed: args.iter().flat_map(|args| args.keyed.clone()).collect() };
    for args in &args {
        for extra in &args.positional {
            // Most likely the variable written without its key: the missing `env` is this error.
            errors.saw_unknown_key();
            errors.spanned(extra.span(), "write `#[attest(env = \"NAME\")]`");
        }
    }
    let keys = merged.keys("#[attest] on a field", FIELD_KEYS, errors);
    let get = |name: &str| keys.iter().find(|(key, _)| key == name).map(|(_, arg)| *arg);
    let env = match get("env") {
        Some(arg) => errors.ok(arg.expect_str("\"JWT_SECRET\"")).and_then(|lit: LitStr| {
            let name = lit.value();
            let valid = !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                && !name.as_bytes()[0].is_ascii_digit();
            if valid {
                Some(name)
            } else {
                errors.spanned(
                    lit.span(),
                    format!("invalid environment variable name `{}`: use A-Z, 0-9 and _", name.escape_debug()),
                );
                None
            }
        }),
        None => {
            errors.missing(ident.span(), format!("field `{ident}` needs `env = \"NAME\"`"));
            None
        }
    };
    let secret = get("secret").and_then(|arg| errors.ok(arg.expect_flag()).map(|()| true)).unwrap_or(false);
    let file = get("file").and_then(|arg| errors.ok(arg.expect_flag()).map(|()| true)).unwrap_or(false);
    let min_len = match get("min_len") {
        Some(arg) => {
            let value = errors.ok(arg.expect_u32()).map(|(value, _)| value);
            if !secret {
                errors.spanned(arg.key.span(), "`min_len` applies to `secret` fields");
            }
            value.unwrap_or(0)
        }
        None => 0,
    };
    let default = match get("default") {
        Some(arg) if secret => {
            errors.spanned(
                arg.key.span(),
                "a `secret` cannot have a `default`: a secret written in the source is not secret",
            );
            None
        }
        Some(arg) => errors.ok(arg.expect_str("\"8080\"")).map(|lit| lit.value()),
        None => None,
    };
    let optional = option_inner(&field.ty);
    if secret {
        let inner = optional.as_ref().unwrap_or(&field.ty);
        if !is_named(inner, "SecretString") {
            errors
                .spanned(field.ty.span(), "a `secret` field must be `secrecy::SecretString` or `Option<SecretString>`");
        }
    }
    if default.is_some() && optional.is_some() {
        errors.spanned(field.ty.span(), "an `Option` field cannot have a `default`: drop one of them");
    }
    Some(Field { ident, env: env?, secret, file, min_len, default, optional, ty: field.ty.clone() })
}

fn is_named(ty: &Type, name: &str) -> bool {
    matches!(ty, Type::Path(path) if path.path.segments.last().is_some_and(|last| last.ident == name))
}

fn option_inner(ty: &Type) -> Option<Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(generics) = &last.arguments else { return None };
    match generics.args.first()? {
        syn::GenericArgument::Type(inner) => Some(inner.clone()),
        _ => None,
    }
}

fn generate(attest: &Attest) -> TokenStream {
    let Attest { ident, control, check_name, krate, fields } = attest;
    let private = quote!(#krate::__private);
    let type_name = ident.to_string();
    let path = type_path(ident);
    let source = emit::static_source(&private);
    let loads = fields.iter().map(|field| {
        let Field { ident, env, secret, file, min_len, default, optional, ty } = field;
        let required = optional.is_none();
        let min_len = *min_len as usize;
        if *secret {
            quote!(let #ident = __loader.secret(#env, #file, #min_len, #required);)
        } else {
            let value_ty = optional.as_ref().unwrap_or(ty);
            let default = match default {
                Some(text) => quote!(::core::option::Option::Some(#text)),
                None => quote!(::core::option::Option::None),
            };
            quote!(let #ident = __loader.value::<#value_ty>(#env, #file, #default, #required);)
        }
    });
    let required: Vec<&Ident> =
        fields.iter().filter(|field| field.optional.is_none()).map(|field| &field.ident).collect();
    // `finish()` succeeded, so every required field is `Some`; unwrapping without a panic path.
    let unwrap_required = (!required.is_empty()).then(|| {
        quote! {
            let (#(::core::option::Option::Some(#required),)*) = (#(#required,)*) else {
                return ::core::result::Result::Err(#private::AttestLoader::incomplete(#path));
            };
        }
    });
    let names: Vec<&Ident> = fields.iter().map(|field| &field.ident).collect();
    let debug_fields = fields.iter().map(|field| {
        let name = field.ident.to_string();
        let ident = &field.ident;
        if field.secret { quote!(.field(#name, &#private::Redacted)) } else { quote!(.field(#name, &self.#ident)) }
    });
    let doc = format!(
        "Loads `{type_name}` from the environment, reporting every problem at once. Secrets are registered with the log masker, and the `{check_name}` check proves `{control}` from this load."
    );
    quote! {
        impl #ident {
            #[doc = #doc]
            ///
            /// # Errors
            ///
            /// Every missing, unparsable or weak value, without the values themselves.
            pub fn from_env() -> ::core::result::Result<Self, #private::AttestError> {
                let mut __loader = #private::AttestLoader::new(#path);
                #(#loads)*
                __loader.finish()?;
                #unwrap_required
                ::core::result::Result::Ok(Self { #(#names),* })
            }
        }

        impl ::core::fmt::Debug for #ident {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(#type_name) #(#debug_fields)* .finish()
            }
        }

        const _: () = {
            fn __readiness_registration() -> #private::CheckRegistration {
                #private::attest_check(#path, #check_name, #control)
            }
            #private::inventory::submit! {
                #private::StaticItem::Check(#private::StaticCheck {
                    name: #check_name,
                    register: __readiness_registration,
                    source: #source,
                })
            }
        };
    }
}

/// What a rejected derive emits beside its errors: `from_env()` with its real signature and a
/// `Debug` that shows no field, for any struct, enum or generics. It never reaches a binary
/// (the errors stop the build), and it loads nothing: `from_env()` returns an error.
fn fallback(input: &DeriveInput, krate: &syn::Path) -> TokenStream {
    let ident = &input.ident;
    let private = quote!(#krate::__private);
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let type_name = ident.to_string();
    let path = type_path(ident);
    quote! {
        impl #impl_generics #ident #type_generics #where_clause {
            /// Not generated: the `#[attest]` attributes are wrong (see the error beside them).
            ///
            /// # Errors
            ///
            /// Always.
            pub fn from_env() -> ::core::result::Result<Self, #private::AttestError> {
                ::core::result::Result::Err(#private::AttestLoader::incomplete(#path))
            }
        }

        impl #impl_generics ::core::fmt::Debug for #ident #type_generics #where_clause {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(#type_name).finish_non_exhaustive()
            }
        }
    }
}
