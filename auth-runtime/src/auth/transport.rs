//! Transports: how the credential travels (spec §4.1 bearer, §4.2 cookie), and the
//! login form both of them read (§2.3).
//!
//! - [`read_bearer`] reads `Authorization: Bearer <token>`.
//! - [`CookieSettings`] reads the auth cookie and builds the byte-exact `Set-Cookie`
//!   headers of login and logout.
//! - [`parse_login_form`] parses an `application/x-www-form-urlencoded` or
//!   `multipart/form-data` login body into a [`LoginForm`], with the reference's 422
//!   items or a 400 for broken multipart data.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use bytes::Bytes;
use http::header::{AUTHORIZATION, COOKIE, InvalidHeaderValue};
use http::{HeaderMap, HeaderValue};
use serde_json::Value;

use crate::validation::{FieldError, LocPart, ValidationErrors, ValidationItem};

// ---------------------------------------------------------------------------
// Bearer
// ---------------------------------------------------------------------------

/// The bearer credential (§4.1).
///
/// The first `Authorization` header is split at its first space: the part before must
/// be `bearer` in any letter case, and everything after that space, unchanged, is the
/// token (possibly empty, or starting with a space; such tokens then fail to decode).
/// No header, another scheme, a value without any space (`Bearer` alone), or a value
/// that is not visible ASCII → `None`.
///
/// The reference returns `""` for `Bearer` alone; both end in 401, so no client sees
/// the difference.
pub fn read_bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.to_owned())
}

// ---------------------------------------------------------------------------
// Cookie
// ---------------------------------------------------------------------------

/// SameSite attribute, written in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// `SameSite=lax` (the default).
    Lax,
    /// `SameSite=strict`.
    Strict,
    /// `SameSite=none`; needs `secure`.
    None,
}

impl SameSite {
    /// The attribute value as written in `Set-Cookie`: `lax`, `strict` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Lax => "lax",
            SameSite::Strict => "strict",
            SameSite::None => "none",
        }
    }
}

impl fmt::Display for SameSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Cookie transport settings (§4.2).
///
/// Default: name `fastapiusersauth`, `max_age` `None` (the backend fills it from the
/// strategy's token lifetime), path `/`, no domain, `secure` and `http_only` true,
/// `same_site` [`SameSite::Lax`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieSettings {
    /// The cookie name.
    pub name: String,
    /// `Max-Age` in seconds; `None` writes no `Max-Age` (a session cookie).
    pub max_age: Option<u64>,
    /// `Path`, always written.
    pub path: String,
    /// `Domain`; `None` writes none (a host-only cookie).
    pub domain: Option<String>,
    /// Writes `Secure`.
    pub secure: bool,
    /// Writes `HttpOnly`.
    pub http_only: bool,
    /// `SameSite`, always written.
    pub same_site: SameSite,
}

impl Default for CookieSettings {
    fn default() -> Self {
        CookieSettings {
            name: "fastapiusersauth".to_owned(),
            max_age: None,
            path: "/".to_owned(),
            domain: None,
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
        }
    }
}

impl CookieSettings {
    /// Checks the settings before use.
    ///
    /// Refuses `SameSite=None` without `Secure`; an empty cookie name or one that is not
    /// an RFC 6265 token; a path or domain holding `;`, a control character or a
    /// non-ASCII character; an empty domain; a `__Secure-` name without `Secure`; a
    /// `__Host-` name without `Secure`, with a domain or with a path other than `/`
    /// (browsers drop such cookies).
    ///
    /// # Errors
    ///
    /// A message naming the first problem found.
    pub fn validate(&self) -> Result<(), String> {
        if self.name.is_empty() {
            return Err("the cookie name must not be empty".to_owned());
        }
        if !self.name.bytes().all(is_token_byte) {
            return Err(format!(
                "the cookie name {:?} is not a valid RFC 6265 token",
                self.name
            ));
        }
        if self.same_site == SameSite::None && !self.secure {
            return Err("a cookie with SameSite=none must be Secure".to_owned());
        }
        if !is_attribute_value(&self.path) {
            return Err(format!(
                "the cookie path {:?} holds ';', a control or a non-ASCII character",
                self.path
            ));
        }
        if let Some(domain) = &self.domain {
            if domain.is_empty() {
                return Err("the cookie domain must not be empty".to_owned());
            }
            if !is_attribute_value(domain) {
                return Err(format!(
                    "the cookie domain {domain:?} holds ';', a control or a non-ASCII character"
                ));
            }
        }
        let lower = self.name.to_ascii_lowercase();
        if lower.starts_with("__secure-") && !self.secure {
            return Err(format!("the cookie {:?} must be Secure", self.name));
        }
        if lower.starts_with("__host-")
            && (!self.secure || self.domain.is_some() || self.path != "/")
        {
            return Err(format!(
                "the cookie {:?} must be Secure, have path \"/\" and no domain",
                self.name
            ));
        }
        Ok(())
    }

    /// `Set-Cookie` for a login: `<name>=<token>`, then the present attributes after
    /// `; ` in this fixed order: `Domain=<d>`, `HttpOnly`, `Max-Age=<n>`, `Path=<p>`,
    /// `SameSite=<lax|strict|none>`, `Secure`. Never `Expires`.
    ///
    /// The token is written as Python's `http.cookies` writes it: unchanged when it only
    /// holds cookie-safe characters (always the case for JWTs and base64url tokens),
    /// else quoted with escapes, so it can never add attributes.
    ///
    /// # Errors
    ///
    /// Only for settings that [`validate`](Self::validate) refuses (a control
    /// character in the name, path or domain).
    pub fn login_header(&self, token: &str) -> Result<HeaderValue, InvalidHeaderValue> {
        HeaderValue::from_str(&self.set_cookie(token, self.max_age))
    }

    /// `Set-Cookie` clearing the cookie: value `""` (two double quotes), `Max-Age=0`,
    /// the other attributes as for a login, e.g.
    /// `fastapiusersauth=""; HttpOnly; Max-Age=0; Path=/; SameSite=lax; Secure`.
    ///
    /// Settings that [`validate`](Self::validate) refuses can hold bytes a header may
    /// not carry; those bytes are dropped.
    pub fn logout_header(&self) -> HeaderValue {
        let text = self.set_cookie("", Some(0));
        HeaderValue::from_str(&text).unwrap_or_else(|_| {
            let clean: Vec<u8> = text
                .bytes()
                .filter(|&b| (b >= 0x20 && b != 0x7f) || b == b'\t')
                .collect();
            HeaderValue::from_bytes(&clean).unwrap_or_else(|_| HeaderValue::from_static(""))
        })
    }

    /// The credential: the value of the cookie of this name in the request's `Cookie`
    /// header(s), unquoted as Python's `http.cookies` does. Several `Cookie` headers and
    /// `a=1; b=2` lists both work; when the name occurs more than once the last one
    /// wins (as in Starlette's parser). Absent or empty → `None`.
    pub fn read(&self, headers: &HeaderMap) -> Option<String> {
        let mut found: Option<String> = None;
        for header in headers.get_all(COOKIE) {
            let Ok(text) = std::str::from_utf8(header.as_bytes()) else {
                continue;
            };
            for cookie in cookie::Cookie::split_parse(text).flatten() {
                if cookie.name() == self.name {
                    found = Some(unquote(cookie.value()).into_owned());
                }
            }
        }
        found.filter(|value| !value.is_empty())
    }

    /// The `Set-Cookie` text for `value` and `max_age`.
    fn set_cookie(&self, value: &str, max_age: Option<u64>) -> String {
        let mut out = format!("{}={}", self.name, quote(value));
        if let Some(domain) = &self.domain {
            let _ = write!(out, "; Domain={domain}");
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        if let Some(seconds) = max_age {
            let _ = write!(out, "; Max-Age={seconds}");
        }
        let _ = write!(out, "; Path={}; SameSite={}", self.path, self.same_site);
        if self.secure {
            out.push_str("; Secure");
        }
        out
    }
}

/// RFC 6265 `token` (RFC 2616): a CHAR that is neither a CTL nor a separator.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b)
}

/// RFC 6265 `path-value` / domain: ASCII, no CTL, no `;`.
fn is_attribute_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_control() && b != b';')
}

/// Characters Python's `http.cookies` writes without quoting (`_LegalChars`).
fn is_legal_cookie_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~:".contains(c)
}

/// Python's `http.cookies._quote`: a value made only of legal characters is written
/// as is; any other (including `""`) is put in double quotes, with `"` and `\`
/// backslash-escaped and the other code points below 256 that are neither legal nor
/// one of ` ()/<=>?@[]:{}` written as `\ooo` octal escapes.
fn quote(value: &str) -> Cow<'_, str> {
    if !value.is_empty() && value.chars().all(is_legal_cookie_char) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if is_legal_cookie_char(c) || " ()/<=>?@[]:{}".contains(c) => out.push(c),
            c if u32::from(c) < 256 => {
                let _ = write!(out, "\\{:03o}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    Cow::Owned(out)
}

/// Python's `http.cookies._unquote`: a value in double quotes loses them, `\ooo`
/// (first digit 0-3) becomes that code point and `\c` becomes `c`; any other value is
/// returned unchanged.
fn unquote(value: &str) -> Cow<'_, str> {
    let Some(inner) = value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    else {
        return Cow::Borrowed(value);
    };
    let chars: Vec<char> = inner.chars().collect();
    let mut out = String::with_capacity(inner.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c != '\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let octal = match chars.get(i + 1..i + 4) {
            Some([a @ '0'..='3', b @ '0'..='7', c @ '0'..='7']) => {
                let digit = |d: char| d.to_digit(8).unwrap_or(0);
                char::from_u32(digit(*a) * 64 + digit(*b) * 8 + digit(*c))
            }
            _ => None,
        };
        match (octal, chars.get(i + 1)) {
            (Some(decoded), _) => {
                out.push(decoded);
                i += 4;
            }
            (None, Some(&next)) if next != '\n' => {
                out.push(next);
                i += 2;
            }
            _ => {
                out.push('\\');
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

// ---------------------------------------------------------------------------
// Login form
// ---------------------------------------------------------------------------

/// The parsed login form (§2.3), as OAuth2's password grant sends it.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginForm {
    /// The email, not validated as one (§2.3).
    pub username: String,
    /// The password.
    pub password: String,
    /// `scope`; `""` when absent. Accepted and ignored.
    pub scope: String,
    /// `client_id`, accepted and ignored.
    pub client_id: Option<String>,
    /// `client_secret`, accepted and ignored.
    pub client_secret: Option<String>,
}

impl fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginForm")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("scope", &self.scope)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Why a login body was refused.
#[derive(Debug, thiserror::Error)]
pub enum LoginFormError {
    /// 422 with these items (§3.3).
    #[error("{0}")]
    Invalid(ValidationErrors),
    /// 400 `{"detail":"Invalid multipart data."}`.
    #[error("Invalid multipart data.")]
    BadMultipart,
}

/// The most parts a multipart login body may have; more → 400.
const MAX_PARTS: usize = 32;

/// The form fields, in the order of the reference's form model (the 422 order).
const FIELDS: [&str; 6] = [
    "grant_type",
    "username",
    "password",
    "scope",
    "client_id",
    "client_secret",
];
const GRANT_TYPE: usize = 0;
const USERNAME: usize = 1;
const PASSWORD: usize = 2;

/// The last value received for one form field.
enum Received {
    /// A UTF-8 text value.
    Text(String),
    /// A value whose bytes are not UTF-8, decoded lossily for the report.
    NotUtf8(String),
    /// A multipart file part (one with a `filename`).
    File,
}

/// Parses a login body (§2.3).
///
/// `application/x-www-form-urlencoded` and `multipart/form-data` (boundary from the
/// content type) are read; any other content type, or none, reads as an empty form.
/// `username` and `password` are required, an empty value counting as absent
/// (`missing`, input `null`); for a repeated field the last occurrence wins;
/// `grant_type` may be absent or empty, else must be exactly `password`
/// (`string_pattern_mismatch`). A value that is not UTF-8 gives `string_unicode`, a
/// file part `string_type`. Items come in the form model's order: `grant_type`,
/// `username`, `password`, `scope`, `client_id`, `client_secret`.
///
/// # Errors
///
/// [`LoginFormError::Invalid`] with every problem found;
/// [`LoginFormError::BadMultipart`] for a malformed multipart body (missing or empty
/// boundary, wrong boundary, truncated or empty body, more than 32 parts).
pub async fn parse_login_form(
    content_type: Option<&str>,
    body: Bytes,
) -> Result<LoginForm, LoginFormError> {
    let essence = content_type
        .and_then(|ct| ct.split(';').next())
        .map(str::trim)
        .unwrap_or_default();
    let received = if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        read_urlencoded(&body)
    } else if essence.eq_ignore_ascii_case("multipart/form-data") {
        read_multipart(content_type.unwrap_or_default(), body).await?
    } else {
        Default::default()
    };
    validate_form(received).map_err(LoginFormError::Invalid)
}

/// The known fields of an urlencoded body.
fn read_urlencoded(body: &[u8]) -> [Option<Received>; 6] {
    let mut received: [Option<Received>; 6] = Default::default();
    // `form_urlencoded::parse` yields one pair per non-empty `&`-separated segment and
    // decodes lossily; the raw segments tell whether a value was valid UTF-8.
    let segments = body.split(|&b| b == b'&').filter(|s| !s.is_empty());
    for ((name, value), segment) in form_urlencoded::parse(body).zip(segments) {
        let Some(index) = FIELDS.iter().position(|f| *f == name) else {
            continue;
        };
        let raw_value = segment
            .iter()
            .position(|&b| b == b'=')
            .and_then(|i| segment.get(i + 1..))
            .unwrap_or_default();
        let valid = percent_encoding::percent_decode(raw_value)
            .decode_utf8()
            .is_ok();
        let value = value.into_owned();
        received[index] = Some(if valid {
            Received::Text(value)
        } else {
            Received::NotUtf8(value)
        });
    }
    received
}

/// The known fields of a multipart body.
async fn read_multipart(
    content_type: &str,
    body: Bytes,
) -> Result<[Option<Received>; 6], LoginFormError> {
    let boundary =
        multer::parse_boundary(content_type).map_err(|_| LoginFormError::BadMultipart)?;
    if boundary.is_empty() {
        return Err(LoginFormError::BadMultipart);
    }
    let limit = u64::try_from(body.len()).unwrap_or(u64::MAX);
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(limit)
            .per_field(limit),
    );
    let stream =
        futures_util::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut received: [Option<Received>; 6] = Default::default();
    let mut parts = 0usize;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| LoginFormError::BadMultipart)?
    {
        parts += 1;
        if parts > MAX_PARTS {
            return Err(LoginFormError::BadMultipart);
        }
        let index = field
            .name()
            .and_then(|name| FIELDS.iter().position(|f| *f == name));
        let is_file = field.file_name().is_some();
        let data = field
            .bytes()
            .await
            .map_err(|_| LoginFormError::BadMultipart)?;
        let Some(index) = index else {
            continue;
        };
        received[index] = Some(if is_file {
            Received::File
        } else {
            match String::from_utf8(data.to_vec()) {
                Ok(text) => Received::Text(text),
                Err(_) => Received::NotUtf8(String::from_utf8_lossy(&data).into_owned()),
            }
        });
    }
    Ok(received)
}

/// Applies the form model's rules to the received fields.
fn validate_form(received: [Option<Received>; 6]) -> Result<LoginForm, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let mut values: [Option<String>; 6] = Default::default();
    for (index, value) in received.into_iter().enumerate() {
        let name = FIELDS.get(index).copied().unwrap_or_default();
        let loc = || vec![LocPart::from("body"), LocPart::from(name)];
        match value {
            None => {}
            Some(Received::Text(text)) if text.is_empty() => {}
            Some(Received::Text(text)) => {
                if index == GRANT_TYPE && text != "password" {
                    errors.push(pattern_mismatch().at(loc(), Value::String(text)));
                } else if let Some(slot) = values.get_mut(index) {
                    *slot = Some(text);
                }
                continue;
            }
            Some(Received::NotUtf8(lossy)) => {
                errors.push(not_unicode().at(loc(), Value::String(lossy)));
                continue;
            }
            Some(Received::File) => {
                errors.push(not_a_string().at(loc(), Value::Null));
                continue;
            }
        }
        if index == USERNAME || index == PASSWORD {
            errors.push(missing(loc()));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let [_, username, password, scope, client_id, client_secret] = values;
    Ok(LoginForm {
        username: username.unwrap_or_default(),
        password: password.unwrap_or_default(),
        scope: scope.unwrap_or_default(),
        client_id,
        client_secret,
    })
}

fn missing(loc: Vec<LocPart>) -> ValidationItem {
    FieldError::new("missing", "Field required").at(loc, Value::Null)
}

fn pattern_mismatch() -> FieldError {
    FieldError::new(
        "string_pattern_mismatch",
        "String should match pattern '^password$'",
    )
    .with_ctx(serde_json::json!({ "pattern": "^password$" }))
}

fn not_unicode() -> FieldError {
    FieldError::new(
        "string_unicode",
        "Input should be a valid string, unable to parse raw data as a unicode string",
    )
}

fn not_a_string() -> FieldError {
    FieldError::new("string_type", "Input should be a valid string")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";

    fn headers(name: http::HeaderName, values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(name.clone(), HeaderValue::from_str(v).expect("test value"));
        }
        map
    }

    fn text(value: &HeaderValue) -> &str {
        value.to_str().expect("test value")
    }

    fn with_max_age() -> CookieSettings {
        CookieSettings {
            max_age: Some(3600),
            ..CookieSettings::default()
        }
    }

    // ---- Set-Cookie -------------------------------------------------------

    #[test]
    fn login_cookie_is_byte_exact() {
        let v = with_max_age().login_header(JWT).expect("test value");
        assert_eq!(
            text(&v),
            format!("fastapiusersauth={JWT}; HttpOnly; Max-Age=3600; Path=/; SameSite=lax; Secure")
        );
    }

    #[test]
    fn login_cookie_with_domain() {
        let s = CookieSettings {
            domain: Some("example.com".into()),
            ..with_max_age()
        };
        assert_eq!(
            text(&s.login_header(JWT).expect("test value")),
            format!(
                "fastapiusersauth={JWT}; Domain=example.com; HttpOnly; Max-Age=3600; Path=/; SameSite=lax; Secure"
            )
        );
    }

    #[test]
    fn logout_cookie_is_byte_exact() {
        let expected = r#"fastapiusersauth=""; HttpOnly; Max-Age=0; Path=/; SameSite=lax; Secure"#;
        assert_eq!(text(&with_max_age().logout_header()), expected);
        // Max-Age=0 also without a configured max_age.
        assert_eq!(text(&CookieSettings::default().logout_header()), expected);
    }

    #[test]
    fn no_max_age_when_none() {
        let v = CookieSettings::default()
            .login_header("tok")
            .expect("test value");
        assert_eq!(
            text(&v),
            "fastapiusersauth=tok; HttpOnly; Path=/; SameSite=lax; Secure"
        );
    }

    #[test]
    fn secure_and_http_only_can_be_omitted() {
        let s = CookieSettings {
            name: "MusicText".into(),
            secure: false,
            http_only: false,
            same_site: SameSite::Strict,
            path: "/app".into(),
            ..with_max_age()
        };
        assert_eq!(
            text(&s.login_header("t").expect("test value")),
            "MusicText=t; Max-Age=3600; Path=/app; SameSite=strict"
        );
        assert_eq!(
            text(&s.logout_header()),
            r#"MusicText=""; Max-Age=0; Path=/app; SameSite=strict"#
        );
    }

    #[test]
    fn same_site_spelled_lower_case() {
        for (same_site, word) in [
            (SameSite::Lax, "lax"),
            (SameSite::Strict, "strict"),
            (SameSite::None, "none"),
        ] {
            let s = CookieSettings {
                same_site,
                ..CookieSettings::default()
            };
            let v = s.login_header("t").expect("test value");
            assert!(text(&v).contains(&format!("; SameSite={word}; ")), "{v:?}");
        }
    }

    #[test]
    fn odd_tokens_are_quoted_like_python() {
        let s = CookieSettings::default();
        assert_eq!(
            text(&s.login_header("a;b c\"d\\e").expect("test value")),
            r#"fastapiusersauth="a\073b c\"d\\e"; HttpOnly; Path=/; SameSite=lax; Secure"#
        );
        // The quoted value reads back as the original token.
        let h = headers(COOKIE, &[r#"fastapiusersauth="a\073b c\"d\\e""#]);
        assert_eq!(s.read(&h).as_deref(), Some("a;b c\"d\\e"));
    }

    #[test]
    fn validate_settings() {
        assert_eq!(CookieSettings::default().validate(), Ok(()));
        let none_insecure = CookieSettings {
            same_site: SameSite::None,
            secure: false,
            ..CookieSettings::default()
        };
        assert!(none_insecure.validate().is_err());
        let none_secure = CookieSettings {
            same_site: SameSite::None,
            ..CookieSettings::default()
        };
        assert_eq!(none_secure.validate(), Ok(()));
        for name in ["", "a b", "a;b", "a=b", "a\"b", "é", "a,b"] {
            let s = CookieSettings {
                name: name.into(),
                ..CookieSettings::default()
            };
            assert!(s.validate().is_err(), "{name:?}");
        }
        for path in ["/a;b", "/a\nb", "/\u{7f}", "/é"] {
            let s = CookieSettings {
                path: path.into(),
                ..CookieSettings::default()
            };
            assert!(s.validate().is_err(), "{path:?}");
        }
        for domain in ["", "a;b.com", "a\r.com"] {
            let s = CookieSettings {
                domain: Some(domain.into()),
                ..CookieSettings::default()
            };
            assert!(s.validate().is_err(), "{domain:?}");
        }
        let host = CookieSettings {
            name: "__Host-auth".into(),
            ..CookieSettings::default()
        };
        assert_eq!(host.validate(), Ok(()));
        let host_domain = CookieSettings {
            domain: Some("example.com".into()),
            ..host.clone()
        };
        assert!(host_domain.validate().is_err());
        let secure_prefix = CookieSettings {
            name: "__Secure-auth".into(),
            secure: false,
            ..CookieSettings::default()
        };
        assert!(secure_prefix.validate().is_err());
    }

    #[test]
    fn invalid_settings_never_panic() {
        let s = CookieSettings {
            path: "/a\nb".into(),
            ..CookieSettings::default()
        };
        assert!(s.login_header("t").is_err());
        assert_eq!(
            text(&s.logout_header()),
            r#"fastapiusersauth=""; HttpOnly; Max-Age=0; Path=/ab; SameSite=lax; Secure"#
        );
    }

    // ---- Cookie reading ---------------------------------------------------

    #[test]
    fn reads_the_cookie() {
        let s = CookieSettings::default();
        let h = headers(COOKIE, &[&format!("fastapiusersauth={JWT}")]);
        assert_eq!(s.read(&h).as_deref(), Some(JWT));
        let h = headers(COOKIE, &["a=1; fastapiusersauth=tok; b=2"]);
        assert_eq!(s.read(&h).as_deref(), Some("tok"));
        let h = headers(COOKIE, &["a=1;fastapiusersauth = tok ;b=2"]);
        assert_eq!(s.read(&h).as_deref(), Some("tok"));
    }

    #[test]
    fn reads_across_several_cookie_headers() {
        let s = CookieSettings::default();
        let h = headers(COOKIE, &["a=1; b=2", "fastapiusersauth=tok", "c=3"]);
        assert_eq!(s.read(&h).as_deref(), Some("tok"));
        // The last occurrence wins.
        let h = headers(COOKIE, &["fastapiusersauth=old", "fastapiusersauth=new"]);
        assert_eq!(s.read(&h).as_deref(), Some("new"));
    }

    #[test]
    fn absent_or_empty_cookie_is_none() {
        let s = CookieSettings::default();
        assert_eq!(s.read(&HeaderMap::new()), None);
        for v in [
            "a=1",
            "fastapiusersauth=",
            "fastapiusersauth=\"\"",
            "fastapiusersauth",
            "xfastapiusersauth=tok",
            "FastAPIUsersAuth=tok",
        ] {
            assert_eq!(s.read(&headers(COOKIE, &[v])), None, "{v}");
        }
        // Only the name counts, not the Authorization header.
        assert_eq!(s.read(&headers(AUTHORIZATION, &["Bearer tok"])), None);
    }

    #[test]
    fn cookie_with_custom_name() {
        let s = CookieSettings {
            name: "MusicText".into(),
            ..CookieSettings::default()
        };
        let h = headers(COOKIE, &["fastapiusersauth=x; MusicText=y"]);
        assert_eq!(s.read(&h).as_deref(), Some("y"));
    }

    #[test]
    fn unquote_like_python() {
        assert_eq!(unquote("abc"), "abc");
        assert_eq!(unquote("\""), "\"");
        assert_eq!(unquote("\"abc\""), "abc");
        assert_eq!(unquote(r#""\101\"\x\\""#), "A\"x\\");
        assert_eq!(unquote(r#""a\""#), "a\\");
        assert_eq!(unquote(r#""\400""#), "400");
    }

    // ---- Bearer -----------------------------------------------------------

    #[test]
    fn bearer_tokens() {
        let read = |v: &str| read_bearer(&headers(AUTHORIZATION, &[v]));
        assert_eq!(read("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(read("bEaReR abc").as_deref(), Some("abc"));
        assert_eq!(read("BEARER abc").as_deref(), Some("abc"));
        assert_eq!(read("Bearer  abc").as_deref(), Some(" abc"));
        assert_eq!(read("Bearer a b ").as_deref(), Some("a b "));
        assert_eq!(read("Bearer ").as_deref(), Some(""));
        assert_eq!(read("Bearer"), None);
        assert_eq!(read("Bearer\tabc"), None);
        assert_eq!(read("Basic abc"), None);
        assert_eq!(read("Bearerabc def"), None);
        assert_eq!(read(""), None);
        assert_eq!(read_bearer(&HeaderMap::new()), None);
    }

    #[test]
    fn bearer_refuses_non_ascii_and_uses_first_header() {
        let mut h = HeaderMap::new();
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_bytes(b"Bearer ab\xc3\xa9").expect("test value"),
        );
        assert_eq!(read_bearer(&h), None);
        let h = headers(AUTHORIZATION, &["Bearer first", "Bearer second"]);
        assert_eq!(read_bearer(&h).as_deref(), Some("first"));
    }

    // ---- Login form -------------------------------------------------------

    const URLENCODED: Option<&str> = Some("application/x-www-form-urlencoded");

    async fn parse(content_type: Option<&str>, body: &str) -> Result<LoginForm, LoginFormError> {
        parse_login_form(content_type, Bytes::copy_from_slice(body.as_bytes())).await
    }

    fn invalid(result: Result<LoginForm, LoginFormError>) -> Value {
        match result {
            Err(LoginFormError::Invalid(errors)) => {
                serde_json::to_value(&errors).expect("test value")
            }
            other => panic!("expected 422, got {other:?}"),
        }
    }

    fn both_missing() -> Value {
        json!({"detail": [
            {"type": "missing", "loc": ["body", "username"], "msg": "Field required", "input": null},
            {"type": "missing", "loc": ["body", "password"], "msg": "Field required", "input": null},
        ]})
    }

    #[tokio::test]
    async fn urlencoded_happy_path() {
        let form = parse(
            URLENCODED,
            "grant_type=password&username=alice%40example.com&password=a+b%2Bc&scope=read+write&client_id=cid&client_secret=s",
        )
        .await
        .expect("test value");
        assert_eq!(
            form,
            LoginForm {
                username: "alice@example.com".into(),
                password: "a b+c".into(),
                scope: "read write".into(),
                client_id: Some("cid".into()),
                client_secret: Some("s".into()),
            }
        );
        let debug = format!("{form:?}");
        assert!(
            !debug.contains("a b+c") && !debug.contains("\"s\""),
            "{debug}"
        );
        assert!(debug.contains("<redacted>"));
    }

    #[tokio::test]
    async fn urlencoded_defaults_and_content_type_parameters() {
        let form = parse(
            Some("Application/X-WWW-Form-Urlencoded; charset=utf-8"),
            "username=u&password=p&extra=1",
        )
        .await
        .expect("test value");
        assert_eq!(
            form,
            LoginForm {
                username: "u".into(),
                password: "p".into(),
                scope: String::new(),
                client_id: None,
                client_secret: None,
            }
        );
        // Empty optional values count as absent.
        let form = parse(URLENCODED, "username=u&password=p&client_id=&scope=")
            .await
            .expect("test value");
        assert_eq!(form.client_id, None);
        assert_eq!(form.scope, "");
    }

    #[tokio::test]
    async fn repeated_field_last_wins() {
        let form = parse(URLENCODED, "username=a&password=p1&username=b&password=p2")
            .await
            .expect("test value");
        assert_eq!(
            (form.username.as_str(), form.password.as_str()),
            ("b", "p2")
        );
        // ...also when the last one is empty.
        let v = invalid(parse(URLENCODED, "username=a&password=p&username=").await);
        assert_eq!(v["detail"].as_array().map(Vec::len), Some(1));
        assert_eq!(v["detail"][0]["loc"], json!(["body", "username"]));
    }

    #[tokio::test]
    async fn empty_username_is_missing() {
        let v = invalid(parse(URLENCODED, "username=&password=p").await);
        assert_eq!(
            v,
            json!({"detail": [{"type": "missing", "loc": ["body", "username"], "msg": "Field required", "input": null}]})
        );
        let v = invalid(parse(URLENCODED, "username&password=p").await);
        assert_eq!(v["detail"][0]["loc"], json!(["body", "username"]));
    }

    #[tokio::test]
    async fn empty_form_exact_json() {
        let result = parse(URLENCODED, "").await;
        let Err(LoginFormError::Invalid(errors)) = result else {
            panic!("expected 422");
        };
        assert_eq!(
            serde_json::to_string(&errors).expect("test value"),
            r#"{"detail":[{"type":"missing","loc":["body","username"],"msg":"Field required","input":null},{"type":"missing","loc":["body","password"],"msg":"Field required","input":null}]}"#
        );
    }

    #[tokio::test]
    async fn json_body_reads_as_empty_form() {
        let body = r#"{"username":"a@b.c","password":"p"}"#;
        assert_eq!(
            invalid(parse(Some("application/json"), body).await),
            both_missing()
        );
        assert_eq!(
            invalid(parse(Some("text/plain"), "username=a&password=p").await),
            both_missing()
        );
    }

    #[tokio::test]
    async fn no_content_type_reads_as_empty_form() {
        assert_eq!(
            invalid(parse(None, "username=a&password=p").await),
            both_missing()
        );
        assert_eq!(invalid(parse(Some(""), "").await), both_missing());
    }

    #[tokio::test]
    async fn grant_type_rules() {
        for body in [
            "grant_type=password&username=u&password=p",
            "grant_type=&username=u&password=p",
            "username=u&password=p",
        ] {
            assert!(parse(URLENCODED, body).await.is_ok(), "{body}");
        }
        let v = invalid(parse(URLENCODED, "grant_type=PASSWORD&username=u&password=p").await);
        assert_eq!(
            v,
            json!({"detail": [{
                "type": "string_pattern_mismatch",
                "loc": ["body", "grant_type"],
                "msg": "String should match pattern '^password$'",
                "input": "PASSWORD",
                "ctx": {"pattern": "^password$"},
            }]})
        );
        let v = invalid(parse(URLENCODED, "grant_type=password%0A&username=u&password=p").await);
        assert_eq!(v["detail"][0]["input"], json!("password\n"));
    }

    #[tokio::test]
    async fn errors_come_in_form_model_order() {
        let v = invalid(parse(URLENCODED, "password=&grant_type=x").await);
        let locs: Vec<&Value> = v["detail"]
            .as_array()
            .expect("test value")
            .iter()
            .map(|i| &i["loc"][1])
            .collect();
        assert_eq!(
            locs,
            [&json!("grant_type"), &json!("username"), &json!("password")]
        );
    }

    #[tokio::test]
    async fn non_utf8_value_is_string_unicode() {
        let v = invalid(parse(URLENCODED, "username=u&password=%FF%FE").await);
        assert_eq!(
            v,
            json!({"detail": [{
                "type": "string_unicode",
                "loc": ["body", "password"],
                "msg": "Input should be a valid string, unable to parse raw data as a unicode string",
                "input": "\u{FFFD}\u{FFFD}",
            }]})
        );
        // A genuine U+FFFD is fine, and a bad unknown field is ignored.
        let form = parse(URLENCODED, "x=%FF&username=%EF%BF%BD&password=p")
            .await
            .expect("test value");
        assert_eq!(form.username, "\u{FFFD}");
    }

    fn multipart_body(boundary: &str, fields: &[(&str, &str)]) -> String {
        let mut body = String::new();
        for (name, value) in fields {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            ));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        body
    }

    const BOUNDARY: &str = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

    fn multipart_type() -> String {
        format!("multipart/form-data; boundary={BOUNDARY}")
    }

    #[tokio::test]
    async fn multipart_happy_path() {
        let body = multipart_body(
            BOUNDARY,
            &[
                ("grant_type", "password"),
                ("username", "alice@example.com"),
                ("password", "p@ss word\r\nwith lines"),
                ("username", "bob@example.com"),
                ("other", "ignored"),
            ],
        );
        let form = parse(Some(&multipart_type()), &body)
            .await
            .expect("test value");
        assert_eq!(form.username, "bob@example.com");
        assert_eq!(form.password, "p@ss word\r\nwith lines");
        assert_eq!(form.scope, "");
        let quoted = format!("multipart/form-data; boundary=\"{BOUNDARY}\"");
        assert!(parse(Some(&quoted), &body).await.is_ok());
    }

    #[tokio::test]
    async fn multipart_validation_errors() {
        let body = multipart_body(BOUNDARY, &[("username", ""), ("grant_type", "x")]);
        let v = invalid(parse(Some(&multipart_type()), &body).await);
        assert_eq!(v["detail"].as_array().map(Vec::len), Some(3));
        assert_eq!(v["detail"][0]["type"], json!("string_pattern_mismatch"));
        assert_eq!(v["detail"][1], both_missing()["detail"][0]);
        assert_eq!(v["detail"][2], both_missing()["detail"][1]);
        // An empty form (just the closing boundary).
        let body = multipart_body(BOUNDARY, &[]);
        assert_eq!(
            invalid(parse(Some(&multipart_type()), &body).await),
            both_missing()
        );
    }

    #[tokio::test]
    async fn multipart_non_utf8_and_file_parts() {
        let mut body =
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\n")
                .into_bytes();
        body.extend_from_slice(b"\xff\r\n");
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"password\"; filename=\"p.txt\"\r\nContent-Type: text/plain\r\n\r\np\r\n--{BOUNDARY}--\r\n"
            )
            .as_bytes(),
        );
        let ct = multipart_type();
        let v = invalid(parse_login_form(Some(&ct), Bytes::from(body)).await);
        assert_eq!(v["detail"][0]["type"], json!("string_unicode"));
        assert_eq!(v["detail"][0]["loc"], json!(["body", "username"]));
        assert_eq!(v["detail"][1]["type"], json!("string_type"));
        assert_eq!(v["detail"][1]["loc"], json!(["body", "password"]));
    }

    async fn assert_bad_multipart(content_type: &str, body: &str) {
        match parse(Some(content_type), body).await {
            Err(LoginFormError::BadMultipart) => {}
            other => panic!("expected BadMultipart for {body:?}, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn multipart_wrong_boundary() {
        let body = multipart_body("other-boundary", &[("username", "u"), ("password", "p")]);
        assert_bad_multipart(&multipart_type(), &body).await;
    }

    #[tokio::test]
    async fn multipart_truncated() {
        let body = multipart_body(BOUNDARY, &[("username", "u"), ("password", "p")]);
        for cut in [body.len() - 4, body.len() / 2, 10] {
            assert_bad_multipart(&multipart_type(), &body[..cut]).await;
        }
        assert_bad_multipart(&multipart_type(), "").await;
    }

    #[tokio::test]
    async fn multipart_missing_or_empty_boundary() {
        let body = multipart_body(BOUNDARY, &[("username", "u"), ("password", "p")]);
        assert_bad_multipart("multipart/form-data", &body).await;
        assert_bad_multipart("multipart/form-data; charset=utf-8", &body).await;
        assert_bad_multipart("multipart/form-data; boundary", &body).await;
        assert_bad_multipart("multipart/form-data; boundary=\"\"", &body).await;
    }

    #[tokio::test]
    async fn multipart_part_count_is_capped() {
        let mut fields = vec![("username", "u"), ("password", "p")];
        fields.extend(std::iter::repeat_n(("x", "1"), MAX_PARTS - 2));
        let ok = multipart_body(BOUNDARY, &fields);
        assert!(parse(Some(&multipart_type()), &ok).await.is_ok());
        fields.push(("x", "1"));
        let too_many = multipart_body(BOUNDARY, &fields);
        assert_bad_multipart(&multipart_type(), &too_many).await;
    }

    #[test]
    fn error_display() {
        assert_eq!(
            LoginFormError::BadMultipart.to_string(),
            "Invalid multipart data."
        );
        let e = LoginFormError::Invalid(ValidationErrors::new());
        assert_eq!(e.to_string(), "0 validation errors");
    }
}
