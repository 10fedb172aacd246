//! SMTP delivery against a real SMTP server on loopback (Python's aiosmtpd, whose
//! interpreter `AXUM_USERS_TEST_SMTP_PYTHON` names; `.ci/run` installs it). Without it the
//! test says it skipped; with `CI=true` it fails. A dead SMTP server is logged and changes
//! no answer.

mod common;

use std::process::Stdio;
use std::time::Duration;

use axum::Router;
use axum_users::mail::MailHooks;
use axum_users::mail::smtp::{MailTemplates, SmtpMailer, SmtpSecurity, SmtpSettings};
use axum_users::prelude::*;
use common::server::{SECRET, cheap_hashing, full_backends, serve};
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

/// A user whose mails go out by SMTP.
#[derive(AuthUser, Clone, Debug)]
#[auth(table = "smtp_user", hooks = MailHooks<SmtpMailer>)]
pub struct SmtpUser {
    pub id: uuid::Uuid,
    pub email: String,
    pub hashed_password: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub is_verified: bool,
}

fn settings(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::Plain,
        credentials: None,
        from: "Lyrics <no-reply@example.com>".into(),
        base_url: "https://lyrics.example.com/".into(),
        timeout: Duration::from_secs(5),
    }
}

async fn app(port: u16) -> (String, common::SqliteDb) {
    let db = common::SqliteDb::new().await;
    let mailer = SmtpMailer::new(settings(port), MailTemplates::default()).expect("mailer");
    let users = full_backends(Users::<SmtpUser>::builder(db.pool.clone()))
        .hashing(cheap_hashing())
        .secrets(SECRET)
        .hooks(MailHooks::new(mailer))
        .build()
        .expect("users");
    users.migrate().await.expect("migrate");
    let router = Router::new()
        .nest("/auth", users.register_router())
        .nest("/auth", users.reset_password_router());
    (serve(router).await, db)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[tokio::test]
async fn mails_reach_a_real_smtp_server() {
    let python = match std::env::var("AXUM_USERS_TEST_SMTP_PYTHON") {
        Ok(python) => python,
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
            panic!(
                "SMTP tests are required in CI: set AXUM_USERS_TEST_SMTP_PYTHON to a Python with aiosmtpd"
            )
        }
        Err(_) => {
            eprintln!("SKIPPED: SMTP test (AXUM_USERS_TEST_SMTP_PYTHON is not set)");
            return;
        }
    };
    let port = free_port();
    let mut server = tokio::process::Command::new(&python)
        .args([
            "-u",
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start aiosmtpd");
    let mut ready = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "aiosmtpd did not start");
    let mut lines = BufReader::new(server.stdout.take().expect("stdout")).lines();

    let (base, db) = app(port).await;
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{base}/auth/register"))
        .json(&json!({"email": "Fan@Example.com", "password": "a-password"}))
        .send()
        .await
        .expect("register");
    assert_eq!(created.status(), StatusCode::CREATED);
    let accepted = http
        .post(format!("{base}/auth/forgot-password"))
        .json(&json!({"email": "fan@example.com"}))
        .send()
        .await
        .expect("forgot");
    assert_eq!(accepted.status(), StatusCode::ACCEPTED);

    // Read both messages as aiosmtpd prints them.
    let mut received = String::new();
    let complete = tokio::time::timeout(Duration::from_secs(10), async {
        let mut ends = 0;
        while let Ok(Some(line)) = lines.next_line().await {
            received.push_str(&line);
            received.push('\n');
            if line.contains("END MESSAGE") {
                ends += 1;
                if ends == 2 {
                    return true;
                }
            }
        }
        false
    })
    .await;
    assert_eq!(complete, Ok(true), "two mails arrived:\n{received}");
    assert!(received.contains("Subject: Welcome"), "{received}");
    assert!(
        received.contains("To: Fan@example.com"),
        "mail goes to the stored address:\n{received}"
    );
    assert!(
        received.contains("Subject: Reset your password"),
        "{received}"
    );

    // The reset body is quoted-printable (its link is longer than a mail line): undo the
    // soft line breaks and `=3D`, then use the token it carries.
    let body = received
        .split("Subject: Reset your password")
        .nth(1)
        .expect("reset mail")
        .replace("=\n", "")
        .replace("=3D", "=");
    let token = body
        .split("https://lyrics.example.com/reset-password?token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a link with the token")
        .to_owned();
    let reset = http
        .post(format!("{base}/auth/reset-password"))
        .json(&json!({"token": token, "password": "new-password"}))
        .send()
        .await
        .expect("reset");
    assert_eq!(
        reset.status(),
        StatusCode::OK,
        "the mailed token resets the password"
    );
    let _ = server.kill().await;
    db.close().await;
}

#[tokio::test]
async fn a_dead_smtp_server_changes_no_answer() {
    let (base, db) = app(free_port()).await;
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{base}/auth/register"))
        .json(&json!({"email": "a@example.com", "password": "a-password"}))
        .send()
        .await
        .expect("register");
    assert_eq!(created.status(), StatusCode::CREATED);
    let accepted = http
        .post(format!("{base}/auth/forgot-password"))
        .json(&json!({"email": "a@example.com"}))
        .send()
        .await
        .expect("forgot");
    assert_eq!(accepted.status(), StatusCode::ACCEPTED);
    assert_eq!(accepted.text().await.expect("body"), "null");
    db.close().await;
}
