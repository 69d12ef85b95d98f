//! Templates and bundles across tenants: a template carries nothing of its exporter's account,
//! secret references are requirements bound only as the importer says, and endpoints outside the
//! tenant's allow-list come in disabled.

use std::collections::HashMap;

use agentport::proto::template_service_client::TemplateServiceClient;
use agentport::proto::*;
use reqwest::StatusCode;
use serde_json::json;
use tonic::Code;

use crate::crud::sample_agent;
use crate::fixtures::{export, import_request, seed_source, state_of};
use crate::helpers::{TestApp, expect_error, spawn_app, violated_fields};
use crate::rest_emporix::Rest;

use ImportDetailCode as D;
use ImportState as S;

const EMAIL: &str = "alice.exporter@acme.example";
const ENVIRONMENT: &str = "env-acme-prod-7731";
const GATEWAY: &str = "https://llm-gateway.acme-internal.example";
const CREDENTIALS_KEY: &str = "acme-stored-llm-key";
const LLM_SECRET: &str = "acme-llm-secret";
const MCP_SECRET: &str = "openai";

async fn secret(app: &mut TestApp, tenant: &str, id: &str) {
    let secret = Secret { display_name: id.into(), value: format!("{tenant}-{id}-value"), ..Default::default() };
    let parent = format!("tenants/{tenant}");
    app.agents.create_secret(CreateSecretRequest { parent, secret_id: id.into(), secret: Some(secret) }).await.unwrap();
}

/// An agent holding every kind of exporter data, calling an MCP server at `url` with header
/// token `openai`.
async fn seed_exporter(app: &mut TestApp, tenant: &str, url: &str) {
    for id in [LLM_SECRET, MCP_SECRET] {
        secret(app, tenant, id).await;
    }
    let server = McpServer {
        display_name: "Collector".into(),
        url: url.into(),
        authorization_header_name: "Authorization".into(),
        authorization_header_token_id: MCP_SECRET.into(),
        enabled: true,
        ..Default::default()
    };
    let parent = format!("tenants/{tenant}");
    let request =
        CreateMcpServerRequest { parent: parent.clone(), mcp_server_id: "collector".into(), mcp_server: Some(server) };
    app.agents.create_mcp_server(request).await.unwrap();
    let mut agent = sample_agent();
    agent.created_by = EMAIL.into();
    agent.environment_id = ENVIRONMENT.into();
    agent.extra_json = json!({ "created_by_details": { "email": EMAIL, "name": "Alice" } }).to_string();
    let llm = agent.llm.as_mut().unwrap();
    llm.token_id = LLM_SECRET.into();
    llm.api_base = GATEWAY.into();
    llm.credentials_key = CREDENTIALS_KEY.into();
    agent.mcp_servers =
        vec![McpServerAttachment { r#type: "custom".into(), mcp_server_id: "collector".into(), ..Default::default() }];
    let request = CreateAgentRequest { parent, agent_id: "helper".into(), agent: Some(agent) };
    app.agents.create_agent(request).await.unwrap();
}

fn templates(app: &TestApp) -> TemplateServiceClient<tonic::transport::Channel> {
    TemplateServiceClient::new(app.channel.clone())
}

async fn export_template(app: &TestApp, tenant: &str) -> Template {
    let request = ExportAgentTemplateRequest {
        agent: format!("tenants/{tenant}/agents/helper"),
        display_name: "Helper".into(),
        ..Default::default()
    };
    templates(app).export_agent_template(request).await.unwrap().into_inner()
}

fn import_template(tenant: &str, template: &Template, mappings: &[(&str, &str)]) -> ImportAgentTemplateRequest {
    ImportAgentTemplateRequest {
        parent: format!("tenants/{tenant}"),
        template_id: template.name.rsplit('/').next().unwrap().into(),
        display_name: "Imported helper".into(),
        secret_mappings: mappings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..Default::default()
    }
}

/// The summary of the one IMPORT job of `tenant`.
async fn import_job(app: &TestApp, tenant: &str) -> ImportResult {
    let mut jobs = job_service_client::JobServiceClient::new(app.channel.clone());
    let request =
        SearchJobsRequest { parent: format!("tenants/{tenant}"), q: "type:IMPORT".into(), ..Default::default() };
    let found = jobs.search_jobs(request).await.unwrap().into_inner().jobs;
    assert_eq!(found.len(), 1);
    let name = found[0].name.clone();
    jobs.get_job(GetJobRequest { name, fields: String::new() }).await.unwrap().into_inner().import_result.unwrap()
}

async fn mcp_server(app: &mut TestApp, tenant: &str, agent: &Agent) -> McpServer {
    let name = format!("tenants/{tenant}/mcpServers/{}", agent.mcp_servers[0].mcp_server_id);
    app.agents.get_mcp_server(GetMcpServerRequest { name }).await.unwrap().into_inner()
}

async fn allow(app: &mut TestApp, tenant: &str, patterns: &[&str]) -> TenantSettings {
    let settings = TenantSettings {
        name: format!("tenants/{tenant}/settings"),
        endpoint_allow_list: patterns.iter().map(|p| p.to_string()).collect(),
        ..Default::default()
    };
    let request = UpdateTenantSettingsRequest { settings: Some(settings), update_mask: None };
    app.agents.update_tenant_settings(request).await.unwrap().into_inner()
}

#[tokio::test]
async fn a_template_carries_no_user_or_account_data_of_its_exporter() {
    let mut app = spawn_app().await;
    seed_exporter(&mut app, "acme", "https://mcp.example.com/mcp").await;
    let template = export_template(&app, "acme").await;
    let id = template.name.rsplit('/').next().unwrap().to_owned();
    let fetched = templates(&app).get_template(GetTemplateRequest { name: template.name.clone() }).await.unwrap();
    let store = agentport::store::Store::connect(app.database.url()).await.unwrap();
    use agentport::domain::names::{ResourceKind, ResourceName};
    let name = ResourceName::parse(ResourceKind::Template, &template.name, "name").unwrap();
    let stored = store.get(&name).await.unwrap().body;
    let (status, rest) = crate::rest_xpander::Api::new(&app).tenant("acme").get(&format!("/v1/templates/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{rest}");
    let texts = [format!("{template:?}"), format!("{:?}", fetched.into_inner()), stored.clone(), rest.to_string()];
    for text in &texts {
        for planted in [EMAIL, ENVIRONMENT, GATEWAY, CREDENTIALS_KEY, LLM_SECRET, "\"openai\"", "created_by_details"] {
            assert!(!text.contains(planted), "{planted} reached the template: {text}");
        }
    }
    assert!(stored.contains("secret-1") && stored.contains("secret-2"), "secret ids became requirements: {stored}");
    // What it carries still works: the MCP server's URL and the model travel.
    assert!(stored.contains("https://mcp.example.com/mcp"));
}

#[tokio::test]
async fn a_template_import_with_an_unmapped_secret_requirement_leaves_the_mcp_server_disabled_with_its_reason() {
    let mut app = spawn_app().await;
    // The attack: an outside URL with header token `openai`, imported by a tenant that
    // has an `openai` secret (and one named like the template's placeholder).
    seed_exporter(&mut app, "mallory", "https://collector.attacker.example/mcp").await;
    for id in [MCP_SECRET, "secret-1", "secret-2"] {
        secret(&mut app, "victim", id).await;
    }
    let template = export_template(&app, "mallory").await;

    let planned = templates(&app)
        .plan_agent_template_import(PlanAgentTemplateImportRequest {
            request: Some(import_template("victim", &template, &[])),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(planned.dry_run);
    let requirements: Vec<(&str, &str, &str, SecretBinding)> = planned
        .secret_requirements
        .iter()
        .map(|r| (r.entity_kind.as_str(), r.field.as_str(), r.required_secret_id.as_str(), r.binding()))
        .collect();
    assert_eq!(
        requirements,
        [
            ("mcp_servers", "authorization_header_token_id", "secret-2", SecretBinding::Unbound),
            ("agents", "llm.token_id", "secret-1", SecretBinding::Unbound),
        ]
    );
    let agents = &mut app.agents;
    assert!(
        agents
            .list_agents(ListAgentsRequest { parent: "tenants/victim".into(), ..Default::default() })
            .await
            .unwrap()
            .into_inner()
            .agents
            .is_empty(),
        "a plan writes nothing"
    );

    let root =
        templates(&app).import_agent_template(import_template("victim", &template, &[])).await.unwrap().into_inner();
    let server = mcp_server(&mut app, "victim", &root).await;
    assert!(!server.enabled, "the server must not run");
    assert_eq!(server.authorization_header_token_id, "", "the victim's `openai` is not bound by name");
    assert_eq!(root.status(), AgentStatus::Inactive, "its LLM secret is unbound too");
    assert_eq!(root.llm.as_ref().unwrap().token_id, "");
    let result = import_job(&app, "victim").await;
    let summary = result.summary.unwrap();
    assert_eq!(
        state_of(&summary.mcp_servers, server.name.rsplit('/').next().unwrap()),
        (S::Disabled, vec![D::MissingToken, D::EndpointNotAllowed])
    );
    let reason = &summary.mcp_servers[0].details[0];
    assert_eq!(reason.object_id, "secret-2");
    assert!(reason.message.contains("not mapped"), "{}", reason.message);
    assert_eq!(summary.mcp_servers[0].details[1].object_id, "https://collector.attacker.example/mcp");
    assert_eq!(result.secret_requirements, planned.secret_requirements);
}

#[tokio::test]
async fn mapped_requirements_bind_and_enable_within_the_allow_list() {
    let mut app = spawn_app().await;
    seed_exporter(&mut app, "acme", "https://mcp.example.com/mcp").await;
    for id in ["my-llm", "my-mcp"] {
        secret(&mut app, "beta", id).await;
    }
    let template = export_template(&app, "acme").await;
    let settings = allow(&mut app, "beta", &["*.example.com", "API.openai.com"]).await;
    assert_eq!(settings.endpoint_allow_list, ["*.example.com", "api.openai.com"]);
    let read = app
        .agents
        .get_tenant_settings(GetTenantSettingsRequest { name: "tenants/beta/settings".into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.endpoint_allow_list, settings.endpoint_allow_list);

    let request = import_template("beta", &template, &[("secret-1", "my-llm"), ("secret-2", "my-mcp")]);
    let root = templates(&app).import_agent_template(request).await.unwrap().into_inner();
    assert_eq!(root.status(), AgentStatus::Active);
    assert_eq!(root.llm.as_ref().unwrap().token_id, "my-llm");
    let server = mcp_server(&mut app, "beta", &root).await;
    assert!(server.enabled);
    assert_eq!(server.authorization_header_token_id, "my-mcp");
    let result = import_job(&app, "beta").await;
    assert!(result.summary.unwrap().mcp_servers.iter().all(|s| s.state() == S::Enabled));
    assert!(result.secret_requirements.iter().all(|r| r.binding() == SecretBinding::Mapped));

    // A mapping must name a requirement and an existing secret.
    let wrong = import_template("beta", &template, &[("secret-9", "my-llm"), ("secret-1", "ghost")]);
    let status =
        expect_error(templates(&app).import_agent_template(wrong).await, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), ["secret_mappings[secret-1]", "secret_mappings[secret-9]"]);

    // The xpander dialect takes the same mappings in its body.
    let id = template.name.rsplit('/').next().unwrap();
    let body = json!({ "name": "Via REST", "secret_mappings": { "secret-1": "my-llm", "secret-2": "my-mcp" } });
    let rest = crate::rest_xpander::Api::new(&app).tenant("beta");
    let (status, agent) = rest.post(&format!("/v1/agents/template_import/{id}"), body).await;
    assert_eq!(status, StatusCode::OK, "{agent}");
    assert_eq!((agent["status"].as_str(), agent["llm_api_base"].as_str()), (Some("ACTIVE"), None));
}

#[tokio::test]
async fn the_allow_list_disables_what_points_elsewhere_in_templates_and_bundles() {
    let mut app = spawn_app().await;
    seed_exporter(&mut app, "acme", "https://mcp.example.com/mcp").await;
    secret(&mut app, "gamma", "mine").await;
    let template = export_template(&app, "acme").await;
    allow(&mut app, "gamma", &["api.openai.com"]).await;
    let request = import_template("gamma", &template, &[("secret-1", "mine"), ("secret-2", "mine")]);
    let root = templates(&app).import_agent_template(request).await.unwrap().into_inner();
    let server = mcp_server(&mut app, "gamma", &root).await;
    assert!(!server.enabled);
    assert_eq!(server.authorization_header_token_id, "mine", "bound as asked, yet not enabled");
    let summary = import_job(&app, "gamma").await.summary.unwrap();
    assert_eq!(summary.mcp_servers[0].state(), S::Disabled);
    let codes: Vec<D> = summary.mcp_servers[0].details.iter().map(|d| d.code()).collect();
    assert_eq!(codes, [D::EndpointNotAllowed]);
    assert_eq!(summary.agents[0].state(), S::Enabled, "the agent itself points nowhere outside");

    // A bundle follows the same list: its MCP servers at localhost and mcp.example.com are refused.
    seed_source(&mut app, "source").await;
    let bundle = export(&mut app, "source", &["support"]).await;
    let imported = app.agents.import_agents(import_request("gamma", &bundle)).await.unwrap().into_inner();
    let summary = imported.summary.unwrap();
    assert_eq!(
        state_of(&summary.mcp_servers, "mcp-custom"),
        (S::Disabled, vec![D::MissingToken, D::EndpointNotAllowed])
    );

    // Patterns are checked.
    let settings = TenantSettings {
        name: "tenants/gamma/settings".into(),
        endpoint_allow_list: vec!["ok.example.com".into(), "https://not a host".into()],
        ..Default::default()
    };
    let status = expect_error(
        app.agents
            .update_tenant_settings(UpdateTenantSettingsRequest { settings: Some(settings), update_mask: None })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["settings.endpoint_allow_list[1]"]);
}

#[tokio::test]
async fn bundle_dry_runs_list_requirements_and_mappings_replace_binding_by_id() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let bundle = export(&mut app, "source", &["support"]).await;
    for id in ["openai-token", "mcp-token", "other-key"] {
        secret(&mut app, "linked", id).await;
    }
    // Without mappings: the documented Emporix behaviour, bound by id.
    let dry = ImportAgentsRequest { dry_run: true, ..import_request("linked", &bundle) };
    let planned = app.agents.import_agents(dry).await.unwrap().into_inner();
    let bindings: HashMap<(String, String), (SecretBinding, String)> = planned
        .secret_requirements
        .iter()
        .map(|r| ((r.entity_id.clone(), r.field.clone()), (r.binding(), r.secret_id.clone())))
        .collect();
    let key = |e: &str, f: &str| (e.to_owned(), f.to_owned());
    assert_eq!(
        bindings[&key("mcp-custom", "authorization_header_token_id")],
        (SecretBinding::SameId, "mcp-token".into())
    );
    assert_eq!(bindings[&key("support", "llm.token_id")], (SecretBinding::SameId, "openai-token".into()));

    // With mappings they are the whole binding: what they do not name stays unbound.
    let mapped = ImportAgentsRequest {
        secret_mappings: [("openai-token".to_owned(), "other-key".to_owned())].into(),
        ..import_request("linked", &bundle)
    };
    let imported = app.agents.import_agents(mapped).await.unwrap().into_inner();
    let summary = imported.summary.unwrap();
    assert_eq!(state_of(&summary.tools, "rag-products"), (S::Enabled, vec![]));
    assert_eq!(state_of(&summary.mcp_servers, "mcp-custom"), (S::Disabled, vec![D::MissingToken]));
    let server = app
        .agents
        .get_mcp_server(GetMcpServerRequest { name: "tenants/linked/mcpServers/mcp-custom".into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(server.authorization_header_token_id, "");
    let agent = app
        .agents
        .get_agent(GetAgentRequest { name: "tenants/linked/agents/support".into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(agent.llm.unwrap().token_id, "other-key");

    // The Emporix dialect: `secretMappings` in the body; a dry run lists the requirements.
    let rest = Rest::new(&app);
    let body = json!({ "data": bundle.data, "checksum": bundle.checksum, "secretMappings": { "ghost": "other-key" } });
    let refused = rest.post("/ai-service/rest/agentic/agents/import?dryRun=true", &body).await;
    let error = refused.error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT");
    assert!(error.to_string().contains("ghost"), "{error}");
    let body = json!({ "data": bundle.data, "checksum": bundle.checksum, "secretMappings": { "mcp-token": "" } });
    let dry = rest.post("/ai-service/rest/agentic/agents/import?dryRun=true", &body).await.expect(StatusCode::OK).body;
    let listed = dry["secretRequirements"].as_array().unwrap();
    let mcp = listed.iter().find(|r| r["entityId"] == "mcp-custom").unwrap();
    assert_eq!(
        (&mcp["entityKind"], &mcp["binding"], &mcp["requiredTokenId"]),
        (&json!("mcpServers"), &json!("UNBOUND"), &json!("mcp-token"))
    );
    let real = json!({ "data": bundle.data, "checksum": bundle.checksum });
    let imported = rest.post("/ai-service/rest/agentic/agents/import", &real).await.expect(StatusCode::OK).body;
    assert!(imported.get("secretRequirements").is_none(), "the documented response keeps its shape");
}
