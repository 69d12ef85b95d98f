//! Agent <-> Emporix bundle agent (docs/canonical-model.md, "Emporix agent"). Keys are written in
//! the order of Emporix's own export; fields without an Emporix key go to the extension.

use serde_json::{Map, Value};

use super::extension;
use super::read::{Obj, Violations, set};
use super::verbatim;
use super::write::Out;
use crate::error::FieldViolation;
use crate::proto::{
    Agent, AgentStatus, Collaboration, LlmConfig, McpServerAttachment, SelfHostedParams, ToolAttachment, Trigger,
};

/// The `extra_json` key that holds Emporix `llmConfig.additionalParams`.
const ADDITIONAL_PARAMS: &str = "llmConfig.additionalParams";

/// The bundle form. A bundle carries no `enabled` and no status (Emporix's format has none;
/// an import decides it: imported agents start disabled).
pub fn write(id: &str, agent: &Agent) -> Value {
    write_with(id, &Agent { status: 0, ..agent.clone() })
}

/// The resource form of the REST dialect: the bundle form plus `enabled` (DRAFT, which also
/// shows as `enabled: false`, rides in the extension).
pub fn write_resource(id: &str, agent: &Agent) -> Value {
    write_with(id, agent)
}

fn write_with(id: &str, agent: &Agent) -> Value {
    let additional = additional_params(agent);
    let mut out = Out::new();
    out.put("id", id).localized("name", &agent.display_name);
    if !agent.description.is_empty() {
        out.localized("description", &agent.description);
    }
    out.list("requiredScopes", agent.required_scopes.clone());
    if let Some(instructions) = &agent.instructions {
        out.put("userPrompt", instructions.general.as_str());
    }
    out.list("triggers", agent.triggers.iter().map(write_trigger));
    if let Some(llm) = &agent.llm {
        out.put("llmConfig", write_llm(llm, additional.clone()));
    }
    out.list("mcpServers", agent.mcp_servers.iter().map(write_mcp))
        .list("nativeTools", agent.tools.iter().map(write_tool))
        .list("agentCollaborations", agent.collaborations.iter().map(write_collaboration))
        .opt("maxRecursionLimit", agent.max_recursion_limit)
        .opt("enableMemory", agent.enable_memory)
        .string("icon", &agent.icon)
        .list("tags", agent.tags.clone())
        .string("type", &agent.category)
        .string("templatePrompt", &agent.template_prompt)
        .string("outputFormat", &agent.output_schema_json)
        .opt("handOff", agent.hand_off)
        .opt("enabled", enabled(agent.status));
    out.opt(extension::KEY, extension::write_entity(&residue(agent, additional)));
    out.take()
}

pub fn read(object: &Obj, errs: &mut Violations) -> Agent {
    let mut agent: Agent = extension::read(object, errs);
    set(&mut agent.display_name, object.texts("name", errs));
    set(&mut agent.description, object.texts("description", errs));
    set(&mut agent.required_scopes, object.strings("requiredScopes", errs));
    if let Some(v) = object.string("userPrompt", errs) {
        agent.instructions.get_or_insert_default().general = v;
    }
    if let Some(items) = object.objects("triggers", errs) {
        agent.triggers = items.iter().map(|t| read_trigger(t, errs)).collect();
    }
    if let Some(llm) = object.object("llmConfig", errs) {
        read_llm(&llm, agent.llm.get_or_insert_default(), errs);
        if let Some(params) = llm.get("additionalParams") {
            set_additional_params(&mut agent.extra_json, params);
        }
    }
    if let Some(items) = object.objects("mcpServers", errs) {
        agent.mcp_servers = items.iter().map(|m| read_mcp(m, errs)).collect();
    }
    if let Some(items) = object.objects("nativeTools", errs) {
        agent.tools = items.iter().map(|t| read_tool(t, errs)).collect();
    }
    if let Some(items) = object.objects("agentCollaborations", errs) {
        agent.collaborations = items.iter().map(|c| read_collaboration(c, errs)).collect();
    }
    set(&mut agent.max_recursion_limit, object.i32("maxRecursionLimit", errs).map(Some));
    // `enableMemory` is what Emporix writes; the documented `enabledMemory` is accepted too.
    let memory = object.bool("enableMemory", errs);
    let memory = memory.or_else(|| object.bool("enabledMemory", errs));
    set(&mut agent.enable_memory, memory.map(Some));
    set(&mut agent.icon, object.string("icon", errs));
    set(&mut agent.tags, object.strings("tags", errs));
    set(&mut agent.category, object.string("type", errs));
    set(&mut agent.template_prompt, object.string("templatePrompt", errs));
    set(&mut agent.output_schema_json, object.string("outputFormat", errs));
    set(&mut agent.hand_off, object.bool("handOff", errs).map(Some));
    if let Some(v) = object.bool("enabled", errs) {
        agent.status = status(v, agent.status);
    }
    agent
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

fn write_trigger(trigger: &Trigger) -> Value {
    let mut config = Out::new();
    config.some("events", trigger.events.clone());
    if let Some(filter) = verbatim::parse(&trigger.filter_json) {
        config.put("filter", filter);
    }
    let config = config.take();
    let has_config = config.as_object().is_some_and(|c| !c.is_empty());

    let mut out = Out::new();
    out.string("type", &trigger.r#type);
    if has_config {
        out.put("config", config);
    } else if trigger.null_config {
        out.put("config", Value::Null);
    }
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
    out.opt(extension::KEY, extension::write(&rest));
    out.take()
}

fn read_trigger(object: &Obj, errs: &mut Violations) -> Trigger {
    let mut trigger: Trigger = extension::read(object, errs);
    if let Some(v) = object.string("type", errs) {
        trigger.r#type = v;
    }
    match object.map.get("config") {
        None => {}
        Some(Value::Null) => trigger.null_config = true,
        Some(Value::Object(_)) => {
            let config = object.object("config", errs).expect("checked to be an object");
            if let Some(v) = config.string_or_strings("events", errs) {
                trigger.events = v;
            }
            if let Some(filter) = config.get("filter") {
                verbatim::overlay(&mut trigger.filter_json, filter);
            }
        }
        Some(other) => errs.push(FieldViolation::new(
            object.path("config"),
            format!("must be an object or null, not {}", super::read::kind(other)),
        )),
    }
    trigger
}

fn write_llm(llm: &LlmConfig, additional: Option<Value>) -> Value {
    let mut out = Out::new();
    out.string("model", &llm.model)
        .float("temperature", llm.temperature)
        .opt("maxTokens", llm.max_tokens)
        .string("provider", &llm.provider)
        .reference("token", &llm.token_id);
    if let Some(params) = &llm.self_hosted {
        let mut self_hosted = Out::new();
        self_hosted
            .string("url", &params.url)
            .string("authorizationHeaderName", &params.authorization_header_name)
            .reference("authorizationHeaderToken", &params.authorization_header_token_id)
            .reference("oauth", &params.oauth_id);
        out.put("selfHostedParams", self_hosted);
    }
    out.string("baseProvider", &llm.base_provider).opt("additionalParams", additional);
    out.take()
}

fn read_llm(object: &Obj, llm: &mut LlmConfig, errs: &mut Violations) {
    set(&mut llm.model, object.string("model", errs));
    set(&mut llm.temperature, object.f64("temperature", errs).map(Some));
    set(&mut llm.max_tokens, object.i32("maxTokens", errs).map(Some));
    set(&mut llm.provider, object.string("provider", errs));
    set(&mut llm.token_id, object.reference("token", errs));
    if let Some(params) = object.object("selfHostedParams", errs) {
        let self_hosted = llm.self_hosted.get_or_insert_with(SelfHostedParams::default);
        set(&mut self_hosted.url, params.string("url", errs));
        set(&mut self_hosted.authorization_header_name, params.string("authorizationHeaderName", errs));
        set(&mut self_hosted.authorization_header_token_id, params.reference("authorizationHeaderToken", errs));
        set(&mut self_hosted.oauth_id, params.reference("oauth", errs));
    }
    set(&mut llm.base_provider, object.string("baseProvider", errs));
}

fn write_mcp(attachment: &McpServerAttachment) -> Value {
    Out::new()
        .string("type", &attachment.r#type)
        .string("domain", &attachment.domain)
        .reference("mcpServer", &attachment.mcp_server_id)
        .some("tools", attachment.tools.clone())
        .take()
}

fn read_mcp(object: &Obj, errs: &mut Violations) -> McpServerAttachment {
    McpServerAttachment {
        r#type: object.string("type", errs).unwrap_or_default(),
        domain: object.string("domain", errs).unwrap_or_default(),
        mcp_server_id: object.reference("mcpServer", errs).unwrap_or_default(),
        tools: object.strings("tools", errs).unwrap_or_default(),
    }
}

fn write_tool(tool: &ToolAttachment) -> Value {
    Out::new().string("id", &tool.tool_id).some("allowedOperations", tool.operations.clone()).take()
}

fn read_tool(object: &Obj, errs: &mut Violations) -> ToolAttachment {
    ToolAttachment {
        tool_id: object.string("id", errs).unwrap_or_default(),
        operations: object.strings("allowedOperations", errs).unwrap_or_default(),
    }
}

fn write_collaboration(collaboration: &Collaboration) -> Value {
    Out::new().string("agentId", &collaboration.agent_id).string("description", &collaboration.description).take()
}

fn read_collaboration(object: &Obj, errs: &mut Violations) -> Collaboration {
    Collaboration {
        agent_id: object.string("agentId", errs).unwrap_or_default(),
        description: object.string("description", errs).unwrap_or_default(),
    }
}
