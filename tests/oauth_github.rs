//! The GitHub preset (`OAuthProvider::github_at`) against a fake GitHub on loopback: the web
//! endpoints (`/login/oauth/authorize`, `/login/oauth/access_token`, checking the code, the
//! PKCE verifier (S256), the redirect URI and the client's credentials) and the REST API under
//! `/api/v3` (`/user`, `/user/emails`, which need the issued bearer token). Covers a new
//! user from the primary verified address, linking by address only for a verified address,
//! no address at all, a returning user matched by GitHub's numeric id after the address
//! changed, GitHub failing or refusing the code, and the provider token stored sealed (or not
//! at all without a key).

mod common;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode as AxumStatus, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum_users::DbPool;
use axum_users::oauth::{OAuthOptions, OAuthProvider};
use axum_users::prelude::*;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::server::{SECRET, cheap_hashing, full_app, full_backends};
use common::users::UuidUser;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const STATE_SECRET: &str = "oauth-state-secret-oauth-state-secret";
const CLIENT_ID: &str = "client";
const CLIENT_SECRET: &str = "secret";

/// An address as `GET /user/emails` lists it.
#[derive(Clone)]
struct GhEmail {
    email: &'static str,
    primary: bool,
    verified: bool,
}

/// The GitHub account that signs in next.
#[derive(Clone)]
struct GhAccount {
    id: u64,
    /// The public address of `GET /user`.
    public_email: Option<&'static str>,
    emails: Vec<GhEmail>,
}

fn octo(emails: Vec<GhEmail>) -> GhAccount {
    GhAccount {
        id: 12345,
        public_email: None,
        emails,
    }
}

fn email(email: &'static str, primary: bool, verified: bool) -> GhEmail {
    GhEmail {
        email,
        primary,
        verified,
    }
}

/// How the fake GitHub misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Fault {
    #[default]
    None,
    /// `GET /user` answers 500.
    UserApi500,
    /// The token endpoint refuses the code the way GitHub does: 200 with
    /// `{"error":"bad_verification_code"}`.
    BadVerificationCode,
    /// The token endpoint refuses the code the standard way: 400 `invalid_grant`.
    InvalidGrant,
}

struct GhState {
    account: GhAccount,
    fault: Fault,
    /// code → (PKCE challenge, redirect URI)
    codes: HashMap<String, (String, String)>,
    /// Every access token issued.
    tokens: HashSet<String>,
    /// Anything the app did wrong towards GitHub (checked empty by the tests).
    problems: Vec<String>,
}

#[derive(Clone)]
struct FakeGitHub {
    url: String,
    state: Arc<Mutex<GhState>>,
}

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn form_fields(body: &[u8]) -> HashMap<String, String> {
    let mut url = reqwest::Url::parse("http://form.invalid/").expect("URL");
    url.set_query(Some(&String::from_utf8_lossy(body)));
    url.query_pairs().into_owned().collect()
}

impl FakeGitHub {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake GitHub");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let fake = Self {
            url,
            state: Arc::new(Mutex::new(GhState {
                account: octo(Vec::new()),
                fault: Fault::None,
                codes: HashMap::new(),
                tokens: HashSet::new(),
                problems: Vec::new(),
            })),
        };
        let app = Router::new()
            .route("/login/oauth/authorize", get(gh_authorize))
            .route("/login/oauth/access_token", post(gh_access_token))
            .route("/api/v3/user", get(gh_user))
            .route("/api/v3/user/emails", get(gh_emails))
            .with_state(fake.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake GitHub");
        });
        fake
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GhState> {
        self.state.lock().expect("fake GitHub state")
    }

    fn set(&self, account: GhAccount, fault: Fault) {
        let mut state = self.lock();
        state.account = account;
        state.fault = fault;
    }

    fn tokens(&self) -> HashSet<String> {
        self.lock().tokens.clone()
    }

    fn problems(&self) -> Vec<String> {
        self.lock().problems.clone()
    }

    /// Whether the request carries an access token this GitHub issued.
    fn authorized(&self, headers: &HeaderMap) -> bool {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let mut state = self.lock();
        let ok = token.is_some_and(|t| state.tokens.contains(t));
        if !ok {
            state
                .problems
                .push("an API call without a valid token".into());
        }
        ok
    }
}

async fn gh_authorize(
    State(fake): State<FakeGitHub>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut state = fake.lock();
    let get = |k: &str| query.get(k).map(String::as_str);
    if get("client_id") != Some(CLIENT_ID)
        || get("code_challenge_method") != Some("S256")
        || get("scope") != Some("read:user user:email")
    {
        state
            .problems
            .push(format!("a bad authorization request: {query:?}"));
        return AxumStatus::BAD_REQUEST.into_response();
    }
    let (Some(challenge), Some(redirect_uri), Some(flow_state)) =
        (get("code_challenge"), get("redirect_uri"), get("state"))
    else {
        state
            .problems
            .push(format!("a bad authorization request: {query:?}"));
        return AxumStatus::BAD_REQUEST.into_response();
    };
    let code = uuid::Uuid::new_v4().simple().to_string();
    state
        .codes
        .insert(code.clone(), (challenge.into(), redirect_uri.into()));
    let mut location = reqwest::Url::parse(redirect_uri).expect("redirect_uri is a URL");
    location
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", flow_state);
    (
        AxumStatus::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

async fn gh_access_token(
    State(fake): State<FakeGitHub>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = form_fields(&body);
    let mut state = fake.lock();
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| STANDARD.decode(v).ok())
        .is_some_and(|v| v == format!("{CLIENT_ID}:{CLIENT_SECRET}").as_bytes());
    let posted = form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET);
    let json_wanted = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let code = form.get("code").and_then(|c| state.codes.remove(c));
    let verified = code.as_ref().is_some_and(|(challenge, redirect)| {
        form.get("code_verifier")
            .is_some_and(|v| s256(v) == *challenge)
            && form.get("redirect_uri") == Some(redirect)
    });
    if !(basic || posted) || !json_wanted || !verified {
        state.problems.push(format!(
            "a bad exchange: client {}, JSON {json_wanted}, code and verifier {verified}",
            basic || posted
        ));
        // GitHub answers its errors with 200.
        return axum::Json(json!({"error": "bad_verification_code"})).into_response();
    }
    match state.fault {
        Fault::BadVerificationCode => {
            return axum::Json(json!({
                "error": "bad_verification_code",
                "error_description": "The code passed is incorrect or expired.",
                "error_uri": "https://docs.github.com/apps/troubleshooting",
            }))
            .into_response();
        }
        Fault::InvalidGrant => {
            return (
                AxumStatus::BAD_REQUEST,
                axum::Json(json!({"error": "invalid_grant"})),
            )
                .into_response();
        }
        _ => {}
    }
    let token = format!("gho_{}", uuid::Uuid::new_v4().simple());
    state.tokens.insert(token.clone());
    axum::Json(json!({
        "access_token": token,
        "token_type": "bearer",
        "scope": "read:user,user:email",
    }))
    .into_response()
}

async fn gh_user(State(fake): State<FakeGitHub>, headers: HeaderMap) -> Response {
    if !fake.authorized(&headers) {
        return AxumStatus::UNAUTHORIZED.into_response();
    }
    let state = fake.lock();
    if state.fault == Fault::UserApi500 {
        return (AxumStatus::INTERNAL_SERVER_ERROR, "boom").into_response();
    }
    axum::Json(json!({
        "id": state.account.id,
        "login": "octo",
        "email": state.account.public_email,
    }))
    .into_response()
}

async fn gh_emails(State(fake): State<FakeGitHub>, headers: HeaderMap) -> Response {
    if !fake.authorized(&headers) {
        return AxumStatus::UNAUTHORIZED.into_response();
    }
    let state = fake.lock();
    let emails: Vec<Value> = state
        .account
        .emails
        .iter()
        .map(|e| json!({"email": e.email, "primary": e.primary, "verified": e.verified, "visibility": null}))
        .collect();
    axum::Json(Value::Array(emails)).into_response()
}

/// The app under test: the full example plus `/auth/github` (login through the `jwt`
/// backend).
struct App {
    url: String,
    users: Users<UuidUser>,
    http: reqwest::Client,
    github: FakeGitHub,
}

#[derive(Clone, Copy)]
struct Knobs {
    associate_by_email: bool,
    token_key: Option<[u8; 32]>,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            associate_by_email: false,
            token_key: Some([7; 32]),
        }
    }
}

async fn start(pool: impl Into<DbPool>, knobs: Knobs) -> App {
    let github = FakeGitHub::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let mut builder = full_backends(Users::<UuidUser>::builder(pool))
        .hashing(cheap_hashing())
        .secrets(SECRET);
    if let Some(key) = knobs.token_key {
        builder = builder.oauth_token_key(key);
    }
    let users = builder.build().expect("users");
    users.migrate().await.expect("migrate");
    let provider = OAuthProvider::github_at(
        "github",
        &github.url,
        &format!("{}/api/v3", github.url),
        CLIENT_ID,
        CLIENT_SECRET,
    )
    .expect("provider");
    let options = OAuthOptions::new(&format!("{url}/auth/github/callback"), STATE_SECRET)
        .expect("options")
        .associate_by_email(knobs.associate_by_email);
    let app: Router = full_app(&users).nest(
        "/auth/github",
        users
            .oauth_router(&provider, "jwt", options)
            .expect("router"),
    );
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("server");
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    App {
        url,
        users,
        http,
        github,
    }
}

struct Answer {
    status: StatusCode,
    body: Value,
    set_cookies: Vec<String>,
}

async fn read(response: reqwest::Response) -> Answer {
    let status = response.status();
    let set_cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("JSON")
    };
    Answer {
        status,
        body,
        set_cookies,
    }
}

fn cookie_value(set_cookies: &[String], name: &str) -> Option<String> {
    set_cookies.iter().find_map(|c| {
        let (n, v) = c.split(';').next()?.split_once('=')?;
        (n == name).then(|| v.to_owned())
    })
}

fn detail(code: &str) -> Value {
    json!({ "detail": code })
}

impl App {
    fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The whole flow as `account`, GitHub misbehaving as `fault`.
    async fn sign_in(&self, account: GhAccount, fault: Fault) -> Answer {
        self.github.set(account, fault);
        let started = read(
            self.http
                .get(self.at("/auth/github/authorize"))
                .send()
                .await
                .expect("authorize"),
        )
        .await;
        assert_eq!(started.status, StatusCode::OK, "{}", started.body);
        let csrf =
            cookie_value(&started.set_cookies, "fastapiusersoauthcsrf").expect("csrf cookie");
        let authorization_url = started.body["authorization_url"]
            .as_str()
            .expect("authorization_url");
        assert!(
            authorization_url.starts_with(&format!("{}/login/oauth/authorize?", self.github.url)),
            "{authorization_url}"
        );
        let at_github = self
            .http
            .get(authorization_url)
            .send()
            .await
            .expect("GitHub authorize");
        assert_eq!(at_github.status(), StatusCode::FOUND);
        let location = at_github
            .headers()
            .get(reqwest::header::LOCATION)
            .expect("location")
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(
            location.starts_with(&self.at("/auth/github/callback?")),
            "{location}"
        );
        let answer = read(
            self.http
                .get(&location)
                .header("cookie", format!("fastapiusersoauthcsrf={csrf}"))
                .send()
                .await
                .expect("callback"),
        )
        .await;
        assert!(
            !answer.status.is_server_error() || answer.status == StatusCode::BAD_GATEWAY,
            "{} {}",
            answer.status,
            answer.body
        );
        if answer.status != StatusCode::OK {
            assert!(cookie_value(&answer.set_cookies, "fastapiusersauth").is_none());
            assert!(answer.body.get("access_token").is_none());
        }
        answer
    }

    /// The user an OK sign-in answer's token belongs to.
    async fn me(&self, answer: &Answer) -> Value {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let token = answer.body["access_token"].as_str().expect("access_token");
        let me = read(
            self.http
                .get(self.at("/users/me"))
                .bearer_auth(token)
                .send()
                .await
                .expect("me"),
        )
        .await;
        assert_eq!(me.status, StatusCode::OK);
        me.body
    }

    async fn register(&self, email: &str) -> Value {
        let answer = read(
            self.http
                .post(self.at("/auth/register"))
                .json(&json!({"email": email, "password": "a-password"}))
                .send()
                .await
                .expect("register"),
        )
        .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        answer.body
    }

    async fn count(&self) -> u64 {
        self.users.store().count().await.expect("count")
    }
}

/// A new user is made from the primary verified address; signing in again is the same user.
async fn new_user_from_primary_verified_address<P: Into<DbPool>>(pool: P) {
    let app = start(pool, Knobs::default()).await;
    let account = octo(vec![
        email("octo-work@example.com", false, true),
        email("octo@example.com", true, true),
    ]);
    let first = app.sign_in(account.clone(), Fault::None).await;
    assert_eq!(first.body["token_type"], "bearer");
    let me = app.me(&first).await;
    assert_eq!(me["email"], "octo@example.com");
    assert_eq!(me["is_verified"], false, "is_verified_by_default is off");
    let again = app.sign_in(account, Fault::None).await;
    assert_eq!(app.me(&again).await["id"], me["id"]);
    assert_eq!(app.count().await, 1);
    assert_eq!(app.github.problems(), Vec::<String>::new());
}

/// An existing account's address, primary but unverified at GitHub, is never linked, even
/// with linking by address on; verified, it is linked to the existing user.
async fn linking_by_address<P: Into<DbPool>>(pool: P) {
    let app = start(
        pool,
        Knobs {
            associate_by_email: true,
            ..Knobs::default()
        },
    )
    .await;
    let existing = app.register("octo@example.com").await;
    let unverified = octo(vec![email("octo@example.com", true, false)]);
    for _ in 0..2 {
        // Twice: a link made by the first attempt would let the second in by GitHub's id.
        let answer = app.sign_in(unverified.clone(), Fault::None).await;
        assert_eq!(
            (answer.status, answer.body),
            (StatusCode::BAD_REQUEST, detail("OAUTH_USER_ALREADY_EXISTS"))
        );
    }
    // Not primary but verified does not count either: the primary address is the one used.
    let secondary = octo(vec![
        email("octo@example.com", false, true),
        email("octo-new@example.com", true, false),
    ]);
    let answer = app.sign_in(secondary, Fault::None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let other = app.me(&answer).await;
    assert_ne!(other["id"], existing["id"]);
    assert_eq!(other["email"], "octo-new@example.com");
    // A different GitHub account whose primary address is verified: linked to the user.
    let verified = GhAccount {
        id: 777,
        public_email: None,
        emails: vec![email("octo@example.com", true, true)],
    };
    let answer = app.sign_in(verified.clone(), Fault::None).await;
    assert_eq!(app.me(&answer).await["id"], existing["id"]);
    assert_eq!(app.count().await, 2);
    assert_eq!(app.github.problems(), Vec::<String>::new());
}

/// With linking by address off, a verified address of an existing account is refused.
async fn existing_address_without_opt_in<P: Into<DbPool>>(pool: P) {
    let app = start(pool, Knobs::default()).await;
    app.register("octo@example.com").await;
    let answer = app
        .sign_in(
            octo(vec![email("octo@example.com", true, true)]),
            Fault::None,
        )
        .await;
    assert_eq!(
        (answer.status, answer.body),
        (StatusCode::BAD_REQUEST, detail("OAUTH_USER_ALREADY_EXISTS"))
    );
    assert_eq!(app.count().await, 1);
}

/// No address at all (an empty list, no public address): `OAUTH_NOT_AVAILABLE_EMAIL`; with
/// only a public address, that one is used (unverified).
async fn no_address<P: Into<DbPool>>(pool: P) {
    let app = start(pool, Knobs::default()).await;
    let answer = app.sign_in(octo(Vec::new()), Fault::None).await;
    assert_eq!(
        (answer.status, answer.body),
        (StatusCode::BAD_REQUEST, detail("OAUTH_NOT_AVAILABLE_EMAIL"))
    );
    assert_eq!(app.count().await, 0);
    let public_only = GhAccount {
        id: 4242,
        public_email: Some("public@example.com"),
        emails: Vec::new(),
    };
    let answer = app.sign_in(public_only, Fault::None).await;
    assert_eq!(app.me(&answer).await["email"], "public@example.com");
    assert_eq!(app.github.problems(), Vec::<String>::new());
}

/// A returning user is found by GitHub's numeric id, even after the address changed there.
async fn returning_user_by_id<P: Into<DbPool>>(pool: P) {
    let app = start(pool, Knobs::default()).await;
    let first = app
        .sign_in(
            octo(vec![email("octo@example.com", true, true)]),
            Fault::None,
        )
        .await;
    let me = app.me(&first).await;
    let moved = app
        .sign_in(
            octo(vec![email("octo-moved@example.com", true, true)]),
            Fault::None,
        )
        .await;
    let me_moved = app.me(&moved).await;
    assert_eq!(me_moved["id"], me["id"]);
    assert_eq!(
        me_moved["email"], "octo@example.com",
        "the user keeps theirs"
    );
    assert_eq!(app.count().await, 1);
    assert!(
        app.users
            .get_by_email("octo-moved@example.com")
            .await
            .expect("get")
            .is_none()
    );
}

/// GitHub failing is a 502; GitHub refusing the code is a 400 — the standard way (400
/// `invalid_grant`) and GitHub's way (200 with `{"error":"bad_verification_code"}`).
async fn github_failures<P: Into<DbPool>>(pool: P) {
    let app = start(pool, Knobs::default()).await;
    let account = octo(vec![email("octo@example.com", true, true)]);
    let answer = app.sign_in(account.clone(), Fault::UserApi500).await;
    assert_eq!(
        (answer.status, answer.body),
        (StatusCode::BAD_GATEWAY, detail("Bad Gateway"))
    );
    let answer = app.sign_in(account.clone(), Fault::InvalidGrant).await;
    assert_eq!(
        (answer.status, answer.body),
        (StatusCode::BAD_REQUEST, detail("Bad Request"))
    );
    assert_eq!(app.count().await, 0);
    assert_eq!(app.github.problems(), Vec::<String>::new());
    let answer = app.sign_in(account, Fault::None).await;
    assert_eq!(app.me(&answer).await["email"], "octo@example.com");
}

/// GitHub refuses a code with 200 and an error body; that is a refusal (400), not an outage.
async fn github_style_refusal<P: Into<DbPool>>(pool: P) {
    let app = start(pool, Knobs::default()).await;
    let account = octo(vec![email("octo@example.com", true, true)]);
    let answer = app.sign_in(account, Fault::BadVerificationCode).await;
    assert_eq!(
        (answer.status, answer.body),
        (StatusCode::BAD_REQUEST, detail("Bad Request"))
    );
    assert_eq!(app.count().await, 0);
}

on_every_database! {
    oauth_github_new_user_from_primary_verified_address => new_user_from_primary_verified_address;
    sec_oauth_05_github_links_by_address_only_when_verified => linking_by_address;
    sec_oauth_05_github_existing_address_without_opt_in => existing_address_without_opt_in;
    oauth_github_no_address => no_address;
    oauth_github_returning_user_by_id => returning_user_by_id;
    oauth_github_failures => github_failures;
    oauth_github_refusal_with_200_is_a_bad_request => github_style_refusal;
}

/// The stored link row of GitHub account `account_id`: (access token, refresh token,
/// address).
async fn stored_link(
    pool: &sqlx::SqlitePool,
    account_id: &str,
) -> (String, Option<String>, String) {
    sqlx::query_as(
        "SELECT access_token, refresh_token, account_email FROM oauth_account \
         WHERE oauth_name = 'github' AND account_id = ?",
    )
    .bind(account_id)
    .fetch_one(pool)
    .await
    .expect("the link row")
}

/// With a token key, the stored GitHub token is sealed (`v1.`, no plain `gho_…`), and sealed
/// afresh when the user returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn oauth_github_provider_token_is_sealed() {
    let db = common::SqliteDb::new().await;
    {
        let app = start(db.pool.clone(), Knobs::default()).await;
        let account = octo(vec![email("octo@example.com", true, true)]);
        let answer = app.sign_in(account.clone(), Fault::None).await;
        app.me(&answer).await;
        let (access, refresh, address) = stored_link(&db.pool, "12345").await;
        let issued = app.github.tokens();
        assert_eq!(issued.len(), 1);
        let plain = issued.iter().next().expect("a token");
        assert!(plain.starts_with("gho_"));
        assert!(access.starts_with("v1."), "{access}");
        assert!(!access.contains(plain) && !access.contains("gho_"));
        assert_eq!(refresh, None);
        assert_eq!(address, "octo@example.com");
        let again = app.sign_in(account, Fault::None).await;
        app.me(&again).await;
        let (resealed, _, _) = stored_link(&db.pool, "12345").await;
        assert!(resealed.starts_with("v1.") && resealed != access);
        assert!(
            !app.github
                .tokens()
                .iter()
                .any(|t| resealed.contains(t.as_str()))
        );
    }
    db.close().await;
}

/// Without a token key, no provider token is kept: the column is empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn oauth_github_provider_token_not_kept_without_a_key() {
    let db = common::SqliteDb::new().await;
    {
        let app = start(
            db.pool.clone(),
            Knobs {
                token_key: None,
                ..Knobs::default()
            },
        )
        .await;
        let answer = app
            .sign_in(
                octo(vec![email("octo@example.com", true, true)]),
                Fault::None,
            )
            .await;
        app.me(&answer).await;
        let (access, refresh, _) = stored_link(&db.pool, "12345").await;
        assert_eq!(access, "");
        assert_eq!(refresh, None);
    }
    db.close().await;
}
