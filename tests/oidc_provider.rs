//! The OpenID provider fixture itself (tests/common/oidc.rs, tests/oidc/provider.mjs): a user
//! signs in through the authorization code flow with PKCE, and the code is exchanged for an
//! ID token that carries the account's claims.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::oidc::{self, Account, AuthMethod, Client, OidcProvider};
use sha2::{Digest, Sha256};

const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";
const VERIFIER: &str = "a-code-verifier-of-at-least-43-characters-0123456789";

fn client() -> Client {
    Client::new("app", "app-secret", REDIRECT_URI)
}

fn account() -> Account {
    Account {
        sub: "user-1".into(),
        email: "ann@example.com".into(),
        email_verified: true,
        password: "correct horse".into(),
    }
}

/// An authorization URL for `client`, with PKCE unless `challenge` is false.
fn authorization_url(provider: &OidcProvider, client: &Client, challenge: bool) -> String {
    let mut url = reqwest::Url::parse(&provider.at("/auth")).expect("authorization URL");
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.id)
        .append_pair("redirect_uri", &client.redirect_uri)
        .append_pair("scope", "openid email")
        .append_pair("state", "xyz")
        .append_pair("nonce", "n1");
    if challenge {
        let s256 = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
        url.query_pairs_mut()
            .append_pair("code_challenge", &s256)
            .append_pair("code_challenge_method", "S256");
    }
    url.to_string()
}

/// Exchanges `code` at the token endpoint; the response's status and JSON body.
async fn exchange(
    provider: &OidcProvider,
    client: &Client,
    code: &str,
    verifier: Option<&str>,
) -> (u16, serde_json::Value) {
    let discovery = provider.discovery().await;
    let token_endpoint = discovery["token_endpoint"]
        .as_str()
        .expect("token_endpoint in the discovery document");
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &client.redirect_uri),
    ];
    if let Some(verifier) = verifier {
        form.push(("code_verifier", verifier));
    }
    let mut request = reqwest::Client::new().post(token_endpoint);
    match client.auth_method {
        AuthMethod::ClientSecretBasic => {
            request = request.basic_auth(&client.id, Some(&client.secret));
        }
        AuthMethod::ClientSecretPost => {
            form.push(("client_id", &client.id));
            form.push(("client_secret", &client.secret));
        }
    }
    let response = request.form(&form).send().await.expect("token request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("token response JSON"))
}

/// The decoded payload (claims) of a JWT.
fn jwt_part(jwt: &str, index: usize) -> serde_json::Value {
    let part = jwt.split('.').nth(index).expect("a JWT of three parts");
    let bytes = URL_SAFE_NO_PAD.decode(part).expect("base64url JWT part");
    serde_json::from_slice(&bytes).expect("JSON JWT part")
}

#[tokio::test]
async fn sign_in_and_exchange_the_code_for_an_id_token() {
    let basic = client();
    let post = Client {
        id: "post-app".into(),
        secret: "post-secret".into(),
        redirect_uri: "http://127.0.0.1:9/post-callback".into(),
        auth_method: AuthMethod::ClientSecretPost,
    };
    let Some(provider) = OidcProvider::start(&[basic.clone(), post.clone()], &[account()]).await
    else {
        return;
    };
    assert!(provider.issuer.starts_with("http://127.0.0.1:"));
    let discovery = provider.discovery().await;
    assert_eq!(discovery["issuer"], provider.issuer.as_str());
    assert_eq!(discovery["code_challenge_methods_supported"][0], "S256");

    for client in [&basic, &post] {
        let url = authorization_url(&provider, client, true);
        let back = oidc::sign_in(&url, "ann@example.com", "correct horse").await;
        assert!(
            back.starts_with(&format!("{}?", client.redirect_uri)),
            "{back}"
        );
        assert_eq!(oidc::query_param(&back, "state").as_deref(), Some("xyz"));
        let code = oidc::query_param(&back, "code").expect("a code");

        let (status, tokens) = exchange(&provider, client, &code, Some(VERIFIER)).await;
        assert_eq!(status, 200, "{tokens}");
        let id_token = tokens["id_token"].as_str().expect("an id_token");
        assert_eq!(jwt_part(id_token, 0)["alg"], "RS256");
        let claims = jwt_part(id_token, 1);
        assert_eq!(claims["iss"], provider.issuer.as_str());
        assert_eq!(claims["aud"], client.id.as_str());
        assert_eq!(claims["sub"], "user-1");
        assert_eq!(claims["email"], "ann@example.com");
        assert_eq!(claims["email_verified"], true);
        assert_eq!(claims["nonce"], "n1");

        // The access token reads the same claims from userinfo.
        let access_token = tokens["access_token"].as_str().expect("an access_token");
        let userinfo: serde_json::Value = reqwest::Client::new()
            .get(discovery["userinfo_endpoint"].as_str().expect("userinfo"))
            .bearer_auth(access_token)
            .send()
            .await
            .expect("userinfo request")
            .json()
            .await
            .expect("userinfo JSON");
        assert_eq!(userinfo["sub"], "user-1");
        assert_eq!(userinfo["email"], "ann@example.com");

        // A code is good once.
        let (status, again) = exchange(&provider, client, &code, Some(VERIFIER)).await;
        assert_eq!((status, &again["error"]), (400, &"invalid_grant".into()));
    }
}

#[tokio::test]
async fn a_wrong_password_yields_no_code_and_cancelling_yields_access_denied() {
    let client = client();
    let Some(provider) = OidcProvider::start(std::slice::from_ref(&client), &[account()]).await
    else {
        return;
    };
    let url = authorization_url(&provider, &client, true);

    let page = oidc::try_sign_in(&url, "ann@example.com", "wrong")
        .await
        .expect_err("a wrong password must not leave the provider");
    assert!(page.contains("Invalid login or password"), "{page}");
    let page = oidc::try_sign_in(&url, "nobody@example.com", "correct horse")
        .await
        .expect_err("an unknown user must not leave the provider");
    assert!(page.contains("Invalid login or password"), "{page}");

    let back = oidc::deny(&url).await;
    assert!(back.starts_with(REDIRECT_URI), "{back}");
    assert_eq!(
        oidc::query_param(&back, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(oidc::query_param(&back, "state").as_deref(), Some("xyz"));
    assert_eq!(oidc::query_param(&back, "code"), None);

    // Signing in by `sub` works too.
    let back = oidc::sign_in(&url, "user-1", "correct horse").await;
    assert!(oidc::query_param(&back, "code").is_some(), "{back}");
}

#[tokio::test]
async fn pkce_is_required() {
    let client = client();
    let Some(provider) = OidcProvider::start(std::slice::from_ref(&client), &[account()]).await
    else {
        return;
    };
    // No code_challenge: refused before any sign-in.
    let back = oidc::sign_in(
        &authorization_url(&provider, &client, false),
        "ann@example.com",
        "correct horse",
    )
    .await;
    assert_eq!(
        oidc::query_param(&back, "error").as_deref(),
        Some("invalid_request"),
        "{back}"
    );

    // A code issued with a challenge needs its verifier.
    let back = oidc::sign_in(
        &authorization_url(&provider, &client, true),
        "ann@example.com",
        "correct horse",
    )
    .await;
    let code = oidc::query_param(&back, "code").expect("a code");
    let (status, body) = exchange(&provider, &client, &code, None).await;
    assert_eq!((status, &body["error"]), (400, &"invalid_grant".into()));
}
