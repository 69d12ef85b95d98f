//! Offset pages (`skip`, Emporix `pageNumber`, xpander `page`) with their totals: the first, a
//! middle and the last page of a collection hold exactly the right items, in every dialect.

use agentport::proto::*;
use reqwest::StatusCode;
use serde_json::Value;
use tonic::Code;

use crate::crud::sample_agent;
use crate::helpers::{TestApp, expect_error, spawn_app, violated_fields};

const AGENTS: usize = 23;

/// `agent-000` .. `agent-022` in `acme` (every third one ACTIVE), and noise in `other`.
async fn seed(app: &mut TestApp) {
    for (tenant, count) in [("acme", AGENTS), ("other", 4)] {
        for i in 0..count {
            let mut agent = sample_agent();
            if i % 3 == 0 {
                agent.status = AgentStatus::Active as i32;
            }
            let request = CreateAgentRequest {
                parent: format!("tenants/{tenant}"),
                agent_id: format!("agent-{i:03}"),
                agent: Some(agent),
            };
            app.agents.create_agent(request).await.unwrap();
        }
    }
}

fn ids(range: impl IntoIterator<Item = usize>) -> Vec<String> {
    range.into_iter().map(|i| format!("agent-{i:03}")).collect()
}

fn last_segment(name: &str) -> String {
    name.rsplit('/').next().unwrap().to_owned()
}

async fn grpc_page(app: &mut TestApp, page_size: i32, skip: i32, filter: &str) -> (Vec<String>, i64, String) {
    let request = ListAgentsRequest {
        parent: "tenants/acme".into(),
        page_size,
        skip,
        filter: filter.into(),
        include_total: true,
        ..Default::default()
    };
    let page = app.agents.list_agents(request).await.unwrap().into_inner();
    (page.agents.iter().map(|a| last_segment(&a.name)).collect(), page.total_size, page.next_page_token)
}

#[tokio::test]
async fn grpc_offset_pages_hold_the_right_items_and_total() {
    let mut app = spawn_app().await;
    seed(&mut app).await;

    assert_eq!(grpc_page(&mut app, 5, 0, "").await.0, ids(0..5));
    let (middle, total, next) = grpc_page(&mut app, 5, 10, "").await;
    assert_eq!((middle, total), (ids(10..15), AGENTS as i64));
    assert!(!next.is_empty(), "more follow the middle page");
    let (last, total, next) = grpc_page(&mut app, 5, 20, "").await;
    assert_eq!((last, total, next), (ids(20..23), AGENTS as i64, String::new()));
    let (past, total, _) = grpc_page(&mut app, 5, 30, "").await;
    assert_eq!((past.len(), total), (0, AGENTS as i64), "past the end: no items, the same total");

    // A filter counts and skips among its matches only: ACTIVE are 0, 3, ..., 21 (8 agents).
    let (active, total, _) = grpc_page(&mut app, 3, 3, "status:active").await;
    assert_eq!((active, total), (ids([9, 12, 15]), 8));

    // Without include_total no total is counted.
    let page = app
        .agents
        .list_agents(ListAgentsRequest { parent: "tenants/acme".into(), page_size: 2, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.total_size, 0);

    // `skip` applies after the token's position.
    let request = ListAgentsRequest {
        parent: "tenants/acme".into(),
        page_size: 5,
        skip: 5,
        page_token: page.next_page_token,
        ..Default::default()
    };
    let after = app.agents.list_agents(request).await.unwrap().into_inner();
    assert_eq!(after.agents.iter().map(|a| last_segment(&a.name)).collect::<Vec<_>>(), ids(7..12));

    let status = expect_error(
        app.agents
            .list_agents(ListAgentsRequest { parent: "tenants/acme".into(), skip: -1, ..Default::default() })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["skip"]);
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (StatusCode, Option<String>, Value) {
    let mut request = reqwest::Client::new().get(format!("http://{}{path}", app.addr));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let total = response.headers().get("x-total-count").map(|v| v.to_str().unwrap().to_owned());
    (status, total, response.json().await.unwrap())
}

fn listed_ids(body: &Value) -> Vec<String> {
    body.as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn emporix_page_numbers_hold_the_right_items_and_total() {
    let mut app = spawn_app().await;
    seed(&mut app).await;
    let counted = [("x-total-count", "true")];
    let path = |query: &str| format!("/ai-service/acme/agentic/agents?{query}");

    let (status, total, first) = get(&app, &path("pageSize=5&pageNumber=1"), &counted).await;
    assert_eq!((status, total.as_deref(), listed_ids(&first)), (StatusCode::OK, Some("23"), ids(0..5)));
    let (_, total, middle) = get(&app, &path("pageSize=5&pageNumber=3"), &counted).await;
    assert_eq!((total.as_deref(), listed_ids(&middle)), (Some("23"), ids(10..15)));
    let (_, total, last) = get(&app, &path("pageSize=5&pageNumber=5"), &counted).await;
    assert_eq!((total.as_deref(), listed_ids(&last)), (Some("23"), ids(20..23)));
    let (_, total, past) = get(&app, &path("pageSize=5&pageNumber=6"), &counted).await;
    assert_eq!((total.as_deref(), listed_ids(&past)), (Some("23"), vec![]));
    let (_, total, uncounted) = get(&app, &path("pageSize=5&pageNumber=2"), &[]).await;
    assert_eq!((total, listed_ids(&uncounted)), (None, ids(5..10)), "the header only when asked for");

    // q narrows both the page and the total; no pageSize is the largest page.
    let (_, total, enabled) = get(&app, &path("q=enabled:true&pageSize=3&pageNumber=2"), &counted).await;
    assert_eq!((total.as_deref(), listed_ids(&enabled)), (Some("8"), ids([9, 12, 15])));
    let (_, total, all) = get(&app, &path(""), &counted).await;
    assert_eq!((total.as_deref(), listed_ids(&all)), (Some("23"), ids(0..23)));

    let (status, _, body) = get(&app, &path("pageSize=1001"), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.to_string().contains("pageSize"), "{body}");
    let (status, _, body) = get(&app, &path("pageSize=1000&pageNumber=2000000"), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.to_string().contains("pageNumber"), "{body}");
}

#[tokio::test]
async fn xpander_pages_hold_the_right_items_and_total() {
    let mut app = spawn_app().await;
    seed(&mut app).await;
    let tenant = [("x-agentport-tenant", "acme")];
    let page = |body: &Value| {
        let ids = body["items"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect();
        (ids, body["total"].as_u64().unwrap(), body["total_pages"].as_u64().unwrap(), body["page"].as_u64().unwrap())
    };

    let (status, _, first) = get(&app, "/v1/agents?page=1&per_page=5", &tenant).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(page(&first), (ids(0..5), 23, 5, 1));
    let (_, _, middle) = get(&app, "/v1/agents/full?page=3&per_page=5", &tenant).await;
    assert_eq!(page(&middle), (ids(10..15), 23, 5, 3));
    let (_, _, last) = get(&app, "/v1/agents?page=5&per_page=5", &tenant).await;
    assert_eq!(page(&last), (ids(20..23), 23, 5, 5));
    let (_, _, past) = get(&app, "/v1/agents?page=9&per_page=5", &tenant).await;
    assert_eq!(page(&past), (vec![], 23, 5, 9));

    // Knowledge bases and their documents page the same way.
    for i in 0..7 {
        let kb = KnowledgeBase { display_name: format!("kb {i}"), ..Default::default() };
        let request = CreateKnowledgeBaseRequest {
            parent: "tenants/acme".into(),
            knowledge_base_id: format!("kb-{i}"),
            knowledge_base: Some(kb),
        };
        app.agents.create_knowledge_base(request).await.unwrap();
    }
    for i in 0..7 {
        let document = Document { display_name: format!("doc {i}"), content: "text".into(), ..Default::default() };
        let request = CreateDocumentRequest {
            parent: "tenants/acme/knowledgeBases/kb-0".into(),
            document_id: format!("doc-{i}"),
            document: Some(document),
        };
        app.agents.create_document(request).await.unwrap();
    }
    let (_, _, kbs) = get(&app, "/v1/knowledge?page=2&per_page=3", &tenant).await;
    let kb_ids: Vec<&str> = kbs["items"].as_array().unwrap().iter().map(|k| k["id"].as_str().unwrap()).collect();
    assert_eq!(
        (kb_ids, &kbs["total"], &kbs["total_pages"]),
        (vec!["kb-3", "kb-4", "kb-5"], &Value::from(7), &Value::from(3))
    );
    let (_, _, docs) = get(&app, "/v1/knowledge/kb-0/documents?page=3&per_page=3", &tenant).await;
    assert_eq!((docs["items"].as_array().unwrap().len(), &docs["total"]), (1, &Value::from(7)), "{docs}");

    let (status, _, body) = get(&app, "/v1/agents?page=100000000&per_page=50", &tenant).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["detail"][0]["loc"], serde_json::json!(["query", "page"]));
}
