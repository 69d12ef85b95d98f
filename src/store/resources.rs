//! Reads and writes of resource documents, usable on the pool or inside a transaction.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition as SqlCondition, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};

use super::doc_query_sql::{DocQuery, doc_condition, doc_order};
use super::entity::resource::{self, Column, Entity};
use super::errors::{begin_write, db_error};
use super::refs;
use crate::domain::filter::{Condition, FilterValue};
use crate::domain::names::{Parent, ResourceKind, ResourceName};
use crate::domain::page::{MAX_PAGE_SIZE, PageRequest};
use crate::domain::query::REGEX_SCAN_CHARS;
use crate::domain::resource::Meta;
use crate::domain::unique_name;
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
        name: ResourceName { tenant: row.tenant, kind, parent_id: row.parent, id: row.id },
        meta: Meta { revision: row.revision, create_time: row.create_time, update_time: row.update_time },
        body: row.body,
    }
}

/// Inserts a new resource at revision 1; a nested resource needs its parent to exist.
pub async fn insert<C: ConnectionTrait + TransactionTrait>(
    conn: &C,
    name: &ResourceName,
    label: &str,
    body: &str,
    now: i64,
) -> Result<Meta> {
    let txn = begin_write(conn, "begin insert").await?;
    if let Some(parent) = name.parent().resource(name.kind)
        && !exists(&txn, &parent).await?
    {
        return Err(Error::not_found(&parent.to_string()));
    }
    let meta = Meta { revision: 1, create_time: now, update_time: now };
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
    if let Err(e) = Entity::insert(row).exec_without_returning(&txn).await {
        let err = db_error("insert", e);
        if err.code != ErrorCode::AlreadyExists {
            return Err(err);
        }
        // The key or the agents' unique-name index: the key only if the row is there.
        txn.rollback().await.map_err(|e| db_error("rollback insert", e))?;
        return Err(if exists(conn, name).await? {
            Error::already_exists(&name.to_string())
        } else {
            unique_name::taken()
        });
    }
    refs::write(&txn, name, body).await?;
    txn.commit().await.map_err(|e| db_error("commit insert", e))?;
    Ok(meta)
}

/// The resource of `kind` with `id` in whichever tenant holds it (ids minted by the service are
/// unique across tenants).
pub async fn find_any_tenant(
    conn: &impl ConnectionTrait,
    kind: ResourceKind,
    id: &str,
) -> Result<Option<StoredDocument>> {
    let row = Entity::find()
        .filter(Column::Kind.eq(kind.as_str()))
        .filter(Column::Id.eq(id))
        .filter(Column::Parent.eq(""))
        .one(conn)
        .await
        .map_err(|e| db_error("find by id", e))?;
    Ok(row.map(|row| document(kind, row)))
}

pub async fn exists(conn: &impl ConnectionTrait, name: &ResourceName) -> Result<bool> {
    let found = Entity::find().filter(key(name)).count(conn).await.map_err(|e| db_error("exists", e))?;
    Ok(found > 0)
}

/// One resource by its primary key, the read every Get is. Written out rather than built: no
/// `LIMIT` (the key matches at most one row), because on SQLite a bound `LIMIT` lets the planner
/// read its value, so every execution re-prepares the statement (a third of a point read's
/// instructions), and no query builder or model mapping on the hottest path.
pub async fn get(conn: &impl ConnectionTrait, name: &ResourceName) -> Result<StoredDocument> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "SELECT revision, create_time, update_time, body FROM resources \
             WHERE tenant = $1 AND kind = $2 AND parent = $3 AND id = $4"
        }
        _ => {
            "SELECT revision, create_time, update_time, body FROM resources \
             WHERE tenant = ? AND kind = ? AND parent = ? AND id = ?"
        }
    };
    let values: [sea_orm::Value; 4] = [
        name.tenant.as_str().into(),
        name.kind.as_str().into(),
        name.parent_id.as_str().into(),
        name.id.as_str().into(),
    ];
    let statement = sea_orm::Statement::from_sql_and_values(backend, sql, values);
    let row = conn.query_one_raw(statement).await.map_err(|e| db_error("get", e))?;
    let row = row.ok_or_else(|| Error::not_found(&name.to_string()))?;
    let column = |e| db_error("get", e);
    let meta = Meta {
        revision: row.try_get_by_index(0).map_err(column)?,
        create_time: row.try_get_by_index(1).map_err(column)?,
        update_time: row.try_get_by_index(2).map_err(column)?,
    };
    Ok(StoredDocument { name: name.clone(), meta, body: row.try_get_by_index(3).map_err(column)? })
}

/// The top-level resources of `kind` with these ids in `tenant` (those that exist), in id order:
/// one query per chunk of ids.
pub async fn get_many(
    conn: &impl ConnectionTrait,
    tenant: &str,
    kind: ResourceKind,
    ids: &[String],
) -> Result<Vec<StoredDocument>> {
    let chunks = super::batch::chunks(ids, 1, String::len);
    let several = chunks.len() > 1;
    let mut out = Vec::new();
    for chunk in chunks {
        let rows = Entity::find()
            .filter(Column::Tenant.eq(tenant))
            .filter(Column::Kind.eq(kind.as_str()))
            .filter(Column::Parent.eq(""))
            .filter(Column::Id.is_in(chunk.iter().map(String::as_str)))
            .order_by_asc(Column::Id)
            .all(conn)
            .await
            .map_err(|e| db_error("get many", e))?;
        out.extend(rows.into_iter().map(|row| document(kind, row)));
    }
    if several {
        out.sort_by(|a, b| a.name.id.cmp(&b.name.id));
    }
    Ok(out)
}

/// Up to `limit` resources of `kind` under any of `parents` (top-level resources of `tenant`),
/// in (parent, id) order after `after`: a page of the children of many parents in one query.
pub async fn children_page(
    conn: &impl ConnectionTrait,
    tenant: &str,
    kind: ResourceKind,
    parents: &[String],
    after: Option<(String, String)>,
    limit: u64,
) -> Result<Vec<StoredDocument>> {
    let mut query = Entity::find()
        .filter(Column::Tenant.eq(tenant))
        .filter(Column::Kind.eq(kind.as_str()))
        .filter(Column::Parent.is_in(parents.iter().map(String::as_str)));
    if let Some((parent, id)) = after {
        query = query.filter(
            SqlCondition::any()
                .add(Column::Parent.gt(parent.as_str()))
                .add(SqlCondition::all().add(Column::Parent.eq(parent.as_str())).add(Column::Id.gt(id))),
        );
    }
    let rows = query
        .order_by_asc(Column::Parent)
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(conn)
        .await
        .map_err(|e| db_error("children page", e))?;
    Ok(rows.into_iter().map(|row| document(kind, row)).collect())
}

/// The resources of `kind` directly under `parent` that meet every condition and `query`.
fn matching(
    backend: DatabaseBackend,
    kind: ResourceKind,
    parent: &Parent,
    conditions: &[Condition],
    query: &DocQuery,
) -> sea_orm::Select<Entity> {
    let mut select = Entity::find()
        .filter(Column::Tenant.eq(parent.tenant.as_str()))
        .filter(Column::Kind.eq(kind.as_str()))
        .filter(Column::Parent.eq(parent.parent_id.as_str()));
    for condition in conditions {
        select = select.filter(json_condition(backend, condition));
    }
    if !query.conditions.is_empty() {
        select = select.filter(doc_condition(query, backend));
    }
    select
}

/// One page ordered by id, read by the primary key; returns up to `page.size + 1` rows so the
/// caller sees if more follow.
pub async fn list(
    conn: &impl ConnectionTrait,
    kind: ResourceKind,
    parent: &Parent,
    conditions: &[Condition],
    page: &PageRequest,
) -> Result<Vec<StoredDocument>> {
    list_queried(conn, kind, parent, conditions, &DocQuery::NONE, page).await
}

/// One page of the matches of `conditions` and `query`, in the query's sort order (then id);
/// up to `page.size + 1` rows so the caller sees if more follow. A page token's position
/// (`page.after`) is an id, so it is for id order only.
pub async fn list_queried(
    conn: &impl ConnectionTrait,
    kind: ResourceKind,
    parent: &Parent,
    conditions: &[Condition],
    query: &DocQuery<'_>,
    page: &PageRequest,
) -> Result<Vec<StoredDocument>> {
    let select = page_select(conn.get_database_backend(), kind, parent, conditions, query, page);
    let rows = select.all(conn).await.map_err(|e| db_error("list", e))?;
    Ok(rows.into_iter().map(|row| document(kind, row)).collect())
}

/// The statement of [`list_queried`].
fn page_select(
    backend: DatabaseBackend,
    kind: ResourceKind,
    parent: &Parent,
    conditions: &[Condition],
    query: &DocQuery<'_>,
    page: &PageRequest,
) -> sea_orm::Select<Entity> {
    let mut select = matching(backend, kind, parent, conditions, query);
    if let Some(after) = &page.after {
        select = select.filter(Column::Id.gt(after.as_str()));
    }
    if page.skip > 0 {
        select = select.offset(page.skip);
    }
    for (expr, order) in doc_order(query, backend) {
        select = select.order_by(expr, order);
    }
    select.limit(page.size + 1)
}

/// How many resources of `kind` directly under `parent` meet every condition: one COUNT on the
/// primary key's range (the conditions, if any, read the documents of that range only).
pub async fn count(
    conn: &impl ConnectionTrait,
    kind: ResourceKind,
    parent: &Parent,
    conditions: &[Condition],
) -> Result<u64> {
    count_queried(conn, kind, parent, conditions, &DocQuery::NONE).await
}

/// [`count`] of the matches of `conditions` and `query`. The whole collection's count is its
/// counter (constant time); a filtered count reads the collection's index range.
pub async fn count_queried(
    conn: &impl ConnectionTrait,
    kind: ResourceKind,
    parent: &Parent,
    conditions: &[Condition],
    query: &DocQuery<'_>,
) -> Result<u64> {
    if conditions.is_empty() && query.conditions.is_empty() {
        return super::counts::collection(conn, kind, parent).await;
    }
    matching(conn.get_database_backend(), kind, parent, conditions, query)
        .count(conn)
        .await
        .map_err(|e| db_error("count", e))
}

/// Every resource of `kind` directly under `parent`, in id order, read a page at a time.
pub async fn list_all(conn: &impl ConnectionTrait, kind: ResourceKind, parent: &Parent) -> Result<Vec<StoredDocument>> {
    let mut out: Vec<StoredDocument> = Vec::new();
    loop {
        let page = PageRequest { size: MAX_PAGE_SIZE, after: out.last().map(|d| d.name.id.clone()), skip: 0 };
        let mut rows = list(conn, kind, parent, &[], &page).await?;
        let more = rows.len() as u64 > page.size;
        rows.truncate(page.size as usize);
        out.extend(rows);
        if !more {
            return Ok(out);
        }
    }
}

/// How many resources of `kind` each of `parents` (top-level resources of `tenant`) holds, in one
/// grouped query; parents holding none are left out.
pub async fn count_children_of(
    conn: &impl ConnectionTrait,
    tenant: &str,
    kind: ResourceKind,
    parents: &[String],
) -> Result<std::collections::HashMap<String, i64>> {
    let rows: Vec<(String, i64)> = Entity::find()
        .select_only()
        .column(Column::Parent)
        .column_as(Column::Id.count(), "n")
        .filter(Column::Tenant.eq(tenant))
        .filter(Column::Kind.eq(kind.as_str()))
        .filter(Column::Parent.is_in(parents.iter().map(String::as_str)))
        .group_by(Column::Parent)
        .into_tuple()
        .all(conn)
        .await
        .map_err(|e| db_error("count children", e))?;
    Ok(rows.into_iter().collect())
}

/// Counts resources of `kind` directly under `parent` (its counter).
pub async fn count_children(conn: &impl ConnectionTrait, parent: &ResourceName, kind: ResourceKind) -> Result<i64> {
    let under = Parent { tenant: parent.tenant.clone(), parent_id: parent.id.clone() };
    Ok(super::counts::collection(conn, kind, &under).await? as i64)
}

/// Replaces a resource's document (and its references) if it is still at `expected_revision`.
pub async fn update<C: ConnectionTrait + TransactionTrait>(
    conn: &C,
    name: &ResourceName,
    expected_revision: i64,
    label: &str,
    body: &str,
    now: i64,
) -> Result<Meta> {
    let txn = begin_write(conn, "begin update").await?;
    let result = Entity::update_many()
        .col_expr(Column::Revision, Expr::value(expected_revision + 1))
        .col_expr(Column::UpdateTime, Expr::value(now))
        .col_expr(Column::DisplayName, Expr::value(label))
        .col_expr(Column::Body, Expr::value(body))
        .filter(key(name))
        .filter(Column::Revision.eq(expected_revision))
        .exec(&txn)
        .await
        .map_err(|e| match db_error("update", e) {
            // The key does not change: the unique index refusing is the agents' unique name.
            err if err.code == ErrorCode::AlreadyExists => unique_name::taken(),
            err => err,
        })?;
    let current = get(&txn, name).await?;
    if result.rows_affected == 0 {
        return Err(Error::new(
            ErrorCode::ConcurrentModification,
            format!("{name} was changed concurrently (now at revision {}); retry", current.meta.revision),
        )
        .with_meta("resource", name.to_string()));
    }
    refs::write(&txn, name, body).await?;
    txn.commit().await.map_err(|e| db_error("commit update", e))?;
    Ok(current.meta)
}

/// Deletes a resource (and for a parent kind, its children), optionally only at a revision.
pub async fn delete<C: ConnectionTrait + TransactionTrait>(
    conn: &C,
    name: &ResourceName,
    expected_revision: Option<i64>,
) -> Result<()> {
    let txn = begin_write(conn, "begin delete").await?;
    let mut query = Entity::delete_many().filter(key(name));
    if let Some(revision) = expected_revision {
        query = query.filter(Column::Revision.eq(revision));
    }
    let deleted = query.exec(&txn).await.map_err(|e| db_error("delete", e))?.rows_affected;
    if deleted == 0 {
        return Err(if exists(&txn, name).await? {
            Error::etag_mismatch(&name.to_string())
        } else {
            Error::not_found(&name.to_string())
        });
    }
    refs::delete(&txn, name).await?;
    // The resource's content, and its children's, is released with it.
    super::blobs::release_owner(&txn, &name.tenant, &super::blobs::Owner::resource(name)).await?;
    let children = children_of(name.kind);
    for child in &children {
        super::blobs::release_children(&txn, name, child).await?;
    }
    if !children.is_empty() {
        Entity::delete_many()
            .filter(Column::Tenant.eq(name.tenant.as_str()))
            .filter(Column::Parent.eq(name.id.as_str()))
            .filter(Column::Kind.is_in(children))
            .exec(&txn)
            .await
            .map_err(|e| db_error("delete children", e))?;
    }
    txn.commit().await.map_err(|e| db_error("commit delete", e))
}

/// A condition on a top-level field of the JSON document. The value is a bound parameter; the
/// field, a proto JSON name (an identifier, never caller text), is written as a literal, so
/// the expression is the one the lookup indexes are built on (migration 16). A localized text
/// (a JSON object of language -> text) matches when any of its values does.
fn json_condition(backend: DatabaseBackend, condition: &Condition) -> sea_orm::sea_query::SimpleExpr {
    let field = condition.json_field.as_str();
    assert!(
        !field.is_empty() && field.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
        "a filter field is a proto JSON name: {field:?}"
    );
    let postgres = backend == DatabaseBackend::Postgres;
    let (test, value): (&str, sea_orm::Value) = match (&condition.value, postgres) {
        (FilterValue::Text(v), _) => ("=", v.clone().into()),
        (FilterValue::Bool(b), true) => ("=", b.to_string().into()),
        (FilterValue::Bool(b), false) => ("=", (*b as i32).into()),
        (FilterValue::Regex(p), true) => ("~", p.clone().into()),
        // Rust's regex (SQLite's REGEXP) needs `(?s)` for `.` to match newlines as PostgreSQL's does.
        (FilterValue::Regex(p), false) => ("REGEXP", format!("(?s){p}").into()),
    };
    // A regex reads a bounded prefix of the value, so one row costs a bounded amount.
    let read = |value: &str| match condition.value {
        FilterValue::Regex(_) => format!("substr({value}, 1, {REGEX_SCAN_CHARS})"),
        _ => value.to_owned(),
    };
    let sql = match (condition.any_value, postgres) {
        (false, true) => format!("{} {test} $1", read(&format!("(body::jsonb ->> '{field}')"))),
        (false, false) => format!("{} {test} ?", read(&format!("json_extract(body, '$.{field}')"))),
        (true, true) => format!(
            "EXISTS (SELECT 1 FROM jsonb_each_text(body::jsonb -> '{field}') AS t WHERE {} {test} $1)",
            read("t.value")
        ),
        (true, false) => {
            format!("EXISTS (SELECT 1 FROM json_each(body, '$.{field}') AS t WHERE {} {test} ?)", read("t.value"))
        }
    };
    Expr::cust_with_values(sql, [value])
}

/// Kinds stored under a resource of `kind`.
fn children_of(kind: ResourceKind) -> Vec<&'static str> {
    match kind {
        ResourceKind::KnowledgeBase => vec![ResourceKind::Document.as_str()],
        _ => vec![],
    }
}

#[cfg(test)]
mod plan_tests;
