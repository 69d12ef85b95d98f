//! A template keeps its documents' content by reference: the stored definition holds a
//! placeholder (`<content_mark><n>`) where each content goes, `contents[n]` names its blob, and
//! the template's row holds a reference to each. Readers get the definition with contents in
//! place (when it fits in one message), without them (lists), or rendered as a stream.

use bytes::Bytes;
use futures_util::{Stream, TryStreamExt};
use serde_json::Value;

use super::TemplateView;
use crate::domain::blob::BlobRef;
use crate::domain::encode::Encoding;
use crate::domain::template::TemplateTree;
use crate::error::{Error, Result};
use crate::service::documents::set_content;
use crate::service::transfer::render::{mark, render, split};
use crate::store::Store;

pub const DOWNLOAD_CALL: &str = "agentport.v1.TemplateService/DownloadTemplate";

/// Puts placeholders where the tree's document contents go; returns the mark and the blobs.
pub fn place(tree: &mut TemplateTree) -> (String, Vec<BlobRef>) {
    let mark = mark();
    let mut contents = Vec::new();
    for document in tree.knowledge_bases.values_mut().flat_map(|kb| kb.documents.iter_mut()) {
        if !document.value.sha256.is_empty() {
            document.value.content = format!("{mark}{}", contents.len());
            contents.push(BlobRef { sha256: document.value.sha256.clone(), size: document.value.size_bytes as u64 });
        }
    }
    (mark, contents)
}

/// Points the documents of a decoded stored tree back at their blobs.
pub fn resolve(tree: &mut TemplateTree, view: &TemplateView) {
    if view.content_mark.is_empty() {
        return;
    }
    for document in tree.knowledge_bases.values_mut().flat_map(|kb| kb.documents.iter_mut()) {
        let n = document.value.content.strip_prefix(&view.content_mark).and_then(|n| n.parse::<usize>().ok());
        if let Some(blob) = n.and_then(|n| view.contents.get(n)) {
            set_content(&mut document.value, Some(blob));
        }
    }
}

/// The definition with every document's `content` left out.
pub fn without_contents(view: &TemplateView) -> Value {
    let mut definition = view.agent_definition.clone();
    if !view.content_mark.is_empty() {
        strip(&mut definition, &view.content_mark);
    }
    definition
}

fn strip(value: &mut Value, mark: &str) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !matches!(v, Value::String(s) if s.starts_with(mark)));
            map.values_mut().for_each(|v| strip(v, mark));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| strip(v, mark)),
        _ => {}
    }
}

/// The definition with contents in place, when the template fits in `max_bytes`.
pub async fn inline(store: &Store, tenant: &str, view: &TemplateView, max_bytes: usize) -> Result<Value> {
    let total = view.agent_definition.to_string().len() as u64 + view.contents.iter().map(|c| c.size).sum::<u64>();
    if total > max_bytes as u64 {
        return Err(Error::too_large("the template", total, max_bytes, DOWNLOAD_CALL));
    }
    let text = serde_json::to_vec(&view.agent_definition).map_err(|e| Error::internal("encode template", e))?;
    let parts = split(text, &view.content_mark, &view.contents);
    let pieces: Vec<Bytes> = render(store.clone(), tenant.to_owned(), parts, Encoding::Text).try_collect().await?;
    serde_json::from_slice(&pieces.concat()).map_err(|e| Error::internal("render template", e))
}

/// `value` serialized (compact JSON) with the view's contents streamed into place.
pub fn stream(
    store: &Store,
    tenant: &str,
    value: &Value,
    view: &TemplateView,
) -> impl Stream<Item = Result<Bytes>> + Send + 'static + use<> {
    let text = serde_json::to_vec(value).expect("a JSON value serializes");
    render(store.clone(), tenant.to_owned(), split(text, &view.content_mark, &view.contents), Encoding::Text)
}
