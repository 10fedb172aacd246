//! The checked model of the user struct.

use proc_macro2::Span;
use syn::{Data, DeriveInput, Fields, Ident, Path, Type, Visibility, parse_quote};

use crate::attr::{self, FieldAttrs, StructAttrs};
use crate::errors::Errors;
use crate::ty::{self, FieldType};

/// What a field is to axum-users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Role {
    Id,
    Email,
    HashedPassword,
    Active,
    Superuser,
    Verified,
    CreatedAt,
    UpdatedAt,
    Custom,
    Skip,
}

impl Role {
    pub(crate) fn is_base(self) -> bool {
        matches!(
            self,
            Self::Id
                | Self::Email
                | Self::HashedPassword
                | Self::Active
                | Self::Superuser
                | Self::Verified
        )
    }

    pub(crate) fn is_flag(self) -> bool {
        matches!(self, Self::Active | Self::Superuser | Self::Verified)
    }

    /// The FastAPI Users name of a base field (its wire key).
    pub(crate) fn base_name(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Email => "email",
            Self::HashedPassword => "hashed_password",
            Self::Active => "is_active",
            Self::Superuser => "is_superuser",
            Self::Verified => "is_verified",
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
            Self::Custom | Self::Skip => "",
        }
    }
}

pub(crate) struct Field {
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
    pub(crate) class: Option<FieldType>,
    pub(crate) attrs: FieldAttrs,
    pub(crate) role: Role,
    /// The column name.
    pub(crate) column: String,
    /// The JSON key in the schemas.
    pub(crate) wire: String,
}

impl Field {
    pub(crate) fn is_column(&self) -> bool {
        self.role != Role::Skip
    }

    /// Whether the field appears in UserRead.
    pub(crate) fn in_read(&self) -> bool {
        self.role != Role::Skip && self.role != Role::HashedPassword && self.attrs.hidden.is_none()
    }

    /// Whether a custom field is accepted at creation.
    pub(crate) fn in_create(&self) -> bool {
        self.role == Role::Custom && self.attrs.read_only.is_none() && self.attrs.hidden.is_none()
    }

    /// Whether a custom field is accepted by updates.
    pub(crate) fn in_update(&self) -> bool {
        self.in_create()
    }

    pub(crate) fn optional(&self) -> bool {
        self.class.is_some_and(|c| c.optional)
    }
}

pub(crate) struct Model {
    pub(crate) ident: Ident,
    pub(crate) vis: Visibility,
    pub(crate) krate: Path,
    pub(crate) table: String,
    pub(crate) hooks: Option<syn::Type>,
    pub(crate) read: Ident,
    pub(crate) create: Ident,
    pub(crate) update: Ident,
    pub(crate) fields: Vec<Field>,
}

impl Model {
    pub(crate) fn field(&self, role: Role) -> Option<&Field> {
        self.fields.iter().find(|f| f.role == role)
    }

    /// The fields of UserRead in wire order: the base fields as FastAPI Users orders them,
    /// then every other readable field in declaration order.
    pub(crate) fn read_fields(&self) -> Vec<&Field> {
        let base = [
            Role::Id,
            Role::Email,
            Role::Active,
            Role::Superuser,
            Role::Verified,
        ];
        let mut out: Vec<&Field> = base.iter().filter_map(|r| self.field(*r)).collect();
        out.extend(
            self.fields
                .iter()
                .filter(|f| f.in_read() && !f.role.is_base()),
        );
        out
    }

    pub(crate) fn customs(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.role == Role::Custom)
    }
}

/// Schema names and the crate path, read leniently so the fallback can use them even when
/// the struct has errors.
pub(crate) struct Names {
    pub(crate) krate: Path,
    pub(crate) read: Ident,
    pub(crate) create: Ident,
    pub(crate) update: Ident,
}

impl Names {
    pub(crate) fn from_attrs(attrs: &StructAttrs) -> Self {
        let name = |slot: &Option<(Path, Ident)>, default: &str| {
            slot.as_ref()
                .map(|(_, i)| i.clone())
                .unwrap_or_else(|| Ident::new(default, Span::call_site()))
        };
        Self {
            krate: attrs
                .krate
                .as_ref()
                .map(|(_, p)| p.clone())
                .unwrap_or_else(|| parse_quote!(::axum_users)),
            read: name(&attrs.read, "UserRead"),
            create: name(&attrs.create, "UserCreate"),
            update: name(&attrs.update, "UserUpdate"),
        }
    }

    pub(crate) fn best_effort(input: &DeriveInput) -> Self {
        let mut errors = Errors::default();
        let attrs = attr::struct_attrs(&input.attrs, &mut errors);
        let _ = errors.finish();
        Self::from_attrs(&attrs)
    }
}

fn role_of(ident: &Ident, attrs: &FieldAttrs) -> Role {
    if attrs.skip.is_some() {
        return Role::Skip;
    }
    if attrs.active.is_some() {
        return Role::Active;
    }
    if attrs.superuser.is_some() {
        return Role::Superuser;
    }
    if attrs.verified.is_some() {
        return Role::Verified;
    }
    if attrs.created_at.is_some() {
        return Role::CreatedAt;
    }
    if attrs.updated_at.is_some() {
        return Role::UpdatedAt;
    }
    match ident.to_string().as_str() {
        "id" => Role::Id,
        "email" => Role::Email,
        "hashed_password" => Role::HashedPassword,
        "is_active" => Role::Active,
        "is_superuser" => Role::Superuser,
        "is_verified" => Role::Verified,
        _ => Role::Custom,
    }
}

/// Builds the model, recording every problem found while reading it.
pub(crate) fn from_syn(input: &DeriveInput, errors: &mut Errors) -> Option<Model> {
    let attrs = attr::struct_attrs(&input.attrs, errors);
    let names = Names::from_attrs(&attrs);
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        errors.at(
            &input.generics,
            "#[derive(AuthUser)] does not support generic structs; remove the type parameters",
        );
    }
    let named = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) => Some(named),
            Fields::Unnamed(f) => {
                errors.at(
                    f,
                    "#[derive(AuthUser)] needs a struct with named fields (`struct User { id: i64, email: String, .. }`), not a tuple struct",
                );
                None
            }
            Fields::Unit => {
                errors.at(
                    &input.ident,
                    "#[derive(AuthUser)] needs a struct with named fields (`struct User { id: i64, email: String, .. }`), not a unit struct",
                );
                None
            }
        },
        Data::Enum(e) => {
            errors.at(
                e.enum_token,
                "#[derive(AuthUser)] works on structs only; a user is one struct with named fields",
            );
            None
        }
        Data::Union(u) => {
            errors.at(
                u.union_token,
                "#[derive(AuthUser)] works on structs only; a user is one struct with named fields",
            );
            None
        }
    };
    let named = named?;
    let mut fields = Vec::new();
    for f in &named.named {
        let Some(ident) = f.ident.clone() else {
            continue;
        };
        let fattrs = attr::field_attrs(&f.attrs, errors);
        let role = role_of(&ident, &fattrs);
        let name = ident.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
        let column = fattrs
            .column
            .as_ref()
            .map(|(_, s)| s.value())
            .unwrap_or_else(|| name.clone());
        let wire = if role.is_base() {
            role.base_name().to_owned()
        } else {
            name
        };
        fields.push(Field {
            class: ty::classify(&f.ty),
            ty: f.ty.clone(),
            ident,
            attrs: fattrs,
            role,
            column,
            wire,
        });
    }
    Some(Model {
        ident: input.ident.clone(),
        vis: input.vis.clone(),
        krate: names.krate,
        table: attrs
            .table
            .as_ref()
            .map(|(_, s)| s.value())
            .unwrap_or_else(|| "user".to_owned()),
        hooks: attrs.hooks.map(|(_, p)| p),
        read: names.read,
        create: names.create,
        update: names.update,
        fields,
    })
}
