//! The `resource_refs` table: kept in step with every write of a resource document (same
//! transaction), read by the `to` index to find who uses a resource.

use std::collections::BTreeMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::batch;
use super::entity::resource::{Column as DocColumn, Entity as Docs};
use super::entity::resource_ref::{ActiveModel, Column, Entity};
use super::errors::db_error;
use crate::domain::names::{ResourceKind, ResourceName};
use crate::domain::references;
use crate::error::Result;

/// Kinds whose documents refer to other resources.
const REFERRING: [ResourceKind; 3] = [ResourceKind::Agent, ResourceKind::Tool, ResourceKind::McpServer];

fn from(name: &ResourceName) -> Condition {
    Condition::all()
        .add(Column::Tenant.eq(name.tenant.as_str()))
        .add(Column::FromKind.eq(name.kind.as_str()))
        .add(Column::FromId.eq(name.id.as_str()))
}

/// Replaces the references of `name` by those its document `body` holds.
pub async fn write(conn: &impl ConnectionTrait, name: &ResourceName, body: &str) -> Result<()> {
    if !REFERRING.contains(&name.kind) || !name.parent_id.is_empty() {
        return Ok(());
    }
    Entity::delete_many().filter(from(name)).exec(conn).await.map_err(|e| db_error("clear refs", e))?;
    insert(conn, name, body).await
}

async fn insert(conn: &impl ConnectionTrait, name: &ResourceName, body: &str) -> Result<()> {
    insert_rows(conn, rows_of(name, body)?).await
}

/// The reference rows of `name`'s document `body` (a reference to itself left out).
fn rows_of(name: &ResourceName, body: &str) -> Result<Vec<ActiveModel>> {
    let targets = references::of_document(name.kind, body)?;
    let rows = targets.into_iter().filter(|(kind, id)| !(*kind == name.kind && *id == name.id)).map(|(kind, id)| {
        ActiveModel {
            tenant: sea_orm::Set(name.tenant.clone()),
            from_kind: sea_orm::Set(name.kind.as_str().to_owned()),
            from_id: sea_orm::Set(name.id.clone()),
            to_kind: sea_orm::Set(kind.as_str().to_owned()),
            to_id: sea_orm::Set(id),
        }
    });
    Ok(rows.collect())
}

async fn insert_rows(conn: &impl ConnectionTrait, rows: Vec<ActiveModel>) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let keep = OnConflict::columns([Column::Tenant, Column::FromKind, Column::FromId, Column::ToKind, Column::ToId])
        .do_nothing()
        .to_owned();
    Entity::insert_many(rows)
        .on_conflict(keep)
        .exec_without_returning(conn)
        .await
        .map_err(|e| db_error("insert refs", e))?;
    Ok(())
}

/// Replaces the references of many resources by those their documents hold: per tenant and
/// kind one DELETE, then one multi-row INSERT per chunk of reference rows.
pub async fn write_many(conn: &impl ConnectionTrait, written: &[(&ResourceName, &str)]) -> Result<()> {
    let referring: Vec<&(&ResourceName, &str)> =
        written.iter().filter(|(name, _)| REFERRING.contains(&name.kind) && name.parent_id.is_empty()).collect();
    let mut groups: BTreeMap<(&str, ResourceKind), Vec<&str>> = BTreeMap::new();
    for (name, _) in &referring {
        groups.entry((name.tenant.as_str(), name.kind)).or_default().push(name.id.as_str());
    }
    for ((tenant, kind), ids) in groups {
        for chunk in batch::chunks(&ids, 1, |id| id.len()) {
            Entity::delete_many()
                .filter(Column::Tenant.eq(tenant))
                .filter(Column::FromKind.eq(kind.as_str()))
                .filter(Column::FromId.is_in(chunk.iter().copied()))
                .exec(conn)
                .await
                .map_err(|e| db_error("clear refs", e))?;
        }
    }
    let mut rows = Vec::new();
    for (name, body) in referring {
        rows.extend(rows_of(name, body)?);
    }
    for chunk in batch::chunks(&rows, 5, |_| 0) {
        insert_rows(conn, chunk.to_vec()).await?;
    }
    Ok(())
}

/// Forgets the references of a deleted resource.
pub async fn delete(conn: &impl ConnectionTrait, name: &ResourceName) -> Result<()> {
    Entity::delete_many().filter(from(name)).exec(conn).await.map_err(|e| db_error("delete refs", e))?;
    Ok(())
}

/// Up to `limit` resources of the tenant that refer to `target`, in (kind, id) order after
/// `after`.
pub async fn referrers(
    conn: &impl ConnectionTrait,
    target: &ResourceName,
    after: Option<(ResourceKind, String)>,
    limit: u64,
) -> Result<Vec<(ResourceKind, String)>> {
    let mut query = Entity::find()
        .filter(Column::Tenant.eq(target.tenant.as_str()))
        .filter(Column::ToKind.eq(target.kind.as_str()))
        .filter(Column::ToId.eq(target.id.as_str()));
    if let Some((kind, id)) = after {
        query = query.filter(
            Condition::any()
                .add(Column::FromKind.gt(kind.as_str()))
                .add(Condition::all().add(Column::FromKind.eq(kind.as_str())).add(Column::FromId.gt(id))),
        );
    }
    let rows = query
        .order_by_asc(Column::FromKind)
        .order_by_asc(Column::FromId)
        .limit(limit)
        .all(conn)
        .await
        .map_err(|e| db_error("referrers", e))?;
    Ok(rows.into_iter().filter_map(|r| Some((ResourceKind::parse(&r.from_kind)?, r.from_id))).collect())
}

/// How many resources refer to `target`.
pub async fn count_referrers(conn: &impl ConnectionTrait, target: &ResourceName) -> Result<u64> {
    Entity::find()
        .filter(Column::Tenant.eq(target.tenant.as_str()))
        .filter(Column::ToKind.eq(target.kind.as_str()))
        .filter(Column::ToId.eq(target.id.as_str()))
        .count(conn)
        .await
        .map_err(|e| db_error("count referrers", e))
}

/// Fills the table from every stored document, a batch at a time (for data stored before the
/// table existed). Safe to repeat.
pub async fn backfill(conn: &impl ConnectionTrait) -> Result<u64> {
    const BATCH: u64 = 500;
    let mut written = 0;
    for kind in REFERRING {
        let mut after: Option<(String, String)> = None;
        loop {
            let mut query = Docs::find().filter(DocColumn::Kind.eq(kind.as_str())).filter(DocColumn::Parent.eq(""));
            if let Some((tenant, id)) = &after {
                query = query.filter(Condition::any().add(DocColumn::Tenant.gt(tenant.as_str())).add(
                    Condition::all().add(DocColumn::Tenant.eq(tenant.as_str())).add(DocColumn::Id.gt(id.as_str())),
                ));
            }
            let rows = query
                .order_by_asc(DocColumn::Tenant)
                .order_by_asc(DocColumn::Id)
                .limit(BATCH)
                .all(conn)
                .await
                .map_err(|e| db_error("backfill refs", e))?;
            for row in &rows {
                let name =
                    ResourceName { tenant: row.tenant.clone(), kind, parent_id: String::new(), id: row.id.clone() };
                insert(conn, &name, &row.body).await?;
                written += 1;
            }
            match rows.last() {
                Some(last) if rows.len() as u64 == BATCH => after = Some((last.tenant.clone(), last.id.clone())),
                _ => break,
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use sea_orm::ConnectionTrait;

    use super::*;
    use crate::domain::json;
    use crate::domain::names::Parent;
    use crate::proto::{Agent, ToolAttachment};
    use crate::store::Store;

    #[tokio::test]
    async fn writes_keep_the_table_in_step_and_backfill_rebuilds_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        store.migrate().await.unwrap();
        let tenant = Parent::tenant("acme");
        let tool = ResourceName::new(&tenant, ResourceKind::Tool, "slack");
        for i in 0..3 {
            let agent = Agent {
                tools: vec![ToolAttachment { tool_id: "slack".into(), ..Default::default() }],
                ..Default::default()
            };
            let name = ResourceName::new(&tenant, ResourceKind::Agent, format!("a{i}"));
            store.insert(&name, "a", &json::to_json(&agent), 1).await.unwrap();
        }
        let found = store.referrers(&tool, None, 10).await.unwrap();
        assert_eq!(found.iter().map(|(_, id)| id.as_str()).collect::<Vec<_>>(), ["a0", "a1", "a2"]);
        let after = store.referrers(&tool, Some((ResourceKind::Agent, "a0".into())), 1).await.unwrap();
        assert_eq!(after, [(ResourceKind::Agent, "a1".to_owned())]);

        let a1 = ResourceName::new(&tenant, ResourceKind::Agent, "a1");
        store.update(&a1, 1, "a", &json::to_json(&Agent::default()), 2).await.unwrap();
        store.delete(&ResourceName::new(&tenant, ResourceKind::Agent, "a2"), None).await.unwrap();
        assert_eq!(store.count_referrers(&tool).await.unwrap(), 1, "update and delete drop their rows");

        store.db().execute_unprepared("DELETE FROM resource_refs").await.unwrap();
        assert_eq!(backfill(store.db()).await.unwrap(), 2);
        assert_eq!(store.referrers(&tool, None, 10).await.unwrap(), [(ResourceKind::Agent, "a0".to_owned())]);
    }
}
