//! Application hooks: async methods with no-op defaults, selected with
//! `#[auth(hooks = MyHooks)]`.

use std::future::Future;
use std::net::SocketAddr;

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Map, Value as Json};

use crate::user::AuthUser;

/// What a hook learns about the request that triggered it. `None` for programmatic calls.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The HTTP method.
    pub method: Method,
    /// The request URI.
    pub uri: Uri,
    /// The request headers.
    pub headers: HeaderMap,
    /// The peer address, when the server was started with connect info.
    pub peer: Option<SocketAddr>,
}

/// A hook's refusal: answered as `{"detail": <detail>}` with `status`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status}: {detail}")]
pub struct HookError {
    /// The HTTP status of the answer.
    pub status: StatusCode,
    /// The `detail` value of the answer.
    pub detail: Json,
}

impl HookError {
    /// A 400 with a string detail.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            detail: Json::String(detail.into()),
        }
    }
}

/// The keys an update kept, in schema order, with validated values; a changed password
/// appears as `"[redacted]"`, never in clear.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpdateRecord(pub Map<String, Json>);

/// What `validate_password` compares the password with.
#[derive(Debug)]
pub enum PasswordSubject<'a, U: AuthUser> {
    /// Registration: the payload being registered.
    Create(&'a U::Create),
    /// Update or reset: the current user.
    User(&'a U),
}

/// Hooks into the user life cycle, all optional (the defaults do nothing).
///
/// ```
/// use axum_users::prelude::*;
/// use axum_users::hooks::{RequestContext, HookError, UserHooks};
///
/// #[derive(AuthUser, Clone, Debug)]
/// #[auth(hooks = LogHooks)]
/// pub struct User {
///     pub id: i64,
///     pub email: String,
///     pub hashed_password: String,
///     pub is_active: bool,
///     pub is_superuser: bool,
///     pub is_verified: bool,
/// }
///
/// #[derive(Debug, Default)]
/// pub struct LogHooks;
///
/// impl UserHooks<User> for LogHooks {
///     async fn on_after_register(&self, user: &User, _ctx: Option<&RequestContext>) -> Result<(), HookError> {
///         tracing::info!(user_id = user.id, "registered");
///         Ok(())
///     }
/// }
/// ```
pub trait UserHooks<U: AuthUser>: Send + Sync + 'static {
    /// Extra password rules, after the built-in policy: `Err(reason)` refuses the password
    /// with the route's `*_INVALID_PASSWORD` code.
    fn validate_password(
        &self,
        password: &str,
        subject: PasswordSubject<'_, U>,
    ) -> impl Future<Output = Result<(), String>> + Send {
        let _ = (password, subject);
        async { Ok(()) }
    }

    /// After every successful creation (awaited before the 201).
    fn on_after_register(
        &self,
        user: &U,
        ctx: Option<&RequestContext>,
    ) -> impl Future<Output = Result<(), HookError>> + Send {
        let _ = (user, ctx);
        async { Ok(()) }
    }

    /// After `PATCH /users/me` and `PATCH /users/{id}` (also `{}`).
    fn on_after_update(
        &self,
        user: &U,
        update: &UpdateRecord,
        ctx: Option<&RequestContext>,
    ) -> impl Future<Output = Result<(), HookError>> + Send {
        let _ = (user, update, ctx);
        async { Ok(()) }
    }

    /// After a successful login; may add headers or cookies to the response.
    fn on_after_login(
        &self,
        user: &U,
        ctx: Option<&RequestContext>,
        response: &mut Response,
    ) -> impl Future<Output = Result<(), HookError>> + Send {
        let _ = (user, ctx, response);
        async { Ok(()) }
    }

    /// A verification token was made for an active, unverified user (run in a spawned
    /// task; its errors are only logged).
    fn on_after_request_verify(
        &self,
        user: &U,
        token: &str,
        ctx: Option<&RequestContext>,
    ) -> impl Future<Output = Result<(), HookError>> + Send {
        let _ = (user, token, ctx);
        async { Ok(()) }
    }

    /// After a successful verification.
    fn on_after_verify(
        &self,
        user: &U,
        ctx: Option<&RequestContext>,
    ) -> impl Future<Output = Result<(), HookError>> + Send {
        let _ = (user, ctx);
        async { Ok(()) }
    }

    /// A reset token was made for an active user (run in a spawned task; its errors are
    /// only logged).
    fn on_after_forgot_password(
        &self,
        user: &U,
        token: &str,
        ctx: Option<&RequestContext>,
    ) -> impl Future<Output = Result<(), HookError>> + Send {
        let _ = (user, token, ctx);
        async { Ok(()) }
    }

    /// After a successful password reset.
    fn on_after_reset_password(
        &self,
        user: &U,
        ctx: Option<&RequestContext>,
    ) -> impl Future<Output = Result<(), HookError>> + Send {
        let _ = (user, ctx);
        async { Ok(()) }
    }

    /// Before a user is deleted; an error aborts the deletion.
    fn on_before_delete(
        &self,
        user: &U,
        ctx: Option<&RequestContext>,
    ) -> impl Future<Output = Result<(), HookError>> + Send {
        let _ = (user, ctx);
        async { Ok(()) }
    }

    /// After a user was deleted (the user as it was).
    fn on_after_delete(
        &self,
        user: &U,
        ctx: Option<&RequestContext>,
    ) -> impl Future<Output = Result<(), HookError>> + Send {
        let _ = (user, ctx);
        async { Ok(()) }
    }
}

impl<U: AuthUser> UserHooks<U> for () {}
