//! Deadlines, bounded queries, fair sharing, watches, replicas starting together and
//! concurrent writes: the service stays correct and responsive under hostile or heavy use.

use std::time::{Duration, Instant};

use agentport::proto::agent_service_client::AgentServiceClient;
use agentport::proto::job_service_client::JobServiceClient;
use agentport::proto::*;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_types::StatusExt;

use crate::crud::sample_agent;
use crate::fixtures::{export, import_request, seed_source};
use crate::helpers::{
    TestApp, TestDatabase, connect_serving, expect_error, spawn_app, spawn_app_with, violated_fields,
};

const BOMB: &str = "(a.{0,255}){4}c";

fn search(tenant: &str, q: &str) -> SearchJobsRequest {
    SearchJobsRequest { parent: format!("tenants/{tenant}"), q: q.into(), ..Default::default() }
}

async fn create_agent(app: &mut TestApp, tenant: &str, id: &str) -> Agent {
    app.agents
        .create_agent(CreateAgentRequest {
            parent: format!("tenants/{tenant}"),
            agent_id: id.into(),
            agent: Some(sample_agent()),
        })
        .await
        .unwrap()
        .into_inner()
}

/// A search whose statement would run for minutes ends at its deadline, and the only pooled
/// connection is free again at once (it would otherwise be busy until the statement ended).
#[tokio::test]
async fn a_passed_deadline_stops_the_query_and_frees_its_connection() {
    let mut app = spawn_app_with(|s| {
        s.stall_job_searches = true;
        s.database_max_connections = 1;
        s.database_acquire_timeout_ms = 3_000;
        s.call_timeout_max_ms = 300;
    })
    .await;
    let agent = create_agent(&mut app, "acme", "fast").await;
    let mut jobs = JobServiceClient::new(app.channel.clone());

    let mut request = tonic::Request::new(search("acme", ""));
    // The client would wait 5 s; the server caps the deadline at 300 ms.
    request.set_timeout(Duration::from_secs(5));
    let started = Instant::now();
    let status = jobs.search_jobs(request).await.expect_err("the stalled search cannot finish");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "answered at the deadline, took {:?}", started.elapsed());

    let started = Instant::now();
    let got = app.agents.get_agent(GetAgentRequest { name: agent.name.clone() }).await.unwrap().into_inner();
    assert_eq!(got.name, agent.name);
    assert!(
        started.elapsed() < Duration::from_millis(1_000),
        "the connection was free again, but the next call took {:?}",
        started.elapsed()
    );

    drop(app);
    // A client that gives up before the server's deadline: its call is dropped on the server,
    // whose statement is stopped (SQLite interrupt, PostgreSQL cancel) at once.
    let mut app = spawn_app_with(|s| {
        s.stall_job_searches = true;
        s.database_max_connections = 1;
        s.call_timeout_max_ms = 60_000;
    })
    .await;
    let agent = create_agent(&mut app, "acme", "fast").await;
    // Quick calls of the default deadline first: the only connection keeps the timeout they
    // need, and the short call after them must still get its own.
    for _ in 0..20 {
        app.agents.get_agent(GetAgentRequest { name: agent.name.clone() }).await.unwrap();
    }
    let mut jobs = JobServiceClient::new(app.channel.clone());
    let mut request = tonic::Request::new(search("acme", ""));
    request.set_timeout(Duration::from_millis(300));
    jobs.search_jobs(request).await.expect_err("the client gives up");
    let started = Instant::now();
    app.agents.get_agent(GetAgentRequest { name: agent.name.clone() }).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(1_500),
        "the abandoned call's connection was free again, but the next call took {:?}",
        started.elapsed()
    );

    // REST: the default deadline applies and the dialect answers 504.
    drop(app);
    let app = spawn_app_with(|s| {
        s.stall_job_searches = true;
        s.database_max_connections = 1;
        s.call_timeout_default_ms = 300;
    })
    .await;
    let response = reqwest::get(format!("http://{}/ai-service/acme/jobs", app.addr)).await.expect("the server answers");
    assert_eq!(response.status().as_u16(), 504);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["type"], "DEADLINE_EXCEEDED", "{body}");
    let response = reqwest::get(format!("http://{}/ai-service/acme/agentic/agents", app.addr)).await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "the connection is free for the next call");
}

/// Regular expressions over the complexity limit are refused naming the operand, on `q` and
/// on `filter`; a document's content cannot be filtered on at all.
#[tokio::test]
async fn regexes_over_the_limit_are_refused_naming_the_operand() {
    let mut app = spawn_app().await;
    let mut jobs = JobServiceClient::new(app.channel.clone());
    let status = expect_error(
        jobs.search_jobs(search("acme", &format!("message:~({BOMB})"))).await,
        Code::InvalidArgument,
        "INVALID_FILTER",
    );
    assert_eq!(violated_fields(&status), ["q"]);
    assert!(status.message().contains("too complex"), "{status:?}");
    assert_eq!(status.get_details_error_info().unwrap().metadata["limit"], "regex_complexity");
    let long = format!("message:~({})", "a".repeat(600));
    let status = expect_error(jobs.search_jobs(search("acme", &long)).await, Code::InvalidArgument, "INVALID_FILTER");
    assert_eq!(status.get_details_error_info().unwrap().metadata["limit"], "regex_length");
    jobs.search_jobs(search("acme", r#"message:~"(a.{0,60}){4}c""#)).await.expect("a pattern within the limit runs");

    let status = expect_error(
        app.agents
            .list_agents(ListAgentsRequest {
                parent: "tenants/acme".into(),
                filter: format!("displayName:~({BOMB})"),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "INVALID_FILTER",
    );
    assert_eq!(violated_fields(&status), ["filter"]);
    let status = expect_error(
        app.agents
            .list_documents(ListDocumentsRequest {
                parent: "tenants/acme/knowledgeBases/kb".into(),
                filter: "content:~(D.{0,9}c)".into(),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "INVALID_FILTER",
    );
    assert_eq!(status.get_details_error_info().unwrap().metadata["field"], "content");

    let response = reqwest::Client::new()
        .post(format!("http://{}/ai-service/acme/jobs/search", app.addr))
        .json(&serde_json::json!({ "q": format!("message:~({BOMB})") }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

/// A caller over its rate is told RESOURCE_EXHAUSTED with when to retry (RetryInfo in gRPC,
/// `Retry-After` in REST); other tenants are unaffected.
#[tokio::test]
async fn a_caller_over_its_rate_is_told_when_to_retry() {
    let mut app = spawn_app_with(|s| {
        s.tenant_rate = 1;
        s.tenant_burst = 3;
    })
    .await;
    let agent = create_agent(&mut app, "noisy", "a").await;
    let get = || GetAgentRequest { name: agent.name.clone() };
    let mut refused = None;
    for _ in 0..5 {
        if let Err(status) = app.agents.get_agent(get()).await {
            refused = Some(status);
            break;
        }
    }
    let status = refused.expect("the burst is used up within five calls");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let delay = status.get_details_retry_info().and_then(|r| r.retry_delay).expect("RetryInfo");
    assert!(delay > Duration::ZERO && delay <= Duration::from_secs(1), "{delay:?}");
    assert_eq!(status.get_details_error_info().unwrap().metadata["limit"], "tenant_rate");
    create_agent(&mut app, "quiet", "b").await;

    let response = reqwest::get(format!("http://{}/ai-service/noisy/agentic/agents/a", app.addr)).await.unwrap();
    assert_eq!(response.status().as_u16(), 429);
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["type"], "RESOURCE_EXHAUSTED", "{body}");
}

/// A background import that no worker runs stays in progress: something to watch.
async fn pending_job(app: &mut TestApp) -> String {
    seed_source(app, "source").await;
    let bundle = export(app, "source", &["support"]).await;
    let mut request = import_request("target", &bundle);
    request.background = true;
    app.agents.import_agents(request).await.unwrap().into_inner().job.expect("the import's job").name
}

/// A watch ends on the server when its client goes away: the caller's watch places (two)
/// are free again for new watches.
#[tokio::test]
async fn a_watch_ends_when_its_client_goes_away() {
    let mut app = spawn_app_with(|s| {
        s.job_workers = 0;
        s.watches_per_principal = 2;
        s.watch_interval_ms = 20;
    })
    .await;
    let job = pending_job(&mut app).await;
    let mut jobs = JobServiceClient::new(app.channel.clone());
    let watch = || WatchJobRequest { name: job.clone() };
    for round in 0..3 {
        let mut first = jobs.watch_job(watch()).await.unwrap().into_inner();
        let mut second = jobs.watch_job(watch()).await.unwrap().into_inner();
        assert_eq!(first.next().await.unwrap().unwrap().status(), JobStatus::InProgress);
        assert_eq!(second.next().await.unwrap().unwrap().status(), JobStatus::InProgress);
        expect_error(jobs.watch_job(watch()).await, Code::ResourceExhausted, "RESOURCE_EXHAUSTED");
        drop((first, second));
        // The server notices the reset streams and gives their places back.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match jobs.watch_job(watch()).await {
                Ok(stream) => {
                    drop(stream);
                    break;
                }
                Err(status) if status.code() == Code::ResourceExhausted && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(status) => panic!("round {round}: watches were not released: {status:?}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A watch still open when shutdown begins ends at once with UNAVAILABLE (watch again
/// elsewhere), so it does not hold the drain until the grace period runs out.
#[tokio::test]
async fn a_watch_open_at_shutdown_ends_with_unavailable_without_holding_the_drain() {
    let mut app = spawn_app_with(|s| {
        s.job_workers = 0;
        s.shutdown_grace_ms = 60_000;
    })
    .await;
    let job = pending_job(&mut app).await;
    let mut jobs = JobServiceClient::new(app.channel.clone());
    let mut watch = jobs.watch_job(WatchJobRequest { name: job }).await.unwrap().into_inner();
    assert_eq!(watch.next().await.unwrap().unwrap().status(), JobStatus::InProgress);
    // Well under the 60 s grace: only a watch holding its connection would take that long.
    tokio::time::timeout(Duration::from_secs(20), app.stop())
        .await
        .expect("the open watch did not hold the drain")
        .expect("serving ended cleanly");
    let ended = watch.next().await.expect("a last message").expect_err("an error, not a job");
    assert_eq!(ended.code(), Code::Unavailable, "{ended:?}");
}

/// Three replicas started at once on a fresh database all migrate and report SERVING.
#[tokio::test]
async fn replicas_started_together_all_come_up_serving() {
    let database = TestDatabase::create().await;
    let start = |url: String| async move {
        let app = agentport::startup::Application::build(agentport::config::Settings {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: url,
            ..Default::default()
        })
        .await
        .expect("each replica builds");
        let addr = app.local_addr();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async {
            let _ = rx.await;
        }));
        let channel = connect_serving(&format!("http://{addr}")).await;
        (channel, tx, server)
    };
    let url = database.url().to_owned();
    let (a, b, c) = tokio::join!(start(url.clone()), start(url.clone()), start(url));
    for (i, (channel, _, _)) in [&a, &b, &c].into_iter().enumerate() {
        let mut agents = AgentServiceClient::new(channel.clone());
        agents
            .create_agent(CreateAgentRequest {
                parent: "tenants/acme".into(),
                agent_id: format!("from-{i}"),
                agent: Some(sample_agent()),
            })
            .await
            .expect("every replica serves");
    }
    for (_, stop, server) in [a, b, c] {
        let _ = stop.send(());
        server.await.unwrap().unwrap();
    }
}

/// Eight parallel imports of one bundle into one tenant all succeed under their policy.
#[tokio::test]
async fn parallel_imports_of_one_bundle_all_succeed() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    for id in ["openai-token", "mcp-token"] {
        app.agents
            .create_secret(CreateSecretRequest {
                parent: "tenants/target".into(),
                secret_id: id.into(),
                secret: Some(Secret { display_name: id.into(), value: "v".into(), ..Default::default() }),
            })
            .await
            .unwrap();
    }
    let bundle = export(&mut app, "source", &["support"]).await;
    for policy in [ConflictPolicy::Skip, ConflictPolicy::Overwrite, ConflictPolicy::Rename] {
        let imports = (0..8).map(|_| {
            let mut agents = app.agents.clone();
            let mut request = import_request("target", &bundle);
            request.set_conflict_policy(policy);
            async move { agents.import_agents(request).await }
        });
        for (i, result) in futures_join_all(imports).await.into_iter().enumerate() {
            result.unwrap_or_else(|s| panic!("{policy:?} import {i} failed: {s:?}"));
        }
    }
}

/// Sixteen parallel updates without an etag all succeed (last writer wins); a stale etag is
/// still refused.
#[tokio::test]
async fn parallel_updates_without_an_etag_all_succeed() {
    let mut app = spawn_app().await;
    let agent = create_agent(&mut app, "acme", "busy").await;
    let updates = (0..16).map(|i| {
        let mut agents = app.agents.clone();
        let mut change = Agent { name: agent.name.clone(), ..Default::default() };
        change.icon = format!("icon-{i}");
        async move {
            agents
                .update_agent(UpdateAgentRequest {
                    agent: Some(change),
                    update_mask: Some(prost_types::FieldMask { paths: vec!["icon".into()] }),
                })
                .await
        }
    });
    for (i, result) in futures_join_all(updates).await.into_iter().enumerate() {
        result.unwrap_or_else(|s| panic!("update {i} failed: {s:?}"));
    }
    let now = app.agents.get_agent(GetAgentRequest { name: agent.name.clone() }).await.unwrap().into_inner();
    assert_eq!(now.revision, 17, "every update landed");
    let stale = Agent { name: agent.name.clone(), etag: agent.etag.clone(), icon: "late".into(), ..Default::default() };
    expect_error(
        app.agents
            .update_agent(UpdateAgentRequest {
                agent: Some(stale),
                update_mask: Some(prost_types::FieldMask { paths: vec!["icon".into()] }),
            })
            .await,
        Code::Aborted,
        "ETAG_MISMATCH",
    );
}

/// Runs futures concurrently on the test's runtime and returns their outputs in order.
async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await.expect("task completes"));
    }
    out
}

/// HTTP/1.1 clients that send half a request head, or nothing at all, are disconnected.
#[tokio::test]
async fn stalled_and_idle_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(|s| {
        s.header_read_timeout_ms = 300;
        s.idle_timeout_ms = 300;
    })
    .await;
    let mut partial = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    partial.write_all(b"GET /ai-service/acme/jobs HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut silent = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    for (what, stream) in [("half a head", &mut partial), ("nothing", &mut silent)] {
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf)).await;
        assert!(read.is_ok(), "a connection that sent {what} is still open after 5 s");
    }
}
