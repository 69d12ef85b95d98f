//! Response bodies that hold streamed content inside a JSON document: the document is
//! serialized with a unique placeholder where the content goes, and the content is encoded into
//! that spot as it streams, so the body is never held whole.

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde::Serialize;

use crate::domain::encode::{Encoder, Encoding};

/// A string no serialized value can hold by chance: it names the content's spot.
pub fn placeholder() -> String {
    format!("agentport-content-{}", uuid::Uuid::new_v4().simple())
}

/// `value` as a JSON response whose string `mark` is replaced by `content`, encoded.
pub fn json_with_content<T, S, E>(value: &T, mark: &str, content: S, encoding: Encoding) -> Response
where
    T: Serialize,
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let skeleton = serde_json::to_vec(value).expect("a response always serializes");
    let body = Body::from_stream(spliced(skeleton, mark, content, encoding));
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The bytes of `skeleton` with `mark` replaced by the encoded `content`.
pub fn spliced<S, E>(
    skeleton: Vec<u8>,
    mark: &str,
    content: S,
    encoding: Encoding,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let at = memchr::memmem::find(&skeleton, mark.as_bytes()).expect("the document holds the placeholder");
    let suffix = skeleton[at + mark.len()..].to_vec();
    let mut prefix = skeleton;
    prefix.truncate(at);
    async_stream::try_stream! {
        yield Bytes::from(prefix);
        let mut encoder = Encoder::new(encoding);
        let mut content = std::pin::pin!(content);
        while let Some(piece) = content.next().await {
            let piece = piece.map_err(|e| std::io::Error::other(e.to_string()))?;
            let mut out = Vec::with_capacity(piece.len() + piece.len() / 2 + 4);
            encoder.push(&piece, &mut out).map_err(|_| std::io::Error::other("stored content is not UTF-8"))?;
            yield Bytes::from(out);
        }
        let mut out = Vec::new();
        encoder.finish(&mut out).map_err(|_| std::io::Error::other("stored content is not UTF-8"))?;
        out.extend_from_slice(&suffix);
        yield Bytes::from(out);
    }
}
