//! Redis access tokens: key `fastapi_users_token:<sha256 hex of the token>`, value the user
//! id, written with `SET … EX <lifetime>`, removed at logout with `DEL` (§5.2).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use super::database::{random_token, token_hash};
use crate::error::Error;

/// The Redis token strategy.
///
/// ```no_run
/// use auth_runtime::auth::{RedisTokens, Strategy};
/// let client = redis::Client::open("redis://127.0.0.1:6379").unwrap();
/// let strategy = Strategy::Redis(RedisTokens::new(client, Some(3600)));
/// ```
#[derive(Clone)]
pub struct RedisTokens {
    client: redis::Client,
    lifetime: Option<u64>,
    prefix: String,
    connection: Arc<OnceCell<ConnectionManager>>,
}

impl fmt::Debug for RedisTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokens")
            .field("lifetime", &self.lifetime)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn unavailable(err: redis::RedisError) -> Error {
    tracing::error!(error = %err, "redis unavailable");
    Error::Store(crate::store::StoreError::Database(sqlx::Error::Io(
        std::io::Error::other("redis unavailable"),
    )))
}

impl RedisTokens {
    /// Tokens in Redis through `client`, expiring after `lifetime` seconds (`None`: no TTL).
    /// The connection is opened at first use and re-established when it drops.
    pub fn new(client: redis::Client, lifetime: Option<u64>) -> Self {
        Self {
            client,
            lifetime,
            prefix: "fastapi_users_token:".into(),
            connection: Arc::new(OnceCell::new()),
        }
    }

    /// Replaces the key prefix (default `fastapi_users_token:`).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The lifetime in seconds, if any.
    pub fn lifetime_seconds(&self) -> Option<u64> {
        self.lifetime
    }

    /// The key a token is stored under.
    pub fn key(&self, token: &str) -> String {
        format!("{}{}", self.prefix, token_hash(token))
    }

    async fn connection(&self) -> Result<ConnectionManager, Error> {
        let manager = self
            .connection
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(Duration::from_secs(5)))
                    .set_response_timeout(Some(Duration::from_secs(5)))
                    .set_number_of_retries(2);
                ConnectionManager::new_with_config(self.client.clone(), config).await
            })
            .await
            .map_err(unavailable)?;
        Ok(manager.clone())
    }

    pub(crate) async fn write_token(&self, user_id: &str) -> Result<String, Error> {
        let token = random_token()?;
        let mut conn = self.connection().await?;
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(&token)).arg(user_id);
        if let Some(seconds) = self.lifetime {
            cmd.arg("EX").arg(seconds);
        }
        cmd.query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(token)
    }

    pub(crate) async fn read_token(&self, token: &str) -> Result<Option<String>, Error> {
        let mut conn = self.connection().await?;
        redis::cmd("GET")
            .arg(self.key(token))
            .query_async::<Option<String>>(&mut conn)
            .await
            .map_err(unavailable)
    }

    pub(crate) async fn destroy_token(&self, token: &str) -> Result<(), Error> {
        let mut conn = self.connection().await?;
        redis::cmd("DEL")
            .arg(self.key(token))
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }
}
