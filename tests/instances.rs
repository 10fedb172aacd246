//! Two `examples/full` processes on one database (and one Redis), as a user outgrowing one
//! machine runs them behind a load balancer:
//! - a token issued by one instance is accepted by the other (JWT, database and Redis
//!   tokens);
//! - logout with the database or Redis strategy on one is refused at once by the other;
//! - a deactivation through one locks the user out of both;
//! - the same-email registration race split across both still yields one user and no 5xx.
//!
//! Runs on PostgreSQL, MariaDB and MongoDB (`AXUM_USERS_TEST_POSTGRES`, `AXUM_USERS_TEST_MYSQL`,
//! `AXUM_USERS_TEST_MONGODB`) with Redis (`AXUM_USERS_TEST_REDIS`): `cargo test --test instances`.

mod common;

mod two {
    use std::sync::Arc;

    use reqwest::StatusCode;
    use serde_json::{Value, json};

    use crate::common::process::App;

    const SECRET: &str = "a-secret-both-instances-share-32+bytes";
    const ADMIN: &str = "admin@example.com";
    const PASSWORD: &str = "a-long-password";
    const TRIALS: usize = 3;

    fn redis_url() -> Option<String> {
        match std::env::var("AXUM_USERS_TEST_REDIS") {
            Ok(url) => Some(url),
            Err(_) if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
                panic!("Redis is required in CI: set AXUM_USERS_TEST_REDIS")
            }
            Err(_) => {
                eprintln!("SKIPPED: the Redis parts (AXUM_USERS_TEST_REDIS is not set)");
                None
            }
        }
    }

    async fn instance(database_url: &str, redis: Option<&str>) -> App {
        let mut env = vec![
            ("DATABASE_URL", database_url.to_owned()),
            ("JWT_SECRET", SECRET.to_owned()),
            ("ADMIN_EMAIL", ADMIN.to_owned()),
            ("ADMIN_PASSWORD", PASSWORD.to_owned()),
            ("ARGON2_MEMORY_KIB", "1024".to_owned()),
            ("ARGON2_ITERATIONS", "1".to_owned()),
            ("ARGON2_PARALLELISM", "1".to_owned()),
        ];
        if let Some(url) = redis {
            env.push(("REDIS_URL", url.to_owned()));
        }
        App::start("full", &env, "/openapi.json").await
    }

    async fn answer(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        assert!(!status.is_server_error(), "{status} {text}");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("JSON")
        };
        (status, body)
    }

    async fn register(http: &reqwest::Client, app: &App, email: &str) -> Value {
        let (status, body) = answer(
            http.post(app.at("/auth/register"))
                .json(&json!({"email": email, "password": PASSWORD})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    async fn login(
        http: &reqwest::Client,
        app: &App,
        backend: &str,
        email: &str,
    ) -> (StatusCode, Value) {
        answer(
            http.post(app.at(&format!("/auth/{backend}/login")))
                .form(&[("username", email), ("password", PASSWORD)]),
        )
        .await
    }

    async fn token(http: &reqwest::Client, app: &App, backend: &str, email: &str) -> String {
        let (status, body) = login(http, app, backend, email).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().expect("token").to_owned()
    }

    async fn me(http: &reqwest::Client, app: &App, token: &str) -> StatusCode {
        answer(http.get(app.at("/users/me")).bearer_auth(token))
            .await
            .0
    }

    async fn two_instances(database_url: String) {
        let redis = redis_url();
        let a = instance(&database_url, redis.as_deref()).await;
        let b = instance(&database_url, redis.as_deref()).await;
        let http = reqwest::Client::new();
        let mut backends = vec!["jwt", "db"];
        if redis.is_some() {
            backends.push("redis");
        }

        // A token issued by one instance is accepted by the other.
        register(&http, &a, "alice@example.com").await;
        for backend in &backends {
            let t = token(&http, &a, backend, "alice@example.com").await;
            assert_eq!(me(&http, &b, &t).await, StatusCode::OK, "{backend} A→B");
            let t = token(&http, &b, backend, "alice@example.com").await;
            assert_eq!(me(&http, &a, &t).await, StatusCode::OK, "{backend} B→A");
        }

        // Logout on one instance: the other refuses the token at once.
        for backend in backends.iter().filter(|b| **b != "jwt") {
            let t = token(&http, &a, backend, "alice@example.com").await;
            assert_eq!(me(&http, &b, &t).await, StatusCode::OK);
            let (status, _) = answer(
                http.post(a.at(&format!("/auth/{backend}/logout")))
                    .bearer_auth(&t),
            )
            .await;
            assert_eq!(status, StatusCode::NO_CONTENT, "{backend} logout");
            assert_eq!(
                me(&http, &b, &t).await,
                StatusCode::UNAUTHORIZED,
                "{backend}: logged out on A, still accepted by B"
            );
        }

        // A deactivation through one instance locks the user out of both.
        let user = register(&http, &b, "bob@example.com").await;
        let mut tokens = Vec::new();
        for backend in &backends {
            tokens.push(token(&http, &a, backend, "bob@example.com").await);
            tokens.push(token(&http, &b, backend, "bob@example.com").await);
        }
        let admin = token(&http, &a, "jwt", ADMIN).await;
        let id = user["id"].as_str().expect("id");
        let (status, body) = answer(
            http.patch(a.at(&format!("/users/{id}")))
                .bearer_auth(&admin)
                .json(&json!({"is_active": false})),
        )
        .await;
        assert_eq!(
            (status, &body["is_active"]),
            (StatusCode::OK, &json!(false))
        );
        for app in [&a, &b] {
            for t in &tokens {
                assert_eq!(me(&http, app, t).await, StatusCode::UNAUTHORIZED);
            }
            for backend in &backends {
                assert_eq!(
                    login(&http, app, backend, "bob@example.com").await,
                    (
                        StatusCode::BAD_REQUEST,
                        json!({"detail": "LOGIN_BAD_CREDENTIALS"})
                    )
                );
            }
        }

        // The same-email registration race, split across both instances.
        for trial in 0..TRIALS {
            let email = format!("race{trial}@example.com");
            let variants = [email.clone(), email.to_uppercase(), format!(" {email} ")];
            let barrier = Arc::new(tokio::sync::Barrier::new(20));
            let tasks: Vec<_> = (0..20)
                .map(|i| {
                    let app = if i % 2 == 0 { &a } else { &b };
                    // A connection of its own per request.
                    let client = reqwest::Client::builder()
                        .pool_max_idle_per_host(0)
                        .build()
                        .expect("client");
                    let request = client.post(app.at("/auth/register")).json(
                        &json!({"email": variants[i % variants.len()], "password": PASSWORD}),
                    );
                    let barrier = barrier.clone();
                    tokio::spawn(async move {
                        barrier.wait().await;
                        answer(request).await
                    })
                })
                .collect();
            let mut created = 0;
            for task in tasks {
                match task.await.expect("task") {
                    (StatusCode::CREATED, _) => created += 1,
                    (status, body) => assert_eq!(
                        (status, body),
                        (
                            StatusCode::BAD_REQUEST,
                            json!({"detail": "REGISTER_USER_ALREADY_EXISTS"})
                        )
                    ),
                }
            }
            assert_eq!(created, 1, "trial {trial}: one account");
            // Both instances see that one account (stored as the winning variant wrote it).
            let mut ids = Vec::new();
            for app in [&a, &b] {
                let t = token(&http, app, "jwt", &variants[1]).await;
                let (status, body) = answer(http.get(app.at("/users/me")).bearer_auth(&t)).await;
                assert_eq!(status, StatusCode::OK);
                let stored = body["email"].as_str().expect("email");
                assert_eq!(stored.to_lowercase(), email);
                ids.push(body["id"].clone());
            }
            assert_eq!(ids[0], ids[1]);
        }
        let admin = token(&http, &b, "jwt", ADMIN).await;
        assert_eq!(me(&http, &a, &admin).await, StatusCode::OK);
        for app in [&a, &b] {
            assert!(
                !app.stderr().contains("panicked"),
                "an instance panicked:\n{}",
                app.stderr()
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn two_instances_on_one_postgres_database() {
        let Some(db) = crate::common::PgDb::new().await else {
            return;
        };
        two_instances(db.url()).await;
        db.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn two_instances_on_one_mariadb_database() {
        let Some(db) = crate::common::MySqlDb::new().await else {
            return;
        };
        two_instances(db.url()).await;
        db.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn two_instances_on_one_mongodb_database() {
        let Some(db) = crate::common::mongo::MongoTestDb::new().await else {
            return;
        };
        two_instances(db.url()).await;
        db.close().await;
    }
}
