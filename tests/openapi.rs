//! The OpenAPI document of the mounted routers: FastAPI's operationIds, the schemas and one
//! security scheme per backend.

mod common;

use common::server::{SECRET, cheap_hashing, full_backends};
use common::users::MusicUser;
use serde_json::{Value, json};

#[tokio::test]
async fn the_document_lists_every_route_with_fastapi_operation_ids() {
    let db = common::SqliteDb::new().await;
    let users = music_users(&db);
    let doc = full_mounts(&users)
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

fn music_users(db: &common::SqliteDb) -> axum_users::Users<MusicUser> {
    full_backends(axum_users::Users::<MusicUser>::builder(db.pool.clone()))
        .hashing(cheap_hashing())
        .secrets(SECRET)
        .trusted_origins(["https://app.example.com"])
        .build()
        .expect("users")
}

/// Every router mounted as in the full example.
fn full_mounts(
    users: &axum_users::Users<MusicUser>,
) -> axum_users::openapi::OpenApiMounts<'_, MusicUser> {
    users
        .openapi()
        .auth("/auth/jwt", "jwt")
        .auth("/auth/cookie", "cookie")
        .register("/auth")
        .reset_password("/auth")
        .verify("/auth")
        .users("/users")
}

fn full_document(users: &axum_users::Users<MusicUser>) -> Value {
    serde_json::to_value(full_mounts(users).build()).expect("json")
}

#[tokio::test]
async fn every_error_answer_is_documented_with_its_detail() {
    let db = common::SqliteDb::new().await;
    let json = full_document(&music_users(&db));
    let paths = &json["paths"];
    let example = |path: &str, method: &str, status: &str| {
        paths[path][method]["responses"][status]["content"]["application/json"].clone()
    };
    // One code: `example`; several: one named example per code.
    assert_eq!(
        example("/auth/jwt/logout", "post", "401")["example"],
        json!({"detail": "Unauthorized"})
    );
    let register_400 = example("/auth/register", "post", "400");
    assert_eq!(
        register_400["examples"]["REGISTER_USER_ALREADY_EXISTS"]["value"],
        json!({"detail": "REGISTER_USER_ALREADY_EXISTS"})
    );
    assert!(register_400["examples"]["REGISTER_INVALID_PASSWORD"].is_object());
    assert_eq!(
        example("/auth/register", "post", "422")["example"]["detail"][0]["type"],
        "missing"
    );
    // Every route with a JSON body: 408, 413 and 415; the login form: 408 and 413.
    for (path, method) in [
        ("/auth/register", "post"),
        ("/auth/forgot-password", "post"),
        ("/auth/reset-password", "post"),
        ("/auth/request-verify-token", "post"),
        ("/auth/verify", "post"),
        ("/users/me", "patch"),
        ("/users/{id}", "patch"),
    ] {
        assert_eq!(
            example(path, method, "413")["example"],
            json!({"detail": "Content Too Large"}),
            "{method} {path}"
        );
        assert!(example(path, method, "415").is_object(), "{method} {path}");
        assert!(example(path, method, "408").is_object(), "{method} {path}");
    }
    assert!(example("/auth/jwt/login", "post", "413").is_object());
    assert!(paths["/auth/jwt/login"]["post"]["responses"]["415"].is_null());
    // A cookie backend is mounted: its login and every secured write may answer 403.
    assert!(example("/auth/cookie/login", "post", "403").is_object());
    assert!(paths["/auth/jwt/login"]["post"]["responses"]["403"].is_null());
    assert!(example("/auth/jwt/logout", "post", "403").is_object());
    assert!(example("/users/me", "patch", "403").is_object());
    assert!(paths["/users/me"]["get"]["responses"]["403"].is_null());
    // Empty form values count as absent, so the form says minLength 1.
    let form = &paths["/auth/jwt/login"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
        ["schema"];
    assert_eq!(form["properties"]["username"]["minLength"], 1);
    assert_eq!(form["properties"]["password"]["minLength"], 1);
    assert_eq!(form["properties"]["grant_type"]["pattern"], "^password$");
    db.close().await;
}

#[tokio::test]
async fn schemas_carry_constraints_nullability_and_read_only_timestamps() {
    let db = common::SqliteDb::new().await;
    let json = full_document(&music_users(&db));
    let schemas = &json["components"]["schemas"];
    let read = &schemas["UserRead"]["properties"];
    assert_eq!(read["created_at"]["readOnly"], true);
    assert_eq!(read["updated_at"]["readOnly"], true);
    assert_eq!(read["created_at"]["format"], "date-time");
    assert!(read["email"].get("readOnly").is_none());
    assert_eq!(read["description"]["type"], json!(["string", "null"]));
    let create = &schemas["UserCreate"]["properties"];
    assert_eq!(create["password"]["minLength"], 8);
    assert_eq!(create["password"]["maxLength"], 4096);
    assert_eq!(create["email"]["format"], "email");
    assert!(create.get("created_at").is_none());
    assert_eq!(create["description"]["maxLength"], 1000);
    // Text fields refuse NUL (422), and the schema says so; responses carry no pattern.
    assert_eq!(create["description"]["pattern"], "^[^\\u0000]*$");
    assert!(read["description"].get("pattern").is_none());
    let update = &schemas["UserUpdate"]["properties"];
    assert_eq!(update["email"]["type"], json!(["string", "null"]));
    assert!(
        update["is_active"]["anyOf"]
            .as_array()
            .expect("lax boolean")
            .contains(&json!({"type": "null"}))
    );
    db.close().await;
}

#[tokio::test]
async fn the_routers_document_merges_into_the_apps_own_with_one_call() {
    let db = common::SqliteDb::new().await;
    let users = music_users(&db);
    let mut app_doc = utoipa::openapi::OpenApiBuilder::new()
        .info(
            utoipa::openapi::InfoBuilder::new()
                .title("Lyrics")
                .version("1"),
        )
        .paths(utoipa::openapi::Paths::builder().path(
            "/tracks",
            utoipa::openapi::PathItem::new(
                utoipa::openapi::HttpMethod::Get,
                utoipa::openapi::path::OperationBuilder::new().operation_id(Some("tracks")),
            ),
        ))
        .build();
    app_doc.merge(users.openapi().register("/auth").users("/users").build());
    let json = serde_json::to_value(&app_doc).expect("json");
    assert_eq!(json["info"]["title"], "Lyrics");
    assert_eq!(json["paths"]["/tracks"]["get"]["operationId"], "tracks");
    assert_eq!(
        json["paths"]["/auth/register"]["post"]["operationId"],
        "register_register_auth_register_post"
    );
    assert!(json["components"]["schemas"]["UserRead"].is_object());
    assert!(json["components"]["securitySchemes"]["APIKeyCookie"].is_object());
    db.close().await;
}

#[tokio::test]
async fn the_document_is_served_as_json() {
    let db = common::SqliteDb::new().await;
    let users = music_users(&db);
    let doc = full_mounts(&users).build();
    let app = axum_users::openapi::document_router("/openapi.json", &doc).expect("router");
    let base = common::server::serve(app).await;
    let response = reqwest::get(format!("{base}/openapi.json"))
        .await
        .expect("get");
    assert_eq!(response.headers()["content-type"], "application/json");
    let served: Value = response.json().await.expect("json");
    assert_eq!(served, serde_json::to_value(&doc).expect("json"));
    db.close().await;
}

#[tokio::test]
async fn the_docs_ui_is_served_from_the_binary() {
    let app = axum::Router::new().merge(axum_users::openapi::docs_router("/docs", "/openapi.json"));
    let base = common::server::serve(app).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = client
        .get(format!("{base}/docs"))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(
        html.contains(r#"src="/docs/swagger-ui-bundle.js""#),
        "{html}"
    );
    assert!(!html.contains("http"), "no asset from elsewhere: {html}");
    let init = client
        .get(format!("{base}/docs/swagger-initializer.js"))
        .send()
        .await
        .expect("initializer")
        .text()
        .await
        .expect("js");
    assert!(init.contains(r#""url": "/openapi.json""#), "{init}");
    assert!(init.contains(r#""validatorUrl": "none""#), "{init}");
    let bundle = client
        .get(format!("{base}/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .expect("bundle");
    assert_eq!(bundle.status(), 200);
    assert!(
        bundle.headers()["content-type"]
            .to_str()
            .expect("type")
            .contains("javascript")
    );
    assert!(bundle.bytes().await.expect("bytes").len() > 100_000);
    let slash = client
        .get(format!("{base}/docs/"))
        .send()
        .await
        .expect("slash");
    assert_eq!(slash.status(), 308);
    assert_eq!(slash.headers()["location"], "/docs");
    let missing = client
        .get(format!("{base}/docs/nope.js"))
        .send()
        .await
        .expect("missing");
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn the_csrf_layer_lets_only_same_origin_writes_through() {
    let db = common::SqliteDb::new().await;
    let users = music_users(&db);
    let app = axum::Router::new()
        .route(
            "/write",
            axum::routing::post(|| async { "written" }).get(|| async { "read" }),
        )
        .layer(users.csrf_layer().expect("layer"));
    let base = common::server::serve(app).await;
    let host = base.trim_start_matches("http://").to_owned();
    let client = reqwest::Client::new();
    let post = |headers: &[(&str, &str)]| {
        let mut request = client.post(format!("{base}/write"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    let own = format!("http://{host}");
    let cases: [(&[(&str, &str)], u16); 8] = [
        (&[], 200),
        (&[("sec-fetch-site", "same-origin")], 200),
        (&[("sec-fetch-site", "none")], 200),
        (&[("origin", own.as_str())], 200),
        (
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://app.example.com"),
            ],
            200,
        ),
        (
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.example"),
            ],
            403,
        ),
        (
            &[
                ("sec-fetch-site", "same-site"),
                ("origin", "https://sub.example.com"),
            ],
            403,
        ),
        (&[("origin", "https://evil.example")], 403),
    ];
    for (headers, status) in cases {
        let response = post(headers).await.expect("post");
        assert_eq!(response.status().as_u16(), status, "{headers:?}");
        if status == 403 {
            let body: Value = response.json().await.expect("json");
            assert_eq!(body, json!({"detail": "Forbidden"}));
        }
    }
    let read = client
        .get(format!("{base}/write"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .expect("get");
    assert_eq!(read.status(), 200, "reads are never refused");
    db.close().await;
}

#[tokio::test]
async fn a_malformed_trusted_origin_is_a_configuration_error() {
    let db = common::SqliteDb::new().await;
    let users = full_backends(axum_users::Users::<MusicUser>::builder(db.pool.clone()))
        .hashing(cheap_hashing())
        .secrets(SECRET)
        .trusted_origins(["app.example.com/path"])
        .build()
        .expect("users");
    let error = users.csrf_layer().expect_err("refused");
    assert!(
        error.to_string().contains("app.example.com/path"),
        "{error}"
    );
    db.close().await;
}
