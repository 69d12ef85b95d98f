use futures_util::TryStreamExt;
use sea_orm::ConnectionTrait;
use sha2::{Digest, Sha256};

use super::*;
use crate::domain::names::{Parent, ResourceKind};
use crate::store::testing::on_each_backend;

/// Bytes that span several chunks and end in a partial one.
fn content(seed: u8) -> Vec<u8> {
    (0..CHUNK_BYTES * 2 + 12_345).map(|i| (i % 251) as u8 ^ seed).collect()
}

async fn upload(store: &Store, tenant: &str, bytes: &[u8]) -> Staged {
    let mut upload = store.begin_upload(tenant).await.unwrap();
    // Uneven writes: chunk boundaries never depend on how callers slice the bytes.
    for piece in bytes.chunks(300_001) {
        upload.write(piece).await.unwrap();
    }
    upload.finish().await.unwrap()
}

async fn read(store: &Store, tenant: &str, sha256: &str) -> Vec<u8> {
    let chunks: Vec<Bytes> = store.read_blob(tenant, sha256).await.unwrap().try_collect().await.unwrap();
    chunks.concat()
}

async fn count(store: &Store, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    let row = store.db().query_one_raw(statement(store.backend(), &sql, vec![])).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn attach_to(store: &Store, staged: &Staged, owner: &Owner) {
    let tx = store.begin().await.unwrap();
    tx.attach_blob(staged, owner, 1).await.unwrap();
    tx.commit().await.unwrap();
}

async fn release(store: &Store, tenant: &str, owner: &Owner) {
    let tx = store.begin().await.unwrap();
    tx.release_blobs(tenant, owner).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn identical_content_is_stored_once_and_freed_with_its_last_reference() {
    on_each_backend(|store| async move {
        let bytes = content(1);
        let first = upload(&store, "t", &bytes).await;
        assert_eq!(first.blob.sha256, hex(&Sha256::digest(&bytes)), "the SHA-256 is computed as bytes pass");
        assert_eq!(first.blob.size, bytes.len() as u64);
        assert_eq!(count(&store, "blob_chunks").await, 3, "chunks of at most CHUNK_BYTES");
        let (a, b) = (Owner::Job("a".into()), Owner::Job("b".into()));
        attach_to(&store, &first, &a).await;
        let second = upload(&store, "t", &bytes).await;
        assert_eq!(second.blob, first.blob);
        attach_to(&store, &second, &b).await;
        assert_eq!(count(&store, "blobs").await, 1);
        assert_eq!(count(&store, "blob_chunks").await, 3, "the second copy was dropped");
        assert_eq!(count(&store, "blob_uploads").await, 0);
        assert_eq!(read(&store, "t", &first.blob.sha256).await, bytes, "read back byte for byte");
        assert!(store.read_blob("other", &first.blob.sha256).await.is_err(), "blobs are per tenant");

        release(&store, "t", &a).await;
        assert_eq!(store.blob_size("t", &first.blob.sha256).await.unwrap(), Some(bytes.len() as u64));
        release(&store, "t", &b).await;
        assert_eq!(store.blob_size("t", &first.blob.sha256).await.unwrap(), None, "the last reference freed it");
        assert_eq!(count(&store, "blob_chunks").await, 0);
    })
    .await;
}

#[tokio::test]
async fn unfinished_uploads_and_unreferenced_blobs_are_swept() {
    on_each_backend(|store| async move {
        let mut abandoned = store.begin_upload("t").await.unwrap();
        abandoned.write(&content(2)).await.unwrap();
        // A crash: the upload is never finished, aborted or dropped.
        std::mem::forget(abandoned);
        let kept = upload(&store, "t", b"kept").await;
        attach_to(&store, &kept, &Owner::Resource("document/kb/d".into())).await;
        // A job's reference goes once the job is gone.
        let gone = upload(&store, "t", b"of a purged job").await;
        attach_to(&store, &gone, &Owner::Job("purged".into())).await;

        assert_eq!(store.sweep_blobs(0).await.unwrap(), 1, "uploads within the grace period stay");
        assert_eq!(store.blob_size("t", &gone.blob.sha256).await.unwrap(), None);
        let now = crate::domain::clock::now_micros() + 1;
        assert_eq!(store.sweep_blobs(now).await.unwrap(), 1, "the abandoned upload");
        assert_eq!(count(&store, "blob_uploads").await, 0);
        assert_eq!(count(&store, "blob_chunks").await, 1, "only the referenced blob is left");
        assert_eq!(read(&store, "t", &kept.blob.sha256).await, b"kept");
    })
    .await;
}

#[tokio::test]
async fn copies_go_across_tenants_and_children_release_with_their_parent() {
    on_each_backend(|store| async move {
        let bytes = content(3);
        let staged = upload(&store, "a", &bytes).await;
        attach_to(&store, &staged, &Owner::Resource("template//t1".into())).await;
        let sha = staged.blob.sha256.clone();

        let kb = ResourceName::new(&Parent::tenant("b"), ResourceKind::KnowledgeBase, "kb");
        let doc = |id: &str| {
            Owner::resource(&ResourceName::new(
                &Parent { tenant: "b".into(), parent_id: "kb".into() },
                ResourceKind::Document,
                id,
            ))
        };
        let other_kb = Owner::Resource("document/kb2/d".into());
        let tx = store.begin().await.unwrap();
        tx.copy_blob_ref("a", &sha, "b", &doc("d1"), 1).await.unwrap();
        tx.copy_blob_ref("a", &sha, "b", &doc("d2"), 1).await.unwrap();
        tx.copy_blob_ref("a", &sha, "b", &other_kb, 1).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(read(&store, "b", &sha).await, bytes);
        assert_eq!(count(&store, "blobs").await, 2, "one copy per tenant");
        assert_eq!(count(&store, "blob_chunks").await, 6);

        let tx = store.begin().await.unwrap();
        release_children(tx.conn(), &kb, "document").await.unwrap();
        tx.commit().await.unwrap();
        assert!(store.blob_size("b", &sha).await.unwrap().is_some(), "kb2's document still holds it");
        release(&store, "b", &other_kb).await;
        assert_eq!(store.blob_size("b", &sha).await.unwrap(), None);
        assert_eq!(read(&store, "a", &sha).await, bytes, "the source tenant keeps its own");

        let tx = store.begin().await.unwrap();
        let missing = tx.add_blob_ref("b", &sha, &doc("d3")).await.unwrap_err();
        assert_eq!(missing.code, ErrorCode::NotFound);
    })
    .await;
}

#[tokio::test]
async fn an_upload_written_behind_keeps_every_byte_and_an_aborted_one_keeps_none() {
    on_each_backend(|store| async move {
        let bytes = content(5);
        let mut behind = store.begin_upload("t").await.unwrap().behind();
        for piece in bytes.chunks(300_001) {
            behind.write(Bytes::copy_from_slice(piece)).await.unwrap();
        }
        let staged = behind.finish().await.unwrap();
        assert_eq!(staged.blob.sha256, hex(&Sha256::digest(&bytes)));
        let read_back: Vec<Bytes> = store.read_staged(&staged).try_collect().await.unwrap();
        assert_eq!(read_back.concat(), bytes, "read back (ahead of the reader) byte for byte");

        let mut aborted = store.begin_upload("t").await.unwrap().behind();
        aborted.write(Bytes::from(content(6))).await.unwrap();
        aborted.abort().await;
        assert_eq!(count(&store, "blob_uploads").await, 1, "only the finished upload is staged");
        assert_eq!(count(&store, "blob_chunks").await, 3, "the aborted upload's chunks are gone");
    })
    .await;
}

/// PostgreSQL keeps chunks out of line without compressing them (migration 17).
#[tokio::test]
async fn postgresql_does_not_compress_blob_chunks() {
    on_each_backend(|store| async move {
        if store.backend() != sea_orm::DatabaseBackend::Postgres {
            return;
        }
        let sql = "SELECT attstorage::text AS storage FROM pg_attribute \
                   WHERE attrelid = 'blob_chunks'::regclass AND attname = 'data'";
        let row = store.db().query_one_raw(statement(store.backend(), sql, vec![])).await.unwrap().unwrap();
        let storage: String = row.try_get("", "storage").unwrap();
        assert_eq!(storage, "e", "STORAGE EXTERNAL");
    })
    .await;
}
