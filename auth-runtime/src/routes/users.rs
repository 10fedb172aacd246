//! The users router: `/me` and `/{id}` (§2.2, §7.5).
//!
//! The handlers take the whole request and split it rather than extract `Parts`: that
//! extractor clones the headers and extensions of every request.

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::{JsonBody, RouterExt as _, respond};
use crate::error::Error;
use crate::user::{AuthUser, UserId};
use crate::users::{Requirement, Users, request_context};

#[derive(Clone)]
struct UsersState<U: AuthUser> {
    users: Users<U>,
    requires_verification: bool,
}

impl<U: AuthUser> UsersState<U> {
    fn me(&self) -> Requirement {
        Requirement {
            active: true,
            verified: self.requires_verification,
            superuser: false,
        }
    }

    fn admin(&self) -> Requirement {
        Requirement {
            superuser: true,
            ..self.me()
        }
    }

    /// The user named by the path, for a superuser: 404 when the id does not parse or names
    /// nobody.
    async fn target(&self, id: Option<String>) -> Result<U, Error> {
        let id = id
            .as_deref()
            .and_then(U::Id::parse_id)
            .ok_or(Error::NotFound)?;
        self.users.get(&id).await?.ok_or(Error::NotFound)
    }
}

type PathId = Result<Path<String>, axum::extract::rejection::PathRejection>;

fn path_id(path: PathId) -> Option<String> {
    path.ok().map(|Path(id)| id)
}

async fn get_me<U: AuthUser>(State(state): State<UsersState<U>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    respond(
        async {
            let found = state.users.require(&parts, state.me()).await?;
            state.users.user_response(StatusCode::OK, &found.user).await
        }
        .await,
    )
}

async fn patch_me<U: AuthUser>(State(state): State<UsersState<U>>, request: Request) -> Response {
    respond(
        async {
            let (parts, body) = request.into_parts();
            let body = JsonBody::read(&state.users, &parts, body).await?;
            let found = state.users.require(&parts, state.me()).await?;
            let update: U::Update = body.decode()?;
            let ctx = request_context(&parts);
            let updated = state
                .users
                .update(&update, &found.user, false, Some(&ctx))
                .await?
                .ok_or(Error::Unauthorized)?;
            state.users.user_response(StatusCode::OK, &updated).await
        }
        .await,
    )
}

/// `DELETE /users/me` behaves as `DELETE /users/{id}` with id `me`: 401, 403 for a
/// non-superuser, 404 for a superuser.
async fn delete_me<U: AuthUser>(State(state): State<UsersState<U>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    respond(
        async {
            state.users.require(&parts, state.admin()).await?;
            Err(Error::NotFound)
        }
        .await,
    )
}

async fn get_user<U: AuthUser>(
    State(state): State<UsersState<U>>,
    path: PathId,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    respond(
        async {
            state.users.require(&parts, state.admin()).await?;
            let user = state.target(path_id(path)).await?;
            state.users.user_response(StatusCode::OK, &user).await
        }
        .await,
    )
}

async fn patch_user<U: AuthUser>(
    State(state): State<UsersState<U>>,
    path: PathId,
    request: Request,
) -> Response {
    respond(
        async {
            let (parts, body) = request.into_parts();
            let body = JsonBody::read(&state.users, &parts, body).await?;
            state.users.require(&parts, state.admin()).await?;
            let user = state.target(path_id(path)).await?;
            let update: U::Update = body.decode()?;
            let ctx = request_context(&parts);
            let updated = state
                .users
                .update(&update, &user, true, Some(&ctx))
                .await?
                .ok_or(Error::NotFound)?;
            state.users.user_response(StatusCode::OK, &updated).await
        }
        .await,
    )
}

async fn delete_user<U: AuthUser>(
    State(state): State<UsersState<U>>,
    path: PathId,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    respond(
        async {
            state.users.require(&parts, state.admin()).await?;
            let user = state.target(path_id(path)).await?;
            let ctx = request_context(&parts);
            if !state.users.delete(&user, Some(&ctx)).await? {
                return Err(Error::NotFound);
            }
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        .await,
    )
}

impl<U: AuthUser> Users<U> {
    /// `GET|PATCH|DELETE /me` and `GET|PATCH|DELETE /{id}`.
    pub fn users_router<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        self.users_router_with(false)
    }

    /// Like [`Users::users_router`]; with `requires_verification`, unverified users get 403.
    pub fn users_router_with<S>(&self, requires_verification: bool) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let state = UsersState {
            users: self.clone(),
            requires_verification,
        };
        Router::new()
            .route(
                "/me",
                get(get_me::<U>).patch(patch_me::<U>).delete(delete_me::<U>),
            )
            .route(
                "/{id}",
                get(get_user::<U>)
                    .patch(patch_user::<U>)
                    .delete(delete_user::<U>),
            )
            .with_state(state)
            .with_common_layers()
    }
}
