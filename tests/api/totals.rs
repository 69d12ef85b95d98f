//! Exact totals come from counters the writing transactions keep: after creates (one at a time
//! and many at once), deletes, imports (new and overwriting), forced deletes and a deleted
//! knowledge base with its documents, every total equals the items a full walk of the pages
//! finds, in gRPC, Emporix `X-Total-Count` and the xpander envelope; job totals likewise.

use agentport::proto::job_service_client::JobServiceClient;
use agentport::proto::*;
use tonic::transport::Channel;

use crate::fixtures::{create_agent, export, import_request, sample_agent, seed_source};
use crate::helpers::{TestApp, spawn_app};

/// `(total_size with include_total, items found by walking every page)` of a tenant's agents.
async fn agent_totals(app: &mut TestApp, tenant: &str) -> (i64, usize) {
    let parent = format!("tenants/{tenant}");
    let (mut walked, mut token, mut total) = (0, String::new(), -1);
    loop {
        let request = ListAgentsRequest {
            parent: parent.clone(),
            page_size: 7,
            page_token: token,
            include_total: true,
            ..Default::default()
        };
        let page = app.agents.list_agents(request).await.unwrap().into_inner();
        assert!(total == -1 || total == page.total_size, "every page says the same total");
        total = page.total_size;
        walked += page.agents.len();
        token = page.next_page_token;
        if token.is_empty() {
            return (total, walked);
        }
    }
}

/// Asserts the gRPC, Emporix and xpander totals of a tenant's agents all equal `expected`.
async fn assert_agent_total(app: &mut TestApp, tenant: &str, expected: usize, after: &str) {
    assert_eq!(agent_totals(app, tenant).await, (expected as i64, expected), "gRPC total after {after}");
    let http = reqwest::Client::new();
    let emporix = http
        .get(format!("http://{}/ai-service/{tenant}/agentic/agents?pageSize=2&pageNumber=1", app.addr))
        .header("x-total-count", "true")
        .send()
        .await
        .unwrap();
    let header = emporix.headers()["x-total-count"].to_str().unwrap().to_owned();
    assert_eq!(header, expected.to_string(), "X-Total-Count after {after}");
    let xpander: serde_json::Value = http
        .get(format!("http://{}/v1/agents?page=1&per_page=2", app.addr))
        .header("x-agentport-tenant", tenant)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(xpander["total"], expected, "xpander total after {after}: {xpander}");
}

async fn delete_agent(app: &TestApp, tenant: &str, id: &str, force: bool) {
    let mut agents = app.agents.clone();
    let request = DeleteAgentRequest { name: format!("tenants/{tenant}/agents/{id}"), etag: String::new(), force };
    agents.delete_agent(request).await.unwrap();
}

#[tokio::test]
async fn totals_follow_creates_deletes_and_concurrent_writers() {
    let mut app = spawn_app().await;
    assert_agent_total(&mut app, "acme", 0, "nothing").await;
    for i in 0..5 {
        create_agent(&app, "acme", &format!("a-{i:02}"), sample_agent()).await;
    }
    assert_agent_total(&mut app, "acme", 5, "5 creates").await;

    // 24 writers at once: 20 creates and 4 deletes of the first ones.
    let mut writers = tokio::task::JoinSet::new();
    for i in 5..25 {
        let app_agents = app.agents.clone();
        writers.spawn(async move {
            let mut agents = app_agents;
            let request = CreateAgentRequest {
                parent: "tenants/acme".into(),
                agent_id: format!("a-{i:02}"),
                agent: Some(sample_agent()),
            };
            agents.create_agent(request).await.unwrap();
        });
    }
    for i in 0..4 {
        let mut agents = app.agents.clone();
        writers.spawn(async move {
            let name = format!("tenants/acme/agents/a-{i:02}");
            agents.delete_agent(DeleteAgentRequest { name, etag: String::new(), force: false }).await.unwrap();
        });
    }
    writers.join_all().await;
    assert_agent_total(&mut app, "acme", 21, "20 concurrent creates and 4 deletes").await;

    // A create refused (the id is taken) and a delete of nothing leave the total alone.
    let mut agents = app.agents.clone();
    let taken =
        CreateAgentRequest { parent: "tenants/acme".into(), agent_id: "a-10".into(), agent: Some(sample_agent()) };
    assert!(agents.create_agent(taken).await.is_err());
    let missing = DeleteAgentRequest { name: "tenants/acme/agents/gone".into(), etag: String::new(), force: false };
    assert!(agents.delete_agent(missing).await.is_err());
    assert_agent_total(&mut app, "acme", 21, "a refused create and delete").await;
    assert_agent_total(&mut app, "other", 0, "writes elsewhere").await;
}

#[tokio::test]
async fn totals_follow_imports_forced_deletes_and_deleted_parents() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let bundle = export(&mut app, "source", &["support"]).await;
    app.agents.import_agents(import_request("acme", &bundle)).await.unwrap();
    assert_agent_total(&mut app, "acme", 4, "an import of 4 agents").await;
    // Overwriting the same 4 rewrites rows without adding any; renaming adds 4 more.
    let overwrite =
        ImportAgentsRequest { conflict_policy: ConflictPolicy::Overwrite as i32, ..import_request("acme", &bundle) };
    app.agents.import_agents(overwrite).await.unwrap();
    assert_agent_total(&mut app, "acme", 4, "an overwriting import").await;
    let rename =
        ImportAgentsRequest { conflict_policy: ConflictPolicy::Rename as i32, ..import_request("acme", &bundle) };
    app.agents.import_agents(rename).await.unwrap();
    assert_agent_total(&mut app, "acme", 8, "a renaming import").await;
    let tools = |app: &mut TestApp| {
        let mut agents = app.agents.clone();
        async move {
            let request = ListToolsRequest { parent: "tenants/acme".into(), include_total: true, ..Default::default() };
            let page = agents.list_tools(request).await.unwrap().into_inner();
            (page.total_size, page.tools.len() as i64)
        }
    };
    let (total, listed) = tools(&mut app).await;
    assert_eq!(total, listed);

    // A forced delete of an agent others use, then of a used tool: the tool's users stay.
    for id in ["billing", "refunds"] {
        delete_agent(&app, "acme", id, true).await;
    }
    assert_agent_total(&mut app, "acme", 6, "forced deletes").await;
    let tool = DeleteToolRequest { name: "tenants/acme/tools/rag-products".into(), etag: String::new(), force: true };
    app.agents.delete_tool(tool).await.unwrap();
    assert_eq!(tools(&mut app).await, (listed - 1, listed - 1), "tools after a forced delete");

    // A knowledge base deleted with its documents takes their count along: recreated, it is empty.
    let kb = "tenants/acme/knowledgeBases/product-docs";
    let documents = |app: &mut TestApp| {
        let mut agents = app.agents.clone();
        async move {
            let request = ListDocumentsRequest { parent: kb.into(), include_total: true, ..Default::default() };
            let page = agents.list_documents(request).await.unwrap().into_inner();
            let base = agents.get_knowledge_base(GetKnowledgeBaseRequest { name: kb.into() }).await.unwrap();
            (page.total_size, page.documents.len() as i64, base.into_inner().total_documents)
        }
    };
    assert_eq!(documents(&mut app).await, (2, 2, 2));
    let delete = DeleteKnowledgeBaseRequest { name: kb.into(), etag: String::new(), force: true };
    app.agents.delete_knowledge_base(delete).await.unwrap();
    let base = KnowledgeBase { display_name: "again".into(), ..Default::default() };
    let create = CreateKnowledgeBaseRequest {
        parent: "tenants/acme".into(),
        knowledge_base_id: "product-docs".into(),
        knowledge_base: Some(base),
    };
    app.agents.create_knowledge_base(create).await.unwrap();
    assert_eq!(documents(&mut app).await, (0, 0, 0), "a recreated knowledge base counts no documents");
}

/// `(total with include_total, jobs found by walking every page)` of a search.
async fn job_totals(jobs: &mut JobServiceClient<Channel>, q: &str) -> (i64, usize) {
    let (mut walked, mut total) = (0, -1);
    for page_number in 1.. {
        let request = SearchJobsRequest {
            parent: "tenants/acme".into(),
            q: q.into(),
            page_size: 3,
            page_number,
            include_total: true,
            ..Default::default()
        };
        let page = jobs.search_jobs(request).await.unwrap().into_inner();
        assert!(total == -1 || total == page.total_size, "every page says the same total");
        total = page.total_size;
        if page.jobs.is_empty() {
            break;
        }
        walked += page.jobs.len();
    }
    (total, walked)
}

#[tokio::test]
async fn job_totals_follow_records_status_changes_and_deletes() {
    let mut app = spawn_app().await;
    let mut jobs = JobServiceClient::new(app.channel.clone());
    seed_source(&mut app, "source").await;
    let bundle = export(&mut app, "source", &["support"]).await;
    for _ in 0..3 {
        app.agents.import_agents(import_request("acme", &bundle)).await.unwrap();
    }
    let chat = |id: &str, status: JobStatus| RecordJobRequest {
        parent: "tenants/acme".into(),
        job_id: id.into(),
        job: Some(Job {
            r#type: JobType::AgentChat as i32,
            status: status as i32,
            agent_id: "support".into(),
            ..Default::default()
        }),
    };
    for (i, status) in
        [JobStatus::InProgress, JobStatus::Success, JobStatus::Failure, JobStatus::InProgress].into_iter().enumerate()
    {
        jobs.record_job(chat(&format!("chat-{i}"), status)).await.unwrap();
    }
    let queries = [
        ("", 7),
        ("type:IMPORT", 3),
        ("type:IMPORT status:success", 3),
        ("type:AGENT_CHAT", 4),
        ("type:AGENT_CHAT status:in_progress", 2),
        ("status:(success,failure)", 5),
        ("type:AGENT_CHAT type:IMPORT", 0),
        // Not answered by the counters: counted over the rows, and the same.
        ("type:AGENT_CHAT agentId:support", 4),
    ];
    for (q, expected) in queries {
        assert_eq!(job_totals(&mut jobs, q).await, (expected, expected as usize), "q={q}");
    }

    // A status change moves the job between counters; a deleted job leaves them.
    jobs.record_job(chat("chat-0", JobStatus::Success)).await.unwrap();
    assert_eq!(job_totals(&mut jobs, "type:AGENT_CHAT status:in_progress").await, (1, 1));
    assert_eq!(job_totals(&mut jobs, "type:AGENT_CHAT status:success").await, (2, 2));
    jobs.delete_job(DeleteJobRequest { name: "tenants/acme/jobs/chat-2".into(), revision: 0 }).await.unwrap();
    assert_eq!(job_totals(&mut jobs, "status:(success,failure)").await, (5, 5));
    assert_eq!(job_totals(&mut jobs, "").await, (6, 6));
}
