//! The user types the tests store: the music site's user (integer ids, custom fields) and a
//! plain FastAPI Users user with UUID ids.

use axum_users::prelude::*;

/// Checks a username the way the site wants: no spaces.
pub fn no_spaces(name: &str) -> Result<(), String> {
    if name.contains(' ') {
        Err("username must not contain spaces".into())
    } else {
        Ok(())
    }
}

/// The music-lyrics site's user.
#[derive(AuthUser, Clone, Debug)]
#[auth(table = "user")]
pub struct MusicUser {
    pub id: i64,
    pub email: String,
    pub hashed_password: String,
    pub is_active: bool,
    #[auth(superuser)]
    pub is_admin: bool,
    pub is_verified: bool,
    #[auth(unique, min_length = 1, max_length = 50, validate = no_spaces)]
    pub username: String,
    #[auth(max_length = 1000)]
    pub description: Option<String>,
    #[auth(created_at)]
    pub created_at: time::OffsetDateTime,
    #[auth(updated_at)]
    pub updated_at: time::OffsetDateTime,
    #[auth(skip)]
    pub tracks: Vec<i64>,
}

/// FastAPI Users' default user: UUID ids, no custom fields.
#[derive(AuthUser, Clone, Debug)]
#[auth(
    table = "uuid_user",
    read = "UuidUserRead",
    create = "UuidUserCreate",
    update = "UuidUserUpdate"
)]
pub struct UuidUser {
    pub id: uuid::Uuid,
    pub email: String,
    pub hashed_password: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub is_verified: bool,
}

/// A user exercising the other column types and options.
#[derive(AuthUser, Clone, Debug)]
#[auth(
    table = "wide_user",
    read = "WideRead",
    create = "WideCreate",
    update = "WideUpdate"
)]
pub struct WideUser {
    pub id: uuid::Uuid,
    pub email: String,
    pub hashed_password: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub is_verified: bool,
    #[auth(min = 0, max = 150)]
    pub age: Option<i32>,
    #[auth(min = 0.0, max = 5.0, default = 2.5)]
    pub rating: f64,
    #[auth(default)]
    pub plays: i64,
    #[auth(text)]
    pub bio: Option<String>,
    pub invited_by: Option<uuid::Uuid>,
    pub birthday: Option<time::OffsetDateTime>,
    #[auth(superuser_only, default = false)]
    pub banned: bool,
    #[auth(read_only)]
    pub karma: Option<i64>,
    #[auth(hidden, default = String::from("internal"))]
    pub secret_note: String,
    #[auth(column = "nick_name", unique, max_length = 30)]
    pub nick: Option<String>,
}

/// A user whose hooks record what fired (and can refuse a deletion).
#[derive(AuthUser, Clone, Debug)]
#[auth(table = "hooked_user", hooks = RecordingHooks, read = "HookedRead", create = "HookedCreate", update = "HookedUpdate")]
pub struct HookedUser {
    pub id: i64,
    pub email: String,
    pub hashed_password: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub is_verified: bool,
    #[auth(default)]
    pub nickname: Option<String>,
}

/// One hook call: its name and what it received (a token, an email, an update record).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub hook: &'static str,
    pub detail: serde_json::Value,
}

/// Records every hook call; refuses passwords containing "password123" and, when told to,
/// deletions.
#[derive(Debug, Clone, Default)]
pub struct RecordingHooks {
    pub events: std::sync::Arc<std::sync::Mutex<Vec<Event>>>,
    pub refuse_delete: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl RecordingHooks {
    fn push(&self, hook: &'static str, detail: serde_json::Value) {
        self.events
            .lock()
            .expect("events")
            .push(Event { hook, detail });
    }

    /// The events recorded so far.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().expect("events").clone()
    }

    /// The details of the events of one hook.
    pub fn of(&self, hook: &str) -> Vec<serde_json::Value> {
        self.events()
            .into_iter()
            .filter(|e| e.hook == hook)
            .map(|e| e.detail)
            .collect()
    }

    /// Waits (at most 2 s) for a spawned hook to record an event, returning its detail.
    pub async fn wait_for(&self, hook: &str, count: usize) -> Option<serde_json::Value> {
        for _ in 0..200 {
            let found = self.of(hook);
            if found.len() >= count {
                return found.into_iter().nth(count - 1);
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        None
    }
}

use axum_users::hooks::{HookError, PasswordSubject, RequestContext, UpdateRecord, UserHooks};
use serde_json::json;

/// The password whose validation panics in [`RecordingHooks`].
pub const PANICKING_PASSWORD: &str = "panic-in-the-hook";

impl UserHooks<HookedUser> for RecordingHooks {
    async fn validate_password(
        &self,
        password: &str,
        _subject: PasswordSubject<'_, HookedUser>,
    ) -> Result<(), String> {
        // A hook that fails the worst way, for the routers' panic guard.
        assert!(password != PANICKING_PASSWORD, "a hook panicked on purpose");
        if password.contains("password123") {
            Err("Password is too common".into())
        } else {
            Ok(())
        }
    }
    async fn on_after_register(
        &self,
        user: &HookedUser,
        _ctx: Option<&RequestContext>,
    ) -> Result<(), HookError> {
        self.push("register", json!(user.email));
        Ok(())
    }
    async fn on_after_update(
        &self,
        user: &HookedUser,
        update: &UpdateRecord,
        _ctx: Option<&RequestContext>,
    ) -> Result<(), HookError> {
        self.push("update", json!({"email": user.email, "record": update.0}));
        Ok(())
    }
    async fn on_after_login(
        &self,
        user: &HookedUser,
        ctx: Option<&RequestContext>,
        response: &mut axum::response::Response,
    ) -> Result<(), HookError> {
        self.push(
            "login",
            json!({"email": user.email, "has_ctx": ctx.is_some()}),
        );
        response
            .headers_mut()
            .insert("x-login-hook", axum::http::HeaderValue::from_static("1"));
        Ok(())
    }
    async fn on_after_request_verify(
        &self,
        _user: &HookedUser,
        token: &str,
        _ctx: Option<&RequestContext>,
    ) -> Result<(), HookError> {
        self.push("request_verify", json!(token));
        Ok(())
    }
    async fn on_after_verify(
        &self,
        user: &HookedUser,
        _ctx: Option<&RequestContext>,
    ) -> Result<(), HookError> {
        self.push("verify", json!(user.email));
        Ok(())
    }
    async fn on_after_forgot_password(
        &self,
        _user: &HookedUser,
        token: &str,
        _ctx: Option<&RequestContext>,
    ) -> Result<(), HookError> {
        self.push("forgot_password", json!(token));
        Ok(())
    }
    async fn on_after_reset_password(
        &self,
        user: &HookedUser,
        _ctx: Option<&RequestContext>,
    ) -> Result<(), HookError> {
        self.push("reset_password", json!(user.email));
        Ok(())
    }
    async fn on_before_delete(
        &self,
        user: &HookedUser,
        _ctx: Option<&RequestContext>,
    ) -> Result<(), HookError> {
        if self.refuse_delete.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(HookError {
                status: axum::http::StatusCode::CONFLICT,
                detail: json!("USER_HAS_SUBSCRIPTIONS"),
            });
        }
        self.push("before_delete", json!(user.email));
        Ok(())
    }
    async fn on_after_delete(
        &self,
        user: &HookedUser,
        _ctx: Option<&RequestContext>,
    ) -> Result<(), HookError> {
        self.push("after_delete", json!(user.email));
        Ok(())
    }
}

/// A user whose mails go to a JSON-lines outbox, as in the full example.
#[derive(AuthUser, Clone, Debug)]
#[auth(table = "outbox_user", hooks = axum_users::mail::MailHooks<axum_users::mail::FileOutbox>, read = "OutboxRead", create = "OutboxCreate", update = "OutboxUpdate")]
pub struct OutboxUser {
    pub id: uuid::Uuid,
    pub email: String,
    pub hashed_password: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub is_verified: bool,
}
