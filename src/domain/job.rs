//! Jobs as the store keeps them: plain values, results as JSON text.

/// The kinds of jobs; stored spellings are the Emporix ones (and `TEMPLATE_EXPORT`, which
/// Emporix has no type for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Import,
    Export,
    AgentChat,
    /// An agent exported as a template: the result is a template, not a bundle.
    TemplateExport,
}

impl JobKind {
    pub const ALL: [JobKind; 4] = [JobKind::Import, JobKind::Export, JobKind::AgentChat, JobKind::TemplateExport];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Import => "IMPORT",
            JobKind::Export => "EXPORT",
            JobKind::AgentChat => "AGENT_CHAT",
            JobKind::TemplateExport => "TEMPLATE_EXPORT",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        JobKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Job status; stored spellings are the Emporix ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    InProgress,
    Success,
    Failure,
    Skipped,
    /// An import the signing policy held until someone approves it; the engine leaves it be.
    NeedsReview,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::InProgress => "in_progress",
            JobState::Success => "success",
            JobState::Failure => "failure",
            JobState::Skipped => "skipped",
            JobState::NeedsReview => "needs_review",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [JobState::InProgress, JobState::Success, JobState::Failure, JobState::Skipped, JobState::NeedsReview]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    pub fn is_finished(self) -> bool {
        self != JobState::InProgress
    }
}

/// A job row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    pub tenant: String,
    pub id: String,
    pub kind: JobKind,
    pub state: JobState,
    pub agent_type: Option<String>,
    pub agent_id: Option<String>,
    pub session_id: Option<String>,
    pub message: Option<String>,
    pub commerce_event: Option<String>,
    pub background: bool,
    pub attempts: i32,
    pub version: i64,
    /// Microseconds since the Unix epoch.
    pub created_at: i64,
    pub modified_at: i64,
    /// Proto3 JSON of the export result.
    pub export_result: Option<String>,
    /// Proto3 JSON of the import result.
    pub import_result: Option<String>,
    /// Idempotency key of the request that created the job.
    pub request_id: Option<String>,
    /// Input of a background job, as JSON.
    pub payload: Option<String>,
    /// W3C `traceparent` of the call that queued a background job, so its work joins that trace.
    pub trace_parent: Option<String>,
}

impl JobRecord {
    /// A new job at version 1, created now.
    pub fn new(tenant: &str, id: &str, kind: JobKind, state: JobState, now: i64) -> Self {
        Self {
            tenant: tenant.to_owned(),
            id: id.to_owned(),
            kind,
            state,
            agent_type: None,
            agent_id: None,
            session_id: None,
            message: None,
            commerce_event: None,
            background: false,
            attempts: 0,
            version: 1,
            created_at: now,
            modified_at: now,
            export_result: None,
            import_result: None,
            request_id: None,
            payload: None,
            trace_parent: None,
        }
    }
}
