//! The HTTP surface: SEC-COOKIE-*, SEC-CSRF-*, SEC-AUTHZ-*, SEC-INPUT-*, SEC-OPS-*.

mod common;
#[path = "security/harness.rs"]
mod harness;
