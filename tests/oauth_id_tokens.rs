//! SEC-OAUTH-07: an OpenID provider that misbehaves on purpose. A fake provider on loopback
//! (discovery, JWKS, `/authorize`, `/token`, `/userinfo`) issues, per the mode the test sets,
//! a good ID token or one with a wrong `aud` or `iss`, an untrusted extra audience, a missing
//! or wrong `nonce`, an expired `exp`, `alg: none`, a signature by another key or by an
//! unknown key id, an HS256 MAC under the client secret, a tampered payload, a wrong
//! `at_hash`, no ID token at all, or the ID token of an earlier flow (same `jti`, same
//! `nonce`). Each bad token is refused with 400 `{"detail":"Bad Request"}`: no user, no
//! credential, never a 5xx. A token endpoint that fails is a 502; one that refuses the code
//! is a 400. The fake checks PKCE (S256), the client's credentials and the redirect URI, so
//! a refusal always comes from the ID token and never from a broken exchange.

mod common;

use std::collections::HashMap;
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
use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::Jwk};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const STATE_SECRET: &str = "oauth-state-secret-oauth-state-secret";
const CLIENT_ID: &str = "client";
const CLIENT_SECRET: &str = "client-secret";
/// The key id of the provider's one published key.
const KID: &str = "fake-provider-key-1";

/// TEST-ONLY RSA key of the fake provider (`openssl genpkey -algorithm RSA -pkeyopt
/// rsa_keygen_bits:2048`); its public half is the JWKS.
const PROVIDER_KEY: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCUK11j+JFD6blu\n\
nTokjyEVW87L7C4JPJN875CQ/xT/PDb+C9cEO78lKRoeqEf+MCAQyl179UoLmHWF\n\
515U6rEW96ID/mLY07ccc9Sc7YkT+35uHYKTkQ2aHEtOjuFR29Cp5YSGY/eme3rn\n\
hfImt+meCjlrZkYhR/992Sp/DOU4LOUAJaVxJ3bFXiaYBZhYx3lCoWeNawdCIe9b\n\
O8HItwvY6YWIVsu4SiFUlU0SqtczC2wrcsrmJ1rqJBJQFNZUzzuSpFCq6qSTqAWG\n\
FRX3KW+V9wXay4nDlzYBWD9sKp8vHnJFjpS/NHLXFupps5uSWloLVJJCfu+Vc74v\n\
HF9Q9IklAgMBAAECggEAIcC4K1IgO12Gk6Nm75WYVn59vxf8C7gcLAGBx/oHvTXp\n\
HBmz3z/CBRPWIqY4kjfB0jlbLuX7emU+XmTMqSD2evIp2umL+HNQOv/K7v2wdJgd\n\
nrWDvZx1QgZQhGKJgwWFRPKnLBshOvBVmOC7PyU1p34SQvw/HQ1C7xb1tpAINnGw\n\
7eVJkCQ8AeTkgRzobyQ80ncFN7t41cmg6pPvVAGX5SwWU3n17HkMSsR3mZnYcuE9\n\
AS4kWFDMiS3bdVd6cwc4dXjRFrA5jTvGXkBjWeoxzuoNqI0HaZv2QKJTF8bT8+xQ\n\
lfLTWuHxHnK5A1QOxTS/ncVDviAMJq400QuBiFIu4QKBgQDHbSZei+kYIzQGNMdp\n\
2lseAVYwFmUFhHDW3pg9ejc53STF4Tqm8hGVGq9XNHdzTjxZ6mPch39xFAMAPbhx\n\
DCCiDiAQsfxchVNLIH+8gOjRoaHCMInMVnvkS88JTRIsaDAt7KZc03EHNamAjOut\n\
CNkcr36SMfw5MT2KAYq9YfSIRQKBgQC+M82bAWLfzcBEk9T8Ios0nSbRX2h1Uc8B\n\
jGmpoRiZFnAEs1gVqO3YHr2eahDNgYV4w3iyXwfbQutZaSIEIDTlK1g6EKHD1y3J\n\
4FWAyw8hMPkzwkkuv2d7fMseT3PzyV+7bZ5avnnT0inXCjvPFYFy0N2eKZesxaWD\n\
S/hhGyE7YQKBgQCX2k4gKisYvR2NKD08Jg/BvkTRowvTcrC1fJOyJFDPF8w7fTA7\n\
FRI8VjBzl7jpLQaZdPgLYYWyJgnO8jByrEhg/Z5+9/hwvvjYuOtrL0GY9pmEk48p\n\
8CSwhuUkcPJIrCEbpxpajop/ceYaw7Nlc9pWlG8thTBIoGz6nAf4AxG/fQKBgADE\n\
JKfjMYrFQWkFT25UlUr49xcQ01LlqXfQIPzV8Utsk7bxIgG0VIDyXsEsnDS3uNnr\n\
r6jISTfQ5THPApwRpSTnL8vMFVq8myqdBLsoFj+D+v0CY1kU3E3bCtZsa4Mn5ILU\n\
xjaHXeZEinabS/Jhm8vim4HvmPTRNwF4ZN+/RDsBAoGAUs1Pm63THbP5qE9z/Llx\n\
zgszhK4nfBtgMjAkoKVMMDHGqdtWyxJJgG7CEzawvSo4lRB02YWw5R7wiFfFwcGy\n\
/4N+xz4jdKny+1PuS923GBcM4cn4P8qagVgI7duxq/Y3sqxCdXulIVdaPYqLFA9l\n\
u3xDkqXjoqiUi0jXSAQiMNM=\n\
-----END PRIVATE KEY-----\n";

/// TEST-ONLY RSA key that the provider does not publish (an attacker's).
const OTHER_KEY: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDI0lmU6sb/isaK\n\
qggL0BPVP4MCVaC2tYatsOF2g/u3PfhRdSwdIMOZZDkIfSaG51dg63jKoBGoI95U\n\
DuKThXjSuGshYCaebYrXG+R155H+1VPPlu1rAqgevmnh9D8oC/BDmgqh9Ip5jAAZ\n\
BoOX4fUwhrM2AEhht2jl7hXh+RPulVUFi8FBA9q8A9tL6nCbq+uynLX1UtOnK1L8\n\
UnRpmkoICXq8yYF7IJOoCqDyUeFn4Bwxv0hFJqW3dJYG5gewCERMYqM7oBgOmo3Y\n\
98Z5xDL/Per8FdHrlBh1zB+ccI2jswlMPKKu1Z+WDaFcboivpY5FD/fxJr8cZvtw\n\
EBtCpytlAgMBAAECggEAWBSOrva0lnN/NmVyRwAaGs+S/gyhg1GmAvuQQCOOXWYk\n\
SlIKqbHrqJUhQLxnkAbat8s/vRus8uLcimDG9u41OrMhZc+e0KD6IvP8ZcxOKAfY\n\
DTZE5skRBP7+QNkYdE+cL4JaRIOV0s7ZYiCNyimUmZaS9s3z8Uv5CdQ9q9HL8Lmt\n\
syG/eN1jtdJYCFA0MLXL9Z5GFIUSJhaBDbzpiXlOa3CP6o/pqCvhoWSepMMsifSZ\n\
1ONtURCuJwm7IqIdmA/A6iY6pjatgjVb7G5HGgMs81Ns+2sOl4k2KA/f8fcqlWl/\n\
9MfarN6Ua582JrjvO9+uaiIe5c0iejPBoWhW2i85VwKBgQD8peF29DqyVO3lQXT+\n\
1a6Yy463flVNofD7oETRSZB/XvBJNOqaKMakaLY4Nb1UmRTQ30E9xqUj84PvJ++L\n\
tbe5Ee3o4tVDefUyXyB47pDU4Ta9JMnxgxCS8rG06Lvzy4nhOstQx0KdzigkXykv\n\
VJsh67lCdOKi5bsO0bVpiWvBtwKBgQDLfHDs6Ps4909VzmTtmXWbgojQyr3STKF8\n\
RMA6UdsLcysAnhsvzGLZ7aVI3zDZOr49ZvTGTzuLIM8WfLxaOy7mxkZ2eEpD3gK9\n\
lRnEuxlxRQ4y4PasHHCkuI+9mLJmlbv3DRpG6+MPlVudnOAfjXewY27zb8VEiqdP\n\
/IOGsr5LwwKBgFCENQSJ9SLcOiyz3atRQiFjzgngcyMYlwo6G3Rvc2OESCOsf4+9\n\
qwC+dkQXrE0HtECUxeAALKT2eHeBTLBDq1eJxT5Q/BJTDbeN5XVk4jdVxvIkhU84\n\
q9GJEuVKvouFtF1ZNW568loEV3qv8RoqZn4694GcapXrjN++KYiGyRalAoGBAITL\n\
LCLflHtDoemcbO9F86NN151ygdhJHCWt9Eja/HkHaqvXgmR6HJSd6vyYcxeAp4AI\n\
vXrhYDlWau8A7iZwcxY1lOxhag3KR72THSLu+xaZez+m4jPFx5knvN59VQdvdiAu\n\
09Quwpp73TMJmpXcy5w398M0UOd/GNsxLmBsK5XjAoGADfU2C+yCI5+yFt8Y84zZ\n\
L4hSIPRAt73L1eU+SDNkMvSRbitveHKj8ZGeteqAYiQ6nZOrLgYLK9SaDu/3gn2/\n\
NLw1oSho3Alq7Kby2LTu/gjnLPtATWkZKuEtj6BBoskQYHz/Z2DcEQdG1/Sc5YPx\n\
jQkk4lbZ5s8rVLwsQT5P894=\n\
-----END PRIVATE KEY-----\n";

/// What the fake provider does at its token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A correct ID token.
    Good,
    /// `aud` is another client.
    WrongAud,
    /// `aud` names this client and an untrusted other one.
    ExtraAud,
    /// `aud` is this client, but `azp` (the party it was issued to) is another.
    WrongAzp,
    /// `iss` is another issuer.
    WrongIss,
    /// No `nonce` claim.
    MissingNonce,
    /// The `nonce` of no flow.
    WrongNonce,
    /// `exp` an hour ago.
    Expired,
    /// `{"alg":"none"}` and an empty signature.
    AlgNone,
    /// RS256 by a key the provider does not publish, under the published key id.
    OtherKey,
    /// RS256 by the published key, under a key id the JWKS does not hold.
    UnknownKid,
    /// HS256 with the client secret as the MAC key (the provider advertises RS256 only).
    Hs256ClientSecret,
    /// A good token whose payload was changed afterwards (the signature kept).
    TamperedPayload,
    /// `at_hash` of another access token.
    WrongAtHash,
    /// A token answer without `id_token`.
    NoIdToken,
    /// The ID token issued for the previous flow (its `jti` and `nonce`), sent again.
    Replay,
    /// The token endpoint fails: 500 with a text body.
    Fail500Text,
    /// The token endpoint fails: 500 with an OAuth-style JSON error body.
    Fail500Json,
    /// The token endpoint fails: 503 with an empty body.
    Fail503Empty,
    /// The token endpoint answers 200 with something that is not a token answer.
    Garbage,
    /// The token endpoint refuses the code: 400 `{"error":"invalid_grant"}`.
    InvalidGrant,
}

/// The ID token modes that must be refused as a bad identity.
const BAD_ID_TOKENS: &[Mode] = &[
    Mode::WrongAud,
    Mode::ExtraAud,
    Mode::WrongAzp,
    Mode::WrongIss,
    Mode::MissingNonce,
    Mode::WrongNonce,
    Mode::Expired,
    Mode::AlgNone,
    Mode::OtherKey,
    Mode::UnknownKid,
    Mode::Hs256ClientSecret,
    Mode::TamperedPayload,
    Mode::WrongAtHash,
    Mode::NoIdToken,
];

/// What `/authorize` saw, keyed by the code it handed out.
struct Authorization {
    nonce: Option<String>,
    challenge: Option<String>,
    challenge_method: Option<String>,
    redirect_uri: String,
}

struct FakeState {
    mode: Mode,
    /// The account the next token answer is about.
    sub: String,
    email: String,
    codes: HashMap<String, Authorization>,
    /// The last ID token issued (for [`Mode::Replay`]).
    last_id_token: Option<String>,
    /// How many code exchanges reached the token endpoint.
    exchanges: usize,
    /// Anything the app did wrong towards the provider (checked empty by the tests).
    problems: Vec<String>,
}

/// A fake OpenID provider on loopback.
#[derive(Clone)]
struct FakeProvider {
    issuer: String,
    state: Arc<Mutex<FakeState>>,
    key: EncodingKey,
    other_key: EncodingKey,
    jwk: Value,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The S256 code challenge of `verifier` (RFC 7636).
fn s256(verifier: &str) -> String {
    b64(&Sha256::digest(verifier.as_bytes()))
}

/// The `at_hash` of an access token for RS256: the left half of its SHA-256.
fn at_hash(access_token: &str) -> String {
    b64(&Sha256::digest(access_token.as_bytes())[..16])
}

fn oauth_error(status: AxumStatus, error: &str) -> Response {
    (status, axum::Json(json!({ "error": error }))).into_response()
}

impl FakeProvider {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake provider");
        let issuer = format!("http://{}", listener.local_addr().expect("addr"));
        let key = EncodingKey::from_rsa_pem(PROVIDER_KEY.as_bytes()).expect("provider key");
        let other_key = EncodingKey::from_rsa_pem(OTHER_KEY.as_bytes()).expect("other key");
        let mut jwk =
            serde_json::to_value(Jwk::from_encoding_key(&key, Algorithm::RS256).expect("jwk"))
                .expect("jwk JSON");
        jwk["kid"] = json!(KID);
        jwk["use"] = json!("sig");
        let fake = Self {
            issuer,
            state: Arc::new(Mutex::new(FakeState {
                mode: Mode::Good,
                sub: "sub-nobody".into(),
                email: "nobody@example.com".into(),
                codes: HashMap::new(),
                last_id_token: None,
                exchanges: 0,
                problems: Vec::new(),
            })),
            key,
            other_key,
            jwk,
        };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .with_state(fake.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake provider");
        });
        fake
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.state.lock().expect("fake provider state")
    }

    /// The next token answer: `mode`, about the account `sub` with address `email`.
    fn set(&self, mode: Mode, sub: &str, email: &str) {
        let mut state = self.lock();
        state.mode = mode;
        state.sub = sub.into();
        state.email = email.into();
    }

    fn exchanges(&self) -> usize {
        self.lock().exchanges
    }

    fn problems(&self) -> Vec<String> {
        self.lock().problems.clone()
    }

    fn sign(&self, header: &Header, claims: &Value, key: &EncodingKey) -> String {
        jsonwebtoken::encode(header, claims, key).expect("sign the ID token")
    }

    /// The ID token of `mode` for a flow sent with `nonce`, next to `access_token`.
    fn id_token(
        &self,
        mode: Mode,
        nonce: Option<&str>,
        sub: &str,
        email: &str,
        access_token: &str,
    ) -> String {
        let now = now();
        let mut claims = json!({
            "iss": self.issuer,
            "sub": sub,
            "aud": CLIENT_ID,
            "exp": now + 600,
            "iat": now,
            "auth_time": now,
            "jti": uuid::Uuid::new_v4().to_string(),
            "email": email,
            "email_verified": true,
            "at_hash": at_hash(access_token),
        });
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        let mut rs256 = Header::new(Algorithm::RS256);
        rs256.kid = Some(KID.into());
        let mut key = &self.key;
        match mode {
            Mode::WrongAud => claims["aud"] = json!("another-client"),
            Mode::ExtraAud => claims["aud"] = json!([CLIENT_ID, "another-client"]),
            Mode::WrongAzp => claims["azp"] = json!("another-client"),
            Mode::WrongIss => claims["iss"] = json!("https://evil.example"),
            Mode::MissingNonce => {
                claims
                    .as_object_mut()
                    .expect("claims object")
                    .remove("nonce");
            }
            Mode::WrongNonce => claims["nonce"] = json!("a-nonce-this-client-never-sent"),
            Mode::Expired => {
                claims["iat"] = json!(now - 7200);
                claims["auth_time"] = json!(now - 7200);
                claims["exp"] = json!(now - 3600);
            }
            Mode::AlgNone => {
                let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
                let payload = b64(claims.to_string().as_bytes());
                return format!("{header}.{payload}.");
            }
            Mode::OtherKey => key = &self.other_key,
            Mode::UnknownKid => rs256.kid = Some("a-key-id-the-jwks-does-not-hold".into()),
            Mode::Hs256ClientSecret => {
                return self.sign(
                    &Header::new(Algorithm::HS256),
                    &claims,
                    &EncodingKey::from_secret(CLIENT_SECRET.as_bytes()),
                );
            }
            Mode::TamperedPayload => {
                let signed = self.sign(&rs256, &claims, key);
                let mut parts: Vec<&str> = signed.split('.').collect();
                claims["sub"] = json!("sub-admin");
                claims["email"] = json!("admin@example.com");
                let payload = b64(claims.to_string().as_bytes());
                parts[1] = &payload;
                return parts.join(".");
            }
            Mode::WrongAtHash => claims["at_hash"] = json!(at_hash("another-access-token")),
            _ => {}
        }
        self.sign(&rs256, &claims, key)
    }
}

async fn discovery(State(fake): State<FakeProvider>) -> axum::Json<Value> {
    let issuer = &fake.issuer;
    axum::Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn jwks(State(fake): State<FakeProvider>) -> axum::Json<Value> {
    axum::Json(json!({ "keys": [fake.jwk] }))
}

/// Records the flow and sends the browser straight back with a code.
async fn authorize(
    State(fake): State<FakeProvider>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut state = fake.lock();
    if query.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || query.get("response_type").map(String::as_str) != Some("code")
    {
        state
            .problems
            .push(format!("a bad authorization request: {query:?}"));
        return oauth_error(AxumStatus::BAD_REQUEST, "invalid_request");
    }
    let Some(redirect_uri) = query.get("redirect_uri") else {
        state.problems.push("no redirect_uri".into());
        return oauth_error(AxumStatus::BAD_REQUEST, "invalid_request");
    };
    let code = uuid::Uuid::new_v4().simple().to_string();
    state.codes.insert(
        code.clone(),
        Authorization {
            nonce: query.get("nonce").cloned(),
            challenge: query.get("code_challenge").cloned(),
            challenge_method: query.get("code_challenge_method").cloned(),
            redirect_uri: redirect_uri.clone(),
        },
    );
    let mut location = reqwest::Url::parse(redirect_uri).expect("redirect_uri is a URL");
    location
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", query.get("state").map_or("", String::as_str));
    (
        AxumStatus::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

/// The fields of an `application/x-www-form-urlencoded` body.
fn form_fields(body: &[u8]) -> HashMap<String, String> {
    let mut url = reqwest::Url::parse("http://form.invalid/").expect("URL");
    url.set_query(Some(&String::from_utf8_lossy(body)));
    url.query_pairs().into_owned().collect()
}

/// Whether the request authenticates the client, by HTTP Basic or in the form.
fn client_authenticated(headers: &HeaderMap, form: &HashMap<String, String>) -> bool {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| STANDARD.decode(v).ok())
        .is_some_and(|v| v == format!("{CLIENT_ID}:{CLIENT_SECRET}").as_bytes());
    let posted = form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET);
    basic || posted
}

/// Exchanges a code: checks the client, the redirect URI and the PKCE verifier, then answers
/// as the mode says.
async fn token(State(fake): State<FakeProvider>, headers: HeaderMap, body: Bytes) -> Response {
    let form = form_fields(&body);
    let mut state = fake.lock();
    state.exchanges += 1;
    if !client_authenticated(&headers, &form) {
        state
            .problems
            .push("the client did not authenticate".into());
        return oauth_error(AxumStatus::UNAUTHORIZED, "invalid_client");
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        state.problems.push(format!("grant_type: {form:?}"));
        return oauth_error(AxumStatus::BAD_REQUEST, "unsupported_grant_type");
    }
    let Some(flow) = form.get("code").and_then(|code| state.codes.remove(code)) else {
        state.problems.push("an unknown or reused code".into());
        return oauth_error(AxumStatus::BAD_REQUEST, "invalid_grant");
    };
    if form.get("redirect_uri") != Some(&flow.redirect_uri) {
        state.problems.push("the redirect URI changed".into());
        return oauth_error(AxumStatus::BAD_REQUEST, "invalid_grant");
    }
    let verifier_ok = flow.challenge_method.as_deref() == Some("S256")
        && form
            .get("code_verifier")
            .zip(flow.challenge.as_ref())
            .is_some_and(|(verifier, challenge)| s256(verifier) == *challenge);
    if !verifier_ok {
        state
            .problems
            .push("the PKCE verifier does not match".into());
        return oauth_error(AxumStatus::BAD_REQUEST, "invalid_grant");
    }
    let mode = state.mode;
    match mode {
        Mode::Fail500Text => {
            return (AxumStatus::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
        }
        Mode::Fail500Json => {
            return oauth_error(AxumStatus::INTERNAL_SERVER_ERROR, "server_error");
        }
        Mode::Fail503Empty => return AxumStatus::SERVICE_UNAVAILABLE.into_response(),
        Mode::Garbage => return (AxumStatus::OK, "<html>maintenance</html>").into_response(),
        Mode::InvalidGrant => return oauth_error(AxumStatus::BAD_REQUEST, "invalid_grant"),
        _ => {}
    }
    let access_token = format!("at-{}", uuid::Uuid::new_v4().simple());
    let mut answer = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": 3600,
    });
    let id_token = match mode {
        Mode::NoIdToken => None,
        Mode::Replay => Some(state.last_id_token.clone().expect("an earlier ID token")),
        _ => Some(fake.id_token(
            mode,
            flow.nonce.as_deref(),
            &state.sub,
            &state.email,
            &access_token,
        )),
    };
    if let Some(id_token) = id_token {
        state.last_id_token = Some(id_token.clone());
        answer["id_token"] = json!(id_token);
    }
    (
        AxumStatus::OK,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(answer),
    )
        .into_response()
}

async fn userinfo(State(fake): State<FakeProvider>) -> axum::Json<Value> {
    let state = fake.lock();
    axum::Json(json!({ "sub": state.sub, "email": state.email, "email_verified": true }))
}

/// A listener that accepts connections and closes them without a word.
async fn closing_listener() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            drop(stream);
        }
    });
    url
}

/// A fake provider whose discovery points the token endpoint at `token_endpoint`.
async fn provider_with_token_endpoint(token_endpoint: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let issuer = format!("http://{}", listener.local_addr().expect("addr"));
    let document = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": token_endpoint,
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { axum::Json(document) }),
        )
        .route("/jwks", get(|| async { axum::Json(json!({ "keys": [] })) }))
        .route(
            "/authorize",
            get(|Query(query): Query<HashMap<String, String>>| async move {
                let mut location =
                    reqwest::Url::parse(&query["redirect_uri"]).expect("redirect_uri");
                location
                    .query_pairs_mut()
                    .append_pair("code", "a-code")
                    .append_pair("state", &query["state"]);
                (
                    AxumStatus::FOUND,
                    [(header::LOCATION, location.to_string())],
                )
            }),
        );
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("fake provider");
    });
    issuer
}

/// The app under test: the full example's routers plus `/auth/fake` (login through the
/// `jwt` backend with the fake provider) and `/auth/down` (a provider whose token endpoint
/// closes every connection).
struct App {
    url: String,
    users: Users<UuidUser>,
    http: reqwest::Client,
    fake: FakeProvider,
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

async fn start(pool: impl Into<DbPool>) -> App {
    let fake = FakeProvider::start().await;
    let down = provider_with_token_endpoint(format!("{}/token", closing_listener().await)).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let users = full_backends(Users::<UuidUser>::builder(pool))
        .hashing(cheap_hashing())
        .secrets(SECRET)
        .oauth_token_key([42; 32])
        .build()
        .expect("users");
    users.migrate().await.expect("migrate");
    let router = |prefix: &str, issuer: &str| {
        let provider =
            OAuthProvider::oidc("fake", issuer, CLIENT_ID, CLIENT_SECRET).expect("provider");
        let options =
            OAuthOptions::new(&format!("{url}{prefix}/callback"), STATE_SECRET).expect("options");
        users
            .oauth_router(&provider, "jwt", options)
            .expect("oauth router")
    };
    let app: Router = full_app(&users)
        .nest("/auth/fake", router("/auth/fake", &fake.issuer))
        .nest("/auth/down", router("/auth/down", &down));
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
        fake,
    }
}

impl App {
    /// The whole login flow through `prefix`, driven by hand: `/authorize`, the provider's
    /// redirect, the callback with this browser's CSRF cookie.
    async fn sign_in(&self, prefix: &str) -> Answer {
        let started = read(
            self.http
                .get(format!("{}{prefix}/authorize", self.url))
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
        let at_provider = self
            .http
            .get(authorization_url)
            .send()
            .await
            .expect("provider authorize");
        assert_eq!(at_provider.status(), StatusCode::FOUND);
        let location = at_provider
            .headers()
            .get(reqwest::header::LOCATION)
            .expect("location")
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(
            location.starts_with(&format!("{}{prefix}/callback?", self.url)),
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
            answer
                .set_cookies
                .iter()
                .any(|c| c.starts_with("fastapiusersoauthcsrf=\"\"") && c.contains("Max-Age=0")),
            "every callback clears the CSRF cookie: {:?}",
            answer.set_cookies
        );
        answer
    }

    async fn users_count(&self) -> u64 {
        self.users.store().count().await.expect("count")
    }

    async fn me(&self, token: &str) -> Answer {
        read(
            self.http
                .get(format!("{}/users/me", self.url))
                .bearer_auth(token)
                .send()
                .await
                .expect("me"),
        )
        .await
    }

    /// Signs in through the fake provider in `mode` and expects `status` and `detail`,
    /// with no credential and no new user.
    async fn refused(&self, mode: Mode, sub: &str, status: StatusCode, detail: &str) {
        let users = self.users_count().await;
        let exchanges = self.fake.exchanges();
        let email = format!("{sub}@example.com");
        let existed = self
            .users
            .get_by_email(&email)
            .await
            .expect("get")
            .is_some();
        self.fake.set(mode, sub, &email);
        let answer = self.sign_in("/auth/fake").await;
        assert_eq!(
            (answer.status, &answer.body),
            (status, &json!({ "detail": detail })),
            "{mode:?}"
        );
        assert!(
            cookie_value(&answer.set_cookies, "fastapiusersauth").is_none(),
            "{mode:?}: no auth cookie"
        );
        assert_eq!(self.users_count().await, users, "{mode:?}: no user");
        assert_eq!(
            self.users
                .get_by_email(&email)
                .await
                .expect("get")
                .is_some(),
            existed,
            "{mode:?}: no user"
        );
        assert_eq!(
            self.fake.exchanges(),
            exchanges + 1,
            "{mode:?}: the code went to the token endpoint"
        );
        assert_eq!(self.fake.problems(), Vec::<String>::new(), "{mode:?}");
    }

    /// Signs in through the fake provider with a good ID token; the access token.
    async fn accepted(&self, sub: &str) -> String {
        let email = format!("{sub}@example.com");
        self.fake.set(Mode::Good, sub, &email);
        let answer = self.sign_in("/auth/fake").await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.body["token_type"], "bearer");
        let token = answer.body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned();
        let me = self.me(&token).await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.body["email"], json!(email));
        assert_eq!(self.fake.problems(), Vec::<String>::new());
        token
    }
}

/// Every bad ID token is refused with 400; the good one, before and after, signs in.
async fn bad_id_tokens<P: Into<DbPool>>(pool: P) {
    let app = start(pool).await;
    app.accepted("sub-good-first").await;
    assert_eq!(app.users_count().await, 1);
    for (i, mode) in BAD_ID_TOKENS.iter().enumerate() {
        app.refused(
            *mode,
            &format!("sub-bad-{i}"),
            StatusCode::BAD_REQUEST,
            "Bad Request",
        )
        .await;
    }
    // Refusals break nothing: the next good flow signs in, and only the good users exist.
    app.accepted("sub-good-last").await;
    assert_eq!(app.users_count().await, 2);
}

/// The ID token of a finished flow, returned again for a second flow (same `jti`, the first
/// flow's `nonce`), is refused: for the account it was about, and for no one else either.
async fn replayed_id_token<P: Into<DbPool>>(pool: P) {
    let app = start(pool).await;
    let token = app.accepted("sub-replayed").await;
    let me = app.me(&token).await;
    // The same account signs in again with a replayed ID token: refused.
    app.refused(
        Mode::Replay,
        "sub-replayed",
        StatusCode::BAD_REQUEST,
        "Bad Request",
    )
    .await;
    // Replayed again (a third flow): still refused.
    app.refused(
        Mode::Replay,
        "sub-replayed",
        StatusCode::BAD_REQUEST,
        "Bad Request",
    )
    .await;
    assert_eq!(app.users_count().await, 1);
    // The account itself is fine: a fresh ID token signs it in as the same user.
    let again = app.accepted("sub-replayed").await;
    assert_eq!(app.me(&again).await.body["id"], me.body["id"]);
}

/// A token endpoint that fails is a 502 `Bad Gateway`; one that refuses the code is a 400.
async fn token_endpoint_failures<P: Into<DbPool>>(pool: P) {
    let app = start(pool).await;
    for mode in [Mode::Fail500Text, Mode::Fail503Empty, Mode::Garbage] {
        app.refused(mode, "sub-down", StatusCode::BAD_GATEWAY, "Bad Gateway")
            .await;
    }
    app.refused(
        Mode::InvalidGrant,
        "sub-refused",
        StatusCode::BAD_REQUEST,
        "Bad Request",
    )
    .await;
    // A token endpoint that closes the connection.
    let answer = app.sign_in("/auth/down").await;
    assert_eq!(
        (answer.status, answer.body),
        (StatusCode::BAD_GATEWAY, json!({ "detail": "Bad Gateway" }))
    );
    assert!(cookie_value(&answer.set_cookies, "fastapiusersauth").is_none());
    assert_eq!(app.users_count().await, 0);
    // Still working afterwards.
    app.accepted("sub-after-outage").await;
}

/// A token endpoint that fails with a 5xx and an OAuth-style JSON body (`server_error`) is
/// failing, not refusing the code: 502, like any other 5xx.
async fn token_endpoint_5xx_with_json<P: Into<DbPool>>(pool: P) {
    let app = start(pool).await;
    app.refused(
        Mode::Fail500Json,
        "sub-down",
        StatusCode::BAD_GATEWAY,
        "Bad Gateway",
    )
    .await;
}

on_every_database! {
    sec_oauth_07_bad_id_tokens_are_refused => bad_id_tokens;
    sec_oauth_07_a_replayed_id_token_is_refused => replayed_id_token;
    sec_oauth_07_token_endpoint_failures => token_endpoint_failures;
    sec_oauth_07_a_token_endpoint_5xx_with_a_json_body_is_a_bad_gateway => token_endpoint_5xx_with_json;
}
