//! A real axum-users server on a loopback socket, for end-to-end tests.

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use axum_users::password::HashingConfig;
use axum_users::prelude::*;

use super::users::{HookedUser, MusicUser, RecordingHooks, UuidUser};

/// The JWT secret of test servers.
pub const SECRET: &str = "test-secret-test-secret-test-secret-32";

/// Cheap hashing for tests (the cost is not what they check).
pub fn cheap_hashing() -> HashingConfig {
    HashingConfig {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
        ..HashingConfig::default()
    }
}

/// A running server: its base URL and the `Users` value behind it.
pub struct Server<U: axum_users::AuthUser> {
    pub url: String,
    pub users: Users<U>,
    pub client: reqwest::Client,
}

impl<U: axum_users::AuthUser> Server<U> {
    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    /// The access token of a successful login of `email` on backend `router` (`jwt`, `db`).
    pub async fn token(&self, router: &str, email: &str, password: &str) -> String {
        let response = self
            .client
            .post(self.at(&format!("/auth/{router}/login")))
            .form(&[("username", email), ("password", password)])
            .send()
            .await
            .expect("login request");
        let (status, body) = json_answer(response).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{body}");
        body["access_token"].as_str().expect("token").to_owned()
    }
}

/// The status and JSON body of an answer (`null` for an empty body).
pub async fn json_answer(response: reqwest::Response) -> (reqwest::StatusCode, serde_json::Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let value = if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text).expect("JSON body")
    };
    (status, value)
}

/// Serves `app` on 127.0.0.1:0 and returns its base URL.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("server");
    });
    format!("http://{addr}")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The backends of the full example: `jwt` (bearer), `cookie`, `db` (bearer + database).
pub fn full_backends<U: axum_users::AuthUser>(
    builder: axum_users::UsersBuilder<U>,
) -> axum_users::UsersBuilder<U> {
    let jwt = JwtStrategy::hs256(SECRET, 3600).expect("jwt");
    builder
        .backend(AuthBackend::new(
            "jwt",
            Transport::bearer("auth/jwt/login"),
            Strategy::Jwt(jwt.clone()),
        ))
        .backend(AuthBackend::new(
            "cookie",
            Transport::cookie(CookieSettings::default()),
            Strategy::Jwt(jwt),
        ))
        .backend(AuthBackend::new(
            "db",
            Transport::bearer("auth/db/login"),
            Strategy::Database(DatabaseTokens::new(Some(3600))),
        ))
}

/// Mounts the routers as the full example does.
pub fn full_app<U: axum_users::AuthUser>(users: &Users<U>) -> Router {
    async fn hello<U: axum_users::AuthUser>(ActiveUser(user): ActiveUser<U>) -> String {
        format!("Hello {}!", axum_users::AuthUser::email(&user))
    }
    Router::new()
        .nest("/auth/jwt", users.auth_router("jwt").expect("jwt router"))
        .nest(
            "/auth/cookie",
            users.auth_router("cookie").expect("cookie router"),
        )
        .nest("/auth/db", users.auth_router("db").expect("db router"))
        .nest("/auth", users.register_router())
        .nest("/auth", users.reset_password_router())
        .nest("/auth", users.verify_router())
        .nest("/users", users.users_router())
        .route("/authenticated-route", get(hello::<U>))
        .fallback(axum_users::routes::not_found)
        .layer(axum_users::routes::json_errors_layer())
        .with_state(users.clone())
}

/// A full-example server of UUID users on `pool`.
pub async fn uuid_server(pool: impl Into<DbPool>) -> Server<UuidUser> {
    let users = full_backends(Users::<UuidUser>::builder(pool))
        .hashing(cheap_hashing())
        .secrets(SECRET)
        .build()
        .expect("users");
    users.migrate().await.expect("migrate");
    let url = serve(full_app(&users)).await;
    Server {
        url,
        users,
        client: client(),
    }
}

/// A full-example server of music users on `pool`.
pub async fn music_server(pool: impl Into<DbPool>) -> Server<MusicUser> {
    let users = full_backends(Users::<MusicUser>::builder(pool))
        .hashing(cheap_hashing())
        .secrets(SECRET)
        .build()
        .expect("users");
    users.migrate().await.expect("migrate");
    let url = serve(full_app(&users)).await;
    Server {
        url,
        users,
        client: client(),
    }
}

/// A full-example server of users with recording hooks on `pool`.
pub async fn hooked_server(pool: impl Into<DbPool>) -> (Server<HookedUser>, RecordingHooks) {
    let hooks = RecordingHooks::default();
    let users = full_backends(Users::<HookedUser>::builder(pool))
        .hashing(cheap_hashing())
        .secrets(SECRET)
        .hooks(hooks.clone())
        .build()
        .expect("users");
    users.migrate().await.expect("migrate");
    let url = serve(full_app(&users)).await;
    (
        Server {
            url,
            users,
            client: client(),
        },
        hooks,
    )
}
