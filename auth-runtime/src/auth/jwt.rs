//! JWT access tokens (§5.1 of the contract) and single-purpose reset/verification tokens
//! (§6.1), with `jsonwebtoken`: one configured algorithm, `exp` and `aud` required, leeway
//! 0, `crit` refused.

use std::fmt;

use base64::Engine as _;
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
};
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

/// Why a JWT configuration was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JwtConfigError {
    /// The secret is empty.
    #[error("the JWT secret is empty")]
    EmptySecret,
    /// The lifetime is zero.
    #[error("the token lifetime must be at least 1 second")]
    ZeroLifetime,
    /// The audience list is empty.
    #[error("the audience list is empty")]
    EmptyAudience,
    /// A key or algorithm was refused.
    #[error("invalid JWT key: {0}")]
    Key(String),
}

/// Why a token could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    /// Signing failed.
    #[error("cannot sign a token: {0}")]
    Sign(String),
}

/// The signing algorithm and keys.
#[derive(Clone)]
#[non_exhaustive]
pub enum JwtKeys {
    /// HS256, HS384 or HS512 with a shared secret.
    Hmac {
        /// The algorithm.
        algorithm: Algorithm,
        /// The secret.
        secret: Vec<u8>,
    },
    /// RSA, ECDSA or EdDSA: sign with a PEM private key, verify with a PEM public key.
    Pem {
        /// The algorithm.
        algorithm: Algorithm,
        /// The PEM private key.
        private_pem: Vec<u8>,
        /// The PEM public key.
        public_pem: Vec<u8>,
    },
}

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hmac { algorithm, .. } => write!(f, "JwtKeys::Hmac({algorithm:?})"),
            Self::Pem { algorithm, .. } => write!(f, "JwtKeys::Pem({algorithm:?})"),
        }
    }
}

fn keys(keys: &JwtKeys) -> Result<(Algorithm, EncodingKey, DecodingKey), JwtConfigError> {
    let bad = |e: jsonwebtoken::errors::Error| JwtConfigError::Key(e.to_string());
    match keys {
        JwtKeys::Hmac { algorithm, secret } => {
            if !matches!(
                algorithm,
                Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
            ) {
                return Err(JwtConfigError::Key(format!(
                    "{algorithm:?} is not an HMAC algorithm"
                )));
            }
            if secret.is_empty() {
                return Err(JwtConfigError::EmptySecret);
            }
            if secret.len() < 32 {
                tracing::warn!("a JWT secret is shorter than 32 bytes; use a longer random secret");
            }
            Ok((
                *algorithm,
                EncodingKey::from_secret(secret),
                DecodingKey::from_secret(secret),
            ))
        }
        JwtKeys::Pem {
            algorithm,
            private_pem,
            public_pem,
        } => {
            let (encoding, decoding) = match algorithm {
                Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512 => (
                    EncodingKey::from_rsa_pem(private_pem).map_err(bad)?,
                    DecodingKey::from_rsa_pem(public_pem).map_err(bad)?,
                ),
                Algorithm::ES256 | Algorithm::ES384 => (
                    EncodingKey::from_ec_pem(private_pem).map_err(bad)?,
                    DecodingKey::from_ec_pem(public_pem).map_err(bad)?,
                ),
                Algorithm::EdDSA => (
                    EncodingKey::from_ed_pem(private_pem).map_err(bad)?,
                    DecodingKey::from_ed_pem(public_pem).map_err(bad)?,
                ),
                other => {
                    return Err(JwtConfigError::Key(format!(
                        "{other:?} needs a secret, not PEM keys"
                    )));
                }
            };
            Ok((*algorithm, encoding, decoding))
        }
    }
}

fn validation(algorithm: Algorithm, audience: &[String], required: &[&str]) -> Validation {
    let mut v = Validation::new(algorithm);
    v.set_required_spec_claims(required);
    v.set_audience(audience);
    v.leeway = 0;
    v.validate_exp = true;
    v.validate_nbf = true;
    v.validate_aud = true;
    v
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The header must not carry `crit` (the crate parses it but never enforces it).
fn header_ok(token: &str) -> bool {
    decode_header(token).is_ok_and(|h| h.crit.is_none())
}

fn random_jti() -> Result<String, JwtError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| JwtError::Sign(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

struct Keys {
    header: Header,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// The JWT access-token strategy.
///
/// ```
/// use auth_runtime::auth::jwt::JwtStrategy;
/// let jwt = JwtStrategy::hs256("a secret of at least thirty-two bytes!", 3600).unwrap();
/// let token = jwt.issue("42").unwrap();
/// assert_eq!(jwt.read_sub(&token).as_deref(), Some("42"));
/// assert_eq!(jwt.read_sub("forged"), None);
/// ```
#[derive(Clone)]
pub struct JwtStrategy {
    keys: std::sync::Arc<Keys>,
    audience: Vec<String>,
    validation: Validation,
    lifetime: u64,
}

impl fmt::Debug for JwtStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtStrategy")
            .field("algorithm", &self.keys.header.alg)
            .field("audience", &self.audience)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct SubClaim {
    sub: String,
}

impl JwtStrategy {
    /// HS256 with `secret`, tokens living `lifetime_seconds`, audience
    /// `["fastapi-users:auth"]`. An empty secret or a zero lifetime is refused; a secret under
    /// 32 bytes is logged as a warning.
    pub fn hs256(secret: impl AsRef<[u8]>, lifetime_seconds: u64) -> Result<Self, JwtConfigError> {
        Self::new(
            JwtKeys::Hmac {
                algorithm: Algorithm::HS256,
                secret: secret.as_ref().to_vec(),
            },
            lifetime_seconds,
        )
    }

    /// A strategy with any supported algorithm and keys.
    pub fn new(keys_config: JwtKeys, lifetime_seconds: u64) -> Result<Self, JwtConfigError> {
        if lifetime_seconds == 0 {
            return Err(JwtConfigError::ZeroLifetime);
        }
        let (algorithm, encoding, decoding) = keys(&keys_config)?;
        let audience = vec!["fastapi-users:auth".to_owned()];
        Ok(Self {
            validation: validation(algorithm, &audience, &["exp", "aud", "sub"]),
            keys: std::sync::Arc::new(Keys {
                header: Header::new(algorithm),
                encoding,
                decoding,
            }),
            audience,
            lifetime: lifetime_seconds,
        })
    }

    /// Replaces the audience list (default `["fastapi-users:auth"]`).
    pub fn with_audience(mut self, audience: Vec<String>) -> Result<Self, JwtConfigError> {
        if audience.is_empty() {
            return Err(JwtConfigError::EmptyAudience);
        }
        self.validation.set_audience(&audience);
        self.audience = audience;
        Ok(self)
    }

    /// The token lifetime in seconds.
    pub fn lifetime_seconds(&self) -> u64 {
        self.lifetime
    }

    /// Issues a token for the user id string `sub`: `sub`, `aud` (the list), `exp`, `iat`
    /// and a random `jti`.
    pub fn issue(&self, sub: &str) -> Result<String, JwtError> {
        let iat = now();
        let claims = json!({
            "sub": sub,
            "aud": self.audience,
            "exp": iat.saturating_add(i64::try_from(self.lifetime).unwrap_or(i64::MAX)),
            "iat": iat,
            "jti": random_jti()?,
        });
        encode(&self.keys.header, &claims, &self.keys.encoding)
            .map_err(|e| JwtError::Sign(e.to_string()))
    }

    /// The `sub` of a valid token, else `None`.
    pub fn read_sub(&self, token: &str) -> Option<String> {
        if !header_ok(token) {
            return None;
        }
        decode::<SubClaim>(token, &self.keys.decoding, &self.validation)
            .ok()
            .map(|data| data.claims.sub)
    }
}

/// Single-purpose tokens (reset password, verify email): HS256 always, `aud` a JSON string,
/// `exp` required.
#[derive(Clone)]
pub struct PurposeTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    audience: String,
    validation: Validation,
    lifetime: u64,
}

impl fmt::Debug for PurposeTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PurposeTokens")
            .field("audience", &self.audience)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl PurposeTokens {
    /// Tokens for `audience` (e.g. `fastapi-users:reset`) signed with `secret`, living
    /// `lifetime_seconds`.
    pub fn new(
        secret: impl AsRef<[u8]>,
        audience: impl Into<String>,
        lifetime_seconds: u64,
    ) -> Result<Self, JwtConfigError> {
        let secret = secret.as_ref();
        if secret.is_empty() {
            return Err(JwtConfigError::EmptySecret);
        }
        if lifetime_seconds == 0 {
            return Err(JwtConfigError::ZeroLifetime);
        }
        let audience = audience.into();
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation: validation(
                Algorithm::HS256,
                std::slice::from_ref(&audience),
                &["exp", "aud"],
            ),
            audience,
            lifetime: lifetime_seconds,
        })
    }

    /// Signs `claims` plus `aud` and `exp`.
    pub fn issue(&self, mut claims: Map<String, Json>) -> Result<String, JwtError> {
        claims.insert("aud".into(), Json::String(self.audience.clone()));
        claims.insert(
            "exp".into(),
            json!(now().saturating_add(i64::try_from(self.lifetime).unwrap_or(i64::MAX))),
        );
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| JwtError::Sign(e.to_string()))
    }

    /// The claims of a valid token, else `None`.
    pub fn read(&self, token: &str) -> Option<Map<String, Json>> {
        if !header_ok(token) {
            return None;
        }
        decode::<Map<String, Json>>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "test-secret-test-secret-test-secret-32";

    fn b64(value: &Json) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
    }

    fn sign(alg: Algorithm, claims: &Json, secret: &str) -> String {
        encode(
            &Header::new(alg),
            claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("sign")
    }

    #[test]
    fn issued_tokens_read_back_and_differ() {
        let jwt = JwtStrategy::hs256(SECRET, 3600).expect("jwt");
        let a = jwt
            .issue("c51070ae-da4f-485c-b5a0-b7843f2f4556")
            .expect("issue");
        let b = jwt
            .issue("c51070ae-da4f-485c-b5a0-b7843f2f4556")
            .expect("issue");
        assert_ne!(a, b, "jti makes every token unique");
        assert_eq!(
            jwt.read_sub(&a).as_deref(),
            Some("c51070ae-da4f-485c-b5a0-b7843f2f4556")
        );
        let payload = a.split('.').nth(1).expect("payload");
        let claims: Json = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .expect("b64"),
        )
        .expect("json");
        let keys: Vec<&str> = claims
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["sub", "aud", "exp", "iat", "jti"]);
        assert_eq!(claims["aud"], json!(["fastapi-users:auth"]));
        assert_eq!(
            claims["exp"]
                .as_i64()
                .zip(claims["iat"].as_i64())
                .map(|(e, i)| e - i),
            Some(3600)
        );
        assert_eq!(claims["jti"].as_str().map(str::len), Some(22));
    }

    #[test]
    fn forged_and_misdirected_tokens_are_refused() {
        let jwt = JwtStrategy::hs256(SECRET, 3600).expect("jwt");
        let aud = json!(["fastapi-users:auth"]);
        let later = now() + 600;
        let good = json!({"sub": "1", "aud": aud, "exp": later});
        assert_eq!(
            jwt.read_sub(&sign(Algorithm::HS256, &good, SECRET))
                .as_deref(),
            Some("1")
        );
        let string_aud = json!({"sub": "1", "aud": "fastapi-users:auth", "exp": later});
        assert!(
            jwt.read_sub(&sign(Algorithm::HS256, &string_aud, SECRET))
                .is_some()
        );
        let refused = [
            sign(
                Algorithm::HS256,
                &json!({"sub": "1", "aud": aud, "exp": now() - 1}),
                SECRET,
            ),
            sign(
                Algorithm::HS256,
                &json!({"sub": "1", "aud": ["other"], "exp": later}),
                SECRET,
            ),
            sign(Algorithm::HS256, &json!({"sub": "1", "exp": later}), SECRET),
            sign(
                Algorithm::HS256,
                &good,
                "another-secret-another-secret-another",
            ),
            sign(Algorithm::HS512, &good, SECRET),
            sign(Algorithm::HS256, &json!({"sub": "1", "aud": aud}), SECRET),
            sign(
                Algorithm::HS256,
                &json!({"sub": "1", "aud": aud, "exp": later.to_string()}),
                SECRET,
            ),
            sign(
                Algorithm::HS256,
                &json!({"sub": "1", "aud": aud, "exp": later, "nbf": later}),
                SECRET,
            ),
            sign(Algorithm::HS256, &json!({"aud": aud, "exp": later}), SECRET),
            sign(
                Algorithm::HS256,
                &json!({"sub": 1, "aud": aud, "exp": later}),
                SECRET,
            ),
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT"})),
                b64(&good)
            ),
            String::new(),
            "a.b.c".into(),
            "bearer x".into(),
        ];
        for token in refused {
            assert_eq!(jwt.read_sub(&token), None, "{token}");
        }
        let mut header = Header::new(Algorithm::HS256);
        header.crit = Some(vec!["exp".into()]);
        let crit =
            encode(&header, &good, &EncodingKey::from_secret(SECRET.as_bytes())).expect("sign");
        assert_eq!(jwt.read_sub(&crit), None);
    }

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
        let jwt = JwtStrategy::hs256(SECRET, 60).expect("jwt");
        assert!(matches!(
            jwt.with_audience(vec![]),
            Err(JwtConfigError::EmptyAudience)
        ));
        assert!(matches!(
            PurposeTokens::new(SECRET, "fastapi-users:reset", 0),
            Err(JwtConfigError::ZeroLifetime)
        ));
    }

    #[test]
    fn purpose_tokens_are_bound_to_their_audience() {
        let reset = PurposeTokens::new(SECRET, "fastapi-users:reset", 3600).expect("reset");
        let verify = PurposeTokens::new(SECRET, "fastapi-users:verify", 3600).expect("verify");
        let jwt = JwtStrategy::hs256(SECRET, 3600).expect("jwt");
        let mut claims = Map::new();
        claims.insert("sub".into(), json!("1"));
        claims.insert("password_fgpt".into(), json!("x"));
        let token = reset.issue(claims).expect("issue");
        let read = reset.read(&token).expect("valid");
        assert_eq!(read["aud"], json!("fastapi-users:reset"));
        assert_eq!(read["password_fgpt"], json!("x"));
        assert!(verify.read(&token).is_none());
        assert!(jwt.read_sub(&token).is_none());
        assert!(reset.read(&jwt.issue("1").expect("issue")).is_none());
        let expired = sign(
            Algorithm::HS256,
            &json!({"sub": "1", "aud": "fastapi-users:reset", "exp": now() - 1}),
            SECRET,
        );
        assert!(reset.read(&expired).is_none());
    }

    #[test]
    fn eddsa_keys_round_trip() {
        const PRIVATE: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIFSLFecbLFi4XZOU/2rAxnXzohbfC/P4QASkhUq7Wf/+\n-----END PRIVATE KEY-----\n";
        const PUBLIC: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAVf0NTZkEMb4DmX5U0QWDKo5WrSHYm3f++TQZLt6AmSk=\n-----END PUBLIC KEY-----\n";
        let jwt = JwtStrategy::new(
            JwtKeys::Pem {
                algorithm: Algorithm::EdDSA,
                private_pem: PRIVATE.as_bytes().to_vec(),
                public_pem: PUBLIC.as_bytes().to_vec(),
            },
            60,
        );
        let jwt = match jwt {
            Ok(jwt) => jwt,
            Err(e) => panic!("EdDSA keys refused: {e}"),
        };
        let token = jwt.issue("7").expect("issue");
        assert_eq!(jwt.read_sub(&token).as_deref(), Some("7"));
        let hs = sign(
            Algorithm::HS256,
            &json!({"sub": "7", "aud": ["fastapi-users:auth"], "exp": now() + 60}),
            SECRET,
        );
        assert_eq!(jwt.read_sub(&hs), None);
    }
}
