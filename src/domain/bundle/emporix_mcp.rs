//! McpServer <-> Emporix MCP server (docs/canonical-model.md, "Emporix MCP server"). The xpander
//! connection fields (command, auth, headers...) have no Emporix key and go to the extension.

use serde_json::Value;

use super::extension;
use super::read::{Obj, Violations, set};
use super::write::Out;
use crate::proto::{DynamicMcpTool, McpServer};

pub fn write(id: &str, server: &McpServer) -> Value {
    let mut config = Out::new();
    config
        .string("url", &server.url)
        .string("authorizationHeaderName", &server.authorization_header_name)
        .reference("authorizationHeaderToken", &server.authorization_header_token_id);
    let mut out = Out::new();
    out.put("id", id)
        .put("name", server.display_name.as_str())
        .string("type", &server.r#type)
        .put("enabled", server.enabled)
        .string("transport", &server.transport)
        .object("config", config)
        .some("tools", server.tools.iter().map(write_tool));
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
    out.opt(extension::KEY, extension::write_entity(&rest));
    out.take()
}

pub fn read(object: &Obj, errs: &mut Violations) -> McpServer {
    let mut server: McpServer = extension::read(object, errs);
    set(&mut server.display_name, object.string("name", errs));
    set(&mut server.r#type, object.string("type", errs));
    set(&mut server.enabled, object.bool("enabled", errs));
    set(&mut server.transport, object.string("transport", errs));
    if let Some(config) = object.object("config", errs) {
        set(&mut server.url, config.string("url", errs));
        set(&mut server.authorization_header_name, config.string("authorizationHeaderName", errs));
        set(&mut server.authorization_header_token_id, config.reference("authorizationHeaderToken", errs));
    }
    if let Some(items) = object.objects("tools", errs) {
        server.tools = items.iter().map(|t| read_tool(t, errs)).collect();
    }
    server
}

fn write_tool(tool: &DynamicMcpTool) -> Value {
    let mut invocation = Out::new();
    invocation
        .string("functionId", &tool.function_id)
        .string("method", &tool.method)
        .string("argsLocation", &tool.args_location);
    let mut config = Out::new();
    config
        .some("requiredScopes", tool.required_scopes.clone())
        .string("inputSchema", &tool.input_schema)
        .object("invocation", invocation);
    Out::new()
        .string("name", &tool.name)
        .string("description", &tool.description)
        .string("prompt", &tool.prompt)
        .put("enabled", tool.enabled)
        .object("config", config)
        .take()
}

fn read_tool(object: &Obj, errs: &mut Violations) -> DynamicMcpTool {
    let mut tool = DynamicMcpTool {
        name: object.string("name", errs).unwrap_or_default(),
        description: object.string("description", errs).unwrap_or_default(),
        prompt: object.string("prompt", errs).unwrap_or_default(),
        enabled: object.bool("enabled", errs).unwrap_or_default(),
        ..Default::default()
    };
    if let Some(config) = object.object("config", errs) {
        set(&mut tool.required_scopes, config.strings("requiredScopes", errs));
        set(&mut tool.input_schema, config.string("inputSchema", errs));
        if let Some(invocation) = config.object("invocation", errs) {
            set(&mut tool.function_id, invocation.string("functionId", errs));
            set(&mut tool.method, invocation.string("method", errs));
            set(&mut tool.args_location, invocation.string("argsLocation", errs));
        }
    }
    tool
}
