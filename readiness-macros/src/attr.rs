//! Attribute arguments, parsed once for every macro: `"positional"`, `flag`, `key = "value"`,
//! `key = 3`, `key = true`, `key(a, b)` and `key("a", "b")`, separated by commas.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitBool, LitInt, LitStr, Token};

/// One value of a list argument.
#[derive(Clone)]
pub(crate) enum ListItem {
    Ident(Ident),
    Str(LitStr),
}

impl ListItem {
    pub(crate) fn span(&self) -> Span {
        match self {
            ListItem::Ident(ident) => ident.span(),
            ListItem::Str(lit) => lit.span(),
        }
    }
}

impl Parse for ListItem {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(LitStr) {
            Ok(ListItem::Str(input.parse()?))
        } else {
            Ok(ListItem::Ident(input.call(Ident::parse_any)?))
        }
    }
}

/// The value of a keyed argument.
#[derive(Clone)]
pub(crate) enum Value {
    Flag,
    Str(LitStr),
    Int(LitInt),
    Bool(LitBool),
    List(Vec<ListItem>),
}

/// `key`, `key = value` or `key(items)`.
#[derive(Clone)]
pub(crate) struct Arg {
    pub(crate) key: Ident,
    pub(crate) value: Value,
}

impl Arg {
    pub(crate) fn name(&self) -> String {
        self.key.unraw().to_string()
    }

    fn value_span(&self) -> Span {
        match &self.value {
            Value::Flag => self.key.span(),
            Value::Str(lit) => lit.span(),
            Value::Int(lit) => lit.span(),
            Value::Bool(lit) => lit.span(),
            Value::List(items) => items.first().map_or(self.key.span(), ListItem::span),
        }
    }

    pub(crate) fn expect_str(&self, example: &str) -> syn::Result<LitStr> {
        match &self.value {
            Value::Str(lit) => Ok(lit.clone()),
            _ => Err(syn::Error::new(
                self.value_span(),
                format!("`{}` takes a string: `{} = {example}`", self.name(), self.name()),
            )),
        }
    }

    pub(crate) fn expect_flag(&self) -> syn::Result<()> {
        match &self.value {
            Value::Flag => Ok(()),
            _ => Err(syn::Error::new(self.value_span(), format!("`{}` is a flag and takes no value", self.name()))),
        }
    }

    pub(crate) fn expect_u32(&self) -> syn::Result<(u32, Span)> {
        match &self.value {
            Value::Int(lit) => {
                let value = lit.base10_parse::<u32>()?;
                if value == 0 {
                    return Err(syn::Error::new(lit.span(), format!("`{}` must be at least 1", self.name())));
                }
                Ok((value, lit.span()))
            }
            _ => Err(syn::Error::new(
                self.value_span(),
                format!("`{}` takes a whole number: `{} = 3`", self.name(), self.name()),
            )),
        }
    }

    pub(crate) fn expect_bool_or_flag(&self) -> syn::Result<bool> {
        match &self.value {
            Value::Flag => Ok(true),
            Value::Bool(lit) => Ok(lit.value),
            _ => Err(syn::Error::new(
                self.value_span(),
                format!("`{}` is a flag: write `{}` or `{} = false`", self.name(), self.name(), self.name()),
            )),
        }
    }

    pub(crate) fn expect_list(&self, example: &str) -> syn::Result<Vec<ListItem>> {
        match &self.value {
            Value::List(items) if !items.is_empty() => Ok(items.clone()),
            Value::List(_) => {
                Err(syn::Error::new(self.key.span(), format!("`{}` needs at least one item: `{example}`", self.name())))
            }
            _ => Err(syn::Error::new(self.value_span(), format!("`{}` takes a list: `{example}`", self.name()))),
        }
    }
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        // `crate` is a keyword; every key is parsed as an identifier of any kind.
        let key = input.call(Ident::parse_any)?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            if input.peek(LitStr) {
                Value::Str(input.parse()?)
            } else if input.peek(LitInt) {
                Value::Int(input.parse()?)
            } else if input.peek(LitBool) {
                Value::Bool(input.parse()?)
            } else {
                return Err(input.error(format!("expected a string, a number or `true`/`false` after `{key} =`")));
            }
        } else if input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            Value::List(Punctuated::<ListItem, Token![,]>::parse_terminated(&content)?.into_iter().collect())
        } else {
            Value::Flag
        };
        Ok(Arg { key, value })
    }
}

/// All the arguments of one attribute.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) positional: Vec<LitStr>,
    pub(crate) keyed: Vec<Arg>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            if input.peek(LitStr) {
                args.positional.push(input.parse()?);
            } else {
                args.keyed.push(input.parse()?);
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(args)
    }
}

/// Collects every error of a macro invocation, to report them all at once.
///
/// Like serde_derive's `Ctxt`, a collector must be consumed by [`Errors::finish`]: dropping one
/// unconsumed would lose its errors silently, so it panics instead, naming the bug.
pub(crate) struct Errors {
    /// The errors so far, in order; `None` once [`Errors::finish`] took them.
    errors: Option<Vec<syn::Error>>,
    unknown_key: bool,
}

impl Default for Errors {
    fn default() -> Self {
        Errors { errors: Some(Vec::new()), unknown_key: false }
    }
}

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        self.errors.as_mut().expect("readiness-macros bug: an error collector was used after `finish()`").push(error);
    }

    pub(crate) fn saw_unknown_key(&mut self) {
        self.unknown_key = true;
    }

    /// Reports a missing required key, unless an unknown key was seen: that is most likely the
    /// same key misspelt, already reported, and one mistake should give one error.
    pub(crate) fn missing(&mut self, span: Span, message: impl std::fmt::Display) {
        if !self.unknown_key {
            self.spanned(span, message);
        }
    }

    pub(crate) fn spanned(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Keeps the value of a result, recording its error.
    pub(crate) fn ok<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    /// Consumes the collector: every error recorded, combined in order, or `Ok`.
    pub(crate) fn finish(mut self) -> syn::Result<()> {
        let errors = self.errors.take().expect("readiness-macros bug: an error collector was finished twice");
        let mut errors = errors.into_iter();
        let Some(mut combined) = errors.next() else { return Ok(()) };
        for error in errors {
            combined.combine(error);
        }
        Err(combined)
    }
}

impl Drop for Errors {
    fn drop(&mut self) {
        // Not while unwinding from another panic: that one is the news, and a second would abort.
        if self.errors.is_some() && !std::thread::panicking() {
            panic!("readiness-macros bug: an error collector was dropped without `finish()`, losing its errors");
        }
    }
}

impl Args {
    /// Checks that every key is known and given once; returns the keyed arguments by name.
    pub(crate) fn keys<'a>(
        &'a self,
        macro_name: &str,
        allowed: &[&str],
        errors: &mut Errors,
    ) -> Vec<(String, &'a Arg)> {
        let mut seen: Vec<(String, &Arg)> = Vec::new();
        for arg in &self.keyed {
            let name = arg.name();
            if !allowed.contains(&name.as_str()) {
                errors.saw_unknown_key();
                let hint =
                    closest(&name, allowed).map_or_else(String::new, |near| format!(" (did you mean `{near}`?)"));
                errors.spanned(
                    arg.key.span(),
                    format!("unknown key `{name}` for {macro_name}{hint}; expected one of: {}", allowed.join(", ")),
                );
            } else if seen.iter().any(|(known, _)| *known == name) {
                errors.spanned(arg.key.span(), format!("duplicate key `{name}`"));
            } else {
                seen.push((name, arg));
            }
        }
        seen
    }
}

/// The candidate nearest to `word`, if it is near enough to be a likely typo.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|candidate| (strsim::levenshtein(word, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 4))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// The `crate = "path"` override, or `::readiness_core`.
pub(crate) fn crate_path(arg: Option<&Arg>, errors: &mut Errors) -> syn::Path {
    let default = || syn::parse_quote!(::readiness_core);
    let Some(arg) = arg else { return default() };
    match errors.ok(arg.expect_str("\"my_readiness_core\"")) {
        Some(lit) => errors
            .ok(lit.parse::<syn::Path>().map_err(|_| {
                syn::Error::new(lit.span(), "`crate` must be a path such as \"my_core\" or \"::deps::readiness_core\"")
            }))
            .unwrap_or_else(default),
        None => default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_combines_every_error_in_order() {
        let mut errors = Errors::default();
        errors.spanned(Span::call_site(), "first");
        errors.spanned(Span::call_site(), "second");
        let messages: Vec<String> = errors.finish().unwrap_err().into_iter().map(|error| error.to_string()).collect();
        assert_eq!(messages, ["first", "second"]);
        assert!(Errors::default().finish().is_ok());
    }

    #[test]
    #[should_panic(expected = "dropped without `finish()`")]
    fn a_collector_dropped_unfinished_panics() {
        let mut errors = Errors::default();
        errors.spanned(Span::call_site(), "lost");
        drop(errors);
    }
}
