//! The server the security suite attacks: the routers wired as `examples/full` wires them
//! (JWT over bearer at `/auth/jwt`, JWT over cookie at `/auth/cookie`, database tokens over
//! bearer at `/auth/db`), plus database tokens over a cookie at `/auth/dbcookie`, served on
//! `127.0.0.1:0`. Mails go to an in-memory [`Inbox`] the tests read, as a user reads mail; the
//! inbox can be told to fail or to be slow. Lifetimes are knobs ([`Knobs`]).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use axum_users::mail::{Mail, MailError, MailHooks, MailKind, Mailer};
use axum_users::prelude::*;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::common::server::{SECRET, cheap_hashing, serve};

/// The name of the cookie of the `dbcookie` backend.
pub const DB_COOKIE: &str = "fastapiusersdb";
/// The name of the cookie of the `cookie` (JWT) backend.
pub const JWT_COOKIE: &str = "fastapiusersauth";
/// The password every `user()` gets.
pub const PASSWORD: &str = "a-good-password";

/// A FastAPI Users user with UUID ids, as in `examples/full`.
#[derive(AuthUser, Clone, Debug)]
#[auth(
    table = "sec_user",
    hooks = MailHooks<Inbox>,
    read = "SecUserRead",
    create = "SecUserCreate",
    update = "SecUserUpdate"
)]
pub struct SecUser {
    pub id: uuid::Uuid,
    pub email: String,
    pub hashed_password: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub is_verified: bool,
}

/// The same user with integer ids (for the id-guessing cases).
#[derive(AuthUser, Clone, Debug)]
#[auth(
    table = "sec_int_user",
    hooks = MailHooks<Inbox>,
    read = "SecIntUserRead",
    create = "SecIntUserCreate",
    update = "SecIntUserUpdate"
)]
pub struct SecIntUser {
    pub id: i64,
    pub email: String,
    pub hashed_password: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub is_verified: bool,
}

/// How the inbox behaves when a mail arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum MailMode {
    /// Keeps the mail.
    Deliver = 0,
    /// Refuses it (the hook logs the error).
    Fail = 1,
    /// Keeps it after 200 ms.
    Slow = 2,
}

/// The mails the server sent, in order.
#[derive(Debug, Clone, Default)]
pub struct Inbox {
    mails: Arc<Mutex<Vec<Mail>>>,
    mode: Arc<AtomicU8>,
}

impl Mailer for Inbox {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        match self.mode.load(Ordering::SeqCst) {
            1 => return Err(MailError("the test inbox refuses mail".into())),
            2 => tokio::time::sleep(Duration::from_millis(200)).await,
            _ => {}
        }
        self.mails.lock().expect("inbox").push(mail.clone());
        Ok(())
    }
}

impl Inbox {
    /// Switches how later mails are handled.
    pub fn set_mode(&self, mode: MailMode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }

    /// Every mail so far.
    pub fn all(&self) -> Vec<Mail> {
        self.mails.lock().expect("inbox").clone()
    }

    /// The mails of `kind` so far, whoever they went to.
    pub fn of(&self, kind: MailKind) -> Vec<Mail> {
        self.all().into_iter().filter(|m| m.kind == kind).collect()
    }

    /// The tokens of `kind` sent to exactly `to`, in order.
    pub fn tokens(&self, kind: MailKind, to: &str) -> Vec<String> {
        self.of(kind)
            .into_iter()
            .filter(|m| m.to == to)
            .filter_map(|m| m.token)
            .collect()
    }

    /// Waits (up to 5 s) until `count` mails of `kind` went to `to`; returns the last token.
    pub async fn wait_token(&self, kind: MailKind, to: &str, count: usize) -> String {
        for _ in 0..500 {
            let tokens = self.tokens(kind, to);
            if tokens.len() >= count {
                return tokens[count - 1].clone();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no {kind:?} mail #{count} to {to}");
    }
}

/// The knobs of the attacked server.
#[derive(Debug, Clone, Copy)]
pub struct Knobs {
    /// Lifetime of access JWTs, database tokens and the cookies, in seconds.
    pub access: u64,
    /// Lifetime of reset tokens, in seconds.
    pub reset: u64,
    /// Lifetime of verification tokens, in seconds.
    pub verify: u64,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            access: 3600,
            reset: 3600,
            verify: 3600,
        }
    }
}

impl Knobs {
    /// Every lifetime 3 s (the expiry cases).
    pub fn short() -> Self {
        Self {
            access: 3,
            reset: 3,
            verify: 3,
        }
    }
}

/// One HTTP answer: status, headers, and the body as JSON (`Value::Null` when empty; a
/// string when the body is not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub raw: String,
}

impl Answer {
    /// The `detail` of an error body.
    pub fn detail(&self) -> &Value {
        &self.body["detail"]
    }

    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().expect("ascii set-cookie").to_owned())
            .collect()
    }

    /// The value of cookie `name` in the `Set-Cookie` headers.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies().iter().find_map(|c| {
            let first = c.split(';').next()?;
            let (n, v) = first.split_once('=')?;
            (n.trim() == name).then(|| v.trim().to_owned())
        })
    }
}

/// Reads a response into an [`Answer`]; a 5xx fails the test unless `allow_5xx`.
pub async fn read(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let raw = response.text().await.expect("body");
    let body = if raw.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&raw).unwrap_or_else(|_| Value::String(raw.clone()))
    };
    Answer {
        status,
        headers,
        body,
        raw,
    }
}

/// A running attacked server.
pub struct Sec<U: axum_users::AuthUser> {
    pub url: String,
    pub users: Users<U>,
    pub pool: DbPool,
    pub inbox: Inbox,
    /// A client that follows no redirect and keeps no cookies.
    pub client: reqwest::Client,
}

/// Adds the backends `jwt`, `cookie`, `db` and `dbcookie` to `builder`.
pub fn backends<U: axum_users::AuthUser>(
    builder: axum_users::UsersBuilder<U>,
    knobs: Knobs,
) -> axum_users::UsersBuilder<U> {
    let jwt = JwtStrategy::hs256(SECRET, knobs.access).expect("jwt");
    builder
        .backend(AuthBackend::new(
            "jwt",
            Transport::bearer("auth/jwt/login"),
            Strategy::Jwt(jwt.clone()),
        ))
        .backend(AuthBackend::new(
            "cookie",
            Transport::cookie(CookieSettings {
                max_age: Some(knobs.access),
                ..CookieSettings::default()
            }),
            Strategy::Jwt(jwt),
        ))
        .backend(AuthBackend::new(
            "db",
            Transport::bearer("auth/db/login"),
            Strategy::Database(DatabaseTokens::new(Some(knobs.access))),
        ))
        .backend(AuthBackend::new(
            "dbcookie",
            Transport::cookie(CookieSettings {
                name: DB_COOKIE.into(),
                max_age: Some(knobs.access),
                ..CookieSettings::default()
            }),
            Strategy::Database(DatabaseTokens::new(Some(knobs.access))),
        ))
}

/// The routers as `examples/full` mounts them, plus `/auth/dbcookie`.
pub fn app<U: axum_users::AuthUser>(users: &Users<U>) -> Router {
    async fn hello<U: axum_users::AuthUser>(
        ActiveUser(user): ActiveUser<U>,
    ) -> axum::Json<serde_json::Value> {
        axum::Json(json!({ "message": format!("Hello {}!", user.email()) }))
    }
    Router::new()
        .nest("/auth/jwt", users.auth_router("jwt").expect("jwt router"))
        .nest("/auth/cookie", users.auth_router("cookie").expect("cookie"))
        .nest("/auth/db", users.auth_router("db").expect("db router"))
        .nest(
            "/auth/dbcookie",
            users.auth_router("dbcookie").expect("dbcookie router"),
        )
        .nest("/auth", users.register_router())
        .nest("/auth", users.reset_password_router())
        .nest("/auth", users.verify_router())
        .nest("/users", users.users_router())
        .route("/authenticated-route", get(hello::<U>))
        .fallback(axum_users::routes::not_found)
        .layer(axum_users::routes::json_errors_layer())
        .with_state(users.clone())
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A fresh client keeping no idle connection (racers never share one).
pub fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .expect("client")
}

/// Starts the attacked server of `U` users on `pool` with `knobs`.
pub async fn start_with<U: axum_users::AuthUser<Hooks = MailHooks<Inbox>>>(
    pool: impl Into<DbPool>,
    knobs: Knobs,
) -> Sec<U> {
    let pool = pool.into();
    let inbox = Inbox::default();
    let users = backends(Users::<U>::builder(pool.clone()), knobs)
        .hashing(cheap_hashing())
        .secrets(SECRET)
        .token_lifetimes(knobs.reset, knobs.verify)
        .hooks(MailHooks::new(inbox.clone()))
        .build()
        .expect("users");
    users.migrate().await.expect("migrate");
    let url = serve(app(&users)).await;
    Sec {
        url,
        users,
        pool,
        inbox,
        client: client(),
    }
}

/// Serves an already built `users` (for cases that configure the server themselves, e.g.
/// other keys or a read timeout) whose hooks send to `inbox`.
pub async fn serve_users<U: axum_users::AuthUser>(users: Users<U>, inbox: Inbox) -> Sec<U> {
    users.migrate().await.expect("migrate");
    let url = serve(app(&users)).await;
    Sec {
        url,
        pool: users.pool().clone(),
        users,
        inbox,
        client: client(),
    }
}

/// Starts the attacked server of UUID users with the default knobs.
pub async fn start(pool: impl Into<DbPool>) -> Sec<SecUser> {
    start_with(pool, Knobs::default()).await
}

impl<U: axum_users::AuthUser> Sec<U> {
    /// The absolute URL of `path`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    /// Sends `request`; a 5xx answer fails the test.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let answer = read(request.send().await.expect("request")).await;
        assert!(
            !answer.status.is_server_error(),
            "a 5xx answer: {} {}",
            answer.status,
            answer.raw
        );
        answer
    }

    /// `GET path` with no credential.
    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.client.get(self.at(path))).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(self.client.post(self.at(path)).json(&body)).await
    }

    /// Registers `email` with `password`; asserts 201 and returns the created user's JSON.
    pub async fn register(&self, email: &str, password: &str) -> Value {
        let answer = self
            .post(
                "/auth/register",
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.raw);
        answer.body
    }

    /// Registers `email` with [`PASSWORD`].
    pub async fn user(&self, email: &str) -> Value {
        self.register(email, PASSWORD).await
    }

    /// Creates a superuser `email` with [`PASSWORD`] (as the bootstrap does) and returns a
    /// bearer JWT of theirs.
    pub async fn superuser(&self, email: &str) -> String {
        let fields = json!({"email": email, "password": PASSWORD});
        let Value::Object(fields) = fields else {
            unreachable!()
        };
        self.users
            .create_superuser(fields)
            .await
            .expect("create superuser");
        self.bearer("jwt", email, PASSWORD).await
    }

    /// The login answer of `email`/`password` on backend `backend`.
    pub async fn login(&self, backend: &str, email: &str, password: &str) -> Answer {
        self.send(
            self.client
                .post(self.at(&format!("/auth/{backend}/login")))
                .form(&[("username", email), ("password", password)]),
        )
        .await
    }

    /// A bearer token of `email` from backend `jwt` or `db`.
    pub async fn bearer(&self, backend: &str, email: &str, password: &str) -> String {
        let answer = self.login(backend, email, password).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
        assert_eq!(answer.body["token_type"], "bearer");
        answer.body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// The cookie value a login on the `cookie` or `dbcookie` backend sets.
    pub async fn cookie(&self, backend: &str, email: &str, password: &str) -> String {
        let answer = self.login(backend, email, password).await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.raw);
        answer
            .cookie(cookie_name(backend))
            .expect("the login sets the cookie")
    }

    /// `GET /users/me` with a bearer token.
    pub async fn me_bearer(&self, token: &str) -> Answer {
        self.send(self.client.get(self.at("/users/me")).bearer_auth(token))
            .await
    }

    /// `GET /users/me` with cookie `name` = `value`.
    pub async fn me_cookie(&self, name: &str, value: &str) -> Answer {
        self.send(
            self.client
                .get(self.at("/users/me"))
                .header("cookie", format!("{name}={value}")),
        )
        .await
    }

    /// Asks a reset for `email` (202 `null`) and returns the token mailed to `email` as
    /// stored (the `count`-th reset mail to it).
    pub async fn reset_token(&self, email: &str, count: usize) -> String {
        let answer = self
            .post("/auth/forgot-password", json!({"email": email}))
            .await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.raw);
        self.inbox
            .wait_token(MailKind::ResetPassword, email, count)
            .await
    }

    /// Asks a verification for `email` (202 `null`) and returns the `count`-th verification
    /// token mailed to it.
    pub async fn verify_token(&self, email: &str, count: usize) -> String {
        let answer = self
            .post("/auth/request-verify-token", json!({"email": email}))
            .await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.raw);
        self.inbox.wait_token(MailKind::Verify, email, count).await
    }

    /// The server still answers: `GET /users/me` without a credential is 401.
    pub async fn assert_alive(&self) {
        let answer = self.get("/users/me").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.raw);
        assert_eq!(answer.body, json!({"detail": "Unauthorized"}));
    }

    /// The digests in the `accesstoken` table (grey-box).
    pub async fn token_digests(&self) -> Vec<String> {
        const SQL: &str = "SELECT token_hash FROM accesstoken";
        let rows: Vec<String> = match &self.pool {
            DbPool::Sqlite(p) => sqlx::query_scalar(SQL).fetch_all(p).await,
            DbPool::Postgres(p) => sqlx::query_scalar(SQL).fetch_all(p).await,
            DbPool::MySql(p) => sqlx::query_scalar(SQL).fetch_all(p).await,
            DbPool::MongoDb(db) => {
                use futures_util::TryStreamExt as _;
                let docs: Vec<mongodb::bson::Document> = db
                    .database()
                    .collection("accesstoken")
                    .find(mongodb::bson::doc! {})
                    .await
                    .expect("list tokens")
                    .try_collect()
                    .await
                    .expect("read tokens");
                Ok(docs
                    .iter()
                    .filter_map(|d| d.get_str("_id").ok().map(str::to_owned))
                    .collect())
            }
            #[allow(unreachable_patterns)]
            other => panic!("no test database of this kind: {other:?}"),
        }
        .expect("read accesstoken");
        rows.into_iter().map(|d| d.trim().to_owned()).collect()
    }
}

/// The cookie name of a cookie backend.
pub fn cookie_name(backend: &str) -> &'static str {
    match backend {
        "cookie" => JWT_COOKIE,
        "dbcookie" => DB_COOKIE,
        other => panic!("{other} is not a cookie backend"),
    }
}

/// `{"detail": "Unauthorized"}`.
pub fn unauthorized() -> Value {
    json!({"detail": "Unauthorized"})
}

/// `{"detail": "Forbidden"}`.
pub fn forbidden() -> Value {
    json!({"detail": "Forbidden"})
}

/// `{"detail": code}`.
pub fn detail(code: &str) -> Value {
    json!({ "detail": code })
}

/// A JWT signed with the server's secret (HS256) carrying `claims` ("forged" in
/// security.md: the attacker is assumed to hold what the test configured).
pub fn forge(claims: &Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("encode")
}

/// Now as UNIX seconds.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Binds a loopback listener and counts the connections it gets (for "the listener gets no
/// connection" cases); returns its address and the counter.
pub async fn connection_counter() -> (SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((_socket, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
        }
    });
    (addr, count)
}
