//! Field-level changes of an overwrite as a JSON Patch (RFC 6902) over the canonical proto3
//! JSON of a resource, with identity fields left out and secret values never shown.

use json_patch::PatchOperation;

use crate::domain::json;
use crate::domain::resource::Resource;
use crate::proto::JsonPatchOperation;

/// What a set secret text reads as in a plan, on either side of a change.
pub const REDACTED: &str = "<redacted>";

/// The resource as a plan compares it: no identity fields, defaults applied, secret texts
/// redacted (a stored one is sealed, a bundle's is plaintext: neither may show).
pub fn canonical<R: Resource>(resource: &R) -> serde_json::Value {
    let mut copy = resource.clone();
    copy.clear_identity();
    copy.apply_defaults();
    copy.for_each_secret(&mut |text| {
        if !text.is_empty() {
            *text = REDACTED.to_owned();
        }
    });
    serde_json::from_str(&json::to_json(&copy)).expect("proto3 JSON is JSON")
}

/// The operations that turn `before` into `after`.
pub fn diff(before: &serde_json::Value, after: &serde_json::Value) -> Vec<JsonPatchOperation> {
    json_patch::diff(before, after).0.into_iter().map(operation).collect()
}

fn operation(op: PatchOperation) -> JsonPatchOperation {
    let (name, path, from, value) = match op {
        PatchOperation::Add(o) => ("add", o.path, None, Some(o.value)),
        PatchOperation::Remove(o) => ("remove", o.path, None, None),
        PatchOperation::Replace(o) => ("replace", o.path, None, Some(o.value)),
        PatchOperation::Move(o) => ("move", o.path, Some(o.from), None),
        PatchOperation::Copy(o) => ("copy", o.path, Some(o.from), None),
        PatchOperation::Test(o) => ("test", o.path, None, Some(o.value)),
    };
    JsonPatchOperation {
        op: name.to_owned(),
        path: path.to_string(),
        from: from.map(|f| f.to_string()).unwrap_or_default(),
        value: value.map(json_to_value),
    }
}

/// JSON as a `google.protobuf.Value` (numbers become doubles, as the well-known type defines).
pub fn json_to_value(json: serde_json::Value) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match json {
        serde_json::Value::Null => Kind::NullValue(0),
        serde_json::Value::Bool(b) => Kind::BoolValue(b),
        serde_json::Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        serde_json::Value::String(s) => Kind::StringValue(s),
        serde_json::Value::Array(items) => {
            Kind::ListValue(prost_types::ListValue { values: items.into_iter().map(json_to_value).collect() })
        }
        serde_json::Value::Object(map) => Kind::StructValue(prost_types::Struct {
            fields: map.into_iter().map(|(k, v)| (k, json_to_value(v))).collect(),
        }),
    };
    prost_types::Value { kind: Some(kind) }
}

/// A `google.protobuf.Value` as JSON (the inverse of [`json_to_value`]; a whole double that
/// fits an integer reads as one).
pub fn value_to_json(value: prost_types::Value) -> serde_json::Value {
    use prost_types::value::Kind;
    match value.kind {
        None | Some(Kind::NullValue(_)) => serde_json::Value::Null,
        Some(Kind::BoolValue(b)) => b.into(),
        Some(Kind::NumberValue(n)) if n.fract() == 0.0 && n.abs() < 9e15 => (n as i64).into(),
        Some(Kind::NumberValue(n)) => serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, Into::into),
        Some(Kind::StringValue(s)) => s.into(),
        Some(Kind::ListValue(list)) => list.values.into_iter().map(value_to_json).collect(),
        Some(Kind::StructValue(s)) => s.fields.into_iter().map(|(k, v)| (k, value_to_json(v))).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::Agent;

    #[test]
    fn an_overwrite_shows_the_changed_field_without_identity() {
        let text = |t: &str| [("en".to_owned(), t.to_owned())].into();
        let before =
            Agent { description: text("old"), name: "tenants/t/agents/a".into(), revision: 4, ..Default::default() };
        let after = Agent { description: text("new"), ..Default::default() };
        let ops = diff(&canonical(&before), &canonical(&after));
        assert_eq!(ops.len(), 1, "{ops:?}");
        assert_eq!((ops[0].op.as_str(), ops[0].path.as_str()), ("replace", "/description/en"));
        assert_eq!(ops[0].value, Some(json_to_value(serde_json::json!("new"))));
    }

    #[test]
    fn a_secret_value_never_shows_only_that_it_is_set() {
        use crate::proto::LlmConfig;
        let keyed = |key: &str| Agent {
            llm: Some(LlmConfig { api_key: key.into(), ..Default::default() }),
            ..Default::default()
        };
        let ops = diff(&canonical(&keyed("")), &canonical(&keyed("sk-live-123")));
        assert_eq!(ops.len(), 1, "{ops:?}");
        assert_eq!((ops[0].op.as_str(), ops[0].path.as_str()), ("replace", "/llm/apiKey"));
        assert_eq!(ops[0].value, Some(json_to_value(serde_json::json!(REDACTED))));
        assert!(diff(&canonical(&keyed("sealed-old")), &canonical(&keyed("sk-new"))).is_empty());
    }
}
