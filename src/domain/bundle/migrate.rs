//! Bundle format versions (see [`format_version`]): older bundles are migrated to the current
//! format one step at a time over the decoded JSON, before anything reads them; a newer minor
//! version is read as is, and what this server does not understand in it is named.

use std::borrow::Cow;

use prost_reflect::MessageDescriptor;
use serde_json::{Map, Value};

use super::extension::KEY;
use super::kept;
use crate::domain::format_version::{self, CURRENT, Compat, FIELD, FormatVersion};
use crate::domain::reflect::descriptor;
use crate::error::Error;
use crate::proto::{Agent, Document, ImportDetail, KnowledgeBase, McpServer, Tool};

/// The unversioned original format: Emporix's own bundles, and agentport's before bundles
/// carried a version.
pub const ORIGINAL: FormatVersion = FormatVersion { major: 0, minor: 0 };

/// One migration: a bundle of version `from` (or any later version below the next step's)
/// becomes version `to`.
struct Step {
    from: FormatVersion,
    to: FormatVersion,
    migrate: fn(&mut Map<String, Value>),
}

/// Every step, oldest first; the last one ends at [`CURRENT`].
const STEPS: [Step; 1] = [Step { from: ORIGINAL, to: CURRENT, migrate: v0_0_to_v1_0 }];

/// A bundle's JSON in the current format.
#[derive(Debug)]
pub struct Upgraded<'a> {
    pub value: Cow<'a, Value>,
    /// The version the bundle declared ([`ORIGINAL`] when it declared none).
    pub version: FormatVersion,
    /// For a newer minor version: the JSON paths of the fields this server does not read.
    pub not_understood: Vec<String>,
}

/// Checks the bundle's version and migrates an older bundle; the value is copied only then.
/// A newer major version is refused with FORMAT_UNSUPPORTED. Data that is not a JSON object
/// passes through for the decoder to report.
pub fn upgrade(root: &Value) -> Result<Upgraded<'_>, Error> {
    let Value::Object(map) = root else {
        return Ok(Upgraded { value: Cow::Borrowed(root), version: CURRENT, not_understood: Vec::new() });
    };
    let version = format_version::declared(map, "data.")?.unwrap_or(ORIGINAL);
    let mut upgraded = Upgraded { value: Cow::Borrowed(root), version, not_understood: Vec::new() };
    match format_version::check(version, "bundle")? {
        Compat::Current => {}
        Compat::NewerMinor(_) => upgraded.not_understood = not_understood(map),
        Compat::Older(mut at) => {
            let mut owned = map.clone();
            while at < CURRENT {
                let step =
                    STEPS.iter().rev().find(|s| s.from <= at).expect("the first step starts at the original format");
                (step.migrate)(&mut owned);
                at = step.to;
            }
            format_version::stamp(&mut owned);
            upgraded.value = Cow::Owned(Value::Object(owned));
        }
    }
    Ok(upgraded)
}

impl Upgraded<'_> {
    /// The warning a newer minor version gets: its version and what was not understood.
    pub fn warnings(&self) -> Vec<ImportDetail> {
        if self.version <= CURRENT {
            return Vec::new();
        }
        vec![format_version::newer_minor_warning(self.version, "bundle", Some(&self.not_understood))]
    }
}

/// 0.0 -> 1.0: bundles no longer carry agent state (an import decides it: imported agents start
/// disabled), so an agent's `enabled` and `agentport.status` go; an `agentport` object left
/// empty goes too.
fn v0_0_to_v1_0(root: &mut Map<String, Value>) {
    let Some(Value::Array(agents)) = root.get_mut("agents") else {
        return;
    };
    for agent in agents.iter_mut().filter_map(Value::as_object_mut) {
        agent.remove("enabled");
        if let Some(Value::Object(ext)) = agent.get_mut(KEY) {
            ext.remove("status");
            if ext.is_empty() {
                agent.remove(KEY);
            }
        }
    }
}

/// Root keys the current format reads or writes.
const ROOT_KEYS: [&str; 5] = ["agents", "tools", "mcpServers", "knowledgeBases", KEY];

/// Paths of what a current reader skips: unknown root keys and keys of the root's and each
/// entity's `agentport` object that are no field of the entity. Emporix keys are left out:
/// Emporix adds keys on its own schedule and its readers ignore what they do not know.
fn not_understood(root: &Map<String, Value>) -> Vec<String> {
    let mut out: Vec<String> = root.keys().filter(|k| !ROOT_KEYS.contains(&k.as_str())).cloned().collect();
    if let Some(Value::Object(ext)) = root.get(KEY) {
        out.extend(ext.keys().filter(|k| *k != FIELD).map(|k| format!("{KEY}.{k}")));
    }
    let sections = [
        ("agents", descriptor::<Agent>()),
        ("tools", descriptor::<Tool>()),
        ("mcpServers", descriptor::<McpServer>()),
        ("knowledgeBases", descriptor::<KnowledgeBase>()),
    ];
    for (section, message) in sections {
        for (i, entity) in items(root, section) {
            let path = format!("{section}[{i}]");
            unknown_in_extension(entity, &message, &path, &mut out);
            if section == "knowledgeBases" {
                for (j, document) in items(entity, "documents") {
                    unknown_in_extension(
                        document,
                        &descriptor::<Document>(),
                        &format!("{path}.documents[{j}]"),
                        &mut out,
                    );
                }
            }
        }
    }
    out
}

fn items<'a>(parent: &'a Map<String, Value>, key: &str) -> impl Iterator<Item = (usize, &'a Map<String, Value>)> {
    let list = parent.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    list.iter().enumerate().filter_map(|(i, item)| Some((i, item.as_object()?)))
}

fn unknown_in_extension(entity: &Map<String, Value>, message: &MessageDescriptor, path: &str, out: &mut Vec<String>) {
    let Some(Value::Object(ext)) = entity.get(KEY) else {
        return;
    };
    out.extend(kept::unknown(ext, message).map(|k| format!("{path}.{KEY}.{k}")));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = format!("{}/tests/fixtures/bundles/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect(&path)
    }

    #[test]
    fn v0_0_fixture_migrates_to_v1_0() {
        let old = fixture("v0.0.json");
        let upgraded = upgrade(&old).unwrap();
        assert_eq!(upgraded.version, ORIGINAL);
        assert_eq!(*upgraded.value, fixture("v1.0.json"));
    }

    #[test]
    fn current_version_is_read_as_is() {
        let current = fixture("v1.0.json");
        let upgraded = upgrade(&current).unwrap();
        assert!(matches!(upgraded.value, Cow::Borrowed(_)));
        assert_eq!(upgraded.version, CURRENT);
    }

    #[test]
    fn newer_minor_names_what_is_not_understood() {
        let newer = fixture("v1.1.json");
        let upgraded = upgrade(&newer).unwrap();
        assert_eq!(upgraded.version, FormatVersion { major: 1, minor: 1 });
        assert_eq!(upgraded.not_understood, ["workflows", "agentport.publisher", "agents[0].agentport.memoryPolicy"]);
    }

    #[test]
    fn unknown_entity_fields_survive_decode_and_encode_verbatim() {
        let newer = fixture("v1.1.json");
        let bundle = super::super::decode(&serde_json::to_vec(&newer).unwrap()).unwrap();
        let written: Value = serde_json::from_slice(&super::super::encode(&bundle)).unwrap();
        assert_eq!(written["agents"][0][KEY], newer["agents"][0][KEY]);
        assert_eq!(written[KEY], serde_json::json!({ FIELD: "1.0" }));
    }

    #[test]
    fn newer_major_is_refused() {
        let mut newer = fixture("v1.0.json");
        newer[KEY][FIELD] = Value::from("2.0");
        let err = upgrade(&newer).unwrap_err();
        assert_eq!(err.code, crate::error::ErrorCode::FormatUnsupported);
        assert!(err.message.contains("2.0") && err.message.contains("1.0"), "{}", err.message);
    }

    #[test]
    fn a_malformed_version_is_named() {
        let mut bad = fixture("v1.0.json");
        bad[KEY][FIELD] = Value::from("one");
        let err = upgrade(&bad).unwrap_err();
        assert_eq!(err.violations[0].field, "data.agentport.formatVersion");
    }
}
