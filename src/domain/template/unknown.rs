//! What a template of a newer minor format version holds that this server does not read: keys
//! of an `agentport` object it does not know, and keys of a patch's `set` (or of a carried
//! tool or MCP server) that name no field. xpander's own keys are left out, as for bundles:
//! xpander adds keys on its own schedule and its readers ignore what they do not know.

use prost_reflect::MessageDescriptor;
use serde_json::{Map, Value};

use crate::domain::bundle::extension::KEY;
use crate::domain::bundle::kept;
use crate::domain::format_version::FIELD;
use crate::domain::reflect::descriptor;
use crate::proto::{Agent, Document, KnowledgeBase, McpServer, Tool};

/// The keys each kind of object's `agentport` object may hold.
const AGENT_KEYS: [&str; 4] = ["set", "clear", "tools", "mcpServers"];
const ROOT_KEYS: [&str; 2] = ["detached", FIELD];
const TOOL_KEYS: [&str; 2] = ["set", "clear"];
const KNOWLEDGE_KEYS: [&str; 3] = ["id", "set", "clear"];

/// The JSON paths (relative to the definition) of everything this server does not read.
pub fn not_understood(definition: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Value::Object(root) = definition {
        agent(root, "", true, &mut out);
        if let Some(Value::Object(detached)) = root.get(KEY).and_then(|e| e.get("detached")) {
            let path = format!("{KEY}.detached");
            for (i, item) in items(detached, "agents") {
                agent(item, &format!("{path}.agents[{i}]."), false, &mut out);
            }
            carried(detached, &path, &mut out);
            for (i, item) in items(detached, "knowledgeBases") {
                knowledge_base(item, &format!("{path}.knowledgeBases[{i}]."), &mut out);
            }
        }
    }
    out
}

fn agent(object: &Map<String, Value>, path: &str, root: bool, out: &mut Vec<String>) {
    let known: Vec<&str> = AGENT_KEYS.iter().chain(if root { &ROOT_KEYS[..] } else { &[] }).copied().collect();
    extension(object, path, &known, &descriptor::<Agent>(), out);
    if let Some(Value::Object(ext)) = object.get(KEY) {
        carried(ext, &format!("{path}{KEY}"), out);
    }
    for key in ["custom_functions", "connectors"] {
        for (i, item) in items(object, key) {
            extension(item, &format!("{path}{key}[{i}]."), &TOOL_KEYS, &descriptor::<Tool>(), out);
        }
    }
    for (i, item) in items(object, "knowledge_bases") {
        knowledge_base(item, &format!("{path}knowledge_bases[{i}]."), out);
    }
    for (i, item) in items(object, "sub_agents") {
        agent(item, &format!("{path}sub_agents[{i}]."), false, out);
    }
}

fn knowledge_base(object: &Map<String, Value>, path: &str, out: &mut Vec<String>) {
    extension(object, path, &KNOWLEDGE_KEYS, &descriptor::<KnowledgeBase>(), out);
    for (i, item) in items(object, "documents") {
        extension(item, &format!("{path}documents[{i}]."), &KNOWLEDGE_KEYS, &descriptor::<Document>(), out);
    }
}

/// The tools and MCP servers an `agentport` object carries whole, by id.
fn carried(ext: &Map<String, Value>, path: &str, out: &mut Vec<String>) {
    for (key, message) in [("tools", descriptor::<Tool>()), ("mcpServers", descriptor::<McpServer>())] {
        let Some(Value::Object(by_id)) = ext.get(key) else { continue };
        for (id, value) in by_id {
            if let Value::Object(fields) = value {
                out.extend(kept::unknown(fields, &message).map(|k| format!("{path}.{key}.{id}.{k}")));
            }
        }
    }
}

/// Unknown keys of `object`'s `agentport` object and of its patch's `set`.
fn extension(
    object: &Map<String, Value>,
    path: &str,
    known: &[&str],
    message: &MessageDescriptor,
    out: &mut Vec<String>,
) {
    let Some(Value::Object(ext)) = object.get(KEY) else { return };
    out.extend(ext.keys().filter(|k| !known.contains(&k.as_str())).map(|k| format!("{path}{KEY}.{k}")));
    if let Some(Value::Object(set)) = ext.get("set") {
        out.extend(kept::unknown(set, message).map(|k| format!("{path}{KEY}.set.{k}")));
    }
}

fn items<'a>(parent: &'a Map<String, Value>, key: &str) -> impl Iterator<Item = (usize, &'a Map<String, Value>)> {
    let list = parent.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    list.iter().enumerate().filter_map(|(i, item)| Some((i, item.as_object()?)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_unknown_extension_keys_and_set_fields_anywhere_in_the_tree() {
        let definition = json!({
            "id": "root",
            "memory_policy": "ignored: xpander's own key",
            "agentport": {"formatVersion": "1.3", "set": {"tags": ["a"], "memoryPolicy": {"days": 3}}, "routing": 1},
            "connectors": [{"id": "crm", "agentport": {"set": {"retries": 2}}}],
            "sub_agents": [{
                "id": "child",
                "agentport": {"set": {"maxRecursionLimit": 3}, "mcpServers": {"m": {"url": "u", "region": "eu"}}},
                "knowledge_bases": [{"agentport": {"id": "kb", "shard": 2}, "documents": [{"agentport": {"set": {"lang": "de"}}}]}]
            }]
        });
        assert_eq!(
            not_understood(&definition),
            [
                "agentport.routing",
                "agentport.set.memoryPolicy",
                "connectors[0].agentport.set.retries",
                "sub_agents[0].agentport.mcpServers.m.region",
                "sub_agents[0].knowledge_bases[0].agentport.shard",
                "sub_agents[0].knowledge_bases[0].documents[0].agentport.set.lang",
            ]
        );
    }
}
