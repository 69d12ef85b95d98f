//! Extension fields this server does not know (added by a newer minor format version): reading
//! keeps them in the entity's `extra_json` under `"agentport.<key>"`, and writing puts them back
//! under the entity's `"agentport"` key, so a re-export carries them again verbatim. Entities
//! without `extra_json` (knowledge bases, documents) cannot keep them.

use prost_reflect::{DynamicMessage, MessageDescriptor, Value as Field};
use serde_json::{Map, Value};

use super::verbatim;
use crate::domain::reflect::{descriptor, from_dynamic, to_dynamic};

const PREFIX: &str = "agentport.";
const EXTRA: &str = "extra_json";

/// The keys of an extension object that name no field of `message`.
pub fn unknown<'a>(ext: &'a Map<String, Value>, message: &MessageDescriptor) -> impl Iterator<Item = &'a String> {
    let known = |key: &str| message.get_field_by_json_name(key).or_else(|| message.get_field_by_name(key)).is_some();
    ext.keys().filter(move |key| !known(key))
}

/// Adds the unknown keys of `ext` to the message's `extra_json`, when it has one holding an
/// object (or nothing); other text is not ours to rewrite.
pub fn store<M: prost::Message + prost::Name + Default>(message: &mut M, ext: &Map<String, Value>) {
    let descriptor = descriptor::<M>();
    let unknown: Vec<&String> = unknown(ext, &descriptor).collect();
    if unknown.is_empty() || descriptor.get_field_by_name(EXTRA).is_none() {
        return;
    }
    let mut dynamic = to_dynamic(message);
    let Some(mut extra) = extra_object(&dynamic) else {
        return;
    };
    for key in unknown {
        extra.insert(format!("{PREFIX}{key}"), ext[key].clone());
    }
    dynamic.set_field_by_name(EXTRA, Field::String(verbatim::text(&Value::Object(extra))));
    *message = from_dynamic(&dynamic);
}

/// The message without the kept fields in its `extra_json`, and those fields by their keys.
pub fn take<M: prost::Message + prost::Name + Default + Clone>(message: &M) -> (M, Map<String, Value>) {
    let mut kept = Map::new();
    if descriptor::<M>().get_field_by_name(EXTRA).is_none() {
        return (message.clone(), kept);
    }
    let mut dynamic = to_dynamic(message);
    let Some(extra) = extra_object(&dynamic) else {
        return (message.clone(), kept);
    };
    if !extra.keys().any(|key| key.starts_with(PREFIX)) {
        return (message.clone(), kept);
    }
    let mut rest = Map::new();
    for (key, value) in extra {
        match key.strip_prefix(PREFIX) {
            Some(field) => kept.insert(field.to_owned(), value),
            None => rest.insert(key, value),
        };
    }
    let text = if rest.is_empty() { String::new() } else { verbatim::text(&Value::Object(rest)) };
    dynamic.set_field_by_name(EXTRA, Field::String(text));
    (from_dynamic(&dynamic), kept)
}

/// `extra_json` as an object: empty when unset, `None` when it holds anything but an object.
fn extra_object(dynamic: &DynamicMessage) -> Option<Map<String, Value>> {
    let field = dynamic.get_field_by_name(EXTRA)?;
    let text = field.as_str()?;
    if text.is_empty() {
        return Some(Map::new());
    }
    match verbatim::parse(text) {
        Some(Value::Object(map)) => Some(map),
        _ => None,
    }
}
