//! A body read into the canonical agent and written back as the dialect's `AIAgent`.

use serde_json::{Value, json};

use super::agent_in::{apply, create};
use super::agent_out::ai_agent;
use super::dto::AgentBuilderCreateAgentRequest;
use crate::error::ViolationKind;
use crate::proto::Agent;

fn body(value: Value) -> AgentBuilderCreateAgentRequest {
    serde_json::from_value(value).expect("a body DTO reads from any object")
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
        "tools": [{"id": "t"}], "output_schema": "{\"type\": \"object\"}",
        "connectivity_details": {"auth_type": "bearer", "auth_value": "SECRET", "agent_url": "https://a"},
        "notification_settings": {"on_error": {"email": [{"to": ["a@b.c"]}]}},
    });
    let (mut agent, check) = create(body(input));
    assert!(check.errs.is_empty(), "{:?}", check.errs);
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
    assert_eq!(out["output_schema"], json!({"type": "object"}), "JSON text is read as its value");
    assert_eq!(out["tools"][0]["id"], "t");
    assert_eq!(out["deep_planning"], true);
    assert_eq!(out["connectivity_details"]["agent_url"], "https://a");
    assert_eq!(out["connectivity_details"]["auth_value"], Value::Null);
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
        ("connectivity_details", json!({})),
        ("notification_settings", json!({})),
    ] {
        assert_eq!(out[key], value, "{key}");
    }
    let mut agent = Agent { icon: "x".into(), ..Default::default() };
    let check = apply(body(json!({"model_name": "m", "status": "nope", "icon": null})), &mut agent);
    assert_eq!(check.touched.into_iter().collect::<Vec<_>>(), ["llm"]);
    let found: Vec<_> = check.errs.iter().map(|v| (v.field.as_str(), v.kind)).collect();
    assert_eq!(found, [("status", ViolationKind::NotInEnum)]);
    assert_eq!(agent.icon, "x", "null leaves a field as it is");
}

#[test]
fn every_problem_of_a_body_is_reported_with_its_path_and_kind() {
    let input = json!({
        "name": 5, "graph": [{"type": "robot", "targets": "x", "llm_settings": [{"type": "during"}]}, 7],
        "attached_tools": [{"operation_ids": [1]}], "agno_settings": [1], "instructions": ["no"],
        "notification_settings": {"on_success": {"email": [{"to": "a@b.c"}]}},
    });
    let (_, check) = create(body(input));
    let mut found: Vec<_> = check.errs.iter().map(|v| (v.field.as_str(), v.kind)).collect();
    found.sort_by_key(|(field, _)| field.to_string());
    assert_eq!(
        found,
        [
            ("agno_settings", ViolationKind::NotObject),
            ("attached_tools[0].id", ViolationKind::Missing),
            ("attached_tools[0].operation_ids[0]", ViolationKind::NotString),
            ("graph[0].item_id", ViolationKind::Missing),
            ("graph[0].llm_settings[0].type", ViolationKind::NotInEnum),
            ("graph[0].targets", ViolationKind::NotArray),
            ("graph[0].type", ViolationKind::NotInEnum),
            ("graph[1]", ViolationKind::NotObject),
            ("instructions", ViolationKind::NotObject),
            ("name", ViolationKind::NotString),
            ("notification_settings.on_success.email[0].to", ViolationKind::NotArray),
        ]
    );
}

#[test]
fn service_fields_are_named_where_the_body_gave_them() {
    let input = json!({"name": "a", "model_provider": "openai", "attached_tools": [{"id": "t"}]});
    let (_, check) = create(body(input));
    for (canonical, wire) in [
        ("display_name[\"en\"]", "name"),
        ("llm.provider", "model_provider"),
        ("tools[0].tool_id", "attached_tools[0].id"),
    ] {
        assert_eq!(check.origins.wire(canonical).as_deref(), Some(wire), "{canonical}");
    }
}
