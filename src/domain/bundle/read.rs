//! Tolerant reading of Emporix JSON: unknown keys are ignored, `null` is the same as absent, and
//! every wrongly typed value is reported with its JSON path instead of stopping at the first.

use serde_json::{Map, Value};

use crate::error::FieldViolation;

pub type Violations = Vec<FieldViolation>;

/// A JSON object together with its path in the document.
#[derive(Clone)]
pub struct Obj<'a> {
    pub map: &'a Map<String, Value>,
    pub path: String,
}

/// A value and its path, for items of arrays.
pub struct At<'a> {
    pub value: &'a Value,
    pub path: String,
}

impl<'a> At<'a> {
    /// The item as an object; anything else is reported.
    pub fn object(self, errs: &mut Violations) -> Option<Obj<'a>> {
        match self.value {
            Value::Object(map) => Some(Obj { map, path: self.path }),
            _ => {
                errs.push(FieldViolation::new(&self.path, "must be an object"));
                None
            }
        }
    }
}

pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'a> Obj<'a> {
    pub fn path(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_owned() } else { format!("{}.{key}", self.path) }
    }

    /// The value of `key`, `None` when absent or `null`.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// Reads `key` with `convert`, reporting `expected` when it does not fit.
    fn typed<T>(
        &self,
        key: &str,
        errs: &mut Violations,
        expected: &str,
        convert: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Option<T> {
        let value = self.get(key)?;
        let converted = convert(value);
        if converted.is_none() {
            errs.push(FieldViolation::new(self.path(key), format!("must be {expected}, not {}", kind(value))));
        }
        converted
    }

    pub fn string(&self, key: &str, errs: &mut Violations) -> Option<String> {
        self.typed(key, errs, "a string", |v| v.as_str().map(str::to_owned))
    }

    pub fn bool(&self, key: &str, errs: &mut Violations) -> Option<bool> {
        self.typed(key, errs, "a boolean", Value::as_bool)
    }

    pub fn i32(&self, key: &str, errs: &mut Violations) -> Option<i32> {
        self.typed(key, errs, "a 32-bit integer", |v| v.as_i64().and_then(|n| i32::try_from(n).ok()))
    }

    pub fn f64(&self, key: &str, errs: &mut Violations) -> Option<f64> {
        self.typed(key, errs, "a number", Value::as_f64)
    }

    /// The nested object under `key`.
    pub fn object(&self, key: &str, errs: &mut Violations) -> Option<Obj<'a>> {
        let map = self.typed(key, errs, "an object", Value::as_object)?;
        Some(Obj { map, path: self.path(key) })
    }

    /// Objects of an array under `key`; other items are reported and skipped.
    pub fn objects(&self, key: &str, errs: &mut Violations) -> Option<Vec<Obj<'a>>> {
        let items = self.array(key, errs)?;
        Some(items.into_iter().filter_map(|i| i.object(errs)).collect())
    }

    /// Items of an array; the caller reads each with its own path.
    pub fn array(&self, key: &str, errs: &mut Violations) -> Option<Vec<At<'a>>> {
        let items = self.typed(key, errs, "an array", Value::as_array)?;
        let path = self.path(key);
        Some(items.iter().enumerate().map(|(i, value)| At { value, path: format!("{path}[{i}]") }).collect())
    }

    pub fn strings(&self, key: &str, errs: &mut Violations) -> Option<Vec<String>> {
        let items = self.array(key, errs)?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item.value.as_str() {
                Some(s) => out.push(s.to_owned()),
                None => {
                    errs.push(FieldViolation::new(item.path, format!("must be a string, not {}", kind(item.value))))
                }
            }
        }
        Some(out)
    }
}

/// Overlays a value read from Emporix; an absent key keeps what the extension brought.
pub fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}
