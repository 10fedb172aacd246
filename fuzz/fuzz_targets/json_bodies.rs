//! The JSON bodies of the routes: the generated Create and Update schemas of a user with
//! custom fields of every kind, from any bytes. An answer (a value or a 422 list with
//! at least one item), never a panic.
#![no_main]

use axum_users::prelude::*;
use libfuzzer_sys::fuzz_target;

/// A user with a custom field of each supported kind.
#[derive(AuthUser, Clone, Debug)]
#[auth(table = "user")]
pub struct User {
    pub id: i64,
    pub email: String,
    pub hashed_password: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub is_verified: bool,
    #[auth(unique, min_length = 1, max_length = 50)]
    pub username: String,
    #[auth(max_length = 1000)]
    pub description: Option<String>,
    #[auth(min = 0, max = 150)]
    pub age: Option<i32>,
    pub score: Option<f64>,
    pub rank: Option<i64>,
    pub invited_by: Option<uuid::Uuid>,
    pub birthday: Option<time::OffsetDateTime>,
    pub newsletter: Option<bool>,
}

fuzz_target!(|data: &[u8]| {
    match UserCreate::from_json_bytes(data) {
        Ok(create) => assert!(!create.email.is_empty()),
        Err(errors) => assert!(!errors.is_empty()),
    }
    if let Err(errors) = UserUpdate::from_json_bytes(data) {
        assert!(!errors.is_empty());
    }
});
