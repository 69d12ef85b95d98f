//! The tenant a request addresses, read from its name fields (`parent`, `name`, `agent`, or the
//! `name` of the resource it carries), so one rule covers every method.

use prost_reflect::{DynamicMessage, ReflectMessage, Value};

use crate::domain::reflect::to_dynamic;

const NAME_FIELDS: &[&str] = &["parent", "name", "agent"];

/// The resource name the request addresses, if any (also shown in audit lines).
pub fn addressed_name<M: prost::Message + prost::Name>(message: &M) -> Option<String> {
    let dynamic = to_dynamic(message);
    string_name(&dynamic).or_else(|| {
        dynamic.fields().find_map(|(_, value)| match value {
            Value::Message(inner) => string_name(inner),
            _ => None,
        })
    })
}

fn string_name(message: &DynamicMessage) -> Option<String> {
    NAME_FIELDS.iter().find_map(|field| {
        message.descriptor().get_field_by_name(field).and_then(|f| match message.get_field(&f).as_ref() {
            Value::String(s) if s.starts_with("tenants/") => Some(s.clone()),
            _ => None,
        })
    })
}

/// `acme` of `tenants/acme/...`.
pub fn tenant_of(name: &str) -> Option<&str> {
    name.strip_prefix("tenants/").map(|rest| rest.split('/').next().unwrap_or_default()).filter(|t| !t.is_empty())
}
