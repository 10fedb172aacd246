//! The keywords of `#[auth(...)]`.

pub(crate) const AUTH: &str = "auth";

// struct level
pub(crate) const TABLE: &str = "table";
pub(crate) const HOOKS: &str = "hooks";
pub(crate) const CRATE: &str = "crate";
pub(crate) const READ: &str = "read";
pub(crate) const CREATE: &str = "create";
pub(crate) const UPDATE: &str = "update";

pub(crate) const STRUCT_KEYS: &[&str] = &[TABLE, HOOKS, CRATE, READ, CREATE, UPDATE];

// field level
pub(crate) const UNIQUE: &str = "unique";
pub(crate) const MIN_LENGTH: &str = "min_length";
pub(crate) const MAX_LENGTH: &str = "max_length";
pub(crate) const MIN: &str = "min";
pub(crate) const MAX: &str = "max";
pub(crate) const TEXT: &str = "text";
pub(crate) const DEFAULT: &str = "default";
pub(crate) const SUPERUSER_ONLY: &str = "superuser_only";
pub(crate) const READ_ONLY: &str = "read_only";
pub(crate) const CREATED_AT: &str = "created_at";
pub(crate) const UPDATED_AT: &str = "updated_at";
pub(crate) const HIDDEN: &str = "hidden";
pub(crate) const SKIP: &str = "skip";
pub(crate) const VALIDATE: &str = "validate";
pub(crate) const COLUMN: &str = "column";
pub(crate) const ACTIVE: &str = "active";
pub(crate) const SUPERUSER: &str = "superuser";
pub(crate) const VERIFIED: &str = "verified";

pub(crate) const FIELD_KEYS: &[&str] = &[
    UNIQUE,
    MIN_LENGTH,
    MAX_LENGTH,
    MIN,
    MAX,
    TEXT,
    DEFAULT,
    SUPERUSER_ONLY,
    READ_ONLY,
    CREATED_AT,
    UPDATED_AT,
    HIDDEN,
    SKIP,
    VALIDATE,
    COLUMN,
    ACTIVE,
    SUPERUSER,
    VERIFIED,
];
