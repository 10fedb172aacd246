//! The `#[derive(AuthUser)]` macro of axum-users.
//!
//! Use it through the `axum-users` facade (`use axum_users::prelude::*;`); the derive
//! documentation lives there. This crate only parses, checks and expands:
//! `ast` builds the checked model (attributes read by `attr`), `valid` applies the rules that
//! span several fields, `expand` writes the code, and `fallback` keeps a failed derive from
//! cascading into unrelated errors.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod ast;
mod attr;
mod errors;
mod expand;
mod fallback;
mod symbol;
mod ty;
mod valid;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `AuthUser` for a user struct; see the `axum-users` crate for the attribute reference.
#[proc_macro_derive(AuthUser, attributes(auth))]
pub fn derive_auth_user(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}
