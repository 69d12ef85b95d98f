//! The generated serde writes what the reflection-based writer of earlier releases wrote, and
//! reads its documents back: checked on every field of every stored type.

use prost_reflect::{Cardinality, DynamicMessage, Kind, MessageDescriptor, Value};

use super::*;
use crate::domain::reflect::{descriptor, from_dynamic};
use crate::proto::{Agent, Document, ExportResult, ImportResult, KnowledgeBase, McpServer, Secret, Tool};

/// The writer of earlier releases: through a `DynamicMessage`, every field but unset ones with
/// presence.
fn reflect_json<M: prost::Message + prost::Name>(message: &M) -> String {
    reflect_to_json(message)
}

/// The reader of earlier releases.
fn reflect_read<M: prost::Message + prost::Name + Default>(text: &str) -> M {
    reflect_from_json(text).unwrap()
}

/// A value unlike the default for every field, down to `depth` levels of messages; `variant`
/// picks which member of each oneof is set.
fn filled(desc: &MessageDescriptor, variant: usize, depth: usize) -> DynamicMessage {
    let mut message = DynamicMessage::new(desc.clone());
    if depth == 0 {
        return message;
    }
    for field in desc.fields() {
        if let Some(oneof) = field.containing_oneof().filter(|o| !o.is_synthetic()) {
            let members: Vec<_> = oneof.fields().collect();
            if members[variant % members.len()].number() != field.number() {
                continue;
            }
        }
        let one = |kind: &Kind| -> Option<Value> {
            Some(match kind {
                Kind::Double => Value::F64(1.5),
                Kind::Float => Value::F32(0.1),
                Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(-7),
                Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(9_007_199_254_740_993),
                Kind::Uint32 | Kind::Fixed32 => Value::U32(7),
                Kind::Uint64 | Kind::Fixed64 => Value::U64(18_000_000_000_000_000_000),
                Kind::Bool => Value::Bool(true),
                Kind::String => Value::String(format!("{} \"ü\" \u{1F600}", field.name())),
                Kind::Bytes => Value::Bytes(bytes::Bytes::from_static(b"\x00\xffbytes")),
                Kind::Enum(e) => Value::EnumNumber(e.values().last()?.number()),
                Kind::Message(m) => {
                    let inner = filled(m, variant, depth - 1);
                    if m.full_name() == "google.protobuf.Timestamp" {
                        let mut t = DynamicMessage::new(m.clone());
                        t.set_field_by_name("seconds", Value::I64(1_767_225_600));
                        t.set_field_by_name("nanos", Value::I32(123_456_000));
                        return Some(Value::Message(t));
                    }
                    Value::Message(inner)
                }
            })
        };
        let value = if field.is_map() {
            let Kind::Message(entry) = field.kind() else { unreachable!() };
            let key = match one(&entry.map_entry_key_field().kind()) {
                Some(Value::String(_)) => prost_reflect::MapKey::String("key".into()),
                Some(Value::I32(n)) => prost_reflect::MapKey::I32(n),
                Some(Value::I64(n)) => prost_reflect::MapKey::I64(n),
                Some(Value::Bool(b)) => prost_reflect::MapKey::Bool(b),
                other => panic!("map key {other:?}"),
            };
            let Some(value) = one(&entry.map_entry_value_field().kind()) else { continue };
            Value::Map([(key, value)].into())
        } else if field.cardinality() == Cardinality::Repeated {
            let Some(item) = one(&field.kind()) else { continue };
            Value::List(vec![item.clone(), item])
        } else {
            let Some(value) = one(&field.kind()) else { continue };
            value
        };
        message.set_field(&field, value);
    }
    message
}

/// Paths where two documents differ, with both values.
fn differences(new: &serde_json::Value, old: &serde_json::Value, path: &str) -> Vec<String> {
    use serde_json::Value::{Array, Object};
    match (new, old) {
        (Object(a), Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            keys.into_iter()
                .flat_map(|k| match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => differences(x, y, &format!("{path}.{k}")),
                    (x, y) => vec![format!("{path}.{k}: {x:?} / {y:?}")],
                })
                .collect()
        }
        (Array(a), Array(b)) if a.len() == b.len() => {
            a.iter().zip(b).enumerate().flat_map(|(i, (x, y))| differences(x, y, &format!("{path}[{i}]"))).collect()
        }
        (a, b) if a == b => vec![],
        (a, b) => vec![format!("{path}: {a} / {b}")],
    }
}

/// Writes `M` in both ways, filled every way and empty, and reads each output both ways.
fn same_both_ways<M>()
where
    M: prost::Message + prost::Name + Default + PartialEq + std::fmt::Debug,
    M: serde::Serialize + serde::de::DeserializeOwned,
{
    let desc = descriptor::<M>();
    let mut samples = vec![M::default()];
    for variant in 0..6 {
        samples.push(from_dynamic(&filled(&desc, variant, 4)));
    }
    for sample in samples {
        let new = to_json(&sample);
        let old = reflect_json(&sample);
        let (new_value, old_value): (serde_json::Value, serde_json::Value) =
            (serde_json::from_str(&new).unwrap(), serde_json::from_str(&old).unwrap());
        let differences = differences(&new_value, &old_value, M::full_name().as_str());
        assert!(differences.is_empty(), "the generated writer differs (new, old): {differences:#?}");
        let read: M = serde_json::from_str(&old).expect("the generated reader alone reads it");
        assert_eq!(read, sample, "{} reads a document of earlier releases", M::full_name());
        assert_eq!(reflect_read::<M>(&new), sample, "{}: earlier releases read the new document", M::full_name());
    }
}

#[test]
fn generated_json_matches_the_reflection_writer_on_every_stored_type() {
    same_both_ways::<Agent>();
    same_both_ways::<Tool>();
    same_both_ways::<McpServer>();
    same_both_ways::<KnowledgeBase>();
    same_both_ways::<Document>();
    same_both_ways::<Secret>();
    same_both_ways::<ExportResult>();
    same_both_ways::<ImportResult>();
}

#[test]
fn unknown_fields_are_skipped_and_defaults_written() {
    let agent: Agent = from_json(r#"{"icon":"robot","addedLater":{"x":1},"status":"AGENT_STATUS_ACTIVE"}"#).unwrap();
    assert_eq!(agent.icon, "robot");
    let written: serde_json::Value = serde_json::from_str(&to_json(&Agent::default())).unwrap();
    assert_eq!(written["icon"], "", "defaults are written, so filters can address every field");
    assert_eq!(written["tags"], serde_json::json!([]));
}

#[test]
fn an_enum_number_the_contract_lacks_is_kept_as_before() {
    let agent = Agent { status: 99, icon: "robot".into(), ..Default::default() };
    let text = to_json(&agent);
    assert!(text.contains(r#""status":99"#), "{text}");
    assert_eq!(from_json::<Agent>(&text).unwrap(), agent);
    assert!(from_json::<Agent>("{\"icon\": 3}").is_err(), "a document that is not an agent is refused");
}
