//! The jobs history: search, get, delete, record chat jobs, watch one job.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use prost::Message;

use super::job_feed::{JobFeed, JobStream};
use super::job_view::{self, job_state, to_proto};
use crate::domain::clock::now_micros;
use crate::domain::encode::base64_len;
use crate::domain::job::{JobKind, JobRecord, JobState};
use crate::domain::names::{Parent, ResourceKind, ResourceName, check_id};
use crate::domain::query::{self, JOB_FIELDS, JOB_PROJECTION_FIELDS};
use crate::error::{Error, ErrorCode, FieldViolation, Result};
use crate::proto::{Job, JobStatus, JobType};
use crate::store::Store;

pub const DEFAULT_JOB_PAGE_SIZE: u64 = 50;
pub const MAX_JOB_PAGE_SIZE: u64 = 1000;
const DEFAULT_SORT: &str = "metadata.createdAt:desc";
const AGENT_TYPES: &[&str] = &["support", "generic", "complaint", "anti_fraud"];
const MAX_MESSAGE_CHARS: usize = 100_000;
const MAX_REFERENCE_CHARS: usize = 256;

/// A search as callers ask for it.
#[derive(Debug, Clone, Default)]
pub struct JobSearch {
    pub parent: String,
    pub q: String,
    pub page_size: i32,
    pub page_number: i32,
    pub sort: String,
    pub fields: String,
    pub include_total: bool,
}

#[derive(Clone)]
pub struct JobService {
    store: Store,
    feed: JobFeed,
    stall_searches: bool,
    max_message_bytes: usize,
}

const DOWNLOAD_CALL: &str = "agentport.v1.JobService/DownloadJobResult";

impl JobService {
    pub fn new(store: Store, feed: JobFeed, max_message_bytes: usize) -> Self {
        Self { store, feed, stall_searches: false, max_message_bytes }
    }

    /// Testing only: each search first runs a statement that takes minutes.
    pub fn stalling_searches(mut self) -> Self {
        self.stall_searches = true;
        self
    }

    pub async fn search(&self, search: &JobSearch) -> Result<(Vec<Job>, Option<u64>)> {
        let mut violations = Vec::new();
        let parent = Parent::parse(ResourceKind::Job, &search.parent, "parent").map_err(|v| violations.push(v)).ok();
        let size = match search.page_size {
            0 => DEFAULT_JOB_PAGE_SIZE,
            n if n < 0 || n as u64 > MAX_JOB_PAGE_SIZE => {
                violations.push(FieldViolation::new("page_size", format!("must be between 1 and {MAX_JOB_PAGE_SIZE}")));
                0
            }
            n => n as u64,
        };
        let number = match search.page_number {
            0 => 1,
            n if n < 0 => {
                violations.push(FieldViolation::new("page_number", "must be 1 or more"));
                1
            }
            n => n as u64,
        };
        if !violations.is_empty() {
            return Err(Error::invalid(violations));
        }
        let parent = parent.expect("checked above");
        let q = query::parse(&search.q, JOB_FIELDS)?;
        let sort_text = if search.sort.trim().is_empty() { DEFAULT_SORT } else { search.sort.as_str() };
        let sort = query::parse_sort(sort_text, JOB_FIELDS)?;
        let fields = query::parse_fields(&search.fields, JOB_PROJECTION_FIELDS)?;
        if self.stall_searches {
            self.store.stall().await?;
        }
        let (records, total) =
            self.store.search_jobs(&parent.tenant, &q, &sort, (number - 1) * size, size, search.include_total).await?;
        let mut jobs = Vec::with_capacity(records.len());
        for record in &records {
            let mut job = to_proto(record)?;
            job_view::project(&mut job, &fields);
            jobs.push(job);
        }
        Ok((jobs, total))
    }

    /// A job; with `inline`, an export's bundle is read into `export_result.data` when it fits
    /// in one message. Without, `data` stays empty and callers stream it (`download_result`).
    pub async fn get(&self, name: &str, fields: &str, inline: bool) -> Result<Job> {
        let name = parse_name(name)?;
        let fields = query::parse_fields(fields, JOB_PROJECTION_FIELDS)?;
        let mut job = to_proto(&self.store.get_job(&name.tenant, &name.id).await?)?;
        job_view::project(&mut job, &fields);
        let size = job.encoded_len() as u64;
        if let Some(result) = job.export_result.as_mut().filter(|r| inline && r.data.is_empty() && !r.sha256.is_empty())
        {
            let needed = base64_len(result.size_bytes as u64) + size + 64;
            if needed > self.max_message_bytes as u64 {
                return Err(Error::too_large("the job's export result", needed, self.max_message_bytes, DOWNLOAD_CALL));
            }
            let pieces: Vec<Bytes> = self.store.read_blob(&name.tenant, &result.sha256).await?.try_collect().await?;
            result.data = STANDARD.encode(pieces.concat());
        }
        Ok(job)
    }

    /// What a job produced, as a stream of its bytes.
    pub async fn download_result(&self, name: &str) -> Result<BoxStream<'static, Result<Bytes>>> {
        let name = parse_name(name)?;
        let job = to_proto(&self.store.get_job(&name.tenant, &name.id).await?)?;
        let none = || {
            Error::new(ErrorCode::NotFound, format!("{} kept no result", job_view::job_name(&name.tenant, &name.id)))
        };
        let result = job.export_result.ok_or_else(none)?;
        if !result.sha256.is_empty() {
            return Ok(self.store.read_blob(&name.tenant, &result.sha256).await?.boxed());
        }
        // Jobs of earlier releases kept the bundle inline.
        let data = STANDARD.decode(&result.data).map_err(|e| Error::internal("stored export result", e))?;
        Ok(futures_util::stream::iter([Ok(Bytes::from(data))]).boxed())
    }

    pub async fn delete(&self, name: &str, revision: i64) -> Result<()> {
        let name = parse_name(name)?;
        if revision < 0 {
            return Err(Error::invalid_field("revision", "must not be negative"));
        }
        self.store.delete_job(&name.tenant, &name.id, (revision > 0).then_some(revision)).await
    }

    /// Creates an AGENT_CHAT job, or updates the one `job_id` names.
    pub async fn record(&self, parent: &str, job_id: &str, job: Option<Job>) -> Result<Job> {
        let mut violations = Vec::new();
        let parent = Parent::parse(ResourceKind::Job, parent, "parent").map_err(|v| violations.push(v)).ok();
        let id = if job_id.is_empty() {
            Some(uuid::Uuid::now_v7().to_string())
        } else {
            check_id(job_id, "job_id").map_err(|v| violations.push(v)).ok()
        };
        let Some(job) = job else {
            violations.push(FieldViolation::new("job", "is required"));
            return Err(Error::invalid(violations));
        };
        let chat = check_chat_job(&job, &mut violations);
        let (Some(parent), Some(id), Some(chat), true) = (parent, id, chat, violations.is_empty()) else {
            return Err(Error::invalid(violations));
        };
        let now = now_micros();
        match self.store.get_job(&parent.tenant, &id).await {
            Ok(existing) if existing.kind != JobKind::AgentChat => Err(Error::new(
                ErrorCode::AlreadyExists,
                format!("{} exists and is not an AGENT_CHAT job", job_view::job_name(&parent.tenant, &id)),
            )),
            Ok(existing) => {
                let mut updated = existing.clone();
                chat.apply(&mut updated);
                updated.modified_at = now;
                self.store.update_job(&updated, existing.version).await?;
                to_proto(&self.store.get_job(&parent.tenant, &id).await?)
            }
            Err(e) if e.code == ErrorCode::NotFound => {
                let mut record = JobRecord::new(&parent.tenant, &id, JobKind::AgentChat, chat.state, now);
                chat.apply(&mut record);
                self.store.insert_job(&record).await?;
                to_proto(&record)
            }
            Err(e) => Err(e),
        }
    }

    /// The job now, then each change, ending once it is finished; read through the shared
    /// feed. `slot` is the caller's place among its open watches.
    pub async fn watch(&self, name: &str, slot: crate::limits::Slot) -> Result<JobStream> {
        let name = parse_name(name)?;
        let first = self.store.get_job(&name.tenant, &name.id).await?;
        Ok(self.feed.watch(first, slot))
    }
}

fn parse_name(name: &str) -> Result<ResourceName> {
    ResourceName::parse(ResourceKind::Job, name, "name").map_err(|v| Error::invalid(vec![v]))
}

/// The recordable content of a chat job.
struct ChatJob {
    state: JobState,
    agent_type: Option<String>,
    agent_id: Option<String>,
    session_id: Option<String>,
    message: Option<String>,
    commerce_event: Option<String>,
}

impl ChatJob {
    fn apply(self, record: &mut JobRecord) {
        record.state = self.state;
        record.agent_type = self.agent_type;
        record.agent_id = self.agent_id;
        record.session_id = self.session_id;
        record.message = self.message;
        record.commerce_event = self.commerce_event;
    }
}

fn check_chat_job(job: &Job, violations: &mut Vec<FieldViolation>) -> Option<ChatJob> {
    let before = violations.len();
    if !matches!(JobType::try_from(job.r#type), Ok(JobType::Unspecified | JobType::AgentChat)) {
        violations.push(FieldViolation::new("job.type", "only AGENT_CHAT jobs can be recorded"));
    }
    let state = match JobStatus::try_from(job.status) {
        Ok(JobStatus::Unspecified) => JobState::InProgress,
        Ok(JobStatus::NeedsReview) => {
            violations.push(FieldViolation::new("job.status", "only imports are held for review"));
            JobState::InProgress
        }
        Ok(status) => job_state(status).expect("specified"),
        Err(_) => {
            violations.push(FieldViolation::new("job.status", "unknown status"));
            JobState::InProgress
        }
    };
    if job.export_result.is_some() || job.import_result.is_some() {
        violations.push(FieldViolation::new("job", "a chat job has no export or import result"));
    }
    let agent_type = job.agent_type.to_ascii_lowercase();
    if !agent_type.is_empty() && !AGENT_TYPES.contains(&agent_type.as_str()) {
        violations.push(FieldViolation::new("job.agent_type", format!("must be one of {}", AGENT_TYPES.join(", "))));
    }
    if job.message.chars().count() > MAX_MESSAGE_CHARS {
        violations.push(FieldViolation::new("job.message", format!("must be at most {MAX_MESSAGE_CHARS} characters")));
    }
    for (field, value) in [
        ("job.agent_id", &job.agent_id),
        ("job.session_id", &job.session_id),
        ("job.commerce_event", &job.commerce_event),
    ] {
        if value.chars().count() > MAX_REFERENCE_CHARS {
            violations.push(FieldViolation::new(field, format!("must be at most {MAX_REFERENCE_CHARS} characters")));
        }
    }
    let text = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    (violations.len() == before).then(|| ChatJob {
        state,
        agent_type: text(&agent_type),
        agent_id: text(&job.agent_id),
        session_id: text(&job.session_id),
        message: text(&job.message),
        commerce_event: text(&job.commerce_event),
    })
}
