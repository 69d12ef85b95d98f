//! Document content in the blob store: written from a stream with its limits checked as the
//! bytes pass, read back as a stream or, when small, as text.

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};

use crate::domain::limits::DocumentLimits;
use crate::domain::utf8::Utf8Chunks;
use crate::error::{Error, ErrorCode, Result};
use crate::store::{Staged, Store};

/// Stores `pieces` as a staged blob of `tenant`: at most `limits.max_bytes`, UTF-8 text. On any
/// failure what was written is discarded. `field` names the content in errors.
pub async fn stage<S>(store: &Store, tenant: &str, pieces: S, limits: &DocumentLimits, field: &str) -> Result<Staged>
where
    S: Stream<Item = Result<Bytes>>,
{
    let mut pieces = std::pin::pin!(pieces);
    let mut upload = store.begin_upload(tenant).await?;
    let mut text = Utf8Chunks::default();
    let outcome: Result<()> = async {
        while let Some(piece) = pieces.next().await {
            let piece = piece?;
            if upload.size() + piece.len() as u64 > limits.max_bytes {
                return Err(too_big(field, limits));
            }
            text.push(&piece).map_err(|_| not_text(field))?;
            upload.write(&piece).await?;
        }
        text.finish().map_err(|_| not_text(field))
    }
    .await;
    match outcome {
        Ok(()) => upload.finish().await,
        Err(e) => {
            upload.abort().await;
            Err(e)
        }
    }
}

/// Stores text already in memory (a unary call's `content`).
pub async fn stage_text(
    store: &Store,
    tenant: &str,
    text: &str,
    limits: &DocumentLimits,
    field: &str,
) -> Result<Staged> {
    if text.len() as u64 > limits.max_bytes {
        return Err(too_big(field, limits));
    }
    let piece = Bytes::copy_from_slice(text.as_bytes());
    stage(store, tenant, futures_util::stream::iter([Ok(piece)]), limits, field).await
}

/// The content of a blob as text; for contents known to fit in memory.
pub async fn read_text(store: &Store, tenant: &str, sha256: &str) -> Result<String> {
    let pieces: Vec<Bytes> = store.read_blob(tenant, sha256).await?.try_collect().await?;
    String::from_utf8(pieces.concat()).map_err(|e| Error::internal("stored document content", e))
}

fn too_big(field: &str, limits: &DocumentLimits) -> Error {
    Error::invalid_field(field, format!("must be at most {} bytes (the configured document size)", limits.max_bytes))
}

fn not_text(field: &str) -> Error {
    Error::invalid_field(field, "must be UTF-8 text")
}

/// A checksum the caller named that the content does not have.
pub fn checksum_mismatch(given: &str, actual: &str) -> Error {
    Error::new(ErrorCode::ChecksumMismatch, format!("the content's SHA-256 is {actual}, not {given}"))
        .with_meta("sha256", actual)
}

/// Contents staged for documents about to be written, by (knowledge base id, document id).
pub type StagedContents = std::collections::HashMap<(String, String), Staged>;

/// Stages the in-memory content of each document, leaving the documents pointing at it.
/// Call before the write transaction (SQLite has one writer); discard what is not attached.
pub async fn stage_all<'a>(
    store: &Store,
    tenant: &str,
    documents: impl Iterator<Item = (&'a str, &'a str, &'a mut crate::proto::Document)>,
    limits: &DocumentLimits,
) -> Result<StagedContents> {
    let mut staged = StagedContents::new();
    for (kb, id, document) in documents {
        if document.content.is_empty() {
            continue;
        }
        let field = format!("knowledge base {kb:?}, document {id:?}: content");
        match stage_text(store, tenant, &document.content, limits, &field).await {
            Ok(one) => {
                super::set_content(document, Some(&one.blob));
                staged.insert((kb.to_owned(), id.to_owned()), one);
            }
            Err(e) => {
                discard_all(store, staged).await;
                return Err(e);
            }
        }
    }
    Ok(staged)
}

/// Discards staged contents; those attached meanwhile are kept.
pub async fn discard_all(store: &Store, staged: StagedContents) {
    for one in staged.into_values() {
        store.discard_upload(&one.tenant, &one.upload_id).await;
    }
}
