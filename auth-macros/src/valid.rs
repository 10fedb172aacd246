//! Rules about fields and their combinations; each error is spanned where it is fixed.

use std::collections::HashMap;

use crate::ast::{Field, Model, Role};
use crate::errors::Errors;
use crate::symbol::*;
use crate::ty::{SUPPORTED, Scalar};

/// Options that make a custom field stay out of requests (only one may be written).
const EXCLUSIVE: &[&str] = &[SUPERUSER_ONLY, READ_ONLY, HIDDEN, CREATED_AT, UPDATED_AT];

fn expected_type(role: Role) -> &'static str {
    match role {
        Role::Id => "`i64` (assigned by the database) or `uuid::Uuid`",
        Role::Email | Role::HashedPassword => "`String`",
        Role::Active | Role::Superuser | Role::Verified => "`bool`",
        Role::CreatedAt | Role::UpdatedAt => "`time::OffsetDateTime`",
        Role::Custom | Role::Skip => SUPPORTED,
    }
}

fn check_base(f: &Field, errors: &mut Errors) {
    let ok = match (f.role, f.class) {
        (Role::Id, Some(c)) => !c.optional && matches!(c.scalar, Scalar::I64 | Scalar::Uuid),
        (Role::Email | Role::HashedPassword, Some(c)) => !c.optional && c.scalar == Scalar::String,
        (Role::Active | Role::Superuser | Role::Verified, Some(c)) => {
            !c.optional && c.scalar == Scalar::Bool
        }
        (Role::CreatedAt | Role::UpdatedAt, Some(c)) => {
            !c.optional && c.scalar == Scalar::Timestamp
        }
        _ => true,
    };
    let ok = ok && (f.class.is_some() || !f.role.is_base());
    if !ok {
        let what = match f.role {
            Role::Id => "unsupported id type".to_owned(),
            Role::CreatedAt | Role::UpdatedAt => {
                let key = if f.role == Role::CreatedAt {
                    CREATED_AT
                } else {
                    UPDATED_AT
                };
                format!("`{key}` needs a timestamp field")
            }
            r => format!("the `{}` field has the wrong type", r.base_name()),
        };
        errors.at(&f.ty, format!("{what}; use {}", expected_type(f.role)));
    }
    if f.role.is_base() {
        for (key, path) in f.attrs.written() {
            let allowed = key == COLUMN
                || (key == ACTIVE && f.role == Role::Active)
                || (key == SUPERUSER && f.role == Role::Superuser)
                || (key == VERIFIED && f.role == Role::Verified);
            if !allowed {
                let hint = match (key, f.role) {
                    (UNIQUE, Role::Email) => {
                        " (the email is always unique through its normalized key)".to_owned()
                    }
                    _ => String::new(),
                };
                errors.at(
                    path,
                    format!(
                        "`{key}` does not apply to the base field `{}`; remove it{hint}",
                        f.ident
                    ),
                );
            }
        }
    }
}

fn check_custom(f: &Field, errors: &mut Errors) {
    let a = &f.attrs;
    if f.role == Role::Skip {
        for (key, path) in a.written() {
            if key != SKIP {
                errors.at(
                    path,
                    format!("`{key}` does not apply to a `skip` field, which is not a column; remove `{key}` or `skip`"),
                );
            }
        }
        return;
    }
    let Some(class) = f.class else {
        errors.at(
            &f.ty,
            format!(
                "unsupported field type; use {SUPPORTED}, or mark the field `#[auth(skip)]` to keep it out of the table"
            ),
        );
        return;
    };
    let key_name = |k| {
        format!(
            "`{k}` applies to string fields, and `{}` is not one",
            f.ident
        )
    };
    if !class.is_string() {
        for (key, path) in [
            (MIN_LENGTH, a.min_length.as_ref().map(|v| &v.0)),
            (MAX_LENGTH, a.max_length.as_ref().map(|v| &v.0)),
            (TEXT, a.text.as_ref()),
        ] {
            if let Some(path) = path {
                let hint = if class.is_number() && key != TEXT {
                    let bound = if key == MIN_LENGTH { MIN } else { MAX };
                    format!("; for a number write `{bound} = ...`")
                } else {
                    String::new()
                };
                errors.at(path, format!("{}{hint}", key_name(key)));
            }
        }
    }
    if !class.is_number() {
        for (key, path) in [(MIN, a.min.as_ref()), (MAX, a.max.as_ref())] {
            if let Some((path, _)) = path {
                let hint = if class.is_string() {
                    let len = if key == MIN { MIN_LENGTH } else { MAX_LENGTH };
                    format!("; for a string write `{len} = ...`")
                } else {
                    String::new()
                };
                errors.at(
                    path,
                    format!(
                        "`{key}` applies to number fields, and `{}` is not one{hint}",
                        f.ident
                    ),
                );
            }
        }
    }
    if class.is_number() && class.scalar != Scalar::F64 {
        for (_, n) in [&a.min, &a.max].into_iter().flatten() {
            if n.is_float {
                errors.at(&n.tokens, "an integer field needs an integer bound");
            }
        }
    }
    if let (Some(path), Some(_)) = (&a.unique, &a.text) {
        errors.at(
            path,
            "`unique` needs a bounded column and cannot be combined with `text`; use `max_length = ...` instead of `text`",
        );
    }
    if let (Some((_, min)), Some((path, max))) = (&a.min_length, &a.max_length)
        && min > max
    {
        {
            errors.at(
                path,
                format!("`max_length` ({max}) is smaller than `min_length` ({min})"),
            );
        }
    }
    if let (Some((_, min)), Some((path, max))) = (&a.min, &a.max)
        && min.value > max.value
    {
        {
            errors.at(path, "`max` is smaller than `min`");
        }
    }
    if let Some((path, n)) = &a.max_length
        && (*n == 0 || *n > u32::MAX as usize)
    {
        {
            errors.at(path, "`max_length` must be between 1 and 4294967295");
        }
    }
    let written = a.written();
    let exclusive: Vec<_> = written
        .iter()
        .filter(|(k, _)| EXCLUSIVE.contains(k))
        .collect();
    if let [(first, _), rest @ ..] = exclusive.as_slice() {
        for (key, path) in rest {
            errors.at(
                path,
                format!("`{key}` cannot be combined with `{first}`; keep one of them"),
            );
        }
    }
    let timestamp = a.created_at.is_some() || a.updated_at.is_some();
    if timestamp {
        for (key, path) in &written {
            if !matches!(*key, CREATED_AT | UPDATED_AT | COLUMN) {
                errors.at(
                    path,
                    format!("`{key}` does not apply to a server-managed timestamp; remove it"),
                );
            }
        }
        return;
    }
    let needs_default = [
        (SUPERUSER_ONLY, a.superuser_only.as_ref()),
        (READ_ONLY, a.read_only.as_ref()),
        (HIDDEN, a.hidden.as_ref()),
    ];
    for (key, path) in needs_default {
        if let Some(path) = path
            && !class.optional
            && a.default.is_none()
        {
            errors.at(
                path,
                format!(
                    "a `{key}` field is not set by registration, so it needs `Option<_>` or `default = ...`"
                ),
            );
        }
    }
    if let (Some((path, _)), true) = (&a.validate, a.hidden.is_some() || a.read_only.is_some()) {
        errors.at(
            path,
            "`validate` checks request values, and this field is never read from a request; remove it",
        );
    }
}

/// Applies every rule; problems are recorded in `errors`.
pub(crate) fn check(model: &Model, errors: &mut Errors) {
    for f in &model.fields {
        if f.role.is_base() || matches!(f.role, Role::CreatedAt | Role::UpdatedAt) {
            check_base(f, errors);
        }
        if !f.role.is_base() {
            check_custom(f, errors);
        }
        if f.role == Role::Custom {
            let reserved = [
                "password",
                "current_password",
                "email_key",
                "hashed_password",
            ];
            if reserved.contains(&f.wire.as_str()) {
                errors.at(
                    &f.ident,
                    format!(
                        "`{}` is a name axum-users uses itself; rename the field",
                        f.wire
                    ),
                );
            }
        }
    }
    // Each base role exactly once.
    let mut seen: HashMap<Role, &Field> = HashMap::new();
    for f in model.fields.iter().filter(|f| f.role.is_base()) {
        if let Some(first) = seen.get(&f.role) {
            let what = if f.role.is_flag() {
                format!(
                    "two {} flags: `{}` and `{}`; keep one",
                    f.role.base_name().trim_start_matches("is_"),
                    first.ident,
                    f.ident
                )
            } else {
                format!("a second `{}` field; keep one", f.role.base_name())
            };
            errors.at(&f.ident, what);
        } else {
            seen.insert(f.role, f);
        }
    }
    for role in [
        Role::Id,
        Role::Email,
        Role::HashedPassword,
        Role::Active,
        Role::Superuser,
        Role::Verified,
    ] {
        if !seen.contains_key(&role) {
            let hint = if role.is_flag() {
                let mark = match role {
                    Role::Active => ACTIVE,
                    Role::Superuser => SUPERUSER,
                    _ => VERIFIED,
                };
                format!(" (or mark another bool field `#[auth({mark})]`)")
            } else {
                String::new()
            };
            errors.at(
                &model.ident,
                format!(
                    "missing field `{}` of type {}; every user needs it{hint}",
                    role.base_name(),
                    expected_type(role)
                ),
            );
        }
    }
    // Column names are distinct and not the managed email key.
    let mut columns: HashMap<&str, &Field> = HashMap::new();
    for f in model.fields.iter().filter(|f| f.is_column()) {
        let at = f
            .attrs
            .column
            .as_ref()
            .map(|(_, s)| quote::ToTokens::to_token_stream(s))
            .unwrap_or_else(|| quote::ToTokens::to_token_stream(&f.ident));
        if f.column == "email_key" {
            errors.at(
                &at,
                "the column `email_key` is managed by axum-users; choose another name",
            );
        } else if let Some(first) = columns.get(f.column.as_str()) {
            errors.at(
                &at,
                format!(
                    "the column `{}` is already used by `{}`; set another `column = \"...\"`",
                    f.column, first.ident
                ),
            );
        } else {
            columns.insert(&f.column, f);
        }
    }
}
