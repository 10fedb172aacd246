//! The music-lyrics site's user compiles under strict lints in the user's crate.
#![deny(missing_docs, unsafe_code, warnings)]

use axum_users::prelude::*;

/// Hooks of the music site.
#[derive(Debug, Default)]
pub struct MusicHooks;

impl axum_users::UserHooks<User> for MusicHooks {}

/// A user of the music site.
#[derive(AuthUser, Clone, Debug)]
#[auth(table = "user", hooks = MusicHooks)]
pub struct User {
    /// Id.
    pub id: i64,
    /// Email.
    pub email: String,
    /// Password hash.
    pub hashed_password: String,
    /// Active flag.
    pub is_active: bool,
    /// Admin flag (`is_superuser` on the wire).
    #[auth(superuser)]
    pub is_admin: bool,
    /// Verified flag.
    pub is_verified: bool,
    /// Public name.
    #[auth(unique, min_length = 1, max_length = 50)]
    pub username: String,
    /// About the user.
    #[auth(max_length = 1000)]
    pub description: Option<String>,
    /// When the account was made.
    #[auth(created_at)]
    pub created_at: time::OffsetDateTime,
    /// When the account last changed.
    #[auth(updated_at)]
    pub updated_at: time::OffsetDateTime,
    /// Tracks the user follows, loaded by the application.
    #[auth(skip)]
    pub tracks: Vec<i64>,
}

fn main() {
    let sql = User::create_table_sql(Dialect::Sqlite);
    assert!(sql.contains("\"is_admin\""));
    let _: Option<UserRead> = None;
    let _: Option<UserCreate> = None;
    let _: Option<UserUpdate> = None;
}
