//! Jobs as callers see them: stored records to `agentport.v1.Job`, and `fields` projections.

use crate::domain::job::{JobKind, JobRecord, JobState};
use crate::domain::json;
use crate::domain::resource::timestamp;
use crate::error::{Error, Result};
use crate::proto::{ExportResult, ImportResult, Job, JobStatus, JobType};

pub fn job_type(kind: JobKind) -> JobType {
    match kind {
        JobKind::Import => JobType::Import,
        JobKind::Export => JobType::Export,
        JobKind::AgentChat => JobType::AgentChat,
        JobKind::TemplateExport => JobType::TemplateExport,
    }
}

pub fn job_status(state: JobState) -> JobStatus {
    match state {
        JobState::InProgress => JobStatus::InProgress,
        JobState::Success => JobStatus::Success,
        JobState::Failure => JobStatus::Failure,
        JobState::Skipped => JobStatus::Skipped,
        JobState::NeedsReview => JobStatus::NeedsReview,
    }
}

pub fn job_state(status: JobStatus) -> Option<JobState> {
    match status {
        JobStatus::Unspecified => None,
        JobStatus::InProgress => Some(JobState::InProgress),
        JobStatus::Success => Some(JobState::Success),
        JobStatus::Failure => Some(JobState::Failure),
        JobStatus::Skipped => Some(JobState::Skipped),
        JobStatus::NeedsReview => Some(JobState::NeedsReview),
    }
}

pub fn job_name(tenant: &str, id: &str) -> String {
    format!("tenants/{tenant}/jobs/{id}")
}

pub fn to_proto(record: &JobRecord) -> Result<Job> {
    let export_result = record
        .export_result
        .as_deref()
        .map(json::from_json::<ExportResult>)
        .transpose()
        .map_err(|e| Error::internal("decode export result", e))?;
    let import_result = record
        .import_result
        .as_deref()
        .map(json::from_json::<ImportResult>)
        .transpose()
        .map_err(|e| Error::internal("decode import result", e))?;
    Ok(Job {
        name: job_name(&record.tenant, &record.id),
        r#type: job_type(record.kind) as i32,
        status: job_status(record.state) as i32,
        agent_type: record.agent_type.clone().unwrap_or_default(),
        export_result,
        import_result,
        session_id: record.session_id.clone().unwrap_or_default(),
        agent_id: record.agent_id.clone().unwrap_or_default(),
        message: record.message.clone().unwrap_or_default(),
        commerce_event: record.commerce_event.clone().unwrap_or_default(),
        background: record.background,
        attempts: record.attempts,
        revision: record.version,
        create_time: Some(timestamp(record.created_at)),
        update_time: Some(timestamp(record.modified_at)),
    })
}

/// Keeps only the projected fields (Emporix names); `name` always stays.
pub fn project(job: &mut Job, fields: &[String]) {
    if fields.is_empty() {
        return;
    }
    let wants = |field: &str| fields.iter().any(|f| f == field || f.starts_with(&format!("{field}.")));
    let mut kept = Job { name: std::mem::take(&mut job.name), ..Default::default() };
    if wants("type") {
        kept.r#type = job.r#type;
    }
    if wants("status") {
        kept.status = job.status;
    }
    if wants("agentType") {
        kept.agent_type = std::mem::take(&mut job.agent_type);
    }
    if wants("exportResult") {
        kept.export_result = job.export_result.take();
    }
    if wants("importResult") {
        kept.import_result = job.import_result.take();
    }
    if wants("sessionId") {
        kept.session_id = std::mem::take(&mut job.session_id);
    }
    if wants("agentId") {
        kept.agent_id = std::mem::take(&mut job.agent_id);
    }
    if wants("message") {
        kept.message = std::mem::take(&mut job.message);
    }
    if wants("commerceEvent") {
        kept.commerce_event = std::mem::take(&mut job.commerce_event);
    }
    if wants("background") {
        kept.background = job.background;
    }
    if wants("attempts") {
        kept.attempts = job.attempts;
    }
    let whole_metadata = fields.iter().any(|f| f == "metadata");
    if whole_metadata || wants("metadata.version") {
        kept.revision = job.revision;
    }
    if whole_metadata || wants("metadata.createdAt") {
        kept.create_time = job.create_time;
    }
    if whole_metadata || wants("metadata.modifiedAt") {
        kept.update_time = job.update_time;
    }
    *job = kept;
}
