//! The access tokens of the database strategy in the `accesstoken` collection:
//! `{_id: <SHA-256 of the token, hex>, user_id, created_at}`. `auth::DatabaseTokens` makes
//! the tokens, their digests and the lifetime's cutoff; this stores and finds them.

use std::time::Duration;

use mongodb::Collection;
use mongodb::bson::{Document, doc};
use mongodb::options::IndexOptions;
use time::OffsetDateTime;

use super::{MongoDb, date, db, ensure_index, from_bson, index, to_bson};
use crate::store::StoreError;
use crate::value::{SqlType, Value};

/// The collection of the tokens.
pub(crate) const COLLECTION: &str = "accesstoken";

#[derive(Clone)]
pub(crate) struct MongoTokens {
    tokens: Collection<Document>,
    id_type: SqlType,
}

impl MongoTokens {
    pub(crate) fn new(db: &MongoDb, id_type: SqlType) -> Self {
        Self {
            tokens: db.collection(COLLECTION),
            id_type,
        }
    }

    /// The indexes: by user (logout everywhere, deletion) and by creation time, an expiry
    /// index when tokens have a `lifetime` in seconds (the server deletes expired tokens by
    /// itself; reads check the age all the same, since the server purges only once a minute).
    pub(crate) async fn migrate(&self, lifetime: Option<u64>) -> Result<(), StoreError> {
        ensure_index(
            &self.tokens,
            index(
                doc! {"user_id": 1},
                "ix_accesstoken_user_id",
                IndexOptions::default(),
            ),
        )
        .await
        .map_err(db)?;
        let mut options = IndexOptions::default();
        options.expire_after = lifetime.map(Duration::from_secs);
        ensure_index(
            &self.tokens,
            index(doc! {"created_at": 1}, "ix_accesstoken_created_at", options),
        )
        .await
        .map_err(db)
    }

    pub(crate) async fn insert(
        &self,
        hash: String,
        user_id: &Value,
        created: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let user_id = to_bson(user_id.clone())
            .ok_or_else(|| StoreError::Decode("a token for a null user id".into()))?;
        self.tokens
            .insert_one(doc! {"_id": hash, "user_id": user_id, "created_at": date(created)})
            .await
            .map_err(db)?;
        Ok(())
    }

    /// The user of the token with digest `hash`, if it was created at `cutoff` or later.
    pub(crate) async fn find(
        &self,
        hash: String,
        cutoff: Option<OffsetDateTime>,
    ) -> Result<Option<Value>, StoreError> {
        let mut filter = doc! {"_id": hash};
        if let Some(cutoff) = cutoff {
            filter.insert("created_at", doc! {"$gte": date(cutoff)});
        }
        let Some(found) = self.tokens.find_one(filter).await.map_err(db)? else {
            return Ok(None);
        };
        from_bson("user_id", found.get("user_id"), self.id_type, false)
            .map(Some)
            .map_err(StoreError::Decode)
    }

    pub(crate) async fn delete(&self, hash: String) -> Result<(), StoreError> {
        self.tokens
            .delete_one(doc! {"_id": hash})
            .await
            .map_err(db)?;
        Ok(())
    }

    pub(crate) async fn delete_for_user(&self, user_id: &Value) -> Result<u64, StoreError> {
        let Some(user_id) = to_bson(user_id.clone()) else {
            return Ok(0);
        };
        let done = self
            .tokens
            .delete_many(doc! {"user_id": user_id})
            .await
            .map_err(db)?;
        Ok(done.deleted_count)
    }

    /// Deletes the tokens created before `cutoff`.
    pub(crate) async fn purge(&self, cutoff: OffsetDateTime) -> Result<u64, StoreError> {
        let done = self
            .tokens
            .delete_many(doc! {"created_at": {"$lt": date(cutoff)}})
            .await
            .map_err(db)?;
        Ok(done.deleted_count)
    }
}
