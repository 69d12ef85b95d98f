//! The job engine: workers claim background jobs from the jobs table, keep their lease alive
//! while they run, and finish them fenced by that lease, so any number of replicas share one
//! database and each job's effects happen once. Jobs whose worker died are retried once their
//! lease expires, and failed after `max_attempts` starts. Finished jobs are purged after the
//! retention period, and blobs nothing refers to any more are swept with them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::domain::clock::now_micros;
use crate::domain::job::{JobRecord, JobState};
use crate::error::Result;
use crate::observability::metrics;
use crate::store::Store;

/// Runs claimed jobs of the kinds it knows.
#[tonic::async_trait]
pub trait JobRunner: Send + Sync + 'static {
    /// Does the job's work. On `Ok` the runner has finished the job with
    /// [`crate::store::Tx::finish_claimed_job`] in the same transaction as its effects; on `Err`
    /// the engine records the failure.
    async fn run(&self, job: &JobRecord, owner: &str) -> Result<()>;
}

#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Concurrent workers in this process (0 disables the engine here).
    pub workers: usize,
    pub poll_interval: Duration,
    /// How long a claim lasts without a heartbeat.
    pub lease: Duration,
    /// Starts before a job whose workers keep dying is failed.
    pub max_attempts: i32,
    /// How long finished jobs are kept.
    pub retention: Duration,
    /// How long an unfinished blob upload may sit before it is swept.
    pub upload_grace: Duration,
}

/// Starts the workers; they stop after their current job once `stop` turns true.
pub fn spawn(
    store: Store,
    runner: Arc<dyn JobRunner>,
    settings: EngineSettings,
    stop: watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let process = format!("{}-{}", std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
    (0..settings.workers)
        .map(|i| {
            let worker = Worker {
                store: store.clone(),
                runner: runner.clone(),
                settings: settings.clone(),
                owner: format!("{process}-w{i}"),
            };
            tokio::spawn(worker.run(stop.clone()))
        })
        .collect()
}

struct Worker {
    store: Store,
    runner: Arc<dyn JobRunner>,
    settings: EngineSettings,
    owner: String,
}

impl Worker {
    async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::debug!(owner = %self.owner, "job worker started");
        let mut last_purge = 0;
        while !*stop.borrow() {
            if let Err(e) = self.tick(&mut last_purge, &stop).await {
                tracing::warn!(owner = %self.owner, error = %e, "job worker cycle failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(self.settings.poll_interval) => {}
                _ = stop.changed() => {}
            }
        }
        tracing::debug!(owner = %self.owner, "job worker stopped");
    }

    /// Reaps, purges now and then, and runs every job it can claim.
    async fn tick(&self, last_purge: &mut i64, stop: &watch::Receiver<bool>) -> Result<()> {
        let now = now_micros();
        let failed = self.store.fail_abandoned(now, self.settings.max_attempts).await?;
        if failed > 0 {
            metrics::lease_expired("abandoned", failed);
            tracing::warn!(count = failed, "failed jobs abandoned by dead workers");
        }
        // Sweep about ten times per retention period, at most once a minute.
        let retention = self.settings.retention.as_micros() as i64;
        let sweep_every = (retention / 10).clamp(self.settings.poll_interval.as_micros() as i64, 60_000_000);
        if now - *last_purge >= sweep_every {
            *last_purge = now;
            let purged = self.store.purge_finished_jobs(now - self.settings.retention.as_micros() as i64).await?;
            if purged > 0 {
                tracing::info!(count = purged, "purged finished jobs past retention");
            }
            let swept = self.store.sweep_blobs(now - self.settings.upload_grace.as_micros() as i64).await?;
            if swept > 0 {
                tracing::info!(count = swept, "swept unreferenced blobs and abandoned uploads");
            }
        }
        while !*stop.borrow() {
            let now = now_micros();
            let Some(job) = self.store.claim_job(&self.owner, now, now + self.lease_micros()).await? else {
                break;
            };
            self.run_claimed(job).await;
        }
        Ok(())
    }

    fn lease_micros(&self) -> i64 {
        self.settings.lease.as_micros() as i64
    }

    /// Runs a job inside a span that continues the trace of the call that queued it.
    async fn run_claimed(&self, job: JobRecord) {
        metrics::job_claimed(job.kind, job.attempts);
        let span = tracing::info_span!(
            "job",
            otel.name = %format!("agentport.job/{}", metrics::job_type(job.kind)),
            otel.kind = "consumer",
            job.id = %job.id,
            job.attempt = job.attempts,
            tenant = %job.tenant,
        );
        if let Some(traceparent) = &job.trace_parent {
            crate::telemetry::continue_traceparent(&span, traceparent);
        }
        let started = Instant::now();
        let ok = self.run_in_span(&job).instrument(span).await;
        metrics::job_ran(job.kind, ok, started.elapsed());
    }

    /// Runs the job and records a failure; true when it succeeded.
    async fn run_in_span(&self, job: &JobRecord) -> bool {
        tracing::info!(tenant = %job.tenant, job = %job.id, kind = job.kind.as_str(), attempt = job.attempts, owner = %self.owner, "job started");
        let heartbeat = self.heartbeat(job);
        let outcome = self.runner.run(job, &self.owner).await;
        heartbeat.abort();
        let ok = outcome.is_ok();
        match outcome {
            Ok(()) => tracing::info!(tenant = %job.tenant, job = %job.id, "job finished"),
            Err(e) => {
                tracing::warn!(tenant = %job.tenant, job = %job.id, error = %e, "job failed");
                let mut failed = job.clone();
                failed.state = JobState::Failure;
                failed.message = Some(e.message.clone());
                if let Err(e) = self.store.finish_claimed_job(&failed, &self.owner, now_micros()).await {
                    tracing::warn!(job = %job.id, error = %e, "could not record job failure");
                }
            }
        }
        ok
    }

    /// Renews the lease every third of its length until aborted or lost.
    fn heartbeat(&self, job: &JobRecord) -> JoinHandle<()> {
        let (store, owner, lease) = (self.store.clone(), self.owner.clone(), self.lease_micros());
        let (tenant, id) = (job.tenant.clone(), job.id.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_micros((lease / 3).max(1000) as u64)).await;
                match store.renew_lease(&tenant, &id, &owner, now_micros() + lease).await {
                    Ok(true) => {}
                    Ok(false) => {
                        metrics::lease_expired("lost", 1);
                        tracing::warn!(job = %id, "job lease lost to another worker");
                        return;
                    }
                    Err(e) => tracing::warn!(job = %id, error = %e, "job lease renewal failed"),
                }
            }
        })
    }
}
