//! The user types the tests store: the music site's user (integer ids, custom fields) and a
//! plain FastAPI Users user with UUID ids.

use axum_users::prelude::*;

/// Checks a username the way the site wants: no spaces.
pub fn no_spaces(name: &str) -> Result<(), String> {
    if name.contains(' ') {
        Err("username must not contain spaces".into())
    } else {
        Ok(())
    }
}

/// The music-lyrics site's user.
#[derive(AuthUser, Clone, Debug)]
#[auth(table = "user")]
pub struct MusicUser {
    pub id: i64,
    pub email: String,
    pub hashed_password: String,
    pub is_active: bool,
    #[auth(superuser)]
    pub is_admin: bool,
    pub is_verified: bool,
    #[auth(unique, min_length = 1, max_length = 50, validate = no_spaces)]
    pub username: String,
    #[auth(max_length = 1000)]
    pub description: Option<String>,
    #[auth(created_at)]
    pub created_at: time::OffsetDateTime,
    #[auth(updated_at)]
    pub updated_at: time::OffsetDateTime,
    #[auth(skip)]
    pub tracks: Vec<i64>,
}

/// FastAPI Users' default user: UUID ids, no custom fields.
#[derive(AuthUser, Clone, Debug)]
#[auth(
    table = "uuid_user",
    read = "UuidUserRead",
    create = "UuidUserCreate",
    update = "UuidUserUpdate"
)]
pub struct UuidUser {
    pub id: uuid::Uuid,
    pub email: String,
    pub hashed_password: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub is_verified: bool,
}

/// A user exercising the other column types and options.
#[derive(AuthUser, Clone, Debug)]
#[auth(
    table = "wide_user",
    read = "WideRead",
    create = "WideCreate",
    update = "WideUpdate"
)]
pub struct WideUser {
    pub id: uuid::Uuid,
    pub email: String,
    pub hashed_password: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub is_verified: bool,
    #[auth(min = 0, max = 150)]
    pub age: Option<i32>,
    #[auth(min = 0.0, max = 5.0, default = 2.5)]
    pub rating: f64,
    #[auth(default)]
    pub plays: i64,
    #[auth(text)]
    pub bio: Option<String>,
    pub invited_by: Option<uuid::Uuid>,
    pub birthday: Option<time::OffsetDateTime>,
    #[auth(superuser_only, default = false)]
    pub banned: bool,
    #[auth(read_only)]
    pub karma: Option<i64>,
    #[auth(hidden, default = String::from("internal"))]
    pub secret_note: String,
    #[auth(column = "nick_name", unique, max_length = 30)]
    pub nick: Option<String>,
}
