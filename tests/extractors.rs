//! Routers with `requires_verification`, the user extractors in application routes (also as
//! `Option<...>`), and the read timeout.

mod common;

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use axum_users::prelude::*;
use common::server::{SECRET, cheap_hashing, full_backends, serve};
use common::users::UuidUser;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn who(user: Option<ActiveUser<UuidUser>>) -> String {
    user.map_or_else(|| "anonymous".to_owned(), |ActiveUser(u)| u.email)
}

async fn verified(VerifiedUser(user): VerifiedUser<UuidUser>) -> String {
    user.email
}

async fn admin(Superuser(user): Superuser<UuidUser>) -> String {
    user.email
}

async fn current(CurrentUser(user): CurrentUser<UuidUser>) -> String {
    format!("{} active={}", user.email, user.is_active)
}

async fn server() -> (String, Users<UuidUser>, common::SqliteDb) {
    let db = common::SqliteDb::new().await;
    let users = full_backends(Users::<UuidUser>::builder(db.pool.clone()))
        .hashing(cheap_hashing())
        .secrets(SECRET)
        .read_timeout(Duration::from_millis(300))
        .build()
        .expect("users");
    users.migrate().await.expect("migrate");
    let app = Router::new()
        .nest("/auth/jwt", users.auth_router("jwt").expect("router"))
        .nest(
            "/auth/rv",
            users.auth_router_with("jwt", true).expect("router"),
        )
        .nest("/auth", users.register_router())
        .nest("/users", users.users_router_with(true))
        .route("/who", get(who))
        .route("/verified", get(verified))
        .route("/admin", get(admin))
        .route("/current", get(current))
        .with_state(users.clone());
    (serve(app).await, users, db)
}

async fn token(
    http: &reqwest::Client,
    base: &str,
    router: &str,
    email: &str,
) -> (StatusCode, Value) {
    let response = http
        .post(format!("{base}/auth/{router}/login"))
        .form(&[("username", email), ("password", "a-password")])
        .send()
        .await
        .expect("login");
    (response.status(), response.json().await.expect("json"))
}

#[tokio::test]
async fn verification_required_routers_and_extractors() {
    let (base, users, db) = server().await;
    let http = reqwest::Client::new();
    for email in ["plain@example.com", "checked@example.com"] {
        http.post(format!("{base}/auth/register"))
            .json(&json!({"email": email, "password": "a-password"}))
            .send()
            .await
            .expect("register");
    }
    let checked = users
        .get_by_email("checked@example.com")
        .await
        .expect("get")
        .expect("user");
    let mut changes = axum_users::Changes::new();
    changes.set("is_verified", true);
    axum_users::UserStore::update(users.store(), &checked.id, &changes)
        .await
        .expect("verify");

    // An unverified user: right password, but not verified.
    assert_eq!(
        token(&http, &base, "rv", "plain@example.com").await,
        (
            StatusCode::BAD_REQUEST,
            json!({"detail": "LOGIN_USER_NOT_VERIFIED"})
        )
    );
    let (status, body) = token(&http, &base, "jwt", "plain@example.com").await;
    assert_eq!(status, StatusCode::OK);
    let plain = body["access_token"].as_str().expect("token").to_owned();
    let get = |path: &str, token: Option<&str>| {
        let mut request = http.get(format!("{base}{path}"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let me = get("/users/me", Some(&plain)).await.expect("me");
    assert_eq!(me.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        me.json::<Value>().await.expect("json"),
        json!({"detail": "Forbidden"})
    );
    let logout = http
        .post(format!("{base}/auth/rv/logout"))
        .bearer_auth(&plain)
        .send()
        .await
        .expect("logout");
    assert_eq!(logout.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        get("/verified", Some(&plain)).await.expect("get").status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get("/who", Some(&plain))
            .await
            .expect("get")
            .text()
            .await
            .expect("text"),
        "plain@example.com"
    );

    // A verified user passes everywhere but the superuser route.
    let (status, body) = token(&http, &base, "rv", "checked@example.com").await;
    assert_eq!(status, StatusCode::OK);
    let checked_token = body["access_token"].as_str().expect("token").to_owned();
    assert_eq!(
        get("/users/me", Some(&checked_token))
            .await
            .expect("me")
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        get("/verified", Some(&checked_token))
            .await
            .expect("get")
            .status(),
        StatusCode::OK
    );
    let not_admin = get("/admin", Some(&checked_token)).await.expect("get");
    assert_eq!(not_admin.status(), StatusCode::FORBIDDEN);

    // Without a credential: Option gives None, the others 401 with the JSON body.
    assert_eq!(
        get("/who", None)
            .await
            .expect("get")
            .text()
            .await
            .expect("text"),
        "anonymous"
    );
    assert_eq!(
        get("/who", Some("garbage"))
            .await
            .expect("get")
            .text()
            .await
            .expect("text"),
        "anonymous"
    );
    let anonymous = get("/verified", None).await.expect("get");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.json::<Value>().await.expect("json"),
        json!({"detail": "Unauthorized"})
    );

    // CurrentUser accepts an inactive user; ActiveUser does not.
    let mut changes = axum_users::Changes::new();
    changes.set("is_active", false);
    axum_users::UserStore::update(users.store(), &checked.id, &changes)
        .await
        .expect("deactivate");
    assert_eq!(
        get("/current", Some(&checked_token))
            .await
            .expect("get")
            .text()
            .await
            .expect("text"),
        "checked@example.com active=false"
    );
    assert_eq!(
        get("/who", Some(&checked_token))
            .await
            .expect("get")
            .text()
            .await
            .expect("text"),
        "anonymous"
    );
    db.close().await;
}

#[tokio::test]
async fn a_body_that_never_arrives_is_a_408() {
    let (base, _users, db) = server().await;
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /auth/register HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"email\""
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buf[..n]);
                    if answer.windows(4).any(|w| w == b"}]}\"" || w == b"ut\"}") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server answered before the client gave up"
    );
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.ends_with(r#"{"detail":"Request Timeout"}"#), "{text}");
    db.close().await;
}
