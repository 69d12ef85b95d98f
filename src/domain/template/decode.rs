//! Nested `AgentDefinition`s -> tree. Every definition is read, however often it is nested; the
//! same id must always define the same resource. Problems are collected, not thrown.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::dto::{AgentDefinition, ById, Detached, definitions};
use super::fields::required_items;
use super::knowledge::{self, Minted};
use super::tools;
use super::{MAX_DEPTH, MAX_NODES, TemplateTree, agent, carry, patch};
use crate::domain::bundle::extension::{KEY, clear_identity};
use crate::domain::wire::{Check, Field};
use crate::error::{FieldViolation, ViolationKind};
use crate::proto::{McpServer, Tool};

pub fn decode(value: &Value) -> Result<TemplateTree, Vec<FieldViolation>> {
    let Field::Given(root) = Field::<AgentDefinition>::read(value.clone()) else {
        return Err(vec![FieldViolation::of_kind(ViolationKind::NotObject, "", "must be an object")]);
    };
    let mut reader = Reader::default();
    let mut c = Check::default();
    let (root, detached) = reader.node(&mut c, root, 0);
    reader.tree.root = root;
    if let Some(detached) = detached {
        c.within(KEY, KEY, |c| c.within("detached", "detached", |c| reader.detached(c, detached)));
    }
    if c.errs.is_empty() { Ok(reader.tree) } else { Err(c.errs) }
}

#[derive(Default)]
struct Reader {
    tree: TemplateTree,
    /// Definitions read so far, against [`MAX_NODES`].
    nodes: usize,
    /// Where each resource was first defined, by kind and id.
    first: HashMap<(&'static str, String), String>,
    minted: Minted,
}

impl Reader {
    /// Reads one definition (at the path `c` is at) and what it nests; gives its id, and its
    /// `agentport.detached` for the root to read.
    fn node(&mut self, c: &mut Check, mut d: AgentDefinition, depth: usize) -> (String, Option<Detached>) {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            if self.nodes == MAX_NODES + 1 {
                c.push(ViolationKind::Invalid, "", format!("is past the limit of {MAX_NODES} agent definitions"));
            }
            return (String::new(), None);
        }
        let empty = matches!(&d.id, Field::Given(id) if id.is_empty());
        let id = c.required("id", "id", std::mem::take(&mut d.id)).unwrap_or_default();
        if empty {
            c.push(ViolationKind::Invalid, "id", "must not be empty");
        }

        let mut kbs = Vec::new();
        if let Some(items) = c.take("knowledge_bases", "knowledge_bases", std::mem::take(&mut d.knowledge_bases)) {
            c.items("knowledge_bases", "knowledge_bases", items, |c, item| {
                let (kb_id, copy) = knowledge::read(c, item, &mut self.minted);
                kbs.push((kb_id.clone(), copy.knowledge_base.clone()));
                self.knowledge_base(c, kb_id, copy);
            });
        }
        required_items(c, "custom_functions", std::mem::take(&mut d.custom_functions), |c, mut item| {
            let tool_id = c.required("id", "id", std::mem::take(&mut item.id)).unwrap_or_default();
            let ext = std::mem::take(&mut item.agentport);
            let read = tools::read_function(c, item);
            let (tool, _) = carry::read(c, read, ext);
            self.add_tool(c, tool_id, tool);
        });
        required_items(c, "connectors", std::mem::take(&mut d.connectors), |c, mut item| {
            let tool_id = c.required("id", "id", std::mem::take(&mut item.id)).unwrap_or_default();
            let ext = std::mem::take(&mut item.agentport);
            let read = tools::read_connector(c, item);
            let (tool, _) = carry::read(c, read, ext);
            self.add_tool(c, tool_id, tool);
        });
        let given = c.take("sub_agents", "sub_agents", std::mem::take(&mut d.sub_agents));
        let mut subs = Vec::new();
        if let Some(items) = given {
            if depth >= MAX_DEPTH && !items.is_empty() {
                c.push(ViolationKind::Invalid, "sub_agents", format!("nests deeper than {MAX_DEPTH} levels"));
            } else {
                let items = definitions(items);
                subs = agent::nested(&items);
                c.items("sub_agents", "sub_agents", items, |c, sub| {
                    self.node(c, sub, depth + 1);
                });
            }
        }

        let ext = std::mem::take(&mut d.agentport);
        let mut derived = agent::read(&mut d, c);
        agent::link(&mut derived, &subs, &kbs);
        let (agent, ext) = carry::read(c, derived, ext);
        let agent = bare(agent);
        c.within(KEY, KEY, |c| self.resources(c, ext.tools, ext.mcp_servers));
        let path = c.path("");
        add(&mut self.tree.agents, &mut self.first, ("agent", id.clone()), agent, &path, &mut c.errs);
        let detached = match (depth, ext.detached) {
            (0, detached) => c.within(KEY, KEY, |c| c.take("detached", "detached", detached)),
            _ => None,
        };
        (id, detached)
    }

    fn add_tool(&mut self, c: &mut Check, id: String, tool: Tool) {
        let path = c.path("");
        add(&mut self.tree.tools, &mut self.first, ("tool", id), bare(tool), &path, &mut c.errs);
    }

    /// `tools` and `mcpServers` of an `agentport` object: resources with no xpander form.
    fn resources(&mut self, c: &mut Check, tools: ById, servers: ById) {
        for (id, value) in c.take("tools", "tools", tools).unwrap_or_default() {
            let path = c.path(&format!("tools.{id}"));
            let tool: Tool = bare(patch::message(&value, path.clone(), &mut c.errs));
            add(&mut self.tree.tools, &mut self.first, ("tool", id), tool, &path, &mut c.errs);
        }
        for (id, value) in c.take("mcpServers", "mcpServers", servers).unwrap_or_default() {
            let path = c.path(&format!("mcpServers.{id}"));
            let server: McpServer = bare(patch::message(&value, path.clone(), &mut c.errs));
            add(&mut self.tree.mcp_servers, &mut self.first, ("MCP server", id), server, &path, &mut c.errs);
        }
    }

    /// The root's `agentport.detached`: what no nested definition reaches.
    fn detached(&mut self, c: &mut Check, detached: Detached) {
        if let Some(items) = c.take("agents", "agents", detached.agents) {
            c.items("agents", "agents", definitions(items), |c, item| {
                self.node(c, item, 1);
            });
        }
        self.resources(c, detached.tools, detached.mcp_servers);
        if let Some(items) = c.take("knowledgeBases", "knowledgeBases", detached.knowledge_bases) {
            c.items("knowledgeBases", "knowledgeBases", items, |c, item| {
                let (id, copy) = knowledge::read(c, item, &mut self.minted);
                self.knowledge_base(c, id, copy);
            });
        }
    }

    fn knowledge_base(&mut self, c: &mut Check, id: String, mut copy: super::KnowledgeBaseCopy) {
        clear_identity(&mut copy.knowledge_base);
        for entry in &mut copy.documents {
            clear_identity(&mut entry.value);
        }
        let path = c.path("");
        add(&mut self.tree.knowledge_bases, &mut self.first, ("knowledge base", id), copy, &path, &mut c.errs);
    }
}

/// Adds a resource, or checks that it is the one defined before under that id.
fn add<T: PartialEq>(
    map: &mut BTreeMap<String, T>,
    first: &mut HashMap<(&'static str, String), String>,
    (what, id): (&'static str, String),
    value: T,
    path: &str,
    errs: &mut Vec<FieldViolation>,
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
