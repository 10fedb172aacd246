//! End-to-end tests of the auth, register and users routers over real HTTP on a loopback
//! socket, on every database.

mod common;

use axum_users::prelude::*;
use common::server::{Server, music_server, uuid_server};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn register<U: axum_users::AuthUser>(s: &Server<U>, body: Value) -> reqwest::Response {
    s.client
        .post(s.at("/auth/register"))
        .json(&body)
        .send()
        .await
        .expect("register request")
}

async fn login<U: axum_users::AuthUser>(
    s: &Server<U>,
    router: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    s.client
        .post(s.at(&format!("/auth/{router}/login")))
        .form(&[("username", email), ("password", password)])
        .send()
        .await
        .expect("login request")
}

async fn bearer<U: axum_users::AuthUser>(
    s: &Server<U>,
    router: &str,
    email: &str,
    password: &str,
) -> String {
    let response = login(s, router, email, password).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["token_type"], "bearer");
    body["access_token"].as_str().expect("token").to_owned()
}

async fn body(response: reqwest::Response) -> (StatusCode, Value) {
    common::server::json_answer(response).await
}

async fn me<U: axum_users::AuthUser>(s: &Server<U>, token: &str) -> (StatusCode, Value) {
    body(
        s.client
            .get(s.at("/users/me"))
            .bearer_auth(token)
            .send()
            .await
            .expect("me"),
    )
    .await
}

/// Makes a superuser directly through the manager (as the full example's bootstrap does).
async fn superuser<U: axum_users::AuthUser>(s: &Server<U>, email: &str, extra: Value) -> String {
    let mut payload = json!({"email": email, "password": "admin-password", "is_superuser": true, "is_verified": true});
    if let (Some(map), Value::Object(more)) = (payload.as_object_mut(), extra) {
        map.extend(more);
    }
    let create = U::Create::from_json_bytes(payload.to_string().as_bytes()).expect("valid");
    s.users
        .create(&create, true, None)
        .await
        .expect("create superuser");
    bearer(s, "jwt", email, "admin-password").await
}

async fn register_flow<P: Into<DbPool>>(pool: P) {
    let s = uuid_server(pool).await;
    let (status, user) = body(register(&s, json!({"email": " MiXed@Example.COM ", "password": "a-password", "is_superuser": true, "is_verified": true, "is_active": false})).await).await;
    assert_eq!(status, StatusCode::CREATED);
    let keys: Vec<&str> = user
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["id", "email", "is_active", "is_superuser", "is_verified"]
    );
    assert_eq!(user["email"], "MiXed@example.com");
    assert_eq!(user["is_active"], true);
    assert_eq!(
        user["is_superuser"], false,
        "flags are ignored at registration"
    );
    assert_eq!(user["is_verified"], false);
    assert!(uuid::Uuid::parse_str(user["id"].as_str().expect("id")).is_ok());

    let (status, detail) = body(
        register(
            &s,
            json!({"email": "mixed@example.com", "password": "a-password"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, detail),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail": "REGISTER_USER_ALREADY_EXISTS"})
        )
    );

    let (status, detail) = body(
        register(
            &s,
            json!({"email": "short@example.com", "password": "short"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        detail,
        json!({"detail": {"code": "REGISTER_INVALID_PASSWORD", "reason": "Password must be at least 8 characters long"}})
    );

    let (status, detail) = body(register(&s, json!({})).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        detail,
        json!({"detail":[{"type":"missing","loc":["body","email"],"msg":"Field required","input":{}},{"type":"missing","loc":["body","password"],"msg":"Field required","input":{}}]})
    );

    let (status, detail) = body(
        register(
            &s,
            json!({"email": "not-an-email", "password": "a-password"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail["detail"][0]["type"], "value_error");
    assert_eq!(detail["detail"][0]["loc"], json!(["body", "email"]));

    let raw = |ct: Option<&str>, data: &'static str| {
        let mut request = s.client.post(s.at("/auth/register")).body(data);
        if let Some(ct) = ct {
            request = request.header("content-type", ct);
        }
        request.send()
    };
    let (status, detail) = body(
        raw(
            Some("text/plain"),
            r#"{"email":"x@example.com","password":"a-password"}"#,
        )
        .await
        .expect("send"),
    )
    .await;
    assert_eq!(
        (status, detail),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            json!({"detail": "Unsupported Media Type"})
        )
    );
    let (status, _) = body(
        raw(None, r#"{"email":"x@example.com","password":"a-password"}"#)
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, detail) = body(
        raw(Some("application/json"), r#"{"email": }"#)
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail["detail"][0]["type"], "json_invalid");
    let (status, detail) = body(raw(Some("application/json"), "").await.expect("send")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail["detail"][0]["loc"], json!(["body"]));
    let (status, detail) = body(
        raw(Some("application/json; charset=utf-8"), "[]")
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail["detail"][0]["type"], "model_attributes_type");
    let (status, _) = body(
        raw(
            Some("application/vnd.api+json"),
            r#"{"email":"plus@example.com","password":"a-password"}"#,
        )
        .await
        .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let huge = json!({"email": "big@example.com", "password": "x".repeat(70 * 1024)});
    let (status, detail) = body(register(&s, huge).await).await;
    assert_eq!(
        (status, detail),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"detail": "Content Too Large"})
        )
    );
    let too_long = json!({"email": "long@example.com", "password": "x".repeat(5000)});
    let (status, detail) = body(register(&s, too_long).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        detail["detail"]["reason"],
        "Password must be at most 4096 bytes long"
    );
}

async fn register_custom_fields<P: Into<DbPool>>(pool: P) {
    let s = music_server(pool).await;
    let (status, user) = body(register(&s, json!({"email": "fan@example.com", "password": "a-password", "username": "fan", "created_at": "1999-01-01T00:00:00Z"})).await).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(user["id"].as_i64().map(|id| id > 0), Some(true));
    assert_eq!(user["username"], "fan");
    assert_eq!(user["description"], Value::Null);
    assert_ne!(user["created_at"], "1999-01-01T00:00:00Z", "server-managed");
    assert!(user.get("hashed_password").is_none() && user.get("tracks").is_none());
    let (status, detail) = body(
        register(
            &s,
            json!({"email": "other@example.com", "password": "a-password", "username": "fan"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, detail),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail": "REGISTER_USERNAME_ALREADY_EXISTS"})
        )
    );
    let (status, detail) = body(
        register(
            &s,
            json!({"email": "other@example.com", "password": "a-password"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail["detail"][0]["loc"], json!(["body", "username"]));

    // PATCH a unique field into a taken value.
    register(
        &s,
        json!({"email": "b@example.com", "password": "a-password", "username": "bee"}),
    )
    .await;
    let token = bearer(&s, "jwt", "b@example.com", "a-password").await;
    let (status, detail) = body(
        s.client
            .patch(s.at("/users/me"))
            .bearer_auth(&token)
            .json(&json!({"username": "fan"}))
            .send()
            .await
            .expect("patch"),
    )
    .await;
    assert_eq!(
        (status, detail),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail": "UPDATE_USER_USERNAME_ALREADY_EXISTS"})
        )
    );
    let (status, user) = body(
        s.client
            .patch(s.at("/users/me"))
            .bearer_auth(&token)
            .json(&json!({"description": "hi", "is_superuser": true}))
            .send()
            .await
            .expect("patch"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["description"], "hi");
    assert_eq!(user["is_superuser"], false);
    assert!(user["updated_at"].as_str() >= user["created_at"].as_str());
}

async fn login_flow<P: Into<DbPool>>(pool: P) {
    let s = uuid_server(pool).await;
    register(
        &s,
        json!({"email": "user@example.com", "password": "a-password"}),
    )
    .await;
    let token = bearer(&s, "jwt", "USER@example.com", "a-password").await;
    let (status, user) = me(&s, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["email"], "user@example.com");

    for (email, password) in [
        ("user@example.com", "wrong-password"),
        ("nobody@example.com", "a-password"),
        ("not an email", "a-password"),
    ] {
        let (status, detail) = body(login(&s, "jwt", email, password).await).await;
        assert_eq!(
            (status, detail),
            (
                StatusCode::BAD_REQUEST,
                json!({"detail": "LOGIN_BAD_CREDENTIALS"})
            )
        );
    }
    let (status, detail) =
        body(login(&s, "jwt", "user@example.com", &"x".repeat(5000)).await).await;
    assert_eq!(
        (status, detail),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail": "LOGIN_BAD_CREDENTIALS"})
        )
    );

    let (status, detail) = body(
        s.client
            .post(s.at("/auth/jwt/login"))
            .json(&json!({"username": "user@example.com", "password": "a-password"}))
            .send()
            .await
            .expect("login"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        detail,
        json!({"detail":[{"type":"missing","loc":["body","username"],"msg":"Field required","input":null},{"type":"missing","loc":["body","password"],"msg":"Field required","input":null}]})
    );
    let (status, detail) = body(
        s.client
            .post(s.at("/auth/jwt/login"))
            .form(&[
                ("username", "user@example.com"),
                ("password", "a-password"),
                ("grant_type", "client"),
            ])
            .send()
            .await
            .expect("login"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail["detail"][0]["type"], "string_pattern_mismatch");

    let form = reqwest::multipart::Form::new()
        .text("username", "user@example.com")
        .text("password", "a-password");
    let response = s
        .client
        .post(s.at("/auth/jwt/login"))
        .multipart(form)
        .send()
        .await
        .expect("multipart");
    assert_eq!(response.status(), StatusCode::OK);
    let (status, detail) = body(
        s.client
            .post(s.at("/auth/jwt/login"))
            .header("content-type", "multipart/form-data; boundary=xyz")
            .body("garbage")
            .send()
            .await
            .expect("login"),
    )
    .await;
    assert_eq!(
        (status, detail),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail": "Invalid multipart data."})
        )
    );

    // Logout of a JWT: 204, and the token keeps working (stateless).
    let response = s
        .client
        .post(s.at("/auth/jwt/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("logout");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.headers().get("set-cookie").is_none());
    let response = s
        .client
        .post(s.at("/auth/jwt/logout"))
        .send()
        .await
        .expect("logout");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get("www-authenticate").is_none());

    // Inactive users cannot log in, and their tokens stop working.
    let admin = superuser(&s, "admin@example.com", json!({})).await;
    let id = me(&s, &token).await.1["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, _) = body(
        s.client
            .patch(s.at(&format!("/users/{id}")))
            .bearer_auth(&admin)
            .json(&json!({"is_active": false}))
            .send()
            .await
            .expect("patch"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me(&s, &token).await.0, StatusCode::UNAUTHORIZED);
    let (status, detail) = body(login(&s, "jwt", "user@example.com", "a-password").await).await;
    assert_eq!(
        (status, detail),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail": "LOGIN_BAD_CREDENTIALS"})
        )
    );
}

async fn cookie_flow<P: Into<DbPool>>(pool: P) {
    let s = uuid_server(pool).await;
    register(
        &s,
        json!({"email": "c@example.com", "password": "a-password"}),
    )
    .await;
    let response = login(&s, "cookie", "c@example.com", "a-password").await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let cookies: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
    assert_eq!(cookies.len(), 1);
    let cookie = cookies[0].to_str().expect("ascii").to_owned();
    let (pair, attributes) = cookie.split_once("; ").expect("attributes");
    assert_eq!(
        attributes,
        "HttpOnly; Max-Age=3600; Path=/; SameSite=lax; Secure"
    );
    let value = pair.strip_prefix("fastapiusersauth=").expect("cookie name");
    assert!(response.text().await.expect("body").is_empty());

    let (status, user) = body(
        s.client
            .get(s.at("/users/me"))
            .header("cookie", format!("fastapiusersauth={value}"))
            .send()
            .await
            .expect("me"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["email"], "c@example.com");
    let hello = s
        .client
        .get(s.at("/authenticated-route"))
        .header("cookie", format!("fastapiusersauth={value}"))
        .send()
        .await
        .expect("hello");
    assert_eq!(hello.text().await.expect("text"), "Hello c@example.com!");
    // The same JWT works as a bearer token (shared strategy).
    assert_eq!(me(&s, value).await.0, StatusCode::OK);

    // Cross-site writes riding the cookie are refused; same-site ones pass.
    let response = s
        .client
        .post(s.at("/auth/cookie/logout"))
        .header("cookie", format!("fastapiusersauth={value}"))
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("logout");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers().get("set-cookie").is_none());
    let response = s
        .client
        .post(s.at("/auth/cookie/login"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("username", "c@example.com"), ("password", "a-password")])
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let response = s
        .client
        .post(s.at("/auth/cookie/logout"))
        .header("cookie", format!("fastapiusersauth={value}"))
        .send()
        .await
        .expect("logout");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok()),
        Some("fastapiusersauth=\"\"; HttpOnly; Max-Age=0; Path=/; SameSite=lax; Secure")
    );
    // A bearer token on the cookie logout: 204 plus the clearing cookie.
    let token = bearer(&s, "jwt", "c@example.com", "a-password").await;
    let response = s
        .client
        .post(s.at("/auth/cookie/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("logout");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.headers().get("set-cookie").is_some());
    // Failed logins never set a cookie.
    let response = login(&s, "cookie", "c@example.com", "wrong-password").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("set-cookie").is_none());
}

async fn database_tokens<P: Into<DbPool>>(pool: P) {
    let s = uuid_server(pool).await;
    register(
        &s,
        json!({"email": "d@example.com", "password": "a-password"}),
    )
    .await;
    let token = bearer(&s, "db", "d@example.com", "a-password").await;
    assert_eq!(token.len(), 43);
    assert_eq!(me(&s, &token).await.0, StatusCode::OK);
    // Logout through another backend's router still destroys it.
    let response = s
        .client
        .post(s.at("/auth/jwt/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("logout");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(me(&s, &token).await.0, StatusCode::UNAUTHORIZED);

    // Deactivation deletes the tokens: reactivation does not revive them.
    let token = bearer(&s, "db", "d@example.com", "a-password").await;
    let admin = superuser(&s, "admin@example.com", json!({})).await;
    let id = me(&s, &token).await.1["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for active in [false, true] {
        let response = s
            .client
            .patch(s.at(&format!("/users/{id}")))
            .bearer_auth(&admin)
            .json(&json!({"is_active": active}))
            .send()
            .await
            .expect("patch");
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(me(&s, &token).await.0, StatusCode::UNAUTHORIZED);

    // Deleting the user deletes its tokens (and the user's JWTs stop working).
    let token = bearer(&s, "db", "d@example.com", "a-password").await;
    let jwt = bearer(&s, "jwt", "d@example.com", "a-password").await;
    let response = s
        .client
        .delete(s.at(&format!("/users/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(me(&s, &token).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&s, &jwt).await.0, StatusCode::UNAUTHORIZED);
}

async fn users_routes<P: Into<DbPool>>(pool: P) {
    let s = uuid_server(pool).await;
    register(
        &s,
        json!({"email": "u@example.com", "password": "a-password"}),
    )
    .await;
    register(
        &s,
        json!({"email": "taken@example.com", "password": "a-password"}),
    )
    .await;
    let token = bearer(&s, "jwt", "u@example.com", "a-password").await;
    let id = me(&s, &token).await.1["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let patch =
        |t: &str, path: &str, v: Value| s.client.patch(s.at(path)).bearer_auth(t).json(&v).send();

    // PATCH /users/me
    let (status, user) = body(patch(&token, "/users/me", json!({})).await.expect("patch")).await;
    assert_eq!(
        (status, user["email"].clone()),
        (StatusCode::OK, json!("u@example.com"))
    );
    let (status, detail) = body(
        patch(&token, "/users/me", json!({"email": "TAKEN@example.com"}))
            .await
            .expect("patch"),
    )
    .await;
    assert_eq!(
        (status, detail),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail": "UPDATE_USER_EMAIL_ALREADY_EXISTS"})
        )
    );
    let (status, detail) = body(
        patch(&token, "/users/me", json!({"password": "short"}))
            .await
            .expect("patch"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(detail["detail"]["code"], "UPDATE_USER_INVALID_PASSWORD");
    let (status, detail) = body(
        patch(
            &token,
            "/users/me",
            json!({"password": "new-password", "current_password": "wrong"}),
        )
        .await
        .expect("patch"),
    )
    .await;
    assert_eq!(
        (status, detail),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail": "UPDATE_USER_BAD_CURRENT_PASSWORD"})
        )
    );
    let (status, _) = body(
        patch(
            &token,
            "/users/me",
            json!({"password": "new-password", "current_password": "a-password", "email": null}),
        )
        .await
        .expect("patch"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        login(&s, "jwt", "u@example.com", "a-password")
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    let token = bearer(&s, "jwt", "u@example.com", "new-password").await;
    let (status, detail) = body(
        s.client
            .patch(s.at("/users/me"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body("{broken")
            .send()
            .await
            .expect("patch"),
    )
    .await;
    assert_eq!(
        (status, detail["detail"][0]["type"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("json_invalid"))
    );
    let (status, _) = body(
        s.client
            .patch(s.at("/users/me"))
            .header("content-type", "application/json")
            .body("{broken")
            .send()
            .await
            .expect("patch"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "malformed JSON is reported before authentication"
    );

    // Superuser routes.
    let admin = superuser(&s, "admin@example.com", json!({})).await;
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let response = s
            .client
            .request(method.clone(), s.at(&format!("/users/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        assert_eq!(
            body(response).await,
            (StatusCode::FORBIDDEN, json!({"detail": "Forbidden"}))
        );
        let response = s
            .client
            .request(method, s.at(&format!("/users/{id}")))
            .send()
            .await
            .expect("request");
        assert_eq!(
            body(response).await,
            (StatusCode::UNAUTHORIZED, json!({"detail": "Unauthorized"}))
        );
    }
    let (status, detail) = body(
        patch(&token, &format!("/users/{id}"), json!({"email": "bad"}))
            .await
            .expect("patch"),
    )
    .await;
    assert_eq!(
        (status, detail),
        (StatusCode::FORBIDDEN, json!({"detail": "Forbidden"}))
    );
    let unknown = uuid::Uuid::new_v4();
    let (status, _) = body(
        patch(
            &admin,
            &format!("/users/{unknown}"),
            json!({"email": "bad"}),
        )
        .await
        .expect("patch"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = body(
        patch(&admin, &format!("/users/{id}"), json!({"email": "bad"}))
            .await
            .expect("patch"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for bad in ["not-a-uuid", "12345"] {
        let (status, detail) = body(
            s.client
                .get(s.at(&format!("/users/{bad}")))
                .bearer_auth(&admin)
                .send()
                .await
                .expect("get"),
        )
        .await;
        assert_eq!(
            (status, detail),
            (StatusCode::NOT_FOUND, json!({"detail": "Not Found"}))
        );
    }
    let upper = id.to_uppercase();
    let (status, user) = body(
        s.client
            .get(s.at(&format!("/users/{upper}")))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!((status, user["id"].clone()), (StatusCode::OK, json!(id)));

    let (status, user) = body(patch(&admin, &format!("/users/{id}"), json!({"is_superuser": true, "is_verified": true, "email": "Renamed@Example.com", "password": "third-password"})).await.expect("patch")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["email"], "Renamed@example.com");
    assert_eq!(user["is_superuser"], true);
    assert_eq!(
        user["is_verified"], true,
        "an explicit is_verified wins over the email change"
    );
    let token = bearer(&s, "jwt", "renamed@example.com", "third-password").await;
    // An email change by the user resets is_verified; a case-only change keeps it.
    let (_, user) = body(
        patch(&token, "/users/me", json!({"email": "RENAMED@example.com"}))
            .await
            .expect("patch"),
    )
    .await;
    assert_eq!(
        (user["email"].clone(), user["is_verified"].clone()),
        (json!("RENAMED@example.com"), json!(true))
    );
    let (_, user) = body(
        patch(&token, "/users/me", json!({"email": "moved@example.com"}))
            .await
            .expect("patch"),
    )
    .await;
    assert_eq!(
        (user["email"].clone(), user["is_verified"].clone()),
        (json!("moved@example.com"), json!(false))
    );

    // DELETE /users/me never succeeds.
    let response = s
        .client
        .delete(s.at("/users/me"))
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let plain = {
        register(
            &s,
            json!({"email": "plain@example.com", "password": "a-password"}),
        )
        .await;
        bearer(&s, "jwt", "plain@example.com", "a-password").await
    };
    let response = s
        .client
        .delete(s.at("/users/me"))
        .bearer_auth(&plain)
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = s
        .client
        .delete(s.at("/users/me"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("delete");
    assert_eq!(
        body(response).await,
        (StatusCode::NOT_FOUND, json!({"detail": "Not Found"}))
    );

    // Wrong method, unknown path, headers.
    let response = s
        .client
        .put(s.at("/users/me"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("put");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let allow = response
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        allow.contains("GET") && allow.contains("PATCH") && allow.contains("DELETE"),
        "{allow}"
    );
    assert_eq!(
        body(response).await.1,
        json!({"detail": "Method Not Allowed"})
    );
    let response = s
        .client
        .get(s.at("/no/such/path"))
        .send()
        .await
        .expect("get");
    assert_eq!(
        body(response).await,
        (StatusCode::NOT_FOUND, json!({"detail": "Not Found"}))
    );
    let response = s
        .client
        .get(s.at("/users/me"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("get");
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    assert_eq!(
        response
            .headers()
            .get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff")
    );

    // Delete, then the user is gone everywhere.
    let (status, _) = body(
        s.client
            .delete(s.at(&format!("/users/{id}")))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("delete"),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(me(&s, &token).await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = body(
        s.client
            .get(s.at(&format!("/users/{id}")))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// 20 concurrent registrations of one address: one 201, nineteen 400, no 5xx.
async fn concurrent_registrations<P: Into<DbPool>>(pool: P) {
    let s = std::sync::Arc::new(uuid_server(pool).await);
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let s = s.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                let email = if i % 2 == 0 {
                    "same@example.com"
                } else {
                    "SAME@example.com"
                };
                barrier.wait().await;
                body(register(&s, json!({"email": email, "password": "a-password"})).await).await
            })
        })
        .collect();
    let mut created = 0;
    let mut taken = 0;
    for task in tasks {
        match task.await.expect("task") {
            (StatusCode::CREATED, _) => created += 1,
            (StatusCode::BAD_REQUEST, detail) => {
                assert_eq!(detail, json!({"detail": "REGISTER_USER_ALREADY_EXISTS"}));
                taken += 1;
            }
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!((created, taken), (1, 19));
}

on_every_database! {
    register_and_its_errors => register_flow;
    register_with_custom_fields => register_custom_fields;
    login_and_logout => login_flow;
    cookie_transport => cookie_flow;
    database_token_strategy => database_tokens;
    users_router => users_routes;
    twenty_concurrent_registrations => concurrent_registrations;
}
