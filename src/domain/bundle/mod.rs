//! Agent bundles: canonical resources <-> the JSON inside an Emporix export's base64 `data`.
//!
//! The bytes are what Emporix itself exports (`{agents, tools, mcpServers}`, Jackson's pretty
//! printer), so Emporix can import them and we can import Emporix's. Canonical fields Emporix
//! has no key for ride along under `"agentport"` (see [`extension`]), and knowledge bases under
//! `"knowledgeBases"`, so `decode(encode(b)) == b` for a bundle sorted by id without secrets.

pub(crate) mod data;
pub(crate) mod dto;
pub(crate) mod emporix_agent;
pub(crate) mod emporix_mcp;
pub(crate) mod emporix_tool;
pub(crate) mod extension;
pub(crate) mod fields;
pub(crate) mod jackson;
pub(crate) mod kept;
mod knowledge;
pub mod migrate;
pub(crate) mod read;
pub(crate) mod rules;
pub(crate) mod verbatim;

#[cfg(test)]
pub(crate) mod populate;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use serde_json::Value;

use self::data::{BundleData, Keyed};
use self::dto::Items;
use self::fields::{items, some_items};
use crate::domain::format_version;
use crate::domain::names::check_id;
use crate::domain::secrets::{Scrub, find_secrets, scrub};
use crate::domain::wire::{Check, Expect, Field};
use crate::error::{FieldViolation, ViolationKind};
use crate::proto::{Agent, Document, ImportDetail, KnowledgeBase, McpServer, Tool};

/// Most entities one section (`agents`, `tools`, ..., a knowledge base's `documents`) may hold.
pub const MAX_SECTION_ENTITIES: usize = 1000;

/// One bundled resource: its id within the tenant, and the resource with its identity fields
/// (`name`, `revision`, `etag`, times) cleared.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Entry<T> {
    pub id: String,
    pub value: T,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct BundledKnowledgeBase {
    pub id: String,
    pub knowledge_base: KnowledgeBase,
    pub documents: Vec<Entry<Document>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bundle {
    pub agents: Vec<Entry<Agent>>,
    pub tools: Vec<Entry<Tool>>,
    pub mcp_servers: Vec<Entry<McpServer>>,
    pub knowledge_bases: Vec<BundledKnowledgeBase>,
    /// Warnings about the bundle as a whole found while reading it (a newer minor format
    /// version, see [`migrate`]); never written.
    pub warnings: Vec<ImportDetail>,
}

impl Bundle {
    /// How many entities of each kind the bundle holds.
    pub fn counts(&self) -> [(&'static str, usize); 5] {
        [
            ("agent", self.agents.len()),
            ("tool", self.tools.len()),
            ("mcp_server", self.mcp_servers.len()),
            ("knowledge_base", self.knowledge_bases.len()),
            ("document", self.knowledge_bases.iter().map(|kb| kb.documents.len()).sum()),
        ]
    }
}

/// The bundle's bytes: deterministic (entities sorted by id, identity fields left out) and
/// free of secret values whatever the input holds. Ids are expected unique per section.
pub fn encode(bundle: &Bundle) -> Vec<u8> {
    let mut knowledge_bases: Vec<_> = bundle.knowledge_bases.iter().collect();
    knowledge_bases.sort_by(|a, b| a.id.cmp(&b.id));
    let data = BundleData {
        agents: items(section(&bundle.agents, emporix_agent::write)),
        tools: some_items(section(&bundle.tools, emporix_tool::write)),
        mcp_servers: some_items(section(&bundle.mcp_servers, emporix_mcp::write)),
        knowledge_bases: some_items(knowledge_bases.into_iter().map(knowledge::write)),
    };
    let mut root = serde_json::to_value(data).expect("bundle data always serializes");
    format_version::stamp(root.as_object_mut().expect("the root is an object"));
    jackson::to_bytes(&root)
}

/// Reads a bundle, ours or Emporix's. Every problem is reported at once, with its JSON path.
pub fn decode(bytes: &[u8]) -> Result<Bundle, Vec<FieldViolation>> {
    let (bundle, errs) = decode_partial(bytes)?;
    if errs.is_empty() { Ok(bundle) } else { Err(errs) }
}

/// Reads what can be read: the bundle (with defaults where a value was wrong) and the problems
/// found in it, so that callers can add their own checks and report everything at once. Fails
/// only when the data is not a JSON object at all.
pub fn decode_partial(bytes: &[u8]) -> Result<(Bundle, Vec<FieldViolation>), Vec<FieldViolation>> {
    let fail = |why: String| vec![FieldViolation::new("data", why)];
    let text = std::str::from_utf8(bytes).map_err(|e| fail(format!("is not UTF-8: {e}")))?;
    let root: Value = serde_json::from_str(text).map_err(|e| fail(format!("is not valid JSON: {e}")))?;
    decode_value(&root)
}

/// [`decode_partial`] of a JSON value already read (by a streaming reader).
pub fn decode_value(root: &Value) -> Result<(Bundle, Vec<FieldViolation>), Vec<FieldViolation>> {
    let Value::Object(map) = root else {
        return Err(vec![FieldViolation::of_kind(ViolationKind::NotObject, "data", "must be a JSON object")]);
    };
    // Every bundle, Emporix's or ours, has `agents`; JSON without it is something else (a
    // template, a stray file) and importing it must not "succeed" with nothing.
    if !map.contains_key("agents") {
        let keys: Vec<&str> = map.keys().take(5).map(String::as_str).collect();
        return Err(vec![FieldViolation::new(
            "data",
            format!("is not an agent bundle: it has no `agents` array (keys: {keys:?})"),
        )]);
    }
    let Field::Given(data) = Field::<BundleData>::read(root.clone()) else {
        unreachable!("an object always reads as bundle data")
    };
    let mut c = Check::default();
    let bundle = Bundle {
        agents: entries(&mut c, "agents", data.agents, emporix_agent::read),
        tools: entries(&mut c, "tools", data.tools, emporix_tool::read),
        mcp_servers: entries(&mut c, "mcpServers", data.mcp_servers, emporix_mcp::read),
        knowledge_bases: entries(&mut c, "knowledgeBases", data.knowledge_bases, knowledge::read)
            .into_iter()
            .map(|entry| knowledge::bundled(entry.id, entry.value))
            .collect(),
        warnings: Vec::new(),
    };
    Ok((bundle, c.errs))
}

/// Entries sorted by id.
fn sorted<T>(entries: &[Entry<T>]) -> Vec<&Entry<T>> {
    let mut sorted: Vec<_> = entries.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    sorted
}

/// Writes one section sorted by id, each value cleaned first.
fn section<M: prost::Message + prost::Name + Default + Clone + Scrub, D>(
    entries: &[Entry<M>],
    write: fn(&str, &M) -> D,
) -> Vec<D> {
    sorted(entries).into_iter().map(|entry| write(&entry.id, &clean(&entry.value))).collect()
}

/// The resource as it may leave the service: identity fields cleared and every secret-marked
/// field scrubbed. Works on a copy, so the caller's value cannot be what is written.
pub(crate) fn clean<M: prost::Message + prost::Name + Default + Clone + Scrub>(value: &M) -> M {
    let mut value = value.clone();
    extension::clear_identity(&mut value);
    scrub(&mut value);
    let left: Vec<String> = find_secrets(&value).into_iter().map(|(p, _)| p).collect();
    // Not a debug assertion: a bundle holding a credential must never be produced.
    assert!(left.is_empty(), "secret fields survived scrubbing: {left:?}");
    value
}

/// Reads the array under `key`: at most [`MAX_SECTION_ENTITIES`] objects, each with a unique,
/// non-empty string `id`, each read into its resource by `read`.
fn entries<D: Keyed + Expect, T>(
    c: &mut Check,
    key: &str,
    field: Items<D>,
    read: impl Fn(D, &mut Check) -> T,
) -> Vec<Entry<T>> {
    let Some(items) = c.take(key, key, field) else {
        return Vec::new();
    };
    if items.len() > MAX_SECTION_ENTITIES {
        let why = format!("must hold at most {MAX_SECTION_ENTITIES} entries, holds {}", items.len());
        c.push(ViolationKind::Invalid, key, why);
        return Vec::new();
    }
    let mut first_seen: HashMap<String, String> = HashMap::new();
    c.items(key, key, items, |c, mut body| {
        let id = match std::mem::take(body.id_mut()) {
            Field::Given(id) if !id.is_empty() => id,
            Field::Wrong => {
                c.push(ViolationKind::NotString, "id", String::expected());
                String::new()
            }
            _ => {
                c.errs.push(FieldViolation::missing(c.path("id")));
                String::new()
            }
        };
        // The same id rules as a create: an id no API could address is never stored.
        if let (false, Err(violation)) = (id.is_empty(), check_id(&id, &c.path("id"))) {
            c.errs.push(violation);
        } else if !id.is_empty() {
            if let Some(first) = first_seen.get(&id) {
                c.push(ViolationKind::Invalid, "id", format!("duplicates the id {id:?} of {first}"));
            } else {
                first_seen.insert(id.clone(), c.path(""));
            }
        }
        Entry { id, value: read(body, c) }
    })
}
