//! The Emporix dialect at its edges: scopes of writes, what an import accepts (ids, the rules a
//! PUT applies, data that is no bundle), what a bundle carries, and the documented disable,
//! force and immutability rules of tools, MCP servers and tokens.

use agentport::domain::checksum::checksum;
use agentport::domain::names::{ResourceKind, ResourceName};
use agentport::store::Store;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::auth::{Claims, HS_SECRET, secured_app};
use crate::helpers::{TestApp, spawn_app};
use crate::rest_emporix::{Rest, agent_body, assert_valid, export, with};

const ACME: &str = "/ai-service/acme";

/// An import body for these decoded bytes, with the checksum an unkeyed service computes.
fn import_body(data: &Value) -> Value {
    let bytes = serde_json::to_vec(data).unwrap();
    json!({ "data": STANDARD.encode(&bytes), "checksum": checksum(&bytes, None) })
}

fn fields(error: &Value) -> Vec<&str> {
    error["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect()
}

/// A bundled agent that passes every rule.
fn bundled_agent(id: &str) -> Value {
    with(agent_body(id), "id", json!(id))
}

#[tokio::test]
async fn writes_need_only_the_manage_scope() {
    let app = secured_app().await;
    let manager = Rest::with_token(&app, &Claims::new("acme", &["ai.agent_manage"]).hs256(HS_SECRET));
    let agent = format!("{ACME}/agentic/agents/a");
    manager.put(&agent, &agent_body("A")).await.expect(StatusCode::CREATED);
    manager.put(&agent, &agent_body("A v2")).await.expect(StatusCode::NO_CONTENT);
    manager
        .patch(&agent, &json!([{ "op": "REPLACE", "path": "/enabled", "value": true }]))
        .await
        .expect(StatusCode::NO_CONTENT);
    let tool = format!("{ACME}/agentic/tools/t");
    let slack = json!({ "name": "Slack", "type": "slack", "config": { "teamId": "T1", "botToken": "xoxb-1" } });
    manager.put(&tool, &slack).await.expect(StatusCode::CREATED);
    manager.put(&tool, &slack).await.expect(StatusCode::NO_CONTENT);
    manager
        .patch(&tool, &json!([{ "op": "REPLACE", "path": "/name", "value": "S" }]))
        .await
        .expect(StatusCode::NO_CONTENT);
    let server = format!("{ACME}/agentic/mcp-servers/m");
    let body = json!({ "name": "M", "transport": "streamable_http", "config": { "url": "http://m.example.com/mcp" } });
    manager.put(&server, &body).await.expect(StatusCode::CREATED);
    manager
        .patch(&server, &json!([{ "op": "REPLACE", "path": "/name", "value": "N" }]))
        .await
        .expect(StatusCode::NO_CONTENT);
    let token = format!("{ACME}/agentic/tokens/k");
    manager.put(&token, &json!({ "name": "K", "value": "v" })).await.expect(StatusCode::CREATED);
    manager
        .patch(&token, &json!([{ "op": "REPLACE", "path": "/name", "value": "L" }]))
        .await
        .expect(StatusCode::NO_CONTENT);
    manager.delete(&agent).await.expect(StatusCode::NO_CONTENT);
    // Reading still needs the read scope.
    manager.get(&tool).await.error(StatusCode::FORBIDDEN, "PERMISSION_DENIED");
    let reader = Rest::with_token(&app, &Claims::new("acme", &["ai.agent_read"]).hs256(HS_SECRET));
    reader.put(&tool, &slack).await.error(StatusCode::FORBIDDEN, "PERMISSION_DENIED");
}

#[tokio::test]
async fn import_refuses_ids_no_api_could_address() {
    let app = spawn_app().await;
    let rest = Rest::new(&app);
    let data = json!({
        "agents": [ bundled_agent("Bad Id!") ],
        "tools": [ { "id": "tenants/x", "name": "RAG", "type": "rag_emporix", "enabled": true, "config": { "prompt": "p" } } ],
    });
    let refused = rest.post(&format!("{ACME}/agentic/agents/import"), &import_body(&data)).await;
    let refused = refused.error(StatusCode::BAD_REQUEST, "INVALID_BUNDLE");
    assert_eq!(fields(&refused), ["data.agents[0].id", "data.tools[0].id"], "{refused}");
    assert!(rest.get(&format!("{ACME}/agentic/agents")).await.body.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn renamed_ids_stay_within_128_characters() {
    let app = spawn_app().await;
    let rest = Rest::new(&app);
    let long = format!("a{}", "b".repeat(127));
    let body = import_body(&json!({ "agents": [ bundled_agent(&long) ] }));
    let import = format!("{ACME}/agentic/agents/import");
    let first = rest.post(&import, &body).await.expect(StatusCode::OK).body;
    assert_eq!(first["summary"]["agents"][0]["id"], long.as_str());
    for _ in 0..2 {
        let again = rest.post(&import, &body).await.expect(StatusCode::OK).body;
        let renamed = again["summary"]["agents"][0]["id"].as_str().unwrap().to_owned();
        assert_eq!(renamed.len(), 128, "{renamed}");
        assert!(renamed.contains("--import-"), "{renamed}");
        // The renamed agent is reachable like any other.
        rest.get(&format!("{ACME}/agentic/agents/{renamed}")).await.expect(StatusCode::OK);
    }
    let listed = rest.get(&format!("{ACME}/agentic/agents")).await.expect(StatusCode::OK).body;
    assert_eq!(listed.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn import_applies_the_rules_of_a_put_in_emporix_names() {
    let app = spawn_app().await;
    let rest = Rest::new(&app);
    let import = format!("{ACME}/agentic/agents/import");
    let mut bare = bundled_agent("bare");
    for key in ["userPrompt", "llmConfig"] {
        bare.as_object_mut().unwrap().remove(key);
    }
    let mut hot = bundled_agent("hot");
    hot["llmConfig"]["temperature"] = json!(1.5);
    let mut nameless = bundled_agent("nameless");
    nameless["name"] = json!({});
    let data = json!({
        "agents": [ bare, hot, nameless ],
        "tools": [ { "id": "odd", "name": "Odd", "type": "fax", "enabled": true } ],
        "mcpServers": [ { "id": "nowhere", "name": "Nowhere", "type": "custom", "enabled": true, "transport": "streamable_http" } ],
    });
    let refused = rest.post(&import, &import_body(&data)).await.error(StatusCode::BAD_REQUEST, "INVALID_BUNDLE");
    assert_eq!(
        fields(&refused),
        [
            "data.agents[0].userPrompt",
            "data.agents[0].llmConfig",
            "data.agents[1].llmConfig.temperature",
            "data.agents[2].name",
            "data.tools[0].type",
            "data.mcpServers[0].config.url",
        ],
        "{refused}"
    );

    // A PUT refuses the same temperature, under the same name.
    let put = rest
        .put(
            &format!("{ACME}/agentic/agents/hot"),
            &with(
                agent_body("Hot"),
                "llmConfig",
                json!({
                    "model": "gpt-4.1-mini", "provider": "openai", "temperature": 1.5,
                }),
            ),
        )
        .await;
    assert_eq!(fields(&put.error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT")), ["llmConfig.temperature"]);
}

#[tokio::test]
async fn data_that_is_no_bundle_is_refused() {
    let app = spawn_app().await;
    let rest = Rest::new(&app);
    let refused = rest
        .post(&format!("{ACME}/agentic/agents/import"), &import_body(&json!({ "foo": 1 })))
        .await
        .error(StatusCode::BAD_REQUEST, "INVALID_BUNDLE");
    assert_eq!(fields(&refused), ["data"]);
    assert!(refused["details"][0]["message"].as_str().unwrap().contains("agents"), "{refused}");
    let jobs = rest.get(&format!("{ACME}/jobs?q=status:success")).await.expect(StatusCode::OK).body;
    assert!(jobs.as_array().unwrap().is_empty(), "nothing was imported: {jobs}");
}

#[tokio::test]
async fn bundles_carry_no_agent_state_and_keep_disabled_components_disabled() {
    let app = spawn_app().await;
    let rest = Rest::new(&app);
    let server = json!({ "name": "Off", "enabled": false, "transport": "streamable_http",
        "config": { "url": "http://off.example.com/mcp" } });
    rest.put(&format!("{ACME}/agentic/mcp-servers/off"), &server).await.expect(StatusCode::CREATED);
    let mut agent = with(agent_body("On"), "enabled", json!(true));
    agent["mcpServers"] = json!([{ "type": "custom", "mcpServer": { "id": "off" } }]);
    rest.put(&format!("{ACME}/agentic/agents/on"), &agent).await.expect(StatusCode::CREATED);

    let exported = export(&rest, ACME, &["on"]).await;
    let decoded: Value = serde_json::from_slice(&STANDARD.decode(exported["data"].as_str().unwrap()).unwrap()).unwrap();
    let bundled = decoded["agents"][0].as_object().unwrap();
    assert!(!bundled.contains_key("enabled"), "the documented bundle has no `enabled` on agents: {decoded}");
    assert!(bundled.get("agentport").is_none_or(|ext| ext.get("status").is_none()), "{decoded}");
    assert_eq!(decoded["mcpServers"][0]["enabled"], false);

    let body = json!({ "data": exported["data"], "checksum": exported["checksum"] });
    let target = "/ai-service/target";
    let dry =
        rest.post(&format!("{target}/agentic/agents/import?dryRun=true"), &body).await.expect(StatusCode::OK).body;
    assert_eq!(dry["message"], "Dry run, nothing was written: would import 1 agents, 0 tools, and 1 MCP servers.");
    let imported = rest.post(&format!("{target}/agentic/agents/import"), &body).await.expect(StatusCode::OK).body;
    assert_valid("import-response", &imported);
    assert_eq!(imported["summary"]["mcpServers"][0]["state"], "DISABLED");
    let shown = rest.get(&format!("{target}/agentic/mcp-servers/off")).await.expect(StatusCode::OK).body;
    assert_eq!(shown["enabled"], false);
    let shown = rest.get(&format!("{target}/agentic/agents/on")).await.expect(StatusCode::OK).body;
    assert_eq!(shown["enabled"], false, "imported agents start disabled");
}

#[tokio::test]
async fn exporting_an_unknown_agent_is_a_bad_request() {
    let app = spawn_app().await;
    let rest = Rest::new(&app);
    let refused = rest.post(&format!("{ACME}/agentic/agents/export"), &json!({ "agentIds": ["nope"] })).await;
    let refused = refused.error(StatusCode::BAD_REQUEST, "RESOURCE_NOT_FOUND");
    assert!(refused["message"].as_str().unwrap().contains("nope"), "{refused}");
}

/// The stored body of a token, as the store holds it.
async fn stored_token(app: &TestApp, id: &str) -> Value {
    let store = Store::connect(app.database.url()).await.unwrap();
    let name = ResourceName::parse(ResourceKind::Secret, &format!("tenants/acme/secrets/{id}"), "name").unwrap();
    serde_json::from_str(&store.get(&name).await.unwrap().body).unwrap()
}

#[tokio::test]
async fn a_token_value_never_changes_once_created() {
    let app = spawn_app().await;
    let rest = Rest::new(&app);
    let path = format!("{ACME}/agentic/tokens/openai");
    rest.put(&path, &json!({ "name": "OpenAI", "value": "sk-first" })).await.expect(StatusCode::CREATED);
    let before = stored_token(&app, "openai").await;
    let refused = rest.put(&path, &json!({ "name": "OpenAI", "value": "sk-second" })).await;
    let refused = refused.error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT");
    assert_eq!(fields(&refused), ["value"]);
    assert_eq!(stored_token(&app, "openai").await["value"], before["value"]);
    // Without a value the name can change; the value stays.
    rest.put(&path, &json!({ "name": "Renamed" })).await.expect(StatusCode::NO_CONTENT);
    let after = stored_token(&app, "openai").await;
    assert_eq!((&after["value"], &after["displayName"]), (&before["value"], &json!("Renamed")));
}

#[tokio::test]
async fn tool_and_server_bodies_follow_their_type() {
    let app = spawn_app().await;
    let rest = Rest::new(&app);
    let tool = format!("{ACME}/agentic/tools/t");
    let cases = [
        (json!({ "name": "Fax", "type": "fax", "config": {} }), "type"),
        (json!({ "name": "Slack", "type": "slack", "config": { "teamId": "T1" } }), "config.botToken"),
        (
            json!({ "name": "Slack", "type": "slack", "config": { "teamId": "T1", "botToken": "xoxb-1", "prompt": "p" } }),
            "config.prompt",
        ),
    ];
    for (body, field) in cases {
        let refused = rest.put(&tool, &body).await.error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT");
        assert_eq!(fields(&refused), [field], "{body}");
    }
    rest.get(&tool).await.error(StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND");
    // The bot token may be left out of an update.
    let slack = json!({ "name": "Slack", "type": "slack", "config": { "teamId": "T1", "botToken": "xoxb-1" } });
    rest.put(&tool, &slack).await.expect(StatusCode::CREATED);
    rest.put(&tool, &json!({ "name": "Slack 2", "type": "slack", "config": { "teamId": "T1" } }))
        .await
        .expect(StatusCode::NO_CONTENT);

    let server = format!("{ACME}/agentic/mcp-servers/m");
    let refused = rest.put(&server, &json!({ "name": "M", "type": "custom", "transport": "streamable_http" })).await;
    assert_eq!(fields(&refused.error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT")), ["config.url"]);
    let refused = rest.put(&server, &json!({ "name": "M", "type": "remote", "config": { "url": "http://x" } })).await;
    assert_eq!(fields(&refused.error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT")), ["type"]);
}

#[tokio::test]
async fn disabling_a_component_enabled_agents_use_needs_force_and_cascades() {
    let app = spawn_app().await;
    let rest = Rest::new(&app);
    let tool = format!("{ACME}/agentic/tools/rag");
    let rag = json!({ "name": "RAG", "type": "rag_emporix", "enabled": true, "config": { "prompt": "Find" } });
    rest.put(&tool, &rag).await.expect(StatusCode::CREATED);
    let server = format!("{ACME}/agentic/mcp-servers/m");
    let body = json!({ "name": "M", "enabled": true, "transport": "streamable_http", "config": { "url": "http://m.example.com/mcp" } });
    rest.put(&server, &body).await.expect(StatusCode::CREATED);
    let mut agent = with(agent_body("User"), "enabled", json!(true));
    agent["nativeTools"] = json!([{ "id": "rag" }]);
    agent["mcpServers"] = json!([{ "type": "custom", "mcpServer": { "id": "m" } }]);
    let agent_path = format!("{ACME}/agentic/agents/user");
    rest.put(&agent_path, &agent).await.expect(StatusCode::CREATED);
    rest.put(&format!("{ACME}/agentic/agents/idle"), &agent).await.expect(StatusCode::CREATED);
    rest.patch(
        &format!("{ACME}/agentic/agents/idle"),
        &json!([{ "op": "REPLACE", "path": "/enabled", "value": false }]),
    )
    .await
    .expect(StatusCode::NO_CONTENT);

    let disable = json!([{ "op": "REPLACE", "path": "/enabled", "value": false }]);
    let refused = rest.patch(&tool, &disable).await.error(StatusCode::BAD_REQUEST, "RESOURCE_IN_USE");
    assert!(refused["details"].as_array().unwrap().iter().any(|d| d["type"] == "force"), "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("agents/user"), "{refused}");
    assert!(!refused["message"].as_str().unwrap().contains("agents/idle"), "only enabled agents count: {refused}");
    assert_eq!(rest.get(&tool).await.body["enabled"], true, "nothing changed");
    assert_eq!(rest.get(&agent_path).await.body["enabled"], true);

    rest.patch(&format!("{tool}?force=true"), &disable).await.expect(StatusCode::NO_CONTENT);
    assert_eq!(rest.get(&tool).await.body["enabled"], false);
    assert_eq!(rest.get(&agent_path).await.body["enabled"], false, "force disables the agents too");

    // The MCP server: no enabled agent uses it any more, so it disables without force; an
    // enabled user makes a PUT refuse, then cascade with force.
    rest.patch(&agent_path, &json!([{ "op": "REPLACE", "path": "/nativeTools", "value": [] }]))
        .await
        .expect(StatusCode::NO_CONTENT);
    rest.patch(&agent_path, &json!([{ "op": "REPLACE", "path": "/enabled", "value": true }]))
        .await
        .expect(StatusCode::NO_CONTENT);
    let off = with(body.clone(), "enabled", json!(false));
    rest.put(&server, &off).await.error(StatusCode::BAD_REQUEST, "RESOURCE_IN_USE");
    rest.put(&format!("{server}?force=true"), &off).await.expect(StatusCode::NO_CONTENT);
    assert_eq!(rest.get(&server).await.body["enabled"], false);
    assert_eq!(rest.get(&agent_path).await.body["enabled"], false);
    // Re-enabling needs nothing.
    rest.put(&server, &body).await.expect(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn the_openapi_document_tells_what_force_and_page_size_do() {
    let app = spawn_app().await;
    let doc = Rest::new(&app).get("/openapi.json").await.expect(StatusCode::OK).body;
    let text = doc.to_string();
    assert!(!text.contains("changes nothing"), "DELETE force does something");
    let delete = &doc["paths"]["/ai-service/{tenant}/agentic/tools/{toolId}"]["delete"];
    let force = delete["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "force").unwrap();
    assert!(force["description"].as_str().unwrap().contains("references"), "{force}");
    assert!(delete["responses"]["400"].is_object());
    let patch = &doc["paths"]["/ai-service/{tenant}/agentic/mcp-servers/{mcpServerId}"]["patch"];
    assert!(patch["parameters"].as_array().unwrap().iter().any(|p| p["name"] == "force"), "{patch}");
    let jobs = &doc["paths"]["/ai-service/{tenant}/jobs"]["get"];
    let page_size = jobs["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "pageSize").unwrap();
    let said = format!("{} {}", jobs["description"], page_size["description"]);
    assert!(!said.contains("all when absent"), "{said}");
    assert!(said.contains("50"), "jobs pages hold 50 by default: {said}");
}

#[tokio::test]
async fn template_exports_are_not_emporix_export_jobs() {
    use agentport::proto::template_service_client::TemplateServiceClient;
    use agentport::proto::{ExportAgentTemplateRequest, JobType, ListJobsRequest};
    let app = spawn_app().await;
    let rest = Rest::new(&app);
    rest.put(&format!("{ACME}/agentic/agents/a"), &agent_body("A")).await.expect(StatusCode::CREATED);
    let request = ExportAgentTemplateRequest {
        agent: "tenants/acme/agents/a".into(),
        display_name: "A template".into(),
        ..Default::default()
    };
    TemplateServiceClient::new(app.channel.clone()).export_agent_template(request).await.unwrap();
    export(&rest, ACME, &["a"]).await;

    // gRPC names the template export for what it is.
    let mut jobs = agentport::proto::job_service_client::JobServiceClient::new(app.channel.clone());
    let all = jobs
        .list_jobs(ListJobsRequest { parent: "tenants/acme".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .jobs;
    let types: Vec<JobType> = all.iter().map(|j| j.r#type()).collect();
    assert_eq!(types, [JobType::Export, JobType::TemplateExport], "newest first");
    // Emporix shows only its own job types: one EXPORT, whose result is a bundle.
    let listed = rest.get(&format!("{ACME}/jobs")).await.expect(StatusCode::OK).body;
    assert_valid("jobs", &listed);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["type"], "EXPORT");
    let searched = rest.post(&format!("{ACME}/jobs/search"), &json!({ "q": "type:EXPORT" })).await;
    assert_eq!(searched.expect(StatusCode::OK).body.as_array().unwrap().len(), 1);
    let template_job = agentport::domain::names::ResourceName::parse(ResourceKind::Job, &all[1].name, "name").unwrap();
    rest.get(&format!("{ACME}/jobs/{}", template_job.id)).await.error(StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND");
}

#[tokio::test]
async fn an_export_refuses_agents_an_import_would_refuse_before_writing_anything() {
    use agentport::proto::{CreateAgentRequest, ExportAgentsRequest, LlmConfig};
    let mut app = spawn_app().await;
    let rest = Rest::new(&app);
    // An xpander agent has no general instructions unless given: Emporix requires `userPrompt`.
    let xpander = json!({ "name": "Planner", "model_name": "gpt-4o" });
    let created =
        rest.send(reqwest::Method::POST, "/v1/agents", &[("x-agentport-tenant", "acme")], Some(&xpander)).await;
    let planner = created.expect(StatusCode::CREATED).body["id"].as_str().unwrap().to_owned();
    // gRPC allows temperatures up to 2; the Emporix format up to 1.
    let mut hot = crate::fixtures::sample_agent();
    hot.llm = Some(LlmConfig { temperature: Some(1.5), ..hot.llm.unwrap() });
    app.agents
        .create_agent(CreateAgentRequest { parent: "tenants/acme".into(), agent_id: "hot".into(), agent: Some(hot) })
        .await
        .unwrap();
    rest.put(&format!("{ACME}/agentic/agents/fine"), &agent_body("Fine")).await.expect(StatusCode::CREATED);

    let refused = rest.post(&format!("{ACME}/agentic/agents/export"), &json!({ "agentIds": ["hot"] })).await;
    let refused = refused.error(StatusCode::BAD_REQUEST, "NOT_EXPORTABLE");
    assert_eq!(fields(&refused), ["agents[hot].llmConfig.temperature"]);
    let message = refused["message"].as_str().unwrap();
    assert!(message.contains("agent `hot`") && message.contains("1.5"), "{refused}");

    let refused = rest.post(&format!("{ACME}/agentic/agents/export"), &json!({ "agentIds": [&planner, "fine"] })).await;
    let refused = refused.error(StatusCode::BAD_REQUEST, "NOT_EXPORTABLE");
    // (xpander shows `model_provider: openai` when none was stored; Emporix requires one.)
    let expected = ["userPrompt", "llmConfig.provider"].map(|f| format!("agents[{planner}].{f}"));
    assert_eq!(fields(&refused), expected);

    let status = app
        .agents
        .export_agents(ExportAgentsRequest {
            parent: "tenants/acme".into(),
            agent_ids: vec!["hot".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert_eq!(crate::helpers::reason(&status), "NOT_EXPORTABLE");
    assert_eq!(crate::helpers::violated_fields(&status), ["agents[hot].llmConfig.temperature"]);

    // Nothing was recorded; an exportable agent still exports, and what it exports imports.
    let jobs = rest.get(&format!("{ACME}/jobs")).await.expect(StatusCode::OK).body;
    assert_eq!(jobs, json!([]), "a refused export records no job");
    let exported = export(&rest, ACME, &["fine"]).await;
    let body = json!({ "data": exported["data"], "checksum": exported["checksum"] });
    rest.post("/ai-service/other/agentic/agents/import", &body).await.expect(StatusCode::OK);
}
