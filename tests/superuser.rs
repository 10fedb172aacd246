//! Creating and promoting superusers programmatically (what the full example's
//! `create-superuser` command and `ADMIN_EMAIL` bootstrap use).

mod common;

use common::server::{SECRET, cheap_hashing, full_backends};
use common::users::{MusicUser, UuidUser};
use serde_json::{Map, Value, json};

fn fields(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[tokio::test]
async fn create_and_promote_superusers() {
    let db = common::SqliteDb::new().await;
    let users = full_backends(axum_users::Users::<UuidUser>::builder(db.pool.clone()))
        .hashing(cheap_hashing())
        .secrets(SECRET)
        .build()
        .expect("users");
    users.migrate().await.expect("migrate");

    let admin = users
        .create_superuser(fields(
            json!({"email": "Admin@Example.com", "password": "admin-password"}),
        ))
        .await
        .expect("create");
    assert!(admin.is_superuser && admin.is_active && admin.is_verified);
    assert_eq!(admin.email, "Admin@example.com");

    let taken = users
        .create_superuser(fields(
            json!({"email": "admin@example.com", "password": "admin-password"}),
        ))
        .await;
    assert!(matches!(
        taken,
        Err(axum_users::Error::Code(
            axum_users::ErrorCode::RegisterUserAlreadyExists
        ))
    ));
    let weak = users
        .create_superuser(fields(
            json!({"email": "weak@example.com", "password": "short"}),
        ))
        .await;
    assert!(matches!(
        weak,
        Err(axum_users::Error::InvalidPassword { .. })
    ));
    let invalid = users
        .create_superuser(fields(
            json!({"email": "not an email", "password": "long-enough"}),
        ))
        .await;
    assert!(matches!(invalid, Err(axum_users::Error::Validation(_))));

    let create =
        <<UuidUser as axum_users::AuthUser>::Create as axum_users::FromJsonBody>::from_json_bytes(
            br#"{"email": "plain@example.com", "password": "plain-password"}"#,
        )
        .expect("valid");
    users
        .create(&create, false, None)
        .await
        .expect("plain user");
    let promoted = users
        .promote_superuser("PLAIN@example.com")
        .await
        .expect("promote");
    assert!(promoted.is_superuser && promoted.is_verified);
    assert!(matches!(
        users.promote_superuser("nobody@example.com").await,
        Err(axum_users::Error::NotFound)
    ));
    db.close().await;
}

#[tokio::test]
async fn a_superuser_with_required_custom_fields() {
    let db = common::SqliteDb::new().await;
    let users = full_backends(axum_users::Users::<MusicUser>::builder(db.pool.clone()))
        .hashing(cheap_hashing())
        .secrets(SECRET)
        .build()
        .expect("users");
    users.migrate().await.expect("migrate");
    let missing = users
        .create_superuser(fields(
            json!({"email": "a@example.com", "password": "admin-password"}),
        ))
        .await;
    assert!(
        matches!(missing, Err(axum_users::Error::Validation(_))),
        "username is required"
    );
    let admin = users
        .create_superuser(fields(
            json!({"email": "a@example.com", "password": "admin-password", "username": "boss"}),
        ))
        .await
        .expect("create");
    assert!(admin.is_admin);
    db.close().await;
}
