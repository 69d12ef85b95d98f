//! Background imports on the job engine: the same import, finished in the same transaction
//! as its writes and fenced by the worker's lease, so a job's effects happen once.

use super::{ImportPayload, TransferService, apply};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use futures_util::StreamExt;

use crate::domain::bundle::Bundle;
use crate::domain::clock::now_micros;
use crate::domain::job::{JobKind, JobRecord, JobState};
use crate::domain::json;
use crate::domain::resource::timestamp;
use crate::engine::JobRunner;
use crate::error::{Error, ErrorCode, Result};
use crate::proto::{ConflictPolicy, ImportResult};
use crate::service::documents::content::{StagedContents, discard_all};

pub struct TransferRunner {
    transfers: TransferService,
}

impl TransferRunner {
    pub fn new(transfers: TransferService) -> Self {
        Self { transfers }
    }
}

#[tonic::async_trait]
impl JobRunner for TransferRunner {
    async fn run(&self, job: &JobRecord, owner: &str) -> Result<()> {
        if job.kind != JobKind::Import {
            return Err(Error::new(
                ErrorCode::FailedPrecondition,
                format!("no background work for {} jobs", job.kind.as_str()),
            ));
        }
        let payload: ImportPayload = serde_json::from_str(job.payload.as_deref().unwrap_or_default())
            .map_err(|e| Error::internal("decode import payload", e))?;
        let (bytes, size) = match payload.bundle_sha256.as_str() {
            "" => {
                let data = STANDARD.decode(payload.data.trim()).map_err(|e| Error::internal("queued bundle", e))?;
                let size = data.len();
                (futures_util::stream::iter([Ok(Bytes::from(data))]).boxed(), size)
            }
            sha256 => {
                let size = self.transfers.store.blob_size(&job.tenant, sha256).await?.unwrap_or_default() as usize;
                (self.transfers.store.read_blob(&job.tenant, sha256).await?.boxed(), size)
            }
        };
        let (bundle, contents) = self.transfers.open(&job.tenant, bytes).await?;
        let outcome = self.import(job, owner, &bundle, &contents, &payload).await;
        discard_all(&self.transfers.store, contents).await;
        if outcome.is_ok() {
            crate::observability::metrics::transferred("import", size, &bundle.counts());
        }
        outcome
    }
}

impl TransferRunner {
    async fn import(
        &self,
        job: &JobRecord,
        owner: &str,
        bundle: &Bundle,
        contents: &StagedContents,
        payload: &ImportPayload,
    ) -> Result<()> {
        let sealer = super::bundle_sealer(&self.transfers.store, &job.tenant, bundle).await?;
        let settings = crate::service::SettingsService::for_tenant(&self.transfers.store, &job.tenant).await?;
        let tx = self.transfers.store.begin().await?;
        tx.lock_tenant_imports(&job.tenant).await?;
        let now = now_micros();
        let ctx = apply::ImportContext {
            tx: &tx,
            sealer: &sealer,
            tenant: &job.tenant,
            policy: ConflictPolicy::try_from(payload.policy).unwrap_or_default(),
            now,
            rename_millis: now / 1000,
            dry_run: false,
            fault_after_writes: self.transfers.fault_after_writes,
            contents,
            mappings: &payload.secret_mappings,
            settings: &settings,
            plan: None,
        };
        let applied = apply::apply(&ctx, bundle).await?;
        let result = ImportResult {
            message: applied.message,
            summary: Some(applied.summary),
            imported_at: Some(timestamp(now)),
            dry_run: false,
            signer: payload.signer.clone(),
            secret_requirements: applied.requirements,
            warnings: bundle.warnings.clone(),
        };
        let mut done = job.clone();
        done.state = JobState::Success;
        done.import_result = Some(json::to_json(&result));
        if !tx.finish_claimed_job(&done, owner, now_micros()).await? {
            // Another worker owns the job now; dropping the transaction undoes this run.
            return Err(Error::new(ErrorCode::ConcurrentModification, "lost the job lease; another worker runs it"));
        }
        tx.commit().await?;
        Ok(())
    }
}
