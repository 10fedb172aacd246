//! SMTP delivery with `lettre` (feature `smtp`): implicit TLS, STARTTLS or plain, and text
//! templates whose links point at the application's front end.

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{Mail, MailError, MailKind, Mailer};

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Implicit TLS from the first byte (usually port 465).
    Tls,
    /// Plain connection upgraded with STARTTLS, which is required (usually port 587).
    StartTls,
    /// No encryption: only for a relay on the same host or a test server.
    Plain,
}

/// Where and how to send.
#[derive(Clone)]
pub struct SmtpSettings {
    /// The server's host name.
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// Connection security.
    pub security: SmtpSecurity,
    /// User name and password, if the server wants them.
    pub credentials: Option<(String, String)>,
    /// The sender, e.g. `Lyrics <no-reply@example.com>`.
    pub from: String,
    /// The front end's base URL; links are `<base_url>/reset-password?token=…` and
    /// `<base_url>/verify?token=…`.
    pub base_url: String,
    /// How long a connection or a command may take.
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("from", &self.from)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// Subjects and bodies of the three mails. In bodies, `{link}` is replaced by the link to
/// the front end and `{email}` by the recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailTemplates {
    /// Subject of the welcome mail.
    pub register_subject: String,
    /// Body of the welcome mail.
    pub register_body: String,
    /// Subject of the reset mail.
    pub reset_subject: String,
    /// Body of the reset mail.
    pub reset_body: String,
    /// Subject of the verification mail.
    pub verify_subject: String,
    /// Body of the verification mail.
    pub verify_body: String,
}

impl Default for MailTemplates {
    fn default() -> Self {
        Self {
            register_subject: "Welcome".into(),
            register_body: "Your account {email} is ready.\n".into(),
            reset_subject: "Reset your password".into(),
            reset_body: "To choose a new password, open this link within the hour:\n\n{link}\n\nIf you did not ask for it, ignore this mail.\n".into(),
            verify_subject: "Verify your email address".into(),
            verify_body: "To verify {email}, open this link within the hour:\n\n{link}\n".into(),
        }
    }
}

/// Sends mails through an SMTP server.
///
/// ```
/// use std::time::Duration;
/// use auth_runtime::mail::smtp::{MailTemplates, SmtpMailer, SmtpSecurity, SmtpSettings};
/// let mailer = SmtpMailer::new(
///     SmtpSettings {
///         host: "smtp.example.com".into(),
///         port: 587,
///         security: SmtpSecurity::StartTls,
///         credentials: Some(("mailer".into(), "secret".into())),
///         from: "Lyrics <no-reply@example.com>".into(),
///         base_url: "https://lyrics.example.com".into(),
///         timeout: Duration::from_secs(10),
///     },
///     MailTemplates::default(),
/// )
/// .unwrap();
/// ```
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    base_url: String,
    templates: MailTemplates,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for `settings`; the connection is made at the first mail.
    pub fn new(settings: SmtpSettings, templates: MailTemplates) -> Result<Self, MailError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| MailError(format!("invalid sender {:?}: {e}", settings.from)))?;
        let tls = |host: &str| {
            TlsParameters::new(host.to_owned()).map_err(|e| MailError(format!("TLS settings: {e}")))
        };
        let security = match settings.security {
            SmtpSecurity::Tls => Tls::Wrapper(tls(&settings.host)?),
            SmtpSecurity::StartTls => Tls::Required(tls(&settings.host)?),
            SmtpSecurity::Plain => Tls::None,
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.clone())
                .port(settings.port)
                .tls(security)
                .timeout(Some(settings.timeout));
        if let Some((user, password)) = settings.credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Self {
            transport: builder.build(),
            from,
            base_url: settings.base_url.trim_end_matches('/').to_owned(),
            templates,
        })
    }

    fn message(&self, mail: &Mail) -> Result<Message, MailError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| MailError(format!("invalid recipient: {e}")))?;
        let t = &self.templates;
        let token = mail.token.as_deref().unwrap_or_default();
        let (subject, body, link) = match mail.kind {
            MailKind::Register => (&t.register_subject, &t.register_body, String::new()),
            MailKind::ResetPassword => (
                &t.reset_subject,
                &t.reset_body,
                format!("{}/reset-password?token={token}", self.base_url),
            ),
            MailKind::Verify => (
                &t.verify_subject,
                &t.verify_body,
                format!("{}/verify?token={token}", self.base_url),
            ),
        };
        let body = body.replace("{link}", &link).replace("{email}", &mail.to);
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| MailError(format!("cannot build the mail: {e}")))
    }
}

impl Mailer for SmtpMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let message = self.message(mail)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError(format!("SMTP delivery failed: {e}")))
    }
}
