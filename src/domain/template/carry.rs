//! The `"agentport"` key on an xpander object: the patch (see [`patch`]) that turns what the
//! object's xpander keys read back as into the canonical resource, plus any ids the xpander form
//! has no key for. The export schema allows additional properties, and xpander ignores them.

use serde_json::{Map, Value};

use super::patch;
use crate::domain::bundle::extension::{self, KEY};
use crate::domain::bundle::kept;
use crate::domain::bundle::read::{Obj, Violations};
use crate::domain::bundle::write::Out;

/// Adds the key to `value` (an object written from `actual`): `extra` first, then the patch
/// from what `read` gives back for `value` to `actual`. Nothing is added when both are empty.
/// Fields kept from a newer format (see [`kept`]) go back into the patch's `set`, where they
/// came from.
pub fn attach<M>(value: &mut Value, actual: &M, read: impl FnOnce(&Obj, &mut Violations) -> M, mut extra: Out)
where
    M: prost::Message + prost::Name + Default + Clone,
{
    let (actual, kept) = kept::take(actual);
    let map = value.as_object_mut().expect("xpander objects are objects");
    let mut errs = Violations::new();
    let derived = read(&object(map), &mut errs);
    debug_assert!(errs.is_empty(), "written output reads back cleanly: {errs:?}");
    patch::write(&patch::diff(&actual, &derived), &mut extra);
    insert(map, extra);
    if !kept.is_empty() {
        let ext = map.entry(KEY).or_insert_with(|| Value::Object(Map::new()));
        let set = ext.as_object_mut().expect("the key holds an object").entry("set");
        if let Value::Object(set) = set.or_insert_with(|| Value::Object(Map::new())) {
            set.extend(kept);
            set.sort_keys();
        }
    }
}

/// Reads an object written by [`attach`]: its xpander keys, then the patch under the key. Keys
/// of the patch's `set` that name no field (a newer minor format's) are kept verbatim.
pub fn read<M>(object: &Obj, errs: &mut Violations, read: impl FnOnce(&Obj, &mut Violations) -> M) -> M
where
    M: prost::Message + prost::Name + Default,
{
    let mut value = read(object, errs);
    if let Some(ext) = object.object(KEY, errs) {
        patch::apply(&mut value, &patch::read(&ext, errs));
        if let Some(Value::Object(set)) = ext.get("set") {
            kept::store(&mut value, set);
        }
    }
    value
}

/// The key's object, read silently ([`read`] reports a key that is not an object).
pub fn ext<'a>(object: &Obj<'a>) -> Option<Obj<'a>> {
    let map = object.get(KEY)?.as_object()?;
    Some(Obj { map, path: object.path(KEY) })
}

/// Puts the non-empty `extra` under the key, merging with what is already there.
pub fn insert(map: &mut Map<String, Value>, extra: Out) {
    let Value::Object(extra) = Value::from(extra) else { unreachable!("Out builds objects") };
    if extra.is_empty() {
        return;
    }
    match map.get_mut(KEY) {
        Some(Value::Object(existing)) => existing.extend(extra),
        _ => {
            map.insert(KEY.to_owned(), Value::Object(extra));
        }
    }
}

/// A whole resource as proto3 JSON (`{}` when it is empty); read with [`patch::message`].
pub fn message_json<M: prost::Message + prost::Name>(message: &M) -> Value {
    extension::write(message).unwrap_or_else(|| Value::Object(Map::new()))
}

/// An object of the document as a reader.
pub fn object(map: &Map<String, Value>) -> Obj<'_> {
    Obj { map, path: String::new() }
}
