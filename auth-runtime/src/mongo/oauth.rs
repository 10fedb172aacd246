//! The OAuth collections, as the SQL tables of `crate::oauth::store`:
//! - `oauth_account`: `{_id: <UUID>, oauth_name, account_id, account_email, access_token,
//!   expires_at?, refresh_token?, user_id}`, unique on (`oauth_name`, `account_id`), deleted
//!   with their user by the user store;
//! - `oauth_state`: `{_id: <SHA-256 of the state id>, verifier, nonce, expires_at}`, one per
//!   authorization in flight; a callback deletes its document, and only the request whose
//!   delete removed it goes on.

use futures_util::TryStreamExt as _;
use mongodb::Collection;
use mongodb::bson::{Bson, Document, doc};
use mongodb::options::IndexOptions;

use super::{MongoDb, OAUTH_ACCOUNTS, db, duplicate_key, ensure_index, from_bson, index, to_bson};
use crate::auth::database::token_hash;
use crate::oauth::store::{AccountRow, Grant, LinkError, StoredAccount, now};
use crate::store::StoreError;
use crate::value::{SqlType, Value};

const STATES: &str = "oauth_state";

fn text(doc: &Document, field: &str) -> Option<String> {
    doc.get_str(field).ok().map(str::to_owned)
}

fn int(doc: &Document, field: &str) -> Option<i64> {
    match doc.get(field) {
        Some(Bson::Int64(n)) => Some(*n),
        Some(Bson::Int32(n)) => Some(i64::from(*n)),
        _ => None,
    }
}

#[derive(Debug, Clone)]
pub(crate) struct MongoOAuth {
    states: Collection<Document>,
    accounts: Collection<Document>,
    user_id_type: SqlType,
}

impl MongoOAuth {
    pub(crate) fn new(db: &MongoDb, user_id_type: SqlType) -> Self {
        Self {
            states: db.collection(STATES),
            accounts: db.collection(OAUTH_ACCOUNTS),
            user_id_type,
        }
    }

    pub(crate) async fn migrate(&self) -> Result<(), StoreError> {
        ensure_index(
            &self.states,
            index(
                doc! {"expires_at": 1},
                "ix_oauth_state_expires_at",
                IndexOptions::default(),
            ),
        )
        .await
        .map_err(db)?;
        ensure_index(
            &self.accounts,
            index(
                doc! {"oauth_name": 1, "account_id": 1},
                "uq_oauth_account_name_account",
                IndexOptions::builder().unique(true).build(),
            ),
        )
        .await
        .map_err(db)?;
        ensure_index(
            &self.accounts,
            index(
                doc! {"user_id": 1},
                "ix_oauth_account_user_id",
                IndexOptions::default(),
            ),
        )
        .await
        .map_err(db)
    }

    pub(crate) async fn put_state(
        &self,
        state_id: &str,
        verifier: &str,
        nonce: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.states
            .delete_many(doc! {"expires_at": {"$lt": now()}})
            .await
            .map_err(db)?;
        self.states
            .insert_one(doc! {
                "_id": token_hash(state_id),
                "verifier": verifier,
                "nonce": nonce,
                "expires_at": expires_at,
            })
            .await
            .map_err(db)?;
        Ok(())
    }

    pub(crate) async fn take_state(
        &self,
        state_id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        let key = token_hash(state_id);
        let Some(found) = self.states.find_one(doc! {"_id": &key}).await.map_err(db)? else {
            return Ok(None);
        };
        // The read and the delete are two operations; only the caller whose delete removed the
        // document goes on, so a state is used once however many callbacks race.
        let deleted = self
            .states
            .delete_one(doc! {"_id": &key})
            .await
            .map_err(db)?
            .deleted_count;
        match (
            text(&found, "verifier"),
            text(&found, "nonce"),
            int(&found, "expires_at"),
        ) {
            (Some(verifier), Some(nonce), Some(expires)) if deleted == 1 && expires >= now() => {
                Ok(Some((verifier, nonce)))
            }
            _ => Ok(None),
        }
    }

    pub(crate) async fn find_account(
        &self,
        oauth_name: &str,
        account_id: &str,
    ) -> Result<Option<AccountRow>, StoreError> {
        let found = self
            .accounts
            .find_one(doc! {"oauth_name": oauth_name, "account_id": account_id})
            .await
            .map_err(db)?;
        let Some(found) = found else {
            return Ok(None);
        };
        let id = from_bson("_id", found.get("_id"), SqlType::Uuid, false);
        let user_id = from_bson("user_id", found.get("user_id"), self.user_id_type, false);
        match (id, user_id) {
            (Ok(Value::Uuid(id)), Ok(user_id)) => Ok(Some(AccountRow { id, user_id })),
            (Err(e), _) | (_, Err(e)) => Err(StoreError::Decode(e)),
            _ => Ok(None),
        }
    }

    pub(crate) async fn link(&self, user_id: Value, grant: Grant<'_>) -> Result<(), LinkError> {
        let Some(user_id) = to_bson(user_id) else {
            return Err(LinkError::Store(StoreError::Decode(
                "a null user id".into(),
            )));
        };
        let mut doc = doc! {
            "_id": uuid::Uuid::new_v4().hyphenated().to_string(),
            "oauth_name": grant.oauth_name,
            "access_token": grant.access_token,
            "account_id": grant.account_id,
            "account_email": grant.account_email,
            "user_id": user_id,
        };
        if let Some(at) = grant.expires_at {
            doc.insert("expires_at", at);
        }
        if let Some(token) = grant.refresh_token {
            doc.insert("refresh_token", token);
        }
        match self.accounts.insert_one(doc).await {
            Ok(_) => Ok(()),
            Err(e) if duplicate_key(&e).is_some() => Err(LinkError::Taken),
            Err(e) => Err(LinkError::Store(db(e))),
        }
    }

    pub(crate) async fn accounts_of(
        &self,
        user_id: Value,
    ) -> Result<Vec<StoredAccount>, StoreError> {
        let Some(user_id) = to_bson(user_id) else {
            return Ok(Vec::new());
        };
        let docs: Vec<Document> = self
            .accounts
            .find(doc! {"user_id": user_id})
            .sort(doc! {"oauth_name": 1, "account_id": 1})
            .limit(1000)
            .await
            .map_err(db)?
            .try_collect()
            .await
            .map_err(db)?;
        Ok(docs
            .iter()
            .filter_map(|d| {
                Some((
                    text(d, "oauth_name")?,
                    text(d, "account_id")?,
                    text(d, "account_email")?,
                    text(d, "access_token")?,
                    int(d, "expires_at"),
                    text(d, "refresh_token"),
                ))
            })
            .collect())
    }

    pub(crate) async fn refresh(
        &self,
        row: &AccountRow,
        grant: Grant<'_>,
    ) -> Result<(), StoreError> {
        let mut set = doc! {
            "access_token": grant.access_token,
            "account_email": grant.account_email,
        };
        let mut update = Document::new();
        match grant.expires_at {
            Some(at) => {
                set.insert("expires_at", at);
            }
            None => {
                update.insert("$unset", doc! {"expires_at": ""});
            }
        }
        // A missing refresh token keeps the stored one.
        if let Some(token) = grant.refresh_token {
            set.insert("refresh_token", token);
        }
        update.insert("$set", set);
        self.accounts
            .update_one(doc! {"_id": row.id.hyphenated().to_string()}, update)
            .await
            .map_err(db)?;
        Ok(())
    }
}
