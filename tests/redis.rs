//! The Redis token strategy against a real Redis server (`AXUM_USERS_TEST_REDIS`, e.g.
//! `redis://127.0.0.1:6379`). Without it the tests say they skipped; with `CI=true` they fail.

mod common;

use axum::Router;
use axum_users::prelude::*;
use common::server::{cheap_hashing, serve};
use common::users::UuidUser;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Digest as _;

fn redis_url() -> Option<String> {
    match std::env::var("AXUM_USERS_TEST_REDIS") {
        Ok(url) => Some(url),
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
            panic!("Redis is required in CI: set AXUM_USERS_TEST_REDIS")
        }
        Err(_) => {
            eprintln!("SKIPPED: Redis tests (AXUM_USERS_TEST_REDIS is not set)");
            None
        }
    }
}

async fn server(redis_url: &str) -> (String, reqwest::Client, common::SqliteDb) {
    let db = common::SqliteDb::new().await;
    let client = redis::Client::open(redis_url).expect("redis url");
    let prefix = format!("axum_users_test_{}:", uuid::Uuid::new_v4().simple());
    let users = Users::<UuidUser>::builder(db.pool.clone())
        .backend(AuthBackend::new(
            "redis",
            Transport::bearer("auth/redis/login"),
            Strategy::Redis(RedisTokens::new(client, Some(3600)).with_prefix(prefix)),
        ))
        .hashing(cheap_hashing())
        .build()
        .expect("users");
    users.migrate().await.expect("migrate");
    let app = Router::new()
        .nest("/auth/redis", users.auth_router("redis").expect("router"))
        .nest("/auth", users.register_router())
        .nest("/users", users.users_router());
    (serve(app).await, reqwest::Client::new(), db)
}

#[tokio::test]
async fn redis_tokens_live_hashed_with_a_ttl_and_die_at_logout() {
    let Some(url) = redis_url() else { return };
    let (base, http, db) = server(&url).await;
    let registered: Value = http
        .post(format!("{base}/auth/register"))
        .json(&json!({"email": "r@example.com", "password": "a-password"}))
        .send()
        .await
        .expect("register")
        .json()
        .await
        .expect("json");
    let login: Value = http
        .post(format!("{base}/auth/redis/login"))
        .form(&[("username", "r@example.com"), ("password", "a-password")])
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let token = login["access_token"].as_str().expect("token").to_owned();
    assert_eq!(token.len(), 43);

    // The key holds the user id under the SHA-256 of the token, never the token itself.
    let mut conn = redis::Client::open(url.as_str())
        .expect("client")
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    let digest: String = sha2::Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("*{digest}"))
        .query_async(&mut conn)
        .await
        .expect("keys");
    assert_eq!(keys.len(), 1);
    assert!(!keys[0].contains(&token));
    let value: String = redis::cmd("GET")
        .arg(&keys[0])
        .query_async(&mut conn)
        .await
        .expect("get");
    assert_eq!(value, registered["id"].as_str().expect("id"));
    let ttl: i64 = redis::cmd("TTL")
        .arg(&keys[0])
        .query_async(&mut conn)
        .await
        .expect("ttl");
    assert!((3500..=3600).contains(&ttl), "ttl {ttl}");

    let me = http
        .get(format!("{base}/users/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), StatusCode::OK);
    let logout = http
        .post(format!("{base}/auth/redis/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("logout");
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let exists: i64 = redis::cmd("EXISTS")
        .arg(&keys[0])
        .query_async(&mut conn)
        .await
        .expect("exists");
    assert_eq!(exists, 0);
    let me = http
        .get(format!("{base}/users/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    db.close().await;
}

#[tokio::test]
async fn an_unreachable_redis_is_a_503_not_a_crash() {
    let (base, http, db) = server("redis://127.0.0.1:1").await;
    http.post(format!("{base}/auth/register"))
        .json(&json!({"email": "r@example.com", "password": "a-password"}))
        .send()
        .await
        .expect("register");
    let response = http
        .post(format!("{base}/auth/redis/login"))
        .form(&[("username", "r@example.com"), ("password", "a-password")])
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().get("retry-after").is_some());
    let body: Value = response.json().await.expect("json");
    assert_eq!(body, json!({"detail": "Service Unavailable"}));
    db.close().await;
}

/// Redis goes away under a running server (a TCP forwarder between them is closed), then
/// comes back: login, authentication and logout answer a JSON 503 meanwhile, nothing panics,
/// and the server reconnects on its own; tokens issued before the outage still work after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_going_away_is_a_503_and_the_server_reconnects_by_itself() {
    let Some(url) = redis_url() else { return };
    let proxy = common::proxy::Proxy::start(common::proxy::host_port(&url, 6379)).await;
    let (base, http, db) = server(&format!("redis://{}", proxy.addr)).await;
    let registered = http
        .post(format!("{base}/auth/register"))
        .json(&json!({"email": "r@example.com", "password": "a-password"}))
        .send()
        .await
        .expect("register");
    assert_eq!(registered.status(), StatusCode::CREATED);
    let login = || {
        http.post(format!("{base}/auth/redis/login"))
            .form(&[("username", "r@example.com"), ("password", "a-password")])
            .send()
    };
    let body: Value = login().await.expect("login").json().await.expect("json");
    let token = body["access_token"].as_str().expect("token").to_owned();
    let me = || {
        http.get(format!("{base}/users/me"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(me().await.expect("me").status(), StatusCode::OK);

    proxy.stop();
    let logout = http
        .post(format!("{base}/auth/redis/logout"))
        .bearer_auth(&token)
        .send();
    for (name, response) in [
        ("login", login().await),
        ("me", me().await),
        ("logout", logout.await),
    ] {
        let response = response.expect("an answer");
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{name}");
        assert!(response.headers().get("retry-after").is_some(), "{name}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body, json!({"detail": "Service Unavailable"}), "{name}");
    }

    proxy.resume().await;
    let back = std::time::Instant::now();
    loop {
        let status = me().await.expect("me").status();
        if status == StatusCode::OK {
            break;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            back.elapsed() < std::time::Duration::from_secs(15),
            "not back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    println!("back after {:?}", back.elapsed());
    assert_eq!(login().await.expect("login").status(), StatusCode::OK);
    let logout = http
        .post(format!("{base}/auth/redis/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("logout");
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(me().await.expect("me").status(), StatusCode::UNAUTHORIZED);
    db.close().await;
}
