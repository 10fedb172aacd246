//! Database faults (security.md P10, SEC-OPS-02):
//! - every server process of the PostgreSQL database is ended again and again while clients
//!   read and register;
//! - the database (PostgreSQL, MariaDB) goes away entirely, as a stopped server: the test
//!   puts a TCP forwarder between the app and the database and closes it, then opens it again.
//!
//! Requests get a JSON answer (503 with `Retry-After` while the database is unreachable,
//! within the pool's acquire timeout), nothing panics, no half-written user exists, and the
//! service comes back on its own once the database answers again. (SQLite is a file in the
//! process: it has no server to lose.)
//!
//! Runs when `AXUM_USERS_TEST_POSTGRES` / `AXUM_USERS_TEST_MYSQL` are set
//! (`cargo test --test faults`).

mod common;

mod postgres {
    use std::time::{Duration, Instant};

    use serde_json::{Value, json};

    use crate::common::PgDb;
    use crate::common::server::uuid_server;

    /// One request's outcome: status and whether the body was JSON with a `detail` (or 2xx).
    async fn call(request: reqwest::RequestBuilder) -> (u16, bool) {
        match request.timeout(Duration::from_secs(30)).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let json = response.json::<Value>().await.ok();
                let shaped = status < 300 || json.is_some_and(|b| b.get("detail").is_some());
                (status, shaped)
            }
            Err(e) => panic!("no answer: {e}"),
        }
    }

    #[tokio::test]
    async fn ended_database_connections_give_json_errors_and_recover() {
        let Some(db) = PgDb::new().await else { return };
        let s = uuid_server(db.pool.clone()).await;
        let client = reqwest::Client::new();
        let body = json!({"email": "reader@example.com", "password": "a-password"});
        let registered = client.post(s.at("/auth/register")).json(&body).send().await;
        assert_eq!(registered.expect("register").status(), 201);
        let token = s.token("jwt", "reader@example.com", "a-password").await;
        let bearer = format!("Bearer {token}");

        // Readers and writers for 3 s while every backend is ended every 100 ms.
        let until = Instant::now() + Duration::from_secs(3);
        let mut workers = Vec::new();
        for w in 0..6 {
            let (client, me, register, bearer) = (
                client.clone(),
                s.at("/users/me"),
                s.at("/auth/register"),
                bearer.clone(),
            );
            workers.push(tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut i = 0;
                while Instant::now() < until {
                    i += 1;
                    if w % 2 == 0 {
                        let r = call(client.get(&me).header("authorization", &bearer)).await;
                        seen.push((r, None));
                    } else {
                        let email = format!("w{w}-{i}@example.com");
                        let body = json!({"email": email, "password": "a-password"});
                        let r = call(client.post(&register).json(&body)).await;
                        seen.push((r, Some(email)));
                    }
                }
                seen
            }));
        }
        let mut ended = 0;
        while Instant::now() < until {
            ended += db.terminate_backends().await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut outcomes = Vec::new();
        for worker in workers {
            outcomes.extend(worker.await.expect("worker"));
        }
        assert!(ended > 0, "no connection was ended");
        let failed = outcomes
            .iter()
            .filter(|((status, _), _)| *status >= 500)
            .count();
        for ((status, shaped), _) in &outcomes {
            assert!(
                matches!(status, 200 | 201 | 503),
                "only 200, 201 or a 503 while connections die, got {status}"
            );
            assert!(shaped, "a {status} without a JSON detail");
        }
        // Every registration the server confirmed is there; none it refused is half there.
        for ((status, _), email) in &outcomes {
            let Some(email) = email else { continue };
            let stored = s.users.get_by_email(email).await.expect("lookup");
            if *status == 201 {
                assert!(stored.is_some(), "{email} was confirmed but is missing");
            } else if let Some(user) = stored {
                // A commit whose answer was lost with its connection: a whole user.
                assert!(user.hashed_password.starts_with("$argon2id$"), "{email}");
            }
        }
        println!(
            "{} requests, {failed} answered 503, {ended} backends ended",
            outcomes.len()
        );

        // Back on its own within seconds.
        let started = Instant::now();
        loop {
            let (status, _) = call(
                client
                    .get(s.at("/users/me"))
                    .header("authorization", &bearer),
            )
            .await;
            if status == 200 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "not back: {status}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        db.close().await;
    }
}

/// SEC-OPS-02: every route while the database server is gone, then back.
mod outage {
    use std::time::{Duration, Instant};

    use axum_users::DbPool;
    use axum_users::prelude::*;
    use reqwest::StatusCode;
    use serde_json::{Value, json};

    use crate::common::proxy::Proxy;
    use crate::common::server::{SECRET, Server, cheap_hashing, full_app, full_backends, serve};
    use crate::common::users::UuidUser;

    /// How long a request waits for a connection before it is answered 503.
    const ACQUIRE: Duration = Duration::from_secs(2);

    fn forge(claims: Value) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .expect("encode")
    }

    async fn server(pool: DbPool) -> Server<UuidUser> {
        let users = full_backends(Users::<UuidUser>::builder(pool))
            .hashing(cheap_hashing())
            .secrets(SECRET)
            .build()
            .expect("users");
        users.migrate().await.expect("migrate");
        Server {
            url: serve(full_app(&users)).await,
            users,
            client: reqwest::Client::new(),
        }
    }

    /// Every route of the full example, with valid credentials, as (name, request).
    fn every_route(
        s: &Server<UuidUser>,
        creds: &Creds,
        client: &reqwest::Client,
    ) -> Vec<(&'static str, reqwest::RequestBuilder)> {
        let login = |backend: &str| {
            client.post(s.at(&format!("/auth/{backend}/login"))).form(&[
                ("username", "victim@example.com"),
                ("password", "a-password"),
            ])
        };
        let cookie = format!("fastapiusersauth={}", creds.cookie);
        let other = format!("/users/{}", creds.other_id);
        vec![
            (
                "register",
                client
                    .post(s.at("/auth/register"))
                    .json(&json!({"email": "during@example.com", "password": "a-password"})),
            ),
            ("jwt login", login("jwt")),
            ("cookie login", login("cookie")),
            ("db login", login("db")),
            (
                "jwt logout",
                client
                    .post(s.at("/auth/jwt/logout"))
                    .bearer_auth(&creds.jwt),
            ),
            (
                "db logout",
                client.post(s.at("/auth/db/logout")).bearer_auth(&creds.db),
            ),
            (
                "cookie logout",
                client
                    .post(s.at("/auth/cookie/logout"))
                    .header("cookie", &cookie),
            ),
            (
                "forgot-password",
                client
                    .post(s.at("/auth/forgot-password"))
                    .json(&json!({"email": "victim@example.com"})),
            ),
            (
                "reset-password",
                client
                    .post(s.at("/auth/reset-password"))
                    .json(&json!({"token": creds.reset, "password": "another-password"})),
            ),
            (
                "request-verify-token",
                client
                    .post(s.at("/auth/request-verify-token"))
                    .json(&json!({"email": "victim@example.com"})),
            ),
            (
                "verify",
                client
                    .post(s.at("/auth/verify"))
                    .json(&json!({"token": creds.verify})),
            ),
            (
                "GET /users/me",
                client.get(s.at("/users/me")).bearer_auth(&creds.jwt),
            ),
            (
                "PATCH /users/me",
                client
                    .patch(s.at("/users/me"))
                    .bearer_auth(&creds.db)
                    .json(&json!({"email": "moved@example.com"})),
            ),
            (
                "DELETE /users/me",
                client.delete(s.at("/users/me")).bearer_auth(&creds.admin),
            ),
            (
                "GET /users/{id}",
                client.get(s.at(&other)).bearer_auth(&creds.admin),
            ),
            (
                "PATCH /users/{id}",
                client
                    .patch(s.at(&other))
                    .bearer_auth(&creds.admin)
                    .json(&json!({"is_active": false})),
            ),
            (
                "DELETE /users/{id}",
                client.delete(s.at(&other)).bearer_auth(&creds.admin),
            ),
            (
                "authenticated-route",
                client
                    .get(s.at("/authenticated-route"))
                    .header("cookie", &cookie),
            ),
        ]
    }

    struct Creds {
        jwt: String,
        db: String,
        cookie: String,
        admin: String,
        other_id: String,
        reset: String,
        verify: String,
    }

    async fn outage(pool: DbPool, proxy: Proxy) {
        let s = server(pool).await;
        let http = reqwest::Client::new();
        for email in ["victim@example.com", "other@example.com"] {
            let answer = http
                .post(s.at("/auth/register"))
                .json(&json!({"email": email, "password": "a-password"}))
                .send()
                .await
                .expect("register");
            assert_eq!(answer.status(), StatusCode::CREATED);
        }
        let fields = json!({"email": "admin@example.com", "password": "a-password"});
        let Value::Object(fields) = fields else {
            unreachable!()
        };
        s.users.create_superuser(fields).await.expect("superuser");
        let victim = s
            .users
            .get_by_email("victim@example.com")
            .await
            .expect("lookup")
            .expect("victim");
        let other = s
            .users
            .get_by_email("other@example.com")
            .await
            .expect("lookup")
            .expect("other");
        let cookie_login = http
            .post(s.at("/auth/cookie/login"))
            .form(&[
                ("username", "victim@example.com"),
                ("password", "a-password"),
            ])
            .send()
            .await
            .expect("cookie login");
        let cookie = cookie_login
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .and_then(|v| v.split_once('='))
            .map(|(_, v)| v.to_owned())
            .expect("cookie");
        let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 600;
        let creds = Creds {
            jwt: s.token("jwt", "victim@example.com", "a-password").await,
            db: s.token("db", "victim@example.com", "a-password").await,
            cookie,
            admin: s.token("jwt", "admin@example.com", "a-password").await,
            other_id: other.id.to_string(),
            reset: forge(json!({
                "sub": victim.id.to_string(), "password_fgpt": "x",
                "aud": "fastapi-users:reset", "exp": exp
            })),
            verify: forge(json!({
                "sub": victim.id.to_string(), "email": "victim@example.com",
                "aud": "fastapi-users:verify", "exp": exp
            })),
        };

        // The database goes away: every route answers a JSON 503 within the pool's timeout.
        proxy.stop();
        let started = Instant::now();
        let calls = every_route(&s, &creds, &http)
            .into_iter()
            .map(|(name, request)| async move {
                let response = request
                    .timeout(Duration::from_secs(30))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{name}: no answer: {e}"));
                let status = response.status();
                let retry = response.headers().get("retry-after").cloned();
                let body = response.text().await.expect("body");
                (name, status, retry, body)
            });
        let answers = futures_util::future::join_all(calls).await;
        let waited = started.elapsed();
        for (name, status, retry, body) in &answers {
            assert_eq!(
                (*status, body.as_str()),
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    r#"{"detail":"Service Unavailable"}"#
                ),
                "{name} while the database is down"
            );
            assert!(retry.is_some(), "{name}: 503 without Retry-After");
        }
        assert!(
            waited < ACQUIRE + Duration::from_secs(10),
            "the answers took {waited:?}, far past the acquire timeout"
        );
        println!("{} routes answered 503 in {waited:?}", answers.len());

        // The database is back: service resumes on its own, within seconds.
        proxy.resume().await;
        let back = Instant::now();
        loop {
            let status = http
                .get(s.at("/users/me"))
                .bearer_auth(&creds.jwt)
                .send()
                .await
                .expect("me")
                .status();
            if status == StatusCode::OK {
                break;
            }
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert!(back.elapsed() < Duration::from_secs(10), "not back");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        println!("back after {:?}", back.elapsed());
        // Nothing the outage refused happened: no user from the refused registration, the
        // victim's email, password and tokens as they were, the other user still there.
        assert!(
            s.users
                .get_by_email("during@example.com")
                .await
                .expect("lookup")
                .is_none()
        );
        let after = s.users.get(&victim.id).await.expect("get").expect("victim");
        assert_eq!(
            (&after.email, &after.hashed_password, after.is_active),
            (&victim.email, &victim.hashed_password, true)
        );
        assert!(s.users.get(&other.id).await.expect("get").is_some());
        for token in [&creds.jwt, &creds.db] {
            let me = http
                .get(s.at("/users/me"))
                .bearer_auth(token)
                .send()
                .await
                .expect("me");
            assert_eq!(me.status(), StatusCode::OK);
        }
        // And every kind of write works again.
        let registered = http
            .post(s.at("/auth/register"))
            .json(&json!({"email": "after@example.com", "password": "a-password"}))
            .send()
            .await
            .expect("register");
        assert_eq!(registered.status(), StatusCode::CREATED);
        let _ = s.token("db", "after@example.com", "a-password").await;
    }

    /// Readers and writers run while the database goes away for longer than the acquire
    /// timeout and comes back: every
    /// answer is a 200, a 201 or a JSON 503; every confirmed registration is stored, every
    /// refused one is absent or whole; the readers get 200s again on their own.
    async fn outage_under_load(pool: DbPool, proxy: Proxy) {
        let s = server(pool).await;
        let http = reqwest::Client::new();
        let answer = http
            .post(s.at("/auth/register"))
            .json(&json!({"email": "reader@example.com", "password": "a-password"}))
            .send()
            .await
            .expect("register");
        assert_eq!(answer.status(), StatusCode::CREATED);
        let token = s.token("jwt", "reader@example.com", "a-password").await;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut workers = Vec::new();
        for w in 0..6 {
            let (http, me, register, token, stop) = (
                http.clone(),
                s.at("/users/me"),
                s.at("/auth/register"),
                token.clone(),
                stop.clone(),
            );
            workers.push(tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    i += 1;
                    let (request, email) = if w % 2 == 0 {
                        (http.get(&me).bearer_auth(&token), None)
                    } else {
                        let email = format!("w{w}-{i}@example.com");
                        let body = json!({"email": email, "password": "a-password"});
                        (http.post(&register).json(&body), Some(email))
                    };
                    let response = request
                        .timeout(Duration::from_secs(30))
                        .send()
                        .await
                        .expect("an answer");
                    let status = response.status();
                    let body: Value = response.json().await.unwrap_or(Value::Null);
                    seen.push((status, body, email));
                }
                seen
            }));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        // Longer than the acquire timeout: a shorter outage is ridden out by waiting requests.
        proxy.stop();
        tokio::time::sleep(ACQUIRE + Duration::from_millis(1500)).await;
        proxy.resume().await;
        // Run on until the readers see 200s again.
        let back = Instant::now();
        loop {
            let status = http
                .get(s.at("/users/me"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("me")
                .status();
            if status == StatusCode::OK {
                break;
            }
            assert!(back.elapsed() < Duration::from_secs(10), "not back");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let mut outcomes = Vec::new();
        for worker in workers {
            outcomes.extend(worker.await.expect("worker"));
        }
        let unavailable = outcomes
            .iter()
            .filter(|(status, _, _)| *status == StatusCode::SERVICE_UNAVAILABLE)
            .count();
        assert!(unavailable > 0, "the outage was not seen");
        for (status, body, email) in &outcomes {
            match *status {
                StatusCode::OK | StatusCode::CREATED => {}
                StatusCode::SERVICE_UNAVAILABLE => {
                    assert_eq!(body, &json!({"detail": "Service Unavailable"}))
                }
                other => panic!("{other} {body} during the outage"),
            }
            let Some(email) = email else { continue };
            let stored = s.users.get_by_email(email).await.expect("lookup");
            if *status == StatusCode::CREATED {
                assert!(stored.is_some(), "{email} was confirmed but is missing");
            } else if let Some(user) = stored {
                assert!(user.hashed_password.starts_with("$argon2id$"), "{email}");
            }
        }
        let ok = outcomes.len() - unavailable;
        println!(
            "{} requests under load: {ok} answered, {unavailable} got 503",
            outcomes.len()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn postgres_stopped_under_load_gives_503s_then_recovers() {
        let Some(db) = crate::common::PgDb::new().await else {
            return;
        };
        let proxy = Proxy::start(crate::common::proxy::host_port(&db.url(), 5432)).await;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(ACQUIRE)
            .connect(&db.url_through(&proxy))
            .await
            .expect("connect through the proxy");
        outage_under_load(DbPool::Postgres(pool), proxy).await;
        db.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn mariadb_stopped_under_load_gives_503s_then_recovers() {
        let Some(db) = crate::common::MySqlDb::new().await else {
            return;
        };
        let proxy = Proxy::start(crate::common::proxy::host_port(&db.url(), 3306)).await;
        let pool = sqlx::mysql::MySqlPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(ACQUIRE)
            .connect(&db.url_through(&proxy))
            .await
            .expect("connect through the proxy");
        outage_under_load(DbPool::MySql(pool), proxy).await;
        db.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sec_ops_02_every_route_answers_503_while_postgres_is_down() {
        let Some(db) = crate::common::PgDb::new().await else {
            return;
        };
        let target = crate::common::proxy::host_port(&db.url(), 5432);
        let proxy = Proxy::start(target).await;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(ACQUIRE)
            .connect(&db.url_through(&proxy))
            .await
            .expect("connect through the proxy");
        outage(DbPool::Postgres(pool), proxy).await;
        db.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sec_ops_02_every_route_answers_503_while_mariadb_is_down() {
        let Some(db) = crate::common::MySqlDb::new().await else {
            return;
        };
        let target = crate::common::proxy::host_port(&db.url(), 3306);
        let proxy = Proxy::start(target).await;
        let pool = sqlx::mysql::MySqlPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(ACQUIRE)
            .connect(&db.url_through(&proxy))
            .await
            .expect("connect through the proxy");
        outage(DbPool::MySql(pool), proxy).await;
        db.close().await;
    }

    /// A MongoDB pool of `db` through a new proxy.
    async fn mongo_through(db: &crate::common::mongo::MongoTestDb) -> (DbPool, Proxy) {
        let proxy = Proxy::start(db.host_port()).await;
        let pool = DbPool::connect(&db.url_through(&proxy, ACQUIRE))
            .await
            .expect("connect through the proxy");
        (pool, proxy)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn mongodb_stopped_under_load_gives_503s_then_recovers() {
        let Some(db) = crate::common::mongo::MongoTestDb::new().await else {
            return;
        };
        let (pool, proxy) = mongo_through(&db).await;
        outage_under_load(pool, proxy).await;
        db.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sec_ops_02_every_route_answers_503_while_mongodb_is_down() {
        let Some(db) = crate::common::mongo::MongoTestDb::new().await else {
            return;
        };
        let (pool, proxy) = mongo_through(&db).await;
        outage(pool, proxy).await;
        db.close().await;
    }
}
