//! The tenants' data keys: stored wrapped by the master key, unwrapped once per process and
//! kept in memory. A tenant's first key is made when something of it is first written; keys
//! never change afterwards except for the master key that wraps them (a rotation re-wraps
//! them), so what is cached stays valid.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::entity::data_key::{self, Column, Entity};
use super::errors::db_error;
use crate::crypto::{CryptoError, DataKey, MasterKeys, sealed};
use crate::domain::clock::now_micros;
use crate::error::{Error, ErrorCode, Result};

/// The tenants' data keys, behind the configured master keys.
pub struct Keyring {
    db: DatabaseConnection,
    master: Option<MasterKeys>,
    cache: RwLock<HashMap<String, Arc<TenantKeys>>>,
}

/// One tenant's data keys, by generation; the newest seals.
#[derive(Debug)]
pub struct TenantKeys {
    tenant: String,
    keys: Vec<DataKey>,
}

impl TenantKeys {
    fn by_id(&self, id: &str) -> Option<&DataKey> {
        self.keys.iter().find(|k| k.id() == id)
    }

    /// The plaintext of a text sealed for `owner`; text without the sealed form is plaintext
    /// a release before encryption at rest wrote, given back as it is.
    pub fn open(&self, owner: &str, text: &str) -> Result<String> {
        if !sealed::is_sealed(text) {
            return Ok(text.to_owned());
        }
        let id = sealed::key_id(text).ok_or_else(|| crypto_error(CryptoError::Malformed))?;
        let key = self.by_id(id).ok_or_else(|| {
            Error::internal("open a sealed value", format!("tenant {} has no data key {id}", self.tenant))
        })?;
        sealed::open(key, owner, text).map_err(crypto_error)
    }

    /// Whether `text` is a value sealed for `owner` by one of these keys.
    fn opens(&self, owner: &str, text: &str) -> bool {
        sealed::key_id(text).and_then(|id| self.by_id(id)).is_some_and(|key| sealed::open(key, owner, text).is_ok())
    }
}

/// Seals the secret values of one tenant; obtained before a write (and before any transaction
/// it runs in), so sealing itself never touches the database.
#[derive(Debug, Clone)]
pub struct Sealer {
    keys: Option<Arc<TenantKeys>>,
}

impl Sealer {
    /// The stored form of a secret text of `owner` (a resource name), or `None` to keep it as
    /// it is: an empty text (nothing to hide), or a value sealed for this owner (read from the
    /// store; callers never see sealed values, so they cannot send one back). Anything else is
    /// plaintext and gets sealed.
    pub fn seal(&self, owner: &str, text: &str) -> Result<Option<String>> {
        if text.is_empty() {
            return Ok(None);
        }
        let keys = self.keys.as_ref().ok_or_else(no_master_key)?;
        if keys.opens(owner, text) {
            return Ok(None);
        }
        let key = keys
            .keys
            .last()
            .ok_or_else(|| Error::internal("seal a secret", format!("tenant {} has no data key yet", keys.tenant)))?;
        Ok(Some(sealed::seal(key, owner, text)))
    }
}

fn no_master_key() -> Error {
    Error::new(
        ErrorCode::FailedPrecondition,
        "credentials cannot be stored: the server has no master key \
         (AGENTPORT_MASTER_KEY_FILE or AGENTPORT_MASTER_KEY)",
    )
}

fn crypto_error(e: CryptoError) -> Error {
    Error::internal("encryption at rest", e)
}

/// How the stored data keys stand against the configured master keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyCensus {
    /// Data keys per master key id that wrapped them.
    pub by_master_key: Vec<(String, u64)>,
}

impl KeyCensus {
    pub fn total(&self) -> u64 {
        self.by_master_key.iter().map(|(_, n)| n).sum()
    }
}

/// What a rotation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rotation {
    /// Data keys now wrapped by the new master key that were not before.
    pub rewrapped: u64,
    /// Data keys already wrapped by it.
    pub already: u64,
}

/// Data keys a rotation reads at a time.
const ROTATION_BATCH: u64 = 500;

impl Keyring {
    pub(super) fn new(db: DatabaseConnection, master: Option<MasterKeys>) -> Self {
        Self { db, master, cache: RwLock::new(HashMap::new()) }
    }

    pub fn master_keys(&self) -> Option<&MasterKeys> {
        self.master.as_ref()
    }

    fn cached(&self, tenant: &str) -> Option<Arc<TenantKeys>> {
        self.cache.read().unwrap_or_else(|e| e.into_inner()).get(tenant).cloned()
    }

    /// Reads and unwraps the tenant's keys, and caches them (when there are any).
    async fn load(&self, tenant: &str) -> Result<Arc<TenantKeys>> {
        let rows = Entity::find()
            .filter(Column::Tenant.eq(tenant))
            .order_by_asc(Column::Generation)
            .all(&self.db)
            .await
            .map_err(|e| db_error("read data keys", e))?;
        let mut keys = Vec::with_capacity(rows.len());
        for row in rows {
            keys.push(self.unwrap(&row)?);
        }
        let loaded = Arc::new(TenantKeys { tenant: tenant.to_owned(), keys });
        if !loaded.keys.is_empty() {
            self.cache.write().unwrap_or_else(|e| e.into_inner()).insert(tenant.to_owned(), loaded.clone());
        }
        Ok(loaded)
    }

    fn unwrap(&self, row: &data_key::Model) -> Result<DataKey> {
        let master = self.master.as_ref().ok_or_else(no_master_key)?;
        let key = master.by_id(&row.master_key_id).ok_or_else(|| {
            Error::internal(
                "unwrap a data key",
                format!(
                    "data key {} of tenant {} is wrapped by master key {}, which is not configured",
                    row.id, row.tenant, row.master_key_id
                ),
            )
        })?;
        DataKey::unwrap(key, &row.tenant, &row.id, &row.wrapped).map_err(crypto_error)
    }

    /// The keys that open the tenant's sealed values naming `ids`.
    pub async fn opener(&self, tenant: &str, ids: &[String]) -> Result<Arc<TenantKeys>> {
        if let Some(keys) = self.cached(tenant)
            && ids.iter().all(|id| keys.by_id(id).is_some())
        {
            return Ok(keys);
        }
        self.load(tenant).await
    }

    /// What seals the tenant's secret values. With `create`, the tenant's first data key is
    /// made if it has none (call it so outside any transaction: a new key is committed on its
    /// own); a tenant that never stores a secret never gets a key. Without a master key it
    /// seals nothing (a write carrying a secret then fails).
    pub async fn sealer(&self, tenant: &str, create: bool) -> Result<Sealer> {
        let Some(master) = &self.master else {
            return Ok(Sealer { keys: None });
        };
        if let Some(keys) = self.cached(tenant) {
            return Ok(Sealer { keys: Some(keys) });
        }
        let loaded = self.load(tenant).await?;
        if !loaded.keys.is_empty() || !create {
            return Ok(Sealer { keys: Some(loaded) });
        }
        let key = DataKey::generate(tenant);
        let row = data_key::ActiveModel {
            tenant: Set(tenant.to_owned()),
            id: Set(key.id().to_owned()),
            generation: Set(1),
            master_key_id: Set(master.current.id().to_owned()),
            wrapped: Set(key.wrap(&master.current)),
            created_at: Set(now_micros()),
        };
        match Entity::insert(row).exec_without_returning(&self.db).await.map_err(|e| db_error("insert data key", e)) {
            Ok(_) => tracing::info!(tenant, data_key = key.id(), master_key = master.current.id(), "data key created"),
            // Another replica made the tenant's first key meanwhile: that one is the key.
            Err(e) if e.code == ErrorCode::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        Ok(Sealer { keys: Some(self.load(tenant).await?) })
    }

    /// How many data keys each master key wrapped; none before the table exists.
    pub async fn census(&self) -> Result<KeyCensus> {
        let manager = migrations::SchemaManager::new(&self.db);
        if !manager.has_table("data_keys").await.map_err(|e| db_error("look for data keys", e))? {
            return Ok(KeyCensus::default());
        }
        let by_master_key: Vec<(String, i64)> = Entity::find()
            .select_only()
            .column(Column::MasterKeyId)
            .column_as(Column::Id.count(), "n")
            .group_by(Column::MasterKeyId)
            .order_by_asc(Column::MasterKeyId)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(|e| db_error("count data keys", e))?;
        Ok(KeyCensus { by_master_key: by_master_key.into_iter().map(|(id, n)| (id, n as u64)).collect() })
    }

    /// Refuses master keys that cannot unwrap the stored data keys, with what to do about it.
    /// One key of each wrapping master key is unwrapped to prove it.
    pub async fn check(&self) -> std::result::Result<KeyCensus, String> {
        let census = self.census().await.map_err(|e| e.to_string())?;
        if census.total() == 0 {
            return Ok(census);
        }
        let Some(master) = &self.master else {
            return Err(format!(
                "the database holds {} data keys but no master key is configured: set \
                 AGENTPORT_MASTER_KEY_FILE (or AGENTPORT_MASTER_KEY) to the key that wrapped them",
                census.total()
            ));
        };
        for (id, count) in &census.by_master_key {
            if master.by_id(id).is_none() {
                return Err(format!(
                    "wrong master key: {count} stored data keys were wrapped by master key {id}, but the \
                     configured key is {} (ids are hashes of the keys). Configure the key that wrapped them; \
                     during a rotation give the old one as AGENTPORT_MASTER_KEY_PREVIOUS_FILE",
                    master.ids().join(" and ")
                ));
            }
            let sample = Entity::find()
                .filter(Column::MasterKeyId.eq(id.as_str()))
                .one(&self.db)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("the data keys of master key {id} went away while checked"))?;
            self.unwrap(&sample).map_err(|e| format!("the stored data keys do not unwrap: {e:#}"))?;
        }
        Ok(census)
    }

    /// Re-wraps every data key with the current master key. Each key is rewritten on its
    /// own, only if it is still wrapped as read, so replicas keep serving throughout and a
    /// rotation run twice (or two at once) is harmless. Keys the current master key already
    /// wraps are left alone.
    pub async fn rotate(&self) -> Result<Rotation> {
        let master = self.master.as_ref().ok_or_else(no_master_key)?;
        let mut done = Rotation::default();
        let mut after: Option<(String, String)> = None;
        loop {
            let mut query = Entity::find().order_by_asc(Column::Tenant).order_by_asc(Column::Id).limit(ROTATION_BATCH);
            if let Some((tenant, id)) = &after {
                query = query.filter(sea_orm::Condition::any().add(Column::Tenant.gt(tenant.as_str())).add(
                    sea_orm::Condition::all().add(Column::Tenant.eq(tenant.as_str())).add(Column::Id.gt(id.as_str())),
                ));
            }
            let rows = query.all(&self.db).await.map_err(|e| db_error("read data keys", e))?;
            let Some(last) = rows.last() else { break };
            after = Some((last.tenant.clone(), last.id.clone()));
            for row in rows {
                if row.master_key_id == master.current.id() {
                    done.already += 1;
                    continue;
                }
                let key = self.unwrap(&row)?;
                let changed = Entity::update_many()
                    .col_expr(Column::MasterKeyId, sea_orm::sea_query::Expr::value(master.current.id()))
                    .col_expr(Column::Wrapped, sea_orm::sea_query::Expr::value(key.wrap(&master.current)))
                    .filter(Column::Tenant.eq(row.tenant.as_str()))
                    .filter(Column::Id.eq(row.id.as_str()))
                    .filter(Column::MasterKeyId.eq(row.master_key_id.as_str()))
                    .exec(&self.db)
                    .await
                    .map_err(|e| db_error("re-wrap a data key", e))?;
                if changed.rows_affected == 1 {
                    done.rewrapped += 1;
                } else {
                    done.already += 1;
                }
            }
        }
        Ok(done)
    }
}
