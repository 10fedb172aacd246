//! Tokens and revocation: SEC-JWT-* and SEC-REV-*.
//!
//! The cases of security.md §4.1 (forged, confused, misdirected and malformed JWTs; tokens in
//! the query string; database tokens at rest and per transport; fresh tokens per login) and
//! §4.2 (what survives deletion, deactivation, logout, a password change and expiry), each a
//! black-box test over loopback HTTP against the harness server (`tests/security/harness.rs`)
//! on every database. Every refusal is checked as the exact 401 body, no answer may be a 5xx,
//! and each case ends by checking that the server still answers.
//!
//! Only the compat profile exists: where a row's compat expectation differs from hardened
//! (SEC-REV-04, SEC-REV-06), the test asserts the documented compat behaviour and says so in
//! its name.

mod common;
#[path = "security/harness.rs"]
mod harness;

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum_users::auth::jwt::JwtKeys;
use axum_users::mail::MailHooks;
use axum_users::prelude::*;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use futures_util::StreamExt as _;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use common::server::{SECRET, cheap_hashing, serve};
use harness::{
    Answer, DB_COOKIE, Inbox, JWT_COOKIE, Knobs, PASSWORD, Sec, SecUser, connection_counter, forge,
    fresh_client, now, serve_users, start, start_with, unauthorized,
};

type S = Sec<SecUser>;

// --- Test-only keys -----------------------------------------------------------------------
//
// TEST-ONLY KEY PAIRS, generated once with `openssl genpkey` for this file. They protect
// nothing and must never be used anywhere else. "SERVER" keys configure the RS256/ES256
// servers of SEC-JWT-02/03; "ATTACKER" keys are the attacker's own.

/// TEST-ONLY RSA-2048 private key (PKCS#8) of the RS256 server.
const SERVER_RSA_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC2xwiJ5OlGl2uL
53AQERA7qi0vJkoBo7Mk2eFStfBm0/aiCxZS4vP/BeGyiwFSgSpgKd9OxpNar8z0
3jdHFxun4cieSNizdPE4gBeIpMdObrrYvZCedxhiA6KVIo9FBXZvktAtiyEKej/A
c4nFqRRC4XSElMlFkdiNLYFrvNVFvB761NnH/OFR4G6zpTQ4ISo/jCcQLnvff/Ob
x65HbVfpBeaiB5deOnRLvz6gum3T6RqZwXtO5UgRqqVNAN70wZSlox7aGV/zX29O
c/FltaPEuleJ/YuCGc49nr0OdM3qLO733CjtyVu2OktWuxi34IrFsF+/3YK909u3
V6Z7RYwDAgMBAAECggEAVdcWCIUMlc2pgbQ5KiKJaCwdOmaWHTz/dpApRYoTFIf5
7dKdMmJKS3w8qnikL1ZgS3d+2+Vg8Rddf6cZePa+U1MzwDrgIzAJ1go6gz84J3rT
n9UvpWyzc9zXL4lilfzhyba+tJUB+IS/iif5DW7CCEMQUO/7swOzG2LCxJGT7EKI
mXaKxWR1GcghMadLXHb+sbNGlAORKZnS8prMivC3W3wHLGdtL340XIbYPc4h1nVH
H0K+7iNKPi1cISPcC5FfGh+tgTIb6qAH5MuLXqD/LVKUZ++JMkwsXdFx09jTOlwr
kM/gJ2r9W1+gL1f2swSWSD/lBkG2T2Y7bkE1pMlIyQKBgQDs2Mo8aAV12h0WCqrs
Y8fE90hAjE64XPKBx/nY4DBnJ0i5o4wHDV1CEZktdP5q6Os8feEwK5wW+OoPl0v2
HchnScqAfXZpdKab5zcpVCP0/rgiabnaSkeNNS3oaj3msSGRP4qeqKa39VXgzO6Q
Di12XbovAmRANomVIvjXAmfGpQKBgQDFjuXbv0509Lid/LAU0BRV1Mdphxu6+7hM
p0zJ3oginiEP0CzI/bQvPDFsFR3NMxPHbmkQBN4T4dpKjMsuj4P0f0eqsHIMLBkH
Q3G2OfjFCVCRT7UGA9Fu9APPRBoZfcz6a1APVkjVuJ3a+PvzZDKB6e+CX65WKBGJ
PTlbs+2vhwKBgQCofEvZjvIbdU7tqCcRRKYPAw5eBLHXSx+knTqqQkmMiBCfJq3t
Ml+eKWC7SpfWO91jyfSQzOUcHnR7JNj/uw4eFAs/PoEm4bnH/EJsXxO5LB6XNHjm
xaKC3ErNJA7m9ij356jX1wfKo3c1FPO8fKlwo5pX6K6iU2mqMxer9GUYlQKBgCg0
KXDr4LKKbtuv5cGGiuzgrWg7V5hYy6vFzCm0wK2S0pWePs70WmvWaxRcw8DTqS3H
uVfKNcuEBeFv/5VNHYRvNo109PCnNLy2q/hymb63Y47+0o8TzdYvkGroqAsR/9ni
ZtuIKrBbrrw2OUfR1zl6+wPkJt1fsBnmvLp9xlwXAoGATgCLcdGqSWoF9dyJ/pxv
MEPNgNprG3XU2FnU5PT5/SZc/l2vocOMk1xRbfxo+9WeX5FJVoGyfyt92cBYGL5E
52g6p7woYHKd2f8oUJqdtIs3tjKY4eCnFY7Glk+UmayvlgcgyrlOTiWjKC/CcxOm
6I6BZ2vpCf7Qzp0pDC5eL8s=
-----END PRIVATE KEY-----
";
/// TEST-ONLY public key (SPKI) of [`SERVER_RSA_PRIVATE`].
const SERVER_RSA_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtscIieTpRpdri+dwEBEQ
O6otLyZKAaOzJNnhUrXwZtP2ogsWUuLz/wXhsosBUoEqYCnfTsaTWq/M9N43Rxcb
p+HInkjYs3TxOIAXiKTHTm662L2QnncYYgOilSKPRQV2b5LQLYshCno/wHOJxakU
QuF0hJTJRZHYjS2Ba7zVRbwe+tTZx/zhUeBus6U0OCEqP4wnEC5733/zm8euR21X
6QXmogeXXjp0S78+oLpt0+kamcF7TuVIEaqlTQDe9MGUpaMe2hlf819vTnPxZbWj
xLpXif2LghnOPZ69DnTN6izu99wo7clbtjpLVrsYt+CKxbBfv92CvdPbt1eme0WM
AwIDAQAB
-----END PUBLIC KEY-----
";
/// TEST-ONLY P-256 private key (PKCS#8) of the ES256 server.
const SERVER_EC_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgdRIrOgqQmusVhGtq
HjBIVumzfV2pk0Wh6aRitsRf+++hRANCAAQ2S/5mr1/CibWjuuOrBKuTVf5i1mUR
uVeuN2X/jFCxpfqBp8Ix4Yupm/97tt7KphXKr24efr2pl5zuAUN9ng/I
-----END PRIVATE KEY-----
";
/// TEST-ONLY public key (SPKI) of [`SERVER_EC_PRIVATE`].
const SERVER_EC_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAENkv+Zq9fwom1o7rjqwSrk1X+YtZl
EblXrjdl/4xQsaX6gafCMeGLqZv/e7beyqYVyq9uHn69qZec7gFDfZ4PyA==
-----END PUBLIC KEY-----
";
/// TEST-ONLY RSA-2048 private key (PKCS#8) of the attacker.
const ATTACKER_RSA_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQClXMCjNfcYtoO+
R/vj32DTXQM4ArzIJGlbs9LFh3aaSCNA3ElalEF7NggE4nbbh70Gal72tXW6mZ76
xVdNW4tR/I5L1CkgJ4ZlZf2RckMBiu7H0Z72uORHIwCDCQ73T2U71KahA1hVCu2I
VfqCAgaBZiXiVDNVLwbME4ds2l0DPSEPl4FB36T6N42LYfR7R8OdORcMqCQEHKGs
8xuMWxODH4PELPUNtpM8eqCcxNrxMnGa0b1Ml4/Hp016Fc2jfXxN3YThNLl+eGoP
M7rFEcC8Yh2sFHT9jTblNWJCv2gDXygIHCdPj8G4w2O7GxgSEo9q1zcszzwdFmtk
DGDh0lgnAgMBAAECggEADpH2HUtfest2Hzl7fdAMWYNMCc7f8GiY6e4Vx7bQYfay
OIBQbE082czgdwG3RE+Y/aw4stc5SNhJVEI4F4ZV58LvjMnkV8NzyZJrfbnKIqQp
tuyG66lN3+C7JlCRg4P44QUzK2O+kDu2wzkEKhlgll04QFF39mz+1dNwrswsvuCr
IwaAqAV6I4tqKhpQjxetrryUnMXZL7+nqcAOdXPy9DoXGK5glwqHt5uzTKEvws1j
ug3WbdYxTk+m3w9rx36MpluPnOjZNbiz+NBR9g358wmlWHJ6bURx/OnWM9pGQeHB
CpscAmXh0r5X2LEtXEL0mvC3/+gykOF/ADcLwXIjfQKBgQDdQnZPGSqfKvDP2Bts
qZgNdS9vnNpYwlzfVN9l9+WbFWWcWy6YSQxH2WBFZqjwNi7FmdS3W/+cQoQAx1sN
vHCqBZ6P7euHhPGcxFwV5Xj1b0ef0EanKemjXw8QF/2WkxxXK/RIes/EUEeOH+wz
MCyvYwOBIolKT4v8hZKCBSLUbQKBgQC/U38QCzhI/sEifYAtoMbXUjVwfiAIf5QH
WjH6t3EKkGR7ffEpTSkkNoH9CKV246kv8N7a/uhdXVQwzavABGJEPnBjppeA/rH5
ObeI7VfB9++VJsGj5iz/K6E6h3rye1JQR143ps3EgFl+n6M4m5JyVWUlzDLQ7Ta8
6Fw2ky+6YwKBgB1fQU1mzd2rWaR9z8YxDVpcABwU+ndl9eY/4hgrPHPF92M2R403
xUWUec88vZiF2NeqgC6HK/uWaOehj1jXdy1a6Z25u9aVs21YM9FEUTZju2Jfx8FR
Mw7ZA6rjRGrExLJdx2QHyaUJ8zXOzxBMiOIPhtuRtiADR1YSdUyFWgZRAoGAbJpn
yOKli4HYfcyBguT9meIXZYiihFBu5ZGER03zw8xczWCbERe0n9K1DL3otsjaE9WF
mwgRPFYq4R0OPgv+/7/1qgs5esaYneDuVrJrGzay75Y1WuTga+QHPCMFXjk0a09n
ou1zZfR5WJAjZZGhmnbw2HjF66SLasX2+h+oewMCgYEAywBjxkt6apyyPE8wOz4a
mresZehK9cowtA+1bm32ctIL3DicIwoE7rvI5Co+sWu3Bv8ydASb5hFYKscWvg2X
1kFlpintCFPsL6q6iqLd144Muu7+OiaeOT+OrST9S8qUq4CKrBIVsOMHOXhSZCYu
U1KwHGBcXDiObl3v8rvMmGc=
-----END PRIVATE KEY-----
";
/// TEST-ONLY P-256 private key (PKCS#8) of the attacker.
const ATTACKER_EC_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1FABngobWai3+haC
XQTjeqDLl5iDWy70QsN3bqJQDzShRANCAASp6P3rStOo4uIvou5pFh9m7eEC/vQU
kOiXoLA4rF4MK3EAvkH/XQeaE2kvcdAEy8lrN/l34TSmo2gdQXfOHclE
-----END PRIVATE KEY-----
";
/// The attacker's own HMAC secret.
const ATTACKER_SECRET: &[u8] = b"the-attacker-owns-this-secret-32b!";

/// The audience of access tokens.
const AUTH: &str = "fastapi-users:auth";

// --- Helpers ------------------------------------------------------------------------------

/// Base64url without padding.
fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact JWS assembled by hand: `header` and `claims` are JSON texts taken byte for byte,
/// signed (or MACed) with `key` under `algorithm`, whatever the header says.
fn assemble(header: &str, claims: &str, key: &EncodingKey, algorithm: Algorithm) -> String {
    let message = format!("{}.{}", b64(header), b64(claims));
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), key, algorithm).expect("sign");
    format!("{message}.{signature}")
}

/// An HS256 token of `header` and `claims` MACed with `secret`.
fn hmac(header: &Value, claims: &Value, secret: &[u8]) -> String {
    assemble(
        &header.to_string(),
        &claims.to_string(),
        &EncodingKey::from_secret(secret),
        Algorithm::HS256,
    )
}

/// An HS256 token with the standard header and raw claims text, MACed with the server's
/// secret (for claims `serde_json` cannot write, such as `2^64` as an integer).
fn forge_raw(claims: &str) -> String {
    assemble(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
        Algorithm::HS256,
    )
}

/// Valid access claims for user `id`, ten minutes to live.
fn good(id: &str) -> Value {
    json!({"sub": id, "aud": [AUTH], "exp": now() + 600})
}

/// Segment `index` of a JWT, decoded as JSON.
fn segment(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("segment");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("json")
}

/// The DER body of a PEM text.
fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).expect("PEM body")
}

/// Lower-case hex SHA-256, as the `accesstoken` table stores tokens.
fn sha256_hex(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The id of a user JSON.
fn id_of(user: &Value) -> String {
    user["id"].as_str().expect("id").to_owned()
}

/// `answer` is the exact 401.
fn assert_unauthorized(answer: &Answer, label: &str) {
    assert_eq!(
        answer.status,
        StatusCode::UNAUTHORIZED,
        "{label}: {}",
        answer.raw
    );
    assert_eq!(answer.body, unauthorized(), "{label}");
}

/// `answer` is `GET /users/me` of `email`.
fn assert_me(answer: &Answer, email: &str, label: &str) {
    assert_eq!(answer.status, StatusCode::OK, "{label}: {}", answer.raw);
    assert_eq!(answer.body["email"], email, "{label}");
}

/// A 204 with an empty body.
fn assert_no_content(answer: &Answer, label: &str) {
    assert_eq!(
        answer.status,
        StatusCode::NO_CONTENT,
        "{label}: {}",
        answer.raw
    );
    assert!(answer.raw.is_empty(), "{label}: {}", answer.raw);
}

/// `token` is refused on `/users/me` as a bearer token and as the JWT cookie.
async fn refused_jwt(s: &S, token: &str, label: &str) {
    assert_unauthorized(&s.me_bearer(token).await, &format!("{label} (bearer)"));
    assert_unauthorized(
        &s.me_cookie(JWT_COOKIE, token).await,
        &format!("{label} (cookie)"),
    );
}

/// `token` is accepted on `/users/me` as a bearer token and as the JWT cookie.
async fn accepted_jwt(s: &S, token: &str, email: &str, label: &str) {
    assert_me(
        &s.me_bearer(token).await,
        email,
        &format!("{label} (bearer)"),
    );
    assert_me(
        &s.me_cookie(JWT_COOKIE, token).await,
        email,
        &format!("{label} (cookie)"),
    );
}

/// How a credential travels.
#[derive(Debug, Clone, Copy)]
enum Via {
    Bearer,
    Cookie(&'static str),
}

/// A credential issued by one backend.
#[derive(Debug, Clone)]
struct Cred {
    backend: &'static str,
    via: Via,
    token: String,
}

impl Cred {
    /// `request` carrying this credential as its transport expects.
    fn on(&self, request: RequestBuilder) -> RequestBuilder {
        match self.via {
            Via::Bearer => request.bearer_auth(&self.token),
            Via::Cookie(name) => request.header("cookie", format!("{name}={}", self.token)),
        }
    }

    /// `GET path` with this credential.
    async fn get(&self, s: &S, path: &str) -> Answer {
        s.send(self.on(s.client.get(s.at(path)))).await
    }

    /// `POST /auth/<backend>/logout` with this credential.
    async fn logout(&self, s: &S) -> Answer {
        let path = format!("/auth/{}/logout", self.backend);
        s.send(self.on(s.client.post(s.at(&path)))).await
    }

    /// Refused on `/users/me`, `/authenticated-route` and its own logout.
    async fn assert_dead(&self, s: &S, label: &str) {
        let label = format!("{label}: {} token", self.backend);
        assert_unauthorized(&self.get(s, "/users/me").await, &label);
        assert_unauthorized(&self.get(s, "/authenticated-route").await, &label);
        assert_unauthorized(&self.logout(s).await, &format!("{label} (logout)"));
    }

    /// Accepted on `/users/me` and `/authenticated-route` as `email`.
    async fn assert_alive(&self, s: &S, email: &str, label: &str) {
        let label = format!("{label}: {} token", self.backend);
        assert_me(&self.get(s, "/users/me").await, email, &label);
        let hello = self.get(s, "/authenticated-route").await;
        assert_eq!(hello.status, StatusCode::OK, "{label}: {}", hello.raw);
        assert_eq!(hello.body, json!({"message": format!("Hello {email}!")}));
    }
}

/// One credential from each backend for `email` (password [`PASSWORD`]).
async fn credentials(s: &S, email: &str) -> Vec<Cred> {
    credentials_with(s, email, PASSWORD).await
}

/// `PATCH /users/{id}` as the superuser holding `admin`.
async fn admin_patch(s: &S, admin: &str, id: &str, body: Value) -> Answer {
    s.send(
        s.client
            .patch(s.at(&format!("/users/{id}")))
            .bearer_auth(admin)
            .json(&body),
    )
    .await
}

/// The harness server with its four backends, but JWTs signed with `keys`.
async fn keyed_server(pool: DbPool, keys: JwtKeys) -> S {
    let jwt = JwtStrategy::new(keys, 3600).expect("jwt strategy");
    let inbox = Inbox::default();
    let users = Users::<SecUser>::builder(pool)
        .backend(AuthBackend::new(
            "jwt",
            Transport::bearer("auth/jwt/login"),
            Strategy::Jwt(jwt.clone()),
        ))
        .backend(AuthBackend::new(
            "cookie",
            Transport::cookie(CookieSettings {
                max_age: Some(3600),
                ..CookieSettings::default()
            }),
            Strategy::Jwt(jwt),
        ))
        .backend(AuthBackend::new(
            "db",
            Transport::bearer("auth/db/login"),
            Strategy::Database(DatabaseTokens::new(Some(3600))),
        ))
        .backend(AuthBackend::new(
            "dbcookie",
            Transport::cookie(CookieSettings {
                name: DB_COOKIE.into(),
                max_age: Some(3600),
                ..CookieSettings::default()
            }),
            Strategy::Database(DatabaseTokens::new(Some(3600))),
        ))
        .hashing(cheap_hashing())
        .secrets(SECRET)
        .hooks(MailHooks::new(inbox.clone()))
        .build()
        .expect("users");
    serve_users(users, inbox).await
}

/// A server where each strategy has exactly one transport: database tokens only as bearer
/// (`/auth/db`), JWTs only as the cookie `fastapiusersauth` (`/auth/cookie`).
async fn split_server(pool: DbPool) -> S {
    let inbox = Inbox::default();
    let users = Users::<SecUser>::builder(pool.clone())
        .backend(AuthBackend::new(
            "db",
            Transport::bearer("auth/db/login"),
            Strategy::Database(DatabaseTokens::new(Some(3600))),
        ))
        .backend(AuthBackend::new(
            "cookie",
            Transport::cookie(CookieSettings {
                max_age: Some(3600),
                ..CookieSettings::default()
            }),
            Strategy::Jwt(JwtStrategy::hs256(SECRET, 3600).expect("jwt")),
        ))
        .hashing(cheap_hashing())
        .secrets(SECRET)
        .hooks(MailHooks::new(inbox.clone()))
        .build()
        .expect("users");
    users.migrate().await.expect("migrate");
    let app = Router::new()
        .nest("/auth/db", users.auth_router("db").expect("db router"))
        .nest(
            "/auth/cookie",
            users.auth_router("cookie").expect("cookie router"),
        )
        .nest("/users", users.users_router())
        .fallback(axum_users::routes::not_found)
        .layer(axum::middleware::map_response(
            axum_users::routes::json_errors,
        ))
        .with_state(users.clone());
    Sec {
        url: serve(app).await,
        users,
        pool,
        inbox,
        client: fresh_client(),
    }
}

// --- SEC-JWT-01 ---------------------------------------------------------------------------

/// `alg: none` in any letter case, with the real or forged claims of a real user and an empty
/// or unchanged signature, as bearer and as cookie: 401.
async fn alg_none<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let email = "none@example.com";
    let id = id_of(&s.user(email).await);
    let real = s.bearer("jwt", email, PASSWORD).await;
    accepted_jwt(&s, &real, email, "control: the issued token").await;
    let mut parts = real.split('.');
    let (_, payload, signature) = (
        parts.next().expect("header"),
        parts.next().expect("payload"),
        parts.next().expect("signature"),
    );
    let forged = b64(good(&id).to_string());
    for alg in ["none", "None", "NONE", "nOnE"] {
        for header in [json!({"alg": alg, "typ": "JWT"}), json!({"alg": alg})] {
            let h = b64(header.to_string());
            let tokens = [
                format!("{h}.{payload}."),
                format!("{h}.{payload}.{signature}"),
                format!("{h}.{forged}."),
                format!("{h}.{forged}.{signature}"),
            ];
            for token in tokens {
                refused_jwt(&s, &token, &format!("alg {header}")).await;
            }
        }
    }
    s.assert_alive().await;
}

// --- SEC-JWT-02 ---------------------------------------------------------------------------

/// On HS256, tokens signed with the attacker's RSA/EC keys; on RS256 and ES256 servers, HMAC
/// tokens keyed with the server's public key as PEM, DER, the verifier's key bytes or JWK: 401.
async fn algorithm_confusion<P: Into<DbPool>>(pool: P) {
    let pool: DbPool = pool.into();
    let hs = start(pool.clone()).await;
    let email = "confused@example.com";
    let id = id_of(&hs.user(email).await);
    let claims = good(&id);
    let hs_token = hs.bearer("jwt", email, PASSWORD).await;
    accepted_jwt(&hs, &hs_token, email, "control: HS256").await;

    let attacker_rsa =
        EncodingKey::from_rsa_pem(ATTACKER_RSA_PRIVATE.as_bytes()).expect("attacker RSA key");
    let attacker_ec =
        EncodingKey::from_ec_pem(ATTACKER_EC_PRIVATE.as_bytes()).expect("attacker EC key");
    for (alg, key) in [
        (Algorithm::RS256, &attacker_rsa),
        (Algorithm::RS512, &attacker_rsa),
        (Algorithm::PS256, &attacker_rsa),
        (Algorithm::ES256, &attacker_ec),
    ] {
        let token = jsonwebtoken::encode(&Header::new(alg), &claims, key).expect("sign");
        refused_jwt(
            &hs,
            &token,
            &format!("{alg:?} with the attacker's key on HS256"),
        )
        .await;
    }

    let servers = [
        (
            Algorithm::RS256,
            SERVER_RSA_PRIVATE,
            SERVER_RSA_PUBLIC,
            &attacker_rsa,
        ),
        (
            Algorithm::ES256,
            SERVER_EC_PRIVATE,
            SERVER_EC_PUBLIC,
            &attacker_ec,
        ),
    ];
    for (alg, private, public, attacker) in servers {
        let s = keyed_server(
            pool.clone(),
            JwtKeys::Pem {
                algorithm: alg,
                private_pem: private.as_bytes().to_vec(),
                public_pem: public.as_bytes().to_vec(),
            },
        )
        .await;
        let own = s.bearer("jwt", email, PASSWORD).await;
        assert_eq!(segment(&own, 0)["alg"], json!(format!("{alg:?}")));
        accepted_jwt(&s, &own, email, &format!("control: {alg:?}")).await;
        refused_jwt(
            &s,
            &hs_token,
            &format!("the HS256 server's token on {alg:?}"),
        )
        .await;
        refused_jwt(&hs, &own, &format!("the {alg:?} server's token on HS256")).await;
        let theirs = jsonwebtoken::encode(&Header::new(alg), &claims, attacker).expect("sign");
        refused_jwt(&s, &theirs, &format!("{alg:?} with the attacker's key")).await;

        let decoding = match alg {
            Algorithm::RS256 => DecodingKey::from_rsa_pem(public.as_bytes()),
            _ => DecodingKey::from_ec_pem(public.as_bytes()),
        }
        .expect("public key");
        let jwk = Jwk::from_decoding_key(&decoding, Some(alg)).expect("jwk");
        let key_forms: Vec<(&str, Vec<u8>)> = vec![
            ("PEM", public.as_bytes().to_vec()),
            (
                "PEM without the final newline",
                public.trim_end().as_bytes().to_vec(),
            ),
            ("SPKI DER", pem_der(public)),
            (
                "the verifier's key bytes",
                decoding.try_get_as_bytes().expect("key bytes").to_vec(),
            ),
            ("JWK", serde_json::to_vec(&jwk).expect("JWK JSON")),
        ];
        for (form, bytes) in &key_forms {
            for mac in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
                let header = json!({"alg": format!("{mac:?}"), "typ": "JWT"});
                let token = assemble(
                    &header.to_string(),
                    &claims.to_string(),
                    &EncodingKey::from_secret(bytes),
                    mac,
                );
                let label = format!("{mac:?} keyed with the {alg:?} public key as {form}");
                refused_jwt(&s, &token, &label).await;
            }
        }
        s.assert_alive().await;
    }
    hs.assert_alive().await;
}

// --- SEC-JWT-03 ---------------------------------------------------------------------------

/// Keys named by the header (`jwk`, `jku`, `x5u`, `kid`) are never used or fetched: tokens
/// signed with the attacker's keys are 401, the listener `jku`/`x5u` point at gets no
/// connection, and the same headers on a token MACed with the configured secret change
/// nothing (the members are ignored).
async fn header_keys_are_ignored<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let email = "header@example.com";
    let id = id_of(&s.user(email).await);
    let claims = good(&id);
    let (addr, connections) = connection_counter().await;
    let attacker_rsa =
        EncodingKey::from_rsa_pem(ATTACKER_RSA_PRIVATE.as_bytes()).expect("attacker RSA key");

    // `jwk`: the attacker's own key embedded, the token signed with it.
    let mut header = Header::new(Algorithm::RS256);
    header.jwk = Some(Jwk::from_encoding_key(&attacker_rsa, Algorithm::RS256).expect("jwk"));
    let token = jsonwebtoken::encode(&header, &claims, &attacker_rsa).expect("sign");
    refused_jwt(&s, &token, "RS256 with an embedded attacker jwk").await;
    let oct =
        json!({"alg": "HS256", "typ": "JWT", "jwk": {"kty": "oct", "k": b64(ATTACKER_SECRET)}});
    refused_jwt(
        &s,
        &hmac(&oct, &claims, ATTACKER_SECRET),
        "HS256 with an embedded oct jwk",
    )
    .await;

    // `jku` and `x5u` at a loopback listener.
    for (member, url) in [
        ("jku", format!("http://{addr}/.well-known/jwks.json")),
        ("x5u", format!("http://{addr}/cert.pem")),
    ] {
        let mut rs = Map::new();
        rs.insert("alg".into(), json!("RS256"));
        rs.insert("typ".into(), json!("JWT"));
        rs.insert("kid".into(), json!("attacker"));
        rs.insert(member.into(), json!(url));
        let token = assemble(
            &Value::Object(rs).to_string(),
            &claims.to_string(),
            &attacker_rsa,
            Algorithm::RS256,
        );
        refused_jwt(&s, &token, &format!("RS256 with {member}")).await;
        let mut hs = Map::new();
        hs.insert("alg".into(), json!("HS256"));
        hs.insert("typ".into(), json!("JWT"));
        hs.insert(member.into(), json!(url));
        let hs = Value::Object(hs);
        refused_jwt(
            &s,
            &hmac(&hs, &claims, ATTACKER_SECRET),
            &format!("HS256 with {member}"),
        )
        .await;
        let ignored = hmac(&hs, &claims, SECRET.as_bytes());
        accepted_jwt(
            &s,
            &ignored,
            email,
            &format!("{member} on a token of the real key"),
        )
        .await;
    }

    // `kid`: path traversal (the empty key of /dev/null), SQL (the key a UNION would pick),
    // 10 KB.
    let long = "k".repeat(10 * 1024);
    let kids: [(&str, &[u8]); 5] = [
        ("../../../../dev/null", b""),
        ("../../../../dev/null", ATTACKER_SECRET),
        ("' OR '1'='1", ATTACKER_SECRET),
        ("x' UNION SELECT 'key' -- ", b"key"),
        (&long, ATTACKER_SECRET),
    ];
    for (kid, secret) in kids {
        let header = json!({"alg": "HS256", "typ": "JWT", "kid": kid});
        let label = format!("kid {}", &kid[..kid.len().min(24)]);
        refused_jwt(&s, &hmac(&header, &claims, secret), &label).await;
        let ignored = hmac(&header, &claims, SECRET.as_bytes());
        accepted_jwt(
            &s,
            &ignored,
            email,
            &format!("{label} on a token of the real key"),
        )
        .await;
    }

    // Give any fetch the server might have started a moment to connect.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "the server connected to a URL named in a token header"
    );
    s.assert_alive().await;
}

// --- SEC-JWT-04 ---------------------------------------------------------------------------

/// Tokens of other audiences (forged, and the real reset and verification tokens from the
/// mails), or with none: 401.
async fn wrong_audience<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let email = "audience@example.com";
    let id = id_of(&s.user(email).await);
    let exp = now() + 600;
    accepted_jwt(
        &s,
        &forge(&json!({"sub": id, "aud": AUTH, "exp": exp})),
        email,
        "control: aud as a string",
    )
    .await;
    accepted_jwt(&s, &forge(&good(&id)), email, "control: aud as a list").await;
    let audiences = [
        json!("fastapi-users:reset"),
        json!("fastapi-users:verify"),
        json!("fastapi-users:oauth-state"),
        json!("other"),
        json!(123),
        json!("123"),
        json!(["fastapi-users:reset"]),
        json!(["fastapi-users:verify", "fastapi-users:oauth-state"]),
        json!([]),
        json!(""),
        json!(null),
        json!({"aud": AUTH}),
    ];
    for aud in audiences {
        let token = forge(&json!({"sub": id, "aud": aud, "exp": exp}));
        refused_jwt(&s, &token, &format!("aud {aud}")).await;
    }
    refused_jwt(&s, &forge(&json!({"sub": id, "exp": exp})), "no aud").await;
    let reset = s.reset_token(email, 1).await;
    refused_jwt(&s, &reset, "the mailed reset token").await;
    let verify = s.verify_token(email, 1).await;
    refused_jwt(&s, &verify, "the mailed verification token").await;
    s.assert_alive().await;
}

// --- SEC-JWT-05 ---------------------------------------------------------------------------

/// Expired, missing, mistyped and out-of-range `exp`, and `nbf` in the future: 401, never 500.
async fn bad_exp_and_nbf<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let email = "expiry@example.com";
    let id = id_of(&s.user(email).await);
    let sub = json!(id).to_string();
    let aud = json!([AUTH]).to_string();
    let with_exp = |exp: &str| format!(r#"{{"sub":{sub},"aud":{aud},"exp":{exp}}}"#);
    let soon = (now() + 600).to_string();
    accepted_jwt(&s, &forge_raw(&with_exp(&soon)), email, "control").await;
    let past_nbf = format!(
        r#"{{"sub":{sub},"aud":{aud},"exp":{soon},"nbf":{}}}"#,
        now() - 60
    );
    accepted_jwt(&s, &forge_raw(&past_nbf), email, "control: nbf in the past").await;

    let cases = [
        ("exp 120 s ago", with_exp(&(now() - 120).to_string())),
        ("no exp", format!(r#"{{"sub":{sub},"aud":{aud}}}"#)),
        ("exp as a string", with_exp(r#""9999999999""#)),
        ("exp 1e20", with_exp("1e20")),
        ("exp -1", with_exp("-1")),
        ("exp 2^64", with_exp("18446744073709551616")),
        ("exp 2^64 as a float", with_exp("18446744073709551616.0")),
        ("exp 1e400", with_exp("1e400")),
        ("exp null", with_exp("null")),
        ("exp true", with_exp("true")),
        ("exp a list", with_exp(&format!("[{soon}]"))),
        (
            "nbf one hour ahead",
            format!(
                r#"{{"sub":{sub},"aud":{aud},"exp":{},"nbf":{}}}"#,
                now() + 7200,
                now() + 3600
            ),
        ),
        (
            "nbf as a string one hour ahead",
            format!(
                r#"{{"sub":{sub},"aud":{aud},"exp":{soon},"nbf":"{}"}}"#,
                now() + 3600
            ),
        ),
    ];
    for (label, claims) in cases {
        refused_jwt(&s, &forge_raw(&claims), label).await;
    }
    s.assert_alive().await;
}

// --- SEC-JWT-06 ---------------------------------------------------------------------------

/// Tokens in the query string (`access_token`, `token`) with no header: 401 on the protected
/// routes and on logout; a database token sent that way is not destroyed.
async fn token_in_query<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let email = "query@example.com";
    s.user(email).await;
    let jwt = s.bearer("jwt", email, PASSWORD).await;
    let db = s.bearer("db", email, PASSWORD).await;
    for token in [&jwt, &db] {
        for param in ["access_token", "token"] {
            for path in ["/users/me", "/authenticated-route"] {
                let answer = s
                    .send(s.client.get(s.at(&format!("{path}?{param}={token}"))))
                    .await;
                assert_unauthorized(&answer, &format!("GET {path}?{param}="));
            }
            for backend in ["jwt", "cookie", "db", "dbcookie"] {
                let path = format!("/auth/{backend}/logout");
                let answer = s
                    .send(s.client.post(s.at(&format!("{path}?{param}={token}"))))
                    .await;
                assert_unauthorized(&answer, &format!("POST {path}?{param}="));
            }
        }
    }
    assert_me(
        &s.me_bearer(&jwt).await,
        email,
        "control: JWT in the header",
    );
    assert_me(
        &s.me_bearer(&db).await,
        email,
        "the database token survived",
    );
    s.assert_alive().await;
}

// --- SEC-JWT-07 ---------------------------------------------------------------------------

/// 1000 database-token logins: distinct 43-character base64url tokens (32 bytes), the table
/// holds exactly their SHA-256 digests and never a token. Transport: a database token works
/// through the transports of database-token backends (bearer `db`, and the `fastapiusersdb`
/// cookie of `dbcookie`, which reads the same table: the transport finds the credential, the
/// strategy judges it, §4.3 of the contract) and nowhere else; on a server whose strategies
/// have one transport each, a database token works only as bearer and a JWT only as the
/// cookie: a database token is refused as a JWT and a JWT as a database token.
async fn database_tokens<P: Into<DbPool>>(pool: P) {
    let pool: DbPool = pool.into();
    let s = start(pool.clone()).await;
    let email = "many@example.com";
    s.user(email).await;
    let tokens: Vec<String> = futures_util::stream::iter(0..1000)
        .map(|_| s.bearer("db", email, PASSWORD))
        .buffer_unordered(4)
        .collect()
        .await;
    let distinct: HashSet<&String> = tokens.iter().collect();
    assert_eq!(distinct.len(), 1000, "every login issued a new token");
    for token in &tokens {
        assert_eq!(token.len(), 43, "{token}");
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{token}"
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(token).expect("base64url").len(), 32);
    }
    let digests = s.token_digests().await;
    assert_eq!(digests.len(), 1000);
    for digest in &digests {
        assert_eq!(digest.len(), 64, "{digest}");
        assert!(
            digest
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
            "{digest}"
        );
    }
    let stored: HashSet<&str> = digests.iter().map(String::as_str).collect();
    let expected: HashSet<String> = tokens.iter().map(|t| sha256_hex(t)).collect();
    let expected: HashSet<&str> = expected.iter().map(String::as_str).collect();
    assert_eq!(stored, expected, "the table holds exactly the digests");
    for token in &tokens {
        assert!(!stored.contains(token.as_str()), "a token stored in clear");
    }

    // Through which transports a token works, on the harness server.
    let db = &tokens[0];
    let jwt = s.bearer("jwt", email, PASSWORD).await;
    assert_me(&s.me_bearer(db).await, email, "database token as bearer");
    assert_me(
        &s.me_cookie(DB_COOKIE, db).await,
        email,
        "database token as the cookie of the database-token cookie backend",
    );
    assert_unauthorized(
        &s.me_cookie(JWT_COOKIE, db).await,
        "database token as the JWT cookie",
    );
    assert_unauthorized(
        &s.me_cookie(DB_COOKIE, &jwt).await,
        "JWT as the database-token cookie",
    );
    for header in [
        format!("Token {db}"),
        format!("Basic {}", STANDARD.encode(format!("{email}:{db}"))),
        db.to_string(),
        format!("Bearer{db}"),
    ] {
        let answer = s
            .send(
                s.client
                    .get(s.at("/users/me"))
                    .header("authorization", &header),
            )
            .await;
        assert_unauthorized(&answer, "database token under another scheme");
    }
    s.assert_alive().await;

    // One transport per strategy.
    let split = split_server(pool).await;
    let db = split.bearer("db", email, PASSWORD).await;
    let jwt = split.cookie("cookie", email, PASSWORD).await;
    assert_me(
        &split.me_bearer(&db).await,
        email,
        "split: database token as bearer",
    );
    assert_me(
        &split.me_cookie(JWT_COOKIE, &jwt).await,
        email,
        "split: JWT as cookie",
    );
    assert_unauthorized(
        &split.me_cookie(JWT_COOKIE, &db).await,
        "split: a database token is not a JWT",
    );
    assert_unauthorized(
        &split.me_cookie(DB_COOKIE, &db).await,
        "split: no backend reads the database-token cookie",
    );
    assert_unauthorized(
        &split.me_bearer(&jwt).await,
        "split: a JWT is not a database token",
    );
    assert_unauthorized(
        &split
            .send(
                split
                    .client
                    .post(split.at("/auth/db/logout"))
                    .bearer_auth(&jwt),
            )
            .await,
        "split: database-token logout with a JWT",
    );
    split.assert_alive().await;
}

// --- SEC-JWT-08 ---------------------------------------------------------------------------

/// Two logins in the same second on each backend give different tokens (JWTs differ by a
/// 22-character `jti`), and each cookie login sets a new value; all of them work.
async fn fresh_token_per_login<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let email = "twice@example.com";
    s.user(email).await;

    // JWTs: find a pair issued in the same second (`iat`); a pair straddling a second
    // boundary is retried.
    let mut same_second = false;
    for _ in 0..20 {
        let a = s.bearer("jwt", email, PASSWORD).await;
        let b = s.bearer("jwt", email, PASSWORD).await;
        assert_ne!(a, b);
        let (pa, pb) = (segment(&a, 1), segment(&b, 1));
        for p in [&pa, &pb] {
            assert_eq!(p["jti"].as_str().expect("jti").len(), 22, "{p}");
        }
        assert_ne!(pa["jti"], pb["jti"]);
        accepted_jwt(&s, &a, email, "first JWT").await;
        accepted_jwt(&s, &b, email, "second JWT").await;
        if pa["iat"] == pb["iat"] {
            assert_eq!(pa["exp"], pb["exp"]);
            same_second = true;
            break;
        }
    }
    assert!(same_second, "no two logins fell in the same second");

    for backend in ["cookie", "dbcookie"] {
        let name = harness::cookie_name(backend);
        let a = s.cookie(backend, email, PASSWORD).await;
        let b = s.cookie(backend, email, PASSWORD).await;
        assert_ne!(a, b, "{backend}: each cookie login sets a new value");
        assert_me(&s.me_cookie(name, &a).await, email, backend);
        assert_me(&s.me_cookie(name, &b).await, email, backend);
    }
    let a = s.bearer("db", email, PASSWORD).await;
    let b = s.bearer("db", email, PASSWORD).await;
    assert_ne!(a, b, "db: each login issues a new token");
    assert_me(&s.me_bearer(&a).await, email, "db");
    assert_me(&s.me_bearer(&b).await, email, "db");
    s.assert_alive().await;
}

// --- SEC-REV-01 ---------------------------------------------------------------------------

/// After a superuser deletes the account, the tokens of every backend are 401 everywhere (a
/// forged JWT for the old id too) and no token row is left.
async fn deleted_user<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let admin = s.superuser("admin@example.com").await;
    let email = "gone@example.com";
    let id = id_of(&s.user(email).await);
    let mut creds = credentials(&s, email).await;
    creds.push(Cred {
        backend: "db",
        via: Via::Bearer,
        token: s.bearer("db", email, PASSWORD).await,
    });
    for cred in &creds {
        cred.assert_alive(&s, email, "before deletion").await;
    }
    assert_eq!(s.token_digests().await.len(), 3);
    let deleted = s
        .send(
            s.client
                .delete(s.at(&format!("/users/{id}")))
                .bearer_auth(&admin),
        )
        .await;
    assert_no_content(&deleted, "DELETE /users/{id}");
    for cred in &creds {
        cred.assert_dead(&s, "after deletion").await;
    }
    assert!(s.token_digests().await.is_empty(), "token rows left");
    refused_jwt(&s, &forge(&good(&id)), "a fresh JWT for the deleted id").await;
    let login = s.login("jwt", email, PASSWORD).await;
    assert_eq!(login.status, StatusCode::BAD_REQUEST, "{}", login.raw);
    assert_eq!(login.body, json!({"detail": "LOGIN_BAD_CREDENTIALS"}));
    s.assert_alive().await;
}

// --- SEC-REV-02 ---------------------------------------------------------------------------

/// After a superuser sets `is_active: false`, every credential is 401 on `/users/me`,
/// `/authenticated-route` and logout, and the database tokens are gone; after reactivation
/// the old database tokens stay 401. (Compat: the old JWTs work again once the user is
/// active, since a JWT is stateless and the user is re-read on each request; new logins
/// work.)
async fn deactivated_user<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let admin = s.superuser("admin@example.com").await;
    let email = "paused@example.com";
    let id = id_of(&s.user(email).await);
    let creds = credentials(&s, email).await;
    for cred in &creds {
        cred.assert_alive(&s, email, "before deactivation").await;
    }
    let off = admin_patch(&s, &admin, &id, json!({"is_active": false})).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.raw);
    assert_eq!(off.body["is_active"], false);
    for cred in &creds {
        cred.assert_dead(&s, "inactive").await;
    }
    assert!(
        s.token_digests().await.is_empty(),
        "deactivation deletes the database tokens"
    );
    let login = s.login("db", email, PASSWORD).await;
    assert_eq!(login.status, StatusCode::BAD_REQUEST, "{}", login.raw);
    assert_eq!(login.body, json!({"detail": "LOGIN_BAD_CREDENTIALS"}));

    let on = admin_patch(&s, &admin, &id, json!({"is_active": true})).await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.raw);
    assert_eq!(on.body["is_active"], true);
    for cred in creds.iter().filter(|c| c.backend.starts_with("db")) {
        cred.assert_dead(&s, "reactivated").await;
    }
    for cred in creds.iter().filter(|c| !c.backend.starts_with("db")) {
        cred.assert_alive(&s, email, "reactivated (compat: JWTs are stateless)")
            .await;
    }
    for cred in credentials(&s, email).await {
        cred.assert_alive(&s, email, "a new login after reactivation")
            .await;
    }
    s.assert_alive().await;
}

// --- SEC-REV-03 ---------------------------------------------------------------------------

/// With database tokens A and B, logging out with A (204) kills A everywhere (including a
/// second logout) and leaves B working; on both database-token backends.
async fn logout_kills_one_token<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let email = "twotokens@example.com";
    s.user(email).await;
    let mut kept = Vec::new();
    for (backend, via) in [("db", Via::Bearer), ("dbcookie", Via::Cookie(DB_COOKIE))] {
        let mut pair = Vec::new();
        for _ in 0..2 {
            let token = match via {
                Via::Bearer => s.bearer(backend, email, PASSWORD).await,
                Via::Cookie(_) => s.cookie(backend, email, PASSWORD).await,
            };
            pair.push(Cred {
                backend,
                via,
                token,
            });
        }
        let (a, b) = (&pair[0], &pair[1]);
        a.assert_alive(&s, email, "A before logout").await;
        assert_no_content(&a.logout(&s).await, &format!("{backend}: logout with A"));
        a.assert_dead(&s, "A after logout").await;
        // A is also refused by the other database-token backend, which reads the same table.
        let other = match via {
            Via::Bearer => Cred {
                backend: "dbcookie",
                via: Via::Cookie(DB_COOKIE),
                token: a.token.clone(),
            },
            Via::Cookie(_) => Cred {
                backend: "db",
                via: Via::Bearer,
                token: a.token.clone(),
            },
        };
        other.assert_dead(&s, "A through the other transport").await;
        b.assert_alive(&s, email, "B after A's logout").await;
        kept.push(sha256_hex(&b.token));
    }
    let mut digests = s.token_digests().await;
    digests.sort();
    kept.sort();
    assert_eq!(digests, kept, "only the B tokens are left");
    s.assert_alive().await;
}

// --- SEC-REV-04 (compat) ------------------------------------------------------------------

/// Compat (documented gap, security.md §3.11): JWT logout revokes nothing. After
/// `/auth/jwt/logout` (204) the bearer JWT keeps working until its `exp`, also re-encoded with
/// another header key order; the same for the JWT cookie after `/auth/cookie/logout`.
async fn compat_jwt_logout_revokes_nothing<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let email = "stateless@example.com";
    s.user(email).await;
    let token = s.bearer("jwt", email, PASSWORD).await;
    let payload = segment(&token, 1);
    let exp = payload["exp"].as_i64().expect("exp");
    let iat = payload["iat"].as_i64().expect("iat");
    assert_eq!(exp - iat, 3600, "the token lives until its exp");
    let jwt = Cred {
        backend: "jwt",
        via: Via::Bearer,
        token: token.clone(),
    };
    assert_no_content(&jwt.logout(&s).await, "JWT logout");
    jwt.assert_alive(&s, email, "after JWT logout (compat)")
        .await;
    assert_no_content(&jwt.logout(&s).await, "a second JWT logout");

    // The same claims under the header members in the reverse order.
    let header = segment(&token, 0);
    let Value::Object(members) = header else {
        panic!("header is not an object")
    };
    let reversed: Map<String, Value> = members.into_iter().rev().collect();
    let issued_header = token.split('.').next().expect("header");
    let reencoded_header = Value::Object(reversed).to_string();
    assert_ne!(b64(&reencoded_header), issued_header, "the header changed");
    let raw_payload = URL_SAFE_NO_PAD
        .decode(token.split('.').nth(1).expect("payload"))
        .expect("payload");
    let reencoded = assemble(
        &reencoded_header,
        std::str::from_utf8(&raw_payload).expect("utf-8"),
        &EncodingKey::from_secret(SECRET.as_bytes()),
        Algorithm::HS256,
    );
    assert_ne!(reencoded, token);
    accepted_jwt(&s, &reencoded, email, "re-encoded after logout (compat)").await;

    let cookie = Cred {
        backend: "cookie",
        via: Via::Cookie(JWT_COOKIE),
        token: s.cookie("cookie", email, PASSWORD).await,
    };
    assert_no_content(&cookie.logout(&s).await, "cookie logout");
    cookie
        .assert_alive(&s, email, "JWT cookie replayed after logout (compat)")
        .await;
    s.assert_alive().await;
}

// --- SEC-REV-05 ---------------------------------------------------------------------------

/// Cookie logout: 204, one `Set-Cookie` clearing the cookie (value `""`, `Max-Age=0`, the
/// login cookie's other attributes); the replayed database-token cookie is 401 everywhere.
async fn cookie_logout<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let email = "cookies@example.com";
    s.user(email).await;
    for backend in ["cookie", "dbcookie"] {
        let name = harness::cookie_name(backend);
        let login = s.login(backend, email, PASSWORD).await;
        assert_no_content(&login, &format!("{backend} login"));
        let login_cookies = login.set_cookies();
        assert_eq!(login_cookies.len(), 1, "{login_cookies:?}");
        let value = login.cookie(name).expect("login cookie");
        let cred = Cred {
            backend,
            via: Via::Cookie(name),
            token: value,
        };
        cred.assert_alive(&s, email, "before logout").await;

        let logout = cred.logout(&s).await;
        assert_no_content(&logout, &format!("{backend} logout"));
        let cleared = logout.set_cookies();
        assert_eq!(cleared.len(), 1, "{cleared:?}");
        assert_eq!(
            cleared[0],
            format!("{name}=\"\"; HttpOnly; Max-Age=0; Path=/; SameSite=lax; Secure")
        );
        assert_eq!(logout.cookie(name).as_deref(), Some("\"\""));
        let attributes = |set_cookie: &str| -> Vec<String> {
            set_cookie
                .split(';')
                .skip(1)
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.starts_with("Max-Age="))
                .collect()
        };
        assert_eq!(
            attributes(&cleared[0]),
            attributes(&login_cookies[0]),
            "the clearing cookie has the login cookie's Path, Domain, Secure, HttpOnly, SameSite"
        );
        assert!(login_cookies[0].contains("; Max-Age=3600;"));
        assert!(!login_cookies[0].contains("Domain="));

        if backend == "dbcookie" {
            cred.assert_dead(&s, "database-token cookie replayed after logout")
                .await;
            let as_bearer = s.me_bearer(&cred.token).await;
            assert_unauthorized(&as_bearer, "the logged-out database token as bearer");
        } else {
            // Compat: a JWT cookie outlives logout until its exp (SEC-REV-04).
            cred.assert_alive(&s, email, "JWT cookie replayed after logout (compat)")
                .await;
        }
    }
    assert!(s.token_digests().await.is_empty());
    s.assert_alive().await;
}

// --- SEC-REV-06 (compat) ------------------------------------------------------------------

/// Compat (documented, security.md §3.1): a password change by reset, and separately by
/// `PATCH /users/me`, leaves the old database tokens and JWTs of every backend valid; the old
/// password stops working and the new one logs in.
async fn compat_password_change_keeps_credentials<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let email = "changer@example.com";
    s.user(email).await;
    let before_reset = credentials(&s, email).await;

    let token = s.reset_token(email, 1).await;
    let reset = s
        .post(
            "/auth/reset-password",
            json!({"token": token, "password": "a-new-password-1"}),
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.raw);
    assert_eq!(reset.body, Value::Null);
    for cred in &before_reset {
        cred.assert_alive(&s, email, "after a reset (compat)").await;
    }
    let old = s.login("jwt", email, PASSWORD).await;
    assert_eq!(old.body, json!({"detail": "LOGIN_BAD_CREDENTIALS"}));

    let before_patch = credentials_with(&s, email, "a-new-password-1").await;
    let sender = &before_patch[0];
    let patch = s
        .send(
            sender
                .on(s.client.patch(s.at("/users/me")))
                .json(&json!({"password": "a-newer-password-2"})),
        )
        .await;
    assert_eq!(patch.status, StatusCode::OK, "{}", patch.raw);
    for cred in before_reset.iter().chain(&before_patch) {
        cred.assert_alive(&s, email, "after PATCH /users/me (compat)")
            .await;
    }
    let old = s.login("jwt", email, "a-new-password-1").await;
    assert_eq!(old.body, json!({"detail": "LOGIN_BAD_CREDENTIALS"}));
    s.bearer("jwt", email, "a-newer-password-2").await;
    s.assert_alive().await;
}

/// One credential from each backend for `email` with `password`.
async fn credentials_with(s: &S, email: &str, password: &str) -> Vec<Cred> {
    vec![
        Cred {
            backend: "jwt",
            via: Via::Bearer,
            token: s.bearer("jwt", email, password).await,
        },
        Cred {
            backend: "cookie",
            via: Via::Cookie(JWT_COOKIE),
            token: s.cookie("cookie", email, password).await,
        },
        Cred {
            backend: "db",
            via: Via::Bearer,
            token: s.bearer("db", email, password).await,
        },
        Cred {
            backend: "dbcookie",
            via: Via::Cookie(DB_COOKIE),
            token: s.cookie("dbcookie", email, password).await,
        },
    ]
}

// --- SEC-REV-07 ---------------------------------------------------------------------------

/// With 3 s lifetimes, the bearer JWT, the database token and both cookies (sent by hand past
/// their `Max-Age=3`) are 401 once 4 s have passed.
async fn expired_credentials<P: Into<DbPool>>(pool: P) {
    let s = start_with::<SecUser>(pool, Knobs::short()).await;
    let email = "brief@example.com";
    s.user(email).await;
    for backend in ["cookie", "dbcookie"] {
        let login = s.login(backend, email, PASSWORD).await;
        assert!(
            login.set_cookies()[0].contains("; Max-Age=3;"),
            "{:?}",
            login.set_cookies()
        );
    }
    let creds = credentials(&s, email).await;
    for cred in &creds {
        cred.assert_alive(&s, email, "fresh").await;
    }
    tokio::time::sleep(Duration::from_secs(3 + 1)).await;
    for cred in &creds {
        cred.assert_dead(&s, "past the lifetime").await;
    }
    s.assert_alive().await;
}

crate::on_every_database! {
    sec_jwt_01_alg_none_is_refused => alg_none;
    sec_jwt_02_algorithm_confusion_is_refused => algorithm_confusion;
    sec_jwt_03_header_keys_are_never_used_or_fetched => header_keys_are_ignored;
    sec_jwt_04_other_audiences_are_refused => wrong_audience;
    sec_jwt_05_bad_exp_and_future_nbf_are_refused => bad_exp_and_nbf;
    sec_jwt_06_query_string_tokens_are_ignored => token_in_query;
    sec_jwt_07_database_tokens_are_random_hashed_and_transport_bound => database_tokens;
    sec_jwt_08_each_login_issues_a_new_token => fresh_token_per_login;
    sec_rev_01_deleted_user_tokens_are_dead => deleted_user;
    sec_rev_02_deactivated_user_tokens_are_dead => deactivated_user;
    sec_rev_03_logout_kills_only_that_database_token => logout_kills_one_token;
    sec_rev_04_compat_jwt_logout_revokes_nothing => compat_jwt_logout_revokes_nothing;
    sec_rev_05_cookie_logout_clears_and_revokes => cookie_logout;
    sec_rev_06_compat_password_change_keeps_credentials => compat_password_change_keeps_credentials;
    sec_rev_07_expired_credentials_are_refused => expired_credentials;
}
