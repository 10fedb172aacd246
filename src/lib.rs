//! # axum-users
//!
//! Registration, login, password reset, email verification and user administration for
//! [axum](https://docs.rs/axum), wire-compatible with Python's FastAPI Users: put
//! `#[derive(AuthUser)]` on your user struct and store users in SQLite, PostgreSQL or
//! MySQL/MariaDB through sqlx, or in MongoDB.
//!
//! ```
//! use axum_users::prelude::*;
//!
//! #[derive(AuthUser, Clone, Debug)]
//! #[auth(table = "user")]
//! pub struct User {
//!     pub id: i64,
//!     pub email: String,
//!     pub hashed_password: String,
//!     pub is_active: bool,
//!     pub is_superuser: bool,
//!     pub is_verified: bool,
//!     #[auth(unique, min_length = 1, max_length = 50)]
//!     pub username: String,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pool = sqlx::SqlitePool::connect("sqlite::memory:").await?;
//! User::migrate(&pool).await?;
//! let store = SqlxStore::<User, _>::new(pool);
//!
//! let body = br#"{"email": "Fan@Example.com", "password": "correct horse", "username": "fan"}"#;
//! let create = UserCreate::from_json_bytes(body)?;
//! let user = store.create(User::from_create(&create, "$argon2id$…".into(), false)).await?;
//! assert_eq!(user.email, "Fan@example.com");
//! assert!(store.get_by_email("fan@EXAMPLE.com").await?.is_some());
//! # Ok(()) }
//! ```
//!
//! ## Cargo features
//!
//! | feature | what |
//! |---|---|
//! | `sqlite` (default) | SQLite through sqlx |
//! | `postgres` | PostgreSQL through sqlx |
//! | `mysql` | MySQL and MariaDB through sqlx |
//! | `mongodb` | MongoDB through the official `mongodb` crate (`DbPool::connect("mongodb://host/DATABASE")`) |
//! | `smtp` | `mail::SmtpMailer`: reset and verification mails over SMTP |
//! | `docs-ui` | `openapi::docs_router`: Swagger UI from files compiled into the binary |
//!
//! ## The derive
//!
//! `#[derive(AuthUser)]` recognises the base fields by name and type: `id` (`i64`, assigned
//! by the database, or `uuid::Uuid`), `email: String`, `hashed_password: String`,
//! `is_active`, `is_superuser`, `is_verified: bool`. A flag may live in a field of another
//! name when marked: `#[auth(superuser)] is_admin: bool` (also `active`, `verified`); on the
//! wire it keeps the FastAPI Users name. Every other field is a custom column of type
//! `String`, `bool`, `i32`, `i64`, `f64`, `uuid::Uuid`, `time::OffsetDateTime` or
//! `Option<_>` of one of them.
//!
//! Struct options, in `#[auth(...)]` above the struct:
//!
//! | option | effect |
//! |---|---|
//! | `table = "user"` | the table name (default `user`) |
//! | `hooks = MyHooks` | the hooks type (default `()`) |
//! | `crate = "path"` | where `axum_users` is, when re-exported under another path |
//! | `read = "Name"`, `create = "Name"`, `update = "Name"` | schema names (default `UserRead`, `UserCreate`, `UserUpdate`) |
//!
//! Field options:
//!
//! | option | effect |
//! |---|---|
//! | *(none)* | in all three schemas; required at registration unless `Option<T>` or `default` |
//! | `unique` | a unique constraint; a duplicate is `AlreadyExists { field }` (400 `REGISTER_<FIELD>_ALREADY_EXISTS`) |
//! | `min_length = n`, `max_length = n` | string length in characters (422); `max_length` sizes the column (default 255) |
//! | `min = x`, `max = y` | numeric range (422) |
//! | `text` | an unbounded `TEXT` column (not with `unique`) |
//! | `default = expr` (or bare `default`) | the value when absent at registration |
//! | `superuser_only` | set only by privileged creation and `PATCH /users/{id}`; needs `Option<T>` or `default` |
//! | `read_only` | in `UserRead` only; set by application code; needs `Option<T>` or `default` |
//! | `created_at`, `updated_at` | server-managed `time::OffsetDateTime` timestamps |
//! | `hidden` | stored, never serialized nor accepted; needs `Option<T>` or `default` |
//! | `skip` | not a column; `Default::default()` when a row is read |
//! | `validate = path` | `fn(&T) -> Result<(), String>` (`&str` for strings) on the present value; `Err(msg)` is a 422 `value_error` |
//! | `column = "name"` | the column name, when it differs from the field name |
//!
//! Misuse is a compile error pointing at the offending tokens, all errors of one struct
//! reported together.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub use auth_macros::AuthUser;
pub use auth_runtime::*;

/// Everything an application usually needs: `use axum_users::prelude::*;`.
pub mod prelude {
    pub use auth_macros::AuthUser;
    pub use auth_runtime::auth::{
        AuthBackend, CookieSettings, DatabaseTokens, JwtStrategy, RedisTokens, SameSite, Strategy,
        Transport,
    };
    pub use auth_runtime::extract::{ActiveUser, CurrentUser, Superuser, VerifiedUser};
    pub use auth_runtime::hooks::{HookError, RequestContext, UserHooks};
    pub use auth_runtime::{
        AuthUser as _, CreateSchema as _, DbPool, Dialect, FromJsonBody as _, Patch, SqlxStore,
        StoreError, UpdateSchema as _, UserStore as _, Users,
    };
}

/// Items the derive's generated code names; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use auth_runtime as runtime;
    pub use auth_runtime::__private::*;
}
