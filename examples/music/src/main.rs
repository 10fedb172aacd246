//! The music-lyrics site's users on axum-users.
//!
//! Run: `cargo run -p music` (SQLite file `music.db` in the working directory; set
//! `DATABASE_URL` for another database). It creates the table, registers a sample user
//! through the generated schemas and the store, and prints what the API would answer.

use axum_users::prelude::*;

/// A user of the lyrics site.
#[derive(AuthUser, Clone, Debug)]
#[auth(table = "user")]
pub struct User {
    /// Id, assigned by the database.
    pub id: i64,
    /// Email address (stored form).
    pub email: String,
    /// argon2id hash of the password.
    pub hashed_password: String,
    /// Whether the account may log in.
    pub is_active: bool,
    /// The site's admin flag (`is_superuser` on the wire).
    #[auth(superuser)]
    pub is_admin: bool,
    /// Whether the email address was verified.
    pub is_verified: bool,
    /// Public name, unique on the site.
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
    /// Tracks the user follows; the site loads them itself.
    #[auth(skip)]
    pub tracks: Vec<i64>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://music.db".into());
    let pool = sqlx::SqlitePool::connect_with(axum_users::store::sqlite_options(&url)?).await?;
    User::migrate(&pool).await?;
    let store = SqlxStore::<User, _>::new(pool);

    let body = br#"{"email": "Fan@Example.com", "password": "correct horse", "username": "fan"}"#;
    let create = UserCreate::from_json_bytes(body)?;
    let user = match store.get_by_email(&create.email).await? {
        Some(existing) => existing,
        None => store.create(User::from_create(&create, "not-a-real-hash".into(), false)).await?,
    };
    println!("{}", serde_json::to_string_pretty(&user.to_read())?);
    println!("{} user(s) in {url}", store.count().await?);
    Ok(())
}
