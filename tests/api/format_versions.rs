//! Format versions of bundles (docs/canonical-model.md, "Format versions"): exports carry the
//! version, older bundles migrate, a newer major version is refused naming both versions, a
//! newer minor version imports with a warning naming what was not understood.

use agentport::proto::job_service_client::JobServiceClient;
use agentport::proto::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tonic::Code;

use crate::fixtures::{decoded, export, sample_agent};
use crate::helpers::{TestApp, expect_error, spawn_app};
use crate::rest_emporix::Rest;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/bundles/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// `(data, checksum)` of a bundle's JSON.
fn upload(bundle: &Value) -> (String, String) {
    let bytes = serde_json::to_vec_pretty(bundle).unwrap();
    let checksum = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    (STANDARD.encode(&bytes), checksum)
}

async fn import(app: &mut TestApp, tenant: &str, bundle: &Value) -> Result<ImportAgentsResponse, tonic::Status> {
    let (data, checksum) = upload(bundle);
    let request = ImportAgentsRequest { parent: format!("tenants/{tenant}"), data, checksum, ..Default::default() };
    app.agents.import_agents(request).await.map(tonic::Response::into_inner)
}

async fn rest_import(app: &TestApp, tenant: &str, bundle: &Value) -> crate::rest_emporix::Response {
    let (data, checksum) = upload(bundle);
    let path = format!("/ai-service/{tenant}/agentic/agents/import");
    Rest::new(app).post(&path, &json!({ "data": data, "checksum": checksum })).await
}

async fn get_agent(app: &mut TestApp, tenant: &str, id: &str) -> Agent {
    let name = format!("tenants/{tenant}/agents/{id}");
    app.agents.get_agent(GetAgentRequest { name }).await.unwrap().into_inner()
}

fn with_version(mut bundle: Value, version: &str) -> Value {
    bundle["agentport"]["formatVersion"] = Value::from(version);
    bundle
}

#[tokio::test]
async fn exports_carry_the_current_format_version() {
    let mut app = spawn_app().await;
    let parent = "tenants/source".to_owned();
    let request = CreateAgentRequest { parent, agent_id: "a".into(), agent: Some(sample_agent()) };
    app.agents.create_agent(request).await.unwrap();
    let bundle: Value = serde_json::from_slice(&decoded(&export(&mut app, "source", &["a"]).await.data)).unwrap();
    assert_eq!(bundle["agentport"], json!({ "formatVersion": "1.0" }));
    // Read back by this server as the current version: no warning.
    assert!(import(&mut app, "target", &bundle).await.unwrap().warnings.is_empty());
}

#[tokio::test]
async fn an_unversioned_original_bundle_migrates_over_grpc_and_rest() {
    let mut app = spawn_app().await;
    let old = fixture("v0.0.json");
    assert!(old.get("agentport").is_none() && old["agents"][0]["enabled"] == true);

    let response = import(&mut app, "grpc", &old).await.unwrap();
    assert!(response.warnings.is_empty(), "{:?}", response.warnings);
    let agent = get_agent(&mut app, "grpc", "support-bot").await;
    // The extension's fields still arrive; the agent state the old format carried does not.
    assert_eq!(agent.framework, "agno");
    assert_eq!(agent.status(), AgentStatus::Inactive);

    let body = rest_import(&app, "rest", &old).await.expect(StatusCode::OK).body;
    assert_eq!(body["summary"]["agents"][0]["id"], "support-bot", "{body}");
    assert_eq!(get_agent(&mut app, "rest", "support-bot").await.framework, "agno");
}

#[tokio::test]
async fn a_newer_major_version_is_refused_naming_both_versions() {
    let mut app = spawn_app().await;
    let newer = with_version(fixture("v1.0.json"), "2.0");

    let status = expect_error(import(&mut app, "target", &newer).await, Code::InvalidArgument, "FORMAT_UNSUPPORTED");
    assert!(status.message().contains("2.0") && status.message().contains("1.0"), "{}", status.message());

    let body = rest_import(&app, "target", &newer).await.error(StatusCode::BAD_REQUEST, "FORMAT_UNSUPPORTED");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("2.0") && message.contains("1.0"), "{message}");
    // Nothing was written.
    let listed = app.agents.list_agents(ListAgentsRequest { parent: "tenants/target".into(), ..Default::default() });
    assert!(listed.await.unwrap().into_inner().agents.is_empty());

    let malformed = with_version(fixture("v1.0.json"), "two");
    let status = expect_error(import(&mut app, "target", &malformed).await, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(crate::helpers::violated_fields(&status), ["data.agentport.formatVersion"]);
}

#[tokio::test]
async fn a_newer_minor_version_imports_with_a_warning_naming_what_was_not_understood() {
    let mut app = spawn_app().await;
    let response = import(&mut app, "target", &fixture("v1.1.json")).await.unwrap();
    let [warning] = response.warnings.as_slice() else { panic!("one warning: {:?}", response.warnings) };
    assert_eq!(warning.code(), ImportDetailCode::FormatNewerMinor);
    assert_eq!(warning.object_id, "1.1");
    for field in ["workflows", "agentport.publisher", "agents[0].agentport.memoryPolicy"] {
        assert!(warning.message.contains(field), "{field} not in {}", warning.message);
    }
    assert_eq!(get_agent(&mut app, "target", "support-bot").await.framework, "agno");
    // The agent's fields this server did not read are kept and exported again, verbatim.
    let again: Value =
        serde_json::from_slice(&decoded(&export(&mut app, "target", &["support-bot"]).await.data)).unwrap();
    assert_eq!(again["agents"][0]["agentport"], json!({ "framework": "agno", "memoryPolicy": { "ttlDays": 30 } }));
    // The job keeps the warning with the rest of the result.
    let job = JobServiceClient::new(app.channel.clone())
        .get_job(GetJobRequest { name: format!("tenants/target/jobs/{}", response.job_id), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(job.import_result.unwrap().warnings, response.warnings);

    // The Emporix dialect: the same warning, and the same fields kept.
    let body = rest_import(&app, "rest", &fixture("v1.1.json")).await.expect(StatusCode::OK).body;
    assert_eq!(body["warnings"][0]["code"], "FORMAT_NEWER_MINOR", "{body}");
    assert!(body["warnings"][0]["message"].as_str().unwrap().contains("agents[0].agentport.memoryPolicy"));
    let again: Value =
        serde_json::from_slice(&decoded(&export(&mut app, "rest", &["support-bot"]).await.data)).unwrap();
    assert_eq!(again["agents"][0]["agentport"]["memoryPolicy"], json!({ "ttlDays": 30 }));
}

/// Rewrites the stored template's JSON as a server of another version would have written it.
async fn rewrite_stored_template(app: &TestApp, from: &str, to: &str) {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(app.database.url()).await.unwrap();
    let sql = format!("UPDATE resources SET body = REPLACE(body, '{from}', '{to}') WHERE kind = 'template'");
    db.execute_unprepared(&sql).await.unwrap();
    let _ = db.close().await;
}

#[tokio::test]
async fn templates_of_newer_versions_import_with_the_fields_named_and_kept_or_are_refused() {
    use agentport::proto::template_service_client::TemplateServiceClient;
    let mut app = spawn_app().await;
    crate::templates::seed_tree(&mut app, "source").await;
    let mut templates = TemplateServiceClient::new(app.channel.clone());
    let export = ExportAgentTemplateRequest {
        agent: "tenants/source/agents/concierge".into(),
        display_name: "Concierge".into(),
        ..Default::default()
    };
    let template = templates.export_agent_template(export).await.unwrap().into_inner();
    // Version 1.3 adds a root key and a field of every agent.
    rewrite_stored_template(&app, r#""formatVersion":"1.0""#, r#""formatVersion":"1.3","routing":{"zone":"eu"}"#).await;
    rewrite_stored_template(
        &app,
        r#""set":{"category":"generic""#,
        r#""set":{"category":"generic","memoryPolicy":{"ttlDays":30}"#,
    )
    .await;

    let import = ImportAgentTemplateRequest {
        parent: "tenants/target".into(),
        template_id: template.name.rsplit('/').next().unwrap().into(),
        display_name: "Concierge".into(),
        ..Default::default()
    };
    let plan = PlanAgentTemplateImportRequest { request: Some(import.clone()) };
    let planned = templates.plan_agent_template_import(plan.clone()).await.unwrap().into_inner();
    let [warning] = planned.warnings.as_slice() else { panic!("one warning: {:?}", planned.warnings) };
    assert_eq!((warning.code(), warning.object_id.as_str()), (ImportDetailCode::FormatNewerMinor, "1.3"));
    for field in ["agent_definition.agentport.routing", "agent_definition.agentport.set.memoryPolicy"] {
        assert!(warning.message.contains(field), "{field} not in {}", warning.message);
    }
    let root = templates.import_agent_template(import).await.unwrap().into_inner();

    // An agent's unknown fields are kept and exported again, verbatim.
    let again =
        ExportAgentTemplateRequest { agent: root.name.clone(), display_name: "Again".into(), ..Default::default() };
    let again = templates.export_agent_template(again).await.unwrap().into_inner();
    let definition = crate::templates::struct_json(again.agent_definition.as_ref().unwrap());
    assert_eq!(definition["agentport"]["set"]["memoryPolicy"], json!({ "ttlDays": 30 }), "{definition}");
    assert_eq!(definition["agentport"].get("routing"), None, "a root key is named, not kept");
    assert_eq!(definition["agentport"]["formatVersion"], "1.0");

    // Version 2.0 is refused before anything is read, naming both versions.
    rewrite_stored_template(&app, r#""formatVersion":"1.3""#, r#""formatVersion":"2.0""#).await;
    let refused = templates.plan_agent_template_import(plan).await;
    let status = expect_error(refused, Code::InvalidArgument, "FORMAT_UNSUPPORTED");
    assert!(status.message().contains("2.0") && status.message().contains("1.0"), "{}", status.message());
}
