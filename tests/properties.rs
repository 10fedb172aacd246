//! Property tests: email normalization and the password policy hold their rules for any
//! input, not only for the examples of the other tests.

use axum_users::email::normalize_email;
use axum_users::password::PasswordPolicy;
use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization;

/// Addresses of the usual shape: ASCII or Latin letters, digits and a few specials in the
/// local part; one to three labels before an ordinary top-level domain.
fn address() -> impl Strategy<Value = String> {
    let local = "[a-zA-Z0-9+_-]{1,8}(\\.[a-zA-Z0-9+_-]{1,8}){0,2}|[a-zA-Zéüñ]{1,8}";
    let label = "[a-zA-Z0-9]([a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?|b[üéa]cher";
    (
        local,
        prop::collection::vec(label, 1..=3),
        "(com|org|net|io|de)",
    )
        .prop_map(|(l, labels, tld)| format!("{l}@{}.{tld}", labels.join(".")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any string at all: an answer, never a panic; an accepted address fits the limits.
    #[test]
    fn normalize_email_never_panics(input in any::<String>()) {
        if let Ok(email) = normalize_email(&input) {
            prop_assert!(email.display.len() <= 254, "{:?}", email.display);
            prop_assert!(email.display.contains('@'));
            prop_assert!(!email.key.chars().any(char::is_uppercase), "{:?}", email.key);
        }
    }

    /// Normalizing the stored form again changes nothing.
    #[test]
    fn normalization_is_idempotent(input in address()) {
        let once = normalize_email(&input).expect("a plain address is accepted");
        let twice = normalize_email(&once.display).expect("the stored form is accepted");
        prop_assert_eq!(&once.display, &twice.display);
        prop_assert_eq!(&once.key, &twice.key);
    }

    /// Letter case, Unicode composition and surrounding spaces never make a second account.
    #[test]
    fn one_address_has_one_key(input in address(), upper in any::<bool>()) {
        let key = normalize_email(&input).expect("accepted").key;
        let cased = if upper { input.to_uppercase() } else { input.to_lowercase() };
        let variants = [cased, input.nfd().collect::<String>(), format!("  {input}\t")];
        for variant in variants {
            let other = normalize_email(&variant).expect("a variant is accepted");
            prop_assert_eq!(&other.key, &key, "{:?}", variant);
        }
    }

    /// The domain is stored in lower case; the local part as given (NFC).
    #[test]
    fn the_stored_form_keeps_the_local_part(input in address()) {
        let email = normalize_email(&input).expect("accepted");
        let (local, domain) = email.display.rsplit_once('@').expect("an @");
        let given = input.nfc().collect::<String>();
        prop_assert_eq!(local, given.rsplit_once('@').expect("an @").0);
        prop_assert_eq!(domain, domain.to_lowercase());
    }

    /// The policy accepts exactly the passwords of at least `min_chars` characters and at
    /// most `max_bytes` bytes, whatever they contain.
    #[test]
    fn the_password_policy_is_exactly_its_bounds(
        password in any::<String>(),
        min in 1usize..16,
        max in 16usize..64,
    ) {
        let policy = PasswordPolicy { min_chars: min, max_bytes: max };
        let fits = password.chars().count() >= min && password.len() <= max;
        prop_assert_eq!(policy.check(&password).is_ok(), fits, "{:?}", password);
        prop_assert_eq!(policy.too_long(&password), password.len() > max);
    }
}
