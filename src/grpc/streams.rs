//! Streaming calls: a client stream is authorized on its first message, which names what the
//! call addresses; server streams carry service errors as statuses.

use std::pin::Pin;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tonic::{Request, Status, Streaming};

use crate::auth::{Addressed, Authorizer, Call};
use crate::error::{Error, Result};

/// A stream of responses as tonic sends them.
pub type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Authorizes a client stream by its first message; returns it and the rest of the stream.
pub async fn check_stream<M>(
    auth: &Authorizer,
    request: Request<Streaming<M>>,
    method: &'static str,
) -> Result<(Call, M, Streaming<M>), Status>
where
    M: prost::Message + prost::Name + Default + Addressed + crate::domain::text::NulFree + 'static,
{
    let (metadata, extensions, mut stream) = request.into_parts();
    let first = stream
        .message()
        .await?
        .ok_or_else(|| Status::from(Error::invalid_field("header", "the stream is empty: send the header first")))?;
    let (call, first) = auth.check(Request::from_parts(metadata, extensions, first), method).await?;
    Ok((call, first, stream))
}

/// The byte pieces of the messages after the first; any other part, or a transport failure
/// (the client went away, the stream was cut), ends the pieces with an error.
pub fn pieces<M, F>(stream: Streaming<M>, piece: F) -> impl Stream<Item = Result<Bytes>> + Send
where
    M: Send + 'static,
    F: Fn(M) -> Option<Bytes> + Send + 'static,
{
    stream.map(move |message| match message {
        Ok(message) => {
            piece(message).ok_or_else(|| Error::invalid_field("chunk", "only the first message is a header"))
        }
        Err(status) => Err(Error::new(
            crate::error::ErrorCode::InvalidArgument,
            format!("the stream was cut: {}", status.message()),
        )),
    })
}
