//! The xpander dialect at its edges: template links that must follow the copy (custom
//! functions in the graph, knowledge bases left out), generated unique names, enumerations
//! checked as FastAPI checks them, and 422 messages that say what is wrong.

use agentport::proto::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::rest_xpander::{Api, assert_schema, locs};

/// A custom function `fn-score` and a knowledge base `kb-a` in `tenant`.
async fn seed_function_and_kb(app: &mut TestApp, tenant: &str) {
    let parent = format!("tenants/{tenant}");
    let function = Tool {
        display_name: "Score".into(),
        config: Some(tool::Config::CustomFunction(CustomFunctionToolConfig {
            input_schema_json: r#"{"type":"object"}"#.into(),
            status: "ready".into(),
            source_code: "def run(x): return 1".into(),
            ..Default::default()
        })),
        ..Default::default()
    };
    let request = CreateToolRequest { parent: parent.clone(), tool_id: "fn-score".into(), tool: Some(function) };
    app.agents.create_tool(request).await.unwrap();
    kb(app, tenant, "kb-a", "Source KB").await;
}

async fn kb(app: &mut TestApp, tenant: &str, id: &str, name: &str) {
    let request = CreateKnowledgeBaseRequest {
        parent: format!("tenants/{tenant}"),
        knowledge_base_id: id.into(),
        knowledge_base: Some(KnowledgeBase { display_name: name.into(), ..Default::default() }),
    };
    app.agents.create_knowledge_base(request).await.unwrap();
}

/// The `item_id` of the agent's custom-function graph item.
fn function_item(agent: &Value) -> String {
    let graph = agent["graph"].as_array().unwrap();
    let item = graph.iter().find(|g| g["sub_type"] == "custom_function").expect("a custom-function item");
    item["item_id"].as_str().unwrap().to_owned()
}

async fn custom_function(app: &mut TestApp, tenant: &str, id: &str) -> Tool {
    let name = format!("tenants/{tenant}/tools/{id}");
    let tool = app.agents.get_tool(GetToolRequest { name }).await.expect("the linked tool exists").into_inner();
    assert!(matches!(tool.config, Some(tool::Config::CustomFunction(_))), "{tool:?}");
    tool
}

#[tokio::test]
async fn template_links_follow_the_copy_and_nothing_binds_to_unrelated_resources() {
    let mut app = spawn_app().await;
    seed_function_and_kb(&mut app, "source").await;
    // The target has a knowledge base of the same id that has nothing to do with the source's.
    kb(&mut app, "target", "kb-a", "Unrelated").await;
    let api = Api::new(&app);
    let source = api.tenant("source");
    let body = json!({
        "name": "Scorer", "icon": "🤖",
        "graph": [{"item_id": "fn-score", "type": "tool", "sub_type": "custom_function", "targets": []}],
        "knowledge_bases": [{"id": "kb-a", "strategy": "vanilla", "rw": true}],
    });
    let (status, agent) = source.post("/v1/agents", body).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let agent_id = agent["id"].as_str().unwrap().to_owned();

    // Exported without knowledge bases: the function the graph calls travels, no KB link does.
    let request = json!({"name": "Scorer template", "icon": "🧪", "with_knowledge_bases": false});
    let (status, template) = source.post(&format!("/v1/agents/{agent_id}/export"), request).await;
    assert_eq!(status, StatusCode::OK, "{template}");
    assert_schema("AgentTemplate", &template);
    let definition = &template["agent_definition"];
    let functions = definition["custom_functions"].as_array().unwrap();
    assert_eq!(functions.iter().map(|f| f["id"].clone()).collect::<Vec<_>>(), [json!("fn-score")], "{definition}");
    assert!(!definition.to_string().contains("kb-a"), "no knowledge-base link: {definition}");
    let import = format!("/v1/agents/template_import/{}", template["id"].as_str().unwrap());

    // Another tenant: the graph names the copied function; the unrelated KB stays unrelated.
    let target = api.tenant("target");
    let (status, imported) = target.post(&import, json!({"name": "Copy"})).await;
    assert_eq!(status, StatusCode::OK, "{imported}");
    assert_schema("AIAgent", &imported);
    assert_eq!(imported["knowledge_bases"], json!([]), "{imported}");
    assert_eq!(imported["icon"], "🧪", "without an icon the import takes the template's");
    let copied = function_item(&imported);
    assert_ne!(copied, "fn-score");
    assert_eq!(custom_function(&mut app, "target", &copied).await.display_name, "Score");

    // The same tenant: the graph names a new copy, not the source's function.
    let (status, again) = source.post(&import, json!({"name": "Copy", "icon": "🎯"})).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["icon"], "🎯");
    let copied = function_item(&again);
    assert_ne!(copied, "fn-score");
    custom_function(&mut app, "source", &copied).await;
    assert_eq!(again["knowledge_bases"], json!([]), "the source's own KB is not linked either");

    // Exported with knowledge bases and imported with `with_knowledge_bases: false`: none.
    let (_, full) = source.post(&format!("/v1/agents/{agent_id}/export"), json!({"name": "Full"})).await;
    let import = format!("/v1/agents/template_import/{}", full["id"].as_str().unwrap());
    let (status, lean) = target.post(&import, json!({"name": "Lean", "with_knowledge_bases": false})).await;
    assert_eq!(status, StatusCode::OK, "{lean}");
    assert_eq!(lean["knowledge_bases"], json!([]));
    let (status, rich) = target.post(&import, json!({"name": "Rich"})).await;
    assert_eq!(status, StatusCode::OK, "{rich}");
    let linked = rich["knowledge_bases"][0]["id"].as_str().unwrap();
    assert_ne!(linked, "kb-a", "the copy, not the target's unrelated KB");
}

#[tokio::test]
async fn agents_get_unique_names_and_plain_listeners_plain_webhooks() {
    let app = spawn_app().await;
    let api = Api::new(&app).tenant("acme");
    let mut names = Vec::new();
    let mut ids = Vec::new();
    for name in ["One", "Two", "Three"] {
        let (status, agent) = api.post("/v1/agents", json!({"name": name})).await;
        assert_eq!(status, StatusCode::CREATED, "{agent}");
        let unique = agent["unique_name"].as_str().expect("a generated unique name").to_owned();
        assert!(
            unique.split('-').count() >= 2
                && unique.chars().all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()),
            "{unique}"
        );
        names.push(unique);
        ids.push(agent["id"].as_str().unwrap().to_owned());
        let webhook = agent["webhook_url"].as_str().unwrap();
        assert!(webhook.starts_with(&format!("http://{}/", app.addr)), "{webhook}");
    }
    let mut distinct = names.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), names.len(), "{names:?}");

    // A given name that another agent has is refused, on create and on update.
    let (status, body) = api.post("/v1/agents", json!({"name": "Four", "unique_name": names[0]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(locs(&body), [r#"["body","unique_name"]"#]);
    let (status, body) = api.patch(&format!("/v1/agents/{}", ids[1]), json!({"unique_name": names[0]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(locs(&body), [r#"["body","unique_name"]"#]);
    let (status, same) = api.patch(&format!("/v1/agents/{}", ids[1]), json!({"unique_name": names[1]})).await;
    assert_eq!(status, StatusCode::OK, "its own name is fine: {same}");
    let (status, free) = api.post("/v1/agents", json!({"name": "Five", "unique_name": "my-own-name"})).await;
    assert_eq!((status, &free["unique_name"]), (StatusCode::CREATED, &json!("my-own-name")));
    // Behind a TLS-terminating proxy the webhook says https.
    let (_, proxied) = api.with("x-forwarded-proto", "https").get(&format!("/v1/agents/{}", ids[0])).await;
    assert!(proxied["webhook_url"].as_str().unwrap().starts_with("https://"), "{proxied}");
}

/// The name check reads before it writes; a unique index refuses the writes that raced past
/// it together. Sixteen creates and sixteen renames at once: one of each wins, the others get
/// the field-named 422.
#[tokio::test]
async fn a_unique_name_is_unique_even_for_writes_that_race() {
    let app = spawn_app().await;
    let api = Api::new(&app).tenant("acme");
    let creates =
        (0..16).map(|i| api.post("/v1/agents", json!({"name": format!("Racer {i}"), "unique_name": "contested"})));
    let results = futures_util::future::join_all(creates).await;
    let won: Vec<&Value> = results.iter().filter(|(s, _)| *s == StatusCode::CREATED).map(|(_, b)| b).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    for (status, body) in results.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(locs(body), [r#"["body","unique_name"]"#]);
    }

    let mut ids = Vec::new();
    for i in 0..16 {
        let (status, agent) = api.post("/v1/agents", json!({"name": format!("Renamed {i}")})).await;
        assert_eq!(status, StatusCode::CREATED, "{agent}");
        ids.push(agent["id"].as_str().unwrap().to_owned());
    }
    let paths: Vec<String> = ids.iter().map(|id| format!("/v1/agents/{id}")).collect();
    let renames = paths.iter().map(|path| api.patch(path, json!({"unique_name": "renamed-once"})));
    let results = futures_util::future::join_all(renames).await;
    let won = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(won, 1, "{results:?}");
    for (status, body) in results.iter().filter(|(s, _)| *s != StatusCode::OK) {
        assert_eq!(*status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(locs(body), [r#"["body","unique_name"]"#]);
    }
    let (_, listed) = api.get("/v1/agents/full?per_page=50").await;
    let named = listed["items"].as_array().unwrap().iter().filter(|a| a["unique_name"] == "renamed-once").count();
    assert_eq!(named, 1, "{listed}");
}

#[tokio::test]
async fn enumerations_are_checked_on_create_and_update_and_declared_in_openapi() {
    let app = spawn_app().await;
    let api = Api::new(&app).tenant("acme");
    let bogus = json!({
        "name": "Bogus", "deployment_type": "lambda", "access_scope": "team", "delegation_type": "sequential",
        "delegation_memory_strategy": "all", "delegation_end_strategy": "never", "model_provider": "acme-ai",
        "output_format": "pdf", "llm_reasoning_effort": "extreme", "type": "boss", "llm_credentials_key_type": "mine",
        "source_nodes": [{"type": "fax"}],
        "graph": [{"item_id": "x", "type": "robot", "sub_type": "gizmo", "targets": []}],
        "llm_settings": [{"type": "during"}],
    });
    let (status, body) = api.post("/v1/agents", bogus.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let mut found = locs(&body);
    found.sort();
    let mut expected: Vec<String> = [
        r#"["body","access_scope"]"#,
        r#"["body","delegation_end_strategy"]"#,
        r#"["body","delegation_memory_strategy"]"#,
        r#"["body","delegation_type"]"#,
        r#"["body","deployment_type"]"#,
        r#"["body","graph",0,"sub_type"]"#,
        r#"["body","graph",0,"type"]"#,
        r#"["body","llm_credentials_key_type"]"#,
        r#"["body","llm_reasoning_effort"]"#,
        r#"["body","llm_settings",0,"type"]"#,
        r#"["body","model_provider"]"#,
        r#"["body","output_format"]"#,
        r#"["body","source_nodes",0,"type"]"#,
        r#"["body","type"]"#,
    ]
    .map(String::from)
    .into();
    expected.sort();
    assert_eq!(found, expected);
    for detail in body["detail"].as_array().unwrap() {
        assert_eq!(detail["type"], "enum", "{detail}");
    }
    let deployment = body["detail"].as_array().unwrap().iter().find(|d| d["loc"][1] == "deployment_type").unwrap();
    assert_eq!(deployment["msg"], "Input should be 'serverless' or 'container'");
    let (_, page) = api.get("/v1/agents").await;
    assert_eq!(page["total"], 0, "nothing was stored");

    let (status, agent) = api.post("/v1/agents", json!({"name": "Good", "output_format": "json"})).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let path = format!("/v1/agents/{}", agent["id"].as_str().unwrap());
    let (status, body) = api.patch(&path, json!({"llm_reasoning_effort": "max", "model_provider": "anthropic"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(locs(&body), [r#"["body","llm_reasoning_effort"]"#]);
    let (_, unchanged) = api.get(&path).await;
    assert_eq!((&unchanged["model_provider"], &unchanged["output_format"]), (&json!("openai"), &json!("json")));

    let (_, doc) = Api::new(&app).get("/openapi.json").await;
    let schemas = &doc["components"]["schemas"];
    for (schema, values) in [
        ("AIAgentDeploymentType", json!(["serverless", "container"])),
        ("LLMReasoningEffort", json!(["low", "medium", "high", "xhigh"])),
        ("AIAgentGraphItemLLMSettingsType", json!(["before", "after"])),
        ("LLMCredentialsKeyType", json!(["xpander", "custom"])),
    ] {
        assert_eq!(schemas[schema]["enum"], values, "{schema}");
    }
    let request = &schemas["AgentBuilderCreateAgentRequest"]["properties"];
    let reference = |v: &Value| v.to_string();
    for (key, schema) in [
        ("deployment_type", "AIAgentDeploymentType"),
        ("access_scope", "AIAgentAccessScope"),
        ("model_provider", "LLMModelProvider"),
        ("type", "AgentType"),
        ("output_format", "OutputFormat"),
    ] {
        assert!(
            reference(&request[key]).contains(&format!("#/components/schemas/{schema}")),
            "{key}: {}",
            request[key]
        );
        assert!(schemas[schema]["enum"].is_array(), "{schema}");
    }
    let graph_item = &schemas["AIAgentGraphItem"]["properties"];
    assert!(reference(&graph_item["type"]).contains("AIAgentGraphItemType"), "{graph_item}");
    assert!(reference(&graph_item["sub_type"]).contains("AIAgentGraphItemSubType"), "{graph_item}");
    let source_node = &schemas["AIAgentSourceNode"]["properties"];
    assert!(reference(&source_node["type"]).contains("SourceNodeType"), "{source_node}");
    assert!(reference(&schemas["AIAgent"]["properties"]["deployment_type"]).contains("AIAgentDeploymentType"));
}

#[tokio::test]
async fn validation_messages_say_what_is_wrong() {
    let app = spawn_app().await;
    let api = Api::new(&app).tenant("acme");
    for (path, body) in [
        ("/v1/agents", json!({"name": ""})),
        ("/v1/knowledge", json!({"name": ""})),
        ("/v1/agents/a/export", json!({"name": ""})),
    ] {
        let (status, body) = api.post(path, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert_eq!(locs(&body), [r#"["body","name"]"#], "{path}");
        assert_eq!(body["detail"][0]["type"], "string_too_short", "{path}: {body}");
        assert_eq!(body["detail"][0]["msg"], "String should have at least 1 character", "{path}");
    }
    let (_, body) = api.post("/v1/agents", json!({})).await;
    assert_eq!((&body["detail"][0]["type"], &body["detail"][0]["msg"]), (&json!("missing"), &json!("Field required")));

    for (query, kind, msg) in [
        ("per_page=-1", "greater_than_equal", "Input should be greater than or equal to 1"),
        ("page=0", "greater_than_equal", "Input should be greater than or equal to 1"),
        ("per_page=51", "less_than_equal", "Input should be less than or equal to 50"),
        ("per_page=x", "int_parsing", "Input should be a valid integer, unable to parse string as an integer"),
    ] {
        let (status, body) = api.get(&format!("/v1/agents?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!((&body["detail"][0]["type"], &body["detail"][0]["msg"]), (&json!(kind), &json!(msg)), "{query}");
    }
}

#[tokio::test]
async fn a_knowledge_base_in_use_is_deleted_with_the_documented_force() {
    let mut app = spawn_app().await;
    kb(&mut app, "acme", "kb-a", "Used").await;
    let api = Api::new(&app).tenant("acme");
    let (_, agent) = api.post("/v1/agents", json!({"name": "User", "knowledge_bases": [{"id": "kb-a"}]})).await;
    let (status, body) = api.call(Method::DELETE, "/v1/knowledge/kb-a", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("force"), "{body}");
    let (_, doc) = Api::new(&app).get("/openapi.json").await;
    let params = doc["paths"]["/v1/knowledge/{kb_id}"]["delete"]["parameters"].as_array().unwrap().clone();
    assert!(params.iter().any(|p| p["name"] == "force" && p["in"] == "query"), "the REST force is documented");
    let (status, body) = api.call(Method::DELETE, "/v1/knowledge/kb-a?force=maybe", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(locs(&body), [r#"["query","force"]"#]);
    let (status, _) = api.call(Method::DELETE, "/v1/knowledge/kb-a?force=true", None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (_, after) = api.get(&format!("/v1/agents/{}", agent["id"].as_str().unwrap())).await;
    assert_eq!(after["knowledge_bases"], json!([]));
}
