//! Shared set-up of the integration tests: real databases, one fresh database per test.
//!
//! SQLite always runs (a temporary file per test). PostgreSQL and MySQL/MariaDB run when
//! the crate is built with the `postgres` / `mysql` features and their URL is set in
//! `AXUM_USERS_TEST_POSTGRES` / `AXUM_USERS_TEST_MYSQL`; each test creates its own database
//! there and drops it afterwards. MongoDB runs on `AXUM_USERS_TEST_MONGODB` or an nx-27017
//! server the tests start (`mongo.rs`). Under `CI=true` a missing URL or an unreachable server
//! fails the test; elsewhere the test says it skipped.
#![allow(dead_code)]

pub mod mongo;
pub mod oidc;
pub mod process;
pub mod proxy;
pub mod server;
pub mod users;

use std::path::PathBuf;

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Says a database suite cannot run: a failure in CI, a visible skip elsewhere.
fn unavailable(what: &str, why: &str) {
    if in_ci() {
        panic!("{what} is required in CI but unavailable: {why}");
    }
    eprintln!("SKIPPED: {what} tests ({why})");
}

fn unique_name() -> String {
    format!("axum_users_t_{}", uuid::Uuid::new_v4().simple())
}

/// `url` with its database path replaced by `/name` (the query string kept).
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let query = tail.find('?').map_or("", |i| &tail[i..]);
    format!("{scheme}://{authority}/{name}{query}")
}

/// `url` with its `host:port` replaced by the proxy's address.
pub(crate) fn through(url: &str, host_port: &str, proxy: &proxy::Proxy) -> String {
    assert!(
        url.contains(host_port),
        "the test database URL must name its host and port"
    );
    url.replacen(host_port, &proxy.addr.to_string(), 1)
}

/// A fresh SQLite database in a temporary file, with the options axum-users recommends.
pub struct SqliteDb {
    pub pool: sqlx::SqlitePool,
    path: PathBuf,
}

impl SqliteDb {
    pub async fn new() -> Self {
        let path = std::env::temp_dir().join(format!("{}.db", unique_name()));
        let url = format!("sqlite://{}", path.display());
        let options = axum_users::store::sqlite_options(&url).expect("sqlite options");
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .expect("open sqlite");
        Self { pool, path }
    }

    pub async fn close(self) {
        self.pool.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}

pub struct PgDb {
    pub pool: sqlx::PgPool,
    admin: sqlx::PgPool,
    name: String,
    url: String,
}

impl PgDb {
    pub async fn new() -> Option<Self> {
        use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
        use std::str::FromStr;
        let Ok(url) = std::env::var("AXUM_USERS_TEST_POSTGRES") else {
            unavailable("PostgreSQL", "AXUM_USERS_TEST_POSTGRES is not set");
            return None;
        };
        let base =
            PgConnectOptions::from_str(&url).expect("AXUM_USERS_TEST_POSTGRES is a postgres URL");
        let admin = match PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect_with(base.clone())
            .await
        {
            Ok(pool) => pool,
            Err(e) => {
                unavailable("PostgreSQL", &e.to_string());
                return None;
            }
        };
        let name = unique_name();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&admin)
            .await
            .expect("create test database");
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect_with(base.database(&name))
            .await
            .expect("connect to test database");
        Some(Self {
            pool,
            admin,
            name,
            url,
        })
    }

    /// The URL of this test database.
    pub fn url(&self) -> String {
        with_database(&self.url, &self.name)
    }

    /// The URL of this test database reached through `proxy` (host and port replaced).
    pub fn url_through(&self, proxy: &proxy::Proxy) -> String {
        through(&self.url(), &proxy::host_port(&self.url, 5432), proxy)
    }

    /// Ends every server process connected to this test database (as a crash or a
    /// failover would); the number ended.
    pub async fn terminate_backends(&self) -> i64 {
        sqlx::query_scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&self.name)
        .fetch_one(&self.admin)
        .await
        .expect("terminate backends")
    }

    pub async fn close(self) {
        self.pool.close().await;
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        )))
        .execute(&self.admin)
        .await;
    }
}

pub struct MySqlDb {
    pub pool: sqlx::MySqlPool,
    admin: sqlx::MySqlPool,
    name: String,
    url: String,
}

impl MySqlDb {
    pub async fn new() -> Option<Self> {
        use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
        use std::str::FromStr;
        let Ok(url) = std::env::var("AXUM_USERS_TEST_MYSQL") else {
            unavailable("MySQL/MariaDB", "AXUM_USERS_TEST_MYSQL is not set");
            return None;
        };
        let base =
            MySqlConnectOptions::from_str(&url).expect("AXUM_USERS_TEST_MYSQL is a mysql URL");
        let admin = match MySqlPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect_with(base.clone())
            .await
        {
            Ok(pool) => pool,
            Err(e) => {
                unavailable("MySQL/MariaDB", &e.to_string());
                return None;
            }
        };
        let name = unique_name();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE `{name}`")))
            .execute(&admin)
            .await
            .expect("create test database");
        let pool = MySqlPoolOptions::new()
            .max_connections(8)
            .connect_with(base.database(&name))
            .await
            .expect("connect to test database");
        Some(Self {
            pool,
            admin,
            name,
            url,
        })
    }

    /// The URL of this test database.
    pub fn url(&self) -> String {
        with_database(&self.url, &self.name)
    }

    /// The URL of this test database reached through `proxy` (host and port replaced).
    pub fn url_through(&self, proxy: &proxy::Proxy) -> String {
        through(&self.url(), &proxy::host_port(&self.url, 3306), proxy)
    }

    pub async fn close(self) {
        self.pool.close().await;
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS `{}`",
            self.name
        )))
        .execute(&self.admin)
        .await;
    }
}

/// Runs `$body(pool)` once per database: `sqlite` always, `postgres` and `mysql` behind
/// their features. `$body` is an async fn generic over the sqlx database.
#[macro_export]
macro_rules! on_every_database {
    ($($name:ident => $body:ident;)*) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let db = $crate::common::SqliteDb::new().await;
                super::$body(db.pool.clone()).await;
                db.close().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some(db) = $crate::common::PgDb::new().await {
                    super::$body(db.pool.clone()).await;
                    db.close().await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn mysql() {
                if let Some(db) = $crate::common::MySqlDb::new().await {
                    super::$body(db.pool.clone()).await;
                    db.close().await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn mongodb() {
                if let Some(db) = $crate::common::mongo::MongoTestDb::new().await {
                    super::$body(db.pool.clone()).await;
                    db.close().await;
                }
            }
        }
    )*};
}
