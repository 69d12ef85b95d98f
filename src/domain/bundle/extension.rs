//! The `"agentport"` key: canonical fields that have no Emporix key travel next to the Emporix
//! ones as proto3 JSON, so that a bundle read back gives exactly the resource that was written.
//! Emporix ignores unknown keys, so the key costs an Emporix reader nothing.

use prost_reflect::{DeserializeOptions, DynamicMessage, SerializeOptions};
use serde_json::{Map, Value};

use super::kept;
use crate::domain::reflect::{descriptor, from_dynamic, to_dynamic};
use crate::domain::wire::{Check, Field};
use crate::error::ViolationKind;

pub const KEY: &str = "agentport";

/// Output-only fields that say where and when a resource was stored, and what a document's
/// stored content measures (the content itself travels). Bundles leave them out so that the
/// same content always gives the same bytes, whichever tenant exported it.
const IDENTITY: [&str; 7] = ["name", "revision", "etag", "create_time", "update_time", "size_bytes", "sha256"];

/// Clears the identity fields the message has.
pub fn clear_identity<M: prost::Message + prost::Name + Default>(message: &mut M) {
    let mut dynamic = to_dynamic(message);
    for field in IDENTITY {
        dynamic.clear_field_by_name(field);
    }
    *message = from_dynamic(&dynamic);
}

/// Proto3 JSON of what is left of a resource once its Emporix-mapped fields are cleared:
/// defaults omitted, keys sorted (map fields iterate in hash order). `None` when nothing is left.
pub fn write<M: prost::Message + prost::Name>(residue: &M) -> Option<Value> {
    let mut value = to_dynamic(residue)
        .serialize_with_options(serde_json::value::Serializer, &SerializeOptions::new())
        .expect("a message always serializes to a JSON value");
    sort_keys(&mut value);
    match &value {
        Value::Object(map) if map.is_empty() => None,
        _ => Some(value),
    }
}

/// [`write`] for a bundled entity: fields kept from a newer format (see [`kept`]) go back
/// next to the others.
pub fn write_entity<M: prost::Message + prost::Name + Default + Clone>(residue: &M) -> Option<Value> {
    let (rest, kept) = kept::take(residue);
    let Some(Value::Object(mut map)) = write(&rest).or_else(|| (!kept.is_empty()).then(|| Value::Object(Map::new())))
    else {
        return None;
    };
    map.extend(kept);
    map.sort_keys();
    Some(Value::Object(map))
}

/// The resource carried under [`KEY`] of an entity DTO (default when absent), without
/// identity fields.
pub fn read_in<M: prost::Message + prost::Name + Default>(c: &mut Check, field: Field<Value>) -> M {
    let Some(value) = c.take(KEY, KEY, field) else {
        return M::default();
    };
    decode(&value).unwrap_or_else(|why| {
        c.push(ViolationKind::Invalid, KEY, why);
        M::default()
    })
}

/// Proto3 JSON of a resource; keys no field of it has are kept (see [`kept`]).
fn decode<M: prost::Message + prost::Name + Default>(value: &Value) -> Result<M, String> {
    let options = DeserializeOptions::new().deny_unknown_fields(false);
    let dynamic =
        DynamicMessage::deserialize_with_options(descriptor::<M>(), value, &options).map_err(|e| e.to_string())?;
    let mut message = from_dynamic(&dynamic);
    clear_identity(&mut message);
    if let Value::Object(ext) = value {
        kept::store(&mut message, ext);
    }
    Ok(message)
}

fn sort_keys(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.sort_keys();
            map.values_mut().for_each(sort_keys);
        }
        Value::Array(items) => items.iter_mut().for_each(sort_keys),
        _ => {}
    }
}
