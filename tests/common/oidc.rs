//! A real OpenID provider for the social-login tests: the certified `oidc-provider` npm package,
//! run by `tests/oidc/provider.mjs` with Node.js on a free loopback port (plain HTTP), stopped
//! when dropped; and a cookie-keeping "browser" that signs a user in there.
//!
//! Needs `node` (and `npm` the first time, to install `tests/oidc/node_modules` from the
//! lockfile). Without them a test fails under `CI=true` and says it skipped elsewhere.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::LOCATION;
use reqwest::redirect::Policy;

/// How a client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AuthMethod {
    /// HTTP Basic with the client id and secret.
    #[default]
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
}

/// A client (relying party) registered at the provider.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub id: String,
    pub secret: String,
    pub redirect_uri: String,
    pub auth_method: AuthMethod,
}

impl Client {
    /// A client authenticating with HTTP Basic.
    pub fn new(id: &str, secret: &str, redirect_uri: &str) -> Self {
        Self {
            id: id.into(),
            secret: secret.into(),
            redirect_uri: redirect_uri.into(),
            auth_method: AuthMethod::ClientSecretBasic,
        }
    }
}

/// A user of the provider; signs in with its email (or `sub`) and password.
#[derive(Debug, Clone)]
pub struct Account {
    pub sub: String,
    pub email: String,
    pub email_verified: bool,
    pub password: String,
}

/// A running provider; its process ends when this is dropped.
#[derive(Debug)]
pub struct OidcProvider {
    /// `http://127.0.0.1:<port>`, also the base of every endpoint.
    pub issuer: String,
    child: Child,
    log: PathBuf,
}

/// The provider's directory: `tests/oidc` of this crate.
fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("oidc")
}

/// Runs `npm ci` in `dir` unless `node_modules` holds the pinned `oidc-provider`.
fn install(dir: &Path) -> Result<(), String> {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _one_at_a_time = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let version = |path: PathBuf| -> Option<String> {
        let text = std::fs::read_to_string(path).ok()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        Some(
            json.pointer("/dependencies/oidc-provider")?
                .as_str()?
                .to_owned(),
        )
    };
    let pinned =
        version(dir.join("package.json")).ok_or("tests/oidc/package.json is unreadable")?;
    let installed = std::fs::read_to_string(dir.join("node_modules/oidc-provider/package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| json["version"].as_str().map(str::to_owned));
    if installed.as_deref() == Some(pinned.as_str()) {
        return Ok(());
    }
    eprintln!("installing oidc-provider {pinned} with npm ci in tests/oidc");
    let output = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "npm ci failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}

impl OidcProvider {
    /// Starts a provider with these clients and accounts, or `None` (after saying the test
    /// skipped) when Node.js or the npm packages cannot be had outside CI.
    pub async fn start(clients: &[Client], accounts: &[Account]) -> Option<Self> {
        let what = "OpenID provider (Node.js)";
        if let Err(e) = Command::new("node").arg("--version").output() {
            super::unavailable(what, &format!("cannot run node: {e}"));
            return None;
        }
        let dir = fixture_dir();
        if let Err(why) = install(&dir) {
            super::unavailable(what, &why);
            return None;
        }
        let config = serde_json::json!({
            "port": 0,
            "clients": clients.iter().map(|c| serde_json::json!({
                "client_id": c.id,
                "client_secret": c.secret,
                "redirect_uris": [c.redirect_uri],
                "token_endpoint_auth_method": match c.auth_method {
                    AuthMethod::ClientSecretBasic => "client_secret_basic",
                    AuthMethod::ClientSecretPost => "client_secret_post",
                },
            })).collect::<Vec<_>>(),
            "accounts": accounts.iter().map(|a| serde_json::json!({
                "sub": a.sub,
                "email": a.email,
                "email_verified": a.email_verified,
                "password": a.password,
            })).collect::<Vec<_>>(),
        });
        let log = std::env::temp_dir().join(format!(
            "axum-users-oidc-provider-{}.log",
            uuid::Uuid::new_v4().simple()
        ));
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(&dir)
            .env("OIDC_PROVIDER_CONFIG", config.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("provider log file"))
            .spawn()
            .expect("start node tests/oidc/provider.mjs");
        let stdout = child.stdout.take().expect("provider stdout");
        let (ready, issuer) = tokio::sync::oneshot::channel();
        // Reads the READY line, then drains the rest so the provider never blocks on stdout.
        std::thread::spawn(move || {
            let mut ready = Some(ready);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(issuer) = line.strip_prefix("READY ")
                    && let Some(ready) = ready.take()
                {
                    let _ = ready.send(issuer.trim().to_owned());
                }
            }
        });
        let mut provider = Self {
            issuer: String::new(),
            child,
            log,
        };
        match tokio::time::timeout(Duration::from_secs(30), issuer).await {
            Ok(Ok(issuer)) => provider.issuer = issuer,
            Ok(Err(_)) => panic!("the OpenID provider exited:\n{}", provider.stderr()),
            Err(_) => panic!("the OpenID provider did not start:\n{}", provider.stderr()),
        }
        Some(provider)
    }

    /// What the provider wrote to standard error so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `issuer` + `path`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// The provider's discovery document (`/.well-known/openid-configuration`).
    pub async fn discovery(&self) -> serde_json::Value {
        reqwest::get(self.at("/.well-known/openid-configuration"))
            .await
            .expect("fetch the discovery document")
            .error_for_status()
            .expect("discovery document")
            .json()
            .await
            .expect("discovery JSON")
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// The value of query parameter `name` in `url`.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Where a browser ends up: a page of the provider, or a redirect that leaves it.
enum Step {
    Page { url: Url, body: String },
    Left(String),
}

/// A browser at the provider: keeps its cookies, follows no redirect by itself.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("browser client")
}

/// Sends `request` and follows redirects within the provider's origin.
async fn follow(
    browser: &reqwest::Client,
    origin: &reqwest::Url,
    request: reqwest::RequestBuilder,
) -> Step {
    let mut response = request.send().await.expect("request to the provider");
    for _ in 0..20 {
        let url = response.url().clone();
        if !response.status().is_redirection() {
            let body = response.text().await.expect("provider page");
            return Step::Page { url, body };
        }
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .expect("a redirect with a Location");
        let next = url.join(location).expect("a valid Location");
        if next.origin() != origin.origin() {
            return Step::Left(next.to_string());
        }
        response = browser
            .get(next)
            .send()
            .await
            .expect("request to the provider");
    }
    panic!("too many redirects at the provider");
}

/// The value of HTML attribute `name` of the first element that has one (`name="..."`).
fn attribute(html: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("{name}=\""))? + name.len() + 2;
    let end = html[start..].find('"')? + start;
    Some(html_escape::decode_html_entities(&html[start..end]).into_owned())
}

/// Signs in at the provider as a user's browser would: opens `authorization_url`, submits the
/// login form (consent is granted by the provider itself), and returns the URL the provider
/// finally redirects to outside itself (the app's redirect URI with `code` and `state`, or
/// with `error`), without following it. `Err` holds the provider's page when it did not
/// redirect there (a rejected password shows the login form again; an error page).
pub async fn try_sign_in(
    authorization_url: &str,
    login: &str,
    password: &str,
) -> Result<String, String> {
    let start = Url::parse(authorization_url).expect("a valid authorization URL");
    let browser = browser();
    let mut step = follow(&browser, &start, browser.get(start.clone())).await;
    let mut submitted = false;
    loop {
        let (url, body) = match step {
            Step::Left(url) => return Ok(url),
            Step::Page { url, body } => (url, body),
        };
        if submitted || !body.contains("name=\"password\"") {
            return Err(body);
        }
        let action = attribute(&body, "action").ok_or_else(|| body.clone())?;
        let action = url.join(&action).expect("a valid form action");
        let form = browser
            .post(action)
            .form(&[("login", login), ("password", password)]);
        submitted = true;
        step = follow(&browser, &start, form).await;
    }
}

/// [`try_sign_in`] that must reach the app: panics with the provider's page otherwise.
pub async fn sign_in(authorization_url: &str, login: &str, password: &str) -> String {
    try_sign_in(authorization_url, login, password)
        .await
        .unwrap_or_else(|page| panic!("the provider did not redirect to the app:\n{page}"))
}

/// Opens `authorization_url` and cancels at the login form, as a user who declines; returns
/// the URL the provider redirects to (the app's redirect URI with `error=access_denied`).
pub async fn deny(authorization_url: &str) -> String {
    let start = Url::parse(authorization_url).expect("a valid authorization URL");
    let browser = browser();
    let (url, body) = match follow(&browser, &start, browser.get(start.clone())).await {
        Step::Left(url) => return url,
        Step::Page { url, body } => (url, body),
    };
    let abort = attribute(&body, "href")
        .unwrap_or_else(|| panic!("no cancel link on the provider's page:\n{body}"));
    let abort = url.join(&abort).expect("a valid cancel link");
    match follow(&browser, &start, browser.get(abort)).await {
        Step::Left(url) => url,
        Step::Page { body, .. } => panic!("the provider did not redirect to the app:\n{body}"),
    }
}
