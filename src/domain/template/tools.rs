//! Tools <-> `CustomFunction` and `ConnectedConnector` (docs/canonical-model.md,
//! "custom_functions", "connectors"). The config case decides the form; `Tool.type` is read back
//! as the case's name.

use serde_json::Value;

use super::enums::{self, documented};
use super::fields::{Shape, required_string, verbatim_text, verbatim_value};
use crate::domain::bundle::read::{Obj, Violations, set};
use crate::domain::bundle::write::Out;
use crate::error::FieldViolation;
use crate::proto::tool::Config;
use crate::proto::{ConnectorToolConfig, CustomFunctionToolConfig, GeneralParam, Tool};

/// Which xpander list a tool is written to.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Form {
    CustomFunction,
    Connector,
}

/// The tool in its xpander form; `None` for other tools and for a custom function whose
/// (required) status is undocumented: those travel in the extension only.
pub fn write(id: &str, tool: &Tool) -> Option<(Form, Value)> {
    match &tool.config {
        Some(Config::CustomFunction(f)) => Some((Form::CustomFunction, write_function(id, tool, f)?)),
        Some(Config::Connector(c)) => Some((Form::Connector, write_connector(id, tool, c))),
        _ => None,
    }
}

pub fn read(form: Form, object: &Obj, errs: &mut Violations) -> Tool {
    match form {
        Form::CustomFunction => read_function(object, errs),
        Form::Connector => read_connector(object, errs),
    }
}

fn write_function(id: &str, tool: &Tool, function: &CustomFunctionToolConfig) -> Option<Value> {
    let status = documented(&function.status, enums::CUSTOM_FUNCTION_STATUSES)?;
    let input_schema = verbatim_value(&function.input_schema_json, Shape::Object);
    let mut out = Out::new();
    out.put("id", id)
        .put("name", tool.display_name.as_str())
        .string("description", &tool.description)
        .put("input_schema", input_schema.unwrap_or_else(|| Value::Object(Default::default())))
        .string("technical_description", &function.technical_description)
        .put("status", status)
        .opt("limits", verbatim_value(&function.limits_json, Shape::Object))
        .put("source_code", function.source_code.as_str());
    Some(out.take())
}

fn read_function(object: &Obj, errs: &mut Violations) -> Tool {
    if object.get("input_schema").is_none() {
        errs.push(FieldViolation::new(object.path("input_schema"), "is required"));
    }
    let function = CustomFunctionToolConfig {
        input_schema_json: verbatim_text(object, "input_schema", Shape::Object, errs).unwrap_or_default(),
        technical_description: object.string("technical_description", errs).unwrap_or_default(),
        status: required_string(object, "status", errs),
        limits_json: verbatim_text(object, "limits", Shape::Object, errs).unwrap_or_default(),
        source_code: required_string(object, "source_code", errs),
    };
    Tool {
        display_name: required_string(object, "name", errs),
        r#type: "custom_function".into(),
        description: object.string("description", errs).unwrap_or_default(),
        config: Some(Config::CustomFunction(function)),
        ..Default::default()
    }
}

fn write_connector(id: &str, tool: &Tool, c: &ConnectorToolConfig) -> Value {
    let mut out = Out::new();
    out.put("id", id)
        .string("name", &tool.display_name)
        .string("description", &tool.description)
        .put("open_api_spec_id", c.open_api_spec_id.as_str())
        .some("general_params", c.general_params.iter().filter_map(param))
        .some("operation_ids", c.operation_ids.iter().map(String::as_str))
        .opt(
            "operations_with_details",
            verbatim_value(&c.operations_with_details_json, Shape::Array)
                .filter(|v| v.as_array().is_some_and(|a| a.iter().all(Value::is_object))),
        )
        .string("cc_id", &c.cc_id)
        .string("root_id", &c.root_id)
        .string("code", &c.code)
        .string("openapi_spec", &c.openapi_spec)
        .opt("is_custom", c.is_custom)
        .string("owner", &c.owner)
        .float("version", c.version)
        .opt("total_operations", c.total_operations)
        .opt("operations_map", operations_map(&c.operations_map_json));
    out.take()
}

fn read_connector(object: &Obj, errs: &mut Violations) -> Tool {
    let mut c = ConnectorToolConfig {
        open_api_spec_id: required_string(object, "open_api_spec_id", errs),
        ..Default::default()
    };
    if let Some(params) = object.objects("general_params", errs) {
        c.general_params = params.iter().map(|p| read_param(p, errs)).collect();
    }
    set(&mut c.operation_ids, object.strings("operation_ids", errs));
    set(&mut c.operations_with_details_json, verbatim_text(object, "operations_with_details", Shape::Array, errs));
    set(&mut c.cc_id, object.string("cc_id", errs));
    set(&mut c.root_id, object.string("root_id", errs));
    set(&mut c.code, object.string("code", errs));
    set(&mut c.openapi_spec, object.string("openapi_spec", errs));
    c.is_custom = object.bool("is_custom", errs);
    set(&mut c.owner, object.string("owner", errs));
    c.version = object.f64("version", errs);
    c.total_operations = object.i32("total_operations", errs);
    set(&mut c.operations_map_json, verbatim_text(object, "operations_map", Shape::Object, errs));
    Tool {
        display_name: object.string("name", errs).unwrap_or_default(),
        r#type: "connector".into(),
        description: object.string("description", errs).unwrap_or_default(),
        config: Some(Config::Connector(c)),
        ..Default::default()
    }
}

/// `value` is secret-marked, so it is never written; an undocumented location (required) leaves
/// the parameter out.
fn param(param: &GeneralParam) -> Option<Value> {
    let location = documented(&param.location, enums::PARAM_LOCATIONS)?;
    let mut out = Out::new();
    out.put("name", param.name.as_str()).put("description", param.description.as_str()).put("location", location);
    Some(out.take())
}

fn read_param(object: &Obj, errs: &mut Violations) -> GeneralParam {
    GeneralParam {
        name: required_string(object, "name", errs),
        description: required_string(object, "description", errs),
        location: required_string(object, "location", errs),
        value: object.string("value", errs).unwrap_or_default(),
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
