//! OpenAPI (utoipa) descriptions of the generated schemas.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AnyOfBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};

/// The JSON kind of a schema field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A string.
    String,
    /// An email address.
    Email,
    /// A password (write-only).
    Password,
    /// A boolean.
    Bool,
    /// A 32-bit integer.
    I32,
    /// A 64-bit integer.
    I64,
    /// A number.
    F64,
    /// A UUID string.
    Uuid,
    /// An RFC 3339 timestamp string.
    DateTime,
}

/// The description of one schema field, emitted by the derive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldDoc {
    /// The JSON key.
    pub name: &'static str,
    /// The JSON kind.
    pub kind: FieldKind,
    /// Whether `null` is a valid value.
    pub nullable: bool,
    /// Whether the key must be present.
    pub required: bool,
    /// `minLength`, for strings.
    pub min_length: Option<usize>,
    /// `maxLength`, for strings.
    pub max_length: Option<usize>,
    /// `minimum`, for numbers.
    pub minimum: Option<f64>,
    /// `maximum`, for numbers.
    pub maximum: Option<f64>,
    /// `readOnly`: set by the server (the timestamps), never taken from a request.
    pub read_only: bool,
}

/// The description of every email property: what `format: email` cannot say.
const EMAIL_DESCRIPTION: &str = "An email address as the email-validator package \
    accepts it (at most 254 bytes, 64 before the @); special-use domains such as .test, .local, \
    .localhost, .invalid, .onion and .arpa are refused. Compared case-insensitively.";

/// Booleans in request bodies are lax, as in Pydantic: `0`/`1` (also `0.0`/`1.0`) and these
/// strings in any letter case are read as booleans too.
const LAX_BOOL_STRINGS: &str = "^(0|1|[fFtTnNyY]|[nN][oO]|[oO][nN]|[oO][fF][fF]|[yY][eE][sS]|\
    [tT][rR][uU][eE]|[fF][aA][lL][sS][eE])$";

/// A request text field: any string without the NUL character.
const NO_NUL_PATTERN: &str = "^[^\\u0000]*$";

fn field_schema(field: &FieldDoc, request: bool) -> Schema {
    if request && field.kind == FieldKind::Bool {
        return lax_bool(field.nullable);
    }
    let (ty, format) = match field.kind {
        FieldKind::String => (Type::String, None),
        FieldKind::Email => (Type::String, Some(KnownFormat::Email)),
        FieldKind::Password => (Type::String, Some(KnownFormat::Password)),
        FieldKind::Bool => (Type::Boolean, None),
        FieldKind::I32 => (Type::Integer, Some(KnownFormat::Int32)),
        FieldKind::I64 => (Type::Integer, Some(KnownFormat::Int64)),
        FieldKind::F64 => (Type::Number, Some(KnownFormat::Double)),
        FieldKind::Uuid => (Type::String, Some(KnownFormat::Uuid)),
        FieldKind::DateTime => (Type::String, Some(KnownFormat::DateTime)),
    };
    let schema_type = if field.nullable {
        SchemaType::Array(vec![ty, Type::Null])
    } else {
        SchemaType::Type(ty)
    };
    let email = field.kind == FieldKind::Email;
    // Custom text fields refuse the NUL character (no database stores it in text).
    let text_pattern = (request && field.kind == FieldKind::String).then_some(NO_NUL_PATTERN);
    let object = ObjectBuilder::new()
        .schema_type(schema_type)
        .format(format.map(SchemaFormat::KnownFormat))
        // An address has a local part, an @ and a domain.
        .min_length(if email { Some(3) } else { field.min_length })
        .max_length(field.max_length)
        .minimum(field.minimum)
        .maximum(field.maximum)
        .pattern(text_pattern)
        .description(email.then_some(EMAIL_DESCRIPTION));
    if field.read_only {
        object.read_only(true).into()
    } else {
        object.into()
    }
}

/// The schema of a required, non-null email property (the bodies of forgot-password and
/// request-verify-token).
pub(crate) fn email_property() -> Schema {
    let email = FieldDoc {
        name: "email",
        kind: FieldKind::Email,
        nullable: false,
        required: true,
        min_length: None,
        max_length: None,
        minimum: None,
        maximum: None,
        read_only: false,
    };
    field_schema(&email, true)
}

/// A request boolean: `true`/`false`, or one of Pydantic's lax spellings (`null` too when
/// `nullable`).
fn lax_bool(nullable: bool) -> Schema {
    let mut any = AnyOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(SchemaType::Type(Type::Boolean)))
        .item(
            ObjectBuilder::new()
                .schema_type(SchemaType::Type(Type::Number))
                .enum_values(Some([0, 1])),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(SchemaType::Type(Type::String))
                .pattern(Some(LAX_BOOL_STRINGS)),
        );
    if nullable {
        any = any.item(ObjectBuilder::new().schema_type(SchemaType::Type(Type::Null)));
    }
    any.description(Some(
        "A boolean. Read leniently, as Pydantic does: 0 and 1 and the strings 0, 1, f, t, n, y, \
         no, on, off, yes, true and false in any letter case are accepted too.",
    ))
    .into()
}

/// The object schema named `title` with `fields`, in order.
///
/// `request`: the schema of a request body, whose booleans are read leniently.
pub fn object_schema(title: &str, fields: &[FieldDoc], request: bool) -> RefOr<Schema> {
    let mut object = ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Object))
        .title(Some(title));
    for field in fields {
        object = object.property(field.name, field_schema(field, request));
        if field.required {
            object = object.required(field.name);
        }
    }
    RefOr::T(object.into())
}
