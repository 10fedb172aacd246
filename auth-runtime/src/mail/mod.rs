//! Mail: the [`Mailer`] trait, the JSON-lines [`FileOutbox`], and [`MailHooks`], hooks that
//! send the registration, reset-password and verification mails through a mailer.

#[cfg(feature = "smtp")]
pub mod smtp;

use std::fs::File;
use std::future::Future;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use serde_json::json;

use crate::hooks::{HookError, RequestContext, UserHooks};
use crate::user::AuthUser;

/// What a mail is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// A new account (no token).
    Register,
    /// A password reset, with the reset token.
    ResetPassword,
    /// An address verification, with the verification token.
    Verify,
}

impl MailKind {
    /// The name used in the outbox (`register`, `reset_password`, `verify`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::ResetPassword => "reset_password",
            Self::Verify => "verify",
        }
    }
}

/// One mail to send: always to the stored address of the user.
#[derive(Clone, PartialEq, Eq)]
pub struct Mail {
    /// What it is about.
    pub kind: MailKind,
    /// The recipient (the user's stored address).
    pub to: String,
    /// The token, for reset and verification mails.
    pub token: Option<String>,
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail")
            .field("kind", &self.kind)
            .field("to", &self.to)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// Why a mail was not sent.
#[derive(Debug, Clone, thiserror::Error)]
#[error("mail not sent: {0}")]
pub struct MailError(pub String);

/// Sends mails.
pub trait Mailer: Send + Sync + 'static {
    /// Sends one mail.
    fn send(&self, mail: &Mail) -> impl Future<Output = Result<(), MailError>> + Send;
}

/// No mailer configured: nothing is sent.
impl<M: Mailer> Mailer for Option<M> {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        match self {
            Some(mailer) => mailer.send(mail).await,
            None => Ok(()),
        }
    }
}

/// A JSON-lines file of the mails an application would send (development and black-box
/// tests): one `{"kind": …, "email": …, "token": …}` line per mail, each written with a
/// single `write` to a file opened for appending, so concurrent lines never interleave.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use auth_runtime::mail::{FileOutbox, Mail, MailKind, Mailer};
/// let path = std::env::temp_dir().join(format!("outbox-{}.jsonl", std::process::id()));
/// let outbox = FileOutbox::open(&path)?;
/// outbox.send(&Mail { kind: MailKind::Register, to: "a@example.com".into(), token: None }).await?;
/// assert_eq!(std::fs::read_to_string(&path)?, "{\"kind\":\"register\",\"email\":\"a@example.com\",\"token\":null}\n");
/// # std::fs::remove_file(&path)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct FileOutbox {
    file: Arc<File>,
}

impl FileOutbox {
    /// Opens (creating it, mode 0644) the outbox file for appending.
    pub fn open(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o644);
        }
        Ok(Self {
            file: Arc::new(options.open(path)?),
        })
    }
}

impl Mailer for FileOutbox {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let mut line = json!({
            "kind": mail.kind.as_str(),
            "email": mail.to,
            "token": mail.token,
        })
        .to_string();
        line.push('\n');
        match (&*self.file).write(line.as_bytes()) {
            Ok(n) if n == line.len() => Ok(()),
            Ok(n) => Err(MailError(format!(
                "short write to the outbox ({n} of {} bytes)",
                line.len()
            ))),
            Err(e) => Err(MailError(e.to_string())),
        }
    }
}

/// Hooks that send the registration, reset-password and verification mails through a
/// [`Mailer`]. A failed mail is logged, never shown to the client.
///
/// ```
/// use axum_users::prelude::*;
/// use axum_users::mail::{FileOutbox, MailHooks};
///
/// #[derive(AuthUser, Clone, Debug)]
/// #[auth(hooks = MailHooks<Option<FileOutbox>>)]
/// pub struct User {
///     pub id: uuid::Uuid,
///     pub email: String,
///     pub hashed_password: String,
///     pub is_active: bool,
///     pub is_superuser: bool,
///     pub is_verified: bool,
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct MailHooks<M> {
    mailer: M,
}

impl<M: Mailer> MailHooks<M> {
    /// Hooks sending through `mailer`.
    pub fn new(mailer: M) -> Self {
        Self { mailer }
    }

    async fn send(&self, kind: MailKind, to: &str, token: Option<&str>) {
        let mail = Mail {
            kind,
            to: to.to_owned(),
            token: token.map(str::to_owned),
        };
        if let Err(err) = self.mailer.send(&mail).await {
            tracing::error!(error = %err, kind = kind.as_str(), "a mail could not be sent");
        }
    }
}

impl<U: AuthUser, M: Mailer> UserHooks<U> for MailHooks<M> {
    async fn on_after_register(
        &self,
        user: &U,
        _ctx: Option<&RequestContext>,
    ) -> Result<(), HookError> {
        self.send(MailKind::Register, user.email(), None).await;
        Ok(())
    }

    async fn on_after_forgot_password(
        &self,
        user: &U,
        token: &str,
        _ctx: Option<&RequestContext>,
    ) -> Result<(), HookError> {
        self.send(MailKind::ResetPassword, user.email(), Some(token))
            .await;
        Ok(())
    }

    async fn on_after_request_verify(
        &self,
        user: &U,
        token: &str,
        _ctx: Option<&RequestContext>,
    ) -> Result<(), HookError> {
        self.send(MailKind::Verify, user.email(), Some(token)).await;
        Ok(())
    }
}
