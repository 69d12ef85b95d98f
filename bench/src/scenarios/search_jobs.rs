//! `SearchJobs` over 1M jobs of one tenant (plus another tenant's): a realistic mix of kinds,
//! outcomes and messages; pages of 50 newest first, with and without the total.

use agentport::domain::clock::{iso8601, now_micros};
use agentport::domain::job::{JobKind, JobRecord, JobState};
use agentport::proto::SearchJobsRequest;
use agentport::proto::job_service_client::JobServiceClient;
use agentport::store::Store;
use sea_orm::{ConnectionTrait, DatabaseBackend};

use super::Ctx;
use crate::load::{percentile, sequential};

const TENANT: &str = "jobs";
const Q: &str = "type:IMPORT status:success";
const SORT: &str = "metadata.createdAt:desc";
const DAY_MICROS: i64 = 86_400_000_000;

pub async fn run(ctx: &mut Ctx) {
    let jobs = if ctx.quick { 100_000 } else { 1_000_000 };
    let store = Store::connect(&ctx.db_url).await.expect("store connects");
    let (now, mut rng) = (now_micros(), Rng(0x5eed_0f_a6e7_7047));
    for (tenant, count) in [(TENANT, jobs), ("noise", jobs / 10)] {
        let mut done = 0;
        while done < count {
            let n = 10_000.min(count - done);
            let batch: Vec<JobRecord> = (0..n).map(|_| seed_job(tenant, now, &mut rng)).collect();
            store.insert_jobs(&batch).await.expect("seed jobs");
            done += n;
        }
    }
    store.close().await;
    if ctx.db.get_database_backend() == DatabaseBackend::Postgres {
        // As autovacuum would after a bulk load.
        ctx.db.execute_unprepared("VACUUM ANALYZE jobs").await.expect("VACUUM ANALYZE");
    }
    let client = JobServiceClient::connect(ctx.grpc_url()).await.expect("connect");
    for (case, q, include_total) in [
        ("q=type:IMPORT status:success", Q, false),
        ("same, include_total", Q, true),
        ("no q (ListJobs-like)", "", false),
    ] {
        let times = sequential(50, 500, |i| {
            let mut client = client.clone();
            let request = SearchJobsRequest {
                parent: format!("tenants/{TENANT}"),
                q: q.to_owned(),
                sort: SORT.to_owned(),
                page_size: 50,
                page_number: (i % 5) as i32 + 1,
                include_total,
                ..Default::default()
            };
            async move {
                let page = client.search_jobs(request).await.expect("SearchJobs").into_inner();
                assert_eq!(page.jobs.len(), 50);
            }
        })
        .await;
        let p50 = percentile(&times, 0.5);
        let case = format!("SearchJobs over {}k jobs {case}", jobs / 1000);
        ctx.push(ctx.row("search_jobs", &case, "p50 ms", p50).target("p50 < 5 ms", p50 < 5.0));
        ctx.push(ctx.row("search_jobs", &case, "p99 ms", percentile(&times, 0.99)));
    }
}

/// A job somewhere in the last 90 days.
fn seed_job(tenant: &str, now: i64, rng: &mut Rng) -> JobRecord {
    const AGENT_TYPES: &[&str] = &["support", "generic", "complaint", "anti_fraud"];
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
    job.agent_id = Some(format!("agent-{:04}", rng.below(300)));
    if kind == JobKind::AgentChat {
        job.agent_type = Some(AGENT_TYPES[rng.below(4) as usize].into());
        job.session_id = Some(format!("session-{:08x}", rng.below(50_000)));
        job.message =
            Some(format!("Answered the question about order {} in {} turns", rng.below(1_000_000), 1 + rng.below(12)));
    } else {
        job.background = true;
        job.attempts = 1;
        job.message = Some(format!("{} finished", kind.as_str()));
    }
    if state == JobState::Success && kind == JobKind::Import {
        let at = iso8601(job.modified_at);
        job.import_result = Some(format!(
            r#"{{"message":"Successfully imported 1 agents, 0 tools, and 0 MCP servers.","importedAt":"{at}"}}"#
        ));
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
