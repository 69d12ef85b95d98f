//! Metric names, their labels, and the functions that record them. The README's "Operating
//! agentport" section documents each one; keep the two in step.
//!
//! Other modules record through the functions below (or the `metrics` macros with these names),
//! so every label set is spelled once.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use crate::domain::job::JobKind;

/// Calls answered, by `transport` (`grpc`, `grpc-web`, `rest`), `method` and `code`.
pub const REQUESTS: &str = "agentport_requests_total";
/// Seconds from a call's arrival to the end of its response body, by `transport` and `method`.
pub const REQUEST_DURATION: &str = "agentport_request_duration_seconds";
/// Calls being served now, by `transport`.
pub const REQUESTS_IN_FLIGHT: &str = "agentport_requests_in_flight";
/// Calls refused by a rate or concurrency limit, by `limit` (`principal_rate`, `tenant_rate`,
/// `principal_concurrency`, `tenant_concurrency`, `watches_per_principal`).
pub const RATE_LIMITED: &str = "agentport_rate_limited_total";
/// Unfinished jobs, by `type` (`import`, `export`, `agent_chat`, `template_export`) and `status`
/// (`queued`, `running`, `in_request`); read from the
/// jobs table at each scrape.
pub const JOB_QUEUE_DEPTH: &str = "agentport_job_queue_depth";
/// Age in seconds of the oldest unfinished job, by `type` and `status`; 0 when there is none.
pub const JOB_QUEUE_OLDEST_AGE: &str = "agentport_job_queue_oldest_age_seconds";
/// Background jobs claimed by this process's workers, by `type`.
pub const JOB_CLAIMS: &str = "agentport_job_claims_total";
/// Leases that ran out, by `outcome`: `retried` (claimed again after its worker vanished),
/// `abandoned` (failed after the last attempt) or `lost` (a running worker lost its lease).
pub const JOB_LEASE_EXPIRIES: &str = "agentport_job_lease_expiries_total";
/// Seconds a claimed job ran, by `type` and `outcome` (`success`, `failure`).
pub const JOB_RUN_DURATION: &str = "agentport_job_run_duration_seconds";
/// Bundle bytes (what the base64 `data` decodes to, the bundle's JSON text) exported or
/// imported, by `direction` (`export`, `import`); a dry run moves nothing.
pub const TRANSFER_BYTES: &str = "agentport_transfer_bytes_total";
/// Entities of the bundles exported or imported, by `direction` and `kind`; an import counts
/// every entity of its bundle, whatever its state (created, reused, or to be created by hand).
pub const TRANSFER_ENTITIES: &str = "agentport_transfer_entities_total";
/// Distinct contents in the blob store (each tenant's copy counted once); read at each scrape.
pub const BLOB_STORE_BLOBS: &str = "agentport_blob_store_blobs";
/// Bytes those contents hold; read at each scrape.
pub const BLOB_STORE_BYTES: &str = "agentport_blob_store_bytes";
/// Database pool connections, by `state` (`idle`, `in_use`).
pub const DB_POOL_CONNECTIONS: &str = "agentport_db_pool_connections";
/// The pool's configured maximum.
pub const DB_POOL_MAX_CONNECTIONS: &str = "agentport_db_pool_max_connections";
/// Seconds per database statement, by `operation` (`select`, `insert`, `update`, `delete`,
/// `other`) and `outcome` (`ok`, `error`).
pub const DB_QUERY_DURATION: &str = "agentport_db_query_duration_seconds";

/// Request latencies: 1 ms to 30 s.
const REQUEST_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// Statement latencies: 100 µs to 5 s.
const QUERY_BUCKETS: &[f64] = &[0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];
/// Job runs: 10 ms to 10 min.
const JOB_BUCKETS: &[f64] = &[0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0];

/// A Prometheus recorder with this module's histogram buckets, not installed anywhere: what
/// [`install`] makes the process-wide recorder, and what a test may record into on its own.
pub fn recorder() -> PrometheusRecorder {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.into()), REQUEST_BUCKETS)
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full(DB_QUERY_DURATION.into()), QUERY_BUCKETS))
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full(JOB_RUN_DURATION.into()), JOB_BUCKETS))
        .expect("bucket lists are non-empty")
        .build_recorder()
}

/// Installs the process-wide Prometheus recorder once and returns the handle that renders it.
/// Until this runs, recording is a no-op.
pub fn install() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (an embedding program's); ours still renders.
            let _ = metrics::set_global_recorder(recorder);
            describe();
            handle
        })
        .clone()
}

/// The HELP line of every metric.
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(REQUESTS, "Calls answered, by transport, method and code.");
    describe_histogram!(
        REQUEST_DURATION,
        Unit::Seconds,
        "Call latency to the end of the response, by transport and method."
    );
    describe_gauge!(REQUESTS_IN_FLIGHT, "Calls being served now, by transport.");
    describe_counter!(RATE_LIMITED, "Calls refused by a rate or concurrency limit, by limit.");
    describe_gauge!(JOB_QUEUE_DEPTH, "Unfinished jobs, by type and status (queued, running, in_request).");
    describe_gauge!(JOB_QUEUE_OLDEST_AGE, Unit::Seconds, "Age of the oldest unfinished job, by type and status.");
    describe_counter!(JOB_CLAIMS, "Background jobs claimed by this process's workers, by type.");
    describe_counter!(JOB_LEASE_EXPIRIES, "Job leases that ran out, by outcome (retried, abandoned, lost).");
    describe_histogram!(JOB_RUN_DURATION, Unit::Seconds, "Time a claimed job ran, by type and outcome.");
    describe_counter!(TRANSFER_BYTES, Unit::Bytes, "Bundle data bytes exported or imported, by direction.");
    describe_counter!(TRANSFER_ENTITIES, "Entities exported or imported, by direction and kind.");
    describe_gauge!(BLOB_STORE_BLOBS, "Distinct contents in the blob store.");
    describe_gauge!(BLOB_STORE_BYTES, Unit::Bytes, "Bytes held by the blob store's contents.");
    describe_gauge!(DB_POOL_CONNECTIONS, "Database pool connections, by state (idle, in_use).");
    describe_gauge!(DB_POOL_MAX_CONNECTIONS, "The database pool's maximum size.");
    describe_histogram!(DB_QUERY_DURATION, Unit::Seconds, "Database statement latency, by operation and outcome.");
}

/// Counts a call refused by a limit; `limit` names it as the refusal's `limit` metadata does.
pub fn rate_limited(limit: &'static str) {
    counter!(RATE_LIMITED, "limit" => limit).increment(1);
}

pub(crate) fn call_started(transport: &'static str) {
    gauge!(REQUESTS_IN_FLIGHT, "transport" => transport).increment(1.0);
}

pub(crate) fn call_finished(transport: &'static str, method: &str, code: &str, elapsed: Duration) {
    gauge!(REQUESTS_IN_FLIGHT, "transport" => transport).decrement(1.0);
    counter!(REQUESTS, "transport" => transport, "method" => method.to_owned(), "code" => code.to_owned()).increment(1);
    histogram!(REQUEST_DURATION, "transport" => transport, "method" => method.to_owned()).record(elapsed.as_secs_f64());
}

/// The `type` label of a job kind.
pub fn job_type(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Import => "import",
        JobKind::Export => "export",
        JobKind::AgentChat => "agent_chat",
        JobKind::TemplateExport => "template_export",
    }
}

pub fn job_claimed(kind: JobKind, attempt: i32) {
    counter!(JOB_CLAIMS, "type" => job_type(kind)).increment(1);
    if attempt > 1 {
        lease_expired("retried", 1);
    }
}

pub fn lease_expired(outcome: &'static str, count: u64) {
    counter!(JOB_LEASE_EXPIRIES, "outcome" => outcome).increment(count);
}

pub fn job_ran(kind: JobKind, ok: bool, elapsed: Duration) {
    let outcome = if ok { "success" } else { "failure" };
    histogram!(JOB_RUN_DURATION, "type" => job_type(kind), "outcome" => outcome).record(elapsed.as_secs_f64());
}

/// A finished export or import: its bundle size and entity counts by kind.
pub fn transferred(direction: &'static str, bytes: usize, entities: &[(&'static str, usize)]) {
    counter!(TRANSFER_BYTES, "direction" => direction).increment(bytes as u64);
    for (kind, count) in entities {
        counter!(TRANSFER_ENTITIES, "direction" => direction, "kind" => *kind).increment(*count as u64);
    }
}

pub fn query_ran(operation: &'static str, failed: bool, elapsed: Duration) {
    let outcome = if failed { "error" } else { "ok" };
    histogram!(DB_QUERY_DURATION, "operation" => operation, "outcome" => outcome).record(elapsed.as_secs_f64());
}

/// One row of the job queue as the store counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    pub kind: &'static str,
    pub status: &'static str,
    pub count: u64,
    /// Microseconds since the epoch; `None` when `count` is 0.
    pub oldest_created_at: Option<i64>,
}

/// Sets the queue gauges from a fresh count; absent rows read 0, so drained queues show it.
pub fn set_job_queue(rows: &[QueueRow], now_micros: i64) {
    for row in rows {
        gauge!(JOB_QUEUE_DEPTH, "type" => row.kind, "status" => row.status).set(row.count as f64);
        let age = row.oldest_created_at.map(|t| (now_micros - t).max(0) as f64 / 1e6).unwrap_or(0.0);
        gauge!(JOB_QUEUE_OLDEST_AGE, "type" => row.kind, "status" => row.status).set(age);
    }
}

pub fn set_blob_store(blobs: u64, bytes: u64) {
    gauge!(BLOB_STORE_BLOBS).set(blobs as f64);
    gauge!(BLOB_STORE_BYTES).set(bytes as f64);
}

pub fn set_db_pool(idle: usize, in_use: usize, max: u32) {
    gauge!(DB_POOL_CONNECTIONS, "state" => "idle").set(idle as f64);
    gauge!(DB_POOL_CONNECTIONS, "state" => "in_use").set(in_use as f64);
    gauge!(DB_POOL_MAX_CONNECTIONS).set(max as f64);
}
