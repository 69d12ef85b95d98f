//! Exports: the closure is collected and written with placeholders where document contents go
//! (small: bounded by the entity limits and the message limit), then rendered as a stream that
//! reads each content from the blob store as it passes. The checksum is computed as the bytes
//! pass, and the bundle is kept once (deduplicated) in the blob store for the EXPORT job.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use prost::Message;

use super::render::{Part, mark, render, split, text_len};
use super::{TransferService, closure, entity_rules};
use crate::crypto::dsse::BUNDLE_PAYLOAD_TYPE;
use crate::domain::blob::BlobRef;
use crate::domain::bundle::{self, Bundle, MAX_SECTION_ENTITIES};
use crate::domain::checksum::Hasher;
use crate::domain::clock::now_micros;
use crate::domain::encode::{Encoding, base64_len};
use crate::domain::job::{JobKind, JobRecord, JobState};
use crate::domain::json;
use crate::domain::names::{Parent, ResourceKind, check_id};
use crate::domain::resource::timestamp;
use crate::error::{Error, ErrorCode, FieldViolation, Result};
use crate::proto::{ExportAgentsResponse, ExportResult, ExportedBundle};
use crate::service::signatures::sign_staged;
use crate::service::signing::signing_key;
use crate::store::{Owner, Store};
use ed25519_dalek::SigningKey;

pub const STREAM_CALL: &str = "agentport.v1.AgentService/StreamExportAgents";

/// What a streamed export yields: the bundle's bytes, then what the job recorded.
#[derive(Debug, Clone)]
pub enum ExportItem {
    Bytes(Bytes),
    Done(ExportedBundle),
}

/// An export ready to stream.
pub struct ExportPlan {
    tenant: String,
    counts: [(&'static str, usize); 5],
    parts: Vec<Part>,
    /// The bundle's size when no content needs escaping: a lower bound.
    least_size: u64,
    job: JobRecord,
    /// The key that signs the bundle, and its id.
    signer: Option<(String, SigningKey)>,
}

impl TransferService {
    /// Checks the request and collects the closure; nothing is read of document contents yet.
    /// A signing key is opened here, so that a wrong one fails before anything is written.
    pub async fn plan_export(&self, parent: &str, agent_ids: &[String], signing_key_id: &str) -> Result<ExportPlan> {
        let parent = self.check_export(parent, agent_ids, signing_key_id)?;
        let signer = match signing_key_id {
            "" => None,
            id => Some((id.to_owned(), signing_key(&self.store, &parent.tenant, id).await?)),
        };
        let mut bundle = closure::collect(&self.store, &parent.tenant, agent_ids, self.max_depth).await?;
        self.check_importable(&bundle)?;
        let mark = mark();
        let mut contents = Vec::new();
        for document in bundle.knowledge_bases.iter_mut().flat_map(|kb| kb.documents.iter_mut()) {
            if !document.value.sha256.is_empty() {
                document.value.content = format!("{mark}{}", contents.len());
                contents
                    .push(BlobRef { sha256: document.value.sha256.clone(), size: document.value.size_bytes as u64 });
            }
        }
        let encoded = bundle::encode(&bundle);
        check_exportable(&parent, &encoded)?;
        let parts = split(encoded, &mark, &contents);
        let metadata = text_len(&parts);
        if metadata > self.max_message_bytes as u64 {
            return Err(Error::new(
                ErrorCode::FailedPrecondition,
                format!(
                    "the bundle's agents, tools, MCP servers and knowledge bases take {metadata} bytes without \
                     document content, more than an import accepts ({} bytes, the message limit)",
                    self.max_message_bytes
                ),
            ));
        }
        let least_size = metadata + contents.iter().map(|c| c.size).sum::<u64>();
        let mut job = JobRecord::new(
            &parent.tenant,
            &uuid::Uuid::now_v7().to_string(),
            JobKind::Export,
            JobState::InProgress,
            now_micros(),
        );
        if let [only] = agent_ids {
            job.agent_id = Some(only.clone());
        }
        tracing::info!(tenant = %parent.tenant, agents = bundle.agents.len(), tools = bundle.tools.len(),
            mcp_servers = bundle.mcp_servers.len(), documents = contents.len(), job = %job.id, "export planned");
        Ok(ExportPlan { tenant: parent.tenant, counts: bundle.counts(), parts, least_size, job, signer })
    }

    /// The bundle as a stream. The job is IN_PROGRESS while it runs, SUCCESS once the last item
    /// was taken, FAILURE when the stream is dropped before.
    pub async fn run_export(
        &self,
        plan: ExportPlan,
    ) -> Result<impl Stream<Item = Result<ExportItem>> + Send + 'static + use<>> {
        self.store.insert_job(&plan.job).await?;
        let service = self.clone();
        Ok(async_stream::try_stream! {
            let ExportPlan { tenant, parts, job, counts, signer, .. } = plan;
            let mut guard = JobGuard { store: service.store.clone(), job: Some(job.clone()) };
            let mut hasher = Hasher::new(service.export_key.as_ref().map(secrecy::ExposeSecret::expose_secret));
            // Written behind the stream: the caller does not wait for the database's writes.
            let mut upload = service.store.begin_upload(&tenant).await?.behind();
            let mut bytes = std::pin::pin!(render(service.store.clone(), tenant.clone(), parts, Encoding::JacksonText));
            while let Some(piece) = bytes.next().await {
                let piece = piece?;
                hasher.update(&piece);
                upload.write(piece.clone()).await?;
                yield ExportItem::Bytes(piece);
            }
            let staged = upload.finish().await?;
            let signature = match signer {
                Some((key_id, key)) => {
                    Some(sign_staged(&service.store, (key, &key_id), BUNDLE_PAYLOAD_TYPE, &staged).await?)
                }
                None => None,
            };
            let exported_at = now_micros();
            let done = ExportedBundle {
                checksum: hasher.finish(),
                exported_at: Some(timestamp(exported_at)),
                job_id: job.id.clone(),
                size_bytes: staged.blob.size as i64,
                signature: signature.clone(),
            };
            yield ExportItem::Done(done.clone());
            // Only once the last item was taken: the caller has seen the whole bundle.
            let result = ExportResult {
                data: String::new(),
                checksum: done.checksum.clone(),
                exported_at: done.exported_at,
                size_bytes: done.size_bytes,
                sha256: staged.blob.sha256.clone(),
                signature,
            };
            let mut finished = job.clone();
            finished.state = JobState::Success;
            finished.export_result = Some(json::to_json(&result));
            finished.modified_at = now_micros();
            let tx = service.store.begin().await?;
            tx.attach_blob(&staged, &Owner::Job(job.id.clone()), exported_at).await?;
            tx.update_job(&finished, job.version).await?;
            tx.commit().await?;
            guard.job = None;
            crate::observability::metrics::transferred("export", done.size_bytes as usize, &counts);
            tracing::info!(tenant = %tenant, job = %job.id, bytes = done.size_bytes, "agents exported");
        })
    }

    /// The unary export: refused before any content is read when the bundle cannot fit.
    pub async fn export(
        &self,
        parent: &str,
        agent_ids: &[String],
        signing_key_id: &str,
    ) -> Result<ExportAgentsResponse> {
        let plan = self.plan_export(parent, agent_ids, signing_key_id).await?;
        let least = base64_len(plan.least_size) + 256;
        if least > self.max_message_bytes as u64 {
            return Err(Error::too_large("the bundle", least, self.max_message_bytes, STREAM_CALL));
        }
        let mut items = std::pin::pin!(self.run_export(plan).await?);
        let mut data = Vec::new();
        while let Some(item) = items.next().await {
            match item? {
                ExportItem::Bytes(piece) => data.extend_from_slice(&piece),
                ExportItem::Done(done) => {
                    let response = ExportAgentsResponse {
                        data: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &data),
                        checksum: done.checksum,
                        exported_at: done.exported_at,
                        job_id: done.job_id,
                        signature: done.signature,
                    };
                    if response.encoded_len() + 16 > self.max_message_bytes {
                        // Dropping the stream records the job as failed.
                        let size = response.encoded_len() as u64;
                        return Err(Error::too_large("the bundle", size, self.max_message_bytes, STREAM_CALL));
                    }
                    while let Some(rest) = items.next().await {
                        rest?;
                    }
                    return Ok(response);
                }
            }
        }
        Err(Error::internal("export", "the stream ended without its last message"))
    }

    fn check_export(&self, parent: &str, agent_ids: &[String], signing_key_id: &str) -> Result<Parent> {
        let mut violations = Vec::new();
        let parent = Parent::parse(ResourceKind::Agent, parent, "parent").map_err(|v| violations.push(v)).ok();
        if let (false, Err(v)) = (signing_key_id.is_empty(), check_id(signing_key_id, "signing_key_id")) {
            violations.push(v);
        }
        if agent_ids.is_empty() {
            violations.push(FieldViolation::new("agent_ids", "name at least one agent"));
        }
        if agent_ids.len() > self.max_export_agents {
            violations.push(FieldViolation::new(
                "agent_ids",
                format!("at most {} agents per export, got {}", self.max_export_agents, agent_ids.len()),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, id) in agent_ids.iter().enumerate() {
            let field = format!("agent_ids[{i}]");
            if let Err(v) = check_id(id, &field) {
                violations.push(v);
            } else if !seen.insert(id) {
                violations.push(FieldViolation::new(field, format!("`{id}` is named twice")));
            }
        }
        match (parent, violations.is_empty()) {
            (Some(parent), true) => Ok(parent),
            _ => Err(Error::invalid(violations)),
        }
    }

    /// Refuses a bundle that an import of this version would refuse.
    fn check_importable(&self, bundle: &Bundle) -> Result<()> {
        let sections = [
            ("agents", bundle.agents.len()),
            ("tools", bundle.tools.len()),
            ("mcpServers", bundle.mcp_servers.len()),
            ("knowledgeBases", bundle.knowledge_bases.len()),
        ];
        let mut problems: Vec<String> = sections
            .iter()
            .filter(|(_, n)| *n > MAX_SECTION_ENTITIES)
            .map(|(section, n)| format!("{n} {section} (at most {MAX_SECTION_ENTITIES})"))
            .collect();
        for kb in &bundle.knowledge_bases {
            if kb.documents.len() > self.limits.max_per_knowledge_base {
                problems.push(format!(
                    "{} documents in knowledge base `{}` (at most {})",
                    kb.documents.len(),
                    kb.id,
                    self.limits.max_per_knowledge_base
                ));
            }
            for document in kb.documents.iter().filter(|d| d.value.size_bytes as u64 > self.limits.max_bytes) {
                problems.push(format!(
                    "document `{}` of {} bytes (at most {})",
                    document.id, document.value.size_bytes, self.limits.max_bytes
                ));
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        Err(Error::new(
            ErrorCode::FailedPrecondition,
            format!("the bundle would hold more than an import accepts: {}", problems.join(", ")),
        ))
    }
}

/// Refuses a bundle whose agents, tools or MCP servers an import would refuse: entities stored
/// over gRPC or the xpander dialect may hold values the Emporix format does not allow (a
/// temperature of 1.5, no `userPrompt`). The encoded bytes are read back as an import reads
/// them, so what is checked is what would be written.
fn check_exportable(parent: &Parent, encoded: &[u8]) -> Result<()> {
    let (decoded, unreadable) =
        bundle::decode_partial(encoded).map_err(|e| Error::internal("re-read export", &e[0].description))?;
    let refused = entity_rules::refused(&decoded);
    if unreadable.is_empty() && refused.is_empty() {
        return Ok(());
    }
    let mut violations = unreadable;
    let mut said = Vec::new();
    for (at, found) in refused {
        let problems: Vec<String> = found.iter().map(|v| format!("{} {}", v.field, v.description)).collect();
        said.push(format!("{} `{}` ({})", at.kind(), at.id, problems.join("; ")));
        violations.extend(found.into_iter().map(|v| v.scope(&format!("{}[{}]", at.section, at.id))));
    }
    let mut err = Error::new(
        ErrorCode::NotExportable,
        format!(
            "an import would refuse what the bundle holds, so nothing was exported; change it, then export \
             again: {}",
            if said.is_empty() { "the bundle does not read back".to_owned() } else { said.join(", ") }
        ),
    )
    .with_meta("tenant", parent.tenant.clone());
    err.violations = violations;
    Err(err)
}

/// Records an export's job as failed unless the export finished.
struct JobGuard {
    store: Store,
    job: Option<JobRecord>,
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        let Some(job) = self.job.take() else { return };
        let store = self.store.clone();
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                let mut failed = job.clone();
                failed.state = JobState::Failure;
                failed.message = Some("the export ended before the caller received all of it".to_owned());
                failed.modified_at = now_micros();
                if let Err(e) = store.update_job(&failed, job.version).await {
                    tracing::warn!(job = %job.id, error = %e, "could not record the failed export");
                }
                tracing::warn!(tenant = %job.tenant, job = %job.id, "export stream ended early");
            });
        }
    }
}
