//! The generated schemas without a database: request validation with FastAPI-style 422
//! bodies (§3.3, §3.4), email normalization (§7.1), update semantics (§7.5), `UserRead`
//! serialization (§9.1) and the OpenAPI descriptions (§9.3).

mod common;

use axum_users::__private::utoipa::{PartialSchema, ToSchema};
use axum_users::{AuthUser, Changes, FromJsonBody, Patch, UpdateSchema, Value};
use common::users::*;
use serde_json::{Value as Json, json};
use time::macros::datetime;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Decodes `body`, panicking with the 422 body when it is refused.
fn ok<T: FromJsonBody>(body: &str) -> T {
    match T::from_json_bytes(body.as_bytes()) {
        Ok(v) => v,
        Err(e) => panic!(
            "{body} was refused: {}",
            serde_json::to_string(&e).unwrap_or_default()
        ),
    }
}

/// Decodes `body`, expecting a 422; returns the whole 422 body as JSON text.
fn err_text<T: FromJsonBody>(body: &[u8]) -> String {
    match T::from_json_bytes(body) {
        Ok(_) => panic!("{} was accepted", String::from_utf8_lossy(body)),
        Err(e) => serde_json::to_string(&e).expect("serialize errors"),
    }
}

/// Decodes `body`, expecting a 422; returns its `detail` items.
fn err_items<T: FromJsonBody>(body: &str) -> Vec<Json> {
    let text = err_text::<T>(body.as_bytes());
    let value: Json = serde_json::from_str(&text).expect("422 body is JSON");
    match value {
        Json::Object(mut o) => match o.remove("detail") {
            Some(Json::Array(items)) => items,
            other => panic!("no detail list: {other:?}"),
        },
        other => panic!("not an object: {other}"),
    }
}

/// Decodes `body`, expecting exactly one 422 item, and returns it.
fn one_item<T: FromJsonBody>(body: &str) -> Json {
    let mut items = err_items::<T>(body);
    assert_eq!(items.len(), 1, "{body}: {items:?}");
    items.remove(0)
}

/// A valid MusicUser registration body with `extra` merged in (later keys win).
fn music_body(extra: Json) -> String {
    let mut body = json!({
        "email": "fan@example.com",
        "password": "correct horse",
        "username": "fan",
    });
    if let (Json::Object(b), Json::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    body.to_string()
}

/// A valid WideUser registration body with `extra` merged in.
fn wide_body(extra: Json) -> String {
    let mut body = json!({ "email": "wide@example.com", "password": "correct horse" });
    if let (Json::Object(b), Json::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    body.to_string()
}

/// The (column, value) pairs of `changes`, in order.
fn pairs(changes: &Changes) -> Vec<(&'static str, Value)> {
    changes.iter().map(|(c, v)| (c, v.clone())).collect()
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn fan() -> MusicUser {
    MusicUser {
        id: 1,
        email: "fan@example.com".into(),
        hashed_password: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        is_active: true,
        is_admin: false,
        is_verified: false,
        username: "fan".into(),
        description: None,
        created_at: datetime!(2026-01-02 03:04:05.123456 UTC),
        updated_at: datetime!(2026-01-02 03:04:05 UTC),
        tracks: vec![7, 8],
    }
}

fn wide() -> WideUser {
    WideUser {
        id: uuid::uuid!("c51070ae-da4f-485c-b5a0-b7843f2f4556"),
        email: "wide@example.com".into(),
        hashed_password: "hash".into(),
        is_active: true,
        is_superuser: false,
        is_verified: true,
        age: Some(30),
        rating: 4.5,
        plays: 12,
        bio: None,
        invited_by: None,
        birthday: Some(datetime!(2000-02-29 12:00:00 UTC)),
        banned: false,
        karma: Some(3),
        secret_note: "do not show".into(),
        nick: Some("dj".into()),
    }
}

/// The keys of a JSON object, in serialization order.
fn keys(value: &Json) -> Vec<String> {
    match value {
        Json::Object(o) => o.keys().cloned().collect(),
        other => panic!("not an object: {other}"),
    }
}

fn schema_json<T: PartialSchema>() -> Json {
    serde_json::to_value(T::schema()).expect("serialize schema")
}

// ---------------------------------------------------------------------------------------
// 1. Missing fields
// ---------------------------------------------------------------------------------------

#[test]
fn music_create_empty_object_reports_email_password_username_missing_in_order() {
    assert_eq!(
        err_text::<UserCreate>(b"{}"),
        r#"{"detail":[{"type":"missing","loc":["body","email"],"msg":"Field required","input":{}},{"type":"missing","loc":["body","password"],"msg":"Field required","input":{}},{"type":"missing","loc":["body","username"],"msg":"Field required","input":{}}]}"#
    );
}

#[test]
fn uuid_create_empty_object_matches_reference_422_exactly() {
    assert_eq!(
        err_text::<UuidUserCreate>(b"{}"),
        r#"{"detail":[{"type":"missing","loc":["body","email"],"msg":"Field required","input":{}},{"type":"missing","loc":["body","password"],"msg":"Field required","input":{}}]}"#
    );
}

#[test]
fn missing_field_input_is_the_whole_body_object() {
    let item = one_item::<UserCreate>(r#"{"email": "fan@example.com", "username": "fan"}"#);
    assert_eq!(
        item,
        json!({
            "type": "missing",
            "loc": ["body", "password"],
            "msg": "Field required",
            "input": { "email": "fan@example.com", "username": "fan" },
        })
    );
}

// ---------------------------------------------------------------------------------------
// 2. Body-level problems
// ---------------------------------------------------------------------------------------

#[test]
fn empty_or_blank_body_is_missing_at_body_with_null_input() {
    for body in [&b""[..], b"  \n\t\r "] {
        assert_eq!(
            err_text::<UserCreate>(body),
            r#"{"detail":[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]}"#
        );
    }
}

#[test]
fn non_object_json_is_model_attributes_type_with_parsed_input() {
    for (body, input) in [
        ("[]", json!([])),
        ("null", Json::Null),
        ("3", json!(3)),
        (r#""text""#, json!("text")),
        ("true", json!(true)),
    ] {
        assert_eq!(
            err_items::<UserCreate>(body),
            vec![json!({
                "type": "model_attributes_type",
                "loc": ["body"],
                "msg": "Input should be a valid dictionary or object to extract fields from",
                "input": input,
            })],
            "{body}"
        );
    }
}

#[test]
fn malformed_json_is_json_invalid_at_character_offset() {
    // Offsets as Python's json decoder reports them (`JSONDecodeError.pos`).
    for (body, offset) in [
        ("{bad}", 1),
        (r#"{"email": "#, 10),
        ("{\n  \"a\": 1,\n  x}", 14),
        // "é" is two bytes but one character.
        (r#"{"é": x}"#, 6),
    ] {
        let item = one_item::<UserCreate>(body);
        assert_eq!(item["type"], "json_invalid", "{body}");
        assert_eq!(item["loc"], json!(["body", offset]), "{body}");
        assert_eq!(item["msg"], "JSON decode error", "{body}");
        assert_eq!(item["input"], json!({}), "{body}");
        let error = item["ctx"]["error"].as_str().unwrap_or_default();
        assert!(!error.is_empty(), "{body}: ctx {:?}", item["ctx"]);
        assert!(!error.contains(" at line "), "{body}: {error}");
    }
}

// ---------------------------------------------------------------------------------------
// 3. Email validation and normalization
// ---------------------------------------------------------------------------------------

#[test]
fn invalid_email_is_value_error_with_reason() {
    for bad in [
        "not-an-email",
        "a@localhost",
        "a@x.test",
        "two@@example.com",
        "",
    ] {
        let item = one_item::<UserCreate>(&music_body(json!({ "email": bad })));
        assert_eq!(item["type"], "value_error", "{bad}");
        assert_eq!(item["loc"], json!(["body", "email"]), "{bad}");
        assert_eq!(item["input"], json!(bad), "{bad}");
        let msg = item["msg"].as_str().unwrap_or_default();
        let reason = msg
            .strip_prefix("value is not a valid email address: ")
            .unwrap_or_else(|| panic!("{bad}: msg {msg:?}"));
        assert!(!reason.is_empty(), "{bad}");
        assert_eq!(item["ctx"], json!({ "reason": reason }), "{bad}");
    }
}

#[test]
fn valid_email_is_stored_in_normalized_form() {
    for (given, stored) in [
        (" MiXed@Example.COM ", "MiXed@example.com"),
        ("John Doe <jd@Example.com>", "jd@example.com"),
        ("\"John Doe\" <jd@Example.com>", "jd@example.com"),
        ("alice@xn--bcher-kva.example", "alice@bücher.example"),
    ] {
        let create: UserCreate = ok(&music_body(json!({ "email": given })));
        assert_eq!(create.email, stored, "{given}");
        assert_eq!(axum_users::CreateSchema::email(&create), stored, "{given}");
    }
}

// ---------------------------------------------------------------------------------------
// 4. Strict strings
// ---------------------------------------------------------------------------------------

#[test]
fn number_for_password_is_string_type() {
    assert_eq!(
        err_text::<UserCreate>(music_body(json!({ "password": 5 })).as_bytes()),
        r#"{"detail":[{"type":"string_type","loc":["body","password"],"msg":"Input should be a valid string","input":5}]}"#
    );
}

#[test]
fn null_email_in_create_is_string_type() {
    assert_eq!(
        err_text::<UserCreate>(music_body(json!({ "email": null })).as_bytes()),
        r#"{"detail":[{"type":"string_type","loc":["body","email"],"msg":"Input should be a valid string","input":null}]}"#
    );
}

#[test]
fn non_string_custom_string_fields_are_string_type() {
    for (key, value) in [
        ("username", json!(5)),
        ("username", json!(true)),
        ("username", Json::Null),
        ("description", json!(["x"])),
        ("password", json!({})),
    ] {
        let item = one_item::<UserCreate>(&music_body(json!({ key: value.clone() })));
        assert_eq!(
            item,
            json!({
                "type": "string_type",
                "loc": ["body", key],
                "msg": "Input should be a valid string",
                "input": value,
            }),
            "{key}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// 5. Lax booleans
// ---------------------------------------------------------------------------------------

#[test]
fn is_active_accepts_lax_boolean_spellings() {
    let cases = [
        (json!(true), true),
        (json!(false), false),
        (json!(1), true),
        (json!(0), false),
        (json!(1.0), true),
        (json!(0.0), false),
        (json!("1"), true),
        (json!("0"), false),
        (json!("t"), true),
        (json!("T"), true),
        (json!("f"), false),
        (json!("y"), true),
        (json!("n"), false),
        (json!("yes"), true),
        (json!("YES"), true),
        (json!("no"), false),
        (json!("on"), true),
        (json!("off"), false),
        (json!("Off"), false),
        (json!("true"), true),
        (json!("TrUe"), true),
        (json!("false"), false),
        (json!("FALSE"), false),
    ];
    for (value, want) in cases {
        let create: UserCreate = ok(&music_body(json!({ "is_active": value.clone() })));
        assert_eq!(create.is_active, Some(want), "{value}");
    }
    let create: UserCreate = ok(&music_body(json!({})));
    assert_eq!(create.is_active, None);
}

#[test]
fn is_active_refuses_unrecognised_strings_and_integers_with_bool_parsing() {
    for value in [
        json!(2),
        json!(-1),
        json!(2.0),
        json!("maybe"),
        json!(""),
        json!(" true"),
        json!("2"),
    ] {
        let item = one_item::<UserCreate>(&music_body(json!({ "is_active": value.clone() })));
        assert_eq!(
            item,
            json!({
                "type": "bool_parsing",
                "loc": ["body", "is_active"],
                "msg": "Input should be a valid boolean, unable to interpret input",
                "input": value,
            })
        );
    }
}

#[test]
fn is_active_refuses_other_types_with_bool_type() {
    for value in [json!([]), json!({}), json!([true])] {
        let item = one_item::<UserCreate>(&music_body(json!({ "is_active": value.clone() })));
        assert_eq!(
            item,
            json!({
                "type": "bool_type",
                "loc": ["body", "is_active"],
                "msg": "Input should be a valid boolean",
                "input": value,
            })
        );
    }
}

#[test]
fn is_active_refuses_fraction_with_bool_type() {
    for value in [json!(0.5), json!(-0.1)] {
        let item = one_item::<UserCreate>(&music_body(json!({ "is_active": value.clone() })));
        assert_eq!(item["type"], "bool_type", "{value}");
        assert_eq!(item["msg"], "Input should be a valid boolean", "{value}");
    }
}

// ---------------------------------------------------------------------------------------
// 6. username constraints
// ---------------------------------------------------------------------------------------

#[test]
fn empty_username_is_string_too_short() {
    let item = one_item::<UserCreate>(&music_body(json!({ "username": "" })));
    assert_eq!(
        item,
        json!({
            "type": "string_too_short",
            "loc": ["body", "username"],
            "msg": "String should have at least 1 character",
            "input": "",
            "ctx": { "min_length": 1 },
        })
    );
}

#[test]
fn username_of_51_characters_is_string_too_long() {
    let long = "a".repeat(51);
    let item = one_item::<UserCreate>(&music_body(json!({ "username": long })));
    assert_eq!(
        item,
        json!({
            "type": "string_too_long",
            "loc": ["body", "username"],
            "msg": "String should have at most 50 characters",
            "input": long,
            "ctx": { "max_length": 50 },
        })
    );
    let create: UserCreate = ok(&music_body(json!({ "username": "a".repeat(50) })));
    assert_eq!(create.username.len(), 50);
}

#[test]
fn username_length_counts_characters_not_bytes() {
    let fifty = "é".repeat(50); // 100 bytes
    let create: UserCreate = ok(&music_body(json!({ "username": fifty })));
    assert_eq!(create.username, fifty);
    let item = one_item::<UserCreate>(&music_body(json!({ "username": "é".repeat(51) })));
    assert_eq!(item["type"], "string_too_long");
    assert_eq!(item["ctx"], json!({ "max_length": 50 }));
    // One crab is four bytes and one character: meets min_length = 1.
    let create: UserCreate = ok(&music_body(json!({ "username": "🦀" })));
    assert_eq!(create.username, "🦀");
}

#[test]
fn username_validator_refusal_is_value_error() {
    let item = one_item::<UserCreate>(&music_body(json!({ "username": "has space" })));
    assert_eq!(
        item,
        json!({
            "type": "value_error",
            "loc": ["body", "username"],
            "msg": "Value error, username must not contain spaces",
            "input": "has space",
            "ctx": { "error": "username must not contain spaces" },
        })
    );
}

#[test]
fn all_problems_of_one_body_are_reported_in_schema_field_order() {
    // The keys are sent in reverse order; the report follows the schema.
    let items = err_items::<UserCreate>(
        r#"{"description": 5, "username": "bad name", "is_active": "maybe", "email": "nope"}"#,
    );
    let summary: Vec<(Json, Json)> = items
        .iter()
        .map(|i| (i["type"].clone(), i["loc"].clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (json!("value_error"), json!(["body", "email"])),
            (json!("missing"), json!(["body", "password"])),
            (json!("bool_parsing"), json!(["body", "is_active"])),
            (json!("value_error"), json!(["body", "username"])),
            (json!("string_type"), json!(["body", "description"])),
        ]
    );
    assert!(
        items[0]["msg"]
            .as_str()
            .unwrap_or_default()
            .starts_with("value is not a valid email address: ")
    );
    assert_eq!(
        items[3]["msg"],
        "Value error, username must not contain spaces"
    );
}

#[test]
fn bad_email_and_bad_username_give_two_items_email_first() {
    let items = err_items::<UserCreate>(&music_body(json!({ "username": "", "email": "x" })));
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0]["loc"], json!(["body", "email"]));
    assert_eq!(items[0]["type"], "value_error");
    assert_eq!(items[1]["loc"], json!(["body", "username"]));
    assert_eq!(items[1]["type"], "string_too_short");
}

#[test]
fn one_username_can_break_several_constraints_at_once() {
    let long = format!("{} x", "a".repeat(50));
    let items = err_items::<UserCreate>(&music_body(json!({ "username": long })));
    let kinds: Vec<&Json> = items.iter().map(|i| &i["type"]).collect();
    assert_eq!(kinds, vec!["string_too_long", "value_error"]);
}

// ---------------------------------------------------------------------------------------
// 7. description
// ---------------------------------------------------------------------------------------

#[test]
fn description_absent_or_null_is_none() {
    let create: UserCreate = ok(&music_body(json!({})));
    assert_eq!(create.description, None);
    let create: UserCreate = ok(&music_body(json!({ "description": null })));
    assert_eq!(create.description, None);
    let create: UserCreate = ok(&music_body(json!({ "description": "Lyrics lover" })));
    assert_eq!(create.description.as_deref(), Some("Lyrics lover"));
}

#[test]
fn description_over_1000_characters_is_string_too_long() {
    let create: UserCreate = ok(&music_body(json!({ "description": "d".repeat(1000) })));
    assert_eq!(create.description.map(|d| d.len()), Some(1000));
    let long = "d".repeat(1001);
    let item = one_item::<UserCreate>(&music_body(json!({ "description": long })));
    assert_eq!(
        item,
        json!({
            "type": "string_too_long",
            "loc": ["body", "description"],
            "msg": "String should have at most 1000 characters",
            "input": long,
            "ctx": { "max_length": 1000 },
        })
    );
}

// ---------------------------------------------------------------------------------------
// 8. WideUser: numbers, UUIDs, timestamps, defaults, ignored keys
// ---------------------------------------------------------------------------------------

#[test]
fn wide_create_needs_only_email_and_password() {
    let create: WideCreate = ok(&wide_body(json!({})));
    assert_eq!(create.email, "wide@example.com");
    assert_eq!(create.age, None);
    assert_eq!(create.rating, None);
    assert_eq!(create.plays, None);
    assert_eq!(create.banned, None);
    assert_eq!(create.nick, None);
}

#[test]
fn age_below_min_is_greater_than_equal() {
    let item = one_item::<WideCreate>(&wide_body(json!({ "age": -1 })));
    assert_eq!(
        item,
        json!({
            "type": "greater_than_equal",
            "loc": ["body", "age"],
            "msg": "Input should be greater than or equal to 0",
            "input": -1,
            "ctx": { "ge": 0 },
        })
    );
}

#[test]
fn age_above_max_is_less_than_equal() {
    let item = one_item::<WideCreate>(&wide_body(json!({ "age": 151 })));
    assert_eq!(
        item,
        json!({
            "type": "less_than_equal",
            "loc": ["body", "age"],
            "msg": "Input should be less than or equal to 150",
            "input": 151,
            "ctx": { "le": 150 },
        })
    );
}

#[test]
fn age_bounds_are_inclusive_and_null_is_none() {
    for age in [0, 150] {
        let create: WideCreate = ok(&wide_body(json!({ "age": age })));
        assert_eq!(create.age, Some(age));
    }
    let create: WideCreate = ok(&wide_body(json!({ "age": null })));
    assert_eq!(create.age, None);
}

#[test]
fn age_type_errors() {
    let item = one_item::<WideCreate>(&wide_body(json!({ "age": 2.5 })));
    assert_eq!(item["type"], "int_from_float");
    let item = one_item::<WideCreate>(&wide_body(json!({ "age": "3" })));
    assert_eq!(item["type"], "int_type");
    assert_eq!(item["msg"], "Input should be a valid integer");
    assert_eq!(item["input"], "3");
}

#[test]
fn rating_defaults_to_2_5_when_absent() {
    let create: WideCreate = ok(&wide_body(json!({})));
    assert_eq!(create.rating, None);
    let user = WideUser::from_create(&create, "hash".into(), false);
    assert_eq!(user.rating, 2.5);
    let create: WideCreate = ok(&wide_body(json!({ "rating": 4 })));
    assert_eq!(create.rating, Some(4.0));
    let user = WideUser::from_create(&create, "hash".into(), false);
    assert_eq!(user.rating, 4.0);
}

#[test]
fn rating_above_max_is_less_than_equal() {
    let item = one_item::<WideCreate>(&wide_body(json!({ "rating": 6.5 })));
    assert_eq!(item["type"], "less_than_equal");
    assert_eq!(item["loc"], json!(["body", "rating"]));
    assert_eq!(item["input"], json!(6.5));
    assert_eq!(item["ctx"]["le"].as_f64(), Some(5.0));
    let item = one_item::<WideCreate>(&wide_body(json!({ "rating": -0.5 })));
    assert_eq!(item["type"], "greater_than_equal");
    assert_eq!(item["ctx"]["ge"].as_f64(), Some(0.0));
    let item = one_item::<WideCreate>(&wide_body(json!({ "rating": "4" })));
    assert_eq!(item["type"], "float_type");
}

#[test]
fn invited_by_must_be_a_uuid() {
    let item = one_item::<WideCreate>(&wide_body(json!({ "invited_by": "nope" })));
    assert_eq!(item["type"], "uuid_parsing");
    assert_eq!(item["loc"], json!(["body", "invited_by"]));
    assert_eq!(item["input"], "nope");
    assert!(
        item["msg"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Input should be a valid UUID, "),
        "{item}"
    );
    let id = uuid::uuid!("550e8400-e29b-41d4-a716-446655440000");
    let create: WideCreate = ok(&wide_body(
        json!({ "invited_by": "550E8400-E29B-41D4-A716-446655440000" }),
    ));
    assert_eq!(create.invited_by, Some(id));
}

#[test]
fn birthday_parses_rfc3339() {
    let create: WideCreate = ok(&wide_body(
        json!({ "birthday": "2000-02-29T12:00:00.25+02:00" }),
    ));
    assert_eq!(
        create.birthday,
        Some(datetime!(2000-02-29 12:00:00.25 +02:00))
    );
    let create: WideCreate = ok(&wide_body(json!({ "birthday": "2000-02-29T10:00:00Z" })));
    assert_eq!(create.birthday, Some(datetime!(2000-02-29 10:00:00 UTC)));
    for bad in ["2000-02-30T00:00:00Z", "yesterday", "2000-01-01"] {
        let item = one_item::<WideCreate>(&wide_body(json!({ "birthday": bad })));
        assert_eq!(item["type"], "datetime_parsing", "{bad}");
    }
    let item = one_item::<WideCreate>(&wide_body(json!({ "birthday": 946_684_800 })));
    assert_eq!(item["type"], "datetime_type");
}

#[test]
fn wide_problems_are_reported_together_in_field_order() {
    let items = err_items::<WideCreate>(&wide_body(json!({
        "nick": "n".repeat(31),
        "invited_by": "nope",
        "rating": 6.5,
        "age": -1,
    })));
    let locs: Vec<&Json> = items.iter().map(|i| &i["loc"][1]).collect();
    assert_eq!(locs, vec!["age", "rating", "invited_by", "nick"]);
}

#[test]
fn read_only_hidden_and_unknown_keys_sent_by_client_are_ignored() {
    let create: WideCreate = ok(&wide_body(json!({
        "karma": 99,
        "secret_note": "mine",
        "id": "c51070ae-da4f-485c-b5a0-b7843f2f4556",
        "hashed_password": "$fake",
        "email_key": "x",
        "whatever": [1, 2, 3],
    })));
    let user = WideUser::from_create(&create, "real-hash".into(), true);
    assert_eq!(user.karma, None);
    assert_eq!(user.secret_note, "internal");
    assert_eq!(user.hashed_password, "real-hash");
    assert_ne!(user.id, uuid::uuid!("c51070ae-da4f-485c-b5a0-b7843f2f4556"));
    // Even an invalid value for an ignored key is not an error.
    let _: WideCreate = ok(&wide_body(json!({ "karma": "lots", "secret_note": 5 })));
    let update: WideUpdate = ok(r#"{"karma": 5, "secret_note": "x", "id": 3}"#);
    assert!(update.changes(true).is_empty());
}

#[test]
fn repeated_key_last_occurrence_wins() {
    let body = r#"{"email": "first@example.com", "password": "pw", "username": "first",
                   "username": "second", "email": "second@example.com"}"#;
    let create: UserCreate = ok(body);
    assert_eq!(create.username, "second");
    assert_eq!(create.email, "second@example.com");
    // An invalid first occurrence does not count either.
    let create: UserCreate =
        ok(r#"{"email": "a@example.com", "password": 5, "password": "pw", "username": "u"}"#);
    assert_eq!(create.password, "pw");
    let item = one_item::<UserCreate>(
        r#"{"email": "a@example.com", "password": "pw", "username": "u", "username": ""}"#,
    );
    assert_eq!(item["type"], "string_too_short");
}

// ---------------------------------------------------------------------------------------
// 9. Updates
// ---------------------------------------------------------------------------------------

#[test]
fn empty_update_is_valid_and_changes_nothing() {
    let update: UserUpdate = ok("{}");
    assert!(update.changes(false).is_empty());
    assert!(update.changes(true).is_empty());
    assert_eq!(UpdateSchema::password(&update), None);
    assert_eq!(update.current_password(), None);
}

#[test]
fn null_leaves_non_optional_fields_unchanged() {
    let update: UserUpdate = ok(r#"{"email": null, "password": null, "username": null,
            "is_active": null, "is_superuser": null, "is_verified": null, "current_password": null}"#);
    assert_eq!(update.email, Patch::Absent);
    assert_eq!(update.password, Patch::Absent);
    assert_eq!(update.username, Patch::Absent);
    assert_eq!(update.is_active, Patch::Absent);
    assert_eq!(update.is_superuser, Patch::Absent);
    assert_eq!(update.is_verified, Patch::Absent);
    assert_eq!(update.current_password, None);
    assert_eq!(UpdateSchema::password(&update), None);
    assert!(update.changes(true).is_empty());

    let update: WideUpdate = ok(r#"{"rating": null, "plays": null, "banned": null}"#);
    assert_eq!(update.rating, Patch::Absent);
    assert_eq!(update.plays, Patch::Absent);
    assert_eq!(update.banned, Patch::Absent);
    assert!(update.changes(true).is_empty());
}

#[test]
fn null_on_optional_field_clears_it() {
    let update: UserUpdate = ok(r#"{"description": null}"#);
    assert_eq!(update.description, Patch::Set(None));
    let changes = update.changes(false);
    assert_eq!(changes.len(), 1);
    assert!(
        matches!(changes.get("description"), Some(Value::Null(_))),
        "{changes:?}"
    );

    let update: WideUpdate = ok(r#"{"age": null, "nick": null}"#);
    assert_eq!(update.age, Patch::Set(None));
    let changes = update.changes(false);
    assert!(matches!(changes.get("age"), Some(Value::Null(_))));
    assert!(matches!(changes.get("nick_name"), Some(Value::Null(_))));
}

#[test]
fn flags_change_only_in_privileged_mode_under_their_column_names() {
    let update: UserUpdate = ok(r#"{"is_superuser": true, "is_active": false, "username": "x"}"#);
    assert_eq!(pairs(&update.changes(false)), vec![("username", text("x"))]);
    assert_eq!(
        pairs(&update.changes(true)),
        vec![
            ("is_active", Value::Bool(false)),
            ("is_admin", Value::Bool(true)),
            ("username", text("x")),
        ]
    );
    assert_eq!(update.changes(true).get("is_superuser"), None);
}

#[test]
fn update_flags_are_lax_booleans() {
    let update: UserUpdate = ok(r#"{"is_verified": "yes", "is_active": 0}"#);
    assert_eq!(update.is_verified, Patch::Set(true));
    assert_eq!(update.is_active, Patch::Set(false));
    let item = one_item::<UserUpdate>(r#"{"is_verified": "maybe"}"#);
    assert_eq!(item["type"], "bool_parsing");
    assert_eq!(item["loc"], json!(["body", "is_verified"]));
}

#[test]
fn update_email_is_normalized_and_validated() {
    let update: UserUpdate = ok(r#"{"email": " MiXed@Example.COM "}"#);
    assert_eq!(update.email, Patch::Set("MiXed@example.com".to_owned()));
    assert_eq!(
        pairs(&update.changes(false)),
        vec![("email", text("MiXed@example.com"))]
    );
    let item = one_item::<UserUpdate>(r#"{"email": "a@localhost"}"#);
    assert_eq!(item["type"], "value_error");
    assert_eq!(item["loc"], json!(["body", "email"]));
    assert_eq!(item["input"], "a@localhost");
    let item = one_item::<UserUpdate>(r#"{"email": 3}"#);
    assert_eq!(item["type"], "string_type");
}

#[test]
fn password_is_never_a_change_but_is_returned_by_the_schema() {
    let update: UserUpdate = ok(r#"{"password": "n3w-secret", "current_password": "old-one"}"#);
    assert!(update.changes(false).is_empty());
    assert!(update.changes(true).is_empty());
    assert_eq!(UpdateSchema::password(&update), Some("n3w-secret"));
    assert_eq!(update.current_password(), Some("old-one"));
    let item = one_item::<UserUpdate>(r#"{"password": 12345678}"#);
    assert_eq!(item["type"], "string_type");
    assert_eq!(item["loc"], json!(["body", "password"]));
}

#[test]
fn update_applies_field_constraints() {
    let item = one_item::<UserUpdate>(r#"{"username": ""}"#);
    assert_eq!(item["type"], "string_too_short");
    assert_eq!(item["ctx"], json!({ "min_length": 1 }));
    let item = one_item::<UserUpdate>(r#"{"username": "a b"}"#);
    assert_eq!(item["msg"], "Value error, username must not contain spaces");
    let item = one_item::<WideUpdate>(r#"{"age": 151}"#);
    assert_eq!(item["type"], "less_than_equal");
    assert_eq!(item["ctx"], json!({ "le": 150 }));
    let items = err_items::<UserUpdate>(r#"{"description": 3, "email": "x", "username": ""}"#);
    let locs: Vec<&Json> = items.iter().map(|i| &i["loc"][1]).collect();
    assert_eq!(locs, vec!["email", "username", "description"]);
}

#[test]
fn superuser_only_field_changes_only_in_privileged_mode() {
    let update: WideUpdate = ok(r#"{"banned": true}"#);
    assert!(update.changes(false).is_empty());
    assert_eq!(
        pairs(&update.changes(true)),
        vec![("banned", Value::Bool(true))]
    );
}

#[test]
fn renamed_column_is_used_in_changes() {
    let update: WideUpdate = ok(r#"{"nick": "dj"}"#);
    let changes = update.changes(false);
    assert_eq!(pairs(&changes), vec![("nick_name", text("dj"))]);
    assert_eq!(changes.get("nick"), None);
}

#[test]
fn wide_update_converts_custom_values() {
    let update: WideUpdate = ok(
        r#"{"age": 40, "rating": 3, "plays": 7, "bio": "long text", "invited_by": "550e8400-e29b-41d4-a716-446655440000", "birthday": "2000-02-29T12:00:00Z"}"#,
    );
    let changes = update.changes(false);
    assert_eq!(changes.get("age"), Some(&Value::I32(40)));
    assert_eq!(changes.get("rating"), Some(&Value::F64(3.0)));
    assert_eq!(changes.get("plays"), Some(&Value::I64(7)));
    assert_eq!(changes.get("bio"), Some(&text("long text")));
    assert_eq!(
        changes.get("invited_by"),
        Some(&Value::Uuid(uuid::uuid!(
            "550e8400-e29b-41d4-a716-446655440000"
        )))
    );
    assert_eq!(
        changes.get("birthday"),
        Some(&Value::Timestamp(datetime!(2000-02-29 12:00:00 UTC)))
    );
}

// ---------------------------------------------------------------------------------------
// 10. Debug never shows passwords
// ---------------------------------------------------------------------------------------

#[test]
fn create_debug_redacts_the_password() {
    let create: UserCreate = ok(&music_body(json!({ "password": "Plaintext-Hunter2" })));
    let debug = format!("{create:?}");
    assert!(!debug.contains("Plaintext-Hunter2"), "{debug}");
    assert!(debug.contains("fan@example.com"), "{debug}");
    let pretty = format!("{create:#?}");
    assert!(!pretty.contains("Plaintext-Hunter2"), "{pretty}");
}

#[test]
fn update_debug_redacts_password_and_current_password() {
    let update: UserUpdate = ok(
        r#"{"password": "Plaintext-New", "current_password": "Plaintext-Old", "username": "fan"}"#,
    );
    let debug = format!("{update:?}");
    assert!(!debug.contains("Plaintext-New"), "{debug}");
    assert!(!debug.contains("Plaintext-Old"), "{debug}");
    let pretty = format!("{update:#?}");
    assert!(!pretty.contains("Plaintext-New"), "{pretty}");
    assert!(!pretty.contains("Plaintext-Old"), "{pretty}");
}

// ---------------------------------------------------------------------------------------
// 11. UserRead
// ---------------------------------------------------------------------------------------

const FAN_READ: &str = r#"{"id":1,"email":"fan@example.com","is_active":true,"is_superuser":false,"is_verified":false,"username":"fan","description":null,"created_at":"2026-01-02T03:04:05.123456Z","updated_at":"2026-01-02T03:04:05Z"}"#;

#[test]
fn user_read_serializes_exactly_as_the_reference() {
    let read = fan().to_read();
    assert_eq!(serde_json::to_string(&read).expect("serialize"), FAN_READ);
}

#[test]
fn user_read_round_trips_through_json() {
    let read = fan().to_read();
    let back: UserRead = serde_json::from_str(FAN_READ).expect("deserialize UserRead");
    assert_eq!(back, read);
}

#[test]
fn user_read_timestamps_are_utc_microseconds() {
    let mut user = fan();
    user.created_at = datetime!(2026-01-02 05:04:05.123456789 +02:00);
    user.updated_at = datetime!(2026-01-02 03:04:05.000001 UTC);
    user.description = Some("Lyrics lover".into());
    let value = serde_json::to_value(user.to_read()).expect("serialize");
    assert_eq!(value["created_at"], "2026-01-02T03:04:05.123456Z");
    assert_eq!(value["updated_at"], "2026-01-02T03:04:05.000001Z");
    assert_eq!(value["description"], "Lyrics lover");
}

#[test]
fn uuid_user_read_matches_reference() {
    let user = UuidUser {
        id: uuid::uuid!("c51070ae-da4f-485c-b5a0-b7843f2f4556"),
        email: "MiXed@example.com".into(),
        hashed_password: "hash".into(),
        is_active: true,
        is_superuser: false,
        is_verified: false,
    };
    assert_eq!(
        serde_json::to_string(&user.to_read()).expect("serialize"),
        r#"{"id":"c51070ae-da4f-485c-b5a0-b7843f2f4556","email":"MiXed@example.com","is_active":true,"is_superuser":false,"is_verified":false}"#
    );
}

#[test]
fn wide_read_has_karma_but_not_secret_note() {
    let value = serde_json::to_value(wide().to_read()).expect("serialize");
    assert_eq!(
        keys(&value),
        [
            "id",
            "email",
            "is_active",
            "is_superuser",
            "is_verified",
            "age",
            "rating",
            "plays",
            "bio",
            "invited_by",
            "birthday",
            "banned",
            "karma",
            "nick",
        ]
    );
    assert_eq!(value["karma"], 3);
    assert_eq!(value["id"], "c51070ae-da4f-485c-b5a0-b7843f2f4556");
    assert_eq!(value["bio"], Json::Null);
    assert_eq!(value["birthday"], "2000-02-29T12:00:00Z");
    let text = value.to_string();
    assert!(!text.contains("secret_note"), "{text}");
    assert!(!text.contains("do not show"), "{text}");
    assert!(!text.contains("hashed_password"), "{text}");
    let back: WideRead = serde_json::from_value(value).expect("deserialize WideRead");
    assert_eq!(back, wide().to_read());
}

/// A user whose base fields are not declared first.
#[derive(AuthUser, Clone, Debug)]
#[auth(
    table = "order_user",
    read = "OrderRead",
    create = "OrderCreate",
    update = "OrderUpdate"
)]
struct OrderUser {
    nickname: Option<String>,
    is_verified: bool,
    email: String,
    id: i64,
    hashed_password: String,
    is_superuser: bool,
    is_active: bool,
}

#[test]
fn user_read_puts_base_fields_first_whatever_the_declaration_order() {
    let user = OrderUser {
        nickname: Some("n".into()),
        is_verified: false,
        email: "o@example.com".into(),
        id: 5,
        hashed_password: "hash".into(),
        is_superuser: false,
        is_active: true,
    };
    assert_eq!(
        serde_json::to_string(&user.to_read()).expect("serialize"),
        r#"{"id":5,"email":"o@example.com","is_active":true,"is_superuser":false,"is_verified":false,"nickname":"n"}"#
    );
}

// ---------------------------------------------------------------------------------------
// 12. serde Deserialize goes through validation
// ---------------------------------------------------------------------------------------

#[test]
fn serde_deserialize_validates_like_from_json_bytes() {
    let bad = music_body(json!({ "email": "not-an-email" }));
    assert!(serde_json::from_str::<UserCreate>(&bad).is_err());
    assert!(serde_json::from_str::<UserCreate>(r#"{"email": "a@example.com"}"#).is_err());
    assert!(serde_json::from_str::<UserCreate>("[]").is_err());
    let good = music_body(json!({ "email": " MiXed@Example.COM " }));
    let create: UserCreate = serde_json::from_str(&good).expect("valid body");
    assert_eq!(create.email, "MiXed@example.com");

    assert!(serde_json::from_str::<UserUpdate>(r#"{"username": ""}"#).is_err());
    let update: UserUpdate =
        serde_json::from_str(r#"{"email": "John <jd@Example.com>", "description": null}"#)
            .expect("valid update");
    assert_eq!(update.email, Patch::Set("jd@example.com".to_owned()));
    assert_eq!(update.description, Patch::Set(None));
}

// ---------------------------------------------------------------------------------------
// 13. OpenAPI
// ---------------------------------------------------------------------------------------

#[test]
fn create_schema_lists_required_fields_and_constraints() {
    let schema = schema_json::<UserCreate>();
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["title"], "UserCreate");
    assert_eq!(schema["required"], json!(["email", "password", "username"]));
    assert_eq!(
        keys(&schema["properties"]),
        [
            "email",
            "password",
            "is_active",
            "is_superuser",
            "is_verified",
            "username",
            "description",
        ]
    );
    let props = &schema["properties"];
    assert_eq!(props["email"]["type"], "string");
    assert_eq!(props["email"]["format"], "email");
    assert_eq!(props["password"]["format"], "password");
    assert_eq!(props["email"]["minLength"], 3);
    // Request booleans are lax, as in Pydantic, and `null` leaves the default.
    assert_eq!(
        props["is_active"]["anyOf"],
        json!([
            {"type": "boolean"},
            {"type": "number", "enum": [0, 1]},
            {"type": "string", "pattern": "^(0|1|[fFtTnNyY]|[nN][oO]|[oO][nN]|[oO][fF][fF]|[yY][eE][sS]|[tT][rR][uU][eE]|[fF][aA][lL][sS][eE])$"},
            {"type": "null"},
        ])
    );
    assert_eq!(props["username"]["type"], "string");
    assert_eq!(props["username"]["minLength"], 1);
    assert_eq!(props["username"]["maxLength"], 50);
    assert_eq!(props["description"]["type"], json!(["string", "null"]));
    assert_eq!(props["description"]["maxLength"], 1000);
}

#[test]
fn schema_names_follow_the_struct_options() {
    assert_eq!(<UserRead as ToSchema>::name(), "UserRead");
    assert_eq!(<UserCreate as ToSchema>::name(), "UserCreate");
    assert_eq!(<UserUpdate as ToSchema>::name(), "UserUpdate");
    assert_eq!(<UuidUserRead as ToSchema>::name(), "UuidUserRead");
    assert_eq!(<WideCreate as ToSchema>::name(), "WideCreate");
    assert_eq!(schema_json::<WideRead>()["title"], "WideRead");
}

#[test]
fn read_and_update_schemas_describe_their_fields() {
    let read = schema_json::<UserRead>();
    assert_eq!(
        keys(&read["properties"]),
        [
            "id",
            "email",
            "is_active",
            "is_superuser",
            "is_verified",
            "username",
            "description",
            "created_at",
            "updated_at",
        ]
    );
    assert_eq!(read["properties"]["created_at"]["format"], "date-time");
    let update = schema_json::<UserUpdate>();
    assert_eq!(update.get("required"), None);
    assert!(keys(&update["properties"]).contains(&"current_password".to_owned()));
}

#[test]
fn wide_schemas_carry_ranges_and_leave_out_read_only_and_hidden_fields() {
    let create = schema_json::<WideCreate>();
    assert_eq!(create["required"], json!(["email", "password"]));
    let props = &create["properties"];
    assert_eq!(props["age"]["minimum"].as_f64(), Some(0.0));
    assert_eq!(props["age"]["maximum"].as_f64(), Some(150.0));
    assert_eq!(props["rating"]["maximum"].as_f64(), Some(5.0));
    assert_eq!(props["invited_by"]["format"], "uuid");
    assert_eq!(props["nick"]["maxLength"], 30);
    assert_eq!(props.get("bio").and_then(|b| b.get("maxLength")), None);
    for absent in ["karma", "secret_note", "id", "hashed_password"] {
        assert_eq!(props.get(absent), None, "{absent}");
    }
    let read = schema_json::<WideRead>();
    assert!(read["properties"].get("karma").is_some());
    assert_eq!(read["properties"].get("secret_note"), None);
}

// ---------------------------------------------------------------------------------------
// 14. from_create
// ---------------------------------------------------------------------------------------

#[test]
fn safe_from_create_ignores_flags_in_payload() {
    let create: UserCreate = ok(&music_body(json!({
        "is_superuser": true,
        "is_active": false,
        "is_verified": true,
        "description": "hi",
    })));
    let user = MusicUser::from_create(&create, "the-hash".into(), false);
    assert!(user.is_active);
    assert!(!user.is_admin);
    assert!(!user.is_verified);
    assert_eq!(user.email, "fan@example.com");
    assert_eq!(user.hashed_password, "the-hash");
    assert_eq!(user.username, "fan");
    assert_eq!(user.description.as_deref(), Some("hi"));
    assert!(user.tracks.is_empty());
}

#[test]
fn privileged_from_create_honours_flags_in_payload() {
    let create: UserCreate = ok(&music_body(json!({
        "is_superuser": true,
        "is_active": false,
        "is_verified": true,
    })));
    let user = MusicUser::from_create(&create, "the-hash".into(), true);
    assert!(!user.is_active);
    assert!(user.is_admin);
    assert!(user.is_verified);
    // Absent flags take the defaults: active, not superuser, not verified.
    let create: UserCreate = ok(&music_body(json!({})));
    let user = MusicUser::from_create(&create, "the-hash".into(), true);
    assert!(user.is_active);
    assert!(!user.is_admin);
    assert!(!user.is_verified);
}

#[test]
fn superuser_only_and_defaulted_fields_in_from_create() {
    let create: WideCreate = ok(&wide_body(json!({ "banned": true, "plays": 3 })));
    let safe = WideUser::from_create(&create, "h".into(), false);
    assert!(!safe.banned);
    assert_eq!(safe.plays, 3);
    let privileged = WideUser::from_create(&create, "h".into(), true);
    assert!(privileged.banned);
    let create: WideCreate = ok(&wide_body(json!({})));
    let user = WideUser::from_create(&create, "h".into(), true);
    assert!(!user.banned);
    assert_eq!(user.plays, 0);
    assert_eq!(user.rating, 2.5);
    assert_eq!(user.secret_note, "internal");
    assert_eq!(user.karma, None);
    assert!(!user.id.is_nil());
}

// NUL characters: PostgreSQL cannot store them in text, so every string field refuses them.

#[test]
fn string_fields_refuse_the_nul_character_on_create_and_update() {
    let item = one_item::<UserCreate>(&music_body(json!({"username": "a\u{0}b"})));
    assert_eq!(item["type"], "value_error");
    assert_eq!(item["loc"], json!(["body", "username"]));
    assert_eq!(
        item["msg"],
        "Value error, String should not contain the NUL character"
    );
    assert_eq!(item["input"], "a\u{0}b");
    let item = one_item::<UserUpdate>(r#"{"description": "x\u0000"}"#);
    assert_eq!(item["loc"], json!(["body", "description"]));
    assert_eq!(item["type"], "value_error");
    // Passwords are hashed, never stored: a NUL in one is the user's business.
    let _ = ok::<UserCreate>(&music_body(json!({"password": "pass\u{0}word"})));
}
