//! `agentport import --plan`: the plan as a table a person reads before applying it.

use crate::proto::{ImportDetailCode, ImportPlan, PlanAction, PlannedEntity, SecretBinding};

const HEADINGS: [&str; 4] = ["ENTITY", "ID", "ACTION", "DETAILS"];

/// One line per entity (kind, bundle id, action, details), the secret requirements, then
/// the plan id to apply it with.
pub fn render(plan: &ImportPlan) -> String {
    let rows: Vec<[String; 4]> = plan.entities.iter().map(row).collect();
    let mut widths = HEADINGS.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for cells in std::iter::once(HEADINGS.map(str::to_owned)).chain(rows) {
        let line: Vec<String> = cells.iter().zip(widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    for requirement in &plan.secret_requirements {
        let bound = match requirement.binding() {
            SecretBinding::Unbound => "unbound".to_owned(),
            _ => format!("bound to {}", requirement.secret_id),
        };
        out.push_str(&format!(
            "secret {} ({} {} {}): {bound}\n",
            requirement.required_secret_id, requirement.entity_kind, requirement.entity_id, requirement.field
        ));
    }
    out.push_str(&format!("plan id: {}\n", plan.plan_id));
    out
}

fn row(entity: &PlannedEntity) -> [String; 4] {
    let mut action = match entity.action() {
        PlanAction::Rename => format!("rename to {}", entity.target_id),
        other => other.as_str_name().trim_start_matches("PLAN_ACTION_").to_ascii_lowercase().replace('_', " "),
    };
    if entity.disabled {
        action.push_str(", disabled");
    }
    [entity.entity_kind.clone(), entity.source_id.clone(), action, details(entity)]
}

/// The warning codes (with what they are about) and, for an overwrite, the changed paths.
fn details(entity: &PlannedEntity) -> String {
    let codes = entity.details.iter().map(|d| {
        let code = d.code().as_str_name().trim_start_matches("IMPORT_DETAIL_CODE_").to_owned();
        let obvious = matches!(d.code(), ImportDetailCode::AgentImportedDisabled) || d.object_id == entity.target_id;
        if obvious || d.object_id.is_empty() { code } else { format!("{code} {}", d.object_id) }
    });
    let changes = entity.patch.iter().map(|op| format!("{} {}", op.op, op.path));
    codes.chain(changes).collect::<Vec<_>>().join("; ")
}
