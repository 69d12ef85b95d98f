//! Many resources in few statements, for imports: one `IN (...)` query answers which of a list
//! of ids exist, one multi-row INSERT writes a chunk of new resources. Statements are chunked
//! so none exceeds the bound-parameter limits (SQLite 32766, PostgreSQL 65535) or grows with
//! the size of what is written.

use std::collections::{HashMap, HashSet};

use sea_orm::{ConnectionTrait, Value};

use super::blobs::statement;
use super::errors::db_error;
use super::refs;
use crate::domain::names::{ResourceKind, ResourceName};
use crate::error::{Error, ErrorCode, Result};

/// Most bound parameters one statement carries: well below SQLite's 32766 and PostgreSQL's
/// 65535, so a multi-row statement holds `BATCH_PARAMS / columns` rows (1111 resources).
pub const BATCH_PARAMS: usize = 10_000;
/// Most document bytes one multi-row statement carries (a single larger document goes alone).
pub const BATCH_BYTES: usize = 4 << 20;

/// A resource to write: its name, label and JSON document.
#[derive(Debug, Clone)]
pub struct NewResource {
    pub name: ResourceName,
    pub label: String,
    pub body: String,
}

/// Splits `rows` of `columns` parameters each into runs that fit in [`BATCH_PARAMS`] and carry
/// about [`BATCH_BYTES`] bytes at most.
pub(crate) fn chunks<T>(rows: &[T], columns: usize, size: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let max_rows = (BATCH_PARAMS / columns.max(1)).max(1);
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, row) in rows.iter().enumerate() {
        let n = size(row);
        if i > start && (i - start == max_rows || bytes + n > BATCH_BYTES) {
            out.push(&rows[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += n;
    }
    if start < rows.len() {
        out.push(&rows[start..]);
    }
    out
}

/// `?, ?, ?` for `n` values.
fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Which of `ids` name a top-level resource of `kind` in `tenant`: one query per chunk.
pub async fn existing(
    conn: &impl ConnectionTrait,
    tenant: &str,
    kind: ResourceKind,
    ids: &[&str],
) -> Result<HashSet<String>> {
    Ok(revisions(conn, tenant, kind, ids).await?.into_keys().collect())
}

/// The revision of each top-level resource of `kind` among `ids` that exists in `tenant`: one
/// query per chunk.
pub async fn revisions(
    conn: &impl ConnectionTrait,
    tenant: &str,
    kind: ResourceKind,
    ids: &[&str],
) -> Result<HashMap<String, i64>> {
    let mut wanted: Vec<&str> = ids.iter().copied().filter(|id| !id.is_empty()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut found = HashMap::new();
    for chunk in chunks(&wanted, 1, |id| id.len()) {
        let sql = format!(
            "SELECT id, revision FROM resources WHERE tenant = ? AND kind = ? AND parent = '' AND id IN ({})",
            marks(chunk.len())
        );
        let mut values: Vec<Value> = vec![tenant.into(), kind.as_str().into()];
        values.extend(chunk.iter().map(|id| Value::from(*id)));
        let rows = conn
            .query_all_raw(statement(conn.get_database_backend(), &sql, values))
            .await
            .map_err(|e| db_error("revisions", e))?;
        for row in rows {
            let read = |e| Error::internal("read revision", e);
            found.insert(
                row.try_get::<String>("", "id").map_err(read)?,
                row.try_get::<i64>("", "revision").map_err(read)?,
            );
        }
    }
    Ok(found)
}

/// Inserts new resources at revision 1, a multi-row INSERT per chunk, with their references.
/// Parents are not checked: a nested resource's parent must be written first by the caller.
pub async fn insert(conn: &impl ConnectionTrait, rows: &[NewResource], now: i64) -> Result<()> {
    write(conn, rows, now, "").await
}

/// Writes resources over existing ones of the same name (revision + 1, creation time kept) or
/// creates them, a multi-row statement per chunk, with their references.
pub async fn overwrite(conn: &impl ConnectionTrait, rows: &[NewResource], now: i64) -> Result<()> {
    let upsert = " ON CONFLICT (tenant, kind, parent, id) DO UPDATE SET revision = resources.revision + 1, \
                  update_time = excluded.update_time, display_name = excluded.display_name, body = excluded.body";
    write(conn, rows, now, upsert).await
}

async fn write(conn: &impl ConnectionTrait, rows: &[NewResource], now: i64, on_conflict: &str) -> Result<()> {
    for chunk in chunks(rows, 9, |r| r.body.len() + r.label.len()) {
        let row = format!("({})", marks(9));
        let sql = format!(
            "INSERT INTO resources (tenant, kind, parent, id, revision, create_time, update_time, display_name, body) \
             VALUES {}{on_conflict}",
            vec![row.as_str(); chunk.len()].join(", ")
        );
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 9);
        for r in chunk {
            values.extend([
                r.name.tenant.as_str().into(),
                r.name.kind.as_str().into(),
                r.name.parent_id.as_str().into(),
                r.name.id.as_str().into(),
                1i64.into(),
                now.into(),
                now.into(),
                r.label.as_str().into(),
                r.body.as_str().into(),
            ]);
        }
        if let Err(e) = conn.execute_raw(statement(conn.get_database_backend(), &sql, values)).await {
            let err = db_error("insert resources", e);
            return Err(match err.code {
                ErrorCode::AlreadyExists => Error::new(
                    ErrorCode::AlreadyExists,
                    format!(
                        "one of {}, or an agent with the same unique name, was created meanwhile; retry",
                        names(chunk)
                    ),
                ),
                _ => err,
            });
        }
    }
    let written: Vec<(&ResourceName, &str)> = rows.iter().map(|r| (&r.name, r.body.as_str())).collect();
    refs::write_many(conn, &written).await
}

/// The first few names of a chunk, for an error message.
fn names(chunk: &[NewResource]) -> String {
    let mut listed: Vec<String> = chunk.iter().take(3).map(|r| r.name.to_string()).collect();
    if chunk.len() > 3 {
        listed.push(format!("{} more", chunk.len() - 3));
    }
    listed.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_bound_rows_and_bytes() {
        let rows: Vec<usize> = vec![1; 2001];
        let split = chunks(&rows, 10, |n| *n);
        assert_eq!(split.iter().map(|c| c.len()).collect::<Vec<_>>(), [1000, 1000, 1]);
        let big = vec![BATCH_BYTES / 2 + 1; 3];
        assert_eq!(chunks(&big, 9, |n| *n).len(), 3, "two rows over the byte bound go apart");
        let huge = vec![BATCH_BYTES * 2];
        assert_eq!(chunks(&huge, 9, |n| *n).len(), 1, "a single large row still goes");
        assert!(chunks(&Vec::<usize>::new(), 9, |n| *n).is_empty());
    }
}
