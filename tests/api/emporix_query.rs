//! Emporix `q`, `sort` and paging on the agent, tool, MCP server and token lists: one table of
//! cases, each run as a GET list and as a POST search, answered by the store (the suite runs on
//! SQLite and, with AGENTPORT_TEST_DATABASE_URL, on PostgreSQL: the same table, the same rows).

use agentport::proto::{AgentStatus, CreateAgentRequest, ListAgentsRequest, ListToolsRequest};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, reason, spawn_app, violated_fields};
use crate::rest_emporix::{Rest, agent_body, with};

const ACME: &str = "/ai-service/acme/agentic";

/// `path?q=...&sort=...`, encoded.
fn with_query(path: &str, params: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse(&format!("http://x{path}")).unwrap();
    for (key, value) in params.iter().filter(|(_, v)| !v.is_empty()) {
        url.query_pairs_mut().append_pair(key, value);
    }
    match url.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    }
}

fn ids(listed: &Value) -> String {
    let items = listed.as_array().unwrap_or_else(|| panic!("not a list: {listed}"));
    items.iter().map(|i| i["id"].as_str().unwrap()).collect::<Vec<_>>().join(" ")
}

/// Three agents over REST and one over gRPC (another type, no status), with tools, MCP
/// servers and tokens they use. Returns when `a2` was created, for a time range.
async fn seed(app: &mut TestApp, rest: &Rest) -> String {
    for (id, name) in [("k1", "OpenAI"), ("k2", "Anthropic"), ("k3", "Google")] {
        rest.put(&format!("{ACME}/tokens/{id}"), &json!({ "name": name, "value": "secret" }))
            .await
            .expect(StatusCode::CREATED);
    }
    let tools = [
        (
            "t-slack",
            json!({ "name": "Slack", "type": "slack", "enabled": true, "config": { "teamId": "T1", "botToken": "xoxb" } }),
        ),
        (
            "t-rag",
            json!({ "name": "Products RAG", "type": "rag_emporix", "config": { "prompt": "Find products", "entityType": "PRODUCT" } }),
        ),
        ("t-teams", json!({ "name": "teams", "type": "teams", "enabled": true, "config": { "teamId": "T2" } })),
    ];
    for (id, body) in tools {
        rest.put(&format!("{ACME}/tools/{id}"), &body).await.expect(StatusCode::CREATED);
    }
    let servers = [
        (
            "m1",
            json!({ "name": "Orders", "enabled": true, "transport": "streamable_http",
            "config": { "url": "http://orders.example.com/mcp", "authorizationHeaderName": "Authorization",
                "authorizationHeaderToken": { "id": "k1" } } }),
        ),
        (
            "m2",
            json!({ "name": "Prices", "type": "dynamic", "tools": [ { "name": "get-price", "prompt": "Price",
            "enabled": true, "config": { "inputSchema": "{}", "invocation": { "functionId": "fn-1", "method": "GET" } } } ] }),
        ),
        ("m3", json!({ "name": "Legacy", "transport": "sse", "config": { "url": "http://legacy.example.com/sse" } })),
    ];
    for (id, body) in servers {
        rest.put(&format!("{ACME}/mcp-servers/{id}"), &body).await.expect(StatusCode::CREATED);
    }

    let mut a1 =
        with(agent_body("Complaint handler"), "name", json!({ "en": "Complaint handler", "de": "Reklamation" }));
    a1["description"] = json!({ "en": "Handles complaints" });
    a1["enabled"] = json!(true);
    a1["tags"] = json!(["catalog", "support"]);
    a1["llmConfig"] = json!({ "model": "gpt-4.1-mini", "provider": "openai", "temperature": 0.2, "maxTokens": 1000, "token": { "id": "k1" } });
    a1["nativeTools"] = json!([{ "id": "t-slack" }]);
    a1["maxRecursionLimit"] = json!(10);
    rest.put(&format!("{ACME}/agents/a1"), &a1).await.expect(StatusCode::CREATED);

    let mut a2 = with(agent_body("Fraud"), "tags", json!([]));
    a2.as_object_mut().unwrap().remove("description");
    a2["llmConfig"] =
        json!({ "model": "claude-3-5-haiku", "provider": "anthropic", "temperature": 0.7, "token": { "id": "k2" } });
    a2["mcpServers"] = json!([{ "type": "custom", "mcpServer": { "id": "m1" } }]);
    a2["enableMemory"] = json!(true);
    a2["triggers"] = json!([{ "type": "endpoint" }, { "type": "slack" }]);
    a2["nativeTools"] = json!([{ "id": "t-rag" }]);
    rest.put(&format!("{ACME}/agents/a2"), &a2).await.expect(StatusCode::CREATED);
    let created = rest.get(&format!("{ACME}/agents/a2")).await.expect(StatusCode::OK).body;

    let mut a3 = with(agent_body("x"), "name", json!({ "de": "Nur Deutsch" }));
    a3["description"] = json!({ "de": "Beschreibung" });
    a3["tags"] = json!(["catalog"]);
    a3["llmConfig"] = json!({ "model": "gemini-2.5", "provider": "google" });
    a3["agentCollaborations"] = json!([{ "agentId": "a1", "description": "hand over" }]);
    a3["maxRecursionLimit"] = json!(30);
    a3["icon"] = json!("robot");
    rest.put(&format!("{ACME}/agents/a3"), &a3).await.expect(StatusCode::CREATED);

    // Two more versions of a1.
    for _ in 0..2 {
        rest.put(&format!("{ACME}/agents/a1"), &a1).await.expect(StatusCode::NO_CONTENT);
    }

    let mut g1 = crate::fixtures::sample_agent();
    g1.display_name = [("en".to_owned(), "gRPC made".to_owned())].into();
    g1.category = "complaint".into();
    g1.status = AgentStatus::Draft as i32;
    g1.llm.as_mut().unwrap().temperature = None;
    g1.llm.as_mut().unwrap().token_id = "k2".into();
    g1.tags = vec!["support".into()];
    app.agents
        .create_agent(CreateAgentRequest { parent: "tenants/acme".into(), agent_id: "g1".into(), agent: Some(g1) })
        .await
        .unwrap();
    // Another tenant's agent matches everything; the tenant keeps it out.
    rest.put("/ai-service/other/agentic/agents/a1", &agent_body("Complaint handler")).await.expect(StatusCode::CREATED);
    created["metadata"]["createdAt"].as_str().unwrap().to_owned()
}

/// (list, q, sort, expected ids in order).
const CASES: &[(&str, &str, &str, &str)] = &[
    ("agents", "", "", "a1 a2 a3 g1"),
    ("agents", "id:a2", "", "a2"),
    ("agents", "id:(a1,g1,nope)", "", "a1 g1"),
    ("agents", "id:>a2", "", "a3 g1"),
    ("agents", "id:~^a", "id:desc", "a3 a2 a1"),
    ("agents", "name:Reklamation", "", "a1"),
    ("agents", "name:~Complaint", "", "a1"),
    ("agents", "name:~(ur Deu)", "", "a3"),
    ("agents", "name.en:Fraud", "", "a2"),
    ("agents", "name.de:exists", "", "a1 a3"),
    ("agents", "name.en:missing", "", "a3"),
    ("agents", "name.en:null", "", "a3"),
    ("agents", "name.en:(Fraud,\"gRPC made\")", "", "a2 g1"),
    ("agents", "description:null", "", "a2"),
    ("agents", "description:exists", "", "a1 a3 g1"),
    ("agents", "description.en:~^Handles", "", "a1 g1"),
    ("agents", "type:generic", "", "a1 a2 a3"),
    ("agents", "type:complaint", "", "g1"),
    ("agents", "enabled:true", "", "a1"),
    ("agents", "enabled:false", "", "a2 a3 g1"),
    ("agents", "enabled:missing", "", ""),
    ("agents", "tags:catalog", "", "a1 a3"),
    ("agents", "tags:support", "", "a1 g1"),
    ("agents", "tags:(support,nothing)", "", "a1 g1"),
    ("agents", "tags:missing", "", "a2"),
    ("agents", "tags:~^cat", "", "a1 a3"),
    ("agents", "triggers.type:slack", "", "a2"),
    ("agents", "llmConfig.provider:openai", "", "a1"),
    ("agents", "llmConfig.provider:(google,anthropic)", "", "a2 a3 g1"),
    ("agents", "llmConfig.model:~^c", "", "a2 g1"),
    ("agents", "llmConfig.temperature:0.2", "", "a1"),
    ("agents", "llmConfig.temperature:>0.5", "", "a2"),
    ("agents", "llmConfig.temperature:(>=0.1 AND <=0.7)", "", "a1 a2"),
    ("agents", "llmConfig.temperature:null", "", "a3 g1"),
    ("agents", "llmConfig.maxTokens:>=1000", "", "a1 g1"),
    ("agents", "llmConfig.token.id:k2", "", "a2 g1"),
    ("agents", "llmConfig.token.id:missing", "", "a3"),
    ("agents", "mcpServers.mcpServer.id:m1", "", "a2"),
    ("agents", "mcpServers.type:predefined", "", "a1 a3 g1"),
    ("agents", "mcpServers.domain:product", "", "a1 a3 g1"),
    ("agents", "nativeTools.id:t-rag", "", "a2"),
    ("agents", "nativeTools.id:exists", "", "a1 a2"),
    ("agents", "agentCollaborations.agentId:a1", "", "a3"),
    ("agents", "maxRecursionLimit:<25", "", "a1 g1"),
    ("agents", "maxRecursionLimit:missing", "", "a2"),
    ("agents", "enableMemory:true", "", "a2 g1"),
    ("agents", "icon:robot", "", "a3 g1"),
    ("agents", "metadata.version:3", "", "a1"),
    ("agents", "metadata.version:(>=1 AND <3)", "", "a2 a3 g1"),
    ("agents", r#"metadata.createdAt:>"2001-01-01T00:00:00Z""#, "", "a1 a2 a3 g1"),
    ("agents", r#"metadata.createdAt:<"2001-01-01T00:00:00Z""#, "", ""),
    ("agents", "tags:catalog enabled:false", "", "a3"),
    ("agents", "", "name.en", "a3 a1 a2 g1"),
    ("agents", "", "name.en:desc", "g1 a2 a1 a3"),
    ("agents", "", "llmConfig.temperature:desc,id", "a2 a1 a3 g1"),
    ("agents", "", "enabled,id:desc", "g1 a3 a2 a1"),
    ("agents", "", "maxRecursionLimit", "a2 a1 g1 a3"),
    ("agents", "", "metadata.version:DESC,name.en", "a1 a3 a2 g1"),
    ("agents", "", "type,llmConfig.provider:asc", "g1 a2 a3 a1"),
    ("agents", "", "metadata.createdAt:desc", "g1 a3 a2 a1"),
    ("tools", "", "", "t-rag t-slack t-teams"),
    ("tools", "type:slack", "", "t-slack"),
    ("tools", "enabled:false", "", "t-rag"),
    ("tools", "config.teamId:(T1,T2)", "", "t-slack t-teams"),
    ("tools", "config.teamId:missing", "", "t-rag"),
    ("tools", "config.entityType:PRODUCT", "", "t-rag"),
    ("tools", "config.prompt:~products", "", "t-rag"),
    ("tools", "name:~^[A-Z]", "", "t-rag t-slack"),
    ("tools", "", "name", "t-rag t-slack t-teams"),
    ("tools", "", "type:desc", "t-teams t-slack t-rag"),
    ("mcp-servers", "type:custom", "", "m1 m3"),
    ("mcp-servers", "type:dynamic", "", "m2"),
    ("mcp-servers", "transport:missing", "", "m2"),
    ("mcp-servers", "config.url:~^http://orders", "", "m1"),
    ("mcp-servers", "config.authorizationHeaderToken.id:k1", "", "m1"),
    ("mcp-servers", "tools.name:get-price", "", "m2"),
    ("mcp-servers", "enabled:true", "", "m1"),
    ("mcp-servers", "", "transport,id:desc", "m2 m3 m1"),
    ("tokens", "name:~^(Open|Goo)", "", "k1 k3"),
    ("tokens", "id:(k2,k3)", "id:desc", "k3 k2"),
    ("tokens", "", "name", "k2 k3 k1"),
];

#[tokio::test]
async fn q_and_sort_select_and_order_what_the_store_holds() {
    let mut app = spawn_app().await;
    let rest = Rest::new(&app);
    let a2_created = seed(&mut app, &rest).await;
    let mut failures = Vec::new();
    let mut cases: Vec<(String, String, String, String)> =
        CASES.iter().map(|(l, q, s, e)| (l.to_string(), q.to_string(), s.to_string(), e.to_string())).collect();
    cases.push(("agents".into(), format!(r#"metadata.createdAt:>="{a2_created}""#), String::new(), "a2 a3 g1".into()));
    for (list, q, sort, expected) in &cases {
        let listed = rest.get(&with_query(&format!("{ACME}/{list}"), &[("q", q), ("sort", sort)])).await;
        let searched =
            rest.post(&with_query(&format!("{ACME}/{list}/search"), &[("sort", sort)]), &json!({ "q": q })).await;
        for (how, response) in [("GET", listed), ("search", searched)] {
            if response.status != StatusCode::OK {
                failures.push(format!("{how} {list} q={q:?} sort={sort:?}: {} {}", response.status, response.text));
            } else if ids(&response.body) != *expected {
                failures.push(format!(
                    "{how} {list} q={q:?} sort={sort:?}: got [{}], want [{expected}]",
                    ids(&response.body)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} cases:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[tokio::test]
async fn pages_of_a_sorted_query_are_cut_by_the_store_and_counted_once() {
    let mut app = spawn_app().await;
    let rest = Rest::new(&app);
    seed(&mut app, &rest).await;
    let mut seen = Vec::new();
    for page in 1..=3 {
        let path = with_query(
            &format!("{ACME}/agents"),
            &[("q", "tags:exists"), ("sort", "name.en:desc"), ("pageSize", "1"), ("pageNumber", &page.to_string())],
        );
        let response = rest.send(reqwest::Method::GET, &path, &[("X-Total-Count", "true")], None).await;
        let response = response.expect(StatusCode::OK);
        assert_eq!(response.header("x-total-count"), Some("3"), "page {page}");
        seen.push(ids(&response.body));
    }
    assert_eq!(seen, ["g1", "a1", "a3"]);

    // gRPC: a sorted list pages by position, each token good for the same query only.
    let request = |token: String| ListAgentsRequest {
        parent: "tenants/acme".into(),
        page_size: 2,
        page_token: token,
        q: "tags:exists".into(),
        sort: "name.en".into(),
        include_total: true,
        ..Default::default()
    };
    let first = app.agents.list_agents(request(String::new())).await.unwrap().into_inner();
    let names: Vec<_> = first.agents.iter().map(|a| a.name.as_str()).collect();
    assert_eq!((names, first.total_size), (vec!["tenants/acme/agents/a3", "tenants/acme/agents/a1"], 3));
    let second = app.agents.list_agents(request(first.next_page_token.clone())).await.unwrap().into_inner();
    assert_eq!(second.agents.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["tenants/acme/agents/g1"]);
    assert!(second.next_page_token.is_empty());
    let mut other = request(first.next_page_token);
    other.sort = "name.en:desc".into();
    let refused = app.agents.list_agents(other).await.unwrap_err();
    assert_eq!(reason(&refused), "INVALID_PAGE_TOKEN");
}

#[tokio::test]
async fn bad_queries_name_q_or_sort_and_the_position() {
    let app = spawn_app().await;
    let rest = Rest::new(&app);
    let cases = [
        ("agents", "nope:x", "", "q", 0),
        ("agents", "name.en:x tags:(a,", "", "q", 15),
        ("agents", "llmConfig.temperature:warm", "", "q", 22),
        ("agents", "enabled:maybe", "", "q", 8),
        ("agents", "name.:x", "", "q", 0),
        ("tools", "enabled:>true", "", "q", 8),
        ("tokens", "value:secret", "", "q", 0),
        ("agents", "", "tags", "sort", 0),
        ("agents", "", "id,name", "sort", 3),
        ("tools", "", "nope:desc", "sort", 0),
    ];
    for (list, q, sort, field, position) in cases {
        let path = with_query(&format!("{ACME}/{list}"), &[("q", q), ("sort", sort)]);
        let refused = rest.get(&path).await.error(StatusCode::BAD_REQUEST, "INVALID_FILTER");
        let detail = &refused["details"][0];
        assert_eq!(detail["field"], field, "{list} q={q} sort={sort}: {refused}");
        let message = detail["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("at position {position}:")), "{list} q={q} sort={sort}: {message}");
    }
    // gRPC names the same fields.
    let request = ListToolsRequest { parent: "tenants/acme".into(), q: "type:(slack".into(), ..Default::default() };
    let refused = app.agents.clone().list_tools(request).await.unwrap_err();
    assert_eq!((reason(&refused), violated_fields(&refused)), ("INVALID_FILTER".to_owned(), vec!["q".to_owned()]));
}
