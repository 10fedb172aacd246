//! Collects every error of one struct so they are reported together.

use std::fmt::Display;

use quote::ToTokens;

/// An error collector: record problems and carry on; `finish` hands back all of them.
#[must_use = "call finish() to report the collected errors"]
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    /// Records an error spanned at `tokens`.
    pub(crate) fn at(&mut self, tokens: impl ToTokens, msg: impl Display) {
        self.push(syn::Error::new_spanned(tokens, msg));
    }

    /// Records an already built error.
    pub(crate) fn push(&mut self, err: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(err),
            slot => *slot = Some(err),
        }
    }

    /// All recorded errors, combined, or `Ok`.
    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}
