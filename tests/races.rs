//! Races over real HTTP on loopback, on every database (security.md P2, P10, §4.12): each
//! race releases all its requests at once through a barrier, every request on a connection
//! of its own, three trials per database with fresh users and tokens. Exact counts, no 5xx,
//! and the database afterwards holds what the answers said.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum_users::{DbPool, UserStore as _};
use common::server::{Server, hooked_server};
use common::users::HookedUser;
use reqwest::StatusCode;
use serde_json::{Value, json};

const TRIALS: usize = 3;

type S = Server<HookedUser>;
type Answer = (StatusCode, Value);

/// A client of its own, keeping no idle connection: racers never share a connection.
fn fresh() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client")
}

async fn answer(response: reqwest::Response) -> Answer {
    common::server::json_answer(response).await
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    answer(request.send().await.expect("request")).await
}

/// Sends every request at once (a barrier releases them together) and returns the answers
/// in the order of `requests`; none may be a 5xx.
async fn race(requests: Vec<reqwest::RequestBuilder>) -> Vec<Answer> {
    let barrier = Arc::new(tokio::sync::Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                send(request).await
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        let (status, body) = task.await.expect("task");
        assert!(!status.is_server_error(), "a racer got {status} {body}");
        answers.push((status, body));
    }
    answers
}

/// How many answers had each status and error code: `"201"`, `"400 RESET_PASSWORD_BAD_TOKEN"`.
fn tally(answers: &[Answer]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (status, body) in answers {
        let key = match body["detail"].as_str() {
            Some(code) if !status.is_success() => format!("{} {code}", status.as_u16()),
            _ => status.as_u16().to_string(),
        };
        *counts.entry(key).or_default() += 1;
    }
    counts
}

fn counts(expected: &[(&str, usize)]) -> BTreeMap<String, usize> {
    expected
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(key, n)| ((*key).to_owned(), *n))
        .collect()
}

/// The one answer with `status`.
fn only(answers: &[Answer], status: StatusCode) -> usize {
    let winners: Vec<usize> = (0..answers.len())
        .filter(|&i| answers[i].0 == status)
        .collect();
    assert_eq!(winners.len(), 1, "one {status} expected: {answers:?}");
    winners[0]
}

async fn post(s: &S, path: &str, body: Value) -> Answer {
    send(s.client.post(s.at(path)).json(&body)).await
}

/// Registers `email` over HTTP; the user as stored.
async fn register(s: &S, email: &str, password: &str) -> HookedUser {
    let (status, body) = post(
        s,
        "/auth/register",
        json!({"email": email, "password": password}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    s.users
        .get_by_email(email)
        .await
        .expect("lookup")
        .expect("registered")
}

fn login_request(
    client: &reqwest::Client,
    s: &S,
    router: &str,
    email: &str,
    password: &str,
) -> reqwest::RequestBuilder {
    client
        .post(s.at(&format!("/auth/{router}/login")))
        .form(&[("username", email), ("password", password)])
}

async fn login(s: &S, email: &str, password: &str) -> Answer {
    send(login_request(&s.client, s, "jwt", email, password)).await
}

async fn token(s: &S, router: &str, email: &str, password: &str) -> String {
    let (status, body) = send(login_request(&s.client, s, router, email, password)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().expect("token").to_owned()
}

async fn me(s: &S, token: &str) -> Answer {
    send(s.client.get(s.at("/users/me")).bearer_auth(token)).await
}

fn bad_credentials() -> Answer {
    (
        StatusCode::BAD_REQUEST,
        json!({"detail": "LOGIN_BAD_CREDENTIALS"}),
    )
}

/// SEC-RACE-01: 50 registrations of one address in letter-case and Unicode variants.
async fn same_email_registrations<P: Into<DbPool>>(pool: P) {
    let (s, hooks) = hooked_server(pool).await;
    for trial in 0..TRIALS {
        let variants = [
            format!("Zo\u{eb}{trial}@Example.com"),
            format!("Zoe\u{308}{trial}@Example.com"),
            format!("zo\u{eb}{trial}@EXAMPLE.COM"),
            format!("ZO\u{cb}{trial}@example.com"),
            format!("ZOE\u{308}{trial}@example.COM"),
            format!(" zoe\u{308}{trial}@Example.Com "),
        ];
        let passwords: Vec<String> = (0..50).map(|i| format!("password-{trial}-{i}")).collect();
        let requests = passwords
            .iter()
            .enumerate()
            .map(|(i, password)| {
                let email = &variants[i % variants.len()];
                fresh()
                    .post(s.at("/auth/register"))
                    .json(&json!({"email": email, "password": password}))
            })
            .collect();
        let answers = race(requests).await;
        assert_eq!(
            tally(&answers),
            counts(&[("201", 1), ("400 REGISTER_USER_ALREADY_EXISTS", 49)])
        );
        let winner = only(&answers, StatusCode::CREATED);
        assert_eq!(
            s.users.store().count().await.expect("count"),
            trial as u64 + 1
        );
        assert_eq!(hooks.of("register").len(), trial + 1);
        let created = &answers[winner].1;
        let display = created["email"].as_str().expect("email");
        assert!(
            !display.contains('\u{308}') && display.ends_with("@example.com"),
            "stored in NFC with a lower-case domain: {display}"
        );
        for variant in &variants {
            let stored = s
                .users
                .get_by_email(variant)
                .await
                .expect("lookup")
                .expect("user");
            assert_eq!(
                (json!(stored.id), json!(stored.email)),
                (created["id"].clone(), created["email"].clone())
            );
        }
        assert_eq!(
            login(&s, &variants[1], &passwords[winner]).await.0,
            StatusCode::OK
        );
        let loser = (winner + 1) % passwords.len();
        assert_eq!(
            login(&s, &variants[0], &passwords[loser]).await,
            bad_credentials()
        );
    }
}

/// SEC-RESET-03: 20 resets with one token and 20 different passwords.
async fn concurrent_reset_is_single_use<P: Into<DbPool>>(pool: P) {
    let (s, hooks) = hooked_server(pool).await;
    for trial in 0..TRIALS {
        let email = format!("reset{trial}@example.com");
        register(&s, &email, "old-password").await;
        let (status, _) = post(&s, "/auth/forgot-password", json!({"email": email})).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let token = hooks
            .wait_for("forgot_password", trial + 1)
            .await
            .expect("reset token");
        let passwords: Vec<String> = (0..20).map(|i| format!("new-password-{i}")).collect();
        let requests = passwords
            .iter()
            .map(|password| {
                fresh()
                    .post(s.at("/auth/reset-password"))
                    .json(&json!({"token": token, "password": password}))
            })
            .collect();
        let answers = race(requests).await;
        assert_eq!(
            tally(&answers),
            counts(&[("200", 1), ("400 RESET_PASSWORD_BAD_TOKEN", 19)])
        );
        let winner = only(&answers, StatusCode::OK);
        assert_eq!(answers[winner].1, Value::Null);
        assert_eq!(hooks.of("reset_password").len(), trial + 1);
        for (i, password) in passwords.iter().enumerate() {
            let got = login(&s, &email, password).await;
            if i == winner {
                assert_eq!(got.0, StatusCode::OK, "the winning password logs in");
            } else {
                assert_eq!(got, bad_credentials(), "a losing password logs in");
            }
        }
        assert_eq!(login(&s, &email, "old-password").await, bad_credentials());
    }
}

/// Ten users move to one address at once; one user moves to ten addresses at once.
async fn parallel_email_changes<P: Into<DbPool>>(pool: P) {
    let (s, hooks) = hooked_server(pool).await;
    for trial in 0..TRIALS {
        let wanted = format!("wanted{trial}@example.com");
        let mut users = Vec::new();
        for i in 0..10 {
            let email = format!("mover{trial}-{i}@example.com");
            register(&s, &email, "a-password").await;
            users.push((email.clone(), token(&s, "jwt", &email, "a-password").await));
        }
        let updates_before = hooks.of("update").len();
        let requests = users
            .iter()
            .map(|(_, token)| {
                fresh()
                    .patch(s.at("/users/me"))
                    .bearer_auth(token)
                    .json(&json!({"email": wanted}))
            })
            .collect();
        let answers = race(requests).await;
        assert_eq!(
            tally(&answers),
            counts(&[("200", 1), ("400 UPDATE_USER_EMAIL_ALREADY_EXISTS", 9)])
        );
        let winner = only(&answers, StatusCode::OK);
        assert_eq!(answers[winner].1["email"], json!(wanted));
        let holder = s
            .users
            .get_by_email(&wanted)
            .await
            .expect("lookup")
            .expect("holder");
        assert_eq!(json!(holder.id), answers[winner].1["id"]);
        for (i, (email, token)) in users.iter().enumerate() {
            let expected = if i == winner { &wanted } else { email };
            assert_eq!(me(&s, token).await.1["email"], json!(expected));
        }
        assert_eq!(hooks.of("update").len(), updates_before + 1);
        let users_now = s.users.store().count().await.expect("count");
        assert_eq!(users_now, 10 * (trial as u64 + 1));
    }

    for trial in 0..TRIALS {
        let email = format!("restless{trial}@example.com");
        let user = register(&s, &email, "a-password").await;
        let token = token(&s, "jwt", &email, "a-password").await;
        let targets: Vec<String> = (0..10)
            .map(|i| format!("restless{trial}-{i}@example.com"))
            .collect();
        let requests = targets
            .iter()
            .map(|target| {
                fresh()
                    .patch(s.at("/users/me"))
                    .bearer_auth(&token)
                    .json(&json!({"email": target}))
            })
            .collect();
        let answers = race(requests).await;
        assert_eq!(tally(&answers), counts(&[("200", 10)]));
        let stored = s.users.get(&user.id).await.expect("get").expect("user");
        let (_, now) = me(&s, &token).await;
        assert_eq!(now["email"], json!(stored.email));
        assert!(
            targets.contains(&stored.email),
            "{} is none of the targets",
            stored.email
        );
        for target in &targets {
            let found = s.users.get_by_email(target).await.expect("lookup");
            assert_eq!(found.is_some(), *target == stored.email, "{target}");
        }
    }
}

/// Ten verifications with one token at once.
async fn parallel_verify_of_one_token<P: Into<DbPool>>(pool: P) {
    let (s, hooks) = hooked_server(pool).await;
    for trial in 0..TRIALS {
        let email = format!("verify{trial}@example.com");
        let user = register(&s, &email, "a-password").await;
        let (status, _) = post(&s, "/auth/request-verify-token", json!({"email": email})).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let token = hooks
            .wait_for("request_verify", trial + 1)
            .await
            .expect("verify token");
        let requests = (0..10)
            .map(|_| {
                fresh()
                    .post(s.at("/auth/verify"))
                    .json(&json!({"token": token}))
            })
            .collect();
        let answers = race(requests).await;
        assert_eq!(
            tally(&answers),
            counts(&[("200", 1), ("400 VERIFY_USER_ALREADY_VERIFIED", 9)])
        );
        let winner = only(&answers, StatusCode::OK);
        assert_eq!(answers[winner].1["is_verified"], true);
        let verified = hooks.of("verify");
        assert_eq!(
            verified.len(),
            trial + 1,
            "on_after_verify fires once per token"
        );
        assert_eq!(verified.last(), Some(&json!(email)));
        let stored = s.users.get(&user.id).await.expect("get").expect("user");
        assert!(stored.is_verified);
    }
}

/// A superuser deletes a user while ten logins (JWT and database tokens) and ten
/// `GET /users/me` of that user are in flight.
async fn delete_while_logging_in<P: Into<DbPool>>(pool: P) {
    let (s, hooks) = hooked_server(pool).await;
    let fields = json!({"email": "admin@example.com", "password": "admin-password"});
    let fields = fields.as_object().expect("object").clone();
    s.users.create_superuser(fields).await.expect("superuser");
    let admin = token(&s, "jwt", "admin@example.com", "admin-password").await;
    for trial in 0..TRIALS {
        let email = format!("doomed{trial}@example.com");
        let user = register(&s, &email, "a-password").await;
        let held = [
            token(&s, "jwt", &email, "a-password").await,
            token(&s, "db", &email, "a-password").await,
        ];
        let mut requests = vec![
            fresh()
                .delete(s.at(&format!("/users/{}", user.id)))
                .bearer_auth(&admin),
        ];
        for i in 0..10 {
            let router = ["jwt", "db"][i % 2];
            requests.push(login_request(&fresh(), &s, router, &email, "a-password"));
        }
        for i in 0..10 {
            requests.push(fresh().get(s.at("/users/me")).bearer_auth(&held[i % 2]));
        }
        let answers = race(requests).await;
        assert_eq!(answers[0], (StatusCode::NO_CONTENT, Value::Null));
        let (logins, gets) = answers[1..].split_at(10);
        let mut issued = Vec::new();
        for (status, body) in logins {
            if *status == StatusCode::OK {
                issued.push(body["access_token"].as_str().expect("token").to_owned());
            } else {
                assert_eq!((*status, body.clone()), bad_credentials());
            }
        }
        for (status, body) in gets {
            assert!(
                [StatusCode::OK, StatusCode::UNAUTHORIZED].contains(status),
                "{status} {body}"
            );
        }
        assert!(s.users.get(&user.id).await.expect("get").is_none());
        let (status, _) = send(
            s.client
                .get(s.at(&format!("/users/{}", user.id)))
                .bearer_auth(&admin),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        for token in held.iter().chain(&issued) {
            assert_eq!(
                me(&s, token).await,
                (StatusCode::UNAUTHORIZED, json!({"detail": "Unauthorized"}))
            );
        }
        assert_eq!(login(&s, &email, "a-password").await, bad_credentials());
        assert_eq!(hooks.of("after_delete").last(), Some(&json!(email)));
        assert_eq!(hooks.of("after_delete").len(), trial + 1);
        eprintln!(
            "trial {trial}: {} of 10 logins and {} of 10 GETs came first",
            issued.len(),
            gets.iter()
                .filter(|(status, _)| *status == StatusCode::OK)
                .count()
        );
    }
}

on_every_database! {
    sec_race_01_same_email_registrations => same_email_registrations;
    sec_reset_03_concurrent_reset_is_single_use => concurrent_reset_is_single_use;
    parallel_email_changes_to_one_address => parallel_email_changes;
    parallel_verify_of_one_token_verifies_once => parallel_verify_of_one_token;
    delete_while_logging_in_never_fails => delete_while_logging_in;
}
