//! McpServer <-> Emporix MCP server (docs/canonical-model.md, "Emporix MCP server"). The xpander
//! connection fields (command, auth, headers...) have no Emporix key and go to the extension.

use super::dto::{self, Reference};
use super::extension;
use super::fields::{given, object, opt, reference, some, some_items, text};
use super::read::set;
use crate::domain::wire::{Check, Field};
use crate::proto::{DynamicMcpTool, McpServer};

pub fn write(id: &str, server: &McpServer) -> dto::McpServer {
    let config = dto::McpServerConfig {
        url: text(&server.url),
        authorization_header_name: text(&server.authorization_header_name),
        authorization_header_token: Reference::to(&server.authorization_header_token_id),
    };
    let rest = McpServer {
        display_name: String::new(),
        r#type: String::new(),
        enabled: false,
        transport: String::new(),
        url: String::new(),
        authorization_header_name: String::new(),
        authorization_header_token_id: String::new(),
        tools: Vec::new(),
        ..server.clone()
    };
    dto::McpServer {
        id: given(id.to_owned()),
        name: given(server.display_name.clone()),
        kind: text(&server.r#type),
        enabled: given(server.enabled),
        transport: text(&server.transport),
        config: object(config),
        tools: some_items(server.tools.iter().map(write_tool)),
        agentport: opt(extension::write_entity(&rest)),
        metadata: Field::Absent,
    }
}

pub fn read(body: dto::McpServer, c: &mut Check) -> McpServer {
    let mut server: McpServer = extension::read_in(c, body.agentport);
    set(&mut server.display_name, c.take("name", "display_name", body.name));
    set(&mut server.r#type, c.take("type", "type", body.kind));
    set(&mut server.enabled, c.take("enabled", "enabled", body.enabled));
    set(&mut server.transport, c.take("transport", "transport", body.transport));
    if let Some(config) = c.take("config", "", body.config) {
        c.within("config", "", |c| {
            set(&mut server.url, c.take("url", "url", config.url));
            set(
                &mut server.authorization_header_name,
                c.take("authorizationHeaderName", "authorization_header_name", config.authorization_header_name),
            );
            set(
                &mut server.authorization_header_token_id,
                reference(c, "authorizationHeaderToken", config.authorization_header_token),
            );
        });
    }
    if let Some(items) = c.take("tools", "tools", body.tools) {
        server.tools = c.items("tools", "tools", items, read_tool);
    }
    server
}

fn write_tool(tool: &DynamicMcpTool) -> dto::DynamicMcpTool {
    let invocation = dto::Invocation {
        function_id: text(&tool.function_id),
        method: text(&tool.method),
        args_location: text(&tool.args_location),
    };
    let config = dto::DynamicToolConfig {
        required_scopes: some(&tool.required_scopes),
        input_schema: text(&tool.input_schema),
        invocation: object(invocation),
    };
    dto::DynamicMcpTool {
        name: text(&tool.name),
        description: text(&tool.description),
        prompt: text(&tool.prompt),
        enabled: given(tool.enabled),
        config: object(config),
    }
}

fn read_tool(c: &mut Check, body: dto::DynamicMcpTool) -> DynamicMcpTool {
    let mut tool = DynamicMcpTool {
        name: c.take("name", "name", body.name).unwrap_or_default(),
        description: c.take("description", "description", body.description).unwrap_or_default(),
        prompt: c.take("prompt", "prompt", body.prompt).unwrap_or_default(),
        enabled: c.take("enabled", "enabled", body.enabled).unwrap_or_default(),
        ..Default::default()
    };
    if let Some(config) = c.take("config", "", body.config) {
        c.within("config", "", |c| {
            set(&mut tool.required_scopes, c.strings("requiredScopes", "required_scopes", config.required_scopes));
            set(&mut tool.input_schema, c.take("inputSchema", "input_schema", config.input_schema));
            if let Some(invocation) = c.take("invocation", "", config.invocation) {
                c.within("invocation", "", |c| {
                    set(&mut tool.function_id, c.take("functionId", "function_id", invocation.function_id));
                    set(&mut tool.method, c.take("method", "method", invocation.method));
                    set(&mut tool.args_location, c.take("argsLocation", "args_location", invocation.args_location));
                });
            }
        });
    }
    tool
}
