//! A FastAPI Users default user with UUID ids and no custom fields.
#![deny(missing_docs, unsafe_code, warnings)]

use axum_users::prelude::*;

/// A user.
#[derive(AuthUser, Clone, Debug)]
pub struct User {
    /// Id.
    pub id: uuid::Uuid,
    /// Email.
    pub email: String,
    /// Password hash.
    pub hashed_password: String,
    /// Active flag.
    pub is_active: bool,
    /// Superuser flag.
    pub is_superuser: bool,
    /// Verified flag.
    pub is_verified: bool,
}

fn main() {
    assert!(User::create_table_sql(Dialect::Postgres).contains("\"id\" UUID PRIMARY KEY"));
}
