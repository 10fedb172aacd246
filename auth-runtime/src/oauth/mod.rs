//! Social login (feature `oauth`): sign in with an OpenID Connect or OAuth2 provider, and link
//! provider accounts to signed-in users, with the routes and answers of FastAPI Users'
//! OAuth routers (contract §2.5) and these protections on top:
//! - the state (a JWT for the `fastapi-users:oauth-state` audience) and the CSRF cookie are
//!   checked before the code is exchanged; a state is used once (its PKCE verifier and
//!   OpenID nonce are kept server-side and deleted by the first callback), and every
//!   callback clears the CSRF cookie;
//! - PKCE (S256) on every flow; ID tokens checked for signature, `iss`, `aud`, `exp`, `nonce`
//!   and `at_hash` (`openidconnect`);
//! - the redirect URI comes only from configuration, never from `Host` or the query;
//! - linking by address only when the developer opts in and the provider marks the address
//!   verified; one provider account is linked to at most one user;
//! - provider tokens are stored encrypted, or not at all ([`UsersBuilder::oauth_token_key`]);
//! - a provider that refuses the code is a 400, one that fails is a 502, never a 500.
//!
//! ```no_run
//! use axum_users::prelude::*;
//! use axum_users::oauth::{OAuthOptions, OAuthProvider};
//! # #[derive(AuthUser, Clone, Debug)]
//! # pub struct User { pub id: uuid::Uuid, pub email: String, pub hashed_password: String,
//! #     pub is_active: bool, pub is_superuser: bool, pub is_verified: bool }
//! # fn app(users: Users<User>) -> Result<axum::Router, Box<dyn std::error::Error>> {
//! let google = OAuthProvider::google("client-id", "client-secret")?;
//! let options = OAuthOptions::new(
//!     "https://app.example.com/auth/google/callback",
//!     "a state secret of at least thirty-two bytes",
//! )?;
//! let associate = OAuthOptions::new(
//!     "https://app.example.com/auth/associate/google/callback",
//!     "a state secret of at least thirty-two bytes",
//! )?;
//! let app = axum::Router::new()
//!     .nest("/auth/google", users.oauth_router(&google, "jwt", options)?)
//!     .nest("/auth/associate/google", users.oauth_associate_router(&google, associate)?);
//! # Ok(app) }
//! ```
//!
//! [`UsersBuilder::oauth_token_key`]: crate::UsersBuilder::oauth_token_key

mod http;
mod provider;
mod routes;
pub(crate) mod store;

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

pub use provider::{OAuthProvider, ProviderConfigError};
pub use routes::{OAuthIdentity, OAuthOptions};

use crate::db::DbPool;
use crate::error::Error;
use crate::user::{AuthUser, TableSpec};
use crate::users::Users;
use crate::value::SqlField as _;

/// A provider account linked to a user.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthAccount {
    /// The provider's name (`google`, `github`, …).
    pub oauth_name: String,
    /// The provider's id of the account.
    pub account_id: String,
    /// The account's address at the provider, when it was last used.
    pub account_email: String,
    /// The provider's access token, when tokens are kept ([`UsersBuilder::oauth_token_key`]).
    ///
    /// [`UsersBuilder::oauth_token_key`]: crate::UsersBuilder::oauth_token_key
    pub access_token: Option<String>,
    /// When the access token expires (UNIX seconds), if the provider said.
    pub expires_at: Option<i64>,
    /// The provider's refresh token, when tokens are kept and the provider gave one.
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for OAuthAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthAccount")
            .field("oauth_name", &self.oauth_name)
            .field("account_id", &self.account_id)
            .field("account_email", &self.account_email)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl<U: AuthUser> Users<U> {
    /// `user` as its `UserRead` JSON, plus `oauth_accounts` (provider, account id, address,
    /// expiry; never tokens) when [`UsersBuilder::oauth_accounts_in_read`] is on.
    ///
    /// [`UsersBuilder::oauth_accounts_in_read`]: crate::UsersBuilder::oauth_accounts_in_read
    pub(crate) async fn read_json(&self, user: &U) -> Result<serde_json::Value, Error> {
        let mut read = serde_json::to_value(user.to_read())
            .map_err(|e| Error::Internal(format!("cannot serialize the user: {e}")))?;
        if self.inner.oauth.in_read {
            let accounts: Vec<serde_json::Value> = self
                .oauth_accounts(user.id())
                .await?
                .into_iter()
                .map(|a| {
                    serde_json::json!({
                        "oauth_name": a.oauth_name,
                        "account_id": a.account_id,
                        "account_email": a.account_email,
                        "expires_at": a.expires_at,
                    })
                })
                .collect();
            if let serde_json::Value::Object(map) = &mut read {
                map.insert("oauth_accounts".into(), serde_json::Value::Array(accounts));
            }
        }
        Ok(read)
    }

    /// The provider accounts linked to the user `id`, by provider name, with their tokens
    /// decrypted (when kept), for calling a provider's API on the user's behalf.
    pub async fn oauth_accounts(&self, id: &U::Id) -> Result<Vec<OAuthAccount>, Error> {
        let oauth = &self.inner.oauth;
        let rows = oauth.tables.accounts_of(id.to_value()).await?;
        Ok(rows
            .into_iter()
            .map(
                |(oauth_name, account_id, account_email, access, expires_at, refresh)| {
                    OAuthAccount {
                        oauth_name,
                        account_id,
                        account_email,
                        access_token: oauth.sealer.open(&access),
                        expires_at,
                        refresh_token: refresh.and_then(|token| oauth.sealer.open(&token)),
                    }
                },
            )
            .collect())
    }
}

/// The OAuth part of a `Users` value: its tables and the provider-token sealer.
#[derive(Debug, Clone)]
pub(crate) struct OAuthState {
    pub(crate) tables: store::OAuthTables,
    pub(crate) sealer: Sealer,
    /// `UserRead` answers list the linked accounts.
    pub(crate) in_read: bool,
}

/// Seals provider tokens under the configured key; without a key, nothing is kept.
#[derive(Clone)]
pub(crate) struct Sealer(Option<XChaCha20Poly1305>);

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("stores_provider_tokens", &self.0.is_some())
            .finish()
    }
}

/// The prefix of a sealed provider token: version 1, XChaCha20-Poly1305.
const SEALED_V1: &str = "v1.";

impl OAuthState {
    pub(crate) fn new(
        pool: &DbPool,
        user_table: &'static TableSpec,
        key: Option<[u8; 32]>,
        in_read: bool,
    ) -> Self {
        Self {
            tables: store::OAuthTables::new(pool, user_table),
            sealer: Sealer::new(key),
            in_read,
        }
    }
}

impl Sealer {
    fn new(key: Option<[u8; 32]>) -> Self {
        Self(key.map(|key| XChaCha20Poly1305::new(&key.into())))
    }

    /// A provider token as stored: sealed under the configured key (`v1.` + base64url of
    /// nonce and ciphertext), or nothing when no key is configured.
    pub(crate) fn seal(&self, token: &str) -> Result<Option<String>, crate::error::Error> {
        let Some(sealer) = &self.0 else {
            return Ok(None);
        };
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).map_err(|e| {
            crate::error::Error::Internal(format!("the OS random source failed: {e}"))
        })?;
        let sealed = sealer
            .encrypt(&XNonce::from(nonce), token.as_bytes())
            .map_err(|_| crate::error::Error::Internal("token encryption failed".into()))?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(Some(format!(
            "{SEALED_V1}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        )))
    }

    /// The plain provider token of a stored value (`None` when it was not stored, or was
    /// sealed under another key).
    fn open(&self, stored: &str) -> Option<String> {
        let sealer = self.0.as_ref()?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(stored.strip_prefix(SEALED_V1)?)
            .ok()?;
        if bytes.len() < 24 {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().ok()?;
        let plain = sealer.decrypt(&XNonce::from(nonce), sealed).ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_tokens_are_sealed_and_open_only_with_the_key() {
        let sealer = Sealer::new(Some([7; 32]));
        let sealed = sealer.seal("gho_secret").expect("seal").expect("stored");
        assert!(sealed.starts_with("v1.") && !sealed.contains("gho_secret"));
        assert_ne!(
            sealed,
            sealer.seal("gho_secret").expect("seal").expect("stored")
        );
        assert_eq!(sealer.open(&sealed).as_deref(), Some("gho_secret"));
        assert_eq!(Sealer::new(Some([8; 32])).open(&sealed), None);
        assert_eq!(Sealer::new(None).seal("gho_secret").expect("seal"), None);
        let mut tampered = sealed.clone();
        let last = tampered.pop();
        tampered.push(if last == Some('A') { 'B' } else { 'A' });
        assert_eq!(sealer.open(&tampered), None);
    }
}
