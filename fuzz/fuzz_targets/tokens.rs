//! Token decoders: access JWTs, purpose (reset/verify) JWTs, and the transports that read a
//! bearer header or the auth cookie before a database or Redis token is hashed and looked up.
//! Any input: an answer, never a panic; nothing unsigned is accepted.
#![no_main]

use std::sync::LazyLock;

use axum_users::auth::jwt::PurposeTokens;
use axum_users::auth::{CookieSettings, JwtStrategy, Transport, database};
use http::{HeaderMap, HeaderValue, header};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "fuzz-secret-fuzz-secret-fuzz-secret!";

static ACCESS: LazyLock<JwtStrategy> =
    LazyLock::new(|| JwtStrategy::hs256(SECRET, 3600).expect("strategy"));
static RESET: LazyLock<PurposeTokens> = LazyLock::new(|| {
    PurposeTokens::new(SECRET, "fastapi-users:reset", 3600).expect("purpose tokens")
});
static BEARER: LazyLock<Transport> = LazyLock::new(|| Transport::bearer("auth/jwt/login"));
static COOKIE: LazyLock<Transport> = LazyLock::new(|| Transport::cookie(CookieSettings::default()));

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Whatever the bytes, nothing signed with our secret can come out of them.
    assert!(ACCESS.read_sub(&text).is_none());
    assert!(RESET.read(&text).is_none());
    // The database and Redis strategies store and look up a digest of what the transport read.
    let digest = database::token_hash(&text);
    assert_eq!(digest.len(), 64);
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(data) {
        headers.insert(header::AUTHORIZATION, value.clone());
        headers.insert(header::COOKIE, value);
        // `Bearer ` with nothing after it reads as an empty token (documented; it then
        // fails like any bad token); an empty cookie reads as no cookie.
        for (transport, may_be_empty) in [(&*BEARER, true), (&*COOKIE, false)] {
            if let Some(token) = transport.read(&headers) {
                assert!(may_be_empty || !token.is_empty());
                assert!(ACCESS.read_sub(&token).is_none());
                let _ = database::token_hash(&token);
            }
        }
    }
});
