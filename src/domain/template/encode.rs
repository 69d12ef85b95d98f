//! Tree -> nested `AgentDefinition`s. An agent is written in full wherever it is nested (an
//! xpander import recreates each sub-agent from its own entry); one already on the path is not
//! nested again, so cycles end. Whatever no nested definition reaches rides along under the
//! root's `agentport.detached`, so nothing of the tree is lost.

use crate::domain::agent_graph::{graph_function_ids, sub_agent_ids};
use std::collections::BTreeSet;

use serde_json::Value;

use super::tools::Form;
use super::{KnowledgeBaseCopy, TemplateTree, agent, carry, knowledge, tools};
use crate::domain::bundle::clean;
use crate::domain::bundle::read::{Obj, Violations};
use crate::domain::bundle::write::Out;
use crate::domain::format_version;
use crate::proto::tool::Config;
use crate::proto::{Agent, KnowledgeBase};

pub fn encode(tree: &TemplateTree) -> Value {
    let mut writer = Writer { tree, path: Vec::new(), reached: Reached::default() };
    let mut root = writer.node(&tree.root);
    let detached = writer.detached();
    let mut extra = Out::new();
    extra.object("detached", detached).put(format_version::FIELD, format_version::CURRENT.to_string());
    carry::insert(root.as_object_mut().expect("a node is an object"), extra);
    root
}

struct Writer<'a> {
    tree: &'a TemplateTree,
    /// Ids of the agents being written, outermost first.
    path: Vec<String>,
    reached: Reached,
}

/// What some written definition already carries.
#[derive(Default)]
struct Reached {
    agents: BTreeSet<String>,
    tools: BTreeSet<String>,
    mcp_servers: BTreeSet<String>,
    knowledge_bases: BTreeSet<String>,
}

impl Writer<'_> {
    fn node(&mut self, id: &str) -> Value {
        self.reached.agents.insert(id.to_owned());
        let agent = self.tree.agents.get(id).map(clean).unwrap_or_default();

        self.path.push(id.to_owned());
        let nested: Vec<&str> = sub_agent_ids(&agent)
            .into_iter()
            .filter(|sub| self.tree.agents.contains_key(*sub) && !self.path.iter().any(|p| p == sub))
            .collect();
        let subs: Vec<Value> = nested.into_iter().map(|sub| self.node(sub)).collect();
        self.path.pop();

        let (functions, connectors, other_tools) = self.tools(&agent);
        let mut servers = Out::new();
        let server_ids: BTreeSet<&str> = agent.mcp_servers.iter().map(|m| m.mcp_server_id.as_str()).collect();
        for server_id in server_ids {
            if let Some(server) = self.tree.mcp_servers.get(server_id) {
                self.reached.mcp_servers.insert(server_id.to_owned());
                servers.put(server_id, carry::message_json(&clean(server)));
            }
        }
        let (kb_values, kbs) = self.knowledge_bases(&agent);

        let tree = self.tree;
        let is_connector =
            |tool_id: &str| tree.tools.get(tool_id).is_some_and(|t| matches!(t.config, Some(Config::Connector(_))));
        let mut out = Out::new();
        out.put("id", id);
        agent::write(&agent, is_connector, &mut out);
        out.list("custom_functions", functions)
            .list("connectors", connectors)
            .list("sub_agents", subs)
            .list("knowledge_bases", kb_values);
        let mut value = out.take();
        let mut extra = Out::new();
        extra.object("tools", other_tools).object("mcpServers", servers);
        let read = |object: &Obj, errs: &mut Violations| {
            let mut derived = agent::read(object, errs);
            agent::link(&mut derived, object, &kbs);
            derived
        };
        carry::attach(&mut value, &agent, read, extra);
        value
    }

    /// The attached tools and the custom functions the graph calls, in id order: custom
    /// functions, connectors, and the rest as proto3 JSON.
    fn tools(&mut self, agent: &Agent) -> (Vec<Value>, Vec<Value>, Out) {
        let mut ids: BTreeSet<&str> = agent.tools.iter().map(|t| t.tool_id.as_str()).collect();
        ids.extend(graph_function_ids(agent));
        let (mut functions, mut connectors, mut rest) = (Vec::new(), Vec::new(), Out::new());
        for id in ids {
            let Some(tool) = self.tree.tools.get(id) else {
                continue;
            };
            self.reached.tools.insert(id.to_owned());
            let tool = clean(tool);
            match tools::write(id, &tool) {
                Some((form, mut value)) => {
                    let read = |object: &Obj, errs: &mut Violations| tools::read(form, object, errs);
                    carry::attach(&mut value, &tool, read, Out::new());
                    match form {
                        Form::CustomFunction => functions.push(value),
                        Form::Connector => connectors.push(value),
                    }
                }
                None => {
                    rest.put(id, carry::message_json(&tool));
                }
            }
        }
        (functions, connectors, rest)
    }

    /// The attached knowledge bases in attachment order, written and as read back.
    fn knowledge_bases(&mut self, agent: &Agent) -> (Vec<Value>, Vec<(String, KnowledgeBase)>) {
        let mut seen = BTreeSet::new();
        let mut values = Vec::new();
        let mut read = Vec::new();
        for attachment in &agent.knowledge_bases {
            let id = attachment.knowledge_base_id.as_str();
            let Some(copy) = self.tree.knowledge_bases.get(id) else {
                continue;
            };
            if !seen.insert(id) {
                continue;
            }
            self.reached.knowledge_bases.insert(id.to_owned());
            let copy = clean_copy(copy);
            values.push(knowledge::write(id, &copy));
            read.push((id.to_owned(), copy.knowledge_base));
        }
        (values, read)
    }

    /// Agents no definition nests (each with what it reaches), then unreached resources.
    fn detached(&mut self) -> Out {
        let mut agents = Vec::new();
        for id in self.tree.agents.keys() {
            if !self.reached.agents.contains(id) {
                agents.push(self.node(id));
            }
        }
        let (mut tools, mut servers) = (Out::new(), Out::new());
        for (id, tool) in &self.tree.tools {
            if !self.reached.tools.contains(id) {
                tools.put(id, carry::message_json(&clean(tool)));
            }
        }
        for (id, server) in &self.tree.mcp_servers {
            if !self.reached.mcp_servers.contains(id) {
                servers.put(id, carry::message_json(&clean(server)));
            }
        }
        let knowledge_bases = self
            .tree
            .knowledge_bases
            .iter()
            .filter(|(id, _)| !self.reached.knowledge_bases.contains(*id))
            .map(|(id, copy)| knowledge::write(id, &clean_copy(copy)));
        let mut out = Out::new();
        out.some("agents", agents)
            .object("tools", tools)
            .object("mcpServers", servers)
            .some("knowledgeBases", knowledge_bases);
        out
    }
}

fn clean_copy(copy: &KnowledgeBaseCopy) -> KnowledgeBaseCopy {
    KnowledgeBaseCopy {
        knowledge_base: clean(&copy.knowledge_base),
        documents: copy
            .documents
            .iter()
            .map(|entry| crate::domain::bundle::Entry { id: entry.id.clone(), value: clean(&entry.value) })
            .collect(),
    }
}
