//! Moving agents between tenants: bundle export and import. Both stream: an export renders
//! the bundle as it reads document contents, an import stores the incoming bytes, verifies
//! their checksum, then parses them with a streaming reader that puts document contents
//! straight into the blob store. The unary calls are the same paths, for bundles that fit in
//! one message.

mod apply;
mod bundle_json;
pub(crate) mod closure;
pub(crate) mod entity_rules;
mod export;
mod parse;
mod plan;
pub(crate) mod render;
mod runner;
mod spool;

pub use bundle_json::read_bundle_json;
pub use export::ExportItem;
pub use parse::{ParseLimits, Parsed, Shape, parse};
pub use runner::TransferRunner;
pub use spool::ImportPart;

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use futures_util::Stream;
use serde::{Deserialize, Serialize};

use self::apply::{ImportContext, apply};
use self::entity_rules::scoped;
use self::plan::PlanRequest;
use self::spool::{Spooled, spool};
use super::job_view::to_proto;
use crate::config::Settings;
use crate::crypto::dsse::BUNDLE_PAYLOAD_TYPE;
use crate::domain::bundle::{self, Bundle};
use crate::domain::checksum;
use crate::domain::clock::now_micros;
use crate::domain::job::{JobKind, JobRecord, JobState};
use crate::domain::json;
use crate::domain::limits::DocumentLimits;
use crate::domain::names::{Parent, ResourceKind};
use crate::domain::plan::id::rename_millis;
use crate::domain::resource::timestamp;
use crate::domain::signing::{Verdict, decide};
use crate::error::{Error, ErrorCode, FieldViolation, Result};
use crate::observability::metrics;
use crate::proto::{BundleSignature, ConflictPolicy, ImportAgentsResponse, ImportResult, Signer};
use crate::service::SettingsService;
use crate::service::documents::content::{StagedContents, discard_all};
use crate::service::documents::set_content;
use crate::service::signatures::{refusal, verify_staged};
use crate::store::{Owner, Store};

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
    /// The bundle's signature, when the request carries it (a stream may carry it later).
    pub signature: Option<BundleSignature>,
    /// Refuse a bundle not signed by a trusted key, whatever the tenant's policy.
    pub require_signature: bool,
    /// Required secret id -> the tenant's secret id (see `domain::requirements`).
    pub secret_mappings: BTreeMap<String, String>,
    /// Apply exactly this plan (a dry run's `plan_id`), or refuse with PLAN_STALE.
    pub plan_id: String,
}

/// The input of a background import, kept in the job's payload: the bundle is a blob the job
/// holds a reference to. (`data` is the inline base64 of jobs queued by earlier releases.)
#[derive(Serialize, Deserialize)]
struct ImportPayload {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    bundle_sha256: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    data: String,
    checksum: String,
    policy: i32,
    /// Who signed the bundle, for the job's result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signer: Option<Signer>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    secret_mappings: BTreeMap<String, String>,
}

/// What seals the secrets an import writes, obtained before its transaction (a tenant's first
/// data key is committed on its own). Bundles carry no credentials today; one that did would
/// have them sealed like any write.
async fn bundle_sealer(store: &Store, tenant: &str, bundle: &Bundle) -> Result<crate::store::Sealer> {
    use super::sealing::has_secret_text;
    let secrets = bundle.agents.iter().any(|e| has_secret_text(&e.value))
        || bundle.tools.iter().any(|e| has_secret_text(&e.value))
        || bundle.mcp_servers.iter().any(|e| has_secret_text(&e.value));
    store.keyring().sealer(tenant, secrets).await
}

#[derive(Clone)]
pub struct TransferService {
    store: Store,
    export_key: Option<secrecy::SecretString>,
    allow_unverified: bool,
    max_export_agents: usize,
    max_depth: usize,
    fault_after_writes: Option<usize>,
    limits: DocumentLimits,
    max_message_bytes: usize,
    max_bundle_bytes: u64,
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
            limits: settings.document_limits(),
            max_message_bytes: settings.max_request_bytes,
            max_bundle_bytes: settings.max_bundle_bytes,
        }
    }

    /// The unary import: base64 data that fits in one message, then the streaming path.
    pub async fn import(
        &self,
        parent: &str,
        data: &str,
        checksum: &str,
        options: ImportOptions,
    ) -> Result<ImportAgentsResponse> {
        let bytes = STANDARD.decode(data.trim()).map_err(|e| {
            Error::invalid_field("data", format!("is not base64: {e}")).with_code(ErrorCode::InvalidBundle)
        })?;
        let parts = futures_util::stream::iter([Ok(ImportPart::Bytes(Bytes::from(bytes)))]);
        self.import_stream(parent, checksum, options, parts).await
    }

    /// Imports a bundle arriving as a stream: stored as it arrives, its checksum verified
    /// before any of it is parsed, then parsed from the store.
    pub async fn import_stream<S>(
        &self,
        parent: &str,
        checksum: &str,
        options: ImportOptions,
        parts: S,
    ) -> Result<ImportAgentsResponse>
    where
        S: Stream<Item = Result<ImportPart>> + Send,
    {
        let tenant = self.check_import(parent, &options)?;
        let mut options = options;
        let spooled = spool(
            &self.store,
            &tenant,
            parts,
            self.export_key.as_ref().map(secrecy::ExposeSecret::expose_secret),
            self.max_bundle_bytes,
            checksum.to_owned(),
        )
        .await?;
        if let Some(mappings) = &spooled.mappings {
            // A REST body carries its mappings beside the data.
            options.secret_mappings.extend(mappings.clone());
        }
        let checked = match self.verify(&spooled) {
            Ok(()) => self.check_signature(&tenant, &spooled, &options).await,
            Err(e) => Err(e),
        };
        let (signer, verdict) = match checked {
            Ok(checked) => checked,
            Err(e) => {
                self.store.discard_upload(&spooled.staged.tenant, &spooled.staged.upload_id).await;
                return Err(e);
            }
        };
        if let Verdict::Hold { why } = verdict {
            return self.enqueue(&tenant, spooled, &options, signer, Some(why)).await;
        }
        if options.background {
            return self.enqueue(&tenant, spooled, &options, signer, None).await;
        }
        let bytes = self.store.read_staged(&spooled.staged);
        let blob = &spooled.staged.blob;
        let result = self.import_bytes(&tenant, bytes, &options, (blob.size, &blob.sha256), signer).await;
        self.store.discard_upload(&spooled.staged.tenant, &spooled.staged.upload_id).await;
        result
    }

    fn check_import(&self, parent: &str, options: &ImportOptions) -> Result<String> {
        let mut violations = Vec::new();
        let parent = Parent::parse(ResourceKind::Agent, parent, "parent").map_err(|v| violations.push(v)).ok();
        if options.request_id.chars().count() > MAX_REQUEST_ID_CHARS {
            violations
                .push(FieldViolation::new("request_id", format!("must be at most {MAX_REQUEST_ID_CHARS} characters")));
        }
        if options.dry_run && options.background {
            violations.push(FieldViolation::new("background", "a dry run runs in the request; do not combine them"));
        }
        if !options.plan_id.is_empty() {
            if rename_millis(&options.plan_id).is_none() {
                violations.push(FieldViolation::new("plan_id", "is not a plan id (take it from a dry run's plan)"));
            }
            if options.background {
                violations
                    .push(FieldViolation::new("plan_id", "a plan is applied in the request; not with background"));
            }
        }
        match (parent, violations.is_empty()) {
            (Some(parent), true) => Ok(parent.tenant),
            _ => Err(Error::invalid(violations)),
        }
    }

    /// Who signed the stored bundle, and what the tenant's policy makes of it: an invalid
    /// signature or a refusal is an error; a dry run is never held (it writes nothing).
    async fn check_signature(
        &self,
        tenant: &str,
        spooled: &Spooled,
        options: &ImportOptions,
    ) -> Result<(Option<Signer>, Verdict)> {
        let envelope = spooled.signature.as_ref().or(options.signature.as_ref());
        let signer = verify_staged(&self.store, tenant, envelope, (BUNDLE_PAYLOAD_TYPE, &spooled.staged)).await?;
        let policy = self.store.signing_policy(tenant).await?;
        let verdict = match decide(&policy, signer.as_ref(), options.require_signature) {
            verdict if options.dry_run => {
                verdict.without_hold(signer.as_ref(), "a real import would be held for review")
            }
            verdict => verdict,
        };
        if let Some(e) = refusal(&verdict) {
            return Err(e);
        }
        if let Some(s) = &signer {
            tracing::info!(tenant, key = %s.key_id, verified = s.verified, trusted = s.trusted, "bundle signature checked");
        }
        Ok((signer, verdict))
    }

    /// The checksum the caller gave must be the one computed as the bytes passed.
    fn verify(&self, spooled: &Spooled) -> Result<()> {
        if spooled.given.trim().is_empty() {
            return Err(Error::invalid_field("checksum", "is required"));
        }
        if checksum::matches(&spooled.computed, &spooled.given) {
            return Ok(());
        }
        if !self.allow_unverified {
            return Err(Error::new(
                ErrorCode::ChecksumMismatch,
                "the checksum does not match the data: the bundle was changed or exported elsewhere",
            ));
        }
        tracing::warn!("importing a bundle whose checksum does not verify (allowed by configuration)");
        Ok(())
    }

    /// Parses a verified bundle (document contents into staged blobs) and imports it.
    async fn import_bytes<S>(
        &self,
        tenant: &str,
        bytes: S,
        options: &ImportOptions,
        (size, sha256): (u64, &str),
        signer: Option<Signer>,
    ) -> Result<ImportAgentsResponse>
    where
        S: Stream<Item = Result<Bytes>> + Send + 'static,
    {
        let (bundle, contents) = self.open(tenant, bytes).await?;
        let staged = Staging { bundle: &bundle, contents: &contents, sha256 };
        let result = self.import_staged(tenant, staged, options, signer).await;
        discard_all(&self.store, contents).await;
        if result.is_ok() && !options.dry_run {
            metrics::transferred("import", size as usize, &bundle.counts());
        }
        result
    }

    /// Reads and validates a bundle, reporting every problem; its document contents are staged.
    async fn open<S>(&self, tenant: &str, bytes: S) -> Result<(Bundle, StagedContents)>
    where
        S: Stream<Item = Result<Bytes>> + Send + 'static,
    {
        let limits = ParseLimits { documents: self.limits, max_metadata_bytes: self.max_message_bytes };
        let parsed = parse(&self.store, tenant, bytes, Shape::Bundle, limits, "data").await?;
        match self.validate(&parsed) {
            Ok((bundle, contents)) => Ok((bundle, contents)),
            Err(e) => {
                for staged in &parsed.contents {
                    self.store.discard_upload(&staged.tenant, &staged.upload_id).await;
                }
                Err(e)
            }
        }
    }

    fn validate(&self, parsed: &Parsed) -> Result<(Bundle, StagedContents)> {
        // Paths are inside the decoded data; problems with the data as a whole already say `data`.
        let in_data = |v: FieldViolation| {
            if v.field == "data" { v } else { v.scope("data") }
        };
        // The version first: a newer major version is refused before its fields are read.
        let upgraded = bundle::migrate::upgrade(&parsed.value)?;
        let (mut bundle, decode_problems) = bundle::decode_value(&upgraded.value)
            .map_err(|violations| bundle_error(violations.into_iter().map(in_data).collect()))?;
        bundle.warnings = upgraded.warnings();
        let mut violations: Vec<FieldViolation> = decode_problems.into_iter().map(in_data).collect();
        // The rules of a REST PUT, in Emporix names; an export applies the same ones.
        violations.extend(entity_rules::violations(&bundle, |at| format!("data.{}[{}]", at.section, at.index)));
        let mut contents = StagedContents::new();
        for (i, kb) in bundle.knowledge_bases.iter_mut().enumerate() {
            violations.extend(scoped(&kb.knowledge_base, &format!("data.knowledgeBases[{i}]")));
            for (j, d) in kb.documents.iter_mut().enumerate() {
                if let Some(staged) = parsed.content(&d.value.content) {
                    set_content(&mut d.value, Some(&staged.blob));
                    contents.insert((kb.id.clone(), d.id.clone()), staged.clone());
                }
                violations.extend(scoped(&d.value, &format!("data.knowledgeBases[{i}].documents[{j}]")));
            }
        }
        if !violations.is_empty() {
            return Err(bundle_error(violations));
        }
        Ok((bundle, contents))
    }

    async fn import_staged(
        &self,
        tenant: &str,
        Staging { bundle, contents, sha256 }: Staging<'_>,
        options: &ImportOptions,
        signer: Option<Signer>,
    ) -> Result<ImportAgentsResponse> {
        let sealer = bundle_sealer(&self.store, tenant, bundle).await?;
        let settings = SettingsService::for_tenant(&self.store, tenant).await?;
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
            sealer: &sealer,
            tenant,
            policy: options.policy,
            now,
            rename_millis: rename_millis(&options.plan_id).unwrap_or(now / 1000),
            dry_run: options.dry_run,
            fault_after_writes: self.fault_after_writes,
            contents,
            mappings: &options.secret_mappings,
            settings: &settings,
            plan: (options.dry_run || !options.plan_id.is_empty()).then(|| PlanRequest {
                bundle_sha256: sha256,
                expected: (!options.plan_id.is_empty()).then_some(options.plan_id.as_str()),
            }),
        };
        let applied = match apply(&ctx, bundle).await {
            Ok(applied) => applied,
            Err(e) => {
                drop(tx);
                // A stale plan is refused before anything happens: not even a failed job.
                if !options.dry_run && e.code != ErrorCode::PlanStale {
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
            signer,
            secret_requirements: applied.requirements.clone(),
            warnings: bundle.warnings.clone(),
        };
        if options.dry_run {
            drop(tx);
            return Ok(ImportAgentsResponse { plan: applied.plan, ..response(&result, String::new()) });
        }
        let version = job.version;
        job.state = JobState::Success;
        job.import_result = Some(json::to_json(&result));
        job.modified_at = now_micros();
        tx.update_job(&job, version).await?;
        tx.commit().await?;
        tracing::info!(tenant, job = %job.id, agents = applied.summary.agents.len(), "agents imported");
        Ok(ImportAgentsResponse { plan: applied.plan, ..response(&result, job.id) })
    }

    /// Queues a background import: the job holds the stored bundle until it finishes. With
    /// `held` (why), the job waits in NEEDS_REVIEW for an approval instead.
    async fn enqueue(
        &self,
        tenant: &str,
        spooled: Spooled,
        options: &ImportOptions,
        signer: Option<Signer>,
        held: Option<String>,
    ) -> Result<ImportAgentsResponse> {
        let now = now_micros();
        let state = if held.is_some() { JobState::NeedsReview } else { JobState::InProgress };
        let mut job = JobRecord::new(tenant, &uuid::Uuid::now_v7().to_string(), JobKind::Import, state, now);
        job.background = true;
        if let Some(why) = held {
            let message = format!("Held for review; nothing was imported: {why}");
            tracing::info!(tenant, job = %job.id, why, "import held for review");
            let result = ImportResult { message: message.clone(), signer: signer.clone(), ..Default::default() };
            job.import_result = Some(json::to_json(&result));
            job.message = Some(message);
        }
        job.trace_parent = crate::telemetry::current_traceparent();
        job.request_id = (!options.request_id.is_empty()).then(|| options.request_id.clone());
        let payload = ImportPayload {
            bundle_sha256: spooled.staged.blob.sha256.clone(),
            data: String::new(),
            checksum: spooled.given.clone(),
            policy: options.policy as i32,
            signer,
            secret_mappings: options.secret_mappings.clone(),
        };
        job.payload = Some(serde_json::to_string(&payload).map_err(|e| Error::internal("encode payload", e))?);
        let queued = async {
            let tx = self.store.begin().await?;
            tx.insert_job(&job).await?;
            tx.attach_blob(&spooled.staged, &Owner::JobPayload(job.id.clone()), now).await?;
            tx.commit().await
        }
        .await;
        match queued {
            Ok(()) => replayed(&job),
            Err(e) => {
                self.store.discard_upload(&spooled.staged.tenant, &spooled.staged.upload_id).await;
                match (e.code, &job.request_id) {
                    (ErrorCode::AlreadyExists, Some(request_id)) => {
                        let existing = self.store.job_by_request(tenant, request_id).await?;
                        replayed(&existing.ok_or(e)?)
                    }
                    _ => Err(e),
                }
            }
        }
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

    async fn record_failure(&self, tenant: &str, error: &Error, now: i64) {
        let mut job =
            JobRecord::new(tenant, &uuid::Uuid::now_v7().to_string(), JobKind::Import, JobState::Failure, now);
        job.message = Some(format!("Import failed; nothing was imported: {}", error.message));
        if let Err(e) = self.store.insert_job(&job).await {
            tracing::warn!(error = %e, "could not record the failed import job");
        }
    }
}

/// A parsed bundle with its staged document contents and the SHA-256 of its bytes.
struct Staging<'a> {
    bundle: &'a Bundle,
    contents: &'a StagedContents,
    sha256: &'a str,
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
        signer: result.signer.clone(),
        secret_requirements: result.secret_requirements.clone(),
        plan: None,
        warnings: result.warnings.clone(),
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
