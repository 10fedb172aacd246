//! The site's pages: sign up, sign in, a profile to edit, sign out.
//!
//! Pages are rendered on the server; a small script (`/app.js`) sends the forms to the
//! library's routes with `fetch`, as a front end written for FastAPI Users would: JSON to
//! `/auth/register` and `PATCH /users/me`, the login form to `/auth/jwt/login` (which sets
//! the `MusicText` cookie), and `POST /auth/jwt/logout`. The cookie is `HttpOnly`; the script
//! never sees it.
//!
//! Cross-site request forgery: the whole app sits behind [`Users::csrf_layer`], which
//! refuses a write unless the browser says it comes from this origin (`Sec-Fetch-Site`,
//! falling back to `Origin` against `Host`). Nothing changes state on `GET`, and pages carry
//! a `Content-Security-Policy` that allows only this origin's script and no framing.

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_users::prelude::*;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use crate::User;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

const SCRIPT: &str = include_str!("app.js");

/// The pages, to merge into the app (state: the `Users`); `oidc`: the sign-in page offers
/// "Sign in with OpenID", and `/oauth/callback` completes it.
pub fn router(oidc: bool) -> Router<Users<User>> {
    Router::new()
        .route("/", get(home))
        .route("/signup", get(signup))
        .route("/signin", get(move || signin(oidc)))
        .route("/oauth/callback", get(oauth_callback))
        .route("/profile", get(profile))
        .route(
            "/app.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "no-cache"),
                    ],
                    SCRIPT,
                )
            }),
        )
}

fn page(title: &str, body: &str) -> Response {
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Music lyrics</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 32rem; margin: 2rem auto; padding: 0 1rem; }}
label {{ display: block; margin: .75rem 0 .25rem; }}
input, textarea {{ width: 100%; padding: .4rem; box-sizing: border-box; }}
button {{ margin-top: 1rem; padding: .4rem 1rem; }}
.error {{ color: #b00020; }} .ok {{ color: #1b5e20; }}
nav a {{ margin-right: 1rem; }}
</style>
<script src="/app.js" defer></script>
</head>
<body>
<nav><a href="/">Music lyrics</a><a href="/signup">Sign up</a><a href="/signin">Sign in</a><a href="/profile">Profile</a></nav>
<h1>{title}</h1>
{body}
<p id="message" role="status"></p>
</body>
</html>
"#,
        title = text(title),
    );
    (
        [
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        Html(html),
    )
        .into_response()
}

async fn home(user: Option<ActiveUser<User>>) -> Response {
    let body = match user {
        Some(ActiveUser(user)) => format!(
            r#"<p id="greeting">Signed in as <strong>{}</strong>.</p><p><a href="/profile">Edit your profile</a></p>"#,
            text(&user.username)
        ),
        None => r#"<p id="greeting">Not signed in. <a href="/signup">Sign up</a> or <a href="/signin">sign in</a>.</p>"#
            .to_owned(),
    };
    page("Welcome", &body)
}

async fn signup() -> Response {
    page(
        "Sign up",
        r#"<form id="signup-form">
<label for="email">Email</label><input id="email" name="email" type="email" required autocomplete="email">
<label for="username">Username</label><input id="username" name="username" required maxlength="50" autocomplete="username">
<label for="password">Password</label><input id="password" name="password" type="password" required minlength="8" autocomplete="new-password">
<button type="submit">Sign up</button>
</form>"#,
    )
}

async fn signin(oidc: bool) -> Response {
    let form = r#"<form id="signin-form">
<label for="email">Email</label><input id="email" name="username" type="email" required autocomplete="email">
<label for="password">Password</label><input id="password" name="password" type="password" required autocomplete="current-password">
<button type="submit">Sign in</button>
</form>"#;
    let social = if oidc {
        r#"<p><button type="button" id="oidc-signin">Sign in with OpenID</button></p>"#
    } else {
        ""
    };
    page("Sign in", &format!("{form}\n{social}"))
}

/// Where the OpenID provider sends the browser back: the script hands `code` and `state` to
/// `/auth/oidc/callback`, which sets the cookie.
async fn oauth_callback() -> Response {
    page(
        "Signing in",
        r#"<p id="oauth-callback">Completing the sign-in…</p>"#,
    )
}

async fn profile(user: Option<ActiveUser<User>>) -> Response {
    let Some(ActiveUser(user)) = user else {
        return Redirect::to("/signin").into_response();
    };
    let body = format!(
        r#"<p id="signed-in-as">Signed in as <strong id="current-username">{username_text}</strong> ({email}).</p>
<form id="profile-form">
<label for="username">Username</label><input id="username" name="username" required maxlength="50" value="{username}">
<label for="description">About you</label><textarea id="description" name="description" maxlength="1000" rows="4">{description}</textarea>
<button type="submit">Save</button>
</form>
<form id="signout-form"><button type="submit" id="signout">Sign out</button></form>"#,
        username_text = text(&user.username),
        email = text(&user.email),
        username = attr(&user.username),
        description = text(user.description.as_deref().unwrap_or("")),
    );
    page("Your profile", &body)
}
