//! Tokens and revocation: SEC-JWT-* and SEC-REV-*.

mod common;
#[path = "security/harness.rs"]
mod harness;
