//! The canonical `Agent` as the xpander `AIAgent` (docs/canonical-model.md, "xpander
//! AIAgent"): every field, unset ones with the dialect's documented defaults; credentials never.

use serde_json::{Map, Value, json};

use super::agent_in::{EXTRA_CREATED_BY_DETAILS, EXTRA_TOOLS};
use super::dto::{
    AgentKnowledgeBase, AiAgent, AiAgentGraphItem, AiAgentGraphItemLlmSettings, AiAgentSourceNode, Channels,
    ConnectivityDetails as WireConnectivity, Connector, Instructions, MinimalAiAgent, Notification as WireNotification,
    NotificationSettings as WireNotifications, SlackCredentials as WireSlack,
};
use super::enums::{
    AccessScope, AgentStatus, AgentType, CredentialsKeyType, DelegationEndStrategy, DelegationMemoryStrategy,
    DelegationType, DeploymentType, GraphItemSubType, GraphItemType, LlmSettingsType, ModelProvider, OutputFormat,
    ReasoningEffort, SourceNodeType, WireEnum,
};
use super::http::id_of;
use super::wire::Field;
use crate::domain::bundle::verbatim;
use crate::domain::clock::iso8601;
use crate::domain::template::agent::status_name;
use crate::domain::template::fields::{Shape, verbatim_value};
use crate::domain::template::settings;
use crate::domain::validate::preferred_text;
use crate::proto::{
    Agent, ConnectivityDetails, GraphItem, GraphLlmSettings, Notification, NotificationSettings, SourceNode,
};

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
    let strings = |list: Vec<String>| Field::Given(list.into_iter().map(Field::Given).collect());
    Instructions { role: strings(i.role), goal: strings(i.goal), general: Field::Given(i.general) }
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
        delegation_end_strategy: DelegationEndStrategy::or(
            &delegation.end_strategy,
            DelegationEndStrategy::ReturnToStart,
        ),
        environment_id: non_empty(&agent.environment_id),
        sub_agents_continuous_thread: delegation.sub_agents_continuous_thread.unwrap_or(true),
        deployment_type: DeploymentType::or(&agent.deployment_type, DeploymentType::Serverless),
        created_by_prompt: non_empty(&agent.created_by_prompt),
        prompts: agent.prompts.clone(),
        is_latest: flags.is_latest.unwrap_or(false),
        has_pending_changes: flags.has_pending_changes.unwrap_or(false),
        name: preferred_text(&agent.display_name),
        connectivity_details: agent.connectivity.as_ref().map(connectivity).unwrap_or_default(),
        framework: text_or(&agent.framework, "agno"),
        description: preferred_text(&agent.description),
        tools: extra.get(EXTRA_TOOLS).and_then(Value::as_array).cloned().unwrap_or_default(),
        icon: text_or(&agent.icon, "🚀"),
        avatar: text_or(&agent.avatar, "male-avatar"),
        source_nodes: agent.source_nodes.iter().filter_map(source_node).collect(),
        attached_tools: agent
            .tools
            .iter()
            .map(|t| Connector { id: t.tool_id.clone().into(), operation_ids: strings(&t.operations) })
            .collect(),
        access_scope: AccessScope::or(&agent.access_scope, AccessScope::Personal),
        instructions: instructions(agent),
        oas: verbatim_value(&agent.oas_json, Shape::Object).unwrap_or_else(|| json!({})),
        graph: agent.graph.iter().filter_map(graph_item).collect(),
        llm_settings: agent.llm_settings.iter().map(llm_settings).collect(),
        status: status_name(agent.status).and_then(AgentStatus::parse).unwrap_or(AgentStatus::Active),
        knowledge_bases: agent
            .knowledge_bases
            .iter()
            .map(|k| AgentKnowledgeBase {
                id: k.knowledge_base_id.clone().into(),
                name: non_empty(&k.display_name).into(),
                description: non_empty(&k.description).into(),
                strategy: text_or(&k.strategy, "vanilla").into(),
                rw: k.read_write.into(),
                documents: strings(&k.documents),
            })
            .collect(),
        version: agent.deployed_version.unwrap_or(1),
        organization_id: tenant.to_owned(),
        created_by: non_empty(&agent.created_by),
        created_at: micros(&agent.create_time),
        kind: AgentType::parse(&agent.kind),
        delegation_type: DelegationType::or(&delegation.r#type, DelegationType::Router),
        delegation_memory_strategy: DelegationMemoryStrategy::or(
            &delegation.memory_strategy,
            DelegationMemoryStrategy::Summarization,
        ),
        is_ai_employee: flags.is_ai_employee.unwrap_or(false),
        using_nemo: flags.using_nemo.unwrap_or(false),
        deletable: flags.deletable.unwrap_or(true),
        model_provider: ModelProvider::or(&llm.provider, ModelProvider::OpenAi),
        model_name: text_or(&llm.model, "gpt-4.1"),
        llm_api_base: non_empty(&llm.api_base),
        output_format: OutputFormat::or(&agent.output_format, OutputFormat::Markdown),
        output_schema: verbatim::parse(&agent.output_schema_json),
        llm_credentials_key: non_empty(&llm.credentials_key),
        llm_credentials_key_type: CredentialsKeyType::or(&llm.credentials_key_type, CredentialsKeyType::Xpander),
        llm_credentials: None,
        expected_output: agent.expected_output.clone(),
        agno_settings: verbatim_value(&agent.agno_settings_json, Shape::Object).unwrap_or_else(default_agno_settings),
        on_prem_event_streaming: flags.on_prem_event_streaming.unwrap_or(true),
        prompts_caching_enabled: flags.prompts_caching_enabled.unwrap_or(false),
        is_generalist: flags.is_generalist.unwrap_or(false),
        webhook_url: format!("{origin}/v1/agents/{id}/invoke"),
        llm_reasoning_effort: ReasoningEffort::or(&llm.reasoning_effort, ReasoningEffort::Medium),
        llm_extra_headers: Map::new(),
        deep_planning: flags.deep_planning.unwrap_or(false),
        enforce_deep_planning: flags.enforce_deep_planning.unwrap_or(false),
        voice_id: non_empty(&agent.voice_id),
        orchestration_nodes: verbatim::parse(&agent.orchestration_nodes_json)
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default(),
        task_level_strategies: verbatim::parse(&agent.task_level_strategies_json),
        notification_settings: agent.notifications.as_ref().map(notifications).unwrap_or_default(),
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

fn strings(list: &[String]) -> Field<Vec<Field<String>>> {
    Field::Given(list.iter().cloned().map(Field::Given).collect())
}

/// Present when not empty.
fn text(value: &str) -> Field<String> {
    if value.is_empty() { Field::Absent } else { Field::Given(value.to_owned()) }
}

/// Present when the value is one the enumeration documents.
fn documented<E: WireEnum>(value: &str) -> Field<E> {
    E::parse(value).map_or(Field::Absent, Field::Given)
}

/// An item whose type is undocumented is left out (the schema requires a documented one).
pub fn graph_item(item: &GraphItem) -> Option<AiAgentGraphItem> {
    let kind = GraphItemType::parse(&item.r#type)?;
    Some(AiAgentGraphItem {
        id: text(&item.id),
        item_id: item.item_id.clone().into(),
        name: text(&item.display_name),
        kind: kind.into(),
        sub_type: documented::<GraphItemSubType>(&item.sub_type),
        targets: strings(&item.targets),
        settings: item.settings.as_ref().map(settings::write).map_or(Field::Absent, Field::Given),
        llm_settings: if item.llm_settings.is_empty() {
            Field::Absent
        } else {
            Field::Given(item.llm_settings.iter().map(|l| Field::Given(llm_settings(l))).collect())
        },
        is_first: item.is_first.map_or(Field::Absent, Field::Given),
    })
}

pub fn source_node(node: &SourceNode) -> Option<AiAgentSourceNode> {
    let kind = SourceNodeType::parse(&node.r#type)?;
    Some(AiAgentSourceNode {
        id: text(&node.id),
        kind: kind.into(),
        targets: strings(&node.targets),
        metadata: verbatim_value(&node.metadata_json, Shape::Object).map_or(Field::Absent, Field::Given),
    })
}

pub fn llm_settings(settings: &GraphLlmSettings) -> AiAgentGraphItemLlmSettings {
    AiAgentGraphItemLlmSettings {
        kind: documented::<LlmSettingsType>(&settings.r#type),
        provider: text(&settings.provider),
        model: text(&settings.model),
        // Only finite numbers are JSON.
        temperature: settings.temperature.filter(|t| t.is_finite()).map_or(Field::Absent, Field::Given),
    }
}

/// Write-only values (`custom_headers`, `auth_value`, `curl_command`) are left out.
fn connectivity(details: &ConnectivityDetails) -> WireConnectivity {
    WireConnectivity {
        custom_headers: Field::Given(Map::new()),
        auth_type: text_or(&details.auth_type, "none").into(),
        api_key_header_name: text_or(&details.api_key_header_name, "X-API-Key").into(),
        auth_value: Field::Null,
        agent_url: text(&details.agent_url),
        curl_command: Field::Absent,
        invoke_url: text(&details.invoke_url),
        method: text(&details.method),
        prompt_field_name: text(&details.prompt_field_name),
        files_field_name: text(&details.files_field_name),
        task_id_field_name: text(&details.task_id_field_name),
    }
}

/// Grouped back by channel, in order; credentials and header values are left out.
fn notifications(settings: &NotificationSettings) -> WireNotifications {
    let group = |list: &[Notification]| {
        let mut by_channel = Channels::new();
        for n in list {
            let entry = by_channel.entry(n.channel.clone()).or_insert_with(|| Field::Given(Vec::new()));
            if let Field::Given(items) = entry {
                items.push(Field::Given(notification(n)));
            }
        }
        Field::Given(by_channel)
    };
    WireNotifications { on_success: group(&settings.on_success), on_error: group(&settings.on_error) }
}

fn notification(n: &Notification) -> WireNotification {
    let mut out = WireNotification {
        subject: non_empty(&n.subject).into(),
        body: non_empty(&n.body).into(),
        approve_button_text: text_or(&n.approve_button_text, "Approve").into(),
        deny_button_text: text_or(&n.deny_button_text, "Deny").into(),
        logo_url: text_or(&n.logo_url, LOGO_URL).into(),
        ..Default::default()
    };
    match n.channel.as_str() {
        "email" => out.to = strings(&n.to),
        "slack" => {
            out.channels = strings(&n.channels);
            out.credentials = Field::Given(WireSlack::default());
        }
        "webhook" => {
            out.url = n.url.clone().into();
            out.headers = Field::Given(Map::new());
        }
        _ => {}
    }
    out
}
