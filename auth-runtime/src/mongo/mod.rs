//! MongoDB storage (feature `mongodb`): the user store, the access tokens of the database
//! strategy and the OAuth accounts, in collections of one MongoDB database, through the
//! official `mongodb` crate.
//!
//! A user is one document of the collection named after the user table: `_id` holds the id
//! (an auto-increment `i64` drawn from the `axum_users_sequences` collection, or a UUID as
//! its hyphenated string), every other column is a field of the same name, and `email_key`
//! holds the normalized email key that lookups use. A `NULL` column is an absent field.
//! `migrate` creates the unique indexes (email key, every `unique` field), the token indexes
//! (with an expiry index when tokens have a lifetime) and the OAuth indexes.
//!
//! The guarantees are those of the SQL stores: a taken email or unique field is
//! [`StoreError::AlreadyExists`] (duplicate-key error 11000, its field recognised from the
//! error or, failing that, by looking for the value), every write is one single-document
//! operation (so a failed write leaves nothing half-written), and compare-and-set updates
//! filter on the id and the expected values in the same `updateOne`. No transaction is used.
//!
//! ```no_run
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use auth_runtime::DbPool;
//!
//! // The database name is the path of the URL (`axum_users` without one).
//! let pool = DbPool::connect("mongodb://127.0.0.1:27017/app").await?;
//! assert!(matches!(pool, DbPool::MongoDb(_)));
//! # Ok(()) }
//! ```

#[cfg(feature = "oauth")]
mod oauth;
mod tokens;

use std::fmt;
use std::marker::PhantomData;

use futures_util::TryStreamExt as _;
use mongodb::bson::{Bson, Document, doc};
use mongodb::error::{Error as MongoError, ErrorKind, WriteFailure};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};
use time::OffsetDateTime;

#[cfg(feature = "oauth")]
pub(crate) use oauth::MongoOAuth;
pub(crate) use tokens::MongoTokens;

use crate::email::email_key;
use crate::store::{StoreError, UserStore, prepare_insert, unique_keys, update_plan};
use crate::user::{AuthUser, Changes, ColumnSpec, EMAIL_KEY_COLUMN, IdKind, Role, UserId};
use crate::value::{SqlField, SqlType, Value};

/// The collection holding the counters of auto-increment ids, one document per user
/// collection (`{_id: <collection>, seq: <last id>}`).
pub const SEQUENCES: &str = "axum_users_sequences";

/// The collection of linked OAuth accounts (feature `oauth`).
const OAUTH_ACCOUNTS: &str = "oauth_account";

/// The database of a `mongodb://` URL without a path.
pub const DEFAULT_DATABASE: &str = "axum_users";

/// MongoDB's duplicate-key error code.
const DUPLICATE_KEY: i32 = 11000;

/// A MongoDB database holding the users (the client inside is a connection pool; cheap to
/// clone).
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let client = mongodb::Client::with_uri_str("mongodb://127.0.0.1:27017").await?;
/// let db = auth_runtime::mongo::MongoDb::new(client.database("app"));
/// let pool = auth_runtime::DbPool::from(db);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct MongoDb {
    db: Database,
}

impl fmt::Debug for MongoDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MongoDb")
            .field("database", &self.db.name())
            .finish_non_exhaustive()
    }
}

impl MongoDb {
    /// The users live in `database`.
    pub fn new(database: Database) -> Self {
        Self { db: database }
    }

    /// Connects to `url` (`mongodb://host[:port]/DATABASE[?options]`): the database is the
    /// path of the URL, [`DEFAULT_DATABASE`] when it has none. Checks that the server
    /// answers (a `ping`).
    pub async fn connect(url: &str) -> Result<Self, ConnectError> {
        let options = mongodb::options::ClientOptions::parse(url)
            .await
            .map_err(ConnectError::Server)?;
        let name = options
            .default_database
            .clone()
            .unwrap_or_else(|| DEFAULT_DATABASE.to_owned());
        let client = mongodb::Client::with_options(options).map_err(ConnectError::Server)?;
        let db = client.database(&name);
        db.run_command(doc! {"ping": 1})
            .await
            .map_err(ConnectError::Server)?;
        Ok(Self { db })
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Closes the client's connections.
    pub async fn close(&self) {
        self.db.client().clone().shutdown().immediate(true).await;
    }

    pub(crate) fn collection(&self, name: &str) -> Collection<Document> {
        self.db.collection(name)
    }
}

/// Why [`MongoDb::connect`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL is malformed or the server did not answer.
    #[error("MongoDB: {0}")]
    Server(#[source] MongoError),
}

/// Whether a MongoDB error means the server is unreachable or saturated (answer 503).
pub(crate) fn is_unavailable(e: &MongoError) -> bool {
    matches!(
        *e.kind,
        ErrorKind::ServerSelection { .. }
            | ErrorKind::Io(_)
            | ErrorKind::ConnectionPoolCleared { .. }
    ) || e.contains_label("RetryableWriteError")
        || e.contains_label("TransientTransactionError")
}

fn db(e: MongoError) -> StoreError {
    StoreError::MongoDb(e)
}

/// The message of a duplicate-key error, if `e` is one.
fn duplicate_key(e: &MongoError) -> Option<&str> {
    match &*e.kind {
        ErrorKind::Write(WriteFailure::WriteError(w)) if w.code == DUPLICATE_KEY => {
            Some(&w.message)
        }
        ErrorKind::Command(c) if c.code == DUPLICATE_KEY => Some(&c.message),
        _ => None,
    }
}

/// A timestamp as BSON: a UTC date with millisecond precision (the finer part is dropped).
pub(crate) fn date(t: OffsetDateTime) -> Bson {
    let millis = t.unix_timestamp_nanos().div_euclid(1_000_000);
    Bson::DateTime(mongodb::bson::DateTime::from_millis(
        i64::try_from(millis).unwrap_or(i64::MAX),
    ))
}

/// A value as BSON; `None` for `NULL` (an absent field). UUIDs are stored as their
/// hyphenated strings, so they compare and sort as text on every server.
pub(crate) fn to_bson(value: Value) -> Option<Bson> {
    Some(match value {
        Value::Null(_) => return None,
        Value::Text(s) => Bson::String(s),
        Value::Bool(b) => Bson::Boolean(b),
        Value::I32(n) => Bson::Int32(n),
        Value::I64(n) => Bson::Int64(n),
        Value::F64(n) => Bson::Double(n),
        Value::Uuid(u) => Bson::String(u.hyphenated().to_string()),
        Value::Timestamp(t) => date(t),
    })
}

/// A BSON field read back as a value of type `ty` (`None`: the field is absent).
pub(crate) fn from_bson(
    field: &str,
    bson: Option<&Bson>,
    ty: SqlType,
    nullable: bool,
) -> Result<Value, String> {
    let bad = |b: &Bson| {
        format!(
            "field `{field}`: expected {ty:?}, found {:?}",
            b.element_type()
        )
    };
    let Some(b) = bson.filter(|b| !matches!(b, Bson::Null)) else {
        return if nullable {
            Ok(Value::Null(ty))
        } else {
            Err(format!("field `{field}` is missing"))
        };
    };
    // Integers may come back narrower or wider than they were written (a server may store
    // a small Int64 as Int32): any integer that fits is accepted.
    let int = |b: &Bson| match b {
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Int64(n) => Some(*n),
        _ => None,
    };
    Ok(match ty {
        SqlType::Varchar(_) | SqlType::Text => match b {
            Bson::String(s) => Value::Text(s.clone()),
            other => return Err(bad(other)),
        },
        SqlType::Bool => match b {
            Bson::Boolean(v) => Value::Bool(*v),
            other => return Err(bad(other)),
        },
        SqlType::I32 => match int(b).and_then(|n| i32::try_from(n).ok()) {
            Some(n) => Value::I32(n),
            None => return Err(bad(b)),
        },
        SqlType::I64 => match int(b) {
            Some(n) => Value::I64(n),
            None => return Err(bad(b)),
        },
        SqlType::F64 => match b {
            Bson::Double(v) => Value::F64(*v),
            other => match int(other) {
                #[allow(clippy::cast_precision_loss)]
                Some(n) => Value::F64(n as f64),
                None => return Err(bad(other)),
            },
        },
        SqlType::Uuid => match b {
            Bson::String(s) => {
                Value::Uuid(uuid::Uuid::try_parse(s).map_err(|e| format!("field `{field}`: {e}"))?)
            }
            other => return Err(bad(other)),
        },
        SqlType::Timestamp => match b {
            Bson::DateTime(d) => Value::Timestamp(
                OffsetDateTime::from_unix_timestamp_nanos(
                    i128::from(d.timestamp_millis()) * 1_000_000,
                )
                .map_err(|e| format!("field `{field}`: {e}"))?,
            ),
            other => return Err(bad(other)),
        },
    })
}

/// The document field of a column: `_id` for the id.
fn field_name(column: &ColumnSpec) -> &'static str {
    if column.role == Role::Id {
        "_id"
    } else {
        column.name
    }
}

/// The document field of a column name (or `email_key`).
fn field_of<U: AuthUser>(column: &str) -> &str {
    match U::TABLE.columns.iter().find(|c| c.name == column) {
        Some(spec) => field_name(spec),
        None => column,
    }
}

/// Creates `index` on `collection`; an index of the same name or keys but other options (an
/// expiry changed since the last start, say) is dropped and created anew.
pub(crate) async fn ensure_index(
    collection: &Collection<Document>,
    index: IndexModel,
) -> Result<(), MongoError> {
    match collection.create_index(index.clone()).await {
        Ok(_) => Ok(()),
        // IndexOptionsConflict, IndexKeySpecsConflict.
        Err(e) if matches!(&*e.kind, ErrorKind::Command(c) if c.code == 85 || c.code == 86) => {
            let name = index
                .options
                .as_ref()
                .and_then(|o| o.name.clone())
                .unwrap_or_default();
            collection.drop_index(name).await?;
            collection.create_index(index).await.map(|_| ())
        }
        Err(e) => Err(e),
    }
}

/// An index on `keys` named `name` with the given options.
pub(crate) fn index(keys: Document, name: &str, mut options: IndexOptions) -> IndexModel {
    options.name = Some(name.to_owned());
    IndexModel::builder().keys(keys).options(options).build()
}

/// The user store on a MongoDB database; see the [module documentation](self).
pub struct MongoStore<U> {
    db: MongoDb,
    users: Collection<Document>,
    user: PhantomData<fn() -> U>,
}

impl<U> Clone for MongoStore<U> {
    fn clone(&self) -> Self {
        Self {
            db: self.db.clone(),
            users: self.users.clone(),
            user: PhantomData,
        }
    }
}

impl<U> fmt::Debug for MongoStore<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MongoStore")
            .field("database", &self.db.db.name())
            .field("collection", &self.users.name())
            .finish()
    }
}

impl<U: AuthUser> MongoStore<U> {
    /// A store in `db`; call [`MongoStore::migrate`] once to create the indexes.
    pub fn new(db: MongoDb) -> Self {
        let users = db.collection(U::TABLE.name);
        Self {
            db,
            users,
            user: PhantomData,
        }
    }

    /// The database this store runs on.
    pub fn database(&self) -> &MongoDb {
        &self.db
    }

    /// Creates the indexes (idempotent): unique on the email key and on every `unique`
    /// field (sparse when the field may be absent, as SQL allows many `NULL`s).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let table = U::TABLE;
        let unique = IndexOptions::builder().unique(true).build();
        ensure_index(
            &self.users,
            index(
                doc! {EMAIL_KEY_COLUMN: 1},
                &table.constraint_name(EMAIL_KEY_COLUMN),
                unique.clone(),
            ),
        )
        .await
        .map_err(db)?;
        for column in table
            .columns
            .iter()
            .filter(|c| c.unique && c.role != Role::Id)
        {
            let mut options = unique.clone();
            options.sparse = column.nullable.then_some(true);
            ensure_index(
                &self.users,
                index(
                    doc! {column.name: 1},
                    &table.constraint_name(column.name),
                    options,
                ),
            )
            .await
            .map_err(db)?;
        }
        Ok(())
    }

    fn document(user: &U, key: String) -> Document {
        let mut doc = Document::new();
        for (column, value) in U::TABLE.columns.iter().zip(user.to_values()) {
            if let Some(b) = to_bson(value) {
                doc.insert(field_name(column), b);
            }
        }
        doc.insert(EMAIL_KEY_COLUMN, key);
        doc
    }

    fn decode(doc: &Document) -> Result<U, StoreError> {
        let values = U::TABLE
            .columns
            .iter()
            .map(|c| {
                let name = field_name(c);
                from_bson(name, doc.get(name), c.ty, c.nullable)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(StoreError::Decode)?;
        U::from_values(values).map_err(StoreError::Decode)
    }

    fn id_bson(id: &U::Id) -> Result<Bson, StoreError> {
        to_bson(id.to_value()).ok_or_else(|| StoreError::Decode("a null id".into()))
    }

    fn id_filter(id: &U::Id) -> Result<Document, StoreError> {
        Ok(doc! {"_id": Self::id_bson(id)?})
    }

    async fn find_one(&self, filter: Document) -> Result<Option<U>, StoreError> {
        match self.users.find_one(filter).await.map_err(db)? {
            Some(doc) => Self::decode(&doc).map(Some),
            None => Ok(None),
        }
    }

    /// The next auto-increment id of this collection.
    async fn next_id(&self) -> Result<i64, StoreError> {
        let sequences = self.db.collection(SEQUENCES);
        let name = U::TABLE.name;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let found = sequences
                .find_one_and_update(doc! {"_id": name}, doc! {"$inc": {"seq": 1_i64}})
                .upsert(true)
                .return_document(ReturnDocument::After)
                .await;
            match found {
                Ok(Some(doc)) => {
                    return match doc.get("seq") {
                        Some(Bson::Int64(n)) => Ok(*n),
                        Some(Bson::Int32(n)) => Ok(i64::from(*n)),
                        _ => Err(StoreError::Decode("the id sequence holds no number".into())),
                    };
                }
                // Two first upserts may race on `_id`; the loser retries and increments.
                Err(e) if attempt < 3 && duplicate_key(&e).is_some() => continue,
                Ok(None) if attempt < 3 => continue,
                Ok(None) => {
                    return Err(StoreError::Decode("the id sequence did not advance".into()));
                }
                Err(e) => return Err(db(e)),
            }
        }
    }

    /// Maps a failed write: a duplicate key becomes [`StoreError::AlreadyExists`] naming the
    /// field, found from the index the error names or, failing that, by looking for the
    /// attempted values (email key first, then unique fields in order).
    async fn write_error(
        &self,
        err: MongoError,
        attempted: &[(&'static str, Value)],
    ) -> StoreError {
        let Some(message) = duplicate_key(&err) else {
            return db(err);
        };
        let table = U::TABLE;
        let candidates = unique_keys::<U>();
        for &(column, field) in &candidates {
            // MongoDB: "E11000 duplicate key error collection: db.user index: uq_user_email_key
            // dup key: { email_key: "…" }". nx-27017 (the test server) ignores index names and
            // says "UNIQUE constraint failed: index 'idx_user_email_key'".
            let named = message.contains(&format!("index: {} ", table.constraint_name(column)))
                || message.contains(&format!("dup key: {{ {column}: "))
                || message.contains(&format!("'idx_{}_{column}'", table.name));
            if named {
                return StoreError::AlreadyExists { field };
            }
        }
        for &(column, field) in &candidates {
            let Some(value) = attempted
                .iter()
                .find(|(c, _)| *c == column)
                .and_then(|(_, v)| to_bson(v.clone()))
            else {
                continue;
            };
            if let Ok(n) = self.users.count_documents(doc! {column: value}).await
                && n > 0
            {
                return StoreError::AlreadyExists { field };
            }
        }
        tracing::warn!(error = %message, "duplicate key on an unknown index");
        db(err)
    }
}

impl<U: AuthUser> UserStore<U> for MongoStore<U> {
    async fn create(&self, mut user: U) -> Result<U, StoreError> {
        let key = prepare_insert(&mut user)?;
        if U::TABLE.id_kind == IdKind::AutoIncrement {
            let id = U::Id::from_generated(self.next_id().await?)
                .ok_or_else(|| StoreError::Decode("the id sequence gave a bad id".into()))?;
            user.set_id(id);
        }
        let doc = Self::document(&user, key.clone());
        if let Err(err) = self.users.insert_one(&doc).await {
            let mut attempted: Vec<(&'static str, Value)> = U::TABLE
                .columns
                .iter()
                .map(|c| c.name)
                .zip(user.to_values())
                .collect();
            attempted.push((EMAIL_KEY_COLUMN, Value::Text(key)));
            return Err(self.write_error(err, &attempted).await);
        }
        // What a later read returns (timestamps at millisecond precision).
        Self::decode(&doc)
    }

    async fn get(&self, id: &U::Id) -> Result<Option<U>, StoreError> {
        self.find_one(Self::id_filter(id)?).await
    }

    async fn get_by_email(&self, email: &str) -> Result<Option<U>, StoreError> {
        match email_key(email) {
            Some(key) => self.find_one(doc! {EMAIL_KEY_COLUMN: key}).await,
            None => Ok(None),
        }
    }

    async fn update_if(
        &self,
        id: &U::Id,
        changes: &Changes,
        conditions: &Changes,
    ) -> Result<Option<U>, StoreError> {
        let (sets, conditions) = update_plan::<U>(changes, conditions)?;
        if sets.is_empty() {
            return self.get(id).await;
        }
        let mut set = Document::new();
        let mut unset = Document::new();
        for (column, value) in &sets {
            match to_bson(value.clone()) {
                Some(b) => set.insert(field_of::<U>(column), b),
                None => unset.insert(field_of::<U>(column), ""),
            };
        }
        let mut update = Document::new();
        if !set.is_empty() {
            update.insert("$set", set);
        }
        if !unset.is_empty() {
            update.insert("$unset", unset);
        }
        let mut filter = Self::id_filter(id)?;
        for (column, value) in conditions {
            if let Some(b) = to_bson(value) {
                filter.insert(field_of::<U>(column), b);
            }
        }
        // One conditional findOneAndUpdate: the document returned is the one this update
        // wrote, whatever runs at the same time (as SQL's RETURNING).
        let updated = self
            .users
            .find_one_and_update(filter.clone(), update.clone())
            .return_document(ReturnDocument::After)
            .await;
        match updated {
            Ok(Some(doc)) => Self::decode(&doc).map(Some),
            // No document matched, as far as MongoDB goes. nx-27017 (the test server) also
            // answers so, instead of a duplicate-key error, when the update breaks a unique
            // index: the same update through updateOne tells the two apart (and is a plain
            // retry on MongoDB).
            Ok(None) => match self.users.update_one(filter, update).await {
                Ok(done) if done.matched_count == 0 => Ok(None),
                Ok(_) => self.get(id).await,
                Err(err) => Err(self.write_error(err, &sets).await),
            },
            Err(err) => Err(self.write_error(err, &sets).await),
        }
    }

    async fn delete(&self, id: &U::Id) -> Result<bool, StoreError> {
        let user_id = Self::id_bson(id)?;
        let done = self
            .users
            .delete_one(doc! {"_id": user_id.clone()})
            .await
            .map_err(db)?;
        if done.deleted_count == 0 {
            return Ok(false);
        }
        // What a foreign key's ON DELETE CASCADE does in SQL. A token or link left behind by a
        // failure here names a user who is gone, and is refused as such.
        for collection in [tokens::COLLECTION, OAUTH_ACCOUNTS] {
            self.db
                .collection(collection)
                .delete_many(doc! {"user_id": user_id.clone()})
                .await
                .map_err(db)?;
        }
        Ok(true)
    }

    async fn count(&self) -> Result<u64, StoreError> {
        self.users.count_documents(doc! {}).await.map_err(db)
    }

    async fn list(&self, offset: u64, limit: u64) -> Result<Vec<U>, StoreError> {
        // A limit of 0 means "no limit" to MongoDB.
        if limit == 0 {
            return Ok(Vec::new());
        }
        let docs: Vec<Document> = self
            .users
            .find(doc! {})
            .sort(doc! {"_id": 1})
            .skip(offset)
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .await
            .map_err(db)?
            .try_collect()
            .await
            .map_err(db)?;
        docs.iter().map(Self::decode).collect()
    }
}
