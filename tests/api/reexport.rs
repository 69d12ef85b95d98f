//! Exporting what an import created, unchanged, gives back what was imported: the same bundle
//! bytes and checksum in the Emporix dialect (ids kept), and the same template definition in the
//! xpander dialect (whose import gives every entity a new id: the same up to those ids). So a
//! bundle or template can live in git and a re-export's diff shows real changes only.

use std::collections::HashMap;

use agentport::proto::job_service_client::JobServiceClient;
use agentport::proto::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::{SECRET_VALUES, seed_source, slack_tool};
use crate::helpers::{TestApp, spawn_app};
use crate::rest_emporix::{Rest, export};
use crate::rest_xpander::Api;
use crate::templates::seed_tree;

async fn secret(app: &mut TestApp, tenant: &str, id: &str, value: &str) {
    let secret = Secret { display_name: id.into(), value: value.into(), ..Default::default() };
    let request =
        CreateSecretRequest { parent: format!("tenants/{tenant}"), secret_id: id.into(), secret: Some(secret) };
    app.agents.create_secret(request).await.unwrap();
}

#[tokio::test]
async fn an_imported_bundle_exports_again_to_the_same_bytes_and_checksum() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    // The function the dynamic MCP server calls exists in both tenants (a bundle does not carry
    // it: an import checks that the target has it).
    for tenant in ["source", "target"] {
        let function = Tool {
            display_name: "Price function".into(),
            r#type: "custom_function".into(),
            enabled: true,
            ..Default::default()
        };
        let request =
            CreateToolRequest { parent: format!("tenants/{tenant}"), tool_id: "fn-price".into(), tool: Some(function) };
        app.agents.create_tool(request).await.unwrap();
    }
    let rest = Rest::new(&app);
    let first = export(&rest, "/ai-service/source", &["support"]).await;

    // The target holds the secrets the bundle names, so every reference binds as it was.
    for (id, value) in [("openai-token", SECRET_VALUES[0]), ("mcp-token", SECRET_VALUES[1])] {
        secret(&mut app, "target", id, value).await;
    }
    let upload = json!({ "data": first["data"], "checksum": first["checksum"] });
    rest.post("/ai-service/target/agentic/agents/import", &upload).await.expect(StatusCode::OK);
    // A Slack tool is not importable (TO_CREATE): its user creates it as it was, same id.
    let slack = slack_tool();
    let request =
        CreateToolRequest { parent: "tenants/target".into(), tool_id: "slack-tool".into(), tool: Some(slack) };
    app.agents.create_tool(request).await.unwrap();

    let second = export(&rest, "/ai-service/target", &["support"]).await;
    assert_eq!(second["checksum"], first["checksum"], "{}", diff(&first, &second));
    assert_eq!(second["data"], first["data"]);
}

/// Where two exports' decoded bundles differ, for a failing assertion's message.
fn diff(first: &Value, second: &Value) -> String {
    let decode = |v: &Value| -> Value {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD.decode(v["data"].as_str().unwrap()).unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    let patch = json_patch::diff(&decode(first), &decode(second));
    serde_json::to_string_pretty(&patch).unwrap()
}

#[tokio::test]
async fn an_imported_template_exports_again_to_the_same_definition_up_to_its_new_ids() {
    let mut app = spawn_app().await;
    seed_tree(&mut app, "source").await;
    // A template import makes its agents ACTIVE: so are the ones exported.
    let listed = app.agents.list_agents(ListAgentsRequest { parent: "tenants/source".into(), ..Default::default() });
    for agent in listed.await.unwrap().into_inner().agents {
        let change = Agent { name: agent.name, status: AgentStatus::Active as i32, ..Default::default() };
        let mask = Some(prost_types::FieldMask { paths: vec!["status".into()] });
        app.agents.update_agent(UpdateAgentRequest { agent: Some(change), update_mask: mask }).await.unwrap();
    }
    let api = Api::new(&app);
    let request = json!({"name": "Concierge template", "description": "A concierge", "icon": "🎧"});
    let (status, first) = api.tenant("source").post("/v1/agents/concierge/export", request.clone()).await;
    assert_eq!(status, StatusCode::OK, "{first}");

    // The target allows the endpoints the agents call, and maps every secret requirement of the
    // template to a secret of its own: nothing is imported disabled.
    let settings = TenantSettings {
        name: "tenants/target/settings".into(),
        endpoint_allow_list: vec!["*.example.com".into()],
        ..Default::default()
    };
    let allow = UpdateTenantSettingsRequest { settings: Some(settings), update_mask: None };
    app.agents.update_tenant_settings(allow).await.unwrap();
    secret(&mut app, "target", "target-openai", "sk-target-openai-value-0001").await;
    secret(&mut app, "target", "target-other", "sk-target-other-value-0002").await;
    // The new root takes the name and icon the import gives it: the source agent's, here.
    let (name, icon) = (&first["agent_definition"]["name"], &first["agent_definition"]["icon"]);
    let import = json!({"name": name, "icon": icon, "secret_mappings": {"secret-1": "target-openai", "secret-2": "target-other"}});
    let path = format!("/v1/agents/template_import/{}", first["id"].as_str().unwrap());
    let (status, root) = api.tenant("target").post(&path, import).await;
    assert_eq!(status, StatusCode::OK, "{root}");

    let path = format!("/v1/agents/{}/export", root["id"].as_str().unwrap());
    let (status, second) = api.tenant("target").post(&path, request).await;
    assert_eq!(status, StatusCode::OK, "{second}");

    // The import's job says which new id each template id became.
    let mut jobs = JobServiceClient::new(app.channel.clone());
    let listed = jobs.list_jobs(ListJobsRequest { parent: "tenants/target".into(), ..Default::default() }).await;
    let result = listed.unwrap().into_inner().jobs.into_iter().find_map(|j| j.import_result).unwrap();
    let summary = result.summary.unwrap();
    let new_to_old: HashMap<String, String> =
        [summary.agents, summary.tools, summary.mcp_servers, summary.knowledge_bases]
            .into_iter()
            .flatten()
            .map(|e| (e.id, e.source_id))
            .collect();
    let mut text = second["agent_definition"].to_string();
    for (new, old) in &new_to_old {
        text = text.replace(new.as_str(), old);
    }
    let second_definition: Value = serde_json::from_str(&text).unwrap();
    let patch = json_patch::diff(&first["agent_definition"], &second_definition);
    assert!(patch.0.is_empty(), "{}", serde_json::to_string_pretty(&patch).unwrap());
    assert_eq!(second_definition.to_string(), first["agent_definition"].to_string(), "and in key order too");
}
