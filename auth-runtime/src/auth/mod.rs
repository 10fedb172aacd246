//! Authentication backends: a name, a transport (how the credential travels: bearer header
//! or cookie) and a strategy (what the credential is: JWT, database token, Redis token).

pub mod database;
pub mod jwt;
pub mod redis;
pub mod transport;

use std::fmt;

pub use database::{DatabaseTokens, random_token};
pub use jwt::JwtStrategy;
pub use redis::RedisTokens;
pub use transport::{CookieSettings, SameSite};

use crate::db::DbPool;
use crate::error::Error;
use crate::user::TableSpec;

/// How the credential travels.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// `Authorization: Bearer <token>`; login answers 200 `{"access_token","token_type"}`.
    Bearer {
        /// The login URL named in OpenAPI (`auth/jwt/login` in the full example).
        token_url: String,
    },
    /// A cookie; login answers 204 with `Set-Cookie`.
    Cookie(CookieSettings),
}

impl Transport {
    /// The bearer transport with its OpenAPI `tokenUrl`.
    pub fn bearer(token_url: impl Into<String>) -> Self {
        Self::Bearer {
            token_url: token_url.into(),
        }
    }

    /// The cookie transport.
    pub fn cookie(settings: CookieSettings) -> Self {
        Self::Cookie(settings)
    }

    /// The credential this transport finds in a request.
    pub fn read(&self, headers: &http::HeaderMap) -> Option<String> {
        match self {
            Self::Bearer { .. } => transport::read_bearer(headers),
            Self::Cookie(settings) => settings.read(headers),
        }
    }

    /// Whether this is a cookie transport.
    pub fn is_cookie(&self) -> bool {
        matches!(self, Self::Cookie(_))
    }
}

/// What the credential is.
#[derive(Clone)]
#[non_exhaustive]
pub enum Strategy {
    /// A signed JWT (stateless; logout revokes nothing).
    Jwt(JwtStrategy),
    /// A random token stored (hashed) in the `accesstoken` table of the user database.
    Database(DatabaseTokens),
    /// A random token stored (hashed) in Redis with a TTL.
    Redis(RedisTokens),
}

impl fmt::Debug for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Jwt(_) => f.write_str("Strategy::Jwt"),
            Self::Database(d) => write!(f, "Strategy::Database({d:?})"),
            Self::Redis(r) => write!(f, "Strategy::Redis({r:?})"),
        }
    }
}

impl Strategy {
    /// The token lifetime in seconds, if tokens expire.
    pub fn lifetime_seconds(&self) -> Option<u64> {
        match self {
            Self::Jwt(j) => Some(j.lifetime_seconds()),
            Self::Database(d) => d.lifetime_seconds(),
            Self::Redis(r) => r.lifetime_seconds(),
        }
    }

    pub(crate) fn attach(&mut self, pool: &DbPool, table: &'static TableSpec) {
        if let Self::Database(d) = self {
            d.attach(pool, table);
        }
    }

    /// Issues a token for the user with this id (its string form).
    pub(crate) async fn write_token(
        &self,
        user_id: &crate::value::Value,
        sub: &str,
    ) -> Result<String, Error> {
        match self {
            Self::Jwt(j) => j.issue(sub).map_err(|e| Error::Internal(e.to_string())),
            Self::Database(d) => Ok(d.write_token(user_id).await?),
            Self::Redis(r) => r.write_token(sub).await,
        }
    }

    /// The user id a token names: for JWTs the `sub` string, otherwise the stored id.
    pub(crate) async fn read_token(&self, token: &str) -> Result<Option<TokenSubject>, Error> {
        match self {
            Self::Jwt(j) => Ok(j.read_sub(token).map(TokenSubject::Text)),
            Self::Database(d) => Ok(d.read_token(token).await?.map(TokenSubject::Value)),
            Self::Redis(r) => Ok(r.read_token(token).await?.map(TokenSubject::Text)),
        }
    }

    /// Destroys a token at logout (nothing for JWTs).
    pub(crate) async fn destroy_token(&self, token: &str) -> Result<(), Error> {
        match self {
            Self::Jwt(_) => Ok(()),
            Self::Database(d) => Ok(d.destroy_token(token).await?),
            Self::Redis(r) => r.destroy_token(token).await,
        }
    }
}

/// The user a token names.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenSubject {
    /// An id in text form (JWT `sub`, Redis value).
    Text(String),
    /// An id as stored in the database.
    Value(crate::value::Value),
}

/// An authentication backend: a name, a transport and a strategy.
///
/// ```
/// use auth_runtime::auth::{AuthBackend, JwtStrategy, Strategy, Transport};
/// let jwt = JwtStrategy::hs256("a secret of at least thirty-two bytes!", 3600).unwrap();
/// let backend = AuthBackend::new("jwt", Transport::bearer("auth/jwt/login"), Strategy::Jwt(jwt));
/// assert_eq!(backend.name(), "jwt");
/// ```
#[derive(Debug, Clone)]
pub struct AuthBackend {
    name: String,
    transport: Transport,
    strategy: Strategy,
}

impl AuthBackend {
    /// A backend named `name` (used in route names and OpenAPI security schemes).
    pub fn new(name: impl Into<String>, transport: Transport, strategy: Strategy) -> Self {
        Self {
            name: name.into(),
            transport,
            strategy,
        }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The transport.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The strategy.
    pub fn strategy(&self) -> &Strategy {
        &self.strategy
    }

    pub(crate) fn strategy_mut(&mut self) -> &mut Strategy {
        &mut self.strategy
    }

    pub(crate) fn transport_mut(&mut self) -> &mut Transport {
        &mut self.transport
    }
}

/// The name with characters outside `[0-9A-Za-z_]` dropped, then leading characters that
/// are not letters or `_` (two backends must stay distinct after this).
pub fn sanitize_name(name: &str) -> String {
    let kept: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    kept.trim_start_matches(|c: char| !(c.is_ascii_alphabetic() || c == '_'))
        .to_owned()
}
