//! Forgot/reset password and email verification (§6 of the contract), as methods of
//! [`Users`]: single-use tokens through conditional updates, and token hooks handed to
//! spawned tasks so every address gets the same answer in the same time.

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use serde_json::{Map, Value as Json};

use crate::email::email_key;
use crate::error::{Error, ErrorCode, PasswordContext};
use crate::hooks::{PasswordSubject, RequestContext, UserHooks};
use crate::store::UserStore;
use crate::user::{AuthUser, Changes, EMAIL_KEY_COLUMN, Role, UserId};
use crate::users::Users;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

const FINGERPRINT_CONTEXT: &[u8] = b"axum-users:reset-fgpt:v1";

/// The subject of the tokens minted, and dropped, for addresses that get no mail.
const DECOY_SUB: &str = "00000000-0000-0000-0000-000000000000";

impl<U: AuthUser> Users<U> {
    /// The HMAC that ties a reset token to the current password hash and email key.
    fn fingerprint_mac(&self, user: &U) -> Result<HmacSha256, Error> {
        self.fingerprint_of(user.hashed_password(), user.email())
    }

    fn fingerprint_of(&self, hashed_password: &str, email: &str) -> Result<HmacSha256, Error> {
        let mut mac = HmacSha256::new_from_slice(&self.inner.reset_secret)
            .map_err(|e| Error::Internal(format!("reset secret refused: {e}")))?;
        let key = email_key(email).unwrap_or_default();
        mac.update(FINGERPRINT_CONTEXT);
        mac.update(&[0]);
        mac.update(hashed_password.as_bytes());
        mac.update(&[0]);
        mac.update(key.as_bytes());
        Ok(mac)
    }

    /// The reset token of user `sub` with that hash and email.
    fn reset_token_of(
        &self,
        sub: String,
        hashed_password: &str,
        email: &str,
    ) -> Result<String, Error> {
        let fingerprint = self
            .fingerprint_of(hashed_password, email)?
            .finalize()
            .into_bytes();
        let mut claims = Map::new();
        claims.insert("sub".into(), Json::String(sub));
        claims.insert(
            "password_fgpt".into(),
            Json::String(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(fingerprint)),
        );
        self.inner
            .reset_tokens
            .issue(claims)
            .map_err(|e| Error::Internal(e.to_string()))
    }

    /// A reset-password token for `user` (what `on_after_forgot_password` receives).
    pub fn reset_token(&self, user: &U) -> Result<String, Error> {
        self.reset_token_of(user.id().to_string(), user.hashed_password(), user.email())
    }

    /// A verification token for `user` (what `on_after_request_verify` receives).
    pub fn verify_token(&self, user: &U) -> Result<String, Error> {
        self.verify_token_of(user.id().to_string(), user.email())
    }

    fn verify_token_of(&self, sub: String, email: &str) -> Result<String, Error> {
        let mut claims = Map::new();
        claims.insert("sub".into(), Json::String(sub));
        claims.insert("email".into(), Json::String(email.to_owned()));
        self.inner
            .verify_tokens
            .issue(claims)
            .map_err(|e| Error::Internal(e.to_string()))
    }

    /// Hands a token hook to a spawned task: the answer never waits for it, and its errors
    /// are logged. With no user (an address that gets no mail), the task does nothing: it is
    /// spawned all the same, so that every address costs the request the same work.
    fn spawn_token_hook<F, Fut>(
        &self,
        user: Option<U>,
        token: String,
        ctx: Option<RequestContext>,
        hook: F,
    ) where
        F: FnOnce(Users<U>, U, String, Option<RequestContext>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<(), crate::hooks::HookError>> + Send + 'static,
    {
        let users = self.clone();
        self.inner.tasks.spawn(async move {
            let Some(user) = user else {
                return;
            };
            if let Err(err) = hook(users, user, token, ctx).await {
                tracing::warn!(error = %err, "a token hook failed");
            }
        });
    }

    /// `POST /forgot-password` (§6.2): for an existing active user, mint a reset token and
    /// hand `on_after_forgot_password` to a spawned task; nothing else for other addresses.
    ///
    /// Other addresses cost the same work (a token minted for no one and an empty task), so
    /// the time of the answer does not tell them apart.
    pub async fn forgot_password(
        &self,
        email: &str,
        ctx: Option<RequestContext>,
    ) -> Result<(), Error> {
        let user = self
            .inner
            .store
            .get_by_email(email)
            .await?
            .filter(|user| user.is_active());
        let token = match &user {
            Some(user) => self.reset_token(user)?,
            None => self.reset_token_of(DECOY_SUB.into(), self.hasher().dummy_hash(), email)?,
        };
        self.spawn_token_hook(user, token, ctx, |users, user, token, ctx| async move {
            users
                .hooks()
                .on_after_forgot_password(&user, &token, ctx.as_ref())
                .await
        });
        Ok(())
    }

    /// `POST /reset-password` (§6.3): checks the token, then the password, then changes the
    /// password only if the hash the token was made for is still stored (single use).
    pub async fn reset_password(
        &self,
        token: &str,
        password: &str,
        ctx: Option<&RequestContext>,
    ) -> Result<(), Error> {
        let bad = || Error::Code(ErrorCode::ResetPasswordBadToken);
        let claims = self.inner.reset_tokens.read(token).ok_or_else(bad)?;
        let (Some(Json::String(sub)), Some(Json::String(fingerprint))) =
            (claims.get("sub"), claims.get("password_fgpt"))
        else {
            return Err(bad());
        };
        let id = U::Id::parse_id(sub).ok_or_else(bad)?;
        let user = self.inner.store.get(&id).await?.ok_or_else(bad)?;
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(fingerprint)
            .map_err(|_| bad())?;
        self.fingerprint_mac(&user)?
            .verify_slice(&expected)
            .map_err(|_| bad())?;
        if !user.is_active() {
            return Err(bad());
        }
        self.check_password(
            password,
            PasswordSubject::User(&user),
            PasswordContext::Reset,
        )
        .await?;
        let hash = self.inner.hasher.hash(password).await?;
        let hashed_column = Self::role_column(Role::HashedPassword);
        let mut changes = Changes::new();
        changes.set(hashed_column, hash);
        let mut conditions = Changes::new();
        conditions
            .set(hashed_column, user.hashed_password().to_owned())
            .set(
                EMAIL_KEY_COLUMN,
                email_key(user.email()).unwrap_or_default(),
            )
            .set(Self::role_column(Role::Active), true);
        let updated = self
            .inner
            .store
            .update_if(user.id(), &changes, &conditions)
            .await?
            .ok_or_else(bad)?;
        self.inner
            .hooks
            .on_after_reset_password(&updated, ctx)
            .await?;
        Ok(())
    }

    /// `POST /request-verify-token` (§6.2): for an existing, active, unverified user, mint a
    /// verification token and hand `on_after_request_verify` to a spawned task.
    pub async fn request_verify(
        &self,
        email: &str,
        ctx: Option<RequestContext>,
    ) -> Result<(), Error> {
        let user = self
            .inner
            .store
            .get_by_email(email)
            .await?
            .filter(|user| user.is_active() && !user.is_verified());
        // As in forgot-password: other addresses cost the same work.
        let token = match &user {
            Some(user) => self.verify_token(user)?,
            None => self.verify_token_of(DECOY_SUB.into(), email)?,
        };
        self.spawn_token_hook(user, token, ctx, |users, user, token, ctx| async move {
            users
                .hooks()
                .on_after_request_verify(&user, &token, ctx.as_ref())
                .await
        });
        Ok(())
    }

    /// `POST /verify` (§6.4): verifies the address the token was made for, once.
    pub async fn verify(&self, token: &str, ctx: Option<&RequestContext>) -> Result<U, Error> {
        let bad = || Error::Code(ErrorCode::VerifyUserBadToken);
        let already = || Error::Code(ErrorCode::VerifyUserAlreadyVerified);
        let claims = self.inner.verify_tokens.read(token).ok_or_else(bad)?;
        let (Some(Json::String(sub)), Some(Json::String(email))) =
            (claims.get("sub"), claims.get("email"))
        else {
            return Err(bad());
        };
        let key = email_key(email).ok_or_else(bad)?;
        let user = self
            .inner
            .store
            .get_by_email(email)
            .await?
            .ok_or_else(bad)?;
        if U::Id::parse_id(sub).as_ref() != Some(user.id()) {
            return Err(bad());
        }
        if user.is_verified() {
            return Err(already());
        }
        let verified_column = Self::role_column(Role::Verified);
        let mut changes = Changes::new();
        changes.set(verified_column, true);
        let mut conditions = Changes::new();
        conditions
            .set(EMAIL_KEY_COLUMN, key.clone())
            .set(verified_column, false);
        match self
            .inner
            .store
            .update_if(user.id(), &changes, &conditions)
            .await?
        {
            Some(updated) => {
                self.inner.hooks.on_after_verify(&updated, ctx).await?;
                Ok(updated)
            }
            None => match self.inner.store.get(user.id()).await? {
                Some(now) if now.is_verified() && email_key(now.email()).as_ref() == Some(&key) => {
                    Err(already())
                }
                _ => Err(bad()),
            },
        }
    }
}
