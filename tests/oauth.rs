//! Social login against a real OpenID provider on loopback (`oidc-provider`, see
//! `tests/common/oidc.rs`): the whole flow over HTTP — `/authorize`, the provider's login
//! page, the provider's redirect to `/callback` — on every database, for a new user, a
//! returning user, an existing address with and without linking by address, an unverified
//! provider address, an inactive user, linking an account to a signed-in user, and the
//! SEC-OAUTH cases this set-up can play (state, CSRF cookie, replay, redirect URI, linking).

mod common;

use std::net::SocketAddr;

use axum::Router;
use axum_users::DbPool;
use axum_users::oauth::{OAuthOptions, OAuthProvider};
use axum_users::prelude::*;
use common::oidc::{Account, Client, OidcProvider, query_param, sign_in};
use common::server::{SECRET, cheap_hashing, full_app, full_backends};
use common::users::{UuidUser, UuidUserUpdate};
use reqwest::StatusCode;
use serde_json::{Value, json};

const STATE_SECRET: &str = "oauth-state-secret-oauth-state-secret";

/// The app under test: the full example's routers plus `/auth/oidc` (login through the `jwt`
/// backend), `/auth/oidc-cookie` (login through the `cookie` backend) and
/// `/auth/associate/oidc`, wired to a provider on loopback.
struct App<U: axum_users::AuthUser = UuidUser> {
    url: String,
    users: Users<U>,
    http: reqwest::Client,
    _provider: OidcProvider,
}

/// The provider's users.
fn accounts() -> Vec<Account> {
    let account = |sub: &str, email: &str, verified: bool| Account {
        sub: sub.into(),
        email: email.into(),
        email_verified: verified,
        password: "provider-password".into(),
    };
    vec![
        account("sub-alice", "alice@example.com", true),
        account("sub-bob", "bob@example.com", true),
        account("sub-carol", "carol@example.com", false),
        account("sub-dave", "dave@example.com", true),
        account("sub-erin", "erin@example.com", true),
    ]
}

#[derive(Clone, Copy, Default)]
struct Knobs {
    associate_by_email: bool,
    accounts_in_read: bool,
}

async fn start(pool: impl Into<DbPool>, knobs: Knobs) -> Option<App> {
    start_as::<UuidUser>(pool, knobs, None).await
}

/// [`start`] for users of type `U`, with `hooks` when given.
async fn start_as<U: axum_users::AuthUser>(
    pool: impl Into<DbPool>,
    knobs: Knobs,
    hooks: Option<U::Hooks>,
) -> Option<App<U>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let url = format!("http://{addr}");
    let callbacks = ["/auth/oidc", "/auth/oidc-cookie", "/auth/associate/oidc"]
        .map(|prefix| format!("{url}{prefix}/callback"));
    let clients: Vec<Client> = callbacks
        .iter()
        .enumerate()
        .map(|(i, cb)| Client::new(&format!("app-{i}"), "app-client-secret", cb))
        .collect();
    let provider = OidcProvider::start(&clients, &accounts()).await?;
    let mut builder = full_backends(Users::<U>::builder(pool));
    if let Some(hooks) = hooks {
        builder = builder.hooks(hooks);
    }
    let users = builder
        .hashing(cheap_hashing())
        .secrets(SECRET)
        .oauth_token_key([42; 32])
        .oauth_accounts_in_read(knobs.accounts_in_read)
        .build()
        .expect("users");
    users.migrate().await.expect("migrate");
    let oidc = |i: usize| {
        OAuthProvider::oidc(
            "oidc",
            &provider.issuer,
            format!("app-{i}"),
            "app-client-secret",
        )
        .expect("provider")
    };
    let options = |i: usize| {
        OAuthOptions::new(&callbacks[i], STATE_SECRET)
            .expect("options")
            .associate_by_email(knobs.associate_by_email)
    };
    let app: Router = full_app(&users)
        .nest(
            "/auth/oidc",
            users
                .oauth_router(&oidc(0), "jwt", options(0))
                .expect("router"),
        )
        .nest(
            "/auth/oidc-cookie",
            users
                .oauth_router(&oidc(1), "cookie", options(1))
                .expect("router"),
        )
        .nest(
            "/auth/associate/oidc",
            users
                .oauth_associate_router(&oidc(2), options(2))
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
    Some(App {
        url,
        users,
        http,
        _provider: provider,
    })
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
    assert!(!status.is_server_error(), "{status} {text}");
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

/// One authorization started in a browser: the provider URL and the browser's CSRF cookie.
struct Flow {
    authorization_url: String,
    csrf: String,
}

impl<U: axum_users::AuthUser> App<U> {
    fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    async fn authorize(&self, prefix: &str, bearer: Option<&str>) -> Flow {
        let mut request = self.http.get(self.at(&format!("{prefix}/authorize")));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let answer = read(request.send().await.expect("authorize")).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let csrf = cookie_value(&answer.set_cookies, "fastapiusersoauthcsrf").expect("csrf cookie");
        assert_eq!(csrf.len(), 43);
        Flow {
            authorization_url: answer.body["authorization_url"]
                .as_str()
                .expect("authorization_url")
                .to_owned(),
            csrf,
        }
    }

    /// Sends the browser back to our callback as the provider redirected it.
    async fn callback(&self, redirect: &str, csrf: Option<&str>, bearer: Option<&str>) -> Answer {
        assert!(redirect.starts_with(&self.url), "redirected to {redirect}");
        let mut request = self.http.get(redirect);
        if let Some(csrf) = csrf {
            request = request.header("cookie", format!("fastapiusersoauthcsrf={csrf}"));
        }
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let answer = read(request.send().await.expect("callback")).await;
        // Every callback clears the CSRF cookie.
        assert!(
            answer
                .set_cookies
                .iter()
                .any(|c| c.starts_with("fastapiusersoauthcsrf=\"\"") && c.contains("Max-Age=0")),
            "{:?}",
            answer.set_cookies
        );
        answer
    }

    /// The whole login flow through `prefix` for the provider user `login`.
    async fn sign_in(&self, prefix: &str, login: &str) -> Answer {
        let flow = self.authorize(prefix, None).await;
        let redirect = sign_in(&flow.authorization_url, login, "provider-password").await;
        self.callback(&redirect, Some(&flow.csrf), None).await
    }

    async fn me(&self, token: &str) -> Answer {
        read(
            self.http
                .get(self.at("/users/me"))
                .bearer_auth(token)
                .send()
                .await
                .expect("me"),
        )
        .await
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
        assert_eq!(answer.status, StatusCode::CREATED);
        answer.body
    }

    async fn login(&self, email: &str) -> String {
        let answer = read(
            self.http
                .post(self.at("/auth/jwt/login"))
                .form(&[("username", email), ("password", "a-password")])
                .send()
                .await
                .expect("login"),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body["access_token"]
            .as_str()
            .expect("token")
            .to_owned()
    }
}

fn detail(code: &str) -> Value {
    json!({ "detail": code })
}

/// A new user, then the same user returning; through the bearer and the cookie backend.
async fn new_and_returning_users<P: Into<DbPool>>(pool: P) {
    let Some(app) = start(pool, Knobs::default()).await else {
        return;
    };
    let first = app.sign_in("/auth/oidc", "alice@example.com").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["token_type"], "bearer");
    let token = first.body["access_token"].as_str().expect("token");
    let me = app.me(token).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], "alice@example.com");
    assert_eq!(
        me.body["is_verified"], false,
        "is_verified_by_default is off"
    );
    assert_eq!(me.body["is_active"], true);
    assert!(me.body.get("hashed_password").is_none() && me.body.get("oauth_accounts").is_none());
    let again = app.sign_in("/auth/oidc", "alice@example.com").await;
    assert_eq!(again.status, StatusCode::OK);
    let me_again = app
        .me(again.body["access_token"].as_str().expect("token"))
        .await;
    assert_eq!(me_again.body["id"], me.body["id"], "one account");
    // Through the cookie backend: 204 and the auth cookie, next to the cleared CSRF cookie.
    let cookie = app.sign_in("/auth/oidc-cookie", "alice@example.com").await;
    assert_eq!(cookie.status, StatusCode::NO_CONTENT);
    let auth = cookie_value(&cookie.set_cookies, "fastapiusersauth").expect("auth cookie");
    let me_cookie = read(
        app.http
            .get(app.at("/users/me"))
            .header("cookie", format!("fastapiusersauth={auth}"))
            .send()
            .await
            .expect("me"),
    )
    .await;
    assert_eq!(me_cookie.body["id"], me.body["id"]);
    assert_eq!(app.users.store().count().await.expect("count"), 1);
    // One link, its provider token kept (sealed at rest, readable through the API).
    let alice = app
        .users
        .get_by_email("alice@example.com")
        .await
        .expect("get")
        .expect("alice");
    let links = app.users.oauth_accounts(&alice.id).await.expect("links");
    assert_eq!(links.len(), 1);
    assert_eq!(
        (
            &*links[0].oauth_name,
            &*links[0].account_id,
            &*links[0].account_email
        ),
        ("oidc", "sub-alice", "alice@example.com")
    );
    let access = links[0].access_token.as_deref().expect("kept");
    assert!(!access.is_empty() && !access.starts_with("v1."));
    assert!(links[0].expires_at.is_some());
    // Deleting the user deletes the link.
    axum_users::UserStore::delete(app.users.store(), &alice.id)
        .await
        .expect("delete");
    assert!(
        app.users
            .oauth_accounts(&alice.id)
            .await
            .expect("links")
            .is_empty()
    );
}

/// An address that has an account: refused unless linking by address is on and the provider
/// vouches for it.
async fn existing_addresses<P: Into<DbPool>>(pool: P) {
    let pool = pool.into();
    {
        let Some(app) = start(pool.clone(), Knobs::default()).await else {
            return;
        };
        app.register("bob@example.com").await;
        let answer = app.sign_in("/auth/oidc", "bob@example.com").await;
        assert_eq!(
            (answer.status, answer.body),
            (StatusCode::BAD_REQUEST, detail("OAUTH_USER_ALREADY_EXISTS"))
        );
    }
    let Some(app) = start(
        pool,
        Knobs {
            associate_by_email: true,
            ..Knobs::default()
        },
    )
    .await
    else {
        return;
    };
    // bob: verified at the provider → linked to the existing account.
    let answer = app.sign_in("/auth/oidc", "bob@example.com").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let me = app
        .me(answer.body["access_token"].as_str().expect("token"))
        .await;
    let bob = app
        .users
        .get_by_email("bob@example.com")
        .await
        .expect("get")
        .expect("bob");
    assert_eq!(me.body["id"], json!(bob.id));
    // carol: the provider does not vouch for the address → never linked.
    app.register("carol@example.com").await;
    let answer = app.sign_in("/auth/oidc", "carol@example.com").await;
    assert_eq!(
        (answer.status, answer.body),
        (StatusCode::BAD_REQUEST, detail("OAUTH_USER_ALREADY_EXISTS"))
    );
    assert_eq!(app.users.store().count().await.expect("count"), 2);
}

/// An inactive user is refused, however they arrive.
async fn inactive_user<P: Into<DbPool>>(pool: P) {
    let Some(app) = start(pool, Knobs::default()).await else {
        return;
    };
    let first = app.sign_in("/auth/oidc", "dave@example.com").await;
    assert_eq!(first.status, StatusCode::OK);
    let dave = app
        .users
        .get_by_email("dave@example.com")
        .await
        .expect("get")
        .expect("dave");
    let update = serde_json::Map::from_iter([("is_active".to_owned(), json!(false))]);
    let update = <UuidUserUpdate as axum_users::user::FromJsonBody>::from_json_object(&update)
        .expect("update");
    app.users
        .update(&update, &dave, true, None)
        .await
        .expect("deactivate");
    let answer = app.sign_in("/auth/oidc", "dave@example.com").await;
    assert_eq!(
        (answer.status, answer.body),
        (StatusCode::BAD_REQUEST, detail("LOGIN_BAD_CREDENTIALS"))
    );
}

/// A signed-in user links their provider account, then signs in with it; an account linked
/// to one user cannot be linked to another (SEC-OAUTH-05).
async fn associate<P: Into<DbPool>>(pool: P) {
    let Some(app) = start(pool, Knobs::default()).await else {
        return;
    };
    // Without a credential, no authorization starts.
    let anonymous = read(
        app.http
            .get(app.at("/auth/associate/oidc/authorize"))
            .send()
            .await
            .expect("authorize"),
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let user = app.register("frank@example.com").await;
    let token = app.login("frank@example.com").await;
    let flow = app.authorize("/auth/associate/oidc", Some(&token)).await;
    let redirect = sign_in(
        &flow.authorization_url,
        "erin@example.com",
        "provider-password",
    )
    .await;
    let linked = app
        .callback(&redirect, Some(&flow.csrf), Some(&token))
        .await;
    assert_eq!(linked.status, StatusCode::OK, "{}", linked.body);
    assert_eq!(linked.body["id"], user["id"]);
    // Signing in with erin's provider account is now frank.
    let answer = app.sign_in("/auth/oidc", "erin@example.com").await;
    let me = app
        .me(answer.body["access_token"].as_str().expect("token"))
        .await;
    assert_eq!(me.body["email"], "frank@example.com");
    // Another user cannot take erin's provider account.
    app.register("grace@example.com").await;
    let grace = app.login("grace@example.com").await;
    let flow = app.authorize("/auth/associate/oidc", Some(&grace)).await;
    let redirect = sign_in(
        &flow.authorization_url,
        "erin@example.com",
        "provider-password",
    )
    .await;
    let taken = app
        .callback(&redirect, Some(&flow.csrf), Some(&grace))
        .await;
    assert_eq!(
        (taken.status, taken.body),
        (StatusCode::BAD_REQUEST, detail("OAUTH_USER_ALREADY_EXISTS"))
    );
    // A state made for frank does not link anything to grace.
    let flow = app.authorize("/auth/associate/oidc", Some(&token)).await;
    let redirect = sign_in(
        &flow.authorization_url,
        "alice@example.com",
        "provider-password",
    )
    .await;
    let other = app
        .callback(&redirect, Some(&flow.csrf), Some(&grace))
        .await;
    assert_eq!(
        (other.status, other.body),
        (StatusCode::BAD_REQUEST, detail("Bad Request"))
    );
}

/// With `oauth_accounts_in_read`, every `UserRead` lists the linked provider accounts (never
/// their tokens), and the OpenAPI schema says so.
async fn accounts_in_read<P: Into<DbPool>>(pool: P) {
    let knobs = Knobs {
        accounts_in_read: true,
        ..Knobs::default()
    };
    let Some(app) = start(pool, knobs).await else {
        return;
    };
    let registered = app.register("ivan@example.com").await;
    assert_eq!(registered["oauth_accounts"], json!([]));
    let answer = app.sign_in("/auth/oidc", "alice@example.com").await;
    let me = app
        .me(answer.body["access_token"].as_str().expect("token"))
        .await;
    let accounts = me.body["oauth_accounts"].as_array().expect("listed");
    assert_eq!(accounts.len(), 1);
    let account = accounts[0].as_object().expect("object");
    let mut keys: Vec<&str> = account.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["account_email", "account_id", "expires_at", "oauth_name"]
    );
    assert_eq!(account["oauth_name"], "oidc");
    assert_eq!(account["account_id"], "sub-alice");
    assert!(account["expires_at"].is_i64());
    let doc = serde_json::to_value(app.users.openapi().users("/users").build()).expect("doc");
    let read = &doc["components"]["schemas"]["UuidUserRead"];
    assert!(
        read["required"]
            .as_array()
            .expect("required")
            .contains(&json!("oauth_accounts"))
    );
    assert_eq!(
        read["properties"]["oauth_accounts"]["items"]["required"],
        json!(["oauth_name", "account_id", "account_email", "expires_at"])
    );
}

/// The hooks fire as in FastAPI Users: a first sign-in registers (`on_after_register`) and
/// logs in (`on_after_login`), a later one only logs in, linking an account is an update
/// with an empty record (`on_after_update`).
async fn hooks_fire<P: Into<DbPool>>(pool: P) {
    let hooks = common::users::RecordingHooks::default();
    let Some(app) =
        start_as::<common::users::HookedUser>(pool, Knobs::default(), Some(hooks.clone())).await
    else {
        return;
    };
    let first = app.sign_in("/auth/oidc", "alice@example.com").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(hooks.of("register"), vec![json!("alice@example.com")]);
    assert_eq!(
        hooks.of("login"),
        vec![json!({"email": "alice@example.com", "has_ctx": true})]
    );
    let again = app.sign_in("/auth/oidc", "alice@example.com").await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        hooks.of("register").len(),
        1,
        "a returning user registers once"
    );
    assert_eq!(hooks.of("login").len(), 2);
    app.register("judy@example.com").await;
    let token = app.login("judy@example.com").await;
    let flow = app.authorize("/auth/associate/oidc", Some(&token)).await;
    let redirect = sign_in(
        &flow.authorization_url,
        "bob@example.com",
        "provider-password",
    )
    .await;
    let linked = app
        .callback(&redirect, Some(&flow.csrf), Some(&token))
        .await;
    assert_eq!(linked.status, StatusCode::OK, "{}", linked.body);
    assert_eq!(
        hooks.of("update"),
        vec![json!({"email": "judy@example.com", "record": {}})]
    );
}

/// SEC-OAUTH-01: the callback needs this browser's CSRF cookie: none, another browser's or
/// an empty one is `OAUTH_INVALID_STATE`, with no auth cookie and no user.
async fn csrf_cookie_must_match<P: Into<DbPool>>(pool: P) {
    let Some(app) = start(pool, Knobs::default()).await else {
        return;
    };
    let flow = app.authorize("/auth/oidc", None).await;
    let redirect = sign_in(
        &flow.authorization_url,
        "alice@example.com",
        "provider-password",
    )
    .await;
    let other = app.authorize("/auth/oidc", None).await;
    for csrf in [None, Some(other.csrf.as_str()), Some("")] {
        let answer = app.callback(&redirect, csrf, None).await;
        assert_eq!(
            (answer.status, answer.body),
            (StatusCode::BAD_REQUEST, detail("OAUTH_INVALID_STATE"))
        );
        assert!(cookie_value(&answer.set_cookies, "fastapiusersauth").is_none());
    }
    assert_eq!(
        app.users.store().count().await.expect("count"),
        0,
        "no user"
    );
}

/// SEC-OAUTH-02: a finished flow's code, state and cookie, replayed, are refused (the state
/// is single-use; the first callback also cleared the cookie).
async fn replay_is_refused<P: Into<DbPool>>(pool: P) {
    let Some(app) = start(pool, Knobs::default()).await else {
        return;
    };
    let flow = app.authorize("/auth/oidc", None).await;
    let redirect = sign_in(
        &flow.authorization_url,
        "alice@example.com",
        "provider-password",
    )
    .await;
    let answer = app.callback(&redirect, Some(&flow.csrf), None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let replay = app.callback(&redirect, Some(&flow.csrf), None).await;
    assert_eq!(
        (replay.status, replay.body),
        (StatusCode::BAD_REQUEST, detail("OAUTH_INVALID_STATE"))
    );
    assert_eq!(app.users.store().count().await.expect("count"), 1);
}

/// SEC-OAUTH-06: a cross-site top-level GET to the callback without the flow's cookie, or a
/// provider that bounces straight back (an `error`, no `code`), issues no credential.
async fn bounced_callbacks_issue_nothing<P: Into<DbPool>>(pool: P) {
    let Some(app) = start(pool, Knobs::default()).await else {
        return;
    };
    let flow = app.authorize("/auth/oidc", None).await;
    let redirect = sign_in(
        &flow.authorization_url,
        "alice@example.com",
        "provider-password",
    )
    .await;
    let cross_site = read(
        app.http
            .get(&redirect)
            .header("sec-fetch-site", "cross-site")
            .header("referer", "https://evil.example/")
            .send()
            .await
            .expect("callback"),
    )
    .await;
    assert_eq!(
        (cross_site.status, cross_site.body),
        (StatusCode::BAD_REQUEST, detail("OAUTH_INVALID_STATE"))
    );
    assert!(cookie_value(&cross_site.set_cookies, "fastapiusersauth").is_none());
    // The provider's refusal is passed on as FastAPI Users does; no code is a 400.
    let bounced = app.authorize("/auth/oidc", None).await;
    let denied = common::oidc::deny(&bounced.authorization_url).await;
    let answer = app.callback(&denied, Some(&bounced.csrf), None).await;
    assert_eq!(
        (answer.status, answer.body),
        (StatusCode::BAD_REQUEST, detail("access_denied"))
    );
    let state = query_param(&redirect, "state").expect("state");
    let answer = app
        .callback(
            &app.at(&format!("/auth/oidc/callback?state={state}")),
            Some(&flow.csrf),
            None,
        )
        .await;
    assert_eq!(
        (answer.status, answer.body),
        (StatusCode::BAD_REQUEST, detail("Bad Request"))
    );
    assert_eq!(
        app.users.store().count().await.expect("count"),
        0,
        "no user"
    );
}

/// SEC-OAUTH-03: states signed with another secret, access tokens as states, expired states,
/// a login state on the associate callback and the reverse.
async fn foreign_states<P: Into<DbPool>>(pool: P) {
    let Some(app) = start(pool, Knobs::default()).await else {
        return;
    };
    let forge = |secret: &str, claims: Value| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("encode")
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let csrf = "c".repeat(43);
    let claims = |exp: i64| json!({"csrftoken": csrf, "jti": "j", "aud": "fastapi-users:oauth-state", "exp": exp});
    app.register("henry@example.com").await;
    let access = app.login("henry@example.com").await;
    for (state, expected) in [
        (
            forge("another-secret-another-secret-another", claims(now + 600)),
            "ACCESS_TOKEN_DECODE_ERROR",
        ),
        (access.clone(), "ACCESS_TOKEN_DECODE_ERROR"),
        ("not-a-jwt".to_owned(), "ACCESS_TOKEN_DECODE_ERROR"),
        (
            forge(STATE_SECRET, claims(now - 120)),
            "ACCESS_TOKEN_ALREADY_EXPIRED",
        ),
        // Well signed and fresh, but never issued: no flow to take.
        (
            forge(STATE_SECRET, claims(now + 600)),
            "OAUTH_INVALID_STATE",
        ),
    ] {
        let answer = app
            .callback(
                &app.at(&format!("/auth/oidc/callback?code=x&state={state}")),
                Some(&csrf),
                None,
            )
            .await;
        assert_eq!(
            (answer.status, answer.body),
            (StatusCode::BAD_REQUEST, detail(expected))
        );
    }
    // A login state on the associate callback, and an associate state on the login callback.
    let login_flow = app.authorize("/auth/oidc", None).await;
    let state = query_param(&login_flow.authorization_url, "state").expect("state");
    let answer = app
        .callback(
            &app.at(&format!(
                "/auth/associate/oidc/callback?code=x&state={state}"
            )),
            Some(&login_flow.csrf),
            Some(&access),
        )
        .await;
    assert_eq!(
        (answer.status, answer.body),
        (StatusCode::BAD_REQUEST, detail("Bad Request"))
    );
    let associate_flow = app.authorize("/auth/associate/oidc", Some(&access)).await;
    let state = query_param(&associate_flow.authorization_url, "state").expect("state");
    let answer = app
        .callback(
            &app.at(&format!("/auth/oidc/callback?code=x&state={state}")),
            Some(&associate_flow.csrf),
            None,
        )
        .await;
    assert_eq!(
        (answer.status, answer.body),
        (StatusCode::BAD_REQUEST, detail("OAUTH_INVALID_STATE"))
    );
}

/// SEC-OAUTH-04: the redirect URI sent to the provider is the configured one, whatever the
/// request says.
async fn redirect_uri_from_configuration<P: Into<DbPool>>(pool: P) {
    let Some(app) = start(pool, Knobs::default()).await else {
        return;
    };
    let expected = app.at("/auth/oidc/callback");
    for (query, host) in [
        ("", None),
        ("?redirect_url=https://evil.example", None),
        (
            "?next=//evil.example&redirect_uri=https://evil.example",
            None,
        ),
        (
            "?redirect_url=/%5Cevil.example&next=javascript:alert(1)",
            None,
        ),
        ("", Some("evil.example")),
    ] {
        let mut request = app
            .http
            .get(app.at(&format!("/auth/oidc/authorize{query}")));
        if let Some(host) = host {
            request = request
                .header("host", host)
                .header("x-forwarded-host", host)
                .header("referer", "https://evil.example/");
        }
        let answer = read(request.send().await.expect("authorize")).await;
        assert_eq!(answer.status, StatusCode::OK);
        let url = answer.body["authorization_url"].as_str().expect("url");
        assert_eq!(
            query_param(url, "redirect_uri").as_deref(),
            Some(&*expected)
        );
        assert_eq!(
            query_param(url, "code_challenge_method").as_deref(),
            Some("S256")
        );
        assert!(query_param(url, "nonce").is_some());
    }
}

on_every_database! {
    oauth_new_and_returning_users => new_and_returning_users;
    sec_oauth_05_linking_by_address_needs_opt_in_and_a_verified_address => existing_addresses;
    oauth_inactive_user => inactive_user;
    oauth_accounts_in_user_read => accounts_in_read;
    oauth_hooks_fire_as_in_fastapi_users => hooks_fire;
    sec_oauth_05_an_account_linked_to_one_user_is_not_linked_to_another => associate;
    sec_oauth_01_the_csrf_cookie_must_be_this_browsers => csrf_cookie_must_match;
    sec_oauth_02_a_finished_flow_cannot_be_replayed => replay_is_refused;
    sec_oauth_06_bounced_callbacks_issue_nothing => bounced_callbacks_issue_nothing;
    sec_oauth_03_foreign_states => foreign_states;
    sec_oauth_04_redirect_uri_from_configuration => redirect_uri_from_configuration;
}

/// `examples/full` with `OIDC_ISSUER`, `OIDC_CLIENT_ID` and `OIDC_CLIENT_SECRET` documents
/// and serves `/auth/oidc` and `/auth/associate/oidc`, and signs a user in through the
/// provider (verified, as the example trusts the provider's verification).
#[tokio::test]
async fn the_full_example_signs_in_through_an_openid_provider() {
    let port = common::process::free_port();
    let public = format!("http://127.0.0.1:{port}");
    let client = Client::new(
        "full-example",
        "full-example-secret",
        &format!("{public}/auth/oidc/callback"),
    );
    let Some(provider) = OidcProvider::start(&[client], &accounts()).await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("oauth-full-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let env = [
        (
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.join("app.db").display()),
        ),
        ("JWT_SECRET", SECRET.to_owned()),
        ("OIDC_ISSUER", provider.issuer.clone()),
        ("OIDC_CLIENT_ID", "full-example".to_owned()),
        ("OIDC_CLIENT_SECRET", "full-example-secret".to_owned()),
        ("OAUTH_TOKEN_KEY", "ab".repeat(32)),
        ("ARGON2_MEMORY_KIB", "1024".to_owned()),
        ("ARGON2_ITERATIONS", "1".to_owned()),
        ("ARGON2_PARALLELISM", "1".to_owned()),
    ];
    let app = common::process::App::start_on(port, "full", &env, "/openapi.json").await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let doc: Value = http
        .get(app.at("/openapi.json"))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    for (path, id) in [
        (
            "/auth/oidc/authorize",
            "oauth_oidc_jwt_authorize_auth_oidc_authorize_get",
        ),
        (
            "/auth/oidc/callback",
            "oauth_oidc_jwt_callback_auth_oidc_callback_get",
        ),
        (
            "/auth/associate/oidc/authorize",
            "oauth_associate_oidc_authorize_auth_associate_oidc_authorize_get",
        ),
        (
            "/auth/associate/oidc/callback",
            "oauth_associate_oidc_callback_auth_associate_oidc_callback_get",
        ),
    ] {
        assert_eq!(doc["paths"][path]["get"]["operationId"], id, "{path}");
    }
    let authorize = read(
        http.get(app.at("/auth/oidc/authorize"))
            .send()
            .await
            .expect("authorize"),
    )
    .await;
    assert_eq!(authorize.status, StatusCode::OK);
    let csrf = cookie_value(&authorize.set_cookies, "fastapiusersoauthcsrf").expect("csrf");
    let url = authorize.body["authorization_url"].as_str().expect("url");
    let redirect = sign_in(url, "alice@example.com", "provider-password").await;
    assert!(redirect.starts_with(&public), "{redirect}");
    let signed_in = read(
        http.get(&redirect)
            .header("cookie", format!("fastapiusersoauthcsrf={csrf}"))
            .send()
            .await
            .expect("callback"),
    )
    .await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    let token = signed_in.body["access_token"].as_str().expect("token");
    let me = read(
        http.get(app.at("/users/me"))
            .bearer_auth(token)
            .send()
            .await
            .expect("me"),
    )
    .await;
    assert_eq!(me.body["email"], "alice@example.com");
    assert_eq!(me.body["is_verified"], true);
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}
