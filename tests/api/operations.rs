//! The operations listener: Prometheus metrics that move with the calls, liveness, and
//! readiness that follows the database.

use std::net::SocketAddr;
use std::time::Duration;

use agentport::observability::metrics as names;
use agentport::proto::*;
use metrics::LocalRecorderGuard;
use metrics_exporter_prometheus::PrometheusRecorder;
use prometheus_parse::{Scrape, Value};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;

use crate::crud::sample_agent;
use crate::engine::queue_import;
use crate::fixtures::{decoded, export, import_request, seed_source, wait_finished};
use crate::helpers::{TestApp, TestDatabase, spawn_app_with};

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
    assert!(value(&after, names::JOB_QUEUE_OLDEST_AGE, &queued) > 0.0, "the queued import has waited");
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

/// Everything the servers of one test record, and nothing else: `#[tokio::test]` runs the test,
/// its servers and their workers on one thread, so a thread-local recorder sees exactly their
/// metrics, where the process-wide one behind `/metrics` sums every test's servers. For checks
/// of exact values; `/metrics` itself is checked above.
pub(crate) struct OwnMetrics(PrometheusRecorder);

impl OwnMetrics {
    pub(crate) fn new() -> Self {
        Self(names::recorder())
    }

    /// Records this thread's metrics here until the guard is dropped.
    pub(crate) fn record(&self) -> LocalRecorderGuard<'_> {
        metrics::set_default_local_recorder(&self.0)
    }

    pub(crate) fn scrape(&self) -> Scrape {
        let text = self.0.handle().render();
        Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("valid Prometheus text")
    }

    pub(crate) fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        value(&self.scrape(), name, labels)
    }

    /// Waits (up to 5 s) until `name` with `labels` reads `expected`; returns the last value.
    pub(crate) async fn wait_for(&self, name: &str, labels: &[(&str, &str)], expected: f64) -> f64 {
        let mut last = self.value(name, labels);
        for _ in 0..100 {
            if last == expected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            last = self.value(name, labels);
        }
        last
    }
}

/// Refusals by a rate limit are counted by the limit's name, once each, over gRPC and REST,
/// and the calls are counted with the code the caller got.
#[tokio::test]
async fn rate_limit_refusals_are_counted_by_limit() {
    let own = OwnMetrics::new();
    let _recording = own.record();
    let mut app = spawn_app_with(|s| {
        s.tenant_rate = 1;
        s.tenant_burst = 3;
    })
    .await;
    let request =
        CreateAgentRequest { parent: "tenants/noisy".into(), agent_id: "a".into(), agent: Some(sample_agent()) };
    app.agents.create_agent(request).await.unwrap();
    let get = || GetAgentRequest { name: "tenants/noisy/agents/a".into() };
    let mut grpc_refusals = 0;
    for _ in 0..5 {
        if let Err(status) = app.agents.get_agent(get()).await {
            assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
            grpc_refusals += 1;
        }
    }
    let mut rest_refusals = 0;
    for _ in 0..3 {
        let response = reqwest::get(format!("http://{}/ai-service/noisy/agentic/agents/a", app.addr)).await.unwrap();
        if response.status() == 429 {
            rest_refusals += 1;
        }
    }
    assert!(grpc_refusals >= 1 && rest_refusals >= 1, "refused {grpc_refusals} gRPC and {rest_refusals} REST calls");

    let refused = f64::from(grpc_refusals + rest_refusals);
    assert_eq!(own.value(names::RATE_LIMITED, &[("limit", "tenant_rate")]), refused);
    assert_eq!(own.value(names::RATE_LIMITED, &[]), refused, "no other limit refused anything");
    let get_agent = ("method", "agentport.v1.AgentService/GetAgent");
    let grpc = [("transport", "grpc"), get_agent, ("code", "ResourceExhausted")];
    assert_eq!(own.value(names::REQUESTS, &grpc), f64::from(grpc_refusals));
    assert_eq!(
        own.value(names::REQUESTS, &[("transport", "grpc"), get_agent, ("code", "Ok")]),
        f64::from(5 - grpc_refusals)
    );
    let rest = [("transport", "rest"), ("code", "429")];
    assert_eq!(own.wait_for(names::REQUESTS, &rest, f64::from(rest_refusals)).await, f64::from(rest_refusals));
}

/// A call is in flight from its arrival until its response ends: a watch stream counts while it
/// is open and stops counting once its client goes away (then it is counted as cancelled).
#[tokio::test]
async fn in_flight_counts_a_call_until_its_response_ends() {
    let own = OwnMetrics::new();
    let _recording = own.record();
    let mut app = spawn_app_with(|s| s.job_workers = 0).await;
    let job = queue_import(&mut app, "support").await;
    let grpc = [("transport", "grpc")];
    assert_eq!(own.value(names::REQUESTS_IN_FLIGHT, &grpc), 0.0, "every call so far has ended");

    let mut jobs = agentport::proto::job_service_client::JobServiceClient::new(app.channel.clone());
    let mut watch = jobs.watch_job(WatchJobRequest { name: job.name.clone() }).await.unwrap().into_inner();
    let first = watch.message().await.unwrap().expect("the watch sends the job's state");
    assert_eq!(first.status(), JobStatus::InProgress);
    assert_eq!(own.value(names::REQUESTS_IN_FLIGHT, &grpc), 1.0, "the open watch");
    let watches = [("method", "agentport.v1.JobService/WatchJob")];
    assert_eq!(own.value(names::REQUESTS, &watches), 0.0, "not answered yet");
    let get = jobs.get_job(GetJobRequest { name: job.name.clone(), fields: String::new() }).await.unwrap();
    assert_eq!(get.into_inner().status(), JobStatus::InProgress);
    assert_eq!(own.value(names::REQUESTS_IN_FLIGHT, &grpc), 1.0, "a call beside it came and went");

    drop(watch);
    assert_eq!(own.wait_for(names::REQUESTS_IN_FLIGHT, &grpc, 0.0).await, 0.0, "the watch ended with its client");
    let cancelled = [watches[0], ("code", "Cancelled")];
    assert_eq!(own.value(names::REQUESTS, &cancelled), 1.0);
}

/// Export and import count the bundle's bytes (what `data` decodes to) and its entities by
/// kind (every entity of the bundle, whatever its import state), exactly; a dry run counts
/// nothing.
#[tokio::test]
async fn transfers_count_the_bundle_bytes_and_entities() {
    let own = OwnMetrics::new();
    let _recording = own.record();
    let mut app = spawn_app_with(|_| {}).await;
    seed_source(&mut app, "source").await;
    let bundle = export(&mut app, "source", &["support"]).await;
    let size = decoded(&bundle.data).len() as f64;
    let export_bytes = [("direction", "export")];
    assert_eq!(own.value(names::TRANSFER_BYTES, &export_bytes), size);

    let dry = ImportAgentsRequest { dry_run: true, ..import_request("target", &bundle) };
    app.agents.import_agents(dry).await.unwrap();
    assert_eq!(own.value(names::TRANSFER_BYTES, &[("direction", "import")]), 0.0, "a dry run moves nothing");
    let imported = app.agents.import_agents(import_request("target", &bundle)).await.unwrap().into_inner();
    assert_eq!(own.value(names::TRANSFER_BYTES, &[("direction", "import")]), size);

    let summary = imported.summary.expect("an import reports its entities");
    let sections = [
        ("agent", summary.agents.len()),
        ("tool", summary.tools.len()),
        ("mcp_server", summary.mcp_servers.len()),
        ("knowledge_base", summary.knowledge_bases.len()),
    ];
    assert_eq!(sections.map(|(_, n)| n), [4, 3, 2, 1], "the bundle's entities, whatever their import state");
    for (kind, count) in sections {
        for direction in ["export", "import"] {
            let labels = [("direction", direction), ("kind", kind)];
            assert_eq!(own.value(names::TRANSFER_ENTITIES, &labels), count as f64, "{direction} {kind}");
        }
    }
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

/// Polls the gRPC health of `service` until it reads `expected` (or gives up after 5 s).
async fn wait_for_health(app: &mut TestApp, service: &str, expected: ServingStatus) -> i32 {
    let mut last = -1;
    for _ in 0..100 {
        last = health_of(app, service).await.unwrap();
        if last == expected as i32 {
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
    for service in HEALTH_NAMES {
        let status = wait_for_health(&mut app, service, ServingStatus::NotServing).await;
        assert_eq!(status, ServingStatus::NotServing as i32, "gRPC health agrees for {service:?}");
    }

    for sql in &repair {
        admin.execute_unprepared(sql).await.unwrap();
    }
    assert_eq!(wait_for(ops, "/readyz", 200).await, 200, "ready again once the database answers");
    for service in HEALTH_NAMES {
        let status = wait_for_health(&mut app, service, ServingStatus::Serving).await;
        assert_eq!(status, ServingStatus::Serving as i32, "serving again: {service:?}");
    }
    let _ = admin.close().await;
}

/// The whole server (`""`) and every service of the contracts, by full name.
const HEALTH_NAMES: &[&str] = &[
    "",
    "agentport.v1.AgentService",
    "agentport.v1.JobService",
    "agentport.v1.TemplateService",
    "agentport.v1.ApiKeyService",
    "agentport.v1.SigningService",
];

async fn health_of(app: &mut TestApp, service: &str) -> Result<i32, tonic::Status> {
    Ok(app.health.check(HealthCheckRequest { service: service.into() }).await?.into_inner().status)
}

#[tokio::test]
async fn every_service_reports_its_health() {
    let mut app = spawn_app_with(|_| {}).await;
    let served: Vec<String> = agentport::domain::reflect::POOL.services().map(|s| s.full_name().to_owned()).collect();
    assert_eq!(served.len(), HEALTH_NAMES.len() - 1, "every service is listed here: {served:?}");
    for service in HEALTH_NAMES {
        assert_eq!(health_of(&mut app, service).await.unwrap(), ServingStatus::Serving as i32, "{service:?}");
    }
    let unknown = health_of(&mut app, "agentport.v1.NoSuchService").await.unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound, "an unknown name is not reported healthy");

    // Watch, as load balancers use it, starts with the current status.
    let mut watch = app
        .health
        .watch(HealthCheckRequest { service: "agentport.v1.SigningService".into() })
        .await
        .unwrap()
        .into_inner();
    let first = watch.message().await.unwrap().expect("a first status");
    assert_eq!(first.status, ServingStatus::Serving as i32);
}

#[tokio::test]
async fn no_operations_listener_unless_configured() {
    let app = spawn_app_with(|_| {}).await;
    assert!(app.metrics_addr.is_none());
    let leaked = reqwest::get(format!("http://{}/metrics", app.addr)).await.unwrap().text().await.unwrap();
    assert!(!leaked.contains(names::REQUESTS), "metrics never leak onto the API listener");
}
