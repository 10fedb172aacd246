//! Extractors for the current user, with typed rejections rendering the contract's JSON
//! 401/403 (§4.3). Each also works as `Option<...>`, yielding `None` instead of 401/403.
//!
//! ```
//! use axum_users::prelude::*;
//! use axum_users::extract::ActiveUser;
//!
//! #[derive(AuthUser, Clone, Debug)]
//! pub struct User {
//!     pub id: i64,
//!     pub email: String,
//!     pub hashed_password: String,
//!     pub is_active: bool,
//!     pub is_superuser: bool,
//!     pub is_verified: bool,
//! }
//!
//! async fn hello(ActiveUser(user): ActiveUser<User>) -> String {
//!     format!("Hello {}!", user.email)
//! }
//! ```

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::error::Error;
use crate::user::AuthUser;
use crate::users::{Requirement, Users};

/// Why a user extractor refused the request: renders `{"detail": "Unauthorized"}` (401),
/// `{"detail": "Forbidden"}` (403), or a 5xx when the database failed.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct AuthRejection(#[from] pub Error);

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        tracing::debug!(rejection = %self.0, "user extractor refused the request");
        self.0.into_response()
    }
}

impl AuthRejection {
    fn is_auth_failure(&self) -> bool {
        matches!(self.0, Error::Unauthorized | Error::Forbidden)
    }
}

macro_rules! user_extractor {
    ($(#[$doc:meta])* $name:ident, $requirement:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<U>(pub U);

        impl<S, U> FromRequestParts<S> for $name<U>
        where
            U: AuthUser,
            Users<U>: FromRef<S>,
            S: Send + Sync,
        {
            type Rejection = AuthRejection;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
                let users = Users::<U>::from_ref(state);
                let found = users.require(parts, $requirement).await?;
                Ok(Self(found.user))
            }
        }

        impl<S, U> OptionalFromRequestParts<S> for $name<U>
        where
            U: AuthUser,
            Users<U>: FromRef<S>,
            S: Send + Sync,
        {
            type Rejection = AuthRejection;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &S,
            ) -> Result<Option<Self>, Self::Rejection> {
                match <Self as FromRequestParts<S>>::from_request_parts(parts, state).await {
                    Ok(user) => Ok(Some(user)),
                    Err(rejection) if rejection.is_auth_failure() => Ok(None),
                    Err(rejection) => Err(rejection),
                }
            }
        }
    };
}

user_extractor!(
    /// Any authenticated user, even an inactive one.
    CurrentUser,
    Requirement::ANY
);
user_extractor!(
    /// An authenticated, active user (401 otherwise).
    ActiveUser,
    Requirement::ACTIVE
);
user_extractor!(
    /// An active and verified user (401, then 403 when unverified).
    VerifiedUser,
    Requirement { active: true, verified: true, superuser: false }
);
user_extractor!(
    /// An active superuser (401, then 403 when not a superuser).
    Superuser,
    Requirement { active: true, verified: false, superuser: true }
);
