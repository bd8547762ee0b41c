//! Tokens that several expansions share, written once.

use proc_macro2::TokenStream;
use quote::quote;

/// `StaticSource { file, line, column, module }` of the macro's call site: where a registered
/// item was declared, so the checklist links it to the code. `private` is the path of
/// `readiness_core::__private` (after any `crate = …` override).
pub(crate) fn static_source(private: &TokenStream) -> TokenStream {
    quote! {
        #private::StaticSource {
            file: ::core::file!(),
            line: ::core::line!(),
            column: ::core::column!(),
            module: ::core::module_path!(),
        }
    }
}
