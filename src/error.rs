//! One error type for the whole service. Each [`ErrorCode`] is a stable UPPER_SNAKE reason that
//! maps to exactly one gRPC code and one HTTP status; transports render it, nothing else decides.

use std::collections::HashMap;
use std::fmt;

use tonic_types::{ErrorDetails, StatusExt};

/// The `google.rpc.ErrorInfo.domain` of every error this service returns.
pub const ERROR_DOMAIN: &str = "agentport";

/// Stable reasons. Never rename a variant's reason string: clients match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// A field is missing, malformed or out of range; see the field violations.
    InvalidArgument,
    /// A page token is malformed or belongs to another query.
    InvalidPageToken,
    /// A filter or query does not parse or names an unknown field.
    InvalidFilter,
    /// A bundle's checksum does not match its data.
    ChecksumMismatch,
    /// A bundle does not decode or holds invalid entities; see the field violations.
    InvalidBundle,
    /// A bundle's signature by a key the tenant knows does not verify, or is malformed.
    SignatureInvalid,
    /// The signing policy or the request wants a verified signature; the bundle has none.
    SignatureRequired,
    /// The signing policy or the request wants a signature by a trusted key; the bundle's
    /// verified signature is by a key the tenant does not trust.
    SignerNotTrusted,
    /// A gRPC message is not valid protobuf for the method's request type.
    MalformedMessage,
    /// The addressed resource does not exist (or is not visible to the caller).
    NotFound,
    /// A resource with the requested id already exists.
    AlreadyExists,
    /// The request's etag or version is not the current one.
    EtagMismatch,
    /// Another change landed between read and write; retry.
    ConcurrentModification,
    /// An import named a `plan_id` that no longer matches: the bundle, the options or the
    /// target tenant changed since the plan was made; nothing was written.
    PlanStale,
    /// A bundle or template is in a newer major format version than this server reads; the
    /// message names both versions.
    FormatUnsupported,
    /// The request conflicts with the state of other resources.
    FailedPrecondition,
    /// An export would write an entity that an import refuses (a value the bundle format does
    /// not allow); the entity and field are named, in the bundle's names.
    NotExportable,
    /// Other resources still refer to the one to delete; `force` lets go of them.
    ResourceInUse,
    /// Sub-agents refer to each other in a cycle; the cycle is named.
    SubAgentCycle,
    /// Sub-agents nest deeper than the configured limit.
    SubAgentDepthExceeded,
    /// The answer would not fit in one message; the error names the streaming call to use.
    MessageTooLarge,
    /// No or bad credentials.
    Unauthenticated,
    /// Valid credentials without the right to do this.
    PermissionDenied,
    /// The database cannot be reached, or the server is starting or stopping.
    Unavailable,
    /// The call's deadline passed before it finished; its database work was stopped.
    DeadlineExceeded,
    /// The caller went away before the call finished; its database work was stopped.
    Cancelled,
    /// The caller is over a rate or concurrency limit; `retryAfter` says when to try again.
    ResourceExhausted,
    /// A bug or an unexpected fault; details are in the server log only.
    Internal,
}

impl ErrorCode {
    pub fn reason(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::InvalidPageToken => "INVALID_PAGE_TOKEN",
            ErrorCode::InvalidFilter => "INVALID_FILTER",
            ErrorCode::ChecksumMismatch => "CHECKSUM_MISMATCH",
            ErrorCode::InvalidBundle => "INVALID_BUNDLE",
            ErrorCode::SignatureInvalid => "SIGNATURE_INVALID",
            ErrorCode::SignatureRequired => "SIGNATURE_REQUIRED",
            ErrorCode::SignerNotTrusted => "SIGNER_NOT_TRUSTED",
            ErrorCode::MalformedMessage => "MALFORMED_MESSAGE",
            ErrorCode::NotFound => "RESOURCE_NOT_FOUND",
            ErrorCode::AlreadyExists => "RESOURCE_ALREADY_EXISTS",
            ErrorCode::EtagMismatch => "ETAG_MISMATCH",
            ErrorCode::ConcurrentModification => "CONCURRENT_MODIFICATION",
            ErrorCode::PlanStale => "PLAN_STALE",
            ErrorCode::FormatUnsupported => "FORMAT_UNSUPPORTED",
            ErrorCode::FailedPrecondition => "FAILED_PRECONDITION",
            ErrorCode::NotExportable => "NOT_EXPORTABLE",
            ErrorCode::ResourceInUse => "RESOURCE_IN_USE",
            ErrorCode::SubAgentCycle => "SUB_AGENT_CYCLE",
            ErrorCode::SubAgentDepthExceeded => "SUB_AGENT_DEPTH_EXCEEDED",
            ErrorCode::MessageTooLarge => "MESSAGE_TOO_LARGE",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::PermissionDenied => "PERMISSION_DENIED",
            ErrorCode::Unavailable => "DATABASE_UNAVAILABLE",
            ErrorCode::DeadlineExceeded => "DEADLINE_EXCEEDED",
            ErrorCode::Cancelled => "CANCELLED",
            ErrorCode::ResourceExhausted => "RESOURCE_EXHAUSTED",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    pub fn grpc_code(self) -> tonic::Code {
        match self {
            ErrorCode::InvalidArgument
            | ErrorCode::InvalidPageToken
            | ErrorCode::InvalidFilter
            | ErrorCode::ChecksumMismatch
            | ErrorCode::InvalidBundle
            | ErrorCode::SignatureInvalid
            | ErrorCode::FormatUnsupported
            | ErrorCode::MalformedMessage => tonic::Code::InvalidArgument,
            ErrorCode::NotFound => tonic::Code::NotFound,
            ErrorCode::AlreadyExists => tonic::Code::AlreadyExists,
            ErrorCode::EtagMismatch | ErrorCode::ConcurrentModification | ErrorCode::PlanStale => tonic::Code::Aborted,
            ErrorCode::FailedPrecondition
            | ErrorCode::SignatureRequired
            | ErrorCode::SignerNotTrusted
            | ErrorCode::NotExportable
            | ErrorCode::ResourceInUse
            | ErrorCode::SubAgentCycle
            | ErrorCode::SubAgentDepthExceeded
            | ErrorCode::MessageTooLarge => tonic::Code::FailedPrecondition,
            ErrorCode::Unauthenticated => tonic::Code::Unauthenticated,
            ErrorCode::PermissionDenied => tonic::Code::PermissionDenied,
            ErrorCode::Unavailable => tonic::Code::Unavailable,
            ErrorCode::DeadlineExceeded => tonic::Code::DeadlineExceeded,
            ErrorCode::Cancelled => tonic::Code::Cancelled,
            ErrorCode::ResourceExhausted => tonic::Code::ResourceExhausted,
            ErrorCode::Internal => tonic::Code::Internal,
        }
    }

    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidArgument
            | ErrorCode::InvalidPageToken
            | ErrorCode::InvalidFilter
            | ErrorCode::ChecksumMismatch
            | ErrorCode::InvalidBundle
            | ErrorCode::SignatureInvalid
            | ErrorCode::FormatUnsupported
            | ErrorCode::SignatureRequired
            | ErrorCode::SignerNotTrusted
            | ErrorCode::MalformedMessage
            | ErrorCode::FailedPrecondition
            | ErrorCode::NotExportable
            | ErrorCode::ResourceInUse
            | ErrorCode::SubAgentCycle
            | ErrorCode::SubAgentDepthExceeded
            | ErrorCode::MessageTooLarge => 400,
            ErrorCode::NotFound => 404,
            ErrorCode::AlreadyExists
            | ErrorCode::EtagMismatch
            | ErrorCode::ConcurrentModification
            | ErrorCode::PlanStale => 409,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::PermissionDenied => 403,
            ErrorCode::Unavailable => 503,
            ErrorCode::DeadlineExceeded => 504,
            // The de-facto code (nginx) for a client that closed the request.
            ErrorCode::Cancelled => 499,
            ErrorCode::ResourceExhausted => 429,
            ErrorCode::Internal => 500,
        }
    }
}

/// What is wrong with a field, for error bodies that type each problem (the xpander dialect's
/// FastAPI `type`). gRPC carries only the description; a violation that crossed it is `Invalid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ViolationKind {
    /// A value that breaks a rule of its own (too long, malformed, unknown reference, ...).
    #[default]
    Invalid,
    /// A required field is absent or `null`.
    Missing,
    /// A value of the wrong JSON type: a string, boolean, integer, number, object or array was
    /// expected.
    NotString,
    NotBool,
    NotInteger,
    NotNumber,
    NotObject,
    NotArray,
    /// A string outside its enumeration.
    NotInEnum,
    /// An empty string where at least one character is needed.
    TooShort,
}

/// One offending input field: its path (proto field names, `agent.display_name`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
    pub kind: ViolationKind,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::of_kind(ViolationKind::Invalid, field, description)
    }

    pub fn of_kind(kind: ViolationKind, field: impl Into<String>, description: impl Into<String>) -> Self {
        Self { field: field.into(), description: description.into(), kind }
    }

    /// A required field that is absent or `null`.
    pub fn missing(field: impl Into<String>) -> Self {
        Self::of_kind(ViolationKind::Missing, field, "is required")
    }

    /// Prefixes the path with a parent field: `display_name` -> `agent.display_name`.
    pub fn scope(mut self, parent: &str) -> Self {
        self.field = if self.field.is_empty() {
            parent.to_owned()
        } else if self.field.starts_with('[') {
            format!("{parent}{}", self.field)
        } else {
            format!("{parent}.{}", self.field)
        };
        self
    }
}

/// A failure with a stable code, a caller-safe message, and optional details.
#[derive(Debug, Clone)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    pub violations: Vec<FieldViolation>,
    /// ErrorInfo metadata: lowerCamel keys, e.g. `resource` -> the name that was not found.
    pub metadata: HashMap<String, String>,
    /// When a refused call may be tried again (RESOURCE_EXHAUSTED); sent as `RetryInfo` in
    /// gRPC and `Retry-After` in REST.
    pub retry_after: Option<std::time::Duration>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), violations: Vec::new(), metadata: HashMap::new(), retry_after: None }
    }

    /// RESOURCE_EXHAUSTED: try again after `wait`, which is also put in the `retryAfter`
    /// metadata in whole seconds (rounded up).
    pub fn exhausted(message: impl Into<String>, limit: &str, wait: std::time::Duration) -> Self {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut err = Self::new(ErrorCode::ResourceExhausted, message)
            .with_meta("limit", limit)
            .with_meta("retryAfter", seconds.max(1).to_string());
        err.retry_after = Some(wait);
        err
    }

    pub fn with_meta(mut self, key: &str, value: impl Into<String>) -> Self {
        self.metadata.insert(key.to_owned(), value.into());
        self
    }

    /// INVALID_ARGUMENT listing every violation at once.
    pub fn invalid(violations: Vec<FieldViolation>) -> Self {
        let message = match violations.as_slice() {
            [one] => format!("invalid {}: {}", one.field, one.description),
            many => {
                format!("invalid request: {}", many.iter().map(|v| v.field.as_str()).collect::<Vec<_>>().join(", "))
            }
        };
        Self { violations, ..Self::new(ErrorCode::InvalidArgument, message) }
    }

    /// The same error with another code (e.g. a more specific INVALID_ARGUMENT reason).
    pub fn with_code(mut self, code: ErrorCode) -> Self {
        self.code = code;
        self
    }

    pub fn invalid_field(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::invalid(vec![FieldViolation::new(field, description)])
    }

    pub fn not_found(resource: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{resource} not found")).with_meta("resource", resource)
    }

    pub fn already_exists(resource: &str) -> Self {
        Self::new(ErrorCode::AlreadyExists, format!("{resource} already exists")).with_meta("resource", resource)
    }

    pub fn etag_mismatch(resource: &str) -> Self {
        Self::new(ErrorCode::EtagMismatch, format!("{resource} has changed since the given etag; read it again"))
            .with_meta("resource", resource)
    }

    /// Logs the cause with context and returns an error that reveals nothing of it.
    pub fn internal(context: &str, cause: impl fmt::Display) -> Self {
        tracing::error!(context, error = %cause, "internal error");
        Self::new(ErrorCode::Internal, "internal error")
    }

    /// MESSAGE_TOO_LARGE: `what` needs `size` bytes, over the message limit; use `call`.
    pub fn too_large(what: &str, size: u64, limit: usize, call: &str) -> Self {
        Self::new(
            ErrorCode::MessageTooLarge,
            format!("{what} is {size} bytes, more than fits in one message ({limit} bytes); use {call}"),
        )
        .with_meta("streamingCall", call)
    }

    pub fn unavailable(context: &str, cause: impl fmt::Display) -> Self {
        tracing::warn!(context, error = %cause, "database unavailable");
        Self::new(ErrorCode::Unavailable, "the database is unavailable; retry later")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.reason(), self.message)
    }
}

impl std::error::Error for Error {}

impl From<Error> for tonic::Status {
    fn from(err: Error) -> Self {
        let mut details = ErrorDetails::with_error_info(
            err.code.reason(),
            ERROR_DOMAIN,
            err.metadata.into_iter().collect::<HashMap<_, _>>(),
        );
        for v in &err.violations {
            details.add_bad_request_violation(v.field.clone(), v.description.clone());
        }
        if let Some(wait) = err.retry_after {
            details.set_retry_info(Some(wait));
        }
        tonic::Status::with_error_details(err.code.grpc_code(), err.message, details)
    }
}
