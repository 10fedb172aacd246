//! The complete app of the README, kept compiling (tests/readme.rs checks the two agree).
//!
//! Run: `JWT_SECRET=change-me-to-thirty-two-random-bytes cargo run --example readme`.
use axum::{Router, routing::get};
use axum_users::prelude::*;

#[derive(AuthUser, Clone, Debug)]
pub struct User {
    pub id: uuid::Uuid,
    pub email: String,
    pub hashed_password: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub is_verified: bool,
}

async fn hello(ActiveUser(user): ActiveUser<User>) -> String {
    format!("Hello {}!", user.email)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("JWT_SECRET")?;
    let jwt = Strategy::Jwt(JwtStrategy::hs256(&secret, 3600)?);
    let bearer = Transport::bearer("auth/jwt/login");
    let users = Users::<User>::builder(DbPool::connect("sqlite://app.db").await?)
        .backend(AuthBackend::new("jwt", bearer, jwt))
        .secrets(&secret)
        .build()?;
    users.migrate().await?;
    let auth = users.register_router().merge(users.reset_password_router());
    let app = Router::new()
        .nest("/auth/jwt", users.auth_router("jwt")?)
        .nest("/auth", auth.merge(users.verify_router()))
        .nest("/users", users.users_router())
        .route("/authenticated-route", get(hello))
        .fallback(axum_users::routes::not_found)
        .with_state(users);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
    Ok(axum::serve(listener, app).await?)
}
