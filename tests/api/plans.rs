//! The plan of an import: a dry run's ImportPlan (action per entity, JSON Patch of each
//! overwrite) and applying exactly that plan with its `plan_id`.

use agentport::proto::*;
use prost_types::value::Kind;
use reqwest::StatusCode;
use serde_json::json;
use tonic::Code;

use crate::cli::{agentport, stderr, stdout_json};
use crate::fixtures::{counts, export, import_request, sample_agent, seed_source};
use crate::helpers::{TestApp, expect_error, spawn_app, violated_fields};
use crate::rest_emporix::{Rest, assert_valid};

/// Puts agent `id` with this English description into `tenant`, exported as a bundle.
async fn bundle_of(app: &mut TestApp, tenant: &str, id: &str, description: &str) -> ExportAgentsResponse {
    let agent = Agent { description: [("en".to_owned(), description.to_owned())].into(), ..sample_agent() };
    app.agents
        .create_agent(CreateAgentRequest {
            parent: format!("tenants/{tenant}"),
            agent_id: id.into(),
            agent: Some(agent),
        })
        .await
        .unwrap();
    export(app, tenant, &[id]).await
}

async fn plan(app: &mut TestApp, bundle: &ExportAgentsResponse, policy: ConflictPolicy) -> ImportPlan {
    let request =
        ImportAgentsRequest { dry_run: true, conflict_policy: policy as i32, ..import_request("target", bundle) };
    let response = app.agents.import_agents(request).await.unwrap().into_inner();
    assert!(response.dry_run && response.job_id.is_empty());
    response.plan.expect("a dry run has a plan")
}

fn apply_request(bundle: &ExportAgentsResponse, policy: ConflictPolicy, plan: &ImportPlan) -> ImportAgentsRequest {
    ImportAgentsRequest {
        conflict_policy: policy as i32,
        plan_id: plan.plan_id.clone(),
        ..import_request("target", bundle)
    }
}

fn planned<'a>(plan: &'a ImportPlan, kind: &str, source_id: &str) -> &'a PlannedEntity {
    let found = plan.entities.iter().find(|e| e.entity_kind == kind && e.source_id == source_id);
    found.unwrap_or_else(|| panic!("{kind}/{source_id} not in {:?}", plan.entities))
}

fn string(text: &str) -> Option<prost_types::Value> {
    Some(prost_types::Value { kind: Some(Kind::StringValue(text.into())) })
}

async fn get_agent(app: &mut TestApp, id: &str) -> Agent {
    let name = format!("tenants/target/agents/{id}");
    app.agents.get_agent(GetAgentRequest { name }).await.unwrap().into_inner()
}

#[tokio::test]
async fn a_plan_against_an_empty_tenant_creates_everything_and_applies_as_planned() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let bundle = export(&mut app, "source", &["support"]).await;
    let plan = plan(&mut app, &bundle, ConflictPolicy::Rename).await;
    assert_eq!(counts(&mut app, "target").await, [0, 0, 0, 0], "a plan writes nothing");

    let action = |kind: &str, id: &str| (planned(&plan, kind, id).action(), planned(&plan, kind, id).disabled);
    assert_eq!(action("agents", "support"), (PlanAction::Create, true));
    assert_eq!(action("tools", "tickets"), (PlanAction::Create, false));
    assert_eq!(action("tools", "rag-products"), (PlanAction::Create, true));
    assert_eq!(action("tools", "slack-tool"), (PlanAction::NotImportable, false));
    assert_eq!(action("mcp_servers", "mcp-dyn"), (PlanAction::Create, true));
    let codes: Vec<_> = planned(&plan, "tools", "rag-products").details.iter().map(|d| d.code()).collect();
    assert_eq!(codes, [ImportDetailCode::MissingToken], "the reason a component is disabled");
    assert!(plan.entities.iter().any(|e| e.entity_kind == "documents" && e.action() == PlanAction::Create));
    assert!(plan.entities.iter().all(|e| e.patch.is_empty() && e.source_id == e.target_id));
    let unbound = plan.secret_requirements.iter().find(|r| r.required_secret_id == "openai-token").unwrap();
    assert_eq!(unbound.binding(), SecretBinding::Unbound);
    assert_eq!(plan.bundle_sha256.len(), 64);

    let applied =
        app.agents.import_agents(apply_request(&bundle, ConflictPolicy::Rename, &plan)).await.unwrap().into_inner();
    assert_eq!(applied.plan.as_ref().map(|p| &p.plan_id), Some(&plan.plan_id));
    assert!(!applied.job_id.is_empty());
    assert_eq!(counts(&mut app, "target").await, [4, 2, 2, 1]);
}

#[tokio::test]
async fn an_overwrite_plan_shows_the_json_patch_and_applies_it() {
    let mut app = spawn_app().await;
    let first = bundle_of(&mut app, "v1", "helper", "first version").await;
    app.agents.import_agents(import_request("target", &first)).await.unwrap();
    let second = bundle_of(&mut app, "v2", "helper", "second version").await;

    let plan = plan(&mut app, &second, ConflictPolicy::Overwrite).await;
    let helper = planned(&plan, "agents", "helper");
    assert_eq!((helper.action(), helper.target_id.as_str()), (PlanAction::Overwrite, "helper"));
    let codes: Vec<_> = helper.details.iter().map(|d| d.code()).collect();
    assert_eq!(
        codes,
        [ImportDetailCode::Overwritten, ImportDetailCode::MissingToken, ImportDetailCode::AgentImportedDisabled]
    );
    let replace = JsonPatchOperation {
        op: "replace".into(),
        path: "/description/en".into(),
        from: String::new(),
        value: string("second version"),
    };
    assert_eq!(helper.patch, [replace]);
    assert_eq!(get_agent(&mut app, "helper").await.description["en"], "first version", "a plan writes nothing");

    app.agents.import_agents(apply_request(&second, ConflictPolicy::Overwrite, &plan)).await.unwrap();
    assert_eq!(get_agent(&mut app, "helper").await.description["en"], "second version");
    let again = self::plan(&mut app, &second, ConflictPolicy::Overwrite).await;
    assert!(planned(&again, "agents", "helper").patch.is_empty(), "nothing left to change");
}

#[tokio::test]
async fn rename_and_skip_plans_name_what_happens_to_a_taken_id() {
    let mut app = spawn_app().await;
    let bundle = bundle_of(&mut app, "source", "helper", "one").await;
    app.agents.import_agents(import_request("target", &bundle)).await.unwrap();

    let skip = plan(&mut app, &bundle, ConflictPolicy::Skip).await;
    let skipped = planned(&skip, "agents", "helper");
    assert_eq!((skipped.action(), skipped.target_id.as_str()), (PlanAction::Skip, "helper"));

    let rename = plan(&mut app, &bundle, ConflictPolicy::Rename).await;
    let renamed = planned(&rename, "agents", "helper").clone();
    assert_eq!(renamed.action(), PlanAction::Rename);
    assert!(renamed.target_id.starts_with("helper--import-"), "{}", renamed.target_id);
    // Applied later, the plan's id is the one the agent gets.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let applied =
        app.agents.import_agents(apply_request(&bundle, ConflictPolicy::Rename, &rename)).await.unwrap().into_inner();
    assert_eq!(applied.summary.unwrap().agents[0].id, renamed.target_id);
    assert_eq!(get_agent(&mut app, &renamed.target_id).await.description["en"], "one");
}

#[tokio::test]
async fn a_plan_is_refused_once_the_target_changed_and_nothing_is_written() {
    let mut app = spawn_app().await;
    let first = bundle_of(&mut app, "v1", "helper", "first version").await;
    app.agents.import_agents(import_request("target", &first)).await.unwrap();
    let second = bundle_of(&mut app, "v2", "helper", "second version").await;
    let plan = plan(&mut app, &second, ConflictPolicy::Overwrite).await;

    let current = get_agent(&mut app, "helper").await;
    let changed = Agent { icon: "cart".into(), ..current };
    let mask = prost_types::FieldMask { paths: vec!["icon".into()] };
    app.agents.update_agent(UpdateAgentRequest { agent: Some(changed), update_mask: Some(mask) }).await.unwrap();
    let jobs_before = app.count_rows("jobs").await;

    let refused = app.agents.import_agents(apply_request(&second, ConflictPolicy::Overwrite, &plan)).await;
    expect_error(refused, Code::Aborted, "PLAN_STALE");
    let kept = get_agent(&mut app, "helper").await;
    assert_eq!((kept.icon.as_str(), kept.description["en"].as_str()), ("cart", "first version"));
    assert_eq!(app.count_rows("jobs").await, jobs_before, "not even a failed job");

    // Another policy, or a plan id that is not one, is refused too.
    let other = app.agents.import_agents(apply_request(&second, ConflictPolicy::Skip, &plan)).await;
    expect_error(other, Code::Aborted, "PLAN_STALE");
    let bogus = ImportAgentsRequest { plan_id: "not-a-plan".into(), ..import_request("target", &second) };
    let status = expect_error(app.agents.import_agents(bogus).await, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), ["plan_id"]);
}

#[tokio::test]
async fn the_emporix_dry_run_carries_the_plan_and_plan_id_applies_it() {
    let mut app = spawn_app().await;
    let first = bundle_of(&mut app, "v1", "helper", "first version").await;
    app.agents.import_agents(import_request("target", &first)).await.unwrap();
    let second = bundle_of(&mut app, "v2", "helper", "second version").await;
    let rest = Rest::new(&app);
    let body = json!({ "data": second.data, "checksum": second.checksum });
    let import = "/ai-service/target/agentic/agents/import?conflictPolicy=overwrite";

    let dry = rest.post(&format!("{import}&dryRun=true"), &body).await.expect(StatusCode::OK).body;
    assert_valid("import-response", &dry);
    let plan = &dry["plan"];
    let helper = &plan["entities"][0];
    assert_eq!(
        (&helper["entityKind"], &helper["targetId"], &helper["action"]),
        (&json!("agents"), &json!("helper"), &json!("OVERWRITE"))
    );
    assert_eq!(helper["patch"], json!([{ "op": "replace", "path": "/description/en", "value": "second version" }]));
    assert_eq!(helper["details"][0]["code"], "OVERWRITTEN");
    let plan_id = plan["planId"].as_str().unwrap();

    let stale = format!("{import}&planId=0.{}", "0".repeat(64));
    rest.post(&stale, &body).await.error(StatusCode::CONFLICT, "PLAN_STALE");
    let applied = rest.post(&format!("{import}&planId={plan_id}"), &body).await.expect(StatusCode::OK).body;
    assert_valid("import-response", &applied);
    assert_eq!(applied["plan"]["planId"], plan_id);
    assert_eq!(get_agent(&mut app, "helper").await.description["en"], "second version");
}

#[tokio::test]
async fn the_cli_prints_the_plan_as_a_table_or_json_and_applies_it_by_id() {
    let mut app = spawn_app().await;
    let first = bundle_of(&mut app, "v1", "helper", "first version").await;
    app.agents.import_agents(import_request("target", &first)).await.unwrap();
    let second = bundle_of(&mut app, "v2", "helper", "second version").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.json");
    std::fs::write(&path, json!({ "data": second.data, "checksum": second.checksum }).to_string()).unwrap();
    let server = format!("http://{}", app.addr);
    let base = ["import", "--server", &server, "--tenant", "target", "--file", path.to_str().unwrap()];
    let run = async |extra: &[&str]| agentport(&[&base[..], extra].concat(), &[], None).await;

    let table = run(&["--plan", "--conflict-policy", "overwrite"]).await;
    assert_eq!(table.status.code(), Some(0), "{table:?}");
    let text = String::from_utf8(table.stdout).unwrap();
    let lines: Vec<String> = text.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    assert_eq!(lines[0], "ENTITY ID ACTION DETAILS");
    assert_eq!(
        lines[1],
        "agents helper overwrite, disabled OVERWRITTEN; MISSING_TOKEN anthropic-token; AGENT_IMPORTED_DISABLED; \
         replace /description/en"
    );
    assert_eq!(lines[2], "secret anthropic-token (agents helper llm.token_id): unbound");
    let plan_id = lines[3].strip_prefix("plan id: ").expect("the plan id is last").to_owned();

    let json = run(&["--plan", "--conflict-policy", "overwrite", "--output", "json"]).await;
    let plan = stdout_json(&json);
    assert_eq!(plan["planId"], plan_id.as_str(), "the same plan either way");
    assert_eq!(plan["entities"][0]["patch"][0]["value"], "second version");
    assert_eq!(get_agent(&mut app, "helper").await.description["en"], "first version", "a plan writes nothing");

    let applied = run(&["--plan-id", &plan_id, "--conflict-policy", "overwrite"]).await;
    assert_eq!(applied.status.code(), Some(0), "{applied:?}");
    assert_eq!(get_agent(&mut app, "helper").await.description["en"], "second version");
    let stale = run(&["--plan-id", &plan_id, "--conflict-policy", "overwrite"]).await;
    assert_ne!(stale.status.code(), Some(0), "the tenant changed: the plan is stale");
    assert!(stderr(&stale).contains("PLAN_STALE") || stderr(&stale).contains("plan no longer holds"), "{stale:?}");
}
