//! The blob store: bytes written from a stream in chunks of [`CHUNK_BYTES`] under a staging
//! upload while their SHA-256 is computed, then attached to an owner in the owner's own
//! transaction, which makes them a blob addressed by (tenant, SHA-256): identical content in a
//! tenant is stored once. Read back as a stream, one bounded query per chunk. The last reference
//! released frees the bytes; uploads never attached are swept after a grace period.
//!
//! Concurrency: attaching and freeing both lock the blob's row first (PostgreSQL row locks,
//! SQLite's single writer), so a blob is never freed while a new reference is being added.

use bytes::Bytes;
use futures_util::Stream;
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Statement, Value};
use sha2::{Digest, Sha256};

use super::Store;
use super::errors::db_error;
use crate::domain::blob::BlobRef;
use crate::domain::names::ResourceName;
use crate::domain::page::hex;
use crate::error::{Error, ErrorCode, Result};

/// Largest chunk stored in one row (and read in one query).
pub const CHUNK_BYTES: usize = 1 << 20;

/// Who holds a reference to a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A resource row (a document, a template).
    Resource(String),
    /// A job's result (an export's bundle).
    Job(String),
    /// The input of a background job, released when the job finishes.
    JobPayload(String),
}

impl Owner {
    pub fn resource(name: &ResourceName) -> Self {
        Owner::Resource(resource_key(name))
    }

    fn kind(&self) -> &'static str {
        match self {
            Owner::Resource(_) => "resource",
            Owner::Job(_) => "job",
            Owner::JobPayload(_) => "job_payload",
        }
    }

    fn id(&self) -> &str {
        match self {
            Owner::Resource(id) | Owner::Job(id) | Owner::JobPayload(id) => id,
        }
    }
}

pub(crate) fn resource_key(name: &ResourceName) -> String {
    format!("{}/{}/{}", name.kind.as_str(), name.parent_id, name.id)
}

/// Bytes written under a staging upload, not yet attached to anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    pub tenant: String,
    pub upload_id: String,
    pub blob: BlobRef,
}

/// A statement with `?` placeholders, numbered for PostgreSQL.
pub(crate) fn statement(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
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

async fn run(conn: &impl ConnectionTrait, context: &str, sql: &str, values: Vec<Value>) -> Result<u64> {
    let done = conn.execute_raw(statement(conn.get_database_backend(), sql, values)).await;
    Ok(done.map_err(|e| db_error(context, e))?.rows_affected())
}

async fn one(conn: &impl ConnectionTrait, context: &str, sql: &str, values: Vec<Value>) -> Result<Option<QueryResult>> {
    conn.query_one_raw(statement(conn.get_database_backend(), sql, values)).await.map_err(|e| db_error(context, e))
}

async fn all(conn: &impl ConnectionTrait, context: &str, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>> {
    conn.query_all_raw(statement(conn.get_database_backend(), sql, values)).await.map_err(|e| db_error(context, e))
}

fn get<T: sea_orm::TryGetable>(row: &QueryResult, column: &str) -> Result<T> {
    row.try_get("", column).map_err(|e| Error::internal("read blob row", e))
}

/// Locks a blob's row for the rest of the transaction (PostgreSQL; SQLite has one writer).
fn for_update(backend: DatabaseBackend) -> &'static str {
    if backend == DatabaseBackend::Postgres { " FOR UPDATE" } else { "" }
}

/// An upload in progress: bytes are hashed as they pass and stored a chunk at a time, each in
/// its own short statement.
pub struct Upload {
    store: Store,
    tenant: String,
    id: String,
    hasher: Sha256,
    size: u64,
    seq: i32,
    pending: Vec<u8>,
    /// Finished or aborted; otherwise dropping the upload discards it (a cancelled call).
    settled: bool,
}

impl Drop for Upload {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let (store, tenant, id) = (self.store.clone(), self.tenant.clone(), self.id.clone());
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move { store.discard_upload(&tenant, &id).await });
        }
    }
}

impl Upload {
    pub fn size(&self) -> u64 {
        self.size
    }

    pub async fn write(&mut self, mut data: &[u8]) -> Result<()> {
        self.hasher.update(data);
        self.size += data.len() as u64;
        while !data.is_empty() {
            let take = data.len().min(CHUNK_BYTES - self.pending.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() == CHUNK_BYTES {
                self.flush().await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        let data = std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK_BYTES));
        run(
            &self.store.db,
            "write blob chunk",
            "INSERT INTO blob_chunks (tenant, blob_id, seq, data) VALUES (?, ?, ?, ?)",
            vec![self.tenant.clone().into(), self.id.clone().into(), self.seq.into(), data.into()],
        )
        .await?;
        self.seq += 1;
        Ok(())
    }

    /// Stores what is left; the bytes stay staged until attached (see [`attach`]).
    pub async fn finish(mut self) -> Result<Staged> {
        if !self.pending.is_empty() {
            self.flush().await?;
        }
        self.settled = true;
        let sha256 = hex(&std::mem::take(&mut self.hasher).finalize());
        let (tenant, upload_id) = (std::mem::take(&mut self.tenant), std::mem::take(&mut self.id));
        Ok(Staged { tenant, upload_id, blob: BlobRef { sha256, size: self.size } })
    }

    /// Deletes what was written so far.
    pub async fn abort(mut self) {
        self.settled = true;
        self.store.discard_upload(&self.tenant, &self.id).await;
    }
}

impl Store {
    /// Starts a staged upload for `tenant`.
    pub async fn begin_upload(&self, tenant: &str) -> Result<Upload> {
        let id = uuid::Uuid::new_v4().to_string();
        run(
            &self.db,
            "begin upload",
            "INSERT INTO blob_uploads (tenant, id, created_at) VALUES (?, ?, ?)",
            vec![tenant.into(), id.clone().into(), crate::domain::clock::now_micros().into()],
        )
        .await?;
        Ok(Upload {
            store: self.clone(),
            tenant: tenant.to_owned(),
            id,
            hasher: Sha256::new(),
            size: 0,
            seq: 0,
            pending: Vec::with_capacity(CHUNK_BYTES),
            settled: false,
        })
    }

    /// Deletes a staged upload that will not be attached; failures are left to the sweep.
    pub async fn discard_upload(&self, tenant: &str, upload_id: &str) {
        if let Err(e) = delete_upload(&self.db, tenant, upload_id, true).await {
            tracing::warn!(error = %e, "could not discard an upload; the sweep will");
        }
    }

    /// The blob's size, if the tenant holds it.
    pub async fn blob_size(&self, tenant: &str, sha256: &str) -> Result<Option<u64>> {
        let row = one(
            &self.db,
            "blob size",
            "SELECT size FROM blobs WHERE tenant = ? AND sha256 = ?",
            vec![tenant.into(), sha256.into()],
        )
        .await?;
        row.map(|r| get::<i64>(&r, "size").map(|s| s as u64)).transpose()
    }

    /// The blob's bytes, a chunk at a time. NOT_FOUND when the tenant lacks it.
    pub async fn read_blob(
        &self,
        tenant: &str,
        sha256: &str,
    ) -> Result<impl Stream<Item = Result<Bytes>> + Send + 'static + use<>> {
        let row = one(
            &self.db,
            "open blob",
            "SELECT id, size FROM blobs WHERE tenant = ? AND sha256 = ?",
            vec![tenant.into(), sha256.into()],
        )
        .await?
        .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("content {sha256} not found")))?;
        let (id, size): (String, i64) = (get(&row, "id")?, get(&row, "size")?);
        Ok(self.read_chunks(tenant, id, size as u64))
    }

    /// The bytes of a staged upload, as [`Store::read_blob`] gives a blob's.
    pub fn read_staged(&self, staged: &Staged) -> impl Stream<Item = Result<Bytes>> + Send + 'static + use<> {
        self.read_chunks(&staged.tenant, staged.upload_id.clone(), staged.blob.size)
    }

    fn read_chunks(
        &self,
        tenant: &str,
        id: String,
        size: u64,
    ) -> impl Stream<Item = Result<Bytes>> + Send + 'static + use<> {
        let (db, tenant) = (self.db.clone(), tenant.to_owned());
        pipelined::read_ahead(async_stream::try_stream! {
            let (mut seq, mut read) = (0i32, 0u64);
            while read < size {
                let row = one(
                    &db,
                    "read blob chunk",
                    "SELECT data FROM blob_chunks WHERE tenant = ? AND blob_id = ? AND seq = ?",
                    vec![tenant.clone().into(), id.clone().into(), seq.into()],
                )
                .await?;
                let Some(row) = row else {
                    Err(Error::new(ErrorCode::NotFound, "content was deleted while it was read"))?;
                    return;
                };
                let data: Vec<u8> = get(&row, "data")?;
                read += data.len() as u64;
                seq += 1;
                yield Bytes::from(data);
            }
        })
    }

    /// Removes references of jobs that are gone (purged) and payload references of jobs that
    /// finished, frees every blob nothing refers to, and deletes uploads started before
    /// `uploads_before` that were never attached. Returns how many blobs and uploads went.
    pub async fn sweep_blobs(&self, uploads_before: i64) -> Result<u64> {
        run(
            &self.db,
            "sweep job references",
            "DELETE FROM blob_refs WHERE owner_kind = 'job' AND NOT EXISTS \
             (SELECT 1 FROM jobs j WHERE j.tenant = blob_refs.tenant AND j.id = blob_refs.owner_id)",
            vec![],
        )
        .await?;
        run(
            &self.db,
            "sweep payload references",
            "DELETE FROM blob_refs WHERE owner_kind = 'job_payload' AND NOT EXISTS \
             (SELECT 1 FROM jobs j WHERE j.tenant = blob_refs.tenant AND j.id = blob_refs.owner_id \
             AND j.status = 'in_progress')",
            vec![],
        )
        .await?;
        let mut swept = 0;
        loop {
            let unused = all(
                &self.db,
                "find unused blobs",
                "SELECT tenant, sha256 FROM blobs b WHERE NOT EXISTS \
                 (SELECT 1 FROM blob_refs r WHERE r.tenant = b.tenant AND r.sha256 = b.sha256) LIMIT 100",
                vec![],
            )
            .await?;
            if unused.is_empty() {
                break;
            }
            for row in unused {
                let txn = super::errors::begin_write(&self.db, "begin free blob").await?;
                if free_if_unused(&txn, &get::<String>(&row, "tenant")?, &get::<String>(&row, "sha256")?).await? {
                    swept += 1;
                }
                txn.commit().await.map_err(|e| db_error("commit free blob", e))?;
            }
        }
        let stale = all(
            &self.db,
            "find stale uploads",
            "SELECT tenant, id FROM blob_uploads WHERE created_at < ?",
            vec![uploads_before.into()],
        )
        .await?;
        for row in stale {
            delete_upload(&self.db, &get::<String>(&row, "tenant")?, &get::<String>(&row, "id")?, true).await?;
            swept += 1;
        }
        Ok(swept)
    }
}

async fn delete_upload(conn: &impl ConnectionTrait, tenant: &str, upload_id: &str, with_chunks: bool) -> Result<()> {
    if with_chunks {
        // Only while the upload is still staged: once attached, its chunks are a blob's.
        run(
            conn,
            "delete upload chunks",
            "DELETE FROM blob_chunks WHERE tenant = ? AND blob_id = ? AND EXISTS \
             (SELECT 1 FROM blob_uploads u WHERE u.tenant = ? AND u.id = ?)",
            vec![tenant.into(), upload_id.into(), tenant.into(), upload_id.into()],
        )
        .await?;
    }
    run(
        conn,
        "delete upload",
        "DELETE FROM blob_uploads WHERE tenant = ? AND id = ?",
        vec![tenant.into(), upload_id.into()],
    )
    .await?;
    Ok(())
}

async fn insert_ref(conn: &impl ConnectionTrait, tenant: &str, sha256: &str, owner: &Owner) -> Result<()> {
    run(
        conn,
        "add blob reference",
        "INSERT INTO blob_refs (tenant, owner_kind, owner_id, sha256) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        vec![tenant.into(), owner.kind().into(), owner.id().into(), sha256.into()],
    )
    .await?;
    Ok(())
}

/// Makes a staged upload the blob of its SHA-256 (or, when the tenant already holds that
/// content, drops the staged copy) and adds `owner`'s reference, in the caller's transaction.
pub async fn attach(conn: &impl ConnectionTrait, staged: &Staged, owner: &Owner, now: i64) -> Result<()> {
    // The no-op update locks an existing row, so a concurrent free waits for this transaction.
    let winner = one(
        conn,
        "finish blob",
        "INSERT INTO blobs (tenant, sha256, id, size, created_at) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (tenant, sha256) DO UPDATE SET size = blobs.size RETURNING id",
        vec![
            staged.tenant.clone().into(),
            staged.blob.sha256.clone().into(),
            staged.upload_id.clone().into(),
            (staged.blob.size as i64).into(),
            now.into(),
        ],
    )
    .await?
    .ok_or_else(|| Error::internal("finish blob", "no row returned"))?;
    let kept_ours = get::<String>(&winner, "id")? == staged.upload_id;
    delete_upload(conn, &staged.tenant, &staged.upload_id, !kept_ours).await?;
    insert_ref(conn, &staged.tenant, &staged.blob.sha256, owner).await
}

/// Adds `owner`'s reference to a blob the tenant holds; NOT_FOUND when it holds none.
pub async fn add_ref(conn: &impl ConnectionTrait, tenant: &str, sha256: &str, owner: &Owner) -> Result<()> {
    let locked = run(
        conn,
        "lock blob",
        "UPDATE blobs SET size = size WHERE tenant = ? AND sha256 = ?",
        vec![tenant.into(), sha256.into()],
    )
    .await?;
    if locked == 0 {
        return Err(Error::new(ErrorCode::NotFound, format!("content {sha256} not found")));
    }
    insert_ref(conn, tenant, sha256, owner).await
}

/// Gives `to_tenant` its own copy of a blob of `from_tenant` (copied inside the database, a
/// statement for all chunks) unless it holds the content already, and adds `owner`'s reference.
pub async fn copy_ref(
    conn: &impl ConnectionTrait,
    from_tenant: &str,
    sha256: &str,
    to_tenant: &str,
    owner: &Owner,
    now: i64,
) -> Result<()> {
    if from_tenant == to_tenant {
        return add_ref(conn, to_tenant, sha256, owner).await;
    }
    match add_ref(conn, to_tenant, sha256, owner).await {
        Err(e) if e.code == ErrorCode::NotFound => {}
        held => return held,
    }
    let source = one(
        conn,
        "open blob to copy",
        &format!(
            "SELECT id, size FROM blobs WHERE tenant = ? AND sha256 = ?{}",
            for_update(conn.get_database_backend())
        ),
        vec![from_tenant.into(), sha256.into()],
    )
    .await?
    .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("content {sha256} not found")))?;
    let (source_id, size): (String, i64) = (get(&source, "id")?, get(&source, "size")?);
    let upload_id = uuid::Uuid::new_v4().to_string();
    run(
        conn,
        "copy blob chunks",
        "INSERT INTO blob_chunks (tenant, blob_id, seq, data) \
         SELECT ?, ?, seq, data FROM blob_chunks WHERE tenant = ? AND blob_id = ?",
        vec![to_tenant.into(), upload_id.clone().into(), from_tenant.into(), source_id.into()],
    )
    .await?;
    run(
        conn,
        "stage blob copy",
        "INSERT INTO blob_uploads (tenant, id, created_at) VALUES (?, ?, ?)",
        vec![to_tenant.into(), upload_id.clone().into(), now.into()],
    )
    .await?;
    let staged = Staged {
        tenant: to_tenant.to_owned(),
        upload_id,
        blob: BlobRef { sha256: sha256.to_owned(), size: size as u64 },
    };
    attach(conn, &staged, owner, now).await
}

/// Releases every reference `owner` holds, freeing blobs left unreferenced.
pub async fn release_owner(conn: &impl ConnectionTrait, tenant: &str, owner: &Owner) -> Result<()> {
    let released = all(
        conn,
        "release blob references",
        "DELETE FROM blob_refs WHERE tenant = ? AND owner_kind = ? AND owner_id = ? RETURNING sha256",
        vec![tenant.into(), owner.kind().into(), owner.id().into()],
    )
    .await?;
    free_released(conn, tenant, released).await
}

/// Releases one reference of `owner`.
pub async fn release_ref(conn: &impl ConnectionTrait, tenant: &str, sha256: &str, owner: &Owner) -> Result<()> {
    let released = all(
        conn,
        "release blob reference",
        "DELETE FROM blob_refs WHERE tenant = ? AND owner_kind = ? AND owner_id = ? AND sha256 = ? RETURNING sha256",
        vec![tenant.into(), owner.kind().into(), owner.id().into(), sha256.into()],
    )
    .await?;
    free_released(conn, tenant, released).await
}

/// Releases the references of every resource stored under `parent` (a knowledge base's
/// documents).
pub async fn release_children(conn: &impl ConnectionTrait, parent: &ResourceName, child_kind: &str) -> Result<()> {
    // Owner keys of children are `<kind>/<parent id>/<id>`; ids never contain `/`, and `0`
    // is the byte after it, so the range holds exactly those keys.
    let from = format!("{child_kind}/{}/", parent.id);
    let to = format!("{child_kind}/{}0", parent.id);
    let released = all(
        conn,
        "release child blob references",
        "DELETE FROM blob_refs WHERE tenant = ? AND owner_kind = 'resource' AND owner_id >= ? AND owner_id < ? \
         RETURNING sha256",
        vec![parent.tenant.clone().into(), from.into(), to.into()],
    )
    .await?;
    free_released(conn, &parent.tenant, released).await
}

async fn free_released(conn: &impl ConnectionTrait, tenant: &str, released: Vec<QueryResult>) -> Result<()> {
    let mut shas: Vec<String> = released.iter().map(|r| get::<String>(r, "sha256")).collect::<Result<_>>()?;
    shas.sort();
    shas.dedup();
    for sha in shas {
        free_if_unused(conn, tenant, &sha).await?;
    }
    Ok(())
}

/// Deletes a blob and its chunks if no reference to it is left. True when it went.
async fn free_if_unused(conn: &impl ConnectionTrait, tenant: &str, sha256: &str) -> Result<bool> {
    let backend = conn.get_database_backend();
    let row = one(
        conn,
        "lock blob to free",
        &format!("SELECT id FROM blobs WHERE tenant = ? AND sha256 = ?{}", for_update(backend)),
        vec![tenant.into(), sha256.into()],
    )
    .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    // A separate statement: it sees references committed while the lock was awaited.
    let used = one(
        conn,
        "blob in use",
        "SELECT 1 AS used FROM blob_refs WHERE tenant = ? AND sha256 = ? LIMIT 1",
        vec![tenant.into(), sha256.into()],
    )
    .await?;
    if used.is_some() {
        return Ok(false);
    }
    let id: String = get(&row, "id")?;
    run(
        conn,
        "free blob chunks",
        "DELETE FROM blob_chunks WHERE tenant = ? AND blob_id = ?",
        vec![tenant.into(), id.into()],
    )
    .await?;
    run(conn, "free blob", "DELETE FROM blobs WHERE tenant = ? AND sha256 = ?", vec![tenant.into(), sha256.into()])
        .await?;
    Ok(true)
}

mod many;
mod pipelined;
#[cfg(test)]
mod tests;

pub use many::attach_many;
pub use pipelined::UploadBehind;
