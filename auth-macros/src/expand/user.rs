//! `impl AuthUser`: accessors, the static table description, row values and construction.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::Paths;
use crate::ast::{Field, Model, Role};
use crate::ty::Scalar;

/// The SQL type expression of a column.
pub(crate) fn sql_type(f: &Field, rt: &TokenStream) -> TokenStream {
    let ty = &f.ty;
    match f.role {
        Role::Email => quote!(#rt::SqlType::Varchar(320)),
        Role::HashedPassword => quote!(#rt::SqlType::Varchar(1024)),
        Role::Active | Role::Superuser | Role::Verified => quote!(#rt::SqlType::Bool),
        Role::CreatedAt | Role::UpdatedAt => quote!(#rt::SqlType::Timestamp),
        _ if f.class.is_some_and(|c| c.scalar == Scalar::String) => {
            if f.attrs.text.is_some() {
                quote!(#rt::SqlType::Text)
            } else {
                let n = f.attrs.max_length.as_ref().map_or(255, |(_, n)| *n as u32);
                quote!(#rt::SqlType::Varchar(#n))
            }
        }
        _ => quote_spanned!(ty.span()=> <#ty as #rt::SqlField>::SQL_TYPE),
    }
}

fn role_tokens(role: Role, rt: &TokenStream) -> TokenStream {
    match role {
        Role::Id => quote!(#rt::Role::Id),
        Role::Email => quote!(#rt::Role::Email),
        Role::HashedPassword => quote!(#rt::Role::HashedPassword),
        Role::Active => quote!(#rt::Role::Active),
        Role::Superuser => quote!(#rt::Role::Superuser),
        Role::Verified => quote!(#rt::Role::Verified),
        Role::CreatedAt => quote!(#rt::Role::CreatedAt),
        Role::UpdatedAt => quote!(#rt::Role::UpdatedAt),
        Role::Custom | Role::Skip => quote!(#rt::Role::Custom),
    }
}

/// The value a field gets when the request does not provide it.
pub(crate) fn default_value(f: &Field) -> TokenStream {
    match &f.attrs.default {
        Some((_, Some(expr))) => quote!(#expr),
        Some((_, None)) => quote!(::core::default::Default::default()),
        None => quote!(::core::option::Option::None),
    }
}

pub(crate) fn expand(model: &Model) -> TokenStream {
    let Paths { p, rt, .. } = Paths::new(model);
    let ident = &model.ident;
    let (create, update, read) = (&model.create, &model.update, &model.read);
    let table = &model.table;
    let hooks = model
        .hooks
        .as_ref()
        .map_or_else(|| quote!(()), |h| quote!(#h));
    let default_hooks = if model.hooks.is_some() {
        quote!(::core::option::Option::None)
    } else {
        quote!(::core::option::Option::Some(()))
    };
    let field = |role| {
        model
            .field(role)
            .map(|f| f.ident.clone())
            .unwrap_or_else(|| model.ident.clone())
    };
    let id = field(Role::Id);
    let email = field(Role::Email);
    let hashed = field(Role::HashedPassword);
    let active = field(Role::Active);
    let superuser = field(Role::Superuser);
    let verified = field(Role::Verified);
    let id_ty = model.field(Role::Id).map(|f| f.ty.clone());
    let id_ty = quote!(#id_ty);

    let columns = model.fields.iter().filter(|f| f.is_column());
    let column_specs = columns.clone().map(|f| {
        let (name, wire, ty) = (&f.column, &f.wire, &f.ty);
        let sql = sql_type(f, &rt);
        let unique = f.attrs.unique.is_some();
        let role = role_tokens(f.role, &rt);
        quote! {
            #rt::ColumnSpec {
                name: #name,
                field: #wire,
                ty: #sql,
                nullable: <#ty as #rt::SqlField>::NULLABLE,
                unique: #unique,
                role: #role,
            }
        }
    });
    let to_values = columns.clone().map(|f| {
        let fi = &f.ident;
        quote_spanned!(f.ty.span()=> #rt::SqlField::to_value(&self.#fi))
    });
    let from_values = model.fields.iter().map(|f| {
        let fi = &f.ident;
        let name = f.ident.to_string();
        if f.is_column() {
            quote!(#fi: #p::take(&mut values, #name)?)
        } else {
            quote!(#fi: ::core::default::Default::default())
        }
    });
    let touch = model.fields.iter().filter_map(|f| {
        let fi = &f.ident;
        match f.role {
            Role::CreatedAt => Some(quote!(if inserting { self.#fi = now; })),
            Role::UpdatedAt => Some(quote!(self.#fi = now;)),
            _ => None,
        }
    });
    let from_create = model.fields.iter().map(|f| {
        let fi = &f.ident;
        let value = match f.role {
            Role::Id => quote!(<#id_ty as #rt::UserId>::new_for_insert()),
            Role::Email => quote!(::core::clone::Clone::clone(&create.email)),
            Role::HashedPassword => quote!(hashed_password),
            Role::Active => quote!(if privileged {
                create.is_active.unwrap_or(true)
            } else {
                true
            }),
            Role::Superuser => quote!(if privileged {
                create.is_superuser.unwrap_or(false)
            } else {
                false
            }),
            Role::Verified => quote!(if privileged {
                create.is_verified.unwrap_or(false)
            } else {
                false
            }),
            Role::CreatedAt | Role::UpdatedAt => quote!(#p::time_fmt::now()),
            Role::Skip => quote!(::core::default::Default::default()),
            Role::Custom => {
                let default = default_value(f);
                let given = if f.attrs.default.is_some() {
                    quote!(match ::core::clone::Clone::clone(&create.#fi) {
                        ::core::option::Option::Some(v) => v,
                        ::core::option::Option::None => #default,
                    })
                } else {
                    quote!(::core::clone::Clone::clone(&create.#fi))
                };
                if !f.in_create() {
                    default
                } else if f.attrs.superuser_only.is_some() {
                    quote!(if privileged { #given } else { #default })
                } else {
                    given
                }
            }
        };
        quote!(#fi: #value)
    });
    let read_fields = model.read_fields().into_iter().map(|f| {
        let fi = &f.ident;
        let wire = schema_ident(f);
        quote!(#wire: ::core::clone::Clone::clone(&self.#fi))
    });

    quote! {
        const _: () = {
            static COLUMNS: &[#rt::ColumnSpec] = &[#(#column_specs),*];
            static TABLE: #rt::TableSpec = #rt::TableSpec {
                name: #table,
                id_kind: <#id_ty as #rt::UserId>::KIND,
                columns: COLUMNS,
            };

            #[automatically_derived]
            impl #rt::AuthUser for #ident {
                type Id = #id_ty;
                type Create = #create;
                type Update = #update;
                type Read = #read;
                type Hooks = #hooks;

                const TABLE: &'static #rt::TableSpec = &TABLE;

                fn id(&self) -> &Self::Id { &self.#id }
                fn set_id(&mut self, id: Self::Id) { self.#id = id; }
                fn email(&self) -> &str { &self.#email }
                fn set_email(&mut self, email: ::std::string::String) { self.#email = email; }
                fn hashed_password(&self) -> &str { &self.#hashed }
                fn set_hashed_password(&mut self, hash: ::std::string::String) { self.#hashed = hash; }
                fn is_active(&self) -> bool { self.#active }
                fn set_active(&mut self, value: bool) { self.#active = value; }
                fn is_superuser(&self) -> bool { self.#superuser }
                fn set_superuser(&mut self, value: bool) { self.#superuser = value; }
                fn is_verified(&self) -> bool { self.#verified }
                fn set_verified(&mut self, value: bool) { self.#verified = value; }

                #[allow(unused_variables)]
                fn touch(&mut self, now: #p::time::OffsetDateTime, inserting: bool) {
                    #(#touch)*
                }

                fn to_values(&self) -> ::std::vec::Vec<#rt::Value> {
                    ::std::vec![#(#to_values),*]
                }

                fn from_values(
                    values: ::std::vec::Vec<#rt::Value>,
                ) -> ::core::result::Result<Self, ::std::string::String> {
                    let mut values = values.into_iter();
                    ::core::result::Result::Ok(Self { #(#from_values),* })
                }

                fn from_create(create: &#create, hashed_password: ::std::string::String, privileged: bool) -> Self {
                    Self { #(#from_create),* }
                }

                fn to_read(&self) -> #read {
                    #read { #(#read_fields),* }
                }

                fn default_hooks() -> ::core::option::Option<Self::Hooks> {
                    #default_hooks
                }
            }
        };
    }
}

/// The identifier of a field in the schemas: the FastAPI Users name for base fields, the
/// field's own identifier otherwise.
pub(crate) fn schema_ident(f: &Field) -> syn::Ident {
    if f.role.is_base() {
        syn::Ident::new(f.role.base_name(), f.ident.span())
    } else {
        f.ident.clone()
    }
}
