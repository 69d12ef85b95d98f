//! The xpander dialect under `/v1`: every documented response validates against its schema,
//! templates travel between tenants, and the tenant comes from the credentials.

use std::sync::OnceLock;

use agentport::proto::CreateApiKeyRequest;
use agentport::proto::api_key_service_client::ApiKeyServiceClient;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::auth::{Claims, HS_SECRET, bearer, secured_app};
use crate::helpers::{TestApp, spawn_app};
use crate::templates::seed_tree;

/// Every credential `seed_tree` stores contains this.
const SECRET_MARK: &str = "SECRET";

/// The documented schemas: the export spec's components and the other responses' (fixtures).
fn definitions() -> &'static Value {
    static DEFS: OnceLock<Value> = OnceLock::new();
    DEFS.get_or_init(|| {
        let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap();
        let spec = parse(include_str!("../fixtures/xpander_agent_definition.schema.json"));
        let api = parse(include_str!("../fixtures/xpander/api.schema.json"));
        let mut defs = spec["$defs"].as_object().unwrap().clone();
        defs.extend(api["$defs"].as_object().unwrap().clone());
        Value::Object(defs)
    })
}

#[track_caller]
pub(crate) fn assert_schema(name: &str, instance: &Value) {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/$defs/{name}"),
        "$defs": definitions(),
    });
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{instance:#}");
}

/// A reqwest client for the running app, with optional tenant and credential headers.
pub(crate) struct Api {
    base: String,
    client: reqwest::Client,
    headers: Vec<(&'static str, String)>,
}

impl Api {
    pub(crate) fn new(app: &TestApp) -> Self {
        Self { base: format!("http://{}", app.addr), client: reqwest::Client::new(), headers: Vec::new() }
    }

    pub(crate) fn with(&self, header: &'static str, value: &str) -> Self {
        let mut headers = self.headers.clone();
        headers.push((header, value.to_owned()));
        Self { base: self.base.clone(), client: self.client.clone(), headers }
    }

    pub(crate) fn tenant(&self, tenant: &str) -> Self {
        self.with("x-agentport-tenant", tenant)
    }

    pub(crate) async fn raw(&self, method: Method, path: &str, body: Option<&str>) -> (StatusCode, String) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        for (name, value) in &self.headers {
            request = request.header(*name, value);
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_owned());
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    pub(crate) async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let body = body.map(|b| b.to_string());
        let (status, text) = self.raw(method, path, body.as_deref()).await;
        let value = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
        assert!(!text.contains(SECRET_MARK), "a credential leaked: {text}");
        (status, value)
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub(crate) async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }
}

/// The `loc` of each 422 detail, as compact JSON.
pub(crate) fn locs(body: &Value) -> Vec<String> {
    assert_schema("HTTPValidationError", body);
    body["detail"].as_array().unwrap().iter().map(|d| d["loc"].to_string()).collect()
}

#[tokio::test]
async fn a_tree_exported_as_a_template_is_imported_elsewhere_with_its_sub_agents() {
    let mut app = spawn_app().await;
    seed_tree(&mut app, "source").await;
    let api = Api::new(&app);
    let source = api.tenant("source");

    let (status, _) = source.call(Method::PUT, "/v1/agents/concierge", None).await;
    assert_eq!(status, StatusCode::OK, "deployed once: version 2");
    let request = json!({"name": "Concierge template", "description": "A concierge", "icon": "🎧"});
    let (status, template) = source.post("/v1/agents/concierge/export", request).await;
    assert_eq!(status, StatusCode::OK, "{template}");
    assert_schema("AgentTemplate", &template);
    assert_schema("AgentDefinition", &template["agent_definition"]);
    assert_eq!(
        (&template["name"], &template["icon"], &template["organization_id"]),
        (&json!("Concierge template"), &json!("🎧"), &json!("source"))
    );
    let definition = &template["agent_definition"];
    assert_eq!((&definition["id"], &definition["version"]), (&json!("concierge"), &json!(2)), "integers stay integers");
    assert_eq!(definition["sub_agents"].as_array().unwrap().len(), 2, "orders and returns nest under the root");

    // The definition is the stored one, byte for byte in value (integers stay integers).
    let store = agentport::store::Store::connect(app.database.url()).await.unwrap();
    let template_id = template["id"].as_str().unwrap().to_owned();
    let name = agentport::domain::names::ResourceName::parse(
        agentport::domain::names::ResourceKind::Template,
        &format!("tenants/source/templates/{template_id}"),
        "name",
    )
    .unwrap();
    let body = store.get(&name).await.unwrap().body;
    assert!(!body.contains("Policy text"), "document contents are kept apart, in the blob store");
    let stored: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(without_contents(&stored["agent_definition"]), without_contents(definition));

    // Any tenant imports it by id.
    let target = api.tenant("target");
    let import = format!("/v1/agents/template_import/{template_id}");
    let (status, root) = target.post(&import, json!({"name": "My concierge", "environment_id": "env-1"})).await;
    assert_eq!(status, StatusCode::OK, "{root}");
    assert_schema("AIAgent", &root);
    assert_eq!(root["name"], "My concierge");
    assert_eq!(root["origin_template"], template_id.as_str());
    assert_eq!(root["organization_id"], "target");
    assert_eq!(root["environment_id"], "env-1");
    assert_eq!(root["status"], "INACTIVE", "its LLM secret is a requirement this import did not map");
    let root_id = root["id"].as_str().unwrap();
    assert_ne!(root_id, "concierge");
    assert!(root["webhook_url"].as_str().unwrap().ends_with(&format!("/v1/agents/{root_id}/invoke")));
    let sub = root["graph"].as_array().unwrap().iter().find(|g| g["type"] == "agent").unwrap();
    assert_ne!(sub["item_id"], "returns", "the sub-agent reference follows the new id");

    let (status, page) = target.get("/v1/agents?per_page=50").await;
    assert_eq!(status, StatusCode::OK);
    assert_schema("PaginatedResponse_MinimalAIAgent_", &page);
    assert_eq!((page["total"].as_u64(), page["total_pages"].as_u64()), (Some(4), Some(1)), "the tree, once each");
    let (status, full) = target.get("/v1/agents/full").await;
    assert_eq!(status, StatusCode::OK);
    assert_schema("PaginatedResponse_AIAgent_", &full);
    let returns = full["items"].as_array().unwrap().iter().find(|a| a["id"] == sub["item_id"]).unwrap();
    assert_eq!(returns["name"], "Returns");
    assert_eq!(returns["origin_template"], template_id.as_str());
    let (_, kbs) = target.get("/v1/knowledge").await;
    assert_schema("PaginatedResponse_KnowledgeBaseItem_", &kbs);
    assert_eq!(kbs["total"], 1, "knowledge bases are copied by default");
    assert_eq!(kbs["items"][0]["total_documents"], 2);

    // Without knowledge bases, none are copied.
    let lean = api.tenant("lean");
    let (status, _) = lean.post(&import, json!({"name": "Lean", "with_knowledge_bases": false})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, kbs) = lean.get("/v1/knowledge").await;
    assert_eq!(kbs["total"], 0);

    // Unknown agents and templates are 404s.
    let (status, body) = source.post("/v1/agents/ghost/export", json!({"name": "x"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body["detail"].is_string());
    let (status, _) = target.post("/v1/agents/template_import/0000-none", json!({"name": "x"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn templates_are_listed_read_and_deleted_through_the_extension() {
    let mut app = spawn_app().await;
    seed_tree(&mut app, "owner").await;
    let owner = Api::new(&app).tenant("owner");
    let mut ids = Vec::new();
    for name in ["first", "second"] {
        let (_, template) = owner.post("/v1/agents/orders/export", json!({"name": name})).await;
        ids.push(template["id"].as_str().unwrap().to_owned());
    }
    let (status, page) = owner.get("/v1/templates?per_page=1&page=2").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_schema("PaginatedResponse_AgentTemplate_", &page);
    assert_eq!((page["total"].as_u64(), page["total_pages"].as_u64()), (Some(2), Some(2)));
    assert_eq!(page["items"][0]["id"], ids[1].as_str());
    assert_eq!(page["items"][0]["name"], "second");

    let (status, one) = owner.get(&format!("/v1/templates/{}", ids[0])).await;
    assert_eq!(status, StatusCode::OK);
    assert_schema("AgentTemplate", &one);
    let (status, _) = Api::new(&app).tenant("stranger").get(&format!("/v1/templates/{}", ids[0])).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "only the owner reads a template");

    let (status, text) = owner.raw(Method::DELETE, &format!("/v1/templates/{}", ids[0]), None).await;
    assert_eq!((status, text.as_str()), (StatusCode::NO_CONTENT, ""));
    let (status, body) = owner.get(&format!("/v1/templates/{}", ids[0])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_schema("HTTPError", &body);
}

#[tokio::test]
async fn an_agent_is_created_updated_deployed_and_deleted() {
    let app = spawn_app().await;
    let api = Api::new(&app).tenant("acme");
    let body = json!({
        "name": "Support",
        "instructions": {"role": ["helper"], "goal": ["resolve"], "general": "Be kind"},
        "model_name": "gpt-4o",
        "llm_credentials": {"name": "openai", "value": "sk-SECRET-value"},
        "llm_extra_headers": {"x-key": "SECRET-header"},
        "graph": [{"item_id": "op-1", "type": "tool", "sub_type": "operation", "targets": []}],
    });
    let (status, created) = api.post("/v1/agents", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_schema("AIAgent", &created);
    let expected = json!({
        "name": "Support", "status": "ACTIVE", "type": "manager", "icon": "🚀", "avatar": "male-avatar",
        "access_scope": "personal", "framework": "agno", "model_provider": "openai", "model_name": "gpt-4o",
        "output_format": "markdown", "deployment_type": "serverless", "version": 1,
        "has_pending_changes": false, "organization_id": "acme", "description": "", "llm_credentials": null,
    });
    for (key, value) in expected.as_object().unwrap() {
        assert_eq!(&created[key], value, "{key}");
    }
    assert_eq!(created["instructions"]["general"], "Be kind");
    assert_eq!(created["graph"][0]["item_id"], "op-1");
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/agents/{id}");

    let (status, fetched) = api.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched, created);

    // Only the given fields change; the change is pending until deployed.
    let (status, patched) = api.patch(&path, json!({"description": "Helps customers", "icon": "🎧"})).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_schema("AIAgent", &patched);
    assert_eq!((&patched["description"], &patched["icon"]), (&json!("Helps customers"), &json!("🎧")));
    assert_eq!((&patched["name"], &patched["model_name"]), (&json!("Support"), &json!("gpt-4o")));
    assert_eq!(patched["instructions"], created["instructions"]);
    assert_eq!(patched["has_pending_changes"], true);

    let (status, deployed) = api.call(Method::PUT, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{deployed}");
    assert_schema("AIAgent", &deployed);
    assert_eq!((&deployed["version"], &deployed["has_pending_changes"]), (&json!(2), &json!(false)));
    let (_, deployed) = api.patch(&format!("{path}?deploy=true"), json!({"status": "INACTIVE"})).await;
    assert_eq!((&deployed["version"], &deployed["status"]), (&json!(3), &json!("INACTIVE")));

    // Lists page through the tenant's agents.
    for name in ["Two", "Three"] {
        api.post("/v1/agents", json!({"name": name})).await;
    }
    let (status, page) = api.get("/v1/agents?page=2&per_page=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_schema("PaginatedResponse_MinimalAIAgent_", &page);
    assert_eq!((page["total"].as_u64(), page["total_pages"].as_u64()), (Some(3), Some(2)));
    assert_eq!((page["page"].as_u64(), page["per_page"].as_u64()), (Some(2), Some(2)));
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (_, other) = Api::new(&app).tenant("other").get("/v1/agents").await;
    assert_eq!(other["total"], 0, "another tenant sees none of them");

    let (status, text) = api.raw(Method::DELETE, &path, None).await;
    assert_eq!((status, text.as_str()), (StatusCode::ACCEPTED, "null"));
    let (status, body) = api.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_schema("HTTPError", &body);
}

#[tokio::test]
async fn knowledge_bases_hold_documents_added_by_url() {
    let app = spawn_app().await;
    let api = Api::new(&app).tenant("acme");
    let (status, kb) = api.post("/v1/knowledge", json!({"name": "Policies", "description": "Company policies"})).await;
    assert_eq!(status, StatusCode::CREATED, "{kb}");
    assert_schema("KnowledgeBaseItem", &kb);
    assert_eq!(
        (&kb["type"], &kb["organization_id"], &kb["total_documents"]),
        (&json!("managed"), &json!("acme"), &json!(0))
    );
    let kb_id = kb["id"].as_str().unwrap().to_owned();
    let base = format!("/v1/knowledge/{kb_id}");

    let (status, renamed) = api.patch(&base, json!({"name": "Rules"})).await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!((&renamed["name"], &renamed["description"]), (&json!("Rules"), &json!("Company policies")));

    let urls = json!({"document_urls": ["https://example.com/docs/refunds.pdf", "https://example.com/faq.md?v=2"]});
    let (status, added) = api.post(&format!("{base}/documents"), urls).await;
    assert_eq!(status, StatusCode::OK, "{added}");
    let added = added.as_array().unwrap().clone();
    for item in &added {
        assert_schema("KBDocumentItem", item);
        assert_eq!(item["kb_id"], kb_id.as_str());
    }
    assert_eq!(added.iter().map(|d| d["name"].as_str().unwrap()).collect::<Vec<_>>(), ["refunds.pdf", "faq.md"]);

    let (status, page) = api.get(&format!("{base}/documents")).await;
    assert_eq!(status, StatusCode::OK);
    assert_schema("PaginatedResponse_KBDocumentItem_", &page);
    assert_eq!(page["total"], 2);
    let doc_path = format!("{base}/documents/{}", added[0]["id"].as_str().unwrap());
    let (status, full) = api.get(&doc_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_schema("KBDocumentFull", &full);
    assert_eq!(full["document_url"], "https://example.com/docs/refunds.pdf");
    assert_eq!((&full["organization_id"], &full["local_env"]), (&json!("acme"), &json!(false)));
    let (_, listed) = api.get("/v1/knowledge").await;
    assert_schema("PaginatedResponse_KnowledgeBaseItem_", &listed);
    assert_eq!(listed["items"][0]["total_documents"], 2);

    let (status, body) = api.post(&format!("{base}/documents"), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(locs(&body), [r#"["body","document_urls"]"#]);
    let (status, _) = api.post("/v1/knowledge/ghost/documents", json!({"document_urls": ["https://x/y"]})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, text) = api.raw(Method::DELETE, &doc_path, None).await;
    assert_eq!((status, text.as_str()), (StatusCode::ACCEPTED, "null"));
    let (_, page) = api.get(&format!("{base}/documents")).await;
    assert_eq!(page["total"], 1);
    let (status, text) = api.raw(Method::DELETE, &base, None).await;
    assert_eq!((status, text.as_str()), (StatusCode::ACCEPTED, "null"));
    let (status, _) = api.get(&base).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_invalid_request_is_a_422_naming_its_fields() {
    let app = spawn_app().await;
    let api = Api::new(&app).tenant("acme");

    let (status, body) = api.post("/v1/agents", json!({"description": "no name"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(locs(&body), [r#"["body","name"]"#]);
    assert_eq!(body["detail"][0]["type"], "missing");

    let (status, text) = api.raw(Method::POST, "/v1/agents", Some(r#"{"name": "x",,}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    let body: Value = serde_json::from_str(&text).expect("a JSON body, not plain text");
    assert_schema("HTTPValidationError", &body);
    assert_eq!((&body["detail"][0]["loc"][0], &body["detail"][0]["type"]), (&json!("body"), &json!("json_invalid")));
    let (status, text) = api.raw(Method::POST, "/v1/agents/a/export", Some("")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");

    let bad = json!({
        "name": 5,
        "status": "ALIVE",
        "graph": [{"type": "tool", "targets": []}],
        "attached_tools": [{"operation_ids": []}],
        "agno_settings": [1],
    });
    let (status, body) = api.post("/v1/agents", bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut found = locs(&body);
    found.sort();
    assert_eq!(
        found,
        [
            r#"["body","agno_settings"]"#,
            r#"["body","attached_tools",0,"id"]"#,
            r#"["body","graph",0,"item_id"]"#,
            r#"["body","name"]"#,
            r#"["body","status"]"#,
        ]
    );

    // Violations the service finds are named the dialect's way too.
    let (status, body) = api.post("/v1/agents", json!({"name": "   "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(locs(&body), [r#"["body","name"]"#]);
    let (status, body) = api.post("/v1/agents", json!({"name": "x", "knowledge_bases": [{"id": "bad id!"}]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(locs(&body), [r#"["body","knowledge_bases",0,"id"]"#]);
    let (status, body) = api.post("/v1/agents/a/export", json!({"name": ""})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(locs(&body), [r#"["body","name"]"#]);
    let (status, body) = api.post("/v1/agents/bad%20id/export", json!({"name": "t"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(locs(&body), [r#"["path","agent_id"]"#]);

    for query in ["page=0", "per_page=51", "per_page=x"] {
        let (status, body) = api.get(&format!("/v1/agents?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let field = query.split('=').next().unwrap();
        assert_eq!(locs(&body), [format!(r#"["query","{field}"]"#)], "{query}");
    }
    let (status, body) = Api::new(&app).tenant("Not A Tenant").get("/v1/agents").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(locs(&body), [r#"["header","x-agentport-tenant"]"#]);
    let (status, body) = api.patch("/v1/agents/nobody", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn with_authentication_the_tenant_is_the_one_of_the_credentials() {
    let app = secured_app().await;
    let admin = Claims::new("a", &["agentport.admin"]).hs256(HS_SECRET);
    let mut keys = ApiKeyServiceClient::new(app.channel.clone());
    let create = |scopes: &[&str]| CreateApiKeyRequest {
        parent: "tenants/a".into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        description: "xpander".into(),
    };
    let manager = keys.create_api_key(bearer(create(&["ai.agent_read", "ai.agent_manage"]), &admin)).await.unwrap();
    let reader = keys.create_api_key(bearer(create(&["ai.agent_read"]), &admin)).await.unwrap();
    let api = Api::new(&app);

    // The header naming another tenant is ignored: the key is for `a`.
    let with_key = api.with("x-api-key", &manager.into_inner().key).tenant("b");
    let (status, created) = with_key.post("/v1/agents", json!({"name": "Keyed"})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["organization_id"], "a");
    let (_, page) = with_key.get("/v1/agents").await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["organization_id"], "a");

    let token = Claims::new("a", &["ai.agent_read"]).hs256(HS_SECRET);
    let (status, _) = api.with("authorization", &format!("Bearer {token}")).get("/v1/agents").await;
    assert_eq!(status, StatusCode::OK);
    let other = Claims::new("b", &["ai.agent_read", "ai.agent_manage"]).hs256(HS_SECRET);
    let (status, page) = api.with("authorization", &format!("Bearer {other}")).get("/v1/agents/full").await;
    assert_eq!((status, page["total"].as_u64()), (StatusCode::OK, Some(0)), "tenant b sees none of a's agents");
    let id = created["id"].as_str().unwrap();
    let (status, _) = api.with("authorization", &format!("Bearer {other}")).get(&format!("/v1/agents/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = api.get("/v1/agents").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_schema("HTTPError", &body);
    let (status, body) = api.with("x-api-key", "ap.a.nope.0123456789abcdef0123456789abcdef").get("/v1/knowledge").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let read_only = api.with("x-api-key", &reader.into_inner().key);
    let (status, body) = read_only.post("/v1/agents", json!({"name": "Nope"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_schema("HTTPError", &body);
    let (status, _) = read_only.get(&format!("/v1/agents/{id}")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_openapi_document_describes_the_dialect() {
    let app = spawn_app().await;
    let (status, doc) = Api::new(&app).get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let operation = |path: &str, method: &str| doc["paths"][path][method].clone();
    for (path, method, id) in [
        ("/v1/agents/{agent_id}/export", "post", "Export_Agent_v1_agents__agent_id__export_post"),
        (
            "/v1/agents/template_import/{template_id}",
            "post",
            "Import_Agent_v1_agents_template_import__template_id__post",
        ),
        ("/v1/agents", "get", "List_agents__minimal__v1_agents_get"),
        ("/v1/agents/{agent_id}", "put", "Deploy_AI_Agent_v1_agents__agent_id__put"),
        ("/v1/knowledge/{kb_id}/documents", "post", "Add_knowledge_base_documents_v1_knowledge__kb_id__documents_post"),
    ] {
        assert_eq!(operation(path, method)["operationId"], id, "{method} {path}");
    }
    for (path, method) in [("/v1/templates", "get"), ("/v1/templates/{template_id}", "delete")] {
        assert_eq!(operation(path, method)["x-agentport-extension"], true, "{method} {path}");
    }
    assert!(operation("/v1/agents", "post").get("x-agentport-extension").is_none());
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        (&schemes["APIKeyHeader"]["in"], &schemes["APIKeyHeader"]["name"]),
        (&json!("header"), &json!("x-api-key"))
    );
    assert_eq!(schemes["HTTPBearer"]["scheme"], "bearer");
    for schema in ["AIAgent", "AgentTemplate", "HTTPValidationError", "PaginatedResponse_AIAgent_", "KBDocumentFull"] {
        assert!(doc["components"]["schemas"].get(schema).is_some(), "{schema}");
    }
}

/// A definition with each document's `content` left out.
fn without_contents(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| k.as_str() != "content")
                .map(|(k, v)| (k.clone(), without_contents(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_contents).collect()),
        other => other.clone(),
    }
}
