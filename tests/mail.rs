//! The JSON-lines outbox under concurrent writers, through the mail hooks.

mod common;

use axum::Router;
use axum_users::mail::{FileOutbox, MailHooks};
use common::server::{SECRET, cheap_hashing, full_backends, serve};
use common::users::OutboxUser;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_mails_are_whole_lines() {
    let db = common::SqliteDb::new().await;
    let path = std::env::temp_dir().join(format!("outbox-{}.jsonl", uuid::Uuid::new_v4().simple()));
    let users = full_backends(axum_users::Users::<OutboxUser>::builder(db.pool.clone()))
        .hashing(cheap_hashing())
        .secrets(SECRET)
        .hooks(MailHooks::new(FileOutbox::open(&path).expect("outbox")))
        .build()
        .expect("users");
    users.migrate().await.expect("migrate");
    let app: Router = Router::new()
        .nest("/auth", users.register_router())
        .nest("/auth", users.reset_password_router())
        .nest("/auth", users.verify_router());
    let base = serve(app).await;
    let http = reqwest::Client::new();
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let (http, base) = (http.clone(), base.clone());
            tokio::spawn(async move {
                let email = format!("user{i}@Example.com");
                let created = http
                    .post(format!("{base}/auth/register"))
                    .json(&json!({"email": email, "password": "a-password"}))
                    .send()
                    .await
                    .expect("register");
                assert_eq!(created.status(), reqwest::StatusCode::CREATED);
                for route in ["forgot-password", "request-verify-token"] {
                    let accepted = http
                        .post(format!("{base}/auth/{route}"))
                        .json(&json!({"email": email}))
                        .send()
                        .await
                        .expect("request");
                    assert_eq!(accepted.status(), reqwest::StatusCode::ACCEPTED);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    assert!(
        users
            .wait_for_hooks(std::time::Duration::from_secs(5))
            .await,
        "the spawned mail hooks finish"
    );
    let lines: Vec<String> = std::fs::read_to_string(&path)
        .expect("outbox")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), 90);
    let mut kinds = std::collections::BTreeMap::new();
    for line in &lines {
        let value: Value = serde_json::from_str(line).expect("every line is one JSON object");
        let object = value.as_object().expect("object");
        assert_eq!(
            object.keys().map(String::as_str).collect::<Vec<_>>(),
            ["kind", "email", "token"]
        );
        assert!(
            object["email"]
                .as_str()
                .is_some_and(|e| e.ends_with("@example.com")),
            "the stored address"
        );
        *kinds
            .entry(object["kind"].as_str().expect("kind").to_owned())
            .or_insert(0) += 1;
    }
    assert_eq!(kinds.get("register"), Some(&30));
    assert_eq!(kinds.get("reset_password"), Some(&30));
    assert_eq!(kinds.get("verify"), Some(&30));
    let _ = std::fs::remove_file(&path);
    db.close().await;
}
