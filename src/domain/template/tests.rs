//! Template codec: lossless round trips of fully populated trees, nesting, the split between
//! xpander keys and the extension, secrets.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::fixtures::{Options, TOOLS, tool_cases, tree};
use super::*;
use crate::domain::secrets::{find_secrets, scrub};
use crate::domain::validate::preferred_text;
use crate::proto::{AgentStatus, GraphItem, Instructions, LlmConfig, SourceNode};

pub fn plain() -> TemplateTree {
    tree(Options { secrets: false, documented: false })
}

pub fn rich() -> TemplateTree {
    tree(Options { secrets: false, documented: true })
}

pub fn with_secrets() -> TemplateTree {
    tree(Options { secrets: true, documented: true })
}

fn round_trip(tree: &TemplateTree) -> Value {
    let value = encode_definition(tree);
    assert_eq!(decode_definition(&value).as_ref(), Ok(tree), "{value:#}");
    assert_eq!(encode_definition(tree), value, "encoding is deterministic");
    let text = serde_json::to_string(&value).unwrap();
    let reparsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(decode_definition(&reparsed).as_ref(), Ok(tree));
    value
}

fn sub_ids(node: &Value) -> Vec<&str> {
    node["sub_agents"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect()
}

fn ids(items: &Value) -> Vec<&str> {
    items.as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect()
}

#[test]
fn fixture_covers_every_tool_config_case() {
    assert_eq!(TOOLS.len(), tool_cases());
}

#[test]
fn filled_trees_round_trip() {
    round_trip(&plain());
    round_trip(&rich());
}

#[test]
fn sub_agents_nest_in_id_order_and_a_diamond_decodes_to_one_agent() {
    let value = round_trip(&rich());
    assert_eq!(sub_ids(&value), ["a", "b"]);
    let (a, b) = (&value["sub_agents"][0], &value["sub_agents"][1]);
    assert_eq!((sub_ids(a), sub_ids(b)), (vec!["g"], vec!["g"]));
    // g hands work back to the root, which is already on the path: not nested again.
    assert!(sub_ids(&a["sub_agents"][0]).is_empty());
    assert_eq!(a["sub_agents"][0], b["sub_agents"][0], "written in full both times");
    let decoded = decode_definition(&value).unwrap();
    assert_eq!(decoded.agents.keys().collect::<Vec<_>>(), ["a", "b", "g", "root"]);
}

#[test]
fn documented_values_are_written_under_the_xpander_keys() {
    let t = rich();
    let value = encode_definition(&t);
    let root = &t.agents["root"];
    assert_eq!(value["name"], preferred_text(&root.display_name));
    assert_eq!(value["type"], "manager");
    assert_eq!(value["access_scope"], "organizational");
    assert_eq!(value["model_provider"], "anthropic");
    assert_eq!(value["status"], json!(status(root.status)));
    assert_eq!(value["oas"], json!({"openapi": "3.1.0"}));
    assert_eq!(value["delegation_type"], "sequence");
    assert_eq!(value["source_nodes"][0]["type"], "sdk");
    let item = &value["graph"][0];
    assert_eq!((&item["type"], &item["sub_type"]), (&json!("tool"), &json!("custom_function")));
    assert_eq!(item["settings"]["mcp_settings"]["transport"], "sse");
    assert_eq!(item["settings"]["hitl_options"]["hitl_type"], "slack");
    assert_eq!(item["settings"]["coding_agent_settings"]["type"], "codex");
    // Attached tools list connectors only; other tools ride in the extension.
    assert_eq!(ids(&value["attached_tools"]), ["t4"]);
    assert_eq!(ids(&value["connectors"]), ["t4"]);
    let connector = &value["connectors"][0];
    assert_eq!(connector["operations_map"]["op1"]["method"], "GET");
    assert_eq!(connector["general_params"][0]["location"], "header");
    let rest: Vec<_> = connector["agentport"]["set"].as_object().unwrap().keys().collect();
    assert_eq!(rest, ["enabled", "extraJson"], "only what xpander has no key for");
    let a = &value["sub_agents"][0];
    assert_eq!(ids(&a["custom_functions"]), ["t5"]);
    assert_eq!(a["custom_functions"][0]["status"], "ready");
    let ext = &value["agentport"];
    assert_eq!(ext["tools"].as_object().unwrap().len(), 2, "slack and teams");
    assert!(ext["mcpServers"]["m1"]["displayName"].is_string());
    // Only the unmapped part of a partly mapped message stays in the patch.
    let set = &ext["set"];
    for key in ["graph", "kind", "status", "sourceNodes", "instructions", "prompts"] {
        assert!(set.get(key).is_none(), "{key} is mapped, yet in the patch");
    }
    assert!(set["llm"]["apiBase"].is_string() && set["llm"].get("provider").is_none());
    let kb = &value["knowledge_bases"][0];
    assert_eq!(kb["name"], json!(t.knowledge_bases["kb1"].knowledge_base.display_name));
    assert_eq!(kb["agentport"]["id"], "kb1");
    assert_eq!(kb["documents"][1]["agentport"]["id"], "d2");
    assert!(kb["documents"][1]["content"].is_string());
}

#[test]
fn undocumented_values_travel_in_the_extension_only() {
    let t = plain();
    let value = round_trip(&t);
    for key in ["type", "access_scope", "model_provider"] {
        assert!(value.get(key).is_none(), "{key}");
    }
    // Items whose required `type` is undocumented are left out; the patch holds the list.
    assert!(value["source_nodes"].as_array().unwrap().is_empty());
    let types: Vec<_> = value["graph"].as_array().unwrap().iter().map(|g| &g["type"]).collect();
    assert_eq!(types, [&json!("agent")]);
    assert!(value["graph"][0].get("sub_type").is_none());
    let a = &value["sub_agents"][0];
    assert!(a["custom_functions"].as_array().unwrap().is_empty());
    assert!(a["agentport"]["tools"]["t5"]["customFunction"].is_object());
    assert_eq!(value["agentport"]["set"]["kind"], json!(t.agents["root"].kind));
}

#[test]
fn secrets_never_reach_the_output() {
    let t = with_secrets();
    let mut secrets = Vec::new();
    for agent in t.agents.values() {
        secrets.extend(find_secrets(agent));
    }
    for tool in t.tools.values() {
        secrets.extend(find_secrets(tool));
    }
    for server in t.mcp_servers.values() {
        secrets.extend(find_secrets(server));
    }
    assert!(secrets.len() > 50, "the filler sets secrets: {secrets:?}");
    let original = t.clone();
    let value = encode_definition(&t);
    assert_eq!(t, original, "encoding works on copies");
    let text = value.to_string();
    for (path, secret) in &secrets {
        assert!(!text.contains(secret.as_str()), "{path} leaked");
    }
    assert!(!text.contains("SECRET-"));

    // What comes back is the scrubbed tree.
    let mut scrubbed = t;
    scrubbed.agents.values_mut().for_each(scrub);
    scrubbed.tools.values_mut().for_each(scrub);
    scrubbed.mcp_servers.values_mut().for_each(scrub);
    assert_eq!(decode_definition(&value), Ok(scrubbed));
}

#[test]
fn presence_detached_resources_and_odd_values_round_trip() {
    let mut t = rich();
    // Nobody nests or attaches these.
    t.agents.insert("z".into(), Agent::default());
    t.tools.insert("lonely".into(), Tool::default());
    t.mcp_servers.insert("m9".into(), McpServer::default());
    t.knowledge_bases.insert("kb9".into(), KnowledgeBaseCopy::default());
    // Presence of empty messages, unknown enum numbers, text that is not (canonical) JSON.
    let odd = Agent {
        display_name: HashMap::from([("en".into(), String::new())]),
        instructions: Some(Instructions::default()),
        llm: Some(LlmConfig::default()),
        status: 99,
        oas_json: "{ \"spaced\" : true }".into(),
        source_nodes: vec![SourceNode {
            r#type: "webhook".into(),
            metadata_json: "not json".into(),
            ..Default::default()
        }],
        graph: vec![GraphItem {
            r#type: "agent".into(),
            item_id: "root".into(),
            settings: Some(Default::default()),
            ..Default::default()
        }],
        ..Default::default()
    };
    t.agents.get_mut("g").unwrap().collaborations[0].agent_id = "odd".into();
    t.agents.insert("odd".into(), odd);
    let value = round_trip(&t);
    let detached = &value["agentport"]["detached"];
    assert_eq!(ids(&detached["agents"]), ["z"]);
    assert!(detached["tools"]["lonely"].is_object());
    assert_eq!(detached["knowledgeBases"][0]["agentport"]["id"], "kb9");

    let single =
        TemplateTree { root: "x".into(), agents: [("x".into(), Agent::default())].into(), ..Default::default() };
    let value = round_trip(&single);
    assert_eq!(value["name"], "");
    assert_eq!(value["agentport"], serde_json::json!({"formatVersion": "1.0"}), "{value}");
}

fn status(value: i32) -> &'static str {
    match AgentStatus::try_from(value).unwrap() {
        AgentStatus::Draft => "DRAFT",
        AgentStatus::Active => "ACTIVE",
        AgentStatus::Inactive => "INACTIVE",
        AgentStatus::Unspecified => unreachable!("the filler sets a status"),
    }
}

#[test]
fn format_versions_of_definitions() {
    use crate::domain::format_version::{Compat, FormatVersion};
    let stamped = |version: &str| json!({"id": "a", "agentport": {"formatVersion": version}});
    assert_eq!(super::format(&json!({"id": "a"}), "").unwrap(), Compat::Current, "none declared is 1.0");
    assert_eq!(super::format(&stamped("1.0"), "").unwrap(), Compat::Current);
    assert_eq!(super::format(&stamped("1.4"), "").unwrap(), Compat::NewerMinor(FormatVersion { major: 1, minor: 4 }));
    let err = super::format(&stamped("3.1"), "").unwrap_err();
    assert_eq!(err.code, crate::error::ErrorCode::FormatUnsupported);
    assert!(
        err.message.contains("template") && err.message.contains("3.1") && err.message.contains("1.0"),
        "{}",
        err.message
    );
    let err = super::format(&stamped("x"), "agent_definition.").unwrap_err();
    assert_eq!(err.violations[0].field, "agent_definition.agentport.formatVersion");
}
