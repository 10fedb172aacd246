//! The OpenAPI document of the mounted routers (§9.3 of the contract): FastAPI's
//! operationIds, the generated schemas, the login form, the documented statuses with their
//! `detail` codes, and one security scheme per backend.

use serde_json::json;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    ArrayBuilder, ComponentsBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Flow, OAuth2, Password, Scopes, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    Content, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr, Required,
    Response, ResponseBuilder,
};
use utoipa::{PartialSchema, ToSchema};

use crate::auth::Transport;
use crate::user::AuthUser;
use crate::users::Users;

/// Where the application mounted each router; builds the document. Start with
/// [`Users::openapi`].
#[derive(Debug)]
pub struct OpenApiMounts<'a, U: AuthUser> {
    users: &'a Users<U>,
    title: String,
    version: String,
    auth: Vec<(String, String)>,
    register: Option<String>,
    reset: Option<String>,
    verify: Option<String>,
    users_router: Option<String>,
    protected: Vec<(String, String)>,
    /// OAuth routers: prefix, provider name, login backend (`None`: associate).
    oauth: Vec<(String, String, Option<String>)>,
}

/// FastAPI's operationId: route name and path with every non-word character replaced by
/// `_`, then `_` and the lower-case method.
pub fn operation_id(route_name: &str, path: &str, method: &str) -> String {
    let raw = format!("{route_name}{path}");
    let mut id: String = raw
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    id.push('_');
    id.push_str(&method.to_lowercase());
    id
}

fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

fn json_content(schema: RefOr<Schema>) -> Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

fn ok(description: &str, schema: Option<RefOr<Schema>>) -> Response {
    let mut response = ResponseBuilder::new().description(description);
    if let Some(schema) = schema {
        response = response.content("application/json", json_content(schema));
    }
    response.build()
}

/// An error answer whose `detail` is one of `codes`: one example, or one named example per
/// code.
fn error(description: &str, codes: &[&str]) -> Response {
    let mut content = ContentBuilder::new().schema(Some(schema_ref("ErrorModel")));
    match codes {
        [] => {}
        [code] => content = content.example(Some(json!({ "detail": code }))),
        codes => {
            content = content.examples_from_iter(codes.iter().map(|code| {
                (
                    *code,
                    ExampleBuilder::new()
                        .summary(*code)
                        .value(Some(json!({ "detail": code }))),
                )
            }))
        }
    }
    ResponseBuilder::new()
        .description(description)
        .content("application/json", content.build())
        .build()
}

fn validation_error() -> Response {
    ResponseBuilder::new()
        .description("Validation Error")
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(schema_ref("HTTPValidationError")))
                .example(Some(json!({ "detail": [{
                    "type": "missing",
                    "loc": ["body", "email"],
                    "msg": "Field required",
                    "input": {},
                }]})))
                .build(),
        )
        .build()
}

/// Adds the answers every body-reading route can give: 413 for a body over the limit, 408
/// for one not received in time, and 415 for a JSON route sent another media type; and the
/// 403 of a cross-site write riding an auth cookie on every secured write.
fn add_transport_errors(paths: &mut Paths, cookie_auth: bool) {
    for item in paths.paths.values_mut() {
        for (operation, write) in [
            (&mut item.post, true),
            (&mut item.patch, true),
            (&mut item.delete, true),
            (&mut item.put, true),
            (&mut item.get, false),
        ] {
            let Some(operation) = operation.as_mut() else {
                continue;
            };
            let responses = &mut operation.responses.responses;
            if let Some(RefOr::T(body)) = &operation.request_body {
                responses.entry("408".into()).or_insert_with(|| {
                    error("The body was not received in time.", &["Request Timeout"]).into()
                });
                responses.entry("413".into()).or_insert_with(|| {
                    error("The body is over the size limit.", &["Content Too Large"]).into()
                });
                if body.content.contains_key("application/json") {
                    responses.entry("415".into()).or_insert_with(|| {
                        error(
                            "The body is not JSON (`application/json` or `+json`).",
                            &["Unsupported Media Type"],
                        )
                        .into()
                    });
                }
            }
            if write && cookie_auth && operation.security.is_some() {
                responses.entry("403".into()).or_insert_with(|| {
                    error(
                        "A cross-site request riding the auth cookie.",
                        &["Forbidden"],
                    )
                    .into()
                });
            }
        }
    }
}

fn json_body(schema: &str) -> utoipa::openapi::request_body::RequestBody {
    RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content("application/json", json_content(schema_ref(schema)))
        .build()
}

/// The JSON literal `null` (the body of 202s and of a successful reset).
fn null_schema() -> RefOr<Schema> {
    RefOr::T(
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Null))
            .into(),
    )
}

/// Documents the password policy on a schema's `password` property: the minimum in
/// characters, and the byte limit as `maxLength` (no longer string fits; a shorter one of
/// many-byte characters can still exceed it, which the description says).
fn constrain_password(
    schema: RefOr<Schema>,
    policy: &crate::password::PasswordPolicy,
) -> RefOr<Schema> {
    let RefOr::T(Schema::Object(mut object)) = schema else {
        return schema;
    };
    if let Some(RefOr::T(Schema::Object(password))) = object.properties.get_mut("password") {
        password.min_length = Some(policy.min_chars);
        password.max_length = Some(policy.max_bytes);
        password.description = Some(format!(
            "At least {} characters and at most {} bytes in UTF-8, used byte for byte; a \
             password outside these bounds is refused with 400 (the *_INVALID_PASSWORD codes).",
            policy.min_chars.max(1),
            policy.max_bytes
        ));
    }
    RefOr::T(Schema::Object(object))
}

/// The `UserRead` schema plus its `oauth_accounts` list.
#[cfg(feature = "oauth")]
fn with_oauth_accounts(schema: RefOr<Schema>) -> RefOr<Schema> {
    let RefOr::T(Schema::Object(mut object)) = schema else {
        return schema;
    };
    let nullable_int = ObjectBuilder::new()
        .schema_type(SchemaType::Array(vec![Type::Integer, Type::Null]))
        .description(Some(
            "When the provider's access token expires (UNIX seconds).",
        ));
    let account = object_with(&[
        ("oauth_name", string().into(), true),
        ("account_id", string().into(), true),
        ("account_email", string().into(), true),
        ("expires_at", nullable_int.into(), true),
    ]);
    object.properties.insert(
        "oauth_accounts".into(),
        RefOr::T(Schema::Array(
            ArrayBuilder::new()
                .items(RefOr::T(account))
                .description(Some(
                    "The provider accounts linked to the user (never tokens).",
                ))
                .build(),
        )),
    );
    object.required.push("oauth_accounts".into());
    RefOr::T(Schema::Object(object))
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::Type(Type::String))
}

fn object_with(fields: &[(&str, Schema, bool)]) -> Schema {
    let mut object = ObjectBuilder::new().schema_type(SchemaType::Type(Type::Object));
    for (name, schema, required) in fields {
        object = object.property(*name, schema.clone());
        if *required {
            object = object.required(*name);
        }
    }
    object.into()
}

impl<'a, U: AuthUser> OpenApiMounts<'a, U> {
    /// The document's title and version (default `axum-users`, `0.1.0`).
    pub fn info(mut self, title: impl Into<String>, version: impl Into<String>) -> Self {
        self.title = title.into();
        self.version = version.into();
        self
    }

    /// The auth router of `backend` is mounted at `prefix` (e.g. `/auth/jwt`).
    pub fn auth(mut self, prefix: impl Into<String>, backend: impl Into<String>) -> Self {
        self.auth.push((prefix.into(), backend.into()));
        self
    }

    /// The register router is mounted at `prefix`.
    pub fn register(mut self, prefix: impl Into<String>) -> Self {
        self.register = Some(prefix.into());
        self
    }

    /// The reset-password router is mounted at `prefix`.
    pub fn reset_password(mut self, prefix: impl Into<String>) -> Self {
        self.reset = Some(prefix.into());
        self
    }

    /// The verify router is mounted at `prefix`.
    pub fn verify(mut self, prefix: impl Into<String>) -> Self {
        self.verify = Some(prefix.into());
        self
    }

    /// The users router is mounted at `prefix`.
    pub fn users(mut self, prefix: impl Into<String>) -> Self {
        self.users_router = Some(prefix.into());
        self
    }

    /// An application `GET` route at `path` that needs an active user (handler function
    /// `name`, which FastAPI would use in the operationId); documented with 200 and 401.
    pub fn protected_get(mut self, path: impl Into<String>, name: impl Into<String>) -> Self {
        self.protected.push((path.into(), name.into()));
        self
    }

    /// The OAuth login router of `provider` (its name) answering through `backend` is
    /// mounted at `prefix` (e.g. `/auth/google`).
    #[cfg(feature = "oauth")]
    pub fn oauth(
        mut self,
        prefix: impl Into<String>,
        provider: impl Into<String>,
        backend: impl Into<String>,
    ) -> Self {
        self.oauth
            .push((prefix.into(), provider.into(), Some(backend.into())));
        self
    }

    /// The OAuth associate router of `provider` is mounted at `prefix` (e.g.
    /// `/auth/associate/google`).
    #[cfg(feature = "oauth")]
    pub fn oauth_associate(
        mut self,
        prefix: impl Into<String>,
        provider: impl Into<String>,
    ) -> Self {
        self.oauth.push((prefix.into(), provider.into(), None));
        self
    }

    /// The security scheme name of each backend and the scheme itself.
    fn schemes(&self) -> Vec<(String, SecurityScheme)> {
        let mut seen_bearer = false;
        let mut seen_cookie = false;
        self.users
            .backends()
            .iter()
            .map(|backend| match backend.transport() {
                Transport::Bearer { token_url } => {
                    let name = if seen_bearer {
                        format!("OAuth2PasswordBearer_{}", backend.name())
                    } else {
                        "OAuth2PasswordBearer".to_owned()
                    };
                    seen_bearer = true;
                    let flow = Flow::Password(Password::new(token_url.clone(), Scopes::new()));
                    (name, SecurityScheme::OAuth2(OAuth2::new([flow])))
                }
                Transport::Cookie(settings) => {
                    let name = if seen_cookie {
                        format!("APIKeyCookie_{}", backend.name())
                    } else {
                        "APIKeyCookie".to_owned()
                    };
                    seen_cookie = true;
                    (
                        name,
                        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                            settings.name.clone(),
                        ))),
                    )
                }
            })
            .collect()
    }

    /// Builds the document.
    pub fn build(self) -> OpenApi {
        let schemes = self.schemes();
        let secured = |builder: OperationBuilder| -> OperationBuilder {
            schemes.iter().fold(builder, |b, (name, _)| {
                b.security(SecurityRequirement::new(name.clone(), Vec::<String>::new()))
            })
        };
        let read = <U::Read as ToSchema>::name().into_owned();
        let create = <U::Create as ToSchema>::name().into_owned();
        let update = <U::Update as ToSchema>::name().into_owned();
        let mut paths = Paths::new();
        let mut add = |path: String, method: HttpMethod, operation: Operation| {
            paths.add_path_operation(path, vec![method], operation);
        };
        let op = |name: &str, path: &str, method: &str| {
            OperationBuilder::new().operation_id(Some(operation_id(name, path, method)))
        };

        for (prefix, backend) in &self.auth {
            let login_path = format!("{prefix}/login");
            let logout_path = format!("{prefix}/logout");
            let is_cookie = self
                .users
                .backends()
                .iter()
                .find(|b| b.name() == backend)
                .is_some_and(|b| b.transport().is_cookie());
            let form = object_with(&[
                (
                    "grant_type",
                    string().pattern(Some("^password$")).into(),
                    false,
                ),
                // An empty form value counts as absent (422 `missing`), as in FastAPI.
                ("username", string().min_length(Some(1)).into(), true),
                (
                    "password",
                    string()
                        .min_length(Some(1))
                        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                            utoipa::openapi::KnownFormat::Password,
                        )))
                        .into(),
                    true,
                ),
                ("scope", string().default(Some(json!(""))).into(), false),
                ("client_id", string().into(), false),
                ("client_secret", string().into(), false),
            ]);
            let login_ok = if is_cookie {
                ("204", ok("No Content", None))
            } else {
                (
                    "200",
                    ok("Successful Response", Some(schema_ref("BearerResponse"))),
                )
            };
            let login = op(&format!("auth:{backend}.login"), &login_path, "post")
                .summary(Some("Login"))
                .request_body(Some(
                    RequestBodyBuilder::new()
                        .required(Some(Required::True))
                        .content(
                            "application/x-www-form-urlencoded",
                            json_content(RefOr::T(form)),
                        )
                        .build(),
                ))
                .response(login_ok.0, login_ok.1)
                .response(
                    "400",
                    error(
                        "Bad Request",
                        &["LOGIN_BAD_CREDENTIALS", "LOGIN_USER_NOT_VERIFIED"],
                    ),
                )
                .response("422", validation_error());
            let login = if is_cookie {
                login.response(
                    "403",
                    error("A cross-site login to the cookie backend.", &["Forbidden"]),
                )
            } else {
                login
            };
            add(login_path.clone(), HttpMethod::Post, login.build());
            add(
                logout_path.clone(),
                HttpMethod::Post,
                secured(
                    op(&format!("auth:{backend}.logout"), &logout_path, "post")
                        .summary(Some("Logout")),
                )
                .response("204", ok("No Content", None))
                .response(
                    "401",
                    error("Missing token or inactive user.", &["Unauthorized"]),
                )
                .build(),
            );
        }
        if let Some(prefix) = &self.register {
            let path = format!("{prefix}/register");
            add(
                path.clone(),
                HttpMethod::Post,
                op("register:register", &path, "post")
                    .summary(Some("Register"))
                    .request_body(Some(json_body(&create)))
                    .response("201", ok("Successful Response", Some(schema_ref(&read))))
                    .response(
                        "400",
                        error(
                            "Bad Request",
                            &["REGISTER_USER_ALREADY_EXISTS", "REGISTER_INVALID_PASSWORD"],
                        ),
                    )
                    .response("422", validation_error())
                    .build(),
            );
        }
        let email_body = object_with(&[("email", crate::schema::email_property(), true)]);
        let body_of = |schema: Schema| {
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content("application/json", json_content(RefOr::T(schema)))
                .build()
        };
        if let Some(prefix) = &self.reset {
            let forgot = format!("{prefix}/forgot-password");
            add(
                forgot.clone(),
                HttpMethod::Post,
                op("reset:forgot_password", &forgot, "post")
                    .summary(Some("Forgot Password"))
                    .request_body(Some(body_of(email_body.clone())))
                    .response("202", ok("Successful Response", Some(null_schema())))
                    .response("422", validation_error())
                    .build(),
            );
            let reset = format!("{prefix}/reset-password");
            let reset_body = object_with(&[
                ("token", string().into(), true),
                ("password", string().into(), true),
            ]);
            add(
                reset.clone(),
                HttpMethod::Post,
                op("reset:reset_password", &reset, "post")
                    .summary(Some("Reset Password"))
                    .request_body(Some(body_of(reset_body)))
                    .response("200", ok("Successful Response", Some(null_schema())))
                    .response(
                        "400",
                        error(
                            "Bad Request",
                            &[
                                "RESET_PASSWORD_BAD_TOKEN",
                                "RESET_PASSWORD_INVALID_PASSWORD",
                            ],
                        ),
                    )
                    .response("422", validation_error())
                    .build(),
            );
        }
        if let Some(prefix) = &self.verify {
            let request = format!("{prefix}/request-verify-token");
            add(
                request.clone(),
                HttpMethod::Post,
                op("verify:request-token", &request, "post")
                    .summary(Some("Request Verify Token"))
                    .request_body(Some(body_of(email_body)))
                    .response("202", ok("Successful Response", Some(null_schema())))
                    .response("422", validation_error())
                    .build(),
            );
            let verify = format!("{prefix}/verify");
            add(
                verify.clone(),
                HttpMethod::Post,
                op("verify:verify", &verify, "post")
                    .summary(Some("Verify"))
                    .request_body(Some(body_of(object_with(&[(
                        "token",
                        string().into(),
                        true,
                    )]))))
                    .response("200", ok("Successful Response", Some(schema_ref(&read))))
                    .response(
                        "400",
                        error(
                            "Bad Request",
                            &["VERIFY_USER_BAD_TOKEN", "VERIFY_USER_ALREADY_VERIFIED"],
                        ),
                    )
                    .response("422", validation_error())
                    .build(),
            );
        }
        if let Some(prefix) = &self.users_router {
            let me = format!("{prefix}/me");
            let by_id = format!("{prefix}/{{id}}");
            let id_param = || {
                ParameterBuilder::new()
                    .name("id")
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(string()))
                    .build()
            };
            let unauthorized = || error("Missing token or inactive user.", &["Unauthorized"]);
            let forbidden = || error("Not a superuser.", &["Forbidden"]);
            let not_found = || error("The user does not exist.", &["Not Found"]);
            let update_errors = || {
                error(
                    "Bad Request",
                    &[
                        "UPDATE_USER_EMAIL_ALREADY_EXISTS",
                        "UPDATE_USER_INVALID_PASSWORD",
                    ],
                )
            };
            add(
                me.clone(),
                HttpMethod::Get,
                secured(op("users:current_user", &me, "get").summary(Some("Users:Current User")))
                    .response("200", ok("Successful Response", Some(schema_ref(&read))))
                    .response("401", unauthorized())
                    .build(),
            );
            add(
                me.clone(),
                HttpMethod::Patch,
                secured(
                    op("users:patch_current_user", &me, "patch")
                        .summary(Some("Users:Patch Current User")),
                )
                .request_body(Some(json_body(&update)))
                .response("200", ok("Successful Response", Some(schema_ref(&read))))
                .response("400", update_errors())
                .response("401", unauthorized())
                .response("422", validation_error())
                .build(),
            );
            add(
                me.clone(),
                HttpMethod::Delete,
                secured(op("users:delete_current_user", &me, "delete").summary(Some(
                    "Users:Delete Current User (answers as DELETE /users/{id} with id `me`)",
                )))
                .response("401", unauthorized())
                .response("403", forbidden())
                .response("404", not_found())
                .build(),
            );
            add(
                by_id.clone(),
                HttpMethod::Get,
                secured(op("users:user", &by_id, "get").summary(Some("Users:User")))
                    .parameter(id_param())
                    .response("200", ok("Successful Response", Some(schema_ref(&read))))
                    .response("401", unauthorized())
                    .response("403", forbidden())
                    .response("404", not_found())
                    .build(),
            );
            add(
                by_id.clone(),
                HttpMethod::Patch,
                secured(op("users:patch_user", &by_id, "patch").summary(Some("Users:Patch User")))
                    .parameter(id_param())
                    .request_body(Some(json_body(&update)))
                    .response("200", ok("Successful Response", Some(schema_ref(&read))))
                    .response("400", update_errors())
                    .response("401", unauthorized())
                    .response("403", forbidden())
                    .response("404", not_found())
                    .response("422", validation_error())
                    .build(),
            );
            add(
                by_id.clone(),
                HttpMethod::Delete,
                secured(
                    op("users:delete_user", &by_id, "delete").summary(Some("Users:Delete User")),
                )
                .parameter(id_param())
                .response("204", ok("Successful Response", None))
                .response("401", unauthorized())
                .response("403", forbidden())
                .response("404", not_found())
                .build(),
            );
        }

        for (path, name) in &self.protected {
            add(
                path.clone(),
                HttpMethod::Get,
                secured(op(name, path, "get"))
                    .response(
                        "200",
                        ok("Successful Response", Some(RefOr::T(Schema::default()))),
                    )
                    .response(
                        "401",
                        error("Missing token or inactive user.", &["Unauthorized"]),
                    )
                    .build(),
            );
        }

        for (prefix, provider, backend) in &self.oauth {
            let authorize = format!("{prefix}/authorize");
            let callback = format!("{prefix}/callback");
            let (name, summary) = match backend {
                Some(backend) => (format!("oauth:{provider}.{backend}"), "Oauth"),
                None => (format!("oauth-associate:{provider}"), "Oauth Associate"),
            };
            let bad_gateway = || {
                error(
                    "The provider failed or could not be reached.",
                    &["Bad Gateway"],
                )
            };
            let authorize_op = op(&format!("{name}.authorize"), &authorize, "get")
                .summary(Some(format!("{summary}:{provider}.Authorize")))
                .response(
                    "200",
                    ok(
                        "Successful Response; sets the CSRF cookie of the flow",
                        Some(schema_ref("OAuth2AuthorizeResponse")),
                    ),
                )
                .response("502", bad_gateway());
            let query = |param: &str, description: &str| {
                ParameterBuilder::new()
                    .name(param)
                    .parameter_in(ParameterIn::Query)
                    .required(Required::False)
                    .description(Some(description))
                    .schema(Some(string()))
                    .build()
            };
            let codes: &[&str] = &[
                "OAUTH_NOT_AVAILABLE_EMAIL",
                "OAUTH_USER_ALREADY_EXISTS",
                "OAUTH_INVALID_STATE",
                "ACCESS_TOKEN_DECODE_ERROR",
                "ACCESS_TOKEN_ALREADY_EXPIRED",
                "LOGIN_BAD_CREDENTIALS",
                "LOGIN_USER_NOT_VERIFIED",
                "Bad Request",
            ];
            let callback_op = op(&format!("{name}.callback"), &callback, "get")
                .summary(Some(format!("{summary}:{provider}.Callback")))
                .parameter(query("code", "The authorization code from the provider."))
                .parameter(query("state", "The state this flow's /authorize issued."))
                .parameter(query("error", "The provider's refusal, instead of a code."))
                .response("400", error("Bad Request", codes))
                .response("502", bad_gateway());
            let (authorize_op, callback_op) = match backend {
                Some(backend) => {
                    let is_cookie = self
                        .users
                        .backends()
                        .iter()
                        .find(|b| b.name() == backend)
                        .is_some_and(|b| b.transport().is_cookie());
                    let success = if is_cookie {
                        ("204", ok("Signed in: the auth cookie is set", None))
                    } else {
                        (
                            "200",
                            ok("Successful Response", Some(schema_ref("BearerResponse"))),
                        )
                    };
                    (authorize_op, callback_op.response(success.0, success.1))
                }
                None => {
                    let unauthorized =
                        || error("Missing token or inactive user.", &["Unauthorized"]);
                    let forbidden = || {
                        error(
                            "The router requires a verified user, or a cross-site request.",
                            &["Forbidden"],
                        )
                    };
                    (
                        secured(authorize_op)
                            .response("401", unauthorized())
                            .response("403", forbidden()),
                        secured(callback_op)
                            .response("200", ok("Successful Response", Some(schema_ref(&read))))
                            .response("401", unauthorized())
                            .response("403", forbidden()),
                    )
                }
            };
            add(authorize, HttpMethod::Get, authorize_op.build());
            add(callback, HttpMethod::Get, callback_op.build());
        }

        let cookie_auth = self
            .users
            .backends()
            .iter()
            .any(|b| b.transport().is_cookie());
        add_transport_errors(&mut paths, cookie_auth);

        let detail_item: Schema = ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Object))
            .title(Some("ValidationError"))
            .property(
                "loc",
                ArrayBuilder::new().items(
                    OneOfBuilder::new()
                        .item(string())
                        .item(ObjectBuilder::new().schema_type(SchemaType::Type(Type::Integer))),
                ),
            )
            .required("loc")
            .property("msg", string())
            .required("msg")
            .property("type", string())
            .required("type")
            .into();
        let read_schema = <U::Read as PartialSchema>::schema();
        #[cfg(feature = "oauth")]
        let read_schema = if self.users.inner.oauth.in_read {
            with_oauth_accounts(read_schema)
        } else {
            read_schema
        };
        let mut components = ComponentsBuilder::new()
            .schema(read.clone(), read_schema)
            .schema(
                create.clone(),
                constrain_password(
                    <U::Create as PartialSchema>::schema(),
                    &self.users.inner.policy,
                ),
            )
            .schema(
                update.clone(),
                constrain_password(
                    <U::Update as PartialSchema>::schema(),
                    &self.users.inner.policy,
                ),
            )
            .schema(
                "BearerResponse",
                object_with(&[
                    ("access_token", string().into(), true),
                    ("token_type", string().into(), true),
                ]),
            )
            .schema(
                "OAuth2AuthorizeResponse",
                object_with(&[("authorization_url", string().into(), true)]),
            )
            .schema(
                "ErrorModel",
                object_with(&[(
                    "detail",
                    OneOfBuilder::new()
                        .item(string())
                        .item(
                            ObjectBuilder::new()
                                .schema_type(SchemaType::Type(Type::Object))
                                .additional_properties(Some(string())),
                        )
                        .into(),
                    true,
                )]),
            )
            .schema(
                "HTTPValidationError",
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::Object))
                    .property(
                        "detail",
                        ArrayBuilder::new().items(schema_ref("ValidationError")),
                    )
                    .build(),
            )
            .schema("ValidationError", detail_item);
        for (name, scheme) in schemes {
            components = components.security_scheme(name, scheme);
        }
        OpenApiBuilder::new()
            .info(InfoBuilder::new().title(self.title).version(self.version))
            .paths(paths)
            .components(Some(components.build()))
            .build()
    }
}

impl<U: AuthUser> Users<U> {
    /// Starts the OpenAPI document of the routers: say where each is mounted, then
    /// [`OpenApiMounts::build`]; merge the result into the application's own document.
    ///
    /// ```
    /// # use axum_users::prelude::*;
    /// # #[derive(AuthUser, Clone, Debug)]
    /// # pub struct User { pub id: i64, pub email: String, pub hashed_password: String,
    /// #     pub is_active: bool, pub is_superuser: bool, pub is_verified: bool }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let users = Users::<User>::builder(DbPool::connect("sqlite::memory:").await?)
    /// #     .backend(AuthBackend::new("jwt", Transport::bearer("auth/jwt/login"),
    /// #         Strategy::Jwt(JwtStrategy::hs256("a secret of thirty-two bytes or more!", 3600)?)))
    /// #     .build()?;
    /// let doc = users.openapi().auth("/auth/jwt", "jwt").register("/auth").users("/users").build();
    /// let json = serde_json::to_value(&doc)?;
    /// assert_eq!(
    ///     json["paths"]["/auth/jwt/login"]["post"]["operationId"],
    ///     "auth_jwt_login_auth_jwt_login_post"
    /// );
    /// # Ok(()) }
    /// ```
    pub fn openapi(&self) -> OpenApiMounts<'_, U> {
        OpenApiMounts {
            users: self,
            title: "axum-users".into(),
            version: "0.1.0".into(),
            auth: Vec::new(),
            register: None,
            reset: None,
            verify: None,
            users_router: None,
            protected: Vec::new(),
            oauth: Vec::new(),
        }
    }
}

/// Serves `doc` as JSON at `path` (for example `/openapi.json`). The document is
/// serialized once, here; each request gets the shared bytes.
///
/// # Errors
/// The document cannot be serialized (a schema holding a non-string map key).
///
/// ```
/// # use axum_users::prelude::*;
/// # fn app<U: axum_users::AuthUser>(users: Users<U>) -> Result<axum::Router, serde_json::Error> {
/// let doc = users.openapi().register("/auth").users("/users").build();
/// let app = axum::Router::new()
///     .merge(axum_users::openapi::document_router("/openapi.json", &doc)?);
/// # Ok(app) }
/// ```
pub fn document_router<S>(path: &str, doc: &OpenApi) -> Result<axum::Router<S>, serde_json::Error>
where
    S: Clone + Send + Sync + 'static,
{
    let bytes = bytes::Bytes::from(serde_json::to_vec(doc)?);
    Ok(axum::Router::new().route(
        path,
        axum::routing::get(move || async move {
            ([(http::header::CONTENT_TYPE, "application/json")], bytes)
        }),
    ))
}

/// Swagger UI at `path` (for example `/docs`), showing the document the application serves
/// at `openapi_url`. The UI's files are compiled into the binary (feature `docs-ui`): nothing
/// is fetched from a CDN, and the online validator badge is off. Its "Authorize" button logs
/// in through the OAuth2 password flow of each bearer backend: the page lives at `path`
/// itself (no trailing slash, as FastAPI's `/docs`), so the document's relative `tokenUrl`
/// (`auth/jwt/login`) resolves to the login route; the UI's files are under `path/`.
///
/// ```
/// # #[cfg(feature = "docs-ui")] {
/// let app: axum::Router = axum::Router::new()
///     .merge(auth_runtime::openapi::docs_router("/docs", "/openapi.json"));
/// # }
/// ```
#[cfg(feature = "docs-ui")]
pub fn docs_router<S>(path: impl Into<String>, openapi_url: impl Into<String>) -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    use axum::extract::Path;
    use axum::response::{Html, IntoResponse};
    use http::{HeaderValue, StatusCode, header};
    use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
    use std::sync::Arc;

    /// Characters of a path written into the page's attributes and script as they are.
    const UNSAFE: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'\'')
        .add(b'<')
        .add(b'>')
        .add(b'&')
        .add(b'`')
        .add(b'\\')
        .add(b'#')
        .add(b'?');

    let path = path.into();
    let path = format!("/{}", path.trim_matches('/'));
    let base = utf8_percent_encode(path.trim_end_matches('/'), UNSAFE).to_string();
    let config = Arc::new(
        utoipa_swagger_ui::Config::new([openapi_url.into()])
            .validator_url("none")
            .display_operation_id(true),
    );
    let page = Html(format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>API documents</title>
<link rel="stylesheet" type="text/css" href="{base}/swagger-ui.css">
<link rel="stylesheet" type="text/css" href="{base}/index.css">
<link rel="icon" type="image/png" href="{base}/favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{base}/swagger-ui-bundle.js" charset="UTF-8"></script>
<script src="{base}/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
<script src="{base}/swagger-initializer.js" charset="UTF-8"></script>
</body>
</html>
"#
    ));
    let asset = move |Path(file): Path<String>| {
        let config = config.clone();
        async move {
            // The page is `path` itself; the bundled index.html would load its files from the
            // wrong place.
            if file == "index.html" {
                return StatusCode::NOT_FOUND.into_response();
            }
            match utoipa_swagger_ui::serve(&file, config) {
                Ok(Some(found)) => {
                    let mut response = found.bytes.into_owned().into_response();
                    let headers = response.headers_mut();
                    if let Ok(value) = HeaderValue::from_str(&found.content_type) {
                        headers.insert(header::CONTENT_TYPE, value);
                    }
                    if found.gzpipped {
                        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                    }
                    response
                }
                Ok(None) => StatusCode::NOT_FOUND.into_response(),
                Err(e) => {
                    tracing::error!(error = %e, "the docs UI could not render a file");
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                }
            }
        }
    };
    let slash = if path == "/" {
        String::new()
    } else {
        path.clone()
    };
    let mut router = axum::Router::new()
        .route(
            &path,
            axum::routing::get(move || async move { page.clone() }),
        )
        .route(&format!("{slash}/{{*file}}"), axum::routing::get(asset));
    if path != "/" {
        router = router.route(
            &format!("{path}/"),
            axum::routing::get(move || async move {
                axum::response::Redirect::permanent(&base).into_response()
            }),
        );
    }
    router
}
