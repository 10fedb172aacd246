//! The user manager: register, authenticate, update, delete (§7 of the contract), as
//! methods of [`Users`].

use serde_json::{Map, Value as Json};
use tracing::Instrument as _;

use crate::auth::Strategy;
use crate::email::email_key;
use crate::error::{Error, ErrorCode, PasswordContext};
use crate::hooks::{PasswordSubject, RequestContext, UpdateRecord, UserHooks};
use crate::store::{StoreError, UserStore};
use crate::user::{AuthUser, Changes, CreateSchema, Role, UpdateSchema};
use crate::users::Users;
use crate::value::{SqlField, Value};

impl<U: AuthUser> Users<U> {
    /// The column name of the field playing `role` (shared by the manager and the recovery
    /// flows).
    pub(crate) fn role_column(role: Role) -> &'static str {
        U::TABLE.column(role).map_or("", |c| c.name)
    }

    /// The built-in policy, then the `validate_password` hook.
    pub async fn check_password(
        &self,
        password: &str,
        subject: PasswordSubject<'_, U>,
        context: PasswordContext,
    ) -> Result<(), Error> {
        let refused = |reason| Error::InvalidPassword { context, reason };
        self.inner.policy.check(password).map_err(refused)?;
        self.inner
            .hooks
            .validate_password(password, subject)
            .await
            .map_err(refused)
    }

    /// Creates a user (§7.3). `privileged` (unsafe mode) takes the flags and
    /// `superuser_only` fields from the payload. Fires `on_after_register`.
    pub async fn create(
        &self,
        payload: &U::Create,
        privileged: bool,
        ctx: Option<&RequestContext>,
    ) -> Result<U, Error> {
        self.check_password(
            payload.password(),
            PasswordSubject::Create(payload),
            PasswordContext::Register,
        )
        .await?;
        self.create_unchecked(payload, privileged, ctx).await
    }

    /// [`Users::create`] without the password policy: for accounts whose password is a
    /// server-made random secret nobody types (social login).
    pub(crate) async fn create_unchecked(
        &self,
        payload: &U::Create,
        privileged: bool,
        ctx: Option<&RequestContext>,
    ) -> Result<U, Error> {
        let span = tracing::info_span!("users.create", user_id = tracing::field::Empty);
        async {
            if self
                .inner
                .store
                .get_by_email(payload.email())
                .await?
                .is_some()
            {
                return Err(Error::Code(ErrorCode::RegisterUserAlreadyExists));
            }
            let hash = self.inner.hasher.hash(payload.password()).await?;
            let user = U::from_create(payload, hash, privileged);
            let user = self.inner.store.create(user).await.map_err(|e| match e {
                StoreError::AlreadyExists { field: "email" } => {
                    Error::Code(ErrorCode::RegisterUserAlreadyExists)
                }
                StoreError::AlreadyExists { field } => {
                    Error::Code(ErrorCode::RegisterFieldAlreadyExists(field.to_owned()))
                }
                other => Error::Store(other),
            })?;
            tracing::Span::current().record("user_id", tracing::field::display(user.id()));
            self.inner.hooks.on_after_register(&user, ctx).await?;
            Ok(user)
        }
        .instrument(span)
        .await
    }

    /// Checks credentials (§7.4): every attempt costs one verification, whatever the email;
    /// an outdated hash of an active user is upgraded. Inactive users are returned (the
    /// login route refuses them).
    pub async fn authenticate(&self, email: &str, password: &str) -> Result<Option<U>, Error> {
        let inner = &self.inner;
        if inner.policy.too_long(password) {
            return Ok(None);
        }
        let Some(user) = inner.store.get_by_email(email).await? else {
            inner.hasher.verify_dummy(password).await?;
            return Ok(None);
        };
        let verified = inner
            .hasher
            .verify(password, user.hashed_password())
            .await?;
        if !verified.ok {
            return Ok(None);
        }
        if verified.needs_rehash && user.is_active() {
            let column = Self::role_column(Role::HashedPassword);
            // The upgrade is best effort: a busy pool must not fail a correct login.
            let new_hash = match inner.hasher.hash(password).await {
                Ok(hash) => hash,
                Err(err) => {
                    tracing::warn!(error = %err, "could not upgrade a password hash");
                    return Ok(Some(user));
                }
            };
            let mut changes = Changes::new();
            changes.set(column, new_hash);
            let mut conditions = Changes::new();
            conditions.set(column, user.hashed_password().to_owned());
            match inner
                .store
                .update_if(user.id(), &changes, &conditions)
                .await
            {
                Ok(Some(upgraded)) => return Ok(Some(upgraded)),
                Ok(None) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "could not store an upgraded password hash")
                }
            }
        }
        Ok(Some(user))
    }

    /// Applies an update (§7.5). `privileged` is the superuser's `PATCH /users/{id}`;
    /// otherwise `current_password` is checked when sent and flags are ignored. `None` when
    /// the user no longer exists. Fires `on_after_update`.
    pub async fn update(
        &self,
        update: &U::Update,
        user: &U,
        privileged: bool,
        ctx: Option<&RequestContext>,
    ) -> Result<Option<U>, Error> {
        let inner = &self.inner;
        if !privileged && let Some(current) = update.current_password() {
            let verified = inner.hasher.verify(current, user.hashed_password()).await?;
            if !verified.ok {
                return Err(Error::Code(ErrorCode::UpdateUserBadCurrentPassword));
            }
        }
        let mut changes = update.changes(privileged);
        if let Some(password) = update.password() {
            self.check_password(
                password,
                PasswordSubject::User(user),
                PasswordContext::Update,
            )
            .await?;
            let hash = inner.hasher.hash(password).await?;
            changes.set(Self::role_column(Role::HashedPassword), hash);
        }
        let email_column = Self::role_column(Role::Email);
        let verified_column = Self::role_column(Role::Verified);
        if let Some(Value::Text(new_email)) = changes.get(email_column).cloned() {
            if new_email == user.email() {
                changes.remove(email_column);
            } else if email_key(&new_email) != email_key(user.email()) {
                if let Some(other) = inner.store.get_by_email(&new_email).await?
                    && other.id() != user.id()
                {
                    return Err(Error::Code(ErrorCode::UpdateUserEmailAlreadyExists));
                }
                if !(privileged && changes.get(verified_column).is_some()) {
                    changes.set(verified_column, false);
                }
            }
        }
        let deactivated = matches!(
            changes.get(Self::role_column(Role::Active)),
            Some(Value::Bool(false))
        );
        let updated = inner
            .store
            .update(user.id(), &changes)
            .await
            .map_err(|e| match e {
                StoreError::AlreadyExists { field: "email" } => {
                    Error::Code(ErrorCode::UpdateUserEmailAlreadyExists)
                }
                StoreError::AlreadyExists { field } => {
                    Error::Code(ErrorCode::UpdateUserFieldAlreadyExists(field.to_owned()))
                }
                other => Error::Store(other),
            })?;
        let Some(updated) = updated else {
            return Ok(None);
        };
        if deactivated {
            self.revoke_database_tokens(updated.id()).await?;
        }
        let record = Self::update_record(update, &changes);
        inner.hooks.on_after_update(&updated, &record, ctx).await?;
        Ok(Some(updated))
    }

    /// The keys an update kept, in schema order (§8).
    fn update_record(update: &U::Update, changes: &Changes) -> UpdateRecord {
        let sent = match serde_json::to_value(update) {
            Ok(Json::Object(map)) => map,
            _ => Map::new(),
        };
        let mut record = Map::new();
        for (key, value) in sent {
            if key == "password" {
                record.insert(key, Json::String("[redacted]".into()));
                continue;
            }
            let kept = U::TABLE
                .columns
                .iter()
                .any(|c| c.field == key && changes.get(c.name).is_some());
            if kept {
                record.insert(key, value);
            }
        }
        UpdateRecord(record)
    }

    /// Deletes every database token of a user (deactivation).
    async fn revoke_database_tokens(&self, id: &U::Id) -> Result<(), Error> {
        for backend in &self.inner.backends {
            if let Strategy::Database(d) = backend.strategy() {
                d.delete_for_user(&id.to_value()).await?;
            }
        }
        Ok(())
    }

    /// The user with this id.
    pub async fn get(&self, id: &U::Id) -> Result<Option<U>, Error> {
        Ok(self.inner.store.get(id).await?)
    }

    /// The user whose email key matches `email`.
    pub async fn get_by_email(&self, email: &str) -> Result<Option<U>, Error> {
        Ok(self.inner.store.get_by_email(email).await?)
    }

    /// Deletes a user (§7.5): `on_before_delete` (an error aborts), then the row and its
    /// database tokens (foreign key cascade, one statement), then `on_after_delete`.
    /// `false` when the row was already gone.
    pub async fn delete(&self, user: &U, ctx: Option<&RequestContext>) -> Result<bool, Error> {
        self.inner.hooks.on_before_delete(user, ctx).await?;
        let deleted = self.inner.store.delete(user.id()).await?;
        if deleted {
            self.inner.hooks.on_after_delete(user, ctx).await?;
        }
        Ok(deleted)
    }

    /// Creates a superuser (active, superuser, verified) from the registration fields in
    /// `fields` (at least `email` and `password`, plus the user type's required fields).
    /// A taken address is `REGISTER_USER_ALREADY_EXISTS`, a refused password
    /// `REGISTER_INVALID_PASSWORD`, invalid fields a 422 list. Fires `on_after_register`.
    pub async fn create_superuser(&self, mut fields: Map<String, Json>) -> Result<U, Error> {
        for flag in ["is_active", "is_superuser", "is_verified"] {
            fields.insert(flag.to_owned(), Json::Bool(true));
        }
        let payload = <U::Create as crate::user::FromJsonBody>::from_json_object(&fields)
            .map_err(Error::Validation)?;
        self.create(&payload, true, None).await
    }

    /// Makes the user of `email` an active, verified superuser; `Not Found` when there is
    /// none. The password is left alone. Fires `on_after_update`.
    pub async fn promote_superuser(&self, email: &str) -> Result<U, Error> {
        let user = self.get_by_email(email).await?.ok_or(Error::NotFound)?;
        let update = <U::Update as crate::user::FromJsonBody>::from_json_object(&Map::from_iter([
            ("is_active".to_owned(), Json::Bool(true)),
            ("is_superuser".to_owned(), Json::Bool(true)),
            ("is_verified".to_owned(), Json::Bool(true)),
        ]))
        .map_err(Error::Validation)?;
        self.update(&update, &user, true, None)
            .await?
            .ok_or(Error::NotFound)
    }
}
