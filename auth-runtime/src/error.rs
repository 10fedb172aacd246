//! The one error type of axum-users and its HTTP rendering: every failure is JSON
//! `{"detail": ...}` with the FastAPI Users code or reason phrase.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json, json};

use crate::hooks::HookError;
use crate::password::HashError;
use crate::store::StoreError;
use crate::validation::ValidationErrors;

/// The FastAPI Users error codes (sent with status 400 as `{"detail": "<CODE>"}`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `REGISTER_USER_ALREADY_EXISTS`
    RegisterUserAlreadyExists,
    /// `REGISTER_<FIELD>_ALREADY_EXISTS` for a `unique` custom field (its JSON name).
    RegisterFieldAlreadyExists(String),
    /// `LOGIN_BAD_CREDENTIALS`
    LoginBadCredentials,
    /// `LOGIN_USER_NOT_VERIFIED`
    LoginUserNotVerified,
    /// `RESET_PASSWORD_BAD_TOKEN`
    ResetPasswordBadToken,
    /// `VERIFY_USER_BAD_TOKEN`
    VerifyUserBadToken,
    /// `VERIFY_USER_ALREADY_VERIFIED`
    VerifyUserAlreadyVerified,
    /// `UPDATE_USER_EMAIL_ALREADY_EXISTS`
    UpdateUserEmailAlreadyExists,
    /// `UPDATE_USER_<FIELD>_ALREADY_EXISTS` for a `unique` custom field.
    UpdateUserFieldAlreadyExists(String),
    /// `UPDATE_USER_BAD_CURRENT_PASSWORD`
    UpdateUserBadCurrentPassword,
    /// `OAUTH_NOT_AVAILABLE_EMAIL`: the provider gave no usable address.
    OauthNotAvailableEmail,
    /// `OAUTH_USER_ALREADY_EXISTS`: the address or the provider account belongs to another
    /// user.
    OauthUserAlreadyExists,
    /// `OAUTH_INVALID_STATE`: the state does not belong to this browser or was used.
    OauthInvalidState,
    /// `ACCESS_TOKEN_DECODE_ERROR`: an OAuth state that does not decode.
    AccessTokenDecodeError,
    /// `ACCESS_TOKEN_ALREADY_EXPIRED`: an expired OAuth state.
    AccessTokenAlreadyExpired,
}

impl ErrorCode {
    /// The wire string.
    pub fn as_str(&self) -> String {
        match self {
            Self::RegisterUserAlreadyExists => "REGISTER_USER_ALREADY_EXISTS".into(),
            Self::RegisterFieldAlreadyExists(f) => {
                format!("REGISTER_{}_ALREADY_EXISTS", f.to_uppercase())
            }
            Self::LoginBadCredentials => "LOGIN_BAD_CREDENTIALS".into(),
            Self::LoginUserNotVerified => "LOGIN_USER_NOT_VERIFIED".into(),
            Self::ResetPasswordBadToken => "RESET_PASSWORD_BAD_TOKEN".into(),
            Self::VerifyUserBadToken => "VERIFY_USER_BAD_TOKEN".into(),
            Self::VerifyUserAlreadyVerified => "VERIFY_USER_ALREADY_VERIFIED".into(),
            Self::UpdateUserEmailAlreadyExists => "UPDATE_USER_EMAIL_ALREADY_EXISTS".into(),
            Self::UpdateUserFieldAlreadyExists(f) => {
                format!("UPDATE_USER_{}_ALREADY_EXISTS", f.to_uppercase())
            }
            Self::UpdateUserBadCurrentPassword => "UPDATE_USER_BAD_CURRENT_PASSWORD".into(),
            Self::OauthNotAvailableEmail => "OAUTH_NOT_AVAILABLE_EMAIL".into(),
            Self::OauthUserAlreadyExists => "OAUTH_USER_ALREADY_EXISTS".into(),
            Self::OauthInvalidState => "OAUTH_INVALID_STATE".into(),
            Self::AccessTokenDecodeError => "ACCESS_TOKEN_DECODE_ERROR".into(),
            Self::AccessTokenAlreadyExpired => "ACCESS_TOKEN_ALREADY_EXPIRED".into(),
        }
    }
}

/// Where a password was refused: selects the `code` of the invalid-password object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordContext {
    /// `REGISTER_INVALID_PASSWORD`
    Register,
    /// `RESET_PASSWORD_INVALID_PASSWORD`
    Reset,
    /// `UPDATE_USER_INVALID_PASSWORD`
    Update,
}

impl PasswordContext {
    fn code(self) -> &'static str {
        match self {
            Self::Register => "REGISTER_INVALID_PASSWORD",
            Self::Reset => "RESET_PASSWORD_INVALID_PASSWORD",
            Self::Update => "UPDATE_USER_INVALID_PASSWORD",
        }
    }
}

/// Every way an axum-users operation can fail. Rendered as JSON `{"detail": ...}`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 400 with an error code.
    #[error("{}", .0.as_str())]
    Code(ErrorCode),
    /// 400 `{"code": "<..._INVALID_PASSWORD>", "reason": "..."}`.
    #[error("invalid password: {reason}")]
    InvalidPassword {
        /// Which route refused it.
        context: PasswordContext,
        /// Why.
        reason: String,
    },
    /// 422 with the validation items.
    #[error("{0}")]
    Validation(ValidationErrors),
    /// 400 `Invalid multipart data.`
    #[error("invalid multipart data")]
    BadMultipart,
    /// 401 `Unauthorized`.
    #[error("unauthorized")]
    Unauthorized,
    /// 403 `Forbidden`.
    #[error("forbidden")]
    Forbidden,
    /// 404 `Not Found`.
    #[error("not found")]
    NotFound,
    /// 405 `Method Not Allowed`.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 408 `Request Timeout`.
    #[error("request timeout")]
    RequestTimeout,
    /// 413 `Content Too Large`.
    #[error("content too large")]
    PayloadTooLarge,
    /// 415 `Unsupported Media Type`.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 400 with a free-form `detail` (an OAuth provider's `error` value, or `Bad Request`);
    /// the cause, if any, is logged.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 502 `Bad Gateway`: an upstream service (an OAuth provider) failed; the cause is logged.
    #[error("bad gateway: {0}")]
    BadGateway(String),
    /// A hook refused the operation with its own status and detail.
    #[error("hook error: {0}")]
    Hook(#[from] HookError),
    /// The hashing pool is saturated: 503 with `Retry-After`.
    #[error("{0}")]
    Hash(#[from] HashError),
    /// A storage failure: 503 when the database is unreachable, else 500.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Anything else: 500, logged.
    #[error("internal error: {0}")]
    Internal(String),
}

fn detail(status: StatusCode, detail: Json) -> Response {
    let mut response = (status, axum::Json(json!({ "detail": detail }))).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// The JSON error body of a bare status, with its reason phrase (`{"detail":"Not Found"}`).
pub fn status_response(status: StatusCode) -> Response {
    let phrase = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "Content Too Large",
        other => other.canonical_reason().unwrap_or("Error"),
    };
    detail(status, Json::String(phrase.to_owned()))
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Self::Code(code) => detail(StatusCode::BAD_REQUEST, Json::String(code.as_str())),
            Self::InvalidPassword { context, reason } => detail(
                StatusCode::BAD_REQUEST,
                json!({ "code": context.code(), "reason": reason }),
            ),
            Self::Validation(errors) => {
                (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(errors)).into_response()
            }
            Self::BadMultipart => detail(
                StatusCode::BAD_REQUEST,
                Json::String("Invalid multipart data.".into()),
            ),
            Self::Unauthorized => status_response(StatusCode::UNAUTHORIZED),
            Self::Forbidden => status_response(StatusCode::FORBIDDEN),
            Self::NotFound => status_response(StatusCode::NOT_FOUND),
            Self::MethodNotAllowed => status_response(StatusCode::METHOD_NOT_ALLOWED),
            Self::RequestTimeout => status_response(StatusCode::REQUEST_TIMEOUT),
            Self::PayloadTooLarge => status_response(StatusCode::PAYLOAD_TOO_LARGE),
            Self::UnsupportedMediaType => status_response(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            Self::BadRequest(detail_text) => {
                detail(StatusCode::BAD_REQUEST, Json::String(detail_text))
            }
            Self::BadGateway(cause) => {
                tracing::error!(error = %cause, "an upstream service failed");
                status_response(StatusCode::BAD_GATEWAY)
            }
            Self::Hook(err) => detail(err.status, err.detail),
            Self::Hash(HashError::Busy) => status_response(StatusCode::SERVICE_UNAVAILABLE),
            Self::Hash(err) => {
                tracing::error!(error = %err, "password hashing failed");
                status_response(StatusCode::INTERNAL_SERVER_ERROR)
            }
            Self::Store(err) if err.is_unavailable() => {
                tracing::error!(error = %err, source = ?std::error::Error::source(&err), "database unavailable");
                status_response(StatusCode::SERVICE_UNAVAILABLE)
            }
            Self::Store(err) => {
                tracing::error!(error = %err, source = ?std::error::Error::source(&err), "database error");
                status_response(StatusCode::INTERNAL_SERVER_ERROR)
            }
            Self::Internal(message) => {
                tracing::error!(error = %message, "internal error");
                status_response(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}
