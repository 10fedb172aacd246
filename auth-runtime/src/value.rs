//! Column values and their SQL types, independent of the database driver.

use time::OffsetDateTime;
use uuid::Uuid;

/// The SQL type of a column, before it is spelled for a dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SqlType {
    /// `VARCHAR(n)`: a string of at most `n` characters.
    Varchar(u32),
    /// `TEXT`: an unbounded string.
    Text,
    /// `BOOLEAN`.
    Bool,
    /// A 32-bit integer.
    I32,
    /// A 64-bit integer.
    I64,
    /// A double-precision float.
    F64,
    /// A UUID (`UUID` on PostgreSQL, hyphenated `CHAR(36)` elsewhere).
    Uuid,
    /// A UTC timestamp with microsecond precision.
    Timestamp,
}

impl SqlType {
    /// Whether values of this type are strings (so `min_length`/`max_length` apply).
    pub const fn is_string(self) -> bool {
        matches!(self, Self::Varchar(_) | Self::Text)
    }
}

/// One column value, as bound into or read from a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL `NULL` of a column of the given type.
    Null(SqlType),
    /// A string.
    Text(String),
    /// A boolean.
    Bool(bool),
    /// A 32-bit integer.
    I32(i32),
    /// A 64-bit integer.
    I64(i64),
    /// A double-precision float.
    F64(f64),
    /// A UUID.
    Uuid(Uuid),
    /// A timestamp; written in UTC, truncated to microseconds (to milliseconds on MongoDB,
    /// whose dates hold no finer part).
    Timestamp(OffsetDateTime),
}

impl Value {
    /// A short name of the variant, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Null(_) => "NULL",
            Self::Text(_) => "text",
            Self::Bool(_) => "boolean",
            Self::I32(_) => "32-bit integer",
            Self::I64(_) => "64-bit integer",
            Self::F64(_) => "float",
            Self::Uuid(_) => "UUID",
            Self::Timestamp(_) => "timestamp",
        }
    }
}

/// A Rust type that can be stored in a user-table column.
///
/// Implemented for `String`, `bool`, `i32`, `i64`, `f64`, `uuid::Uuid`,
/// `time::OffsetDateTime` and `Option<T>` of each. A field of another type is refused where the
/// derive uses it, with this trait named in the error.
pub trait SqlField: Sized {
    /// The column type (strings default to `VARCHAR(255)`; the derive overrides the length).
    const SQL_TYPE: SqlType;
    /// Whether the column accepts `NULL` (only `Option<T>`).
    const NULLABLE: bool = false;
    /// The value to bind.
    fn to_value(&self) -> Value;
    /// Rebuilds the field from a value read from the database.
    fn from_value(value: Value) -> Result<Self, String>;
}

fn mismatch<T>(expected: &str, got: &Value) -> Result<T, String> {
    Err(format!("expected {expected}, found {}", got.kind()))
}

macro_rules! sql_field {
    ($ty:ty, $sql:expr, $variant:ident, $name:literal, |$v:ident| $to:expr) => {
        impl SqlField for $ty {
            const SQL_TYPE: SqlType = $sql;
            fn to_value(&self) -> Value {
                let $v = self;
                Value::$variant($to)
            }
            fn from_value(value: Value) -> Result<Self, String> {
                match value {
                    Value::$variant(v) => Ok(v),
                    other => mismatch($name, &other),
                }
            }
        }
    };
}

sql_field!(String, SqlType::Varchar(255), Text, "text", |v| v.clone());
sql_field!(bool, SqlType::Bool, Bool, "boolean", |v| *v);
sql_field!(i32, SqlType::I32, I32, "32-bit integer", |v| *v);
sql_field!(i64, SqlType::I64, I64, "64-bit integer", |v| *v);
sql_field!(f64, SqlType::F64, F64, "float", |v| *v);
sql_field!(Uuid, SqlType::Uuid, Uuid, "UUID", |v| *v);
fn stored(t: &OffsetDateTime) -> OffsetDateTime {
    crate::time_fmt::to_stored(*t)
}
sql_field!(
    OffsetDateTime,
    SqlType::Timestamp,
    Timestamp,
    "timestamp",
    |v| stored(v)
);

impl<T: SqlField> SqlField for Option<T> {
    const SQL_TYPE: SqlType = T::SQL_TYPE;
    const NULLABLE: bool = true;
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null(T::SQL_TYPE),
        }
    }
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Null(_) => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_round_trips_null() {
        let none: Option<String> = None;
        assert_eq!(none.to_value(), Value::Null(SqlType::Varchar(255)));
        assert_eq!(
            Option::<String>::from_value(Value::Null(SqlType::Text)),
            Ok(None)
        );
        assert_eq!(Option::<i64>::from_value(Value::I64(4)), Ok(Some(4)),);
        assert!(i64::from_value(Value::Text("4".into())).is_err());
    }
}
