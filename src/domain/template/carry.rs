//! The `"agentport"` key on an xpander object: the patch (see [`patch`]) that turns what the
//! object's xpander keys read back as into the canonical resource, plus any ids the xpander form
//! has no key for. The export schema allows additional properties, and xpander ignores them.

use serde_json::{Map, Value};

use super::dto::Carried;
use super::patch;
use crate::domain::bundle::dto::has_keys;
use crate::domain::bundle::extension::{self, KEY};
use crate::domain::bundle::kept;
use crate::domain::wire::{Check, Field};

/// What `read` gives for a written DTO (a copy of it), which must read back cleanly.
pub fn read_back<D: Clone, M>(written: &D, read: impl FnOnce(&mut Check, D) -> M) -> M {
    let mut c = Check::default();
    let derived = read(&mut c, written.clone());
    debug_assert!(c.errs.is_empty(), "written output reads back cleanly: {:?}", c.errs);
    derived
}

/// The key for an object written from `actual` whose xpander keys read back as `derived`:
/// `extra` (ids, carried resources), then the patch from `derived` to `actual`. Absent when
/// both are empty. Fields kept from a newer format (see [`kept`]) go back into the patch's
/// `set`, where they came from.
pub fn attach<M>(actual: &M, derived: M, mut extra: Carried) -> Field<Carried>
where
    M: prost::Message + prost::Name + Default + Clone,
{
    let (actual, kept) = kept::take(actual);
    let patch = patch::diff(&actual, &derived);
    let (set, clear) = patch::write(&patch);
    extra.set = set;
    extra.clear = clear;
    if !kept.is_empty() {
        let mut set = match std::mem::take(&mut extra.set) {
            Field::Given(Value::Object(set)) => set,
            _ => Map::new(),
        };
        set.extend(kept);
        set.sort_keys();
        extra.set = Field::Given(Value::Object(set));
    }
    if has_keys(&extra) { Field::Given(extra) } else { Field::Absent }
}

/// Applies the patch under the key to what the object's xpander keys gave. Keys of the
/// patch's `set` that name no field (a newer minor format's) are kept verbatim. Gives the rest
/// of the key (ids, carried resources) to the caller; a key that is not an object is reported.
pub fn read<M>(c: &mut Check, mut value: M, field: Field<Carried>) -> (M, Carried)
where
    M: prost::Message + prost::Name + Default,
{
    let Some(mut ext) = c.take(KEY, KEY, field) else {
        return (value, Carried::default());
    };
    let set = std::mem::take(&mut ext.set);
    let clear = std::mem::take(&mut ext.clear);
    c.within(KEY, KEY, |c| {
        let unknown = match &set {
            Field::Given(Value::Object(set)) => Some(set.clone()),
            _ => None,
        };
        patch::apply(&mut value, &patch::read::<M>(c, set, clear));
        if let Some(set) = unknown {
            kept::store(&mut value, &set);
        }
    });
    (value, ext)
}

/// A whole resource as proto3 JSON (`{}` when it is empty); read with [`patch::message`].
pub fn message_json<M: prost::Message + prost::Name>(message: &M) -> Value {
    extension::write(message).unwrap_or_else(|| Value::Object(Map::new()))
}
