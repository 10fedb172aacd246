//! Malformed input over real HTTP: every class of bad body gets a FastAPI-shaped JSON error
//! (spec §3.3-§3.5, §7.6; security.md §3.7), never a 500, a panic or a plain-text body, on
//! every route that reads a body.
//!
//! Routes are named by their last path segment (`register`, `me`, `{id}`, ...). A case is
//! `route | body | expected`; expected 422 items are `field:type` in order (`:type` is at
//! `["body"]`, `9:type` at `["body", 9]`); other answers are `<status> <detail JSON>`.

mod common;

use axum_users::prelude::*;
use common::server::{SECRET, Server, cheap_hashing, full_app, full_backends, serve};
use common::server::{music_server, uuid_server};
use common::users::UuidUser;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

const JSON: Option<&str> = Some("application/json");
const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
const TEXT: Option<&str> = Some("text/plain");
const LOGINS: [&str; 3] = ["/auth/jwt/login", "/auth/cookie/login", "/auth/db/login"];
const ROUTES: [&str; 7] = [
    "POST /auth/register",
    "POST /auth/forgot-password",
    "POST /auth/reset-password",
    "POST /auth/request-verify-token",
    "POST /auth/verify",
    "PATCH /users/me",
    "PATCH /users/{id}",
];

/// The `msg` (or its beginning) of 422 items by `type` (spec §3.3).
const MESSAGES: [&str; 7] = [
    "missing: Field required",
    "json_invalid: JSON decode error",
    "string_type: Input should be a valid string",
    "bool_parsing: Input should be a valid boolean, unable to interpret input",
    "bool_type: Input should be a valid boolean",
    "value_error: value is not a valid email address: ",
    "string_pattern_mismatch: String should match pattern '^password$'",
];

/// A route that reads a body: name, method, path, the bearer token it needs.
struct Route(String, Method, String, Option<String>);

fn route(spec: &str, id: &str, tokens: &[String]) -> Route {
    let (method, path) = spec.split_once(' ').expect("METHOD /path");
    let name = path.rsplit('/').next().unwrap_or_default().to_owned();
    let token = match name.as_str() {
        "me" => tokens.first().cloned(),
        "{id}" => tokens.get(1).cloned(),
        _ => None,
    };
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    Route(name, method, path.replace("{id}", id), token)
}

/// A server holding `user@example.com` and the superuser `admin@example.com` (password
/// `a-password`), and its JSON routes; `me` and `{id}` (= the user) carry their tokens.
struct Fixture<U: axum_users::AuthUser> {
    s: Server<U>,
    user: U,
    routes: Vec<Route>,
}

impl<U: axum_users::AuthUser> Fixture<U> {
    async fn new(s: Server<U>) -> Self {
        let (mut tokens, mut made) = (Vec::new(), Vec::new());
        for (name, admin) in [("user", false), ("admin", true)] {
            let email = format!("{name}@example.com");
            let payload = json!({"email": email, "password": "a-password",
                "is_superuser": admin, "username": name});
            let create = U::Create::from_json_bytes(payload.to_string().as_bytes());
            let create = create.expect("valid payload");
            made.push(s.users.create(&create, true, None).await.expect("create"));
            let form = [("username", email.as_str()), ("password", "a-password")];
            let login = s.client.post(s.at(LOGINS[0])).form(&form).send().await;
            let body: Value = login.expect("login").json().await.expect("login json");
            tokens.push(body["access_token"].as_str().expect("token").to_owned());
        }
        let user = made.swap_remove(0);
        let id = user.id().to_string();
        let routes = ROUTES.iter().map(|r| route(r, &id, &tokens)).collect();
        Self { s, user, routes }
    }

    async fn send(&self, route: &Route, ct: Option<&str>, body: impl Into<Vec<u8>>) -> Reply {
        let Route(_, method, path, token) = route;
        let mut request = self.s.client.request(method.clone(), self.s.at(path));
        if let Some(ct) = ct {
            request = request.header(header::CONTENT_TYPE, ct);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.body(body.into()).send().await;
        Reply::of(response.expect("send")).await
    }

    /// Sends a JSON body to the route called `name`.
    async fn post(&self, name: &str, body: impl Into<Vec<u8>>) -> Reply {
        let found = self.routes.iter().find(|r| r.0 == name);
        self.send(found.expect("a known route"), JSON, body).await
    }

    async fn login(&self, path: &str, ct: Option<&str>, body: impl Into<Vec<u8>>) -> Reply {
        let login = Route("login".into(), Method::POST, path.into(), None);
        self.send(&login, ct, body).await
    }

    /// Runs `route | body | expected` cases with content type `ct`, after replacing each
    /// `$VAR` of `vars`; the route `login` stands for every login route (form bodies).
    async fn cases(&self, ct: Option<&str>, cases: &[&str], vars: &[(&str, &str)]) {
        for case in cases {
            let replace = |case: String, (var, value): &(&str, &str)| case.replace(var, value);
            let case = vars.iter().fold(case.to_string(), replace);
            let parts: Vec<&str> = case.split(" | ").collect();
            let [name, body, expected] = parts[..] else {
                panic!("bad case {case}")
            };
            let found = self.routes.iter().find(|r| r.0 == name);
            assert!(found.is_some() || name == "login", "unknown route {name}");
            let login = LOGINS.map(|path| Route(name.into(), Method::POST, path.into(), None));
            let targets = found.map_or(&login[..], std::slice::from_ref);
            let ct = if found.is_some() { ct } else { FORM };
            for route in targets {
                let what = format!("{} {ct:?} {case}", route.2);
                let items = self.send(route, ct, body).await.expect(expected, &what);
                // A field's error carries the value sent.
                let sent: Value = serde_json::from_str(body).unwrap_or_default();
                for item in items.iter().filter(|i| i["type"] != "missing") {
                    if let (Some(field), true) = (item["loc"][1].as_str(), sent.is_object()) {
                        assert_eq!(item["input"], sent[field], "{what}");
                    }
                }
            }
        }
    }
}

/// A response read in full.
struct Reply {
    status: StatusCode,
    content_type: String,
    text: String,
}

impl Reply {
    async fn of(response: reqwest::Response) -> Self {
        let status = response.status();
        let content_type = response.headers().get(header::CONTENT_TYPE);
        let content_type = content_type.and_then(|v| v.to_str().ok()).unwrap_or("");
        let content_type = content_type.to_owned();
        let text = response.text().await.expect("body");
        Self {
            status,
            content_type,
            text,
        }
    }

    /// Asserts a JSON error of `status` in the FastAPI shape and returns its `detail`.
    fn error(&self, status: u16, what: &str) -> Value {
        let (got, ct, text) = (self.status, &self.content_type, &self.text);
        let said = format!("{what}: {got} {ct:?} {text}");
        assert_eq!(got.as_u16(), status, "{said}");
        assert!(ct.starts_with("application/json"), "{said}");
        let body: Value = serde_json::from_str(text).expect("a JSON body");
        let detail = body.get("detail").cloned().expect("a detail");
        if status == 422 {
            let items = detail.as_array().expect("a 422 detail is a list");
            assert!(!items.is_empty(), "{said}");
            for item in items {
                let shaped = item["loc"].is_array() && item["msg"].is_string();
                assert!(shaped && item["type"].is_string(), "{said}");
                assert_eq!(item["loc"][0], "body", "{said}");
                let kind = item["type"].as_str().unwrap_or_default();
                let mut messages = MESSAGES.iter().filter_map(|m| m.split_once(": "));
                let text = item["msg"].as_str().unwrap_or_default();
                if let Some((_, msg)) = messages.find(|(k, _)| *k == kind) {
                    // A value_error is an email's, or a field check's `Value error, …`.
                    let other = kind == "value_error" && text.starts_with("Value error, ");
                    assert!(text.starts_with(msg) || other, "{said}");
                }
                if kind == "json_invalid" {
                    let offset = item["loc"][1].is_u64() && item["input"] == json!({});
                    assert!(offset && item["ctx"]["error"].is_string(), "{said}");
                } else if item["loc"] == json!(["body"]) && kind == "missing" {
                    assert!(item["input"].is_null(), "{said}");
                } else if kind == "string_too_long" {
                    let max = &item["ctx"]["max_length"];
                    let msg = format!("String should have at most {max} characters");
                    assert_eq!(item["msg"], msg, "{said}");
                } else if kind == "string_pattern_mismatch" {
                    assert_eq!(item["ctx"], json!({"pattern": "^password$"}), "{said}");
                }
            }
        }
        detail
    }

    /// A 422 whose items are exactly `expected` (`field:type ...`); returns them.
    fn invalid(&self, expected: &str, what: &str) -> Vec<Value> {
        let detail = self.error(422, what);
        let items = detail.as_array().cloned().unwrap_or_default();
        let got: Vec<String> = items.iter().map(describe).collect();
        assert_eq!(got.join(" "), expected, "{what}: {}", self.text);
        items
    }

    /// Checks `expected`: `field:type ...` (a 422) or `<status> <detail JSON>`.
    fn expect(&self, expected: &str, what: &str) -> Vec<Value> {
        match expected.split_once(' ') {
            Some((status, detail)) if status.parse::<u16>().is_ok() => {
                let status = status.parse().unwrap_or_default();
                let want: Value = serde_json::from_str(detail).expect("detail JSON");
                assert_eq!(self.error(status, what), want, "{what}");
                Vec::new()
            }
            _ => self.invalid(expected, what),
        }
    }
}

/// One 422 item as `field:type`.
fn describe(item: &Value) -> String {
    let field = match &item["loc"][1] {
        Value::String(name) => name.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    format!("{field}:{}", item["type"].as_str().unwrap_or("?"))
}

async fn malformed_json<P: Into<DbPool>>(pool: P) {
    let f = Fixture::new(uuid_server(pool).await).await;
    let cases = [
        r#"$R | {"email": | 9:json_invalid"#,
        r#"$R | {"email":"a@example.com"} x | 26:json_invalid"#,
        r#"$R | {"email" "x"} | 9:json_invalid"#,
        r#"$R | {"email": 1e999} | 14:json_invalid"#,
        "$R | $DEEP | 127:json_invalid",
        "$R |  | :missing",
        "$R |  \n\t | :missing",
    ];
    let deep = "[".repeat(30_000);
    for route in &f.routes {
        let vars = [("$R", &*route.0), ("$DEEP", &deep)];
        f.cases(JSON, &cases, &vars).await;
    }
    // Decoding comes before authentication (§3.5).
    let anonymous = Route("me".into(), Method::PATCH, "/users/me".into(), None);
    let reply = f.send(&anonymous, JSON, r#"{"email":"#).await;
    reply.invalid("9:json_invalid", "PATCH /users/me without a token");
}

async fn wrong_content_type<P: Into<DbPool>>(pool: P) {
    let f = Fixture::new(uuid_server(pool).await).await;
    let cases = [
        r#"register | {"email":"new@example.com","password":"a-password"} | 415 "Unsupported Media Type""#,
        r#"forgot-password | {"email":"user@example.com"} | 415 "Unsupported Media Type""#,
        r#"reset-password | {"token":"t","password":"a-password"} | 415 "Unsupported Media Type""#,
        r#"request-verify-token | {"email":"user@example.com"} | 415 "Unsupported Media Type""#,
        r#"verify | {"token":"t"} | 415 "Unsupported Media Type""#,
        r#"me | {"is_verified":true} | 415 "Unsupported Media Type""#,
        r#"{id} | {"is_verified":true} | 415 "Unsupported Media Type""#,
    ];
    let (multipart, jsonx) = ("multipart/form-data; boundary=x", "application/jsonx");
    for ct in [TEXT, FORM, Some(multipart), Some(jsonx), None] {
        f.cases(ct, &cases, &[]).await;
    }
    // Nothing was changed through the refused bodies.
    let user = f.s.users.get(f.user.id()).await.expect("get");
    assert!(!user.expect("the user").is_verified());
    // The login route reads any other body as an empty form (§2.3), inputs `null`.
    let creds = r#"{"username":"user@example.com","password":"a-password"}"#;
    for path in LOGINS {
        for ct in [JSON, TEXT, None] {
            let reply = f.login(path, ct, creds).await;
            let items = reply.invalid("username:missing password:missing", path);
            assert!(items.iter().all(|i| i["input"].is_null()), "{path} {ct:?}");
        }
    }
}

async fn wrong_field_types<P: Into<DbPool>>(pool: P) {
    let f = Fixture::new(uuid_server(pool).await).await;
    let cases = [
        r#"register | {"email":42,"password":["a"]} | email:string_type password:string_type"#,
        r#"register | {"email":null,"password":"a-password"} | email:string_type"#,
        r#"register | {"email":"n@example.com","password":"a-password","is_active":"maybe"} | is_active:bool_parsing"#,
        r#"forgot-password | {"email":42} | email:string_type"#,
        r#"reset-password | {"token":1,"password":["x"]} | token:string_type password:string_type"#,
        r#"request-verify-token | {"email":true} | email:string_type"#,
        r#"verify | {"token":{"a":1}} | token:string_type"#,
        r#"me | {"email":5,"password":[]} | email:string_type password:string_type"#,
        r#"me | {"is_active":"maybe"} | is_active:bool_parsing"#,
        r#"{id} | {"is_active":"yes-please"} | is_active:bool_parsing"#,
        r#"{id} | {"is_superuser":2,"is_verified":0.5} | is_superuser:bool_parsing is_verified:bool_type"#,
        r#"{id} | {"email":["a@example.com"],"password":1} | email:string_type password:string_type"#,
    ];
    f.cases(JSON, &cases, &[]).await;
    // Booleans are lax (§3.4): `"yes"` is valid, not malformed.
    let reply = f.post("{id}", r#"{"is_active":"yes"}"#).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

async fn missing_fields<P: Into<DbPool> + Clone>(pool: P) {
    let f = Fixture::new(uuid_server(pool.clone()).await).await;
    // PATCH bodies have no required field (`{}` is a valid no-op): no PATCH case here.
    let cases = [
        "register | {} | email:missing password:missing",
        r#"register | {"email":"n@example.com"} | password:missing"#,
        r#"forgot-password | {"other":1} | email:missing"#,
        "reset-password | {} | token:missing password:missing",
        r#"reset-password | {"token":"t"} | password:missing"#,
        "request-verify-token | {} | email:missing",
        r#"verify | {"email":"user@example.com"} | token:missing"#,
    ];
    f.cases(JSON, &cases, &[]).await;
    // Register reads a model (input: the body), the recovery routes single fields (null).
    let body = json!({"email": "n@example.com"});
    let reply = f.post("register", body.to_string()).await;
    let item = &reply.invalid("password:missing", "register")[0];
    assert_eq!(item["input"], body);
    let reply = f.post("reset-password", "{}").await;
    let items = reply.invalid("token:missing password:missing", "reset-password");
    assert!(items.iter().all(|i| i["input"].is_null()), "{items:?}");
    let m = Fixture::new(music_server(pool).await).await;
    let case = r#"register | {"email":"m@example.com","password":"a-password"} | username:missing"#;
    m.cases(JSON, &[case], &[]).await;
}

async fn login_form<P: Into<DbPool>>(pool: P) {
    let f = Fixture::new(uuid_server(pool).await).await;
    let cases = [
        "login | grant_type=client_credentials&$CREDS | grant_type:string_pattern_mismatch",
        "login | grant_type=Password&$CREDS | grant_type:string_pattern_mismatch",
        "login | username=u&password=p&grant_type=password&grant_type=x | grant_type:string_pattern_mismatch",
        "login | password=a-password | username:missing",
        "login | username=user%40example.com | password:missing",
        "login |  | username:missing password:missing",
        "login | username=&password=&scope= | username:missing password:missing",
        "login | grant_type=client_credentials | grant_type:string_pattern_mismatch username:missing password:missing",
    ];
    let creds = "username=user%40example.com&password=a-password";
    f.cases(FORM, &cases, &[("$CREDS", creds)]).await;
    for path in LOGINS {
        let body = format!("grant_type=client_credentials&{creds}");
        let items = f.login(path, FORM, body).await;
        let item = &items.invalid("grant_type:string_pattern_mismatch", path)[0];
        assert_eq!(item["input"], "client_credentials", "{path}");
        let ct = Some("multipart/form-data; boundary=xyz");
        let reply = f.login(path, ct, "garbage").await;
        reply.expect(r#"400 "Invalid multipart data.""#, path);
    }
}

/// Sends raw bytes on a fresh connection and returns the whole answer (HTTP/1.1, closed).
async fn raw_http(url: &str, request: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    // A reset after the answer still leaves what was read in `answer`.
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

async fn oversized_body<P: Into<DbPool>>(pool: P) {
    let users = full_backends(Users::<UuidUser>::builder(pool)).hashing(cheap_hashing());
    let users = users.secrets(SECRET).body_limit(1024).build();
    let users = users.expect("users");
    users.migrate().await.expect("migrate");
    let url = serve(full_app(&users)).await;
    let client = reqwest::Client::new();
    let f = Fixture::new(Server { url, users, client }).await;
    // Valid bodies of exactly `len` bytes.
    let json_of = |len: usize| {
        let head = r#"{"email":"user@example.com","pad":""#;
        format!("{head}{}\"}}", "x".repeat(len - head.len() - 2))
    };
    let form_of = |len: usize| {
        let head = "username=user%40example.com&password=a-password&pad=";
        format!("{head}{}", "x".repeat(len - head.len()))
    };
    let too_large = r#"413 "Content Too Large""#;
    for len in [1025, 2048, 100 * 1024] {
        for route in &f.routes {
            for ct in [JSON, TEXT] {
                let what = format!("{} {len} {ct:?}", route.0);
                let reply = f.send(route, ct, json_of(len)).await;
                reply.expect(too_large, &what);
            }
        }
        for path in LOGINS {
            let reply = f.login(path, FORM, form_of(len)).await;
            reply.expect(too_large, &format!("{path} {len}"));
        }
    }
    // The size check comes before authentication (§3.5); the limit itself is allowed.
    let anonymous = Route("me".into(), Method::PATCH, "/users/me".into(), None);
    let reply = f.send(&anonymous, JSON, json_of(2048)).await;
    reply.expect(too_large, "PATCH /users/me without a token");
    let reply = f.post("forgot-password", json_of(1024)).await;
    assert_eq!((reply.status.as_u16(), reply.text.as_str()), (202, "null"));
    let reply = f.login(LOGINS[0], FORM, form_of(1024)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    // A chunked body (no length), and a declared length far beyond the limit.
    let chunk = "x".repeat(1500);
    let chunked = format!("Transfer-Encoding: chunked\r\n\r\n5dc\r\n{chunk}\r\n0\r\n\r\n");
    let declared = "Content-Length: 10000000000\r\n\r\n".to_owned();
    let logins = LOGINS.map(|path| ("POST", path));
    let others = f.routes.iter().map(|r| (r.1.as_str(), r.2.as_str()));
    for (method, path) in others.chain(logins) {
        for tail in [&chunked, &declared] {
            let head = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
            let answer = raw_http(&f.s.url, format!("{head}{tail}")).await;
            let lower = answer.to_ascii_lowercase();
            let json_type = lower.contains("content-type: application/json");
            let body = answer.ends_with(r#"{"detail":"Content Too Large"}"#);
            let status = answer.starts_with("HTTP/1.1 413 ");
            assert!(status && json_type && body, "{method} {path}: {answer}");
        }
    }
}

async fn over_long_strings<P: Into<DbPool> + Clone>(pool: P) {
    let f = Fixture::new(uuid_server(pool.clone()).await).await;
    let (local, labels) = ("a".repeat(64), vec!["b".repeat(63); 4].join("."));
    let emails = [
        format!("{local}@{labels}.com"),
        format!("a{local}@example.com"),
    ];
    assert!(emails[0].len() > 320);
    let cases = [
        r#"register | {"email":"$EMAIL","password":"a-password"} | email:value_error"#,
        r#"forgot-password | {"email":"$EMAIL"} | email:value_error"#,
        r#"request-verify-token | {"email":"$EMAIL"} | email:value_error"#,
        r#"me | {"email":"$EMAIL"} | email:value_error"#,
        r#"{id} | {"email":"$EMAIL"} | email:value_error"#,
    ];
    for email in &emails {
        f.cases(JSON, &cases, &[("$EMAIL", email)]).await;
    }
    // Over-long passwords get the route's invalid-password object (§7.6), not a 422; the
    // maximum is in bytes (2049 "é" are 4098 bytes). Tokens have no maximum (bad token).
    let cases = [
        r#"register | {"email":"n@example.com","password":"$PW"} | 400 {"code":"REGISTER_INVALID_PASSWORD","reason":"$WHY"}"#,
        r#"reset-password | {"token":"$TOKEN","password":"$PW"} | 400 {"code":"RESET_PASSWORD_INVALID_PASSWORD","reason":"$WHY"}"#,
        r#"me | {"password":"$PW"} | 400 {"code":"UPDATE_USER_INVALID_PASSWORD","reason":"$WHY"}"#,
        r#"{id} | {"password":"$PW"} | 400 {"code":"UPDATE_USER_INVALID_PASSWORD","reason":"$WHY"}"#,
        r#"reset-password | {"token":"$PW","password":"a-password"} | 400 "RESET_PASSWORD_BAD_TOKEN""#,
        r#"verify | {"token":"$PW"} | 400 "VERIFY_USER_BAD_TOKEN""#,
        r#"login | username=user%40example.com&password=$PW | 400 "LOGIN_BAD_CREDENTIALS""#,
    ];
    let token = f.s.users.reset_token(&f.user).expect("reset token");
    let why = "Password must be at most 4096 bytes long";
    for pw in ["x".repeat(4097), "é".repeat(2049)] {
        let vars = [("$PW", &*pw), ("$TOKEN", &token), ("$WHY", why)];
        f.cases(JSON, &cases, &vars).await;
    }
    // Custom fields of the music user: `username` max_length 50, `description` 1000
    // (`ctx.max_length` and `msg` are checked for every `string_too_long`).
    let m = Fixture::new(music_server(pool).await).await;
    let cases = [
        r#"register | {"email":"m@example.com","password":"a-password","username":"$NAME","description":"$TEXT"} | username:string_too_long description:string_too_long"#,
        r#"me | {"username":"$NAME"} | username:string_too_long"#,
        r#"{id} | {"description":"$TEXT"} | description:string_too_long"#,
    ];
    let (name, text) = ("u".repeat(51), "d".repeat(1001));
    let vars = [("$NAME", &*name), ("$TEXT", &text)];
    m.cases(JSON, &cases, &vars).await;
    // A NUL character, which PostgreSQL cannot store in text, is a 422 on every database.
    let cases = [
        r#"register | {"email":"n@example.com","password":"a-password","username":"a$NULb"} | username:value_error"#,
        r#"me | {"description":"x$NUL"} | description:value_error"#,
        r#"{id} | {"username":"$NUL"} | username:value_error"#,
    ];
    m.cases(JSON, &cases, &[("$NUL", "\\u0000")]).await;
}

async fn non_utf8<P: Into<DbPool>>(pool: P) {
    let f = Fixture::new(uuid_server(pool).await).await;
    let bodies: [&[u8]; 4] = [
        b"{\"email\":\"\xff@example.com\",\"token\":\"\xc3\x28\"}",
        b"\xff\xfe{\x00}\x00",
        b"{\"token\":\"\xed\xa0\x80\",\"email\":\"\xed\xa0\x80@example.com\"}",
        br#"{"token":"\ud800","email":"\ud800@example.com"}"#,
    ];
    for route in &f.routes {
        for body in bodies {
            let what = format!("{} {}", route.0, String::from_utf8_lossy(body));
            let detail = f.send(route, JSON, body).await.error(422, &what);
            assert_eq!(detail[0]["type"], "json_invalid", "{what}");
        }
        // Not JSON by its type: refused as such, whatever the bytes.
        let reply = f.send(route, TEXT, bodies[0]).await;
        reply.expect(r#"415 "Unsupported Media Type""#, &route.0);
    }
    let cases = [
        "login | username=%FF&password=a-password | username:string_unicode",
        "login | username=%C3%28&password=%ED%A0%80 | username:string_unicode password:string_unicode",
        "login | grant_type=%FFpassword&username=u&password=p | grant_type:string_unicode",
    ];
    f.cases(FORM, &cases, &[]).await;
    let raw = b"username=user%40example.com&password=\xff\xfe";
    let boundary = "multipart/form-data; boundary=b";
    let multipart = b"--b\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\n\xff\r\n\
        --b\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\npw\r\n--b--\r\n";
    for path in LOGINS {
        let reply = f.login(path, FORM, raw).await;
        reply.invalid("password:string_unicode", path);
        let reply = f.login(path, Some(boundary), &multipart[..]).await;
        reply.invalid("username:string_unicode", path);
    }
}

on_every_database! {
    malformed_json => malformed_json;
    wrong_content_type => wrong_content_type;
    wrong_field_types => wrong_field_types;
    missing_fields => missing_fields;
    login_form => login_form;
    oversized_body => oversized_body;
    over_long_strings => over_long_strings;
    non_utf8 => non_utf8;
}
