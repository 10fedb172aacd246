//! Accounts: SEC-RESET-*, SEC-VERIFY-*, SEC-ENUM-*, SEC-EMAIL-*.

mod common;
#[path = "security/harness.rs"]
mod harness;
