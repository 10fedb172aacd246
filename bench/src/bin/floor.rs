//! The floor of the benchmark: the work of `GET /users/me` written by hand with axum, sqlx
//! and jsonwebtoken, without axum-users. Decode and check one HS256 JWT (audience
//! `fastapi-users:auth`, `exp` and `sub` required), select the user by primary key from the
//! database `examples/full` made, answer the same JSON. Its throughput over axum-users' is
//! the library's own overhead.
//!
//! Environment: `DATABASE_URL` (`sqlite://…` or `postgres://…`, the full example's
//! database), `JWT_SECRET` (the full example's), `PORT` (bound on 127.0.0.1).

use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

#[derive(Clone)]
struct App {
    key: DecodingKey,
    validation: Validation,
    db: Db,
}

#[derive(Clone)]
enum Db {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
}

#[derive(Serialize)]
struct UserRead {
    id: String,
    email: String,
    is_active: bool,
    is_superuser: bool,
    is_verified: bool,
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"detail":"Unauthorized"}"#,
    )
        .into_response()
}

async fn me(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return unauthorized();
    };
    let Ok(data) = jsonwebtoken::decode::<Claims>(token, &app.key, &app.validation) else {
        return unauthorized();
    };
    let Ok(id) = uuid::Uuid::parse_str(&data.claims.sub) else {
        return unauthorized();
    };
    type Row = (String, String, bool, bool, bool);
    let row: Result<Option<Row>, sqlx::Error> = match &app.db {
        Db::Sqlite(pool) => {
            sqlx::query_as(
                r#"SELECT "id", "email", "is_active", "is_superuser", "is_verified" FROM "user" WHERE "id" = ?"#,
            )
            .bind(id.to_string())
            .fetch_optional(pool)
            .await
        }
        Db::Postgres(pool) => {
            sqlx::query_as(
                r#"SELECT "id"::text, "email", "is_active", "is_superuser", "is_verified" FROM "user" WHERE "id" = $1"#,
            )
            .bind(id)
            .fetch_optional(pool)
            .await
        }
    };
    let user = row.map(|row| {
        row.map(
            |(id, email, is_active, is_superuser, is_verified)| UserRead {
                id,
                email,
                is_active,
                is_superuser,
                is_verified,
            },
        )
    });
    match user {
        Ok(Some(user)) if user.is_active => axum::Json(user).into_response(),
        Ok(_) => unauthorized(),
        Err(e) => {
            eprintln!("floor: database error: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "database error").into_response()
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL")?;
    let secret = std::env::var("JWT_SECRET")?;
    let port: u16 = std::env::var("PORT")?.parse()?;
    let db = if url.starts_with("sqlite:") {
        use std::str::FromStr;
        // The pool of axum-users on SQLite: 8 connections, WAL.
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)?
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_secs(5));
        Db::Sqlite(
            sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await?,
        )
    } else {
        Db::Postgres(sqlx::PgPool::connect(&url).await?)
    };
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&["fastapi-users:auth"]);
    validation.set_required_spec_claims(&["exp", "aud", "sub"]);
    let app = App {
        key: DecodingKey::from_secret(secret.as_bytes()),
        validation,
        db,
    };
    let router = Router::new().route("/users/me", get(me)).with_state(app);
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    axum::serve(listener, router).await?;
    Ok(())
}
