//! The two OAuth tables, next to the user table and created by `Users::migrate`:
//! - `oauth_account`: the provider accounts linked to users, unique on
//!   (`oauth_name`, `account_id`), deleted with their user;
//! - `oauth_state`: one row per authorization in flight, holding the PKCE verifier and the
//!   OpenID nonce under the SHA-256 of the state's id; a callback deletes its row, and only
//!   the request whose delete removed it goes on (a state is used once).

use crate::auth::database::token_hash;
use crate::db::DbPool;
use crate::dialect::Dialect;
use crate::store::{StoreError, column_type};
use crate::user::{Role, TableSpec};
use crate::value::{SqlType, Value};

/// What a sign-in grants, as it is stored with the link: the provider account and its
/// tokens (sealed, or empty and absent when tokens are not kept).
pub(crate) struct Grant<'a> {
    pub oauth_name: &'a str,
    pub account_id: &'a str,
    pub account_email: &'a str,
    pub access_token: String,
    pub expires_at: Option<i64>,
    pub refresh_token: Option<String>,
}

/// A stored link: its row id and user.
#[derive(Clone)]
pub(crate) struct AccountRow {
    pub id: uuid::Uuid,
    pub user_id: Value,
}

/// A stored link as `accounts_of` lists it: name, account id, address, stored access token,
/// expiry, stored refresh token.
pub(crate) type StoredAccount = (String, String, String, String, Option<i64>, Option<String>);

/// The OAuth tables of the user database (SQL tables, or MongoDB collections).
#[derive(Debug, Clone)]
pub(crate) enum OAuthTables {
    /// In the SQL database.
    Sql(Box<SqlTables>),
    /// In the MongoDB database.
    #[cfg(feature = "mongodb")]
    Mongo(crate::mongo::MongoOAuth),
}

macro_rules! dispatch {
    ($self:ident, |$t:ident| $body:expr) => {
        match $self {
            OAuthTables::Sql($t) => $body,
            #[cfg(feature = "mongodb")]
            OAuthTables::Mongo($t) => $body,
        }
    };
}

impl OAuthTables {
    pub(crate) fn new(pool: &DbPool, user_table: &'static TableSpec) -> Self {
        #[cfg(feature = "mongodb")]
        if let DbPool::MongoDb(db) = pool {
            let id_type = user_table.column(Role::Id).map_or(SqlType::I64, |c| c.ty);
            return Self::Mongo(crate::mongo::MongoOAuth::new(db, id_type));
        }
        Self::Sql(Box::new(SqlTables::new(pool, user_table)))
    }

    /// Creates the tables if missing (idempotent); after the user table.
    pub(crate) async fn migrate(&self) -> Result<(), StoreError> {
        dispatch!(self, |t| t.migrate().await)
    }

    /// Records an authorization in flight under `state_id` until `expires_at`, clearing
    /// expired ones.
    pub(crate) async fn put_state(
        &self,
        state_id: &str,
        verifier: &str,
        nonce: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        dispatch!(self, |t| t
            .put_state(state_id, verifier, nonce, expires_at)
            .await)
    }

    /// Takes the authorization of `state_id` (PKCE verifier and nonce): at most one caller
    /// gets it, and only before it expires.
    pub(crate) async fn take_state(
        &self,
        state_id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        dispatch!(self, |t| t.take_state(state_id).await)
    }

    /// The link of (`oauth_name`, `account_id`), if any.
    pub(crate) async fn find_account(
        &self,
        oauth_name: &str,
        account_id: &str,
    ) -> Result<Option<AccountRow>, StoreError> {
        dispatch!(self, |t| t.find_account(oauth_name, account_id).await)
    }

    /// Links the granted provider account to `user_id`.
    pub(crate) async fn link(&self, user_id: Value, grant: Grant<'_>) -> Result<(), LinkError> {
        dispatch!(self, |t| t.link(user_id, grant).await)
    }

    /// The links of `user_id` (at most 1000).
    pub(crate) async fn accounts_of(
        &self,
        user_id: Value,
    ) -> Result<Vec<StoredAccount>, StoreError> {
        dispatch!(self, |t| t.accounts_of(user_id).await)
    }

    /// Stores the fresh tokens of a link; a missing refresh token keeps the stored one.
    pub(crate) async fn refresh(
        &self,
        row: &AccountRow,
        grant: Grant<'_>,
    ) -> Result<(), StoreError> {
        dispatch!(self, |t| t.refresh(row, grant).await)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct SqlTables {
    pool: DbPool,
    user_id_type: SqlType,
    ddl: Vec<String>,
    state_insert: String,
    state_select: String,
    state_delete: String,
    state_purge: String,
    account_select: String,
    account_insert: String,
    account_update: String,
    accounts_of: String,
}

fn db(e: sqlx::Error) -> StoreError {
    StoreError::Database(e)
}

/// The current Unix time in seconds (expiry of states and provider tokens).
pub(crate) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Why a provider account could not be linked.
#[derive(Debug)]
pub(crate) enum LinkError {
    /// The (provider, account id) pair is linked already (to anyone).
    Taken,
    /// The user is gone, or the database failed.
    Store(StoreError),
}

impl SqlTables {
    fn new(pool: &DbPool, user_table: &'static TableSpec) -> Self {
        // Only SQL pools come here (`OAuthTables::new`).
        let dialect = pool.dialect().unwrap_or(Dialect::Sqlite);
        let q = |s: &str| dialect.quote(s);
        let p = |n| dialect.placeholder(n);
        let (id_name, user_id_type) = user_table
            .column(Role::Id)
            .map(|c| (c.name, c.ty))
            .unwrap_or(("id", SqlType::I64));
        let user_id_sql = column_type(dialect, user_id_type);
        let uuid_sql = column_type(dialect, SqlType::Uuid);
        let (st, acc) = (q("oauth_state"), q("oauth_account"));
        let fk = format!(
            "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {}({}) ON DELETE CASCADE",
            q(&format!("fk_oauth_account_{}", user_table.name)),
            q("user_id"),
            q(user_table.name),
            q(id_name)
        );
        let mut ddl = Vec::new();
        if dialect == Dialect::MySql {
            let tail = ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
            ddl.push(format!(
                "CREATE TABLE IF NOT EXISTS {st} (\n    `id` CHAR(64) NOT NULL PRIMARY KEY,\n    `verifier` VARCHAR(128) NOT NULL,\n    `nonce` VARCHAR(128) NOT NULL,\n    `expires_at` BIGINT NOT NULL,\n    INDEX `ix_oauth_state_expires_at` (`expires_at`)\n{tail}"
            ));
            ddl.push(format!(
                "CREATE TABLE IF NOT EXISTS {acc} (\n    `id` {uuid_sql} NOT NULL PRIMARY KEY,\n    `oauth_name` VARCHAR(100) NOT NULL,\n    `access_token` TEXT NOT NULL,\n    `expires_at` BIGINT NULL,\n    `refresh_token` TEXT NULL,\n    `account_id` VARCHAR(320) NOT NULL,\n    `account_email` VARCHAR(320) NOT NULL,\n    `user_id` {user_id_sql} NOT NULL,\n    UNIQUE KEY `uq_oauth_account_name_account` (`oauth_name`, `account_id`),\n    INDEX `ix_oauth_account_user_id` (`user_id`),\n    {fk}\n{tail}"
            ));
        } else {
            ddl.push(format!(
                "CREATE TABLE IF NOT EXISTS {st} (\n    \"id\" CHAR(64) NOT NULL PRIMARY KEY,\n    \"verifier\" VARCHAR(128) NOT NULL,\n    \"nonce\" VARCHAR(128) NOT NULL,\n    \"expires_at\" BIGINT NOT NULL\n)"
            ));
            ddl.push(format!(
                "CREATE INDEX IF NOT EXISTS \"ix_oauth_state_expires_at\" ON {st} (\"expires_at\")"
            ));
            ddl.push(format!(
                "CREATE TABLE IF NOT EXISTS {acc} (\n    \"id\" {uuid_sql} NOT NULL PRIMARY KEY,\n    \"oauth_name\" VARCHAR(100) NOT NULL,\n    \"access_token\" TEXT NOT NULL,\n    \"expires_at\" BIGINT NULL,\n    \"refresh_token\" TEXT NULL,\n    \"account_id\" VARCHAR(320) NOT NULL,\n    \"account_email\" VARCHAR(320) NOT NULL,\n    \"user_id\" {user_id_sql} NOT NULL,\n    CONSTRAINT \"uq_oauth_account_name_account\" UNIQUE (\"oauth_name\", \"account_id\"),\n    {fk}\n)"
            ));
            ddl.push(format!(
                "CREATE INDEX IF NOT EXISTS \"ix_oauth_account_user_id\" ON {acc} (\"user_id\")"
            ));
        }
        let cols = "id, user_id";
        Self {
            pool: pool.clone(),
            user_id_type,
            ddl,
            state_insert: format!(
                "INSERT INTO {st} ({}, {}, {}, {}) VALUES ({}, {}, {}, {})",
                q("id"),
                q("verifier"),
                q("nonce"),
                q("expires_at"),
                p(1),
                p(2),
                p(3),
                p(4)
            ),
            state_select: format!(
                "SELECT {}, {}, {} FROM {st} WHERE {} = {}",
                q("verifier"),
                q("nonce"),
                q("expires_at"),
                q("id"),
                p(1)
            ),
            state_delete: format!("DELETE FROM {st} WHERE {} = {}", q("id"), p(1)),
            state_purge: format!("DELETE FROM {st} WHERE {} < {}", q("expires_at"), p(1)),
            account_select: format!(
                "SELECT {} FROM {acc} WHERE {} = {} AND {} = {}",
                cols.split(", ").map(q).collect::<Vec<_>>().join(", "),
                q("oauth_name"),
                p(1),
                q("account_id"),
                p(2)
            ),
            account_insert: format!(
                "INSERT INTO {acc} ({}, {}, {}, {}, {}, {}, {}, {}) VALUES ({}, {}, {}, {}, {}, {}, {}, {})",
                q("id"),
                q("oauth_name"),
                q("access_token"),
                q("expires_at"),
                q("refresh_token"),
                q("account_id"),
                q("account_email"),
                q("user_id"),
                p(1),
                p(2),
                p(3),
                p(4),
                p(5),
                p(6),
                p(7),
                p(8)
            ),
            accounts_of: format!(
                "SELECT {}, {}, {}, {}, {}, {} FROM {acc} WHERE {} = {} ORDER BY {}, {}",
                q("oauth_name"),
                q("account_id"),
                q("account_email"),
                q("access_token"),
                q("expires_at"),
                q("refresh_token"),
                q("user_id"),
                p(1),
                q("oauth_name"),
                q("account_id")
            ),
            account_update: format!(
                "UPDATE {acc} SET {} = {}, {} = {}, {} = COALESCE({}, {}), {} = {} WHERE {} = {}",
                q("access_token"),
                p(1),
                q("expires_at"),
                p(2),
                q("refresh_token"),
                p(3),
                q("refresh_token"),
                q("account_email"),
                p(4),
                q("id"),
                p(5)
            ),
        }
    }

    /// Creates the tables if missing (idempotent); after the user table.
    pub(crate) async fn migrate(&self) -> Result<(), StoreError> {
        for statement in &self.ddl {
            self.pool.execute(statement, Vec::new()).await.map_err(db)?;
        }
        Ok(())
    }

    /// Records an authorization in flight under `state_id` until `expires_at`, clearing
    /// expired ones.
    pub(crate) async fn put_state(
        &self,
        state_id: &str,
        verifier: &str,
        nonce: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.pool
            .execute(&self.state_purge, vec![Value::I64(now())])
            .await
            .map_err(db)?;
        let args = vec![
            Value::Text(token_hash(state_id)),
            Value::Text(verifier.to_owned()),
            Value::Text(nonce.to_owned()),
            Value::I64(expires_at),
        ];
        self.pool
            .execute(&self.state_insert, args)
            .await
            .map_err(db)?;
        Ok(())
    }

    /// Takes the authorization of `state_id` (PKCE verifier and nonce): at most one caller
    /// gets it, and only before it expires.
    pub(crate) async fn take_state(
        &self,
        state_id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        let key = Value::Text(token_hash(state_id));
        let columns = [
            (SqlType::Varchar(128), false),
            (SqlType::Varchar(128), false),
            (SqlType::I64, false),
        ];
        let Some(row) = self
            .pool
            .fetch_row(&self.state_select, vec![key.clone()], &columns)
            .await
            .map_err(db)?
        else {
            return Ok(None);
        };
        let deleted = self
            .pool
            .execute(&self.state_delete, vec![key])
            .await
            .map_err(db)?;
        match row.as_slice() {
            [
                Value::Text(verifier),
                Value::Text(nonce),
                Value::I64(expires),
            ] if deleted == 1 && *expires >= now() => Ok(Some((verifier.clone(), nonce.clone()))),
            _ => Ok(None),
        }
    }

    /// The link of (`oauth_name`, `account_id`), if any.
    pub(crate) async fn find_account(
        &self,
        oauth_name: &str,
        account_id: &str,
    ) -> Result<Option<AccountRow>, StoreError> {
        let columns = [(SqlType::Uuid, false), (self.user_id_type, false)];
        let row = self
            .pool
            .fetch_row(
                &self.account_select,
                vec![
                    Value::Text(oauth_name.to_owned()),
                    Value::Text(account_id.to_owned()),
                ],
                &columns,
            )
            .await
            .map_err(db)?;
        Ok(row.and_then(|row| match <[Value; 2]>::try_from(row) {
            Ok([Value::Uuid(id), user_id]) => Some(AccountRow { id, user_id }),
            _ => None,
        }))
    }

    /// Links the granted provider account to `user_id`.
    pub(crate) async fn link(&self, user_id: Value, grant: Grant<'_>) -> Result<(), LinkError> {
        let args = vec![
            Value::Uuid(uuid::Uuid::new_v4()),
            Value::Text(grant.oauth_name.to_owned()),
            Value::Text(grant.access_token),
            grant
                .expires_at
                .map_or(Value::Null(SqlType::I64), Value::I64),
            grant
                .refresh_token
                .map_or(Value::Null(SqlType::Text), Value::Text),
            Value::Text(grant.account_id.to_owned()),
            Value::Text(grant.account_email.to_owned()),
            user_id,
        ];
        match self.pool.execute(&self.account_insert, args).await {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(LinkError::Taken),
            Err(e) => Err(LinkError::Store(db(e))),
        }
    }

    /// The links of `user_id` (at most 1000): name, account id, address, stored access
    /// token, expiry, stored refresh token.
    pub(crate) async fn accounts_of(
        &self,
        user_id: Value,
    ) -> Result<Vec<StoredAccount>, StoreError> {
        let columns = [
            (SqlType::Varchar(100), false),
            (SqlType::Varchar(320), false),
            (SqlType::Varchar(320), false),
            (SqlType::Text, false),
            (SqlType::I64, true),
            (SqlType::Text, true),
        ];
        let rows = self
            .pool
            .fetch_rows(&self.accounts_of, vec![user_id], &columns, 1000)
            .await
            .map_err(db)?;
        Ok(rows
            .into_iter()
            .filter_map(|row| match <[Value; 6]>::try_from(row) {
                Ok(
                    [
                        Value::Text(name),
                        Value::Text(account),
                        Value::Text(email),
                        Value::Text(access),
                        expires,
                        refresh,
                    ],
                ) => Some((
                    name,
                    account,
                    email,
                    access,
                    match expires {
                        Value::I64(at) => Some(at),
                        _ => None,
                    },
                    match refresh {
                        Value::Text(token) => Some(token),
                        _ => None,
                    },
                )),
                _ => None,
            })
            .collect())
    }

    /// Stores the fresh tokens of a link; a missing refresh token keeps the stored one.
    pub(crate) async fn refresh(
        &self,
        row: &AccountRow,
        grant: Grant<'_>,
    ) -> Result<(), StoreError> {
        let args = vec![
            Value::Text(grant.access_token),
            grant
                .expires_at
                .map_or(Value::Null(SqlType::I64), Value::I64),
            grant
                .refresh_token
                .map_or(Value::Null(SqlType::Text), Value::Text),
            Value::Text(grant.account_email.to_owned()),
            Value::Uuid(row.id),
        ];
        self.pool
            .execute(&self.account_update, args)
            .await
            .map_err(db)?;
        Ok(())
    }
}
