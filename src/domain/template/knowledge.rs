//! Knowledge bases <-> `ExportedKnowledgeBase` and its documents (docs/canonical-model.md,
//! "knowledge_bases"). Ids have no xpander key: ours travel under `agentport.id`; a template
//! without them gets ids minted here, one per distinct knowledge base.

use std::collections::HashSet;

use serde_json::Value;

use super::KnowledgeBaseCopy;
use super::carry;
use super::fields::required_string;
use crate::domain::bundle::Entry;
use crate::domain::bundle::extension::KEY;
use crate::domain::bundle::read::{Obj, Violations};
use crate::domain::bundle::write::Out;
use crate::error::FieldViolation;
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

pub fn write(id: &str, copy: &KnowledgeBaseCopy) -> Value {
    let documents: Vec<Value> = copy
        .documents
        .iter()
        .map(|entry| {
            let mut value = write_document(&entry.value);
            carry::attach(&mut value, &entry.value, read_document, with_id(&entry.id));
            value
        })
        .collect();
    let kb = &copy.knowledge_base;
    let mut out = Out::new();
    out.put("name", kb.display_name.as_str()).string("description", &kb.description).list("documents", documents);
    let mut value = out.take();
    carry::attach(&mut value, kb, read_knowledge_base, with_id(id));
    value
}

pub fn read(object: &Obj, minted: &mut Minted, errs: &mut Violations) -> (String, KnowledgeBaseCopy) {
    let knowledge_base = carry::read(object, errs, read_knowledge_base);
    let mut documents = Vec::new();
    let mut seen = HashSet::new();
    for (i, item) in object.objects("documents", errs).unwrap_or_default().iter().enumerate() {
        let value = carry::read(item, errs, read_document);
        let id = ext_id(item, errs).unwrap_or_else(|| format!("document-{}", i + 1));
        if !seen.insert(id.clone()) {
            errs.push(FieldViolation::new(item.path(KEY), format!("repeats the document id {id:?}")));
        }
        documents.push(Entry { id, value });
    }
    let copy = KnowledgeBaseCopy { knowledge_base, documents };
    let id = ext_id(object, errs).unwrap_or_else(|| minted.id(&copy));
    (id, copy)
}

fn read_knowledge_base(object: &Obj, errs: &mut Violations) -> KnowledgeBase {
    KnowledgeBase {
        display_name: required_string(object, "name", errs),
        description: object.string("description", errs).unwrap_or_default(),
        ..Default::default()
    }
}

fn write_document(document: &Document) -> Value {
    let mut out = Out::new();
    out.string("name", &document.display_name).string("url", &document.url).string("content", &document.content);
    out.take()
}

fn read_document(object: &Obj, errs: &mut Violations) -> Document {
    Document {
        display_name: object.string("name", errs).unwrap_or_default(),
        url: object.string("url", errs).unwrap_or_default(),
        content: object.string("content", errs).unwrap_or_default(),
        ..Default::default()
    }
}

fn with_id(id: &str) -> Out {
    let mut out = Out::new();
    out.put("id", id);
    out
}

/// `agentport.id`, when the template carries it (a malformed key is reported by the patch).
fn ext_id(object: &Obj, errs: &mut Violations) -> Option<String> {
    let ext = carry::ext(object)?;
    ext.string("id", errs).filter(|id| !id.is_empty())
}
