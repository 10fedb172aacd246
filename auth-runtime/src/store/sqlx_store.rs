//! [`SqlxStore`]: the user store on a sqlx pool, one implementation for every database.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use sqlx::{AssertSqlSafe, Database, Executor, Pool};

use super::{Backend, Statements, StoreError, UserStore};
use crate::email::email_key;
use crate::user::{AuthUser, Changes, EMAIL_KEY_COLUMN, IdKind, Role, UserId};
use crate::value::{SqlField, SqlType, Value};

/// The user store on a sqlx pool of SQLite, PostgreSQL or MySQL/MariaDB.
///
/// Cheap to clone (the pool and the prepared SQL text are shared). The SQL is built once,
/// at construction, from the user type's compile-time table description.
///
/// The crate-level example of `axum-users` shows a store created, migrated and used.
pub struct SqlxStore<U, DB: Database> {
    pool: Pool<DB>,
    sql: Arc<Statements>,
    user: PhantomData<fn() -> U>,
}

impl<U, DB: Database> Clone for SqlxStore<U, DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            sql: Arc::clone(&self.sql),
            user: PhantomData,
        }
    }
}

impl<U, DB: Database> fmt::Debug for SqlxStore<U, DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlxStore")
            .field("dialect", &self.sql.dialect)
            .finish_non_exhaustive()
    }
}

fn db(err: sqlx::Error) -> StoreError {
    StoreError::Database(err)
}

impl<U, DB> SqlxStore<U, DB>
where
    U: AuthUser,
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    /// A store on `pool`. Call [`SqlxStore::migrate`] once to create the table.
    pub fn new(pool: Pool<DB>) -> Self {
        Self {
            pool,
            sql: Arc::new(Statements::new(U::TABLE, DB::DIALECT)),
            user: PhantomData,
        }
    }

    /// The pool this store runs on.
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    /// The statements this store runs.
    pub fn statements(&self) -> &Statements {
        &self.sql
    }

    /// Creates the user table if it does not exist (idempotent).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::query(AssertSqlSafe(self.sql.create_table.clone()))
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    fn decode(row: &DB::Row) -> Result<U, StoreError> {
        let values = U::TABLE
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| DB::read_value(row, i, c.ty, c.nullable))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Decode(e.to_string()))?;
        U::from_values(values).map_err(StoreError::Decode)
    }

    async fn fetch_one_user(&self, sql: &str, arg: Value) -> Result<Option<U>, StoreError> {
        let query = DB::bind_value(sqlx::query(AssertSqlSafe(sql.to_owned())), arg);
        match query.fetch_optional(&self.pool).await.map_err(db)? {
            Some(row) => Self::decode(&row).map(Some),
            None => Ok(None),
        }
    }

    /// Maps a failed write: a unique violation becomes [`StoreError::AlreadyExists`] naming
    /// the field, found from the constraint name the database reports or, failing that, by
    /// looking for the attempted values (email key first, then unique fields in order).
    async fn write_error(
        &self,
        err: sqlx::Error,
        attempted: &[(&'static str, Value)],
    ) -> StoreError {
        let sqlx::Error::Database(dbe) = &err else {
            return db(err);
        };
        if !dbe.is_unique_violation() {
            return db(err);
        }
        let table = U::TABLE;
        let candidates = super::unique_keys::<U>();
        let message = dbe.message();
        for &(column, field) in &candidates {
            let constraint = table.constraint_name(column);
            let named = dbe.constraint() == Some(constraint.as_str())
                || message.ends_with(&format!("'{constraint}'"))
                || message.ends_with(&format!(".{constraint}'"))
                || message.ends_with(&format!("failed: {}.{column}", table.name));
            if named {
                return StoreError::AlreadyExists { field };
            }
        }
        for &(column, field) in &candidates {
            let Some((_, value)) = attempted.iter().find(|(c, _)| *c == column) else {
                continue;
            };
            let sql = format!(
                "SELECT 1 FROM {} WHERE {} = {}",
                DB::DIALECT.quote(table.name),
                DB::DIALECT.quote(column),
                DB::DIALECT.placeholder(1)
            );
            let query = DB::bind_value(sqlx::query(AssertSqlSafe(sql)), value.clone());
            if let Ok(Some(_)) = query.fetch_optional(&self.pool).await {
                return StoreError::AlreadyExists { field };
            }
        }
        tracing::warn!(error = %message, "unique violation on an unknown constraint");
        db(err)
    }
}

impl<U, DB> UserStore<U> for SqlxStore<U, DB>
where
    U: AuthUser,
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    async fn create(&self, mut user: U) -> Result<U, StoreError> {
        let key = super::prepare_insert(&mut user)?;
        let table = U::TABLE;
        let auto_id = table.id_kind == IdKind::AutoIncrement;
        let mut attempted: Vec<(&'static str, Value)> = table
            .columns
            .iter()
            .zip(user.to_values())
            .filter(|(c, _)| !(auto_id && c.role == Role::Id))
            .map(|(c, v)| (c.name, v))
            .collect();
        attempted.push((EMAIL_KEY_COLUMN, Value::Text(key)));
        let mut query = sqlx::query(AssertSqlSafe(self.sql.insert.clone()));
        for (_, value) in &attempted {
            query = DB::bind_value(query, value.clone());
        }
        let result = if !auto_id {
            query.execute(&self.pool).await.map(|_| None)
        } else if DB::DIALECT.has_returning() {
            match query.fetch_one(&self.pool).await {
                Ok(row) => DB::read_value(&row, 0, SqlType::I64, false).map(Some),
                Err(e) => Err(e),
            }
        } else {
            query
                .execute(&self.pool)
                .await
                .map(|r| DB::inserted_id(&r).map(Value::I64))
        };
        match result {
            Ok(None) => Ok(user),
            Ok(Some(generated)) => {
                let id = i64::from_value(generated)
                    .ok()
                    .and_then(U::Id::from_generated)
                    .ok_or_else(|| StoreError::Decode("the database returned no id".into()))?;
                user.set_id(id);
                Ok(user)
            }
            Err(err) => Err(self.write_error(err, &attempted).await),
        }
    }

    async fn get(&self, id: &U::Id) -> Result<Option<U>, StoreError> {
        self.fetch_one_user(&self.sql.select_by_id, id.to_value())
            .await
    }

    async fn get_by_email(&self, email: &str) -> Result<Option<U>, StoreError> {
        match email_key(email) {
            Some(key) => {
                self.fetch_one_user(&self.sql.select_by_key, Value::Text(key))
                    .await
            }
            None => Ok(None),
        }
    }

    async fn update_if(
        &self,
        id: &U::Id,
        changes: &Changes,
        conditions: &Changes,
    ) -> Result<Option<U>, StoreError> {
        let (sets, conditions) = super::update_plan::<U>(changes, conditions)?;
        if sets.is_empty() {
            return self.get(id).await;
        }
        let columns: Vec<&str> = sets.iter().map(|(c, _)| *c).collect();
        let condition_columns: Vec<&str> = conditions.iter().map(|(c, _)| *c).collect();
        let sql = self.sql.update(U::TABLE, &columns, &condition_columns);
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (_, value) in &sets {
            query = DB::bind_value(query, value.clone());
        }
        query = DB::bind_value(query, id.to_value());
        for (_, value) in &conditions {
            query = DB::bind_value(query, value.clone());
        }
        if DB::DIALECT.has_returning() {
            return match query.fetch_optional(&self.pool).await {
                Ok(Some(row)) => Self::decode(&row).map(Some),
                Ok(None) => Ok(None),
                Err(err) => Err(self.write_error(err, &sets).await),
            };
        }
        let mut tx = self.pool.begin().await.map_err(db)?;
        match query.execute(&mut *tx).await {
            // MySQL connections report matched rows (sqlx sets CLIENT_FOUND_ROWS).
            Ok(done) if DB::rows_affected(&done) == 0 => return Ok(None),
            Ok(_) => {}
            Err(err) => {
                drop(tx);
                return Err(self.write_error(err, &sets).await);
            }
        }
        let select = DB::bind_value(
            sqlx::query(AssertSqlSafe(self.sql.select_by_id.clone())),
            id.to_value(),
        );
        let row = select.fetch_optional(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        row.map(|r| Self::decode(&r)).transpose()
    }

    async fn delete(&self, id: &U::Id) -> Result<bool, StoreError> {
        let query = DB::bind_value(
            sqlx::query(AssertSqlSafe(self.sql.delete.clone())),
            id.to_value(),
        );
        let done = query.execute(&self.pool).await.map_err(db)?;
        Ok(DB::rows_affected(&done) > 0)
    }

    async fn count(&self) -> Result<u64, StoreError> {
        let row = sqlx::query(AssertSqlSafe(self.sql.count.clone()))
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        let n = i64::from_value(DB::read_value(&row, 0, SqlType::I64, false).map_err(db)?)
            .map_err(StoreError::Decode)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn list(&self, offset: u64, limit: u64) -> Result<Vec<U>, StoreError> {
        let clamp = |n: u64| Value::I64(i64::try_from(n).unwrap_or(i64::MAX));
        let mut query = sqlx::query(AssertSqlSafe(self.sql.list.clone()));
        query = DB::bind_value(query, clamp(limit));
        query = DB::bind_value(query, clamp(offset));
        let rows = query.fetch_all(&self.pool).await.map_err(db)?;
        rows.iter().map(Self::decode).collect()
    }
}
