//! The auth router of one backend: `POST /login`, `POST /logout` (§2.2, §4.4).

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;

use super::{RouterExt as _, read_body, respond};
use crate::auth::Transport;
use crate::auth::transport::{LoginFormError, parse_login_form};
use crate::error::{Error, ErrorCode};
use crate::hooks::UserHooks;
use crate::user::AuthUser;
use crate::users::{ConfigError, Requirement, Users, request_context};
use crate::value::SqlField;

#[derive(Clone)]
struct AuthState<U: AuthUser> {
    users: Users<U>,
    backend: usize,
    requires_verification: bool,
}

/// The response of a successful login through `transport`.
pub(crate) fn login_response(transport: &Transport, token: &str) -> Result<Response, Error> {
    match transport {
        Transport::Bearer { .. } => Ok(super::json(
            StatusCode::OK,
            &json!({ "access_token": token, "token_type": "bearer" }),
        )),
        Transport::Cookie(settings) => {
            let cookie = settings
                .login_header(token)
                .map_err(|e| Error::Internal(format!("cannot build the cookie: {e}")))?;
            Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
        }
    }
}

fn logout_response(transport: &Transport) -> Response {
    match transport {
        Transport::Bearer { .. } => StatusCode::NO_CONTENT.into_response(),
        Transport::Cookie(settings) => (
            StatusCode::NO_CONTENT,
            [(header::SET_COOKIE, settings.logout_header())],
        )
            .into_response(),
    }
}

async fn login<U: AuthUser>(State(state): State<AuthState<U>>, request: Request) -> Response {
    respond(login_inner(state, request).await)
}

async fn login_inner<U: AuthUser>(
    state: AuthState<U>,
    request: Request,
) -> Result<Response, Error> {
    let users = &state.users;
    let backend = &users.inner.backends[state.backend];
    let (parts, body) = request.into_parts();
    if backend.transport().is_cookie() && users.cross_site_refused(&parts) {
        return Err(Error::Forbidden);
    }
    let bytes = read_body(users, &parts, body).await?;
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let form = parse_login_form(content_type, bytes)
        .await
        .map_err(|e| match e {
            LoginFormError::Invalid(errors) => Error::Validation(errors),
            LoginFormError::BadMultipart => Error::BadMultipart,
        })?;
    let user = users
        .authenticate(&form.username, &form.password)
        .await?
        .filter(AuthUser::is_active)
        .ok_or(Error::Code(ErrorCode::LoginBadCredentials))?;
    if state.requires_verification && !user.is_verified() {
        return Err(Error::Code(ErrorCode::LoginUserNotVerified));
    }
    let token = match backend
        .strategy()
        .write_token(&user.id().to_value(), &user.id().to_string())
        .await
    {
        Ok(token) => token,
        // A database token row references its user: when a deletion committed since the
        // password check, the insert fails on the foreign key. That is the login of a user
        // who no longer exists, not a server error (security.md P10).
        Err(err) => {
            if users.get(user.id()).await?.is_none() {
                return Err(Error::Code(ErrorCode::LoginBadCredentials));
            }
            return Err(err);
        }
    };
    let mut response = login_response(backend.transport(), &token)?;
    let ctx = request_context(&parts);
    users
        .hooks()
        .on_after_login(&user, Some(&ctx), &mut response)
        .await?;
    Ok(response)
}

async fn logout<U: AuthUser>(State(state): State<AuthState<U>>, request: Request) -> Response {
    respond(logout_inner(state, request).await)
}

async fn logout_inner<U: AuthUser>(
    state: AuthState<U>,
    request: Request,
) -> Result<Response, Error> {
    let users = &state.users;
    let backend = &users.inner.backends[state.backend];
    let (parts, _body) = request.into_parts();
    if backend.transport().is_cookie() && users.cross_site_refused(&parts) {
        return Err(Error::Forbidden);
    }
    let requirement = Requirement {
        active: true,
        verified: state.requires_verification,
        superuser: false,
    };
    let found = users.require(&parts, requirement).await?;
    users.inner.backends[found.backend]
        .strategy()
        .destroy_token(&found.token)
        .await?;
    Ok(logout_response(backend.transport()))
}

impl<U: AuthUser> Users<U> {
    /// `POST /login` and `POST /logout` of the backend named `backend`.
    pub fn auth_router<S>(&self, backend: &str) -> Result<Router<S>, ConfigError>
    where
        S: Clone + Send + Sync + 'static,
    {
        self.auth_router_with(backend, false)
    }

    /// Like [`Users::auth_router`]; with `requires_verification`, unverified users cannot
    /// log in (`LOGIN_USER_NOT_VERIFIED`) nor log out (403).
    pub fn auth_router_with<S>(
        &self,
        backend: &str,
        requires_verification: bool,
    ) -> Result<Router<S>, ConfigError>
    where
        S: Clone + Send + Sync + 'static,
    {
        let index = self
            .backend_index(backend)
            .ok_or_else(|| ConfigError::UnknownBackend(backend.to_owned()))?;
        let state = AuthState {
            users: self.clone(),
            backend: index,
            requires_verification,
        };
        Ok(Router::new()
            .route("/login", post(login::<U>))
            .route("/logout", post(logout::<U>))
            .with_state(state)
            .with_common_layers())
    }
}
