//! The three schemas: `UserCreate`, `UserUpdate`, `UserRead`, with serde, validation
//! producing FastAPI-style 422 items, and OpenAPI descriptions.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};

use super::Paths;
use super::user::{default_value, schema_ident};
use crate::ast::{Field, Model, Role};
use crate::ty::Scalar;

fn is_timestamp(f: &Field) -> bool {
    f.class.is_some_and(|c| c.scalar == Scalar::Timestamp)
}

/// serde attributes for a field (Pydantic timestamp form).
fn serde_attrs(f: &Field, paths: &Paths) -> TokenStream {
    if is_timestamp(f) {
        let ser = format!("{}::ser_wire", paths.p_str);
        let de = format!("{}::de_wire", paths.p_str);
        quote!(#[serde(serialize_with = #ser, deserialize_with = #de)])
    } else {
        quote!()
    }
}

/// The checks of a custom field on a present value `__v`, pushing items at `wire`.
fn constraint_checks(f: &Field, paths: &Paths, var: &syn::Ident) -> TokenStream {
    let Paths { p, .. } = paths;
    let wire = &f.wire;
    let a = &f.attrs;
    let scalar = f.class.map(|c| c.scalar);
    let mut checks = Vec::new();
    let push = |check: TokenStream| {
        quote! {
            if let ::core::option::Option::Some(e) = #check {
                errors.push_at(#wire, input(), e);
            }
        }
    };
    if scalar == Some(Scalar::String) {
        checks.push(push(quote!(#p::validation::check_no_nul(__v))));
        if let Some((_, n)) = &a.min_length {
            checks.push(push(quote!(#p::validation::check_min_length(__v, #n))));
        }
        let max = a
            .max_length
            .as_ref()
            .map(|(_, n)| *n)
            .or((a.text.is_none()).then_some(255));
        if let Some(n) = max {
            checks.push(push(quote!(#p::validation::check_max_length(__v, #n))));
        }
    }
    let literal = |n: &crate::attr::Number| -> TokenStream {
        match scalar {
            Some(Scalar::F64) => {
                let lit = syn::LitFloat::new(&format!("{:?}f64", n.value), Span::call_site());
                quote!(#lit)
            }
            Some(Scalar::I32) => {
                let lit = syn::LitInt::new(&format!("{}i32", n.value as i64), Span::call_site());
                quote!(#lit)
            }
            _ => {
                let lit = syn::LitInt::new(&format!("{}i64", n.value as i64), Span::call_site());
                quote!(#lit)
            }
        }
    };
    if let Some((_, n)) = &a.min {
        let lit = literal(n);
        checks.push(push(quote!(#p::validation::check_ge(*__v, #lit))));
    }
    if let Some((_, n)) = &a.max {
        let lit = literal(n);
        checks.push(push(quote!(#p::validation::check_le(*__v, #lit))));
    }
    if let Some((_, path)) = &a.validate {
        checks.push(quote! {
            if let ::core::result::Result::Err(message) = #path(__v) {
                errors.push_at(#wire, input(), #p::validation::FieldError::value_error(message));
            }
        });
    }
    if checks.is_empty() {
        return quote!();
    }
    quote! {
        if let ::core::option::Option::Some(__v) = #p::Present::present(&#var) {
            let input = || object.get(#wire).cloned().unwrap_or(#p::serde_json::Value::Null);
            #(#checks)*
        }
    }
}

/// Normalizes a parsed email in `var` (an `Option<String>` or `Patch<String>`), pushing a
/// 422 item when it is invalid.
fn email_check(paths: &Paths, var: &syn::Ident, patch: bool) -> TokenStream {
    let Paths { p, rt, .. } = paths;
    let (some, none) = if patch {
        (quote!(#rt::Patch::Set), quote!(#rt::Patch::Absent))
    } else {
        (
            quote!(::core::option::Option::Some),
            quote!(::core::option::Option::None),
        )
    };
    quote! {
        let #var = match #var {
            #some(raw) => match #rt::normalize_email(&raw) {
                ::core::result::Result::Ok(n) => #some(n.display),
                ::core::result::Result::Err(reason) => {
                    errors.push_at(
                        "email",
                        #p::serde_json::Value::String(raw),
                        #p::validation::FieldError::invalid_email(reason),
                    );
                    #none
                }
            },
            other => other,
        };
    }
}

fn doc_field(
    f: &Field,
    paths: &Paths,
    required: bool,
    nullable: TokenStream,
    schema: &str,
) -> TokenStream {
    let Paths { p, rt, .. } = paths;
    let name = &f.wire;
    let ty = &f.ty;
    let kind = quote!(#p::field_kind(<#ty as #rt::SqlField>::SQL_TYPE));
    let a = &f.attrs;
    let string = f.class.is_some_and(|c| c.scalar == Scalar::String);
    let opt_usize = |v: Option<usize>| match v {
        Some(n) => quote!(::core::option::Option::Some(#n)),
        None => quote!(::core::option::Option::None),
    };
    let opt_f64 = |v: Option<f64>| match v {
        Some(n) => {
            let lit = syn::LitFloat::new(&format!("{n:?}f64"), Span::call_site());
            quote!(::core::option::Option::Some(#lit))
        }
        None => quote!(::core::option::Option::None),
    };
    let in_request = schema != "read";
    let min_length = opt_usize(if string && in_request {
        a.min_length.as_ref().map(|v| v.1)
    } else {
        None
    });
    let max_length = opt_usize(if string && in_request {
        a.max_length
            .as_ref()
            .map(|v| v.1)
            .or(a.text.is_none().then_some(255))
    } else {
        None
    });
    let minimum = opt_f64(if in_request {
        a.min.as_ref().map(|v| v.1.value)
    } else {
        None
    });
    let maximum = opt_f64(if in_request {
        a.max.as_ref().map(|v| v.1.value)
    } else {
        None
    });
    // Timestamps the store sets are read-only.
    let read_only = a.created_at.is_some() || a.updated_at.is_some();
    quote! {
        #p::FieldDoc {
            name: #name,
            kind: #kind,
            nullable: #nullable,
            required: #required,
            min_length: #min_length,
            max_length: #max_length,
            minimum: #minimum,
            maximum: #maximum,
            read_only: #read_only,
        }
    }
}

fn base_doc(
    paths: &Paths,
    name: &str,
    kind: TokenStream,
    required: bool,
    nullable: bool,
) -> TokenStream {
    let p = &paths.p;
    quote! {
        #p::FieldDoc {
            name: #name,
            kind: #kind,
            nullable: #nullable,
            required: #required,
            min_length: ::core::option::Option::None,
            max_length: ::core::option::Option::None,
            minimum: ::core::option::Option::None,
            maximum: ::core::option::Option::None,
            read_only: false,
        }
    }
}

fn to_schema(
    paths: &Paths,
    ident: &syn::Ident,
    docs: &[TokenStream],
    request: bool,
) -> TokenStream {
    let p = &paths.p;
    let title = ident.to_string();
    quote! {
        #[automatically_derived]
        impl #p::utoipa::PartialSchema for #ident {
            fn schema() -> #p::utoipa::openapi::RefOr<#p::utoipa::openapi::schema::Schema> {
                #p::object_schema(#title, &[#(#docs),*], #request)
            }
        }
        #[automatically_derived]
        impl #p::utoipa::ToSchema for #ident {
            fn name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(#title)
            }
        }
    }
}

fn deserialize_via_validation(paths: &Paths, ident: &syn::Ident) -> TokenStream {
    let Paths { p, rt, .. } = paths;
    quote! {
        #[automatically_derived]
        impl<'de> #p::serde::Deserialize<'de> for #ident {
            fn deserialize<D>(deserializer: D) -> ::core::result::Result<Self, D::Error>
            where
                D: #p::serde::Deserializer<'de>,
            {
                let object = <#p::serde_json::Map<::std::string::String, #p::serde_json::Value>
                    as #p::serde::Deserialize>::deserialize(deserializer)?;
                <Self as #rt::FromJsonBody>::from_json_object(&object)
                    .map_err(<D::Error as #p::serde::de::Error>::custom)
            }
        }
    }
}

fn read_schema(model: &Model, paths: &Paths) -> TokenStream {
    let Paths { p, p_str, rt } = paths;
    let (ident, read, vis) = (&model.ident, &model.read, &model.vis);
    let serde_crate = format!("{p_str}::serde");
    let fields = model.read_fields().into_iter().map(|f| {
        let name = schema_ident(f);
        let ty = &f.ty;
        let attrs = serde_attrs(f, paths);
        let doc = format!("`{}` of the user.", f.wire);
        quote!(#[doc = #doc] #attrs pub #name: #ty)
    });
    let docs: Vec<_> = model
        .read_fields()
        .into_iter()
        .map(|f| {
            let ty = &f.ty;
            match f.role {
                Role::Email => base_doc(paths, "email", quote!(#p::FieldKind::Email), true, false),
                Role::Active | Role::Superuser | Role::Verified => base_doc(
                    paths,
                    f.role.base_name(),
                    quote!(#p::FieldKind::Bool),
                    true,
                    false,
                ),
                _ => doc_field(
                    f,
                    paths,
                    true,
                    quote!(<#ty as #rt::SqlField>::NULLABLE),
                    "read",
                ),
            }
        })
        .collect();
    let schema = to_schema(paths, read, &docs, false);
    let doc = format!("What the API answers about a [`{ident}`] (FastAPI Users' `UserRead`).");
    quote! {
        #[doc = #doc]
        #[derive(::core::clone::Clone, ::core::fmt::Debug, ::core::cmp::PartialEq,
                 #p::serde::Serialize, #p::serde::Deserialize)]
        #[serde(crate = #serde_crate)]
        #vis struct #read {
            #(#fields,)*
        }
        #schema
    }
}

fn create_schema(model: &Model, paths: &Paths) -> TokenStream {
    let Paths { p, p_str, rt } = paths;
    let (ident, create, vis) = (&model.ident, &model.create, &model.vis);
    let serde_crate = format!("{p_str}::serde");
    let customs: Vec<&Field> = model.customs().filter(|f| f.in_create()).collect();
    let field_ty = |f: &Field| {
        let ty = &f.ty;
        if f.attrs.default.is_some() {
            quote!(::core::option::Option<#ty>)
        } else {
            quote!(#ty)
        }
    };
    let custom_fields = customs.iter().map(|f| {
        let fi = &f.ident;
        let ty = field_ty(f);
        let attrs = serde_attrs(f, paths);
        let skip = if f.attrs.default.is_some() {
            quote!(#[serde(skip_serializing_if = "::core::option::Option::is_none")])
        } else {
            quote!()
        };
        let doc = format!("`{}` of the new user.", f.wire);
        quote!(#[doc = #doc] #attrs #skip pub #fi: #ty)
    });
    let parse_customs = customs.iter().map(|f| {
        let fi = &f.ident;
        let wire = &f.wire;
        let var = format_ident!("__f_{}", fi.to_string().trim_start_matches("r#"));
        let ty = &f.ty;
        let read = if f.attrs.default.is_some() {
            quote!(let #var: ::core::option::Option<#ty> = #p::validation::optional::<#ty>(object, #wire, &mut errors);)
        } else if f.optional() {
            quote!(let #var: ::core::option::Option<#ty> = ::core::option::Option::Some(
                #p::validation::optional::<#ty>(object, #wire, &mut errors).flatten()
            );)
        } else {
            quote!(let #var: ::core::option::Option<#ty> = #p::validation::required::<#ty>(object, #wire, &mut errors);)
        };
        let checks = constraint_checks(f, paths, &var);
        quote!(#read #checks)
    });
    let vars: Vec<_> = customs
        .iter()
        .map(|f| format_ident!("__f_{}", f.ident.to_string().trim_start_matches("r#")))
        .collect();
    let build_customs = customs.iter().zip(&vars).map(|(f, var)| {
        let fi = &f.ident;
        if f.attrs.default.is_some() {
            quote!(#fi: #var)
        } else {
            quote!(#fi: match #var {
                ::core::option::Option::Some(v) => v,
                ::core::option::Option::None => return ::core::result::Result::Err(errors),
            })
        }
    });
    let email_norm = email_check(paths, &format_ident!("email"), false);
    let mut docs = vec![
        base_doc(paths, "email", quote!(#p::FieldKind::Email), true, false),
        base_doc(
            paths,
            "password",
            quote!(#p::FieldKind::Password),
            true,
            false,
        ),
        base_doc(paths, "is_active", quote!(#p::FieldKind::Bool), false, true),
        base_doc(
            paths,
            "is_superuser",
            quote!(#p::FieldKind::Bool),
            false,
            true,
        ),
        base_doc(
            paths,
            "is_verified",
            quote!(#p::FieldKind::Bool),
            false,
            true,
        ),
    ];
    docs.extend(customs.iter().map(|f| {
        let ty = &f.ty;
        let required = !f.optional() && f.attrs.default.is_none();
        doc_field(
            f,
            paths,
            required,
            quote!(<#ty as #rt::SqlField>::NULLABLE),
            "create",
        )
    }));
    let schema = to_schema(paths, create, &docs, true);
    let deserialize = deserialize_via_validation(paths, create);
    let debug_fields = customs.iter().map(|f| {
        let fi = &f.ident;
        let name = fi.to_string();
        quote!(.field(#name, &self.#fi))
    });
    let create_name = create.to_string();
    let doc = format!(
        "A registration request for a [`{ident}`] (FastAPI Users' `UserCreate`), validated with \
         FastAPI-style 422 errors."
    );
    let default_docs = customs
        .iter()
        .filter(|f| f.attrs.default.is_some())
        .map(|f| {
            let _ = default_value(f);
            quote!()
        });
    quote! {
        #[doc = #doc]
        #[derive(::core::clone::Clone, #p::serde::Serialize)]
        #[serde(crate = #serde_crate)]
        #vis struct #create {
            /// The email address, in its stored form once validated.
            pub email: ::std::string::String,
            /// The plaintext password (never logged: `Debug` redacts it).
            pub password: ::std::string::String,
            /// Honoured by privileged (programmatic) creation only; default `true`.
            #[serde(skip_serializing_if = "::core::option::Option::is_none")]
            pub is_active: ::core::option::Option<bool>,
            /// Honoured by privileged (programmatic) creation only; default `false`.
            #[serde(skip_serializing_if = "::core::option::Option::is_none")]
            pub is_superuser: ::core::option::Option<bool>,
            /// Honoured by privileged (programmatic) creation only; default `false`.
            #[serde(skip_serializing_if = "::core::option::Option::is_none")]
            pub is_verified: ::core::option::Option<bool>,
            #(#custom_fields,)*
        }
        #(#default_docs)*

        #[automatically_derived]
        impl ::core::fmt::Debug for #create {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(#create_name)
                    .field("email", &self.email)
                    .field("password", &"[redacted]")
                    .field("is_active", &self.is_active)
                    .field("is_superuser", &self.is_superuser)
                    .field("is_verified", &self.is_verified)
                    #(#debug_fields)*
                    .finish()
            }
        }

        #[automatically_derived]
        impl #rt::FromJsonBody for #create {
            fn from_json_object(
                object: &#p::serde_json::Map<::std::string::String, #p::serde_json::Value>,
            ) -> ::core::result::Result<Self, #rt::ValidationErrors> {
                let mut errors = #rt::ValidationErrors::default();
                let email: ::core::option::Option<::std::string::String> =
                    #p::validation::required(object, "email", &mut errors);
                #email_norm
                let password: ::core::option::Option<::std::string::String> =
                    #p::validation::required(object, "password", &mut errors);
                let is_active: ::core::option::Option<bool> =
                    #p::validation::optional::<::core::option::Option<bool>>(object, "is_active", &mut errors).flatten();
                let is_superuser: ::core::option::Option<bool> =
                    #p::validation::optional::<::core::option::Option<bool>>(object, "is_superuser", &mut errors).flatten();
                let is_verified: ::core::option::Option<bool> =
                    #p::validation::optional::<::core::option::Option<bool>>(object, "is_verified", &mut errors).flatten();
                #(#parse_customs)*
                if !errors.is_empty() {
                    return ::core::result::Result::Err(errors);
                }
                let (::core::option::Option::Some(email), ::core::option::Option::Some(password)) = (email, password) else {
                    return ::core::result::Result::Err(errors);
                };
                ::core::result::Result::Ok(Self {
                    email,
                    password,
                    is_active,
                    is_superuser,
                    is_verified,
                    #(#build_customs,)*
                })
            }
        }

        #[automatically_derived]
        impl #rt::CreateSchema for #create {
            fn password(&self) -> &str { &self.password }
            fn email(&self) -> &str { &self.email }
        }

        #deserialize
        #schema
    }
}

fn update_schema(model: &Model, paths: &Paths) -> TokenStream {
    let Paths { p, p_str, rt } = paths;
    let (ident, update, vis) = (&model.ident, &model.update, &model.vis);
    let serde_crate = format!("{p_str}::serde");
    let customs: Vec<&Field> = model.customs().filter(|f| f.in_update()).collect();
    let skip_absent = format!("{}::runtime::Patch::is_absent", p_str);
    let custom_fields = customs.iter().map(|f| {
        let fi = &f.ident;
        let ty = &f.ty;
        let attrs = serde_attrs(f, paths);
        let doc = format!("New `{}`; absent leaves it unchanged.", f.wire);
        quote!(#[doc = #doc] #attrs #[serde(skip_serializing_if = #skip_absent)] pub #fi: #rt::Patch<#ty>)
    });
    let parse_customs = customs.iter().map(|f| {
        let fi = &f.ident;
        let wire = &f.wire;
        let ty = &f.ty;
        let read = quote!(let #fi: #rt::Patch<#ty> = #p::validation::patch::<#ty>(object, #wire, &mut errors););
        let var = format_ident!("__set_{}", fi.to_string().trim_start_matches("r#"));
        let checks = constraint_checks(f, paths, &var);
        quote! {
            #read
            if let #rt::Patch::Set(#var) = &#fi {
                #checks
            }
        }
    });
    let custom_names: Vec<_> = customs.iter().map(|f| &f.ident).collect();
    let field_col = |role: Role| {
        model
            .field(role)
            .map(|f| f.column.clone())
            .unwrap_or_default()
    };
    let (email_col, active_col, superuser_col, verified_col) = (
        field_col(Role::Email),
        field_col(Role::Active),
        field_col(Role::Superuser),
        field_col(Role::Verified),
    );
    let custom_changes = customs.iter().map(|f| {
        let fi = &f.ident;
        let col = &f.column;
        let set = quote! {
            if let #rt::Patch::Set(v) = &self.#fi {
                changes.set(#col, ::core::clone::Clone::clone(v));
            }
        };
        if f.attrs.superuser_only.is_some() {
            quote!(if privileged { #set })
        } else {
            set
        }
    });
    let email_norm = email_check(paths, &format_ident!("email"), true);
    let mut docs = vec![
        base_doc(paths, "email", quote!(#p::FieldKind::Email), false, true),
        base_doc(
            paths,
            "password",
            quote!(#p::FieldKind::Password),
            false,
            true,
        ),
        base_doc(
            paths,
            "current_password",
            quote!(#p::FieldKind::Password),
            false,
            true,
        ),
        base_doc(paths, "is_active", quote!(#p::FieldKind::Bool), false, true),
        base_doc(
            paths,
            "is_superuser",
            quote!(#p::FieldKind::Bool),
            false,
            true,
        ),
        base_doc(
            paths,
            "is_verified",
            quote!(#p::FieldKind::Bool),
            false,
            true,
        ),
    ];
    docs.extend(customs.iter().map(|f| {
        let ty = &f.ty;
        doc_field(
            f,
            paths,
            false,
            quote!(<#ty as #rt::SqlField>::NULLABLE),
            "update",
        )
    }));
    let schema = to_schema(paths, update, &docs, true);
    let deserialize = deserialize_via_validation(paths, update);
    let debug_fields = customs.iter().map(|f| {
        let fi = &f.ident;
        let name = fi.to_string();
        quote!(.field(#name, &self.#fi))
    });
    let update_name = update.to_string();
    let doc = format!(
        "A partial update of a [`{ident}`] (FastAPI Users' `UserUpdate`): only the keys sent \
         change; `null` leaves non-optional fields unchanged."
    );
    quote! {
        #[doc = #doc]
        #[derive(::core::clone::Clone, ::core::default::Default, #p::serde::Serialize)]
        #[serde(crate = #serde_crate)]
        #vis struct #update {
            /// New email address, in its stored form once validated.
            #[serde(skip_serializing_if = #skip_absent)]
            pub email: #rt::Patch<::std::string::String>,
            /// New plaintext password (never logged: `Debug` redacts it).
            #[serde(skip_serializing_if = #skip_absent)]
            pub password: #rt::Patch<::std::string::String>,
            /// The current password, checked when sent (`PATCH /users/me` only).
            #[serde(skip_serializing_if = "::core::option::Option::is_none")]
            pub current_password: ::core::option::Option<::std::string::String>,
            /// New `is_active` (superusers only).
            #[serde(skip_serializing_if = #skip_absent)]
            pub is_active: #rt::Patch<bool>,
            /// New `is_superuser` (superusers only).
            #[serde(skip_serializing_if = #skip_absent)]
            pub is_superuser: #rt::Patch<bool>,
            /// New `is_verified` (superusers only).
            #[serde(skip_serializing_if = #skip_absent)]
            pub is_verified: #rt::Patch<bool>,
            #(#custom_fields,)*
        }

        #[automatically_derived]
        impl ::core::fmt::Debug for #update {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                let redact = |p: &#rt::Patch<::std::string::String>| match p {
                    #rt::Patch::Absent => "absent",
                    #rt::Patch::Set(_) => "[redacted]",
                };
                f.debug_struct(#update_name)
                    .field("email", &self.email)
                    .field("password", &redact(&self.password))
                    .field("current_password", &self.current_password.as_ref().map(|_| "[redacted]"))
                    .field("is_active", &self.is_active)
                    .field("is_superuser", &self.is_superuser)
                    .field("is_verified", &self.is_verified)
                    #(#debug_fields)*
                    .finish()
            }
        }

        #[automatically_derived]
        impl #rt::FromJsonBody for #update {
            fn from_json_object(
                object: &#p::serde_json::Map<::std::string::String, #p::serde_json::Value>,
            ) -> ::core::result::Result<Self, #rt::ValidationErrors> {
                let mut errors = #rt::ValidationErrors::default();
                let email: #rt::Patch<::std::string::String> =
                    #p::validation::patch(object, "email", &mut errors);
                #email_norm
                let password: #rt::Patch<::std::string::String> =
                    #p::validation::patch(object, "password", &mut errors);
                let current_password: ::core::option::Option<::std::string::String> =
                    #p::validation::patch(object, "current_password", &mut errors).into_option();
                let is_active: #rt::Patch<bool> = #p::validation::patch(object, "is_active", &mut errors);
                let is_superuser: #rt::Patch<bool> = #p::validation::patch(object, "is_superuser", &mut errors);
                let is_verified: #rt::Patch<bool> = #p::validation::patch(object, "is_verified", &mut errors);
                #(#parse_customs)*
                if !errors.is_empty() {
                    return ::core::result::Result::Err(errors);
                }
                ::core::result::Result::Ok(Self {
                    email,
                    password,
                    current_password,
                    is_active,
                    is_superuser,
                    is_verified,
                    #(#custom_names,)*
                })
            }
        }

        #[automatically_derived]
        impl #rt::UpdateSchema for #update {
            fn password(&self) -> ::core::option::Option<&str> {
                self.password.as_option().map(::std::string::String::as_str)
            }

            fn current_password(&self) -> ::core::option::Option<&str> {
                self.current_password.as_deref()
            }

            fn changes(&self, privileged: bool) -> #rt::Changes {
                let mut changes = #rt::Changes::new();
                if let #rt::Patch::Set(v) = &self.email {
                    changes.set(#email_col, ::core::clone::Clone::clone(v));
                }
                if privileged {
                    if let #rt::Patch::Set(v) = &self.is_active {
                        changes.set(#active_col, *v);
                    }
                    if let #rt::Patch::Set(v) = &self.is_superuser {
                        changes.set(#superuser_col, *v);
                    }
                    if let #rt::Patch::Set(v) = &self.is_verified {
                        changes.set(#verified_col, *v);
                    }
                }
                #(#custom_changes)*
                changes
            }
        }

        #deserialize
        #schema
    }
}

pub(crate) fn expand(model: &Model) -> TokenStream {
    let paths = Paths::new(model);
    let read = read_schema(model, &paths);
    let create = create_schema(model, &paths);
    let update = update_schema(model, &paths);
    quote!(#read #create #update)
}
