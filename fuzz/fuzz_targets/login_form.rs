//! The login form parser (urlencoded and multipart) with any content type and body: an
//! answer, never a panic; an accepted form has a username and a password.
#![no_main]

use std::sync::LazyLock;

use axum_users::auth::transport::parse_login_form;
use libfuzzer_sys::fuzz_target;

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
});

const TYPES: [&str; 4] = [
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=b",
    "multipart/form-data",
    "text/plain",
];

fuzz_target!(|data: &[u8]| {
    let (first, body) = data.split_first().unwrap_or((&0, &[]));
    let content_type = TYPES[usize::from(*first) % TYPES.len()];
    let body = bytes::Bytes::copy_from_slice(body);
    if let Ok(form) = RUNTIME.block_on(parse_login_form(Some(content_type), body)) {
        assert!(!form.username.is_empty());
        assert!(!form.password.is_empty());
    }
});
