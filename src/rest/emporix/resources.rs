//! `/agentic/agents`, `/agentic/tools`, `/agentic/mcp-servers`, `/agentic/tokens`: the same six
//! operations per kind, each a thin annotated handler over [`super::crud`].

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, Body, ErrorMessage, ErrorMessageFault, Ids, Params};
use super::kinds::{Agents, Kind, McpServers, Tokens, Tools};
use super::patch::PatchOperation;
use super::schema::*;
use super::{ListParams, QParamSearchBody, RestState, SearchParams, crud};

/// `fields` of a single resource.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GetParams {
    /// Comma-separated fields to be returned; all when absent.
    pub fields: Option<String>,
    /// Comma-separated references to show in full instead of `{id}`: on agents `token`,
    /// `mcpServers`, `nativeTools` (and `oauth`, which stays `{id}`); on tools and MCP servers
    /// `token`. A token shows as `{id, name, metadata}`, never its value.
    pub expand: Option<String>,
}

/// `force` of an upsert or a patch.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WriteParams {
    /// Tools and MCP servers: disabling one that enabled agents use is refused (400, type
    /// `RESOURCE_IN_USE`, a detail of type `force`) unless `force=true`, which disables those
    /// agents too ("cascade disable"). Agents and tokens ignore it.
    pub force: Option<bool>,
}

/// `force` of a delete.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// Delete even when other resources use it: the references to it are removed and the
    /// referring agents disabled, in one transaction. Without it a resource in use is refused
    /// with 400 (type `RESOURCE_IN_USE`, a detail of type `force`).
    pub force: Option<bool>,
}

macro_rules! resource {
    (
        kind: $kind:ty,
        tag: $tag:literal,
        plural: $plural:literal,
        collection: $collection:literal,
        search_path: $search_path:literal,
        one_path: $one_path:literal,
        id: $id:literal,
        request: $request:ty,
        response: $response:ty,
        languages: [$($language:tt)*],
        list: $list:ident = $list_op:literal,
        search: $search:ident = $search_op:literal,
        get: $get:ident = $get_op:literal,
        put: $put:ident = $put_op:literal,
        patch: $patch:ident = $patch_op:literal,
        delete: $delete:ident = $delete_op:literal $(,)?
    ) => {
        #[doc = concat!("Listing ", $plural, ".")]
        #[utoipa::path(
            get,
            path = $collection,
            operation_id = $list_op,
            tag = $tag,
            description = concat!(
                "Retrieves ", $plural, " matching `q` (the Emporix query language on the fields of the response: ",
                "`field:value`, comparisons, ranges, lists, `~regex`, `null`, `exists`, `missing`; all must hold), ",
                "in `sort` order, then id. `pageSize` is 1..1000, 1000 when absent; `pageNumber` counts from 1."
            ),
            params(
                ("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase."),
                ListParams,
                ("X-Total-Count" = Option<bool>, Header, description = "Return the number of matches in the `X-Total-Count` response header."),
                $($language)*
            ),
            responses(
                (status = 200, description = concat!("List of ", $plural, "."), body = Vec<$response>,
                    headers(("X-Total-Count" = i64, description = "Number of matches, when asked for."))),
                (status = 400, description = "The request was syntactically incorrect.", body = ErrorMessage),
                (status = 401, description = "The authorization token is invalid or has expired.", body = ErrorMessageFault),
                (status = 403, description = "The token's scopes are not sufficient.", body = ErrorMessage),
            ),
            security(("OAuth2" = ["ai.agent_read"]))
        )]
        pub async fn $list(
            State(state): State<RestState>,
            headers: HeaderMap,
            Ids(tenant): Ids<String>,
            Params(params): Params<ListParams>,
        ) -> Result<Response, ApiError> {
            crud::list::<$kind>(state, headers, tenant, params).await
        }

        #[doc = concat!("Searching ", $plural, ".")]
        #[utoipa::path(
            post,
            path = $search_path,
            operation_id = $search_op,
            tag = $tag,
            description = concat!("Searches for ", $plural, " based on the provided query, in `sort` order, then id."),
            params(
                ("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase."),
                SearchParams,
                ("X-Total-Count" = Option<bool>, Header, description = "Return the number of matches in the `X-Total-Count` response header."),
                $($language)*
            ),
            request_body = QParamSearchBody,
            responses(
                (status = 200, description = concat!("List of ", $plural, "."), body = Vec<$response>,
                    headers(("X-Total-Count" = i64, description = "Number of matches, when asked for."))),
                (status = 400, description = "The request was syntactically incorrect.", body = ErrorMessage),
                (status = 401, description = "The authorization token is invalid or has expired.", body = ErrorMessageFault),
                (status = 403, description = "The token's scopes are not sufficient.", body = ErrorMessage),
            ),
            security(("OAuth2" = ["ai.agent_read"]))
        )]
        pub async fn $search(
            State(state): State<RestState>,
            headers: HeaderMap,
            Ids(tenant): Ids<String>,
            Params(params): Params<SearchParams>,
            Body(body): Body<QParamSearchBody>,
        ) -> Result<Response, ApiError> {
            crud::list::<$kind>(state, headers, tenant, params.with_q(body.q)).await
        }

        #[doc = concat!("Retrieving one of the ", $plural, " by ID.")]
        #[utoipa::path(
            get,
            path = $one_path,
            operation_id = $get_op,
            tag = $tag,
            params(
                ("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase."),
                ($id = String, Path),
                GetParams,
                $($language)*
            ),
            responses(
                (status = 200, description = "The resource.", body = $response),
                (status = 401, description = "The authorization token is invalid or has expired.", body = ErrorMessageFault),
                (status = 403, description = "The token's scopes are not sufficient.", body = ErrorMessage),
                (status = 404, description = "No such resource.", body = ErrorMessage),
            ),
            security(("OAuth2" = ["ai.agent_read"]))
        )]
        pub async fn $get(
            State(state): State<RestState>,
            headers: HeaderMap,
            Ids((tenant, id)): Ids<(String, String)>,
            Params(params): Params<GetParams>,
        ) -> Result<Response, ApiError> {
            crud::get::<$kind>(state, headers, tenant, id, params.fields, params.expand).await
        }

        #[doc = concat!("Upserting one of the ", $plural, ".")]
        #[utoipa::path(
            put,
            path = $one_path,
            operation_id = $put_op,
            tag = $tag,
            description = "Creates the resource, or replaces what this shape shows of it. If `metadata.version` \
                           is provided, it must be the current version (optimistic locking).",
            params(
                ("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase."),
                ($id = String, Path),
                WriteParams,
                ("Content-Language" = Option<String>, Header,
                    description = "`*` (or absent): localized texts are maps; a language: texts sent as strings are of that language."),
            ),
            request_body = $request,
            responses(
                (status = 201, description = "Created.", body = IdResponse),
                (status = 204, description = "The resource has been successfully updated."),
                (status = 400, description = "The request was syntactically incorrect.", body = ErrorMessage),
                (status = 401, description = "The authorization token is invalid or has expired.", body = ErrorMessageFault),
                (status = 403, description = "The token's scopes are not sufficient.", body = ErrorMessage),
                (status = 409, description = "Outdated `metadata.version`, or a concurrent update.", body = ErrorMessage),
            ),
            security(("OAuth2" = ["ai.agent_manage"]))
        )]
        pub async fn $put(
            State(state): State<RestState>,
            headers: HeaderMap,
            Ids((tenant, id)): Ids<(String, String)>,
            Params(params): Params<WriteParams>,
            Body(body): Body<<$kind as Kind>::Dto>,
        ) -> Result<Response, ApiError> {
            crud::put::<$kind>(state, headers, tenant, id, body, params.force.unwrap_or(false)).await
        }

        #[doc = concat!("Partially updating one of the ", $plural, ".")]
        #[utoipa::path(
            patch,
            path = $one_path,
            operation_id = $patch_op,
            tag = $tag,
            description = "Applies `ADD` (append to a list), `REMOVE` and `REPLACE` operations in order. \
                           A path that is not a field of the resource is refused with 400.",
            params(
                ("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase."),
                ($id = String, Path),
                WriteParams,
            ),
            request_body = Vec<PatchOperation>,
            responses(
                (status = 204, description = "No Content"),
                (status = 400, description = "The request was syntactically incorrect.", body = ErrorMessage),
                (status = 401, description = "The authorization token is invalid or has expired.", body = ErrorMessageFault),
                (status = 403, description = "The token's scopes are not sufficient.", body = ErrorMessage),
                (status = 404, description = "No such resource.", body = ErrorMessage),
                (status = 409, description = "A concurrent update.", body = ErrorMessage),
            ),
            security(("OAuth2" = ["ai.agent_manage"]))
        )]
        pub async fn $patch(
            State(state): State<RestState>,
            headers: HeaderMap,
            Ids((tenant, id)): Ids<(String, String)>,
            Params(params): Params<WriteParams>,
            Body(operations): Body<Vec<PatchOperation>>,
        ) -> Result<StatusCode, ApiError> {
            crud::patch::<$kind>(state, headers, tenant, id, operations, params.force.unwrap_or(false)).await
        }

        #[doc = concat!("Deleting one of the ", $plural, ".")]
        #[utoipa::path(
            delete,
            path = $one_path,
            operation_id = $delete_op,
            tag = $tag,
            params(
                ("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase."),
                ($id = String, Path),
                DeleteParams,
            ),
            responses(
                (status = 204, description = "The resource has been deleted."),
                (status = 400, description = "The resource is in use and `force` was not given.", body = ErrorMessage),
                (status = 401, description = "The authorization token is invalid or has expired.", body = ErrorMessageFault),
                (status = 403, description = "The token's scopes are not sufficient.", body = ErrorMessage),
                (status = 404, description = "No such resource.", body = ErrorMessage),
            ),
            security(("OAuth2" = ["ai.agent_manage"]))
        )]
        pub async fn $delete(
            State(state): State<RestState>,
            headers: HeaderMap,
            Ids((tenant, id)): Ids<(String, String)>,
            Params(params): Params<DeleteParams>,
        ) -> Result<StatusCode, ApiError> {
            crud::delete::<$kind>(state, headers, tenant, id, params.force.unwrap_or(false)).await
        }
    };
}

resource!(
    kind: Agents,
    tag: "Agent",
    plural: "agents",
    collection: "/ai-service/{tenant}/agentic/agents",
    search_path: "/ai-service/{tenant}/agentic/agents/search",
    one_path: "/ai-service/{tenant}/agentic/agents/{agentId}",
    id: "agentId",
    request: AgentRequest,
    response: AgentResponse,
    languages: [
        ("Accept-Language" = Option<String>, Header,
            description = "`*` (or absent): localized texts as maps; languages: the text of the first available one as a string."),
    ],
    list: list_agents = "GET-ai-list-agents",
    search: search_agents = "POST-ai-search-agents",
    get: get_agent = "GET-ai-retrieve-agent",
    put: put_agent = "PUT-ai-agent",
    patch: patch_agent = "PATCH-ai-update-agent",
    delete: delete_agent = "DELETE-ai-delete-agent",
);

resource!(
    kind: Tools,
    tag: "Tool",
    plural: "tools",
    collection: "/ai-service/{tenant}/agentic/tools",
    search_path: "/ai-service/{tenant}/agentic/tools/search",
    one_path: "/ai-service/{tenant}/agentic/tools/{toolId}",
    id: "toolId",
    request: ToolRequest,
    response: ToolResponse,
    languages: [],
    list: list_tools = "GET-ai-list-tools",
    search: search_tools = "POST-ai-search-tools",
    get: get_tool = "GET-ai-retrieve-tool",
    put: put_tool = "PUT-ai-upsert-tool",
    patch: patch_tool = "PATCH-ai-update-tool",
    delete: delete_tool = "DELETE-ai-delete-tool",
);

resource!(
    kind: McpServers,
    tag: "MCP Server",
    plural: "MCP servers",
    collection: "/ai-service/{tenant}/agentic/mcp-servers",
    search_path: "/ai-service/{tenant}/agentic/mcp-servers/search",
    one_path: "/ai-service/{tenant}/agentic/mcp-servers/{mcpServerId}",
    id: "mcpServerId",
    request: McpServerRequest,
    response: McpServerResponse,
    languages: [],
    list: list_mcp_servers = "GET-ai-list-mcp-servers",
    search: search_mcp_servers = "POST-ai-search-mcp-servers",
    get: get_mcp_server = "GET-ai-retrieve-mcp-server",
    put: put_mcp_server = "PUT-ai-upsert-mcp-server",
    patch: patch_mcp_server = "PATCH-ai-update-mcp-server",
    delete: delete_mcp_server = "DELETE-ai-delete-mcp-server",
);

resource!(
    kind: Tokens,
    tag: "Token",
    plural: "tokens",
    collection: "/ai-service/{tenant}/agentic/tokens",
    search_path: "/ai-service/{tenant}/agentic/tokens/search",
    one_path: "/ai-service/{tenant}/agentic/tokens/{tokenId}",
    id: "tokenId",
    request: TokenRequest,
    response: TokenResponse,
    languages: [],
    list: list_tokens = "GET-ai-list-tokens",
    search: search_tokens = "POST-ai-search-tokens",
    get: get_token = "GET-ai-retrieve-token",
    put: put_token = "PUT-ai-upsert-token",
    patch: patch_token = "PATCH-ai-update-token",
    delete: delete_token = "DELETE-ai-delete-token",
);
