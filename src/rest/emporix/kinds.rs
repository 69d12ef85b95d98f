//! The four resource kinds of the dialect (agents, tools, MCP servers, tokens): which
//! `AgentService` methods serve each, and how each maps to its Emporix JSON. Agents, tools and
//! MCP servers map through the bundle codec (`domain::bundle`), so the mapping exists once.

use std::future::Future;

use crate::domain::timestamp::Timestamp;
use axum::http::HeaderMap;
use prost_types::FieldMask;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::RestState;
use super::error::ApiError;
use super::expand::{Expansion, Target};
use crate::domain::bundle::read::set;
use crate::domain::bundle::{dto, emporix_agent, emporix_mcp, emporix_tool, rules};
use crate::domain::wire::{Check, Field};
use crate::error::FieldViolation;
use crate::proto::agent_service_server::AgentService as _;
use crate::proto::*;
use crate::rest::call::grpc_request;

/// Identity fields every resource shows as `id` and `metadata`.
pub struct Identity<'a> {
    pub name: &'a str,
    pub etag: &'a str,
    pub revision: i64,
    pub created: Option<&'a Timestamp>,
    pub modified: Option<&'a Timestamp>,
}

/// A resource as the dialect's mapping writes it: identity fields cleared (the dialect shows
/// them as `id` and `metadata`) and secrets scrubbed. Plain field work, no reflection: this
/// runs on every GET.
fn shown<R: crate::domain::resource::Resource>(resource: &R) -> R {
    let mut shown = resource.clone();
    shown.clear_identity();
    crate::domain::secrets::scrub(&mut shown);
    shown
}

/// An offset page of a list: `size` items after the first `skip` matches of `q`, in `sort`
/// order.
#[derive(Debug, Clone)]
pub struct ListPage {
    pub size: i32,
    pub skip: i32,
    pub q: String,
    pub sort: String,
    pub with_total: bool,
}

pub trait Kind: Send + Sync + 'static {
    type R: prost::Message + prost::Name + Default + Clone + PartialEq + Send + Sync + 'static;
    /// The wire body of the kind (request, response and bundle entity alike).
    type Dto: Serialize + DeserializeOwned + Default + Clone + Send + 'static;
    /// Collection segment of resource names (`tenants/{t}/{COLLECTION}/{id}`).
    const COLLECTION: &'static str;
    /// Top-level Emporix keys a PATCH may address.
    const PATCHABLE: &'static [&'static str];
    /// Canonical fields no PUT or PATCH changes once created.
    const IMMUTABLE: &'static [&'static str];
    /// Whether `name` and `description` are localized maps.
    const LOCALIZED: bool;
    /// The documented `expand` values and the references each shows in full.
    const EXPANSIONS: &'static [Expansion] = &[];

    /// Takes out of a PUT body what a caller may send but never sets (`id`, `metadata`, the
    /// bundle extension), and gives back the `metadata` the replacement is conditional on.
    fn strip(body: &mut Self::Dto) -> Field<dto::Metadata>;
    /// The documented required request keys a PUT body leaves out or sends as `null`. With an
    /// empty body: every required key (which is what `/openapi.json` declares).
    fn missing(body: &Self::Dto) -> Vec<FieldViolation>;
    /// Keys only a PUT that creates may carry, sent in a replacement.
    fn fixed(_body: &Self::Dto) -> Vec<FieldViolation> {
        Vec::new()
    }
    /// Fills what a replacement may leave out and keeps (response-only keys, the bundle
    /// extension) from the current resource's body.
    fn keep(_body: &mut Self::Dto, _current: Self::Dto) {}
    /// Fills the keys a new resource's body has none of and the server assigns.
    fn defaults(_body: &mut Self::Dto) {}
    /// The localized texts of a body (`name`, `description`) when [`Self::LOCALIZED`].
    fn texts(_body: &mut Self::Dto) -> Vec<&mut Field<dto::Texts>> {
        Vec::new()
    }

    fn get(
        state: &RestState,
        headers: &HeaderMap,
        name: String,
    ) -> impl Future<Output = Result<Self::R, ApiError>> + Send;
    /// The current state before a PUT or PATCH, read under the write's scope only.
    fn current(
        state: &RestState,
        headers: &HeaderMap,
        name: String,
    ) -> impl Future<Output = Result<Self::R, ApiError>> + Send;
    /// One offset page, and the total of every match when asked for.
    fn list(
        state: &RestState,
        headers: &HeaderMap,
        parent: String,
        page: ListPage,
    ) -> impl Future<Output = Result<(Vec<Self::R>, Option<u64>), ApiError>> + Send;
    fn create(
        state: &RestState,
        headers: &HeaderMap,
        parent: String,
        id: String,
        resource: Self::R,
    ) -> impl Future<Output = Result<Self::R, ApiError>> + Send;
    /// `force`: disable a tool or MCP server enabled agents use, and those agents with it
    /// (ignored by the other kinds).
    fn update(
        state: &RestState,
        headers: &HeaderMap,
        resource: Self::R,
        mask: Vec<String>,
        force: bool,
    ) -> impl Future<Output = Result<Self::R, ApiError>> + Send;
    fn delete(
        state: &RestState,
        headers: &HeaderMap,
        name: String,
        force: bool,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;

    /// The Emporix body of a resource without secrets or identity fields, canonical fields
    /// Emporix has no key for under the `agentport` key.
    fn write(id: &str, resource: &Self::R) -> Self::Dto;
    /// The resource an Emporix body describes; problems go to `c` with their paths.
    fn read(body: Self::Dto, c: &mut Check) -> Self::R;
    /// A written body as a response shows it: with `metadata`, without the bundle extension.
    fn respond(body: &mut Self::Dto, metadata: Field<dto::Metadata>);
    /// The Emporix rules of the kind (shared with import), paths in Emporix names.
    fn rules(_resource: &Self::R) -> Vec<FieldViolation> {
        Vec::new()
    }
    /// Rules only a PUT that creates has (write-only values required on creation).
    fn create_rules(_resource: &Self::R) -> Vec<FieldViolation> {
        Vec::new()
    }
    fn identity(resource: &Self::R) -> Identity<'_>;
    /// Addresses a resource for an update: its name, and the etag the update is conditional on.
    fn target(resource: &mut Self::R, name: String, etag: String);
}

/// A violation for each required key whose flag says it is missing.
fn required<const N: usize>(keys: [(&'static str, bool); N]) -> Vec<FieldViolation> {
    keys.into_iter().filter(|(_, missing)| *missing).map(|(path, _)| FieldViolation::new(path, "is required")).collect()
}

/// Fills an absent key with `value` (a key sent as `null` stays `null`).
fn keep_absent<T>(field: &mut Field<T>, value: Field<T>) {
    if field.is_absent() {
        *field = value;
    }
}

/// The PUT body rules of a kind whose body requires only `name` and carries the bundle
/// extension (tools, MCP servers).
macro_rules! named_body {
    ($dto:ty) => {
        fn strip(body: &mut $dto) -> Field<dto::Metadata> {
            (body.id, body.agentport) = (Field::Absent, Field::Absent);
            std::mem::take(&mut body.metadata)
        }

        fn missing(body: &$dto) -> Vec<FieldViolation> {
            required([("name", body.name.is_none())])
        }

        fn keep(body: &mut $dto, current: $dto) {
            body.agentport = current.agentport;
        }
    };
}

/// The `AgentService` methods of one kind, and its identity fields.
macro_rules! calls {
    (
        $r:ty,
        $get:ident($get_req:ident),
        $list:ident($list_req:ident) -> $items:ident,
        $create:ident($create_req:ident { $id_field:ident, $field:ident }),
        $update:ident($update_req:ident $(+ $force:ident)?) = $update_method:literal,
        $delete:ident($delete_req:ident)
    ) => {
        async fn get(state: &RestState, headers: &HeaderMap, name: String) -> Result<$r, ApiError> {
            Ok(state.agents.$get(grpc_request(headers, $get_req { name })).await?.into_inner())
        }

        async fn current(state: &RestState, headers: &HeaderMap, name: String) -> Result<$r, ApiError> {
            let request = grpc_request(headers, $get_req { name });
            Ok(state.agents.current_for_write::<$r, _>(request, $update_method).await?)
        }

        async fn list(
            state: &RestState,
            headers: &HeaderMap,
            parent: String,
            page: ListPage,
        ) -> Result<(Vec<$r>, Option<u64>), ApiError> {
            let request = $list_req {
                parent,
                page_size: page.size,
                skip: page.skip,
                q: page.q,
                sort: page.sort,
                include_total: page.with_total,
                ..Default::default()
            };
            let listed = state.agents.$list(grpc_request(headers, request)).await?.into_inner();
            Ok((listed.$items, page.with_total.then_some(listed.total_size as u64)))
        }

        async fn create(
            state: &RestState,
            headers: &HeaderMap,
            parent: String,
            id: String,
            resource: $r,
        ) -> Result<$r, ApiError> {
            let request = $create_req { parent, $id_field: id, $field: Some(resource) };
            Ok(state.agents.$create(grpc_request(headers, request)).await?.into_inner())
        }

        async fn update(
            state: &RestState,
            headers: &HeaderMap,
            resource: $r,
            mask: Vec<String>,
            force: bool,
        ) -> Result<$r, ApiError> {
            let _ = force;
            let request = $update_req {
                $field: Some(resource),
                update_mask: Some(FieldMask { paths: mask }),
                $($force: force,)?
            };
            Ok(state.agents.$update(grpc_request(headers, request)).await?.into_inner())
        }

        async fn delete(state: &RestState, headers: &HeaderMap, name: String, force: bool) -> Result<(), ApiError> {
            state.agents.$delete(grpc_request(headers, $delete_req { name, etag: String::new(), force })).await?;
            Ok(())
        }

        fn identity(r: &$r) -> Identity<'_> {
            Identity {
                name: &r.name,
                etag: &r.etag,
                revision: r.revision,
                created: r.create_time.as_ref(),
                modified: r.update_time.as_ref(),
            }
        }

        fn target(r: &mut $r, name: String, etag: String) {
            r.name = name;
            r.etag = etag;
        }
    };
}

pub struct Agents;

impl Kind for Agents {
    type Dto = dto::Agent;
    type R = Agent;
    const COLLECTION: &'static str = "agents";
    const PATCHABLE: &'static [&'static str] = &[
        "name",
        "description",
        "enabled",
        "userPrompt",
        "outputFormat",
        "requiredScopes",
        "icon",
        "tags",
        "triggers",
        "llmConfig",
        "mcpServers",
        "nativeTools",
        "agentCollaborations",
        "maxRecursionLimit",
        "enableMemory",
        "enabledMemory",
    ];
    const IMMUTABLE: &'static [&'static str] = &[];
    const LOCALIZED: bool = true;
    const EXPANSIONS: &'static [Expansion] = &[
        Expansion {
            name: "token",
            target: Some(Target::Tokens),
            paths: &[&["llmConfig", "token"], &["llmConfig", "selfHostedParams", "authorizationHeaderToken"]],
        },
        Expansion { name: "mcpServers", target: Some(Target::McpServers), paths: &[&["mcpServers", "*", "mcpServer"]] },
        Expansion { name: "nativeTools", target: Some(Target::Tools), paths: &[&["nativeTools", "*"]] },
        // Documented, but OAuth configurations are no resource here: the `{id}` stays.
        Expansion { name: "oauth", target: None, paths: &[] },
    ];

    calls!(
        Agent,
        get_agent(GetAgentRequest),
        list_agents(ListAgentsRequest) -> agents,
        create_agent(CreateAgentRequest { agent_id, agent }),
        update_agent(UpdateAgentRequest) = "UpdateAgent",
        delete_agent(DeleteAgentRequest)
    );

    fn strip(body: &mut dto::Agent) -> Field<dto::Metadata> {
        (body.id, body.agentport) = (Field::Absent, Field::Absent);
        std::mem::take(&mut body.metadata)
    }

    fn missing(body: &dto::Agent) -> Vec<FieldViolation> {
        let llm = match &body.llm_config {
            Field::Given(llm) => Some(llm),
            _ => None,
        };
        required([
            ("name", body.name.is_none()),
            ("userPrompt", body.user_prompt.is_none()),
            ("triggers", body.triggers.is_none()),
            ("llmConfig", body.llm_config.is_none()),
            ("llmConfig.model", llm.is_none_or(|llm| llm.model.is_none())),
            ("llmConfig.provider", llm.is_none_or(|llm| llm.provider.is_none())),
            ("mcpServers", body.mcp_servers.is_none()),
        ])
    }

    /// `type`, `templatePrompt` and `handOff` are server-assigned: responses show them, a PUT
    /// need not send them back.
    fn keep(body: &mut dto::Agent, current: dto::Agent) {
        keep_absent(&mut body.kind, current.kind);
        keep_absent(&mut body.template_prompt, current.template_prompt);
        keep_absent(&mut body.hand_off, current.hand_off);
        body.agentport = current.agentport;
    }

    fn defaults(body: &mut dto::Agent) {
        keep_absent(&mut body.kind, Field::Given("generic".to_owned()));
    }

    fn texts(body: &mut dto::Agent) -> Vec<&mut Field<dto::Texts>> {
        vec![&mut body.name, &mut body.description]
    }

    fn write(id: &str, agent: &Agent) -> dto::Agent {
        emporix_agent::write_resource(id, &shown(agent))
    }

    fn read(body: dto::Agent, c: &mut Check) -> Agent {
        emporix_agent::read(body, c)
    }

    fn respond(body: &mut dto::Agent, metadata: Field<dto::Metadata>) {
        body.agentport = Field::Absent;
        if let Field::Given(triggers) = &mut body.triggers {
            for trigger in triggers.iter_mut() {
                if let Field::Given(trigger) = trigger {
                    trigger.agentport = Field::Absent;
                }
            }
        }
        body.metadata = metadata;
    }

    fn rules(agent: &Agent) -> Vec<FieldViolation> {
        rules::agent(agent)
    }
}

pub struct Tools;

impl Kind for Tools {
    type Dto = dto::Tool;
    type R = Tool;
    const COLLECTION: &'static str = "tools";
    const PATCHABLE: &'static [&'static str] = &["name", "type", "enabled", "config"];
    const IMMUTABLE: &'static [&'static str] = &[];
    const LOCALIZED: bool = false;
    const EXPANSIONS: &'static [Expansion] = &[Expansion {
        name: "token",
        target: Some(Target::Tokens),
        paths: &[&["config", "databaseConfig", "token"], &["config", "embeddingConfig", "token"]],
    }];

    calls!(
        Tool,
        get_tool(GetToolRequest),
        list_tools(ListToolsRequest) -> tools,
        create_tool(CreateToolRequest { tool_id, tool }),
        update_tool(UpdateToolRequest + force) = "UpdateTool",
        delete_tool(DeleteToolRequest)
    );

    named_body!(dto::Tool);

    fn write(id: &str, tool: &Tool) -> dto::Tool {
        emporix_tool::write(id, &shown(tool))
    }

    fn read(body: dto::Tool, c: &mut Check) -> Tool {
        // Slack's `botToken` is write-only: never in a bundle, so the bundle reader skips it.
        let bot_token = match &body.config {
            Field::Given(config) => config.bot_token.clone(),
            _ => Field::Absent,
        };
        let mut tool = emporix_tool::read(body, c);
        if let Some(tool::Config::Slack(slack)) = &mut tool.config {
            set(&mut slack.bot_token, c.within("config", "config", |c| c.take("botToken", "bot_token", bot_token)));
        }
        tool
    }

    fn respond(body: &mut dto::Tool, metadata: Field<dto::Metadata>) {
        body.agentport = Field::Absent;
        body.metadata = metadata;
    }

    fn rules(tool: &Tool) -> Vec<FieldViolation> {
        rules::tool(tool)
    }

    /// `botToken` is "required only for creation, for update it can be omitted".
    fn create_rules(tool: &Tool) -> Vec<FieldViolation> {
        match &tool.config {
            Some(tool::Config::Slack(slack)) if slack.bot_token.is_empty() => {
                vec![FieldViolation::new("config.botToken", "is required when a Slack tool is created")]
            }
            _ => Vec::new(),
        }
    }
}

pub struct McpServers;

impl Kind for McpServers {
    type Dto = dto::McpServer;
    type R = McpServer;
    const COLLECTION: &'static str = "mcpServers";
    const PATCHABLE: &'static [&'static str] = &["name", "type", "enabled", "transport", "config", "tools"];
    const IMMUTABLE: &'static [&'static str] = &[];
    const LOCALIZED: bool = false;
    const EXPANSIONS: &'static [Expansion] =
        &[Expansion { name: "token", target: Some(Target::Tokens), paths: &[&["config", "authorizationHeaderToken"]] }];

    calls!(
        McpServer,
        get_mcp_server(GetMcpServerRequest),
        list_mcp_servers(ListMcpServersRequest) -> mcp_servers,
        create_mcp_server(CreateMcpServerRequest { mcp_server_id, mcp_server }),
        update_mcp_server(UpdateMcpServerRequest + force) = "UpdateMcpServer",
        delete_mcp_server(DeleteMcpServerRequest)
    );

    named_body!(dto::McpServer);

    fn write(id: &str, server: &McpServer) -> dto::McpServer {
        emporix_mcp::write(id, &shown(server))
    }

    fn read(body: dto::McpServer, c: &mut Check) -> McpServer {
        emporix_mcp::read(body, c)
    }

    fn respond(body: &mut dto::McpServer, metadata: Field<dto::Metadata>) {
        body.agentport = Field::Absent;
        body.metadata = metadata;
    }

    fn rules(server: &McpServer) -> Vec<FieldViolation> {
        rules::mcp_server(server)
    }
}

/// Emporix tokens are agentport secrets: `{id, name, value}`, the value write-only and, as in
/// Emporix, fixed once created.
pub struct Tokens;

impl Kind for Tokens {
    type Dto = dto::Token;
    type R = Secret;
    const COLLECTION: &'static str = "secrets";
    const PATCHABLE: &'static [&'static str] = &["name"];
    const IMMUTABLE: &'static [&'static str] = &["value"];
    const LOCALIZED: bool = false;

    calls!(
        Secret,
        get_secret(GetSecretRequest),
        list_secrets(ListSecretsRequest) -> secrets,
        create_secret(CreateSecretRequest { secret_id, secret }),
        update_secret(UpdateSecretRequest) = "UpdateSecret",
        delete_secret(DeleteSecretRequest)
    );

    fn strip(body: &mut dto::Token) -> Field<dto::Metadata> {
        body.id = Field::Absent;
        std::mem::take(&mut body.metadata)
    }

    fn missing(body: &dto::Token) -> Vec<FieldViolation> {
        required([("name", body.name.is_none())])
    }

    /// The value is fixed once created (as in Emporix): a replacement sending one is refused
    /// rather than silently ignored.
    fn fixed(body: &dto::Token) -> Vec<FieldViolation> {
        match body.value {
            Field::Absent | Field::Null => Vec::new(),
            _ => vec![FieldViolation::new("value", "cannot change once created; leave it out of a replacement")],
        }
    }

    fn write(id: &str, secret: &Secret) -> dto::Token {
        dto::Token {
            id: Field::Given(id.to_owned()),
            name: Field::Given(secret.display_name.clone()),
            ..Default::default()
        }
    }

    fn read(body: dto::Token, c: &mut Check) -> Secret {
        Secret {
            display_name: c.take("name", "display_name", body.name).unwrap_or_default(),
            value: c.take("value", "value", body.value).unwrap_or_default(),
            ..Default::default()
        }
    }

    fn respond(body: &mut dto::Token, metadata: Field<dto::Metadata>) {
        body.metadata = metadata;
    }
}
