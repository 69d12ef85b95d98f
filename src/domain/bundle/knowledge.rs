//! Knowledge bases have no Emporix form: each is its id, its documents and the proto3 JSON of
//! the rest under the extension key, in the section `knowledgeBases` Emporix ignores.

use super::data;
use super::fields::{given, opt, some_items};
use super::{BundledKnowledgeBase, Entry, clean, entries, extension, sorted};
use crate::domain::wire::Check;
use crate::proto::{Document, KnowledgeBase};

pub fn write(bundled: &BundledKnowledgeBase) -> data::KnowledgeBase {
    let documents = sorted(&bundled.documents).into_iter().map(|entry| write_document(&entry.id, &clean(&entry.value)));
    data::KnowledgeBase {
        id: given(bundled.id.clone()),
        documents: some_items(documents),
        agentport: opt(extension::write(&clean(&bundled.knowledge_base))),
    }
}

pub fn read(mut body: data::KnowledgeBase, c: &mut Check) -> (KnowledgeBase, Vec<Entry<Document>>) {
    let knowledge_base = extension::read_in(c, std::mem::take(&mut body.agentport));
    let documents = entries(c, "documents", body.documents, read_document);
    (knowledge_base, documents)
}

pub fn bundled(id: String, (knowledge_base, documents): (KnowledgeBase, Vec<Entry<Document>>)) -> BundledKnowledgeBase {
    BundledKnowledgeBase { id, knowledge_base, documents }
}

fn write_document(id: &str, document: &Document) -> data::Document {
    data::Document { id: given(id.to_owned()), agentport: opt(extension::write(document)) }
}

fn read_document(body: data::Document, c: &mut Check) -> Document {
    extension::read_in(c, body.agentport)
}
