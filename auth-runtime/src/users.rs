//! [`Users`]: the configured axum-users value (store, hasher, secrets, backends, hooks),
//! built once at start-up and cheap to clone.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::http::request::Parts;
use axum::http::{Method, header};

use crate::auth::jwt::PurposeTokens;
use crate::auth::{AuthBackend, Strategy, TokenSubject, Transport, sanitize_name};
use crate::db::{AnyStore, DbPool};
use crate::error::Error;
use crate::hooks::RequestContext;
use crate::password::{HashingConfig, PasswordHasher, PasswordPolicy};
use crate::store::{StoreError, UserStore};
use crate::user::{AuthUser, UserId};
use crate::value::SqlField;

/// Why a [`Users`] value could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No authentication backend was added.
    #[error("add at least one authentication backend with UsersBuilder::backend")]
    NoBackend,
    /// Two backend names are equal after sanitizing.
    #[error("backend names `{0}` and `{1}` clash (both sanitize to `{2}`)")]
    BackendNameClash(String, String, String),
    /// A backend name is empty after sanitizing.
    #[error("backend name `{0}` has no usable characters ([A-Za-z_][0-9A-Za-z_]*)")]
    BadBackendName(String),
    /// Invalid cookie settings.
    #[error("cookie settings of backend `{0}`: {1}")]
    Cookie(String, String),
    /// The hooks type of the user needs a value.
    #[error("the user type names a hooks type: pass a value with UsersBuilder::hooks")]
    MissingHooks,
    /// Invalid password hashing settings.
    #[error("{0}")]
    Hashing(#[from] crate::password::HashError),
    /// Invalid token settings.
    #[error("{0}")]
    Token(#[from] crate::auth::jwt::JwtConfigError),
    /// No backend has this name.
    #[error("no authentication backend is named `{0}`")]
    UnknownBackend(String),
    /// The password policy minimum must be at least 1.
    #[error("the password policy needs min_chars >= 1")]
    Policy,
    /// A trusted origin is not of the form `scheme://host[:port]`.
    #[error("trusted origin `{0}`: {1}")]
    TrustedOrigin(String, String),
}

/// The layer of [`Users::csrf_layer`].
pub type CsrfLayer = tower_http::csrf::CsrfLayer<
    fn(tower_http::csrf::ProtectionError) -> http::Response<axum::body::Body>,
>;

pub(crate) struct Inner<U: AuthUser> {
    pub(crate) pool: DbPool,
    pub(crate) store: AnyStore<U>,
    pub(crate) hasher: PasswordHasher,
    pub(crate) policy: PasswordPolicy,
    pub(crate) hooks: U::Hooks,
    pub(crate) backends: Vec<AuthBackend>,
    pub(crate) reset_secret: Vec<u8>,
    pub(crate) reset_tokens: PurposeTokens,
    pub(crate) verify_tokens: PurposeTokens,
    pub(crate) body_limit: usize,
    pub(crate) read_timeout: Duration,
    pub(crate) trusted_origins: Vec<String>,
    pub(crate) tasks: tokio_util::task::TaskTracker,
    #[cfg(feature = "oauth")]
    pub(crate) oauth: crate::oauth::OAuthState,
}

/// The configured axum-users value: hand it to the routers and keep it in your axum state
/// (the extractors find it there through `FromRef`).
///
/// ```
/// use axum_users::prelude::*;
/// use axum_users::auth::{AuthBackend, JwtStrategy, Strategy, Transport};
///
/// #[derive(AuthUser, Clone, Debug)]
/// pub struct User {
///     pub id: uuid::Uuid,
///     pub email: String,
///     pub hashed_password: String,
///     pub is_active: bool,
///     pub is_superuser: bool,
///     pub is_verified: bool,
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let secret = "change me: at least thirty-two bytes of secret";
/// let pool = DbPool::connect("sqlite::memory:").await?;
/// let users = Users::<User>::builder(pool)
///     .backend(AuthBackend::new(
///         "jwt",
///         Transport::bearer("auth/jwt/login"),
///         Strategy::Jwt(JwtStrategy::hs256(secret, 3600)?),
///     ))
///     .secrets(secret)
///     .build()?;
/// users.migrate().await?;
/// let app: axum::Router = axum::Router::new()
///     .nest("/auth/jwt", users.auth_router("jwt")?)
///     .nest("/auth", users.register_router())
///     .nest("/users", users.users_router());
/// # Ok(()) }
/// ```
pub struct Users<U: AuthUser> {
    pub(crate) inner: Arc<Inner<U>>,
}

impl<U: AuthUser> Clone for Users<U> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<U: AuthUser> fmt::Debug for Users<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Users")
            .field("store", &self.inner.store)
            .field("backends", &self.inner.backends)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Users`]; see [`Users::builder`].
pub struct UsersBuilder<U: AuthUser> {
    pool: DbPool,
    hashing: HashingConfig,
    policy: PasswordPolicy,
    hooks: Option<U::Hooks>,
    backends: Vec<AuthBackend>,
    reset_secret: Option<Vec<u8>>,
    verify_secret: Option<Vec<u8>>,
    reset_lifetime: u64,
    verify_lifetime: u64,
    body_limit: usize,
    read_timeout: Duration,
    trusted_origins: Vec<String>,
    #[cfg(feature = "oauth")]
    oauth_token_key: Option<[u8; 32]>,
    #[cfg(feature = "oauth")]
    oauth_accounts_in_read: bool,
}

impl<U: AuthUser> fmt::Debug for UsersBuilder<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsersBuilder")
            .field("pool", &self.pool)
            .field("backends", &self.backends)
            .finish_non_exhaustive()
    }
}

impl<U: AuthUser> UsersBuilder<U> {
    /// Adds an authentication backend; protected routes try backends in the order added.
    pub fn backend(mut self, backend: AuthBackend) -> Self {
        self.backends.push(backend);
        self
    }

    /// The hooks value (required when the user type names a hooks type).
    pub fn hooks(mut self, hooks: U::Hooks) -> Self {
        self.hooks = Some(hooks);
        self
    }

    /// argon2id cost and pool settings (default: OWASP minimum, one worker per core).
    pub fn hashing(mut self, config: HashingConfig) -> Self {
        self.hashing = config;
        self
    }

    /// The password policy (default: 8 characters to 4096 bytes).
    pub fn password_policy(mut self, policy: PasswordPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// One secret for reset-password and verification tokens (as the FastAPI Users full
    /// example does). Without a secret, a random one is made per process.
    pub fn secrets(self, secret: impl AsRef<[u8]>) -> Self {
        let secret = secret.as_ref().to_vec();
        self.reset_secret(secret.clone()).verify_secret(secret)
    }

    /// The secret of reset-password tokens.
    pub fn reset_secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.reset_secret = Some(secret.as_ref().to_vec());
        self
    }

    /// The secret of verification tokens.
    pub fn verify_secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.verify_secret = Some(secret.as_ref().to_vec());
        self
    }

    /// Lifetimes of reset and verification tokens in seconds (default 3600 each).
    pub fn token_lifetimes(mut self, reset: u64, verify: u64) -> Self {
        self.reset_lifetime = reset;
        self.verify_lifetime = verify;
        self
    }

    /// The request body limit of every axum-users route (default 64 KiB).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How long a request body may take to arrive (default 30 s).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Origins (e.g. `https://app.example.com`) allowed to send cross-site writes that ride
    /// a cookie (default: none).
    pub fn trusted_origins<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        origins: I,
    ) -> Self {
        self.trusted_origins = origins.into_iter().map(Into::into).collect();
        self
    }

    /// Keeps the access and refresh tokens of linked provider accounts (social login),
    /// encrypted with XChaCha20-Poly1305 under `key` (32 random bytes; keep it as secret as
    /// the signing secrets). Without a key they are not stored: linking and signing in work
    /// all the same, but the application cannot call the provider's API for the user later.
    #[cfg(feature = "oauth")]
    pub fn oauth_token_key(mut self, key: [u8; 32]) -> Self {
        self.oauth_token_key = Some(key);
        self
    }

    /// Every answer that carries a user (`UserRead`: register, `/users/me`, `/users/{id}`,
    /// verify, the associate callback) also lists the provider accounts linked to them, as
    /// `"oauth_accounts": [{"oauth_name", "account_id", "account_email", "expires_at"}]`
    /// (never their tokens), and the OpenAPI schema says so (default: off).
    #[cfg(feature = "oauth")]
    pub fn oauth_accounts_in_read(mut self, on: bool) -> Self {
        self.oauth_accounts_in_read = on;
        self
    }

    /// Checks the configuration and starts the hashing pool.
    pub fn build(self) -> Result<Users<U>, ConfigError> {
        if self.backends.is_empty() {
            return Err(ConfigError::NoBackend);
        }
        if self.policy.min_chars == 0 {
            return Err(ConfigError::Policy);
        }
        let mut seen: Vec<(String, String)> = Vec::new();
        let mut backends = self.backends;
        for backend in &mut backends {
            let clean = sanitize_name(backend.name());
            if clean.is_empty() {
                return Err(ConfigError::BadBackendName(backend.name().to_owned()));
            }
            if let Some((other, _)) = seen.iter().find(|(_, c)| *c == clean) {
                return Err(ConfigError::BackendNameClash(
                    other.clone(),
                    backend.name().to_owned(),
                    clean,
                ));
            }
            seen.push((backend.name().to_owned(), clean));
            let lifetime = backend.strategy().lifetime_seconds();
            let name = backend.name().to_owned();
            if let Transport::Cookie(settings) = backend.transport_mut() {
                if settings.max_age.is_none() {
                    settings.max_age = lifetime;
                }
                settings
                    .validate()
                    .map_err(|e| ConfigError::Cookie(name, e))?;
            }
            backend.strategy_mut().attach(&self.pool, U::TABLE);
        }
        let hooks = match self.hooks.or_else(U::default_hooks) {
            Some(hooks) => hooks,
            None => return Err(ConfigError::MissingHooks),
        };
        let secret_or_random = |secret: Option<Vec<u8>>| -> Result<Vec<u8>, ConfigError> {
            match secret {
                Some(s) => Ok(s),
                None => {
                    let mut bytes = vec![0u8; 32];
                    getrandom::fill(&mut bytes).map_err(|e| {
                        ConfigError::Hashing(crate::password::HashError::Internal(e.to_string()))
                    })?;
                    Ok(bytes)
                }
            }
        };
        let reset_secret = secret_or_random(self.reset_secret)?;
        let reset_tokens =
            PurposeTokens::new(&reset_secret, "fastapi-users:reset", self.reset_lifetime)?;
        let verify_tokens = PurposeTokens::new(
            secret_or_random(self.verify_secret)?,
            "fastapi-users:verify",
            self.verify_lifetime,
        )?;
        let hasher = PasswordHasher::new(self.hashing)?;
        #[cfg(feature = "oauth")]
        let pool_for_oauth = self.pool.clone();
        Ok(Users {
            inner: Arc::new(Inner {
                store: AnyStore::new(self.pool.clone()),
                pool: self.pool,
                hasher,
                policy: self.policy,
                hooks,
                backends,
                reset_secret,
                reset_tokens,
                verify_tokens,
                body_limit: self.body_limit,
                read_timeout: self.read_timeout,
                trusted_origins: self.trusted_origins,
                tasks: tokio_util::task::TaskTracker::new(),
                #[cfg(feature = "oauth")]
                oauth: crate::oauth::OAuthState::new(
                    &pool_for_oauth,
                    U::TABLE,
                    self.oauth_token_key,
                    self.oauth_accounts_in_read,
                ),
            }),
        })
    }
}

/// What a protected route asks of the current user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Requirement {
    pub(crate) active: bool,
    pub(crate) verified: bool,
    pub(crate) superuser: bool,
}

impl Requirement {
    pub(crate) const ANY: Self = Self {
        active: false,
        verified: false,
        superuser: false,
    };
    pub(crate) const ACTIVE: Self = Self {
        active: true,
        verified: false,
        superuser: false,
    };
}

/// The user a request authenticated as, with the backend and token that did it.
#[derive(Debug, Clone)]
pub(crate) struct Authenticated<U> {
    pub(crate) user: U,
    pub(crate) backend: usize,
    pub(crate) token: String,
}

fn is_unsafe_method(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

impl<U: AuthUser> Users<U> {
    /// Starts configuring axum-users on `pool` (a [`DbPool`], or a sqlx pool of a supported
    /// database).
    pub fn builder(pool: impl Into<DbPool>) -> UsersBuilder<U> {
        UsersBuilder {
            pool: pool.into(),
            hashing: HashingConfig::default(),
            policy: PasswordPolicy::default(),
            hooks: None,
            backends: Vec::new(),
            reset_secret: None,
            verify_secret: None,
            reset_lifetime: 3600,
            verify_lifetime: 3600,
            body_limit: 64 * 1024,
            read_timeout: Duration::from_secs(30),
            trusted_origins: Vec::new(),
            #[cfg(feature = "oauth")]
            oauth_token_key: None,
            #[cfg(feature = "oauth")]
            oauth_accounts_in_read: false,
        }
    }

    /// Creates the user table and the tables of database-token backends if missing
    /// (idempotent).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.inner.store.migrate().await?;
        #[cfg(feature = "oauth")]
        self.inner.oauth.tables.migrate().await?;
        for backend in &self.inner.backends {
            if let Strategy::Database(d) = backend.strategy() {
                d.migrate().await?;
            }
        }
        Ok(())
    }

    /// The user store.
    pub fn store(&self) -> &AnyStore<U> {
        &self.inner.store
    }

    /// The database pool.
    pub fn pool(&self) -> &DbPool {
        &self.inner.pool
    }

    /// The password hasher.
    pub fn hasher(&self) -> &PasswordHasher {
        &self.inner.hasher
    }

    /// The hooks.
    pub fn hooks(&self) -> &U::Hooks {
        &self.inner.hooks
    }

    /// The backends, in the order protected routes try them.
    pub fn backends(&self) -> &[AuthBackend] {
        &self.inner.backends
    }

    /// Deletes expired database tokens of every database-token backend; the number deleted.
    pub async fn purge_expired_tokens(&self) -> Result<u64, StoreError> {
        let mut total = 0;
        for backend in &self.inner.backends {
            if let Strategy::Database(d) = backend.strategy() {
                total += d.purge_expired().await?;
            }
        }
        Ok(total)
    }

    /// Waits (at most `timeout`) for the hook tasks still running (mails of forgot-password
    /// and request-verify-token); call it after the server stopped. `false` if some were
    /// still running at the deadline.
    pub async fn wait_for_hooks(&self, timeout: Duration) -> bool {
        self.inner.tasks.close();
        let done = tokio::time::timeout(timeout, self.inner.tasks.wait())
            .await
            .is_ok();
        self.inner.tasks.reopen();
        done
    }

    /// The answer carrying `user` as `UserRead` (plus its linked provider accounts when so
    /// configured).
    pub(crate) async fn user_response(
        &self,
        status: axum::http::StatusCode,
        user: &U,
    ) -> Result<axum::response::Response, Error> {
        #[cfg(feature = "oauth")]
        if self.inner.oauth.in_read {
            return Ok(crate::routes::json(status, &self.read_json(user).await?));
        }
        Ok(crate::routes::json(status, &user.to_read()))
    }

    pub(crate) fn backend_index(&self, name: &str) -> Option<usize> {
        self.inner.backends.iter().position(|b| b.name() == name)
    }

    /// A layer refusing cross-origin writes to the whole application, for sites that sign in
    /// with a cookie: the scheme of Go's `CrossOriginProtection`, through tower-http's
    /// [`CsrfLayer`](tower_http::csrf::CsrfLayer). A `POST`, `PATCH`, `PUT` or `DELETE` passes
    /// when the browser says `Sec-Fetch-Site: same-origin` (or `none`), when its `Origin` is one
    /// of the [trusted origins](UsersBuilder::trusted_origins), or when its `Origin` names the
    /// request's own host; a request with neither header (not from a browser) passes too.
    /// Everything else, sibling subdomains included, gets 403 `{"detail": "Forbidden"}`. No
    /// token state, no hidden form fields. The routers already refuse cross-site writes riding
    /// their cookie (`Sec-Fetch-Site: cross-site`); this layer is stricter and also covers
    /// the application's own routes.
    ///
    /// ```
    /// # use axum_users::prelude::*;
    /// # fn app<U: axum_users::AuthUser>(users: Users<U>) -> Result<axum::Router, axum_users::ConfigError> {
    /// let app = axum::Router::new().layer(users.csrf_layer()?);
    /// # Ok(app) }
    /// ```
    pub fn csrf_layer(&self) -> Result<CsrfLayer, ConfigError> {
        fn refuse(_: tower_http::csrf::ProtectionError) -> http::Response<axum::body::Body> {
            crate::error::status_response(http::StatusCode::FORBIDDEN)
        }
        let mut layer = tower_http::csrf::CsrfLayer::new().with_rejection_response(
            refuse as fn(tower_http::csrf::ProtectionError) -> http::Response<axum::body::Body>,
        );
        for origin in &self.inner.trusted_origins {
            layer = layer
                .add_trusted_origin(origin)
                .map_err(|e| ConfigError::TrustedOrigin(origin.clone(), format!("{e:?}")))?;
        }
        Ok(layer)
    }

    /// Whether a cross-site write should be refused (§4.2): an unsafe method, the browser
    /// says `Sec-Fetch-Site: cross-site`, and the `Origin` is absent or not trusted.
    pub(crate) fn cross_site_refused(&self, parts: &Parts) -> bool {
        if !is_unsafe_method(&parts.method) {
            return false;
        }
        let cross_site = parts
            .headers
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"));
        if !cross_site {
            return false;
        }
        match parts
            .headers
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
        {
            Some(origin) => !self.inner.trusted_origins.iter().any(|t| t == origin),
            None => true,
        }
    }

    /// Finds the user of a request: the first backend whose transport finds a credential and
    /// whose strategy finds a user wins.
    pub(crate) async fn find_user(&self, parts: &Parts) -> Result<Option<Authenticated<U>>, Error> {
        for (index, backend) in self.inner.backends.iter().enumerate() {
            let Some(token) = backend.transport().read(&parts.headers) else {
                continue;
            };
            let Some(subject) = backend.strategy().read_token(&token).await? else {
                continue;
            };
            let id = match subject {
                TokenSubject::Text(s) => U::Id::parse_id(&s),
                TokenSubject::Value(v) => U::Id::from_value(v).ok(),
            };
            let Some(id) = id else { continue };
            let Some(user) = self.inner.store.get(&id).await? else {
                continue;
            };
            return Ok(Some(Authenticated {
                user,
                backend: index,
                token,
            }));
        }
        Ok(None)
    }

    /// The current user under `requirement`: 401 when there is none or it is inactive (when
    /// activity is required), 403 when verification or superuser status is missing, 403 for
    /// a cross-site write riding a cookie.
    pub(crate) async fn require(
        &self,
        parts: &Parts,
        requirement: Requirement,
    ) -> Result<Authenticated<U>, Error> {
        let found = self.find_user(parts).await?.ok_or(Error::Unauthorized)?;
        if self.inner.backends[found.backend].transport().is_cookie()
            && self.cross_site_refused(parts)
        {
            return Err(Error::Forbidden);
        }
        if requirement.active && !found.user.is_active() {
            return Err(Error::Unauthorized);
        }
        if requirement.verified && !found.user.is_verified() {
            return Err(Error::Forbidden);
        }
        if requirement.superuser && !found.user.is_superuser() {
            return Err(Error::Forbidden);
        }
        Ok(found)
    }
}

/// The hook context of a request.
pub(crate) fn request_context(parts: &Parts) -> RequestContext {
    RequestContext {
        method: parts.method.clone(),
        uri: parts.uri.clone(),
        headers: parts.headers.clone(),
        peer: parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0),
    }
}
