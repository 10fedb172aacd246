//! Identity providers: any OpenID Connect provider found by discovery (`openidconnect`: ID
//! token signature, `iss`, `aud`, `exp` and `nonce` checked), Google, and GitHub (plain
//! OAuth2 through `oauth2`, the address from its API). Every flow uses PKCE (S256).

use std::fmt;
use std::sync::Arc;

use oauth2::basic::BasicClient;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse,
    TokenUrl,
};
use serde::Deserialize;

use super::http::{HttpError, ProviderHttp};

/// A provider set-up that cannot work (bad name or URL).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("OAuth provider configuration: {0}")]
pub struct ProviderConfigError(pub String);

/// Why a provider step failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProviderError {
    /// The provider could not be reached or answered nonsense: 502.
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the code (expired, reused, wrong verifier): 400.
    #[error("the provider refused the authorization code: {0}")]
    Refused(String),
    /// The identity the provider sent fails its checks (ID token): 400.
    #[error("the provider's identity token is not acceptable: {0}")]
    BadIdentity(String),
}

/// Who the provider says signed in.
#[derive(Clone)]
pub(crate) struct Identity {
    /// The provider's stable id of the account (`sub`, GitHub's numeric id).
    pub account_id: String,
    /// The account's address, if the provider gives one.
    pub email: Option<String>,
    /// Whether the provider vouches for the address.
    pub email_verified: bool,
    /// The provider's access token.
    pub access_token: String,
    /// When it expires (UNIX seconds).
    pub expires_at: Option<i64>,
    /// The provider's refresh token, if any.
    pub refresh_token: Option<String>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("account_id", &self.account_id)
            .field("email", &self.email)
            .field("email_verified", &self.email_verified)
            .finish_non_exhaustive()
    }
}

/// A client made from discovery: authorization and token endpoints known, userinfo maybe.
type OidcClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

enum Kind {
    Oidc {
        issuer: IssuerUrl,
        metadata: Box<tokio::sync::OnceCell<CoreProviderMetadata>>,
    },
    GitHub {
        auth_url: AuthUrl,
        token_url: TokenUrl,
        api: String,
    },
}

struct Inner {
    name: String,
    client_id: ClientId,
    client_secret: ClientSecret,
    scopes: Vec<String>,
    kind: Kind,
    http: ProviderHttp,
}

/// An identity provider: its name (the `oauth_name` stored with linked accounts), client
/// credentials and scopes. Cheap to clone.
///
/// ```
/// use auth_runtime::oauth::OAuthProvider;
///
/// let google = OAuthProvider::google("client-id", "client-secret").unwrap();
/// assert_eq!(google.name(), "google");
/// let corporate =
///     OAuthProvider::oidc("corp", "https://login.example.com", "client-id", "secret").unwrap();
/// assert_eq!(corporate.name(), "corp");
/// ```
#[derive(Clone)]
pub struct OAuthProvider {
    inner: Arc<Inner>,
}

impl fmt::Debug for OAuthProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.inner.kind {
            Kind::Oidc { issuer, .. } => format!("OpenID Connect {}", issuer.as_str()),
            Kind::GitHub { api, .. } => format!("GitHub {api}"),
        };
        f.debug_struct("OAuthProvider")
            .field("name", &self.inner.name)
            .field("kind", &kind)
            .field("client_id", &self.inner.client_id.as_str())
            .field("scopes", &self.inner.scopes)
            .finish_non_exhaustive()
    }
}

fn check_name(name: &str) -> Result<(), ProviderConfigError> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ProviderConfigError(format!(
            "provider name {name:?}: use 1 to 100 of a-z, 0-9, - and _"
        )))
    }
}

fn http() -> Result<ProviderHttp, ProviderConfigError> {
    ProviderHttp::new().map_err(ProviderConfigError)
}

fn url_error(what: &str) -> impl Fn(url::ParseError) -> ProviderConfigError + '_ {
    move |e| ProviderConfigError(format!("{what}: {e}"))
}

impl OAuthProvider {
    /// An OpenID Connect provider found by discovery at `issuer_url`
    /// (`<issuer>/.well-known/openid-configuration`, fetched at first use and kept). Default
    /// scopes: `openid email`.
    pub fn oidc(
        name: impl Into<String>,
        issuer_url: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self, ProviderConfigError> {
        let name = name.into();
        check_name(&name)?;
        let issuer = IssuerUrl::new(issuer_url.to_owned()).map_err(url_error("issuer URL"))?;
        Ok(Self {
            inner: Arc::new(Inner {
                name,
                client_id: ClientId::new(client_id.into()),
                client_secret: ClientSecret::new(client_secret.into()),
                scopes: vec!["openid".into(), "email".into()],
                kind: Kind::Oidc {
                    issuer,
                    metadata: Box::default(),
                },
                http: http()?,
            }),
        })
    }

    /// Google (OpenID Connect, issuer `https://accounts.google.com`), named `google`.
    pub fn google(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self, ProviderConfigError> {
        Self::oidc(
            "google",
            "https://accounts.google.com",
            client_id,
            client_secret,
        )
    }

    /// GitHub (OAuth2; the address is the primary one from `GET /user/emails`), named
    /// `github`, scopes `read:user user:email`.
    pub fn github(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self, ProviderConfigError> {
        Self::github_at(
            "github",
            "https://github.com",
            "https://api.github.com",
            client_id,
            client_secret,
        )
    }

    /// A GitHub Enterprise Server (or any server speaking GitHub's OAuth and REST API) at
    /// `web_url` (authorization pages) and `api_url` (REST API), named `name`.
    pub fn github_at(
        name: impl Into<String>,
        web_url: &str,
        api_url: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self, ProviderConfigError> {
        let name = name.into();
        check_name(&name)?;
        let web = web_url.trim_end_matches('/');
        let auth_url = AuthUrl::new(format!("{web}/login/oauth/authorize"))
            .map_err(url_error("GitHub URL"))?;
        let token_url = TokenUrl::new(format!("{web}/login/oauth/access_token"))
            .map_err(url_error("GitHub URL"))?;
        let api = api_url.trim_end_matches('/').to_owned();
        url::Url::parse(&api).map_err(url_error("GitHub API URL"))?;
        Ok(Self {
            inner: Arc::new(Inner {
                name,
                client_id: ClientId::new(client_id.into()),
                client_secret: ClientSecret::new(client_secret.into()),
                scopes: vec!["read:user".into(), "user:email".into()],
                kind: Kind::GitHub {
                    auth_url,
                    token_url,
                    api,
                },
                http: http()?,
            }),
        })
    }

    /// Replaces the scopes asked for (OpenID Connect providers always get `openid` too).
    pub fn with_scopes<I: IntoIterator<Item = S>, S: Into<String>>(self, scopes: I) -> Self {
        let mut scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        if matches!(self.inner.kind, Kind::Oidc { .. }) && !scopes.iter().any(|s| s == "openid") {
            scopes.insert(0, "openid".into());
        }
        let inner = Inner {
            name: self.inner.name.clone(),
            client_id: self.inner.client_id.clone(),
            client_secret: self.inner.client_secret.clone(),
            scopes,
            kind: match &self.inner.kind {
                Kind::Oidc { issuer, .. } => Kind::Oidc {
                    issuer: issuer.clone(),
                    metadata: Box::default(),
                },
                Kind::GitHub {
                    auth_url,
                    token_url,
                    api,
                } => Kind::GitHub {
                    auth_url: auth_url.clone(),
                    token_url: token_url.clone(),
                    api: api.clone(),
                },
            },
            http: self.inner.http.clone(),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The provider's name, as stored with linked accounts and used in route names.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The discovery document, fetched once (a failed fetch is retried at the next use).
    async fn metadata(&self) -> Result<CoreProviderMetadata, ProviderError> {
        let Kind::Oidc { issuer, metadata } = &self.inner.kind else {
            return Err(ProviderError::Unavailable("not an OpenID provider".into()));
        };
        metadata
            .get_or_try_init(|| async {
                CoreProviderMetadata::discover_async(issuer.clone(), &self.inner.http)
                    .await
                    .map_err(|e| ProviderError::Unavailable(format!("discovery failed: {e}")))
            })
            .await
            .cloned()
    }

    /// The OpenID client of the discovered provider, sending the browser back to `redirect`.
    async fn oidc_client(&self, redirect: &RedirectUrl) -> Result<OidcClient, ProviderError> {
        let metadata = self.metadata().await?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            self.inner.client_id.clone(),
            Some(self.inner.client_secret.clone()),
        )
        .set_redirect_uri(redirect.clone()))
    }

    /// The URL that sends the browser to the provider, carrying `state`, the S256 challenge
    /// of `verifier`, and (OpenID Connect) `nonce`.
    pub(crate) async fn authorization_url(
        &self,
        redirect: &RedirectUrl,
        state: String,
        verifier: &str,
        nonce: &str,
    ) -> Result<String, ProviderError> {
        let challenge =
            PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier.into()));
        let inner = &self.inner;
        let url = match &inner.kind {
            Kind::Oidc { .. } => {
                let client = self.oidc_client(redirect).await?;
                let nonce = Nonce::new(nonce.to_owned());
                let mut request = client.authorize_url(
                    CoreAuthenticationFlow::AuthorizationCode,
                    move || CsrfToken::new(state),
                    move || nonce,
                );
                for scope in inner.scopes.iter().filter(|s| *s != "openid") {
                    request = request.add_scope(Scope::new(scope.clone()));
                }
                request.set_pkce_challenge(challenge).url().0
            }
            Kind::GitHub { auth_url, .. } => {
                let client = BasicClient::new(inner.client_id.clone())
                    .set_client_secret(inner.client_secret.clone())
                    .set_auth_uri(auth_url.clone())
                    .set_redirect_uri(redirect.clone());
                let mut request = client.authorize_url(move || CsrfToken::new(state));
                for scope in &inner.scopes {
                    request = request.add_scope(Scope::new(scope.clone()));
                }
                request.set_pkce_challenge(challenge).url().0
            }
        };
        Ok(url.to_string())
    }

    /// Exchanges `code` (with the PKCE `verifier`) and returns who signed in.
    pub(crate) async fn identify(
        &self,
        redirect: &RedirectUrl,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<Identity, ProviderError> {
        let inner = &self.inner;
        match &inner.kind {
            Kind::Oidc { .. } => {
                let client = self.oidc_client(redirect).await?;
                let token = client
                    .exchange_code(AuthorizationCode::new(code.to_owned()))
                    .map_err(|e| ProviderError::Unavailable(e.to_string()))?
                    .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
                    .request_async(&inner.http)
                    .await
                    .map_err(token_error)?;
                let id_token = token
                    .id_token()
                    .ok_or_else(|| ProviderError::BadIdentity("no ID token".into()))?;
                let id_verifier = client.id_token_verifier();
                let claims = id_token
                    .claims(&id_verifier, &Nonce::new(nonce.to_owned()))
                    .map_err(|e| ProviderError::BadIdentity(e.to_string()))?;
                // openidconnect leaves `azp` unchecked: a token issued to another client is
                // not ours, even when it also names us in `aud`.
                if claims
                    .authorized_party()
                    .is_some_and(|azp| azp.as_str() != inner.client_id.as_str())
                {
                    return Err(ProviderError::BadIdentity(
                        "the ID token was issued to another client (azp)".into(),
                    ));
                }
                if let Some(expected) = claims.access_token_hash() {
                    let bad = |e: String| ProviderError::BadIdentity(e);
                    let algorithm = id_token.signing_alg().map_err(|e| bad(e.to_string()))?;
                    let key = id_token
                        .signing_key(&id_verifier)
                        .map_err(|e| bad(e.to_string()))?;
                    let actual = AccessTokenHash::from_token(token.access_token(), algorithm, key)
                        .map_err(|e| bad(e.to_string()))?;
                    if actual != *expected {
                        return Err(bad("the access token does not match at_hash".into()));
                    }
                }
                let mut email = claims.email().map(|e| e.as_str().to_owned());
                let mut email_verified = claims.email_verified().unwrap_or(false);
                if email.is_none() {
                    // Some providers put the address only in the userinfo answer.
                    if let Ok(request) = client
                        .user_info(token.access_token().clone(), Some(claims.subject().clone()))
                    {
                        let info: CoreUserInfoClaims = request
                            .request_async(&inner.http)
                            .await
                            .map_err(|e| ProviderError::Unavailable(format!("userinfo: {e}")))?;
                        email = info.email().map(|e| e.as_str().to_owned());
                        email_verified = info.email_verified().unwrap_or(false);
                    }
                }
                Ok(Identity {
                    account_id: claims.subject().as_str().to_owned(),
                    email,
                    email_verified,
                    access_token: token.access_token().secret().clone(),
                    expires_at: expires_at(token.expires_in()),
                    refresh_token: token.refresh_token().map(|t| t.secret().clone()),
                })
            }
            Kind::GitHub {
                auth_url,
                token_url,
                api,
            } => {
                let client = BasicClient::new(inner.client_id.clone())
                    .set_client_secret(inner.client_secret.clone())
                    .set_auth_uri(auth_url.clone())
                    .set_token_uri(token_url.clone())
                    .set_redirect_uri(redirect.clone());
                let token = client
                    .exchange_code(AuthorizationCode::new(code.to_owned()))
                    .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
                    .request_async(&inner.http)
                    .await
                    .map_err(token_error)?;
                let access_token = token.access_token().secret().clone();
                let (account_id, email, email_verified) =
                    github_identity(&inner.http, api, &access_token).await?;
                Ok(Identity {
                    account_id,
                    email,
                    email_verified,
                    access_token,
                    expires_at: expires_at(token.expires_in()),
                    refresh_token: token.refresh_token().map(|t| t.secret().clone()),
                })
            }
        }
    }
}

fn expires_at(expires_in: Option<std::time::Duration>) -> Option<i64> {
    let seconds = i64::try_from(expires_in?.as_secs()).ok()?;
    time::OffsetDateTime::now_utc()
        .unix_timestamp()
        .checked_add(seconds)
}

/// The OAuth error codes (RFC 6749 §5.2) that mean the request, not the provider, is at
/// fault: an expired, reused or foreign code, a wrong verifier.
const CLIENT_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "access_denied",
    // GitHub's answer to an expired or reused code (sent with status 200).
    "bad_verification_code",
    "incorrect_client_credentials",
    "redirect_uri_mismatch",
];

/// A failed code exchange: a refusal of the request is the client's fault (400); anything
/// else (`server_error`, an unreachable or garbled provider) is the provider's (502).
fn token_error<T: oauth2::ErrorResponse + 'static>(
    error: RequestTokenError<HttpError, T>,
) -> ProviderError {
    let refused = |code: Option<&str>| code.is_some_and(|code| CLIENT_ERRORS.contains(&code));
    match error {
        RequestTokenError::ServerResponse(response) => {
            let body = serde_json::to_value(&response).unwrap_or_default();
            if refused(body.get("error").and_then(|e| e.as_str())) {
                ProviderError::Refused(response.to_string())
            } else {
                ProviderError::Unavailable(format!("the token endpoint failed: {response}"))
            }
        }
        // Some providers (GitHub) send their refusal with status 200, which does not parse
        // as a token.
        RequestTokenError::Parse(parse, body) => {
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            match body.get("error").and_then(|e| e.as_str()) {
                code @ Some(_) if refused(code) => {
                    ProviderError::Refused(code.unwrap_or_default().to_owned())
                }
                _ => ProviderError::Unavailable(format!(
                    "the token endpoint answered nonsense: {parse}"
                )),
            }
        }
        other => ProviderError::Unavailable(other.to_string()),
    }
}

#[derive(Deserialize)]
struct GitHubUser {
    id: u64,
    email: Option<String>,
}

#[derive(Deserialize)]
struct GitHubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

async fn github_get<T: serde::de::DeserializeOwned>(
    http: &ProviderHttp,
    url: String,
    token: &str,
) -> Result<T, ProviderError> {
    let request = http::Request::get(url)
        .header(http::header::ACCEPT, "application/vnd.github+json")
        .header(http::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Vec::new())
        .map_err(|e| ProviderError::Unavailable(e.to_string()))?;
    let response = http
        .send(request)
        .await
        .map_err(|e| ProviderError::Unavailable(e.to_string()))?;
    if !response.status().is_success() {
        return Err(ProviderError::Unavailable(format!(
            "the GitHub API answered {}",
            response.status()
        )));
    }
    serde_json::from_slice(response.body())
        .map_err(|e| ProviderError::Unavailable(format!("the GitHub API answered nonsense: {e}")))
}

/// GitHub's account id and its primary address (verified or not), from `/user` and
/// `/user/emails`.
async fn github_identity(
    http: &ProviderHttp,
    api: &str,
    token: &str,
) -> Result<(String, Option<String>, bool), ProviderError> {
    let user: GitHubUser = github_get(http, format!("{api}/user"), token).await?;
    let emails: Vec<GitHubEmail> = github_get(http, format!("{api}/user/emails"), token)
        .await
        .unwrap_or_default();
    let (email, verified) = match emails.iter().find(|e| e.primary) {
        Some(primary) => (Some(primary.email.clone()), primary.verified),
        None => (user.email, false),
    };
    Ok((user.id.to_string(), email, verified))
}
