//! The register router: `POST /register` (§2.2, §7.3).

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;

use super::{JsonBody, RouterExt as _, respond};
use crate::error::Error;
use crate::user::AuthUser;
use crate::users::{Users, request_context};

async fn register<U: AuthUser>(State(users): State<Users<U>>, request: Request) -> Response {
    respond(register_inner(users, request).await)
}

async fn register_inner<U: AuthUser>(users: Users<U>, request: Request) -> Result<Response, Error> {
    let (parts, body) = request.into_parts();
    let body = JsonBody::read(&users, &parts, body).await?;
    let payload: U::Create = body.decode()?;
    let ctx = request_context(&parts);
    let user = users.create(&payload, false, Some(&ctx)).await?;
    users.user_response(StatusCode::CREATED, &user).await
}

impl<U: AuthUser> Users<U> {
    /// `POST /register`.
    pub fn register_router<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        Router::new()
            .route("/register", post(register::<U>))
            .with_state(self.clone())
            .with_common_layers()
    }
}
