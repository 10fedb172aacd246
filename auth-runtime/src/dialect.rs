//! The SQL dialects axum-users speaks.

use std::fmt;

/// A SQL dialect: the differences between the databases axum-users supports.
///
/// Everything dialect-specific (placeholders, identifier quoting, column types, how a new
/// integer id is read back) is decided by one `match` on this enum, so a fix lands in one
/// place for every database.
///
/// ```
/// use auth_runtime::Dialect;
/// assert_eq!(Dialect::Postgres.placeholder(2), "$2");
/// assert_eq!(Dialect::MySql.quote("user"), "`user`");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// SQLite 3.35 or later (the embedded default).
    Sqlite,
    /// PostgreSQL 12 or later.
    Postgres,
    /// MySQL 8 or MariaDB 10.5 or later.
    MySql,
}

impl Dialect {
    /// The bind placeholder for the `n`-th parameter (1-based).
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Self::Postgres => format!("${n}"),
            Self::Sqlite | Self::MySql => "?".to_owned(),
        }
    }

    /// Quotes an identifier (table or column name) for this dialect.
    ///
    /// Names come only from the compile-time table description, never from a request; a quote
    /// character inside a name is doubled all the same.
    pub fn quote(self, ident: &str) -> String {
        match self {
            Self::MySql => format!("`{}`", ident.replace('`', "``")),
            Self::Sqlite | Self::Postgres => format!("\"{}\"", ident.replace('"', "\"\"")),
        }
    }

    /// Whether `INSERT … RETURNING` and `UPDATE … RETURNING` are used (MySQL lacks them).
    pub fn has_returning(self) -> bool {
        !matches!(self, Self::MySql)
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::MySql => "mysql",
        })
    }
}
