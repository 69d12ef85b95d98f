//! Soak: mixed reads, writes, exports, imports and watches against a release server on
//! loopback, at a fixed concurrency for a fixed time. Fails on any unexpected error or when
//! memory keeps growing after the warm-up.
//!
//! `scripts/soak STORE MINUTES` (STORE: sqlite or postgres; PostgreSQL at
//! AGENTPORT_TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test).

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use agentport::proto::*;
use tokio::sync::Mutex;
use tokio_stream::StreamExt;
use tonic::transport::Channel;

use support::{Database, Server, StoreKind, agent, ms, percentile};

const CONCURRENCY: usize = 64;
const TENANTS: usize = 8;
const AGENTS_PER_TENANT: usize = 20;

#[derive(Default)]
struct Tally {
    latencies: BTreeMap<&'static str, Vec<Duration>>,
    errors: BTreeMap<&'static str, Vec<String>>,
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let store = StoreKind::parse(args.get(1).map(String::as_str).unwrap_or("sqlite"));
    let minutes: f64 = args.get(2).and_then(|m| m.parse().ok()).unwrap_or(10.0);
    let duration = Duration::from_secs_f64(minutes * 60.0);
    let database = Database::fresh(store).await;
    let (server, channel) = Server::start(
        &database.url,
        database.dir.path(),
        "soak",
        // The whole run is one (anonymous) principal spread over eight tenants.
        &[
            ("AGENTPORT_PRINCIPAL_RATE", "100000"),
            ("AGENTPORT_PRINCIPAL_BURST", "100000"),
            ("AGENTPORT_TENANT_RATE", "100000"),
            ("AGENTPORT_TENANT_BURST", "100000"),
        ],
    )
    .await;
    println!("soak: {store:?}, concurrency {CONCURRENCY}, {minutes} min, server log {}", server.log.display());
    let bundles = seed(&channel).await;

    let tally = Arc::new(Mutex::new(Tally::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for worker in 0..CONCURRENCY {
        let (channel, tally, stop, bundles) = (channel.clone(), tally.clone(), stop.clone(), bundles.clone());
        workers.push(tokio::spawn(async move { work(worker, channel, bundles, tally, stop).await }));
    }
    let started = Instant::now();
    let warm_up = (duration / 10).max(Duration::from_secs(10)).min(duration);
    let mut rss = Vec::new();
    while started.elapsed() < duration {
        tokio::time::sleep(Duration::from_secs(5).min(duration)).await;
        rss.push((started.elapsed(), server.rss_kib()));
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.await;
    }
    let ok = report(&tally, &rss, warm_up, started.elapsed()).await;
    drop(server);
    database.drop_now().await;
    std::process::exit(if ok { 0 } else { 1 });
}

/// Agents in every tenant, and one exported bundle per tenant.
async fn seed(channel: &Channel) -> Arc<Vec<ExportAgentsResponse>> {
    let mut agents = Server::agents(channel);
    let mut bundles = Vec::new();
    for t in 0..TENANTS {
        for a in 0..AGENTS_PER_TENANT {
            agents
                .create_agent(CreateAgentRequest {
                    parent: format!("tenants/t{t}"),
                    agent_id: format!("a{a}"),
                    agent: Some(agent(a)),
                })
                .await
                .expect("seed agent");
        }
        let ids = (0..5).map(|a| format!("a{a}")).collect();
        let bundle = agents
            .export_agents(ExportAgentsRequest {
                parent: format!("tenants/t{t}"),
                agent_ids: ids,
                ..Default::default()
            })
            .await;
        bundles.push(bundle.expect("seed export").into_inner());
    }
    Arc::new(bundles)
}

async fn work(
    worker: usize,
    channel: Channel,
    bundles: Arc<Vec<ExportAgentsResponse>>,
    tally: Arc<Mutex<Tally>>,
    stop: Arc<AtomicBool>,
) {
    let mut agents = Server::agents(&channel);
    let mut jobs = Server::jobs(&channel);
    let mut n = worker;
    while !stop.load(Ordering::Relaxed) {
        n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let tenant = format!("tenants/t{}", n % TENANTS);
        let id = (n / 7) % AGENTS_PER_TENANT;
        let name = format!("{tenant}/agents/a{id}");
        let started = Instant::now();
        let (op, result): (&'static str, Result<(), String>) = match (n >> 8) % 100 {
            0..35 => ("GetAgent", agents.get_agent(GetAgentRequest { name }).await.map(drop).map_err(show)),
            35..45 => (
                "ListAgents",
                agents
                    .list_agents(ListAgentsRequest {
                        parent: tenant,
                        filter: "displayName:~(Agent 1[0-9])".into(),
                        ..Default::default()
                    })
                    .await
                    .map(drop)
                    .map_err(show),
            ),
            45..60 => {
                let change = Agent { name, icon: format!("icon-{n}"), ..Default::default() };
                let mask = Some(prost_types::FieldMask { paths: vec!["icon".into()] });
                (
                    "UpdateAgent",
                    agents
                        .update_agent(UpdateAgentRequest { agent: Some(change), update_mask: mask })
                        .await
                        .map(drop)
                        .map_err(show),
                )
            }
            60..70 => ("CreateDeleteAgent", create_delete(&mut agents, &tenant, worker, n).await),
            70..80 => (
                "SearchJobs",
                jobs.search_jobs(SearchJobsRequest {
                    parent: tenant,
                    q: "type:import status:success".into(),
                    page_size: 20,
                    ..Default::default()
                })
                .await
                .map(drop)
                .map_err(show),
            ),
            80..88 => (
                "ExportAgents",
                agents
                    .export_agents(ExportAgentsRequest {
                        parent: tenant,
                        agent_ids: vec![format!("a{id}")],
                        ..Default::default()
                    })
                    .await
                    .map(drop)
                    .map_err(show),
            ),
            88..95 => {
                let bundle = &bundles[n % TENANTS];
                let mut request = ImportAgentsRequest {
                    parent: format!("tenants/import-{}", n % TENANTS),
                    data: bundle.data.clone(),
                    checksum: bundle.checksum.clone(),
                    ..Default::default()
                };
                request.set_conflict_policy(ConflictPolicy::Overwrite);
                ("ImportAgents", agents.import_agents(request).await.map(drop).map_err(show))
            }
            _ => ("WatchJob", watch(&mut jobs, &tenant, worker, n).await),
        };
        let mut tally = tally.lock().await;
        tally.latencies.entry(op).or_default().push(started.elapsed());
        if let Err(e) = result {
            tally.errors.entry(op).or_default().push(e);
        }
    }
}

fn show(status: tonic::Status) -> String {
    format!("{:?}: {}", status.code(), status.message())
}

async fn create_delete(
    agents: &mut agentport::proto::agent_service_client::AgentServiceClient<Channel>,
    tenant: &str,
    worker: usize,
    n: usize,
) -> Result<(), String> {
    let id = format!("tmp-{worker}-{n}");
    let created = agents
        .create_agent(CreateAgentRequest { parent: tenant.into(), agent_id: id, agent: Some(agent(n)) })
        .await
        .map_err(show)?
        .into_inner();
    agents
        .delete_agent(DeleteAgentRequest { name: created.name, etag: created.etag, force: false })
        .await
        .map(drop)
        .map_err(show)
}

/// Records a chat job in progress, watches it, finishes it, and sees the watch end.
async fn watch(
    jobs: &mut agentport::proto::job_service_client::JobServiceClient<Channel>,
    tenant: &str,
    worker: usize,
    n: usize,
) -> Result<(), String> {
    let job_id = format!("chat-{worker}-{n}");
    let chat = |status: JobStatus| Job { status: status as i32, message: "hello".into(), ..Default::default() };
    let recorded = jobs
        .record_job(RecordJobRequest {
            parent: tenant.into(),
            job_id: job_id.clone(),
            job: Some(chat(JobStatus::InProgress)),
        })
        .await
        .map_err(show)?
        .into_inner();
    let mut stream = jobs.watch_job(WatchJobRequest { name: recorded.name }).await.map_err(show)?.into_inner();
    stream.next().await.ok_or("the watch ended at once")?.map_err(show)?;
    jobs.record_job(RecordJobRequest { parent: tenant.into(), job_id, job: Some(chat(JobStatus::Success)) })
        .await
        .map_err(show)?;
    let finished = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(job) = stream.next().await {
            if job.map_err(show)?.status() == JobStatus::Success {
                return Ok(());
            }
        }
        Err("the watch ended before the job finished".to_owned())
    })
    .await;
    finished.map_err(|_| "no change within 10 s".to_owned())?
}

async fn report(tally: &Mutex<Tally>, rss: &[(Duration, u64)], warm_up: Duration, elapsed: Duration) -> bool {
    let mut guard = tally.lock().await;
    let tally = &mut *guard;
    let mut total = 0;
    let mut all = Vec::new();
    println!("\n{:<18} {:>8} {:>10} {:>10} {:>10} {:>7}", "operation", "calls", "p50", "p99", "max", "errors");
    let errors: usize = tally.errors.values().map(Vec::len).sum();
    let names: Vec<&'static str> = tally.latencies.keys().copied().collect();
    for op in names {
        let samples = tally.latencies.get_mut(op).unwrap();
        total += samples.len();
        all.extend(samples.iter().copied());
        let failed = tally.errors.get(op).map_or(0, Vec::len);
        let (p50, p99) = (percentile(samples, 50.0), percentile(samples, 99.0));
        let max = samples.last().copied().unwrap_or_default();
        println!("{op:<18} {:>8} {:>10} {:>10} {:>10} {failed:>7}", samples.len(), ms(p50), ms(p99), ms(max));
    }
    println!(
        "all: {total} calls in {:.0} s ({:.0}/s), p50 {}, p99 {}, unexpected errors {errors}",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        ms(percentile(&mut all, 50.0)),
        ms(percentile(&mut all, 99.0))
    );
    for (op, list) in &tally.errors {
        println!("  {op}: {} errors, first: {}", list.len(), list[0]);
    }
    let after_warm_up: Vec<u64> = rss.iter().filter(|(t, _)| *t >= warm_up).map(|(_, kib)| *kib).collect();
    let (first, last, peak) = (
        after_warm_up.first().copied().unwrap_or(0),
        after_warm_up.last().copied().unwrap_or(0),
        after_warm_up.iter().copied().max().unwrap_or(0),
    );
    println!("RSS after warm-up: first {} MiB, last {} MiB, peak {} MiB", first / 1024, last / 1024, peak / 1024);
    // Flat: the end is within 25% (or 32 MiB) of the first sample after the warm-up.
    let flat = last <= first + (first / 4).max(32 * 1024);
    println!("RSS flat: {flat}");
    errors == 0 && flat
}
