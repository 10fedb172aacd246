//! Email address validation and normalization (spec §7.1).
//!
//! One function, [`normalize_email`], serves storage, the unique `email_key` index and every
//! lookup. It checks the syntax without any DNS lookup and returns two forms of a valid address:
//!
//! * the stored form ([`NormalizedEmail::display`]): the local part in Unicode NFC with its letter
//!   case kept, `@`, the domain lower-cased in its Unicode form (`xn--` labels decoded);
//! * the key ([`NormalizedEmail::key`]): the NFC local part under full Unicode lower-casing, `@`,
//!   the domain in its IDNA ASCII form.
//!
//! Lengths are checked on the raw input before any Unicode processing, so long input is refused
//! cheaply.

use idna::uts46::{AsciiDenyList, Hyphens, Uts46};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Longest raw input looked at, in characters (Pydantic's `EmailStr` limit), display name included.
const MAX_INPUT_CHARS: usize = 2048;
/// Longest address, in bytes of UTF-8, after the display name is removed.
const MAX_ADDRESS_BYTES: usize = 254;
/// Longest local part (before the `@`), in bytes of UTF-8.
const MAX_LOCAL_BYTES: usize = 64;
/// Longest domain in its IDNA ASCII form, in bytes.
const MAX_DOMAIN_BYTES: usize = 253;
/// Longest domain label in its IDNA ASCII form, in bytes.
const MAX_LABEL_BYTES: usize = 63;
/// Special-use top-level names refused, with every name below them.
const SPECIAL_USE: [&str; 6] = ["arpa", "invalid", "local", "localhost", "onion", "test"];
/// ASCII characters allowed in a local part besides letters, digits and `.`.
const LOCAL_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~";

/// An email address validated and normalized by [`normalize_email`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizedEmail {
    /// The stored form (what responses, hooks and mails use)
    pub display: String,
    /// The unique key (stored in the `email_key` column, used for every lookup)
    pub key: String,
}

/// Why an address was refused. `Display` gives a short reason (the wording of Python's
/// `email-validator` where FastAPI Users clients may show it),
/// used in the 422 message `value is not a valid email address: <reason>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmailError {
    /// The input is empty or only whitespace.
    #[error("address is empty")]
    Empty,
    /// The input contains a carriage return or a line feed.
    #[error("contains a line break")]
    LineBreak,
    /// The input is longer than 2048 characters, or the address longer than 254 bytes.
    #[error("address is too long")]
    TooLong,
    /// The part before the `@` is longer than 64 bytes.
    #[error("local part is too long")]
    LocalPartTooLong,
    /// The address contains a control, bidi-control or invisible (zero-width, default-ignorable)
    /// character.
    #[error("contains a control, bidi or zero-width character")]
    UnsafeCharacter,
    /// The address contains whitespace.
    #[error("contains whitespace")]
    Whitespace,
    /// The address has no `@`.
    #[error("An email address must have an @-sign.")]
    MissingAt,
    /// The address has more than one `@`.
    #[error("more than one @ sign")]
    MultipleAt,
    /// Nothing comes before the `@`.
    #[error("There must be something before the @-sign.")]
    EmptyLocalPart,
    /// Nothing comes after the `@`.
    #[error("There must be something after the @-sign.")]
    EmptyDomain,
    /// The local part uses quoting (`"..."@example.com`), which is not accepted.
    #[error("quoted local parts are not accepted")]
    QuotedLocalPart,
    /// The local part starts or ends with a dot.
    #[error("local part starts or ends with a dot")]
    LocalPartDot,
    /// The local part contains two dots in a row.
    #[error("An email address cannot have two periods in a row.")]
    ConsecutiveDots,
    /// The local part contains a character that is not allowed there.
    #[error("invalid character in local part")]
    InvalidLocalCharacter,
    /// The domain is an address literal such as `[127.0.0.1]`.
    #[error("domain literals are not accepted")]
    DomainLiteral,
    /// The domain contains an ASCII character other than a letter, a digit, a hyphen or a dot
    /// (for example `_`).
    #[error("invalid character in domain")]
    InvalidDomainCharacter,
    /// The domain has an empty label (a leading, trailing or doubled dot).
    #[error("domain has an empty label")]
    EmptyDomainLabel,
    /// A domain label starts or ends with a hyphen.
    #[error("domain label starts or ends with a hyphen")]
    DomainLabelHyphen,
    /// The domain is not valid after IDNA (UTS #46) processing.
    #[error("invalid domain name")]
    InvalidDomain,
    /// The domain is longer than 253 bytes in its ASCII form.
    #[error("domain is too long")]
    DomainTooLong,
    /// A domain label is longer than 63 bytes in its ASCII form.
    #[error("domain label is too long")]
    DomainLabelTooLong,
    /// The domain has a single label (for example `a@example`).
    #[error("The part after the @-sign is not valid. It should have a period.")]
    SingleLabelDomain,
    /// The last domain label is all digits (for example `a@1.2.3.4`).
    #[error("last domain label is all digits")]
    NumericTopLevel,
    /// The domain is a special-use name (`arpa`, `invalid`, `local`, `localhost`, `onion`, `test`)
    /// or a name below one.
    #[error(
        "The part after the @-sign is a special-use or reserved name that cannot be used with email."
    )]
    SpecialUseDomain,
}

/// Validates and normalizes an email address (spec §7.1).
///
/// The input may carry a display name (`John Doe <jd@example.com>` or
/// `"Doe, John" <jd@example.com>`), which is dropped, and surrounding whitespace, which is trimmed.
/// No DNS lookup is made. See the [module documentation](self) for the two returned forms.
///
/// # Errors
///
/// Returns an [`EmailError`] saying why the address was refused.
///
/// # Example
///
/// ```
/// use auth_runtime::email::{EmailError, normalize_email};
///
/// let email = normalize_email(" MiXed@BÜCHER.example ")?;
/// assert_eq!(email.display, "MiXed@bücher.example");
/// assert_eq!(email.key, "mixed@xn--bcher-kva.example");
///
/// assert_eq!(normalize_email("a@localhost"), Err(EmailError::SpecialUseDomain));
/// # Ok::<(), EmailError>(())
/// ```
pub fn normalize_email(input: &str) -> Result<NormalizedEmail, EmailError> {
    // Cheap bound first: more than 4 bytes per allowed character cannot fit.
    if input.len() > MAX_INPUT_CHARS * 4 || input.chars().count() > MAX_INPUT_CHARS {
        return Err(EmailError::TooLong);
    }
    if input.contains(['\r', '\n']) {
        return Err(EmailError::LineBreak);
    }
    let address = strip_display_name(input.trim()).trim();
    if address.is_empty() {
        return Err(EmailError::Empty);
    }

    // Lengths, before any Unicode processing.
    if address.len() > MAX_ADDRESS_BYTES {
        return Err(EmailError::TooLong);
    }
    if address.find('@').is_some_and(|at| at > MAX_LOCAL_BYTES) {
        return Err(EmailError::LocalPartTooLong);
    }

    for c in address.chars() {
        if c.is_control() || is_bidi_or_invisible(c) {
            return Err(EmailError::UnsafeCharacter);
        }
        if c.is_whitespace() {
            return Err(EmailError::Whitespace);
        }
    }

    let (local, domain) = match address.split_once('@') {
        None => return Err(EmailError::MissingAt),
        Some((_, domain)) if domain.contains('@') => return Err(EmailError::MultipleAt),
        Some(parts) => parts,
    };
    if local.is_empty() {
        return Err(EmailError::EmptyLocalPart);
    }
    if domain.is_empty() {
        return Err(EmailError::EmptyDomain);
    }

    check_local(local)?;
    let local = local.nfc().collect::<String>();
    // NFC maps a few characters to others; check the result too.
    check_local(&local)?;

    let (ascii_domain, unicode_domain) = normalize_domain(domain)?;

    let display = format!("{local}@{unicode_domain}");
    // NFC and decoding `xn--` labels may lengthen the address; the stored form must still fit.
    if local.len() > MAX_LOCAL_BYTES {
        return Err(EmailError::LocalPartTooLong);
    }
    if display.len() > MAX_ADDRESS_BYTES {
        return Err(EmailError::TooLong);
    }
    let key = format!("{}@{ascii_domain}", local.to_lowercase());
    Ok(NormalizedEmail { display, key })
}

/// Shorthand: the key of an address, or None if it is invalid.
///
/// Equivalent to `normalize_email(input).ok().map(|email| email.key)`; used for lookups where an
/// invalid address behaves like an unknown one.
pub fn email_key(input: &str) -> Option<String> {
    normalize_email(input).ok().map(|email| email.key)
}

/// Reduces `Display Name <address>` to `address`, as Pydantic's `EmailStr` does.
///
/// The name is empty, quoted (`"…"`, anything inside) or unquoted (words of letters, digits and
/// ``_!#$%&'*+-/=?^`{|}~`` separated by whitespace). The input must already be trimmed. Anything
/// else is returned unchanged and later refused by the syntax checks.
fn strip_display_name(s: &str) -> &str {
    let Some(body) = s.strip_suffix('>') else {
        return s;
    };
    // Like the greedy regular expression, prefer the rightmost `<` a quoted name can precede;
    // an empty or unquoted name can only precede the first `<`.
    let first = body.find('<');
    for (lt, _) in body.rmatch_indices('<') {
        let address = &body[lt + 1..];
        if address.is_empty() {
            continue;
        }
        let name = body[..lt].trim_end();
        let quoted = name.len() >= 3 && name.starts_with('"') && name.ends_with('"');
        if quoted || (Some(lt) == first && is_unquoted_name(name)) {
            return address;
        }
    }
    s
}

/// Whether `name` is empty or an unquoted display name.
fn is_unquoted_name(name: &str) -> bool {
    name.split(char::is_whitespace)
        .filter(|word| !word.is_empty())
        .all(|word| {
            word.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || LOCAL_SPECIALS.contains(c))
        })
}

/// Bidi controls and invisible characters: the Unicode `Default_Ignorable_Code_Point` set, which
/// holds the zero-width characters (U+200B–U+200D, U+2060, U+FEFF), the bidi marks, embeddings,
/// overrides and isolates (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), U+061C, variation
/// selectors, the soft hyphen and the Hangul fillers.
fn is_bidi_or_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Whether `c` may appear in a local part (dots are checked separately for placement).
fn is_local_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '.' || LOCAL_SPECIALS.contains(c)
    } else {
        (c.is_alphanumeric() || is_combining_mark(c)) && !is_bidi_or_invisible(c)
    }
}

/// Checks the syntax of a non-empty local part.
fn check_local(local: &str) -> Result<(), EmailError> {
    if local.contains('"') {
        return Err(EmailError::QuotedLocalPart);
    }
    if local.starts_with('.') || local.ends_with('.') {
        return Err(EmailError::LocalPartDot);
    }
    if local.contains("..") {
        return Err(EmailError::ConsecutiveDots);
    }
    if !local.chars().all(is_local_char) {
        return Err(EmailError::InvalidLocalCharacter);
    }
    Ok(())
}

/// Validates a non-empty domain and returns its IDNA ASCII form and its lower-case Unicode form.
fn normalize_domain(domain: &str) -> Result<(String, String), EmailError> {
    if domain.starts_with('[') || domain.ends_with(']') {
        return Err(EmailError::DomainLiteral);
    }
    if domain
        .chars()
        .any(|c| c.is_ascii() && !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
    {
        return Err(EmailError::InvalidDomainCharacter);
    }
    // Specific reasons for the common ASCII mistakes before IDNA refuses them wholesale.
    for label in domain.split('.') {
        if label.is_empty() {
            return Err(EmailError::EmptyDomainLabel);
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(EmailError::DomainLabelHyphen);
        }
    }

    // UTS #46 ToASCII: STD3 rules (letters, digits, hyphens), no leading or trailing hyphen in any
    // label, Unicode or decoded; the DNS lengths are checked below with their own reasons.
    let ascii = Uts46::new()
        .to_ascii(
            domain.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::CheckFirstLast,
            idna::uts46::DnsLength::Ignore,
        )
        .map_err(|_| EmailError::InvalidDomain)?
        .to_ascii_lowercase();

    if ascii.len() > MAX_DOMAIN_BYTES {
        return Err(EmailError::DomainTooLong);
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    for label in &labels {
        if label.is_empty() {
            return Err(EmailError::EmptyDomainLabel);
        }
        if label.len() > MAX_LABEL_BYTES {
            return Err(EmailError::DomainLabelTooLong);
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(EmailError::InvalidDomain);
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(EmailError::DomainLabelHyphen);
        }
    }
    let last = labels.last().copied().unwrap_or_default();
    if SPECIAL_USE.contains(&last) {
        return Err(EmailError::SpecialUseDomain);
    }
    if labels.len() < 2 {
        return Err(EmailError::SingleLabelDomain);
    }
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EmailError::NumericTopLevel);
    }

    let (unicode, result) = idna::domain_to_unicode(&ascii);
    if result.is_err() {
        return Err(EmailError::InvalidDomain);
    }
    if unicode
        .split('.')
        .any(|label| label.is_empty() || label.starts_with('-') || label.ends_with('-'))
    {
        return Err(EmailError::DomainLabelHyphen);
    }
    Ok((ascii, unicode))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> NormalizedEmail {
        match normalize_email(input) {
            Ok(email) => email,
            Err(err) => panic!("{input:?} refused: {err}"),
        }
    }

    fn err(input: &str) -> EmailError {
        match normalize_email(input) {
            Ok(email) => panic!("{input:?} accepted as {email:?}"),
            Err(err) => err,
        }
    }

    #[test]
    fn mixed_case_and_whitespace() {
        let email = ok(" MiXed@Example.COM ");
        assert_eq!(email.display, "MiXed@example.com");
        assert_eq!(email.key, "mixed@example.com");
        let email = ok("\u{3000}\tMiXed@Example.COM\u{a0}");
        assert_eq!(email.display, "MiXed@example.com");
    }

    #[test]
    fn display_names() {
        let email = ok("John Doe <jd@Example.com>");
        assert_eq!(email.display, "jd@example.com");
        assert_eq!(email.key, "jd@example.com");
        assert_eq!(
            ok("\"Doe, John\" <jd@example.com>").display,
            "jd@example.com"
        );
        assert_eq!(ok("<jd@example.com>").display, "jd@example.com");
        assert_eq!(
            ok("  Jöhn_O'Neil  < jd@example.com >  ").display,
            "jd@example.com"
        );
        assert_eq!(ok("\"A <b>\" <jd@example.com>").display, "jd@example.com");
        assert_eq!(ok("John<jd@example.com>").display, "jd@example.com");
        // Not a display name Pydantic accepts: the whole text is taken as the address.
        assert_eq!(err("John Q. Doe <jd@example.com>"), EmailError::Whitespace);
        assert_eq!(err("<>"), EmailError::MissingAt);
        assert_eq!(err("John <a@b.com> <c@d.com>"), EmailError::Whitespace);
        assert_eq!(err("John <>"), EmailError::Whitespace);
        assert_eq!(err("jd@example.com>"), EmailError::InvalidDomainCharacter);
    }

    #[test]
    fn punycode_domain_is_decoded_for_display() {
        let email = ok("alice@xn--bcher-kva.example");
        assert_eq!(email.display, "alice@bücher.example");
        assert_eq!(email.key, "alice@xn--bcher-kva.example");
        let email = ok("alice@XN--BCHER-KVA.Example");
        assert_eq!(email.display, "alice@bücher.example");
        assert_eq!(email.key, "alice@xn--bcher-kva.example");
    }

    #[test]
    fn unicode_domain_is_lowercased_and_encoded() {
        let email = ok("alice@BÜCHER.example");
        assert_eq!(email.display, "alice@bücher.example");
        assert_eq!(email.key, "alice@xn--bcher-kva.example");
        // Decomposed input is composed by IDNA.
        let email = ok("alice@BU\u{308}CHER.example");
        assert_eq!(email.key, "alice@xn--bcher-kva.example");
        // Full-width letters and the ideographic full stop are mapped by UTS #46.
        let email = ok("alice@ｅｘａｍｐｌｅ。com");
        assert_eq!(email.display, "alice@example.com");
        assert_eq!(email.key, "alice@example.com");
        let email = ok("user@例え.jp");
        assert_eq!(email.display, "user@例え.jp");
        assert!(email.key.starts_with("user@xn--"));
    }

    #[test]
    fn local_part_nfc_and_lowercase() {
        for input in ["ÉLODIE@example.com", "E\u{301}LODIE@example.com"] {
            let email = ok(input);
            assert_eq!(email.display, "\u{c9}LODIE@example.com");
            assert_eq!(email.key, "\u{e9}lodie@example.com");
        }
        let email = ok("ΣΟΦΙΑ@Example.com");
        assert_eq!(email.display, "ΣΟΦΙΑ@example.com");
        assert_eq!(email.key, "σοφια@example.com");
        // No case folding: ß stays ß, and look-alikes stay distinct.
        assert_eq!(ok("STRAßE@example.com").key, "straße@example.com");
        assert_ne!(ok("pаypal@example.com").key, ok("paypal@example.com").key);
        // Full-width letters are not NFKC-folded in the local part.
        assert_eq!(ok("ＡＢ@example.com").key, "ａｂ@example.com");
    }

    #[test]
    fn accepted_syntax() {
        let specials = "!#$%&'*+-/=?^_`{|}~";
        let email = ok(&format!("a.{specials}.b@example.com"));
        assert_eq!(email.display, format!("a.{specials}.b@example.com"));
        assert_eq!(ok("x@a-b.example.com").key, "x@a-b.example.com");
        assert_eq!(ok("x@a--b.com").key, "x@a--b.com");
        assert_eq!(ok("x@123.example.com").key, "x@123.example.com");
        assert_eq!(ok("x@example.com1").key, "x@example.com1");
        assert_eq!(ok("用户@例子.广告").display, "用户@例子.广告");
        assert_eq!(ok("δοκιμή@παράδειγμα.δοκιμή").key.split('@').count(), 2);
        assert_eq!(ok("देवनागरी@example.com").display, "देवनागरी@example.com");
        // Other reserved names are accepted.
        ok("a@example.com");
        ok("a@example.org");
        ok("a@test.example.com");
        ok("a@localhost.example");
    }

    #[test]
    fn required_refusals() {
        assert_eq!(err("not-an-email"), EmailError::MissingAt);
        assert_eq!(err("a@localhost"), EmailError::SpecialUseDomain);
        assert_eq!(err("a@x.test"), EmailError::SpecialUseDomain);
        assert_eq!(err("a@@b.com"), EmailError::MultipleAt);
        assert_eq!(err(".a@b.com"), EmailError::LocalPartDot);
        assert_eq!(err("a.@b.com"), EmailError::LocalPartDot);
        assert_eq!(err("a..b@c.com"), EmailError::ConsecutiveDots);
        assert_eq!(err("\"quoted\"@b.com"), EmailError::QuotedLocalPart);
        assert_eq!(err("a b@c.com"), EmailError::Whitespace);
        assert_eq!(err("a@b_c.com"), EmailError::InvalidDomainCharacter);
        assert_eq!(err("a@[127.0.0.1]"), EmailError::DomainLiteral);
        assert_eq!(err("a@1.2.3.4"), EmailError::NumericTopLevel);
        assert_eq!(err("a@-b.com"), EmailError::DomainLabelHyphen);
        assert_eq!(err("a\r\n@b.com"), EmailError::LineBreak);
        assert_eq!(err("a\u{202e}b@c.com"), EmailError::UnsafeCharacter);
        assert_eq!(err("a\u{200b}@c.com"), EmailError::UnsafeCharacter);
        assert_eq!(err("a@b"), EmailError::SingleLabelDomain);
        assert_eq!(err(""), EmailError::Empty);
        assert_eq!(err("@b.com"), EmailError::EmptyLocalPart);
        assert_eq!(err("a@"), EmailError::EmptyDomain);
    }

    #[test]
    fn length_limits() {
        let local64 = "a".repeat(64);
        ok(&format!("{local64}@example.com"));
        assert_eq!(
            err(&format!("{}@example.com", "a".repeat(65))),
            EmailError::LocalPartTooLong
        );
        // 64 bytes but 32 characters is fine; 66 bytes in 33 characters is not.
        ok(&format!("{}@example.com", "é".repeat(32)));
        assert_eq!(
            err(&format!("{}@example.com", "é".repeat(33))),
            EmailError::LocalPartTooLong
        );

        // 254 bytes in all is accepted, 255 refused.
        let label = "b".repeat(63);
        let domain = format!("{label}.{label}.{label}.{}.com", "c".repeat(53));
        assert_eq!(domain.len(), 249);
        ok(&format!("abcd@{domain}"));
        assert_eq!(format!("abcd@{domain}").len(), 254);
        assert_eq!(format!("abcde@{domain}").len(), 255);
        assert_eq!(err(&format!("abcde@{domain}")), EmailError::TooLong);

        assert_eq!(
            err(&format!("a@{}.com", "b".repeat(64))),
            EmailError::DomainLabelTooLong
        );
        // A Unicode label whose ASCII form exceeds 63 bytes.
        assert_eq!(
            err(&format!("a@{}ü.com", "a".repeat(60))),
            EmailError::DomainLabelTooLong
        );
        // A Unicode domain under 254 bytes whose ASCII form exceeds 253.
        let long = format!("a@{}com", "ü.".repeat(80));
        assert!(long.len() <= 254);
        assert_eq!(err(&long), EmailError::DomainTooLong);
        // An ASCII address whose decoded (stored) form exceeds 254 bytes.
        let cjk = "中".repeat(50);
        let ascii = idna::domain_to_ascii(&format!("{cjk}.{cjk}.com"));
        let ascii = ascii.unwrap_or_default();
        let input = format!("a@{ascii}");
        assert!(input.len() <= 254, "{}", input.len());
        assert_eq!(err(&input), EmailError::TooLong);
    }

    #[test]
    fn long_input_is_refused_cheaply() {
        let huge = format!("{}@example.com", "a".repeat(1 << 20));
        assert_eq!(err(&huge), EmailError::TooLong);
        let huge = "é".repeat(1 << 20);
        assert_eq!(err(&huge), EmailError::TooLong);
        let huge = format!("{}<a@b.com>", "<".repeat(2000));
        assert!(normalize_email(&huge).is_err());
        // Over 2048 characters is refused even with a display name.
        let named = format!("{} <a@example.com>", "n".repeat(2100));
        assert_eq!(err(&named), EmailError::TooLong);
        let named = format!("{} <a@example.com>", "n".repeat(2000));
        assert_eq!(ok(&named).display, "a@example.com");
        assert_eq!(email_key(&"x".repeat(1 << 20)), None);
    }

    #[test]
    fn local_part_refusals() {
        assert_eq!(err("a\0b@c.com"), EmailError::UnsafeCharacter);
        assert_eq!(err("a\tb@c.com"), EmailError::UnsafeCharacter);
        assert_eq!(err("a\u{7f}@c.com"), EmailError::UnsafeCharacter);
        assert_eq!(err("a\u{85}@c.com"), EmailError::UnsafeCharacter);
        assert_eq!(err("a\u{a0}b@c.com"), EmailError::Whitespace);
        assert_eq!(err("a\u{2003}b@c.com"), EmailError::Whitespace);
        assert_eq!(err("a\rb@c.com"), EmailError::LineBreak);
        assert_eq!(err("a\nb@c.com"), EmailError::LineBreak);
        for c in [
            '\u{202a}',
            '\u{202b}',
            '\u{202c}',
            '\u{202d}',
            '\u{202e}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{200e}',
            '\u{200f}',
            '\u{061c}',
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{2060}',
            '\u{feff}',
            '\u{00ad}',
            '\u{fe0f}',
            '\u{e0041}',
        ] {
            assert_eq!(
                err(&format!("a{c}b@c.com")),
                EmailError::UnsafeCharacter,
                "{c:?}"
            );
            assert_eq!(
                err(&format!("ab@c{c}d.com")),
                EmailError::UnsafeCharacter,
                "{c:?}"
            );
        }
        for bad in [
            "a(b)@c.com",
            "a,b@c.com",
            "a:b@c.com",
            "a;b@c.com",
            "a<b@c.com",
        ] {
            assert_eq!(err(bad), EmailError::InvalidLocalCharacter, "{bad}");
        }
        for bad in [
            "a\\b@c.com",
            "a[b]@c.com",
            "€@c.com",
            "a•b@c.com",
            "😀@c.com",
        ] {
            assert_eq!(err(bad), EmailError::InvalidLocalCharacter, "{bad}");
        }
        assert_eq!(err("a\"b@c.com"), EmailError::QuotedLocalPart);
        assert_eq!(err(".@c.com"), EmailError::LocalPartDot);
        assert_eq!(err("\"a@b\"@c.com"), EmailError::MultipleAt);
        assert_eq!(err("a@b@c.com"), EmailError::MultipleAt);
        assert_eq!(err("@"), EmailError::EmptyLocalPart);
        assert_eq!(err("   "), EmailError::Empty);
        // Combining marks are accepted.
        assert_eq!(ok("a\u{301}@c.com").display, "\u{e1}@c.com");
    }

    #[test]
    fn domain_refusals() {
        assert_eq!(err("a@b.com."), EmailError::EmptyDomainLabel);
        assert_eq!(err("a@.b.com"), EmailError::EmptyDomainLabel);
        assert_eq!(err("a@b..com"), EmailError::EmptyDomainLabel);
        assert_eq!(err("a@b-.com"), EmailError::DomainLabelHyphen);
        assert_eq!(err("a@b.-com"), EmailError::DomainLabelHyphen);
        assert_eq!(err("a@-ü.com"), EmailError::DomainLabelHyphen);
        assert_eq!(err("a@ü-.com"), EmailError::DomainLabelHyphen);
        assert_eq!(err("a@[IPv6:::1]"), EmailError::DomainLiteral);
        assert_eq!(err("a@b.com]"), EmailError::DomainLiteral);
        for bad in [
            "a@b!c.com",
            "a@b/c.com",
            "a@b:80.com",
            "a@b,c.com",
            "a@b+c.com",
        ] {
            assert_eq!(err(bad), EmailError::InvalidDomainCharacter, "{bad}");
        }
        assert_eq!(err("a@127.0.0.1"), EmailError::NumericTopLevel);
        assert_eq!(err("a@example.123"), EmailError::NumericTopLevel);
        assert_eq!(err("a@example"), EmailError::SingleLabelDomain);
        assert_eq!(err("a@bücher"), EmailError::SingleLabelDomain);
        // Invalid punycode, and punycode of an invalid label.
        assert_eq!(err("a@xn--.com"), EmailError::DomainLabelHyphen);
        assert_eq!(err("a@xn--a.com"), EmailError::InvalidDomain);
        assert_eq!(err("a@xn--zz-zz.com"), EmailError::InvalidDomain);
        // Punycode decoding to a label with a leading or trailing hyphen (`-bücher`, `bücher-`).
        assert_eq!(err("a@xn---bcher-4ya.com"), EmailError::InvalidDomain);
        assert_eq!(err("a@xn--bcher--3ya.com"), EmailError::InvalidDomain);
        assert_eq!(err("a@ex\u{3002}\u{3002}com"), EmailError::EmptyDomainLabel);
        // Characters disallowed by UTS #46.
        assert_eq!(err("a@b\u{2615}\u{fe0f}.com"), EmailError::UnsafeCharacter);
        assert_eq!(err("a@b＿c.com"), EmailError::InvalidDomain);
    }

    #[test]
    fn special_use_names() {
        for name in ["arpa", "invalid", "local", "localhost", "onion", "test"] {
            assert_eq!(
                err(&format!("a@{name}")),
                EmailError::SpecialUseDomain,
                "{name}"
            );
            assert_eq!(
                err(&format!("a@x.{name}")),
                EmailError::SpecialUseDomain,
                "{name}"
            );
            assert_eq!(
                err(&format!("a@x.y.{}", name.to_uppercase())),
                EmailError::SpecialUseDomain,
                "{name}"
            );
        }
        assert_eq!(err("a@foo.local"), EmailError::SpecialUseDomain);
        assert_eq!(
            err("a@1.0.0.127.in-addr.arpa"),
            EmailError::SpecialUseDomain
        );
        assert_eq!(err("a@x.ｔｅｓｔ"), EmailError::SpecialUseDomain);
        assert_eq!(err("a@x.localhost."), EmailError::EmptyDomainLabel);
    }

    #[test]
    fn idempotent_and_key_stable() {
        for input in [
            "MiXed@Example.COM",
            "alice@BÜCHER.example",
            "E\u{301}LODIE@xn--bcher-kva.example",
            "用户@例子.广告",
        ] {
            let first = ok(input);
            let again = ok(&first.display);
            assert_eq!(again, first, "{input}");
            assert_eq!(email_key(&first.key), Some(first.key.clone()));
        }
    }

    #[test]
    fn email_key_shorthand() {
        assert_eq!(
            email_key(" MiXed@Example.COM "),
            Some("mixed@example.com".to_owned())
        );
        assert_eq!(email_key("not-an-email"), None);
        assert_eq!(email_key("a@localhost"), None);
    }

    #[test]
    fn reasons_are_short_lower_case() {
        let errors = [
            err(""),
            err("a\n@b.com"),
            err(&"a".repeat(300)),
            err(&format!("{}@b.com", "a".repeat(65))),
            err("a\u{200b}@b.com"),
            err("a b@c.com"),
            err("ab"),
            err("a@b@c"),
            err("@b.com"),
            err("a@"),
            err("\"a\"@b.com"),
            err(".a@b.com"),
            err("a..b@c.com"),
            err("a(@b.com"),
            err("a@[1.2.3.4]"),
            err("a@b_c.com"),
            err("a@b..com"),
            err("a@-b.com"),
            err("a@xn--a.com"),
            err(&format!("a@{}.com", "b".repeat(64))),
            err("a@b"),
            err("a@b.12"),
            err("a@b.test"),
        ];
        for error in errors {
            let reason = error.to_string();
            assert!(!reason.is_empty());
        }
        assert_eq!(
            format!("value is not a valid email address: {}", err("a@b")),
            "value is not a valid email address: The part after the @-sign is not valid. It should have a period."
        );
    }
}
