//! Tenant-scoped resource names (AIP-122): `tenants/{tenant}/{collection}/{id}`, with documents
//! nested under their knowledge base.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

use crate::error::FieldViolation;

static TENANT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$").unwrap());
static ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$").unwrap());

/// Longest resource id.
pub const MAX_ID_CHARS: usize = 128;

const TENANT_RULE: &str = "a tenant is 1..63 characters of [a-z0-9-], starting and ending with a letter or digit";
const ID_RULE: &str = "an id is 1..128 characters of [A-Za-z0-9._-], starting with a letter or digit";

/// The kinds of stored resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceKind {
    Agent,
    Tool,
    McpServer,
    KnowledgeBase,
    Document,
    Secret,
    /// Jobs live in their own table; the kind gives them names.
    Job,
    Template,
    ApiKey,
    /// Signing keys live in their own table; the kind gives them names.
    SigningKey,
    /// A tenant's settings: one per tenant, stored under the id [`SETTINGS_ID`].
    Settings,
}

/// The id of the one settings resource of a tenant.
pub const SETTINGS_ID: &str = "settings";

impl ResourceKind {
    /// The collection segment in resource names.
    pub fn collection(self) -> &'static str {
        match self {
            ResourceKind::Agent => "agents",
            ResourceKind::Tool => "tools",
            ResourceKind::McpServer => "mcpServers",
            ResourceKind::KnowledgeBase => "knowledgeBases",
            ResourceKind::Document => "documents",
            ResourceKind::Secret => "secrets",
            ResourceKind::Job => "jobs",
            ResourceKind::Template => "templates",
            ResourceKind::ApiKey => "apiKeys",
            ResourceKind::SigningKey => "signingKeys",
            ResourceKind::Settings => "settings",
        }
    }

    /// The value stored in the `kind` column.
    /// The kind [`Self::as_str`] names.
    pub fn parse(text: &str) -> Option<Self> {
        use ResourceKind::*;
        [Agent, Tool, McpServer, KnowledgeBase, Document, Secret, Job, Template, ApiKey, SigningKey, Settings]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Agent => "agent",
            ResourceKind::Tool => "tool",
            ResourceKind::McpServer => "mcp_server",
            ResourceKind::KnowledgeBase => "knowledge_base",
            ResourceKind::Document => "document",
            ResourceKind::Secret => "secret",
            ResourceKind::Job => "job",
            ResourceKind::Template => "template",
            ResourceKind::ApiKey => "api_key",
            ResourceKind::SigningKey => "signing_key",
            ResourceKind::Settings => "settings",
        }
    }

    /// The kind a resource of this kind lives under, below the tenant.
    pub fn parent_kind(self) -> Option<ResourceKind> {
        match self {
            ResourceKind::Document => Some(ResourceKind::KnowledgeBase),
            _ => None,
        }
    }
}

/// Where a collection lives: a tenant, and for nested kinds the parent resource's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Parent {
    pub tenant: String,
    /// Id of the parent resource; empty for top-level kinds.
    pub parent_id: String,
}

impl Parent {
    pub fn tenant(tenant: impl Into<String>) -> Self {
        Self { tenant: tenant.into(), parent_id: String::new() }
    }

    /// The parent resource itself, for nested kinds.
    pub fn resource(&self, kind: ResourceKind) -> Option<ResourceName> {
        kind.parent_kind().map(|pk| ResourceName {
            tenant: self.tenant.clone(),
            kind: pk,
            parent_id: String::new(),
            id: self.parent_id.clone(),
        })
    }

    pub fn display(&self, kind: ResourceKind) -> String {
        match self.resource(kind) {
            Some(parent) => parent.to_string(),
            None => format!("tenants/{}", self.tenant),
        }
    }

    /// Parses `tenants/{tenant}` (or `tenants/{tenant}/knowledgeBases/{kb}` for documents).
    pub fn parse(kind: ResourceKind, text: &str, field: &str) -> Result<Self, FieldViolation> {
        let segments: Vec<&str> = text.split('/').collect();
        let expected = match kind.parent_kind() {
            Some(pk) => format!("tenants/{{tenant}}/{}/{{id}}", pk.collection()),
            None => "tenants/{tenant}".to_owned(),
        };
        let bad = || FieldViolation::new(field, format!("must have the form `{expected}`"));
        match (kind.parent_kind(), segments.as_slice()) {
            (None, ["tenants", tenant]) => Ok(Self::tenant(check_tenant(tenant, field)?)),
            (Some(pk), ["tenants", tenant, coll, id]) if *coll == pk.collection() => {
                Ok(Self { tenant: check_tenant(tenant, field)?, parent_id: check_id(id, field)? })
            }
            _ => Err(bad()),
        }
    }
}

/// A full resource name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceName {
    pub tenant: String,
    pub kind: ResourceKind,
    /// Id of the parent resource; empty for top-level kinds.
    pub parent_id: String,
    pub id: String,
}

impl ResourceName {
    pub fn new(parent: &Parent, kind: ResourceKind, id: impl Into<String>) -> Self {
        Self { tenant: parent.tenant.clone(), kind, parent_id: parent.parent_id.clone(), id: id.into() }
    }

    pub fn parent(&self) -> Parent {
        Parent { tenant: self.tenant.clone(), parent_id: self.parent_id.clone() }
    }

    /// Parses a name of the given kind, reporting problems against `field`.
    pub fn parse(kind: ResourceKind, text: &str, field: &str) -> Result<Self, FieldViolation> {
        let (parent_text, id) = text.rsplit_once('/').unwrap_or(("", text));
        let parent_text =
            parent_text.strip_suffix(kind.collection()).and_then(|p| p.strip_suffix('/')).ok_or_else(|| {
                let form = match kind.parent_kind() {
                    Some(pk) => format!("tenants/{{tenant}}/{}/{{id}}/{}/{{id}}", pk.collection(), kind.collection()),
                    None => format!("tenants/{{tenant}}/{}/{{id}}", kind.collection()),
                };
                FieldViolation::new(field, format!("must have the form `{form}`"))
            })?;
        let parent = Parent::parse(kind, parent_text, field)?;
        Ok(Self::new(&parent, kind, check_id(id, field)?))
    }
}

impl fmt::Display for ResourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind.parent_kind() {
            Some(pk) => write!(
                f,
                "tenants/{}/{}/{}/{}/{}",
                self.tenant,
                pk.collection(),
                self.parent_id,
                self.kind.collection(),
                self.id
            ),
            None => write!(f, "tenants/{}/{}/{}", self.tenant, self.kind.collection(), self.id),
        }
    }
}

pub fn check_tenant(tenant: &str, field: &str) -> Result<String, FieldViolation> {
    if TENANT.is_match(tenant) {
        Ok(tenant.to_owned())
    } else {
        Err(FieldViolation::new(field, format!("invalid tenant `{}`: {TENANT_RULE}", truncate(tenant))))
    }
}

pub fn check_id(id: &str, field: &str) -> Result<String, FieldViolation> {
    if ID.is_match(id) {
        Ok(id.to_owned())
    } else {
        Err(FieldViolation::new(field, format!("invalid id `{}`: {ID_RULE}", truncate(id))))
    }
}

/// The id an import gives an agent whose id is taken: `<id>--import-<epoch millis>`, then
/// `<id>--import-<epoch millis>-<n>` (n = 2, 3, ...) while that is taken too. The id is cut
/// from the end so that the whole stays within [`MAX_ID_CHARS`]; a valid id stays valid.
pub fn import_rename(id: &str, millis: i64, attempt: u32) -> String {
    let suffix = match attempt {
        0 | 1 => format!("--import-{millis}"),
        n => format!("--import-{millis}-{n}"),
    };
    let stem: String = id.chars().take(MAX_ID_CHARS.saturating_sub(suffix.len())).collect();
    format!("{stem}{suffix}")
}

/// Echoes at most 64 characters of caller input in messages.
fn truncate(text: &str) -> String {
    match text.char_indices().nth(64) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_renames_stay_valid_ids() {
        assert_eq!(import_rename("support", 1762257415296, 1), "support--import-1762257415296");
        assert_eq!(import_rename("support", 1762257415296, 3), "support--import-1762257415296-3");
        let long = "a".repeat(MAX_ID_CHARS);
        for attempt in [1, 2, 1000] {
            let renamed = import_rename(&long, 1762257415296, attempt);
            assert_eq!(renamed.len(), MAX_ID_CHARS, "{renamed}");
            assert!(check_id(&renamed, "id").is_ok(), "{renamed}");
        }
    }

    #[test]
    fn parses_and_formats_top_level_and_nested_names() {
        let n = ResourceName::parse(ResourceKind::Agent, "tenants/acme/agents/product-created", "name").unwrap();
        assert_eq!((n.tenant.as_str(), n.id.as_str()), ("acme", "product-created"));
        assert_eq!(n.to_string(), "tenants/acme/agents/product-created");
        let d =
            ResourceName::parse(ResourceKind::Document, "tenants/a/knowledgeBases/kb1/documents/d1", "name").unwrap();
        assert_eq!((d.parent_id.as_str(), d.id.as_str()), ("kb1", "d1"));
        assert_eq!(d.to_string(), "tenants/a/knowledgeBases/kb1/documents/d1");
    }

    #[test]
    fn refuses_malformed_names_naming_the_field() {
        for bad in [
            "agents/x",
            "tenants/A/agents/x",
            "tenants/a/tools/x",
            "tenants/a/agents/",
            "tenants/a/agents/x/y",
            "tenants/a/agents/-x",
        ] {
            let v = ResourceName::parse(ResourceKind::Agent, bad, "agent.name").unwrap_err();
            assert_eq!(v.field, "agent.name", "{bad}");
        }
    }
}
