//! Agent <-> the agent keys of an `AgentDefinition` (docs/canonical-model.md, "xpander
//! AgentDefinition"), and the references a definition implies through its nesting.

use serde_json::Value;

use super::enums::{self, documented};
use super::fields::{Shape, localized, required_string, required_strings, verbatim_text, verbatim_value};
use super::graph;
use crate::domain::bundle::read::{Obj, Violations, set};
use crate::domain::bundle::write::Out;
use crate::domain::validate::preferred_text;
use crate::error::FieldViolation;
use crate::proto::{
    Agent, AgentFlags, AgentStatus, Collaboration, Delegation, Instructions, KnowledgeBase, KnowledgeBaseAttachment,
    LlmConfig, ToolAttachment,
};

/// The agent keys after `id`, in the schema's order. `is_connector` tells which attached tools
/// are connectors (`attached_tools` lists only those).
pub fn write(agent: &Agent, is_connector: impl Fn(&str) -> bool, out: &mut Out) {
    out.put("name", preferred_text(&agent.display_name))
        .string("description", &preferred_text(&agent.description))
        .string("unique_name", &agent.unique_name)
        .string("icon", &agent.icon)
        .string("avatar", &agent.avatar)
        .opt("type", documented(&agent.kind, enums::AGENT_TYPES));
    if let Some(delegation) = &agent.delegation {
        out.opt("delegation_type", documented(&delegation.r#type, enums::DELEGATION_TYPES))
            .opt("delegation_memory_strategy", documented(&delegation.memory_strategy, enums::MEMORY_STRATEGIES));
    }
    let attached = agent.tools.iter().filter(|t| is_connector(&t.tool_id));
    out.string("created_by_prompt", &agent.created_by_prompt)
        .opt("is_ai_employee", agent.flags.as_ref().and_then(|f| f.is_ai_employee))
        .list("prompts", agent.prompts.iter().map(String::as_str))
        .list("llm_settings", agent.llm_settings.iter().map(graph::write_llm))
        .list("source_nodes", agent.source_nodes.iter().filter_map(graph::write_source))
        .list("attached_tools", attached.map(write_attached))
        .opt("access_scope", documented(&agent.access_scope, enums::ACCESS_SCOPES))
        .opt("instructions", agent.instructions.as_ref().map(write_instructions))
        .opt("oas", verbatim_value(&agent.oas_json, Shape::Object))
        .list("graph", agent.graph.iter().filter_map(graph::write_item))
        .opt("status", status_name(agent.status))
        .opt("version", agent.deployed_version);
    if let Some(llm) = &agent.llm {
        out.opt("model_provider", documented(&llm.provider, enums::MODEL_PROVIDERS)).string("model_name", &llm.model);
    }
}

/// The agent as its keys give it (links excluded, see [`link`]).
pub fn read(object: &Obj, errs: &mut Violations) -> Agent {
    let mut agent = Agent {
        display_name: localized(required_string(object, "name", errs)),
        description: localized(object.string("description", errs).unwrap_or_default()),
        ..Default::default()
    };
    set(&mut agent.unique_name, object.string("unique_name", errs));
    set(&mut agent.icon, object.string("icon", errs));
    set(&mut agent.avatar, object.string("avatar", errs));
    set(&mut agent.kind, object.string("type", errs));
    let delegation_type = object.string("delegation_type", errs);
    let memory = object.string("delegation_memory_strategy", errs);
    if delegation_type.is_some() || memory.is_some() {
        agent.delegation = Some(Delegation {
            r#type: delegation_type.unwrap_or_default(),
            memory_strategy: memory.unwrap_or_default(),
            ..Default::default()
        });
    }
    set(&mut agent.created_by_prompt, object.string("created_by_prompt", errs));
    if let Some(v) = object.bool("is_ai_employee", errs) {
        agent.flags = Some(AgentFlags { is_ai_employee: Some(v), ..Default::default() });
    }
    set(&mut agent.prompts, object.strings("prompts", errs));
    set(&mut agent.llm_settings, graph::read_llms(object, errs));
    if let Some(items) = object.objects("source_nodes", errs) {
        agent.source_nodes = items.iter().map(|o| graph::read_source(o, errs)).collect();
    }
    if let Some(items) = object.objects("attached_tools", errs) {
        agent.tools = items.iter().map(|o| read_attached(o, errs)).collect();
    }
    set(&mut agent.access_scope, object.string("access_scope", errs));
    agent.instructions = object.object("instructions", errs).map(|o| read_instructions(&o, errs));
    set(&mut agent.oas_json, verbatim_text(object, "oas", Shape::Object, errs));
    if let Some(items) = object.objects("graph", errs) {
        agent.graph = items.iter().map(|o| graph::read_item(o, errs)).collect();
    }
    set(&mut agent.status, read_status(object, errs));
    agent.deployed_version = object.i32("version", errs);
    let provider = object.string("model_provider", errs);
    let model = object.string("model_name", errs);
    if provider.is_some() || model.is_some() {
        agent.llm = Some(LlmConfig {
            provider: provider.unwrap_or_default(),
            model: model.unwrap_or_default(),
            ..Default::default()
        });
    }
    agent
}

/// What nesting implies: each listed knowledge base is attached (as an import attaches it), and
/// each sub-agent no `agent` graph item names is a collaboration, described by its description.
pub fn link(agent: &mut Agent, object: &Obj, knowledge_bases: &[(String, KnowledgeBase)]) {
    agent.knowledge_bases = knowledge_bases
        .iter()
        .map(|(id, kb)| KnowledgeBaseAttachment {
            knowledge_base_id: id.clone(),
            display_name: kb.display_name.clone(),
            description: kb.description.clone(),
            strategy: "vanilla".into(),
            ..Default::default()
        })
        .collect();
    let in_graph = |id: &str| agent.graph.iter().any(|g| g.r#type == "agent" && g.item_id == id);
    let subs = object.map.get("sub_agents").and_then(Value::as_array);
    let collaborations: Vec<Collaboration> = subs
        .into_iter()
        .flatten()
        .filter_map(|sub| {
            let id = sub.get("id")?.as_str().filter(|id| !id.is_empty())?;
            let description = sub.get("description").and_then(Value::as_str);
            (!in_graph(id)).then(|| Collaboration {
                agent_id: id.to_owned(),
                description: description.unwrap_or_default().to_owned(),
            })
        })
        .collect();
    agent.collaborations = collaborations;
}

fn write_attached(attachment: &ToolAttachment) -> Value {
    let mut out = Out::new();
    out.put("id", attachment.tool_id.as_str()).list("operation_ids", attachment.operations.iter().map(String::as_str));
    out.take()
}

fn read_attached(object: &Obj, errs: &mut Violations) -> ToolAttachment {
    ToolAttachment {
        tool_id: required_string(object, "id", errs),
        operations: required_strings(object, "operation_ids", errs),
    }
}

pub(crate) fn write_instructions(instructions: &Instructions) -> Value {
    let mut out = Out::new();
    out.list("role", instructions.role.iter().map(String::as_str))
        .list("goal", instructions.goal.iter().map(String::as_str))
        .put("general", instructions.general.as_str());
    out.take()
}

fn read_instructions(object: &Obj, errs: &mut Violations) -> Instructions {
    Instructions {
        role: object.strings("role", errs).unwrap_or_default(),
        goal: object.strings("goal", errs).unwrap_or_default(),
        general: object.string("general", errs).unwrap_or_default(),
    }
}

pub(crate) fn status_name(status: i32) -> Option<&'static str> {
    match AgentStatus::try_from(status).ok()? {
        AgentStatus::Draft => Some("DRAFT"),
        AgentStatus::Active => Some("ACTIVE"),
        AgentStatus::Inactive => Some("INACTIVE"),
        AgentStatus::Unspecified => None,
    }
}

pub(crate) fn read_status(object: &Obj, errs: &mut Violations) -> Option<i32> {
    let status = match object.string("status", errs)?.as_str() {
        "DRAFT" => AgentStatus::Draft,
        "ACTIVE" => AgentStatus::Active,
        "INACTIVE" => AgentStatus::Inactive,
        _ => {
            errs.push(FieldViolation::new(object.path("status"), "must be DRAFT, ACTIVE or INACTIVE"));
            return None;
        }
    };
    Some(status as i32)
}
