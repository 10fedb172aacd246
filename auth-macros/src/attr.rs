//! Reading `#[auth(...)]` attributes: set-once slots, unknown keys named with the known
//! ones, and every problem recorded without stopping.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, Ident, Lit, LitStr, Path, Token};

use crate::errors::Errors;
use crate::symbol::*;

/// A key that was written, kept for its span.
pub(crate) type Flag = Option<Path>;

/// A key with its value.
pub(crate) type Valued<T> = Option<(Path, T)>;

/// A numeric bound as written (`min = -1.5`), with its value for OpenAPI.
#[derive(Clone)]
pub(crate) struct Number {
    pub(crate) tokens: TokenStream,
    pub(crate) value: f64,
    pub(crate) is_float: bool,
}

#[derive(Default)]
pub(crate) struct StructAttrs {
    pub(crate) table: Valued<LitStr>,
    pub(crate) hooks: Valued<syn::Type>,
    pub(crate) krate: Valued<Path>,
    pub(crate) read: Valued<Ident>,
    pub(crate) create: Valued<Ident>,
    pub(crate) update: Valued<Ident>,
}

#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) unique: Flag,
    pub(crate) min_length: Valued<usize>,
    pub(crate) max_length: Valued<usize>,
    pub(crate) min: Valued<Number>,
    pub(crate) max: Valued<Number>,
    pub(crate) text: Flag,
    pub(crate) default: Valued<Option<Expr>>,
    pub(crate) superuser_only: Flag,
    pub(crate) read_only: Flag,
    pub(crate) created_at: Flag,
    pub(crate) updated_at: Flag,
    pub(crate) hidden: Flag,
    pub(crate) skip: Flag,
    pub(crate) validate: Valued<Path>,
    pub(crate) column: Valued<LitStr>,
    pub(crate) active: Flag,
    pub(crate) superuser: Flag,
    pub(crate) verified: Flag,
}

impl FieldAttrs {
    /// Every option written on the field, as (keyword, path) pairs, for rules about
    /// combinations.
    pub(crate) fn written(&self) -> Vec<(&'static str, &Path)> {
        let all: [(&'static str, Option<&Path>); 18] = [
            (UNIQUE, self.unique.as_ref()),
            (MIN_LENGTH, self.min_length.as_ref().map(|v| &v.0)),
            (MAX_LENGTH, self.max_length.as_ref().map(|v| &v.0)),
            (MIN, self.min.as_ref().map(|v| &v.0)),
            (MAX, self.max.as_ref().map(|v| &v.0)),
            (TEXT, self.text.as_ref()),
            (DEFAULT, self.default.as_ref().map(|v| &v.0)),
            (SUPERUSER_ONLY, self.superuser_only.as_ref()),
            (READ_ONLY, self.read_only.as_ref()),
            (CREATED_AT, self.created_at.as_ref()),
            (UPDATED_AT, self.updated_at.as_ref()),
            (HIDDEN, self.hidden.as_ref()),
            (SKIP, self.skip.as_ref()),
            (VALIDATE, self.validate.as_ref().map(|v| &v.0)),
            (COLUMN, self.column.as_ref().map(|v| &v.0)),
            (ACTIVE, self.active.as_ref()),
            (SUPERUSER, self.superuser.as_ref()),
            (VERIFIED, self.verified.as_ref()),
        ];
        all.into_iter()
            .filter_map(|(k, p)| p.map(|p| (k, p)))
            .collect()
    }
}

fn key_of(path: &Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

fn set<T>(slot: &mut Option<T>, value: T, path: &Path, errors: &mut Errors) {
    if slot.is_some() {
        errors.at(
            path,
            format!("duplicate #[auth] option `{}`; write it once", key_of(path)),
        );
    } else {
        *slot = Some(value);
    }
}

/// Consumes whatever follows a key (`= value` or `(...)`) so parsing can go on after an error.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        let _: Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _: proc_macro2::Group = meta.input.parse()?;
    }
    Ok(())
}

/// A flag key must stand alone.
fn flag(meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<bool> {
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        let key = key_of(&meta.path);
        errors.at(
            &meta.path,
            format!("`{key}` takes no value; write `#[auth({key})]`"),
        );
        skip_value(meta)?;
        return Ok(false);
    }
    Ok(true)
}

/// The literal after `=`, and the tokens written there (for spans); `(None, None)` when no
/// value was written.
fn lit_value(meta: &ParseNestedMeta) -> syn::Result<(Option<Lit>, Option<Expr>)> {
    if !meta.input.peek(Token![=]) {
        return Ok((None, None));
    }
    let expr: Expr = meta.value()?.parse()?;
    let written = expr.clone();
    let lit = match expr {
        Expr::Lit(l) => Some(l.lit),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => match *u.expr {
            Expr::Lit(l) => match l.lit {
                Lit::Int(i) => Some(Lit::Int(syn::LitInt::new(
                    &format!("-{}", i.base10_digits()),
                    i.span(),
                ))),
                Lit::Float(f) => Some(Lit::Float(syn::LitFloat::new(
                    &format!("-{}", f.base10_digits()),
                    f.span(),
                ))),
                other => Some(other),
            },
            _ => None,
        },
        _ => None,
    };
    Ok((lit, Some(written)))
}

/// Where a bad value is reported: at the value when one was written, else at the key.
fn value_span(meta: &ParseNestedMeta, written: Option<Expr>) -> proc_macro2::TokenStream {
    match written {
        Some(expr) => expr.to_token_stream(),
        None => meta.path.to_token_stream(),
    }
}

fn string_value(
    meta: &ParseNestedMeta,
    errors: &mut Errors,
    example: &str,
) -> syn::Result<Option<LitStr>> {
    let key = key_of(&meta.path);
    match lit_value(meta)? {
        (Some(Lit::Str(s)), _) => Ok(Some(s)),
        (_, written) => {
            errors.at(
                value_span(meta, written),
                format!("`{key}` expects a string, e.g. `{key} = \"{example}\"`"),
            );
            Ok(None)
        }
    }
}

fn usize_value(meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<Option<usize>> {
    let key = key_of(&meta.path);
    let (lit, written) = lit_value(meta)?;
    if let Some(Lit::Int(i)) = &lit
        && let Ok(n) = i.base10_parse::<usize>()
    {
        return Ok(Some(n));
    }
    errors.at(
        value_span(meta, written),
        format!("`{key}` expects a non-negative integer, e.g. `{key} = 50`"),
    );
    Ok(None)
}

fn number_value(meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<Option<Number>> {
    let key = key_of(&meta.path);
    let (lit, written) = lit_value(meta)?;
    let parsed = match lit {
        Some(Lit::Int(i)) => i.base10_parse::<f64>().ok().map(|value| Number {
            tokens: i.to_token_stream(),
            value,
            is_float: false,
        }),
        Some(Lit::Float(f)) => f.base10_parse::<f64>().ok().map(|value| Number {
            tokens: f.to_token_stream(),
            value,
            is_float: true,
        }),
        _ => None,
    };
    if parsed.is_none() {
        errors.at(
            value_span(meta, written),
            format!("`{key}` expects a number, e.g. `{key} = 0`"),
        );
    }
    Ok(parsed)
}

fn path_value(
    meta: &ParseNestedMeta,
    errors: &mut Errors,
    example: &str,
) -> syn::Result<Option<Path>> {
    let key = key_of(&meta.path);
    if !meta.input.peek(Token![=]) {
        errors.at(
            &meta.path,
            format!("`{key}` expects a path, e.g. `{key} = {example}`"),
        );
        skip_value(meta)?;
        return Ok(None);
    }
    let expr: Expr = meta.value()?.parse()?;
    match expr {
        Expr::Path(p) if p.qself.is_none() => Ok(Some(p.path)),
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) => match s.parse::<Path>() {
            Ok(p) => Ok(Some(p)),
            Err(_) => {
                errors.at(
                    &s,
                    format!("`{key}` expects a path, e.g. `{key} = {example}`"),
                );
                Ok(None)
            }
        },
        other => {
            errors.at(
                other,
                format!("`{key}` expects a path, e.g. `{key} = {example}`"),
            );
            Ok(None)
        }
    }
}

fn auth_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|a| a.path().is_ident(AUTH))
}

fn unknown(
    meta: &ParseNestedMeta,
    errors: &mut Errors,
    level: &str,
    known: &[&str],
) -> syn::Result<()> {
    errors.at(
        &meta.path,
        format!(
            "unknown #[auth] {level} option `{}`; expected one of: {}",
            key_of(&meta.path),
            known.join(", ")
        ),
    );
    skip_value(meta)
}

fn schema_name(meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<Option<Ident>> {
    let key = key_of(&meta.path);
    let Some(s) = string_value(meta, errors, "UserOut")? else {
        return Ok(None);
    };
    match syn::parse_str::<Ident>(&s.value()) {
        Ok(mut ident) => {
            ident.set_span(s.span());
            Ok(Some(ident))
        }
        Err(_) => {
            errors.at(
                &s,
                format!("`{key}` expects a type name, e.g. `{key} = \"UserOut\"`"),
            );
            Ok(None)
        }
    }
}

/// Reads the struct-level `#[auth(...)]` attributes.
pub(crate) fn struct_attrs(attrs: &[Attribute], errors: &mut Errors) -> StructAttrs {
    let mut out = StructAttrs::default();
    for attr in auth_attrs(attrs) {
        let parsed = attr.parse_nested_meta(|meta| {
            let path = meta.path.clone();
            let key = key_of(&path);
            match key.as_str() {
                TABLE => {
                    if let Some(v) = string_value(&meta, errors, "user")? {
                        if v.value().is_empty() {
                            errors.at(&v, "the table name cannot be empty");
                        }
                        set(&mut out.table, (path, v), &meta.path, errors);
                    }
                }
                HOOKS => {
                    if meta.input.peek(Token![=]) {
                        let ty: syn::Type = meta.value()?.parse()?;
                        set(&mut out.hooks, (path, ty), &meta.path, errors);
                    } else {
                        errors.at(&meta.path, "`hooks` expects a type, e.g. `hooks = MyHooks`");
                        skip_value(&meta)?;
                    }
                }
                CRATE => {
                    if let Some(s) = string_value(&meta, errors, "my_app::axum_users")? {
                        match s.parse::<Path>() {
                            Ok(p) => set(&mut out.krate, (path, p), &meta.path, errors),
                            Err(_) => errors.at(&s, "`crate` expects a path in a string, e.g. `crate = \"my_app::axum_users\"`"),
                        }
                    }
                }
                READ | CREATE | UPDATE => {
                    if let Some(ident) = schema_name(&meta, errors)? {
                        let slot = match key.as_str() {
                            READ => &mut out.read,
                            CREATE => &mut out.create,
                            _ => &mut out.update,
                        };
                        set(slot, (path, ident), &meta.path, errors);
                    }
                }
                _ if FIELD_KEYS.contains(&key.as_str()) => {
                    errors.at(
                        &meta.path,
                        format!("`{key}` is a field option; put it on a field, not on the struct"),
                    );
                    skip_value(&meta)?;
                }
                _ => unknown(&meta, errors, "struct", STRUCT_KEYS)?,
            }
            Ok(())
        });
        if let Err(e) = parsed {
            errors.push(e);
        }
    }
    out
}

/// Reads one field's `#[auth(...)]` attributes.
pub(crate) fn field_attrs(attrs: &[Attribute], errors: &mut Errors) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in auth_attrs(attrs) {
        let parsed = attr.parse_nested_meta(|meta| {
            let path = meta.path.clone();
            let key = key_of(&path);
            macro_rules! flag_into {
                ($slot:ident) => {
                    if flag(&meta, errors)? {
                        set(&mut out.$slot, path, &meta.path, errors);
                    }
                };
            }
            match key.as_str() {
                UNIQUE => flag_into!(unique),
                TEXT => flag_into!(text),
                SUPERUSER_ONLY => flag_into!(superuser_only),
                READ_ONLY => flag_into!(read_only),
                CREATED_AT => flag_into!(created_at),
                UPDATED_AT => flag_into!(updated_at),
                HIDDEN => flag_into!(hidden),
                SKIP => flag_into!(skip),
                ACTIVE => flag_into!(active),
                SUPERUSER => flag_into!(superuser),
                VERIFIED => flag_into!(verified),
                MIN_LENGTH | MAX_LENGTH => {
                    if let Some(n) = usize_value(&meta, errors)? {
                        let slot = if key == MIN_LENGTH {
                            &mut out.min_length
                        } else {
                            &mut out.max_length
                        };
                        set(slot, (path, n), &meta.path, errors);
                    }
                }
                MIN | MAX => {
                    if let Some(n) = number_value(&meta, errors)? {
                        let slot = if key == MIN {
                            &mut out.min
                        } else {
                            &mut out.max
                        };
                        set(slot, (path, n), &meta.path, errors);
                    }
                }
                DEFAULT => {
                    let expr = if meta.input.peek(Token![=]) {
                        Some(meta.value()?.parse::<Expr>()?)
                    } else {
                        None
                    };
                    set(&mut out.default, (path, expr), &meta.path, errors);
                }
                VALIDATE => {
                    if let Some(p) = path_value(&meta, errors, "check_username")? {
                        set(&mut out.validate, (path, p), &meta.path, errors);
                    }
                }
                COLUMN => {
                    if let Some(s) = string_value(&meta, errors, "user_name")? {
                        if s.value().is_empty() {
                            errors.at(&s, "the column name cannot be empty");
                        }
                        set(&mut out.column, (path, s), &meta.path, errors);
                    }
                }
                _ if STRUCT_KEYS.contains(&key.as_str()) => {
                    errors.at(
                        &meta.path,
                        format!(
                            "`{key}` is a struct option; put it in `#[auth(...)]` above the struct"
                        ),
                    );
                    skip_value(&meta)?;
                }
                _ => unknown(&meta, errors, "field", FIELD_KEYS)?,
            }
            Ok(())
        });
        if let Err(e) = parsed {
            errors.push(e);
        }
    }
    out
}
