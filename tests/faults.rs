//! Database faults (security.md P10): every server process of the PostgreSQL database is
//! ended again and again while clients read and register. Requests get a JSON answer (503
//! while the database is unreachable), nothing panics, no half-written user exists, and the
//! service comes back on its own once the database answers again.
//!
//! Runs when `AXUM_USERS_TEST_POSTGRES` is set (`cargo test --all-features --test faults`).

mod common;

#[cfg(feature = "postgres")]
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
