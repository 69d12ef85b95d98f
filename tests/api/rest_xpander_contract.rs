//! The xpander dialect's contract: every documented response, with every optional shape
//! filled in, validates against the spec schemas (tests/fixtures/xpander), and so does every
//! error body.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::spawn_app;
use crate::rest_xpander::{Api, assert_schema};

/// An agent body that sets every shape `AIAgent` has: graph items with settings and LLM
/// settings, source nodes, connectors, knowledge bases, connectivity and notifications.
fn every_shape(kb_id: &str) -> Value {
    json!({
        "name": "Everything", "description": "All the shapes", "icon": "🧩", "avatar": "female-avatar",
        "type": "a2a", "status": "DRAFT", "unique_name": "every-shape",
        "model_provider": "anthropic", "model_name": "claude", "llm_reasoning_effort": "high",
        "llm_api_base": "https://llm.example", "llm_credentials_key_type": "custom",
        "instructions": {"role": ["r"], "goal": ["g"], "general": "be thorough"},
        "output_format": "json", "output_schema": {"type": "object"}, "expected_output": "a report",
        "delegation_type": "sequence", "delegation_memory_strategy": "full",
        "delegation_end_strategy": "finish-with-last", "sub_agents_continuous_thread": false,
        "deployment_type": "container", "access_scope": "organizational", "prompts": ["hello"],
        "source_nodes": [{"id": "src", "type": "webhook", "targets": ["op"], "metadata": {"path": "/hook"}}],
        "graph": [
            {"id": "op", "item_id": "op-1", "name": "Lookup", "type": "tool", "sub_type": "operation",
             "targets": [], "is_first": true,
             "settings": {"instructions": "use it", "schemas": {"input": {"type": "object"}}},
             "llm_settings": [{"type": "before", "provider": "openai", "model": "gpt-4.1", "temperature": 0.5}]},
        ],
        "llm_settings": [{"type": "after", "temperature": 0.0}],
        "attached_tools": [{"id": "crm", "operation_ids": ["get"]}],
        "knowledge_bases": [{"id": kb_id, "strategy": "agentic_rag", "rw": true}],
        "connectivity_details": {"auth_type": "api_key", "agent_url": "https://agent.example", "method": "POST"},
        "notification_settings": {
            "on_success": {"email": [{"to": ["ops@example.com"], "subject": "done"}]},
            "on_error": {"slack": [{"channels": ["#ops"]}], "webhook": [{"url": "https://hook.example"}]},
        },
        "agno_settings": {"coordinate_mode": false}, "deep_planning": true,
        "use_oidc_pre_auth": true, "pre_auth_audiences": ["api"],
    })
}

#[tokio::test]
async fn every_documented_response_validates_against_the_spec() {
    let app = spawn_app().await;
    let api = Api::new(&app).tenant("acme");

    let (status, kb) = api.post("/v1/knowledge", json!({"name": "Policies"})).await;
    assert_eq!(status, StatusCode::CREATED, "{kb}");
    assert_schema("KnowledgeBaseItem", &kb);
    let kb_id = kb["id"].as_str().unwrap().to_owned();
    let base = format!("/v1/knowledge/{kb_id}");
    let (_, renamed) = api.patch(&base, json!({"name": "Rules", "description": "All of them"})).await;
    assert_schema("KnowledgeBaseItem", &renamed);
    let (_, got) = api.get(&base).await;
    assert_schema("KnowledgeBaseItem", &got);
    let (_, added) = api.post(&format!("{base}/documents"), json!({"document_urls": ["https://x.example/a.md"]})).await;
    assert_schema("KBDocumentItem", &added[0]);
    let (_, documents) = api.get(&format!("{base}/documents")).await;
    assert_schema("PaginatedResponse_KBDocumentItem_", &documents);
    let (_, document) = api.get(&format!("{base}/documents/{}", added[0]["id"].as_str().unwrap())).await;
    assert_schema("KBDocumentFull", &document);
    let (_, kbs) = api.get("/v1/knowledge").await;
    assert_schema("PaginatedResponse_KnowledgeBaseItem_", &kbs);

    let (status, agent) = api.post("/v1/agents", every_shape(&kb_id)).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    assert_schema("AIAgent", &agent);
    for key in ["source_nodes", "graph", "llm_settings", "attached_tools", "knowledge_bases"] {
        assert_eq!(agent[key].as_array().map(Vec::len), Some(1), "{key}: {agent}");
    }
    assert_eq!(agent["graph"][0]["settings"]["schemas"]["input"], json!({"type": "object"}));
    assert_eq!(agent["connectivity_details"]["agent_url"], "https://agent.example");
    assert_eq!(agent["notification_settings"]["on_error"]["webhook"][0]["url"], "https://hook.example");
    let path = format!("/v1/agents/{}", agent["id"].as_str().unwrap());
    let (_, fetched) = api.get(&path).await;
    assert_eq!(fetched, agent, "the stored agent reads back as it was created");
    let (_, patched) = api.patch(&path, json!({"graph": [], "connectivity_details": {}})).await;
    assert_schema("AIAgent", &patched);
    let (_, deployed) = api.call(Method::PUT, &path, None).await;
    assert_schema("AIAgent", &deployed);
    let (_, minimal) = api.get("/v1/agents").await;
    assert_schema("PaginatedResponse_MinimalAIAgent_", &minimal);
    assert_schema("MinimalAIAgent", &minimal["items"][0]);
    let (_, full) = api.get("/v1/agents/full").await;
    assert_schema("PaginatedResponse_AIAgent_", &full);

    let (status, template) = api.post(&format!("{path}/export"), json!({"name": "All shapes"})).await;
    assert_eq!(status, StatusCode::OK, "{template}");
    assert_schema("AgentTemplate", &template);
    assert_schema("AgentDefinition", &template["agent_definition"]);
    let template_path = format!("/v1/templates/{}", template["id"].as_str().unwrap());
    let (_, read) = api.get(&template_path).await;
    assert_schema("AgentTemplate", &read);
    let (_, templates) = api.get("/v1/templates").await;
    assert_schema("PaginatedResponse_AgentTemplate_", &templates);
    let import = format!("/v1/agents/template_import/{}", template["id"].as_str().unwrap());
    let (status, imported) = Api::new(&app).tenant("other").post(&import, json!({"name": "Copy"})).await;
    assert_eq!(status, StatusCode::OK, "{imported}");
    assert_schema("AIAgent", &imported);
}

#[tokio::test]
async fn every_error_body_validates_against_the_spec() {
    let app = spawn_app().await;
    let api = Api::new(&app).tenant("acme");
    for (method, path, body) in [
        (Method::POST, "/v1/agents", json!({"name": ""})),
        (Method::PATCH, "/v1/agents/a", json!([1])),
        (Method::POST, "/v1/agents/a/export", json!({"name": 1})),
        (Method::POST, "/v1/agents/template_import/t", json!({"secret_mappings": []})),
        (Method::POST, "/v1/knowledge", json!({"description": 3})),
        (Method::PATCH, "/v1/knowledge/k", json!([])),
        (Method::POST, "/v1/knowledge/k/documents", json!({"document_urls": [" "]})),
    ] {
        let (status, error) = api.call(method.clone(), path, Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{method} {path}: {error}");
        assert_schema("HTTPValidationError", &error);
    }
    for path in ["/v1/agents/ghost", "/v1/knowledge/ghost", "/v1/knowledge/ghost/documents/d", "/v1/templates/ghost"] {
        let (status, error) = api.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {error}");
        assert_schema("HTTPError", &error);
    }
}
