//! The Emporix dialect's contract: every documented response — agents, tools, MCP servers and
//! tokens (one and list bodies, every optional shape filled in, expanded and localized), export,
//! import and jobs — validates against the documented schemas (tests/fixtures/emporix), and
//! against the response view `/openapi.json` declares for it, which the wire DTOs generate.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::spawn_app;
use crate::rest_emporix::{Rest, assert_valid};

const BASE: &str = "/ai-service/acme/agentic";

/// Validates `instance` against a schema of the documented resources (resources.schema.json).
#[track_caller]
fn assert_documented(name: &str, instance: &Value) {
    let mut schema: Value = serde_json::from_str(include_str!("../fixtures/emporix/resources.schema.json")).unwrap();
    schema["$ref"] = json!(format!("#/$defs/{name}"));
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{instance:#}");
}

/// Validates `instance` against a component schema of the served `/openapi.json`.
#[track_caller]
fn assert_declared(doc: &Value, name: &str, instance: &Value) {
    let schema = json!({ "$ref": format!("#/components/schemas/{name}"), "components": doc["components"] });
    let validator = jsonschema::validator_for(&schema).expect("the served schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{instance:#}");
}

/// The bodies of one kind: PUT each (201 `{id}`), then every one and the list read back valid.
async fn put_all(rest: &Rest, doc: &Value, collection: &str, schema: &str, bodies: &[(&str, Value)]) -> Vec<Value> {
    let mut shown = Vec::new();
    for (id, body) in bodies {
        let path = format!("{BASE}/{collection}/{id}");
        let created = rest.put(&path, body).await.expect(StatusCode::CREATED).body;
        assert_documented("IdResponse", &created);
        assert_declared(doc, "IdResponse", &created);
        let one = rest.get(&path).await.expect(StatusCode::OK).body;
        assert_documented(schema, &one);
        assert_declared(doc, schema, &one);
        shown.push(one);
    }
    let list = rest.get(&format!("{BASE}/{collection}")).await.expect(StatusCode::OK).body;
    assert_eq!(list.as_array().map(Vec::len), Some(bodies.len()), "{list}");
    for item in list.as_array().unwrap() {
        assert_documented(schema, item);
        assert_declared(doc, schema, item);
    }
    let searched = rest.post(&format!("{BASE}/{collection}/search"), &json!({"q": "id:~."})).await;
    for item in searched.expect(StatusCode::OK).body.as_array().unwrap() {
        assert_documented(schema, item);
    }
    shown
}

fn tokens() -> Vec<(&'static str, Value)> {
    vec![
        ("openai", json!({"name": "OpenAI key", "value": "sk-1"})),
        ("qdrant", json!({"name": "Qdrant key", "value": "q-1"})),
        ("mcp-auth", json!({"name": "MCP auth", "value": "m-1"})),
    ]
}

fn mcp_servers() -> Vec<(&'static str, Value)> {
    vec![
        (
            "mcp-custom",
            json!({"name": "Custom MCP Server", "type": "custom", "enabled": true, "transport": "streamable_http",
                   "config": {"url": "http://localhost:7900/mcp", "authorizationHeaderName": "Authorization",
                              "authorizationHeaderToken": {"id": "mcp-auth"}}}),
        ),
        (
            "mcp-dynamic",
            json!({"name": "Functions", "type": "dynamic", "enabled": false, "transport": "sse",
                   "tools": [{"name": "lookup", "description": "Looks up", "prompt": "Use to look up", "enabled": true,
                              "config": {"requiredScopes": ["order.order_read"], "inputSchema": "{\"type\":\"object\"}",
                                         "invocation": {"functionId": "fn-1", "method": "POST", "argsLocation": "body"}}}]}),
        ),
    ]
}

fn tools() -> Vec<(&'static str, Value)> {
    let embedding = json!({"provider": "openai", "model": "text-embedding-3-small", "dimensions": 1536,
                           "token": {"id": "openai"}});
    vec![
        (
            "slack-tool",
            json!({"name": "Slack", "type": "slack", "enabled": false,
                   "config": {"teamId": "T1", "botToken": "xoxb-1", "allowedOperations": ["sendMessage"]}}),
        ),
        (
            "teams-tool",
            json!({"name": "Teams", "type": "teams",
                   "config": {"teamId": "T2", "tenantId": "azure", "defaultInboundAgentId": "support"}}),
        ),
        (
            "rag-custom",
            json!({"name": "Catalog search", "type": "rag_custom", "enabled": true,
                   "config": {"prompt": "Search products", "maxResults": 5,
                              "databaseConfig": {"url": "https://qdrant.example", "type": "qdrant",
                                                 "entityType": "product", "collectionName": "products",
                                                 "token": {"id": "qdrant"}},
                              "embeddingConfig": embedding}}),
        ),
        (
            "rag-emporix",
            json!({"name": "Orders", "type": "rag_emporix",
                   "config": {"prompt": "Search orders", "entityType": "ORDER",
                              "indexedFields": [{"name": "Number", "key": "number"}],
                              "filterFields": [{"key": "status", "description": "Order status"}],
                              "embeddingConfig": {"provider": "emporix_openai"}}}),
        ),
    ]
}

fn agents() -> Vec<(&'static str, Value)> {
    let every_shape = json!({
        "name": {"en": "Support", "de": "Kundendienst"}, "description": {"en": "Answers customers"},
        "enabled": false, "userPrompt": "Help the customer.", "outputFormat": "{\"type\":\"object\"}",
        "requiredScopes": ["customer", "employee"], "icon": "robot", "tags": ["support"],
        "triggers": [
            {"type": "endpoint"},
            {"type": "commerce_events", "config": {"events": ["product.product-created"],
                                                   "filter": {"left": "payload.id", "op": "$exists"}}},
            {"type": "slack", "config": null},
        ],
        "llmConfig": {"model": "gpt-4.1-mini", "temperature": 0.3, "maxTokens": 4000, "provider": "openai",
                      "token": {"id": "openai"}, "additionalParams": {"top_p": 0.9}},
        "mcpServers": [
            {"type": "predefined", "domain": "order", "tools": ["get-order"]},
            {"type": "custom", "mcpServer": {"id": "mcp-custom"}},
            {"type": "dynamic", "mcpServer": {"id": "mcp-dynamic"}, "tools": ["lookup"]},
        ],
        "nativeTools": [{"id": "slack-tool", "allowedOperations": ["sendMessage"]}, {"id": "rag-custom"}],
        "agentCollaborations": [{"agentId": "billing", "description": "Billing questions"}],
        "maxRecursionLimit": 12, "enableMemory": true,
    });
    let self_hosted = json!({
        "name": {"en": "Billing"}, "userPrompt": "Explain invoices.", "triggers": [{"type": "endpoint"}],
        "llmConfig": {"model": "llama3", "provider": "self_hosted_ollama", "baseProvider": "OPENAI",
                      "selfHostedParams": {"url": "https://llm.example", "authorizationHeaderName": "X-Key",
                                           "authorizationHeaderToken": {"id": "openai"}}},
        "mcpServers": [],
    });
    vec![("billing", self_hosted), ("support", every_shape)]
}

#[tokio::test]
async fn every_documented_response_validates_against_the_documented_schemas() {
    let app = spawn_app().await;
    let rest = Rest::new(&app);
    let doc = rest.get("/openapi.json").await.expect(StatusCode::OK).body;

    let shown = put_all(&rest, &doc, "tokens", "TokenResponse", &tokens()).await;
    assert!(shown.iter().all(|token| token.get("value").is_none()), "token values never leave");
    put_all(&rest, &doc, "mcp-servers", "McpServerResponse", &mcp_servers()).await;
    let shown = put_all(&rest, &doc, "tools", "ToolResponse", &tools()).await;
    assert!(shown[0]["config"].get("botToken").is_none(), "{}", shown[0]);
    let shown = put_all(&rest, &doc, "agents", "AgentResponse", &agents()).await;
    let support = &shown[1];
    assert_eq!(support["triggers"][2], json!({"type": "slack", "config": null}));
    assert_eq!(support["llmConfig"]["additionalParams"], json!({"top_p": 0.9}));

    // Expanded references and localized texts are documented shapes too.
    let path = format!("{BASE}/agents/support?expand=token,mcpServers,nativeTools");
    let expanded = rest.get(&path).await.expect(StatusCode::OK).body;
    assert_documented("AgentResponse", &expanded);
    assert_eq!(expanded["llmConfig"]["token"]["name"], "OpenAI key", "{expanded}");
    assert_documented("McpServerResponse", &expanded["mcpServers"][1]["mcpServer"]);
    assert_documented("ToolResponse", &expanded["nativeTools"][1]);
    let german = rest.send(Method::GET, &format!("{BASE}/agents"), &[("accept-language", "de")], None).await;
    for agent in german.expect(StatusCode::OK).body.as_array().unwrap() {
        assert_documented("AgentResponse", agent);
        assert_declared(&doc, "AgentResponse", agent);
    }

    // A PATCH and a replacing PUT leave documented resources.
    let one = format!("{BASE}/agents/support");
    let patch = json!([{"op": "REPLACE", "path": "/enabled", "value": true}]);
    rest.patch(&one, &patch).await.expect(StatusCode::NO_CONTENT);
    let mut replaced = agents().remove(1).1;
    replaced["enabled"] = json!(true);
    rest.put(&one, &replaced).await.expect(StatusCode::NO_CONTENT);
    let after = rest.get(&one).await.expect(StatusCode::OK).body;
    assert_documented("AgentResponse", &after);
    assert_eq!((&after["enabled"], &after["metadata"]["version"]), (&json!(true), &json!(3)), "{after}");

    // Export, import and the jobs they leave, against the spec files' schemas.
    let export = json!({"agentIds": ["support"]});
    let exported = rest.post(&format!("{BASE}/agents/export"), &export).await.expect(StatusCode::OK).body;
    assert_valid("export-response", &exported);
    let upload = json!({"data": exported["data"], "checksum": exported["checksum"]});
    let imported = rest.post("/ai-service/other/agentic/agents/import", &upload).await.expect(StatusCode::OK).body;
    assert_valid("import-response", &imported);
    assert_eq!(imported["summary"]["agents"].as_array().map(Vec::len), Some(2), "{imported}");
    let jobs = rest.get("/ai-service/acme/jobs").await.expect(StatusCode::OK).body;
    assert_valid("jobs", &jobs);
    let job = rest.get(&format!("/ai-service/other/jobs/{}", imported["jobId"].as_str().unwrap())).await;
    assert_valid("job", &job.expect(StatusCode::OK).body);
    for imported in rest.get("/ai-service/other/agentic/agents").await.expect(StatusCode::OK).body.as_array().unwrap() {
        assert_documented("AgentResponse", imported);
    }
}
