//! An example app run as its own process, as a user runs it: `target/<profile>/examples/<name>`
//! (built first if it is missing), on a free loopback port, stopped when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The path of the built example `name`, building it when it is missing.
pub fn example_binary(name: &str) -> PathBuf {
    // Test executables live in target/<profile>/deps; examples in target/<profile>/examples.
    let exe = std::env::current_exe().expect("test executable");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    let binary = profile_dir.join("examples").join(name);
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--example", name])
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build --example {name} failed");
    }
    binary
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// A running example process.
pub struct App {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    child: Child,
    /// Where its standard error goes.
    pub log: PathBuf,
}

impl App {
    /// Starts example `name` with `env` (plus `PORT`) and waits until `probe` (a path)
    /// answers.
    pub async fn start(name: &str, env: &[(&str, String)], probe: &str) -> Self {
        Self::start_on(free_port(), name, env, probe).await
    }

    /// [`App::start`] on a port chosen beforehand (for URLs that must be known before the
    /// app runs, such as an OAuth callback registered with a provider).
    pub async fn start_on(port: u16, name: &str, env: &[(&str, String)], probe: &str) -> Self {
        let log = std::env::temp_dir().join(format!(
            "axum-users-{name}-{port}-{}.log",
            uuid::Uuid::new_v4().simple()
        ));
        let mut command = Command::new(example_binary(name));
        command
            .env("PORT", port.to_string())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"));
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command.spawn().expect("start the example");
        let mut app = Self {
            url: format!("http://127.0.0.1:{port}"),
            child,
            log,
        };
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(response) = client.get(app.at(probe)).send().await
                && !response.status().is_server_error()
            {
                return app;
            }
            if let Ok(Some(status)) = app.child.try_wait() {
                panic!("{name} exited with {status}:\n{}", app.stderr());
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{name} did not answer within 30 s:\n{}",
                app.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The absolute URL of `path`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    /// What the process wrote to standard error so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
