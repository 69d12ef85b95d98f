//! Knowledge bases have no Emporix form: each is its id, its documents and the proto3 JSON of
//! the rest under the extension key, in the section `knowledgeBases` Emporix ignores.

use serde_json::Value;

use super::read::{Obj, Violations};
use super::write::Out;
use super::{BundledKnowledgeBase, Entry, clean, entries, extension, section};
use crate::proto::{Document, KnowledgeBase};

pub fn write(bundled: &BundledKnowledgeBase) -> Value {
    let mut out = Out::new();
    out.put("id", bundled.id.as_str()).some("documents", section(&bundled.documents, write_document));
    out.opt(extension::KEY, extension::write(&clean(&bundled.knowledge_base)));
    out.take()
}

pub fn read(object: &Obj, errs: &mut Violations) -> (KnowledgeBase, Vec<Entry<Document>>) {
    let knowledge_base = extension::read(object, errs);
    let documents = entries(object, "documents", errs, read_document);
    (knowledge_base, documents)
}

pub fn bundled(id: String, (knowledge_base, documents): (KnowledgeBase, Vec<Entry<Document>>)) -> BundledKnowledgeBase {
    BundledKnowledgeBase { id, knowledge_base, documents }
}

fn write_document(id: &str, document: &Document) -> Value {
    let mut out = Out::new();
    out.put("id", id).opt(extension::KEY, extension::write(document));
    out.take()
}

fn read_document(object: &Obj, errs: &mut Violations) -> Document {
    extension::read(object, errs)
}
