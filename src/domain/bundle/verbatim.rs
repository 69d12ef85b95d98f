//! `*_json` fields hold JSON text, while Emporix carries the same data as a JSON value. Decoding
//! stores a value as its compact text; text in any other form (or not JSON at all) also travels
//! in the extension, so that it comes back byte for byte.

use serde_json::Value;

/// The value of a JSON text, when it is JSON.
pub fn parse(text: &str) -> Option<Value> {
    if text.is_empty() {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// The text decoding stores for a value.
pub fn text(value: &Value) -> String {
    serde_json::to_string(value).expect("a JSON value always serializes")
}

/// Whether the Emporix value alone gives back this text.
pub fn is_canonical(text_: &str) -> bool {
    parse(text_).is_some_and(|value| text(&value) == text_)
}

/// Sets a stored text from an Emporix value, keeping the stored text when it says the same.
pub fn overlay(stored: &mut String, value: &Value) {
    if parse(stored).as_ref() != Some(value) {
        *stored = text(value);
    }
}
