//! The user store on every database (SQL and MongoDB, through `AnyStore`): round trips, partial updates, uniqueness under
//! concurrency, NULLs, and nothing half-written.

mod common;

use std::time::Duration;

use axum_users::prelude::*;
use axum_users::{AnyStore, AuthUser, Changes, DbPool, StoreError, UserStore};
use common::users::{MusicUser, UuidUser, WideUser};

fn music(email: &str, username: &str) -> MusicUser {
    MusicUser {
        id: 0,
        email: email.into(),
        hashed_password: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA".into(),
        is_active: true,
        is_admin: false,
        is_verified: false,
        username: username.into(),
        description: None,
        created_at: time::OffsetDateTime::UNIX_EPOCH,
        updated_at: time::OffsetDateTime::UNIX_EPOCH,
        tracks: vec![7],
    }
}

fn uuid_user(email: &str) -> UuidUser {
    UuidUser {
        id: uuid::Uuid::new_v4(),
        email: email.into(),
        hashed_password: "hash".into(),
        is_active: true,
        is_superuser: false,
        is_verified: false,
    }
}

/// The store of `U` on `pool` (SQL or MongoDB), migrated twice (migrate is idempotent).
async fn store_of<U: AuthUser>(pool: impl Into<DbPool>) -> AnyStore<U> {
    let store = AnyStore::new(pool.into());
    store.migrate().await.expect("migrate");
    store.migrate().await.expect("migrate is idempotent");
    store
}

async fn music_store(pool: impl Into<DbPool>) -> AnyStore<MusicUser> {
    store_of(pool).await
}

async fn music_round_trip(pool: impl Into<DbPool>) {
    let store = music_store(pool).await;
    let mut new = music(" Fan@Example.COM ", "fan");
    new.description = Some("Loves lyrics — ünïcødé".into());
    let created = store.create(new).await.expect("create");
    assert!(created.id > 0, "the database assigned an id");
    assert_eq!(
        created.email, "Fan@example.com",
        "stored form: domain lower-cased, local case kept"
    );
    assert_eq!(created.created_at, created.updated_at);
    assert!(created.created_at > time::OffsetDateTime::UNIX_EPOCH);
    assert_eq!(
        created.created_at.nanosecond() % 1000,
        0,
        "truncated to microseconds"
    );

    let by_id = store
        .get(&created.id)
        .await
        .expect("get")
        .expect("found by id");
    assert_eq!(by_id.email, created.email);
    assert_eq!(by_id.username, "fan");
    assert_eq!(by_id.description.as_deref(), Some("Loves lyrics — ünïcødé"));
    assert_eq!(
        by_id.created_at, created.created_at,
        "timestamps round-trip exactly"
    );
    assert!(by_id.tracks.is_empty(), "skip fields are not stored");
    assert!(by_id.is_active && !by_id.is_admin && !by_id.is_verified);

    let by_email = store
        .get_by_email("fAN@EXAMPLE.com")
        .await
        .expect("get by email")
        .expect("found in another letter case");
    assert_eq!(by_email.id, created.id);
    assert!(
        store
            .get_by_email("other@example.com")
            .await
            .expect("lookup")
            .is_none()
    );
    assert!(
        store
            .get_by_email("not an email")
            .await
            .expect("lookup")
            .is_none()
    );

    tokio::time::sleep(Duration::from_millis(5)).await;
    let mut changes = Changes::new();
    changes.set("description", Some("new text".to_owned()));
    let updated = store
        .update(&created.id, &changes)
        .await
        .expect("update")
        .expect("row exists");
    assert_eq!(updated.description.as_deref(), Some("new text"));
    assert_eq!(updated.username, "fan", "other fields unchanged");
    assert_eq!(updated.email, "Fan@example.com");
    assert_eq!(
        updated.created_at, created.created_at,
        "created_at unchanged"
    );
    assert!(updated.updated_at > created.updated_at, "updated_at bumped");
    let reread = store.get(&created.id).await.expect("get").expect("found");
    assert_eq!(reread.updated_at, updated.updated_at);
    assert_eq!(reread.description.as_deref(), Some("new text"));

    // NULL round-trips.
    let mut changes = Changes::new();
    changes.set("description", None::<String>);
    let cleared = store
        .update(&created.id, &changes)
        .await
        .expect("update")
        .expect("row");
    assert_eq!(cleared.description, None);
    assert_eq!(
        store
            .get(&created.id)
            .await
            .expect("get")
            .expect("row")
            .description,
        None
    );

    // An email change moves the key.
    let mut changes = Changes::new();
    changes.set("email", "New.Address@EXAMPLE.org".to_owned());
    let moved = store
        .update(&created.id, &changes)
        .await
        .expect("update")
        .expect("row");
    assert_eq!(moved.email, "New.Address@example.org");
    assert!(
        store
            .get_by_email("fan@example.com")
            .await
            .expect("lookup")
            .is_none()
    );
    assert_eq!(
        store
            .get_by_email("new.address@example.ORG")
            .await
            .expect("lookup")
            .map(|u| u.id),
        Some(created.id)
    );

    assert!(
        store
            .update(&(created.id + 1000), &Changes::new())
            .await
            .expect("update")
            .is_none()
    );
    let mut changes = Changes::new();
    changes.set("username", "ghost".to_owned());
    assert!(
        store
            .update(&(created.id + 1000), &changes)
            .await
            .expect("update")
            .is_none()
    );

    assert_eq!(store.count().await.expect("count"), 1);
    assert!(store.delete(&created.id).await.expect("delete"));
    assert!(!store.delete(&created.id).await.expect("delete again"));
    assert!(store.get(&created.id).await.expect("get").is_none());
    assert_eq!(store.count().await.expect("count"), 0);

    // Ids are never reused.
    let next = store
        .create(music("next@example.com", "next"))
        .await
        .expect("create");
    assert!(next.id > created.id, "a deleted id is not reused");
}

async fn uuid_round_trip(pool: impl Into<DbPool>) {
    let store = store_of::<UuidUser>(pool).await;
    let new = uuid_user("MiXed@Example.com");
    let id = new.id;
    let created = store.create(new).await.expect("create");
    assert_eq!(created.id, id, "UUIDs are made by axum-users");
    assert_eq!(created.email, "MiXed@example.com");
    let found = store.get(&id).await.expect("get").expect("found");
    assert_eq!(found.id, id);
    let found = store
        .get_by_email("mixed@EXAMPLE.COM")
        .await
        .expect("get")
        .expect("found");
    assert_eq!(found.id, id);

    let mut changes = Changes::new();
    changes.set("is_superuser", true).set("is_verified", true);
    let updated = store
        .update(&id, &changes)
        .await
        .expect("update")
        .expect("row");
    assert!(updated.is_superuser && updated.is_verified && updated.is_active);
    assert_eq!(updated.email, "MiXed@example.com");

    let second = store
        .create(uuid_user("second@example.com"))
        .await
        .expect("create");
    let page = store.list(0, 10).await.expect("list");
    assert_eq!(page.len(), 2);
    assert_eq!(store.list(1, 10).await.expect("list").len(), 1);
    assert_eq!(store.list(0, 1).await.expect("list").len(), 1);
    assert_eq!(store.count().await.expect("count"), 2);

    assert!(store.delete(&id).await.expect("delete"));
    assert!(store.get(&id).await.expect("get").is_none());
    assert!(store.get(&second.id).await.expect("get").is_some());
}

/// 20 concurrent creates of one address in different letter cases: exactly one wins.
async fn concurrent_email(pool: impl Into<DbPool>) {
    let store = music_store(pool).await;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            let barrier = barrier.clone();
            let email = if i % 2 == 0 {
                "Race@Example.com"
            } else {
                "rAcE@example.COM"
            };
            tokio::spawn(async move {
                barrier.wait().await;
                store.create(music(email, &format!("racer{i}"))).await
            })
        })
        .collect();
    let mut ok = 0;
    let mut taken = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => ok += 1,
            Err(StoreError::AlreadyExists { field: "email" }) => taken += 1,
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!((ok, taken), (1, 19));
    assert_eq!(
        store.count().await.expect("count"),
        1,
        "the table holds one row"
    );
}

/// 20 concurrent creates of one unique username: exactly one wins.
async fn concurrent_username(pool: impl Into<DbPool>) {
    let store = music_store(pool).await;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .create(music(&format!("user{i}@example.com"), "taken"))
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    let mut taken = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => ok += 1,
            Err(StoreError::AlreadyExists { field: "username" }) => taken += 1,
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!((ok, taken), (1, 19));
    assert_eq!(
        store.count().await.expect("count"),
        1,
        "the table holds one row"
    );
}

/// Conflicts on update are typed too, and a failed write changes nothing.
async fn update_conflicts(pool: impl Into<DbPool>) {
    let store = music_store(pool).await;
    let a = store
        .create(music("a@example.com", "alice"))
        .await
        .expect("create a");
    let b = store
        .create(music("b@example.com", "bob"))
        .await
        .expect("create b");

    let mut changes = Changes::new();
    changes
        .set("email", "A@EXAMPLE.COM".to_owned())
        .set("description", Some("x".to_owned()));
    match store.update(&b.id, &changes).await {
        Err(StoreError::AlreadyExists { field: "email" }) => {}
        other => panic!("expected AlreadyExists(email), got {other:?}"),
    }
    let mut changes = Changes::new();
    changes
        .set("username", "alice".to_owned())
        .set("description", Some("x".to_owned()));
    match store.update(&b.id, &changes).await {
        Err(StoreError::AlreadyExists { field: "username" }) => {}
        other => panic!("expected AlreadyExists(username), got {other:?}"),
    }
    let unchanged = store.get(&b.id).await.expect("get").expect("row");
    assert_eq!(unchanged.email, "b@example.com");
    assert_eq!(unchanged.username, "bob");
    assert_eq!(unchanged.description, None, "nothing half-written");
    assert_eq!(unchanged.updated_at, b.updated_at);

    // A duplicate create leaves nothing behind either.
    match store.create(music("c@example.com", "alice")).await {
        Err(StoreError::AlreadyExists { field: "username" }) => {}
        other => panic!("expected AlreadyExists(username), got {other:?}"),
    }
    assert!(
        store
            .get_by_email("c@example.com")
            .await
            .expect("lookup")
            .is_none()
    );
    assert_eq!(store.count().await.expect("count"), 2);

    // A case-only change of one's own address is not a conflict.
    let mut changes = Changes::new();
    changes.set("email", "A@example.com".to_owned());
    let same = store
        .update(&a.id, &changes)
        .await
        .expect("update")
        .expect("row");
    assert_eq!(same.email, "A@example.com");

    // Columns that cannot be changed are refused before any SQL runs.
    for column in ["id", "created_at", "updated_at", "nope"] {
        let mut changes = Changes::new();
        changes.set(column, 1_i64);
        assert!(matches!(
            store.update(&a.id, &changes).await,
            Err(StoreError::UnknownColumn(_))
        ));
    }
    let mut changes = Changes::new();
    changes.set("username", None::<String>);
    assert!(matches!(
        store.update(&a.id, &changes).await,
        Err(StoreError::UnknownColumn(_))
    ));
    let mut changes = Changes::new();
    changes.set("email", "not an email".to_owned());
    assert!(matches!(
        store.update(&a.id, &changes).await,
        Err(StoreError::InvalidEmail(_))
    ));
    assert!(matches!(
        store.create(music("not an email", "zed")).await,
        Err(StoreError::InvalidEmail(_))
    ));
}

/// Every column type, NULLs, defaults and the other field options.
async fn wide_types(pool: impl Into<DbPool>) {
    let pool: DbPool = pool.into();
    let mongo = pool.dialect().is_none();
    let store = store_of::<WideUser>(pool).await;
    let body = br#"{"email":"w@example.com","password":"pw","age":null,"bio":"long text","birthday":"2001-02-03T04:05:06.123456Z","invited_by":"6f1c1c5e-2b8e-4d5a-9d43-6b2a0b0f8a11","karma":99,"secret_note":"sent","banned":true,"nick":"wiwi"}"#;
    let create = <WideUser as axum_users::AuthUser>::Create::from_json_bytes(body).expect("valid");
    let user = WideUser::from_create(&create, "hash".into(), false);
    assert_eq!(user.rating, 2.5, "default applied");
    assert_eq!(user.plays, 0, "bare default is Default::default()");
    assert!(!user.banned, "superuser_only ignored in safe mode");
    assert_eq!(user.karma, None, "read_only never taken from a request");
    assert_eq!(
        user.secret_note, "internal",
        "hidden never taken from a request"
    );
    let created = store.create(user).await.expect("create");
    let back = store.get(&created.id).await.expect("get").expect("row");
    assert_eq!(back.age, None);
    assert_eq!(back.rating, 2.5);
    assert_eq!(back.bio.as_deref(), Some("long text"));
    assert_eq!(back.nick.as_deref(), Some("wiwi"));
    assert_eq!(
        back.invited_by.map(|u| u.to_string()).as_deref(),
        Some("6f1c1c5e-2b8e-4d5a-9d43-6b2a0b0f8a11")
    );
    // SQL keeps microseconds; a BSON date keeps milliseconds.
    let birthday = if mongo {
        time::macros::datetime!(2001-02-03 04:05:06.123 UTC)
    } else {
        time::macros::datetime!(2001-02-03 04:05:06.123456 UTC)
    };
    assert_eq!(back.birthday, Some(birthday));
    assert_eq!(back.secret_note, "internal");

    let privileged = WideUser::from_create(&create, "hash".into(), true);
    assert!(privileged.banned, "superuser_only honoured in unsafe mode");

    let mut changes = Changes::new();
    changes
        .set("age", Some(42_i32))
        .set("rating", 4.75_f64)
        .set("plays", i64::MAX)
        .set("karma", Some(-3_i64))
        .set("birthday", None::<time::OffsetDateTime>);
    let updated = store
        .update(&created.id, &changes)
        .await
        .expect("update")
        .expect("row");
    assert_eq!(updated.age, Some(42));
    assert_eq!(updated.rating, 4.75);
    assert_eq!(updated.plays, i64::MAX);
    assert_eq!(updated.karma, Some(-3));
    assert_eq!(updated.birthday, None);

    // The renamed unique column conflicts by its field name.
    let mut other = WideUser::from_create(&create, "hash".into(), false);
    other.email = "other@example.com".into();
    match store.create(other).await {
        Err(StoreError::AlreadyExists { field: "nick" }) => {}
        res => panic!("expected AlreadyExists(nick), got {res:?}"),
    }
}

on_every_database! {
    music_user_round_trip => music_round_trip;
    uuid_user_round_trip => uuid_round_trip;
    twenty_concurrent_emails => concurrent_email;
    twenty_concurrent_usernames => concurrent_username;
    conflicts_on_update => update_conflicts;
    every_column_type => wide_types;
}

/// A `mongodb://` URL names its database in its path; without one it is `axum_users`.
#[tokio::test]
async fn mongodb_url_names_the_database() {
    let Some(server) = common::mongo::server_url() else {
        return;
    };
    for (url, name) in [
        (format!("{server}/named_db"), "named_db"),
        (server.clone(), axum_users::mongo::DEFAULT_DATABASE),
        (format!("{server}/"), axum_users::mongo::DEFAULT_DATABASE),
    ] {
        let pool = DbPool::connect(&url).await.expect("connect");
        let DbPool::MongoDb(db) = &pool else {
            panic!("{url} gives a MongoDB pool");
        };
        assert_eq!(db.database().name(), name, "{url}");
        assert_eq!(pool.dialect(), None);
        pool.close().await;
    }
}
