//! The Emporix dialect over HTTP: every documented response validates against the schema of
//! the spec files (tests/fixtures/emporix, extracted verbatim), export -> import works through
//! REST, and upserts, patches, lists, jobs and errors behave as Emporix documents them.

use agentport::proto::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::auth::{Claims, HS_SECRET, secured_app};
use crate::crud::sample_agent;
use crate::fixtures::{SECRET_VALUES, seed_source};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::transfer::EMPORIX_EXAMPLE;

/// A documented response schema, extracted from the spec files.
pub(crate) fn schema(name: &str) -> jsonschema::Validator {
    let text = match name {
        "export-response" => include_str!("../fixtures/emporix/export-response.schema.json"),
        "import-response" => include_str!("../fixtures/emporix/import-response.schema.json"),
        "job" => include_str!("../fixtures/emporix/job.schema.json"),
        "jobs" => include_str!("../fixtures/emporix/jobs.schema.json"),
        "error-message" => include_str!("../fixtures/emporix/error-message.schema.json"),
        "error-message-fault" => include_str!("../fixtures/emporix/error-message-fault.schema.json"),
        other => panic!("no schema {other}"),
    };
    jsonschema::validator_for(&serde_json::from_str(text).unwrap()).expect("the schema compiles")
}

#[track_caller]
pub(crate) fn assert_valid(name: &str, instance: &Value) {
    let validator = schema(name);
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{instance:#}");
}

/// The keys of a JSON object, in order.
pub(crate) fn keys(value: &Value) -> Vec<&str> {
    value.as_object().unwrap_or_else(|| panic!("not an object: {value}")).keys().map(String::as_str).collect()
}

pub(crate) struct Response {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Value,
    pub(crate) text: String,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[track_caller]
    pub(crate) fn expect(self, status: StatusCode) -> Self {
        assert_eq!(self.status, status, "{}", self.text);
        self
    }

    /// Asserts an Emporix `ErrorMessage` with this status and reason code.
    #[track_caller]
    pub(crate) fn error(self, status: StatusCode, reason: &str) -> Value {
        let response = self.expect(status);
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_valid("error-message", &response.body);
        assert_eq!(response.body["code"], status.as_u16());
        assert_eq!(response.body["status"], status.canonical_reason().unwrap());
        assert_eq!(response.body["type"], reason, "{}", response.text);
        response.body
    }
}

/// An HTTP client for one server, optionally with a bearer token.
pub(crate) struct Rest {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Rest {
    pub(crate) fn new(app: &TestApp) -> Self {
        Self { client: reqwest::Client::new(), base: format!("http://{}", app.addr), token: None }
    }

    pub(crate) fn with_token(app: &TestApp, token: &str) -> Self {
        Self { token: Some(token.to_owned()), ..Self::new(app) }
    }

    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::Null) };
        Response { status, headers, body, text }
    }

    pub(crate) async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, &[], None).await
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> Response {
        self.send(Method::POST, path, &[], Some(body)).await
    }

    pub(crate) async fn put(&self, path: &str, body: &Value) -> Response {
        self.send(Method::PUT, path, &[], Some(body)).await
    }

    pub(crate) async fn patch(&self, path: &str, body: &Value) -> Response {
        self.send(Method::PATCH, path, &[], Some(body)).await
    }

    pub(crate) async fn delete(&self, path: &str) -> Response {
        self.send(Method::DELETE, path, &[], None).await
    }
}

const SOURCE: &str = "/ai-service/source";
const TARGET: &str = "/ai-service/target";

pub(crate) async fn export(rest: &Rest, base: &str, ids: &[&str]) -> Value {
    let response = rest.post(&format!("{base}/agentic/agents/export"), &json!({ "agentIds": ids })).await;
    response.expect(StatusCode::OK).body
}

#[tokio::test]
async fn export_then_import_through_rest_matches_the_documented_schemas() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let rest = Rest::new(&app);

    let exported = export(&rest, SOURCE, &["support"]).await;
    assert_valid("export-response", &exported);
    assert_eq!(keys(&exported), ["data", "checksum", "exportedAt", "jobId"]);
    assert!(exported["exportedAt"].as_str().unwrap().ends_with('Z'));
    let decoded = String::from_utf8(STANDARD.decode(exported["data"].as_str().unwrap()).unwrap()).unwrap();
    for secret in SECRET_VALUES {
        assert!(!decoded.contains(secret), "a secret left the service");
    }

    // A downloaded export file carries `exportedAt` too; unknown keys are ignored.
    let upload =
        json!({ "exportedAt": exported["exportedAt"], "data": exported["data"], "checksum": exported["checksum"] });
    let imported = rest.post(&format!("{TARGET}/agentic/agents/import"), &upload).await.expect(StatusCode::OK).body;
    assert_valid("import-response", &imported);
    assert_eq!(keys(&imported), ["importedAt", "summary", "message", "jobId"]);
    assert_eq!(imported["message"], "Successfully imported 4 agents, 2 tools, and 2 MCP servers.");
    let summary = &imported["summary"];
    assert_eq!(keys(summary), ["agents", "tools", "mcpServers", "knowledgeBases"]);
    for agent in summary["agents"].as_array().unwrap() {
        assert_eq!(agent["state"], "DISABLED", "{agent}");
        let codes: Vec<&str> =
            agent["details"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
        assert!(codes.contains(&"AGENT_IMPORTED_DISABLED"), "{agent}");
    }
    let slack = summary["tools"].as_array().unwrap().iter().find(|t| t["id"] == "slack-tool").unwrap();
    assert_eq!(slack["state"], "TO_CREATE");
    assert_eq!(slack["details"][0]["code"], "NOT_IMPORTABLE");
    assert_eq!(slack["details"][0]["objectId"], "slack-tool");

    // The imported agents are there, in the Emporix shape.
    let agents = rest.get(&format!("{TARGET}/agentic/agents")).await.expect(StatusCode::OK).body;
    let ids: Vec<&str> = agents.as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["audit", "billing", "refunds", "support"]);
    assert!(agents.as_array().unwrap().iter().all(|a| a["enabled"] == false));

    // Both calls left jobs with their results.
    let jobs = rest.get(&format!("{SOURCE}/jobs")).await.expect(StatusCode::OK).body;
    assert_valid("jobs", &jobs);
    let job = &jobs[0];
    assert_eq!(
        (job["id"].as_str(), &job["type"], &job["status"]),
        (exported["jobId"].as_str(), &json!("EXPORT"), &json!("success"))
    );
    // Lists never load bundles; the job itself streams its bundle into `data`.
    assert_eq!(job["exportResult"], json!({ "data": "", "checksum": exported["checksum"] }));
    let one = rest.get(&format!("{SOURCE}/jobs/{}", exported["jobId"].as_str().unwrap())).await.expect(StatusCode::OK);
    assert_valid("job", &one.body);
    assert_eq!(one.body["exportResult"], json!({ "data": exported["data"], "checksum": exported["checksum"] }));
    assert_eq!(keys(&job["metadata"]), ["version", "createdAt", "modifiedAt"]);
    assert!(job["metadata"]["modifiedAt"].as_str().unwrap().ends_with('Z'));
    let job =
        rest.get(&format!("{TARGET}/jobs/{}", imported["jobId"].as_str().unwrap())).await.expect(StatusCode::OK).body;
    assert_valid("job", &job);
    assert_eq!((&job["type"], &job["status"]), (&json!("IMPORT"), &json!("success")));
    assert_eq!(job["importResult"]["message"], imported["message"]);
    assert_eq!(job["importResult"]["summary"]["agents"], imported["summary"]["agents"]);
    assert!(job.get("exportResult").is_none() && job.get("sessionId").is_none(), "absent values are left out");
    // The checks are real: values outside the documented enums fail them.
    let mut broken = job.clone();
    broken["status"] = json!("done");
    assert!(!schema("job").is_valid(&broken));
    let mut broken = imported.clone();
    broken["summary"]["agents"][0]["state"] = json!("disabled");
    assert!(!schema("import-response").is_valid(&broken));
}

#[tokio::test]
async fn import_extensions_are_query_parameters() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let rest = Rest::new(&app);
    let exported = export(&rest, SOURCE, &["refunds"]).await;
    let body = json!({ "data": exported["data"], "checksum": exported["checksum"] });
    let import = |query: &'static str| format!("{TARGET}/agentic/agents/import{query}");

    let dry = rest.post(&import("?dryRun=true"), &body).await.expect(StatusCode::OK).body;
    assert_valid("import-response", &dry);
    assert_eq!(dry["dryRun"], true);
    assert!(dry.get("jobId").is_none(), "a dry run records no job");
    assert!(rest.get(&format!("{TARGET}/agentic/agents")).await.body.as_array().unwrap().is_empty());

    // Idempotency: the same key answers the first response again.
    let keyed = [("Idempotency-Key", "import-1")];
    let first = rest.send(Method::POST, &import(""), &keyed, Some(&body)).await.expect(StatusCode::OK).body;
    let again = rest.send(Method::POST, &import(""), &keyed, Some(&body)).await.expect(StatusCode::OK).body;
    assert_eq!(again, first);
    let by_query = rest.post(&import("?requestId=import-1"), &body).await.expect(StatusCode::OK).body;
    assert_eq!(by_query, first);

    // The id is taken now: fail refuses, skip keeps, rename is the default.
    let failed =
        rest.post(&import("?conflictPolicy=fail"), &body).await.error(StatusCode::CONFLICT, "RESOURCE_ALREADY_EXISTS");
    assert!(failed["message"].as_str().unwrap().contains("refunds"));
    let skipped = rest.post(&import("?conflictPolicy=SKIP"), &body).await.expect(StatusCode::OK).body;
    assert_eq!(skipped["summary"]["agents"][0]["state"], "EXISTS");
    let renamed = rest.post(&import(""), &body).await.expect(StatusCode::OK).body;
    let entity = &renamed["summary"]["agents"][0];
    assert!(entity["id"].as_str().unwrap().starts_with("refunds--import-"), "{entity}");
    assert_eq!(entity["sourceId"], "refunds");
    let bad =
        rest.post(&import("?conflictPolicy=merge"), &body).await.error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT");
    assert_eq!(bad["details"][0]["field"], "conflictPolicy");

    // In the background: 202 with the job, which finishes on the job engine.
    let accepted = rest.post(&import("?async=true&conflictPolicy=skip"), &body).await.expect(StatusCode::ACCEPTED).body;
    assert_valid("job", &accepted);
    assert_eq!(accepted["type"], "IMPORT");
    let path = format!("{TARGET}/jobs/{}", accepted["id"].as_str().unwrap());
    let mut job = accepted.clone();
    for _ in 0..200 {
        job = rest.get(&path).await.expect(StatusCode::OK).body;
        if job["status"] != "in_progress" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_valid("job", &job);
    assert_eq!(job["status"], "success", "{job}");
    assert_eq!(job["importResult"]["summary"]["agents"][0]["state"], "EXISTS");
}

#[tokio::test]
async fn the_emporix_example_imports_through_rest() {
    // Its checksum was made with Emporix's own key, which no other service knows.
    let body = json!({
        "data": STANDARD.encode(EMPORIX_EXAMPLE),
        "checksum": "9b1e4c2f0f7a3d5e6b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c",
    });
    let strict = spawn_app().await;
    Rest::new(&strict)
        .post("/ai-service/acme/agentic/agents/import", &body)
        .await
        .error(StatusCode::BAD_REQUEST, "CHECKSUM_MISMATCH");

    let lenient = spawn_app_with(|s| s.allow_unverified_bundles = true).await;
    let rest = Rest::new(&lenient);
    let imported = rest.post("/ai-service/acme/agentic/agents/import", &body).await.expect(StatusCode::OK).body;
    assert_valid("import-response", &imported);
    assert_eq!(imported["message"], "Successfully imported 1 agents, 0 tools, and 0 MCP servers.");
    assert_eq!(imported["summary"]["agents"][0]["id"], "product-created");
    assert_eq!(imported["summary"]["agents"][0]["state"], "DISABLED");

    let agent = rest.get("/ai-service/acme/agentic/agents/product-created").await.expect(StatusCode::OK).body;
    let mut expected: Value = serde_json::from_str(EMPORIX_EXAMPLE).unwrap();
    let expected = expected["agents"][0].as_object_mut().unwrap();
    expected.insert("enabled".into(), json!(false));
    let mut shown = agent.as_object().unwrap().clone();
    assert_eq!(shown.remove("metadata").unwrap()["version"], 1);
    assert_eq!(&shown, expected, "the agent reads back as Emporix wrote it, plus enabled and metadata");
}

#[tokio::test]
async fn jobs_page_filter_count_project_and_delete() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let rest = Rest::new(&app);
    for _ in 0..3 {
        export(&rest, SOURCE, &["audit"]).await;
    }
    let exported = export(&rest, SOURCE, &["refunds"]).await;
    let body = json!({ "data": exported["data"], "checksum": exported["checksum"] });
    rest.post(&format!("{SOURCE}/agentic/agents/import?conflictPolicy=skip"), &body).await.expect(StatusCode::OK);

    let counted = [("X-Total-Count", "true")];
    let page = |n: u32| format!("{SOURCE}/jobs?pageSize=2&pageNumber={n}");
    let first = rest.send(Method::GET, &page(1), &counted, None).await.expect(StatusCode::OK);
    assert_eq!(first.header("x-total-count"), Some("5"));
    assert_valid("jobs", &first.body);
    let second = rest.send(Method::GET, &page(2), &counted, None).await.expect(StatusCode::OK);
    let third = rest.get(&page(3)).await.expect(StatusCode::OK);
    assert_eq!(third.header("x-total-count"), None, "only when asked for");
    let sizes: Vec<usize> = [&first, &second, &third].iter().map(|r| r.body.as_array().unwrap().len()).collect();
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(first.body[0]["type"], "IMPORT", "newest first");
    let ids: std::collections::HashSet<&str> = [&first, &second, &third]
        .iter()
        .flat_map(|r| r.body.as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap()))
        .collect();
    assert_eq!(ids.len(), 5);

    let imports = rest.get(&format!("{SOURCE}/jobs?q=type:IMPORT")).await.expect(StatusCode::OK).body;
    assert_eq!(imports.as_array().unwrap().len(), 1);
    let search = format!("{SOURCE}/jobs/search?sort=metadata.createdAt:asc");
    let searched =
        rest.send(Method::POST, &search, &counted, Some(&json!({ "q": "type:EXPORT status:SUCCESS" }))).await;
    let searched = searched.expect(StatusCode::OK);
    assert_valid("jobs", &searched.body);
    assert_eq!(searched.header("x-total-count"), Some("4"));
    assert_eq!(searched.body[3]["id"], exported["jobId"], "oldest first as sorted");

    let projected =
        rest.get(&format!("{SOURCE}/jobs?fields=status,metadata.createdAt")).await.expect(StatusCode::OK).body;
    assert_eq!(keys(&projected[0]), ["id", "status", "metadata"]);
    assert_eq!(keys(&projected[0]["metadata"]), ["createdAt"]);
    let job_path = format!("{SOURCE}/jobs/{}", exported["jobId"].as_str().unwrap());
    let one = rest.get(&format!("{job_path}?fields=type")).await.expect(StatusCode::OK).body;
    assert_eq!(one, json!({ "id": exported["jobId"], "type": "EXPORT" }));

    let bad =
        rest.get(&format!("{SOURCE}/jobs?q=nosuchfield:1")).await.error(StatusCode::BAD_REQUEST, "INVALID_FILTER");
    assert!(!bad["details"].as_array().unwrap().is_empty());
    rest.get(&format!("{SOURCE}/jobs?pageSize=many")).await.error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT");

    rest.delete(&job_path).await.expect(StatusCode::NO_CONTENT);
    let missing = rest.get(&job_path).await.error(StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND");
    assert_eq!(missing["resourceId"], exported["jobId"]);
    rest.delete(&job_path).await.error(StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND");
}

pub(crate) fn agent_body(name: &str) -> Value {
    json!({
        "name": { "en": name },
        "description": { "en": "Handles new products" },
        "userPrompt": "You handle product creation.",
        "triggers": [ { "type": "endpoint" } ],
        "llmConfig": { "model": "gpt-4.1-mini", "provider": "openai", "token": { "id": "openai" } },
        "mcpServers": [ { "type": "predefined", "domain": "product", "tools": [ "get-product" ] } ],
        "tags": [ "catalog" ],
    })
}

pub(crate) fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

#[tokio::test]
async fn put_creates_then_replaces_and_refuses_stale_versions() {
    let mut app = spawn_app().await;
    let rest = Rest::new(&app);
    let path = "/ai-service/acme/agentic/agents/product-created";

    let created = rest.put(path, &with(agent_body("Products"), "metadata", json!({ "version": 0 }))).await;
    assert_eq!(created.expect(StatusCode::CREATED).body, json!({ "id": "product-created" }));
    let agent = rest.get(path).await.expect(StatusCode::OK).body;
    assert_eq!(agent["name"], json!({ "en": "Products" }));
    assert_eq!((&agent["type"], &agent["enabled"]), (&json!("generic"), &json!(false)));
    assert_eq!(agent["llmConfig"]["token"], json!({ "id": "openai" }));
    assert_eq!(agent["metadata"]["version"], 1);
    assert!(agent.get("agentport").is_none(), "the extension stays internal");

    // A replacement: what the body leaves out is gone, response-only `type` stays.
    let mut body = agent_body("Products v2");
    body["enabled"] = json!(true);
    body["metadata"] = json!({ "version": 1 });
    body.as_object_mut().unwrap().remove("tags");
    rest.put(path, &body).await.expect(StatusCode::NO_CONTENT);
    let agent = rest.get(path).await.expect(StatusCode::OK).body;
    assert_eq!(
        (&agent["name"]["en"], &agent["enabled"], &agent["tags"]),
        (&json!("Products v2"), &json!(true), &json!([]))
    );
    assert_eq!((&agent["type"], &agent["metadata"]["version"]), (&json!("generic"), &json!(2)));

    // Optimistic locking: version 1 is stale now.
    let stale = rest.put(path, &body).await.error(StatusCode::CONFLICT, "ETAG_MISMATCH");
    assert!(stale["message"].as_str().unwrap().contains("product-created"));
    // Without a version the replacement is unconditional.
    body.as_object_mut().unwrap().remove("metadata");
    rest.put(path, &body).await.expect(StatusCode::NO_CONTENT);

    // Invalid bodies name the offending keys.
    let mut wrong = agent_body("ignored");
    wrong["name"] = json!("not a map");
    wrong["enabled"] = json!("yes");
    let invalid = rest.put(path, &wrong).await;
    let invalid = invalid.error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT");
    let fields: Vec<&str> =
        invalid["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["enabled"], "a string name is English text without Content-Language");
    // The documented required keys are required.
    let bare = rest.put(path, &json!({ "name": {"en": "x"}, "llmConfig": {"model": "m"} })).await;
    let bare = bare.error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT");
    let fields: Vec<&str> = bare["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["userPrompt", "triggers", "llmConfig.provider", "mcpServers"]);

    // What the Emporix shape does not show survives a PUT: xpander settings and credentials.
    let mut agent = sample_agent();
    agent.kind = "manager".into();
    agent.instructions.as_mut().unwrap().role = vec!["You are careful.".into()];
    agent.llm.as_mut().unwrap().api_base = "https://gateway.example.com".into();
    app.agents
        .create_agent(CreateAgentRequest {
            parent: "tenants/acme".into(),
            agent_id: "mixed".into(),
            agent: Some(agent),
        })
        .await
        .unwrap();
    rest.put("/ai-service/acme/agentic/agents/mixed", &agent_body("Mixed")).await.expect(StatusCode::NO_CONTENT);
    let stored =
        app.agents.get_agent(GetAgentRequest { name: "tenants/acme/agents/mixed".into() }).await.unwrap().into_inner();
    assert_eq!(stored.display_name, [("en".to_owned(), "Mixed".to_owned())].into());
    assert_eq!(stored.kind, "manager");
    let instructions = stored.instructions.unwrap();
    assert_eq!(
        (instructions.role, instructions.general.as_str()),
        (vec!["You are careful.".to_owned()], "You handle product creation.")
    );
    let llm = stored.llm.unwrap();
    assert_eq!((llm.model.as_str(), llm.api_base.as_str()), ("gpt-4.1-mini", "https://gateway.example.com"));
}

#[tokio::test]
async fn patch_applies_the_documented_operations() {
    let app = spawn_app().await;
    let rest = Rest::new(&app);
    let tool = "/ai-service/acme/agentic/tools/rag";
    let body = json!({
        "name": "Products RAG", "type": "rag_emporix",
        "config": { "prompt": "Find products", "entityType": "PRODUCT", "embeddingConfig": { "provider": "emporix_openai" } },
    });
    rest.put(tool, &body).await.expect(StatusCode::CREATED);
    rest.patch(tool, &json!([{ "op": "REPLACE", "path": "/enabled", "value": true }]))
        .await
        .expect(StatusCode::NO_CONTENT);
    let shown = rest.get(tool).await.expect(StatusCode::OK).body;
    assert_eq!((&shown["enabled"], &shown["metadata"]["version"]), (&json!(true), &json!(2)));
    assert_eq!(shown["config"]["prompt"], "Find products");

    // Slack's bot token is write-only.
    let slack = "/ai-service/acme/agentic/tools/slack";
    let body =
        json!({ "name": "Slack", "type": "slack", "config": { "teamId": "T1", "botToken": "xoxb-SECRET-REST" } });
    rest.put(slack, &body).await.expect(StatusCode::CREATED);
    let shown = rest.get(slack).await.expect(StatusCode::OK);
    assert_eq!(shown.body["config"], json!({ "teamId": "T1" }));
    assert!(!shown.text.contains("xoxb-SECRET-REST"));

    let agent = "/ai-service/acme/agentic/agents/a1";
    rest.put(agent, &agent_body("Agent")).await.expect(StatusCode::CREATED);
    let operations = json!([
        { "op": "ADD", "path": "/tags", "value": "new" },
        { "op": "REPLACE", "path": "/llmConfig/model", "value": "gpt-4.1" },
        { "op": "REPLACE", "path": "/name/de", "value": "Agent (de)" },
        { "op": "REMOVE", "path": "/description" },
        { "op": "ADD", "path": "/agentCollaborations", "value": { "agentId": "a2", "description": "billing" } },
    ]);
    rest.patch(agent, &operations).await.expect(StatusCode::NO_CONTENT);
    let shown = rest.get(agent).await.expect(StatusCode::OK).body;
    assert_eq!(shown["tags"], json!(["catalog", "new"]));
    assert_eq!(shown["llmConfig"]["model"], "gpt-4.1");
    assert_eq!(shown["llmConfig"]["token"], json!({ "id": "openai" }), "the rest of llmConfig stays");
    assert_eq!(shown["name"], json!({ "de": "Agent (de)", "en": "Agent" }));
    assert!(shown.get("description").is_none());
    assert_eq!(shown["agentCollaborations"], json!([{ "agentId": "a2", "description": "billing" }]));
    rest.patch(agent, &json!([{ "op": "REMOVE", "path": "/tags", "value": "catalog" }]))
        .await
        .expect(StatusCode::NO_CONTENT);
    assert_eq!(rest.get(agent).await.body["tags"], json!(["new"]));

    // Unknown paths are refused, naming them; nothing is changed.
    let unknown = rest.patch(agent, &json!([{ "op": "REPLACE", "path": "/bogus", "value": 1 }])).await;
    let unknown = unknown.error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT");
    assert_eq!(unknown["details"][0]["field"], "[0].path");
    assert!(unknown["details"][0]["message"].as_str().unwrap().contains("/bogus"));
    let nested = json!([
        { "op": "REPLACE", "path": "/enabled", "value": true },
        { "op": "REPLACE", "path": "/llmConfig/bogus", "value": "x" },
    ]);
    let nested = rest.patch(agent, &nested).await.error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT");
    assert!(nested["message"].as_str().unwrap().contains("/llmConfig/bogus"), "{nested}");
    assert_eq!(rest.get(agent).await.body["enabled"], false);
    rest.patch(agent, &json!([{ "op": "MERGE", "path": "/enabled" }]))
        .await
        .error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT");
    rest.patch(
        "/ai-service/acme/agentic/agents/none",
        &json!([{ "op": "REPLACE", "path": "/enabled", "value": true }]),
    )
    .await
    .error(StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND");
}

#[tokio::test]
async fn localized_texts_follow_accept_and_content_language() {
    let app = spawn_app().await;
    let rest = Rest::new(&app);
    let path = "/ai-service/acme/agentic/agents/lang";
    let mut body = agent_body("unused");
    body["name"] = json!("Produkte");
    body["description"] = json!("Verwaltet Produkte");
    rest.send(Method::PUT, path, &[("Content-Language", "de")], Some(&body)).await.expect(StatusCode::CREATED);
    body["name"] = json!("Products");
    body["description"] = json!("Handles products");
    rest.send(Method::PUT, path, &[("Content-Language", "en")], Some(&body)).await.expect(StatusCode::NO_CONTENT);

    let maps = rest.send(Method::GET, path, &[("Accept-Language", "*")], None).await.expect(StatusCode::OK).body;
    assert_eq!(maps["name"], json!({ "de": "Produkte", "en": "Products" }));
    let german = rest.send(Method::GET, path, &[("Accept-Language", "de-CH, en;q=0.5")], None).await.body;
    assert_eq!((&german["name"], &german["description"]), (&json!("Produkte"), &json!("Verwaltet Produkte")));
    let listed =
        rest.send(Method::GET, "/ai-service/acme/agentic/agents", &[("Accept-Language", "fr, en")], None).await;
    assert_eq!(listed.body[0]["name"], "Products");
}

#[tokio::test]
async fn tokens_never_return_their_value() {
    let mut app = spawn_app().await;
    let rest = Rest::new(&app);
    let path = "/ai-service/acme/agentic/tokens/openai";
    let secret = "sk-live-SECRET-REST-0001";
    rest.put(path, &json!({ "name": "OpenAI key", "value": secret })).await.expect(StatusCode::CREATED);
    let token = rest.get(path).await.expect(StatusCode::OK);
    assert_eq!(keys(&token.body), ["id", "name", "metadata"]);
    let listed = rest.get("/ai-service/acme/agentic/tokens").await.expect(StatusCode::OK);
    let searched = rest.post("/ai-service/acme/agentic/tokens/search", &json!({ "q": "name:\"OpenAI key\"" })).await;
    let searched = searched.expect(StatusCode::OK);
    assert_eq!(searched.body.as_array().unwrap().len(), 1);
    for text in [&token.text, &listed.text, &searched.text] {
        assert!(!text.contains(secret));
    }

    // The value cannot change once created; the name can.
    rest.put(path, &json!({ "name": "OpenAI", "value": "sk-other" }))
        .await
        .error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT");
    rest.put(path, &json!({ "name": "OpenAI" })).await.expect(StatusCode::NO_CONTENT);
    let stored = app.agents.get_secret(GetSecretRequest { name: "tenants/acme/secrets/openai".into() }).await.unwrap();
    assert_eq!(stored.into_inner().display_name, "OpenAI");
    let refused = rest.patch(path, &json!([{ "op": "REPLACE", "path": "/value", "value": "x" }])).await;
    refused.error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT");
    rest.send(Method::DELETE, &format!("{path}?force=true"), &[], None).await.expect(StatusCode::NO_CONTENT);
    rest.get(path).await.error(StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND");
}

#[tokio::test]
async fn lists_page_filter_count_and_project() {
    let app = spawn_app().await;
    let rest = Rest::new(&app);
    for i in 1..=5 {
        let body = json!({
            "name": format!("Server {i}"), "enabled": i % 2 == 1, "transport": "streamable_http",
            "config": { "url": format!("http://mcp-{i}.example.com/mcp") },
        });
        rest.put(&format!("/ai-service/acme/agentic/mcp-servers/mcp-{i}"), &body).await.expect(StatusCode::CREATED);
    }
    let base = "/ai-service/acme/agentic/mcp-servers";
    let ids = |body: &Value| {
        body.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };

    let all = rest.get(base).await.expect(StatusCode::OK).body;
    assert_eq!(ids(&all), ["mcp-1", "mcp-2", "mcp-3", "mcp-4", "mcp-5"]);
    assert_eq!(all[0]["type"], "custom");
    assert_eq!(all[0]["config"], json!({ "url": "http://mcp-1.example.com/mcp" }));
    let second = rest.get(&format!("{base}?pageSize=2&pageNumber=2")).await.expect(StatusCode::OK);
    assert_eq!(ids(&second.body), ["mcp-3", "mcp-4"]);
    let counted =
        rest.send(Method::GET, &format!("{base}?pageSize=2&pageNumber=3"), &[("X-Total-Count", "true")], None).await;
    assert_eq!((ids(&counted.body), counted.header("x-total-count")), (vec!["mcp-5".to_owned()], Some("5")));
    let beyond = rest.get(&format!("{base}?pageSize=2&pageNumber=4")).await.expect(StatusCode::OK);
    assert!(beyond.body.as_array().unwrap().is_empty());

    let enabled = rest.get(&format!("{base}?q=enabled:true")).await.expect(StatusCode::OK).body;
    assert_eq!(ids(&enabled), ["mcp-1", "mcp-3", "mcp-5"]);
    let query = json!({ "q": "name:\"Server 2\"" });
    let searched = rest.send(Method::POST, &format!("{base}/search"), &[("X-Total-Count", "true")], Some(&query)).await;
    let searched = searched.expect(StatusCode::OK);
    assert_eq!((ids(&searched.body), searched.header("x-total-count")), (vec!["mcp-2".to_owned()], Some("1")));
    let projected = rest.get(&format!("{base}?fields=name,config.url&pageSize=1")).await.expect(StatusCode::OK).body;
    assert_eq!(
        projected,
        json!([{ "id": "mcp-1", "name": "Server 1", "config": { "url": "http://mcp-1.example.com/mcp" } }])
    );
    let one = rest.get(&format!("{base}/mcp-2?fields=enabled")).await.expect(StatusCode::OK).body;
    assert_eq!(one, json!({ "id": "mcp-2", "enabled": false }));

    let agents = "/ai-service/acme/agentic/agents";
    rest.put(&format!("{agents}/on"), &with(agent_body("On"), "enabled", json!(true)))
        .await
        .expect(StatusCode::CREATED);
    rest.put(&format!("{agents}/off"), &agent_body("Off")).await.expect(StatusCode::CREATED);
    let active = rest.get(&format!("{agents}?q=enabled:true type:generic")).await.expect(StatusCode::OK).body;
    assert_eq!(ids(&active), ["on"]);
    let regex = rest.get(&format!("{agents}?q=name:~^O[nf]")).await.expect(StatusCode::OK).body;
    assert_eq!(ids(&regex), ["off", "on"], "a regex over the localized name");
    let exact = rest.get(&format!("{agents}?q=name:On")).await.expect(StatusCode::OK).body;
    assert_eq!(ids(&exact), ["on"], "the exact text of any language");
    let range = rest.get(&format!("{agents}?q=maxRecursionLimit:>1")).await.expect(StatusCode::OK).body;
    assert_eq!(ids(&range), Vec::<String>::new(), "neither has a recursion limit");
    let unknown = rest.get(&format!("{agents}?q=colour:red")).await.error(StatusCode::BAD_REQUEST, "INVALID_FILTER");
    assert_eq!(unknown["details"][0]["field"], "q");
    rest.delete(&format!("{agents}/off")).await.expect(StatusCode::NO_CONTENT);
    assert_eq!(ids(&rest.get(agents).await.body), ["on"]);
}

#[tokio::test]
async fn errors_use_the_emporix_formats() {
    let app = spawn_app().await;
    let rest = Rest::new(&app);
    let malformed = rest
        .client
        .post(format!("{}/ai-service/acme/agentic/agents/export", rest.base))
        .header("content-type", "application/json")
        .body("{\"agentIds\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let body: Value = malformed.json().await.unwrap();
    assert_valid("error-message", &body);
    assert_eq!((&body["status"], &body["details"][0]["field"]), (&json!("Bad Request"), &json!("body")));
    let wrong = rest.post("/ai-service/acme/agentic/agents/export", &json!({ "agentIds": "support" })).await;
    wrong.error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT");
    let missing = rest.post("/ai-service/acme/agentic/agents/export", &json!({ "agentIds": ["nope"] })).await;
    missing.error(StatusCode::BAD_REQUEST, "RESOURCE_NOT_FOUND");
    let not_found =
        rest.get("/ai-service/acme/agentic/agents/nope").await.error(StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND");
    assert_eq!(not_found["resourceId"], "nope");
    rest.put("/ai-service/acme/agentic/tools/t", &json!([1, 2]))
        .await
        .error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT");

    let secured = secured_app().await;
    let anonymous = Rest::new(&secured).get("/ai-service/acme/jobs").await.expect(StatusCode::UNAUTHORIZED);
    assert_valid("error-message-fault", &anonymous.body);
    assert_eq!(
        anonymous.body,
        json!({ "fault": { "faultstring": "Invalid access token", "detail": { "errorcode": "oauth.v2.InvalidAccessToken" } } })
    );
    let expired = Claims { expires_in: -600, ..Claims::new("acme", &["ai.agent_read"]) }.hs256(HS_SECRET);
    let expired =
        Rest::with_token(&secured, &expired).get("/ai-service/acme/jobs").await.expect(StatusCode::UNAUTHORIZED);
    assert_valid("error-message-fault", &expired.body);
    assert_eq!(expired.body["fault"]["detail"]["errorcode"], "keymanagement.service.access_token_expired");

    let reader = Rest::with_token(&secured, &Claims::new("acme", &["ai.agent_read"]).hs256(HS_SECRET));
    reader.get("/ai-service/acme/jobs").await.expect(StatusCode::OK);
    let refused = reader.post("/ai-service/acme/agentic/agents/import", &json!({ "data": "", "checksum": "" })).await;
    let refused = refused.error(StatusCode::FORBIDDEN, "PERMISSION_DENIED");
    assert!(refused["message"].as_str().unwrap().contains("ai.agent_manage"));
    reader
        .put("/ai-service/acme/agentic/agents/a", &agent_body("A"))
        .await
        .error(StatusCode::FORBIDDEN, "PERMISSION_DENIED");
    reader.get("/ai-service/other/jobs").await.error(StatusCode::FORBIDDEN, "PERMISSION_DENIED");
    let manager =
        Rest::with_token(&secured, &Claims::new("acme", &["ai.agent_read", "ai.agent_manage"]).hs256(HS_SECRET));
    manager.put("/ai-service/acme/agentic/agents/a", &agent_body("A")).await.expect(StatusCode::CREATED);
}

#[tokio::test]
async fn the_openapi_document_describes_the_dialect() {
    let app = spawn_app().await;
    let doc = Rest::new(&app).get("/openapi.json").await.expect(StatusCode::OK).body;
    let paths = &doc["paths"];
    let operation =
        |path: &str, method: &str| paths[path][method]["operationId"].as_str().unwrap_or_default().to_owned();
    assert_eq!(operation("/ai-service/{tenant}/agentic/agents/export", "post"), "POST-ai-export-agents");
    assert_eq!(operation("/ai-service/{tenant}/agentic/agents/import", "post"), "POST-ai-import-agents");
    assert_eq!(operation("/ai-service/{tenant}/jobs", "get"), "GET-ai-list-jobs");
    assert_eq!(operation("/ai-service/{tenant}/jobs/{jobId}", "delete"), "DELETE-ai-job");
    assert_eq!(operation("/ai-service/{tenant}/agentic/agents/{agentId}", "put"), "PUT-ai-agent");
    assert_eq!(operation("/ai-service/{tenant}/agentic/tokens/{tokenId}", "patch"), "PATCH-ai-update-token");
    let params = paths["/ai-service/{tenant}/agentic/agents/import"]["post"]["parameters"].as_array().unwrap();
    for name in ["dryRun", "conflictPolicy", "requestId", "async"] {
        let param = params.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("no {name}"));
        assert_eq!(param["x-agentport-extension"], true, "{param}");
    }
    let scheme = &doc["components"]["securitySchemes"]["OAuth2"];
    assert_eq!(scheme["type"], "oauth2");
    assert!(scheme["flows"]["clientCredentials"]["scopes"]["ai.agent_manage"].is_string());
    assert_eq!(paths["/ai-service/{tenant}/jobs"]["get"]["security"][0]["OAuth2"], json!(["ai.agent_read"]));
    let limited = &paths["/ai-service/{tenant}/jobs"]["get"]["responses"]["429"];
    assert_eq!(limited["headers"]["Retry-After"]["schema"]["type"], "integer", "{limited}");
    assert!(paths["/ai-service/{tenant}/jobs"]["get"]["responses"]["504"].is_object());
    for schema in ["Job", "ErrorMessage", "ErrorMessageFault", "ImportResponse", "AgentResponse", "TokenRequest"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema} is listed");
    }
}
