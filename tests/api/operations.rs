//! The operations listener: Prometheus metrics that move with the calls, liveness, and
//! readiness that follows the database.

use std::net::SocketAddr;
use std::time::Duration;

use agentport::observability::metrics as names;
use agentport::proto::*;
use prometheus_parse::{Scrape, Value};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;

use crate::crud::sample_agent;
use crate::engine::queue_import;
use crate::fixtures::wait_finished;
use crate::helpers::{TestDatabase, spawn_app_with};

pub(crate) fn with_metrics(s: &mut agentport::config::Settings) {
    s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
}

pub(crate) async fn scrape(addr: SocketAddr) -> Scrape {
    let response = reqwest::get(format!("http://{addr}/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let text = response.text().await.unwrap();
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("valid Prometheus text")
}

/// The value of the sample `name` whose labels include `labels` (0 when absent); for a
/// histogram, its count of observations.
pub(crate) fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(buckets) => buckets.iter().map(|b| b.count).fold(0.0, f64::max),
            Value::Summary(_) => panic!("{name} is a summary; histograms are configured"),
        })
        .sum()
}

#[tokio::test]
async fn metrics_move_with_grpc_and_rest_calls() {
    let mut app = spawn_app_with(|s| {
        with_metrics(s);
        s.job_workers = 0;
    })
    .await;
    let ops = app.metrics_addr.expect("the operations listener is configured");
    let before = scrape(ops).await;

    let create = "agentport.v1.AgentService/CreateAgent";
    let get = "agentport.v1.AgentService/GetAgent";
    for id in ["one", "two"] {
        let agent = Some(sample_agent());
        let request = CreateAgentRequest { parent: "tenants/acme".into(), agent_id: id.into(), agent };
        app.agents.create_agent(request).await.unwrap();
    }
    let missing = app.agents.get_agent(GetAgentRequest { name: "tenants/acme/agents/nope".into() }).await;
    assert_eq!(missing.unwrap_err().code(), tonic::Code::NotFound);
    let rest = reqwest::get(format!("http://{}/ai-service/acme/jobs", app.addr)).await.unwrap();
    assert_eq!(rest.status(), 200);
    // Queued and never claimed: no workers here.
    queue_import(&mut app, "support").await;

    let after = scrape(ops).await;
    let delta = |name: &str, labels: &[(&str, &str)]| value(&after, name, labels) - value(&before, name, labels);
    let grpc = ("transport", "grpc");
    assert!(delta(names::REQUESTS, &[grpc, ("method", create), ("code", "Ok")]) >= 2.0);
    assert!(delta(names::REQUESTS, &[grpc, ("method", get), ("code", "NotFound")]) >= 1.0);
    let route = ("method", "GET /ai-service/:tenant/jobs");
    assert!(delta(names::REQUESTS, &[("transport", "rest"), route, ("code", "200")]) >= 1.0);
    assert!(delta(names::REQUEST_DURATION, &[grpc, ("method", create)]) >= 2.0, "latency observed per call");
    assert!(after.samples.iter().any(|s| s.metric == names::REQUESTS_IN_FLIGHT), "in-flight gauge exported");
    assert!(delta(names::TRANSFER_BYTES, &[("direction", "export")]) > 0.0);
    assert!(delta(names::TRANSFER_ENTITIES, &[("direction", "export"), ("kind", "agent")]) >= 1.0);
    assert!(delta(names::DB_QUERY_DURATION, &[("operation", "insert"), ("outcome", "ok")]) >= 2.0);

    // Gauges read from this server's database at the scrape. The `metrics` recorder is one per
    // process, and the other tests' servers in this process set the same gauges from their
    // own databases when they are scraped: scrape again until one scrape shows this server's.
    let queued = [("type", "import"), ("status", "queued")];
    let mut after = after;
    for _ in 0..50 {
        if value(&after, names::JOB_QUEUE_DEPTH, &queued) == 1.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        after = scrape(ops).await;
    }
    assert_eq!(value(&after, names::JOB_QUEUE_DEPTH, &queued), 1.0);
    assert!(value(&after, names::JOB_QUEUE_OLDEST_AGE, &queued) >= 0.0);
    assert_eq!(value(&after, names::JOB_QUEUE_DEPTH, &[("type", "import"), ("status", "running")]), 0.0);
    assert!(value(&after, names::DB_POOL_MAX_CONNECTIONS, &[]) >= 1.0);
    // The export behind the queued import keeps its bundle in the blob store, and the queued
    // import its request.
    assert!(value(&after, names::BLOB_STORE_BLOBS, &[]) >= 1.0);
    assert!(value(&after, names::BLOB_STORE_BYTES, &[]) > 0.0);
    assert!(after.samples.iter().any(|s| s.metric == names::DB_POOL_CONNECTIONS));
    assert!(after.docs.contains_key(names::REQUESTS), "every metric is described");
}

#[tokio::test]
async fn metrics_count_worker_claims_and_background_imports() {
    let mut app = spawn_app_with(|s| {
        with_metrics(s);
        s.job_poll_interval_ms = 50;
    })
    .await;
    let ops = app.metrics_addr.unwrap();
    let before = scrape(ops).await;
    let job = queue_import(&mut app, "support").await;
    let mut jobs = agentport::proto::job_service_client::JobServiceClient::new(app.channel.clone());
    assert_eq!(wait_finished(&mut jobs, &job.name).await.status(), JobStatus::Success);

    // The job reads SUCCESS once its transaction commits; the worker records its run just
    // after. Scrape until it has (or give up and let the assertions say what is missing).
    let run = [("type", "import"), ("outcome", "success")];
    let mut after = scrape(ops).await;
    for _ in 0..50 {
        if value(&after, names::JOB_RUN_DURATION, &run) > value(&before, names::JOB_RUN_DURATION, &run) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        after = scrape(ops).await;
    }
    let delta = |name: &str, labels: &[(&str, &str)]| value(&after, name, labels) - value(&before, name, labels);
    assert!(delta(names::JOB_CLAIMS, &[("type", "import")]) >= 1.0);
    assert!(delta(names::JOB_RUN_DURATION, &[("type", "import"), ("outcome", "success")]) >= 1.0);
    assert!(delta(names::TRANSFER_BYTES, &[("direction", "import")]) > 0.0);
    assert!(delta(names::TRANSFER_ENTITIES, &[("direction", "import"), ("kind", "agent")]) >= 1.0);
}

#[tokio::test]
async fn rate_limit_refusals_have_a_counter() {
    let app = spawn_app_with(with_metrics).await;
    let before = value(&scrape(app.metrics_addr.unwrap()).await, names::RATE_LIMITED, &[("limit", "rate")]);
    agentport::observability::metrics::rate_limited("rate");
    let after = value(&scrape(app.metrics_addr.unwrap()).await, names::RATE_LIMITED, &[("limit", "rate")]);
    assert!(after - before >= 1.0);
}

async fn get_status(addr: SocketAddr, path: &str) -> u16 {
    reqwest::get(format!("http://{addr}{path}")).await.unwrap().status().as_u16()
}

/// Polls `path` until it answers `status` (or gives up after 5 s).
async fn wait_for(addr: SocketAddr, path: &str, status: u16) -> u16 {
    let mut last = 0;
    for _ in 0..100 {
        last = get_status(addr, path).await;
        if last == status {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    last
}

#[tokio::test]
async fn readyz_flips_while_the_database_is_unreachable_and_healthz_stays_up() {
    let mut app = spawn_app_with(with_metrics).await;
    let ops = app.metrics_addr.unwrap();
    assert_eq!(get_status(ops, "/healthz").await, 200);
    assert_eq!(get_status(ops, "/readyz").await, 200);

    use sea_orm::{ConnectionTrait, Database};
    // PostgreSQL: refuse connections and end the open ones. SQLite: an open file cannot be
    // taken away, so take away what readiness needs of it, the applied migrations.
    let (admin, break_it, repair) = match &app.database {
        TestDatabase::Postgres { admin_url, name, .. } => (
            Database::connect(admin_url.as_str()).await.unwrap(),
            vec![
                format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
                format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
            ],
            vec![format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")],
        ),
        TestDatabase::Sqlite { url, .. } => (
            Database::connect(url.as_str()).await.unwrap(),
            vec!["ALTER TABLE seaql_migrations RENAME TO seaql_migrations_away".to_owned()],
            vec!["ALTER TABLE seaql_migrations_away RENAME TO seaql_migrations".to_owned()],
        ),
    };
    for sql in &break_it {
        admin.execute_unprepared(sql).await.unwrap();
    }
    assert_eq!(wait_for(ops, "/readyz", 503).await, 503, "not ready while the database is unreachable");
    assert_eq!(get_status(ops, "/healthz").await, 200, "still alive");
    let body = reqwest::get(format!("http://{ops}/readyz")).await.unwrap().text().await.unwrap();
    assert!(body.starts_with("not ready: "), "{body}");
    let mut health = ServingStatus::Serving as i32;
    for _ in 0..100 {
        health = app.health.check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner().status;
        if health == ServingStatus::NotServing as i32 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(health, ServingStatus::NotServing as i32, "gRPC health agrees");

    for sql in &repair {
        admin.execute_unprepared(sql).await.unwrap();
    }
    assert_eq!(wait_for(ops, "/readyz", 200).await, 200, "ready again once the database answers");
    let _ = admin.close().await;
}

#[tokio::test]
async fn every_service_reports_its_health() {
    let mut app = spawn_app_with(|_| {}).await;
    for service in [
        "",
        "agentport.v1.AgentService",
        "agentport.v1.JobService",
        "agentport.v1.TemplateService",
        "agentport.v1.ApiKeyService",
    ] {
        let status =
            app.health.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner().status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }
}

#[tokio::test]
async fn no_operations_listener_unless_configured() {
    let app = spawn_app_with(|_| {}).await;
    assert!(app.metrics_addr.is_none());
    let leaked = reqwest::get(format!("http://{}/metrics", app.addr)).await.unwrap().text().await.unwrap();
    assert!(!leaked.contains(names::REQUESTS), "metrics never leak onto the API listener");
}
