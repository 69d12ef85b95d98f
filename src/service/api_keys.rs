//! Creating, listing and revoking API keys. The key is returned once; only its hash is stored.

use crate::auth::api_keys;
use crate::auth::policy::KNOWN_SCOPES;
use crate::domain::clock::now_micros;
use crate::domain::names::{Parent, ResourceKind, ResourceName};
use crate::error::{Error, FieldViolation, Result};
use crate::store::{ApiKeyRecord, Store};

const MAX_SCOPES: usize = 32;

#[derive(Clone)]
pub struct ApiKeyService {
    store: Store,
}

impl ApiKeyService {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Creates a key; returns it with the whole key, which is never available again.
    pub async fn create(&self, parent: &str, scopes: &[String], description: &str) -> Result<(ApiKeyRecord, String)> {
        let mut violations = Vec::new();
        let parent = Parent::parse(ResourceKind::ApiKey, parent, "parent").map_err(|v| violations.push(v)).ok();
        if scopes.is_empty() || scopes.len() > MAX_SCOPES {
            violations.push(FieldViolation::new("scopes", format!("name 1..{MAX_SCOPES} scopes")));
        }
        for (i, scope) in scopes.iter().enumerate() {
            if !KNOWN_SCOPES.contains(&scope.as_str()) {
                let known = KNOWN_SCOPES.join(", ");
                violations.push(FieldViolation::new(format!("scopes[{i}]"), format!("unknown scope; one of {known}")));
            }
        }
        if description.chars().count() > 1024 {
            violations.push(FieldViolation::new("description", "must be at most 1024 characters"));
        }
        let (Some(parent), true) = (parent, violations.is_empty()) else {
            return Err(Error::invalid(violations));
        };
        let (id, key, key_hash) = api_keys::generate(&parent.tenant);
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        let record = ApiKeyRecord {
            tenant: parent.tenant.clone(),
            id,
            key_hash,
            scopes,
            description: description.to_owned(),
            created_at: now_micros(),
            revoked_at: None,
        };
        self.store.insert_api_key(&record).await?;
        tracing::info!(tenant = %record.tenant, key = %record.id, "api key created");
        Ok((record, key))
    }

    pub async fn list(&self, parent: &str) -> Result<Vec<ApiKeyRecord>> {
        let parent = Parent::parse(ResourceKind::ApiKey, parent, "parent").map_err(|v| Error::invalid(vec![v]))?;
        self.store.list_api_keys(&parent.tenant).await
    }

    pub async fn revoke(&self, name: &str) -> Result<ApiKeyRecord> {
        let name = ResourceName::parse(ResourceKind::ApiKey, name, "name").map_err(|v| Error::invalid(vec![v]))?;
        self.store.revoke_api_key(&name.tenant, &name.id, now_micros()).await
    }
}
