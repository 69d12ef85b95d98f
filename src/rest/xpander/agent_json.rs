//! The canonical `Agent` <-> xpander `AIAgent` (docs/canonical-model.md, "xpander AIAgent").
//! Output writes every field, unset ones with the dialect's documented defaults; input reads
//! the given keys onto an agent and says which canonical fields they touched, so that an update
//! changes only those.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value, json};

use super::dto::{AgentKnowledgeBase, AiAgent, Connector, Instructions, MinimalAiAgent};
use super::enums::{
    AccessScope, AgentStatus, AgentType, CredentialsKeyType, DelegationEndStrategy, DelegationMemoryStrategy,
    DelegationType, DeploymentType, ModelProvider, OutputFormat, ReasoningEffort, WireEnum,
};
use super::http::id_of;
use crate::domain::bundle::read::{Obj, Violations, set};
use crate::domain::bundle::verbatim;
use crate::domain::clock::iso8601;
use crate::domain::template::agent::{read_status, status_name};
use crate::domain::template::fields::{Shape, required_string, string_map, verbatim_text, verbatim_value};
use crate::domain::template::graph;
use crate::domain::validate::preferred_text;
use crate::error::FieldViolation;
use crate::proto::{
    Agent, AgentFlags, ConnectivityDetails, Delegation, KnowledgeBaseAttachment, LlmConfig, LlmCredentials,
    Notification, NotificationSettings, OidcSettings, SlackCredentials, ToolAttachment,
};

/// `extra_json` keys of the dialect's fields that have no typed home.
const EXTRA_TOOLS: &str = "tools";
const EXTRA_CREATED_BY_DETAILS: &str = "created_by_details";
const LOGO_URL: &str = "https://assets.xpanderai.io/xpander-logo.png";

fn text_or(value: &str, default: &str) -> String {
    if value.is_empty() { default.to_owned() } else { value.to_owned() }
}

fn non_empty(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

fn micros(at: &Option<crate::domain::timestamp::Timestamp>) -> Option<String> {
    at.as_ref().map(|t| iso8601(t.seconds * 1_000_000 + i64::from(t.nanos) / 1000))
}

fn extra(agent: &Agent) -> Map<String, Value> {
    match verbatim::parse(&agent.extra_json) {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// `agno_settings` when the agent has none (reference §5.7, [OAS] defaults).
fn default_agno_settings() -> Value {
    json!({
        "session_storage": true,
        "agent_memories": false,
        "agentic_culture": false,
        "user_memories": false,
        "agentic_memory": false,
        "session_summaries": false,
        "num_history_runs": 3,
        "max_tool_calls_from_history": 0,
        "tool_call_limit": 0,
        "coordinate_mode": true,
        "pii_detection_enabled": false,
        "pii_detection_mask": true,
        "prompt_injection_detection_enabled": false,
        "openai_moderation_enabled": false,
        "openai_moderation_categories": null,
        "reasoning_tools_enabled": true,
        "tool_calls_compression": {"enabled": true, "threshold": 3, "instructions": ""},
    })
}

fn instructions(agent: &Agent) -> Instructions {
    let i = agent.instructions.clone().unwrap_or_default();
    Instructions { role: i.role, goal: i.goal, general: i.general }
}

/// The full `AIAgent` of `agent` in `tenant`; `origin` is where the caller reached us.
pub fn ai_agent(agent: &Agent, tenant: &str, origin: &str) -> AiAgent {
    let id = id_of(&agent.name);
    let llm = agent.llm.clone().unwrap_or_default();
    let delegation = agent.delegation.clone().unwrap_or_default();
    let flags = agent.flags.unwrap_or_default();
    let oidc = agent.oidc.clone().unwrap_or_default();
    let extra = extra(agent);
    AiAgent {
        id: non_empty(&id),
        unique_name: non_empty(&agent.unique_name),
        origin_template: non_empty(&agent.origin_template),
        delegation_end_strategy: DelegationEndStrategy::or(&delegation.end_strategy, "return-to-start"),
        environment_id: non_empty(&agent.environment_id),
        sub_agents_continuous_thread: delegation.sub_agents_continuous_thread.unwrap_or(true),
        deployment_type: DeploymentType::or(&agent.deployment_type, "serverless"),
        created_by_prompt: non_empty(&agent.created_by_prompt),
        prompts: agent.prompts.clone(),
        is_latest: flags.is_latest.unwrap_or(false),
        has_pending_changes: flags.has_pending_changes.unwrap_or(false),
        name: preferred_text(&agent.display_name),
        connectivity_details: agent.connectivity.as_ref().map_or_else(|| json!({}), connectivity),
        framework: text_or(&agent.framework, "agno"),
        description: preferred_text(&agent.description),
        tools: extra.get(EXTRA_TOOLS).and_then(Value::as_array).cloned().unwrap_or_default(),
        icon: text_or(&agent.icon, "🚀"),
        avatar: text_or(&agent.avatar, "male-avatar"),
        source_nodes: agent.source_nodes.iter().filter_map(graph::write_source).collect(),
        attached_tools: agent
            .tools
            .iter()
            .map(|t| Connector { id: t.tool_id.clone(), operation_ids: t.operations.clone() })
            .collect(),
        access_scope: AccessScope::or(&agent.access_scope, "personal"),
        instructions: instructions(agent),
        oas: verbatim_value(&agent.oas_json, Shape::Object).unwrap_or_else(|| json!({})),
        graph: agent.graph.iter().filter_map(graph::write_item).collect(),
        llm_settings: agent.llm_settings.iter().map(graph::write_llm).collect(),
        status: AgentStatus(status_name(agent.status).unwrap_or("ACTIVE").to_owned()),
        knowledge_bases: agent
            .knowledge_bases
            .iter()
            .map(|k| AgentKnowledgeBase {
                id: k.knowledge_base_id.clone(),
                name: non_empty(&k.display_name),
                description: non_empty(&k.description),
                strategy: text_or(&k.strategy, "vanilla"),
                rw: k.read_write,
                documents: k.documents.clone(),
            })
            .collect(),
        version: agent.deployed_version.unwrap_or(1),
        organization_id: tenant.to_owned(),
        created_by: non_empty(&agent.created_by),
        created_at: micros(&agent.create_time),
        kind: AgentType::documented(&agent.kind),
        delegation_type: DelegationType::or(&delegation.r#type, "router"),
        delegation_memory_strategy: DelegationMemoryStrategy::or(&delegation.memory_strategy, "summarization"),
        is_ai_employee: flags.is_ai_employee.unwrap_or(false),
        using_nemo: flags.using_nemo.unwrap_or(false),
        deletable: flags.deletable.unwrap_or(true),
        model_provider: ModelProvider::or(&llm.provider, "openai"),
        model_name: text_or(&llm.model, "gpt-4.1"),
        llm_api_base: non_empty(&llm.api_base),
        output_format: OutputFormat::or(&agent.output_format, "markdown"),
        output_schema: verbatim::parse(&agent.output_schema_json),
        llm_credentials_key: non_empty(&llm.credentials_key),
        llm_credentials_key_type: CredentialsKeyType::or(&llm.credentials_key_type, "xpander"),
        llm_credentials: None,
        expected_output: agent.expected_output.clone(),
        agno_settings: verbatim_value(&agent.agno_settings_json, Shape::Object).unwrap_or_else(default_agno_settings),
        on_prem_event_streaming: flags.on_prem_event_streaming.unwrap_or(true),
        prompts_caching_enabled: flags.prompts_caching_enabled.unwrap_or(false),
        is_generalist: flags.is_generalist.unwrap_or(false),
        webhook_url: format!("{origin}/v1/agents/{id}/invoke"),
        llm_reasoning_effort: ReasoningEffort::or(&llm.reasoning_effort, "medium"),
        llm_extra_headers: json!({}),
        deep_planning: flags.deep_planning.unwrap_or(false),
        enforce_deep_planning: flags.enforce_deep_planning.unwrap_or(false),
        voice_id: non_empty(&agent.voice_id),
        orchestration_nodes: verbatim::parse(&agent.orchestration_nodes_json)
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default(),
        task_level_strategies: verbatim::parse(&agent.task_level_strategies_json),
        notification_settings: agent.notifications.as_ref().map_or_else(|| json!({}), notifications),
        use_oidc_pre_auth: oidc.use_oidc_pre_auth.unwrap_or(false),
        pre_auth_audiences: oidc.pre_auth_audiences.clone(),
        use_oidc_pre_auth_token_for_llm: oidc.use_oidc_pre_auth_token_for_llm.unwrap_or(false),
        oidc_pre_auth_token_llm_audience: non_empty(&oidc.oidc_pre_auth_token_llm_audience),
        oidc_pre_auth_token_mcp_audience: non_empty(&oidc.oidc_pre_auth_token_mcp_audience),
        created_by_details: extra.get(EXTRA_CREATED_BY_DETAILS).cloned(),
    }
}

/// The `MinimalAIAgent` projection.
pub fn minimal(agent: &Agent, tenant: &str) -> MinimalAiAgent {
    let full = ai_agent(agent, tenant, "");
    let coordinate_mode = full.agno_settings.get("coordinate_mode").and_then(Value::as_bool).unwrap_or(true);
    MinimalAiAgent {
        id: full.id,
        name: full.name,
        description: Some(full.description),
        icon: Some(full.icon),
        status: Some(full.status),
        organization_id: full.organization_id,
        deployment_type: Some(full.deployment_type),
        created_at: full.created_at,
        instructions: Some(full.instructions),
        model_provider: Some(full.model_provider),
        llm_api_base: full.llm_api_base,
        model_name: Some(full.model_name),
        framework: Some(full.framework),
        using_nemo: Some(full.using_nemo),
        is_coordinate_mode: Some(coordinate_mode),
        has_pending_changes: Some(full.has_pending_changes),
    }
}

/// Write-only values (`custom_headers`, `auth_value`, `curl_command`) are left out.
fn connectivity(details: &ConnectivityDetails) -> Value {
    let mut out = Map::new();
    out.insert("custom_headers".into(), json!({}));
    out.insert("auth_type".into(), text_or(&details.auth_type, "none").into());
    out.insert("api_key_header_name".into(), text_or(&details.api_key_header_name, "X-API-Key").into());
    out.insert("auth_value".into(), Value::Null);
    let optional = [
        ("agent_url", &details.agent_url),
        ("invoke_url", &details.invoke_url),
        ("method", &details.method),
        ("prompt_field_name", &details.prompt_field_name),
        ("files_field_name", &details.files_field_name),
        ("task_id_field_name", &details.task_id_field_name),
    ];
    for (key, value) in optional {
        if !value.is_empty() {
            out.insert(key.into(), value.as_str().into());
        }
    }
    Value::Object(out)
}

/// Grouped back by channel, in order; credentials and header values are left out.
fn notifications(settings: &NotificationSettings) -> Value {
    let group = |list: &[Notification]| {
        let mut by_channel = Map::new();
        for n in list {
            let mut out = Map::new();
            out.insert("subject".into(), non_empty(&n.subject).into());
            out.insert("body".into(), non_empty(&n.body).into());
            out.insert("approve_button_text".into(), text_or(&n.approve_button_text, "Approve").into());
            out.insert("deny_button_text".into(), text_or(&n.deny_button_text, "Deny").into());
            out.insert("logo_url".into(), text_or(&n.logo_url, LOGO_URL).into());
            match n.channel.as_str() {
                "email" => {
                    out.insert("to".into(), n.to.clone().into());
                }
                "slack" => {
                    out.insert("channels".into(), n.channels.clone().into());
                    out.insert("credentials".into(), json!({}));
                }
                "webhook" => {
                    out.insert("url".into(), n.url.clone().into());
                    out.insert("headers".into(), json!({}));
                }
                _ => {}
            }
            let entry = by_channel.entry(n.channel.clone()).or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = entry {
                items.push(Value::Object(out));
            }
        }
        Value::Object(by_channel)
    };
    json!({"on_success": group(&settings.on_success), "on_error": group(&settings.on_error)})
}

/// Reads the `AIAgent` keys of a create or update body onto `agent`. Returns the top-level
/// canonical fields it touched; problems go to `errs` with their body paths.
pub fn apply(body: &Obj, agent: &mut Agent, errs: &mut Violations) -> BTreeSet<&'static str> {
    let mut r = Reader { o: body, errs, touched: BTreeSet::new() };
    r.localized("name", "display_name", &mut agent.display_name);
    r.localized("description", "description", &mut agent.description);
    for (key, field, slot) in [
        ("unique_name", "unique_name", &mut agent.unique_name),
        ("icon", "icon", &mut agent.icon),
        ("avatar", "avatar", &mut agent.avatar),
        ("type", "kind", &mut agent.kind),
        ("created_by", "created_by", &mut agent.created_by),
        ("created_by_prompt", "created_by_prompt", &mut agent.created_by_prompt),
        ("expected_output", "expected_output", &mut agent.expected_output),
        ("access_scope", "access_scope", &mut agent.access_scope),
        ("deployment_type", "deployment_type", &mut agent.deployment_type),
        ("framework", "framework", &mut agent.framework),
        ("environment_id", "environment_id", &mut agent.environment_id),
        ("output_format", "output_format", &mut agent.output_format),
        ("voice_id", "voice_id", &mut agent.voice_id),
    ] {
        r.string(key, field, slot);
    }
    if let Some(status) = read_status(r.o, r.errs) {
        agent.status = status;
        r.touched.insert("status");
    }
    if let Some(prompts) = r.o.strings("prompts", r.errs) {
        agent.prompts = prompts;
        r.touched.insert("prompts");
    }
    if let Some(sub) = r.o.object("instructions", r.errs) {
        let instructions = agent.instructions.get_or_insert_with(Default::default);
        set(&mut instructions.role, sub.strings("role", r.errs));
        set(&mut instructions.goal, sub.strings("goal", r.errs));
        set(&mut instructions.general, sub.string("general", r.errs));
        r.touched.insert("instructions");
    }
    for (key, field, slot, shape) in [
        ("output_schema", "output_schema_json", &mut agent.output_schema_json, Shape::Object),
        ("oas", "oas_json", &mut agent.oas_json, Shape::Object),
        ("agno_settings", "agno_settings_json", &mut agent.agno_settings_json, Shape::Object),
        ("task_level_strategies", "task_level_strategies_json", &mut agent.task_level_strategies_json, Shape::Object),
        ("orchestration_nodes", "orchestration_nodes_json", &mut agent.orchestration_nodes_json, Shape::Array),
    ] {
        if let Some(text) = verbatim_text(r.o, key, shape, r.errs) {
            *slot = text;
            r.touched.insert(field);
        }
    }
    r.extra(agent);
    r.llm(agent);
    r.delegation(agent);
    r.flags(agent);
    r.oidc(agent);
    r.lists(agent);
    if let Some(sub) = r.o.object("connectivity_details", r.errs) {
        agent.connectivity = Some(read_connectivity(&sub, r.errs));
        r.touched.insert("connectivity");
    }
    if let Some(sub) = r.o.object("notification_settings", r.errs) {
        agent.notifications = Some(read_notifications(&sub, r.errs));
        r.touched.insert("notifications");
    }
    r.touched
}

/// Reads a create body: `name` is required; unset status and type get the dialect's defaults.
pub fn create(body: &Obj, errs: &mut Violations) -> Agent {
    if body.get("name").is_none() {
        errs.push(FieldViolation::new(body.path("name"), "is required"));
    }
    let mut agent = Agent::default();
    let touched = apply(body, &mut agent, errs);
    if !touched.contains("status") {
        agent.status = crate::proto::AgentStatus::Active as i32;
    }
    if !touched.contains("kind") {
        agent.kind = "manager".to_owned();
    }
    agent
}

struct Reader<'a, 'o> {
    o: &'a Obj<'o>,
    errs: &'a mut Violations,
    touched: BTreeSet<&'static str>,
}

impl Reader<'_, '_> {
    fn given(&self, keys: &[&str]) -> bool {
        keys.iter().any(|k| self.o.get(k).is_some())
    }

    fn string(&mut self, key: &str, field: &'static str, slot: &mut String) {
        if let Some(value) = self.o.string(key, self.errs) {
            *slot = value;
            self.touched.insert(field);
        }
    }

    /// A plain string is the `"en"` entry of a localized map; other languages stay.
    fn localized(&mut self, key: &str, field: &'static str, map: &mut HashMap<String, String>) {
        if let Some(text) = self.o.string(key, self.errs) {
            if text.is_empty() {
                map.remove("en");
            } else {
                map.insert("en".to_owned(), text);
            }
            self.touched.insert(field);
        }
    }

    fn flag(&mut self, key: &str, slot: &mut Option<bool>) {
        set(slot, self.o.bool(key, self.errs).map(Some));
    }

    fn extra(&mut self, agent: &mut Agent) {
        let mut map = extra(agent);
        let mut changed = false;
        if let Some(items) = self.o.array(EXTRA_TOOLS, self.errs) {
            map.insert(EXTRA_TOOLS.into(), Value::Array(items.into_iter().map(|i| i.value.clone()).collect()));
            changed = true;
        }
        if let Some(details) = self.o.object(EXTRA_CREATED_BY_DETAILS, self.errs) {
            map.insert(EXTRA_CREATED_BY_DETAILS.into(), Value::Object(details.map.clone()));
            changed = true;
        }
        if changed {
            agent.extra_json = verbatim::text(&Value::Object(map));
            self.touched.insert("extra_json");
        }
    }

    fn llm(&mut self, agent: &mut Agent) {
        let keys = [
            "model_provider",
            "model_name",
            "llm_api_base",
            "llm_credentials_key",
            "llm_credentials_key_type",
            "llm_credentials",
            "llm_reasoning_effort",
            "llm_extra_headers",
        ];
        if !self.given(&keys) {
            return;
        }
        let llm = agent.llm.get_or_insert_with(LlmConfig::default);
        for (key, slot) in [
            ("model_provider", &mut llm.provider),
            ("model_name", &mut llm.model),
            ("llm_api_base", &mut llm.api_base),
            ("llm_credentials_key", &mut llm.credentials_key),
            ("llm_credentials_key_type", &mut llm.credentials_key_type),
            ("llm_reasoning_effort", &mut llm.reasoning_effort),
        ] {
            set(slot, self.o.string(key, self.errs));
        }
        if let Some(sub) = self.o.object("llm_credentials", self.errs) {
            llm.credentials = Some(LlmCredentials {
                name: sub.string("name", self.errs).unwrap_or_default(),
                description: sub.string("description", self.errs).unwrap_or_default(),
                value: sub.string("value", self.errs).unwrap_or_default(),
            });
        }
        if self.o.get("llm_extra_headers").is_some() {
            llm.extra_headers = string_map(self.o, "llm_extra_headers", self.errs);
        }
        self.touched.insert("llm");
    }

    fn delegation(&mut self, agent: &mut Agent) {
        let keys = [
            "delegation_type",
            "delegation_memory_strategy",
            "delegation_end_strategy",
            "sub_agents_continuous_thread",
        ];
        if !self.given(&keys) {
            return;
        }
        let delegation = agent.delegation.get_or_insert_with(Delegation::default);
        set(&mut delegation.r#type, self.o.string("delegation_type", self.errs));
        set(&mut delegation.memory_strategy, self.o.string("delegation_memory_strategy", self.errs));
        set(&mut delegation.end_strategy, self.o.string("delegation_end_strategy", self.errs));
        self.flag("sub_agents_continuous_thread", &mut delegation.sub_agents_continuous_thread);
        self.touched.insert("delegation");
    }

    fn flags(&mut self, agent: &mut Agent) {
        let keys = [
            "is_ai_employee",
            "using_nemo",
            "deletable",
            "is_latest",
            "has_pending_changes",
            "is_generalist",
            "prompts_caching_enabled",
            "on_prem_event_streaming",
            "deep_planning",
            "enforce_deep_planning",
        ];
        if !self.given(&keys) {
            return;
        }
        let flags = agent.flags.get_or_insert_with(AgentFlags::default);
        for (key, slot) in keys.into_iter().zip([
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
        ]) {
            set(slot, self.o.bool(key, self.errs).map(Some));
        }
        self.touched.insert("flags");
    }

    fn oidc(&mut self, agent: &mut Agent) {
        let keys = [
            "use_oidc_pre_auth",
            "pre_auth_audiences",
            "use_oidc_pre_auth_token_for_llm",
            "oidc_pre_auth_token_llm_audience",
            "oidc_pre_auth_token_mcp_audience",
        ];
        if !self.given(&keys) {
            return;
        }
        let oidc = agent.oidc.get_or_insert_with(OidcSettings::default);
        self.flag("use_oidc_pre_auth", &mut oidc.use_oidc_pre_auth);
        set(&mut oidc.pre_auth_audiences, self.o.strings("pre_auth_audiences", self.errs));
        self.flag("use_oidc_pre_auth_token_for_llm", &mut oidc.use_oidc_pre_auth_token_for_llm);
        set(&mut oidc.oidc_pre_auth_token_llm_audience, self.o.string("oidc_pre_auth_token_llm_audience", self.errs));
        set(&mut oidc.oidc_pre_auth_token_mcp_audience, self.o.string("oidc_pre_auth_token_mcp_audience", self.errs));
        self.touched.insert("oidc");
    }

    /// `attached_tools`, `knowledge_bases`, `graph`, `source_nodes`, `llm_settings`: each
    /// replaces its list.
    fn lists(&mut self, agent: &mut Agent) {
        if let Some(items) = self.o.objects("attached_tools", self.errs) {
            agent.tools = items
                .iter()
                .map(|o| ToolAttachment {
                    tool_id: required_string(o, "id", self.errs),
                    operations: o.strings("operation_ids", self.errs).unwrap_or_default(),
                })
                .collect();
            self.touched.insert("tools");
        }
        if let Some(items) = self.o.objects("knowledge_bases", self.errs) {
            agent.knowledge_bases = items
                .iter()
                .map(|o| KnowledgeBaseAttachment {
                    knowledge_base_id: required_string(o, "id", self.errs),
                    display_name: o.string("name", self.errs).unwrap_or_default(),
                    description: o.string("description", self.errs).unwrap_or_default(),
                    strategy: o.string("strategy", self.errs).unwrap_or_else(|| "vanilla".to_owned()),
                    read_write: o.bool("rw", self.errs).unwrap_or(false),
                    documents: o.strings("documents", self.errs).unwrap_or_default(),
                })
                .collect();
            self.touched.insert("knowledge_bases");
        }
        if let Some(items) = self.o.objects("graph", self.errs) {
            agent.graph = items.iter().map(|o| graph::read_item(o, self.errs)).collect();
            self.touched.insert("graph");
        }
        if let Some(items) = self.o.objects("source_nodes", self.errs) {
            agent.source_nodes = items.iter().map(|o| graph::read_source(o, self.errs)).collect();
            self.touched.insert("source_nodes");
        }
        if let Some(items) = graph::read_llms(self.o, self.errs) {
            agent.llm_settings = items;
            self.touched.insert("llm_settings");
        }
    }
}

fn read_connectivity(o: &Obj, errs: &mut Violations) -> ConnectivityDetails {
    let text = |key: &str, errs: &mut Violations| o.string(key, errs).unwrap_or_default();
    ConnectivityDetails {
        custom_headers: string_map(o, "custom_headers", errs),
        auth_type: text("auth_type", errs),
        api_key_header_name: text("api_key_header_name", errs),
        auth_value: text("auth_value", errs),
        agent_url: text("agent_url", errs),
        curl_command: text("curl_command", errs),
        invoke_url: text("invoke_url", errs),
        method: text("method", errs),
        prompt_field_name: text("prompt_field_name", errs),
        files_field_name: text("files_field_name", errs),
        task_id_field_name: text("task_id_field_name", errs),
        present: true,
    }
}

fn read_notifications(o: &Obj, errs: &mut Violations) -> NotificationSettings {
    let read = |key: &str, errs: &mut Violations| {
        let mut out = Vec::new();
        let Some(channels) = o.object(key, errs) else { return out };
        for (channel, list) in channels.map {
            let path = channels.path(channel);
            let Some(items) = list.as_array() else {
                if !list.is_null() {
                    errs.push(FieldViolation::new(path, "must be an array"));
                }
                continue;
            };
            for (i, item) in items.iter().enumerate() {
                let Some(map) = item.as_object() else {
                    errs.push(FieldViolation::new(format!("{path}[{i}]"), "must be an object"));
                    continue;
                };
                let d = Obj { map, path: format!("{path}[{i}]") };
                let text = |key: &str, errs: &mut Violations| d.string(key, errs).unwrap_or_default();
                let credentials = d.object("credentials", errs).map(|c| {
                    let secret = |key: &str, errs: &mut Violations| c.string(key, errs).unwrap_or_default();
                    SlackCredentials {
                        authed_user_id: secret("authed_user_id", errs),
                        access_token: secret("access_token", errs),
                        client_id: secret("client_id", errs),
                        client_secret: secret("client_secret", errs),
                        verification_token: secret("verification_token", errs),
                        signing_secret: secret("signing_secret", errs),
                        app_configuration_token: secret("app_configuration_token", errs),
                        app_configuration_refresh_token: secret("app_configuration_refresh_token", errs),
                    }
                });
                out.push(Notification {
                    channel: channel.clone(),
                    subject: text("subject", errs),
                    body: text("body", errs),
                    approve_button_text: text("approve_button_text", errs),
                    deny_button_text: text("deny_button_text", errs),
                    logo_url: text("logo_url", errs),
                    to: d.strings("to", errs).unwrap_or_default(),
                    channels: d.strings("channels", errs).unwrap_or_default(),
                    slack_credentials: credentials,
                    url: text("url", errs),
                    headers: string_map(&d, "headers", errs),
                });
            }
        }
        out
    };
    let on_success = read("on_success", errs);
    let on_error = read("on_error", errs);
    NotificationSettings { on_success, on_error, present: true }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: &Value) -> Obj<'_> {
        Obj { map: value.as_object().unwrap(), path: String::new() }
    }

    #[test]
    fn a_create_body_round_trips_through_the_canonical_agent() {
        let input = json!({
            "name": "Support", "description": "Helps", "icon": "🎧", "type": "regular", "status": "DRAFT",
            "model_provider": "anthropic", "model_name": "claude", "llm_reasoning_effort": "high",
            "llm_credentials": {"name": "key", "value": "sk-SECRET"}, "llm_extra_headers": {"x": "SECRET"},
            "instructions": {"role": ["r"], "goal": ["g"], "general": "be nice"},
            "graph": [{"item_id": "sub", "type": "agent", "targets": []}],
            "attached_tools": [{"id": "crm", "operation_ids": ["get"]}],
            "knowledge_bases": [{"id": "kb", "strategy": "agentic_rag", "rw": true}],
            "agno_settings": {"coordinate_mode": false}, "deep_planning": true,
            "tools": [{"id": "t"}], "output_schema": {"type": "object"},
            "connectivity_details": {"auth_type": "bearer", "auth_value": "SECRET", "agent_url": "https://a"},
            "notification_settings": {"on_error": {"email": [{"to": ["a@b.c"]}]}},
        });
        let mut errs = Vec::new();
        let mut agent = create(&body(&input), &mut errs);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(agent.display_name["en"], "Support");
        assert_eq!(agent.llm.as_ref().unwrap().credentials.as_ref().unwrap().value, "sk-SECRET");
        agent.name = "tenants/acme/agents/a1".into();
        crate::domain::secrets::scrub(&mut agent);
        let out = serde_json::to_value(ai_agent(&agent, "acme", "https://host")).unwrap();
        assert_eq!(out["name"], "Support");
        assert_eq!(out["type"], "regular");
        assert_eq!(out["status"], "DRAFT");
        assert_eq!(out["model_provider"], "anthropic");
        assert_eq!(out["instructions"]["general"], "be nice");
        assert_eq!(out["attached_tools"][0]["operation_ids"][0], "get");
        assert_eq!(out["knowledge_bases"][0]["rw"], true);
        assert_eq!(out["agno_settings"]["coordinate_mode"], false);
        assert_eq!(out["tools"][0]["id"], "t");
        assert_eq!(out["deep_planning"], true);
        assert_eq!(out["connectivity_details"]["agent_url"], "https://a");
        assert_eq!(out["notification_settings"]["on_error"]["email"][0]["to"][0], "a@b.c");
        assert_eq!(out["webhook_url"], "https://host/v1/agents/a1/invoke");
        assert_eq!(out["organization_id"], "acme");
        assert!(!out.to_string().contains("SECRET"), "{out}");
    }

    #[test]
    fn defaults_fill_an_empty_agent_and_updates_touch_only_given_fields() {
        let out = serde_json::to_value(ai_agent(&Agent::default(), "t", "")).unwrap();
        for (key, value) in [
            ("icon", json!("🚀")),
            ("avatar", json!("male-avatar")),
            ("access_scope", json!("personal")),
            ("framework", json!("agno")),
            ("model_provider", json!("openai")),
            ("model_name", json!("gpt-4.1")),
            ("output_format", json!("markdown")),
            ("deployment_type", json!("serverless")),
            ("status", json!("ACTIVE")),
            ("version", json!(1)),
            ("deletable", json!(true)),
        ] {
            assert_eq!(out[key], value, "{key}");
        }
        let mut agent = Agent { icon: "x".into(), ..Default::default() };
        let mut errs = Vec::new();
        let touched = apply(&body(&json!({"model_name": "m", "status": "nope"})), &mut agent, &mut errs);
        assert_eq!(touched.into_iter().collect::<Vec<_>>(), ["llm"]);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].field, "status");
        assert_eq!(agent.icon, "x");
    }
}
