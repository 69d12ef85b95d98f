//! A document written with placeholders where document contents go, cut into parts, and
//! rendered as a stream: the text between placeholders as it is, each content read from the
//! blob store and encoded into its JSON string as it passes. The output is byte-identical to
//! encoding the whole document with the contents in place.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use crate::domain::blob::BlobRef;
use crate::domain::encode::{Encoder, Encoding};
use crate::error::{Error, Result};
use crate::store::{CHUNK_BYTES, Store};

/// A piece of a document to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(Bytes),
    Content(BlobRef),
}

/// A placeholder prefix no value can hold by chance; the n-th content is `<mark><n>`.
pub fn mark() -> String {
    format!("agentport-content-{}-", uuid::Uuid::new_v4().simple())
}

/// Cuts `text` at each `<mark><n>`, the n-th of `contents` taking its place.
pub fn split(text: Vec<u8>, mark: &str, contents: &[BlobRef]) -> Vec<Part> {
    let text = Bytes::from(text);
    if mark.is_empty() {
        return vec![Part::Text(text)];
    }
    let mut parts = Vec::with_capacity(contents.len() * 2 + 1);
    let mut cursor = 0;
    for at in memchr::memmem::find_iter(&text, mark.as_bytes()) {
        let digits = text[at + mark.len()..].iter().take_while(|b| b.is_ascii_digit()).count();
        let end = at + mark.len() + digits;
        let n: usize =
            std::str::from_utf8(&text[at + mark.len()..end]).ok().and_then(|d| d.parse().ok()).unwrap_or(usize::MAX);
        let Some(content) = contents.get(n) else { continue };
        parts.push(Part::Text(text.slice(cursor..at)));
        parts.push(Part::Content(content.clone()));
        cursor = end;
    }
    parts.push(Part::Text(text.slice(cursor..)));
    parts
}

/// The bytes the parts hold apart from contents.
pub fn text_len(parts: &[Part]) -> u64 {
    parts.iter().map(|p| if let Part::Text(t) = p { t.len() as u64 } else { 0 }).sum()
}

/// The rendered bytes, in pieces of at most [`CHUNK_BYTES`].
pub fn render(
    store: Store,
    tenant: String,
    parts: Vec<Part>,
    encoding: Encoding,
) -> impl Stream<Item = Result<Bytes>> + Send + 'static {
    let pieces = async_stream::try_stream! {
        for part in parts {
            match part {
                Part::Text(text) => yield text,
                Part::Content(blob) => {
                    let mut encoder = Encoder::new(encoding);
                    let content = store.read_blob(&tenant, &blob.sha256).await?;
                    let mut content = std::pin::pin!(content);
                    while let Some(piece) = content.next().await {
                        let piece = piece?;
                        let mut out = Vec::with_capacity(piece.len() + piece.len() / 8 + 8);
                        encoder.push(&piece, &mut out).map_err(|_| not_text(&blob))?;
                        yield Bytes::from(out);
                    }
                    let mut out = Vec::new();
                    encoder.finish(&mut out).map_err(|_| not_text(&blob))?;
                    if !out.is_empty() {
                        yield Bytes::from(out);
                    }
                }
            }
        }
    };
    pieces.flat_map(|piece: Result<Bytes>| futures_util::stream::iter(bounded(piece)))
}

/// Splits a piece larger than a chunk (no copy).
fn bounded(piece: Result<Bytes>) -> Vec<Result<Bytes>> {
    match piece {
        Ok(bytes) if bytes.len() > CHUNK_BYTES => (0..bytes.len())
            .step_by(CHUNK_BYTES)
            .map(|at| Ok(bytes.slice(at..(at + CHUNK_BYTES).min(bytes.len()))))
            .collect(),
        Ok(bytes) if bytes.is_empty() => Vec::new(),
        other => vec![other],
    }
}

fn not_text(blob: &BlobRef) -> Error {
    Error::internal("render content", format!("stored content {} is not UTF-8", blob.sha256))
}
