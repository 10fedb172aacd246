//! Database access tokens: 32 random bytes handed to the client, stored as their SHA-256 in
//! the `accesstoken` table of the user database (§5.2 of the contract).

use std::fmt;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::db::DbPool;
use crate::dialect::Dialect;
use crate::store::{StoreError, column_type};
use crate::time_fmt;
use crate::user::{Role, TableSpec};
use crate::value::{SqlType, Value};

/// A new random token: 32 bytes from the OS CSPRNG, base64url without padding (43 chars).
/// Also a good generated secret.
///
/// ```
/// let token = auth_runtime::auth::random_token().unwrap();
/// assert_eq!(token.len(), 43);
/// ```
pub fn random_token() -> Result<String, crate::error::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| crate::error::Error::Internal(format!("the OS random source failed: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The lowercase hex SHA-256 of a token's bytes: what is stored and looked up.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the tokens live once attached to a `Users` value.
#[derive(Clone)]
enum Attached {
    Sql(SqlTokens),
    #[cfg(feature = "mongodb")]
    Mongo(crate::mongo::MongoTokens),
}

#[derive(Clone)]
struct SqlTokens {
    pool: DbPool,
    id_type: SqlType,
    ddl: Vec<String>,
    insert: String,
    select: String,
    select_fresh: String,
    delete: String,
    delete_user: String,
    purge: String,
}

/// The database token strategy. Its table lives next to the user table and is created by
/// `Users::migrate`.
///
/// ```
/// use auth_runtime::auth::{DatabaseTokens, Strategy};
/// let strategy = Strategy::Database(DatabaseTokens::new(Some(3600)));
/// assert_eq!(strategy.lifetime_seconds(), Some(3600));
/// ```
#[derive(Clone)]
pub struct DatabaseTokens {
    lifetime: Option<u64>,
    attached: Option<Attached>,
}

impl fmt::Debug for DatabaseTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseTokens")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

fn not_attached() -> StoreError {
    StoreError::Decode("the database token strategy is not attached to a Users value".into())
}

impl DatabaseTokens {
    /// Tokens in the user database, valid for `lifetime` seconds (`None`: until logout).
    pub fn new(lifetime: Option<u64>) -> Self {
        Self {
            lifetime,
            attached: None,
        }
    }

    /// The lifetime in seconds, if any.
    pub fn lifetime_seconds(&self) -> Option<u64> {
        self.lifetime
    }

    pub(crate) fn attach(&mut self, pool: &DbPool, user_table: &'static TableSpec) {
        let (id_name, id_type) = user_table
            .column(Role::Id)
            .map(|c| (c.name, c.ty))
            .unwrap_or(("id", SqlType::I64));
        let dialect = match pool {
            #[cfg(feature = "mongodb")]
            DbPool::MongoDb(db) => {
                self.attached = Some(Attached::Mongo(crate::mongo::MongoTokens::new(db, id_type)));
                return;
            }
            // Every other pool is a SQL one.
            _ => pool.dialect().unwrap_or(Dialect::Sqlite),
        };
        let q = |s: &str| dialect.quote(s);
        let t = q("accesstoken");
        let p = |n| dialect.placeholder(n);
        let ts = column_type(dialect, SqlType::Timestamp);
        let id_sql = column_type(dialect, id_type);
        let fk = format!(
            "{} FOREIGN KEY ({}) REFERENCES {}({}) ON DELETE CASCADE",
            format_args!(
                "CONSTRAINT {}",
                q(&format!("fk_accesstoken_{}", user_table.name))
            ),
            q("user_id"),
            q(user_table.name),
            q(id_name)
        );
        let mut ddl = Vec::new();
        if dialect == Dialect::MySql {
            ddl.push(format!(
                "CREATE TABLE IF NOT EXISTS {t} (\n    `token_hash` CHAR(64) NOT NULL PRIMARY KEY,\n    `user_id` {id_sql} NOT NULL,\n    `created_at` {ts} NOT NULL,\n    INDEX `ix_accesstoken_user_id` (`user_id`),\n    INDEX `ix_accesstoken_created_at` (`created_at`),\n    {fk}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
            ));
        } else {
            ddl.push(format!(
                "CREATE TABLE IF NOT EXISTS {t} (\n    \"token_hash\" CHAR(64) NOT NULL PRIMARY KEY,\n    \"user_id\" {id_sql} NOT NULL,\n    \"created_at\" {ts} NOT NULL,\n    {fk}\n)"
            ));
            ddl.push(format!(
                "CREATE INDEX IF NOT EXISTS \"ix_accesstoken_user_id\" ON {t} (\"user_id\")"
            ));
            ddl.push(format!(
                "CREATE INDEX IF NOT EXISTS \"ix_accesstoken_created_at\" ON {t} (\"created_at\")"
            ));
        }
        let (hash, user, created) = (q("token_hash"), q("user_id"), q("created_at"));
        self.attached = Some(Attached::Sql(SqlTokens {
            pool: pool.clone(),
            id_type,
            ddl,
            insert: format!(
                "INSERT INTO {t} ({hash}, {user}, {created}) VALUES ({}, {}, {})",
                p(1),
                p(2),
                p(3)
            ),
            select: format!("SELECT {user} FROM {t} WHERE {hash} = {}", p(1)),
            select_fresh: format!(
                "SELECT {user} FROM {t} WHERE {hash} = {} AND {created} >= {}",
                p(1),
                p(2)
            ),
            delete: format!("DELETE FROM {t} WHERE {hash} = {}", p(1)),
            delete_user: format!("DELETE FROM {t} WHERE {user} = {}", p(1)),
            purge: format!("DELETE FROM {t} WHERE {created} < {}", p(1)),
        }));
    }

    fn attached(&self) -> Result<&Attached, StoreError> {
        self.attached.as_ref().ok_or_else(not_attached)
    }

    /// Creates the token table if missing (idempotent); after the user table.
    pub(crate) async fn migrate(&self) -> Result<(), StoreError> {
        let a = match self.attached()? {
            Attached::Sql(a) => a,
            #[cfg(feature = "mongodb")]
            Attached::Mongo(m) => return m.migrate(self.lifetime).await,
        };
        for statement in &a.ddl {
            a.pool
                .execute(statement, Vec::new())
                .await
                .map_err(StoreError::Database)?;
        }
        Ok(())
    }

    /// The oldest creation time a token may have to be valid (`None`: no lifetime).
    fn cutoff(&self) -> Option<time::OffsetDateTime> {
        self.lifetime.map(|seconds| {
            time_fmt::now()
                - time::Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX / 2))
        })
    }

    pub(crate) async fn write_token(&self, user_id: &Value) -> Result<String, StoreError> {
        let token = random_token().map_err(|e| StoreError::Decode(e.to_string()))?;
        let (hash, created) = (token_hash(&token), time_fmt::now());
        let a = match self.attached()? {
            Attached::Sql(a) => a,
            #[cfg(feature = "mongodb")]
            Attached::Mongo(m) => return m.insert(hash, user_id, created).await.map(|()| token),
        };
        let args = vec![
            Value::Text(hash),
            user_id.clone(),
            Value::Timestamp(created),
        ];
        a.pool
            .execute(&a.insert, args)
            .await
            .map_err(StoreError::Database)?;
        Ok(token)
    }

    pub(crate) async fn read_token(&self, token: &str) -> Result<Option<Value>, StoreError> {
        let (hash, cutoff) = (token_hash(token), self.cutoff());
        let a = match self.attached()? {
            Attached::Sql(a) => a,
            #[cfg(feature = "mongodb")]
            Attached::Mongo(m) => return m.find(hash, cutoff).await,
        };
        let hash = Value::Text(hash);
        let found = match cutoff {
            Some(cutoff) => {
                a.pool
                    .fetch_value(
                        &a.select_fresh,
                        vec![hash, Value::Timestamp(cutoff)],
                        a.id_type,
                    )
                    .await
            }
            None => a.pool.fetch_value(&a.select, vec![hash], a.id_type).await,
        };
        found.map_err(StoreError::Database)
    }

    pub(crate) async fn destroy_token(&self, token: &str) -> Result<(), StoreError> {
        let a = match self.attached()? {
            Attached::Sql(a) => a,
            #[cfg(feature = "mongodb")]
            Attached::Mongo(m) => return m.delete(token_hash(token)).await,
        };
        a.pool
            .execute(&a.delete, vec![Value::Text(token_hash(token))])
            .await
            .map_err(StoreError::Database)?;
        Ok(())
    }

    /// Deletes every token of a user (deactivation, deletion).
    pub(crate) async fn delete_for_user(&self, user_id: &Value) -> Result<u64, StoreError> {
        let a = match self.attached()? {
            Attached::Sql(a) => a,
            #[cfg(feature = "mongodb")]
            Attached::Mongo(m) => return m.delete_for_user(user_id).await,
        };
        a.pool
            .execute(&a.delete_user, vec![user_id.clone()])
            .await
            .map_err(StoreError::Database)
    }

    /// Deletes expired rows; the number deleted (0 without a lifetime).
    pub(crate) async fn purge_expired(&self) -> Result<u64, StoreError> {
        let Some(cutoff) = self.cutoff() else {
            return Ok(0);
        };
        let a = match self.attached()? {
            Attached::Sql(a) => a,
            #[cfg(feature = "mongodb")]
            Attached::Mongo(m) => return m.purge(cutoff).await,
        };
        a.pool
            .execute(&a.purge, vec![Value::Timestamp(cutoff)])
            .await
            .map_err(StoreError::Database)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_chars_and_hashed_as_hex() {
        let token = random_token().expect("random");
        assert_eq!(token.len(), 43);
        assert_ne!(token, random_token().expect("random"));
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
