//! The job resource as `q`, `sort` and `fields` see it.

use super::{FieldKind, FieldSpec};

const fn field(name: &'static str, kind: FieldKind, nullable: bool, sortable: bool) -> FieldSpec {
    FieldSpec { name, kind, nullable, sortable }
}

/// Stored spellings: Emporix shows `type` upper-case and `status`/`agentType` lower-case.
const JOB_TYPES: &[&str] = &["IMPORT", "EXPORT", "AGENT_CHAT", "TEMPLATE_EXPORT"];
const JOB_STATUSES: &[&str] = &["in_progress", "success", "failure", "skipped"];
const AGENT_TYPES: &[&str] = &["support", "generic", "complaint", "anti_fraud"];

pub const JOB_FIELDS: &[FieldSpec] = &[
    field("id", FieldKind::Text, false, true),
    field("type", FieldKind::Enum(JOB_TYPES), false, true),
    field("status", FieldKind::Enum(JOB_STATUSES), false, true),
    field("agentType", FieldKind::Enum(AGENT_TYPES), true, true),
    field("agentId", FieldKind::Text, true, true),
    field("sessionId", FieldKind::Text, true, true),
    field("message", FieldKind::Text, true, false),
    field("commerceEvent", FieldKind::Text, true, true),
    field("background", FieldKind::Bool, false, true),
    field("attempts", FieldKind::Integer, false, true),
    field("metadata.version", FieldKind::Integer, false, true),
    field("metadata.createdAt", FieldKind::Timestamp, false, true),
    field("metadata.modifiedAt", FieldKind::Timestamp, false, true),
    field("exportResult", FieldKind::Presence, true, false),
    field("importResult", FieldKind::Presence, true, false),
];

/// What `fields` may name on a job; `metadata` selects the whole metadata object.
pub const JOB_PROJECTION_FIELDS: &[&str] = &[
    "id",
    "type",
    "status",
    "agentType",
    "exportResult",
    "importResult",
    "sessionId",
    "agentId",
    "message",
    "commerceEvent",
    "background",
    "attempts",
    "metadata",
    "metadata.version",
    "metadata.createdAt",
    "metadata.modifiedAt",
];
