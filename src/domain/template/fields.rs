//! Helpers the xpander shape needs beyond the bundle's: required lists, plain strings for
//! localized maps, and objects kept verbatim in `*_json` fields.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::dto::Items;
use crate::domain::bundle::verbatim;
use crate::domain::wire::{Check, Expect, Field};
use crate::error::{FieldViolation, ViolationKind};

/// A required list of objects; absent or `null` is reported, as is each item of another kind.
pub fn required_items<T: Expect, R>(
    c: &mut Check,
    key: &str,
    field: Items<T>,
    read: impl FnMut(&mut Check, T) -> R,
) -> Vec<R> {
    match c.required(key, key, field) {
        Some(items) => c.items(key, key, items, read),
        None => Vec::new(),
    }
}

/// An optional list of objects.
pub fn optional_items<T: Expect, R>(
    c: &mut Check,
    key: &str,
    field: Items<T>,
    read: impl FnMut(&mut Check, T) -> R,
) -> Option<Vec<R>> {
    let items = c.take(key, key, field)?;
    Some(c.items(key, key, items, read))
}

/// A required list of strings.
pub fn required_strings(c: &mut Check, key: &str, field: Field<Vec<Field<String>>>) -> Vec<String> {
    if field.is_none() {
        c.errs.push(FieldViolation::missing(c.path(key)));
    }
    c.strings(key, key, field).unwrap_or_default()
}

/// A plain xpander string as a localized map: the `"en"` entry, nothing when empty.
pub fn localized(text: String) -> HashMap<String, String> {
    if text.is_empty() { HashMap::new() } else { HashMap::from([("en".to_owned(), text)]) }
}

/// The JSON kinds a verbatim field may hold.
#[derive(Clone, Copy)]
pub enum Shape {
    Object,
    Array,
}

impl Shape {
    fn fits(self, value: &Value) -> bool {
        match self {
            Shape::Object => value.is_object(),
            Shape::Array => value.is_array(),
        }
    }
}

/// The value of a `*_json` text when it is JSON of that shape (else it stays in the extension).
pub fn verbatim_value(text: &str, shape: Shape) -> Option<Value> {
    verbatim::parse(text).filter(|v| shape.fits(v))
}

/// A verbatim field as its compact JSON text. The value may also come as a string holding JSON
/// text of that shape; text that is not JSON is reported.
pub fn verbatim_text(c: &mut Check, key: &str, field: Field<Value>, shape: Shape) -> Option<String> {
    let value = c.take(key, key, field)?;
    verbatim_of(c, key, value, shape)
}

/// [`verbatim_text`] of a value already taken.
pub fn verbatim_of(c: &mut Check, key: &str, value: Value, shape: Shape) -> Option<String> {
    let value = match value {
        Value::String(text) => match serde_json::from_str::<Value>(&text) {
            Ok(parsed) => parsed,
            Err(e) => {
                c.push(ViolationKind::Invalid, key, format!("is not valid JSON text: {e}"));
                return None;
            }
        },
        other => other,
    };
    if shape.fits(&value) {
        return Some(verbatim::text(&value));
    }
    match shape {
        Shape::Object => c.push(ViolationKind::NotObject, key, "Input should be a valid dictionary"),
        Shape::Array => c.push(ViolationKind::NotArray, key, "Input should be a valid list"),
    }
    None
}

/// An object of strings (headers, environment); other values are kept as their JSON text.
pub fn string_map(map: Map<String, Value>) -> HashMap<String, String> {
    map.into_iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s,
                other => verbatim::text(&other),
            };
            (k, text)
        })
        .collect()
}

/// A number written only when it is set and finite (only finite numbers are JSON; others stay
/// in the extension).
pub fn float(value: Option<f64>) -> Field<f64> {
    value.filter(|v| v.is_finite()).map_or(Field::Absent, Field::Given)
}
