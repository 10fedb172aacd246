//! The OpenAPI document of the mounted routers: FastAPI's operationIds, the schemas and one
//! security scheme per backend.

mod common;

use common::server::{SECRET, cheap_hashing, full_backends};
use common::users::MusicUser;
use serde_json::Value;

#[tokio::test]
async fn the_document_lists_every_route_with_fastapi_operation_ids() {
    let db = common::SqliteDb::new().await;
    let users = full_backends(axum_users::Users::<MusicUser>::builder(db.pool.clone()))
        .hashing(cheap_hashing())
        .secrets(SECRET)
        .build()
        .expect("users");
    let doc = users
        .openapi()
        .auth("/auth/jwt", "jwt")
        .auth("/auth/cookie", "cookie")
        .register("/auth")
        .reset_password("/auth")
        .verify("/auth")
        .users("/users")
        .protected_get("/authenticated-route", "authenticated_route")
        .build();
    let json: Value = serde_json::to_value(&doc).expect("json");
    assert_eq!(json["openapi"], "3.1.0");
    let expected = [
        (
            "/auth/jwt/login",
            "post",
            "auth_jwt_login_auth_jwt_login_post",
        ),
        (
            "/auth/jwt/logout",
            "post",
            "auth_jwt_logout_auth_jwt_logout_post",
        ),
        (
            "/auth/cookie/login",
            "post",
            "auth_cookie_login_auth_cookie_login_post",
        ),
        (
            "/auth/cookie/logout",
            "post",
            "auth_cookie_logout_auth_cookie_logout_post",
        ),
        (
            "/auth/register",
            "post",
            "register_register_auth_register_post",
        ),
        (
            "/auth/forgot-password",
            "post",
            "reset_forgot_password_auth_forgot_password_post",
        ),
        (
            "/auth/reset-password",
            "post",
            "reset_reset_password_auth_reset_password_post",
        ),
        (
            "/auth/request-verify-token",
            "post",
            "verify_request_token_auth_request_verify_token_post",
        ),
        ("/auth/verify", "post", "verify_verify_auth_verify_post"),
        ("/users/me", "get", "users_current_user_users_me_get"),
        (
            "/users/me",
            "patch",
            "users_patch_current_user_users_me_patch",
        ),
        ("/users/{id}", "get", "users_user_users__id__get"),
        ("/users/{id}", "patch", "users_patch_user_users__id__patch"),
        (
            "/users/{id}",
            "delete",
            "users_delete_user_users__id__delete",
        ),
        (
            "/authenticated-route",
            "get",
            "authenticated_route_authenticated_route_get",
        ),
    ];
    for (path, method, id) in expected {
        assert_eq!(
            json["paths"][path][method]["operationId"], id,
            "{method} {path}"
        );
    }
    assert!(json["paths"]["/auth/jwt/login"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object());
    assert!(json["paths"]["/auth/cookie/login"]["post"]["responses"]["204"].is_object());
    assert!(json["paths"]["/auth/jwt/login"]["post"]["responses"]["200"].is_object());
    let schemas = &json["components"]["schemas"];
    for name in [
        "UserRead",
        "UserCreate",
        "UserUpdate",
        "BearerResponse",
        "ErrorModel",
        "HTTPValidationError",
        "ValidationError",
    ] {
        assert!(schemas[name].is_object(), "schema {name}");
    }
    assert_eq!(
        schemas["UserCreate"]["properties"]["username"]["maxLength"],
        50
    );
    assert_eq!(
        schemas["UserRead"]["properties"]["is_superuser"]["type"],
        "boolean"
    );
    let schemes = &json["components"]["securitySchemes"];
    assert_eq!(
        schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"],
        "auth/jwt/login"
    );
    assert_eq!(schemes["APIKeyCookie"]["name"], "fastapiusersauth");
    assert_eq!(
        schemes["OAuth2PasswordBearer_db"]["flows"]["password"]["tokenUrl"],
        "auth/db/login"
    );
    let security = json["paths"]["/users/me"]["get"]["security"]
        .as_array()
        .expect("security");
    assert_eq!(security.len(), 3, "every backend is an alternative");
    db.close().await;
}
