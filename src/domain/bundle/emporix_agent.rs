//! Agent <-> Emporix bundle agent (docs/canonical-model.md, "Emporix agent"). Keys are written in
//! the order of Emporix's own export; fields without an Emporix key go to the extension.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::dto::{self, Events, Reference, Texts};
use super::extension;
use super::fields::{given, items, list, opt, reference, some, text};
use super::read::set;
use super::verbatim;
use crate::domain::wire::{Check, Expect, Field};
use crate::error::ViolationKind;
use crate::proto::{
    Agent, AgentStatus, Collaboration, LlmConfig, McpServerAttachment, SelfHostedParams, ToolAttachment, Trigger,
};

/// The `extra_json` key that holds Emporix `llmConfig.additionalParams`.
const ADDITIONAL_PARAMS: &str = "llmConfig.additionalParams";

/// The bundle form. A bundle carries no `enabled` and no status (Emporix's format has none;
/// an import decides it: imported agents start disabled).
pub fn write(id: &str, agent: &Agent) -> dto::Agent {
    write_with(id, &Agent { status: 0, ..agent.clone() })
}

/// The resource form of the REST dialect: the bundle form plus `enabled` (DRAFT, which also
/// shows as `enabled: false`, rides in the extension).
pub fn write_resource(id: &str, agent: &Agent) -> dto::Agent {
    write_with(id, agent)
}

fn write_with(id: &str, agent: &Agent) -> dto::Agent {
    let additional = additional_params(agent);
    dto::Agent {
        id: given(id.to_owned()),
        name: texts(&agent.display_name),
        description: if agent.description.is_empty() { Field::Absent } else { texts(&agent.description) },
        required_scopes: list(&agent.required_scopes),
        user_prompt: agent.instructions.as_ref().map_or(Field::Absent, |i| given(i.general.clone())),
        triggers: items(agent.triggers.iter().map(write_trigger)),
        llm_config: agent.llm.as_ref().map_or(Field::Absent, |llm| given(write_llm(llm, additional.clone()))),
        mcp_servers: items(agent.mcp_servers.iter().map(write_mcp)),
        native_tools: items(agent.tools.iter().map(write_tool)),
        agent_collaborations: items(agent.collaborations.iter().map(write_collaboration)),
        max_recursion_limit: opt(agent.max_recursion_limit),
        enable_memory: opt(agent.enable_memory),
        enabled_memory: Field::Absent,
        icon: text(&agent.icon),
        tags: list(&agent.tags),
        kind: text(&agent.category),
        template_prompt: text(&agent.template_prompt),
        output_format: text(&agent.output_schema_json),
        hand_off: opt(agent.hand_off),
        enabled: opt(enabled(agent.status)),
        agentport: opt(extension::write_entity(&residue(agent, additional))),
        metadata: Field::Absent,
    }
}

pub fn read(body: dto::Agent, c: &mut Check) -> Agent {
    let mut agent: Agent = extension::read_in(c, body.agentport);
    set(&mut agent.display_name, read_texts(c, "name", body.name));
    set(&mut agent.description, read_texts(c, "description", body.description));
    set(&mut agent.required_scopes, c.strings("requiredScopes", "required_scopes", body.required_scopes));
    if let Some(v) = c.take("userPrompt", "instructions.general", body.user_prompt) {
        agent.instructions.get_or_insert_default().general = v;
    }
    if let Some(items) = c.take("triggers", "triggers", body.triggers) {
        agent.triggers = c.items("triggers", "triggers", items, read_trigger);
    }
    if let Some(mut llm) = c.take("llmConfig", "llm", body.llm_config) {
        let params = std::mem::take(&mut llm.additional_params);
        c.within("llmConfig", "llm", |c| {
            read_llm(c, llm, agent.llm.get_or_insert_default());
            if let Some(params) = c.take("additionalParams", "extra_json", params) {
                set_additional_params(&mut agent.extra_json, &params);
            }
        });
    }
    if let Some(items) = c.take("mcpServers", "mcp_servers", body.mcp_servers) {
        agent.mcp_servers = c.items("mcpServers", "mcp_servers", items, read_mcp);
    }
    if let Some(items) = c.take("nativeTools", "tools", body.native_tools) {
        agent.tools = c.items("nativeTools", "tools", items, read_tool);
    }
    if let Some(items) = c.take("agentCollaborations", "collaborations", body.agent_collaborations) {
        agent.collaborations = c.items("agentCollaborations", "collaborations", items, read_collaboration);
    }
    set(
        &mut agent.max_recursion_limit,
        c.take("maxRecursionLimit", "max_recursion_limit", body.max_recursion_limit).map(Some),
    );
    // `enableMemory` is what Emporix writes; the documented `enabledMemory` is accepted too.
    let memory = match c.take("enableMemory", "enable_memory", body.enable_memory) {
        Some(memory) => Some(memory),
        None => c.take("enabledMemory", "enable_memory", body.enabled_memory),
    };
    set(&mut agent.enable_memory, memory.map(Some));
    set(&mut agent.icon, c.take("icon", "icon", body.icon));
    set(&mut agent.tags, c.strings("tags", "tags", body.tags));
    set(&mut agent.category, c.take("type", "category", body.kind));
    set(&mut agent.template_prompt, c.take("templatePrompt", "template_prompt", body.template_prompt));
    set(&mut agent.output_schema_json, c.take("outputFormat", "output_schema_json", body.output_format));
    set(&mut agent.hand_off, c.take("handOff", "hand_off", body.hand_off).map(Some));
    if let Some(v) = c.take("enabled", "status", body.enabled) {
        agent.status = status(v, agent.status);
    }
    agent
}

/// A localized text map; a plain string is refused here (the REST layer turns one into a map
/// under its `Content-Language` before reading).
fn read_texts(c: &mut Check, key: &str, field: Field<Texts>) -> Option<HashMap<String, String>> {
    match c.take(key, key, field)? {
        Texts::Map(texts) => Some(c.within(key, key, |c| {
            texts
                .into_iter()
                .filter_map(|(language, text)| Some((language.clone(), c.take(&language, &language, text)?)))
                .collect()
        })),
        Texts::Text(_) => {
            c.push(ViolationKind::NotObject, key, Texts::expected());
            None
        }
    }
}

fn texts(texts: &HashMap<String, String>) -> Field<Texts> {
    given(Texts::Map(texts.iter().map(|(language, text)| (language.clone(), given(text.clone()))).collect()))
}

/// What the extension carries: the agent minus every field written under an Emporix key.
/// Sub-messages whose presence the Emporix keys already show (`userPrompt`, `llmConfig`) are
/// dropped once empty.
fn residue(agent: &Agent, additional: Option<Value>) -> Agent {
    let mut rest = Agent {
        display_name: Default::default(),
        description: Default::default(),
        required_scopes: Vec::new(),
        triggers: Vec::new(),
        mcp_servers: Vec::new(),
        tools: Vec::new(),
        collaborations: Vec::new(),
        max_recursion_limit: None,
        enable_memory: None,
        icon: String::new(),
        tags: Vec::new(),
        category: String::new(),
        template_prompt: String::new(),
        output_schema_json: String::new(),
        hand_off: None,
        ..agent.clone()
    };
    if enabled(rest.status).is_some() && rest.status != AgentStatus::Draft as i32 {
        rest.status = 0;
    }
    if let Some(instructions) = &mut rest.instructions {
        instructions.general.clear();
    }
    if rest.instructions == Some(Default::default()) {
        rest.instructions = None;
    }
    if let Some(llm) = &mut rest.llm {
        *llm = LlmConfig {
            provider: String::new(),
            model: String::new(),
            temperature: llm.temperature.filter(|t| !t.is_finite()),
            max_tokens: None,
            token_id: String::new(),
            self_hosted: None,
            base_provider: String::new(),
            ..llm.clone()
        };
    }
    if rest.llm == Some(Default::default()) {
        rest.llm = None;
    }
    // `extra_json` is verbatim text; it is dropped only when the Emporix key rebuilds it exactly.
    if let Some(params) = additional {
        let mut rebuilt = String::new();
        set_additional_params(&mut rebuilt, &params);
        if rebuilt == rest.extra_json {
            rest.extra_json.clear();
        }
    }
    rest
}

/// Emporix `enabled`: ACTIVE is true, INACTIVE and DRAFT are false, unset is absent.
fn enabled(status: i32) -> Option<bool> {
    match AgentStatus::try_from(status) {
        Ok(AgentStatus::Active) => Some(true),
        Ok(AgentStatus::Inactive | AgentStatus::Draft) => Some(false),
        _ => None,
    }
}

/// DRAFT also shows as `enabled: false`, so a false keeps a DRAFT the extension brought.
fn status(enabled: bool, current: i32) -> i32 {
    if enabled {
        AgentStatus::Active as i32
    } else if current == AgentStatus::Draft as i32 {
        current
    } else {
        AgentStatus::Inactive as i32
    }
}

/// `llmConfig.additionalParams` from `extra_json`, written only with an `llmConfig`.
fn additional_params(agent: &Agent) -> Option<Value> {
    agent.llm.as_ref()?;
    let extra = verbatim::parse(&agent.extra_json)?;
    extra.get(ADDITIONAL_PARAMS).filter(|v| !v.is_null()).cloned()
}

/// Puts `additionalParams` into the `extra_json` text, leaving the text alone when it already
/// holds that value (its other keys and their order survive).
fn set_additional_params(extra_json: &mut String, params: &Value) {
    let mut extra = if extra_json.is_empty() {
        Map::new()
    } else {
        match verbatim::parse(extra_json) {
            Some(Value::Object(map)) => map,
            // Not an object: the text is not ours to rewrite.
            _ => return,
        }
    };
    if extra.get(ADDITIONAL_PARAMS) != Some(params) {
        extra.insert(ADDITIONAL_PARAMS.to_owned(), params.clone());
        *extra_json = verbatim::text(&Value::Object(extra));
    }
}

fn write_trigger(trigger: &Trigger) -> dto::Trigger {
    let events = if trigger.events.is_empty() {
        Field::Absent
    } else {
        given(Events::Many(trigger.events.iter().cloned().map(given).collect()))
    };
    let config =
        dto::TriggerConfig { events, filter: verbatim::parse(&trigger.filter_json).map_or(Field::Absent, given) };
    let has_config = !config.events.is_absent() || !config.filter.is_absent();
    let rest = Trigger {
        // Said by `config: null` unless a config had to be written anyway.
        null_config: trigger.null_config && has_config,
        filter_json: if verbatim::is_canonical(&trigger.filter_json) {
            String::new()
        } else {
            trigger.filter_json.clone()
        },
        ..Default::default()
    };
    dto::Trigger {
        kind: text(&trigger.r#type),
        config: match (has_config, trigger.null_config) {
            (true, _) => given(config),
            (false, true) => Field::Null,
            (false, false) => Field::Absent,
        },
        agentport: opt(extension::write(&rest)),
    }
}

fn read_trigger(c: &mut Check, body: dto::Trigger) -> Trigger {
    let mut trigger: Trigger = extension::read_in(c, body.agentport);
    set(&mut trigger.r#type, c.take("type", "type", body.kind));
    match body.config {
        Field::Absent => {}
        Field::Null => trigger.null_config = true,
        Field::Given(config) => c.within("config", "", |c| {
            match c.take("events", "events", config.events) {
                Some(Events::One(event)) => trigger.events = vec![event],
                Some(Events::Many(events)) => trigger.events = c.items("events", "events", events, |_, e| e),
                None => {}
            }
            if let Some(filter) = c.take("filter", "filter_json", config.filter) {
                verbatim::overlay(&mut trigger.filter_json, &filter);
            }
        }),
        Field::Wrong => c.push(ViolationKind::NotObject, "config", "must be an object or null"),
    }
    trigger
}

fn write_llm(llm: &LlmConfig, additional: Option<Value>) -> dto::LlmConfig {
    dto::LlmConfig {
        model: text(&llm.model),
        // Only finite numbers are JSON; others stay in the extension (see `residue`).
        temperature: opt(llm.temperature.filter(|t| t.is_finite())),
        max_tokens: opt(llm.max_tokens),
        provider: text(&llm.provider),
        token: Reference::to(&llm.token_id),
        self_hosted_params: llm.self_hosted.as_ref().map_or(Field::Absent, |params| {
            given(dto::SelfHostedParams {
                url: text(&params.url),
                authorization_header_name: text(&params.authorization_header_name),
                authorization_header_token: Reference::to(&params.authorization_header_token_id),
                oauth: Reference::to(&params.oauth_id),
            })
        }),
        base_provider: text(&llm.base_provider),
        additional_params: opt(additional),
    }
}

fn read_llm(c: &mut Check, body: dto::LlmConfig, llm: &mut LlmConfig) {
    set(&mut llm.model, c.take("model", "model", body.model));
    set(&mut llm.temperature, c.take("temperature", "temperature", body.temperature).map(Some));
    set(&mut llm.max_tokens, c.take("maxTokens", "max_tokens", body.max_tokens).map(Some));
    set(&mut llm.provider, c.take("provider", "provider", body.provider));
    set(&mut llm.token_id, reference(c, "token", body.token));
    if let Some(params) = c.take("selfHostedParams", "self_hosted", body.self_hosted_params) {
        let self_hosted = llm.self_hosted.get_or_insert_with(SelfHostedParams::default);
        c.within("selfHostedParams", "self_hosted", |c| {
            set(&mut self_hosted.url, c.take("url", "url", params.url));
            set(
                &mut self_hosted.authorization_header_name,
                c.take("authorizationHeaderName", "authorization_header_name", params.authorization_header_name),
            );
            set(
                &mut self_hosted.authorization_header_token_id,
                reference(c, "authorizationHeaderToken", params.authorization_header_token),
            );
            set(&mut self_hosted.oauth_id, reference(c, "oauth", params.oauth));
        });
    }
    set(&mut llm.base_provider, c.take("baseProvider", "base_provider", body.base_provider));
}

fn write_mcp(attachment: &McpServerAttachment) -> dto::AgentMcpServer {
    dto::AgentMcpServer {
        kind: text(&attachment.r#type),
        domain: text(&attachment.domain),
        mcp_server: Reference::to(&attachment.mcp_server_id),
        tools: some(&attachment.tools),
    }
}

fn read_mcp(c: &mut Check, body: dto::AgentMcpServer) -> McpServerAttachment {
    McpServerAttachment {
        r#type: c.take("type", "type", body.kind).unwrap_or_default(),
        domain: c.take("domain", "domain", body.domain).unwrap_or_default(),
        mcp_server_id: reference(c, "mcpServer", body.mcp_server).unwrap_or_default(),
        tools: c.strings("tools", "tools", body.tools).unwrap_or_default(),
    }
}

fn write_tool(tool: &ToolAttachment) -> dto::AgentNativeTool {
    dto::AgentNativeTool { id: text(&tool.tool_id), allowed_operations: some(&tool.operations) }
}

fn read_tool(c: &mut Check, body: dto::AgentNativeTool) -> ToolAttachment {
    ToolAttachment {
        tool_id: c.take("id", "tool_id", body.id).unwrap_or_default(),
        operations: c.strings("allowedOperations", "operations", body.allowed_operations).unwrap_or_default(),
    }
}

fn write_collaboration(collaboration: &Collaboration) -> dto::AgentCollaboration {
    dto::AgentCollaboration { agent_id: text(&collaboration.agent_id), description: text(&collaboration.description) }
}

fn read_collaboration(c: &mut Check, body: dto::AgentCollaboration) -> Collaboration {
    Collaboration {
        agent_id: c.take("agentId", "agent_id", body.agent_id).unwrap_or_default(),
        description: c.take("description", "description", body.description).unwrap_or_default(),
    }
}
