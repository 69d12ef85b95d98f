//! The rules an import applies to each bundled agent, tool and MCP server, in one place so
//! that an export can apply exactly them before it writes a bundle: whatever an export
//! produces, an import of the same version accepts.

use crate::domain::bundle::{Bundle, rules};
use crate::domain::resource::Resource;
use crate::error::FieldViolation;

/// One entity's section in the bundle (`agents`, `tools`, `mcpServers`), index and id.
pub struct At<'a> {
    pub section: &'static str,
    pub index: usize,
    pub id: &'a str,
}

impl At<'_> {
    /// The entity's kind in words, for messages.
    pub fn kind(&self) -> &'static str {
        match self.section {
            "agents" => "agent",
            "tools" => "tool",
            _ => "MCP server",
        }
    }
}

/// Every violation of every agent, tool and MCP server, each path prefixed with what `scope`
/// says for its entity.
pub fn violations(bundle: &Bundle, scope: impl Fn(&At) -> String) -> Vec<FieldViolation> {
    let mut out = Vec::new();
    for (at, found) in refused(bundle) {
        let prefix = scope(&at);
        out.extend(found.into_iter().map(|v| v.scope(&prefix)));
    }
    out
}

/// The agents, tools and MCP servers that break a rule, each with its violations (paths relative
/// to the entity). The Emporix rules (in Emporix names) first; the canonical ones only for an
/// entity that passes them, so nothing is reported twice under two names.
pub fn refused<'a>(bundle: &'a Bundle) -> Vec<(At<'a>, Vec<FieldViolation>)> {
    let mut out = Vec::new();
    let mut check = |at: At<'a>, found: Vec<FieldViolation>| {
        if !found.is_empty() {
            out.push((at, found));
        }
    };
    for (index, e) in bundle.agents.iter().enumerate() {
        check(At { section: "agents", index, id: &e.id }, checked(&e.value, rules::agent));
    }
    for (index, e) in bundle.tools.iter().enumerate() {
        check(At { section: "tools", index, id: &e.id }, checked(&e.value, rules::tool));
    }
    for (index, e) in bundle.mcp_servers.iter().enumerate() {
        check(At { section: "mcpServers", index, id: &e.id }, checked(&e.value, rules::mcp_server));
    }
    out
}

/// The Emporix rules of a bundled entity, then (when they hold) the canonical ones.
fn checked<R: Resource>(resource: &R, emporix: fn(&R) -> Vec<FieldViolation>) -> Vec<FieldViolation> {
    let emporix = emporix(resource);
    if emporix.is_empty() { canonical(resource) } else { emporix }
}

/// The canonical rules of a resource after defaults, paths under `prefix`.
pub fn scoped<R: Resource>(resource: &R, prefix: &str) -> Vec<FieldViolation> {
    canonical(resource).into_iter().map(|v| v.scope(prefix)).collect()
}

fn canonical<R: Resource>(resource: &R) -> Vec<FieldViolation> {
    let mut resource = resource.clone();
    resource.apply_defaults();
    resource.violations()
}
