//! Exact totals read from the counters the writing transactions keep (`resource_counts`,
//! `job_counts`; triggers of migration 14): one primary-key read, whatever the collection's size.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, Value};

use super::errors::db_error;
use crate::domain::names::{Parent, ResourceKind};
use crate::error::Result;

/// The matching counter rows' sum; `bigint` on both (PostgreSQL sums a `bigint` to a `numeric`).
const SUM_N: &str = "CAST(COALESCE(SUM(n), 0) AS BIGINT)";

/// How many resources of `kind` are directly under `parent`.
pub async fn collection(conn: &impl ConnectionTrait, kind: ResourceKind, parent: &Parent) -> Result<u64> {
    let select = Query::select()
        .expr(Expr::cust(SUM_N))
        .from(Alias::new("resource_counts"))
        .and_where(Expr::col(Alias::new("tenant")).eq(parent.tenant.as_str()))
        .and_where(Expr::col(Alias::new("kind")).eq(kind.as_str()))
        .and_where(Expr::col(Alias::new("parent")).eq(parent.parent_id.as_str()))
        .to_owned();
    sum(conn, select, "count collection").await
}

/// How many jobs of `tenant` have one of `types` and one of `statuses` (`None`: any).
pub async fn jobs(
    conn: &impl ConnectionTrait,
    tenant: &str,
    types: Option<&[String]>,
    statuses: Option<&[String]>,
) -> Result<u64> {
    let mut select = Query::select()
        .expr(Expr::cust(SUM_N))
        .from(Alias::new("job_counts"))
        .and_where(Expr::col(Alias::new("tenant")).eq(tenant))
        .to_owned();
    for (column, values) in [("type", types), ("status", statuses)] {
        if let Some(values) = values {
            select.and_where(Expr::col(Alias::new(column)).is_in(values.iter().map(|v| Value::from(v.as_str()))));
        }
    }
    sum(conn, select, "count jobs").await
}

async fn sum(conn: &impl ConnectionTrait, select: sea_orm::sea_query::SelectStatement, what: &str) -> Result<u64> {
    let row = conn.query_one(&select).await.map_err(|e| db_error(what, e))?;
    let n = match row {
        Some(row) => row.try_get_by_index::<i64>(0).map_err(|e| db_error(what, e))?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}
