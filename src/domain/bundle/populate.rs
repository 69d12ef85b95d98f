//! Test support: resources with every field set to a distinct non-default value, built by
//! walking the descriptor, so that new proto fields are covered without touching the tests.

use std::collections::HashMap;

use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MapKey, ReflectMessage, Value};

use crate::domain::reflect::{descriptor, from_dynamic};
use crate::domain::secrets::is_secret;

/// Deep enough for every message of the contracts; it only stops accidental recursion.
const MAX_DEPTH: usize = 8;

pub struct Filler {
    next: u32,
    /// Whether secret-marked fields are filled too (as `SECRET-<n>`).
    pub secrets: bool,
    /// Which case of a real oneof is set (index into the oneof's fields, wrapping).
    pub case: usize,
}

impl Filler {
    pub fn new(secrets: bool, case: usize) -> Self {
        Self { next: 0, secrets, case }
    }

    pub fn fill<M: prost::Message + prost::Name + Default>(&mut self) -> M {
        let mut message = DynamicMessage::new(descriptor::<M>());
        self.message(&mut message, 0);
        from_dynamic(&message)
    }

    fn n(&mut self) -> u32 {
        self.next += 1;
        self.next
    }

    fn message(&mut self, message: &mut DynamicMessage, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        if message.descriptor().full_name() == "google.protobuf.Timestamp" {
            let n = self.n();
            message.set_field_by_name("seconds", Value::I64(1_700_000_000 + i64::from(n)));
            message.set_field_by_name("nanos", Value::I32(n as i32));
            return;
        }
        for field in message.descriptor().fields() {
            if let Some(oneof) = field.containing_oneof().filter(|o| !o.is_synthetic()) {
                let cases: Vec<_> = oneof.fields().collect();
                if cases[self.case % cases.len()] != field {
                    continue;
                }
            }
            let secret = is_secret(&field);
            if secret && !self.secrets {
                continue;
            }
            let value = if field.is_map() {
                let Kind::Message(entry) = field.kind() else { unreachable!("a map field is a message of entries") };
                let value_field = entry.map_entry_value_field();
                let mut map = HashMap::new();
                for _ in 0..2 {
                    let key = MapKey::String(format!("k{}", self.n()));
                    map.insert(key, self.single(&value_field, secret, depth));
                }
                Value::Map(map)
            } else if field.is_list() {
                Value::List(vec![self.single(&field, secret, depth), self.single(&field, secret, depth)])
            } else {
                self.single(&field, secret, depth)
            };
            message.set_field(&field, value);
        }
    }

    fn single(&mut self, field: &FieldDescriptor, secret: bool, depth: usize) -> Value {
        let n = self.n();
        match field.kind() {
            Kind::String if secret => Value::String(format!("SECRET-{n}")),
            Kind::String if field.name().ends_with("_json") => Value::String(format!("{{\"k\":{n}}}")),
            Kind::String => Value::String(format!("s{n}")),
            Kind::Bool => Value::Bool(true),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(n as i32),
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(i64::from(n)),
            Kind::Uint32 | Kind::Fixed32 => Value::U32(n),
            Kind::Uint64 | Kind::Fixed64 => Value::U64(u64::from(n)),
            Kind::Double => Value::F64(f64::from(n) + 0.5),
            Kind::Float => Value::F32(n as f32 + 0.5),
            Kind::Bytes => Value::Bytes(n.to_be_bytes().to_vec().into()),
            Kind::Enum(e) => {
                let values: Vec<_> = e.values().filter(|v| v.number() != 0).collect();
                Value::EnumNumber(values[n as usize % values.len()].number())
            }
            Kind::Message(m) => {
                let mut message = DynamicMessage::new(m);
                self.message(&mut message, depth + 1);
                Value::Message(message)
            }
        }
    }
}
