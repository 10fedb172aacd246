//! [`DbPool`]: a sqlx pool (or a MongoDB client) of whichever database the URL names, and
//! [`AnyStore`], the user store on it. This is what lets one binary serve SQLite, PostgreSQL,
//! MySQL/MariaDB or MongoDB depending on `DATABASE_URL`.

use std::fmt;

use crate::Dialect;
use crate::store::{Backend, SqlxStore, StoreError, UserStore};
use crate::user::{AuthUser, Changes};
use crate::value::{SqlType, Value};

#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!(
    "axum-users needs at least one SQL database feature: sqlite, postgres or mysql (mongodb comes in addition)"
);

/// A connection pool of one of the supported databases.
#[derive(Clone)]
#[non_exhaustive]
pub enum DbPool {
    /// SQLite.
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
    /// MySQL or MariaDB.
    #[cfg(feature = "mysql")]
    MySql(sqlx::MySqlPool),
    /// MongoDB.
    #[cfg(feature = "mongodb")]
    MongoDb(crate::mongo::MongoDb),
}

impl fmt::Debug for DbPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.dialect() {
            Some(dialect) => write!(f, "DbPool({dialect})"),
            None => write!(f, "DbPool(MongoDB)"),
        }
    }
}

/// Runs `$body` with `$p` bound to the concrete pool (or store) inside a [`DbPool`]-shaped enum.
macro_rules! dispatch {
    ($enum:ident, $value:expr, |$p:ident| $body:expr) => {
        match $value {
            #[cfg(feature = "sqlite")]
            $enum::Sqlite($p) => $body,
            #[cfg(feature = "postgres")]
            $enum::Postgres($p) => $body,
            #[cfg(feature = "mysql")]
            $enum::MySql($p) => $body,
            #[cfg(feature = "mongodb")]
            $enum::MongoDb($p) => $body,
        }
    };
}

/// Runs `$body` with `$p` bound to the sqlx pool inside a [`DbPool`]; SQL on a MongoDB pool is
/// refused (callers branch on the kind of pool first).
macro_rules! sql_dispatch {
    ($value:expr, |$p:ident| $body:expr) => {
        match $value {
            #[cfg(feature = "sqlite")]
            DbPool::Sqlite($p) => $body,
            #[cfg(feature = "postgres")]
            DbPool::Postgres($p) => $body,
            #[cfg(feature = "mysql")]
            DbPool::MySql($p) => $body,
            #[cfg(feature = "mongodb")]
            DbPool::MongoDb(_) => Err(sqlx::Error::Configuration(
                "SQL statement on a MongoDB database".into(),
            )),
        }
    };
}

impl DbPool {
    /// Connects to `url`: `sqlite://path` (file created if missing; foreign keys on, WAL,
    /// 5 s busy timeout), `sqlite::memory:`, `postgres://…`, `mysql://…` (MariaDB too) or
    /// `mongodb://host[:port]/DATABASE` (feature `mongodb`; database `axum_users` when the URL
    /// names none).
    /// A scheme whose feature is not compiled in is refused with a clear error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), sqlx::Error> {
    /// let pool = auth_runtime::DbPool::connect("sqlite::memory:").await?;
    /// assert_eq!(pool.dialect(), Some(auth_runtime::Dialect::Sqlite));
    /// # Ok(()) }
    /// ```
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            #[cfg(feature = "sqlite")]
            "sqlite" => {
                let options = crate::store::sqlite_options(url)?;
                let memory = url.contains(":memory:") || url.contains("mode=memory");
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    // An in-memory database lives in one connection.
                    .max_connections(if memory { 1 } else { 8 })
                    .connect_with(options)
                    .await?;
                Ok(Self::Sqlite(pool))
            }
            #[cfg(feature = "postgres")]
            "postgres" | "postgresql" => Ok(Self::Postgres(sqlx::PgPool::connect(url).await?)),
            #[cfg(feature = "mysql")]
            "mysql" | "mariadb" => Ok(Self::MySql(sqlx::MySqlPool::connect(url).await?)),
            #[cfg(feature = "mongodb")]
            "mongodb" => match crate::mongo::MongoDb::connect(url).await {
                Ok(db) => Ok(Self::MongoDb(db)),
                Err(e) => Err(sqlx::Error::Io(std::io::Error::other(e))),
            },
            other => Err(sqlx::Error::Configuration(
                format!(
                    "unsupported database URL scheme `{other}`: this build supports {}",
                    Self::supported()
                )
                .into(),
            )),
        }
    }

    fn supported() -> String {
        let mut out = Vec::new();
        if cfg!(feature = "sqlite") {
            out.push("sqlite://");
        }
        if cfg!(feature = "postgres") {
            out.push("postgres://");
        }
        if cfg!(feature = "mysql") {
            out.push("mysql://");
        }
        if cfg!(feature = "mongodb") {
            out.push("mongodb://");
        }
        out.join(", ")
    }

    /// The SQL dialect of this pool; `None` for MongoDB.
    pub fn dialect(&self) -> Option<Dialect> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_) => Some(Dialect::Sqlite),
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => Some(Dialect::Postgres),
            #[cfg(feature = "mysql")]
            Self::MySql(_) => Some(Dialect::MySql),
            #[cfg(feature = "mongodb")]
            Self::MongoDb(_) => None,
        }
    }

    /// Closes every connection.
    pub async fn close(&self) {
        dispatch!(Self, self, |p| p.close().await)
    }
}

#[cfg(feature = "sqlite")]
impl From<sqlx::SqlitePool> for DbPool {
    fn from(pool: sqlx::SqlitePool) -> Self {
        Self::Sqlite(pool)
    }
}
#[cfg(feature = "postgres")]
impl From<sqlx::PgPool> for DbPool {
    fn from(pool: sqlx::PgPool) -> Self {
        Self::Postgres(pool)
    }
}
#[cfg(feature = "mysql")]
impl From<sqlx::MySqlPool> for DbPool {
    fn from(pool: sqlx::MySqlPool) -> Self {
        Self::MySql(pool)
    }
}
#[cfg(feature = "mongodb")]
impl From<crate::mongo::MongoDb> for DbPool {
    fn from(db: crate::mongo::MongoDb) -> Self {
        Self::MongoDb(db)
    }
}

/// The user store on a [`DbPool`]: a [`SqlxStore`] of whichever database it holds.
#[non_exhaustive]
pub enum AnyStore<U> {
    /// On SQLite.
    #[cfg(feature = "sqlite")]
    Sqlite(SqlxStore<U, sqlx::Sqlite>),
    /// On PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgres(SqlxStore<U, sqlx::Postgres>),
    /// On MySQL or MariaDB.
    #[cfg(feature = "mysql")]
    MySql(SqlxStore<U, sqlx::MySql>),
    /// On MongoDB.
    #[cfg(feature = "mongodb")]
    MongoDb(crate::mongo::MongoStore<U>),
}

impl<U> Clone for AnyStore<U> {
    fn clone(&self) -> Self {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(s) => Self::Sqlite(s.clone()),
            #[cfg(feature = "postgres")]
            Self::Postgres(s) => Self::Postgres(s.clone()),
            #[cfg(feature = "mysql")]
            Self::MySql(s) => Self::MySql(s.clone()),
            #[cfg(feature = "mongodb")]
            Self::MongoDb(s) => Self::MongoDb(s.clone()),
        }
    }
}

impl<U> fmt::Debug for AnyStore<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        dispatch!(Self, self, |s| fmt::Debug::fmt(s, f))
    }
}

impl<U: AuthUser> AnyStore<U> {
    /// The user store on `pool`.
    pub fn new(pool: DbPool) -> Self {
        match pool {
            #[cfg(feature = "sqlite")]
            DbPool::Sqlite(p) => Self::Sqlite(SqlxStore::new(p)),
            #[cfg(feature = "postgres")]
            DbPool::Postgres(p) => Self::Postgres(SqlxStore::new(p)),
            #[cfg(feature = "mysql")]
            DbPool::MySql(p) => Self::MySql(SqlxStore::new(p)),
            #[cfg(feature = "mongodb")]
            DbPool::MongoDb(db) => Self::MongoDb(crate::mongo::MongoStore::new(db)),
        }
    }

    /// Creates the user table (MongoDB: the indexes) if missing (idempotent).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        dispatch!(Self, self, |s| s.migrate().await)
    }
}

impl<U: AuthUser> UserStore<U> for AnyStore<U> {
    async fn create(&self, user: U) -> Result<U, StoreError> {
        dispatch!(Self, self, |s| s.create(user).await)
    }
    async fn get(&self, id: &U::Id) -> Result<Option<U>, StoreError> {
        dispatch!(Self, self, |s| s.get(id).await)
    }
    async fn get_by_email(&self, email: &str) -> Result<Option<U>, StoreError> {
        dispatch!(Self, self, |s| s.get_by_email(email).await)
    }
    async fn update_if(
        &self,
        id: &U::Id,
        changes: &Changes,
        conditions: &Changes,
    ) -> Result<Option<U>, StoreError> {
        dispatch!(Self, self, |s| s.update_if(id, changes, conditions).await)
    }
    async fn delete(&self, id: &U::Id) -> Result<bool, StoreError> {
        dispatch!(Self, self, |s| s.delete(id).await)
    }
    async fn count(&self) -> Result<u64, StoreError> {
        dispatch!(Self, self, |s| s.count().await)
    }
    async fn list(&self, offset: u64, limit: u64) -> Result<Vec<U>, StoreError> {
        dispatch!(Self, self, |s| s.list(offset, limit).await)
    }
}

/// Runs one statement with `args` bound, returning the number of rows it changed.
async fn execute_on<DB>(
    pool: &sqlx::Pool<DB>,
    sql: &str,
    args: Vec<Value>,
) -> Result<u64, sqlx::Error>
where
    DB: Backend,
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
{
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
    for arg in args {
        query = DB::bind_value(query, arg);
    }
    let done = query.execute(pool).await?;
    Ok(DB::rows_affected(&done))
}

/// Runs one query with `args` bound, returning the first column of the first row.
async fn fetch_value_on<DB>(
    pool: &sqlx::Pool<DB>,
    sql: &str,
    args: Vec<Value>,
    ty: SqlType,
) -> Result<Option<Value>, sqlx::Error>
where
    DB: Backend,
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
{
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
    for arg in args {
        query = DB::bind_value(query, arg);
    }
    match query.fetch_optional(pool).await? {
        Some(row) => DB::read_value(&row, 0, ty, false).map(Some),
        None => Ok(None),
    }
}

/// Runs one query with `args` bound, returning at most `limit` rows read as `columns`
/// (type, nullable).
#[cfg_attr(not(feature = "oauth"), allow(dead_code))]
async fn fetch_rows_on<DB>(
    pool: &sqlx::Pool<DB>,
    sql: &str,
    args: Vec<Value>,
    columns: &[(SqlType, bool)],
    limit: usize,
) -> Result<Vec<Vec<Value>>, sqlx::Error>
where
    DB: Backend,
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
{
    use futures_util::TryStreamExt as _;
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
    for arg in args {
        query = DB::bind_value(query, arg);
    }
    let mut rows = query.fetch(pool);
    let mut out = Vec::new();
    while out.len() < limit {
        let Some(row) = rows.try_next().await? else {
            break;
        };
        out.push(
            columns
                .iter()
                .enumerate()
                .map(|(i, (ty, nullable))| DB::read_value(&row, i, *ty, *nullable))
                .collect::<Result<Vec<_>, _>>()?,
        );
    }
    Ok(out)
}

impl DbPool {
    /// Runs one query with `args` bound; the first row, its columns read as `columns`.
    #[cfg_attr(not(feature = "oauth"), allow(dead_code))]
    pub(crate) async fn fetch_row(
        &self,
        sql: &str,
        args: Vec<Value>,
        columns: &[(SqlType, bool)],
    ) -> Result<Option<Vec<Value>>, sqlx::Error> {
        let rows = sql_dispatch!(self, |p| fetch_rows_on(p, sql, args, columns, 1).await)?;
        Ok(rows.into_iter().next())
    }

    /// Runs one query with `args` bound; at most `limit` rows, read as `columns`.
    #[cfg_attr(not(feature = "oauth"), allow(dead_code))]
    pub(crate) async fn fetch_rows(
        &self,
        sql: &str,
        args: Vec<Value>,
        columns: &[(SqlType, bool)],
        limit: usize,
    ) -> Result<Vec<Vec<Value>>, sqlx::Error> {
        sql_dispatch!(self, |p| fetch_rows_on(p, sql, args, columns, limit).await)
    }

    /// Runs one statement (SQL built by axum-users, never from request input) with `args`
    /// bound; the number of rows it changed.
    pub(crate) async fn execute(&self, sql: &str, args: Vec<Value>) -> Result<u64, sqlx::Error> {
        sql_dispatch!(self, |p| execute_on(p, sql, args).await)
    }

    /// Runs one query with `args` bound; the first column of the first row, read as `ty`.
    pub(crate) async fn fetch_value(
        &self,
        sql: &str,
        args: Vec<Value>,
        ty: SqlType,
    ) -> Result<Option<Value>, sqlx::Error> {
        sql_dispatch!(self, |p| fetch_value_on(p, sql, args, ty).await)
    }
}

/// `url` as it may be logged: a password in it is masked.
///
/// ```
/// use auth_runtime::db::loggable_url;
///
/// assert_eq!(
///     loggable_url("postgres://app:s3cret@db.internal:5432/users"),
///     "postgres://app:***@db.internal:5432/users"
/// );
/// assert_eq!(loggable_url("sqlite://users.db"), "sqlite://users.db");
/// ```
pub fn loggable_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                // Only URLs that cannot carry a password refuse this.
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "(an unparsable URL)".into(),
    }
}
