//! The HTTP client of the provider calls: hyper over rustls (ring, the Mozilla roots through
//! `webpki-roots`), plain HTTP allowed (a provider on loopback in development), no redirect
//! followed (a provider endpoint that redirects is an error, never a lead to follow: SSRF),
//! bounded time and size, plugged into `openidconnect`/`oauth2` as their async client.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};

/// How long one provider call may take, answer included.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The most bytes a provider answer may have.
const MAX_BODY: usize = 1024 * 1024;

/// A failed provider call.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// No answer (connection, TLS).
    #[error("the provider did not answer: {0}")]
    Transport(String),
    /// No answer in time.
    #[error("the provider did not answer within {} s", TIMEOUT.as_secs())]
    Timeout,
    /// An answer larger than the cap, or cut short.
    #[error("the provider's answer could not be read: {0}")]
    Body(String),
}

/// The client all provider calls go through.
#[derive(Clone)]
pub(crate) struct ProviderHttp {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl std::fmt::Debug for ProviderHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderHttp").finish_non_exhaustive()
    }
}

impl ProviderHttp {
    pub(crate) fn new() -> Result<Self, String> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(std::sync::Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .map_err(|e| format!("TLS set-up failed: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self { client })
    }

    /// Sends `request`, reading at most [`MAX_BODY`] bytes of the answer.
    pub(crate) async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let request = request.map(|body| Full::new(Bytes::from(body)));
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| HttpError::Transport(e.to_string()))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_BODY)
                .collect()
                .await
                .map_err(|e| HttpError::Body(e.to_string()))?
                .to_bytes();
            Ok(http::Response::from_parts(parts, body.to_vec()))
        };
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| HttpError::Timeout)?
    }
}

impl<'c> AsyncHttpClient<'c> for ProviderHttp {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}
