//! Blob bytes moved by a task of their own, a bounded number of pieces ahead of (reads) or
//! behind (writes) the stream that uses them, so that the database's work on one chunk
//! overlaps the caller's work on another (encoding, hashing, sending) instead of alternating
//! with it. Each holds at most [`DEPTH`] pieces of at most a chunk in flight.

use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::Upload;
use crate::error::{Error, Result};

/// Pieces in flight between the task and its caller.
pub const DEPTH: usize = 4;

/// Runs `chunks` (a blob's chunk reads) in a task of its own, [`DEPTH`] chunks ahead of the
/// consumer. The task stops at the first error (handed on) or when the consumer goes away.
pub(super) fn read_ahead(
    chunks: impl Stream<Item = Result<Bytes>> + Send + 'static,
) -> impl Stream<Item = Result<Bytes>> + Send + 'static {
    let (sender, receiver) = mpsc::channel(DEPTH);
    tokio::spawn(async move {
        use futures_util::StreamExt;
        let mut chunks = std::pin::pin!(chunks);
        while let Some(chunk) = chunks.next().await {
            let failed = chunk.is_err();
            if sender.send(chunk).await.is_err() || failed {
                return;
            }
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(receiver)
}

/// An upload written by a task of its own, up to [`DEPTH`] pieces behind the caller. Dropped
/// before [`UploadBehind::finish`], it is discarded like an [`Upload`]; a failed write
/// discards it before the failure is reported.
pub struct UploadBehind {
    pieces: mpsc::Sender<Bytes>,
    writer: JoinHandle<Result<Upload>>,
    /// Bytes handed over so far, written or queued.
    size: u64,
}

impl Upload {
    /// This upload, written behind the caller.
    pub fn behind(self) -> UploadBehind {
        let (pieces, mut received) = mpsc::channel::<Bytes>(DEPTH);
        let writer = tokio::spawn(async move {
            let mut upload = self;
            while let Some(piece) = received.recv().await {
                if let Err(e) = upload.write(&piece).await {
                    upload.abort().await;
                    return Err(e);
                }
            }
            Ok(upload)
        });
        UploadBehind { pieces, writer, size: 0 }
    }
}

impl UploadBehind {
    /// The bytes handed over so far, as [`Upload::size`] counts them.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Queues `piece`; waits only while [`DEPTH`] pieces are queued. A failed write of an
    /// earlier piece is reported here (or by `finish`).
    pub async fn write(&mut self, piece: Bytes) -> Result<()> {
        self.size += piece.len() as u64;
        if self.pieces.send(piece).await.is_ok() {
            return Ok(());
        }
        match (&mut self.writer).await {
            Ok(Err(e)) => Err(e),
            Ok(Ok(_)) => Err(Error::internal("upload", "the writer stopped early")),
            Err(e) => Err(Error::internal("upload writer", e)),
        }
    }

    /// Deletes what was written, once the queued pieces are.
    pub async fn abort(self) {
        drop(self.pieces);
        if let Ok(Ok(upload)) = self.writer.await {
            upload.abort().await;
        }
    }

    /// Waits for every queued piece to be written, then finishes the upload.
    pub async fn finish(self) -> Result<super::Staged> {
        drop(self.pieces);
        let upload = self.writer.await.map_err(|e| Error::internal("upload writer", e))??;
        upload.finish().await
    }
}
