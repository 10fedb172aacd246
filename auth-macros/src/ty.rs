//! Recognising the field types the derive supports, by their written form.

use syn::{GenericArgument, PathArguments, Type};

/// The scalar kinds a column can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scalar {
    String,
    Bool,
    I32,
    I64,
    F64,
    Uuid,
    Timestamp,
}

/// A field type: a scalar, optional or not; `None` from [`classify`] when unsupported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FieldType {
    pub(crate) scalar: Scalar,
    pub(crate) optional: bool,
}

impl FieldType {
    pub(crate) fn is_string(self) -> bool {
        self.scalar == Scalar::String
    }
    pub(crate) fn is_number(self) -> bool {
        matches!(self.scalar, Scalar::I32 | Scalar::I64 | Scalar::F64)
    }
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

fn scalar(ty: &Type) -> Option<Scalar> {
    let seg = last_segment(ty)?;
    if !matches!(seg.arguments, PathArguments::None) {
        return None;
    }
    Some(match seg.ident.to_string().as_str() {
        "String" => Scalar::String,
        "bool" => Scalar::Bool,
        "i32" => Scalar::I32,
        "i64" => Scalar::I64,
        "f64" => Scalar::F64,
        "Uuid" => Scalar::Uuid,
        "OffsetDateTime" => Scalar::Timestamp,
        _ => return None,
    })
}

/// The inner type of `Option<T>`, if `ty` is written as an `Option`.
pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    let seg = last_segment(ty)?;
    if seg.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    match args.args.first() {
        Some(GenericArgument::Type(inner)) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

/// Classifies a field type; `None` when it is not one the derive can store.
pub(crate) fn classify(ty: &Type) -> Option<FieldType> {
    match option_inner(ty) {
        Some(inner) => scalar(inner).map(|scalar| FieldType {
            scalar,
            optional: true,
        }),
        None => scalar(ty).map(|scalar| FieldType {
            scalar,
            optional: false,
        }),
    }
}

/// The supported types, for error messages.
pub(crate) const SUPPORTED: &str =
    "String, bool, i32, i64, f64, uuid::Uuid, time::OffsetDateTime, or Option<_> of one of them";
