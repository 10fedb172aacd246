//! Enumeration timing: do login, forgot-password and request-verify-token take the same time
//! whether the email is registered or not, active or not, verified or not?
//!
//! Run: `cargo run --release --example timing` (SQLite in a temporary file, the default
//! argon2 cost; `REQUESTS` sets the sample size per route and kind, default 200). It serves
//! the routers on loopback, creates an active, a verified and an inactive user, then sends
//! each route's requests for those addresses and for unknown ones in turn (so the machine's
//! drift hits every kind alike) and prints, per route, the median and p90 of each kind and
//! the spread of the medians: (slowest − fastest) / fastest. Logins use a wrong password, as
//! an attacker probing addresses would.

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

const KINDS: [&str; 4] = ["existing", "verified", "inactive", "unknown"];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// One request; its time, or an error when the answer is not the route's one answer for
/// every kind (which would itself reveal the account).
async fn timed(
    client: &reqwest::Client,
    base: &str,
    route: &str,
    email: &str,
) -> Result<Duration, Box<dyn std::error::Error>> {
    let request = match route {
        "login" => client
            .post(format!("{base}/auth/jwt/login"))
            .form(&[("username", email), ("password", "not-the-password")]),
        "forgot-password" => client
            .post(format!("{base}/auth/forgot-password"))
            .json(&serde_json::json!({ "email": email })),
        _ => client
            .post(format!("{base}/auth/request-verify-token"))
            .json(&serde_json::json!({ "email": email })),
    };
    let started = Instant::now();
    let response = request.send().await?;
    let status = response.status();
    let body = response.text().await?;
    let elapsed = started.elapsed();
    let expected = match route {
        "login" => (400, r#"{"detail":"LOGIN_BAD_CREDENTIALS"}"#),
        _ => (202, "null"),
    };
    if (status.as_u16(), body.as_str()) != expected {
        return Err(format!("{route} for {email}: {status} {body}").into());
    }
    Ok(elapsed)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let requests: usize = std::env::var("REQUESTS").map_or(Ok(200), |v| v.parse())?;
    let dir = std::env::temp_dir().join(format!("timing-{}", uuid::Uuid::new_v4().simple()));
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
    for (email, flags) in [
        (
            "existing@example.com",
            r#""is_active": true, "is_verified": false"#,
        ),
        (
            "verified@example.com",
            r#""is_active": true, "is_verified": true"#,
        ),
        (
            "inactive@example.com",
            r#""is_active": false, "is_verified": false"#,
        ),
    ] {
        let body = format!(r#"{{"email": "{email}", "password": "the-password", {flags}}}"#);
        let create = UserCreate::from_json_bytes(body.as_bytes())?;
        users.create(&create, true, None).await?;
    }
    let app = Router::new()
        .nest("/auth/jwt", users.auth_router("jwt")?)
        .nest("/auth", users.reset_password_router())
        .nest("/auth", users.verify_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = reqwest::Client::new();
    let email = |kind: &str, i: usize| match kind {
        "unknown" => format!("nobody{i}@example.com"),
        kind => format!("{kind}@example.com"),
    };
    println!("| route | kind | requests | p50 µs | p90 µs |\n|---|---|---:|---:|---:|");
    let mut spreads = Vec::new();
    for route in ["login", "forgot-password", "request-verify-token"] {
        for i in 0..20 {
            for kind in KINDS {
                timed(&client, &base, route, &email(kind, i)).await?;
            }
        }
        let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(requests); KINDS.len()];
        for i in 0..requests {
            // Rotate the order so that no kind always follows the same one.
            for k in 0..KINDS.len() {
                let slot = (k + i) % KINDS.len();
                let email = email(KINDS[slot], i + 20);
                times[slot].push(timed(&client, &base, route, &email).await?);
            }
        }
        let mut medians = Vec::new();
        for (kind, times) in KINDS.iter().zip(times.iter_mut()) {
            times.sort();
            let (p50, p90) = (percentile(times, 0.5), percentile(times, 0.9));
            medians.push(p50.as_secs_f64());
            println!(
                "| {route} | {kind} | {} | {} | {} |",
                times.len(),
                p50.as_micros(),
                p90.as_micros()
            );
        }
        let (fast, slow) = medians
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), m| (lo.min(*m), hi.max(*m)));
        spreads.push((route, (slow - fast) / fast));
    }
    println!();
    for (route, spread) in spreads {
        println!(
            "{route}: spread of the medians {:.1} % (target < 10 %)",
            spread * 100.0
        );
    }
    let _ = users.wait_for_hooks(Duration::from_secs(5)).await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
