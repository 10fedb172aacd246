//! JWT access tokens (contract §5.1) and single-purpose reset/verification tokens (§6.1),
//! built on `jsonwebtoken` 11 with the RustCrypto backend.
//!
//! Every token is checked against a [`Validation`] built once from configuration, never from
//! the token's header: one algorithm, `exp` and `aud` required (`sub` too for access tokens),
//! leeway 0, `nbf` checked when present. A header carrying `crit` is refused by hand, since
//! the crate parses that member but never enforces it. `jku`, `x5u`, `jwk` and `kid` are
//! ignored: keys come only from configuration.
//!
//! The RustCrypto `CryptoProvider` is installed as the process default the first time a
//! strategy is built. An application that wants another provider installs it before that;
//! the one installed first wins.

use std::fmt;
use std::sync::{Arc, Once};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The default audience of access tokens, as FastAPI Users writes it.
const ACCESS_AUDIENCE: &str = "fastapi-users:auth";
/// Below this many bytes an HMAC secret is logged as weak.
const MIN_SECRET_BYTES: usize = 32;
/// Random bytes in a `jti` (22 base64url characters).
const JTI_BYTES: usize = 16;

/// Why a JWT configuration was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JwtConfigError {
    /// The secret is empty.
    #[error("the JWT secret is empty")]
    EmptySecret,
    /// The lifetime is zero: every token must expire.
    #[error("the token lifetime must be at least 1 second")]
    ZeroLifetime,
    /// The audience list is empty or holds an empty string.
    #[error("the token audience must be a non-empty list of non-empty strings")]
    EmptyAudience,
    /// The algorithm does not fit the keys, or a key could not be used.
    #[error("unusable JWT key: {0}")]
    Key(String),
}

/// Why a token could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    /// Signing failed (or the clock or the OS random source failed).
    #[error("cannot sign a token: {0}")]
    Sign(String),
}

/// The signing algorithm and keys.
#[derive(Clone)]
#[non_exhaustive]
pub enum JwtKeys {
    /// HS256, HS384 or HS512 with a shared secret.
    Hmac {
        /// `HS256`, `HS384` or `HS512`.
        algorithm: Algorithm,
        /// The shared secret (at least 32 random bytes advised).
        secret: Vec<u8>,
    },
    /// RSA/ECDSA/EdDSA: sign with a PEM private key, verify with a PEM public key.
    Pem {
        /// `RS*`, `PS*`, `ES256`, `ES384` or `EdDSA`.
        algorithm: Algorithm,
        /// The private key, PEM (PKCS#8, or PKCS#1 for RSA).
        private_pem: Vec<u8>,
        /// The public key, PEM (SPKI, or PKCS#1 for RSA).
        public_pem: Vec<u8>,
    },
}

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hmac { algorithm, .. } => f
                .debug_struct("Hmac")
                .field("algorithm", algorithm)
                .finish_non_exhaustive(),
            Self::Pem { algorithm, .. } => f
                .debug_struct("Pem")
                .field("algorithm", algorithm)
                .finish_non_exhaustive(),
        }
    }
}

/// Installs the RustCrypto provider as jsonwebtoken's process default, once. Without an
/// installed provider, jsonwebtoken picks one from its crate features and panics at the
/// first sign or verify if both backends (or neither) ended up enabled through feature
/// unification; installing it explicitly removes that trap.
fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        if jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
            .install_default()
            .is_err()
        {
            tracing::debug!("a jsonwebtoken CryptoProvider was already installed; keeping it");
        }
    });
}

fn key_error(e: jsonwebtoken::errors::Error) -> JwtConfigError {
    JwtConfigError::Key(e.to_string())
}

fn sign_error(e: impl fmt::Display) -> JwtError {
    JwtError::Sign(e.to_string())
}

fn warn_if_short(secret: &[u8]) {
    if secret.len() < MIN_SECRET_BYTES {
        tracing::warn!(
            min_bytes = MIN_SECRET_BYTES,
            "a JWT secret is shorter than 32 bytes; use a long random secret"
        );
    }
}

/// Signing and verifying keys, checked against each other.
struct KeyPair {
    algorithm: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl KeyPair {
    fn hmac(algorithm: Algorithm, secret: &[u8]) -> Result<Self, JwtConfigError> {
        if algorithm.family() != AlgorithmFamily::Hmac {
            return Err(JwtConfigError::Key(format!(
                "{algorithm:?} is not an HMAC algorithm; give PEM keys"
            )));
        }
        if secret.is_empty() {
            return Err(JwtConfigError::EmptySecret);
        }
        warn_if_short(secret);
        Self::checked(
            algorithm,
            EncodingKey::from_secret(secret),
            DecodingKey::from_secret(secret),
        )
    }

    fn pem(algorithm: Algorithm, private: &[u8], public: &[u8]) -> Result<Self, JwtConfigError> {
        let (encoding, decoding) = match algorithm.family() {
            AlgorithmFamily::Rsa => (
                EncodingKey::from_rsa_pem(private).map_err(key_error)?,
                DecodingKey::from_rsa_pem(public).map_err(key_error)?,
            ),
            AlgorithmFamily::Ec => (
                EncodingKey::from_ec_pem(private).map_err(key_error)?,
                DecodingKey::from_ec_pem(public).map_err(key_error)?,
            ),
            AlgorithmFamily::Ed => (
                EncodingKey::from_ed_pem(private).map_err(key_error)?,
                DecodingKey::from_ed_pem(public).map_err(key_error)?,
            ),
            AlgorithmFamily::Hmac => {
                return Err(JwtConfigError::Key(format!(
                    "{algorithm:?} takes a shared secret, not PEM keys"
                )));
            }
        };
        Self::checked(algorithm, encoding, decoding)
    }

    /// Signs a probe with the private key and verifies it with the public one, so a broken
    /// key, a mismatched pair or a missing crypto backend fails at build time, not at login.
    fn checked(
        algorithm: Algorithm,
        encoding: EncodingKey,
        decoding: DecodingKey,
    ) -> Result<Self, JwtConfigError> {
        install_crypto_provider();
        let probe = b"axum-users JWT key check";
        let signature =
            jsonwebtoken::crypto::sign(probe, &encoding, algorithm).map_err(key_error)?;
        if !jsonwebtoken::crypto::verify(&signature, probe, &decoding, algorithm)
            .map_err(key_error)?
        {
            return Err(JwtConfigError::Key(
                "the public key does not verify the private key's signatures".to_owned(),
            ));
        }
        Ok(Self {
            algorithm,
            encoding,
            decoding,
        })
    }

    fn sign<T: Serialize>(&self, claims: &T) -> Result<String, JwtError> {
        jsonwebtoken::encode(&Header::new(self.algorithm), claims, &self.encoding)
            .map_err(sign_error)
    }

    /// The claims of a token that passes `validation` and whose header has no `crit`.
    fn verify<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Option<T> {
        self.verify_checked(token, validation).ok()
    }

    /// As [`KeyPair::verify`], telling an expired token (signature and claims otherwise
    /// valid) from any other refusal.
    fn verify_checked<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Result<T, TokenRefusal> {
        if !header_acceptable(token) {
            return Err(TokenRefusal::Invalid);
        }
        jsonwebtoken::decode::<T>(token, &self.decoding, validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenRefusal::Expired,
                _ => TokenRefusal::Invalid,
            })
    }
}

/// The validation of one purpose, built from configuration only.
fn validation(algorithm: Algorithm, audience: &[String], required: &[&str]) -> Validation {
    let mut v = Validation::new(algorithm);
    v.algorithms = vec![algorithm];
    v.set_required_spec_claims(required);
    v.set_audience(audience);
    v.validate_aud = true;
    v.validate_exp = true;
    v.validate_nbf = true;
    v.leeway = 0;
    // jsonwebtoken refuses only `exp < now`; with this, `exp <= now` is refused too, so
    // `exp` must be in the future as with the reference (PyJWT compares with a float clock).
    v.reject_tokens_expiring_in_less_than = 1;
    v
}

/// A compact JWS of exactly three segments whose header parses (a known `alg`) and carries no
/// `crit` member, whatever its value (`"crit": null` included).
fn header_acceptable(token: &str) -> bool {
    if token.split('.').count() != 3 {
        return false;
    }
    let Ok(header) = jsonwebtoken::decode_header(token) else {
        return false;
    };
    if header.crit.is_some() {
        return false;
    }
    let raw = token.split('.').next().unwrap_or_default();
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Map<String, Value>>(&bytes).ok())
        .is_some_and(|header| !header.contains_key("crit"))
}

fn now() -> Result<u64, JwtError> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| JwtError::Sign("the system clock is before 1970".to_owned()))
}

fn expiry(iat: u64, lifetime: u64) -> Result<u64, JwtError> {
    iat.checked_add(lifetime)
        .ok_or_else(|| JwtError::Sign("the token lifetime overflows the clock".to_owned()))
}

/// 16 bytes from the OS CSPRNG, base64url without padding (22 characters).
fn new_jti() -> Result<String, JwtError> {
    let mut bytes = [0u8; JTI_BYTES];
    getrandom::fill(&mut bytes).map_err(sign_error)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn check_lifetime(lifetime_seconds: u64) -> Result<(), JwtConfigError> {
    if lifetime_seconds == 0 {
        return Err(JwtConfigError::ZeroLifetime);
    }
    Ok(())
}

/// The claims of an issued access token, in this order.
#[derive(Serialize)]
struct AccessClaims<'a> {
    sub: &'a str,
    aud: &'a [String],
    exp: u64,
    iat: u64,
    jti: String,
}

/// The one claim read back from an access token: `sub` must be a JSON string.
#[derive(Deserialize)]
struct Subject {
    sub: String,
}

/// The JWT access-token strategy.
///
/// ```rust
/// use auth_runtime::auth::jwt::JwtStrategy;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let jwt = JwtStrategy::hs256("a long random secret of at least 32 bytes", 3600)?;
/// let token = jwt.issue("42")?;
/// assert_eq!(jwt.read_sub(&token).as_deref(), Some("42"));
/// assert_eq!(jwt.read_sub("not.a.token"), None);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct JwtStrategy {
    keys: Arc<KeyPair>,
    audience: Vec<String>,
    validation: Validation,
    lifetime: u64,
}

impl fmt::Debug for JwtStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtStrategy")
            .field("algorithm", &self.keys.algorithm)
            .field("audience", &self.audience)
            .field("lifetime_seconds", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl JwtStrategy {
    /// HS256 with `secret`, tokens living `lifetime_seconds`, audience
    /// `["fastapi-users:auth"]`. An empty secret or a zero lifetime is refused; a secret under
    /// 32 bytes logs a warning (never the secret).
    pub fn hs256(secret: impl AsRef<[u8]>, lifetime_seconds: u64) -> Result<Self, JwtConfigError> {
        check_lifetime(lifetime_seconds)?;
        let keys = KeyPair::hmac(Algorithm::HS256, secret.as_ref())?;
        Ok(Self::from_parts(keys, lifetime_seconds))
    }

    /// A strategy with any supported algorithm and keys, audience `["fastapi-users:auth"]`.
    /// The keys are checked by signing and verifying a probe; a zero lifetime is refused.
    pub fn new(keys: JwtKeys, lifetime_seconds: u64) -> Result<Self, JwtConfigError> {
        check_lifetime(lifetime_seconds)?;
        let keys = match keys {
            JwtKeys::Hmac { algorithm, secret } => KeyPair::hmac(algorithm, &secret)?,
            JwtKeys::Pem {
                algorithm,
                private_pem,
                public_pem,
            } => KeyPair::pem(algorithm, &private_pem, &public_pem)?,
        };
        Ok(Self::from_parts(keys, lifetime_seconds))
    }

    fn from_parts(keys: KeyPair, lifetime: u64) -> Self {
        let audience = vec![ACCESS_AUDIENCE.to_owned()];
        Self {
            validation: validation(keys.algorithm, &audience, &["exp", "aud", "sub"]),
            keys: Arc::new(keys),
            audience,
            lifetime,
        }
    }

    /// Replaces the audience list: tokens are issued with this list and accepted when their
    /// `aud` shares a value with it. An empty list or an empty string is refused.
    pub fn with_audience(mut self, audience: Vec<String>) -> Result<Self, JwtConfigError> {
        if audience.is_empty() || audience.iter().any(String::is_empty) {
            return Err(JwtConfigError::EmptyAudience);
        }
        self.validation = validation(self.keys.algorithm, &audience, &["exp", "aud", "sub"]);
        self.audience = audience;
        Ok(self)
    }

    /// The token lifetime in seconds.
    pub fn lifetime_seconds(&self) -> u64 {
        self.lifetime
    }

    /// Issues a token for user id string `sub`: claims `sub`, `aud` (the audience list as a
    /// JSON array), `exp` = now + lifetime, `iat` = now (integer epoch seconds) and a random
    /// 22-character `jti`.
    pub fn issue(&self, sub: &str) -> Result<String, JwtError> {
        let iat = now()?;
        let claims = AccessClaims {
            sub,
            aud: &self.audience,
            exp: expiry(iat, self.lifetime)?,
            iat,
            jti: new_jti()?,
        };
        self.keys.sign(&claims)
    }

    /// The `sub` of a valid token, else `None`. Valid: signed under the configured algorithm
    /// only (any other `alg`, `none` included, is refused); `exp` present, numeric, in the
    /// future (leeway 0); `aud` present, a string or an array sharing a value with the
    /// configured list; `nbf`, if present, not in the future; no `crit` header; `sub` present
    /// and a JSON string.
    pub fn read_sub(&self, token: &str) -> Option<String> {
        self.keys
            .verify::<Subject>(token, &self.validation)
            .map(|claims| claims.sub)
    }
}

/// Single-purpose tokens (reset password, verify email): HS256 always, `aud` a JSON string
/// (e.g. `"fastapi-users:reset"`), `exp` required.
#[derive(Clone)]
pub struct PurposeTokens {
    keys: Arc<KeyPair>,
    audience: String,
    validation: Validation,
    lifetime: u64,
}

impl fmt::Debug for PurposeTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PurposeTokens")
            .field("audience", &self.audience)
            .field("lifetime_seconds", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl PurposeTokens {
    /// Tokens for `audience` signed with `secret` (HS256), living `lifetime_seconds`. An empty
    /// secret, an empty audience or a zero lifetime is refused; a secret under 32 bytes logs a
    /// warning.
    pub fn new(
        secret: impl AsRef<[u8]>,
        audience: impl Into<String>,
        lifetime_seconds: u64,
    ) -> Result<Self, JwtConfigError> {
        check_lifetime(lifetime_seconds)?;
        let audience = audience.into();
        if audience.is_empty() {
            return Err(JwtConfigError::EmptyAudience);
        }
        let keys = KeyPair::hmac(Algorithm::HS256, secret.as_ref())?;
        Ok(Self {
            validation: validation(
                Algorithm::HS256,
                std::slice::from_ref(&audience),
                &["exp", "aud"],
            ),
            keys: Arc::new(keys),
            audience,
            lifetime: lifetime_seconds,
        })
    }

    /// Signs `claims` (an object) plus `aud` (this audience, a JSON string) and `exp` = now +
    /// lifetime; an `aud` or `exp` already in `claims` is replaced.
    pub fn issue(&self, mut claims: Map<String, Value>) -> Result<String, JwtError> {
        let exp = expiry(now()?, self.lifetime)?;
        claims.insert("aud".to_owned(), Value::String(self.audience.clone()));
        claims.insert("exp".to_owned(), Value::from(exp));
        self.keys.sign(&claims)
    }

    /// The claims of a valid token (the checks of access tokens with this audience; `sub` is
    /// not required), else `None`.
    pub fn read(&self, token: &str) -> Option<Map<String, Value>> {
        self.keys.verify(token, &self.validation)
    }

    /// As [`PurposeTokens::read`], telling an expired token from any other refusal.
    pub fn read_checked(&self, token: &str) -> Result<Map<String, Value>, TokenRefusal> {
        self.keys.verify_checked(token, &self.validation)
    }
}

/// Why a single-purpose token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// Well signed and well formed, but past its `exp`.
    Expired,
    /// Anything else: malformed, wrong signature, wrong audience, missing claims.
    Invalid,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &str = "test-secret-test-secret-test-secret-32";
    const OTHER_SECRET: &str = "another-secret-another-secret-another-32";
    const AUTH: &str = "fastapi-users:auth";

    // Test-only keys, generated with `openssl genpkey` (RSA 2048, P-256, Ed25519).
    const RSA_PRIVATE: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC0s/KFLath+jbZ\n\
1/cM8Lb2WqTDvG9J8FSLmvX3JB7obIbdUGs8o4Q9DP2pT3v0npBw+jXgubnbQjQC\n\
b6441YGKVyLR0buWPg0/gF6OziC3Rer+Tlt7sIrB7dYt3km5IWEsvkgrnJzlI1cg\n\
ASkf6O/zDcVIC3ifuz2fkufq7veo0cRHq1NaUbTkXrN92MVn/BnSzQiV9iD9rUY8\n\
0dz4HnwJu+e6TZLQBfH2ktehPuWrzK7ZnOaxAdPHI//kKtQBs99Jm401raNTIP91\n\
ReWHYXrjYD8NMZaL5uy5U9jNWyoZ3dsUmGyvzHvo+GgoQFI31vFYZvcmjDYpC/cw\n\
Th+NTPHhAgMBAAECggEAOqo6/3Kis7XUbefXvFs/wv4NhMBdzv7Xq9UcqmYPJLzr\n\
EdmkXvTlHx7jET8NSo7Z7NvGdxVE2gKFuQ7B3JCwNBXy53R0NqQhj+6ghDM2Wtm3\n\
n2UX/TGE8s3AnXaPr6s/DZQfAQ2gwCE3jVvjGol4sQtU831J5W2X5YD/iv2W6LbY\n\
7UyDOVJLQepXQPudsXtDjth+OPdrYBN0x0U2CwQSm6CX21cH56vfjIgiHej/K79t\n\
usHkqsfuq9Nen1ASEqZS6rV+S20s7EiOvJm9Uf2yf35r+0r3bBn7DAN91JWmGGrX\n\
aZYtGZe+e4kei7iBYlilUTwzqi+QvP2AG40oz1LNuwKBgQDtpUXBymqUdQ8VdiPI\n\
Vf2WjJgFtHTzqGqUntOipTlsZ68deSgZOG3Y+vc649Oxh/30nORrjL/4Yo1fQMdq\n\
blwNFoBRoUzaLg4R/jrNDybg3jIVAfTPHq1Lhg/KUMacTlCNTy7+KfQ3/URj9D+j\n\
og98GpTeMGpo2Drygi11hsV0+wKBgQDCqM325ehiErqro/Z7oNbZQQVJCMT93FKG\n\
E5IIJbyxKTKVOuKS5KThBdztLgBXCrtFnUCYM/U4K0LcZ7/HIM4elCbo6IfWaqrl\n\
8W17jo3enmKsI01Zv2Yx01ueApTe3cZ4WnteiPaE3cr8ELxw39wxeO2MwmEgrE+1\n\
aAgaNmvl0wKBgQDXwwx4jD0EGNvfEmoeg+Q/gdqso1DjwG80DJf9vaFLST/2tH+x\n\
lkg1jnZVI3CaaOwr4R6Kfzn0XBYa+4eSnCw7Pci3VImgNdxUfcwJTc5wr4wtAp+w\n\
RRv1y/weJgSM+ZWtFs2FubWf9/TWA3acLJF+jevHZ5HVKy0p7QM1B23TbQKBgDW7\n\
Nq8SIyT/GnvKVH0nlmZ9piHUw9t292h++m45TG5yer3qdSQq7MAYSDVH31wnYC4F\n\
DBF3Nhb9CgWgtbUXfw29w0fC98vdwbKbA6d5X/u1KHNvgyhkxqa2OrHQ8JrcCK6r\n\
+yXLFJD0T9VoITve7v7Q7HFQLlNAfPgL8UCbCQl1AoGAJi/Iyvm4L05JWH44BUkE\n\
Am1hK3swAT/h7ac3QIdHtf20S5LLF2j1t7lUeYc2ZO8wD9QrVQ60URiPskjhMTT9\n\
lg9Gjic5Kl1QSRyEr6c8YtdgtgVZDhgpF7wlw502IEzBGbliAKwcjK7IjkBlzW6g\n\
rG6hCKYqrdDVrKpwkfZk/jE=\n\
-----END PRIVATE KEY-----\n\
";
    const RSA_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----\n\
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtLPyhS2rYfo22df3DPC2\n\
9lqkw7xvSfBUi5r19yQe6GyG3VBrPKOEPQz9qU979J6QcPo14Lm520I0Am+uONWB\n\
ilci0dG7lj4NP4Bejs4gt0Xq/k5be7CKwe3WLd5JuSFhLL5IK5yc5SNXIAEpH+jv\n\
8w3FSAt4n7s9n5Ln6u73qNHER6tTWlG05F6zfdjFZ/wZ0s0IlfYg/a1GPNHc+B58\n\
Cbvnuk2S0AXx9pLXoT7lq8yu2ZzmsQHTxyP/5CrUAbPfSZuNNa2jUyD/dUXlh2F6\n\
42A/DTGWi+bsuVPYzVsqGd3bFJhsr8x76PhoKEBSN9bxWGb3Jow2KQv3ME4fjUzx\n\
4QIDAQAB\n\
-----END PUBLIC KEY-----\n\
";
    const OTHER_RSA_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----\n\
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAuWLJc2etc6jCEEJxT83e\n\
YS8rRZNEt8JAwX/qQzEX8lm5cHZ6t9GlJfZEmA2IxnBiiXkCyiSgJcTMB9LXSuPD\n\
8ZOnqL3rGx/uZQ39OdRdr27U92JFkcQHwvzyXLayeGTUDsHP7tXjMMzoEv+l9HVr\n\
hqeC4k9MmbM3STE9bdTnDuL33fv9KN7ElfsJ+O1xqxDcmxQPPneoEBCXDVgFoUOI\n\
zZOhTlD6TDW4kf/UGOOhW1jxWXEiQJ7knr1ViHJeqq+mek4yD/mbWEy+OEIGEQzm\n\
Z1r8LEgw30dLs8ZnVoWR405BCJHDONfLI6XW4jbxacyozymlsoe5rgwaBoPULlx1\n\
mQIDAQAB\n\
-----END PUBLIC KEY-----\n\
";
    const EC_PRIVATE: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgAyDFAE0U3cIkCZuO\n\
9CdBd3tMx7F962JM7ePSSJELZWihRANCAATGVhOYsiiHCQXKhDF3Mr0QqX3QVqhf\n\
mp82T9Sq9c+OsGLune4Pagu9GRHOA/ckNzhrrag98cEx6byfZrqHEJkV\n\
-----END PRIVATE KEY-----\n\
";
    const EC_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----\n\
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExlYTmLIohwkFyoQxdzK9EKl90Fao\n\
X5qfNk/UqvXPjrBi7p3uD2oLvRkRzgP3JDc4a62oPfHBMem8n2a6hxCZFQ==\n\
-----END PUBLIC KEY-----\n\
";
    const ED_PRIVATE: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MC4CAQAwBQYDK2VwBCIEIP1KMUovZo2Tt+77Pzb6gyL5c6BAv28QqRj+uqo4eTgS\n\
-----END PRIVATE KEY-----\n\
";
    const ED_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----\n\
MCowBQYDK2VwAyEAl0z3ryQgfsqRH0u2cTFvBgYx36ipdOoiKKT57OgrMF0=\n\
-----END PUBLIC KEY-----\n\
";

    fn unix_now() -> i64 {
        i64::try_from(now().expect("clock")).expect("clock fits i64")
    }

    fn b64(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    fn segment(token: &str, index: usize) -> Value {
        let part = token.split('.').nth(index).expect("segment");
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("json")
    }

    /// A token with these claims, signed by jsonwebtoken with `secret`.
    fn hmac_token(alg: Algorithm, claims: &Value, secret: &str) -> String {
        let key = EncodingKey::from_secret(secret.as_bytes());
        jsonwebtoken::encode(&Header::new(alg), claims, &key).expect("sign")
    }

    fn hs256(claims: &Value) -> String {
        hmac_token(Algorithm::HS256, claims, SECRET)
    }

    /// A token with a hand-written header, HS256-signed over `header.payload` with `secret`.
    fn raw_hs256(header: &Value, claims: &Value, secret: &str) -> String {
        let message = format!("{}.{}", b64(header), b64(claims));
        let key = EncodingKey::from_secret(secret.as_bytes());
        let signature =
            jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::HS256).expect("sign");
        format!("{message}.{signature}")
    }

    fn good_claims() -> Value {
        json!({"sub": "1", "aud": [AUTH], "exp": unix_now() + 600})
    }

    fn strategy() -> JwtStrategy {
        JwtStrategy::hs256(SECRET, 3600).expect("strategy")
    }

    fn assert_refused(jwt: &JwtStrategy, label: &str, token: &str) {
        assert_eq!(
            jwt.read_sub(token),
            None,
            "{label} must be refused: {token}"
        );
    }

    fn pem_strategy(algorithm: Algorithm, private: &str, public: &str) -> JwtStrategy {
        let keys = JwtKeys::Pem {
            algorithm,
            private_pem: private.as_bytes().to_vec(),
            public_pem: public.as_bytes().to_vec(),
        };
        match JwtStrategy::new(keys, 60) {
            Ok(jwt) => jwt,
            Err(e) => panic!("{algorithm:?} keys refused: {e}"),
        }
    }

    // --- The crypto backend and issued tokens ------------------------------------------

    #[test]
    fn crypto_backend_is_installed_issue_then_read_back() {
        let jwt = strategy();
        let token = jwt
            .issue("c51070ae-da4f-485c-b5a0-b7843f2f4556")
            .expect("issue");
        assert_eq!(
            jwt.read_sub(&token).as_deref(),
            Some("c51070ae-da4f-485c-b5a0-b7843f2f4556")
        );
    }

    #[test]
    fn issued_payload_has_exactly_the_contract_claims() {
        let jwt = strategy();
        let token = jwt.issue("42").expect("issue");
        assert_eq!(segment(&token, 0), json!({"alg": "HS256", "typ": "JWT"}));
        let claims = segment(&token, 1);
        let mut keys: Vec<&str> = claims
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["aud", "exp", "iat", "jti", "sub"]);
        assert_eq!(claims["sub"], json!("42"));
        assert_eq!(claims["aud"], json!([AUTH]));
        let (exp, iat) = (claims["exp"].as_u64(), claims["iat"].as_u64());
        assert_eq!(exp.zip(iat).map(|(e, i)| e - i), Some(3600));
        let jti = claims["jti"].as_str().expect("jti string");
        assert_eq!(jti.len(), 22);
        assert_eq!(URL_SAFE_NO_PAD.decode(jti).expect("base64url").len(), 16);
    }

    #[test]
    fn two_issues_for_the_same_sub_differ() {
        let jwt = strategy();
        let a = jwt.issue("1").expect("issue");
        let b = jwt.issue("1").expect("issue");
        assert_ne!(a, b);
        assert_ne!(segment(&a, 1)["jti"], segment(&b, 1)["jti"]);
    }

    // --- Accepted --------------------------------------------------------------------------

    #[test]
    fn accepts_a_token_minted_like_fastapi_users() {
        // FastAPI Users writes only sub, aud (a list) and exp, with the same secret.
        let token = hs256(&good_claims());
        assert_eq!(strategy().read_sub(&token).as_deref(), Some("1"));
    }

    #[test]
    fn accepts_a_plain_string_audience_that_matches() {
        let token = hs256(&json!({"sub": "1", "aud": AUTH, "exp": unix_now() + 600}));
        assert_eq!(strategy().read_sub(&token).as_deref(), Some("1"));
    }

    #[test]
    fn accepts_nbf_in_the_past_and_ignores_key_hints_in_the_header() {
        let jwt = strategy();
        let past_nbf = hs256(
            &json!({"sub": "1", "aud": [AUTH], "exp": unix_now() + 600, "nbf": unix_now() - 10}),
        );
        assert_eq!(jwt.read_sub(&past_nbf).as_deref(), Some("1"));
        let header = json!({"alg": "HS256", "typ": "JWT", "kid": "../../../../dev/null", "jku": "http://127.0.0.1:1/jwks"});
        let hinted = raw_hs256(&header, &good_claims(), SECRET);
        assert_eq!(jwt.read_sub(&hinted).as_deref(), Some("1"));
    }

    #[test]
    fn custom_audience_list() {
        let jwt = strategy()
            .with_audience(vec!["app:a".into(), "app:b".into()])
            .expect("audience");
        let token = jwt.issue("5").expect("issue");
        assert_eq!(segment(&token, 1)["aud"], json!(["app:a", "app:b"]));
        assert_eq!(jwt.read_sub(&token).as_deref(), Some("5"));
        let shared = hs256(&json!({"sub": "5", "aud": ["other", "app:b"], "exp": unix_now() + 60}));
        assert_eq!(jwt.read_sub(&shared).as_deref(), Some("5"));
        assert_refused(&jwt, "default audience", &hs256(&good_claims()));
        assert_refused(&strategy(), "custom audience", &token);
    }

    // --- Refused ---------------------------------------------------------------------------

    #[test]
    fn refuses_expired_tokens() {
        let jwt = strategy();
        for exp in [unix_now() - 120, unix_now() - 1, unix_now()] {
            let token = hs256(&json!({"sub": "1", "aud": [AUTH], "exp": exp}));
            assert_refused(&jwt, "expired", &token);
        }
    }

    #[test]
    fn refuses_wrong_or_missing_audience() {
        let jwt = strategy();
        let exp = unix_now() + 600;
        let cases = [
            (
                "wrong audience",
                json!({"sub": "1", "aud": ["other"], "exp": exp}),
            ),
            (
                "reset audience",
                json!({"sub": "1", "aud": "fastapi-users:reset", "exp": exp}),
            ),
            (
                "verify audience",
                json!({"sub": "1", "aud": ["fastapi-users:verify"], "exp": exp}),
            ),
            (
                "oauth-state audience",
                json!({"sub": "1", "aud": "fastapi-users:oauth-state", "exp": exp}),
            ),
            ("audience missing", json!({"sub": "1", "exp": exp})),
            (
                "numeric audience",
                json!({"sub": "1", "aud": 123, "exp": exp}),
            ),
            (
                "empty audience list",
                json!({"sub": "1", "aud": [], "exp": exp}),
            ),
            (
                "null audience",
                json!({"sub": "1", "aud": null, "exp": exp}),
            ),
        ];
        for (label, claims) in cases {
            assert_refused(&jwt, label, &hs256(&claims));
        }
    }

    #[test]
    fn refuses_a_wrong_signature() {
        let jwt = strategy();
        let token = hmac_token(Algorithm::HS256, &good_claims(), OTHER_SECRET);
        assert_refused(&jwt, "other secret", &token);
        let valid = hs256(&good_claims());
        let (message, _) = valid.rsplit_once('.').expect("three segments");
        assert_refused(&jwt, "empty signature", &format!("{message}."));
        let tampered = format!(
            "{}.{}.{}",
            b64(&json!({"alg": "HS256", "typ": "JWT"})),
            b64(&json!({"sub": "2", "aud": [AUTH], "exp": unix_now() + 600})),
            valid.rsplit('.').next().expect("signature")
        );
        assert_refused(&jwt, "payload swapped", &tampered);
    }

    #[test]
    fn refuses_alg_none_in_any_case() {
        let jwt = strategy();
        let valid = hs256(&good_claims());
        let signature = valid.rsplit('.').next().expect("signature");
        for alg in ["none", "None", "NONE", "nOnE"] {
            let unsigned = format!(
                "{}.{}.",
                b64(&json!({"alg": alg, "typ": "JWT"})),
                b64(&good_claims())
            );
            assert_refused(&jwt, alg, &unsigned);
            let resigned = format!(
                "{}.{}.{signature}",
                b64(&json!({"alg": alg, "typ": "JWT"})),
                b64(&good_claims())
            );
            assert_refused(&jwt, alg, &resigned);
        }
    }

    #[test]
    fn refuses_other_algorithms() {
        let jwt = strategy();
        assert_refused(
            &jwt,
            "HS512",
            &hmac_token(Algorithm::HS512, &good_claims(), SECRET),
        );
        assert_refused(
            &jwt,
            "HS384",
            &hmac_token(Algorithm::HS384, &good_claims(), SECRET),
        );
        let rsa = EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).expect("rsa key");
        let rs256 = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &good_claims(), &rsa)
            .expect("sign");
        assert_refused(&jwt, "RS256 on an HS256 strategy", &rs256);
    }

    #[test]
    fn refuses_missing_or_malformed_exp() {
        let jwt = strategy();
        let cases = [
            ("missing exp", json!({"sub": "1", "aud": [AUTH]})),
            (
                "exp as a string",
                json!({"sub": "1", "aud": [AUTH], "exp": "9999999999"}),
            ),
            ("exp null", json!({"sub": "1", "aud": [AUTH], "exp": null})),
            ("exp 1e20", json!({"sub": "1", "aud": [AUTH], "exp": 1e20})),
            ("exp -1", json!({"sub": "1", "aud": [AUTH], "exp": -1})),
            (
                "exp 2^64",
                json!({"sub": "1", "aud": [AUTH], "exp": 18_446_744_073_709_551_616.0}),
            ),
        ];
        for (label, claims) in cases {
            assert_refused(&jwt, label, &hs256(&claims));
        }
    }

    #[test]
    fn refuses_nbf_in_the_future_or_malformed() {
        let jwt = strategy();
        let exp = unix_now() + 7200;
        let future =
            hs256(&json!({"sub": "1", "aud": [AUTH], "exp": exp, "nbf": unix_now() + 3600}));
        assert_refused(&jwt, "nbf in the future", &future);
        let string = hs256(&json!({"sub": "1", "aud": [AUTH], "exp": exp, "nbf": "0"}));
        assert_refused(&jwt, "nbf as a string", &string);
    }

    #[test]
    fn refuses_a_crit_header() {
        let jwt = strategy();
        let mut header = Header::new(Algorithm::HS256);
        header.crit = Some(vec!["exp".into()]);
        let key = EncodingKey::from_secret(SECRET.as_bytes());
        let crit = jsonwebtoken::encode(&header, &good_claims(), &key).expect("sign");
        assert_refused(&jwt, "crit [exp]", &crit);
        for value in [json!(["x-custom"]), json!([]), json!(null), json!("exp")] {
            let header = json!({"alg": "HS256", "typ": "JWT", "crit": value});
            assert_refused(&jwt, "crit", &raw_hs256(&header, &good_claims(), SECRET));
        }
        let plain = raw_hs256(
            &json!({"alg": "HS256", "typ": "JWT"}),
            &good_claims(),
            SECRET,
        );
        assert_eq!(jwt.read_sub(&plain).as_deref(), Some("1"), "control");
    }

    #[test]
    fn refuses_missing_or_non_string_sub() {
        let jwt = strategy();
        let exp = unix_now() + 600;
        let cases = [
            ("sub missing", json!({"aud": [AUTH], "exp": exp})),
            ("sub a number", json!({"sub": 1, "aud": [AUTH], "exp": exp})),
            ("sub null", json!({"sub": null, "aud": [AUTH], "exp": exp})),
            (
                "sub a list",
                json!({"sub": ["1"], "aud": [AUTH], "exp": exp}),
            ),
        ];
        for (label, claims) in cases {
            assert_refused(&jwt, label, &hs256(&claims));
        }
    }

    #[test]
    fn refuses_garbage() {
        let jwt = strategy();
        let valid = hs256(&good_claims());
        let four = format!("{valid}.{}", valid.rsplit('.').next().expect("signature"));
        let garbage = [
            "", "a.b.c", "bearer x", "Bearer ", "..", "a.b", "\u{0}", &four,
        ];
        for token in garbage {
            assert_refused(&jwt, "garbage", token);
        }
    }

    // --- Configuration -------------------------------------------------------------------

    #[test]
    fn configuration_errors() {
        assert!(matches!(
            JwtStrategy::hs256("", 60),
            Err(JwtConfigError::EmptySecret)
        ));
        assert!(matches!(
            JwtStrategy::hs256(SECRET, 0),
            Err(JwtConfigError::ZeroLifetime)
        ));
        assert!(matches!(
            strategy().with_audience(vec![]),
            Err(JwtConfigError::EmptyAudience)
        ));
        assert!(matches!(
            strategy().with_audience(vec![String::new()]),
            Err(JwtConfigError::EmptyAudience)
        ));
        let hmac_with_rsa_alg = JwtKeys::Hmac {
            algorithm: Algorithm::RS256,
            secret: SECRET.as_bytes().to_vec(),
        };
        assert!(matches!(
            JwtStrategy::new(hmac_with_rsa_alg, 60),
            Err(JwtConfigError::Key(_))
        ));
        let pem_with_hmac_alg = JwtKeys::Pem {
            algorithm: Algorithm::HS256,
            private_pem: RSA_PRIVATE.as_bytes().to_vec(),
            public_pem: RSA_PUBLIC.as_bytes().to_vec(),
        };
        assert!(matches!(
            JwtStrategy::new(pem_with_hmac_alg, 60),
            Err(JwtConfigError::Key(_))
        ));
        let mismatched = JwtKeys::Pem {
            algorithm: Algorithm::RS256,
            private_pem: RSA_PRIVATE.as_bytes().to_vec(),
            public_pem: OTHER_RSA_PUBLIC.as_bytes().to_vec(),
        };
        assert!(matches!(
            JwtStrategy::new(mismatched, 60),
            Err(JwtConfigError::Key(_))
        ));
        let wrong_family = JwtKeys::Pem {
            algorithm: Algorithm::ES256,
            private_pem: RSA_PRIVATE.as_bytes().to_vec(),
            public_pem: RSA_PUBLIC.as_bytes().to_vec(),
        };
        assert!(matches!(
            JwtStrategy::new(wrong_family, 60),
            Err(JwtConfigError::Key(_))
        ));
        let garbage = JwtKeys::Pem {
            algorithm: Algorithm::RS256,
            private_pem: b"not a key".to_vec(),
            public_pem: b"not a key".to_vec(),
        };
        assert!(matches!(
            JwtStrategy::new(garbage, 60),
            Err(JwtConfigError::Key(_))
        ));
        assert!(matches!(
            PurposeTokens::new("", "fastapi-users:reset", 60),
            Err(JwtConfigError::EmptySecret)
        ));
        assert!(matches!(
            PurposeTokens::new(SECRET, "", 60),
            Err(JwtConfigError::EmptyAudience)
        ));
        assert!(matches!(
            PurposeTokens::new(SECRET, "fastapi-users:reset", 0),
            Err(JwtConfigError::ZeroLifetime)
        ));
        assert_eq!(strategy().lifetime_seconds(), 3600);
        // A short secret is accepted (with a warning).
        assert!(JwtStrategy::hs256("short", 60).is_ok());
    }

    #[test]
    fn debug_never_prints_secrets() {
        let secret = "do-not-print-me-do-not-print-me-0123456789";
        let jwt = JwtStrategy::hs256(secret, 60).expect("jwt");
        let purpose = PurposeTokens::new(secret, "fastapi-users:reset", 60).expect("purpose");
        let keys = JwtKeys::Hmac {
            algorithm: Algorithm::HS256,
            secret: secret.as_bytes().to_vec(),
        };
        let printed = format!("{jwt:?} {purpose:?} {keys:?} {jwt:#?}");
        assert!(!printed.contains("do-not-print"), "{printed}");
        let bytes = format!("{:?}", secret.as_bytes());
        assert!(!printed.contains(&bytes[1..20]), "{printed}");
        assert!(printed.contains("HS256") && printed.contains("fastapi-users:reset"));
    }

    // --- Purpose tokens ------------------------------------------------------------------

    fn reset() -> PurposeTokens {
        PurposeTokens::new(SECRET, "fastapi-users:reset", 3600).expect("reset")
    }

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn purpose_tokens_round_trip_with_a_string_audience() {
        let reset = reset();
        let token = reset
            .issue(claims(
                json!({"sub": "1", "password_fgpt": "x", "aud": "forged", "exp": 1}),
            ))
            .expect("issue");
        let payload = segment(&token, 1);
        assert_eq!(
            payload["aud"],
            json!("fastapi-users:reset"),
            "aud is a JSON string"
        );
        let exp = payload["exp"].as_i64().expect("integer exp");
        assert!((exp - unix_now() - 3600).abs() <= 1);
        let read = reset.read(&token).expect("valid");
        assert_eq!(read["sub"], json!("1"));
        assert_eq!(read["password_fgpt"], json!("x"));
        assert_eq!(read["aud"], json!("fastapi-users:reset"));
        // `sub` is not required here.
        let no_sub = reset
            .issue(claims(json!({"email": "a@b.c"})))
            .expect("issue");
        assert_eq!(reset.read(&no_sub).expect("valid")["email"], json!("a@b.c"));
    }

    #[test]
    fn purposes_do_not_cross_even_with_one_secret() {
        let reset = reset();
        let verify = PurposeTokens::new(SECRET, "fastapi-users:verify", 3600).expect("verify");
        let jwt = strategy();
        let reset_token = reset.issue(claims(json!({"sub": "1"}))).expect("issue");
        let verify_token = verify
            .issue(claims(json!({"sub": "1", "email": "a@b.c"})))
            .expect("issue");
        let access_token = jwt.issue("1").expect("issue");
        assert!(reset.read(&reset_token).is_some());
        assert!(verify.read(&reset_token).is_none());
        assert!(reset.read(&verify_token).is_none());
        assert_eq!(jwt.read_sub(&reset_token), None);
        assert_eq!(jwt.read_sub(&verify_token), None);
        assert!(reset.read(&access_token).is_none());
        assert!(verify.read(&access_token).is_none());
    }

    #[test]
    fn purpose_tokens_refuse_expired_forged_and_malformed() {
        let reset = reset();
        let aud = "fastapi-users:reset";
        let cases = [
            (
                "expired",
                hs256(&json!({"sub": "1", "aud": aud, "exp": unix_now() - 1})),
            ),
            ("missing exp", hs256(&json!({"sub": "1", "aud": aud}))),
            (
                "exp a string",
                hs256(&json!({"sub": "1", "aud": aud, "exp": "9999999999"})),
            ),
            (
                "missing aud",
                hs256(&json!({"sub": "1", "exp": unix_now() + 60})),
            ),
            (
                "other secret",
                hmac_token(
                    Algorithm::HS256,
                    &json!({"sub": "1", "aud": aud, "exp": unix_now() + 60}),
                    OTHER_SECRET,
                ),
            ),
            (
                "HS512",
                hmac_token(
                    Algorithm::HS512,
                    &json!({"sub": "1", "aud": aud, "exp": unix_now() + 60}),
                    SECRET,
                ),
            ),
            (
                "alg none",
                format!(
                    "{}.{}.",
                    b64(&json!({"alg": "none"})),
                    b64(&json!({"sub": "1", "aud": aud, "exp": unix_now() + 60}))
                ),
            ),
            (
                "crit",
                raw_hs256(
                    &json!({"alg": "HS256", "crit": ["exp"]}),
                    &json!({"sub": "1", "aud": aud, "exp": unix_now() + 60}),
                    SECRET,
                ),
            ),
            (
                "not an object",
                raw_hs256(&json!({"alg": "HS256"}), &json!([aud]), SECRET),
            ),
            ("garbage", "a.b.c".to_owned()),
        ];
        for (label, token) in cases {
            assert!(reset.read(&token).is_none(), "{label} must be refused");
        }
        let fresh = hs256(&json!({"aud": aud, "exp": unix_now() + 60}));
        assert!(reset.read(&fresh).is_some(), "control");
    }

    // --- Asymmetric keys -----------------------------------------------------------------

    #[test]
    fn rs256_round_trip_and_confusion_refused() {
        let jwt = pem_strategy(Algorithm::RS256, RSA_PRIVATE, RSA_PUBLIC);
        let token = jwt.issue("7").expect("issue");
        assert_eq!(segment(&token, 0)["alg"], json!("RS256"));
        assert_eq!(jwt.read_sub(&token).as_deref(), Some("7"));
        // HS256 MACed with the public key's PEM bytes (the classic key confusion).
        let confused = hmac_token(Algorithm::HS256, &good_claims(), RSA_PUBLIC);
        assert_refused(&jwt, "HS256 with the public key", &confused);
        assert_refused(&jwt, "HS256 with the secret", &hs256(&good_claims()));
        let (message, _) = token.rsplit_once('.').expect("three segments");
        assert_refused(&jwt, "stripped signature", &format!("{message}."));
        assert_refused(&strategy(), "RS256 on HS256", &token);
    }

    #[test]
    fn es256_round_trip() {
        let jwt = pem_strategy(Algorithm::ES256, EC_PRIVATE, EC_PUBLIC);
        let token = jwt.issue("8").expect("issue");
        assert_eq!(segment(&token, 0)["alg"], json!("ES256"));
        assert_eq!(jwt.read_sub(&token).as_deref(), Some("8"));
        assert_refused(
            &jwt,
            "HS256 with the public key",
            &hmac_token(Algorithm::HS256, &good_claims(), EC_PUBLIC),
        );
    }

    #[test]
    fn eddsa_round_trip() {
        let jwt = pem_strategy(Algorithm::EdDSA, ED_PRIVATE, ED_PUBLIC);
        let token = jwt.issue("9").expect("issue");
        assert_eq!(segment(&token, 0)["alg"], json!("EdDSA"));
        assert_eq!(jwt.read_sub(&token).as_deref(), Some("9"));
        assert_refused(
            &pem_strategy(Algorithm::ES256, EC_PRIVATE, EC_PUBLIC),
            "EdDSA on ES256",
            &token,
        );
    }
}
