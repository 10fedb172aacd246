//! OpenAPI (utoipa) descriptions of the generated schemas.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};

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
}

fn field_schema(field: &FieldDoc) -> Schema {
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
    ObjectBuilder::new()
        .schema_type(schema_type)
        .format(format.map(SchemaFormat::KnownFormat))
        .min_length(field.min_length)
        .max_length(field.max_length)
        .minimum(field.minimum)
        .maximum(field.maximum)
        .into()
}

/// The object schema named `title` with `fields`, in order.
pub fn object_schema(title: &str, fields: &[FieldDoc]) -> RefOr<Schema> {
    let mut object = ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Object))
        .title(Some(title));
    for field in fields {
        object = object.property(field.name, field_schema(field));
        if field.required {
            object = object.required(field.name);
        }
    }
    RefOr::T(object.into())
}
