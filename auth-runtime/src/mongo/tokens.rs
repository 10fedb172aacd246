//! The access tokens of the database strategy in the `accesstoken` collection:
//! `{_id: <SHA-256 of the token, hex>, user_id, created_at}`.

use std::time::Duration;

use mongodb::Collection;
use mongodb::bson::{Document, doc};
use mongodb::options::IndexOptions;

use super::{MongoDb, date, db, ensure_index, from_bson, index, to_bson};
use crate::auth::database::{random_token, token_hash};
use crate::store::StoreError;
use crate::time_fmt;
use crate::value::{SqlType, Value};

/// The collection of the tokens.
pub(crate) const COLLECTION: &str = "accesstoken";

#[derive(Clone)]
pub(crate) struct MongoTokens {
    tokens: Collection<Document>,
    lifetime: Option<u64>,
    id_type: SqlType,
}

impl MongoTokens {
    pub(crate) fn new(db: &MongoDb, lifetime: Option<u64>, id_type: SqlType) -> Self {
        Self {
            tokens: db.collection(COLLECTION),
            lifetime,
            id_type,
        }
    }

    fn cutoff(&self) -> Option<time::OffsetDateTime> {
        self.lifetime.map(|seconds| {
            time_fmt::now()
                - time::Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX / 2))
        })
    }

    /// The indexes: by user (logout everywhere, deletion) and by creation time, an expiry
    /// index when tokens have a lifetime (the server deletes expired tokens by itself; reads
    /// check the age all the same, since the server purges only once a minute).
    pub(crate) async fn migrate(&self) -> Result<(), StoreError> {
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
        options.expire_after = self.lifetime.map(Duration::from_secs);
        ensure_index(
            &self.tokens,
            index(doc! {"created_at": 1}, "ix_accesstoken_created_at", options),
        )
        .await
        .map_err(db)
    }

    pub(crate) async fn write(&self, user_id: &Value) -> Result<String, StoreError> {
        let token = random_token().map_err(|e| StoreError::Decode(e.to_string()))?;
        let user_id = to_bson(user_id.clone())
            .ok_or_else(|| StoreError::Decode("a token for a null user id".into()))?;
        self.tokens
            .insert_one(doc! {
                "_id": token_hash(&token),
                "user_id": user_id,
                "created_at": date(time_fmt::now()),
            })
            .await
            .map_err(db)?;
        Ok(token)
    }

    pub(crate) async fn read(&self, token: &str) -> Result<Option<Value>, StoreError> {
        let mut filter = doc! {"_id": token_hash(token)};
        if let Some(cutoff) = self.cutoff() {
            filter.insert("created_at", doc! {"$gte": date(cutoff)});
        }
        let Some(found) = self.tokens.find_one(filter).await.map_err(db)? else {
            return Ok(None);
        };
        from_bson("user_id", found.get("user_id"), self.id_type, false)
            .map(Some)
            .map_err(StoreError::Decode)
    }

    pub(crate) async fn destroy(&self, token: &str) -> Result<(), StoreError> {
        self.tokens
            .delete_one(doc! {"_id": token_hash(token)})
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

    pub(crate) async fn purge_expired(&self) -> Result<u64, StoreError> {
        let Some(cutoff) = self.cutoff() else {
            return Ok(0);
        };
        let done = self
            .tokens
            .delete_many(doc! {"created_at": {"$lt": date(cutoff)}})
            .await
            .map_err(db)?;
        Ok(done.deleted_count)
    }
}
