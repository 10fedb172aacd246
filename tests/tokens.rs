//! Access tokens over HTTP: every forged, expired or misdirected token gets 401, and a token
//! of a deleted or inactive user too.

mod common;

use base64::Engine as _;
use common::server::{SECRET, Server, uuid_server};
use common::users::UuidUser;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn sign(header: Header, claims: &Value, secret: &str) -> String {
    encode(
        &header,
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

fn b64(value: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

async fn status_of(s: &Server<UuidUser>, token: &str) -> StatusCode {
    s.client
        .get(s.at("/users/me"))
        .bearer_auth(token)
        .send()
        .await
        .expect("me")
        .status()
}

async fn registered(s: &Server<UuidUser>, email: &str) -> String {
    let response = s
        .client
        .post(s.at("/auth/register"))
        .json(&json!({"email": email, "password": "a-password"}))
        .send()
        .await
        .expect("register");
    let user: Value = response.json().await.expect("json");
    user["id"].as_str().expect("id").to_owned()
}

async fn forged_tokens_are_refused_on(pool: impl Into<axum_users::DbPool>) {
    let s = uuid_server(pool).await;
    let id = registered(&s, "t@example.com").await;
    let aud = json!(["fastapi-users:auth"]);
    let good = json!({"sub": id, "aud": aud, "exp": now() + 600});
    let hs256 = Header::new(Algorithm::HS256);

    // Control: a token minted like FastAPI Users does (sub, aud, exp) works.
    assert_eq!(
        status_of(&s, &sign(hs256.clone(), &good, SECRET)).await,
        StatusCode::OK
    );

    let cases: Vec<(&str, String)> = vec![
        (
            "expired",
            sign(
                hs256.clone(),
                &json!({"sub": id, "aud": aud, "exp": now() - 5}),
                SECRET,
            ),
        ),
        (
            "wrong audience",
            sign(
                hs256.clone(),
                &json!({"sub": id, "aud": ["fastapi-users:reset"], "exp": now() + 600}),
                SECRET,
            ),
        ),
        (
            "no audience",
            sign(
                hs256.clone(),
                &json!({"sub": id, "exp": now() + 600}),
                SECRET,
            ),
        ),
        (
            "wrong signature",
            sign(
                hs256.clone(),
                &good,
                "another-secret-another-secret-another",
            ),
        ),
        (
            "missing exp",
            sign(hs256.clone(), &json!({"sub": id, "aud": aud}), SECRET),
        ),
        (
            "exp as a string",
            sign(
                hs256.clone(),
                &json!({"sub": id, "aud": aud, "exp": (now() + 600).to_string()}),
                SECRET,
            ),
        ),
        (
            "nbf in the future",
            sign(
                hs256.clone(),
                &json!({"sub": id, "aud": aud, "exp": now() + 600, "nbf": now() + 300}),
                SECRET,
            ),
        ),
        (
            "other algorithm",
            sign(Header::new(Algorithm::HS512), &good, SECRET),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT"})),
                b64(&good)
            ),
        ),
        (
            "sub not a string",
            sign(
                hs256.clone(),
                &json!({"sub": 5, "aud": aud, "exp": now() + 600}),
                SECRET,
            ),
        ),
        (
            "sub unknown",
            sign(
                hs256.clone(),
                &json!({"sub": uuid::Uuid::new_v4().to_string(), "aud": aud, "exp": now() + 600}),
                SECRET,
            ),
        ),
        (
            "sub not an id",
            sign(
                hs256.clone(),
                &json!({"sub": "admin", "aud": aud, "exp": now() + 600}),
                SECRET,
            ),
        ),
        ("garbage", "not.a.token".to_owned()),
        ("empty", String::new()),
    ];
    for (name, token) in cases {
        assert_eq!(
            status_of(&s, &token).await,
            StatusCode::UNAUTHORIZED,
            "{name}"
        );
    }
    let mut crit = hs256.clone();
    crit.crit = Some(vec!["exp".into()]);
    assert_eq!(
        status_of(&s, &sign(crit, &good, SECRET)).await,
        StatusCode::UNAUTHORIZED,
        "crit header"
    );

    // Tokens of an inactive, then a deleted user.
    let token = sign(hs256.clone(), &good, SECRET);
    let uuid = uuid::Uuid::parse_str(&id).expect("uuid");
    let mut changes = axum_users::Changes::new();
    changes.set("is_active", false);
    axum_users::UserStore::update(s.users.store(), &uuid, &changes)
        .await
        .expect("deactivate");
    assert_eq!(
        status_of(&s, &token).await,
        StatusCode::UNAUTHORIZED,
        "inactive user"
    );
    axum_users::UserStore::delete(s.users.store(), &uuid)
        .await
        .expect("delete");
    assert_eq!(
        status_of(&s, &token).await,
        StatusCode::UNAUTHORIZED,
        "deleted user"
    );
}

on_every_database! {
    forged_expired_and_misdirected_tokens => forged_tokens_are_refused_on;
}
