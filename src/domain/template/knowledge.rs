//! Knowledge bases <-> `ExportedKnowledgeBase` and its documents (docs/canonical-model.md,
//! "knowledge_bases"). Ids have no xpander key: ours travel under `agentport.id`; a template
//! without them gets ids minted here, one per distinct knowledge base.

use std::collections::HashSet;

use super::KnowledgeBaseCopy;
use super::carry;
use super::dto::{self, Carried};
use crate::domain::bundle::Entry;
use crate::domain::bundle::extension::KEY;
use crate::domain::bundle::fields::{given, text};
use crate::domain::wire::Check;
use crate::error::ViolationKind;
use crate::proto::{Document, KnowledgeBase};

/// Ids for the knowledge bases of a foreign template, which lists each one under every agent
/// that reads it: equal copies get the same id.
#[derive(Default)]
pub struct Minted(Vec<KnowledgeBaseCopy>);

impl Minted {
    fn id(&mut self, copy: &KnowledgeBaseCopy) -> String {
        let index = match self.0.iter().position(|seen| seen == copy) {
            Some(index) => index,
            None => {
                self.0.push(copy.clone());
                self.0.len() - 1
            }
        };
        format!("knowledge-base-{}", index + 1)
    }
}

pub fn write(id: &str, copy: &KnowledgeBaseCopy) -> dto::ExportedKnowledgeBase {
    let documents: Vec<_> = copy
        .documents
        .iter()
        .map(|entry| {
            let mut written = write_document(&entry.value);
            let derived = carry::read_back(&written, read_document);
            written.agentport = carry::attach(&entry.value, derived, with_id(&entry.id));
            written
        })
        .collect();
    let kb = &copy.knowledge_base;
    let mut written = dto::ExportedKnowledgeBase {
        name: given(kb.display_name.clone()),
        description: text(&kb.description),
        ..Default::default()
    };
    // Read back before the documents are added: the knowledge base's keys do not hold them.
    let derived = carry::read_back(&written, read_knowledge_base);
    written.agentport = carry::attach(kb, derived, with_id(id));
    written.documents = super::agent::all(documents);
    written
}

pub fn read(c: &mut Check, mut given: dto::ExportedKnowledgeBase, minted: &mut Minted) -> (String, KnowledgeBaseCopy) {
    let ext = std::mem::take(&mut given.agentport);
    let documents_given = std::mem::take(&mut given.documents);
    let read = read_knowledge_base(c, given);
    let (knowledge_base, ext) = carry::read(c, read, ext);
    let mut documents = Vec::new();
    let mut seen = HashSet::new();
    if let Some(items) = c.take("documents", "documents", documents_given) {
        let mut index = 0;
        c.items("documents", "documents", items, |c, mut item| {
            index += 1;
            let ext = std::mem::take(&mut item.agentport);
            let read = read_document(c, item);
            let (value, ext) = carry::read(c, read, ext);
            let id = ext_id(c, ext).unwrap_or_else(|| format!("document-{index}"));
            if !seen.insert(id.clone()) {
                c.push(ViolationKind::Invalid, KEY, format!("repeats the document id {id:?}"));
            }
            documents.push(Entry { id, value });
        });
    }
    let copy = KnowledgeBaseCopy { knowledge_base, documents };
    let id = ext_id(c, ext).unwrap_or_else(|| minted.id(&copy));
    (id, copy)
}

fn read_knowledge_base(c: &mut Check, given: dto::ExportedKnowledgeBase) -> KnowledgeBase {
    KnowledgeBase {
        display_name: c.required("name", "display_name", given.name).unwrap_or_default(),
        description: c.take("description", "description", given.description).unwrap_or_default(),
        ..Default::default()
    }
}

fn write_document(document: &Document) -> dto::ExportedDocument {
    dto::ExportedDocument {
        name: text(&document.display_name),
        url: text(&document.url),
        content: text(&document.content),
        agentport: Default::default(),
    }
}

fn read_document(c: &mut Check, given: dto::ExportedDocument) -> Document {
    Document {
        display_name: c.take("name", "display_name", given.name).unwrap_or_default(),
        url: c.take("url", "url", given.url).unwrap_or_default(),
        content: c.take("content", "content", given.content).unwrap_or_default(),
        ..Default::default()
    }
}

fn with_id(id: &str) -> Carried {
    Carried { id: given(id.to_owned()), ..Default::default() }
}

/// `agentport.id`, when the template carries it.
fn ext_id(c: &mut Check, ext: Carried) -> Option<String> {
    c.within(KEY, KEY, |c| c.take("id", "id", ext.id)).filter(|id| !id.is_empty())
}
