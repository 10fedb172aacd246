//! The reset-password router (`POST /forgot-password`, `POST /reset-password`) and the
//! verify router (`POST /request-verify-token`, `POST /verify`), §6 of the contract.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use serde_json::{Map, Value as Json};

use super::{JsonBody, RouterExt as _, json, respond};
use crate::user::{AuthUser, FromJsonBody};
use crate::users::{Users, request_context};
use crate::validation::{self, FieldError, ValidationErrors};

/// The recovery routes read single body fields (FastAPI's `Body(...)`), so a missing field
/// reports `input: null` rather than the whole body.
fn embedded(mut errors: ValidationErrors) -> ValidationErrors {
    for item in &mut errors.0 {
        if item.kind == "missing" {
            item.input = Json::Null;
        }
    }
    errors
}

/// `{"email": "<address>"}`, validated and normalized.
struct EmailBody {
    email: String,
}

impl FromJsonBody for EmailBody {
    fn from_json_object(object: &Map<String, Json>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let email: Option<String> = validation::required(object, "email", &mut errors);
        let email = email.and_then(|raw| match crate::normalize_email(&raw) {
            Ok(normalized) => Some(normalized.display),
            Err(reason) => {
                errors.push_at(
                    "email",
                    Json::String(raw),
                    FieldError::invalid_email(reason),
                );
                None
            }
        });
        match email {
            Some(email) if errors.is_empty() => Ok(Self { email }),
            _ => Err(embedded(errors)),
        }
    }
}

/// `{"token": "<str>", "password": "<str>"}`.
struct ResetBody {
    token: String,
    password: String,
}

impl FromJsonBody for ResetBody {
    fn from_json_object(object: &Map<String, Json>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let token: Option<String> = validation::required(object, "token", &mut errors);
        let password: Option<String> = validation::required(object, "password", &mut errors);
        match (token, password) {
            (Some(token), Some(password)) if errors.is_empty() => Ok(Self { token, password }),
            _ => Err(embedded(errors)),
        }
    }
}

/// `{"token": "<str>"}`.
struct TokenBody {
    token: String,
}

impl FromJsonBody for TokenBody {
    fn from_json_object(object: &Map<String, Json>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let token: Option<String> = validation::required(object, "token", &mut errors);
        match token {
            Some(token) if errors.is_empty() => Ok(Self { token }),
            _ => Err(embedded(errors)),
        }
    }
}

async fn forgot_password<U: AuthUser>(State(users): State<Users<U>>, request: Request) -> Response {
    respond(
        async {
            let (parts, body) = request.into_parts();
            let body: EmailBody = JsonBody::read(&users, &parts, body).await?.decode()?;
            users
                .forgot_password(&body.email, Some(request_context(&parts)))
                .await?;
            Ok(json(StatusCode::ACCEPTED, &Json::Null))
        }
        .await,
    )
}

async fn reset_password<U: AuthUser>(State(users): State<Users<U>>, request: Request) -> Response {
    respond(
        async {
            let (parts, body) = request.into_parts();
            let body: ResetBody = JsonBody::read(&users, &parts, body).await?.decode()?;
            let ctx = request_context(&parts);
            users
                .reset_password(&body.token, &body.password, Some(&ctx))
                .await?;
            Ok(json(StatusCode::OK, &Json::Null))
        }
        .await,
    )
}

async fn request_verify<U: AuthUser>(State(users): State<Users<U>>, request: Request) -> Response {
    respond(
        async {
            let (parts, body) = request.into_parts();
            let body: EmailBody = JsonBody::read(&users, &parts, body).await?.decode()?;
            users
                .request_verify(&body.email, Some(request_context(&parts)))
                .await?;
            Ok(json(StatusCode::ACCEPTED, &Json::Null))
        }
        .await,
    )
}

async fn verify<U: AuthUser>(State(users): State<Users<U>>, request: Request) -> Response {
    respond(
        async {
            let (parts, body) = request.into_parts();
            let body: TokenBody = JsonBody::read(&users, &parts, body).await?.decode()?;
            let ctx = request_context(&parts);
            let user = users.verify(&body.token, Some(&ctx)).await?;
            users.user_response(StatusCode::OK, &user).await
        }
        .await,
    )
}

impl<U: AuthUser> Users<U> {
    /// `POST /forgot-password` and `POST /reset-password`.
    pub fn reset_password_router<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        Router::new()
            .route("/forgot-password", post(forgot_password::<U>))
            .route("/reset-password", post(reset_password::<U>))
            .with_state(self.clone())
            .with_common_layers()
    }

    /// `POST /request-verify-token` and `POST /verify`.
    pub fn verify_router<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        Router::new()
            .route("/request-verify-token", post(request_verify::<U>))
            .route("/verify", post(verify::<U>))
            .with_state(self.clone())
            .with_common_layers()
    }
}
