//! `AIAgentGraphItemSettings` with its sub-objects. A sub-object is written when it has content
//! or `present` names it; reading lists the sub-objects found in `present`, in this order.

use serde_json::Value;

use super::enums::{self, documented};
use super::fields::{Shape, string_map, verbatim_text, verbatim_value};
use crate::domain::bundle::read::{Obj, Violations, set};
use crate::domain::bundle::write::Out;
use crate::proto::{AdvancedFilteringOptions, GraphItemSettings, HitlOptions, McpSettings};

const SCHEMAS: &str = "schemas";
const FILTERING: &str = "advanced_filtering_options";
const HITL: &str = "hitl_options";
const A2A: &str = "a2a_options";
const CODING: &str = "coding_agent_settings";
const MCP: &str = "mcp_settings";
const SKILLS: &str = "skills_settings";
const SUB_OBJECTS: [&str; 7] = [SCHEMAS, FILTERING, HITL, A2A, CODING, MCP, SKILLS];

pub fn write(settings: &GraphItemSettings) -> Value {
    let named = |key: &str| settings.present.iter().any(|p| p == key);
    let mut out = Out::new();
    out.string("instructions", &settings.instructions).string("description", &settings.description);
    let mut schemas = Out::new();
    schemas
        .opt("input", verbatim_value(&settings.input_schema_json, Shape::Object))
        .opt("output", verbatim_value(&settings.output_schema_json, Shape::Object));
    let mut a2a = Out::new();
    a2a.string("url", &settings.a2a_url);
    let mut coding = Out::new();
    coding.opt("type", documented(&settings.coding_agent_type, enums::CODING_AGENT_TYPES));
    let mut skills = Out::new();
    skills.some("enabled_skills", settings.enabled_skills.iter().map(String::as_str));
    let subs = [
        (SCHEMAS, Some(schemas)),
        (FILTERING, settings.advanced_filtering.as_ref().map(filtering)),
        (HITL, settings.hitl.as_ref().map(hitl)),
        (A2A, Some(a2a)),
        (CODING, Some(coding)),
        (MCP, settings.mcp.as_ref().map(mcp)),
        (SKILLS, Some(skills)),
    ];
    for (key, sub) in subs {
        let Some(mut sub) = sub else {
            if named(key) {
                out.put(key, Out::new().take());
            }
            continue;
        };
        let sub = sub.take();
        let has_content = sub.as_object().is_some_and(|o| !o.is_empty());
        // A message-backed sub-object is written whenever it is set, even empty.
        let message_backed = matches!(key, FILTERING | HITL | MCP);
        if has_content || message_backed || named(key) {
            out.put(key, sub);
        }
    }
    out.opt("use_cache", settings.use_cache);
    out.take()
}

pub fn read(object: &Obj, errs: &mut Violations) -> GraphItemSettings {
    let mut settings = GraphItemSettings::default();
    set(&mut settings.instructions, object.string("instructions", errs));
    set(&mut settings.description, object.string("description", errs));
    for key in SUB_OBJECTS {
        let Some(sub) = object.object(key, errs) else {
            continue;
        };
        settings.present.push(key.to_owned());
        match key {
            SCHEMAS => {
                set(&mut settings.input_schema_json, verbatim_text(&sub, "input", Shape::Object, errs));
                set(&mut settings.output_schema_json, verbatim_text(&sub, "output", Shape::Object, errs));
            }
            FILTERING => settings.advanced_filtering = Some(read_filtering(&sub, errs)),
            HITL => settings.hitl = Some(read_hitl(&sub, errs)),
            A2A => set(&mut settings.a2a_url, sub.string("url", errs)),
            CODING => set(&mut settings.coding_agent_type, sub.string("type", errs)),
            MCP => settings.mcp = Some(read_mcp(&sub, errs)),
            _ => set(&mut settings.enabled_skills, sub.strings("enabled_skills", errs)),
        }
    }
    settings.use_cache = object.bool("use_cache", errs);
    settings
}

fn filtering(options: &AdvancedFilteringOptions) -> Out {
    let mut out = Out::new();
    out.some("returnables", options.returnables.iter().map(String::as_str))
        .some("searchables", options.searchables.iter().map(String::as_str))
        .opt("globally_enabled", options.globally_enabled);
    out
}

fn read_filtering(object: &Obj, errs: &mut Violations) -> AdvancedFilteringOptions {
    AdvancedFilteringOptions {
        returnables: object.strings("returnables", errs).unwrap_or_default(),
        searchables: object.strings("searchables", errs).unwrap_or_default(),
        globally_enabled: object.bool("globally_enabled", errs),
    }
}

fn hitl(options: &HitlOptions) -> Out {
    let mut out = Out::new();
    out.string("title", &options.title)
        .string("description", &options.description)
        .some("recipients", options.recipients.iter().map(String::as_str))
        .opt("hitl_type", documented(&options.hitl_type, enums::HITL_TYPES))
        .string("slack_app", &options.slack_app)
        .opt("should_approve_with_current_user", options.should_approve_with_current_user);
    out
}

fn read_hitl(object: &Obj, errs: &mut Violations) -> HitlOptions {
    HitlOptions {
        title: object.string("title", errs).unwrap_or_default(),
        description: object.string("description", errs).unwrap_or_default(),
        recipients: object.strings("recipients", errs).unwrap_or_default(),
        hitl_type: object.string("hitl_type", errs).unwrap_or_default(),
        slack_app: object.string("slack_app", errs).unwrap_or_default(),
        should_approve_with_current_user: object.bool("should_approve_with_current_user", errs),
    }
}

/// Secret-marked fields (`api_key`, `client_secret`, `headers`, `env_vars`) are never written.
fn mcp(settings: &McpSettings) -> Out {
    let mut out = Out::new();
    out.opt("type", documented(&settings.r#type, enums::MCP_TYPES))
        .string("name", &settings.display_name)
        .string("command", &settings.command)
        .string("url", &settings.url)
        .opt("transport", documented(&settings.transport, enums::MCP_TRANSPORTS))
        .opt("auth_type", documented(&settings.auth_type, enums::MCP_AUTH_TYPES))
        .opt("use_secrets_manager", settings.use_secrets_manager)
        .string("client_id", &settings.client_id)
        .some("additional_scopes", settings.additional_scopes.iter().map(String::as_str))
        .some("allowed_tools", settings.allowed_tools.iter().map(String::as_str))
        .opt("share_user_token_across_other_agents", settings.share_user_token_across_other_agents);
    out
}

/// Credentials sent in a template are read (an import may carry them); see [`mcp`].
fn read_mcp(object: &Obj, errs: &mut Violations) -> McpSettings {
    McpSettings {
        r#type: object.string("type", errs).unwrap_or_default(),
        display_name: object.string("name", errs).unwrap_or_default(),
        command: object.string("command", errs).unwrap_or_default(),
        url: object.string("url", errs).unwrap_or_default(),
        transport: object.string("transport", errs).unwrap_or_default(),
        auth_type: object.string("auth_type", errs).unwrap_or_default(),
        api_key: object.string("api_key", errs).unwrap_or_default(),
        use_secrets_manager: object.bool("use_secrets_manager", errs),
        client_id: object.string("client_id", errs).unwrap_or_default(),
        client_secret: object.string("client_secret", errs).unwrap_or_default(),
        additional_scopes: object.strings("additional_scopes", errs).unwrap_or_default(),
        headers: string_map(object, "headers", errs),
        env_vars: string_map(object, "env_vars", errs),
        allowed_tools: object.strings("allowed_tools", errs).unwrap_or_default(),
        share_user_token_across_other_agents: object.bool("share_user_token_across_other_agents", errs),
    }
}
