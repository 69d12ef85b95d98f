//! The plan of an import, built from what the import decided (its summary) inside the same
//! transaction, before anything is written: the action per entity, the JSON Patch of each
//! overwrite against the tenant's current entity, and the plan id an apply is checked against.

use std::collections::BTreeMap;

use crate::domain::bundle::Bundle;
use crate::domain::json;
use crate::domain::names::ResourceKind;
use crate::domain::plan::id::{PlanInputs, plan_id};
use crate::domain::plan::patch::{canonical, diff};
use crate::error::{Error, ErrorCode, Result};
use crate::proto::{
    Agent, ImportDetailCode as Code, ImportPlan, ImportState as State, ImportSummary, ImportedEntity, PlanAction,
    PlannedEntity, SecretRequirement,
};

use super::apply::ImportContext;

/// What asks for a plan: the bundle it is for and, when applying one, the id it must have.
pub struct PlanRequest<'a> {
    pub bundle_sha256: &'a str,
    pub expected: Option<&'a str>,
}

/// What the import decided, as the plan is built from it.
pub struct Decided<'a> {
    pub summary: &'a ImportSummary,
    pub requirements: &'a [SecretRequirement],
    /// `{kind}/{id}` -> revision of every target entity the import looked at.
    pub revisions: &'a BTreeMap<String, i64>,
    /// Target id -> the overwriting agent as [`canonical`] renders it.
    pub overwrites: BTreeMap<String, serde_json::Value>,
}

/// The plan, refused with PLAN_STALE when the request names another plan id.
pub async fn build(
    ctx: &ImportContext<'_>,
    request: &PlanRequest<'_>,
    bundle: &Bundle,
    decided: Decided<'_>,
) -> Result<ImportPlan> {
    let mut entities = entities(bundle, decided.summary);
    // Only a rename depends on the instant: without one, the same target state gives the same id.
    let renames = entities.iter().any(|e| e.action == PlanAction::Rename as i32);
    let id = plan_id(&PlanInputs {
        bundle_sha256: request.bundle_sha256,
        policy: ctx.policy as i32,
        mappings: ctx.mappings,
        rename_millis: if renames { ctx.rename_millis } else { 0 },
        revisions: decided.revisions,
        entities: &entities,
        requirements: decided.requirements,
    });
    if request.expected.is_some_and(|expected| expected != id) {
        return Err(Error::new(
            ErrorCode::PlanStale,
            "the plan no longer holds: the bundle, the options or the tenant changed since it was made; \
             nothing was imported. Make a new plan (dry run) and review it",
        ));
    }
    add_patches(ctx, &mut entities, decided.overwrites).await?;
    Ok(ImportPlan {
        plan_id: id,
        entities,
        secret_requirements: decided.requirements.to_vec(),
        bundle_sha256: request.bundle_sha256.to_owned(),
    })
}

/// The tenant's agents that would be overwritten, compared with what replaces them.
async fn add_patches(
    ctx: &ImportContext<'_>,
    entities: &mut [PlannedEntity],
    overwrites: BTreeMap<String, serde_json::Value>,
) -> Result<()> {
    let ids: Vec<String> = overwrites.keys().cloned().collect();
    for stored in ctx.tx.get_many(ctx.tenant, ResourceKind::Agent, &ids).await? {
        let current: Agent =
            json::from_json(&stored.body).map_err(|e| Error::internal(&format!("decode stored {}", stored.name), e))?;
        let patch = diff(&canonical(&current), &overwrites[&stored.name.id]);
        let planned = entities.iter_mut().find(|e| {
            e.entity_kind == "agents" && e.target_id == stored.name.id && e.action == PlanAction::Overwrite as i32
        });
        if let Some(planned) = planned {
            planned.patch = patch;
        }
    }
    Ok(())
}

/// One planned entity per entity of the bundle, in the order the plan documents.
fn entities(bundle: &Bundle, summary: &ImportSummary) -> Vec<PlannedEntity> {
    let mut out: Vec<PlannedEntity> = Vec::new();
    out.extend(summary.tools.iter().map(|e| planned("tools", e)));
    out.extend(summary.mcp_servers.iter().map(|e| planned("mcp_servers", e)));
    out.extend(summary.knowledge_bases.iter().map(|e| planned("knowledge_bases", e)));
    for (kb, planned_kb) in bundle.knowledge_bases.iter().zip(&summary.knowledge_bases) {
        // A knowledge base the tenant has is reused with its own documents.
        let action = if planned_kb.state == State::Exists as i32 { PlanAction::Skip } else { PlanAction::Create };
        out.extend(kb.documents.iter().map(|d| PlannedEntity {
            entity_kind: "documents".into(),
            source_id: format!("{}/{}", kb.id, d.id),
            target_id: format!("{}/{}", kb.id, d.id),
            display_name: d.value.display_name.clone(),
            action: action as i32,
            ..Default::default()
        }));
    }
    out.extend(summary.agents.iter().map(|e| planned("agents", e)));
    out
}

fn planned(kind: &str, entity: &ImportedEntity) -> PlannedEntity {
    let source_id = if entity.source_id.is_empty() { &entity.id } else { &entity.source_id };
    PlannedEntity {
        entity_kind: kind.into(),
        source_id: source_id.clone(),
        target_id: entity.id.clone(),
        display_name: entity.name.clone(),
        action: action(entity) as i32,
        disabled: entity.state == State::Disabled as i32,
        details: entity.details.clone(),
        patch: Vec::new(),
    }
}

/// The action an entity's import state and details stand for.
fn action(entity: &ImportedEntity) -> PlanAction {
    let has = |code: Code| entity.details.iter().any(|d| d.code == code as i32);
    match State::try_from(entity.state).unwrap_or_default() {
        State::ToCreate => PlanAction::NotImportable,
        State::Exists => PlanAction::Skip,
        State::Failed => PlanAction::Fail,
        _ if has(Code::Renamed) => PlanAction::Rename,
        _ if has(Code::Overwritten) => PlanAction::Overwrite,
        _ => PlanAction::Create,
    }
}
