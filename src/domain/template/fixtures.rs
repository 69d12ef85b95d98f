//! Test trees: reflection-filled resources (every field set) wired into root -> {a, b} -> g, a
//! diamond, with a back edge g -> root. Every tool config case, MCP servers, knowledge bases
//! with documents.

use super::{KnowledgeBaseCopy, TemplateTree};
use crate::domain::bundle::Entry;
use crate::domain::bundle::extension::clear_identity;
use crate::domain::bundle::populate::Filler;
use crate::domain::reflect::descriptor;
use crate::proto::tool::Config;
use crate::proto::{
    Agent, Collaboration, GraphItem, KnowledgeBaseAttachment, McpServerAttachment, Tool, ToolAttachment,
};

/// Tool ids by config case, in the oneof's order (slack, teams, rag_custom, rag_emporix,
/// connector, custom_function).
pub const TOOLS: [&str; 6] = ["t0", "t1", "t2", "t3", "t4", "t5"];

pub struct Options {
    /// Fill secret-marked fields too (`SECRET-<n>`).
    pub secrets: bool,
    /// Set enumerations and verbatim objects to documented values, so that the xpander keys
    /// carry them (otherwise most of them travel in the extension).
    pub documented: bool,
}

/// An agent's id and the ids it is wired to (see `tree`).
type Wiring = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

pub fn tree(options: Options) -> TemplateTree {
    let mut filler = Filler::new(options.secrets, 0);
    let mut tree = TemplateTree { root: "root".into(), ..Default::default() };
    // (id, attached tools, MCP servers, knowledge bases, graph sub-agents, collaborations)
    let wiring: [Wiring; 4] = [
        ("root", &["t0", "t1", "t4"], &["m1"], &["kb1"], &["a"], &["b"]),
        ("a", &["t2", "t4", "t5"], &[], &["kb1", "kb2"], &[], &["g"]),
        ("b", &["t3", "t5"], &["m1", "m2"], &[], &["g"], &[]),
        ("g", &["t5"], &["m2"], &["kb2"], &[], &["root"]),
    ];
    for (id, tools, servers, kbs, graph, collaborations) in wiring {
        let mut agent: Agent = fill(&mut filler, 0);
        agent.tools = attachments(tools, &agent.tools[0]);
        agent.mcp_servers = servers
            .iter()
            .map(|s| McpServerAttachment { mcp_server_id: (*s).into(), ..agent.mcp_servers[0].clone() })
            .collect();
        agent.knowledge_bases = kbs
            .iter()
            .map(|k| KnowledgeBaseAttachment { knowledge_base_id: (*k).into(), ..agent.knowledge_bases[0].clone() })
            .collect();
        let item = agent.graph[0].clone();
        agent.graph.extend(graph.iter().map(|g| GraphItem {
            r#type: "agent".into(),
            item_id: (*g).into(),
            ..item.clone()
        }));
        agent.collaborations = collaborations
            .iter()
            .map(|c| Collaboration { agent_id: (*c).into(), description: format!("hand over to {c}") })
            .collect();
        if options.documented {
            documented_agent(&mut agent);
        }
        tree.agents.insert(id.into(), agent);
    }
    for (case, id) in TOOLS.iter().enumerate() {
        let mut tool: Tool = fill(&mut filler, case);
        if options.documented {
            documented_tool(&mut tool);
        }
        tree.tools.insert((*id).into(), tool);
    }
    for id in ["m1", "m2"] {
        tree.mcp_servers.insert(id.into(), fill(&mut filler, 0));
    }
    for id in ["kb1", "kb2"] {
        let copy = KnowledgeBaseCopy {
            knowledge_base: fill(&mut filler, 0),
            documents: ["d1", "d2"].map(|d| Entry { id: d.into(), value: fill(&mut filler, 0) }).into(),
        };
        tree.knowledge_bases.insert(id.into(), copy);
    }
    tree
}

/// How many cases the tool config has; [`TOOLS`] must name one tool per case.
pub fn tool_cases() -> usize {
    descriptor::<Tool>().oneofs().find(|o| o.name() == "config").map_or(0, |o| o.fields().count())
}

/// The next filled resource, config case `case`, identity cleared.
fn fill<M: prost::Message + prost::Name + Default>(filler: &mut Filler, case: usize) -> M {
    filler.case = case;
    let mut message: M = filler.fill();
    clear_identity(&mut message);
    message
}

fn attachments(ids: &[&str], template: &ToolAttachment) -> Vec<ToolAttachment> {
    ids.iter().map(|id| ToolAttachment { tool_id: (*id).into(), ..template.clone() }).collect()
}

fn documented_agent(agent: &mut Agent) {
    agent.kind = "manager".into();
    agent.access_scope = "organizational".into();
    agent.oas_json = r#"{"openapi":"3.1.0"}"#.into();
    if let Some(llm) = &mut agent.llm {
        llm.provider = "anthropic".into();
    }
    if let Some(d) = &mut agent.delegation {
        d.r#type = "sequence".into();
        d.memory_strategy = "original-input".into();
    }
    for s in &mut agent.llm_settings {
        s.r#type = "before".into();
    }
    for node in &mut agent.source_nodes {
        node.r#type = "sdk".into();
    }
    for (i, item) in agent.graph.iter_mut().enumerate() {
        if item.r#type != "agent" {
            item.r#type = ["tool", "mcp"][i % 2].into();
        }
        item.sub_type = "custom_function".into();
        for s in &mut item.llm_settings {
            s.r#type = "after".into();
        }
        let Some(settings) = &mut item.settings else {
            continue;
        };
        settings.coding_agent_type = "codex".into();
        // Every sub-object has content, so reading lists them all, in this order.
        settings.present = [
            "schemas",
            "advanced_filtering_options",
            "hitl_options",
            "a2a_options",
            "coding_agent_settings",
            "mcp_settings",
            "skills_settings",
        ]
        .map(String::from)
        .into();
        if let Some(hitl) = &mut settings.hitl {
            hitl.hitl_type = "slack".into();
        }
        if let Some(mcp) = &mut settings.mcp {
            mcp.r#type = "remote".into();
            mcp.transport = "sse".into();
            mcp.auth_type = "api_key".into();
        }
    }
}

fn documented_tool(tool: &mut Tool) {
    match &mut tool.config {
        Some(Config::CustomFunction(f)) => {
            tool.r#type = "custom_function".into();
            f.status = "ready".into();
        }
        Some(Config::Connector(c)) => {
            tool.r#type = "connector".into();
            c.operations_with_details_json = r#"[{"id":"op1"}]"#.into();
            c.operations_map_json = r#"{"op1":{"path":"/a","method":"GET"}}"#.into();
            for p in &mut c.general_params {
                p.location = "header".into();
            }
        }
        _ => {}
    }
}
