//! What every stored resource has in common: a kind, a name, a revision with its etag, and
//! create/update times. Implemented for each contract message by one macro.

use crate::domain::timestamp::Timestamp;

use super::names::{ResourceKind, ResourceName};
use super::{defaults, validate};
use crate::error::FieldViolation;
use crate::proto::{Agent, Document, KnowledgeBase, McpServer, Secret, Tool};

/// Bookkeeping kept beside a resource's document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub revision: i64,
    /// Microseconds since the Unix epoch.
    pub create_time: i64,
    pub update_time: i64,
}

pub trait Resource:
    prost::Message
    + prost::Name
    + serde::Serialize
    + serde::de::DeserializeOwned
    + Default
    + Clone
    + Send
    + Sync
    + super::secrets::Scrub
    + super::secrets::SecretTexts
    + 'static
{
    const KIND: ResourceKind;
    /// The request field holding the resource (`agent`, `mcp_server`): prefix of violation paths.
    const FIELD: &'static str;

    fn name(&self) -> &str;
    fn etag(&self) -> &str;
    /// A short human label, stored beside the document.
    fn label(&self) -> String;
    /// Sets the output-only fields from the store's view.
    fn set_identity(&mut self, name: &ResourceName, meta: &Meta);
    /// Clears the output-only fields, leaving only what the document stores.
    fn clear_identity(&mut self);
    /// Fills the documented defaults of unset fields.
    fn apply_defaults(&mut self);
    /// Content rules; paths are relative to the resource (`display_name`).
    fn violations(&self) -> Vec<FieldViolation>;
    /// The kind of child resource whose count this resource shows, if any.
    fn child_kind() -> Option<ResourceKind> {
        None
    }
    /// Sets the shown child count (output only).
    fn set_child_count(&mut self, _count: i64) {}
}

/// The etag of a revision: a quoted decimal (AIP-154).
pub fn etag_of(revision: i64) -> String {
    format!("\"{revision}\"")
}

/// The revision an etag names; accepts the quoted, weak (`W/"3"`) and bare forms.
pub fn revision_of(etag: &str) -> Option<i64> {
    etag.trim_start_matches("W/").trim_matches('"').parse().ok()
}

pub fn timestamp(micros: i64) -> Timestamp {
    Timestamp { seconds: micros.div_euclid(1_000_000), nanos: (micros.rem_euclid(1_000_000) * 1000) as i32 }
}

macro_rules! resource {
    ($ty:ty, $kind:expr, $field:literal, $label:expr, $validate:path, $defaults:path $(, children: $child:expr => $count_field:ident)?) => {
        impl Resource for $ty {
            const KIND: ResourceKind = $kind;
            const FIELD: &'static str = $field;

            fn name(&self) -> &str {
                &self.name
            }
            fn etag(&self) -> &str {
                &self.etag
            }
            fn label(&self) -> String {
                let label: fn(&$ty) -> String = $label;
                label(self)
            }
            fn set_identity(&mut self, name: &ResourceName, meta: &Meta) {
                self.name = name.to_string();
                self.revision = meta.revision;
                self.etag = etag_of(meta.revision);
                self.create_time = Some(timestamp(meta.create_time));
                self.update_time = Some(timestamp(meta.update_time));
            }
            fn clear_identity(&mut self) {
                self.name.clear();
                self.revision = 0;
                self.etag.clear();
                self.create_time = None;
                self.update_time = None;
            }
            fn apply_defaults(&mut self) {
                $defaults(self)
            }
            fn violations(&self) -> Vec<FieldViolation> {
                let mut violations = $validate(self);
                if let Some(path) = crate::domain::text::NulFree::nul_at(self) {
                    violations.push(FieldViolation::new(path, crate::domain::text::NUL_REFUSED));
                }
                violations
            }
            $(
                fn child_kind() -> Option<ResourceKind> {
                    Some($child)
                }
                fn set_child_count(&mut self, count: i64) {
                    self.$count_field = count;
                }
            )?
        }
    };
}

resource!(
    Agent,
    ResourceKind::Agent,
    "agent",
    |a| validate::preferred_text(&a.display_name),
    validate::agent,
    defaults::agent
);
resource!(Tool, ResourceKind::Tool, "tool", |t| t.display_name.clone(), validate::tool, defaults::tool);
resource!(
    McpServer,
    ResourceKind::McpServer,
    "mcp_server",
    |m| m.display_name.clone(),
    validate::mcp_server,
    defaults::mcp_server
);
resource!(
    KnowledgeBase,
    ResourceKind::KnowledgeBase,
    "knowledge_base",
    |k| k.display_name.clone(),
    validate::knowledge_base,
    defaults::knowledge_base,
    children: ResourceKind::Document => total_documents
);
resource!(
    Document,
    ResourceKind::Document,
    "document",
    |d| d.display_name.clone(),
    validate::document,
    defaults::document
);
resource!(Secret, ResourceKind::Secret, "secret", |s| s.display_name.clone(), validate::secret, defaults::secret);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_name_revisions() {
        assert_eq!(etag_of(3), "\"3\"");
        for form in ["\"3\"", "W/\"3\"", "3"] {
            assert_eq!(revision_of(form), Some(3));
        }
        assert_eq!(revision_of("abc"), None);
        assert_eq!(timestamp(1_500_000), Timestamp { seconds: 1, nanos: 500_000_000 });
    }
}
