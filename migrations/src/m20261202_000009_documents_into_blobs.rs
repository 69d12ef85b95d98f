//! Documents of earlier releases kept their content inline in the row's JSON. Each such content
//! moves into the blob store (one blob per distinct content and tenant, 1 MiB chunks), and the
//! row keeps its size and SHA-256 instead, as new documents do.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};
use sha2::{Digest, Sha256};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The blob store's chunk size (`store::blobs::CHUNK_BYTES`).
const CHUNK_BYTES: usize = 1 << 20;
/// Documents moved per round; each held at most 8 MiB of content in earlier releases.
const BATCH: u64 = 16;

fn statement(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = if backend == DatabaseBackend::Postgres {
        let mut n = 0;
        sql.chars()
            .map(|c| {
                if c == '?' {
                    n += 1;
                    format!("${n}")
                } else {
                    c.to_string()
                }
            })
            .collect()
    } else {
        sql.to_owned()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let with_content = match backend {
            DatabaseBackend::Postgres => "(body::jsonb ->> 'content') <> ''",
            _ => "json_extract(body, '$.content') <> ''",
        };
        let select = format!(
            "SELECT tenant, parent, id, body FROM resources WHERE kind = 'document' AND {with_content} LIMIT {BATCH}"
        );
        loop {
            let rows = db.query_all_raw(statement(backend, &select, vec![])).await?;
            if rows.is_empty() {
                return Ok(());
            }
            for row in rows {
                let tenant: String = row.try_get("", "tenant")?;
                let parent: String = row.try_get("", "parent")?;
                let id: String = row.try_get("", "id")?;
                let body: String = row.try_get("", "body")?;
                let mut document: serde_json::Value =
                    serde_json::from_str(&body).map_err(|e| DbErr::Custom(format!("document {id}: {e}")))?;
                let content = document["content"].as_str().unwrap_or_default().to_owned();
                let sha256: String = Sha256::digest(content.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
                move_content(db, backend, &tenant, &sha256, content.as_bytes()).await?;
                let owner = format!("document/{parent}/{id}");
                db.execute_raw(statement(
                    backend,
                    "INSERT INTO blob_refs (tenant, owner_kind, owner_id, sha256) VALUES (?, 'resource', ?, ?) \
                     ON CONFLICT DO NOTHING",
                    vec![tenant.clone().into(), owner.into(), sha256.clone().into()],
                ))
                .await?;
                document["content"] = "".into();
                document["sizeBytes"] = content.len().to_string().into();
                document["sha256"] = sha256.into();
                db.execute_raw(statement(
                    backend,
                    "UPDATE resources SET body = ? WHERE tenant = ? AND kind = 'document' AND parent = ? AND id = ?",
                    vec![document.to_string().into(), tenant.into(), parent.into(), id.into()],
                ))
                .await?;
            }
        }
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

/// Stores `bytes` as the tenant's blob `sha256` unless it holds that content already.
async fn move_content(
    db: &SchemaManagerConnection<'_>,
    backend: DatabaseBackend,
    tenant: &str,
    sha256: &str,
    bytes: &[u8],
) -> Result<(), DbErr> {
    let held = db
        .query_one_raw(statement(
            backend,
            "SELECT 1 AS held FROM blobs WHERE tenant = ? AND sha256 = ?",
            vec![tenant.into(), sha256.into()],
        ))
        .await?;
    if held.is_some() {
        return Ok(());
    }
    let blob_id = uuid::Uuid::new_v4().to_string();
    for (seq, chunk) in bytes.chunks(CHUNK_BYTES).enumerate() {
        db.execute_raw(statement(
            backend,
            "INSERT INTO blob_chunks (tenant, blob_id, seq, data) VALUES (?, ?, ?, ?)",
            vec![tenant.into(), blob_id.clone().into(), (seq as i32).into(), chunk.to_vec().into()],
        ))
        .await?;
    }
    db.execute_raw(statement(
        backend,
        "INSERT INTO blobs (tenant, sha256, id, size, created_at) VALUES (?, ?, ?, ?, 0)",
        vec![tenant.into(), sha256.into(), blob_id.into(), (bytes.len() as i64).into()],
    ))
    .await?;
    Ok(())
}
