//! The FastAPI Users "full example" on axum-users: the compatibility target.
//!
//! Run: `cargo run --example full`, then try
//! `curl -si 127.0.0.1:8000/auth/register -H 'content-type: application/json' -d '{"email":"a@example.com","password":"a-password"}'`.
//!
//! Environment: `DATABASE_URL` (default `sqlite://test.db`; `postgres://…`, `mysql://…` and
//! `mongodb://host:port/DATABASE` too),
//! `JWT_SECRET` (random per process when unset), `PORT` (8000, bound on 127.0.0.1),
//! `MAIL_OUTBOX` (a JSON-lines file of the mails the app would send), `ADMIN_EMAIL` and
//! `ADMIN_PASSWORD` (a superuser made at start-up if missing), `ARGON2_MEMORY_KIB`,
//! `ARGON2_ITERATIONS`, `ARGON2_PARALLELISM` (hashing cost; the FastAPI Users peer uses
//! 65536 / 3 / 4).
//!
//! Social login (optional): with `OIDC_ISSUER`, `OIDC_CLIENT_ID` and `OIDC_CLIENT_SECRET` set,
//! an OpenID Connect provider found by discovery signs users in at `/auth/oidc` (through the
//! bearer backend) and links accounts at `/auth/associate/oidc`. Register
//! `<PUBLIC_URL>/auth/oidc/callback` and `<PUBLIC_URL>/auth/associate/oidc/callback` with the
//! provider (`PUBLIC_URL` defaults to `http://127.0.0.1:<PORT>`). `OAUTH_TOKEN_KEY` (64 hex
//! digits) keeps the provider's tokens, encrypted; without it they are not stored.
//!
//! `REDIS_URL` (optional, e.g. `redis://127.0.0.1:6379`) adds a fourth backend, Redis tokens
//! over bearer at `/auth/redis`, for running several instances behind a load balancer.
//!
//! The API documents: `/openapi.json`, and Swagger UI at `/docs` ("Authorize" logs in with an
//! email and password through the bearer backend).
//!
//! `cargo run --example full -- create-superuser --email ADDRESS` creates a superuser with the
//! password read from standard input; `--promote` makes an existing user one instead.

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use axum_users::mail::{FileOutbox, MailHooks};
use axum_users::password::HashingConfig;
use axum_users::prelude::*;
use serde_json::json;

/// A FastAPI Users user: UUID id, the base fields.
#[derive(AuthUser, Clone, Debug)]
#[auth(table = "user", hooks = MailHooks<Option<FileOutbox>>)]
pub struct User {
    /// Id (UUID v4).
    pub id: uuid::Uuid,
    /// Email address, stored form.
    pub email: String,
    /// Password hash.
    pub hashed_password: String,
    /// May log in.
    pub is_active: bool,
    /// Administers users.
    pub is_superuser: bool,
    /// Verified the email address.
    pub is_verified: bool,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match env(name) {
        Some(v) => v
            .parse()
            .map_err(|_| format!("{name} must be a number, got {v:?}")),
        None => Ok(default),
    }
}

/// The key of `OAUTH_TOKEN_KEY` (64 hex digits), if set.
fn oauth_token_key() -> Result<Option<[u8; 32]>, String> {
    let Some(hex) = env("OAUTH_TOKEN_KEY") else {
        return Ok(None);
    };
    let bad = || "OAUTH_TOKEN_KEY must be 64 hex digits (32 random bytes)".to_owned();
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(bad());
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(Some(key))
}

/// The OpenID provider of `OIDC_ISSUER`, `OIDC_CLIENT_ID` and `OIDC_CLIENT_SECRET`, if all
/// are set.
fn oidc_provider() -> Result<Option<axum_users::oauth::OAuthProvider>, Box<dyn std::error::Error>> {
    match (
        env("OIDC_ISSUER"),
        env("OIDC_CLIENT_ID"),
        env("OIDC_CLIENT_SECRET"),
    ) {
        (Some(issuer), Some(id), Some(secret)) => Ok(Some(axum_users::oauth::OAuthProvider::oidc(
            "oidc", &issuer, id, secret,
        )?)),
        (None, None, None) => Ok(None),
        _ => Err("set all of OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET, or none".into()),
    }
}

fn jwt_secret() -> Result<String, axum_users::Error> {
    match env("JWT_SECRET") {
        Some(secret) => {
            if secret.len() < 32 {
                tracing::warn!("JWT_SECRET is shorter than 32 bytes; use a longer random secret");
            }
            Ok(secret)
        }
        None => {
            tracing::warn!("JWT_SECRET is not set: using a random secret; tokens die at restart");
            axum_users::auth::random_token()
        }
    }
}

async fn hello(ActiveUser(user): ActiveUser<User>) -> axum::Json<serde_json::Value> {
    axum::Json(json!({ "message": format!("Hello {}!", user.email) }))
}

/// Creates the superuser of `ADMIN_EMAIL`/`ADMIN_PASSWORD` if no user has that address.
async fn bootstrap_admin(users: &Users<User>) -> Result<(), Box<dyn std::error::Error>> {
    let (Some(email), Some(password)) = (env("ADMIN_EMAIL"), env("ADMIN_PASSWORD")) else {
        return Ok(());
    };
    if users.get_by_email(&email).await?.is_some() {
        return Ok(());
    }
    let fields = json!({ "email": email, "password": password });
    match users.create_superuser(object(fields)).await {
        Ok(_) => Ok(()),
        Err(axum_users::Error::Code(axum_users::ErrorCode::RegisterUserAlreadyExists)) => Ok(()),
        Err(e) => Err(format!("ADMIN_EMAIL/ADMIN_PASSWORD refused: {}", explain(&e)).into()),
    }
}

fn object(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match value {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// A one-line explanation of a refusal, for the command line.
fn explain(error: &axum_users::Error) -> String {
    match error {
        axum_users::Error::InvalidPassword { reason, .. } => {
            format!("the password is refused: {reason}")
        }
        axum_users::Error::Code(axum_users::ErrorCode::RegisterUserAlreadyExists) => {
            "a user with this email already exists (use --promote to make them a superuser)".into()
        }
        axum_users::Error::Validation(errors) => errors
            .0
            .iter()
            .map(|item| item.msg.clone())
            .collect::<Vec<_>>()
            .join("; "),
        axum_users::Error::NotFound => "no user has this email".into(),
        other => other.to_string(),
    }
}

/// `create-superuser --email ADDRESS [--promote]`: creates a superuser with the password
/// read from standard input, or promotes an existing user.
async fn create_superuser_command(users: &Users<User>, args: &[String]) -> Result<(), String> {
    let mut email = None;
    let mut promote = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--email" => email = rest.next().cloned(),
            "--promote" => promote = true,
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: create-superuser --email ADDRESS [--promote]"
                ));
            }
        }
    }
    let email = email.ok_or(
        "usage: create-superuser --email ADDRESS [--promote] (password on standard input)",
    )?;
    let user = if promote {
        users
            .promote_superuser(&email)
            .await
            .map_err(|e| explain(&e))?
    } else {
        let mut password = String::new();
        std::io::stdin()
            .read_line(&mut password)
            .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
        let password = password.trim_end_matches(['\n', '\r']);
        let fields = json!({ "email": email, "password": password });
        users
            .create_superuser(object(fields))
            .await
            .map_err(|e| explain(&e))?
    };
    println!("superuser {} ({})", user.email, user.id);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    let url = env("DATABASE_URL").unwrap_or_else(|| "sqlite://test.db".into());
    let port: u16 = env_number("PORT", 8000)?;
    let secret = jwt_secret()?;
    let hashing = HashingConfig {
        memory_kib: env_number("ARGON2_MEMORY_KIB", HashingConfig::default().memory_kib)?,
        iterations: env_number("ARGON2_ITERATIONS", HashingConfig::default().iterations)?,
        parallelism: env_number("ARGON2_PARALLELISM", HashingConfig::default().parallelism)?,
        ..HashingConfig::default()
    };
    let outbox = env("MAIL_OUTBOX").map(FileOutbox::open).transpose()?;
    let hooks = MailHooks::new(outbox);

    let pool = DbPool::connect(&url).await?;
    let redis = env("REDIS_URL")
        .map(|url| redis::Client::open(url.as_str()))
        .transpose()?;
    let jwt = JwtStrategy::hs256(&secret, 3600)?;
    let mut builder = Users::<User>::builder(pool)
        .backend(AuthBackend::new(
            "jwt",
            Transport::bearer("auth/jwt/login"),
            Strategy::Jwt(jwt.clone()),
        ))
        .backend(AuthBackend::new(
            "cookie",
            Transport::cookie(CookieSettings {
                max_age: Some(3600),
                ..CookieSettings::default()
            }),
            Strategy::Jwt(jwt),
        ))
        .backend(AuthBackend::new(
            "db",
            Transport::bearer("auth/db/login"),
            Strategy::Database(DatabaseTokens::new(Some(3600))),
        ));
    if let Some(client) = &redis {
        builder = builder.backend(AuthBackend::new(
            "redis",
            Transport::bearer("auth/redis/login"),
            Strategy::Redis(RedisTokens::new(client.clone(), Some(3600))),
        ));
    }
    if let Some(key) = oauth_token_key()? {
        builder = builder.oauth_token_key(key);
    }
    let users = builder
        .hashing(hashing)
        .secrets(&secret)
        .hooks(hooks)
        .build()?;
    users.migrate().await?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("create-superuser") {
        if let Err(message) = create_superuser_command(&users, &args[1..]).await {
            eprintln!("error: {message}");
            std::process::exit(1);
        }
        return Ok(());
    }
    bootstrap_admin(&users).await?;

    let mut doc = users
        .openapi()
        .info(
            "FastAPI Users full example on axum-users",
            env!("CARGO_PKG_VERSION"),
        )
        .auth("/auth/jwt", "jwt")
        .auth("/auth/cookie", "cookie")
        .auth("/auth/db", "db")
        .register("/auth")
        .reset_password("/auth")
        .verify("/auth")
        .users("/users")
        .protected_get("/authenticated-route", "authenticated_route");
    let mut app = Router::new();
    if redis.is_some() {
        doc = doc.auth("/auth/redis", "redis");
        app = app.nest("/auth/redis", users.auth_router("redis")?);
    }
    if let Some(provider) = oidc_provider()? {
        use axum_users::oauth::OAuthOptions;
        let public = env("PUBLIC_URL").unwrap_or_else(|| format!("http://127.0.0.1:{port}"));
        let public = public.trim_end_matches('/');
        // As the FastAPI Users example: link by address (only addresses the provider
        // verified) and trust the provider's verification.
        let login = OAuthOptions::new(&format!("{public}/auth/oidc/callback"), &secret)?
            .associate_by_email(true)
            .is_verified_by_default(true);
        let associate =
            OAuthOptions::new(&format!("{public}/auth/associate/oidc/callback"), &secret)?;
        app = app
            .nest("/auth/oidc", users.oauth_router(&provider, "jwt", login)?)
            .nest(
                "/auth/associate/oidc",
                users.oauth_associate_router(&provider, associate)?,
            );
        doc = doc
            .oauth("/auth/oidc", "oidc", "jwt")
            .oauth_associate("/auth/associate/oidc", "oidc");
    }
    let doc = doc.build();
    let app = app
        .nest("/auth/jwt", users.auth_router("jwt")?)
        .nest("/auth/cookie", users.auth_router("cookie")?)
        .nest("/auth/db", users.auth_router("db")?)
        .nest("/auth", users.register_router())
        .nest("/auth", users.reset_password_router())
        .nest("/auth", users.verify_router())
        .nest("/users", users.users_router())
        .route("/authenticated-route", get(hello))
        .merge(axum_users::openapi::document_router("/openapi.json", &doc)?)
        .merge(axum_users::openapi::docs_router("/docs", "/openapi.json"))
        .fallback(axum_users::routes::not_found)
        .layer(axum_users::routes::json_errors_layer())
        .with_state(users.clone());

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
