//! `AIAgentGraphItemSettings` with its sub-objects. A sub-object is written when it has content
//! or `present` names it; reading lists the sub-objects found in `present`, in this order.

use super::dto;
use super::enums;
use super::fields::{Shape, string_map, verbatim_text, verbatim_value};
use crate::domain::bundle::dto::has_keys;
use crate::domain::bundle::fields::{opt, some, text};
use crate::domain::bundle::read::set;
use crate::domain::wire::{Check, Expect, Field};
use crate::proto::{AdvancedFilteringOptions, GraphItemSettings, HitlOptions, McpSettings};

const SCHEMAS: &str = "schemas";
const FILTERING: &str = "advanced_filtering_options";
const HITL: &str = "hitl_options";
const A2A: &str = "a2a_options";
const CODING: &str = "coding_agent_settings";
const MCP: &str = "mcp_settings";
const SKILLS: &str = "skills_settings";

pub fn write(settings: &GraphItemSettings) -> dto::GraphItemSettings {
    let named = |key: &str| settings.present.iter().any(|p| p == key);
    // A sub-object with content is written; an empty one only when `present` names it.
    fn sub<T: serde::Serialize>(key: &str, value: T, named: &dyn Fn(&str) -> bool) -> Field<T> {
        if has_keys(&value) || named(key) { Field::Given(value) } else { Field::Absent }
    }
    // A message-backed sub-object is written whenever it is set, even empty.
    fn message<T: serde::Serialize + Default>(key: &str, value: Option<T>, named: &dyn Fn(&str) -> bool) -> Field<T> {
        match value {
            Some(value) => Field::Given(value),
            None if named(key) => Field::Given(T::default()),
            None => Field::Absent,
        }
    }
    let schemas = dto::Schemas {
        input: opt(verbatim_value(&settings.input_schema_json, Shape::Object)),
        output: opt(verbatim_value(&settings.output_schema_json, Shape::Object)),
    };
    let a2a = dto::A2aOptions { url: text(&settings.a2a_url) };
    let coding =
        dto::CodingAgentSettings { kind: enums::written(&settings.coding_agent_type, enums::CODING_AGENT_TYPES) };
    let skills = dto::SkillsSettings { enabled_skills: some(&settings.enabled_skills) };
    dto::GraphItemSettings {
        instructions: text(&settings.instructions),
        description: text(&settings.description),
        schemas: sub(SCHEMAS, schemas, &named),
        advanced_filtering_options: message(FILTERING, settings.advanced_filtering.as_ref().map(filtering), &named),
        hitl_options: message(HITL, settings.hitl.as_ref().map(hitl), &named),
        a2a_options: sub(A2A, a2a, &named),
        coding_agent_settings: sub(CODING, coding, &named),
        mcp_settings: message(MCP, settings.mcp.as_ref().map(mcp), &named),
        skills_settings: sub(SKILLS, skills, &named),
        use_cache: opt(settings.use_cache),
    }
}

pub fn read(c: &mut Check, given: dto::GraphItemSettings) -> GraphItemSettings {
    let mut settings = GraphItemSettings::default();
    set(&mut settings.instructions, c.take("instructions", "instructions", given.instructions));
    set(&mut settings.description, c.take("description", "description", given.description));
    if let Some(sub) = present(c, SCHEMAS, given.schemas, &mut settings.present) {
        c.within(SCHEMAS, "", |c| {
            set(&mut settings.input_schema_json, verbatim_text(c, "input", sub.input, Shape::Object));
            set(&mut settings.output_schema_json, verbatim_text(c, "output", sub.output, Shape::Object));
        });
    }
    if let Some(sub) = present(c, FILTERING, given.advanced_filtering_options, &mut settings.present) {
        settings.advanced_filtering = Some(c.within(FILTERING, "advanced_filtering", |c| read_filtering(c, sub)));
    }
    if let Some(sub) = present(c, HITL, given.hitl_options, &mut settings.present) {
        settings.hitl = Some(c.within(HITL, "hitl", |c| read_hitl(c, sub)));
    }
    if let Some(sub) = present(c, A2A, given.a2a_options, &mut settings.present) {
        set(&mut settings.a2a_url, c.within(A2A, "", |c| c.take("url", "a2a_url", sub.url)));
    }
    if let Some(sub) = present(c, CODING, given.coding_agent_settings, &mut settings.present) {
        set(&mut settings.coding_agent_type, c.within(CODING, "", |c| c.take("type", "coding_agent_type", sub.kind)));
    }
    if let Some(sub) = present(c, MCP, given.mcp_settings, &mut settings.present) {
        settings.mcp = Some(c.within(MCP, "mcp", |c| read_mcp(c, sub)));
    }
    if let Some(sub) = present(c, SKILLS, given.skills_settings, &mut settings.present) {
        let skills = c.within(SKILLS, "", |c| c.strings("enabled_skills", "enabled_skills", sub.enabled_skills));
        set(&mut settings.enabled_skills, skills);
    }
    settings.use_cache = c.take("use_cache", "use_cache", given.use_cache);
    settings
}

/// A sub-object given as an object, named in `present`.
fn present<T: Expect>(c: &mut Check, key: &str, field: Field<T>, present: &mut Vec<String>) -> Option<T> {
    let value = c.take(key, key, field)?;
    present.push(key.to_owned());
    Some(value)
}

fn filtering(options: &AdvancedFilteringOptions) -> dto::AdvancedFilteringOptions {
    dto::AdvancedFilteringOptions {
        returnables: some(&options.returnables),
        searchables: some(&options.searchables),
        globally_enabled: opt(options.globally_enabled),
    }
}

fn read_filtering(c: &mut Check, given: dto::AdvancedFilteringOptions) -> AdvancedFilteringOptions {
    AdvancedFilteringOptions {
        returnables: c.strings("returnables", "returnables", given.returnables).unwrap_or_default(),
        searchables: c.strings("searchables", "searchables", given.searchables).unwrap_or_default(),
        globally_enabled: c.take("globally_enabled", "globally_enabled", given.globally_enabled),
    }
}

fn hitl(options: &HitlOptions) -> dto::HitlOptions {
    dto::HitlOptions {
        title: text(&options.title),
        description: text(&options.description),
        recipients: some(&options.recipients),
        hitl_type: enums::written(&options.hitl_type, enums::HITL_TYPES),
        slack_app: text(&options.slack_app),
        should_approve_with_current_user: opt(options.should_approve_with_current_user),
    }
}

fn read_hitl(c: &mut Check, given: dto::HitlOptions) -> HitlOptions {
    HitlOptions {
        title: c.take("title", "title", given.title).unwrap_or_default(),
        description: c.take("description", "description", given.description).unwrap_or_default(),
        recipients: c.strings("recipients", "recipients", given.recipients).unwrap_or_default(),
        hitl_type: c.take("hitl_type", "hitl_type", given.hitl_type).unwrap_or_default(),
        slack_app: c.take("slack_app", "slack_app", given.slack_app).unwrap_or_default(),
        should_approve_with_current_user: c.take(
            "should_approve_with_current_user",
            "should_approve_with_current_user",
            given.should_approve_with_current_user,
        ),
    }
}

/// Secret-marked fields (`api_key`, `client_secret`, `headers`, `env_vars`) are never written.
fn mcp(settings: &McpSettings) -> dto::McpSettings {
    dto::McpSettings {
        kind: enums::written(&settings.r#type, enums::MCP_TYPES),
        name: text(&settings.display_name),
        command: text(&settings.command),
        url: text(&settings.url),
        transport: enums::written(&settings.transport, enums::MCP_TRANSPORTS),
        auth_type: enums::written(&settings.auth_type, enums::MCP_AUTH_TYPES),
        use_secrets_manager: opt(settings.use_secrets_manager),
        client_id: text(&settings.client_id),
        additional_scopes: some(&settings.additional_scopes),
        allowed_tools: some(&settings.allowed_tools),
        share_user_token_across_other_agents: opt(settings.share_user_token_across_other_agents),
        ..Default::default()
    }
}

/// Credentials sent in a template are read (an import may carry them); see [`mcp`].
fn read_mcp(c: &mut Check, given: dto::McpSettings) -> McpSettings {
    let text = |c: &mut Check, key: &str, field: Field<String>| c.take(key, key, field).unwrap_or_default();
    McpSettings {
        r#type: text(c, "type", given.kind),
        display_name: text(c, "name", given.name),
        command: text(c, "command", given.command),
        url: text(c, "url", given.url),
        transport: text(c, "transport", given.transport),
        auth_type: text(c, "auth_type", given.auth_type),
        api_key: text(c, "api_key", given.api_key),
        use_secrets_manager: c.take("use_secrets_manager", "use_secrets_manager", given.use_secrets_manager),
        client_id: text(c, "client_id", given.client_id),
        client_secret: text(c, "client_secret", given.client_secret),
        additional_scopes: c
            .strings("additional_scopes", "additional_scopes", given.additional_scopes)
            .unwrap_or_default(),
        headers: c.take("headers", "headers", given.headers).map(string_map).unwrap_or_default(),
        env_vars: c.take("env_vars", "env_vars", given.env_vars).map(string_map).unwrap_or_default(),
        allowed_tools: c.strings("allowed_tools", "allowed_tools", given.allowed_tools).unwrap_or_default(),
        share_user_token_across_other_agents: c.take(
            "share_user_token_across_other_agents",
            "share_user_token_across_other_agents",
            given.share_user_token_across_other_agents,
        ),
    }
}
