//! Tools <-> `CustomFunction` and `ConnectedConnector` (docs/canonical-model.md,
//! "custom_functions", "connectors"). The config case decides the form; `Tool.type` is read back
//! as the case's name.

use serde_json::{Map, Value};

use super::dto;
use super::enums::{self, documented};
use super::fields::{Shape, float, optional_items, verbatim_text, verbatim_value};
use crate::domain::bundle::fields::{given, opt, some, some_items, text};
use crate::domain::bundle::read::set;
use crate::domain::wire::Check;
use crate::proto::tool::Config;
use crate::proto::{ConnectorToolConfig, CustomFunctionToolConfig, GeneralParam, Tool};

/// A tool in one of its xpander forms.
#[derive(Clone, Debug, PartialEq)]
pub enum Written {
    CustomFunction(dto::CustomFunction),
    Connector(dto::ConnectedConnector),
}

/// The tool in its xpander form; `None` for other tools and for a custom function whose
/// (required) status is undocumented: those travel in the extension only.
pub fn write(id: &str, tool: &Tool) -> Option<Written> {
    match &tool.config {
        Some(Config::CustomFunction(f)) => Some(Written::CustomFunction(write_function(id, tool, f)?)),
        Some(Config::Connector(c)) => Some(Written::Connector(write_connector(id, tool, c))),
        _ => None,
    }
}

fn write_function(id: &str, tool: &Tool, function: &CustomFunctionToolConfig) -> Option<dto::CustomFunction> {
    let status = documented(&function.status, enums::CUSTOM_FUNCTION_STATUSES)?;
    let input_schema = verbatim_value(&function.input_schema_json, Shape::Object);
    Some(dto::CustomFunction {
        id: given(id.to_owned()),
        name: given(tool.display_name.clone()),
        description: text(&tool.description),
        input_schema: given(input_schema.unwrap_or_else(|| Value::Object(Map::new()))),
        technical_description: text(&function.technical_description),
        status: given(status.to_owned()),
        limits: opt(verbatim_value(&function.limits_json, Shape::Object)),
        source_code: given(function.source_code.clone()),
        agentport: Default::default(),
    })
}

/// The tool a custom function's keys give (its `id` and `agentport` are the caller's).
pub fn read_function(c: &mut Check, given: dto::CustomFunction) -> Tool {
    if given.input_schema.is_none() {
        c.errs.push(crate::error::FieldViolation::missing(c.path("input_schema")));
    }
    let function = CustomFunctionToolConfig {
        input_schema_json: verbatim_text(c, "input_schema", given.input_schema, Shape::Object).unwrap_or_default(),
        technical_description: c
            .take("technical_description", "technical_description", given.technical_description)
            .unwrap_or_default(),
        status: c.required("status", "status", given.status).unwrap_or_default(),
        limits_json: verbatim_text(c, "limits", given.limits, Shape::Object).unwrap_or_default(),
        source_code: c.required("source_code", "source_code", given.source_code).unwrap_or_default(),
    };
    Tool {
        display_name: c.required("name", "display_name", given.name).unwrap_or_default(),
        r#type: "custom_function".into(),
        description: c.take("description", "description", given.description).unwrap_or_default(),
        config: Some(Config::CustomFunction(function)),
        ..Default::default()
    }
}

fn write_connector(id: &str, tool: &Tool, c: &ConnectorToolConfig) -> dto::ConnectedConnector {
    let details = verbatim_value(&c.operations_with_details_json, Shape::Array)
        .filter(|v| v.as_array().is_some_and(|a| a.iter().all(Value::is_object)));
    dto::ConnectedConnector {
        id: given(id.to_owned()),
        name: text(&tool.display_name),
        description: text(&tool.description),
        open_api_spec_id: given(c.open_api_spec_id.clone()),
        general_params: some_items(c.general_params.iter().filter_map(param)),
        operation_ids: some(&c.operation_ids),
        operations_with_details: opt(details),
        cc_id: text(&c.cc_id),
        root_id: text(&c.root_id),
        code: text(&c.code),
        openapi_spec: text(&c.openapi_spec),
        is_custom: opt(c.is_custom),
        owner: text(&c.owner),
        version: float(c.version),
        total_operations: opt(c.total_operations),
        operations_map: opt(operations_map(&c.operations_map_json)),
        agentport: Default::default(),
    }
}

/// The tool a connector's keys give (its `id` and `agentport` are the caller's).
pub fn read_connector(c: &mut Check, given: dto::ConnectedConnector) -> Tool {
    let mut config = ConnectorToolConfig {
        open_api_spec_id: c
            .required("open_api_spec_id", "open_api_spec_id", given.open_api_spec_id)
            .unwrap_or_default(),
        ..Default::default()
    };
    set(&mut config.general_params, optional_items(c, "general_params", given.general_params, read_param));
    set(&mut config.operation_ids, c.strings("operation_ids", "operation_ids", given.operation_ids));
    set(
        &mut config.operations_with_details_json,
        verbatim_text(c, "operations_with_details", given.operations_with_details, Shape::Array),
    );
    set(&mut config.cc_id, c.take("cc_id", "cc_id", given.cc_id));
    set(&mut config.root_id, c.take("root_id", "root_id", given.root_id));
    set(&mut config.code, c.take("code", "code", given.code));
    set(&mut config.openapi_spec, c.take("openapi_spec", "openapi_spec", given.openapi_spec));
    config.is_custom = c.take("is_custom", "is_custom", given.is_custom);
    set(&mut config.owner, c.take("owner", "owner", given.owner));
    config.version = c.take("version", "version", given.version);
    config.total_operations = c.take("total_operations", "total_operations", given.total_operations);
    set(&mut config.operations_map_json, verbatim_text(c, "operations_map", given.operations_map, Shape::Object));
    Tool {
        display_name: c.take("name", "display_name", given.name).unwrap_or_default(),
        r#type: "connector".into(),
        description: c.take("description", "description", given.description).unwrap_or_default(),
        config: Some(Config::Connector(config)),
        ..Default::default()
    }
}

/// `value` is secret-marked, so it is never written; an undocumented location (required) leaves
/// the parameter out.
fn param(param: &GeneralParam) -> Option<dto::GeneralParam> {
    let location = documented(&param.location, enums::PARAM_LOCATIONS)?;
    Some(dto::GeneralParam {
        name: given(param.name.clone()),
        description: given(param.description.clone()),
        location: given(location.to_owned()),
        value: Default::default(),
    })
}

fn read_param(c: &mut Check, given: dto::GeneralParam) -> GeneralParam {
    GeneralParam {
        name: c.required("name", "name", given.name).unwrap_or_default(),
        description: c.required("description", "description", given.description).unwrap_or_default(),
        location: c.required("location", "location", given.location).unwrap_or_default(),
        value: c.take("value", "value", given.value).unwrap_or_default(),
    }
}

/// `operations_map` when every entry is a `ConnectorOperation` (`path` and `method` strings).
fn operations_map(text: &str) -> Option<Value> {
    let value = verbatim_value(text, Shape::Object)?;
    let valid = value
        .as_object()?
        .values()
        .all(|op| ["path", "method"].iter().all(|k| op.get(k).is_some_and(Value::is_string)));
    valid.then_some(value)
}
