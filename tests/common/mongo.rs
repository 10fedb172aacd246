//! The MongoDB test database: a fresh database per test on the server that
//! `AXUM_USERS_TEST_MONGODB` names (e.g. `mongodb://127.0.0.1:27017`), or, when it is unset,
//! on an `nx-27017` server this test process starts on a free loopback port, if the Python
//! of `AXUM_USERS_TEST_PYTHON` (default `python3`) can import it (`pip install nx-27017`).
//! `.ci/run` starts one for the whole run. Under `CI=true` no server is a failure.

use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum_users::DbPool;
use axum_users::mongo::MongoDb;

/// The launcher of nx-27017 in this repository.
const LAUNCHER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mongo/nx27017.py");

/// The server URL (without database), or why there is none.
fn server() -> &'static Result<String, String> {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var("AXUM_USERS_TEST_MONGODB") {
            return Ok(url.trim_end_matches('/').to_owned());
        }
        start_nx27017()
    })
}

/// Starts nx-27017 for this test process; it exits when this process does (the launcher
/// watches its parent).
fn start_nx27017() -> Result<String, String> {
    let python = std::env::var("AXUM_USERS_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let has_it = Command::new(&python)
        .args(["-c", "import nx_27017"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_it {
        return Err(format!(
            "AXUM_USERS_TEST_MONGODB is not set and `{python}` cannot import nx_27017"
        ));
    }
    let port = super::process::free_port();
    let dir = std::env::temp_dir().join(format!("axum-users-nx27017-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Command::new(&python)
        .arg(LAUNCHER)
        .args([
            "--watch-parent",
            "--host",
            "127.0.0.1",
            "--data-dir",
            "memory",
        ])
        .args(["-p", &port.to_string()])
        .arg("--pid-file")
        .arg(dir.join("nx.pid"))
        .arg("--log-file")
        .arg(dir.join("nx.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("start nx-27017: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(format!("mongodb://127.0.0.1:{port}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!(
        "nx-27017 did not listen on port {port} within 20 s"
    ))
}

/// The test server's URL without a database (`None` after saying why, as the databases do).
pub fn server_url() -> Option<String> {
    match server() {
        Ok(url) => Some(url.clone()),
        Err(why) => {
            super::unavailable("MongoDB", why);
            None
        }
    }
}

/// A fresh MongoDB database, dropped by [`MongoTestDb::close`].
pub struct MongoTestDb {
    pub pool: DbPool,
    pub db: MongoDb,
    url: String,
}

impl MongoTestDb {
    pub async fn new() -> Option<Self> {
        let server = server_url()?;
        let url = format!("{server}/{}", super::unique_name());
        let pool = match DbPool::connect(&url).await {
            Ok(pool) => pool,
            Err(e) => {
                super::unavailable("MongoDB", &e.to_string());
                return None;
            }
        };
        let DbPool::MongoDb(db) = pool.clone() else {
            panic!("a mongodb:// URL gives a MongoDB pool");
        };
        Some(Self { pool, db, url })
    }

    /// The URL of this test database.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The server's `host:port`.
    pub fn host_port(&self) -> String {
        super::proxy::host_port(&self.url, 27017)
    }

    /// The URL of this test database reached through `proxy`, giving up on the server
    /// after `timeout` (server selection, connection) as a pool's acquire timeout does.
    pub fn url_through(&self, proxy: &super::proxy::Proxy, timeout: Duration) -> String {
        let ms = timeout.as_millis();
        format!(
            "{}?directConnection=true&serverSelectionTimeoutMS={ms}&connectTimeoutMS={ms}",
            super::through(&self.url, &self.host_port(), proxy)
        )
    }

    pub async fn close(self) {
        let _ = self.db.database().drop().await;
        self.db.close().await;
    }
}
