//! Hashing over HTTP: a login flood queues in the hashing pool without stalling requests
//! that need no hash, a full queue answers 503, and outdated hashes are upgraded at login.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum_users::password::HashingConfig;
use axum_users::prelude::*;
use common::server::{SECRET, cheap_hashing, full_app, full_backends, serve};
use common::users::UuidUser;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn server(hashing: HashingConfig) -> (String, Users<UuidUser>, common::SqliteDb) {
    let db = common::SqliteDb::new().await;
    let users = full_backends(Users::<UuidUser>::builder(db.pool.clone()))
        .hashing(hashing)
        .secrets(SECRET)
        .build()
        .expect("users");
    users.migrate().await.expect("migrate");
    (serve(full_app(&users)).await, users, db)
}

async fn register_and_login(base: &str, http: &reqwest::Client) -> String {
    http.post(format!("{base}/auth/register"))
        .json(&json!({"email": "flood@example.com", "password": "a-password"}))
        .send()
        .await
        .expect("register");
    let body: Value = http
        .post(format!("{base}/auth/jwt/login"))
        .form(&[
            ("username", "flood@example.com"),
            ("password", "a-password"),
        ])
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    body["access_token"].as_str().expect("token").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_does_not_stall_other_requests() {
    // One hashing thread at the default (OWASP) cost: 16 logins take a while to drain.
    let (base, _users, db) = server(HashingConfig {
        workers: 1,
        ..HashingConfig::default()
    })
    .await;
    let http = reqwest::Client::new();
    let token = register_and_login(&base, &http).await;
    let finished = Arc::new(AtomicUsize::new(0));
    let logins: Vec<_> = (0..16)
        .map(|_| {
            let (http, base, finished) = (http.clone(), base.clone(), finished.clone());
            tokio::spawn(async move {
                let status = http
                    .post(format!("{base}/auth/jwt/login"))
                    .form(&[
                        ("username", "flood@example.com"),
                        ("password", "a-password"),
                    ])
                    .send()
                    .await
                    .expect("login")
                    .status();
                finished.fetch_add(1, Ordering::SeqCst);
                status
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    for _ in 0..5 {
        let me = http
            .get(format!("{base}/users/me"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("me");
        assert_eq!(me.status(), StatusCode::OK);
    }
    let done_when_me_finished = finished.load(Ordering::SeqCst);
    assert!(
        done_when_me_finished < 16,
        "/users/me answered while logins were still queued ({done_when_me_finished} of 16 done)"
    );
    for login in logins {
        assert_eq!(login.await.expect("task"), StatusCode::OK);
    }
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_hashing_queue_answers_503_with_retry_after() {
    let (base, _users, db) = server(HashingConfig {
        workers: 1,
        queue_per_worker: 1,
        ..HashingConfig::default()
    })
    .await;
    let http = reqwest::Client::new();
    register_and_login(&base, &http).await;
    let logins: Vec<_> = (0..12)
        .map(|_| {
            let (http, base) = (http.clone(), base.clone());
            tokio::spawn(async move {
                let response = http
                    .post(format!("{base}/auth/jwt/login"))
                    .form(&[
                        ("username", "flood@example.com"),
                        ("password", "a-password"),
                    ])
                    .send()
                    .await
                    .expect("login");
                let retry = response.headers().get("retry-after").is_some();
                (
                    response.status(),
                    retry,
                    response.text().await.expect("body"),
                )
            })
        })
        .collect();
    let mut busy = 0;
    for login in logins {
        match login.await.expect("task") {
            (StatusCode::OK, _, _) => {}
            (StatusCode::SERVICE_UNAVAILABLE, retry, body) => {
                assert!(retry, "503 carries Retry-After");
                assert_eq!(body, r#"{"detail":"Service Unavailable"}"#);
                busy += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(busy > 0, "some logins found the queue full");
    db.close().await;
}

#[tokio::test]
async fn outdated_hashes_are_upgraded_at_login() {
    let (base, users, db) = server(cheap_hashing()).await;
    let http = reqwest::Client::new();
    register_and_login(&base, &http).await;
    let user = users
        .get_by_email("flood@example.com")
        .await
        .expect("lookup")
        .expect("user");
    let mut changes = axum_users::Changes::new();
    changes.set(
        "hashed_password",
        bcrypt::hash("legacy-password", 4).expect("bcrypt"),
    );
    axum_users::UserStore::update(users.store(), &user.id, &changes)
        .await
        .expect("store bcrypt");

    let login = http
        .post(format!("{base}/auth/jwt/login"))
        .form(&[
            ("username", "flood@example.com"),
            ("password", "legacy-password"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(
        login.status(),
        StatusCode::OK,
        "legacy bcrypt hashes verify"
    );
    let upgraded = users
        .get_by_email("flood@example.com")
        .await
        .expect("lookup")
        .expect("user");
    assert!(
        upgraded
            .hashed_password
            .starts_with("$argon2id$v=19$m=1024,t=1,p=1$"),
        "{}",
        upgraded.hashed_password
    );
    let again = http
        .post(format!("{base}/auth/jwt/login"))
        .form(&[
            ("username", "flood@example.com"),
            ("password", "legacy-password"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(again.status(), StatusCode::OK);
    let same = users
        .get_by_email("flood@example.com")
        .await
        .expect("lookup")
        .expect("user");
    assert_eq!(
        same.hashed_password, upgraded.hashed_password,
        "a current hash is kept"
    );
    db.close().await;
}
