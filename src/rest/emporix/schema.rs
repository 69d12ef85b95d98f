//! OpenAPI schemas of the agent, tool, MCP server and token bodies. The bodies are the wire DTOs
//! of `domain::bundle::dto`, which the handlers read and write; Emporix documents each as a
//! request (`AgentRequest`: what a PUT sends) and a response (`AgentResponse`), so each DTO is
//! shown twice here: the request view without its read-only keys and with its required ones
//! marked, the response view without its write-only keys.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

use super::kinds::{Agents, Kind, McpServers, Tokens, Tools};
use crate::domain::bundle::dto;

/// Emporix `IdResponse`: the id of a resource a PUT created.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IdResponse {
    pub id: String,
}

/// Which view of a DTO a schema shows.
#[derive(Clone, Copy, PartialEq)]
enum Side {
    Request,
    Response,
}

/// The DTO's schema as one side sees it; a request requires the top-level keys of `required`.
fn view(schema: RefOr<Schema>, side: Side, required: &[String]) -> RefOr<Schema> {
    let RefOr::T(Schema::Object(mut object)) = schema else {
        return schema;
    };
    object.properties.retain(|_, property| {
        let RefOr::T(Schema::Object(property)) = property else {
            return true;
        };
        let hidden = match side {
            Side::Request => property.read_only,
            Side::Response => property.write_only,
        };
        hidden != Some(true)
    });
    object.required = match side {
        Side::Request => required.iter().filter(|key| !key.contains('.')).cloned().collect(),
        Side::Response => Vec::new(),
    };
    RefOr::T(Schema::Object(object))
}

/// Schema-only names of a DTO's two views: types no value is ever made of.
macro_rules! views {
    ($($kind:ty: $dto:ty => $request:ident, $response:ident;)+) => {
        $(
            #[doc = concat!("The request view of `", stringify!($dto), "`.")]
            pub enum $request {}
            #[doc = concat!("The response view of `", stringify!($dto), "`.")]
            pub enum $response {}

            impl PartialSchema for $request {
                fn schema() -> RefOr<Schema> {
                    // What a PUT refuses an empty body for: the required keys, by construction.
                    let required = <$kind as Kind>::missing(&<$dto>::default());
                    let required: Vec<String> = required.into_iter().map(|v| v.field).collect();
                    view(<$dto as PartialSchema>::schema(), Side::Request, &required)
                }
            }

            impl ToSchema for $request {
                fn name() -> Cow<'static, str> {
                    Cow::Borrowed(stringify!($request))
                }
            }

            impl PartialSchema for $response {
                fn schema() -> RefOr<Schema> {
                    view(<$dto as PartialSchema>::schema(), Side::Response, &[])
                }
            }

            impl ToSchema for $response {
                fn name() -> Cow<'static, str> {
                    Cow::Borrowed(stringify!($response))
                }
            }
        )+
    };
}

views! {
    Agents: dto::Agent => AgentRequest, AgentResponse;
    Tools: dto::Tool => ToolRequest, ToolResponse;
    McpServers: dto::McpServer => McpServerRequest, McpServerResponse;
    Tokens: dto::Token => TokenRequest, TokenResponse;
}

#[cfg(test)]
mod limit_tests {
    use utoipa::OpenApi;

    use crate::domain::limits;

    #[test]
    fn the_documented_sizes_are_the_enforced_ones() {
        let doc = serde_json::to_value(super::super::ApiDoc::openapi()).unwrap();
        let agent = &doc["components"]["schemas"]["AgentRequest"]["properties"];
        assert_eq!(agent["tags"]["maxItems"], limits::MAX_TAGS);
        assert_eq!(agent["nativeTools"]["maxItems"], limits::MAX_ATTACHMENTS);
        assert_eq!(agent["agentCollaborations"]["maxItems"], limits::MAX_ATTACHMENTS);
        assert_eq!(agent["mcpServers"]["maxItems"], limits::MAX_ATTACHMENTS);
        assert_eq!(agent["triggers"]["maxItems"], limits::MAX_LIST_ITEMS);
        assert_eq!(agent["requiredScopes"]["maxItems"], limits::MAX_LIST_ITEMS);
        assert_eq!(agent["icon"]["maxLength"], limits::MAX_ICON_CHARS);
        assert_eq!(agent["userPrompt"]["maxLength"], limits::MAX_PROMPT_CHARS);
        assert_eq!(agent["outputFormat"]["maxLength"], limits::MAX_JSON_BYTES);
    }

    #[test]
    fn request_views_leave_out_read_only_keys_and_response_views_write_only_ones() {
        let doc = serde_json::to_value(super::super::ApiDoc::openapi()).unwrap();
        let schemas = &doc["components"]["schemas"];
        assert!(schemas["AgentRequest"]["properties"].get("templatePrompt").is_none());
        assert!(schemas["AgentResponse"]["properties"]["templatePrompt"].is_object());
        assert!(schemas["TokenRequest"]["properties"]["value"].is_object());
        assert!(schemas["TokenResponse"]["properties"].get("value").is_none());
        let required = serde_json::json!(["name", "userPrompt", "triggers", "llmConfig", "mcpServers"]);
        assert_eq!(schemas["AgentRequest"]["required"], required);
        assert!(schemas["AgentResponse"].get("required").is_none_or(|r| r.as_array().is_some_and(Vec::is_empty)));
    }
}
