//! The routers (plain `axum::Router`s to nest where the application likes) and what they
//! share: body limits, content types, JSON error bodies and response headers.

mod auth;
#[cfg(feature = "oauth")]
pub(crate) use auth::login_response;
mod recovery;
mod register;
mod users;

use std::future::{Ready, ready};
use std::panic::AssertUnwindSafe;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt as _;
use futures_util::future::Either;

use crate::error::{Error, status_response};
use crate::user::AuthUser;
use crate::users::Users;
use crate::validation::parse_json_object;

/// The JSON 404 for unknown paths: install it as the application's fallback.
///
/// ```
/// let app: axum::Router = axum::Router::new().fallback(auth_runtime::routes::not_found);
/// ```
pub async fn not_found() -> Response {
    status_response(StatusCode::NOT_FOUND)
}

/// Gives an empty-bodied 404 or 405 (axum's defaults) the JSON body of the contract,
/// keeping its headers (such as `Allow`). Install with `axum::middleware::map_response`, or
/// use [`json_errors_layer`], which does the same without boxing a future per request.
pub async fn json_errors(response: Response) -> Response {
    with_json_errors(response)
}

/// [`json_errors`] as a tower layer for the whole application: bare 404 and 405 responses
/// (an unknown method on a known path, for instance) get the contract's JSON body. A plain
/// [`MapResponseLayer`](tower::util::MapResponseLayer): no boxed future, no service clone
/// per request.
///
/// ```
/// let app: axum::Router = axum::Router::new()
///     .fallback(auth_runtime::routes::not_found)
///     .layer(auth_runtime::routes::json_errors_layer());
/// ```
pub fn json_errors_layer() -> tower::util::MapResponseLayer<fn(Response) -> Response> {
    tower::util::MapResponseLayer::new(with_json_errors as fn(Response) -> Response)
}

fn with_json_errors(response: Response) -> Response {
    let status = response.status();
    let bare = !response.headers().contains_key(header::CONTENT_TYPE);
    if bare
        && matches!(
            status,
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
        )
    {
        let (mut parts, _) = response.into_parts();
        let fresh = status_response(status);
        let (fresh_parts, body) = fresh.into_parts();
        parts.headers.extend(fresh_parts.headers);
        return Response::from_parts(parts, body);
    }
    response
}

/// Every response of an axum-users router: JSON bodies for bare 404/405, and
/// `Cache-Control: no-store`, `X-Content-Type-Options: nosniff`.
fn finish(response: Response) -> Response {
    let mut response = with_json_errors(response);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The most request header bytes (names and values, all headers together) an axum-users
/// route reads: a request with more is answered 431 JSON before any route runs. hyper's own
/// limit is a read buffer of about 400 KB, which lets a single 100 KB header through.
pub const HEADER_LIMIT: usize = 32 * 1024;

/// The JSON 500 of a handler that panicked.
fn panicked() -> Response {
    tracing::error!("a request handler panicked");
    status_response(StatusCode::INTERNAL_SERVER_ERROR)
}

/// What [`Common`] makes of the inner future's outcome: the response finished, or a JSON 500
/// for a panic.
fn settle<E>(outcome: std::thread::Result<Result<Response, E>>) -> Result<Response, E> {
    match outcome {
        Ok(result) => result.map(finish),
        Err(_) => Ok(finish(panicked())),
    }
}

type Settled<F, E> = futures_util::future::Map<
    futures_util::future::CatchUnwind<AssertUnwindSafe<F>>,
    fn(std::thread::Result<Result<Response, E>>) -> Result<Response, E>,
>;

/// The layers of every axum-users router as one tower service: requests whose headers add up
/// to more than [`HEADER_LIMIT`] bytes are refused (431), a panic becomes a JSON 500, and
/// every response goes through [`finish`]. One service rather than a layer each: axum boxes
/// each layer of a router around every route, and `middleware::map_response` or
/// tower-http's `CatchPanic` add a boxed future or body per request, on every request.
#[derive(Clone)]
struct Common<S>(S);

impl<S> tower::Service<axum::extract::Request> for Common<S>
where
    S: tower::Service<axum::extract::Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Either<Ready<Result<Response, S::Error>>, Settled<S::Future, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: axum::extract::Request) -> Self::Future {
        let size: usize = request
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum();
        if size > HEADER_LIMIT {
            let refused = status_response(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
            return Either::Left(ready(Ok(finish(refused))));
        }
        let inner = &mut self.0;
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.call(request))) {
            Ok(future) => Either::Right(
                AssertUnwindSafe(future)
                    .catch_unwind()
                    .map(settle::<S::Error> as fn(_) -> _),
            ),
            Err(_) => Either::Left(ready(Ok(finish(panicked())))),
        }
    }
}

/// The layers of every axum-users router: oversized headers are refused (431), panics become
/// a JSON 500, then [`finish`]; see [`Common`].
pub(crate) trait RouterExt {
    fn with_common_layers(self) -> Self;
}

impl<S: Clone + Send + Sync + 'static> RouterExt for axum::Router<S> {
    fn with_common_layers(self) -> Self {
        self.layer(tower::layer::layer_fn(Common))
    }
}

/// How much of an oversized body is still read (and dropped) before the 413, so that a
/// client still sending gets the answer instead of a reset connection.
const DRAIN_CAP: usize = 1024 * 1024;

/// Reads a request body within the configured size limit (413) and read timeout (408).
///
/// An oversized body of up to [`DRAIN_CAP`] bytes is received in full before the 413 is
/// sent: answering while the client still writes makes the server close the connection,
/// and many clients then report a broken connection instead of the answer. A body declared
/// larger than that is refused at once.
pub(crate) async fn read_body<U: AuthUser>(
    users: &Users<U>,
    parts: &Parts,
    body: Body,
) -> Result<Bytes, Error> {
    let limit = users.inner.body_limit;
    let cap = limit.max(DRAIN_CAP);
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > cap as u64) {
        return Err(Error::PayloadTooLarge);
    }
    match tokio::time::timeout(users.inner.read_timeout, axum::body::to_bytes(body, cap)).await {
        Err(_) => Err(Error::RequestTimeout),
        Ok(Err(_)) => Err(Error::PayloadTooLarge),
        Ok(Ok(bytes)) if bytes.len() > limit => Err(Error::PayloadTooLarge),
        Ok(Ok(bytes)) => Ok(bytes),
    }
}

/// Whether the request declares a JSON body: `application/json` or
/// `application/<anything>+json`, parameters allowed.
pub(crate) fn is_json(parts: &Parts) -> bool {
    let Some(value) = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A JSON body read and checked in the contract's order (§3.5).
pub(crate) struct JsonBody {
    bytes: Bytes,
    json: bool,
}

impl JsonBody {
    /// Reads the body (413, 408), then refuses malformed JSON (422 `json_invalid`): this
    /// comes before authentication.
    pub(crate) async fn read<U: AuthUser>(
        users: &Users<U>,
        parts: &Parts,
        body: Body,
    ) -> Result<Self, Error> {
        let bytes = read_body(users, parts, body).await?;
        let json = is_json(parts);
        if json
            && !bytes.iter().all(u8::is_ascii_whitespace)
            && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_err()
            && let Err(errors) = parse_json_object(&bytes)
        {
            return Err(Error::Validation(errors));
        }
        Ok(Self { bytes, json })
    }

    /// After authentication: 415 for a non-empty body of another type, then the schema
    /// (422 for an empty or non-object body and for field errors).
    pub(crate) fn decode<T: crate::user::FromJsonBody>(&self) -> Result<T, Error> {
        if !self.json && !self.bytes.is_empty() {
            return Err(Error::UnsupportedMediaType);
        }
        T::from_json_bytes(&self.bytes).map_err(Error::Validation)
    }
}

/// A JSON response with `status`.
pub(crate) fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    (status, axum::Json(value)).into_response()
}

/// Turns a handler result into a response.
pub(crate) fn respond(result: Result<Response, Error>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}
