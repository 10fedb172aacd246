//! Accounts: SEC-RESET-*, SEC-VERIFY-*, SEC-ENUM-*, SEC-EMAIL-*.
//!
//! The account-recovery, verification, enumeration and email-identity rows of security.md §4
//! (4.5, 4.6, 4.7, 4.11), each a black-box test over loopback HTTP against the attacked server
//! of `tests/security/harness.rs`, on every database (SQLite always; PostgreSQL and MariaDB
//! when their URL variables are set). Tokens are read from the in-memory inbox as
//! a user reads mail; forged tokens are signed with the configured secret. Every case checks
//! the exact status and body of each answer, that no answer was a 5xx, who logs in with which
//! password (and `is_verified`) afterwards, and that the server still answers.
//!
//! SEC-RESET-03 and SEC-RACE-01 live in `races.rs`; SEC-ENUM-04 waits for rate limits (see
//! `security.rs`). Timing is never asserted here: `examples/timing` measures it (§5.3).

mod common;
#[path = "security/harness.rs"]
mod harness;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum_users::mail::MailKind;
use axum_users::{DbPool, UserStore as _};
use base64::Engine as _;
use harness::{
    Answer, Knobs, MailMode, PASSWORD, Sec, SecUser, detail, forge, fresh_client, now, read, start,
    start_with,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

type S = Sec<SecUser>;

const TRIALS: usize = 3;

/// `400 {"detail": "RESET_PASSWORD_BAD_TOKEN"}`.
fn reset_bad_token() -> (StatusCode, Value) {
    (StatusCode::BAD_REQUEST, detail("RESET_PASSWORD_BAD_TOKEN"))
}

/// `400 {"detail": "VERIFY_USER_BAD_TOKEN"}`.
fn verify_bad_token() -> (StatusCode, Value) {
    (StatusCode::BAD_REQUEST, detail("VERIFY_USER_BAD_TOKEN"))
}

/// `400 {"detail": "LOGIN_BAD_CREDENTIALS"}`.
fn bad_credentials() -> (StatusCode, Value) {
    (StatusCode::BAD_REQUEST, detail("LOGIN_BAD_CREDENTIALS"))
}

/// `202 null`.
fn accepted() -> (StatusCode, Value) {
    (StatusCode::ACCEPTED, Value::Null)
}

fn pair(answer: &Answer) -> (StatusCode, Value) {
    (answer.status, answer.body.clone())
}

/// The headers of an answer apart from `Date`, sorted (for the enumeration comparisons).
fn headers_but_date(answer: &Answer) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = answer
        .headers
        .iter()
        .filter(|(name, _)| *name != reqwest::header::DATE)
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                value.to_str().expect("ascii header").to_owned(),
            )
        })
        .collect();
    headers.sort();
    headers
}

/// The claims of a JWT, read without checking it (the test is the mail's reader).
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

async fn reset(s: &S, token: &str, password: &str) -> Answer {
    s.post(
        "/auth/reset-password",
        json!({"token": token, "password": password}),
    )
    .await
}

async fn verify(s: &S, token: &str) -> Answer {
    s.post("/auth/verify", json!({"token": token})).await
}

async fn forgot(s: &S, email: &str) -> Answer {
    s.post("/auth/forgot-password", json!({"email": email}))
        .await
}

async fn request_verify(s: &S, email: &str) -> Answer {
    s.post("/auth/request-verify-token", json!({"email": email}))
        .await
}

async fn patch(s: &S, bearer: &str, path: &str, body: Value) -> Answer {
    s.send(s.client.patch(s.at(path)).bearer_auth(bearer).json(&body))
        .await
}

/// Asserts that `email`/`password` logs in on the JWT backend (`true`) or gets the one
/// `LOGIN_BAD_CREDENTIALS` answer (`false`).
async fn assert_login(s: &S, email: &str, password: &str, works: bool) {
    let answer = s.login("jwt", email, password).await;
    if works {
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{email}/{password} should log in: {}",
            answer.raw
        );
    } else {
        assert_eq!(
            pair(&answer),
            bad_credentials(),
            "{email}/{password} must not log in"
        );
    }
}

/// The stored user with this id.
async fn stored(s: &S, id: &Value) -> Option<SecUser> {
    let id: uuid::Uuid = id.as_str().expect("id").parse().expect("uuid");
    s.users.get(&id).await.expect("read user")
}

/// How many users are stored.
async fn user_count(s: &S) -> u64 {
    s.users.store().count().await.expect("count")
}

/// Deactivates (or reactivates) the user `id` as superuser `admin`.
async fn set_active(s: &S, admin: &str, id: &Value, active: bool) {
    let id = id.as_str().expect("id");
    let answer = patch(
        s,
        admin,
        &format!("/users/{id}"),
        json!({ "is_active": active }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
    assert_eq!(answer.body["is_active"], json!(active));
}

/// Waits until no mail arrives for 300 ms (the token hooks run in spawned tasks).
async fn settle(s: &S) {
    let mut seen = s.inbox.all().len();
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = s.inbox.all().len();
        if now == seen {
            return;
        }
        seen = now;
    }
}

/// Sends every request at once (a barrier releases them together, each on a connection of
/// its own) and returns the answers in order; none may be a 5xx.
async fn race(requests: Vec<reqwest::RequestBuilder>) -> Vec<Answer> {
    let barrier = Arc::new(tokio::sync::Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                read(request.send().await.expect("request")).await
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        let answer = task.await.expect("task");
        assert!(
            !answer.status.is_server_error(),
            "a racer got {} {}",
            answer.status,
            answer.raw
        );
        answers.push(answer);
    }
    answers
}

/// SEC-RESET-01: reset(T, p1), then reset(T, p2): 200 `null`, then 400; only p1 logs in.
async fn reset_once<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let email = "reuse@example.com";
    let user = s.user(email).await;
    // Verified first, to see that a reset leaves `is_verified` alone (§3.3).
    let vt = s.verify_token(email, 1).await;
    assert_eq!(verify(&s, &vt).await.status, StatusCode::OK);

    let token = s.reset_token(email, 1).await;
    let first = reset(&s, &token, "first-new-password").await;
    assert_eq!(pair(&first), (StatusCode::OK, Value::Null));
    assert!(first.set_cookies().is_empty(), "a reset logs nobody in");
    assert_eq!(
        pair(&reset(&s, &token, "second-new-password").await),
        reset_bad_token()
    );
    // Not even the winning password again.
    assert_eq!(
        pair(&reset(&s, &token, "first-new-password").await),
        reset_bad_token()
    );

    assert_login(&s, email, "first-new-password", true).await;
    assert_login(&s, email, "second-new-password", false).await;
    assert_login(&s, email, PASSWORD, false).await;
    let now = stored(&s, &user["id"]).await.expect("user");
    assert!(now.is_verified && now.is_active);
    s.assert_alive().await;
}

/// SEC-RESET-02: T dies when the password changes (by the user, by a superuser), when the
/// email changes, and T1 dies when T2 was used.
async fn reset_token_dies_with_password<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let admin = s.superuser("admin@example.com").await;

    // The user changes the password by PATCH /users/me.
    let email = "self@example.com";
    s.user(email).await;
    let token = s.reset_token(email, 1).await;
    let bearer = s.bearer("jwt", email, PASSWORD).await;
    let changed = patch(
        &s,
        &bearer,
        "/users/me",
        json!({"password": "changed-by-me-1"}),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.raw);
    assert_eq!(
        pair(&reset(&s, &token, "attacker-password").await),
        reset_bad_token()
    );
    assert_login(&s, email, "changed-by-me-1", true).await;
    assert_login(&s, email, "attacker-password", false).await;
    assert_login(&s, email, PASSWORD, false).await;

    // A superuser changes the password by PATCH /users/{id}.
    let email = "managed@example.com";
    let user = s.user(email).await;
    let token = s.reset_token(email, 1).await;
    let id = user["id"].as_str().expect("id");
    let changed = patch(
        &s,
        &admin,
        &format!("/users/{id}"),
        json!({"password": "changed-by-admin"}),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.raw);
    assert_eq!(
        pair(&reset(&s, &token, "attacker-password").await),
        reset_bad_token()
    );
    assert_login(&s, email, "changed-by-admin", true).await;
    assert_login(&s, email, "attacker-password", false).await;

    // T1 after T2 was used.
    let email = "twice@example.com";
    s.user(email).await;
    let t1 = s.reset_token(email, 1).await;
    let t2 = s.reset_token(email, 2).await;
    assert_eq!(
        pair(&reset(&s, &t2, "password-from-t2").await),
        (StatusCode::OK, Value::Null)
    );
    assert_eq!(
        pair(&reset(&s, &t1, "password-from-t1").await),
        reset_bad_token()
    );
    assert_login(&s, email, "password-from-t2", true).await;
    assert_login(&s, email, "password-from-t1", false).await;

    // Also dead once the email changes (the fingerprint covers the email key, §3.3).
    let email = "mover@example.com";
    s.user(email).await;
    let token = s.reset_token(email, 1).await;
    let bearer = s.bearer("jwt", email, PASSWORD).await;
    let moved = patch(
        &s,
        &bearer,
        "/users/me",
        json!({"email": "moved@example.com"}),
    )
    .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.raw);
    assert_eq!(
        pair(&reset(&s, &token, "attacker-password").await),
        reset_bad_token()
    );
    assert_login(&s, "moved@example.com", PASSWORD, true).await;
    assert_login(&s, "moved@example.com", "attacker-password", false).await;
    s.assert_alive().await;
}

/// SEC-RESET-04: an expired token, forged tokens with a far `exp` and a wrong or missing
/// `password_fgpt`, and the tokens of a deleted and of an inactive user: 400 each.
async fn reset_token_refusals<P: Into<DbPool>>(pool: P) {
    let pool: DbPool = pool.into();
    // Two servers on one database: one with 3 s lifetimes for the expiry, one with the
    // defaults, so that the other refusals cannot be mistaken for expiry.
    let short = start_with::<SecUser>(pool.clone(), Knobs::short()).await;
    let s = start(pool).await;

    let email = "late@example.com";
    let late = short.user(email).await;
    let expiring = short.reset_token(email, 1).await;
    let minted = Instant::now();

    let admin = s.superuser("admin@example.com").await;

    // Forged: far `exp`, right audience and subject, wrong or missing fingerprint.
    let victim = s.user("victim@example.com").await;
    let attacker = s.user("attacker@example.com").await;
    let genuine = s.reset_token("attacker@example.com", 1).await;
    let far = now() + 10 * 365 * 24 * 3600;
    let forged = [
        json!({"sub": victim["id"], "password_fgpt": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0u8; 32]), "aud": "fastapi-users:reset", "exp": far}),
        json!({"sub": victim["id"], "password_fgpt": "wrong", "aud": "fastapi-users:reset", "exp": far}),
        json!({"sub": victim["id"], "password_fgpt": "", "aud": "fastapi-users:reset", "exp": far}),
        json!({"sub": victim["id"], "password_fgpt": 0, "aud": "fastapi-users:reset", "exp": far}),
        json!({"sub": victim["id"], "password_fgpt": null, "aud": "fastapi-users:reset", "exp": far}),
        json!({"sub": victim["id"], "aud": "fastapi-users:reset", "exp": far}),
        // The attacker's own genuine fingerprint, moved onto the victim.
        json!({"sub": victim["id"], "password_fgpt": claims(&genuine)["password_fgpt"], "aud": "fastapi-users:reset", "exp": far}),
    ];
    for claims in &forged {
        assert_eq!(
            pair(&reset(&s, &forge(claims), "attacker-password").await),
            reset_bad_token(),
            "{claims}"
        );
    }
    assert_login(&s, "victim@example.com", PASSWORD, true).await;
    assert_login(&s, "victim@example.com", "attacker-password", false).await;
    assert!(stored(&s, &attacker["id"]).await.is_some());

    // A deleted user's token.
    let email = "gone@example.com";
    let gone = s.user(email).await;
    let token = s.reset_token(email, 1).await;
    let id = gone["id"].as_str().expect("id");
    let deleted = s
        .send(
            s.client
                .delete(s.at(&format!("/users/{id}")))
                .bearer_auth(&admin),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.raw);
    assert_eq!(
        pair(&reset(&s, &token, "attacker-password").await),
        reset_bad_token()
    );
    assert!(stored(&s, &gone["id"]).await.is_none());
    // Registering the address again does not revive the token.
    s.user(email).await;
    assert_eq!(
        pair(&reset(&s, &token, "attacker-password").await),
        reset_bad_token()
    );
    assert_login(&s, email, PASSWORD, true).await;

    // An inactive user's token: refused, and the password is unchanged.
    let email = "sleeper@example.com";
    let sleeper = s.user(email).await;
    let token = s.reset_token(email, 1).await;
    set_active(&s, &admin, &sleeper["id"], false).await;
    let before = stored(&s, &sleeper["id"]).await.expect("user");
    assert_eq!(
        pair(&reset(&s, &token, "attacker-password").await),
        reset_bad_token()
    );
    let after = stored(&s, &sleeper["id"]).await.expect("user");
    assert_eq!(after.hashed_password, before.hashed_password);
    assert!(!after.is_active);
    // An inactive user asks no reset either (no mail).
    assert_eq!(pair(&forgot(&s, email).await), accepted());
    settle(&s).await;
    assert_eq!(s.inbox.tokens(MailKind::ResetPassword, email).len(), 1);
    set_active(&s, &admin, &sleeper["id"], true).await;
    assert_login(&s, email, PASSWORD, true).await;
    assert_login(&s, email, "attacker-password", false).await;

    // The expired token (3 s lifetime).
    tokio::time::sleep(Duration::from_secs(4).saturating_sub(minted.elapsed())).await;
    assert_eq!(
        pair(&reset(&short, &expiring, "attacker-password").await),
        reset_bad_token()
    );
    assert_login(&s, "late@example.com", PASSWORD, true).await;
    assert_login(&s, "late@example.com", "attacker-password", false).await;
    assert!(stored(&s, &late["id"]).await.is_some());
    s.assert_alive().await;
    short.assert_alive().await;
}

/// SEC-VERIFY-01: a verify token for a@x after the email changed to b@x: `is_verified` was
/// reset, 400 `VERIFY_USER_BAD_TOKEN`; a new token for b@x verifies.
async fn verify_token_dies_with_email<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let a = "alpha@example.com";
    let b = "bravo@example.com";
    let user = s.user(a).await;
    let t1 = s.verify_token(a, 1).await;
    let t2 = s.verify_token(a, 2).await;
    let verified = verify(&s, &t1).await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.raw);
    assert_eq!(verified.body["is_verified"], true);
    assert!(
        verified.set_cookies().is_empty(),
        "a verification logs nobody in"
    );

    let bearer = s.bearer("jwt", a, PASSWORD).await;
    let moved = patch(&s, &bearer, "/users/me", json!({"email": b})).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.raw);
    assert_eq!(moved.body["email"], b);
    assert_eq!(moved.body["is_verified"], false, "the change resets it");
    let now = stored(&s, &user["id"]).await.expect("user");
    assert_eq!((now.email.as_str(), now.is_verified), (b, false));

    for token in [&t1, &t2] {
        assert_eq!(pair(&verify(&s, token).await), verify_bad_token());
    }
    // The old address, registered by someone else, does not make the tokens work.
    s.user(a).await;
    for token in [&t1, &t2] {
        assert_eq!(pair(&verify(&s, token).await), verify_bad_token());
    }
    let now = stored(&s, &user["id"]).await.expect("user");
    assert!(!now.is_verified);
    let newcomer = s
        .users
        .get_by_email(a)
        .await
        .expect("lookup")
        .expect("user");
    assert!(!newcomer.is_verified);

    let tb = s.verify_token(b, 1).await;
    let ok = verify(&s, &tb).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.raw);
    assert_eq!(
        (&ok.body["email"], &ok.body["is_verified"]),
        (&json!(b), &json!(true))
    );
    assert_eq!(
        pair(&verify(&s, &tb).await),
        (
            StatusCode::BAD_REQUEST,
            detail("VERIFY_USER_ALREADY_VERIFIED")
        )
    );
    let now = stored(&s, &user["id"]).await.expect("user");
    assert_eq!((now.email.as_str(), now.is_verified), (b, true));
    assert_login(&s, b, PASSWORD, true).await;
    s.assert_alive().await;
}

/// SEC-VERIFY-02: 10 concurrent email changes alternating c1/c2 with request-verify calls
/// between, then every token collected: only tokens for the final stored email verify.
async fn verify_races_email_changes<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    for trial in 0..TRIALS {
        let original = format!("origin{trial}@example.com");
        let c = [
            format!("c1-{trial}@example.com"),
            format!("c2-{trial}@example.com"),
        ];
        let user = s.user(&original).await;
        let bearer = s.bearer("jwt", &original, PASSWORD).await;
        let mut tokens = vec![s.verify_token(&original, 1).await];

        let mut requests = Vec::new();
        for i in 0..10 {
            requests.push(
                fresh_client()
                    .patch(s.at("/users/me"))
                    .bearer_auth(&bearer)
                    .json(&json!({"email": c[i % 2]})),
            );
            requests.push(
                fresh_client()
                    .post(s.at("/auth/request-verify-token"))
                    .json(&json!({"email": c[(i + 1) % 2]})),
            );
        }
        let answers = race(requests).await;
        for (i, answer) in answers.iter().enumerate() {
            if i % 2 == 0 {
                assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
                assert_eq!(answer.body["is_verified"], false);
            } else {
                assert_eq!(pair(answer), accepted());
            }
        }
        settle(&s).await;
        let now = stored(&s, &user["id"]).await.expect("user");
        let last = now.email.clone();
        assert!(c.contains(&last), "{last} is neither c1 nor c2");
        assert!(!now.is_verified, "verified though no token was used");

        // Every verification mail went to the address its token is for.
        for mail in s.inbox.of(MailKind::Verify) {
            let token = mail.token.clone().expect("token");
            assert_eq!(claims(&token)["email"], json!(mail.to));
            if c.contains(&mail.to) {
                tokens.push(token);
            }
        }
        // One more for the final address, so that exactly one token can win.
        let n = s.inbox.tokens(MailKind::Verify, &last).len();
        tokens.push(s.verify_token(&last, n + 1).await);

        let mut winner = None;
        for token in &tokens {
            let answer = verify(&s, token).await;
            let for_address = claims(token)["email"].clone();
            if for_address != json!(last) {
                assert_eq!(
                    pair(&answer),
                    verify_bad_token(),
                    "a token for {for_address}"
                );
            } else if winner.is_none() {
                assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
                assert_eq!(answer.body["email"], json!(last));
                assert_eq!(answer.body["is_verified"], true);
                winner = Some(token.clone());
            } else {
                assert_eq!(
                    pair(&answer),
                    (
                        StatusCode::BAD_REQUEST,
                        detail("VERIFY_USER_ALREADY_VERIFIED")
                    )
                );
            }
        }
        let winner = winner.expect("a token for the final address verifies");
        let now = stored(&s, &user["id"]).await.expect("user");
        assert_eq!((now.email.as_str(), now.is_verified), (last.as_str(), true));
        assert_eq!(claims(&winner)["email"], json!(now.email));

        // The same race with verifications instead of requests: whenever the user ends up
        // verified, a token for the stored address is one that verified (never a token for
        // the address left behind).
        // A fresh token for each address, taken while the account holds it: first the other
        // address (the change makes the account unverified again), then the final one.
        let other = c.iter().find(|a| **a != last).expect("the other address");
        let mut held = Vec::new();
        for address in [other, &last] {
            let moved = patch(&s, &bearer, "/users/me", json!({"email": address})).await;
            assert_eq!(moved.status, StatusCode::OK, "{}", moved.raw);
            assert_eq!(moved.body["is_verified"], false);
            let n = s.inbox.tokens(MailKind::Verify, address).len();
            held.push(s.verify_token(address, n + 1).await);
        }
        let mut requests = Vec::new();
        for i in 0..10 {
            requests.push(
                fresh_client()
                    .patch(s.at("/users/me"))
                    .bearer_auth(&bearer)
                    .json(&json!({"email": c[i % 2]})),
            );
            requests.push(
                fresh_client()
                    .post(s.at("/auth/verify"))
                    .json(&json!({"token": held[(i + 1) % 2]})),
            );
        }
        let answers = race(requests).await;
        let mut verified_for = BTreeSet::new();
        for (i, answer) in answers.iter().enumerate() {
            if i % 2 == 0 {
                assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
                continue;
            }
            let for_address = claims(&held[((i / 2) + 1) % 2])["email"].clone();
            match answer.status {
                StatusCode::OK => {
                    assert_eq!(
                        answer.body["email"], for_address,
                        "verified another address"
                    );
                    verified_for.insert(for_address.as_str().expect("email").to_owned());
                }
                _ => assert!(
                    [
                        detail("VERIFY_USER_BAD_TOKEN"),
                        detail("VERIFY_USER_ALREADY_VERIFIED")
                    ]
                    .contains(&answer.body)
                        && answer.status == StatusCode::BAD_REQUEST,
                    "{} {}",
                    answer.status,
                    answer.raw
                ),
            }
        }
        let now = stored(&s, &user["id"]).await.expect("user");
        assert!(c.contains(&now.email));
        eprintln!(
            "trial {trial}: verified for {verified_for:?} during the race; ends {} verified={}",
            now.email, now.is_verified
        );
        if now.is_verified {
            assert!(
                verified_for.contains(&now.email),
                "verified for {} though no token for it verified ({verified_for:?})",
                now.email
            );
        }
        assert_login(&s, &now.email, PASSWORD, true).await;
    }
    s.assert_alive().await;
}

/// SEC-ENUM-01: a wrong password, an unknown email, an inactive user with the right and a
/// wrong password (and an address that does not parse) get one answer on every backend.
///
/// Timing is not asserted here (a benchmark, `examples/timing`, measures it, §5.3); the
/// OAuth-only user waits for social login (SEC-OAUTH, not built yet).
async fn login_failures_look_alike<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let admin = s.superuser("admin@example.com").await;
    s.user("known@example.com").await;
    let sleeper = s.user("sleeper@example.com").await;
    set_active(&s, &admin, &sleeper["id"], false).await;

    let attempts = [
        ("known@example.com", "a-wrong-password"),
        ("unknown@example.com", PASSWORD),
        ("unknown@example.com", "a-wrong-password"),
        ("sleeper@example.com", PASSWORD),
        ("sleeper@example.com", "a-wrong-password"),
        ("not an address", PASSWORD),
    ];
    let mut reference: Option<Vec<(String, String)>> = None;
    for backend in ["jwt", "cookie", "db", "dbcookie"] {
        for (email, password) in attempts {
            let answer = s.login(backend, email, password).await;
            assert_eq!(pair(&answer), bad_credentials(), "{backend} {email}");
            assert!(answer.set_cookies().is_empty(), "{backend} {email}");
            let headers = headers_but_date(&answer);
            match &reference {
                None => reference = Some(headers),
                Some(first) => assert_eq!(&headers, first, "{backend} {email}/{password}"),
            }
        }
    }
    assert!(
        s.token_digests().await.is_empty(),
        "no database token issued"
    );
    assert_login(&s, "known@example.com", PASSWORD, true).await;
    assert_login(&s, "sleeper@example.com", PASSWORD, false).await;
    s.assert_alive().await;
}

/// SEC-ENUM-02: forgot-password for an active user, an unknown email, an inactive user, and
/// the active user while the mailer fails or is slow: 202 `null` with the same headers; the
/// mail leaves in the background. Also request-verify-token (promise P1).
///
/// Timing is not asserted here (a benchmark, `examples/timing`, measures it, §5.3).
async fn forgot_password_looks_alike<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let admin = s.superuser("admin@example.com").await;
    let active = "active@example.com";
    let inactive = "inactive@example.com";
    let unknown = "unknown@example.com";
    s.user(active).await;
    let sleeper = s.user(inactive).await;
    set_active(&s, &admin, &sleeper["id"], false).await;

    let mut answers = Vec::new();
    for email in [active, unknown, inactive] {
        answers.push((email, "deliver", forgot(&s, email).await));
    }
    s.inbox.wait_token(MailKind::ResetPassword, active, 1).await;
    settle(&s).await;

    s.inbox.set_mode(MailMode::Fail);
    answers.push((active, "fail", forgot(&s, active).await));
    settle(&s).await;
    assert_eq!(s.inbox.tokens(MailKind::ResetPassword, active).len(), 1);

    s.inbox.set_mode(MailMode::Slow);
    let slow = forgot(&s, active).await;
    // The answer came before the mail landed: the mail is sent in the background.
    assert_eq!(s.inbox.tokens(MailKind::ResetPassword, active).len(), 1);
    answers.push((active, "slow", slow));
    let token = s.inbox.wait_token(MailKind::ResetPassword, active, 2).await;
    s.inbox.set_mode(MailMode::Deliver);

    // request-verify-token: unverified, unknown, inactive, and verified (the admin).
    for email in [active, unknown, inactive, "admin@example.com"] {
        answers.push((email, "verify", request_verify(&s, email).await));
    }
    s.inbox.wait_token(MailKind::Verify, active, 1).await;
    settle(&s).await;

    let reference = headers_but_date(&answers[0].2);
    for (email, mode, answer) in &answers {
        assert_eq!(pair(answer), accepted(), "{email} {mode}");
        assert_eq!(headers_but_date(answer), reference, "{email} {mode}");
    }
    // Mail went only where it should.
    let resets: Vec<String> = s
        .inbox
        .of(MailKind::ResetPassword)
        .into_iter()
        .map(|m| m.to)
        .collect();
    assert_eq!(resets, [active, active]);
    let verifies: Vec<String> = s
        .inbox
        .of(MailKind::Verify)
        .into_iter()
        .map(|m| m.to)
        .collect();
    assert_eq!(verifies, [active]);

    // The slowly delivered token works; the inactive user's password is unchanged.
    assert_eq!(
        pair(&reset(&s, &token, "after-the-slow-mail").await),
        (StatusCode::OK, Value::Null)
    );
    assert_login(&s, active, "after-the-slow-mail", true).await;
    set_active(&s, &admin, &sleeper["id"], true).await;
    assert_login(&s, inactive, PASSWORD, true).await;
    s.assert_alive().await;
}

/// SEC-ENUM-03 (compat): registering a taken address, in another letter case, in NFD or with
/// an upper-case domain: 400 `REGISTER_USER_ALREADY_EXISTS`, never a second account.
///
/// The project builds only the compat profile; paranoid registration (the answer of a new
/// signup plus a notice mail) is not built, so its half of the row has no test.
async fn taken_address_registration<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let created = s
        .register("Zo\u{eb}@Example.com", "the-owner-password")
        .await;
    assert_eq!(created["email"], "Zo\u{eb}@example.com");
    let variants = [
        "Zo\u{eb}@example.com",
        "zo\u{eb}@example.com",
        "ZO\u{cb}@example.com",
        "Zoe\u{308}@example.com",
        "zoe\u{308}@example.com",
        "Zo\u{eb}@EXAMPLE.COM",
        "ZOE\u{308}@EXAMPLE.COM",
        " Zo\u{eb}@Example.Com ",
    ];
    for variant in variants {
        let answer = s
            .post(
                "/auth/register",
                json!({"email": variant, "password": "the-attacker-password"}),
            )
            .await;
        assert_eq!(
            pair(&answer),
            (
                StatusCode::BAD_REQUEST,
                detail("REGISTER_USER_ALREADY_EXISTS")
            ),
            "{variant:?}"
        );
        assert!(answer.set_cookies().is_empty());
    }
    assert_eq!(user_count(&s).await, 1, "never a second account");
    settle(&s).await;
    let registered: Vec<String> = s
        .inbox
        .of(MailKind::Register)
        .into_iter()
        .map(|m| m.to)
        .collect();
    assert_eq!(registered, ["Zo\u{eb}@example.com"]);
    for variant in variants {
        assert_login(&s, variant, "the-owner-password", true).await;
        assert_login(&s, variant, "the-attacker-password", false).await;
    }
    let owner = stored(&s, &created["id"]).await.expect("user");
    assert_eq!(owner.email, "Zo\u{eb}@example.com");
    s.assert_alive().await;
}

/// SEC-EMAIL-01: `Alice@Example.COM` is stored `Alice@example.com`; `alice@example.com` logs
/// in; `ALICE@example.com` cannot register again.
async fn email_case<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let created = s.user("Alice@Example.COM").await;
    assert_eq!(created["email"], "Alice@example.com");
    let bearer = s.bearer("jwt", "alice@example.com", PASSWORD).await;
    let me = s.me_bearer(&bearer).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], "Alice@example.com");
    assert_eq!(me.body["id"], created["id"]);
    let again = s
        .post(
            "/auth/register",
            json!({"email": "ALICE@example.com", "password": "another-password"}),
        )
        .await;
    assert_eq!(
        pair(&again),
        (
            StatusCode::BAD_REQUEST,
            detail("REGISTER_USER_ALREADY_EXISTS")
        )
    );
    assert_eq!(user_count(&s).await, 1);
    let stored_user = stored(&s, &created["id"]).await.expect("user");
    assert_eq!(stored_user.email, "Alice@example.com");
    assert_login(&s, "ALICE@EXAMPLE.COM", PASSWORD, true).await;
    assert_login(&s, "alice@example.com", "another-password", false).await;
    // Mail goes to the stored form.
    assert_eq!(pair(&forgot(&s, "alice@example.com").await), accepted());
    s.inbox
        .wait_token(MailKind::ResetPassword, "Alice@example.com", 1)
        .await;
    s.assert_alive().await;
}

/// How one route treated a variant address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Treatment {
    /// As the stored address.
    Normalized,
    /// 422 (or, on login, which takes no JSON email, the unknown-user answer).
    Refused,
}

/// Asserts a 422 on the `email` field of a JSON body.
fn assert_422(answer: &Answer, what: &str) {
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {}",
        answer.raw
    );
    assert_eq!(
        answer.body["detail"][0]["loc"],
        json!(["body", "email"]),
        "{what}"
    );
}

/// Checks that every route treats `variant` of the stored `display` address (of the account
/// `id`, whose bearer is `bearer`) the same way; `other` is another user's bearer.
async fn same_on_every_route(
    s: &S,
    variant: &str,
    display: &str,
    id: &Value,
    bearer: &str,
    other: &str,
) -> Treatment {
    let what = format!("{variant:?}");
    let users = user_count(s).await;

    let register = s
        .post(
            "/auth/register",
            json!({"email": variant, "password": "a-second-account"}),
        )
        .await;
    let treatment = match register.status {
        StatusCode::BAD_REQUEST => {
            assert_eq!(
                register.body,
                detail("REGISTER_USER_ALREADY_EXISTS"),
                "{what}"
            );
            Treatment::Normalized
        }
        StatusCode::UNPROCESSABLE_ENTITY => {
            assert_422(&register, &what);
            Treatment::Refused
        }
        other => panic!("{what}: register answered {other} {}", register.raw),
    };
    assert_eq!(user_count(s).await, users, "{what}: never two accounts");

    let normalized = treatment == Treatment::Normalized;
    // Login takes a form `username`: one that does not parse is an unknown user (§3.4).
    assert_login(s, variant, PASSWORD, normalized).await;
    assert_login(s, variant, "a-second-account", false).await;

    let resets = s.inbox.tokens(MailKind::ResetPassword, display).len();
    let answer = forgot(s, variant).await;
    if normalized {
        assert_eq!(pair(&answer), accepted(), "{what}");
        s.inbox
            .wait_token(MailKind::ResetPassword, display, resets + 1)
            .await;
    } else {
        assert_422(&answer, &what);
    }

    let verifies = s.inbox.tokens(MailKind::Verify, display).len();
    let answer = request_verify(s, variant).await;
    if normalized {
        assert_eq!(pair(&answer), accepted(), "{what}");
        s.inbox
            .wait_token(MailKind::Verify, display, verifies + 1)
            .await;
    } else {
        assert_422(&answer, &what);
    }

    // PATCH by the owner: the same address (nothing changes); by someone else: taken.
    let own = patch(s, bearer, "/users/me", json!({"email": variant})).await;
    let taken = patch(s, other, "/users/me", json!({"email": variant})).await;
    if normalized {
        assert_eq!(own.status, StatusCode::OK, "{what}: {}", own.raw);
        assert_eq!(own.body["email"], display, "{what}");
        assert_eq!(
            pair(&taken),
            (
                StatusCode::BAD_REQUEST,
                detail("UPDATE_USER_EMAIL_ALREADY_EXISTS")
            ),
            "{what}"
        );
    } else {
        assert_422(&own, &what);
        assert_422(&taken, &what);
    }

    settle(s).await;
    // Every mail went to the stored form; the account is unchanged.
    for mail in s.inbox.all() {
        assert!(
            mail.to.trim() == mail.to && !mail.to.contains("xn--"),
            "{mail:?}"
        );
    }
    let now = stored(s, id).await.expect("user");
    assert_eq!(now.email, display, "{what}");
    assert!(!now.is_verified);
    assert_eq!(user_count(s).await, users, "{what}: never two accounts");
    assert_login(s, display, PASSWORD, true).await;
    treatment
}

/// SEC-EMAIL-02: surrounding whitespace, a line break, and a domain in Unicode against its
/// IDNA form: normalized or 422, the same way on register, login, forgot-password,
/// request-verify-token and `PATCH /users/me`; the two domain spellings are one account.
async fn email_spellings<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    s.user("eve@example.com").await;
    let other = s.bearer("jwt", "eve@example.com", PASSWORD).await;

    // (registered as, stored as, variants)
    let cases = [
        (
            "alice@example.com",
            "alice@example.com",
            vec![
                " alice@example.com",
                "alice@example.com\n",
                "alice@example.com ",
                "\talice@example.com",
                "\r\nalice@example.com",
            ],
        ),
        (
            "carol@b\u{fc}cher.example",
            "carol@b\u{fc}cher.example",
            vec!["carol@xn--bcher-kva.example", "carol@B\u{dc}CHER.example"],
        ),
        (
            "dave@xn--bcher-kva.example",
            "dave@b\u{fc}cher.example",
            vec!["dave@b\u{fc}cher.example", "dave@bu\u{308}cher.example"],
        ),
    ];
    for (registered, display, variants) in cases {
        let created = s.user(registered).await;
        assert_eq!(created["email"], display);
        let bearer = s.bearer("jwt", display, PASSWORD).await;
        for variant in variants {
            let treatment =
                same_on_every_route(&s, variant, display, &created["id"], &bearer, &other).await;
            eprintln!("{variant:?}: {treatment:?}");
        }
    }
    // Three accounts besides eve, one per address, whatever the spellings.
    assert_eq!(user_count(&s).await, 4);
    s.assert_alive().await;
}

/// SEC-EMAIL-03: forgot-password for look-alikes of `mike@example.org`: 202 `null` each; mail
/// only for the same address (to the stored form, byte for byte), none for `%`, `_` or `mïke`
/// (MariaDB's default collations would match them).
async fn reset_look_alikes<P: Into<DbPool>>(pool: P) {
    let s = start(pool).await;
    let stored_address = "mike@example.org";
    s.user(stored_address).await;
    let cases = [
        ("MIKE@example.org", true),
        ("%@example.org", false),
        ("mike@EXAMPLE.ORG", true),
        ("_ike@example.org", false),
        ("mike@example.org   ", true),
        ("m\u{ef}ke@example.org", false),
        ("mi_e@example.org", false),
        ("mik%@example.org", false),
    ];
    for (route, kind) in [
        ("/auth/forgot-password", MailKind::ResetPassword),
        ("/auth/request-verify-token", MailKind::Verify),
    ] {
        let mut expected = 0;
        for (variant, mailed) in cases {
            let answer = s.post(route, json!({"email": variant})).await;
            assert_eq!(pair(&answer), accepted(), "{route} {variant:?}");
            if mailed {
                expected += 1;
                s.inbox.wait_token(kind, stored_address, expected).await;
            } else {
                settle(&s).await;
            }
            let mails = s.inbox.of(kind);
            assert_eq!(mails.len(), expected, "{route} {variant:?}: {mails:?}");
            for mail in mails {
                assert_eq!(mail.to.as_bytes(), stored_address.as_bytes());
            }
        }
    }
    // The mailed tokens are the account's.
    let token = s
        .inbox
        .wait_token(MailKind::ResetPassword, stored_address, 3)
        .await;
    assert_eq!(
        pair(&reset(&s, &token, "mikes-new-password").await),
        (StatusCode::OK, Value::Null)
    );
    assert_login(&s, stored_address, "mikes-new-password", true).await;
    assert_eq!(user_count(&s).await, 1);
    s.assert_alive().await;
}

crate::on_every_database! {
    sec_reset_01_a_reset_token_works_once => reset_once;
    sec_reset_02_a_reset_token_dies_with_the_password => reset_token_dies_with_password;
    sec_reset_04_expired_forged_and_orphan_reset_tokens_fail => reset_token_refusals;
    sec_verify_01_a_verify_token_dies_with_the_email => verify_token_dies_with_email;
    sec_verify_02_verification_races_email_changes => verify_races_email_changes;
    sec_enum_01_login_failures_look_alike => login_failures_look_alike;
    sec_enum_02_forgot_password_looks_alike => forgot_password_looks_alike;
    sec_enum_03_taken_addresses_register_once => taken_address_registration;
    sec_email_01_letter_case_is_one_account => email_case;
    sec_email_02_spellings_are_treated_alike_on_every_route => email_spellings;
    sec_email_03_look_alikes_get_no_reset_mail => reset_look_alikes;
}
