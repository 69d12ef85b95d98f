//! Tree -> nested `AgentDefinition`s. An agent is written in full wherever it is nested (an
//! xpander import recreates each sub-agent from its own entry); one already on the path is not
//! nested again, so cycles end. Whatever no nested definition reaches rides along under the
//! root's `agentport.detached`, so nothing of the tree is lost.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use serde_json::Value;

use super::agent::all;
use super::dto::{
    AgentDefinition, ById, Carried, ConnectedConnector, CustomFunction, Detached, ExportedKnowledgeBase, Nested,
};
use super::tools::Written;
use super::{KnowledgeBaseCopy, TemplateTree, agent, carry, knowledge, tools};
use crate::domain::agent_graph::{graph_function_ids, sub_agent_ids};
use crate::domain::bundle::clean;
use crate::domain::bundle::fields::{given, some_items};
use crate::domain::format_version;
use crate::domain::wire::Field;
use crate::proto::tool::Config;
use crate::proto::{Agent, KnowledgeBase};

pub fn encode(tree: &TemplateTree) -> Value {
    let mut writer = Writer { tree, path: Vec::new(), reached: Reached::default() };
    let mut root = writer.node(&tree.root);
    let detached = writer.detached();
    let mut ext = match std::mem::take(&mut root.agentport) {
        Field::Given(ext) => ext,
        _ => Carried::default(),
    };
    let empty = detached.agents.is_absent()
        && detached.tools.is_absent()
        && detached.mcp_servers.is_absent()
        && detached.knowledge_bases.is_absent();
    if !empty {
        ext.detached = given(detached);
    }
    ext.format_version = given(format_version::CURRENT.to_string());
    root.agentport = given(ext);
    serde_json::to_value(root).expect("a definition always serializes")
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

/// Resources by id, written when there is one.
fn by_id(map: IndexMap<String, Value>) -> ById {
    if map.is_empty() { Field::Absent } else { given(map) }
}

impl Writer<'_> {
    fn node(&mut self, id: &str) -> AgentDefinition {
        self.reached.agents.insert(id.to_owned());
        let agent = self.tree.agents.get(id).map(clean).unwrap_or_default();

        self.path.push(id.to_owned());
        let nested: Vec<&str> = sub_agent_ids(&agent)
            .into_iter()
            .filter(|sub| self.tree.agents.contains_key(*sub) && !self.path.iter().any(|p| p == sub))
            .collect();
        let subs: Vec<AgentDefinition> = nested.into_iter().map(|sub| self.node(sub)).collect();
        self.path.pop();

        let (functions, connectors, other_tools) = self.tools(&agent);
        let mut servers = IndexMap::new();
        let server_ids: BTreeSet<&str> = agent.mcp_servers.iter().map(|m| m.mcp_server_id.as_str()).collect();
        for server_id in server_ids {
            if let Some(server) = self.tree.mcp_servers.get(server_id) {
                self.reached.mcp_servers.insert(server_id.to_owned());
                servers.insert(server_id.to_owned(), carry::message_json(&clean(server)));
            }
        }
        let (kb_values, kbs) = self.knowledge_bases(&agent);

        let tree = self.tree;
        let is_connector =
            |tool_id: &str| tree.tools.get(tool_id).is_some_and(|t| matches!(t.config, Some(Config::Connector(_))));
        let mut written = agent::write(&agent, is_connector);
        // The agent's keys read back (nesting keys are read by the caller of `agent::read`).
        let mut derived = carry::read_back(&written, |c, mut d| agent::read(&mut d, c));
        let links: Vec<(String, String)> = subs.iter().filter_map(agent::sub_link).collect();
        agent::link(&mut derived, &links, &kbs);
        let extra = Carried { tools: by_id(other_tools), mcp_servers: by_id(servers), ..Default::default() };
        written.agentport = carry::attach(&agent, derived, extra);
        written.id = given(id.to_owned());
        written.custom_functions = all(functions);
        written.connectors = all(connectors);
        written.sub_agents = all(subs.into_iter().map(Nested::from));
        written.knowledge_bases = all(kb_values);
        written
    }

    /// The attached tools and the custom functions the graph calls, in id order: custom
    /// functions, connectors, and the rest as proto3 JSON.
    fn tools(&mut self, agent: &Agent) -> (Vec<CustomFunction>, Vec<ConnectedConnector>, IndexMap<String, Value>) {
        let mut ids: BTreeSet<&str> = agent.tools.iter().map(|t| t.tool_id.as_str()).collect();
        ids.extend(graph_function_ids(agent));
        let (mut functions, mut connectors, mut rest) = (Vec::new(), Vec::new(), IndexMap::new());
        for id in ids {
            let Some(tool) = self.tree.tools.get(id) else {
                continue;
            };
            self.reached.tools.insert(id.to_owned());
            let tool = clean(tool);
            match tools::write(id, &tool) {
                Some(Written::CustomFunction(mut f)) => {
                    let derived = carry::read_back(&f, tools::read_function);
                    f.agentport = carry::attach(&tool, derived, Carried::default());
                    functions.push(f);
                }
                Some(Written::Connector(mut connector)) => {
                    let derived = carry::read_back(&connector, tools::read_connector);
                    connector.agentport = carry::attach(&tool, derived, Carried::default());
                    connectors.push(connector);
                }
                None => {
                    rest.insert(id.to_owned(), carry::message_json(&tool));
                }
            }
        }
        (functions, connectors, rest)
    }

    /// The attached knowledge bases in attachment order, written and as read back.
    fn knowledge_bases(&mut self, agent: &Agent) -> (Vec<ExportedKnowledgeBase>, Vec<(String, KnowledgeBase)>) {
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
    fn detached(&mut self) -> Detached {
        let mut agents = Vec::new();
        for id in self.tree.agents.keys() {
            if !self.reached.agents.contains(id) {
                agents.push(self.node(id));
            }
        }
        let (mut tools, mut servers) = (IndexMap::new(), IndexMap::new());
        for (id, tool) in &self.tree.tools {
            if !self.reached.tools.contains(id) {
                tools.insert(id.clone(), carry::message_json(&clean(tool)));
            }
        }
        for (id, server) in &self.tree.mcp_servers {
            if !self.reached.mcp_servers.contains(id) {
                servers.insert(id.clone(), carry::message_json(&clean(server)));
            }
        }
        let knowledge_bases = self
            .tree
            .knowledge_bases
            .iter()
            .filter(|(id, _)| !self.reached.knowledge_bases.contains(*id))
            .map(|(id, copy)| knowledge::write(id, &clean_copy(copy)));
        Detached {
            agents: some_items(agents.into_iter().map(Nested::from)),
            tools: by_id(tools),
            mcp_servers: by_id(servers),
            knowledge_bases: some_items(knowledge_bases),
        }
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
