//! Request-body validation with Pydantic 2 compatible error reports.
//!
//! FastAPI answers an invalid request body with status 422 and a body such as
//! `{"detail":[{"type":"missing","loc":["body","email"],"msg":"Field required","input":{}}]}`.
//! This module reproduces those reports: [`parse_json_object`] decodes the
//! body, [`required`], [`optional`] and [`patch`] read its fields through
//! [`FromJsonField`], and the `check_*` functions apply constraints. Every
//! problem is collected into [`ValidationErrors`], which serializes as the
//! whole 422 body.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use serde::ser::SerializeStruct;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// One part of an error location: a key or an index.
///
/// Serializes untagged: a key as a JSON string, an index as a JSON number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum LocPart {
    /// An object key, such as `"body"` or a field name.
    Key(Cow<'static, str>),
    /// A position: an array index, or a character offset for `json_invalid`.
    Index(usize),
}

impl From<&'static str> for LocPart {
    fn from(key: &'static str) -> Self {
        LocPart::Key(Cow::Borrowed(key))
    }
}

impl From<String> for LocPart {
    fn from(key: String) -> Self {
        LocPart::Key(Cow::Owned(key))
    }
}

impl From<Cow<'static, str>> for LocPart {
    fn from(key: Cow<'static, str>) -> Self {
        LocPart::Key(key)
    }
}

impl From<usize> for LocPart {
    fn from(index: usize) -> Self {
        LocPart::Index(index)
    }
}

/// One item of a 422 body: `{"type":..,"loc":[..],"msg":..,"input":..,"ctx":{..}?}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidationItem {
    /// The machine-readable error type, such as `missing` or `string_type`.
    #[serde(rename = "type")]
    pub kind: Cow<'static, str>,
    /// Where the error is, starting with `"body"`.
    pub loc: Vec<LocPart>,
    /// The human-readable message.
    pub msg: String,
    /// The offending input value.
    pub input: Value,
    /// Extra context, such as `{"min_length": 3}`; omitted when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Value>,
}

/// A problem with one value, before its location is known.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// The machine-readable error type, such as `string_type`.
    pub kind: Cow<'static, str>,
    /// The human-readable message.
    pub msg: String,
    /// Extra context, if the error type has any.
    pub ctx: Option<Value>,
}

impl FieldError {
    /// Builds an error of type `kind` with message `msg` and no context.
    pub fn new(kind: impl Into<Cow<'static, str>>, msg: impl Into<String>) -> Self {
        FieldError {
            kind: kind.into(),
            msg: msg.into(),
            ctx: None,
        }
    }

    /// Returns this error with its context set to `ctx`.
    #[must_use]
    pub fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(ctx);
        self
    }

    /// Places this error at `loc`, reporting `input` as the offending value.
    pub fn at(self, loc: Vec<LocPart>, input: Value) -> ValidationItem {
        ValidationItem {
            kind: self.kind,
            loc,
            msg: self.msg,
            input,
            ctx: self.ctx,
        }
    }

    /// A `value_error` with msg `Value error, <message>` and ctx `{"error": "<message>"}`.
    pub fn value_error(message: impl Into<String>) -> Self {
        let message = message.into();
        FieldError::new("value_error", format!("Value error, {message}"))
            .with_ctx(serde_json::json!({ "error": message }))
    }

    /// A `value_error` for emails: msg `value is not a valid email address: <reason>`,
    /// ctx `{"reason": "<reason>"}`.
    pub fn invalid_email(reason: impl fmt::Display) -> Self {
        let reason = reason.to_string();
        FieldError::new(
            "value_error",
            format!("value is not a valid email address: {reason}"),
        )
        .with_ctx(serde_json::json!({ "reason": reason }))
    }

    fn missing() -> Self {
        FieldError::new("missing", "Field required")
    }
}

/// All problems of one body. Serializes as the whole 422 body: `{"detail":[items...]}`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValidationErrors(pub Vec<ValidationItem>);

impl ValidationErrors {
    /// An empty collection.
    pub fn new() -> Self {
        ValidationErrors(Vec::new())
    }

    /// True when no problem was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many problems were recorded.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Records one problem.
    pub fn push(&mut self, item: ValidationItem) {
        self.0.push(item);
    }

    /// Records `error` for body field `name` (loc `["body", name]`) with the
    /// offending `input`.
    pub fn push_at(&mut self, name: impl Into<Cow<'static, str>>, input: Value, error: FieldError) {
        self.push(error.at(field_loc(name), input));
    }

    /// Builds a collection holding only `error` for body field `name`.
    pub fn field(name: impl Into<Cow<'static, str>>, input: Value, error: FieldError) -> Self {
        let mut errors = ValidationErrors::new();
        errors.push_at(name, input, error);
        errors
    }

    /// `Ok(())` when empty, else `Err(self)`.
    ///
    /// # Errors
    ///
    /// Returns `self` when at least one problem was recorded.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl Serialize for ValidationErrors {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut body = serializer.serialize_struct("ValidationErrors", 1)?;
        body.serialize_field("detail", &self.0)?;
        body.end()
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        let plural = if n == 1 { "" } else { "s" };
        write!(f, "{n} validation error{plural}")
    }
}

impl std::error::Error for ValidationErrors {}

impl IntoIterator for ValidationErrors {
    type Item = ValidationItem;
    type IntoIter = std::vec::IntoIter<ValidationItem>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

fn field_loc(name: impl Into<Cow<'static, str>>) -> Vec<LocPart> {
    vec![LocPart::from("body"), LocPart::Key(name.into())]
}

/// Decode a JSON request body into its top-level object.
///
/// An empty or whitespace-only body gives `missing` at `["body"]`; malformed
/// JSON gives `json_invalid` at `["body", <character offset>]`; a JSON value
/// that is not an object gives `model_attributes_type` at `["body"]`.
///
/// # Errors
///
/// Returns a [`ValidationErrors`] holding exactly one item in each of the
/// three cases above.
pub fn parse_json_object(body: &[u8]) -> Result<Map<String, Value>, ValidationErrors> {
    let body_loc = || vec![LocPart::from("body")];
    if body
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        let item = FieldError::missing().at(body_loc(), Value::Null);
        return Err(ValidationErrors(vec![item]));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => {
            let item = FieldError::new(
                "model_attributes_type",
                "Input should be a valid dictionary or object to extract fields from",
            )
            .at(body_loc(), other);
            Err(ValidationErrors(vec![item]))
        }
        Err(err) => {
            let offset = json_error_offset(body, &err);
            let mut message = err.to_string();
            if err.line() != 0
                && let Some(pos) = message.rfind(" at line ")
            {
                message.truncate(pos);
            }
            let item = FieldError::new("json_invalid", "JSON decode error")
                .with_ctx(serde_json::json!({ "error": message }))
                .at(
                    vec![LocPart::from("body"), LocPart::Index(offset)],
                    Value::Object(Map::new()),
                );
            Err(ValidationErrors(vec![item]))
        }
    }
}

/// The 0-based character offset at which decoding failed.
///
/// serde_json reports a 1-based line and a column counted in bytes from the
/// start of that line, pointing at the offending byte (1-based). At the end of
/// input the offset is the whole body's length, as Python's decoder says.
fn json_error_offset(body: &[u8], err: &serde_json::Error) -> usize {
    let byte = if err.classify() == serde_json::error::Category::Eof {
        body.len()
    } else if err.line() == 0 {
        0
    } else {
        let line_start = if err.line() <= 1 {
            0
        } else {
            body.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .nth(err.line() - 2)
                .map_or(body.len(), |(i, _)| i + 1)
        };
        line_start
            .saturating_add(err.column().saturating_sub(1))
            .min(body.len())
    };
    // Count characters: every byte that is not a UTF-8 continuation byte.
    body.get(..byte)
        .unwrap_or(body)
        .iter()
        .filter(|b| (**b & 0xC0) != 0x80)
        .count()
}

/// A type that can be read from one JSON value with Pydantic-like rules.
pub trait FromJsonField: Sized {
    /// Reads `value`, or says why it does not fit.
    fn from_json_field(value: &Value) -> Result<Self, FieldError>;

    /// Whether a JSON `null` in an update body ([`patch`]) means "leave
    /// unchanged". True for every type except `Option<T>`, where `null` sets
    /// the value to `None`.
    fn null_is_absent() -> bool {
        true
    }
}

impl FromJsonField for String {
    fn from_json_field(value: &Value) -> Result<Self, FieldError> {
        match value {
            Value::String(s) => Ok(s.clone()),
            _ => Err(FieldError::new(
                "string_type",
                "Input should be a valid string",
            )),
        }
    }
}

fn int_type() -> FieldError {
    FieldError::new("int_type", "Input should be a valid integer")
}

/// Reads an integer as i64, accepting floats with no fractional part.
fn json_to_i64(value: &Value) -> Result<i64, FieldError> {
    // i64::MIN = -2^63 is exactly representable; 2^63 is the first float above i64::MAX.
    const LOW: f64 = -9_223_372_036_854_775_808.0;
    const HIGH: f64 = 9_223_372_036_854_775_808.0;
    let Value::Number(n) = value else {
        return Err(int_type());
    };
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    if n.is_u64() {
        return Err(int_type());
    }
    let f = n.as_f64().ok_or_else(int_type)?;
    if !f.is_finite() {
        return Err(int_type());
    }
    if f.fract() != 0.0 {
        return Err(FieldError::new(
            "int_from_float",
            "Input should be a valid integer, got a number with a fractional part",
        ));
    }
    if (LOW..HIGH).contains(&f) {
        Ok(f as i64)
    } else {
        Err(int_type())
    }
}

impl FromJsonField for i64 {
    fn from_json_field(value: &Value) -> Result<Self, FieldError> {
        json_to_i64(value)
    }
}

impl FromJsonField for i32 {
    fn from_json_field(value: &Value) -> Result<Self, FieldError> {
        json_to_i64(value).and_then(|i| i32::try_from(i).map_err(|_| int_type()))
    }
}

impl FromJsonField for f64 {
    fn from_json_field(value: &Value) -> Result<Self, FieldError> {
        match value {
            Value::Number(n) => n
                .as_f64()
                .ok_or_else(|| FieldError::new("float_type", "Input should be a valid number")),
            _ => Err(FieldError::new(
                "float_type",
                "Input should be a valid number",
            )),
        }
    }
}

impl FromJsonField for bool {
    fn from_json_field(value: &Value) -> Result<Self, FieldError> {
        let parsing = || {
            FieldError::new(
                "bool_parsing",
                "Input should be a valid boolean, unable to interpret input",
            )
        };
        match value {
            Value::Bool(b) => Ok(*b),
            // As Pydantic: an integral number other than 0/1 cannot be interpreted
            // (`bool_parsing`); a fractional one is not a boolean at all (`bool_type`).
            Value::Number(n) => match (n.as_u64(), n.as_f64()) {
                (Some(0), _) => Ok(false),
                (Some(1), _) => Ok(true),
                (None, Some(f)) if n.is_f64() && f == 0.0 => Ok(false),
                (None, Some(f)) if n.is_f64() && f == 1.0 => Ok(true),
                (None, Some(f)) if n.is_f64() && f.fract() != 0.0 => Err(FieldError::new(
                    "bool_type",
                    "Input should be a valid boolean",
                )),
                _ => Err(parsing()),
            },
            Value::String(s) => {
                const TRUE: [&str; 6] = ["1", "t", "y", "on", "yes", "true"];
                const FALSE: [&str; 6] = ["0", "f", "n", "no", "off", "false"];
                if TRUE.iter().any(|t| s.eq_ignore_ascii_case(t)) {
                    Ok(true)
                } else if FALSE.iter().any(|t| s.eq_ignore_ascii_case(t)) {
                    Ok(false)
                } else {
                    Err(parsing())
                }
            }
            _ => Err(FieldError::new(
                "bool_type",
                "Input should be a valid boolean",
            )),
        }
    }
}

impl FromJsonField for uuid::Uuid {
    fn from_json_field(value: &Value) -> Result<Self, FieldError> {
        match value {
            Value::String(s) => uuid::Uuid::parse_str(s).map_err(|e| {
                FieldError::new("uuid_parsing", format!("Input should be a valid UUID, {e}"))
            }),
            _ => Err(FieldError::new(
                "uuid_type",
                "UUID input should be a string, bytes or UUID object",
            )),
        }
    }
}

impl FromJsonField for OffsetDateTime {
    fn from_json_field(value: &Value) -> Result<Self, FieldError> {
        match value {
            Value::String(s) => OffsetDateTime::parse(s, &Rfc3339).map_err(|e| {
                FieldError::new(
                    "datetime_parsing",
                    format!("Input should be a valid datetime, {e}"),
                )
            }),
            _ => Err(FieldError::new(
                "datetime_type",
                "Input should be a valid datetime",
            )),
        }
    }
}

impl<T: FromJsonField> FromJsonField for Option<T> {
    fn from_json_field(value: &Value) -> Result<Self, FieldError> {
        match value {
            Value::Null => Ok(None),
            other => T::from_json_field(other).map(Some),
        }
    }

    fn null_is_absent() -> bool {
        false
    }
}

/// Reads field `name` of `obj` for a required field.
///
/// Absent: records `missing` (input = the whole object) and returns `None`.
/// Present but invalid: records the error and returns `None`.
pub fn required<T: FromJsonField>(
    obj: &Map<String, Value>,
    name: &'static str,
    errors: &mut ValidationErrors,
) -> Option<T> {
    match obj.get(name) {
        None => {
            errors.push_at(name, Value::Object(obj.clone()), FieldError::missing());
            None
        }
        Some(value) => read_present(value, name, errors),
    }
}

/// Reads field `name` of `obj` for an optional (create) field.
///
/// Absent: `None`, no error. Present: parsed with `T`'s rules (so `null`
/// gives `Some(None)` for an `Option<U>` and a type error otherwise). Invalid:
/// the error is recorded and `None` is returned.
pub fn optional<T: FromJsonField>(
    obj: &Map<String, Value>,
    name: &'static str,
    errors: &mut ValidationErrors,
) -> Option<T> {
    obj.get(name)
        .and_then(|value| read_present(value, name, errors))
}

fn read_present<T: FromJsonField>(
    value: &Value,
    name: &'static str,
    errors: &mut ValidationErrors,
) -> Option<T> {
    match T::from_json_field(value) {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push_at(name, value.clone(), e);
            None
        }
    }
}

/// A field of an update body: left out, or given a value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    /// The field was absent (or `null` for a non-`Option` type): leave it unchanged.
    #[default]
    Absent,
    /// The field was given this value.
    Set(T),
}

impl<T> Patch<T> {
    /// True for [`Patch::Absent`].
    pub fn is_absent(&self) -> bool {
        matches!(self, Patch::Absent)
    }

    /// `Some(value)` for [`Patch::Set`], `None` for [`Patch::Absent`].
    pub fn into_option(self) -> Option<T> {
        match self {
            Patch::Absent => None,
            Patch::Set(v) => Some(v),
        }
    }

    /// Borrows the value of a [`Patch::Set`].
    pub fn as_option(&self) -> Option<&T> {
        match self {
            Patch::Absent => None,
            Patch::Set(v) => Some(v),
        }
    }
}

/// Presence-aware read of field `name` for update bodies.
///
/// Absent: [`Patch::Absent`]. `null`: [`Patch::Absent`] when
/// [`FromJsonField::null_is_absent`] (every non-`Option` type), else
/// `Set(None)`. Otherwise the parsed value; on error the error is recorded and
/// [`Patch::Absent`] is returned.
pub fn patch<T: FromJsonField>(
    obj: &Map<String, Value>,
    name: &'static str,
    errors: &mut ValidationErrors,
) -> Patch<T> {
    match obj.get(name) {
        None => Patch::Absent,
        Some(Value::Null) if T::null_is_absent() => Patch::Absent,
        Some(value) => read_present(value, name, errors).map_or(Patch::Absent, Patch::Set),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A `value_error` when `value` holds U+0000, which PostgreSQL cannot store in text (and
/// which no text field needs): `Value error, String should not contain the NUL character`.
pub fn check_no_nul(value: &str) -> Option<FieldError> {
    value
        .contains('\0')
        .then(|| FieldError::value_error("String should not contain the NUL character"))
}

/// `string_too_short` when `value` has fewer than `min` characters (Unicode
/// scalar values, as Python's `len`), ctx `{"min_length": min}`.
pub fn check_min_length(value: &str, min: usize) -> Option<FieldError> {
    (value.chars().count() < min).then(|| {
        FieldError::new(
            "string_too_short",
            format!("String should have at least {min} character{}", plural(min)),
        )
        .with_ctx(serde_json::json!({ "min_length": min }))
    })
}

/// `string_too_long` when `value` has more than `max` characters, ctx
/// `{"max_length": max}`.
pub fn check_max_length(value: &str, max: usize) -> Option<FieldError> {
    (value.chars().count() > max).then(|| {
        FieldError::new(
            "string_too_long",
            format!("String should have at most {max} character{}", plural(max)),
        )
        .with_ctx(serde_json::json!({ "max_length": max }))
    })
}

/// `greater_than_equal` when `value < min` (or the two are unordered, as NaN),
/// ctx `{"ge": min}`.
pub fn check_ge<N>(value: N, min: N) -> Option<FieldError>
where
    N: Into<Value> + PartialOrd + Copy + fmt::Display,
{
    let ok = matches!(
        value.partial_cmp(&min),
        Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
    );
    (!ok).then(|| {
        let mut ctx = Map::new();
        ctx.insert("ge".to_owned(), min.into());
        FieldError::new(
            "greater_than_equal",
            format!("Input should be greater than or equal to {min}"),
        )
        .with_ctx(Value::Object(ctx))
    })
}

/// `less_than_equal` when `value > max` (or the two are unordered, as NaN),
/// ctx `{"le": max}`.
pub fn check_le<N>(value: N, max: N) -> Option<FieldError>
where
    N: Into<Value> + PartialOrd + Copy + fmt::Display,
{
    let ok = matches!(
        value.partial_cmp(&max),
        Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
    );
    (!ok).then(|| {
        let mut ctx = Map::new();
        ctx.insert("le".to_owned(), max.into());
        FieldError::new(
            "less_than_equal",
            format!("Input should be less than or equal to {max}"),
        )
        .with_ctx(Value::Object(ctx))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            other => panic!("not an object: {other}"),
        }
    }

    fn one(errors: &ValidationErrors) -> &ValidationItem {
        assert_eq!(errors.len(), 1, "{errors:?}");
        &errors.0[0]
    }

    fn parse_err(body: &str) -> ValidationItem {
        match parse_json_object(body.as_bytes()) {
            Ok(m) => panic!("parsed: {m:?}"),
            Err(e) => one(&e).clone(),
        }
    }

    fn loc(parts: &[LocPart]) -> Vec<LocPart> {
        parts.to_vec()
    }

    fn key(k: &'static str) -> LocPart {
        LocPart::from(k)
    }

    /// Reads `v` as a required field `x` and returns its single error.
    fn field_err<T: FromJsonField + fmt::Debug>(v: Value) -> ValidationItem {
        let o = obj(json!({ "x": v }));
        let mut errors = ValidationErrors::default();
        let got = required::<T>(&o, "x", &mut errors);
        assert!(got.is_none(), "{got:?}");
        let item = one(&errors).clone();
        assert_eq!(item.loc, loc(&[key("body"), key("x")]));
        assert_eq!(item.input, v);
        item
    }

    fn field_ok<T: FromJsonField>(v: Value) -> T {
        let o = obj(json!({ "x": v }));
        let mut errors = ValidationErrors::default();
        let got = required::<T>(&o, "x", &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        match got {
            Some(g) => g,
            None => panic!("no value"),
        }
    }

    #[test]
    fn exact_body_for_two_missing_fields() {
        let o = match parse_json_object(b"{}") {
            Ok(o) => o,
            Err(e) => panic!("{e:?}"),
        };
        let mut errors = ValidationErrors::default();
        let email = required::<String>(&o, "email", &mut errors);
        let password = required::<String>(&o, "password", &mut errors);
        assert!(email.is_none() && password.is_none());
        let text = serde_json::to_string(&errors).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"detail":[{"type":"missing","loc":["body","email"],"msg":"Field required","input":{}},{"type":"missing","loc":["body","password"],"msg":"Field required","input":{}}]}"#
        );
        assert_eq!(errors.to_string(), "2 validation errors");
        assert!(errors.clone().into_result().is_err());
        assert!(ValidationErrors::new().into_result().is_ok());
    }

    #[test]
    fn missing_reports_whole_object_and_order_is_kept() {
        let o = obj(json!({ "b": 1, "other": "x" }));
        let mut errors = ValidationErrors::default();
        let _ = required::<String>(&o, "z", &mut errors);
        let _ = required::<i32>(&o, "b", &mut errors);
        let _ = required::<String>(&o, "a", &mut errors);
        assert_eq!(errors.len(), 2);
        assert_eq!(errors.0[0].loc, loc(&[key("body"), key("z")]));
        assert_eq!(errors.0[1].loc, loc(&[key("body"), key("a")]));
        assert_eq!(errors.0[0].kind, "missing");
        assert_eq!(errors.0[0].msg, "Field required");
        assert_eq!(errors.0[0].input, json!({ "b": 1, "other": "x" }));
        assert_eq!(errors.0[0].ctx, None);
        assert_eq!(errors.to_string(), "2 validation errors");
        let single = ValidationErrors(vec![errors.0[0].clone()]);
        assert_eq!(single.to_string(), "1 validation error");
    }

    #[test]
    fn empty_body_is_missing() {
        for body in ["", "   ", " \r\n\t "] {
            let item = parse_err(body);
            assert_eq!(item.kind, "missing");
            assert_eq!(item.loc, loc(&[key("body")]));
            assert_eq!(item.msg, "Field required");
            assert_eq!(item.input, Value::Null);
            assert_eq!(item.ctx, None);
        }
    }

    #[test]
    fn json_invalid_offset_simple() {
        let item = parse_err(r#"{"a": }"#);
        assert_eq!(item.kind, "json_invalid");
        assert_eq!(item.loc, loc(&[key("body"), LocPart::Index(6)]));
        assert_eq!(item.msg, "JSON decode error");
        assert_eq!(item.input, json!({}));
        assert_eq!(item.ctx, Some(json!({ "error": "expected value" })));
        let text = serde_json::to_string(&item).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"type":"json_invalid","loc":["body",6],"msg":"JSON decode error","input":{},"ctx":{"error":"expected value"}}"#
        );
    }

    #[test]
    fn json_invalid_offset_multiline_non_ascii() {
        // Python: json.loads(...) -> "Expecting value: line 3 column 8 (char 21)".
        let body = "{\n  \"é\": \"ü\",\n  \"b\": x\n}";
        let item = parse_err(body);
        assert_eq!(item.kind, "json_invalid");
        assert_eq!(item.loc, loc(&[key("body"), LocPart::Index(21)]));
        assert_eq!(body.chars().nth(21), Some('x'));
    }

    #[test]
    fn json_invalid_other_offsets() {
        // Unexpected non-ASCII character: offset points at it.
        assert_eq!(parse_err("{\"a\": é}").loc[1], LocPart::Index(6));
        // Trailing comma points at the closing bracket, like Python.
        assert_eq!(parse_err("[1,]").loc[1], LocPart::Index(3));
        // Trailing data points at its first character.
        let item = parse_err("{} x");
        assert_eq!(item.loc[1], LocPart::Index(3));
        assert_eq!(item.ctx, Some(json!({ "error": "trailing characters" })));
        // End of input: the offset is the body's length in characters.
        assert_eq!(parse_err("{\"a\": 1").loc[1], LocPart::Index(7));
        assert_eq!(parse_err("{\"é\": ").loc[1], LocPart::Index(6));
        // Error at the start of a later line.
        assert_eq!(parse_err("\n\n}").loc[1], LocPart::Index(2));
        // Invalid UTF-8 is still reported, not a panic.
        assert_eq!(
            parse_json_object(b"{\"a\": \"\xff\"}")
                .map_err(|e| e.0[0].kind.clone())
                .err()
                .as_deref(),
            Some("json_invalid")
        );
    }

    #[test]
    fn body_not_an_object() {
        for (body, value) in [
            ("[1, 2]", json!([1, 2])),
            ("null", Value::Null),
            ("3", json!(3)),
            ("\"s\"", json!("s")),
            ("true", json!(true)),
        ] {
            let item = parse_err(body);
            assert_eq!(item.kind, "model_attributes_type");
            assert_eq!(item.loc, loc(&[key("body")]));
            assert_eq!(
                item.msg,
                "Input should be a valid dictionary or object to extract fields from"
            );
            assert_eq!(item.input, value);
            assert_eq!(item.ctx, None);
        }
    }

    #[test]
    fn repeated_key_last_wins_and_unknown_keys_ignored() {
        let o = match parse_json_object(br#"{"a": "first", "zzz": 1, "a": "second"}"#) {
            Ok(o) => o,
            Err(e) => panic!("{e:?}"),
        };
        let mut errors = ValidationErrors::default();
        assert_eq!(
            required::<String>(&o, "a", &mut errors).as_deref(),
            Some("second")
        );
        assert!(errors.is_empty());
    }

    #[test]
    fn string_type() {
        assert_eq!(field_ok::<String>(json!("héllo")), "héllo");
        for v in [json!(1), json!(true), Value::Null, json!([]), json!({})] {
            let item = field_err::<String>(v);
            assert_eq!(item.kind, "string_type");
            assert_eq!(item.msg, "Input should be a valid string");
            assert_eq!(item.ctx, None);
        }
    }

    #[test]
    fn integers() {
        assert_eq!(field_ok::<i32>(json!(42)), 42);
        assert_eq!(field_ok::<i32>(json!(-7)), -7);
        assert_eq!(field_ok::<i32>(json!(3.0)), 3);
        assert_eq!(field_ok::<i32>(json!(i32::MAX)), i32::MAX);
        assert_eq!(field_ok::<i32>(json!(i32::MIN)), i32::MIN);
        assert_eq!(field_ok::<i64>(json!(i64::MIN)), i64::MIN);
        assert_eq!(field_ok::<i64>(json!(i64::MAX)), i64::MAX);
        assert_eq!(field_ok::<i64>(json!(-2.0)), -2);
        for v in [
            json!("3"),
            json!(true),
            Value::Null,
            json!([1]),
            json!({}),
            json!(i64::from(i32::MAX) + 1),
            json!(1e12),
        ] {
            let item = field_err::<i32>(v);
            assert_eq!(item.kind, "int_type");
            assert_eq!(item.msg, "Input should be a valid integer");
        }
        for v in [json!(u64::MAX), json!(1e19), json!(-1e19), json!("1")] {
            assert_eq!(field_err::<i64>(v).kind, "int_type");
        }
        for v in [json!(2.5), json!(-0.1)] {
            let item = field_err::<i64>(v.clone());
            assert_eq!(item.kind, "int_from_float");
            assert_eq!(
                item.msg,
                "Input should be a valid integer, got a number with a fractional part"
            );
            assert_eq!(field_err::<i32>(v).kind, "int_from_float");
        }
    }

    #[test]
    fn floats() {
        assert_eq!(field_ok::<f64>(json!(1.5)), 1.5);
        assert_eq!(field_ok::<f64>(json!(2)), 2.0);
        assert_eq!(field_ok::<f64>(json!(-3)), -3.0);
        for v in [json!("1.5"), json!(true), Value::Null, json!([])] {
            let item = field_err::<f64>(v);
            assert_eq!(item.kind, "float_type");
            assert_eq!(item.msg, "Input should be a valid number");
        }
    }

    #[test]
    fn lax_booleans_accepted() {
        let truthy = [
            "1", "t", "y", "on", "yes", "true", "T", "Y", "ON", "Yes", "TRUE", "tRuE",
        ];
        let falsy = [
            "0", "f", "n", "no", "off", "false", "F", "N", "NO", "Off", "FALSE", "fAlSe",
        ];
        for s in truthy {
            assert!(field_ok::<bool>(json!(s)), "{s}");
        }
        for s in falsy {
            assert!(!field_ok::<bool>(json!(s)), "{s}");
        }
        assert!(field_ok::<bool>(json!(true)));
        assert!(!field_ok::<bool>(json!(false)));
        assert!(field_ok::<bool>(json!(1)));
        assert!(!field_ok::<bool>(json!(0)));
        assert!(field_ok::<bool>(json!(1.0)));
        assert!(!field_ok::<bool>(json!(0.0)));
        assert!(!field_ok::<bool>(json!(-0.0)));
    }

    #[test]
    fn lax_booleans_refused() {
        for v in [
            json!(2),
            json!(-1),
            json!(2.0),
            json!("maybe"),
            json!(""),
            json!(" true"),
            json!("2"),
            json!("tru"),
        ] {
            let item = field_err::<bool>(v);
            assert_eq!(item.kind, "bool_parsing");
            assert_eq!(
                item.msg,
                "Input should be a valid boolean, unable to interpret input"
            );
        }
        for v in [
            Value::Null,
            json!([]),
            json!({}),
            json!([true]),
            json!(0.5),
            json!(-0.1),
        ] {
            let item = field_err::<bool>(v);
            assert_eq!(item.kind, "bool_type");
            assert_eq!(item.msg, "Input should be a valid boolean");
        }
    }

    #[test]
    fn uuids() {
        let want = uuid::uuid!("550e8400-e29b-41d4-a716-446655440000");
        for s in [
            "550e8400-e29b-41d4-a716-446655440000",
            "550E8400-E29B-41D4-A716-446655440000",
            "550e8400e29b41d4a716446655440000",
            "{550e8400-e29b-41d4-a716-446655440000}",
            "urn:uuid:550e8400-e29b-41d4-a716-446655440000",
        ] {
            assert_eq!(field_ok::<uuid::Uuid>(json!(s)), want, "{s}");
        }
        let item = field_err::<uuid::Uuid>(json!("nope"));
        assert_eq!(item.kind, "uuid_parsing");
        assert_eq!(
            item.msg,
            "Input should be a valid UUID, invalid character: found `n` at 0"
        );
        let item = field_err::<uuid::Uuid>(json!("550e8400-e29b-41d4-a716-44665544000"));
        assert_eq!(item.kind, "uuid_parsing");
        assert!(item.msg.starts_with("Input should be a valid UUID, "));
        for v in [json!(1), Value::Null, json!([])] {
            let item = field_err::<uuid::Uuid>(v);
            assert_eq!(item.kind, "uuid_type");
            assert_eq!(
                item.msg,
                "UUID input should be a string, bytes or UUID object"
            );
        }
    }

    #[test]
    fn datetimes() {
        let got = field_ok::<OffsetDateTime>(json!("2024-05-06T07:08:09.5+02:00"));
        assert_eq!(got, time::macros::datetime!(2024-05-06 07:08:09.5 +02:00));
        let got = field_ok::<OffsetDateTime>(json!("2024-05-06T07:08:09Z"));
        assert_eq!(got, time::macros::datetime!(2024-05-06 07:08:09 UTC));
        for s in ["nope", "2024-13-01T00:00:00Z", "2024-01-01"] {
            let item = field_err::<OffsetDateTime>(json!(s));
            assert_eq!(item.kind, "datetime_parsing");
            assert!(
                item.msg.starts_with("Input should be a valid datetime, "),
                "{}",
                item.msg
            );
        }
        for v in [json!(1_700_000_000), Value::Null, json!(true)] {
            let item = field_err::<OffsetDateTime>(v);
            assert_eq!(item.kind, "datetime_type");
            assert_eq!(item.msg, "Input should be a valid datetime");
        }
    }

    #[test]
    fn option_fields() {
        assert_eq!(field_ok::<Option<String>>(Value::Null), None);
        assert_eq!(field_ok::<Option<String>>(json!("a")), Some("a".to_owned()));
        assert_eq!(field_err::<Option<String>>(json!(1)).kind, "string_type");
        // A required Option field must still be present.
        let mut errors = ValidationErrors::default();
        let got = required::<Option<String>>(&Map::new(), "x", &mut errors);
        assert_eq!(got, None);
        assert_eq!(one(&errors).kind, "missing");
    }

    #[test]
    fn optional_reads() {
        let o = obj(json!({ "n": null, "s": "v", "bad": 3 }));
        let mut errors = ValidationErrors::default();
        assert_eq!(optional::<String>(&o, "absent", &mut errors), None);
        assert!(errors.is_empty());
        assert_eq!(optional::<Option<String>>(&o, "n", &mut errors), Some(None));
        assert_eq!(
            optional::<String>(&o, "s", &mut errors).as_deref(),
            Some("v")
        );
        assert!(errors.is_empty());
        assert_eq!(optional::<String>(&o, "n", &mut errors), None);
        assert_eq!(optional::<String>(&o, "bad", &mut errors), None);
        assert_eq!(errors.len(), 2);
        assert_eq!(errors.0[0].kind, "string_type");
        assert_eq!(errors.0[0].input, Value::Null);
        assert_eq!(errors.0[1].loc, loc(&[key("body"), key("bad")]));
        assert_eq!(errors.0[1].input, json!(3));
    }

    #[test]
    fn patch_semantics() {
        let o = obj(json!({ "n": null, "s": "v", "b": "yes", "bad": [] }));
        let mut errors = ValidationErrors::default();
        assert_eq!(patch::<String>(&o, "absent", &mut errors), Patch::Absent);
        assert_eq!(
            patch::<Option<String>>(&o, "absent", &mut errors),
            Patch::Absent
        );
        // null on a non-Option type means "unchanged".
        assert_eq!(patch::<String>(&o, "n", &mut errors), Patch::Absent);
        assert_eq!(patch::<bool>(&o, "n", &mut errors), Patch::Absent);
        // null on an Option type clears the value.
        assert_eq!(
            patch::<Option<String>>(&o, "n", &mut errors),
            Patch::Set(None)
        );
        assert_eq!(
            patch::<String>(&o, "s", &mut errors),
            Patch::Set("v".to_owned())
        );
        assert_eq!(
            patch::<Option<String>>(&o, "s", &mut errors),
            Patch::Set(Some("v".to_owned()))
        );
        assert_eq!(patch::<bool>(&o, "b", &mut errors), Patch::Set(true));
        assert!(errors.is_empty());
        assert_eq!(patch::<String>(&o, "bad", &mut errors), Patch::Absent);
        assert_eq!(one(&errors).kind, "string_type");
        assert_eq!(one(&errors).input, json!([]));

        let p: Patch<i32> = Patch::default();
        assert!(p.is_absent());
        assert_eq!(Patch::Set(3).into_option(), Some(3));
        assert_eq!(Patch::Set(3).as_option(), Some(&3));
        assert_eq!(Patch::<i32>::Absent.into_option(), None);
    }

    #[test]
    fn min_length_counts_characters() {
        // "éé" is 4 bytes but 2 characters.
        let e = check_min_length("éé", 3);
        let e = match e {
            Some(e) => e,
            None => panic!("no error"),
        };
        assert_eq!(e.kind, "string_too_short");
        assert_eq!(e.msg, "String should have at least 3 characters");
        assert_eq!(e.ctx, Some(json!({ "min_length": 3 })));
        assert_eq!(check_min_length("ééé", 3), None);
        assert_eq!(check_min_length("日本語", 3), None);
        assert_eq!(check_min_length("🦀", 1), None);
        let e = check_min_length("", 1).map(|e| e.msg);
        assert_eq!(
            e.as_deref(),
            Some("String should have at least 1 character")
        );
    }

    #[test]
    fn max_length_counts_characters() {
        // 4 characters, 12 bytes.
        assert_eq!(check_max_length("日本語!", 4), None);
        let e = match check_max_length("日本語!", 3) {
            Some(e) => e,
            None => panic!("no error"),
        };
        assert_eq!(e.kind, "string_too_long");
        assert_eq!(e.msg, "String should have at most 3 characters");
        assert_eq!(e.ctx, Some(json!({ "max_length": 3 })));
        let e = check_max_length("ab", 1).map(|e| e.msg);
        assert_eq!(e.as_deref(), Some("String should have at most 1 character"));
    }

    #[test]
    fn range_checks() {
        assert_eq!(check_ge(5, 5), None);
        assert_eq!(check_ge(6_i64, 5), None);
        let e = match check_ge(4, 5) {
            Some(e) => e,
            None => panic!("no error"),
        };
        assert_eq!(e.kind, "greater_than_equal");
        assert_eq!(e.msg, "Input should be greater than or equal to 5");
        assert_eq!(e.ctx, Some(json!({ "ge": 5 })));

        assert_eq!(check_le(5, 5), None);
        assert_eq!(check_le(-1_i32, 0), None);
        let e = match check_le(1.5_f64, 1.25) {
            Some(e) => e,
            None => panic!("no error"),
        };
        assert_eq!(e.kind, "less_than_equal");
        assert_eq!(e.msg, "Input should be less than or equal to 1.25");
        assert_eq!(e.ctx, Some(json!({ "le": 1.25 })));
        assert!(check_ge(f64::NAN, 0.0).is_some());
        assert!(check_le(f64::NAN, 0.0).is_some());
    }

    #[test]
    fn push_at_places_error_under_body() {
        let o = obj(json!({ "password": "ab" }));
        let mut errors = ValidationErrors::default();
        if let Some(pw) = required::<String>(&o, "password", &mut errors)
            && let Some(e) = check_min_length(&pw, 3)
        {
            errors.push_at("password", Value::String(pw), e);
        }
        let text = serde_json::to_string(&errors).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"detail":[{"type":"string_too_short","loc":["body","password"],"msg":"String should have at least 3 characters","input":"ab","ctx":{"min_length":3}}]}"#
        );
        assert_eq!(
            ValidationErrors::field("password", json!("ab"), FieldError::value_error("x")),
            ValidationErrors(vec![ValidationItem {
                kind: "value_error".into(),
                loc: vec!["body".into(), "password".into()],
                msg: "Value error, x".into(),
                input: json!("ab"),
                ctx: Some(json!({ "error": "x" })),
            }])
        );
    }

    #[test]
    fn value_and_email_errors() {
        let e = FieldError::value_error("too weak");
        assert_eq!(e.kind, "value_error");
        assert_eq!(e.msg, "Value error, too weak");
        assert_eq!(e.ctx, Some(json!({ "error": "too weak" })));
        let e = FieldError::invalid_email("An email address must have an @-sign.");
        assert_eq!(e.kind, "value_error");
        assert_eq!(
            e.msg,
            "value is not a valid email address: An email address must have an @-sign."
        );
        assert_eq!(
            e.ctx,
            Some(json!({ "reason": "An email address must have an @-sign." }))
        );
        let item = e.at(vec!["body".into(), "email".into()], json!("x"));
        assert_eq!(
            serde_json::to_value(&item).unwrap_or_default(),
            json!({
                "type": "value_error",
                "loc": ["body", "email"],
                "msg": "value is not a valid email address: An email address must have an @-sign.",
                "input": "x",
                "ctx": { "reason": "An email address must have an @-sign." }
            })
        );
    }

    #[test]
    fn loc_parts_serialize_untagged() {
        let parts = vec![
            LocPart::from("body"),
            LocPart::Index(3),
            LocPart::from("x".to_owned()),
        ];
        assert_eq!(
            serde_json::to_string(&parts).unwrap_or_default(),
            r#"["body",3,"x"]"#
        );
    }
}
