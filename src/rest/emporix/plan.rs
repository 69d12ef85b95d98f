//! The plan of an import in the Emporix dialect (an agentport extension beside the documented
//! `ImportResponse` fields); the CLI prints the same JSON.

use serde::Serialize;
use utoipa::ToSchema;

use super::transfer::{ImportDetail, SecretRequirement, text, unprefixed};
use crate::domain::plan::patch::value_to_json;
use crate::proto;

/// What the import does to each entity of the bundle (see the gRPC `ImportPlan`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportPlan {
    /// Pass it as `planId` to apply exactly this plan.
    pub plan_id: String,
    /// Lowercase hex SHA-256 of the bundle's decoded bytes.
    pub bundle_sha256: String,
    /// Tools, MCP servers, knowledge bases, documents, then agents, in bundle order.
    pub entities: Vec<PlannedEntity>,
    /// Every token the bundle's entities refer to, and what it would be bound to.
    pub secret_requirements: Vec<SecretRequirement>,
}

/// One entity of the plan.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlannedEntity {
    /// `agents`, `tools`, `mcpServers`, `knowledgeBases` or `documents`.
    pub entity_kind: String,
    /// The id in the bundle (`{knowledge base id}/{document id}` for a document).
    pub source_id: String,
    /// The id on this tenant after the import.
    pub target_id: String,
    pub name: String,
    /// `CREATE`, `RENAME`, `SKIP`, `OVERWRITE`, `FAIL` or `NOT_IMPORTABLE`.
    #[schema(example = "OVERWRITE")]
    pub action: String,
    /// True when the entity would be written disabled; `details` say why.
    pub disabled: bool,
    pub details: Vec<ImportDetail>,
    /// For `OVERWRITE`: the JSON Patch (RFC 6902) from the entity on this tenant to the one
    /// written, over the canonical JSON; secret values read `<redacted>`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patch: Vec<JsonPatchOperation>,
}

/// One JSON Patch (RFC 6902) operation.
#[derive(Debug, Serialize, ToSchema)]
pub struct JsonPatchOperation {
    #[schema(example = "replace")]
    pub op: String,
    #[schema(example = "/description/en")]
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, value_type = Object)]
    pub value: Option<serde_json::Value>,
}

impl From<proto::ImportPlan> for ImportPlan {
    fn from(plan: proto::ImportPlan) -> Self {
        Self {
            plan_id: plan.plan_id,
            bundle_sha256: plan.bundle_sha256,
            entities: plan.entities.into_iter().map(PlannedEntity::from).collect(),
            secret_requirements: plan.secret_requirements.into_iter().map(SecretRequirement::from).collect(),
        }
    }
}

impl From<proto::PlannedEntity> for PlannedEntity {
    fn from(e: proto::PlannedEntity) -> Self {
        let action = unprefixed(e.action().as_str_name(), "PLAN_ACTION_");
        let kind = match e.entity_kind.as_str() {
            "mcp_servers" => "mcpServers".to_owned(),
            "knowledge_bases" => "knowledgeBases".to_owned(),
            _ => e.entity_kind.clone(),
        };
        Self {
            entity_kind: kind,
            source_id: e.source_id,
            target_id: e.target_id,
            name: e.display_name,
            action,
            disabled: e.disabled,
            details: e.details.into_iter().map(ImportDetail::from).collect(),
            patch: e.patch.into_iter().map(JsonPatchOperation::from).collect(),
        }
    }
}

impl From<proto::JsonPatchOperation> for JsonPatchOperation {
    fn from(op: proto::JsonPatchOperation) -> Self {
        Self { op: op.op, path: op.path, from: text(op.from), value: op.value.map(value_to_json) }
    }
}
