//! Nested `AgentDefinition`s -> tree. Every definition is read, however often it is nested; the
//! same id must always define the same resource. Problems are collected, not thrown.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::fields::{required_objects, required_string};
use super::knowledge::{self, Minted};
use super::tools::{self, Form};
use super::{MAX_DEPTH, MAX_NODES, TemplateTree, agent, carry, patch};
use crate::domain::bundle::extension::clear_identity;
use crate::domain::bundle::read::{Obj, Violations, kind};
use crate::error::FieldViolation;
use crate::proto::{McpServer, Tool};

pub fn decode(value: &Value) -> Result<TemplateTree, Vec<FieldViolation>> {
    let Value::Object(map) = value else {
        return Err(vec![FieldViolation::new("", format!("must be an object, not {}", kind(value)))]);
    };
    let root = carry::object(map);
    let mut reader = Reader::default();
    reader.tree.root = reader.node(&root, 0);
    if let Some(detached) = carry::ext(&root).and_then(|ext| ext.object("detached", &mut reader.errs)) {
        reader.detached(&detached);
    }
    if reader.errs.is_empty() { Ok(reader.tree) } else { Err(reader.errs) }
}

#[derive(Default)]
struct Reader {
    tree: TemplateTree,
    errs: Violations,
    /// Definitions read so far, against [`MAX_NODES`].
    nodes: usize,
    /// Where each resource was first defined, by kind and id.
    first: HashMap<(&'static str, String), String>,
    minted: Minted,
}

impl Reader {
    /// Reads one definition and what it nests; gives its id.
    fn node(&mut self, object: &Obj, depth: usize) -> String {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            if self.nodes == MAX_NODES + 1 {
                self.errs.push(FieldViolation::new(
                    &object.path,
                    format!("is past the limit of {MAX_NODES} agent definitions"),
                ));
            }
            return String::new();
        }
        let id = required_string(object, "id", &mut self.errs);
        if id.is_empty() && object.get("id").is_some_and(Value::is_string) {
            let violation = FieldViolation::new(object.path("id"), "must not be empty");
            self.errs.push(violation);
        }

        let mut kbs = Vec::new();
        let items = object.objects("knowledge_bases", &mut self.errs);
        for item in items.unwrap_or_default() {
            let (kb_id, copy) = knowledge::read(&item, &mut self.minted, &mut self.errs);
            kbs.push((kb_id.clone(), copy.knowledge_base.clone()));
            self.knowledge_base(kb_id, copy, &item.path);
        }
        let errs = &mut self.errs;
        for (key, form) in [("custom_functions", Form::CustomFunction), ("connectors", Form::Connector)] {
            for item in required_objects(object, key, errs) {
                let tool_id = required_string(&item, "id", errs);
                let tool = carry::read(&item, errs, |o, e| tools::read(form, o, e));
                add(&mut self.tree.tools, &mut self.first, ("tool", tool_id), tool, &item.path, errs);
            }
        }
        let subs = object.objects("sub_agents", errs).unwrap_or_default();
        if depth >= MAX_DEPTH && !subs.is_empty() {
            errs.push(FieldViolation::new(object.path("sub_agents"), format!("nests deeper than {MAX_DEPTH} levels")));
        } else {
            for sub in &subs {
                self.node(sub, depth + 1);
            }
        }

        let errs = &mut self.errs;
        let read = |o: &Obj, e: &mut Violations| {
            let mut derived = agent::read(o, e);
            agent::link(&mut derived, o, &kbs);
            derived
        };
        let agent = bare(carry::read(object, errs, read));
        if let Some(ext) = carry::ext(object) {
            self.resources(&ext);
        }
        let errs = &mut self.errs;
        add(&mut self.tree.agents, &mut self.first, ("agent", id.clone()), agent, &object.path, errs);
        id
    }

    /// `tools` and `mcpServers` of a definition's extension: resources with no xpander form.
    fn resources(&mut self, ext: &Obj) {
        let errs = &mut self.errs;
        if let Some(tools) = ext.object("tools", errs) {
            for (id, value) in tools.map {
                let path = tools.path(id);
                let tool: Tool = bare(patch::message(value, path.clone(), errs));
                let key = ("tool", id.clone());
                add(&mut self.tree.tools, &mut self.first, key, tool, &path, errs);
            }
        }
        if let Some(servers) = ext.object("mcpServers", errs) {
            for (id, value) in servers.map {
                let path = servers.path(id);
                let server: McpServer = bare(patch::message(value, path.clone(), errs));
                let key = ("MCP server", id.clone());
                add(&mut self.tree.mcp_servers, &mut self.first, key, server, &path, errs);
            }
        }
    }

    /// The root's `agentport.detached`: what no nested definition reaches.
    fn detached(&mut self, detached: &Obj) {
        for item in detached.objects("agents", &mut self.errs).unwrap_or_default() {
            self.node(&item, 1);
        }
        self.resources(detached);
        for item in detached.objects("knowledgeBases", &mut self.errs).unwrap_or_default() {
            let (id, copy) = knowledge::read(&item, &mut self.minted, &mut self.errs);
            self.knowledge_base(id, copy, &item.path);
        }
    }

    fn knowledge_base(&mut self, id: String, mut copy: super::KnowledgeBaseCopy, path: &str) {
        clear_identity(&mut copy.knowledge_base);
        for entry in &mut copy.documents {
            clear_identity(&mut entry.value);
        }
        let key = ("knowledge base", id);
        add(&mut self.tree.knowledge_bases, &mut self.first, key, copy, path, &mut self.errs);
    }
}

/// Adds a resource, or checks that it is the one defined before under that id.
fn add<T: PartialEq>(
    map: &mut BTreeMap<String, T>,
    first: &mut HashMap<(&'static str, String), String>,
    (what, id): (&'static str, String),
    value: T,
    path: &str,
    errs: &mut Violations,
) {
    if id.is_empty() {
        return;
    }
    match map.get(&id) {
        None => {
            first.insert((what, id.clone()), path.to_owned());
            map.insert(id, value);
        }
        Some(existing) if *existing == value => {}
        Some(_) => {
            let at = first.get(&(what, id.clone())).map_or("", String::as_str);
            let at = if at.is_empty() { "the root" } else { at };
            errs.push(FieldViolation::new(path, format!("defines {what} {id:?} differently than {at}")));
        }
    }
}

fn bare<M: prost::Message + prost::Name + Default>(mut message: M) -> M {
    clear_identity(&mut message);
    message
}
