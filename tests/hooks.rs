//! The hooks fire exactly when the contract says, with what it says.

mod common;

use common::server::hooked_server;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn hooks_fire_with_their_arguments() {
    let db = common::SqliteDb::new().await;
    let (s, hooks) = hooked_server(db.pool.clone()).await;
    let register = |body: Value| s.client.post(s.at("/auth/register")).json(&body).send();

    let response = register(json!({"email": "h@example.com", "password": "password123"}))
        .await
        .expect("register");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let detail: Value = response.json().await.expect("json");
    assert_eq!(
        detail,
        json!({"detail": {"code": "REGISTER_INVALID_PASSWORD", "reason": "Password is too common"}})
    );
    assert!(
        hooks.of("register").is_empty(),
        "no hook for a failed registration"
    );

    assert_eq!(
        register(json!({"email": "h@example.com", "password": "good-password"}))
            .await
            .expect("register")
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(hooks.of("register"), vec![json!("h@example.com")]);

    let login = s
        .client
        .post(s.at("/auth/jwt/login"))
        .form(&[("username", "h@example.com"), ("password", "good-password")])
        .send()
        .await
        .expect("login");
    assert_eq!(
        login
            .headers()
            .get("x-login-hook")
            .and_then(|v| v.to_str().ok()),
        Some("1"),
        "on_after_login may add headers"
    );
    let token = login.json::<Value>().await.expect("json")["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(
        hooks.of("login"),
        vec![json!({"email": "h@example.com", "has_ctx": true})]
    );
    let failed = s
        .client
        .post(s.at("/auth/jwt/login"))
        .form(&[
            ("username", "h@example.com"),
            ("password", "wrong-password"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(failed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(hooks.of("login").len(), 1, "no hook for a failed login");

    let patch = s.client.patch(s.at("/users/me")).bearer_auth(&token)
        .json(&json!({"password": "other-password", "is_superuser": true, "nickname": "aitch", "unknown": 1}))
        .send().await.expect("patch");
    assert_eq!(patch.status(), StatusCode::OK);
    assert_eq!(
        hooks.of("update"),
        vec![
            json!({"email": "h@example.com", "record": {"password": "[redacted]", "nickname": "aitch"}})
        ],
        "the record keeps the allowed keys in schema order and never the plaintext password"
    );
    let empty = s
        .client
        .patch(s.at("/users/me"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .expect("patch");
    assert_eq!(empty.status(), StatusCode::OK);
    assert_eq!(hooks.of("update").len(), 2, "an empty update fires too");

    // on_before_delete can refuse with its own status and detail; nothing is deleted.
    let create = <<common::users::HookedUser as axum_users::AuthUser>::Create as axum_users::FromJsonBody>::from_json_bytes(
        br#"{"email": "admin@example.com", "password": "admin-password", "is_superuser": true}"#,
    ).expect("valid");
    s.users.create(&create, true, None).await.expect("admin");
    let admin_login = s
        .client
        .post(s.at("/auth/jwt/login"))
        .form(&[
            ("username", "admin@example.com"),
            ("password", "admin-password"),
        ])
        .send()
        .await
        .expect("login");
    let admin = admin_login.json::<Value>().await.expect("json")["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let id = s
        .users
        .get_by_email("h@example.com")
        .await
        .expect("lookup")
        .expect("user")
        .id;
    hooks
        .refuse_delete
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let refused = s
        .client
        .delete(s.at(&format!("/users/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("delete");
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert_eq!(
        refused.json::<Value>().await.expect("json"),
        json!({"detail": "USER_HAS_SUBSCRIPTIONS"})
    );
    assert!(s.users.get(&id).await.expect("get").is_some());
    hooks
        .refuse_delete
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let deleted = s
        .client
        .delete(s.at(&format!("/users/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(hooks.of("before_delete"), vec![json!("h@example.com")]);
    assert_eq!(hooks.of("after_delete"), vec![json!("h@example.com")]);
    db.close().await;
}

/// A hook that panics costs its request a JSON 500 with the routers' headers, and nothing
/// else: the server keeps answering, and no user was created.
#[tokio::test]
async fn a_panicking_hook_gives_a_json_500_and_the_server_goes_on() {
    let db = common::SqliteDb::new().await;
    let (s, _hooks) = hooked_server(db.pool.clone()).await;
    let register = |password: &str| {
        s.client
            .post(s.at("/auth/register"))
            .json(&json!({"email": "p@example.com", "password": password}))
            .send()
    };

    let response = register(common::users::PANICKING_PASSWORD)
        .await
        .expect("register");
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(header("content-type").as_deref(), Some("application/json"));
    assert_eq!(header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        json!({"detail": "Internal Server Error"})
    );
    assert!(
        s.users
            .get_by_email("p@example.com")
            .await
            .expect("lookup")
            .is_none()
    );

    let again = register("a-fine-password").await.expect("register");
    assert_eq!(again.status(), StatusCode::CREATED);
    db.close().await;
}
