//! Code generation, one file per artifact.

mod schemas;
mod store;
mod user;

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use crate::ast::{self, Model};
use crate::errors::Errors;
use crate::{fallback, valid};

pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    try_derive(input).unwrap_or_else(|err| fallback::stub(input, err))
}

fn try_derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let model = ast::from_syn(input, &mut errors);
    if let Some(model) = &model {
        valid::check(model, &mut errors);
    }
    errors.finish()?;
    let Some(model) = model else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "cannot derive AuthUser",
        ));
    };
    let parts = [
        user::expand(&model),
        schemas::expand(&model),
        store::expand(&model),
    ];
    Ok(quote!(#(#parts)*))
}

/// Paths every expansion uses.
pub(crate) struct Paths {
    /// `<crate>::__private`
    pub(crate) p: TokenStream,
    /// `<crate>::__private::runtime`
    pub(crate) rt: TokenStream,
    /// The `__private` path as a string, for serde attributes.
    pub(crate) p_str: String,
}

impl Paths {
    pub(crate) fn new(model: &Model) -> Self {
        let krate = &model.krate;
        let p = quote!(#krate::__private);
        Self {
            p_str: p.to_string().replace(' ', ""),
            rt: quote!(#p::runtime),
            p,
        }
    }
}
