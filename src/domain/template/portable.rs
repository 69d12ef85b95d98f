//! What a template may carry into other tenants: the agents' configuration, never who made
//! them or which account they ran in. Applied to the tree before a template is written:
//!
//! - user data: `created_by`, `created_by_details` (kept in `extra_json`), the e-mail
//!   recipients of notifications and human-in-the-loop recipients, a connector's `owner`;
//! - the organization's names: `unique_name` (unique within the exporting organization; an
//!   import generates a fresh one);
//! - account identifiers and account-bound endpoints: `environment_id`, `origin_template`, the
//!   LLM `api_base` (the exporter's gateway), `credentials_key` (a credential stored in the
//!   exporter's account) and the self-hosted LLM's `oauth_id`;
//! - secret ids: each becomes a placeholder `secret-<n>` (numbered in tree order, the same id
//!   the same placeholder), a requirement the importer maps to a secret of its own.

use std::collections::BTreeMap;

use serde_json::Value;

use super::TemplateTree;
use crate::domain::bundle::verbatim;
use crate::domain::requirements::Requirements;
use crate::proto::{Agent, tool};

/// The `extra_json` key that holds xpander's `created_by_details`.
const CREATED_BY_DETAILS: &str = "created_by_details";

/// Removes the exporter's user and account data from `tree` and replaces secret ids.
pub fn make_portable(tree: &mut TemplateTree) {
    let mut placeholders = Placeholders::default();
    for agent in tree.agents.values_mut() {
        strip_agent(agent);
        placeholders.replace(agent);
    }
    for tool in tree.tools.values_mut() {
        if let Some(tool::Config::Connector(connector)) = &mut tool.config {
            connector.owner.clear();
        }
        placeholders.replace(tool);
    }
    for server in tree.mcp_servers.values_mut() {
        placeholders.replace(server);
    }
}

fn strip_agent(agent: &mut Agent) {
    agent.created_by.clear();
    agent.unique_name.clear();
    agent.environment_id.clear();
    agent.origin_template.clear();
    if let Some(Value::Object(mut extra)) = verbatim::parse(&agent.extra_json)
        && extra.remove(CREATED_BY_DETAILS).is_some()
    {
        agent.extra_json = if extra.is_empty() { String::new() } else { verbatim::text(&Value::Object(extra)) };
    }
    if let Some(llm) = &mut agent.llm {
        llm.api_base.clear();
        llm.credentials_key.clear();
        if let Some(hosted) = &mut llm.self_hosted {
            hosted.oauth_id.clear();
        }
    }
    if let Some(notifications) = &mut agent.notifications {
        for notification in notifications.on_success.iter_mut().chain(notifications.on_error.iter_mut()) {
            notification.to.clear();
        }
    }
    for settings in agent.graph.iter_mut().filter_map(|item| item.settings.as_mut()) {
        if let Some(hitl) = &mut settings.hitl {
            hitl.recipients.clear();
        }
    }
}

/// Secret id -> its placeholder, in order of first appearance.
#[derive(Default)]
struct Placeholders(BTreeMap<String, String>);

impl Placeholders {
    fn replace<R: Requirements>(&mut self, entity: &mut R) {
        for (_, slot) in entity.secret_refs() {
            if slot.is_empty() {
                continue;
            }
            let next = format!("secret-{}", self.0.len() + 1);
            *slot = self.0.entry(std::mem::take(slot)).or_insert(next).clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{LlmConfig, McpServer};

    #[test]
    fn user_and_account_data_go_and_secret_ids_become_placeholders() {
        let agent = Agent {
            created_by: "alice@example.com".into(),
            environment_id: "env-1".into(),
            extra_json: r#"{"created_by_details":{"email":"alice@example.com"},"tools":[]}"#.into(),
            llm: Some(LlmConfig {
                token_id: "openai".into(),
                api_base: "https://gw.acme.internal".into(),
                credentials_key: "acme-key".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let server = McpServer { authorization_header_token_id: "openai".into(), ..Default::default() };
        let mut tree = TemplateTree {
            root: "a".into(),
            agents: [("a".to_owned(), agent)].into(),
            mcp_servers: [("m".to_owned(), server)].into(),
            ..Default::default()
        };
        make_portable(&mut tree);
        let agent = &tree.agents["a"];
        assert_eq!((agent.created_by.as_str(), agent.environment_id.as_str()), ("", ""));
        assert_eq!(agent.extra_json, r#"{"tools":[]}"#);
        let llm = agent.llm.as_ref().unwrap();
        assert_eq!((llm.api_base.as_str(), llm.credentials_key.as_str(), llm.token_id.as_str()), ("", "", "secret-1"));
        assert_eq!(
            tree.mcp_servers["m"].authorization_header_token_id, "secret-1",
            "the same id, the same placeholder"
        );
    }
}
