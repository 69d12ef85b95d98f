//! Documents: a row holds the metadata and a reference to the content, which lives in the blob
//! store. Unary calls carry small content; uploads and downloads stream content of any size.

pub(crate) mod content;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use prost::Message;
use prost_types::FieldMask;

use self::content::{checksum_mismatch, read_text, stage, stage_text};
use super::ResourceService;
use super::resources::{ListQuery, Listed};
use super::resources::{decode, prepare_create, reveal};
use super::sealing;
use crate::domain::blob::BlobRef;
use crate::domain::clock::now_micros;
use crate::domain::field_mask;
use crate::domain::limits::DocumentLimits;
use crate::domain::names::{ResourceKind, ResourceName};
use crate::domain::resource::{Resource, revision_of};
use crate::error::{Error, Result};
use crate::proto::{Document, DocumentView, UploadDocumentHeader};
use crate::store::{Owner, Staged, Store, Tx};

const DOWNLOAD_CALL: &str = "agentport.v1.AgentService/DownloadDocument";

#[derive(Clone)]
pub struct DocumentService {
    resources: ResourceService,
    store: Store,
    limits: DocumentLimits,
    max_message_bytes: usize,
}

impl DocumentService {
    pub fn new(store: Store, limits: DocumentLimits, max_message_bytes: usize) -> Self {
        Self { resources: ResourceService::new(store.clone()), store, limits, max_message_bytes }
    }

    pub async fn create(&self, parent: &str, id: &str, document: Option<Document>) -> Result<Document> {
        let (name, mut document) = prepare_create(parent, id, document)?;
        let text = std::mem::take(&mut document.content);
        let staged = match text.is_empty() {
            true => None,
            false => Some(stage_text(&self.store, &name.tenant, &text, &self.limits, "document.content").await?),
        };
        self.write_new(name, document, staged).await
    }

    pub async fn get(&self, name: &str, view: DocumentView) -> Result<Document> {
        let mut document: Document = self.resources.get(name).await?;
        if view == DocumentView::Full && !document.sha256.is_empty() {
            let needed = document.encoded_len() as u64 + document.size_bytes as u64 + 16;
            if needed > self.max_message_bytes as u64 {
                return Err(Error::too_large("the document", needed, self.max_message_bytes, DOWNLOAD_CALL));
            }
            let tenant = &ResourceName::parse(ResourceKind::Document, name, "name").expect("read above").tenant;
            document.content = read_text(&self.store, tenant, &document.sha256).await?;
        }
        Ok(document)
    }

    /// One page of documents; their content is never read (filters on it are refused).
    pub async fn list(&self, query: ListQuery<'_>) -> Result<Listed<Document>> {
        self.resources.list(query).await
    }

    pub async fn update(&self, update: Option<Document>, mask: Option<FieldMask>) -> Result<Document> {
        let update = update.ok_or_else(|| Error::invalid_field("document", "is required"))?;
        let name = ResourceName::parse(ResourceKind::Document, &update.name, "document.name")
            .map_err(|v| Error::invalid(vec![v]))?;
        let stored = self.store.get(&name).await?;
        let revision = stored.meta.revision;
        if !update.etag.is_empty() && revision_of(&update.etag) != Some(revision) {
            return Err(Error::etag_mismatch(&name.to_string()));
        }
        let current: Document = decode(stored)?;
        let paths = mask.map(|m| m.paths).unwrap_or_default();
        let content_named = paths.iter().any(|p| p == "content" || p == "*");
        let mut merged = field_mask::apply(&current, &update, &paths, "document").map_err(Error::invalid)?;
        merged.clear_identity();
        merged.apply_defaults();
        (merged.size_bytes, merged.sha256) = (current.size_bytes, current.sha256.clone());
        let violations: Vec<_> = merged.violations().into_iter().map(|v| v.scope("document")).collect();
        if !violations.is_empty() {
            return Err(Error::invalid(violations));
        }
        let text = std::mem::take(&mut merged.content);
        let change = match (text.is_empty(), content_named) {
            (false, _) => {
                Some(Some(stage_text(&self.store, &name.tenant, &text, &self.limits, "document.content").await?))
            }
            (true, true) => Some(None),
            (true, false) => None,
        };
        self.rewrite(&name, revision, merged, &current.sha256, change).await
    }

    pub async fn delete(&self, name: &str, etag: &str) -> Result<()> {
        self.resources.delete::<Document>(name, etag, false).await
    }

    /// Creates a document or replaces a document's content from a stream of pieces.
    pub async fn upload<S>(&self, header: Option<UploadDocumentHeader>, pieces: S) -> Result<Document>
    where
        S: futures_util::Stream<Item = Result<Bytes>> + Send,
    {
        let header = header.ok_or_else(|| Error::invalid_field("header", "the first message must carry the header"))?;
        match (header.parent.is_empty(), header.name.is_empty()) {
            (false, true) => {
                let mut document = header.document.unwrap_or_default();
                if !document.content.is_empty() {
                    return Err(Error::invalid_field(
                        "header.document.content",
                        "must be empty: the stream carries it",
                    ));
                }
                if !header.content_type.is_empty() {
                    document.content_type = header.content_type;
                }
                let (name, document) = prepare_create(&header.parent, &header.document_id, Some(document))
                    .map_err(|e| scoped(e, "header"))?;
                let staged = self.stage_checked(&name.tenant, pieces, &header.sha256).await?;
                self.write_new(name, document, staged).await
            }
            (true, false) => {
                let name = ResourceName::parse(ResourceKind::Document, &header.name, "header.name")
                    .map_err(|v| Error::invalid(vec![v]))?;
                self.store.get(&name).await?;
                let staged = self.stage_checked(&name.tenant, pieces, &header.sha256).await?;
                let stored = self.store.get(&name).await?;
                let revision = stored.meta.revision;
                let mut current: Document = decode(stored)?;
                let old_sha = std::mem::take(&mut current.sha256);
                current.clear_identity();
                if !header.content_type.is_empty() {
                    current.content_type = header.content_type;
                }
                self.rewrite(&name, revision, current, &old_sha, Some(staged)).await
            }
            _ => Err(Error::invalid_field("header", "set exactly one of `parent` (create) and `name` (replace)")),
        }
    }

    /// The document's metadata and a stream of its content.
    pub async fn download(&self, name: &str) -> Result<(Document, BoxStream<'static, Result<Bytes>>)> {
        let document: Document = self.resources.get(name).await?;
        if document.sha256.is_empty() {
            return Ok((document, stream::empty().boxed()));
        }
        let tenant = ResourceName::parse(ResourceKind::Document, name, "name").expect("read above").tenant;
        let content = self.store.read_blob(&tenant, &document.sha256).await?;
        Ok((document, content.boxed()))
    }

    /// Stages streamed content, verifying the SHA-256 the caller named. Empty content is none.
    async fn stage_checked<S>(&self, tenant: &str, pieces: S, sha256: &str) -> Result<Option<Staged>>
    where
        S: futures_util::Stream<Item = Result<Bytes>> + Send,
    {
        let staged = stage(&self.store, tenant, pieces, &self.limits, "content").await?;
        let given = sha256.trim().to_ascii_lowercase();
        if !given.is_empty() && given != staged.blob.sha256 {
            self.store.discard_upload(&staged.tenant, &staged.upload_id).await;
            return Err(checksum_mismatch(&given, &staged.blob.sha256));
        }
        if staged.blob.size == 0 {
            self.store.discard_upload(&staged.tenant, &staged.upload_id).await;
            return Ok(None);
        }
        Ok(Some(staged))
    }

    /// Inserts a new document with its staged content, within the knowledge base's limit.
    async fn write_new(&self, name: ResourceName, mut document: Document, staged: Option<Staged>) -> Result<Document> {
        set_content(&mut document, staged.as_ref().map(|s| &s.blob));
        let outcome = async {
            // Before the transaction: a tenant's first data key is committed on its own.
            let sealer = sealing::sealer_for(&self.store, &name.tenant, [&document]).await?;
            let body = sealing::to_body(&sealer, &name, &document)?;
            let tx = self.store.begin().await?;
            self.check_room(&tx, &name).await?;
            let now = now_micros();
            let meta = tx.insert(&name, &document.label(), &body, now).await?;
            if let Some(staged) = &staged {
                tx.attach_blob(staged, &Owner::resource(&name), now).await?;
            }
            tx.commit().await?;
            Ok(meta)
        }
        .await;
        match outcome {
            Ok(meta) => {
                document.set_identity(&name, &meta);
                Ok(reveal(document))
            }
            Err(e) => {
                self.discard(staged).await;
                Err(e)
            }
        }
    }

    /// Writes a document at `revision`; `change` replaces its content (`Some(None)` clears it).
    async fn rewrite(
        &self,
        name: &ResourceName,
        revision: i64,
        mut document: Document,
        old_sha: &str,
        change: Option<Option<Staged>>,
    ) -> Result<Document> {
        if let Some(new) = &change {
            set_content(&mut document, new.as_ref().map(|s| &s.blob));
        } else {
            document.sha256 = old_sha.to_owned();
        }
        let outcome = async {
            let sealer = sealing::sealer_for(&self.store, &name.tenant, [&document]).await?;
            let body = sealing::to_body(&sealer, name, &document)?;
            let tx = self.store.begin().await?;
            let now = now_micros();
            let meta = tx.update(name, revision, &document.label(), &body, now).await?;
            if let Some(new) = &change {
                let owner = Owner::resource(name);
                if let Some(staged) = new {
                    tx.attach_blob(staged, &owner, now).await?;
                }
                if !old_sha.is_empty() && Some(old_sha) != new.as_ref().map(|s| s.blob.sha256.as_str()) {
                    tx.release_blob_ref(&name.tenant, old_sha, &owner).await?;
                }
            }
            tx.commit().await?;
            Ok(meta)
        }
        .await;
        match outcome {
            Ok(meta) => {
                document.set_identity(name, &meta);
                Ok(reveal(document))
            }
            Err(e) => {
                self.discard(change.flatten()).await;
                Err(e)
            }
        }
    }

    async fn check_room(&self, tx: &Tx, name: &ResourceName) -> Result<()> {
        let Some(kb) = name.parent().resource(ResourceKind::Document) else {
            return Ok(());
        };
        let held = tx.count_children(&kb, ResourceKind::Document).await?;
        let max = self.limits.max_per_knowledge_base;
        if held as usize >= max {
            return Err(Error::invalid_field(
                "parent",
                format!("{kb} already holds {held} documents, the most one knowledge base may hold ({max})"),
            ));
        }
        Ok(())
    }

    async fn discard(&self, staged: Option<Staged>) {
        if let Some(staged) = staged {
            self.store.discard_upload(&staged.tenant, &staged.upload_id).await;
        }
    }
}

/// Points a document at its content (or at none).
pub(crate) fn set_content(document: &mut Document, blob: Option<&BlobRef>) {
    document.content.clear();
    document.sha256 = blob.map(|b| b.sha256.clone()).unwrap_or_default();
    document.size_bytes = blob.map_or(0, |b| b.size as i64);
}

fn scoped(mut error: Error, prefix: &str) -> Error {
    error.violations = std::mem::take(&mut error.violations).into_iter().map(|v| v.scope(prefix)).collect();
    error
}
