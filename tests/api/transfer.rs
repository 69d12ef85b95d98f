//! Bundle export and import: nothing lost, nothing leaked, all or nothing.

use std::collections::BTreeSet;

use agentport::proto::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use tonic::Code;

use crate::fixtures::{SECRET_VALUES, counts, decoded, document_texts, export, import_request, seed_source, state_of};
use crate::helpers::{expect_error, spawn_app, spawn_app_with, violated_fields};

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The decoded bundle with the documented import changes undone: states (`enabled`, status),
/// and tools that are not importable (TO_CREATE) left out.
fn comparable(data: &str) -> serde_json::Value {
    let mut json: serde_json::Value = serde_json::from_slice(&decoded(data)).unwrap();
    json["tools"].as_array_mut().unwrap().retain(|t| t["type"] != "slack" && t["type"] != "teams");
    for section in ["agents", "tools", "mcpServers"] {
        for entity in json[section].as_array_mut().into_iter().flatten() {
            let object = entity.as_object_mut().unwrap();
            object.remove("enabled");
            if let Some(ext) = object.get_mut("agentport").and_then(|e| e.as_object_mut()) {
                ext.remove("status");
            }
        }
    }
    json
}

#[tokio::test]
async fn round_trip_into_an_empty_tenant_loses_nothing() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let first = export(&mut app, "source", &["support"]).await;
    let bundle: serde_json::Value = serde_json::from_slice(&decoded(&first.data)).unwrap();
    let ids = |section: &str| {
        bundle[section].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(
        ids("agents"),
        ["audit", "billing", "refunds", "support"],
        "the closure follows collaborations and graph sub-agents"
    );
    assert_eq!(ids("tools"), ["rag-products", "slack-tool", "tickets"]);
    assert_eq!(ids("mcpServers"), ["mcp-custom", "mcp-dyn"]);
    assert_eq!(bundle["knowledgeBases"][0]["id"], "product-docs");
    assert_eq!(bundle["knowledgeBases"][0]["documents"].as_array().unwrap().len(), 2);
    assert_eq!(first.checksum, hex_sha256(&decoded(&first.data)), "lowercase hex SHA-256 of the decoded bytes");

    let imported = app.agents.import_agents(import_request("target", &first)).await.unwrap().into_inner();
    assert_eq!(imported.message, "Successfully imported 4 agents, 2 tools, and 2 MCP servers.");
    assert_eq!(counts(&mut app, "target").await, [4, 2, 2, 1]);

    let second = export(&mut app, "target", &["support"]).await;
    assert_eq!(comparable(&second.data), comparable(&first.data), "identical up to the documented state changes");
    let second_json: serde_json::Value = serde_json::from_slice(&decoded(&second.data)).unwrap();
    assert_eq!(
        second_json["agents"][3]["nativeTools"][1]["id"], "slack-tool",
        "the reference to the tool to create by hand travels"
    );

    // The imported documents came along.
    let docs = app
        .agents
        .list_documents(ListDocumentsRequest {
            parent: "tenants/target/knowledgeBases/product-docs".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(docs.documents.iter().all(|d| d.content.is_empty()), "lists never carry content");
    assert_eq!(document_texts(&mut app, &docs.documents).await, ["Answer 0", "Answer 1"]);
}

#[tokio::test]
async fn export_is_deterministic_and_recorded_as_a_job() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let a = export(&mut app, "source", &["support", "refunds"]).await;
    let b = export(&mut app, "source", &["refunds", "support"]).await;
    assert_eq!(decoded(&a.data), decoded(&b.data), "same agents, same bytes");
    assert_eq!(a.checksum, b.checksum);
    assert_ne!(a.job_id, b.job_id);
    let mut jobs = agentport::proto::job_service_client::JobServiceClient::new(app.channel.clone());
    let job = jobs
        .get_job(GetJobRequest { name: format!("tenants/source/jobs/{}", a.job_id), fields: String::new() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(job.r#type(), JobType::Export);
    assert_eq!(job.status(), JobStatus::Success);
    let result = job.export_result.unwrap();
    assert_eq!((result.data, result.checksum), (a.data, a.checksum));
}

#[tokio::test]
async fn no_secret_value_is_ever_in_a_bundle() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let bundle = export(&mut app, "source", &["support"]).await;
    let bytes = decoded(&bundle.data);
    for value in SECRET_VALUES {
        assert!(!bytes.windows(value.len()).any(|w| w == value.as_bytes()), "{value} leaked into the bundle");
        assert!(!bundle.data.contains(value));
    }
    // References to secrets travel.
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("\"openai-token\"") && text.contains("\"mcp-token\""));
}

#[tokio::test]
async fn export_errors_name_every_missing_id_and_enforce_the_limit() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let status = expect_error(
        app.agents
            .export_agents(ExportAgentsRequest {
                parent: "tenants/source".into(),
                agent_ids: vec!["support".into(), "ghost-1".into(), "ghost-2".into()],
                ..Default::default()
            })
            .await,
        Code::NotFound,
        "RESOURCE_NOT_FOUND",
    );
    assert!(status.message().contains("ghost-1") && status.message().contains("ghost-2"), "{}", status.message());
    let too_many: Vec<String> = (0..101).map(|i| format!("a{i}")).collect();
    let status = expect_error(
        app.agents
            .export_agents(ExportAgentsRequest {
                parent: "tenants/source".into(),
                agent_ids: too_many,
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert!(violated_fields(&status).contains(&"agent_ids".to_owned()));
    expect_error(
        app.agents
            .export_agents(ExportAgentsRequest {
                parent: "tenants/source".into(),
                agent_ids: vec![],
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
}

#[tokio::test]
async fn tampered_bundles_are_refused_and_write_nothing() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let bundle = export(&mut app, "source", &["support"]).await;
    let mut bytes = decoded(&bundle.data);
    bytes[40] ^= 0x01;
    let flipped = ImportAgentsRequest { data: STANDARD.encode(&bytes), ..import_request("target", &bundle) };
    expect_error(app.agents.import_agents(flipped).await, Code::InvalidArgument, "CHECKSUM_MISMATCH");
    let wrong = ImportAgentsRequest { checksum: "0".repeat(64), ..import_request("target", &bundle) };
    expect_error(app.agents.import_agents(wrong).await, Code::InvalidArgument, "CHECKSUM_MISMATCH");
    let not_base64 = ImportAgentsRequest { data: "%%%".into(), ..import_request("target", &bundle) };
    expect_error(app.agents.import_agents(not_base64).await, Code::InvalidArgument, "INVALID_BUNDLE");
    assert_eq!(counts(&mut app, "target").await, [0, 0, 0, 0]);
}

#[tokio::test]
async fn validation_problems_are_all_reported_with_paths_and_nothing_is_written() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let bundle = export(&mut app, "source", &["support"]).await;
    let mut json: serde_json::Value = serde_json::from_slice(&decoded(&bundle.data)).unwrap();
    json["agents"][3]["maxRecursionLimit"] = 99.into();
    json["agents"][1]["llmConfig"]["temperature"] = "hot".into();
    json["tools"][0]["name"] = "".into();
    let bytes = serde_json::to_vec(&json).unwrap();
    let request = ImportAgentsRequest {
        data: STANDARD.encode(&bytes),
        checksum: hex_sha256(&bytes),
        ..import_request("target", &bundle)
    };
    let status = expect_error(app.agents.import_agents(request).await, Code::InvalidArgument, "INVALID_BUNDLE");
    let fields = violated_fields(&status);
    assert!(fields.iter().any(|f| f == "data.agents[1].llmConfig.temperature"), "{fields:?}");
    assert!(fields.iter().any(|f| f == "data.agents[3].maxRecursionLimit"), "Emporix names: {fields:?}");
    assert!(fields.iter().any(|f| f.starts_with("data.tools[0]")), "{fields:?}");
    assert_eq!(counts(&mut app, "target").await, [0, 0, 0, 0]);
}

#[tokio::test]
async fn a_failure_inside_the_transaction_writes_nothing() {
    let mut app = spawn_app_with(|s| s.import_fault_after_writes = Some(5)).await;
    seed_source(&mut app, "source").await;
    let bundle = export(&mut app, "source", &["support"]).await;
    expect_error(app.agents.import_agents(import_request("target", &bundle)).await, Code::Internal, "INTERNAL");
    assert_eq!(counts(&mut app, "target").await, [0, 0, 0, 0], "the writes before the fault were rolled back");
    let mut jobs = agentport::proto::job_service_client::JobServiceClient::new(app.channel.clone());
    let failed = jobs
        .search_jobs(SearchJobsRequest {
            parent: "tenants/target".into(),
            q: "type:IMPORT status:failure".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(failed.jobs.len(), 1, "the failed import is in the history");
    assert!(failed.jobs[0].message.contains("nothing was imported"));
}

#[tokio::test]
async fn dry_run_reports_what_a_real_import_does_and_writes_nothing() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let bundle = export(&mut app, "source", &["support"]).await;
    let dry = app
        .agents
        .import_agents(ImportAgentsRequest { dry_run: true, ..import_request("target", &bundle) })
        .await
        .unwrap()
        .into_inner();
    assert!(dry.dry_run && dry.job_id.is_empty());
    assert_eq!(counts(&mut app, "target").await, [0, 0, 0, 0]);
    let mut jobs = agentport::proto::job_service_client::JobServiceClient::new(app.channel.clone());
    let history = jobs
        .list_jobs(ListJobsRequest { parent: "tenants/target".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert!(history.jobs.is_empty(), "a dry run records no job");

    let real = app.agents.import_agents(import_request("target", &bundle)).await.unwrap().into_inner();
    assert_eq!(dry.summary, real.summary);
    assert_eq!(
        dry.message.replace("Dry run, nothing was written: would import", "Successfully imported"),
        real.message
    );
    assert_eq!(counts(&mut app, "target").await, [4, 2, 2, 1]);
}

#[tokio::test]
async fn the_same_request_id_imports_once_also_concurrently() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let bundle = export(&mut app, "source", &["refunds"]).await;
    let request = ImportAgentsRequest { request_id: "req-42".into(), ..import_request("target", &bundle) };
    let first = app.agents.import_agents(request.clone()).await.unwrap().into_inner();
    let again = app.agents.import_agents(request.clone()).await.unwrap().into_inner();
    assert_eq!(again, first, "a retry returns the first response");
    assert_eq!(counts(&mut app, "target").await[0], 1);

    let concurrent = ImportAgentsRequest { request_id: "req-43".into(), ..import_request("other", &bundle) };
    let calls = (0..6).map(|_| {
        let mut client = app.agents.clone();
        let request = concurrent.clone();
        tokio::spawn(async move { client.import_agents(request).await.map(|r| r.into_inner()) })
    });
    let responses: Vec<ImportAgentsResponse> = futures_join(calls).await;
    let job_ids: BTreeSet<&str> = responses.iter().map(|r| r.job_id.as_str()).collect();
    assert_eq!(job_ids.len(), 1, "every caller got the one import's response");
    assert_eq!(counts(&mut app, "other").await[0], 1, "imported once");
}

async fn futures_join(
    calls: impl Iterator<Item = tokio::task::JoinHandle<Result<ImportAgentsResponse, tonic::Status>>>,
) -> Vec<ImportAgentsResponse> {
    let mut out = Vec::new();
    for call in calls {
        out.push(call.await.unwrap().expect("every concurrent duplicate succeeds"));
    }
    out
}

#[tokio::test]
async fn every_documented_state_and_detail_code() {
    use ImportDetailCode as D;
    use ImportState as S;
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let bundle = export(&mut app, "source", &["support"]).await;

    // Empty target: missing secrets and functions disable components; Slack is not importable.
    let first = app.agents.import_agents(import_request("target", &bundle)).await.unwrap().into_inner();
    let summary = first.summary.unwrap();
    assert_eq!(state_of(&summary.tools, "slack-tool"), (S::ToCreate, vec![D::NotImportable]));
    assert_eq!(state_of(&summary.tools, "rag-products"), (S::Disabled, vec![D::MissingToken]));
    assert_eq!(state_of(&summary.tools, "tickets"), (S::Enabled, vec![]));
    assert_eq!(state_of(&summary.mcp_servers, "mcp-custom"), (S::Disabled, vec![D::MissingToken]));
    assert_eq!(state_of(&summary.mcp_servers, "mcp-dyn"), (S::Disabled, vec![D::MissingFunction]));
    assert_eq!(state_of(&summary.agents, "support"), (S::Disabled, vec![D::MissingToken, D::AgentImportedDisabled]));
    let token_detail = &summary.tools.iter().find(|t| t.id == "rag-products").unwrap().details[0];
    assert_eq!(token_detail.object_id, "openai-token");
    let agent = app
        .agents
        .get_agent(GetAgentRequest { name: "tenants/target/agents/support".into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(agent.status(), AgentStatus::Inactive, "imported agents start disabled");

    // Again into the same tenant: components are reused, taken agent ids are renamed and every
    // reference inside the bundle follows the new ids.
    let second = app.agents.import_agents(import_request("target", &bundle)).await.unwrap().into_inner();
    let summary = second.summary.unwrap();
    assert_eq!(state_of(&summary.tools, "tickets"), (S::Exists, vec![D::AlreadyExists]));
    assert_eq!(state_of(&summary.mcp_servers, "mcp-custom"), (S::Exists, vec![D::AlreadyExists]));
    let support = summary.agents.iter().find(|a| a.source_id == "support").unwrap();
    let billing = summary.agents.iter().find(|a| a.source_id == "billing").unwrap();
    let audit = summary.agents.iter().find(|a| a.source_id == "audit").unwrap();
    assert!(support.id.starts_with("support--import-"), "{}", support.id);
    assert_eq!(state_of(&summary.agents, "support").1, vec![D::Renamed, D::MissingToken, D::AgentImportedDisabled]);
    let renamed = app
        .agents
        .get_agent(GetAgentRequest { name: format!("tenants/target/agents/{}", support.id) })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(renamed.collaborations[0].agent_id, billing.id);
    let renamed_billing = app
        .agents
        .get_agent(GetAgentRequest { name: format!("tenants/target/agents/{}", billing.id) })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(renamed_billing.graph[0].item_id, audit.id);
    assert_eq!(second.message, "Successfully imported 4 agents, 0 tools, and 0 MCP servers.");

    // A tenant that has the secrets links them: the components come up enabled.
    for id in ["openai-token", "mcp-token"] {
        app.agents
            .create_secret(CreateSecretRequest {
                parent: "tenants/linked".into(),
                secret_id: id.into(),
                secret: Some(Secret {
                    display_name: id.into(),
                    value: "target-own-value".into(),
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
    }
    let linked =
        app.agents.import_agents(import_request("linked", &bundle)).await.unwrap().into_inner().summary.unwrap();
    assert_eq!(state_of(&linked.tools, "rag-products"), (S::Enabled, vec![]));
    assert_eq!(state_of(&linked.mcp_servers, "mcp-custom"), (S::Enabled, vec![]));
    assert_eq!(state_of(&linked.agents, "support"), (S::Disabled, vec![D::AgentImportedDisabled]));

    // Conflict policies: skip keeps the existing agent, overwrite replaces it, fail refuses
    // (a dry run shows which entities would fail).
    let refunds = export(&mut app, "source", &["refunds"]).await;
    let skip =
        ImportAgentsRequest { conflict_policy: ConflictPolicy::Skip as i32, ..import_request("linked", &refunds) };
    let skipped = app.agents.import_agents(skip).await.unwrap().into_inner().summary.unwrap();
    assert_eq!(state_of(&skipped.agents, "refunds"), (S::Exists, vec![D::Skipped]));
    let overwrite =
        ImportAgentsRequest { conflict_policy: ConflictPolicy::Overwrite as i32, ..import_request("linked", &refunds) };
    let overwritten = app.agents.import_agents(overwrite).await.unwrap().into_inner().summary.unwrap();
    assert_eq!(state_of(&overwritten.agents, "refunds"), (S::Disabled, vec![D::Overwritten, D::AgentImportedDisabled]));
    let fail_dry = ImportAgentsRequest {
        conflict_policy: ConflictPolicy::Fail as i32,
        dry_run: true,
        ..import_request("linked", &refunds)
    };
    let failed = app.agents.import_agents(fail_dry).await.unwrap().into_inner().summary.unwrap();
    assert_eq!(state_of(&failed.agents, "refunds"), (S::Failed, vec![D::ImportFailed]));
    let fail =
        ImportAgentsRequest { conflict_policy: ConflictPolicy::Fail as i32, ..import_request("linked", &refunds) };
    let status = expect_error(app.agents.import_agents(fail).await, Code::AlreadyExists, "RESOURCE_ALREADY_EXISTS");
    assert!(status.message().contains("refunds"));
}

/// The decoded example export of the Emporix API reference, in its exact printed form.
pub const EMPORIX_EXAMPLE: &str = include_str!("../fixtures/emporix/example_export.json");

#[tokio::test]
async fn the_emporix_example_imports_only_when_unverified_bundles_are_allowed() {
    // Its checksum was made with Emporix's own key, which no other service knows.
    let request = ImportAgentsRequest {
        parent: "tenants/acme".into(),
        data: STANDARD.encode(EMPORIX_EXAMPLE),
        checksum: "9b1e4c2f0f7a3d5e6b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c".into(),
        ..Default::default()
    };
    let mut strict = spawn_app().await;
    expect_error(strict.agents.import_agents(request.clone()).await, Code::InvalidArgument, "CHECKSUM_MISMATCH");

    let mut lenient = spawn_app_with(|s| s.allow_unverified_bundles = true).await;
    let imported = lenient.agents.import_agents(request).await.unwrap().into_inner();
    assert_eq!(imported.message, "Successfully imported 1 agents, 0 tools, and 0 MCP servers.");
    let agent = lenient
        .agents
        .get_agent(GetAgentRequest { name: "tenants/acme/agents/product-created".into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        agent.instructions.unwrap().general,
        "You are an agent which handle product creation process.\nAt first get ..."
    );
    let llm = agent.llm.unwrap();
    assert_eq!(
        (llm.model.as_str(), llm.temperature, llm.max_tokens, llm.token_id.as_str()),
        ("claude-3-5-haiku-20241022", Some(0.1), Some(4000), "anthropic-token")
    );
    assert_eq!(
        (agent.category.as_str(), agent.enable_memory, agent.max_recursion_limit),
        ("generic", Some(true), Some(20))
    );
    assert_eq!(agent.mcp_servers[0].domain, "product");
}
