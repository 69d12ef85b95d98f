//! API key rows. The store keeps hashes only; it never sees a whole key.

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::Store;
use super::entity::api_key::{self, Column, Entity};
use super::errors::db_error;
use crate::error::{Error, Result};

/// A stored API key, without any secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub tenant: String,
    pub id: String,
    pub key_hash: String,
    pub scopes: Vec<String>,
    pub description: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

fn record(row: api_key::Model) -> ApiKeyRecord {
    ApiKeyRecord {
        tenant: row.tenant,
        id: row.id,
        key_hash: row.key_hash,
        scopes: row.scopes.split_whitespace().map(str::to_owned).collect(),
        description: row.description,
        created_at: row.created_at,
        revoked_at: row.revoked_at,
    }
}

fn key_name(tenant: &str, id: &str) -> String {
    format!("tenants/{tenant}/apiKeys/{id}")
}

impl Store {
    pub async fn insert_api_key(&self, key: &ApiKeyRecord) -> Result<()> {
        let row = api_key::ActiveModel {
            tenant: Set(key.tenant.clone()),
            id: Set(key.id.clone()),
            key_hash: Set(key.key_hash.clone()),
            scopes: Set(key.scopes.join(" ")),
            description: Set(key.description.clone()),
            created_at: Set(key.created_at),
            revoked_at: Set(key.revoked_at),
        };
        Entity::insert(row).exec_without_returning(&self.db).await.map_err(|e| db_error("insert api key", e))?;
        Ok(())
    }

    pub async fn get_api_key(&self, tenant: &str, id: &str) -> Result<ApiKeyRecord> {
        Entity::find_by_id((tenant.to_owned(), id.to_owned()))
            .one(&self.db)
            .await
            .map_err(|e| db_error("get api key", e))?
            .map(record)
            .ok_or_else(|| Error::not_found(&key_name(tenant, id)))
    }

    pub async fn list_api_keys(&self, tenant: &str) -> Result<Vec<ApiKeyRecord>> {
        let rows = Entity::find()
            .filter(Column::Tenant.eq(tenant))
            .order_by_asc(Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(|e| db_error("list api keys", e))?;
        Ok(rows.into_iter().map(record).collect())
    }

    /// Marks a key revoked (idempotent); returns it.
    pub async fn revoke_api_key(&self, tenant: &str, id: &str, now: i64) -> Result<ApiKeyRecord> {
        Entity::update_many()
            .col_expr(Column::RevokedAt, Expr::value(now))
            .filter(Column::Tenant.eq(tenant))
            .filter(Column::Id.eq(id))
            .filter(Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(|e| db_error("revoke api key", e))?;
        self.get_api_key(tenant, id).await
    }
}
