//! Storage of users: the [`UserStore`] trait and its sqlx implementation (the MongoDB one is
//! `crate::mongo::MongoStore`, feature `mongodb`).

mod backend;
mod sql;
mod sqlx_store;

use std::future::Future;

pub use backend::Backend;
#[cfg(feature = "sqlite")]
pub use backend::sqlite_options;
pub(crate) use sql::column_type;
pub use sql::{Statements, create_table_sql};
pub use sqlx_store::SqlxStore;

use crate::email::EmailError;
use crate::email::normalize_email;
use crate::user::{AuthUser, Changes, EMAIL_KEY_COLUMN, Role, TableSpec};
use crate::value::Value;

static NO_CONDITIONS: Changes = Changes::new();

/// Readies `user` for an insert: its email in stored form, its timestamps set to now; the
/// email's normalized key, which the insert stores beside it.
pub(crate) fn prepare_insert<U: AuthUser>(user: &mut U) -> Result<String, StoreError> {
    let normalized = normalize_email(user.email())?;
    user.set_email(normalized.display);
    user.touch(crate::time_fmt::now(), true);
    Ok(normalized.key)
}

/// What an `update_if` writes and checks: the checked changes plus every `updated_at`
/// column set to now, and the checked conditions.
#[allow(clippy::type_complexity)]
pub(crate) fn update_plan<U: AuthUser>(
    changes: &Changes,
    conditions: &Changes,
) -> Result<(Vec<(&'static str, Value)>, Vec<(&'static str, Value)>), StoreError> {
    let mut sets = check_changes::<U>(changes)?;
    let conditions = check_conditions::<U>(conditions)?;
    let now = crate::time_fmt::now();
    for column in U::TABLE
        .columns
        .iter()
        .filter(|c| c.role == Role::UpdatedAt)
    {
        sets.push((column.name, Value::Timestamp(now)));
    }
    Ok((sets, conditions))
}

/// The unique keys a duplicate can be on, as (column, JSON field): the email key first, then
/// the `unique` columns in order.
pub(crate) fn unique_keys<U: AuthUser>() -> Vec<(&'static str, &'static str)> {
    std::iter::once((EMAIL_KEY_COLUMN, "email"))
        .chain(
            U::TABLE
                .columns
                .iter()
                .filter(|c| c.unique)
                .map(|c| (c.name, c.field)),
        )
        .collect()
}

/// The conditions of an `update_if`, checked: known columns (or the email key), no `NULL`.
fn check_conditions<U: AuthUser>(
    conditions: &Changes,
) -> Result<Vec<(&'static str, Value)>, StoreError> {
    conditions
        .iter()
        .map(|(column, value)| {
            let known =
                column == EMAIL_KEY_COLUMN || U::TABLE.columns.iter().any(|c| c.name == column);
            if known && !matches!(value, Value::Null(_)) {
                Ok((column, value.clone()))
            } else {
                Err(StoreError::UnknownColumn(column.to_owned()))
            }
        })
        .collect()
}

/// The changes of an update, checked: settable columns only, `NULL` only where allowed; an
/// email change also sets the email key.
fn check_changes<U: AuthUser>(changes: &Changes) -> Result<Vec<(&'static str, Value)>, StoreError> {
    let table: &TableSpec = U::TABLE;
    let mut out = Vec::with_capacity(changes.len() + 2);
    for (column, value) in changes.iter() {
        let spec = table
            .columns
            .iter()
            .find(|c| c.name == column)
            .ok_or_else(|| StoreError::UnknownColumn(column.to_owned()))?;
        match spec.role {
            Role::Id | Role::CreatedAt | Role::UpdatedAt => {
                return Err(StoreError::UnknownColumn(column.to_owned()));
            }
            Role::Email => {
                let Value::Text(email) = value else {
                    return Err(StoreError::UnknownColumn(column.to_owned()));
                };
                let normalized = normalize_email(email)?;
                out.push((column, Value::Text(normalized.display)));
                out.push((EMAIL_KEY_COLUMN, Value::Text(normalized.key)));
            }
            _ => {
                let ok = match value {
                    Value::Null(_) => spec.nullable,
                    _ => true,
                };
                if !ok {
                    return Err(StoreError::UnknownColumn(column.to_owned()));
                }
                out.push((column, value.clone()));
            }
        }
    }
    Ok(out)
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A unique constraint refused the write; `field` is the JSON name of the field whose
    /// value is taken (`email` for the email key).
    #[error("a user with this {field} already exists")]
    AlreadyExists {
        /// The JSON name of the conflicting field.
        field: &'static str,
    },
    /// The email address to store is not a valid address.
    #[error("invalid email address: {0}")]
    InvalidEmail(#[from] EmailError),
    /// A change named a column the user table does not have, or one that cannot be set.
    #[error("column `{0}` cannot be changed")]
    UnknownColumn(String),
    /// A stored row could not be turned back into a user.
    #[error("cannot decode a stored user: {0}")]
    Decode(String),
    /// The database failed (connection, pool timeout, constraint other than uniqueness…).
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// The MongoDB server failed (connection, server selection, a command refused…).
    #[cfg(feature = "mongodb")]
    #[error("database error")]
    MongoDb(#[source] mongodb::error::Error),
}

impl StoreError {
    /// Whether the failure means the database is unreachable or saturated (answer 503)
    /// rather than broken (answer 500).
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Database(
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::WorkerCrashed,
            ) => true,
            // The server ended or refused the connection: SQLSTATE class 08 (connection
            // exception), 57P01-57P03 (shut down, crashed, not accepting connections yet),
            // 53300 (too many connections), 70100 (MariaDB: the connection was killed).
            Self::Database(sqlx::Error::Database(e)) => e.code().is_some_and(|code| {
                code.starts_with("08")
                    || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300" | "70100")
            }),
            #[cfg(feature = "mongodb")]
            Self::MongoDb(e) => crate::mongo::is_unavailable(e),
            _ => false,
        }
    }
}

/// Where users live. [`SqlxStore`] serves SQLite, PostgreSQL and MySQL/MariaDB, and
/// `mongo::MongoStore` (feature `mongodb`) MongoDB; [`crate::AnyStore`] is whichever of them a
/// [`crate::DbPool`] names. Other back ends can plug in.
///
/// Every write is one statement, one transaction or (MongoDB) one single-document write: a
/// failed write leaves nothing behind.
pub trait UserStore<U: AuthUser>: Clone + Send + Sync + 'static {
    /// Inserts `user` and returns it as stored: the id assigned (auto-increment ids),
    /// `created_at`/`updated_at` fields set to now. The email key is computed from
    /// [`AuthUser::email`]. A taken email key or unique field →
    /// [`StoreError::AlreadyExists`].
    fn create(&self, user: U) -> impl Future<Output = Result<U, StoreError>> + Send;

    /// The user with this id.
    fn get(&self, id: &U::Id) -> impl Future<Output = Result<Option<U>, StoreError>> + Send;

    /// The user whose email key equals the key of `email` (so any letter case of the local
    /// part and any spelling of the domain finds it). An invalid address finds nobody.
    fn get_by_email(
        &self,
        email: &str,
    ) -> impl Future<Output = Result<Option<U>, StoreError>> + Send;

    /// Applies `changes` to the user with this id in one `UPDATE`, also setting every
    /// `updated_at` field, and returns the user as stored afterwards; `None` if no such user.
    /// Changing the email column also changes the email key.
    fn update(
        &self,
        id: &U::Id,
        changes: &Changes,
    ) -> impl Future<Output = Result<Option<U>, StoreError>> + Send {
        self.update_if(id, changes, &NO_CONDITIONS)
    }

    /// Like [`UserStore::update`], but only when every column of `conditions` still holds
    /// the given value (compare-and-set in the same statement; `email_key` may be used);
    /// `None` when no row matched.
    fn update_if(
        &self,
        id: &U::Id,
        changes: &Changes,
        conditions: &Changes,
    ) -> impl Future<Output = Result<Option<U>, StoreError>> + Send;

    /// Deletes the user with this id; `false` if there was none.
    fn delete(&self, id: &U::Id) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The number of users.
    fn count(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// A page of users ordered by id.
    fn list(
        &self,
        offset: u64,
        limit: u64,
    ) -> impl Future<Output = Result<Vec<U>, StoreError>> + Send;
}
