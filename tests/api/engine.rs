//! The job engine: background imports, watching them, recovery from dead workers, and many
//! replicas sharing one database with each job run once.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::Duration;

use agentport::proto::agent_service_client::AgentServiceClient;
use agentport::proto::job_service_client::JobServiceClient;
use agentport::proto::*;
use agentport::store::Store;
use tonic::transport::Channel;

use crate::fixtures::{counts, export, import_request, seed_source, wait_finished};
use crate::helpers::{TestApp, TestDatabase, spawn_app_with};
use crate::operations::OwnMetrics;
use agentport::observability::metrics as names;

/// Seeds tenant `source`, exports `agent`, and queues its import into `target` in the
/// background; returns the queued job.
pub(crate) async fn queue_import(app: &mut TestApp, agent: &str) -> Job {
    seed_source(app, "source").await;
    let bundle = export(app, "source", &[agent]).await;
    let request = ImportAgentsRequest { background: true, ..import_request("target", &bundle) };
    app.agents.import_agents(request).await.unwrap().into_inner().job.expect("a background import returns its job")
}

#[tokio::test]
async fn watch_streams_a_background_import_from_in_progress_to_success() {
    let mut app = spawn_app_with(|s| s.job_poll_interval_ms = 400).await;
    let job = queue_import(&mut app, "support").await;
    assert_eq!((job.status(), job.background), (JobStatus::InProgress, true));

    let mut jobs = JobServiceClient::new(app.channel.clone());
    let mut stream = jobs.watch_job(WatchJobRequest { name: job.name.clone() }).await.unwrap().into_inner();
    let mut statuses = Vec::new();
    while let Some(update) =
        tokio::time::timeout(Duration::from_secs(20), stream.message()).await.expect("updates keep coming").unwrap()
    {
        statuses.push(update.status());
        if update.status() == JobStatus::Success {
            let result = update.import_result.expect("the finished job carries its result");
            assert_eq!(result.message, "Successfully imported 4 agents, 2 tools, and 2 MCP servers.");
        }
    }
    assert_eq!(statuses.first(), Some(&JobStatus::InProgress));
    assert_eq!(statuses.last(), Some(&JobStatus::Success), "{statuses:?}");
    assert_eq!(counts(&mut app, "target").await, [4, 2, 2, 1]);
}

/// Starts a replica with workers on `beside`'s database, `adjust`ed; returns a JobService client
/// of it and what stops it.
async fn start_worker_replica(
    beside: &TestApp,
    adjust: impl FnOnce(&mut agentport::config::Settings),
) -> (JobServiceClient<Channel>, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<std::io::Result<()>>) {
    let mut settings = agentport::config::Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: beside.database.url().to_owned(),
        master_key: crate::helpers::master_key_for(&beside.database),
        job_poll_interval_ms: 50,
        ..Default::default()
    };
    adjust(&mut settings);
    let live = agentport::startup::Application::build(settings).await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let addr = live.local_addr();
    let server = tokio::spawn(live.run_until_stopped(async {
        let _ = rx.await;
    }));
    let jobs = JobServiceClient::new(crate::helpers::connect_serving(&format!("http://{addr}")).await);
    (jobs, tx, server)
}

#[tokio::test]
async fn a_job_abandoned_by_a_dead_worker_is_recovered() {
    // Exact counts: this test's servers record into a recorder of its own.
    let own = OwnMetrics::new();
    let _recording = own.record();
    // A replica without workers queues the job; a worker claims it and dies.
    let mut queueing = spawn_app_with(|s| s.job_workers = 0).await;
    let name = queue_import(&mut queueing, "refunds").await.name;
    let store = Store::connect(queueing.database.url()).await.unwrap();
    let now = agentport::domain::clock::now_micros();
    let claimed =
        store.claim_job("dead-worker", now, now + 200_000).await.unwrap().expect("the queued job is claimable");
    assert_eq!(claimed.attempts, 1);
    assert!(store.claim_job("other", now, now + 200_000).await.unwrap().is_none(), "a leased job is not claimed twice");

    // A live replica on the same database takes it over once the lease expires.
    let (mut jobs, stop, server) = start_worker_replica(&queueing, |_| {}).await;
    let done = wait_finished(&mut jobs, &name).await;
    assert_eq!((done.status(), done.attempts), (JobStatus::Success, 2));
    assert_eq!(counts(&mut queueing, "target").await[0], 1);

    // The takeover is a claim and a lease that ran out and was retried; the run is recorded
    // just after the job reads SUCCESS.
    let run = [("type", "import"), ("outcome", "success")];
    assert_eq!(own.wait_for(names::JOB_RUN_DURATION, &run, 1.0).await, 1.0);
    assert_eq!(own.value(names::JOB_CLAIMS, &[("type", "import")]), 1.0);
    assert_eq!(own.value(names::JOB_LEASE_EXPIRIES, &[("outcome", "retried")]), 1.0);
    assert_eq!(own.value(names::JOB_LEASE_EXPIRIES, &[]), 1.0, "nothing abandoned or lost");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

/// A worker fails a job whose lease ran out on its last attempt, without claiming it, and counts
/// the expiry as abandoned.
#[tokio::test]
async fn a_worker_fails_a_job_past_its_last_attempt_and_counts_it_abandoned() {
    let own = OwnMetrics::new();
    let _recording = own.record();
    let mut queueing = spawn_app_with(|s| s.job_workers = 0).await;
    let name = queue_import(&mut queueing, "refunds").await.name;
    let store = Store::connect(queueing.database.url()).await.unwrap();
    let now = agentport::domain::clock::now_micros();
    store.claim_job("dead-1", now, now + 1000).await.unwrap().expect("the queued job is claimable");
    tokio::time::sleep(Duration::from_millis(5)).await;

    let (mut jobs, stop, server) = start_worker_replica(&queueing, |s| s.job_max_attempts = 1).await;
    let failed = wait_finished(&mut jobs, &name).await;
    assert_eq!((failed.status(), failed.attempts), (JobStatus::Failure, 1), "{}", failed.message);
    assert!(failed.message.contains("abandoned"), "{}", failed.message);
    assert_eq!(own.wait_for(names::JOB_LEASE_EXPIRIES, &[("outcome", "abandoned")], 1.0).await, 1.0);
    assert_eq!(own.value(names::JOB_LEASE_EXPIRIES, &[]), 1.0);
    assert_eq!(own.value(names::JOB_CLAIMS, &[]), 0.0, "a job past its last attempt is not run again");
    assert_eq!(counts(&mut queueing, "target").await[0], 0);
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_job_whose_workers_keep_dying_is_failed() {
    let mut app = spawn_app_with(|s| {
        s.job_workers = 0;
    })
    .await;
    let name = queue_import(&mut app, "refunds").await.name;
    let store = Store::connect(app.database.url()).await.unwrap();
    let now = agentport::domain::clock::now_micros();
    store.claim_job("dead-1", now, now + 1000).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let later = agentport::domain::clock::now_micros();
    assert_eq!(store.fail_abandoned(later, 1).await.unwrap(), 1);
    let mut jobs = JobServiceClient::new(app.channel.clone());
    let failed = jobs.get_job(GetJobRequest { name, fields: String::new() }).await.unwrap().into_inner();
    assert_eq!(failed.status(), JobStatus::Failure);
    assert!(failed.message.contains("abandoned"), "{}", failed.message);
    assert_eq!(counts(&mut app, "target").await[0], 0);
}

/// Starts the real binary on `database_url`; returns the child and its address.
async fn start_replica(database_url: &str, log: &std::path::Path) -> (tokio::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_agentport"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", database_url])
        .env("RUST_LOG", "agentport=info")
        .env("AGENTPORT_JOB_WORKERS", "2")
        .env("AGENTPORT_JOB_POLL_INTERVAL_MS", "20")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .kill_on_drop(true)
        .spawn()
        .expect("the agentport binary starts");
    let addr = format!("http://127.0.0.1:{port}");
    crate::helpers::connect_serving(&addr).await;
    (child, addr)
}

#[tokio::test]
async fn two_processes_share_the_queue_and_run_each_job_once() {
    let database = TestDatabase::create().await;
    let logs = tempfile::tempdir().unwrap().keep();
    eprintln!("replica logs in {}", logs.display());
    let (mut first, first_addr) = start_replica(database.url(), &logs.join("first.log")).await;
    let (mut second, second_addr) = start_replica(database.url(), &logs.join("second.log")).await;
    let channels = [
        Channel::from_shared(first_addr).unwrap().connect().await.unwrap(),
        Channel::from_shared(second_addr).unwrap().connect().await.unwrap(),
    ];

    // One bundle, imported in the background into 24 tenants through both replicas.
    let mut agents = AgentServiceClient::new(channels[0].clone());
    agents
        .create_agent(CreateAgentRequest {
            parent: "tenants/source".into(),
            agent_id: "solo".into(),
            agent: Some(crate::crud::sample_agent()),
        })
        .await
        .unwrap();
    let bundle = agents
        .export_agents(ExportAgentsRequest {
            parent: "tenants/source".into(),
            agent_ids: vec!["solo".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut names = Vec::new();
    for i in 0..24 {
        let mut client = AgentServiceClient::new(channels[i % 2].clone());
        let request = ImportAgentsRequest { background: true, ..import_request(&format!("t{i}"), &bundle) };
        names.push(client.import_agents(request).await.unwrap().into_inner().job.unwrap().name);
    }
    let mut jobs = JobServiceClient::new(channels[1].clone());
    for name in &names {
        let job = wait_finished(&mut jobs, name).await;
        assert_eq!((job.status(), job.attempts), (JobStatus::Success, 1), "{name} ran once: {}", job.message);
    }
    for i in 0..24 {
        let listed = agents
            .list_agents(ListAgentsRequest { parent: format!("tenants/t{i}"), ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed.agents.len(), 1, "tenant t{i} imported exactly once");
    }

    // Each job was started by exactly one process, and both processes did work.
    for child in [&mut first, &mut second] {
        let _ = child.start_kill();
        let _ = child.wait().await;
    }
    let mut started_by: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for (replica, file) in [("first", "first.log"), ("second", "second.log")] {
        let text = std::fs::read_to_string(logs.join(file)).unwrap();
        for line in text.lines().filter(|l| l.contains("job started")) {
            let id = line.split("job=").nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap_or_default();
            started_by.entry(id.to_owned()).or_default().insert(replica);
        }
    }
    assert_eq!(started_by.len(), 24, "every job started: {started_by:?}");
    assert!(started_by.values().all(|replicas| replicas.len() == 1), "no job started twice: {started_by:?}");
    let workers: BTreeSet<&str> = started_by.values().flatten().copied().collect();
    assert_eq!(workers.len(), 2, "both replicas ran jobs: {started_by:?}");
}

#[tokio::test]
async fn finished_jobs_are_purged_after_the_retention_period() {
    let app = spawn_app_with(|s| {
        s.job_retention_hours = 0;
        s.job_poll_interval_ms = 50;
    })
    .await;
    let mut jobs = JobServiceClient::new(app.channel.clone());
    for (id, status) in [("done", JobStatus::Success), ("running", JobStatus::InProgress)] {
        let job = Job { r#type: JobType::AgentChat as i32, status: status as i32, ..Default::default() };
        jobs.record_job(RecordJobRequest { parent: "tenants/acme".into(), job_id: id.into(), job: Some(job) })
            .await
            .unwrap();
    }
    let mut left = Vec::new();
    for _ in 0..100 {
        let listed = jobs
            .list_jobs(ListJobsRequest { parent: "tenants/acme".into(), ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        left = listed.jobs.into_iter().map(|j| j.name).collect::<Vec<_>>();
        if left.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(left, ["tenants/acme/jobs/running"], "the finished job is purged, the running one kept");
}
