//! A tenant's settings (`tenants/{tenant}/settings`): one document per tenant, the defaults
//! until the first update. Imports read them for the endpoint allow-list.

use crate::domain::clock::now_micros;
use crate::domain::json;
use crate::domain::names::{ResourceKind, ResourceName, SETTINGS_ID, check_tenant};
use crate::domain::requirements::allow_list_violations;
use crate::domain::resource::timestamp;
use crate::error::{Error, ErrorCode, FieldViolation, Result};
use crate::proto::TenantSettings;
use crate::store::Store;

#[derive(Clone)]
pub struct SettingsService {
    store: Store,
}

/// The tenant of `tenants/{tenant}/settings`.
fn tenant_of(name: &str, field: &str) -> Result<String> {
    let bad = || Error::invalid(vec![FieldViolation::new(field, "must have the form `tenants/{tenant}/settings`")]);
    let tenant = name.strip_prefix("tenants/").and_then(|rest| rest.strip_suffix("/settings")).ok_or_else(bad)?;
    check_tenant(tenant, field).map_err(|v| Error::invalid(vec![v]))
}

fn stored_name(tenant: &str) -> ResourceName {
    ResourceName {
        tenant: tenant.to_owned(),
        kind: ResourceKind::Settings,
        parent_id: String::new(),
        id: SETTINGS_ID.into(),
    }
}

impl SettingsService {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    pub async fn get(&self, name: &str) -> Result<TenantSettings> {
        let tenant = tenant_of(name, "name")?;
        Ok(self.stored(&tenant).await?.map(|(settings, _)| settings).unwrap_or_else(|| defaults(&tenant)))
    }

    /// The settings imports into `tenant` follow.
    pub async fn for_tenant(store: &Store, tenant: &str) -> Result<TenantSettings> {
        let service = Self { store: store.clone() };
        Ok(service.stored(tenant).await?.map(|(settings, _)| settings).unwrap_or_else(|| defaults(tenant)))
    }

    /// Replaces the fields `mask` names (all when empty).
    pub async fn update(&self, settings: TenantSettings, mask: &[String]) -> Result<TenantSettings> {
        let tenant = tenant_of(&settings.name, "settings.name")?;
        let mut violations: Vec<FieldViolation> = mask
            .iter()
            .filter(|p| !matches!(p.as_str(), "endpoint_allow_list" | "endpointAllowList" | "*"))
            .map(|p| FieldViolation::new("update_mask", format!("`{p}` is not a field of the settings")))
            .collect();
        violations
            .extend(allow_list_violations(&settings.endpoint_allow_list).into_iter().map(|v| v.scope("settings")));
        if !violations.is_empty() {
            return Err(Error::invalid(violations));
        }
        let now = now_micros();
        let mut next = defaults(&tenant);
        next.endpoint_allow_list = settings.endpoint_allow_list.iter().map(|p| p.trim().to_ascii_lowercase()).collect();
        let body = json::to_json(&TenantSettings { name: String::new(), update_time: None, ..next.clone() });
        let name = stored_name(&tenant);
        let written = match self.stored(&tenant).await? {
            Some((_, revision)) => self.store.update(&name, revision, SETTINGS_ID, &body, now).await,
            None => self.store.insert(&name, SETTINGS_ID, &body, now).await,
        };
        match written {
            Ok(_) => {}
            Err(e) if matches!(e.code, ErrorCode::AlreadyExists | ErrorCode::ConcurrentModification) => {
                return Err(Error::new(ErrorCode::ConcurrentModification, "the settings changed meanwhile; retry"));
            }
            Err(e) => return Err(e),
        }
        next.update_time = Some(timestamp(now));
        tracing::info!(tenant = %tenant, patterns = next.endpoint_allow_list.len(), "tenant settings updated");
        Ok(next)
    }

    async fn stored(&self, tenant: &str) -> Result<Option<(TenantSettings, i64)>> {
        match self.store.get(&stored_name(tenant)).await {
            Ok(stored) => {
                let mut settings: TenantSettings =
                    json::from_json(&stored.body).map_err(|e| Error::internal("decode stored settings", e))?;
                settings.name = format!("tenants/{tenant}/settings");
                settings.update_time = Some(timestamp(stored.meta.update_time));
                Ok(Some((settings, stored.meta.revision)))
            }
            Err(e) if e.code == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn defaults(tenant: &str) -> TenantSettings {
    TenantSettings { name: format!("tenants/{tenant}/settings"), ..Default::default() }
}
