//! Texts both stores keep alike. PostgreSQL cannot store U+0000 in text (SQLite can), so a
//! NUL anywhere in a request or an imported entity is refused up front, naming the field,
//! instead of failing in one store only.

use crate::error::{Error, Result};

/// What a field holding a NUL is told.
pub const NUL_REFUSED: &str = "must not contain the NUL character (U+0000)";

/// Finds a text holding U+0000, at any depth. Implemented for every contract message by code
/// generated from the descriptors (build.rs).
pub trait NulFree {
    /// The JSON path of the first text (string, list item, map key or value) holding a NUL.
    fn nul_at(&self) -> Option<String>;
}

/// INVALID_ARGUMENT naming the field when `message` holds a NUL; `prefix` is put before the path
/// (e.g. `agents[2]` for an entity of a bundle), empty for a request.
pub fn refuse_nul<M: NulFree>(message: &M, prefix: &str) -> Result<()> {
    match message.nul_at() {
        None => Ok(()),
        Some(path) => Err(Error::invalid_field(join(prefix, &path), NUL_REFUSED)),
    }
}

/// `outer.inner`, or either alone when the other is empty; `inner` may start with `[`.
pub fn join(outer: &str, inner: &str) -> String {
    match (outer.is_empty(), inner.is_empty()) {
        (_, true) => outer.to_owned(),
        (true, false) => inner.to_owned(),
        (false, false) if inner.starts_with('[') => format!("{outer}{inner}"),
        (false, false) => format!("{outer}.{inner}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Agent, LlmConfig, McpServer, Tool, ToolAttachment, UpdateAgentRequest, tool};

    #[test]
    fn finds_a_nul_at_any_depth_and_names_its_path() {
        assert_eq!(Agent { display_name: [("en".into(), "ok".into())].into(), ..Default::default() }.nul_at(), None);
        let named = Agent { display_name: [("en".into(), "a\0b".into())].into(), ..Default::default() };
        assert_eq!(named.nul_at().as_deref(), Some(r#"displayName["en"]"#));
        let tags = Agent { tags: vec!["x".into(), "y\0".into()], ..Default::default() };
        assert_eq!(tags.nul_at().as_deref(), Some("tags[1]"));
        let nested = UpdateAgentRequest {
            agent: Some(Agent {
                llm: Some(LlmConfig { model: "\0".into(), ..Default::default() }),
                ..Default::default()
            }),
            update_mask: None,
        };
        assert_eq!(nested.nul_at().as_deref(), Some("agent.llm.model"));
        let listed = Agent {
            tools: vec![ToolAttachment::default(), ToolAttachment { tool_id: "t\0".into(), ..Default::default() }],
            ..Default::default()
        };
        assert_eq!(listed.nul_at().as_deref(), Some("tools[1].toolId"));
        let headers = McpServer { headers: [("k\0".into(), "v".into())].into(), ..Default::default() };
        assert_eq!(headers.nul_at().as_deref(), Some(r#"headers["k\0"]"#));
        let oneof = Tool {
            config: Some(tool::Config::Slack(crate::proto::SlackToolConfig {
                team_id: "\0".into(),
                ..Default::default()
            })),
            ..Default::default()
        };
        assert_eq!(oneof.nul_at().as_deref(), Some("slack.teamId"));
        assert_eq!(refuse_nul(&tags, "agents[3]").unwrap_err().violations[0].field, "agents[3].tags[1]");
    }
}
