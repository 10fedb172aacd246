//! Forgot/reset password and email verification over HTTP, on every database: the full
//! flows with tokens taken from the hooks, every refusal, single use under concurrency.

mod common;

use common::server::{Server, hooked_server};
use common::users::{HookedUser, RecordingHooks};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn post(s: &Server<HookedUser>, path: &str, body: Value) -> (StatusCode, Value) {
    let response = s
        .client
        .post(s.at(path))
        .json(&body)
        .send()
        .await
        .expect("request");
    common::server::json_answer(response).await
}

async fn login(s: &Server<HookedUser>, email: &str, password: &str) -> StatusCode {
    s.client
        .post(s.at("/auth/jwt/login"))
        .form(&[("username", email), ("password", password)])
        .send()
        .await
        .expect("login")
        .status()
}

async fn setup<P: Into<axum_users::DbPool>>(pool: P) -> (Server<HookedUser>, RecordingHooks) {
    let (s, hooks) = hooked_server(pool).await;
    let (status, _) = post(
        &s,
        "/auth/register",
        json!({"email": "r@example.com", "password": "first-password"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    (s, hooks)
}

async fn reset_flow<P: Into<axum_users::DbPool>>(pool: P) {
    let (s, hooks) = setup(pool).await;
    // Unknown and invalid addresses.
    assert_eq!(
        post(
            &s,
            "/auth/forgot-password",
            json!({"email": "nobody@example.com"})
        )
        .await,
        (StatusCode::ACCEPTED, Value::Null)
    );
    let (status, detail) = post(&s, "/auth/forgot-password", json!({"email": "nope"})).await;
    assert_eq!(
        (status, detail["detail"][0]["loc"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!(["body", "email"]))
    );
    let (status, _) = post(&s, "/auth/forgot-password", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(
        post(
            &s,
            "/auth/forgot-password",
            json!({"email": "R@EXAMPLE.com"})
        )
        .await,
        (StatusCode::ACCEPTED, Value::Null)
    );
    let token = hooks
        .wait_for("forgot_password", 1)
        .await
        .expect("reset token");
    let token = token.as_str().expect("string").to_owned();
    assert_eq!(
        hooks.of("forgot_password").len(),
        1,
        "unknown addresses fire nothing"
    );

    // A refused password does not use up the token.
    let (status, detail) = post(
        &s,
        "/auth/reset-password",
        json!({"token": token, "password": "short"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        detail,
        json!({"detail": {"code": "RESET_PASSWORD_INVALID_PASSWORD", "reason": "Password must be at least 8 characters long"}})
    );
    let (status, detail) = post(
        &s,
        "/auth/reset-password",
        json!({"token": token, "password": "password123!"}),
    )
    .await;
    assert_eq!(
        (status, detail["detail"]["reason"].clone()),
        (StatusCode::BAD_REQUEST, json!("Password is too common"))
    );

    for bad in ["", "garbage", "a.b.c"] {
        let (status, detail) = post(
            &s,
            "/auth/reset-password",
            json!({"token": bad, "password": "second-password"}),
        )
        .await;
        assert_eq!(
            (status, detail),
            (
                StatusCode::BAD_REQUEST,
                json!({"detail": "RESET_PASSWORD_BAD_TOKEN"})
            )
        );
    }
    let (status, _) = post(&s, "/auth/reset-password", json!({"token": token})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(
        post(
            &s,
            "/auth/reset-password",
            json!({"token": token, "password": "second-password"})
        )
        .await,
        (StatusCode::OK, Value::Null)
    );
    assert_eq!(hooks.of("reset_password"), vec![json!("r@example.com")]);
    assert_eq!(
        login(&s, "r@example.com", "second-password").await,
        StatusCode::OK
    );
    assert_eq!(
        login(&s, "r@example.com", "first-password").await,
        StatusCode::BAD_REQUEST
    );
    let (status, detail) = post(
        &s,
        "/auth/reset-password",
        json!({"token": token, "password": "third-password"}),
    )
    .await;
    assert_eq!(
        (status, detail),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail": "RESET_PASSWORD_BAD_TOKEN"})
        ),
        "single use"
    );

    // A token dies when the password changes another way.
    post(
        &s,
        "/auth/forgot-password",
        json!({"email": "r@example.com"}),
    )
    .await;
    let token = hooks
        .wait_for("forgot_password", 2)
        .await
        .expect("token")
        .as_str()
        .expect("string")
        .to_owned();
    let user = s
        .users
        .get_by_email("r@example.com")
        .await
        .expect("lookup")
        .expect("user");
    let update = common::users::HookedUpdate {
        password: axum_users::Patch::Set("changed-password".into()),
        ..Default::default()
    };
    s.users
        .update(&update, &user, true, None)
        .await
        .expect("update");
    let (status, _) = post(
        &s,
        "/auth/reset-password",
        json!({"token": token, "password": "fourth-password"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A verification token is not a reset token.
    post(
        &s,
        "/auth/request-verify-token",
        json!({"email": "r@example.com"}),
    )
    .await;
    let verify_token = hooks
        .wait_for("request_verify", 1)
        .await
        .expect("verify token");
    let (status, _) = post(
        &s,
        "/auth/reset-password",
        json!({"token": verify_token, "password": "fifth-password"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Inactive users get no token, and tokens minted before deactivation die.
    post(
        &s,
        "/auth/forgot-password",
        json!({"email": "r@example.com"}),
    )
    .await;
    let token = hooks.wait_for("forgot_password", 3).await.expect("token");
    let user = s
        .users
        .get_by_email("r@example.com")
        .await
        .expect("lookup")
        .expect("user");
    let update = common::users::HookedUpdate {
        is_active: axum_users::Patch::Set(false),
        ..Default::default()
    };
    s.users
        .update(&update, &user, true, None)
        .await
        .expect("deactivate");
    let (status, _) = post(
        &s,
        "/auth/reset-password",
        json!({"token": token, "password": "sixth-password"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        post(
            &s,
            "/auth/forgot-password",
            json!({"email": "r@example.com"})
        )
        .await
        .0,
        StatusCode::ACCEPTED
    );
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        hooks.of("forgot_password").len(),
        3,
        "inactive users fire nothing"
    );
}

/// Ten parallel resets with one token: exactly one succeeds.
async fn parallel_resets<P: Into<axum_users::DbPool>>(pool: P) {
    let (s, hooks) = setup(pool).await;
    post(
        &s,
        "/auth/forgot-password",
        json!({"email": "r@example.com"}),
    )
    .await;
    let token = hooks.wait_for("forgot_password", 1).await.expect("token");
    let s = std::sync::Arc::new(s);
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(10));
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let (s, barrier, token) = (s.clone(), barrier.clone(), token.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                post(
                    &s,
                    "/auth/reset-password",
                    json!({"token": token, "password": format!("parallel-{i}")}),
                )
                .await
            })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        match task.await.expect("task") {
            (StatusCode::OK, _) => ok += 1,
            (StatusCode::BAD_REQUEST, detail) => {
                assert_eq!(detail, json!({"detail": "RESET_PASSWORD_BAD_TOKEN"}))
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(hooks.of("reset_password").len(), 1);
}

async fn verify_flow<P: Into<axum_users::DbPool>>(pool: P) {
    let (s, hooks) = setup(pool).await;
    assert_eq!(
        post(
            &s,
            "/auth/request-verify-token",
            json!({"email": "unknown@example.com"})
        )
        .await,
        (StatusCode::ACCEPTED, Value::Null)
    );
    assert_eq!(
        post(
            &s,
            "/auth/request-verify-token",
            json!({"email": "r@example.com"})
        )
        .await,
        (StatusCode::ACCEPTED, Value::Null)
    );
    let token = hooks.wait_for("request_verify", 1).await.expect("token");
    let (status, _) = post(&s, "/auth/verify", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for bad in [json!("garbage"), json!("")] {
        let (status, detail) = post(&s, "/auth/verify", json!({"token": bad})).await;
        assert_eq!(
            (status, detail),
            (
                StatusCode::BAD_REQUEST,
                json!({"detail": "VERIFY_USER_BAD_TOKEN"})
            )
        );
    }
    let (status, user) = post(&s, "/auth/verify", json!({"token": token})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (user["email"].clone(), user["is_verified"].clone()),
        (json!("r@example.com"), json!(true))
    );
    assert_eq!(hooks.of("verify").len(), 1);
    let (status, detail) = post(&s, "/auth/verify", json!({"token": token})).await;
    assert_eq!(
        (status, detail),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail": "VERIFY_USER_ALREADY_VERIFIED"})
        )
    );
    post(
        &s,
        "/auth/request-verify-token",
        json!({"email": "r@example.com"}),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        hooks.of("request_verify").len(),
        1,
        "verified users get no new token"
    );

    // A token for an address the user no longer has is refused.
    post(
        &s,
        "/auth/register",
        json!({"email": "m@example.com", "password": "first-password"}),
    )
    .await;
    post(
        &s,
        "/auth/request-verify-token",
        json!({"email": "m@example.com"}),
    )
    .await;
    let old = hooks.wait_for("request_verify", 2).await.expect("token");
    let user = s
        .users
        .get_by_email("m@example.com")
        .await
        .expect("lookup")
        .expect("user");
    let update = common::users::HookedUpdate {
        email: axum_users::Patch::Set("moved@example.com".into()),
        ..Default::default()
    };
    s.users
        .update(&update, &user, false, None)
        .await
        .expect("move");
    let (status, detail) = post(&s, "/auth/verify", json!({"token": old})).await;
    assert_eq!(
        (status, detail),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail": "VERIFY_USER_BAD_TOKEN"})
        )
    );

    // A reset token is not a verification token.
    post(
        &s,
        "/auth/forgot-password",
        json!({"email": "moved@example.com"}),
    )
    .await;
    let reset = hooks.wait_for("forgot_password", 1).await.expect("token");
    let (status, _) = post(&s, "/auth/verify", json!({"token": reset})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// The claims of a JWT (to re-sign them differently).
fn claims_of(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64");
    serde_json::from_slice(&bytes).expect("claims")
}

/// Expired tokens and tokens signed with another secret are refused on both routes.
async fn expired_and_forged_tokens<P: Into<axum_users::DbPool>>(pool: P) {
    let (s, hooks) = setup(pool).await;
    post(
        &s,
        "/auth/forgot-password",
        json!({"email": "r@example.com"}),
    )
    .await;
    let genuine = hooks.wait_for("forgot_password", 1).await.expect("token");
    let genuine = genuine.as_str().expect("string");
    let claims = claims_of(genuine);
    let sign = |claims: &Value, secret: &str| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("sign")
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut expired = claims.clone();
    expired["exp"] = json!(now - 10);
    let expired = sign(&expired, common::server::SECRET);
    let forged = sign(&claims, "another-secret-another-secret-another-secret");
    for token in [expired, forged] {
        let (status, detail) = post(
            &s,
            "/auth/reset-password",
            json!({"token": token, "password": "second-password"}),
        )
        .await;
        assert_eq!(
            (status, detail),
            (
                StatusCode::BAD_REQUEST,
                json!({"detail": "RESET_PASSWORD_BAD_TOKEN"})
            )
        );
    }
    post(
        &s,
        "/auth/request-verify-token",
        json!({"email": "r@example.com"}),
    )
    .await;
    let verify = hooks.wait_for("request_verify", 1).await.expect("token");
    let verify = verify.as_str().expect("string");
    let claims = claims_of(verify);
    let mut expired = claims.clone();
    expired["exp"] = json!(now - 10);
    for token in [
        sign(&expired, common::server::SECRET),
        sign(&claims, "another-secret-another-secret-another-secret"),
    ] {
        let (status, detail) = post(&s, "/auth/verify", json!({"token": token})).await;
        assert_eq!(
            (status, detail),
            (
                StatusCode::BAD_REQUEST,
                json!({"detail": "VERIFY_USER_BAD_TOKEN"})
            )
        );
    }
    // The genuine tokens still work after all that.
    assert_eq!(
        post(&s, "/auth/verify", json!({"token": verify})).await.0,
        StatusCode::OK
    );
    assert_eq!(
        post(
            &s,
            "/auth/reset-password",
            json!({"token": genuine, "password": "second-password"})
        )
        .await
        .0,
        StatusCode::OK
    );
}

on_every_database! {
    expired_and_forged_recovery_tokens => expired_and_forged_tokens;
    reset_password_flow => reset_flow;
    ten_parallel_resets_with_one_token => parallel_resets;
    verify_email_flow => verify_flow;
}
