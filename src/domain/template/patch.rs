//! What a canonical message holds beyond what its xpander form gives back. Encoding writes the
//! xpander keys, reads them back (the "derived" message) and records the difference, so that
//! `apply(derived, diff(actual, derived)) == actual` whatever the mapping cannot express.
//!
//! JSON form: `{"set": <proto3 JSON of the fields to set>, "clear": [<dotted field paths>]}`,
//! both keys omitted when empty. Lists and maps are compared whole; singular messages present on
//! both sides field by field.

use prost_reflect::{DeserializeOptions, DynamicMessage, MessageDescriptor, ReflectMessage, Value};

use super::dto::Strings;
use crate::domain::bundle::extension;
use crate::domain::bundle::fields::{opt, some};
use crate::domain::reflect::{descriptor, from_dynamic, to_dynamic};
use crate::domain::wire::{Check, Field};
use crate::error::FieldViolation;

#[derive(Debug, Default)]
pub struct Patch<M> {
    pub set: M,
    pub clear: Vec<String>,
}

pub fn diff<M: prost::Message + prost::Name + Default>(actual: &M, derived: &M) -> Patch<M> {
    let (actual, derived) = (to_dynamic(actual), to_dynamic(derived));
    let mut set = DynamicMessage::new(descriptor::<M>());
    let mut clear = Vec::new();
    diff_dynamic(&actual, &derived, "", &mut set, &mut clear);
    Patch { set: from_dynamic(&set), clear }
}

pub fn apply<M: prost::Message + prost::Name + Default>(derived: &mut M, patch: &Patch<M>) {
    let mut target = to_dynamic(derived);
    for path in &patch.clear {
        clear_path(&mut target, path);
    }
    apply_dynamic(&mut target, &to_dynamic(&patch.set));
    *derived = from_dynamic(&target);
}

/// `set` and `clear` as written (absent for an empty patch).
pub fn write<M: prost::Message + prost::Name>(patch: &Patch<M>) -> (Field<serde_json::Value>, Strings) {
    (opt(extension::write(&patch.set)), some(&patch.clear))
}

/// Reads `set` and `clear`; every path must name a field.
pub fn read<M: prost::Message + prost::Name + Default>(
    c: &mut Check,
    set: Field<serde_json::Value>,
    clear: Strings,
) -> Patch<M> {
    let mut patch = Patch::default();
    if let Some(value) = c.take("set", "set", set) {
        patch.set = message(&value, c.path("set"), &mut c.errs);
    }
    if let Some(items) = c.take("clear", "clear", clear) {
        for (i, item) in items.into_iter().enumerate() {
            match item {
                Field::Given(path) if names_field(descriptor::<M>(), &path) => patch.clear.push(path),
                _ => c
                    .errs
                    .push(FieldViolation::new(c.path(&format!("clear[{i}]")), "must be the dotted path of a field")),
            }
        }
    }
    patch
}

/// A message from its proto3 JSON; unknown keys are ignored, anything else wrong is reported.
pub fn message<M>(value: &serde_json::Value, path: String, errs: &mut Vec<FieldViolation>) -> M
where
    M: prost::Message + prost::Name + Default,
{
    let options = DeserializeOptions::new().deny_unknown_fields(false);
    match DynamicMessage::deserialize_with_options(descriptor::<M>(), value, &options) {
        Ok(dynamic) => from_dynamic(&dynamic),
        Err(e) => {
            errs.push(FieldViolation::new(path, e.to_string()));
            M::default()
        }
    }
}

fn diff_dynamic(
    actual: &DynamicMessage,
    derived: &DynamicMessage,
    prefix: &str,
    set: &mut DynamicMessage,
    clear: &mut Vec<String>,
) {
    for field in actual.descriptor().fields() {
        let (has_actual, has_derived) = (actual.has_field(&field), derived.has_field(&field));
        let path = if prefix.is_empty() { field.name().to_owned() } else { format!("{prefix}.{}", field.name()) };
        if !has_actual {
            if has_derived {
                clear.push(path);
            }
            continue;
        }
        let value = actual.get_field(&field);
        if has_derived {
            let other = derived.get_field(&field);
            if value == other {
                continue;
            }
            // Only singular message fields hold a `Value::Message`; lists and maps do not.
            if let (Value::Message(a), Value::Message(d)) = (value.as_ref(), other.as_ref()) {
                let mut sub = DynamicMessage::new(a.descriptor());
                diff_dynamic(a, d, &path, &mut sub, clear);
                if sub.fields().next().is_some() {
                    set.set_field(&field, Value::Message(sub));
                }
                continue;
            }
        }
        set.set_field(&field, value.into_owned());
    }
}

fn apply_dynamic(target: &mut DynamicMessage, set: &DynamicMessage) {
    for (field, value) in set.fields() {
        if let Value::Message(sub) = value
            && target.has_field(&field)
            && let Value::Message(current) = target.get_field_mut(&field)
        {
            apply_dynamic(current, sub);
            continue;
        }
        target.set_field(&field, value.clone());
    }
}

fn clear_path(target: &mut DynamicMessage, path: &str) {
    let (head, rest) = match path.split_once('.') {
        Some((head, rest)) => (head, Some(rest)),
        None => (path, None),
    };
    let Some(field) = target.descriptor().get_field_by_name(head) else {
        return;
    };
    match rest {
        None => target.clear_field(&field),
        Some(rest) if target.has_field(&field) => {
            if let Value::Message(sub) = target.get_field_mut(&field) {
                clear_path(sub, rest);
            }
        }
        Some(_) => {}
    }
}

fn names_field(message: MessageDescriptor, path: &str) -> bool {
    let mut message = message;
    let mut segments = path.split('.').peekable();
    while let Some(name) = segments.next() {
        let Some(field) = message.get_field_by_name(name) else {
            return false;
        };
        if segments.peek().is_none() {
            return true;
        }
        match field.kind() {
            prost_reflect::Kind::Message(m) if !field.is_list() && !field.is_map() => message = m,
            _ => return false,
        }
    }
    false
}
