//! Email normalization on any string: an answer, never a panic; an accepted address is
//! within the limits and normalizing its stored form again gives the same key.
#![no_main]

use axum_users::email::normalize_email;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(email) = normalize_email(text) {
        assert!(email.display.len() <= 254);
        let again = normalize_email(&email.display).expect("the stored form is accepted");
        assert_eq!(again.key, email.key);
        assert_eq!(again.display, email.display);
    }
});
