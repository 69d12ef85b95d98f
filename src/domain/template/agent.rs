//! Agent <-> the agent keys of an `AgentDefinition` (docs/canonical-model.md, "xpander
//! AgentDefinition"), and the references a definition implies through its nesting.

use super::dto::{self, AgentDefinition};
use super::enums;
use super::fields::{Shape, localized, optional_items, required_strings, verbatim_text, verbatim_value};
use super::graph;
use crate::domain::bundle::fields::{given, list, opt, text};
use crate::domain::bundle::read::set;
use crate::domain::validate::preferred_text;
use crate::domain::wire::{Check, Field};
use crate::error::ViolationKind;
use crate::proto::{
    Agent, AgentFlags, AgentStatus, Collaboration, Delegation, Instructions, KnowledgeBase, KnowledgeBaseAttachment,
    LlmConfig, ToolAttachment,
};

/// The agent keys after `id`, in the schema's order; the nesting keys are left to the caller.
/// `is_connector` tells which attached tools are connectors (`attached_tools` lists only
/// those).
pub fn write(agent: &Agent, is_connector: impl Fn(&str) -> bool) -> AgentDefinition {
    let delegation = agent.delegation.as_ref();
    let attached = agent.tools.iter().filter(|t| is_connector(&t.tool_id));
    let llm = agent.llm.as_ref();
    AgentDefinition {
        name: given(preferred_text(&agent.display_name)),
        description: text(&preferred_text(&agent.description)),
        unique_name: text(&agent.unique_name),
        icon: text(&agent.icon),
        avatar: text(&agent.avatar),
        kind: enums::written(&agent.kind, enums::AGENT_TYPES),
        delegation_type: delegation.map_or(Field::Absent, |d| enums::written(&d.r#type, enums::DELEGATION_TYPES)),
        delegation_memory_strategy: delegation
            .map_or(Field::Absent, |d| enums::written(&d.memory_strategy, enums::MEMORY_STRATEGIES)),
        created_by_prompt: text(&agent.created_by_prompt),
        is_ai_employee: opt(agent.flags.as_ref().and_then(|f| f.is_ai_employee)),
        prompts: list(&agent.prompts),
        llm_settings: all(agent.llm_settings.iter().map(graph::write_llm)),
        source_nodes: all(agent.source_nodes.iter().filter_map(graph::write_source)),
        attached_tools: all(attached.map(write_attached)),
        access_scope: enums::written(&agent.access_scope, enums::ACCESS_SCOPES),
        instructions: opt(agent.instructions.as_ref().map(write_instructions)),
        oas: opt(verbatim_value(&agent.oas_json, Shape::Object)),
        graph: all(agent.graph.iter().filter_map(graph::write_item)),
        status: opt(status_name(agent.status).map(str::to_owned)),
        version: opt(agent.deployed_version),
        model_provider: llm.map_or(Field::Absent, |l| enums::written(&l.provider, enums::MODEL_PROVIDERS)),
        model_name: llm.map_or(Field::Absent, |l| text(&l.model)),
        ..Default::default()
    }
}

/// A list always written, `[]` when empty.
pub(crate) fn all<T>(values: impl IntoIterator<Item = T>) -> dto::Items<T> {
    given(values.into_iter().map(given).collect())
}

/// The agent as its keys give it (links excluded, see [`link`]). Takes the agent keys out of
/// `d`; the nesting keys are left for the caller.
pub fn read(d: &mut AgentDefinition, c: &mut Check) -> Agent {
    let mut agent = Agent {
        display_name: localized(c.required("name", "name", std::mem::take(&mut d.name)).unwrap_or_default()),
        description: localized(
            c.take("description", "description", std::mem::take(&mut d.description)).unwrap_or_default(),
        ),
        ..Default::default()
    };
    set(&mut agent.unique_name, c.take("unique_name", "unique_name", std::mem::take(&mut d.unique_name)));
    set(&mut agent.icon, c.take("icon", "icon", std::mem::take(&mut d.icon)));
    set(&mut agent.avatar, c.take("avatar", "avatar", std::mem::take(&mut d.avatar)));
    set(&mut agent.kind, c.take("type", "type", std::mem::take(&mut d.kind)));
    let delegation_type = c.take("delegation_type", "delegation_type", std::mem::take(&mut d.delegation_type));
    let memory = c.take(
        "delegation_memory_strategy",
        "delegation_memory_strategy",
        std::mem::take(&mut d.delegation_memory_strategy),
    );
    if delegation_type.is_some() || memory.is_some() {
        agent.delegation = Some(Delegation {
            r#type: delegation_type.unwrap_or_default(),
            memory_strategy: memory.unwrap_or_default(),
            ..Default::default()
        });
    }
    set(
        &mut agent.created_by_prompt,
        c.take("created_by_prompt", "created_by_prompt", std::mem::take(&mut d.created_by_prompt)),
    );
    if let Some(v) = c.take("is_ai_employee", "is_ai_employee", std::mem::take(&mut d.is_ai_employee)) {
        agent.flags = Some(AgentFlags { is_ai_employee: Some(v), ..Default::default() });
    }
    set(&mut agent.prompts, c.strings("prompts", "prompts", std::mem::take(&mut d.prompts)));
    set(
        &mut agent.llm_settings,
        optional_items(c, "llm_settings", std::mem::take(&mut d.llm_settings), graph::read_llm),
    );
    set(
        &mut agent.source_nodes,
        optional_items(c, "source_nodes", std::mem::take(&mut d.source_nodes), graph::read_source),
    );
    set(&mut agent.tools, optional_items(c, "attached_tools", std::mem::take(&mut d.attached_tools), read_attached));
    set(&mut agent.access_scope, c.take("access_scope", "access_scope", std::mem::take(&mut d.access_scope)));
    if let Some(given) = c.take("instructions", "instructions", std::mem::take(&mut d.instructions)) {
        agent.instructions = Some(c.within("instructions", "instructions", |c| read_instructions(c, given)));
    }
    set(&mut agent.oas_json, verbatim_text(c, "oas", std::mem::take(&mut d.oas), Shape::Object));
    set(&mut agent.graph, optional_items(c, "graph", std::mem::take(&mut d.graph), graph::read_item));
    set(&mut agent.status, read_status(c, std::mem::take(&mut d.status)));
    agent.deployed_version = c.take("version", "version", std::mem::take(&mut d.version));
    let provider = c.take("model_provider", "model_provider", std::mem::take(&mut d.model_provider));
    let model = c.take("model_name", "model_name", std::mem::take(&mut d.model_name));
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
pub fn link(agent: &mut Agent, subs: &[(String, String)], knowledge_bases: &[(String, KnowledgeBase)]) {
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
    let collaborations: Vec<Collaboration> = subs
        .iter()
        .filter(|(id, _)| !id.is_empty() && !in_graph(id))
        .map(|(id, description)| Collaboration { agent_id: id.clone(), description: description.clone() })
        .collect();
    agent.collaborations = collaborations;
}

/// The id and description of each nested definition that has a string id, for [`link`].
pub fn nested(subs: &[Field<AgentDefinition>]) -> Vec<(String, String)> {
    subs.iter()
        .filter_map(|item| match item {
            Field::Given(sub) => sub_link(sub),
            _ => None,
        })
        .collect()
}

/// A nested definition's id and description, when its id is a string.
pub fn sub_link(sub: &AgentDefinition) -> Option<(String, String)> {
    let Field::Given(id) = &sub.id else { return None };
    let description = match &sub.description {
        Field::Given(description) => description.clone(),
        _ => String::new(),
    };
    Some((id.clone(), description))
}

fn write_attached(attachment: &ToolAttachment) -> dto::AttachedTool {
    dto::AttachedTool { id: given(attachment.tool_id.clone()), operation_ids: list(&attachment.operations) }
}

fn read_attached(c: &mut Check, given: dto::AttachedTool) -> ToolAttachment {
    ToolAttachment {
        tool_id: c.required("id", "tool_id", given.id).unwrap_or_default(),
        operations: required_strings(c, "operation_ids", given.operation_ids),
    }
}

pub(crate) fn write_instructions(instructions: &Instructions) -> dto::Instructions {
    dto::Instructions {
        role: list(&instructions.role),
        goal: list(&instructions.goal),
        general: given(instructions.general.clone()),
    }
}

fn read_instructions(c: &mut Check, given: dto::Instructions) -> Instructions {
    Instructions {
        role: c.strings("role", "role", given.role).unwrap_or_default(),
        goal: c.strings("goal", "goal", given.goal).unwrap_or_default(),
        general: c.take("general", "general", given.general).unwrap_or_default(),
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

fn read_status(c: &mut Check, field: Field<String>) -> Option<i32> {
    let status = match c.take("status", "status", field)?.as_str() {
        "DRAFT" => AgentStatus::Draft,
        "ACTIVE" => AgentStatus::Active,
        "INACTIVE" => AgentStatus::Inactive,
        _ => {
            c.push(ViolationKind::Invalid, "status", "must be DRAFT, ACTIVE or INACTIVE");
            return None;
        }
    };
    Some(status as i32)
}
