//! Builds Emporix objects in a fixed key order. Absent values (empty strings, unset optionals)
//! are left out because Emporix bundles omit nulls; lists Emporix always writes are kept even
//! when empty.

use std::collections::HashMap;

use serde_json::{Map, Value};

#[derive(Default)]
pub struct Out(Map<String, Value>);

impl Out {
    pub fn new() -> Self {
        Self::default()
    }

    /// Always written, whatever the value (including an explicit `null`).
    pub fn put(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.0.insert(key.to_owned(), value.into());
        self
    }

    pub fn string(&mut self, key: &str, value: &str) -> &mut Self {
        if !value.is_empty() {
            self.put(key, value);
        }
        self
    }

    pub fn opt(&mut self, key: &str, value: Option<impl Into<Value>>) -> &mut Self {
        if let Some(value) = value {
            self.put(key, value);
        }
        self
    }

    /// Only finite numbers are JSON; others stay in the extension (see callers).
    pub fn float(&mut self, key: &str, value: Option<f64>) -> &mut Self {
        if let Some(number) = value.and_then(serde_json::Number::from_f64) {
            self.put(key, number);
        }
        self
    }

    /// A list Emporix always writes, `[ ]` when empty.
    pub fn list(&mut self, key: &str, items: impl IntoIterator<Item = impl Into<Value>>) -> &mut Self {
        let items: Vec<Value> = items.into_iter().map(Into::into).collect();
        self.put(key, items)
    }

    /// A list written only when it has items.
    pub fn some(&mut self, key: &str, items: impl IntoIterator<Item = impl Into<Value>>) -> &mut Self {
        let items: Vec<Value> = items.into_iter().map(Into::into).collect();
        if !items.is_empty() {
            self.put(key, items);
        }
        self
    }

    /// A reference `{ "id" : ... }`, written when the id is set.
    pub fn reference(&mut self, key: &str, id: &str) -> &mut Self {
        if !id.is_empty() {
            self.put(key, Out::new().put("id", id).take());
        }
        self
    }

    /// A localized text map with its languages sorted, so that output is deterministic.
    pub fn localized(&mut self, key: &str, texts: &HashMap<String, String>) -> &mut Self {
        let mut languages: Vec<_> = texts.iter().collect();
        languages.sort();
        let map = languages.into_iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect::<Map<_, _>>();
        self.put(key, map)
    }

    /// A nested object written only when it has keys.
    pub fn object(&mut self, key: &str, object: Out) -> &mut Self {
        if !object.0.is_empty() {
            self.put(key, object);
        }
        self
    }

    pub fn take(&mut self) -> Value {
        Value::Object(std::mem::take(&mut self.0))
    }
}

impl From<Out> for Value {
    fn from(out: Out) -> Value {
        Value::Object(out.0)
    }
}
