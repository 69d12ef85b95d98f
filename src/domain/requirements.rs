//! What an imported entity needs from the importing tenant, and the one rule that decides what
//! it gets: its secret references are requirements, bound only as the import request says
//! (or, for a bundle imported without mappings, by id: the documented Emporix behaviour), and
//! its endpoints must be on the tenant's allow-list. Bundles and templates both import through
//! here (docs/security.md, "Templates and bundles across tenants").

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::error::FieldViolation;
use crate::proto::{
    Agent, ImportDetail, ImportDetailCode, McpServer, SecretBinding, SecretRequirement, TenantSettings, Tool, tool,
};

/// Most entries of a request's `secret_mappings`.
pub const MAX_SECRET_MAPPINGS: usize = 100;
/// Most patterns of `endpoint_allow_list`, and the longest pattern (a DNS name's limit).
pub const MAX_ALLOW_LIST: usize = 100;
pub const MAX_PATTERN_CHARS: usize = 253;

/// Where the imported entities come from: what may be bound by id and allowed by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Bytes the importer sends itself.
    Bundle,
    /// A template the importing tenant exported.
    OwnTemplate,
    /// A template of another tenant, imported by its id.
    ForeignTemplate,
}

/// The secret references and endpoints of an importable entity.
pub trait Requirements {
    /// Each secret reference: its field path and the slot holding the id.
    fn secret_refs(&mut self) -> Vec<(&'static str, &mut String)>;
    /// Each endpoint the entity calls: its field path and URL.
    fn endpoints(&self) -> Vec<(String, &str)>;
}

impl Requirements for Agent {
    fn secret_refs(&mut self) -> Vec<(&'static str, &mut String)> {
        let Some(llm) = &mut self.llm else { return Vec::new() };
        let mut out = vec![("llm.token_id", &mut llm.token_id)];
        if let Some(hosted) = &mut llm.self_hosted {
            out.push(("llm.self_hosted.authorization_header_token_id", &mut hosted.authorization_header_token_id));
        }
        out
    }

    fn endpoints(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        if let Some(llm) = &self.llm {
            out.push(("llm.api_base".to_owned(), llm.api_base.as_str()));
            if let Some(hosted) = &llm.self_hosted {
                out.push(("llm.self_hosted.url".to_owned(), hosted.url.as_str()));
            }
        }
        for (i, item) in self.graph.iter().enumerate() {
            if let Some(settings) = &item.settings {
                out.push((format!("graph[{i}].settings.a2a_url"), settings.a2a_url.as_str()));
                if let Some(mcp) = &settings.mcp {
                    out.push((format!("graph[{i}].settings.mcp.url"), mcp.url.as_str()));
                }
            }
        }
        if let Some(connectivity) = &self.connectivity {
            out.push(("connectivity.agent_url".to_owned(), connectivity.agent_url.as_str()));
            out.push(("connectivity.invoke_url".to_owned(), connectivity.invoke_url.as_str()));
        }
        out.retain(|(_, url)| !url.is_empty());
        out
    }
}

impl Requirements for Tool {
    fn secret_refs(&mut self) -> Vec<(&'static str, &mut String)> {
        match &mut self.config {
            Some(tool::Config::RagCustom(c)) => {
                let db = c.database.as_mut().map(|d| ("config.rag_custom.database.token_id", &mut d.token_id));
                let embedding = c.embedding.as_mut().map(|e| ("config.rag_custom.embedding.token_id", &mut e.token_id));
                db.into_iter().chain(embedding).collect()
            }
            Some(tool::Config::RagEmporix(c)) => c
                .embedding
                .as_mut()
                .map(|e| ("config.rag_emporix.embedding.token_id", &mut e.token_id))
                .into_iter()
                .collect(),
            _ => Vec::new(),
        }
    }

    fn endpoints(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        match &self.config {
            Some(tool::Config::RagCustom(c)) => {
                if let Some(db) = &c.database {
                    out.push(("config.rag_custom.database.url".to_owned(), db.url.as_str()));
                }
                if let Some(e) = &c.embedding {
                    out.push(("config.rag_custom.embedding.url".to_owned(), e.url.as_str()));
                }
            }
            Some(tool::Config::RagEmporix(c)) => {
                if let Some(e) = &c.embedding {
                    out.push(("config.rag_emporix.embedding.url".to_owned(), e.url.as_str()));
                }
            }
            _ => {}
        }
        out.retain(|(_, url)| !url.is_empty());
        out
    }
}

impl Requirements for McpServer {
    fn secret_refs(&mut self) -> Vec<(&'static str, &mut String)> {
        vec![("authorization_header_token_id", &mut self.authorization_header_token_id)]
    }

    fn endpoints(&self) -> Vec<(String, &str)> {
        [("url".to_owned(), self.url.as_str())].into_iter().filter(|(_, url)| !url.is_empty()).collect()
    }
}

/// The secret ids `entity` refers to.
pub fn required_ids<R: Requirements + Clone>(entity: &R) -> Vec<String> {
    let mut copy = entity.clone();
    copy.secret_refs().into_iter().map(|(_, id)| id.clone()).filter(|id| !id.is_empty()).collect()
}

/// What an import binds secrets to and which endpoints it allows.
pub struct Binder {
    source: Source,
    mappings: BTreeMap<String, String>,
    /// The importing tenant's secrets among the ids the import may bind.
    existing: HashSet<String>,
    allow_list: Vec<String>,
}

/// One entity's outcome: its requirements, and the details that disable it (none: enabled).
#[derive(Debug, Default)]
pub struct Bound {
    pub requirements: Vec<SecretRequirement>,
    pub details: Vec<ImportDetail>,
}

impl Binder {
    pub fn new(
        source: Source,
        mappings: BTreeMap<String, String>,
        existing: HashSet<String>,
        settings: &TenantSettings,
    ) -> Self {
        Self { source, mappings, existing, allow_list: settings.endpoint_allow_list.clone() }
    }

    /// The secret ids to look up in the importing tenant: the mapped ones, or the required ones
    /// when a bundle may bind by id.
    pub fn lookups(source: Source, mappings: &BTreeMap<String, String>, required: &BTreeSet<String>) -> Vec<String> {
        let mut ids: BTreeSet<String> = mappings.values().filter(|v| !v.is_empty()).cloned().collect();
        if source == Source::Bundle && mappings.is_empty() {
            ids.extend(required.iter().cloned());
        }
        ids.into_iter().collect()
    }

    /// Every problem of the request's mappings against what the import requires.
    pub fn violations(&self, required: &BTreeSet<String>) -> Vec<FieldViolation> {
        let mut out = Vec::new();
        if self.mappings.len() > MAX_SECRET_MAPPINGS {
            out.push(FieldViolation::new(
                "secret_mappings",
                format!("must hold at most {MAX_SECRET_MAPPINGS} entries"),
            ));
        }
        for (key, value) in &self.mappings {
            let field = format!("secret_mappings[{key}]");
            if !required.contains(key) {
                out.push(FieldViolation::new(field, format!("`{key}` is not a secret this import requires")));
            } else if !value.is_empty() && !self.existing.contains(value) {
                out.push(FieldViolation::new(field, format!("secret `{value}` does not exist in this tenant")));
            }
        }
        out
    }

    /// Binds the secret references of `entity` (rewriting them to what they are bound to) and
    /// checks its endpoints.
    pub fn bind<R: Requirements>(&self, entity: &mut R, kind: &str, entity_id: &str) -> Bound {
        let mut bound = Bound::default();
        let mut missing = BTreeSet::new();
        for (field, slot) in entity.secret_refs() {
            if slot.is_empty() {
                continue;
            }
            let required = std::mem::take(slot);
            let (binding, secret_id) = self.binding(&required);
            *slot = match binding {
                SecretBinding::Unbound if self.keeps_unbound_ids() => required.clone(),
                _ => secret_id.clone(),
            };
            if binding == SecretBinding::Unbound {
                missing.insert(required.clone());
            }
            bound.requirements.push(SecretRequirement {
                entity_kind: kind.to_owned(),
                entity_id: entity_id.to_owned(),
                field: field.to_owned(),
                required_secret_id: required,
                binding: binding as i32,
                secret_id,
            });
        }
        bound.details.extend(missing.iter().map(|id| self.missing(id)));
        for (field, url) in entity.endpoints() {
            if !self.allows(url) {
                bound.details.push(detail(
                    ImportDetailCode::EndpointNotAllowed,
                    url,
                    field.as_str(),
                    format!("`{field}` points at {url}, whose host is not on this tenant's endpoint allow-list."),
                ));
            }
        }
        bound
    }

    fn binding(&self, required: &str) -> (SecretBinding, String) {
        match self.mappings.get(required) {
            Some(mapped) if mapped.is_empty() => (SecretBinding::Unbound, String::new()),
            Some(mapped) => (SecretBinding::Mapped, mapped.clone()),
            None if self.binds_by_id() && self.existing.contains(required) => {
                (SecretBinding::SameId, required.to_owned())
            }
            None => (SecretBinding::Unbound, String::new()),
        }
    }

    /// Only a bundle, and only when the request maps nothing, binds by id.
    fn binds_by_id(&self) -> bool {
        self.source == Source::Bundle && self.mappings.is_empty()
    }

    /// A bundle imported by id keeps a missing secret's id: it binds when the tenant creates it.
    fn keeps_unbound_ids(&self) -> bool {
        self.binds_by_id()
    }

    fn missing(&self, required: &str) -> ImportDetail {
        let message = match self.binds_by_id() {
            true => format!("Token \"{required}\" was not found."),
            false => format!("Token \"{required}\" is not mapped to a secret of this tenant."),
        };
        detail(ImportDetailCode::MissingToken, required, required, message)
    }

    /// Whether an entity may point at `url`.
    pub fn allows(&self, url: &str) -> bool {
        if self.allow_list.is_empty() {
            return self.source != Source::ForeignTemplate;
        }
        let Some(host) = host_of(url) else { return false };
        self.allow_list.iter().any(|pattern| host_matches(pattern, &host))
    }
}

fn detail(code: ImportDetailCode, object_id: &str, object_name: &str, message: String) -> ImportDetail {
    ImportDetail { code: code as i32, object_id: object_id.into(), object_name: object_name.into(), message }
}

/// The lowercase host of an absolute URL (`scheme://host[:port]/...`).
fn host_of(url: &str) -> Option<String> {
    let uri: http::Uri = url.trim().parse().ok()?;
    uri.scheme()?;
    uri.host().filter(|h| !h.is_empty()).map(|h| h.trim_end_matches('.').to_ascii_lowercase())
}

/// `api.openai.com` matches itself only; `*.example.com` matches any subdomain of it.
fn host_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim().trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(domain) => host.len() > domain.len() + 1 && host.ends_with(&format!(".{domain}")),
        None => host == pattern,
    }
}

/// Problems of an allow-list as a caller sets it.
pub fn allow_list_violations(patterns: &[String]) -> Vec<FieldViolation> {
    let mut out = Vec::new();
    if patterns.len() > MAX_ALLOW_LIST {
        out.push(FieldViolation::new("endpoint_allow_list", format!("must hold at most {MAX_ALLOW_LIST} patterns")));
    }
    for (i, pattern) in patterns.iter().enumerate() {
        let host = pattern.strip_prefix("*.").unwrap_or(pattern);
        let valid = !host.is_empty()
            && pattern.chars().count() <= MAX_PATTERN_CHARS
            && host.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            });
        if !valid {
            out.push(FieldViolation::new(
                format!("endpoint_allow_list[{i}]"),
                format!("must be a host name (`api.openai.com`) or `*.` and a domain (`*.example.com`), at most {MAX_PATTERN_CHARS} characters"),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binder(source: Source, mappings: &[(&str, &str)], existing: &[&str], allow: &[&str]) -> Binder {
        let settings =
            TenantSettings { endpoint_allow_list: allow.iter().map(|s| s.to_string()).collect(), ..Default::default() };
        Binder::new(
            source,
            mappings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            existing.iter().map(|s| s.to_string()).collect(),
            &settings,
        )
    }

    fn server(url: &str, token: &str) -> McpServer {
        McpServer { url: url.into(), authorization_header_token_id: token.into(), ..Default::default() }
    }

    #[test]
    fn hosts_match_exactly_or_below_a_wildcard() {
        assert!(host_matches("api.openai.com", "api.openai.com"));
        assert!(host_matches("API.openai.com.", "api.openai.com"));
        assert!(!host_matches("openai.com", "api.openai.com"));
        assert!(host_matches("*.example.com", "mcp.example.com"));
        assert!(host_matches("*.example.com", "a.b.example.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(!host_matches("*.example.com", "evil-example.com"));
        assert_eq!(host_of("https://user@MCP.Example.com:8443/x?y").as_deref(), Some("mcp.example.com"));
        assert_eq!(host_of("mcp.example.com/path"), None, "no scheme: not an endpoint anyone can vouch for");
    }

    #[test]
    fn a_template_never_binds_by_id_and_clears_what_it_does_not_bind() {
        let b = binder(Source::ForeignTemplate, &[], &["openai"], &["*.example.com"]);
        let mut s = server("https://evil.example.net", "openai");
        let bound = b.bind(&mut s, "mcp_servers", "m");
        assert_eq!(s.authorization_header_token_id, "", "the importer's `openai` is not bound by name");
        let codes: Vec<i32> = bound.details.iter().map(|d| d.code).collect();
        assert_eq!(codes, [ImportDetailCode::MissingToken as i32, ImportDetailCode::EndpointNotAllowed as i32]);
        assert_eq!(bound.requirements[0].binding, SecretBinding::Unbound as i32);
    }

    #[test]
    fn a_mapping_binds_and_an_empty_one_unbinds() {
        let b = binder(Source::ForeignTemplate, &[("secret-1", "mine")], &["mine"], &["*.example.com"]);
        let mut s = server("https://mcp.example.com", "secret-1");
        let bound = b.bind(&mut s, "mcp_servers", "m");
        assert!(bound.details.is_empty());
        assert_eq!(s.authorization_header_token_id, "mine");
        assert_eq!(bound.requirements[0].binding, SecretBinding::Mapped as i32);

        let b = binder(Source::Bundle, &[("openai", "")], &["openai"], &[]);
        let mut s = server("https://mcp.example.com", "openai");
        assert_eq!(b.bind(&mut s, "mcp_servers", "m").details.len(), 1);
        assert_eq!(s.authorization_header_token_id, "");
    }

    #[test]
    fn a_bundle_without_mappings_binds_by_id_and_keeps_missing_ids() {
        let b = binder(Source::Bundle, &[], &["openai"], &[]);
        let mut s = server("https://anywhere.example", "openai");
        let bound = b.bind(&mut s, "mcp_servers", "m");
        assert!(bound.details.is_empty(), "an empty list allows a bundle's endpoints");
        assert_eq!(bound.requirements[0].binding, SecretBinding::SameId as i32);
        let mut s = server("", "absent");
        let bound = b.bind(&mut s, "mcp_servers", "m");
        assert_eq!(s.authorization_header_token_id, "absent");
        assert_eq!(bound.details[0].message, "Token \"absent\" was not found.");
    }

    #[test]
    fn mappings_must_name_requirements_and_existing_secrets() {
        let required: BTreeSet<String> = ["secret-1".to_owned()].into();
        let b = binder(Source::ForeignTemplate, &[("secret-1", "ghost"), ("other", "mine")], &["mine"], &[]);
        let fields: Vec<String> = b.violations(&required).into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["secret_mappings[other]", "secret_mappings[secret-1]"]);
        assert_eq!(allow_list_violations(&["*.ok.com".into(), "bad host".into(), "*.".into()]).len(), 2);
    }
}
