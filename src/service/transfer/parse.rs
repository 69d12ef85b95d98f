//! Reads a spooled bundle or template of any size without holding it: a streaming JSON reader
//! builds the value of everything but document content, which goes straight from the reader
//! into staged blobs (a string value is read as a stream), leaving a placeholder behind. The
//! rest is bounded: at most `max_metadata_bytes` of names and values, and arrays of documents
//! at most the configured documents per knowledge base.

use std::io::Read;
use std::pin::Pin;

use bytes::{Buf, Bytes};
use futures_util::{Stream, StreamExt};
use serde_json::{Map, Value};
use struson::reader::{JsonReader, JsonStreamReader, ReaderError, ValueType};
use tokio::runtime::Handle;

use crate::domain::bundle::MAX_SECTION_ENTITIES;
use crate::domain::limits::DocumentLimits;
use crate::error::{Error, ErrorCode, FieldViolation, Result};
use crate::store::{Staged, Store};

/// Which document the reader reads, so it knows where document content is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A bundle: `knowledgeBases[i].documents[j].agentport.content`.
    Bundle,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

impl Shape {
    fn is_content(self, path: &[Seg]) -> bool {
        let key = |seg: &Seg, name: &str| matches!(seg, Seg::Key(k) if k == name);
        match (self, path) {
            (Shape::Bundle, [kbs, Seg::Index(_), docs, Seg::Index(_), ext, content]) => {
                key(kbs, "knowledgeBases") && key(docs, "documents") && key(ext, "agentport") && key(content, "content")
            }
            _ => false,
        }
    }

    fn max_items(self, path: &[Seg], limits: &DocumentLimits) -> Option<usize> {
        match (self, path) {
            (Shape::Bundle, [Seg::Key(_)]) => Some(MAX_SECTION_ENTITIES),
            (_, [.., Seg::Key(k)]) if k == "documents" => Some(limits.max_per_knowledge_base),
            _ => None,
        }
    }
}

/// The value read, with each document content replaced by `<mark><n>`, `n` indexing `contents`.
pub struct Parsed {
    pub value: Value,
    pub mark: String,
    pub contents: Vec<Staged>,
}

impl Parsed {
    /// The staged content a placeholder names, if `text` is one.
    pub fn content(&self, text: &str) -> Option<&Staged> {
        let n: usize = text.strip_prefix(&self.mark)?.parse().ok()?;
        self.contents.get(n)
    }
}

/// What bounds a read.
#[derive(Debug, Clone, Copy)]
pub struct ParseLimits {
    pub documents: DocumentLimits,
    pub max_metadata_bytes: usize,
}

/// Reads `bytes` (a stream of the JSON text) into a [`Parsed`], staging document contents in
/// `tenant`. On failure every staged content is discarded. Problems name `field` and the path.
pub async fn parse<S>(
    store: &Store,
    tenant: &str,
    bytes: S,
    shape: Shape,
    limits: ParseLimits,
    field: &str,
) -> Result<Parsed>
where
    S: Stream<Item = Result<Bytes>> + Send + 'static,
{
    let handle = Handle::current();
    let mut walker = Walker {
        handle: handle.clone(),
        store: store.clone(),
        tenant: tenant.to_owned(),
        shape,
        limits,
        field: field.to_owned(),
        path: Vec::new(),
        mark: format!("agentport-content-{}-", uuid::Uuid::new_v4().simple()),
        contents: Vec::new(),
        used: 0,
    };
    let source = StreamRead { handle, stream: Box::pin(bytes), current: Bytes::new(), failure: None };
    tokio::task::spawn_blocking(move || {
        let mut json = JsonStreamReader::new(source);
        let outcome = walker.value(&mut json).and_then(|value| {
            json.consume_trailing_whitespace().map_err(|e| walker.syntax(e))?;
            Ok(value)
        });
        match outcome {
            Ok(value) => Ok(Parsed { value, mark: walker.mark, contents: walker.contents }),
            Err(e) => {
                for staged in walker.contents {
                    walker.handle.block_on(walker.store.discard_upload(&staged.tenant, &staged.upload_id));
                }
                Err(e)
            }
        }
    })
    .await
    .map_err(|e| Error::internal("parse task", e))?
}

struct Walker {
    handle: Handle,
    store: Store,
    tenant: String,
    shape: Shape,
    limits: ParseLimits,
    field: String,
    path: Vec<Seg>,
    mark: String,
    contents: Vec<Staged>,
    /// Bytes of names and values held so far.
    used: usize,
}

impl Walker {
    fn value<R: Read>(&mut self, json: &mut JsonStreamReader<R>) -> Result<Value> {
        match json.peek().map_err(|e| self.syntax(e))? {
            ValueType::Object => {
                json.begin_object().map_err(|e| self.syntax(e))?;
                let mut map = Map::new();
                while json.has_next().map_err(|e| self.syntax(e))? {
                    let key = json.next_name_owned().map_err(|e| self.syntax(e))?;
                    self.charge(key.len())?;
                    self.path.push(Seg::Key(key.clone()));
                    let value = self.value(json)?;
                    self.path.pop();
                    map.insert(key, value);
                }
                json.end_object().map_err(|e| self.syntax(e))?;
                Ok(Value::Object(map))
            }
            ValueType::Array => {
                let max = self.shape.max_items(&self.path, &self.limits.documents);
                json.begin_array().map_err(|e| self.syntax(e))?;
                let mut items = Vec::new();
                while json.has_next().map_err(|e| self.syntax(e))? {
                    if max.is_some_and(|max| items.len() >= max) {
                        let max = max.unwrap_or_default();
                        return Err(self.invalid(format!("must hold at most {max} entries")));
                    }
                    self.path.push(Seg::Index(items.len()));
                    items.push(self.value(json)?);
                    self.path.pop();
                }
                json.end_array().map_err(|e| self.syntax(e))?;
                Ok(Value::Array(items))
            }
            ValueType::String if self.shape.is_content(&self.path) => self.content(json),
            ValueType::String => {
                let room = self.limits.max_metadata_bytes.saturating_sub(self.used);
                let mut text = String::new();
                let reader = json.next_string_reader().map_err(|e| self.syntax(e))?;
                reader.take(room as u64 + 1).read_to_string(&mut text).map_err(|e| self.io(e))?;
                self.charge(text.len())?;
                Ok(Value::String(text))
            }
            ValueType::Number => {
                let number = json.next_number_as_string().map_err(|e| self.syntax(e))?;
                self.charge(number.len())?;
                serde_json::from_str(&number).map_err(|e| self.invalid(format!("is not a number: {e}")))
            }
            ValueType::Boolean => Ok(Value::Bool(json.next_bool().map_err(|e| self.syntax(e))?)),
            ValueType::Null => {
                json.next_null().map_err(|e| self.syntax(e))?;
                Ok(Value::Null)
            }
        }
    }

    /// Streams a document's content from the reader into a staged blob.
    fn content<R: Read>(&mut self, json: &mut JsonStreamReader<R>) -> Result<Value> {
        let upload = self.handle.block_on(self.store.begin_upload(&self.tenant))?;
        // Written behind the parse: the database writes one piece while the next is read.
        let mut upload = {
            let _runtime = self.handle.enter();
            upload.behind()
        };
        let max = self.limits.documents.max_bytes;
        let outcome = (|| {
            let mut reader = json.next_string_reader().map_err(|e| self.syntax(e))?;
            let mut buf = vec![0u8; 256 * 1024];
            loop {
                let n = reader.read(&mut buf).map_err(|e| self.io(e))?;
                if n == 0 {
                    return Ok(());
                }
                if upload.size() + n as u64 > max {
                    return Err(self.invalid(format!("must be at most {max} bytes (the configured document size)")));
                }
                self.handle.block_on(upload.write(Bytes::copy_from_slice(&buf[..n])))?;
            }
        })();
        if let Err(e) = outcome {
            self.handle.block_on(upload.abort());
            return Err(e);
        }
        let staged = self.handle.block_on(upload.finish())?;
        if staged.blob.size == 0 {
            self.handle.block_on(self.store.discard_upload(&staged.tenant, &staged.upload_id));
            return Ok(Value::String(String::new()));
        }
        self.contents.push(staged);
        Ok(Value::String(format!("{}{}", self.mark, self.contents.len() - 1)))
    }

    fn charge(&mut self, bytes: usize) -> Result<()> {
        self.used += bytes;
        if self.used > self.limits.max_metadata_bytes {
            return Err(self.invalid(format!(
                "everything but document content must be at most {} bytes (the message limit)",
                self.limits.max_metadata_bytes
            )));
        }
        Ok(())
    }

    fn path_text(&self) -> String {
        let mut text = self.field.clone();
        for seg in &self.path {
            match seg {
                Seg::Key(k) => {
                    text.push('.');
                    text.push_str(k);
                }
                Seg::Index(i) => text.push_str(&format!("[{i}]")),
            }
        }
        text
    }

    fn invalid(&self, why: String) -> Error {
        Error::invalid(vec![FieldViolation::new(self.path_text(), why)]).with_code(ErrorCode::InvalidBundle)
    }

    fn syntax(&self, e: ReaderError) -> Error {
        match e {
            ReaderError::IoError { error, .. } => self.io(error),
            other => Error::invalid(vec![FieldViolation::new(&self.field, format!("is not valid JSON: {other}"))])
                .with_code(ErrorCode::InvalidBundle),
        }
    }

    fn io(&self, e: std::io::Error) -> Error {
        match e.get_ref().and_then(|inner| inner.downcast_ref::<Error>()) {
            Some(inner) => inner.clone(),
            None => Error::invalid(vec![FieldViolation::new(&self.field, format!("is not valid JSON: {e}"))])
                .with_code(ErrorCode::InvalidBundle),
        }
    }
}

/// A byte stream read synchronously, from a blocking thread.
struct StreamRead {
    handle: Handle,
    stream: Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>,
    current: Bytes,
    failure: Option<Error>,
}

impl Read for StreamRead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            if let Some(e) = &self.failure {
                return Err(std::io::Error::other(e.clone()));
            }
            match self.handle.block_on(self.stream.next()) {
                Some(Ok(bytes)) => self.current = bytes,
                Some(Err(e)) => self.failure = Some(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}
