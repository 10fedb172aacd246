//! The HTTP surface: SEC-COOKIE-*, SEC-CSRF-*, SEC-AUTHZ-*, SEC-INPUT-*, SEC-OPS-*.
//!
//! The rows of security.md §4.3 (cookies), §4.4 (CSRF), §4.9 (authorization and mass
//! assignment), §4.10 (input, size limits, hashing cost) and §4.14 (headers, secrets; SEC-OPS-02
//! lives in `faults.rs`), each as a black-box test over loopback HTTP against the attacked server
//! of `security/harness.rs`, on every database, with the expectations of the compat profile (the
//! only one built). Requests the HTTP client will not write (a declared length the body never
//! reaches, a body trickled byte by byte, a 100 KB header) go over a raw TCP socket. SEC-OPS-03
//! starts the real `examples/full` binary, once, on SQLite.

mod common;
#[path = "security/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use axum_users::DbPool;
use axum_users::mail::MailHooks;
use axum_users::password::HashingConfig;
use axum_users::prelude::*;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use harness::{
    Answer, DB_COOKIE, Inbox, JWT_COOKIE, Knobs, PASSWORD, Sec, SecIntUser, SecUser, cookie_name,
    detail, forbidden, unauthorized,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::server::{SECRET, cheap_hashing};

/// The hostile page's origin.
const EVIL: &str = "https://evil.example";

/// The two cookie backends.
const COOKIE_BACKENDS: [&str; 2] = ["cookie", "dbcookie"];

/// Every auth backend of the harness.
const BACKENDS: [&str; 4] = ["jwt", "cookie", "db", "dbcookie"];

/// `{"detail":"Method Not Allowed"}`.
fn not_allowed() -> Value {
    detail("Method Not Allowed")
}

/// The value of header `name`, if any.
fn header(answer: &Answer, name: &str) -> Option<String> {
    answer
        .headers
        .get(name)
        .map(|v| v.to_str().expect("ascii header").to_owned())
}

/// Asserts `answer` is a JSON error `status` with body `body`.
fn assert_json_error(answer: &Answer, status: StatusCode, body: &Value, what: &str) {
    assert_eq!(answer.status, status, "{what}: {}", answer.raw);
    assert_eq!(&answer.body, body, "{what}");
    let ct = header(answer, "content-type").unwrap_or_default();
    assert!(ct.starts_with("application/json"), "{what}: type {ct:?}");
}

/// `GET /users/me` with a bearer token; asserts 200 and returns the user.
async fn me<U: axum_users::AuthUser>(s: &Sec<U>, token: &str) -> Value {
    let answer = s.me_bearer(token).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
    answer.body
}

/// `GET /users/{id}` as the superuser holding `admin`.
async fn get_user<U: axum_users::AuthUser>(s: &Sec<U>, admin: &str, id: &Value) -> Answer {
    s.send(
        s.client
            .get(s.at(&format!("/users/{}", id_text(id))))
            .bearer_auth(admin),
    )
    .await
}

/// A user id of a JSON body as it goes in a path.
fn id_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Asserts that `email`/`password` logs in on the bearer JWT backend (or not).
async fn assert_login<U: axum_users::AuthUser>(
    s: &Sec<U>,
    email: &str,
    password: &str,
    works: bool,
) {
    let answer = s.login("jwt", email, password).await;
    if works {
        assert_eq!(answer.status, StatusCode::OK, "{email}: {}", answer.raw);
    } else {
        assert_json_error(
            &answer,
            StatusCode::BAD_REQUEST,
            &detail("LOGIN_BAD_CREDENTIALS"),
            &format!("login of {email}"),
        );
    }
}

/// `PATCH path` with a bearer token and a JSON body.
async fn patch_bearer<U: axum_users::AuthUser>(
    s: &Sec<U>,
    path: &str,
    token: &str,
    body: Value,
) -> Answer {
    s.send(s.client.patch(s.at(path)).bearer_auth(token).json(&body))
        .await
}

/// A request of the attacked server carrying cookie `jar` and, when given, the browser's
/// `Origin` and `Sec-Fetch-Site`.
fn browser<U: axum_users::AuthUser>(
    s: &Sec<U>,
    method: Method,
    path: &str,
    jar: &str,
    origin: Option<&str>,
    site: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut request = s.client.request(method, s.at(path));
    if !jar.is_empty() {
        request = request.header("cookie", jar);
    }
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    if let Some(site) = site {
        request = request.header("sec-fetch-site", site);
    }
    request
}

/// The cross-site variants a hostile page can produce: its own `Origin`, none at all, and
/// the header in another letter case.
const CROSS_SITE: [(Option<&str>, &str); 3] = [
    (Some(EVIL), "cross-site"),
    (None, "cross-site"),
    (Some(EVIL), "Cross-Site"),
];

/// A JWT whose payload got `sub` = `sub` by hand, the signature kept.
fn with_sub(token: &str, sub: Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT: {token}");
    let payload = URL_SAFE_NO_PAD.decode(parts[1]).expect("base64url payload");
    let mut claims: Value = serde_json::from_slice(&payload).expect("JSON claims");
    claims["sub"] = sub;
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("encode"));
    format!("{}.{payload}.{}", parts[0], parts[2])
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP/1.1 over a socket, for requests an HTTP client will not write.

/// One answer read off a raw socket.
#[derive(Debug)]
struct Raw {
    /// The status; 0 when the connection closed without an answer.
    status: u16,
    /// The status line and headers.
    head: String,
    /// The body (as much as arrived).
    body: String,
}

impl Raw {
    /// The value of header `name` (case-insensitive), if any.
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }

    /// Whether this is a JSON error `status` with body `body`.
    fn assert_json(&self, status: u16, body: &Value, what: &str) {
        assert_eq!(self.status, status, "{what}: {self:?}");
        let ct = self.header("content-type").unwrap_or_default();
        assert!(ct.starts_with("application/json"), "{what}: {self:?}");
        let parsed: Value = serde_json::from_str(&self.body).expect("a JSON body");
        assert_eq!(&parsed, body, "{what}");
    }
}

/// Writes `head` (request line and headers, blank line included), then `body` from a task
/// (one byte per `pace` when given), and reads one answer. Write errors are ignored: the
/// server may answer and close before the body is sent, which is the point.
async fn raw_exchange(url: &str, head: String, body: Vec<u8>, pace: Option<Duration>) -> Raw {
    let addr = url.trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let write = tokio::spawn(async move {
        if writer.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        match pace {
            None => {
                for chunk in body.chunks(64 * 1024) {
                    if writer.write_all(chunk).await.is_err() {
                        return;
                    }
                }
            }
            Some(pace) => {
                for byte in body {
                    tokio::time::sleep(pace).await;
                    if writer.write_all(&[byte]).await.is_err() {
                        return;
                    }
                }
            }
        }
        // Keep the connection open (no FIN) until the answer is read.
        std::future::pending::<()>().await;
    });
    // A guard against a hung test, not a timing assertion.
    let answer = tokio::time::timeout(Duration::from_secs(60), read_answer(&mut reader))
        .await
        .expect("an answer within 60 s");
    write.abort();
    answer
}

/// Reads one HTTP/1.1 answer: the head, then `Content-Length` bytes (or up to the close).
async fn read_answer(reader: &mut tokio::net::tcp::OwnedReadHalf) -> Raw {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => {
                return Raw {
                    status: 0,
                    head: String::from_utf8_lossy(&buf).into_owned(),
                    body: String::new(),
                };
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let mut raw = Raw {
        status,
        head,
        body: String::new(),
    };
    let length: Option<usize> = raw.header("content-length").and_then(|v| v.parse().ok());
    let mut body = buf[head_end..].to_vec();
    while length.is_none_or(|n| body.len() < n) {
        match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    raw.body = String::from_utf8_lossy(&body).into_owned();
    raw
}

/// A request head with `headers` (each ending in CRLF) and `Connection: close`.
fn raw_head(method: &str, path: &str, headers: &str) -> String {
    format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n")
}

/// `body` in chunked transfer encoding, 64 KiB a chunk.
fn chunked(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / 1000 + 16);
    for piece in body.chunks(64 * 1024) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

// ---------------------------------------------------------------------------------------------
// SEC-COOKIE

/// SEC-COOKIE-01: a cookie login answers 204 with an empty body and exactly one
/// `Set-Cookie: <name>=<value>; HttpOnly; Max-Age=3600; Path=/; SameSite=lax; Secure` (no
/// `Domain`, name plus value within 4096 bytes, compat name without `__Host-`); logout clears
/// it with the same attributes; no other answer sets a cookie.
async fn cookie_login<P: Into<DbPool>>(pool: P) {
    let s = harness::start(pool).await;
    s.user("victim@example.com").await;
    for backend in COOKIE_BACKENDS {
        let name = cookie_name(backend);
        assert!(!name.starts_with("__Host-"), "compat cookie name {name}");
        let answer = s.login(backend, "victim@example.com", PASSWORD).await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.raw);
        assert_eq!(answer.raw, "", "{backend}: a 204 has no body");
        assert_eq!(header(&answer, "content-type"), None, "{backend}");
        let cookies = answer.set_cookies();
        assert_eq!(
            cookies.len(),
            1,
            "{backend}: exactly one cookie: {cookies:?}"
        );
        let value = answer.cookie(name).expect("the login cookie");
        assert!(!value.is_empty());
        assert!(
            name.len() + 1 + value.len() <= 4096,
            "{backend}: cookie of {} bytes",
            name.len() + value.len()
        );
        assert_eq!(
            cookies[0],
            format!("{name}={value}; HttpOnly; Max-Age=3600; Path=/; SameSite=lax; Secure"),
            "{backend}: the P6 attributes, no Domain"
        );
        assert!(!cookies[0].to_ascii_lowercase().contains("domain"));
        assert!(!cookies[0].to_ascii_lowercase().contains("expires"));
        // The cookie is the credential.
        let me = s.me_cookie(name, &value).await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.raw);
        assert!(me.set_cookies().is_empty(), "{backend}: GET /users/me");
        // Logout clears it with the same attributes.
        let logout = s
            .send(
                s.client
                    .post(s.at(&format!("/auth/{backend}/logout")))
                    .header("cookie", format!("{name}={value}")),
            )
            .await;
        assert_eq!(logout.status, StatusCode::NO_CONTENT, "{}", logout.raw);
        assert_eq!(logout.raw, "");
        assert_eq!(
            logout.set_cookies(),
            vec![format!(
                "{name}=\"\"; HttpOnly; Max-Age=0; Path=/; SameSite=lax; Secure"
            )],
            "{backend}: the clearing cookie"
        );
        // A failed login sets nothing.
        let failed = s
            .login(backend, "victim@example.com", "wrong-password")
            .await;
        assert_json_error(
            &failed,
            StatusCode::BAD_REQUEST,
            &detail("LOGIN_BAD_CREDENTIALS"),
            backend,
        );
        assert!(failed.set_cookies().is_empty(), "{backend}: failed login");
    }
    // Bearer logins and registration set no cookie either.
    for backend in ["jwt", "db"] {
        let answer = s.login(backend, "victim@example.com", PASSWORD).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
        assert!(answer.set_cookies().is_empty(), "{backend} login");
    }
    let answer = s
        .post(
            "/auth/register",
            json!({"email": "other@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.raw);
    assert!(answer.set_cookies().is_empty(), "register");
    s.assert_alive().await;
}

/// SEC-COOKIE-02: a `username` (or `password`) holding `;`, an encoded `%0d%0aSet-Cookie:`,
/// or raw CR/LF gets 400 or 422, never an injected header, and at most one `Set-Cookie`.
async fn cookie_header_injection<P: Into<DbPool>>(pool: P) {
    let s = harness::start(pool).await;
    s.user("victim@example.com").await;
    let usernames = [
        "victim@example.com;x=y",
        "victim@example.com; Domain=evil.example",
        "victim@example.com%0d%0aSet-Cookie:x=y",
        "victim@example.com\r\nSet-Cookie: x=y",
        "victim@example.com\nSet-Cookie: x=y",
        "victim@example.com\rSet-Cookie: x=y",
    ];
    let check = |answer: &Answer, what: &str| {
        assert!(
            answer.status == StatusCode::BAD_REQUEST
                || answer.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {} {}",
            answer.status,
            answer.raw
        );
        assert!(answer.set_cookies().len() <= 1, "{what}");
        assert!(answer.set_cookies().is_empty(), "{what}: a failed login");
        assert!(answer.headers.get("x").is_none(), "{what}: injected header");
        for value in answer.headers.values() {
            let value = value.to_str().unwrap_or_default();
            assert!(!value.contains("x=y"), "{what}: {value}");
        }
    };
    for backend in COOKIE_BACKENDS {
        for username in usernames {
            // Form-encoded by the client.
            let answer = s.login(backend, username, PASSWORD).await;
            check(&answer, &format!("{backend} username {username:?}"));
            let answer = s.login(backend, "victim@example.com", username).await;
            check(&answer, &format!("{backend} password {username:?}"));
        }
        // Written by hand: percent escapes decoding to CR LF, and raw CR LF in the body.
        for body in [
            format!("username=victim%40example.com%0d%0aSet-Cookie:x=y&password={PASSWORD}"),
            format!("username=victim%40example.com;x=y&password={PASSWORD}"),
            format!("username=victim@example.com\r\nSet-Cookie: x=y&password={PASSWORD}"),
        ] {
            let answer = s
                .send(
                    s.client
                        .post(s.at(&format!("/auth/{backend}/login")))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(body.clone()),
                )
                .await;
            check(&answer, &format!("{backend} raw {body:?}"));
        }
        // The real login still sets one cookie.
        let answer = s.login(backend, "victim@example.com", PASSWORD).await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.raw);
        assert_eq!(answer.set_cookies().len(), 1);
    }
    s.assert_alive().await;
}

// ---------------------------------------------------------------------------------------------
// SEC-CSRF

/// SEC-CSRF-01 (compat): writes riding the victim's cookie with `Sec-Fetch-Site: cross-site`
/// (a hostile `Origin`, or none) get 403 and change nothing: `PATCH /users/me`, a superuser's
/// `PATCH` and `DELETE /users/{id}`, cookie logout. `same-site` passes in compat; the own
/// origin passes.
async fn csrf_cross_site_writes<P: Into<DbPool>>(pool: P) {
    let s = harness::start(pool).await;
    let admin_bearer = s.superuser("admin@example.com").await;
    for backend in COOKIE_BACKENDS {
        let name = cookie_name(backend);
        let email = format!("victim-{backend}@example.com");
        s.user(&email).await;
        let bearer = s.bearer("jwt", &email, PASSWORD).await;
        let before = me(&s, &bearer).await;
        let cookie = s.cookie(backend, &email, PASSWORD).await;
        let jar = format!("{name}={cookie}");

        // Cross-site: 403, nothing changes.
        for (origin, site) in CROSS_SITE {
            for body in [
                json!({"email": "stolen@evil.example"}),
                json!({"password": "attacker-password"}),
                json!({"is_superuser": true}),
            ] {
                let request = browser(&s, Method::PATCH, "/users/me", &jar, origin, Some(site));
                let answer = s.send(request.json(&body)).await;
                let what = format!("{backend} PATCH /users/me {origin:?} {site} {body}");
                assert_json_error(&answer, StatusCode::FORBIDDEN, &forbidden(), &what);
                assert!(answer.set_cookies().is_empty(), "{what}");
            }
        }
        assert_eq!(me(&s, &bearer).await, before, "{backend}: user unchanged");
        assert_login(&s, &email, PASSWORD, true).await;
        assert_login(&s, &email, "attacker-password", false).await;

        // Compat lets same-site through (the hardened profile would refuse it).
        let changed = format!("same-site-{backend}@example.com");
        let request = browser(
            &s,
            Method::PATCH,
            "/users/me",
            &jar,
            Some(EVIL),
            Some("same-site"),
        );
        let answer = s.send(request.json(&json!({"email": changed}))).await;
        assert_eq!(answer.status, StatusCode::OK, "{backend}: {}", answer.raw);
        assert_eq!(answer.body["email"], changed.as_str());
        // The own origin passes.
        let own = s.url.clone();
        let request = browser(
            &s,
            Method::PATCH,
            "/users/me",
            &jar,
            Some(&own),
            Some("same-origin"),
        );
        let answer = s.send(request.json(&json!({"email": email}))).await;
        assert_eq!(answer.status, StatusCode::OK, "{backend}: {}", answer.raw);
        assert_eq!(answer.body, before, "{backend}: back to the original");

        // A superuser's cookie: PATCH and DELETE /users/{id} cross-site are refused.
        let target = s.user(&format!("target-{backend}@example.com")).await;
        let path = format!("/users/{}", id_text(&target["id"]));
        let admin_cookie = s.cookie(backend, "admin@example.com", PASSWORD).await;
        let admin_jar = format!("{name}={admin_cookie}");
        for (origin, site) in CROSS_SITE {
            let request = browser(&s, Method::PATCH, &path, &admin_jar, origin, Some(site));
            let answer = s
                .send(request.json(&json!({"is_superuser": true, "email": "x@evil.example"})))
                .await;
            let what = format!("{backend} superuser PATCH {origin:?} {site}");
            assert_json_error(&answer, StatusCode::FORBIDDEN, &forbidden(), &what);
            let request = browser(&s, Method::DELETE, &path, &admin_jar, origin, Some(site));
            let answer = s.send(request).await;
            let what = format!("{backend} superuser DELETE {origin:?} {site}");
            assert_json_error(&answer, StatusCode::FORBIDDEN, &forbidden(), &what);
        }
        let now = get_user(&s, &admin_bearer, &target["id"]).await;
        assert_eq!(now.status, StatusCode::OK, "{}", now.raw);
        assert_eq!(now.body, target, "{backend}: target unchanged");
        // From the own origin the superuser's writes pass.
        let request = browser(
            &s,
            Method::PATCH,
            &path,
            &admin_jar,
            Some(&own),
            Some("same-origin"),
        );
        let answer = s.send(request.json(&json!({"is_verified": true}))).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
        assert_eq!(answer.body["is_verified"], true);
        let request = browser(
            &s,
            Method::DELETE,
            &path,
            &admin_jar,
            Some(&own),
            Some("same-origin"),
        );
        let answer = s.send(request).await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.raw);
        let gone = get_user(&s, &admin_bearer, &target["id"]).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.raw);

        // Cookie logout cross-site: 403, no Set-Cookie, the cookie still works.
        let logout = format!("/auth/{backend}/logout");
        for (origin, site) in CROSS_SITE {
            let answer = s
                .send(browser(&s, Method::POST, &logout, &jar, origin, Some(site)))
                .await;
            let what = format!("{backend} logout {origin:?} {site}");
            assert_json_error(&answer, StatusCode::FORBIDDEN, &forbidden(), &what);
            assert!(answer.set_cookies().is_empty(), "{what}");
        }
        let still = s.me_cookie(name, &cookie).await;
        assert_eq!(still.status, StatusCode::OK, "{backend}: {}", still.raw);
        let answer = s
            .send(browser(
                &s,
                Method::POST,
                &logout,
                &jar,
                Some(&own),
                Some("same-origin"),
            ))
            .await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.raw);
        assert_eq!(answer.set_cookies().len(), 1);
    }
    s.assert_alive().await;
}

/// SEC-CSRF-02: login CSRF, a hostile page posting the attacker's credentials to the cookie
/// login (`Origin: https://evil.example` or none, `Sec-Fetch-Site: cross-site`): 403, no
/// `Set-Cookie`, no database token stored.
async fn csrf_login<P: Into<DbPool>>(pool: P) {
    let s = harness::start(pool).await;
    s.user("attacker@example.com").await;
    for backend in COOKIE_BACKENDS {
        let path = format!("/auth/{backend}/login");
        for (origin, site) in CROSS_SITE {
            let form = [("username", "attacker@example.com"), ("password", PASSWORD)];
            let request = browser(&s, Method::POST, &path, "", origin, Some(site)).form(&form);
            let answer = s.send(request).await;
            let what = format!("{backend} login {origin:?} {site}");
            assert_json_error(&answer, StatusCode::FORBIDDEN, &forbidden(), &what);
            assert!(answer.set_cookies().is_empty(), "{what}: {answer:?}");
        }
    }
    assert!(
        s.token_digests().await.is_empty(),
        "a refused login stored no database token"
    );
    // The credentials themselves are good.
    for backend in COOKIE_BACKENDS {
        s.cookie(backend, "attacker@example.com", PASSWORD).await;
    }
    assert_eq!(s.token_digests().await.len(), 1);
    s.assert_alive().await;
}

/// SEC-CSRF-03: GET and HEAD with the parameters in the query, to verify, reset-password,
/// forgot-password, request-verify-token, register and every logout: 405 and nothing changes
/// (no mail, user unverified, password and tokens unchanged, no `Set-Cookie`); the tokens
/// still work through POST afterwards.
async fn csrf_safe_methods<P: Into<DbPool>>(pool: P) {
    let s = harness::start(pool).await;
    let email = "victim@example.com";
    let registered = s.user(email).await;
    let jwt = s.bearer("jwt", email, PASSWORD).await;
    let db = s.bearer("db", email, PASSWORD).await;
    let jwt_cookie = s.cookie("cookie", email, PASSWORD).await;
    let db_cookie = s.cookie("dbcookie", email, PASSWORD).await;
    let verify = s.verify_token(email, 1).await;
    let reset = s.reset_token(email, 1).await;
    let mails = s.inbox.all().len();
    let new_password = "a-new-password-from-query";
    let routes: Vec<(String, Option<String>, Option<String>)> = vec![
        (format!("/auth/verify?token={verify}"), None, None),
        (
            format!("/auth/reset-password?token={reset}&password={new_password}"),
            None,
            None,
        ),
        (format!("/auth/forgot-password?email={email}"), None, None),
        (
            format!("/auth/request-verify-token?email={email}"),
            None,
            None,
        ),
        (
            format!("/auth/register?email=new%40example.com&password={PASSWORD}"),
            None,
            None,
        ),
        ("/auth/jwt/logout?token=x".into(), Some(jwt.clone()), None),
        ("/auth/db/logout?token=x".into(), Some(db.clone()), None),
        (
            "/auth/cookie/logout?token=x".into(),
            None,
            Some(format!("{JWT_COOKIE}={jwt_cookie}")),
        ),
        (
            "/auth/dbcookie/logout?token=x".into(),
            None,
            Some(format!("{DB_COOKIE}={db_cookie}")),
        ),
    ];
    for (path, bearer, jar) in &routes {
        for method in [Method::GET, Method::HEAD] {
            let mut request = s.client.request(method.clone(), s.at(path));
            if let Some(token) = bearer {
                request = request.bearer_auth(token);
            }
            if let Some(jar) = jar {
                request = request.header("cookie", jar);
            }
            let answer = s.send(request).await;
            let what = format!("{method} {path}");
            assert_eq!(
                answer.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{what}: {}",
                answer.raw
            );
            if method == Method::GET {
                assert_json_error(
                    &answer,
                    StatusCode::METHOD_NOT_ALLOWED,
                    &not_allowed(),
                    &what,
                );
            } else {
                assert_eq!(answer.raw, "", "{what}: HEAD has no body");
            }
            let allow = header(&answer, "allow").unwrap_or_default();
            assert!(allow.contains("POST"), "{what}: Allow {allow:?}");
            assert!(answer.set_cookies().is_empty(), "{what}");
        }
    }
    // Nothing changed.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(s.inbox.all().len(), mails, "no mail was sent");
    assert_eq!(me(&s, &jwt).await, registered, "still unverified");
    assert_eq!(me(&s, &db).await, registered, "the database token lives");
    let answer = s.me_cookie(DB_COOKIE, &db_cookie).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
    assert_login(&s, email, PASSWORD, true).await;
    assert_login(&s, email, new_password, false).await;
    assert_login(&s, "new@example.com", PASSWORD, false).await;
    // The tokens were not used up.
    let answer = s.post("/auth/verify", json!({"token": verify})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
    assert_eq!(answer.body["is_verified"], true);
    let answer = s
        .post(
            "/auth/reset-password",
            json!({"token": reset, "password": new_password}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
    assert_login(&s, email, new_password, true).await;
    s.assert_alive().await;
}

// ---------------------------------------------------------------------------------------------
// SEC-AUTHZ

/// SEC-AUTHZ-01: registration ignores `is_superuser`, `is_active`, `is_verified`, `id`,
/// `hashed_password`, `created_at`, `oauth_accounts`: 201, an ordinary active unverified user
/// with a server-chosen id; the password logs in, the one behind the supplied hash does not.
/// (`PATCH /users/me` ignores the same keys.)
async fn authz_register_mass_assignment<P: Into<DbPool>>(pool: P) {
    let s = harness::start(pool).await;
    let admin = s.superuser("admin@example.com").await;
    let chosen_id = uuid::Uuid::new_v4().to_string();
    let supplied_password = "the-hash-password";
    let supplied_hash = bcrypt::hash(supplied_password, 4).expect("bcrypt");
    let body = json!({
        "email": "mallory@example.com",
        "password": PASSWORD,
        "is_superuser": true,
        "is_active": false,
        "is_verified": true,
        "id": chosen_id,
        "hashed_password": supplied_hash,
        "email_key": "admin@example.com",
        "created_at": "2000-01-01T00:00:00Z",
        "updated_at": "2000-01-01T00:00:00Z",
        "oauth_accounts": [{"oauth_name": "github", "account_id": "1", "account_email": "admin@example.com"}],
    });
    let answer = s.post("/auth/register", body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.raw);
    let created = answer.body;
    let keys: Vec<&str> = created
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        ["email", "id", "is_active", "is_superuser", "is_verified"]
    );
    assert_eq!(created["email"], "mallory@example.com");
    assert_eq!(created["is_active"], true);
    assert_eq!(created["is_superuser"], false);
    assert_eq!(created["is_verified"], false);
    assert_ne!(created["id"], chosen_id.as_str(), "the server chose the id");
    assert!(
        created["id"]
            .as_str()
            .is_some_and(|id| id.parse::<uuid::Uuid>().is_ok())
    );
    let chosen = get_user(&s, &admin, &json!(chosen_id)).await;
    assert_eq!(chosen.status, StatusCode::NOT_FOUND, "{}", chosen.raw);
    assert_login(&s, "mallory@example.com", supplied_password, false).await;
    let token = s.bearer("jwt", "mallory@example.com", PASSWORD).await;
    assert_eq!(me(&s, &token).await, created);
    // An ordinary user: /users/{id} is closed to them.
    let answer = get_user(&s, &token, &created["id"]).await;
    assert_json_error(
        &answer,
        StatusCode::FORBIDDEN,
        &forbidden(),
        "GET /users/{id}",
    );
    // The same keys on PATCH /users/me are ignored too.
    let answer = patch_bearer(
        &s,
        "/users/me",
        &token,
        json!({
            "is_superuser": true,
            "is_active": false,
            "is_verified": true,
            "id": chosen_id,
            "hashed_password": supplied_hash,
            "created_at": "2000-01-01T00:00:00Z",
        }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
    assert_eq!(answer.body, created);
    assert_eq!(me(&s, &token).await, created);
    assert_login(&s, "mallory@example.com", supplied_password, false).await;
    assert_login(&s, "mallory@example.com", PASSWORD, true).await;
    s.assert_alive().await;
}

/// SEC-AUTHZ-02: `POST /users/me` (and a superuser's `POST /users/{id}`) with
/// `X-HTTP-Method-Override`, `X-Method-Override`, `X-HTTP-Method` or `?_method=`: 405 JSON,
/// no change.
async fn authz_method_override<P: Into<DbPool>>(pool: P) {
    let s = harness::start(pool).await;
    let admin = s.superuser("admin@example.com").await;
    let user = s.user("victim@example.com").await;
    let token = s.bearer("jwt", "victim@example.com", PASSWORD).await;
    let user_path = format!("/users/{}", id_text(&user["id"]));
    let overrides = [
        ("x-http-method-override", "DELETE"),
        ("x-http-method-override", "PATCH"),
        ("x-method-override", "PATCH"),
        ("x-method-override", "DELETE"),
        ("x-http-method", "DELETE"),
    ];
    let change = json!({"email": "changed@example.com", "is_superuser": true});
    for (path, bearer) in [("/users/me", &token), (user_path.as_str(), &admin)] {
        for (name, method) in overrides {
            let request = s
                .client
                .post(s.at(path))
                .bearer_auth(bearer)
                .header(name, method)
                .json(&change);
            let answer = s.send(request).await;
            let what = format!("POST {path} {name}: {method}");
            assert_json_error(
                &answer,
                StatusCode::METHOD_NOT_ALLOWED,
                &not_allowed(),
                &what,
            );
        }
        for method in ["DELETE", "PATCH", "delete"] {
            let request = s
                .client
                .post(s.at(&format!("{path}?_method={method}")))
                .bearer_auth(bearer)
                .json(&change);
            let answer = s.send(request).await;
            let what = format!("POST {path}?_method={method}");
            assert_json_error(
                &answer,
                StatusCode::METHOD_NOT_ALLOWED,
                &not_allowed(),
                &what,
            );
        }
    }
    assert_eq!(me(&s, &token).await, user, "unchanged");
    let answer = get_user(&s, &admin, &user["id"]).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
    assert_eq!(answer.body, user);
    s.assert_alive().await;
}

/// SEC-AUTHZ-03: with integer ids, an ordinary user asking `/users/1` … `/users/50` (and the
/// same ids written otherwise) gets 403 each, identical answers, whether the id exists or
/// not; a reset or verify token whose `sub` was edited by hand is a 400 and changes nobody.
async fn authz_integer_ids<P: Into<DbPool>>(pool: P) {
    let s = harness::start_with::<SecIntUser>(pool, Knobs::default()).await;
    let admin = s.superuser("admin@example.com").await;
    let alice = s.user("alice@example.com").await;
    let bob = s.user("bob@example.com").await;
    let token = s.bearer("jwt", "alice@example.com", PASSWORD).await;
    let alice_id = alice["id"].as_i64().expect("integer id");
    let bob_id = bob["id"].as_i64().expect("integer id");
    let mut first: Option<(StatusCode, String, Option<String>)> = None;
    let mut paths: Vec<String> = (1..=50).map(|i| format!("/users/{i}")).collect();
    paths.extend(
        [
            "+1",
            "01",
            "-1",
            "0",
            "1.0",
            "1e0",
            "%201",
            "0x1",
            "abc",
            "99999999999999999999",
        ]
        .map(|id| format!("/users/{id}")),
    );
    for path in &paths {
        for method in [Method::GET, Method::PATCH, Method::DELETE] {
            let mut request = s
                .client
                .request(method.clone(), s.at(path))
                .bearer_auth(&token);
            if method == Method::PATCH {
                request = request.json(&json!({"is_superuser": true}));
            }
            let answer = s.send(request).await;
            let what = format!("{method} {path}");
            assert_json_error(&answer, StatusCode::FORBIDDEN, &forbidden(), &what);
            let seen = (
                answer.status,
                answer.raw.clone(),
                header(&answer, "content-length"),
            );
            match &first {
                None => first = Some(seen),
                Some(first) => assert_eq!(first, &seen, "{what}: identical answers"),
            }
        }
    }
    assert_eq!(me(&s, &token).await, alice, "alice unchanged");
    let answer = get_user(&s, &admin, &bob["id"]).await;
    assert_eq!(answer.body, bob, "bob unchanged");

    // A reset token of alice with bob's id in `sub`, signature kept.
    let reset = s.reset_token("alice@example.com", 1).await;
    for sub in [
        json!(bob_id.to_string()),
        json!(bob_id),
        json!(format!("{bob_id} ")),
    ] {
        let forged = with_sub(&reset, sub.clone());
        let answer = s
            .post(
                "/auth/reset-password",
                json!({"token": forged, "password": "bobs-new-password"}),
            )
            .await;
        let what = format!("reset with sub {sub}");
        assert_json_error(
            &answer,
            StatusCode::BAD_REQUEST,
            &detail("RESET_PASSWORD_BAD_TOKEN"),
            &what,
        );
    }
    assert_login(&s, "bob@example.com", PASSWORD, true).await;
    assert_login(&s, "bob@example.com", "bobs-new-password", false).await;
    assert_login(&s, "alice@example.com", PASSWORD, true).await;
    // A verify token of alice with bob's id in `sub`.
    let verify = s.verify_token("alice@example.com", 1).await;
    for sub in [json!(bob_id.to_string()), json!(bob_id)] {
        let forged = with_sub(&verify, sub.clone());
        let answer = s.post("/auth/verify", json!({"token": forged})).await;
        let what = format!("verify with sub {sub}");
        assert_json_error(
            &answer,
            StatusCode::BAD_REQUEST,
            &detail("VERIFY_USER_BAD_TOKEN"),
            &what,
        );
    }
    let answer = get_user(&s, &admin, &bob["id"]).await;
    assert_eq!(answer.body, bob, "bob still unverified");
    assert_eq!(me(&s, &token).await, alice, "alice still unverified");
    // The untouched tokens work (the edits are what was refused).
    let answer = s.post("/auth/verify", json!({"token": verify})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
    assert_eq!(answer.body["id"], alice_id);
    s.assert_alive().await;
}

/// SEC-AUTHZ-04: a superuser PATCHes `/users/{id}` with `password` (200, it works) and then
/// `hashed_password` (200, ignored) and `id` (ignored); `DELETE /users/me` is 404 for a
/// superuser, and deleting themself through `/users/{id}` is 204 (no guard, the contract),
/// after which their token is 401.
async fn authz_superuser_patch<P: Into<DbPool>>(pool: P) {
    let s = harness::start(pool).await;
    let admin = s.superuser("admin@example.com").await;
    let admin_user = me(&s, &admin).await;
    let user = s.user("victim@example.com").await;
    let path = format!("/users/{}", id_text(&user["id"]));
    let answer = patch_bearer(&s, &path, &admin, json!({"password": "set-by-admin-1"})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
    assert_eq!(answer.body, user);
    assert_login(&s, "victim@example.com", "set-by-admin-1", true).await;
    assert_login(&s, "victim@example.com", PASSWORD, false).await;
    let hash_password = "behind-the-hash";
    let hash = bcrypt::hash(hash_password, 4).expect("bcrypt");
    let other_id = uuid::Uuid::new_v4().to_string();
    let answer = patch_bearer(
        &s,
        &path,
        &admin,
        json!({"hashed_password": hash, "id": other_id, "email_key": "admin@example.com"}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
    assert_eq!(answer.body, user, "hashed_password and id ignored");
    assert_login(&s, "victim@example.com", hash_password, false).await;
    assert_login(&s, "victim@example.com", "set-by-admin-1", true).await;
    let answer = get_user(&s, &admin, &json!(other_id)).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.raw);
    // Deleting themself.
    let answer = s
        .send(s.client.delete(s.at("/users/me")).bearer_auth(&admin))
        .await;
    assert_json_error(
        &answer,
        StatusCode::NOT_FOUND,
        &detail("Not Found"),
        "DELETE /users/me",
    );
    assert_eq!(me(&s, &admin).await, admin_user, "still there");
    let own = format!("/users/{}", id_text(&admin_user["id"]));
    let answer = s
        .send(s.client.delete(s.at(&own)).bearer_auth(&admin))
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.raw);
    assert_eq!(answer.raw, "");
    let answer = s.me_bearer(&admin).await;
    assert_json_error(
        &answer,
        StatusCode::UNAUTHORIZED,
        &unauthorized(),
        "deleted admin",
    );
    assert_login(&s, "admin@example.com", PASSWORD, false).await;
    s.assert_alive().await;
}

/// SEC-AUTHZ-05 (compat): holding only a token, `PATCH /users/me` with `password` or `email`
/// and no `current_password` is 200; with a wrong one 400 `UPDATE_USER_BAD_CURRENT_PASSWORD`
/// and nothing changes; with the right one 200.
async fn authz_current_password<P: Into<DbPool>>(pool: P) {
    let s = harness::start(pool).await;
    let user = s.user("victim@example.com").await;
    let token = s.bearer("jwt", "victim@example.com", PASSWORD).await;
    let bad = detail("UPDATE_USER_BAD_CURRENT_PASSWORD");
    // Password, no current_password: compat lets it through.
    let answer = patch_bearer(
        &s,
        "/users/me",
        &token,
        json!({"password": "new-password-1"}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
    assert_login(&s, "victim@example.com", "new-password-1", true).await;
    // A wrong current_password: 400, unchanged.
    for wrong in [PASSWORD, "", "new-password-1 ", "NEW-PASSWORD-1"] {
        let answer = patch_bearer(
            &s,
            "/users/me",
            &token,
            json!({"password": "new-password-2", "current_password": wrong}),
        )
        .await;
        assert_json_error(
            &answer,
            StatusCode::BAD_REQUEST,
            &bad,
            &format!("wrong {wrong:?}"),
        );
    }
    assert_login(&s, "victim@example.com", "new-password-1", true).await;
    assert_login(&s, "victim@example.com", "new-password-2", false).await;
    // The right one.
    let answer = patch_bearer(
        &s,
        "/users/me",
        &token,
        json!({"password": "new-password-2", "current_password": "new-password-1"}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
    assert_login(&s, "victim@example.com", "new-password-2", true).await;
    assert_login(&s, "victim@example.com", "new-password-1", false).await;

    // Email, no current_password.
    let answer = patch_bearer(
        &s,
        "/users/me",
        &token,
        json!({"email": "moved-1@example.com"}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
    assert_eq!(answer.body["email"], "moved-1@example.com");
    // Wrong current_password: 400, unchanged.
    let answer = patch_bearer(
        &s,
        "/users/me",
        &token,
        json!({"email": "moved-2@example.com", "current_password": "new-password-1"}),
    )
    .await;
    assert_json_error(
        &answer,
        StatusCode::BAD_REQUEST,
        &bad,
        "email, wrong current",
    );
    let now = me(&s, &token).await;
    assert_eq!(now["email"], "moved-1@example.com");
    assert_eq!(now["id"], user["id"]);
    assert_login(&s, "moved-2@example.com", "new-password-2", false).await;
    // Right current_password.
    let answer = patch_bearer(
        &s,
        "/users/me",
        &token,
        json!({"email": "moved-2@example.com", "current_password": "new-password-2"}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
    assert_eq!(answer.body["email"], "moved-2@example.com");
    assert_login(&s, "moved-2@example.com", "new-password-2", true).await;
    assert_login(&s, "victim@example.com", "new-password-2", false).await;
    s.assert_alive().await;
}

// ---------------------------------------------------------------------------------------------
// SEC-INPUT

/// The attacked server of UUID users with a 1 s read timeout (the default body limit).
async fn short_timeout_server(pool: DbPool) -> Sec<SecUser> {
    let inbox = Inbox::default();
    let users = harness::backends(Users::<SecUser>::builder(pool), Knobs::default())
        .hashing(cheap_hashing())
        .secrets(SECRET)
        .hooks(MailHooks::new(inbox.clone()))
        .read_timeout(Duration::from_secs(1))
        .build()
        .expect("users");
    harness::serve_users(users, inbox).await
}

/// SEC-INPUT-01: 10 MB of JSON to `/auth/register` (declared or chunked) is a 413 JSON; a
/// 10 MB login form 413 (or 400); `Content-Length: 10000000000` with a small body 413; a body
/// trickled at 1 byte/s is cut at the configured read timeout (1 s here) with 408 JSON. (Memory
/// staying flat is not asserted; the 100 KB header is the next test.)
async fn input_oversized<P: Into<DbPool>>(pool: P) {
    let s = short_timeout_server(pool.into()).await;
    let too_large = detail("Content Too Large");
    const MB10: usize = 10 * 1024 * 1024;
    let json_body = {
        let head = format!(r#"{{"email":"big@example.com","password":"{PASSWORD}","pad":""#);
        let mut body = head.into_bytes();
        body.resize(MB10 - 2, b'x');
        body.extend_from_slice(b"\"}");
        body
    };
    let form_body = {
        let mut body = format!("username=big%40example.com&password={PASSWORD}&pad=").into_bytes();
        body.resize(MB10, b'x');
        body
    };
    let json_type = "Content-Type: application/json\r\n";
    let form_type = "Content-Type: application/x-www-form-urlencoded\r\n";
    for (path, ctype, body) in [
        ("/auth/register", json_type, &json_body),
        ("/auth/jwt/login", form_type, &form_body),
        ("/auth/cookie/login", form_type, &form_body),
    ] {
        let declared = format!("{ctype}Content-Length: {}\r\n", body.len());
        let answer = raw_exchange(
            &s.url,
            raw_head("POST", path, &declared),
            body.clone(),
            None,
        )
        .await;
        let what = format!("10 MB to {path}");
        if path == "/auth/register" || answer.status == 413 {
            answer.assert_json(413, &too_large, &what);
        } else {
            assert_eq!(answer.status, 400, "{what}: {answer:?}");
        }
        assert!(answer.header("set-cookie").is_none(), "{what}");
        let chunked_head = raw_head(
            "POST",
            path,
            &format!("{ctype}Transfer-Encoding: chunked\r\n"),
        );
        let answer = raw_exchange(&s.url, chunked_head, chunked(body), None).await;
        let what = format!("10 MB chunked to {path}");
        if path == "/auth/register" || answer.status == 413 {
            answer.assert_json(413, &too_large, &what);
        } else {
            assert_eq!(answer.status, 400, "{what}: {answer:?}");
        }
    }
    // A declared length far beyond anything, with a small body.
    let small_json = format!(r#"{{"email":"big@example.com","password":"{PASSWORD}"}}"#);
    let small_form = format!("username=big%40example.com&password={PASSWORD}");
    for (path, ctype, body) in [
        ("/auth/register", json_type, &small_json),
        ("/auth/jwt/login", form_type, &small_form),
        ("/auth/forgot-password", json_type, &small_json),
    ] {
        let head = raw_head(
            "POST",
            path,
            &format!("{ctype}Content-Length: 10000000000\r\n"),
        );
        let answer = raw_exchange(&s.url, head, body.clone().into_bytes(), None).await;
        answer.assert_json(
            413,
            &too_large,
            &format!("Content-Length: 10000000000 to {path}"),
        );
    }
    // A body trickled at one byte a second: cut at the read timeout.
    for (path, ctype, body) in [
        ("/auth/register", json_type, &small_json),
        ("/auth/jwt/login", form_type, &small_form),
    ] {
        let head = raw_head(
            "POST",
            path,
            &format!("{ctype}Content-Length: {}\r\n", body.len()),
        );
        let answer = raw_exchange(
            &s.url,
            head,
            body.clone().into_bytes(),
            Some(Duration::from_secs(1)),
        )
        .await;
        answer.assert_json(
            408,
            &detail("Request Timeout"),
            &format!("trickle to {path}"),
        );
    }
    // Nothing was created, the server still works.
    assert_login(&s, "big@example.com", PASSWORD, false).await;
    s.user("after@example.com").await;
    s.bearer("jwt", "after@example.com", PASSWORD).await;
    s.assert_alive().await;
}

/// SEC-INPUT-01, the last attack of the row: a request with a 100 KB header is 431 or 400
/// before any route runs.
async fn input_huge_header<P: Into<DbPool>>(pool: P) {
    let s = harness::start(pool).await;
    let pad = "a".repeat(100 * 1024);
    for (method, path) in [
        ("GET", "/users/me"),
        ("POST", "/auth/jwt/login"),
        ("POST", "/auth/register"),
    ] {
        let head = raw_head(
            method,
            path,
            &format!("X-Pad: {pad}\r\nContent-Length: 0\r\n"),
        );
        let answer = raw_exchange(&s.url, head, Vec::new(), None).await;
        assert!(
            answer.status == 431 || answer.status == 400,
            "100 KB header to {method} {path}: {} {}",
            answer.status,
            answer.head
        );
    }
    s.assert_alive().await;
}

/// SEC-INPUT-02: 200 concurrent wrong-password logins while a user calls `GET /users/me`
/// every 50 ms: each login is answered 400 `LOGIN_BAD_CREDENTIALS` or 503 with `Retry-After`,
/// each GET 200. The latency of those GETs (p99 < 100 ms in the row) and the server's memory
/// are not asserted here: timing is never asserted in `cargo test` (security.md §5.3), the
/// benchmark (`bench/run`) measures isolation; the p99 is printed.
async fn input_login_flood<P: Into<DbPool>>(pool: P) {
    let inbox = Inbox::default();
    // Real argon2 cost and the default queue (64 per worker): the flood queues and overflows.
    // Background priority is off: on a CI machine saturated by other work, nice-19 hashing
    // threads get a sliver of the CPU and the test would only measure that machine.
    let hashing = HashingConfig {
        workers: 2,
        background_priority: false,
        ..HashingConfig::default()
    };
    let users = harness::backends(Users::<SecUser>::builder(pool), Knobs::default())
        .hashing(hashing)
        .secrets(SECRET)
        .hooks(MailHooks::new(inbox.clone()))
        .build()
        .expect("users");
    let s = harness::serve_users(users, inbox).await;
    s.user("flood@example.com").await;
    s.user("reader@example.com").await;
    let token = s.bearer("jwt", "reader@example.com", PASSWORD).await;
    let reader_body = me(&s, &token).await;

    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (client, url, token, done) = (
            harness::fresh_client(),
            s.at("/users/me"),
            token.clone(),
            done.clone(),
        );
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while !done.load(std::sync::atomic::Ordering::SeqCst) || samples.len() < 10 {
                let started = Instant::now();
                let answer = harness::read(
                    client
                        .get(&url)
                        .bearer_auth(&token)
                        .send()
                        .await
                        .expect("GET"),
                )
                .await;
                samples.push((started.elapsed(), answer.status, answer.body));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            samples
        })
    };
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(200));
    let logins: Vec<_> = (0..200)
        .map(|i| {
            let (client, url, barrier) = (
                harness::fresh_client(),
                s.at("/auth/jwt/login"),
                barrier.clone(),
            );
            tokio::spawn(async move {
                barrier.wait().await;
                let password = format!("wrong-password-{i}");
                let response = client
                    .post(&url)
                    .form(&[("username", "flood@example.com"), ("password", &password)])
                    .send()
                    .await
                    .expect("login");
                harness::read(response).await
            })
        })
        .collect();
    let (mut refused, mut busy) = (0, 0);
    for login in logins {
        let answer = login.await.expect("login task");
        match answer.status {
            StatusCode::BAD_REQUEST => {
                assert_eq!(answer.body, detail("LOGIN_BAD_CREDENTIALS"));
                refused += 1;
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(
                    header(&answer, "retry-after").is_some(),
                    "503 without Retry-After"
                );
                assert_eq!(answer.body, detail("Service Unavailable"));
                busy += 1;
            }
            other => panic!("a login answered {other}: {}", answer.raw),
        }
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let samples = reader.await.expect("reader task");
    for (_, status, body) in &samples {
        assert_eq!(*status, StatusCode::OK, "GET /users/me during the flood");
        assert_eq!(body, &reader_body);
    }
    let mut latencies: Vec<Duration> = samples.iter().map(|(d, _, _)| *d).collect();
    latencies.sort_unstable();
    let p99 = latencies[(latencies.len() * 99).div_ceil(100) - 1];
    eprintln!(
        "SEC-INPUT-02: {refused} logins refused, {busy} busy (503); {} GETs, p99 {p99:?} (not asserted)",
        latencies.len()
    );
    assert_eq!(refused + busy, 200);
    assert_login(&s, "flood@example.com", PASSWORD, true).await;
    s.assert_alive().await;
}

/// The invalid-password body of `code` with `reason`.
fn invalid_password(code: &str, reason: &str) -> Value {
    json!({"detail": {"code": code, "reason": reason}})
}

const TOO_SHORT: &str = "Password must be at least 8 characters long";
const TOO_LONG: &str = "Password must be at most 4096 bytes long";

/// SEC-INPUT-03: the compat password policy (8 characters to 4096 bytes) at registration, reset
/// and both PATCH routes, with the contract's exact invalid-password bodies; passwords used
/// exactly as received (no trimming, case folding, normalization or truncation).
async fn input_password_policy<P: Into<DbPool>>(pool: P) {
    use unicode_normalization::UnicodeNormalization as _;
    let s = harness::start(pool).await;
    let admin = s.superuser("admin@example.com").await;
    let over = "x".repeat(4097);
    let over_multibyte = "é".repeat(2049); // 2049 characters, 4098 bytes
    let refused: [(&str, &str); 6] = [
        ("", TOO_SHORT),
        ("1234567", TOO_SHORT),
        ("ééééééé", TOO_SHORT), // 7 characters, 14 bytes
        ("       ", TOO_SHORT),
        (&over, TOO_LONG),
        (&over_multibyte, TOO_LONG),
    ];
    for (i, (password, reason)) in refused.iter().enumerate() {
        let email = format!("refused-{i}@example.com");
        let answer = s
            .post(
                "/auth/register",
                json!({"email": email, "password": password}),
            )
            .await;
        let body = invalid_password("REGISTER_INVALID_PASSWORD", reason);
        assert_json_error(
            &answer,
            StatusCode::BAD_REQUEST,
            &body,
            &format!("register #{i}"),
        );
        if password.is_empty() {
            // An empty login password is a missing form field (422), as in the contract.
            let answer = s.login("jwt", &email, password).await;
            assert_eq!(
                answer.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{}",
                answer.raw
            );
        } else {
            assert_login(&s, &email, password, false).await;
        }
    }
    // Accepted, and each logs in exactly as given.
    let at_cap = "y".repeat(4096);
    let nfc = "pässwörd🔑-long-enough";
    let thousand = "z".repeat(999);
    let (first, second) = (format!("{thousand}a"), format!("{thousand}b"));
    let accepted: [(&str, &str, &[&str]); 9] = [
        ("eight@example.com", "12345678", &["1234567", "123456789"]),
        ("keys@example.com", "🔑🔑🔑🔑🔑🔑🔑🔑", &["🔑🔑🔑🔑🔑🔑🔑"]),
        (
            "phrase@example.com",
            "correct horse battery staple",
            &["correct horse battery", "correcthorsebatterystaple"],
        ),
        ("unicode@example.com", nfc, &[]),
        (
            "pad@example.com",
            " padpadpad ",
            &["padpadpad", " padpadpad", "padpadpad "],
        ),
        (
            "case@example.com",
            "Case-Sensitive",
            &["case-sensitive", "CASE-SENSITIVE"],
        ),
        ("cap@example.com", &at_cap, &[]),
        ("first@example.com", &first, &[]),
        ("second@example.com", &second, &[]),
    ];
    let nfd: String = nfc.nfd().collect();
    assert_ne!(nfd, nfc);
    for (email, password, others) in accepted {
        let created = s.register(email, password).await;
        assert_eq!(created["email"], email);
        assert_login(&s, email, password, true).await;
        for other in others {
            assert_login(&s, email, other, false).await;
        }
    }
    assert_login(&s, "unicode@example.com", &nfd, false).await;
    assert_login(&s, "cap@example.com", &at_cap[..4095], false).await;
    assert_login(&s, "first@example.com", &second, false).await;
    assert_login(&s, "second@example.com", &first, false).await;
    // A password over the cap at login: 400 for known and unknown emails alike.
    assert_login(&s, "cap@example.com", &format!("{at_cap}y"), false).await;
    assert_login(&s, "nobody@example.com", &over, false).await;

    // The same rules at reset (and a refused password leaves the token usable).
    let token = s.reset_token("eight@example.com", 1).await;
    for (password, reason) in &refused {
        let answer = s
            .post(
                "/auth/reset-password",
                json!({"token": token, "password": password}),
            )
            .await;
        let body = invalid_password("RESET_PASSWORD_INVALID_PASSWORD", reason);
        assert_json_error(&answer, StatusCode::BAD_REQUEST, &body, "reset");
    }
    assert_login(&s, "eight@example.com", "12345678", true).await;
    let answer = s
        .post(
            "/auth/reset-password",
            json!({"token": token, "password": " reset-pass "}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
    assert_eq!(answer.body, Value::Null);
    assert_login(&s, "eight@example.com", " reset-pass ", true).await;
    assert_login(&s, "eight@example.com", "reset-pass", false).await;

    // And on PATCH /users/me and PATCH /users/{id}.
    let user = s.register("patch@example.com", "patch-password").await;
    let token = s.bearer("jwt", "patch@example.com", "patch-password").await;
    let path = format!("/users/{}", id_text(&user["id"]));
    for (password, reason) in &refused {
        let body = invalid_password("UPDATE_USER_INVALID_PASSWORD", reason);
        let answer = patch_bearer(&s, "/users/me", &token, json!({"password": password})).await;
        assert_json_error(&answer, StatusCode::BAD_REQUEST, &body, "PATCH /users/me");
        let answer = patch_bearer(&s, &path, &admin, json!({"password": password})).await;
        assert_json_error(&answer, StatusCode::BAD_REQUEST, &body, "PATCH /users/{id}");
    }
    assert_login(&s, "patch@example.com", "patch-password", true).await;
    let answer = patch_bearer(&s, "/users/me", &token, json!({"password": " Patched-1 "})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
    assert_login(&s, "patch@example.com", " Patched-1 ", true).await;
    assert_login(&s, "patch@example.com", "Patched-1", false).await;
    let answer = patch_bearer(&s, &path, &admin, json!({"password": &at_cap})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
    assert_login(&s, "patch@example.com", &at_cap, true).await;
    s.assert_alive().await;
}

// ---------------------------------------------------------------------------------------------
// SEC-OPS

/// SEC-OPS-01: a JWT login, `GET /users/me` and `GET /users/{id}` (and the error answers of
/// those routes, and a cookie login) carry `Cache-Control: no-store` and
/// `X-Content-Type-Options: nosniff`.
async fn ops_no_store<P: Into<DbPool>>(pool: P) {
    let s = harness::start(pool).await;
    let admin = s.superuser("admin@example.com").await;
    let user = s.user("victim@example.com").await;
    let token = s.bearer("jwt", "victim@example.com", PASSWORD).await;
    let path = format!("/users/{}", id_text(&user["id"]));
    let answers = [
        (
            "JWT login",
            s.login("jwt", "victim@example.com", PASSWORD).await,
        ),
        (
            "db login",
            s.login("db", "victim@example.com", PASSWORD).await,
        ),
        (
            "cookie login",
            s.login("cookie", "victim@example.com", PASSWORD).await,
        ),
        (
            "failed login",
            s.login("jwt", "victim@example.com", "wrong-password").await,
        ),
        ("GET /users/me", s.me_bearer(&token).await),
        ("GET /users/me, no token", s.get("/users/me").await),
        (
            "GET /users/{id}",
            s.send(s.client.get(s.at(&path)).bearer_auth(&admin)).await,
        ),
        (
            "GET /users/{id}, not superuser",
            s.send(s.client.get(s.at(&path)).bearer_auth(&token)).await,
        ),
        (
            "GET /users/{unknown}",
            s.send(
                s.client
                    .get(s.at(&format!("/users/{}", uuid::Uuid::new_v4())))
                    .bearer_auth(&admin),
            )
            .await,
        ),
    ];
    for (what, answer) in &answers {
        assert!(answer.status.as_u16() < 500, "{what}");
        assert_eq!(
            header(answer, "cache-control").as_deref(),
            Some("no-store"),
            "{what}"
        );
        assert_eq!(
            header(answer, "x-content-type-options").as_deref(),
            Some("nosniff"),
            "{what}"
        );
    }
    assert_eq!(answers[0].1.status, StatusCode::OK);
    assert_eq!(answers[4].1.status, StatusCode::OK);
    assert_eq!(answers[6].1.status, StatusCode::OK);
    s.assert_alive().await;
}

/// SEC-OPS-04: `TRACE` to every route (and to an unknown path), `PUT /users/me`,
/// `PATCH /auth/jwt/login`: 405 JSON `{"detail":"Method Not Allowed"}` (404 JSON for the
/// unknown path), never an echo of the request, and nothing changes.
async fn ops_wrong_methods<P: Into<DbPool>>(pool: P) {
    let s = harness::start(pool).await;
    let admin = s.superuser("admin@example.com").await;
    let user = s.user("victim@example.com").await;
    let token = s.bearer("jwt", "victim@example.com", PASSWORD).await;
    let marker = format!("echo-marker-{}", uuid::Uuid::new_v4().simple());
    let mut routes: Vec<String> = BACKENDS
        .iter()
        .flat_map(|b| [format!("/auth/{b}/login"), format!("/auth/{b}/logout")])
        .collect();
    routes.extend(
        [
            "/auth/register",
            "/auth/forgot-password",
            "/auth/reset-password",
            "/auth/request-verify-token",
            "/auth/verify",
            "/users/me",
            "/authenticated-route",
        ]
        .map(String::from),
    );
    routes.push(format!("/users/{}", id_text(&user["id"])));
    let no_echo = |answer: &Answer, what: &str| {
        assert!(
            !answer.raw.contains(&marker),
            "{what}: echoed {}",
            answer.raw
        );
        assert!(!answer.raw.contains(&token), "{what}: echoed the token");
        assert!(!answer.raw.contains("TRACE"), "{what}: {}", answer.raw);
        let ct = header(answer, "content-type").unwrap_or_default();
        assert!(!ct.contains("message/http"), "{what}: {ct}");
    };
    for path in &routes {
        let request = s
            .client
            .request(Method::TRACE, s.at(path))
            .bearer_auth(&token)
            .header("cookie", format!("{JWT_COOKIE}={token}"))
            .header("x-marker", &marker);
        let answer = s.send(request).await;
        let what = format!("TRACE {path}");
        assert_json_error(
            &answer,
            StatusCode::METHOD_NOT_ALLOWED,
            &not_allowed(),
            &what,
        );
        assert!(
            header(&answer, "allow").is_some(),
            "{what}: an Allow header"
        );
        no_echo(&answer, &what);
    }
    let request = s
        .client
        .request(Method::TRACE, s.at("/no-such-route"))
        .header("x-marker", &marker);
    let answer = s.send(request).await;
    assert!(
        answer.status == StatusCode::NOT_FOUND || answer.status == StatusCode::METHOD_NOT_ALLOWED,
        "TRACE /no-such-route: {}",
        answer.status
    );
    assert!(answer.body["detail"].is_string(), "{}", answer.raw);
    no_echo(&answer, "TRACE /no-such-route");
    // PUT /users/me and PUT /users/{id} with a change.
    let put_paths = [
        "/users/me".to_owned(),
        format!("/users/{}", id_text(&user["id"])),
    ];
    for (path, bearer) in [(&put_paths[0], &token), (&put_paths[1], &admin)] {
        let request = s
            .client
            .put(s.at(path))
            .bearer_auth(bearer)
            .header("x-marker", &marker)
            .json(&json!({"email": "put@example.com", "is_superuser": true}));
        let answer = s.send(request).await;
        let what = format!("PUT {path}");
        assert_json_error(
            &answer,
            StatusCode::METHOD_NOT_ALLOWED,
            &not_allowed(),
            &what,
        );
        no_echo(&answer, &what);
    }
    assert_eq!(me(&s, &token).await, user, "unchanged");
    // PATCH on the logins: no token handed out.
    for backend in BACKENDS {
        let path = format!("/auth/{backend}/login");
        let request = s
            .client
            .patch(s.at(&path))
            .header("x-marker", &marker)
            .form(&[("username", "victim@example.com"), ("password", PASSWORD)]);
        let answer = s.send(request).await;
        let what = format!("PATCH {path}");
        assert_json_error(
            &answer,
            StatusCode::METHOD_NOT_ALLOWED,
            &not_allowed(),
            &what,
        );
        assert!(answer.set_cookies().is_empty(), "{what}");
        no_echo(&answer, &what);
    }
    s.assert_alive().await;
}

/// SEC-OPS-03 (compat): `examples/full` started with the secret `SECRET`, `change-me` or one
/// of 20 bytes starts, warns on stderr without printing the secret; without `ADMIN_EMAIL` /
/// `ADMIN_PASSWORD` it has no user at all, and `admin`/`admin` logins are 400
/// `LOGIN_BAD_CREDENTIALS`. This case is about the example binary's start-up, not about a
/// store, so it runs once, on SQLite, as a plain test.
#[tokio::test]
async fn sec_ops_03_weak_secret_warns_and_no_default_admin() {
    let binary = common::process::example_binary("full");
    let client = reqwest::Client::new();
    for secret in ["SECRET", "change-me", "k3y-20-bytes-xyzzy!!"] {
        let dir =
            std::env::temp_dir().join(format!("sec_ops_03_{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let db = dir.join("x.db");
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            probe.local_addr().expect("addr").port()
        };
        let mut child = tokio::process::Command::new(&binary)
            .env(
                "DATABASE_URL",
                format!("sqlite://{}?mode=rwc", db.display()),
            )
            .env("PORT", port.to_string())
            .env("JWT_SECRET", secret)
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG")
            .env_remove("ADMIN_EMAIL")
            .env_remove("ADMIN_PASSWORD")
            .env_remove("MAIL_OUTBOX")
            .env_remove("REDIS_URL")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn examples/full");
        let base = format!("http://127.0.0.1:{port}");
        let mut up = false;
        for _ in 0..600 {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("examples/full exited with {status} for secret {secret:?}");
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(up, "examples/full did not start with secret {secret:?}");
        // No default account: admin/admin in every likely spelling is refused.
        for username in [
            "admin",
            "admin@example.com",
            "admin@admin.com",
            "admin@localhost",
        ] {
            let response = client
                .post(format!("{base}/auth/jwt/login"))
                .form(&[("username", username), ("password", "admin")])
                .send()
                .await
                .expect("login");
            let answer = harness::read(response).await;
            assert_eq!(
                answer.status,
                StatusCode::BAD_REQUEST,
                "{username}: {}",
                answer.raw
            );
            assert_eq!(answer.body, detail("LOGIN_BAD_CREDENTIALS"), "{username}");
        }
        let answer = harness::read(
            client
                .get(format!("{base}/users/me"))
                .send()
                .await
                .expect("GET"),
        )
        .await;
        assert_eq!(answer.body, unauthorized());
        // Grey-box: the fresh database holds no user at all.
        let url = format!("sqlite://{}", db.display());
        let pool = sqlx::SqlitePool::connect(&url)
            .await
            .expect("open the example's db");
        let users: i64 = sqlx::query_scalar(r#"SELECT COUNT(*) FROM "user""#)
            .fetch_one(&pool)
            .await
            .expect("count users");
        pool.close().await;
        assert_eq!(users, 0, "a fresh server has no user");
        child.start_kill().expect("kill examples/full");
        let output = child.wait_with_output().await.expect("wait examples/full");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stderr.contains("WARN") && stderr.contains("shorter than 32 bytes"),
            "a warning for {secret:?}: {stderr}"
        );
        // The variable's name contains "SECRET"; its value must appear nowhere.
        for log in [&*stderr, &*stdout] {
            assert!(
                !log.replace("JWT_SECRET", "").contains(secret),
                "the secret {secret:?} was printed: {log}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

crate::on_every_database! {
    sec_cookie_01_a_cookie_login_sets_one_safe_cookie => cookie_login;
    sec_cookie_02_header_injection_in_the_login_form_is_refused => cookie_header_injection;
    sec_csrf_01_cross_site_writes_riding_the_cookie_are_refused => csrf_cross_site_writes;
    sec_csrf_02_cross_site_cookie_login_is_refused => csrf_login;
    sec_csrf_03_get_and_head_change_nothing => csrf_safe_methods;
    sec_authz_01_registration_ignores_privileged_fields => authz_register_mass_assignment;
    sec_authz_02_method_override_is_ignored => authz_method_override;
    sec_authz_03_user_ids_and_token_subjects_cannot_be_guessed => authz_integer_ids;
    sec_authz_04_superuser_patch_and_self_deletion => authz_superuser_patch;
    sec_authz_05_current_password_is_checked_when_sent => authz_current_password;
    sec_input_01_oversized_and_slow_requests_are_cut => input_oversized;
    sec_input_01_a_100_kb_header_is_refused => input_huge_header;
    sec_input_02_a_login_flood_leaves_other_requests_alone => input_login_flood;
    sec_input_03_password_policy_and_exact_passwords => input_password_policy;
    sec_ops_01_responses_are_not_cached_or_sniffed => ops_no_store;
    sec_ops_04_trace_and_wrong_methods_are_405_json => ops_wrong_methods;
}
