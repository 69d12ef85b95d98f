//! The tenant a request addresses, read from its name fields (`parent`, `name`, `agent`, or the
//! `name` of the resource it carries), so one rule covers every method.

/// The resource name a request addresses, if any (also shown in audit lines). Implemented for
/// every contract message by code generated from the descriptors (build.rs): the first of
/// `parent`, `name`, `agent` holding a `tenants/...` name, else that of a message field.
pub trait Addressed {
    /// From the message's own `parent`, `name` or `agent` string field.
    fn direct_name(&self) -> Option<&str>;
    /// From its own fields, else from those of the messages it carries.
    fn addressed_name(&self) -> Option<&str>;
}

/// `acme` of `tenants/acme/...`.
pub fn tenant_of(name: &str) -> Option<&str> {
    name.strip_prefix("tenants/").map(|rest| rest.split('/').next().unwrap_or_default()).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::*;

    #[test]
    fn requests_name_what_they_address() {
        let get = GetAgentRequest { name: "tenants/a/agents/x".into() };
        assert_eq!(get.addressed_name(), Some("tenants/a/agents/x"));
        let list = ListToolsRequest { parent: "tenants/b".into(), ..Default::default() };
        assert_eq!(list.addressed_name(), Some("tenants/b"));
        let update = UpdateAgentRequest {
            agent: Some(Agent { name: "tenants/c/agents/y".into(), ..Default::default() }),
            ..Default::default()
        };
        assert_eq!(update.addressed_name(), Some("tenants/c/agents/y"));
        let export = ExportAgentTemplateRequest { agent: "tenants/d/agents/z".into(), ..Default::default() };
        assert_eq!(export.addressed_name(), Some("tenants/d/agents/z"));
        assert_eq!(GetAgentRequest { name: "agents/x".into() }.addressed_name(), None);
    }
}
