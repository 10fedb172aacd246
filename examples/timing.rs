//! Forgot-password timing: does the answer reveal whether an address is registered?
//!
//! Run: `cargo run --release --example forgot_timing` (SQLite in a temporary file, the
//! default argon2 cost; `REQUESTS` sets the sample size, default 400). It serves the routers
//! on loopback, registers one user, then alternates forgot-password requests for that
//! address and for unknown ones and prints the median and p90 of each, and their ratio.

use std::time::{Duration, Instant};

use axum::Router;
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

async fn forgot(
    client: &reqwest::Client,
    url: &str,
    email: &str,
) -> Result<Duration, reqwest::Error> {
    let started = Instant::now();
    let response = client
        .post(url)
        .json(&serde_json::json!({ "email": email }))
        .send()
        .await?;
    let elapsed = started.elapsed();
    assert_eq!(response.status(), reqwest::StatusCode::ACCEPTED);
    Ok(elapsed)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let requests: usize = std::env::var("REQUESTS").map_or(Ok(400), |v| v.parse())?;
    let dir = std::env::temp_dir().join(format!("forgot-timing-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let secret = axum_users::auth::random_token()?;
    let users = Users::<User>::builder(DbPool::connect(&url).await?)
        .backend(AuthBackend::new(
            "jwt",
            Transport::bearer("auth/jwt/login"),
            Strategy::Jwt(JwtStrategy::hs256(&secret, 3600)?),
        ))
        .secrets(&secret)
        .build()?;
    users.migrate().await?;
    let app = Router::new()
        .nest("/auth", users.register_router())
        .nest("/auth", users.reset_password_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = reqwest::Client::new();
    client
        .post(format!("{base}/auth/register"))
        .json(&serde_json::json!({ "email": "known@example.com", "password": "a-password" }))
        .send()
        .await?;
    let forgot_url = format!("{base}/auth/forgot-password");
    for _ in 0..20 {
        forgot(&client, &forgot_url, "known@example.com").await?;
        forgot(&client, &forgot_url, "warmup@example.com").await?;
    }
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..requests {
        known.push(forgot(&client, &forgot_url, "known@example.com").await?);
        unknown.push(forgot(&client, &forgot_url, &format!("nobody{i}@example.com")).await?);
    }
    known.sort();
    unknown.sort();
    let (k50, u50) = (percentile(&known, 0.5), percentile(&unknown, 0.5));
    println!(
        "scenario=forgot-password requests={requests} known_p50_us={} known_p90_us={} unknown_p50_us={} unknown_p90_us={} p50_ratio={:.3}",
        k50.as_micros(),
        percentile(&known, 0.9).as_micros(),
        u50.as_micros(),
        percentile(&unknown, 0.9).as_micros(),
        k50.as_secs_f64() / u50.as_secs_f64(),
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
