//! P9 of security.md: no password, token, password hash or secret in a log line or an answer.
//!
//! Every flow runs over HTTP with a global subscriber capturing every target at TRACE (sqlx's
//! statement log, the library's events and spans, `log` records through `tracing-log`); then
//! none of the secrets the test used, nor any argon2 hash or JWT, may appear in that text.
//! Every answer (status line aside: headers and body) is checked too, except two places
//! where a secret belongs: the credential a login issues (its body or `Set-Cookie`), and a
//! 422 `input` that echoes the client's own body — the contract (fastapi-users.md §3.3:
//! `missing` reports "the whole body object") echoes it passwords included, as FastAPI does,
//! so those values are allowed in that answer only. Tokens never travel in URLs: every route
//! takes them in the body or the `Authorization`/`Cookie` headers.
//! sqlx logs each statement at DEBUG on `sqlx::query` (SQL text with placeholders; bound
//! values are never logged) and nothing here filters it: the secrets are checked in it too.

mod common;

use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use axum_users::prelude::*;
use common::server::{SECRET, Server, hooked_server};
use common::users::{HookedCreate, HookedUser, RecordingHooks};
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap};
use reqwest::{Method as M, RequestBuilder};
use serde_json::{Value, json};
use tracing_subscriber::fmt::format::FmtSpan;

/// Everything the subscriber wrote, shared by the tests of this binary.
fn captured() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        // `try_init` also routes the `log` crate's records into tracing.
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
            .with_writer(move || Sink(sink.clone()))
            .try_init()
            .expect("the only subscriber of this binary");
        buffer
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One answer: what was asked, its headers and body as text, the secrets it may hold.
struct Seen(String, String, Vec<String>);

/// A JSON (or text) body and the headers of an answer.
type Answer = (Value, HeaderMap);

/// One run of every flow: the server, the answers seen and the secrets used.
struct Run {
    s: Server<HookedUser>,
    hooks: RecordingHooks,
    seen: Vec<Seen>,
    secrets: Vec<(String, String)>,
}

impl Run {
    /// Records `value` as a secret and returns it.
    fn secret(&mut self, label: &str, value: &str) -> String {
        self.secrets.push((label.to_owned(), value.to_owned()));
        value.to_owned()
    }

    fn to(&self, method: M, path: &str) -> RequestBuilder {
        self.s.client.request(method, self.s.at(path))
    }

    /// Sends `request`, asserts its status and records the answer; a 422 may echo `echoed`
    /// (values of its own body), no other answer any secret.
    async fn echo(&mut self, status: u16, request: RequestBuilder, echoed: &[&str]) -> Answer {
        let request = request.build().expect("request");
        let sent = request.body().and_then(|b| b.as_bytes());
        let sent = String::from_utf8_lossy(sent.unwrap_or_default());
        let what = format!("{} {} {sent}", request.method(), request.url().path());
        let response = self.s.client.execute(request).await.expect("send");
        let (got, headers) = (response.status().as_u16(), response.headers().clone());
        let body = response.text().await.expect("body");
        assert_eq!(got, status, "{what}\n{body}");
        let text = format!("{headers:?}\n{body}");
        let echoed = if status == 422 { echoed } else { &[] };
        let allowed = echoed.iter().map(|s| (*s).to_owned()).collect();
        self.seen.push(Seen(what, text, allowed));
        let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
        (body, headers)
    }

    async fn send(&mut self, status: u16, request: RequestBuilder) -> Value {
        self.echo(status, request, &[]).await.0
    }

    async fn post(&mut self, status: u16, path: &str, body: Value) -> Value {
        let request = self.to(M::POST, path).json(&body);
        self.send(status, request).await
    }

    /// Posts `body` as it is, with `content_type`.
    async fn raw(&mut self, status: u16, path: &str, content_type: &str, body: &str) -> Value {
        let request = self.to(M::POST, path);
        let request = request.header(CONTENT_TYPE, content_type);
        self.send(status, request.body(body.to_owned())).await
    }

    /// `method path` with a bearer token and maybe a JSON body.
    async fn bearer(
        &mut self,
        status: u16,
        m: M,
        path: &str,
        t: &str,
        body: Option<Value>,
    ) -> Value {
        let mut request = self.to(m, path).bearer_auth(t);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(status, request).await
    }

    /// Logs in on `backend`; the credential it issues is allowed in that answer only.
    async fn login(&mut self, status: u16, backend: &str, email: &str, pw: &str) -> Option<String> {
        let form = [("username", email), ("password", pw)];
        let request = self.to(M::POST, &format!("/auth/{backend}/login"));
        let (body, headers) = self.echo(status, request.form(&form), &[]).await;
        let credential = match headers.get("set-cookie") {
            Some(cookie) => cookie.to_str().expect("ascii").split(';').next(),
            None => body["access_token"].as_str(),
        };
        let credential = credential?
            .trim_start_matches("fastapiusersauth=")
            .to_owned();
        let last = self.seen.last_mut().expect("seen");
        last.2.push(credential.clone());
        Some(self.secret(&format!("{backend} credential of {email}"), &credential))
    }

    /// Records the stored hash of `email`, as it is now, as a secret.
    async fn hash_of(&mut self, email: &str) -> String {
        let user = self.s.users.get_by_email(email).await;
        let user = user.expect("lookup").expect("user");
        assert!(user.hashed_password.starts_with("$argon2id$"));
        self.secret(&format!("hash of {email}"), &user.hashed_password)
    }

    /// The `n`-th token a hook received (what its mail would carry).
    async fn token(&mut self, hook: &str, n: usize) -> String {
        let token = self.hooks.wait_for(hook, n).await.expect("token");
        self.secret(hook, token.as_str().expect("string"))
    }
}

/// A password the policy refuses (too short) and one the hook refuses.
const SHORT: &str = "Qz7!x";
const COMMON: &str = "Xk-password123-Jw";
const JSON: &str = "application/json";
const TEXT: &str = "text/plain";

async fn every_flow<P: Into<DbPool>>(pool: P) {
    let pool: DbPool = pool.into();
    // sqlx logs every statement; the mongodb crate logs nothing without its tracing feature.
    let sql = pool.dialect().is_some();
    let log = captured();
    let (s, hooks) = hooked_server(pool).await;
    let (seen, secrets) = (Vec::new(), Vec::new());
    let mut r = Run {
        s,
        hooks,
        seen,
        secrets,
    };
    r.secret("JWT, reset and verify secret", SECRET);
    let user_pw = r.secret("user password", "Pw-user-1-Hx7q");
    let wrong = r.secret("wrong password", "Pw-wrong-2-Kd3m");
    let idle_pw = r.secret("inactive user's password", "Pw-inactive-11-Ue3s");
    let gone_pw = r.secret("deleted user's password", "Pw-deleted-12-Wo4k");
    let admin_pw = r.secret("admin password", "Pw-admin-5-Qs6w");
    r.secret("short password", SHORT);
    r.secret("common password", COMMON);
    let long = r.secret("over-long password", &format!("Long-{}", "w".repeat(5000)));

    // Registration, with every refusal.
    for (email, pw) in [("u", &user_pw), ("idle", &idle_pw), ("gone", &gone_pw)] {
        let email = format!("{email}@example.com");
        r.post(
            201,
            "/auth/register",
            json!({"email": email, "password": pw}),
        )
        .await;
        r.hash_of(&email).await;
    }
    let body = json!({"email": "u@example.com", "password": wrong});
    r.post(400, "/auth/register", body).await;
    for refused in [SHORT, COMMON, long.as_str()] {
        let body = json!({"email": "n@example.com", "password": refused});
        let detail = r.post(400, "/auth/register", body).await;
        assert_eq!(detail["detail"]["code"], "REGISTER_INVALID_PASSWORD");
    }
    // The contract echoes the whole body in a `missing` item: the client's own password.
    let echoed = r.secret("password echoed by a 422", "Pw-echoed-9-Gc1v");
    let request = r.to(M::POST, "/auth/register");
    let request = request.json(&json!({"password": echoed}));
    let detail = r.echo(422, request, &[&echoed]).await.0;
    assert_eq!(detail["detail"][0]["input"]["password"], json!(echoed));
    let in_json = r.secret("password in broken JSON", "Pw-in-broken-json-8-Tn5p");
    let body = format!(r#"{{"email": "j@example.com", "password": "{in_json}"}}"#);
    let broken = format!(r#"{} "x"}}"#, &body[..body.len() - 1]);
    let detail = r.raw(422, "/auth/register", JSON, &broken).await;
    assert_eq!(detail["detail"][0]["type"], "json_invalid");
    r.raw(415, "/auth/register", TEXT, &body).await;

    // A superuser, bootstrapped through the manager.
    let create = json!({"email": "admin@example.com", "password": admin_pw, "is_superuser": true});
    let create = HookedCreate::from_json_bytes(create.to_string().as_bytes()).expect("valid");
    let admin = r.s.users.create(&create, true, None).await;
    admin.expect("create superuser");
    r.hash_of("admin@example.com").await;
    let admin = r.login(200, "jwt", "admin@example.com", &admin_pw).await;
    let admin = admin.expect("admin token");

    // Every backend: wrong password, unknown email, login, /users/me and logout.
    for backend in ["jwt", "cookie", "db"] {
        r.login(400, backend, "u@example.com", &wrong).await;
        r.login(400, backend, "nobody@example.com", &wrong).await;
        let status = if backend == "cookie" { 204 } else { 200 };
        let credential = r.login(status, backend, "u@example.com", &user_pw).await;
        let credential = credential.expect("credential");
        let logout = format!("/auth/{backend}/logout");
        let (me, logout) = (r.to(M::GET, "/users/me"), r.to(M::POST, &logout));
        let (me, logout) = if backend == "cookie" {
            let cookie = format!("fastapiusersauth={credential}");
            (me.header(COOKIE, &cookie), logout.header(COOKIE, cookie))
        } else {
            (me.bearer_auth(&credential), logout.bearer_auth(&credential))
        };
        assert_eq!(r.send(200, me).await["email"], "u@example.com");
        r.send(204, logout).await;
    }
    r.login(400, "jwt", "u@example.com", &long).await;
    // A JSON login reads as an empty form: 422 with `input` null, no echo.
    let in_login = r.secret("password in a JSON login", "Pw-json-login-10-Ra2e");
    let body = json!({"username": "u@example.com", "password": in_login});
    r.post(422, "/auth/jwt/login", body).await;
    let multipart = "multipart/form-data; boundary=XYZ";
    let part = "--XYZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n";
    let part = format!("{part}{in_login}\r\n--XY");
    r.raw(400, "/auth/jwt/login", multipart, &part).await;
    // Bad bearer tokens: garbage and a JWT signed with another secret.
    let garbage = r.secret("garbage bearer token", "tok-bogus-13-Ap5d");
    let forger = r.secret("forging secret", "forged-secret-forged-secret-forged");
    let claims = json!({"sub": "1", "aud": ["fastapi-users:auth"], "exp": 4_000_000_000u64});
    let key = jsonwebtoken::EncodingKey::from_secret(forger.as_bytes());
    let forged = jsonwebtoken::encode(&Default::default(), &claims, &key);
    let forged = r.secret("forged JWT", &forged.expect("sign"));
    let (me, hello) = ("/users/me", "/authenticated-route");
    for (token, path) in [(&garbage, me), (&forged, me), (&forged, hello)] {
        r.bearer(401, M::GET, path, token, None).await;
    }

    // PATCH /users/me: a password change with current_password, and its refusals.
    let token = r.login(200, "jwt", "u@example.com", &user_pw).await;
    let token = token.expect("token");
    let bad_current = r.secret("wrong current password", "Pw-badcurrent-4-Yv2n");
    let new_pw = r.secret("changed password", "Pw-user-new-3-Zr8t");
    let beside = r.secret("password beside a bad email", "Pw-bad-email-14-Bq6y");
    let change = |pw: &str, current: &str| json!({"password": pw, "current_password": current});
    let patches = [
        (400, change(&new_pw, &bad_current)),
        (400, change(SHORT, &user_pw)),
        // Only the email is echoed, never the password beside it.
        (422, json!({"password": beside, "email": "bad"})),
        (200, change(&new_pw, &user_pw)),
    ];
    for (status, patch) in patches {
        r.bearer(status, M::PATCH, "/users/me", &token, Some(patch))
            .await;
    }
    let broken = format!(r#"{{"password": "{beside}", "current_password": "{new_pw}""#);
    let request = r.to(M::PATCH, "/users/me").header(CONTENT_TYPE, JSON);
    r.send(422, request.bearer_auth(&token).body(broken)).await;
    r.hash_of("u@example.com").await;
    r.login(400, "jwt", "u@example.com", &user_pw).await;
    let token = r.login(200, "jwt", "u@example.com", &new_pw).await;
    let token = token.expect("token");

    // Superuser routes: read, set a password, deactivate, delete; a non-superuser is refused.
    let mut path = std::collections::HashMap::new();
    for name in ["u", "idle", "gone"] {
        let user = r.s.users.get_by_email(&format!("{name}@example.com")).await;
        let id = user.expect("lookup").expect("user").id;
        path.insert(name, format!("/users/{id}"));
    }
    let admin_set = r.secret("password set by the superuser", "Pw-adminset-6-Lb4c");
    let user = r.bearer(200, M::GET, &path["u"], &admin, None).await;
    assert_eq!(user["email"], "u@example.com");
    for (status, pw) in [(400, SHORT), (200, admin_set.as_str())] {
        let patch = Some(json!({"password": pw}));
        r.bearer(status, M::PATCH, &path["u"], &admin, patch).await;
    }
    r.hash_of("u@example.com").await;
    r.bearer(403, M::GET, &path["idle"], &token, None).await;
    let patch = Some(json!({"is_active": false}));
    r.bearer(200, M::PATCH, &path["idle"], &admin, patch).await;
    r.bearer(204, M::DELETE, &path["gone"], &admin, None).await;
    for pw in [&idle_pw, &wrong] {
        r.login(400, "jwt", "idle@example.com", pw).await;
    }
    r.login(400, "jwt", "gone@example.com", &gone_pw).await;

    // Forgot and reset password: bad token, refused password, wrong content type, broken JSON.
    for email in ["nobody@example.com", "u@example.com"] {
        let body = json!({"email": email});
        r.post(202, "/auth/forgot-password", body).await;
    }
    let reset = r.token("forgot_password", 1).await;
    let reset_pw = r.secret("password set by reset", "Pw-reset-7-Mf9j");
    let bogus = r.secret("bogus reset token", "reset-bogus-15-Cx7f");
    let body = format!(r#"{{"token": "{reset}", "password": "{reset_pw}"}}"#);
    r.raw(415, "/auth/reset-password", TEXT, &body).await;
    let broken = &body[..body.len() - 1];
    r.raw(422, "/auth/reset-password", JSON, broken).await;
    let attempts = [
        (400, json!({"token": bogus, "password": reset_pw})),
        (400, json!({"token": reset, "password": SHORT})),
        (200, json!({"token": reset, "password": reset_pw})),
        (400, json!({"token": reset, "password": reset_pw})),
    ];
    for (status, attempt) in attempts {
        r.post(status, "/auth/reset-password", attempt).await;
    }
    r.hash_of("u@example.com").await;
    r.login(200, "db", "u@example.com", &reset_pw).await;

    // Request a verification token and verify: bad token, wrong content type, broken JSON.
    for email in ["nobody@example.com", "u@example.com"] {
        let body = json!({"email": email});
        r.post(202, "/auth/request-verify-token", body).await;
    }
    let verify = r.token("request_verify", 1).await;
    let bogus = r.secret("bogus verify token", "verify-bogus-16-Dz8g");
    let body = format!(r#"{{"token": "{verify}"}}"#);
    r.raw(415, "/auth/verify", TEXT, &body).await;
    let broken = &body[..body.len() - 1];
    r.raw(422, "/auth/verify", JSON, broken).await;
    r.post(400, "/auth/verify", json!({"token": bogus})).await;
    let user = r.post(200, "/auth/verify", json!({"token": verify})).await;
    assert_eq!(user["is_verified"], true);
    r.post(400, "/auth/verify", json!({"token": verify})).await;
    let done = r.s.users.wait_for_hooks(std::time::Duration::from_secs(5));
    assert!(done.await, "hooks finished");

    // The capture works: sqlx's statement log, a library span and a library event are in it.
    let log = String::from_utf8(log.lock().expect("log").clone()).expect("utf-8 log");
    let expected = ["sqlx::query", "users.create", "user extractor refused"];
    for expected in expected.into_iter().filter(|e| sql || *e != "sqlx::query") {
        assert!(log.contains(expected), "the log lacks {expected:?}");
    }
    for pattern in ["$argon2", "eyJ", "panicked", "backtrace"] {
        assert!(!log.contains(pattern), "{pattern:?} is in the log");
    }
    let patterns = ["SELECT", "INSERT", "DELETE", "$argon2", "panicked"];
    for (seen, pattern) in r.seen.iter().flat_map(|s| patterns.map(|p| (s, p))) {
        let Seen(what, text, _) = seen;
        assert!(!text.contains(pattern), "{pattern:?} answers {what}");
    }
    // Debug output of the configured value is log material too.
    let debug = format!("{:?} {:?}", r.s.users, r.s.users.hasher());
    assert!(
        !debug.contains("$argon2"),
        "the dummy hash is in Debug of the hasher"
    );
    for (label, secret) in &r.secrets {
        for seen in r.seen.iter().filter(|seen| !seen.2.contains(secret)) {
            let Seen(what, text, _) = seen;
            assert!(!text.contains(secret), "{label} answers {what}:\n{text}");
        }
        let secret = secret.as_str();
        assert!(!log.contains(secret), "{label} is in the log");
        assert!(!debug.contains(secret), "{label} is in Debug of Users");
    }
}

on_every_database! {
    no_secret_in_logs_or_answers => every_flow;
}
