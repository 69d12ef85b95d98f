//! Whole-table passes over the resources of every tenant, for one-time maintenance (sealing
//! the plaintext credentials of earlier releases): read in key order a batch at a time, and
//! rewrite a document in place without a new revision, since its content did not change.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::Store;
use super::entity::resource::{Column, Entity};
use super::errors::db_error;
use super::resources::StoredDocument;
use crate::domain::names::{ResourceKind, ResourceName};
use crate::domain::resource::Meta;
use crate::error::Result;

/// Where a pass stands: the key of the last row read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepCursor(Option<(String, String, String, String)>);

impl Store {
    /// Up to `limit` resources of `kinds`, any tenant, after `cursor` in key order; the cursor
    /// moves past them (and past rows of other kinds read on the way).
    pub async fn sweep_resources(
        &self,
        kinds: &[ResourceKind],
        cursor: &mut SweepCursor,
        limit: u64,
    ) -> Result<Vec<StoredDocument>> {
        let mut query = Entity::find()
            .order_by_asc(Column::Tenant)
            .order_by_asc(Column::Kind)
            .order_by_asc(Column::Parent)
            .order_by_asc(Column::Id)
            .limit(limit);
        if let Some((tenant, kind, parent, id)) = &cursor.0 {
            // (tenant, kind, parent, id) > the cursor, spelled out for both backends.
            let t = Column::Tenant;
            query = query.filter(
                Condition::any()
                    .add(t.gt(tenant.as_str()))
                    .add(Condition::all().add(t.eq(tenant.as_str())).add(Column::Kind.gt(kind.as_str())))
                    .add(
                        Condition::all()
                            .add(t.eq(tenant.as_str()))
                            .add(Column::Kind.eq(kind.as_str()))
                            .add(Column::Parent.gt(parent.as_str())),
                    )
                    .add(
                        Condition::all()
                            .add(t.eq(tenant.as_str()))
                            .add(Column::Kind.eq(kind.as_str()))
                            .add(Column::Parent.eq(parent.as_str()))
                            .add(Column::Id.gt(id.as_str())),
                    ),
            );
        }
        let rows = query.all(&self.db).await.map_err(|e| db_error("sweep resources", e))?;
        if let Some(last) = rows.last() {
            cursor.0 = Some((last.tenant.clone(), last.kind.clone(), last.parent.clone(), last.id.clone()));
        }
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let kind = ResourceKind::parse(&row.kind).filter(|k| kinds.contains(k))?;
                Some(StoredDocument {
                    name: ResourceName { tenant: row.tenant, kind, parent_id: row.parent, id: row.id },
                    meta: Meta { revision: row.revision, create_time: row.create_time, update_time: row.update_time },
                    body: row.body,
                })
            })
            .collect())
    }

    /// Replaces a document's body with an equivalent one if it is still at `revision`; the
    /// revision and update time stay. False when the resource changed (or went) meanwhile.
    pub async fn reseal(&self, name: &ResourceName, revision: i64, body: &str) -> Result<bool> {
        let result = Entity::update_many()
            .col_expr(Column::Body, Expr::value(body))
            .filter(Column::Tenant.eq(name.tenant.as_str()))
            .filter(Column::Kind.eq(name.kind.as_str()))
            .filter(Column::Parent.eq(name.parent_id.as_str()))
            .filter(Column::Id.eq(name.id.as_str()))
            .filter(Column::Revision.eq(revision))
            .exec(&self.db)
            .await
            .map_err(|e| db_error("reseal", e))?;
        Ok(result.rows_affected == 1)
    }
}
