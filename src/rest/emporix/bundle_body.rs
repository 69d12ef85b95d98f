//! The bundle JSON bodies of export and import (`{"data": "<base64>", "checksum": ...}`) as
//! streams: an export's body is written while the bundle is rendered (`data` first, since the
//! checksum is known at the end), an import's body is read with a streaming JSON reader that
//! decodes `data` from base64 as it passes (`data` may come before or after `checksum`).

use axum::body::Body;
use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::domain::encode::{Encoder, Encoding};
use crate::error::Result;
use crate::proto::{StreamExportAgentsResponse, stream_export_agents_response};
use crate::service::transfer::{ImportPart, read_bundle_json};

/// Emporix `ExportResponse` written as the export streams.
pub fn export_body<S>(items: S, iso8601: fn(&crate::domain::timestamp::Timestamp) -> String) -> Body
where
    S: Stream<Item = Result<StreamExportAgentsResponse, tonic::Status>> + Send + 'static,
{
    let body = async_stream::try_stream! {
        yield Bytes::from_static(b"{\"data\":\"");
        let mut encoder = Encoder::new(Encoding::Base64);
        let mut items = std::pin::pin!(items);
        while let Some(item) = items.next().await {
            match item.map_err(|s| std::io::Error::other(s.message().to_owned()))?.part {
                Some(stream_export_agents_response::Part::Chunk(chunk)) => {
                    let mut out = Vec::with_capacity(chunk.len() / 3 * 4 + 8);
                    encoder.push(&chunk, &mut out).expect("base64 takes any bytes");
                    yield Bytes::from(out);
                }
                Some(stream_export_agents_response::Part::Done(done)) => {
                    let mut out = Vec::new();
                    std::mem::replace(&mut encoder, Encoder::new(Encoding::Base64)).finish(&mut out).expect("base64");
                    let text = |v: &str| serde_json::to_string(v).expect("a string serializes");
                    let exported_at = done.exported_at.as_ref().map(iso8601).unwrap_or_default();
                    out.extend_from_slice(
                        format!(
                            "\",\"checksum\":{},\"exportedAt\":{},\"jobId\":{}",
                            text(&done.checksum),
                            text(&exported_at),
                            text(&done.job_id)
                        )
                        .as_bytes(),
                    );
                    if let Some(signature) = &done.signature {
                        out.extend_from_slice(b",\"signature\":");
                        out.extend_from_slice(&serde_json::to_vec(signature).expect("a signature serializes"));
                    }
                    out.push(b'}');
                    yield Bytes::from(out);
                }
                None => {}
            }
        }
    };
    Body::from_stream::<_>(body.map(|r: std::result::Result<Bytes, std::io::Error>| r))
}

/// The parts of an import body: `data` decoded from base64 as it is read, and `checksum`.
/// Other keys are ignored. Problems end the stream with an error naming the key.
pub fn import_parts(body: Body) -> impl Stream<Item = Result<ImportPart>> + Send + 'static {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<ImportPart>>(4);
    let bytes = body.into_data_stream().map_err(std::io::Error::other);
    let reader = SyncIoBridge::new(StreamReader::new(bytes));
    tokio::task::spawn_blocking(move || {
        let sent = read_bundle_json(reader, |part| tx.blocking_send(Ok(part)).is_ok());
        if let Err(e) = sent {
            let _ = tx.blocking_send(Err(e));
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}
