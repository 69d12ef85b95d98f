//! Reads and writes of resource documents.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition as SqlCondition, DatabaseBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use super::Store;
use super::entity::resource::{self, Column, Entity};
use super::errors::db_error;
use crate::domain::filter::{Condition, FilterValue};
use crate::domain::names::{Parent, ResourceKind, ResourceName};
use crate::domain::page::PageRequest;
use crate::domain::resource::Meta;
use crate::error::{Error, ErrorCode, Result};

/// A resource as stored: its name, bookkeeping and JSON document.
#[derive(Debug, Clone)]
pub struct StoredDocument {
    pub name: ResourceName,
    pub meta: Meta,
    pub body: String,
}

fn key(name: &ResourceName) -> SqlCondition {
    SqlCondition::all()
        .add(Column::Tenant.eq(name.tenant.as_str()))
        .add(Column::Kind.eq(name.kind.as_str()))
        .add(Column::Parent.eq(name.parent_id.as_str()))
        .add(Column::Id.eq(name.id.as_str()))
}

fn document(kind: ResourceKind, row: resource::Model) -> StoredDocument {
    StoredDocument {
        name: ResourceName {
            tenant: row.tenant,
            kind,
            parent_id: row.parent,
            id: row.id,
        },
        meta: Meta {
            revision: row.revision,
            create_time: row.create_time,
            update_time: row.update_time,
        },
        body: row.body,
    }
}

impl Store {
    /// Inserts a new resource at revision 1; a nested resource needs its parent to exist.
    pub async fn insert(
        &self,
        name: &ResourceName,
        label: &str,
        body: &str,
        now: i64,
    ) -> Result<Meta> {
        let txn = self
            .db
            .begin()
            .await
            .map_err(|e| db_error("begin insert", e))?;
        if let Some(parent) = name.parent().resource(name.kind) {
            let found = Entity::find()
                .filter(key(&parent))
                .count(&txn)
                .await
                .map_err(|e| db_error("find parent", e))?;
            if found == 0 {
                return Err(Error::not_found(&parent.to_string()));
            }
        }
        let meta = Meta {
            revision: 1,
            create_time: now,
            update_time: now,
        };
        let row = resource::ActiveModel {
            tenant: sea_orm::Set(name.tenant.clone()),
            kind: sea_orm::Set(name.kind.as_str().to_owned()),
            parent: sea_orm::Set(name.parent_id.clone()),
            id: sea_orm::Set(name.id.clone()),
            revision: sea_orm::Set(meta.revision),
            create_time: sea_orm::Set(meta.create_time),
            update_time: sea_orm::Set(meta.update_time),
            display_name: sea_orm::Set(label.to_owned()),
            body: sea_orm::Set(body.to_owned()),
        };
        match Entity::insert(row).exec_without_returning(&txn).await {
            Ok(_) => {}
            Err(e) => {
                let err = db_error("insert", e);
                return Err(if err.code == ErrorCode::AlreadyExists {
                    Error::already_exists(&name.to_string())
                } else {
                    err
                });
            }
        }
        txn.commit()
            .await
            .map_err(|e| db_error("commit insert", e))?;
        Ok(meta)
    }

    pub async fn get(&self, name: &ResourceName) -> Result<StoredDocument> {
        Entity::find()
            .filter(key(name))
            .one(&self.db)
            .await
            .map_err(|e| db_error("get", e))?
            .map(|row| document(name.kind, row))
            .ok_or_else(|| Error::not_found(&name.to_string()))
    }

    /// One page ordered by id; returns up to `page.size + 1` rows so the caller sees if more follow.
    pub async fn list(
        &self,
        kind: ResourceKind,
        parent: &Parent,
        conditions: &[Condition],
        page: &PageRequest,
    ) -> Result<Vec<StoredDocument>> {
        let mut query = Entity::find()
            .filter(Column::Tenant.eq(parent.tenant.as_str()))
            .filter(Column::Kind.eq(kind.as_str()))
            .filter(Column::Parent.eq(parent.parent_id.as_str()));
        for condition in conditions {
            query = query.filter(self.json_condition(condition));
        }
        if let Some(after) = &page.after {
            query = query.filter(Column::Id.gt(after.as_str()));
        }
        let rows = query
            .order_by_asc(Column::Id)
            .limit(page.size + 1)
            .all(&self.db)
            .await
            .map_err(|e| db_error("list", e))?;
        Ok(rows.into_iter().map(|row| document(kind, row)).collect())
    }

    /// Counts resources of `kind` directly under `parent`.
    pub async fn count_children(&self, parent: &ResourceName, kind: ResourceKind) -> Result<i64> {
        let count = Entity::find()
            .filter(Column::Tenant.eq(parent.tenant.as_str()))
            .filter(Column::Kind.eq(kind.as_str()))
            .filter(Column::Parent.eq(parent.id.as_str()))
            .count(&self.db)
            .await
            .map_err(|e| db_error("count children", e))?;
        Ok(count as i64)
    }

    /// Replaces a resource's document if it is still at `expected_revision`.
    pub async fn update(
        &self,
        name: &ResourceName,
        expected_revision: i64,
        label: &str,
        body: &str,
        now: i64,
    ) -> Result<Meta> {
        let result = Entity::update_many()
            .col_expr(Column::Revision, Expr::value(expected_revision + 1))
            .col_expr(Column::UpdateTime, Expr::value(now))
            .col_expr(Column::DisplayName, Expr::value(label))
            .col_expr(Column::Body, Expr::value(body))
            .filter(key(name))
            .filter(Column::Revision.eq(expected_revision))
            .exec(&self.db)
            .await
            .map_err(|e| db_error("update", e))?;
        if result.rows_affected == 0 {
            let current = self.get(name).await?;
            return Err(Error::new(
                ErrorCode::ConcurrentModification,
                format!(
                    "{name} was changed concurrently (now at revision {}); retry",
                    current.meta.revision
                ),
            )
            .with_meta("resource", name.to_string()));
        }
        let created = self.get(name).await?.meta.create_time;
        Ok(Meta {
            revision: expected_revision + 1,
            create_time: created,
            update_time: now,
        })
    }

    /// Deletes a resource (and for a parent kind, its children), optionally only at a revision.
    pub async fn delete(&self, name: &ResourceName, expected_revision: Option<i64>) -> Result<()> {
        let txn = self
            .db
            .begin()
            .await
            .map_err(|e| db_error("begin delete", e))?;
        let mut query = Entity::delete_many().filter(key(name));
        if let Some(revision) = expected_revision {
            query = query.filter(Column::Revision.eq(revision));
        }
        let deleted = query
            .exec(&txn)
            .await
            .map_err(|e| db_error("delete", e))?
            .rows_affected;
        if deleted == 0 {
            let exists = Entity::find()
                .filter(key(name))
                .count(&txn)
                .await
                .map_err(|e| db_error("delete check", e))?;
            return Err(if exists == 0 {
                Error::not_found(&name.to_string())
            } else {
                Error::etag_mismatch(&name.to_string())
            });
        }
        Entity::delete_many()
            .filter(Column::Tenant.eq(name.tenant.as_str()))
            .filter(Column::Parent.eq(name.id.as_str()))
            .filter(Column::Kind.is_in(children_of(name.kind)))
            .exec(&txn)
            .await
            .map_err(|e| db_error("delete children", e))?;
        txn.commit().await.map_err(|e| db_error("commit delete", e))
    }

    /// A condition on a top-level field of the JSON document, with bound parameters.
    fn json_condition(&self, condition: &Condition) -> sea_orm::sea_query::SimpleExpr {
        let path = condition.json_field.clone();
        match (self.backend(), &condition.value) {
            (DatabaseBackend::Postgres, FilterValue::Text(v)) => {
                Expr::cust_with_values("(body::jsonb ->> $1) = $2", [path, v.clone()])
            }
            (DatabaseBackend::Postgres, FilterValue::Bool(b)) => {
                Expr::cust_with_values("(body::jsonb ->> $1) = $2", [path, b.to_string()])
            }
            (_, FilterValue::Text(v)) => Expr::cust_with_values(
                "json_extract(body, ?) = ?",
                [format!("$.{path}"), v.clone()],
            ),
            (_, FilterValue::Bool(b)) => Expr::cust_with_values(
                "json_extract(body, ?) = ?",
                [
                    sea_orm::Value::from(format!("$.{path}")),
                    sea_orm::Value::from(*b as i32),
                ],
            ),
        }
    }
}

/// Kinds stored under a resource of `kind`.
fn children_of(kind: ResourceKind) -> Vec<&'static str> {
    match kind {
        ResourceKind::KnowledgeBase => vec![ResourceKind::Document.as_str()],
        _ => vec![],
    }
}
