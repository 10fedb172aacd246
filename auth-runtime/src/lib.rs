//! The runtime of axum-users: the [`AuthUser`] trait the derive implements, email
//! normalization, FastAPI-style request validation, and the sqlx user store.
//!
//! Applications depend on the `axum-users` facade, which re-exports this crate and the
//! derive; this crate's items are reachable from there.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod db;
mod derive_support;
pub mod dialect;
pub mod email;
pub mod error;
pub mod extract;
pub mod hooks;
pub mod mail;
mod manager;
#[cfg(feature = "mongodb")]
pub mod mongo;
#[cfg(feature = "oauth")]
pub mod oauth;
pub mod openapi;
pub mod password;
mod recovery;
pub mod routes;
pub mod schema;
pub mod store;
pub mod time_fmt;
pub mod user;
pub mod users;
pub mod validation;
pub mod value;

pub use db::{AnyStore, DbPool};
pub use dialect::Dialect;
pub use email::{EmailError, NormalizedEmail, normalize_email};
pub use error::{Error, ErrorCode};
pub use hooks::{HookError, RequestContext, UserHooks};
pub use store::{Backend, SqlxStore, StoreError, UserStore};
pub use user::{
    AuthUser, Changes, ColumnSpec, CreateSchema, FromJsonBody, IdKind, Role, TableSpec,
    UpdateSchema, UserId,
};
pub use users::{ConfigError, CsrfLayer, Users, UsersBuilder};
pub use validation::{Patch, ValidationErrors, ValidationItem};
pub use value::{SqlField, SqlType, Value};

/// Items the derive's generated code names; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use serde;
    pub use serde_json;
    pub use sqlx;
    pub use time;
    pub use utoipa;
    pub use uuid;

    pub use crate::derive_support::{Present, WireTime, de_wire, field_kind, ser_wire};
    pub use crate::schema::{FieldDoc, FieldKind, object_schema};
    pub use crate::time_fmt;
    pub use crate::validation;

    use crate::value::{SqlField, Value};

    /// Takes the next value of a decoded row and converts it to the field's type.
    pub fn take<T: SqlField>(
        values: &mut std::vec::IntoIter<Value>,
        field: &'static str,
    ) -> Result<T, String> {
        let value = values
            .next()
            .ok_or_else(|| format!("missing column for field `{field}`"))?;
        T::from_value(value).map_err(|e| format!("field `{field}`: {e}"))
    }
}
