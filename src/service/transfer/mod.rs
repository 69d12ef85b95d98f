//! Moving agents between tenants: bundle export and import.

mod apply;
pub(crate) mod closure;
mod runner;

pub use runner::TransferRunner;

use std::collections::BTreeSet;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use self::apply::{ImportContext, apply};
use super::job_view::to_proto;
use crate::config::Settings;
use crate::domain::bundle::{self, Bundle};
use crate::domain::checksum;
use crate::domain::clock::now_micros;
use crate::domain::job::{JobKind, JobRecord, JobState};
use crate::domain::json;
use crate::domain::names::{Parent, ResourceKind, check_id};
use crate::domain::resource::{Resource, timestamp};
use crate::error::{Error, ErrorCode, FieldViolation, Result};
use crate::observability::metrics;
use crate::proto::{ConflictPolicy, ExportAgentsResponse, ExportResult, ImportAgentsResponse, ImportResult};
use crate::store::Store;

const MAX_REQUEST_ID_CHARS: usize = 128;
/// How long a duplicate request waits for the first one to finish.
const DUPLICATE_WAIT: Duration = Duration::from_secs(60);

/// What an import request asks for besides the bundle.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub dry_run: bool,
    pub policy: ConflictPolicy,
    pub request_id: String,
    pub background: bool,
}

/// The input of a background import, kept in the job's payload.
#[derive(Serialize, Deserialize)]
struct ImportPayload {
    data: String,
    checksum: String,
    policy: i32,
}

#[derive(Clone)]
pub struct TransferService {
    store: Store,
    export_key: Option<String>,
    allow_unverified: bool,
    max_export_agents: usize,
    max_depth: usize,
    fault_after_writes: Option<usize>,
}

impl TransferService {
    pub fn new(store: Store, settings: &Settings) -> Self {
        Self {
            store,
            export_key: settings.export_key.clone(),
            allow_unverified: settings.allow_unverified_bundles,
            max_export_agents: settings.max_export_agents,
            max_depth: settings.max_sub_agent_depth,
            fault_after_writes: settings.import_fault_after_writes,
        }
    }

    pub async fn export(&self, parent: &str, agent_ids: &[String]) -> Result<ExportAgentsResponse> {
        let mut violations = Vec::new();
        let parent = Parent::parse(ResourceKind::Agent, parent, "parent").map_err(|v| violations.push(v)).ok();
        if agent_ids.is_empty() {
            violations.push(FieldViolation::new("agent_ids", "name at least one agent"));
        }
        if agent_ids.len() > self.max_export_agents {
            violations.push(FieldViolation::new(
                "agent_ids",
                format!("at most {} agents per export, got {}", self.max_export_agents, agent_ids.len()),
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, id) in agent_ids.iter().enumerate() {
            let field = format!("agent_ids[{i}]");
            if let Err(v) = check_id(id, &field) {
                violations.push(v);
            } else if !seen.insert(id) {
                violations.push(FieldViolation::new(field, format!("`{id}` is named twice")));
            }
        }
        let (Some(parent), true) = (parent, violations.is_empty()) else {
            return Err(Error::invalid(violations));
        };
        let bundle = closure::collect(&self.store, &parent.tenant, agent_ids, self.max_depth).await?;
        let bytes = bundle::encode(&bundle);
        let data = STANDARD.encode(&bytes);
        let checksum = checksum::checksum(&bytes, self.export_key.as_deref());
        let now = now_micros();
        let result = ExportResult { data: data.clone(), checksum: checksum.clone(), exported_at: Some(timestamp(now)) };
        let mut job =
            JobRecord::new(&parent.tenant, &uuid::Uuid::now_v7().to_string(), JobKind::Export, JobState::Success, now);
        job.export_result = Some(json::to_json(&result));
        if let [only] = agent_ids {
            job.agent_id = Some(only.clone());
        }
        self.store.insert_job(&job).await?;
        metrics::transferred("export", data.len(), &bundle.counts());
        tracing::info!(tenant = %parent.tenant, agents = bundle.agents.len(), tools = bundle.tools.len(),
            mcp_servers = bundle.mcp_servers.len(), job = %job.id, "agents exported");
        Ok(ExportAgentsResponse { data, checksum, exported_at: Some(timestamp(now)), job_id: job.id })
    }

    pub async fn import(
        &self,
        parent: &str,
        data: &str,
        checksum: &str,
        options: ImportOptions,
    ) -> Result<ImportAgentsResponse> {
        let mut violations = Vec::new();
        let parent = Parent::parse(ResourceKind::Agent, parent, "parent").map_err(|v| violations.push(v)).ok();
        if options.request_id.chars().count() > MAX_REQUEST_ID_CHARS {
            violations
                .push(FieldViolation::new("request_id", format!("must be at most {MAX_REQUEST_ID_CHARS} characters")));
        }
        if options.dry_run && options.background {
            violations.push(FieldViolation::new("background", "a dry run runs in the request; do not combine them"));
        }
        let (Some(parent), true) = (parent, violations.is_empty()) else {
            return Err(Error::invalid(violations));
        };
        let bundle = self.open(data, checksum)?;
        if options.background {
            return self.enqueue(&parent.tenant, data, checksum, &options).await;
        }
        let response = self.import_now(&parent.tenant, &bundle, &options).await?;
        if !options.dry_run {
            metrics::transferred("import", data.len(), &bundle.counts());
        }
        Ok(response)
    }

    /// Verifies the checksum, then decodes and validates the whole bundle, reporting every problem.
    fn open(&self, data: &str, checksum: &str) -> Result<Bundle> {
        if checksum.trim().is_empty() {
            return Err(Error::invalid_field("checksum", "is required"));
        }
        let bytes = STANDARD.decode(data.trim()).map_err(|e| {
            Error::invalid_field("data", format!("is not base64: {e}")).with_code(ErrorCode::InvalidBundle)
        })?;
        if !checksum::verify(&bytes, checksum, self.export_key.as_deref()) {
            if !self.allow_unverified {
                return Err(Error::new(
                    ErrorCode::ChecksumMismatch,
                    "the checksum does not match the data: the bundle was changed or exported elsewhere",
                ));
            }
            tracing::warn!("importing a bundle whose checksum does not verify (allowed by configuration)");
        }
        // Paths are inside the decoded data; problems with the data as a whole already say `data`.
        let in_data = |v: FieldViolation| {
            if v.field == "data" { v } else { v.scope("data") }
        };
        let (bundle, decode_problems) = bundle::decode_partial(&bytes)
            .map_err(|violations| bundle_error(violations.into_iter().map(in_data).collect()))?;
        let mut violations: Vec<FieldViolation> = decode_problems.into_iter().map(in_data).collect();
        for (i, e) in bundle.agents.iter().enumerate() {
            violations.extend(scoped(&e.value, &format!("data.agents[{i}]")));
        }
        for (i, e) in bundle.tools.iter().enumerate() {
            violations.extend(scoped(&e.value, &format!("data.tools[{i}]")));
        }
        for (i, e) in bundle.mcp_servers.iter().enumerate() {
            violations.extend(scoped(&e.value, &format!("data.mcpServers[{i}]")));
        }
        for (i, kb) in bundle.knowledge_bases.iter().enumerate() {
            violations.extend(scoped(&kb.knowledge_base, &format!("data.knowledgeBases[{i}]")));
            for (j, d) in kb.documents.iter().enumerate() {
                violations.extend(scoped(&d.value, &format!("data.knowledgeBases[{i}].documents[{j}]")));
            }
        }
        if !violations.is_empty() {
            return Err(bundle_error(violations));
        }
        Ok(bundle)
    }

    async fn import_now(&self, tenant: &str, bundle: &Bundle, options: &ImportOptions) -> Result<ImportAgentsResponse> {
        let tx = self.store.begin().await?;
        tx.lock_tenant_imports(tenant).await?;
        let now = now_micros();
        let mut job =
            JobRecord::new(tenant, &uuid::Uuid::now_v7().to_string(), JobKind::Import, JobState::InProgress, now);
        if !options.dry_run {
            // Claiming the request id first makes a concurrent duplicate wait here, then lose.
            job.request_id = (!options.request_id.is_empty()).then(|| options.request_id.clone());
            if let Err(e) = tx.insert_job(&job).await {
                drop(tx);
                return match (e.code, &job.request_id) {
                    (ErrorCode::AlreadyExists, Some(request_id)) => self.replay(tenant, request_id).await,
                    _ => Err(e),
                };
            }
        }
        let ctx = ImportContext {
            tx: &tx,
            tenant,
            policy: options.policy,
            now,
            dry_run: options.dry_run,
            fault_after_writes: self.fault_after_writes,
        };
        let applied = match apply(&ctx, bundle).await {
            Ok(applied) => applied,
            Err(e) => {
                drop(tx);
                if !options.dry_run {
                    self.record_failure(tenant, &e, now).await;
                }
                return Err(e);
            }
        };
        let result = ImportResult {
            message: applied.message.clone(),
            summary: Some(applied.summary.clone()),
            imported_at: Some(timestamp(now)),
            dry_run: options.dry_run,
        };
        if options.dry_run {
            drop(tx);
            return Ok(response(&result, String::new()));
        }
        let version = job.version;
        job.state = JobState::Success;
        job.import_result = Some(json::to_json(&result));
        job.modified_at = now_micros();
        tx.update_job(&job, version).await?;
        tx.commit().await?;
        tracing::info!(tenant, job = %job.id, agents = applied.summary.agents.len(), "agents imported");
        Ok(response(&result, job.id))
    }

    /// The response of the import that already claimed `request_id`, once it has finished.
    async fn replay(&self, tenant: &str, request_id: &str) -> Result<ImportAgentsResponse> {
        let deadline = tokio::time::Instant::now() + DUPLICATE_WAIT;
        loop {
            let Some(job) = self.store.job_by_request(tenant, request_id).await? else {
                return Err(Error::new(
                    ErrorCode::ConcurrentModification,
                    "the first request with this request_id did not complete; retry",
                ));
            };
            if job.state.is_finished() || job.background {
                return replayed(&job);
            }
            if tokio::time::Instant::now() > deadline {
                return Err(Error::new(
                    ErrorCode::ConcurrentModification,
                    "the first request with this request_id is still running; retry later",
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn enqueue(
        &self,
        tenant: &str,
        data: &str,
        checksum: &str,
        options: &ImportOptions,
    ) -> Result<ImportAgentsResponse> {
        let now = now_micros();
        let mut job =
            JobRecord::new(tenant, &uuid::Uuid::now_v7().to_string(), JobKind::Import, JobState::InProgress, now);
        job.background = true;
        job.trace_parent = crate::telemetry::current_traceparent();
        job.request_id = (!options.request_id.is_empty()).then(|| options.request_id.clone());
        let payload = ImportPayload {
            data: data.trim().to_owned(),
            checksum: checksum.to_owned(),
            policy: options.policy as i32,
        };
        job.payload = Some(serde_json::to_string(&payload).map_err(|e| Error::internal("encode payload", e))?);
        match self.store.insert_job(&job).await {
            Ok(()) => replayed(&job),
            Err(e) if e.code == ErrorCode::AlreadyExists && job.request_id.is_some() => {
                let existing = self.store.job_by_request(tenant, &options.request_id).await?;
                replayed(&existing.ok_or(e)?)
            }
            Err(e) => Err(e),
        }
    }

    async fn record_failure(&self, tenant: &str, error: &Error, now: i64) {
        let mut job =
            JobRecord::new(tenant, &uuid::Uuid::now_v7().to_string(), JobKind::Import, JobState::Failure, now);
        job.message = Some(format!("Import failed; nothing was imported: {}", error.message));
        if let Err(e) = self.store.insert_job(&job).await {
            tracing::warn!(error = %e, "could not record the failed import job");
        }
    }
}

fn scoped<R: Resource>(resource: &R, prefix: &str) -> Vec<FieldViolation> {
    let mut resource = resource.clone();
    resource.apply_defaults();
    resource.violations().into_iter().map(|v| v.scope(prefix)).collect()
}

fn bundle_error(violations: Vec<FieldViolation>) -> Error {
    let mut err = Error::invalid(violations).with_code(ErrorCode::InvalidBundle);
    err.message = format!("the bundle is invalid: {}", err.message.trim_start_matches("invalid "));
    err
}

fn response(result: &ImportResult, job_id: String) -> ImportAgentsResponse {
    ImportAgentsResponse {
        message: result.message.clone(),
        summary: result.summary.clone(),
        imported_at: result.imported_at,
        job_id,
        dry_run: result.dry_run,
        job: None,
    }
}

/// The response a job stands for: its result when finished, the job itself when in the background.
fn replayed(job: &JobRecord) -> Result<ImportAgentsResponse> {
    let proto = to_proto(job)?;
    let mut out = match &proto.import_result {
        Some(result) => response(result, job.id.clone()),
        None => ImportAgentsResponse { job_id: job.id.clone(), ..Default::default() },
    };
    if job.background {
        out.job = Some(proto);
    }
    Ok(out)
}
