//! The music-lyrics site's users on axum-users: integer ids, site fields, one cookie backend,
//! and a few pages (sign up, sign in, profile, sign out) that use it from a browser.
//!
//! Run: `cargo run --example music`, then open <http://127.0.0.1:8000/>, or try
//! `curl -si 127.0.0.1:8000/auth/register -H 'content-type: application/json' -d '{"email":"fan@example.com","password":"a-password","username":"fan"}'`.
//! The API documents are at `/openapi.json` and `/docs`.
//!
//! Environment: `DATABASE_URL` (default `sqlite://music.db`), `JWT_SECRET` (random per
//! process when unset), `PORT` (8000, bound on 127.0.0.1), `ADMIN_EMAIL`, `ADMIN_USERNAME`
//! (default `admin`) and `ADMIN_PASSWORD` (an admin made at start-up if missing),
//! `TRUSTED_ORIGINS` (comma-separated origins allowed to write cross-site). The hooks log
//! tokens for local development only: a real site mails them.
//!
//! Social login (optional): with `OIDC_ISSUER`, `OIDC_CLIENT_ID` and `OIDC_CLIENT_SECRET` set,
//! the sign-in page offers "Sign in with OpenID" (login router at `/auth/oidc`, answering with
//! the `MusicText` cookie). The provider sends the browser back to the page
//! `<PUBLIC_URL>/oauth/callback` (register it with the provider; `PUBLIC_URL` defaults to
//! `http://127.0.0.1:<PORT>`), whose script completes the sign-in, as a FastAPI Users front
//! end does. New users get a username made from their address.

mod pages;

use std::net::SocketAddr;

use axum::Router;
use axum_users::prelude::*;

/// A user of the lyrics site.
#[derive(AuthUser, Clone, Debug)]
#[auth(table = "user", hooks = MusicHooks)]
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

/// Development stand-ins for mail: they log.
#[derive(Debug, Default)]
pub struct MusicHooks;

impl UserHooks<User> for MusicHooks {
    async fn on_after_register(
        &self,
        user: &User,
        _ctx: Option<&RequestContext>,
    ) -> Result<(), HookError> {
        tracing::info!(user_id = user.id, "user registered");
        Ok(())
    }

    async fn on_after_forgot_password(
        &self,
        user: &User,
        token: &str,
        _ctx: Option<&RequestContext>,
    ) -> Result<(), HookError> {
        tracing::info!(user_id = user.id, token, "password reset requested");
        Ok(())
    }

    async fn on_after_request_verify(
        &self,
        user: &User,
        token: &str,
        _ctx: Option<&RequestContext>,
    ) -> Result<(), HookError> {
        tracing::info!(user_id = user.id, token, "verification requested");
        Ok(())
    }
}

/// Creates the admin of `ADMIN_EMAIL`/`ADMIN_PASSWORD` if no user has that address.
async fn bootstrap_admin(users: &Users<User>) -> Result<(), Box<dyn std::error::Error>> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (Some(email), Some(password)) = (var("ADMIN_EMAIL"), var("ADMIN_PASSWORD")) else {
        return Ok(());
    };
    if users.get_by_email(&email).await?.is_some() {
        return Ok(());
    }
    let username = var("ADMIN_USERNAME").unwrap_or_else(|| "admin".into());
    let fields = serde_json::json!({ "email": email, "password": password, "username": username });
    let serde_json::Value::Object(fields) = fields else {
        return Ok(());
    };
    match users.create_superuser(fields).await {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("ADMIN_EMAIL/ADMIN_PASSWORD refused: {e}").into()),
    }
}

/// The OpenID sign-in router, when `OIDC_ISSUER`, `OIDC_CLIENT_ID` and `OIDC_CLIENT_SECRET`
/// are set.
fn oidc_router(
    users: &Users<User>,
    secret: &str,
    port: u16,
) -> Result<Option<Router>, Box<dyn std::error::Error>> {
    use axum_users::oauth::{OAuthOptions, OAuthProvider};
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (Some(issuer), Some(id), Some(client_secret)) = (
        var("OIDC_ISSUER"),
        var("OIDC_CLIENT_ID"),
        var("OIDC_CLIENT_SECRET"),
    ) else {
        return Ok(None);
    };
    let provider = OAuthProvider::oidc("oidc", &issuer, id, client_secret)?;
    let public = var("PUBLIC_URL").unwrap_or_else(|| format!("http://127.0.0.1:{port}"));
    let options = OAuthOptions::new(
        &format!("{}/oauth/callback", public.trim_end_matches('/')),
        secret,
    )?
    .new_user_fields(|who| {
        // A username from the address, made unique with a few random characters.
        let local: String = who
            .email
            .split('@')
            .next()
            .unwrap_or("fan")
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
            .take(40)
            .collect();
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let username = format!("{local}-{}", &suffix[..6]);
        serde_json::Map::from_iter([("username".to_owned(), serde_json::json!(username))])
    });
    Ok(Some(users.oauth_router(&provider, "jwt", options)?))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://music.db".into());
    let port: u16 = std::env::var("PORT").map_or(Ok(8000), |p| p.parse())?;
    let secret = match std::env::var("JWT_SECRET") {
        Ok(secret) if !secret.is_empty() => secret,
        _ => {
            tracing::warn!("JWT_SECRET is not set: using a random secret; tokens die at restart");
            axum_users::auth::random_token()?
        }
    };

    let trusted: Vec<String> = std::env::var("TRUSTED_ORIGINS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(String::from)
        .collect();
    let users = Users::<User>::builder(DbPool::connect(&url).await?)
        .trusted_origins(trusted)
        .backend(AuthBackend::new(
            "jwt",
            Transport::cookie(CookieSettings {
                name: "MusicText".into(),
                max_age: Some(3600),
                ..CookieSettings::default()
            }),
            Strategy::Jwt(JwtStrategy::hs256(&secret, 3600)?),
        ))
        .secrets(&secret)
        .hooks(MusicHooks)
        .build()?;
    users.migrate().await?;
    bootstrap_admin(&users).await?;

    let oidc = oidc_router(&users, &secret, port)?;
    let mut doc = users
        .openapi()
        .info("Music lyrics", env!("CARGO_PKG_VERSION"))
        .auth("/auth/jwt", "jwt")
        .register("/auth")
        .reset_password("/auth")
        .verify("/auth")
        .users("/users");
    let mut app = Router::new();
    if let Some(router) = oidc.clone() {
        doc = doc.oauth("/auth/oidc", "oidc", "jwt");
        app = app.nest("/auth/oidc", router);
    }
    let doc = doc.build();
    let app = app
        .nest("/auth/jwt", users.auth_router("jwt")?)
        .nest("/auth", users.register_router())
        .nest("/auth", users.reset_password_router())
        .nest("/auth", users.verify_router())
        .nest("/users", users.users_router())
        .merge(axum_users::openapi::document_router("/openapi.json", &doc)?)
        .merge(axum_users::openapi::docs_router("/docs", "/openapi.json"))
        .merge(pages::router(oidc.is_some()).with_state(users.clone()))
        .fallback(axum_users::routes::not_found)
        .layer(users.csrf_layer()?)
        .layer(axum_users::routes::json_errors_layer());

    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, database = %axum_users::db::loggable_url(&url), "listening");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    // Let the mails of the last forgot-password and verification requests go out.
    users
        .wait_for_hooks(std::time::Duration::from_secs(5))
        .await;
    Ok(())
}
