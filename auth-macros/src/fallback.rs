//! What a failed derive emits: the errors, plus empty schema types so code naming
//! `UserCreate` or `UserRead` does not add unrelated errors to the real ones.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use crate::ast::Names;

pub(crate) fn stub(input: &DeriveInput, err: syn::Error) -> TokenStream {
    let names = Names::best_effort(input);
    let vis = &input.vis;
    let err = err.into_compile_error();
    let (read, create, update) = (&names.read, &names.create, &names.update);
    quote! {
        #err
        #[allow(dead_code, missing_docs, missing_debug_implementations)]
        #vis struct #read;
        #[allow(dead_code, missing_docs, missing_debug_implementations)]
        #vis struct #create;
        #[allow(dead_code, missing_docs, missing_debug_implementations)]
        #vis struct #update;
    }
}
