//! Helpers the xpander shape needs beyond the bundle's: required keys, plain strings for
//! localized maps, and objects kept verbatim in `*_json` fields.

use std::collections::HashMap;

use serde_json::Value;

use crate::domain::bundle::read::{Obj, Violations, kind};
use crate::domain::bundle::verbatim;
use crate::error::FieldViolation;

/// A required string; absent or `null` is reported.
pub fn required_string(object: &Obj, key: &str, errs: &mut Violations) -> String {
    if object.get(key).is_none() {
        errs.push(FieldViolation::new(object.path(key), "is required"));
    }
    object.string(key, errs).unwrap_or_default()
}

/// A required list of strings; absent or `null` is reported.
pub fn required_strings(object: &Obj, key: &str, errs: &mut Violations) -> Vec<String> {
    if object.get(key).is_none() {
        errs.push(FieldViolation::new(object.path(key), "is required"));
    }
    object.strings(key, errs).unwrap_or_default()
}

/// A required array of objects; absent or `null` is reported.
pub fn required_objects<'a>(object: &Obj<'a>, key: &str, errs: &mut Violations) -> Vec<Obj<'a>> {
    if object.get(key).is_none() {
        errs.push(FieldViolation::new(object.path(key), "is required"));
    }
    object.objects(key, errs).unwrap_or_default()
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

    fn name(self) -> &'static str {
        match self {
            Shape::Object => "an object",
            Shape::Array => "an array",
        }
    }
}

/// The value of a `*_json` text when it is JSON of that shape (else it stays in the extension).
pub fn verbatim_value(text: &str, shape: Shape) -> Option<Value> {
    verbatim::parse(text).filter(|v| shape.fits(v))
}

/// A verbatim field as its compact JSON text. The value may also come as a string holding JSON
/// text of that shape; text that is not JSON is reported.
pub fn verbatim_text(object: &Obj, key: &str, shape: Shape, errs: &mut Violations) -> Option<String> {
    let value = object.get(key)?;
    let parsed;
    let value = match value {
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(v) => {
                parsed = v;
                &parsed
            }
            Err(e) => {
                errs.push(FieldViolation::new(object.path(key), format!("is not valid JSON text: {e}")));
                return None;
            }
        },
        other => other,
    };
    if !shape.fits(value) {
        errs.push(FieldViolation::new(object.path(key), format!("must be {}, not {}", shape.name(), kind(value))));
        return None;
    }
    Some(verbatim::text(value))
}

/// An object of strings (headers, environment); other values are kept as their JSON text.
pub fn string_map(object: &Obj, key: &str, errs: &mut Violations) -> HashMap<String, String> {
    let Some(map) = object.object(key, errs) else {
        return HashMap::new();
    };
    map.map
        .iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                other => verbatim::text(other),
            };
            (k.clone(), text)
        })
        .collect()
}
