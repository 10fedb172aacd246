//! Small helpers the derive's generated code calls: presence of a value, Pydantic-style
//! timestamps in serde, and the OpenAPI kind of a column type.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;

use crate::schema::FieldKind;
use crate::time_fmt;
use crate::validation::Patch;
use crate::value::SqlType;

/// A value that may be absent (`None`); constraints and `validate` functions run on the
/// innermost present value only.
pub trait Present {
    /// The scalar type inside.
    type Inner: ?Sized;
    /// The inner value, if present.
    fn present(&self) -> Option<&Self::Inner>;
}

macro_rules! present_scalar {
    ($($t:ty),*) => {$(
        impl Present for $t {
            type Inner = $t;
            fn present(&self) -> Option<&$t> {
                Some(self)
            }
        }
    )*};
}
present_scalar!(String, bool, i32, i64, f64, uuid::Uuid, OffsetDateTime);

impl<T: Present> Present for Option<T> {
    type Inner = T::Inner;
    fn present(&self) -> Option<&T::Inner> {
        self.as_ref().and_then(Present::present)
    }
}

impl<T: Present> Present for &T {
    type Inner = T::Inner;
    fn present(&self) -> Option<&T::Inner> {
        (**self).present()
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    /// A set value serializes as itself; an absent one as `null` (skip it with
    /// `skip_serializing_if = "Patch::is_absent"`).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Patch::Absent => serializer.serialize_none(),
            Patch::Set(v) => v.serialize(serializer),
        }
    }
}

/// A timestamp field shape that serializes in Pydantic's form (`2026-01-02T03:04:05.123456Z`).
pub trait WireTime: Sized {
    /// Serializes in the wire form.
    fn ser<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
    /// Deserializes an RFC 3339 string (or `null` for optional shapes).
    fn de<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

impl WireTime for OffsetDateTime {
    fn ser<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&time_fmt::to_wire(*self))
    }
    fn de<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
            .map_err(serde::de::Error::custom)
    }
}

impl<T: WireTime> WireTime for Option<T> {
    fn ser<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(v) => v.ser(serializer),
            None => serializer.serialize_none(),
        }
    }
    fn de<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Option::<serde_json::Value>::deserialize(deserializer)?;
        match value {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) => T::de(v).map(Some).map_err(serde::de::Error::custom),
        }
    }
}

impl<T: WireTime> WireTime for Patch<T> {
    fn ser<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Patch::Set(v) => v.ser(serializer),
            Patch::Absent => serializer.serialize_none(),
        }
    }
    fn de<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::de(deserializer).map(Patch::Set)
    }
}

/// `serialize_with` target for timestamp fields.
pub fn ser_wire<T: WireTime, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    value.ser(serializer)
}

/// `deserialize_with` target for timestamp fields.
pub fn de_wire<'de, T: WireTime, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    T::de(deserializer)
}

/// The OpenAPI kind of a column type.
pub const fn field_kind(ty: SqlType) -> FieldKind {
    match ty {
        SqlType::Varchar(_) | SqlType::Text => FieldKind::String,
        SqlType::Bool => FieldKind::Bool,
        SqlType::I32 => FieldKind::I32,
        SqlType::I64 => FieldKind::I64,
        SqlType::F64 => FieldKind::F64,
        SqlType::Uuid => FieldKind::Uuid,
        SqlType::Timestamp => FieldKind::DateTime,
    }
}
