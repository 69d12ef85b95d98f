//! Signing key and signing policy rows. Private keys arrive sealed; the store never sees one in
//! plaintext.

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::Store;
use super::entity::{signing_key, signing_policy};
use super::errors::db_error;
use crate::domain::signing::{PolicyAction, SigningPolicy};
use crate::error::{Error, Result};

/// A stored key: a tenant's own signing key (`private_key` set, sealed) or a publisher's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    pub tenant: String,
    pub id: String,
    /// SPKI PEM.
    pub public_key: String,
    /// Sealed PKCS#8 PEM; `None` for a publisher's key.
    pub private_key: Option<String>,
    pub trusted: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl SigningKeyRecord {
    pub fn name(&self) -> String {
        key_name(&self.tenant, &self.id)
    }
}

fn record(row: signing_key::Model) -> SigningKeyRecord {
    SigningKeyRecord {
        tenant: row.tenant,
        id: row.id,
        public_key: row.public_key,
        private_key: row.private_key,
        trusted: row.trusted,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

pub fn key_name(tenant: &str, id: &str) -> String {
    format!("tenants/{tenant}/signingKeys/{id}")
}

impl Store {
    /// Inserts a key; ALREADY_EXISTS when the tenant has one with this id.
    pub async fn insert_signing_key(&self, key: &SigningKeyRecord) -> Result<()> {
        let row = signing_key::ActiveModel {
            tenant: Set(key.tenant.clone()),
            id: Set(key.id.clone()),
            public_key: Set(key.public_key.clone()),
            private_key: Set(key.private_key.clone()),
            trusted: Set(key.trusted),
            created_at: Set(key.created_at),
            updated_at: Set(key.updated_at),
        };
        signing_key::Entity::insert(row).exec_without_returning(&self.db).await.map_err(|e| {
            let err = db_error("insert signing key", e);
            match err.code {
                crate::error::ErrorCode::AlreadyExists => Error::already_exists(&key.name()),
                _ => err,
            }
        })?;
        Ok(())
    }

    pub async fn find_signing_key(&self, tenant: &str, id: &str) -> Result<Option<SigningKeyRecord>> {
        let row = signing_key::Entity::find_by_id((tenant.to_owned(), id.to_owned()))
            .one(&self.db)
            .await
            .map_err(|e| db_error("get signing key", e))?;
        Ok(row.map(record))
    }

    pub async fn get_signing_key(&self, tenant: &str, id: &str) -> Result<SigningKeyRecord> {
        self.find_signing_key(tenant, id).await?.ok_or_else(|| Error::not_found(&key_name(tenant, id)))
    }

    /// A tenant's keys, in id order.
    pub async fn list_signing_keys(&self, tenant: &str) -> Result<Vec<SigningKeyRecord>> {
        let rows = signing_key::Entity::find()
            .filter(signing_key::Column::Tenant.eq(tenant))
            .order_by_asc(signing_key::Column::Id)
            .all(&self.db)
            .await
            .map_err(|e| db_error("list signing keys", e))?;
        Ok(rows.into_iter().map(record).collect())
    }

    /// Sets whether a key is trusted; returns it. NOT_FOUND when there is no such key.
    pub async fn set_signing_key_trust(
        &self,
        tenant: &str,
        id: &str,
        trusted: bool,
        now: i64,
    ) -> Result<SigningKeyRecord> {
        let done = signing_key::Entity::update_many()
            .col_expr(signing_key::Column::Trusted, sea_orm::sea_query::Expr::value(trusted))
            .col_expr(signing_key::Column::UpdatedAt, sea_orm::sea_query::Expr::value(now))
            .filter(signing_key::Column::Tenant.eq(tenant))
            .filter(signing_key::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(|e| db_error("set signing key trust", e))?;
        if done.rows_affected == 0 {
            return Err(Error::not_found(&key_name(tenant, id)));
        }
        self.get_signing_key(tenant, id).await
    }

    /// The tenant's policy, or the default (accept everything) when none was set.
    pub async fn signing_policy(&self, tenant: &str) -> Result<SigningPolicy> {
        let row = signing_policy::Entity::find_by_id(tenant.to_owned())
            .one(&self.db)
            .await
            .map_err(|e| db_error("get signing policy", e))?;
        Ok(row.map_or_else(SigningPolicy::default, |row| SigningPolicy {
            require_signed: row.require_signed,
            trusted_only: row.trusted_only,
            action: PolicyAction::parse(&row.action).unwrap_or(PolicyAction::Refuse),
            updated_at: row.updated_at,
        }))
    }

    pub async fn put_signing_policy(&self, tenant: &str, policy: &SigningPolicy) -> Result<()> {
        let row = signing_policy::ActiveModel {
            tenant: Set(tenant.to_owned()),
            require_signed: Set(policy.require_signed),
            trusted_only: Set(policy.trusted_only),
            action: Set(policy.action.as_str().to_owned()),
            updated_at: Set(policy.updated_at),
        };
        let columns = [
            signing_policy::Column::RequireSigned,
            signing_policy::Column::TrustedOnly,
            signing_policy::Column::Action,
            signing_policy::Column::UpdatedAt,
        ];
        signing_policy::Entity::insert(row)
            .on_conflict(OnConflict::column(signing_policy::Column::Tenant).update_columns(columns).to_owned())
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| db_error("put signing policy", e))?;
        Ok(())
    }
}
