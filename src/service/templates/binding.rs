//! A template's secret requirements and endpoints against the importing tenant: the rule of
//! [`crate::domain::requirements`], applied to a whole tree before anything is written.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::domain::names::ResourceKind;
use crate::domain::requirements::{Binder, Bound, Source, required_ids};
use crate::domain::template::TemplateTree;
use crate::error::{Error, Result};
use crate::proto::{AgentStatus, ImportDetail, ImportState, ImportedEntity, SecretRequirement};
use crate::service::SettingsService;
use crate::store::Store;

/// What binding decided for each entity of a tree.
#[derive(Debug, Default)]
pub struct Bindings {
    /// Details of the entities that are imported disabled, by (summary section, template id).
    pub disabled: HashMap<(&'static str, String), Vec<ImportDetail>>,
    pub requirements: Vec<SecretRequirement>,
}

impl Bindings {
    /// The summary entry of an entity: DISABLED with its reasons, or ENABLED.
    pub fn entity(&self, kind: &'static str, template_id: &str, id: &str, name: &str) -> ImportedEntity {
        let details = self.disabled.get(&(kind, template_id.to_owned())).cloned().unwrap_or_default();
        let state = if details.is_empty() { ImportState::Enabled } else { ImportState::Disabled };
        ImportedEntity { id: id.into(), name: name.into(), state: state as i32, details, source_id: template_id.into() }
    }

    fn record(&mut self, kind: &'static str, id: &str, bound: Bound) -> bool {
        self.requirements.extend(bound.requirements);
        let disabled = !bound.details.is_empty();
        if disabled {
            self.disabled.insert((kind, id.to_owned()), bound.details);
        }
        disabled
    }
}

/// The binder of an import of a template of `source_tenant` into `tenant`, its mappings checked.
pub async fn binder(
    store: &Store,
    tenant: &str,
    source_tenant: &str,
    tree: &TemplateTree,
    mappings: &BTreeMap<String, String>,
) -> Result<Binder> {
    let source = if source_tenant == tenant { Source::OwnTemplate } else { Source::ForeignTemplate };
    let required: BTreeSet<String> = tree
        .agents
        .values()
        .flat_map(required_ids)
        .chain(tree.tools.values().flat_map(required_ids))
        .chain(tree.mcp_servers.values().flat_map(required_ids))
        .collect();
    let lookups = Binder::lookups(source, mappings, &required);
    let asked: Vec<&str> = lookups.iter().map(String::as_str).collect();
    let existing = store.existing(tenant, ResourceKind::Secret, &asked).await?;
    let settings = SettingsService::for_tenant(store, tenant).await?;
    let binder = Binder::new(source, mappings.clone(), existing, &settings);
    let violations = binder.violations(&required);
    if !violations.is_empty() {
        return Err(Error::invalid(violations));
    }
    Ok(binder)
}

/// Binds every entity of `tree` in place: secret references rewritten to what they are bound
/// to, and an entity with an unbound requirement or a refused endpoint disabled.
pub fn bind(binder: &Binder, tree: &mut TemplateTree) -> Bindings {
    let mut bindings = Bindings::default();
    for (id, tool) in &mut tree.tools {
        if bindings.record("tools", id, binder.bind(tool, "tools", id)) {
            tool.enabled = false;
        }
    }
    for (id, server) in &mut tree.mcp_servers {
        if bindings.record("mcp_servers", id, binder.bind(server, "mcp_servers", id)) {
            server.enabled = false;
        }
    }
    for (id, agent) in &mut tree.agents {
        let disabled = bindings.record("agents", id, binder.bind(agent, "agents", id));
        agent.status = if disabled { AgentStatus::Inactive } else { AgentStatus::Active } as i32;
    }
    bindings
}
