//! SearchJobs latency over 100k jobs, on SQLite and (when configured) PostgreSQL.
//!
//! ```sh
//! cargo bench --bench search_jobs                       # SQLite only
//! AGENTPORT_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!   cargo bench --bench search_jobs                     # SQLite, then PostgreSQL
//! ```
//!
//! For each backend: a fresh database (a temp SQLite file; a new PostgreSQL database created
//! from the admin URL, `AGENTPORT_BENCH_DATABASE_URL` or else `AGENTPORT_TEST_DATABASE_URL`,
//! dropped at the end), the real server on 127.0.0.1:0, 100,000 jobs in tenant `bench` plus
//! 10,000 in another tenant, then timed calls through a tonic client. Prints p50/p90/p99/max
//! per query, PASS/FAIL against a 5 ms p50, and the plan the database uses for the main query.

use std::time::{Duration, Instant};

use agentport::config::Settings;
use agentport::domain::clock::{iso8601, now_micros};
use agentport::domain::job::{JobKind, JobRecord, JobState};
use agentport::domain::query::{self, JOB_FIELDS};
use agentport::proto::job_service_client::JobServiceClient;
use agentport::proto::{ListJobsRequest, SearchJobsRequest};
use agentport::service::{JobFeed, JobSearch, JobService};
use agentport::startup::Application;
use agentport::store::{Store, query_sql};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query as SqlQuery};
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, Statement};
use tonic::transport::Channel;

const TENANT: &str = "bench";
const NOISE_TENANT: &str = "noise";
const JOBS: usize = 100_000;
const NOISE_JOBS: usize = 10_000;
const SEED_BATCH: usize = 10_000;
const WARMUP_CALLS: usize = 50;
const TIMED_CALLS: usize = 1_000;
const PAGE_SIZE: i32 = 50;
const PAGES: i32 = 5;
const Q: &str = "type:IMPORT status:success";
const SORT: &str = "metadata.createdAt:desc";
const TARGET_P50_MS: f64 = 5.0;
const DAY_MICROS: i64 = 86_400_000_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async {
        let mut failed = false;
        failed |= bench_sqlite().await;
        let admin = std::env::var("AGENTPORT_BENCH_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .or_else(|| std::env::var("AGENTPORT_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()));
        match admin {
            Some(admin_url) => failed |= bench_postgres(&admin_url).await,
            None => println!(
                "\nPostgreSQL skipped: set AGENTPORT_BENCH_DATABASE_URL (or \
                 AGENTPORT_TEST_DATABASE_URL) to an admin URL to include it."
            ),
        }
        println!("\noverall: {}", if failed { "FAIL (a p50 missed the target)" } else { "PASS" });
    });
}

async fn bench_sqlite() -> bool {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    bench_backend("SQLite", &url).await
}

async fn bench_postgres(admin_url: &str) -> bool {
    let database = PgDatabase::create(admin_url).await;
    bench_backend("PostgreSQL", &database.url).await
}

/// A PostgreSQL database for one run, dropped (`WITH (FORCE)`) when this goes out of scope,
/// panics included.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create(admin_url: &str) -> Self {
        let name = format!("agentport_bench_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url).await.expect("the admin database URL is reachable");
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("bench database can be created");
        let _ = admin.close().await;
        let base = admin_url.rsplit_once('/').expect("database URL has a path").0;
        let url = format!("{base}/{name}");
        Self { admin_url: admin_url.to_owned(), name, url }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the bench's runtime; a plain thread with its own runtime can block.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                match Database::connect(&admin_url).await {
                    Ok(admin) => {
                        if let Err(e) =
                            admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await
                        {
                            eprintln!("could not drop {name}: {e}");
                        }
                        let _ = admin.close().await;
                    }
                    Err(e) => eprintln!("could not drop {name}: {e}"),
                }
            });
        })
        .join();
    }
}

/// Runs every measurement on one backend; true when a p50 missed the target.
async fn bench_backend(label: &str, url: &str) -> bool {
    println!("\n=== {label} ===");

    // The real server, in-process, with the engine off so nothing purges or claims jobs.
    let settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: url.to_owned(),
        job_workers: 0,
        ..Settings::default()
    };
    let app = Application::build(settings).await.expect("application builds");
    let addr = app.local_addr();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stop_rx.await;
    }));
    let channel =
        Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.expect("server accepts connections");
    let mut client = JobServiceClient::new(channel);

    // Seed through the store, in batches (one write transaction each).
    let store = Store::connect(url).await.expect("store connects");
    let started = Instant::now();
    let now = now_micros();
    let mut rng = Rng(0x5eed_0f_a6e7_7047);
    let mut bench_imports_success = 0usize;
    for (tenant, count) in [(TENANT, JOBS), (NOISE_TENANT, NOISE_JOBS)] {
        let mut done = 0;
        while done < count {
            let n = SEED_BATCH.min(count - done);
            let batch: Vec<JobRecord> = (0..n).map(|_| seed_job(tenant, now, &mut rng)).collect();
            if tenant == TENANT {
                bench_imports_success +=
                    batch.iter().filter(|j| j.kind == JobKind::Import && j.state == JobState::Success).count();
            }
            store.insert_jobs(&batch).await.expect("seed batch inserts");
            done += n;
        }
    }
    let seeded = started.elapsed();
    println!(
        "seeded {JOBS} jobs in tenant `{TENANT}` ({bench_imports_success} IMPORT/success) \
         + {NOISE_JOBS} in `{NOISE_TENANT}` in {:.2} s",
        seeded.as_secs_f64()
    );
    store.close().await;

    let backend = if url.starts_with("postgres") { DatabaseBackend::Postgres } else { DatabaseBackend::Sqlite };
    let db = Database::connect(url).await.expect("plan connection");
    if backend == DatabaseBackend::Postgres {
        let started = Instant::now();
        // VACUUM as autovacuum would after a bulk load: it also records which pages are all-visible,
        // so counts can be answered from the index alone.
        db.execute_unprepared("VACUUM ANALYZE jobs").await.expect("VACUUM ANALYZE");
        println!("VACUUM ANALYZE jobs in {:.2} s", started.elapsed().as_secs_f64());
    }

    // Measurements through the real gRPC client.
    println!(
        "\n{WARMUP_CALLS} warm-up + {TIMED_CALLS} timed calls each, sequential, page_size \
         {PAGE_SIZE}, sort {SORT}, page_number cycling 1..={PAGES}; target p50 < {TARGET_P50_MS} ms"
    );
    println!("{:<64} {:>6} {:>9} {:>9} {:>9} {:>9}  result", "query", "count", "p50 ms", "p90 ms", "p99 ms", "max ms");
    let mut missed = false;

    let search = |page: i32, include_total: bool| SearchJobsRequest {
        parent: format!("tenants/{TENANT}"),
        q: Q.to_owned(),
        sort: SORT.to_owned(),
        page_size: PAGE_SIZE,
        page_number: page,
        include_total,
        ..Default::default()
    };

    let times = measure(|page| {
        let mut client = client.clone();
        let request = search(page, false);
        async move {
            let response = client.search_jobs(request).await.expect("SearchJobs");
            let response = response.into_inner();
            assert_eq!(response.jobs.len(), PAGE_SIZE as usize, "a full page");
            assert_eq!(response.total_size, 0, "no total unless asked");
        }
    })
    .await;
    let main_p50 = percentile(&sorted(times.clone()), 0.5);
    missed |= report(&format!("SearchJobs q=\"{Q}\" (gRPC)"), times);

    let expected_total = bench_imports_success as i64;
    let times = measure(|page| {
        let mut client = client.clone();
        let request = search(page, true);
        async move {
            let response = client.search_jobs(request).await.expect("SearchJobs");
            let response = response.into_inner();
            assert_eq!(response.jobs.len(), PAGE_SIZE as usize, "a full page");
            assert_eq!(response.total_size, expected_total, "total of every match");
        }
    })
    .await;
    missed |= report("  same, include_total=true", times);

    let times = measure(|page| {
        let mut client = client.clone();
        let request = ListJobsRequest { parent: format!("tenants/{TENANT}"), page_number: page, ..Default::default() };
        async move {
            let response = client.list_jobs(request).await.expect("ListJobs");
            assert_eq!(response.into_inner().jobs.len(), 50, "a full default page");
        }
    })
    .await;
    missed |= report("ListJobs (no q, default sort, default page size)", times);

    // The same search without the transport: the service layer in-process, on its own pool.
    // The difference to the gRPC figures above is what the network path (HTTP/2, TCP) adds.
    let store = Store::connect(url).await.expect("store connects");
    let (_stop, stop_rx) = tokio::sync::watch::channel(false);
    let service = JobService::new(store.clone(), JobFeed::start(store, Duration::from_millis(250), stop_rx));
    let times = measure(|page| {
        let service = service.clone();
        let request = JobSearch {
            parent: format!("tenants/{TENANT}"),
            q: Q.to_owned(),
            sort: SORT.to_owned(),
            page_size: PAGE_SIZE,
            page_number: page,
            ..Default::default()
        };
        async move {
            let (jobs, _) = service.search(&request).await.expect("search");
            assert_eq!(jobs.len(), PAGE_SIZE as usize, "a full page");
        }
    })
    .await;
    let in_process_p50 = percentile(&sorted(times.clone()), 0.5);
    report("  same, in-process JobService::search (no gRPC)", times);
    println!(
        "transport share of the main query's p50: {:.3} ms (gRPC p50 {:.3} ms - in-process {:.3} ms)",
        main_p50 - in_process_p50,
        main_p50,
        in_process_p50
    );

    // The plans behind those calls, for the statements the service builds.
    print_plans(&db, backend).await;
    let _ = db.close().await;

    // A sanity check on the first page's order, through the API.
    let first = client.search_jobs(search(1, false)).await.expect("SearchJobs").into_inner().jobs;
    assert!(
        first.windows(2).all(|w| {
            let (a, b) = (w[0].create_time.unwrap(), w[1].create_time.unwrap());
            (a.seconds, a.nanos) >= (b.seconds, b.nanos)
        }),
        "newest first"
    );

    let _ = stop_tx.send(());
    server.await.expect("server task completes").expect("server stops cleanly");
    missed
}

/// 50 warm-up calls, then 1,000 timed ones, cycling the page number.
async fn measure<F, Fut>(mut call: F) -> Vec<Duration>
where
    F: FnMut(i32) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for i in 0..WARMUP_CALLS {
        call(i as i32 % PAGES + 1).await;
    }
    let mut times = Vec::with_capacity(TIMED_CALLS);
    for i in 0..TIMED_CALLS {
        let page = i as i32 % PAGES + 1;
        let started = Instant::now();
        call(page).await;
        times.push(started.elapsed());
    }
    times
}

fn sorted(mut times: Vec<Duration>) -> Vec<Duration> {
    times.sort();
    times
}

/// Nearest-rank percentile of sorted times, in milliseconds.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1000.0
}

/// Prints one row; true when p50 missed the target.
fn report(label: &str, times: Vec<Duration>) -> bool {
    let times = sorted(times);
    let p50 = percentile(&times, 0.50);
    let missed = p50 >= TARGET_P50_MS;
    println!(
        "{:<64} {:>6} {:>9.3} {:>9.3} {:>9.3} {:>9.3}  {}",
        label,
        times.len(),
        p50,
        percentile(&times, 0.90),
        percentile(&times, 0.99),
        percentile(&times, 1.0),
        if missed { "FAIL" } else { "PASS" }
    );
    missed
}

/// EXPLAIN of the page query and the count the service runs for `q`/`sort`, and of the
/// default listing. The WHERE and ORDER BY come from `store::query_sql`, as in the service.
async fn print_plans(db: &DatabaseConnection, backend: DatabaseBackend) {
    let page = |q: &str, sort: &str| {
        let q = query::parse(q, JOB_FIELDS).expect("q parses");
        let sort = query::parse_sort(sort, JOB_FIELDS).expect("sort parses");
        let mut select = SqlQuery::select();
        select
            .column(Asterisk)
            .from(Alias::new("jobs"))
            .and_where(Expr::col((Alias::new("jobs"), Alias::new("tenant"))).eq(TENANT))
            .cond_where(query_sql::job_condition(&q, backend));
        for (expr, order) in query_sql::job_order(&sort) {
            select.order_by_expr(expr, order);
        }
        select.limit(PAGE_SIZE as u64);
        backend.build(&select)
    };
    let count = {
        let q = query::parse(Q, JOB_FIELDS).expect("q parses");
        let mut select = SqlQuery::select();
        select
            .expr(Expr::cust("COUNT(*)"))
            .from(Alias::new("jobs"))
            .and_where(Expr::col((Alias::new("jobs"), Alias::new("tenant"))).eq(TENANT))
            .cond_where(query_sql::job_condition(&q, backend));
        backend.build(&select)
    };
    let plans = [
        ("SearchJobs page (main query)", page(Q, SORT)),
        ("SearchJobs total (include_total)", count),
        ("ListJobs default page", page("", SORT)),
    ];
    for (label, statement) in plans {
        println!("\nplan: {label}");
        println!("  SQL: {}", statement.sql);
        println!("  values: {:?}", statement.values.as_ref().map(|v| &v.0).unwrap_or(&Vec::new()));
        let (prefix, column) = match backend {
            DatabaseBackend::Postgres => ("EXPLAIN (ANALYZE, BUFFERS) ", "QUERY PLAN"),
            _ => ("EXPLAIN QUERY PLAN ", "detail"),
        };
        let explain = Statement { sql: format!("{prefix}{}", statement.sql), ..statement };
        let rows = db.query_all_raw(explain).await.expect("EXPLAIN runs");
        for row in rows {
            let line: String = row.try_get("", column).expect("plan column");
            println!("  | {line}");
        }
    }
}

/// A seeded job: a realistic mix of kinds, outcomes, agents and sessions, created at some
/// point in the last 90 days.
fn seed_job(tenant: &str, now: i64, rng: &mut Rng) -> JobRecord {
    const AGENT_TYPES: &[&str] = &["support", "generic", "complaint", "anti_fraud"];
    const EVENTS: &[&str] = &["product.created", "order.created", "customer.updated", "cart.abandoned"];
    let created_at = now - rng.below(90 * DAY_MICROS as u64) as i64;
    let kind = match rng.below(100) {
        0..30 => JobKind::Import,
        30..50 => JobKind::Export,
        _ => JobKind::AgentChat,
    };
    let state = match rng.below(100) {
        0..75 => JobState::Success,
        75..88 => JobState::Failure,
        88..95 => JobState::Skipped,
        _ => JobState::InProgress,
    };
    let id = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        (created_at / 1_000_000) as u64,
        ((created_at % 1_000_000) * 1000) as u32,
    ))
    .to_string();
    let mut job = JobRecord::new(tenant, &id, kind, state, created_at);
    if state.is_finished() {
        job.modified_at = created_at + rng.below(120_000_000) as i64;
        job.version = 2;
    }
    let agent = format!("agent-{:04}", rng.below(300));
    match kind {
        JobKind::Import | JobKind::Export => {
            job.background = true;
            job.attempts = 1;
            job.request_id = Some(uuid::Uuid::new_v4().to_string());
            job.agent_id = Some(agent);
        }
        JobKind::AgentChat => {
            job.agent_type = Some(AGENT_TYPES[rng.below(AGENT_TYPES.len() as u64) as usize].into());
            job.agent_id = Some(agent);
            job.session_id = Some(format!("session-{:08x}", rng.below(50_000)));
            if rng.below(3) == 0 {
                job.commerce_event = Some(EVENTS[rng.below(EVENTS.len() as u64) as usize].into());
            }
        }
    }
    let at = iso8601(job.modified_at);
    job.message = Some(match (kind, state) {
        (_, JobState::InProgress) => "Job is running".into(),
        (_, JobState::Failure) => "Failed: upstream returned 503 Service Unavailable after 3 retries".into(),
        (_, JobState::Skipped) => "Skipped: nothing to do".into(),
        (JobKind::Import, _) => "Import finished".into(),
        (JobKind::Export, _) => "Export finished".into(),
        (JobKind::AgentChat, _) => format!(
            "Answered the customer's question about order {} in {} turns",
            rng.below(1_000_000),
            1 + rng.below(12)
        ),
    });
    if state == JobState::Success {
        match kind {
            JobKind::Import => {
                let (agents, tools, mcp) = (1 + rng.below(3), rng.below(4), rng.below(2));
                job.import_result = Some(format!(
                    r#"{{"message":"Successfully imported {agents} agents, {tools} tools, and {mcp} MCP servers.","importedAt":"{at}"}}"#
                ));
            }
            JobKind::Export => {
                job.export_result = Some(format!(
                    r#"{{"data":"eyJ2ZXJzaW9uIjoxLCJhZ2VudHMiOlt7ImlkIjoiYWdlbnQtMDAwMSJ9XX0=","checksum":"{:016x}{:016x}{:016x}{:016x}","exportedAt":"{at}"}}"#,
                    rng.next(),
                    rng.next(),
                    rng.next(),
                    rng.next()
                ));
            }
            JobKind::AgentChat => {}
        }
    }
    job
}

/// splitmix64: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
