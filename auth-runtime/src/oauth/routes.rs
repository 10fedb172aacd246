//! The OAuth routers (§2.5): `GET /authorize` and `GET /callback`, to sign in through a
//! provider (answering through an auth backend's transport) or to link a provider account to
//! the signed-in user.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use openidconnect::RedirectUrl;
use serde_json::{Map, Value as Json, json};
use sha2::{Digest, Sha256};

use super::provider::{OAuthProvider, ProviderConfigError, ProviderError};
use super::store::{Grant, LinkError};
use crate::auth::jwt::{PurposeTokens, TokenRefusal};
use crate::auth::{CookieSettings, random_token};
use crate::email::normalize_email;
use crate::error::{Error, ErrorCode};
use crate::hooks::{UpdateRecord, UserHooks};
use crate::routes::{RouterExt as _, json, respond};
use crate::user::AuthUser;
use crate::users::{ConfigError, Requirement, Users, request_context};
use crate::value::SqlField;

/// How long an authorization may take, from `/authorize` to `/callback` (as FastAPI Users).
const STATE_LIFETIME: u64 = 3600;
/// The audience of state tokens.
const STATE_AUDIENCE: &str = "fastapi-users:oauth-state";

/// Who signed in at the provider, as [`OAuthOptions::new_user_fields`] sees it.
#[derive(Debug, Clone)]
pub struct OAuthIdentity {
    /// The provider's name.
    pub provider: String,
    /// The provider's id of the account.
    pub account_id: String,
    /// The address (normalized).
    pub email: String,
    /// Whether the provider vouches for the address.
    pub email_verified: bool,
}

type NewUserFields = std::sync::Arc<dyn Fn(&OAuthIdentity) -> Map<String, Json> + Send + Sync>;

/// The settings of one OAuth router.
///
/// ```
/// use auth_runtime::oauth::OAuthOptions;
///
/// let options = OAuthOptions::new(
///     "https://app.example.com/auth/google/callback",
///     "a state secret of at least thirty-two bytes",
/// )
/// .unwrap()
/// .associate_by_email(true)
/// .is_verified_by_default(true);
/// # let _ = options;
/// ```
#[derive(Clone)]
pub struct OAuthOptions {
    new_user_fields: Option<NewUserFields>,
    redirect_url: RedirectUrl,
    state_secret: Vec<u8>,
    associate_by_email: bool,
    is_verified_by_default: bool,
    requires_verification: bool,
    csrf_cookie: CookieSettings,
}

impl std::fmt::Debug for OAuthOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthOptions")
            .field("redirect_url", &self.redirect_url.as_str())
            .field("associate_by_email", &self.associate_by_email)
            .field("is_verified_by_default", &self.is_verified_by_default)
            .field("requires_verification", &self.requires_verification)
            .field("csrf_cookie", &self.csrf_cookie)
            .finish_non_exhaustive()
    }
}

impl OAuthOptions {
    /// A router whose provider sends the browser back to `redirect_url` (the absolute URL of
    /// this router's `/callback`, as registered with the provider; never taken from the
    /// request), signing its states with `state_secret`.
    pub fn new(
        redirect_url: &str,
        state_secret: impl AsRef<[u8]>,
    ) -> Result<Self, ProviderConfigError> {
        let redirect_url = RedirectUrl::new(redirect_url.to_owned())
            .map_err(|e| ProviderConfigError(format!("redirect URL: {e}")))?;
        if !matches!(redirect_url.url().scheme(), "https" | "http") {
            return Err(ProviderConfigError(
                "the redirect URL must be an http(s) URL".into(),
            ));
        }
        if state_secret.as_ref().is_empty() {
            return Err(ProviderConfigError("the state secret is empty".into()));
        }
        Ok(Self {
            redirect_url,
            state_secret: state_secret.as_ref().to_vec(),
            new_user_fields: None,
            associate_by_email: false,
            is_verified_by_default: false,
            requires_verification: false,
            csrf_cookie: CookieSettings {
                name: "fastapiusersoauthcsrf".into(),
                max_age: Some(STATE_LIFETIME),
                ..CookieSettings::default()
            },
        })
    }

    /// Signing in with a provider account whose address belongs to an existing user links
    /// the account to that user, if the provider marks the address verified (default: off;
    /// the answer is then `OAUTH_USER_ALREADY_EXISTS`).
    pub fn associate_by_email(mut self, on: bool) -> Self {
        self.associate_by_email = on;
        self
    }

    /// The registration fields, beyond the address, of a user created by signing in (for user
    /// types with required fields of their own, such as a username). Without it such a user
    /// type cannot be created this way (422).
    ///
    /// ```
    /// use auth_runtime::oauth::OAuthOptions;
    /// use serde_json::json;
    ///
    /// let options = OAuthOptions::new("https://app.example.com/auth/google/callback", "secret")
    ///     .unwrap()
    ///     .new_user_fields(|who| {
    ///         let name = who.email.split('@').next().unwrap_or("user");
    ///         serde_json::Map::from_iter([("username".to_owned(), json!(name))])
    ///     });
    /// # let _ = options;
    /// ```
    pub fn new_user_fields(
        mut self,
        fields: impl Fn(&OAuthIdentity) -> Map<String, Json> + Send + Sync + 'static,
    ) -> Self {
        self.new_user_fields = Some(std::sync::Arc::new(fields));
        self
    }

    /// Users created by signing in start verified (default: off).
    pub fn is_verified_by_default(mut self, on: bool) -> Self {
        self.is_verified_by_default = on;
        self
    }

    /// Unverified users may not sign in (login router: `LOGIN_USER_NOT_VERIFIED`) or link
    /// accounts (associate router: 403).
    pub fn requires_verification(mut self, on: bool) -> Self {
        self.requires_verification = on;
        self
    }

    /// Replaces the CSRF cookie settings (name `fastapiusersoauthcsrf`, `Max-Age` 3600,
    /// `HttpOnly; Secure; SameSite=Lax; Path=/`).
    pub fn csrf_cookie(mut self, settings: CookieSettings) -> Self {
        self.csrf_cookie = settings;
        self
    }
}

#[derive(Clone)]
struct OAuthRoute<U: AuthUser> {
    users: Users<U>,
    provider: OAuthProvider,
    options: OAuthOptions,
    states: PurposeTokens,
    /// The login backend; `None` for the associate router.
    backend: Option<usize>,
}

impl<U: AuthUser> OAuthRoute<U> {
    fn user_requirement(&self) -> Requirement {
        Requirement {
            active: true,
            verified: self.options.requires_verification,
            superuser: false,
        }
    }
}

fn provider_error(error: ProviderError) -> Error {
    match error {
        ProviderError::Unavailable(cause) => Error::BadGateway(cause),
        refused @ (ProviderError::Refused(_) | ProviderError::BadIdentity(_)) => {
            tracing::warn!(error = %refused, "an OAuth callback was refused");
            Error::BadRequest("Bad Request".into())
        }
    }
}

/// The SHA-256 of a secret, for comparisons that take the same time whatever the input.
fn digest(value: &str) -> [u8; 32] {
    Sha256::digest(value.as_bytes()).into()
}

async fn authorize<U: AuthUser>(State(route): State<OAuthRoute<U>>, request: Request) -> Response {
    respond(authorize_inner(route, request).await)
}

async fn authorize_inner<U: AuthUser>(
    route: OAuthRoute<U>,
    request: Request,
) -> Result<Response, Error> {
    let (parts, _body) = request.into_parts();
    let mut claims = Map::new();
    if route.backend.is_none() {
        let found = route
            .users
            .require(&parts, route.user_requirement())
            .await?;
        claims.insert("sub".into(), Json::String(found.user.id().to_string()));
    }
    let csrf = random_token()?;
    let state_id = random_token()?;
    let verifier = random_token()?;
    let nonce = random_token()?;
    claims.insert("csrftoken".into(), Json::String(csrf.clone()));
    claims.insert("jti".into(), Json::String(state_id.clone()));
    let state = route
        .states
        .issue(claims)
        .map_err(|e| Error::Internal(e.to_string()))?;
    let expires_at = time::OffsetDateTime::now_utc().unix_timestamp() + STATE_LIFETIME as i64;
    route
        .users
        .inner
        .oauth
        .tables
        .put_state(&state_id, &verifier, &nonce, expires_at)
        .await?;
    let url = route
        .provider
        .authorization_url(&route.options.redirect_url, state, &verifier, &nonce)
        .await
        .map_err(provider_error)?;
    let cookie = route
        .options
        .csrf_cookie
        .login_header(&csrf)
        .map_err(|e| Error::Internal(format!("cannot build the CSRF cookie: {e}")))?;
    let mut response = json(StatusCode::OK, &json!({ "authorization_url": url }));
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

async fn callback<U: AuthUser>(State(route): State<OAuthRoute<U>>, request: Request) -> Response {
    let clear = route.options.csrf_cookie.logout_header();
    let mut response = respond(callback_inner(route, request).await);
    // Whatever the outcome, this flow is over: its CSRF cookie goes.
    response.headers_mut().append(header::SET_COOKIE, clear);
    response
}

/// The query of a callback: `code`, `state`, `error` (each the last occurrence).
fn callback_query(parts: &Parts) -> (Option<String>, Option<String>, Option<String>) {
    let (mut code, mut state, mut error) = (None, None, None);
    for (key, value) in form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
        match &*key {
            "code" => code = Some(value.into_owned()),
            "state" => state = Some(value.into_owned()),
            "error" => error = Some(value.into_owned()),
            _ => {}
        }
    }
    (code, state, error)
}

async fn callback_inner<U: AuthUser>(
    route: OAuthRoute<U>,
    request: Request,
) -> Result<Response, Error> {
    let (parts, _body) = request.into_parts();
    let users = &route.users;
    let (code, state, error) = callback_query(&parts);
    if let Some(error) = error.filter(|e| !e.is_empty()) {
        return Err(Error::BadRequest(error));
    }
    let Some(code) = code.filter(|c| !c.is_empty()) else {
        return Err(Error::BadRequest("Bad Request".into()));
    };
    // The state and the browser's CSRF cookie, before anything goes to the provider.
    let claims = route
        .states
        .read_checked(state.as_deref().unwrap_or(""))
        .map_err(|refusal| match refusal {
            TokenRefusal::Expired => Error::Code(ErrorCode::AccessTokenAlreadyExpired),
            TokenRefusal::Invalid => Error::Code(ErrorCode::AccessTokenDecodeError),
        })?;
    let invalid_state = || Error::Code(ErrorCode::OauthInvalidState);
    let claimed = match claims.get("csrftoken") {
        Some(Json::String(csrf)) if !csrf.is_empty() => csrf,
        _ => return Err(invalid_state()),
    };
    let cookie = route
        .options
        .csrf_cookie
        .read(&parts.headers)
        .ok_or_else(invalid_state)?;
    if digest(claimed) != digest(&cookie) {
        return Err(invalid_state());
    }
    let Some(Json::String(state_id)) = claims.get("jti") else {
        return Err(invalid_state());
    };
    let subject = claims.get("sub");
    let current = match route.backend {
        // A login state carries no user; an associate state names the user it was made for.
        Some(_) if subject.is_some() => return Err(invalid_state()),
        Some(_) => None,
        None => {
            let found = users.require(&parts, route.user_requirement()).await?;
            match subject {
                Some(Json::String(sub)) if *sub == found.user.id().to_string() => {}
                _ => return Err(Error::BadRequest("Bad Request".into())),
            }
            Some(found.user)
        }
    };
    let (verifier, nonce) = users
        .inner
        .oauth
        .tables
        .take_state(state_id)
        .await?
        .ok_or_else(invalid_state)?;
    let identity = route
        .provider
        .identify(&route.options.redirect_url, &code, &verifier, &nonce)
        .await
        .map_err(provider_error)?;
    let email = identity
        .email
        .as_deref()
        .and_then(|e| normalize_email(e).ok())
        .ok_or(Error::Code(ErrorCode::OauthNotAvailableEmail))?
        .display;
    let oauth = &users.inner.oauth;
    let grant = || -> Result<Grant<'_>, Error> {
        Ok(Grant {
            oauth_name: route.provider.name(),
            account_id: &identity.account_id,
            account_email: &email,
            access_token: oauth
                .sealer
                .seal(&identity.access_token)?
                .unwrap_or_default(),
            refresh_token: match &identity.refresh_token {
                Some(token) => oauth.sealer.seal(token)?,
                None => None,
            },
            expires_at: identity.expires_at,
        })
    };
    let linked = oauth
        .tables
        .find_account(route.provider.name(), &identity.account_id)
        .await?;
    let owner = match &linked {
        Some(row) => {
            Some(<U::Id as SqlField>::from_value(row.user_id.clone()).map_err(Error::Internal)?)
        }
        None => None,
    };
    let ctx = request_context(&parts);

    if let Some(user) = current {
        // Associate: link the account to the signed-in user (or refresh the link).
        match (&linked, owner) {
            (Some(_), Some(owner)) if owner != *user.id() => {
                return Err(Error::Code(ErrorCode::OauthUserAlreadyExists));
            }
            (Some(row), _) => oauth.tables.refresh(row, grant()?).await?,
            (None, _) => link(users, &user, grant()?).await?,
        }
        users
            .hooks()
            .on_after_update(&user, &UpdateRecord(Map::new()), Some(&ctx))
            .await?;
        return users.user_response(StatusCode::OK, &user).await;
    }

    // Login: the linked user, else the user of the address (opt-in, verified address), else
    // a new user.
    let user = match (&linked, owner) {
        (Some(row), Some(id)) => {
            oauth.tables.refresh(row, grant()?).await?;
            users
                .get(&id)
                .await?
                .ok_or(Error::Code(ErrorCode::LoginBadCredentials))?
        }
        _ => match users.get_by_email(&email).await? {
            Some(user) => {
                if !(route.options.associate_by_email && identity.email_verified) {
                    return Err(Error::Code(ErrorCode::OauthUserAlreadyExists));
                }
                link(users, &user, grant()?).await?;
                user
            }
            None => {
                let mut fields = match &route.options.new_user_fields {
                    Some(make) => make(&OAuthIdentity {
                        provider: route.provider.name().to_owned(),
                        account_id: identity.account_id.clone(),
                        email: email.clone(),
                        email_verified: identity.email_verified,
                    }),
                    None => Map::new(),
                };
                fields.insert("email".into(), Json::String(email.clone()));
                let user =
                    create(users, fields, route.options.is_verified_by_default, &ctx).await?;
                if let Err(err) = link(users, &user, grant()?).await {
                    // Another sign-in linked this provider account meanwhile: the user just
                    // made would be an orphan.
                    let _ = crate::store::UserStore::delete(&users.inner.store, user.id()).await;
                    return Err(err);
                }
                user
            }
        },
    };
    if !user.is_active() {
        return Err(Error::Code(ErrorCode::LoginBadCredentials));
    }
    if route.options.requires_verification && !user.is_verified() {
        return Err(Error::Code(ErrorCode::LoginUserNotVerified));
    }
    let backend = &users.inner.backends[route.backend.unwrap_or_default()];
    let token = backend
        .strategy()
        .write_token(&user.id().to_value(), &user.id().to_string())
        .await?;
    let mut response = crate::routes::login_response(backend.transport(), &token)?;
    users
        .hooks()
        .on_after_login(&user, Some(&ctx), &mut response)
        .await?;
    Ok(response)
}

/// Links the granted provider account to `user`; a pair linked already is
/// `OAUTH_USER_ALREADY_EXISTS`.
async fn link<U: AuthUser>(users: &Users<U>, user: &U, grant: Grant<'_>) -> Result<(), Error> {
    users
        .inner
        .oauth
        .tables
        .link(user.id().to_value(), grant)
        .await
        .map_err(|e| match e {
            LinkError::Taken => Error::Code(ErrorCode::OauthUserAlreadyExists),
            LinkError::Store(e) => Error::Store(e),
        })
}

/// Creates the user of a first sign-in: active, `is_verified` as configured, a random
/// password nobody knows (a reset sets one). Fires `on_after_register`.
async fn create<U: AuthUser>(
    users: &Users<U>,
    mut fields: Map<String, Json>,
    verified: bool,
    ctx: &crate::hooks::RequestContext,
) -> Result<U, Error> {
    fields.insert("password".into(), Json::String(random_token()?));
    fields.insert("is_active".into(), Json::Bool(true));
    fields.insert("is_superuser".into(), Json::Bool(false));
    fields.insert("is_verified".into(), Json::Bool(verified));
    let payload = <U::Create as crate::user::FromJsonBody>::from_json_object(&fields)
        .map_err(Error::Validation)?;
    users
        .create_unchecked(&payload, true, Some(ctx))
        .await
        .map_err(|e| match e {
            Error::Code(ErrorCode::RegisterUserAlreadyExists) => {
                Error::Code(ErrorCode::OauthUserAlreadyExists)
            }
            other => other,
        })
}

impl<U: AuthUser> Users<U> {
    fn oauth_route(
        &self,
        provider: &OAuthProvider,
        backend: Option<usize>,
        options: OAuthOptions,
    ) -> Result<OAuthRoute<U>, ConfigError> {
        let states = PurposeTokens::new(&options.state_secret, STATE_AUDIENCE, STATE_LIFETIME)?;
        options
            .csrf_cookie
            .validate()
            .map_err(|e| ConfigError::Cookie("oauth csrf".into(), e))?;
        Ok(OAuthRoute {
            users: self.clone(),
            provider: provider.clone(),
            options,
            states,
            backend,
        })
    }

    /// `GET /authorize` and `GET /callback`: sign in with `provider`, answering through the
    /// backend named `backend` (a bearer token, or the cookie of a cookie backend). Mount it
    /// where `options`' redirect URL points (e.g. `/auth/google`).
    pub fn oauth_router<S>(
        &self,
        provider: &OAuthProvider,
        backend: &str,
        options: OAuthOptions,
    ) -> Result<Router<S>, ConfigError>
    where
        S: Clone + Send + Sync + 'static,
    {
        let index = self
            .backend_index(backend)
            .ok_or_else(|| ConfigError::UnknownBackend(backend.to_owned()))?;
        let route = self.oauth_route(provider, Some(index), options)?;
        Ok(Router::new()
            .route("/authorize", get(authorize::<U>))
            .route("/callback", get(callback::<U>))
            .with_state(route)
            .with_common_layers())
    }

    /// `GET /authorize` and `GET /callback` for the signed-in user (any backend's
    /// credential) to link their `provider` account; the callback answers 200 with the user.
    /// Mount it where `options`' redirect URL points (e.g. `/auth/associate/google`).
    pub fn oauth_associate_router<S>(
        &self,
        provider: &OAuthProvider,
        options: OAuthOptions,
    ) -> Result<Router<S>, ConfigError>
    where
        S: Clone + Send + Sync + 'static,
    {
        let route = self.oauth_route(provider, None, options)?;
        Ok(Router::new()
            .route("/authorize", get(authorize::<U>))
            .route("/callback", get(callback::<U>))
            .with_state(route)
            .with_common_layers())
    }
}
