//! The three sqlx databases behind one trait: how a [`Value`] is bound and read back.

use sqlx::query::Query;
use sqlx::{Database, Row};

use crate::dialect::Dialect;
use crate::value::{SqlType, Value};

/// A sqlx database axum-users can store users in: SQLite, PostgreSQL or MySQL/MariaDB.
///
/// Sealed: the store's SQL and type mapping are written for exactly these three.
pub trait Backend: Database<Arguments: sqlx::IntoArguments<Self>> + sealed::Sealed {
    /// The SQL dialect of this database.
    const DIALECT: Dialect;

    /// Binds `value` as the next parameter of `query`.
    fn bind_value<'q>(
        query: Query<'q, Self, <Self as Database>::Arguments>,
        value: Value,
    ) -> Query<'q, Self, <Self as Database>::Arguments>;

    /// Reads column `index` of `row` as a value of type `ty`.
    fn read_value(
        row: &<Self as Database>::Row,
        index: usize,
        ty: SqlType,
        nullable: bool,
    ) -> Result<Value, sqlx::Error>;

    /// The id an auto-increment insert produced, for dialects without `RETURNING`.
    fn inserted_id(result: &<Self as Database>::QueryResult) -> Option<i64>;

    /// The number of rows a statement changed.
    fn rows_affected(result: &<Self as Database>::QueryResult) -> u64;
}

mod sealed {
    pub trait Sealed {}
}

#[cfg_attr(not(any(feature = "sqlite", feature = "mysql")), allow(dead_code))]
fn decode_error(index: usize, message: String) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: index.to_string(),
        source: message.into(),
    }
}

#[cfg_attr(not(any(feature = "sqlite", feature = "mysql")), allow(dead_code))]
fn parse_uuid(index: usize, text: &str) -> Result<uuid::Uuid, sqlx::Error> {
    uuid::Uuid::try_parse(text).map_err(|e| decode_error(index, format!("bad UUID: {e}")))
}

/// Reads a column with the arms every database shares; `$uuid` and `$ts` read the two types
/// whose storage differs per database.
macro_rules! read_value {
    ($row:ident, $i:ident, $ty:ident, $nullable:ident, uuid: |$u:ident| $uuid:expr, timestamp: |$t:ident| $ts:expr) => {{
        macro_rules! get {
            ($rust:ty, |$v:ident| $conv:expr) => {{
                let got: Option<$rust> = if $nullable {
                    $row.try_get($i)?
                } else {
                    Some($row.try_get($i)?)
                };
                match got {
                    None => Value::Null($ty),
                    Some($v) => $conv,
                }
            }};
        }
        Ok(match $ty {
            SqlType::Varchar(_) | SqlType::Text => get!(String, |v| Value::Text(v)),
            SqlType::Bool => get!(bool, |v| Value::Bool(v)),
            SqlType::I32 => get!(i32, |v| Value::I32(v)),
            SqlType::I64 => get!(i64, |v| Value::I64(v)),
            SqlType::F64 => get!(f64, |v| Value::F64(v)),
            SqlType::Uuid => {
                let $u = $i;
                $uuid
            }
            SqlType::Timestamp => {
                let $t = $i;
                $ts
            }
        })
    }};
}

/// Binds the arms every database shares; `$uuid`/`$ts` handle the two that differ.
macro_rules! bind_common {
    ($q:ident, $value:ident, null_uuid: $nu:ty, null_ts: $nt:ty, uuid: |$u:ident| $uuid:expr, timestamp: |$t:ident| $ts:expr) => {
        match $value {
            Value::Null(ty) => match ty {
                SqlType::Varchar(_) | SqlType::Text => $q.bind(None::<String>),
                SqlType::Bool => $q.bind(None::<bool>),
                SqlType::I32 => $q.bind(None::<i32>),
                SqlType::I64 => $q.bind(None::<i64>),
                SqlType::F64 => $q.bind(None::<f64>),
                SqlType::Uuid => $q.bind(None::<$nu>),
                SqlType::Timestamp => $q.bind(None::<$nt>),
            },
            Value::Text(v) => $q.bind(v),
            Value::Bool(v) => $q.bind(v),
            Value::I32(v) => $q.bind(v),
            Value::I64(v) => $q.bind(v),
            Value::F64(v) => $q.bind(v),
            Value::Uuid($u) => $q.bind($uuid),
            Value::Timestamp($t) => $q.bind($ts),
        }
    };
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use crate::time_fmt;
    use sqlx::sqlite::{Sqlite, SqliteArguments, SqliteQueryResult, SqliteRow};

    impl sealed::Sealed for Sqlite {}

    impl Backend for Sqlite {
        const DIALECT: Dialect = Dialect::Sqlite;

        fn bind_value<'q>(
            q: Query<'q, Self, SqliteArguments>,
            value: Value,
        ) -> Query<'q, Self, SqliteArguments> {
            bind_common!(q, value, null_uuid: String, null_ts: String,
                uuid: |u| u.hyphenated().to_string(),
                timestamp: |t| time_fmt::to_sqlite_text(t))
        }

        fn read_value(
            row: &SqliteRow,
            index: usize,
            ty: SqlType,
            nullable: bool,
        ) -> Result<Value, sqlx::Error> {
            read_value!(row, index, ty, nullable,
            uuid: |i| {
                let text: Option<String> = row.try_get(i)?;
                match text {
                    None => Value::Null(ty),
                    Some(s) => Value::Uuid(parse_uuid(i, &s)?),
                }
            },
            timestamp: |i| {
                let text: Option<String> = row.try_get(i)?;
                match text {
                    None => Value::Null(ty),
                    Some(s) => Value::Timestamp(
                        time_fmt::from_sqlite_text(&s).map_err(|e| decode_error(i, e))?,
                    ),
                }
            })
        }

        fn inserted_id(result: &SqliteQueryResult) -> Option<i64> {
            Some(result.last_insert_rowid())
        }

        fn rows_affected(result: &SqliteQueryResult) -> u64 {
            result.rows_affected()
        }
    }

    /// Connection options for SQLite as axum-users expects them: the file created if
    /// missing, foreign keys on, WAL journal mode and a 5 s busy timeout (so concurrent
    /// writers wait instead of failing).
    ///
    /// ```
    /// # async fn demo() -> Result<(), sqlx::Error> {
    /// let options = auth_runtime::store::sqlite_options("sqlite://app.db")?;
    /// let pool = sqlx::SqlitePool::connect_with(options).await?;
    /// # Ok(()) }
    /// ```
    pub fn sqlite_options(url: &str) -> Result<sqlx::sqlite::SqliteConnectOptions, sqlx::Error> {
        use std::str::FromStr;
        Ok(sqlx::sqlite::SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_secs(5)))
    }
}
#[cfg(feature = "sqlite")]
pub use sqlite::sqlite_options;

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use sqlx::postgres::{PgArguments, PgQueryResult, PgRow, Postgres};
    use time::OffsetDateTime;

    impl sealed::Sealed for Postgres {}

    impl Backend for Postgres {
        const DIALECT: Dialect = Dialect::Postgres;

        fn bind_value<'q>(
            q: Query<'q, Self, PgArguments>,
            value: Value,
        ) -> Query<'q, Self, PgArguments> {
            bind_common!(q, value, null_uuid: uuid::Uuid, null_ts: OffsetDateTime,
                uuid: |u| u,
                timestamp: |t| crate::time_fmt::to_stored(t))
        }

        fn read_value(
            row: &PgRow,
            index: usize,
            ty: SqlType,
            nullable: bool,
        ) -> Result<Value, sqlx::Error> {
            read_value!(row, index, ty, nullable,
            uuid: |i| {
                let v: Option<uuid::Uuid> = row.try_get(i)?;
                v.map_or(Value::Null(ty), Value::Uuid)
            },
            timestamp: |i| {
                let v: Option<OffsetDateTime> = row.try_get(i)?;
                v.map_or(Value::Null(ty), Value::Timestamp)
            })
        }

        fn inserted_id(_result: &PgQueryResult) -> Option<i64> {
            None
        }

        fn rows_affected(result: &PgQueryResult) -> u64 {
            result.rows_affected()
        }
    }
}

#[cfg(feature = "mysql")]
mod mysql {
    use super::*;
    use crate::time_fmt;
    use sqlx::mysql::{MySql, MySqlArguments, MySqlQueryResult, MySqlRow};
    use time::PrimitiveDateTime;

    impl sealed::Sealed for MySql {}

    impl Backend for MySql {
        const DIALECT: Dialect = Dialect::MySql;

        fn bind_value<'q>(
            q: Query<'q, Self, MySqlArguments>,
            value: Value,
        ) -> Query<'q, Self, MySqlArguments> {
            bind_common!(q, value, null_uuid: String, null_ts: PrimitiveDateTime,
                uuid: |u| u.hyphenated().to_string(),
                timestamp: |t| time_fmt::to_utc_primitive(t))
        }

        fn read_value(
            row: &MySqlRow,
            index: usize,
            ty: SqlType,
            nullable: bool,
        ) -> Result<Value, sqlx::Error> {
            read_value!(row, index, ty, nullable,
            uuid: |i| {
                let text: Option<String> = row.try_get(i)?;
                match text {
                    None => Value::Null(ty),
                    Some(s) => Value::Uuid(parse_uuid(i, &s)?),
                }
            },
            timestamp: |i| {
                let v: Option<PrimitiveDateTime> = row.try_get(i)?;
                v.map_or(Value::Null(ty), |t| Value::Timestamp(t.assume_utc()))
            })
        }

        fn inserted_id(result: &MySqlQueryResult) -> Option<i64> {
            i64::try_from(result.last_insert_id()).ok()
        }

        fn rows_affected(result: &MySqlQueryResult) -> u64 {
            result.rows_affected()
        }
    }
}
