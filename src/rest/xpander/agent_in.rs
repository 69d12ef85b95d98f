//! An `AgentBuilderCreateAgentRequest` (or the update body, the same keys all optional) onto
//! the canonical `Agent` (docs/canonical-model.md, "xpander AIAgent"). Every key names the
//! proto field it fills once, in [`Check`]: that gives the update mask (the top-level fields
//! the body set) and the body path of any proto field the service refuses.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::dto::{
    AgentBuilderCreateAgentRequest as Body, AgentKnowledgeBase, AiAgentGraphItem, AiAgentGraphItemLlmSettings,
    AiAgentSourceNode, Channels, ConnectivityDetails as WireConnectivity, Connector, LlmCredentials as WireCredentials,
    Notification as WireNotification, NotificationSettings as WireNotifications,
};
use super::enums::{
    AgentStatus as WireStatus, CredentialsKeyType, DelegationEndStrategy, DelegationMemoryStrategy, DelegationType,
    ModelProvider, ReasoningEffort, WireEnum,
};
use super::wire::{Check, Field};
use crate::domain::bundle::verbatim;
use crate::domain::template::fields::{Shape, string_map, verbatim_of};
use crate::domain::template::settings;
use crate::proto::{
    Agent, AgentFlags, AgentStatus, ConnectivityDetails, Delegation, GraphItem, GraphLlmSettings,
    KnowledgeBaseAttachment, LlmConfig, LlmCredentials, Notification, NotificationSettings, OidcSettings,
    SlackCredentials, SourceNode, ToolAttachment,
};

/// `extra_json` keys of the dialect's fields that have no typed home.
pub const EXTRA_TOOLS: &str = "tools";
pub const EXTRA_CREATED_BY_DETAILS: &str = "created_by_details";

/// A create body as a new agent: `name` is required; unset status and type get the dialect's
/// defaults.
pub fn create(body: Body) -> (Agent, Check) {
    let mut c = Check::default();
    if body.name.is_none() {
        c.errs.push(crate::error::FieldViolation::missing("name"));
    }
    let mut agent = Agent::default();
    read(body, &mut agent, &mut c);
    if !c.touched.contains("status") {
        agent.status = AgentStatus::Active as i32;
    }
    if !c.touched.contains("kind") {
        agent.kind = "manager".to_owned();
    }
    (agent, c)
}

/// An update body onto a stored agent: only the given keys change.
pub fn apply(body: Body, agent: &mut Agent) -> Check {
    let mut c = Check::default();
    read(body, agent, &mut c);
    c
}

fn read(b: Body, agent: &mut Agent, c: &mut Check) {
    if let Some(name) = c.text("name", "display_name", b.name) {
        localize(&mut agent.display_name, name);
    }
    if let Some(description) = c.take("description", "description", b.description) {
        localize(&mut agent.description, description);
    }
    for (key, slot, field) in [
        ("unique_name", &mut agent.unique_name, b.unique_name),
        ("icon", &mut agent.icon, b.icon),
        ("avatar", &mut agent.avatar, b.avatar),
        ("created_by", &mut agent.created_by, b.created_by),
        ("created_by_prompt", &mut agent.created_by_prompt, b.created_by_prompt),
        ("expected_output", &mut agent.expected_output, b.expected_output),
        ("framework", &mut agent.framework, b.framework),
        ("environment_id", &mut agent.environment_id, b.environment_id),
        ("voice_id", &mut agent.voice_id, b.voice_id),
    ] {
        set(slot, c.take(key, key, field));
    }
    set(&mut agent.kind, c.take("type", "kind", b.kind).map(name));
    set(&mut agent.access_scope, c.take("access_scope", "access_scope", b.access_scope).map(name));
    set(&mut agent.deployment_type, c.take("deployment_type", "deployment_type", b.deployment_type).map(name));
    set(&mut agent.output_format, c.take("output_format", "output_format", b.output_format).map(name));
    set(&mut agent.status, c.take("status", "status", b.status).map(status));
    set(&mut agent.prompts, c.strings("prompts", "prompts", b.prompts));
    if let Some(given) = c.take("instructions", "instructions", b.instructions) {
        let instructions = agent.instructions.get_or_insert_with(Default::default);
        c.within("instructions", "instructions", |c| {
            set(&mut instructions.role, c.strings("role", "role", given.role));
            set(&mut instructions.goal, c.strings("goal", "goal", given.goal));
            set(&mut instructions.general, c.take("general", "general", given.general));
        });
    }
    for (key, canonical, slot, field, shape) in [
        ("output_schema", "output_schema_json", &mut agent.output_schema_json, b.output_schema, Shape::Object),
        ("oas", "oas_json", &mut agent.oas_json, b.oas, Shape::Object),
        ("agno_settings", "agno_settings_json", &mut agent.agno_settings_json, b.agno_settings, Shape::Object),
        (
            "task_level_strategies",
            "task_level_strategies_json",
            &mut agent.task_level_strategies_json,
            b.task_level_strategies,
            Shape::Object,
        ),
        (
            "orchestration_nodes",
            "orchestration_nodes_json",
            &mut agent.orchestration_nodes_json,
            b.orchestration_nodes,
            Shape::Array,
        ),
    ] {
        let value = c.take(key, canonical, field);
        set(slot, value.and_then(|v| verbatim_of(c, key, v, shape)));
    }
    extra(c, agent, b.tools, b.created_by_details);
    llm(
        c,
        agent,
        Llm {
            provider: b.model_provider,
            model: b.model_name,
            api_base: b.llm_api_base,
            credentials_key: b.llm_credentials_key,
            credentials_key_type: b.llm_credentials_key_type,
            reasoning_effort: b.llm_reasoning_effort,
            credentials: b.llm_credentials,
            extra_headers: b.llm_extra_headers,
        },
    );
    delegation(
        c,
        agent,
        Delegating {
            kind: b.delegation_type,
            memory: b.delegation_memory_strategy,
            end: b.delegation_end_strategy,
            continuous: b.sub_agents_continuous_thread,
        },
    );
    flags(
        c,
        agent,
        [
            ("is_ai_employee", b.is_ai_employee),
            ("using_nemo", b.using_nemo),
            ("deletable", b.deletable),
            ("is_latest", b.is_latest),
            ("has_pending_changes", b.has_pending_changes),
            ("is_generalist", b.is_generalist),
            ("prompts_caching_enabled", b.prompts_caching_enabled),
            ("on_prem_event_streaming", b.on_prem_event_streaming),
            ("deep_planning", b.deep_planning),
            ("enforce_deep_planning", b.enforce_deep_planning),
        ],
    );
    oidc(
        c,
        agent,
        b.use_oidc_pre_auth,
        b.pre_auth_audiences,
        b.use_oidc_pre_auth_token_for_llm,
        b.oidc_pre_auth_token_llm_audience,
        b.oidc_pre_auth_token_mcp_audience,
    );
    if let Some(items) = c.take("attached_tools", "tools", b.attached_tools) {
        agent.tools = c.items("attached_tools", "tools", items, tool);
    }
    if let Some(items) = c.take("knowledge_bases", "knowledge_bases", b.knowledge_bases) {
        agent.knowledge_bases = c.items("knowledge_bases", "knowledge_bases", items, knowledge_base);
    }
    if let Some(items) = c.take("graph", "graph", b.graph) {
        agent.graph = c.items("graph", "graph", items, graph_item);
    }
    if let Some(items) = c.take("source_nodes", "source_nodes", b.source_nodes) {
        agent.source_nodes = c.items("source_nodes", "source_nodes", items, source_node);
    }
    if let Some(items) = c.take("llm_settings", "llm_settings", b.llm_settings) {
        agent.llm_settings = c.items("llm_settings", "llm_settings", items, llm_settings);
    }
    if let Some(given) = c.take("connectivity_details", "connectivity", b.connectivity_details) {
        agent.connectivity = Some(c.within("connectivity_details", "connectivity", |c| connectivity(c, given)));
    }
    if let Some(given) = c.take("notification_settings", "notifications", b.notification_settings) {
        agent.notifications = Some(c.within("notification_settings", "notifications", |c| notifications(c, given)));
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

fn name<E: WireEnum>(value: E) -> String {
    value.as_str().to_owned()
}

fn status(value: WireStatus) -> i32 {
    match value {
        WireStatus::Draft => AgentStatus::Draft as i32,
        WireStatus::Active => AgentStatus::Active as i32,
        WireStatus::Inactive => AgentStatus::Inactive as i32,
    }
}

/// A plain string is the `"en"` entry of a localized map; other languages stay.
fn localize(map: &mut HashMap<String, String>, text: String) {
    if text.is_empty() {
        map.remove("en");
    } else {
        map.insert("en".to_owned(), text);
    }
}

fn extra(c: &mut Check, agent: &mut Agent, tools: Field<Vec<Value>>, details: Field<Map<String, Value>>) {
    let tools = c.take(EXTRA_TOOLS, "extra_json", tools);
    let details = c.take(EXTRA_CREATED_BY_DETAILS, "extra_json", details);
    if tools.is_none() && details.is_none() {
        return;
    }
    let mut map = match verbatim::parse(&agent.extra_json) {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    if let Some(tools) = tools {
        map.insert(EXTRA_TOOLS.into(), Value::Array(tools));
    }
    if let Some(details) = details {
        map.insert(EXTRA_CREATED_BY_DETAILS.into(), Value::Object(details));
    }
    agent.extra_json = verbatim::text(&Value::Object(map));
}

/// The keys of a body that fill `Agent.llm`.
struct Llm {
    provider: Field<ModelProvider>,
    model: Field<String>,
    api_base: Field<String>,
    credentials_key: Field<String>,
    credentials_key_type: Field<CredentialsKeyType>,
    reasoning_effort: Field<ReasoningEffort>,
    credentials: Field<WireCredentials>,
    extra_headers: Field<Map<String, Value>>,
}

fn llm(c: &mut Check, agent: &mut Agent, given: Llm) {
    let provider = c.take("model_provider", "llm.provider", given.provider).map(name);
    let model = c.take("model_name", "llm.model", given.model);
    let api_base = c.take("llm_api_base", "llm.api_base", given.api_base);
    let key = c.take("llm_credentials_key", "llm.credentials_key", given.credentials_key);
    let key_type = c.take("llm_credentials_key_type", "llm.credentials_key_type", given.credentials_key_type).map(name);
    let effort = c.take("llm_reasoning_effort", "llm.reasoning_effort", given.reasoning_effort).map(name);
    let credentials = c.take("llm_credentials", "llm.credentials", given.credentials);
    let headers = c.take("llm_extra_headers", "llm.extra_headers", given.extra_headers);
    if !c.touched.contains("llm") {
        return;
    }
    let llm = agent.llm.get_or_insert_with(LlmConfig::default);
    set(&mut llm.provider, provider);
    set(&mut llm.model, model);
    set(&mut llm.api_base, api_base);
    set(&mut llm.credentials_key, key);
    set(&mut llm.credentials_key_type, key_type);
    set(&mut llm.reasoning_effort, effort);
    if let Some(given) = credentials {
        llm.credentials = Some(c.within("llm_credentials", "llm.credentials", |c| LlmCredentials {
            name: c.take("name", "name", given.name).unwrap_or_default(),
            description: c.take("description", "description", given.description).unwrap_or_default(),
            value: c.take("value", "value", given.value).unwrap_or_default(),
        }));
    }
    set(&mut llm.extra_headers, headers.map(string_map));
}

/// The keys of a body that fill `Agent.delegation`.
struct Delegating {
    kind: Field<DelegationType>,
    memory: Field<DelegationMemoryStrategy>,
    end: Field<DelegationEndStrategy>,
    continuous: Field<bool>,
}

fn delegation(c: &mut Check, agent: &mut Agent, given: Delegating) {
    let kind = c.take("delegation_type", "delegation.type", given.kind).map(name);
    let memory = c.take("delegation_memory_strategy", "delegation.memory_strategy", given.memory).map(name);
    let end = c.take("delegation_end_strategy", "delegation.end_strategy", given.end).map(name);
    let continuous =
        c.take("sub_agents_continuous_thread", "delegation.sub_agents_continuous_thread", given.continuous);
    if !c.touched.contains("delegation") {
        return;
    }
    let delegation = agent.delegation.get_or_insert_with(Delegation::default);
    set(&mut delegation.r#type, kind);
    set(&mut delegation.memory_strategy, memory);
    set(&mut delegation.end_strategy, end);
    set(&mut delegation.sub_agents_continuous_thread, continuous.map(Some));
}

fn flags(c: &mut Check, agent: &mut Agent, given: [(&'static str, Field<bool>); 10]) {
    let values = given.map(|(key, field)| c.take(key, &format!("flags.{key}"), field));
    if !c.touched.contains("flags") {
        return;
    }
    let flags = agent.flags.get_or_insert_with(AgentFlags::default);
    let slots = [
        &mut flags.is_ai_employee,
        &mut flags.using_nemo,
        &mut flags.deletable,
        &mut flags.is_latest,
        &mut flags.has_pending_changes,
        &mut flags.is_generalist,
        &mut flags.prompts_caching_enabled,
        &mut flags.on_prem_event_streaming,
        &mut flags.deep_planning,
        &mut flags.enforce_deep_planning,
    ];
    for (slot, value) in slots.into_iter().zip(values) {
        set(slot, value.map(Some));
    }
}

fn oidc(
    c: &mut Check,
    agent: &mut Agent,
    use_pre_auth: Field<bool>,
    audiences: super::dto::Strings,
    for_llm: Field<bool>,
    llm_audience: Field<String>,
    mcp_audience: Field<String>,
) {
    let use_pre_auth = c.take("use_oidc_pre_auth", "oidc.use_oidc_pre_auth", use_pre_auth);
    let audiences = c.strings("pre_auth_audiences", "oidc.pre_auth_audiences", audiences);
    let for_llm = c.take("use_oidc_pre_auth_token_for_llm", "oidc.use_oidc_pre_auth_token_for_llm", for_llm);
    let llm_audience =
        c.take("oidc_pre_auth_token_llm_audience", "oidc.oidc_pre_auth_token_llm_audience", llm_audience);
    let mcp_audience =
        c.take("oidc_pre_auth_token_mcp_audience", "oidc.oidc_pre_auth_token_mcp_audience", mcp_audience);
    if !c.touched.contains("oidc") {
        return;
    }
    let oidc = agent.oidc.get_or_insert_with(OidcSettings::default);
    set(&mut oidc.use_oidc_pre_auth, use_pre_auth.map(Some));
    set(&mut oidc.pre_auth_audiences, audiences);
    set(&mut oidc.use_oidc_pre_auth_token_for_llm, for_llm.map(Some));
    set(&mut oidc.oidc_pre_auth_token_llm_audience, llm_audience);
    set(&mut oidc.oidc_pre_auth_token_mcp_audience, mcp_audience);
}

fn tool(c: &mut Check, given: Connector) -> ToolAttachment {
    ToolAttachment {
        tool_id: c.required("id", "tool_id", given.id).unwrap_or_default(),
        operations: c.strings("operation_ids", "operations", given.operation_ids).unwrap_or_default(),
    }
}

fn knowledge_base(c: &mut Check, given: AgentKnowledgeBase) -> KnowledgeBaseAttachment {
    KnowledgeBaseAttachment {
        knowledge_base_id: c.required("id", "knowledge_base_id", given.id).unwrap_or_default(),
        display_name: c.take("name", "display_name", given.name).unwrap_or_default(),
        description: c.take("description", "description", given.description).unwrap_or_default(),
        strategy: c.take("strategy", "strategy", given.strategy).unwrap_or_else(|| "vanilla".to_owned()),
        read_write: c.take("rw", "read_write", given.rw).unwrap_or(false),
        documents: c.strings("documents", "documents", given.documents).unwrap_or_default(),
    }
}

/// One graph item; its `settings` are read by the template codec's reader, the shape being the
/// same.
pub fn graph_item(c: &mut Check, given: AiAgentGraphItem) -> GraphItem {
    let mut item = GraphItem {
        item_id: c.required("item_id", "item_id", given.item_id).unwrap_or_default(),
        r#type: c.required("type", "type", given.kind).map(name).unwrap_or_default(),
        targets: c
            .required("targets", "targets", given.targets)
            .map_or_else(Vec::new, |t| c.items("targets", "targets", t, |_, s| s)),
        ..Default::default()
    };
    set(&mut item.id, c.take("id", "id", given.id));
    set(&mut item.display_name, c.take("name", "display_name", given.name));
    set(&mut item.sub_type, c.take("sub_type", "sub_type", given.sub_type).map(name));
    if let Some(given) = c.take("settings", "settings", given.settings) {
        item.settings = Some(c.within("settings", "settings", |c| settings::read(c, given)));
        c.record("settings.schemas.input", "settings.input_schema_json");
        c.record("settings.schemas.output", "settings.output_schema_json");
    }
    if let Some(items) = c.take("llm_settings", "llm_settings", given.llm_settings) {
        item.llm_settings = c.items("llm_settings", "llm_settings", items, llm_settings);
    }
    item.is_first = c.take("is_first", "is_first", given.is_first);
    item
}

pub fn source_node(c: &mut Check, given: AiAgentSourceNode) -> SourceNode {
    SourceNode {
        id: c.take("id", "id", given.id).unwrap_or_default(),
        r#type: c.required("type", "type", given.kind).map(name).unwrap_or_default(),
        targets: c.strings("targets", "targets", given.targets).unwrap_or_default(),
        metadata_json: c
            .take("metadata", "metadata_json", given.metadata)
            .and_then(|v| verbatim_of(c, "metadata", v, Shape::Object))
            .unwrap_or_default(),
    }
}

pub fn llm_settings(c: &mut Check, given: AiAgentGraphItemLlmSettings) -> GraphLlmSettings {
    GraphLlmSettings {
        r#type: c.take("type", "type", given.kind).map(name).unwrap_or_default(),
        provider: c.take("provider", "provider", given.provider).unwrap_or_default(),
        model: c.take("model", "model", given.model).unwrap_or_default(),
        temperature: c.take("temperature", "temperature", given.temperature),
    }
}

fn connectivity(c: &mut Check, given: WireConnectivity) -> ConnectivityDetails {
    let mut text = |key: &str, field: Field<String>| c.take(key, key, field).unwrap_or_default();
    let mut out = ConnectivityDetails {
        auth_type: text("auth_type", given.auth_type),
        api_key_header_name: text("api_key_header_name", given.api_key_header_name),
        auth_value: text("auth_value", given.auth_value),
        agent_url: text("agent_url", given.agent_url),
        curl_command: text("curl_command", given.curl_command),
        invoke_url: text("invoke_url", given.invoke_url),
        method: text("method", given.method),
        prompt_field_name: text("prompt_field_name", given.prompt_field_name),
        files_field_name: text("files_field_name", given.files_field_name),
        task_id_field_name: text("task_id_field_name", given.task_id_field_name),
        present: true,
        ..Default::default()
    };
    out.custom_headers =
        c.take("custom_headers", "custom_headers", given.custom_headers).map(string_map).unwrap_or_default();
    out
}

fn notifications(c: &mut Check, given: WireNotifications) -> NotificationSettings {
    let mut outcome = |key: &str, field: Field<Channels>| {
        let Some(channels) = c.take(key, key, field) else { return Vec::new() };
        c.within(key, key, |c| {
            let mut out = Vec::new();
            for (channel, list) in channels {
                let Some(items) = c.take(&channel, &channel, list) else { continue };
                out.extend(c.items(&channel, &channel, items, |c, n| notification(c, &channel, n)));
            }
            out
        })
    };
    let on_success = outcome("on_success", given.on_success);
    let on_error = outcome("on_error", given.on_error);
    NotificationSettings { on_success, on_error, present: true }
}

fn notification(c: &mut Check, channel: &str, given: WireNotification) -> Notification {
    let text = |c: &mut Check, key: &str, field: Field<String>| c.take(key, key, field).unwrap_or_default();
    let credentials = c.take("credentials", "slack_credentials", given.credentials).map(|s| {
        c.within("credentials", "slack_credentials", |c| SlackCredentials {
            authed_user_id: text(c, "authed_user_id", s.authed_user_id),
            access_token: text(c, "access_token", s.access_token),
            client_id: text(c, "client_id", s.client_id),
            client_secret: text(c, "client_secret", s.client_secret),
            verification_token: text(c, "verification_token", s.verification_token),
            signing_secret: text(c, "signing_secret", s.signing_secret),
            app_configuration_token: text(c, "app_configuration_token", s.app_configuration_token),
            app_configuration_refresh_token: text(
                c,
                "app_configuration_refresh_token",
                s.app_configuration_refresh_token,
            ),
        })
    });
    Notification {
        channel: channel.to_owned(),
        subject: text(c, "subject", given.subject),
        body: text(c, "body", given.body),
        approve_button_text: text(c, "approve_button_text", given.approve_button_text),
        deny_button_text: text(c, "deny_button_text", given.deny_button_text),
        logo_url: text(c, "logo_url", given.logo_url),
        to: c.strings("to", "to", given.to).unwrap_or_default(),
        channels: c.strings("channels", "channels", given.channels).unwrap_or_default(),
        slack_credentials: credentials,
        url: text(c, "url", given.url),
        headers: c.take("headers", "headers", given.headers).map(string_map).unwrap_or_default(),
    }
}
